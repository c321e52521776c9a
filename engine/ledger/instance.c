/*
 * instance.c - the instance identity as the Code Suggestions API uses it:
 * the UUID, GitLab's anonymous global user ids, the public keys, the JWT
 * key made on first need, and the direct-access JWTs signed with it
 * (libjwt, RS256).  The identity itself is created by instance_keys.c.
 */
#include "ledger/ledger_internal.h"
#include "license/keyring_internal.h"

#include <jwt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

#define JWT_KEY_BITS 2048
#define JWT_AUDIENCE "gitlab-ai-gateway"
#define JWT_REALM "self-managed"
#define JWT_SCOPES "{\"scopes\":[\"code_suggestions\"]}"

/* The first 16 hex digits of the SHA-256 of a public key's SPKI DER. */
static sl_rc key_id(const char *public_pem, char out[17], sl_error *err)
{
    static const char hex[] = "0123456789abcdef";
    BIO *b = BIO_new_mem_buf(public_pem, -1);
    EVP_PKEY *pk = b ? PEM_read_bio_PUBKEY(b, NULL, NULL, NULL) : NULL;
    unsigned char *der = NULL, md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    int derlen = pk ? i2d_PUBKEY(pk, &der) : -1;
    sl_rc rc = SL_OK;
    if (derlen <= 0 || !EVP_Digest(der, (size_t)derlen, md, &mdlen, EVP_sha256(), NULL)) {
        rc = sl__err(err, SL_ESTORAGE, "the instance's JWT public key is damaged");
    } else {
        for (int i = 0; i < 8; i++) {
            out[2 * i] = hex[md[i] >> 4];
            out[2 * i + 1] = hex[md[i] & 0xf];
        }
        out[16] = '\0';
    }
    OPENSSL_free(der);
    EVP_PKEY_free(pk);
    BIO_free(b);
    return rc;
}

/* Read the identity into st->instance (once; again while the JWT key is
 * missing, since another process may have made it). */
static sl_rc load(sl_store *st, sl_error *err)
{
    sqlite3_stmt *s;
    const char *uuid, *salt, *jwt_priv, *jwt_pub;
    int step;
    sl_rc rc;
    if (st->instance.loaded && st->instance.jwt_private_pem)
        return SL_OK;
    rc = sl__stmt(st, "SELECT uuid, user_id_salt, jwt_private_pem, jwt_public_pem "
                      "FROM instance WHERE id = 1", &s, err);
    if (rc != SL_OK)
        return rc;
    step = sqlite3_step(s);
    if (step != SQLITE_ROW) {
        rc = step == SQLITE_DONE
                 ? sl__err(err, SL_ESTORAGE, "ledger '%s' has no instance identity", st->path)
                 : sl__db_err(st, err, "cannot read the instance identity");
        goto done;
    }
    uuid = (const char *)sqlite3_column_text(s, 0);
    salt = (const char *)sqlite3_column_text(s, 1);
    jwt_priv = (const char *)sqlite3_column_text(s, 2);
    jwt_pub = (const char *)sqlite3_column_text(s, 3);
    if (!uuid || strlen(uuid) != SL_INSTANCE_UUID_LEN || !salt ||
        strlen(salt) >= sizeof st->instance.salt) {
        rc = sl__err(err, SL_ESTORAGE, "ledger '%s' has a damaged instance identity", st->path);
        goto done;
    }
    memcpy(st->instance.uuid, uuid, SL_INSTANCE_UUID_LEN + 1);
    memcpy(st->instance.salt, salt, strlen(salt) + 1);
    if (jwt_priv && jwt_pub && !st->instance.jwt_private_pem) {
        rc = key_id(jwt_pub, st->instance.kid, err);
        if (rc != SL_OK)
            goto done;
        st->instance.jwt_private_pem = sl__strdup(jwt_priv);
        if (!st->instance.jwt_private_pem) {
            rc = sl__err(err, SL_ENOMEM, "out of memory");
            goto done;
        }
    }
    st->instance.loaded = 1;
done:
    sqlite3_reset(s);
    return rc;
}

sl_rc sl_store_instance_id(sl_store *st, char out[SL_INSTANCE_UUID_LEN + 1], sl_error *err)
{
    sl_rc rc = st->instance.loaded ? SL_OK : load(st, err);
    if (rc == SL_OK)
        memcpy(out, st->instance.uuid, SL_INSTANCE_UUID_LEN + 1);
    return rc;
}

sl_rc sl_store_instance_prepare(sl_store *st, sl_error *err)
{
    sqlite3_stmt *s;
    char *priv = NULL, *pub = NULL;
    sl_rc rc = load(st, err);
    if (rc != SL_OK || st->instance.jwt_private_pem)
        return rc;
    /* generated outside the write lock: it takes a while, and a concurrent
     * maker's key wins by the WHERE below (ours is then thrown away) */
    rc = sl_keys_generate(JWT_KEY_BITS, &priv, &pub, err);
    if (rc != SL_OK)
        return rc;
    rc = sl__begin(st, err);
    if (rc != SL_OK)
        goto done;
    rc = sl__event_begin(st, 0, err);
    if (rc != SL_OK)
        goto fail;
    rc = sl__stmt(st, "UPDATE instance SET jwt_private_pem = ?1, jwt_public_pem = ?2 "
                      "WHERE id = 1 AND jwt_private_pem IS NULL", &s, err);
    if (rc != SL_OK)
        goto fail;
    sqlite3_bind_text(s, 1, priv, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, pub, -1, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_DONE) {
        rc = sl__db_err(st, err, "cannot store the instance's JWT key");
        sqlite3_reset(s);
        goto fail;
    }
    sqlite3_reset(s);
    if (sqlite3_changes(st->db) > 0) {
        rc = sl__audit(st, "instance.jwt_key", 0, "ok", "RSA-2048 key pair for RS256 JWTs", err);
        if (rc != SL_OK)
            goto fail;
    }
    rc = sl__commit(st, err);
    if (rc == SL_OK)
        rc = load(st, err);
    goto done;
fail:
    sl__rollback(st);
done:
    if (priv) {
        OPENSSL_cleanse(priv, strlen(priv));
        free(priv);
    }
    free(pub);
    return rc;
}

sl_rc sl_store_instance_public_key(sl_store *st, sl_instance_key which, char **out_pem,
                                   sl_error *err)
{
    sqlite3_stmt *s;
    const char *pem;
    sl_rc rc = SL_OK;
    *out_pem = NULL;
    if (which != SL_INSTANCE_KEY_JWT && which != SL_INSTANCE_KEY_REPORTS)
        return sl__err(err, SL_EUSAGE, "unknown instance key %d", (int)which);
    if (which == SL_INSTANCE_KEY_JWT) {
        rc = sl_store_instance_prepare(st, err);
        if (rc != SL_OK)
            return rc;
        rc = sl__stmt(st, "SELECT jwt_public_pem FROM instance WHERE id = 1", &s, err);
    } else {
        rc = sl__stmt(st, "SELECT ed25519_public_pem FROM instance WHERE id = 1", &s, err);
    }
    if (rc != SL_OK)
        return rc;
    if (sqlite3_step(s) != SQLITE_ROW) {
        rc = sl__db_err(st, err, "cannot read the instance identity");
    } else {
        pem = (const char *)sqlite3_column_text(s, 0);
        *out_pem = pem ? sl__strdup(pem) : NULL;
        if (!*out_pem)
            rc = sl__err(err, pem ? SL_ENOMEM : SL_ESTORAGE, "%s",
                         pem ? "out of memory" : "the instance key is missing");
    }
    sqlite3_reset(s);
    return rc;
}

sl_rc sl_store_global_user_id(sl_store *st, const char *user_id,
                              char out[SL_GLOBAL_USER_ID_LEN + 1], sl_error *err)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_MD_CTX *ctx;
    int ok;
    sl_rc rc = st->instance.loaded ? SL_OK : load(st, err);
    if (rc != SL_OK)
        return rc;
    ctx = EVP_MD_CTX_new();
    ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) &&
         EVP_DigestUpdate(ctx, st->instance.uuid, SL_INSTANCE_UUID_LEN) &&
         EVP_DigestUpdate(ctx, user_id, strlen(user_id)) &&
         EVP_DigestUpdate(ctx, st->instance.salt, strlen(st->instance.salt)) &&
         EVP_DigestFinal_ex(ctx, md, &mdlen) && mdlen == 32;
    EVP_MD_CTX_free(ctx);
    if (!ok)
        return sl__err(err, SL_EINTERNAL, "cannot hash a user id: sha-256 failed");
    EVP_EncodeBlock((unsigned char *)out, md, (int)mdlen);
    return SL_OK;
}

sl_rc sl_store_access_token(sl_store *st, const char *user_id, char **out_jwt,
                            int64_t *out_exp, sl_error *err)
{
    char sub[SL_GLOBAL_USER_ID_LEN + 1];
    jwt_t *jwt = NULL;
    char *text = NULL;
    long iat = (long)(sl_clock_now_ms() / 1000);
    sl_rc rc;
    *out_jwt = NULL;
    *out_exp = 0;
    rc = sl_store_instance_prepare(st, err);
    if (rc == SL_OK)
        rc = sl_store_global_user_id(st, user_id, sub, err);
    if (rc != SL_OK)
        return rc;
    if (jwt_new(&jwt) != 0 ||
        jwt_add_grant(jwt, "iss", st->instance.uuid) != 0 ||
        jwt_add_grant(jwt, "sub", sub) != 0 ||
        jwt_add_grant(jwt, "aud", JWT_AUDIENCE) != 0 ||
        jwt_add_grant_int(jwt, "iat", iat) != 0 ||
        jwt_add_grant_int(jwt, "exp", iat + SL_ACCESS_TOKEN_TTL_S) != 0 ||
        jwt_add_grant(jwt, "gitlab_realm", JWT_REALM) != 0 ||
        jwt_add_grants_json(jwt, JWT_SCOPES) != 0 ||
        jwt_add_header(jwt, "kid", st->instance.kid) != 0 ||
        jwt_set_alg(jwt, JWT_ALG_RS256, (const unsigned char *)st->instance.jwt_private_pem,
                    (int)strlen(st->instance.jwt_private_pem)) != 0) {
        rc = sl__err(err, SL_EINTERNAL, "cannot build an access token");
        goto done;
    }
    text = jwt_encode_str(jwt);
    if (!text) {
        rc = sl__err(err, SL_EINTERNAL, "cannot sign an access token");
        goto done;
    }
    /* libjwt allocates with malloc: the caller's sl_free() is free() */
    *out_jwt = text;
    *out_exp = iat + SL_ACCESS_TOKEN_TTL_S;
done:
    jwt_free(jwt);   /* scrubs its copy of the key */
    return rc;
}

/* ---- signing usage reports ---------------------------------------------- */

sl_rc sl__instance_sign_report(sl_store *st, const char *msg, size_t len,
                               unsigned char sig[SL__REPORT_SIG_LEN],
                               char key_sha256[SL_CHAIN_HASH_HEX], sl_error *err)
{
    sqlite3_stmt *s;
    EVP_PKEY *pk = NULL;
    EVP_MD_CTX *ctx = NULL;
    unsigned char kid[SL__KID_LEN];
    size_t siglen = SL__REPORT_SIG_LEN;
    const char *pem;
    sl_rc rc = sl__stmt(st, "SELECT ed25519_private_pem FROM instance WHERE id = 1", &s, err);
    if (rc != SL_OK)
        return rc;
    if (sqlite3_step(s) != SQLITE_ROW || !(pem = (const char *)sqlite3_column_text(s, 0))) {
        rc = sl__err(err, SL_ESTORAGE, "ledger '%s' has no instance identity", st->path);
        goto done;
    }
    rc = sl__pem_private_key(pem, (size_t)sqlite3_column_bytes(s, 0), &pk, err);
    if (rc != SL_OK || EVP_PKEY_get_base_id(pk) != EVP_PKEY_ED25519) {
        rc = sl__err(err, SL_ESTORAGE, "ledger '%s' has a damaged instance key", st->path);
        goto done;
    }
    ctx = EVP_MD_CTX_new();
    if (!ctx || EVP_DigestSignInit(ctx, NULL, NULL, NULL, pk) != 1 ||
        EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)msg, len) != 1 ||
        siglen != SL__REPORT_SIG_LEN || sl__pkey_kid(pk, kid) != SL_OK) {
        rc = sl__err(err, SL_EINTERNAL, "cannot sign the report with the instance key");
        goto done;
    }
    sl__hex(kid, sizeof kid, key_sha256);
done:
    /* the column's copy of the private key is gone with the reset */
    sqlite3_reset(s);
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(pk);
    return rc;
}
