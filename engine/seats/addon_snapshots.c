/*
 * seats/addon_snapshots.c - what each refresh records per active add-on
 * purchase: purchased and assigned seats (GitLab's Seat Link
 * add_on_metrics), append-only beside the billable-user snapshot of the
 * same refresh, so add-on seat usage has a history of its own.
 */
#include "seats/seats_internal.h"

#include <stdlib.h>

sl_rc sl__addon_snapshots_record(sl_store *st, int64_t snapshot_id, int64_t now_ms,
                                 int32_t today, sl_error *err)
{
    const sl__value v[] = {SL__INT(snapshot_id), SL__INT(now_ms), SL__INT(today), SL__ID};
    return sl__event_append(st,
        "INSERT INTO add_on_snapshots(id, snapshot_id, recorded_at, add_on, purchase_id, "
        "purchased_seats, assigned_seats) "
        "SELECT ?4 + row_number() OVER (ORDER BY p.id) - 1, ?1, ?2, p.add_on, p.id, "
        "p.quantity, (SELECT count(*) FROM seat_assignments a WHERE a.purchase_id = p.id) "
        "FROM add_on_purchases p WHERE p.started_on <= ?3 AND ?3 < p.expires_on ORDER BY p.id",
        v, 4, "cannot record the add-on snapshots", NULL, err);
}

sl_rc sl_store_addon_metrics(sl_store *st, int64_t snapshot_id, sl_addon_metric **out,
                             size_t *count, sl_error *err)
{
    sl_addon_metric *all = NULL;
    sqlite3_stmt *s;
    size_t n = 0;
    int step;
    sl_rc rc = sl__stmt(st, "SELECT add_on, purchase_id, purchased_seats, assigned_seats "
                            "FROM add_on_snapshots WHERE snapshot_id = ?1 ORDER BY purchase_id",
                        &s, err);
    *out = NULL;
    *count = 0;
    if (rc != SL_OK)
        return rc;
    sqlite3_bind_int64(s, 1, snapshot_id);
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        sl_addon_metric *grown = realloc(all, (n + 1) * sizeof *all);
        if (!grown) {
            rc = sl__err(err, SL_ENOMEM, "out of memory");
            break;
        }
        all = grown;
        if (sl_addon_parse((const char *)sqlite3_column_text(s, 0), &all[n].add_on, NULL) !=
            SL_OK) {
            rc = sl__err(err, SL_ESTORAGE, "ledger '%s': an add-on snapshot names an unknown "
                         "add-on", st->path);
            break;
        }
        all[n].purchase_id = sqlite3_column_int64(s, 1);
        all[n].purchased_seats = sqlite3_column_int64(s, 2);
        all[n].assigned_seats = sqlite3_column_int64(s, 3);
        n++;
    }
    if (rc == SL_OK && step != SQLITE_DONE)
        rc = sl__db_err(st, err, "cannot read the add-on snapshots");
    sqlite3_reset(s);
    if (rc != SL_OK) {
        free(all);
        return rc;
    }
    *out = all;
    *count = n;
    return SL_OK;
}
