#!/usr/bin/env bash
# End-to-end: notifications.  A recording --exec script and a recording fake
# sendmail ($SEATLEDGER_SENDMAIL) see exactly one event per change of the
# ledger's conditions across repeated runs of `notify` (cron) and of the
# server's timer; a failed delivery is retried by the next run and the
# retry shows in `notify --json`; commands run without a shell and with a
# deadline; bad options are refused.
source "$(dirname "$0")/lib.sh"

SERVER_PID=
trap '[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; rm -rf "$TMP"' EXIT

# the recorders: each delivery appends its standard input and a separator
cat >"$TMP/rec.sh" <<EOF
#!/bin/sh
cat >>"$TMP/exec.log"
echo "--" >>"$TMP/exec.log"
EOF
cat >"$TMP/sendmail" <<EOF
#!/bin/sh
echo "ARGS: \$*" >>"$TMP/mail.log"
cat >>"$TMP/mail.log"
echo "--" >>"$TMP/mail.log"
EOF
# fails while $TMP/broken exists
cat >"$TMP/flaky.sh" <<EOF
#!/bin/sh
cat >/dev/null
[ -e "$TMP/broken" ] && exit 3
echo delivered >>"$TMP/flaky.log"
EOF
chmod 755 "$TMP/rec.sh" "$TMP/sendmail" "$TMP/flaky.sh"
export SEATLEDGER_SENDMAIL=$TMP/sendmail
events() { grep -o '"event":"[a-z._]*"' "$1" | cut -d'"' -f4 | tr '\n' ' '; }
notify() { "$SL" notify --exec "$TMP/rec.sh" --mail ops@example.com "$@"; }
users() { # N: a directory of N active users
  { echo "id,username,state"; for i in $(seq 1 "$1"); do echo "$i,user$i,active"; done; } >"$TMP/u.csv"
  run 0 "$SL" users import "$TMP/u.csv" --prune
}

run 0 "$SL" keys generate --private "$TMP/v.pem" --public "$TMP/v.pub.pem"
run 0 "$SL" keys trust "$TMP/v.pub.pem"
run 0 "$SL" license issue --private-key "$TMP/v.pem" --licensee-name "Ada Lovelace" \
  --licensee-email ada@example.com --licensee-company "Example Corp" --plan premium \
  --users 10 --starts 2026-01-01 --expires 2027-06-01 --out "$TMP/k"
run 0 "$SL" license add "$TMP/k"

# --- the first run: no snapshot yet ----------------------------------------
run 0 notify
expect_eq "first run" "$out" "event 1 snapshot.missing: no snapshot recorded yet: run seatledger refresh
delivered event 1 (snapshot.missing) to exec:$TMP/rec.sh
delivered event 1 (snapshot.missing) to mail:ops@example.com"
doc='{"id":1,"event":"snapshot.missing","fired_at":"2026-11-22T12:00:00.000Z","message":"no snapshot recorded yet: run seatledger refresh","subject":"seatledger: no snapshot recorded yet: run seatledger refresh","license":{"id":1,"plan":"premium","licensee":{"name":"Ada Lovelace","email":"ada@example.com","company":"Example Corp"},"starts_on":"2026-01-01","expires_on":"2027-06-01","trial":false},"figures":{"seats":10,"billable_users":0,"maximum_users":0,"users_over_license":0,"days_left":191,"last_snapshot_at":null}}'
expect_eq "exec got the event as JSON on stdin" "$(cat "$TMP/exec.log")" "$doc
--"
expect_eq "sendmail got one mail" "$(cat "$TMP/mail.log")" "ARGS: -t -oi
To: ops@example.com
Subject: seatledger: no snapshot recorded yet: run seatledger refresh
Date: Sun, 22 Nov 2026 12:00:00 +0000
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 8bit
Auto-Submitted: auto-generated
X-Seatledger-Event: snapshot.missing

No snapshot recorded yet: run seatledger refresh.

License:            1 (premium)
Licensee:           Ada Lovelace <ada@example.com>, Example Corp
Term:               2026-01-01 to 2027-06-01
Seats:              10
Billable users:     0
Maximum users:      0
Users over license: 0
Last snapshot:      none

Event snapshot.missing (1), recorded by seatledger at 2026-11-22T12:00:00.000Z.
--"

# --- nothing changed: nothing is sent --------------------------------------
run 0 notify
expect_eq "second run" "$out" "no new events"
run 0 notify --json
expect_eq "third run, json" "$out" '{"fired":[],"deliveries":[],"owed":[]}'
expect_eq "still one exec delivery" "$(grep -c '^--$' "$TMP/exec.log")" 1

# --- seats: threshold, reached, exceeded, each once --------------------------
users 9
run 0 "$SL" refresh
run 0 notify
run 0 notify
users 10
run 0 "$SL" refresh
run 0 notify
run 0 notify
users 11
run 0 "$SL" refresh
run 0 notify
run 0 notify
expect_eq "exec: one event per change" "$(events "$TMP/exec.log")" \
  "snapshot.missing seats.threshold seats.reached seats.exceeded "
expect_eq "GitLab's subject for the seat mails" \
  "$(grep '^Subject:' "$TMP/mail.log" | tail -n 3 | sort -u)" \
  "Subject: Your subscription is nearing its user limit"
expect_contains "reached mail" "$(cat "$TMP/mail.log")" \
  "License has reached its user limit: 10 of 10 seats used."
expect_contains "exceeded mail" "$(cat "$TMP/mail.log")" \
  "License is over its user limit by 1 user: 11 of 10 seats used."
# fewer users again: no event for an improvement
users 5
SEATLEDGER_NOW=2026-11-23T12:00:00Z run 0 "$SL" refresh
SEATLEDGER_NOW=2026-11-23T12:00:00Z run 0 notify
expect_eq "an improvement is not an event" "$out" "no new events"

# --- expiry: expiring, then expired -----------------------------------------
# half a year later: the admin confirms the clock (docs/security.md)
SEATLEDGER_NOW=2027-05-20T12:00:00Z run 0 "$SL" clock confirm
SEATLEDGER_NOW=2027-05-20T12:00:00Z run 0 "$SL" refresh
SEATLEDGER_NOW=2027-05-20T12:00:00Z run 0 notify
expect_eq "expiring" "$out" "event 5 license.expiring: license expires in 12 days on 2027-06-01
delivered event 5 (license.expiring) to exec:$TMP/rec.sh
delivered event 5 (license.expiring) to mail:ops@example.com"
expect_contains "expiring subject" "$(grep '^Subject:' "$TMP/mail.log" | tail -n 1)" \
  "Subject: seatledger: license expires in 12 days on 2027-06-01"
SEATLEDGER_NOW=2027-05-21T12:00:00Z run 0 notify
expect_eq "still expiring: nothing new" "$out" "no new events"
SEATLEDGER_NOW=2027-06-01T12:00:00Z run 0 "$SL" refresh
SEATLEDGER_NOW=2027-06-01T12:00:00Z run 0 notify
# an expired license's overage counts its maximum (11 of 10), not today's 5:
# the seats are over once more
expect_eq "expired" "$out" "event 6 seats.exceeded: license is over its user limit by 1 user: 11 of 10 seats used
event 7 license.expired: license expired on 2027-06-01
delivered event 6 (seats.exceeded) to exec:$TMP/rec.sh
delivered event 7 (license.expired) to exec:$TMP/rec.sh
delivered event 6 (seats.exceeded) to mail:ops@example.com
delivered event 7 (license.expired) to mail:ops@example.com"

# --- the refresh stops: snapshot.missing once more ---------------------------
SEATLEDGER_NOW=2027-06-05T12:00:00Z run 0 notify
expect_contains "stale ledger" "$out" \
  "event 8 snapshot.missing: last snapshot was recorded 4 days ago on 2027-06-01: run seatledger refresh"
SEATLEDGER_NOW=2027-06-06T12:00:00Z run 0 notify
expect_eq "stale again: nothing new" "$out" "no new events"
export SEATLEDGER_NOW=2027-06-06T12:00:00Z
expect_eq "exec: every event exactly once" "$(events "$TMP/exec.log")" \
  "snapshot.missing seats.threshold seats.reached seats.exceeded license.expiring seats.exceeded license.expired snapshot.missing "
expect_eq "mail: every event exactly once" "$(grep -c '^X-Seatledger-Event:' "$TMP/mail.log")" 8

# --- a target named later hears of the conditions still in force ------------
run 0 "$SL" notify --exec "$TMP/flaky.sh" --json
expect_eq "late target: in-force events" \
  "$(grep -o '"event_id":[0-9]*' <<<"$out" | tr '\n' ' ')" '"event_id":6 "event_id":7 "event_id":8 '

# --- a failed delivery is owed and retried ----------------------------------
touch "$TMP/broken"
run 0 "$SL" refresh
run 0 "$SL" notify   # fresh again (a check with no target still keeps the books)
expect_eq "fresh again" "$out" "no new events"
SEATLEDGER_NOW=2027-06-09T12:00:00Z run 4 "$SL" notify --exec "$TMP/flaky.sh" --json
expect_eq "failed delivery" "$out" '{"fired":[{"id":9,"event":"snapshot.missing","fired_at":"2027-06-09T12:00:00.000Z","message":"last snapshot was recorded 3 days ago on 2027-06-06: run seatledger refresh","subject":"seatledger: last snapshot was recorded 3 days ago on 2027-06-06: run seatledger refresh","license":{"id":1,"plan":"premium","licensee":{"name":"Ada Lovelace","email":"ada@example.com","company":"Example Corp"},"starts_on":"2026-01-01","expires_on":"2027-06-01","trial":false},"figures":{"seats":10,"billable_users":5,"maximum_users":11,"users_over_license":1,"days_left":0,"last_snapshot_at":"2027-06-06T12:00:00.000Z"}}],"deliveries":[{"event_id":9,"event":"snapshot.missing","target":"exec:'"$TMP"'/flaky.sh","attempt":1,"delivered":false,"error":"exit status 3","previous_error":null}],"owed":[{"target":"exec:'"$TMP"'/flaky.sh","events":1}]}'
SEATLEDGER_NOW=2027-06-09T12:00:00Z run 4 "$SL" notify --exec "$TMP/flaky.sh"
expect_eq "failure report" "$err" "cannot deliver event 9 (snapshot.missing) to exec:$TMP/flaky.sh (attempt 2): exit status 3
1 event owed to exec:$TMP/flaky.sh, retried by the next run"
rm "$TMP/broken"
SEATLEDGER_NOW=2027-06-09T12:00:00Z run 0 "$SL" notify --exec "$TMP/flaky.sh" --json
expect_eq "the retry shows" "$out" '{"fired":[],"deliveries":[{"event_id":9,"event":"snapshot.missing","target":"exec:'"$TMP"'/flaky.sh","attempt":3,"delivered":true,"error":null,"previous_error":"exit status 3"}],"owed":[]}'
expect_eq "the flaky target got each event once" "$(grep -c delivered "$TMP/flaky.log")" 4
# the ledger says what was sent
expect_eq "deliveries recorded" \
  "$(sqlite3 "$SEATLEDGER_DB" "SELECT event_id, attempts, delivered_at IS NOT NULL, last_error FROM notify_deliveries WHERE target LIKE 'exec:%flaky.sh' ORDER BY event_id")" \
  "6|1|1|
7|1|1|
8|1|1|
9|3|1|exit status 3"

# the clock moves on with the ledger: nothing is recorded before its latest
# event (docs/security.md, "Clock safety")
export SEATLEDGER_NOW=2027-06-09T12:00:00Z

# --- no shell, a deadline ---------------------------------------------------
cat >"$TMP/args.sh" <<EOF
#!/bin/sh
cat >/dev/null
for a in "\$@"; do echo "[\$a]"; done >"$TMP/args.log"
EOF
chmod 755 "$TMP/args.sh"
run 0 "$SL" notify --exec "$TMP/args.sh \$HOME 'a b' \"c \\\"d\\\"\" e\\ f ;" --json
expect_eq "words without a shell" "$(cat "$TMP/args.log")" '[$HOME]
[a b]
[c "d"]
[e f]
[;]'
run 4 "$SL" notify --exec "sleep 30" --timeout 1
expect_contains "deadline" "$err" "(attempt 1): timed out after 1 s"
run 4 "$SL" notify --exec "$TMP/missing-program"
expect_contains "not found" "$err" "cannot run '$TMP/missing-program': No such file or directory"
SEATLEDGER_SENDMAIL=$TMP/missing-sendmail run 4 "$SL" notify --mail other@example.com
expect_contains "missing sendmail" "$err" "cannot run '$TMP/missing-sendmail'"

# --- refused options ---------------------------------------------------------
run 2 "$SL" notify --exec "unbalanced 'quote"
expect_eq "unbalanced quote" "$err" "seatledger: --exec: command 'unbalanced 'quote': unbalanced '
Try 'seatledger help' for usage."
run 2 "$SL" notify --mail "a@b.c
Bcc: victim@example.com"
expect_contains "header injection" "$err" "invalid mail address"
run 2 "$SL" notify --mail "Ada <a@b.c>"
run 2 "$SL" notify --mail
expect_contains "no address" "$err" "--mail needs at least one address"
run 2 "$SL" notify --timeout 0
run 2 "$SL" notify --bogus
run 0 "$SL" notify --help
expect_contains "help" "$out" "usage: seatledger notify"

# --- the server's timer and cron together: each change once ------------------
if "$SL" serve --help >/dev/null 2>&1; then
  : >"$TMP/exec.log"
  : >"$TMP/mail.log"
  run 0 "$SL" refresh
  run 0 "$SL" notify --mail ops@example.com   # the ledger is fresh again
  # four days later the snapshot is stale: the server's timer and cron's
  # run race to record that change
  export SEATLEDGER_NOW=2027-06-13T12:00:00Z
  "$SL" serve --listen 127.0.0.1:0 --exec "$TMP/rec.sh" --notify-interval 1 2>"$TMP/serve.log" &
  SERVER_PID=$!
  run 0 "$SL" notify --mail ops@example.com
  for _ in $(seq 1 50); do grep -q snapshot "$TMP/exec.log" 2>/dev/null && break; sleep 0.2; done
  sleep 2   # a few more rounds of the server's timer
  # event 9 (the failed-delivery one above) was still owed to both targets
  expect_eq "the server delivered each event once" \
    "$(grep -o '^{"id":[0-9]*' "$TMP/exec.log" | cut -d: -f2 | tr '\n' ' ')" "9 10 "
  expect_eq "cron mailed each event once" \
    "$(grep -o '^Event snapshot.missing ([0-9]*)' "$TMP/mail.log" | tr '\n' ' ')" \
    "Event snapshot.missing (9) Event snapshot.missing (10) "
  expect_eq "one event for it in the ledger" \
    "$(sqlite3 "$SEATLEDGER_DB" "SELECT group_concat(id || ' ' || event) FROM notify_events WHERE id > 9")" \
    "10 snapshot.missing"
  expect_contains "the server logs its deliveries" "$(cat "$TMP/serve.log")" \
    "notify: delivered event 10 (snapshot.missing) to exec:$TMP/rec.sh"
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=
fi

# --- add-on seats: all assigned, then the purchase nearly over --------------
export SEATLEDGER_DB=$TMP/addons.db SEATLEDGER_NOW=2026-11-22T12:00:00Z
: >"$TMP/exec.log"
run 0 "$SL" keys trust "$TMP/v.pub.pem"
run 0 "$SL" license issue --private-key "$TMP/v.pem" --licensee-name "Ada Lovelace" \
  --licensee-email ada@example.com --licensee-company "Example Corp" --plan premium \
  --users 10 --starts 2026-01-01 --expires 2027-06-01 --cloud \
  --add-on-product duo_pro:2:2026-01-01:2026-12-20 --out "$TMP/k2"
run 0 "$SL" license add "$TMP/k2"
users 3
run 0 "$SL" notify --exec "$TMP/rec.sh"
expect_contains "a new ledger without a snapshot" "$out" "event 1 snapshot.missing"
run 0 "$SL" seats assign duo_pro 1 2
run 0 "$SL" notify --exec "$TMP/rec.sh"
expect_eq "all seats assigned" "$out" "event 2 addon.seats_full: duo_pro seats are all assigned
delivered event 2 (addon.seats_full) to exec:$TMP/rec.sh"
expect_contains "the add-on in the document" "$(cat "$TMP/exec.log")" \
  '"add_on":{"name":"duo_pro","quantity":2,"assigned":2,"expires_on":"2026-12-20","days_left":28}}'
run 0 "$SL" refresh
SEATLEDGER_NOW=2026-12-05T12:00:00Z run 0 "$SL" refresh
SEATLEDGER_NOW=2026-12-05T12:00:00Z run 0 "$SL" notify --exec "$TMP/rec.sh"
expect_contains "add-on ending" "$out" "addon.expiring: duo_pro expires in 15 days"
SEATLEDGER_NOW=2026-12-06T12:00:00Z run 0 "$SL" notify --exec "$TMP/rec.sh"
expect_eq "add-on ending: once" "$out" "no new events"
finish
