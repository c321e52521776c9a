/*
 * store.c - the SQLite ledger file: opening with safe defaults, numbered
 * migrations from schema/ (embedded at build time), the statement cache,
 * transactions, integrity check and online backup.  Rows are appended
 * (the audit log included) through ledger/events.c.
 */
#include "ledger/store_internal.h"
#include "ledger/chain_format.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BUSY_TIMEOUT_MS 60000

struct sl_migration { const char *name; const char *sql; };
extern const struct sl_migration sl_migrations[];

sl_rc sl_store_default_path(char **out_path, sl_error *err)
{
    const char *db = getenv("SEATLEDGER_DB");
    const char *xdg = getenv("XDG_DATA_HOME");
    const char *home = getenv("HOME");
    sl_buf b;
    *out_path = NULL;
    sl__buf_init(&b, 4096);
    if (db && *db) {
        if (sl__buf_printf(&b, "%s", db) != SL_OK)
            goto toolong;
    } else if (xdg && *xdg) {
        if (sl__buf_printf(&b, "%s/seatledger/ledger.db", xdg) != SL_OK)
            goto toolong;
    } else if (home && *home) {
        if (sl__buf_printf(&b, "%s/.local/share/seatledger/ledger.db", home) != SL_OK)
            goto toolong;
    } else {
        return sl__err(err, SL_EUSAGE,
                       "cannot find the ledger: set --db, SEATLEDGER_DB or HOME");
    }
    *out_path = sl__buf_take(&b);
    return SL_OK;
toolong:
    sl__buf_free(&b);
    return sl__err(err, SL_ETOOBIG, "ledger path is too long");
}

/* mkdir -p of the parent directories of path, mode 0700 for new ones. */
static sl_rc make_parents(const char *path, sl_error *err)
{
    char *dir = sl__strdup(path);
    sl_rc rc = SL_OK;
    if (!dir)
        return sl__err(err, SL_ENOMEM, "out of memory");
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
            rc = sl__err(err, SL_ESTORAGE, "cannot create directory '%s': %s", dir,
                         strerror(errno));
            break;
        }
        *p = '/';
    }
    free(dir);
    return rc;
}

sl_rc sl__db_err(sl_store *st, sl_error *err, const char *what)
{
    int code = sqlite3_errcode(st->db);
    sl_rc rc = SL_ESTORAGE;
    if (code == SQLITE_NOMEM)
        rc = SL_ENOMEM;
    else if (code == SQLITE_TOOBIG)
        rc = SL_ETOOBIG;
    return sl__err(err, rc, "%s: %s", what, sqlite3_errmsg(st->db));
}

/* Like ssh with a private key: a ledger (or a -wal or -shm beside it) that
 * someone else can write is refused, since whoever can write it can insert
 * an admin token or rewrite history.  The owner must be the user running
 * seatledger or root.  Links are followed: their target is what SQLite
 * opens.  A file that does not exist yet passes (SQLite creates the side
 * files with the ledger's mode). */
static sl_rc check_owner_and_mode(const char *path, const char *file, sl_error *err)
{
    struct stat sb;
    uid_t me = geteuid();
    if (stat(file, &sb) != 0)
        return errno == ENOENT ? SL_OK
                               : sl__err(err, SL_ESTORAGE, "cannot open '%s': %s", file,
                                         strerror(errno));
    if (sb.st_mode & (S_IWGRP | S_IWOTH))
        return sl__err(err, SL_ESTORAGE,
                       "cannot open '%s': it is writable by group or others (mode %04o), so "
                       "they can change the ledger; run chmod 600 '%s'",
                       file, (unsigned)(sb.st_mode & 07777), file);
    if (sb.st_uid != me && sb.st_uid != 0)
        return sl__err(err, SL_ESTORAGE,
                       "cannot open '%s': it is owned by uid %u, not by uid %u who runs "
                       "seatledger, so that user can change the ledger; run chown or use "
                       "a copy ('%s' is the ledger)",
                       file, (unsigned)sb.st_uid, (unsigned)me, path);
    return SL_OK;
}

static sl_rc check_files(const char *path, sl_error *err)
{
    static const char *const side[] = {"-wal", "-shm"};
    char name[4096];
    sl_rc rc = check_owner_and_mode(path, path, err);
    for (size_t i = 0; rc == SL_OK && i < sizeof side / sizeof side[0]; i++) {
        if ((size_t)snprintf(name, sizeof name, "%s%s", path, side[i]) >= sizeof name)
            return sl__err(err, SL_ETOOBIG, "ledger path is too long");
        rc = check_owner_and_mode(path, name, err);
    }
    return rc;
}

static sl_rc exec(sl_store *st, const char *sql, const char *what, sl_error *err)
{
    if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return sl__db_err(st, err, what);
    return SL_OK;
}

static sl_rc migrate(sl_store *st, int readonly, sl_error *err)
{
    sqlite3_stmt *s = NULL;
    int version = 0, latest = 0;
    sl_rc rc = SL_OK;
    if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
        return sl__db_err(st, err, "cannot read schema version");
    if (sqlite3_step(s) == SQLITE_ROW)
        version = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    while (sl_migrations[latest].name)
        latest++;
    if (version > latest)
        return sl__err(err, SL_ESTORAGE,
                       "ledger '%s' has schema version %d, newer than this seatledger (%d)",
                       st->path, version, latest);
    if (version == latest)
        return SL_OK;
    if (readonly)
        return sl__err(err, SL_ESTORAGE, "ledger '%s' needs a schema upgrade", st->path);
    rc = sl__begin(st, err);
    if (rc != SL_OK)
        return rc;
    /* re-read under the write lock: another process may have migrated */
    if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK) {
        rc = sl__db_err(st, err, "cannot read schema version");
        goto fail;
    }
    if (sqlite3_step(s) == SQLITE_ROW)
        version = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    for (int i = version; i < latest; i++) {
        char pragma[64];
        if (sqlite3_exec(st->db, sl_migrations[i].sql, NULL, NULL, NULL) != SQLITE_OK) {
            rc = sl__err(err, SL_ESTORAGE, "migration %s failed: %s",
                         sl_migrations[i].name, sqlite3_errmsg(st->db));
            goto fail;
        }
        snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", i + 1);
        rc = exec(st, pragma, "cannot set schema version", err);
        if (rc != SL_OK)
            goto fail;
    }
    /* the identity is part of the ledger: a new ledger and an upgraded one
     * have it from this transaction on */
    rc = sl__instance_create(st->db, err);
    if (rc != SL_OK)
        goto fail;
    /* rows that predate the chain are chained in this same transaction
     * (SQLite has no SHA-256 for the migration to do it) */
    rc = sl__chain_fill(st->db, err);
    if (rc != SL_OK)
        goto fail;
    return sl__commit(st, err);
fail:
    sl__rollback(st);
    return rc;
}

/* Numbers the connections of the process, so a stamp never matches a
 * connection opened later at the same address. */
static atomic_uint_fast64_t store_serials;

sl_rc sl_store_open(const char *path, int flags, sl_store **out, sl_error *err)
{
    sl_store *st = NULL;
    sl_rc rc = SL_OK;
    int readonly = flags & SL_STORE_READONLY;
    int oflags = readonly ? SQLITE_OPEN_READONLY
                          : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    *out = NULL;
    if (!path || !*path)
        return sl__err(err, SL_EUSAGE, "no ledger path given");
    if (!readonly) {
        int fd;
        rc = make_parents(path, err);
        if (rc != SL_OK)
            return rc;
        /* Create the file ourselves so it is 0600 from the first byte, but
         * only when it does not exist: closing any descriptor of a file drops
         * every POSIX lock this process holds on it, including the locks of
         * SQLite connections already open on the same ledger (the server has
         * one per thread), after which another process may delete the WAL
         * under them. */
        fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0)
            close(fd);
        else if (errno != EEXIST)
            return sl__err(err, errno == ENOENT ? SL_ENOTFOUND : SL_ESTORAGE,
                           "cannot open '%s': %s", path, strerror(errno));
        else if (access(path, R_OK | W_OK) != 0)
            return sl__err(err, SL_ESTORAGE, "cannot open '%s': %s", path, strerror(errno));
    } else if (access(path, R_OK) != 0) {
        return sl__err(err, errno == ENOENT ? SL_ENOTFOUND : SL_ESTORAGE,
                       "cannot open '%s': %s", path, strerror(errno));
    }
    rc = check_files(path, err);
    if (rc != SL_OK)
        return rc;
    st = calloc(1, sizeof *st);
    if (!st)
        return sl__err(err, SL_ENOMEM, "out of memory");
    st->keyring_version = -1;
    st->serial = atomic_fetch_add(&store_serials, 1) + 1;
    st->path = sl__strdup(path);
    if (!st->path) {
        rc = sl__err(err, SL_ENOMEM, "out of memory");
        goto fail;
    }
    if (sqlite3_open_v2(path, &st->db, oflags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        rc = sl__err(err, SL_ESTORAGE, "cannot open '%s': %s", path,
                     st->db ? sqlite3_errmsg(st->db) : "out of memory");
        goto fail;
    }
    sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
    sqlite3_extended_result_codes(st->db, 0);
    if (!readonly) {
        rc = exec(st, "PRAGMA journal_mode=WAL", "cannot enable WAL", err);
        if (rc != SL_OK) {
            sl__err_prefix(err, path);
            goto fail;
        }
    }
    rc = exec(st, "PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL",
              "cannot configure the ledger", err);
    if (rc != SL_OK)
        goto fail;
    rc = migrate(st, readonly, err);
    if (rc != SL_OK)
        goto fail;
    *out = st;
    return SL_OK;
fail:
    sl_store_close(st);
    return rc;
}

void sl_store_close(sl_store *st)
{
    if (!st)
        return;
    for (int i = 0; i < st->nstmts; i++)
        sqlite3_finalize(st->stmts[i].stmt);
    for (int i = 0; i < SL_CHAIN_STMTS; i++)
        sqlite3_finalize(st->chain_stmts[i]);
    sl__chain_digest_free(st->chain_digest);
    free(st->chain_digest);
    sl_keyring_free(st->keyring);
    sl__cache_clear(st);
    if (st->instance.jwt_private_pem) {
        OPENSSL_cleanse(st->instance.jwt_private_pem, strlen(st->instance.jwt_private_pem));
        free(st->instance.jwt_private_pem);
    }
    sqlite3_close_v2(st->db);
    free(st->path);
    free(st);
}

const char *sl_store_path(const sl_store *st) { return st->path; }

sl_rc sl__stmt(sl_store *st, const char *sql, sqlite3_stmt **out, sl_error *err)
{
    sqlite3_stmt *s = NULL;
    *out = NULL;
    for (int i = 0; i < st->nstmts; i++) {
        if (st->stmts[i].sql == sql) {
            sqlite3_reset(st->stmts[i].stmt);
            sqlite3_clear_bindings(st->stmts[i].stmt);
            *out = st->stmts[i].stmt;
            return SL_OK;
        }
    }
    if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK)
        return sl__db_err(st, err, "cannot prepare a query");
    /* cache full: evict the oldest (statements are cheap to re-prepare) */
    if (st->nstmts == SL_STMT_CACHE) {
        sqlite3_finalize(st->stmts[0].stmt);
        memmove(&st->stmts[0], &st->stmts[1], sizeof st->stmts[0] * (SL_STMT_CACHE - 1));
        st->nstmts--;
    }
    st->stmts[st->nstmts].sql = sql;
    st->stmts[st->nstmts].stmt = s;
    st->nstmts++;
    *out = s;
    return SL_OK;
}

sl_rc sl__begin(sl_store *st, sl_error *err)
{
    if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return sl__db_err(st, err, "cannot start a transaction");
    st->in_txn = 1;
    return SL_OK;
}

sl_rc sl__commit(sl_store *st, sl_error *err)
{
    if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        sl_rc rc = sl__db_err(st, err, "cannot commit");
        sl__rollback(st);
        return rc;
    }
    st->in_txn = 0;
    st->event.active = 0;
    st->commits++;
    return SL_OK;
}

sl_rc sl_store_stamp_get(sl_store *st, sl_store_stamp *out, sl_error *err)
{
    memset(out, 0, sizeof *out);
    out->connection = st->serial;
    out->data_version = sl__data_version(st);
    out->commits = st->commits;
    out->date = sl_clock_today();
    if (out->data_version < 0)
        return sl__db_err(st, err, "cannot read the ledger's version");
    return SL_OK;
}

int sl_store_stamp_equal(const sl_store_stamp *a, const sl_store_stamp *b)
{
    return a->connection == b->connection && a->data_version == b->data_version &&
           a->commits == b->commits && a->date == b->date;
}

void sl__cache_clear(sl_store *st)
{
    free(st->cache.entity_json);
    if (st->cache.history_free)
        st->cache.history_free(st->cache.history);
    memset(&st->cache, 0, sizeof st->cache);
}

int sl__cache_slot(const char *key)
{
    uint64_t h = 1469598103934665603ULL;
    size_t n = 0;
    for (const char *p = key; *p; p++, n++) {
        if (n >= SL_CACHE_KEY_MAX)
            return -1;
        h ^= (unsigned char)*p;
        h *= 1099511628211ULL;
    }
    return (int)(h % SL_CACHE_SLOTS);
}

int sl__cache_fresh(sl_store *st, int32_t clock_date)
{
    int64_t dv = sl__data_version(st);
    if (st->cache.valid && st->cache.data_version == dv && st->cache.commits == st->commits &&
        st->cache.clock_date == clock_date)
        return 1;
    sl__cache_clear(st);
    st->cache.data_version = dv;
    st->cache.commits = st->commits;
    st->cache.clock_date = clock_date;
    st->cache.valid = 1;
    st->cache.current_id = -1;   /* not yet known */
    return 0;
}

void sl__rollback(sl_store *st)
{
    if (!sqlite3_get_autocommit(st->db))
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    st->in_txn = 0;
    st->event.active = 0;
    /* what was read inside the transaction may be gone (the dry run reads
     * its own uncommitted rows) */
    st->cache.valid = 0;
}

int64_t sl__data_version(sl_store *st)
{
    sqlite3_stmt *s;
    int64_t v = -1;
    if (sl__stmt(st, "PRAGMA data_version", &s, NULL) != SL_OK)
        return -1;
    if (sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return v;
}

int sl__bind_text(sqlite3_stmt *s, int i, const char *v)
{
    return v ? sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(s, i);
}

sl_rc sl_store_check(sl_store *st, sl_error *err)
{
    sqlite3_stmt *s = NULL;
    sl_rc rc = SL_OK;
    if (sqlite3_prepare_v2(st->db, "PRAGMA integrity_check", -1, &s, NULL) != SQLITE_OK)
        return sl__db_err(st, err, "cannot check the ledger");
    if (sqlite3_step(s) != SQLITE_ROW)
        rc = sl__db_err(st, err, "cannot check the ledger");
    else if (strcmp((const char *)sqlite3_column_text(s, 0), "ok") != 0)
        rc = sl__err(err, SL_ESTORAGE, "ledger '%s' is damaged: %s", st->path,
                     (const char *)sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    return rc;
}

sl_rc sl_store_backup(sl_store *st, const char *dest_path, sl_error *err)
{
    sqlite3 *dst = NULL;
    sqlite3_backup *b;
    sl_rc rc = SL_OK;
    const char *role = sl_path_ledger_role(st->path, dest_path);
    int fd;
    if (role)
        return sl__err(err, SL_EINVAL, "cannot back up to '%s': it is %s", dest_path, role);
    fd = open(dest_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return sl__err(err, errno == EEXIST ? SL_EEXIST : SL_ESTORAGE,
                       "cannot create '%s': %s", dest_path, strerror(errno));
    close(fd);
    if (sqlite3_open_v2(dest_path, &dst, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        rc = sl__err(err, SL_ESTORAGE, "cannot open '%s': %s", dest_path,
                     dst ? sqlite3_errmsg(dst) : "out of memory");
        goto done;
    }
    b = sqlite3_backup_init(dst, "main", st->db, "main");
    if (!b) {
        rc = sl__err(err, SL_ESTORAGE, "cannot back up to '%s': %s", dest_path,
                     sqlite3_errmsg(dst));
        goto done;
    }
    /* all pages in one step: a consistent copy even while others write */
    if (sqlite3_backup_step(b, -1) != SQLITE_DONE) {
        rc = sl__err(err, SL_ESTORAGE, "cannot back up to '%s': %s", dest_path,
                     sqlite3_errmsg(dst));
    }
    sqlite3_backup_finish(b);
done:
    sqlite3_close_v2(dst);
    if (rc != SL_OK)
        unlink(dest_path);
    return rc;
}

const char *sl_source_name(sl_source s)
{
    switch (s) {
    case SL_SOURCE_CLI: return "cli";
    case SL_SOURCE_API: return "api";
    case SL_SOURCE_CRON: return "cron";
    case SL_SOURCE_SCHEDULER: return "scheduler";
    }
    return "cli";
}

sl_source sl__source_from_name(const char *name)
{
    static const sl_source all[] = {SL_SOURCE_CLI, SL_SOURCE_API, SL_SOURCE_CRON,
                                    SL_SOURCE_SCHEDULER};
    for (size_t i = 0; name && i < sizeof all / sizeof all[0]; i++) {
        if (strcmp(name, sl_source_name(all[i])) == 0)
            return all[i];
    }
    return SL_SOURCE_CLI;   /* unreachable: the schema's CHECKs admit only these */
}
