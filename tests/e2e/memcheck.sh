#!/usr/bin/env bash
# memcheck.sh - stands in for the seatledger CLI (scripts/test.sh points
# SEATLEDGER at a two-line script that calls this one with the paths) and
# runs the real binary ($SEATLEDGER_REAL) under valgrind memcheck: any memory
# error or definite leak makes the command exit 99, and each run leaves a log
# in $MEMCHECK_LOG_DIR for scripts/test.sh to scan.
set -u
real=${SEATLEDGER_REAL:?SEATLEDGER_REAL must name the seatledger binary}
logdir=${MEMCHECK_LOG_DIR:-${TMPDIR:-/tmp}}
exec valgrind --error-exitcode=99 --leak-check=full \
  --errors-for-leak-kinds=definite --show-leak-kinds=definite \
  --log-file="$logdir/vg.%p.log" "$real" "$@"
