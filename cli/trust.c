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
