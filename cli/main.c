/*
 * main.c - the `seatledger` command: global options and the one command
 * table, which both dispatches and answers `--help` and `help COMMAND`, so
 * no command exists without its usage.  Each command group lives in its own
 * cli/<group>.c.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One command of the table.  `sub` is NULL for a command without
 * subcommands; `fn` NULL only for `help`, which main() answers itself.
 * `synopsis` follows "seatledger "; `help` is the text `--help` prints
 * after the usage line, each line indented by two spaces. */
typedef struct cli_command {
    const char *group;
    const char *sub;
    cli_cmd_fn fn;
    const char *synopsis;
    const char *help;
} cli_command;

#define DAYS_(n) #n
#define DAYS(n) DAYS_(n)

static const cli_command commands[] = {
    {"keys", "generate", cmd_keys_generate,
     "keys generate --private OUT.pem --public OUT.pub.pem [--type rsa|ed25519]\n"
     "                  [--bits 2048|3072|4096]",
     "Generate a vendor's key pair (RSA by default, 2048 bits; Ed25519 signs v2\n"
     "license keys only): the private key mode 0600, the public key 0644.\n"
     "Existing files are never replaced."},
    {"keys", "trust", cmd_keys_trust, "keys trust PUB.pem [--name NAME] [--require-v2]",
     "Trust a vendor public key (SPKI PEM; RSA of at least 2048 bits and\n"
     "exponent 65537, or Ed25519): license keys are checked against the trusted\n"
     "keys in the order they were trusted.  NAME defaults to key-<first 12 hex\n"
     "digits of the SHA-256 fingerprint>.  --require-v2 makes it accept v2\n"
     "license keys only (also on a key already trusted)."},
    {"keys", "list", cmd_keys_list, "keys list",
     "The trusted vendor keys in trust order, with their SHA-256 fingerprints."},
    {"keys", "untrust", cmd_keys_untrust, "keys untrust NAME",
     "Stop trusting a vendor key; licenses already stored stay stored."},
    {"keys", "instance-public", cmd_keys_instance_public, "keys instance-public [--reports]",
     "Print the instance's public key (SPKI PEM): by default the RSA-2048 key\n"
     "that verifies the direct-access JWTs (RS256) of the Code Suggestions API,\n"
     "made the first time it is asked for; --reports prints the Ed25519 key that\n"
     "verifies signed usage reports.  Private keys are never printed."},
    {"license", "issue", cli_license_issue,
     "license issue --private-key PEM (--payload FILE.json | --licensee-name N\n"
     "                  --licensee-email E --licensee-company C --plan starter|premium|ultimate\n"
     "                  --users N --starts YYYY-MM-DD [--expires YYYY-MM-DD] [--previous-users N]\n"
     "                  [--add-on CODE=N]... [--trueup-quantity Q --trueup-from DATE\n"
     "                  --trueup-to DATE] [--trial] [--cloud] [--offline-cloud]\n"
     "                  [--add-on-product NAME:QTY:STARTED_ON:EXPIRES_ON[:trial][:XID]]...)\n"
     "                  [--format gitlab|v2] [--boundary PRODUCT] [--out FILE]",
     "Vendor side: encrypt and sign a license key in the GitLab format, to\n"
     "--out FILE (never the --private-key file) or stdout.  No ledger is used."},
    {"license", "verify", cli_license_verify,
     "license verify FILE|- [--public-key PEM]... [--require-v2]",
     "Decode and judge a key of either format without storing it: with\n"
     "--public-key no ledger is opened, without it the ledger's trusted keys are\n"
     "used.  Exit 0 when the key is valid, 1 when not."},
    {"license", "check", cmd_license_check, "license check FILE|-",
     "The dry run of license add: every check runs and the report says what\n"
     "the key would give; nothing is stored.  Exit 0 when the add would\n"
     "succeed, 1 when refused."},
    {"license", "add", cmd_license_add, "license add FILE|-",
     "Import a license key: decode it with the trusted keys, run the checks of\n"
     "the ledger rules in order (key invalid; user count or true-up; expired)\n"
     "and store the key text exactly as received.  Nothing is written on refusal."},
    {"license", "list", cmd_license_list, "license list",
     "All stored licenses, newest first; * marks the current one."},
    {"license", "show", cmd_license_show, "license show [ID]",
     "One stored license with its figures; without ID the current license."},
    {"license", "delete", cmd_license_delete, "license delete ID",
     "Delete a stored license.  Ids are never reused."},
    {"users", "import", cmd_users_import, "users import FILE|- [--format csv|jsonl] [--prune]",
     "Upsert the host application's users by id from CSV or JSON Lines (all\n"
     "or nothing); --prune removes the users the file does not list."},
    {"users", "list", cmd_users_list, "users list [--billable] [--explain]",
     "The users by id with their billable verdict; --explain adds the reason."},
    {"users", "count", cmd_users_count, "users count",
     "Billable users under the current license's plan, and the excluded ones\n"
     "by reason."},
    {"refresh", NULL, cmd_refresh, "refresh [--source cron|cli]",
     "Count billable users and append one snapshot to the ledger."},
    {"history", NULL, cmd_history, "history [--from DATE] [--to DATE]",
     "The snapshots, oldest first, and the clock recoveries among them (DATE is\n"
     "YYYY-MM-DD, or an instant YYYY-MM-DDTHH:MM:SSZ)."},
    {"usage", "export", cmd_usage_export, "usage export [--out FILE]",
     "The usage CSV auditors use, byte for byte in GitLab's layout, for the\n"
     "current license's term; to FILE (atomically) or stdout."},
    {"usage", "chart", cli_usage_chart,
     "usage chart [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--width PX] [--height PX]\n"
     "                  [--focusable] --out FILE.svg",
     "The chart of billable users as SVG: the current license's term, or from\n"
     "--from 00:00:00 through --to 23:59:59 UTC.  FILE '-' is stdout.  --width and\n"
     "--height size it (default 960 x 420); --focusable makes each point a tab stop\n"
     "with its date and count, as the admin console embeds it."},
    {"usage", "report", cmd_usage_report,
     "usage report [--out FILE] [--from YYYY-MM-DD --to YYYY-MM-DD]",
     "The signed usage report of the current license for its vendor\n"
     "(docs/trust.md): the license key, the window (the license's term unless\n"
     "given), every snapshot and add-on snapshot recorded in it with its chain\n"
     "position, the records of the whole hash chain and its head, the\n"
     "acknowledged breaks and the instance id, signed with the instance's\n"
     "Ed25519 key.  To FILE (atomically) or stdout.  Refused on a chain with a\n"
     "break no admin acknowledged."},
    {"report", "verify", cmd_report_verify,
     "report verify REPORT [NEWER] --instance-key PUB [--json]",
     "Check a usage report offline, with the instance's public key (`keys\n"
     "instance-public --reports` on the instance): its signature, its chain\n"
     "from start to head, every listed row against the chain, that every\n"
     "snapshot of its window is listed, the license key against the one\n"
     "chained.  With NEWER, also that NEWER extends REPORT: the same instance\n"
     "and chain, a later head, the older report's rows unchanged.  Exit 0\n"
     "when valid, 1 with the reason.  No ledger is used."},
    {"status", NULL, cmd_status, "status",
     "The morning summary: license, term, seats, billable users, maximum,\n"
     "overage and the notices to act on."},
    {"backup", NULL, cmd_backup, "backup DEST",
     "A consistent copy of the live ledger (SQLite online backup).  DEST must\n"
     "not exist and must not be a name SQLite owns beside the ledger."},
    {"ledger", "verify", cmd_ledger_verify, "ledger verify [--accept-break] [--json]",
     "Walk the ledger's hash chain (docs/trust.md): recompute every chained row\n"
     "(snapshots, add-on snapshots, seat history, license additions and\n"
     "deletions, clock events, key fingerprints, the audit log) from the one\n"
     "before, and find rows no entry names.  Exit 0 with the head's position and\n"
     "hash when intact (breaks an admin acknowledged are listed, not counted\n"
     "against it); exit 1 naming the first row that does not match.  Writes\n"
     "refuse to append onto a broken chain until --accept-break acknowledges\n"
     "every break found: recorded as a chained event of its own, and listed by\n"
     "every later verification."},
    {"clock", "confirm", cmd_clock_confirm, "clock confirm",
     "The clock is more than " DAYS(SL_CLOCK_AHEAD_MAX_DAYS) " days ahead of the ledger's latest event, and\n"
     "it is right: record that (an audited clock event), so events may be\n"
     "recorded again.  Does nothing when the clock is not that far ahead."},
    {"clock", "recover", cmd_clock_recover, "clock recover",
     "The ledger's latest event lies in the future (the clock was set forward,\n"
     "then corrected): record an audited recovery at now that sets aside every\n"
     "time recorded before it.  Those rows are kept, and the recovery shows in\n"
     "status, the history and the audit log forever.  Does nothing when the\n"
     "latest event is not after now."},
    {"token", "create", cmd_token_create,
     "token create --name NAME [--admin | --user USER] [--expires YYYY-MM-DD]",
     "Create an API token and print its secret once; only its hash is kept.\n"
     "--user binds it to a directory user (id or username) for the Code\n"
     "Suggestions API; such a token is never admin and stops working when its\n"
     "user leaves the directory."},
    {"token", "list", cmd_token_list, "token list",
     "The API tokens: name, admin flag, bound user, expiry, creation and status."},
    {"token", "revoke", cmd_token_revoke, "token revoke NAME",
     "Make a token unusable at once."},
    {"serve", NULL, cmd_serve,
     "serve [--listen HOST:PORT] [--refresh-daily HH:MM] [--metrics-listen HOST:PORT]\n"
     "                  [--exec CMD]... [--mail ADDRESS...] [--timeout SECONDS]\n"
     "                  [--notify-interval SECONDS] [--ai-gateway URL]\n"
     "                  [--external-host HOST] [--ai-gateway-timeout SECONDS]\n"
     "                  [--rate-limit ENDPOINT=COUNT/SECONDS]... [--behind-tls]",
     "Serves GitLab's License API on --listen (default 127.0.0.1:8080), its GraphQL\n"
     "API, the admin console at /admin (sign in with an admin token) and GET\n"
     "/metrics there behind an admin token; --metrics-listen serves /metrics alone,\n"
     "without a token, on a second address.  --refresh-daily records a snapshot at\n"
     "HH:MM UTC.  With --exec or --mail it runs the round of `seatledger notify` at\n"
     "start and every --notify-interval seconds (default 60).\n"
     "The Code Suggestions API (docs/code-suggestions.md) forwards completions to\n"
     "--ai-gateway, reports --external-host as host_name (default: this machine's\n"
     "name), gives the gateway --ai-gateway-timeout seconds (default 55);\n"
     "--rate-limit changes completions (60/60), direct_access (10/300) or\n"
     "connection_details (10/60).  --behind-tls: TLS ends in a proxy in front,\n"
     "so the console's session cookie is marked Secure."},
    {"notify", NULL, cmd_notify,
     "notify [--exec CMD]... [--mail ADDRESS...]... [--timeout SECONDS]",
     "Records an event for every condition of `status` that got worse since the\n"
     "last check (seats.threshold, seats.reached, seats.exceeded, license.expiring,\n"
     "license.expired, snapshot.missing, addon.seats_full, addon.expiring), then\n"
     "delivers to each target what it is owed: --exec runs CMD (no shell) with the\n"
     "event as JSON on its standard input; --mail pipes a plain-text mail to\n"
     "sendmail -t -oi ($SEATLEDGER_SENDMAIL, else /usr/sbin/sendmail).  A failed\n"
     "delivery is retried by the next run.  Each run has --timeout seconds\n"
     "(default 30).  Exit status 4 when a delivery failed."},
    {"addons", "list", cmd_addons_list, "addons list",
     "The add-on purchases provisioned from the current cloud license: id,\n"
     "add-on, quantity, assigned, started_on, expires_on, trial, active."},
    {"seats", "assign", cmd_seats_assign, "seats assign ADDON USER... [--file FILE]",
     "Give users a seat of an add-on.  USER is a directory id or a username;\n"
     "FILE has one per line.  More than one user (or --file) is a bulk call: at\n"
     "most 100 users, all or nothing."},
    {"seats", "unassign", cmd_seats_unassign, "seats unassign ADDON USER... [--file FILE]",
     "Take users' seats of an add-on (USER and FILE as for seats assign)."},
    {"seats", "list", cmd_seats_list,
     "seats list [ADDON] [--eligible] [--assigned|--unassigned] [--search S]",
     "The users who hold a seat of an add-on, or could (--eligible)."},
    {"seats", "history", cmd_seats_history, "seats history [ADDON] [--from DATE] [--to DATE]",
     "Every seat assigned, unassigned or removed, oldest first."},
    {"seats", "check", cmd_seats_check, "seats check USER",
     "May USER (a directory id or username) use Code Suggestions, through which\n"
     "add-on, and why: the order of docs/code-suggestions.md."},
    {"settings", "list", cmd_settings_list, "settings list",
     "The instance settings of the Code Suggestions API: duo_features_enabled,\n"
     "duo_core_features_enabled, direct_code_suggestions (all on until set)."},
    {"settings", "set", cmd_settings_set, "settings set NAME VALUE [--lock]",
     "Set an instance setting to true or false (audited).  --lock\n"
     "(duo_features_enabled only) makes the instance value win over every group\n"
     "and project."},
    {"projects", "import", cmd_projects_import,
     "projects import FILE|- [--format csv|jsonl] [--prune]",
     "Import the project directory, all or nothing: columns path (required,\n"
     "unique), kind (project or group), duo_features_enabled (true, false or\n"
     "empty: inherit), locked (true/false).  --prune removes projects not in FILE."},
    {"projects", "list", cmd_projects_list, "projects list",
     "The project directory with each path's effective Duo setting."},
    {"help", NULL, NULL, "help [COMMAND [SUBCOMMAND]]",
     "The usage of every command, of one command group or of one command;\n"
     "`seatledger COMMAND ... --help` prints the same."},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void print_top_usage(FILE *f)
{
    fputs("usage: seatledger [--db PATH] [--json] COMMAND [ARGS]\n"
          "\n"
          "Ledger: --db PATH, else $SEATLEDGER_DB, else\n"
          "        ${XDG_DATA_HOME:-~/.local/share}/seatledger/ledger.db\n"
          "Clock:  SEATLEDGER_NOW=YYYY-MM-DDTHH:MM:SSZ fixes the time for tests.\n"
          "\n"
          "Commands:\n", f);
    for (size_t i = 0; i < NCOMMANDS; i++) {
        /* continuation lines of a long synopsis are indented already */
        fprintf(f, "  %s\n", commands[i].synopsis);
    }
    fputs("\n"
          "Exit codes: 0 ok, 1 rejected input, 2 usage, 3 not found, 4 storage/system.\n"
          "'seatledger help COMMAND' or 'seatledger COMMAND --help' for one command;\n"
          "docs/cli.md has every command with examples.\n", f);
}

/* "  " before each line of text. */
static void print_indented(const char *text)
{
    while (*text) {
        size_t n = strcspn(text, "\n");
        printf("  %.*s\n", (int)n, text);
        text += n + (text[n] == '\n');
    }
}

static void print_command_usage(const cli_command *c)
{
    printf("usage: seatledger %s\n\n", c->synopsis);
    print_indented(c->help);
}

/* Every subcommand of a group: their usage lines, then each one's text. */
static void print_group_usage(const char *group)
{
    int first = 1;
    for (size_t i = 0; i < NCOMMANDS; i++) {
        if (strcmp(commands[i].group, group) != 0)
            continue;
        printf("%s seatledger %s\n", first ? "usage:" : "      ", commands[i].synopsis);
        first = 0;
    }
    for (size_t i = 0; i < NCOMMANDS; i++) {
        if (strcmp(commands[i].group, group) != 0)
            continue;
        printf("\n%s %s:\n", commands[i].group, commands[i].sub);
        print_indented(commands[i].help);
    }
}

static int group_known(const char *group)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].group, group) == 0)
            return 1;
    return 0;
}

/* The command `name` [`sub`] names; NULL after printing the usage error.
 * *has_subs tells whether `name` is a group (sub was needed). */
static const cli_command *find_command(const char *name, const char *sub, int *has_subs)
{
    char subs[256] = "";
    *has_subs = 0;
    for (size_t i = 0; i < NCOMMANDS; i++) {
        const cli_command *c = &commands[i];
        if (strcmp(c->group, name) != 0)
            continue;
        if (!c->sub)
            return c;
        *has_subs = 1;
        if (sub && strcmp(c->sub, sub) == 0)
            return c;
        snprintf(subs + strlen(subs), sizeof subs - strlen(subs), "%s%s", subs[0] ? ", " : "",
                 c->sub);
    }
    if (!*has_subs)
        cli_usage("unknown command '%s'", name);
    else if (!sub)
        cli_usage("%s needs a subcommand: %s", name, subs);
    else
        cli_usage("unknown %s subcommand '%s'", name, sub);
    return NULL;
}

/* `help [COMMAND [SUBCOMMAND]]` */
static int help(int argc, char **argv)
{
    const cli_command *c;
    int has_subs;
    if (argc == 0) {
        print_top_usage(stdout);
        return EXIT_OK;
    }
    if (argc == 1) {
        if (!group_known(argv[0]))
            return cli_usage("unknown command '%s'", argv[0]);
        for (size_t i = 0; i < NCOMMANDS; i++) {
            if (strcmp(commands[i].group, argv[0]) == 0 && !commands[i].sub) {
                print_command_usage(&commands[i]);
                return EXIT_OK;
            }
        }
        print_group_usage(argv[0]);
        return EXIT_OK;
    }
    if (argc > 2)
        return cli_usage("help: unexpected argument '%s'", argv[2]);
    c = find_command(argv[0], argv[1], &has_subs);
    if (!c)
        return EXIT_USAGE;
    if (!c->sub)
        return cli_usage("%s has no subcommands", argv[0]);
    print_command_usage(c);
    return EXIT_OK;
}

static int wants_help(int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0)
            return 1;
    return 0;
}

int main(int argc, char **argv)
{
    cli_ctx ctx = {0};
    sl_error err = {0};
    const cli_command *c;
    int i = 1, rc = EXIT_USAGE, has_subs, first;

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
            print_top_usage(stdout);
            return EXIT_OK;
        } else if (strcmp(argv[i], "--version") == 0) {
            puts("seatledger " SL_VERSION);
            return EXIT_OK;
        } else {
            return cli_usage("unknown option '%s'", argv[i]);
        }
    }
    if (i >= argc) {
        print_top_usage(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[i], "help") == 0)
        return wants_help(argc - i - 1, argv + i + 1) ? help(1, argv + i)
                                                       : help(argc - i - 1, argv + i + 1);
    /* `GROUP --help` is the group's help; `GROUP SUB ... --help` the command's */
    if (group_known(argv[i]) && i + 1 < argc && strcmp(argv[i + 1], "--help") == 0)
        return help(1, argv + i);
    c = find_command(argv[i], i + 1 < argc ? argv[i + 1] : NULL, &has_subs);
    if (!c)
        return EXIT_USAGE;
    first = c->sub ? i + 1 : i;
    if (wants_help(argc - first - 1, argv + first + 1)) {
        print_command_usage(c);
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
    rc = c->fn(&ctx, argc - first, argv + first);
    sl_store_close(ctx.store);
    free(ctx.resolved_path);
    cli_protect_ledger(NULL);
    return rc;
}
