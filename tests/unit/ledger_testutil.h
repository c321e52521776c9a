/*
 * ledger_testutil.h - helpers of the ledger tests (test_ledger, test_add_checks,
 * test_usage_csv, test_status): instants and dates from text, snapshots
 * appended as if recorded at a time, license attributes without a key, and a
 * user directory of N billable users imported through the public API.
 */
#ifndef SL_LEDGER_TESTUTIL_H
#define SL_LEDGER_TESTUTIL_H

#include "testutil.h"
#include "ledger/ledger_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "2026-01-01T12:00:00Z" or with .mmm -> ms; fails the test when malformed. */
static inline int64_t lt_ms(const char *s)
{
    int64_t ms = 0;
    sl_error err = {0};
    if (sl_time_parse(s, &ms, &err) != SL_OK)
        fail_msg("%s", err.message);
    return ms;
}

static inline int32_t lt_day(const char *s)
{
    int32_t d = 0;
    sl_error err = {0};
    if (sl_date_parse(s, &d, &err) != SL_OK)
        fail_msg("%s", err.message);
    return d;
}

/* A snapshot as if recorded at `at` (the refresh path is tested on its
 * own): appended through the one funnel, so that it is chained like any
 * row, in an event that skips the clock check (a test's history need not
 * lie before its clock). */
static inline void lt_snapshot(sl_store *st, const char *at, int64_t count)
{
    sl_error err = {0};
    const sl__value v[] = {SL__ID, SL__INT(lt_ms(at)), SL__INT(count)};
    assert_int_equal(sl__begin(st, &err), SL_OK);
    if (sl__event_begin(st, SL__EVENT_CONFIRMED | SL__EVENT_RECOVER, &err) != SL_OK ||
        sl__event_append(st, "INSERT INTO snapshots(id, recorded_at, billable_user_count, "
                             "source) VALUES (?,?,?,'cli')", v, 3, "snapshot", NULL,
                         &err) != SL_OK) {
        sl__rollback(st);
        fail_msg("snapshot: %s", err.message);
    }
    assert_int_equal(sl__commit(st, &err), SL_OK);
}

static inline int64_t lt_scalar(sl_store *st, const char *sql)
{
    sqlite3_stmt *s = NULL;
    int64_t v;
    assert_int_equal(sqlite3_prepare_v2(st->db, sql, -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

/* License attributes as a decoded key would have them; everything absent. */
static inline sl_license_info lt_info(const char *plan, int64_t seats, const char *starts,
                                      const char *expires)
{
    sl_license_info inf;
    memset(&inf, 0, sizeof inf);
    inf.version = 1;
    inf.has_licensee = 1;
    inf.plan = plan;
    inf.seats = seats;
    inf.previous_user_count = inf.trueup_quantity = inf.trueup_period_seat_count = SL_COUNT_NONE;
    inf.starts_on = starts ? lt_day(starts) : SL_DATE_NONE;
    inf.expires_on = expires ? lt_day(expires) : SL_DATE_NONE;
    inf.notify_admins_on = inf.notify_users_on = inf.block_changes_on = SL_DATE_NONE;
    inf.trueup_from = inf.trueup_to = SL_DATE_NONE;
    return inf;
}

/* The admin confirms the clock when it jumped more than
 * SL_CLOCK_AHEAD_MAX_DAYS past the ledger's latest event (tests jump months
 * where a real ledger records daily); nothing happens otherwise. */
static inline void lt_confirm(sl_store *st)
{
    sl_error err = {0};
    int recorded = 0;
    if (sl_store_clock_confirm(st, SL_SOURCE_CLI, &recorded, &err) != SL_OK)
        fail_msg("clock confirm: %s", err.message);
}

/* Replace the user directory with n billable users (active human developers)
 * and `free_guests` guests, who are billable except on ultimate (after
 * lt_confirm: the import is an event at the clock's time). */
static inline void lt_users(sl_store *st, int n, int free_guests)
{
    size_t cap = 64 + (size_t)(n + free_guests) * 64, len = 0;
    char *csv = malloc(cap);
    FILE *f;
    sl_import_stats stats;
    sl_error err = {0};
    assert_non_null(csv);
    len += (size_t)snprintf(csv + len, cap - len, "id,username,state,user_type,highest_role\n");
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(csv + len, cap - len, "u%d,user%d,active,human,developer\n", i, i);
    for (int i = 0; i < free_guests; i++)
        len += (size_t)snprintf(csv + len, cap - len, "g%d,guest%d,active,human,guest\n", i, i);
    f = fmemopen(csv, len, "r");
    assert_non_null(f);
    lt_confirm(st);
    if (sl_store_users_import(st, f, SL_USERS_CSV, 1, len, NULL, NULL, &stats, &err) != SL_OK)
        fail_msg("import: %s", err.message);
    fclose(f);
    free(csv);
}

#endif
