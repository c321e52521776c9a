/*
 * seats/history.c - the append-only seat history (add-ons.md, beyond
 * GitLab): one row for every assignment, unassignment and removal, with who
 * did it and why, so "who held a Duo seat on day D" is answered from the
 * ledger alone.  The table refuses updates and deletes
 * (schema/007_add_ons.sql).
 */
#include "seats/seats_internal.h"

sl_rc sl__seat_history_append(sl_store *st, int64_t at_ms, const char *add_on,
                              int64_t purchase_id, const char *user_id, const char *username,
                              const char *event, const char *reason, const char *actor,
                              sl_error *err)
{
    const sl__value v[] = {SL__ID, SL__INT(at_ms), SL__TEXT(add_on), SL__INT(purchase_id),
                           SL__TEXT(user_id), SL__TEXT(username), SL__TEXT(event),
                           SL__TEXT(reason), SL__TEXT(actor)};
    return sl__event_append(st,
        "INSERT INTO seat_history(id, at, add_on, purchase_id, user_id, username, event, "
        "reason, actor) VALUES (?,?,?,?,?,?,?,?,?)", v, 9, "cannot write the seat history",
        NULL, err);
}

sl_rc sl_store_seat_history(sl_store *st, const char *add_on, int64_t from_ms, int64_t to_ms,
                            int (*fn)(void *ud, const sl_seat_event *e), void *ud,
                            sl_error *err)
{
    sqlite3_stmt *s;
    int step;
    sl_rc rc = sl__stmt(st,
        "SELECT at, add_on, purchase_id, user_id, username, event, reason, actor "
        "FROM seat_history WHERE at BETWEEN ?1 AND ?2 AND (?3 IS NULL OR add_on = ?3) "
        "ORDER BY at, id", &s, err);
    if (rc != SL_OK)
        return rc;
    sqlite3_bind_int64(s, 1, from_ms);
    sqlite3_bind_int64(s, 2, to_ms);
    sl__bind_text(s, 3, add_on);
    for (;;) {
        sl_seat_event e;
        step = sqlite3_step(s);
        if (step != SQLITE_ROW)
            break;
        e = (sl_seat_event){
            .at_ms = sqlite3_column_int64(s, 0),
            .add_on = (const char *)sqlite3_column_text(s, 1),
            .purchase_id = sqlite3_column_int64(s, 2),
            .user_id = (const char *)sqlite3_column_text(s, 3),
            .username = (const char *)sqlite3_column_text(s, 4),
            .event = (const char *)sqlite3_column_text(s, 5),
            .reason = (const char *)sqlite3_column_text(s, 6),
            .actor = (const char *)sqlite3_column_text(s, 7),
        };
        if (fn(ud, &e) != 0) {
            step = SQLITE_DONE;
            break;
        }
    }
    if (step != SQLITE_DONE)
        rc = sl__db_err(st, err, "cannot read the seat history");
    sqlite3_reset(s);
    return rc;
}
