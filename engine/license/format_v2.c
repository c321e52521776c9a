/*
 * format_v2.c - seatledger's own license key format, "v2"
 * (docs/license-format.md, "Format v2"): the payload JSON of the GitLab
 * format in a small binary container that names its signer's key and is
 * signed as a whole (Ed25519, or RSA-PSS-SHA256 for vendors who stay on RSA),
 * base64 inside "-----BEGIN SEATLEDGER LICENSE-----" armor.  Unlike the
 * GitLab decoder, this one is strict: every byte of the text is accounted
 * for, and a failure names its layer (armor, container, signature) and what
 * exactly was wrong.
 */
#include "license/base64.h"
#include "license/license_internal.h"
#include "license/keyring_internal.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#define V2_BEGIN "-----BEGIN SEATLEDGER LICENSE-----"
#define V2_END "-----END SEATLEDGER LICENSE-----"
/* What marks a text as meant to be a v2 key, whatever its dashes. */
#define V2_MARK "BEGIN SEATLEDGER LICENSE"

/* ---- limits of the decoder (docs/license-format.md names each) ------------ */

/* A key's whole text.  The largest key the encoder makes (a payload of
 * SL_PAYLOAD_MAX signed with RSA-4096) is 355,809 bytes armored (361,284 with CRLF
 * line ends); the rest is room for blank lines around the armor. */
#define V2_ARMOR_MAX (384 * 1024)
/* Base64 characters on one line of the armor (the encoder writes 64). */
#define V2_LINE_MAX 76
#define V2_LINE_WIDTH 64
/* The payload JSON, as in the GitLab format. */
#define V2_PAYLOAD_MAX SL_PAYLOAD_MAX
/* A signature: RSA-4096 makes 512 bytes, Ed25519 64. */
#define V2_SIGNATURE_MAX 512

/* ---- the container ---------------------------------------------------------- */

#define V2_MAGIC "SLK2"
#define V2_MAGIC_LEN 4
/* magic, algorithm, key id, payload length */
#define V2_HEADER_LEN (V2_MAGIC_LEN + 1 + SL__KID_LEN + 4)
#define V2_ALG_ED25519 1
#define V2_ALG_RSA_PSS_SHA256 2
#define V2_ED25519_SIG_LEN 64

static const char *alg_name(int alg)
{
    return alg == V2_ALG_ED25519 ? "ed25519" : "rsa-pss-sha256";
}

/* ---- armor ------------------------------------------------------------------ */

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static const char *find_in(const char *s, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    const char *p = s, *end = s + n;
    /* memchr to each candidate first byte: every v1 key is searched for
     * the v2 mark before it is decoded */
    while (m > 0 && (size_t)(end - p) >= m) {
        p = memchr(p, needle[0], (size_t)(end - p) - m + 1);
        if (!p)
            return NULL;
        if (memcmp(p, needle, m) == 0)
            return p;
        p++;
    }
    return m == 0 ? s : NULL;
}

int sl__license_v2_armored(const char *text, size_t len)
{
    return find_in(text, len, V2_MARK) != NULL;
}

/* A byte of hostile text as a message can show it. */
static const char *describe_byte(unsigned char c, char *buf, size_t size)
{
    if (c >= 0x21 && c <= 0x7e && c != '\'')
        snprintf(buf, size, "'%c'", c);
    else
        snprintf(buf, size, "byte 0x%02x", c);
    return buf;
}

/* The line starting at p: [p, *le) without its line end, the next line
 * at *next (len when none). */
static void next_line(const char *s, size_t len, size_t p, size_t *le, size_t *next)
{
    const char *nl = memchr(s + p, '\n', len - p);
    size_t e = nl ? (size_t)(nl - s) : len;
    *next = nl ? e + 1 : len;
    if (e > p && s[e - 1] == '\r')
        e--;
    *le = e;
}

static int line_is(const char *s, size_t p, size_t le, const char *want)
{
    return le - p == strlen(want) && memcmp(s + p, want, le - p) == 0;
}

/* Strict base64, decoded as the armor lines go by: the length a multiple
 * of 4, '=' only as the final padding, unused bits zero. */
typedef struct b64_state {
    unsigned char *out;   /* holds at least (base64 characters) / 4 * 3 */
    size_t n;             /* bytes written */
    size_t chars;         /* characters seen, '=' included */
    uint32_t acc;         /* the group so far */
    int k;                /* data characters in acc */
    int pad;              /* '=' seen */
} b64_state;

/* One base64 line; 0 on success, else the refusal. */
static sl_rc b64_line(b64_state *b, const char *s, size_t n, unsigned line, sl_error *err)
{
    char what[16];
    for (size_t i = 0; i < n; i++) {
        int v = sl__base64_value((unsigned char)s[i]);
        if (v < 0) {
            if (s[i] != '=')
                return sl__err(err, SL_EINVAL, "armor: line %u, column %zu: %s is not base64",
                               line, i + 1, describe_byte((unsigned char)s[i], what, sizeof what));
            if (++b->pad > 2)
                return sl__err(err, SL_EINVAL, "armor: '=' before the end of the base64 text");
            b->chars++;
            continue;
        }
        if (b->pad)
            return sl__err(err, SL_EINVAL, "armor: '=' before the end of the base64 text");
        b->acc = b->acc << 6 | (uint32_t)v;
        b->chars++;
        if (++b->k == 4) {
            b->out[b->n++] = (unsigned char)(b->acc >> 16);
            b->out[b->n++] = (unsigned char)(b->acc >> 8);
            b->out[b->n++] = (unsigned char)b->acc;
            b->acc = 0;
            b->k = 0;
        }
    }
    return SL_OK;
}

/* The end of the base64 text: the last group and its padding. */
static sl_rc b64_end(b64_state *b, sl_error *err)
{
    if (b->chars == 0)
        return sl__err(err, SL_EINVAL, "armor: no base64 text between the BEGIN and END lines");
    if (b->chars % 4 != 0)
        return sl__err(err, SL_EINVAL,
                       "armor: %zu base64 characters, not a multiple of 4 (truncated?)", b->chars);
    if (b->k + b->pad != 0 && b->k + b->pad != 4)
        return sl__err(err, SL_EINVAL, "armor: '=' before the end of the base64 text");
    if ((b->k == 2 && (b->acc & 0xf)) || (b->k == 3 && (b->acc & 0x3)))
        return sl__err(err, SL_EINVAL, "armor: the last base64 character has bits set "
                                       "beyond the data (not canonical base64)");
    if (b->k == 2) {
        b->out[b->n++] = (unsigned char)(b->acc >> 4);
    } else if (b->k == 3) {
        b->out[b->n++] = (unsigned char)(b->acc >> 10);
        b->out[b->n++] = (unsigned char)(b->acc >> 2);
    }
    return SL_OK;
}

/* The armor, every line checked, its base64 decoded into b. */
static sl_rc armor_decode(const char *text, size_t len, b64_state *b, sl_error *err)
{
    size_t p = 0, le, next;
    unsigned line = 1;
    sl_rc rc;

    while (p < len && is_blank(text[p])) {
        if (text[p] == '\n')
            line++;
        p++;
    }
    if (p == len)
        return sl__err(err, SL_EINVAL, "armor: no text");
    next_line(text, len, p, &le, &next);
    if (!line_is(text, p, le, V2_BEGIN)) {
        if (find_in(text + p, le - p, V2_MARK))
            return sl__err(err, SL_EINVAL, "armor: line %u must be exactly '%s'", line,
                           V2_BEGIN);
        return sl__err(err, SL_EINVAL, "armor: text before the '%s' line (line %u)", V2_BEGIN,
                       line);
    }
    for (;;) {
        p = next;
        line++;
        if (p >= len)
            return sl__err(err, SL_EINVAL, "armor: no '%s' line", V2_END);
        next_line(text, len, p, &le, &next);
        if (le == p)
            return sl__err(err, SL_EINVAL, "armor: line %u is empty", line);
        if (text[p] == '-')
            break;
        if (le - p > V2_LINE_MAX)
            return sl__err(err, SL_ETOOBIG,
                           "armor: line %u has %zu characters, over the limit of %d", line,
                           le - p, V2_LINE_MAX);
        rc = b64_line(b, text + p, le - p, line, err);
        if (rc != SL_OK)
            return rc;
    }
    if (!line_is(text, p, le, V2_END))
        return sl__err(err, SL_EINVAL, "armor: line %u must be exactly '%s'", line, V2_END);
    /* from the END line's own line end on, so that line counts stay right */
    for (p = le; p < len; p++) {
        if (text[p] == '\n')
            line++;
        if (!is_blank(text[p]))
            return sl__err(err, SL_EINVAL, "armor: text after the '%s' line (line %u)", V2_END,
                           line);
    }
    return b64_end(b, err);
}

/* ---- container -------------------------------------------------------------- */

typedef struct container {
    int alg;
    const unsigned char *kid;
    const unsigned char *payload;
    size_t payload_len;
    const unsigned char *sig;
    size_t sig_len;
    size_t signed_len;   /* bytes from the start covered by the signature */
} container;

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static sl_rc parse_container(const unsigned char *c, size_t n, container *out, sl_error *err)
{
    size_t off = V2_HEADER_LEN, left;
    uint32_t plen;
    unsigned slen;
    if (n < V2_HEADER_LEN)
        return sl__err(err, SL_EINVAL, "container: %zu bytes, shorter than its %d-byte header",
                       n, V2_HEADER_LEN);
    if (memcmp(c, V2_MAGIC, V2_MAGIC_LEN) != 0)
        return sl__err(err, SL_EINVAL,
                       "container: starts with %02x %02x %02x %02x, not \"" V2_MAGIC "\"", c[0],
                       c[1], c[2], c[3]);
    out->alg = c[V2_MAGIC_LEN];
    if (out->alg != V2_ALG_ED25519 && out->alg != V2_ALG_RSA_PSS_SHA256)
        return sl__err(err, SL_EINVAL,
                       "container: unknown signature algorithm %d (1 ed25519, 2 rsa-pss-sha256)",
                       out->alg);
    out->kid = c + V2_MAGIC_LEN + 1;
    plen = be32(c + V2_MAGIC_LEN + 1 + SL__KID_LEN);
    left = n - off;
    if (plen == 0)
        return sl__err(err, SL_EINVAL, "container: payload is empty");
    if (plen > V2_PAYLOAD_MAX)
        return sl__err(err, SL_ETOOBIG, "container: payload of %lu bytes is over the limit of %d",
                       (unsigned long)plen, V2_PAYLOAD_MAX);
    if (plen > left)
        return sl__err(err, SL_EINVAL,
                       "container: payload of %lu bytes runs past the end (%zu bytes left)",
                       (unsigned long)plen, left);
    out->payload = c + off;
    out->payload_len = plen;
    off += plen;
    out->signed_len = off;
    left = n - off;
    if (left < 2)
        return sl__err(err, SL_EINVAL, "container: ends before the signature length");
    slen = (unsigned)c[off] << 8 | c[off + 1];
    off += 2;
    left -= 2;
    if (slen == 0)
        return sl__err(err, SL_EINVAL, "container: signature is empty");
    if (slen > V2_SIGNATURE_MAX)
        return sl__err(err, SL_ETOOBIG, "container: signature of %u bytes is over the limit of %d",
                       slen, V2_SIGNATURE_MAX);
    if (slen > left)
        return sl__err(err, SL_EINVAL,
                       "container: signature of %u bytes runs past the end (%zu bytes left)",
                       slen, left);
    if (slen < left)
        return sl__err(err, SL_EINVAL, "container: %zu byte%s after the signature", left - slen,
                       left - slen == 1 ? "" : "s");
    out->sig = c + off;
    out->sig_len = slen;
    return SL_OK;
}

/* ---- signature -------------------------------------------------------------- */

static sl_rc check_signature(const sl_keyring *kr, const unsigned char *cont,
                             const container *c, size_t *out_key, sl_error *err)
{
    char name[SL__SIGNER_NAME_MAX], hex[2 * SL__KID_LEN + 1];
    long i = sl__keyring_find_kid(kr, c->kid);
    EVP_PKEY *pk;
    EVP_MD_CTX *ctx;
    int key_alg, ok;

    if (sl_keyring_count(kr) == 0)
        return sl__err(err, SL_EINVAL, "signature: no trusted public key");
    if (i < 0) {
        for (int k = 0; k < SL__KID_LEN; k++)
            snprintf(hex + 2 * k, 3, "%02x", c->kid[k]);
        return sl__err(err, SL_EINVAL,
                       "signature: signed by the public key with fingerprint %s, which is not "
                       "trusted", hex);
    }
    pk = sl__keyring_key(kr, (size_t)i);
    sl__keyring_display_name(kr, (size_t)i, name, sizeof name);
    key_alg = EVP_PKEY_get_base_id(pk) == EVP_PKEY_ED25519 ? V2_ALG_ED25519
                                                           : V2_ALG_RSA_PSS_SHA256;
    if (key_alg != c->alg)
        return sl__err(err, SL_EINVAL, "signature: the key says %s, but trusted key '%s' is %s",
                       alg_name(c->alg), name,
                       key_alg == V2_ALG_ED25519 ? "an Ed25519 key" : "an RSA key");
    if (c->alg == V2_ALG_ED25519 && c->sig_len != V2_ED25519_SIG_LEN)
        return sl__err(err, SL_EINVAL, "signature: %zu bytes, an Ed25519 signature has %d",
                       c->sig_len, V2_ED25519_SIG_LEN);
    if (c->alg == V2_ALG_RSA_PSS_SHA256 && c->sig_len != (size_t)EVP_PKEY_get_size(pk))
        return sl__err(err, SL_EINVAL,
                       "signature: %zu bytes, trusted key '%s' makes signatures of %d bytes",
                       c->sig_len, name, EVP_PKEY_get_size(pk));
    /* a copy of the context set up when the key was trusted costs less than
     * setting one up (OpenSSL fetches the algorithm anew each time) */
    ctx = EVP_MD_CTX_new();
    if (ctx && (!sl__keyring_v2_verifier(kr, (size_t)i) ||
                !EVP_MD_CTX_copy_ex(ctx, sl__keyring_v2_verifier(kr, (size_t)i)))) {
        EVP_MD_CTX_free(ctx);
        ctx = sl__pkey_v2_ctx(pk, 0);
    }
    if (!ctx) {
        ERR_clear_error();
        return sl__err(err, SL_EINTERNAL, "signature: cannot set up %s verification",
                       alg_name(c->alg));
    }
    ok = EVP_DigestVerify(ctx, c->sig, c->sig_len, cont, c->signed_len) == 1;
    EVP_MD_CTX_free(ctx);
    ERR_clear_error();
    if (!ok)
        return sl__err(err, SL_EINVAL,
                       "signature: does not verify with trusted key '%s' (payload or signature "
                       "changed)", name);
    *out_key = (size_t)i;
    return SL_OK;
}

sl_rc sl__license_v2_only(const sl_keyring *kr, size_t i, sl_error *err)
{
    char name[SL__SIGNER_NAME_MAX];
    return sl__err(err, SL_EINVAL,
                   "signature: trusted key '%s' accepts only v2 license keys (trusted with "
                   "--require-v2); this key is in the GitLab format",
                   sl__keyring_display_name(kr, i, name, sizeof name));
}

/* ---- decoding --------------------------------------------------------------- */

sl_rc sl__license_v2_decode(const char *text, size_t len, const sl_keyring *kr,
                            sl_license **out, sl_error *err)
{
    b64_state b = {0};
    size_t key = 0;
    container c = {0};
    sl_rc rc;

    *out = NULL;
    if (len > V2_ARMOR_MAX)
        return sl__err(err, SL_ETOOBIG, "armor: key text of %zu bytes is over the limit of %d",
                       len, V2_ARMOR_MAX);
    /* every base64 character comes from the text */
    b.out = malloc(len / 4 * 3 + 3);
    if (!b.out)
        return sl__err(err, SL_ENOMEM, "out of memory");
    rc = armor_decode(text, len, &b, err);
    if (rc == SL_OK)
        rc = parse_container(b.out, b.n, &c, err);
    if (rc == SL_OK)
        rc = check_signature(kr, b.out, &c, &key, err);
    if (rc == SL_OK)
        rc = sl_license_from_payload((const char *)c.payload, c.payload_len, out, err);
    if (rc == SL_OK)
        sl__license_set_origin(*out, SL_KEY_FORMAT_V2, alg_name(c.alg), kr, key);
    free(b.out);
    return rc;
}

/* ---- encoding --------------------------------------------------------------- */

static sl_rc put_be(sl_buf *b, uint32_t v, int bytes)
{
    unsigned char tmp[4];
    for (int i = 0; i < bytes; i++)
        tmp[i] = (unsigned char)(v >> (8 * (bytes - 1 - i)));
    return sl__buf_append(b, tmp, (size_t)bytes);
}

/* The armor around the container: BEGIN, base64 in lines of 64, END, each
 * line ending in "\n". */
static sl_rc armor(const sl_buf *cont, sl_buf *text)
{
    size_t n = 4 * ((cont->len + 2) / 3);
    unsigned char *b64 = malloc(n + 1);
    sl_rc rc;
    if (!b64)
        return SL_ENOMEM;
    EVP_EncodeBlock(b64, (const unsigned char *)cont->data, (int)cont->len);
    rc = sl__buf_append(text, V2_BEGIN "\n", strlen(V2_BEGIN) + 1);
    for (size_t i = 0; rc == SL_OK && i < n; i += V2_LINE_WIDTH) {
        rc = sl__buf_append(text, b64 + i, n - i < V2_LINE_WIDTH ? n - i : V2_LINE_WIDTH);
        if (rc == SL_OK)
            rc = sl__buf_append(text, "\n", 1);
    }
    if (rc == SL_OK)
        rc = sl__buf_append(text, V2_END "\n", strlen(V2_END) + 1);
    free(b64);
    return rc;
}

sl_rc sl_license_encode_v2(const char *payload_json, size_t payload_len,
                           const char *private_pem, size_t private_pem_len,
                           char **out_text, sl_error *err)
{
    EVP_PKEY *pk = NULL;
    EVP_MD_CTX *ctx = NULL;
    json_t *payload = NULL;
    unsigned char kid[SL__KID_LEN], *sig = NULL;
    size_t sig_len = 0;
    int alg;
    sl_buf cont, text;
    sl_rc rc;

    *out_text = NULL;
    sl__buf_init(&cont, 0);
    sl__buf_init(&text, V2_ARMOR_MAX);
    rc = sl__json_load(payload_json, payload_len, V2_PAYLOAD_MAX, "payload", &payload, err);
    if (rc != SL_OK)
        goto done;
    if (!json_is_object(payload)) {
        rc = sl__err(err, SL_EINVAL, "payload: not a JSON object");
        goto done;
    }
    rc = sl__pem_private_key(private_pem, private_pem_len, &pk, err);
    if (rc != SL_OK)
        goto done;
    if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_ED25519) {
        alg = V2_ALG_ED25519;
    } else if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA) {
        alg = V2_ALG_RSA_PSS_SHA256;
        if (EVP_PKEY_get_size(pk) > V2_SIGNATURE_MAX) {
            rc = sl__err(err, SL_EINVAL,
                         "private key: RSA-%d makes signatures over the limit of %d bytes",
                         EVP_PKEY_get_bits(pk), V2_SIGNATURE_MAX);
            goto done;
        }
    } else {
        rc = sl__err(err, SL_EINVAL, "private key: not an RSA or Ed25519 key");
        goto done;
    }
    if (sl__pkey_kid(pk, kid) != SL_OK) {
        rc = sl__err(err, SL_EINTERNAL, "private key: cannot fingerprint its public key");
        goto done;
    }
    rc = sl__buf_append(&cont, V2_MAGIC, V2_MAGIC_LEN);
    if (rc == SL_OK)
        rc = put_be(&cont, (uint32_t)alg, 1);
    if (rc == SL_OK)
        rc = sl__buf_append(&cont, kid, sizeof kid);
    if (rc == SL_OK)
        rc = put_be(&cont, (uint32_t)payload_len, 4);
    if (rc == SL_OK)
        rc = sl__buf_append(&cont, payload_json, payload_len);
    if (rc != SL_OK) {
        rc = sl__err(err, SL_ENOMEM, "out of memory");
        goto done;
    }
    ctx = sl__pkey_v2_ctx(pk, 1);
    if (!ctx ||
        EVP_DigestSign(ctx, NULL, &sig_len, (const unsigned char *)cont.data, cont.len) != 1 ||
        !(sig = malloc(sig_len)) ||
        EVP_DigestSign(ctx, sig, &sig_len, (const unsigned char *)cont.data, cont.len) != 1) {
        rc = sl__err(err, SL_EINTERNAL, "signature: cannot sign with the private key");
        goto done;
    }
    rc = put_be(&cont, (uint32_t)sig_len, 2);
    if (rc == SL_OK)
        rc = sl__buf_append(&cont, sig, sig_len);
    if (rc == SL_OK)
        rc = armor(&cont, &text);
    if (rc != SL_OK) {
        rc = sl__err(err, rc, rc == SL_ENOMEM ? "out of memory" : "license key too large");
        goto done;
    }
    *out_text = sl__buf_take(&text);
    if (!*out_text)
        rc = sl__err(err, SL_ENOMEM, "out of memory");
done:
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(pk);
    ERR_clear_error();
    json_decref(payload);
    free(sig);
    sl__buf_free(&cont);
    sl__buf_free(&text);
    return rc;
}
