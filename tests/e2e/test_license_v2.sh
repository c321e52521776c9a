#!/usr/bin/env bash
# End-to-end: the v2 license format and the dry run through the CLI.
# keys generate --type, license issue --format v2, verify and add of both
# formats, the test vectors verified again by independent implementations
# (the openssl command; Python's cryptography module when it imports), the
# forgery of docs/security.md (accepted in the GitLab format, refused in v2
# and under keys trust --require-v2), and `license check` (the report, exit
# codes, the ledger byte for byte unchanged).
if [ ! -x "${SEATLEDGER:-}" ]; then
  echo "skip: seatledger binary '${SEATLEDGER:-}' not built"
  exit 77
fi
source "$(dirname "$0")/lib.sh"
V2="$SRC/fixtures/license-v2"
FIX="$SRC/fixtures/gitlab-license"
KEYTOOL="$SRC/tests/e2e/keytool.py"
INVALID="The license key is invalid. Make sure it is exactly as you received it."

# --- keys generate --type ---------------------------------------------------------
run 0 "$SL" keys generate --type ed25519 --private "$TMP/ed.pem" --public "$TMP/ed.pub.pem"
expect_eq "ed25519 pair" "$out" "generated an Ed25519 key pair: private key '$TMP/ed.pem' (keep it secret), public key '$TMP/ed.pub.pem'"
expect_contains "ed25519 private key is PKCS#8" "$(cat "$TMP/ed.pem")" "-----BEGIN PRIVATE KEY-----"
expect_eq "ed25519 private key mode" "$(stat -c %a "$TMP/ed.pem")" "600"
run 0 "$SL" --json keys generate --type rsa --private "$TMP/rsa.pem" --public "$TMP/rsa.pub.pem"
expect_eq "rsa json" "$out" "{\"private\":\"$TMP/rsa.pem\",\"public\":\"$TMP/rsa.pub.pem\",\"bits\":2048,\"type\":\"rsa\"}"
run 2 "$SL" keys generate --type ed25519 --bits 3072 --private "$TMP/x.pem" --public "$TMP/x.pub"
expect_eq "--bits with ed25519" "$(head -n 1 <<<"$err")" "seatledger: keys generate: --bits applies to --type rsa only"
run 2 "$SL" keys generate --type dsa --private "$TMP/x.pem" --public "$TMP/x.pub"
expect_eq "unknown type" "$(head -n 1 <<<"$err")" "seatledger: --type must be rsa or ed25519, not 'dsa'"

# --- license issue --format v2 ----------------------------------------------------
issue_args=(--licensee-name "Ada Lovelace" --licensee-email ada@example.com
            --licensee-company "Example Corp" --plan premium --users 100
            --starts 2026-01-01 --expires 2099-12-31)
run 0 "$SL" license issue --format v2 --private-key "$TMP/ed.pem" "${issue_args[@]}" --out "$TMP/ed.key"
expect_eq "issue v2" "$out" "wrote license key to '$TMP/ed.key'"
expect_eq "armor first line" "$(head -n 1 "$TMP/ed.key")" "-----BEGIN SEATLEDGER LICENSE-----"
expect_eq "armor last line" "$(tail -n 1 "$TMP/ed.key")" "-----END SEATLEDGER LICENSE-----"
expect_eq "64 columns" "$(sed '1d;$d' "$TMP/ed.key" | head -n -1 | awk 'length($0) != 64' | wc -l)" "0"
run 0 "$SL" license issue --format v2 --private-key "$TMP/rsa.pem" "${issue_args[@]}" --out "$TMP/rsa.key"
run 2 "$SL" license issue --format v2 --boundary GitLab --private-key "$TMP/ed.pem" "${issue_args[@]}"
expect_eq "--boundary with v2" "$(head -n 1 <<<"$err")" "seatledger: license issue: --boundary applies to --format gitlab only (a v2 key has its own armor)"
run 2 "$SL" license issue --format v3 --private-key "$TMP/ed.pem" "${issue_args[@]}"
expect_eq "unknown format" "$(head -n 1 <<<"$err")" "seatledger: license issue: --format must be gitlab or v2, not 'v3'"
run 1 "$SL" license issue --private-key "$TMP/ed.pem" "${issue_args[@]}"
expect_eq "GitLab format needs RSA" "$err" "seatledger: private key: not an RSA key"
run 2 "$SL" license issue --boundary seatledger --private-key "$TMP/rsa.pem" "${issue_args[@]}"
expect_eq "reserved product name" "$err" "seatledger: boundary: product name 'seatledger' is reserved for the v2 format's armor"

# --- verify: both formats, with --public-key ----------------------------------------
run 0 "$SL" license verify "$TMP/ed.key" --public-key "$TMP/ed.pub.pem"
expect_eq "verify v2 readable" "$out" "verdict:  valid
licensee: Ada Lovelace <ada@example.com>, Example Corp
plan:     premium
seats:    100
starts:   2026-01-01
expires:  2099-12-31
format:   v2, ed25519, signed by trusted key '$TMP/ed.pub.pem'"
run 0 "$SL" --json license verify "$TMP/rsa.key" --public-key "$TMP/ed.pub.pem" --public-key "$TMP/rsa.pub.pem"
expect_contains "verify v2 json" "$out" ",\"format\":\"v2\",\"algorithm\":\"rsa-pss-sha256\",\"signed_by\":\"$TMP/rsa.pub.pem\"}"
run 1 "$SL" license verify "$TMP/rsa.key" --public-key "$TMP/ed.pub.pem"
expect_contains "v2 key of an untrusted signer" "$out" "error:    signature: signed by the public key with fingerprint "
run 2 "$SL" license verify "$TMP/rsa.key" --require-v2
expect_contains "--require-v2 needs --public-key" "$err" "--require-v2 applies to --public-key keys"

# --- the test vectors, with the CLI and with independent verifiers ---------------------
run 0 "$SL" license verify "$V2/01_ed25519.slkey" --public-key "$V2/ed25519.pub.pem"
run 0 "$SL" license verify "$V2/02_rsa_pss_sha256.slkey" --public-key "$V2/rsa.pub.pem"
run 1 "$SL" license verify "$V2/11_signature_bit_flipped.slkey" --public-key "$V2/ed25519.pub.pem"
expect_eq "flipped signature bit" "$out" "verdict:  invalid
error:    signature: does not verify with trusted key '$V2/ed25519.pub.pem' (payload or signature changed)"
run 0 "$SL" license issue --format v2 --private-key "$V2/ed25519.pem" --payload "$V2/payload.json" --out "$TMP/01.again"
expect_eq "our encoder writes vector 01 byte for byte" "$(sha256sum <"$TMP/01.again")" "$(sha256sum <"$V2/01_ed25519.slkey")"

# split KEY into $TMP/tbs (signed part) and $TMP/sig with nothing but coreutils
split_v2() {
  sed '1d;$d' "$1" | tr -d '\r\n' | base64 -d >"$TMP/container"
  local plen slen
  plen=$((16#$(od -An -tx1 -j37 -N4 "$TMP/container" | tr -d ' \n')))
  head -c $((41 + plen)) "$TMP/container" >"$TMP/tbs"
  slen=$((16#$(od -An -tx1 -j$((41 + plen)) -N2 "$TMP/container" | tr -d ' \n')))
  tail -c "$slen" "$TMP/container" >"$TMP/sig"
  expect_eq "container size" "$(stat -c %s "$TMP/container")" "$((41 + plen + 2 + slen))"
}
if command -v openssl >/dev/null; then
  split_v2 "$V2/01_ed25519.slkey"
  expect_eq "payload bytes" "$(tail -c +42 "$TMP/tbs" | sha256sum)" "$(sha256sum <"$V2/payload.json")"
  expect_eq "key id is the fingerprint" "$(head -c 37 "$TMP/tbs" | tail -c 32 | od -An -tx1 | tr -d ' \n')" \
    "$(openssl pkey -pubin -in "$V2/ed25519.pub.pem" -outform DER | sha256sum | cut -d' ' -f1)"
  run 0 openssl pkeyutl -verify -pubin -inkey "$V2/ed25519.pub.pem" -rawin -in "$TMP/tbs" -sigfile "$TMP/sig"
  expect_contains "openssl verifies vector 01" "$out" "Signature Verified Successfully"
  split_v2 "$V2/02_rsa_pss_sha256.slkey"
  run 0 openssl dgst -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 \
    -sigopt rsa_mgf1_md:sha256 -verify "$V2/rsa.pub.pem" -signature "$TMP/sig" "$TMP/tbs"
  expect_eq "openssl verifies vector 02" "$out" "Verified OK"
  split_v2 "$TMP/rsa.key"
  run 0 openssl dgst -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 \
    -sigopt rsa_mgf1_md:sha256 -verify "$TMP/rsa.pub.pem" -signature "$TMP/sig" "$TMP/tbs"
  expect_eq "openssl verifies an issued RSA-PSS key" "$out" "Verified OK"
  split_v2 "$V2/10_payload_bit_flipped.slkey"
  run 1 openssl pkeyutl -verify -pubin -inkey "$V2/ed25519.pub.pem" -rawin -in "$TMP/tbs" -sigfile "$TMP/sig"
else
  echo "note: openssl missing, independent verification skipped"
fi
# Debian's python3-cryptography (scripts/deps.sh) or whichever python3 has it
py=""
for p in /usr/bin/python3 python3; do
  if "$p" -c 'import cryptography' 2>/dev/null; then py=$p; break; fi
done
if [ -n "$py" ]; then
  run 0 "$py" - "$V2" <<'EOF'
import base64, hashlib, os, struct, sys
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
d = sys.argv[1]
def pub(n): return serialization.load_pem_public_key(open(os.path.join(d, n), "rb").read())
def check(name, key):
    lines = open(os.path.join(d, name)).read().split()
    assert lines[0] == "-----BEGIN" and lines[-1] == "LICENSE-----", name
    c = base64.b64decode("".join(lines[3:-3]), validate=True)
    assert c[:4] == b"SLK2"
    plen = struct.unpack(">I", c[37:41])[0]
    slen = struct.unpack(">H", c[41 + plen:43 + plen])[0]
    assert len(c) == 43 + plen + slen
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert c[5:37] == hashlib.sha256(der).digest()
    tbs, sig = c[:41 + plen], c[43 + plen:]
    if c[4] == 1:
        key.verify(sig, tbs)
    else:
        key.verify(sig, tbs, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
                   hashes.SHA256())
    assert c[41:41 + plen] == open(os.path.join(d, "payload.json"), "rb").read()
check("01_ed25519.slkey", pub("ed25519.pub.pem"))
check("02_rsa_pss_sha256.slkey", pub("rsa.pub.pem"))
print("ok")
EOF
  expect_eq "python cryptography verifies the vectors" "$out" "ok"
else
  echo "note: no python3 with the cryptography module, that verification skipped"
fi

# --- a ledger: trust, add both formats, the forgery and --require-v2 ---------------------
run 0 "$SL" keys trust "$FIX/public.pem" --name gitlab-vendor
run 0 "$SL" keys trust "$TMP/ed.pub.pem" --name ed-vendor --require-v2
expect_contains "trust --require-v2" "$out" "; it accepts only v2 license keys"
run 0 "$SL" --json keys list
expect_contains "keys list type and mark" "$out" "\"name\":\"ed-vendor\",\"fingerprint\":"
expect_contains "keys list type and mark (2)" "$out" "\"type\":\"ed25519\",\"require_v2\":true}]"
expect_contains "keys list rsa" "$out" "\"type\":\"rsa-2048\",\"require_v2\":false}"

# the forgery of docs/security.md: a new payload under the wrapped AES key of
# a genuine key this ledger has never seen
cat >"$TMP/forged.json" <<'EOF'
{"version":1,"licensee":{"Name":"Mallory","Email":"m@example.com","Company":"Forged"},"issued_at":"2024-01-01","expires_at":"2999-12-31","restrictions":{"plan":"ultimate","active_user_count":1000000}}
EOF
python3 "$KEYTOOL" reencrypt "$FIX/01_premium_basic.gitlab-license" "$FIX/public.pem" "$TMP/forged.json" >"$TMP/forged.key"
sum0=$(ledger_sum)
run 0 "$SL" license check "$TMP/forged.key"
expect_contains "GitLab format: the forgery passes (documented)" "$out" "verdict:  accepted (dry run: nothing was stored)"
expect_eq "check stored nothing" "$(ledger_sum)" "$sum0"
# the vendor marks its key v2-only: the same forgery is refused
run 0 "$SL" keys trust "$FIX/public.pem" --require-v2
expect_contains "marking a trusted key" "$out" "was already trusted; it now accepts only v2 license keys"
run 0 "$SL" keys trust "$FIX/public.pem" --require-v2
sum1=$(ledger_sum)
run 1 "$SL" license add "$TMP/forged.key"
expect_eq "--require-v2 refuses the forgery" "$err" "seatledger: $INVALID (signature: trusted key 'gitlab-vendor' accepts only v2 license keys (trusted with --require-v2); this key is in the GitLab format)"
run 1 "$SL" license add "$FIX/01_premium_basic.gitlab-license"
expect_contains "--require-v2 refuses genuine GitLab keys too" "$err" "accepts only v2 license keys"
expect_eq "refusals store nothing" "$(ledger_sum)" "$sum1"
# in v2 the same forgery (a new payload under a genuine signature) is refused
run 0 "$SL" keys trust "$V2/ed25519.pub.pem" --name fixture-vendor
sum1=$(ledger_sum)
run 1 "$SL" license add "$V2/14_forged_payload_reused_signature.slkey"
expect_eq "v2 refuses the forgery" "$err" "seatledger: $INVALID (signature: does not verify with trusted key 'fixture-vendor' (payload or signature changed))"
run 1 "$SL" license verify "$V2/14_forged_payload_reused_signature.slkey"
{ echo "-----BEGIN SEATLEDGER LICENSE-----"; head -c 400000 /dev/zero | tr '\0' 'A'; } >"$TMP/huge.slkey"
run 1 "$SL" license add "$TMP/huge.slkey"
expect_eq "oversized v2 text" "$err" "seatledger: $INVALID (armor: key text of 400035 bytes is over the limit of 393216)"
printf -- '-----BEGIN SEATLEDGER LICENSE-----\n\377\376\n-----END SEATLEDGER LICENSE-----\n' >"$TMP/bin.slkey"
run 1 "$SL" license verify --json "$TMP/bin.slkey"
expect_eq "binary in the armor" "$out" '{"valid":false,"error":"armor: line 2, column 1: byte 0xff is not base64","expired":false,"started":false,"license":null}'
expect_eq "bad input refused without a crash" "$(ledger_sum)" "$sum1"

# --- license check: the dry run ----------------------------------------------------------
printf 'id,username,state,user_type,highest_role\n' >"$TMP/users.csv"
for i in $(seq 1 12); do echo "u$i,user$i,active,human,developer" >>"$TMP/users.csv"; done
run 0 "$SL" users import "$TMP/users.csv"
run 0 "$SL" refresh
run 0 "$SL" license issue --format v2 --private-key "$TMP/ed.pem" --licensee-name "Ada Lovelace" \
  --licensee-email ada@example.com --licensee-company "Example Corp" --plan premium --users 11 \
  --starts 2026-01-01 --expires 2027-01-01 --previous-users 8 --trueup-quantity 2 \
  --trueup-from 2025-01-01 --trueup-to 2026-01-01 --out "$TMP/ten.key"
sum2=$(ledger_sum)
run 0 "$SL" license check "$TMP/ten.key"
expect_eq "check readable" "$out" "verdict:  accepted (dry run: nothing was stored)
format:   v2, ed25519, signed by trusted key 'ed-vendor'
current:  yes, it would be the current license
seats:    11 (takes up to 12 users)
billable users now: 12
overage now:        1
prior period 2025-01-01 to 2026-01-01: max 0 users over 8 seats
true-up due:        0
true-up paid:       2
clean-up: would remove 0 seats
historical max:     12
maximum user count: 12
overage (entity):   1"
run 0 "$SL" license check --json "$TMP/ten.key"
expect_eq "check json" "$out" '{"dry_run":true,"valid":true,"error":null,"format":"v2","algorithm":"ed25519","signed_by":"ed-vendor","would_be_current":true,"license":{"plan":"premium","created_at":"2026-11-22T12:00:00.000Z","starts_at":"2026-01-01","expires_at":"2027-01-01","historical_max":12,"maximum_user_count":12,"expired":false,"overage":1,"user_limit":11,"active_users":12,"licensee":{"Name":"Ada Lovelace","Email":"ada@example.com","Company":"Example Corp"},"add_ons":{}},"checks":{"billable_now":12,"seats":11,"seats_allowed":12,"overage_now":1,"prior_period":{"from":"2025-01-01","to":"2026-01-01","historical_max":0,"seats":8},"trueup_due":0,"trueup_quantity":2},"add_ons":{"provision":[],"cleanup":{"removes":0,"by_reason":{},"by_add_on":{}}}}'
run 0 "$SL" license issue --format v2 --private-key "$TMP/ed.pem" --licensee-name "Ada Lovelace" \
  --licensee-email ada@example.com --licensee-company "Example Corp" --plan premium --users 5 \
  --starts 2026-01-01 --expires 2027-01-01 --previous-users 20 --out "$TMP/five.key"
run 1 "$SL" license check "$TMP/five.key"
expect_eq "check refused" "$out" "verdict:  refused (dry run: nothing was stored)
error:    This installation currently has 12 active users, exceeding this license's limit of 5 by 7 users. Please add a license for at least 12 users.
format:   v2, ed25519, signed by trusted key 'ed-vendor'
seats:    5 (takes up to 5 users)
billable users now: 12
overage now:        7
prior period 2025-01-01 to 2026-01-01: max 0 users over 20 seats
true-up due:        0"
run 1 "$SL" license add "$TMP/five.key"
expect_eq "add gives the message check gave" "$err" "seatledger: This installation currently has 12 active users, exceeding this license's limit of 5 by 7 users. Please add a license for at least 12 users."
run 1 "$SL" --json license check "$V2/22_no_end_line.slkey"
expect_eq "check of bad armor" "$out" "{\"dry_run\":true,\"valid\":false,\"error\":\"$INVALID (armor: no '-----END SEATLEDGER LICENSE-----' line)\",\"format\":null,\"algorithm\":null,\"signed_by\":null,\"would_be_current\":null,\"license\":null,\"checks\":null,\"add_ons\":null}"
run 0 "$SL" license check --help
expect_contains "check --help" "$out" "usage: seatledger license check FILE|-"
for sub in "keys generate" "keys trust" "keys list" "keys untrust" "license issue" "license verify" "license add"; do
  # shellcheck disable=SC2086
  run 0 "$SL" $sub --help
  expect_contains "$sub --help" "$out" "usage: seatledger $sub"
done
run 2 "$SL" license check
run 2 "$SL" license check "$TMP/ten.key" --bogus
run 3 "$SL" license check "$TMP/missing.key"
expect_eq "checks stored nothing" "$(ledger_sum)" "$sum2"
run 0 "$SL" license add "$TMP/ten.key"
expect_eq "then the add" "$(echo "$out" | head -n 1)" "added license 1"

# add-on seats: a cloud key with Duo Pro seats, as a v2 key
run 0 "$SL" license issue --format v2 --private-key "$TMP/ed.pem" --licensee-name "Ada Lovelace" \
  --licensee-email ada@example.com --licensee-company "Example Corp" --plan ultimate --users 20 \
  --starts 2026-02-01 --expires 2027-02-01 --cloud \
  --add-on-product duo_pro:5:2026-02-01:2027-02-01 --out "$TMP/cloud.key"
sum3=$(ledger_sum)
run 0 "$SL" license check "$TMP/cloud.key"
expect_contains "check: add-on provisioning" "$out" "add-on:   duo_pro: create, 5 seats, 2026-02-01 to 2027-02-01
clean-up: would remove 0 seats"
expect_eq "the add-on check stored nothing" "$(ledger_sum)" "$sum3"
run 0 "$SL" license add "$TMP/cloud.key"
run 0 "$SL" --json license check "$TMP/cloud.key"
expect_contains "check after the add: keep" "$out" '"add_ons":{"provision":[{"add_on":"duo_pro","action":"keep","quantity":5,"started_on":"2026-02-01","expires_on":"2027-02-01","trial":false}],"cleanup":{"removes":0,"by_reason":{},"by_add_on":{}}}}'

finish
