/*
 * cli.h - what the command files of the `seatledger` tool share: the global
 * options, the lazily opened ledger, error reporting with the exit-code
 * table, and small argument helpers.  Uses only the engine's public API.
 */
#ifndef SL_CLI_H
#define SL_CLI_H

#include "seatledger.h"

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
/* EXIT_OK when `path` (NULL: stdout) may be an output file; else prints
 * "cannot write 'PATH': is a directory" and returns EXIT_REJECTED. */
int cli_check_out(const char *path);
/* Make cli_write_file() and cli_write_stream() refuse to replace this ledger (or its WAL files). */
void cli_protect_ledger(const char *path);

/* A per-command --json, so `seatledger refresh --json` works as well as
 * `seatledger --json refresh`: sets ctx->json and returns true when arg is
 * "--json". */
bool cli_json_flag(cli_ctx *ctx, const char *arg);

/* Parse a non-negative integer option value. */
bool cli_parse_i64(const char *s, int64_t *out);

/* Command groups (one file each). */
int cmd_keys(cli_ctx *ctx, int argc, char **argv);
int cmd_license(cli_ctx *ctx, int argc, char **argv);
/* The ledger commands (cli/ledger.c). */
int cmd_refresh(cli_ctx *ctx, int argc, char **argv);
int cmd_history(cli_ctx *ctx, int argc, char **argv);
int cmd_usage(cli_ctx *ctx, int argc, char **argv);
int cmd_status(cli_ctx *ctx, int argc, char **argv);
int cmd_backup(cli_ctx *ctx, int argc, char **argv);
int cmd_token(cli_ctx *ctx, int argc, char **argv);
int cmd_serve(cli_ctx *ctx, int argc, char **argv);
int cmd_users(cli_ctx *ctx, int argc, char **argv);
/* `license issue` and `license verify` (cli/license_codec.c). */
int cli_license_issue(cli_ctx *ctx, int argc, char **argv);
int cli_license_verify(cli_ctx *ctx, int argc, char **argv);
/* `usage chart` (cli/chart.c); argv[0] is "chart". */
int cli_usage_chart(cli_ctx *ctx, int argc, char **argv);

#endif
