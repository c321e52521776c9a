/*
 * base64.c - Ruby-compatible base64 for license keys.  Keys pass through
 * mail clients and web forms, so decoding must forgive exactly what the
 * gem's Base64.decode64 forgives, no more and no less.
 */
#include "license/base64.h"

#include <pthread.h>
#include <stdint.h>

#define B64_LINE 60   /* characters per line of Base64.encode64 */

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Alphabet value + 1 of every byte, 0 for bytes outside the alphabet: one
 * load per character on the decoders' hot path. */
const unsigned char sl__base64_table[256] = {
    ['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6, ['G'] = 7, ['H'] = 8,
    ['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14, ['O'] = 15,
    ['P'] = 16, ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22,
    ['W'] = 23, ['X'] = 24, ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29,
    ['d'] = 30, ['e'] = 31, ['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36,
    ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42, ['q'] = 43,
    ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48, ['w'] = 49, ['x'] = 50,
    ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56, ['4'] = 57,
    ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['+'] = 63, ['/'] = 64
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

/* Each character's value already shifted to its place in a group of four
 * (the 24 bits of three bytes), with QUAD_BAD for bytes outside the
 * alphabet: a group costs four loads and three ORs.  Made once from
 * sl__base64_table.  The fast loop below went from about 12 to about 5
 * instructions a character (callgrind; 4 KB of base64 in a typical key). */
#define QUAD_BAD (1u << 24)
static uint32_t quad_table[4][256];
static pthread_once_t quad_once = PTHREAD_ONCE_INIT;

static void quad_init(void)
{
    for (int c = 0; c < 256; c++) {
        int v = sl__base64_value((unsigned char)c);
        for (int place = 0; place < 4; place++)
            quad_table[place][c] = v < 0 ? QUAD_BAD : (uint32_t)v << (18 - 6 * place);
    }
}

size_t sl__base64_decode(const char *in, size_t len, unsigned char *out)
{
    const unsigned char *u = (const unsigned char *)in;
    size_t pos = 0, n = 0;
    pthread_once(&quad_once, quad_init);
    for (;;) {
        int a, b, c, d;
        /* four alphabet characters in a row: exactly what the lenient path
         * below would take, without its skipping (most of a key); a line
         * break before a group is skipped here too, as the lenient path
         * would skip it (Base64.encode64's lines are whole groups) */
        while (pos + 4 <= len) {
            uint32_t x = quad_table[0][u[pos]] | quad_table[1][u[pos + 1]] |
                         quad_table[2][u[pos + 2]] | quad_table[3][u[pos + 3]];
            if (x & QUAD_BAD) {
                if (u[pos] == '\n') {
                    pos++;
                    continue;
                }
                break;
            }
            out[n] = (unsigned char)(x >> 16);
            out[n + 1] = (unsigned char)(x >> 8);
            out[n + 2] = (unsigned char)x;
            n += 3;
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
