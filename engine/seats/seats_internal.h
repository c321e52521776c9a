/*
 * seats/seats_internal.h - the seams between the add-on seat modules,
 * bottom-up (a module calls only the sections above its own): the
 * eligibility rule, the seat history, the purchases and provisioning,
 * assignments, the clean-up and the add-on snapshots.  All writers run
 * inside the caller's write transaction; the public entry points that own a
 * transaction say so in seatledger.h.
 */
#ifndef SL_SEATS_INTERNAL_H
#define SL_SEATS_INTERNAL_H

#include "ledger/ledger_internal.h"

/* ---- who may hold a seat (seats/eligibility.c) ------------------------ */

/* add-ons.md: an active directory user of type human or service_user. */
int sl__seat_eligible(int state, int user_type);

/* A directory user as the seat rules see it. */
typedef struct sl_seat_subject {
    int found;                        /* in the directory */
    int eligible;
    int state, user_type;             /* codes of ledger/billable.h */
    char username[SL_USER_FIELD_MAX + 1];
} sl_seat_subject;
sl_rc sl__seat_subject(sl_store *st, const char *user_id, sl_seat_subject *out,
                       sl_error *err);

/* ---- the seat history (seats/history.c) ------------------------------- */

/* Append one row (append-only table, schema/007_add_ons.sql).  reason is
 * NULL unless event is "removed". */
sl_rc sl__seat_history_append(sl_store *st, int64_t at_ms, const char *add_on,
                              int64_t purchase_id, const char *user_id, const char *username,
                              const char *event, const char *reason, const char *actor,
                              sl_error *err);

/* ---- purchases (seats/purchases.c) ------------------------------------ */

/* Read one record (by id, or the one of `tier`); *found 0 when none.  Free
 * with sl_addon_purchase_clear().  `active` is computed for `today`. */
sl_rc sl__purchase_load(sl_store *st, int64_t id, int32_t today, sl_addon_purchase *out,
                        int *found, sl_error *err);
/* Assigned seats of a purchase. */
sl_rc sl__purchase_assigned(sl_store *st, int64_t purchase_id, int64_t *out, sl_error *err);

/* What provisioning would make of the tier records for license `lic`
 * (NULL: no current license) on `today`. */
typedef struct sl_provision_step {
    const char *tier;           /* "duo" or "duo_core" */
    enum { SL_PROVISION_KEEP, SL_PROVISION_CREATE, SL_PROVISION_UPDATE,
           SL_PROVISION_EXPIRE } action;
    int64_t purchase_id;        /* 0 for CREATE (and KEEP without a record) */
    sl_addon add_on;
    int64_t quantity;
    int32_t started_on, expires_on;
    const char *purchase_xid;   /* borrowed from lic */
    int trial;
} sl_provision_step;
#define SL_PROVISION_TIERS 2
sl_rc sl__provision_plan(sl_store *st, const sl_license *lic, int32_t today,
                         sl_provision_step plan[SL_PROVISION_TIERS], sl_error *err);
/* Provisioning from the license current on `today`, inside the caller's
 * write transaction; writes only what changed (with audit lines). */
sl_rc sl__provision(sl_store *st, int32_t today, int64_t now_ms, sl_error *err);

/* ---- clean-up (seats/cleanup.c) --------------------------------------- */

/* The clean-up of add-ons.md on `today`, in its order, inside the caller's
 * write transaction; each removal goes into the seat history (actor
 * "system").  *removed counts them (may be NULL). */
typedef struct sl_seat_removal {
    int64_t purchase_id;
    const char *add_on;
    const char *user_id;
    const char *username;
    const char *reason;       /* ineligible | overage | expired */
} sl_seat_removal;
sl_rc sl__seats_cleanup(sl_store *st, int32_t today, int64_t now_ms,
                        void (*each)(void *ud, const sl_seat_removal *r), void *ud,
                        int64_t *removed, sl_error *err);

/* ---- add-on snapshots (seats/addon_snapshots.c) ----------------------- */

/* One add-on snapshot per active purchase on `today`, tied to billable
 * snapshot `snapshot_id`, inside the caller's write transaction. */
sl_rc sl__addon_snapshots_record(sl_store *st, int64_t snapshot_id, int64_t now_ms,
                                 int32_t today, sl_error *err);

#endif /* SL_SEATS_INTERNAL_H */
