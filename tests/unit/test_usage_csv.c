/*
 * test_usage_csv.c - the auditors' usage CSV byte for byte: layout, RFC 4180
 * quoting, the formula-injection guard, the term window to the millisecond,
 * streaming of a long history and write failures.
 */
#include "ledger_testutil.h"

#define NOW "2026-11-22T12:00:00Z"

static int set_clock(void **state)
{
    (void)state;
    setenv("SEATLEDGER_NOW", NOW, 1);
    return 0;
}

/* The CSV of `head` over the ledger, as text (caller frees). */
static char *export_text(sl_store *st, const sl_usage_head *head, size_t *len)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    sl_error err = {0};
    assert_non_null(f);
    if (sl__usage_csv_write(st, f, head, &err) != SL_OK)
        fail_msg("export: %s", err.message);
    fclose(f);
    if (len)
        *len = n;
    return buf;
}

static void test_golden_layout_quoting_and_guard(void **state)
{
    (void)state;
    char *dir, *golden_path = tu_source_path("tests/golden/usage.csv"), *golden, *csv;
    size_t golden_len, len;
    sl_store *st = tu_store(&dir);
    /* CRLF line ends and trailing blank lines, as pasted from a mail */
    static const char key[] = "eyJkYXRhIjoiQUJD\r\nREVGIiwia2V5Ijoi\r\nWFla\r\n\r\n";
    sl_usage_head head = {
        .key_text = key, .key_len = sizeof key - 1,
        .email = "+billing@example.com", .company = "=Evil \"Corp\", Inc.",
        .starts_on = lt_day("2025-01-01"), .expires_on = lt_day("2025-12-31"),
        .generated_at_ms = lt_ms(NOW),
    };
    lt_snapshot(st, "2024-12-31T23:59:59.999Z", 100);   /* before the term */
    lt_snapshot(st, "2025-12-31T23:59:59.500Z", 9);     /* recorded out of order */
    lt_snapshot(st, "2025-01-01T00:00:00.000Z", 7);
    lt_snapshot(st, "2025-06-15T12:00:00Z", 1234);
    lt_snapshot(st, "2025-06-15T12:00:00Z", 1235);      /* same instant: recording order */
    lt_snapshot(st, "2026-01-01T00:00:00.000Z", 200);   /* after the term */
    golden = tu_read(golden_path, &golden_len);
    csv = export_text(st, &head, &len);
    assert_string_equal(csv, golden);
    assert_int_equal(len, golden_len);
    free(csv);
    free(golden);
    free(golden_path);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

static void test_window_without_expiry_or_term(void **state)
{
    (void)state;
    char *dir, *csv;
    sl_store *st = tu_store(&dir);
    static const char key[] = "eyJkYXRh";
    sl_usage_head head = {
        .key_text = key, .key_len = sizeof key - 1, .email = NULL, .company = "Plain Co",
        .starts_on = lt_day("2020-01-01"), .expires_on = SL_DATE_NONE,
        .generated_at_ms = lt_ms("2026-11-22T12:00:00.999Z"),
    };
    /* without an expiry the window ends now (never before the newest snapshot) */
    lt_snapshot(st, "2025-11-22T11:59:59.999Z", 1);
    lt_snapshot(st, "2025-11-22T12:00:00Z", 2);
    lt_snapshot(st, "2026-11-22T12:00:00Z", 3);
    csv = export_text(st, &head, NULL);
    assert_non_null(strstr(csv, "Date,Billable User Count\n"
                                "2025-11-22 11:59:59,1\n"
                                "2025-11-22 12:00:00,2\n"
                                "2026-11-22 12:00:00,3\n"));
    free(csv);
    /* without a term at all: from now minus one year, to the millisecond */
    head.starts_on = SL_DATE_NONE;
    csv = export_text(st, &head, NULL);
    assert_string_equal(csv,
        "License Key,\"eyJkYXRh\n\"\n"
        "Email,\n"
        "License Start Date,\n"
        "License End Date,\n"
        "Company,Plain Co\n"
        "Generated At,2026-11-22 12:00:00\n"
        "\"\",\"\"\n"
        "Date,Billable User Count\n"
        "2025-11-22 12:00:00,2\n"
        "2026-11-22 12:00:00,3\n");
    free(csv);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

static void test_guard_and_quotes_on_every_cell(void **state)
{
    (void)state;
    char *dir, *csv;
    sl_store *st = tu_store(&dir);
    /* a boundary-wrapped key starts with '-', and text before BEGIN is free */
    static const char key[] =
        "-----BEGIN GITLAB LICENSE-----\nsay \"hi\"\n-----END GITLAB LICENSE-----";
    sl_usage_head head = {
        .key_text = key, .key_len = sizeof key - 1, .email = "@mention\tx",
        .company = "\tTabbed", .starts_on = lt_day("2026-01-01"),
        .expires_on = lt_day("2026-12-31"), .generated_at_ms = lt_ms(NOW),
    };
    csv = export_text(st, &head, NULL);
    assert_string_equal(csv,
        "License Key,\"'-----BEGIN GITLAB LICENSE-----\nsay \"\"hi\"\"\n"
        "-----END GITLAB LICENSE-----\n\"\n"
        "Email,'@mention\tx\n"
        "License Start Date,2026-01-01\n"
        "License End Date,2026-12-31\n"
        "Company,'\tTabbed\n"
        "Generated At,2026-11-22 12:00:00\n"
        "\"\",\"\"\n"
        "Date,Billable User Count\n");
    free(csv);
    /* a CR in a cell forces quoting; a lone trailing CR stays in the key */
    head.key_text = "k\r";
    head.key_len = 2;
    head.email = "-1\r\nx";
    head.company = "a,b";
    csv = export_text(st, &head, NULL);
    assert_non_null(strstr(csv, "License Key,\"k\r\n\"\nEmail,\"'-1\r\nx\"\n"));
    assert_non_null(strstr(csv, "\nCompany,\"a,b\"\n"));
    free(csv);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

static void test_streams_a_long_history(void **state)
{
    (void)state;
    enum { ROWS = 100000 };
    char *dir, line[128];
    sl_store *st = tu_store(&dir);
    sqlite3_stmt *s = NULL;
    sl_error err = {0};
    sl_usage_head head = {
        .key_text = "eyJ", .key_len = 3, .email = "a@b", .company = "C",
        .starts_on = lt_day("2000-01-01"), .expires_on = lt_day("2099-12-31"),
        .generated_at_ms = lt_ms(NOW),
    };
    FILE *f = tmpfile();
    long lines = 0;
    int64_t last = -1;
    assert_non_null(f);
    assert_int_equal(sqlite3_exec(st->db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(st->db, "INSERT INTO snapshots(recorded_at, "
                     "billable_user_count, source) VALUES (?, ?, 'cron')", -1, &s, NULL),
                     SQLITE_OK);
    for (int i = 0; i < ROWS; i++) {
        sqlite3_bind_int64(s, 1, lt_ms("2001-01-01T12:00:00Z") + (int64_t)i * 3600000);
        sqlite3_bind_int64(s, 2, i);
        assert_int_equal(sqlite3_step(s), SQLITE_DONE);
        sqlite3_reset(s);
    }
    sqlite3_finalize(s);
    assert_int_equal(sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sl__usage_csv_write(st, f, &head, &err), SL_OK);
    rewind(f);
    while (fgets(line, sizeof line, f)) {
        lines++;
        if (lines > 9) {
            long long n = -1;
            assert_non_null(strchr(line, ','));
            n = atoll(strchr(line, ',') + 1);
            assert_int_equal(n, last + 1);   /* oldest first, none lost */
            last = n;
        }
    }
    assert_int_equal(lines, 9 + ROWS);   /* the key cell spans two lines */
    fclose(f);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

static void test_write_failure_is_reported(void **state)
{
    (void)state;
    char *dir;
    sl_store *st = tu_store(&dir);
    sl_error err = {0};
    sl_usage_head head = {
        .key_text = "eyJ", .key_len = 3, .starts_on = lt_day("2026-01-01"),
        .expires_on = lt_day("2026-12-31"), .generated_at_ms = lt_ms(NOW),
    };
    FILE *full = fopen("/dev/full", "w");
    if (!full)
        skip();
    lt_snapshot(st, "2026-06-01T12:00:00Z", 1);
    assert_int_equal(sl__usage_csv_write(st, full, &head, &err), SL_ESTORAGE);
    assert_string_equal(err.message, "cannot write the usage CSV: No space left on device");
    fclose(full);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_golden_layout_quoting_and_guard, set_clock),
        cmocka_unit_test_setup(test_window_without_expiry_or_term, set_clock),
        cmocka_unit_test_setup(test_guard_and_quotes_on_every_cell, set_clock),
        cmocka_unit_test_setup(test_streams_a_long_history, set_clock),
        cmocka_unit_test_setup(test_write_failure_is_reported, set_clock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
