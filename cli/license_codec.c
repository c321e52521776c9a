/*
 * license_codec.c - `seatledger license issue` (sign a new key with a vendor
 * private key) and `license verify` (decode and judge a key without storing
 * it).  Reached through the `license` dispatcher in cli/license.c.
 */
#include "cli.h"

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ADDON_MAX 64        /* --add-on and --add-on-product options in one command */
#define VERIFY_KEYS_MAX 16  /* --public-key options in one command */

/* ---- license issue ----------------------------------------------------------- */

typedef struct issue_opts {
    const char *private_key, *payload, *boundary, *out, *format;
    const char *name, *email, *company, *plan, *users, *starts, *expires;
    const char *previous, *tu_quantity, *tu_from, *tu_to;
    const char *addon[ADDON_MAX];
    size_t naddons;
    const char *product[ADDON_MAX];
    size_t nproducts;
    int trial, cloud, offline_cloud;
} issue_opts;

/* Store a single-valued option; giving it twice is a usage error. */
static int set_once(const char **slot, const char *opt, const char *value)
{
    if (*slot)
        return cli_usage("license issue: %s given twice", opt);
    *slot = value;
    return EXIT_OK;
}

static int parse_issue_args(int argc, char **argv, issue_opts *o)
{
    static const struct {
        const char *name;
        size_t offset;
    } valued[] = {
        {"--private-key", offsetof(issue_opts, private_key)},
        {"--payload", offsetof(issue_opts, payload)},
        {"--boundary", offsetof(issue_opts, boundary)},
        {"--out", offsetof(issue_opts, out)},
        {"--format", offsetof(issue_opts, format)},
        {"--licensee-name", offsetof(issue_opts, name)},
        {"--licensee-email", offsetof(issue_opts, email)},
        {"--licensee-company", offsetof(issue_opts, company)},
        {"--plan", offsetof(issue_opts, plan)},
        {"--users", offsetof(issue_opts, users)},
        {"--starts", offsetof(issue_opts, starts)},
        {"--expires", offsetof(issue_opts, expires)},
        {"--previous-users", offsetof(issue_opts, previous)},
        {"--trueup-quantity", offsetof(issue_opts, tu_quantity)},
        {"--trueup-from", offsetof(issue_opts, tu_from)},
        {"--trueup-to", offsetof(issue_opts, tu_to)},
    };
    for (int i = 1; i < argc; i++) {
        size_t k;
        int rc;
        if (strcmp(argv[i], "--trial") == 0) {
            o->trial = 1;
            continue;
        }
        if (strcmp(argv[i], "--cloud") == 0 || strcmp(argv[i], "--offline-cloud") == 0) {
            /* an offline cloud license is a cloud license too */
            o->cloud = 1;
            o->offline_cloud = o->offline_cloud || argv[i][2] == 'o';
            continue;
        }
        if (strcmp(argv[i], "--add-on-product") == 0) {
            if (i + 1 >= argc)
                return cli_usage("license issue: --add-on-product needs "
                                 "NAME:QUANTITY:STARTED_ON:EXPIRES_ON[:trial][:XID]");
            if (o->nproducts == ADDON_MAX)
                return cli_usage("license issue: more than %d --add-on-product options",
                                 ADDON_MAX);
            o->product[o->nproducts++] = argv[++i];
            continue;
        }
        if (strcmp(argv[i], "--add-on") == 0) {
            if (i + 1 >= argc)
                return cli_usage("license issue: --add-on needs CODE=N");
            if (o->naddons == ADDON_MAX)
                return cli_usage("license issue: more than %d --add-on options", ADDON_MAX);
            o->addon[o->naddons++] = argv[++i];
            continue;
        }
        for (k = 0; k < sizeof valued / sizeof valued[0]; k++)
            if (strcmp(argv[i], valued[k].name) == 0)
                break;
        if (k == sizeof valued / sizeof valued[0])
            return cli_usage("license issue: unexpected argument '%s'", argv[i]);
        if (i + 1 >= argc)
            return cli_usage("license issue: %s needs a value", argv[i]);
        rc = set_once((const char **)((char *)o + valued[k].offset), argv[i], argv[i + 1]);
        if (rc != EXIT_OK)
            return rc;
        i++;
    }
    return EXIT_OK;
}

static int check_date(const char *opt, const char *value)
{
    int32_t d;
    if (sl_date_parse(value, &d, NULL) != SL_OK)
        return cli_usage("license issue: %s must be a date YYYY-MM-DD, not '%s'", opt, value);
    return EXIT_OK;
}

static int check_count(const char *opt, const char *value, int64_t *out)
{
    if (!cli_parse_i64(value, out))
        return cli_usage("license issue: %s must be a non-negative integer, not '%s'", opt,
                         value);
    return EXIT_OK;
}

/* A string member from a command-line value, which must be UTF-8. */
static int set_text(json_t *obj, const char *key, const char *opt, const char *value)
{
    json_t *s = json_string(value);
    if (!s)
        return cli_usage("license issue: %s is not valid UTF-8", opt);
    json_object_set_new(obj, key, s);
    return EXIT_OK;
}

/* One --add-on-product NAME:QUANTITY:STARTED_ON:EXPIRES_ON[:trial][:XID]
 * appended to restrictions.add_on_products (add-ons.md's entry). */
static int add_product(json_t *products, const char *spec)
{
    char buf[512], *part[4], *rest, *p;
    sl_addon a;
    sl_error err = {0};
    int64_t quantity;
    int32_t d;
    json_t *entry, *list;
    if (strlen(spec) >= sizeof buf)
        return cli_usage("license issue: --add-on-product '%.40s...' is too long", spec);
    strcpy(buf, spec);
    p = buf;
    for (int k = 0; k < 4; k++) {
        part[k] = p;
        p = strchr(p, ':');
        if (!p && k < 3)
            return cli_usage("license issue: --add-on-product must be "
                             "NAME:QUANTITY:STARTED_ON:EXPIRES_ON[:trial][:XID], not '%s'", spec);
        if (p)
            *p++ = '\0';
    }
    rest = p;
    if (sl_addon_parse(part[0], &a, &err) != SL_OK)
        return cli_usage("license issue: --add-on-product: %s", err.message);
    if (!cli_parse_i64(part[1], &quantity) || quantity < 1)
        return cli_usage("license issue: --add-on-product %s: quantity must be an integer of "
                         "at least 1, not '%s'", part[0], part[1]);
    if (sl_date_parse(part[2], &d, NULL) != SL_OK || sl_date_parse(part[3], &d, NULL) != SL_OK)
        return cli_usage("license issue: --add-on-product %s: dates must be YYYY-MM-DD, not "
                         "'%s' and '%s'", part[0], part[2], part[3]);
    entry = json_pack("{s:I,s:s,s:s}", "quantity", (json_int_t)quantity, "started_on", part[2],
                      "expires_on", part[3]);
    if (!entry)
        return cli_usage("license issue: --add-on-product '%s' is not valid UTF-8", spec);
    {
        int trial = 0;
        if (rest && (strcmp(rest, "trial") == 0 || strncmp(rest, "trial:", 6) == 0)) {
            trial = 1;
            rest = rest[5] ? rest + 6 : NULL;
        }
        if (rest && *rest) {
            json_t *x = json_string(rest);
            if (!x || strlen(rest) > SL_ADDON_XID_MAX) {
                json_decref(x);
                json_decref(entry);
                return cli_usage("license issue: --add-on-product %s: the purchase id must be "
                                 "UTF-8 of at most %d bytes", part[0], SL_ADDON_XID_MAX);
            }
            json_object_set_new(entry, "purchase_xid", x);
        }
        json_object_set_new(entry, "trial", json_boolean(trial));
    }
    list = json_object_get(products, part[0]);
    if (!list) {
        list = json_array();
        json_object_set_new(products, part[0], list);
    }
    json_array_append_new(list, entry);
    return EXIT_OK;
}

/* The payload from flags, in the key order the gem writes (fixture 01). */
static int build_payload(const issue_opts *o, char **out)
{
    static const char *const flags[] = {
        "cloud_licensing_enabled", "offline_cloud_licensing_enabled", "auto_renew_enabled",
        "seat_reconciliation_enabled", "operational_metrics_enabled",
        "contract_overages_allowed", "generated_from_customers_dot",
        "generated_from_cancellation", "temporary_extension",
    };
    static const struct {
        const char *opt;
        size_t offset;
    } required[] = {
        {"--licensee-name", offsetof(issue_opts, name)},
        {"--licensee-email", offsetof(issue_opts, email)},
        {"--licensee-company", offsetof(issue_opts, company)},
        {"--plan", offsetof(issue_opts, plan)},
        {"--users", offsetof(issue_opts, users)},
        {"--starts", offsetof(issue_opts, starts)},
    };
    json_t *p = NULL, *lic, *r, *addons = NULL;
    int64_t users = 0, previous = 0, quantity = 0;
    int rc;
    int ntrueup = !!o->tu_quantity + !!o->tu_from + !!o->tu_to;

    *out = NULL;
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        const char *v = *(const char *const *)((const char *)o + required[i].offset);
        if (!v)
            return cli_usage("license issue: %s is required (or give --payload FILE)",
                             required[i].opt);
        if (!*v)
            return cli_usage("license issue: %s must not be empty", required[i].opt);
    }
    if (strcmp(o->plan, "starter") != 0 && strcmp(o->plan, "premium") != 0 &&
        strcmp(o->plan, "ultimate") != 0)
        return cli_usage("license issue: --plan must be starter, premium or ultimate, not '%s'",
                         o->plan);
    /* each check prints its own usage message; the first failure wins */
    rc = check_count("--users", o->users, &users);
    if (rc == EXIT_OK)
        rc = check_date("--starts", o->starts);
    if (rc == EXIT_OK && o->expires)
        rc = check_date("--expires", o->expires);
    if (rc == EXIT_OK && o->previous)
        rc = check_count("--previous-users", o->previous, &previous);
    if (rc != EXIT_OK)
        return rc;
    if (ntrueup != 0 && ntrueup != 3)
        return cli_usage("license issue: --trueup-quantity, --trueup-from and --trueup-to "
                         "go together");
    if (ntrueup == 3) {
        rc = check_count("--trueup-quantity", o->tu_quantity, &quantity);
        if (rc == EXIT_OK)
            rc = check_date("--trueup-from", o->tu_from);
        if (rc == EXIT_OK)
            rc = check_date("--trueup-to", o->tu_to);
        if (rc != EXIT_OK)
            return rc;
    }

    p = json_object();
    lic = json_object();
    json_object_set_new(p, "version", json_integer(1));
    json_object_set_new(p, "licensee", lic);
    rc = set_text(lic, "Name", "--licensee-name", o->name);
    if (rc == EXIT_OK)
        rc = set_text(lic, "Email", "--licensee-email", o->email);
    if (rc == EXIT_OK)
        rc = set_text(lic, "Company", "--licensee-company", o->company);
    if (rc != EXIT_OK)
        goto fail;
    json_object_set_new(p, "issued_at", json_string(o->starts));
    if (o->expires)
        json_object_set_new(p, "expires_at", json_string(o->expires));
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        json_object_set_new(p, flags[i],
                            json_boolean(strcmp(flags[i], "contract_overages_allowed") == 0));
    json_object_set_new(p, "cloud_licensing_enabled", json_boolean(o->cloud));
    json_object_set_new(p, "offline_cloud_licensing_enabled", json_boolean(o->offline_cloud));
    r = json_object();
    json_object_set_new(p, "restrictions", r);
    if (o->naddons)
        addons = json_object();
    json_object_set_new(r, "plan", json_string(o->plan));
    json_object_set_new(r, "active_user_count", json_integer(users));
    if (o->previous)
        json_object_set_new(r, "previous_user_count", json_integer(previous));
    if (ntrueup == 3) {
        json_object_set_new(r, "trueup_quantity", json_integer(quantity));
        json_object_set_new(r, "trueup_from", json_string(o->tu_from));
        json_object_set_new(r, "trueup_to", json_string(o->tu_to));
    }
    for (size_t i = 0; i < o->naddons; i++) {
        const char *eq = strchr(o->addon[i], '=');
        char code[256];
        int64_t n;
        if (!eq || eq == o->addon[i] || (size_t)(eq - o->addon[i]) >= sizeof code ||
            !cli_parse_i64(eq + 1, &n)) {
            rc = cli_usage("license issue: --add-on must be CODE=N with N a non-negative "
                           "integer, not '%s'", o->addon[i]);
            goto fail;
        }
        memcpy(code, o->addon[i], (size_t)(eq - o->addon[i]));
        code[eq - o->addon[i]] = '\0';
        if (json_object_get(addons, code)) {
            rc = cli_usage("license issue: add-on '%s' given twice", code);
            goto fail;
        }
        if (json_object_set_new(addons, code, json_integer(n)) != 0) {
            rc = cli_usage("license issue: add-on code '%s' is not valid UTF-8", code);
            goto fail;
        }
    }
    if (addons) {
        json_object_set_new(r, "add_ons", addons);
        addons = NULL;
    }
    if (o->nproducts) {
        json_t *products = json_object();
        json_object_set_new(r, "add_on_products", products);
        for (size_t i = 0; i < o->nproducts; i++) {
            rc = add_product(products, o->product[i]);
            if (rc != EXIT_OK)
                goto fail;
        }
    }
    if (o->trial)
        json_object_set_new(r, "trial", json_true());
    *out = json_dumps(p, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(p);
    if (!*out) {
        fprintf(stderr, "seatledger: out of memory\n");
        return EXIT_SYSTEM;
    }
    return EXIT_OK;
fail:
    json_decref(addons);
    json_decref(p);
    return rc;
}

int cli_license_issue(cli_ctx *ctx, int argc, char **argv)
{
    issue_opts o = {0};
    char *pem = NULL, *payload = NULL, *text = NULL;
    size_t pem_len = 0, payload_len = 0;
    sl_error err = {0};
    bool v2;
    int rc = parse_issue_args(argc, argv, &o);

    if (rc != EXIT_OK)
        return rc;
    if (!o.private_key)
        return cli_usage("license issue: --private-key PEM is required");
    /* losing the vendor's private key means re-issuing every license */
    if (o.out && sl_path_same(o.out, o.private_key))
        return cli_usage("license issue: --out '%s' is the private key (--private-key): "
                         "it would be replaced", o.out);
    if (o.format && strcmp(o.format, "gitlab") != 0 && strcmp(o.format, "v2") != 0)
        return cli_usage("license issue: --format must be gitlab or v2, not '%s'", o.format);
    v2 = o.format && strcmp(o.format, "v2") == 0;
    if (v2 && o.boundary)
        return cli_usage("license issue: --boundary applies to --format gitlab only "
                         "(a v2 key has its own armor)");
    if (o.payload && (o.name || o.email || o.company || o.plan || o.users || o.starts ||
                      o.expires || o.previous || o.tu_quantity || o.tu_from || o.tu_to ||
                      o.naddons || o.trial || o.nproducts || o.cloud))
        return cli_usage("license issue: --payload cannot be combined with the licensee, "
                         "plan and restriction options");
    if (o.payload) {
        if (cli_read_file(o.payload, SL_PAYLOAD_MAX, &payload, &payload_len, &err) != SL_OK)
            return cli_fail(&err);
    } else {
        sl_license *lic = NULL;
        rc = build_payload(&o, &payload);
        if (rc != EXIT_OK)
            return rc;
        payload_len = strlen(payload);
        /* like the gem's export: never sign a key GitLab would reject (a
         * --payload file is signed as it is, for tests and special cases) */
        if (sl_license_from_payload(payload, payload_len, &lic, &err) != SL_OK ||
            sl_license_validate(lic, &err) != SL_OK) {
            fprintf(stderr, "seatledger: license issue: the key would be invalid: %s\n",
                    err.message);
            sl_license_free(lic);
            free(payload);
            return cli_exit_code(err.code);
        }
        sl_license_free(lic);
    }
    if (cli_read_file(o.private_key, SL_PEM_MAX, &pem, &pem_len, &err) != SL_OK ||
        (v2 ? sl_license_encode_v2(payload, payload_len, pem, pem_len, &text, &err)
            : sl_license_encode(payload, payload_len, pem, pem_len, o.boundary, &text,
                                &err)) != SL_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    if (o.out) {
        if (cli_write_file(o.out, text, strlen(text), 0, &err) != SL_OK) {
            rc = cli_fail(&err);
            goto done;
        }
        if (ctx->json) {
            json_t *j = json_pack("{s:s,s:I}", "out", o.out, "bytes", (json_int_t)strlen(text));
            char *line = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
            puts(line ? line : "{}");
            free(line);
            json_decref(j);
        } else
            printf("wrote license key to '%s'\n", o.out);
    } else {
        /* a boundary-wrapped key ends without a newline (the gem's layout);
         * a terminal still deserves one, and decoders accept it */
        size_t n = strlen(text);
        if (fwrite(text, 1, n, stdout) != n || (text[n - 1] != '\n' && putchar('\n') == EOF) ||
            fflush(stdout) != 0) {
            fprintf(stderr, "seatledger: cannot write to standard output\n");
            rc = EXIT_SYSTEM;
        }
    }
done:
    sl_free(text);
    free(pem);
    free(payload);
    return rc;
}

/* ---- license verify ---------------------------------------------------------- */

/* A string member as readable output shows it (the key's text is
 * untrusted: escaped), or the fallback. */
static const char *str_or(const json_t *o, const char *key, const char *fallback)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? cli_shown(s) : fallback;
}

/* The readable verdict, from the same document --json prints. */
static void print_verdict(const json_t *doc)
{
    const json_t *lic = json_object_get(doc, "license");
    const json_t *who, *seats, *addons, *v;
    const char *k;
    printf("verdict:  %s\n", json_is_true(json_object_get(doc, "valid")) ? "valid" : "invalid");
    if (json_is_string(json_object_get(doc, "error")))
        printf("error:    %s\n", str_or(doc, "error", ""));
    if (!json_is_object(lic))
        return;
    who = json_object_get(lic, "licensee");
    printf("licensee:");
    if (json_is_string(json_object_get(who, "Name")))
        printf(" %s", str_or(who, "Name", ""));
    if (json_is_string(json_object_get(who, "Email")))
        printf(" <%s>", str_or(who, "Email", ""));
    if (json_is_string(json_object_get(who, "Company")))
        printf("%s%s", json_is_string(json_object_get(who, "Name")) ||
                       json_is_string(json_object_get(who, "Email")) ? ", " : " ",
               str_or(who, "Company", ""));
    if (!json_is_string(json_object_get(who, "Name")) &&
        !json_is_string(json_object_get(who, "Email")) &&
        !json_is_string(json_object_get(who, "Company")))
        printf(" (none)");
    putchar('\n');
    printf("plan:     %s%s\n", str_or(lic, "plan", "starter"),
           json_is_true(json_object_get(lic, "trial")) ? " (trial)" : "");
    seats = json_object_get(lic, "user_limit");
    if (json_is_integer(seats))
        printf("seats:    %lld\n", (long long)json_integer_value(seats));
    else
        printf("seats:    unrestricted\n");
    addons = json_object_get(lic, "add_ons");
    if (json_object_size(addons)) {
        printf("add-ons: ");
        json_object_foreach((json_t *)addons, k, v) {
            char *txt = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
            printf(" %s=%s", cli_shown(k), txt ? cli_shown(txt) : "?");
            free(txt);
        }
        putchar('\n');
    }
    if (json_is_integer(json_object_get(lic, "trueup_quantity")) &&
        json_is_string(json_object_get(lic, "trueup_from")))
        printf("true-up:  %lld seats, %s to %s\n",
               (long long)json_integer_value(json_object_get(lic, "trueup_quantity")),
               str_or(lic, "trueup_from", "?"), str_or(lic, "trueup_to", "?"));
    printf("starts:   %s%s\n", str_or(lic, "starts_at", "(none)"),
           json_is_true(json_object_get(doc, "started")) ? "" : " (not started)");
    printf("expires:  %s%s\n", str_or(lic, "expires_at", "never"),
           json_is_true(json_object_get(doc, "expired")) ? " (expired)" : "");
    if (json_is_string(json_object_get(doc, "format")))
        printf("format:   %s, %s, signed by trusted key '%s'\n", str_or(doc, "format", "?"),
               str_or(doc, "algorithm", "?"), str_or(doc, "signed_by", "?"));
}

int cli_license_verify(cli_ctx *ctx, int argc, char **argv)
{
    const char *file = NULL, *keyfiles[VERIFY_KEYS_MAX];
    size_t nkeys = 0, len = 0;
    bool json = ctx->json, require_v2 = false;
    char *text = NULL, *doc = NULL;
    sl_keyring *own = NULL;
    const sl_keyring *kr = NULL;
    sl_license *lic = NULL;
    sl_error err = {0}, failure = {0};
    int32_t today = sl_clock_today();
    sl_rc drc;
    json_t *parsed;
    int rc = EXIT_OK;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--public-key") == 0) {
            if (i + 1 >= argc)
                return cli_usage("license verify: --public-key needs a PEM file");
            if (nkeys == VERIFY_KEYS_MAX)
                return cli_usage("license verify: more than %d --public-key options",
                                 VERIFY_KEYS_MAX);
            keyfiles[nkeys++] = argv[++i];
        } else if (strcmp(argv[i], "--json") == 0) {
            json = true;
        } else if (strcmp(argv[i], "--require-v2") == 0) {
            require_v2 = true;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            return cli_usage("license verify: unknown option '%s'", argv[i]);
        } else if (!file) {
            file = argv[i];
        } else {
            return cli_usage("license verify: unexpected argument '%s'", argv[i]);
        }
    }
    if (!file)
        return cli_usage("license verify needs a FILE (or - for standard input)");
    if (require_v2 && !nkeys)
        return cli_usage("license verify: --require-v2 applies to --public-key keys (the "
                         "ledger's keys carry their own mark: keys trust --require-v2)");
    if (nkeys) {
        /* keys given on the command line: no ledger is opened at all */
        if (sl_keyring_new(&own, &err) != SL_OK) {
            rc = cli_fail(&err);
            goto done;
        }
        for (size_t i = 0; i < nkeys; i++) {
            char *pem = NULL;
            size_t pem_len = 0;
            if (cli_read_file(keyfiles[i], SL_PEM_MAX, &pem, &pem_len, &err) != SL_OK ||
                sl_keyring_add_pem_flags(own, pem, pem_len, keyfiles[i],
                                         require_v2 ? SL_KEY_REQUIRE_V2 : 0, &err) != SL_OK) {
                free(pem);
                rc = cli_fail(&err);
                goto done;
            }
            free(pem);
        }
        kr = own;
    }
    if (cli_read_file(file, SL_LICENSE_TEXT_MAX, &text, &len, &err) != SL_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    if (!kr) {
        sl_store *st = cli_store(ctx, &rc);
        if (!st)
            goto done;
        /* with the ledger's keys, its today too (the clock-safe one) */
        if (sl_store_keyring(st, &kr, &err) != SL_OK || sl_store_today(st, &today, &err) != SL_OK) {
            rc = cli_fail(&err);
            goto done;
        }
    }
    drc = sl_license_decode(text, len, kr, &lic, &failure);
    if (drc == SL_ENOMEM || drc == SL_EINTERNAL) {
        rc = cli_fail(&failure);
        goto done;
    }
    if (sl_license_verify_json(lic, drc == SL_OK ? NULL : &failure, today, &doc,
                               &err) != SL_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    parsed = json_loads(doc, 0, NULL);
    rc = json_is_true(json_object_get(parsed, "valid")) ? EXIT_OK : EXIT_REJECTED;
    if (json)
        puts(doc);
    else
        print_verdict(parsed);
    json_decref(parsed);
done:
    sl_free(doc);
    sl_license_free(lic);
    sl_keyring_free(own);
    free(text);
    return rc;
}
