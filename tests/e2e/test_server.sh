#!/usr/bin/env bash
# End-to-end: the real server on an ephemeral port with a temporary ledger,
# driven with curl (every endpoint, exact bodies, statuses and types) and
# with python-gitlab; then the access log, and a graceful SIGTERM that lets
# a slow in-flight request finish.
source "$(dirname "$0")/lib.sh"

command -v curl >/dev/null || { echo "skip: curl is not installed"; exit 77; }
if ! "$SL" token list >/dev/null 2>&1 || ! "$SL" help | grep -q "license issue"; then
  echo "skip: this seatledger has no token or license issue command"; exit 77
fi
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3 || true)

SERVER_PID=
trap '[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; rm -rf "$TMP"' EXIT

# start_server LOG [serve options]: sets SERVER_PID and URL
start_server() {
  local log=$1; shift
  "$SL" serve --listen 127.0.0.1:0 "$@" 2>"$log" &
  SERVER_PID=$!
  for _ in $(seq 1 100); do
    grep -q '^listening on http://' "$log" && break
    kill -0 "$SERVER_PID" 2>/dev/null || { fail "server exited: $(cat "$log")"; finish; exit 1; }
    sleep 0.1
  done
  URL=$(sed -n 's/^listening on \(http:[^ ]*\)$/\1/p' "$log" | head -1)
  [ -n "$URL" ] || { fail "server did not say where it listens: $(cat "$log")"; finish; exit 1; }
}

# http METHOD PATH [curl options]: sets status, ctype, body, headers
http() {
  set +e
  curl -sS -o "$TMP/body" -D "$TMP/headers" -X "$1" "$URL$2" "${@:3}"
  local rc=$?
  set -e
  [ "$rc" = 0 ] || fail "curl $1 $2 failed with $rc"
  status=$(awk 'NR==1 {print $2}' "$TMP/headers")
  ctype=$(grep -i '^content-type:' "$TMP/headers" | cut -d' ' -f2- | tr -d '\r' || true)
  headers=$(tr -d '\r' <"$TMP/headers")
  body=$(cat "$TMP/body")
}

expect_http() { # NAME STATUS CONTENT-TYPE BODY
  expect_eq "$1: status" "$status" "$2"
  expect_eq "$1: content type" "$ctype" "$3"
  expect_eq "$1: body" "$body" "$4"
}

# issue FILE PLAN USERS STARTS EXPIRES COMPANY [more license issue options]
issue() {
  local out=$1 plan=$2 users=$3 starts=$4 expires=$5 company=$6; shift 6
  run 0 "$SL" license issue --private-key "$TMP/v.pem" --licensee-name "Ada Lovelace" \
    --licensee-email ada@example.com --licensee-company "$company" --plan "$plan" \
    --users "$users" --starts "$starts" --expires "$expires" --out "$out" "$@"
}

entity() { # ID PLAN STARTS EXPIRES USERS COMPANY: the entity JSON with active_users
  printf '{"id":%s,"plan":"%s","created_at":"2026-11-22T12:00:00.000Z","starts_at":"%s","expires_at":"%s","historical_max":0,"maximum_user_count":0,"expired":false,"overage":0,"user_limit":%s,"active_users":0,"licensee":{"Name":"Ada Lovelace","Email":"ada@example.com","Company":"%s"},"add_ons":{}}' "$@"
}

UNAUTH='{"message":"401 Unauthorized"}'
FORBIDDEN='{"message":"403 Forbidden"}'
NOTFOUND='{"message":"404 Not found"}'
NOROUTE='{"message":"404 Not Found"}'
JSON=application/json

# ---- vendor keys, licenses, tokens --------------------------------------
run 0 "$SL" keys generate --private "$TMP/v.pem" --public "$TMP/v.pub.pem"
run 0 "$SL" keys trust "$TMP/v.pub.pem" --name vendor
issue "$TMP/query.key" premium 50 2026-02-01 2097-01-01 "Query Corp"
issue "$TMP/form.key" premium 100 2026-01-01 2099-01-01 "Form Corp" --boundary GitLab
issue "$TMP/multi.key" premium 100 2026-01-01 2099-01-01 "Multi Corp" --boundary GitLab
issue "$TMP/json.key" ultimate 10 2026-01-01 2099-01-01 "Json Corp"
issue "$TMP/expired.key" premium 10 2020-01-01 2021-01-01 "Old Corp"
run 0 "$SL" license issue --private-key "$TMP/v.pem" --licensee-name "Grace Hopper" \
  --licensee-email grace@example.com --licensee-company Navy --plan ultimate --users 25 \
  --starts 2026-03-01 --expires 2098-03-01 --add-on GitLab_FileLocks=1 --out "$TMP/python.key"

run 0 "$SL" token create --name admin --admin
ADMIN=$out
expect_contains "token create note" "$err" "created admin token 'admin'"
run 0 "$SL" token create --name reader
READER=$out
run 0 "$SL" token create --name gone --admin
GONE=$out
run 0 "$SL" token revoke gone
expect_eq "token revoke" "$out" "revoked token 'gone'"
run 0 "$SL" --json token create --name ci --admin --expires 2027-01-01
expect_contains "token create json" "$out" '{"name":"ci","token":"slt_'
expect_contains "token create json tail" "$out" '","admin":true,"expires_at":"2027-01-01"}'
run 2 "$SL" token create --name x --expires 2027-02-30
run 1 "$SL" token create --name "bad name"
expect_eq "bad token name" "$err" "seatledger: invalid token name 'bad name': use 1-64 characters of A-Z a-z 0-9 . _ -"
run 1 "$SL" token create --name admin
expect_eq "duplicate token" "$err" "seatledger: token 'admin' already exists"
run 3 "$SL" token revoke nosuch
expect_eq "revoke missing" "$err" "seatledger: no token named 'nosuch'"
run 0 "$SL" token list
expect_eq "token list" "$out" "NAME                     ADMIN EXPIRES    CREATED                 STATUS    USER
admin                    yes   never      2026-11-22 12:00:00 UTC active    -
reader                   no    never      2026-11-22 12:00:00 UTC active    -
gone                     yes   never      2026-11-22 12:00:00 UTC revoked   -
ci                       yes   2027-01-01 2026-11-22 12:00:00 UTC active    -"
run 0 "$SL" --json token list
expect_contains "token list json" "$out" '{"name":"gone","admin":true,"expires_at":null,"created_at":"2026-11-22T12:00:00.000Z","revoked_at":"2026-11-22T12:00:00.000Z","status":"revoked"}'
case "$out" in *slt_*) fail "token list shows a secret" ;; esac
run 2 "$SL" serve --refresh-daily 25:00
run 2 "$SL" serve --listen nonsense
expect_eq "bad listen" "$err" "seatledger: invalid listen address 'nonsense': expected HOST:PORT"

start_server "$TMP/server.log"
H=(-H "PRIVATE-TOKEN: $ADMIN")

# ---- authentication -----------------------------------------------------
http GET /api/v4/license
expect_http "no token" 401 $JSON "$UNAUTH"
http GET /api/v4/license -H "PRIVATE-TOKEN: slt_wrong"
expect_http "unknown token" 401 $JSON "$UNAUTH"
http GET /api/v4/license -H "PRIVATE-TOKEN: $GONE"
expect_http "revoked token" 401 $JSON "$UNAUTH"
http GET /api/v4/licenses -H "PRIVATE-TOKEN: $READER"
expect_http "non-admin" 403 $JSON "$FORBIDDEN"
http GET /api/v4/license -H "private-token: $ADMIN"
expect_http "lowercase header" 200 $JSON "null"
http GET /api/v4/license -H "Authorization: Bearer $ADMIN"
expect_http "bearer" 200 $JSON "null"
http GET "/api/v4/license?private_token=$ADMIN"
expect_http "private_token parameter" 200 $JSON "null"
http GET "/api/v4/license?access_token=$ADMIN"
expect_http "access_token parameter" 200 $JSON "null"

# ---- empty ledger, unknown paths, wrong methods -------------------------
http GET /api/v4/licenses "${H[@]}"
expect_http "no licenses" 200 $JSON "[]"
http GET /api/v4/license/1 "${H[@]}"
expect_http "missing id" 404 $JSON "$NOTFOUND"
http GET /api/v4/projects "${H[@]}"
expect_http "unknown path" 404 $JSON "$NOROUTE"
http GET /api/v4/license/abc "${H[@]}"
expect_http "non-numeric id" 404 $JSON "$NOROUTE"
http PATCH /api/v4/license "${H[@]}"
expect_http "405" 405 $JSON '{"message":"405 Method Not Allowed"}'
expect_contains "405 allow" "$headers" "Allow: GET, HEAD, POST"
http DELETE /api/v4/license/usage_export.csv "${H[@]}"
expect_contains "405 allow export" "$headers" "Allow: GET, HEAD"

# ---- adding: query (GitLab docs' curl), form, multipart, JSON ------------
http POST "/api/v4/license?license=$(tr -d '\n' <"$TMP/query.key")" "${H[@]}"
expect_http "add via query" 201 $JSON "$(entity 1 premium 2026-02-01 2097-01-01 50 "Query Corp")"
http POST /api/v4/license "${H[@]}" --data-urlencode "license@$TMP/form.key"
expect_http "add via form" 201 $JSON "$(entity 2 premium 2026-01-01 2099-01-01 100 "Form Corp")"
http POST /api/v4/license "${H[@]}" -F "license=@$TMP/multi.key"
expect_http "add via multipart" 201 $JSON "$(entity 3 premium 2026-01-01 2099-01-01 100 "Multi Corp")"
"$PY" -c 'import json,sys; print(json.dumps({"license": open(sys.argv[1]).read()}))' \
  "$TMP/json.key" >"$TMP/json.body"
http POST /api/v4/license "${H[@]}" -H "Content-Type: application/json" --data-binary "@$TMP/json.body"
expect_http "add via JSON" 201 $JSON "$(entity 4 ultimate 2026-01-01 2099-01-01 10 "Json Corp")"
# refusals
http POST /api/v4/license "${H[@]}"
expect_http "key missing" 400 $JSON '{"error":"license is missing"}'
http POST /api/v4/license "${H[@]}" --data-urlencode "license@$TMP/expired.key"
expect_http "expired key" 400 $JSON '{"message":"This license has already expired."}'
http POST /api/v4/license "${H[@]}" -H "Content-Type: application/json" --data-binary '{"license":'
expect_http "malformed JSON" 400 $JSON '{"message":"400 Bad request - malformed JSON body"}'
head -c 1048577 /dev/zero | tr '\0' 'A' >"$TMP/big"
http POST /api/v4/license "${H[@]}" -H "Content-Type: application/json" --data-binary "@$TMP/big"
expect_http "body over the cap" 413 $JSON '{"message":"413 Request Entity Too Large"}'

# ---- reading, refreshing, exporting, deleting ---------------------------
http GET /api/v4/licenses "${H[@]}"
expect_eq "list ids newest first" "$(printf '%s' "$body" | "$PY" -c 'import json,sys; print(" ".join(str(x["id"]) for x in json.load(sys.stdin)))')" "4 3 2 1"
run 0 "$SL" --json license list
expect_eq "list is the engine's" "$body" "$out"
http GET /api/v4/license "${H[@]}"
run 0 "$SL" --json license show
# the CLI adds the key's add_on_products (docs/cli.md), which GitLab's entity lacks
expect_contains "show adds add_on_products last" "$out" ',"add_on_products":{}}'
expect_http "current" 200 $JSON "${out%,\"add_on_products\":\{\}\}}}"
http GET /api/v4/license/2 "${H[@]}"
expect_http "by id" 200 $JSON "$(entity 2 premium 2026-01-01 2099-01-01 100 "Form Corp")"
set +e
curl -sS -I "$URL/api/v4/license/2" "${H[@]}" | tr -d '\r' >"$TMP/head"
set -e
expect_contains "HEAD" "$(cat "$TMP/head")" "HTTP/1.1 200 OK"
http PUT /api/v4/license/2/refresh_billable_users "${H[@]}"
expect_http "refresh" 202 $JSON '{"success":true}'
http PUT /api/v4/license/99/refresh_billable_users "${H[@]}"
expect_http "refresh missing" 404 $JSON "$NOTFOUND"
run 0 "$SL" --json history
expect_eq "refresh recorded" "$out" '[{"recorded_at":"2026-11-22T12:00:00.000Z","billable_user_count":0,"source":"api"}]'
"$SL" usage export >"$TMP/expected.csv"
for p in /api/v4/license/usage_export.csv /api/v4/license/usage_export; do
  http GET "$p" "${H[@]}"
  expect_eq "$p: status" "$status" 200
  expect_eq "$p: type" "$ctype" "text/csv"
  expect_contains "$p: disposition" "$headers" 'Content-Disposition: attachment; filename="license_usage.csv"'
  checks=$((checks + 1))
  cmp -s "$TMP/body" "$TMP/expected.csv" || fail "$p: body differs from 'seatledger usage export'"
  expect_contains "$p: not cached" "$headers" "Cache-Control: no-store"
  expect_contains "$p: no sniffing" "$headers" "X-Content-Type-Options: nosniff"
done
# every answer, authenticated or not, is kept out of caches and never sniffed
for req in "GET /api/v4/license" "GET /api/v4/licenses" "GET /api/v4/license/2"; do
  http $req "${H[@]}"
  expect_contains "$req: not cached" "$headers" "Cache-Control: no-store"
  expect_contains "$req: no sniffing" "$headers" "X-Content-Type-Options: nosniff"
done
http GET /api/v4/license
expect_contains "401: not cached" "$headers" "Cache-Control: no-store"
expect_contains "401: no sniffing" "$headers" "X-Content-Type-Options: nosniff"
expect_contains "export rows" "$(cat "$TMP/expected.csv")" "Date,Billable User Count
2026-11-22 12:00:00,0"
http DELETE /api/v4/license/1 "${H[@]}"
expect_http "delete" 204 "" ""
http DELETE /api/v4/license/1 "${H[@]}"
expect_http "delete again" 404 $JSON "$NOTFOUND"

# ---- python-gitlab, unchanged, against this server ----------------------
python_skipped=
if [ -n "$PY" ] && "$PY" -c 'import gitlab' 2>/dev/null; then
  run 0 "$PY" "$SRC/tests/e2e/gitlab_client.py" "$URL" "$ADMIN" "$READER" \
    "$TMP/python.key" "$TMP/expired.key"
  echo "$out"
  [ -z "$err" ] || echo "$err" >&2
else
  python_skipped=1
  echo "python-gitlab part skipped: python3-gitlab is not installed"
fi

# ---- graceful stop: a slow upload in flight still gets its answer -------
"$PY" -c 'import json; print(json.dumps({"license": "A" * 300000}))' >"$TMP/slow.body"
set +e
curl -sS -o "$TMP/slow.out" -w '%{http_code}' --limit-rate 100K -X POST "$URL/api/v4/license" \
  "${H[@]}" -H "Content-Type: application/json" --data-binary "@$TMP/slow.body" \
  >"$TMP/slow.code" 2>"$TMP/slow.err" &
CURL_PID=$!
sleep 1
kill -TERM "$SERVER_PID"
wait "$CURL_PID"
curl_rc=$?
wait "$SERVER_PID"
server_rc=$?
SERVER_PID=
set -e
expect_eq "in-flight request completed" "$curl_rc:$(cat "$TMP/slow.code")" "0:400"
expect_contains "in-flight answer" "$(cat "$TMP/slow.out")" '{"message":"The license key is invalid.'
expect_eq "server exit status" "$server_rc" 0
expect_contains "stop message" "$(cat "$TMP/server.log")" "received SIGTERM, stopping"
checks=$((checks + 1))
if curl -sS -o /dev/null "$URL/api/v4/license" 2>/dev/null; then fail "still accepting after stop"; fi

# ---- the access log: one line per request, never a token or query -------
log=$(grep -v -e '^listening on ' -e '^received SIGTERM' -e '^stopped$' "$TMP/server.log")
checks=$((checks + 1))
bad=$(printf '%s\n' "$log" | grep -Ev '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z [A-Z]+ /[^ ?]* [0-9]{3} [0-9]+\.[0-9]ms$' || true)
[ -z "$bad" ] || fail "access log lines out of format: $bad"
for secret in "$ADMIN" "$READER" "$GONE" private_token access_token; do
  checks=$((checks + 1))
  if grep -qF -- "$secret" "$TMP/server.log"; then fail "access log contains '$secret'"; fi
done
expect_contains "log line" "$log" " GET /api/v4/license 401 "
expect_contains "log delete" "$log" " DELETE /api/v4/license/1 204 "
expect_contains "log slow" "$log" " POST /api/v4/license 400 "

finish
if [ -n "$python_skipped" ]; then exit 77; fi
