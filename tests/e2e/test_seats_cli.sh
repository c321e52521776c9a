#!/usr/bin/env bash
# End-to-end: add-on seats through the CLI - a cloud key with add-on
# products issued by `license issue`, provisioning, `addons list`, `seats
# assign|unassign|list|history` with exact output and exit codes, an
# upgrade that keeps the seats, the overage clean-up at refresh,
# `refresh --json` add_on_metrics, status lines and notices, and processes
# racing for the last seats.
if [ ! -x "${SEATLEDGER:-}" ]; then
  echo "skip: seatledger binary '${SEATLEDGER:-}' not built"
  exit 77
fi
source "$(dirname "$0")/lib.sh"
export SEATLEDGER_NOW=2026-06-01T12:00:00Z

run 0 "$SL" keys generate --private "$TMP/v.pem" --public "$TMP/v.pub.pem"
run 0 "$SL" keys trust "$TMP/v.pub.pem" --name vendor
issue() { # OUT ARGS...: a cloud ultimate key 2026-01-01..2027-12-31 with extra options
  local out=$1; shift
  "$SL" license issue --private-key "$TMP/v.pem" --licensee-name Ada --licensee-email ada@example.com \
    --licensee-company "Example Corp" --plan ultimate --users 100 --starts 2026-01-01 \
    --expires 2027-12-31 "$@" --out "$out" >/dev/null
}
cat >"$TMP/users.csv" <<'CSV'
id,username,email,state,user_type,highest_role,last_duo_activity_on
1,alice,alice@example.com,active,human,developer,
2,bob,bob@example.com,active,human,guest,2026-05-01
3,carol,,blocked,human,developer,
4,dave,,active,service_user,none,2026-05-20
5,robot,,active,project_bot,developer,
6,eve,eve@example.com,active,human,owner,
CSV
run 0 "$SL" users import "$TMP/users.csv"

# --- the key: written by license issue, read back by license verify/show ----------
issue "$TMP/k1" --cloud --add-on-product duo_pro:3:2026-01-01:2027-01-01:A-S0001 \
  --add-on-product duo_core:10:2026-01-01:2027-01-01:trial
run 0 "$SL" --json license verify "$TMP/k1"
expect_contains "verify shows add_on_products" "$out" '"add_on_products":{"duo_pro":[{"quantity":3,"started_on":"2026-01-01","expires_on":"2027-01-01","purchase_xid":"A-S0001","trial":false}],"duo_core":[{"quantity":10,"started_on":"2026-01-01","expires_on":"2027-01-01","trial":true}]}'
expect_contains "verify: a cloud key" "$out" '"cloud_licensing_enabled":true,"offline_cloud_licensing_enabled":false'
run 2 "$SL" license issue --private-key "$TMP/v.pem" --payload "$TMP/users.csv" --cloud
run 2 "$SL" license issue --private-key "$TMP/v.pem" --licensee-name A --licensee-email a@x --licensee-company C \
  --plan premium --users 1 --starts 2026-01-01 --expires 2027-01-01 --add-on-product duo_max:1:2026-01-01:2027-01-01
expect_eq "issue: unknown add-on" "$err" "seatledger: license issue: --add-on-product: unknown add-on 'duo_max': use duo_pro, duo_enterprise, duo_amazon_q or duo_core
Try 'seatledger help' for usage."
run 2 "$SL" license issue --private-key "$TMP/v.pem" --licensee-name A --licensee-email a@x --licensee-company C \
  --plan premium --users 1 --starts 2026-01-01 --expires 2027-01-01 --add-on-product duo_pro:0:2026-01-01:2027-01-01
expect_contains "issue: quantity 0" "$err" "quantity must be an integer of at least 1, not '0'"
issue "$TMP/koff" --offline-cloud --add-on-product duo_pro:1:2026-01-01:2027-01-01
run 0 "$SL" --json license verify "$TMP/koff"
expect_contains "--offline-cloud is a cloud key" "$out" '"cloud_licensing_enabled":true,"offline_cloud_licensing_enabled":true'

run 0 "$SL" addons list
expect_eq "no purchases yet" "$out" "no add-on purchases (they come from a cloud license key with add-on products)"
run 0 "$SL" license add "$TMP/k1"
expect_contains "license show: add-on products" "$out" "  add-on product:     duo_pro 3 seats, 2026-01-01 to 2027-01-01
  add-on product:     duo_core 10 seats, 2026-01-01 to 2027-01-01 (trial)"
run 0 "$SL" addons list
expect_eq "addons list" "$out" "ID   ADD-ON           QUANTITY  ASSIGNED  STARTED_ON  EXPIRES_ON  TRIAL  ACTIVE
1    duo_pro                 3         0  2026-01-01  2027-01-01  no     yes
2    duo_core               10         0  2026-01-01  2027-01-01  yes    yes"
run 0 "$SL" addons list --json
expect_eq "addons list --json" "$out" '[{"id":1,"add_on":"duo_pro","quantity":3,"assigned":0,"started_on":"2026-01-01","expires_on":"2027-01-01","trial":false,"active":true,"purchase_xid":"A-S0001"},{"id":2,"add_on":"duo_core","quantity":10,"assigned":0,"started_on":"2026-01-01","expires_on":"2027-01-01","trial":true,"active":true,"purchase_xid":null}]'

# --- assign / unassign --------------------------------------------------------------
run 0 "$SL" seats assign duo_pro alice
expect_eq "assign one" "$out" "assigned   1 (alice)
duo_pro: 1 of 3 seats assigned"
run 0 "$SL" seats assign duo_pro 1
expect_eq "assign again: no change" "$out" "unchanged  1
duo_pro: 1 of 3 seats assigned"
run 1 "$SL" seats assign duo_pro carol
expect_eq "ineligible" "$err" "seatledger: INVALID_USER_MEMBERSHIP: user '3' is not eligible for a seat (not an active human or service user)"
printf 'bob\r\n\nrobot\n  dave  \n' >"$TMP/list.txt"
run 0 "$SL" --json seats assign duo_pro --file "$TMP/list.txt"
expect_eq "bulk from a file" "$out" '{"errors":[],"add_on":"duo_pro","purchase_id":1,"assigned":["2","4"],"unchanged":[],"skipped":["5"]}'
run 1 "$SL" seats assign duo_pro eve --json
expect_eq "refused --json" "$out" '{"errors":["NO_SEATS_AVAILABLE"],"add_on":"duo_pro","purchase_id":1,"assigned":[],"unchanged":[],"skipped":[]}'
expect_eq "refused message" "$err" "seatledger: NO_SEATS_AVAILABLE: all 3 seats of duo_pro are assigned"
run 0 "$SL" seats unassign duo_pro eve
expect_eq "unassign without a seat" "$out" "unchanged  6 (eve)
duo_pro: 3 of 3 seats assigned"
run 1 "$SL" seats unassign duo_pro eve 5
expect_eq "bulk unassign nobody" "$err" "seatledger: NO_ASSIGNMENTS_FOUND: none of the users holds a seat of duo_pro"

run 0 "$SL" seats list --eligible
expect_eq "seats list --eligible" "$out" "ID           USERNAME                 STATE                    ASSIGNED LAST DUO ACTIVITY
1            alice                    active                   yes      -
2            bob                      active                   yes      2026-05-01
4            dave                     active                   yes      2026-05-20
6            eve                      active                   no       -"
run 0 "$SL" seats list duo_pro --unassigned --json
expect_eq "seats list --unassigned --json" "$out" '[{"id":"3","username":"carol","state":"blocked","assigned":false,"last_duo_activity_on":null},{"id":"5","username":"robot","state":"active","assigned":false,"last_duo_activity_on":null},{"id":"6","username":"eve","state":"active","assigned":false,"last_duo_activity_on":null}]'
run 0 "$SL" seats list --search EXAMPLE.COM --assigned --json
expect_eq "seats list --search" "$out" '[{"id":"1","username":"alice","state":"active","assigned":true,"last_duo_activity_on":null},{"id":"2","username":"bob","state":"active","assigned":true,"last_duo_activity_on":"2026-05-01"}]'
run 2 "$SL" seats list --assigned --unassigned

# --- status --------------------------------------------------------------------------
run 0 "$SL" status
expect_contains "status line" "$out" "  duo_pro: 3 of 3 seats assigned, expires 2027-01-01
  duo_core: 0 of 10 seats assigned, expires 2027-01-01"
expect_contains "status notice" "$out" "  - duo_pro seats are all assigned"

# --- upgrade: the same purchase, every seat kept ------------------------------------
export SEATLEDGER_NOW=2026-06-02T12:00:00Z
issue "$TMP/k2" --cloud --add-on-product duo_enterprise:2:2026-06-01:2027-06-01 \
  --add-on-product duo_pro:3:2026-01-01:2027-01-01
run 0 "$SL" license add "$TMP/k2"
run 0 "$SL" addons list --json
expect_contains "upgrade in place" "$out" '[{"id":1,"add_on":"duo_enterprise","quantity":2,"assigned":3,"started_on":"2026-06-01","expires_on":"2027-06-01","trial":false,"active":true,"purchase_xid":null}'
run 3 "$SL" seats assign duo_pro eve
expect_eq "no duo_pro purchase after the upgrade" "$err" "seatledger: The resource that you are attempting to access does not exist or you don't have permission to perform this action (no purchase of duo_pro)"

# --- refresh: overage clean-up (never used alice goes), add_on_metrics of the
# active purchases (duo_core left the key: expired to yesterday) ----------------
run 0 "$SL" --json refresh
expect_eq "refresh --json" "$out" '{"recorded_at":"2026-06-02T12:00:00.000Z","billable_user_count":2,"add_on_metrics":[{"add_on":"duo_enterprise","purchased_seats":2,"assigned_seats":2}]}'
run 0 "$SL" addons list
expect_contains "duo_core expired to yesterday" "$out" "2    duo_core               10         0  2026-01-01  2026-06-01  yes    no"
run 0 "$SL" seats history --json
expect_eq "seats history --json" "$out" '[{"at":"2026-06-01T12:00:00.000Z","add_on":"duo_pro","purchase_id":1,"user_id":"1","username":"alice","event":"assigned","reason":null,"actor":"cli"},{"at":"2026-06-01T12:00:00.000Z","add_on":"duo_pro","purchase_id":1,"user_id":"2","username":"bob","event":"assigned","reason":null,"actor":"cli"},{"at":"2026-06-01T12:00:00.000Z","add_on":"duo_pro","purchase_id":1,"user_id":"4","username":"dave","event":"assigned","reason":null,"actor":"cli"},{"at":"2026-06-02T12:00:00.000Z","add_on":"duo_enterprise","purchase_id":1,"user_id":"1","username":"alice","event":"removed","reason":"overage","actor":"system"}]'
run 0 "$SL" seats history duo_enterprise --from 2026-06-02 --to 2026-06-02
expect_eq "seats history readable" "$out" "AT                       ADD-ON          EVENT      REASON     USER ID      USERNAME                 ACTOR
2026-06-02 12:00:00 UTC  duo_enterprise  removed    overage    1            alice                    system"
run 0 "$SL" seats --help
expect_contains "seats --help" "$out" "usage: seatledger seats assign ADDON USER..."
run 0 "$SL" addons --help

# --- racing processes never exceed the quantity --------------------------------------
R=$TMP/race.db
export SEATLEDGER_DB=$R
run 0 "$SL" keys trust "$TMP/v.pub.pem" --name vendor
python3 -c 'print("id,username,state"); [print("r%d,racer%d,active" % (i, i)) for i in range(24)]' >"$TMP/race.csv"
run 0 "$SL" users import "$TMP/race.csv"
issue "$TMP/k3" --cloud --add-on-product duo_pro:5:2026-01-01:2027-01-01
run 0 "$SL" license add "$TMP/k3"
mkdir "$TMP/race"
for i in $(seq 0 15); do
  ( while [ ! -e "$TMP/race/go" ]; do sleep 0.01; done
    "$SL" seats assign duo_pro "r$i" >"$TMP/race/$i.out" 2>"$TMP/race/$i.err"; echo $? >"$TMP/race/$i.rc" ) &
done
# two bulk calls of 4 new users each: at most one of them can fit
for b in 0 1; do
  ( while [ ! -e "$TMP/race/go" ]; do sleep 0.01; done
    "$SL" seats assign duo_pro $(seq -f "r%g" $((16 + 4 * b)) $((19 + 4 * b))) >"$TMP/race/b$b.out" 2>"$TMP/race/b$b.err"
    echo $? >"$TMP/race/b$b.rc" ) &
done
touch "$TMP/race/go"
wait
ok=$(cat "$TMP"/race/*.rc | grep -c '^0$' || true)
refused=$(cat "$TMP"/race/*.err | grep -c 'NO_SEATS_AVAILABLE\|NOT_ENOUGH_SEATS' || true)
assigned=$(sqlite3 "$R" "SELECT count(*) FROM seat_assignments")
history=$(sqlite3 "$R" "SELECT count(*) FROM seat_history WHERE event = 'assigned'")
expect_eq "race: seats assigned" "$assigned" "5"
expect_eq "race: history rows are the assignments" "$history" "5"
expect_eq "race: every call succeeded or was refused by a seat rule" "$((ok + refused))" "18"
expect_eq "race: no other failure" "$(cat "$TMP"/race/*.err | grep -v 'NO_SEATS_AVAILABLE\|NOT_ENOUGH_SEATS' || true)" ""
finish
