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

char *sl_text_escape(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n, o = 0;
    char *out;
    if (!s)
        return NULL;
    n = strlen(s);
    if (n > (SIZE_MAX - 1) / ESCAPE_MAX)
        return NULL;
    out = malloc(n * ESCAPE_MAX + 1);
    if (!out)
        return NULL;
    for (size_t i = 0; i < n;) {
        unsigned c = p[i];
        uint32_t cp = 0;
        size_t k;
        if (c < 0x80) {
            if (c == '\t')
                o += (size_t)snprintf(out + o, ESCAPE_MAX + 1, "\\t");
            else if (c == '\n')
                o += (size_t)snprintf(out + o, ESCAPE_MAX + 1, "\\n");
            else if (c == '\r')
                o += (size_t)snprintf(out + o, ESCAPE_MAX + 1, "\\r");
            else if (c < 0x20 || c == 0x7f)
                o += (size_t)snprintf(out + o, ESCAPE_MAX + 1, "\\x%02x", c);
            else
                out[o++] = (char)c;
            i++;
            continue;
        }
        k = sl__utf8_decode(p + i, n - i, &cp);
        if (k == 0) {
            /* a stray byte: 0x9b alone is a CSI in an 8-bit terminal */
            o += (size_t)snprintf(out + o, ESCAPE_MAX + 1, "\\x%02x", c);
            i++;
        } else if (dangerous(cp)) {
            o += (size_t)snprintf(out + o, ESCAPE_MAX + 1, "\\u%04x", (unsigned)cp);
            i += k;
        } else {
            memcpy(out + o, p + i, k);
            o += k;
            i += k;
        }
    }
    out[o] = '\0';
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
