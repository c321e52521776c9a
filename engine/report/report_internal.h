/*
 * report/report_internal.h - the seams between the report modules, listed
 * bottom-up (a module may call only the sections above its own): the
 * chart's calendar buckets, its axes, and its SVG writer.  Pure functions
 * over plain values, so unit tests drive them without a ledger.
 */
#ifndef SL_REPORT_INTERNAL_H
#define SL_REPORT_INTERNAL_H

#include "ledger/ledger_internal.h"

#include <openssl/evp.h>

/* ---- calendar buckets (report/chart_series.c) --------------------------- */

/* The first day of the bucket of `unit` holding `day` (weeks start on
 * Monday; SL_CHART_SNAPSHOT and SL_CHART_DAY: the day itself). */
int32_t sl__chart_bucket_start(sl_chart_unit unit, int32_t day);
/* The label of a point of `unit` (sl_chart_point.label) into buf. */
void sl__chart_point_label(sl_chart_unit unit, int64_t at_ms, int32_t first_day,
                           char *buf, size_t size);
/* Points allowed for a chart `width` pixels wide (SL_CHART_POINT_PX). */
size_t sl__chart_points_limit(int width);
/* Checks options and fills in the defaults: SL_EUSAGE / SL_ETOOBIG. */
sl_rc sl__chart_options_resolve(const sl_chart_options *in, sl_chart_options *out,
                                sl_error *err);

/* ---- axes (report/chart_axes.c) ----------------------------------------- */

#define SL_CHART_TICKS_MAX 32
#define SL_CHART_TICK_LABEL_MAX 16

/* Date ticks on calendar boundaries (days, weeks, months, quarters, years,
 * multiples of years): the finest step whose labels, each about `label_px`
 * wide per character, fit in plot_px. */
typedef struct sl_chart_date_ticks {
    size_t count;
    const char *step;                      /* "day", "2 days", "week", ... */
    int64_t at_ms[SL_CHART_TICKS_MAX];
    char label[SL_CHART_TICKS_MAX][SL_CHART_TICK_LABEL_MAX];
} sl_chart_date_ticks;
void sl__chart_date_ticks(int64_t from_ms, int64_t to_ms, double plot_px,
                          double char_px, sl_chart_date_ticks *out);

/* A count axis from lo to hi in steps of 1, 2 or 5 times a power of ten
 * (at least 1): lo <= vmin, hi > vmax (room above the highest point), at
 * most about `target` steps. */
typedef struct sl_chart_count_axis {
    double lo, hi, step;
    size_t count;                          /* ticks: lo, lo+step, ..., hi */
} sl_chart_count_axis;
void sl__chart_count_axis(double vmin, double vmax, int target, sl_chart_count_axis *out);
/* An integral count as text with thousands separators ("1,234,567"), also
 * beyond int64_t (a tick above the largest count). */
char *sl__chart_count_text(double v, char *buf, size_t size);

/* ---- signed usage reports: verification (report/report_verify.c) ------- */

/* The bytes a report's signature covers: the report without its
 * "signature" member in canonical JSON (RFC 8785: sorted keys, no
 * whitespace; a report holds no real numbers and no control characters),
 * after the prefix "seatledger usage report v1\n".  Caller frees *out. */
sl_rc sl__report_signed_bytes(const json_t *report, char **out, size_t *len, sl_error *err);
/* The report's "format" and its version. */
const char *sl__report_format(int *version);
/* Lowercase hex SHA-256 of the SPKI DER of a public key. */
sl_rc sl__report_key_sha256(EVP_PKEY *pk, char out[SL_CHAIN_HASH_HEX], sl_error *err);

#endif /* SL_REPORT_INTERNAL_H */
