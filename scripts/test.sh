#!/usr/bin/env bash
# The test command: installs what is missing, builds, runs every test with
# ctest, then again under AddressSanitizer + UBSan, the CLI end-to-end tests
# under valgrind memcheck, and each libFuzzer target for a fixed time.
# Non-zero on any failure.
#
# Knobs (environment): FUZZ_SECONDS (per fuzz target, default 60; 0 skips the
# fuzz stage), MEMCHECK=0 skips the valgrind stage, PACKAGES=0 skips the
# Debian packages stage, CONCURRENCY_SECONDS, CRASH_USERS, CRASH_ITERATIONS
# (the long end-to-end tests; see docs/security.md).
set -euo pipefail
cd "$(dirname "$0")/.."
# lintian and debootstrap for the packages stage, prometheus (with promtool)
# for tests/e2e/test_prometheus.sh, groff and man for the man page check,
# node and npm for the GraphQL clients and the console's browser test
# (tests/e2e/lib_npm.sh), Debian's chromium for that browser test
scripts/deps.sh clang libclang-rt-dev valgrind openssl lintian debootstrap prometheus \
  groff-base man-db node=nodejs npm=npm chromium
status=0
# The pinned npm packages of the GraphQL client and browser tests go into
# their cache folder here (tests/e2e/lib_npm.sh), where a failure is seen:
# those tests would only skip.
# shellcheck source=../tests/e2e/lib_npm.sh
source tests/e2e/lib_npm.sh
echo "== npm packages into ${NPM_CACHE} [at ${SECONDS}s]"
if ! npm_ready; then
  echo "npm: the install failed, so the GraphQL client and browser tests cannot run:"
  tail -n 20 "$NPM_CACHE/npm.log" 2>/dev/null || true
  status=1
fi
# in_parallel FN ITEM...: FN ITEM for each item, as many at a time as there
# are cores; non-zero when any of them failed.
in_parallel() {
  local fn=$1 running=0 rc=0 item
  shift
  for item in "$@"; do
    if [ "$running" -ge "$(nproc)" ]; then
      wait -n || rc=1
      running=$((running - 1))
    fi
    "$fn" "$item" &
    running=$((running + 1))
  done
  while [ "$running" -gt 0 ]; do
    wait -n || rc=1
    running=$((running - 1))
  done
  return $rc
}
echo "== build and test (build/) [at ${SECONDS}s]"
BUILD_DIR=build scripts/build.sh
(cd build && ctest --output-on-failure -j"$(nproc)") || status=1

echo "== build and test under AddressSanitizer + UBSan (build-asan/) [at ${SECONDS}s]"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
BUILD_DIR=build-asan BUILD_TYPE=Debug scripts/build.sh -DSL_SANITIZE=ON
# The long tests ran at full length above; under ASan they run shorter so the
# suite stays well inside CI's budget while still racing sanitized binaries.
(cd build-asan && CONCURRENCY_SECONDS=${CONCURRENCY_SECONDS:-20} \
   CRASH_USERS=${CRASH_USERS:-200000} CRASH_ITERATIONS=${CRASH_ITERATIONS:-2} \
   ctest --output-on-failure -j"$(nproc)") || status=1

if [ "${PACKAGES:-1}" != 0 ]; then
  echo "== Debian packages (build-deb/: cpack -G DEB, lintian, dpkg -i into a Debian 12 root) [at ${SECONDS}s]"
  rc=0
  tests/package/test_deb.sh || rc=$?
  case $rc in
    0) ;;
    77) echo "packages: skipped (the reason is above)" ;;
    *) status=1 ;;
  esac
fi

if [ "${MEMCHECK:-1}" != 0 ]; then
  echo "== CLI end-to-end tests under valgrind memcheck (build/) [at ${SECONDS}s]"
  # ctest would override SEATLEDGER, so the scripts run directly, each with
  # the CLI behind tests/e2e/memcheck.sh (exit 99 and a log on any error or
  # definite leak).  Left out, as they already run under ASan above: the
  # long tests (they measure throughput).  The rules cross-check runs one
  # scenario here (SL_CROSSCHECK_ONLY below): all of it is thousands of CLI
  # runs, too many for valgrind's pace.
  vgdir=$PWD/build/memcheck
  rm -rf "$vgdir" && mkdir -p "$vgdir/logs"
  chmod 1777 "$vgdir/logs"   # some cases run the CLI as another user
  # the paths are baked in: cron and setpriv do not pass the environment on
  printf '#!/bin/sh\nSEATLEDGER_REAL=%s MEMCHECK_LOG_DIR=%s exec %s "$@"\n' \
    "$PWD/build/seatledger" "$vgdir/logs" "$PWD/tests/e2e/memcheck.sh" >"$vgdir/seatledger"
  chmod 755 "$vgdir/seatledger"
  memcheck_one() {
    local t=$1 name rc=0 start=$SECONDS
    name=$(basename "$t" .sh)
    # the rules cross-check runs in full above; here one scenario of its
    # edge cases (the full set is ~2,000 CLI runs, half an hour under valgrind)
    SEATLEDGER=$vgdir/seatledger SL_SOURCE_DIR=$PWD SL_BINARY_DIR=$PWD/build \
      SL_CROSSCHECK_ONLY=tiny SL_E2E_TIME_FACTOR=10 SL_BROWSER=0 \
      timeout "${MEMCHECK_TIMEOUT:-900}" bash "$t" >"$vgdir/$name.out" 2>&1 || rc=$?
    case $rc in
      0) echo "memcheck $name: passed ($((SECONDS - start))s)" ;;
      77) echo "memcheck $name: skipped ($(tail -n 1 "$vgdir/$name.out"))" ;;
      *) echo "memcheck $name: FAILED (exit $rc)"; tail -n 30 "$vgdir/$name.out"; return 1 ;;
    esac
  }
  memcheck_tests=()
  for t in tests/e2e/test_*.sh; do
    case $(basename "$t") in
      # test_install runs no CLI of this build (it installs and links)
      test_concurrency.sh|test_crash_safety.sh|test_install.sh) continue ;;
    esac
    memcheck_tests+=("$t")
  done
  in_parallel memcheck_one "${memcheck_tests[@]}" || status=1
  # belt and braces: a test that tolerates a failing command must not hide
  # a memory error.  A run killed by a signal (a test's timeout, a SIGTERM
  # to a starting server) leaves its allocations behind: there only real
  # errors count, not leaks.
  bad=$(for f in "$vgdir"/logs/*.log; do
          if grep -q 'Process terminating with default action of signal' "$f"; then
            grep -l -E '^==[0-9]+== (Invalid|Conditional jump|Use of uninitialised|Syscall param|Mismatched|Source and destination overlap)' "$f"
          else
            grep -l -E 'ERROR SUMMARY: [1-9]|definitely lost: [1-9]' "$f"
          fi
        done 2>/dev/null || true)
  if [ -n "$bad" ]; then
    echo "memcheck: errors or definite leaks in:"
    for f in $bad; do echo "--- $f"; head -n 60 "$f"; done
    status=1
  fi
  echo "memcheck: $(ls "$vgdir"/logs | wc -l) CLI runs checked"
fi

fuzz_seconds=${FUZZ_SECONDS:-60}
if [ "$fuzz_seconds" != 0 ]; then
  echo "== fuzz (build-fuzz/, clang libFuzzer, ${fuzz_seconds}s per target, $(nproc) at a time) [at ${SECONDS}s]"
  CC=clang cmake -S . -B build-fuzz -DSL_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
  cmake --build build-fuzz -j"$(nproc)" --target fuzz_targets
  # one target per core at a time: each is single-threaded
  fuzz_one() {
    local target=$1 work=build-fuzz/corpus/$1 art=build-fuzz/artifacts/$1/ rc=0 runs
    mkdir -p "$work" "$art"
    # new inputs go to the work corpus; the seeds in the tree stay read-only
    build-fuzz/tests/fuzz/$target -max_total_time="$fuzz_seconds" -timeout=10 \
      -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$art" \
      "$work" "tests/fuzz/corpus/$target" >"build-fuzz/$target.log" 2>&1 || rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "build-fuzz/$target.log")
    if [ "$rc" -eq 0 ]; then
      echo "fuzz $target: ${runs:-?} executions, no crash"
    else
      echo "fuzz $target: FAILED (exit $rc) after ${runs:-?} executions; artifacts in $art"
      tail -n 60 "build-fuzz/$target.log"
      return 1
    fi
  }
  in_parallel fuzz_one fuzz_license_decode fuzz_license_v2 fuzz_users_import fuzz_http_route \
    fuzz_chart_render fuzz_graphql fuzz_graphql_api fuzz_report fuzz_json_plain || status=1
fi
echo "== done in ${SECONDS}s (status $status)"
exit $status
