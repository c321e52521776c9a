/*
 * ledger/license_history.c - the stored licenses as GitLab's license history
 * shows them (GraphQL's licenseHistoryEntries, subscriptionFutureEntries and
 * currentLicense): each one's attributes and license type, in GitLab's
 * order, kept in the read cache until the ledger or the date changes.  Which
 * license is current is current_license.c's decision, not this file's.
 */
#include "ledger/ledger_internal.h"

#include <stdlib.h>
#include <string.h>

/* GitLab's License#license_type. */
#define TYPE_ONLINE "online_cloud"
#define TYPE_OFFLINE "offline_cloud"
#define TYPE_LEGACY "legacy_license"

typedef struct history {
    sl_license_entry *e;
    size_t n;
} history;

static void history_free(void *p)
{
    history *h = p;
    if (!h)
        return;
    for (size_t i = 0; i < h->n; i++) {
        free((char *)h->e[i].plan);
        free((char *)h->e[i].licensee_name);
        free((char *)h->e[i].licensee_email);
        free((char *)h->e[i].licensee_company);
        free((char *)h->e[i].subscription_name);
    }
    free(h->e);
    free(h);
}

/* A copy of an optional string: 0 when it was NULL or copied, -1 when out
 * of memory. */
static int dup_opt(const char **dst, const char *src)
{
    *dst = src ? sl__strdup(src) : NULL;
    return src && !*dst ? -1 : 0;
}

static sl_rc fill(sl_license_entry *e, int64_t id, int64_t created_at, const sl_license *lic,
                  int32_t today, sl_error *err)
{
    const sl_license_info *in = sl_license_get_info(lic);
    memset(e, 0, sizeof *e);
    e->id = id;
    e->key_id = in->key_id != SL_COUNT_NONE ? in->key_id : id;
    e->type = !in->cloud_licensing_enabled ? TYPE_LEGACY
              : in->offline_cloud_licensing_enabled ? TYPE_OFFLINE : TYPE_ONLINE;
    e->starts_on = in->starts_on;
    e->expires_on = in->expires_on;
    e->block_changes_on = in->block_changes_on;
    e->activated_on = in->activated_on != SL_DATE_NONE ? in->activated_on
                                                       : sl_ms_to_date(created_at);
    e->created_at_ms = created_at;
    e->last_synced_at_ms = in->last_synced_at_ms;
    e->seats = in->seats;
    e->trial = in->trial;
    e->future = in->starts_on != SL_DATE_NONE && in->starts_on > today;
    if (dup_opt(&e->plan, in->plan) < 0 || dup_opt(&e->licensee_name, in->licensee_name) < 0 ||
        dup_opt(&e->licensee_email, in->licensee_email) < 0 ||
        dup_opt(&e->licensee_company, in->licensee_company) < 0 ||
        dup_opt(&e->subscription_name, in->subscription_name) < 0)
        return sl__err(err, SL_ENOMEM, "out of memory");
    return SL_OK;
}

static int cmp_desc(int64_t a, int64_t b)
{
    return a > b ? -1 : a < b;
}

/* Newest first by (starts, created, expires); SL_DATE_NONE is the smallest
 * value, so a missing date sorts last. */
static int history_order(const void *pa, const void *pb)
{
    const sl_license_entry *a = pa, *b = pb;
    int c = cmp_desc(a->starts_on, b->starts_on);
    if (c == 0)
        c = cmp_desc(a->created_at_ms, b->created_at_ms);
    if (c == 0)
        c = cmp_desc(a->expires_on, b->expires_on);
    return c ? c : cmp_desc(a->id, b->id);
}

static sl_rc load(sl_store *st, int32_t today, history **out, sl_error *err)
{
    history *h = calloc(1, sizeof *h);
    size_t cap = 0;
    sqlite3_stmt *s;
    int step;
    sl_rc rc;
    *out = NULL;
    if (!h)
        return sl__err(err, SL_ENOMEM, "out of memory");
    rc = sl__stmt(st, "SELECT id, payload, created_at FROM licenses", &s, err);
    if (rc != SL_OK)
        goto fail;
    while (rc == SL_OK && (step = sqlite3_step(s)) == SQLITE_ROW) {
        sl_license *lic = NULL;
        /* GitLab lists the licenses it can decrypt: a payload that no longer
         * parses is left out */
        if (sl_license_from_payload((const char *)sqlite3_column_text(s, 1),
                                    (size_t)sqlite3_column_bytes(s, 1), &lic, NULL) != SL_OK)
            continue;
        if (h->n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            sl_license_entry *p = realloc(h->e, ncap * sizeof *p);
            if (!p)
                rc = sl__err(err, SL_ENOMEM, "out of memory");
            else {
                h->e = p;
                cap = ncap;
            }
        }
        if (rc == SL_OK) {
            rc = fill(&h->e[h->n], sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 2), lic,
                      today, err);
            h->n++;   /* a partly filled entry is freed with the rest */
        }
        sl_license_free(lic);
    }
    if (rc == SL_OK && step != SQLITE_DONE)
        rc = sl__db_err(st, err, "cannot read licenses");
    sqlite3_reset(s);
    if (rc != SL_OK)
        goto fail;
    if (h->n > 1)
        qsort(h->e, h->n, sizeof *h->e, history_order);
    *out = h;
    return SL_OK;
fail:
    history_free(h);
    return rc;
}

sl_rc sl_store_license_history(sl_store *st, const sl_license_entry **out, size_t *count,
                               sl_error *err)
{
    history *h;
    int32_t today;
    sl_rc rc = sl__ledger_today(st, &today, err);   /* validates the read cache */
    *out = NULL;
    *count = 0;
    if (rc != SL_OK)
        return rc;
    if (!st->cache.history) {
        rc = load(st, today, &h, err);
        if (rc != SL_OK)
            return rc;
        st->cache.history = h;
        st->cache.history_free = history_free;
    }
    h = st->cache.history;
    *out = h->n ? h->e : NULL;
    *count = h->n;
    return SL_OK;
}
