/*
 * connection.c - Relay connections as GitLab's schema has them (edges with
 * cursors, nodes, pageInfo): the paging arguments cut to the page maximum,
 * arrays paged the way graphql-ruby's ArrayConnection pages them, and
 * opaque cursors (base64url).  Keyset paging of the ledger's lists is the
 * binding's (it knows the keys); the answer is built here.
 */
#include "graphql_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bytes of a decoded cursor: the longest of ours is a seat-user key (a
 * username and an id). */
#define CURSOR_RAW_MAX (2 * SL_USER_FIELD_MAX + 64)

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *sl_graphql_cursor_encode(const char *raw, size_t n)
{
    char *out = malloc(4 * (n / 3) + 5);
    size_t o = 0, i = 0;
    if (!out)
        return NULL;
    for (; i + 2 < n; i += 3) {
        unsigned v = (unsigned char)raw[i] << 16 | (unsigned char)raw[i + 1] << 8 |
                     (unsigned char)raw[i + 2];
        out[o++] = b64url[v >> 18];
        out[o++] = b64url[(v >> 12) & 63];
        out[o++] = b64url[(v >> 6) & 63];
        out[o++] = b64url[v & 63];
    }
    if (i < n) {
        unsigned v = (unsigned char)raw[i] << 16 | (i + 1 < n ? (unsigned char)raw[i + 1] << 8 : 0);
        out[o++] = b64url[v >> 18];
        out[o++] = b64url[(v >> 12) & 63];
        if (i + 1 < n)
            out[o++] = b64url[(v >> 6) & 63];
    }
    out[o] = '\0';
    return out;
}

char *sl_graphql_cursor_decode(const char *cursor)
{
    size_t n = strlen(cursor), o = 0;
    unsigned acc = 0;
    int bits = 0;
    char *out;
    while (n > 0 && cursor[n - 1] == '=')
        n--;
    if (n == 0 || n % 4 == 1 || n / 4 * 3 + 3 > CURSOR_RAW_MAX)
        return NULL;
    out = malloc(n / 4 * 3 + 4);
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        const char *p = strchr(b64url, cursor[i]);
        /* the standard alphabet's two letters are read too */
        int v = cursor[i] == '+' ? 62 : cursor[i] == '/' ? 63 : p && *p ? (int)(p - b64url) : -1;
        if (v < 0) {
            free(out);
            return NULL;
        }
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o] = (char)((acc >> bits) & 0xff);
            if (out[o] == '\0') {
                free(out);
                return NULL;
            }
            o++;
        }
    }
    out[o] = '\0';
    return out;
}

static long clamp_page(const json_t *v, int *has)
{
    json_int_t n;
    *has = json_is_integer(v);
    if (!*has)
        return 0;
    n = json_integer_value(v);
    return n < 0 ? 0 : n > SL_GRAPHQL_PAGE_MAX ? SL_GRAPHQL_PAGE_MAX : (long)n;
}

void sl_graphql_page_args(const json_t *args, sl_graphql_page *out)
{
    memset(out, 0, sizeof *out);
    out->first = clamp_page(json_object_get(args, "first"), &out->has_first);
    out->last = clamp_page(json_object_get(args, "last"), &out->has_last);
    if (!out->has_first && !out->has_last) {
        out->has_first = 1;
        out->first = SL_GRAPHQL_PAGE_MAX;
    }
    out->after = json_string_value(json_object_get(args, "after"));
    out->before = json_string_value(json_object_get(args, "before"));
}

json_t *sl_graphql_connection(json_t *nodes, json_t *cursors, int has_previous, int has_next)
{
    json_t *edges = json_array(), *info, *out;
    size_t n = json_array_size(nodes);
    for (size_t i = 0; edges && i < n; i++) {
        json_t *e = json_pack("{s:O,s:O}", "cursor", json_array_get(cursors, i), "node",
                              json_array_get(nodes, i));
        if (!e || json_array_append_new(edges, e) != 0) {
            json_decref(edges);
            edges = NULL;
        }
    }
    info = json_pack("{s:b,s:b,s:O?,s:O?}", "hasNextPage", has_next, "hasPreviousPage",
                     has_previous, "startCursor", n ? json_array_get(cursors, 0) : NULL,
                     "endCursor", n ? json_array_get(cursors, n - 1) : NULL);
    out = edges && info && nodes ? json_pack("{s:o,s:O,s:o}", "edges", edges, "nodes", nodes,
                                             "pageInfo", info)
                                 : NULL;
    if (!out) {
        json_decref(edges);
        json_decref(info);
    }
    json_decref(nodes);
    json_decref(cursors);
    return out;
}

/* The 1-based position a cursor of ours names; -1 when it is none. */
static long position_of(const char *cursor)
{
    char *raw = sl_graphql_cursor_decode(cursor), *end;
    long v;
    if (!raw)
        return -1;
    v = strtol(raw, &end, 10);
    if (end == raw || *end || raw[0] == '-' || raw[0] == '+' || v < 0)
        v = -1;
    free(raw);
    return v;
}

sl_rc sl_graphql_array_window(long n, const sl_graphql_page *pg, sl_graphql_window *w,
                              sl_error *err)
{
    long after = 0, before = n + 1, to;
    memset(w, 0, sizeof *w);
    if ((pg->after && (after = position_of(pg->after)) < 0) ||
        (pg->before && (before = position_of(pg->before)) < 0))
        return sl_error_set(err, SL_EINVAL, SL_GRAPHQL_MSG_BAD_CURSOR);
    /* graphql-ruby's ArrayConnection: the items strictly between the
     * cursors, then the first, then the last of those */
    w->from = after < n ? after : n;
    to = before - 1 < n ? before - 1 : n;
    w->count = to > w->from ? to - w->from : 0;
    w->has_previous = pg->has_last ? w->count > pg->last : pg->after ? after > 0 : 0;
    w->has_next = pg->before ? before < n + 1 : pg->has_first ? w->count > pg->first : 0;
    if (pg->has_first && w->count > pg->first)
        w->count = pg->first;
    if (pg->has_last && w->count > pg->last) {
        w->from += w->count - pg->last;
        w->count = pg->last;
    }
    return SL_OK;
}

json_t *sl_graphql_position_cursor(long i)
{
    char num[24];
    int len = snprintf(num, sizeof num, "%ld", i + 1);
    char *c = sl_graphql_cursor_encode(num, (size_t)len);
    json_t *j = c ? json_string(c) : NULL;
    free(c);
    return j;
}

sl_rc sl_graphql_array_connection(json_t *items, const sl_graphql_page *pg, json_t **out,
                                  sl_error *err)
{
    json_t *nodes = NULL, *cursors = NULL;
    sl_graphql_window w;
    sl_rc rc = sl_graphql_array_window((long)json_array_size(items), pg, &w, err);
    *out = NULL;
    if (rc != SL_OK) {
        json_decref(items);
        return rc;
    }
    nodes = json_array();
    cursors = json_array();
    for (long i = w.from; nodes && cursors && i < w.from + w.count; i++) {
        if (json_array_append(nodes, json_array_get(items, (size_t)i)) != 0 ||
            json_array_append_new(cursors, sl_graphql_position_cursor(i)) != 0) {
            json_decref(nodes);
            nodes = NULL;
        }
    }
    json_decref(items);
    if (!nodes || !cursors) {
        json_decref(nodes);
        json_decref(cursors);
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    *out = sl_graphql_connection(nodes, cursors, w.has_previous, w.has_next);
    return *out ? SL_OK : sl_error_set(err, SL_ENOMEM, "out of memory");
}
