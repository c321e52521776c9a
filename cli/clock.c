/*
 * clock.c - `seatledger clock`: the admin's two audited answers to a clock
 * the ledger does not trust (docs/security.md, "Clock safety"): confirm a
 * clock far ahead of the ledger's latest event, or recover a ledger whose
 * latest event lies in the future.
 */
#include "cli.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

typedef sl_rc (*clock_fn)(sl_store *st, sl_source source, int *recorded, sl_error *err);

static void print_json(int recorded, const sl_clock_state *before)
{
    char now[32], latest[32];
    json_t *o = json_pack("{s:b,s:s,s:o}", "recorded", recorded, "now",
                          sl_time_format_rfc3339(before->now_ms, now, sizeof now),
                          "latest_before",
                          before->has_latest
                              ? json_string(sl_time_format_rfc3339(before->latest_ms, latest,
                                                                   sizeof latest))
                              : json_null());
    char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    puts(s ? s : "{}");
    free(s);
    json_decref(o);
}

static int clock_command(cli_ctx *ctx, int argc, char **argv, clock_fn fn)
{
    sl_clock_state before;
    sl_error err = {0};
    sl_store *st;
    char now[32], latest[32], days[32];
    int64_t gap;
    int recorded = 0, rc = EXIT_OK;
    for (int i = 1; i < argc; i++) {
        if (!cli_json_flag(ctx, argv[i]))
            return cli_usage("clock %s: unexpected argument '%s'", argv[0], argv[i]);
    }
    st = cli_store(ctx, &rc);
    if (!st)
        return rc;
    if (sl_store_clock_state(st, &before, &err) != SL_OK || fn(st, SL_SOURCE_CLI, &recorded, &err) != SL_OK)
        return cli_fail(&err);
    if (ctx->json) {
        print_json(recorded, &before);
        return EXIT_OK;
    }
    sl_time_format_utc(before.now_ms, now, sizeof now);
    sl_time_format_utc(before.latest_ms, latest, sizeof latest);
    gap = before.now_ms - before.latest_ms;
    sl_format_count((gap < 0 ? -gap : gap) / 86400000LL, days, sizeof days);
    if (fn == sl_store_clock_confirm && recorded)
        printf("confirmed the clock: %s is the ledger's latest time now (its latest event was "
               "%s, %s days earlier); recorded in the audit log\n",
               now, latest, days);
    else if (fn == sl_store_clock_confirm)
        printf("nothing to confirm: the clock is not more than %d days ahead of the ledger's "
               "latest event%s%s\n", SL_CLOCK_AHEAD_MAX_DAYS,
               before.has_latest ? " at " : "", before.has_latest ? latest : "");
    else if (recorded)
        printf("recovered the ledger's clock at %s: its latest event, at %s, lay %s days in "
               "the future; every time recorded before this recovery is set aside (and kept), "
               "and the recovery stays in the audit log, the history and status\n",
               now, latest, days);
    else
        printf("nothing to recover: the ledger's latest event%s%s is not after the clock (%s)\n",
               before.has_latest ? " at " : "", before.has_latest ? latest : "", now);
    return EXIT_OK;
}

int cmd_clock_confirm(cli_ctx *ctx, int argc, char **argv)
{
    return clock_command(ctx, argc, argv, sl_store_clock_confirm);
}

int cmd_clock_recover(cli_ctx *ctx, int argc, char **argv)
{
    return clock_command(ctx, argc, argv, sl_store_clock_recover);
}
