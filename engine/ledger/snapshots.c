/*
 * ledger/snapshots.c - the append-only billable-user snapshots: refresh (an
 * event under the clock-safety rules of events.c), history, and the figures
 * derived from them (historical max, daily count, maximum, overage) for a
 * license.
 */
#include "ledger/ledger_internal.h"

#include <stdlib.h>
#include <string.h>

#define MS_PER_DAY 86400000LL
/* audit detail: "source=scheduler billable_user_count=-9223372036854775808" */
#define REFRESH_DETAIL_MAX 96

int64_t sl__day_start_ms(int32_t day) { return sl_date_to_ms(day); }

int64_t sl__day_end_ms(int32_t day) { return sl_date_to_ms(day) + MS_PER_DAY - 1; }

int64_t sl__ms_minus_year(int64_t ms)
{
    int32_t day = sl_ms_to_date(ms);
    return sl_date_to_ms(sl_date_add_years(day, -1)) + (ms - sl_date_to_ms(day));
}

int64_t sl__overage(int64_t n, int64_t seats)
{
    if (seats == SL_COUNT_NONE || n <= seats)
        return 0;
    return n - seats;
}

void sl__ledger_window(int32_t starts_on, int32_t expires_on, int64_t now_ms,
                       int64_t *from_ms, int64_t *to_ms)
{
    *from_ms = starts_on != SL_DATE_NONE ? sl__day_start_ms(starts_on)
                                         : sl__ms_minus_year(now_ms);
    *to_ms = expires_on != SL_DATE_NONE ? sl__day_end_ms(expires_on) : now_ms;
}

sl_rc sl__ledger_historical_max(sl_store *st, int64_t from_ms, int64_t to_ms,
                                int64_t *out, sl_error *err)
{
    sqlite3_stmt *s;
    sl_rc rc;
    *out = 0;
    if (from_ms > to_ms)
        return SL_OK;
    rc = sl__stmt(st, "SELECT MAX(billable_user_count) FROM snapshots "
                      "WHERE recorded_at BETWEEN ?1 AND ?2", &s, err);
    if (rc != SL_OK)
        return rc;
    sqlite3_bind_int64(s, 1, from_ms);
    sqlite3_bind_int64(s, 2, to_ms);
    if (sqlite3_step(s) == SQLITE_ROW)
        *out = sqlite3_column_int64(s, 0);   /* NULL (no rows) reads as 0 */
    else
        rc = sl__db_err(st, err, "cannot read the historical maximum");
    sqlite3_reset(s);
    return rc;
}

sl_rc sl__ledger_daily_count(sl_store *st, const char *plan, int64_t *out, sl_error *err)
{
    int found;
    int64_t ms;
    sl_rc rc = sl__ledger_newest_snapshot(st, &found, &ms, out, err);
    if (rc != SL_OK || found)
        return rc;
    return sl__users_billable_count(st, plan, out, err);
}

/* daily_billable_users_count as a refresh now would see it, whichever
 * license the figures are for: the newest snapshot, else a live count under
 * the current license's plan. */
static sl_rc current_daily_count(sl_store *st, int32_t today, int64_t *out, sl_error *err)
{
    sl_license *cur = NULL;
    int found;
    int64_t ms;
    sl_rc rc = sl__ledger_newest_snapshot(st, &found, &ms, out, err);
    if (rc != SL_OK || found)
        return rc;
    rc = sl__license_current(st, today, &cur, NULL, err);
    if (rc == SL_OK)
        rc = sl__users_billable_count(st, cur ? sl_license_get_info(cur)->plan : NULL, out, err);
    sl_license_free(cur);
    return rc;
}

sl_rc sl__ledger_figures_info(sl_store *st, const sl_license_info *inf, int expired,
                              sl_license_figures *out, sl_error *err)
{
    int64_t now, from, to, hist, daily;
    sl_rc rc = sl__ledger_now(st, &now, err);
    if (rc != SL_OK)
        return rc;
    sl__ledger_window(inf->starts_on, inf->expires_on, now, &from, &to);
    rc = sl__ledger_historical_max(st, from, to, &hist, err);
    if (rc != SL_OK)
        return rc;
    rc = current_daily_count(st, sl_ms_to_date(now), &daily, err);
    if (rc != SL_OK)
        return rc;
    out->historical_max = hist;
    out->maximum_user_count = hist > daily ? hist : daily;
    out->expired = expired != 0;
    /* rest-api.md: an expired license owes for its peak, a running one for today */
    out->overage = sl__overage(expired ? out->maximum_user_count : daily, inf->seats);
    /* GitLab's overage_with_historical_max: what the subscription page shows */
    out->overage_historical = sl__overage(out->maximum_user_count, inf->seats);
    out->user_limit = inf->seats != SL_COUNT_NONE ? inf->seats : 0;
    out->active_users = daily;
    return SL_OK;
}

sl_rc sl_store_license_term(sl_store *st, int64_t *from_ms, int64_t *to_ms, sl_error *err)
{
    sl_license *cur = NULL;
    const sl_license_info *inf;
    int64_t now;
    sl_rc rc = sl__ledger_now(st, &now, err);
    if (rc == SL_OK)
        rc = sl__license_current(st, sl_ms_to_date(now), &cur, NULL, err);
    if (rc != SL_OK)
        return rc;
    inf = cur ? sl_license_get_info(cur) : NULL;
    sl__ledger_window(inf ? inf->starts_on : SL_DATE_NONE, inf ? inf->expires_on : SL_DATE_NONE,
                      now, from_ms, to_ms);
    sl_license_free(cur);
    return SL_OK;
}

sl_rc sl__ledger_figures(sl_store *st, const sl_license *lic, int32_t today,
                         sl_license_figures *out, sl_error *err)
{
    return sl__ledger_figures_info(st, sl_license_get_info(lic),
                                   sl_license_is_expired(lic, today), out, err);
}

sl_rc sl__ledger_refresh_locked(sl_store *st, sl_source source, sl_snapshot *out,
                                sl_error *err)
{
    sl_license *lic = NULL;
    char detail[REFRESH_DETAIL_MAX];
    int64_t now = sl__event_at(st), license_id = 0, count = 0, id = 0;
    /* the event (begun by ops/refresh.c) was checked against the ledger's
     * latest: its date is today */
    sl_rc rc = sl__license_current(st, sl_ms_to_date(now), &lic, &license_id, err);
    if (rc != SL_OK)
        goto done;
    rc = sl__users_billable_count(st, lic ? sl_license_get_info(lic)->plan : NULL, &count, err);
    if (rc != SL_OK)
        goto done;
    {
        const sl__value v[] = {SL__ID, SL__AT, SL__INT(count), SL__TEXT(sl_source_name(source)),
                               lic ? SL__INT(license_id) : SL__NULL};
        rc = sl__event_append(st, "INSERT INTO snapshots(id, recorded_at, billable_user_count, "
                                       "source, license_id) VALUES (?,?,?,?,?)",
                              v, 5, "cannot record the snapshot", &id, err);
    }
    if (rc != SL_OK)
        goto done;
    snprintf(detail, sizeof detail, "source=%s billable_user_count=%lld",
             sl_source_name(source), (long long)count);
    rc = sl__audit(st, "ledger.refresh", lic ? license_id : 0, "ok", detail, err);
    if (rc != SL_OK)
        goto done;
    out->id = id;
    out->recorded_at_ms = now;
    out->billable_user_count = count;
    out->source = source;
done:
    sl_license_free(lic);
    return rc;
}

sl_rc sl_store_history(sl_store *st, int64_t from_ms, int64_t to_ms,
                       int (*fn)(void *ud, const sl_snapshot *s), void *ud,
                       sl_error *err)
{
    sqlite3_stmt *s;
    int step;
    sl_rc rc = sl__stmt(st, "SELECT id, recorded_at, billable_user_count, source "
                            "FROM snapshots WHERE recorded_at BETWEEN ?1 AND ?2 "
                            "ORDER BY recorded_at, id", &s, err);
    if (rc != SL_OK)
        return rc;
    sqlite3_bind_int64(s, 1, from_ms);
    sqlite3_bind_int64(s, 2, to_ms);
    for (;;) {
        sl_snapshot snap;
        step = sqlite3_step(s);
        if (step != SQLITE_ROW)
            break;
        snap.id = sqlite3_column_int64(s, 0);
        snap.recorded_at_ms = sqlite3_column_int64(s, 1);
        snap.billable_user_count = sqlite3_column_int64(s, 2);
        snap.source = sl__source_from_name((const char *)sqlite3_column_text(s, 3));
        if (fn(ud, &snap) != 0) {
            step = SQLITE_DONE;
            break;
        }
    }
    if (step != SQLITE_DONE)
        rc = sl__db_err(st, err, "cannot read the snapshots");
    sqlite3_reset(s);
    return rc;
}
