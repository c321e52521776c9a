#!/usr/bin/env bash
# End-to-end: the installed cron entry (packaging/cron/seatledger.in, which
# `cmake --install` and the package put in /etc/cron.d) really records
# snapshots.  Installs Debian's cron when missing, puts the documented line
# into /etc/cron.d with an every-minute schedule and a temporary ledger, and
# waits for a snapshot with source "cron".  Needs root; skips (77) otherwise.
set -uo pipefail
SL=${SEATLEDGER:?SEATLEDGER must point to the seatledger binary}
SRC=${SL_SOURCE_DIR:?}
WAIT_SECONDS=${SL_CRON_WAIT:-75}

skip() { echo "SKIP: $*"; exit 77; }

[ "$(id -u)" -eq 0 ] || skip "needs root to install cron and write /etc/cron.d"
if ! command -v cron >/dev/null 2>&1 && [ ! -x /usr/sbin/cron ]; then
  echo "installing Debian's cron"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq cron >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq cron >/dev/null 2>&1; } ||
    skip "cannot install the cron package"
fi
CRON=$(command -v cron || echo /usr/sbin/cron)

TMP=$(mktemp -d /tmp/seatledger-cron-XXXXXX)
chmod 0755 "$TMP"
entry=/etc/cron.d/seatledger-e2e-$$
started_pid=""
cleanup() {
  rm -f "$entry"
  # stop only the cron daemon this test started
  if [ -n "$started_pid" ]; then kill "$started_pid" 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT

db="$TMP/ledger.db"
unset SEATLEDGER_NOW SEATLEDGER_DB
"$SL" --db "$db" history >/dev/null || { echo "FAIL: cannot create the ledger"; exit 1; }

# The documented line, every minute, with this build and the temporary ledger.
line=$(grep -E '^0 12 \* \* \* ' "$SRC/packaging/cron/seatledger.in") ||
  { echo "FAIL: no schedule line in packaging/cron/seatledger.in"; exit 1; }
line=${line#0 12 }
line=${line/ seatledger / root }
line=${line//@SL_BINDIR@\/seatledger/$SL}
line=${line//\/var\/lib\/seatledger\/ledger.db/$db}
# on a host run by systemd the line defers to the timer; here cron must run it
if [ -d /run/systemd/system ]; then
  line=${line/\[ -d \/run\/systemd\/system \] || /}
fi
{
  echo "CRON_TZ=UTC"
  echo "* * $line"
} >"$entry"
chmod 0644 "$entry"
echo "installed $entry:"
cat "$entry"

# Start cron unless one runs; again if it stops while we wait (another test
# that started it may end first and stop it).
ensure_cron() {
  local pid
  pid=$(cat /run/crond.pid /var/run/crond.pid 2>/dev/null | head -n 1)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then return 0; fi
  "$CRON" || skip "cron cannot start here"
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    started_pid=$(cat /run/crond.pid /var/run/crond.pid 2>/dev/null | head -n 1)
    [ -n "$started_pid" ] && kill -0 "$started_pid" 2>/dev/null && break
    sleep 0.2
  done
  [ -n "$started_pid" ] || skip "cron did not start (no pid file)"
  echo "started cron (pid $started_pid)"
  # a fresh daemon runs the entry at the next full minute
  deadline=$((SECONDS + (WAIT_SECONDS > 65 ? WAIT_SECONDS : 65)))
}
deadline=$((SECONDS + WAIT_SECONDS))
ensure_cron

start=$SECONDS
while [ "$SECONDS" -lt "$deadline" ]; do
  ensure_cron
  out=$("$SL" --db "$db" --json history 2>/dev/null)
  case "$out" in
    *'"source":"cron"'*)
      echo "snapshot recorded by cron after $((SECONDS - start))s: $out"
      echo "1 passed, 0 failed"
      exit 0 ;;
  esac
  sleep 1
done
echo "FAIL: no snapshot with source cron after $((SECONDS - start))s; history: $out"
echo "0 passed, 1 failed"
exit 1
