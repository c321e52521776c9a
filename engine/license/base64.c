/*
 * base64.c - Ruby-compatible base64 for license keys.  Keys pass through
 * mail clients and web forms, so decoding must forgive exactly what the
 * gem's Base64.decode64 forgives, no more and no less.
 */
#include "license/base64.h"

#define B64_LINE 60   /* characters per line of Base64.encode64 */

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";


/* Alphabet values by byte, 0xff for every other byte (`=` included). */
static const unsigned char b64_table[256] = {
#define X 0xff
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, 62, X, X, X, 63,
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, X, X, X, X, X, X,
    X, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, X, X, X, X, X,
    X, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
#undef X
};

size_t sl__base64_decoded_max(size_t len)
{
    return len / 4 * 3 + 3;
}

/* Next alphabet value at or after *pos; -1 at the end of input.  When
 * stop_at_pad is set a `=` ends the search with -2 (Ruby's 3rd and 4th
 * places); otherwise `=` is skipped like any other stray byte. */
static int next_value(const char *in, size_t len, size_t *pos, int stop_at_pad)
{
    while (*pos < len) {
        unsigned char c = (unsigned char)in[*pos];
        int v = b64_table[c] <= 63 ? b64_table[c] : -1;
        if (v >= 0) {
            (*pos)++;
            return v;
        }
        if (c == '=' && stop_at_pad)
            return -2;
        (*pos)++;
    }
    return -1;
}

size_t sl__base64_decode(const char *in, size_t len, unsigned char *out)
{
    const unsigned char *u = (const unsigned char *)in;
    size_t pos = 0, n = 0;
    for (;;) {
        int a, b, c, d;
        /* four alphabet characters in a row: exactly what the lenient path
         * below would take, without its skipping (most of a key) */
        while (pos + 4 <= len) {
            unsigned va = b64_table[u[pos]], vb = b64_table[u[pos + 1]];
            unsigned vc = b64_table[u[pos + 2]], vd = b64_table[u[pos + 3]];
            if ((va | vb | vc | vd) > 63)
                break;
            out[n++] = (unsigned char)(va << 2 | vb >> 4);
            out[n++] = (unsigned char)(vb << 4 | vc >> 2);
            out[n++] = (unsigned char)(vc << 6 | vd);
            pos += 4;
        }
        a = next_value(in, len, &pos, 0);
        if (a < 0)
            break;
        b = next_value(in, len, &pos, 0);
        if (b < 0)
            break;  /* a lone character carries fewer than 8 bits */
        c = next_value(in, len, &pos, 1);
        if (c < 0) {
            out[n++] = (unsigned char)(a << 2 | b >> 4);
            break;
        }
        d = next_value(in, len, &pos, 1);
        if (d < 0) {
            out[n++] = (unsigned char)(a << 2 | b >> 4);
            out[n++] = (unsigned char)(b << 4 | c >> 2);
            break;
        }
        out[n++] = (unsigned char)(a << 2 | b >> 4);
        out[n++] = (unsigned char)(b << 4 | c >> 2);
        out[n++] = (unsigned char)(c << 6 | d);
    }
    return n;
}

sl_rc sl__base64_encode(const unsigned char *in, size_t len, sl_buf *out)
{
    char quad[4];
    size_t i = 0, col = 0;
    sl_rc rc = SL_OK;
    while (i < len) {
        size_t left = len - i;
        unsigned v = (unsigned)in[i] << 16;
        if (left > 1)
            v |= (unsigned)in[i + 1] << 8;
        if (left > 2)
            v |= in[i + 2];
        quad[0] = b64_alphabet[v >> 18 & 63];
        quad[1] = b64_alphabet[v >> 12 & 63];
        quad[2] = left > 1 ? b64_alphabet[v >> 6 & 63] : '=';
        quad[3] = left > 2 ? b64_alphabet[v & 63] : '=';
        rc = sl__buf_append(out, quad, 4);
        if (rc != SL_OK)
            return rc;
        i += left > 2 ? 3 : left;
        col += 4;
        if (col == B64_LINE || i == len) {
            rc = sl__buf_append(out, "\n", 1);
            if (rc != SL_OK)
                return rc;
            col = 0;
        }
    }
    return rc;
}
