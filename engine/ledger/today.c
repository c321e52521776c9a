/*
 * ledger/today.c - the ledger's "now" and "today": the clock (core/clock.c)
 * never allowed to run behind what the ledger has already recorded, so a
 * clock set back cannot bring an expired license back.
 */
#include "ledger/ledger_internal.h"

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

sl_rc sl__ledger_now(sl_store *st, int64_t *out_ms, sl_error *err)
{
    int found;
    int64_t ms, count, now = sl_clock_now_ms();
    sl_rc rc = sl__ledger_newest_snapshot(st, &found, &ms, &count, err);
    if (rc != SL_OK)
        return rc;
    *out_ms = found && ms > now ? ms : now;
    return SL_OK;
}

/* The API's hot path asks for today several times a request: it is cached
 * with the read cache, which any commit (ours or another process's) or a new
 * clock date empties. */
sl_rc sl__ledger_today(sl_store *st, int32_t *out, sl_error *err)
{
    int64_t now;
    sl_rc rc;
    if (sl__cache_fresh(st, sl_clock_today())) {
        *out = st->cache.today;
        return SL_OK;
    }
    rc = sl__ledger_now(st, &now, err);
    if (rc != SL_OK) {
        st->cache.valid = 0;
        return rc;
    }
    *out = st->cache.today = sl_ms_to_date(now);
    return SL_OK;
}

