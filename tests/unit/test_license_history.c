/*
 * test_license_history.c - the stored licenses as GitLab's license history
 * shows them (sl_store_license_history): GitLab's order, the type, the
 * key's id, activated_at and last_synced_at, the future flag, the cache
 * following the ledger; and the public figures (overage_historical) and
 * term window the GraphQL API reads.
 */
#include "ledger_testutil.h"

static char *priv_pem, *pub_pem;

typedef struct fx {
    char *dir;
    sl_store *st;
} fx;

static int group_setup(void **state)
{
    (void)state;
    return sl_keys_generate(2048, &priv_pem, &pub_pem, NULL) == SL_OK ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    sl_free(priv_pem);
    sl_free(pub_pem);
    return 0;
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    sl_error err = {0};
    assert_non_null(f);
    setenv("SEATLEDGER_NOW", "2026-03-01T00:00:00Z", 1);
    f->st = tu_store(&f->dir);
    assert_int_equal(sl_store_key_trust(f->st, pub_pem, strlen(pub_pem), "vendor", &err), SL_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    sl_store_close(f->st);
    tu_rmtree(f->dir);
    free(f->dir);
    free(f);
    unsetenv("SEATLEDGER_NOW");
    return 0;
}

/* Add a key issued from l at instant `at`; returns its id. */
static int64_t add_at(sl_store *st, const char *at, const tu_license *l)
{
    char *key = tu_issue(priv_pem, l);
    sl_error err = {0};
    int64_t id = 0;
    setenv("SEATLEDGER_NOW", at, 1);
    if (sl_store_license_add(st, key, strlen(key), SL_SOURCE_CLI, &id, &err) != SL_OK)
        fail_msg("add: %s", err.message);
    sl_free(key);
    return id;
}

static const sl_license_entry *history(sl_store *st, size_t *n)
{
    const sl_license_entry *e = NULL;
    sl_error err = {0};
    if (sl_store_license_history(st, &e, n, &err) != SL_OK)
        fail_msg("history: %s", err.message);
    return e;
}

static void four_licenses(fx *f)
{
    tu_license l1 = {.plan = "premium", .seats = 10, .starts = "2026-01-01", .expires = "2027-01-01"};
    tu_license l2 = {.company = "Cloud Corp", .plan = "ultimate", .seats = 10,
                     .starts = "2026-01-01", .expires = "2028-01-01",
                     .extra = ",\"cloud_licensing_enabled\":true,"
                              "\"activated_at\":\"2026-02-15T23:30:00-05:00\","
                              "\"last_synced_at\":\"2026-03-02T10:00:00+01:00\"",
                     .extra_restrictions = ",\"id\":777,\"trial\":true,"
                                           "\"subscription_name\":\"A-S00012345\""};
    tu_license l3 = {.plan = "ultimate", .seats = 20, .starts = "2026-06-01", .expires = "2027-06-01",
                     .extra = ",\"cloud_licensing_enabled\":true,"
                              "\"offline_cloud_licensing_enabled\":true"};
    tu_license l4 = {.plan = "premium", .seats = 10, .starts = "2026-01-01", .expires = "2027-06-01"};
    assert_int_equal(add_at(f->st, "2026-03-01T00:00:00Z", &l1), 1);
    assert_int_equal(add_at(f->st, "2026-03-02T00:00:00Z", &l2), 2);
    /* created the same millisecond as 2: the expiry decides */
    assert_int_equal(add_at(f->st, "2026-03-02T00:00:00Z", &l4), 3);
    assert_int_equal(add_at(f->st, "2026-03-03T00:00:00Z", &l3), 4);
    setenv("SEATLEDGER_NOW", "2026-03-05T12:00:00Z", 1);
}

static void test_order_and_attributes(void **state)
{
    fx *f = *state;
    const sl_license_entry *e;
    size_t n;
    char buf[32];
    four_licenses(f);
    e = history(f->st, &n);
    assert_int_equal(n, 4);
    /* newest first by (starts, created, expires) */
    assert_int_equal(e[0].id, 4);
    assert_int_equal(e[1].id, 2);
    assert_int_equal(e[2].id, 3);
    assert_int_equal(e[3].id, 1);
    assert_string_equal(e[0].type, "offline_cloud");
    assert_true(e[0].future);
    assert_int_equal(e[0].seats, 20);
    assert_string_equal(e[1].type, "online_cloud");
    assert_false(e[1].future);
    assert_int_equal(e[1].key_id, 777);
    assert_string_equal(sl_date_format(e[1].activated_on, buf, sizeof buf), "2026-02-15");
    assert_string_equal(sl_time_format_rfc3339(e[1].last_synced_at_ms, buf, sizeof buf),
                        "2026-03-02T09:00:00.000Z");
    assert_true(e[1].trial);
    assert_string_equal(e[1].subscription_name, "A-S00012345");
    assert_string_equal(e[1].licensee_company, "Cloud Corp");
    assert_string_equal(e[3].type, "legacy_license");
    assert_int_equal(e[3].key_id, 1);
    /* no activated_at in the key: the day it was stored */
    assert_string_equal(sl_date_format(e[3].activated_on, buf, sizeof buf), "2026-03-01");
    assert_int_equal(e[3].last_synced_at_ms, SL_TIME_NONE);
    assert_null(e[3].subscription_name);
    assert_string_equal(e[3].plan, "premium");
    assert_string_equal(e[3].licensee_name, "Ada");
    assert_int_equal(e[3].created_at_ms, lt_ms("2026-03-01T00:00:00Z"));
    assert_int_equal(e[3].expires_on, lt_day("2027-01-01"));
}

static void test_cache_follows_the_ledger(void **state)
{
    fx *f = *state;
    const sl_license_entry *e;
    sl_store *other = NULL;
    sl_error err = {0};
    size_t n;
    tu_license l5 = {.plan = "ultimate", .seats = 5, .starts = "2026-02-01", .expires = "2027-02-01"};
    four_licenses(f);
    e = history(f->st, &n);
    assert_int_equal(n, 4);
    /* the same list again while nothing changed */
    assert_ptr_equal(history(f->st, &n), e);
    assert_int_equal(sl_store_license_delete(f->st, 3, SL_SOURCE_CLI, &err), SL_OK);
    e = history(f->st, &n);
    assert_int_equal(n, 3);
    assert_int_equal(e[2].id, 1);
    /* another connection's commit is seen */
    assert_int_equal(sl_store_open(sl_store_path(f->st), 0, &other, &err), SL_OK);
    assert_int_equal(add_at(other, "2026-03-05T12:00:00Z", &l5), 5);
    sl_store_close(other);
    e = history(f->st, &n);
    assert_int_equal(n, 4);
    assert_int_equal(e[1].id, 5);
    /* a new day moves licenses out of the future */
    setenv("SEATLEDGER_NOW", "2026-06-01T00:00:00Z", 1);
    e = history(f->st, &n);
    assert_int_equal(e[0].id, 4);
    assert_false(e[0].future);
}

static void test_empty(void **state)
{
    fx *f = *state;
    size_t n = 99;
    assert_null(history(f->st, &n));
    assert_int_equal(n, 0);
}

/* GraphQL's usersOverLicenseCount is the overage of the maximum at any
 * time; the entity's overage is today's while the license runs. */
static void test_figures_and_term(void **state)
{
    fx *f = *state;
    sl_license_figures fig;
    sl_error err = {0};
    int64_t from, to;
    char a[32], b[32];
    assert_int_equal(sl_store_license_term(f->st, &from, &to, &err), SL_OK);
    assert_string_equal(sl_time_format_rfc3339(from, a, sizeof a), "2025-03-01T00:00:00.000Z");
    assert_string_equal(sl_time_format_rfc3339(to, b, sizeof b), "2026-03-01T00:00:00.000Z");
    four_licenses(f);
    lt_snapshot(f->st, "2026-03-03T00:00:00Z", 15);
    lt_snapshot(f->st, "2026-03-04T00:00:00Z", 5);
    assert_int_equal(sl_store_license_figures(f->st, 3, &fig, &err), SL_OK);
    assert_int_equal(fig.active_users, 5);
    assert_int_equal(fig.historical_max, 15);
    assert_int_equal(fig.maximum_user_count, 15);
    assert_int_equal(fig.overage, 0);
    assert_int_equal(fig.overage_historical, 5);
    assert_int_equal(fig.user_limit, 10);
    assert_false(fig.expired);
    assert_int_equal(sl_store_license_figures(f->st, 99, &fig, &err), SL_ENOTFOUND);
    /* the current license (3) bounds the window */
    assert_int_equal(sl_store_license_term(f->st, &from, &to, &err), SL_OK);
    assert_string_equal(sl_time_format_rfc3339(from, a, sizeof a), "2026-01-01T00:00:00.000Z");
    assert_string_equal(sl_time_format_rfc3339(to, b, sizeof b), "2027-06-01T23:59:59.999Z");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_order_and_attributes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cache_follows_the_ledger, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_figures_and_term, setup, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
