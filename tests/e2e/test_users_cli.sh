#!/usr/bin/env bash
# test_users_cli.sh - `seatledger users`: import (CSV, JSON Lines, standard
# input, --prune, refusals that leave the ledger untouched), list and count,
# checked by exact output and exit code.
set -u

if [ -z "${SEATLEDGER:-}" ] || [ ! -x "$SEATLEDGER" ]; then
    echo "skip: the seatledger CLI is not built (SEATLEDGER='${SEATLEDGER:-}')"
    exit 77
fi
src=${SL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
sample_csv=$src/fixtures/users/sample.csv
sample_jsonl=$src/fixtures/users/sample.jsonl

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SEATLEDGER_DB=$tmp/ledger.db
export SEATLEDGER_NOW=2024-06-10T12:00:00Z
cd "$tmp" || exit 1

failures=0
out= err= rc=

# run CMD...: capture stdout, stderr and the exit code (stdin is passed on)
run() {
    "$SEATLEDGER" "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    out=$(cat "$tmp/out")
    err=$(cat "$tmp/err")
}

# expect NAME RC STDOUT STDERR: compare the last run
expect() {
    local name=$1 want_rc=$2 want_out=$3 want_err=$4
    if [ "$rc" != "$want_rc" ] || [ "$out" != "$want_out" ] || [ "$err" != "$want_err" ]; then
        failures=$((failures + 1))
        echo "FAIL: $name"
        echo "  exit:   want $want_rc, got $rc"
        [ "$out" != "$want_out" ] && printf '  stdout: want\n%s\n  got\n%s\n' "$want_out" "$out"
        [ "$err" != "$want_err" ] && printf '  stderr: want\n%s\n  got\n%s\n' "$want_err" "$err"
    else
        echo "ok: $name"
    fi
}

# ---- an empty directory ----------------------------------------------------
run users list
expect "list with no users" 0 "no users (import them with 'seatledger users import FILE')" ""
run --json users count
expect "count with no users" 0 '{"plan":"none","billable":0,"total":0,"excluded":{}}' ""

# ---- import ------------------------------------------------------------------
run users import "$sample_csv"
expect "import the CSV sample" 0 "imported 30 users: 30 new, 0 updated, 0 removed" ""

run --json users import "$sample_jsonl"
expect "the JSON Lines sample is the same directory" 0 \
    '{"rows":30,"inserted":0,"updated":30,"removed":0}' ""

run users count
expect "count, readable" 0 "plan:      none (no current license)
users:     30
billable:  14
excluded:  16
  blocked                     2
  pending_approval            1
  deactivated                 1
  banned                      1
  bot                         9
  minimal_access              2" ""

run --json users count
expect "count --json" 0 \
    '{"plan":"none","billable":14,"total":30,"excluded":{"blocked":2,"pending_approval":1,"deactivated":1,"banned":1,"bot":9,"minimal_access":2}}' ""

run users list
head=$(printf '%s\n' "$out" | head -n 4)
rows=$(printf '%s\n' "$out" | wc -l)
out=$head
expect "list, first rows" 0 "ID  USERNAME                 STATE                     TYPE                 ROLE
1   root                     active                    human                owner
10  ivan                     blocked                   human                developer
11  judy                     ldap_blocked              human                reporter" ""
[ "$rows" -eq 31 ] || { failures=$((failures + 1)); echo "FAIL: list has $rows lines, want 31"; }

run users list --billable --explain
expect "list --billable --explain" 0 "ID  USERNAME   STATE   TYPE          ROLE        REASON
1   root       active  human         owner       billable
2   alice      active  human         maintainer  billable
20  ci-runner  active  service_user  developer   billable
21  deploy     active  service_user  guest       billable
26  peggy      active  human         owner       billable
27  trent      active  human         developer   billable
28  victor     active  human         guest       billable
3   bob        active  human         developer   billable
30  zoe        active  human         reporter    billable
4   carol      active  human         reporter    billable
5   dave       active  human         planner     billable
6   erin       active  human         guest       billable
7   frank      active  human         guest       billable
9   heidi      active  human         none        billable" ""

run users list --explain
out=$(printf '%s\n' "$out" | grep -E '^(12|17|29) ')
expect "list --explain gives each exclusion's reason" 0 \
"12  mallory                  blocked_pending_approval  human                none            pending_approval
17  alert-bot                active                    alert_bot            none            bot
29  walter                   active                    human                minimal_access  minimal_access" ""

# ---- refusals leave the ledger exactly as it was ---------------------------
cp "$SEATLEDGER_DB" "$tmp/before.db"
printf 'id,username,state\n1,a,active\n2,b,actve\n' >bad.csv
run users import bad.csv
expect "unknown state is refused with its line" 1 "" \
    "seatledger: cannot import 'bad.csv': line 3: unknown state 'actve'"
cmp -s "$SEATLEDGER_DB" "$tmp/before.db" ||
    { failures=$((failures + 1)); echo "FAIL: a refused import changed the ledger"; }

printf 'id,username,state\n1,a,active\n2,"b\nc",active\n1,d,active\n' >dup.txt
run users import --prune - <dup.txt
expect "duplicate id from standard input, after a multi-line record" 1 "" \
    "seatledger: cannot import standard input: line 5: duplicate id '1'"

printf '{"id":1,"username":"a","state":"active","nick":"x"}\n' >bad.jsonl
run users import bad.jsonl --prune
expect "JSON Lines chosen by extension; unknown key refused" 1 "" \
    "seatledger: cannot import 'bad.jsonl': line 1: unknown key 'nick'"

printf 'id,username,state,nick\n' >extra.csv
run users import extra.csv
expect "unknown CSV column refused" 1 "" \
    "seatledger: cannot import 'extra.csv': line 1: unknown column 'nick'"

run users import --format csv bad.jsonl
expect "--format overrides the extension" 1 "" \
    "seatledger: cannot import 'bad.jsonl': line 1: malformed CSV: a quote inside an unquoted field or text after a closing quote"

: >empty.csv
run users import empty.csv --prune
expect "empty file refused" 1 "" \
    "seatledger: cannot import 'empty.csv': empty input: expected a header row"

cmp -s "$SEATLEDGER_DB" "$tmp/before.db" ||
    { failures=$((failures + 1)); echo "FAIL: refused imports changed the ledger"; }

run users import missing.csv
expect "missing file" 3 "" "seatledger: cannot open 'missing.csv': No such file or directory"
run users import "$tmp"
expect "a directory" 1 "" "seatledger: cannot read '$tmp': is a directory"

# ---- usage ---------------------------------------------------------------
run users
expect "no subcommand" 2 "" "seatledger: users needs a subcommand: import, list, count
Try 'seatledger help' for usage."
run users frobnicate
expect "unknown subcommand" 2 "" "seatledger: unknown users subcommand 'frobnicate'
Try 'seatledger help' for usage."
run users import
expect "import without a file" 2 "" "seatledger: users import needs a FILE (or - for standard input)
Try 'seatledger help' for usage."
run users import a.csv b.csv
expect "import with two files" 2 "" "seatledger: users import: unexpected argument 'b.csv'
Try 'seatledger help' for usage."
run users import --format xml a.csv
expect "bad --format" 2 "" "seatledger: --format must be csv or jsonl, not 'xml'
Try 'seatledger help' for usage."
run users import --merge a.csv
expect "unknown import option" 2 "" "seatledger: users import: unknown option '--merge'
Try 'seatledger help' for usage."
run users list --all
expect "unknown list option" 2 "" "seatledger: users list: unexpected argument '--all'
Try 'seatledger help' for usage."
run users count now
expect "count takes no argument" 2 "" "seatledger: users count: unexpected argument 'now'
Try 'seatledger help' for usage."

# ---- prune, standard input, numbers ----------------------------------------
printf '{"id":"7","username":"frank","state":"active","highest_role":"guest","guest_seat":true}\n{"id":"x1","username":"xavier","state":"active","user_type":"project_bot"}\n' >two.txt
run users import --format jsonl --prune - <two.txt
expect "prune from standard input" 0 "imported 2 users: 1 new, 1 updated, 29 removed" ""

run --json users list --explain
expect "list --json --explain" 0 \
    '[{"id":"7","username":"frank","state":"active","type":"human","role":"guest","reason":"billable"},{"id":"x1","username":"xavier","state":"active","type":"project_bot","role":"none","reason":"bot"}]' ""
run --json users list --billable
expect "list --json --billable" 0 \
    '[{"id":"7","username":"frank","state":"active","type":"human","role":"guest"}]' ""

printf 'id,username,state\nx1,xavier,banned\n' >one.ndjson.csv
run users import one.ndjson.csv
expect "one user" 0 "imported 1 user: 0 new, 1 updated, 0 removed" ""

awk 'BEGIN { print "id,username,state"; for (i = 1; i <= 1234; i++) printf "n%d,user%d,active\n", i, i }' >many.csv
run users import many.csv --prune
expect "thousands separators" 0 "imported 1,234 users: 1,234 new, 0 updated, 2 removed" ""
run --json users count
expect "count after the big import" 0 '{"plan":"none","billable":1234,"total":1234,"excluded":{}}' ""

if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed"
    exit 1
fi
echo "all checks passed"
