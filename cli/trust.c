/*
 * trust.c - what lets someone who does not control the machine trust the
 * ledger (docs/trust.md): `ledger verify` walks the hash chain and names
 * its breaks, `--accept-break` acknowledges them for good.
 */
#include "cli.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- ledger verify ------------------------------------------------------- */

static json_t *break_json(const sl_chain_break *b)
{
    char when[32], ack[32], text[256];
    json_t *o = json_object();
    json_object_set_new(o, "kind", json_string(sl_chain_break_kind_name(b->kind)));
    json_object_set_new(o, "position", b->position ? json_integer(b->position) : json_null());
    json_object_set_new(o, "last_position",
                        b->position ? json_integer(b->last_position) : json_null());
    json_object_set_new(o, "table", b->table[0] ? json_string(b->table) : json_null());
    json_object_set_new(o, "row_id", b->row_id ? json_integer(b->row_id) : json_null());
    json_object_set_new(o, "recorded_at",
                        b->at_ms ? json_string(sl_time_format_rfc3339(b->at_ms, when, sizeof when))
                                 : json_null());
    json_object_set_new(o, "acknowledged", json_boolean(b->acknowledged));
    json_object_set_new(o, "acknowledged_at",
                        b->acknowledged ? json_string(sl_time_format_rfc3339(
                                              b->acknowledged_at_ms, ack, sizeof ack))
                                        : json_null());
    json_object_set_new(o, "description",
                        json_string(sl_chain_break_describe(b, text, sizeof text)));
    return o;
}

static void print_verdict_json(const sl_chain_verdict *v)
{
    json_t *o = json_object(), *list = json_array();
    char *s;
    for (size_t i = 0; i < v->nlisted; i++)
        json_array_append_new(list, break_json(&v->listed[i]));
    json_object_set_new(o, "intact", json_boolean(v->unacknowledged == 0));
    json_object_set_new(o, "head", json_pack("{s:I,s:s}", "position",
                                             (json_int_t)v->head_position, "hash", v->head_hash));
    json_object_set_new(o, "breaks", json_integer(v->breaks));
    json_object_set_new(o, "unacknowledged", json_integer(v->unacknowledged));
    json_object_set_new(o, "accepted", json_integer(v->accepted));
    json_object_set_new(o, "first_unacknowledged",
                        v->unacknowledged ? break_json(&v->first_unacknowledged) : json_null());
    json_object_set_new(o, "listed", list);
    s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    puts(s ? s : "{}");
    free(s);
    json_decref(o);
}

static void print_verdict_text(const sl_chain_verdict *v)
{
    char n[32], m[32], text[256], ack[32];
    sl_format_count(v->head_position, n, sizeof n);
    if (v->accepted)
        printf("acknowledged %s %s; every verification keeps listing %s\n",
               sl_format_count(v->accepted, m, sizeof m), v->accepted == 1 ? "break" : "breaks",
               v->accepted == 1 ? "it" : "them");
    if (v->unacknowledged == 0 && v->breaks == 0)
        printf("ledger intact: %s chained %s\n", n, v->head_position == 1 ? "row" : "rows");
    else if (v->unacknowledged == 0)
        printf("ledger intact but for acknowledged breaks: %s chained %s, %s acknowledged %s\n",
               n, v->head_position == 1 ? "row" : "rows", sl_format_count(v->breaks, m, sizeof m),
               v->breaks == 1 ? "break" : "breaks");
    else
        printf("ledger broken: %s %s (%s not acknowledged) in %s chained %s\n",
               sl_format_count(v->breaks, m, sizeof m), v->breaks == 1 ? "break" : "breaks",
               sl_format_count(v->unacknowledged, text, sizeof text), n,
               v->head_position == 1 ? "row" : "rows");
    printf("head: position %lld, hash %s\n", (long long)v->head_position, v->head_hash);
    for (size_t i = 0; i < v->nlisted; i++) {
        const sl_chain_break *b = &v->listed[i];
        if (b->acknowledged)
            printf("acknowledged %s: %s\n",
                   sl_time_format_rfc3339(b->acknowledged_at_ms, ack, sizeof ack),
                   sl_chain_break_describe(b, text, sizeof text));
        else
            printf("break: %s\n", sl_chain_break_describe(b, text, sizeof text));
    }
    if ((int64_t)v->nlisted < v->breaks)
        printf("... and %s more\n",
               sl_format_count(v->breaks - (int64_t)v->nlisted, text, sizeof text));
}

int cmd_ledger_verify(cli_ctx *ctx, int argc, char **argv)
{
    sl_chain_verdict *v;
    sl_error err = {0};
    sl_store *st;
    int accept = 0, rc = EXIT_OK;
    for (int i = 1; i < argc; i++) {
        if (cli_json_flag(ctx, argv[i]))
            continue;
        if (strcmp(argv[i], "--accept-break") == 0)
            accept = 1;
        else
            return cli_usage("ledger verify: unexpected argument '%s'", argv[i]);
    }
    st = cli_store(ctx, &rc);
    if (!st)
        return rc;
    v = calloc(1, sizeof *v);
    if (!v) {
        sl_error_set(&err, SL_ENOMEM, "out of memory");
        return cli_fail(&err);
    }
    if ((accept ? sl_store_ledger_accept_break(st, SL_SOURCE_CLI, v, &err)
                : sl_store_ledger_verify(st, v, &err)) != SL_OK) {
        free(v);
        return cli_fail(&err);
    }
    if (ctx->json)
        print_verdict_json(v);
    else
        print_verdict_text(v);
    if (v->unacknowledged) {
        char text[256];
        sl_error_set(&err, SL_ETAMPERED, "the ledger's hash chain is broken: %s",
                     sl_chain_break_describe(&v->first_unacknowledged, text, sizeof text));
        rc = cli_fail(&err);
    }
    free(v);
    return rc;
}

/* ---- usage report ---------------------------------------------------------- */

static json_t *info_json(const sl_report_info *in)
{
    char gen[32], from[32], to[32], peak[32];
    return json_pack("{s:s,s:s,s:I,s:{s:s,s:s},s:{s:I,s:I,s:s},s:I,s:I,s:o,s:o,s:I,s:I,s:s}",
        "instance_id", in->instance_id,
        "generated_at", sl_time_format_rfc3339(in->generated_at_ms, gen, sizeof gen),
        "license_id", (json_int_t)in->license_id,
        "window", "from", sl_time_format_rfc3339(in->from_ms, from, sizeof from),
        "to", sl_time_format_rfc3339(in->to_ms, to, sizeof to),
        "chain", "start", (json_int_t)in->start_position, "head", (json_int_t)in->head_position,
        "hash", in->head_hash,
        "snapshots", (json_int_t)in->snapshots,
        "add_on_snapshots", (json_int_t)in->add_on_snapshots,
        "peak_count", in->snapshots ? json_integer(in->peak_count) : json_null(),
        "peak_at", in->snapshots ? json_string(sl_time_format_rfc3339(in->peak_at_ms, peak,
                                                                      sizeof peak))
                                 : json_null(),
        "breaks", (json_int_t)in->breaks,
        "restarts", (json_int_t)in->restarts,
        "public_key_sha256", in->key_sha256);
}

static void print_json_value(json_t *o)
{
    char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    puts(s ? s : "{}");
    free(s);
    json_decref(o);
}

static void print_info(const sl_report_info *in)
{
    char a[32], b[32], n[32], m[32];
    printf("instance:  %s\n", in->instance_id);
    printf("license:   %lld, window %s to %s\n", (long long)in->license_id,
           sl_time_format_rfc3339(in->from_ms, a, sizeof a),
           sl_time_format_rfc3339(in->to_ms, b, sizeof b));
    if (in->snapshots)
        printf("snapshots: %s (the highest %s at %s), %s add-on %s\n",
               sl_format_count(in->snapshots, n, sizeof n),
               sl_format_count(in->peak_count, m, sizeof m),
               sl_time_format_rfc3339(in->peak_at_ms, a, sizeof a),
               sl_format_count(in->add_on_snapshots, b, sizeof b),
               in->add_on_snapshots == 1 ? "snapshot" : "snapshots");
    else
        printf("snapshots: none in the window, %s add-on %s\n",
               sl_format_count(in->add_on_snapshots, b, sizeof b),
               in->add_on_snapshots == 1 ? "snapshot" : "snapshots");
    printf("chain:     positions %lld to %lld, head %s\n", (long long)in->start_position,
           (long long)in->head_position, in->head_hash);
    if (in->breaks)
        printf("breaks:    %s acknowledged (the chain restarts at %s %s)\n",
               sl_format_count(in->breaks, n, sizeof n),
               sl_format_count(in->restarts, m, sizeof m),
               in->restarts == 1 ? "position" : "positions");
    else
        printf("breaks:    none\n");
    printf("generated: %s\n", sl_time_format_rfc3339(in->generated_at_ms, a, sizeof a));
    printf("signed:    instance key, SPKI SHA-256 %s\n", in->key_sha256);
}

int cmd_usage_report(cli_ctx *ctx, int argc, char **argv)
{
    const char *out = NULL;
    sl_report_options o = {INT64_MIN, INT64_MIN};
    int64_t from = INT64_MIN, to = INT64_MIN;
    sl_report_info info;
    sl_error err = {0};
    sl_store *st;
    char *json = NULL;
    size_t len = 0;
    int rc = EXIT_OK;
    for (int i = 1; i < argc; i++) {
        if (cli_json_flag(ctx, argv[i]))
            continue;
        if (strcmp(argv[i], "--out") == 0 && i + 1 < argc && !out) {
            out = argv[++i];
        } else if (strcmp(argv[i], "--from") == 0 && i + 1 < argc) {
            rc = cli_parse_bound("usage report", "--from", argv[++i], 0, &from);
            if (rc != EXIT_OK)
                return rc;
        } else if (strcmp(argv[i], "--to") == 0 && i + 1 < argc) {
            rc = cli_parse_bound("usage report", "--to", argv[++i], 1, &to);
            if (rc != EXIT_OK)
                return rc;
        } else {
            return cli_usage("usage report: unexpected argument '%s'", argv[i]);
        }
    }
    if ((from == INT64_MIN) != (to == INT64_MIN))
        return cli_usage("usage report: --from and --to go together");
    if (from != INT64_MIN && from > to)
        return cli_usage("usage report: --from is after --to");
    o.from_ms = from;
    o.to_ms = to;
    rc = cli_check_out(&out);
    if (rc != EXIT_OK)
        return rc;
    st = cli_store(ctx, &rc);
    if (!st)
        return rc;
    if (sl_store_usage_report(st, &o, &json, &len, &info, &err) != SL_OK ||
        cli_write_file(out, json, len, 0, &err) != SL_OK) {
        sl_free(json);
        return cli_fail(&err);
    }
    sl_free(json);
    if (!out)
        return EXIT_OK;   /* the report itself went to stdout */
    if (ctx->json) {
        print_json_value(info_json(&info));
    } else {
        printf("wrote %s: a usage report signed with the instance key\n", out);
        print_info(&info);
    }
    return EXIT_OK;
}

/* ---- report verify ----------------------------------------------------------- */

int cmd_report_verify(cli_ctx *ctx, int argc, char **argv)
{
    const char *files[2] = {NULL, NULL}, *keyfile = NULL;
    char *data[2] = {NULL, NULL}, *pem = NULL, n[32], m[32], k[32];
    size_t len[2] = {0, 0}, pemlen = 0;
    int nfiles = 0, rc = EXIT_OK;
    sl_report_info old_info, new_info;
    sl_report_extension ext;
    sl_error err = {0};
    for (int i = 1; i < argc; i++) {
        if (cli_json_flag(ctx, argv[i]))
            continue;
        if (strcmp(argv[i], "--instance-key") == 0 && i + 1 < argc && !keyfile)
            keyfile = argv[++i];
        else if (argv[i][0] == '-' && argv[i][1])
            return cli_usage("report verify: unexpected argument '%s'", argv[i]);
        else if (nfiles < 2)
            files[nfiles++] = argv[i];
        else
            return cli_usage("report verify: unexpected argument '%s'", argv[i]);
    }
    if (!nfiles)
        return cli_usage("report verify: which report? (REPORT [NEWER])");
    if (!keyfile)
        return cli_usage("report verify: --instance-key PUB is needed ('seatledger keys "
                         "instance-public --reports' on the instance prints it)");
    if (cli_read_file(keyfile, SL_PEM_MAX, &pem, &pemlen, &err) != SL_OK)
        return cli_fail(&err);
    {
        /* a wrong key file is named as such, not as a fault of the report */
        char type[16] = "";
        if (sl_key_describe(pem, pemlen, type, sizeof type, NULL) != SL_OK ||
            strcmp(type, "ed25519") != 0) {
            free(pem);
            sl_error_set(&err, SL_EINVAL, "'%s' is not an Ed25519 public key in SPKI PEM "
                         "('seatledger keys instance-public --reports' on the instance prints "
                         "its key)", keyfile);
            return cli_fail(&err);
        }
    }
    for (int i = 0; i < nfiles; i++) {
        if (cli_read_file(files[i], SL_REPORT_BYTES_MAX, &data[i], &len[i], &err) != SL_OK) {
            rc = cli_fail(&err);
            goto done;
        }
    }
    if (nfiles == 1) {
        if (sl_report_verify(data[0], len[0], pem, pemlen, &new_info, &err) != SL_OK) {
            char msg[SL_ERROR_MAX];
            snprintf(msg, sizeof msg, "%s", err.message);
            sl_error_set(&err, err.code, "'%s': %s", files[0], msg);
            rc = cli_fail(&err);
            goto done;
        }
    } else if (sl_report_verify_extends(data[0], len[0], data[1], len[1], pem, pemlen,
                                        &old_info, &new_info, &ext, &err) != SL_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    if (ctx->json) {
        json_t *o = json_pack("{s:b,s:o}", "valid", 1, "report", info_json(&new_info));
        if (o && nfiles == 2) {
            json_object_set_new(o, "old_report", info_json(&old_info));
            json_object_set_new(o, "extends",
                                json_pack("{s:I,s:I,s:I}", "rows_added",
                                          (json_int_t)ext.rows_added, "snapshots_added",
                                          (json_int_t)ext.snapshots_added, "old_snapshots",
                                          (json_int_t)ext.old_snapshots));
        }
        print_json_value(o);
        goto done;
    }
    if (nfiles == 2)
        printf("%s extends %s: %s chain %s added (%s of them snapshots); the older report's "
               "%s %s unchanged\n", files[1], files[0],
               sl_format_count(ext.rows_added, n, sizeof n),
               ext.rows_added == 1 ? "position" : "positions",
               sl_format_count(ext.snapshots_added, m, sizeof m),
               sl_format_count(ext.old_snapshots, k, sizeof k),
               ext.old_snapshots == 1 ? "snapshot is" : "snapshots are");
    printf("%s: valid\n", files[nfiles - 1]);
    print_info(&new_info);
done:
    free(data[0]);
    free(data[1]);
    free(pem);
    return rc;
}
