/*
 * ledger/trusted_keys.c - the vendor public keys the ledger trusts: adding
 * (with the key's fingerprint, a name and the v2-only mark), removing,
 * listing, and the cached keyring every decode uses.
 */
#include "ledger/ledger_internal.h"
#include "license/keyring_internal.h"

#include <stdlib.h>
#include <string.h>

#define KEY_NAME_MAX 64

static int valid_key_name(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > KEY_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

/* Mark the trusted key `kname` v2-only (inside the caller's transaction). */
static sl_rc mark_require_v2(sl_store *st, const char *kname, sl_error *err)
{
    sqlite3_stmt *s;
    sl_rc rc = sl__stmt(st, "UPDATE trusted_keys SET require_v2 = 1 WHERE name = ?1 "
                            "AND require_v2 = 0", &s, err);
    if (rc != SL_OK)
        return rc;
    sl__bind_text(s, 1, kname);
    if (sqlite3_step(s) != SQLITE_DONE)
        rc = sl__db_err(st, err, "cannot mark the key");
    else if (sqlite3_changes(st->db) > 0)
        rc = sl__audit(st, "key.require_v2", 0, "ok", kname, err);
    sqlite3_reset(s);
    return rc;
}

sl_rc sl_store_key_trust(sl_store *st, const char *pem, size_t len,
                         const char *name, sl_error *err)
{
    return sl_store_key_trust_flags(st, pem, len, name, 0, NULL, err);
}

sl_rc sl_store_key_trust_flags(sl_store *st, const char *pem, size_t len,
                               const char *name, unsigned flags, int *out_marked,
                               sl_error *err)
{
    char *fp = NULL, defname[32];
    sqlite3_stmt *s;
    EVP_PKEY *pk = NULL;
    int require_v2 = (flags & SL_KEY_REQUIRE_V2) != 0;
    sl_rc rc = sl__pem_public_key(pem, len, &pk, err);
    if (out_marked)
        *out_marked = 0;
    /* no vendor key weaker than the format can stand behind */
    if (rc == SL_OK && EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA)
        rc = sl__rsa_key_strong(pk, err);
    EVP_PKEY_free(pk);
    if (rc == SL_OK)
        rc = sl_key_fingerprint(pem, len, &fp, err);
    if (rc != SL_OK)
        return rc;
    if (!name) {
        snprintf(defname, sizeof defname, "key-%.12s", fp);
        name = defname;
    } else if (!valid_key_name(name)) {
        rc = sl__err(err, SL_EINVAL,
                     "invalid key name '%s': use 1-%d letters, digits, '.', '_' or '-'",
                     name, KEY_NAME_MAX);
        goto done;
    }
    rc = sl__begin(st, err);
    if (rc != SL_OK)
        goto done;
    rc = sl__event_begin(st, 0, err);
    if (rc != SL_OK)
        goto fail;
    rc = sl__stmt(st, "SELECT name, fingerprint = ?2 FROM trusted_keys "
                      "WHERE name = ?1 OR fingerprint = ?2 ORDER BY fingerprint = ?2 DESC", &s, err);
    if (rc != SL_OK)
        goto fail;
    sl__bind_text(s, 1, name);
    sl__bind_text(s, 2, fp);
    if (sqlite3_step(s) == SQLITE_ROW) {
        if (sqlite3_column_int(s, 1) && require_v2) {
            /* the same key, already trusted: mark it */
            char *kname = sl__strdup((const char *)sqlite3_column_text(s, 0));
            sqlite3_reset(s);
            rc = kname ? mark_require_v2(st, kname, err) : sl__err(err, SL_ENOMEM, "out of memory");
            free(kname);
            if (rc != SL_OK)
                goto fail;
            rc = sl__commit(st, err);
            st->keyring_version = -1;
            if (rc == SL_OK && out_marked)
                *out_marked = 1;
            goto done;
        }
        if (sqlite3_column_int(s, 1))
            rc = sl__err(err, SL_EEXIST, "this public key is already trusted as '%s'",
                         (const char *)sqlite3_column_text(s, 0));
        else
            rc = sl__err(err, SL_EEXIST, "a trusted key named '%s' already exists", name);
        sqlite3_reset(s);
        goto fail;
    }
    sqlite3_reset(s);
    {
        const sl__value v[] = {SL__TEXT(name), SL__TEXT(fp), SL__TEXTN(pem, len), SL__AT,
                               SL__INT(require_v2)};
        rc = sl__event_append(st, "INSERT INTO trusted_keys(name, fingerprint, pem, "
                                  "created_at, require_v2) VALUES (?,?,?,?,?)",
                              v, 5, "cannot store the key", NULL, err);
    }
    if (rc != SL_OK)
        goto fail;
    rc = sl__audit(st, "key.trust", 0, "ok", name, err);
    if (rc == SL_OK && require_v2)
        rc = sl__audit(st, "key.require_v2", 0, "ok", name, err);
    if (rc != SL_OK)
        goto fail;
    rc = sl__commit(st, err);
    st->keyring_version = -1;
    goto done;
fail:
    sl__rollback(st);
done:
    free(fp);
    return rc;
}

sl_rc sl_store_key_untrust(sl_store *st, const char *name, sl_error *err)
{
    char notfound[KEY_NAME_MAX * 4 + 32];
    sqlite3_stmt *s;
    sl_rc rc = sl__stmt(st, "DELETE FROM trusted_keys WHERE name = ?", &s, err);
    if (rc != SL_OK)
        return rc;
    sl__bind_text(s, 1, name);
    snprintf(notfound, sizeof notfound, "no trusted key named '%.*s'", KEY_NAME_MAX * 4, name);
    rc = sl__change_one(st, s, "key.untrust", 0, name, notfound, err);
    if (rc == SL_OK)
        st->keyring_version = -1;
    return rc;
}

void sl_trusted_keys_free(sl_trusted_key *keys, size_t count)
{
    if (!keys)
        return;
    for (size_t i = 0; i < count; i++) {
        free(keys[i].name);
        free(keys[i].fingerprint);
    }
    free(keys);
}

sl_rc sl_store_key_list(sl_store *st, sl_trusted_key **out, size_t *count, sl_error *err)
{
    sqlite3_stmt *s;
    sl_trusted_key *keys = NULL;
    size_t n = 0, cap = 0;
    int step;
    sl_rc rc = sl__stmt(st, "SELECT id, name, fingerprint, created_at, require_v2, pem "
                            "FROM trusted_keys ORDER BY id", &s, err);
    *out = NULL;
    *count = 0;
    if (rc != SL_OK)
        return rc;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        if (n == cap) {
            sl_trusted_key *p = realloc(keys, (cap ? cap * 2 : 8) * sizeof *keys);
            if (!p) {
                rc = sl__err(err, SL_ENOMEM, "out of memory");
                goto fail;
            }
            keys = p;
            cap = cap ? cap * 2 : 8;
        }
        keys[n].id = sqlite3_column_int64(s, 0);
        keys[n].name = sl__strdup((const char *)sqlite3_column_text(s, 1));
        keys[n].fingerprint = sl__strdup((const char *)sqlite3_column_text(s, 2));
        keys[n].created_at_ms = sqlite3_column_int64(s, 3);
        keys[n].require_v2 = sqlite3_column_int(s, 4);
        /* a stored key always parsed when it was trusted */
        if (sl_key_describe((const char *)sqlite3_column_text(s, 5),
                            (size_t)sqlite3_column_bytes(s, 5), keys[n].type,
                            sizeof keys[n].type, NULL) != SL_OK)
            snprintf(keys[n].type, sizeof keys[n].type, "?");
        n++;
        if (!keys[n - 1].name || !keys[n - 1].fingerprint) {
            rc = sl__err(err, SL_ENOMEM, "out of memory");
            goto fail;
        }
    }
    if (step != SQLITE_DONE) {
        rc = sl__db_err(st, err, "cannot list trusted keys");
        goto fail;
    }
    sqlite3_reset(s);
    *out = keys;
    *count = n;
    return SL_OK;
fail:
    sqlite3_reset(s);
    sl_trusted_keys_free(keys, n);
    return rc;
}

sl_rc sl_store_keyring(sl_store *st, const sl_keyring **out, sl_error *err)
{
    sqlite3_stmt *s;
    sl_keyring *kr = NULL;
    int step;
    int64_t version = sl__data_version(st);
    sl_rc rc;
    *out = NULL;
    /* data_version moves when another connection commits; our own changes
     * reset keyring_version to -1 */
    if (st->keyring && st->keyring_version == version && version >= 0) {
        *out = st->keyring;
        return SL_OK;
    }
    rc = sl_keyring_new(&kr, err);
    if (rc != SL_OK)
        return rc;
    rc = sl__stmt(st, "SELECT name, pem, require_v2 FROM trusted_keys ORDER BY id", &s, err);
    if (rc != SL_OK)
        goto fail;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        rc = sl_keyring_add_pem_flags(kr, (const char *)sqlite3_column_text(s, 1),
                                      (size_t)sqlite3_column_bytes(s, 1),
                                      (const char *)sqlite3_column_text(s, 0),
                                      sqlite3_column_int(s, 2) ? SL_KEY_REQUIRE_V2 : 0, err);
        if (rc != SL_OK) {
            sqlite3_reset(s);
            goto fail;
        }
    }
    sqlite3_reset(s);
    if (step != SQLITE_DONE) {
        rc = sl__db_err(st, err, "cannot read trusted keys");
        goto fail;
    }
    sl_keyring_free(st->keyring);
    st->keyring = kr;
    st->keyring_version = version;
    *out = kr;
    return SL_OK;
fail:
    sl_keyring_free(kr);
    return rc;
}

