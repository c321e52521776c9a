/*
 * instance_keys.c - creates the instance identity (schema/010): a random
 * version-4 UUID, the salt of the anonymous user ids and the Ed25519 key
 * pair, once, inside the transaction that applies the migrations (store.c
 * calls it), so a new ledger and an upgraded one both have it from their
 * first open.  Works on the raw connection: the store's helpers are above
 * it.  Reading the identity and the lazily made JWT key are instance.c's.
 */
#include "ledger/store_internal.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#define UUID_BYTES 16
#define SALT_BYTES 32

static void hex(const unsigned char *p, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 0xf];
    }
    out[2 * n] = '\0';
}

/* RFC 9562 version 4: 122 random bits, the version and variant fixed. */
static sl_rc new_uuid(char out[SL_INSTANCE_UUID_LEN + 1], sl_error *err)
{
    unsigned char b[UUID_BYTES];
    char h[2 * UUID_BYTES + 1];
    if (RAND_bytes(b, sizeof b) != 1)
        return sl__err(err, SL_EINTERNAL, "cannot create the instance id: no random bytes");
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    hex(b, sizeof b, h);
    snprintf(out, SL_INSTANCE_UUID_LEN + 1, "%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8, h + 12,
             h + 16, h + 20);
    return SL_OK;
}

sl_rc sl__instance_create(sqlite3 *db, sl_error *err)
{
    sqlite3_stmt *s = NULL;
    unsigned char salt_raw[SALT_BYTES];
    char uuid[SL_INSTANCE_UUID_LEN + 1], salt[2 * SALT_BYTES + 1];
    char *priv = NULL, *pub = NULL;
    int step;
    sl_rc rc = SL_OK;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM instance WHERE id = 1", -1, &s, NULL) != SQLITE_OK)
        return sl__err(err, SL_ESTORAGE, "cannot read the instance identity: %s",
                       sqlite3_errmsg(db));
    step = sqlite3_step(s);
    sqlite3_finalize(s);
    s = NULL;
    if (step == SQLITE_ROW)
        return SL_OK;
    if (step != SQLITE_DONE)
        return sl__err(err, SL_ESTORAGE, "cannot read the instance identity: %s",
                       sqlite3_errmsg(db));
    rc = new_uuid(uuid, err);
    if (rc != SL_OK)
        return rc;
    if (RAND_bytes(salt_raw, sizeof salt_raw) != 1)
        return sl__err(err, SL_EINTERNAL, "cannot create the instance identity: no random bytes");
    hex(salt_raw, sizeof salt_raw, salt);
    OPENSSL_cleanse(salt_raw, sizeof salt_raw);
    rc = sl_keys_generate_ed25519(&priv, &pub, err);
    if (rc != SL_OK)
        goto done;
    if (sqlite3_prepare_v2(db,
            "INSERT INTO instance(id, uuid, user_id_salt, ed25519_private_pem, "
            "ed25519_public_pem, created_at) VALUES (1, ?1, ?2, ?3, ?4, ?5)",
            -1, &s, NULL) != SQLITE_OK) {
        rc = sl__err(err, SL_ESTORAGE, "cannot store the instance identity: %s",
                     sqlite3_errmsg(db));
        goto done;
    }
    sqlite3_bind_text(s, 1, uuid, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, salt, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, priv, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, pub, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 5, sl_clock_now_ms());
    if (sqlite3_step(s) != SQLITE_DONE)
        rc = sl__err(err, SL_ESTORAGE, "cannot store the instance identity: %s",
                     sqlite3_errmsg(db));
done:
    sqlite3_finalize(s);
    OPENSSL_cleanse(salt, sizeof salt);
    if (priv) {
        OPENSSL_cleanse(priv, strlen(priv));
        free(priv);
    }
    free(pub);
    return rc;
}
