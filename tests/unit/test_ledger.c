/*
 * test_ledger.c - the snapshot ledger: refresh and its clock safety,
 * overlapping refreshes, append-only history, historical-max windows to the
 * millisecond, the daily count and the overage of a license.
 */
#include "ledger_testutil.h"

#include <pthread.h>
#include <unistd.h>

#define NOON "2026-11-22T12:00:00Z"

static int set_clock(void **state)
{
    (void)state;
    setenv("SEATLEDGER_NOW", NOON, 1);
    return 0;
}

static void test_snapshots_append_only(void **state)
{
    (void)state;
    char *dir;
    sl_store *st = tu_store(&dir);
    lt_snapshot(st, "2026-01-01T12:00:00Z", 3);
    assert_int_not_equal(sqlite3_exec(st->db, "UPDATE snapshots SET billable_user_count = 1",
                                      NULL, NULL, NULL), SQLITE_OK);
    assert_string_equal(sqlite3_errmsg(st->db), "snapshots are append-only");
    assert_int_not_equal(sqlite3_exec(st->db, "DELETE FROM snapshots", NULL, NULL, NULL),
                         SQLITE_OK);
    assert_int_equal(lt_scalar(st, "SELECT billable_user_count FROM snapshots"), 3);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

static void test_refresh_records_counts_and_audits(void **state)
{
    (void)state;
    char *dir;
    sl_store *st = tu_store(&dir);
    sl_snapshot snap;
    sl_error err = {0};
    lt_users(st, 7, 2);
    assert_int_equal(sl_store_refresh(st, SL_SOURCE_CRON, &snap, &err), SL_OK);
    assert_int_equal(snap.recorded_at_ms, lt_ms(NOON));
    /* without a license, guests count (non-ultimate rules) */
    assert_int_equal(snap.billable_user_count, 9);
    assert_int_equal(snap.source, SL_SOURCE_CRON);
    assert_int_equal(lt_scalar(st, "SELECT COUNT(*) FROM snapshots WHERE source = 'cron' "
                                   "AND billable_user_count = 9 AND license_id IS NULL"), 1);
    assert_int_equal(lt_scalar(st, "SELECT COUNT(*) FROM audit_log WHERE action = "
                                   "'ledger.refresh' AND outcome = 'ok' AND detail = "
                                   "'source=cron billable_user_count=9'"), 1);
    /* out may be NULL */
    assert_int_equal(sl_store_refresh(st, SL_SOURCE_CLI, NULL, &err), SL_OK);
    assert_int_equal(lt_scalar(st, "SELECT COUNT(*) FROM snapshots"), 2);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

static void test_refresh_refuses_a_clock_behind_the_ledger(void **state)
{
    (void)state;
    char *dir;
    sl_store *st = tu_store(&dir);
    sl_snapshot snap;
    sl_error err = {0};
    int32_t today;
    assert_int_equal(sl_store_refresh(st, SL_SOURCE_CLI, &snap, &err), SL_OK);
    setenv("SEATLEDGER_NOW", "2026-11-22T11:59:59Z", 1);
    assert_int_equal(sl_store_refresh(st, SL_SOURCE_CLI, &snap, &err), SL_ECLOCK);
    assert_string_equal(err.message,
                        "clock is behind the ledger: now is 2026-11-22T11:59:59.000Z, "
                        "the ledger's latest event was recorded at 2026-11-22T12:00:00.000Z");
    /* nothing written: no snapshot, no audit line */
    assert_int_equal(lt_scalar(st, "SELECT COUNT(*) FROM snapshots"), 1);
    assert_int_equal(lt_scalar(st, "SELECT COUNT(*) FROM audit_log"), 1);
    /* set back a whole year: today stays the newest snapshot's date */
    setenv("SEATLEDGER_NOW", "2025-01-01T00:00:00Z", 1);
    assert_int_equal(sl__ledger_today(st, &today, &err), SL_OK);
    assert_int_equal(today, lt_day("2026-11-22"));
    /* the same instant as the newest snapshot is allowed */
    setenv("SEATLEDGER_NOW", NOON, 1);
    assert_int_equal(sl_store_refresh(st, SL_SOURCE_CLI, &snap, &err), SL_OK);
    assert_int_equal(lt_scalar(st, "SELECT COUNT(*) FROM snapshots"), 2);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

typedef struct refresher {
    const char *path;
    int runs;
    int ok;
    char message[SL_ERROR_MAX];
} refresher;

static void *refresh_loop(void *arg)
{
    refresher *r = arg;
    sl_store *st = NULL;
    sl_error err = {0};
    if (sl_store_open(r->path, 0, &st, &err) != SL_OK) {
        snprintf(r->message, sizeof r->message, "%s", err.message);
        return NULL;
    }
    for (int i = 0; i < r->runs; i++) {
        if (sl_store_refresh(st, SL_SOURCE_CRON, NULL, &err) != SL_OK) {
            snprintf(r->message, sizeof r->message, "%s", err.message);
            break;
        }
        r->ok++;
    }
    sl_store_close(st);
    return NULL;
}

/* Two connections refreshing at the same time (two cron jobs, cron plus an
 * admin): every refresh succeeds and every snapshot is kept. */
static void test_overlapping_refreshes_both_succeed(void **state)
{
    (void)state;
    char *dir, path[4096];
    sl_store *st = tu_store(&dir);
    sl_error err = {0};
    pthread_t t[2];
    refresher r[2];
    snprintf(path, sizeof path, "%s", sl_store_path(st));
    lt_users(st, 4, 0);
    for (int i = 0; i < 2; i++) {
        memset(&r[i], 0, sizeof r[i]);
        r[i].path = path;
        r[i].runs = 25;
        assert_int_equal(pthread_create(&t[i], NULL, refresh_loop, &r[i]), 0);
    }
    for (int i = 0; i < 2; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        if (r[i].ok != 25)
            fail_msg("refresher %d: %s", i, r[i].message);
    }
    assert_int_equal(lt_scalar(st, "SELECT COUNT(*) FROM snapshots WHERE billable_user_count = 4"),
                     50);
    /* one held back behind an open write transaction still succeeds */
    assert_int_equal(sl__begin(st, &err), SL_OK);
    memset(&r[0], 0, sizeof r[0]);
    r[0].path = path;
    r[0].runs = 1;
    assert_int_equal(pthread_create(&t[0], NULL, refresh_loop, &r[0]), 0);
    usleep(200 * 1000);
    assert_int_equal(sl__commit(st, &err), SL_OK);
    assert_int_equal(pthread_join(t[0], NULL), 0);
    assert_int_equal(r[0].ok, 1);
    assert_int_equal(lt_scalar(st, "SELECT COUNT(*) FROM snapshots"), 51);
    assert_int_equal(sl_store_check(st, &err), SL_OK);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

/* One snapshot at `at`; the historical max of a license running
 * 2025-01-01 .. 2025-12-31 either sees it or not. */
static int64_t term_max_with_snapshot_at(const char *at)
{
    char *dir;
    sl_store *st = tu_store(&dir);
    sl_license_info inf = lt_info("premium", 10, "2025-01-01", "2025-12-31");
    sl_license_figures fig;
    sl_error err = {0};
    lt_snapshot(st, at, 9);
    assert_int_equal(sl__ledger_figures_info(st, &inf, 1, &fig, &err), SL_OK);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
    return fig.historical_max;
}

static void test_historical_max_term_boundaries(void **state)
{
    (void)state;
    assert_int_equal(term_max_with_snapshot_at("2024-12-31T23:59:59.999Z"), 0);
    assert_int_equal(term_max_with_snapshot_at("2025-01-01T00:00:00.000Z"), 9);
    assert_int_equal(term_max_with_snapshot_at("2025-12-31T23:59:59.000Z"), 9);
    assert_int_equal(term_max_with_snapshot_at("2025-12-31T23:59:59.999Z"), 9);
    assert_int_equal(term_max_with_snapshot_at("2026-01-01T00:00:00.000Z"), 0);
}

static void test_historical_max_windows(void **state)
{
    (void)state;
    char *dir;
    sl_store *st = tu_store(&dir);
    sl_error err = {0};
    int64_t max = -1, from, to;
    assert_int_equal(sl__ledger_historical_max(st, INT64_MIN, INT64_MAX, &max, &err), SL_OK);
    assert_int_equal(max, 0);
    lt_snapshot(st, "2025-06-01T12:00:00Z", 40);
    lt_snapshot(st, "2025-06-02T12:00:00Z", 70);
    lt_snapshot(st, "2025-06-03T12:00:00Z", 50);
    assert_int_equal(sl__ledger_historical_max(st, INT64_MIN, INT64_MAX, &max, &err), SL_OK);
    assert_int_equal(max, 70);
    /* both ends inclusive to the millisecond */
    assert_int_equal(sl__ledger_historical_max(st, lt_ms("2025-06-02T12:00:00.001Z"),
                                               lt_ms("2025-06-03T12:00:00Z"), &max, &err), SL_OK);
    assert_int_equal(max, 50);
    assert_int_equal(sl__ledger_historical_max(st, lt_ms("2025-06-01T12:00:00Z"),
                                               lt_ms("2025-06-02T11:59:59.999Z"), &max, &err),
                     SL_OK);
    assert_int_equal(max, 40);
    /* an empty or reversed window is 0 */
    assert_int_equal(sl__ledger_historical_max(st, lt_ms("2025-06-03T12:00:00.001Z"),
                                               INT64_MAX, &max, &err), SL_OK);
    assert_int_equal(max, 0);
    assert_int_equal(sl__ledger_historical_max(st, 10, 5, &max, &err), SL_OK);
    assert_int_equal(max, 0);
    /* without a term: from now minus one year (same time of day) to now */
    sl__ledger_window(SL_DATE_NONE, SL_DATE_NONE, lt_ms("2024-02-29T06:30:00Z"), &from, &to);
    assert_int_equal(from, lt_ms("2023-02-28T06:30:00Z"));
    assert_int_equal(to, lt_ms("2024-02-29T06:30:00Z"));
    sl__ledger_window(lt_day("2025-01-01"), lt_day("2025-12-31"), 0, &from, &to);
    assert_int_equal(from, lt_ms("2025-01-01T00:00:00.000Z"));
    assert_int_equal(to, lt_ms("2025-12-31T23:59:59.999Z"));
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

static void test_daily_count_newest_snapshot_else_live(void **state)
{
    (void)state;
    char *dir;
    sl_store *st = tu_store(&dir);
    sl_error err = {0};
    int64_t n = -1, ms = -1;
    lt_users(st, 5, 3);
    assert_int_equal(sl__ledger_newest(st, &ms, &n, &err), SL_OK);
    assert_int_equal(ms, 0);
    /* no snapshot: a live count under the plan given */
    assert_int_equal(sl__ledger_daily_count(st, "premium", &n, &err), SL_OK);
    assert_int_equal(n, 8);
    assert_int_equal(sl__ledger_daily_count(st, "ultimate", &n, &err), SL_OK);
    assert_int_equal(n, 5);
    lt_snapshot(st, "2026-11-20T12:00:00Z", 30);
    lt_snapshot(st, "2026-11-21T12:00:00Z", 20);
    assert_int_equal(sl__ledger_daily_count(st, "premium", &n, &err), SL_OK);
    assert_int_equal(n, 20);
    /* two snapshots in the same millisecond: the later one recorded wins */
    lt_snapshot(st, "2026-11-21T12:00:00Z", 21);
    assert_int_equal(sl__ledger_daily_count(st, "ultimate", &n, &err), SL_OK);
    assert_int_equal(n, 21);
    assert_int_equal(sl__ledger_newest(st, &ms, &n, &err), SL_OK);
    assert_int_equal(ms, lt_ms("2026-11-21T12:00:00Z"));
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

/* Term 2026-01-01 .. 2026-12-31, 10 seats; peak 15, newest 12. */
static sl_store *overage_ledger(char **dir)
{
    sl_store *st = tu_store(dir);
    lt_snapshot(st, "2025-12-31T12:00:00Z", 99);   /* before the term */
    lt_snapshot(st, "2026-03-01T12:00:00Z", 15);
    lt_snapshot(st, "2026-11-22T12:00:00Z", 12);
    return st;
}

static void test_figures_overage_running_expired_unrestricted(void **state)
{
    (void)state;
    char *dir;
    sl_store *st = overage_ledger(&dir);
    sl_license_info inf = lt_info("premium", 10, "2026-01-01", "2026-12-31");
    sl_license_figures fig;
    sl_error err = {0};
    /* running: overage of today's count */
    assert_int_equal(sl__ledger_figures_info(st, &inf, 0, &fig, &err), SL_OK);
    assert_int_equal(fig.historical_max, 15);
    assert_int_equal(fig.maximum_user_count, 15);
    assert_int_equal(fig.active_users, 12);
    assert_int_equal(fig.user_limit, 10);
    assert_int_equal(fig.overage, 2);
    assert_false(fig.expired);
    /* expired: overage of the maximum */
    assert_int_equal(sl__ledger_figures_info(st, &inf, 1, &fig, &err), SL_OK);
    assert_int_equal(fig.overage, 5);
    assert_true(fig.expired);
    /* enough seats: no overage either way */
    inf.seats = 15;
    assert_int_equal(sl__ledger_figures_info(st, &inf, 1, &fig, &err), SL_OK);
    assert_int_equal(fig.overage, 0);
    /* unrestricted: no overage, user_limit 0 */
    inf.seats = SL_COUNT_NONE;
    assert_int_equal(sl__ledger_figures_info(st, &inf, 1, &fig, &err), SL_OK);
    assert_int_equal(fig.overage, 0);
    assert_int_equal(fig.user_limit, 0);
    assert_int_equal(fig.maximum_user_count, 15);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

static void test_figures_maximum_includes_daily(void **state)
{
    (void)state;
    char *dir;
    sl_store *st = tu_store(&dir);
    /* an expired term whose newest snapshot came after it */
    sl_license_info inf = lt_info("premium", 10, "2025-01-01", "2025-12-31");
    sl_license_figures fig;
    sl_error err = {0};
    lt_snapshot(st, "2025-06-01T12:00:00Z", 11);
    lt_snapshot(st, "2026-11-22T12:00:00Z", 14);
    assert_int_equal(sl__ledger_figures_info(st, &inf, 1, &fig, &err), SL_OK);
    assert_int_equal(fig.historical_max, 11);
    assert_int_equal(fig.maximum_user_count, 14);
    assert_int_equal(fig.overage, 4);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
    /* no snapshot at all: the live count is today's and the maximum */
    st = tu_store(&dir);
    lt_users(st, 13, 0);
    assert_int_equal(sl__ledger_figures_info(st, &inf, 0, &fig, &err), SL_OK);
    assert_int_equal(fig.historical_max, 0);
    assert_int_equal(fig.active_users, 13);
    assert_int_equal(fig.maximum_user_count, 13);
    assert_int_equal(fig.overage, 3);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

typedef struct collected {
    int64_t counts[8];
    sl_source sources[8];
    int n;
    int stop_after;
} collected;

static int collect(void *ud, const sl_snapshot *s)
{
    collected *c = ud;
    c->sources[c->n] = s->source;
    c->counts[c->n++] = s->billable_user_count;
    return c->n == c->stop_after;
}

static void test_history_oldest_first_in_window(void **state)
{
    (void)state;
    char *dir;
    sl_store *st = tu_store(&dir);
    sl_error err = {0};
    collected c = {.stop_after = 0};
    lt_snapshot(st, "2026-01-03T12:00:00Z", 3);
    lt_snapshot(st, "2026-01-01T12:00:00Z", 1);
    lt_snapshot(st, "2026-01-02T12:00:00Z", 2);
    assert_int_equal(sl_store_history(st, INT64_MIN, INT64_MAX, collect, &c, &err), SL_OK);
    assert_int_equal(c.n, 3);
    assert_int_equal(c.counts[0], 1);
    assert_int_equal(c.counts[1], 2);
    assert_int_equal(c.counts[2], 3);
    assert_int_equal(c.sources[0], SL_SOURCE_CLI);
    memset(&c, 0, sizeof c);
    assert_int_equal(sl_store_history(st, lt_ms("2026-01-02T12:00:00Z"),
                                      lt_ms("2026-01-03T12:00:00Z"), collect, &c, &err), SL_OK);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.counts[0], 2);
    /* the callback stops the walk */
    memset(&c, 0, sizeof c);
    c.stop_after = 1;
    assert_int_equal(sl_store_history(st, INT64_MIN, INT64_MAX, collect, &c, &err), SL_OK);
    assert_int_equal(c.n, 1);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

static void test_format_count(void **state)
{
    (void)state;
    char buf[28];
    assert_string_equal(sl_format_count(0, buf, sizeof buf), "0");
    assert_string_equal(sl_format_count(999, buf, sizeof buf), "999");
    assert_string_equal(sl_format_count(1000, buf, sizeof buf), "1,000");
    assert_string_equal(sl_format_count(1234567, buf, sizeof buf), "1,234,567");
    assert_string_equal(sl_format_count(-1234, buf, sizeof buf), "-1,234");
    assert_string_equal(sl_format_count(INT64_MAX, buf, sizeof buf), "9,223,372,036,854,775,807");
    assert_string_equal(sl_format_count(INT64_MIN, buf, sizeof buf), "-9,223,372,036,854,775,808");
    assert_string_equal(sl__count_users(1, buf, sizeof buf), "1 user");
    assert_string_equal(sl__count_users(0, buf, sizeof buf), "0 users");
    assert_string_equal(sl__count_users(2000, buf, sizeof buf), "2,000 users");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_snapshots_append_only, set_clock),
        cmocka_unit_test_setup(test_refresh_records_counts_and_audits, set_clock),
        cmocka_unit_test_setup(test_refresh_refuses_a_clock_behind_the_ledger, set_clock),
        cmocka_unit_test_setup(test_overlapping_refreshes_both_succeed, set_clock),
        cmocka_unit_test_setup(test_historical_max_term_boundaries, set_clock),
        cmocka_unit_test_setup(test_historical_max_windows, set_clock),
        cmocka_unit_test_setup(test_daily_count_newest_snapshot_else_live, set_clock),
        cmocka_unit_test_setup(test_figures_overage_running_expired_unrestricted, set_clock),
        cmocka_unit_test_setup(test_figures_maximum_includes_daily, set_clock),
        cmocka_unit_test_setup(test_history_oldest_first_in_window, set_clock),
        cmocka_unit_test(test_format_count),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
