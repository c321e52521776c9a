/*
 * keyring.c - trusted vendor public keys in memory (tried in order when a
 * key is decoded), vendor key-pair generation and key fingerprints.
 */
#include "core/internal.h"
#include "license/keyring_internal.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdlib.h>
#include <string.h>

#define KEYRING_MAX 64

struct sl_keyring {
    EVP_PKEY *keys[KEYRING_MAX];
    /* each key's context for verify-recover with PKCS#1 padding, made once:
     * making one per decode cost about 2 us, an eighth of the RSA check */
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
    }
    free(kr);
}

size_t sl_keyring_count(const sl_keyring *kr) { return kr ? kr->count : 0; }

EVP_PKEY *sl__keyring_key(const sl_keyring *kr, size_t i)
{
    return i < kr->count ? kr->keys[i] : NULL;
}

EVP_PKEY_CTX *sl__keyring_recover_ctx(const sl_keyring *kr, size_t i)
{
    return i < kr->count ? kr->recover[i] : NULL;
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
    if (EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA) {
        EVP_PKEY_free(pk);
        return sl__err(err, SL_EINVAL, "public key: not an RSA key");
    }
    *out = pk;
    return SL_OK;
}

sl_rc sl_keyring_add_pem(sl_keyring *kr, const char *pem, size_t len,
                         const char *name, sl_error *err)
{
    EVP_PKEY *pk;
    EVP_PKEY_CTX *ctx;
    sl_rc rc;
    if (kr->count == KEYRING_MAX)
        return sl__err(err, SL_ETOOBIG, "keyring: more than %d trusted keys", KEYRING_MAX);
    rc = sl__pem_public_key(pem, len, &pk, err);
    if (rc != SL_OK) {
        if (name)
            sl__err_prefix(err, name);
        return rc;
    }
    ctx = EVP_PKEY_CTX_new(pk, NULL);
    if (!ctx || EVP_PKEY_verify_recover_init(ctx) <= 0 ||
        EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) <= 0) {
        EVP_PKEY_CTX_free(ctx);
        EVP_PKEY_free(pk);
        ERR_clear_error();
        return sl__err(err, SL_EINTERNAL, "keyring: cannot prepare %s for verify-recover",
                       name ? name : "a key");
    }
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

sl_rc sl_keys_generate(int bits, char **private_pem, char **public_pem, sl_error *err)
{
    EVP_PKEY *pk = NULL;
    BIO *priv = NULL, *pub = NULL;
    sl_rc rc = SL_OK;
    *private_pem = *public_pem = NULL;
    if (bits != 2048 && bits != 3072 && bits != 4096)
        return sl__err(err, SL_EUSAGE, "key size must be 2048, 3072 or 4096 bits, not %d", bits);
    pk = EVP_RSA_gen((unsigned)bits);
    if (!pk)
        return sl__err(err, SL_EINTERNAL, "cannot generate an RSA key");
    priv = BIO_new(BIO_s_mem());
    pub = BIO_new(BIO_s_mem());
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
    EVP_PKEY_free(pk);
    return rc;
}

sl_rc sl_key_fingerprint(const char *pem, size_t len, char **out_hex, sl_error *err)
{
    EVP_PKEY *pk;
    unsigned char *der = NULL, md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    int derlen;
    char *hex;
    sl_rc rc = sl__pem_public_key(pem, len, &pk, err);
    *out_hex = NULL;
    if (rc != SL_OK)
        return rc;
    derlen = i2d_PUBKEY(pk, &der);
    EVP_PKEY_free(pk);
    if (derlen <= 0 || !EVP_Digest(der, (size_t)derlen, md, &mdlen, EVP_sha256(), NULL)) {
        OPENSSL_free(der);
        return sl__err(err, SL_EINTERNAL, "cannot fingerprint the public key");
    }
    OPENSSL_free(der);
    hex = malloc(mdlen * 2 + 1);
    if (!hex)
        return sl__err(err, SL_ENOMEM, "out of memory");
    for (unsigned i = 0; i < mdlen; i++)
        snprintf(hex + i * 2, 3, "%02x", md[i]);
    *out_hex = hex;
    return SL_OK;
}
