/*
 * errors.c - GraphQL errors as clients see them: {"message", "locations",
 * "path"} with positions in lines and characters, the capped list a stage
 * fills, and the "(Did you mean `x`?)" suggestion graphql-ruby appends.
 */
#include "gql_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest name compared for a suggestion: the distance table is on the
 * stack and names in a schema are short. */
#define SUGGEST_NAME_MAX 64

void gql_doc_position(const gql_document *d, uint32_t off, int *line, int *col)
{
    size_t lo = 0, hi = d->nlines;
    int c = 1;
    if (d->nlines == 0) {
        *line = 1;
        *col = (int)off + 1;
        return;
    }
    /* the last line start <= off */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->line_starts[mid] <= off)
            lo = mid;
        else
            hi = mid;
    }
    for (uint32_t i = d->line_starts[lo]; i < off && i < d->len; i++) {
        if (((unsigned char)d->text[i] & 0xC0) != 0x80)
            c++;
    }
    *line = (int)lo + 1;
    *col = c;
}

static int valid_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    for (size_t i = 0, k; i < n; i += k) {
        if ((k = gql_utf8_len(p + i, n - i)) == 0)
            return 0;
    }
    return 1;
}

/* A malloc'd copy of s with every byte that starts no UTF-8 sequence as
 * U+FFFD; NULL when out of memory. */
static char *replace_invalid(const char *s)
{
    static const char replacement[] = "\xEF\xBF\xBD";
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s), o = 0;
    char *out = malloc(n * 3 + 1);
    if (!out)
        return NULL;
    for (size_t i = 0; i < n;) {
        size_t k = gql_utf8_len(p + i, n - i);
        if (k == 0) {
            memcpy(out + o, replacement, 3);
            o += 3;
            i++;
        } else {
            memcpy(out + o, s + i, k);
            o += k;
            i += k;
        }
    }
    out[o] = '\0';
    return out;
}

void gql_error_addv(gql_errors *e, const gql_document *d, uint32_t off, json_t *path,
                    const char *fmt, va_list ap)
{
    json_t *err;
    char small[512], *msg = small;
    va_list ap2;
    int n;
    if (e->max && json_array_size(e->list) >= e->max) {
        e->full = 1;
        json_decref(path);
        return;
    }
    va_copy(ap2, ap);
    n = vsnprintf(small, sizeof small, fmt, ap);
    if (n >= (int)sizeof small) {
        msg = malloc((size_t)n + 1);
        if (msg)
            vsnprintf(msg, (size_t)n + 1, fmt, ap2);
    }
    va_end(ap2);
    if (n < 0 || !msg) {
        e->oom = 1;
        json_decref(path);
        return;
    }
    /* a name quoted from a request that is not UTF-8 (GitLab's own server
     * refuses such requests before GraphQL; this library may be called
     * without it): each stray byte becomes U+FFFD rather than losing the
     * error */
    if (!valid_utf8(msg)) {
        char *fixed = replace_invalid(msg);
        if (msg != small)
            free(msg);
        msg = fixed;
        if (!msg) {
            e->oom = 1;
            json_decref(path);
            return;
        }
    }
    err = json_pack("{s:s}", "message", msg);
    if (msg != small)
        free(msg);
    if (err && off != GQL_NO_LOC && d) {
        int line, col;
        gql_doc_position(d, off, &line, &col);
        json_object_set_new(err, "locations", json_pack("[{s:i,s:i}]", "line", line, "column", col));
    }
    if (err && path)
        json_object_set(err, "path", path);
    json_decref(path);
    if (!err || json_array_append_new(e->list, err) != 0)
        e->oom = 1;
}

void gql_error_add(gql_errors *e, const gql_document *d, uint32_t off, json_t *path,
                   const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    gql_error_addv(e, d, off, path, fmt, ap);
    va_end(ap);
}

size_t gql_levenshtein(const char *a, const char *b, size_t cap)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t row[SUGGEST_NAME_MAX + 1];
    if (la > SUGGEST_NAME_MAX || lb > SUGGEST_NAME_MAX)
        return cap + 1;
    if ((la > lb ? la - lb : lb - la) > cap)
        return cap + 1;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0], best;
        row[0] = i;
        best = row[0];
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t v = diag + (a[i - 1] != b[j - 1]);
            if (row[j - 1] + 1 < v)
                v = row[j - 1] + 1;
            if (up + 1 < v)
                v = up + 1;
            row[j] = v;
            diag = up;
            if (v < best)
                best = v;
        }
        if (best > cap)
            return cap + 1;
    }
    return row[lb];
}

/* graphql-ruby asks Ruby's DidYouMean, which keeps candidates within a
 * quarter of the name's length (rounded up) in edits; we name the closest
 * one, the first declared on a tie. */
void gql_suggest(gql_buf *b, const char *name, const char *const *candidates, size_t n)
{
    size_t len = strlen(name), cap = (len + 3) / 4, best = cap + 1;
    const char *pick = NULL;
    for (size_t i = 0; i < n; i++) {
        size_t dist = gql_levenshtein(name, candidates[i], cap);
        if (dist < best && dist > 0) {
            best = dist;
            pick = candidates[i];
        }
    }
    if (pick)
        gql_buf_printf(b, " (Did you mean `%s`?)", pick);
}

void gql_ruby_hash(gql_buf *b, const json_t *obj)
{
    const char *key;
    json_t *v;
    int first = 1;
    gql_buf_str(b, "{");
    json_object_foreach((json_t *)obj, key, v) {
        gql_buf_printf(b, "%s\"%s\"=>%lld", first ? "" : ", ", key,
                       (long long)json_integer_value(v));
        first = 0;
    }
    gql_buf_str(b, "}");
}
