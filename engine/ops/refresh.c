/*
 * ops/refresh.c - the daily job as one write transaction: the ledger's
 * snapshot step (clock safety, billable count), then add-on provisioning
 * from the current license, the seat clean-up and one add-on snapshot per
 * active purchase.  A failure anywhere leaves the ledger unchanged.
 */
#include "seats/seats_internal.h"

sl_rc sl_store_refresh(sl_store *st, sl_source source, sl_snapshot *out, sl_error *err)
{
    sl_snapshot snap = {0};
    int32_t today;
    sl_rc rc = sl__begin(st, err);
    if (rc != SL_OK)
        return rc;
    /* the clock check: the refresh is one event, every step at its time */
    rc = sl__event_begin(st, 0, err);
    if (rc == SL_OK)
        rc = sl__ledger_refresh_locked(st, source, &snap, err);
    if (rc != SL_OK)
        goto fail;
    /* the snapshot's instant is the refresh's now: never behind the ledger */
    today = sl_ms_to_date(snap.recorded_at_ms);
    rc = sl__provision(st, today, snap.recorded_at_ms, err);
    if (rc == SL_OK)
        rc = sl__seats_cleanup(st, today, snap.recorded_at_ms, NULL, NULL, NULL, err);
    if (rc == SL_OK)
        rc = sl__addon_snapshots_record(st, snap.id, snap.recorded_at_ms, today, err);
    if (rc != SL_OK)
        goto fail;
    rc = sl__commit(st, err);
    if (rc == SL_OK && out)
        *out = snap;
    return rc;
fail:
    sl__rollback(st);
    return rc;
}
