/*
 * ops/status.c - `seatledger status` whole: the ledger's summary
 * (ledger/status.c), one line per active add-on purchase, then the ledger's
 * notices followed by the add-on notices (all seats assigned, expiry from
 * ADDON_WARN_DAYS days before).
 */
#include "ops/ops_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* issue 11: "duo_pro expires in N days" from 15 days before */
#define ADDON_WARN_DAYS 15

static sl_rc addon_status(sl_store *st, sl_status *out, sl_error *err)
{
    sl_addon_purchase *all = NULL;
    size_t n = 0;
    sl_rc rc = sl_store_addon_purchases(st, &all, &n, err);
    if (rc != SL_OK)
        return rc;
    out->addons = n ? calloc(n, sizeof *out->addons) : NULL;
    if (n && !out->addons)
        rc = sl__err(err, SL_ENOMEM, "out of memory");
    for (size_t i = 0; rc == SL_OK && i < n; i++) {
        sl_status_addon *a;
        if (!(all[i].started_on <= out->today && out->today < all[i].expires_on))
            continue;
        a = &out->addons[out->addon_count++];
        a->add_on = all[i].add_on;
        a->quantity = all[i].quantity;
        a->assigned = all[i].assigned;
        a->expires_on = all[i].expires_on;
        a->days_left = (int64_t)all[i].expires_on - out->today;
    }
    sl_addon_purchases_free(all, n);
    return rc;
}

int sl__status_addon_full(const sl_status_addon *a)
{
    return sl_addon_seat_assignable(a->add_on) && a->assigned >= a->quantity;
}

int sl__status_addon_expiring(const sl_status_addon *a)
{
    return a->days_left <= ADDON_WARN_DAYS;
}

void sl__status_addon_full_sentence(const sl_status_addon *a, char *buf, size_t size)
{
    snprintf(buf, size, "%s seats are all assigned", sl_addon_name(a->add_on));
}

void sl__status_addon_expiry_sentence(const sl_status_addon *a, char *buf, size_t size)
{
    char n[32];
    snprintf(buf, size, "%s expires in %s %s", sl_addon_name(a->add_on),
             sl_format_count(a->days_left, n, sizeof n), a->days_left == 1 ? "day" : "days");
}

static sl_rc addon_notices(sl_status *s, sl_error *err)
{
    char text[128];
    sl_rc rc = SL_OK;
    for (size_t i = 0; rc == SL_OK && i < s->addon_count; i++) {
        const sl_status_addon *a = &s->addons[i];
        if (sl__status_addon_full(a)) {
            sl__status_addon_full_sentence(a, text, sizeof text);
            rc = sl__status_notice(s, err, "%s", text);
        }
        if (rc == SL_OK && sl__status_addon_expiring(a)) {
            sl__status_addon_expiry_sentence(a, text, sizeof text);
            rc = sl__status_notice(s, err, "%s", text);
        }
    }
    return rc;
}

sl_rc sl_store_status(sl_store *st, sl_status *out, sl_error *err)
{
    int64_t now = 0;
    sl_rc rc = sl__status_fill(st, out, &now, err);
    if (rc != SL_OK)
        return rc;
    rc = addon_status(st, out, err);
    if (rc == SL_OK)
        rc = sl__status_notices(out, now, err);
    if (rc == SL_OK)
        rc = addon_notices(out, err);
    if (rc != SL_OK)
        sl_status_free(out);
    return rc;
}
