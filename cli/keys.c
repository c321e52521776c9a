/*
 * keys.c - `seatledger keys`: generate a vendor key pair, and trust, list or
 * untrust the vendor public keys that license keys are checked against.
 */
#include "cli.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int cmd_keys_generate(cli_ctx *ctx, int argc, char **argv)
{
    const char *priv = NULL, *pub = NULL, *type = "rsa";
    int64_t bits = 2048;
    bool bits_given = false;
    char *priv_pem = NULL, *pub_pem = NULL;
    sl_error err = {0};
    struct stat sb;
    int rc = EXIT_OK;
    sl_rc grc;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--private") == 0 && i + 1 < argc)
            priv = argv[++i];
        else if (strcmp(argv[i], "--public") == 0 && i + 1 < argc)
            pub = argv[++i];
        else if (strcmp(argv[i], "--type") == 0 && i + 1 < argc) {
            type = argv[++i];
            if (strcmp(type, "rsa") != 0 && strcmp(type, "ed25519") != 0)
                return cli_usage("--type must be rsa or ed25519, not '%s'", type);
        } else if (strcmp(argv[i], "--bits") == 0 && i + 1 < argc) {
            if (!cli_parse_i64(argv[++i], &bits) || (bits != 2048 && bits != 3072 && bits != 4096))
                return cli_usage("--bits must be 2048, 3072 or 4096, not '%s'", argv[i]);
            bits_given = true;
        } else if (cli_json_flag(ctx, argv[i])) {
            continue;
        } else
            return cli_usage("keys generate: unexpected argument '%s'", argv[i]);
    }
    if (!priv || !pub)
        return cli_usage("keys generate needs --private OUT.pem and --public OUT.pub.pem");
    /* the public key would replace the private one */
    if (sl_path_same(priv, pub))
        return cli_usage("keys generate: --private and --public name the same file '%s'", priv);
    if (bits_given && strcmp(type, "ed25519") == 0)
        return cli_usage("keys generate: --bits applies to --type rsa only");
    /* never overwrite a private key: losing one means re-issuing every license */
    if (stat(priv, &sb) == 0 || stat(pub, &sb) == 0) {
        fprintf(stderr, "seatledger: cannot write '%s': file exists\n",
                stat(priv, &sb) == 0 ? priv : pub);
        return EXIT_REJECTED;
    }
    grc = strcmp(type, "ed25519") == 0 ? sl_keys_generate_ed25519(&priv_pem, &pub_pem, &err)
                                       : sl_keys_generate((int)bits, &priv_pem, &pub_pem, &err);
    if (grc != SL_OK ||
        cli_write_file(priv, priv_pem, strlen(priv_pem), 1, &err) != SL_OK ||
        cli_write_file(pub, pub_pem, strlen(pub_pem), 0, &err) != SL_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    if (ctx->json) {
        json_t *o = strcmp(type, "rsa") == 0
                        ? json_pack("{s:s,s:s,s:I,s:s}", "private", priv, "public", pub, "bits",
                                    (json_int_t)bits, "type", type)
                        : json_pack("{s:s,s:s,s:s}", "private", priv, "public", pub, "type", type);
        char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
        puts(s);
        free(s);
        json_decref(o);
    } else if (strcmp(type, "rsa") == 0) {
        printf("generated an RSA-%d key pair: private key '%s' (keep it secret), public key '%s'\n",
               (int)bits, priv, pub);
    } else {
        printf("generated an Ed25519 key pair: private key '%s' (keep it secret), public key '%s'\n",
               priv, pub);
    }
done:
    sl_free(priv_pem);
    sl_free(pub_pem);
    return rc;
}

int cmd_keys_trust(cli_ctx *ctx, int argc, char **argv)
{
    const char *file = NULL, *name = NULL;
    char *pem = NULL, *fp = NULL;
    size_t len;
    sl_error err = {0};
    sl_store *st;
    bool require_v2 = false;
    int rc = EXIT_OK, marked = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--name") == 0 && i + 1 < argc)
            name = argv[++i];
        else if (strcmp(argv[i], "--require-v2") == 0)
            require_v2 = true;
        else if (argv[i][0] == '-' && argv[i][1] == '-')
            return cli_usage("keys trust: unknown option '%s'", argv[i]);
        else if (!file)
            file = argv[i];
        else
            return cli_usage("keys trust: unexpected argument '%s'", argv[i]);
    }
    if (!file)
        return cli_usage("keys trust needs a public key file (PUB.pem)");
    if (cli_read_file(file, SL_PEM_MAX, &pem, &len, &err) != SL_OK)
        return cli_fail(&err);
    st = cli_store(ctx, &rc);
    if (!st)
        goto done;
    if (sl_key_fingerprint(pem, len, &fp, &err) != SL_OK ||
        sl_store_key_trust_flags(st, pem, len, name, require_v2 ? SL_KEY_REQUIRE_V2 : 0,
                                 &marked, &err) != SL_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    if (ctx->json) {
        sl_trusted_key *keys = NULL;
        size_t n = 0, k;
        if (sl_store_key_list(st, &keys, &n, &err) != SL_OK) {
            rc = cli_fail(&err);
            goto done;
        }
        for (k = 0; k < n && strcmp(keys[k].fingerprint, fp) != 0; k++)
            ;
        if (require_v2)
            printf("{\"name\":\"%s\",\"fingerprint\":\"%s\",\"require_v2\":true}\n",
                   k < n ? keys[k].name : "", fp);
        else
            printf("{\"name\":\"%s\",\"fingerprint\":\"%s\"}\n", k < n ? keys[k].name : "", fp);
        sl_trusted_keys_free(keys, n);
    } else if (marked) {
        printf("public key '%s' (sha256 %s) was already trusted; it now accepts only v2 "
               "license keys\n", file, fp);
    } else {
        printf("trusted public key '%s' (sha256 %s)%s\n", file, fp,
               require_v2 ? "; it accepts only v2 license keys" : "");
    }
done:
    free(pem);
    sl_free(fp);
    return rc;
}

int cmd_keys_list(cli_ctx *ctx, int argc, char **argv)
{
    sl_trusted_key *keys = NULL;
    size_t n = 0;
    sl_error err = {0};
    sl_store *st;
    int rc = EXIT_OK;
    if (argc > 1)
        return cli_usage("keys list: unexpected argument '%s'", argv[1]);
    st = cli_store(ctx, &rc);
    if (!st)
        return rc;
    if (sl_store_key_list(st, &keys, &n, &err) != SL_OK)
        return cli_fail(&err);
    if (ctx->json) {
        json_t *arr = json_array();
        char *s;
        for (size_t i = 0; i < n; i++) {
            char when[32];
            json_array_append_new(arr, json_pack("{s:I,s:s,s:s,s:s,s:s,s:b}", "position", (json_int_t)(i + 1),
                                                 "name", keys[i].name, "fingerprint", keys[i].fingerprint,
                                                 "created_at",
                                                 sl_time_format_rfc3339(keys[i].created_at_ms, when, sizeof when),
                                                 "type", keys[i].type, "require_v2", keys[i].require_v2));
        }
        s = json_dumps(arr, JSON_COMPACT | JSON_PRESERVE_ORDER);
        puts(s);
        free(s);
        json_decref(arr);
    } else if (n == 0) {
        puts("no trusted keys (add one with 'seatledger keys trust PUB.pem')");
    } else {
        printf("%-4s %-24s %-9s %-8s %s\n", "#", "NAME", "TYPE", "ACCEPTS", "SHA-256 FINGERPRINT");
        for (size_t i = 0; i < n; i++)
            printf("%-4zu %-24s %-9s %-8s %s\n", i + 1, keys[i].name, keys[i].type,
                   keys[i].require_v2 ? "v2" : "all", keys[i].fingerprint);
    }
    sl_trusted_keys_free(keys, n);
    return rc;
}

int cmd_keys_untrust(cli_ctx *ctx, int argc, char **argv)
{
    sl_error err = {0};
    sl_store *st;
    int rc = EXIT_OK;
    if (argc != 2)
        return cli_usage("keys untrust needs exactly one key NAME");
    st = cli_store(ctx, &rc);
    if (!st)
        return rc;
    if (sl_store_key_untrust(st, argv[1], &err) != SL_OK)
        return cli_fail(&err);
    if (!ctx->json)
        printf("no longer trusting key '%s'\n", argv[1]);
    else
        printf("{\"untrusted\":\"%s\"}\n", argv[1]);
    return EXIT_OK;
}

int cmd_keys_instance_public(cli_ctx *ctx, int argc, char **argv)
{
    sl_instance_key which = SL_INSTANCE_KEY_JWT;
    char *pem = NULL;
    sl_error err = {0};
    sl_store *st;
    int rc = EXIT_OK;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--reports") == 0)
            which = SL_INSTANCE_KEY_REPORTS;
        else if (strcmp(argv[i], "--jwt") == 0)
            which = SL_INSTANCE_KEY_JWT;
        else
            return cli_usage("keys instance-public: unexpected argument '%s'", argv[i]);
    }
    st = cli_store(ctx, &rc);
    if (!st)
        return rc;
    if (sl_store_instance_public_key(st, which, &pem, &err) != SL_OK)
        return cli_fail(&err);
    if (ctx->json) {
        char id[SL_INSTANCE_UUID_LEN + 1];
        json_t *o;
        char *s;
        if (sl_store_instance_id(st, id, &err) != SL_OK) {
            sl_free(pem);
            return cli_fail(&err);
        }
        o = json_pack("{s:s,s:s,s:s,s:s}", "instance_id", id, "key",
                      which == SL_INSTANCE_KEY_JWT ? "jwt" : "reports", "algorithm",
                      which == SL_INSTANCE_KEY_JWT ? "RS256" : "Ed25519", "public_key", pem);
        s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        if (s)
            puts(s);
        else
            rc = EXIT_SYSTEM;
        free(s);
        json_decref(o);
    } else {
        fputs(pem, stdout);
    }
    sl_free(pem);
    return rc;
}
