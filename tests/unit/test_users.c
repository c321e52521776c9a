/*
 * test_users.c - the user directory: CSV and JSON Lines import (columns in
 * any order, upsert, prune), every rejection with its exact message and line
 * number, a rejected import leaving the ledger file byte-for-byte unchanged,
 * listing with verdicts, and the counts by reason.
 */
#include "testutil.h"
#include "ledger/billable.h"
#include "ledger/ledger_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char SAMPLE_CSV[] = "fixtures/users/sample.csv";
static const char SAMPLE_JSONL[] = "fixtures/users/sample.jsonl";

/* The sample directory's verdicts, by reason, on a non-ultimate plan. */
static const int64_t SAMPLE_BY_REASON[SL_REASON_COUNT] = {14, 2, 1, 1, 1, 9, 2, 0, 0};

static FILE *memfile(const char *data, size_t len)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    if (len)
        assert_int_equal(fwrite(data, 1, len, f), len);
    rewind(f);
    return f;
}

static sl_rc import_buf(sl_store *st, const char *data, size_t len, sl_user_format fmt,
                        int prune, sl_import_stats *stats, sl_error *err)
{
    FILE *f = memfile(data, len);
    sl_rc rc = sl_store_users_import(st, f, fmt, prune, len, NULL, NULL, stats, err);
    fclose(f);
    return rc;
}

static sl_rc import_str(sl_store *st, const char *data, sl_user_format fmt, int prune,
                        sl_import_stats *stats, sl_error *err)
{
    return import_buf(st, data, strlen(data), fmt, prune, stats, err);
}

static void import_fixture(sl_store *st, const char *rel, sl_user_format fmt,
                           sl_import_stats *stats)
{
    char *path = tu_source_path(rel);
    FILE *f = fopen(path, "rb");
    sl_error err = {0};
    sl_import_stats local;
    assert_non_null(f);
    if (sl_store_users_import(st, f, fmt, 0, 0, NULL, NULL, stats ? stats : &local, &err) !=
        SL_OK)
        fail_msg("import of %s failed: %s", rel, err.message);
    fclose(f);
    free(path);
}

/* ---- listing as text -------------------------------------------------------- */

static int dump_one(void *ud, const sl_user *u)
{
    sl_buf *b = ud;
    assert_int_equal(sl__buf_printf(b, "%s|%s|%s|%s|%s|%s|%d|%s|%s\n", u->id, u->username,
                                    u->email ? u->email : "-", u->state, u->user_type,
                                    u->highest_role, u->guest_seat,
                                    u->last_activity_on ? u->last_activity_on : "-",
                                    u->reason),
                     SL_OK);
    return 0;
}

/* All users as "id|username|email|state|type|role|seat|date|reason" lines. */
static char *dump(sl_store *st, const char *plan, int billable_only)
{
    sl_buf b;
    sl_error err = {0};
    sl__buf_init(&b, 0);
    assert_int_equal(sl__users_each_plan(st, plan, billable_only, dump_one, &b, &err), SL_OK);
    return sl__buf_take(&b);
}

static int64_t billable(sl_store *st, const char *plan)
{
    int64_t n = -1;
    sl_error err = {0};
    assert_int_equal(sl__users_billable_count(st, plan, &n, &err), SL_OK);
    return n;
}

/* ---- imports that succeed ------------------------------------------------- */

static void test_sample_csv(void **state)
{
    (void)state;
    char *dir, *all;
    sl_store *st = tu_store(&dir);
    sl_import_stats s;
    sl_user_counts c;
    sl_error err = {0};
    import_fixture(st, SAMPLE_CSV, SL_USERS_CSV, &s);
    assert_int_equal(s.rows, 30);
    assert_int_equal(s.inserted, 30);
    assert_int_equal(s.updated, 0);
    assert_int_equal(s.removed, 0);

    /* no license: the non-ultimate rules */
    assert_int_equal(sl_store_users_count(st, &c, &err), SL_OK);
    assert_string_equal(c.plan, "none");
    assert_int_equal(c.total, 30);
    assert_int_equal(c.billable, 14);
    for (int i = 0; i < SL_REASON_COUNT; i++)
        assert_int_equal(c.by_reason[i], SAMPLE_BY_REASON[i]);
    assert_int_equal(billable(st, "premium"), 14);
    assert_int_equal(billable(st, "starter"), 14);
    /* ultimate also frees heidi (no membership), erin and deploy (plain guests) */
    assert_int_equal(billable(st, "ultimate"), 11);

    all = dump(st, "ultimate", 0);
    /* ordered by id as text; values exactly as imported */
    assert_non_null(strstr(all, "1|root|admin@example.com|active|human|owner|0|2024-06-03|billable\n"
                                "10|ivan|ivan@example.com|blocked|human|developer|0|2023-11-20|blocked\n"));
    assert_non_null(strstr(all, "\n6|erin|erin@example.com|active|human|guest|0|2024-04-11|guest_on_ultimate\n"));
    assert_non_null(strstr(all, "\n7|frank|frank@example.com|active|human|guest|1|2024-06-01|billable\n"));
    assert_non_null(strstr(all, "\n9|heidi|heidi@example.com|active|human|none|0|-|no_membership_on_ultimate\n"));
    assert_non_null(strstr(all, "\n12|mallory|mallory@example.com|blocked_pending_approval|human|none|0|-|pending_approval\n"));
    assert_non_null(strstr(all, "\n17|alert-bot|-|active|alert_bot|none|0|-|bot\n"));
    assert_non_null(strstr(all, "\n29|walter|walter@example.com|active|human|minimal_access|0|-|minimal_access\n"));
    assert_non_null(strstr(all, "\n30|zoe|zo\xc3\xab.\xc3\xa5ngstr\xc3\xb6m@example.com|active|human|reporter|1|2024-06-03|billable\n"));
    free(all);
    all = dump(st, "premium", 1);
    assert_string_equal(all,
        "1|root|admin@example.com|active|human|owner|0|2024-06-03|billable\n"
        "2|alice|alice@example.com|active|human|maintainer|0|2024-06-03|billable\n"
        "20|ci-runner|ci@example.com|active|service_user|developer|0|2024-06-03|billable\n"
        "21|deploy|deploy@example.com|active|service_user|guest|0|2024-05-01|billable\n"
        "26|peggy|peggy@example.com|active|human|owner|0|2024-06-03|billable\n"
        "27|trent|trent@example.com|active|human|developer|0|2024-05-17|billable\n"
        "28|victor|victor@example.com|active|human|guest|1|2024-05-20|billable\n"
        "3|bob|bob@example.com|active|human|developer|0|2024-06-02|billable\n"
        "30|zoe|zo\xc3\xab.\xc3\xa5ngstr\xc3\xb6m@example.com|active|human|reporter|1|2024-06-03|billable\n"
        "4|carol|carol@example.com|active|human|reporter|0|2024-05-28|billable\n"
        "5|dave|dave@example.com|active|human|planner|0|2024-05-30|billable\n"
        "6|erin|erin@example.com|active|human|guest|0|2024-04-11|billable\n"
        "7|frank|frank@example.com|active|human|guest|1|2024-06-01|billable\n"
        "9|heidi|heidi@example.com|active|human|none|0|-|billable\n");
    free(all);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

/* The JSON Lines sample is the same directory and must read the same. */
static void test_sample_jsonl_same_as_csv(void **state)
{
    (void)state;
    char *d1, *d2, *a, *b;
    sl_store *s1 = tu_store(&d1), *s2 = tu_store(&d2);
    sl_import_stats s;
    import_fixture(s1, SAMPLE_CSV, SL_USERS_CSV, NULL);
    import_fixture(s2, SAMPLE_JSONL, SL_USERS_JSONL, &s);
    assert_int_equal(s.rows, 30);
    assert_int_equal(s.inserted, 30);
    a = dump(s1, "ultimate", 0);
    b = dump(s2, "ultimate", 0);
    assert_string_equal(a, b);
    free(a);
    free(b);
    sl_store_close(s1);
    sl_store_close(s2);
    tu_rmtree(d1);
    tu_rmtree(d2);
    free(d1);
    free(d2);
}

static void test_any_column_order_and_defaults(void **state)
{
    (void)state;
    char *dir, *all;
    sl_store *st = tu_store(&dir);
    sl_import_stats s;
    sl_error err = {0};
    /* only the required columns, shuffled; CRLF line ends; a BOM; blanks
     * around unquoted fields are trimmed, quoted ones kept */
    assert_int_equal(import_str(st,
                                "\xef\xbb\xbfstate,username,id\r\n"
                                "active,alice,a1\r\n"
                                "\r\n"
                                " blocked , bob ,\" b2 \"\r\n",
                                SL_USERS_CSV, 0, &s, &err),
                     SL_OK);
    assert_int_equal(s.rows, 2);
    all = dump(st, "premium", 0);
    assert_string_equal(all, " b2 |bob|-|blocked|human|none|0|-|blocked\n"
                             "a1|alice|-|active|human|none|0|-|billable\n");
    free(all);
    /* every column, in another order; empty optional values take defaults;
     * guest_seat spellings; no final newline */
    assert_int_equal(import_str(st,
                                "last_activity_on,guest_seat,highest_role,user_type,state,email,username,id\n"
                                "2024-02-29,TRUE,guest,service_user,active,c@example.com,carl,c3\n"
                                ",,,,active,,dora,d4\n"
                                "2000-01-01,No,owner,,deactivated,,ed,e5\n"
                                "1999-12-31,yes,guest,human,active,,fay,f6",
                                SL_USERS_CSV, 0, &s, &err),
                     SL_OK);
    assert_int_equal(s.rows, 4);
    all = dump(st, "ultimate", 0);
    assert_string_equal(all, " b2 |bob|-|blocked|human|none|0|-|blocked\n"
                             "a1|alice|-|active|human|none|0|-|no_membership_on_ultimate\n"
                             "c3|carl|c@example.com|active|service_user|guest|1|2024-02-29|billable\n"
                             "d4|dora|-|active|human|none|0|-|no_membership_on_ultimate\n"
                             "e5|ed|-|deactivated|human|owner|0|2000-01-01|deactivated\n"
                             "f6|fay|-|active|human|guest|1|1999-12-31|billable\n");
    free(all);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

static void test_jsonl_values(void **state)
{
    (void)state;
    char *dir, *all;
    sl_store *st = tu_store(&dir);
    sl_import_stats s;
    sl_error err = {0};
    /* keys in any order, null for absent, integer or string ids, boolean or
     * string guest_seat, blank lines and a missing final newline */
    assert_int_equal(import_str(st,
                                "{\"state\":\"active\",\"username\":\"a\",\"id\":17}\n"
                                "\n"
                                "   \r\n"
                                "{\"id\":\"x-2\",\"username\":\"b\",\"state\":\"active\",\"email\":null,"
                                "\"user_type\":null,\"highest_role\":\"guest\",\"guest_seat\":\"yes\","
                                "\"last_activity_on\":null}\r\n"
                                "{\"id\":-3,\"username\":\"c\\u00e9\",\"state\":\"banned\",\"guest_seat\":true,"
                                "\"highest_role\":\"developer\",\"last_activity_on\":\"2023-01-31\"}",
                                SL_USERS_JSONL, 0, &s, &err),
                     SL_OK);
    assert_int_equal(s.rows, 3);
    all = dump(st, "ultimate", 0);
    assert_string_equal(all, "-3|c\xc3\xa9|-|banned|human|developer|1|2023-01-31|banned\n"
                             "17|a|-|active|human|none|0|-|no_membership_on_ultimate\n"
                             "x-2|b|-|active|human|guest|1|-|billable\n");
    free(all);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

static void test_upsert_and_prune(void **state)
{
    (void)state;
    char *dir, *all;
    sl_store *st = tu_store(&dir);
    sl_import_stats s;
    sl_error err = {0};
    sqlite3_stmt *q;
    import_fixture(st, SAMPLE_CSV, SL_USERS_CSV, NULL);
    /* two known ids change, one is new; the other 28 stay as they were */
    assert_int_equal(import_str(st,
                                "id,username,state,highest_role\n"
                                "6,erin,active,developer\n"
                                "31,new,active,reporter\n"
                                "10,ivan,active,developer\n",
                                SL_USERS_CSV, 0, &s, &err),
                     SL_OK);
    assert_int_equal(s.rows, 3);
    assert_int_equal(s.inserted, 1);
    assert_int_equal(s.updated, 2);
    assert_int_equal(s.removed, 0);
    all = dump(st, "premium", 0);
    /* an update replaces every column: omitted ones take their defaults */
    assert_non_null(strstr(all, "\n6|erin|-|active|human|developer|0|-|billable\n"));
    assert_non_null(strstr(all, "\n10|ivan|-|active|human|developer|0|-|billable\n"));
    assert_non_null(strstr(all, "\n31|new|-|active|human|reporter|0|-|billable\n"));
    assert_non_null(strstr(all, "\n29|walter|walter@example.com|active|human|minimal_access|0|-|minimal_access\n"));
    free(all);
    assert_int_equal(billable(st, "premium"), 16);

    /* the same file again is all updates: no duplicate across imports */
    assert_int_equal(import_str(st, "id,username,state\n31,new,active\n", SL_USERS_CSV, 0, &s,
                                &err),
                     SL_OK);
    assert_int_equal(s.inserted, 0);
    assert_int_equal(s.updated, 1);

    /* --prune: the file is the whole directory */
    assert_int_equal(import_str(st, "{\"id\":\"31\",\"username\":\"new\",\"state\":\"active\"}\n"
                                    "{\"id\":\"32\",\"username\":\"newer\",\"state\":\"blocked\"}\n",
                                SL_USERS_JSONL, 1, &s, &err),
                     SL_OK);
    assert_int_equal(s.rows, 2);
    assert_int_equal(s.inserted, 1);
    assert_int_equal(s.updated, 1);
    assert_int_equal(s.removed, 30);
    all = dump(st, "premium", 0);
    assert_string_equal(all, "31|new|-|active|human|none|0|-|billable\n"
                             "32|newer|-|blocked|human|none|0|-|blocked\n");
    free(all);

    /* a header-only CSV with --prune empties the directory */
    assert_int_equal(import_str(st, "id,username,state\n", SL_USERS_CSV, 1, &s, &err), SL_OK);
    assert_int_equal(s.rows, 0);
    assert_int_equal(s.removed, 2);
    assert_int_equal(billable(st, "premium"), 0);

    /* every successful import is in the audit log */
    assert_int_equal(sqlite3_prepare_v2(st->db,
                                        "SELECT group_concat(detail, ';') FROM audit_log "
                                        "WHERE action = 'users.import' AND outcome = 'ok'",
                                        -1, &q, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(q, 0),
                        "rows=30 inserted=30 updated=0 removed=0;"
                        "rows=3 inserted=1 updated=2 removed=0;"
                        "rows=1 inserted=0 updated=1 removed=0;"
                        "rows=2 inserted=1 updated=1 removed=30;"
                        "rows=0 inserted=0 updated=0 removed=2");
    sqlite3_finalize(q);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

/* user_counts as the GROUP BY over the directory gives them, as text */
static char *counts_text(sl_store *st, int from_users)
{
    sqlite3_stmt *q;
    char *out = calloc(1, 64 * 1024);
    size_t n = 0;
    assert_non_null(out);
    assert_int_equal(sqlite3_prepare_v2(st->db,
                                        from_users ? "SELECT billing_key, count(*) FROM users "
                                                     "GROUP BY billing_key ORDER BY 1"
                                                   : "SELECT billing_key, n FROM user_counts "
                                                     "ORDER BY 1",
                                        -1, &q, NULL),
                     SQLITE_OK);
    while (sqlite3_step(q) == SQLITE_ROW)
        n += (size_t)snprintf(out + n, 64 * 1024 - n, "%d:%lld ", sqlite3_column_int(q, 0),
                              (long long)sqlite3_column_int64(q, 1));
    sqlite3_finalize(q);
    return out;
}

/* A first import (into an empty directory) counts users per billing key
 * itself; the counts must be those of the directory, before and after a
 * merge, and a repeated id is still named with its line. */
static void test_fresh_import(void **state)
{
    (void)state;
    char *dir, *a, *b;
    sl_store *st = tu_store(&dir);
    sl_import_stats s;
    sl_error err = {0};
    assert_int_equal(import_str(st, "id,username,state\n1,a,active\n2,b,active\n1,c,active\n",
                                SL_USERS_CSV, 0, &s, &err),
                     SL_EINVAL);
    assert_string_equal(err.message, "line 4: duplicate id '1'");
    a = counts_text(st, 0);
    assert_string_equal(a, "");
    free(a);
    import_fixture(st, SAMPLE_CSV, SL_USERS_CSV, &s);
    assert_int_equal(s.inserted, 30);
    a = counts_text(st, 0);
    b = counts_text(st, 1);
    assert_true(strlen(a) > 0);
    assert_string_equal(a, b);
    free(a);
    free(b);
    assert_int_equal(import_str(st, "id,username,state,highest_role\n6,erin,blocked,owner\n"
                                    "99,zed,active,guest\n",
                                SL_USERS_CSV, 0, &s, &err),
                     SL_OK);
    a = counts_text(st, 0);
    b = counts_text(st, 1);
    assert_string_equal(a, b);
    free(a);
    free(b);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

static void test_field_limit_boundary(void **state)
{
    (void)state;
    char *dir;
    sl_store *st = tu_store(&dir);
    sl_import_stats s;
    sl_error err = {0};
    sl_buf b;
    char name[SL_USER_FIELD_MAX + 1];
    memset(name, 'n', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    sl__buf_init(&b, 0);
    assert_int_equal(sl__buf_printf(&b, "id,username,state\n1,%s,active\n", name), SL_OK);
    assert_int_equal(import_buf(st, b.data, b.len, SL_USERS_CSV, 0, &s, &err), SL_OK);
    assert_int_equal(s.rows, 1);
    sl__buf_free(&b);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

/* ---- rejections ------------------------------------------------------------ */

/* Import `data` into a ledger holding the sample directory and expect the
 * whole file to be refused with `code` and exactly `msg` (or, when `prefix`,
 * a message starting with it); the ledger file must not change by a byte. */
static void expect_reject_buf(const char *data, size_t len, sl_user_format fmt, int prune,
                              sl_rc code, const char *msg, int prefix)
{
    char *dir, path[4096], *before, *after;
    size_t nbefore, nafter;
    sl_store *st = tu_store(&dir);
    sl_import_stats s = {1, 1, 1, 1};
    sl_error err = {0};
    sl_rc rc;
    snprintf(path, sizeof path, "%s", sl_store_path(st));
    import_fixture(st, SAMPLE_CSV, SL_USERS_CSV, NULL);
    sl_store_close(st);
    before = tu_read(path, &nbefore);

    assert_int_equal(sl_store_open(path, 0, &st, &err), SL_OK);
    rc = import_buf(st, data, len, fmt, prune, &s, &err);
    if (rc != code || (prefix ? strncmp(err.message, msg, strlen(msg)) != 0
                              : strcmp(err.message, msg) != 0))
        fail_msg("want %s '%s', got %s '%s'", sl_rc_name(code), msg, sl_rc_name(rc),
                 err.message);
    assert_int_equal(err.code, code);
    assert_int_equal(s.rows + s.inserted + s.updated + s.removed, 0);
    assert_int_equal(billable(st, "premium"), 14);
    sl_store_close(st);

    after = tu_read(path, &nafter);
    assert_int_equal(nbefore, nafter);
    assert_memory_equal(before, after, nbefore);
    free(before);
    free(after);
    tu_rmtree(dir);
    free(dir);
}

static void expect_reject(const char *data, sl_user_format fmt, sl_rc code, const char *msg)
{
    expect_reject_buf(data, strlen(data), fmt, 0, code, msg, 0);
}

/* For messages that end in a library's own wording (jansson). */
static void expect_reject_prefix(const char *data, sl_user_format fmt, const char *msg)
{
    expect_reject_buf(data, strlen(data), fmt, 0, SL_EINVAL, msg, 1);
}

#define H "id,username,email,state,user_type,highest_role,guest_seat,last_activity_on\n"

static void test_csv_rejections(void **state)
{
    (void)state;
    expect_reject(H "1,a,,active,human,none,false,\n7,b,,actve,human,none,false,\n",
                  SL_USERS_CSV, SL_EINVAL, "line 3: unknown state 'actve'");
    expect_reject(H "1,a,,active,robot,none,false,\n", SL_USERS_CSV, SL_EINVAL,
                  "line 2: unknown user_type 'robot'");
    expect_reject(H "1,a,,active,Human,none,false,\n", SL_USERS_CSV, SL_EINVAL,
                  "line 2: unknown user_type 'Human'");
    expect_reject(H "1,a,,active,human,admin,false,\n", SL_USERS_CSV, SL_EINVAL,
                  "line 2: unknown highest_role 'admin'");
    expect_reject(H "1,a,,active,human,none,maybe,\n", SL_USERS_CSV, SL_EINVAL,
                  "line 2: invalid guest_seat 'maybe': use true or false");
    expect_reject(H "1,a,,active,human,none,false,2024-02-30\n", SL_USERS_CSV, SL_EINVAL,
                  "line 2: invalid last_activity_on '2024-02-30': not a valid YYYY-MM-DD date");
    expect_reject(H "1,a,,active,human,none,false,2024-2-3\n", SL_USERS_CSV, SL_EINVAL,
                  "line 2: invalid last_activity_on '2024-2-3': not a valid YYYY-MM-DD date");
    expect_reject(H "1,a,,active,human,none,false,2024-06-01T10:00:00Z\n", SL_USERS_CSV,
                  SL_EINVAL,
                  "line 2: invalid last_activity_on '2024-06-01T10:00:00Z': not a valid "
                  "YYYY-MM-DD date");
    /* required values */
    expect_reject(H ",a,,active,human,none,false,\n", SL_USERS_CSV, SL_EINVAL,
                  "line 2: missing id");
    expect_reject(H "1,,,active,human,none,false,\n", SL_USERS_CSV, SL_EINVAL,
                  "line 2: missing username");
    expect_reject(H "1,a,,\"\",human,none,false,\n", SL_USERS_CSV, SL_EINVAL,
                  "line 2: missing state");
    /* the header */
    expect_reject("id,username\n1,a\n", SL_USERS_CSV, SL_EINVAL, "line 1: missing column 'state'");
    expect_reject("id,state\n1,active\n", SL_USERS_CSV, SL_EINVAL,
                  "line 1: missing column 'username'");
    expect_reject("id,username,state,nickname\n1,a,active,x\n", SL_USERS_CSV, SL_EINVAL,
                  "line 1: unknown column 'nickname'");
    expect_reject("id,username,State\n", SL_USERS_CSV, SL_EINVAL,
                  "line 1: unknown column 'State'");
    expect_reject("id,username,state,id\n", SL_USERS_CSV, SL_EINVAL,
                  "line 1: duplicate column 'id'");
    expect_reject("", SL_USERS_CSV, SL_EINVAL, "empty input: expected a header row");
    expect_reject("\n \n\r\n", SL_USERS_CSV, SL_EINVAL, "empty input: expected a header row");
    /* record shape */
    expect_reject("id,username,state\n1,a\n", SL_USERS_CSV, SL_EINVAL,
                  "line 2: 2 fields, the header has 3");
    expect_reject("id,username,state\n1,a,active,\n", SL_USERS_CSV, SL_EINVAL,
                  "line 2: 4 fields, the header has 3");
    expect_reject("id,username,state\n1\n", SL_USERS_CSV, SL_EINVAL,
                  "line 2: 1 field, the header has 3");
    /* duplicate ids within the file (ids from an earlier import are fine) */
    expect_reject("id,username,state\n1,a,active\n2,b,active\n1,c,active\n", SL_USERS_CSV,
                  SL_EINVAL, "line 4: duplicate id '1'");
    /* CSV syntax */
    expect_reject("id,username,state\n1,a\"b,active\n", SL_USERS_CSV, SL_EINVAL,
                  "line 2: malformed CSV: a quote inside an unquoted field or text after a "
                  "closing quote");
    expect_reject("id,username,state\n1,\"a\"b,active\n", SL_USERS_CSV, SL_EINVAL,
                  "line 2: malformed CSV: a quote inside an unquoted field or text after a "
                  "closing quote");
    expect_reject("id,username,state\n1,a,active\n2,\"b,active\n3,c,active\n", SL_USERS_CSV,
                  SL_EINVAL, "line 3: unterminated quoted field");
    /* bytes */
    expect_reject("id,username,state\n1,\xc3\x28,active\n", SL_USERS_CSV, SL_EINVAL,
                  "line 2: invalid UTF-8 in username");
    expect_reject("id,username,state\n1,a,active\n2,b\xed\xa0\x80,active\n", SL_USERS_CSV,
                  SL_EINVAL, "line 3: invalid UTF-8 in username");
    expect_reject("id,username,state\n1,\xc0\xaf,active\n", SL_USERS_CSV, SL_EINVAL,
                  "line 2: invalid UTF-8 in username");
    expect_reject_buf("id,username,state\n1,a\0b,active\n", 31, SL_USERS_CSV, 0, SL_EINVAL,
                      "line 2: NUL byte in username", 0);
    /* a bad value is quoted short and printable */
    expect_reject("id,username,state\n1,a,\"act\nive\"\n", SL_USERS_CSV, SL_EINVAL,
                  "line 2: unknown state 'act?ive'");
}

/* Line numbers count physical lines: blank lines, CRLF and quoted newlines. */
static void test_csv_line_numbers(void **state)
{
    (void)state;
    expect_reject("id,username,state\n\n\n1,a,actve\n", SL_USERS_CSV, SL_EINVAL,
                  "line 4: unknown state 'actve'");
    expect_reject("id,username,state\r\n1,a,active\r\n\r\n2,b,actve\r\n", SL_USERS_CSV,
                  SL_EINVAL, "line 4: unknown state 'actve'");
    /* a record spanning lines 2-4 is reported where it starts ... */
    expect_reject("id,username,state\n1,\"multi\nline\nname\",actve\n", SL_USERS_CSV,
                  SL_EINVAL, "line 2: unknown state 'actve'");
    /* ... and the next record starts on line 5 */
    expect_reject("id,username,state\n1,\"multi\nline\nname\",active\n2,b,actve\n",
                  SL_USERS_CSV, SL_EINVAL, "line 5: unknown state 'actve'");
    expect_reject("\n\nid,username,state,bogus\n", SL_USERS_CSV, SL_EINVAL,
                  "line 3: unknown column 'bogus'");
    /* no final newline */
    expect_reject("id,username,state\n1,a,active\n2,b,banned\n1,c,active", SL_USERS_CSV,
                  SL_EINVAL, "line 4: duplicate id '1'");
}

static void test_csv_limits(void **state)
{
    (void)state;
    sl_buf b;
    char big[SL_USER_LINE_MAX + 2];
    sl__buf_init(&b, 0);
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    /* one field over SL_USER_FIELD_MAX */
    assert_int_equal(sl__buf_printf(&b, "id,username,state\n1,a,active\n2,%.*s,active\n",
                                    SL_USER_FIELD_MAX + 1, big), SL_OK);
    expect_reject_buf(b.data, b.len, SL_USERS_CSV, 0, SL_ETOOBIG,
                      "line 3: username is longer than 1024 bytes", 0);
    b.len = 0;
    /* a record over SL_USER_LINE_MAX, even inside quotes, across lines */
    assert_int_equal(sl__buf_printf(&b, "id,username,state\n1,\"%.*s\n%s\",active\n", 100, big,
                                    big), SL_OK);
    expect_reject_buf(b.data, b.len, SL_USERS_CSV, 0, SL_ETOOBIG,
                      "line 2: record longer than 65536 bytes", 0);
    sl__buf_free(&b);
}

/* A big file rejected at its very end: the transaction has spilled pages to
 * the WAL by then, and the ledger must still be exactly as it was. */
static void test_big_rejection_is_atomic(void **state)
{
    (void)state;
    sl_buf b;
    sl__buf_init(&b, 0);
    assert_int_equal(sl__buf_printf(&b, "id,username,email,state\n"), SL_OK);
    for (int i = 0; i < 60000; i++)
        assert_int_equal(sl__buf_printf(&b, "u%06d,user%d,user%d@example.com,active\n", i, i, i),
                         SL_OK);
    assert_int_equal(sl__buf_printf(&b, "last,x,,actve\n"), SL_OK);
    expect_reject_buf(b.data, b.len, SL_USERS_CSV, 1, SL_EINVAL,
                      "line 60002: unknown state 'actve'", 0);
    sl__buf_free(&b);
}

static void test_jsonl_rejections(void **state)
{
    (void)state;
    char line[SL_USER_LINE_MAX + 64];
    expect_reject("{\"id\":1,\"username\":\"a\",\"state\":\"active\"}\n"
                  "{\"id\":2,\"username\":\"b\",\"state\":\"actve\"}\n",
                  SL_USERS_JSONL, SL_EINVAL, "line 2: unknown state 'actve'");
    expect_reject("{\"id\":1,\"username\":\"a\",\"state\":\"active\"}\n\n"
                  "{\"id\":\"1\",\"username\":\"b\",\"state\":\"active\"}\n",
                  SL_USERS_JSONL, SL_EINVAL, "line 3: duplicate id '1'");
    expect_reject("{\"id\":1,\"username\":\"a\"}\n", SL_USERS_JSONL, SL_EINVAL,
                  "line 1: missing state");
    expect_reject("{\"id\":1,\"username\":null,\"state\":\"active\"}\n", SL_USERS_JSONL,
                  SL_EINVAL, "line 1: missing username");
    expect_reject("{\"id\":1,\"username\":\"a\",\"state\":\"active\",\"nickname\":\"x\"}\n",
                  SL_USERS_JSONL, SL_EINVAL, "line 1: unknown key 'nickname'");
    expect_reject("{\"id\":1,\"username\":5,\"state\":\"active\"}\n", SL_USERS_JSONL, SL_EINVAL,
                  "line 1: username must be a string");
    expect_reject("{\"id\":1.5,\"username\":\"a\",\"state\":\"active\"}\n", SL_USERS_JSONL,
                  SL_EINVAL, "line 1: id must be a string or an integer");
    expect_reject("{\"id\":1,\"username\":\"a\",\"state\":\"active\",\"guest_seat\":1}\n",
                  SL_USERS_JSONL, SL_EINVAL, "line 1: guest_seat must be a string or a boolean");
    expect_reject("{\"id\":1,\"username\":\"a\",\"state\":\"active\",\"highest_role\":[]}\n",
                  SL_USERS_JSONL, SL_EINVAL, "line 1: highest_role must be a string");
    expect_reject("[1,2]\n", SL_USERS_JSONL, SL_EINVAL, "line 1: expected a JSON object");
    expect_reject_prefix("{\"id\":1,\"username\":\"a\",\"state\":\"active\"}\n{\"id\":2,\n",
                         SL_USERS_JSONL, "line 2: invalid JSON at column ");
    /* a repeated key is an error, not "the last one wins" */
    expect_reject_prefix("{\"id\":1,\"id\":2,\"username\":\"a\",\"state\":\"active\"}\n",
                         SL_USERS_JSONL, "line 1: invalid JSON at column ");
    expect_reject("{\"id\":1,\"username\":\"a\\u0000b\",\"state\":\"active\"}\n", SL_USERS_JSONL,
                  SL_EINVAL, "line 1: NUL byte in username");
    expect_reject_buf("{\"id\":1,\"username\":\"a\0b\",\"state\":\"active\"}\n", 44,
                      SL_USERS_JSONL, 0, SL_EINVAL, "line 1: NUL byte in the line", 0);
    expect_reject("{\"id\":1,\"username\":\"\xff\",\"state\":\"active\"}\n", SL_USERS_JSONL,
                  SL_EINVAL, "line 1: invalid UTF-8");
    expect_reject("{\"id\":1,\"username\":\"a\",\"state\":\"active\",\"last_activity_on\":"
                  "\"2023-02-29\"}\n",
                  SL_USERS_JSONL, SL_EINVAL,
                  "line 1: invalid last_activity_on '2023-02-29': not a valid YYYY-MM-DD date");
    expect_reject("", SL_USERS_JSONL, SL_EINVAL, "empty input: no users");
    expect_reject("\n  \n", SL_USERS_JSONL, SL_EINVAL, "empty input: no users");
    /* a line over SL_USER_LINE_MAX */
    memset(line, ' ', sizeof line);
    memcpy(line, "{\"id\":1,\"username\":\"a\",\"state\":\"active\"}", 40);
    line[sizeof line - 2] = '\n';
    line[sizeof line - 1] = '\0';
    expect_reject(line, SL_USERS_JSONL, SL_ETOOBIG, "line 1: line longer than 65536 bytes");
}

/* ---- reading ------------------------------------------------------------- */

static int stop_after_two(void *ud, const sl_user *u)
{
    int *n = ud;
    (void)u;
    return ++*n == 2;
}

static void test_each_stops(void **state)
{
    (void)state;
    char *dir;
    sl_store *st = tu_store(&dir);
    sl_error err = {0};
    int n = 0;
    import_fixture(st, SAMPLE_CSV, SL_USERS_CSV, NULL);
    assert_int_equal(sl__users_each_plan(st, "premium", 0, stop_after_two, &n, &err), SL_OK);
    assert_int_equal(n, 2);
    n = 0;
    assert_int_equal(sl_store_users_each(st, 1, stop_after_two, &n, &err), SL_OK);
    assert_int_equal(n, 2);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

static void test_empty_directory_counts(void **state)
{
    (void)state;
    char *dir;
    sl_store *st = tu_store(&dir);
    sl_user_counts c;
    sl_error err = {0};
    assert_int_equal(sl_store_users_count(st, &c, &err), SL_OK);
    assert_string_equal(c.plan, "none");
    assert_int_equal(c.total, 0);
    assert_int_equal(c.billable, 0);
    assert_int_equal(billable(st, "ultimate"), 0);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

/* Store a license of `plan`, valid through 2026, signed with `priv`. */
static void add_license(sl_store *st, const char *priv, const char *plan)
{
    tu_license l = {.plan = plan, .seats = 100, .starts = "2026-01-01",
                    .expires = "2026-12-31"};
    char *key = tu_issue(priv, &l);
    sl_error err = {0};
    int64_t id = 0;
    if (sl_store_license_add(st, key, strlen(key), SL_SOURCE_CLI, &id, &err) != SL_OK)
        fail_msg("license add: %s", err.message);
    sl_free(key);
}

static int last_reason(void *ud, const sl_user *u)
{
    const char **reason = ud;
    /* the reason names are static: they outlive the callback */
    if (strcmp(u->id, "6") == 0)
        *reason = u->reason;
    return 0;
}

/* Counting and listing follow the current license's plan. */
static void test_counts_follow_the_current_license(void **state)
{
    (void)state;
    static const int64_t ultimate[SL_REASON_COUNT] = {11, 2, 1, 1, 1, 9, 2, 1, 2};
    char *dir;
    sl_store *st;
    sl_user_counts c;
    sl_error err = {0};
    const char *erin = NULL;
    char *priv = NULL, *pub = NULL;
    setenv("SEATLEDGER_NOW", "2026-06-01T12:00:00Z", 1);
    st = tu_store(&dir);
    import_fixture(st, SAMPLE_CSV, SL_USERS_CSV, NULL);
    assert_int_equal(sl_keys_generate(2048, &priv, &pub, &err), SL_OK);
    assert_int_equal(sl_store_key_trust(st, pub, strlen(pub), "vendor", &err), SL_OK);

    add_license(st, priv, "ultimate");
    assert_int_equal(sl_store_users_count(st, &c, &err), SL_OK);
    assert_string_equal(c.plan, "ultimate");
    assert_int_equal(c.total, 30);
    assert_int_equal(c.billable, 11);
    for (int i = 0; i < SL_REASON_COUNT; i++)
        assert_int_equal(c.by_reason[i], ultimate[i]);
    assert_int_equal(sl_store_users_each(st, 0, last_reason, &erin, &err), SL_OK);
    assert_string_equal(erin, "guest_on_ultimate");

    /* a newer premium license becomes the current one */
    add_license(st, priv, "premium");
    assert_int_equal(sl_store_users_count(st, &c, &err), SL_OK);
    assert_string_equal(c.plan, "premium");
    assert_int_equal(c.billable, 14);
    for (int i = 0; i < SL_REASON_COUNT; i++)
        assert_int_equal(c.by_reason[i], SAMPLE_BY_REASON[i]);
    assert_int_equal(sl_store_users_each(st, 0, last_reason, &erin, &err), SL_OK);
    assert_string_equal(erin, "billable");
    unsetenv("SEATLEDGER_NOW");
    sl_free(priv);
    sl_free(pub);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

typedef struct progress_log {
    int calls;
    uint64_t last_done, last_total;
} progress_log;

static void on_progress(void *ud, uint64_t done, uint64_t total)
{
    progress_log *p = ud;
    assert_true(done >= p->last_done);
    p->calls++;
    p->last_done = done;
    p->last_total = total;
}

static void test_progress(void **state)
{
    (void)state;
    char *dir, *path = tu_source_path(SAMPLE_JSONL), *data;
    sl_store *st = tu_store(&dir);
    sl_import_stats s;
    sl_error err = {0};
    progress_log p = {0};
    size_t len;
    FILE *f;
    data = tu_read(path, &len);
    f = memfile(data, len);
    assert_int_equal(sl_store_users_import(st, f, SL_USERS_JSONL, 0, len, on_progress, &p, &s,
                                           &err),
                     SL_OK);
    fclose(f);
    /* a small file finishes well within the interval: one final report */
    assert_int_equal(p.calls, 1);
    assert_int_equal(p.last_done, len);
    assert_int_equal(p.last_total, len);
    free(data);
    free(path);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sample_csv),
        cmocka_unit_test(test_sample_jsonl_same_as_csv),
        cmocka_unit_test(test_any_column_order_and_defaults),
        cmocka_unit_test(test_jsonl_values),
        cmocka_unit_test(test_upsert_and_prune),
        cmocka_unit_test(test_fresh_import),
        cmocka_unit_test(test_field_limit_boundary),
        cmocka_unit_test(test_csv_rejections),
        cmocka_unit_test(test_csv_line_numbers),
        cmocka_unit_test(test_csv_limits),
        cmocka_unit_test(test_big_rejection_is_atomic),
        cmocka_unit_test(test_jsonl_rejections),
        cmocka_unit_test(test_each_stops),
        cmocka_unit_test(test_empty_directory_counts),
        cmocka_unit_test(test_counts_follow_the_current_license),
        cmocka_unit_test(test_progress),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
