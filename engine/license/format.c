/*
 * format.c - the GitLab license key wire format, layer by layer: boundary
 * lines, outer base64, the JSON envelope, the RSA-wrapped AES key and the
 * AES-128-CBC payload (docs/license-format.md).  Decoding mirrors the
 * gitlab-license gem's leniency exactly; encoding mirrors its output layout
 * byte for byte so that keys we issue are accepted by GitLab instances.
 */
#include "license/base64.h"
#include "license/license_internal.h"
#include "license/keyring_internal.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define AES_KEY_LEN 16
#define AES_IV_LEN 16
#define BOUNDARY_WIDTH 60      /* the gem centres BEGIN/END in 60 columns */
#define BOUNDARY_PRODUCT_MAX 64

/* ---- layer 1: boundary ---------------------------------------------------- */

/* End of the line starting at q: index of its '\n', or len when none. */
static size_t line_end(const char *s, size_t len, size_t q)
{
    const char *nl = memchr(s + q, '\n', len - q);
    return nl ? (size_t)(nl - s) : len;
}

/* Does s[q..e) read `-*WORD .+ LICENSE-*\r?` (WORD "BEGIN" or "END")?  The
 * gem's non-greedy `.+?` cannot cross a newline, so its match always runs to
 * the end of the line and a whole-line test is equivalent. */
static int boundary_line(const char *s, size_t q, size_t e, const char *word,
                         int allow_cr)
{
    static const char tail[] = " LICENSE";
    size_t wlen = strlen(word), tlen = sizeof tail - 1;
    while (q < e && s[q] == '-')
        q++;
    if (e - q < wlen + 1 || memcmp(s + q, word, wlen) != 0 || s[q + wlen] != ' ')
        return 0;
    q += wlen + 1;
    if (allow_cr && e > q && s[e - 1] == '\r')
        e--;
    while (e > q && s[e - 1] == '-')
        e--;
    /* at least one character between "WORD " and " LICENSE" */
    return e - q >= tlen + 1 && memcmp(s + e - tlen, tail, tlen) == 0;
}

/* The gem's remove_boundary: split on
 *   (\A|\r?\n)-*BEGIN .+? LICENSE-*\r?\n   and keep the LAST piece, then on
 *   \r?\n-*END .+? LICENSE-*(\r?\n|\z)     and keep the FIRST piece.
 * Matches are searched left to right without overlap, as String#split does
 * (so a BEGIN line right after another BEGIN line is data, not a boundary). */
static void strip_boundary(const char *s, size_t len, size_t *out_off, size_t *out_len)
{
    size_t p = 0, start = 0, end = len;
    const char *nl;
    /* a BEGIN line at the very start, then after any line break: only the
     * '\n' of a break matters ("\r\n" and "\n" lead to the same line), so
     * the search jumps from one '\n' to the next */
    if (len > 0) {
        size_t e = line_end(s, len, 0);
        if (e < len && boundary_line(s, 0, e, "BEGIN", 1))
            start = p = e + 1;
    }
    while (p < len && (nl = memchr(s + p, '\n', len - p)) != NULL) {
        size_t q = (size_t)(nl - s) + 1, e = line_end(s, len, q);
        if (e < len && boundary_line(s, q, e, "BEGIN", 1))
            start = p = e + 1;
        else
            p = q;
    }
    /* the first END line after `start` cuts the data, the "\r" of a "\r\n"
     * before it included */
    for (p = start; p < len && (nl = memchr(s + p, '\n', len - p)) != NULL;) {
        size_t k = (size_t)(nl - s), q = k + 1, e = line_end(s, len, q);
        if (boundary_line(s, q, e, "END", e < len)) {
            end = k > start && s[k - 1] == '\r' ? k - 1 : k;
            break;
        }
        p = q;
    }
    *out_off = start;
    *out_len = end - start;
}

static int all_blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return 0;
    return 1;
}

/* ---- layers 2-3: base64 and the envelope ----------------------------------- */

/* Parser messages may quote bytes of garbage input: keep them printable
 * ASCII so that terminals and JSON documents can carry them. */
static void printable_message(sl_error *err)
{
    if (!err)
        return;
    for (char *p = err->message; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
            *p = '?';
}

/* Lenient base64 of s into a fresh buffer (caller frees); NULL on ENOMEM. */
static unsigned char *b64_decode_alloc(const char *s, size_t len, size_t *out_len)
{
    unsigned char *buf = malloc(sl__base64_decoded_max(len));
    if (buf)
        *out_len = sl__base64_decode(s, len, buf);
    return buf;
}

typedef struct envelope {
    unsigned char *data, *key, *iv;
    size_t data_len, key_len, iv_len;
} envelope;

static void envelope_free(envelope *env)
{
    free(env->data);
    free(env->key);
    free(env->iv);
}

/* One of the envelope's string members, base64-decoded. */
static sl_rc envelope_member(const json_t *obj, const char *name, unsigned char **out,
                             size_t *out_len, sl_error *err)
{
    const json_t *v = json_object_get(obj, name);
    if (!v)
        return sl__err(err, SL_EINVAL, "envelope: missing \"%s\"", name);
    if (!json_is_string(v))
        return sl__err(err, SL_EINVAL, "envelope: \"%s\" is not a string", name);
    *out = b64_decode_alloc(json_string_value(v), json_string_length(v), out_len);
    if (!*out)
        return sl__err(err, SL_ENOMEM, "out of memory");
    return SL_OK;
}

static int is_json_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The envelope the way every encoder writes it: one JSON object of the
 * three string members "data", "key" and "iv" in any order, nothing else,
 * strings of plain JSON (core/json_plain.c).  Read straight into the
 * members' bytes, without a JSON tree of 1.7 KB of strings to build and
 * free.  1 when env is filled, 0 for anything else (the caller then takes
 * sl__json_load(), which gives the same answer or names the problem), -1
 * when out of memory. */
static int envelope_plain(const char *raw, size_t n, envelope *env)
{
    static const char *const names[] = {"data", "key", "iv"};
    char *scratch = malloc(n + 1);
    size_t i = 0;
    int seen = 0, ok = 0;
    if (!scratch)
        return -1;
    while (i < n && is_json_ws(raw[i]))
        i++;
    if (i == n || raw[i++] != '{')
        goto done;
    for (;;) {
        unsigned char **member;
        size_t *member_len;
        long slen;
        int which;
        while (i < n && is_json_ws(raw[i]))
            i++;
        if (i == n || raw[i++] != '"')
            goto done;
        slen = sl__json_plain_string(raw, n, &i, scratch);
        for (which = 0; which < 3; which++)
            if (slen == (long)strlen(names[which]) &&
                memcmp(scratch, names[which], (size_t)slen) == 0)
                break;
        if (which == 3 || (seen & 1 << which))
            goto done;  /* another member, or one twice: jansson decides */
        seen |= 1 << which;
        while (i < n && is_json_ws(raw[i]))
            i++;
        if (i == n || raw[i++] != ':')
            goto done;
        while (i < n && is_json_ws(raw[i]))
            i++;
        if (i == n || raw[i++] != '"')
            goto done;
        slen = sl__json_plain_string(raw, n, &i, scratch);
        if (slen < 0)
            goto done;
        member = which == 0 ? &env->data : which == 1 ? &env->key : &env->iv;
        member_len = which == 0 ? &env->data_len : which == 1 ? &env->key_len : &env->iv_len;
        *member = b64_decode_alloc(scratch, (size_t)slen, member_len);
        if (!*member) {
            ok = -1;
            goto done;
        }
        while (i < n && is_json_ws(raw[i]))
            i++;
        if (i < n && raw[i] == ',') {
            i++;
            continue;
        }
        if (i < n && raw[i] == '}') {
            i++;
            break;
        }
        goto done;
    }
    while (i < n && is_json_ws(raw[i]))
        i++;
    ok = i == n && seen == 7;
done:
    free(scratch);
    if (ok != 1) {
        envelope_free(env);
        memset(env, 0, sizeof *env);
    }
    return ok;
}

static sl_rc parse_envelope(const char *text, size_t len, envelope *env, sl_error *err)
{
    size_t off, blen, raw_len = 0;
    unsigned char *raw = NULL;
    json_t *obj = NULL;
    sl_rc rc;
    int plain;

    strip_boundary(text, len, &off, &blen);
    if (all_blank(text + off, blen))
        return sl__err(err, SL_EINVAL, "boundary: no data");
    raw = b64_decode_alloc(text + off, blen, &raw_len);
    if (!raw)
        return sl__err(err, SL_ENOMEM, "out of memory");
    if (raw_len == 0) {
        rc = sl__err(err, SL_EINVAL, "base64: envelope is empty");
        goto done;
    }
    plain = envelope_plain((const char *)raw, raw_len, env);
    if (plain < 0) {
        rc = sl__err(err, SL_ENOMEM, "out of memory");
        goto done;
    }
    if (plain) {
        rc = SL_OK;
        goto members;
    }
    rc = sl__json_load((const char *)raw, raw_len, SL_LICENSE_TEXT_MAX, "envelope", &obj, err);
    if (rc != SL_OK) {
        printable_message(err);
        goto done;
    }
    if (!json_is_object(obj)) {
        rc = sl__err(err, SL_EINVAL, "envelope: not a JSON object");
        goto done;
    }
    /* presence first, in the gem's order, so the message names the first
     * missing member rather than the first malformed one */
    if (!json_object_get(obj, "data") || !json_object_get(obj, "key") ||
        !json_object_get(obj, "iv")) {
        rc = sl__err(err, SL_EINVAL, "envelope: missing \"%s\"",
                     !json_object_get(obj, "data") ? "data"
                     : !json_object_get(obj, "key") ? "key" : "iv");
        goto done;
    }
    rc = envelope_member(obj, "data", &env->data, &env->data_len, err);
    if (rc == SL_OK)
        rc = envelope_member(obj, "key", &env->key, &env->key_len, err);
    if (rc == SL_OK)
        rc = envelope_member(obj, "iv", &env->iv, &env->iv_len, err);
    if (rc != SL_OK)
        goto done;
members:
    if (env->data_len == 0) {
        rc = sl__err(err, SL_EINVAL, "envelope: \"data\" is empty");
        goto done;
    }
    if (env->key_len == 0) {
        rc = sl__err(err, SL_EINVAL, "envelope: \"key\" is empty");
        goto done;
    }
    if (env->iv_len != AES_IV_LEN) {
        rc = sl__err(err, SL_EINVAL, "envelope: \"iv\" is not 16 bytes");
        goto done;
    }
done:
    json_decref(obj);
    free(raw);
    return rc;
}

/* ---- layers 4-6: RSA-wrapped AES key, AES-128-CBC -------------------------- */

/* How far one trusted key got; the furthest attempt names the failure. */
enum {
    REACHED_NONE = 0,
    REACHED_WRAPPED_LEN, /* the wrapped key is not as long as the modulus */
    REACHED_SIGNATURE,  /* verify-recover failed */
    REACHED_KEY_LEN,    /* recovered, but not an AES-128 key */
    REACHED_AES         /* AES rejected the padding */
};

/* Recover the AES key with the i-th trusted key.  1 on success, 0 when it
 * does not verify, -1 when the wrapped key is not exactly as long as the
 * modulus: the gem always writes it at full length, and OpenSSL would also
 * accept a copy with a leading zero byte dropped, a second encoding of one
 * key. */
static int recover_key(const sl_keyring *kr, size_t i, const envelope *env,
                       unsigned char *out, size_t *out_len)
{
    const EVP_PKEY_CTX *prepared = sl__keyring_recover_ctx(kr, i);
    EVP_PKEY_CTX *ctx;
    int ok;
    if (!prepared)
        return 0;  /* not an RSA key: it cannot have wrapped a v1 key */
    *out_len = (size_t)EVP_PKEY_get_size(sl__keyring_key(kr, i));
    if (env->key_len != *out_len)
        return -1;
    /* a copy of the prepared context: about a tenth of the cost of making
     * one, and the keyring stays usable from several threads at once */
    ctx = EVP_PKEY_CTX_dup((EVP_PKEY_CTX *)prepared);
    ok = ctx && EVP_PKEY_verify_recover(ctx, out, out_len, env->key, env->key_len) > 0;
    EVP_PKEY_CTX_free(ctx);
    ERR_clear_error();
    return ok;
}

static EVP_CIPHER *aes_cipher;  /* fetched once: an implicit fetch per call
                                   doubled the cost of the decryption */
static pthread_once_t aes_once = PTHREAD_ONCE_INIT;

static void aes_fetch(void)
{
    aes_cipher = EVP_CIPHER_fetch(NULL, "AES-128-CBC", NULL);
}

/* AES-128-CBC with PKCS#7.  SL_EINVAL when the padding is wrong. */
static sl_rc aes_decrypt(const unsigned char *key, const envelope *env,
                         unsigned char *out, size_t *out_len, sl_error *err)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n1 = 0, n2 = 0;
    sl_rc rc = SL_OK;
    if (!ctx)
        return sl__err(err, SL_ENOMEM, "out of memory");
    pthread_once(&aes_once, aes_fetch);
    if (env->data_len > INT32_MAX ||
        !EVP_DecryptInit_ex2(ctx, aes_cipher ? aes_cipher : EVP_aes_128_cbc(), key, env->iv,
                             NULL) ||
        !EVP_DecryptUpdate(ctx, out, &n1, env->data, (int)env->data_len)) {
        rc = sl__err(err, SL_EINTERNAL, "aes: cannot decrypt");
        goto done;
    }
    if (!EVP_DecryptFinal_ex(ctx, out + n1, &n2)) {
        rc = sl__err(err, SL_EINVAL, "aes: bad padding (tampered data or wrong key)");
        goto done;
    }
    *out_len = (size_t)n1 + (size_t)n2;
done:
    EVP_CIPHER_CTX_free(ctx);
    ERR_clear_error();
    return rc;
}

sl_rc sl_license_decode(const char *text, size_t len, const sl_keyring *kr,
                        sl_license **out, sl_error *err)
{
    envelope env = {0};
    sl_error aes_err = {0};
    unsigned char *recovered = NULL, *plain = NULL;
    size_t nkeys = sl_keyring_count(kr), plain_len = 0, recovered_len = 0, max_size = 0;
    int reached = REACHED_NONE, found = 0;
    size_t bad_key_len = 0, signer = 0;
    sl_rc rc;

    *out = NULL;
    if (len > SL_LICENSE_TEXT_MAX)
        return sl__err(err, SL_ETOOBIG, "input: key text of %zu bytes is over the limit of %d",
                       len, SL_LICENSE_TEXT_MAX);
    if (sl__license_v2_armored(text, len))
        return sl__license_v2_decode(text, len, kr, out, err);
    rc = parse_envelope(text, len, &env, err);
    if (rc != SL_OK)
        goto done;
    if (nkeys == 0) {
        rc = sl__err(err, SL_EINVAL, "signature: no trusted public key");
        goto done;
    }
    for (size_t i = 0; i < nkeys; i++) {
        int sz = EVP_PKEY_get_size(sl__keyring_key(kr, i));
        if (sz > 0 && (size_t)sz > max_size)
            max_size = (size_t)sz;
    }
    /* CBC never grows the plaintext beyond the ciphertext plus one block */
    plain = malloc(env.data_len + AES_IV_LEN);
    recovered = malloc(max_size + 1);
    if (!plain || !recovered) {
        rc = sl__err(err, SL_ENOMEM, "out of memory");
        goto done;
    }
    /* every trusted key in order: a key that recovers something but fails
     * a later layer is not the end, the next key may still be the right one */
    for (size_t i = 0; i < nkeys && !found; i++) {
        sl_rc arc;
        int rk = recover_key(kr, i, &env, recovered, &recovered_len);
        if (rk <= 0) {
            if (reached < (rk < 0 ? REACHED_WRAPPED_LEN : REACHED_SIGNATURE))
                reached = rk < 0 ? REACHED_WRAPPED_LEN : REACHED_SIGNATURE;
            continue;
        }
        if (recovered_len != AES_KEY_LEN) {
            if (reached < REACHED_KEY_LEN) {
                reached = REACHED_KEY_LEN;
                bad_key_len = recovered_len;
            }
            continue;
        }
        arc = aes_decrypt(recovered, &env, plain, &plain_len, &aes_err);
        if (arc == SL_OK) {
            found = 1;
            signer = i;
        } else if (arc == SL_EINVAL) {
            reached = REACHED_AES;
        } else {
            rc = sl__err(err, arc, "%s", aes_err.message);
            goto done;
        }
    }
    if (!found) {
        if (reached == REACHED_AES)
            rc = sl__err(err, SL_EINVAL, "aes: bad padding (tampered data or wrong key)");
        else if (reached == REACHED_KEY_LEN)
            rc = sl__err(err, SL_EINVAL,
                         "signature: recovered AES key is %zu bytes, expected 16", bad_key_len);
        else if (reached == REACHED_WRAPPED_LEN)
            rc = sl__err(err, SL_EINVAL,
                         "signature: the signed AES key is %zu bytes, not the size of a trusted "
                         "key's modulus", env.key_len);
        else
            rc = sl__err(err, SL_EINVAL,
                         "signature: key does not verify with any trusted public key");
        goto done;
    }
    if (sl__keyring_requires_v2(kr, signer)) {
        rc = sl__license_v2_only(kr, signer, err);
        goto done;
    }
    rc = sl_license_from_payload((const char *)plain, plain_len, out, err);
    if (rc == SL_OK) {
        sl__license_set_key_fingerprints(*out, env.key, env.key_len, recovered, recovered_len);
        sl__license_set_origin(*out, SL_KEY_FORMAT_GITLAB, "rsa", kr, signer);
    }
done:
    if (recovered)
        OPENSSL_cleanse(recovered, max_size + 1);
    if (plain)
        OPENSSL_cleanse(plain, env.data_len + AES_IV_LEN);
    free(recovered);
    free(plain);
    envelope_free(&env);
    return rc;
}

/* ---- encoding -------------------------------------------------------------- */

static sl_rc load_private_key(const char *pem, size_t len, EVP_PKEY **out, sl_error *err)
{
    sl_rc rc = sl__pem_private_key(pem, len, out, err);
    if (rc == SL_OK && EVP_PKEY_get_base_id(*out) != EVP_PKEY_RSA) {
        EVP_PKEY_free(*out);
        *out = NULL;
        return sl__err(err, SL_EINVAL, "private key: not an RSA key");
    }
    return rc;
}

/* The gem's Boundary.add_boundary line: `message` centred in 60 columns with
 * dashes, the odd dash going to the left. */
static sl_rc boundary_append(sl_buf *b, const char *word, const char *product)
{
    size_t mlen = strlen(word) + strlen(product) + strlen(" ") + strlen(" LICENSE");
    size_t total = mlen < BOUNDARY_WIDTH ? BOUNDARY_WIDTH - mlen : 0;
    size_t left = (total + 1) / 2, right = total / 2;
    sl_rc rc = SL_OK;
    for (size_t i = 0; i < left && rc == SL_OK; i++)
        rc = sl__buf_append(b, "-", 1);
    if (rc == SL_OK)
        rc = sl__buf_printf(b, "%s ", word);
    for (const char *p = product; *p && rc == SL_OK; p++) {
        char c = *p >= 'a' && *p <= 'z' ? (char)(*p - 'a' + 'A') : *p;
        rc = sl__buf_append(b, &c, 1);
    }
    if (rc == SL_OK)
        rc = sl__buf_append(b, " LICENSE", 8);
    for (size_t i = 0; i < right && rc == SL_OK; i++)
        rc = sl__buf_append(b, "-", 1);
    return rc;
}

/* Append `"name":"<Base64.encode64 text, newlines escaped>"` to the
 * envelope, the way Ruby's JSON.dump writes it. */
static sl_rc envelope_append(sl_buf *env, const char *name, const unsigned char *bin,
                             size_t len)
{
    sl_buf b64;
    sl_rc rc;
    sl__buf_init(&b64, 0);
    rc = sl__base64_encode(bin, len, &b64);
    if (rc == SL_OK)
        rc = sl__buf_printf(env, "\"%s\":\"", name);
    for (size_t i = 0; rc == SL_OK && i < b64.len; i++)
        rc = b64.data[i] == '\n' ? sl__buf_append(env, "\\n", 2)
                                 : sl__buf_append(env, b64.data + i, 1);
    if (rc == SL_OK)
        rc = sl__buf_append(env, "\"", 1);
    sl__buf_free(&b64);
    return rc;
}

static sl_rc check_product(const char *product, sl_error *err)
{
    size_t n = strlen(product);
    if (n == 0 || n > BOUNDARY_PRODUCT_MAX)
        return sl__err(err, SL_EUSAGE, "boundary: product name must be 1 to %d characters",
                       BOUNDARY_PRODUCT_MAX);
    /* printable ASCII keeps the line a single line and the column count
     * equal to the byte count the gem pads by */
    for (size_t i = 0; i < n; i++)
        if (product[i] < 0x20 || product[i] > 0x7e)
            return sl__err(err, SL_EUSAGE,
                           "boundary: product name '%s' must be printable ASCII", product);
    /* "BEGIN SEATLEDGER LICENSE" marks the v2 armor (format_v2.c) */
    if (strcasecmp(product, "seatledger") == 0)
        return sl__err(err, SL_EUSAGE, "boundary: product name '%s' is reserved for the v2 "
                       "format's armor", product);
    return SL_OK;
}

sl_rc sl_license_encode(const char *payload_json, size_t payload_len,
                        const char *private_pem, size_t private_pem_len,
                        const char *boundary, char **out_text, sl_error *err)
{
    EVP_PKEY *pk = NULL;
    EVP_PKEY_CTX *pctx = NULL;
    EVP_CIPHER_CTX *cctx = NULL;
    json_t *payload = NULL;
    unsigned char key[AES_KEY_LEN], iv[AES_IV_LEN];
    unsigned char *cipher = NULL, *wrapped = NULL;
    size_t wrapped_len = 0;
    int n1 = 0, n2 = 0;
    sl_buf env, outer, text;
    sl_rc rc;

    *out_text = NULL;
    sl__buf_init(&env, 0);
    sl__buf_init(&outer, 0);
    sl__buf_init(&text, 0);
    rc = sl__json_load(payload_json, payload_len, SL_PAYLOAD_MAX, "payload", &payload, err);
    if (rc != SL_OK)
        goto done;
    if (!json_is_object(payload)) {
        rc = sl__err(err, SL_EINVAL, "payload: not a JSON object");
        goto done;
    }
    if (boundary) {
        rc = check_product(boundary, err);
        if (rc != SL_OK)
            goto done;
    }
    rc = load_private_key(private_pem, private_pem_len, &pk, err);
    if (rc != SL_OK)
        goto done;
    if (RAND_bytes(key, sizeof key) != 1 || RAND_bytes(iv, sizeof iv) != 1) {
        rc = sl__err(err, SL_EINTERNAL, "aes: no random bytes for the key");
        goto done;
    }

    /* AES-128-CBC of the payload, byte for byte */
    cipher = malloc(payload_len + AES_IV_LEN);
    cctx = EVP_CIPHER_CTX_new();
    if (!cipher || !cctx) {
        rc = sl__err(err, SL_ENOMEM, "out of memory");
        goto done;
    }
    if (!EVP_EncryptInit_ex2(cctx, EVP_aes_128_cbc(), key, iv, NULL) ||
        !EVP_EncryptUpdate(cctx, cipher, &n1, (const unsigned char *)payload_json,
                           (int)payload_len) ||
        !EVP_EncryptFinal_ex(cctx, cipher + n1, &n2)) {
        rc = sl__err(err, SL_EINTERNAL, "aes: cannot encrypt the payload");
        goto done;
    }

    /* the AES key through the RSA private key: PKCS#1 v1.5 type 1 padding,
     * no digest, i.e. Ruby's OpenSSL::PKey::RSA#private_encrypt */
    pctx = EVP_PKEY_CTX_new(pk, NULL);
    if (!pctx || EVP_PKEY_sign_init(pctx) <= 0 ||
        EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0 ||
        EVP_PKEY_sign(pctx, NULL, &wrapped_len, key, sizeof key) <= 0) {
        rc = sl__err(err, SL_EINTERNAL, "signature: cannot sign with the private key");
        goto done;
    }
    wrapped = malloc(wrapped_len);
    if (!wrapped) {
        rc = sl__err(err, SL_ENOMEM, "out of memory");
        goto done;
    }
    if (EVP_PKEY_sign(pctx, wrapped, &wrapped_len, key, sizeof key) <= 0) {
        rc = sl__err(err, SL_EINTERNAL, "signature: cannot sign with the private key");
        goto done;
    }

    /* {"data":...,"key":...,"iv":...} exactly as JSON.dump writes it */
    rc = sl__buf_append(&env, "{", 1);
    if (rc == SL_OK)
        rc = envelope_append(&env, "data", cipher, (size_t)n1 + (size_t)n2);
    if (rc == SL_OK)
        rc = sl__buf_append(&env, ",", 1);
    if (rc == SL_OK)
        rc = envelope_append(&env, "key", wrapped, wrapped_len);
    if (rc == SL_OK)
        rc = sl__buf_append(&env, ",", 1);
    if (rc == SL_OK)
        rc = envelope_append(&env, "iv", iv, sizeof iv);
    if (rc == SL_OK)
        rc = sl__buf_append(&env, "}", 1);
    if (rc == SL_OK)
        rc = sl__base64_encode((const unsigned char *)env.data, env.len, &outer);
    if (rc == SL_OK && boundary) {
        /* BEGIN line, the blob without its final newline, END line, and no
         * newline at the end: Boundary.add_boundary joins with "\n" */
        rc = boundary_append(&text, "BEGIN", boundary);
        if (rc == SL_OK)
            rc = sl__buf_append(&text, "\n", 1);
        if (rc == SL_OK)
            rc = sl__buf_append(&text, outer.data, outer.len - 1);
        if (rc == SL_OK)
            rc = sl__buf_append(&text, "\n", 1);
        if (rc == SL_OK)
            rc = boundary_append(&text, "END", boundary);
    } else if (rc == SL_OK) {
        rc = sl__buf_append(&text, outer.data, outer.len);
    }
    if (rc != SL_OK) {
        rc = sl__err(err, rc, rc == SL_ENOMEM ? "out of memory" : "license key too large");
        goto done;
    }
    *out_text = sl__buf_take(&text);
    if (!*out_text)
        rc = sl__err(err, SL_ENOMEM, "out of memory");
done:
    OPENSSL_cleanse(key, sizeof key);
    EVP_PKEY_CTX_free(pctx);
    EVP_CIPHER_CTX_free(cctx);
    EVP_PKEY_free(pk);
    ERR_clear_error();
    json_decref(payload);
    free(cipher);
    free(wrapped);
    sl__buf_free(&env);
    sl__buf_free(&outer);
    sl__buf_free(&text);
    return rc;
}
