/*
 * seats/entitlement.c - what the Code Suggestions endpoints ask of the
 * seats (code-suggestions.md): may a user use Code Suggestions and through
 * which add-on (the spec's order: the instance setting, the directory and
 * eligibility, a seat, Amazon Q, Duo Core), and recording the user's last
 * Duo activity, which the overage clean-up reads.
 */
#include "ledger/billable.h"
#include "seats/seats_internal.h"

#include <string.h>

static const char *const reason_names[SL_ENT_REASON_COUNT] = {
    [SL_ENT_INSTANCE_OFF] = "instance_off",
    [SL_ENT_NO_USER] = "no_user",
    [SL_ENT_NOT_IN_DIRECTORY] = "not_in_directory",
    [SL_ENT_NOT_ELIGIBLE] = "not_eligible",
    [SL_ENT_SEAT] = "seat",
    [SL_ENT_AMAZON_Q] = "amazon_q",
    [SL_ENT_DUO_CORE] = "duo_core",
    [SL_ENT_DUO_CORE_OFF] = "duo_core_off",
    [SL_ENT_NONE] = "none",
};

const char *sl_entitlement_reason_name(sl_entitlement_reason r)
{
    return (int)r >= 0 && r < SL_ENT_REASON_COUNT ? reason_names[r] : NULL;
}

sl_rc sl_store_seat_entitlement(sl_store *st, const char *user_id, sl_addon *out,
                                sl_error *err)
{
    sqlite3_stmt *s;
    int32_t today;
    int step;
    sl_rc rc = sl__ledger_today(st, &today, err);
    if (rc != SL_OK)
        return rc;
    rc = sl__stmt(st, "SELECT p.add_on FROM seat_assignments a "
                      "JOIN add_on_purchases p ON p.id = a.purchase_id "
                      "WHERE a.user_id = ?1 AND p.add_on IN ('duo_pro', 'duo_enterprise') "
                      "AND p.started_on <= ?2 AND ?2 < p.expires_on ORDER BY p.id LIMIT 1",
                  &s, err);
    if (rc != SL_OK)
        return rc;
    sl__bind_text(s, 1, user_id);
    sqlite3_bind_int(s, 2, today);
    step = sqlite3_step(s);
    if (step == SQLITE_ROW)
        rc = sl_addon_parse((const char *)sqlite3_column_text(s, 0), out, err);
    else if (step == SQLITE_DONE)
        rc = sl__err(err, SL_ENOTFOUND, "user '%.64s' holds no Duo seat", user_id);
    else
        rc = sl__db_err(st, err, "cannot read seat assignments");
    sqlite3_reset(s);
    return rc;
}

sl_rc sl_store_user_duo_activity(sl_store *st, const char *user_id, int *out_written,
                                 sl_error *err)
{
    sqlite3_stmt *s;
    int32_t today;
    int step;
    sl_rc rc;
    if (out_written)
        *out_written = 0;
    rc = sl__ledger_today(st, &today, err);
    if (rc != SL_OK)
        return rc;
    /* the one write a day: only when the stored date is older */
    rc = sl__stmt(st, "UPDATE users SET last_duo_activity_on = ?2 WHERE id = ?1 "
                      "AND (last_duo_activity_on IS NULL OR last_duo_activity_on < ?2)", &s, err);
    if (rc != SL_OK)
        return rc;
    sl__bind_text(s, 1, user_id);
    sqlite3_bind_int(s, 2, today);
    step = sqlite3_step(s);
    sqlite3_reset(s);
    if (step != SQLITE_DONE)
        return sl__db_err(st, err, "cannot record Duo activity");
    if (sqlite3_changes(st->db) > 0) {
        st->commits++;   /* an autocommit write: the read cache must see it */
        if (out_written)
            *out_written = 1;
        return SL_OK;
    }
    rc = sl__stmt(st, "SELECT 1 FROM users WHERE id = ?1", &s, err);
    if (rc != SL_OK)
        return rc;
    sl__bind_text(s, 1, user_id);
    step = sqlite3_step(s);
    sqlite3_reset(s);
    if (step == SQLITE_DONE)
        return sl__err(err, SL_ENOTFOUND, "no user with id '%.64s'", user_id);
    return step == SQLITE_ROW ? SL_OK : sl__db_err(st, err, "cannot read the user directory");
}

/* Which of the add-ons that need no seat (duo_amazon_q, duo_core) have an
 * active purchase today. */
static sl_rc seatless_active(sl_store *st, int *amazon_q, int *core, sl_error *err)
{
    sqlite3_stmt *s;
    int32_t today;
    int step;
    sl_rc rc = sl__ledger_today(st, &today, err);
    *amazon_q = *core = 0;
    if (rc != SL_OK)
        return rc;
    rc = sl__stmt(st, "SELECT add_on FROM add_on_purchases "
                      "WHERE add_on IN ('duo_amazon_q', 'duo_core') "
                      "AND started_on <= ?1 AND ?1 < expires_on", &s, err);
    if (rc != SL_OK)
        return rc;
    sqlite3_bind_int(s, 1, today);
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        const char *a = (const char *)sqlite3_column_text(s, 0);
        if (a && strcmp(a, "duo_amazon_q") == 0)
            *amazon_q = 1;
        else
            *core = 1;
    }
    if (step != SQLITE_DONE)
        rc = sl__db_err(st, err, "cannot read add-on purchases");
    sqlite3_reset(s);
    return rc;
}

static void verdict(sl_entitlement *out, int allowed, sl_entitlement_reason why, sl_addon a,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void verdict(sl_entitlement *out, int allowed, sl_entitlement_reason why, sl_addon a,
                    const char *fmt, ...)
{
    va_list ap;
    out->allowed = allowed;
    out->reason = why;
    out->add_on = a;
    out->enablement_type = allowed ? sl_addon_name(a) : "";
    va_start(ap, fmt);
    vsnprintf(out->detail, sizeof out->detail, fmt, ap);
    va_end(ap);
}

/* The verdict itself, read from the ledger. */
static sl_rc decide(sl_store *st, const char *user_id, sl_entitlement *out, sl_error *err)
{
    sl_seat_subject who;
    sl_addon seat;
    sl_error miss = {0};
    int on, locked, amazon_q, core, core_on;
    sl_rc rc;
    memset(out, 0, sizeof *out);
    out->enablement_type = "";
    rc = sl__setting_get(st, SL_SETTING_DUO_FEATURES_ENABLED, &on, &locked, err);
    if (rc != SL_OK)
        return rc;
    if (!on) {
        verdict(out, 0, SL_ENT_INSTANCE_OFF, SL_ADDON_DUO_PRO,
                "duo_features_enabled is off for the instance");
        return SL_OK;
    }
    if (!user_id) {
        verdict(out, 0, SL_ENT_NO_USER, SL_ADDON_DUO_PRO,
                "no acting user (an admin token acts for a user only with sudo)");
        return SL_OK;
    }
    rc = sl__seat_subject(st, user_id, &who, err);
    if (rc != SL_OK)
        return rc;
    if (!who.found) {
        verdict(out, 0, SL_ENT_NOT_IN_DIRECTORY, SL_ADDON_DUO_PRO,
                "user id '%.64s' is not in the directory", user_id);
        return SL_OK;
    }
    if (!who.eligible) {
        verdict(out, 0, SL_ENT_NOT_ELIGIBLE, SL_ADDON_DUO_PRO,
                "not eligible for Duo: state '%s', user_type '%s'",
                sl__state_name(who.state) ? sl__state_name(who.state) : "?",
                sl__user_type_name(who.user_type) ? sl__user_type_name(who.user_type) : "?");
        return SL_OK;
    }
    rc = sl_store_seat_entitlement(st, user_id, &seat, &miss);
    if (rc == SL_OK) {
        verdict(out, 1, SL_ENT_SEAT, seat, "holds a seat of an active %s purchase",
                sl_addon_name(seat));
        return SL_OK;
    }
    if (rc != SL_ENOTFOUND) {
        if (err)
            *err = miss;
        return rc;
    }
    rc = seatless_active(st, &amazon_q, &core, err);
    if (rc != SL_OK)
        return rc;
    if (amazon_q) {
        verdict(out, 1, SL_ENT_AMAZON_Q, SL_ADDON_DUO_AMAZON_Q,
                "an active duo_amazon_q purchase covers every eligible user");
        return SL_OK;
    }
    if (core) {
        rc = sl__setting_get(st, SL_SETTING_DUO_CORE_FEATURES_ENABLED, &core_on, &locked, err);
        if (rc != SL_OK)
            return rc;
        if (core_on)
            verdict(out, 1, SL_ENT_DUO_CORE, SL_ADDON_DUO_CORE,
                    "an active duo_core purchase covers every eligible user");
        else
            verdict(out, 0, SL_ENT_DUO_CORE_OFF, SL_ADDON_DUO_CORE,
                    "duo_core is active but duo_core_features_enabled is off");
        return SL_OK;
    }
    verdict(out, 0, SL_ENT_NONE, SL_ADDON_DUO_PRO,
            "no seat of an active duo_pro or duo_enterprise purchase, and no active "
            "duo_amazon_q or duo_core purchase");
    return SL_OK;
}

/* Every completion of every developer asks: the verdict is kept in the
 * connection's read cache, which any commit (ours or another process's) or a
 * new day empties, so it is never older than the ledger. */
sl_rc sl_store_code_suggestions_entitlement(sl_store *st, const char *user_id,
                                            sl_entitlement *out, sl_error *err)
{
    int32_t today;
    int slot = user_id ? sl__cache_slot(user_id) : -1;
    sl_rc rc = sl__ledger_today(st, &today, err);   /* validates the cache */
    if (rc != SL_OK)
        return rc;
    if (slot >= 0 && strcmp(st->cache.ent[slot].user_id, user_id) == 0) {
        *out = st->cache.ent[slot].e;
        return SL_OK;
    }
    rc = decide(st, user_id, out, err);
    if (rc == SL_OK && slot >= 0 && st->cache.valid) {
        st->cache.ent[slot].e = *out;
        snprintf(st->cache.ent[slot].user_id, sizeof st->cache.ent[slot].user_id, "%s", user_id);
    }
    return rc;
}
