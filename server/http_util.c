/*
 * http_util.c - what every API surface's dispatcher shares: reading a
 * request (headers, urlencoded forms, the presented token, JSON nesting)
 * and building JSON responses.  No sockets: http.c alone knows
 * libmicrohttpd.
 */
#include "http_util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>


sl_http_response sl_http_resp_new(int status)
{
    sl_http_response r;
    memset(&r, 0, sizeof r);
    r.status = status;
    return r;
}

/* Copy len bytes as the body.  On allocation failure the response becomes a
 * bodiless 500, which is the most that can be said then. */
void sl_http_resp_body(sl_http_response *r, const char *ctype, const char *data,
                      size_t len)
{
    char *p = malloc(len + 1);
    if (!p) {
        r->status = 500;
        r->content_type = NULL;
        r->body = NULL;
        r->body_len = 0;
        snprintf(r->detail, sizeof r->detail, "out of memory");
        return;
    }
    if (len)
        memcpy(p, data, len);
    p[len] = '\0';
    r->content_type = ctype;
    r->body = p;
    r->body_len = len;
}

void sl_http_resp_header(sl_http_response *r, const char *name, const char *value)
{
    if (r->header_count < SL_HTTP_RESPONSE_HEADERS_MAX) {
        r->headers[r->header_count].name = name;
        r->headers[r->header_count].value = value;
        r->header_count++;
    }
}

void sl_http_resp_header_copy(sl_http_response *r, const char *name, const char *value)
{
    char *copy;
    if (r->header_count >= SL_HTTP_RESPONSE_HEADERS_MAX)
        return;
    copy = strdup(value);
    if (!copy) {
        free(r->body);
        r->body = NULL;
        r->body_len = 0;
        r->content_type = NULL;
        r->status = 500;
        snprintf(r->detail, sizeof r->detail, "out of memory");
        return;
    }
    r->owned_values |= 1u << r->header_count;
    sl_http_resp_header(r, name, copy);
}

/* {"<member>":"<text>"} with proper JSON escaping. */
sl_http_response sl_http_resp_json(int status, json_t *j)
{
    sl_http_response r = sl_http_resp_new(status);
    char *text = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(j);
    if (!text) {
        r.status = 500;
        snprintf(r.detail, sizeof r.detail, "out of memory");
        return r;
    }
    sl_http_resp_body(&r, SL_HTTP_CT_JSON, text, strlen(text));
    free(text);
    return r;
}

sl_http_response sl_http_resp_json_text(int status, const char *member, const char *text)
{
    json_t *o = json_object();
    json_t *v = json_string(text);
    if (!v)  /* not UTF-8: say no more than the status */
        v = json_string("400 Bad request");
    if (!o || !v) {
        json_decref(v);
    } else if (json_object_set_new(o, member, v) == 0) {
        return sl_http_resp_json(status, o);
    }
    json_decref(o);
    return sl_http_resp_json(status, NULL);
}

sl_http_response sl_http_resp_message(int status, const char *text)
{
    return sl_http_resp_json_text(status, "message", text);
}

/* Engine JSON text taken over as a body (the engine's copy is freed). */

const char *sl_http_header_get(const sl_http_request *req, const char *name)
{
    for (size_t i = 0; i < req->header_count; i++) {
        if (req->headers[i].name && strcasecmp(req->headers[i].name, name) == 0)
            return req->headers[i].value;
    }
    return NULL;
}

int sl_http_hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* First occurrence of needle in hay[0..n), or NULL (memmem is a GNU
 * extension the build does not enable). */
const char *sl_http_find_bytes(const char *hay, size_t n, const char *needle, size_t m)
{
    if (m == 0)
        return hay;
    for (size_t i = 0; m <= n && i <= n - m; i++) {
        if (hay[i] == needle[0] && memcmp(hay + i, needle, m) == 0)
            return hay + i;
    }
    return NULL;
}

/* application/x-www-form-urlencoded decoding of s[0..n): '+' is a space,
 * %XX a byte; a malformed escape stays as written.  Caller frees. */
static char *form_decode(const char *s, size_t n, size_t *out_len)
{
    char *out = malloc(n + 1);
    size_t o = 0;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '+') {
            out[o++] = ' ';
        } else if (s[i] == '%' && i + 2 < n && sl_http_hex_digit(s[i + 1]) >= 0 &&
                   sl_http_hex_digit(s[i + 2]) >= 0) {
            out[o++] = (char)(sl_http_hex_digit(s[i + 1]) * 16 + sl_http_hex_digit(s[i + 2]));
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    *out_len = o;
    return out;
}

/* s[0..n) percent-decoded ('+' as a space) is UTF-8 without a NUL.  '&'
 * and '=' are ASCII, so decoding the whole text at once judges each
 * parameter's name and value as decoding them one by one would; a text
 * without a '%' is judged as it is, with no copy (every request's path).
 * -1 when out of memory. */
static int decoded_is_utf8(const char *s, size_t n)
{
    size_t len;
    char *d;
    int ok;
    if (!memchr(s, '%', n))
        return sl_text_is_utf8(s, n);
    d = form_decode(s, n, &len);
    if (!d)
        return -1;
    ok = sl_text_is_utf8(d, len);
    free(d);
    return ok;
}

int sl_http_malformed(const sl_http_request *req)
{
    const char *auth;
    int ok = decoded_is_utf8(req->path ? req->path : "", req->path ? strlen(req->path) : 0);
    if (ok == 1 && req->query)
        ok = decoded_is_utf8(req->query, strlen(req->query));
    if (ok == 1 && (auth = sl_http_header_get(req, "Authorization")) != NULL)
        ok = sl_text_is_utf8(auth, strlen(auth));
    if (ok == 1 && req->body && !req->body_too_large && sl_http_content_type_is(req, SL_HTTP_CT_FORM))
        ok = decoded_is_utf8(req->body, req->body_len);
    return ok != 1;
}

/* Value of the first `name` parameter in the urlencoded s[0..n).
 * 1 found (*out malloc'd and decoded), 0 absent, -1 out of memory. */
int sl_http_form_get(const char *s, size_t n, const char *name, char **out,
                    size_t *out_len)
{
    size_t i = 0, nlen = strlen(name);
    *out = NULL;
    *out_len = 0;
    while (s && i < n) {
        size_t start = i, eq, end, klen;
        char *key;
        int match;
        while (i < n && s[i] != '&')
            i++;
        end = i++;
        eq = start;
        while (eq < end && s[eq] != '=')
            eq++;
        key = form_decode(s + start, eq - start, &klen);
        if (!key)
            return -1;
        match = klen == nlen && memcmp(key, name, nlen) == 0;
        free(key);
        if (!match)
            continue;
        if (eq < end)
            *out = form_decode(s + eq + 1, end - eq - 1, out_len);
        else
            *out = form_decode("", 0, out_len);
        return *out ? 1 : -1;
    }
    return 0;
}


/* The media type of Content-Type is `type` (case-insensitive, parameters
 * ignored). */
int sl_http_content_type_is(const sl_http_request *req, const char *type)
{
    const char *ct = sl_http_header_get(req, "Content-Type");
    size_t n = strlen(type);
    if (!ct)
        return 0;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    if (strncasecmp(ct, type, n) != 0)
        return 0;
    ct += n;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    return *ct == '\0' || *ct == ';';
}

int sl_http_body_blank(const sl_http_request *req)
{
    for (size_t i = 0; i < req->body_len; i++) {
        char c = req->body[i];
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
            return 0;
    }
    return 1;
}

/* Nesting depth of JSON text (brackets outside strings) is at most
 * SL_JSON_DEPTH_MAX: checked before the parser recurses. */
int sl_http_json_depth_ok(const char *s, size_t n)
{
    int depth = 0, in_str = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = 0;
        } else if (c == '"') {
            in_str = 1;
        } else if (c == '[' || c == '{') {
            depth++;
            if (depth > SL_JSON_DEPTH_MAX)
                return 0;
        } else if (c == ']' || c == '}') {
            depth--;
        }
    }
    return 1;
}


int sl_http_cookie_get(const sl_http_request *req, const char *name, char *out, size_t outsz)
{
    size_t nlen = strlen(name);
    for (size_t h = 0; h < req->header_count; h++) {
        const char *v = req->headers[h].value;
        if (!req->headers[h].name || strcasecmp(req->headers[h].name, "Cookie") != 0 || !v)
            continue;
        /* cookie-pair *( ";" SP cookie-pair ), read leniently: blanks around */
        while (*v) {
            const char *end = strchr(v, ';'), *eq;
            size_t len;
            if (!end)
                end = v + strlen(v);
            while (v < end && (*v == ' ' || *v == '\t'))
                v++;
            eq = memchr(v, '=', (size_t)(end - v));
            if (eq && (size_t)(eq - v) == nlen && memcmp(v, name, nlen) == 0) {
                const char *val = eq + 1, *vend = end;
                while (vend > val && (vend[-1] == ' ' || vend[-1] == '\t'))
                    vend--;
                if (vend - val >= 2 && *val == '"' && vend[-1] == '"') {
                    val++;
                    vend--;
                }
                len = (size_t)(vend - val);
                if (len + 1 > outsz)
                    return 0;
                memcpy(out, val, len);
                out[len] = '\0';
                return 1;
            }
            v = *end ? end + 1 : end;
        }
    }
    return 0;
}

static char *dup_trimmed(const char *s, size_t n)
{
    char *out;
    while (n && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    out = malloc(n + 1);
    if (!out)
        return NULL;
    memcpy(out, s, n);
    out[n] = '\0';
    return out;
}

/* The presented token: PRIVATE-TOKEN header, Authorization: Bearer, then
 * the private_token / access_token query parameters.  1 found (*out
 * malloc'd), 0 none, -1 out of memory. */
/* The presented token and its length: a query parameter is URL-decoded and
 * may hold a NUL byte, which must count as part of the token, not end it. */
int sl_http_find_token(const sl_http_request *req, char **out, size_t *len)
{
    static const char *const params[] = {"private_token", "access_token"};
    const char *v = sl_http_header_get(req, "PRIVATE-TOKEN");
    size_t n = 0;
    *out = NULL;
    *len = 0;
    if (v && *v) {
        *out = dup_trimmed(v, strlen(v));
        if (!*out)
            return -1;
        *len = strlen(*out);
        if (**out)
            return 1;
        free(*out);
        *out = NULL;
    }
    v = sl_http_header_get(req, "Authorization");
    if (v && strncasecmp(v, "Bearer", 6) == 0 && (v[6] == ' ' || v[6] == '\t')) {
        *out = dup_trimmed(v + 7, strlen(v + 7));
        if (!*out)
            return -1;
        *len = strlen(*out);
        if (**out)
            return 1;
        free(*out);
        *out = NULL;
    }
    for (size_t i = 0; req->query && i < sizeof params / sizeof params[0]; i++) {
        int found = sl_http_form_get(req->query, strlen(req->query), params[i], out, &n);
        if (found < 0)
            return -1;
        if (found && n > 0) {
            *len = n;
            return 1;
        }
        free(*out);
        *out = NULL;
    }
    return 0;
}


void sl_http_response_free(sl_http_response *r)
{
    if (!r)
        return;
    free(r->body);
    r->body = NULL;
    r->body_len = 0;
    for (size_t i = 0; i < SL_HTTP_RESPONSE_HEADERS_MAX; i++) {
        if (r->owned_values & (1u << i))
            free((char *)r->headers[i].value);
    }
    r->owned_values = 0;
    if (r->stream) {
        r->stream->free(r->stream);
        r->stream = NULL;
    }
}
