/*
 * tokens.c - API tokens of the HTTP server: creation (the secret is shown
 * once, only its SHA-256 is stored), revocation, listing and the
 * constant-time check every API request goes through, with expiry judged on
 * the ledger's clock-safe today.
 */
#include "ledger/ledger_internal.h"
#include "ledger/store_internal.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOKEN_RANDOM_BYTES 32               /* 256 bits of entropy */
#define TOKEN_PREFIX "slt_"                 /* makes leaked secrets greppable */
#define TOKEN_HASH_HEX (2 * 32)             /* SHA-256 as lowercase hex */

/* 1-64 characters of [A-Za-z0-9._-]: safe to print, quote and type. */
static int name_ok(const char *name)
{
    size_t n = 0;
    if (!name)
        return 0;
    for (const char *p = name; *p; p++, n++) {
        char c = *p;
        int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                 (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
        if (!ok || n >= SL_TOKEN_NAME_MAX)
            return 0;
    }
    return n > 0;
}

static sl_rc check_name(const char *name, sl_error *err)
{
    if (name_ok(name))
        return SL_OK;
    if (!name)
        return sl__err(err, SL_EINVAL, "invalid token name: none given");
    return sl__err(err, SL_EINVAL,
                   "invalid token name '%.*s': use 1-%d characters of A-Z a-z 0-9 . _ -",
                   SL_TOKEN_NAME_MAX + 1, name, SL_TOKEN_NAME_MAX);
}

/* SHA-256 of the secret as lowercase hex into out[TOKEN_HASH_HEX + 1]. */
static sl_rc hash_secret(const char *secret, size_t len, char *out, sl_error *err)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[32];
    if (!sl__sha256(secret, len, md) || sizeof md * 2 != TOKEN_HASH_HEX)
        return sl__err(err, SL_EINTERNAL, "cannot hash a token: sha-256 failed");
    for (size_t i = 0; i < sizeof md; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 0xf];
    }
    out[TOKEN_HASH_HEX] = '\0';
    OPENSSL_cleanse(md, sizeof md);
    return SL_OK;
}

/* "slt_" + the random bytes in unpadded base64url (43 characters). */
static sl_rc new_secret(char **out, sl_error *err)
{
    unsigned char raw[TOKEN_RANDOM_BYTES];
    unsigned char b64[4 * ((TOKEN_RANDOM_BYTES + 2) / 3) + 1];
    size_t plen = strlen(TOKEN_PREFIX);
    int n;
    char *s;
    *out = NULL;
    if (RAND_bytes(raw, sizeof raw) != 1)
        return sl__err(err, SL_EINTERNAL, "cannot create a token: no random bytes");
    n = EVP_EncodeBlock(b64, raw, (int)sizeof raw);
    OPENSSL_cleanse(raw, sizeof raw);
    while (n > 0 && b64[n - 1] == '=')
        n--;
    s = malloc(plen + (size_t)n + 1);
    if (!s) {
        OPENSSL_cleanse(b64, sizeof b64);
        return sl__err(err, SL_ENOMEM, "out of memory");
    }
    memcpy(s, TOKEN_PREFIX, plen);
    for (int i = 0; i < n; i++) {
        char c = (char)b64[i];
        s[plen + (size_t)i] = c == '+' ? '-' : c == '/' ? '_' : c;
    }
    s[plen + (size_t)n] = '\0';
    OPENSSL_cleanse(b64, sizeof b64);
    *out = s;
    return SL_OK;
}

/* An admin token, an unbound non-admin token, or (user_id set) a token
 * bound to a directory user. */
static sl_rc create_token(sl_store *st, const char *name, int admin, const char *user_id,
                          int32_t expires_on, char **out_secret, sl_error *err)
{
    sqlite3_stmt *s;
    char *secret = NULL;
    char hash[TOKEN_HASH_HEX + 1];
    char date[16], detail[SL_TOKEN_NAME_MAX + 160];
    sl_rc rc;
    *out_secret = NULL;
    rc = check_name(name, err);
    if (rc != SL_OK)
        return rc;
    rc = new_secret(&secret, err);
    if (rc != SL_OK)
        return rc;
    rc = hash_secret(secret, strlen(secret), hash, err);
    if (rc != SL_OK)
        goto done;
    rc = sl__begin(st, err);
    if (rc != SL_OK)
        goto done;
    rc = sl__event_begin(st, 0, err);
    if (rc != SL_OK)
        goto fail;
    /* the ledger's today: the event is never before its latest time */
    if (expires_on != SL_DATE_NONE && expires_on <= sl_ms_to_date(sl__event_at(st))) {
        rc = sl__err(err, SL_EINVAL, "token expiry '%s' is not after today",
                     sl_date_format(expires_on, date, sizeof date));
        goto fail;
    }
    rc = sl__stmt(st, "SELECT 1 FROM api_tokens WHERE name = ?", &s, err);
    if (rc != SL_OK)
        goto fail;
    sl__bind_text(s, 1, name);
    switch (sqlite3_step(s)) {
    case SQLITE_ROW:
        sqlite3_reset(s);
        rc = sl__err(err, SL_EEXIST, "token '%s' already exists", name);
        goto fail;
    case SQLITE_DONE:
        sqlite3_reset(s);
        break;
    default:
        rc = sl__db_err(st, err, "cannot read tokens");
        sqlite3_reset(s);
        goto fail;
    }
    if (user_id) {
        rc = sl__stmt(st, "SELECT 1 FROM users WHERE id = ?1", &s, err);
        if (rc != SL_OK)
            goto fail;
        sl__bind_text(s, 1, user_id);
        switch (sqlite3_step(s)) {
        case SQLITE_ROW:
            sqlite3_reset(s);
            break;
        case SQLITE_DONE:
            sqlite3_reset(s);
            rc = sl__err(err, SL_ENOTFOUND, "no user with id '%.64s'", user_id);
            goto fail;
        default:
            rc = sl__db_err(st, err, "cannot read the user directory");
            sqlite3_reset(s);
            goto fail;
        }
    }
    {
        const sl__value v[] = {
            SL__TEXT(name), SL__TEXT(hash), SL__INT(admin ? 1 : 0),
            SL__TEXT(expires_on == SL_DATE_NONE ? NULL
                     : sl_date_format(expires_on, date, sizeof date)),
            SL__AT, SL__TEXT(user_id),
        };
        rc = sl__event_append(st,
            "INSERT INTO api_tokens(name, secret_sha256, admin, expires_on, created_at, user_id)"
            " VALUES (?,?,?,?,?,?)", v, 6, "cannot store the token", NULL, err);
    }
    if (rc != SL_OK)
        goto fail;
    /* the audit line names the token, never its secret */
    snprintf(detail, sizeof detail, "name '%s', %s%s%.64s%s, expires %s", name,
             admin ? "admin" : "not admin", user_id ? ", user id '" : "",
             user_id ? user_id : "", user_id ? "'" : "",
             expires_on == SL_DATE_NONE ? "never" : sl_date_format(expires_on, date, sizeof date));
    rc = sl__audit(st, "token.create", 0, "ok", detail, err);
    if (rc != SL_OK)
        goto fail;
    rc = sl__commit(st, err);
    if (rc != SL_OK)
        goto done;
    *out_secret = secret;
    secret = NULL;
    goto done;
fail:
    sl__rollback(st);
done:
    if (secret) {
        OPENSSL_cleanse(secret, strlen(secret));
        free(secret);
    }
    return rc;
}

sl_rc sl_store_token_create(sl_store *st, const char *name, int admin,
                            int32_t expires_on, char **out_secret,
                            sl_error *err)
{
    return create_token(st, name, admin, NULL, expires_on, out_secret, err);
}

sl_rc sl_store_user_token_create(sl_store *st, const char *name, const char *user_id,
                                 int32_t expires_on, char **out_secret, sl_error *err)
{
    *out_secret = NULL;
    if (!user_id || !*user_id)
        return sl__err(err, SL_EINVAL, "a user token needs a user");
    return create_token(st, name, 0, user_id, expires_on, out_secret, err);
}

sl_rc sl_store_token_revoke(sl_store *st, const char *name, sl_error *err)
{
    sqlite3_stmt *s;
    char detail[128];
    int found = 0, revoked = 0;
    sl_rc rc = check_name(name, err);
    if (rc != SL_OK)
        return rc;
    rc = sl__begin(st, err);
    if (rc != SL_OK)
        return rc;
    rc = sl__event_begin(st, 0, err);
    if (rc != SL_OK)
        goto fail;
    rc = sl__stmt(st, "SELECT revoked_at IS NOT NULL FROM api_tokens WHERE name = ?",
                  &s, err);
    if (rc != SL_OK)
        goto fail;
    sl__bind_text(s, 1, name);
    switch (sqlite3_step(s)) {
    case SQLITE_ROW:
        found = 1;
        revoked = sqlite3_column_int(s, 0);
        break;
    case SQLITE_DONE:
        break;
    default:
        rc = sl__db_err(st, err, "cannot read tokens");
        sqlite3_reset(s);
        goto fail;
    }
    sqlite3_reset(s);
    if (!found) {
        rc = sl__err(err, SL_ENOTFOUND, "no token named '%s'", name);
        goto fail;
    }
    if (revoked) {
        /* revoking twice is not an error, and not a second event either */
        sl__rollback(st);
        return SL_OK;
    }
    rc = sl__stmt(st, "UPDATE api_tokens SET revoked_at = ? WHERE name = ?", &s, err);
    if (rc != SL_OK)
        goto fail;
    sqlite3_bind_int64(s, 1, sl__event_at(st));
    sl__bind_text(s, 2, name);
    if (sqlite3_step(s) != SQLITE_DONE) {
        rc = sl__db_err(st, err, "cannot revoke the token");
        sqlite3_reset(s);
        goto fail;
    }
    sqlite3_reset(s);
    snprintf(detail, sizeof detail, "name '%s'", name);
    rc = sl__audit(st, "token.revoke", 0, "ok", detail, err);
    if (rc != SL_OK)
        goto fail;
    return sl__commit(st, err);
fail:
    sl__rollback(st);
    return rc;
}

/* A stored YYYY-MM-DD (or NULL) as a day number. */
static int32_t column_date(sqlite3_stmt *s, int col)
{
    const char *t = (const char *)sqlite3_column_text(s, col);
    int32_t d = SL_DATE_NONE;
    if (!t || sl_date_parse(t, &d, NULL) != SL_OK)
        return SL_DATE_NONE;
    return d;
}

sl_rc sl_store_token_list(sl_store *st, sl_token_info **out, size_t *count,
                          sl_error *err)
{
    sqlite3_stmt *s;
    sl_token_info *v = NULL;
    size_t n = 0, cap = 0;
    sl_rc rc;
    int step;
    *out = NULL;
    *count = 0;
    rc = sl__stmt(st,
        "SELECT t.name, t.admin, t.expires_on, t.created_at, t.revoked_at, t.user_id, "
        "u.username FROM api_tokens t LEFT JOIN users u ON u.id = t.user_id ORDER BY t.id",
        &s, err);
    if (rc != SL_OK)
        return rc;
    for (;;) {
        step = sqlite3_step(s);
        if (step != SQLITE_ROW)
            break;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            sl_token_info *p = realloc(v, ncap * sizeof *v);
            if (!p) {
                rc = sl__err(err, SL_ENOMEM, "out of memory");
                goto fail;
            }
            v = p;
            cap = ncap;
        }
        memset(&v[n], 0, sizeof v[n]);
        v[n].name = sl__strdup((const char *)sqlite3_column_text(s, 0));
        if (sqlite3_column_type(s, 5) != SQLITE_NULL)
            v[n].user_id = sl__strdup((const char *)sqlite3_column_text(s, 5));
        if (sqlite3_column_type(s, 6) != SQLITE_NULL)
            v[n].username = sl__strdup((const char *)sqlite3_column_text(s, 6));
        if (!v[n].name || (sqlite3_column_type(s, 5) != SQLITE_NULL && !v[n].user_id) ||
            (sqlite3_column_type(s, 6) != SQLITE_NULL && !v[n].username)) {
            n++;
            rc = sl__err(err, SL_ENOMEM, "out of memory");
            goto fail;
        }
        v[n].admin = sqlite3_column_int(s, 1) != 0;
        v[n].expires_on = column_date(s, 2);
        v[n].created_at_ms = sqlite3_column_int64(s, 3);
        v[n].revoked_at_ms = sqlite3_column_type(s, 4) == SQLITE_NULL
                                 ? 0 : sqlite3_column_int64(s, 4);
        n++;
    }
    if (step != SQLITE_DONE) {
        rc = sl__db_err(st, err, "cannot read tokens");
        goto fail;
    }
    sqlite3_reset(s);
    *out = v;
    *count = n;
    return SL_OK;
fail:
    sqlite3_reset(s);
    sl_token_infos_free(v, n);
    return rc;
}

void sl_token_infos_free(sl_token_info *t, size_t count)
{
    if (!t)
        return;
    for (size_t i = 0; i < count; i++) {
        free(t[i].name);
        free(t[i].user_id);
        free(t[i].username);
    }
    free(t);
}

sl_rc sl_store_token_authenticate(sl_store *st, const char *secret, size_t len,
                                  sl_token_auth *out, sl_error *err)
{
    sqlite3_stmt *s;
    char hash[TOKEN_HASH_HEX + 1];
    const char *stored, *name, *user_id;
    int revoked, step, user_gone;
    int32_t expires_on, today;
    sl_rc rc;
    memset(out, 0, sizeof *out);
    if (!secret || len == 0)
        return sl__err(err, SL_EAUTH, "no token given");
    if (len > SL_TOKEN_SECRET_MAX)
        return sl__err(err, SL_EAUTH, "unknown token");
    rc = hash_secret(secret, len, hash, err);
    if (rc != SL_OK)
        return rc;
    /* a client presents the same token request after request: its row is
     * kept with the read cache, which any commit anywhere (or a new day)
     * empties; the ledger's today is asked first, as it checks the cache */
    rc = sl__ledger_today(st, &today, err);
    if (rc != SL_OK)
        return rc;
    if (st->cache.token_known && CRYPTO_memcmp(st->cache.token_hash, hash, TOKEN_HASH_HEX) == 0) {
        *out = st->cache.token;
        expires_on = st->cache.token_expires;
        revoked = st->cache.token_revoked;
        user_gone = st->cache.token_user_gone;
        goto decide;
    }
    rc = sl__stmt(st,
        "SELECT t.secret_sha256, t.admin, t.expires_on, t.revoked_at IS NOT NULL, t.name,"
        " t.user_id, t.user_id IS NOT NULL AND u.id IS NULL"
        " FROM api_tokens t LEFT JOIN users u ON u.id = t.user_id"
        " WHERE t.secret_sha256 = ?", &s, err);
    if (rc != SL_OK)
        return rc;
    sl__bind_text(s, 1, hash);
    step = sqlite3_step(s);
    if (step == SQLITE_DONE) {
        sqlite3_reset(s);
        return sl__err(err, SL_EAUTH, "unknown token");
    }
    if (step != SQLITE_ROW) {
        rc = sl__db_err(st, err, "cannot read tokens");
        sqlite3_reset(s);
        return rc;
    }
    stored = (const char *)sqlite3_column_text(s, 0);
    /* the index found the row; the decision still compares in constant time
     * so no byte-by-byte timing of the comparison ever depends on a secret */
    if (!stored || (size_t)sqlite3_column_bytes(s, 0) != TOKEN_HASH_HEX ||
        CRYPTO_memcmp(stored, hash, TOKEN_HASH_HEX) != 0) {
        sqlite3_reset(s);
        return sl__err(err, SL_EAUTH, "unknown token");
    }
    out->admin = sqlite3_column_int(s, 1);
    expires_on = column_date(s, 2);
    revoked = sqlite3_column_int(s, 3);
    name = (const char *)sqlite3_column_text(s, 4);
    user_id = (const char *)sqlite3_column_text(s, 5);
    user_gone = sqlite3_column_int(s, 6);
    snprintf(out->name, sizeof out->name, "%s", name ? name : "");
    if (user_id) {
        out->bound = 1;
        snprintf(out->user_id, sizeof out->user_id, "%s", user_id);
    }
    sqlite3_reset(s);
    memcpy(st->cache.token_hash, hash, sizeof st->cache.token_hash);
    st->cache.token = *out;
    st->cache.token_expires = expires_on;
    st->cache.token_revoked = revoked;
    st->cache.token_user_gone = user_gone;
    st->cache.token_known = 1;
decide:
    /* expiry by the ledger's today: a clock set back does not bring an
     * expired token back */
    if (revoked)
        rc = sl__err(err, SL_EAUTH, "token is revoked");
    else if (expires_on != SL_DATE_NONE && today >= expires_on)
        rc = sl__err(err, SL_EAUTH, "token has expired");
    else if (user_gone)
        rc = sl__err(err, SL_EAUTH, "the token's user is no longer in the directory");
    if (rc != SL_OK)
        memset(out, 0, sizeof *out);
    return rc;
}

sl_rc sl_store_token_check(sl_store *st, const char *secret, size_t len,
                           sl_error *err)
{
    sl_token_auth a;
    sl_rc rc = sl_store_token_authenticate(st, secret, len, &a, err);
    if (rc != SL_OK)
        return rc;
    if (!a.admin)
        return sl__err(err, SL_EFORBIDDEN, "token is not an admin token");
    return SL_OK;
}
