/*
 * seats/purchases.c - add-on purchase records and their provisioning from
 * the current license (add-ons.md): cloud licenses only, active entries
 * summed, one Duo-tier record updated in place with precedence Amazon Q >
 * Enterprise > Pro, and an add-on that leaves the license expired to
 * yesterday.  What a key grants of each add-on is license/add_on_products.c's.
 */
#include "seats/seats_internal.h"

#include <stdlib.h>
#include <string.h>

#define DETAIL_MAX 512

/* The Duo tier's add-ons in order of precedence; duo_core stands alone. */
static const sl_addon duo_precedence[] = {SL_ADDON_DUO_AMAZON_Q, SL_ADDON_DUO_ENTERPRISE,
                                          SL_ADDON_DUO_PRO};
static const char *const tiers[SL_PROVISION_TIERS] = {"duo", "duo_core"};

static const char *tier_of(sl_addon a)
{
    return a == SL_ADDON_DUO_CORE ? "duo_core" : "duo";
}

void sl_addon_purchase_clear(sl_addon_purchase *p)
{
    if (!p)
        return;
    free(p->purchase_xid);
    memset(p, 0, sizeof *p);
}

void sl_addon_purchases_free(sl_addon_purchase *p, size_t count)
{
    for (size_t i = 0; p && i < count; i++)
        free(p[i].purchase_xid);
    free(p);
}

sl_rc sl__purchase_assigned(sl_store *st, int64_t purchase_id, int64_t *out, sl_error *err)
{
    sqlite3_stmt *s;
    sl_rc rc = sl__stmt(st, "SELECT count(*) FROM seat_assignments WHERE purchase_id = ?1",
                        &s, err);
    *out = 0;
    if (rc != SL_OK)
        return rc;
    sqlite3_bind_int64(s, 1, purchase_id);
    if (sqlite3_step(s) == SQLITE_ROW)
        *out = sqlite3_column_int64(s, 0);
    else
        rc = sl__db_err(st, err, "cannot count seat assignments");
    sqlite3_reset(s);
    return rc;
}

#define PURCHASE_COLUMNS \
    "id, add_on, quantity, started_on, expires_on, purchase_xid, trial, " \
    "(SELECT count(*) FROM seat_assignments a WHERE a.purchase_id = add_on_purchases.id)"

/* The current row of `s` (PURCHASE_COLUMNS) into *out. */
static sl_rc read_row(sl_store *st, sqlite3_stmt *s, int32_t today, sl_addon_purchase *out,
                      sl_error *err)
{
    const char *xid = (const char *)sqlite3_column_text(s, 5);
    memset(out, 0, sizeof *out);
    out->id = sqlite3_column_int64(s, 0);
    if (sl_addon_parse((const char *)sqlite3_column_text(s, 1), &out->add_on, NULL) != SL_OK)
        return sl__err(err, SL_ESTORAGE, "ledger '%s': add-on purchase %lld has an unknown add-on",
                       st->path, (long long)out->id);
    out->quantity = sqlite3_column_int64(s, 2);
    out->started_on = sqlite3_column_int(s, 3);
    out->expires_on = sqlite3_column_int(s, 4);
    out->trial = sqlite3_column_int(s, 6);
    out->assigned = sqlite3_column_int64(s, 7);
    out->active = out->started_on <= today && today < out->expires_on;
    if (xid) {
        out->purchase_xid = sl__strdup(xid);
        if (!out->purchase_xid)
            return sl__err(err, SL_ENOMEM, "out of memory");
    }
    return SL_OK;
}

/* One record by id (id > 0) or by tier; *found 0 when none. */
static sl_rc load(sl_store *st, int64_t id, const char *tier, int32_t today,
                  sl_addon_purchase *out, int *found, sl_error *err)
{
    sqlite3_stmt *s;
    int step;
    sl_rc rc = sl__stmt(st, "SELECT " PURCHASE_COLUMNS " FROM add_on_purchases "
                            "WHERE id = ?1 OR tier = ?2", &s, err);
    memset(out, 0, sizeof *out);
    *found = 0;
    if (rc != SL_OK)
        return rc;
    sqlite3_bind_int64(s, 1, id);
    sl__bind_text(s, 2, tier);
    step = sqlite3_step(s);
    if (step == SQLITE_ROW) {
        *found = 1;
        rc = read_row(st, s, today, out, err);
    } else if (step != SQLITE_DONE) {
        rc = sl__db_err(st, err, "cannot read add-on purchases");
    }
    sqlite3_reset(s);
    if (rc != SL_OK)
        sl_addon_purchase_clear(out);
    return rc;
}

sl_rc sl__purchase_load(sl_store *st, int64_t id, int32_t today, sl_addon_purchase *out,
                        int *found, sl_error *err)
{
    return load(st, id, NULL, today, out, found, err);
}

sl_rc sl_store_addon_purchases(sl_store *st, sl_addon_purchase **out, size_t *count,
                               sl_error *err)
{
    sl_addon_purchase *all = NULL;
    sqlite3_stmt *s;
    size_t n = 0;
    int32_t today;
    int step;
    sl_rc rc = sl__ledger_today(st, &today, err);
    *out = NULL;
    *count = 0;
    if (rc != SL_OK)
        return rc;
    rc = sl__stmt(st, "SELECT " PURCHASE_COLUMNS " FROM add_on_purchases ORDER BY id", &s, err);
    if (rc != SL_OK)
        return rc;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        sl_addon_purchase *grown = realloc(all, (n + 1) * sizeof *all);
        if (!grown) {
            rc = sl__err(err, SL_ENOMEM, "out of memory");
            break;
        }
        all = grown;
        rc = read_row(st, s, today, &all[n], err);
        n++;
        if (rc != SL_OK)
            break;
    }
    if (rc == SL_OK && step != SQLITE_DONE)
        rc = sl__db_err(st, err, "cannot read add-on purchases");
    sqlite3_reset(s);
    if (rc != SL_OK) {
        sl_addon_purchases_free(all, n);
        return rc;
    }
    *out = all;
    *count = n;
    return SL_OK;
}

sl_rc sl_store_addon_purchase_get(sl_store *st, int64_t id, sl_addon_purchase *out,
                                  sl_error *err)
{
    int32_t today;
    int found;
    sl_rc rc = sl__ledger_today(st, &today, err);
    memset(out, 0, sizeof *out);
    if (rc == SL_OK)
        rc = load(st, id > 0 ? id : -1, NULL, today, out, &found, err);
    if (rc == SL_OK && !found)
        rc = sl__err(err, SL_ENOTFOUND, "no add-on purchase with id %lld", (long long)id);
    return rc;
}

sl_rc sl_store_addon_purchase_find(sl_store *st, sl_addon a, sl_addon_purchase *out,
                                   sl_error *err)
{
    int32_t today;
    int found;
    sl_rc rc;
    memset(out, 0, sizeof *out);
    if (!sl_addon_name(a))
        return sl__err(err, SL_EUSAGE, "unknown add-on %d", (int)a);
    rc = sl__ledger_today(st, &today, err);
    if (rc == SL_OK)
        rc = load(st, 0, tier_of(a), today, out, &found, err);
    if (rc == SL_OK && (!found || out->add_on != a)) {
        sl_addon_purchase_clear(out);
        rc = sl__err(err, SL_ENOTFOUND, "no purchase of %s", sl_addon_name(a));
    }
    return rc;
}

/* ---- provisioning ---------------------------------------------------------- */

/* The grant of tier t: for the Duo tier the first add-on of the precedence
 * list that the license has. */
static void tier_grant(const sl_license *lic, int t, int32_t today, sl_addon *a,
                       sl_addon_grant *g)
{
    memset(g, 0, sizeof *g);
    g->started_on = g->expires_on = SL_DATE_NONE;
    *a = t == 0 ? SL_ADDON_DUO_PRO : SL_ADDON_DUO_CORE;
    /* add-ons.md: a legacy (file) license never provisions add-ons */
    if (!lic || !sl_license_get_info(lic)->cloud_licensing_enabled)
        return;
    if (t == 1) {
        sl_license_addon_grant(lic, SL_ADDON_DUO_CORE, today, g);
        return;
    }
    for (size_t i = 0; i < sizeof duo_precedence / sizeof duo_precedence[0]; i++) {
        sl_license_addon_grant(lic, duo_precedence[i], today, g);
        if (g->quantity > 0) {
            *a = duo_precedence[i];
            return;
        }
    }
}

static int same_text(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

sl_rc sl__provision_plan(sl_store *st, const sl_license *lic, int32_t today,
                         sl_provision_step plan[SL_PROVISION_TIERS], sl_error *err)
{
    for (int t = 0; t < SL_PROVISION_TIERS; t++) {
        sl_provision_step *p = &plan[t];
        sl_addon_purchase rec;
        sl_addon_grant g;
        int found;
        sl_rc rc = load(st, 0, tiers[t], today, &rec, &found, err);
        if (rc != SL_OK)
            return rc;
        memset(p, 0, sizeof *p);
        tier_grant(lic, t, today, &p->add_on, &g);
        p->tier = tiers[t];
        p->purchase_id = found ? rec.id : 0;
        p->action = SL_PROVISION_KEEP;
        if (g.quantity > 0) {
            p->quantity = g.quantity;
            p->started_on = g.started_on;
            p->expires_on = g.expires_on;
            p->purchase_xid = g.purchase_xid;
            p->trial = g.trial;
            if (!found)
                p->action = SL_PROVISION_CREATE;
            else if (rec.add_on != p->add_on || rec.quantity != g.quantity ||
                     rec.started_on != g.started_on || rec.expires_on != g.expires_on ||
                     !same_text(rec.purchase_xid, g.purchase_xid) || rec.trial != g.trial)
                p->action = SL_PROVISION_UPDATE;
        } else if (found && rec.expires_on > today) {
            /* still on (or dated ahead): off from today.  A record that is
             * already off keeps its date, so the 14 days before its seats
             * are removed do not start again at every refresh. */
            p->action = SL_PROVISION_EXPIRE;
            p->add_on = rec.add_on;
            p->quantity = rec.quantity;
            p->started_on = rec.started_on;
            p->expires_on = today - 1;
            p->trial = rec.trial;
        }
        sl_addon_purchase_clear(&rec);
    }
    return SL_OK;
}

static sl_rc apply_step(sl_store *st, const sl_provision_step *p, int64_t now_ms, sl_error *err)
{
    char detail[DETAIL_MAX], a[16], b[16];
    const char *action;
    sqlite3_stmt *s;
    sl_rc rc;
    int64_t id = p->purchase_id;
    switch (p->action) {
    case SL_PROVISION_CREATE:
        action = "addon.create";
        rc = sl__stmt(st, "INSERT INTO add_on_purchases(tier, add_on, quantity, started_on, "
                          "expires_on, purchase_xid, trial, created_at, updated_at) "
                          "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?8)", &s, err);
        break;
    case SL_PROVISION_UPDATE:
        action = "addon.update";
        rc = sl__stmt(st, "UPDATE add_on_purchases SET add_on = ?2, quantity = ?3, "
                          "started_on = ?4, expires_on = ?5, purchase_xid = ?6, trial = ?7, "
                          "updated_at = ?8 WHERE tier = ?1", &s, err);
        break;
    case SL_PROVISION_EXPIRE:
        action = "addon.expire";
        rc = sl__stmt(st, "UPDATE add_on_purchases SET started_on = ?4, expires_on = ?5, "
                          "updated_at = ?8 WHERE tier = ?1", &s, err);
        break;
    default:
        return SL_OK;
    }
    if (rc != SL_OK)
        return rc;
    sl__bind_text(s, 1, p->tier);
    sl__bind_text(s, 2, sl_addon_name(p->add_on));
    sqlite3_bind_int64(s, 3, p->quantity);
    sqlite3_bind_int(s, 4, p->started_on);
    sqlite3_bind_int(s, 5, p->expires_on);
    sl__bind_text(s, 6, p->purchase_xid);
    sqlite3_bind_int(s, 7, p->trial != 0);
    sqlite3_bind_int64(s, 8, now_ms);
    if (sqlite3_step(s) != SQLITE_DONE) {
        rc = sl__db_err(st, err, "cannot provision add-on purchases");
        sqlite3_reset(s);
        return rc;
    }
    sqlite3_reset(s);
    if (p->action == SL_PROVISION_CREATE)
        id = sqlite3_last_insert_rowid(st->db);
    snprintf(detail, sizeof detail, "purchase=%lld add_on=%s quantity=%lld started_on=%s "
             "expires_on=%s trial=%s", (long long)id, sl_addon_name(p->add_on),
             (long long)p->quantity, sl_date_format(p->started_on, a, sizeof a),
             sl_date_format(p->expires_on, b, sizeof b), p->trial ? "true" : "false");
    return sl__audit(st, action, 0, "ok", detail, err);
}

sl_rc sl__provision(sl_store *st, int32_t today, int64_t now_ms, sl_error *err)
{
    sl_provision_step plan[SL_PROVISION_TIERS];
    sl_license *lic = NULL;
    sl_rc rc = sl__license_current(st, today, &lic, NULL, err);
    if (rc == SL_OK)
        rc = sl__provision_plan(st, lic, today, plan, err);
    for (int t = 0; rc == SL_OK && t < SL_PROVISION_TIERS; t++)
        rc = apply_step(st, &plan[t], now_ms, err);
    sl_license_free(lic);
    return rc;
}
