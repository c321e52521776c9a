/*
 * ledger/current_license.c - which stored license is current and which is
 * future-dated (ledger-rules.md).  It reads stored licenses and decodes their
 * payloads; it asks nothing of the modules above it (snapshots, add checks,
 * users), which all ask it.
 */
#include "ledger/ledger_internal.h"

#include <stdlib.h>
#include <string.h>

/* ledger-rules.md: the current license is chosen among the 100 newest. */
#define CURRENT_WINDOW 100

typedef struct stored {
    int64_t id;
    sl_license *lic;
} stored;

/* The newest CURRENT_WINDOW licenses, newest first, parsed from their stored
 * payloads.  Rows whose payload no longer parses are skipped (they cannot be
 * valid). */
static sl_rc load_window(sl_store *st, stored *out, size_t *count, sl_error *err)
{
    sqlite3_stmt *s;
    size_t n = 0;
    int step;
    sl_rc rc = sl__stmt(st, "SELECT id, payload FROM licenses ORDER BY id DESC LIMIT 100",
                        &s, err);
    *count = 0;
    if (rc != SL_OK)
        return rc;
    while (n < CURRENT_WINDOW && (step = sqlite3_step(s)) == SQLITE_ROW) {
        sl_license *lic = NULL;
        if (sl_license_from_payload((const char *)sqlite3_column_text(s, 1),
                                    (size_t)sqlite3_column_bytes(s, 1), &lic, NULL) != SL_OK)
            continue;
        out[n].id = sqlite3_column_int64(s, 0);
        out[n].lic = lic;
        n++;
    }
    sqlite3_reset(s);
    *count = n;
    return SL_OK;
}

static void free_window(stored *w, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sl_license_free(w[i].lic);
}

static int cancelled(const stored *w, size_t n, const char *subscription)
{
    if (!subscription)
        return 0;
    for (size_t i = 0; i < n; i++) {
        const sl_license_info *inf = sl_license_get_info(w[i].lic);
        if (inf->generated_from_cancellation && inf->cloud_licensing_enabled &&
            inf->subscription_name && strcmp(inf->subscription_name, subscription) == 0)
            return 1;
    }
    return 0;
}

/* Index into w of the current license per ledger-rules.md, or -1. */
static int pick_current(const stored *w, size_t n, int32_t today)
{
    for (size_t i = 0; i < n; i++) {
        const sl_license *l = w[i].lic;
        if (sl_license_validate(l, NULL) == SL_OK && sl_license_is_started(l, today) &&
            !sl_license_is_expired(l, today) &&
            !cancelled(w, n, sl_license_get_info(l)->subscription_name))
            return (int)i;
    }
    for (size_t i = 0; i < n; i++) {
        const sl_license *l = w[i].lic;
        if (sl_license_validate(l, NULL) == SL_OK && sl_license_is_started(l, today))
            return (int)i;
    }
    return -1;
}

sl_rc sl__license_current(sl_store *st, int32_t today, sl_license **out,
                          int64_t *out_id, sl_error *err)
{
    stored w[CURRENT_WINDOW];
    size_t n = 0;
    int i;
    sl_rc rc = load_window(st, w, &n, err);
    *out = NULL;
    if (out_id)
        *out_id = 0;
    if (rc != SL_OK)
        return rc;
    i = pick_current(w, n, today);
    if (i >= 0) {
        *out = w[i].lic;
        w[i].lic = NULL;
        if (out_id)
            *out_id = w[i].id;
    }
    free_window(w, n);
    return SL_OK;
}

sl_rc sl_store_license_current(sl_store *st, int64_t *out_id, sl_error *err)
{
    sl_license *lic = NULL;
    int64_t id = 0;
    int32_t today;
    sl_rc rc = sl__ledger_today(st, &today, err);
    if (rc != SL_OK)
        return rc;
    /* sl__ledger_today() validated the read cache */
    if (st->cache.current_id < 0) {
        rc = sl__license_current(st, today, &lic, &id, err);
        if (rc != SL_OK)
            return rc;
        sl_license_free(lic);
        st->cache.current_id = id;
    }
    if (st->cache.current_id == 0)
        return sl__err(err, SL_ENOTFOUND, "no current license");
    *out_id = st->cache.current_id;
    return SL_OK;
}

sl_rc sl_store_license_future(sl_store *st, int64_t *out_id, sl_error *err)
{
    stored w[CURRENT_WINDOW];
    size_t n = 0;
    int32_t today;
    sl_rc rc = sl__ledger_today(st, &today, err);
    if (rc != SL_OK)
        return rc;
    rc = load_window(st, w, &n, err);
    if (rc != SL_OK)
        return rc;
    rc = sl__err(err, SL_ENOTFOUND, "no future-dated license");
    for (size_t i = 0; i < n; i++) {
        if (sl_license_validate(w[i].lic, NULL) == SL_OK &&
            !sl_license_is_started(w[i].lic, today)) {
            *out_id = w[i].id;
            rc = SL_OK;
            break;
        }
    }
    free_window(w, n);
    return rc;
}

