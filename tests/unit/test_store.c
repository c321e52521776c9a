/*
 * test_store.c - opening, migrating and protecting the ledger file.
 */
#include "testutil.h"
#include "ledger/ledger_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void test_open_creates_0600_with_parents(void **state)
{
    (void)state;
    char *dir = tu_tmpdir(), path[4096];
    sl_store *st = NULL;
    sl_error err = {0};
    struct stat sb;
    snprintf(path, sizeof path, "%s/a/b/ledger.db", dir);
    assert_int_equal(sl_store_open(path, 0, &st, &err), SL_OK);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(sl_store_check(st, &err), SL_OK);
    sl_store_close(st);
    /* reopening applies no migration twice */
    assert_int_equal(sl_store_open(path, 0, &st, &err), SL_OK);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

static void test_readonly_missing(void **state)
{
    (void)state;
    sl_store *st = NULL;
    sl_error err = {0};
    assert_int_equal(sl_store_open("/nonexistent-dir/x.db", SL_STORE_READONLY, &st, &err),
                     SL_ENOTFOUND);
    assert_non_null(strstr(err.message, "cannot open '/nonexistent-dir/x.db'"));
    assert_null(st);
}

static void test_audit_append_only(void **state)
{
    (void)state;
    char *dir;
    sl_store *st = tu_store(&dir);
    sl_error err = {0};
    assert_int_equal(sl__audit(st, "test.action", 0, "ok", "detail", &err), SL_OK);
    assert_int_not_equal(sqlite3_exec(st->db, "DELETE FROM audit_log", NULL, NULL, NULL),
                         SQLITE_OK);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

static void test_backup(void **state)
{
    (void)state;
    char *dir, dest[4096];
    sl_store *st = tu_store(&dir), *copy = NULL;
    sl_error err = {0};
    assert_int_equal(sl__audit(st, "test.action", 0, "ok", NULL, &err), SL_OK);
    snprintf(dest, sizeof dest, "%s/backup.db", dir);
    assert_int_equal(sl_store_backup(st, dest, &err), SL_OK);
    assert_int_equal(sl_store_backup(st, dest, &err), SL_EEXIST);
    assert_int_equal(sl_store_open(dest, 0, &copy, &err), SL_OK);
    assert_int_equal(sl_store_check(copy, &err), SL_OK);
    sl_store_close(copy);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

/* A read scope sees one state of the ledger: another connection's commit
 * shows only after it ends; pairs nest; a write inside one fails. */
static void test_read_scope(void **state)
{
    (void)state;
    char *dir, *secret = NULL, *s2 = NULL;
    sl_store *st = tu_store(&dir), *other = NULL;
    sl_error err = {0};
    sl_token_info *list = NULL;
    size_t n = 0;
    assert_int_equal(sl_store_open(sl_store_path(st), 0, &other, &err), SL_OK);
    assert_int_equal(sl_store_read_begin(st, &err), SL_OK);
    assert_int_equal(sl_store_read_begin(st, &err), SL_OK);  /* nested */
    assert_int_equal(sl_store_token_list(st, &list, &n, &err), SL_OK);
    assert_int_equal(n, 0);
    sl_token_infos_free(list, n);
    assert_int_equal(sl_store_token_create(other, "seen-later", 1, SL_DATE_NONE, &secret, &err),
                     SL_OK);
    sl_store_read_end(st);                                    /* still inside */
    assert_int_equal(sl_store_token_list(st, &list, &n, &err), SL_OK);
    assert_int_equal(n, 0);
    sl_token_infos_free(list, n);
    assert_int_not_equal(sl_store_token_create(st, "refused", 1, SL_DATE_NONE, &s2, &err), SL_OK);
    assert_null(s2);
    sl_store_read_end(st);
    assert_int_equal(sl_store_token_list(st, &list, &n, &err), SL_OK);
    assert_int_equal(n, 1);
    assert_string_equal(list[0].name, "seen-later");
    sl_token_infos_free(list, n);
    /* and after the scope writes work again */
    assert_int_equal(sl_store_token_create(st, "after", 1, SL_DATE_NONE, &s2, &err), SL_OK);
    sl_store_read_end(st);                                    /* unbalanced: ignored */
    sl_free(secret);
    sl_free(s2);
    sl_store_close(other);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

/* A stamp changes with every commit, ours or another connection's, and
 * differs between connections even when one reuses the other's address. */
static void test_stamp(void **state)
{
    char *dir;
    sl_store *st = tu_store(&dir), *other = NULL;
    sl_store_stamp a, b, c;
    sl_error err = {0};
    char *secret = NULL;
    uint64_t first;
    (void)state;
    assert_int_equal(sl_store_stamp_get(st, &a, &err), SL_OK);
    assert_int_equal(sl_store_stamp_get(st, &b, &err), SL_OK);
    assert_true(sl_store_stamp_equal(&a, &b));
    assert_int_equal(sl_store_token_create(st, "one", 1, SL_DATE_NONE, &secret, &err), SL_OK);
    sl_free(secret);
    assert_int_equal(sl_store_stamp_get(st, &b, &err), SL_OK);
    assert_false(sl_store_stamp_equal(&a, &b));
    assert_int_equal(sl_store_open(sl_store_path(st), 0, &other, &err), SL_OK);
    assert_int_equal(sl_store_stamp_get(other, &c, &err), SL_OK);
    assert_true(c.connection != b.connection);
    first = c.connection;
    assert_int_equal(sl_store_token_create(other, "two", 1, SL_DATE_NONE, &secret, &err), SL_OK);
    sl_free(secret);
    assert_int_equal(sl_store_stamp_get(st, &c, &err), SL_OK);
    assert_false(sl_store_stamp_equal(&b, &c));
    sl_store_close(other);
    assert_int_equal(sl_store_open(sl_store_path(st), 0, &other, &err), SL_OK);
    assert_int_equal(sl_store_stamp_get(other, &c, &err), SL_OK);
    assert_true(c.connection > first);
    sl_store_close(other);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_creates_0600_with_parents),
        cmocka_unit_test(test_readonly_missing),
        cmocka_unit_test(test_audit_append_only),
        cmocka_unit_test(test_backup),
        cmocka_unit_test(test_read_scope),
        cmocka_unit_test(test_stamp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
