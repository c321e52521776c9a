/*
 * test_add_checks.c - the user-count, true-up and available-seats checks run
 * when a license is added: every branch with its exact message, the prior
 * period to the millisecond, pluralisation and thousands separators.
 */
#include "ledger_testutil.h"

static int set_clock(void **state)
{
    (void)state;
    setenv("SEATLEDGER_NOW", "2026-11-22T12:00:00Z", 1);
    return 0;
}

#define MSG_A(n, s, o, need)                                                              \
    "This installation currently has " n ", exceeding this license's limit of " s " by " o \
    ". Please add a license for at least " need "."
#define MSG_B(n, s, o, need)                                                                \
    "During the year before this license started, this installation had " n ", exceeding " \
    "this license's limit of " s " by " o ". Please add a license for at least " need "."

typedef struct fixture {
    char *dir;
    sl_store *st;
    sl_error err;
} fixture;

static int open_ledger(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    set_clock(state);
    f->st = tu_store(&f->dir);
    *state = f;
    return 0;
}

static int close_ledger(void **state)
{
    fixture *f = *state;
    sl_store_close(f->st);
    tu_rmtree(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

/* The new key of most cases: premium, 2026-01-01 .. 2026-12-31. */
static sl_license_info new_key(int64_t seats)
{
    return lt_info("premium", seats, "2026-01-01", "2026-12-31");
}

static sl_rc check(fixture *f, const sl_license_info *lic, const sl_license_info *cur)
{
    memset(&f->err, 0, sizeof f->err);
    return sl__add_checks_info(f->st, lic, cur, &f->err);
}

static void test_skipped_for_cloud_and_unrestricted(void **state)
{
    fixture *f = *state;
    sl_license_info lic = new_key(1);
    lt_snapshot(f->st, "2025-06-01T12:00:00Z", 500);
    lt_snapshot(f->st, "2026-11-22T12:00:00Z", 500);
    assert_int_equal(check(f, &lic, NULL), SL_EINVAL);
    lic.cloud_licensing_enabled = 1;
    assert_int_equal(check(f, &lic, NULL), SL_OK);
    lic = new_key(SL_COUNT_NONE);
    assert_int_equal(check(f, &lic, NULL), SL_OK);
    /* cloud skips the true-up and available-seats checks as well */
    lic = new_key(1);
    lic.cloud_licensing_enabled = 1;
    lic.reconciliation_completed = 1;
    assert_int_equal(check(f, &lic, NULL), SL_OK);
}

static void test_users_limit_prior_year_message_b(void **state)
{
    fixture *f = *state;
    sl_license_info lic = new_key(100);
    /* no current license: the prior period is the new term minus a year */
    lt_snapshot(f->st, "2025-03-01T12:00:00Z", 110);
    lt_snapshot(f->st, "2026-11-22T12:00:00Z", 5);
    /* threshold floor(100 * 1.1) = 110: exactly at it passes */
    assert_int_equal(check(f, &lic, NULL), SL_OK);
    lt_snapshot(f->st, "2025-04-01T12:00:00Z", 111);
    assert_int_equal(check(f, &lic, NULL), SL_EINVAL);
    assert_string_equal(f->err.message, MSG_B("111 active users", "100", "11 users", "111 users"));
}

static void test_users_limit_previous_user_count_message_a(void **state)
{
    fixture *f = *state;
    sl_license_info lic = new_key(10);
    lic.previous_user_count = 20;
    /* the prior max is within the previous license's seats: check today's count */
    lt_snapshot(f->st, "2025-03-01T12:00:00Z", 20);
    lt_snapshot(f->st, "2026-11-22T12:00:00Z", 11);
    assert_int_equal(check(f, &lic, NULL), SL_OK);
    lt_snapshot(f->st, "2026-11-22T12:00:00Z", 12);
    assert_int_equal(check(f, &lic, NULL), SL_EINVAL);
    assert_string_equal(f->err.message, MSG_A("12 active users", "10", "2 users", "12 users"));
    /* a prior max over previous_user_count falls back to message B */
    lt_snapshot(f->st, "2025-03-02T12:00:00Z", 21);
    assert_int_equal(check(f, &lic, NULL), SL_EINVAL);
    assert_string_equal(f->err.message, MSG_B("21 active users", "10", "11 users", "21 users"));
}

static void test_messages_pluralise_and_separate_thousands(void **state)
{
    fixture *f = *state;
    sl_license_info lic = new_key(0);
    lic.previous_user_count = 0;
    lt_snapshot(f->st, "2026-11-22T12:00:00Z", 1);
    assert_int_equal(check(f, &lic, NULL), SL_EINVAL);
    assert_string_equal(f->err.message, MSG_A("1 active user", "0", "1 user", "1 user"));
    lic = new_key(1000);
    lic.previous_user_count = 5000;
    lt_snapshot(f->st, "2026-11-22T12:00:01Z", 1234);
    assert_int_equal(check(f, &lic, NULL), SL_EINVAL);
    assert_string_equal(f->err.message,
                        MSG_A("1,234 active users", "1,000", "234 users", "1,234 users"));
    lic = new_key(1000);
    lt_snapshot(f->st, "2025-07-01T00:00:00Z", 1234567);
    assert_int_equal(check(f, &lic, NULL), SL_EINVAL);
    assert_string_equal(f->err.message, MSG_B("1,234,567 active users", "1,000",
                                              "1,233,567 users", "1,234,567 users"));
}

/* One snapshot of 50 at `at`; seats 10: the check fails only when `at`
 * lies in the prior period of (lic, cur). */
static sl_rc prior_period_sees(const char *at, const sl_license_info *lic,
                               const sl_license_info *cur)
{
    char *dir;
    sl_store *st = tu_store(&dir);
    sl_error err = {0};
    sl_rc rc;
    lt_snapshot(st, at, 50);
    lt_snapshot(st, "2026-11-22T12:00:00Z", 1);
    rc = sl__add_checks_info(st, lic, cur, &err);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
    return rc;
}

static void test_prior_period_boundaries(void **state)
{
    (void)state;
    sl_license_info lic = lt_info("premium", 10, "2027-01-01", "2027-12-31");
    sl_license_info cur = lt_info("premium", 50, "2025-02-01", "2026-01-31");
    /* with a current license: its term */
    assert_int_equal(prior_period_sees("2025-01-31T23:59:59.999Z", &lic, &cur), SL_OK);
    assert_int_equal(prior_period_sees("2025-02-01T00:00:00.000Z", &lic, &cur), SL_EINVAL);
    assert_int_equal(prior_period_sees("2026-01-31T23:59:59.000Z", &lic, &cur), SL_EINVAL);
    assert_int_equal(prior_period_sees("2026-02-01T00:00:00.000Z", &lic, &cur), SL_OK);
    /* without one: the new key's term a year earlier */
    assert_int_equal(prior_period_sees("2025-12-31T23:59:59.999Z", &lic, NULL), SL_OK);
    assert_int_equal(prior_period_sees("2026-01-01T00:00:00.000Z", &lic, NULL), SL_EINVAL);
    assert_int_equal(prior_period_sees("2026-12-31T23:59:59.000Z", &lic, NULL), SL_EINVAL);
    assert_int_equal(prior_period_sees("2027-01-01T00:00:00.000Z", &lic, NULL), SL_OK);
    /* a current license without expiry: P1 from the new key's expiry */
    cur.expires_on = SL_DATE_NONE;
    assert_int_equal(prior_period_sees("2026-12-31T23:59:59.000Z", &lic, &cur), SL_EINVAL);
    assert_int_equal(prior_period_sees("2027-01-01T00:00:00.000Z", &lic, &cur), SL_OK);
    /* no expiry anywhere: up to the end of the new key's start date */
    lic.expires_on = SL_DATE_NONE;
    assert_int_equal(prior_period_sees("2027-01-01T23:59:59.999Z", &lic, NULL), SL_EINVAL);
    assert_int_equal(prior_period_sees("2027-01-02T00:00:00.000Z", &lic, NULL), SL_OK);
}

/* A true-up key: 10 seats, true-up for 2025 of `qty`. */
static sl_license_info trueup_key(int64_t qty, int64_t period_seats, int64_t previous)
{
    sl_license_info lic = new_key(10);
    lic.trueup_present = 1;
    lic.trueup_quantity = qty;
    lic.trueup_period_seat_count = period_seats;
    lic.previous_user_count = previous;
    lic.trueup_from = lt_day("2025-01-01");
    lic.trueup_to = lt_day("2025-12-31");
    return lic;
}

static void test_trueup_message_c(void **state)
{
    fixture *f = *state;
    sl_license_info lic = trueup_key(5, 10, SL_COUNT_NONE);
    lt_snapshot(f->st, "2025-12-31T23:59:59Z", 16);   /* expected = 16 - 10 = 6 */
    lt_snapshot(f->st, "2026-01-01T00:00:00Z", 900);  /* after the true-up period */
    lt_snapshot(f->st, "2026-11-22T12:00:00Z", 3);
    /* floor(5 * 1.1) = 5 < 6 */
    assert_int_equal(check(f, &lic, NULL), SL_EINVAL);
    assert_string_equal(f->err.message,
                        "You have applied a True-up for 5 users but you need one for 6 users.");
    /* floor(6 * 1.1) = 6: enough; then available seats passes (3 <= 11) */
    lic.trueup_quantity = 6;
    assert_int_equal(check(f, &lic, NULL), SL_OK);
    /* period seats fall back to previous_user_count */
    lic = trueup_key(5, SL_COUNT_NONE, 10);
    assert_int_equal(check(f, &lic, NULL), SL_EINVAL);
    assert_string_equal(f->err.message,
                        "You have applied a True-up for 5 users but you need one for 6 users.");
    /* trueup_period_seat_count wins over previous_user_count */
    lic = trueup_key(5, 11, 0);
    assert_int_equal(check(f, &lic, NULL), SL_OK);
}

static void test_trueup_pluralisation(void **state)
{
    fixture *f = *state;
    sl_license_info lic = trueup_key(1, 10, SL_COUNT_NONE);
    lt_snapshot(f->st, "2025-06-01T12:00:00Z", 12);
    assert_int_equal(check(f, &lic, NULL), SL_EINVAL);
    assert_string_equal(f->err.message,
                        "You have applied a True-up for 1 user but you need one for 2 users.");
    lic = trueup_key(0, 11, SL_COUNT_NONE);
    assert_int_equal(check(f, &lic, NULL), SL_EINVAL);
    assert_string_equal(f->err.message,
                        "You have applied a True-up for 0 users but you need one for 1 user.");
    lic = trueup_key(1000, 0, SL_COUNT_NONE);
    lt_snapshot(f->st, "2025-06-02T12:00:00Z", 1200);
    assert_int_equal(check(f, &lic, NULL), SL_EINVAL);
    assert_string_equal(f->err.message,
                        "You have applied a True-up for 1,000 users "
                        "but you need one for 1,200 users.");
}

static void test_trueup_without_period_seats_checks_available_seats(void **state)
{
    fixture *f = *state;
    sl_license_info lic = trueup_key(0, SL_COUNT_NONE, SL_COUNT_NONE);
    /* a huge true-up period max does not matter without period seats ... */
    lt_snapshot(f->st, "2025-06-01T12:00:00Z", 900);
    lt_snapshot(f->st, "2026-11-22T12:00:00Z", 11);
    assert_int_equal(check(f, &lic, NULL), SL_OK);
    /* ... only today's count against the seats */
    lt_snapshot(f->st, "2026-11-22T12:00:01Z", 12);
    assert_int_equal(check(f, &lic, NULL), SL_EINVAL);
    assert_string_equal(f->err.message, MSG_A("12 active users", "10", "2 users", "12 users"));
    /* a passing true-up still checks available seats */
    lic = trueup_key(1000, 0, SL_COUNT_NONE);
    assert_int_equal(check(f, &lic, NULL), SL_EINVAL);
    assert_string_equal(f->err.message, MSG_A("12 active users", "10", "2 users", "12 users"));
}

static void test_trueup_unparseable_dates_fall_back_to_prior_period(void **state)
{
    fixture *f = *state;
    sl_license_info lic = trueup_key(0, 10, SL_COUNT_NONE);
    /* 2024-06-01 is outside the stated true-up period but inside the prior
     * period of a current license running 2024-01-01 .. 2025-12-31 */
    sl_license_info cur = lt_info("premium", 10, "2024-01-01", "2025-12-31");
    lt_snapshot(f->st, "2024-06-01T12:00:00Z", 11);
    lt_snapshot(f->st, "2026-11-22T12:00:00Z", 1);
    assert_int_equal(check(f, &lic, &cur), SL_OK);
    lic.trueup_from = SL_DATE_NONE;
    assert_int_equal(check(f, &lic, &cur), SL_EINVAL);
    assert_string_equal(f->err.message,
                        "You have applied a True-up for 0 users but you need one for 1 user.");
    /* and an unparseable end falls back to P1 */
    lic = trueup_key(0, 10, SL_COUNT_NONE);
    lic.trueup_from = lt_day("2025-12-01");
    lic.trueup_to = SL_DATE_NONE;
    lt_snapshot(f->st, "2025-12-31T23:59:59Z", 12);
    lt_snapshot(f->st, "2026-01-01T00:00:00Z", 50);   /* after P1 */
    assert_int_equal(check(f, &lic, &cur), SL_EINVAL);
    assert_string_equal(f->err.message,
                        "You have applied a True-up for 0 users but you need one for 2 users.");
}

static void test_reconciliation_completed_checks_available_seats_only(void **state)
{
    fixture *f = *state;
    sl_license_info lic = new_key(100);
    lic.reconciliation_completed = 1;
    lic.trueup_present = 1;   /* reconciliation wins over a true-up */
    lic.trueup_quantity = 0;
    lic.trueup_period_seat_count = 0;
    lic.trueup_from = lt_day("2025-01-01");
    lic.trueup_to = lt_day("2025-12-31");
    lt_snapshot(f->st, "2025-06-01T12:00:00Z", 5000);
    lt_snapshot(f->st, "2026-11-22T12:00:00Z", 110);
    assert_int_equal(check(f, &lic, NULL), SL_OK);
    lt_snapshot(f->st, "2026-11-22T12:00:01Z", 111);
    assert_int_equal(check(f, &lic, NULL), SL_EINVAL);
    assert_string_equal(f->err.message, MSG_A("111 active users", "100", "11 users", "111 users"));
}

static void test_daily_count_is_live_without_snapshots(void **state)
{
    fixture *f = *state;
    sl_license_info lic = new_key(1);
    sl_license_info cur = lt_info("ultimate", 50, "2025-01-01", "2026-12-31");
    lic.reconciliation_completed = 1;
    /* 1 developer and 2 guests: 3 billable without a license, 1 on ultimate */
    lt_users(f->st, 1, 2);
    assert_int_equal(check(f, &lic, NULL), SL_EINVAL);
    assert_string_equal(f->err.message, MSG_A("3 active users", "1", "2 users", "3 users"));
    assert_int_equal(check(f, &lic, &cur), SL_OK);
}

static void test_huge_seats_do_not_overflow(void **state)
{
    fixture *f = *state;
    sl_license_info lic = new_key(2147483647);
    lt_snapshot(f->st, "2025-06-01T12:00:00Z", 2147483647);
    lt_snapshot(f->st, "2026-11-22T12:00:00Z", 2362232011LL);   /* floor(INT32_MAX * 1.1) */
    assert_int_equal(check(f, &lic, NULL), SL_OK);
    lic.reconciliation_completed = 1;
    assert_int_equal(check(f, &lic, NULL), SL_OK);
    lt_snapshot(f->st, "2026-11-22T12:00:01Z", 2362232012LL);
    assert_int_equal(check(f, &lic, NULL), SL_EINVAL);
    lic = new_key(INT64_MAX);
    lic.reconciliation_completed = 1;
    assert_int_equal(check(f, &lic, NULL), SL_OK);
}

/* A negative seat count is what the vendor signed, not "unrestricted". */
static void test_negative_seats_are_a_limit(void **state)
{
    fixture *f = *state;
    sl_license_info lic = new_key(-1);
    lic.reconciliation_completed = 1;
    lt_snapshot(f->st, "2026-11-22T12:00:00Z", 7);
    assert_int_equal(check(f, &lic, NULL), SL_EINVAL);
    assert_string_equal(f->err.message,
        "This installation currently has 7 active users, exceeding this license's limit of -1 "
        "by 8 users. Please add a license for at least 7 users.");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, open_ledger, close_ledger)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_skipped_for_cloud_and_unrestricted),
        T(test_negative_seats_are_a_limit),
        T(test_users_limit_prior_year_message_b),
        T(test_users_limit_previous_user_count_message_a),
        T(test_messages_pluralise_and_separate_thousands),
        cmocka_unit_test_setup(test_prior_period_boundaries, set_clock),
        T(test_trueup_message_c),
        T(test_trueup_pluralisation),
        T(test_trueup_without_period_seats_checks_available_seats),
        T(test_trueup_unparseable_dates_fall_back_to_prior_period),
        T(test_reconciliation_completed_checks_available_seats_only),
        T(test_daily_count_is_live_without_snapshots),
        T(test_huge_seats_do_not_overflow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
