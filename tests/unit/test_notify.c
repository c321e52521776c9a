/*
 * test_notify.c - the notification state machine (engine/notify/): an event
 * per change for the worse and no more, a new license starting afresh, what
 * each target is owed, claims that keep concurrent runs apart, outcomes, and
 * refused targets that leave the ledger as it was.
 */
#include "testutil.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOW "2026-11-22T12:00:00Z"

typedef struct fixture {
    char *dir;
    sl_store *st;
    char *priv;
} fixture;

static char *priv_pem, *pub_pem;

static int group_setup(void **state)
{
    sl_error err = {0};
    (void)state;
    assert_int_equal(sl_keys_generate(2048, &priv_pem, &pub_pem, &err), SL_OK);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    sl_free(priv_pem);
    sl_free(pub_pem);
    return 0;
}

static void add_license(sl_store *st, int seats, const char *expires)
{
    sl_error err = {0};
    int64_t id = 0;
    tu_license l = {.plan = "premium", .seats = seats, .starts = "2026-01-01", .expires = expires};
    char *key = tu_issue(priv_pem, &l);
    if (sl_store_license_add(st, key, strlen(key), SL_SOURCE_CLI, &id, &err) != SL_OK)
        fail_msg("license add: %s", err.message);
    sl_free(key);
}

static void users(sl_store *st, int n)
{
    char buf[4096];
    size_t len = (size_t)snprintf(buf, sizeof buf, "id,username,state\n");
    sl_error err = {0};
    FILE *in;
    for (int i = 1; i <= n; i++)
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%d,u%d,active\n", i, i);
    in = fmemopen(buf, len, "r");
    assert_int_equal(sl_store_users_import(st, in, SL_USERS_CSV, 1, 0, NULL, NULL, NULL, &err), SL_OK);
    fclose(in);
    assert_int_equal(sl_store_refresh(st, SL_SOURCE_CLI, NULL, &err), SL_OK);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    sl_error err = {0};
    assert_non_null(f);
    setenv("SEATLEDGER_NOW", NOW, 1);
    f->st = tu_store(&f->dir);
    assert_int_equal(sl_store_key_trust(f->st, pub_pem, strlen(pub_pem), "vendor", &err), SL_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    sl_store_close(f->st);
    tu_rmtree(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

/* The events a check records, as "id name;..." */
static char *check(sl_store *st, const char *const *targets, size_t n)
{
    sl_notify_event *ev = NULL;
    size_t count = 0, len = 0;
    sl_error err = {0};
    char *out = calloc(1, 1024);
    if (sl_store_notify_check(st, targets, n, &ev, &count, &err) != SL_OK)
        fail_msg("check: %s", err.message);
    for (size_t i = 0; i < count; i++)
        len += (size_t)snprintf(out + len, 1024 - len, "%lld %s;", (long long)ev[i].id, ev[i].event);
    sl_notify_events_free(ev, count);
    return out;
}

#define EXPECT_CHECK(st, targets, n, want)      \
    do {                                        \
        char *got_ = check(st, targets, n);     \
        assert_string_equal(got_, want);        \
        free(got_);                             \
    } while (0)

static void test_once_per_change(void **state)
{
    fixture *f = *state;
    add_license(f->st, 10, "2027-06-01");
    EXPECT_CHECK(f->st, NULL, 0, "1 snapshot.missing;");
    EXPECT_CHECK(f->st, NULL, 0, "");
    users(f->st, 9);
    EXPECT_CHECK(f->st, NULL, 0, "2 seats.threshold;");
    EXPECT_CHECK(f->st, NULL, 0, "");
    /* straight from threshold to over: one event, the worst */
    users(f->st, 12);
    EXPECT_CHECK(f->st, NULL, 0, "3 seats.exceeded;");
    EXPECT_CHECK(f->st, NULL, 0, "");
    setenv("SEATLEDGER_NOW", "2027-05-30T12:00:00Z", 1);
    {   /* half a year later: the admin confirms the clock */
        sl_error err = {0};
        int recorded = 0;
        assert_int_equal(sl_store_clock_confirm(f->st, SL_SOURCE_CLI, &recorded, &err), SL_OK);
    }
    EXPECT_CHECK(f->st, NULL, 0, "4 license.expiring;5 snapshot.missing;");
    EXPECT_CHECK(f->st, NULL, 0, "");
}

static void test_new_license_starts_afresh(void **state)
{
    fixture *f = *state;
    add_license(f->st, 10, "2027-06-01");
    users(f->st, 9);
    EXPECT_CHECK(f->st, NULL, 0, "1 seats.threshold;");
    /* the same level under another license is a change */
    add_license(f->st, 10, "2027-07-01");
    EXPECT_CHECK(f->st, NULL, 0, "2 seats.threshold;");
    EXPECT_CHECK(f->st, NULL, 0, "");
}

static void test_event_words(void **state)
{
    fixture *f = *state;
    sl_notify_event *ev = NULL;
    size_t n = 0;
    sl_error err = {0};
    add_license(f->st, 10, "2027-06-01");
    users(f->st, 10);
    assert_int_equal(sl_store_notify_check(f->st, NULL, 0, &ev, &n, &err), SL_OK);
    assert_int_equal(n, 1);
    assert_string_equal(ev[0].event, "seats.reached");
    assert_string_equal(ev[0].mail_subject, "Your subscription is nearing its user limit");
    assert_string_equal(ev[0].document,
        "{\"id\":1,\"event\":\"seats.reached\",\"fired_at\":\"2026-11-22T12:00:00.000Z\","
        "\"message\":\"license has reached its user limit: 10 of 10 seats used\","
        "\"subject\":\"Your subscription is nearing its user limit\",\"license\":{\"id\":1,"
        "\"plan\":\"premium\",\"licensee\":{\"name\":\"Ada\",\"email\":\"ada@example.com\","
        "\"company\":\"Example Corp\"},\"starts_on\":\"2026-01-01\",\"expires_on\":\"2027-06-01\","
        "\"trial\":false},\"figures\":{\"seats\":10,\"billable_users\":10,\"maximum_users\":10,"
        "\"users_over_license\":0,\"days_left\":191,\"last_snapshot_at\":\"2026-11-22T12:00:00.000Z\"}}");
    assert_string_equal(ev[0].mail_text,
        "License has reached its user limit: 10 of 10 seats used.\n\n"
        "License:            1 (premium)\n"
        "Licensee:           Ada <ada@example.com>, Example Corp\n"
        "Term:               2026-01-01 to 2027-06-01\n"
        "Seats:              10\n"
        "Billable users:     10\n"
        "Maximum users:      10\n"
        "Users over license: 0\n"
        "Last snapshot:      2026-11-22 12:00:00 UTC\n\n"
        "Event seats.reached (1), recorded by seatledger at 2026-11-22T12:00:00.000Z.\n");
    sl_notify_events_free(ev, n);
}

static void test_deliveries(void **state)
{
    fixture *f = *state;
    const char *const a[] = {"exec:/bin/true"};
    const char *const b[] = {"mail:ops@example.com"};
    sl_notify_event *ev = NULL;
    size_t n = 0;
    int64_t owed = -1;
    sl_error err = {0};
    add_license(f->st, 10, "2027-06-01");
    assert_int_equal(sl_store_notify_claim(f->st, a[0], 1000, &ev, &n, &err), SL_ENOTFOUND);
    EXPECT_CHECK(f->st, a, 1, "1 snapshot.missing;");
    /* claimed and held: another claim sees nothing until the outcome */
    assert_int_equal(sl_store_notify_claim(f->st, a[0], 60000, &ev, &n, &err), SL_OK);
    assert_int_equal(n, 1);
    assert_int_equal(ev[0].id, 1);
    assert_int_equal(ev[0].attempt, 1);
    assert_null(ev[0].last_error);
    sl_notify_events_free(ev, n);
    assert_int_equal(sl_store_notify_claim(f->st, a[0], 60000, &ev, &n, &err), SL_OK);
    assert_int_equal(n, 0);
    assert_null(ev);
    assert_int_equal(sl_store_notify_owed(f->st, a[0], &owed, &err), SL_OK);
    assert_int_equal(owed, 1);
    /* a failure keeps it owed, with the reason */
    assert_int_equal(sl_store_notify_done(f->st, 1, a[0], "exit status 75", &err), SL_OK);
    assert_int_equal(sl_store_notify_claim(f->st, a[0], 60000, &ev, &n, &err), SL_OK);
    assert_int_equal(n, 1);
    assert_int_equal(ev[0].attempt, 2);
    assert_string_equal(ev[0].last_error, "exit status 75");
    sl_notify_events_free(ev, n);
    assert_int_equal(sl_store_notify_done(f->st, 1, a[0], NULL, &err), SL_OK);
    assert_int_equal(sl_store_notify_owed(f->st, a[0], &owed, &err), SL_OK);
    assert_int_equal(owed, 0);
    assert_int_equal(sl_store_notify_claim(f->st, a[0], 60000, &ev, &n, &err), SL_OK);
    assert_int_equal(n, 0);
    assert_int_equal(sl_store_notify_done(f->st, 99, a[0], NULL, &err), SL_ENOTFOUND);
    /* a target named later is owed the condition still in force */
    EXPECT_CHECK(f->st, b, 1, "");
    assert_int_equal(sl_store_notify_owed(f->st, b[0], &owed, &err), SL_OK);
    assert_int_equal(owed, 1);
    /* once it is no longer in force, a new target is owed nothing of it */
    users(f->st, 1);
    EXPECT_CHECK(f->st, NULL, 0, "");
    EXPECT_CHECK(f->st, (const char *const[]){"exec:/bin/late"}, 1, "");
    assert_int_equal(sl_store_notify_owed(f->st, "exec:/bin/late", &owed, &err), SL_OK);
    assert_int_equal(owed, 0);
}

static void test_two_connections(void **state)
{
    fixture *f = *state;
    sl_store *other = NULL;
    sl_notify_event *ev = NULL;
    size_t n = 0;
    sl_error err = {0};
    const char *const t[] = {"exec:x"};
    add_license(f->st, 10, "2027-06-01");
    assert_int_equal(sl_store_open(sl_store_path(f->st), 0, &other, &err), SL_OK);
    EXPECT_CHECK(f->st, t, 1, "1 snapshot.missing;");
    EXPECT_CHECK(other, t, 1, "");
    /* a claim on one connection holds the event from the other */
    assert_int_equal(sl_store_notify_claim(f->st, t[0], 60000, &ev, &n, &err), SL_OK);
    assert_int_equal(n, 1);
    sl_notify_events_free(ev, n);
    assert_int_equal(sl_store_notify_claim(other, t[0], 60000, &ev, &n, &err), SL_OK);
    assert_int_equal(n, 0);
    sl_store_close(other);
}

static int64_t count_rows(sl_store *st, const char *table)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    char sql[128];
    int64_t n = -1;
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM %s", table);
    assert_int_equal(sqlite3_open_v2(sl_store_path(st), &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    if (sqlite3_step(s) == SQLITE_ROW)
        n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return n;
}

static void test_refused_targets(void **state)
{
    fixture *f = *state;
    sl_notify_event *ev = NULL;
    size_t n = 0;
    sl_error err = {0};
    char *big = malloc(SL_NOTIFY_TARGET_MAX + 2);
    const char *many[SL_NOTIFY_TARGETS_MAX + 1];
    assert_non_null(big);
    memset(big, 'x', SL_NOTIFY_TARGET_MAX + 1);
    big[SL_NOTIFY_TARGET_MAX + 1] = '\0';
    for (size_t i = 0; i <= SL_NOTIFY_TARGETS_MAX; i++)
        many[i] = "exec:x";
    add_license(f->st, 10, "2027-06-01");
    {
        const char *const t[] = {"exec:ok", ""};
        assert_int_equal(sl_store_notify_check(f->st, t, 2, &ev, &n, &err), SL_EINVAL);
        assert_string_equal(err.message, "empty notification target");
    }
    {
        const char *const t[] = {"mail:a@b.c\nBcc: x@y.z"};
        assert_int_equal(sl_store_notify_check(f->st, t, 1, &ev, &n, &err), SL_EINVAL);
        assert_string_equal(err.message, "notification target 'mail:a@b.c\nBcc: x@y.z' has a control character");
    }
    {
        const char *const t[] = {big};
        assert_int_equal(sl_store_notify_check(f->st, t, 1, &ev, &n, &err), SL_ETOOBIG);
    }
    assert_int_equal(sl_store_notify_check(f->st, many, SL_NOTIFY_TARGETS_MAX + 1, &ev, &n, &err),
                     SL_EINVAL);
    assert_null(ev);
    assert_int_equal(n, 0);
    /* nothing was written by any of them */
    assert_int_equal(count_rows(f->st, "notify_targets"), 0);
    assert_int_equal(count_rows(f->st, "notify_state"), 0);
    assert_int_equal(count_rows(f->st, "notify_events"), 0);
    free(big);
}

static void test_addon_events(void **state)
{
    fixture *f = *state;
    sl_error err = {0};
    sl_notify_event *ev = NULL;
    sl_addon_purchase p;
    sl_seat_error se = SL_SEAT_OK;
    size_t n = 0;
    int64_t id = 0;
    const char *const ids[] = {"1", "2"};
    /* a cloud license with 2 Duo Pro seats ending in 30 days */
    tu_license l = {.plan = "premium", .seats = 10, .starts = "2026-01-01", .expires = "2027-06-01",
                    .extra = ",\"cloud_licensing_enabled\":true",
                    .extra_restrictions = ",\"add_on_products\":{\"duo_pro\":[{\"quantity\":2,"
                                          "\"started_on\":\"2026-01-01\",\"expires_on\":\"2026-12-22\"}]}"};
    char *key = tu_issue(priv_pem, &l);
    if (sl_store_license_add(f->st, key, strlen(key), SL_SOURCE_CLI, &id, &err) != SL_OK)
        fail_msg("license add: %s", err.message);
    sl_free(key);
    users(f->st, 3);
    EXPECT_CHECK(f->st, NULL, 0, "");
    assert_int_equal(sl_store_addon_purchase_find(f->st, SL_ADDON_DUO_PRO, &p, &err), SL_OK);
    assert_int_equal(sl_store_seats_assign(f->st, p.id, ids, 2, 1, "cli", NULL, &se, &err), SL_OK);
    sl_addon_purchase_clear(&p);
    assert_int_equal(sl_store_notify_check(f->st, NULL, 0, &ev, &n, &err), SL_OK);
    assert_int_equal(n, 1);
    assert_string_equal(ev[0].event, "addon.seats_full");
    assert_string_equal(ev[0].mail_subject, "seatledger: duo_pro seats are all assigned");
    assert_non_null(strstr(ev[0].document,
        ",\"add_on\":{\"name\":\"duo_pro\",\"quantity\":2,\"assigned\":2,"
        "\"expires_on\":\"2026-12-22\",\"days_left\":30}}"));
    assert_non_null(strstr(ev[0].mail_text,
        "Add-on:             duo_pro, 2 of 2 seats assigned, until 2026-12-22\n"));
    sl_notify_events_free(ev, n);
    EXPECT_CHECK(f->st, NULL, 0, "");
    /* 15 days before the end (and no refresh for two weeks) */
    setenv("SEATLEDGER_NOW", "2026-12-07T12:00:00Z", 1);
    EXPECT_CHECK(f->st, NULL, 0, "2 snapshot.missing;3 addon.expiring;");
    setenv("SEATLEDGER_NOW", "2026-12-08T12:00:00Z", 1);
    EXPECT_CHECK(f->st, NULL, 0, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_once_per_change, setup, teardown),
        cmocka_unit_test_setup_teardown(test_new_license_starts_afresh, setup, teardown),
        cmocka_unit_test_setup_teardown(test_event_words, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deliveries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_connections, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_targets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_addon_events, setup, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
