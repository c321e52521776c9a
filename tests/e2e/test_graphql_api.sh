#!/usr/bin/env bash
# test_graphql_api.sh - GitLab's GraphQL API on the real server: curl for
# the transport's exact answers, a refused bulk assignment that leaves the
# ledger byte for byte unchanged, the token's name as the seat history's
# actor; then the real clients of tests/e2e/graphql_clients.mjs (graphql-js
# introspection against docs/schema.graphql, GitLab's own documents,
# graphql-request for queries, paging, mutations and error codes).
# SL_UPDATE_SCHEMA=1 rewrites docs/schema.graphql after a reviewed schema
# change.  The client part skips without node/npm (tests/e2e/lib_npm.sh).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_npm.sh"

command -v curl >/dev/null || { echo "skip: curl is not installed"; exit 77; }
SERVER_PID=
trap '[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; rm -rf "$TMP"' EXIT

# ---- a ledger: three licenses (one future), Duo seats, users, tokens -------
run 0 "$SL" keys generate --private "$TMP/v.pem" --public "$TMP/v.pub.pem"
run 0 "$SL" keys trust "$TMP/v.pub.pem" --name vendor
run 0 "$SL" license issue --private-key "$TMP/v.pem" --licensee-name "Ada Lovelace" \
  --licensee-email ada@example.com --licensee-company "Old Corp" --plan premium --users 20 \
  --starts 2026-01-01 --expires 2027-06-01 --out "$TMP/legacy.key"
run 0 "$SL" license issue --private-key "$TMP/v.pem" --licensee-name "Ada Lovelace" \
  --licensee-email ada@example.com --licensee-company "Future Corp" --plan ultimate --users 30 \
  --starts 2027-01-15 --expires 2028-01-15 --offline-cloud --out "$TMP/future.key"
cat >"$TMP/current.json" <<'JSON'
{"version":1,"licensee":{"Name":"Ada Lovelace","Email":"ada@example.com","Company":"Acme"},
 "issued_at":"2026-02-01","expires_at":"2027-02-01","activated_at":"2026-02-03T10:00:00Z",
 "last_synced_at":"2026-11-21T08:30:00Z","cloud_licensing_enabled":true,
 "offline_cloud_licensing_enabled":false,
 "restrictions":{"id":9001,"plan":"ultimate","active_user_count":10,"subscription_name":"A-S00000042",
  "add_on_products":{"duo_pro":[{"quantity":3,"started_on":"2026-02-01","expires_on":"2027-02-01"}],
                     "duo_core":[{"quantity":50,"started_on":"2026-02-01","expires_on":"2027-02-01"}]}}}
JSON
run 0 "$SL" license issue --private-key "$TMP/v.pem" --payload "$TMP/current.json" --out "$TMP/current.key"
for k in legacy future current; do run 0 "$SL" license add "$TMP/$k.key"; done
cat >"$TMP/users.csv" <<'CSV'
id,username,state,email,user_type,highest_role,last_activity_on
1,alice,active,alice@example.com,human,developer,2026-11-01
2,bob,active,bob@example.com,human,developer,2026-10-01
3,carol,blocked,carol@example.com,human,developer,
4,dave,active,dave@example.com,human,developer,
5,eve,active,eve@example.com,human,developer,2026-11-20
6,robot,active,,bot,developer,
7,svc,active,,service_user,none,
CSV
run 0 "$SL" users import "$TMP/users.csv"
run 0 "$SL" refresh
run 0 "$SL" token create --name seat-admin --admin
ADMIN=$out
run 0 "$SL" token create --name viewer
READER=$out

"$SL" serve --listen 127.0.0.1:0 2>"$TMP/server.log" &
SERVER_PID=$!
for _ in $(seq 1 100); do
  grep -q '^listening on http://' "$TMP/server.log" && break
  sleep 0.1
done
URL=$(sed -n 's/^listening on \(http:[^ ]*\)$/\1/p' "$TMP/server.log" | head -1)
[ -n "$URL" ] || { fail "server did not start: $(cat "$TMP/server.log")"; finish; exit 1; }

# gql [curl options]: POST /api/graphql; sets status and body
gql() {
  status=$(curl -sS -o "$TMP/body" -w '%{http_code}' "$URL/api/graphql" "$@")
  body=$(cat "$TMP/body")
}
JSON=(-H "Content-Type: application/json")

# ---- the transport, as a plain HTTP client sees it ----------------------------
gql "${JSON[@]}" -d '{"query":"{ queryComplexity { score limit } }"}'
expect_eq "anonymous" "$status $body" '200 {"data":{"queryComplexity":{"score":3,"limit":200}}}'
gql "${JSON[@]}" -H "PRIVATE-TOKEN: slt_nope" -d '{"query":"{ __typename }"}'
expect_eq "invalid token" "$status $body" '401 {"errors":[{"message":"Invalid token"}]}'
gql -G --data-urlencode 'query=mutation { x }'
expect_eq "GET mutation" "$status $body" '422 {"errors":[{"message":"Mutations are forbidden in GET requests"}]}'
gql "${JSON[@]}" -d "{\"query\":\"{ __typename }$(printf '%*s' 10000 '' | tr ' ' '#')\"}"
expect_eq "query too large" "$status $body" '422 {"errors":[{"message":"Query too large"}]}'
gql "${JSON[@]}" -H "PRIVATE-TOKEN: $ADMIN" -d '{"query":"{ currentLicense { id plan } }"}'
expect_eq "GitLab docs' curl" "$status $body" '200 {"data":{"currentLicense":{"id":"gid://gitlab/License/9001","plan":"ultimate"}}}'
gql -X PUT
expect_eq "wrong method" "$status $body" '405 {"errors":[{"message":"405 Method Not Allowed"}]}'

# ---- a refused bulk assignment writes nothing; the actor is the token's name -----
PURCHASE=gid://gitlab/GitlabSubscriptions::AddOnPurchase/1
bulk() { # bulk IDS...: userAddOnAssignmentBulkCreate of gid://gitlab/User/<id>
  local ids="" i
  for i in "$@"; do ids="$ids\\\"gid://gitlab/User/$i\\\","; done
  gql "${JSON[@]}" -H "PRIVATE-TOKEN: $ADMIN" \
    -d "{\"query\":\"mutation { userAddOnAssignmentBulkCreate(input: {addOnPurchaseId: \\\"$PURCHASE\\\", userIds: [${ids%,}]}) { errors users { nodes { username } } } }\"}"
}
bulk 1
expect_eq "bulk assign one" "$body" '{"data":{"userAddOnAssignmentBulkCreate":{"errors":[],"users":{"nodes":[{"username":"alice"}]}}}}'
before=$(ledger_sum)
bulk 2 4 5
expect_eq "not enough seats" "$body" '{"data":{"userAddOnAssignmentBulkCreate":{"errors":["NOT_ENOUGH_SEATS"],"users":null}}}'
expect_eq "a refused bulk assignment leaves the ledger byte for byte" "$(ledger_sum)" "$before"
run 0 "$SL" seats history
expect_contains "the token's name is the actor" "$out" "assigned   -          1            alice                    seat-admin"
gql "${JSON[@]}" -H "PRIVATE-TOKEN: $ADMIN" \
  -d "{\"query\":\"mutation { userAddOnAssignmentRemove(input: {addOnPurchaseId: \\\"$PURCHASE\\\", userId: \\\"gid://gitlab/User/1\\\"}) { errors } }\"}"
expect_eq "unassign" "$body" '{"data":{"userAddOnAssignmentRemove":{"errors":[]}}}'

# ---- real clients ----------------------------------------------------------------
set +e
npm_ready
npm_rc=$?
set -e
if [ "$npm_rc" = 0 ]; then
  run 0 env SL_URL="$URL" SL_ADMIN="$ADMIN" SL_READER="$READER" SL_NPM_CACHE_DIR="$NPM_CACHE" \
    SL_SCHEMA_FILE="$SRC/docs/schema.graphql" SL_DOC_DIR="$SRC/tests/e2e/graphql" \
    SL_UPDATE_SCHEMA="${SL_UPDATE_SCHEMA:-0}" node "$SRC/tests/e2e/graphql_clients.mjs"
  echo "$out"
  [ -z "$err" ] || echo "$err" >&2
else
  echo "real clients skipped: node/npm or the pinned packages are not available"
fi
finish
