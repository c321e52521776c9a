/*
 * test_chain.c - the hash chain (docs/trust.md): the format pinned by
 * vectors computed independently (Python's hashlib over the documented
 * bytes), the chained tables against the schema, every tamper case an
 * admin with sqlite3 can make (each named exactly), refusal to append onto
 * a broken chain and its acknowledgement, the rolling re-verification, and
 * the migration that chains a ledger made before the chain.
 */
#include "ledger_testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sl_migration { const char *name; const char *sql; };
extern const struct sl_migration sl_migrations[];

#define T0 "2026-01-01T00:00:00Z"

static char *g_dir;

static sl_store *fresh(void)
{
    setenv("SEATLEDGER_NOW", "2026-11-22T12:00:00Z", 1);
    return tu_store(&g_dir);
}

static void done(sl_store *st)
{
    sl_store_close(st);
    tu_rmtree(g_dir);
    free(g_dir);
    g_dir = NULL;
}

/* An admin with the sqlite3 shell: another connection, triggers dropped. */
static void tamper(const char *sql)
{
    char path[4096], *msg = NULL;
    sqlite3 *db = NULL;
    snprintf(path, sizeof path, "%s/ledger.db", g_dir);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    if (sqlite3_exec(db,
            "DROP TRIGGER IF EXISTS snapshots_no_update; DROP TRIGGER IF EXISTS snapshots_no_delete;"
            "DROP TRIGGER IF EXISTS chain_no_update; DROP TRIGGER IF EXISTS chain_no_delete;"
            "DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete;",
            NULL, NULL, &msg) != SQLITE_OK ||
        sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("tamper: %s", msg);
    sqlite3_close(db);
}

static void append(sl_store *st, const char *sql, const sl__value *v, int n)
{
    sl_error err = {0};
    assert_int_equal(sl__begin(st, &err), SL_OK);
    if (sl__event_begin(st, SL__EVENT_CONFIRMED | SL__EVENT_RECOVER, &err) != SL_OK ||
        sl__event_append(st, sql, v, n, "append", NULL, &err) != SL_OK) {
        sl__rollback(st);
        fail_msg("append: %s", err.message);
    }
    assert_int_equal(sl__commit(st, &err), SL_OK);
}

static void stored_hash(sl_store *st, int64_t pos, char out[65])
{
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_prepare_v2(st->db, "SELECT hash FROM chain WHERE position = ?",
                                        -1, &s, NULL), SQLITE_OK);
    sqlite3_bind_int64(s, 1, pos);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_int_equal(sqlite3_column_bytes(s, 0), 32);
    sl__hex(sqlite3_column_blob(s, 0), 32, out);
    sqlite3_finalize(s);
}

static sl_chain_verdict *verify(sl_store *st)
{
    static sl_chain_verdict v;
    sl_error err = {0};
    assert_int_equal(sl_store_ledger_verify(st, &v, &err), SL_OK);
    return &v;
}

static const char *first_break(sl_store *st)
{
    static char text[256];
    sl_chain_verdict *v = verify(st);
    assert_true(v->unacknowledged > 0);
    return sl_chain_break_describe(&v->first_unacknowledged, text, sizeof text);
}

/* The format: a snapshot and an audit line, hashed as docs/trust.md says
 * (the vectors there are these). */
static void test_format_vectors(void **state)
{
    sl_store *st = fresh();
    char h[65];
    const sl__value snap[] = {SL__ID, SL__INT(lt_ms(T0)), SL__INT(123), SL__TEXT("cron"),
                              SL__NULL};
    const sl__value audit[] = {SL__ID, SL__INT(lt_ms(T0)), SL__TEXT("ledger.refresh"), SL__NULL,
                               SL__TEXT("ok"), SL__TEXT("source=cron billable_user_count=123")};
    (void)state;
    append(st, "INSERT INTO snapshots(id, recorded_at, billable_user_count, source, license_id) "
               "VALUES (?,?,?,?,?)", snap, 5);
    append(st, "INSERT INTO audit_log(id, at, action, license_id, outcome, detail) "
               "VALUES (?,?,?,?,?,?)", audit, 6);
    stored_hash(st, 1, h);
    assert_string_equal(h, "cdbdd9533601f1648e6280878dd905200c73cb7a8bf72ac598250b4fdc7fb721");
    stored_hash(st, 2, h);
    assert_string_equal(h, "3426aa816b5a321077409e82b2db2944e379b26e1e73c77ff2f0c112353d5065");
    assert_int_equal(verify(st)->unacknowledged, 0);
    assert_string_equal(verify(st)->head_hash,
                        "3426aa816b5a321077409e82b2db2944e379b26e1e73c77ff2f0c112353d5065");
    /* the digest alone, as a report carries it */
    {
        sl__chain_digest d;
        unsigned char out[32];
        char hex[65];
        assert_int_equal(sl__chain_digest_init(&d, NULL), SL_OK);
        sl__chain_digest_begin(&d);
        sl__chain_digest_int(&d, lt_ms(T0));
        sl__chain_digest_int(&d, 123);
        sl__chain_digest_text(&d, "cron", 4);
        sl__chain_digest_null(&d);
        assert_int_equal(sl__chain_digest_end(&d, out), 0);
        sl__hex(out, 32, hex);
        assert_string_equal(hex, "d4d2779137c9fb35ef4d03bb9235c4fa39ea8c09d8a19898c7c8b95d54e287b4");
        sl__chain_digest_free(&d);
    }
    done(st);
}

/* Each chained table's columns are the schema's (id aside), in order, and
 * every table the schema makes append-only is chained. */
static void test_tables_match_schema(void **state)
{
    sl_store *st = fresh();
    sqlite3_stmt *s = NULL;
    (void)state;
    for (int i = 0; i < SL__CHAIN_TABLES; i++) {
        const sl__chain_table *t = &sl__chain_tables[i];
        char sql[256], want[1024] = "SELECT id";
        int n = 0;
        assert_ptr_equal(sl__chain_table_by_code(t->code), t);
        assert_ptr_equal(sl__chain_table_by_name(t->name, -1), t);
        snprintf(sql, sizeof sql, "SELECT name FROM pragma_table_info('%s') WHERE name <> 'id' "
                 "ORDER BY cid", t->name);
        assert_int_equal(sqlite3_prepare_v2(st->db, sql, -1, &s, NULL), SQLITE_OK);
        while (sqlite3_step(s) == SQLITE_ROW) {
            assert_true(n < t->ncols);
            assert_string_equal((const char *)sqlite3_column_text(s, 0), t->columns[n]);
            n++;
        }
        sqlite3_finalize(s);
        assert_int_equal(n, t->ncols);
        for (int c = 0; c < t->ncols; c++)
            snprintf(want + strlen(want), sizeof want - strlen(want), ", %s", t->columns[c]);
        snprintf(want + strlen(want), sizeof want - strlen(want), " FROM %s WHERE id = ?1",
                 t->name);
        assert_string_equal(t->select_one, want);
        assert_true(t->kinds[t->time_col] == SL__COL_TIME);
    }
    assert_int_equal(sqlite3_prepare_v2(st->db,
        "SELECT tbl_name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%_no_delete'",
        -1, &s, NULL), SQLITE_OK);
    while (sqlite3_step(s) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(s, 0);
        if (strcmp(name, "chain") != 0 && !sl__chain_table_by_name(name, -1))
            fail_msg("append-only table '%s' is not chained", name);
    }
    sqlite3_finalize(s);
    done(st);
}

/* A ledger of five days of snapshots, the third the peak, then a refresh
 * (snapshot 6 and its audit line).  Positions 1-5 are the snapshots. */
static sl_store *five_days(void)
{
    sl_store *st = fresh();
    sl_error err = {0};
    lt_snapshot(st, "2026-11-01T00:00:00Z", 10);
    lt_snapshot(st, "2026-11-02T00:00:00Z", 12);
    lt_snapshot(st, "2026-11-03T00:00:00Z", 30);
    lt_snapshot(st, "2026-11-04T00:00:00Z", 11);
    lt_snapshot(st, "2026-11-05T00:00:00Z", 9);
    assert_int_equal(sl_store_refresh(st, SL_SOURCE_CLI, NULL, &err), SL_OK);
    assert_int_equal(verify(st)->unacknowledged, 0);
    assert_int_equal(verify(st)->head_position, 7);
    return st;
}

static void test_fresh_ledger_intact(void **state)
{
    sl_store *st = fresh();
    sl_chain_verdict *v;
    sl_error err = {0};
    (void)state;
    v = verify(st);
    assert_int_equal(v->head_position, 0);
    assert_string_equal(v->head_hash,
                        "0000000000000000000000000000000000000000000000000000000000000000");
    assert_int_equal(sl_store_refresh(st, SL_SOURCE_CLI, NULL, &err), SL_OK);
    assert_int_equal(sl_store_refresh(st, SL_SOURCE_CLI, NULL, &err), SL_OK);
    v = verify(st);
    assert_int_equal(v->breaks, 0);
    /* two refreshes: a snapshot and an audit line each */
    assert_int_equal(v->head_position, 4);
    assert_int_equal(lt_scalar(st, "SELECT count(*) FROM chain"), 4);
    done(st);
}

/* The issue's case: the peak day deleted with sqlite3. */
static void test_deleted_peak_day(void **state)
{
    sl_store *st = five_days();
    sl_chain_verdict *v;
    sl_error err = {0};
    int recorded = 0;
    (void)state;
    tamper("DELETE FROM snapshots WHERE billable_user_count = 30");
    v = verify(st);
    assert_int_equal(v->breaks, 1);
    assert_int_equal(v->first_unacknowledged.kind, SL_CHAIN_DELETED);
    assert_string_equal(v->first_unacknowledged.table, "snapshots");
    assert_int_equal(v->first_unacknowledged.row_id, 3);
    assert_int_equal(v->first_unacknowledged.position, 3);
    assert_string_equal(first_break(st), "snapshots row 3 (chain position 3, recorded "
                        "2026-11-03T00:00:00.000Z) is missing: it was deleted");
    /* nothing is appended onto it, and nothing is written */
    assert_int_equal(sl_store_refresh(st, SL_SOURCE_CLI, NULL, &err), SL_ETAMPERED);
    assert_string_equal(err.message,
        "the ledger's hash chain is broken: snapshots row 3 (chain position 3, recorded "
        "2026-11-03T00:00:00.000Z) is missing: it was deleted; 'seatledger ledger verify' "
        "lists every break and 'seatledger ledger verify --accept-break' acknowledges them");
    assert_int_equal(lt_scalar(st, "SELECT count(*) FROM chain"), 7);
    {
        char *secret = NULL;
        assert_int_equal(sl_store_token_create(st, "ci", 0, SL_DATE_NONE, &secret, &err),
                         SL_ETAMPERED);
        assert_null(secret);
    }
    /* the clock's acknowledgements are not refused (one may be needed first) */
    assert_int_equal(sl_store_clock_confirm(st, SL_SOURCE_CLI, &recorded, &err), SL_OK);
    /* acknowledged: appended as its own chained event, listed for good */
    assert_int_equal(sl_store_ledger_accept_break(st, SL_SOURCE_CLI, v, &err), SL_OK);
    assert_int_equal(v->accepted, 1);
    assert_int_equal(v->unacknowledged, 0);
    assert_int_equal(v->head_position, 9);   /* the break and its audit line */
    assert_int_equal(lt_scalar(st, "SELECT count(*) FROM chain_breaks WHERE kind = 'deleted' "
                                   "AND tbl = 2 AND first = 3 AND last = 3"), 1);
    assert_int_equal(lt_scalar(st, "SELECT count(*) FROM audit_log WHERE action = "
                                   "'ledger.accept_break' AND detail = '1 break acknowledged "
                                   "(source=cli); the first: snapshots row 3 (chain position 3, "
                                   "recorded 2026-11-03T00:00:00.000Z) is missing: it was "
                                   "deleted'"), 1);
    assert_int_equal(sl_store_refresh(st, SL_SOURCE_CLI, NULL, &err), SL_OK);
    v = verify(st);
    assert_int_equal(v->breaks, 1);
    assert_int_equal(v->unacknowledged, 0);
    assert_true(v->listed[0].acknowledged);
    assert_int_equal(v->listed[0].acknowledged_at_ms, lt_ms("2026-11-22T12:00:00Z"));
    assert_int_equal(v->head_position, 11);
    /* a second acknowledgement finds nothing and writes nothing */
    assert_int_equal(sl_store_ledger_accept_break(st, SL_SOURCE_CLI, v, &err), SL_OK);
    assert_int_equal(v->accepted, 0);
    assert_int_equal(lt_scalar(st, "SELECT count(*) FROM chain"), 11);
    done(st);
}

static void test_changed_row(void **state)
{
    sl_store *st = five_days();
    sl_chain_verdict *v;
    (void)state;
    /* one bit of the peak's count */
    tamper("UPDATE snapshots SET billable_user_count = 31 WHERE id = 3");
    v = verify(st);
    assert_int_equal(v->breaks, 1);
    assert_string_equal(first_break(st),
        "snapshots row 3 (chain position 3, recorded 2026-11-03T00:00:00.000Z) does not match "
        "its chain entry: the row or the entry was changed");
    /* a type is part of the encoding: '30' as text is not 30 */
    tamper("UPDATE snapshots SET billable_user_count = 30 WHERE id = 3");
    assert_int_equal(verify(st)->breaks, 0);
    tamper("UPDATE snapshots SET billable_user_count = '30' WHERE id = 3");
    assert_int_equal(verify(st)->breaks, 0);   /* the column's affinity makes it 30 again */
    tamper("UPDATE snapshots SET source = 'cron' WHERE id = 3");
    assert_int_equal(verify(st)->breaks, 1);
    done(st);
}

static void test_flipped_hash_is_one_break(void **state)
{
    sl_store *st = five_days();
    sl_chain_verdict *v;
    (void)state;
    tamper("UPDATE chain SET hash = zeroblob(32) WHERE position = 3");
    v = verify(st);
    assert_int_equal(v->breaks, 1);
    assert_int_equal(v->first_unacknowledged.position, 3);
    tamper("UPDATE chain SET hash = x'00' WHERE position = 4");
    v = verify(st);
    assert_int_equal(v->breaks, 2);
    assert_int_equal(v->listed[1].position, 4);
    done(st);
}

static void test_swapped_rows(void **state)
{
    sl_store *st = five_days();
    sl_chain_verdict *v;
    (void)state;
    tamper("UPDATE snapshots SET billable_user_count = CASE id WHEN 2 THEN 30 ELSE 12 END "
           "WHERE id IN (2, 3)");
    v = verify(st);
    assert_int_equal(v->breaks, 2);
    assert_int_equal(v->listed[0].row_id, 2);
    assert_int_equal(v->listed[1].row_id, 3);
    assert_int_equal(v->listed[1].kind, SL_CHAIN_CHANGED);
    done(st);
}

static void test_truncated_table(void **state)
{
    sl_store *st = five_days();
    sl_chain_verdict *v;
    sl_error err = {0};
    (void)state;
    tamper("DELETE FROM snapshots WHERE id >= 4");
    v = verify(st);
    assert_int_equal(v->breaks, 3);
    assert_int_equal(v->listed[0].row_id, 4);
    assert_int_equal(v->listed[2].row_id, 6);
    assert_int_equal(v->listed[2].position, 6);
    assert_int_equal(v->listed[2].kind, SL_CHAIN_DELETED);
    /* the newest row gone is seen by the check of every write */
    assert_int_equal(sl_store_refresh(st, SL_SOURCE_CLI, NULL, &err), SL_ETAMPERED);
    /* one acknowledgement records the three as one range */
    assert_int_equal(sl_store_ledger_accept_break(st, SL_SOURCE_CLI, v, &err), SL_OK);
    assert_int_equal(v->accepted, 3);
    assert_int_equal(lt_scalar(st, "SELECT count(*) FROM chain_breaks"), 1);
    assert_int_equal(lt_scalar(st, "SELECT kind = 'deleted' AND tbl = 2 AND first = 4 AND "
                                   "last = 6 FROM chain_breaks"), 1);
    /* the ids of the deleted rows are not handed out again */
    assert_int_equal(sl_store_refresh(st, SL_SOURCE_CLI, NULL, &err), SL_OK);
    assert_int_equal(lt_scalar(st, "SELECT max(id) FROM snapshots"), 7);
    v = verify(st);
    assert_int_equal(v->breaks, 3);
    assert_int_equal(v->unacknowledged, 0);
    done(st);
}

static void test_inserted_row(void **state)
{
    sl_store *st = five_days();
    sl_chain_verdict *v;
    sl_error err = {0};
    (void)state;
    tamper("INSERT INTO snapshots(recorded_at, billable_user_count, source) "
           "VALUES (1795348800000, 1, 'cron')");
    v = verify(st);
    assert_int_equal(v->breaks, 1);
    assert_string_equal(first_break(st), "snapshots row 7 (recorded 2026-11-22T12:00:00.000Z) "
                        "is not in the chain: it was inserted, or the chain was reordered");
    assert_int_equal(sl_store_refresh(st, SL_SOURCE_CLI, NULL, &err), SL_ETAMPERED);
    assert_non_null(strstr(err.message, "snapshots row 7 (recorded"));
    assert_int_equal(sl_store_ledger_accept_break(st, SL_SOURCE_CLI, v, &err), SL_OK);
    assert_int_equal(sl_store_refresh(st, SL_SOURCE_CLI, NULL, &err), SL_OK);
    v = verify(st);
    assert_int_equal(v->breaks, 1);
    assert_int_equal(v->unacknowledged, 0);
    /* a row inserted in the middle, in an id left free by a deletion */
    tamper("DELETE FROM snapshots WHERE id = 2; DELETE FROM chain WHERE position = 2;"
           "INSERT INTO snapshots(id, recorded_at, billable_user_count, source) "
           "VALUES (2, 1793577600000, 1, 'cron')");
    v = verify(st);
    assert_int_equal(v->unacknowledged, 2);
    assert_int_equal(v->first_unacknowledged.kind, SL_CHAIN_MISSING);
    assert_int_equal(v->listed[1].kind, SL_CHAIN_INSERTED);
    done(st);
}

static void test_missing_entries(void **state)
{
    sl_store *st = five_days();
    sl_chain_verdict *v;
    (void)state;
    tamper("DELETE FROM snapshots WHERE id IN (2, 3); DELETE FROM chain WHERE position IN (2, 3)");
    v = verify(st);
    assert_int_equal(v->breaks, 1);
    assert_string_equal(first_break(st), "chain positions 2 to 3 are missing: rows and their "
                        "chain entries were deleted");
    done(st);
}

/* What the chain cannot see on its own: the newest rows deleted with their
 * entries leave a shorter chain that is whole.  The signed reports a
 * vendor keeps see it (test_report.c); docs/trust.md says so. */
static void test_truncated_tail_is_undetectable_alone(void **state)
{
    sl_store *st = five_days();
    sl_chain_verdict *v;
    (void)state;
    tamper("DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log);"
           "DELETE FROM snapshots WHERE id = 6; DELETE FROM chain WHERE position >= 6");
    v = verify(st);
    assert_int_equal(v->breaks, 0);
    assert_int_equal(v->head_position, 5);
    done(st);
}

static void test_entry_of_no_table(void **state)
{
    sl_store *st = five_days();
    (void)state;
    tamper("UPDATE chain SET tbl = 99 WHERE position = 2");
    assert_string_equal(first_break(st), "chain position 2 names no chained table (code 99): "
                        "the chain was changed");
    done(st);
}

static void test_chain_deleted_is_not_refilled(void **state)
{
    sl_store *st = five_days();
    sl_chain_verdict *v;
    char path[4096];
    sl_error err = {0};
    (void)state;
    tamper("DELETE FROM chain");
    v = verify(st);
    assert_int_equal(v->breaks, 7);
    assert_int_equal(v->first_unacknowledged.kind, SL_CHAIN_INSERTED);
    sl_store_close(st);
    snprintf(path, sizeof path, "%s/ledger.db", g_dir);
    assert_int_equal(sl_store_open(path, 0, &st, &err), SL_OK);
    assert_int_equal(sl__chain_fill(st->db, &err), SL_OK);
    assert_int_equal(lt_scalar(st, "SELECT count(*) FROM chain"), 0);
    assert_int_equal(verify(st)->breaks, 7);
    done(st);
}

/* A change deep in a long chain is found by the rolling re-verification
 * within ceil(rows / SL_CHAIN_RECHECK_ROWS) + 1 writes. */
static void test_rolling_recheck(void **state)
{
    sl_store *st = fresh();
    sl_error err = {0};
    int64_t rows, writes = 0, bound;
    (void)state;
    assert_int_equal(sl__begin(st, &err), SL_OK);
    assert_int_equal(sl__event_begin(st, 0, &err), SL_OK);
    for (int i = 0; i < 3 * SL_CHAIN_RECHECK_ROWS + 17; i++) {
        const sl__value v[] = {SL__ID, SL__INT(lt_ms("2026-11-01T00:00:00Z") + i), SL__INT(i)};
        assert_int_equal(sl__event_append(st, "INSERT INTO snapshots(id, recorded_at, "
                                              "billable_user_count, source) VALUES (?,?,?,'cron')",
                                          v, 3, "append", NULL, &err), SL_OK);
    }
    assert_int_equal(sl__commit(st, &err), SL_OK);
    rows = lt_scalar(st, "SELECT count(*) FROM chain");
    /* move the re-verification past the row first */
    assert_int_equal(sl_store_refresh(st, SL_SOURCE_CLI, NULL, &err), SL_OK);
    tamper("UPDATE snapshots SET billable_user_count = 7 WHERE id = 10");
    bound = (rows + 4) / SL_CHAIN_RECHECK_ROWS + 2;
    while (writes <= bound && sl_store_refresh(st, SL_SOURCE_CLI, NULL, &err) == SL_OK)
        writes++;
    assert_int_equal(err.code, SL_ETAMPERED);
    assert_non_null(strstr(err.message, "snapshots row 10 (chain position 10"));
    assert_true(writes >= 1);
    assert_true(writes <= bound);
    done(st);
}

static void test_unknown_table_refused(void **state)
{
    sl_store *st = fresh();
    sl_error err = {0};
    const sl__value v[] = {SL__TEXT("x")};
    (void)state;
    assert_int_equal(sl__begin(st, &err), SL_OK);
    assert_int_equal(sl__event_begin(st, 0, &err), SL_OK);
    assert_int_equal(sl__event_append(st, "INSERT INTO notify_state(subject, state, level, "
                                          "changed_at) VALUES (?, '', 0, 0)",
                                      v, 1, "append", NULL, &err), SL_EINTERNAL);
    assert_string_equal(err.message, "cannot append to 'notify_state': the table is neither "
                        "chained nor known to be unchained");
    sl__rollback(st);
    done(st);
}

/* A ledger made before the chain (schema 011), with rows in several
 * tables whose times interleave, is chained in time order when opened. */
static void test_migration_chains_old_ledger(void **state)
{
    char *dir = tu_tmpdir(), path[4096], *msg = NULL;
    sqlite3 *db = NULL;
    sl_store *st = NULL;
    sl_error err = {0};
    sl_chain_verdict *v;
    unsigned char head1[32], head2[32];
    /* (times of 1970: the clock is confirmed before the refresh at the end) */
    int64_t pos1, pos2;
    int before = 0;
    char pragma[64];
    (void)state;
    setenv("SEATLEDGER_NOW", "2026-11-22T12:00:00Z", 1);
    snprintf(path, sizeof path, "%s/ledger.db", dir);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    /* every migration before the chain's */
    while (strcmp(sl_migrations[before].name, "013_hash_chain.sql") != 0) {
        if (sqlite3_exec(db, sl_migrations[before].sql, NULL, NULL, &msg) != SQLITE_OK)
            fail_msg("%s: %s", sl_migrations[before].name, msg);
        before++;
    }
    snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", before);
    assert_int_equal(sqlite3_exec(db, pragma, NULL, NULL, NULL), SQLITE_OK);
    if (sqlite3_exec(db,
            "INSERT INTO licenses(id, data, payload, created_at, plan, source) "
            "  VALUES (1, 'KEY-ONE', '{}', 1000, 'premium', 'cli');"
            "INSERT INTO audit_log(at, action, license_id, outcome) VALUES "
            "  (1000, 'license.add', 1, 'ok'), (1500, 'license.add', 2, 'ok'),"
            "  (2500, 'license.delete', 2, 'ok'), (4000, 'ledger.refresh', 1, 'ok');"
            "INSERT INTO snapshots(recorded_at, billable_user_count, source, license_id) VALUES "
            "  (2000, 5, 'cron', 1), (3000, 6, 'cron', 1), (4000, 7, 'cron', 1);"
            "INSERT INTO clock_events(at, kind, source, latest_before, audit_id, snapshot_id, "
            "  license_id, token_id, key_id) VALUES (3500, 'confirm', 'cli', 3000, 3, 2, 1, 0, 0);",
            NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("old ledger: %s", msg);
    sqlite3_close(db);
    assert_int_equal(sl_store_open(path, 0, &st, &err), SL_OK);
    v = verify(st);
    assert_int_equal(v->breaks, 0);
    /* 4 audit lines, 3 snapshots, 1 clock event, 3 license events */
    assert_int_equal(v->head_position, 11);
    assert_int_equal(lt_scalar(st, "SELECT count(*) FROM license_events"), 3);
    assert_int_equal(lt_scalar(st, "SELECT count(*) FROM license_events WHERE event = 'added' "
                                   "AND license_id = 1 AND data = 'KEY-ONE' AND at = 1000"), 1);
    assert_int_equal(lt_scalar(st, "SELECT count(*) FROM license_events WHERE event = 'added' "
                                   "AND license_id = 2 AND data IS NULL AND at = 1500"), 1);
    assert_int_equal(lt_scalar(st, "SELECT count(*) FROM license_events WHERE event = 'deleted' "
                                   "AND license_id = 2 AND at = 2500"), 1);
    /* in time order; ties by table code (the audit log is 1, snapshots 2) */
    assert_int_equal(lt_scalar(st,
        "SELECT group_concat(tbl || ':' || row_id, ' ') = "
        "'1:1 5:1 1:2 5:2 2:1 1:3 5:3 2:2 6:1 1:4 2:3' FROM "
        "(SELECT tbl, row_id FROM chain ORDER BY position)"), 1);
    /* a second open, and a second fill, change nothing */
    assert_int_equal(sl__chain_head(st, &pos1, head1, &err), SL_OK);
    assert_int_equal(sl__chain_fill(st->db, &err), SL_OK);
    sl_store_close(st);
    assert_int_equal(sl_store_open(path, 0, &st, &err), SL_OK);
    assert_int_equal(sl__chain_head(st, &pos2, head2, &err), SL_OK);
    assert_int_equal(pos1, pos2);
    assert_memory_equal(head1, head2, 32);
    /* and it goes on from there */
    lt_confirm(st);
    assert_int_equal(sl_store_refresh(st, SL_SOURCE_CLI, NULL, &err), SL_OK);
    /* the clock confirmation and its audit line, the snapshot and its */
    assert_int_equal(verify(st)->head_position, 15);
    assert_int_equal(verify(st)->breaks, 0);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

/* License additions and deletions are chained with the key text. */
static void test_license_events(void **state)
{
    sl_store *st = fresh();
    sl_error err = {0};
    char *priv = NULL, *pub = NULL, *key;
    tu_license l = {.plan = "premium", .seats = 10, .starts = "2026-01-01",
                    .expires = "2027-01-01"};
    int64_t id = 0;
    sqlite3_stmt *s = NULL;
    (void)state;
    assert_int_equal(sl_keys_generate(2048, &priv, &pub, &err), SL_OK);
    assert_int_equal(sl_store_key_trust(st, pub, strlen(pub), "vendor", &err), SL_OK);
    key = tu_issue(priv, &l);
    assert_int_equal(sl_store_license_add(st, key, strlen(key), SL_SOURCE_CLI, &id, &err), SL_OK);
    assert_int_equal(sl_store_license_delete(st, id, SL_SOURCE_CLI, &err), SL_OK);
    assert_int_equal(sqlite3_prepare_v2(st->db,
        "SELECT e.event, e.license_id, e.data, c.position FROM license_events e "
        "JOIN chain c ON c.tbl = 5 AND c.row_id = e.id ORDER BY e.id", -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(s, 0), "added");
    assert_int_equal(sqlite3_column_int64(s, 1), id);
    assert_string_equal((const char *)sqlite3_column_text(s, 2), key);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(s, 0), "deleted");
    assert_int_equal(sqlite3_column_type(s, 2), SQLITE_NULL);
    assert_int_equal(sqlite3_step(s), SQLITE_DONE);
    sqlite3_finalize(s);
    assert_int_equal(verify(st)->breaks, 0);
    sl_free(key);
    sl_free(priv);
    sl_free(pub);
    done(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_vectors),
        cmocka_unit_test(test_tables_match_schema),
        cmocka_unit_test(test_fresh_ledger_intact),
        cmocka_unit_test(test_deleted_peak_day),
        cmocka_unit_test(test_changed_row),
        cmocka_unit_test(test_flipped_hash_is_one_break),
        cmocka_unit_test(test_swapped_rows),
        cmocka_unit_test(test_truncated_table),
        cmocka_unit_test(test_inserted_row),
        cmocka_unit_test(test_missing_entries),
        cmocka_unit_test(test_truncated_tail_is_undetectable_alone),
        cmocka_unit_test(test_entry_of_no_table),
        cmocka_unit_test(test_chain_deleted_is_not_refilled),
        cmocka_unit_test(test_rolling_recheck),
        cmocka_unit_test(test_unknown_table_refused),
        cmocka_unit_test(test_migration_chains_old_ledger),
        cmocka_unit_test(test_license_events),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
