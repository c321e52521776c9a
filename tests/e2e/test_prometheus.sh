#!/usr/bin/env bash
# End-to-end: Debian's real Prometheus scrapes the server on loopback, once
# through --metrics-listen (no token) and once through the API listener
# with an admin token, until the figures in its HTTP API equal `status
# --json`; promtool checks the plain-text output and docs/prometheus-rules.yml
# (and the rules' own unit tests, tests/e2e/prometheus-rules.test.yml).
# scripts/test.sh installs prometheus; without it this skips (77).
source "$(dirname "$0")/lib.sh"

PROM=$(command -v prometheus || true)
PROMTOOL=$(command -v promtool || true)
if [ -z "$PROM" ] || [ -z "$PROMTOOL" ]; then
  echo "SKIP: prometheus and promtool are not installed (scripts/deps.sh prometheus)"; exit 77
fi
PY=$(command -v python3)
WAIT_SECONDS=${SL_PROMETHEUS_WAIT:-60}

SERVER_PID= PROM_PID=
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null
  [ -n "$PROM_PID" ] && kill "$PROM_PID" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT

# a ledger with figures worth comparing: 5 seats, 6 billable users, a
# snapshot, a cloud license with 10 Duo Pro seats of which 2 are assigned
run 0 "$SL" keys generate --private "$TMP/v.pem" --public "$TMP/v.pub.pem"
run 0 "$SL" keys trust "$TMP/v.pub.pem"
run 0 "$SL" license issue --private-key "$TMP/v.pem" --licensee-name "Ada Lovelace" \
  --licensee-email ada@example.com --licensee-company "Example Corp" --plan premium --users 5 --starts 2026-01-01 \
  --expires 2026-12-01 --cloud --add-on-product duo_pro:10:2026-01-01:2026-12-01 --out "$TMP/k"
run 0 "$SL" license add "$TMP/k"
{
  echo "id,username,state"
  for i in 1 2 3 4 5 6; do echo "$i,user$i,active"; done
} >"$TMP/users.csv"
run 0 "$SL" users import "$TMP/users.csv"
run 0 "$SL" refresh
run 0 "$SL" seats assign duo_pro 1 2
TOKEN=$("$SL" token create --name prometheus --admin 2>/dev/null)

"$SL" serve --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 2>"$TMP/serve.log" &
SERVER_PID=$!
for _ in $(seq 1 100); do
  grep -q '^listening on http://' "$TMP/serve.log" && break
  sleep 0.1
done
API=$(sed -n 's|^listening on http://\(.*\)$|\1|p' "$TMP/serve.log")
METRICS=$(sed -n 's|^metrics on http://\(.*\)/metrics$|\1|p' "$TMP/serve.log")
[ -n "$API" ] && [ -n "$METRICS" ] || { fail "server did not start: $(cat "$TMP/serve.log")"; finish; exit 1; }

# promtool reads the Prometheus text format (0.0.4): the plain-Accept answer
curl -sS "http://$METRICS/metrics" >"$TMP/metrics.txt"
run 0 "$PROMTOOL" check metrics <"$TMP/metrics.txt"
run 0 "$PROMTOOL" check rules "$SRC/docs/prometheus-rules.yml"
expect_contains "promtool check rules" "$out" "SUCCESS: 3 rules found"
run 0 "$PROMTOOL" test rules "$SRC/tests/e2e/prometheus-rules.test.yml"

PROM_PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$TMP/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: open
    static_configs: [{targets: ["$METRICS"]}]
  - job_name: token
    authorization: {type: Bearer, credentials: "$TOKEN"}
    static_configs: [{targets: ["$API"]}]
EOF
"$PROM" --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/tsdb" \
  --web.listen-address="127.0.0.1:$PROM_PORT" >"$TMP/prometheus.log" 2>&1 &
PROM_PID=$!

# what `status --json` says, as the metric values Prometheus should hold
status=$("$SL" status --json)
want=$("$PY" - "$status" <<'EOF'
import datetime, json, sys
s = json.loads(sys.argv[1])
def ts(v):
    t = datetime.datetime.fromisoformat(v.replace("Z", "+00:00")).timestamp()
    return int(t) if t.is_integer() else t
print(json.dumps({
    "seatledger_license_seats": s["seats"],
    "seatledger_billable_users": s["daily_billable"],
    "seatledger_maximum_users": s["maximum_user_count"],
    "seatledger_users_over_license": s["overage"],
    "seatledger_license_expiry_timestamp_seconds":
        ts(s["expires_on"] + "T00:00:00Z"),
    "seatledger_last_snapshot_timestamp_seconds": ts(s["last_snapshot_at"]),
    "seatledger_license_info": 1,
    **{"seatledger_addon_seats_purchased{add_on=\"%s\"}" % a["add_on"]: a["quantity"]
       for a in s["add_ons"]},
    **{"seatledger_addon_seats_assigned{add_on=\"%s\"}" % a["add_on"]: a["assigned"]
       for a in s["add_ons"]},
}, sort_keys=True))
EOF
)

expect_contains "status has the add-on seats" "$want" \
  '"seatledger_addon_seats_assigned{add_on=\"duo_pro\"}": 2, "seatledger_addon_seats_purchased{add_on=\"duo_pro\"}": 10'

# Prometheus's view, per job: {metric: value}, plus the info labels
scraped() { # JOB
  "$PY" - "$PROM_PORT" "$1" <<'EOF'
import json, sys, urllib.parse, urllib.request
port, job = sys.argv[1], sys.argv[2]
names = ["seatledger_license_seats", "seatledger_billable_users", "seatledger_maximum_users",
         "seatledger_users_over_license", "seatledger_license_expiry_timestamp_seconds",
         "seatledger_last_snapshot_timestamp_seconds", "seatledger_license_info",
         "seatledger_addon_seats_purchased", "seatledger_addon_seats_assigned"]
got, labels = {}, None
for n in names:
    q = urllib.parse.urlencode({"query": '%s{job="%s"}' % (n, job)})
    try:
        with urllib.request.urlopen("http://127.0.0.1:%s/api/v1/query?%s" % (port, q), timeout=5) as r:
            res = json.load(r)["data"]["result"]
    except Exception:
        res = []
    for r in res:
        v = float(r["value"][1])
        key = n
        if "add_on" in r["metric"]:
            key = '%s{add_on="%s"}' % (n, r["metric"]["add_on"])
        got[key] = int(v) if v.is_integer() else v
    if res:
        if n == "seatledger_license_info":
            m = res[0]["metric"]
            labels = {k: m[k] for k in ("plan", "type", "license_id")}
print(json.dumps(got, sort_keys=True))
print(json.dumps(labels, sort_keys=True))
EOF
}

for job in open token; do
  deadline=$((SECONDS + WAIT_SECONDS))
  while :; do
    view=$(scraped "$job")
    [ "$(head -n 1 <<<"$view")" = "$want" ] && break
    if [ "$SECONDS" -ge "$deadline" ]; then
      tail -n 20 "$TMP/prometheus.log" >&2
      break
    fi
    sleep 1
  done
  expect_eq "job $job: Prometheus's figures equal status --json" "$(head -n 1 <<<"$view")" "$want"
  expect_eq "job $job: license info labels" "$(tail -n 1 <<<"$view")" \
    '{"license_id": "1", "plan": "premium", "type": "online_cloud"}'
done

# the scrapes themselves show in the request counters, by route and class
q=$("$PY" -c 'import urllib.parse; print(urllib.parse.quote("sum by (route, status_class) (seatledger_http_requests_total{job=\"open\"})"))')
counters=$(curl -sS "http://127.0.0.1:$PROM_PORT/api/v1/query?query=$q")
expect_contains "request counter of /metrics" "$counters" '"route":"/metrics","status_class":"2xx"'
finish
