/*
 * testutil.c - shared helpers of the unit tests.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef SL_DEFAULT_SOURCE_DIR
#define SL_DEFAULT_SOURCE_DIR "."
#endif

char *tu_tmpdir(void)
{
    char tmpl[] = "/tmp/seatledger-test-XXXXXX";
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return strdup(d);
}

void tu_rmtree(const char *dir)
{
    char cmd[4096];
    if (!dir || strncmp(dir, "/tmp/seatledger-test-", 21) != 0)
        return;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "warning: cannot remove %s\n", dir);
}

char *tu_source_path(const char *rel)
{
    const char *root = getenv("SL_SOURCE_DIR");
    char *p;
    size_t n;
    if (!root)
        root = SL_DEFAULT_SOURCE_DIR;
    n = strlen(root) + strlen(rel) + 2;
    p = malloc(n);
    assert_non_null(p);
    snprintf(p, n, "%s/%s", root, rel);
    return p;
}

char *tu_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;
    if (!f)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    if (len)
        *len = (size_t)n;
    return buf;
}

void tu_write(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        fail_msg("cannot write %s", path);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

sl_store *tu_store(char **dir)
{
    char path[4096];
    sl_store *st = NULL;
    sl_error err = {0};
    *dir = tu_tmpdir();
    snprintf(path, sizeof path, "%s/ledger.db", *dir);
    if (sl_store_open(path, 0, &st, &err) != SL_OK)
        fail_msg("cannot open ledger: %s", err.message);
    return st;
}

char *tu_issue(const char *priv_pem, const tu_license *l)
{
    char payload[4096], expires[64] = "", *text = NULL;
    sl_error err = {0};
    if (l->expires)
        snprintf(expires, sizeof expires, ",\"expires_at\":\"%s\"", l->expires);
    snprintf(payload, sizeof payload,
             "{\"version\":1,\"licensee\":{\"Name\":\"%s\",\"Email\":\"ada@example.com\","
             "\"Company\":\"%s\"},\"issued_at\":\"%s\"%s%s,\"restrictions\":{\"plan\":\"%s\","
             "\"active_user_count\":%d%s}}",
             l->name ? l->name : "Ada", l->company ? l->company : "Example Corp", l->starts,
             expires, l->extra ? l->extra : "", l->plan, l->seats,
             l->extra_restrictions ? l->extra_restrictions : "");
    if (sl_license_encode(payload, strlen(payload), priv_pem, strlen(priv_pem), l->boundary,
                          &text, &err) != SL_OK)
        fail_msg("encode: %s", err.message);
    return text;
}

char *tu_repeat(const char *head, const char *unit, int count, const char *tail)
{
    size_t len = strlen(head) + (strlen(unit) + 8) * (size_t)count + strlen(tail) + 1;
    char *q = malloc(len), *p = q;
    assert_non_null(q);
    p += sprintf(p, "%s", head);
    for (int i = 0; i < count; i++) {
        for (const char *u = unit; *u; u++) {
            if (u[0] == '%' && u[1] == 'd') {
                p += sprintf(p, "%d", i);
                u++;
            } else {
                *p++ = *u;
            }
        }
    }
    sprintf(p, "%s", tail);
    return q;
}

void tu_import_csv(sl_store *st, const char *csv)
{
    FILE *in = fmemopen((void *)csv, strlen(csv), "r");
    sl_error err = {0};
    assert_non_null(in);
    if (sl_store_users_import(st, in, SL_USERS_CSV, 1, 0, NULL, NULL, NULL, &err) != SL_OK)
        fail_msg("import: %s", err.message);
    fclose(in);
}
