/*
 * report/chart_series.c - what the usage chart draws: the window (the
 * current license's term unless given), the snapshots in it aggregated to at
 * most the points the width allows (the highest count of each bucket, so no
 * peak is hidden), and the current license's seat limit over its term.
 */
#include "report/report_internal.h"

#include <stdlib.h>
#include <string.h>

#define ID_PREFIX_DEFAULT "sl-chart"
/* The window is clamped to the years dates can be written in (sl_date_parse). */
#define WINDOW_FIRST_YEAR 1
#define WINDOW_LAST_YEAR  9999

static const char *const unit_names[] = {
    [SL_CHART_SNAPSHOT] = "snapshot", [SL_CHART_DAY] = "day",
    [SL_CHART_WEEK] = "week",         [SL_CHART_MONTH] = "month",
    [SL_CHART_YEAR] = "year",         [SL_CHART_DECADE] = "decade",
    [SL_CHART_CENTURY] = "century",
};

const char *sl_chart_unit_name(sl_chart_unit u)
{
    if ((int)u < 0 || (size_t)u >= sizeof unit_names / sizeof unit_names[0])
        return "unknown";
    return unit_names[u];
}

void sl_chart_options_init(sl_chart_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->from_ms = SL_CHART_TERM_START;
    opt->to_ms = SL_CHART_TERM_END;
}

static int id_prefix_ok(const char *p)
{
    size_t n = strlen(p);
    if (n == 0 || n > SL_CHART_ID_PREFIX_MAX ||
        !((p[0] >= 'A' && p[0] <= 'Z') || (p[0] >= 'a' && p[0] <= 'z')))
        return 0;
    for (size_t i = 1; i < n; i++) {
        char c = p[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

sl_rc sl__chart_options_resolve(const sl_chart_options *in, sl_chart_options *out,
                                sl_error *err)
{
    if (in)
        *out = *in;
    else
        sl_chart_options_init(out);
    if (out->width == 0)
        out->width = SL_CHART_WIDTH_DEFAULT;
    if (out->height == 0)
        out->height = SL_CHART_HEIGHT_DEFAULT;
    if (out->width < SL_CHART_WIDTH_MIN || out->width > SL_CHART_SIZE_MAX)
        return sl__err(err, SL_EUSAGE, "chart width must be %d to %d pixels, not %d",
                       SL_CHART_WIDTH_MIN, SL_CHART_SIZE_MAX, out->width);
    if (out->height < SL_CHART_HEIGHT_MIN || out->height > SL_CHART_SIZE_MAX)
        return sl__err(err, SL_EUSAGE, "chart height must be %d to %d pixels, not %d",
                       SL_CHART_HEIGHT_MIN, SL_CHART_SIZE_MAX, out->height);
    if (out->title && strlen(out->title) > SL_CHART_TITLE_MAX)
        return sl__err(err, SL_ETOOBIG, "chart title is longer than %d bytes",
                       SL_CHART_TITLE_MAX);
    if (!out->id_prefix)
        out->id_prefix = ID_PREFIX_DEFAULT;
    if (!id_prefix_ok(out->id_prefix))
        return sl__err(err, SL_EUSAGE,
                       "chart id prefix must be 1 to %d of [A-Za-z0-9_-] starting with a letter",
                       SL_CHART_ID_PREFIX_MAX);
    return SL_OK;
}

size_t sl__chart_points_limit(int width)
{
    size_t n = width > 0 ? (size_t)width / SL_CHART_POINT_PX : 0;
    if (n < SL_CHART_POINTS_MIN)
        n = SL_CHART_POINTS_MIN;
    if (n > SL_CHART_POINTS_MAX)
        n = SL_CHART_POINTS_MAX;
    return n;
}

static int floor_mod(int64_t a, int m)
{
    int r = (int)(a % m);
    return r < 0 ? r + m : r;
}

int32_t sl__chart_bucket_start(sl_chart_unit unit, int32_t day)
{
    int y, m, d;
    switch (unit) {
    case SL_CHART_WEEK:
        return day - floor_mod((int64_t)day + 3, 7);   /* 1970-01-01 was a Thursday */
    case SL_CHART_MONTH:
    case SL_CHART_YEAR:
    case SL_CHART_DECADE:
    case SL_CHART_CENTURY:
        sl__date_civil(day, &y, &m, &d);
        if (unit == SL_CHART_MONTH)
            return sl__date_from_civil(y, m, 1);
        if (unit == SL_CHART_DECADE)
            y -= floor_mod(y, 10);
        else if (unit == SL_CHART_CENTURY)
            y -= floor_mod(y, 100);
        return sl__date_from_civil(y, 1, 1);
    case SL_CHART_SNAPSHOT:
    case SL_CHART_DAY:
    default:
        return day;
    }
}

void sl__chart_point_label(sl_chart_unit unit, int64_t at_ms, int32_t first_day,
                           char *buf, size_t size)
{
    char date[16];
    int y, m, d;
    sl__date_civil(first_day, &y, &m, &d);
    switch (unit) {
    case SL_CHART_SNAPSHOT:
        sl_time_format_utc(at_ms, buf, size);
        break;
    case SL_CHART_DAY:
        sl_date_format(first_day, buf, size);
        break;
    case SL_CHART_WEEK:
        snprintf(buf, size, "week of %s", sl_date_format(first_day, date, sizeof date));
        break;
    case SL_CHART_MONTH:
        snprintf(buf, size, "%04d-%02d", y, m);
        break;
    case SL_CHART_YEAR:
        snprintf(buf, size, "%04d", y);
        break;
    case SL_CHART_DECADE:
        snprintf(buf, size, "%04d-%04d", y, y + 9);
        break;
    case SL_CHART_CENTURY:
    default:
        snprintf(buf, size, "%04d-%04d", y, y + 99);
        break;
    }
}

/* ---- aggregation --------------------------------------------------------
 * The snapshots stream in once, oldest first, into four levels at the same
 * time: each snapshot, days, weeks, and a calendar level that starts at
 * months and coarsens itself in place (month, year, decade, century nest, so
 * merging buckets is exact).  A level that goes over the limit is dropped
 * (weeks do not nest in months, so they cannot be coarsened); the finest
 * level left is drawn.  Memory: four arrays of limit + 1 points. */

enum { LV_SNAPSHOT, LV_DAY, LV_WEEK, LV_CALENDAR, LV_COUNT };

typedef struct level {
    sl_chart_unit unit;
    sl_chart_point *pts;   /* limit + 1 */
    size_t n;
    int dropped;
} level;

typedef struct agg {
    level lv[LV_COUNT];
    size_t limit;
    int64_t snapshots;
} agg;

/* Merge point q into p: the higher count wins, the earlier instant on a tie. */
static void merge_point(sl_chart_point *p, const sl_chart_point *q)
{
    p->snapshots += q->snapshots;
    if (q->billable > p->billable) {
        p->billable = q->billable;
        p->at_ms = q->at_ms;
    }
}

static void coarsen(level *l)
{
    size_t w = 0;
    l->unit = (sl_chart_unit)(l->unit + 1);
    for (size_t r = 0; r < l->n; r++) {
        sl_chart_point q = l->pts[r];
        q.first_day = sl__chart_bucket_start(l->unit, q.first_day);
        if (w > 0 && l->pts[w - 1].first_day == q.first_day)
            merge_point(&l->pts[w - 1], &q);
        else
            l->pts[w++] = q;
    }
    l->n = w;
}

static void level_add(level *l, size_t limit, const sl_chart_point *q)
{
    if (l->dropped)
        return;
    if (l->unit != SL_CHART_SNAPSHOT) {
        sl_chart_point b = *q;
        b.first_day = sl__chart_bucket_start(l->unit, q->first_day);
        /* rows come oldest first, so a bucket's snapshots are adjacent */
        if (l->n > 0 && l->pts[l->n - 1].first_day == b.first_day) {
            merge_point(&l->pts[l->n - 1], &b);
            return;
        }
        l->pts[l->n++] = b;
    } else {
        l->pts[l->n++] = *q;
    }
    while (l->n > limit) {
        if (l->unit < SL_CHART_MONTH || l->unit >= SL_CHART_CENTURY) {
            l->dropped = 1;   /* (centuries always fit: the window spans < 100) */
            return;
        }
        coarsen(l);
    }
}

static int agg_row(void *ud, const sl_snapshot *s)
{
    agg *a = ud;
    sl_chart_point q;
    memset(&q, 0, sizeof q);
    q.at_ms = s->recorded_at_ms;
    q.first_day = sl_ms_to_date(s->recorded_at_ms);
    q.billable = s->billable_user_count;
    q.snapshots = 1;
    a->snapshots++;
    for (int i = 0; i < LV_COUNT; i++)
        level_add(&a->lv[i], a->limit, &q);
    return 0;
}

/* ---- the series ---------------------------------------------------------- */

void sl_chart_series_free(sl_chart_series *s)
{
    if (!s)
        return;
    free(s->points);
    free(s->plan);
    free(s->licensee_name);
    free(s->licensee_company);
    free(s);
}

static sl_rc copy_text(char **dst, const char *src, sl_error *err)
{
    *dst = NULL;
    if (!src)
        return SL_OK;
    *dst = sl__strdup(src);
    return *dst ? SL_OK : sl__err(err, SL_ENOMEM, "out of memory");
}

/* The current license's attributes and the part of its term in the window. */
static sl_rc license_part(sl_chart_series *s, const sl_license_info *inf, int64_t id,
                          sl_error *err)
{
    sl_rc rc;
    s->has_license = 1;
    s->license_id = id;
    s->starts_on = inf->starts_on;
    s->expires_on = inf->expires_on;
    s->seats = inf->seats;
    rc = copy_text(&s->plan, inf->plan, err);
    if (rc == SL_OK)
        rc = copy_text(&s->licensee_name, inf->licensee_name, err);
    if (rc == SL_OK)
        rc = copy_text(&s->licensee_company, inf->licensee_company, err);
    if (rc != SL_OK || inf->seats == SL_COUNT_NONE)
        return rc;
    s->seat_from_ms = inf->starts_on != SL_DATE_NONE ? sl__day_start_ms(inf->starts_on) : s->from_ms;
    s->seat_to_ms = inf->expires_on != SL_DATE_NONE ? sl__day_end_ms(inf->expires_on) : s->to_ms;
    if (s->seat_from_ms < s->from_ms)
        s->seat_from_ms = s->from_ms;
    if (s->seat_to_ms > s->to_ms)
        s->seat_to_ms = s->to_ms;
    s->has_seat_line = s->seat_from_ms <= s->seat_to_ms;
    if (!s->has_seat_line)
        s->seat_from_ms = s->seat_to_ms = 0;
    return SL_OK;
}

/* billable - seats without overflow (counts are signed in the key format) */
static int64_t excess(int64_t billable, int64_t seats)
{
    int64_t d;
    if (billable <= seats)
        return 0;
    if (__builtin_sub_overflow(billable, seats, &d))
        return INT64_MAX;
    return d;
}

/* Labels, the excess over the seat limit and the maximum of each point. */
static void finish_points(sl_chart_series *s)
{
    for (size_t i = 0; i < s->count; i++) {
        sl_chart_point *p = &s->points[i];
        sl__chart_point_label(s->unit, p->at_ms, p->first_day, p->label, sizeof p->label);
        p->over = 0;
        if (s->has_seat_line && p->at_ms >= s->seat_from_ms && p->at_ms <= s->seat_to_ms)
            p->over = excess(p->billable, s->seats);
        if (p->over > 0) {
            s->over_count++;
            if (p->over > s->over_max)
                s->over_max = p->over;
        }
        if (p->billable > s->points[s->max_index].billable)
            s->max_index = i;
    }
}

sl_rc sl_store_chart_series(sl_store *st, const sl_chart_options *opt,
                            sl_chart_series **out, sl_error *err)
{
    sl_chart_options o;
    sl_chart_series *s = NULL;
    sl_license *lic = NULL;
    const sl_license_info *inf = NULL;
    const level *pick = NULL;
    agg a;
    int64_t now, id = 0, first, last;
    sl_rc rc;

    *out = NULL;
    memset(&a, 0, sizeof a);
    rc = sl__chart_options_resolve(opt, &o, err);
    if (rc != SL_OK)
        return rc;
    rc = sl__ledger_now(st, &now, err);
    if (rc != SL_OK)
        return rc;
    rc = sl__license_current(st, sl_ms_to_date(now), &lic, &id, err);
    if (rc != SL_OK)
        return rc;
    s = calloc(1, sizeof *s);
    if (!s) {
        rc = sl__err(err, SL_ENOMEM, "out of memory");
        goto done;
    }
    if (lic)
        inf = sl_license_get_info(lic);
    sl__ledger_window(inf ? inf->starts_on : SL_DATE_NONE, inf ? inf->expires_on : SL_DATE_NONE,
                      now, &s->from_ms, &s->to_ms);
    if (o.from_ms != SL_CHART_TERM_START)
        s->from_ms = o.from_ms;
    if (o.to_ms != SL_CHART_TERM_END)
        s->to_ms = o.to_ms;
    if (s->from_ms > s->to_ms) {
        char a1[32], b1[32];
        rc = sl__err(err, SL_EUSAGE, "the chart's window starts after it ends: from %s to %s",
                     sl_time_format_rfc3339(s->from_ms, a1, sizeof a1),
                     sl_time_format_rfc3339(s->to_ms, b1, sizeof b1));
        goto done;
    }
    first = sl__day_start_ms(sl__date_from_civil(WINDOW_FIRST_YEAR, 1, 1));
    last = sl__day_end_ms(sl__date_from_civil(WINDOW_LAST_YEAR, 12, 31));
    s->from_ms = s->from_ms < first ? first : s->from_ms > last ? last : s->from_ms;
    s->to_ms = s->to_ms < first ? first : s->to_ms > last ? last : s->to_ms;
    if (inf) {
        rc = license_part(s, inf, id, err);
        if (rc != SL_OK)
            goto done;
    } else {
        s->starts_on = s->expires_on = SL_DATE_NONE;
        s->seats = SL_COUNT_NONE;
    }

    a.limit = sl__chart_points_limit(o.width);
    for (int i = 0; i < LV_COUNT; i++) {
        a.lv[i].unit = i == LV_CALENDAR ? SL_CHART_MONTH : (sl_chart_unit)i;
        a.lv[i].pts = malloc((a.limit + 1) * sizeof *a.lv[i].pts);
        if (!a.lv[i].pts) {
            rc = sl__err(err, SL_ENOMEM, "out of memory");
            goto done;
        }
    }
    rc = sl_store_history(st, s->from_ms, s->to_ms, agg_row, &a, err);
    if (rc != SL_OK)
        goto done;
    for (int i = 0; i < LV_COUNT && !pick; i++) {
        if (!a.lv[i].dropped)
            pick = &a.lv[i];
    }
    if (!pick) {
        rc = sl__err(err, SL_EINTERNAL, "cannot fit the chart's points");
        goto done;
    }
    s->snapshots = a.snapshots;
    s->unit = pick->unit;
    s->count = pick->n;
    if (pick->n > 0) {
        s->points = malloc(pick->n * sizeof *s->points);
        if (!s->points) {
            rc = sl__err(err, SL_ENOMEM, "out of memory");
            goto done;
        }
        memcpy(s->points, pick->pts, pick->n * sizeof *s->points);
    }
    finish_points(s);
    *out = s;
    s = NULL;
done:
    for (int i = 0; i < LV_COUNT; i++)
        free(a.lv[i].pts);
    sl_chart_series_free(s);
    sl_license_free(lic);
    return rc;
}
