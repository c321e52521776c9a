/*
 * ledger/ledger_verify.c - `seatledger ledger verify`: the whole hash chain
 * walked in one read transaction, its breaks named in words, and the
 * admin's acknowledgement of them (`--accept-break`): one event, chained
 * like every record, after which writes are appended again.  The walk
 * itself is chain.c's.
 */
#include "ledger/ledger_internal.h"

#include <stdlib.h>
#include <string.h>

/* "N breaks acknowledged (M ranges); the first: <its description>" */
#define ACCEPT_DETAIL_MAX 400

/* The whole chain: every entry against its row, every row against the
 * chain.  With `collect`, the unacknowledged breaks as ranges in w->found. */
static sl_rc walk_all(sl_store *st, sl_chain_verdict *v, int collect, sl__chain_walk *w,
                      sl_error *err)
{
    unsigned char hash[SL__CHAIN_HASH_LEN];
    int64_t head;
    sl_rc rc;
    memset(v, 0, sizeof *v);
    rc = sl__chain_walk_begin(st, w, err);
    if (rc != SL_OK)
        return rc;
    w->verdict = v;
    w->collect = collect;
    rc = sl__chain_head(st, &head, hash, err);
    if (rc == SL_OK)
        rc = sl__chain_walk_range(w, 1, head, err);
    v->head_position = head;
    sl__hex(hash, sizeof hash, v->head_hash);
    return rc;
}

sl_rc sl_store_ledger_verify(sl_store *st, sl_chain_verdict *out, sl_error *err)
{
    sl__chain_walk w;
    int began = 0;
    sl_rc rc;
    /* one read transaction: a refresh committing meanwhile is not half seen */
    if (!st->in_txn && sqlite3_get_autocommit(st->db)) {
        if (sqlite3_exec(st->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
            return sl__db_err(st, err, "cannot read the ledger");
        began = 1;
    }
    rc = walk_all(st, out, 0, &w, err);
    sl__chain_walk_free(&w);
    if (began)
        sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
    return rc;
}

sl_rc sl_store_ledger_accept_break(sl_store *st, sl_source source, sl_chain_verdict *out,
                                   sl_error *err)
{
    sl__chain_walk w = {0};
    char detail[ACCEPT_DETAIL_MAX], first[256], n[32];
    int64_t now;
    sl_rc rc = sl__begin(st, err);
    if (rc != SL_OK)
        return rc;
    /* the acknowledgement is appended onto the broken chain: that is its point */
    rc = sl__event_begin(st, SL__EVENT_CHAIN_ANY, err);
    if (rc == SL_OK)
        rc = walk_all(st, out, 1, &w, err);
    if (rc != SL_OK || w.nfound == 0)
        goto fail;   /* nothing to acknowledge: nothing is written */
    now = sl__event_at(st);
    for (size_t i = 0; i < w.nfound && rc == SL_OK; i++) {
        const sl__chain_ack *a = &w.found[i];
        const sl__value v[] = {SL__ID, SL__AT, SL__TEXT(sl_chain_break_kind_name(a->kind)),
                               SL__INT(a->tbl), SL__INT(a->first), SL__INT(a->last)};
        rc = sl__event_append(st, "INSERT INTO chain_breaks(id, at, kind, tbl, first, last) "
                                  "VALUES (?,?,?,?,?,?)",
                              v, 6, "cannot record the acknowledged break", NULL, err);
    }
    if (rc != SL_OK)
        goto fail;
    snprintf(detail, sizeof detail, "%s %s acknowledged (source=%s); the first: %s",
             sl_format_count(out->unacknowledged, n, sizeof n),
             out->unacknowledged == 1 ? "break" : "breaks", sl_source_name(source),
             sl_chain_break_describe(&out->first_unacknowledged, first, sizeof first));
    rc = sl__audit(st, "ledger.accept_break", 0, "ok", detail, err);
    if (rc != SL_OK)
        goto fail;
    rc = sl__commit(st, err);
    if (rc != SL_OK) {
        sl__chain_walk_free(&w);
        return rc;
    }
    sl__chain_walk_free(&w);
    {
        unsigned char hash[SL__CHAIN_HASH_LEN];
        if (sl__chain_head(st, &out->head_position, hash, NULL) == SL_OK)
            sl__hex(hash, sizeof hash, out->head_hash);
    }
    out->accepted = out->unacknowledged;
    out->unacknowledged = 0;
    for (size_t i = 0; i < out->nlisted; i++) {
        if (!out->listed[i].acknowledged) {
            out->listed[i].acknowledged = 1;
            out->listed[i].acknowledged_at_ms = now;
        }
    }
    out->first_unacknowledged.acknowledged = 1;
    out->first_unacknowledged.acknowledged_at_ms = now;
    return SL_OK;
fail:
    sl__chain_walk_free(&w);
    sl__rollback(st);
    return rc;
}
