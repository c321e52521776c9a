/*
 * main.c - the `seatledger` command: global options, the command table and
 * the help text.  Each command group lives in its own cli/<group>.c.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "usage: seatledger [--db PATH] [--json] COMMAND [ARGS]\n"
    "\n"
    "Ledger: --db PATH, else $SEATLEDGER_DB, else\n"
    "        ${XDG_DATA_HOME:-~/.local/share}/seatledger/ledger.db\n"
    "Clock:  SEATLEDGER_NOW=YYYY-MM-DDTHH:MM:SSZ fixes the time for tests.\n"
    "\n"
    "Commands:\n"
    "  keys generate --private OUT.pem --public OUT.pub.pem [--type rsa|ed25519] [--bits N]\n"
    "  keys trust PUB.pem [--name NAME] [--require-v2] | keys list | keys untrust NAME\n"
    "  license issue --private-key PEM (--payload FILE | --licensee-name N ...)\n"
    "                [--cloud] [--offline-cloud] [--format gitlab|v2]\n"
    "                [--add-on-product NAME:QTY:STARTED_ON:EXPIRES_ON[:trial][:XID]]...\n"
    "  license verify FILE|- [--public-key PEM]... [--require-v2]\n"
    "  license check FILE|- [--json]   (the dry run of license add)\n"
    "  license add FILE|- | list | show [ID] | delete ID\n"
    "  refresh [--source cron|cli] [--json]\n"
    "  history [--from DATE] [--to DATE] [--json]\n"
    "  usage export [--out FILE]\n"
    "  usage chart [--from YYYY-MM-DD] [--to YYYY-MM-DD] --out FILE.svg\n"
    "  status [--json]\n"
    "  backup DEST\n"
    "  token create --name NAME [--admin] [--expires YYYY-MM-DD] | token list\n"
    "  token revoke NAME\n"
    "  serve [--listen HOST:PORT] [--refresh-daily HH:MM] [--metrics-listen HOST:PORT]\n"
    "        [--exec CMD]... [--mail ADDRESS...] [--notify-interval SECONDS]\n"
    "  users import FILE|- [--format csv|jsonl] [--prune]\n"
    "  users list [--billable] [--explain] | users count\n"
    "  addons list [--json]\n"
    "  seats assign|unassign ADDON USER... [--file FILE] [--json]\n"
    "  seats list [ADDON] [--eligible] [--assigned|--unassigned] [--search S] [--json]\n"
    "  seats history [ADDON] [--from DATE] [--to DATE] [--json]\n"
    "  notify [--exec CMD]... [--mail ADDRESS...] [--timeout SECONDS] [--json]\n"
    "  help\n"
    "\n"
    "Exit codes: 0 ok, 1 rejected input, 2 usage, 3 not found, 4 storage/system.\n"
    "See docs/cli.md for every command with examples.\n";

static const struct {
    const char *name;
    cli_cmd_fn fn;
} commands[] = {
    {"keys", cmd_keys},
    {"license", cmd_license},
    {"refresh", cmd_refresh},
    {"history", cmd_history},
    {"usage", cmd_usage},
    {"status", cmd_status},
    {"backup", cmd_backup},
    {"token", cmd_token},
    {"serve", cmd_serve},
    {"users", cmd_users},
    {"addons", cmd_addons},
    {"seats", cmd_seats},
    {"notify", cmd_notify},
};

int main(int argc, char **argv)
{
    cli_ctx ctx = {0};
    sl_error err = {0};
    int i = 1, rc = EXIT_USAGE;

    while (i < argc && argv[i][0] == '-' && argv[i][1] == '-') {
        if (strcmp(argv[i], "--db") == 0) {
            if (i + 1 >= argc)
                return cli_usage("--db needs a path");
            ctx.db_path = argv[i + 1];
            i += 2;
        } else if (strncmp(argv[i], "--db=", 5) == 0) {
            ctx.db_path = argv[i] + 5;
            i++;
        } else if (strcmp(argv[i], "--json") == 0) {
            ctx.json = true;
            i++;
        } else if (strcmp(argv[i], "--help") == 0) {
            fputs(usage_text, stdout);
            return EXIT_OK;
        } else if (strcmp(argv[i], "--version") == 0) {
            puts("seatledger " SL_VERSION);
            return EXIT_OK;
        } else {
            return cli_usage("unknown option '%s'", argv[i]);
        }
    }
    if (i >= argc) {
        fputs(usage_text, stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[i], "help") == 0) {
        fputs(usage_text, stdout);
        return EXIT_OK;
    }
    if (sl_clock_check(&err) != SL_OK)
        return cli_fail(&err);
    if (ctx.db_path) {
        cli_protect_ledger(ctx.db_path);
    } else {
        char *def = NULL;
        if (sl_store_default_path(&def, NULL) == SL_OK)
            cli_protect_ledger(def);
        sl_free(def);
    }
    for (size_t c = 0; c < sizeof commands / sizeof commands[0]; c++) {
        if (strcmp(argv[i], commands[c].name) == 0) {
            rc = commands[c].fn(&ctx, argc - i, argv + i);
            goto done;
        }
    }
    rc = cli_usage("unknown command '%s'", argv[i]);
done:
    sl_store_close(ctx.store);
    free(ctx.resolved_path);
    cli_protect_ledger(NULL);
    return rc;
}
