/*
 * test_hardening.c - regression tests for defects found while hardening the
 * ledger (fuzzing, concurrency and crash-safety runs; see docs/security.md).
 * Each test names the input or interleaving that once went wrong.
 */
#include "testutil.h"
#include "ledger/ledger_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Run `sql` in another process through its own SQLite connection, as
 * another seatledger command (or the sqlite3 shell) would.  The process is
 * this program started afresh (a forked child would inherit this process's
 * SQLite lock bookkeeping and behave differently). */
static void other_process(const char *path, const char *sql)
{
    pid_t pid = fork();
    int status = 0;
    assert_true(pid >= 0);
    if (pid == 0) {
        execl("/proc/self/exe", "test_hardening", "--sql", path, sql, (char *)NULL);
        _exit(127);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* The other process's side: exit 0 when every statement succeeded. */
static int run_sql(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open(path, &db);
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(db, 10000);
        rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    }
    if (rc != SQLITE_OK)
        fprintf(stderr, "other process: %s\n", sqlite3_errmsg(db));
    sqlite3_close(db);
    return rc == SQLITE_OK ? 0 : 1;
}

static int64_t count_rows(const char *path, const char *action)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    int64_t n = -1;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT (SELECT count(*) FROM audit_log "
                                        "WHERE action = ?1) + (SELECT count(*) FROM "
                                        "notify_state WHERE subject = ?1)",
                                        -1, &s, NULL), SQLITE_OK);
    sqlite3_bind_text(s, 1, action, -1, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_ROW)
        n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return n;
}

/* Found by the concurrency run (a server with several connections plus
 * CLI commands): opening a second connection in a process must not drop
 * the POSIX locks of the first.  sl_store_open() used to open() and close()
 * the ledger file itself to create it 0600; close() releases every lock the
 * process holds on the file, so the next process to close its connection
 * believed it was the last one, checkpointed and deleted the WAL under the
 * first connection, and a commit made by a third process was lost. */
static void test_second_connection_keeps_wal_locks(void **state)
{
    (void)state;
    char *dir = tu_tmpdir(), path[4096];
    sl_store *a = NULL, *b = NULL;
    sl_error err = {0};
    int64_t child_rows;
    snprintf(path, sizeof path, "%s/ledger.db", dir);
    assert_int_equal(sl_store_open(path, 0, &a, &err), SL_OK);
    assert_int_equal(sl__audit(a, "through-a", 0, "ok", NULL, &err), SL_OK);
    /* a second connection of the same process, like a server worker */
    assert_int_equal(sl_store_open(path, 0, &b, &err), SL_OK);
    /* another process comes and goes (a CLI command, a backup script) */
    other_process(path, "PRAGMA wal_checkpoint(TRUNCATE)");
    assert_int_equal(sl__audit(a, "through-a", 0, "ok", NULL, &err), SL_OK);
    /* a commit by yet another process must survive */
    /* (into a table outside the hash chain: a row appended to the audit log
     * behind the engine's back would be refused as inserted) */
    other_process(path, "INSERT INTO notify_state(subject, state, level, changed_at) "
                        "VALUES ('child', '', 0, 0)");
    assert_int_equal(sl__audit(b, "through-b", 0, "ok", NULL, &err), SL_OK);
    sl_store_close(b);
    sl_store_close(a);
    child_rows = count_rows(path, "child");
    assert_int_equal(count_rows(path, "through-a"), 2);
    assert_int_equal(count_rows(path, "through-b"), 1);
    tu_rmtree(dir);
    free(dir);
    assert_int_equal(child_rows, 1);
}

/* Issue 10, item 17: a backup named LEDGER-journal "succeeded", and SQLite
 * deleted it as a hot journal at the next open.  Every name SQLite owns
 * beside the ledger is refused, by any spelling, and nothing is created. */
static void test_backup_refuses_sqlite_side_files(void **state)
{
    (void)state;
    static const char *const suffixes[] = {"", "-journal", "-wal", "-shm"};
    char *dir = NULL, name[4096], other[4096];
    sl_store *st = tu_store(&dir);
    sl_error err = {0};
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        snprintf(name, sizeof name, "%s/ledger.db%s", dir, suffixes[i]);
        snprintf(other, sizeof other, "%s/./../%s/ledger.db%s", dir, strrchr(dir, '/') + 1,
                 suffixes[i]);
        assert_int_equal(sl_store_backup(st, other, &err), SL_EINVAL);
        assert_non_null(strstr(err.message, "it is the ledger"));
        assert_non_null(sl_path_ledger_role(sl_store_path(st), name));
    }
    snprintf(name, sizeof name, "%s/ledger.db-journal", dir);
    assert_int_equal(access(name, F_OK), -1);
    snprintf(name, sizeof name, "%s/ledger.db-journal.bak", dir);
    assert_null(sl_path_ledger_role(sl_store_path(st), name));
    assert_int_equal(sl_store_backup(st, name, &err), SL_OK);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

/* Issue 10, item 14: `users list`, `license show`, `status` printed a
 * username or licensee raw, so "bob\e[8m" hid every later row. */
static void test_text_escape_for_terminals(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"bob\x1b[8m", "bob\\x1b[8m"},
        {"a\tb\nc\rd\x7f", "a\\tb\\nc\\rd\\x7f"},
        {"\xc2\x9b" "2J", "\\u009b2J"},              /* C1 CSI as UTF-8 */
        {"\x9b" "2J \xff", "\\x9b2J \\xff"},          /* stray bytes */
        {"evil\xe2\x80\xae" "Corp", "evil\\u202eCorp"}, /* right-to-left override */
        {"Zo\xc3\xab \xe6\x9d\xb1 \\ ok", "Zo\xc3\xab \xe6\x9d\xb1 \\ ok"},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *e = sl_text_escape(cases[i].in);
        assert_non_null(e);
        assert_string_equal(e, cases[i].out);
        sl_free(e);
    }
    assert_null(sl_text_escape(NULL));
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_second_connection_keeps_wal_locks),
        cmocka_unit_test(test_backup_refuses_sqlite_side_files),
        cmocka_unit_test(test_text_escape_for_terminals),
    };
    if (argc == 4 && strcmp(argv[1], "--sql") == 0)
        return run_sql(argv[2], argv[3]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
