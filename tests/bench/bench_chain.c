/*
 * bench_chain.c - the hash chain's benchmarks (scripts/bench.sh):
 *
 *   bench_chain build DB N        a ledger of N chained rows (refreshes: a
 *                                 snapshot and its audit line each), appended
 *                                 through the engine's funnel in events of
 *                                 CHAIN_BUILD_BATCH rows
 *   bench_chain dump DB OUT       the bytes `ledger verify` hashes, in order
 *                                 (each row's canonical encoding, then its
 *                                 link input), for the sha256sum anchor
 *   bench_chain append A B N      N refreshes (a snapshot appended) on ledger A
 *                                 as it is, and N on ledger B with the chain
 *                                 switched off (what a snapshot cost before
 *                                 the chain), interleaved; prints the median
 *                                 microseconds of each
 *
 * Uses the engine's internals (the funnel, the chain's format); not a test.
 */
#include "ledger/ledger_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define CHAIN_BUILD_BATCH 20000   /* rows per event of `build` */
#define CHAIN_ROWS_MAX 100000000
#define APPEND_MAX 100000

static void die(const char *what, const sl_error *err)
{
    fprintf(stderr, "bench_chain: %s: %s\n", what, err ? err->message : "failed");
    exit(1);
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static sl_store *open_store(const char *path)
{
    sl_store *st = NULL;
    sl_error err = {0};
    if (sl_store_open(path, 0, &st, &err) != SL_OK)
        die(path, &err);
    return st;
}

static int build(const char *path, long n)
{
    sl_store *st = open_store(path);
    sl_error err = {0};
    /* ten minutes apart, the last one a minute before the clock */
    int64_t t0 = sl_clock_now_ms() - 60000 - (int64_t)(n / 2) * 600000;
    long done = 0;
    while (done < n) {
        if (sl__begin(st, &err) != SL_OK ||
            sl__event_begin(st, SL__EVENT_CONFIRMED | SL__EVENT_RECOVER, &err) != SL_OK)
            die("begin", &err);
        for (long i = 0; i < CHAIN_BUILD_BATCH && done < n; i++, done++) {
            int64_t at = t0 + (done / 2) * 600000;
            char detail[64];
            if (done % 2 == 0) {
                const sl__value v[] = {SL__ID, SL__INT(at), SL__INT(1000 + done % 977)};
                if (sl__event_append(st, "INSERT INTO snapshots(id, recorded_at, "
                                         "billable_user_count, source) VALUES (?,?,?,'cron')",
                                     v, 3, "snapshot", NULL, &err) != SL_OK)
                    die("append", &err);
            } else {
                const sl__value v[] = {SL__ID, SL__INT(at), SL__TEXT(detail)};
                snprintf(detail, sizeof detail, "source=cron billable_user_count=%ld",
                         1000 + (done - 1) % 977);
                if (sl__event_append(st, "INSERT INTO audit_log(id, at, action, outcome, "
                                         "detail) VALUES (?, ?, 'ledger.refresh', 'ok', ?)",
                                     v, 3, "audit", NULL, &err) != SL_OK)
                    die("append", &err);
            }
        }
        if (sl__commit(st, &err) != SL_OK)
            die("commit", &err);
    }
    sl_store_close(st);
    return 0;
}

static int dump(const char *path, const char *out)
{
    sl_store *st = open_store(path);
    sl_error err = {0};
    sl__chain_digest d;
    sl_buf body;
    sqlite3_stmt *s = NULL, *one[SL__CHAIN_TABLES] = {NULL};
    unsigned char prev[SL__CHAIN_HASH_LEN] = {0}, digest[SL__CHAIN_HASH_LEN];
    FILE *f = fopen(out, "wb");
    if (!f || sl__chain_digest_init(&d, &err) != SL_OK)
        die(out, &err);
    sl__buf_init(&body, 0);
    d.tee = &body;
    if (sqlite3_prepare_v2(st->db, "SELECT tbl, row_id, hash FROM chain ORDER BY position", -1,
                           &s, NULL) != SQLITE_OK)
        die("chain", NULL);
    for (int i = 0; i < SL__CHAIN_TABLES; i++) {
        if (sqlite3_prepare_v2(st->db, sl__chain_tables[i].select_one, -1, &one[i], NULL) !=
            SQLITE_OK)
            die("row", NULL);
    }
    while (sqlite3_step(s) == SQLITE_ROW) {
        const sl__chain_table *t = sl__chain_table_by_code(sqlite3_column_int(s, 0));
        sqlite3_stmt *r;
        unsigned char link[SL__CHAIN_LINK_LEN];
        int64_t id = sqlite3_column_int64(s, 1), at;
        if (!t)
            die("row", NULL);
        r = one[t->code - 1];
        sqlite3_bind_int64(r, 1, id);
        if (sqlite3_step(r) != SQLITE_ROW)
            die("row", NULL);
        at = sqlite3_column_int64(r, 1 + t->time_col);
        body.len = 0;
        if (sl__chain_digest_stmt(&d, r, 1, t->ncols, digest) != 0)
            die("digest", NULL);
        sqlite3_reset(r);
        memcpy(link, prev, sizeof prev);
        sl__chain_record_put(link + SL__CHAIN_HASH_LEN, t->code, id, at, digest);
        fwrite(body.data, 1, body.len, f);
        fwrite(link, 1, sizeof link, f);
        memcpy(prev, sqlite3_column_blob(s, 2), sizeof prev);
    }
    sqlite3_finalize(s);
    for (int i = 0; i < SL__CHAIN_TABLES; i++)
        sqlite3_finalize(one[i]);
    sl__buf_free(&body);
    sl__chain_digest_free(&d);
    fclose(f);
    sl_store_close(st);
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* CPU seconds (user + system) of this process so far. */
static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static double median(double *v, long n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[n / 2];
}

static int append(const char *chained, const char *unchained, long n)
{
    sl_store *a = open_store(chained), *b = open_store(unchained);
    sl_error err = {0};
    double *ta = calloc((size_t)n, sizeof *ta), *tb = calloc((size_t)n, sizeof *tb);
    double *ca = calloc((size_t)n, sizeof *ca), *cb = calloc((size_t)n, sizeof *cb);
    if (!ta || !tb || !ca || !cb)
        die("memory", NULL);
    sl__chain_disable(b);
    /* one warm-up each: statements prepared, pages cached */
    if (sl_store_refresh(a, SL_SOURCE_CRON, NULL, &err) != SL_OK ||
        sl_store_refresh(b, SL_SOURCE_CRON, NULL, &err) != SL_OK)
        die("refresh", &err);
    sl_store_close(a);
    sl_store_close(b);
    /* as the command does it: open the ledger, refresh, close */
    for (long i = 0; i < n; i++) {
        double t0 = now_seconds(), c0 = cpu_seconds();
        a = open_store(chained);
        if (sl_store_refresh(a, SL_SOURCE_CRON, NULL, &err) != SL_OK)
            die("refresh", &err);
        sl_store_close(a);
        ta[i] = now_seconds() - t0;
        ca[i] = cpu_seconds() - c0;
        t0 = now_seconds();
        c0 = cpu_seconds();
        b = open_store(unchained);
        sl__chain_disable(b);
        if (sl_store_refresh(b, SL_SOURCE_CRON, NULL, &err) != SL_OK)
            die("refresh", &err);
        sl_store_close(b);
        tb[i] = now_seconds() - t0;
        cb[i] = cpu_seconds() - c0;
    }
    /* CPU time: the work itself, without the waits of the disk (its flush
     * at close takes most of the wall time, and varies several-fold on a
     * shared machine) */
    printf("append_chained_us %.1f\nappend_unchained_us %.1f\n", median(ca, n) * 1e6,
           median(cb, n) * 1e6);
    printf("append_chained_wall_us %.1f\nappend_unchained_wall_us %.1f\n", median(ta, n) * 1e6,
           median(tb, n) * 1e6);
    free(ta);
    free(tb);
    free(ca);
    free(cb);
    return 0;
}

int main(int argc, char **argv)
{
    long n;
    if (argc == 4 && strcmp(argv[1], "build") == 0) {
        n = strtol(argv[3], NULL, 10);
        if (n < 1 || n > CHAIN_ROWS_MAX)
            return fprintf(stderr, "bench_chain: N out of range\n"), 2;
        return build(argv[2], n);
    }
    if (argc == 4 && strcmp(argv[1], "dump") == 0)
        return dump(argv[2], argv[3]);
    if (argc == 5 && strcmp(argv[1], "append") == 0) {
        n = strtol(argv[4], NULL, 10);
        if (n < 1 || n > APPEND_MAX)
            return fprintf(stderr, "bench_chain: N out of range\n"), 2;
        return append(argv[2], argv[3], n);
    }
    fprintf(stderr, "usage: bench_chain build DB N | dump DB OUT | append CHAINED UNCHAINED N\n");
    return 2;
}
