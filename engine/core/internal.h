/*
 * core/internal.h - what every engine module shares but the CLI and the
 * server never see: error helpers, bounded buffers and JSON loading with
 * limits.  Nothing here knows of licenses, stores or users.
 */
#ifndef SL_INTERNAL_H
#define SL_INTERNAL_H

#include "seatledger.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>

/* ---- errors ------------------------------------------------------------ */

/* Fill err (may be NULL) and return code. printf-style. */
sl_rc sl__err(sl_error *err, sl_rc code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prefix an existing message: "prefix: old message". */
void sl__err_prefix(sl_error *err, const char *prefix);

/* ---- calendar (core/clock.c) ----------------------------------------- */

/* The civil date (proleptic Gregorian, UTC) of a day number, and back;
 * month 1-12, day 1-31 (day must exist in that month). */
void sl__date_civil(int32_t days, int *year, int *month, int *day);
int32_t sl__date_from_civil(int year, int month, int day);

/* ---- text -------------------------------------------------------------- */

/* Length of the well-formed UTF-8 character at s (n > 0 bytes available):
 * 1-4, or 0 when s does not start one (a stray or missing continuation
 * byte, an overlong form, a UTF-16 surrogate, beyond U+10FFFF).  Its code
 * point goes to *cp when cp is not NULL and the length is not 0. */
size_t sl__utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/* ---- memory ------------------------------------------------------------ */

char *sl__strdup(const char *s);
char *sl__strndup(const char *s, size_t n);

/* A growable byte buffer with a hard cap; going over the cap is SL_ETOOBIG,
 * never a silent truncation.  data is always NUL-terminated. */
typedef struct sl_buf {
    char *data;
    size_t len;
    size_t cap;     /* allocated */
    size_t limit;   /* hard cap on len; 0 = SIZE_MAX */
} sl_buf;

void sl__buf_init(sl_buf *b, size_t limit);
sl_rc sl__buf_append(sl_buf *b, const void *p, size_t n);
sl_rc sl__buf_printf(sl_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Hand the data to the caller (caller frees with sl_free); buffer reset. */
char *sl__buf_take(sl_buf *b);
void sl__buf_free(sl_buf *b);

/* ---- hashing ----------------------------------------------------------- */

/* SHA-256 of data into out, with the digest fetched from OpenSSL once per
 * process (EVP_sha256() fetches it again on every call, about a microsecond
 * on the API's hot path).  0 on failure. */
int sl__sha256(const void *data, size_t len, unsigned char out[32]);

/* ---- JSON -------------------------------------------------------------- */

/* Nesting depth of JSON text (brackets outside strings) is <= max. */
bool sl__json_depth_ok(const char *s, size_t len, int max_depth);
/* Load JSON text with the engine's limits (SL_JSON_DEPTH_MAX, len cap given
 * by the caller).  On failure: SL_EINVAL "<layer>: <why>". */
sl_rc sl__json_load(const char *s, size_t len, size_t max_len,
                    const char *layer, json_t **out, sl_error *err);
/* The tree json_loadb(s, len, JSON_DECODE_ANY) builds, when s is JSON of
 * the plain kind (no real numbers, integers of up to 18 digits, strings
 * without \u escapes; core/json_plain.c), read several times faster; NULL
 * for anything else (or out of memory): then ask json_loadb().  Nesting
 * deeper than SL_JSON_DEPTH_MAX is "anything else". */
json_t *sl__json_load_plain(const char *s, size_t len);
/* The body of a plain JSON string (as above) that starts after its opening
 * quote at s[*pos], unescaped into out (room for n - *pos bytes); *pos ends
 * past the closing quote.  Its length, or -1 when it is not plain (a \u
 * escape, a control byte, invalid UTF-8, no closing quote). */
long sl__json_plain_string(const char *s, size_t n, size_t *pos, char *out);
/* json_dumps with the engine's flags (compact, UTF-8 raw, keys in
 * insertion order); caller frees with sl_free. */
char *sl__json_dump(const json_t *j);
/* A JSON string of text that should be UTF-8 (a message, a name); bytes of
 * a text that is not become '?' rather than losing it.  NULL only when out
 * of memory (or s is NULL). */
json_t *sl__json_text(const char *s);

#endif /* SL_INTERNAL_H */
