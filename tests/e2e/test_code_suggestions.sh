#!/usr/bin/env bash
# End-to-end: the Code Suggestions API with real parts.  The CLI around it
# (seats check, settings, projects, user tokens, keys instance-public); the
# server in front of an AI gateway stand-in (tests/e2e/ai_gateway.py, which
# records what it receives): headers arrive, the body passes through, the
# answer is streamed back, a slow or absent gateway gives 503, an oversized
# answer is cut off as an error, nothing of the request body reaches the
# ledger or the log; the JWT verified by python3-jwt with the printed key and
# refused after exp; 100 completions from 10 parallel clients of which
# exactly 60 pass; hostile requests refused cleanly.
source "$(dirname "$0")/lib.sh"

command -v curl >/dev/null || { echo "skip: curl is not installed"; exit 77; }
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3 || true)
[ -n "$PY" ] || { echo "skip: python3 is not installed"; exit 77; }
"$PY" -c 'import jwt' 2>/dev/null || { echo "skip: python3-jwt is not installed"; exit 77; }
GW_SCRIPT=$SRC/tests/e2e/ai_gateway.py

PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$TMP"' EXIT

# start_server LOG [serve options]: sets SERVER_PID and URL
start_server() {
  local log=$1; shift
  : >"$log"   # before the server starts: an old log must not be read as this one's
  "$SL" serve --listen 127.0.0.1:0 --external-host gitlab.example.com "$@" 2>"$log" &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  for _ in $(seq 1 300); do   # 30 s: valgrind (scripts/test.sh) starts slowly
    grep -q '^listening on http://' "$log" && break
    kill -0 "$SERVER_PID" 2>/dev/null || { fail "server exited: $(cat "$log")"; finish; exit 1; }
    sleep 0.1
  done
  URL=$(sed -n 's/^listening on \(http:[^ ]*\)$/\1/p' "$log" | head -1)
  [ -n "$URL" ] || { fail "server did not start: $(cat "$log")"; finish; exit 1; }
}

stop_server() {
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
}

# start_gateway NAME [options]: sets GW_PID, GW_URL, GW_LOG
start_gateway() {
  local name=$1; shift
  GW_LOG=$TMP/$name.log
  : >"$GW_LOG"
  rm -f "$TMP/$name.port"
  "$PY" "$GW_SCRIPT" "$TMP/$name.port" "$GW_LOG" "$@" &
  GW_PID=$!
  PIDS+=("$GW_PID")
  for _ in $(seq 1 100); do
    [ -s "$TMP/$name.port" ] && break
    sleep 0.05
  done
  GW_URL=http://127.0.0.1:$(cat "$TMP/$name.port")
}

# post ENDPOINT TOKEN [curl options]: sets status, ctype, body, headers
post() {
  local ep=$1 tok=$2; shift 2
  set +e
  curl -sS -o "$TMP/body" -D "$TMP/headers" -X POST -H "PRIVATE-TOKEN: $tok" \
    "$URL/api/v4/code_suggestions/$ep" "$@"
  curl_rc=$?
  set -e
  status=$(awk 'NR==1 {print $2}' "$TMP/headers")
  ctype=$(grep -i '^content-type:' "$TMP/headers" | cut -d' ' -f2- | tr -d '\r' || true)
  headers=$(tr -d '\r' <"$TMP/headers")
  body=$(cat "$TMP/body")
}

expect_http() { # NAME STATUS BODY
  expect_eq "$1: status" "$status" "$2"
  expect_eq "$1: content type" "$ctype" "application/json"
  expect_eq "$1: body" "$body" "$3"
}

COMPLETION='{"current_file":{"file_name":"app.py","content_above_cursor":"def secret_marker_4711():","content_below_cursor":""},"stream":false}'

# ---- the ledger --------------------------------------------------------------
run 0 "$SL" keys generate --private "$TMP/v.pem" --public "$TMP/v.pub"
run 0 "$SL" keys trust "$TMP/v.pub"
run 0 "$SL" license issue --private-key "$TMP/v.pem" --licensee-name "Ada" \
  --licensee-email ada@example.com --licensee-company "Example" --plan ultimate --users 100 \
  --starts 2026-01-01 --expires 2028-01-01 --cloud \
  --add-on-product duo_pro:5:2026-01-01:2028-01-01 --out "$TMP/duo.gitlab-license"
run 0 "$SL" license add "$TMP/duo.gitlab-license"
printf 'id,username,state,user_type\n1,alice,active,human\n2,bob,active,human\n3,robot,active,project_bot\n4,dora,blocked,human\n' >"$TMP/users.csv"
run 0 "$SL" users import "$TMP/users.csv"
run 0 "$SL" seats assign duo_pro alice

# ---- seats check: the admin's first question -----------------------------------
run 0 "$SL" seats check alice
expect_eq "check alice" "$out" "alice: allowed, feature_enablement_type duo_pro: holds a seat of an active duo_pro purchase"
run 0 "$SL" seats check bob
expect_eq "check bob" "$out" "bob: denied: no seat of an active duo_pro or duo_enterprise purchase, and no active duo_amazon_q or duo_core purchase"
run 0 "$SL" seats check dora
expect_eq "check dora" "$out" "dora: denied: not eligible for Duo: state 'blocked', user_type 'human'"
run 0 "$SL" seats check 3
expect_eq "check robot" "$out" "3: denied: not eligible for Duo: state 'active', user_type 'project_bot'"
run 0 "$SL" seats check zed
expect_eq "check zed" "$out" "zed: denied: user id 'zed' is not in the directory"
run 0 "$SL" --json seats check alice
expect_eq "check json" "$out" '{"user":"alice","user_id":"1","allowed":true,"feature_enablement_type":"duo_pro","reason":"seat","detail":"holds a seat of an active duo_pro purchase"}'
run 2 "$SL" seats check
run 0 "$SL" seats check --help
expect_contains "check help" "$out" "usage: seatledger seats check USER"

# ---- settings ------------------------------------------------------------------
run 0 "$SL" settings list
expect_eq "settings list" "$out" "NAME                       VALUE  LOCKED SOURCE
duo_features_enabled       true   no     default
duo_core_features_enabled  true   no     default
direct_code_suggestions    true   no     default"
before=$(ledger_sum)
run 1 "$SL" settings set direct_code_suggestions perhaps
expect_eq "bad value" "$err" "seatledger: invalid value 'perhaps' for direct_code_suggestions: use true or false"
run 1 "$SL" settings set color true
run 1 "$SL" settings set duo_core_features_enabled false --lock
expect_eq "only one lockable" "$err" "seatledger: setting 'duo_core_features_enabled' cannot be locked: only duo_features_enabled cascades to groups and projects"
run 2 "$SL" settings set duo_features_enabled
expect_eq "refusals change nothing" "$(ledger_sum)" "$before"
run 0 "$SL" settings set duo_features_enabled false --lock
run 0 "$SL" seats check alice
expect_eq "instance off" "$out" "alice: denied: duo_features_enabled is off for the instance"
run 0 "$SL" --json settings set duo_features_enabled true
expect_eq "settings json" "$out" '[{"name":"duo_features_enabled","value":true,"locked":false,"default":false},{"name":"duo_core_features_enabled","value":true,"locked":false,"default":true},{"name":"direct_code_suggestions","value":true,"locked":false,"default":true}]'
audit=$(sqlite3 "$SEATLEDGER_DB" "SELECT detail FROM audit_log WHERE action = 'settings.set' ORDER BY id")
expect_eq "settings audited" "$audit" "duo_features_enabled: true -> false (locked)
duo_features_enabled: false (locked) -> true"

# ---- projects ------------------------------------------------------------------
printf 'path,kind,duo_features_enabled,locked\nacme,group,false,true\nacme/app,project,true,\nacme/tools,group,,\nopen,group,,\nopen/web,project,,\nopen/off,project,false,\n' >"$TMP/projects.csv"
run 0 "$SL" projects import "$TMP/projects.csv"
expect_eq "projects import" "$out" "imported 6 projects and groups: 6 new, 0 updated, 0 removed"
run 0 "$SL" projects list
expect_eq "projects list" "$out" "KIND     DUO      LOCKED  EFFECTIVE PATH
group    false    yes     off       acme
project  true     no      off       acme/app
group    inherit  no      off       acme/tools
group    inherit  no      on        open
project  false    no      off       open/off
project  inherit  no      on        open/web"
before=$(ledger_sum)
printf 'path\nopen/web\nOPEN/WEB\n' >"$TMP/dup.csv"
run 1 "$SL" projects import "$TMP/dup.csv"
expect_eq "duplicate path" "$err" "seatledger: cannot import '$TMP/dup.csv': line 3: duplicate path 'OPEN/WEB'"
printf '{"path":"x","kind":"group"}\n{"path":"x/\\u0000"}\n' >"$TMP/nul.jsonl"
run 1 "$SL" projects import "$TMP/nul.jsonl"
expect_eq "NUL in a path" "$err" "seatledger: cannot import '$TMP/nul.jsonl': line 2: NUL byte in path"
run 1 "$SL" projects import - <<<"path,kind
a,b"
expect_eq "bad kind" "$err" "seatledger: cannot import standard input: line 2: unknown kind 'b': use project or group"
run 3 "$SL" projects import "$TMP/missing.csv"
expect_eq "refused imports change nothing" "$(ledger_sum)" "$before"
run 0 "$SL" projects --help
expect_contains "projects help" "$out" "projects import FILE|- [--format csv|jsonl] [--prune]"

# ---- tokens ----------------------------------------------------------------------
run 0 "$SL" token create --name alice-ide --user alice
ALICE=$out
expect_eq "user token stderr" "$err" "created token 'alice-ide' acting for user 'alice' (id 1); the secret above is shown only once"
run 0 "$SL" token create --name bob-ide --user 2
BOB=$out
run 0 "$SL" token create --name admin --admin
ADMIN=$out
run 3 "$SL" token create --name ghost --user nobody
expect_eq "no such user" "$err" "seatledger: no user 'nobody' in the directory"
run 2 "$SL" token create --name both --admin --user alice
run 0 "$SL" token list
expect_contains "token list user" "$out" "alice-ide                no    never      2026-11-22 12:00:00 UTC active    alice (id 1)"
expect_contains "token list admin" "$out" "admin                    yes   never      2026-11-22 12:00:00 UTC active    -"

# ---- the instance keys ----------------------------------------------------------
run 0 "$SL" keys instance-public
JWT_PEM=$out
expect_contains "jwt key" "$out" "-----BEGIN PUBLIC KEY-----"
printf '%s\n' "$JWT_PEM" >"$TMP/jwt.pub"
expect_eq "jwt key is RSA-2048" "$(openssl pkey -pubin -in "$TMP/jwt.pub" -noout -text 2>/dev/null | head -n1)" "Public-Key: (2048 bit)"
run 0 "$SL" keys instance-public --reports
printf '%s\n' "$out" >"$TMP/reports.pub"
expect_eq "reports key is Ed25519" "$(openssl pkey -pubin -in "$TMP/reports.pub" -noout -text 2>/dev/null | head -n1)" "ED25519 Public-Key:"
run 0 "$SL" --json keys instance-public
INSTANCE_ID=$(printf '%s' "$out" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["instance_id"])')
run 0 "$SL" keys instance-public
expect_eq "the same key every time" "$out" "$JWT_PEM"
case "$(sqlite3 "$SEATLEDGER_DB" 'SELECT count(*) FROM instance')" in 1) ;; *) fail "one instance row" ;; esac
run 0 "$SL" keys instance-public --help
expect_contains "private keys are never printed" "$(cat "$TMP/jwt.pub" "$TMP/reports.pub")" "PUBLIC KEY"
case "$JWT_PEM$out" in *PRIVATE*) fail "a private key was printed" ;; esac

# ---- serve options --------------------------------------------------------------
run 2 "$SL" serve --ai-gateway ftp://example.com
expect_eq "bad gateway" "$err" "seatledger: invalid AI gateway URL 'ftp://example.com': expected http://HOST[:PORT][/PATH] or https://..."
run 2 "$SL" serve --rate-limit completions=many/60
run 2 "$SL" serve --ai-gateway-timeout 0
run 0 "$SL" serve --help
expect_contains "serve help" "$out" "[--rate-limit ENDPOINT=COUNT/SECONDS]"

# ---- the endpoints against a gateway stand-in ----------------------------------------
start_gateway gw
start_server "$TMP/serve.log" --ai-gateway "$GW_URL/"

post enabled "$ALICE" -H 'Content-Type: application/json' -d '{"project_path":"open/web"}'
expect_http "enabled" 200 "200"
post enabled "$ALICE" -d 'project_path=acme%2Fapp'
expect_http "enabled, locked group" 403 '{"message":"403 Forbidden"}'
post enabled "$ALICE" -d 'project_path=open'
expect_http "enabled, a group" 404 '{"message":"404 Not Found"}'
post enabled "$BOB" -d 'project_path=open/web'
expect_http "enabled, no seat" 401 '{"message":"401 Unauthorized"}'
expect_contains "origin header" "$headers" "X-GitLab-Error-Origin: monolith"
post enabled "$ADMIN" -H 'Sudo: alice' -d 'project_path=open/web'
expect_http "enabled, sudo" 200 "200"
post enabled "$BOB" -H 'Sudo: alice' -d 'project_path=open/web'
expect_http "sudo, not admin" 403 '{"message":"403 Forbidden - Must be admin to use sudo"}'
post enabled "$ADMIN" -H 'Sudo: <script>' -d 'project_path=open/web'
expect_http "sudo, nobody" 404 '{"message":"404 User with ID or username '"'"'<script>'"'"' Not Found"}'

post connection_details "$ALICE"
expect_eq "connection_details status" "$status" 201
GID=$(printf '%s' "$body" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["global_user_id"])')
expect_eq "connection_details body" "$body" "{\"instance_id\":\"$INSTANCE_ID\",\"instance_version\":\"$("$SL" --version | cut -d' ' -f2)\",\"realm\":\"self-managed\",\"global_user_id\":\"$GID\",\"host_name\":\"gitlab.example.com\",\"feature_enablement_type\":\"duo_pro\",\"saas_duo_pro_namespace_ids\":[]}"

post direct_access "$ALICE"
expect_eq "direct_access status" "$status" 201
printf '%s' "$body" >"$TMP/direct.json"
expect_eq "last Duo activity" "$(sqlite3 "$SEATLEDGER_DB" "SELECT date(last_duo_activity_on * 86400, 'unixepoch') FROM users WHERE id = '1'")" "2026-11-22"

# the JWT, verified by an independent library with the printed key
verify_jwt() { # FILE_WITH_DIRECT_ACCESS_JSON -> prints the verdict
  "$PY" - "$1" "$TMP/jwt.pub" "$INSTANCE_ID" "$GID" <<'EOF'
import json, sys, jwt
doc = json.load(open(sys.argv[1]))
key = open(sys.argv[2]).read()
try:
    claims = jwt.decode(doc["token"], key, algorithms=["RS256"], audience="gitlab-ai-gateway",
                        issuer=sys.argv[3], options={"require": ["exp", "iat", "iss", "sub", "aud"]})
except jwt.ExpiredSignatureError:
    print("expired"); sys.exit(0)
except jwt.InvalidTokenError as e:
    print("invalid: %s" % e); sys.exit(0)
assert claims["sub"] == sys.argv[4], claims
assert claims["scopes"] == ["code_suggestions"], claims
assert claims["gitlab_realm"] == "self-managed", claims
assert claims["exp"] == claims["iat"] + 3600 == doc["expires_at"], claims
assert jwt.get_unverified_header(doc["token"])["alg"] == "RS256"
assert sorted(doc) == ["base_url", "expires_at", "headers", "token"], doc
assert doc["base_url"] == sys.argv[5] if len(sys.argv) > 5 else True
print("valid")
EOF
}
stop_server
# a token made now verifies; one made two hours ago (the server's clock
# fixed there) is refused after its exp
NOW_REAL=$(date -u +%Y-%m-%dT%H:%M:%SZ)
PAST=$(date -u -d '-2 hours' +%Y-%m-%dT%H:%M:%SZ)
SEATLEDGER_NOW=$NOW_REAL start_server "$TMP/serve-now.log" --ai-gateway "$GW_URL"
post direct_access "$ALICE"
printf '%s' "$body" >"$TMP/direct-now.json"
expect_eq "jwt now" "$(verify_jwt "$TMP/direct-now.json")" "valid"
stop_server
SEATLEDGER_NOW=$PAST start_server "$TMP/serve-past.log" --ai-gateway "$GW_URL"
post direct_access "$ALICE"
printf '%s' "$body" >"$TMP/direct-past.json"
expect_eq "jwt after exp" "$(verify_jwt "$TMP/direct-past.json")" "expired"
stop_server
# a claim changed after signing (exp moved a day on): the signature no longer fits
"$PY" - "$TMP/direct-now.json" >"$TMP/direct-bad.json" <<'EOF'
import base64, json, sys
doc = json.load(open(sys.argv[1]))
head, claims, sig = doc["token"].split(".")
c = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
c["exp"] += 86400
doc["token"] = ".".join([head, base64.urlsafe_b64encode(json.dumps(c).encode()).decode().rstrip("="), sig])
json.dump(doc, sys.stdout)
EOF
case "$(verify_jwt "$TMP/direct-bad.json")" in invalid*) ;; *) fail "a tampered JWT verified" ;; esac

# ---- completions: forwarded, streamed back ----------------------------------------
start_server "$TMP/serve.log" --ai-gateway "$GW_URL"
: >"$GW_LOG"
post completions "$ALICE" -H 'Content-Type: application/json' -H 'User-Agent: gitlab-language-server 7.1' \
  -H 'X-Gitlab-Language-Server-Version: 7.1.0' --data-binary "$COMPLETION"
expect_eq "completion status" "$status" 200
expect_eq "completion type" "$ctype" "application/json"
expect_eq "completion body" "$body" '{"choices": [{"text": "print('"'"'hello'"'"')", "index": 0, "finish_reason": "length"}], "model": {"engine": "stand-in", "name": "stand-in", "lang": "python"}}'
"$PY" - "$GW_LOG" "$COMPLETION" "$INSTANCE_ID" "$GID" "$TMP/jwt.pub" >"$TMP/gw.check" 2>&1 <<'EOF' || true
import json, sys, jwt
rec = [json.loads(l) for l in open(sys.argv[1])]
assert len(rec) == 1, rec
r = rec[0]
h = {k.lower(): v for k, v in r["headers"].items()}
assert r["path"] == "/v2/code/completions", r["path"]
assert r["body"] == sys.argv[2], "the body did not pass through unchanged"
want = {"x-gitlab-instance-id": sys.argv[3], "x-gitlab-realm": "self-managed",
        "x-gitlab-global-user-id": sys.argv[4], "x-gitlab-host-name": "gitlab.example.com",
        "x-gitlab-feature-enablement-type": "duo_pro", "x-gitlab-authentication-type": "oidc",
        "content-type": "application/json", "user-agent": "gitlab-language-server 7.1",
        "x-gitlab-language-server-version": "7.1.0"}
for k, v in want.items():
    assert h.get(k) == v, (k, h.get(k), v)
assert "private-token" not in h, "the caller's token was passed on"
assert h["authorization"].startswith("Bearer ")
jwt.decode(h["authorization"][7:], open(sys.argv[5]).read(), algorithms=["RS256"],
           audience="gitlab-ai-gateway", issuer=sys.argv[3],
           options={"verify_exp": False, "verify_iat": False})
print("ok")
EOF
expect_eq "what the gateway received" "$(cat "$TMP/gw.check")" "ok"
# intent generation goes to the generations endpoint
: >"$GW_LOG"
post completions "$ALICE" -H 'Content-Type: application/json' \
  --data-binary '{"current_file":{"file_name":"a.py","content_above_cursor":""},"intent":"generation"}'
expect_eq "generation status" "$status" 200
expect_contains "generation path" "$(cat "$GW_LOG")" '"path": "/v2/code/generations"'

# nothing of the request's content in the ledger or the log
sqlite3 "$SEATLEDGER_DB" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
if grep -q secret_marker_4711 "$SEATLEDGER_DB" "$SEATLEDGER_DB-wal" "$TMP/serve.log" 2>/dev/null; then
  fail "request content reached the ledger or the log"
fi
checks=$((checks + 1))
# the access log is written in batches (at the latest every 250 ms, slower
# under valgrind): wait for the line rather than read at once
for _ in $(seq 1 100); do
  grep -qF "POST /api/v4/code_suggestions/completions 200" "$TMP/serve.log" && break
  sleep 0.1
done
expect_contains "access log" "$(cat "$TMP/serve.log")" "POST /api/v4/code_suggestions/completions 200"
stop_server
kill "$GW_PID"; wait "$GW_PID" 2>/dev/null || true

# a streamed answer comes back chunk by chunk, with its type
start_gateway stream --stream 5
start_server "$TMP/serve.log" --ai-gateway "$GW_URL"
post completions "$ALICE" -H 'Content-Type: application/json' --data-binary "$COMPLETION"
expect_eq "stream status" "$status" 200
expect_eq "stream type" "$ctype" "text/event-stream"
expect_eq "stream body" "$body" "$(printf 'data: chunk 0\n\ndata: chunk 1\n\ndata: chunk 2\n\ndata: chunk 3\n\ndata: chunk 4')"
stop_server
kill "$GW_PID"; wait "$GW_PID" 2>/dev/null || true

# the gateway's own status passes through
start_gateway refuse --status 422
start_server "$TMP/serve.log" --ai-gateway "$GW_URL"
post completions "$ALICE" -H 'Content-Type: application/json' --data-binary "$COMPLETION"
expect_eq "gateway status passes" "$status" 422
stop_server
kill "$GW_PID"; wait "$GW_PID" 2>/dev/null || true

# a slow gateway: 503 after the timeout, while the server keeps answering.
# The gateway's delay is far beyond the timeout so that a server under
# valgrind on a loaded machine (a completion then takes 4-8 s of its own)
# is still told apart from one that waits for the gateway.
start_gateway slow --delay 30
start_server "$TMP/serve.log" --ai-gateway "$GW_URL" --ai-gateway-timeout 1
t0=$EPOCHREALTIME
curl -s -o "$TMP/slow.body" -w '%{http_code}' -X POST -H "PRIVATE-TOKEN: $ALICE" \
  -H 'Content-Type: application/json' --data-binary "$COMPLETION" \
  "$URL/api/v4/code_suggestions/completions" >"$TMP/slow.status" &
slow_pid=$!
sleep 0.3
post enabled "$ALICE" -d 'project_path=open/web'
expect_http "served while a completion waits" 200 "200"
wait "$slow_pid" || true
elapsed=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", b - a }')
expect_eq "slow gateway status" "$(cat "$TMP/slow.status")" 503
expect_eq "slow gateway body" "$(cat "$TMP/slow.body")" '{"message":"503 Service Unavailable"}'
[ "$elapsed" -lt 20 ] || fail "the slow gateway was waited for ($elapsed s)"
checks=$((checks + 1))
expect_contains "why, in the log" "$(cat "$TMP/serve.log")" "error: "
stop_server
kill "$GW_PID"; wait "$GW_PID" 2>/dev/null || true

# no gateway at all, and none reachable
start_server "$TMP/serve.log"
post completions "$ALICE" -H 'Content-Type: application/json' --data-binary "$COMPLETION"
expect_http "no gateway" 503 '{"message":"503 Service Unavailable - no AI gateway configured"}'
stop_server
start_server "$TMP/serve.log" --ai-gateway http://127.0.0.1:9
post completions "$ALICE" -H 'Content-Type: application/json' --data-binary "$COMPLETION"
expect_http "unreachable gateway" 503 '{"message":"503 Service Unavailable"}'
stop_server

# an answer over the relay cap is cut off as an error, never truncated silently
start_gateway big --big 9000000
start_server "$TMP/serve.log" --ai-gateway "$GW_URL"
post completions "$ALICE" -H 'Content-Type: application/json' --data-binary "$COMPLETION"
[ "$curl_rc" != 0 ] || fail "an answer over the cap came through whole (curl exit 0)"
checks=$((checks + 1))
stop_server
kill "$GW_PID"; wait "$GW_PID" 2>/dev/null || true

# ---- rate limits from parallel clients: exactly 60 of 100 pass ------------------
start_gateway rate
start_server "$TMP/serve.log" --ai-gateway "$GW_URL"
seq 100 | xargs -P 10 -I{} curl -s -o /dev/null -w '%{http_code}\n' -X POST \
  -H "PRIVATE-TOKEN: $ALICE" -H 'Content-Type: application/json' --data-binary "$COMPLETION" \
  "$URL/api/v4/code_suggestions/completions" >"$TMP/codes"
expect_eq "60 pass" "$(grep -c '^200$' "$TMP/codes")" 60
expect_eq "40 limited" "$(grep -c '^429$' "$TMP/codes")" 40
expect_eq "the gateway saw 60" "$(wc -l <"$GW_LOG" | tr -d ' ')" 60
post completions "$ALICE" -H 'Content-Type: application/json' --data-binary "$COMPLETION"
expect_http "limited" 429 '{"message":{"error":"This endpoint has been requested too many times. Try again later."}}'
expect_contains "retry after" "$headers" "Retry-After: 60"
# another user has a window of their own
post completions "$ADMIN" -H 'Sudo: alice' -H 'Content-Type: application/json' --data-binary "$COMPLETION"
expect_eq "sudo counts for alice" "$status" 429

# ---- hostile requests ------------------------------------------------------------
post completions "$ALICE" -H 'Content-Type: application/json' --data-binary '{"current_file":'
expect_http "malformed JSON" 400 '{"message":"400 Bad request - malformed JSON body"}'
head -c 2000000 /dev/zero | tr '\0' 'a' >"$TMP/huge"
post completions "$ALICE" -H 'Content-Type: application/json' --data-binary "@$TMP/huge"
expect_eq "huge body" "$status" 413
post enabled "$ADMIN" -G --data-urlencode "sudo=$(printf 'al\001ice')" --data-urlencode project_path=open/web
expect_http "control byte in sudo" 404 '{"message":"404 User with ID or username '"'"'al\u0001ice'"'"' Not Found"}'
# GitLab's HandleMalformedStrings middleware answers any request whose path
# or parameters hold a NUL byte or invalid UTF-8 before the API sees it
post 'enabled?sudo=alice%00&project_path=open/web' "$ADMIN"
expect_eq "NUL in sudo: status" "$status" 400
expect_eq "NUL in sudo: content type" "$ctype" "text/plain"
expect_eq "NUL in sudo: body" "$body" "Bad Request"
post 'enabled?sudo=al%C0ice&project_path=open/web' "$ADMIN"
expect_eq "invalid UTF-8 in sudo: status" "$status" 400
expect_eq "invalid UTF-8 in sudo: body" "$body" "Bad Request"
post enabled "$ALICE" -H 'Transfer-Encoding: chunked' -H 'Content-Type: application/json' \
  --data-binary '{"project_path":"open/web"}'
expect_http "chunked body" 200 "200"
flood=()
for i in $(seq 1 300); do flood+=(-H "X-Flood-$i: $(printf '%0100d' 0)"); done
set +e
curl -s -o /dev/null -w '%{http_code}' -X POST -H "PRIVATE-TOKEN: $ALICE" "${flood[@]}" \
  "$URL/api/v4/code_suggestions/enabled" >"$TMP/flood.status"
set -e
case "$(cat "$TMP/flood.status")" in 431|413|400|000) ;; *) fail "header flood answered $(cat "$TMP/flood.status")" ;; esac
checks=$((checks + 1))
post enabled "$ALICE" -d 'project_path=open/web'
expect_http "still serving after the flood" 200 "200"
curl -s -o /dev/null -w '%{http_code}' "$URL/api/v4/code_suggestions/enabled" >"$TMP/get.status"
expect_eq "GET" "$(cat "$TMP/get.status")" 405

# a user who leaves the directory: the token stops working
printf 'id,username,state\n2,bob,active\n' >"$TMP/users2.csv"
run 0 "$SL" users import --prune "$TMP/users2.csv"
post enabled "$ALICE" -d 'project_path=open/web'
expect_http "user left" 401 '{"message":"401 Unauthorized"}'
stop_server
kill "$GW_PID"; wait "$GW_PID" 2>/dev/null || true

finish
