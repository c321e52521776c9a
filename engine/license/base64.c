/*
 * base64.c - Ruby-compatible base64 for license keys.  Keys pass through
 * mail clients and web forms, so decoding must forgive exactly what the
 * gem's Base64.decode64 forgives, no more and no less.
 */
#include "license/base64.h"

#define B64_LINE 60   /* characters per line of Base64.encode64 */

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int sl__base64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

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
        int v = sl__base64_value(c);
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
    size_t pos = 0, n = 0;
    for (;;) {
        int a, b, c, d;
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
