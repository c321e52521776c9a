/*
 * ops/license_ops.c - adding and deleting a license as one write
 * transaction each: the ledger's step (ledger/license_store.c), then the
 * add-on provisioning from whichever license is current afterwards
 * (seats/purchases.c).  Nothing is written when any step fails.  The dry
 * run of an add (`license check`) is the same add in a transaction that is
 * always rolled back, after reading what it would have given, the add-on
 * seats it provisions and what a clean-up would then remove.
 */
#include "seats/seats_internal.h"

#include <string.h>

/* Provisioning after a license change, at the event's time (checked
 * against the ledger's latest: its date is the ledger's today). */
static sl_rc provision_now(sl_store *st, sl_error *err)
{
    int64_t now = sl__event_at(st);
    return sl__provision(st, sl_ms_to_date(now), now, err);
}

/* ---- the dry run's add-on figures ------------------------------------------ */

static const char *const action_names[] = {"keep", "create", "update", "expire"};

static json_t *day_json(int32_t d)
{
    char buf[16];
    return d == SL_DATE_NONE ? json_null() : json_string(sl_date_format(d, buf, sizeof buf));
}

/* What provisioning will do with each tier record, before it runs. */
static sl_rc provision_json(sl_store *st, int32_t today, json_t *out, sl_error *err)
{
    sl_provision_step plan[SL_PROVISION_TIERS];
    sl_license *cur = NULL;
    sl_rc rc = sl__license_current(st, today, &cur, NULL, err);
    if (rc == SL_OK)
        rc = sl__provision_plan(st, cur, today, plan, err);
    sl_license_free(cur);
    for (int t = 0; rc == SL_OK && t < SL_PROVISION_TIERS; t++) {
        const sl_provision_step *p = &plan[t];
        if (p->action == SL_PROVISION_KEEP && p->quantity == 0)
            continue;   /* nothing bought, nothing on record */
        json_array_append_new(out, json_pack("{s:s,s:s,s:I,s:o,s:o,s:b}",
                                             "add_on", sl_addon_name(p->add_on),
                                             "action", action_names[p->action],
                                             "quantity", (json_int_t)p->quantity,
                                             "started_on", day_json(p->started_on),
                                             "expires_on", day_json(p->expires_on),
                                             "trial", p->trial));
    }
    return rc;
}

/* Removals of the clean-up, counted by reason and by add-on. */
static void count_removal(void *ud, const sl_seat_removal *r)
{
    json_t *o = ud, *by_reason = json_object_get(o, "by_reason");
    json_t *by_add_on = json_object_get(o, "by_add_on");
    json_t *n = json_object_get(by_reason, r->reason);
    json_object_set_new(by_reason, r->reason,
                        json_integer(json_integer_value(n) + 1));
    n = json_object_get(by_add_on, r->add_on);
    json_object_set_new(by_add_on, r->add_on, json_integer(json_integer_value(n) + 1));
}

/* Inside the dry run's transaction, after the add's own steps: the
 * provisioning (as the add runs it) and then a clean-up as the next refresh
 * would run it, both to be rolled back. */
static sl_rc add_on_figures(sl_store *st, json_t **out, sl_error *err)
{
    int64_t now = sl__event_at(st), removed = 0;
    int32_t today = sl_ms_to_date(now);
    json_t *doc = NULL, *prov = json_array();
    json_t *cleanup = json_pack("{s:I,s:{},s:{}}", "removes", (json_int_t)0, "by_reason",
                                "by_add_on");
    sl_rc rc = SL_OK;
    *out = NULL;
    if (!prov || !cleanup) {
        rc = sl__err(err, SL_ENOMEM, "out of memory");
        goto done;
    }
    rc = provision_json(st, today, prov, err);
    if (rc == SL_OK)
        rc = sl__provision(st, today, now, err);
    if (rc == SL_OK)
        rc = sl__seats_cleanup(st, today, now, count_removal, cleanup, &removed, err);
    if (rc != SL_OK)
        goto done;
    json_object_set_new(cleanup, "removes", json_integer((json_int_t)removed));
    doc = json_pack("{s:O,s:O}", "provision", prov, "cleanup", cleanup);
    if (!doc)
        rc = sl__err(err, SL_ENOMEM, "out of memory");
    *out = doc;
done:
    json_decref(prov);
    json_decref(cleanup);
    return rc;
}

/* ---- adding ------------------------------------------------------------------ */

/* One run of `license add`.  With commit 0 it is the dry run: every step
 * runs (the insert, its audit line and the provisioning included) and the
 * transaction is rolled back, after reading what the add would have given. */
typedef struct add_run {
    int commit;
    sl_license *lic;          /* the decoded key, when it decoded (run owns it) */
    sl_add_figures fig;       /* fig.billable_now SL_COUNT_NONE: the checks did not run */
    int64_t id;               /* the license's id (committed or not) */
    json_t *entity;           /* dry run, accepted: the license as add returns it */
    int would_be_current;     /* dry run, accepted */
    json_t *add_ons;          /* dry run, accepted: provisioning and clean-up figures */
} add_run;

static sl_rc add_run_do(sl_store *st, const char *text, size_t len, sl_source source,
                        add_run *run, sl_error *err)
{
    sl_rc rc = sl__license_decode_trusted(st, text, len, &run->lic, err);
    run->fig.billable_now = SL_COUNT_NONE;
    if (rc != SL_OK)
        return rc;
    /* checks and insert under one write lock: a concurrent add or refresh
     * cannot slip between what we checked and what we store */
    rc = sl__begin(st, err);
    if (rc != SL_OK)
        return rc;
    /* one event, clock-checked, at whose time every step records */
    rc = sl__event_begin(st, 0, err);
    if (rc == SL_OK)
        rc = sl__license_add_locked(st, text, len, run->lic, source, &run->id, &run->fig, err);
    if (rc == SL_OK && run->commit) {
        rc = provision_now(st, err);
        if (rc == SL_OK)
            return sl__commit(st, err);
    } else if (rc == SL_OK) {
        rc = sl__license_dry_run_read(st, run->id, run->lic, &run->entity,
                                      &run->would_be_current, err);
        if (rc == SL_OK)
            rc = add_on_figures(st, &run->add_ons, err);
    }
    /* a failed add, and every dry run, leaves nothing behind */
    sl__rollback(st);
    return rc;
}

sl_rc sl_store_license_add(sl_store *st, const char *text, size_t len,
                           sl_source source, int64_t *out_id, sl_error *err)
{
    add_run run = {.commit = 1};
    sl_rc rc = add_run_do(st, text, len, source, &run, err);
    if (out_id)
        *out_id = rc == SL_OK ? run.id : 0;
    sl_license_free(run.lic);
    return rc;
}

sl_rc sl_store_license_check(sl_store *st, const char *text, size_t len, char **out_json,
                             sl_error *err)
{
    add_run run = {.commit = 0};
    sl_error why = {0};
    sl_rc rc = add_run_do(st, text, len, SL_SOURCE_CLI, &run, &why);
    *out_json = NULL;
    /* a refusal is what the report is about; anything else is the dry
     * run's own failure */
    if (rc == SL_OK || rc == SL_EINVAL || rc == SL_ETOOBIG)
        rc = sl__license_check_json(run.lic, rc == SL_OK ? NULL : why.message, &run.fig,
                                    run.would_be_current, run.entity, run.add_ons, out_json,
                                    err);
    else if (err)
        *err = why;
    json_decref(run.entity);
    json_decref(run.add_ons);
    sl_license_free(run.lic);
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
