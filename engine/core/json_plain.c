/*
 * json_plain.c - a fast path for sl__json_load(): JSON text in the plain
 * shape license payloads have (objects, arrays, short integers, true,
 * false, null, and strings of UTF-8 with only the short escapes) becomes
 * the very tree json_loadb() would build, without jansson's lexer, which
 * reads one byte at a time through a callback (about 12 ns a byte: a
 * typical payload took 11 us, most of a key's decode beside the RSA
 * operation).  Anything else (a real number, an integer of 19 digits or
 * more, a \u escape, invalid UTF-8, any syntax error) is handed back to
 * json_loadb(), which gives the same answer or names the problem; the
 * fuzz target fuzz_json_plain checks that both agree on every input.
 */
#include "core/internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PLAIN_INT_DIGITS_MAX 18 /* always within int64: no overflow to check */
#define PLAIN_STACK_SCRATCH 4096 /* inputs up to this size unescape on the stack */
#define ONES 0x0101010101010101ULL
/* the high bit of each byte of x that is zero (and maybe of bytes above a
 * zero byte: the test only says whether there is one) */
#define HAS_ZERO(x) (((x) - ONES) & ~(x))

typedef struct reader {
    const unsigned char *s;
    size_t n, i;
    /* unescaped strings, used as a stack: the keys of the objects being
     * read sit below `top` (no string is longer than the input, and all of
     * them together never exceed it) */
    char *scratch;
    size_t top;
    int depth;                  /* open objects and arrays */
} reader;

static void skip_ws(reader *r)
{
    while (r->i < r->n && (r->s[r->i] == ' ' || r->s[r->i] == '\t' || r->s[r->i] == '\n' ||
                           r->s[r->i] == '\r'))
        r->i++;
}

/* Length of the UTF-8 sequence at s[0..n) as jansson accepts it (no
 * overlong forms, no surrogates, nothing above U+10FFFF); 0 when invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned cp;
    size_t len;
    if (s[0] >= 0xC2 && s[0] <= 0xDF) {
        len = 2;
        cp = s[0] & 0x1F;
    } else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
        len = 3;
        cp = s[0] & 0x0F;
    } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
        len = 4;
        cp = s[0] & 0x07;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t k = 1; k < len; k++) {
        if ((s[k] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[k] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

/* 1 for the bytes a string takes as they are: printable ASCII and DEL
 * except '"' and '\\'. */
static const unsigned char verbatim[256] = {
    ['\x20'] = 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,          /* 0x20-0x2f, '"' 0 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,                     /* 0x30 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,                     /* 0x40 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,                     /* 0x50, '\\' 0 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,                     /* 0x60 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,                     /* 0x70 */
};

long sl__json_plain_string(const char *text, size_t n, size_t *pos, char *out)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t o = 0, i = *pos;
    while (i < n) {
        unsigned char c;
        size_t run = i;
        /* eight bytes at a time while none is a control byte, '"', '\\'
         * or above 0x7f (the usual word-at-a-time tests) */
        while (run + 8 <= n) {
            uint64_t x, stop;
            memcpy(&x, s + run, 8);
            stop = ((x - ONES * 0x20) & ~x) | HAS_ZERO(x ^ (ONES * '"')) |
                   HAS_ZERO(x ^ (ONES * '\\')) | x;
            if (stop & (ONES * 0x80))
                break;
            run += 8;
        }
        while (run < n && verbatim[s[run]])
            run++;
        if (run > i) {
            memcpy(out + o, s + i, run - i);
            o += run - i;
            i = run;
            continue;
        }
        c = s[i];
        if (c == '"') {
            *pos = i + 1;
            return (long)o;
        }
        if (c < 0x20)
            return -1;
        if (c == '\\') {
            static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
            const char *e;
            if (i + 1 >= n)
                return -1;
            e = memchr(from, s[i + 1], sizeof from - 1);
            if (!e)
                return -1;  /* \u and anything else: jansson's */
            out[o++] = to[e - from];
            i += 2;
        } else if (c < 0x80) {
            out[o++] = (char)c;
            i++;
        } else {
            size_t len = utf8_len(s + i, n - i);
            if (len == 0)
                return -1;
            memcpy(out + o, s + i, len);
            o += len;
            i += len;
        }
    }
    return -1;
}

/* A string after its opening quote, unescaped to r->scratch + r->top. */
static long plain_string(reader *r)
{
    return sl__json_plain_string((const char *)r->s, r->n, &r->i, r->scratch + r->top);
}

static json_t *plain_value(reader *r);

static json_t *plain_object(reader *r)
{
    json_t *obj = json_object();
    if (!obj)
        return NULL;
    skip_ws(r);
    if (r->i < r->n && r->s[r->i] == '}') {
        r->i++;
        return obj;
    }
    for (;;) {
        long klen;
        size_t key_at = r->top;
        json_t *v;
        skip_ws(r);
        if (r->i >= r->n || r->s[r->i] != '"')
            goto fail;
        r->i++;
        klen = plain_string(r);
        if (klen < 0)
            goto fail;
        skip_ws(r);
        if (r->i >= r->n || r->s[r->i] != ':')
            goto fail;
        r->i++;
        r->top += (size_t)klen;  /* the value's strings go above the key */
        v = plain_value(r);
        r->top = key_at;
        /* plain strings cannot hold the NUL byte jansson refuses in a key;
         * a repeated key replaces the value, as json_loadb() does */
        if (!v || json_object_setn_new_nocheck(obj, r->scratch + key_at, (size_t)klen, v) != 0)
            goto fail;
        skip_ws(r);
        if (r->i < r->n && r->s[r->i] == ',') {
            r->i++;
            continue;
        }
        if (r->i < r->n && r->s[r->i] == '}') {
            r->i++;
            return obj;
        }
        goto fail;
    }
fail:
    json_decref(obj);
    return NULL;
}

static json_t *plain_array(reader *r)
{
    json_t *arr = json_array();
    if (!arr)
        return NULL;
    skip_ws(r);
    if (r->i < r->n && r->s[r->i] == ']') {
        r->i++;
        return arr;
    }
    for (;;) {
        json_t *v = plain_value(r);
        if (!v || json_array_append_new(arr, v) != 0)
            goto fail;
        skip_ws(r);
        if (r->i < r->n && r->s[r->i] == ',') {
            r->i++;
            continue;
        }
        if (r->i < r->n && r->s[r->i] == ']') {
            r->i++;
            return arr;
        }
        goto fail;
    }
fail:
    json_decref(arr);
    return NULL;
}

/* -?(0|[1-9][0-9]{0,17}) not followed by a fraction or an exponent. */
static json_t *plain_integer(reader *r)
{
    size_t start = r->i, digits = 0;
    int neg = 0;
    long long v = 0;
    if (r->s[r->i] == '-') {
        neg = 1;
        r->i++;
    }
    while (r->i < r->n && r->s[r->i] >= '0' && r->s[r->i] <= '9') {
        if (++digits > PLAIN_INT_DIGITS_MAX)
            return NULL;
        v = v * 10 + (r->s[r->i] - '0');
        r->i++;
    }
    if (digits == 0 || (digits > 1 && r->s[start + (size_t)neg] == '0'))
        return NULL;
    if (r->i < r->n && (r->s[r->i] == '.' || r->s[r->i] == 'e' || r->s[r->i] == 'E'))
        return NULL;
    return json_integer(neg ? -v : v);
}

static int literal(reader *r, const char *word)
{
    size_t len = strlen(word);
    if (r->n - r->i < len || memcmp(r->s + r->i, word, len) != 0)
        return 0;
    r->i += len;
    return 1;
}

static json_t *plain_value(reader *r)
{
    json_t *v;
    skip_ws(r);
    if (r->i >= r->n)
        return NULL;
    switch (r->s[r->i]) {
    case '{':
    case '[':
        if (r->depth >= SL_JSON_DEPTH_MAX)
            return NULL;
        r->depth++;
        v = r->s[r->i++] == '{' ? plain_object(r) : plain_array(r);
        r->depth--;
        return v;
    case '"': {
        long len;
        r->i++;
        len = plain_string(r);
        return len < 0 ? NULL : json_stringn_nocheck(r->scratch + r->top, (size_t)len);
    }
    case 't':
        return literal(r, "true") ? json_true() : NULL;
    case 'f':
        return literal(r, "false") ? json_false() : NULL;
    case 'n':
        return literal(r, "null") ? json_null() : NULL;
    default:
        if (r->s[r->i] == '-' || (r->s[r->i] >= '0' && r->s[r->i] <= '9'))
            return plain_integer(r);
        return NULL;
    }
}

json_t *sl__json_load_plain(const char *s, size_t len)
{
    char stack[PLAIN_STACK_SCRATCH];
    reader r = {(const unsigned char *)s, len, 0, stack, 0, 0};
    json_t *v;
    if (len > sizeof stack) {
        r.scratch = malloc(len);
        if (!r.scratch)
            return NULL;
    }
    v = plain_value(&r);
    if (v) {
        skip_ws(&r);
        if (r.i != r.n) {
            json_decref(v);
            v = NULL;
        }
    }
    if (r.scratch != stack)
        free(r.scratch);
    return v;
}
