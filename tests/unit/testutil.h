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

#endif
