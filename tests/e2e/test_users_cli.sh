#!/usr/bin/env bash
# End-to-end: `seatledger users`: import (CSV, JSON Lines, standard input,
# --prune, refusals that leave the ledger byte-for-byte unchanged), list and
# count without a license and under an ultimate one; exact output and exit
# codes.
source "$(dirname "$0")/lib.sh"
sample_csv=$SRC/fixtures/users/sample.csv
sample_jsonl=$SRC/fixtures/users/sample.jsonl
cd "$TMP"

# expect_run NAME EXIT STDOUT STDERR CMD...: run and compare all three
expect_run() {
  local name=$1 want=$2 want_out=$3 want_err=$4
  shift 4
  run "$want" "$@"
  expect_eq "$name: stdout" "$out" "$want_out"
  expect_eq "$name: stderr" "$err" "$want_err"
}

usage_err() { # the usage error text for MESSAGE
  printf "seatledger: %s\nTry 'seatledger help' for usage." "$1"
}

# ---- an empty directory ----------------------------------------------------
expect_run "list with no users" 0 "no users (import them with 'seatledger users import FILE')" "" \
  "$SL" users list
expect_run "count with no users" 0 '{"plan":"none","billable":0,"total":0,"excluded":{}}' "" \
  "$SL" --json users count

# ---- import ----------------------------------------------------------------
# stderr is not a terminal here: no progress bar
expect_run "import the CSV sample" 0 "imported 30 users: 30 new, 0 updated, 0 removed" "" \
  "$SL" users import "$sample_csv"
expect_run "the JSON Lines sample is the same directory" 0 \
  '{"rows":30,"inserted":0,"updated":30,"removed":0}' "" \
  "$SL" users import "$sample_jsonl" --json

expect_run "count, readable" 0 "plan:      none (no current license)
users:     30
billable:  14
excluded:  16
  blocked                     2
  pending_approval            1
  deactivated                 1
  banned                      1
  bot                         9
  minimal_access              2" "" "$SL" users count
expect_run "count --json" 0 \
  '{"plan":"none","billable":14,"total":30,"excluded":{"blocked":2,"pending_approval":1,"deactivated":1,"banned":1,"bot":9,"minimal_access":2}}' "" \
  "$SL" --json users count

run 0 "$SL" users list
expect_eq "list: lines" "$(printf '%s\n' "$out" | wc -l)" 31
expect_eq "list: first rows" "$(printf '%s\n' "$out" | head -n 4)" \
"ID  USERNAME                 STATE                     TYPE                 ROLE
1   root                     active                    human                owner
10  ivan                     blocked                   human                developer
11  judy                     ldap_blocked              human                reporter"

expect_run "list --billable --explain" 0 "ID  USERNAME   STATE   TYPE          ROLE        REASON
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
9   heidi      active  human         none        billable" "" "$SL" users list --billable --explain

run 0 "$SL" users list --explain
expect_eq "list --explain gives each exclusion's reason" \
  "$(printf '%s\n' "$out" | grep -E '^(12|17|29) ')" \
"12  mallory                  blocked_pending_approval  human                none            pending_approval
17  alert-bot                active                    alert_bot            none            bot
29  walter                   active                    human                minimal_access  minimal_access"

# ---- refusals leave the ledger exactly as it was -----------------------------
before=$(ledger_sum)
printf 'id,username,state\n1,a,active\n2,b,actve\n' >bad.csv
expect_run "unknown state is refused with its line" 1 "" \
  "seatledger: cannot import 'bad.csv': line 3: unknown state 'actve'" \
  "$SL" users import bad.csv
expect_eq "a refused import leaves the ledger unchanged" "$(ledger_sum)" "$before"

printf 'id,username,state\n1,a,active\n2,"b\nc",active\n1,d,active\n' >dup.txt
expect_run "duplicate id from standard input, after a multi-line record" 1 "" \
  "seatledger: cannot import standard input: line 5: duplicate id '1'" \
  "$SL" users import --prune - <dup.txt
printf '{"id":1,"username":"a","state":"active","nick":"x"}\n' >bad.jsonl
expect_run "JSON Lines chosen by extension; unknown key refused" 1 "" \
  "seatledger: cannot import 'bad.jsonl': line 1: unknown key 'nick'" \
  "$SL" users import bad.jsonl --prune
printf 'id,username,state,nick\n' >extra.csv
expect_run "unknown CSV column refused" 1 "" \
  "seatledger: cannot import 'extra.csv': line 1: unknown column 'nick'" \
  "$SL" users import extra.csv
expect_run "--format overrides the extension" 1 "" \
  "seatledger: cannot import 'bad.jsonl': line 1: malformed CSV: a quote inside an unquoted field or text after a closing quote" \
  "$SL" users import --format csv bad.jsonl
: >empty.csv
expect_run "empty file refused, even with --prune" 1 "" \
  "seatledger: cannot import 'empty.csv': empty input: expected a header row" \
  "$SL" users import empty.csv --prune
expect_eq "refused imports leave the ledger unchanged" "$(ledger_sum)" "$before"

expect_run "missing file" 3 "" "seatledger: cannot open 'missing.csv': No such file or directory" \
  "$SL" users import missing.csv
expect_run "a directory" 1 "" "seatledger: cannot read '$TMP': is a directory" \
  "$SL" users import "$TMP"

# ---- usage -----------------------------------------------------------------
expect_run "no subcommand" 2 "" "$(usage_err "users needs a subcommand: import, list, count")" \
  "$SL" users
expect_run "unknown subcommand" 2 "" "$(usage_err "unknown users subcommand 'frobnicate'")" \
  "$SL" users frobnicate
expect_run "import without a file" 2 "" \
  "$(usage_err "users import needs a FILE (or - for standard input)")" "$SL" users import
expect_run "import with two files" 2 "" "$(usage_err "users import: unexpected argument 'b.csv'")" \
  "$SL" users import a.csv b.csv
expect_run "bad --format" 2 "" "$(usage_err "--format must be csv or jsonl, not 'xml'")" \
  "$SL" users import --format xml a.csv
expect_run "unknown import option" 2 "" "$(usage_err "users import: unknown option '--merge'")" \
  "$SL" users import --merge a.csv
expect_run "unknown list option" 2 "" "$(usage_err "users list: unexpected argument '--all'")" \
  "$SL" users list --all
expect_run "count takes no argument" 2 "" "$(usage_err "users count: unexpected argument 'now'")" \
  "$SL" users count now

# ---- under an ultimate license -----------------------------------------------
run 0 "$SL" keys generate --private "$TMP/v.pem" --public "$TMP/v.pub.pem"
run 0 "$SL" keys trust "$TMP/v.pub.pem" --name vendor
run 0 "$SL" license issue --private-key "$TMP/v.pem" --licensee-name Ada \
  --licensee-email ada@example.com --licensee-company Example --plan ultimate \
  --users 20 --starts 2026-01-01 --expires 2026-12-31 --out "$TMP/u.gitlab-license"
run 0 "$SL" license add "$TMP/u.gitlab-license"
expect_run "count under ultimate" 0 \
  '{"plan":"ultimate","billable":11,"total":30,"excluded":{"blocked":2,"pending_approval":1,"deactivated":1,"banned":1,"bot":9,"minimal_access":2,"no_membership_on_ultimate":1,"guest_on_ultimate":2}}' "" \
  "$SL" users count --json
run 0 "$SL" users count
expect_eq "count under ultimate, readable" "$(printf '%s\n' "$out" | head -n 3)" "plan:      ultimate
users:     30
billable:  11"
run 0 "$SL" users list --explain
expect_eq "free guests and users without membership on ultimate" \
  "$(printf '%s\n' "$out" | grep -E '^(6|7|9|21|28) ' | awk '{ print $1, $5, $6 }')" \
"21 guest guest_on_ultimate
28 guest billable
6 guest guest_on_ultimate
7 guest billable
9 none no_membership_on_ultimate"
run 0 "$SL" users list --billable
expect_eq "list --billable under ultimate" "$(printf '%s\n' "$out" | awk 'NR > 1 { print $1 }' | tr '\n' ' ')" \
  "1 2 20 26 27 28 3 30 4 5 7 "

# ---- prune, standard input, numbers ----------------------------------------
printf '{"id":"7","username":"frank","state":"active","highest_role":"guest","guest_seat":true}\n{"id":"x1","username":"xavier","state":"active","user_type":"project_bot"}\n' >two.txt
expect_run "prune from standard input" 0 "imported 2 users: 1 new, 1 updated, 29 removed" "" \
  "$SL" users import --format jsonl --prune - <two.txt
expect_run "list --json --explain" 0 \
  '[{"id":"7","username":"frank","state":"active","type":"human","role":"guest","reason":"billable"},{"id":"x1","username":"xavier","state":"active","type":"project_bot","role":"none","reason":"bot"}]' "" \
  "$SL" --json users list --explain
expect_run "list --json --billable" 0 \
  '[{"id":"7","username":"frank","state":"active","type":"human","role":"guest"}]' "" \
  "$SL" users list --billable --json

printf 'id,username,state\nx1,xavier,banned\n' >one.csv
expect_run "one user" 0 "imported 1 user: 0 new, 1 updated, 0 removed" "" \
  "$SL" users import one.csv

awk 'BEGIN { print "id,username,state"; for (i = 1; i <= 1234; i++) printf "n%d,user%d,active\n", i, i }' >many.csv
expect_run "thousands separators" 0 "imported 1,234 users: 1,234 new, 0 updated, 2 removed" "" \
  "$SL" users import many.csv --prune
expect_run "count after the big import" 0 \
  '{"plan":"ultimate","billable":0,"total":1234,"excluded":{"no_membership_on_ultimate":1234}}' "" \
  "$SL" --json users count

finish
