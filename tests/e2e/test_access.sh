#!/usr/bin/env bash
# test_access.sh - who gets into the License API: every endpoint refuses a
# missing, wrong, revoked and expired token with 401 and a non-admin token
# with 403 (in every place a token may travel), changes nothing when it
# refuses, and works with an admin token.  Also: ledger files are private
# (0600, parent directory 0700) and no token secret reaches the server log,
# an error message or the ledger file.
source "$(dirname "$0")/lib_hardening.sh"
need_cmd curl sqlite3 python3

DB=$TMP/private/ledger.db
LICENSE=$(fixture 01_premium_basic)
secret() { must --db "$DB" --json token create "$@"; python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["token"])' "$TMP/out"; }
# an admin token that has expired by now: made first, while the clock stood
# before its expiry date (nothing is recorded before the ledger's latest)
EXPIRED=$(SEATLEDGER_NOW=2026-11-01T00:00:00Z secret --name old --admin --expires 2026-11-10)
must --db "$DB" keys trust "$FIX/public.pem" --name gitlab
must --db "$DB" license add "$LICENSE"

# tokens: admin, non-admin, revoked admin
ADMIN=$(secret --name admin --admin)
USER_TOKEN=$(secret --name reader)
REVOKED=$(secret --name gone --admin)
must --db "$DB" token revoke gone
# a well-formed token nobody created
WRONG=slt_$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
[ -n "$ADMIN" ] && [ -n "$USER_TOKEN" ] && [ -n "$REVOKED" ] && [ -n "$EXPIRED" ] ||
    die "cannot create the tokens"

# ---- files are private ------------------------------------------------------

begin "ledger file is created 0600"
mode=$(stat -c %a "$DB")
[ "$mode" = 600 ] || flunk "ledger mode $mode"
end
begin "ledger directory is created 0700"
mode=$(stat -c %a "$TMP/private")
[ "$mode" = 700 ] || flunk "directory mode $mode"
end
begin "ledger is private even with a permissive umask"
(umask 000 && "$SL" --db "$TMP/open/ledger.db" keys list >/dev/null 2>&1)
mode=$(stat -c %a "$TMP/open/ledger.db" 2>/dev/null)
[ "$mode" = 600 ] || flunk "ledger mode $mode under umask 000"
end
begin "backup copy is 0600"
sl --db "$DB" backup "$TMP/backup.db"
expect_rc 0
mode=$(stat -c %a "$TMP/backup.db" 2>/dev/null)
[ "$mode" = 600 ] || flunk "backup mode $mode"
end

# ---- the API -------------------------------------------------------------------

serve_start "$DB"

begin "WAL and shared-memory files of a live ledger are 0600"
http GET /api/v4/licenses -H "PRIVATE-TOKEN: $ADMIN"
for f in "$DB-wal" "$DB-shm"; do
    if [ -e "$f" ]; then
        mode=$(stat -c %a "$f")
        [ "$mode" = 600 ] || flunk "$(basename "$f") mode $mode"
    fi
done
end

ENDPOINTS=(
    "GET /api/v4/license"
    "HEAD /api/v4/license"
    "GET /api/v4/licenses"
    "GET /api/v4/license/1"
    "POST /api/v4/license"
    "DELETE /api/v4/license/1"
    "PUT /api/v4/license/1/refresh_billable_users"
    "GET /api/v4/license/usage_export.csv"
    "GET /api/v4/license/usage_export"
)
printf '{"license":%s}' "$(python3 -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()))' "$LICENSE")" >"$TMP/post.json"

# request METHOD PATH STYLE TOKEN: one request with the token in the given
# place (none, header, lower-case header, bearer, query, access, basic)
request() {
    local method=$1 path=$2 style=$3 token=${4:-} args=()
    [ "$method" = POST ] && args+=(-H "Content-Type: application/json" --data-binary "@$TMP/post.json")
    [ "$method" = HEAD ] && args+=(-I)
    case $style in
        none) ;;
        header) args+=(-H "PRIVATE-TOKEN: $token") ;;
        lower) args+=(-H "private-token: $token") ;;
        bearer) args+=(-H "Authorization: Bearer $token") ;;
        query) path="$path?private_token=$token" ;;
        access) path="$path?access_token=$token" ;;
        basic) args+=(-H "Authorization: Basic $(printf 'admin:%s' "$token" | base64 -w0)") ;;
    esac
    if [ "$method" = HEAD ]; then
        STATUS=$(curl -s -g -I -o "$TMP/headers" -w '%{http_code}' --max-time 30 \
            "${args[@]}" "http://127.0.0.1:$PORT$path") || STATUS=000
        : >"$TMP/body"
    else
        http "$method" "$path" "${args[@]}"
    fi
}

STYLES=(header lower bearer query access)
n=0
serve_stop
before=$(ledger_state "$DB")
serve_start "$DB"
cp "$TMP/serve.err" "$TMP/serve0.err"
for ep in "${ENDPOINTS[@]}"; do
    read -r method path <<<"$ep"
    # every endpoint meets every refusal; the token's place rotates so all
    # places are covered for every kind of token
    for kind in none wrong revoked expired basic nonadmin; do
        style=${STYLES[$((n % ${#STYLES[@]}))]}
        n=$((n + 1))
        case $kind in
            none) tok="" style=none ;;
            wrong) tok=$WRONG ;;
            revoked) tok=$REVOKED ;;
            expired) tok=$EXPIRED ;;
            nonadmin) tok=$USER_TOKEN ;;
            # an admin secret in another scheme is no credential
            basic) tok=$ADMIN style=basic ;;
        esac
        begin "$method $path: $kind token ($style)"
        request "$method" "$path" "$style" "$tok"
        if [ "$kind" = nonadmin ]; then
            expect_status 403
            [ "$method" = HEAD ] || expect_body '{"message":"403 Forbidden"}'
        else
            expect_status 401
            [ "$method" = HEAD ] || expect_body '{"message":"401 Unauthorized"}'
        fi
        [ "$method" = HEAD ] || grep -qi '^content-type: application/json' "$TMP/headers" ||
            flunk "refusal is not application/json"
        end
    done
done
# the fingerprint checkpoints the WAL, so the server is stopped meanwhile
serve_stop
begin "refused requests left the ledger unchanged"
[ "$(ledger_state "$DB")" = "$before" ] || flunk "ledger changed"
end
cp "$TMP/serve.err" "$TMP/serve1.err"
serve_start "$DB"

# positive controls: the same endpoints let the admin in (so the refusals
# above are about the token, not a broken endpoint)
begin "admin: GET /api/v4/license"
request GET /api/v4/license header "$ADMIN"
expect_status 200
expect_body_has '"id":1,'
end
begin "admin: GET /api/v4/licenses (bearer)"
request GET /api/v4/licenses bearer "$ADMIN"
expect_status 200
end
begin "admin: GET /api/v4/license/1 (query)"
request GET /api/v4/license/1 query "$ADMIN"
expect_status 200
end
begin "admin: GET /api/v4/license/usage_export.csv (access_token)"
request GET /api/v4/license/usage_export.csv access "$ADMIN"
expect_status 200
end
begin "admin: PUT refresh (lower-case header)"
request PUT /api/v4/license/1/refresh_billable_users lower "$ADMIN"
expect_status 202
end
begin "admin: POST /api/v4/license"
request POST /api/v4/license header "$ADMIN"
expect_status 201
end
begin "admin: DELETE /api/v4/license/1"
request DELETE /api/v4/license/1 header "$ADMIN"
expect_status 204
end
begin "a token revoked while the server runs is refused at once"
must --db "$DB" token revoke admin
request GET /api/v4/licenses header "$ADMIN"
expect_status 401
end

serve_stop

# ---- secrets stay secret -------------------------------------------------------

begin "no token secret in the server log"
cat "$TMP/serve0.err" "$TMP/serve1.err" "$TMP/serve.err" "$TMP/serve.out" >"$TMP/serve.log"
for s in "$ADMIN" "$USER_TOKEN" "$REVOKED" "$EXPIRED" "$WRONG"; do
    grep -qF -- "$s" "$TMP/serve.log" && flunk "server log holds a secret (${s:0:8}...)"
done
# the log did record the refused requests that carried the secrets
[ "$(grep -c ' 401 ' "$TMP/serve.log")" -ge 40 ] || flunk "server log lacks the 401 lines"
end
begin "no token secret in the ledger file"
sqlite3 "$DB" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
for s in "$ADMIN" "$USER_TOKEN" "$REVOKED" "$EXPIRED"; do
    grep -qaF -- "$s" "$DB" && flunk "ledger file holds a secret (${s:0:8}...)"
    sqlite3 "$DB" .dump | grep -qF -- "$s" && flunk "ledger dump holds a secret (${s:0:8}...)"
done
end
begin "token list shows no secret"
sl --db "$DB" --json token list
expect_rc 0
for s in "$ADMIN" "$USER_TOKEN" "$REVOKED" "$EXPIRED"; do
    grep -qF -- "$s" "$TMP/out" && flunk "token list shows a secret"
done
expect_out '"name":"reader"'
end
begin "error messages of token commands show no secret"
sl --db "$DB" token create --name reader
expect_rc 1
expect_clean_error
for s in "$ADMIN" "$USER_TOKEN"; do
    grep -qF -- "$s" "$TMP/err" "$TMP/out" && flunk "an error message shows a secret"
done
end

finish 60
