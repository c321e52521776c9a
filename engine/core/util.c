/*
 * util.c - error filling, bounded buffers and JSON loading with limits:
 * the small pieces every other engine module leans on.
 */
#include "core/internal.h"

#include <stdlib.h>
#include <string.h>

static const char *const rc_names[SL_RC_COUNT] = {
    [SL_OK] = "ok",
    [SL_EINVAL] = "invalid input",
    [SL_ETOOBIG] = "input too large",
    [SL_ENOTFOUND] = "not found",
    [SL_EEXIST] = "already exists",
    [SL_ECLOCK] = "clock is behind the ledger",
    [SL_EAUTH] = "unauthorized",
    [SL_EFORBIDDEN] = "forbidden",
    [SL_EUSAGE] = "usage error",
    [SL_ESTORAGE] = "storage error",
    [SL_ENOMEM] = "out of memory",
    [SL_EINTERNAL] = "internal error",
    [SL_ETAMPERED] = "the ledger's hash chain is broken",
};

const char *sl_rc_name(sl_rc rc)
{
    if ((int)rc < 0 || rc >= SL_RC_COUNT)
        return "unknown error";
    return rc_names[rc];
}

void sl_free(void *p) { free(p); }

#ifndef SL_VERSION
#define SL_VERSION "0.0.0"
#endif
const char *sl_version(void) { return SL_VERSION; }

static sl_rc set_error(sl_error *err, sl_rc code, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static sl_rc set_error(sl_error *err, sl_rc code, const char *fmt, va_list ap)
{
    if (err) {
        err->code = code;
        vsnprintf(err->message, sizeof err->message, fmt, ap);
    }
    return code;
}

sl_rc sl__err(sl_error *err, sl_rc code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_error(err, code, fmt, ap);
    va_end(ap);
    return code;
}

sl_rc sl_error_set(sl_error *err, sl_rc code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_error(err, code, fmt, ap);
    va_end(ap);
    return code;
}

void sl__err_prefix(sl_error *err, const char *prefix)
{
    char tmp[SL_ERROR_MAX];
    size_t plen;
    if (!err)
        return;
    /* built by hand: snprintf of message into a same-sized buffer warns */
    plen = strnlen(prefix, sizeof tmp - 3);
    memcpy(tmp, prefix, plen);
    memcpy(tmp + plen, ": ", 2);
    memcpy(tmp + plen + 2, err->message, sizeof tmp - plen - 3);
    tmp[sizeof tmp - 1] = '\0';
    memcpy(err->message, tmp, sizeof tmp);
}

char *sl__strdup(const char *s)
{
    return s ? sl__strndup(s, strlen(s)) : NULL;
}

char *sl__strndup(const char *s, size_t n)
{
    char *p;
    if (!s)
        return NULL;
    p = malloc(n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

size_t sl__utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned c = s[0];
    size_t len;
    uint32_t v;
    if (c < 0x80) {
        len = 1, v = c;
        goto done;
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
    /* overlong forms, UTF-16 surrogates, beyond U+10FFFF */
    if ((len == 3 && v < 0x800) || (len == 4 && (v < 0x10000 || v > 0x10ffff)) ||
        (v >= 0xd800 && v <= 0xdfff))
        return 0;
done:
    if (cp)
        *cp = v;
    return len;
}

void sl__buf_init(sl_buf *b, size_t limit)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->limit = limit ? limit : SIZE_MAX - 1;
}

static sl_rc buf_reserve(sl_buf *b, size_t n)
{
    size_t want, ncap;
    char *p;
    if (n > b->limit - b->len)
        return SL_ETOOBIG;
    want = b->len + n + 1;
    if (want <= b->cap)
        return SL_OK;
    ncap = b->cap ? b->cap : 256;
    while (ncap < want)
        ncap = ncap > SIZE_MAX / 2 ? want : ncap * 2;
    p = realloc(b->data, ncap);
    if (!p)
        return SL_ENOMEM;
    b->data = p;
    b->cap = ncap;
    return SL_OK;
}

sl_rc sl__buf_append(sl_buf *b, const void *p, size_t n)
{
    sl_rc rc = buf_reserve(b, n);
    if (rc != SL_OK)
        return rc;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return SL_OK;
}

sl_rc sl__buf_printf(sl_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;
    sl_rc rc;
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return SL_EINTERNAL;
    rc = buf_reserve(b, (size_t)n);
    if (rc != SL_OK)
        return rc;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return SL_OK;
}

char *sl__buf_take(sl_buf *b)
{
    char *p = b->data;
    if (!p)
        p = sl__strdup("");
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

void sl__buf_free(sl_buf *b)
{
    if (!b)
        return;
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

bool sl__json_depth_ok(const char *s, size_t len, int max_depth)
{
    int depth = 0;
    bool in_str = false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = false;
        } else if (c == '"') {
            in_str = true;
        } else if (c == '{' || c == '[') {
            if (++depth > max_depth)
                return false;
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return true;
}

sl_rc sl__json_load(const char *s, size_t len, size_t max_len,
                    const char *layer, json_t **out, sl_error *err)
{
    json_error_t jerr;
    json_t *j;
    *out = NULL;
    if (max_len && len > max_len)
        return sl__err(err, SL_ETOOBIG, "%s: JSON of %zu bytes is over the limit of %zu",
                       layer, len, max_len);
    if (!sl__json_depth_ok(s, len, SL_JSON_DEPTH_MAX))
        return sl__err(err, SL_EINVAL, "%s: JSON nested deeper than %d levels",
                       layer, SL_JSON_DEPTH_MAX);
    j = json_loadb(s, len, JSON_DECODE_ANY, &jerr);
    if (!j)
        return sl__err(err, SL_EINVAL, "%s: invalid JSON at line %d, column %d: %s",
                       layer, jerr.line, jerr.column, jerr.text);
    *out = j;
    return SL_OK;
}

char *sl__json_dump(const json_t *j)
{
    return json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
}

json_t *sl__json_text(const char *s)
{
    json_t *j = json_string(s);
    char *copy;
    if (j || !s)
        return j;
    copy = sl__strdup(s);
    if (!copy)
        return NULL;
    for (char *p = copy; *p; p++)
        if ((unsigned char)*p >= 0x80)
            *p = '?';
    j = json_string(copy);
    free(copy);
    return j;
}
