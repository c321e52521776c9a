/*
 * seats.c - `seatledger addons list` (the add-on purchases provisioned from
 * the current cloud license) and `seatledger seats assign|unassign|list|
 * history` (add-on seats, add-ons.md).  The rules are the engine's; this
 * file parses arguments, resolves users given by id or username and prints.
 */
#include "cli.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define USER_FILE_MAX (1024 * 1024)  /* bytes of a --file of users */
#define USERS_MAX 100000              /* user references in one call (the engine
                                         refuses more than 100 with GitLab's message) */
#define ACTOR "cli"

static json_t *date_json(int32_t d)
{
    char buf[16];
    return d == SL_DATE_NONE ? json_null() : json_string(sl_date_format(d, buf, sizeof buf));
}

static json_t *text_json(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* Print one compact JSON value and free it; false when out of memory. */
static bool put_json(json_t *j, const char *sep)
{
    char *text = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY) : NULL;
    json_decref(j);
    if (!text) {
        fputs("seatledger: out of memory\n", stderr);
        return false;
    }
    fputs(sep, stdout);
    fputs(text, stdout);
    free(text);
    return true;
}

/* ---- addons list ------------------------------------------------------------ */

int cmd_addons_list(cli_ctx *ctx, int argc, char **argv)
{
    sl_addon_purchase *p = NULL;
    sl_error err = {0};
    sl_store *st;
    size_t n = 0;
    int rc = EXIT_OK;
    for (int i = 1; i < argc; i++) {
        if (!cli_json_flag(ctx, argv[i]))
            return cli_usage("addons list: unexpected argument '%s'", argv[i]);
    }
    st = cli_store(ctx, &rc);
    if (!st)
        return rc;
    if (sl_store_addon_purchases(st, &p, &n, &err) != SL_OK)
        return cli_fail(&err);
    if (ctx->json) {
        json_t *arr = json_array();
        for (size_t i = 0; arr && i < n; i++)
            json_array_append_new(arr, json_pack("{s:I,s:s,s:I,s:I,s:o,s:o,s:b,s:b,s:o}",
                "id", (json_int_t)p[i].id, "add_on", sl_addon_name(p[i].add_on),
                "quantity", (json_int_t)p[i].quantity, "assigned", (json_int_t)p[i].assigned,
                "started_on", date_json(p[i].started_on),
                "expires_on", date_json(p[i].expires_on), "trial", p[i].trial,
                "active", p[i].active, "purchase_xid", text_json(p[i].purchase_xid)));
        rc = put_json(arr, "") ? EXIT_OK : EXIT_SYSTEM;
        putchar('\n');
    } else if (n == 0) {
        puts("no add-on purchases (they come from a cloud license key with add-on products)");
    } else {
        char a[16], b[16];
        printf("%-4s %-15s %9s %9s  %-10s  %-10s  %-5s  %s\n", "ID", "ADD-ON", "QUANTITY",
               "ASSIGNED", "STARTED_ON", "EXPIRES_ON", "TRIAL", "ACTIVE");
        for (size_t i = 0; i < n; i++)
            printf("%-4lld %-15s %9lld %9lld  %-10s  %-10s  %-5s  %s\n", (long long)p[i].id,
                   sl_addon_name(p[i].add_on), (long long)p[i].quantity,
                   (long long)p[i].assigned, sl_date_format(p[i].started_on, a, sizeof a),
                   sl_date_format(p[i].expires_on, b, sizeof b), p[i].trial ? "yes" : "no",
                   p[i].active ? "yes" : "no");
    }
    sl_addon_purchases_free(p, n);
    return rc;
}

/* ---- assign / unassign ------------------------------------------------------ */

typedef struct refs {
    const char **v;
    size_t n;
    char *file_text;   /* owns the lines of --file */
} refs;

static int add_ref(refs *r, const char *s)
{
    const char **grown;
    if (r->n == USERS_MAX)
        return cli_usage("seats: more than %d users", USERS_MAX);
    grown = realloc(r->v, (r->n + 1) * sizeof *grown);
    if (!grown) {
        fputs("seatledger: out of memory\n", stderr);
        return EXIT_SYSTEM;
    }
    r->v = grown;
    r->v[r->n++] = s;
    return EXIT_OK;
}

/* One user per line; blank lines and a CR before the LF are ignored. */
static int read_user_file(refs *r, const char *path)
{
    sl_error err = {0};
    size_t len = 0;
    char *p, *line;
    int rc = EXIT_OK;
    if (cli_read_file(path, USER_FILE_MAX, &r->file_text, &len, &err) != SL_OK)
        return cli_fail(&err);
    if (memchr(r->file_text, '\0', len)) {
        fprintf(stderr, "seatledger: '%s' contains a NUL byte\n", path);
        return EXIT_REJECTED;
    }
    for (p = r->file_text; rc == EXIT_OK && p && *p; p = line) {
        char *end;
        line = strchr(p, '\n');
        if (line)
            *line++ = '\0';
        end = p + strlen(p);
        while (end > p && (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
            *--end = '\0';
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p)
            rc = add_ref(r, p);
    }
    return rc;
}

static const char *outcome_key(sl_seat_outcome o, int assign)
{
    switch (o) {
    case SL_SEAT_CHANGED: return assign ? "assigned" : "unassigned";
    case SL_SEAT_UNCHANGED: return "unchanged";
    case SL_SEAT_SKIPPED: return "skipped";
    default: return NULL;
    }
}

static int print_result(cli_ctx *ctx, int assign, const sl_addon_purchase *p, const refs *r,
                        char **ids, const sl_seat_outcome *out, sl_seat_error code)
{
    const char *keys[] = {assign ? "assigned" : "unassigned", "unchanged", "skipped"};
    if (ctx->json) {
        json_t *o = json_object(), *errors = json_array();
        if (code != SL_SEAT_OK)
            json_array_append_new(errors, json_string(sl_seat_error_name(code)));
        json_object_set_new(o, "errors", errors);
        json_object_set_new(o, "add_on", json_string(sl_addon_name(p->add_on)));
        json_object_set_new(o, "purchase_id", json_integer(p->id));
        for (size_t k = 0; k < (assign ? 3u : 2u); k++) {
            json_t *list = json_array();
            for (size_t i = 0; i < r->n; i++) {
                const char *key = outcome_key(out[i], assign);
                if (key && strcmp(key, keys[k]) == 0)
                    json_array_append_new(list, json_string(ids[i]));
            }
            json_object_set_new(o, keys[k], list);
        }
        if (!put_json(o, ""))
            return EXIT_SYSTEM;
        putchar('\n');
        return EXIT_OK;
    }
    if (code != SL_SEAT_OK)
        return EXIT_OK;
    for (size_t i = 0; i < r->n; i++) {
        const char *key = outcome_key(out[i], assign);
        printf("%-10s %s%s%s%s\n", key ? key : "refused", cli_shown(ids[i]),
               strcmp(ids[i], r->v[i]) != 0 ? " (" : "",
               strcmp(ids[i], r->v[i]) != 0 ? cli_shown(r->v[i]) : "",
               strcmp(ids[i], r->v[i]) != 0 ? ")" : "");
    }
    return EXIT_OK;
}

static int seats_change(cli_ctx *ctx, int argc, char **argv, int assign)
{
    const char *cmd = assign ? "seats assign" : "seats unassign";
    refs r = {0};
    sl_addon addon;
    sl_addon_purchase p = {0}, after = {0};
    sl_seat_outcome *out = NULL;
    sl_seat_error code = SL_SEAT_OK;
    sl_error err = {0};
    sl_store *st;
    char **ids = NULL;
    bool bulk = false;
    int rc = EXIT_OK;
    sl_rc src;

    if (argc < 2)
        return cli_usage("%s needs an ADDON and at least one USER", cmd);
    for (int i = 2; i < argc && rc == EXIT_OK; i++) {
        if (cli_json_flag(ctx, argv[i]))
            continue;
        if (strcmp(argv[i], "--file") == 0) {
            if (i + 1 >= argc || r.file_text)
                rc = cli_usage("%s: --file needs one FILE", cmd);
            else
                rc = read_user_file(&r, argv[++i]);
            bulk = true;
        } else if (argv[i][0] == '-' && argv[i][1] == '-') {
            rc = cli_usage("%s: unknown option '%s'", cmd, argv[i]);
        } else {
            rc = add_ref(&r, argv[i]);
        }
    }
    if (rc != EXIT_OK)
        goto done;
    if (sl_addon_parse(argv[1], &addon, &err) != SL_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    if (r.n == 0) {
        rc = bulk ? (fputs("seatledger: no users given\n", stderr), EXIT_REJECTED)
                  : cli_usage("%s needs at least one USER", cmd);
        goto done;
    }
    bulk = bulk || r.n > 1;
    st = cli_store(ctx, &rc);
    if (!st)
        goto done;
    if (sl_store_addon_purchase_find(st, addon, &p, &err) != SL_OK) {
        if (err.code == SL_ENOTFOUND)
            sl_error_set(&err, SL_ENOTFOUND, "%s (no purchase of %s)", SL_MSG_SEAT_NOT_FOUND,
                         sl_addon_name(addon));
        rc = cli_fail(&err);
        goto done;
    }
    ids = calloc(r.n, sizeof *ids);
    out = calloc(r.n, sizeof *out);
    if (!ids || !out) {
        fputs("seatledger: out of memory\n", stderr);
        rc = EXIT_SYSTEM;
        goto done;
    }
    if (r.n <= SL_SEATS_BULK_MAX) {
        if (sl_store_users_resolve(st, r.v, r.n, ids, &err) != SL_OK) {
            rc = cli_fail(&err);
            goto done;
        }
        for (size_t i = 0; i < r.n; i++) {
            if (ids[i])
                continue;
            /* a user pruned from the directory may still hold a seat: the
             * engine decides whether the id is known */
            if (!assign) {
                ids[i] = strdup(r.v[i]);
                if (ids[i])
                    continue;
                fputs("seatledger: out of memory\n", stderr);
                rc = EXIT_SYSTEM;
                goto done;
            }
            fprintf(stderr, "seatledger: unknown user '%s'\n", r.v[i]);
            rc = EXIT_REJECTED;
            goto done;
        }
    }
    /* more than the bulk limit: the engine refuses them with GitLab's message */
    src = (assign ? sl_store_seats_assign : sl_store_seats_unassign)(
        st, p.id, r.n <= SL_SEATS_BULK_MAX ? (const char *const *)ids : r.v, r.n, bulk, ACTOR,
        out, &code, &err);
    if (src != SL_OK && code == SL_SEAT_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    rc = print_result(ctx, assign, &p, &r, ids, out, code);
    if (code != SL_SEAT_OK) {
        cli_fail(&err);
        rc = EXIT_REJECTED;
        goto done;
    }
    if (rc == EXIT_OK && !ctx->json &&
        sl_store_addon_purchase_get(st, p.id, &after, &err) == SL_OK)
        printf("%s: %lld of %lld seats assigned\n", sl_addon_name(after.add_on),
               (long long)after.assigned, (long long)after.quantity);
done:
    for (size_t i = 0; ids && i < r.n; i++)
        sl_free(ids[i]);
    free(ids);
    free(out);
    free(r.v);
    free(r.file_text);
    sl_addon_purchase_clear(&p);
    sl_addon_purchase_clear(&after);
    return rc;
}

/* ---- list --------------------------------------------------------------------- */

typedef struct list_out {
    bool json;
    size_t rows;
    bool failed;
} list_out;

static int print_user(void *ud, const sl_seat_user *u)
{
    list_out *o = ud;
    if (o->json) {
        if (!put_json(json_pack("{s:s,s:s,s:s,s:b,s:o}", "id", u->id, "username", u->username,
                                "state", u->state, "assigned", u->assigned,
                                "last_duo_activity_on", text_json(u->last_duo_activity_on)),
                      o->rows ? "," : "")) {
            o->failed = true;
            return 1;
        }
    } else {
        printf("%-12s %-24s %-24s %-8s %s\n", cli_shown(u->id), cli_shown(u->username), u->state,
               u->assigned ? "yes" : "no",
               u->last_duo_activity_on ? u->last_duo_activity_on : "-");
    }
    o->rows++;
    return 0;
}

int cmd_seats_list(cli_ctx *ctx, int argc, char **argv)
{
    sl_seat_query q = {0};
    sl_addon_purchase p = {0};
    const char *addon_name = NULL;
    list_out o = {0};
    sl_error err = {0};
    sl_store *st;
    int rc = EXIT_OK;
    for (int i = 1; i < argc; i++) {
        if (cli_json_flag(ctx, argv[i]))
            continue;
        if (strcmp(argv[i], "--eligible") == 0)
            q.eligible_only = 1;
        else if (strcmp(argv[i], "--assigned") == 0 || strcmp(argv[i], "--unassigned") == 0) {
            if (q.assigned)
                return cli_usage("seats list: --assigned and --unassigned exclude each other");
            q.assigned = argv[i][2] == 'a' ? 1 : -1;
        } else if (strcmp(argv[i], "--search") == 0 && i + 1 < argc && !q.search)
            q.search = argv[++i];
        else if (argv[i][0] != '-' && !addon_name)
            addon_name = argv[i];
        else
            return cli_usage("seats list: unexpected argument '%s'", argv[i]);
    }
    if (addon_name) {
        sl_addon a;
        if (sl_addon_parse(addon_name, &a, &err) != SL_OK)
            return cli_fail(&err);
        st = cli_store(ctx, &rc);
        if (!st)
            return rc;
        if (sl_store_addon_purchase_find(st, a, &p, &err) != SL_OK)
            return cli_fail(&err);
    } else {
        /* the seat-assignable purchase, if there is one */
        st = cli_store(ctx, &rc);
        if (!st)
            return rc;
        for (int a = 0; a < SL_ADDON_COUNT && !p.id; a++) {
            if (!sl_addon_seat_assignable((sl_addon)a))
                continue;
            if (sl_store_addon_purchase_find(st, (sl_addon)a, &p, &err) != SL_OK &&
                err.code != SL_ENOTFOUND)
                return cli_fail(&err);
        }
    }
    q.purchase_id = p.id;
    sl_addon_purchase_clear(&p);
    o.json = ctx->json;
    if (o.json)
        putchar('[');
    else
        printf("%-12s %-24s %-24s %-8s %s\n", "ID", "USERNAME", "STATE", "ASSIGNED",
               "LAST DUO ACTIVITY");
    if (sl_store_seat_users_each(st, &q, print_user, &o, &err) != SL_OK) {
        if (o.json)
            putchar('\n');
        return cli_fail(&err);
    }
    if (o.failed)
        return EXIT_SYSTEM;
    if (o.json)
        puts("]");
    return EXIT_OK;
}

/* ---- history ------------------------------------------------------------------ */

static int print_event(void *ud, const sl_seat_event *e)
{
    list_out *o = ud;
    char when[32];
    if (o->json) {
        if (!put_json(json_pack("{s:s,s:s,s:I,s:s,s:s,s:s,s:o,s:s}",
                                "at", sl_time_format_rfc3339(e->at_ms, when, sizeof when),
                                "add_on", e->add_on, "purchase_id", (json_int_t)e->purchase_id,
                                "user_id", e->user_id, "username", e->username,
                                "event", e->event, "reason", text_json(e->reason),
                                "actor", e->actor),
                      o->rows ? "," : "")) {
            o->failed = true;
            return 1;
        }
    } else {
        printf("%-23s  %-15s %-10s %-10s %-12s %-24s %s\n",
               sl_time_format_utc(e->at_ms, when, sizeof when), e->add_on, e->event,
               e->reason ? e->reason : "-", cli_shown(e->user_id), cli_shown(e->username),
               e->actor);
    }
    o->rows++;
    return 0;
}

int cmd_seats_history(cli_ctx *ctx, int argc, char **argv)
{
    int64_t from = INT64_MIN, to = INT64_MAX;
    const char *addon_name = NULL;
    list_out o = {0};
    sl_error err = {0};
    sl_store *st;
    int rc = EXIT_OK;
    for (int i = 1; i < argc; i++) {
        if (cli_json_flag(ctx, argv[i]))
            continue;
        if (strcmp(argv[i], "--from") == 0 && i + 1 < argc)
            rc = cli_parse_bound("seats history", "--from", argv[++i], 0, &from);
        else if (strcmp(argv[i], "--to") == 0 && i + 1 < argc)
            rc = cli_parse_bound("seats history", "--to", argv[++i], 1, &to);
        else if (argv[i][0] != '-' && !addon_name)
            addon_name = argv[i];
        else
            return cli_usage("seats history: unexpected argument '%s'", argv[i]);
        if (rc != EXIT_OK)
            return rc;
    }
    if (addon_name) {
        sl_addon a;
        if (sl_addon_parse(addon_name, &a, &err) != SL_OK)
            return cli_fail(&err);
    }
    st = cli_store(ctx, &rc);
    if (!st)
        return rc;
    o.json = ctx->json;
    if (o.json)
        putchar('[');
    else
        printf("%-23s  %-15s %-10s %-10s %-12s %-24s %s\n", "AT", "ADD-ON", "EVENT", "REASON",
               "USER ID", "USERNAME", "ACTOR");
    if (sl_store_seat_history(st, addon_name, from, to, print_event, &o, &err) != SL_OK) {
        if (o.json)
            putchar('\n');
        return cli_fail(&err);
    }
    if (o.failed)
        return EXIT_SYSTEM;
    if (o.json)
        puts("]");
    return EXIT_OK;
}

int cmd_seats_assign(cli_ctx *ctx, int argc, char **argv)
{
    return seats_change(ctx, argc, argv, 1);
}

int cmd_seats_unassign(cli_ctx *ctx, int argc, char **argv)
{
    return seats_change(ctx, argc, argv, 0);
}
