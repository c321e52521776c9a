/*
 * framing.c - where a request body ends, by the rules of RFC 9112 section 6
 * that libmicrohttpd 0.9.75 does not enforce itself: it takes the first of
 * two different Content-Length fields, lets Transfer-Encoding win over
 * Content-Length and keeps the connection, reads a body of unknown coding
 * until the client closes, and accepts header names with a space before
 * the colon.  Each of those lets a proxy in front of the server and the
 * server disagree about where the next request starts (request smuggling).
 * A pure function of the head; sl_http_framing_refuse() turns its verdict
 * into the status every surface answers with (dispatch.c asks first).
 */
#include "http_util.h"
#include "router.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* tchar of RFC 9110 section 5.6.2 */
static int is_tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return 1;
    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int is_token(const char *s)
{
    if (!s || !*s)
        return 0;
    for (; *s; s++) {
        if (!is_tchar((unsigned char)*s))
            return 0;
    }
    return 1;
}

/* 1*DIGIT without sign or spaces; *out gets the value (saturated: any two
 * lengths beyond 2^64 are refused elsewhere, so equality is what matters). */
static int parse_length(const char *s, unsigned long long *out)
{
    unsigned long long n = 0;
    int saturated = 0;
    if (!s || !*s)
        return 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return 0;
        if (n > (~0ULL - 9) / 10)
            saturated = 1;
        else
            n = n * 10 + (unsigned long long)(*s - '0');
    }
    *out = saturated ? ~0ULL : n;
    return 1;
}

static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

typedef struct codings {
    int n;                      /* list elements seen */
    int last_is_chunked;
    int chunked_count;
} codings;

/* Append the comma-separated codings of one Transfer-Encoding value. */
static void add_codings(codings *cs, const char *v)
{
    while (*v) {
        const char *start, *end;
        size_t len;
        while (is_ows(*v) || *v == ',')
            v++;
        if (!*v)
            break;
        start = v;
        while (*v && *v != ',')
            v++;
        end = v;
        while (end > start && is_ows(end[-1]))
            end--;
        len = (size_t)(end - start);
        /* a coding may carry parameters (";q=..."); only the name counts */
        {
            const char *semi = memchr(start, ';', len);
            if (semi) {
                len = (size_t)(semi - start);
                while (len && is_ows(start[len - 1]))
                    len--;
            }
        }
        cs->last_is_chunked = len == 7 && strncasecmp(start, "chunked", 7) == 0;
        if (cs->last_is_chunked)
            cs->chunked_count++;
        cs->n++;  /* bounded by the head's size */
    }
}

sl_http_framing sl_http_framing_check(const sl_http_request *req, const char **why)
{
    const char *dummy;
    const char *te_value = NULL;
    unsigned long long length = 0;
    int have_length = 0, te_fields = 0;
    codings cs;
    if (!why)
        why = &dummy;
    *why = "";
    memset(&cs, 0, sizeof cs);
    for (size_t i = 0; i < req->header_count; i++) {
        const char *name = req->headers[i].name, *value = req->headers[i].value;
        /* "Content-Length : 5" is not Content-Length to libmicrohttpd, but
         * may be to a lenient proxy (RFC 9112 section 5.1: reject) */
        if (!is_token(name)) {
            *why = "invalid header field name";
            return SL_FRAMING_INVALID;
        }
        if (strcasecmp(name, "Content-Length") == 0) {
            unsigned long long n;
            if (!parse_length(value, &n)) {
                *why = "invalid Content-Length";
                return SL_FRAMING_INVALID;
            }
            /* the same value repeated is harmless (RFC 9110 section 8.6) */
            if (have_length && n != length) {
                *why = "conflicting Content-Length fields";
                return SL_FRAMING_INVALID;
            }
            length = n;
            have_length = 1;
        } else if (strcasecmp(name, "Transfer-Encoding") == 0) {
            te_fields++;
            te_value = value ? value : "";
            add_codings(&cs, te_value);
        }
    }
    if (te_fields == 0)
        return SL_FRAMING_OK;
    /* RFC 9112 section 6.1: Transfer-Encoding is HTTP/1.1; with
     * Content-Length as well, the two framings contradict each other */
    if (req->version && strcmp(req->version, "HTTP/1.0") == 0) {
        *why = "Transfer-Encoding in an HTTP/1.0 request";
        return SL_FRAMING_INVALID;
    }
    if (have_length) {
        *why = "both Content-Length and Transfer-Encoding";
        return SL_FRAMING_INVALID;
    }
    if (cs.n == 0 || !cs.last_is_chunked) {
        *why = "chunked is not the final transfer coding";
        return SL_FRAMING_INVALID;
    }
    if (cs.chunked_count > 1) {
        *why = "chunked applied more than once";
        return SL_FRAMING_INVALID;
    }
    if (cs.n > 1) {
        *why = "unsupported transfer coding";
        return SL_FRAMING_UNSUPPORTED;
    }
    /* the one coding is chunked; libmicrohttpd reads the body as chunked
     * only when the (first) field is exactly that word, so anything else,
     * such as "chunked," or two fields, would be read another way */
    if (te_fields > 1 || strcasecmp(te_value, "chunked") != 0) {
        *why = "malformed Transfer-Encoding";
        return SL_FRAMING_INVALID;
    }
    return SL_FRAMING_OK;
}

int sl_http_framing_refuse(const sl_http_request *req, sl_http_response *r)
{
    const char *why = "";
    char msg[96];
    switch (sl_http_framing_check(req, &why)) {
    case SL_FRAMING_OK:
        return 0;
    case SL_FRAMING_UNSUPPORTED:
        snprintf(msg, sizeof msg, "501 Not Implemented - %s", why);
        *r = sl_http_resp_message(501, msg);
        break;
    case SL_FRAMING_INVALID:
    default:
        snprintf(msg, sizeof msg, "400 Bad request - %s", why);
        *r = sl_http_resp_message(400, msg);
        break;
    }
    r->close = 1;
    return 1;
}
