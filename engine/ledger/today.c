/*
 * ledger/today.c - the ledger's "latest", "now" and "today".  The latest is
 * the newest time the ledger has recorded anywhere (a snapshot, a license
 * added or deleted, a token created or revoked, a key trusted, any audit
 * line, a clock event); now is the clock never allowed behind it, so a
 * clock set back cannot bring an expired license or token back.  A clock
 * recovery (ledger/events.c) sets aside every time recorded before it.
 * The write paths check new events against the latest in events.c.
 */
#include "ledger/ledger_internal.h"

#include <string.h>

sl_rc sl__ledger_newest_snapshot(sl_store *st, int *found, int64_t *ms, int64_t *count, sl_error *err)
{
    sqlite3_stmt *s;
    int step;
    sl_rc rc = sl__stmt(st,
        "SELECT recorded_at, billable_user_count FROM snapshots "
        "ORDER BY recorded_at DESC, id DESC LIMIT 1", &s, err);
    *found = 0;
    *ms = 0;
    *count = 0;
    if (rc != SL_OK)
        return rc;
    step = sqlite3_step(s);
    if (step == SQLITE_ROW) {
        *found = 1;
        *ms = sqlite3_column_int64(s, 0);
        *count = sqlite3_column_int64(s, 1);
    } else if (step != SQLITE_DONE) {
        rc = sl__db_err(st, err, "cannot read the newest snapshot");
    }
    sqlite3_reset(s);
    return rc;
}

sl_rc sl__ledger_newest(sl_store *st, int64_t *out_ms, int64_t *out_count, sl_error *err)
{
    int found;
    int64_t ms, count;
    sl_rc rc = sl__ledger_newest_snapshot(st, &found, &ms, &count, err);
    if (out_ms)
        *out_ms = ms;
    if (out_count)
        *out_count = count;
    return rc;
}

sl_rc sl__clock_recovery_last(sl_store *st, sl__recovery *out, sl_error *err)
{
    sqlite3_stmt *s;
    int step;
    sl_rc rc = sl__stmt(st,
        "SELECT id, at, latest_before, audit_id, snapshot_id, license_id, token_id, key_id "
        "FROM clock_events WHERE kind = 'recover' ORDER BY id DESC LIMIT 1", &s, err);
    memset(out, 0, sizeof *out);
    if (rc != SL_OK)
        return rc;
    step = sqlite3_step(s);
    if (step == SQLITE_ROW) {
        out->found = 1;
        out->id = sqlite3_column_int64(s, 0);
        out->at_ms = sqlite3_column_int64(s, 1);
        out->latest_before_ms = sqlite3_column_int64(s, 2);
        out->audit_id = sqlite3_column_int64(s, 3);
        out->snapshot_id = sqlite3_column_int64(s, 4);
        out->license_id = sqlite3_column_int64(s, 5);
        out->token_id = sqlite3_column_int64(s, 6);
        out->key_id = sqlite3_column_int64(s, 7);
    } else if (step != SQLITE_DONE) {
        rc = sl__db_err(st, err, "cannot read the clock events");
    }
    sqlite3_reset(s);
    return rc;
}

/* The newest time of every table that records one, counting only rows
 * after the watermarks of the latest recovery (all rows when there is
 * none).  The two tables that grow without bound are read through their
 * time index from the top, so the cost is a few index steps (the set-aside
 * rows of a recovery are skipped one by one, and there are few of them);
 * the others hold a handful of rows. */
static sl_rc latest_uncached(sl_store *st, int *found, int64_t *out_ms, sl_error *err)
{
    sqlite3_stmt *s;
    sl__recovery r;
    sl_rc rc = sl__clock_recovery_last(st, &r, err);
    *found = 0;
    *out_ms = 0;
    if (rc != SL_OK)
        return rc;
    rc = sl__stmt(st,
        "SELECT max("
        " coalesce((SELECT at FROM audit_log INDEXED BY audit_log_at WHERE id > ?1"
        "           ORDER BY at DESC LIMIT 1), -9223372036854775807 - 1),"
        " coalesce((SELECT recorded_at FROM snapshots INDEXED BY snapshots_recorded_at"
        "           WHERE id > ?2 ORDER BY recorded_at DESC LIMIT 1), -9223372036854775807 - 1),"
        " coalesce((SELECT max(created_at) FROM licenses WHERE id > ?3),"
        "          -9223372036854775807 - 1),"
        " coalesce((SELECT max(created_at) FROM api_tokens WHERE id > ?4),"
        "          -9223372036854775807 - 1),"
        " coalesce((SELECT max(revoked_at) FROM api_tokens WHERE id > ?4),"
        "          -9223372036854775807 - 1),"
        " coalesce((SELECT max(created_at) FROM trusted_keys WHERE id > ?5),"
        "          -9223372036854775807 - 1),"
        " coalesce((SELECT max(at) FROM clock_events WHERE id >= ?6),"
        "          -9223372036854775807 - 1))",
        &s, err);
    if (rc != SL_OK)
        return rc;
    sqlite3_bind_int64(s, 1, r.audit_id);
    sqlite3_bind_int64(s, 2, r.snapshot_id);
    sqlite3_bind_int64(s, 3, r.license_id);
    sqlite3_bind_int64(s, 4, r.token_id);
    sqlite3_bind_int64(s, 5, r.key_id);
    sqlite3_bind_int64(s, 6, r.id);
    if (sqlite3_step(s) == SQLITE_ROW) {
        int64_t v = sqlite3_column_int64(s, 0);
        /* a recovery's own time counts even when nothing followed it */
        if (r.found && r.at_ms > v)
            v = r.at_ms;
        *found = v != INT64_MIN;
        *out_ms = *found ? v : 0;
    } else {
        rc = sl__db_err(st, err, "cannot read the ledger's latest time");
    }
    sqlite3_reset(s);
    return rc;
}

sl_rc sl__ledger_latest(sl_store *st, int cached, int *found, int64_t *out_ms, sl_error *err)
{
    sl_rc rc;
    /* sl__cache_fresh() keeps the cache valid until any commit anywhere */
    if (cached && sl__cache_fresh(st, sl_clock_today()) && st->cache.latest_known) {
        *found = st->cache.latest_found;
        *out_ms = st->cache.latest_ms;
        return SL_OK;
    }
    rc = latest_uncached(st, found, out_ms, err);
    if (rc == SL_OK && cached) {
        st->cache.latest_known = 1;
        st->cache.latest_found = *found;
        st->cache.latest_ms = *out_ms;
    }
    return rc;
}

sl_rc sl__ledger_now(sl_store *st, int64_t *out_ms, sl_error *err)
{
    int found;
    int64_t latest, now = sl_clock_now_ms();
    sl_rc rc = sl__ledger_latest(st, 1, &found, &latest, err);
    if (rc != SL_OK)
        return rc;
    *out_ms = found && latest > now ? latest : now;
    return SL_OK;
}

/* The API's hot path asks for today several times a request: it is cached
 * with the read cache, which any commit (ours or another process's) or a new
 * clock date empties. */
sl_rc sl__ledger_today(sl_store *st, int32_t *out, sl_error *err)
{
    int64_t now;
    sl_rc rc;
    if (sl__cache_fresh(st, sl_clock_today()) && st->cache.today_known) {
        *out = st->cache.today;
        return SL_OK;
    }
    rc = sl__ledger_now(st, &now, err);
    if (rc != SL_OK) {
        st->cache.valid = 0;
        return rc;
    }
    *out = st->cache.today = sl_ms_to_date(now);
    st->cache.today_known = 1;
    return SL_OK;
}

sl_rc sl_store_today(sl_store *st, int32_t *out, sl_error *err)
{
    return sl__ledger_today(st, out, err);
}
