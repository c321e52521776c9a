/*
 * seats/entitlement.c - what the Code Suggestions endpoints ask of the
 * seats (code-suggestions.md): does a user hold a seat of an active
 * seat-assignable purchase, and recording the user's last Duo activity,
 * which the overage clean-up reads.
 */
#include "seats/seats_internal.h"

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
