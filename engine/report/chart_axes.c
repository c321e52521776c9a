/*
 * report/chart_axes.c - the usage chart's axes: date ticks on calendar
 * boundaries (days up to millennia, the finest whose labels fit the width)
 * and count ticks in steps of 1, 2 or 5 times a power of ten.  Numbers are
 * written by hand, so no locale changes a byte.
 */
#include "report/report_internal.h"

#include <math.h>
#include <string.h>

/* Space between two date labels, beyond their own width. */
#define TICK_GAP_PX 16.0
/* A count axis spans at least this much, so 0 and 1 users do not fill it. */
#define COUNT_SPAN_MIN 5.0

typedef enum { T_DAYS, T_WEEKS, T_MONTHS, T_YEARS } tick_kind;

typedef struct tick_step {
    const char *name;
    tick_kind kind;
    int n;
    int label_chars;
} tick_step;

/* Finest first; labels "2026-03-01", "Mar 2026", "2026". */
static const tick_step steps[] = {
    {"day", T_DAYS, 1, 10},        {"2 days", T_DAYS, 2, 10},
    {"week", T_WEEKS, 1, 10},      {"2 weeks", T_WEEKS, 2, 10},
    {"month", T_MONTHS, 1, 8},     {"2 months", T_MONTHS, 2, 8},
    {"quarter", T_MONTHS, 3, 8},   {"half year", T_MONTHS, 6, 8},
    {"year", T_YEARS, 1, 4},       {"2 years", T_YEARS, 2, 4},
    {"5 years", T_YEARS, 5, 4},    {"10 years", T_YEARS, 10, 4},
    {"20 years", T_YEARS, 20, 4},  {"50 years", T_YEARS, 50, 4},
    {"100 years", T_YEARS, 100, 4}, {"200 years", T_YEARS, 200, 4},
    {"500 years", T_YEARS, 500, 4}, {"1000 years", T_YEARS, 1000, 4},
    {"2000 years", T_YEARS, 2000, 4}, {"5000 years", T_YEARS, 5000, 4},
};

static const char *const month_abbr[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t round_up(int64_t a, int64_t n)
{
    return floor_div(a + n - 1, n) * n;
}

static void tick_label(const tick_step *st, int32_t day, char *buf, size_t size)
{
    int y, m, d;
    sl__date_civil(day, &y, &m, &d);
    if (st->kind == T_MONTHS)
        snprintf(buf, size, "%s %04d", month_abbr[m - 1], y);
    else if (st->kind == T_YEARS)
        snprintf(buf, size, "%04d", y);
    else
        sl_date_format(day, buf, size);
}

/* The ticks of one step in [from, to], at most cap + 1 of them counted;
 * stored in out when out is not NULL.  Returns how many. */
static size_t enumerate(const tick_step *st, int64_t from_ms, int64_t to_ms, size_t cap,
                        sl_chart_date_ticks *out)
{
    int32_t d0 = sl_ms_to_date(from_ms);
    int64_t k;
    size_t n = 0;
    int y, m, d;
    if (sl__day_start_ms(d0) < from_ms)
        d0++;
    sl__date_civil(d0, &y, &m, &d);
    switch (st->kind) {
    case T_DAYS:
        k = round_up(d0, st->n);
        break;
    case T_WEEKS:   /* Mondays: week w starts on day 7w - 3 */
        k = round_up(floor_div((int64_t)d0 + 3 + 6, 7), st->n);
        break;
    case T_MONTHS:
        k = round_up((int64_t)y * 12 + (m - 1) + (d > 1), st->n);
        break;
    case T_YEARS:
    default:
        k = round_up((int64_t)y + (m > 1 || d > 1), st->n);
        break;
    }
    for (; n <= cap; k += st->n) {
        int32_t day;
        int64_t ms;
        if (st->kind == T_DAYS)
            day = (int32_t)k;
        else if (st->kind == T_WEEKS)
            day = (int32_t)(k * 7 - 3);
        else if (st->kind == T_MONTHS)
            day = sl__date_from_civil((int)floor_div(k, 12), (int)(k - floor_div(k, 12) * 12) + 1, 1);
        else
            day = sl__date_from_civil((int)k, 1, 1);
        ms = sl__day_start_ms(day);
        if (ms > to_ms)
            break;
        if (out && n < SL_CHART_TICKS_MAX) {
            out->at_ms[n] = ms;
            tick_label(st, day, out->label[n], sizeof out->label[n]);
        }
        n++;
    }
    return n;
}

void sl__chart_date_ticks(int64_t from_ms, int64_t to_ms, double plot_px, double char_px,
                          sl_chart_date_ticks *out)
{
    const size_t nsteps = sizeof steps / sizeof steps[0];
    size_t i;
    memset(out, 0, sizeof *out);
    for (i = 0; i < nsteps; i++) {
        double per = steps[i].label_chars * char_px + TICK_GAP_PX;
        size_t cap = plot_px > per ? (size_t)(plot_px / per) : 1;
        if (cap > SL_CHART_TICKS_MAX)
            cap = SL_CHART_TICKS_MAX;
        if (enumerate(&steps[i], from_ms, to_ms, cap, NULL) <= cap)
            break;
    }
    if (i == nsteps)
        i = nsteps - 1;   /* unreachable for windows inside the years 1-9999 */
    out->step = steps[i].name;
    out->count = enumerate(&steps[i], from_ms, to_ms, SL_CHART_TICKS_MAX - 1, out);
    if (out->count > SL_CHART_TICKS_MAX)
        out->count = SL_CHART_TICKS_MAX;
    if (out->count == 0) {
        /* a window inside one day: its date at its start */
        out->count = 1;
        out->at_ms[0] = from_ms;
        sl_date_format(sl_ms_to_date(from_ms), out->label[0], sizeof out->label[0]);
    }
}

void sl__chart_count_axis(double vmin, double vmax, int target, sl_chart_count_axis *out)
{
    double top = vmax, raw, p = 1, step;
    if (vmin > 0)
        vmin = 0;
    if (top < vmin)
        top = vmin;
    if (top - vmin < COUNT_SPAN_MIN)
        top = vmin + COUNT_SPAN_MIN;
    raw = (top - vmin) / (target > 0 ? target : 1);
    while (p * 10 <= raw)
        p *= 10;
    step = raw <= p ? p : raw <= 2 * p ? 2 * p : raw <= 5 * p ? 5 * p : 10 * p;
    out->step = step;
    out->lo = floor(vmin / step) * step;
    out->hi = ceil(top / step) * step;
    if (out->hi <= vmax)   /* room above the highest point for its label */
        out->hi += step;
    out->count = (size_t)llround((out->hi - out->lo) / step) + 1;
}

char *sl__chart_count_text(double v, char *buf, size_t size)
{
    char digits[48];
    size_t n, len, o = 0, lead;
    const char *p = digits;
    if (v == 0)
        v = 0;   /* no "-0" */
    /* "%.0f" has no radix character, so no locale reaches it */
    snprintf(digits, sizeof digits, "%.0f", v);
    if (*p == '-') {
        if (o + 1 < size)
            buf[o++] = '-';
        p++;
    }
    len = strlen(p);
    lead = len % 3 ? len % 3 : 3;
    for (n = 0; n < len; n++) {
        if (n >= lead && (n - lead) % 3 == 0 && n > 0 && o + 1 < size)
            buf[o++] = ',';
        if (o + 1 < size)
            buf[o++] = p[n];
    }
    if (size)
        buf[o < size ? o : size - 1] = '\0';
    return buf;
}
