#!/usr/bin/env bash
# End-to-end: keys and license commands of the CLI, exact output and exit
# codes, and a failed add leaving the ledger byte-for-byte unchanged.
source "$(dirname "$0")/lib.sh"
FIX="$SRC/fixtures/gitlab-license"

# no ledger needed to generate keys and issue
run 0 "$SL" keys generate --private "$TMP/v.pem" --public "$TMP/v.pub.pem"
run 1 "$SL" keys generate --private "$TMP/v.pem" --public "$TMP/other.pub.pem"
expect_eq "no overwrite" "$err" "seatledger: cannot write '$TMP/v.pem': file exists"
run 2 "$SL" keys generate --private "$TMP/x.pem" --public "$TMP/x.pub.pem" --bits 1024
run 2 "$SL" keys frobnicate
run 2 "$SL" --bogus license list

run 0 "$SL" license issue --private-key "$TMP/v.pem" --licensee-name "Ada" \
  --licensee-email ada@example.com --licensee-company "Example Corp" --plan ultimate \
  --users 10 --starts 2026-01-01 --expires 2027-01-01 --out "$TMP/k.gitlab-license"

# trusting and listing keys
run 0 "$SL" keys trust "$TMP/v.pub.pem" --name vendor
expect_contains "trust" "$out" "trusted public key '$TMP/v.pub.pem' (sha256 "
run 1 "$SL" keys trust "$TMP/v.pub.pem" --name again
expect_eq "trust twice" "$err" "seatledger: this public key is already trusted as 'vendor'"
run 0 "$SL" keys trust "$FIX/public.pem" --name gitlab
run 0 "$SL" --json keys list
expect_contains "keys list json" "$out" '"position":2,"name":"gitlab"'
run 3 "$SL" keys untrust nosuch
expect_eq "untrust missing" "$err" "seatledger: no trusted key named 'nosuch'"
run 3 "$SL" license show
expect_eq "no current" "$err" "seatledger: no current license"

# a refused add leaves the ledger byte-for-byte unchanged
before=$(ledger_sum)
run 1 "$SL" license add "$FIX/40_flip_data_last_block.gitlab-license"
expect_eq "tampered" "$err" "seatledger: The license key is invalid. Make sure it is exactly as you received it. (aes: bad padding (tampered data or wrong key))"
run 1 "$SL" license add "$FIX/04_expired_ultimate.gitlab-license"
expect_eq "expired" "$err" "seatledger: This license has already expired."
run 1 "$SL" license add "$FIX/50_garbage_text.gitlab-license"
run 3 "$SL" license add "$TMP/missing.gitlab-license"
expect_eq "missing file" "$err" "seatledger: cannot open '$TMP/missing.gitlab-license': No such file or directory"
head -c 2000000 /dev/zero | tr '\0' 'A' >"$TMP/huge"
run 1 "$SL" license add "$TMP/huge"
expect_eq "unchanged after refusals" "$(ledger_sum)" "$before"

# add a fixture key and our own key
run 0 "$SL" --json license add "$FIX/01_premium_basic.gitlab-license"
expect_eq "add json" "$out" '{"id":1,"plan":"premium","created_at":"2026-11-22T12:00:00.000Z","starts_at":"2024-01-01","expires_at":"2099-12-31","historical_max":0,"maximum_user_count":0,"expired":false,"overage":0,"user_limit":100,"active_users":0,"licensee":{"Name":"Ada Lovelace","Email":"ada@example.com","Company":"Example Corp"},"add_ons":{},"add_on_products":{}}'
run 0 "$SL" license add - <"$TMP/k.gitlab-license"
expect_contains "add readable" "$out" "added license 2"
expect_contains "add readable plan" "$out" "plan:               ultimate"
run 0 "$SL" --json license show
expect_contains "current is newest" "$out" '{"id":2,"plan":"ultimate"'
run 0 "$SL" --json license show 1
expect_contains "show 1" "$out" '"id":1,'
run 0 "$SL" --json license list
expect_contains "list newest first" "$out" '[{"id":2,'
run 0 "$SL" license list
expect_contains "list table" "$out" "*   2      ultimate  2026-01-01 2027-01-01 10       Example Corp"
run 3 "$SL" license show 99
expect_eq "show missing" "$err" "seatledger: no license with id 99"
run 2 "$SL" license show abc
run 0 "$SL" license delete 2
expect_eq "delete" "$out" "deleted license 2"
run 3 "$SL" license delete 2
run 0 "$SL" --json license show
expect_contains "current falls back" "$out" '{"id":1,'

finish
