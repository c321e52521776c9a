/*
 * arena.c - memory of the GraphQL engine: one arena per document and per
 * schema (freed at once, so a failed parse leaks nothing), heap arrays that
 * settle into an arena when complete, and a string builder for messages.
 */
#include "gql_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Chunk payload: a 10,000-character query needs a few of these; big
 * requests get a chunk of their own. */
#define CHUNK_SIZE (16 * 1024)
#define ALIGN 16

struct gql_chunk {
    gql_chunk *next;
    size_t used, cap;
    max_align_t data[];
};

void *gql_alloc(gql_arena *a, size_t size)
{
    gql_chunk *c = a->head;
    void *p;
    size = (size + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    if (size == 0)
        size = ALIGN;
    if (!c || c->cap - c->used < size) {
        size_t cap = size > CHUNK_SIZE ? size : CHUNK_SIZE;
        c = malloc(sizeof *c + cap);
        if (!c) {
            a->oom = 1;
            return NULL;
        }
        c->used = 0;
        c->cap = cap;
        /* a big one-off block goes behind the current chunk, which keeps
         * its free space */
        if (a->head && size > CHUNK_SIZE) {
            c->next = a->head->next;
            a->head->next = c;
        } else {
            c->next = a->head;
            a->head = c;
        }
    }
    p = (char *)c->data + c->used;
    c->used += size;
    memset(p, 0, size);
    return p;
}

char *gql_strndup(gql_arena *a, const char *s, size_t n)
{
    char *p = gql_alloc(a, n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *gql_strdup(gql_arena *a, const char *s)
{
    return gql_strndup(a, s, strlen(s));
}

void gql_arena_adopt(gql_arena *dst, gql_arena *src)
{
    gql_chunk *last = src->head;
    if (!last)
        return;
    while (last->next)
        last = last->next;
    last->next = dst->head;
    dst->head = src->head;
    src->head = NULL;
    if (src->oom)
        dst->oom = 1;
}

void gql_arena_free(gql_arena *a)
{
    gql_chunk *c = a->head;
    while (c) {
        gql_chunk *next = c->next;
        free(c);
        c = next;
    }
    a->head = NULL;
}

int gql_vec_push(gql_vec *v, void *item)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 8;
        void **p = realloc(v->items, cap * sizeof *p);
        if (!p)
            return -1;
        v->items = p;
        v->cap = cap;
    }
    v->items[v->n++] = item;
    return 0;
}

int gql_vec_add_unique(gql_vec *v, void *item)
{
    for (size_t i = 0; i < v->n; i++) {
        if (v->items[i] == item)
            return 1;
    }
    return gql_vec_push(v, item);
}

void **gql_vec_finish(gql_vec *v, gql_arena *a, size_t *n)
{
    void **out = NULL;
    *n = 0;
    if (v->n > 0) {
        out = gql_alloc(a, v->n * sizeof *out);
        if (out) {
            memcpy(out, v->items, v->n * sizeof *out);
            *n = v->n;
        }
    }
    gql_vec_free(v);
    return out;
}

void gql_vec_free(gql_vec *v)
{
    free(v->items);
    v->items = NULL;
    v->n = v->cap = 0;
}

void gql_buf_add(gql_buf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        char *p;
        while (cap < b->len + n + 1)
            cap *= 2;
        p = realloc(b->s, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void gql_buf_str(gql_buf *b, const char *s)
{
    gql_buf_add(b, s, strlen(s));
}

void gql_buf_printf(gql_buf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->oom = 1;
        return;
    }
    if ((size_t)n < sizeof small) {
        gql_buf_add(b, small, (size_t)n);
        return;
    }
    {
        char *big = malloc((size_t)n + 1);
        if (!big) {
            b->oom = 1;
            return;
        }
        va_start(ap, fmt);
        vsnprintf(big, (size_t)n + 1, fmt, ap);
        va_end(ap);
        gql_buf_add(b, big, (size_t)n);
        free(big);
    }
}

void gql_buf_free(gql_buf *b)
{
    free(b->s);
    memset(b, 0, sizeof *b);
}
