#!/usr/bin/env bash
# End-to-end: keys with add-on products that `license issue` writes are
# accepted by the reference implementation of the format.  The gem cannot be
# installed here (no RubyGems registry), so tests/e2e/gem_import.rb reads keys
# the way the gem's Gitlab::License.import does, in Ruby with Ruby's Base64,
# JSON, Date and OpenSSL; it is first checked against the gem's own recorded
# view of every fixture (fixtures/gitlab-license/*.json, gem 2.6.0), then
# run on freshly issued cloud keys with add-on products.
if [ ! -x "${SEATLEDGER:-}" ]; then
  echo "skip: seatledger binary '${SEATLEDGER:-}' not built"
  exit 77
fi
source "$(dirname "$0")/lib.sh"
if ! command -v ruby >/dev/null; then
  echo "SKIP: ruby is not installed (scripts/deps.sh installs it)"
  exit 77
fi
FIX=$SRC/fixtures/gitlab-license
GEM=$SRC/tests/e2e/gem_import.rb

# 1. the Ruby reading agrees with the gem on every fixture it recorded
for meta in "$FIX"/*.json; do
  name=$(basename "$meta" .json)
  view=$(cd "$FIX" && python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["public_key"], d["blob_file"], d["as_of"])' "$meta")
  read -r pem blob asof <<<"$view"
  got=$(cd "$FIX" && ruby "$GEM" "$pem" "$blob" "$asof" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["gem"], sort_keys=True))')
  want=$(python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["gem"], sort_keys=True))' "$meta")
  expect_eq "gem view of fixture $name" "$got" "$want"
done

# 2. keys we issue with add-on products: imported and valid, a cloud license,
# restrictions.add_on_products exactly as seatledger reads them
run 0 "$SL" keys generate --private "$TMP/v.pem" --public "$TMP/v.pub.pem"
n=0
for opts in "--cloud --add-on-product duo_pro:25:2026-01-01:2027-01-01" \
            "--offline-cloud --add-on-product duo_enterprise:3:2026-01-01:2027-01-01:trial:A-S0001 --boundary GitLab" \
            "--cloud --add-on-product duo_pro:1:2026-01-01:2026-07-01 --add-on-product duo_pro:2:2026-07-01:2027-01-01:X:Y --add-on-product duo_amazon_q:4:2026-02-01:2027-02-01 --add-on-product duo_core:100:2026-01-01:2027-01-01:trial"; do
  n=$((n + 1))
  # shellcheck disable=SC2086
  run 0 "$SL" license issue --private-key "$TMP/v.pem" --licensee-name "Ada" --licensee-email ada@example.com \
    --licensee-company "Example Corp" --plan premium --users 50 --starts 2026-01-01 --expires 2027-06-01 \
    $opts --out "$TMP/k$n"
  run 0 "$SL" --json license verify "$TMP/k$n" --public-key "$TMP/v.pub.pem"
  ours=$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["license"]["restrictions"]["add_on_products"], sort_keys=True))')
  gem=$(ruby "$GEM" "$TMP/v.pub.pem" "$TMP/k$n" 2026-11-22)
  expect_eq "gem imports key $n" "$(printf '%s' "$gem" | python3 -c 'import json,sys; g=json.load(sys.stdin)["gem"]; print(g["import"], g["valid?"], g["cloud_licensing?"], g["restricted?"])')" "ok True True True"
  expect_eq "gem reads the add-on products of key $n" \
    "$(printf '%s' "$gem" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["restrictions"]["add_on_products"], sort_keys=True))')" "$ours"
done
expect_contains "offline key" "$(ruby "$GEM" "$TMP/v.pub.pem" "$TMP/k2" 2026-11-22)" '"offline_cloud_licensing?":true'
finish
