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

/* ---- UTF-8 ------------------------------------------------------------- */

/* Length (1-4) of the valid UTF-8 character at s, n > 0 bytes left, and its
 * code point in *cp; 0 for a byte that does not start one (overlong forms,
 * UTF-16 surrogates and code points beyond U+10FFFF included).  Inline: the
 * users import runs it over every byte of a directory. */
static inline size_t sl__utf8_char(const unsigned char *s, size_t n, unsigned *cp)
{
    unsigned c = s[0], v;
    size_t len;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf)
        len = 2, v = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef)
        len = 3, v = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
        len = 4, v = c & 0x07;
    else
        return 0;
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3f);
    }
    if ((len == 3 && v < 0x800) || (len == 4 && (v < 0x10000 || v > 0x10ffff)) ||
        (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return len;
}

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

/* ---- JSON -------------------------------------------------------------- */

/* Nesting depth of JSON text (brackets outside strings) is <= max. */
bool sl__json_depth_ok(const char *s, size_t len, int max_depth);
/* Load JSON text with the engine's limits (SL_JSON_DEPTH_MAX, len cap given
 * by the caller).  On failure: SL_EINVAL "<layer>: <why>". */
sl_rc sl__json_load(const char *s, size_t len, size_t max_len,
                    const char *layer, json_t **out, sl_error *err);
/* json_dumps with the engine's flags (compact, UTF-8 raw, keys in
 * insertion order); caller frees with sl_free. */
char *sl__json_dump(const json_t *j);

#endif /* SL_INTERNAL_H */
