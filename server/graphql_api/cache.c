/*
 * cache.c - answers of GraphQL queries kept for the next identical request,
 * as the License API keeps its entity: a request is the same when the
 * caller's role and every byte the answer depends on (method, body or query
 * string) are; an answer is still the answer while the ledger's stamp
 * (sl_store_stamp: connection, commits anywhere, the date) is unchanged.
 * Only answers without errors of requests without mutations are kept (the
 * transport decides).  One small cache per thread, like the ledger
 * connections it goes with, released when the thread ends.
 */
#include "graphql_api.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_ENTRIES 16                  /* per thread: the admin pages' queries */
#define CACHE_ANSWER_MAX (256 * 1024)     /* bytes of one kept answer */

typedef struct entry {
    sl_store_stamp stamp;
    char *key, *body;
    size_t key_len, body_len;
    uint64_t used;                        /* for least-recently-used eviction */
} entry;

typedef struct cache {
    entry e[CACHE_ENTRIES];
    uint64_t clock;
} cache;

static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_key_t key;
static int key_ok;

static void cache_free(void *p)
{
    cache *c = p;
    for (size_t i = 0; c && i < CACHE_ENTRIES; i++) {
        free(c->e[i].key);
        free(c->e[i].body);
    }
    free(c);
}

static void make_key(void)
{
    key_ok = pthread_key_create(&key, cache_free) == 0;
}

/* This thread's cache, made on first use; NULL when none can be. */
static cache *mine(void)
{
    cache *c;
    pthread_once(&key_once, make_key);
    if (!key_ok)
        return NULL;
    c = pthread_getspecific(key);
    if (!c && (c = calloc(1, sizeof *c)) && pthread_setspecific(key, c) != 0) {
        free(c);
        c = NULL;
    }
    return c;
}

int sl_graphql_cache_get(sl_store *st, const char *k, size_t n, sl_store_stamp *stamp,
                         sl_http_response *out)
{
    cache *c;
    if (sl_store_stamp_get(st, stamp, NULL) != SL_OK || !(c = mine()))
        return 0;
    for (size_t i = 0; i < CACHE_ENTRIES; i++) {
        entry *e = &c->e[i];
        if (e->key && e->key_len == n && memcmp(e->key, k, n) == 0 &&
            sl_store_stamp_equal(&e->stamp, stamp)) {
            e->used = ++c->clock;
            *out = sl_http_resp_new(200);
            sl_http_resp_body(out, "application/json", e->body, e->body_len);
            return out->status == 200;
        }
    }
    return 0;
}

void sl_graphql_cache_put(const char *k, size_t n, const sl_store_stamp *stamp, const char *body,
                          size_t len)
{
    cache *c = mine();
    entry *victim = NULL;
    char *kc, *bc;
    if (!c || len > CACHE_ANSWER_MAX)
        return;
    for (size_t i = 0; i < CACHE_ENTRIES && !victim; i++) {
        if (c->e[i].key && c->e[i].key_len == n && memcmp(c->e[i].key, k, n) == 0)
            victim = &c->e[i];
    }
    for (size_t i = 0; i < CACHE_ENTRIES && !victim; i++) {
        if (!c->e[i].key)
            victim = &c->e[i];
    }
    if (!victim) {
        victim = &c->e[0];
        for (size_t i = 1; i < CACHE_ENTRIES; i++) {
            if (c->e[i].used < victim->used)
                victim = &c->e[i];
        }
    }
    kc = malloc(n ? n : 1);
    bc = malloc(len ? len : 1);
    if (!kc || !bc) {
        free(kc);
        free(bc);
        return;
    }
    memcpy(kc, k, n);
    memcpy(bc, body, len);
    free(victim->key);
    free(victim->body);
    *victim = (entry){*stamp, kc, bc, n, len, ++c->clock};
}
