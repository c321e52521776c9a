/*
 * notify/deliveries.c - who is owed which event and what came of sending
 * it: a target is owed every event fired after a check first named it; a
 * claim holds owed events for one run, the outcome marks them delivered or
 * leaves them owed (with the reason) for the next run.  Sending is the
 * caller's: the engine never runs a command.
 */
#include "notify/notify_internal.h"

#include <stdlib.h>
#include <string.h>

/* events owed to ?1: fired after the target was registered (or in force
 * then: a delivery row says so), not delivered, not held past ?2 by
 * another run */
#define OWED_WHERE                                                                         \
    "FROM notify_events e JOIN notify_targets t ON t.target = ?1 "                         \
    "LEFT JOIN notify_deliveries d ON d.event_id = e.id AND d.target = ?1 "                \
    "WHERE (e.id > t.after_event OR d.event_id IS NOT NULL) AND d.delivered_at IS NULL "   \
    "AND (d.held_until IS NULL OR d.held_until <= ?2) "

static sl_rc target_known(sl_store *st, const char *target, int *known, sl_error *err)
{
    sqlite3_stmt *s;
    int step;
    sl_rc rc = sl__stmt(st, "SELECT 1 FROM notify_targets WHERE target = ?", &s, err);
    *known = 0;
    if (rc != SL_OK)
        return rc;
    sl__bind_text(s, 1, target);
    step = sqlite3_step(s);
    if (step == SQLITE_ROW)
        *known = 1;
    else if (step != SQLITE_DONE)
        rc = sl__db_err(st, err, "cannot read the notification targets");
    sqlite3_reset(s);
    return rc;
}

static char *column_dup(sqlite3_stmt *s, int col)
{
    const unsigned char *t = sqlite3_column_text(s, col);
    return t ? sl__strdup((const char *)t) : NULL;
}

/* Read the owed events (at most SL_NOTIFY_BATCH_MAX) into *out. */
static sl_rc read_owed(sl_store *st, const char *target, int64_t now, sl_notify_event **out,
                       size_t *count, sl_error *err)
{
    sqlite3_stmt *s;
    sl_notify_event *ev;
    size_t n = 0;
    int step;
    sl_rc rc = sl__stmt(st,
        "SELECT e.id, e.event, e.fired_at, e.document, e.mail_subject, e.mail_text, "
        "COALESCE(d.attempts, 0), d.last_error " OWED_WHERE "ORDER BY e.id LIMIT ?3", &s, err);
    if (rc != SL_OK)
        return rc;
    ev = calloc(SL_NOTIFY_BATCH_MAX, sizeof *ev);
    if (!ev) {
        sqlite3_reset(s);
        return sl__err(err, SL_ENOMEM, "out of memory");
    }
    sl__bind_text(s, 1, target);
    sqlite3_bind_int64(s, 2, now);
    sqlite3_bind_int(s, 3, SL_NOTIFY_BATCH_MAX);
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        sl_notify_event *e = &ev[n++];
        e->id = sqlite3_column_int64(s, 0);
        e->event = column_dup(s, 1);
        e->fired_at_ms = sqlite3_column_int64(s, 2);
        e->document = column_dup(s, 3);
        e->mail_subject = column_dup(s, 4);
        e->mail_text = column_dup(s, 5);
        e->attempt = sqlite3_column_int(s, 6) + 1;
        e->last_error = column_dup(s, 7);
        if (!e->event || !e->document || !e->mail_subject || !e->mail_text ||
            (!e->last_error && sqlite3_column_type(s, 7) != SQLITE_NULL)) {
            rc = sl__err(err, SL_ENOMEM, "out of memory");
            break;
        }
    }
    if (rc == SL_OK && step != SQLITE_DONE)
        rc = sl__db_err(st, err, "cannot read the owed events");
    sqlite3_reset(s);
    if (rc != SL_OK) {
        sl_notify_events_free(ev, n);
        return rc;
    }
    *out = ev;
    *count = n;
    return SL_OK;
}

static sl_rc hold(sl_store *st, const char *target, const sl_notify_event *e, int64_t now,
                  int64_t until, sl_error *err)
{
    sqlite3_stmt *s;
    sl_rc rc = sl__stmt(st,
        "INSERT INTO notify_deliveries(event_id, target, attempts, held_until, last_attempt_at) "
        "VALUES (?1, ?2, 1, ?3, ?4) ON CONFLICT(event_id, target) DO UPDATE SET "
        "attempts = attempts + 1, held_until = ?3, last_attempt_at = ?4", &s, err);
    if (rc != SL_OK)
        return rc;
    sqlite3_bind_int64(s, 1, e->id);
    sl__bind_text(s, 2, target);
    sqlite3_bind_int64(s, 3, until);
    sqlite3_bind_int64(s, 4, now);
    if (sqlite3_step(s) != SQLITE_DONE)
        rc = sl__db_err(st, err, "cannot hold the event");
    sqlite3_reset(s);
    return rc;
}

sl_rc sl_store_notify_claim(sl_store *st, const char *target, int64_t hold_ms,
                            sl_notify_event **out, size_t *count, sl_error *err)
{
    sl_notify_event *ev = NULL;
    size_t n = 0;
    int known = 0;
    int64_t now = sl_clock_now_ms();
    sl_rc rc;
    *out = NULL;
    *count = 0;
    rc = sl__begin(st, err);
    if (rc != SL_OK)
        return rc;
    rc = target_known(st, target, &known, err);
    if (rc == SL_OK && !known)
        rc = sl__err(err, SL_ENOTFOUND, "notification target '%s' was never checked", target);
    if (rc == SL_OK)
        rc = read_owed(st, target, now, &ev, &n, err);
    for (size_t i = 0; rc == SL_OK && i < n; i++)
        rc = hold(st, target, &ev[i], now, now + (hold_ms > 0 ? hold_ms : 0), err);
    if (rc == SL_OK)
        rc = sl__commit(st, err);
    if (rc != SL_OK) {
        sl__rollback(st);
        sl_notify_events_free(ev, n);
        return rc;
    }
    if (n == 0) {
        free(ev);
        ev = NULL;
    }
    *out = ev;
    *count = n;
    return SL_OK;
}

sl_rc sl_store_notify_done(sl_store *st, int64_t event_id, const char *target,
                           const char *error, sl_error *err)
{
    sqlite3_stmt *s;
    sl_rc rc = sl__stmt(st,
        "UPDATE notify_deliveries SET held_until = 0, "
        "delivered_at = CASE WHEN ?3 IS NULL THEN ?4 END, "
        "last_error = COALESCE(?3, last_error) WHERE event_id = ?1 AND target = ?2", &s, err);
    if (rc != SL_OK)
        return rc;
    sqlite3_bind_int64(s, 1, event_id);
    sl__bind_text(s, 2, target);
    sl__bind_text(s, 3, error);
    sqlite3_bind_int64(s, 4, sl_clock_now_ms());
    if (sqlite3_step(s) != SQLITE_DONE)
        rc = sl__db_err(st, err, "cannot record the delivery");
    else if (sqlite3_changes(st->db) == 0)
        rc = sl__err(err, SL_ENOTFOUND, "event %lld was not claimed for '%s'",
                     (long long)event_id, target);
    sqlite3_reset(s);
    return rc;
}

sl_rc sl_store_notify_owed(sl_store *st, const char *target, int64_t *out, sl_error *err)
{
    sqlite3_stmt *s;
    sl_rc rc = sl__stmt(st, "SELECT COUNT(*) " OWED_WHERE, &s, err);
    *out = 0;
    if (rc != SL_OK)
        return rc;
    sl__bind_text(s, 1, target);
    /* held or not: a held event is owed until its outcome is known */
    sqlite3_bind_int64(s, 2, INT64_MAX);
    if (sqlite3_step(s) == SQLITE_ROW)
        *out = sqlite3_column_int64(s, 0);
    else
        rc = sl__db_err(st, err, "cannot count the owed events");
    sqlite3_reset(s);
    return rc;
}
