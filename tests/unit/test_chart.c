/*
 * test_chart.c - the usage chart (engine/report/): calendar buckets and
 * labels, axis ticks for any range, the series of a window (term, seat
 * limit, aggregation that hides no peak, bounded points for 100,000
 * snapshots), and the SVG byte for byte: golden file, escaping, size bounds,
 * the console's focusable points.
 */
#include "ledger_testutil.h"
#include "report/report_internal.h"

#define NOW "2026-11-22T12:00:00Z"
/* What a chart of 100,000 snapshots may weigh, and the heaviest chart any
 * series can make (SL_CHART_POINTS_MAX points with the longest texts). */
#define CHART_100K_BYTES_MAX (100 * 1024)
#define CHART_WORST_BYTES_MAX (300 * 1024)

static char *priv_pem, *pub_pem;

static int setup(void **state)
{
    (void)state;
    setenv("SEATLEDGER_NOW", NOW, 1);
    return sl_keys_generate(2048, &priv_pem, &pub_pem, NULL) == SL_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    sl_free(priv_pem);
    sl_free(pub_pem);
    return 0;
}

static sl_store *store_with_license(char **dir, const char *name, int seats, const char *starts,
                                    const char *expires)
{
    sl_store *st = tu_store(dir);
    tu_license l = {.name = name, .plan = "premium", .seats = seats, .starts = starts,
                    .expires = expires};
    char *key = tu_issue(priv_pem, &l);
    sl_error err = {0};
    int64_t id = 0;
    assert_int_equal(sl_store_key_trust(st, pub_pem, strlen(pub_pem), "vendor", &err), SL_OK);
    if (sl_store_license_add(st, key, strlen(key), SL_SOURCE_CLI, &id, &err) != SL_OK)
        fail_msg("license add: %s", err.message);
    sl_free(key);
    return st;
}

/* n snapshots from `first`, every step_s seconds, count = SQL expression of i */
static void snapshots_sql(sl_store *st, const char *first, int64_t n, int64_t step_s,
                          const char *count_expr)
{
    char sql[1024];
    char *msg = NULL;
    snprintf(sql, sizeof sql,
             "WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i + 1 < %lld) "
             "INSERT INTO snapshots(recorded_at, billable_user_count, source) "
             "SELECT %lld + i * %lld, %s, 'cron' FROM s",
             (long long)n, (long long)lt_ms(first), (long long)step_s * 1000, count_expr);
    if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("insert: %s", msg);
}

static sl_chart_series *series(sl_store *st, const char *from, const char *to, int width)
{
    sl_chart_options o;
    sl_chart_series *s = NULL;
    sl_error err = {0};
    sl_chart_options_init(&o);
    if (from)
        o.from_ms = lt_ms(from);
    if (to)
        o.to_ms = lt_ms(to);
    o.width = width;
    if (sl_store_chart_series(st, &o, &s, &err) != SL_OK)
        fail_msg("series: %s", err.message);
    return s;
}

static char *render(const sl_chart_series *s, const sl_chart_options *o, size_t *len)
{
    char *svg = NULL;
    sl_error err = {0};
    if (sl_chart_render(s, o, &svg, len, &err) != SL_OK)
        fail_msg("render: %s", err.message);
    return svg;
}

static size_t occurrences(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* ---- buckets, labels, axes ------------------------------------------------ */

static void test_buckets_and_labels(void **state)
{
    (void)state;
    char buf[SL_CHART_LABEL_MAX], d[16];
    int32_t wed = lt_day("2026-03-04");
    int64_t at = lt_ms("2026-03-04T05:06:07Z");
    struct { sl_chart_unit unit; const char *start, *label; } want[] = {
        {SL_CHART_SNAPSHOT, "2026-03-04", "2026-03-04 05:06:07 UTC"},
        {SL_CHART_DAY, "2026-03-04", "2026-03-04"},
        {SL_CHART_WEEK, "2026-03-02", "week of 2026-03-02"},
        {SL_CHART_MONTH, "2026-03-01", "2026-03"},
        {SL_CHART_YEAR, "2026-01-01", "2026"},
        {SL_CHART_DECADE, "2020-01-01", "2020-2029"},
        {SL_CHART_CENTURY, "2000-01-01", "2000-2099"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        int32_t start = sl__chart_bucket_start(want[i].unit, wed);
        assert_string_equal(sl_date_format(start, d, sizeof d), want[i].start);
        sl__chart_point_label(want[i].unit, at, start, buf, sizeof buf);
        assert_string_equal(buf, want[i].label);
    }
    /* weeks start on Monday, also before the epoch and on a Sunday */
    assert_string_equal(sl_date_format(sl__chart_bucket_start(SL_CHART_WEEK, 0), d, sizeof d),
                        "1969-12-29");
    assert_string_equal(sl_date_format(sl__chart_bucket_start(SL_CHART_WEEK, lt_day("2026-03-01")),
                                       d, sizeof d), "2026-02-23");
    assert_string_equal(sl_chart_unit_name(SL_CHART_WEEK), "week");
    assert_string_equal(sl_chart_unit_name((sl_chart_unit)99), "unknown");
    assert_int_equal(sl__chart_points_limit(960), 480);
    assert_int_equal(sl__chart_points_limit(SL_CHART_WIDTH_MIN), 160);
    assert_int_equal(sl__chart_points_limit(SL_CHART_SIZE_MAX), SL_CHART_POINTS_MAX);
    assert_int_equal(sl__chart_points_limit(100), SL_CHART_POINTS_MIN);
}

static void expect_ticks(const char *from, const char *to, const char *step, const char *labels)
{
    sl_chart_date_ticks t;
    char got[1024] = "";
    sl__chart_date_ticks(lt_ms(from), lt_ms(to), 880, 12 * 0.62, &t);
    for (size_t i = 0; i < t.count; i++) {
        strcat(got, i ? " " : "");
        strcat(got, t.label[i]);
    }
    assert_string_equal(t.step, step);
    assert_string_equal(got, labels);
}

static void test_date_ticks_for_any_range(void **state)
{
    (void)state;
    expect_ticks("2026-03-01T00:00:00Z", "2026-03-05T23:59:59.999Z", "day",
                 "2026-03-01 2026-03-02 2026-03-03 2026-03-04 2026-03-05");
    expect_ticks("2026-11-01T00:00:00Z", "2026-11-30T23:59:59.999Z", "week",
                 "2026-11-02 2026-11-09 2026-11-16 2026-11-23 2026-11-30");
    expect_ticks("2026-01-01T00:00:00Z", "2026-12-31T23:59:59.999Z", "2 months",
                 "Jan 2026 Mar 2026 May 2026 Jul 2026 Sep 2026 Nov 2026");
    expect_ticks("2025-01-01T00:00:00Z", "2026-12-31T23:59:59.999Z", "quarter",
                 "Jan 2025 Apr 2025 Jul 2025 Oct 2025 Jan 2026 Apr 2026 Jul 2026 Oct 2026");
    expect_ticks("1996-01-01T00:00:00Z", "2025-12-31T23:59:59.999Z", "2 years",
                 "1996 1998 2000 2002 2004 2006 2008 2010 2012 2014 2016 2018 2020 2022 2024");
    expect_ticks("0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999Z", "500 years",
                 "0500 1000 1500 2000 2500 3000 3500 4000 4500 5000 5500 6000 6500 7000 7500 "
                 "8000 8500 9000 9500");
    /* a window that starts after midnight: the first tick is the next day */
    expect_ticks("2026-03-01T12:00:00Z", "2026-03-03T23:59:59.999Z", "day", "2026-03-02 2026-03-03");
    /* inside one day: its date at the start */
    expect_ticks("2026-03-01T05:00:00Z", "2026-03-01T18:00:00Z", "day", "2026-03-01");
}

static void expect_axis(double vmin, double vmax, double lo, double hi, double step, size_t count)
{
    sl_chart_count_axis a;
    sl__chart_count_axis(vmin, vmax, 5, &a);
    assert_true(a.lo == lo);
    assert_true(a.hi == hi);
    assert_true(a.step == step);
    assert_int_equal(a.count, count);
}

static void test_count_axis_nice_steps(void **state)
{
    (void)state;
    char buf[48];
    expect_axis(0, 0, 0, 5, 1, 6);          /* nothing yet: 0..5 */
    expect_axis(0, 12, 0, 15, 5, 4);
    expect_axis(0, 10, 0, 12, 2, 7);        /* room above a maximum on a grid line */
    expect_axis(0, 578, 0, 600, 200, 4);
    expect_axis(0, 123456, 0, 150000, 50000, 4);
    expect_axis(-5, 3, -6, 4, 2, 6);        /* negative counts of a hand-edited ledger */
    expect_axis(0, 9.2e18, 0, 1e19, 2e18, 6);
    assert_string_equal(sl__chart_count_text(0, buf, sizeof buf), "0");
    assert_string_equal(sl__chart_count_text(-0.0, buf, sizeof buf), "0");
    assert_string_equal(sl__chart_count_text(999, buf, sizeof buf), "999");
    assert_string_equal(sl__chart_count_text(1000, buf, sizeof buf), "1,000");
    assert_string_equal(sl__chart_count_text(-1234567, buf, sizeof buf), "-1,234,567");
    assert_string_equal(sl__chart_count_text(1e19, buf, sizeof buf), "10,000,000,000,000,000,000");
    assert_string_equal(sl__chart_count_text(1234567, buf, 6), "1,234");   /* cut, terminated */
}

static void test_options(void **state)
{
    (void)state;
    sl_chart_options o, r;
    sl_error err = {0};
    char title[SL_CHART_TITLE_MAX + 2];
    sl_chart_options_init(&o);
    assert_int_equal(sl__chart_options_resolve(&o, &r, &err), SL_OK);
    assert_int_equal(r.width, SL_CHART_WIDTH_DEFAULT);
    assert_int_equal(r.height, SL_CHART_HEIGHT_DEFAULT);
    assert_string_equal(r.id_prefix, "sl-chart");
    assert_true(r.from_ms == SL_CHART_TERM_START && r.to_ms == SL_CHART_TERM_END);
    o.width = 100;
    assert_int_equal(sl__chart_options_resolve(&o, &r, &err), SL_EUSAGE);
    assert_string_equal(err.message, "chart width must be 320 to 4096 pixels, not 100");
    o.width = 0;
    o.height = 5000;
    assert_int_equal(sl__chart_options_resolve(&o, &r, &err), SL_EUSAGE);
    assert_string_equal(err.message, "chart height must be 260 to 4096 pixels, not 5000");
    o.height = 0;
    memset(title, 'x', sizeof title - 1);
    title[sizeof title - 1] = '\0';
    o.title = title;
    assert_int_equal(sl__chart_options_resolve(&o, &r, &err), SL_ETOOBIG);
    assert_string_equal(err.message, "chart title is longer than 200 bytes");
    o.title = NULL;
    o.id_prefix = "1x\" onload=\"x";
    assert_int_equal(sl__chart_options_resolve(&o, &r, &err), SL_EUSAGE);
    o.id_prefix = "usage_chart-1";
    assert_int_equal(sl__chart_options_resolve(&o, &r, &err), SL_OK);
}

/* ---- the series of a window ------------------------------------------------ */

static void test_series_over_the_license_term(void **state)
{
    (void)state;
    char *dir;
    sl_store *st = store_with_license(&dir, "Ada", 10, "2026-01-01", "2026-12-31");
    sl_chart_series *s;
    sl_license *lic = NULL;
    sl_license_figures fig;
    sl_error err = {0};
    lt_snapshot(st, "2025-12-31T23:59:59.999Z", 100);    /* before the term */
    lt_snapshot(st, "2026-01-01T00:00:00Z", 7);
    lt_snapshot(st, "2026-06-15T12:00:00Z", 12);
    lt_snapshot(st, "2026-06-15T13:00:00Z", 12);         /* a tie: the first one is the maximum */
    lt_snapshot(st, "2026-11-22T12:00:00Z", 9);
    s = series(st, NULL, NULL, 0);
    assert_true(s->from_ms == lt_ms("2026-01-01T00:00:00Z"));
    assert_true(s->to_ms == lt_ms("2026-12-31T23:59:59.999Z"));
    assert_int_equal(s->unit, SL_CHART_SNAPSHOT);
    assert_int_equal(s->count, 4);
    assert_int_equal(s->snapshots, 4);
    assert_int_equal(s->max_index, 1);
    assert_string_equal(s->points[1].label, "2026-06-15 12:00:00 UTC");
    assert_int_equal(s->points[1].over, 2);
    assert_int_equal(s->points[3].over, 0);
    assert_int_equal(s->over_count, 2);
    assert_int_equal(s->over_max, 2);
    assert_true(s->has_license && s->has_seat_line);
    assert_int_equal(s->seats, 10);
    assert_string_equal(s->plan, "premium");
    assert_string_equal(s->licensee_name, "Ada");
    assert_string_equal(s->licensee_company, "Example Corp");
    assert_true(s->seat_from_ms == s->from_ms && s->seat_to_ms == s->to_ms);
    /* the chart's maximum is the license's historical maximum of the REST API */
    assert_int_equal(sl__license_current(st, lt_day("2026-11-22"), &lic, NULL, &err), SL_OK);
    assert_int_equal(sl__ledger_figures(st, lic, lt_day("2026-11-22"), &fig, &err), SL_OK);
    assert_int_equal(fig.historical_max, s->points[s->max_index].billable);
    sl_license_free(lic);
    sl_chart_series_free(s);

    /* a window across the term's start: the limit applies from the start only */
    s = series(st, "2025-12-01T00:00:00Z", "2026-02-01T23:59:59.999Z", 0);
    assert_int_equal(s->count, 2);
    assert_true(s->seat_from_ms == lt_ms("2026-01-01T00:00:00Z"));
    assert_true(s->seat_to_ms == s->to_ms);
    assert_int_equal(s->points[0].billable, 100);
    assert_int_equal(s->points[0].over, 0);      /* 100 users, but before the limit applies */
    assert_int_equal(s->over_count, 0);
    sl_chart_series_free(s);

    /* a window without the license: no seat line, the license still named */
    s = series(st, "2025-06-01T00:00:00Z", "2025-12-31T23:59:59.999Z", 0);
    assert_true(s->has_license);
    assert_false(s->has_seat_line);
    assert_int_equal(s->count, 1);
    sl_chart_series_free(s);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

static void test_series_window_errors_and_no_license(void **state)
{
    (void)state;
    char *dir;
    sl_store *st = tu_store(&dir);
    sl_chart_options o;
    sl_chart_series *s = NULL;
    sl_error err = {0};
    /* no license: the last year up to now */
    s = series(st, NULL, NULL, 0);
    assert_true(s->from_ms == lt_ms("2025-11-22T12:00:00Z"));
    assert_true(s->to_ms == lt_ms(NOW));
    assert_false(s->has_license);
    assert_false(s->has_seat_line);
    assert_true(s->seats == SL_COUNT_NONE);
    assert_int_equal(s->count, 0);
    assert_null(s->points);
    sl_chart_series_free(s);
    s = NULL;
    sl_chart_options_init(&o);
    o.from_ms = lt_ms("2026-02-01T00:00:00Z");
    o.to_ms = lt_ms("2026-01-01T00:00:00Z");
    assert_int_equal(sl_store_chart_series(st, &o, &s, &err), SL_EUSAGE);
    assert_null(s);
    assert_string_equal(err.message, "the chart's window starts after it ends: "
                                     "from 2026-02-01T00:00:00.000Z to 2026-01-01T00:00:00.000Z");
    /* one end given beyond the other, default end */
    o.from_ms = lt_ms("2027-01-01T00:00:00Z");
    o.to_ms = SL_CHART_TERM_END;
    assert_int_equal(sl_store_chart_series(st, &o, &s, &err), SL_EUSAGE);
    o.from_ms = SL_CHART_TERM_START;
    o.width = 10;
    assert_int_equal(sl_store_chart_series(st, &o, &s, &err), SL_EUSAGE);
    /* windows beyond the writable years are clamped to them */
    o.width = 0;
    o.from_ms = INT64_MIN + 1;
    o.to_ms = INT64_MAX - 1;
    assert_int_equal(sl_store_chart_series(st, &o, &s, &err), SL_OK);
    assert_true(s->from_ms == lt_ms("0001-01-01T00:00:00Z"));
    assert_true(s->to_ms == lt_ms("9999-12-31T23:59:59.999Z"));
    sl_chart_series_free(s);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

/* The point holding the instant `at`, or fails. */
static const sl_chart_point *point_at(const sl_chart_series *s, int64_t at)
{
    for (size_t i = 0; i < s->count; i++) {
        if (s->points[i].at_ms == at)
            return &s->points[i];
    }
    fail_msg("no point at %lld", (long long)at);
    return NULL;
}

static void test_aggregation_keeps_every_peak(void **state)
{
    (void)state;
    char *dir;
    sl_store *st = tu_store(&dir);
    sl_chart_series *s;
    int64_t total = 0;
    /* 10 days, 100 snapshots a day, one spike of 99 on the fifth day */
    snapshots_sql(st, "2026-03-01T00:00:00Z", 1000, 864, "CASE i WHEN 437 THEN 99 ELSE 5 + i % 3 END");
    s = series(st, "2026-03-01T00:00:00Z", "2026-03-10T23:59:59.999Z", 0);
    assert_int_equal(s->unit, SL_CHART_DAY);
    assert_int_equal(s->count, 10);
    assert_int_equal(s->snapshots, 1000);
    assert_int_equal(s->max_index, 4);
    assert_int_equal(s->points[4].billable, 99);
    assert_true(s->points[4].at_ms == lt_ms("2026-03-01T00:00:00Z") + 437 * 864000LL);
    assert_string_equal(s->points[4].label, "2026-03-05");
    for (size_t i = 0; i < s->count; i++) {
        total += s->points[i].snapshots;
        if (i != 4)
            assert_int_equal(s->points[i].billable, 7);
    }
    assert_int_equal(total, 1000);
    sl_chart_series_free(s);

    /* two years, four a day: 730 days do not fit 480 points, weeks do */
    snapshots_sql(st, "2031-01-01T00:00:00Z", 2920, 21600, "CASE i WHEN 1501 THEN 999 ELSE 400 END");
    s = series(st, "2031-01-01T00:00:00Z", "2032-12-31T23:59:59.999Z", 0);
    assert_int_equal(s->unit, SL_CHART_WEEK);
    assert_int_equal(s->count, 105);   /* weeks of 2030-12-30 to 2032-12-27 */
    assert_int_equal(point_at(s, lt_ms("2031-01-01T00:00:00Z") + 1501 * 21600000LL)->billable, 999);
    assert_string_equal(s->points[0].label, "week of 2030-12-30");
    sl_chart_series_free(s);
    /* narrower: fewer points allowed, months */
    s = series(st, "2031-01-01T00:00:00Z", "2032-12-31T23:59:59.999Z", SL_CHART_WIDTH_MIN);
    assert_int_equal(s->unit, SL_CHART_WEEK);   /* 105 weeks fit 160 points */
    sl_chart_series_free(s);

    /* 30 years of days: 1,566 weeks are too many, 360 months fit */
    snapshots_sql(st, "1940-01-01T12:00:00Z", 10958, 86400, "CASE i WHEN 5000 THEN 777 ELSE 1 END");
    s = series(st, "1940-01-01T00:00:00Z", "1969-12-31T23:59:59.999Z", 0);
    assert_int_equal(s->unit, SL_CHART_MONTH);
    assert_int_equal(s->count, 360);
    assert_int_equal(s->points[s->max_index].billable, 777);
    assert_true(s->points[s->max_index].at_ms == lt_ms("1940-01-01T12:00:00Z") + 5000 * 86400000LL);
    sl_chart_series_free(s);
    /* the same at the smallest width: 160 points, years */
    s = series(st, "1940-01-01T00:00:00Z", "1969-12-31T23:59:59.999Z", SL_CHART_WIDTH_MIN);
    assert_int_equal(s->unit, SL_CHART_YEAR);
    assert_int_equal(s->count, 30);
    assert_string_equal(s->points[0].label, "1940");
    assert_int_equal(s->points[s->max_index].billable, 777);
    sl_chart_series_free(s);

    /* a millennium, one snapshot a month: decades */
    snapshots_sql(st, "1000-01-01T00:00:00Z", 12000, 2629746, "1 + i % 10");
    s = series(st, "1000-01-01T00:00:00Z", "1939-12-31T23:59:59.999Z", 0);
    assert_int_equal(s->unit, SL_CHART_DECADE);
    assert_int_equal(s->count, 94);
    assert_string_equal(s->points[0].label, "1000-1009");
    sl_chart_series_free(s);
    /* and one a year since the year 1: 194 decades are too many for 160 points */
    snapshots_sql(st, "0001-01-01T00:00:00Z", 999, 31556952, "1");
    s = series(st, "0001-01-01T00:00:00Z", "1939-12-31T23:59:59.999Z", SL_CHART_WIDTH_MIN);
    assert_int_equal(s->unit, SL_CHART_CENTURY);
    assert_int_equal(s->count, 20);
    assert_string_equal(s->points[0].label, "0000-0099");
    assert_string_equal(s->points[19].label, "1900-1999");
    sl_chart_series_free(s);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

static void test_100k_snapshots_are_bounded(void **state)
{
    (void)state;
    char *dir, *svg = NULL;
    size_t len = 0;
    sl_store *st = store_with_license(&dir, "Bench", 500, "2025-01-01", "2026-12-31");
    sl_chart_series *s = NULL;
    sl_chart_options o;
    sl_error err = {0};
    /* every 10 minutes for 694 days, one spike */
    snapshots_sql(st, "2025-01-01T00:00:00Z", 100000, 600,
                  "CASE i WHEN 54321 THEN 5000 ELSE 300 + (i * 7919) % 300 END");
    sl_chart_options_init(&o);
    assert_int_equal(sl_store_chart(st, &o, &svg, &len, &s, &err), SL_OK);
    assert_int_equal(s->snapshots, 100000);
    assert_int_equal(s->unit, SL_CHART_WEEK);
    assert_true(s->count <= sl__chart_points_limit(SL_CHART_WIDTH_DEFAULT));
    assert_int_equal(s->points[s->max_index].billable, 5000);
    assert_true(s->points[s->max_index].at_ms == lt_ms("2025-01-01T00:00:00Z") + 54321 * 600000LL);
    assert_int_equal(s->over_max, 4500);
    assert_int_equal(strlen(svg), len);
    assert_true(len <= CHART_100K_BYTES_MAX);
    assert_int_equal(occurrences(svg, "<g class=\"sl-pt\">"), s->count);
    sl_free(svg);
    sl_chart_series_free(s);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

/* ---- the SVG ------------------------------------------------------------------ */

/* A small hand-made series: five snapshots, a seat limit from the second
 * day, one stretch above it. */
static sl_chart_series *sample(void)
{
    static const struct { const char *at; int64_t n; } rows[] = {
        {"2026-03-01T12:00:00Z", 3}, {"2026-03-05T12:00:00Z", 8}, {"2026-03-10T12:00:00Z", 12},
        {"2026-03-20T12:00:00Z", 11}, {"2026-03-28T12:00:00Z", 6},
    };
    sl_chart_series *s = calloc(1, sizeof *s);
    assert_non_null(s);
    s->from_ms = lt_ms("2026-03-01T00:00:00Z");
    s->to_ms = lt_ms("2026-03-31T23:59:59.999Z");
    s->unit = SL_CHART_SNAPSHOT;
    s->count = s->snapshots = 5;
    s->points = calloc(5, sizeof *s->points);
    assert_non_null(s->points);
    s->has_license = 1;
    s->license_id = 1;
    s->plan = strdup("premium");
    s->licensee_name = strdup("<img src=x onerror=alert(1)>");
    s->licensee_company = strdup("Evil & \"Co\" 'Ltd'");
    s->starts_on = lt_day("2026-03-02");
    s->expires_on = lt_day("2027-03-01");
    s->seats = 10;
    s->has_seat_line = 1;
    s->seat_from_ms = lt_ms("2026-03-02T00:00:00Z");
    s->seat_to_ms = s->to_ms;
    for (size_t i = 0; i < 5; i++) {
        s->points[i].at_ms = lt_ms(rows[i].at);
        s->points[i].first_day = sl_ms_to_date(s->points[i].at_ms);
        s->points[i].billable = rows[i].n;
        s->points[i].snapshots = 1;
        s->points[i].over = rows[i].n > 10 ? rows[i].n - 10 : 0;
        sl__chart_point_label(s->unit, s->points[i].at_ms, s->points[i].first_day,
                              s->points[i].label, sizeof s->points[i].label);
    }
    s->max_index = 2;
    s->over_count = 2;
    s->over_max = 2;
    return s;
}

static void test_svg_golden(void **state)
{
    (void)state;
    char *path = tu_source_path("tests/golden/usage-chart.svg"), *golden, *svg, *again;
    size_t len, glen;
    sl_chart_series *s = sample();
    svg = render(s, NULL, &len);
    if (getenv("SL_UPDATE_GOLDEN"))
        tu_write(path, svg, len);
    golden = tu_read(path, &glen);
    assert_string_equal(svg, golden);
    assert_int_equal(len, glen);
    again = render(s, NULL, NULL);            /* same input, same bytes */
    assert_string_equal(svg, again);
    /* the texts a user reads */
    assert_non_null(strstr(svg, "<desc id=\"sl-chart-desc\">Billable users from 2026-03-01 to "
        "2026-03-31 (UTC). Licensed to &lt;img src=x onerror=alert(1)&gt; (Evil &amp; &quot;Co&quot; "
        "&#39;Ltd&#39;), premium, 10 seats, 2026-03-02 to 2027-03-01. 5 snapshots, one point each. "
        "Highest: 12 billable users (2026-03-10 12:00:00 UTC). Latest: 6 billable users "
        "(2026-03-28 12:00:00 UTC). Seat limit: 10 from 2026-03-02 to 2026-03-31. Above the seat "
        "limit at 2 of 5 points, by up to 2 users.</desc>"));
    assert_non_null(strstr(svg, "role=\"img\" aria-labelledby=\"sl-chart-title sl-chart-desc\""));
    assert_non_null(strstr(svg, "<title>2026-03-10 12:00:00 UTC: 12 billable users, 2 over the seat "
                                "limit</title>"));
    assert_null(strstr(svg, "<img"));
    assert_null(strstr(svg, "tabindex"));
    /* it works under a strict CSP: presentation attributes only */
    assert_null(strstr(svg, "<style"));
    assert_null(strstr(svg, "style="));
    assert_null(strstr(svg, "<script"));
    assert_int_equal(occurrences(svg, "stroke-dasharray=\"8 4\""), 2);   /* legend and line */
    free(golden);
    sl_free(svg);
    sl_free(again);
    free(path);
    sl_chart_series_free(s);
}

static void test_svg_console_options(void **state)
{
    (void)state;
    sl_chart_series *s = sample();
    sl_chart_options o;
    char *svg;
    sl_chart_options_init(&o);
    o.focusable = 1;
    o.id_prefix = "usage";
    o.title = "Usage & <seats>";
    o.width = 640;
    o.height = 300;
    svg = render(s, &o, NULL);
    assert_non_null(strstr(svg, "width=\"640\" height=\"300\" viewBox=\"0 0 640 300\" role=\"group\" "
                                "aria-labelledby=\"usage-title usage-desc\""));
    assert_non_null(strstr(svg, "<title id=\"usage-title\">Usage &amp; &lt;seats&gt;</title>"));
    assert_non_null(strstr(svg, "fill=\"url(#usage-hatch)\""));
    assert_int_equal(occurrences(svg, "tabindex=\"0\" role=\"img\" aria-label=\""), 5);
    assert_non_null(strstr(svg, "aria-label=\"2026-03-01 12:00:00 UTC: 3 billable users\">"
                                "<title>2026-03-01 12:00:00 UTC: 3 billable users</title>"));
    sl_free(svg);

    /* no snapshots, unlimited seats */
    s->count = 0;
    s->snapshots = 0;
    s->seats = SL_COUNT_NONE;
    s->has_seat_line = 0;
    s->over_count = 0;
    s->over_max = 0;
    svg = render(s, NULL, NULL);
    assert_non_null(strstr(svg, ">No snapshots in this window</text>"));
    assert_non_null(strstr(svg, "unlimited seats, 2026-03-02 to 2027-03-01. No snapshots in this "
                                "window. No seat limit: the license is unlimited.</desc>"));
    assert_null(strstr(svg, "<polyline"));
    assert_null(strstr(svg, "sl-seats"));
    assert_null(strstr(svg, "class=\"sl-pt\""));
    sl_free(svg);
    /* no license at all */
    s->has_license = 0;
    svg = render(s, NULL, NULL);
    assert_non_null(strstr(svg, "(UTC). No current license. No snapshots in this window.</desc>"));
    sl_free(svg);
    sl_chart_series_free(s);
}

static void test_svg_hostile_texts(void **state)
{
    (void)state;
    sl_chart_series *s = sample();
    char name[400], *svg;
    /* control characters, bytes that are not UTF-8, U+FFFE, a lone surrogate,
     * a long name; 300 "é" are cut to 59 and an ellipsis */
    free(s->licensee_company);
    s->licensee_company = strdup("A\x01" "B\xff" "C\xef\xbf\xbe" "D\xed\xa0\x80" "E\tF\x7f");
    free(s->licensee_name);
    name[0] = '\0';
    for (int i = 0; i < 150; i++)
        strcat(name, "\xc3\xa9");
    s->licensee_name = strdup(name);
    svg = render(s, NULL, NULL);
    assert_non_null(strstr(svg, "A\xef\xbf\xbd" "B\xef\xbf\xbd" "C\xef\xbf\xbd" "D\xef\xbf\xbd"
                                "\xef\xbf\xbd\xef\xbf\xbd" "E F\xef\xbf\xbd"));
    assert_non_null(strstr(svg, "\xc3\xa9\xc3\xa9\xe2\x80\xa6 (A"));
    assert_null(strstr(svg, "\x01"));
    sl_free(svg);

    /* extreme counts render without overflow (UBSan watches) */
    s->points[0].billable = INT64_MAX;
    s->points[1].billable = INT64_MIN;
    s->points[0].over = INT64_MAX;
    s->max_index = 0;
    s->seats = 0;
    svg = render(s, NULL, NULL);
    assert_non_null(strstr(svg, "9,223,372,036,854,775,807 billable users"));
    sl_free(svg);
    sl_chart_series_free(s);
}

static void test_svg_worst_case_size(void **state)
{
    (void)state;
    sl_chart_series *s = sample();
    sl_chart_options o;
    char *svg;
    size_t len;
    free(s->points);
    s->count = SL_CHART_POINTS_MAX;
    s->points = calloc(s->count, sizeof *s->points);
    assert_non_null(s->points);
    s->unit = SL_CHART_WEEK;
    s->to_ms = s->from_ms + (int64_t)s->count * 7 * 86400000LL;
    s->seat_to_ms = s->to_ms;
    for (size_t i = 0; i < s->count; i++) {
        sl_chart_point *p = &s->points[i];
        p->at_ms = s->from_ms + (int64_t)i * 7 * 86400000LL + 12345;
        p->first_day = sl_ms_to_date(p->at_ms);
        p->billable = 1000000000000000000LL + (int64_t)(i % 2) * 1234567891011LL;
        p->snapshots = 1000000000000LL;
        p->over = p->billable - 10;
        sl__chart_point_label(s->unit, p->at_ms, p->first_day, p->label, sizeof p->label);
    }
    s->over_count = s->count;
    s->max_index = 1;
    sl_chart_options_init(&o);
    o.width = SL_CHART_SIZE_MAX;
    o.focusable = 1;
    svg = render(s, &o, &len);
    assert_true(len <= CHART_WORST_BYTES_MAX);
    assert_int_equal(occurrences(svg, "<g class=\"sl-pt\""), SL_CHART_POINTS_MAX);
    sl_free(svg);
    sl_chart_series_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buckets_and_labels),
        cmocka_unit_test(test_date_ticks_for_any_range),
        cmocka_unit_test(test_count_axis_nice_steps),
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_series_over_the_license_term),
        cmocka_unit_test(test_series_window_errors_and_no_license),
        cmocka_unit_test(test_aggregation_keeps_every_peak),
        cmocka_unit_test(test_100k_snapshots_are_bounded),
        cmocka_unit_test(test_svg_golden),
        cmocka_unit_test(test_svg_console_options),
        cmocka_unit_test(test_svg_hostile_texts),
        cmocka_unit_test(test_svg_worst_case_size),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
