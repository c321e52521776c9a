#!/usr/bin/env bash
# test_hostile.sh - the hostile-input matrix: malformed and forged keys,
# oversized and binary input, broken user directories, argument and path
# tricks, a read-only, foreign or full disk, and malformed HTTP.  Every case
# asserts the documented exit code (or HTTP status), a clear
# "seatledger: ..." message, and - for refusals - that the ledger is byte for
# byte what it was (see ledger_state in lib_hardening.sh).
source "$(dirname "$0")/lib_hardening.sh"
need_cmd sqlite3 python3 openssl curl

DB=$TMP/ledger.db
K=$TMP/keys
mkdir -p "$K"

# ---- the ledger every case starts from -----------------------------------------
must --db "$DB" keys trust "$FIX/public.pem" --name gitlab
vendor_keys "$K"                                   # trusted vendor key we can sign with
must --db "$DB" keys trust "$K/vendor.pub.pem" --name vendor
must keys generate --private "$K/rogue.pem" --public "$K/rogue.pub.pem"   # never trusted
must --db "$DB" license add "$(fixture 01_premium_basic)"
cat >"$TMP/users.csv" <<'EOF'
id,username,email,state,user_type,highest_role,guest_seat,last_activity_on
1,ada,ada@example.com,active,human,owner,false,2026-11-01
2,bob,bob@example.com,active,human,developer,false,
3,carol,,blocked,human,guest,false,
EOF
# until the users command group is built, its cases are left out (and said so)
HAVE_USERS=1
"$SL" --db "$DB" users list >/dev/null 2>"$TMP/err" </dev/null
grep -q "unknown command 'users'" "$TMP/err" && HAVE_USERS=0
if [ "$HAVE_USERS" = 1 ]; then
    must --db "$DB" users import "$TMP/users.csv"
else
    echo "note: this seatledger has no 'users' command; user-directory cases not run"
fi
must --db "$DB" refresh
must --db "$DB" --json token create --name admin --admin
TOKEN=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["token"])' "$TMP/out")

# refuse NAME EXIT TEXT ARGS...: the CLI refuses with exit code EXIT and TEXT
# in its message, and the ledger is unchanged.  refuse_in FILE ... reads
# stdin from FILE.
refuse() {
    local name=$1 want=$2 text=$3
    shift 3
    begin "$name" "$DB"
    sl "$@"
    refused "$want" "$text"
}
refuse_in() {
    local file=$1 name=$2 want=$3 text=$4
    shift 4
    begin "$name" "$DB"
    sl_in "$file" "$@"
    refused "$want" "$text"
}
refused() {
    expect_rc "$1"
    expect_err "$2"
    expect_clean_error
    expect_unchanged
    end
}

# payload FILE JSON: write a payload; key_for PAYLOAD OUT: sign it with the
# trusted vendor key through keytool.py (an independent writer)
payload() { printf '%s' "$2" >"$1"; }
key_for() { forge "$1" "$K/vendor.pem" "$2"; }
# a payload that is valid but for what the case changes
base='"version":1,"licensee":{"Name":"Hostile","Email":"h@example.com","Company":"Hostile Inc"},"issued_at":"2026-01-01","expires_at":"2027-01-01"'
INVALID=$MSG_KEY_INVALID

# ---- A. license keys --------------------------------------------------------------

: >"$TMP/empty"
refuse "key: empty file" 1 "$INVALID (boundary: no data)" --db "$DB" license add "$TMP/empty"
refuse "key: garbage text" 1 "$INVALID (envelope: invalid JSON at line 1, column 1" \
    --db "$DB" license add "$(fixture 50_garbage_text)"
refuse "key: truncated half" 1 "$INVALID (envelope: invalid JSON" \
    --db "$DB" license add "$(fixture 46_truncated_half)"
refuse "key: one ciphertext byte flipped" 1 "$INVALID (aes: bad padding (tampered data or wrong key))" \
    --db "$DB" license add "$(fixture 40_flip_data_last_block)"
refuse "key: payload version 2" 1 "$INVALID (payload: unsupported version 2)" \
    --db "$DB" license add "$(fixture 25_version_2)"
refuse "key: licensee missing" 1 "$INVALID (license: licensee is missing)" \
    --db "$DB" license add "$(fixture 22_missing_licensee)"
refuse "key: expired" 1 "This license has already expired." \
    --db "$DB" license add "$(fixture 04_expired_ultimate)"

payload "$TMP/p.json" "{$base,\"restrictions\":{\"plan\":\"ultimate\",\"active_user_count\":10}}"
forge "$TMP/p.json" "$K/rogue.pem" "$TMP/rogue.key"
refuse "key: signed by an untrusted vendor key" 1 \
    "$INVALID (signature: key does not verify with any trusted public key)" \
    --db "$DB" license add "$TMP/rogue.key"

# the IV is not authenticated (no MAC): flipping it rewrites the first 16
# bytes of the payload undetected; the payload rules must still hold
python3 "$KEYTOOL" flip-iv "$(fixture 01_premium_basic)" '{"version":1,"li' '{"version":2,"li' >"$TMP/iv2.key"
refuse "key: IV flipped to version 2 (malleable, caught by the payload rules)" 1 \
    "$INVALID (payload: unsupported version 2)" --db "$DB" license add "$TMP/iv2.key"
python3 "$KEYTOOL" flip-iv "$(fixture 01_premium_basic)" '{"version":1,"li' '{"version":1,"Li' >"$TMP/ivL.key"
refuse "key: IV flipped to rename licensee (malleable, caught as missing)" 1 \
    "$INVALID (license: licensee is missing)" --db "$DB" license add "$TMP/ivL.key"
begin "key: IV flip that keeps the payload valid goes undetected (documented weakness)"
python3 "$KEYTOOL" flip-iv "$(fixture 01_premium_basic)" '{"version":1,"li' '{"versioN":7,"li' >"$TMP/ivN.key"
sl license verify "$TMP/ivN.key" --public-key "$FIX/public.pem"
expect_rc 0
end

# worse: the wrapped AES key is only signed, so anyone with the public key
# recovers it and can encrypt any payload under a genuine key's envelope.
# Within one ledger the reuse of a stored key's wrapped AES key with another
# payload is detectable; the format itself cannot stop it (docs/security.md).
python3 - "$TMP/p.json" <<'EOF'
import json, sys
json.dump({"version": 1, "licensee": {"Name": "Mallory", "Email": "m@example.com", "Company": "Forged"},
           "issued_at": "2024-01-01", "expires_at": "2999-12-31",
           "restrictions": {"plan": "ultimate", "active_user_count": 1000000}}, open(sys.argv[1], "w"))
EOF
python3 "$KEYTOOL" reencrypt "$(fixture 01_premium_basic)" "$FIX/public.pem" "$TMP/p.json" >"$TMP/reenc.key"
begin "key: forged payload under the AES key of a genuine key (public-key recovery) is a valid key"
sl license verify "$TMP/reenc.key" --public-key "$FIX/public.pem"
expect_rc 0
end
refuse "key: forged payload reusing the wrapped AES key of a stored license is refused" 1 \
    "signature: the signed AES key of stored license 1 is reused with a different payload" \
    --db "$DB" license add "$TMP/reenc.key"

# issue 10, item 7: about one genuine key in 256 has a wrapped AES key that
# starts with 0x00; OpenSSL also accepts it with that byte dropped, a second
# encoding the raw-bytes check did not know
python3 - "$TMP/p.json" "$TMP/p-forged.json" <<'EOF'
import json, sys
lic = {"version": 1, "licensee": {"Name": "Zero", "Email": "z@example.com", "Company": "Zero Inc"},
       "issued_at": "2026-01-01", "expires_at": "2099-01-01",
       "restrictions": {"plan": "premium", "active_user_count": 10}}
json.dump(lic, open(sys.argv[1], "w"))
lic["restrictions"]["active_user_count"] = 100000
json.dump(lic, open(sys.argv[2], "w"))
EOF
python3 "$KEYTOOL" forge-zero "$TMP/p.json" "$K/vendor.pem" >"$TMP/zero.key" || die "keytool forge-zero failed"
must --db "$DB" --json license add "$TMP/zero.key"
ZERO_ID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$TMP/out")
python3 "$KEYTOOL" reencrypt "$TMP/zero.key" "$K/vendor.pub.pem" "$TMP/p-forged.json" >"$TMP/zero-forged.key"
python3 "$KEYTOOL" shorten "$TMP/zero-forged.key" >"$TMP/zero-short.key" || die "keytool shorten failed"
refuse "key: forged payload under a genuine key's wrapped AES key minus its leading zero byte" 1 \
    "$INVALID (signature: the signed AES key is 255 bytes, not the size of a trusted key's modulus)" \
    --db "$DB" license add "$TMP/zero-short.key"
begin "key: a wrapped AES key minus its leading zero byte does not verify"
sl license verify "$TMP/zero-short.key" --public-key "$K/vendor.pub.pem"
expect_rc 1
expect_out "the signed AES key is 255 bytes"
end
# the fingerprint is of the AES key, not of one encoding of it: the same AES
# key wrapped by a second trusted vendor key is still the same key
must keys generate --private "$K/vendor2.pem" --public "$K/vendor2.pub.pem"
must --db "$DB" keys trust "$K/vendor2.pub.pem" --name vendor2
python3 "$KEYTOOL" rewrap "$TMP/zero.key" "$K/vendor.pub.pem" "$K/vendor2.pem" "$TMP/p-forged.json" \
    >"$TMP/zero-rewrapped.key" || die "keytool rewrap failed"
refuse "key: forged payload under a genuine key's AES key wrapped by another trusted key" 1 \
    "signature: the signed AES key of stored license $ZERO_ID is reused with a different payload" \
    --db "$DB" license add "$TMP/zero-rewrapped.key"

# issue 10, item 8: deleting the genuine license removed its fingerprint,
# and the forged key was then accepted
sl --db "$DB" license delete "$ZERO_ID"
[ "$RC" -eq 0 ] || die "cannot delete license $ZERO_ID"
refuse "key: forged payload under the AES key of a deleted license" 1 \
    "signature: the signed AES key of deleted license $ZERO_ID is reused with a different payload" \
    --db "$DB" license add "$TMP/zero-forged.key"
refuse "key: the same, wrapped by another trusted key" 1 \
    "signature: the signed AES key of deleted license $ZERO_ID is reused with a different payload" \
    --db "$DB" license add "$TMP/zero-rewrapped.key"
must --db "$DB" keys untrust vendor2

# issue 10, item 9: weak vendor keys are not trusted
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 2>/dev/null |
    openssl pkey -pubout -out "$K/weak1024.pub.pem" || die "cannot make a 1024-bit key"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -pkeyopt rsa_keygen_pubexp:3 2>/dev/null |
    openssl pkey -pubout -out "$K/e3.pub.pem" || die "cannot make an e=3 key"
refuse "keys: trust a 1024-bit RSA key" 1 "public key: RSA key of 1024 bits is too weak: at least 2048 bits" \
    --db "$DB" keys trust "$K/weak1024.pub.pem"
refuse "keys: trust an RSA key with public exponent 3" 1 \
    "public key: RSA public exponent 3 is too small: at least 65537" --db "$DB" keys trust "$K/e3.pub.pem"

head -c $((100 * 1024 * 1024)) /dev/zero | tr '\0' 'A' >"$TMP/huge.key"
refuse "key: 100 MB file" 1 "is larger than the limit of 1048576 bytes" \
    --db "$DB" license add "$TMP/huge.key"
refuse_in "$TMP/huge.key" "key: 100 MB on standard input" 1 "is larger than the limit of 1048576 bytes" \
    --db "$DB" license add -

refuse "key: an endless file (/dev/zero) stops at the limit" 1 "is larger than the limit of 1048576 bytes" \
    --db "$DB" license add /dev/zero
printf '\0\0\0\0' >"$TMP/nul.key"
refuse "key: only NUL bytes" 1 "$INVALID (base64: envelope is empty)" --db "$DB" license add "$TMP/nul.key"
printf '\377\376\375 not utf-8 \300\200' >"$TMP/bin.key"
refuse "key: invalid UTF-8 bytes" 1 "$INVALID" --db "$DB" license add "$TMP/bin.key"

# forged payloads, signed with the trusted vendor key, that must not pass
payload "$TMP/p.json" "{$base,\"licensee\":{\"Name\":\"\377\376\"}}"
key_for "$TMP/p.json" "$TMP/k.key"
refuse "payload: invalid UTF-8" 1 "$INVALID (payload:" --db "$DB" license add "$TMP/k.key"
printf '{"version":1,"licensee":{"Name":"a\0b"},"issued_at":"2026-01-01","expires_at":"2027-01-01"}' >"$TMP/p.json"
key_for "$TMP/p.json" "$TMP/k.key"
refuse "payload: raw NUL byte" 1 "$INVALID (payload:" --db "$DB" license add "$TMP/k.key"
python3 -c 'print("{\"a\":" * 5000 + "1" + "}" * 5000, end="")' >"$TMP/p.json"
key_for "$TMP/p.json" "$TMP/k.key"
refuse "payload: nested 5000 deep" 1 "$INVALID (payload:" --db "$DB" license add "$TMP/k.key"
payload "$TMP/p.json" '[1,2,3]'
key_for "$TMP/p.json" "$TMP/k.key"
refuse "payload: an array" 1 "$INVALID (payload: not a JSON object)" --db "$DB" license add "$TMP/k.key"
payload "$TMP/p.json" '{"version":1,"licensee":{"Name":"x"},"issued_at":"2024-02-30","expires_at":"2027-01-01"}'
key_for "$TMP/p.json" "$TMP/k.key"
refuse "payload: start date 2024-02-30" 1 "$INVALID (license:" --db "$DB" license add "$TMP/k.key"
payload "$TMP/p.json" '{"version":1,"licensee":{"Name":"x"},"issued_at":"2026-01-01","expires_at":20270101}'
key_for "$TMP/p.json" "$TMP/k.key"
refuse "payload: expiry as a number" 1 "$INVALID (license:" --db "$DB" license add "$TMP/k.key"
payload "$TMP/p.json" "{$base,\"restrictions\":{\"plan\":\"premium\",\"active_user_count\":-5}}"
key_for "$TMP/p.json" "$TMP/k.key"
refuse "payload: negative seat count" 1 "exceeding this license's limit of -5" \
    --db "$DB" license add "$TMP/k.key"

begin "payload: seat count 2^63-1 (no overflow in the 110 % threshold)"
payload "$TMP/p.json" "{$base,\"restrictions\":{\"plan\":\"premium\",\"active_user_count\":9223372036854775807}}"
key_for "$TMP/p.json" "$TMP/k.key"
sl --db "$DB" --json license verify "$TMP/k.key"
expect_rc 0
expect_out '"valid":true'
end

begin "payload: SQL metacharacters in the licensee are stored verbatim"
NAME="Robert'); DROP TABLE licenses;-- \" \\ %"
python3 - "$TMP/p.json" "$NAME" <<'EOF'
import json, sys
json.dump({"version": 1, "licensee": {"Name": sys.argv[2], "Email": "x@example.com",
           "Company": '=HYPERLINK("http://evil")'},
           "issued_at": "2026-01-01", "expires_at": "2099-01-01"}, open(sys.argv[1], "w"))
EOF
key_for "$TMP/p.json" "$TMP/sql.key"
sl --db "$DB" --json license add "$TMP/sql.key"
expect_rc 0
SQL_ID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$TMP/out" 2>/dev/null)
sl --db "$DB" --json license list
expect_rc 0
python3 - "$TMP/out" "$NAME" <<'EOF' || flunk "licensee name not stored verbatim"
import json, sys
sys.exit(0 if sys.argv[2] in [l["licensee"].get("Name") for l in json.load(open(sys.argv[1]))] else 1)
EOF
end

begin "usage CSV neutralises a formula in the licensee company"
sl --db "$DB" usage export
expect_rc 0
grep -q "^Company,\"'=HYPERLINK" "$TMP/out" || grep -q "^Company,'=HYPERLINK" "$TMP/out" ||
    flunk "company cell not prefixed with a quote: $(grep '^Company' "$TMP/out")"
end
# each case below compares against its own starting state
sl --db "$DB" license delete "${SQL_ID:-0}"
[ "$RC" -eq 0 ] || die "cannot delete license ${SQL_ID:-?}"

# terminal escapes in a licensee: readable output shows them escaped (JSON
# output escapes them as JSON does)
python3 - "$TMP/p.json" <<'EOF'
import json, sys
json.dump({"version": 1, "licensee": {"Name": "bob\x1b[8m", "Email": "e\x07@example.com",
           "Company": "\x1b]0;owned\x07Evil\u009b2J\u202eCorp\r"},
           "issued_at": "2026-01-01", "expires_at": "2099-01-01",
           "restrictions": {"plan": "premium\x1b[31m", "active_user_count": 100,
                            "add_ons": {"x\x1b[8m": 1}}}, open(sys.argv[1], "w"))
EOF
key_for "$TMP/p.json" "$TMP/esc.key"
must --db "$DB" --json license add "$TMP/esc.key"
ESC_ID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$TMP/out")
# no_raw_controls: stdout holds no control character but newlines (C0, DEL,
# C1 as UTF-8, bidi overrides)
no_raw_controls() {
    python3 - "$TMP/out" <<'EOF' || flunk "raw control characters on stdout: $(head -c 300 "$TMP/out" | od -c | head -5)"
import re, sys
text = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
sys.exit(1 if re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", text) else 0)
EOF
}
for cmd in "license show $ESC_ID" "license list" "status" "license verify $TMP/esc.key"; do
    begin "escapes: $cmd shows the licensee's control characters escaped"
    # shellcheck disable=SC2086
    sl --db "$DB" $cmd
    expect_rc 0
    no_raw_controls
    expect_out '\x1b]0;owned\x07Evil'
    end
done
begin "escapes: license show shows every escaped field"
sl --db "$DB" license show "$ESC_ID"
expect_out 'e\x07@example.com'
expect_out '\x1b]0;owned\x07Evil\u009b2J\u202eCorp\r'
expect_out 'premium\x1b[31m'
expect_out 'x\x1b[8m=1'
end
begin "escapes: --json keeps the values exact"
sl --db "$DB" --json license show "$ESC_ID"
python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["licensee"]["Name"] != "bob\x1b[8m")' \
    "$TMP/out" || flunk "licensee name not exact in JSON: $(head -c 300 "$TMP/out")"
end
sl --db "$DB" license delete "$ESC_ID"
[ "$RC" -eq 0 ] || die "cannot delete license $ESC_ID"

# ---- B. user directories -------------------------------------------------------
if [ "$HAVE_USERS" = 1 ]; then

csv() { printf '%b' "$1" >"$TMP/u.csv"; }
H='id,username,email,state,user_type,highest_role,guest_seat,last_activity_on\n'
csv "${H}9,\"unterminated,x@example.com,active,human,developer,false,\n"
refuse "users: unterminated quote" 1 "line 2" --db "$DB" users import "$TMP/u.csv"
csv "${H}9,nine,,active,human,developer,maybe,\n"
refuse "users: guest_seat is not a boolean" 1 "line 2: invalid guest_seat 'maybe'" \
    --db "$DB" users import "$TMP/u.csv"
csv "${H}9,nine,,active,human,developer,false,2024-02-30\n"
refuse "users: last_activity_on 2024-02-30" 1 "line 2: invalid last_activity_on '2024-02-30'" \
    --db "$DB" users import "$TMP/u.csv"
csv "${H}9,nine,,active,human,developer,false,\n9,again,,active,human,developer,false,\n"
refuse "users: duplicate id" 1 "line 3: duplicate id '9'" --db "$DB" users import "$TMP/u.csv"
csv "${H}9,nine,,sleeping,human,developer,false,\n"
refuse "users: unknown state" 1 "line 2: unknown state 'sleeping'" --db "$DB" users import "$TMP/u.csv"
csv "id,username,state,colour\n9,nine,active,red\n"
refuse "users: unknown column" 1 "line 1: unknown column 'colour'" --db "$DB" users import "$TMP/u.csv"
csv "${H}9,nine\0x,,active,human,developer,false,\n"
refuse "users: NUL byte" 1 "line 2: NUL byte in username" --db "$DB" users import "$TMP/u.csv"
csv "${H}9,\377\376,,active,human,developer,false,\n"
refuse "users: invalid UTF-8" 1 "line 2: invalid UTF-8 in username" --db "$DB" users import "$TMP/u.csv"
python3 -c 'import sys; sys.stdout.write("id,username,state\n9," + "x" * 2000 + ",active\n")' >"$TMP/u.csv"
refuse "users: 2000-byte field" 1 "line 2: username is longer than 1024 bytes" \
    --db "$DB" users import "$TMP/u.csv"
: >"$TMP/u.csv"
refuse "users: empty file" 1 "empty input" --db "$DB" users import "$TMP/u.csv"
# a good row first, then a bad one: the import is all or nothing
csv "${H}7,seven,,active,human,developer,false,\n8,eight,,active,robot,developer,false,\n"
refuse "users: bad row after a good one (atomic)" 1 "line 3: unknown user_type 'robot'" \
    --db "$DB" users import "$TMP/u.csv" --prune
printf '{"id":"9","username":"n","state":"active"}\n[1,2]\n' >"$TMP/u.jsonl"
refuse "users: JSONL line that is not an object" 1 "line 2" --db "$DB" users import "$TMP/u.jsonl"
printf '{"id":"9","username":12,"state":"active"}\n' >"$TMP/u.jsonl"
refuse "users: JSONL number where a string belongs" 1 "line 1: username must be a string" \
    --db "$DB" users import "$TMP/u.jsonl"
python3 -c 'print("[" * 100000 + "]" * 100000)' >"$TMP/u.jsonl"
refuse "users: JSONL nested 100000 deep" 1 "line 1" --db "$DB" users import "$TMP/u.jsonl"

refuse "users: an endless file of NUL bytes (/dev/zero)" 1 "line 1" --db "$DB" users import /dev/zero
refuse "users: an endless file of random bytes (/dev/urandom)" 1 "line 1" \
    --db "$DB" users import /dev/urandom

begin "users: quotes, embedded newlines and formula cells are data"
csv "${H}\"q1\",\"multi\nline \"\"quoted\"\"\",,active,human,developer,false,\n=1+1,@SUM(A1),,active,human,reporter,false,\n"
sl --db "$DB" users import "$TMP/u.csv"
expect_rc 0
sl --db "$DB" --json users list
expect_rc 0
python3 - "$TMP/out" <<'EOF' || flunk "users not stored verbatim: $(head -c 300 "$TMP/out")"
import json, sys
doc = json.load(open(sys.argv[1]))
users = doc if isinstance(doc, list) else doc.get("users", [])
by_id = {u["id"]: u for u in users}
ok = by_id.get("q1", {}).get("username") == 'multi\nline "quoted"' and by_id.get("=1+1", {}).get("username") == "@SUM(A1)"
sys.exit(0 if ok else 1)
EOF
end
begin "escapes: users list shows control characters in usernames and ids escaped"
printf 'id,username,state\nz\033[8m,bob\033[8m,active\nz2,"\302\233 \r\tcarol\177",active\n' >"$TMP/u.csv"
sl --db "$DB" users import "$TMP/u.csv"
expect_rc 0
sl --db "$DB" users list --explain
expect_rc 0
no_raw_controls
expect_out 'z\x1b[8m  bob\x1b[8m'
expect_out '\u009b \r\tcarol\x7f'
sl --db "$DB" --json users list
python3 -c 'import json,sys; sys.exit("bob\x1b[8m" not in [u["username"] for u in json.load(open(sys.argv[1]))])' \
    "$TMP/out" || flunk "username not exact in JSON: $(head -c 300 "$TMP/out")"
end
must --db "$DB" users import "$TMP/users.csv" --prune
fi

# ---- C. arguments, options and paths ---------------------------------------------

refuse "cli: unknown global option" 2 "unknown option '--frobnicate'" --db "$DB" --frobnicate license list
refuse "cli: unknown command" 2 "unknown command 'explode'" --db "$DB" explode
refuse "cli: unknown flag of a command" 2 "unexpected argument '--all'" --db "$DB" refresh --all
refuse "cli: license id that is not a number" 2 "invalid license id 'abc'" --db "$DB" license delete abc
refuse "cli: negative license id" 2 "invalid license id '-1'" --db "$DB" license delete -1
refuse "cli: license id beyond 64 bits" 2 "invalid license id '99999999999999999999'" \
    --db "$DB" license delete 99999999999999999999
refuse "cli: license id that does not exist" 3 "no license with id 4242" --db "$DB" license delete 4242
refuse "cli: history from 2024-02-30" 2 "history: --from" --db "$DB" history --from 2024-02-30
refuse "cli: issue with --users -5" 2 "--users must be a non-negative integer" \
    license issue --private-key "$K/vendor.pem" --licensee-name a --licensee-email a@b.c \
    --licensee-company c --plan premium --users -5 --starts 2026-01-01
refuse "cli: issue starting 2024-02-30" 2 "--starts must be a date YYYY-MM-DD" \
    license issue --private-key "$K/vendor.pem" --licensee-name a --licensee-email a@b.c \
    --licensee-company c --plan premium --users 5 --starts 2024-02-30
SEATLEDGER_NOW=yesterday refuse "cli: malformed SEATLEDGER_NOW" 2 "SEATLEDGER_NOW" --db "$DB" refresh
refuse "cli: key name with SQL metacharacters" 1 "invalid" \
    --db "$DB" keys trust "$K/rogue.pub.pem" --name "x'; DROP TABLE trusted_keys;--"
refuse "cli: token name with SQL metacharacters" 1 "invalid token name" \
    --db "$DB" token create --name "a' OR '1'='1"
refuse "cli: a private key is not a trusted public key" 1 "public key" \
    --db "$DB" keys trust "$K/vendor.pem"
SEATLEDGER_NOW=2026-01-01T00:00:00Z refuse "cli: refresh with the clock behind the newest snapshot" 1 \
    "" --db "$DB" refresh
refuse "out: usage export into a directory" 1 "is a directory" --db "$DB" usage export --out "$TMP"
refuse "out: usage export into a missing directory" 4 "cannot write '$TMP/nope/u.csv'" \
    --db "$DB" usage export --out "$TMP/nope/u.csv"
refuse "out: license issue into a missing directory" 4 "cannot write '$TMP/nope/k.key'" \
    license issue --private-key "$K/vendor.pem" --licensee-name a --licensee-email a@b.c \
    --licensee-company c --plan premium --users 5 --starts 2026-01-01 --expires 2027-01-01 \
    --out "$TMP/nope/k.key"
refuse "out: keys generate into a missing directory" 4 "cannot write '$TMP/nope/v.pem'" \
    keys generate --private "$TMP/nope/v.pem" --public "$TMP/nope/v.pub.pem"
refuse "out: usage export onto the ledger itself" 1 "cannot write '$DB': it is the ledger" \
    --db "$DB" usage export --out "$DB"
refuse "out: usage export onto the ledger's WAL" 1 "it is the ledger" \
    --db "$DB" usage export --out "$DB-wal"
ln -s "$DB" "$TMP/ledger-link.csv"
refuse "out: usage export through a symlink to the ledger" 1 "it is the ledger" \
    --db "$DB" usage export --out "$TMP/ledger-link.csv"
# every name SQLite owns beside the ledger: it would use (and, for a journal
# it thinks hot, delete) whatever file we put there
for side in -journal -wal -shm; do
    rm -f "$TMP/side.db$side"
    refuse "out: backup onto the ledger's $side file" 1 "cannot back up to '$DB$side': it is the ledger's" \
        --db "$DB" backup "$DB$side"
    refuse "out: usage export onto the ledger's $side file" 1 "cannot write '$DB$side': it is the ledger" \
        --db "$DB" usage export --out "$DB$side"
done
begin "out: no file was left where SQLite looks for the ledger's journal"
[ -e "$DB-journal" ] && flunk "'$DB-journal' exists"
end
refuse "out: backup onto the ledger's journal by another name" 1 "it is the ledger's rollback journal" \
    --db "$DB" backup "$TMP/./../$(basename "$TMP")/$(basename "$DB")-journal"
refuse "out: license issue onto the ledger's journal" 1 "it is the ledger's rollback journal" \
    --db "$DB" license issue --private-key "$K/vendor.pem" --licensee-name a --licensee-email a@b.c \
    --licensee-company c --plan premium --users 5 --starts 2026-01-01 --expires 2027-01-01 \
    --out "$DB-journal"
refuse "out: usage chart onto the ledger's journal" 1 "it is the ledger's rollback journal" \
    --db "$DB" usage chart --out "$DB-journal"
refuse "out: keys generate onto the ledger's journal" 1 "it is the ledger's rollback journal" \
    --db "$DB" keys generate --private "$DB-journal" --public "$TMP/side.pub.pem"

# the vendor's private key is never replaced by the tool
cp "$K/vendor.pem" "$TMP/keep.pem"
ln "$TMP/keep.pem" "$TMP/keep-hardlink.pem"
begin "keys: generate with --private and --public the same file"
sl keys generate --private "$TMP/same.pem" --public "$TMP/same.pem"
expect_rc 2
expect_err "--private and --public name the same file '$TMP/same.pem'"
expect_clean_error
[ -e "$TMP/same.pem" ] && flunk "'$TMP/same.pem' was written"
end
begin "keys: generate with --private and --public the same file by two names"
sl keys generate --private "$TMP/same.pem" --public "$TMP/../$(basename "$TMP")/same.pem"
expect_rc 2
expect_err "--private and --public name the same file"
[ -e "$TMP/same.pem" ] && flunk "'$TMP/same.pem' was written"
end
for out in keep.pem keep-hardlink.pem; do
    begin "keys: license issue --out onto its own --private-key ($out)"
    sl license issue --private-key "$TMP/keep.pem" --licensee-name a --licensee-email a@b.c \
        --licensee-company c --plan premium --users 5 --starts 2026-01-01 --expires 2027-01-01 \
        --out "$TMP/$out"
    expect_rc 2
    expect_err "--out '$TMP/$out' is the private key"
    expect_clean_error
    cmp -s "$TMP/keep.pem" "$K/vendor.pem" || flunk "the private key was replaced"
    end
done

sqlite3 "$DB" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
cp "$DB" "$TMP/victim.db"
begin "out: usage export through a symlink replaces the link, not its target"
ln -s "$TMP/victim.db" "$TMP/link.csv"
before=$(sha256sum <"$TMP/victim.db")
sl --db "$DB" usage export --out "$TMP/link.csv"
expect_rc 0
[ "$(sha256sum <"$TMP/victim.db")" = "$before" ] || flunk "the symlink's target changed"
[ -L "$TMP/link.csv" ] && flunk "the symlink is still there"
end
begin "out: stdout is a full disk"
sl_full() { "$SL" --db "$DB" usage export >/dev/full 2>"$TMP/err"; RC=$?; }
sl_full
expect_rc 4
expect_err "cannot write"
expect_clean_error
end

# ---- F. add-on seats ---------------------------------------------------------------
if [ "$HAVE_USERS" = 1 ]; then
# a cloud key with malformed add_on_products entries: invalid, naming add-on and field
for bad in 'duo_pro:{"quantity":0,"started_on":"2026-01-01","expires_on":"2027-01-01"}:duo_pro[0].quantity must be an integer of at least 1' \
           'duo_enterprise:{"quantity":2,"started_on":"2026-13-01","expires_on":"2027-01-01"}:duo_enterprise[0].started_on '"'"'2026-13-01'"'"' is not a valid date' \
           'duo_core:{"quantity":2,"started_on":"2026-01-01"}:duo_core[0].expires_on is missing' \
           'duo_amazon_q:"lots":duo_amazon_q is not an array'; do
    name=${bad%%:*}; rest=${bad#*:}; entry=${rest%:*}; msg=${bad##*:}
    case $entry in \{*) entry="[$entry]" ;; esac
    payload "$TMP/p.json" "{$base,\"cloud_licensing_enabled\":true,\"restrictions\":{\"plan\":\"premium\",\"active_user_count\":100,\"add_on_products\":{\"$name\":$entry}}}"
    key_for "$TMP/p.json" "$TMP/k.key"
    refuse "add-ons: malformed $name entry in a key" 1 "license: add_on_products.$msg" \
        --db "$DB" license add "$TMP/k.key"
done
# a ledger with a cloud key of 2 duo_pro seats and one assigned
payload "$TMP/p.json" "{$base,\"cloud_licensing_enabled\":true,\"restrictions\":{\"plan\":\"premium\",\"active_user_count\":100,\"add_on_products\":{\"duo_pro\":[{\"quantity\":2,\"started_on\":\"2026-01-01\",\"expires_on\":\"2027-01-01\"}],\"duo_core\":[{\"quantity\":5,\"started_on\":\"2026-01-01\",\"expires_on\":\"2027-01-01\"}]}}}"
key_for "$TMP/p.json" "$TMP/addons.key"
must --db "$DB" license add "$TMP/addons.key"
must --db "$DB" seats assign duo_pro ada
refuse "add-ons: unknown add-on name" 1 "unknown add-on 'duo_max': use duo_pro, duo_enterprise, duo_amazon_q or duo_core" \
    --db "$DB" seats assign duo_max ada
refuse "add-ons: unknown user" 1 "unknown user 'mallory'" --db "$DB" seats assign duo_pro mallory
refuse "add-ons: the same user twice (id and username)" 1 "user '2' is given more than once" \
    --db "$DB" seats assign duo_pro bob 2
python3 -c 'print("\n".join("u%d" % i for i in range(101)))' >"$TMP/many.txt"
refuse "add-ons: 101 users in one call" 1 "The number of users to be assigned in a single API call should be less than 100." \
    --db "$DB" seats assign duo_pro --file "$TMP/many.txt"
refuse "add-ons: 101 users to unassign" 1 "The number of users to be unassigned in a single API call should be less than 100." \
    --db "$DB" seats unassign duo_pro --file "$TMP/many.txt"
printf 'ada\0bob\n' >"$TMP/nul.txt"
refuse "add-ons: NUL byte in a user file" 1 "contains a NUL byte" --db "$DB" seats assign duo_pro --file "$TMP/nul.txt"
refuse "add-ons: ineligible user" 1 "INVALID_USER_MEMBERSHIP" --db "$DB" seats assign duo_pro carol
refuse "add-ons: duo_core takes no seats" 1 "SEAT_ASSIGNMENT_NOT_SUPPORTED" --db "$DB" seats assign duo_core bob
refuse "add-ons: bulk on duo_core" 1 "INCOMPATIBLE_ADD_ON" --db "$DB" seats assign duo_core ada bob
printf 'id,username,state,user_type\n4,dan,active,human\n5,eve,active,human\n6,robot,active,bot\n' >"$TMP/more.csv"
must --db "$DB" users import "$TMP/more.csv"
refuse "add-ons: bulk with nobody eligible" 1 "INVALID_USER_ID_PRESENT" --db "$DB" seats assign duo_pro carol robot
refuse "add-ons: not enough seats is all or nothing" 1 "NOT_ENOUGH_SEATS" --db "$DB" seats assign duo_pro bob 4 5
must --db "$DB" seats assign duo_pro bob
refuse "add-ons: no seat left" 1 "NO_SEATS_AVAILABLE" --db "$DB" seats assign duo_pro dan
refuse "add-ons: bulk unassign of users without seats" 1 "NO_ASSIGNMENTS_FOUND" --db "$DB" seats unassign duo_pro 4 5
refuse "add-ons: no purchase of the add-on" 3 "does not exist or you don't have permission" \
    --db "$DB" seats assign duo_enterprise ada
refuse "add-ons: search longer than the limit" 1 "search is longer than 256 bytes" \
    --db "$DB" seats list --search "$(head -c 300 /dev/zero | tr '\0' x)"
refuse "add-ons: bad duo activity date in a directory" 1 "line 2: invalid last_duo_activity_on '2026-02-30': not a valid YYYY-MM-DD date" \
    --db "$DB" users import <(printf 'id,username,state,last_duo_activity_on\n1,ada,active,2026-02-30\n')
fi

# ---- D. the ledger file and the disk ---------------------------------------------

begin "db: missing ledger directory is created 0700"
sl --db "$TMP/new/sub/ledger.db" license list
expect_rc 0
[ "$(stat -c %a "$TMP/new/sub" 2>/dev/null)" = 700 ] || flunk "directory not 0700"
end
touch "$TMP/plainfile"
begin "db: ledger path below a regular file"
sl --db "$TMP/plainfile/ledger.db" license list
expect_rc 4
expect_err "'$TMP/plainfile"
expect_clean_error
end
begin "db: a file that is not a SQLite database" "$TMP/notadb"
printf 'this is not a ledger\n%.0s' {1..200} >"$TMP/notadb"
CASE_STATE=$(sha256sum <"$TMP/notadb")
sl --db "$TMP/notadb" license list
expect_rc 4
expect_err "$TMP/notadb"
expect_err "file is not a database"
expect_clean_error
[ "$(sha256sum <"$TMP/notadb")" = "$CASE_STATE" ] || flunk "the foreign file was modified"
end

# a ledger anyone else can write is refused, the way ssh refuses a loose
# private key: whoever can write it can insert an admin token
sqlite3 "$DB" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
for mode in 666 664 646 606; do
    cp -p "$DB" "$TMP/loose.db"
    chmod "$mode" "$TMP/loose.db"
    begin "db: a ledger with mode $mode is refused" "$TMP/loose.db"
    sl --db "$TMP/loose.db" license list
    expect_rc 4
    expect_err "cannot open '$TMP/loose.db': it is writable by group or others (mode 0$mode)"
    expect_err "chmod 600 '$TMP/loose.db'"
    expect_clean_error
    expect_unchanged
    [ -e "$TMP/loose.db-wal" ] && flunk "a -wal was created beside the loose ledger"
    end
done
cp -p "$DB" "$TMP/loose.db"
chmod 600 "$TMP/loose.db"
: >"$TMP/loose.db-wal"
chmod 666 "$TMP/loose.db-wal"
begin "db: a ledger whose -wal has mode 666 is refused"
sl --db "$TMP/loose.db" refresh
expect_rc 4
expect_err "cannot open '$TMP/loose.db-wal': it is writable by group or others (mode 0666)"
expect_clean_error
end
: >"$TMP/empty-target"
chmod 666 "$TMP/empty-target"
ln -s "$TMP/empty-target" "$TMP/link.db"
begin "db: a symlink to an empty world-writable file is refused"
sl --db "$TMP/link.db" token create --name intruder --admin
expect_rc 4
expect_err "it is writable by group or others"
expect_clean_error
[ -s "$TMP/empty-target" ] && flunk "the link's target was written"
end
if [ "$(id -u)" -eq 0 ]; then
    cp -p "$DB" "$TMP/foreign.db"
    chown nobody "$TMP/foreign.db"
    begin "db: a ledger owned by another user is refused" "$TMP/foreign.db"
    sl --db "$TMP/foreign.db" license list
    expect_rc 4
    expect_err "it is owned by uid $(id -u nobody), not by uid 0 who runs seatledger"
    expect_clean_error
    expect_unchanged
    end
fi

# read-only ledger: root ignores file modes, so run the command as nobody
RO=$TMP/ro
mkdir -p "$RO"
cp "$DB" "$RO/ledger.db"
as_user=()
if [ "$(id -u)" -eq 0 ]; then
    if command -v setpriv >/dev/null 2>&1; then
        chown -R nobody "$RO"
        chmod 0711 "$TMP"
        as_user=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
    else
        as_user=(skip)
    fi
fi
chmod 0444 "$RO/ledger.db"
chmod 0555 "$RO"
if [ "${as_user[0]:-}" = skip ]; then
    echo "note: read-only cases need setpriv when run as root; not run"
else
    begin "db: read-only ledger refuses a license add" "$RO/ledger.db"
    "${as_user[@]}" "$SL" --db "$RO/ledger.db" license add "$(fixture 01_premium_basic)" \
        >"$TMP/out" 2>"$TMP/err" </dev/null
    RC=$?
    expect_rc 4
    expect_err "'$RO/ledger.db'"
    expect_clean_error
    expect_unchanged
    end
    begin "db: read-only ledger refuses a refresh" "$RO/ledger.db"
    "${as_user[@]}" "$SL" --db "$RO/ledger.db" refresh >"$TMP/out" 2>"$TMP/err" </dev/null
    RC=$?
    expect_rc 4
    expect_clean_error
    expect_unchanged
    end
fi
chmod 0755 "$RO"
chmod 0700 "$TMP"

# disk full: a file-size limit smaller than one WAL frame, with SIGXFSZ
# ignored so writes fail with EFBIG instead of killing the process
python3 -c '
import sys
print("id,username,state")
for i in range(20000): print("f%d,full%d,active" % (i, i))' >"$TMP/big.csv"
sqlite3 "$DB" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
full() { (trap '' XFSZ; ulimit -f 4; exec "$SL" "$@") >"$TMP/out" 2>"$TMP/err" </dev/null; RC=$?; }
if [ "$HAVE_USERS" = 1 ]; then
    begin "disk full: users import" "$DB"
    full --db "$DB" users import "$TMP/big.csv"
    expect_rc 4
    expect_clean_error
    expect_unchanged
    end
fi
begin "disk full: license add" "$DB"
full --db "$DB" license add "$(fixture 05_future_start)"
expect_rc 4
expect_clean_error
expect_unchanged
end
begin "disk full: refresh" "$DB"
full --db "$DB" refresh
expect_rc 4
expect_clean_error
expect_unchanged
end
begin "after disk full the ledger still works"
sl --db "$DB" refresh
expect_rc 0
check=$(sqlite3 "$DB" 'PRAGMA integrity_check;')
[ "$check" = ok ] || flunk "integrity_check: $check"
end

# ---- E. HTTP ---------------------------------------------------------------------

serve_start "$DB"
AUTH=(-H "PRIVATE-TOKEN: $TOKEN")
# the fingerprint checkpoints the WAL, so each HTTP batch is compared with
# the server stopped
serve_stop
HTTP_STATE=$(ledger_state "$DB")
serve_start "$DB"

hcase() { # hcase NAME STATUS BODY-TEXT METHOD PATH [CURL ARGS...]
    local name=$1 want=$2 text=$3
    shift 3
    begin "$name"
    http "$@"
    expect_status "$want"
    [ -n "$text" ] && expect_body_has "$text"
    expect_server_alive
    end
}
hcase "http: no token" 401 '{"message":"401 Unauthorized"}' GET /api/v4/license
hcase "http: forged token" 401 '{"message":"401 Unauthorized"}' GET /api/v4/license \
    -H "PRIVATE-TOKEN: slt_$(printf 'A%.0s' {1..43})"
# GitLab's HandleMalformedStrings: a NUL byte or invalid UTF-8 in the path,
# a parameter or the Authorization header is 400 "Bad Request" (text/plain)
# before any API sees the request
hcase "http: the admin token followed by an encoded NUL and junk" 400 "Bad Request" \
    GET "/api/v4/license?private_token=${TOKEN}%00junk"
hcase "http: invalid UTF-8 in a query parameter" 400 "Bad Request" \
    GET "/api/v4/license?x=%C0%AF" "${AUTH[@]}"
hcase "http: invalid UTF-8 in a GraphQL operation name" 400 "Bad Request" \
    GET "/api/graphql?query=%7Bx%7D&operationName=Q%B7" "${AUTH[@]}"
hcase "http: invalid UTF-8 in the Authorization header" 400 "Bad Request" \
    GET "/api/v4/license" -H "Authorization: Bearer $(printf 'a\302')"
hcase "http: wrong method" 405 '{"message":"405 Method Not Allowed"}' PATCH /api/v4/license "${AUTH[@]}"
hcase "http: unknown path" 404 '{"message":"404 Not Found"}' GET /api/v4/licence "${AUTH[@]}"
hcase "http: dot-dot in the path" 404 "404" GET "/api/v4/license/../licenses" "${AUTH[@]}" --path-as-is
hcase "http: encoded NUL in the path" 400 "Bad Request" GET "/api/v4/license/1%00" "${AUTH[@]}"
hcase "http: id beyond 64 bits" 404 "404" GET /api/v4/license/99999999999999999999999 "${AUTH[@]}"
hcase "http: id that is not a number" 404 "404" GET "/api/v4/license/1;DROP" "${AUTH[@]}"
hcase "http: malformed JSON body" 400 "" POST /api/v4/license "${AUTH[@]}" \
    -H "Content-Type: application/json" --data-binary '{"license": "abc'
hcase "http: license missing" 400 '{"error":"license is missing"}' POST /api/v4/license "${AUTH[@]}" \
    -H "Content-Type: application/json" --data-binary '{"licence":"x"}'
hcase "http: garbage license" 400 "$INVALID" POST /api/v4/license "${AUTH[@]}" \
    -H "Content-Type: application/json" --data-binary '{"license":"Z2FyYmFnZQ=="}'
hcase "http: license of the wrong JSON type" 400 "" POST /api/v4/license "${AUTH[@]}" \
    -H "Content-Type: application/json" --data-binary '{"license":["a"]}'
python3 -c 'print("{\"license\":" + "[" * 100000 + "]" * 100000 + "}")' >"$TMP/deep.json"
hcase "http: JSON body nested 100000 deep" 400 "" POST /api/v4/license "${AUTH[@]}" \
    -H "Content-Type: application/json" --data-binary "@$TMP/deep.json"
head -c $((2 * 1024 * 1024)) /dev/zero | tr '\0' 'A' >"$TMP/2mb"
hcase "http: 2 MiB body" 413 "" POST /api/v4/license "${AUTH[@]}" \
    -H "Content-Type: application/x-www-form-urlencoded" --data-binary "@$TMP/2mb"
hcase "http: invalid UTF-8 in a form body" 400 "Bad Request" POST /api/v4/license "${AUTH[@]}" \
    -H "Content-Type: application/x-www-form-urlencoded" --data-binary "license=%FF%FE%00"
hcase "http: refresh of a license that does not exist" 404 "404" \
    PUT /api/v4/license/4242/refresh_billable_users "${AUTH[@]}"
hcase "http: delete of a license that does not exist" 404 "404" DELETE /api/v4/license/4242 "${AUTH[@]}"
begin "http: 100 KB header"
http GET /api/v4/license -H "X-Junk: $(head -c 100000 /dev/zero | tr '\0' 'j')"
case $STATUS in 400 | 413 | 431) ;; *) flunk "status $STATUS, expected 400, 413 or 431" ;; esac
expect_server_alive
end

begin "http: garbage request line"
printf 'THIS IS NOT HTTP\r\n\r\n' >"$TMP/raw"
reply=$(python3 - "$PORT" "$TMP/raw" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(open(sys.argv[2], "rb").read())
try:
    print(s.recv(200).decode("latin-1").splitlines()[0])
except Exception as e:
    print("no reply: %s" % e)
EOF
)
case $reply in "HTTP/1."?" 400"*) ;; *) flunk "reply '$reply', expected a 400 status line" ;; esac
expect_server_alive
end
begin "http: a client that connects and says nothing does not block others"
python3 -c '
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
time.sleep(3)' "$PORT" &
idle=$!
sleep 0.5
http GET /api/v4/licenses "${AUTH[@]}"
expect_status 200
wait "$idle"
end

serve_stop
begin "http: refused requests left the ledger unchanged"
[ "$(ledger_state "$DB")" = "$HTTP_STATE" ] || flunk "ledger changed"
end

# ---- F. the clock ------------------------------------------------------------------
# Every time the ledger records is an event, never before its latest one and
# never more than 31 days after it without the admin's audited confirmation;
# a ledger whose latest event lies in the future gets an audited recovery.

# at TIME CMD...: run CMD with the clock at TIME
at() { local t=$1; shift; SEATLEDGER_NOW=$t "$@"; }
# expect_audited DB ACTION: the audit log of DB has one line of ACTION
expect_audited() {
    [ "$(sqlite3 "$1" "SELECT count(*) FROM audit_log WHERE action = '$2'")" = 1 ] ||
        flunk "no $2 line in the audit log"
}
# key_between START EXPIRES OUT: a key of the trusted vendor for that term
key_between() {
    payload "$TMP/p.json" "{\"version\":1,\"licensee\":{\"Name\":\"Clock\",\"Email\":\"c@example.com\",\"Company\":\"Clock Inc\"},\"issued_at\":\"$1\",\"expires_at\":\"$2\",\"restrictions\":{\"plan\":\"premium\",\"active_user_count\":50}}"
    key_for "$TMP/p.json" "$3"
}
key_between 2026-01-01 2027-06-01 "$TMP/old.key"
key_between 2027-01-01 2028-01-01 "$TMP/new.key"
key_between 2026-01-01 2027-01-01 "$TMP/ends-2027.key"

# issue 10, item 4: set back, an expired key came back and refresh wrote
# history before an event already in the ledger
C4=$TMP/clock4.db
at 2026-06-01T12:00:00Z must --db "$C4" keys trust "$K/vendor.pub.pem" --name vendor
at 2026-06-01T12:00:00Z must --db "$C4" license add "$TMP/old.key"
at 2027-02-01T12:00:00Z must --db "$C4" clock confirm
at 2027-02-01T12:00:00Z must --db "$C4" license add "$TMP/new.key"
CLOCK4=(env SEATLEDGER_NOW=2026-12-15T12:00:00Z)
begin "clock: set back before a license add, a key that expired by the ledger's today is refused" "$C4"
"${CLOCK4[@]}" "$SL" --db "$C4" license add "$TMP/ends-2027.key" >"$TMP/out" 2>"$TMP/err" </dev/null
RC=$?
expect_rc 1
expect_err "clock is behind the ledger: now is 2026-12-15T12:00:00.000Z, the ledger's latest event was recorded at 2027-02-01T12:00:00.000Z"
expect_clean_error
expect_unchanged
end
refuse_clock4() { # NAME ARGS...: refused with the clock at 2026-12-15, nothing written
    local name=$1
    shift
    begin "clock: set back, $name is refused" "$C4"
    "${CLOCK4[@]}" "$SL" --db "$C4" "$@" >"$TMP/out" 2>"$TMP/err" </dev/null
    RC=$?
    expect_rc 1
    expect_err "clock is behind the ledger"
    expect_clean_error
    expect_unchanged
    end
}
refuse_clock4 "a refresh (a snapshot before the latest event)" refresh
refuse_clock4 "a token" token create --name late
refuse_clock4 "a users import" users import "$TMP/users.csv"
refuse_clock4 "trusting a key" keys trust "$K/rogue.pub.pem"
refuse_clock4 "deleting a license" license delete 1
begin "clock: set back, today stays the ledger's latest date and the new license stays current"
"${CLOCK4[@]}" "$SL" --db "$C4" --json status >"$TMP/out" 2>"$TMP/err"
RC=$?
expect_rc 0
expect_out '"license_id":2,'
expect_out '"today":"2027-02-01"'
expect_out '"latest_event_at":"2027-02-01T12:00:00.000Z"'
expect_out "clock is behind the ledger's latest event (2027-02-01 12:00:00 UTC)"
end

# issue 10, item 5: set back, an expired token worked again
C5=$TMP/clock5.db
at 2026-06-01T12:00:00Z must --db "$C5" --json token create --name shortlived --admin --expires 2026-07-01
T5=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["token"])' "$TMP/out")
at 2026-08-01T12:00:00Z must --db "$C5" clock confirm
at 2026-08-01T12:00:00Z must --db "$C5" refresh
SEATLEDGER_NOW=2026-06-15T12:00:00Z serve_start "$C5"
begin "clock: set back, a token that expired by the ledger's today stays refused (401)"
http GET /api/v4/license -H "PRIVATE-TOKEN: $T5"
expect_status 401
end
serve_stop
begin "clock: set back, token list shows the token expired"
at 2026-06-15T12:00:00Z sl --db "$C5" token list
expect_rc 0
expect_out "expired"
end

# issue 10, item 6: one refresh set forward bricked the ledger
C6=$TMP/clock6.db
must --db "$C6" keys trust "$FIX/public.pem" --name gitlab
must --db "$C6" license add "$(fixture 01_premium_basic)"
must --db "$C6" refresh
for far in 2036-01-01T00:00:00Z 9999-12-31T23:59:59Z 2026-12-23T12:00:01Z; do
    begin "clock: set forward to $far, a refresh is refused without confirmation" "$C6"
    at "$far" sl --db "$C6" refresh
    expect_rc 1
    expect_err "days ahead of the ledger's latest event"
    expect_err "more than the 31 days allowed: if the clock is right, confirm it with 'seatledger clock confirm'"
    expect_clean_error
    expect_unchanged
    end
done
cp "$C6" "$TMP/clock6-bound.db"
begin "clock: exactly 31 days after the latest event is allowed"
at 2026-12-23T12:00:00Z sl --db "$TMP/clock6-bound.db" refresh
expect_rc 0
end
ADMIN6=$(at 2026-11-22T12:00:00Z "$SL" --db "$C6" token create --name admin6 --admin 2>/dev/null)
begin "clock: set forward to 2036, the refresh API is refused (409)" "$C6"
SEATLEDGER_NOW=2036-01-01T00:00:00Z serve_start "$C6"
http PUT /api/v4/license/1/refresh_billable_users -H "PRIVATE-TOKEN: $ADMIN6"
expect_status 409
expect_body_has "days ahead of the ledger's latest event"
serve_stop
expect_unchanged
end
begin "clock: nothing to confirm within 31 days, and nothing is written" "$C6"
at 2026-11-23T12:00:00Z sl --db "$C6" clock confirm
expect_rc 0
expect_out "nothing to confirm"
expect_unchanged
end
begin "clock: nothing to recover when the latest event is not in the future" "$C6"
at 2026-11-23T12:00:00Z sl --db "$C6" clock recover
expect_rc 0
expect_out "nothing to recover"
expect_unchanged
end
begin "clock: the admin confirms a clock far ahead, audited, and the refresh works"
at 2036-01-01T00:00:00Z sl --db "$C6" clock confirm
expect_rc 0
expect_out "confirmed the clock"
at 2036-01-01T00:00:00Z sl --db "$C6" refresh
expect_rc 0
expect_audited "$C6" clock.confirm
end
begin "clock: with the clock right again the ledger refuses to record (behind its 2036 event)" "$C6"
at 2026-11-24T12:00:00Z sl --db "$C6" refresh
expect_rc 1
expect_err "the ledger's latest event was recorded at 2036-01-01T00:00:00.000Z"
expect_unchanged
end
begin "clock: an audited recovery makes the ledger usable again"
at 2026-11-24T12:00:00Z sl --db "$C6" clock recover
expect_rc 0
expect_out "recovered the ledger's clock at 2026-11-24 12:00:00 UTC"
at 2026-11-24T12:00:01Z sl --db "$C6" refresh
expect_rc 0
at 2026-11-24T12:00:01Z sl --db "$C6" --json license show
expect_out '"expired":false'
expect_audited "$C6" clock.recover
end
begin "clock: the recovery stays visible in status and the history, and the 2036 rows are kept"
at 2026-12-01T12:00:00Z sl --db "$C6" status
expect_rc 0
expect_out "the ledger's clock was recovered once, last at 2026-11-24 12:00:00 UTC: its latest event had been recorded at 2036-01-01 00:00:00 UTC"
at 2026-12-01T12:00:00Z sl --db "$C6" history
expect_out "2026-11-24 12:00:00 UTC               -  cli  clock recovered: the latest event had been recorded at 2036-01-01 00:00:00 UTC"
expect_out "2036-01-01 00:00:00 UTC"
at 2026-12-01T12:00:00Z sl --db "$C6" --json history
expect_out '{"recorded_at":"2026-11-24T12:00:00.000Z","clock_recovery":{"latest_before":"2036-01-01T00:00:00.000Z"},"source":"cli"}'
at 2026-12-01T12:00:00Z sl --db "$C6" --json status
expect_out '"clock_recoveries":1,"last_clock_recovery_at":"2026-11-24T12:00:00.000Z"'
end
begin "clock: recovery and confirmation rows are append-only"
sqlite3 "$C6" "DELETE FROM clock_events" 2>"$TMP/err" && flunk "a clock event was deleted"
expect_err "clock events are append-only"
end

if [ "$HAVE_USERS" = 1 ]; then finish 88; else finish 40; fi
