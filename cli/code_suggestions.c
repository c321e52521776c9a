/*
 * code_suggestions.c - the commands around the Code Suggestions API
 * (docs/code-suggestions.md): `settings list|set` (instance settings),
 * `projects import|list` (the project directory) and `seats check USER`
 * (the entitlement verdict with its reason).  The rules are the engine's.
 */
#include "cli.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Print one compact JSON value and free it. */
static int put_json(json_t *j)
{
    char *text = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(j);
    if (!text) {
        fputs("seatledger: out of memory\n", stderr);
        return EXIT_SYSTEM;
    }
    puts(text);
    free(text);
    return EXIT_OK;
}

/* ---- settings ------------------------------------------------------------------ */

static int settings_list(cli_ctx *ctx, sl_store *st)
{
    sl_setting_value v[SL_SETTING_COUNT];
    sl_error err = {0};
    if (sl_store_settings(st, v, &err) != SL_OK)
        return cli_fail(&err);
    if (ctx->json) {
        json_t *arr = json_array();
        for (int i = 0; arr && i < SL_SETTING_COUNT; i++)
            json_array_append_new(arr, json_pack("{s:s,s:b,s:b,s:b}", "name",
                                                 sl_setting_name(v[i].setting), "value",
                                                 v[i].value, "locked", v[i].locked, "default",
                                                 v[i].is_default));
        return put_json(arr);
    }
    printf("%-26s %-6s %-6s %s\n", "NAME", "VALUE", "LOCKED", "SOURCE");
    for (int i = 0; i < SL_SETTING_COUNT; i++)
        printf("%-26s %-6s %-6s %s\n", sl_setting_name(v[i].setting),
               v[i].value ? "true" : "false", v[i].locked ? "yes" : "no",
               v[i].is_default ? "default" : "set");
    return EXIT_OK;
}

int cmd_settings_list(cli_ctx *ctx, int argc, char **argv)
{
    sl_store *st;
    int rc = EXIT_OK;
    for (int i = 1; i < argc; i++) {
        if (!cli_json_flag(ctx, argv[i]))
            return cli_usage("settings list: unexpected argument '%s'", argv[i]);
    }
    st = cli_store(ctx, &rc);
    return st ? settings_list(ctx, st) : rc;
}

int cmd_settings_set(cli_ctx *ctx, int argc, char **argv)
{
    const char *args[2] = {NULL, NULL};
    int nargs = 0, lock = 0, rc = EXIT_OK;
    sl_error err = {0};
    sl_store *st;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--lock") == 0)
            lock = 1;
        else if (cli_json_flag(ctx, argv[i]))
            continue;
        else if (argv[i][0] == '-' && argv[i][1] == '-')
            return cli_usage("settings set: unknown option '%s'", argv[i]);
        else if (nargs < 2)
            args[nargs++] = argv[i];
        else
            return cli_usage("settings set: unexpected argument '%s'", argv[i]);
    }
    if (nargs != 2)
        return cli_usage("settings set needs NAME and VALUE");
    st = cli_store(ctx, &rc);
    if (!st)
        return rc;
    if (sl_store_setting_set(st, args[0], args[1], lock, &err) != SL_OK)
        return cli_fail(&err);
    return settings_list(ctx, st);
}

/* ---- projects ------------------------------------------------------------------ */

int cmd_projects_import(cli_ctx *ctx, int argc, char **argv)
{
    const char *path = NULL, *format = NULL;
    sl_user_format fmt;
    sl_import_stats s = {0};
    sl_error err = {0};
    sl_store *st;
    uint64_t total;
    int prune = 0, rc;
    FILE *in;
    for (int i = 1; i < argc; i++) {
        if (cli_json_flag(ctx, argv[i]))
            continue;
        if (strcmp(argv[i], "--format") == 0 && i + 1 < argc)
            format = argv[++i];
        else if (strcmp(argv[i], "--prune") == 0)
            prune = 1;
        else if (argv[i][0] == '-' && argv[i][1] != '\0')
            return cli_usage("projects import: unknown option '%s'", argv[i]);
        else if (!path)
            path = argv[i];
        else
            return cli_usage("projects import: unexpected argument '%s'", argv[i]);
    }
    if (!path)
        return cli_usage("projects import needs a FILE (or - for standard input)");
    rc = cli_import_open(path, format, &fmt, &in, &total);
    if (rc != EXIT_OK)
        return rc;
    st = cli_store(ctx, &rc);
    if (!st)
        goto done;
    if (sl_store_projects_import(st, in, fmt, prune, &s, &err) != SL_OK) {
        fprintf(stderr, "seatledger: cannot import %s%s%s: %s\n",
                strcmp(path, "-") == 0 ? "" : "'", strcmp(path, "-") == 0 ? "standard input" : path,
                strcmp(path, "-") == 0 ? "" : "'", err.message);
        rc = cli_exit_code(err.code);
        goto done;
    }
    if (ctx->json) {
        printf("{\"rows\":%lld,\"inserted\":%lld,\"updated\":%lld,\"removed\":%lld}\n",
               (long long)s.rows, (long long)s.inserted, (long long)s.updated,
               (long long)s.removed);
    } else {
        char a[32], b[32], c[32], d[32];
        printf("imported %s project%s and group%s: %s new, %s updated, %s removed\n",
               sl_format_count(s.rows, a, sizeof a), s.rows == 1 ? "" : "s",
               s.rows == 1 ? "" : "s", sl_format_count(s.inserted, b, sizeof b),
               sl_format_count(s.updated, c, sizeof c), sl_format_count(s.removed, d, sizeof d));
    }
done:
    if (in != stdin)
        fclose(in);
    return rc;
}

typedef struct plist {
    cli_ctx *ctx;
    size_t rows;
} plist;

static const char *tristate(int v)
{
    return v < 0 ? "inherit" : v ? "true" : "false";
}

static int project_one(void *ud, const sl_project *p)
{
    plist *pl = ud;
    if (pl->ctx->json) {
        json_t *o = json_pack("{s:s,s:s,s:o,s:b,s:b}", "path", p->path, "kind", p->kind,
                              "duo_features_enabled",
                              p->duo_features_enabled < 0 ? json_null()
                                                          : json_boolean(p->duo_features_enabled),
                              "locked", p->locked, "effective", p->effective);
        char *line = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        json_decref(o);
        if (!line)
            return 1;
        printf("%s%s", pl->rows ? "," : "", line);
        free(line);
    } else {
        if (pl->rows == 0)
            printf("%-8s %-8s %-7s %-9s %s\n", "KIND", "DUO", "LOCKED", "EFFECTIVE", "PATH");
        printf("%-8s %-8s %-7s %-9s %s\n", p->kind, tristate(p->duo_features_enabled),
               p->locked ? "yes" : "no", p->effective ? "on" : "off", p->path);
    }
    pl->rows++;
    return 0;
}

int cmd_projects_list(cli_ctx *ctx, int argc, char **argv)
{
    plist pl = {ctx, 0};
    sl_error err = {0};
    sl_store *st;
    int rc = EXIT_OK;
    for (int i = 1; i < argc; i++) {
        if (!cli_json_flag(ctx, argv[i]))
            return cli_usage("projects list: unexpected argument '%s'", argv[i]);
    }
    st = cli_store(ctx, &rc);
    if (!st)
        return rc;
    if (ctx->json)
        fputs("[", stdout);
    if (sl_store_projects_each(st, project_one, &pl, &err) != SL_OK) {
        if (ctx->json)
            putchar('\n');
        return cli_fail(&err);
    }
    if (ctx->json)
        puts("]");
    else if (pl.rows == 0)
        puts("no projects (import them with 'seatledger projects import FILE')");
    return EXIT_OK;
}

/* ---- seats check --------------------------------------------------------------- */

int cmd_seats_check(cli_ctx *ctx, int argc, char **argv)
{
    const char *user = NULL;
    char *id = NULL;
    sl_entitlement e;
    sl_error err = {0};
    sl_store *st;
    int rc = EXIT_OK;
    for (int i = 1; i < argc; i++) {
        if (cli_json_flag(ctx, argv[i]))
            continue;
        if (argv[i][0] == '-' && argv[i][1] == '-')
            return cli_usage("seats check: unknown option '%s'", argv[i]);
        if (user)
            return cli_usage("seats check: unexpected argument '%s'", argv[i]);
        user = argv[i];
    }
    if (!user)
        return cli_usage("seats check needs a USER (a directory id or username)");
    st = cli_store(ctx, &rc);
    if (!st)
        return rc;
    if (sl_store_users_resolve(st, &user, 1, &id, &err) != SL_OK)
        return cli_fail(&err);
    /* someone not in the directory is denied with that reason, not "not found":
     * the admin asks about a person who says Duo does not work */
    if (sl_store_code_suggestions_entitlement(st, id ? id : user, &e, &err) != SL_OK) {
        sl_free(id);
        return cli_fail(&err);
    }
    if (ctx->json) {
        rc = put_json(json_pack("{s:s,s:s?,s:b,s:s,s:s,s:s}", "user", user, "user_id", id,
                                "allowed", e.allowed, "feature_enablement_type",
                                e.enablement_type, "reason", sl_entitlement_reason_name(e.reason),
                                "detail", e.detail));
    } else {
        if (e.allowed)
            printf("%s: allowed, feature_enablement_type %s: %s\n", user, e.enablement_type,
                   e.detail);
        else
            printf("%s: denied: %s\n", user, e.detail);
    }
    sl_free(id);
    return rc;
}
