/*
 * ledger.c - the ledger commands of `seatledger`: refresh (record a
 * snapshot), history, usage export (the auditors' CSV), status (the morning
 * summary) and backup (SQLite online backup of a live ledger).
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TMP_PATH_MAX 4096

/* ---- refresh ----------------------------------------------------------- */

int cmd_refresh(cli_ctx *ctx, int argc, char **argv)
{
    sl_source source = SL_SOURCE_CLI;
    sl_addon_metric *metrics = NULL;
    size_t nmetrics = 0;
    sl_snapshot snap;
    sl_error err = {0};
    sl_store *st;
    char when[32], n[32];
    int rc = EXIT_OK;
    for (int i = 1; i < argc; i++) {
        if (cli_json_flag(ctx, argv[i]))
            continue;
        if (strcmp(argv[i], "--source") == 0 && i + 1 < argc) {
            i++;
            if (strcmp(argv[i], "cron") == 0)
                source = SL_SOURCE_CRON;
            else if (strcmp(argv[i], "cli") == 0)
                source = SL_SOURCE_CLI;
            else
                return cli_usage("refresh: --source must be cron or cli, not '%s'", argv[i]);
        } else {
            return cli_usage("refresh: unexpected argument '%s'", argv[i]);
        }
    }
    st = cli_store(ctx, &rc);
    if (!st)
        return rc;
    if (sl_store_refresh(st, source, &snap, &err) != SL_OK)
        return cli_fail(&err);
    /* the refresh is committed: a failure to read its add-on figures back
     * is reported, but the snapshot stands */
    if (sl_store_addon_metrics(st, snap.id, &metrics, &nmetrics, &err) != SL_OK)
        rc = cli_fail(&err);
    if (ctx->json) {
        printf("{\"recorded_at\":\"%s\",\"billable_user_count\":%lld,\"add_on_metrics\":[",
               sl_time_format_rfc3339(snap.recorded_at_ms, when, sizeof when),
               (long long)snap.billable_user_count);
        for (size_t i = 0; i < nmetrics; i++)
            printf("%s{\"add_on\":\"%s\",\"purchased_seats\":%lld,\"assigned_seats\":%lld}",
                   i ? "," : "", sl_addon_name(metrics[i].add_on),
                   (long long)metrics[i].purchased_seats, (long long)metrics[i].assigned_seats);
        printf("]}\n");
    } else {
        printf("recorded %s billable %s at %s\n",
               sl_format_count(snap.billable_user_count, n, sizeof n),
               snap.billable_user_count == 1 ? "user" : "users",
               sl_time_format_utc(snap.recorded_at_ms, when, sizeof when));
        for (size_t i = 0; i < nmetrics; i++)
            printf("%s: %lld of %lld seats assigned\n", sl_addon_name(metrics[i].add_on),
                   (long long)metrics[i].assigned_seats, (long long)metrics[i].purchased_seats);
    }
    sl_free(metrics);
    return rc;
}

/* ---- history ----------------------------------------------------------- */

/* The clock recoveries of the range, read first (there are few) and
 * printed among the snapshots at their place in time. */
typedef struct history_out {
    bool json;
    size_t rows;
    sl_clock_event *events;
    size_t nevents, next_event, cap;
    bool oom;
} history_out;

static int collect_event(void *ud, const sl_clock_event *e)
{
    history_out *h = ud;
    /* recoveries explain a jump in the history; confirmations only allow
     * one (they are in the audit log) */
    if (!e->recovery)
        return 0;
    if (h->nevents == h->cap) {
        size_t ncap = h->cap ? h->cap * 2 : 8;
        sl_clock_event *p = realloc(h->events, ncap * sizeof *p);
        if (!p) {
            h->oom = true;
            return 1;
        }
        h->events = p;
        h->cap = ncap;
    }
    h->events[h->nevents++] = *e;
    return 0;
}

static void print_clock_event(history_out *h, const sl_clock_event *e)
{
    char when[32], latest[32];
    if (h->json) {
        printf("%s{\"recorded_at\":\"%s\",\"clock_recovery\":{\"latest_before\":\"%s\"},"
               "\"source\":\"%s\"}",
               h->rows ? "," : "", sl_time_format_rfc3339(e->at_ms, when, sizeof when),
               sl_time_format_rfc3339(e->latest_before_ms, latest, sizeof latest),
               sl_source_name(e->source));
    } else {
        printf("%-23s  %14s  %s  clock recovered: the latest event had been recorded at %s\n",
               sl_time_format_utc(e->at_ms, when, sizeof when), "-", sl_source_name(e->source),
               sl_time_format_utc(e->latest_before_ms, latest, sizeof latest));
    }
    h->rows++;
}

/* Print the clock events recorded up to `until` (all: INT64_MAX). */
static void print_events_until(history_out *h, int64_t until)
{
    while (h->next_event < h->nevents && h->events[h->next_event].at_ms <= until)
        print_clock_event(h, &h->events[h->next_event++]);
}

static int print_snapshot(void *ud, const sl_snapshot *s)
{
    history_out *h = ud;
    char when[32], n[32];
    print_events_until(h, s->recorded_at_ms);
    if (h->json) {
        printf("%s{\"recorded_at\":\"%s\",\"billable_user_count\":%lld,\"source\":\"%s\"}",
               h->rows ? "," : "", sl_time_format_rfc3339(s->recorded_at_ms, when, sizeof when),
               (long long)s->billable_user_count, sl_source_name(s->source));
    } else {
        printf("%-23s  %14s  %s\n", sl_time_format_utc(s->recorded_at_ms, when, sizeof when),
               sl_format_count(s->billable_user_count, n, sizeof n), sl_source_name(s->source));
    }
    h->rows++;
    return 0;
}

int cmd_history(cli_ctx *ctx, int argc, char **argv)
{
    int64_t from = INT64_MIN, to = INT64_MAX;
    history_out h = {0};
    sl_error err = {0};
    sl_store *st;
    int rc = EXIT_OK;
    for (int i = 1; i < argc; i++) {
        if (cli_json_flag(ctx, argv[i]))
            continue;
        if (strcmp(argv[i], "--from") == 0 && i + 1 < argc)
            rc = cli_parse_bound("history", "--from", argv[++i], 0, &from);
        else if (strcmp(argv[i], "--to") == 0 && i + 1 < argc)
            rc = cli_parse_bound("history", "--to", argv[++i], 1, &to);
        else
            return cli_usage("history: unexpected argument '%s'", argv[i]);
        if (rc != EXIT_OK)
            return rc;
    }
    st = cli_store(ctx, &rc);
    if (!st)
        return rc;
    h.json = ctx->json;
    if (sl_store_clock_events(st, from, to, collect_event, &h, &err) != SL_OK || h.oom) {
        free(h.events);
        return h.oom ? cli_fail(&(sl_error){SL_ENOMEM, "out of memory"}) : cli_fail(&err);
    }
    if (h.json)
        putchar('[');
    else
        printf("%-23s  %14s  %s\n", "RECORDED AT", "BILLABLE USERS", "SOURCE");
    if (sl_store_history(st, from, to, print_snapshot, &h, &err) != SL_OK) {
        if (h.json)
            putchar('\n');
        free(h.events);
        return cli_fail(&err);
    }
    print_events_until(&h, INT64_MAX);
    free(h.events);
    if (h.json)
        puts("]");
    return EXIT_OK;
}

/* ---- usage export ------------------------------------------------------ */

static sl_rc write_usage(FILE *f, void *ud, sl_error *err)
{
    return sl_store_usage_export(ud, f, err);
}

int cmd_usage_export(cli_ctx *ctx, int argc, char **argv)
{
    const char *out = NULL;
    sl_error err = {0};
    sl_store *st;
    int rc = EXIT_OK;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--out") == 0 && i + 1 < argc && !out)
            out = argv[++i];
        else
            return cli_usage("usage export: unexpected argument '%s'", argv[i]);
    }
    rc = cli_check_out(&out);
    if (rc != EXIT_OK)
        return rc;
    st = cli_store(ctx, &rc);
    if (!st)
        return rc;
    /* to a file: temp file beside it, then rename, so a reader never sees
     * half a CSV and a failure leaves the old one */
    if (cli_write_stream(out, 0, write_usage, st, &err) != SL_OK)
        return cli_fail(&err);
    return EXIT_OK;
}

/* ---- status ------------------------------------------------------------ */

static json_t *date_json(int32_t d)
{
    char buf[16];
    return d == SL_DATE_NONE ? json_null() : json_string(sl_date_format(d, buf, sizeof buf));
}

static json_t *text_json(const char *s)
{
    return s ? json_string(s) : json_null();
}

static int print_status_json(const sl_status *s)
{
    char when[32];
    json_t *o = json_object(), *notices = json_array(), *addons = json_array();
    char *text;
    if (!o || !notices || !addons) {
        json_decref(o);
        json_decref(notices);
        json_decref(addons);
        fputs("seatledger: out of memory\n", stderr);
        return EXIT_SYSTEM;
    }
    for (size_t i = 0; i < s->notice_count; i++)
        json_array_append_new(notices, json_string(s->notices[i]));
    for (size_t i = 0; i < s->addon_count; i++)
        json_array_append_new(addons, json_pack("{s:s,s:I,s:I,s:o,s:I}",
            "add_on", sl_addon_name(s->addons[i].add_on),
            "quantity", (json_int_t)s->addons[i].quantity,
            "assigned", (json_int_t)s->addons[i].assigned,
            "expires_on", date_json(s->addons[i].expires_on),
            "days_left", (json_int_t)s->addons[i].days_left));
    json_object_set_new(o, "has_license", json_boolean(s->has_license));
    json_object_set_new(o, "license_id",
                        s->has_license ? json_integer(s->license_id) : json_null());
    json_object_set_new(o, "plan", text_json(s->plan));
    json_object_set_new(o, "licensee_name", text_json(s->licensee_name));
    json_object_set_new(o, "licensee_email", text_json(s->licensee_email));
    json_object_set_new(o, "licensee_company", text_json(s->licensee_company));
    json_object_set_new(o, "starts_on", date_json(s->starts_on));
    json_object_set_new(o, "expires_on", date_json(s->expires_on));
    json_object_set_new(o, "block_changes_on", date_json(s->block_changes_on));
    json_object_set_new(o, "today", date_json(s->today));
    json_object_set_new(o, "days_left",
                        s->days_left >= 0 ? json_integer(s->days_left) : json_null());
    json_object_set_new(o, "expired", json_boolean(s->expired));
    json_object_set_new(o, "trial", json_boolean(s->trial));
    json_object_set_new(o, "seats", s->seats >= 0 ? json_integer(s->seats) : json_null());
    json_object_set_new(o, "billable_now", json_integer(s->billable_now));
    json_object_set_new(o, "daily_billable", json_integer(s->daily_billable));
    json_object_set_new(o, "historical_max", json_integer(s->historical_max));
    json_object_set_new(o, "maximum_user_count", json_integer(s->maximum_user_count));
    json_object_set_new(o, "overage", json_integer(s->overage));
    json_object_set_new(o, "snapshots", json_integer(s->snapshots));
    json_object_set_new(o, "last_snapshot_at",
                        s->snapshots ? json_string(sl_time_format_rfc3339(s->last_snapshot_ms, when,
                                                                          sizeof when))
                                     : json_null());
    json_object_set_new(o, "future_license_id",
                        s->has_future_license ? json_integer(s->future_license_id) : json_null());
    json_object_set_new(o, "future_starts_on",
                        s->has_future_license ? date_json(s->future_starts_on) : json_null());
    json_object_set_new(o, "add_ons", addons);
    json_object_set_new(o, "latest_event_at",
                        s->clock.has_latest
                            ? json_string(sl_time_format_rfc3339(s->clock.latest_ms, when,
                                                                 sizeof when))
                            : json_null());
    json_object_set_new(o, "clock_recoveries", json_integer(s->clock.recoveries));
    json_object_set_new(o, "last_clock_recovery_at",
                        s->clock.recoveries
                            ? json_string(sl_time_format_rfc3339(s->clock.last_recovery_ms, when,
                                                                 sizeof when))
                            : json_null());
    json_object_set_new(o, "notices", notices);
    text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (!text) {
        fputs("seatledger: out of memory\n", stderr);
        return EXIT_SYSTEM;
    }
    puts(text);
    free(text);
    return EXIT_OK;
}

static void print_status_text(const sl_status *s)
{
    char a[32], b[32], n[32];
    if (s->has_license) {
        printf("License %lld: %s%s\n", (long long)s->license_id, cli_shown(s->plan),
               s->trial ? " (trial)" : "");
        printf("  licensee:        %s", s->licensee_name ? cli_shown(s->licensee_name) : "-");
        if (s->licensee_email)
            printf(" <%s>", cli_shown(s->licensee_email));
        if (s->licensee_company)
            printf(", %s", cli_shown(s->licensee_company));
        putchar('\n');
        if (s->expires_on == SL_DATE_NONE)
            printf("  term:            %s, no expiry\n", sl_date_format(s->starts_on, a, sizeof a));
        else if (s->expired)
            printf("  term:            %s to %s (expired)\n",
                   sl_date_format(s->starts_on, a, sizeof a),
                   sl_date_format(s->expires_on, b, sizeof b));
        else
            printf("  term:            %s to %s (%s %s left)\n",
                   sl_date_format(s->starts_on, a, sizeof a),
                   sl_date_format(s->expires_on, b, sizeof b),
                   sl_format_count(s->days_left, n, sizeof n), s->days_left == 1 ? "day" : "days");
        if (s->seats >= 0)
            printf("  seats:           %s\n", sl_format_count(s->seats, n, sizeof n));
        else
            printf("  seats:           unrestricted\n");
    } else {
        printf("No current license\n");
    }
    printf("  billable now:    %s\n", sl_format_count(s->billable_now, n, sizeof n));
    if (s->snapshots)
        printf("  last snapshot:   %s %s at %s (%s %s)\n",
               sl_format_count(s->daily_billable, n, sizeof n),
               s->daily_billable == 1 ? "user" : "users",
               sl_time_format_utc(s->last_snapshot_ms, a, sizeof a),
               sl_format_count(s->snapshots, b, sizeof b),
               s->snapshots == 1 ? "snapshot" : "snapshots");
    else
        printf("  last snapshot:   none\n");
    printf("  maximum:         %s (historical max %s)\n",
           sl_format_count(s->maximum_user_count, a, sizeof a),
           sl_format_count(s->historical_max, b, sizeof b));
    printf("  overage:         %s\n", sl_format_count(s->overage, n, sizeof n));
    for (size_t i = 0; i < s->addon_count; i++)
        printf("  %s: %s of %s seats assigned, expires %s\n",
               sl_addon_name(s->addons[i].add_on),
               sl_format_count(s->addons[i].assigned, a, sizeof a),
               sl_format_count(s->addons[i].quantity, b, sizeof b),
               sl_date_format(s->addons[i].expires_on, n, sizeof n));
    if (s->notice_count) {
        printf("Notices:\n");
        for (size_t i = 0; i < s->notice_count; i++)
            printf("  - %s\n", cli_shown(s->notices[i]));
    }
}

int cmd_status(cli_ctx *ctx, int argc, char **argv)
{
    sl_status s;
    sl_error err = {0};
    sl_store *st;
    int rc = EXIT_OK;
    for (int i = 1; i < argc; i++) {
        if (!cli_json_flag(ctx, argv[i]))
            return cli_usage("status: unexpected argument '%s'", argv[i]);
    }
    st = cli_store(ctx, &rc);
    if (!st)
        return rc;
    if (sl_store_status(st, &s, &err) != SL_OK)
        return cli_fail(&err);
    if (ctx->json)
        rc = print_status_json(&s);
    else
        print_status_text(&s);
    sl_status_free(&s);
    return rc;
}

/* ---- backup ------------------------------------------------------------ */

int cmd_backup(cli_ctx *ctx, int argc, char **argv)
{
    sl_error err = {0};
    sl_store *st;
    int rc = EXIT_OK;
    if (argc != 2)
        return cli_usage("backup needs exactly one DEST path");
    st = cli_store(ctx, &rc);
    if (!st)
        return rc;
    if (sl_store_backup(st, argv[1], &err) != SL_OK)
        return cli_fail(&err);
    printf("backed up '%s' to '%s'\n", sl_store_path(st), argv[1]);
    return EXIT_OK;
}
