/*
 * serve.c - `seatledger serve`: run the GitLab-compatible License API
 * (server/) on the ledger until SIGINT or SIGTERM.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

#ifdef SL_HAVE_SERVER
#include "code_suggestions/code_suggestions.h"
#include "router.h"

#define GATEWAY_TIMEOUT_MAX_S 3600

static const char serve_help[] =
    "usage: seatledger serve [--listen HOST:PORT] [--refresh-daily HH:MM]\n"
    "                        [--ai-gateway URL] [--external-host HOST]\n"
    "                        [--ai-gateway-timeout SECONDS]\n"
    "                        [--rate-limit ENDPOINT=COUNT/SECONDS]...\n"
    "  the License API (docs/api.md) and the Code Suggestions API\n"
    "  (docs/code-suggestions.md): completions are forwarded to --ai-gateway;\n"
    "  host_name is --external-host (default: this machine's name); the gateway\n"
    "  must answer within --ai-gateway-timeout (default 55); --rate-limit changes\n"
    "  completions (60/60), direct_access (10/300) or connection_details (10/60).\n";

int cmd_serve(cli_ctx *ctx, int argc, char **argv)
{
    sl_server_config cfg = {0};
    sl_cs_config cs = {0};
    sl_error err = {0};
    sl_store *st;
    int64_t timeout;
    int rc = EXIT_OK;
    cfg.refresh_minute = -1;
    cfg.code_suggestions = &cs;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            fputs(serve_help, stdout);
            return EXIT_OK;
        }
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--ai-gateway") == 0 && i + 1 < argc) {
            cs.ai_gateway_url = argv[++i];
        } else if (strcmp(argv[i], "--external-host") == 0 && i + 1 < argc) {
            cs.external_host = argv[++i];
        } else if (strcmp(argv[i], "--ai-gateway-timeout") == 0 && i + 1 < argc) {
            if (!cli_parse_i64(argv[++i], &timeout) || timeout < 1 ||
                timeout > GATEWAY_TIMEOUT_MAX_S)
                return cli_usage("--ai-gateway-timeout needs 1-%d seconds, not '%s'",
                                 GATEWAY_TIMEOUT_MAX_S, argv[i]);
            cs.gateway_timeout_s = (int)timeout;
        } else if (strcmp(argv[i], "--rate-limit") == 0 && i + 1 < argc) {
            if (sl_cs_parse_limit(argv[++i], &cs, &err) != SL_OK)
                return cli_usage("%s", err.message);
        } else if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc) {
            cfg.listen = argv[++i];
        } else if (strcmp(argv[i], "--refresh-daily") == 0 && i + 1 < argc) {
            cfg.refresh_minute = sl_server_parse_hhmm(argv[++i]);
            if (cfg.refresh_minute < 0)
                return cli_usage("--refresh-daily needs HH:MM (UTC), not '%s'", argv[i]);
        } else {
            return cli_usage("serve: unexpected argument '%s'", argv[i]);
        }
    }
    /* opens, creates and migrates the ledger, and resolves its path */
    st = cli_store(ctx, &rc);
    if (!st)
        return rc;
    cfg.db_path = sl_store_path(st);
    if (sl_server_run(&cfg, &err) != SL_OK)
        return cli_fail(&err);
    return EXIT_OK;
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
