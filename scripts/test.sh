#!/usr/bin/env bash
# The test command: installs what is missing, builds, runs every test with
# ctest, then again under AddressSanitizer + UBSan.  Non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh clang
status=0
echo "== build and test (build/)"
BUILD_DIR=build scripts/build.sh
(cd build && ctest --output-on-failure -j"$(nproc)") || status=1
echo "== build and test under AddressSanitizer + UBSan (build-asan/)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
BUILD_DIR=build-asan BUILD_TYPE=Debug scripts/build.sh -DSL_SANITIZE=ON
(cd build-asan && ctest --output-on-failure -j"$(nproc)") || status=1
exit $status
