/*
 * ledger/events.c - the one way into the ledger's record.  Every change is
 * an event inside one write transaction, with one time read once from the
 * clock and checked against the ledger's latest (ledger/today.c): never
 * before it, and never more than SL_CLOCK_AHEAD_MAX_DAYS after it unless
 * the admin confirmed the clock.  Every row appended to an append-only
 * table - snapshots, licenses, tokens, trusted keys, key fingerprints, clock
 * events, license events, add-on snapshots, the seat history, acknowledged
 * chain breaks and the audit log - goes through sl__event_append(), which
 * checks the hash chain before the first append of an event and chains
 * every appended row of a chained table (chain.c).  Also here: the audited
 * clock confirmation and recovery, and reading them back for the history.
 */
#include "ledger/ledger_internal.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define MS_PER_DAY 86400000LL
#define CLOCK_AHEAD_MAX_MS ((int64_t)SL_CLOCK_AHEAD_MAX_DAYS * MS_PER_DAY)
/* "latest event at 2026-11-22T12:00:00.000Z, clock at ..., 4,000 days ahead, source=scheduler" */
#define CLOCK_DETAIL_MAX 192

sl_rc sl__event_begin(sl_store *st, int flags, sl_error *err)
{
    sl_event *ev = &st->event;
    char a[32], b[32], n[32];
    int found;
    int64_t latest, now;
    sl_rc rc;
    assert(st->in_txn && !ev->active);
    /* read the clock only under the write lock, so an event that waited for
     * another one is not "earlier" than the event it waited for */
    now = sl_clock_now_ms();
    rc = sl__ledger_latest(st, 0, &found, &latest, err);
    if (rc != SL_OK)
        return rc;
    if (found && now < latest && !(flags & SL__EVENT_RECOVER))
        return sl__err(err, SL_ECLOCK,
                       "clock is behind the ledger: now is %s, the ledger's latest event was "
                       "recorded at %s",
                       sl_time_format_rfc3339(now, a, sizeof a),
                       sl_time_format_rfc3339(latest, b, sizeof b));
    if (found && now - latest > CLOCK_AHEAD_MAX_MS && !(flags & SL__EVENT_CONFIRMED))
        return sl__err(err, SL_ECLOCK,
                       "clock is %s days ahead of the ledger's latest event (now is %s, the "
                       "latest event was recorded at %s), more than the %d days allowed: if "
                       "the clock is right, confirm it with 'seatledger clock confirm'",
                       sl_format_count((now - latest) / MS_PER_DAY, n, sizeof n),
                       sl_time_format_rfc3339(now, a, sizeof a),
                       sl_time_format_rfc3339(latest, b, sizeof b), SL_CLOCK_AHEAD_MAX_DAYS);
    memset(ev, 0, sizeof *ev);
    ev->active = 1;
    ev->at_ms = now;
    ev->has_latest = found;
    ev->latest_ms = found ? latest : 0;
    ev->flags = flags;
    return SL_OK;
}

int64_t sl__event_at(const sl_store *st)
{
    return st->event.active ? st->event.at_ms : 0;
}

sl_rc sl__event_append(sl_store *st, const char *sql, const sl__value *vals, int nvals,
                       const char *what, int64_t *out_rowid, sl_error *err)
{
    const sl__chain_table *chained;
    sqlite3_stmt *s;
    int64_t id = 0;
    int ids = 0;
    sl_rc rc;
    /* an append outside an event would escape the clock check */
    if (!st->in_txn || !st->event.active)
        return sl__err(err, SL_EINTERNAL, "%s: no event is being recorded", what);
    for (int i = 0; i < nvals; i++)
        ids += vals[i].type == SL__V_ID;
    /* nothing is appended onto a broken chain (chain.c); the rows this
     * INSERT adds are numbered from an id the chain never named */
    rc = sl__chain_table_of(sql, &chained, err);
    if (rc == SL_OK && (chained ? ids != 1 : ids != 0))
        rc = sl__err(err, SL_EINTERNAL, "%s: an append to a chained table binds one SL__ID, "
                     "any other none", what);
    /* (the benchmarks' anchor without the chain lets SQLite number the rows,
     * as before the chain) */
    if (rc == SL_OK && chained && !st->chain_off)
        rc = sl__chain_next_id(st, chained, &id, err);
    if (rc != SL_OK)
        return rc;
    rc = sl__stmt(st, sql, &s, err);
    if (rc != SL_OK)
        return rc;
    for (int i = 0; i < nvals; i++) {
        const sl__value *v = &vals[i];
        switch (v->type) {
        case SL__V_AT:
            sqlite3_bind_int64(s, i + 1, st->event.at_ms);
            break;
        case SL__V_ID:
            if (st->chain_off)
                sqlite3_bind_null(s, i + 1);
            else
                sqlite3_bind_int64(s, i + 1, id);
            break;
        case SL__V_INT:
            sqlite3_bind_int64(s, i + 1, v->i);
            break;
        case SL__V_TEXT:
            sqlite3_bind_text(s, i + 1, v->s, v->len, SQLITE_TRANSIENT);
            break;
        case SL__V_NULL:
            sqlite3_bind_null(s, i + 1);
            break;
        }
    }
    if (sqlite3_step(s) != SQLITE_DONE)
        rc = sl__db_err(st, err, what);
    else if (out_rowid)
        *out_rowid = sqlite3_last_insert_rowid(st->db);
    sqlite3_reset(s);
    if (rc == SL_OK && chained && !st->chain_off)
        rc = sl__chain_append(st, chained, id - 1, err);
    return rc;
}

static sl_rc audit_line(sl_store *st, const char *action, int64_t license_id,
                        const char *outcome, const char *detail, sl_error *err)
{
    const sl__value v[] = {
        SL__ID, SL__AT, SL__TEXT(action), license_id > 0 ? SL__INT(license_id) : SL__NULL,
        SL__TEXT(outcome), SL__TEXT(detail),
    };
    return sl__event_append(st,
        "INSERT INTO audit_log(id, at, action, license_id, outcome, detail) VALUES (?,?,?,?,?,?)",
        v, (int)(sizeof v / sizeof v[0]), "cannot write the audit log", NULL, err);
}

sl_rc sl__audit(sl_store *st, const char *action, int64_t license_id,
                const char *outcome, const char *detail, sl_error *err)
{
    sl_rc rc;
    if (st->in_txn)
        return audit_line(st, action, license_id, outcome, detail, err);
    rc = sl__begin(st, err);
    if (rc != SL_OK)
        return rc;
    rc = sl__event_begin(st, 0, err);
    if (rc == SL_OK)
        rc = audit_line(st, action, license_id, outcome, detail, err);
    if (rc != SL_OK) {
        sl__rollback(st);
        return rc;
    }
    return sl__commit(st, err);
}

sl_rc sl__change_one(sl_store *st, sqlite3_stmt *s, const char *action, int64_t license_id,
                     const char *detail, const char *notfound, sl_error *err)
{
    sl_rc rc = sl__begin(st, err);
    if (rc != SL_OK) {
        sqlite3_reset(s);
        return rc;
    }
    rc = sl__event_begin(st, 0, err);
    if (rc != SL_OK)
        goto fail;
    if (sqlite3_step(s) != SQLITE_DONE) {
        rc = sl__db_err(st, err, action);
        goto fail;
    }
    if (sqlite3_changes(st->db) == 0) {
        rc = sl__err(err, SL_ENOTFOUND, "%s", notfound);
        goto fail;
    }
    sqlite3_reset(s);
    rc = audit_line(st, action, license_id, "ok", detail, err);
    if (rc != SL_OK)
        goto fail;
    return sl__commit(st, err);
fail:
    sqlite3_reset(s);
    sl__rollback(st);
    return rc;
}

/* ---- clock confirmation and recovery ------------------------------------ */

/* The newest id of `sql`'s table (a literal "SELECT coalesce(max(id), 0) FROM t"). */
static sl_rc max_id(sl_store *st, const char *sql, int64_t *out, sl_error *err)
{
    sqlite3_stmt *s;
    sl_rc rc = sl__stmt(st, sql, &s, err);
    if (rc != SL_OK)
        return rc;
    if (sqlite3_step(s) == SQLITE_ROW)
        *out = sqlite3_column_int64(s, 0);
    else
        rc = sl__db_err(st, err, "cannot read the ledger");
    sqlite3_reset(s);
    return rc;
}

/* Append the clock event `kind` of the current event and its audit line. */
static sl_rc record_clock_event(sl_store *st, const char *kind, sl_source source, sl_error *err)
{
    int64_t ids[5] = {0};
    static const char *const tables[5] = {
        "SELECT coalesce(max(id), 0) FROM audit_log",
        "SELECT coalesce(max(id), 0) FROM snapshots",
        "SELECT coalesce(max(id), 0) FROM licenses",
        "SELECT coalesce(max(id), 0) FROM api_tokens",
        "SELECT coalesce(max(id), 0) FROM trusted_keys",
    };
    const sl_event *ev = &st->event;
    char action[32], detail[CLOCK_DETAIL_MAX], a[32], b[32], n[32];
    int64_t gap = ev->at_ms - ev->latest_ms;
    sl_rc rc = SL_OK;
    for (int i = 0; i < 5 && rc == SL_OK; i++)
        rc = max_id(st, tables[i], &ids[i], err);
    if (rc == SL_OK) {
        const sl__value v[] = {
            SL__ID, SL__AT, SL__TEXT(kind), SL__TEXT(sl_source_name(source)),
            SL__INT(ev->latest_ms), SL__INT(ids[0]), SL__INT(ids[1]), SL__INT(ids[2]),
            SL__INT(ids[3]), SL__INT(ids[4]),
        };
        rc = sl__event_append(st,
            "INSERT INTO clock_events(id, at, kind, source, latest_before, audit_id, "
            "snapshot_id, license_id, token_id, key_id) VALUES (?,?,?,?,?,?,?,?,?,?)",
            v, (int)(sizeof v / sizeof v[0]), "cannot record the clock event", NULL, err);
    }
    if (rc != SL_OK)
        return rc;
    snprintf(action, sizeof action, "clock.%s", kind);
    snprintf(detail, sizeof detail, "latest event at %s, clock at %s, %s days %s, source=%s",
             sl_time_format_rfc3339(ev->latest_ms, a, sizeof a),
             sl_time_format_rfc3339(ev->at_ms, b, sizeof b),
             sl_format_count((gap < 0 ? -gap : gap) / MS_PER_DAY, n, sizeof n),
             gap < 0 ? "behind" : "ahead", sl_source_name(source));
    return audit_line(st, action, 0, "ok", detail, err);
}

/* Begin an event with `flags`; record the clock event `kind` when `needed`
 * says the ledger needs it, else change nothing and set *recorded to 0. */
static sl_rc clock_event(sl_store *st, int flags, const char *kind, sl_source source,
                         int (*needed)(const sl_event *ev), int *recorded, sl_error *err)
{
    sl_rc rc;
    *recorded = 0;
    rc = sl__begin(st, err);
    if (rc != SL_OK)
        return rc;
    /* an acknowledgement of the clock is recorded even onto a broken chain:
     * the admin may have to fix the clock before acknowledging the break */
    rc = sl__event_begin(st, flags | SL__EVENT_CHAIN_ANY, err);
    if (rc != SL_OK || !needed(&st->event)) {
        sl__rollback(st);
        return rc;
    }
    rc = record_clock_event(st, kind, source, err);
    if (rc != SL_OK) {
        sl__rollback(st);
        return rc;
    }
    rc = sl__commit(st, err);
    if (rc == SL_OK)
        *recorded = 1;
    return rc;
}

static int ahead_beyond_bound(const sl_event *ev)
{
    return ev->has_latest && ev->at_ms - ev->latest_ms > CLOCK_AHEAD_MAX_MS;
}

static int behind(const sl_event *ev)
{
    return ev->has_latest && ev->at_ms < ev->latest_ms;
}

sl_rc sl_store_clock_confirm(sl_store *st, sl_source source, int *recorded, sl_error *err)
{
    return clock_event(st, SL__EVENT_CONFIRMED, "confirm", source, ahead_beyond_bound,
                       recorded, err);
}

sl_rc sl_store_clock_recover(sl_store *st, sl_source source, int *recorded, sl_error *err)
{
    return clock_event(st, SL__EVENT_RECOVER, "recover", source, behind, recorded, err);
}

sl_rc sl_store_clock_state(sl_store *st, sl_clock_state *out, sl_error *err)
{
    sqlite3_stmt *s;
    sl__recovery r;
    int found;
    sl_rc rc;
    memset(out, 0, sizeof *out);
    out->now_ms = sl_clock_now_ms();
    rc = sl__ledger_latest(st, 1, &found, &out->latest_ms, err);
    if (rc != SL_OK)
        return rc;
    out->has_latest = found;
    rc = sl__clock_recovery_last(st, &r, err);
    if (rc != SL_OK)
        return rc;
    out->last_recovery_ms = r.found ? r.at_ms : 0;
    out->last_recovery_latest_before_ms = r.found ? r.latest_before_ms : 0;
    rc = sl__stmt(st, "SELECT count(*) FILTER (WHERE kind = 'recover'), "
                      "count(*) FILTER (WHERE kind = 'confirm') FROM clock_events", &s, err);
    if (rc != SL_OK)
        return rc;
    if (sqlite3_step(s) == SQLITE_ROW) {
        out->recoveries = sqlite3_column_int64(s, 0);
        out->confirmations = sqlite3_column_int64(s, 1);
    } else {
        rc = sl__db_err(st, err, "cannot read the clock events");
    }
    sqlite3_reset(s);
    return rc;
}

sl_rc sl_store_clock_events(sl_store *st, int64_t from_ms, int64_t to_ms,
                            int (*fn)(void *ud, const sl_clock_event *e), void *ud,
                            sl_error *err)
{
    sqlite3_stmt *s;
    int step;
    sl_rc rc = sl__stmt(st, "SELECT at, kind, source, latest_before FROM clock_events "
                            "WHERE at BETWEEN ?1 AND ?2 ORDER BY at, id", &s, err);
    if (rc != SL_OK)
        return rc;
    sqlite3_bind_int64(s, 1, from_ms);
    sqlite3_bind_int64(s, 2, to_ms);
    for (;;) {
        sl_clock_event e;
        step = sqlite3_step(s);
        if (step != SQLITE_ROW)
            break;
        e.at_ms = sqlite3_column_int64(s, 0);
        e.recovery = strcmp((const char *)sqlite3_column_text(s, 1), "recover") == 0;
        e.source = sl__source_from_name((const char *)sqlite3_column_text(s, 2));
        e.latest_before_ms = sqlite3_column_int64(s, 3);
        if (fn(ud, &e) != 0) {
            step = SQLITE_DONE;
            break;
        }
    }
    if (step != SQLITE_DONE)
        rc = sl__db_err(st, err, "cannot read the clock events");
    sqlite3_reset(s);
    return rc;
}
