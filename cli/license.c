/*
 * license.c - `seatledger license`: add (and its dry run, `check`), list,
 * show and delete stored licenses, and the dispatcher that also reaches
 * `issue` and `verify` (cli/license_codec.c).
 */
#include "cli.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Readable summary of one license entity (JSON from the engine). */
static void print_entity(const char *json)
{
    json_error_t jerr;
    json_t *o = json_loads(json, 0, &jerr), *lic, *addons;
    const char *k;
    json_t *v;
    if (!o) {
        puts(json);
        return;
    }
    lic = json_object_get(o, "licensee");
    printf("License %lld\n", (long long)json_integer_value(json_object_get(o, "id")));
    printf("  plan:               %s\n", cli_shown(json_string_value(json_object_get(o, "plan"))));
    json_object_foreach(lic, k, v)
        printf("  licensee %-9s %s\n", cli_shown(k), cli_shown(json_string_value(v)));
    printf("  starts:             %s\n", json_string_value(json_object_get(o, "starts_at")));
    printf("  expires:            %s%s\n",
           json_is_string(json_object_get(o, "expires_at"))
               ? json_string_value(json_object_get(o, "expires_at")) : "never",
           json_is_true(json_object_get(o, "expired")) ? " (expired)" : "");
    if (json_integer_value(json_object_get(o, "user_limit")) > 0)
        printf("  seats:              %lld\n",
               (long long)json_integer_value(json_object_get(o, "user_limit")));
    else
        printf("  seats:              unrestricted\n");
    if (json_object_get(o, "active_users"))
        printf("  active users:       %lld\n",
               (long long)json_integer_value(json_object_get(o, "active_users")));
    printf("  historical max:     %lld\n",
           (long long)json_integer_value(json_object_get(o, "historical_max")));
    printf("  maximum user count: %lld\n",
           (long long)json_integer_value(json_object_get(o, "maximum_user_count")));
    printf("  overage:            %lld\n",
           (long long)json_integer_value(json_object_get(o, "overage")));
    addons = json_object_get(o, "add_ons");
    if (json_object_size(addons)) {
        printf("  add-ons:           ");
        json_object_foreach(addons, k, v)
            printf(" %s=%lld", cli_shown(k), (long long)json_integer_value(v));
        putchar('\n');
    }
    json_object_foreach(json_object_get(o, "add_on_products"), k, v) {
        size_t i;
        json_t *e;
        sl_addon a;
        if (sl_addon_parse(k, &a, NULL) != SL_OK)
            continue;   /* kept in the key, ignored (add-ons.md) */
        json_array_foreach(v, i, e)
            printf("  add-on product:     %s %lld seats, %s to %s%s\n", cli_shown(k),
                   (long long)json_integer_value(json_object_get(e, "quantity")),
                   json_string_value(json_object_get(e, "started_on")),
                   json_string_value(json_object_get(e, "expires_on")),
                   json_is_true(json_object_get(e, "trial")) ? " (trial)" : "");
    }
    printf("  added:              %s\n", json_string_value(json_object_get(o, "created_at")));
    json_decref(o);
}

static int parse_id(const char *s, int64_t *id)
{
    return cli_parse_i64(s, id) && *id > 0;
}

/* The License API entity plus the key's add_on_products (add-ons.md), which
 * the API entity of GitLab does not carry. */
static int show_entity(cli_ctx *ctx, sl_store *st, int64_t id)
{
    char *json = NULL, *products = NULL, *merged = NULL;
    sl_license *lic = NULL;
    json_t *o = NULL;
    sl_error err = {0};
    int rc = EXIT_OK;
    if (sl_store_license_entity_json(st, id, 1, &json, &err) != SL_OK ||
        sl_store_license_get(st, id, &lic, NULL, &err) != SL_OK ||
        sl_license_add_on_products_json(lic, &products, &err) != SL_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    o = json_loads(json, 0, NULL);
    if (o)
        json_object_set_new(o, "add_on_products", json_loads(products, 0, NULL));
    merged = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    if (!merged) {
        fputs("seatledger: out of memory\n", stderr);
        rc = EXIT_SYSTEM;
        goto done;
    }
    if (ctx->json)
        puts(merged);
    else
        print_entity(merged);
done:
    free(merged);
    json_decref(o);
    sl_free(products);
    sl_license_free(lic);
    sl_free(json);
    return rc;
}

int cmd_license_add(cli_ctx *ctx, int argc, char **argv)
{
    char *text = NULL;
    size_t len = 0;
    int64_t id = 0;
    sl_error err = {0};
    sl_store *st;
    int rc = EXIT_OK;
    if (argc != 2)
        return cli_usage("license add needs exactly one FILE (or - for standard input)");
    if (cli_read_file(argv[1], SL_LICENSE_TEXT_MAX, &text, &len, &err) != SL_OK)
        return cli_fail(&err);
    st = cli_store(ctx, &rc);
    if (!st)
        goto done;
    if (sl_store_license_add(st, text, len, SL_SOURCE_CLI, &id, &err) != SL_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    if (!ctx->json)
        printf("added license %lld\n", (long long)id);
    rc = show_entity(ctx, st, id);
done:
    free(text);
    return rc;
}

static void print_count(const char *label, const json_t *v)
{
    if (json_is_integer(v))
        printf("%s%lld\n", label, (long long)json_integer_value(v));
}

/* The readable dry-run report, from the same document --json prints. */
static void print_check(const json_t *doc)
{
    const json_t *lic = json_object_get(doc, "license"), *chk = json_object_get(doc, "checks");
    const json_t *prior = json_object_get(chk, "prior_period");
    int valid = json_is_true(json_object_get(doc, "valid"));
    printf("verdict:  %s (dry run: nothing was stored)\n", valid ? "accepted" : "refused");
    if (!valid)
        printf("error:    %s\n", cli_shown(json_string_value(json_object_get(doc, "error"))));
    if (json_is_string(json_object_get(doc, "format")))
        printf("format:   %s, %s, signed by trusted key '%s'\n",
               json_string_value(json_object_get(doc, "format")),
               json_string_value(json_object_get(doc, "algorithm")),
               json_string_value(json_object_get(doc, "signed_by")));
    if (json_is_boolean(json_object_get(doc, "would_be_current")))
        printf("current:  %s\n", json_is_true(json_object_get(doc, "would_be_current"))
                                     ? "yes, it would be the current license"
                                     : "no (another license stays current)");
    if (json_is_object(chk)) {
        if (json_is_integer(json_object_get(chk, "seats")))
            printf("seats:    %lld (takes up to %lld users)\n",
                   (long long)json_integer_value(json_object_get(chk, "seats")),
                   (long long)json_integer_value(json_object_get(chk, "seats_allowed")));
        else
            printf("seats:    unrestricted\n");
        print_count("billable users now: ", json_object_get(chk, "billable_now"));
        print_count("overage now:        ", json_object_get(chk, "overage_now"));
        if (json_is_object(prior)) {
            printf("prior period %s to %s: max %lld users",
                   json_string_value(json_object_get(prior, "from")),
                   json_string_value(json_object_get(prior, "to")),
                   (long long)json_integer_value(json_object_get(prior, "historical_max")));
            if (json_is_integer(json_object_get(prior, "seats")))
                printf(" over %lld seats", (long long)json_integer_value(json_object_get(prior, "seats")));
            putchar('\n');
        }
        print_count("true-up due:        ", json_object_get(chk, "trueup_due"));
        print_count("true-up paid:       ", json_object_get(chk, "trueup_quantity"));
    }
    {
        const json_t *ao = json_object_get(doc, "add_ons"), *step, *cl;
        size_t i;
        json_array_foreach(json_object_get(ao, "provision"), i, step)
            printf("add-on:   %s: %s, %lld seats, %s to %s%s\n",
                   json_string_value(json_object_get(step, "add_on")),
                   json_string_value(json_object_get(step, "action")),
                   (long long)json_integer_value(json_object_get(step, "quantity")),
                   json_string_value(json_object_get(step, "started_on")),
                   json_string_value(json_object_get(step, "expires_on")),
                   json_is_true(json_object_get(step, "trial")) ? " (trial)" : "");
        cl = json_object_get(ao, "cleanup");
        if (json_is_object(cl)) {
            const char *k;
            json_t *v;
            printf("clean-up: would remove %lld seat%s",
                   (long long)json_integer_value(json_object_get(cl, "removes")),
                   json_integer_value(json_object_get(cl, "removes")) == 1 ? "" : "s");
            json_object_foreach((json_t *)json_object_get(cl, "by_reason"), k, v)
                printf(", %s %lld", k, (long long)json_integer_value(v));
            putchar('\n');
        }
    }
    if (json_is_object(lic)) {
        print_count("historical max:     ", json_object_get(lic, "historical_max"));
        print_count("maximum user count: ", json_object_get(lic, "maximum_user_count"));
        print_count("overage (entity):   ", json_object_get(lic, "overage"));
    }
}

int cmd_license_check(cli_ctx *ctx, int argc, char **argv)
{
    const char *file = NULL;
    char *text = NULL, *report = NULL;
    size_t len = 0;
    sl_error err = {0};
    sl_store *st;
    json_t *doc;
    int rc = EXIT_OK;
    for (int i = 1; i < argc; i++) {
        if (cli_json_flag(ctx, argv[i]))
            continue;
        if (argv[i][0] == '-' && argv[i][1] != '\0')
            return cli_usage("license check: unknown option '%s'", argv[i]);
        if (file)
            return cli_usage("license check: unexpected argument '%s'", argv[i]);
        file = argv[i];
    }
    if (!file)
        return cli_usage("license check needs a FILE (or - for standard input)");
    if (cli_read_file(file, SL_LICENSE_TEXT_MAX, &text, &len, &err) != SL_OK)
        return cli_fail(&err);
    st = cli_store(ctx, &rc);
    if (!st)
        goto done;
    if (sl_store_license_check(st, text, len, &report, &err) != SL_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    doc = json_loads(report, 0, NULL);
    rc = json_is_true(json_object_get(doc, "valid")) ? EXIT_OK : EXIT_REJECTED;
    if (ctx->json)
        puts(report);
    else
        print_check(doc);
    json_decref(doc);
done:
    sl_free(report);
    free(text);
    return rc;
}

int cmd_license_list(cli_ctx *ctx, int argc, char **argv)
{
    char *json = NULL;
    json_t *arr;
    sl_error err = {0};
    sl_store *st;
    int64_t current = 0;
    int rc = EXIT_OK;
    if (argc > 1)
        return cli_usage("license list: unexpected argument '%s'", argv[1]);
    st = cli_store(ctx, &rc);
    if (!st)
        return rc;
    if (sl_store_license_list_json(st, &json, &err) != SL_OK)
        return cli_fail(&err);
    if (ctx->json) {
        puts(json);
        sl_free(json);
        return EXIT_OK;
    }
    if (sl_store_license_current(st, &current, &err) != SL_OK && err.code != SL_ENOTFOUND) {
        sl_free(json);
        return cli_fail(&err);
    }
    arr = json_loads(json, 0, NULL);
    sl_free(json);
    if (json_array_size(arr) == 0) {
        puts("no licenses (add one with 'seatledger license add FILE')");
    } else {
        size_t i;
        json_t *o;
        printf("%-3s %-6s %-9s %-10s %-10s %-8s %s\n", "", "ID", "PLAN", "STARTS", "EXPIRES",
               "SEATS", "LICENSEE");
        json_array_foreach(arr, i, o) {
            json_t *lic = json_object_get(o, "licensee");
            const char *who = json_string_value(json_object_get(lic, "Company"));
            const char *exp = json_string_value(json_object_get(o, "expires_at"));
            json_int_t id = json_integer_value(json_object_get(o, "id"));
            json_int_t seats = json_integer_value(json_object_get(o, "user_limit"));
            char seatbuf[24];
            if (seats > 0)
                snprintf(seatbuf, sizeof seatbuf, "%lld", (long long)seats);
            else
                snprintf(seatbuf, sizeof seatbuf, "-");
            printf("%-3s %-6lld %-9s %-10s %-10s %-8s %s\n", id == current ? "*" : "",
                   (long long)id, cli_shown(json_string_value(json_object_get(o, "plan"))),
                   json_string_value(json_object_get(o, "starts_at")), exp ? exp : "never",
                   seatbuf, cli_shown(who ? who : json_string_value(json_object_get(lic, "Name"))));
        }
        puts("(* = current license)");
    }
    json_decref(arr);
    return EXIT_OK;
}

int cmd_license_show(cli_ctx *ctx, int argc, char **argv)
{
    sl_error err = {0};
    sl_store *st;
    int64_t id = 0;
    int rc = EXIT_OK;
    if (argc > 2)
        return cli_usage("license show takes at most one ID");
    if (argc == 2 && !parse_id(argv[1], &id))
        return cli_usage("invalid license id '%s'", argv[1]);
    st = cli_store(ctx, &rc);
    if (!st)
        return rc;
    if (argc == 1 && sl_store_license_current(st, &id, &err) != SL_OK) {
        if (err.code == SL_ENOTFOUND && ctx->json) {
            /* like GET /api/v4/license: null when there is none */
            puts("null");
        }
        return cli_fail(&err);
    }
    return show_entity(ctx, st, id);
}

int cmd_license_delete(cli_ctx *ctx, int argc, char **argv)
{
    sl_error err = {0};
    sl_store *st;
    int64_t id = 0;
    int rc = EXIT_OK;
    if (argc != 2)
        return cli_usage("license delete needs exactly one ID");
    if (!parse_id(argv[1], &id))
        return cli_usage("invalid license id '%s'", argv[1]);
    st = cli_store(ctx, &rc);
    if (!st)
        return rc;
    if (sl_store_license_delete(st, id, SL_SOURCE_CLI, &err) != SL_OK)
        return cli_fail(&err);
    if (ctx->json)
        printf("{\"deleted\":%lld}\n", (long long)id);
    else
        printf("deleted license %lld\n", (long long)id);
    return EXIT_OK;
}
