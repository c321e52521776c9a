/*
 * rate_limit.c - the fixed rate-limit windows of code-suggestions.md, one
 * counter per (endpoint, user) shared by every worker thread of the server:
 * one mutex around an open-addressed table whose stale windows are dropped
 * whenever it grows.  Nothing survives a restart (documented).
 */
#include "cs_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define RATE_SLOTS_MIN 1024u

typedef struct entry {
    char *key;          /* endpoint byte + user id; NULL: free */
    int endpoint;
    int64_t window;     /* index of the window counted */
    int64_t window_s;
    int64_t count;
} entry;

struct sl_cs_rate {
    pthread_mutex_t mu;
    entry *slots;
    size_t cap;         /* a power of two */
    size_t used;
};

static uint64_t hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;   /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

sl_cs_rate *sl__cs_rate_new(void)
{
    sl_cs_rate *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->slots = calloc(RATE_SLOTS_MIN, sizeof *r->slots);
    if (!r->slots) {
        free(r);
        return NULL;
    }
    r->cap = RATE_SLOTS_MIN;
    pthread_mutex_init(&r->mu, NULL);
    return r;
}

void sl__cs_rate_free(sl_cs_rate *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->cap; i++)
        free(r->slots[i].key);
    free(r->slots);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

static int64_t window_of(int64_t now_ms, int64_t window_s)
{
    int64_t w = window_s * 1000;
    return now_ms >= 0 ? now_ms / w : (now_ms - w + 1) / w;
}

/* Rebuild into `cap` slots, keeping only the counters of current windows. */
static int rebuild(sl_cs_rate *r, size_t cap, int64_t now_ms)
{
    entry *ns = calloc(cap, sizeof *ns);
    size_t used = 0;
    if (!ns)
        return -1;
    for (size_t i = 0; i < r->cap; i++) {
        entry *e = &r->slots[i];
        size_t j;
        if (!e->key)
            continue;
        if (e->window != window_of(now_ms, e->window_s)) {
            free(e->key);
            continue;
        }
        j = (size_t)hash(e->key, strlen(e->key + 1) + 1) & (cap - 1);
        while (ns[j].key)
            j = (j + 1) & (cap - 1);
        ns[j] = *e;
        used++;
    }
    free(r->slots);
    r->slots = ns;
    r->cap = cap;
    r->used = used;
    return 0;
}

int sl__cs_rate_hit(sl_cs_rate *r, int endpoint, const char *user_id, int64_t limit,
                    int64_t window_s, int64_t now_ms)
{
    size_t n = strlen(user_id), i;
    char stackkey[256], *key = n + 2 <= sizeof stackkey ? stackkey : malloc(n + 2);
    int64_t w = window_of(now_ms, window_s);
    int verdict;
    uint64_t h;
    if (!key)
        return -1;
    key[0] = (char)('A' + endpoint);
    memcpy(key + 1, user_id, n + 1);
    h = hash(key, n + 1);
    pthread_mutex_lock(&r->mu);
    /* keep the table at most half full: drop stale windows first, grow if
     * that is not enough */
    if (2 * (r->used + 1) > r->cap) {
        if (rebuild(r, r->cap, now_ms) != 0 ||
            (2 * (r->used + 1) > r->cap &&
             (r->cap >= 2 * (size_t)SL_CS_RATE_ENTRIES_MAX ||
              rebuild(r, r->cap * 2, now_ms) != 0))) {
            verdict = -1;
            goto done;
        }
    }
    i = (size_t)h & (r->cap - 1);
    while (r->slots[i].key && strcmp(r->slots[i].key, key) != 0)
        i = (i + 1) & (r->cap - 1);
    if (!r->slots[i].key) {
        r->slots[i].key = strdup(key);
        if (!r->slots[i].key) {
            verdict = -1;
            goto done;
        }
        r->slots[i].endpoint = endpoint;
        r->slots[i].window = w;
        r->slots[i].window_s = window_s;
        r->slots[i].count = 0;
        r->used++;
    }
    if (r->slots[i].window != w || r->slots[i].window_s != window_s) {
        r->slots[i].window = w;
        r->slots[i].window_s = window_s;
        r->slots[i].count = 0;
    }
    if (r->slots[i].count >= limit) {
        verdict = 0;
    } else {
        r->slots[i].count++;
        verdict = 1;
    }
done:
    pthread_mutex_unlock(&r->mu);
    if (key != stackkey)
        free(key);
    return verdict;
}
