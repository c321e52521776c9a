/*
 * fuzzutil.h - what the libFuzzer targets share: the fixed trusted public
 * key, a scratch ledger in a temporary directory that is removed at exit,
 * and invariant checks that abort (libFuzzer then saves the input).
 */
#ifndef SL_FUZZUTIL_H
#define SL_FUZZUTIL_H

#include "seatledger.h"

#include <stddef.h>

/* The fixture key fixtures/gitlab-license/public.pem, embedded so the fuzz
 * binaries run from any directory. */
extern const char fuzz_fixture_public_pem[];

/* The clock every target runs at (SEATLEDGER_NOW), so a saved crash input
 * reproduces on any day. */
#define FUZZ_NOW "2026-01-15T12:00:00Z"

/* Fix the clock; call first from LLVMFuzzerInitialize. */
void fuzz_init_clock(void);
/* A new ledger in a fresh temporary directory (removed at exit); aborts on
 * failure.  Ledger path in *path_out when non-NULL (borrowed, static). */
sl_store *fuzz_store_open(const char **path_out);
/* A prepared ledger kept as bytes (the file after its only connection
 * closed, the WAL checkpointed away), so every input starts from it and a
 * saved crash reproduces alone: read it once, restore it before each input
 * (its -wal removed).  The bytes are the caller's to free. */
char *fuzz_template_read(const char *path, size_t *len);
void fuzz_template_restore(const char *path, const char *bytes, size_t len);
/* Abort with a message when cond is false: an invariant of the engine broke. */
void fuzz_assert(int cond, const char *what, const sl_error *err);
/* Abort unless s is one well-formed JSON text. */
void fuzz_assert_json(const char *s, const char *what);

#endif
