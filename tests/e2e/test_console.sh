#!/usr/bin/env bash
# test_console.sh - the admin web console (docs/console.md) on the real
# server: first as a plain HTTP client sees it (redirects, the session
# cookie's flags, the security headers, CSRF refusals, the assets, the usage
# chart's bytes against `usage chart`), then in a real browser: Debian's
# Chromium driven by playwright-core with axe-core (tests/e2e/console_browser.mjs)
# signs in, reads every figure against the License API, the history, the
# chart, exports the CSV, assigns and removes Duo seats, adds and removes a
# license, signs out; screenshots of each page go to $SL_CONSOLE_OUT
# (default build/console-screenshots).  The browser part skips (77) only
# when Chromium or the pinned npm packages cannot be installed.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_npm.sh"

command -v curl >/dev/null || { echo "skip: curl is not installed"; exit 77; }
SERVER_PID= TLS_PID=
trap '[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; [ -n "$TLS_PID" ] && kill "$TLS_PID" 2>/dev/null; rm -rf "$TMP"' EXIT
OUT=${SL_CONSOLE_OUT:-${SL_BINARY_DIR:-$TMP}/console-screenshots}
XSS='<img src=x onerror=alert(1)>'

# ---- a ledger: a year of snapshots, a previous and a current license ---------
users() { # N: alice..eve (carol blocked) and developers u06..uN
  echo "id,username,state,email,user_type,highest_role,last_activity_on"
  echo "1,alice,active,alice@example.com,human,developer,2026-11-01"
  echo "2,bob,active,bob@example.com,human,maintainer,2026-10-01"
  echo "3,carol,blocked,carol@example.com,human,developer,"
  echo "4,dave,active,dave@example.com,human,developer,2026-11-18"
  echo "5,eve,active,eve@example.com,human,developer,2026-11-20"
  for i in $(seq 6 "$1"); do printf '%d,u%02d,active,u%02d@example.com,human,developer,2026-11-%02d\n' "$i" "$i" "$i" $((i % 20 + 1)); done
  echo "90,$XSS,active,xss@example.com,human,guest,"
}
SEATLEDGER_NOW=2025-03-01T12:00:00Z
export SEATLEDGER_NOW
run 0 "$SL" keys generate --private "$TMP/v.pem" --public "$TMP/v.pub.pem"
run 0 "$SL" keys trust "$TMP/v.pub.pem" --name vendor
run 0 "$SL" license issue --private-key "$TMP/v.pem" --licensee-name "Ada Lovelace" \
  --licensee-email ada@example.com --licensee-company "Old Corp" --plan premium --users 8 \
  --starts 2025-02-01 --expires 2026-02-01 --out "$TMP/previous.key"
run 0 "$SL" license add "$TMP/previous.key"
cat >"$TMP/current.json" <<JSON
{"version":1,"licensee":{"Name":"$XSS","Email":"ada@example.com","Company":"Acme Corp"},
 "issued_at":"2026-02-01","expires_at":"2026-12-01","activated_at":"2026-02-03T10:00:00Z",
 "last_synced_at":"2026-11-21T08:30:00Z","cloud_licensing_enabled":true,
 "restrictions":{"id":9001,"plan":"ultimate","active_user_count":10,"subscription_name":"A-S00000042",
  "add_on_products":{"duo_pro":[{"quantity":3,"started_on":"2026-02-01","expires_on":"2026-12-01"}]}}}
JSON
run 0 "$SL" license issue --private-key "$TMP/v.pem" --payload "$TMP/current.json" --out "$TMP/current.key"
run 0 "$SL" license issue --private-key "$TMP/v.pem" --licensee-name "Ada Lovelace" \
  --licensee-email ada@example.com --licensee-company "Acme Corp" --plan ultimate --users 15 \
  --starts 2026-12-01 --expires 2027-12-01 --offline-cloud --out "$TMP/future.key"
# a snapshot every two weeks of the current term, the count climbing past 10 seats
day=2026-02-02 n=0
counts=(5 5 6 6 7 7 8 8 8 9 9 10 10 9 10 11 11 13 12 12 11)
first=1
for c in "${counts[@]}"; do
  SEATLEDGER_NOW=${day}T12:00:00Z
  if [ "$first" = 1 ]; then
    run 0 "$SL" clock confirm
    run 0 "$SL" license add "$TMP/current.key"
    first=0
  fi
  users $((c + 1)) >"$TMP/users.csv"    # carol is blocked: c billable
  run 0 "$SL" users import "$TMP/users.csv" --prune
  run 0 "$SL" refresh
  day=$(date -u -d "$day + 14 days" +%F)
done
SEATLEDGER_NOW=2026-11-22T12:00:00Z
run 0 "$SL" users import "$TMP/users.csv" --prune
run 0 "$SL" refresh
run 0 "$SL" seats assign duo_pro alice bob
run 0 "$SL" token create --name console-admin --admin
ADMIN=$out
run 0 "$SL" token create --name viewer
READER=$out
run 0 "$SL" token create --name revoked-admin --admin
REVOKED=$out

start_server() { # LOG [serve options]: sets the URL of the started server
  local log=$1; shift
  "$SL" serve --listen 127.0.0.1:0 "$@" 2>"$log" &
  started=$!
  for _ in $(seq 1 100); do
    grep -q '^listening on http://' "$log" && break
    sleep 0.1
  done
  started_url=$(sed -n 's/^listening on \(http:[^ ]*\)$/\1/p' "$log" | head -1)
}
start_server "$TMP/server.log"
SERVER_PID=$started URL=$started_url
[ -n "$URL" ] || { fail "server did not start: $(cat "$TMP/server.log")"; finish; exit 1; }

# ---- as curl sees it -----------------------------------------------------------
# req [curl options] URL-PATH: sets status, headers (lower-cased names) and body
req() {
  local path=${*: -1}
  status=$(curl -sS -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' "${@:1:$#-1}" "$URL$path")
  body=$(cat "$TMP/body")
  headers=$(tr -d '\r' <"$TMP/headers" | sed 's/^\([^:]*\):/\L\1:/')
}
header() { printf '%s\n' "$headers" | sed -n "s/^$1: //p" | head -1; }
security_headers() { # NAME CACHE-CONTROL
  expect_eq "$1: CSP" "$(header content-security-policy)" \
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
  expect_eq "$1: frames" "$(header x-frame-options)" "DENY"
  expect_eq "$1: nosniff" "$(header x-content-type-options)" "nosniff"
  expect_eq "$1: referrer" "$(header referrer-policy)" "same-origin"
  expect_eq "$1: cache" "$(header cache-control)" "$2"
}

req /admin/subscription
expect_eq "signed out: the page sends to the sign-in" "$status $(header location)" "303 /admin/sign_in"
security_headers "redirect" no-store
req /admin
expect_eq "/admin" "$status $(header location)" "303 /admin/subscription"
req /admin/sign_in
expect_eq "sign-in page" "$status $(header content-type)" "200 text/html; charset=utf-8"
security_headers "sign-in page" no-store
expect_contains "sign-in form" "$body" '<form method="post" action="/admin/sign_in"'
req -d "token=$READER" /admin/sign_in
expect_eq "a non-admin token cannot sign in" "$status $(header set-cookie)" "403 "
expect_contains "non-admin message" "$body" "This token is not an admin token. Only administrators can sign in."
req -d "token=slt_nope" /admin/sign_in
expect_eq "an unknown token cannot sign in" "$status $(header set-cookie)" "401 "
expect_contains "unknown token message" "$body" "Invalid token."
req -d "token=$ADMIN" /admin/sign_in
expect_eq "admin sign-in" "$status $(header location)" "303 /admin/subscription"
cookie=$(header set-cookie)
SID=$(printf '%s' "$cookie" | sed -n 's/^seatledger_session=\([A-Za-z0-9_-]\{43\}\); .*/\1/p')
expect_eq "session cookie flags" "${cookie#seatledger_session=$SID}" "; Path=/; HttpOnly; SameSite=Strict"
C=(-H "Cookie: seatledger_session=$SID")
req "${C[@]}" /admin/subscription
expect_eq "signed in: the page" "$status $(header content-type)" "200 text/html; charset=utf-8"
security_headers "page" no-store
expect_contains "the page's script is a module of our own" "$body" '<script type="module" src="/admin/assets/subscription.js"></script>'
req "${C[@]}" /admin/console/session
CSRF=$(printf '%s' "$body" | sed -n 's/.*"csrf_token":"\([^"]*\)".*/\1/p')
expect_contains "session JSON" "$body" '"name":"console-admin","product":"seatledger"'
security_headers "console JSON" no-store

# the session stands for the token on the APIs; a change needs the CSRF token
Q='{"query":"{ currentLicense { plan } }"}'
req "${C[@]}" -H "Content-Type: application/json" -d "$Q" /api/graphql
expect_eq "GraphQL POST without the CSRF token" "$status $body" '403 {"errors":[{"message":"403 Forbidden - invalid CSRF token"}]}'
req "${C[@]}" -H "X-CSRF-Token: ${CSRF}x" -H "Content-Type: application/json" -d "$Q" /api/graphql
expect_eq "GraphQL POST with a wrong CSRF token" "$status" 403
req "${C[@]}" -H "X-CSRF-Token: $CSRF" -H "Content-Type: application/json" -d "$Q" /api/graphql
expect_eq "GraphQL POST with the session and its CSRF token" "$status $body" '200 {"data":{"currentLicense":{"plan":"ultimate"}}}'
req "${C[@]}" -H "X-CSRF-Token: $CSRF" -H "Sec-Fetch-Site: cross-site" -H "Content-Type: application/json" -d "$Q" /api/graphql
expect_eq "a cross-site request is refused even with the token" "$status" 403
req "${C[@]}" /api/v4/license
expect_contains "REST GET on the session" "$status $body" '200 {"id":2,'
req "${C[@]}" -X DELETE /api/v4/license/2
expect_eq "DELETE without the CSRF token" "$status $body" '403 {"message":"403 Forbidden - invalid CSRF token"}'
req "${C[@]}" /api/v4/license
expect_contains "the license is still there" "$status $body" '200 {"id":2,'
req -H "Cookie: seatledger_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" /api/v4/license
expect_eq "an unknown session is no token" "$status $body" '401 {"message":"401 Unauthorized"}'

# assets: built in, typed, revalidated; pages only at their routes
req /admin/assets/console.css
expect_eq "stylesheet" "$status $(header content-type)" "200 text/css; charset=utf-8"
security_headers "asset" no-cache
ETAG=$(header etag)
req -H "If-None-Match: $ETAG" /admin/assets/console.css
expect_eq "revalidated asset" "$status" 304
req /admin/assets/console.js
expect_eq "module" "$status $(header content-type)" "200 text/javascript; charset=utf-8"
req /admin/assets/subscription.html
expect_eq "pages are not assets" "$status" 404
req /admin/assets/..%2Fconsole.c
expect_eq "no path out of the assets" "$status" 404
for f in "$SRC"/server/console/assets/*; do
  case $f in *.html) continue ;; esac
  req "/admin/assets/$(basename "$f")"
  cmp -s "$TMP/body" "$f" || fail "asset $(basename "$f") is not the file of the tree"
done

# the chart: the engine's bytes, as `usage chart` writes them for the same size
req "${C[@]}" "/admin/console/usage_chart?width=900&height=400"
printf '%s' "$body" | python3 -c 'import json,sys; sys.stdout.write(json.load(sys.stdin)["svg"])' >"$TMP/console.svg"
run 0 "$SL" usage chart --focusable --width 900 --height 400 --out "$TMP/cli.svg"
cmp -s "$TMP/console.svg" "$TMP/cli.svg" || fail "the console's chart differs from usage chart's"
expect_contains "the chart's points are tab stops" "$(cat "$TMP/console.svg")" 'tabindex="0" role="img" aria-label="2026-11-22 12:00:00 UTC: 11 billable users, 1 over the seat limit"'
req "${C[@]}" /admin/console/banners
expect_eq "banners" "$body" '{"banners":[{"id":"expiry","variant":"warning","title":"Your Ultimate subscription will expire on 2026-12-01","body":[]},{"id":"seats","variant":"warning","title":"Your instance has exceeded its seat limit","body":[{"text":"Your instance has used 11 of 10 seats (1 over limit). Purchase more seats and turn on restricted access to prevent further overages.","strong":false}]}]}'

# a revoked token ends its sessions at the next request
req -d "token=$REVOKED" /admin/sign_in
RSID=$(header set-cookie | sed -n 's/^seatledger_session=\([^;]*\);.*/\1/p')
run 0 "$SL" token revoke revoked-admin
req -H "Cookie: seatledger_session=$RSID" /admin/subscription
expect_eq "revoked token: signed out" "$status $(header location)" "303 /admin/sign_in"

# sign-out needs the CSRF token too
req "${C[@]}" -X POST /admin/sign_out
expect_eq "sign-out without the CSRF token" "$status" 403
req -d "token=$ADMIN" /admin/sign_in
SID2=$(header set-cookie | sed -n 's/^seatledger_session=\([^;]*\);.*/\1/p')
req -H "Cookie: seatledger_session=$SID2" /admin/console/session
CSRF2=$(printf '%s' "$body" | sed -n 's/.*"csrf_token":"\([^"]*\)".*/\1/p')
[ "$CSRF2" != "$CSRF" ] || fail "two sessions share a CSRF token"
req -H "Cookie: seatledger_session=$SID2" -d "authenticity_token=$CSRF2" /admin/sign_out
expect_eq "sign-out" "$status $(header location)" "303 /admin/sign_in"
expect_eq "sign-out ends the cookie" "$(header set-cookie)" "seatledger_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict"
req -H "Cookie: seatledger_session=$SID2" /admin/console/session
expect_eq "signed out: the session is gone" "$status" 401
req "${C[@]}" /admin/console/session
expect_eq "the other session lives on" "$status" 200

# behind TLS the cookie is Secure
start_server "$TMP/tls.log" --behind-tls
TLS_PID=$started
status=$(curl -sS -o /dev/null -D "$TMP/headers" -w '%{http_code}' -d "token=$ADMIN" "$started_url/admin/sign_in")
expect_contains "--behind-tls: Secure cookie" "$(tr -d '\r' <"$TMP/headers" | grep -i '^set-cookie:')" "; Path=/; HttpOnly; SameSite=Strict; Secure"
kill "$TLS_PID" && wait "$TLS_PID" 2>/dev/null || true
TLS_PID=

# ---- in a real browser -------------------------------------------------------
# SL_BROWSER=0 leaves it out: scripts/test.sh's valgrind stage (the server
# under memcheck is too slow for a browser, and the part above covers its routes)
if [ "${SL_BROWSER:-1}" = 0 ]; then
  echo "the browser part: not run (SL_BROWSER=0)"
  finish; exit
fi
browser_skip=
if [ ! -x /usr/bin/chromium ]; then
  browser_skip="Debian's chromium is not installed (scripts/test.sh installs it with scripts/deps.sh)"
else
  npm_ready >"$TMP/npm.out" || browser_skip=$(cat "$TMP/npm.out")
fi
if [ -n "$browser_skip" ]; then
  echo "skip: the browser part: $browser_skip"
  finish || exit 1
  exit 77
fi
run 0 "$SL" usage export --out "$TMP/expected_usage.csv"
mkdir -p "$OUT"
run 0 env NODE_PATH="$NPM_CACHE/node_modules" SL_URL="$URL" SL_ADMIN="$ADMIN" SL_READER="$READER" \
  SL_OUT="$OUT" SL_TMP="$TMP" SL_EXPECTED_CSV="$TMP/expected_usage.csv" SL_FUTURE_KEY="$TMP/future.key" \
  SL_XSS="$XSS" node "$SRC/tests/e2e/console_browser.mjs"
printf '%s\n' "$out"
[ -n "$err" ] && printf '%s\n' "$err" >&2
# what the browser changed, as the CLI sees it
run 0 "$SL" license show
expect_contains "the removal fell back on the previous license" "$out" "Old Corp"
if grep -E ' (5[0-9][0-9]) ' "$TMP/server.log" | grep -v '^listening' >/dev/null; then
  fail "the server answered 5xx: $(grep -E ' 5[0-9][0-9] ' "$TMP/server.log" | head -3)"
fi
finish
