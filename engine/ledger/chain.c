/*
 * ledger/chain.c - the hash chain at work: linking each appended row onto
 * the head (called from the one funnel, events.c), the check every write
 * makes before it appends (the head, nothing appended outside the chain, a
 * rolling re-verification of SL_CHAIN_RECHECK_ROWS entries), and the walk
 * that recomputes the chain and finds its breaks, which the verification,
 * the acknowledgement of breaks (ledger_verify.c) and the signed usage
 * report (report/) share.  The format itself is chain_format.c's.
 */
#include "ledger/ledger_internal.h"

#include <stdlib.h>
#include <string.h>

/* Acknowledged break ranges a walk holds in memory, and ranges one
 * acknowledgement records: an admin who deletes rows one by one makes one
 * range per row, a truncated table one range. */
#define CHAIN_ACKS_MAX 100000

/* statements kept in st->chain_stmts (a walk holds several at once) */
enum {
    STMT_ONE = 0,                        /* + code - 1: a row by id */
    STMT_ALL = SL__CHAIN_TABLES,         /* + code - 1: all rows by id */
    STMT_AFTER = 2 * SL__CHAIN_TABLES,   /* + code - 1: rows after an id */
    STMT_RANGE = 3 * SL__CHAIN_TABLES,   /* chain entries of a range */
    STMT_COUNT
};
_Static_assert(STMT_COUNT <= SL_CHAIN_STMTS, "SL_CHAIN_STMTS too small");
_Static_assert(sizeof ((sl_event *)0)->next_id / sizeof (int64_t) == SL__CHAIN_TABLES,
               "sl_event.next_id holds one id per chained table");

static sl_rc chain_stmt(sl_store *st, int idx, const char *sql, sqlite3_stmt **out,
                        sl_error *err)
{
    if (!st->chain_stmts[idx] &&
        sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st->chain_stmts[idx],
                           NULL) != SQLITE_OK)
        return sl__db_err(st, err, "cannot read the hash chain");
    sqlite3_reset(st->chain_stmts[idx]);
    *out = st->chain_stmts[idx];
    return SL_OK;
}

static sl_rc digest_ctx(sl_store *st, sl__chain_digest **out, sl_error *err)
{
    if (!st->chain_digest) {
        sl__chain_digest *d = calloc(1, sizeof *d);
        sl_rc rc;
        if (!d)
            return sl__err(err, SL_ENOMEM, "out of memory");
        rc = sl__chain_digest_init(d, err);
        if (rc != SL_OK) {
            free(d);
            return rc;
        }
        st->chain_digest = d;
    }
    *out = st->chain_digest;
    return SL_OK;
}

void sl__chain_disable(sl_store *st)
{
    st->chain_off = 1;
}

/* ---- acknowledged breaks ------------------------------------------------ */

static const char *const kind_names[] = {"changed", "deleted", "missing", "inserted"};

const char *sl_chain_break_kind_name(sl_chain_break_kind k)
{
    return (unsigned)k < 4 ? kind_names[k] : "changed";
}

char *sl_chain_break_describe(const sl_chain_break *b, char *buf, size_t size)
{
    char when[32] = "", pos[64];
    if (b->at_ms)
        sl_time_format_rfc3339(b->at_ms, when, sizeof when);
    snprintf(pos, sizeof pos, "chain position %lld", (long long)b->position);
    switch (b->kind) {
    case SL_CHAIN_MISSING:
        if (b->last_position > b->position)
            snprintf(buf, size, "chain positions %lld to %lld are missing: rows and their "
                     "chain entries were deleted", (long long)b->position,
                     (long long)b->last_position);
        else
            snprintf(buf, size, "%s is missing: a row and its chain entry were deleted", pos);
        break;
    case SL_CHAIN_DELETED:
        snprintf(buf, size, "%s row %lld (%s%s%s) is missing: it was deleted", b->table,
                 (long long)b->row_id, pos, *when ? ", recorded " : "", when);
        break;
    case SL_CHAIN_INSERTED:
        snprintf(buf, size, "%s row %lld (recorded %s) is not in the chain: it was inserted, "
                 "or the chain was reordered", b->table, (long long)b->row_id,
                 *when ? when : "at an unknown time");
        break;
    default:
        if (!b->table[0])
            snprintf(buf, size, "%s names no chained table (code %d): the chain was changed",
                     pos, b->table_code);
        else
            snprintf(buf, size, "%s row %lld (%s%s%s) does not match its chain entry: the row or the entry was changed",
                     b->table, (long long)b->row_id, pos, *when ? ", recorded " : "", when);
        break;
    }
    return buf;
}

static int kind_from_name(const char *s)
{
    for (int i = 0; s && i < 4; i++) {
        if (strcmp(s, kind_names[i]) == 0)
            return i;
    }
    return -1;
}

static int ack_cmp(const void *a, const void *b)
{
    const sl__chain_ack *x = a, *y = b;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    if (x->tbl != y->tbl)
        return x->tbl < y->tbl ? -1 : 1;
    if (x->first != y->first)
        return x->first < y->first ? -1 : 1;
    return 0;
}

static sl_rc load_acks(sl_store *st, sl__chain_walk *w, sl_error *err)
{
    sqlite3_stmt *s = NULL;
    int step;
    sl_rc rc = sl__stmt(st, "SELECT kind, tbl, first, last, at FROM chain_breaks ORDER BY id",
                        &s, err);
    if (rc != SL_OK)
        return rc;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        sl__chain_ack a;
        a.kind = kind_from_name((const char *)sqlite3_column_text(s, 0));
        if (a.kind < 0)
            continue;   /* the schema's CHECK admits no other; a changed row is a break */
        a.tbl = sqlite3_column_int(s, 1);
        a.first = sqlite3_column_int64(s, 2);
        a.last = sqlite3_column_int64(s, 3);
        a.at = sqlite3_column_int64(s, 4);
        if (w->nacks == CHAIN_ACKS_MAX) {
            rc = sl__err(err, SL_ETOOBIG, "cannot verify the hash chain: more than %d "
                         "acknowledged breaks", CHAIN_ACKS_MAX);
            break;
        }
        if (w->nacks == w->capacks) {
            size_t n = w->capacks ? w->capacks * 2 : 16;
            sl__chain_ack *p = realloc(w->acks, n * sizeof *p);
            if (!p) {
                rc = sl__err(err, SL_ENOMEM, "out of memory");
                break;
            }
            w->acks = p;
            w->capacks = n;
        }
        w->acks[w->nacks++] = a;
    }
    if (rc == SL_OK && step != SQLITE_DONE)
        rc = sl__db_err(st, err, "cannot read the acknowledged breaks");
    sqlite3_reset(s);
    if (rc == SL_OK && w->nacks > 1)
        qsort(w->acks, w->nacks, sizeof *w->acks, ack_cmp);
    return rc;
}

/* The acknowledgement covering b, or NULL. */
static const sl__chain_ack *find_ack(const sl__chain_walk *w, const sl_chain_break *b)
{
    int tbl = b->kind == SL_CHAIN_MISSING ? 0 : b->table_code;
    int64_t first = b->kind == SL_CHAIN_MISSING ? b->position : b->row_id;
    int64_t last = b->kind == SL_CHAIN_MISSING ? b->last_position : b->row_id;
    /* the last range of this kind and table starting at or before first */
    size_t lo = 0, hi = w->nacks;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const sl__chain_ack *a = &w->acks[mid];
        int before = a->kind < (int)b->kind ||
                     (a->kind == (int)b->kind &&
                      (a->tbl < tbl || (a->tbl == tbl && a->first <= first)));
        if (before)
            lo = mid + 1;
        else
            hi = mid;
    }
    /* ranges may overlap (two acknowledgements of one row cannot happen,
     * but a changed row can be acknowledged again): look back a little */
    for (size_t i = lo; i > 0 && lo - i < 64; i--) {
        const sl__chain_ack *a = &w->acks[i - 1];
        if (a->kind != (int)b->kind || a->tbl != tbl)
            break;
        if (a->first <= first && last <= a->last)
            return a;
    }
    return NULL;
}

/* Remember an unacknowledged break as a range to record, merged with the
 * previous one of its kind and table when they touch. */
static sl_rc collect(sl__chain_walk *w, const sl_chain_break *b, sl_error *err)
{
    int tbl = b->kind == SL_CHAIN_MISSING ? 0 : b->table_code;
    int64_t first = b->kind == SL_CHAIN_MISSING ? b->position : b->row_id;
    int64_t last = b->kind == SL_CHAIN_MISSING ? b->last_position : b->row_id;
    int slot = tbl >= 0 && tbl <= SL__CHAIN_TABLES ? tbl : SL__CHAIN_TABLES + 1;
    size_t *lastidx = &w->found_last[b->kind][slot];
    if (*lastidx) {
        sl__chain_ack *a = &w->found[*lastidx - 1];
        if (a->tbl == tbl && a->last + 1 == first) {
            a->last = last;
            return SL_OK;
        }
    }
    if (w->nfound == CHAIN_ACKS_MAX)
        return sl__err(err, SL_ETOOBIG, "cannot acknowledge the breaks: more than %d separate "
                       "breaks", CHAIN_ACKS_MAX);
    if (w->nfound == w->capfound) {
        size_t n = w->capfound ? w->capfound * 2 : 16;
        sl__chain_ack *p = realloc(w->found, n * sizeof *p);
        if (!p)
            return sl__err(err, SL_ENOMEM, "out of memory");
        w->found = p;
        w->capfound = n;
    }
    w->found[w->nfound] = (sl__chain_ack){(int)b->kind, tbl, first, last, 0};
    *lastidx = ++w->nfound;
    return SL_OK;
}

/* A break found: acknowledged or not, counted, listed, collected; non-zero
 * (SL_ETAMPERED or an error in *rc) when the walk must stop. */
static void name_table(sl_chain_break *b, int code);

static int on_break(sl__chain_walk *w, sl_chain_break *b, sl_rc *rc, sl_error *err)
{
    const sl__chain_ack *a = find_ack(w, b);
    if (b->kind != SL_CHAIN_MISSING && !b->table[0])
        name_table(b, b->table_code);
    sl_chain_verdict *v = w->verdict;
    b->acknowledged = a != NULL;
    b->acknowledged_at_ms = a ? a->at : 0;
    if (v) {
        v->breaks++;
        if (v->nlisted < SL_CHAIN_BREAKS_LISTED)
            v->listed[v->nlisted++] = *b;
        if (!a && v->unacknowledged++ == 0)
            v->first_unacknowledged = *b;
    }
    if (a)
        return 0;
    if (w->collect) {
        *rc = collect(w, b, err);
        return *rc != SL_OK;
    }
    if (w->stop_on_break) {
        char text[256];
        *rc = sl__err(err, SL_ETAMPERED,
                      "the ledger's hash chain is broken: %s; 'seatledger ledger verify' lists "
                      "every break and 'seatledger ledger verify --accept-break' acknowledges them",
                      sl_chain_break_describe(b, text, sizeof text));
        return 1;
    }
    return 0;
}

static void name_table(sl_chain_break *b, int code)
{
    const sl__chain_table *t = sl__chain_table_by_code(code);
    b->table_code = code;
    snprintf(b->table, sizeof b->table, "%s", t ? t->name : "");
}

/* ---- the walk ------------------------------------------------------------ */

void sl__chain_walk_free(sl__chain_walk *w)
{
    if (!w)
        return;
    free(w->acks);
    free(w->found);
    for (int i = 0; i < SL__CHAIN_TABLES; i++) {
        if (w->cur[i].s)
            sqlite3_reset(w->cur[i].s);
    }
    memset(w, 0, sizeof *w);
}

static int advance(sl__chain_walk *w, int i)
{
    int step = sqlite3_step(w->cur[i].s);
    w->cur[i].has_row = step == SQLITE_ROW;
    if (w->cur[i].has_row)
        w->cur[i].id = sqlite3_column_int64(w->cur[i].s, 0);
    return step == SQLITE_ROW || step == SQLITE_DONE ? 0 : -1;
}

/* Rows of table i before `below` that no entry named: inserted. */
static int skip_inserted(sl__chain_walk *w, int i, int64_t below, sl_rc *rc, sl_error *err)
{
    const sl__chain_table *t = &sl__chain_tables[i];
    while (w->cur[i].s && w->cur[i].has_row && w->cur[i].id < below) {
        sl_chain_break b = {SL_CHAIN_INSERTED, 0, 0, "", 0, w->cur[i].id,
                            sqlite3_column_int64(w->cur[i].s, 1 + t->time_col), 0, 0};
        name_table(&b, t->code);
        if (on_break(w, &b, rc, err))
            return 1;
        if (advance(w, i) != 0) {
            *rc = sl__db_err(w->st, err, "cannot read the ledger");
            return 1;
        }
    }
    return 0;
}

/* One chain entry.  Non-zero when the walk stops (*rc says why). */
static int entry(sl__chain_walk *w, int64_t pos, int code, int64_t row_id, int64_t at,
                 const void *stored, int stored_len, sl_rc *rc, sl_error *err)
{
    const sl__chain_table *t = sl__chain_table_by_code(code);
    unsigned char digest[SL__CHAIN_HASH_LEN], hash[SL__CHAIN_HASH_LEN];
    sqlite3_stmt *s = NULL;
    int stored_ok = stored && stored_len == SL__CHAIN_HASH_LEN, ok, linked, restart = w->restart;
    int has_alt = w->has_alt;
    unsigned char alt[SL__CHAIN_HASH_LEN];
    int64_t row_at;
    /* (the table's name is written in when it is a break: on_break) */
    sl_chain_break b = {SL_CHAIN_CHANGED, pos, pos, "", code, row_id, at, 0, 0};
    w->restart = 0;
    w->has_alt = 0;
    if (has_alt)
        memcpy(alt, w->alt, sizeof alt);
    if (!t) {
        /* an entry naming no chained table */
        if (w->on_entry && w->on_entry(w->ud, pos, code, row_id, at, NULL, stored_ok ? stored : NULL))
            goto stopped;
        goto broken;
    }
    if (skip_inserted(w, code - 1, row_id, rc, err))
        return 1;
    if (w->cur[code - 1].s && w->cur[code - 1].has_row && w->cur[code - 1].id == row_id)
        s = w->cur[code - 1].s;
    if (!s) {
        b.kind = SL_CHAIN_DELETED;
        if (w->on_entry && w->on_entry(w->ud, pos, code, row_id, at, NULL, stored_ok ? stored : NULL))
            goto stopped;
        goto broken;
    }
    row_at = sqlite3_column_int64(s, 1 + t->time_col);
    if (sl__chain_digest_stmt(w->digest, s, 1, t->ncols, digest) != 0 ||
        sl__chain_link(w->digest->ctx, w->prev, code, row_id, row_at, digest, hash) != 0) {
        *rc = sl__err(err, SL_EINTERNAL, "cannot verify the hash chain: SHA-256 failed");
        return 1;
    }
    if (advance(w, code - 1) != 0) {
        *rc = sl__db_err(w->st, err, "cannot read the ledger");
        return 1;
    }
    /* after a gap the link cannot be checked: the entry's stored hash is
     * taken as it is (the gap is the break) */
    linked = !restart && stored_ok && memcmp(hash, stored, sizeof hash) == 0;
    ok = row_at == at && (restart ? stored_ok : linked);
    /* the entry before did not match: if this one links onto the hash its
     * row gave, it was that entry's stored hash that changed (one break,
     * reported there), not this row */
    if (!ok && has_alt && !restart) {
        if (sl__chain_link(w->digest->ctx, alt, code, row_id, row_at, digest, alt) != 0) {
            *rc = sl__err(err, SL_EINTERNAL, "cannot verify the hash chain: SHA-256 failed");
            return 1;
        }
        ok = stored_ok && row_at == at && memcmp(alt, stored, sizeof alt) == 0;
        /* the row's own hash on the chain its rows give */
        memcpy(hash, alt, sizeof hash);
    }
    b.at_ms = row_at;
    if (w->on_entry && w->on_entry(w->ud, pos, code, row_id, row_at, digest,
                                   linked && ok ? NULL : (stored_ok ? stored : hash)))
        goto stopped;
    if (ok) {
        memcpy(w->prev, stored, sizeof w->prev);
        return 0;
    }
    /* continue from the stored hash, so one changed row is one break; keep
     * the row's own hash in case the stored one is what changed */
    memcpy(w->prev, stored_ok ? stored : hash, sizeof w->prev);
    memcpy(w->alt, hash, sizeof w->alt);
    w->has_alt = 1;
    return on_break(w, &b, rc, err);
broken:
    if (stored_ok)
        memcpy(w->prev, stored, sizeof w->prev);
    else
        w->restart = 1;
    return on_break(w, &b, rc, err);
stopped:
    *rc = SL_OK;
    w->stopped = 1;
    return 1;
}

static sl_rc walk_init(sl_store *st, sl__chain_walk *w, int acks, sl_error *err)
{
    sl_rc rc;
    memset(w, 0, sizeof *w);
    w->st = st;
    rc = digest_ctx(st, &w->digest, err);
    if (rc == SL_OK && acks)
        rc = load_acks(st, w, err);
    return rc;
}

sl_rc sl__chain_walk_begin(sl_store *st, sl__chain_walk *w, sl_error *err)
{
    return walk_init(st, w, 1, err);
}

sl_rc sl__chain_walk_range(sl__chain_walk *w, int64_t from, int64_t to, sl_error *err)
{
    sqlite3_stmt *s = NULL;
    int step, first = 1;
    int64_t expected = from;
    sl_rc rc = chain_stmt(w->st, STMT_RANGE,
                          "SELECT position, tbl, row_id, at, hash FROM chain "
                          "WHERE position BETWEEN ?1 AND ?2 ORDER BY position", &s, err);
    if (rc != SL_OK)
        return rc;
    memset(w->prev, 0, sizeof w->prev);
    w->restart = 0;
    w->has_alt = 0;
    /* each table read in id order beside the chain: the whole table, or for
     * a slice from the first row an entry of the slice names (a first pass
     * over the slice's entries finds it) */
    if (w->slice) {
        int64_t first_id[SL__CHAIN_TABLES];
        for (int i = 0; i < SL__CHAIN_TABLES; i++)
            first_id[i] = INT64_MAX;
        sqlite3_bind_int64(s, 1, from);
        sqlite3_bind_int64(s, 2, to);
        while ((step = sqlite3_step(s)) == SQLITE_ROW) {
            int code = sqlite3_column_int(s, 1);
            int64_t id = sqlite3_column_int64(s, 2);
            if (code >= 1 && code <= SL__CHAIN_TABLES && id < first_id[code - 1])
                first_id[code - 1] = id;
        }
        sqlite3_reset(s);
        if (step != SQLITE_DONE)
            return sl__db_err(w->st, err, "cannot read the hash chain");
        for (int i = 0; i < SL__CHAIN_TABLES; i++) {
            w->cur[i].s = NULL;
            w->cur[i].has_row = 0;
            if (first_id[i] == INT64_MAX)
                continue;
            rc = chain_stmt(w->st, STMT_AFTER + i, sl__chain_tables[i].select_after,
                            &w->cur[i].s, err);
            if (rc != SL_OK)
                return rc;
            sqlite3_bind_int64(w->cur[i].s, 1, first_id[i] - 1);
            if (advance(w, i) != 0)
                return sl__db_err(w->st, err, "cannot read the ledger");
        }
    } else {
        for (int i = 0; i < SL__CHAIN_TABLES; i++) {
            rc = chain_stmt(w->st, STMT_ALL + i, sl__chain_tables[i].select_all, &w->cur[i].s,
                            err);
            if (rc != SL_OK)
                return rc;
            if (advance(w, i) != 0)
                return sl__db_err(w->st, err, "cannot read the ledger");
        }
    }
    /* the entry before `from` gives the previous hash */
    sqlite3_bind_int64(s, 1, from > 1 ? from - 1 : from);
    sqlite3_bind_int64(s, 2, to);
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        int64_t pos = sqlite3_column_int64(s, 0);
        const void *stored = sqlite3_column_blob(s, 4);
        int len = sqlite3_column_bytes(s, 4);
        if (first && from > 1) {
            first = 0;
            if (pos == from - 1) {
                if (len == SL__CHAIN_HASH_LEN)
                    memcpy(w->prev, stored, sizeof w->prev);
                else
                    w->restart = 1;
                continue;
            }
            /* the entry before is gone: the walk that covers it says so */
            w->restart = 1;
        }
        first = 0;
        if (pos > expected) {
            sl_chain_break b = {SL_CHAIN_MISSING, expected, pos - 1, "", 0, 0, 0, 0, 0};
            w->restart = 1;
            if (w->on_missing && w->on_missing(w->ud, expected, pos - 1)) {
                w->stopped = 1;
                break;
            }
            if (on_break(w, &b, &rc, err))
                break;
        }
        if (entry(w, pos, sqlite3_column_int(s, 1), sqlite3_column_int64(s, 2),
                  sqlite3_column_int64(s, 3), stored, len, &rc, err))
            break;
        expected = pos + 1;
        w->head_position = pos;
        memcpy(w->head_hash, w->prev, sizeof w->head_hash);
    }
    if (rc == SL_OK && !w->stopped && step != SQLITE_ROW && step != SQLITE_DONE)
        rc = sl__db_err(w->st, err, "cannot read the hash chain");
    sqlite3_reset(s);
    /* rows after the last entry of each table that no entry named */
    if (rc == SL_OK && !w->stopped && !w->slice && step == SQLITE_DONE) {
        for (int i = 0; i < SL__CHAIN_TABLES; i++) {
            if (skip_inserted(w, i, INT64_MAX, &rc, err))
                break;
        }
    }
    /* (a statement left on a row keeps its read transaction open) */
    for (int i = 0; i < SL__CHAIN_TABLES; i++) {
        if (w->cur[i].s)
            sqlite3_reset(w->cur[i].s);
        w->cur[i].s = NULL;
        w->cur[i].has_row = 0;
    }
    return rc;
}

/* ---- the head ---------------------------------------------------------------- */

sl_rc sl__chain_head(sl_store *st, int64_t *position, unsigned char hash[SL__CHAIN_HASH_LEN],
                     sl_error *err)
{
    sqlite3_stmt *s = NULL;
    int step;
    sl_rc rc = sl__stmt(st, "SELECT position, hash FROM chain ORDER BY position DESC LIMIT 1",
                        &s, err);
    if (rc != SL_OK)
        return rc;
    *position = 0;
    memset(hash, 0, SL__CHAIN_HASH_LEN);
    step = sqlite3_step(s);
    if (step == SQLITE_ROW) {
        *position = sqlite3_column_int64(s, 0);
        if (sqlite3_column_bytes(s, 1) == SL__CHAIN_HASH_LEN)
            memcpy(hash, sqlite3_column_blob(s, 1), SL__CHAIN_HASH_LEN);
    } else if (step != SQLITE_DONE) {
        rc = sl__db_err(st, err, "cannot read the hash chain");
    }
    sqlite3_reset(s);
    return rc;
}

/* What the check of a write reads, in one statement (a write pays for one
 * prepared statement, not nineteen): the head's position and hash, where
 * the rolling re-verification stands, and each table's newest id with its
 * newest chained id, in the order of sl__chain_tables. */
#define TAIL(name, code)                                                            \
    "(SELECT coalesce(max(id), 0) FROM " name "), "                                 \
    "(SELECT coalesce(max(row_id), 0) FROM chain WHERE tbl = " #code ")"
static const char state_sql[] =
    "SELECT (SELECT position FROM chain ORDER BY position DESC LIMIT 1), "
    "(SELECT hash FROM chain ORDER BY position DESC LIMIT 1), "
    "(SELECT recheck_position FROM chain_state WHERE id = 1), "
    TAIL("audit_log", 1) ", " TAIL("snapshots", 2) ", " TAIL("add_on_snapshots", 3)
    ", " TAIL("seat_history", 4) ", " TAIL("license_events", 5) ", " TAIL("clock_events", 6)
    ", " TAIL("key_fingerprints", 7) ", " TAIL("chain_breaks", 8);
#define STATE_TAILS 3   /* the first tail column */

typedef struct chain_state {
    int64_t head, recheck;
    unsigned char hash[SL__CHAIN_HASH_LEN];
    int64_t table_max[SL__CHAIN_TABLES], chained_max[SL__CHAIN_TABLES];
} chain_state;

static sl_rc read_state(sl_store *st, chain_state *cs, sl_error *err)
{
    sqlite3_stmt *s = NULL;
    sl_rc rc = sl__stmt(st, state_sql, &s, err);
    if (rc != SL_OK)
        return rc;
    memset(cs, 0, sizeof *cs);
    if (sqlite3_step(s) == SQLITE_ROW) {
        cs->head = sqlite3_column_int64(s, 0);
        if (sqlite3_column_bytes(s, 1) == SL__CHAIN_HASH_LEN)
            memcpy(cs->hash, sqlite3_column_blob(s, 1), SL__CHAIN_HASH_LEN);
        cs->recheck = sqlite3_column_int64(s, 2);
        for (int i = 0; i < SL__CHAIN_TABLES; i++) {
            cs->table_max[i] = sqlite3_column_int64(s, STATE_TAILS + 2 * i);
            cs->chained_max[i] = sqlite3_column_int64(s, STATE_TAILS + 2 * i + 1);
        }
    } else {
        rc = sl__db_err(st, err, "cannot read the hash chain");
    }
    sqlite3_reset(s);
    return rc;
}

/* Each table's newest row against its newest chained one: rows appended
 * outside the chain are inserted, a newest chained row that is gone is
 * deleted.  The ids the event's appends get follow from them. */
static sl_rc check_tails(sl__chain_walk *w, const chain_state *cs, sl_error *err)
{
    sl_store *st = w->st;
    const int64_t *table_max = cs->table_max, *chained_max = cs->chained_max;
    sqlite3_stmt *s = NULL;
    sl_rc rc = SL_OK;
    for (int i = 0; i < SL__CHAIN_TABLES && rc == SL_OK; i++) {
        const sl__chain_table *t = &sl__chain_tables[i];
        if (table_max[i] > chained_max[i]) {
            /* each row after the newest chained one is inserted */
            sl_chain_break b = {SL_CHAIN_INSERTED, 0, 0, "", 0, 0, 0, 0, 0};
            rc = chain_stmt(st, STMT_ONE + i, t->select_one, &s, err);
            if (rc != SL_OK)
                break;
            for (int64_t id = chained_max[i] + 1; id <= table_max[i] && rc == SL_OK; id++) {
                sqlite3_reset(s);
                sqlite3_bind_int64(s, 1, id);
                if (sqlite3_step(s) != SQLITE_ROW)
                    continue;
                b.row_id = id;
                b.at_ms = sqlite3_column_int64(s, 1 + t->time_col);
                name_table(&b, t->code);
                sqlite3_reset(s);
                if (on_break(w, &b, &rc, err))
                    return rc;
                /* one acknowledged row does not vouch for the next: look at
                 * each, but a ledger grown far outside the chain is broken
                 * enough at its first unacknowledged row */
                if (id - chained_max[i] > SL_CHAIN_RECHECK_ROWS)
                    break;
            }
            sqlite3_reset(s);
        } else if (table_max[i] < chained_max[i]) {
            sl_chain_break b = {SL_CHAIN_DELETED, 0, 0, "", 0, chained_max[i], 0, 0, 0};
            rc = sl__stmt(st, "SELECT position, at FROM chain WHERE tbl = ?1 AND row_id = ?2",
                          &s, err);
            if (rc != SL_OK)
                break;
            sqlite3_bind_int(s, 1, t->code);
            sqlite3_bind_int64(s, 2, chained_max[i]);
            if (sqlite3_step(s) == SQLITE_ROW) {
                b.position = b.last_position = sqlite3_column_int64(s, 0);
                b.at_ms = sqlite3_column_int64(s, 1);
            }
            sqlite3_reset(s);
            name_table(&b, t->code);
            if (on_break(w, &b, &rc, err))
                return rc;
        }
    }
    return rc;
}

/* The next slice of the rolling re-verification, from where the last
 * write left it (wrapping round at the head). */
static sl_rc recheck_slice(sl__chain_walk *w, int64_t head, int64_t from, sl_error *err)
{
    sl_store *st = w->st;
    sqlite3_stmt *s = NULL;
    int64_t to;
    sl_rc rc;
    if (from < 1 || from > head)
        from = 1;
    to = from + SL_CHAIN_RECHECK_ROWS - 1 < head ? from + SL_CHAIN_RECHECK_ROWS - 1 : head;
    rc = sl__chain_walk_range(w, from, to, err);
    if (rc != SL_OK)
        return rc;
    rc = sl__stmt(st, "UPDATE chain_state SET recheck_position = ?1 WHERE id = 1", &s, err);
    if (rc != SL_OK)
        return rc;
    sqlite3_bind_int64(s, 1, to >= head ? 1 : to + 1);
    if (sqlite3_step(s) != SQLITE_DONE)
        rc = sl__db_err(st, err, "cannot record the chain's re-verification");
    sqlite3_reset(s);
    return rc;
}

sl_rc sl__chain_check(sl_store *st, sl_error *err)
{
    sl_event *ev = &st->event;
    sl__chain_walk w;
    chain_state cs;
    /* an acknowledgement is appended onto the chain as it is */
    int judge = !(ev->flags & SL__EVENT_CHAIN_ANY);
    sl_rc rc;
    if (st->chain_off || ev->chain_ready)
        return SL_OK;
    rc = read_state(st, &cs, err);
    if (rc != SL_OK)
        return rc;
    /* acknowledged breaks are read only when there are any */
    rc = walk_init(st, &w, cs.table_max[SL__CHAIN_BREAKS_CODE - 1] > 0, err);
    w.slice = 1;
    w.stop_on_break = judge;
    /* the head's own link */
    if (rc == SL_OK && judge && cs.head > 0)
        rc = sl__chain_walk_range(&w, cs.head, cs.head, err);
    /* each table's newest row */
    if (rc == SL_OK && judge)
        rc = check_tails(&w, &cs, err);
    if (rc == SL_OK && judge && cs.head > 0)
        rc = recheck_slice(&w, cs.head, cs.recheck, err);
    sl__chain_walk_free(&w);
    if (rc != SL_OK)
        return rc;
    /* the ids of this event's rows: never one the chain has named */
    for (int i = 0; i < SL__CHAIN_TABLES; i++)
        ev->next_id[i] = (cs.table_max[i] > cs.chained_max[i] ? cs.table_max[i]
                                                              : cs.chained_max[i]) + 1;
    ev->chain_ready = 1;
    ev->chain_position = cs.head;
    memcpy(ev->chain_hash, cs.hash, sizeof ev->chain_hash);
    return SL_OK;
}

/* Tables appended through the funnel that are not chained, because their
 * rows change later (a license is deleted, a token revoked, a key
 * untrusted); what happens to them is chained through the audit log and
 * license_events. */
static const char *const unchained[] = {"licenses", "api_tokens", "trusted_keys"};

sl_rc sl__chain_table_of(const char *sql, const sl__chain_table **out, sl_error *err)
{
    static const char insert[] = "INSERT INTO ";
    const char *name, *end;
    *out = NULL;
    if (strncmp(sql, insert, sizeof insert - 1) != 0)
        return sl__err(err, SL_EINTERNAL, "cannot append '%.40s': not an INSERT", sql);
    name = sql + sizeof insert - 1;
    end = name + strcspn(name, "( ");
    *out = sl__chain_table_by_name(name, (int)(end - name));
    if (*out)
        return SL_OK;
    for (size_t i = 0; i < sizeof unchained / sizeof unchained[0]; i++) {
        if (strlen(unchained[i]) == (size_t)(end - name) &&
            memcmp(unchained[i], name, (size_t)(end - name)) == 0)
            return SL_OK;
    }
    return sl__err(err, SL_EINTERNAL, "cannot append to '%.*s': the table is neither chained "
                   "nor known to be unchained", (int)(end - name), name);
}

sl_rc sl__chain_next_id(sl_store *st, const sl__chain_table *t, int64_t *out, sl_error *err)
{
    sl_rc rc = sl__chain_check(st, err);
    if (rc != SL_OK)
        return rc;
    /* room for a multi-row INSERT's rows */
    if (st->event.next_id[t->code - 1] > INT64_MAX / 2)
        return sl__err(err, SL_ESTORAGE, "cannot append to '%s': its ids are used up", t->name);
    *out = st->event.next_id[t->code - 1];
    return SL_OK;
}

sl_rc sl__chain_append(sl_store *st, const sl__chain_table *t, int64_t after_id, sl_error *err)
{
    sl_event *ev = &st->event;
    sqlite3_stmt *s = NULL, *ins = NULL;
    sl__chain_digest *d = NULL;
    int step;
    sl_rc rc;
    if (st->chain_off)
        return SL_OK;
    rc = sl__chain_check(st, err);
    if (rc == SL_OK)
        rc = digest_ctx(st, &d, err);
    if (rc == SL_OK)
        rc = chain_stmt(st, STMT_AFTER + t->code - 1, t->select_after, &s, err);
    if (rc != SL_OK)
        return rc;
    sqlite3_bind_int64(s, 1, after_id);
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        unsigned char digest[SL__CHAIN_HASH_LEN], hash[SL__CHAIN_HASH_LEN];
        int64_t id = sqlite3_column_int64(s, 0), at = sqlite3_column_int64(s, 1 + t->time_col);
        if (sl__chain_digest_stmt(d, s, 1, t->ncols, digest) != 0 ||
            sl__chain_link(d->ctx, ev->chain_hash, t->code, id, at, digest, hash) != 0) {
            rc = sl__err(err, SL_EINTERNAL, "cannot chain the appended row: SHA-256 failed");
            break;
        }
        rc = sl__stmt(st, "INSERT INTO chain(position, tbl, row_id, at, hash) "
                          "VALUES (?1, ?2, ?3, ?4, ?5)", &ins, err);
        if (rc != SL_OK)
            break;
        sqlite3_bind_int64(ins, 1, ev->chain_position + 1);
        sqlite3_bind_int(ins, 2, t->code);
        sqlite3_bind_int64(ins, 3, id);
        sqlite3_bind_int64(ins, 4, at);
        sqlite3_bind_blob(ins, 5, hash, sizeof hash, SQLITE_STATIC);
        if (sqlite3_step(ins) != SQLITE_DONE)
            rc = sl__db_err(st, err, "cannot chain the appended row");
        sqlite3_reset(ins);
        if (rc != SL_OK)
            break;
        ev->chain_position++;
        memcpy(ev->chain_hash, hash, sizeof hash);
        if (id >= ev->next_id[t->code - 1])
            ev->next_id[t->code - 1] = id + 1;
    }
    if (rc == SL_OK && step != SQLITE_DONE)
        rc = sl__db_err(st, err, "cannot chain the appended row");
    sqlite3_reset(s);
    return rc;
}
