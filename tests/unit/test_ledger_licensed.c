/*
 * test_ledger_licensed.c - the ledger with real stored licenses: refresh
 * under the current license's plan, the license entity's figures over a
 * term, a license add refused by the seat checks, the usage CSV of the
 * stored key, and the status of a licensed ledger.
 */
#include "ledger_testutil.h"

static char *priv_pem, *pub_pem;

static int setup_keys(void **state)
{
    (void)state;
    if (sl_keys_generate(2048, &priv_pem, &pub_pem, NULL) != SL_OK)
        return -1;
    return 0;
}

static int teardown_keys(void **state)
{
    (void)state;
    sl_free(priv_pem);
    sl_free(pub_pem);
    return 0;
}

static void at(const char *now)
{
    setenv("SEATLEDGER_NOW", now, 1);
}

/* A key for `plan`, `seats`, the term, extra top-level members
 * (",\"block_changes_at\":...") and extra restrictions.  Caller frees. */
static char *issue(const char *company, const char *plan, int seats, const char *starts,
                   const char *expires, const char *extra, const char *extra_restrictions)
{
    tu_license l = {.company = company, .plan = plan, .seats = seats, .starts = starts,
                    .expires = expires, .extra = extra,
                    .extra_restrictions = extra_restrictions};
    return tu_issue(priv_pem, &l);
}

/* A ledger that has trusted the vendor key at the start of the earliest
 * term these tests use (trusting is an event: later ones cannot precede it). */
static sl_store *licensed_store(char **dir)
{
    sl_store *st = tu_store(dir);
    sl_error err = {0};
    at("2026-01-01T00:00:00Z");
    assert_int_equal(sl_store_key_trust(st, pub_pem, strlen(pub_pem), "vendor", &err), SL_OK);
    return st;
}

static int64_t add(sl_store *st, const char *company, const char *plan, int seats,
                   const char *starts, const char *expires, const char *extra,
                   const char *extra_restrictions)
{
    char *key = issue(company, plan, seats, starts, expires, extra, extra_restrictions);
    sl_error err = {0};
    int64_t id = 0;
    lt_confirm(st);
    if (sl_store_license_add(st, key, strlen(key), SL_SOURCE_CLI, &id, &err) != SL_OK)
        fail_msg("license add: %s", err.message);
    sl_free(key);
    return id;
}

/* Record `users` billable users at `when`. */
static void record(sl_store *st, const char *when, int users)
{
    sl_error err = {0};
    at(when);
    lt_users(st, users, 0);
    if (sl_store_refresh(st, SL_SOURCE_CRON, NULL, &err) != SL_OK)
        fail_msg("refresh: %s", err.message);
}

static void test_refresh_counts_under_the_current_plan(void **state)
{
    (void)state;
    char *dir;
    sl_store *st = licensed_store(&dir);
    sl_snapshot snap;
    sl_error err = {0};
    at("2026-11-22T12:00:00Z");
    lt_users(st, 3, 2);
    assert_int_equal(add(st, "Example", "ultimate", 100, "2026-01-01", "2026-12-31", NULL, NULL),
                     1);
    assert_int_equal(sl_store_refresh(st, SL_SOURCE_CLI, &snap, &err), SL_OK);
    assert_int_equal(snap.billable_user_count, 3);   /* guests are free on ultimate */
    assert_int_equal(lt_scalar(st, "SELECT license_id FROM snapshots"), 1);
    assert_int_equal(add(st, "Example", "premium", 100, "2026-01-01", "2026-12-31", NULL, NULL),
                     2);
    assert_int_equal(sl_store_refresh(st, SL_SOURCE_CLI, &snap, &err), SL_OK);
    assert_int_equal(snap.billable_user_count, 5);
    assert_int_equal(lt_scalar(st, "SELECT license_id FROM snapshots ORDER BY id DESC LIMIT 1"), 2);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

static void test_entity_figures_over_the_term(void **state)
{
    (void)state;
    char *dir, *json = NULL;
    sl_store *st = licensed_store(&dir);
    sl_error err = {0};
    at("2026-01-01T00:00:00Z");
    add(st, "Example", "premium", 10, "2026-01-01", "2026-12-31", NULL, NULL);
    record(st, "2026-01-01T00:00:00Z", 8);
    record(st, "2026-03-01T12:00:00Z", 15);
    record(st, "2026-11-22T12:00:00Z", 12);
    assert_int_equal(sl_store_license_entity_json(st, 1, 1, &json, &err), SL_OK);
    assert_non_null(strstr(json, "\"historical_max\":15,\"maximum_user_count\":15,"
                                 "\"expired\":false,\"overage\":2,\"user_limit\":10,"
                                 "\"active_users\":12,"));
    sl_free(json);
    /* expired: the overage of the maximum; a snapshot after the expiry date
     * is today's count but not in the term */
    record(st, "2026-12-31T23:59:59Z", 16);
    record(st, "2027-01-01T00:00:00Z", 11);
    at("2027-01-05T12:00:00Z");
    assert_int_equal(sl_store_license_entity_json(st, 1, 1, &json, &err), SL_OK);
    assert_non_null(strstr(json, "\"historical_max\":16,\"maximum_user_count\":16,"
                                 "\"expired\":true,\"overage\":6,\"user_limit\":10,"
                                 "\"active_users\":11,"));
    sl_free(json);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

static void test_add_refused_by_the_prior_year(void **state)
{
    (void)state;
    char *dir, *key;
    sl_store *st = licensed_store(&dir);
    sl_error err = {0};
    int64_t id = 0;
    at("2026-01-01T00:00:00Z");
    add(st, "Example", "premium", 20, "2026-01-01", "2026-12-31", NULL, NULL);
    record(st, "2026-06-01T12:00:00Z", 15);
    record(st, "2026-11-22T12:00:00Z", 9);
    key = issue("Example", "premium", 10, "2027-01-01", "2027-12-31", NULL, NULL);
    assert_int_equal(sl_store_license_add(st, key, strlen(key), SL_SOURCE_CLI, &id, &err),
                     SL_EINVAL);
    assert_string_equal(err.message,
                        "During the year before this license started, this installation had "
                        "15 active users, exceeding this license's limit of 10 by 5 users. "
                        "Please add a license for at least 15 users.");
    assert_int_equal(lt_scalar(st, "SELECT COUNT(*) FROM licenses"), 1);
    sl_free(key);
    /* a renewal of 20 seats (previous_user_count) only checks today's 9 users */
    assert_int_equal(add(st, "Example", "premium", 10, "2027-01-01", "2027-12-31", NULL,
                         ",\"previous_user_count\":20"), 2);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

static void test_usage_export_of_the_stored_key(void **state)
{
    (void)state;
    char *dir, *key, *csv = NULL, expected[8192];
    size_t n = 0, klen;
    sl_store *st = licensed_store(&dir);
    sl_error err = {0};
    FILE *f;
    at("2026-01-01T00:00:00Z");
    key = issue("=Evil \\\"Corp\\\", Inc.", "premium", 10, "2026-01-01", "2026-12-31", NULL,
                NULL);
    klen = strlen(key);
    assert_true(klen > 1 && key[klen - 1] == '\n');
    {
        int64_t id = 0;
        assert_int_equal(sl_store_license_add(st, key, klen, SL_SOURCE_CLI, &id, &err), SL_OK);
    }
    record(st, "2026-01-01T00:00:00Z", 3);
    record(st, "2026-07-01T12:30:00Z", 4);
    at("2026-11-22T12:00:00Z");
    f = open_memstream(&csv, &n);
    assert_non_null(f);
    assert_int_equal(sl_store_usage_export(st, f, &err), SL_OK);
    fclose(f);
    snprintf(expected, sizeof expected,
             "License Key,\"%s\"\n"
             "Email,ada@example.com\n"
             "License Start Date,2026-01-01\n"
             "License End Date,2026-12-31\n"
             "Company,\"'=Evil \"\"Corp\"\", Inc.\"\n"
             "Generated At,2026-11-22 12:00:00\n"
             "\"\",\"\"\n"
             "Date,Billable User Count\n"
             "2026-01-01 00:00:00,3\n"
             "2026-07-01 12:30:00,4\n", key);
    assert_string_equal(csv, expected);
    free(csv);
    sl_free(key);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

static void test_usage_export_needs_a_license(void **state)
{
    (void)state;
    char *dir, *csv = NULL;
    size_t n = 0;
    sl_store *st = licensed_store(&dir);
    sl_error err = {0};
    FILE *f = open_memstream(&csv, &n);
    at("2026-11-22T12:00:00Z");
    assert_int_equal(sl_store_usage_export(st, f, &err), SL_ENOTFOUND);
    assert_string_equal(err.message, "no current license");
    fclose(f);
    assert_int_equal(n, 0);
    free(csv);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

static void test_status_of_a_licensed_ledger(void **state)
{
    (void)state;
    char *dir;
    sl_store *st = licensed_store(&dir);
    sl_status s;
    sl_error err = {0};
    at("2026-01-01T00:00:00Z");
    add(st, "Example Corp", "premium", 10, "2026-01-01", "2026-12-01",
        ",\"block_changes_at\":\"2026-12-05\"", NULL);
    add(st, "Example Corp", "premium", 12, "2026-12-02", "2027-12-01", NULL, NULL);
    record(st, "2026-05-01T12:00:00Z", 11);
    record(st, "2026-11-20T12:00:00Z", 9);
    lt_users(st, 10, 0);
    at("2026-11-22T12:00:00Z");
    assert_int_equal(sl_store_status(st, &s, &err), SL_OK);
    assert_true(s.has_license);
    assert_int_equal(s.license_id, 1);
    assert_string_equal(s.plan, "premium");
    assert_string_equal(s.licensee_name, "Ada");
    assert_string_equal(s.licensee_email, "ada@example.com");
    assert_string_equal(s.licensee_company, "Example Corp");
    assert_int_equal(s.starts_on, lt_day("2026-01-01"));
    assert_int_equal(s.expires_on, lt_day("2026-12-01"));
    assert_int_equal(s.block_changes_on, lt_day("2026-12-05"));
    assert_int_equal(s.days_left, 9);
    assert_false(s.expired);
    assert_int_equal(s.seats, 10);
    assert_int_equal(s.billable_now, 10);
    assert_int_equal(s.daily_billable, 9);
    assert_int_equal(s.historical_max, 11);
    assert_int_equal(s.maximum_user_count, 11);
    assert_int_equal(s.overage, 0);
    assert_int_equal(s.snapshots, 2);
    assert_true(s.has_future_license);
    assert_int_equal(s.future_license_id, 2);
    assert_int_equal(s.future_starts_on, lt_day("2026-12-02"));
    assert_int_equal(s.notice_count, 4);
    assert_string_equal(s.notices[0], "license expires in 9 days on 2026-12-01");
    assert_string_equal(s.notices[1], "license blocks changes in 13 days on 2026-12-05");
    assert_string_equal(s.notices[2], "license is nearing its user limit: 9 of 10 seats used");
    assert_string_equal(s.notices[3], "license 2 starts on 2026-12-02");
    sl_status_free(&s);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refresh_counts_under_the_current_plan),
        cmocka_unit_test(test_entity_figures_over_the_term),
        cmocka_unit_test(test_add_refused_by_the_prior_year),
        cmocka_unit_test(test_usage_export_of_the_stored_key),
        cmocka_unit_test(test_usage_export_needs_a_license),
        cmocka_unit_test(test_status_of_a_licensed_ledger),
    };
    return cmocka_run_group_tests(tests, setup_keys, teardown_keys);
}
