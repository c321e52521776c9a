#!/usr/bin/env bash
# End-to-end: `license issue` and `license verify` - exact output and exit
# codes, keys we issue checked by an independent decoder (openssl), gem
# fixtures verified, and usage errors.
if [ ! -x "${SEATLEDGER:-}" ]; then
  echo "skip: seatledger binary '${SEATLEDGER:-}' not built"
  exit 77
fi
source "$(dirname "$0")/lib.sh"
FIX="$SRC/fixtures/gitlab-license"
export SEATLEDGER_DB="$TMP/never/ledger.db"   # verify with --public-key must not open it

run 0 "$SL" keys generate --private "$TMP/v.pem" --public "$TMP/v.pub.pem"
run 0 "$SL" keys generate --private "$TMP/w.pem" --public "$TMP/w.pub.pem"

# --- issue from flags: the gem's payload, byte for byte ------------------------
run 0 "$SL" license issue --private-key "$TMP/v.pem" --licensee-name "Ada Lovelace" \
  --licensee-email ada@example.com --licensee-company "Example Corp" --plan premium \
  --users 100 --starts 2024-01-01 --expires 2099-12-31 --out "$TMP/k01"
expect_eq "issue --out" "$out" "wrote license key to '$TMP/k01'"
expect_eq "issue --out mode" "$(stat -c %a "$TMP/k01")" "644"
run 0 "$SL" --json license issue --private-key "$TMP/v.pem" --payload "$FIX/01_premium_basic.json" --out "$TMP/k\"q"
expect_eq "issue --out --json" "$out" "{\"out\":\"$TMP/k\\\"q\",\"bytes\":$(stat -c %s "$TMP/k\"q")}"
expect_eq "60 columns" "$(awk 'length($0) != 60' "$TMP/k01" | wc -l)" "1"

if command -v openssl >/dev/null && command -v jq >/dev/null; then
  # an independent decoder: base64, JSON, RSA verify-recover, AES-128-CBC
  base64 -d "$TMP/k01" >"$TMP/env.json"
  jq -r .key "$TMP/env.json" | base64 -d >"$TMP/key.bin"
  jq -r .data "$TMP/env.json" | base64 -d >"$TMP/data.bin"
  iv=$(jq -r .iv "$TMP/env.json" | base64 -d | od -An -tx1 | tr -d ' \n')
  openssl pkeyutl -verifyrecover -pubin -inkey "$TMP/v.pub.pem" \
    -pkeyopt rsa_padding_mode:pkcs1 -in "$TMP/key.bin" -out "$TMP/aes.bin"
  expect_eq "aes key size" "$(stat -c %s "$TMP/aes.bin")" "16"
  aes=$(od -An -tx1 "$TMP/aes.bin" | tr -d ' \n')
  expect_eq "openssl decrypts the gem payload" \
    "$(openssl enc -d -aes-128-cbc -K "$aes" -iv "$iv" -in "$TMP/data.bin")" \
    "$(jq -r .decrypted_json "$FIX/01_premium_basic.json")"
else
  echo "note: openssl or jq missing, independent decode skipped"
fi

run 0 "$SL" license verify "$TMP/k01" --public-key "$TMP/v.pub.pem"
expect_eq "verify readable" "$out" "verdict:  valid
licensee: Ada Lovelace <ada@example.com>, Example Corp
plan:     premium
seats:    100
starts:   2024-01-01
expires:  2099-12-31"
expect_eq "verify with --public-key opens no ledger" "$([ -e "$TMP/never" ] && echo exists || echo none)" "none"

# every option of a payload built from flags, through stdout and stdin
"$SL" license issue --private-key "$TMP/v.pem" --licensee-name "Jürgen" \
  --licensee-email j@example.com --licensee-company "Ex \"Q\"" --plan ultimate --users 10 \
  --starts 2027-01-01 --expires 2028-01-01 --previous-users 8 --trueup-quantity 2 \
  --trueup-from 2025-01-01 --trueup-to 2026-01-01 --add-on GitLab_Geo=1 \
  --add-on GitLab_FileLocks=0 --trial --boundary GitLab >"$TMP/k2"
expect_eq "boundary first line" "$(head -n 1 "$TMP/k2")" \
  "--------------------BEGIN GITLAB LICENSE--------------------"
expect_eq "boundary last line" "$(tail -n 1 "$TMP/k2")" \
  "---------------------END GITLAB LICENSE---------------------"
expect_eq "stdout ends in a newline" "$(tail -c 1 "$TMP/k2" | od -An -c | tr -d ' ')" '\n'
run 0 "$SL" --json license verify - --public-key "$TMP/w.pub.pem" --public-key "$TMP/v.pub.pem" <"$TMP/k2"
expect_eq "verify json, key in 2nd place" "$out" '{"valid":true,"error":null,"expired":false,"started":false,"license":{"licensee":{"Name":"Jürgen","Email":"j@example.com","Company":"Ex \"Q\""},"starts_at":"2027-01-01","expires_at":"2028-01-01","plan":"ultimate","user_limit":10,"add_ons":{"GitLab_Geo":1,"GitLab_FileLocks":0},"restrictions":{"plan":"ultimate","active_user_count":10,"previous_user_count":8,"trueup_quantity":2,"trueup_from":"2025-01-01","trueup_to":"2026-01-01","add_ons":{"GitLab_Geo":1,"GitLab_FileLocks":0},"trial":true},"version":1,"issued_at":"2027-01-01","notify_admins_at":null,"notify_users_at":null,"block_changes_at":null,"cloud_licensing_enabled":false,"offline_cloud_licensing_enabled":false,"auto_renew_enabled":false,"seat_reconciliation_enabled":false,"operational_metrics_enabled":false,"contract_overages_allowed":true,"generated_from_customers_dot":false,"generated_from_cancellation":false,"temporary_extension":false,"trial":true,"previous_user_count":8,"trueup_quantity":2,"trueup_from":"2025-01-01","trueup_to":"2026-01-01","block_changes":false}}'
run 0 "$SL" license verify --json "$TMP/k2" --public-key "$TMP/v.pub.pem"
expect_contains "--json after the command" "$out" '{"valid":true,'
run 0 "$SL" license verify "$TMP/k2" --public-key "$TMP/v.pub.pem"
expect_eq "verify readable, everything" "$out" "verdict:  valid
licensee: Jürgen <j@example.com>, Ex \"Q\"
plan:     ultimate (trial)
seats:    10
add-ons:  GitLab_Geo=1 GitLab_FileLocks=0
true-up:  2 seats, 2025-01-01 to 2026-01-01
starts:   2027-01-01 (not started)
expires:  2028-01-01"
run 1 "$SL" license verify "$TMP/k2" --public-key "$TMP/w.pub.pem"
expect_eq "wrong key" "$out" "verdict:  invalid
error:    signature: key does not verify with any trusted public key"

# every plan, with and without expiry (no expiry: only GitLab's own keys)
for plan in starter premium ultimate; do
  run 0 "$SL" license issue --private-key "$TMP/v.pem" --licensee-name N --licensee-email n@example.com \
    --licensee-company C --plan $plan --users 5 --starts 2025-01-01 --expires 2026-12-01 --out "$TMP/p"
  run 0 "$SL" --json license verify "$TMP/p" --public-key "$TMP/v.pub.pem"
  expect_contains "plan $plan" "$out" "\"plan\":\"$plan\",\"user_limit\":5,"
  # the gem's export refuses to sign a key GitLab would reject; so do we
  run 1 "$SL" license issue --private-key "$TMP/v.pem" --licensee-name N --licensee-email n@example.com \
    --licensee-company C --plan $plan --users 5 --starts 2025-01-01 --out "$TMP/none"
  expect_eq "no expiry $plan" "$err" "seatledger: license issue: the key would be invalid: license: expires_at is missing"
  run 0 "$SL" license issue --private-key "$TMP/v.pem" --licensee-name N --licensee-email n@gitlab.com \
    --licensee-company "GitLab Inc" --plan $plan --users 5 --starts 2025-01-01 --out "$TMP/p"
  run 0 "$SL" license verify "$TMP/p" --public-key "$TMP/v.pub.pem"
  expect_contains "internal no expiry $plan" "$out" "expires:  never"
done

# --- issue from a payload file: encrypted as is --------------------------------
printf '{"version":1, "licensee":{"Name":"X"},\n "issued_at":"2027-02-01"}' >"$TMP/payload.json"
run 0 "$SL" license issue --private-key "$TMP/v.pem" --payload "$TMP/payload.json" --out "$TMP/k3"
run 1 "$SL" license verify "$TMP/k3" --public-key "$TMP/v.pub.pem"
expect_eq "payload as is" "$out" "verdict:  invalid
error:    license: expires_at is missing
licensee: X
plan:     starter
seats:    unrestricted
starts:   2027-02-01 (not started)
expires:  never"
printf '[1]' >"$TMP/array.json"
run 1 "$SL" license issue --private-key "$TMP/v.pem" --payload "$TMP/array.json"
expect_eq "payload array" "$err" "seatledger: payload: not a JSON object"
printf '{"a":' >"$TMP/broken.json"
run 1 "$SL" license issue --private-key "$TMP/v.pem" --payload "$TMP/broken.json"
expect_eq "payload broken" "$err" "seatledger: payload: invalid JSON at line 1, column 5: unexpected token near end of file"
run 3 "$SL" license issue --private-key "$TMP/v.pem" --payload "$TMP/nope.json"
run 3 "$SL" license issue --private-key "$TMP/nope.pem" --payload "$TMP/payload.json"
run 1 "$SL" license issue --private-key "$TMP/v.pub.pem" --payload "$TMP/payload.json"
expect_eq "public key as private" "$err" "seatledger: private key: not a PEM private key (expected BEGIN PRIVATE KEY or BEGIN RSA PRIVATE KEY, unencrypted)"
run 2 "$SL" license issue --private-key "$TMP/v.pem" --payload "$TMP/payload.json" --boundary ""
expect_eq "empty boundary" "$err" "seatledger: boundary: product name must be 1 to 64 characters"

# --- usage errors of issue ------------------------------------------------------
key=(--private-key "$TMP/v.pem")
who=(--licensee-name N --licensee-email e@x --licensee-company C)
usage() { # EXPECTED-MESSAGE ARGS...
  local msg=$1; shift
  run 2 "$SL" license issue "$@"
  expect_eq "usage: $msg" "$err" "seatledger: $msg
Try 'seatledger help' for usage."
}
usage "license issue: --private-key PEM is required" --payload "$TMP/payload.json"
usage "license issue: --licensee-email is required (or give --payload FILE)" --private-key "$TMP/v.pem" --licensee-name N
usage "license issue: --licensee-name must not be empty" "${key[@]}" --licensee-name "" --licensee-email e@x --licensee-company C --plan premium --users 5 --starts 2025-01-01
usage "license issue: --licensee-company is not valid UTF-8" "${key[@]}" --licensee-name N --licensee-email e@x --licensee-company $'\xff' --plan premium --users 5 --starts 2025-01-01
usage "license issue: --licensee-name given twice" "${key[@]}" "${who[@]}" --licensee-name M
usage "license issue: --plan must be starter, premium or ultimate, not 'gold'" "${key[@]}" "${who[@]}" --plan gold --users 5 --starts 2025-01-01
usage "license issue: --users must be a non-negative integer, not '-1'" "${key[@]}" "${who[@]}" --plan premium --users -1 --starts 2025-01-01
usage "license issue: --users must be a non-negative integer, not '5x'" "${key[@]}" "${who[@]}" --plan premium --users 5x --starts 2025-01-01
usage "license issue: --starts must be a date YYYY-MM-DD, not '2024-02-30'" "${key[@]}" "${who[@]}" --plan premium --users 5 --starts 2024-02-30
usage "license issue: --expires must be a date YYYY-MM-DD, not '20260101'" "${key[@]}" "${who[@]}" --plan premium --users 5 --starts 2025-01-01 --expires 20260101
usage "license issue: --previous-users must be a non-negative integer, not 'many'" "${key[@]}" "${who[@]}" --plan premium --users 5 --starts 2025-01-01 --previous-users many
usage "license issue: --trueup-quantity, --trueup-from and --trueup-to go together" "${key[@]}" "${who[@]}" --plan premium --users 5 --starts 2025-01-01 --trueup-quantity 1 --trueup-from 2024-01-01
usage "license issue: --trueup-to must be a date YYYY-MM-DD, not 'later'" "${key[@]}" "${who[@]}" --plan premium --users 5 --starts 2025-01-01 --trueup-quantity 1 --trueup-from 2024-01-01 --trueup-to later
usage "license issue: --add-on must be CODE=N with N a non-negative integer, not 'GitLab_Geo'" "${key[@]}" "${who[@]}" --plan premium --users 5 --starts 2025-01-01 --add-on GitLab_Geo
usage "license issue: --add-on must be CODE=N with N a non-negative integer, not '=1'" "${key[@]}" "${who[@]}" --plan premium --users 5 --starts 2025-01-01 --add-on =1
usage "license issue: add-on 'A' given twice" "${key[@]}" "${who[@]}" --plan premium --users 5 --starts 2025-01-01 --add-on A=1 --add-on A=2
usage "license issue: --payload cannot be combined with the licensee, plan and restriction options" --private-key "$TMP/v.pem" --payload "$TMP/payload.json" --trial
usage "license issue: unexpected argument '--bogus'" "${key[@]}" "${who[@]}" --plan premium --users 5 --starts 2025-01-01 --bogus
usage "license issue: --out needs a value" "${key[@]}" "${who[@]}" --plan premium --users 5 --starts 2025-01-01 --out

# --- verify: gem fixtures, failures, the ledger's keys -----------------------------
run 0 "$SL" license verify "$FIX/04_expired_ultimate.gitlab-license" --public-key "$FIX/public.pem"
expect_eq "expired is still valid" "$out" "verdict:  valid
licensee: Ada Lovelace <ada@example.com>, Expired Inc
plan:     ultimate
seats:    50
starts:   2019-01-01
expires:  2020-01-01 (expired)"
run 1 "$SL" license verify "$FIX/22_missing_licensee.gitlab-license" --public-key "$FIX/public.pem"
expect_eq "invalid but decoded" "$out" "verdict:  invalid
error:    license: licensee is missing
licensee: (none)
plan:     premium
seats:    10
starts:   2024-01-01
expires:  2099-12-31"
run 1 "$SL" --json license verify "$FIX/25_version_2.gitlab-license" --public-key "$FIX/public.pem"
expect_eq "version 2" "$out" '{"valid":false,"error":"payload: unsupported version 2","expired":false,"started":false,"license":null}'
run 1 "$SL" --json license verify "$FIX/40_flip_data_last_block.gitlab-license" --public-key "$FIX/public.pem"
expect_eq "tampered" "$out" '{"valid":false,"error":"aes: bad padding (tampered data or wrong key)","expired":false,"started":false,"license":null}'
run 1 "$SL" --json license verify "$FIX/49_wrong_public_key.gitlab-license" --public-key "$FIX/wrong_public.pem"
expect_eq "wrong public key" "$out" '{"valid":false,"error":"signature: key does not verify with any trusted public key","expired":false,"started":false,"license":null}'
run 0 "$SL" license verify "$FIX/54_whitespace_no_boundary.gitlab-license" --public-key "$FIX/wrong_public.pem" --public-key "$FIX/public.pem"
printf '' >"$TMP/empty"
run 1 "$SL" license verify "$TMP/empty" --public-key "$FIX/public.pem"
expect_eq "empty" "$out" "verdict:  invalid
error:    boundary: no data"
head -c 2000000 /dev/zero | tr '\0' 'A' >"$TMP/huge"
run 1 "$SL" license verify "$TMP/huge" --public-key "$FIX/public.pem"
expect_eq "huge" "$err" "seatledger: '$TMP/huge' is larger than the limit of 1048576 bytes"
run 3 "$SL" license verify "$TMP/missing" --public-key "$FIX/public.pem"
run 3 "$SL" license verify "$TMP/k01" --public-key "$TMP/missing.pem"
run 1 "$SL" license verify "$TMP/k01" --public-key "$TMP/v.pem"
expect_eq "private key as public" "$err" "seatledger: $TMP/v.pem: public key: not a PEM public key (expected BEGIN PUBLIC KEY)"
run 2 "$SL" license verify
expect_eq "verify no file" "$err" "seatledger: license verify needs a FILE (or - for standard input)
Try 'seatledger help' for usage."
run 2 "$SL" license verify a b
run 2 "$SL" license verify "$TMP/k01" --public-key
run 2 "$SL" license verify "$TMP/k01" --frob
expect_eq "no ledger was opened" "$([ -e "$TMP/never" ] && echo exists || echo none)" "none"

# without --public-key: the ledger's trusted keys
export SEATLEDGER_DB="$TMP/ledger.db"
run 1 "$SL" license verify "$TMP/k01"
expect_eq "no trusted keys" "$out" "verdict:  invalid
error:    signature: no trusted public key"
run 0 "$SL" keys trust "$FIX/public.pem" --name gitlab
run 0 "$SL" keys trust "$TMP/v.pub.pem" --name vendor
run 0 "$SL" license verify "$TMP/k01"
run 0 "$SL" license verify "$FIX/15_with_boundary.gitlab-license"
expect_contains "ledger keys" "$out" "licensee: Ada Lovelace <ada@example.com>, Boundary Co"

finish
