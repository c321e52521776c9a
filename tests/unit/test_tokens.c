/*
 * test_tokens.c - API tokens: secret format, hash-only storage, names,
 * expiry, revocation, admin rights and the audit trail.
 */
#include "testutil.h"
#include "ledger/store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int count_rows(sl_store *st, const char *sql)
{
    sqlite3_stmt *s = NULL;
    int n = -1;
    assert_int_equal(sqlite3_prepare_v2(st->db, sql, -1, &s, NULL), SQLITE_OK);
    if (sqlite3_step(s) == SQLITE_ROW)
        n = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    return n;
}

static void test_create_secret_format_and_hash_only(void **state)
{
    (void)state;
    char *dir, *secret = NULL;
    sl_store *st = tu_store(&dir);
    sl_error err = {0};
    sqlite3_stmt *s = NULL;
    assert_int_equal(sl_store_token_create(st, "ci", 1, SL_DATE_NONE, &secret, &err), SL_OK);
    assert_non_null(secret);
    assert_int_equal(strlen(secret), 4 + 43);
    assert_memory_equal(secret, "slt_", 4);
    for (const char *p = secret + 4; *p; p++)
        assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", *p));
    /* the secret appears nowhere in the ledger, its SHA-256 does */
    assert_int_equal(sqlite3_prepare_v2(st->db,
        "SELECT secret_sha256, admin, expires_on, revoked_at FROM api_tokens WHERE name='ci'",
        -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_int_equal(strlen((const char *)sqlite3_column_text(s, 0)), 64);
    assert_null(strstr((const char *)sqlite3_column_text(s, 0), secret + 4));
    assert_int_equal(sqlite3_column_int(s, 1), 1);
    assert_int_equal(sqlite3_column_type(s, 2), SQLITE_NULL);
    assert_int_equal(sqlite3_column_type(s, 3), SQLITE_NULL);
    sqlite3_finalize(s);
    {
        char sql[256];
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM audit_log WHERE detail LIKE '%%%s%%'", secret + 4);
        assert_int_equal(count_rows(st, sql), 0);
    }
    assert_int_equal(count_rows(st,
        "SELECT count(*) FROM audit_log WHERE action='token.create' AND outcome='ok'"
        " AND detail='name ''ci'', admin, expires never'"), 1);
    assert_int_equal(sl_store_token_check(st, secret, strlen(secret), &err), SL_OK);
    sl_free(secret);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

static void test_secrets_are_distinct(void **state)
{
    (void)state;
    char *dir, *a = NULL, *b = NULL;
    sl_store *st = tu_store(&dir);
    sl_error err = {0};
    assert_int_equal(sl_store_token_create(st, "a", 1, SL_DATE_NONE, &a, &err), SL_OK);
    assert_int_equal(sl_store_token_create(st, "b", 1, SL_DATE_NONE, &b, &err), SL_OK);
    assert_string_not_equal(a, b);
    sl_free(a);
    sl_free(b);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

static void test_names(void **state)
{
    (void)state;
    char *dir, *secret = NULL;
    sl_store *st = tu_store(&dir);
    sl_error err = {0};
    char longest[SL_TOKEN_NAME_MAX + 2];
    memset(longest, 'x', SL_TOKEN_NAME_MAX);
    longest[SL_TOKEN_NAME_MAX] = '\0';
    assert_int_equal(sl_store_token_create(st, longest, 0, SL_DATE_NONE, &secret, &err), SL_OK);
    sl_free(secret);
    assert_int_equal(sl_store_token_create(st, "A.b_c-9", 0, SL_DATE_NONE, &secret, &err), SL_OK);
    sl_free(secret);
    longest[SL_TOKEN_NAME_MAX] = 'x';
    longest[SL_TOKEN_NAME_MAX + 1] = '\0';
    secret = NULL;
    assert_int_equal(sl_store_token_create(st, longest, 0, SL_DATE_NONE, &secret, &err), SL_EINVAL);
    assert_null(secret);
    assert_int_equal(sl_store_token_create(st, "", 0, SL_DATE_NONE, &secret, &err), SL_EINVAL);
    assert_string_equal(err.message,
        "invalid token name '': use 1-64 characters of A-Z a-z 0-9 . _ -");
    assert_int_equal(sl_store_token_create(st, "with space", 0, SL_DATE_NONE, &secret, &err), SL_EINVAL);
    assert_int_equal(sl_store_token_create(st, "sl/ash", 0, SL_DATE_NONE, &secret, &err), SL_EINVAL);
    assert_int_equal(sl_store_token_create(st, "caf\xc3\xa9", 0, SL_DATE_NONE, &secret, &err), SL_EINVAL);
    assert_int_equal(sl_store_token_create(st, "A.b_c-9", 1, SL_DATE_NONE, &secret, &err), SL_EEXIST);
    assert_string_equal(err.message, "token 'A.b_c-9' already exists");
    assert_null(secret);
    /* refused creations leave nothing behind */
    assert_int_equal(count_rows(st, "SELECT count(*) FROM api_tokens"), 2);
    assert_int_equal(count_rows(st, "SELECT count(*) FROM audit_log WHERE action='token.create'"), 2);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

static void test_check_rights(void **state)
{
    (void)state;
    char *dir, *admin = NULL, *user = NULL;
    sl_store *st = tu_store(&dir);
    sl_error err = {0};
    assert_int_equal(sl_store_token_create(st, "admin", 1, SL_DATE_NONE, &admin, &err), SL_OK);
    assert_int_equal(sl_store_token_create(st, "user", 0, SL_DATE_NONE, &user, &err), SL_OK);
    assert_int_equal(sl_store_token_check(st, admin, strlen(admin), &err), SL_OK);
    assert_int_equal(sl_store_token_check(st, user, strlen(user), &err), SL_EFORBIDDEN);
    /* a prefix, a longer string, one changed byte: all unknown */
    assert_int_equal(sl_store_token_check(st, admin, strlen(admin) - 1, &err), SL_EAUTH);
    assert_string_equal(err.message, "unknown token");
    admin[10] = admin[10] == 'A' ? 'B' : 'A';
    assert_int_equal(sl_store_token_check(st, admin, strlen(admin), &err), SL_EAUTH);
    assert_int_equal(sl_store_token_check(st, "", 0, &err), SL_EAUTH);
    assert_int_equal(sl_store_token_check(st, NULL, 0, &err), SL_EAUTH);
    {
        char big[SL_TOKEN_SECRET_MAX + 2];
        memset(big, 'a', sizeof big);
        assert_int_equal(sl_store_token_check(st, big, sizeof big, &err), SL_EAUTH);
    }
    /* the hash column itself is not a token */
    {
        sqlite3_stmt *s = NULL;
        char *hash;
        assert_int_equal(sqlite3_prepare_v2(st->db,
            "SELECT secret_sha256 FROM api_tokens WHERE name='user'", -1, &s, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_step(s), SQLITE_ROW);
        hash = strdup((const char *)sqlite3_column_text(s, 0));
        sqlite3_finalize(s);
        assert_int_equal(sl_store_token_check(st, hash, strlen(hash), &err), SL_EAUTH);
        free(hash);
    }
    sl_free(admin);
    sl_free(user);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

static void test_expiry(void **state)
{
    (void)state;
    char *dir, *secret = NULL;
    sl_store *st;
    sl_error err = {0};
    int32_t d;
    setenv("SEATLEDGER_NOW", "2024-03-10T12:00:00Z", 1);
    st = tu_store(&dir);
    assert_int_equal(sl_date_parse("2024-03-10", &d, &err), SL_OK);
    assert_int_equal(sl_store_token_create(st, "t", 1, d, &secret, &err), SL_EINVAL);
    assert_string_equal(err.message, "token expiry '2024-03-10' is not after today");
    assert_int_equal(sl_store_token_create(st, "t", 1, d + 1, &secret, &err), SL_OK);
    assert_int_equal(count_rows(st,
        "SELECT count(*) FROM api_tokens WHERE name='t' AND expires_on='2024-03-11'"), 1);
    assert_int_equal(sl_store_token_check(st, secret, strlen(secret), &err), SL_OK);
    /* last second of the day before expiry: still valid */
    setenv("SEATLEDGER_NOW", "2024-03-10T23:59:59Z", 1);
    assert_int_equal(sl_store_token_check(st, secret, strlen(secret), &err), SL_OK);
    setenv("SEATLEDGER_NOW", "2024-03-11T00:00:00Z", 1);
    assert_int_equal(sl_store_token_check(st, secret, strlen(secret), &err), SL_EAUTH);
    assert_string_equal(err.message, "token has expired");
    unsetenv("SEATLEDGER_NOW");
    sl_free(secret);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

static void test_revoke(void **state)
{
    (void)state;
    char *dir, *secret = NULL, *again = NULL;
    sl_store *st = tu_store(&dir);
    sl_error err = {0};
    assert_int_equal(sl_store_token_create(st, "gone", 1, SL_DATE_NONE, &secret, &err), SL_OK);
    assert_int_equal(sl_store_token_revoke(st, "gone", &err), SL_OK);
    assert_int_equal(sl_store_token_check(st, secret, strlen(secret), &err), SL_EAUTH);
    assert_string_equal(err.message, "token is revoked");
    /* twice is fine and records one event */
    assert_int_equal(sl_store_token_revoke(st, "gone", &err), SL_OK);
    assert_int_equal(count_rows(st,
        "SELECT count(*) FROM audit_log WHERE action='token.revoke' AND detail='name ''gone'''"), 1);
    assert_int_equal(sl_store_token_revoke(st, "never", &err), SL_ENOTFOUND);
    assert_string_equal(err.message, "no token named 'never'");
    /* a revoked name stays taken */
    assert_int_equal(sl_store_token_create(st, "gone", 1, SL_DATE_NONE, &again, &err), SL_EEXIST);
    assert_null(again);
    sl_free(secret);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

/* A token's row is kept between checks (the API's hot path); a revocation
 * by this connection or another one, in or out of a read scope, is seen at
 * the next check all the same. */
static void test_check_after_revoke_elsewhere(void **state)
{
    (void)state;
    char *dir, *secret = NULL, *other_secret = NULL;
    sl_store *st = tu_store(&dir), *other = NULL;
    sl_error err = {0};
    assert_int_equal(sl_store_open(sl_store_path(st), 0, &other, &err), SL_OK);
    assert_int_equal(sl_store_token_create(st, "kept", 1, SL_DATE_NONE, &secret, &err), SL_OK);
    assert_int_equal(sl_store_token_create(st, "mine", 1, SL_DATE_NONE, &other_secret, &err),
                     SL_OK);
    assert_int_equal(sl_store_token_check(st, secret, strlen(secret), &err), SL_OK);
    assert_int_equal(sl_store_token_check(st, secret, strlen(secret), &err), SL_OK);
    assert_int_equal(sl_store_token_revoke(other, "kept", &err), SL_OK);
    assert_int_equal(sl_store_token_check(st, secret, strlen(secret), &err), SL_EAUTH);
    assert_string_equal(err.message, "token is revoked");
    /* inside a read scope too, once the scope began after the revocation */
    assert_int_equal(sl_store_token_check(st, other_secret, strlen(other_secret), &err), SL_OK);
    assert_int_equal(sl_store_token_revoke(other, "mine", &err), SL_OK);
    assert_int_equal(sl_store_read_begin(st, &err), SL_OK);
    assert_int_equal(sl_store_token_check(st, other_secret, strlen(other_secret), &err), SL_EAUTH);
    sl_store_read_end(st);
    /* and a different secret is never taken for the cached one */
    assert_int_equal(sl_store_token_check(st, "slt_nope", 8, &err), SL_EAUTH);
    assert_string_equal(err.message, "unknown token");
    sl_free(secret);
    sl_free(other_secret);
    sl_store_close(other);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

static void test_list(void **state)
{
    (void)state;
    char *dir, *secret = NULL;
    sl_store *st;
    sl_error err = {0};
    sl_token_info *t = NULL;
    size_t n = 99;
    int64_t t0;
    int32_t d;
    setenv("SEATLEDGER_NOW", "2024-03-10T12:00:00Z", 1);
    st = tu_store(&dir);
    assert_int_equal(sl_store_token_list(st, &t, &n, &err), SL_OK);
    assert_null(t);
    assert_int_equal(n, 0);
    assert_int_equal(sl_date_parse("2025-01-01", &d, &err), SL_OK);
    assert_int_equal(sl_store_token_create(st, "zeta", 0, d, &secret, &err), SL_OK);
    sl_free(secret);
    assert_int_equal(sl_store_token_create(st, "alpha", 1, SL_DATE_NONE, &secret, &err), SL_OK);
    sl_free(secret);
    setenv("SEATLEDGER_NOW", "2024-03-11T08:00:00Z", 1);
    assert_int_equal(sl_store_token_revoke(st, "zeta", &err), SL_OK);
    assert_int_equal(sl_store_token_list(st, &t, &n, &err), SL_OK);
    assert_int_equal(n, 2);
    assert_int_equal(sl_time_parse("2024-03-10T12:00:00Z", &t0, &err), SL_OK);
    /* creation order, not name order */
    assert_string_equal(t[0].name, "zeta");
    assert_int_equal(t[0].admin, 0);
    assert_int_equal(t[0].expires_on, d);
    assert_int_equal(t[0].created_at_ms, t0);
    assert_int_equal(t[0].revoked_at_ms, t0 + 20 * 3600 * 1000LL);
    assert_string_equal(t[1].name, "alpha");
    assert_int_equal(t[1].admin, 1);
    assert_int_equal(t[1].expires_on, SL_DATE_NONE);
    assert_int_equal(t[1].revoked_at_ms, 0);
    sl_token_infos_free(t, n);
    sl_token_infos_free(NULL, 0);
    unsetenv("SEATLEDGER_NOW");
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

/* Who a token is: its name and rights for any valid token, nothing for
 * the others (GraphQL's caller and actor). */
static void test_auth_names_the_token(void **state)
{
    char *dir, *admin = NULL, *user = NULL, *gone = NULL;
    sl_store *st = tu_store(&dir);
    sl_token_auth who;
    sl_error err = {0};
    (void)state;
    assert_int_equal(sl_store_token_create(st, "ops-bot", 1, SL_DATE_NONE, &admin, &err), SL_OK);
    assert_int_equal(sl_store_token_create(st, "reader", 0, SL_DATE_NONE, &user, &err), SL_OK);
    assert_int_equal(sl_store_token_create(st, "gone", 1, SL_DATE_NONE, &gone, &err), SL_OK);
    assert_int_equal(sl_store_token_revoke(st, "gone", &err), SL_OK);
    assert_int_equal(sl_store_token_authenticate(st, admin, strlen(admin), &who, &err), SL_OK);
    assert_string_equal(who.name, "ops-bot");
    assert_int_equal(who.admin, 1);
    assert_int_equal(sl_store_token_authenticate(st, user, strlen(user), &who, &err), SL_OK);
    assert_string_equal(who.name, "reader");
    assert_int_equal(who.admin, 0);
    assert_int_equal(sl_store_token_check(st, user, strlen(user), &err), SL_EFORBIDDEN);
    assert_int_equal(sl_store_token_authenticate(st, gone, strlen(gone), &who, &err), SL_EAUTH);
    assert_string_equal(err.message, "token is revoked");
    assert_string_equal(who.name, "");
    assert_int_equal(sl_store_token_authenticate(st, "slt_nope", 8, &who, &err), SL_EAUTH);
    assert_string_equal(err.message, "unknown token");
    sl_free(admin);
    sl_free(user);
    sl_free(gone);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_secret_format_and_hash_only),
        cmocka_unit_test(test_secrets_are_distinct),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_check_rights),
        cmocka_unit_test(test_expiry),
        cmocka_unit_test(test_revoke),
        cmocka_unit_test(test_check_after_revoke_elsewhere),
        cmocka_unit_test(test_list),
        cmocka_unit_test(test_auth_names_the_token),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
