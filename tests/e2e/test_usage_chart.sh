#!/usr/bin/env bash
# End-to-end: `usage chart` writes a well-formed SVG (parsed with Python's
# xml.etree) for an empty ledger, one snapshot, a month, two years with an
# overage, 100,000 snapshots, an unlimited license and a window without a
# license; the same ledger gives the same bytes; the licensee name is
# escaped; usage errors exit 2, a missing directory 4, the ledger as --out 1.
# PNGs for review (rsvg-convert, librsvg2-bin, when installed) go to
# $CHART_REVIEW_DIR, default $SL_BINARY_DIR/chart-review.
source "$(dirname "$0")/lib.sh"
export SEATLEDGER_NOW=2026-11-22T12:00:00Z
REVIEW=${CHART_REVIEW_DIR:-${SL_BINARY_DIR:-$TMP}/chart-review}
mkdir -p "$REVIEW"

# svg_check NAME FILE: well-formed XML, an <svg> root whose aria-labelledby
# names its <title> and <desc>, which come first; prints the desc.
svg_check() {
  checks=$((checks + 1))
  if ! python3 - "$2" >"$TMP/desc" 2>"$TMP/xmlerr" <<'EOF'
import sys, xml.etree.ElementTree as ET
ns = "{http://www.w3.org/2000/svg}"
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == ns + "svg", root.tag
assert root.get("role") in ("img", "group"), root.get("role")
ids = root.get("aria-labelledby").split()
kids = list(root)
assert [k.tag for k in kids[:2]] == [ns + "title", ns + "desc"], [k.tag for k in kids[:2]]
assert [k.get("id") for k in kids[:2]] == ids, ids
assert kids[0].text and kids[1].text
print(kids[1].text)
EOF
  then
    fail "$1: not a well-formed accessible SVG: $(cat "$TMP/xmlerr")"
  fi
  desc=$(cat "$TMP/desc")
  if command -v rsvg-convert >/dev/null; then
    checks=$((checks + 1))
    rsvg-convert -o "$REVIEW/$1.png" "$2" 2>"$TMP/rsvgerr" || fail "$1: rsvg-convert: $(cat "$TMP/rsvgerr")"
  fi
}

snapshots() { # DB FIRST N STEP_SECONDS COUNT_SQL: rows straight into the table
  local first
  first=$(date -u -d "$2" +%s)
  sqlite3 "$1" "WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i + 1 < $3)
    INSERT INTO snapshots(recorded_at, billable_user_count, source)
    SELECT ($first + i * $4) * 1000, $5, 'cron' FROM s;"
}

# ---- usage errors and an empty ledger --------------------------------------------
run 0 "$SL" usage chart --help
expect_contains "help" "$out" "usage: seatledger usage chart [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--width PX] [--height PX]
                  [--focusable] --out FILE.svg"
run 2 "$SL" usage chart
expect_eq "no --out" "$err" "seatledger: usage chart: --out FILE is required ('-' for stdout)
Try 'seatledger help' for usage."
run 2 "$SL" usage chart --from 2026-02-30 --out "$TMP/c.svg"
expect_eq "impossible date" "$err" "seatledger: usage chart: --from: invalid date '2026-02-30': expected YYYY-MM-DD
Try 'seatledger help' for usage."
run 2 "$SL" usage chart --to yesterday --out "$TMP/c.svg"
expect_contains "not a date" "$err" "usage chart: --to: invalid date 'yesterday'"
run 2 "$SL" usage chart --from 2026-03-01 --to 2026-02-01 --out "$TMP/c.svg"
expect_eq "from after to" "$err" "seatledger: usage chart: --from 2026-03-01 is after --to 2026-02-01
Try 'seatledger help' for usage."
run 2 "$SL" usage chart --width 319 --out "$TMP/c.svg"
expect_eq "too narrow" "$err" "seatledger: usage chart: --width needs 320 to 4096 pixels, not '319'
Try 'seatledger help' for usage."
run 2 "$SL" usage chart --height 4097 --out "$TMP/c.svg"
expect_contains "too tall" "$err" "usage chart: --height needs 260 to 4096 pixels, not '4097'"
run 2 "$SL" usage chart --width 9x --out "$TMP/c.svg"
run 2 "$SL" usage chart --out "$TMP/c.svg" --bogus
run 2 "$SL" usage chart --out
run 2 "$SL" usage plot
expect_contains "unknown subcommand" "$err" "seatledger: unknown usage subcommand 'plot'"
[ ! -e "$TMP/c.svg" ] || fail "a usage error wrote the file"

run 0 "$SL" usage chart --out "$TMP/empty.svg"
expect_eq "empty: summary" "$out" "wrote '$TMP/empty.svg': 0 snapshots from 2025-11-22 to 2026-11-22"
svg_check empty "$TMP/empty.svg"
expect_contains "default size" "$(head -c 200 "$TMP/empty.svg")" 'width="960" height="420" viewBox="0 0 960 420"'
run 0 "$SL" usage chart --width 320 --height 4096 --out "$TMP/sized.svg"
expect_contains "--width and --height" "$(head -c 200 "$TMP/sized.svg")" 'width="320" height="4096" viewBox="0 0 320 4096"'
expect_eq "empty: desc" "$desc" "Billable users from 2025-11-22 to 2026-11-22 (UTC). No current license. No snapshots in this window."
expect_contains "empty: says so" "$(cat "$TMP/empty.svg")" ">No snapshots in this window</text>"

# ---- output files ----------------------------------------------------------------
run 4 "$SL" usage chart --out "$TMP/nope/c.svg"
expect_eq "missing directory" "$err" "seatledger: cannot write '$TMP/nope/c.svg': No such file or directory"
run 1 "$SL" usage chart --out "$TMP"
expect_eq "a directory" "$err" "seatledger: cannot write '$TMP': is a directory"
before=$(ledger_sum) || true
run 1 "$SL" usage chart --out "$SEATLEDGER_DB"
expect_eq "onto the ledger" "$err" "seatledger: cannot write '$SEATLEDGER_DB': it is the ledger"
run 0 "$SL" status   # a reader leaves the WAL in place
if [ -e "$SEATLEDGER_DB-wal" ]; then
  run 1 "$SL" usage chart --out "$SEATLEDGER_DB-wal"
  expect_contains "onto the WAL" "$err" "it is the ledger"
fi
ln -s "$SEATLEDGER_DB" "$TMP/link.svg"
run 1 "$SL" usage chart --out "$TMP/link.svg"
expect_contains "through a symlink" "$err" "it is the ledger"
expect_eq "ledger unchanged" "$(ledger_sum)" "$before"

# ---- a license, one snapshot, then a year ----------------------------------------------
# the vendor key from openssl, not `keys generate`: key generation is tested
# elsewhere and takes long under valgrind (the memcheck stage)
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$TMP/v.pem" 2>/dev/null
openssl pkey -in "$TMP/v.pem" -pubout -out "$TMP/v.pub.pem"
run 0 "$SL" keys trust "$TMP/v.pub.pem" --name vendor
run 0 "$SL" license issue --private-key "$TMP/v.pem" --licensee-name '<img src=x onerror=alert(1)>' \
  --licensee-email ada@example.com --licensee-company 'Evil & "Co"' --plan premium \
  --users 10 --starts 2026-01-01 --expires 2026-12-31 --out "$TMP/k.gitlab-license"
run 0 "$SL" license add "$TMP/k.gitlab-license"
snapshots "$SEATLEDGER_DB" "2026-06-01 12:00:00" 1 1 12
run 0 "$SL" usage chart --out "$TMP/one.svg"
expect_eq "one: summary" "$out" "wrote '$TMP/one.svg': 1 snapshot from 2026-01-01 to 2026-12-31"
svg_check one "$TMP/one.svg"
expect_eq "one: desc" "$desc" "Billable users from 2026-01-01 to 2026-12-31 (UTC). Licensed to <img src=x onerror=alert(1)> (Evil & \"Co\"), premium, 10 seats, 2026-01-01 to 2026-12-31. 1 snapshot, one point each. Highest: 12 billable users (2026-06-01 12:00:00 UTC). Latest: 12 billable users (2026-06-01 12:00:00 UTC). Seat limit: 10 from 2026-01-01 to 2026-12-31. Above the seat limit at 1 of 1 point, by up to 2 users."
svg=$(cat "$TMP/one.svg")
expect_contains "licensee escaped" "$svg" "Licensed to &lt;img src=x onerror=alert(1)&gt; (Evil &amp; &quot;Co&quot;)"
checks=$((checks + 1))
case "$svg" in *"<img"*) fail "the licensee name reached the SVG as markup" ;; esac

snapshots "$SEATLEDGER_DB" "2026-11-01 06:00:00" 22 86400 "8 + (i * 7) % 5"
run 0 "$SL" usage chart --from 2026-11-01 --to 2026-11-30 --out "$TMP/month.svg"
expect_eq "month: summary" "$out" "wrote '$TMP/month.svg': 22 snapshots from 2026-11-01 to 2026-11-30"
svg_check month "$TMP/month.svg"
expect_contains "month: weekly date ticks" "$(cat "$TMP/month.svg")" 'data-step="week"'
expect_contains "month: overage" "$desc" "Above the seat limit at 8 of 22 points, by up to 2 users."

# same ledger, same clock: same bytes, to a file and to stdout
run 0 "$SL" usage chart --out "$TMP/year1.svg"
run 0 "$SL" usage chart --out "$TMP/year2.svg"
checks=$((checks + 1))
cmp -s "$TMP/year1.svg" "$TMP/year2.svg" || fail "two runs wrote different SVGs"
run 0 "$SL" usage chart --out -
checks=$((checks + 1))
[ "$out" = "$(cat "$TMP/year1.svg")" ] || fail "--out - differs from the file"
svg_check year "$TMP/year1.svg"

# a window the license does not cover
run 0 "$SL" usage chart --from 2025-01-01 --to 2025-12-31 --out "$TMP/before.svg"
svg_check before "$TMP/before.svg"
expect_contains "no license in the window" "$desc" "No snapshots in this window. The license's term lies outside this window: no seat limit is drawn."
# only --from, after the term's end
run 2 "$SL" usage chart --from 2027-06-01 --out "$TMP/c.svg"
expect_eq "from after the term" "$err" "seatledger: the chart's window starts after it ends: from 2027-06-01T00:00:00.000Z to 2026-12-31T23:59:59.999Z"

# ---- two years with an overage; 100,000 snapshots ---------------------------------------------
DB2=$TMP/two.db
run 0 "$SL" --db "$DB2" keys trust "$TMP/v.pub.pem" --name vendor
run 0 "$SL" license issue --private-key "$TMP/v.pem" --licensee-name "Bob" \
  --licensee-email bob@example.com --licensee-company "Example Corp" --plan ultimate \
  --users 500 --starts 2025-01-01 --expires 2026-12-31 --out "$TMP/k2.gitlab-license"
run 0 "$SL" --db "$DB2" license add "$TMP/k2.gitlab-license"
snapshots "$DB2" "2025-01-01 00:00:00" 2880 21600 "400 + i / 20 + (i * 7919) % 37"
run 0 "$SL" --db "$DB2" usage chart --out "$TMP/two-years.svg"
expect_eq "two years: summary" "$out" "wrote '$TMP/two-years.svg': 2,880 snapshots from 2025-01-01 to 2026-12-31, the highest count of each week (104 points)"
svg_check two-years "$TMP/two-years.svg"
expect_contains "two years: quarterly ticks" "$(cat "$TMP/two-years.svg")" 'data-step="quarter"'
expect_contains "two years: overage" "$desc" "Highest: 578 billable users (week of 2026-12-14)."

DB3=$TMP/big.db
run 0 "$SL" --db "$DB3" keys trust "$TMP/v.pub.pem" --name vendor
run 0 "$SL" --db "$DB3" license add "$TMP/k2.gitlab-license"
snapshots "$DB3" "2025-01-01 00:00:00" 100000 600 "CASE i WHEN 54321 THEN 5000 ELSE 300 + (i * 7919) % 300 END"
run 0 "$SL" --db "$DB3" --json usage chart --out "$TMP/100k.svg"
size=$(stat -c %s "$TMP/100k.svg")
expect_eq "100k: json summary" "$out" "{\"from\":\"2025-01-01\",\"to\":\"2026-12-31\",\"snapshots\":100000,\"points\":100,\"unit\":\"week\",\"bytes\":$size}"
checks=$((checks + 1))
[ "$size" -le 102400 ] || fail "100k: $size bytes, more than 100 KB"
svg_check 100k "$TMP/100k.svg"
expect_contains "100k: the spike survives" "$desc" "Highest: 5,000 billable users (week of 2026-01-12)."

# ---- an unlimited license ----------------------------------------------------------------------------
DB4=$TMP/unlimited.db
cat >"$TMP/unlimited.json" <<'EOF'
{"version":1,"licensee":{"Name":"Una","Email":"una@example.com","Company":"Unlimited Inc"},"issued_at":"2026-01-01","expires_at":"2026-12-31","restrictions":{"plan":"ultimate"}}
EOF
run 0 "$SL" license issue --private-key "$TMP/v.pem" --payload "$TMP/unlimited.json" --out "$TMP/k4.gitlab-license"
run 0 "$SL" --db "$DB4" keys trust "$TMP/v.pub.pem" --name vendor
run 0 "$SL" --db "$DB4" license add "$TMP/k4.gitlab-license"
snapshots "$DB4" "2026-02-01 00:00:00" 40 86400 "100 + i"
run 0 "$SL" --db "$DB4" usage chart --out "$TMP/unlimited.svg"
svg_check unlimited "$TMP/unlimited.svg"
expect_contains "unlimited: no seat limit" "$desc" "unlimited seats, 2026-01-01 to 2026-12-31. 40 snapshots, one point each."
expect_contains "unlimited: said" "$desc" "No seat limit: the license is unlimited."
checks=$((checks + 1))
grep -q 'sl-seats' "$TMP/unlimited.svg" && fail "unlimited: a seat limit line was drawn"

echo "PNGs for review: $REVIEW"
finish
