/*
 * add_checks.c - step 2 of "Validation when a license is added"
 * (ledger-rules.md): does the new key have seats for the users this
 * installation has had?  Users limit, true-up and available seats, with the
 * exact messages admins know from GitLab; and what the checks looked at, for
 * the dry run's report (`license check`).
 */
#include "ledger/ledger_internal.h"

#include <string.h>

/* "has 1,234 active users" etc.: sl__count_users text plus slack */
#define PHRASE_MAX 48

/* floor(n * 1.1) in integers, saturating instead of overflowing: n*11/10
 * split as 11*(n/10) + floor(11*(n%10)/10), C division truncating to zero. */
static int64_t times_1_1(int64_t n)
{
    int64_t q = n / 10, r11 = (n % 10) * 11;
    if (q > INT64_MAX / 11)
        return INT64_MAX;
    if (q < INT64_MIN / 11)
        return INT64_MIN;
    return q * 11 + (r11 >= 0 ? r11 / 10 : -((-r11 + 9) / 10));
}

/* Message A (current) or B (the year before), N users over S seats. */
static sl_rc limit_error(int year_before, int64_t n, int64_t seats, sl_error *err)
{
    char active[PHRASE_MAX], limit[PHRASE_MAX], over[PHRASE_MAX], need[PHRASE_MAX];
    const char *unit = n == 1 ? "user" : "users";
    sl_format_count(n, active, sizeof active);
    sl_format_count(seats, limit, sizeof limit);
    sl__count_users(sl__overage(n, seats), over, sizeof over);
    sl__count_users(n, need, sizeof need);
    return sl__err(err, SL_EINVAL,
                   "%s %s active %s, exceeding this license's limit of %s by %s. "
                   "Please add a license for at least %s.",
                   year_before ? "During the year before this license started, "
                                 "this installation had"
                               : "This installation currently has",
                   active, unit, limit, over, need);
}

static sl_rc available_seats(int64_t seats, int64_t daily, sl_error *err)
{
    if (times_1_1(seats) < daily)
        return limit_error(0, daily, seats, err);
    return SL_OK;
}

/* The checks, recording in fig what they looked at. */
static sl_rc checks(sl_store *st, const sl_license_info *lic, const sl_license_info *current,
                    sl_add_figures *fig, sl_error *err)
{
    int64_t seats = lic->seats, threshold, daily, prior_max;
    int32_t p0, p1;
    sl_rc rc;
    fig->billable_now = fig->seats_allowed = fig->prior_max = fig->prior_seats =
        fig->trueup_due = SL_COUNT_NONE;
    fig->prior_from = fig->prior_to = SL_DATE_NONE;
    fig->seats = seats;
    fig->trueup_quantity = lic->trueup_quantity;
    /* what a refresh would record now: under the current license's plan */
    rc = sl__ledger_daily_count(st, current ? current->plan : NULL, &daily, err);
    if (rc != SL_OK)
        return rc;
    fig->billable_now = daily;
    if (lic->cloud_licensing_enabled || seats == SL_COUNT_NONE)
        return SL_OK;
    if (lic->starts_on == SL_DATE_NONE)
        return sl__err(err, SL_EUSAGE, "license has no start date");
    threshold = times_1_1(seats);
    fig->seats_allowed = threshold;
    if (lic->reconciliation_completed)
        return available_seats(seats, daily, err);

    /* the prior period [P0 00:00:00, P1 23:59:59] */
    p0 = current && current->starts_on != SL_DATE_NONE ? current->starts_on
                                                       : sl_date_add_years(lic->starts_on, -1);
    if (current && current->expires_on != SL_DATE_NONE)
        p1 = current->expires_on;
    else if (lic->expires_on != SL_DATE_NONE)
        p1 = sl_date_add_years(lic->expires_on, -1);
    else
        p1 = lic->starts_on;

    if (lic->trueup_present && !lic->cloud_licensing_enabled) {
        int64_t period_seats = lic->trueup_period_seat_count != SL_COUNT_NONE
                                   ? lic->trueup_period_seat_count
                                                                  : lic->previous_user_count;
        int64_t period_max, expected;
        char q[PHRASE_MAX], e[PHRASE_MAX];
        if (period_seats == SL_COUNT_NONE)
            return available_seats(seats, daily, err);
        fig->prior_from = lic->trueup_from != SL_DATE_NONE ? lic->trueup_from : p0;
        fig->prior_to = lic->trueup_to != SL_DATE_NONE ? lic->trueup_to : p1;
        rc = sl__ledger_historical_max(st, sl__day_start_ms(fig->prior_from),
                                       sl__day_end_ms(fig->prior_to), &period_max, err);
        if (rc != SL_OK)
            return rc;
        expected = period_max - period_seats;
        fig->prior_max = period_max;
        fig->prior_seats = period_seats;
        fig->trueup_due = expected > 0 ? expected : 0;
        /* a true-up quantity that is not a number buys nothing */
        if (times_1_1(lic->trueup_quantity == SL_COUNT_NONE ? 0 : lic->trueup_quantity) < expected)
            return sl__err(err, SL_EINVAL,
                           "You have applied a True-up for %s but you need one for %s.",
                           sl__count_users(lic->trueup_quantity == SL_COUNT_NONE
                                               ? 0 : lic->trueup_quantity, q, sizeof q),
                           sl__count_users(expected, e, sizeof e));
        return available_seats(seats, daily, err);
    }

    /* users limit */
    fig->prior_from = p0;
    fig->prior_to = p1;
    rc = sl__ledger_historical_max(st, sl__day_start_ms(p0), sl__day_end_ms(p1), &prior_max, err);
    if (rc != SL_OK)
        return rc;
    fig->prior_max = prior_max;
    fig->prior_seats = lic->previous_user_count;
    if (lic->previous_user_count != SL_COUNT_NONE)
        fig->trueup_due = prior_max > lic->previous_user_count
                              ? prior_max - lic->previous_user_count : 0;
    if (lic->previous_user_count != SL_COUNT_NONE && prior_max <= lic->previous_user_count) {
        if (threshold < daily)
            return limit_error(0, daily, seats, err);
        return SL_OK;
    }
    if (threshold < prior_max)
        return limit_error(1, prior_max, seats, err);
    return SL_OK;
}

sl_rc sl__add_checks_info(sl_store *st, const sl_license_info *lic,
                          const sl_license_info *current, sl_error *err)
{
    sl_add_figures fig;
    return checks(st, lic, current, &fig, err);
}

sl_rc sl__add_checks(sl_store *st, const sl_license *lic, const sl_license *current,
                     sl_add_figures *fig, sl_error *err)
{
    sl_add_figures own;
    return checks(st, sl_license_get_info(lic), current ? sl_license_get_info(current) : NULL,
                  fig ? fig : &own, err);
}
