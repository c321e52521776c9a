# lib.sh - shared helpers of the end-to-end tests (sourced).
set -euo pipefail
SL=${SEATLEDGER:?SEATLEDGER must point to the seatledger binary}
SRC=${SL_SOURCE_DIR:?}
TMP=$(mktemp -d /tmp/seatledger-e2e-XXXXXX)
trap 'rm -rf "$TMP"' EXIT
export SEATLEDGER_DB="$TMP/ledger.db"
export SEATLEDGER_NOW=${SEATLEDGER_NOW:-2026-11-22T12:00:00Z}
failures=0
checks=0

fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# run EXPECTED_EXIT CMD... : runs CMD, captures stdout/stderr in $out/$err
run() {
  local want=$1; shift
  set +e
  "$@" >"$TMP/out" 2>"$TMP/err"
  local got=$?
  set -e
  out=$(cat "$TMP/out"); err=$(cat "$TMP/err")
  checks=$((checks + 1))
  if [ "$got" != "$want" ]; then
    fail "'$*' exited $got, expected $want; stderr: $err"
  fi
}

expect_eq() { # NAME ACTUAL EXPECTED
  checks=$((checks + 1))
  if [ "$2" != "$3" ]; then
    fail "$1: got
---
$2
---
expected
---
$3
---"
  fi
}

expect_contains() { # NAME HAYSTACK NEEDLE
  checks=$((checks + 1))
  case "$2" in *"$3"*) ;; *) fail "$1: '$3' not in: $2" ;; esac
}

ledger_sum() { # checksum of the ledger file after a checkpoint of the WAL
  sqlite3 "$SEATLEDGER_DB" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
  { cat "$SEATLEDGER_DB"; cat "$SEATLEDGER_DB-wal" 2>/dev/null || true; } | sha256sum | cut -d' ' -f1
}

finish() {
  echo "$((checks - failures)) passed, $failures failed"
  [ "$failures" -eq 0 ]
}
