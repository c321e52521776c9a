/*
 * ledger/chain_format.h - the hash chain's format (docs/trust.md): which
 * tables are chained, each row's canonical encoding and digest, the link of
 * one chain entry to the one before, and chaining a ledger that predates
 * the chain.  Pure functions and the raw connection only, so that the
 * migrations (store.c) and the offline report verifier (report/) use the
 * same definition as the ledger's own verification (chain.c).
 */
#ifndef SL_CHAIN_FORMAT_H
#define SL_CHAIN_FORMAT_H

#include "core/internal.h"

#include <openssl/evp.h>
#include <sqlite3.h>

#define SL__CHAIN_HASH_LEN 32
/* one link's input: previous hash, table code, row id, time, row digest */
#define SL__CHAIN_LINK_LEN (SL__CHAIN_HASH_LEN + 1 + 8 + 8 + SL__CHAIN_HASH_LEN)
/* one entry of a report's chain: table code, row id, time, row digest */
#define SL__CHAIN_RECORD_LEN (1 + 8 + 8 + SL__CHAIN_HASH_LEN)
#define SL__CHAIN_COLS_MAX 10

/* How a column's value appears outside SQLite (a usage report). */
typedef enum sl__chain_col_kind {
    SL__COL_INT,     /* integer (or NULL) */
    SL__COL_TEXT,    /* text (or NULL) */
    SL__COL_TIME     /* integer ms since epoch; RFC 3339 with milliseconds in a report */
} sl__chain_col_kind;

/* A chained table.  The SQL strings are literals (the statement cache keys
 * them by address); each selects id and then the columns in their
 * canonical order. */
typedef struct sl__chain_table {
    int code;                       /* the chain's tbl column: 1, 2, ... */
    const char *name;
    int ncols;
    const char *const *columns;     /* canonical order (the schema's, without id) */
    const sl__chain_col_kind *kinds;
    int time_col;                   /* index into columns of the row's time */
    const char *select_one;         /* ... WHERE id = ?1 */
    const char *select_all;         /* ... ORDER BY id */
    const char *select_after;       /* ... WHERE id > ?1 ORDER BY id */
    const char *max_id;             /* coalesce(max(id), 0) */
} sl__chain_table;

#define SL__CHAIN_TABLES 8
#define SL__CHAIN_BREAKS_CODE 8   /* chain_breaks: the acknowledged breaks */
extern const sl__chain_table sl__chain_tables[SL__CHAIN_TABLES];

/* The chained table of `code` or `name` (name_len bytes, -1 to its NUL),
 * NULL when none. */
const sl__chain_table *sl__chain_table_by_code(int code);
const sl__chain_table *sl__chain_table_by_name(const char *name, int name_len);

/* The process-wide SHA-256 (fetched once); NULL when OpenSSL has none. */
const EVP_MD *sl__chain_sha256(void);

/* A row digest being computed: feed the columns in canonical order. */
typedef struct sl__chain_digest {
    EVP_MD_CTX *ctx;        /* owned; reused across rows */
    unsigned char buf[512]; /* small values gathered before a hash update */
    size_t n;
    int failed;
    sl_buf *tee;            /* when set, also receives every byte hashed (benchmarks) */
} sl__chain_digest;

sl_rc sl__chain_digest_init(sl__chain_digest *d, sl_error *err);
void sl__chain_digest_free(sl__chain_digest *d);
void sl__chain_digest_begin(sl__chain_digest *d);
void sl__chain_digest_null(sl__chain_digest *d);
void sl__chain_digest_int(sl__chain_digest *d, int64_t v);
void sl__chain_digest_text(sl__chain_digest *d, const void *p, size_t n);
/* SQLite values that chained columns never hold, but a changed row may */
void sl__chain_digest_blob(sl__chain_digest *d, const void *p, size_t n);
void sl__chain_digest_real(sl__chain_digest *d, double v);
/* 0 on success, -1 when OpenSSL failed */
int sl__chain_digest_end(sl__chain_digest *d, unsigned char out[SL__CHAIN_HASH_LEN]);
/* The digest of the row in columns first..first+ncols-1 of `s`. */
int sl__chain_digest_stmt(sl__chain_digest *d, sqlite3_stmt *s, int first, int ncols,
                          unsigned char out[SL__CHAIN_HASH_LEN]);

/* hash = SHA-256(prev || code (1 byte) || row_id || at (8 bytes each,
 * big-endian two's complement) || digest).  0 on success, -1 when OpenSSL
 * failed. */
int sl__chain_link(EVP_MD_CTX *ctx, const unsigned char prev[SL__CHAIN_HASH_LEN], int code,
                   int64_t row_id, int64_t at, const unsigned char digest[SL__CHAIN_HASH_LEN],
                   unsigned char out[SL__CHAIN_HASH_LEN]);

/* A report record (SL__CHAIN_RECORD_LEN bytes) and back. */
void sl__chain_record_put(unsigned char *rec, int code, int64_t row_id, int64_t at,
                          const unsigned char digest[SL__CHAIN_HASH_LEN]);
void sl__chain_record_get(const unsigned char *rec, int *code, int64_t *row_id, int64_t *at,
                          const unsigned char **digest);

/* Lowercase hex of n bytes into out (2n+1 bytes). */
void sl__hex(const unsigned char *p, size_t n, char *out);

/* Chain the rows of a ledger that predates the chain, once: when
 * chain_state says it is not filled, every row of the chained tables gets
 * its entry, in the order of their times (ties: table code, then id; each
 * table's rows stay in id order), and the state is set.  Run by the
 * migrations inside their transaction, on the raw connection. */
sl_rc sl__chain_fill(sqlite3 *db, sl_error *err);

#endif /* SL_CHAIN_FORMAT_H */
