/*
 * testutil.h - helpers shared by the cmocka unit tests: temporary
 * directories, fixture paths, reading files.
 */
#ifndef SL_TESTUTIL_H
#define SL_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "seatledger.h"

/* A fresh temporary directory (removed with tu_rmtree). Caller frees. */
char *tu_tmpdir(void);
void tu_rmtree(const char *dir);
/* "<source dir>/<rel>" (SL_SOURCE_DIR from ctest, else the build's). Caller frees. */
char *tu_source_path(const char *rel);
/* Whole file, NUL-terminated; fails the test when unreadable. Caller frees. */
char *tu_read(const char *path, size_t *len);
/* Write a file; fails the test on error. */
void tu_write(const char *path, const char *data, size_t len);
/* Open a new ledger in a fresh temp dir: *dir receives the dir (caller frees). */
sl_store *tu_store(char **dir);

/* Fields of a test license key; NULL fields take the defaults
 * (Name "Ada", Email ada@example.com, Company "Example Corp"; no expiry when
 * expires is NULL).  extra is appended to the top-level members and
 * extra_restrictions to restrictions, each starting with a comma. */
typedef struct tu_license {
    const char *name;
    const char *company;
    const char *plan;
    int seats;
    const char *starts;
    const char *expires;
    const char *extra;
    const char *extra_restrictions;
    const char *boundary;
} tu_license;

/* Replace the ledger's user directory with the CSV text (import --prune);
 * fails the test when refused. */
void tu_import_csv(sl_store *st, const char *csv);

/* `count` copies of `unit` inside head ... tail, each "%d" in unit
 * standing for the copy's number (documents of a given size).  Caller
 * frees. */
char *tu_repeat(const char *head, const char *unit, int count, const char *tail);

/* A key signed with priv_pem; fails the test when encoding fails. Caller
 * frees with sl_free. */
char *tu_issue(const char *priv_pem, const tu_license *l);

#endif
