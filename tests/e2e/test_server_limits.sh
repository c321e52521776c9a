#!/usr/bin/env bash
# test_server_limits.sh - the server under a slowloris attack: 300
# connections that each send one more header byte every 2 s (never idle,
# never done) from five loopback addresses, 100 more from one address, and
# one that never finishes its request line.  A legitimate client must be
# served within 1 s while they are open; one address gets at most 64
# connections; every unfinished head is closed 10 s after it began and
# logged as 408, and a kept-alive connection that goes quiet is closed
# without a log line.  The --metrics-listen listener has the same head
# deadline: 20 slow connections to it are cut the same way while a scraper
# is served.  About 15 s.
#
# SL_E2E_TIME_FACTOR (default 1) stretches the time limits for slow runs
# (valgrind).
source "$(dirname "$0")/lib_hardening.sh"
need_cmd python3 curl

SLOW=$SRC/tests/e2e/slow_clients.py
FACTOR=${SL_E2E_TIME_FACTOR:-1}
SERVE_WITHIN_S=$(awk -v f="$FACTOR" 'BEGIN { print 1.0 * f }')
DEADLINE_S=10            # SL_HTTP_HEAD_DEADLINE_MS in server/http.c
CLIENT_LIMIT=64          # SL_HTTP_CLIENT_CONNECTION_LIMIT
METRICS_SLOW=20          # under SL_HTTP_METRICS_CONNECTION_LIMIT (32)
CUT=$((300 + CLIENT_LIMIT + METRICS_SLOW))   # slow heads cut, one 408 line each
HOLD_S=$(awk -v f="$FACTOR" -v d="$DEADLINE_S" 'BEGIN { print d + 4 * f }')

DB=$TMP/ledger.db
must --db "$DB" --json token create --name admin --admin
TOKEN=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["token"])' "$TMP/out")
serve_start "$DB" --metrics-listen 127.0.0.1:0
MPORT=$(sed -n 's|^metrics on http://127\.0\.0\.1:\([0-9]*\)/metrics$|\1|p' "$TMP/serve.err")
[ -n "$MPORT" ] || die "no metrics listener: $(cat "$TMP/serve.err")"

# the attack: five addresses x 60 (each under the per-client limit, together
# over the old limit of 256 connections), one address x 100, one client that
# never finishes its request line
python3 "$SLOW" "$PORT" 127.0.0.2:60 127.0.0.3:60 127.0.0.4:60 127.0.0.5:60 127.0.0.6:60 \
    --ready "$TMP/spread.ready" --hold "$HOLD_S" >"$TMP/spread.out" 2>"$TMP/spread.err" &
spread=$!
BG_PIDS+=("$spread")
python3 "$SLOW" "$PORT" 127.0.0.7:100 --ready "$TMP/one.ready" --hold "$HOLD_S" \
    >"$TMP/one.out" 2>"$TMP/one.err" &
one=$!
BG_PIDS+=("$one")
python3 "$SLOW" "$PORT" 127.0.0.8:1 --partial-line --ready "$TMP/line.ready" --hold "$HOLD_S" \
    >"$TMP/line.out" 2>"$TMP/line.err" &
line=$!
BG_PIDS+=("$line")
python3 "$SLOW" "$MPORT" 127.0.0.9:$METRICS_SLOW --ready "$TMP/metrics.ready" --hold "$HOLD_S" \
    >"$TMP/metrics.out" 2>"$TMP/metrics.err" &
metrics=$!
BG_PIDS+=("$metrics")
# meanwhile a kept-alive connection that goes quiet after one request
python3 - "$PORT" "$TOKEN" "$DEADLINE_S" >"$TMP/ka.out" <<'EOF' &
import socket, sys, time
port, token, deadline = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
s = socket.create_connection(("127.0.0.1", port), timeout=deadline + 30)
s.sendall(("GET /api/v4/license HTTP/1.1\r\nHost: x\r\nPRIVATE-TOKEN: %s\r\n\r\n" % token).encode())
t0 = time.monotonic()
data = b""
while b"\r\n\r\n" not in data:
    data += s.recv(4096)
# the rest of the reply, then nothing until the server closes
while True:
    b = s.recv(4096)
    if not b:
        break
print("closed after %.1f s" % (time.monotonic() - t0))
EOF
ka=$!
BG_PIDS+=("$ka")
for f in spread one line metrics; do
    waited=0
    while [ ! -f "$TMP/$f.ready" ]; do
        if ! kill -0 "${!f}" 2>/dev/null; then
            wait "${!f}"
            [ $? -eq 77 ] && skip "cannot bind loopback source addresses: $(cat "$TMP/$f.err")"
            die "slow_clients.py failed: $(cat "$TMP/$f.err")"
        fi
        sleep 0.1
        waited=$((waited + 1))
        [ "$waited" -lt 300 ] || die "slow_clients.py did not get ready"
    done
done

# (the attack's own view: the server may leave a connection in its listen
# backlog; that it really held all of them shows in the 408 lines below)
begin "slowloris: 300 slow connections from five addresses connect and stay connected"
read -r _ open _ refused <"$TMP/spread.ready"
[ "$open:$refused" = "300:0" ] || flunk "open $open, refused $refused; expected 300 open"
end

begin "slowloris: one address gets at most $CLIENT_LIMIT connections"
read -r _ open _ refused <"$TMP/one.ready"
[ "$open:$refused" = "$CLIENT_LIMIT:$((100 - CLIENT_LIMIT))" ] ||
    flunk "open $open, refused $refused; expected $CLIENT_LIMIT open"
end

begin "slowloris: a legitimate client is served within ${SERVE_WITHIN_S} s meanwhile"
res=$(curl -s -o "$TMP/body" -w '%{http_code} %{time_total}' --max-time 10 \
    -H "PRIVATE-TOKEN: $TOKEN" "http://127.0.0.1:$PORT/api/v4/license") || res="000 -"
read -r code took <<<"$res"
[ "$code" = 200 ] || flunk "status $code, expected 200"
awk -v t="$took" -v m="$SERVE_WITHIN_S" 'BEGIN { exit !(t + 0 < m + 0) }' ||
    flunk "served in $took s, expected under $SERVE_WITHIN_S s"
expect_server_alive
end

begin "slowloris: the metrics listener serves a scraper within ${SERVE_WITHIN_S} s meanwhile, no-store"
read -r _ open _ refused <"$TMP/metrics.ready"
[ "$open:$refused" = "$METRICS_SLOW:0" ] || flunk "open $open, refused $refused; expected $METRICS_SLOW open"
res=$(curl -s -D "$TMP/mhead" -o /dev/null -w '%{http_code} %{time_total}' --max-time 10 \
    "http://127.0.0.1:$MPORT/metrics") || res="000 -"
read -r code took <<<"$res"
[ "$code" = 200 ] || flunk "status $code, expected 200"
awk -v t="$took" -v m="$SERVE_WITHIN_S" 'BEGIN { exit !(t + 0 < m + 0) }' ||
    flunk "served in $took s, expected under $SERVE_WITHIN_S s"
grep -qi '^cache-control: no-store' "$TMP/mhead" || flunk "no Cache-Control: no-store"
grep -qi '^x-content-type-options: nosniff' "$TMP/mhead" || flunk "no X-Content-Type-Options"
end

for f in spread one line metrics; do wait "${!f}"; forget_pid "${!f}"; done

# SOURCE open N refused M closed K first_close T1 last_close T2
closed_in_time() { # FILE: every open connection closed by the deadline, on time
    local src open closed first last hi
    hi=$(awk -v d="$DEADLINE_S" -v f="$FACTOR" 'BEGIN { print d + 2 * f }')
    while read -r src _ open _ _ _ closed _ first _ last; do
        [ "$closed" = "$open" ] || flunk "$src: $closed of $open connections closed within $HOLD_S s"
        [ "$closed" = 0 ] && continue
        awk -v a="$first" -v b="$last" -v lo="$((DEADLINE_S - 1))" -v hi="$hi" \
            'BEGIN { exit !(a + 0 >= lo && b + 0 <= hi) }' ||
            flunk "$src: closed after $first-$last s, expected $((DEADLINE_S - 1))-$hi s"
    done <"$1"
}
begin "slowloris: the head deadline closes every slow connection ${DEADLINE_S} s after it began"
closed_in_time "$TMP/spread.out"
closed_in_time "$TMP/one.out"
closed_in_time "$TMP/metrics.out"
end

begin "slowloris: an unfinished request line is closed by the deadline too"
closed_in_time "$TMP/line.out"
read -r _ _ open _ _ _ closed _ <"$TMP/line.out"
[ "$open:$closed" = "1:1" ] || flunk "open $open, closed $closed; expected 1:1"
end

# the server writes its log in batches, at least every quarter second
log_count() { grep -cE "$1" "$TMP/serve.err" || true; }
for ((waited = 0; waited < 20 * FACTOR; waited++)); do
    [ "$(log_count ' 408 ')" -ge $((CUT + 1)) ] && break
    sleep 0.25
done
begin "slowloris: each cut head is one access-log line with status 408"
n=$(grep -cE '^[0-9T:.Z-]+ - /api/v4/license 408 [0-9.]+ms$' "$TMP/serve.err" || true)
[ "$n" = "$CUT" ] || flunk "$n lines '- /api/v4/license 408', expected $CUT"
n=$(grep -cE '^[0-9T:.Z-]+ - - 408 [0-9.]+ms$' "$TMP/serve.err" || true)
[ "$n" = 1 ] || flunk "$n lines '- - 408', expected 1 (the unfinished request line)"
end

begin "slowloris: afterwards the server serves as before"
http GET /api/v4/license -H "PRIVATE-TOKEN: $TOKEN"
expect_status 200
expect_server_alive
end

begin "keep-alive: a connection that goes quiet after a request is closed without a log line"
wait "$ka"
forget_pid "$ka"
closed=$(sed -n 's/^closed after \([0-9.]*\) s$/\1/p' "$TMP/ka.out")
awk -v t="${closed:-0}" -v d="$DEADLINE_S" -v f="$FACTOR" \
    'BEGIN { exit !(t + 0 >= d - 1 && t + 0 <= d + 2 * f) }' ||
    flunk "kept-alive connection: '$(cat "$TMP/ka.out")', expected closed after about $DEADLINE_S s"
n=$(grep -cE ' 408 ' "$TMP/serve.err" || true)
[ "$n" = $((CUT + 1)) ] || flunk "$n 408 lines, expected no new one"
end

serve_stop
begin "server: stops cleanly after the attack"
[ "$SERVE_RC" = 0 ] || flunk "exit status $SERVE_RC"
end
finish 10
