/*
 * serve.c - `seatledger serve`: run the GitLab-compatible License API and
 * GraphQL API (server/) on the ledger until SIGINT or SIGTERM, with /metrics
 * and the Code Suggestions API in front of an AI gateway, and, when given
 * --exec or --mail, the notification round of `notify` on a timer.
 */
#include "cli.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NOTIFY_INTERVAL_DEFAULT_S 60
#define NOTIFY_INTERVAL_MAX_S 86400
#define GATEWAY_TIMEOUT_MAX_S 3600

#ifdef SL_HAVE_SERVER
#include "code_suggestions/code_suggestions.h"
#include "router.h"

/* The notification round on a timer, in a thread of its own with its own
 * ledger connection. */
typedef struct notifier {
    const char *db_path;
    const cli_notify_opts *opts;
    int interval_s;
    pthread_mutex_t mu;
    pthread_cond_t cv;          /* on CLOCK_MONOTONIC */
    int stop;
    pthread_t thread;
} notifier;

static void notify_once(notifier *n)
{
    sl_store *st = NULL;
    sl_error err = {0};
    json_t *report = NULL;
    char when[32], prefix[48];
    int failed = 0;
    sl_rc rc = sl_store_open(n->db_path, 0, &st, &err);
    if (rc == SL_OK)
        rc = cli_notify_round(st, n->opts, &report, &failed, &err);
    sl_time_format_rfc3339(sl_clock_now_ms(), when, sizeof when);
    snprintf(prefix, sizeof prefix, "%s notify: ", when);
    if (rc == SL_OK)
        cli_notify_print(stderr, stderr, prefix, report);
    else
        fprintf(stderr, "%s%s\n", prefix, err.message);
    json_decref(report);
    sl_store_close(st);
}

static void *notifier_main(void *arg)
{
    notifier *n = arg;
    pthread_mutex_lock(&n->mu);
    while (!n->stop) {
        struct timespec ts;
        pthread_mutex_unlock(&n->mu);
        notify_once(n);
        pthread_mutex_lock(&n->mu);
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_sec += n->interval_s;
        while (!n->stop && pthread_cond_timedwait(&n->cv, &n->mu, &ts) != ETIMEDOUT)
            ;
    }
    pthread_mutex_unlock(&n->mu);
    return NULL;
}

/* Started before the server blocks the stop signals for its own threads,
 * so they are blocked here too: only the server's sigwait() sees them. */
static int notifier_start(notifier *n)
{
    pthread_condattr_t ca;
    sigset_t stop_signals, old;
    int e;
    pthread_mutex_init(&n->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&n->cv, &ca);
    pthread_condattr_destroy(&ca);
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, &old);
    e = pthread_create(&n->thread, NULL, notifier_main, n);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return e;
}

static void notifier_stop(notifier *n)
{
    pthread_mutex_lock(&n->mu);
    n->stop = 1;
    pthread_cond_signal(&n->cv);
    pthread_mutex_unlock(&n->mu);
    pthread_join(n->thread, NULL);
    pthread_cond_destroy(&n->cv);
    pthread_mutex_destroy(&n->mu);
}

int cmd_serve(cli_ctx *ctx, int argc, char **argv)
{
    sl_server_config cfg = {0};
    sl_cs_config cs = {0};
    cli_notify_opts opts;
    notifier nt;
    sl_error err = {0};
    sl_store *st;
    int rc = EXIT_OK, interval = NOTIFY_INTERVAL_DEFAULT_S, notifying = 0;
    memset(&opts, 0, sizeof opts);
    memset(&nt, 0, sizeof nt);
    cfg.refresh_minute = -1;
    cfg.code_suggestions = &cs;
    for (int i = 1; i < argc; i++) {
        int used = cli_notify_option(&opts, argc, argv, &i, &rc);
        if (used < 0)
            goto done;
        if (used)
            continue;
        if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc) {
            cfg.listen = argv[++i];
        } else if (strcmp(argv[i], "--metrics-listen") == 0 && i + 1 < argc) {
            cfg.metrics_listen = argv[++i];
        } else if (strcmp(argv[i], "--refresh-daily") == 0 && i + 1 < argc) {
            cfg.refresh_minute = sl_server_parse_hhmm(argv[++i]);
            if (cfg.refresh_minute < 0) {
                rc = cli_usage("--refresh-daily needs HH:MM (UTC), not '%s'", argv[i]);
                goto done;
            }
        } else if (strcmp(argv[i], "--notify-interval") == 0 && i + 1 < argc) {
            int64_t v = 0;
            if (!cli_parse_i64(argv[++i], &v) || v < 1 || v > NOTIFY_INTERVAL_MAX_S) {
                rc = cli_usage("--notify-interval needs 1 to %d seconds, not '%s'",
                               NOTIFY_INTERVAL_MAX_S, argv[i]);
                goto done;
            }
            interval = (int)v;
        } else if (strcmp(argv[i], "--ai-gateway") == 0 && i + 1 < argc) {
            cs.ai_gateway_url = argv[++i];
        } else if (strcmp(argv[i], "--behind-tls") == 0) {
            cfg.behind_tls = 1;
        } else if (strcmp(argv[i], "--external-host") == 0 && i + 1 < argc) {
            cs.external_host = argv[++i];
        } else if (strcmp(argv[i], "--ai-gateway-timeout") == 0 && i + 1 < argc) {
            int64_t v = 0;
            if (!cli_parse_i64(argv[++i], &v) || v < 1 || v > GATEWAY_TIMEOUT_MAX_S) {
                rc = cli_usage("--ai-gateway-timeout needs 1 to %d seconds, not '%s'",
                               GATEWAY_TIMEOUT_MAX_S, argv[i]);
                goto done;
            }
            cs.gateway_timeout_s = (int)v;
        } else if (strcmp(argv[i], "--rate-limit") == 0 && i + 1 < argc) {
            if (sl_cs_parse_limit(argv[++i], &cs, &err) != SL_OK) {
                rc = cli_usage("%s", err.message);
                goto done;
            }
        } else {
            rc = cli_usage("serve: unexpected argument '%s'", argv[i]);
            goto done;
        }
    }
    /* opens, creates and migrates the ledger, and resolves its path */
    st = cli_store(ctx, &rc);
    if (!st)
        goto done;
    cfg.db_path = sl_store_path(st);
    /* a chain broken before the start: reads are served, every write is
     * refused (409) until an admin acknowledges the break; say so once */
    {
        sl_chain_verdict *v = calloc(1, sizeof *v);
        char text[256];
        if (v && sl_store_ledger_verify(st, v, &err) == SL_OK && v->unacknowledged)
            fprintf(stderr, "seatledger serve: the ledger's hash chain is broken: %s; every "
                    "write is refused until 'seatledger ledger verify --accept-break'\n",
                    sl_chain_break_describe(&v->first_unacknowledged, text, sizeof text));
        free(v);
    }
    if (opts.ntargets > 0) {
        nt.db_path = cfg.db_path;
        nt.opts = &opts;
        nt.interval_s = interval;
        if (notifier_start(&nt) != 0) {
            fputs("seatledger: cannot start the notifications\n", stderr);
            rc = EXIT_SYSTEM;
            goto done;
        }
        notifying = 1;
    }
    if (sl_server_run(&cfg, &err) != SL_OK)
        rc = cli_fail(&err);
    if (notifying)
        notifier_stop(&nt);
done:
    cli_notify_opts_free(&opts);
    return rc;
}
#else
int cmd_serve(cli_ctx *ctx, int argc, char **argv)
{
    (void)ctx;
    (void)argc;
    (void)argv;
    fputs("seatledger: this build has no HTTP server\n", stderr);
    return EXIT_SYSTEM;
}
#endif
