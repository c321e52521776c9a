/*
 * cli.h - what the command files of the `seatledger` tool share: the global
 * options, the lazily opened ledger, error reporting with the exit-code
 * table, and small argument helpers.  Uses only the engine's public API.
 */
#ifndef SL_CLI_H
#define SL_CLI_H

#include "seatledger.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

/* Exit codes of the CLI contract. */
enum {
    EXIT_OK = 0,
    EXIT_REJECTED = 1,   /* invalid key, validation failure, bad file */
    EXIT_USAGE = 2,
    EXIT_NOTFOUND = 3,
    EXIT_SYSTEM = 4      /* storage or system error */
};

typedef struct cli_ctx {
    const char *db_path;   /* --db, or NULL for the default */
    bool json;             /* --json */
    sl_store *store;       /* opened on first use */
    char *resolved_path;
} cli_ctx;

/* A command: argv[0] is the command's own name. Returns the exit code. */
typedef int (*cli_cmd_fn)(cli_ctx *ctx, int argc, char **argv);

/* The ledger, opened (and created) on first use; NULL after printing the
 * error, with *exit_code set. */
sl_store *cli_store(cli_ctx *ctx, int *exit_code);

/* Map an engine code to the CLI exit code (the one table). */
int cli_exit_code(sl_rc rc);
/* Print "seatledger: <message>" to stderr and return the exit code. */
int cli_fail(const sl_error *err);
/* Print a usage error and return EXIT_USAGE. */
int cli_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Read a whole file ("-" is stdin), at most `limit` bytes.  On failure
 * fills err (SL_ENOTFOUND, SL_ETOOBIG, SL_ESTORAGE). Caller frees *out. */
sl_rc cli_read_file(const char *path, size_t limit, char **out, size_t *len,
                    sl_error *err);
/* Write data to path ("-" or NULL: stdout); the file is replaced
 * atomically (temp file + rename), mode 0644 (0600 if private). */
sl_rc cli_write_file(const char *path, const char *data, size_t len,
                     int private_mode, sl_error *err);

/* The same for output produced by `write` (called once with the open file),
 * streamed: nothing is held in memory. */
sl_rc cli_write_stream(const char *path, int private_mode,
                       sl_rc (*write)(FILE *f, void *ud, sl_error *err), void *ud,
                       sl_error *err);
/* An --out argument: "-" becomes NULL (stdout) in *path; EXIT_OK when it
 * may be an output file, else prints "cannot write 'PATH': is a directory"
 * and returns EXIT_REJECTED. */
int cli_check_out(const char **path);
/* Make cli_write_file() and cli_write_stream() refuse to replace this ledger (or its WAL files). */
void cli_protect_ledger(const char *path);

/* A per-command --json, so `seatledger refresh --json` works as well as
 * `seatledger --json refresh`: sets ctx->json and returns true when arg is
 * "--json". */
bool cli_json_flag(cli_ctx *ctx, const char *arg);

/* Untrusted text (a licensee, a username) as readable output shows it:
 * control characters and the like escaped (sl_text_escape), so a name
 * cannot drive the terminal.  NULL stays NULL.  The result lives until
 * CLI_SHOWN_SLOTS more calls, enough for the fields of one printf. */
#define CLI_SHOWN_SLOTS 16
const char *cli_shown(const char *s);

/* --from/--to of `cmd`: a date (the whole day counts: its first or, with
 * end_of_day, its last millisecond) or an instant.  EXIT_OK or a usage
 * error already printed. */
int cli_parse_bound(const char *cmd, const char *opt, const char *s, int end_of_day,
                    int64_t *out);

/* Open a directory file for `users import` / `projects import` ("-" is
 * stdin): the format from --format (NULL: by the name, .jsonl/.ndjson are
 * JSON Lines, else CSV), its size for progress (0 when unknown).  EXIT_OK,
 * or the exit code after printing why. */
int cli_import_open(const char *path, const char *format, sl_user_format *fmt, FILE **in,
                    uint64_t *total);
/* Parse a non-negative integer option value. */
bool cli_parse_i64(const char *s, int64_t *out);

/* The commands, each reached through the table in cli/main.c (which also
 * holds their usage); argv[0] is the command's last word. */
int cmd_keys_generate(cli_ctx *ctx, int argc, char **argv);   /* cli/keys.c */
int cmd_keys_trust(cli_ctx *ctx, int argc, char **argv);
int cmd_keys_list(cli_ctx *ctx, int argc, char **argv);
int cmd_keys_untrust(cli_ctx *ctx, int argc, char **argv);
int cmd_license_add(cli_ctx *ctx, int argc, char **argv);     /* cli/license.c */
int cmd_license_list(cli_ctx *ctx, int argc, char **argv);
int cmd_license_show(cli_ctx *ctx, int argc, char **argv);
int cmd_license_delete(cli_ctx *ctx, int argc, char **argv);
int cmd_license_check(cli_ctx *ctx, int argc, char **argv);
int cli_license_issue(cli_ctx *ctx, int argc, char **argv);   /* cli/license_codec.c */
int cli_license_verify(cli_ctx *ctx, int argc, char **argv);
int cmd_users_import(cli_ctx *ctx, int argc, char **argv);    /* cli/users.c */
int cmd_users_list(cli_ctx *ctx, int argc, char **argv);
int cmd_users_count(cli_ctx *ctx, int argc, char **argv);
int cmd_refresh(cli_ctx *ctx, int argc, char **argv);         /* cli/ledger.c */
int cmd_history(cli_ctx *ctx, int argc, char **argv);
int cmd_usage_export(cli_ctx *ctx, int argc, char **argv);
int cmd_status(cli_ctx *ctx, int argc, char **argv);
int cmd_backup(cli_ctx *ctx, int argc, char **argv);
int cmd_ledger_verify(cli_ctx *ctx, int argc, char **argv);   /* cli/trust.c */
int cmd_usage_report(cli_ctx *ctx, int argc, char **argv);
int cmd_report_verify(cli_ctx *ctx, int argc, char **argv);
int cmd_clock_confirm(cli_ctx *ctx, int argc, char **argv);   /* cli/clock.c */
int cmd_clock_recover(cli_ctx *ctx, int argc, char **argv);
int cmd_token_create(cli_ctx *ctx, int argc, char **argv);    /* cli/token.c */
int cmd_token_list(cli_ctx *ctx, int argc, char **argv);
int cmd_token_revoke(cli_ctx *ctx, int argc, char **argv);
int cmd_serve(cli_ctx *ctx, int argc, char **argv);           /* cli/serve.c */
int cmd_addons_list(cli_ctx *ctx, int argc, char **argv);     /* cli/seats.c */
int cmd_seats_assign(cli_ctx *ctx, int argc, char **argv);
int cmd_seats_unassign(cli_ctx *ctx, int argc, char **argv);
int cmd_seats_list(cli_ctx *ctx, int argc, char **argv);
int cmd_seats_history(cli_ctx *ctx, int argc, char **argv);
int cli_usage_chart(cli_ctx *ctx, int argc, char **argv);     /* cli/chart.c */
int cmd_notify(cli_ctx *ctx, int argc, char **argv);          /* cli/notify.c */
int cmd_keys_instance_public(cli_ctx *ctx, int argc, char **argv); /* cli/keys.c */
int cmd_seats_check(cli_ctx *ctx, int argc, char **argv);     /* cli/code_suggestions.c */
int cmd_settings_list(cli_ctx *ctx, int argc, char **argv);
int cmd_settings_set(cli_ctx *ctx, int argc, char **argv);
int cmd_projects_import(cli_ctx *ctx, int argc, char **argv);
int cmd_projects_list(cli_ctx *ctx, int argc, char **argv);

/* ---- notifications (cli/notify.c, cli/notify_deliver.c) ---------------- */

#define CLI_TARGET_EXEC "exec:"      /* target = kind + what: "exec:CMD" */
#define CLI_TARGET_MAIL "mail:"      /* "mail:ADDRESS" */
#define CLI_COMMAND_WORDS_MAX 64     /* words of an --exec command */

/* The delivery options of `notify` and `serve`. */
typedef struct cli_notify_opts {
    char *targets[SL_NOTIFY_TARGETS_MAX];   /* owned */
    size_t ntargets;
    int timeout_s;                          /* per delivery */
} cli_notify_opts;

/* Parse the notify option at argv[*i] (--exec CMD, --mail ADDRESS...,
 * --timeout SECONDS), advancing *i past its values: 1 when it was one, 0
 * when argv[*i] is not a notify option, -1 after a usage error was printed
 * (*exit_code set). */
int cli_notify_option(cli_notify_opts *o, int argc, char **argv, int *i, int *exit_code);
void cli_notify_opts_free(cli_notify_opts *o);
/* One round: record the events of changed conditions, deliver what each
 * target is owed, record the outcomes.  *out_report (caller frees with
 * json_decref) is what `notify --json` prints; *failed counts the failed
 * deliveries. */
sl_rc cli_notify_round(sl_store *st, const cli_notify_opts *o, json_t **out_report,
                       int *failed, sl_error *err);
/* A round's report as lines, each after `prefix`: events and deliveries to
 * `out`, failures and what stays owed to `problems`. */
void cli_notify_print(FILE *out, FILE *problems, const char *prefix, const json_t *report);

/* Split an --exec command into words (no shell: quotes and backslashes
 * only).  Free with cli_command_free(). */
sl_rc cli_command_split(const char *cmd, char ***out_argv, sl_error *err);
void cli_command_free(char **argv);
/* One address for a To: header, or a local user name. */
sl_rc cli_mail_address_check(const char *addr, sl_error *err);
/* Deliver one event to one target, waiting at most timeout_s: why[0] is
 * '\0' when delivered, else the reason ("exit status 75", ...). */
void cli_notify_deliver(const char *target, const sl_notify_event *ev, int timeout_s,
                        char *why, size_t why_size);

#endif
