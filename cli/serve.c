/*
 * serve.c - `seatledger serve`: run the GitLab-compatible License API and GraphQL API
 * (server/) on the ledger until SIGINT or SIGTERM.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

#ifdef SL_HAVE_SERVER
#include "router.h"

int cmd_serve(cli_ctx *ctx, int argc, char **argv)
{
    sl_server_config cfg = {0};
    sl_error err = {0};
    sl_store *st;
    int rc = EXIT_OK;
    cfg.refresh_minute = -1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc) {
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
