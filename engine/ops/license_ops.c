/*
 * ops/license_ops.c - adding and deleting a license as one write
 * transaction each: the ledger's step (ledger/license_store.c), then the
 * add-on provisioning from whichever license is current afterwards
 * (seats/purchases.c).  Nothing is written when any step fails.
 */
#include "seats/seats_internal.h"

/* Provisioning after a license change, at the event's time (checked
 * against the ledger's latest: its date is the ledger's today). */
static sl_rc provision_now(sl_store *st, sl_error *err)
{
    int64_t now = sl__event_at(st);
    return sl__provision(st, sl_ms_to_date(now), now, err);
}

sl_rc sl_store_license_add(sl_store *st, const char *text, size_t len,
                           sl_source source, int64_t *out_id, sl_error *err)
{
    sl_license *lic = NULL;
    int64_t id = 0;
    sl_rc rc = sl__license_decode_trusted(st, text, len, &lic, err);
    *out_id = 0;
    if (rc != SL_OK)
        return rc;
    /* checks and insert under one write lock: a concurrent add or refresh
     * cannot slip between what we checked and what we store */
    rc = sl__begin(st, err);
    if (rc != SL_OK)
        goto done;
    rc = sl__event_begin(st, 0, err);
    if (rc == SL_OK)
        rc = sl__license_add_locked(st, text, len, lic, source, &id, err);
    if (rc == SL_OK)
        rc = provision_now(st, err);
    if (rc == SL_OK)
        rc = sl__commit(st, err);
    else
        sl__rollback(st);
    if (rc == SL_OK)
        *out_id = id;
done:
    sl_license_free(lic);
    return rc;
}

sl_rc sl_store_license_delete(sl_store *st, int64_t id, sl_source source, sl_error *err)
{
    sl_rc rc = sl__begin(st, err);
    if (rc != SL_OK)
        return rc;
    rc = sl__event_begin(st, 0, err);
    if (rc == SL_OK)
        rc = sl__license_delete_locked(st, id, source, err);
    if (rc == SL_OK)
        rc = provision_now(st, err);
    if (rc == SL_OK)
        return sl__commit(st, err);
    sl__rollback(st);
    return rc;
}
