#!/usr/bin/env bash
# test_concurrency.sh - one ledger, many writers and readers at once for
# CONCURRENCY_SECONDS (default 60): a CLI refresh loop, a license add/delete
# loop, a users import loop, and HTTP readers and refreshers against
# `seatledger serve`.  Afterwards: no operation failed ("database is locked"
# is a failure like any other), every snapshot a refresh reported is in the
# history and no other appeared, the licenses and users are what the last
# operations left, and PRAGMA integrity_check is ok.
source "$(dirname "$0")/lib_hardening.sh"
need_cmd curl sqlite3 python3

DURATION=${CONCURRENCY_SECONDS:-60}
# the real clock: refreshes from different processes race for "now", which
# is exactly what the clock-safety rule must survive
unset SEATLEDGER_NOW
DB=$TMP/ledger.db
LOGS=$TMP/logs
mkdir -p "$LOGS"
LICENSE=$(fixture 01_premium_basic)   # premium, 100 seats, 2024-01-01 .. 2099-12-31

# two user directories the import loop alternates between (all billable on
# premium; both stay within the 100 seats so license adds are never refused)
users_csv() {
    local n=$1 out=$2
    awk -v n="$n" 'BEGIN {
        print "id,username,email,state,user_type,highest_role,guest_seat,last_activity_on"
        for (i = 1; i <= n; i++)
            printf "u%d,user%d,user%d@example.com,active,human,developer,false,2026-01-01\n", i, i, i
    }' >"$out"
}
users_csv 60 "$TMP/users60.csv"
users_csv 45 "$TMP/users45.csv"

must --db "$DB" keys trust "$FIX/public.pem" --name gitlab
must --db "$DB" users import "$TMP/users60.csv" --prune
must --db "$DB" --json license add "$LICENSE"
KEEP_ID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$TMP/out")
must --db "$DB" --json token create --name load --admin
TOKEN=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["token"])' "$TMP/out")
must --db "$DB" refresh
SETUP_SNAPSHOTS=1

serve_start "$DB"
END=$((SECONDS + DURATION))

# Each loop runs in its own subshell with W set to its name, and writes one
# line per operation to $LOGS/$W: "ok ..." or "FAIL <what> <exit or status>
# <stderr>".  op WHAT CMD...: run a CLI command, stdout kept in $TMP/op.$W.
op() {
    local what=$1 rc
    shift
    "$@" >"$TMP/op.$W" 2>"$TMP/operr.$W"
    rc=$?
    if [ "$rc" -eq 0 ]; then
        echo "ok $what" >>"$LOGS/$W"
    else
        echo "FAIL $what exit $rc: $(tr '\n' ' ' <"$TMP/operr.$W")" >>"$LOGS/$W"
    fi
    return "$rc"
}

refresh_loop() {
    W=refresh
    while [ "$SECONDS" -lt "$END" ]; do
        if op refresh "$SL" --db "$DB" --json refresh; then
            # the snapshot this refresh reported, for the history check
            cat "$TMP/op.$W" >>"$LOGS/refresh.json"
        fi
    done
}

license_loop() {
    local id
    W=license
    while [ "$SECONDS" -lt "$END" ]; do
        op add "$SL" --db "$DB" --json license add "$LICENSE" || continue
        id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$TMP/op.$W")
        op "delete $id" "$SL" --db "$DB" license delete "$id"
    done
}

users_loop() {
    local i=0 f
    W=users
    while [ "$SECONDS" -lt "$END" ]; do
        if [ $((i % 2)) -eq 0 ]; then f=$TMP/users45.csv; else f=$TMP/users60.csv; fi
        op "import $(basename "$f")" "$SL" --db "$DB" users import "$f" --prune &&
            echo "$f" >"$LOGS/users.last"
        i=$((i + 1))
    done
}

http_op() { # http_op WHAT EXPECTED-STATUS METHOD PATH
    local what=$1 want=$2 method=$3 path=$4 status
    status=$(curl -s -o "$TMP/hbody.$W" -w '%{http_code}' --max-time 90 -X "$method" \
        -H "PRIVATE-TOKEN: $TOKEN" "http://127.0.0.1:$PORT$path") || status="curl-error-$?"
    if [ "$status" = "$want" ]; then
        echo "ok $what" >>"$LOGS/$W"
    else
        echo "FAIL $what status $status: $(head -c 300 "$TMP/hbody.$W")" >>"$LOGS/$W"
    fi
}

http_reader() {
    W=reader.$1
    while [ "$SECONDS" -lt "$END" ]; do
        http_op "GET license" 200 GET /api/v4/license
        http_op "GET licenses" 200 GET /api/v4/licenses
        http_op "GET license/$KEEP_ID" 200 GET "/api/v4/license/$KEEP_ID"
        http_op "GET usage_export" 200 GET /api/v4/license/usage_export.csv
    done
}

http_refresher() {
    W=apirefresh.$1
    while [ "$SECONDS" -lt "$END" ]; do
        http_op "PUT refresh" 202 PUT "/api/v4/license/$KEEP_ID/refresh_billable_users"
    done
}

workers=()
refresh_loop & workers+=($!)
license_loop & workers+=($!)
users_loop & workers+=($!)
http_reader 1 & workers+=($!)
http_reader 2 & workers+=($!)
http_refresher 1 & workers+=($!)
http_refresher 2 & workers+=($!)
BG_PIDS+=("${workers[@]}")
for w in "${workers[@]}"; do
    wait "$w"
    forget_pid "$w"
done
serve_stop

# ---- verdicts -------------------------------------------------------------------


count() { cat "$@" 2>/dev/null | grep -c "$PATTERN"; }
ops_of() { PATTERN='^ok' count "$@"; }

begin "no operation failed"
fails=$(cat "$LOGS"/* 2>/dev/null | grep '^FAIL' || true)
if [ -n "$fails" ]; then
    flunk "$(echo "$fails" | wc -l) failed operations, e.g.: $(echo "$fails" | sort | uniq -c | sort -rn | head -5)"
fi
end

begin "every loop made progress"
for l in refresh license users reader.1 reader.2 apirefresh.1 apirefresh.2; do
    n=$(ops_of "$LOGS/$l")
    echo "      $l: $n operations"
    [ "$n" -ge 3 ] || flunk "$l managed only $n operations in $DURATION s"
done
end

begin "the server stopped cleanly"
[ "${SERVE_RC:-1}" -eq 0 ] || flunk "serve exited $SERVE_RC"
end

begin "the ledger passes PRAGMA integrity_check"
check=$(sqlite3 "$DB" 'PRAGMA integrity_check;' 2>&1)
[ "$check" = ok ] || flunk "integrity_check: $check"
end

sl --db "$DB" --json history
cp "$TMP/out" "$TMP/history.json"
begin "every snapshot a refresh reported is in the history, and no other"
expect_rc 0
python3 - "$TMP/history.json" "$LOGS/refresh.json" "$SETUP_SNAPSHOTS" \
    "$(PATTERN='^ok PUT refresh' count "$LOGS"/apirefresh.*)" >"$TMP/verdict" 2>&1 <<'EOF' ||
import collections, json, sys
history = json.load(open(sys.argv[1]))
reported = [json.loads(l) for l in open(sys.argv[2]) if l.strip()] if len(sys.argv) > 2 else []
setup, api_ok = int(sys.argv[3]), int(sys.argv[4])
problems = []
have = collections.Counter((s["recorded_at"], s["billable_user_count"]) for s in history if s["source"] == "cli")
want = collections.Counter((s["recorded_at"], s["billable_user_count"]) for s in reported)
missing = want - have
if missing:
    problems.append("%d reported CLI snapshots are missing, e.g. %s" % (sum(missing.values()), list(missing)[:3]))
cli = sum(1 for s in history if s["source"] == "cli")
api = sum(1 for s in history if s["source"] == "api")
if cli != len(reported) + setup:
    problems.append("history has %d CLI snapshots, refreshes reported %d (+%d at setup)" % (cli, len(reported), setup))
if api != api_ok:
    problems.append("history has %d API snapshots, the API accepted %d refreshes" % (api, api_ok))
times = [s["recorded_at"] for s in history]
if times != sorted(times):
    problems.append("history is not in time order")
print("; ".join(problems))
sys.exit(1 if problems else 0)
EOF
    flunk "$(cat "$TMP/verdict")"
end

begin "licenses: only the one never deleted remains"
sl --db "$DB" --json license list
expect_rc 0
ids=$(python3 -c 'import json,sys; print(" ".join(str(l["id"]) for l in json.load(open(sys.argv[1]))))' "$TMP/out")
[ "$ids" = "$KEEP_ID" ] || flunk "license ids '$ids', expected '$KEEP_ID'"
end

begin "users: the directory is the last file imported"
sl --db "$DB" --json users count
expect_rc 0
last=$(cat "$LOGS/users.last" 2>/dev/null || echo "$TMP/users60.csv")
want=$(($(wc -l <"$last") - 1))
expect_out "\"total\":$want"
end

finish 7
