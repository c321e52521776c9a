#!/usr/bin/env bash
# End-to-end: seatledger's figures against an independent model of the
# ledger rules (rules_model.py, written from the specs alone) over synthetic
# user directories, snapshot histories and license terms.  Any discrepancy
# fails the test, printed as scenario, step, field, model and seatledger value.
set -euo pipefail
SL=${SEATLEDGER:?SEATLEDGER must point to the seatledger binary}
HERE=$(cd "$(dirname "$0")" && pwd)
if ! command -v python3 >/dev/null 2>&1; then
  echo "SKIP: python3 is not installed"
  exit 77
fi
# a fixed seed: the same scenarios on every run (override to explore)
# SL_CROSSCHECK_ONLY=NAME runs one scenario (the valgrind stage of
# scripts/test.sh uses it: ~2,000 CLI runs under memcheck would take half an
# hour)
only=()
[ -n "${SL_CROSSCHECK_ONLY:-}" ] && only=(--only "$SL_CROSSCHECK_ONLY")
exec python3 -B "$HERE/rules_crosscheck.py" "$SL" --seed "${SL_CROSSCHECK_SEED:-20240229}" "${only[@]}"
