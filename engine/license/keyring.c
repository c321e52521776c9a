/*
 * keyring.c - trusted vendor public keys in memory (tried in order when a
 * GitLab-format key is decoded, looked up by fingerprint for a v2 key), with
 * their names and the v2-only mark; vendor key-pair generation (RSA,
 * Ed25519), private-key loading and key fingerprints.
 */
#include "core/internal.h"
#include "license/keyring_internal.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdlib.h>
#include <string.h>

#define KEYRING_MAX 64
/* the weakest vendor key the ledger trusts (NIST SP 800-131A: 112 bits) */
#define RSA_BITS_MIN 2048

struct sl_keyring {
    EVP_PKEY *keys[KEYRING_MAX];
    char *names[KEYRING_MAX];                  /* NULL when added without one */
    unsigned char kids[KEYRING_MAX][SL__KID_LEN]; /* SHA-256 of the SPKI DER */
    unsigned flags[KEYRING_MAX];               /* SL_KEY_REQUIRE_V2 */
    EVP_MD_CTX *verifiers[KEYRING_MAX];        /* v2 verification set up once, copied per use */
    /* each RSA key's context for verify-recover with PKCS#1 padding, made
     * once and copied per use: making one per decode cost about 2 us, an
     * eighth of the RSA check */
    EVP_PKEY_CTX *recover[KEYRING_MAX];
    size_t count;
};

sl_rc sl_keyring_new(sl_keyring **out, sl_error *err)
{
    *out = calloc(1, sizeof **out);
    if (!*out)
        return sl__err(err, SL_ENOMEM, "out of memory");
    return SL_OK;
}

void sl_keyring_free(sl_keyring *kr)
{
    if (!kr)
        return;
    for (size_t i = 0; i < kr->count; i++) {
        EVP_PKEY_CTX_free(kr->recover[i]);
        EVP_PKEY_free(kr->keys[i]);
        EVP_MD_CTX_free(kr->verifiers[i]);
        free(kr->names[i]);
    }
    free(kr);
}

size_t sl_keyring_count(const sl_keyring *kr) { return kr ? kr->count : 0; }

EVP_PKEY *sl__keyring_key(const sl_keyring *kr, size_t i)
{
    return i < kr->count ? kr->keys[i] : NULL;
}

const EVP_PKEY_CTX *sl__keyring_recover_ctx(const sl_keyring *kr, size_t i)
{
    return i < kr->count ? kr->recover[i] : NULL;
}

const char *sl__keyring_name(const sl_keyring *kr, size_t i)
{
    return i < kr->count ? kr->names[i] : NULL;
}

int sl__keyring_requires_v2(const sl_keyring *kr, size_t i)
{
    return i < kr->count && (kr->flags[i] & SL_KEY_REQUIRE_V2) != 0;
}

const unsigned char *sl__keyring_kid(const sl_keyring *kr, size_t i)
{
    return i < kr->count ? kr->kids[i] : NULL;
}

long sl__keyring_find_kid(const sl_keyring *kr, const unsigned char *kid)
{
    for (size_t i = 0; kr && i < kr->count; i++)
        if (memcmp(kr->kids[i], kid, SL__KID_LEN) == 0)
            return (long)i;
    return -1;
}

const EVP_MD_CTX *sl__keyring_v2_verifier(const sl_keyring *kr, size_t i)
{
    return i < kr->count ? kr->verifiers[i] : NULL;
}

EVP_MD_CTX *sl__pkey_v2_ctx(EVP_PKEY *pk, int sign)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    int ok;
    if (!ctx)
        return NULL;
    if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_ED25519) {
        ok = sign ? EVP_DigestSignInit(ctx, NULL, NULL, NULL, pk)
                  : EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pk);
    } else if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA) {
        ok = (sign ? EVP_DigestSignInit(ctx, &pctx, EVP_sha256(), NULL, pk)
                   : EVP_DigestVerifyInit(ctx, &pctx, EVP_sha256(), NULL, pk)) > 0 &&
             EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
             EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) > 0 &&
             EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, SL__V2_PSS_SALT_LEN) > 0;
    } else {
        ok = 0;
    }
    if (ok <= 0) {
        EVP_MD_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

const char *sl__keyring_display_name(const sl_keyring *kr, size_t i, char *buf, size_t size)
{
    if (i < kr->count && kr->names[i])
        snprintf(buf, size, "%s", kr->names[i]);
    else if (i < kr->count)
        snprintf(buf, size, "key-%02x%02x%02x%02x%02x%02x", kr->kids[i][0], kr->kids[i][1],
                 kr->kids[i][2], kr->kids[i][3], kr->kids[i][4], kr->kids[i][5]);
    else
        snprintf(buf, size, "?");
    return buf;
}

sl_rc sl__pkey_kid(EVP_PKEY *pk, unsigned char out[SL__KID_LEN])
{
    unsigned char *der = NULL;
    unsigned int mdlen = 0;
    int derlen = i2d_PUBKEY(pk, &der);
    int ok = derlen > 0 && EVP_Digest(der, (size_t)derlen, out, &mdlen, EVP_sha256(), NULL) &&
             mdlen == SL__KID_LEN;
    OPENSSL_free(der);
    return ok ? SL_OK : SL_EINTERNAL;
}

const char *sl__pkey_type(EVP_PKEY *pk)
{
    switch (EVP_PKEY_get_base_id(pk)) {
    case EVP_PKEY_RSA:
        return "rsa";
    case EVP_PKEY_ED25519:
        return "ed25519";
    default:
        return "other";
    }
}

sl_rc sl__pem_public_key(const char *pem, size_t len, EVP_PKEY **out, sl_error *err)
{
    BIO *bio;
    EVP_PKEY *pk;
    *out = NULL;
    if (len > SL_PEM_MAX)
        return sl__err(err, SL_ETOOBIG, "public key: PEM of %zu bytes is over the limit of %d",
                       len, SL_PEM_MAX);
    bio = BIO_new_mem_buf(pem, (int)len);
    if (!bio)
        return sl__err(err, SL_ENOMEM, "out of memory");
    pk = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (!pk)
        return sl__err(err, SL_EINVAL,
                       "public key: not a PEM public key (expected BEGIN PUBLIC KEY)");
    if (EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA && EVP_PKEY_get_base_id(pk) != EVP_PKEY_ED25519) {
        EVP_PKEY_free(pk);
        return sl__err(err, SL_EINVAL, "public key: not an RSA or Ed25519 key");
    }
    *out = pk;
    return SL_OK;
}

sl_rc sl__rsa_key_strong(EVP_PKEY *pk, sl_error *err)
{
    BIGNUM *e = NULL;
    int bits = EVP_PKEY_get_bits(pk);
    sl_rc rc = SL_OK;
    if (bits < RSA_BITS_MIN)
        return sl__err(err, SL_EINVAL,
                       "public key: RSA key of %d bits is too weak: at least %d bits", bits,
                       RSA_BITS_MIN);
    if (!EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_E, &e))
        return sl__err(err, SL_EINTERNAL, "public key: cannot read the RSA public exponent");
    /* e = 3 makes the raw PKCS#1 v1.5 "signature" of a 16-byte AES key
     * fragile (Bleichenbacher's e = 3 forgeries); FIPS 186-5 asks 65537 at least */
    if (BN_cmp(e, BN_value_one()) <= 0 || !BN_is_odd(e) || BN_num_bits(e) < 17) {
        char *dec = BN_bn2dec(e);
        rc = sl__err(err, SL_EINVAL,
                     "public key: RSA public exponent %s is too small: at least 65537",
                     dec ? dec : "?");
        OPENSSL_free(dec);
    }
    BN_free(e);
    return rc;
}

sl_rc sl_keyring_add_pem(sl_keyring *kr, const char *pem, size_t len,
                         const char *name, sl_error *err)
{
    return sl_keyring_add_pem_flags(kr, pem, len, name, 0, err);
}

sl_rc sl_keyring_add_pem_flags(sl_keyring *kr, const char *pem, size_t len,
                               const char *name, unsigned flags, sl_error *err)
{
    EVP_PKEY *pk;
    EVP_PKEY_CTX *ctx = NULL;
    char *copy = NULL;
    sl_rc rc;
    if (kr->count == KEYRING_MAX)
        return sl__err(err, SL_ETOOBIG, "keyring: more than %d trusted keys", KEYRING_MAX);
    rc = sl__pem_public_key(pem, len, &pk, err);
    if (rc != SL_OK) {
        if (name)
            sl__err_prefix(err, name);
        return rc;
    }
    /* an RSA key's verify-recover context for v1 keys, made once */
    if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA) {
        ctx = EVP_PKEY_CTX_new(pk, NULL);
        if (!ctx || EVP_PKEY_verify_recover_init(ctx) <= 0 ||
            EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) <= 0) {
            EVP_PKEY_CTX_free(ctx);
            EVP_PKEY_free(pk);
            ERR_clear_error();
            return sl__err(err, SL_EINTERNAL, "keyring: cannot prepare %s for verify-recover",
                           name ? name : "a key");
        }
    }
    if (name && !(copy = sl__strdup(name))) {
        EVP_PKEY_CTX_free(ctx);
        EVP_PKEY_free(pk);
        return sl__err(err, SL_ENOMEM, "out of memory");
    }
    if (sl__pkey_kid(pk, kr->kids[kr->count]) != SL_OK) {
        EVP_PKEY_CTX_free(ctx);
        EVP_PKEY_free(pk);
        free(copy);
        return sl__err(err, SL_EINTERNAL, "cannot fingerprint the public key");
    }
    kr->names[kr->count] = copy;
    kr->flags[kr->count] = flags;
    /* NULL when OpenSSL cannot: the decoder then sets one up itself */
    kr->verifiers[kr->count] = sl__pkey_v2_ctx(pk, 0);
    ERR_clear_error();
    kr->recover[kr->count] = ctx;
    kr->keys[kr->count++] = pk;
    return SL_OK;
}

static char *bio_take(BIO *bio)
{
    char *data;
    long n = BIO_get_mem_data(bio, &data);
    return n >= 0 ? sl__strndup(data, (size_t)n) : NULL;
}

/* The pair of `pk` as PKCS#8 and SPKI PEM. */
static sl_rc write_pair(EVP_PKEY *pk, char **private_pem, char **public_pem, sl_error *err)
{
    BIO *priv = BIO_new(BIO_s_mem()), *pub = BIO_new(BIO_s_mem());
    sl_rc rc = SL_OK;
    if (!priv || !pub || !PEM_write_bio_PrivateKey(priv, pk, NULL, NULL, 0, NULL, NULL) ||
        !PEM_write_bio_PUBKEY(pub, pk)) {
        rc = sl__err(err, SL_EINTERNAL, "cannot write the key pair as PEM");
        goto done;
    }
    *private_pem = bio_take(priv);
    *public_pem = bio_take(pub);
    if (!*private_pem || !*public_pem) {
        free(*private_pem);
        free(*public_pem);
        *private_pem = *public_pem = NULL;
        rc = sl__err(err, SL_ENOMEM, "out of memory");
    }
done:
    BIO_free(priv);
    BIO_free(pub);
    return rc;
}

sl_rc sl_keys_generate(int bits, char **private_pem, char **public_pem, sl_error *err)
{
    EVP_PKEY *pk;
    sl_rc rc;
    *private_pem = *public_pem = NULL;
    if (bits != 2048 && bits != 3072 && bits != 4096)
        return sl__err(err, SL_EUSAGE, "key size must be 2048, 3072 or 4096 bits, not %d", bits);
    pk = EVP_RSA_gen((unsigned)bits);
    if (!pk)
        return sl__err(err, SL_EINTERNAL, "cannot generate an RSA key");
    rc = write_pair(pk, private_pem, public_pem, err);
    EVP_PKEY_free(pk);
    return rc;
}

sl_rc sl_keys_generate_ed25519(char **private_pem, char **public_pem, sl_error *err)
{
    EVP_PKEY *pk;
    sl_rc rc;
    *private_pem = *public_pem = NULL;
    pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    if (!pk)
        return sl__err(err, SL_EINTERNAL, "cannot generate an Ed25519 key");
    rc = write_pair(pk, private_pem, public_pem, err);
    EVP_PKEY_free(pk);
    return rc;
}

/* Never prompt on a terminal for a passphrase: an encrypted key fails. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1;
}

sl_rc sl__pem_private_key(const char *pem, size_t len, EVP_PKEY **out, sl_error *err)
{
    BIO *bio;
    *out = NULL;
    if (len > SL_PEM_MAX)
        return sl__err(err, SL_ETOOBIG, "private key: PEM of %zu bytes is over the limit of %d",
                       len, SL_PEM_MAX);
    bio = BIO_new_mem_buf(pem, (int)len);
    if (!bio)
        return sl__err(err, SL_ENOMEM, "out of memory");
    *out = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
    BIO_free(bio);
    ERR_clear_error();
    if (!*out)
        return sl__err(err, SL_EINVAL,
                       "private key: not a PEM private key (expected BEGIN PRIVATE KEY "
                       "or BEGIN RSA PRIVATE KEY, unencrypted)");
    return SL_OK;
}

sl_rc sl_key_describe(const char *pem, size_t len, char *type, size_t size, sl_error *err)
{
    EVP_PKEY *pk;
    sl_rc rc = sl__pem_public_key(pem, len, &pk, err);
    if (rc != SL_OK)
        return rc;
    if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA)
        snprintf(type, size, "rsa-%d", EVP_PKEY_get_bits(pk));
    else
        snprintf(type, size, "%s", sl__pkey_type(pk));
    EVP_PKEY_free(pk);
    return SL_OK;
}

sl_rc sl_key_fingerprint(const char *pem, size_t len, char **out_hex, sl_error *err)
{
    EVP_PKEY *pk;
    unsigned char md[SL__KID_LEN];
    char *hex;
    sl_rc rc = sl__pem_public_key(pem, len, &pk, err);
    *out_hex = NULL;
    if (rc != SL_OK)
        return rc;
    rc = sl__pkey_kid(pk, md);
    EVP_PKEY_free(pk);
    if (rc != SL_OK)
        return sl__err(err, SL_EINTERNAL, "cannot fingerprint the public key");
    hex = malloc(SL__KID_LEN * 2 + 1);
    if (!hex)
        return sl__err(err, SL_ENOMEM, "out of memory");
    for (unsigned i = 0; i < SL__KID_LEN; i++)
        snprintf(hex + i * 2, 3, "%02x", md[i]);
    *out_hex = hex;
    return SL_OK;
}
