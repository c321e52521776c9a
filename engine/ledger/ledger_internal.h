/*
 * ledger/ledger_internal.h - the seams between the ledger modules, listed
 * bottom-up: a module may call only the sections above its own (checked by
 * tests/check_layering.py).  The rules are written over plain values where
 * they can be, so unit tests drive them without a stored license.
 */
#ifndef SL_LEDGER_INTERNAL_H
#define SL_LEDGER_INTERNAL_H

#include "ledger/store_internal.h"
#include "ledger/chain_format.h"

/* ---- counts in words (ledger/count_format.c) ------------------------- */

/* "1 user", "0 users", "1,234 users" into buf (at least 40 bytes). */
char *sl__count_users(int64_t n, char *buf, size_t size);

/* ---- the ledger's latest, now and today (ledger/today.c) --------------- */

/* The newest snapshot: *found is 0 (and *ms, *count 0) when there is none. */
sl_rc sl__ledger_newest_snapshot(sl_store *st, int *found, int64_t *ms, int64_t *count,
                                 sl_error *err);
/* recorded_at of the newest snapshot, 0 when none. */
sl_rc sl__ledger_newest(sl_store *st, int64_t *out_ms, int64_t *out_count,
                        sl_error *err);

/* The latest clock recovery (clock_events), all zero when there is none. */
typedef struct sl__recovery {
    int found;
    int64_t id, at_ms, latest_before_ms;
    /* watermarks: rows up to these ids were recorded before the recovery */
    int64_t audit_id, snapshot_id, license_id, token_id, key_id;
} sl__recovery;
sl_rc sl__clock_recovery_last(sl_store *st, sl__recovery *out, sl_error *err);

/* The ledger's latest: the newest time recorded in any table (the audit
 * log, snapshots, licenses, tokens created and revoked, trusted keys, clock
 * events), counting after the latest recovery only the rows recorded after
 * it, and the recovery's own time.  *found is 0 on a ledger that has
 * recorded nothing.  `cached`: through the read cache (read paths); write
 * paths read afresh under their write lock. */
sl_rc sl__ledger_latest(sl_store *st, int cached, int *found, int64_t *out_ms,
                        sl_error *err);
/* max(clock now, the ledger's latest): "now" that never runs behind it. */
sl_rc sl__ledger_now(sl_store *st, int64_t *out_ms, sl_error *err);
/* Clock-safe today: the date of sl__ledger_now(), cached with the read
 * cache. */
sl_rc sl__ledger_today(sl_store *st, int32_t *out, sl_error *err);

/* ---- the hash chain at work (ledger/chain.c) ---------------------------- */

/* A range of acknowledged breaks (a chain_breaks row): kind as
 * sl_chain_break_kind; rows first..last of table tbl, or chain positions
 * first..last for SL_CHAIN_MISSING (tbl 0). */
typedef struct sl__chain_ack {
    int kind;
    int tbl;
    int64_t first, last;
    int64_t at;            /* when it was acknowledged */
} sl__chain_ack;

/* A walk over chain entries: recomputes each entry from its row and the
 * entry before and reports the breaks.  Set the options after
 * sl__chain_walk_begin; free with sl__chain_walk_free. */
typedef struct sl__chain_walk {
    sl_store *st;
    sl__chain_digest *digest;      /* the store's */
    /* options */
    int slice;            /* a slice of the chain: each table read from the
                           * first row the slice names, not the rows after
                           * its last (the whole chain: every row of every
                           * table, so rows no entry names are found too) */
    int stop_on_break;    /* SL_ETAMPERED at the first unacknowledged break */
    int collect;          /* gather unacknowledged breaks as ranges in found */
    sl_chain_verdict *verdict;     /* counted and listed here (may be NULL) */
    /* called for every entry (may be NULL): digest is NULL when the row is
     * gone or the entry names no chained table; restart is NULL when the
     * entry's link verified, else the hash the walk continues from (NULL
     * too when the entry's own hash is unreadable: then the next entry's
     * is).  Non-zero stops. */
    int (*on_entry)(void *ud, int64_t pos, int code, int64_t row_id, int64_t at,
                    const unsigned char *digest, const unsigned char *restart);
    /* called for chain positions first..last that are gone (may be NULL) */
    int (*on_missing)(void *ud, int64_t first, int64_t last);
    void *ud;
    /* results */
    int stopped;                   /* a callback stopped the walk */
    int64_t head_position;         /* the last entry walked */
    unsigned char head_hash[SL__CHAIN_HASH_LEN];  /* the hash the walk stands on */
    sl__chain_ack *found;          /* collect: the ranges, in the order found */
    size_t nfound, capfound;
    /* inside */
    unsigned char prev[SL__CHAIN_HASH_LEN];
    int restart;
    unsigned char alt[SL__CHAIN_HASH_LEN];  /* the hash a mismatched entry's row gave */
    int has_alt;
    sl__chain_ack *acks;           /* acknowledged, sorted */
    size_t nacks, capacks;
    size_t found_last[4][SL__CHAIN_TABLES + 2];
    struct {
        sqlite3_stmt *s;
        int has_row;
        int64_t id;
    } cur[SL__CHAIN_TABLES];
} sl__chain_walk;

sl_rc sl__chain_walk_begin(sl_store *st, sl__chain_walk *w, sl_error *err);
/* Walk chain positions from..to (the entry before `from` gives the
 * previous hash).  Breaks go to on_break's rules above; SL_ETAMPERED with
 * stop_on_break. */
sl_rc sl__chain_walk_range(sl__chain_walk *w, int64_t from, int64_t to, sl_error *err);
void sl__chain_walk_free(sl__chain_walk *w);

/* The chain's last entry: position 0 and a zero hash when empty. */
sl_rc sl__chain_head(sl_store *st, int64_t *position, unsigned char hash[SL__CHAIN_HASH_LEN],
                     sl_error *err);
/* The check before the current event's first append, once per event
 * (unless it is an acknowledgement, SL__EVENT_CHAIN_ANY): the head's link,
 * every chained table's newest row against its newest entry, and the next
 * SL_CHAIN_RECHECK_ROWS entries of the rolling re-verification; SL_ETAMPERED
 * at an unacknowledged break.  Leaves the head in st->event. */
sl_rc sl__chain_check(sl_store *st, sl_error *err);
/* The chained table an INSERT `sql` appends to: *out NULL for the tables
 * whose rows change later and so are not chained (licenses, tokens,
 * trusted keys); SL_EINTERNAL for any other table. */
sl_rc sl__chain_table_of(const char *sql, const sl__chain_table **out, sl_error *err);
/* The id a new row of t gets: above every id of the table and every id
 * the chain names for it (a deleted row's id is never handed out again). */
sl_rc sl__chain_next_id(sl_store *st, const sl__chain_table *t, int64_t *out, sl_error *err);
/* Chain every row of t with an id above after_id (what the current
 * event's INSERT just appended), in id order, onto the event's head. */
sl_rc sl__chain_append(sl_store *st, const sl__chain_table *t, int64_t after_id,
                       sl_error *err);
/* The benchmarks' anchor: this store appends without chaining. */
void sl__chain_disable(sl_store *st);

/* ---- events: the one way into the record (ledger/events.c) ------------- */

/* One value of an appended row, bound in order. */
typedef enum sl__vtype { SL__V_NULL, SL__V_INT, SL__V_TEXT, SL__V_AT, SL__V_ID } sl__vtype;
typedef struct sl__value {
    sl__vtype type;
    int64_t i;
    const char *s;   /* SL__V_TEXT: borrowed, copied when bound */
    int len;         /* bytes of s, -1 up to its NUL */
} sl__value;
static inline sl__value sl__v_text(const char *s)
{
    return (sl__value){s ? SL__V_TEXT : SL__V_NULL, 0, s, -1};
}
#define SL__INT(x) ((sl__value){SL__V_INT, (x), NULL, 0})
#define SL__NULL ((sl__value){SL__V_NULL, 0, NULL, 0})
/* text up to its NUL; NULL binds SQL NULL */
#define SL__TEXT(x) sl__v_text(x)
#define SL__TEXTN(x, n) ((sl__value){SL__V_TEXT, 0, (x), (int)(n)})
/* the event's own time */
#define SL__AT ((sl__value){SL__V_AT, 0, NULL, 0})
/* the new row's id in a chained table, chosen by the funnel: never one the
 * chain has named before, even after a row was deleted (a multi-row INSERT
 * numbers its rows from it) */
#define SL__ID ((sl__value){SL__V_ID, 0, NULL, 0})

#define SL__EVENT_CONFIRMED 0x1  /* the admin confirmed the clock: no bound ahead */
#define SL__EVENT_RECOVER   0x2  /* a clock recovery: may lie before the latest */
#define SL__EVENT_CHAIN_ANY 0x4  /* an admin's acknowledgement (of the clock, of a
                                  * break): appended even onto a broken chain */

/* Start the event of the store's write transaction (right after sl__begin,
 * by whoever began it): read the clock and refuse, with SL_ECLOCK and
 * nothing written, a time before the ledger's latest or more than
 * SL_CLOCK_AHEAD_MAX_DAYS after it (unless `flags` allow it).  The event
 * ends with the transaction. */
sl_rc sl__event_begin(sl_store *st, int flags, sl_error *err);
/* The time of the store's current event (0 when none is active). */
int64_t sl__event_at(const sl_store *st);
/* Append rows to an append-only table for the current event: `sql` is an
 * INSERT string literal whose parameters take `vals` in order (SL__AT binds
 * the event's time; an INSERT into a chained table names its id column and
 * binds it to SL__ID, exactly once).  Every append goes through here, and only inside an
 * event (SL_EINTERNAL otherwise).  `what` prefixes a storage error;
 * *out_rowid (may be NULL) receives the last new row's id. */
sl_rc sl__event_append(sl_store *st, const char *sql, const sl__value *vals, int nvals,
                       const char *what, int64_t *out_rowid, sl_error *err);
/* An audit line: for the current event inside a transaction, else an event
 * of its own in its own transaction.  license_id <= 0 means none. */
sl_rc sl__audit(sl_store *st, const char *action, int64_t license_id,
                const char *outcome, const char *detail, sl_error *err);
/* An event that runs the prepared, bound single-row change `s` (a DELETE
 * or UPDATE) with its audit line, in its own transaction; SL_ENOTFOUND with
 * the message `notfound` when it changed no row (then nothing is written). */
sl_rc sl__change_one(sl_store *st, sqlite3_stmt *s, const char *action, int64_t license_id,
                     const char *detail, const char *notfound, sl_error *err);

/* ---- which license is current (ledger/current_license.c) --------------- */

/* The license access of the ledger rules: today is the clock-safe today.
 * *out is NULL (and SL_OK) when there is no current license. */
sl_rc sl__license_current(sl_store *st, int32_t today, sl_license **out,
                          int64_t *out_id, sl_error *err);

/* ---- tabular imports (ledger/table_import.c) --------------------------- */

#define SL__TABLE_COLS_MAX 16   /* columns of an importable table */
#define SL__QUOTE_MAX 64        /* bytes of a bad value shown in a message */

/* One value of a row; p is borrowed and need not be NUL-terminated. */
typedef struct sl__field {
    const char *p;
    size_t len;
    bool present;
} sl__field;

typedef struct sl__table_reader sl__table_reader;

/* What to read: the column names (CSV header names, JSON Lines keys; an
 * unknown one is refused), those that must have a value in every row, the
 * columns that take JSON integers or booleans besides strings (bit c for
 * column c), and the row callback.  Every value has been checked for size
 * (SL_USER_FIELD_MAX), NUL bytes and UTF-8 and the required ones for
 * presence when `row` is called; it refuses a row with sl__table_fail(). */
typedef struct sl__table {
    const char *const *cols;
    int ncols;
    const int *required;
    size_t nrequired;
    unsigned json_int_cols, json_bool_cols;
    const char *what;           /* "user": "cannot read the user file: ..." */
    const char *nothing;        /* "no users": "empty input: no users" */
    void (*row)(void *ud, sl__table_reader *r, int64_t line, const sl__field *vals);
    void *ud;
} sl__table;

/* Read `in` (streamed; BOM skipped), calling t->row for each record.  Stops
 * at the first failure, whose message is "line N: <why>". */
sl_rc sl__table_read(const sl__table *t, FILE *in, sl_user_format format,
                     uint64_t total_bytes, sl_progress_fn progress, void *progress_ud,
                     sl_error *err);
/* Refuse the row: the reader stops with "line N: <message>". */
sl_rc sl__table_fail(sl__table_reader *r, int64_t line, sl_rc code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Stop with the store's last SQLite error: "<what>: <sqlite message>". */
sl_rc sl__table_fail_db(sl__table_reader *r, sl_store *st, const char *what);
/* A bad value fit for a one-line message (cut, control bytes as '?'). */
const char *sl__table_quote(const char *p, size_t n, char out[SL__QUOTE_MAX + 4]);
/* true/false/yes/no/1/0 (any case): 1 or 0; empty or absent 0; else -1. */
int sl__table_bool(const sl__field *f);

/* ---- instance settings (ledger/settings.c) ---------------------------- */

/* One setting's value (its default, on, when never set) and lock. */
sl_rc sl__setting_get(sl_store *st, sl_setting which, int *value, int *locked,
                      sl_error *err);

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

/* Figures of the license entity for one license (ledger-rules.md); the
 * struct is public (seatledger.h, sl_store_license_figures). */
sl_rc sl__ledger_figures(sl_store *st, const sl_license *lic, int32_t today,
                         sl_license_figures *out, sl_error *err);
/* sl__ledger_figures over decoded attributes: `expired` is the license's
 * expiry state on the clock-safe today. */
sl_rc sl__ledger_figures_info(sl_store *st, const sl_license_info *inf, int expired,
                              sl_license_figures *out, sl_error *err);

/* The ledger's step of a refresh, inside the caller's write transaction
 * and its event (the refresh itself, with the add-on steps after this one,
 * is sl_store_refresh in ops/refresh.c, which began the event and so ran
 * the clock check): the billable count under the current license's plan at
 * the event's time, the snapshot and its audit line.  Fills *out. */
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
 * transaction and its event: forged-key check (key_fingerprints), the add
 * checks (what they looked at into `fig`, may be NULL; fig->billable_now
 * stays SL_COUNT_NONE when they did not run), expiry on the event's date,
 * the row, its key fingerprints and its audit line.  (sl_store_license_add
 * in ops/license_ops.c begins the event, runs it and then the add-on
 * provisioning in one transaction.) */
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
 * transaction and its event; SL_ENOTFOUND "no license with id N".  Its key
 * fingerprints stay. */
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

/* ---- the instance's report key (ledger/instance.c) ------------------- */

#define SL__REPORT_SIG_LEN 64   /* an Ed25519 signature */

/* Sign `msg` with the instance's Ed25519 key (which never leaves the
 * engine); key_sha256 receives the hex SHA-256 of its public SPKI. */
sl_rc sl__instance_sign_report(sl_store *st, const char *msg, size_t len,
                               unsigned char sig[SL__REPORT_SIG_LEN],
                               char key_sha256[SL_CHAIN_HASH_HEX], sl_error *err);

#endif /* SL_LEDGER_INTERNAL_H */
