#!/usr/bin/env bash
# End-to-end: the ledger commands of the CLI (refresh, history, usage export,
# status, backup) over a year of snapshots: exact output, exit codes, the
# clock-safety refusal leaving the ledger byte-for-byte unchanged, the usage
# CSV byte for byte, atomic --out, and a restorable online backup.
source "$(dirname "$0")/lib.sh"

# The user directory comes in through `users import` (cli/users.c).
probe=$("$SL" users import 2>&1 || true)
case "$probe" in
  *"unknown command 'users'"*) echo "SKIP: this build has no 'users' command yet"; exit 77 ;;
esac

users() { # N: replace the user directory with N billable users
  {
    echo "id,username,state,user_type,highest_role"
    for ((i = 1; i <= $1; i++)); do echo "u$i,user$i,active,human,developer"; done
  } >"$TMP/users.csv"
  run 0 "$SL" users import "$TMP/users.csv" --prune
}

# ---- an empty ledger -------------------------------------------------------
export SEATLEDGER_NOW=2026-01-01T12:00:00Z
run 0 "$SL" --json status
expect_contains "status json, no license" "$out" '"has_license":false,"license_id":null,"plan":null,'
expect_contains "status json notices" "$out" '"notices":["no current license: add one with seatledger license add","no snapshot recorded yet: run seatledger refresh"]'
run 3 "$SL" usage export
expect_eq "export without license" "$err" "seatledger: no current license"
expect_eq "export without license: no output" "$out" ""
run 0 "$SL" refresh --json
expect_eq "refresh json" "$out" '{"recorded_at":"2026-01-01T12:00:00.000Z","billable_user_count":0,"add_on_metrics":[]}'
run 2 "$SL" refresh --source api
expect_eq "refresh bad source" "$err" "seatledger: refresh: --source must be cron or cli, not 'api'
Try 'seatledger help' for usage."
run 2 "$SL" refresh --bogus
run 2 "$SL" usage
run 2 "$SL" usage export --out
run 2 "$SL" backup
run 2 "$SL" status extra

# ---- a license and a year of refreshes ----------------------------------------
run 0 "$SL" keys generate --private "$TMP/v.pem" --public "$TMP/v.pub.pem"
run 0 "$SL" keys trust "$TMP/v.pub.pem" --name vendor
run 0 "$SL" license issue --private-key "$TMP/v.pem" --licensee-name "Ada" \
  --licensee-email ada@example.com --licensee-company '=Evil "Corp", Inc.' --plan premium \
  --users 10 --starts 2026-01-01 --expires 2026-12-31 --out "$TMP/k.gitlab-license"
run 0 "$SL" license add "$TMP/k.gitlab-license"

# months pass between these refreshes (a real ledger records daily): the
# admin confirms each jump of more than 31 days (docs/security.md)
users 8
SEATLEDGER_NOW=2026-03-01T12:00:00Z run 0 "$SL" clock confirm
SEATLEDGER_NOW=2026-03-01T12:00:00Z run 0 "$SL" refresh --source cron
expect_eq "refresh readable" "$out" "recorded 8 billable users at 2026-03-01 12:00:00 UTC"
SEATLEDGER_NOW=2026-06-01T12:00:00Z run 0 "$SL" clock confirm
SEATLEDGER_NOW=2026-06-01T12:00:00Z users 12
SEATLEDGER_NOW=2026-06-01T12:00:00Z run 0 "$SL" refresh
SEATLEDGER_NOW=2026-06-02T12:00:00Z users 1
SEATLEDGER_NOW=2026-06-02T12:00:00Z run 0 "$SL" refresh
expect_eq "refresh one user" "$out" "recorded 1 billable user at 2026-06-02 12:00:00 UTC"
export SEATLEDGER_NOW=2026-11-22T12:00:00Z
run 0 "$SL" clock confirm
users 9
run 0 "$SL" --json refresh --source cron
expect_eq "refresh json, cron" "$out" '{"recorded_at":"2026-11-22T12:00:00.000Z","billable_user_count":9,"add_on_metrics":[]}'

# the clock set back: refused, nothing written
# (ledger_sum's pipeline fails when SQLite removed an empty -wal; its output is still right)
before=$(ledger_sum) || true
SEATLEDGER_NOW=2026-11-21T00:00:00Z run 1 "$SL" refresh
expect_eq "clock behind" "$err" "seatledger: clock is behind the ledger: now is 2026-11-21T00:00:00.000Z, the ledger's latest event was recorded at 2026-11-22T12:00:00.000Z"
expect_eq "clock behind: unchanged" "$(ledger_sum)" "$before"

# ---- history -------------------------------------------------------------------
run 0 "$SL" history
expect_eq "history table" "$out" "RECORDED AT              BILLABLE USERS  SOURCE
2026-01-01 12:00:00 UTC               0  cli
2026-03-01 12:00:00 UTC               8  cron
2026-06-01 12:00:00 UTC              12  cli
2026-06-02 12:00:00 UTC               1  cli
2026-11-22 12:00:00 UTC               9  cron"
run 0 "$SL" history --from 2026-03-01 --to 2026-06-01 --json
expect_eq "history window json" "$out" '[{"recorded_at":"2026-03-01T12:00:00.000Z","billable_user_count":8,"source":"cron"},{"recorded_at":"2026-06-01T12:00:00.000Z","billable_user_count":12,"source":"cli"}]'
run 0 "$SL" --json history --from 2026-06-01T12:00:00.001Z --to 2026-06-02T12:00:00Z
expect_eq "history instants" "$out" '[{"recorded_at":"2026-06-02T12:00:00.000Z","billable_user_count":1,"source":"cli"}]'
run 0 "$SL" --json history --from 2027-01-01
expect_eq "history empty" "$out" '[]'
run 2 "$SL" history --from 2026-02-30
expect_eq "history bad date" "$err" "seatledger: history: --from: invalid date '2026-02-30': expected YYYY-MM-DD
Try 'seatledger help' for usage."

# ---- figures and status -----------------------------------------------------------
run 0 "$SL" --json license show
expect_contains "entity figures" "$out" '"historical_max":12,"maximum_user_count":12,"expired":false,"overage":0,"user_limit":10,"active_users":9,'
run 0 "$SL" status
expect_contains "status license" "$out" "License 1: premium"
expect_contains "status licensee" "$out" "licensee:        Ada <ada@example.com>, =Evil \"Corp\", Inc."
expect_contains "status term" "$out" "term:            2026-01-01 to 2026-12-31 (39 days left)"
expect_contains "status seats" "$out" "seats:           10"
expect_contains "status maximum" "$out" "maximum:         12 (historical max 12)"
expect_contains "status notices" "$out" "Notices:
  - license is nearing its user limit: 9 of 10 seats used"
run 0 "$SL" status --json
expect_contains "status json" "$out" '"has_license":true,"license_id":1,"plan":"premium","licensee_name":"Ada",'
expect_contains "status json figures" "$out" '"days_left":39,"expired":false,"trial":false,"seats":10,"billable_now":9,"daily_billable":9,"historical_max":12,"maximum_user_count":12,"overage":0,"snapshots":5,"last_snapshot_at":"2026-11-22T12:00:00.000Z"'
# expired: the overage is the maximum's
SEATLEDGER_NOW=2027-01-02T00:00:00Z run 0 "$SL" --json license show
expect_contains "expired overage" "$out" '"historical_max":12,"maximum_user_count":12,"expired":true,"overage":2,'

# ---- usage CSV ------------------------------------------------------------------
key=$(cat "$TMP/k.gitlab-license")
printf 'License Key,"%s\n"\nEmail,ada@example.com\nLicense Start Date,2026-01-01\nLicense End Date,2026-12-31\nCompany,"'"'"'=Evil ""Corp"", Inc."\nGenerated At,2026-11-22 12:00:00\n"",""\nDate,Billable User Count\n2026-01-01 12:00:00,0\n2026-03-01 12:00:00,8\n2026-06-01 12:00:00,12\n2026-06-02 12:00:00,1\n2026-11-22 12:00:00,9\n' "$key" >"$TMP/expected.csv"
"$SL" usage export >"$TMP/stdout.csv"
checks=$((checks + 1))
cmp -s "$TMP/stdout.csv" "$TMP/expected.csv" || fail "usage CSV on stdout differs: $(diff "$TMP/expected.csv" "$TMP/stdout.csv")"
mkdir "$TMP/exports"
echo "old" >"$TMP/exports/license_usage.csv"
run 0 "$SL" usage export --out "$TMP/exports/license_usage.csv"
expect_eq "export --out prints nothing" "$out" ""
checks=$((checks + 1))
cmp -s "$TMP/exports/license_usage.csv" "$TMP/expected.csv" || fail "usage CSV --out differs"
expect_eq "no temp file left" "$(ls "$TMP/exports")" "license_usage.csv"
run 1 "$SL" usage export --out "$TMP/exports"
expect_eq "--out a directory" "$err" "seatledger: cannot write '$TMP/exports': is a directory"
run 4 "$SL" usage export --out "$TMP/missing/usage.csv"
expect_eq "--out in a missing directory" "$err" "seatledger: cannot write '$TMP/missing/usage.csv': No such file or directory"

# ---- backup and restore -----------------------------------------------------------
run 0 "$SL" backup "$TMP/backup.db"
expect_eq "backup" "$out" "backed up '$SEATLEDGER_DB' to '$TMP/backup.db'"
expect_eq "backup mode" "$(stat -c %a "$TMP/backup.db")" "600"
run 1 "$SL" backup "$TMP/backup.db"
expect_eq "backup exists" "$err" "seatledger: cannot create '$TMP/backup.db': File exists"
run 0 "$SL" --json history
hist=$out
# restore: the backup alone (no -wal beside it) is the whole ledger
mkdir "$TMP/restored"
cp "$TMP/backup.db" "$TMP/restored/ledger.db"
run 0 "$SL" --db "$TMP/restored/ledger.db" --json history
expect_eq "restored history" "$out" "$hist"
run 0 "$SL" --db "$TMP/restored/ledger.db" --json license show
expect_contains "restored license" "$out" '"id":1,"plan":"premium"'
expect_eq "integrity" "$(sqlite3 "$TMP/restored/ledger.db" 'PRAGMA integrity_check')" "ok"

finish
