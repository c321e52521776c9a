#!/usr/bin/env bash
# Smoke check of the benchmark user generator: exact header, row count and
# field values, determinism, billable counts recomputed independently, and,
# when $SEATLEDGER names the CLI, the real importer accepting the file and
# counting what the generator says it made.
# usage: smoke_gen_users.sh PATH/TO/gen_users
set -euo pipefail
gen=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$gen" 1000 --summary "$tmp/summary.json" > "$tmp/a.csv"
"$gen" 1000 > "$tmp/b.csv"
"$gen" 1000 --seed 7 > "$tmp/c.csv"
cmp -s "$tmp/a.csv" "$tmp/b.csv" || fail "same seed gave different output"
cmp -s "$tmp/a.csv" "$tmp/c.csv" && fail "different seeds gave the same output"

[ "$(head -n1 "$tmp/a.csv")" = "id,username,email,state,user_type,highest_role,guest_seat,last_activity_on" ] \
  || fail "unexpected header: $(head -n1 "$tmp/a.csv")"
[ "$(wc -l < "$tmp/a.csv")" -eq 1001 ] || fail "expected 1001 lines, got $(wc -l < "$tmp/a.csv")"

# Every row well formed; billable counts by the rules of ledger-rules.md.
read -r total ult other < <(awk -F, '
  NR == 1 { next }
  NF != 8 { print "bad field count on line " NR > "/dev/stderr"; exit 1 }
  $1 != NR - 1 { print "bad id on line " NR > "/dev/stderr"; exit 1 }
  $4 !~ /^(active|blocked|ldap_blocked|blocked_pending_approval|deactivated|banned)$/ { print "bad state on line " NR > "/dev/stderr"; exit 1 }
  $5 !~ /^[a-z_]+$/ { print "bad type on line " NR > "/dev/stderr"; exit 1 }
  $6 !~ /^(none|minimal_access|guest|planner|reporter|developer|maintainer|owner)$/ { print "bad role on line " NR > "/dev/stderr"; exit 1 }
  $7 !~ /^(true|false)$/ { print "bad guest_seat on line " NR > "/dev/stderr"; exit 1 }
  $7 == "true" && $6 != "guest" { print "guest_seat on a non-guest, line " NR > "/dev/stderr"; exit 1 }
  $8 !~ /^(|20[0-9][0-9]-[01][0-9]-[0-3][0-9])$/ { print "bad date on line " NR > "/dev/stderr"; exit 1 }
  {
    n++; types[$5] = 1; states[$4] = 1; roles[$6] = 1
    eligible = ($4 == "active" && ($5 == "human" || $5 == "service_user"))
    if (eligible && ($6 ~ /^(planner|reporter|developer|maintainer|owner)$/ || $7 == "true")) u++
    if (eligible && $6 != "minimal_access") o++
  }
  END {
    if (length(states) < 4 || length(roles) < 8 || length(types) < 4) { print "mix too narrow" > "/dev/stderr"; exit 1 }
    print n, u, o
  }' "$tmp/a.csv")
[ "$(cat "$tmp/summary.json")" = "{\"total\":$total,\"billable_ultimate\":$ult,\"billable_other\":$other}" ] \
  || fail "summary $(cat "$tmp/summary.json") does not match recount $total $ult $other"
[ "$ult" -gt 0 ] && [ "$ult" -lt "$other" ] || fail "implausible billable counts $ult/$other"

"$gen" 3 --format jsonl > "$tmp/d.jsonl"
[ "$(wc -l < "$tmp/d.jsonl")" -eq 3 ] || fail "jsonl: expected 3 lines"
head -n1 "$tmp/d.jsonl" | grep -q '^{"id":"1","username":"user0000001",' || fail "jsonl: unexpected first line"
# (a CLI built before the users command existed answers with a usage error)
if [ -n "${SEATLEDGER:-}" ] && [ -x "$SEATLEDGER" ] &&
   "$SEATLEDGER" --db "$tmp/probe.db" users count >/dev/null 2>&1; then
  "$SEATLEDGER" --db "$tmp/ledger.db" users import "$tmp/a.csv" >/dev/null \
    || fail "seatledger users import rejected the generated file"
  # no license: the non-ultimate rule, so the count is billable_other
  counted=$("$SEATLEDGER" --db "$tmp/ledger.db" --json users count)
  case "$counted" in
    *"\"billable\":$other,\"total\":$total"*) ;;
    *) fail "users count says $counted, the generator made $other billable of $total" ;;
  esac
fi
echo "gen_users smoke: 1000 rows, billable ultimate=$ult other=$other"
