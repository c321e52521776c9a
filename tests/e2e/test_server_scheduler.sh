#!/usr/bin/env bash
# End-to-end: `serve --refresh-daily HH:MM` records a snapshot from its own
# timer at that minute (real clock: this test waits up to about a minute),
# and a stop signal ends the timer at once.
source "$(dirname "$0")/lib.sh"
# the timer follows the wall clock, so the fixed test clock would never reach it
unset SEATLEDGER_NOW

if ! "$SL" help | grep -q "serve "; then
  echo "skip: this seatledger has no serve command"; exit 77
fi
SERVER_PID=
trap '[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; rm -rf "$TMP"' EXIT

# leave room to start before the minute turns
sec=$(date -u +%S)
if [ "${sec#0}" -ge 50 ]; then sleep $((61 - ${sec#0})); fi
at=$(date -u -d '+1 minute' +%H:%M)
run 0 "$SL" --json history
expect_eq "no snapshot yet" "$out" "[]"

"$SL" serve --listen 127.0.0.1:0 --refresh-daily "$at" 2>"$TMP/server.log" &
SERVER_PID=$!
for _ in $(seq 1 750); do
  grep -q 'scheduled refresh' "$TMP/server.log" && break
  kill -0 "$SERVER_PID" 2>/dev/null || break
  sleep 0.1
done
expect_contains "timer fired" "$(cat "$TMP/server.log")" " scheduled refresh: 0 billable users"
run 0 "$SL" --json history
expect_contains "snapshot from the timer" "$out" '"billable_user_count":0,"source":"scheduler"}]'
expect_contains "at the minute" "$out" "T$at:00."

start=$(date +%s%N)
kill -TERM "$SERVER_PID"
set +e
wait "$SERVER_PID"
rc=$?
set -e
SERVER_PID=
expect_eq "server exit status" "$rc" 0
checks=$((checks + 1))
[ $(( ($(date +%s%N) - start) / 1000000 )) -lt 3000 ] || fail "stopping took more than 3 s"
finish
