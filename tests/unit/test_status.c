/*
 * test_status.c - the notices of `seatledger status`: expiry windows (15
 * days, 7 for trials), block-changes date, the seat-threshold table,
 * overage, a waiting future-dated license and a stale ledger; and the
 * status of a ledger without a license.
 */
#include "ledger_testutil.h"

#define DAY_MS 86400000LL

static int set_clock(void **state)
{
    (void)state;
    setenv("SEATLEDGER_NOW", "2026-11-22T12:00:00Z", 1);
    return 0;
}

/* A licensed status on 2026-11-22 with a fresh snapshot and nothing to say. */
static sl_status quiet(void)
{
    sl_status s;
    memset(&s, 0, sizeof s);
    s.has_license = 1;
    s.license_id = 1;
    s.starts_on = lt_day("2026-01-01");
    s.expires_on = lt_day("2027-12-31");
    s.block_changes_on = SL_DATE_NONE;
    s.future_starts_on = SL_DATE_NONE;
    s.today = lt_day("2026-11-22");
    s.seats = -1;
    s.snapshots = 1;
    s.last_snapshot_ms = lt_ms("2026-11-22T12:00:00Z");
    return s;
}

/* The notices of s at 2026-11-22 12:00, joined with " | ". */
static char *notices(sl_status *s)
{
    sl_error err = {0};
    char *out = calloc(1, 4096);
    assert_non_null(out);
    assert_int_equal(sl__status_notices(s, lt_ms("2026-11-22T12:00:00Z"), &err), SL_OK);
    for (size_t i = 0; i < s->notice_count; i++) {
        if (i)
            strcat(out, " | ");
        strcat(out, s->notices[i]);
    }
    sl_status_free(s);
    return out;
}

#define ASSERT_NOTICES(s, expected)       \
    do {                                  \
        char *got_ = notices(&(s));       \
        assert_string_equal(got_, expected); \
        free(got_);                       \
    } while (0)

static void test_quiet(void **state)
{
    (void)state;
    sl_status s = quiet();
    ASSERT_NOTICES(s, "");
}

static void test_expiry_windows(void **state)
{
    (void)state;
    sl_status s = quiet();
    s.expires_on = s.today + 16;
    ASSERT_NOTICES(s, "");
    s = quiet();
    s.expires_on = s.today + 15;
    ASSERT_NOTICES(s, "license expires in 15 days on 2026-12-07");
    s = quiet();
    s.expires_on = s.today + 1;
    ASSERT_NOTICES(s, "license expires in 1 day on 2026-11-23");
    /* trials: 7 days */
    s = quiet();
    s.trial = 1;
    s.expires_on = s.today + 8;
    ASSERT_NOTICES(s, "");
    s = quiet();
    s.trial = 1;
    s.expires_on = s.today + 7;
    ASSERT_NOTICES(s, "license expires in 7 days on 2026-11-29");
    s = quiet();
    s.expired = 1;
    s.expires_on = s.today;
    ASSERT_NOTICES(s, "license expired on 2026-11-22");
}

static void test_block_changes(void **state)
{
    (void)state;
    sl_status s = quiet();
    s.block_changes_on = s.today + 16;
    ASSERT_NOTICES(s, "");
    s = quiet();
    s.block_changes_on = s.today + 3;
    ASSERT_NOTICES(s, "license blocks changes in 3 days on 2026-11-25");
    s = quiet();
    s.block_changes_on = s.today;
    ASSERT_NOTICES(s, "license has blocked changes since 2026-11-22");
}

/* Whether the threshold notice shows for `used` of `seats`. */
static int threshold(int64_t seats, int64_t used)
{
    sl_status s = quiet();
    sl_error err = {0};
    int shown;
    s.seats = seats;
    s.daily_billable = used;
    assert_int_equal(sl__status_notices(&s, lt_ms("2026-11-22T12:00:00Z"), &err), SL_OK);
    shown = s.notice_count == 1 && strstr(s.notices[0], "nearing its user limit") != NULL;
    assert_true(s.notice_count == (size_t)shown);
    sl_status_free(&s);
    return shown;
}

static void test_seat_threshold_table(void **state)
{
    (void)state;
    sl_status s = quiet();
    /* 0-15 seats: 1 remaining */
    assert_true(threshold(0, 0));
    assert_true(threshold(15, 14));
    assert_false(threshold(15, 13));
    /* 16-25: 2 */
    assert_true(threshold(16, 14));
    assert_false(threshold(16, 13));
    assert_true(threshold(25, 23));
    assert_false(threshold(25, 22));
    /* 26-99: 10 % */
    assert_true(threshold(26, 24));    /* 2 <= 2.6 */
    assert_false(threshold(26, 23));   /* 3 > 2.6 */
    assert_true(threshold(50, 45));
    assert_false(threshold(50, 44));
    /* 100-999: 8 % */
    assert_true(threshold(100, 92));
    assert_false(threshold(100, 91));
    assert_true(threshold(999, 920));  /* 79 <= 79.92 */
    assert_false(threshold(999, 919));
    /* 1000+: 5 % */
    assert_true(threshold(1000, 950));
    assert_false(threshold(1000, 949));
    assert_true(threshold(2147483647, 2040109465));   /* 107374182 <= 107374182.35 */
    assert_false(threshold(2147483647, 2040109464));
    /* reached when used equals seats */
    assert_true(threshold(5000, 5000));
    s.seats = 1000;
    s.daily_billable = 1000;
    ASSERT_NOTICES(s, "license is nearing its user limit: 1,000 of 1,000 seats used");
}

static void test_overage(void **state)
{
    (void)state;
    sl_status s = quiet();
    s.seats = 100;
    s.daily_billable = 110;
    s.maximum_user_count = 120;
    s.overage = 10;
    ASSERT_NOTICES(s, "license is over its user limit by 10 users: 110 of 100 seats used");
    /* expired: the maximum is what is owed */
    s = quiet();
    s.expired = 1;
    s.expires_on = s.today - 1;
    s.seats = 100;
    s.daily_billable = 90;
    s.maximum_user_count = 101;
    s.overage = 1;
    ASSERT_NOTICES(s, "license expired on 2026-11-21 | "
                      "license is over its user limit by 1 user: 101 of 100 seats used");
}

static void test_future_license_and_stale_ledger(void **state)
{
    (void)state;
    sl_status s = quiet();
    s.has_future_license = 1;
    s.future_license_id = 7;
    s.future_starts_on = lt_day("2027-01-01");
    ASSERT_NOTICES(s, "license 7 starts on 2027-01-01");
    s = quiet();
    s.last_snapshot_ms = lt_ms("2026-11-20T12:00:00Z");   /* exactly 2 days */
    ASSERT_NOTICES(s, "");
    s = quiet();
    s.last_snapshot_ms = lt_ms("2026-11-20T11:59:59Z");
    ASSERT_NOTICES(s, "last snapshot was recorded 2 days ago on 2026-11-20: "
                      "run seatledger refresh");
    s = quiet();
    s.last_snapshot_ms = lt_ms("2026-11-12T12:00:00Z");
    ASSERT_NOTICES(s, "last snapshot was recorded 10 days ago on 2026-11-12: "
                      "run seatledger refresh");
    s = quiet();
    s.snapshots = 0;
    s.last_snapshot_ms = 0;
    ASSERT_NOTICES(s, "no snapshot recorded yet: run seatledger refresh");
}

static void test_store_status_without_license(void **state)
{
    (void)state;
    char *dir;
    sl_store *st = tu_store(&dir);
    sl_status s;
    sl_error err = {0};
    lt_users(st, 3, 1);
    lt_snapshot(st, "2025-11-22T11:59:59.999Z", 50);   /* more than a year ago */
    lt_snapshot(st, "2026-06-01T12:00:00Z", 9);
    lt_snapshot(st, "2026-11-19T12:00:00Z", 2);
    assert_int_equal(sl_store_status(st, &s, &err), SL_OK);
    assert_false(s.has_license);
    assert_null(s.plan);
    assert_int_equal(s.today, lt_day("2026-11-22"));
    assert_int_equal(s.expires_on, SL_DATE_NONE);
    assert_int_equal(s.days_left, -1);
    assert_int_equal(s.seats, -1);
    assert_int_equal(s.billable_now, 4);
    assert_int_equal(s.daily_billable, 2);
    assert_int_equal(s.historical_max, 9);
    assert_int_equal(s.maximum_user_count, 9);
    assert_int_equal(s.overage, 0);
    assert_int_equal(s.snapshots, 3);
    assert_int_equal(s.last_snapshot_ms, lt_ms("2026-11-19T12:00:00Z"));
    assert_false(s.has_future_license);
    assert_int_equal(s.notice_count, 2);
    assert_string_equal(s.notices[0], "no current license: add one with seatledger license add");
    assert_string_equal(s.notices[1],
                        "last snapshot was recorded 3 days ago on 2026-11-19: "
                        "run seatledger refresh");
    sl_status_free(&s);
    sl_status_free(NULL);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quiet),
        cmocka_unit_test(test_expiry_windows),
        cmocka_unit_test(test_block_changes),
        cmocka_unit_test(test_seat_threshold_table),
        cmocka_unit_test(test_overage),
        cmocka_unit_test(test_future_license_and_stale_ledger),
        cmocka_unit_test_setup(test_store_status_without_license, set_clock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
