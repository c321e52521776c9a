/*
 * notify/events.c - when a notification fires: the conditions `status`
 * reports (ledger/status.c decides them) are observed, compared with what
 * the ledger last saw, and an event is recorded when one got worse.  How an
 * event is worded lives in event_text.c, who is owed it in deliveries.c.
 */
#include "notify/notify_internal.h"

#include <stdlib.h>
#include <string.h>

/* The subjects watched, each with its events by level. */
static const char *const SEAT_EVENTS[SL_NOTIFY_LEVELS] = {
    NULL, "seats.threshold", "seats.reached", "seats.exceeded"};
static const char *const EXPIRY_EVENTS[SL_NOTIFY_LEVELS] = {
    NULL, "license.expiring", "license.expired", NULL};
static const char *const SNAPSHOT_EVENTS[SL_NOTIFY_LEVELS] = {
    NULL, "snapshot.missing", NULL, NULL};
static const char *const ADDON_SEAT_EVENTS[SL_NOTIFY_LEVELS] = {
    NULL, "addon.seats_full", NULL, NULL};
static const char *const ADDON_EXPIRY_EVENTS[SL_NOTIFY_LEVELS] = {
    NULL, "addon.expiring", NULL, NULL};

/* seats, license expiry, snapshot; then two per active add-on purchase */
#define LEDGER_OBSERVATIONS 3

void sl_notify_events_free(sl_notify_event *events, size_t count)
{
    if (!events)
        return;
    for (size_t i = 0; i < count; i++) {
        free(events[i].event);
        free(events[i].document);
        free(events[i].mail_subject);
        free(events[i].mail_text);
        free(events[i].last_error);
    }
    free(events);
}

static void observe_seats(const sl_status *s, sl_notify_observation *o)
{
    snprintf(o->subject, sizeof o->subject, "seats");
    memcpy(o->events, SEAT_EVENTS, sizeof o->events);
    o->level = sl__status_seat_level(s);
    if (s->has_license)
        snprintf(o->scope, sizeof o->scope, "license %lld", (long long)s->license_id);
    if (o->level != SL_SEATS_OK)
        sl__status_seat_sentence(s, o->level, o->message, sizeof o->message);
}

static void observe_expiry(const sl_status *s, sl_notify_observation *o)
{
    char d[16];
    snprintf(o->subject, sizeof o->subject, "license.expiry");
    memcpy(o->events, EXPIRY_EVENTS, sizeof o->events);
    o->level = sl__status_expiry_level(s);
    /* a renewal (a new license, or a new date) starts from nothing to tell */
    if (s->has_license)
        snprintf(o->scope, sizeof o->scope, "license %lld expires %s",
                 (long long)s->license_id, sl_date_format(s->expires_on, d, sizeof d));
    if (o->level != SL_EXPIRY_OK)
        sl__status_expiry_sentence(s, o->message, sizeof o->message);
}

static void observe_snapshot(const sl_status *s, int64_t now, sl_notify_observation *o)
{
    snprintf(o->subject, sizeof o->subject, "snapshot");
    memcpy(o->events, SNAPSHOT_EVENTS, sizeof o->events);
    o->level = sl__status_snapshot_stale(s, now) ? 1 : 0;
    if (o->level)
        sl__status_snapshot_sentence(s, now, o->message, sizeof o->message);
}

/* An add-on purchase's seats (seats != 0) or its end.  A renewal (a new end
 * date), and for the seats more seats bought, start from nothing to tell. */
static void observe_addon(const sl_status_addon *a, int seats, sl_notify_observation *o)
{
    char d[16];
    const char *name = sl_addon_name(a->add_on);
    sl_date_format(a->expires_on, d, sizeof d);
    o->addon = a;
    memcpy(o->events, seats ? ADDON_SEAT_EVENTS : ADDON_EXPIRY_EVENTS, sizeof o->events);
    snprintf(o->subject, sizeof o->subject, "addon.%s:%s", seats ? "seats" : "expiry", name);
    if (seats)
        snprintf(o->scope, sizeof o->scope, "%s seats %lld until %s", name,
                 (long long)a->quantity, d);
    else
        snprintf(o->scope, sizeof o->scope, "%s until %s", name, d);
    o->level = (seats ? sl__status_addon_full(a) : sl__status_addon_expiring(a)) ? 1 : 0;
    if (o->level && seats)
        sl__status_addon_full_sentence(a, o->message, sizeof o->message);
    else if (o->level)
        sl__status_addon_expiry_sentence(a, o->message, sizeof o->message);
}

/* The level the ledger last saw for o's subject within o's scope (0 when
 * never seen or seen in another scope); writes o as the new state. */
static sl_rc swap_state(sl_store *st, const sl_notify_observation *o, int64_t now,
                        int *prev, sl_error *err)
{
    sqlite3_stmt *s;
    int step;
    sl_rc rc = sl__stmt(st, "SELECT state, level FROM notify_state WHERE subject = ?", &s, err);
    *prev = 0;
    if (rc != SL_OK)
        return rc;
    sl__bind_text(s, 1, o->subject);
    step = sqlite3_step(s);
    if (step == SQLITE_ROW) {
        const char *scope = (const char *)sqlite3_column_text(s, 0);
        if (scope && strcmp(scope, o->scope) == 0)
            *prev = sqlite3_column_int(s, 1);
    } else if (step != SQLITE_DONE) {
        rc = sl__db_err(st, err, "cannot read the notification state");
    }
    sqlite3_reset(s);
    if (rc != SL_OK)
        return rc;
    rc = sl__stmt(st,
        "INSERT INTO notify_state(subject, state, level, changed_at) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT(subject) DO UPDATE SET state = ?2, level = ?3, changed_at = ?4 "
        "WHERE state IS NOT ?2 OR level IS NOT ?3", &s, err);
    if (rc != SL_OK)
        return rc;
    sl__bind_text(s, 1, o->subject);
    sl__bind_text(s, 2, o->scope);
    sqlite3_bind_int(s, 3, o->level);
    sqlite3_bind_int64(s, 4, now);
    if (sqlite3_step(s) != SQLITE_DONE)
        rc = sl__db_err(st, err, "cannot write the notification state");
    sqlite3_reset(s);
    return rc;
}

/* Record one event: the row first (its id goes into the document), then
 * the words, then the audit line. */
static sl_rc record_event(sl_store *st, const sl_status *status, const sl_notify_observation *o,
                          int64_t now, sl_notify_event *ev, sl_error *err)
{
    sqlite3_stmt *s;
    sl_rc rc;
    memset(ev, 0, sizeof *ev);
    ev->event = sl__strdup(o->events[o->level]);
    ev->fired_at_ms = now;
    if (!ev->event)
        return sl__err(err, SL_ENOMEM, "out of memory");
    rc = sl__stmt(st,
        "INSERT INTO notify_events(event, subject, state, level, fired_at, document, "
        "mail_subject, mail_text) VALUES (?, ?, ?, ?, ?, '', '', '')", &s, err);
    if (rc != SL_OK)
        return rc;
    sl__bind_text(s, 1, ev->event);
    sl__bind_text(s, 2, o->subject);
    sl__bind_text(s, 3, o->scope);
    sqlite3_bind_int(s, 4, o->level);
    sqlite3_bind_int64(s, 5, now);
    if (sqlite3_step(s) != SQLITE_DONE)
        rc = sl__db_err(st, err, "cannot record the event");
    sqlite3_reset(s);
    if (rc != SL_OK)
        return rc;
    ev->id = sqlite3_last_insert_rowid(st->db);
    rc = sl__notify_compose(status, o, ev, err);
    if (rc != SL_OK)
        return rc;
    rc = sl__stmt(st,
        "UPDATE notify_events SET document = ?, mail_subject = ?, mail_text = ? WHERE id = ?",
        &s, err);
    if (rc != SL_OK)
        return rc;
    sl__bind_text(s, 1, ev->document);
    sl__bind_text(s, 2, ev->mail_subject);
    sl__bind_text(s, 3, ev->mail_text);
    sqlite3_bind_int64(s, 4, ev->id);
    if (sqlite3_step(s) != SQLITE_DONE)
        rc = sl__db_err(st, err, "cannot record the event");
    sqlite3_reset(s);
    if (rc != SL_OK)
        return rc;
    return sl__audit(st, "notify.event", status->has_license ? status->license_id : 0, "ok",
                     ev->event, err);
}

static sl_rc check_targets(const char *const *targets, size_t n, sl_error *err)
{
    if (n > SL_NOTIFY_TARGETS_MAX)
        return sl__err(err, SL_EINVAL, "too many notification targets: %zu (at most %d)", n,
                       SL_NOTIFY_TARGETS_MAX);
    for (size_t i = 0; i < n; i++) {
        const char *t = targets[i];
        size_t len = t ? strlen(t) : 0;
        if (len == 0)
            return sl__err(err, SL_EINVAL, "empty notification target");
        if (len > SL_NOTIFY_TARGET_MAX)
            return sl__err(err, SL_ETOOBIG, "notification target '%.40s...' is too long", t);
        for (size_t k = 0; k < len; k++)
            if ((unsigned char)t[k] < 0x20 || t[k] == 0x7f)
                return sl__err(err, SL_EINVAL,
                               "notification target '%.40s' has a control character", t);
    }
    return SL_OK;
}

/* A target named for the first time is owed what fires from now on, and
 * the events of the conditions still in force (so an admin who adds --mail
 * hears of the license that is already expiring). */
static sl_rc register_target(sl_store *st, const char *target, int64_t now, sl_error *err)
{
    sqlite3_stmt *s;
    int added;
    sl_rc rc = sl__stmt(st,
        "INSERT INTO notify_targets(target, after_event, first_used_at) VALUES "
        "(?, (SELECT COALESCE(MAX(id), 0) FROM notify_events), ?) "
        "ON CONFLICT(target) DO NOTHING", &s, err);
    if (rc != SL_OK)
        return rc;
    sl__bind_text(s, 1, target);
    sqlite3_bind_int64(s, 2, now);
    if (sqlite3_step(s) != SQLITE_DONE)
        rc = sl__db_err(st, err, "cannot register the notification target");
    added = rc == SL_OK && sqlite3_changes(st->db) > 0;
    sqlite3_reset(s);
    if (rc != SL_OK || !added)
        return rc;
    rc = sl__stmt(st,
        "INSERT INTO notify_deliveries(event_id, target) "
        "SELECT MAX(e.id), ? FROM notify_events e JOIN notify_state n "
        "ON n.subject = e.subject AND n.state = e.state AND n.level = e.level "
        "WHERE n.level > 0 GROUP BY e.subject", &s, err);
    if (rc != SL_OK)
        return rc;
    sl__bind_text(s, 1, target);
    if (sqlite3_step(s) != SQLITE_DONE)
        rc = sl__db_err(st, err, "cannot register the notification target");
    sqlite3_reset(s);
    return rc;
}

sl_rc sl_store_notify_check(sl_store *st, const char *const *targets, size_t ntargets,
                            sl_notify_event **out, size_t *count, sl_error *err)
{
    sl_notify_observation *obs = NULL;
    sl_notify_event *fired = NULL;
    sl_status status;
    size_t nobs = 0, nfired = 0;
    int64_t now = 0;
    sl_rc rc;

    *out = NULL;
    *count = 0;
    memset(&status, 0, sizeof status);
    rc = check_targets(targets, ntargets, err);
    if (rc != SL_OK)
        return rc;
    rc = sl__begin(st, err);
    if (rc != SL_OK)
        return rc;
    /* everything below sees the ledger as this transaction holds it; the
     * check is an event (its audit lines), at one clock-checked time */
    rc = sl__event_begin(st, 0, err);
    now = sl__event_at(st);
    for (size_t i = 0; rc == SL_OK && i < ntargets; i++)
        rc = register_target(st, targets[i], now, err);
    if (rc == SL_OK)
        rc = sl_store_status(st, &status, err);
    if (rc != SL_OK)
        goto done;
    obs = calloc(LEDGER_OBSERVATIONS + 2 * status.addon_count, sizeof *obs);
    fired = calloc(LEDGER_OBSERVATIONS + 2 * status.addon_count, sizeof *fired);
    if (!obs || !fired) {
        rc = sl__err(err, SL_ENOMEM, "out of memory");
        goto done;
    }
    observe_seats(&status, &obs[nobs++]);
    observe_expiry(&status, &obs[nobs++]);
    observe_snapshot(&status, now, &obs[nobs++]);
    for (size_t i = 0; i < status.addon_count; i++) {
        observe_addon(&status.addons[i], 1, &obs[nobs++]);
        observe_addon(&status.addons[i], 0, &obs[nobs++]);
    }
    for (size_t i = 0; i < nobs; i++) {
        int prev = 0;
        rc = swap_state(st, &obs[i], now, &prev, err);
        if (rc != SL_OK)
            goto done;
        if (obs[i].level <= prev || !obs[i].events[obs[i].level])
            continue;
        /* counted before it is filled: a half-made event is freed below */
        rc = record_event(st, &status, &obs[i], now, &fired[nfired++], err);
        if (rc != SL_OK)
            goto done;
    }
    rc = sl__commit(st, err);
done:
    free(obs);
    sl_status_free(&status);
    if (rc != SL_OK) {
        sl__rollback(st);
        sl_notify_events_free(fired, nfired);
        return rc;
    }
    if (nfired == 0) {
        free(fired);
        fired = NULL;
    }
    *out = fired;
    *count = nfired;
    return SL_OK;
}
