/*
 * internal.h - what engine modules share with each other but not with the
 * CLI or the server: the store's insides, error helpers, bounded buffers,
 * JSON loading with limits, and the cross-module functions of the ledger.
 */
#ifndef SL_INTERNAL_H
#define SL_INTERNAL_H

#include "seatledger.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>

/* ---- errors ------------------------------------------------------------ */

/* Fill err (may be NULL) and return code. printf-style. */
sl_rc sl__err(sl_error *err, sl_rc code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prefix an existing message: "prefix: old message". */
void sl__err_prefix(sl_error *err, const char *prefix);

/* ---- memory ------------------------------------------------------------ */

char *sl__strdup(const char *s);
char *sl__strndup(const char *s, size_t n);

/* A growable byte buffer with a hard cap; going over the cap is SL_ETOOBIG,
 * never a silent truncation.  data is always NUL-terminated. */
typedef struct sl_buf {
    char *data;
    size_t len;
    size_t cap;     /* allocated */
    size_t limit;   /* hard cap on len; 0 = SIZE_MAX */
} sl_buf;

void sl__buf_init(sl_buf *b, size_t limit);
sl_rc sl__buf_append(sl_buf *b, const void *p, size_t n);
sl_rc sl__buf_printf(sl_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Hand the data to the caller (caller frees with sl_free); buffer reset. */
char *sl__buf_take(sl_buf *b);
void sl__buf_free(sl_buf *b);

/* ---- JSON -------------------------------------------------------------- */

/* Nesting depth of JSON text (brackets outside strings) is <= max. */
bool sl__json_depth_ok(const char *s, size_t len, int max_depth);
/* Load JSON text with the engine's limits (SL_JSON_DEPTH_MAX, len cap given
 * by the caller).  On failure: SL_EINVAL "<layer>: <why>". */
sl_rc sl__json_load(const char *s, size_t len, size_t max_len,
                    const char *layer, json_t **out, sl_error *err);
/* json_dumps with the engine's flags (compact, UTF-8 raw, keys in
 * insertion order); caller frees with sl_free. */
char *sl__json_dump(const json_t *j);

/* ---- store internals --------------------------------------------------- */

#define SL_STMT_CACHE 64

struct sl_store {
    sqlite3 *db;
    char *path;
    struct {
        const char *sql;        /* identity: the string literal's address */
        sqlite3_stmt *stmt;
    } stmts[SL_STMT_CACHE];
    int nstmts;
    int in_txn;
    sl_keyring *keyring;        /* cached trusted keys */
    int64_t keyring_version;    /* data_version when cached; -1 = stale */
    int64_t commits;            /* own commits (data_version ignores them) */
    /* Cached answers of the read path (API hot path), valid while
     * (data_version, commits, today) are unchanged. */
    struct {
        int64_t data_version;
        int64_t commits;
        int32_t clock_date;     /* sl_clock_today() when validated */
        int32_t today;          /* clock-safe today for that state */
        int valid;
        int64_t current_id;     /* 0 = none */
        int64_t entity_id;      /* id of the cached entity, 0 = none */
        int entity_active;      /* with active_users */
        char *entity_json;
    } cache;
};

/* Is the read cache still valid for this clock date (no commit anywhere
 * since it was filled)?  If not it is emptied and keyed anew, and the caller
 * fills cache.today.  Called by sl__ledger_today() only: after that call the
 * cache fields are valid for the ledger as it is. */
int sl__cache_fresh(sl_store *st, int32_t clock_date);

/* A prepared statement for `sql`, cached for the store's lifetime and reset
 * before it is handed out.  `sql` must be a string literal (cached by
 * address). */
sl_rc sl__stmt(sl_store *st, const char *sql, sqlite3_stmt **out,
               sl_error *err);
/* Map the connection's last SQLite error into err: "<what>: <sqlite msg>". */
sl_rc sl__db_err(sl_store *st, sl_error *err, const char *what);
/* BEGIN IMMEDIATE (waits for the write lock up to the busy timeout). */
sl_rc sl__begin(sl_store *st, sl_error *err);
sl_rc sl__commit(sl_store *st, sl_error *err);
void sl__rollback(sl_store *st);
/* PRAGMA data_version: changes whenever another connection commits. */
int64_t sl__data_version(sl_store *st);
/* Append a line to the audit log (own statement; call inside or outside a
 * transaction).  license_id <= 0 means none. */
sl_rc sl__audit(sl_store *st, const char *action, int64_t license_id,
                const char *outcome, const char *detail, sl_error *err);
/* Run the prepared, bound single-row change `s` in its own transaction
 * with an audit line; SL_ENOTFOUND with the message `notfound` when it
 * changed no row (then nothing is written). */
sl_rc sl__change_one(sl_store *st, sqlite3_stmt *s, const char *action, int64_t license_id,
                     const char *detail, const char *notfound, sl_error *err);
/* Bind helpers: NULL string binds SQL NULL. */
int sl__bind_text(sqlite3_stmt *s, int i, const char *v);

/* ---- licenses (engine/license_store.c) --------------------------------- */

/* The license access of the ledger rules: today is the clock-safe today.
 * *out is NULL (and SL_OK) when there is no current license. */
sl_rc sl__license_current(sl_store *st, int32_t today, sl_license **out,
                          int64_t *out_id, sl_error *err);
/* Remember / read the SHA-256 of the envelope's RSA-wrapped AES key (set by
 * the decoder; absent for licenses built from a stored payload).  A forger
 * who holds one genuine key and the public key can recover its AES key and
 * encrypt any payload under the same wrapped key, so a wrapped key seen
 * before with a different payload marks a forgery. */
void sl__license_set_wrapped_key(sl_license *lic, const unsigned char *wrapped, size_t len);
int sl__license_wrapped_key_hex(const sl_license *lic, char out[65]);
/* The payload as parsed JSON (borrowed). */
const json_t *sl__license_json(const sl_license *lic);

/* ---- users and billable rules (engine/users.c, engine/billable.c) ------ */

/* Billable count under `plan` ("ultimate" or anything else). */
sl_rc sl__users_billable_count(sl_store *st, const char *plan, int64_t *out,
                               sl_error *err);

/* ---- ledger (engine/ledger.c) ------------------------------------------ */

/* recorded_at of the newest snapshot, 0 when none. */
sl_rc sl__ledger_newest(sl_store *st, int64_t *out_ms, int64_t *out_count,
                        sl_error *err);
/* Clock-safe today: max(clock date, date of the newest snapshot). */
sl_rc sl__ledger_today(sl_store *st, int32_t *out, sl_error *err);
/* Largest count with from <= recorded_at <= to; 0 when none. */
sl_rc sl__ledger_historical_max(sl_store *st, int64_t from_ms, int64_t to_ms,
                                int64_t *out, sl_error *err);
/* daily_billable_users_count: newest snapshot, else a live count. */
sl_rc sl__ledger_daily_count(sl_store *st, const char *plan, int64_t *out,
                             sl_error *err);

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

/* The user-count / true-up checks run when adding `lic`, given the current
 * license (NULL when none).  SL_EINVAL with the exact spec message. */
sl_rc sl__add_checks(sl_store *st, const sl_license *lic,
                     const sl_license *current, sl_error *err);

#endif /* SL_INTERNAL_H */
