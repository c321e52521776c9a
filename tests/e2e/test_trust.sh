#!/usr/bin/env bash
# End-to-end: the hash-chained ledger and signed usage reports
# (docs/trust.md) through the CLI: `ledger verify` on an intact ledger,
# the peak day deleted with sqlite3 (named exactly, refresh and the report
# refused, the ledger byte for byte unchanged), `--accept-break`, reports
# verified offline and against each other, changed and foreign reports
# refused, and a ledger made before the chain chained when first opened.
source "$(dirname "$0")/lib.sh"

command -v sqlite3 >/dev/null || { echo "SKIP: no sqlite3 shell"; exit 77; }

users() { # N: the directory holds N billable users
  {
    echo "id,username,state,user_type,highest_role"
    for ((i = 1; i <= $1; i++)); do echo "u$i,user$i,active,human,developer"; done
  } >"$TMP/users.csv"
  run 0 "$SL" users import "$TMP/users.csv" --prune
}

# ---- a license and a week of refreshes, the peak on the 3rd ----------------
export SEATLEDGER_NOW=2026-11-01T09:00:00Z
run 0 "$SL" keys generate --private "$TMP/v.pem" --public "$TMP/v.pub.pem"
run 0 "$SL" keys trust "$TMP/v.pub.pem" --name vendor
run 0 "$SL" license issue --private-key "$TMP/v.pem" --licensee-name Ada \
  --licensee-email ada@example.com --licensee-company Example --plan premium --users 50 \
  --starts 2026-01-01 --expires 2027-01-01 --out "$TMP/k.gitlab-license"
run 0 "$SL" license add "$TMP/k.gitlab-license"
for day in 1 2 3 4 5; do
  export SEATLEDGER_NOW=2026-11-0${day}T12:00:00Z
  case $day in 3) users 30 ;; *) users $((10 + day)) ;; esac
  run 0 "$SL" refresh --source cron
done
export SEATLEDGER_NOW=2026-11-05T13:00:00Z

# ---- intact ------------------------------------------------------------------
run 0 "$SL" ledger verify
head=$(sed -n 's/^head: position \([0-9]*\), hash \([0-9a-f]*\)$/\1 \2/p' <<<"$out")
rows=$(sqlite3 "$SEATLEDGER_DB" "SELECT count(*) FROM chain")
expect_eq "verify intact" "$(head -n1 <<<"$out")" "ledger intact: $rows chained rows"
expect_eq "verify head" "${head% *}" "$rows"
expect_eq "head hash is the chain's" "${head#* }" \
  "$(sqlite3 "$SEATLEDGER_DB" "SELECT lower(hex(hash)) FROM chain ORDER BY position DESC LIMIT 1")"
run 0 "$SL" ledger verify --json
expect_contains "verify json" "$out" "{\"intact\":true,\"head\":{\"position\":$rows,\"hash\":\"${head#* }\"},\"breaks\":0,\"unacknowledged\":0,\"accepted\":0,\"first_unacknowledged\":null,\"listed\":[]}"
run 2 "$SL" ledger verify --bogus
run 2 "$SL" ledger

# ---- a signed report, verified offline -----------------------------------------
run 0 "$SL" keys instance-public --reports
printf '%s\n' "$out" >"$TMP/instance.pub"
run 0 "$SL" usage report --out "$TMP/r1.json"
expect_eq "report written" "$(head -n1 <<<"$out")" "wrote $TMP/r1.json: a usage report signed with the instance key"
expect_contains "report snapshots" "$out" "snapshots: 5 (the highest 30 at 2026-11-03T12:00:00.000Z), 0 add-on snapshots"
run 0 "$SL" report verify "$TMP/r1.json" --instance-key "$TMP/instance.pub"
expect_eq "report valid" "$(head -n1 <<<"$out")" "$TMP/r1.json: valid"
expect_contains "report head" "$out" "chain:     positions 0 to $rows, head ${head#* }"
run 0 "$SL" --json report verify "$TMP/r1.json" --instance-key "$TMP/instance.pub"
expect_contains "report verify json" "$out" "{\"valid\":true,\"report\":{\"instance_id\":\""
expect_contains "report verify json head" "$out" "\"chain\":{\"start\":0,\"head\":$rows,\"hash\":\"${head#* }\"},\"snapshots\":5,"
run 2 "$SL" report verify "$TMP/r1.json"
expect_contains "report verify without key" "$err" "report verify: --instance-key PUB is needed"
run 3 "$SL" report verify "$TMP/nothing.json" --instance-key "$TMP/instance.pub"

# a changed count, not signed again
sed 's/"billable_user_count": 30/"billable_user_count": 3/' "$TMP/r1.json" >"$TMP/changed.json"
run 1 "$SL" report verify "$TMP/changed.json" --instance-key "$TMP/instance.pub"
expect_eq "changed report" "$err" "seatledger: '$TMP/changed.json': the report's signature does not verify: the report was changed after it was signed"
# cut short
head -c 2000 "$TMP/r1.json" >"$TMP/cut.json"
run 1 "$SL" report verify "$TMP/cut.json" --instance-key "$TMP/instance.pub"
expect_contains "cut report" "$err" "seatledger: '$TMP/cut.json': the report is not JSON (line "
# another key
run 0 "$SL" keys generate --type ed25519 --private "$TMP/o.pem" --public "$TMP/o.pub.pem"
run 1 "$SL" report verify "$TMP/r1.json" --instance-key "$TMP/o.pub.pem"
expect_contains "foreign key" "$err" "the report was signed with the key of SHA-256 "
expect_contains "foreign key names it" "$err" ", not with this instance key ("
# not an Ed25519 key
run 1 "$SL" report verify "$TMP/r1.json" --instance-key "$TMP/v.pub.pem"
expect_eq "rsa key" "$err" "seatledger: '$TMP/v.pub.pem' is not an Ed25519 public key in SPKI PEM ('seatledger keys instance-public --reports' on the instance prints its key)"

# ---- the peak day deleted with sqlite3 ---------------------------------------------
peak_id=$(sqlite3 "$SEATLEDGER_DB" "SELECT id FROM snapshots WHERE billable_user_count = 30")
peak_pos=$(sqlite3 "$SEATLEDGER_DB" "SELECT position FROM chain WHERE tbl = 2 AND row_id = $peak_id")
sqlite3 "$SEATLEDGER_DB" "DROP TRIGGER snapshots_no_delete; DELETE FROM snapshots WHERE id = $peak_id"
named="snapshots row $peak_id (chain position $peak_pos, recorded 2026-11-03T12:00:00.000Z) is missing: it was deleted"
run 1 "$SL" ledger verify
expect_eq "verify names the peak" "$out" "ledger broken: 1 break (1 not acknowledged) in $rows chained rows
head: position $rows, hash ${head#* }
break: $named"
expect_eq "verify's error" "$err" "seatledger: the ledger's hash chain is broken: $named"
before=$(ledger_sum)
export SEATLEDGER_NOW=2026-11-06T12:00:00Z
run 1 "$SL" refresh
expect_eq "refresh refused" "$err" "seatledger: the ledger's hash chain is broken: $named; 'seatledger ledger verify' lists every break and 'seatledger ledger verify --accept-break' acknowledges them"
run 1 "$SL" token create --name ci
expect_contains "token refused" "$err" "the ledger's hash chain is broken: $named"
run 1 "$SL" usage report --out "$TMP/broken.json"
expect_contains "report refused" "$err" "seatledger: cannot sign a usage report of a broken chain: $named"
expect_eq "nothing written" "$(ledger_sum)" "$before"
checks=$((checks + 1))
[ -e "$TMP/broken.json" ] && fail "a refused report left a file"

# ---- acknowledged -------------------------------------------------------------------
run 0 "$SL" ledger verify --accept-break
expect_eq "accept" "$(head -n1 <<<"$out")" "acknowledged 1 break; every verification keeps listing it"
run 0 "$SL" refresh --source cron
run 0 "$SL" ledger verify
expect_contains "acknowledged, listed" "$out" "acknowledged 2026-11-06T12:00:00.000Z: $named"
expect_contains "intact but for" "$out" "ledger intact but for acknowledged breaks: "
run 0 "$SL" ledger verify --accept-break
expect_contains "nothing more to acknowledge" "$out" "ledger intact but for acknowledged breaks: "
checks=$((checks + 1))
case $out in *acknowledged\ 1\ break\;*) fail "a second acknowledgement acknowledged again" ;; esac
expect_eq "one accept audited" "$(sqlite3 "$SEATLEDGER_DB" "SELECT count(*) FROM audit_log WHERE action = 'ledger.accept_break'")" "1"

# ---- the newer report does not extend the older: the break is in its range ---------
run 0 "$SL" usage report --out "$TMP/r2.json"
expect_contains "report of an acknowledged break" "$out" "breaks:    1 acknowledged (the chain restarts at 1 position)"
run 0 "$SL" report verify "$TMP/r2.json" --instance-key "$TMP/instance.pub"
run 1 "$SL" report verify "$TMP/r1.json" "$TMP/r2.json" --instance-key "$TMP/instance.pub"
expect_eq "newer report with the break" "$err" "seatledger: the new report does not extend the old one: it restarts the chain at position $peak_pos, at a break acknowledged after the old report was made"
export SEATLEDGER_NOW=2026-11-07T12:00:00Z
run 0 "$SL" refresh --source cron
run 0 "$SL" usage report --out "$TMP/r3.json"
run 0 "$SL" report verify "$TMP/r2.json" "$TMP/r3.json" --instance-key "$TMP/instance.pub"
expect_eq "r3 extends r2" "$(head -n1 <<<"$out")" "$TMP/r3.json extends $TMP/r2.json: 2 chain positions added (1 of them snapshots); the older report's 5 snapshots are unchanged"
run 1 "$SL" report verify "$TMP/r3.json" "$TMP/r2.json" --instance-key "$TMP/instance.pub"
expect_contains "older after newer" "$err" "the new report does not extend the old one: its head ("

# ---- a ledger made before the chain ----------------------------------------------------
old=$TMP/old.db
for f in "$SRC"/schema/[0-9][0-9][0-9]_*.sql; do
  case $(basename "$f") in 013_hash_chain.sql) break ;; esac
  sqlite3 "$old" <"$f"
  n=$(($(sqlite3 "$old" "PRAGMA user_version") + 1))
  sqlite3 "$old" "PRAGMA user_version = $n"
done
sqlite3 "$old" "INSERT INTO snapshots(recorded_at, billable_user_count, source) VALUES
  (1793620800000, 5, 'cron'), (1793707200000, 7, 'cron');
  INSERT INTO audit_log(at, action, outcome) VALUES (1793620800000, 'ledger.refresh', 'ok')"
chmod 600 "$old"
SEATLEDGER_NOW=2026-11-08T12:00:00Z run 0 "$SL" --db "$old" ledger verify
expect_eq "old ledger chained when opened" "$(head -n1 <<<"$out")" "ledger intact: 3 chained rows"
expect_eq "in time order" "$(sqlite3 "$old" "SELECT group_concat(tbl || ':' || row_id, ' ') FROM (SELECT tbl, row_id FROM chain ORDER BY position)")" "1:1 2:1 2:2"

finish
