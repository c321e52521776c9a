/*
 * cs_internal.h - the pieces of the Code Suggestions surface that hold
 * state across worker threads: fixed rate-limit windows (rate_limit.c) and
 * small per-user memos (memo.c: the day of the last Duo activity written,
 * the gateway token last signed).
 */
#ifndef SL_CS_INTERNAL_H
#define SL_CS_INTERNAL_H

#include "code_suggestions.h"

#include <stddef.h>
#include <stdint.h>

/* ---- fixed windows (rate_limit.c) ------------------------------------------ */

/* Live (endpoint, user) counters at most; past it requests are refused (429)
 * rather than left uncounted.  A directory of a million users each calling
 * every limited endpoint in one window fits. */
#define SL_CS_RATE_ENTRIES_MAX (4u * 1024 * 1024)

typedef struct sl_cs_rate sl_cs_rate;

sl_cs_rate *sl__cs_rate_new(void);
void sl__cs_rate_free(sl_cs_rate *r);
/* Count one request of `user_id` to `endpoint` in the window of `now_ms`
 * (windows of window_s seconds from the epoch).  1 allowed, 0 over the
 * limit (not counted), -1 no room to count it (refuse too). */
int sl__cs_rate_hit(sl_cs_rate *r, int endpoint, const char *user_id, int64_t limit,
                    int64_t window_s, int64_t now_ms);

/* ---- per-user memos (memo.c) ------------------------------------------------ */

typedef struct sl_cs_memo sl_cs_memo;

/* A direct-mapped table of `slots` entries (a collision forgets the older
 * entry: a memo only ever saves work). */
sl_cs_memo *sl__cs_memo_new(size_t slots);
void sl__cs_memo_free(sl_cs_memo *m);
/* 1 when `key` is remembered: *value and, when text is not NULL, a copy of
 * its text (cut to size; "" when none) are filled.  0 otherwise. */
int sl__cs_memo_get(sl_cs_memo *m, const char *key, int64_t *value, char *text, size_t size);
/* Remember key -> (value, text); text may be NULL.  Out of memory forgets. */
void sl__cs_memo_put(sl_cs_memo *m, const char *key, int64_t value, const char *text);

#endif
