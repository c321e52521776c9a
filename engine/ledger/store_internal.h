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
/* statements of the hash chain (ledger/chain.c), kept apart from the LRU
 * cache because a walk holds several at once */
#define SL_CHAIN_STMTS 32
#define SL_CACHE_SLOTS 64       /* entitlements and projects cached per connection */
#define SL_CACHE_KEY_MAX 127    /* bytes of a user id or path that is cached */

/* The change being recorded inside the store's write transaction
 * (ledger/events.c): every row it appends carries at_ms. */
typedef struct sl_event {
    int active;          /* begun and not yet committed or rolled back */
    int64_t at_ms;       /* the clock, read once under the write lock */
    int has_latest;      /* the ledger had recorded something before */
    int64_t latest_ms;   /* its latest time then */
    int flags;           /* SL__EVENT_* of sl__event_begin */
    /* the chain's head as this event left it (ledger/chain.c): checked
     * once, at the event's first append */
    int chain_ready;
    int64_t chain_position;
    unsigned char chain_hash[32];
    int64_t next_id[8];  /* of each chained table (SL__CHAIN_TABLES) */
} sl_event;

struct sl__chain_digest;

struct sl_store {
    sqlite3 *db;
    char *path;
    struct {
        const char *sql;        /* identity: the string literal's address */
        sqlite3_stmt *stmt;
    } stmts[SL_STMT_CACHE];
    int nstmts;
    int in_txn;
    sl_event event;             /* valid while in_txn, once begun */
    sl_keyring *keyring;        /* cached trusted keys */
    sqlite3_stmt *chain_stmts[SL_CHAIN_STMTS];  /* finalized at close */
    struct sl__chain_digest *chain_digest;      /* made on first use (chain.c) */
    int chain_off;              /* benchmarks' anchor only (sl__chain_disable) */
    int64_t keyring_version;    /* data_version when cached; -1 = stale */
    int64_t commits;            /* own commits (data_version ignores them) */
    uint64_t serial;            /* this connection among the process's (stamps) */
    /* Cached answers of the read path (API hot path), valid while
     * (data_version, commits, today) are unchanged. */
    struct {
        int64_t data_version;
        int64_t commits;
        int32_t clock_date;     /* sl_clock_today() when validated */
        int today_known;
        int32_t today;          /* clock-safe today for that state */
        int latest_known;
        int latest_found;       /* the ledger has recorded something */
        int64_t latest_ms;      /* the ledger's latest time (ledger/today.c) */
        int valid;
        int64_t current_id;     /* 0 = none */
        int64_t entity_id;      /* id of the cached entity, 0 = none */
        int entity_active;      /* with active_users */
        char *entity_json;
        /* modules above the store keep their own cached answers here,
         * released with their free function (the store does not know them) */
        void *history;          /* license_history.c's list */
        void (*history_free)(void *history);
        /* the Code Suggestions hot path: recent entitlement verdicts and
         * project answers (direct-mapped; keys longer than the slot are not
         * cached) */
        struct {
            char user_id[SL_CACHE_KEY_MAX + 1];   /* "" = empty slot */
            sl_entitlement e;
        } ent[SL_CACHE_SLOTS];
        struct {
            char path[SL_CACHE_KEY_MAX + 1];
            sl_rc rc;           /* SL_OK or SL_ENOTFOUND */
            int enabled;
        } proj[SL_CACHE_SLOTS];
    } cache;
    /* The instance identity (instance.c), read once: it never changes but
     * for the JWT key, which is made once and then kept too. */
    struct {
        int loaded;
        char uuid[SL_INSTANCE_UUID_LEN + 1];
        char salt[65];
        char *jwt_private_pem;  /* NULL until made; cleansed when freed */
        char kid[17];           /* first 16 hex of the JWT key's SPKI SHA-256 */
    } instance;
};

/* Empty the read cache (with the modules' own cached answers). */
void sl__cache_clear(sl_store *st);

/* Create the instance identity (UUID, salt, Ed25519 pair) when the ledger
 * has none; run by the migrations inside their transaction, on the raw
 * connection (ledger/instance_keys.c). */
sl_rc sl__instance_create(sqlite3 *db, sl_error *err);

/* The slot of a cache key (FNV-1a), SL_CACHE_SLOTS of them; -1 when the key
 * is too long to be cached. */
int sl__cache_slot(const char *key);

/* Is the read cache still valid for this clock date (no commit anywhere
 * since it was filled)?  If not it is emptied and keyed anew, and the
 * callers fill what they know.  Called by ledger/today.c only: after
 * sl__ledger_today() the cache fields are valid for the ledger as it is. */
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
/* The source named `name` by sl_source_name() (SL_SOURCE_CLI for any other). */
sl_source sl__source_from_name(const char *name);
/* Bind helpers: NULL string binds SQL NULL. */
int sl__bind_text(sqlite3_stmt *s, int i, const char *v);

#endif /* SL_STORE_INTERNAL_H */
