/*
 * chart.c - `seatledger usage chart`: the usage chart as an SVG file for
 * auditors' reports, drawn by the engine's renderer (engine/report/), the
 * same one the admin console embeds.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static int parse_day(const char *opt, const char *s, int32_t *out)
{
    sl_error err = {0};
    if (sl_date_parse(s, out, &err) != SL_OK)
        return cli_usage("usage chart: %s: %s", opt, err.message);
    return EXIT_OK;
}

/* A chart size: min to SL_CHART_SIZE_MAX pixels. */
static int parse_size(const char *opt, const char *s, int min, int *out)
{
    int64_t v = 0;
    if (!cli_parse_i64(s, &v) || v < min || v > SL_CHART_SIZE_MAX)
        return cli_usage("usage chart: %s needs %d to %d pixels, not '%s'", opt, min,
                         SL_CHART_SIZE_MAX, s);
    *out = (int)v;
    return EXIT_OK;
}

static void print_summary(const cli_ctx *ctx, const char *out, const sl_chart_series *s,
                          size_t bytes)
{
    char from[16], to[16], n[32];
    sl_date_format(sl_ms_to_date(s->from_ms), from, sizeof from);
    sl_date_format(sl_ms_to_date(s->to_ms), to, sizeof to);
    if (ctx->json) {
        printf("{\"from\":\"%s\",\"to\":\"%s\",\"snapshots\":%lld,\"points\":%zu,"
               "\"unit\":\"%s\",\"bytes\":%zu}\n", from, to, (long long)s->snapshots, s->count,
               sl_chart_unit_name(s->unit), bytes);
        return;
    }
    printf("wrote '%s': %s %s from %s to %s", out, sl_format_count(s->snapshots, n, sizeof n),
           s->snapshots == 1 ? "snapshot" : "snapshots", from, to);
    if (s->count > 0 && s->unit != SL_CHART_SNAPSHOT)
        printf(", the highest count of each %s (%zu points)", sl_chart_unit_name(s->unit), s->count);
    putchar('\n');
}

int cli_usage_chart(cli_ctx *ctx, int argc, char **argv)
{
    sl_chart_options opt;
    sl_chart_series *series = NULL;
    const char *out = NULL;
    char *svg = NULL;
    size_t len = 0;
    int32_t from = SL_DATE_NONE, to = SL_DATE_NONE;
    sl_error err = {0};
    sl_store *st;
    int rc = EXIT_OK;

    sl_chart_options_init(&opt);
    for (int i = 1; i < argc; i++) {
        if (cli_json_flag(ctx, argv[i]))
            continue;
        if (strcmp(argv[i], "--from") == 0 && i + 1 < argc)
            rc = parse_day("--from", argv[++i], &from);
        else if (strcmp(argv[i], "--to") == 0 && i + 1 < argc)
            rc = parse_day("--to", argv[++i], &to);
        else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc && !out)
            out = argv[++i];
        else if (strcmp(argv[i], "--width") == 0 && i + 1 < argc)
            rc = parse_size("--width", argv[++i], SL_CHART_WIDTH_MIN, &opt.width);
        else if (strcmp(argv[i], "--height") == 0 && i + 1 < argc)
            rc = parse_size("--height", argv[++i], SL_CHART_HEIGHT_MIN, &opt.height);
        else if (strcmp(argv[i], "--focusable") == 0)
            opt.focusable = 1;
        else
            return cli_usage("usage chart: unexpected argument '%s'", argv[i]);
        if (rc != EXIT_OK)
            return rc;
    }
    if (!out)
        return cli_usage("usage chart: --out FILE is required ('-' for stdout)");
    if (from != SL_DATE_NONE && to != SL_DATE_NONE && from > to) {
        char a[16], b[16];
        return cli_usage("usage chart: --from %s is after --to %s",
                         sl_date_format(from, a, sizeof a), sl_date_format(to, b, sizeof b));
    }
    rc = cli_check_out(&out);
    if (rc != EXIT_OK)
        return rc;
    if (from != SL_DATE_NONE)
        opt.from_ms = sl_date_to_ms(from);
    if (to != SL_DATE_NONE)
        opt.to_ms = sl_date_to_ms(to) + 86400000LL - 1;
    st = cli_store(ctx, &rc);
    if (!st)
        return rc;
    if (sl_store_chart(st, &opt, &svg, &len, &series, &err) != SL_OK)
        return cli_fail(&err);
    if (cli_write_file(out, svg, len, 0, &err) != SL_OK) {
        /* the output's directory is missing: a storage problem, not a lookup */
        if (err.code == SL_ENOTFOUND)
            err.code = SL_ESTORAGE;
        rc = cli_fail(&err);
    } else if (out) {
        print_summary(ctx, out, series, len);
    }
    sl_free(svg);
    sl_chart_series_free(series);
    return rc;
}
