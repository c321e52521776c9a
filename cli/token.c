/*
 * token.c - `seatledger token`: create API tokens for the HTTP server (the
 * secret is printed once and never stored), list them, revoke them.
 */
#include "cli.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_token_create(cli_ctx *ctx, int argc, char **argv)
{
    const char *name = NULL, *user = NULL;
    char *user_id = NULL;
    int admin = 0;
    int32_t expires_on = SL_DATE_NONE;
    char *secret = NULL, date[16];
    sl_error err = {0};
    sl_store *st;
    int rc = EXIT_OK;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--name") == 0 && i + 1 < argc) {
            name = argv[++i];
        } else if (strcmp(argv[i], "--admin") == 0) {
            admin = 1;
        } else if (strcmp(argv[i], "--user") == 0 && i + 1 < argc) {
            user = argv[++i];
        } else if (strcmp(argv[i], "--expires") == 0 && i + 1 < argc) {
            if (sl_date_parse(argv[++i], &expires_on, &err) != SL_OK)
                return cli_usage("--expires: %s", err.message);
        } else {
            return cli_usage("token create: unexpected argument '%s'", argv[i]);
        }
    }
    if (!name)
        return cli_usage("token create needs --name NAME");
    if (admin && user)
        return cli_usage("token create: a token is --admin or acts for --user, not both");
    st = cli_store(ctx, &rc);
    if (!st)
        return rc;
    if (user) {
        /* a directory id or a username, as `seats` takes them */
        if (sl_store_users_resolve(st, &user, 1, &user_id, &err) != SL_OK)
            return cli_fail(&err);
        if (!user_id) {
            fprintf(stderr, "seatledger: no user '%s' in the directory\n", user);
            return EXIT_NOTFOUND;
        }
        rc = sl_store_user_token_create(st, name, user_id, expires_on, &secret, &err) == SL_OK
                 ? EXIT_OK : cli_fail(&err);
    } else {
        rc = sl_store_token_create(st, name, admin, expires_on, &secret, &err) == SL_OK
                 ? EXIT_OK : cli_fail(&err);
    }
    if (rc != EXIT_OK) {
        sl_free(user_id);
        return rc;
    }
    if (expires_on != SL_DATE_NONE)
        sl_date_format(expires_on, date, sizeof date);
    if (ctx->json) {
        json_t *o = json_pack("{s:s,s:s,s:b,s:o}", "name", name, "token", secret, "admin",
                              admin, "expires_at",
                              expires_on == SL_DATE_NONE ? json_null() : json_string(date));
        /* only a bound token has a user: the output of others is unchanged */
        if (o && user_id)
            json_object_set_new(o, "user_id", json_string(user_id));
        char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
        if (s)
            puts(s);
        else
            rc = EXIT_SYSTEM;
        free(s);
        json_decref(o);
    } else {
        /* the secret alone on stdout, so TOKEN=$(seatledger token create ...) works */
        puts(secret);
        if (user_id)
            fprintf(stderr, "created token '%s' acting for user '%s' (id %s)%s%s; the "
                    "secret above is shown only once\n", name, user, user_id,
                    expires_on == SL_DATE_NONE ? "" : ", valid until the day before ",
                    expires_on == SL_DATE_NONE ? "" : date);
        else
            fprintf(stderr, "created %s token '%s'%s%s; the secret above is shown only once\n",
                    admin ? "admin" : "non-admin", name,
                    expires_on == SL_DATE_NONE ? "" : ", valid until the day before ",
                    expires_on == SL_DATE_NONE ? "" : date);
    }
    sl_free(secret);
    sl_free(user_id);
    return rc;
}

static const char *token_status(const sl_token_info *t, int32_t today)
{
    if (t->revoked_at_ms)
        return "revoked";
    if (t->expires_on != SL_DATE_NONE && today >= t->expires_on)
        return "expired";
    return "active";
}

int cmd_token_list(cli_ctx *ctx, int argc, char **argv)
{
    sl_token_info *t = NULL;
    size_t n = 0;
    sl_error err = {0};
    sl_store *st;
    int32_t today;
    int rc = EXIT_OK;
    if (argc > 1)
        return cli_usage("token list: unexpected argument '%s'", argv[1]);
    st = cli_store(ctx, &rc);
    if (!st)
        return rc;
    /* expired as the server judges it: on the ledger's today */
    if (sl_store_today(st, &today, &err) != SL_OK ||
        sl_store_token_list(st, &t, &n, &err) != SL_OK)
        return cli_fail(&err);
    if (ctx->json) {
        json_t *arr = json_array();
        char *s;
        for (size_t i = 0; i < n; i++) {
            char created[32], revoked[32], date[16];
            json_t *o = json_pack("{s:s,s:b,s:o,s:s,s:o,s:s}",
                "name", t[i].name, "admin", t[i].admin,
                "expires_at", t[i].expires_on == SL_DATE_NONE ? json_null()
                    : json_string(sl_date_format(t[i].expires_on, date, sizeof date)),
                "created_at", sl_time_format_rfc3339(t[i].created_at_ms, created, sizeof created),
                "revoked_at", t[i].revoked_at_ms == 0 ? json_null()
                    : json_string(sl_time_format_rfc3339(t[i].revoked_at_ms, revoked, sizeof revoked)),
                "status", token_status(&t[i], today));
            /* only a bound token has a user: the objects of others are unchanged */
            if (o && t[i].user_id)
                json_object_set_new(o, "user", json_pack("{s:s,s:o}", "id", t[i].user_id,
                    "username", t[i].username ? json_string(t[i].username) : json_null()));
            json_array_append_new(arr, o);
        }
        s = json_dumps(arr, JSON_COMPACT);
        if (s)
            puts(s);
        else
            rc = EXIT_SYSTEM;
        free(s);
        json_decref(arr);
    } else if (n == 0) {
        puts("no tokens (create one with 'seatledger token create --name NAME --admin')");
    } else {
        printf("%-24s %-5s %-10s %-23s %-9s %s\n", "NAME", "ADMIN", "EXPIRES", "CREATED",
               "STATUS", "USER");
        for (size_t i = 0; i < n; i++) {
            char created[32], date[16];
            printf("%-24s %-5s %-10s %-23s %-9s ", t[i].name, t[i].admin ? "yes" : "no",
                   t[i].expires_on == SL_DATE_NONE ? "never"
                       : sl_date_format(t[i].expires_on, date, sizeof date),
                   sl_time_format_utc(t[i].created_at_ms, created, sizeof created),
                   token_status(&t[i], today));
            if (!t[i].user_id)
                puts("-");
            else if (t[i].username)
                printf("%s (id %s)\n", t[i].username, t[i].user_id);
            else
                printf("id %s (no longer in the directory)\n", t[i].user_id);
        }
    }
    sl_token_infos_free(t, n);
    return rc;
}

int cmd_token_revoke(cli_ctx *ctx, int argc, char **argv)
{
    sl_error err = {0};
    sl_store *st;
    int rc = EXIT_OK;
    if (argc != 2)
        return cli_usage("token revoke needs exactly one token NAME");
    st = cli_store(ctx, &rc);
    if (!st)
        return rc;
    if (sl_store_token_revoke(st, argv[1], &err) != SL_OK)
        return cli_fail(&err);
    if (ctx->json) {
        json_t *o = json_pack("{s:s}", "revoked", argv[1]);
        char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
        if (s)
            puts(s);
        free(s);
        json_decref(o);
    } else {
        printf("revoked token '%s'\n", argv[1]);
    }
    return EXIT_OK;
}
