/*
 * ledger/ledger_internal.h - the seams between the ledger modules, listed
 * bottom-up: a module may call only the sections above its own (checked by
 * tests/check_layering.py).  The rules are written over plain values where
 * they can be, so unit tests drive them without a stored license.
 */
#ifndef SL_LEDGER_INTERNAL_H
#define SL_LEDGER_INTERNAL_H

#include "ledger/store_internal.h"

/* ---- counts in words (ledger/count_format.c) ------------------------- */

/* "1 user", "0 users", "1,234 users" into buf (at least 40 bytes). */
char *sl__count_users(int64_t n, char *buf, size_t size);

/* ---- the ledger's today (ledger/today.c) ------------------------------- */

/* The newest snapshot: *found is 0 (and *ms, *count 0) when there is none. */
sl_rc sl__ledger_newest_snapshot(sl_store *st, int *found, int64_t *ms, int64_t *count,
                                 sl_error *err);
/* recorded_at of the newest snapshot, 0 when none. */
sl_rc sl__ledger_newest(sl_store *st, int64_t *out_ms, int64_t *out_count,
                        sl_error *err);
/* max(clock now, newest snapshot): "now" that never runs behind the ledger. */
sl_rc sl__ledger_now(sl_store *st, int64_t *out_ms, sl_error *err);
/* Clock-safe today: the date of sl__ledger_now(). */
sl_rc sl__ledger_today(sl_store *st, int32_t *out, sl_error *err);

/* ---- which license is current (ledger/current_license.c) --------------- */

/* The license access of the ledger rules: today is the clock-safe today.
 * *out is NULL (and SL_OK) when there is no current license. */
sl_rc sl__license_current(sl_store *st, int32_t today, sl_license **out,
                          int64_t *out_id, sl_error *err);

/* ---- users (ledger/users.c; the rules are in ledger/billable.c) -------- */

/* Billable count under `plan` ("ultimate" or anything else). */
sl_rc sl__users_billable_count(sl_store *st, const char *plan, int64_t *out,
                               sl_error *err);

/* ---- snapshots and figures (ledger/snapshots.c) ------------------------ */

/* Inclusive ms bounds of a day: [d 00:00:00.000, d 23:59:59.999]. */
int64_t sl__day_start_ms(int32_t day);
int64_t sl__day_end_ms(int32_t day);
/* The same instant one calendar year earlier (Feb 29 -> Feb 28). */
int64_t sl__ms_minus_year(int64_t ms);

/* The default historical-max window of a license term: from its start date
 * 00:00:00.000 (or now minus one year) to its expiry date 23:59:59.999 (or
 * now).  Dates may be SL_DATE_NONE. */
void sl__ledger_window(int32_t starts_on, int32_t expires_on, int64_t now_ms,
                       int64_t *from_ms, int64_t *to_ms);

/* overage(n) of ledger-rules.md; seats < 0 means unrestricted (nil). */
int64_t sl__overage(int64_t n, int64_t seats);

/* Figures of the license entity for one license (ledger-rules.md). */
typedef struct sl_license_figures {
    int64_t historical_max;
    int64_t maximum_user_count;
    int64_t overage;
    int64_t user_limit;
    int64_t active_users;   /* daily_billable_users_count */
    int expired;
} sl_license_figures;
sl_rc sl__ledger_figures(sl_store *st, const sl_license *lic, int32_t today,
                         sl_license_figures *out, sl_error *err);
/* sl__ledger_figures over decoded attributes: `expired` is the license's
 * expiry state on the clock-safe today. */
sl_rc sl__ledger_figures_info(sl_store *st, const sl_license_info *inf, int expired,
                              sl_license_figures *out, sl_error *err);

/* The ledger's step of a refresh, inside the caller's write transaction
 * (the refresh itself, with the add-on steps after this one, is
 * sl_store_refresh in ops/refresh.c): the clock check, the billable count
 * under the current license's plan, the snapshot and its audit line.
 * SL_ECLOCK when now is before the newest snapshot.  Fills *out. */
sl_rc sl__ledger_refresh_locked(sl_store *st, sl_source source, sl_snapshot *out,
                                sl_error *err);

/* Largest count with from <= recorded_at <= to; 0 when none. */
sl_rc sl__ledger_historical_max(sl_store *st, int64_t from_ms, int64_t to_ms,
                                int64_t *out, sl_error *err);
/* daily_billable_users_count: newest snapshot, else a live count. */
sl_rc sl__ledger_daily_count(sl_store *st, const char *plan, int64_t *out,
                             sl_error *err);

/* ---- checks before a license is added (ledger/add_checks.c) ------------ */

/* What the add checks looked at: counts are SL_COUNT_NONE and dates
 * SL_DATE_NONE where a check did not get that far or does not apply. */
typedef struct sl_add_figures {
    int64_t billable_now;     /* what a refresh would record now (current plan) */
    int64_t seats;            /* the key's active_user_count */
    int64_t seats_allowed;    /* seats plus 10%: the most users the key takes */
    int32_t prior_from;       /* the prior period (or true-up period) looked at */
    int32_t prior_to;
    int64_t prior_max;        /* its historical max */
    int64_t prior_seats;      /* the seats of that period the key states */
    int64_t trueup_due;       /* users over them: max(0, prior_max - prior_seats) */
    int64_t trueup_quantity;  /* the true-up the key pays for */
} sl_add_figures;

/* The user-count / true-up checks run when adding `lic`, given the current
 * license (NULL when none).  SL_EINVAL with the exact spec message.  `fig`
 * (may be NULL) receives what they looked at, also when they refuse. */
sl_rc sl__add_checks(sl_store *st, const sl_license *lic,
                     const sl_license *current, sl_add_figures *fig, sl_error *err);
/* sl__add_checks over decoded attributes; current may be NULL. */
sl_rc sl__add_checks_info(sl_store *st, const sl_license_info *lic,
                          const sl_license_info *current, sl_error *err);

/* ---- adding and deleting licenses (ledger/license_store.c) ------------ */

/* The first step of adding a key, outside any transaction: the size limit,
 * decoding with the trusted keys and validity.  SL_EINVAL with the
 * user-facing message of sl_store_license_add.  Caller frees *out, which
 * also holds a key that decoded but is invalid. */
sl_rc sl__license_decode_trusted(sl_store *st, const char *text, size_t len,
                                 sl_license **out, sl_error *err);
/* The ledger's step of adding the decoded `lic`, inside the caller's write
 * transaction: forged-key check, the add checks (what they looked at into
 * `fig`, may be NULL; fig->billable_now stays SL_COUNT_NONE when they did
 * not run), expiry, the row and its audit line.  (sl_store_license_add in
 * ops/license_ops.c runs it and then the add-on provisioning in one
 * transaction.) */
sl_rc sl__license_add_locked(sl_store *st, const char *text, size_t len,
                             const sl_license *lic, sl_source source, int64_t *out_id,
                             sl_add_figures *fig, sl_error *err);
/* What the dry run reads inside its transaction after the add's step,
 * before rolling back: the license entity of `id` as the add would return
 * it, without "id" (caller decrefs), and whether it would be current. */
sl_rc sl__license_dry_run_read(sl_store *st, int64_t id, const sl_license *lic,
                               json_t **out_entity, int *out_current, sl_error *err);
/* The dry run's report (sl_store_license_check): `lic` the decoded key or
 * NULL, `refusal` the add's message or NULL when it would succeed, `fig`
 * what the add checks looked at (may be NULL), `entity_json` the license as
 * the add would return it (may be NULL), `add_ons` the seat figures (may be
 * NULL: "add_ons":null).  Caller frees *out_json. */
sl_rc sl__license_check_json(const sl_license *lic, const char *refusal,
                             const sl_add_figures *fig, int would_be_current,
                             const json_t *entity_json, const json_t *add_ons,
                             char **out_json, sl_error *err);
/* The ledger's step of deleting license `id` inside the caller's write
 * transaction; SL_ENOTFOUND "no license with id N". */
sl_rc sl__license_delete_locked(sl_store *st, int64_t id, sl_source source, sl_error *err);

/* ---- the usage CSV (ledger/usage_csv.c) ------------------------------ */

/* What the usage CSV says about the license above its rows. */
typedef struct sl_usage_head {
    const char *key_text;      /* stored key text, as received */
    size_t key_len;
    const char *email;         /* NULL: empty cell */
    const char *company;
    int32_t starts_on;         /* SL_DATE_NONE: empty cell */
    int32_t expires_on;
    int64_t generated_at_ms;
} sl_usage_head;

/* The usage CSV for `head`, rows over the window of its term, streamed. */
sl_rc sl__usage_csv_write(sl_store *st, FILE *out, const sl_usage_head *head,
                          sl_error *err);

/* ---- the morning summary (ledger/status.c) ---------------------------- */

/* The ledger's part of `seatledger status` (everything but the add-ons and
 * the notices); *now_ms is the clock-safe now it was computed for.  On
 * failure *out is freed.  (sl_store_status in ops/status.c adds the
 * add-ons and the notices.) */
sl_rc sl__status_fill(sl_store *st, sl_status *out, int64_t *now_ms, sl_error *err);
/* The notices of `seatledger status` from a filled status (everything but
 * the notices) and the clock-safe now; appended to s->notices. */
sl_rc sl__status_notices(sl_status *s, int64_t now_ms, sl_error *err);
/* Append one notice (printf-style) to s->notices. */
sl_rc sl__status_notice(sl_status *s, sl_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The conditions behind the notices, over a filled status, so the
 * notification events (notify/) fire on exactly what `status` reports.
 * Seats: the threshold of ledger-rules.md, used == seats, an overage. */
enum { SL_SEATS_OK, SL_SEATS_THRESHOLD, SL_SEATS_REACHED, SL_SEATS_EXCEEDED };
int sl__status_seat_level(const sl_status *s);
/* Expiry: within the warning window (15 days, 7 for a trial), expired. */
enum { SL_EXPIRY_OK, SL_EXPIRY_SOON, SL_EXPIRY_EXPIRED };
int sl__status_expiry_level(const sl_status *s);
/* No snapshot, or the newest older than two days (the schedule stopped). */
int sl__status_snapshot_stale(const sl_status *s, int64_t now_ms);
/* The sentences of those notices, as `status` prints them (NOTICE_MAX,
 * 256 bytes, holds any). */
void sl__status_seat_sentence(const sl_status *s, int level, char *buf, size_t size);
void sl__status_expiry_sentence(const sl_status *s, char *buf, size_t size);
void sl__status_snapshot_sentence(const sl_status *s, int64_t now_ms, char *buf, size_t size);

#endif /* SL_LEDGER_INTERNAL_H */
