/*
 * memo.c - small per-user memos shared by the worker threads: a
 * direct-mapped table under one mutex.  A collision or a full table only
 * forgets, so a memo never changes an answer, it saves work: the Duo
 * activity write already done today, the gateway token still valid.
 */
#include "cs_internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct slot {
    char *key;
    int64_t value;
    char *text;
} slot;

struct sl_cs_memo {
    pthread_mutex_t mu;
    slot *slots;
    size_t n;
};

static size_t slot_of(const sl_cs_memo *m, const char *key)
{
    uint64_t h = 1469598103934665603ULL;   /* FNV-1a */
    for (const char *p = key; *p; p++) {
        h ^= (unsigned char)*p;
        h *= 1099511628211ULL;
    }
    return (size_t)(h % m->n);
}

sl_cs_memo *sl__cs_memo_new(size_t slots)
{
    sl_cs_memo *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->slots = calloc(slots ? slots : 1, sizeof *m->slots);
    if (!m->slots) {
        free(m);
        return NULL;
    }
    m->n = slots ? slots : 1;
    pthread_mutex_init(&m->mu, NULL);
    return m;
}

void sl__cs_memo_free(sl_cs_memo *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++) {
        free(m->slots[i].key);
        free(m->slots[i].text);
    }
    free(m->slots);
    pthread_mutex_destroy(&m->mu);
    free(m);
}

int sl__cs_memo_get(sl_cs_memo *m, const char *key, int64_t *value, char *text, size_t size)
{
    slot *s = &m->slots[slot_of(m, key)];
    int found = 0;
    pthread_mutex_lock(&m->mu);
    if (s->key && strcmp(s->key, key) == 0) {
        found = 1;
        *value = s->value;
        if (text)
            snprintf(text, size, "%s", s->text ? s->text : "");
    }
    pthread_mutex_unlock(&m->mu);
    return found;
}

void sl__cs_memo_put(sl_cs_memo *m, const char *key, int64_t value, const char *text)
{
    slot *s = &m->slots[slot_of(m, key)];
    char *k = strdup(key), *t = text ? strdup(text) : NULL;
    pthread_mutex_lock(&m->mu);
    free(s->key);
    free(s->text);
    if (!k || (text && !t)) {
        free(k);
        free(t);
        k = t = NULL;
    }
    s->key = k;
    s->text = t;
    s->value = value;
    pthread_mutex_unlock(&m->mu);
}
