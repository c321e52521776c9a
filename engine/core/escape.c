/*
 * escape.c - untrusted text made safe to show on a terminal or in a log:
 * every character that could move the cursor, hide text, set a window
 * title or reorder a line is written as a visible escape instead; and the
 * test whether a text is well-formed UTF-8 at all.
 */
#include "core/internal.h"

#include <stdlib.h>
#include <string.h>

/* The longest escape one input byte or character becomes: "\u202e". */
#define ESCAPE_MAX 6

/* C1 controls (U+009B is a CSI on many terminals) and the bidirectional
 * embeddings, overrides and isolates that reorder what follows them. */
static int dangerous(uint32_t cp)
{
    return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
           (cp >= 0x2066 && cp <= 0x2069);
}

/* The escape of one character (its `k` bytes at p, code point cp, or a
 * stray byte when k is 0) into e; returns its length. */
static size_t escape_one(const unsigned char *p, size_t k, uint32_t cp, unsigned flags,
                         char e[ESCAPE_MAX + 1])
{
    unsigned c = p[0];
    if (c < 0x80) {
        if (c == '\t')
            return (size_t)snprintf(e, ESCAPE_MAX + 1, "\\t");
        if (c == '\n')
            return (size_t)snprintf(e, ESCAPE_MAX + 1, "\\n");
        if (c == '\r')
            return (size_t)snprintf(e, ESCAPE_MAX + 1, "\\r");
        if (c < 0x20 || c == 0x7f || (c == ' ' && (flags & SL_ESCAPE_SPACE)))
            return (size_t)snprintf(e, ESCAPE_MAX + 1, "\\x%02x", c);
        e[0] = (char)c;
        return 1;
    }
    if (k == 0)  /* a stray byte: 0x9b alone is a CSI in an 8-bit terminal */
        return (size_t)snprintf(e, ESCAPE_MAX + 1, "\\x%02x", c);
    if (dangerous(cp))
        return (size_t)snprintf(e, ESCAPE_MAX + 1, "\\u%04x", (unsigned)cp);
    memcpy(e, p, k);
    return k;
}

size_t sl_text_escape_to(char *out, size_t size, const char *s, size_t len, unsigned flags)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, o = 0;
    if (size == 0)
        return 0;
    while (s && i < len && p[i]) {
        char e[ESCAPE_MAX + 1];
        uint32_t cp = 0;
        size_t k = p[i] < 0x80 ? 1 : sl__utf8_decode(p + i, len - i, &cp);
        size_t m = escape_one(p + i, p[i] < 0x80 ? 1 : k, cp, flags, e);
        if (o + m >= size)
            break;
        memcpy(out + o, e, m);
        o += m;
        i += k ? k : 1;
    }
    out[o] = '\0';
    return i;
}

char *sl_text_escape(const char *s)
{
    size_t n;
    char *out;
    if (!s)
        return NULL;
    n = strlen(s);
    if (n > (SIZE_MAX - 1) / ESCAPE_MAX)
        return NULL;
    out = malloc(n * ESCAPE_MAX + 1);
    if (!out)
        return NULL;
    sl_text_escape_to(out, n * ESCAPE_MAX + 1, s, n, 0);
    return out;
}

int sl_text_is_utf8(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        size_t k = p[i] ? sl__utf8_decode(p + i, n - i, NULL) : 0;
        if (k == 0)
            return 0;
        i += k;
    }
    return 1;
}
