/*
 * users.c - `seatledger users`: import the host application's user directory
 * (CSV or JSON Lines, with a progress bar on a terminal), list users with
 * their billable verdicts, and count them by reason.
 */
#include "cli.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Table columns wider than this are not padded further: one odd value must
 * not push every row of a large directory off the screen. */
#define LIST_WIDTH_MAX 40
#define LIST_COLS 6
#define BAR_WIDTH 30

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* ---- import -------------------------------------------------------------- */

int cli_import_open(const char *path, const char *format, sl_user_format *fmt, FILE **in,
                    uint64_t *total)
{
    struct stat sb;
    sl_error err = {0};
    *fmt = SL_USERS_CSV;
    *in = stdin;
    *total = 0;
    if (format) {
        if (strcmp(format, "jsonl") == 0)
            *fmt = SL_USERS_JSONL;
        else if (strcmp(format, "csv") != 0)
            return cli_usage("--format must be csv or jsonl, not '%s'", format);
    } else if (ends_with(path, ".jsonl") || ends_with(path, ".ndjson")) {
        *fmt = SL_USERS_JSONL;
    }
    if (strcmp(path, "-") != 0) {
        *in = fopen(path, "rb");
        if (!*in) {
            err.code = errno == ENOENT ? SL_ENOTFOUND : SL_ESTORAGE;
            snprintf(err.message, sizeof err.message, "cannot open '%s': %s", path,
                     strerror(errno));
            *in = stdin;
            return cli_fail(&err);
        }
    }
    if (fstat(fileno(*in), &sb) == 0) {
        if (S_ISDIR(sb.st_mode)) {
            fprintf(stderr, "seatledger: cannot read '%s': is a directory\n", path);
            if (*in != stdin)
                fclose(*in);
            *in = stdin;
            return EXIT_REJECTED;
        }
        if (S_ISREG(sb.st_mode))
            *total = (uint64_t)sb.st_size;
    }
    return EXIT_OK;
}

static void draw_progress(void *ud, uint64_t done, uint64_t total)
{
    const char *name = ud;
    if (total > 0) {
        int pct = done >= total ? 100 : (int)(done * 100 / total);
        int fill = pct * BAR_WIDTH / 100;
        fprintf(stderr, "\rimporting %s [%.*s%*s] %3d%%", name, fill,
                "##############################", BAR_WIDTH - fill, "", pct);
    } else {
        fprintf(stderr, "\rimporting %s: %.1f MB read", name, (double)done / 1e6);
    }
    fflush(stderr);
}

int cmd_users_import(cli_ctx *ctx, int argc, char **argv)
{
    const char *path = NULL, *format = NULL, *name;
    sl_user_format fmt = SL_USERS_CSV;
    sl_import_stats s = {0};
    sl_error err = {0};
    sl_store *st;
    uint64_t total = 0;
    bool prune = false, bar;
    FILE *in = stdin;
    int rc = EXIT_OK;
    sl_rc src;

    for (int i = 1; i < argc; i++) {
        if (cli_json_flag(ctx, argv[i]))
            continue;
        if (strcmp(argv[i], "--format") == 0 && i + 1 < argc)
            format = argv[++i];
        else if (strcmp(argv[i], "--prune") == 0)
            prune = true;
        else if (argv[i][0] == '-' && argv[i][1] != '\0')
            return cli_usage("users import: unknown option '%s'", argv[i]);
        else if (!path)
            path = argv[i];
        else
            return cli_usage("users import: unexpected argument '%s'", argv[i]);
    }
    if (!path)
        return cli_usage("users import needs a FILE (or - for standard input)");
    rc = cli_import_open(path, format, &fmt, &in, &total);
    if (rc != EXIT_OK)
        return rc;
    name = strcmp(path, "-") == 0 ? "standard input" : path;
    st = cli_store(ctx, &rc);
    if (!st)
        goto done;
    bar = isatty(STDERR_FILENO);
    src = sl_store_users_import(st, in, fmt, prune, total, bar ? draw_progress : NULL,
                                (void *)name, &s, &err);
    if (bar)
        fputs("\r\033[K", stderr);
    if (src != SL_OK) {
        if (strcmp(path, "-") == 0)
            fprintf(stderr, "seatledger: cannot import standard input: %s\n", err.message);
        else
            fprintf(stderr, "seatledger: cannot import '%s': %s\n", path, err.message);
        rc = cli_exit_code(src);
        goto done;
    }
    if (ctx->json) {
        printf("{\"rows\":%lld,\"inserted\":%lld,\"updated\":%lld,\"removed\":%lld}\n",
               (long long)s.rows, (long long)s.inserted, (long long)s.updated,
               (long long)s.removed);
    } else {
        char a[32], b[32], c[32], d[32];
        printf("imported %s user%s: %s new, %s updated, %s removed\n",
               sl_format_count(s.rows, a, sizeof a), s.rows == 1 ? "" : "s",
               sl_format_count(s.inserted, b, sizeof b), sl_format_count(s.updated, c, sizeof c),
               sl_format_count(s.removed, d, sizeof d));
    }
done:
    if (in != stdin)
        fclose(in);
    return rc;
}

/* ---- list ---------------------------------------------------------------- */

typedef struct list_state {
    bool explain;
    bool measuring;          /* first pass: column widths only */
    size_t rows;
    int width[LIST_COLS];
    json_t *json;            /* --json: one reusable object */
} list_state;

/* Display width of UTF-8 text: one column per character. */
static int text_width(const char *s)
{
    int w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xc0) != 0x80;
    return w;
}

static void user_cells(const sl_user *u, const char *cells[LIST_COLS])
{
    /* the host's ids and usernames are untrusted text */
    cells[0] = cli_shown(u->id);
    cells[1] = cli_shown(u->username);
    cells[2] = u->state;
    cells[3] = u->user_type;
    cells[4] = u->highest_role;
    cells[5] = u->reason;
}

static void print_row(const list_state *ls, const char *const cells[LIST_COLS])
{
    int ncols = ls->explain ? LIST_COLS : LIST_COLS - 1;
    for (int c = 0; c < ncols; c++) {
        fputs(cells[c], stdout);
        if (c < ncols - 1)
            printf("%*s", ls->width[c] - text_width(cells[c]) + 2, "");
    }
    putchar('\n');
}

static int list_one(void *ud, const sl_user *u)
{
    list_state *ls = ud;
    const char *cells[LIST_COLS];
    ls->rows++;
    if (ls->json) {
        char *line;
        json_object_set_new(ls->json, "id", json_string(u->id));
        json_object_set_new(ls->json, "username", json_string(u->username));
        json_object_set_new(ls->json, "state", json_string(u->state));
        json_object_set_new(ls->json, "type", json_string(u->user_type));
        json_object_set_new(ls->json, "role", json_string(u->highest_role));
        if (ls->explain)
            json_object_set_new(ls->json, "reason", json_string(u->reason));
        line = json_dumps(ls->json, JSON_COMPACT | JSON_PRESERVE_ORDER);
        if (!line)
            return 1;
        printf("%s%s", ls->rows > 1 ? "," : "", line);
        free(line);
        return 0;
    }
    user_cells(u, cells);
    if (ls->measuring) {
        for (int c = 0; c < LIST_COLS; c++) {
            int w = text_width(cells[c]);
            if (w > ls->width[c])
                ls->width[c] = w > LIST_WIDTH_MAX ? LIST_WIDTH_MAX : w;
        }
        return 0;
    }
    print_row(ls, cells);
    return 0;
}

int cmd_users_list(cli_ctx *ctx, int argc, char **argv)
{
    static const char *const headers[LIST_COLS] = {"ID", "USERNAME", "STATE", "TYPE", "ROLE",
                                                   "REASON"};
    list_state ls = {0};
    bool billable_only = false;
    sl_error err = {0};
    sl_store *st;
    int rc = EXIT_OK;
    for (int i = 1; i < argc; i++) {
        if (cli_json_flag(ctx, argv[i]))
            continue;
        if (strcmp(argv[i], "--billable") == 0)
            billable_only = true;
        else if (strcmp(argv[i], "--explain") == 0)
            ls.explain = true;
        else
            return cli_usage("users list: unexpected argument '%s'", argv[i]);
    }
    st = cli_store(ctx, &rc);
    if (!st)
        return rc;
    if (ctx->json) {
        ls.json = json_object();
        if (!ls.json)
            return cli_fail(&(sl_error){SL_ENOMEM, "out of memory"});
        fputs("[", stdout);
        if (sl_store_users_each(st, billable_only, list_one, &ls, &err) != SL_OK) {
            putchar('\n');
            json_decref(ls.json);
            return cli_fail(&err);
        }
        puts("]");
        json_decref(ls.json);
        return EXIT_OK;
    }
    /* two passes keep memory flat for any directory size */
    for (int c = 0; c < LIST_COLS; c++)
        ls.width[c] = (int)strlen(headers[c]);
    ls.measuring = true;
    if (sl_store_users_each(st, billable_only, list_one, &ls, &err) != SL_OK)
        return cli_fail(&err);
    if (ls.rows == 0) {
        puts(billable_only ? "no billable users"
                           : "no users (import them with 'seatledger users import FILE')");
        return EXIT_OK;
    }
    ls.measuring = false;
    ls.rows = 0;
    print_row(&ls, headers);
    if (sl_store_users_each(st, billable_only, list_one, &ls, &err) != SL_OK)
        return cli_fail(&err);
    return EXIT_OK;
}

/* ---- count --------------------------------------------------------------- */

int cmd_users_count(cli_ctx *ctx, int argc, char **argv)
{
    sl_user_counts c;
    sl_error err = {0};
    sl_store *st;
    char a[32], b[32];
    int rc = EXIT_OK;
    for (int i = 1; i < argc; i++) {
        if (!cli_json_flag(ctx, argv[i]))
            return cli_usage("users count: unexpected argument '%s'", argv[i]);
    }
    st = cli_store(ctx, &rc);
    if (!st)
        return rc;
    if (sl_store_users_count(st, &c, &err) != SL_OK)
        return cli_fail(&err);
    if (ctx->json) {
        json_t *o = json_object(), *ex = json_object();
        char *line;
        json_object_set_new(o, "plan", json_string(c.plan));
        json_object_set_new(o, "billable", json_integer(c.billable));
        json_object_set_new(o, "total", json_integer(c.total));
        for (int i = 1; i < SL_REASON_COUNT; i++) {
            if (c.by_reason[i] > 0)
                json_object_set_new(ex, sl_reason_name(i), json_integer(c.by_reason[i]));
        }
        json_object_set_new(o, "excluded", ex);
        line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(o);
        if (!line)
            return cli_fail(&(sl_error){SL_ENOMEM, "out of memory"});
        puts(line);
        free(line);
        return EXIT_OK;
    }
    printf("plan:      %s%s\n", c.plan, strcmp(c.plan, "none") == 0 ? " (no current license)" : "");
    printf("users:     %s\n", sl_format_count(c.total, a, sizeof a));
    printf("billable:  %s\n", sl_format_count(c.billable, a, sizeof a));
    printf("excluded:  %s\n", sl_format_count(c.total - c.billable, b, sizeof b));
    for (int i = 1; i < SL_REASON_COUNT; i++) {
        if (c.by_reason[i] > 0)
            printf("  %-27s %s\n", sl_reason_name(i), sl_format_count(c.by_reason[i], a, sizeof a));
    }
    return EXIT_OK;
}
