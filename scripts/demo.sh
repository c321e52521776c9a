#!/usr/bin/env bash
# The main job, end to end, on the default ledger ($SEATLEDGER_DB, else
# ~/.local/share/seatledger/ledger.db): vendor key pair, trust it, issue and
# import a license, import a user directory, refresh, status, usage CSV, and
# finally the License API server with a curl command that works, and the
# admin console's address, signed in with the demo's token.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
BUILD_DIR=build scripts/build.sh
sl() { build/seatledger "$@"; }

work=var/demo
rm -rf "$work"
mkdir -p "$work"
step() { printf '\n== %s\n' "$*"; }

step "vendor side: generate a key pair and issue a license"
sl keys generate --private "$work/vendor.pem" --public "$work/vendor.pub.pem"
today=$(date -u +%F)
sl license issue --private-key "$work/vendor.pem" \
  --licensee-name "Ada Lovelace" --licensee-email ada@example.com \
  --licensee-company "Example Corp" --plan premium --users 25 \
  --starts "$today" --expires "$(date -u -d '+1 year' +%F)" \
  --add-on GitLab_FileLocks=1 --boundary GitLab --out "$work/demo.gitlab-license"
cat "$work/demo.gitlab-license"; echo

step "admin side: trust the vendor key and import the license into ${SEATLEDGER_DB:-the default ledger}"
sl keys trust "$work/vendor.pub.pem"
sl license verify "$work/demo.gitlab-license"
sl license add "$work/demo.gitlab-license"

step "the current license"
sl license show

step "import the user directory and record today's billable users"
sl users import fixtures/users/sample.csv
sl users count
sl refresh

step "status"
sl status

step "usage CSV for the auditors"
sl usage export --out "$work/license_usage.csv"
cat "$work/license_usage.csv"

step "the License API server"
token=$(sl token create --name "demo-$(date +%s)-$$" --admin)
port=${DEMO_PORT:-8080}
# not through sl(): a function run with & is a subshell, and killing it
# would leave the server running
build/seatledger serve --listen "127.0.0.1:$port" 2>"$work/server.log" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do grep -q "listening on" "$work/server.log" 2>/dev/null && break; sleep 0.1; done
cmd="curl --silent --header \"PRIVATE-TOKEN: $token\" http://127.0.0.1:$port/api/v4/license"
echo "$cmd"
eval "$cmd"; echo

step "the admin console"
# sign in as a browser would, with the demo's token: the session cookie, then
# the session's own JSON (docs/console.md)
jar="$work/console.cookies"
curl --silent --output /dev/null --cookie-jar "$jar" --data-urlencode "token=$token" \
  --write-out 'sign-in: %{http_code} -> %{redirect_url}\n' "http://127.0.0.1:$port/admin/sign_in"
curl --silent --cookie "$jar" "http://127.0.0.1:$port/admin/console/session" |
  sed 's/"csrf_token":"[^"]*",//'; echo
rm -f "$jar"
echo "admin console: http://127.0.0.1:$port/admin  (sign in with the token $token)"
if [ -t 0 ]; then
  echo "server running on http://127.0.0.1:$port (Ctrl-C to stop)"
  wait $server
fi
