/*
 * ledger/chain_format.c - the hash chain's format: the chained tables and
 * their canonical column order, the canonical encoding of a row and its
 * digest, the link of an entry to the one before, and chaining a ledger
 * that predates the chain (run once by the migrations).  docs/trust.md
 * states the same so that another program can verify a ledger or a usage
 * report; tests/unit/test_chain.c pins it with vectors.  Works on the raw
 * connection: the store's helpers are above it.
 */
#include "ledger/chain_format.h"

#include <pthread.h>
#include <string.h>

/* value tags of the canonical encoding */
#define TAG_NULL 0x00
#define TAG_INT  0x01
#define TAG_TEXT 0x02
#define TAG_BLOB 0x03
#define TAG_REAL 0x04

/* ---- the chained tables -------------------------------------------------- */

#define I SL__COL_INT
#define T SL__COL_TEXT
#define W SL__COL_TIME

/* One table: its code, name, columns (a string for the SQL and an array
 * for the report; test_chain.c checks that they agree), kinds, time column. */
#define TABLE(code, name, cols_sql, cols, kinds, time_col)                               \
    {code, name, (int)(sizeof cols / sizeof cols[0]), cols, kinds, time_col,            \
     "SELECT id, " cols_sql " FROM " name " WHERE id = ?1",                              \
     "SELECT id, " cols_sql " FROM " name " ORDER BY id",                                \
     "SELECT id, " cols_sql " FROM " name " WHERE id > ?1 ORDER BY id",                  \
     "SELECT coalesce(max(id), 0) FROM " name}

static const char *const audit_cols[] = {"at", "action", "license_id", "outcome", "detail"};
static const sl__chain_col_kind audit_kinds[] = {W, T, I, T, T};
static const char *const snap_cols[] = {"recorded_at", "billable_user_count", "source",
                                        "license_id"};
static const sl__chain_col_kind snap_kinds[] = {W, I, T, I};
static const char *const addon_cols[] = {"snapshot_id", "recorded_at", "add_on", "purchase_id",
                                         "purchased_seats", "assigned_seats"};
static const sl__chain_col_kind addon_kinds[] = {I, W, T, I, I, I};
static const char *const seat_cols[] = {"at", "add_on", "purchase_id", "user_id", "username",
                                        "event", "reason", "actor"};
static const sl__chain_col_kind seat_kinds[] = {W, T, I, T, T, T, T, T};
static const char *const lic_cols[] = {"at", "event", "license_id", "data"};
static const sl__chain_col_kind lic_kinds[] = {W, T, I, T};
static const char *const clock_cols[] = {"at", "kind", "source", "latest_before", "audit_id",
                                         "snapshot_id", "license_id", "token_id", "key_id"};
static const sl__chain_col_kind clock_kinds[] = {W, T, T, W, I, I, I, I, I};
static const char *const fp_cols[] = {"recorded_at", "license_id", "aes_key_sha256",
                                      "wrapped_key_sha256", "payload"};
static const sl__chain_col_kind fp_kinds[] = {W, I, T, T, T};
static const char *const brk_cols[] = {"at", "kind", "tbl", "first", "last"};
static const sl__chain_col_kind brk_kinds[] = {W, T, I, I, I};

const sl__chain_table sl__chain_tables[SL__CHAIN_TABLES] = {
    TABLE(1, "audit_log", "at, action, license_id, outcome, detail", audit_cols, audit_kinds, 0),
    TABLE(2, "snapshots", "recorded_at, billable_user_count, source, license_id", snap_cols,
          snap_kinds, 0),
    TABLE(3, "add_on_snapshots",
          "snapshot_id, recorded_at, add_on, purchase_id, purchased_seats, assigned_seats",
          addon_cols, addon_kinds, 1),
    TABLE(4, "seat_history", "at, add_on, purchase_id, user_id, username, event, reason, actor",
          seat_cols, seat_kinds, 0),
    TABLE(5, "license_events", "at, event, license_id, data", lic_cols, lic_kinds, 0),
    TABLE(6, "clock_events",
          "at, kind, source, latest_before, audit_id, snapshot_id, license_id, token_id, key_id",
          clock_cols, clock_kinds, 0),
    TABLE(7, "key_fingerprints",
          "recorded_at, license_id, aes_key_sha256, wrapped_key_sha256, payload", fp_cols,
          fp_kinds, 0),
    TABLE(8, "chain_breaks", "at, kind, tbl, first, last", brk_cols, brk_kinds, 0),
};

#undef I
#undef T
#undef W

const sl__chain_table *sl__chain_table_by_code(int code)
{
    if (code < 1 || code > SL__CHAIN_TABLES)
        return NULL;
    return &sl__chain_tables[code - 1];
}

const sl__chain_table *sl__chain_table_by_name(const char *name, int name_len)
{
    size_t n = name_len < 0 ? strlen(name) : (size_t)name_len;
    for (int i = 0; i < SL__CHAIN_TABLES; i++) {
        const char *t = sl__chain_tables[i].name;
        if (strlen(t) == n && memcmp(t, name, n) == 0)
            return &sl__chain_tables[i];
    }
    return NULL;
}

/* ---- SHA-256 ------------------------------------------------------------- */

/* Fetched once: EVP_sha256() would fetch the implementation again on every
 * EVP_DigestInit_ex2 (four times the cost of hashing a short row). */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void fetch_sha256(void)
{
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

const EVP_MD *sl__chain_sha256(void)
{
    pthread_once(&sha256_once, fetch_sha256);
    return sha256_md;
}

static void put_be64(unsigned char *p, int64_t v)
{
    uint64_t u = (uint64_t)v;
    for (int i = 7; i >= 0; i--) {
        p[i] = (unsigned char)(u & 0xff);
        u >>= 8;
    }
}

static int64_t get_be64(const unsigned char *p)
{
    uint64_t u = 0;
    for (int i = 0; i < 8; i++)
        u = (u << 8) | p[i];
    return (int64_t)u;
}

static void put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* ---- row digests --------------------------------------------------------- */

sl_rc sl__chain_digest_init(sl__chain_digest *d, sl_error *err)
{
    memset(d, 0, sizeof *d);
    if (!sl__chain_sha256())
        return sl__err(err, SL_EINTERNAL, "cannot hash the ledger: OpenSSL has no SHA-256");
    d->ctx = EVP_MD_CTX_new();
    if (!d->ctx)
        return sl__err(err, SL_ENOMEM, "out of memory");
    return SL_OK;
}

void sl__chain_digest_free(sl__chain_digest *d)
{
    if (d)
        EVP_MD_CTX_free(d->ctx);
}

void sl__chain_digest_begin(sl__chain_digest *d)
{
    d->n = 0;
    d->failed = EVP_DigestInit_ex2(d->ctx, sl__chain_sha256(), NULL) != 1;
}

static void flush(sl__chain_digest *d)
{
    if (d->n && !d->failed)
        d->failed = EVP_DigestUpdate(d->ctx, d->buf, d->n) != 1;
    d->n = 0;
}

static void add(sl__chain_digest *d, const void *p, size_t n)
{
    if (d->tee && sl__buf_append(d->tee, p, n) != SL_OK)
        d->failed = 1;
    if (n > sizeof d->buf - d->n) {
        flush(d);
        if (n > sizeof d->buf) {
            if (!d->failed)
                d->failed = EVP_DigestUpdate(d->ctx, p, n) != 1;
            return;
        }
    }
    memcpy(d->buf + d->n, p, n);
    d->n += n;
}

void sl__chain_digest_null(sl__chain_digest *d)
{
    unsigned char t = TAG_NULL;
    add(d, &t, 1);
}

void sl__chain_digest_int(sl__chain_digest *d, int64_t v)
{
    unsigned char b[9];
    b[0] = TAG_INT;
    put_be64(b + 1, v);
    add(d, b, sizeof b);
}

static void tagged_bytes(sl__chain_digest *d, unsigned char tag, const void *p, size_t n)
{
    unsigned char b[5];
    b[0] = tag;
    /* SQLite values are at most 2^31 - 1 bytes; a report's are far less */
    put_be32(b + 1, (uint32_t)n);
    add(d, b, sizeof b);
    if (n)
        add(d, p, n);
}

void sl__chain_digest_text(sl__chain_digest *d, const void *p, size_t n)
{
    tagged_bytes(d, TAG_TEXT, p, n);
}

void sl__chain_digest_blob(sl__chain_digest *d, const void *p, size_t n)
{
    tagged_bytes(d, TAG_BLOB, p, n);
}

void sl__chain_digest_real(sl__chain_digest *d, double v)
{
    unsigned char b[9];
    uint64_t u;
    int64_t s;
    memcpy(&u, &v, sizeof u);
    memcpy(&s, &u, sizeof s);
    b[0] = TAG_REAL;
    put_be64(b + 1, s);
    add(d, b, sizeof b);
}

int sl__chain_digest_end(sl__chain_digest *d, unsigned char out[SL__CHAIN_HASH_LEN])
{
    flush(d);
    if (d->failed || EVP_DigestFinal_ex(d->ctx, out, NULL) != 1)
        return -1;
    return 0;
}

int sl__chain_digest_stmt(sl__chain_digest *d, sqlite3_stmt *s, int first, int ncols,
                          unsigned char out[SL__CHAIN_HASH_LEN])
{
    sl__chain_digest_begin(d);
    for (int c = first; c < first + ncols; c++) {
        switch (sqlite3_column_type(s, c)) {
        case SQLITE_INTEGER:
            sl__chain_digest_int(d, sqlite3_column_int64(s, c));
            break;
        case SQLITE_TEXT: {
            const unsigned char *p = sqlite3_column_text(s, c);
            sl__chain_digest_text(d, p, (size_t)sqlite3_column_bytes(s, c));
            break;
        }
        case SQLITE_BLOB: {
            const void *p = sqlite3_column_blob(s, c);
            sl__chain_digest_blob(d, p, (size_t)sqlite3_column_bytes(s, c));
            break;
        }
        case SQLITE_FLOAT:
            sl__chain_digest_real(d, sqlite3_column_double(s, c));
            break;
        default:
            sl__chain_digest_null(d);
            break;
        }
    }
    return sl__chain_digest_end(d, out);
}

/* ---- links and records --------------------------------------------------- */

int sl__chain_link(EVP_MD_CTX *ctx, const unsigned char prev[SL__CHAIN_HASH_LEN], int code,
                   int64_t row_id, int64_t at, const unsigned char digest[SL__CHAIN_HASH_LEN],
                   unsigned char out[SL__CHAIN_HASH_LEN])
{
    unsigned char in[SL__CHAIN_LINK_LEN];
    memcpy(in, prev, SL__CHAIN_HASH_LEN);
    sl__chain_record_put(in + SL__CHAIN_HASH_LEN, code, row_id, at, digest);
    if (EVP_DigestInit_ex2(ctx, sl__chain_sha256(), NULL) != 1 ||
        EVP_DigestUpdate(ctx, in, sizeof in) != 1 || EVP_DigestFinal_ex(ctx, out, NULL) != 1)
        return -1;
    return 0;
}

void sl__chain_record_put(unsigned char *rec, int code, int64_t row_id, int64_t at,
                          const unsigned char digest[SL__CHAIN_HASH_LEN])
{
    rec[0] = (unsigned char)code;
    put_be64(rec + 1, row_id);
    put_be64(rec + 9, at);
    memcpy(rec + 17, digest, SL__CHAIN_HASH_LEN);
}

void sl__chain_record_get(const unsigned char *rec, int *code, int64_t *row_id, int64_t *at,
                          const unsigned char **digest)
{
    *code = rec[0];
    *row_id = get_be64(rec + 1);
    *at = get_be64(rec + 9);
    *digest = rec + 17;
}

void sl__hex(const unsigned char *p, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 0xf];
    }
    out[2 * n] = '\0';
}

/* ---- chaining a ledger that predates the chain ---------------------------- */

static sl_rc fill_err(sqlite3 *db, sl_error *err)
{
    return sl__err(err, SL_ESTORAGE, "cannot chain the ledger: %s", sqlite3_errmsg(db));
}

/* The next row of each table, merged by (time, code): each table's own
 * rows stay in id order, as the chain's verification walks them. */
typedef struct fill_cursor {
    sqlite3_stmt *s;
    int has_row;
} fill_cursor;

static int step_cursor(fill_cursor *c)
{
    int step = sqlite3_step(c->s);
    c->has_row = step == SQLITE_ROW;
    return step == SQLITE_ROW || step == SQLITE_DONE ? 0 : -1;
}

sl_rc sl__chain_fill(sqlite3 *db, sl_error *err)
{
    fill_cursor cur[SL__CHAIN_TABLES] = {{0}};
    sqlite3_stmt *s = NULL, *ins = NULL;
    sl__chain_digest d = {0};
    unsigned char prev[SL__CHAIN_HASH_LEN] = {0}, digest[SL__CHAIN_HASH_LEN];
    int64_t position = 0;
    int step, filled = 1;
    sl_rc rc;
    if (sqlite3_prepare_v2(db, "SELECT filled FROM chain_state WHERE id = 1", -1, &s, NULL) !=
        SQLITE_OK)
        return fill_err(db, err);
    step = sqlite3_step(s);
    if (step == SQLITE_ROW)
        filled = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    s = NULL;
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return fill_err(db, err);
    if (filled)
        return SL_OK;
    rc = sl__chain_digest_init(&d, err);
    if (rc != SL_OK)
        return rc;
    /* the chain of a ledger chained for the first time starts at position 1 */
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM chain", -1, &s, NULL) != SQLITE_OK ||
        sqlite3_step(s) != SQLITE_ROW) {
        rc = fill_err(db, err);
        goto done;
    }
    if (sqlite3_column_int64(s, 0) != 0) {
        rc = sl__err(err, SL_ESTORAGE, "cannot chain the ledger: its chain is not empty");
        goto done;
    }
    if (sqlite3_prepare_v2(db, "INSERT INTO chain(position, tbl, row_id, at, hash) "
                               "VALUES (?1, ?2, ?3, ?4, ?5)", -1, &ins, NULL) != SQLITE_OK) {
        rc = fill_err(db, err);
        goto done;
    }
    for (int i = 0; i < SL__CHAIN_TABLES; i++) {
        if (sqlite3_prepare_v2(db, sl__chain_tables[i].select_all, -1, &cur[i].s, NULL) !=
                SQLITE_OK ||
            step_cursor(&cur[i]) != 0) {
            rc = fill_err(db, err);
            goto done;
        }
    }
    for (;;) {
        const sl__chain_table *t;
        fill_cursor *c = NULL;
        int64_t at = 0, id;
        unsigned char hash[SL__CHAIN_HASH_LEN];
        for (int i = 0; i < SL__CHAIN_TABLES; i++) {
            int64_t a;
            if (!cur[i].has_row)
                continue;
            a = sqlite3_column_int64(cur[i].s, 1 + sl__chain_tables[i].time_col);
            if (!c || a < at) {
                c = &cur[i];
                at = a;
            }
        }
        if (!c)
            break;
        t = &sl__chain_tables[c - cur];
        id = sqlite3_column_int64(c->s, 0);
        if (sl__chain_digest_stmt(&d, c->s, 1, t->ncols, digest) != 0 ||
            sl__chain_link(d.ctx, prev, t->code, id, at, digest, hash) != 0) {
            rc = sl__err(err, SL_EINTERNAL, "cannot chain the ledger: SHA-256 failed");
            goto done;
        }
        sqlite3_reset(ins);
        sqlite3_bind_int64(ins, 1, ++position);
        sqlite3_bind_int(ins, 2, t->code);
        sqlite3_bind_int64(ins, 3, id);
        sqlite3_bind_int64(ins, 4, at);
        sqlite3_bind_blob(ins, 5, hash, sizeof hash, SQLITE_STATIC);
        if (sqlite3_step(ins) != SQLITE_DONE || step_cursor(c) != 0) {
            rc = fill_err(db, err);
            goto done;
        }
        memcpy(prev, hash, sizeof prev);
    }
    sqlite3_finalize(s);
    s = NULL;
    if (sqlite3_prepare_v2(db, "UPDATE chain_state SET filled = 1, recheck_position = 1 "
                               "WHERE id = 1", -1, &s, NULL) != SQLITE_OK ||
        sqlite3_step(s) != SQLITE_DONE)
        rc = fill_err(db, err);
done:
    for (int i = 0; i < SL__CHAIN_TABLES; i++)
        sqlite3_finalize(cur[i].s);
    sqlite3_finalize(ins);
    sqlite3_finalize(s);
    sl__chain_digest_free(&d);
    return rc;
}
