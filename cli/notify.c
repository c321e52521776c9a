/*
 * notify.c - `seatledger notify`: one round of notifications, for cron or
 * a systemd unit (`serve` runs the same round on a timer).  A round asks
 * the engine to record the events of changed conditions, then delivers what
 * each target is owed (cli/notify_deliver.c) and records the outcome; a
 * failed delivery is owed still and is retried by the next round.
 */
#include "cli.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_TIMEOUT_S 30
#define TIMEOUT_MAX_S 3600
#define WHY_MAX 512
/* a run holds what it delivers for the timeout plus this much */
#define HOLD_MARGIN_MS 60000

void cli_notify_opts_free(cli_notify_opts *o)
{
    for (size_t i = 0; i < o->ntargets; i++)
        free(o->targets[i]);
    o->ntargets = 0;
}

static int add_target(cli_notify_opts *o, const char *kind, const char *what)
{
    size_t n = strlen(kind) + strlen(what) + 1;
    char *t;
    if (o->ntargets == SL_NOTIFY_TARGETS_MAX)
        return cli_usage("at most %d notification targets", SL_NOTIFY_TARGETS_MAX);
    t = malloc(n);
    if (!t) {
        fputs("seatledger: out of memory\n", stderr);
        return EXIT_SYSTEM;
    }
    snprintf(t, n, "%s%s", kind, what);
    o->targets[o->ntargets++] = t;
    return EXIT_OK;
}

int cli_notify_option(cli_notify_opts *o, int argc, char **argv, int *i, int *exit_code)
{
    sl_error err = {0};
    const char *a = argv[*i];
    *exit_code = EXIT_OK;
    if (o->timeout_s == 0)
        o->timeout_s = DEFAULT_TIMEOUT_S;
    if (strcmp(a, "--exec") == 0 && *i + 1 < argc) {
        char **words = NULL;
        const char *cmd = argv[++*i];
        if (cli_command_split(cmd, &words, &err) != SL_OK) {
            *exit_code = cli_usage("--exec: %s", err.message);
            return -1;
        }
        cli_command_free(words);
        *exit_code = add_target(o, CLI_TARGET_EXEC, cmd);
        return *exit_code == EXIT_OK ? 1 : -1;
    }
    if (strcmp(a, "--mail") == 0) {
        int n = 0;
        while (*i + 1 < argc && argv[*i + 1][0] != '-') {
            const char *addr = argv[++*i];
            if (cli_mail_address_check(addr, &err) != SL_OK) {
                *exit_code = cli_usage("--mail: %s", err.message);
                return -1;
            }
            *exit_code = add_target(o, CLI_TARGET_MAIL, addr);
            if (*exit_code != EXIT_OK)
                return -1;
            n++;
        }
        if (n == 0) {
            *exit_code = cli_usage("--mail needs at least one address");
            return -1;
        }
        return 1;
    }
    if (strcmp(a, "--timeout") == 0 && *i + 1 < argc) {
        int64_t v = 0;
        if (!cli_parse_i64(argv[++*i], &v) || v < 1 || v > TIMEOUT_MAX_S) {
            *exit_code = cli_usage("--timeout needs 1 to %d seconds, not '%s'", TIMEOUT_MAX_S,
                                   argv[*i]);
            return -1;
        }
        o->timeout_s = (int)v;
        return 1;
    }
    return 0;
}

/* ---- one round ---------------------------------------------------------- */

static json_t *delivery_json(const sl_notify_event *ev, const char *target, const char *why)
{
    json_t *d = json_object();
    json_object_set_new(d, "event_id", json_integer(ev->id));
    json_object_set_new(d, "event", json_string(ev->event));
    json_object_set_new(d, "target", json_string(target));
    json_object_set_new(d, "attempt", json_integer(ev->attempt));
    json_object_set_new(d, "delivered", json_boolean(why[0] == '\0'));
    json_object_set_new(d, "error", why[0] ? json_string(why) : json_null());
    json_object_set_new(d, "previous_error",
                        ev->last_error ? json_string(ev->last_error) : json_null());
    return d;
}

/* Deliver what `target` is owed; appends to `deliveries`, counts failures. */
static sl_rc deliver_owed(sl_store *st, const cli_notify_opts *o, const char *target,
                          json_t *deliveries, int *failed, sl_error *err)
{
    sl_notify_event *ev = NULL;
    size_t n = 0;
    int64_t hold = (int64_t)o->timeout_s * 1000 * (SL_NOTIFY_BATCH_MAX + 1) + HOLD_MARGIN_MS;
    sl_rc rc = sl_store_notify_claim(st, target, hold, &ev, &n, err);
    for (size_t i = 0; rc == SL_OK && i < n; i++) {
        char why[WHY_MAX];
        cli_notify_deliver(target, &ev[i], o->timeout_s, why, sizeof why);
        if (why[0])
            (*failed)++;
        json_array_append_new(deliveries, delivery_json(&ev[i], target, why));
        rc = sl_store_notify_done(st, ev[i].id, target, why[0] ? why : NULL, err);
    }
    sl_notify_events_free(ev, n);
    return rc;
}

sl_rc cli_notify_round(sl_store *st, const cli_notify_opts *o, json_t **out_report,
                       int *failed, sl_error *err)
{
    sl_notify_event *fired = NULL;
    size_t nfired = 0;
    json_t *report = json_object(), *docs = json_array(), *deliveries = json_array(),
           *owed = json_array();
    sl_rc rc;
    *out_report = NULL;
    *failed = 0;
    json_object_set_new(report, "fired", docs);
    json_object_set_new(report, "deliveries", deliveries);
    json_object_set_new(report, "owed", owed);
    rc = sl_store_notify_check(st, (const char *const *)o->targets, o->ntargets, &fired,
                               &nfired, err);
    for (size_t i = 0; rc == SL_OK && i < nfired; i++) {
        json_t *doc = json_loads(fired[i].document, 0, NULL);
        json_array_append_new(docs, doc ? doc : json_null());
    }
    sl_notify_events_free(fired, nfired);
    for (size_t t = 0; rc == SL_OK && t < o->ntargets; t++)
        rc = deliver_owed(st, o, o->targets[t], deliveries, failed, err);
    for (size_t t = 0; rc == SL_OK && t < o->ntargets; t++) {
        int64_t n = 0;
        rc = sl_store_notify_owed(st, o->targets[t], &n, err);
        if (rc == SL_OK && n > 0)
            json_array_append_new(owed, json_pack("{s:s,s:I}", "target", o->targets[t],
                                                  "events", (json_int_t)n));
    }
    if (rc != SL_OK) {
        json_decref(report);
        return rc;
    }
    *out_report = report;
    return SL_OK;
}

void cli_notify_print(FILE *out, FILE *problems, const char *prefix, const json_t *report)
{
    size_t i;
    json_t *v;
    int said = 0;
    json_array_foreach(json_object_get(report, "fired"), i, v) {
        fprintf(out, "%sevent %lld %s: %s\n", prefix,
                (long long)json_integer_value(json_object_get(v, "id")),
                json_string_value(json_object_get(v, "event")),
                json_string_value(json_object_get(v, "message")));
        said = 1;
    }
    json_array_foreach(json_object_get(report, "deliveries"), i, v) {
        long long id = (long long)json_integer_value(json_object_get(v, "event_id"));
        const char *event = json_string_value(json_object_get(v, "event"));
        const char *target = json_string_value(json_object_get(v, "target"));
        long long attempt = (long long)json_integer_value(json_object_get(v, "attempt"));
        if (json_is_true(json_object_get(v, "delivered")))
            fprintf(out, "%sdelivered event %lld (%s) to %s%s\n", prefix, id, event, target,
                    attempt > 1 ? " on a retry" : "");
        else
            fprintf(problems, "%scannot deliver event %lld (%s) to %s (attempt %lld): %s\n",
                    prefix, id, event, target, attempt,
                    json_string_value(json_object_get(v, "error")));
        said = 1;
    }
    json_array_foreach(json_object_get(report, "owed"), i, v) {
        long long n = (long long)json_integer_value(json_object_get(v, "events"));
        fprintf(problems, "%s%lld %s owed to %s, retried by the next run\n", prefix, n,
                n == 1 ? "event" : "events", json_string_value(json_object_get(v, "target")));
    }
    if (!said && out == stdout)
        fprintf(out, "%sno new events\n", prefix);
}

/* ---- the command -------------------------------------------------------- */

int cmd_notify(cli_ctx *ctx, int argc, char **argv)
{
    cli_notify_opts o;
    json_t *report = NULL;
    sl_error err = {0};
    sl_store *st;
    int rc = EXIT_OK, failed = 0;
    memset(&o, 0, sizeof o);
    o.timeout_s = DEFAULT_TIMEOUT_S;
    for (int i = 1; i < argc; i++) {
        int used = cli_notify_option(&o, argc, argv, &i, &rc);
        if (used < 0)
            goto done;
        if (used)
            continue;
        if (!cli_json_flag(ctx, argv[i])) {
            rc = cli_usage("notify: unexpected argument '%s'", argv[i]);
            goto done;
        }
    }
    st = cli_store(ctx, &rc);
    if (!st)
        goto done;
    if (cli_notify_round(st, &o, &report, &failed, &err) != SL_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    if (ctx->json) {
        char *s = json_dumps(report, JSON_COMPACT);
        if (s)
            puts(s);
        else
            rc = EXIT_SYSTEM;
        free(s);
    } else {
        cli_notify_print(stdout, stderr, "", report);
    }
    if (rc == EXIT_OK && failed)
        rc = EXIT_SYSTEM;
done:
    json_decref(report);
    cli_notify_opts_free(&o);
    return rc;
}
