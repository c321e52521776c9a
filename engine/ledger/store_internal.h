/*
 * ledger/store_internal.h - the store's insides for the ledger modules: the
 * SQLite connection, the statement and read caches, transactions and the
 * audit log.  Nothing above the ledger (the CLI, the server) sees it.
 */
#ifndef SL_STORE_INTERNAL_H
#define SL_STORE_INTERNAL_H

#include "core/internal.h"

#include <sqlite3.h>

/* ---- the store --------------------------------------------------------- */

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
    int read_depth;             /* sl_store_read_begin() calls not yet ended */
    int read_owned;             /* ... and the outermost one began a transaction */
    int read_checked;           /* the read cache was checked in this read scope */
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
        /* the row of the token checked last (tokens.c) */
        int token_known;
        char token_hash[65];    /* its secret's SHA-256, hex */
        int token_admin, token_revoked;
        int32_t token_expires;
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

#endif /* SL_STORE_INTERNAL_H */
