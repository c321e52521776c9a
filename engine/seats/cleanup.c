/*
 * seats/cleanup.c - the seat clean-up that every refresh runs
 * (add-ons.md), in the spec's order: users who are no longer eligible lose
 * their seat; then a purchase with more assignments than seats loses the
 * surplus (never-used users, most recently assigned first, then users by
 * least recent Duo use); then the assignments of a purchase that expired
 * more than EXPIRED_GRACE_DAYS days ago.  Each removal is a seat history row
 * with its reason and the actor "system".
 */
#include "seats/seats_internal.h"

#include <stdlib.h>
#include <string.h>

/* add-ons.md: seats survive an expiry this many days, so that a renewal
 * brings them back without reassignment */
#define EXPIRED_GRACE_DAYS 14
#define ACTOR "system"

typedef struct victim {
    int64_t assignment_id;
    int64_t purchase_id;
    char *add_on;
    char *user_id;
    char *username;
} victim;

typedef struct victims {
    victim *v;
    size_t n;
} victims;

static void victims_free(victims *vs)
{
    for (size_t i = 0; i < vs->n; i++) {
        free(vs->v[i].add_on);
        free(vs->v[i].user_id);
        free(vs->v[i].username);
    }
    free(vs->v);
    memset(vs, 0, sizeof *vs);
}

/* Collect the rows of `s` (assignment id, purchase id, add-on, user id,
 * username), then reset it: the removals run their own statements. */
static sl_rc collect(sl_store *st, sqlite3_stmt *s, victims *vs, sl_error *err)
{
    int step;
    sl_rc rc = SL_OK;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        victim *grown = realloc(vs->v, (vs->n + 1) * sizeof *grown), *v;
        if (!grown) {
            rc = sl__err(err, SL_ENOMEM, "out of memory");
            break;
        }
        vs->v = grown;
        v = &vs->v[vs->n++];
        v->assignment_id = sqlite3_column_int64(s, 0);
        v->purchase_id = sqlite3_column_int64(s, 1);
        v->add_on = sl__strdup((const char *)sqlite3_column_text(s, 2));
        v->user_id = sl__strdup((const char *)sqlite3_column_text(s, 3));
        v->username = sl__strdup((const char *)sqlite3_column_text(s, 4));
        if (!v->add_on || !v->user_id || !v->username) {
            rc = sl__err(err, SL_ENOMEM, "out of memory");
            break;
        }
    }
    if (rc == SL_OK && step != SQLITE_DONE)
        rc = sl__db_err(st, err, "cannot read seat assignments");
    sqlite3_reset(s);
    return rc;
}

typedef struct sweep {
    sl_store *st;
    int64_t now;
    void (*each)(void *ud, const sl_seat_removal *r);
    void *ud;
    int64_t removed[3];
    sl_error *err;
} sweep;

static sl_rc remove_all(sweep *w, victims *vs, int reason, const char *why)
{
    sqlite3_stmt *s;
    sl_rc rc = SL_OK;
    for (size_t i = 0; i < vs->n && rc == SL_OK; i++) {
        const victim *v = &vs->v[i];
        rc = sl__stmt(w->st, "DELETE FROM seat_assignments WHERE id = ?1", &s, w->err);
        if (rc != SL_OK)
            break;
        sqlite3_bind_int64(s, 1, v->assignment_id);
        if (sqlite3_step(s) != SQLITE_DONE)
            rc = sl__db_err(w->st, w->err, "cannot remove a seat");
        sqlite3_reset(s);
        if (rc == SL_OK)
            rc = sl__seat_history_append(w->st, w->now, v->add_on, v->purchase_id, v->user_id,
                                         v->username, "removed", why, ACTOR, w->err);
        if (rc == SL_OK && w->each) {
            sl_seat_removal r = {v->purchase_id, v->add_on, v->user_id, v->username, why};
            w->each(w->ud, &r);
        }
        w->removed[reason]++;
    }
    return rc;
}

/* The columns `collect` reads; the username is the directory's when the
 * user is still there, else the one kept with the assignment. */
#define VICTIM_COLUMNS \
    "a.id, a.purchase_id, p.add_on, a.user_id, coalesce(u.username, a.username)"

/* 1. users not in the directory or no longer eligible (billing_key < 64 is
 * seats/eligibility.c's rule on the packed key) */
static sl_rc ineligible(sweep *w)
{
    victims vs = {0};
    sqlite3_stmt *s;
    sl_rc rc = sl__stmt(w->st, "SELECT " VICTIM_COLUMNS " FROM seat_assignments a "
                               "JOIN add_on_purchases p ON p.id = a.purchase_id "
                               "LEFT JOIN users u ON u.id = a.user_id "
                               "WHERE u.id IS NULL OR u.billing_key >= 64 ORDER BY a.id",
                        &s, w->err);
    if (rc == SL_OK)
        rc = collect(w->st, s, &vs, w->err);
    if (rc == SL_OK)
        rc = remove_all(w, &vs, 0, "ineligible");
    victims_free(&vs);
    return rc;
}

/* 2. more assignments than seats: the surplus, in the spec's order */
static sl_rc overage(sweep *w)
{
    sqlite3_stmt *s;
    int64_t ids[SL_PROVISION_TIERS * 4], surplus[SL_PROVISION_TIERS * 4];
    size_t n = 0;
    int step;
    sl_rc rc = sl__stmt(w->st, "SELECT p.id, count(a.id) - p.quantity FROM add_on_purchases p "
                               "JOIN seat_assignments a ON a.purchase_id = p.id "
                               "GROUP BY p.id HAVING count(a.id) > p.quantity ORDER BY p.id",
                        &s, w->err);
    if (rc != SL_OK)
        return rc;
    while (n < sizeof ids / sizeof ids[0] && (step = sqlite3_step(s)) == SQLITE_ROW) {
        ids[n] = sqlite3_column_int64(s, 0);
        surplus[n++] = sqlite3_column_int64(s, 1);
    }
    sqlite3_reset(s);
    for (size_t i = 0; i < n && rc == SL_OK; i++) {
        victims vs = {0};
        rc = sl__stmt(w->st, "SELECT " VICTIM_COLUMNS " FROM seat_assignments a "
                             "JOIN add_on_purchases p ON p.id = a.purchase_id "
                             "LEFT JOIN users u ON u.id = a.user_id WHERE a.purchase_id = ?1 "
                             "ORDER BY u.last_duo_activity_on IS NOT NULL, "
                             "u.last_duo_activity_on, a.assigned_at DESC, a.id DESC LIMIT ?2",
                      &s, w->err);
        if (rc != SL_OK)
            break;
        sqlite3_bind_int64(s, 1, ids[i]);
        sqlite3_bind_int64(s, 2, surplus[i]);
        rc = collect(w->st, s, &vs, w->err);
        if (rc == SL_OK)
            rc = remove_all(w, &vs, 1, "overage");
        victims_free(&vs);
    }
    return rc;
}

/* 3. purchases off for more than the grace period */
static sl_rc expired(sweep *w, int32_t today)
{
    victims vs = {0};
    sqlite3_stmt *s;
    sl_rc rc = sl__stmt(w->st, "SELECT " VICTIM_COLUMNS " FROM seat_assignments a "
                               "JOIN add_on_purchases p ON p.id = a.purchase_id "
                               "LEFT JOIN users u ON u.id = a.user_id "
                               "WHERE p.expires_on < ?1 ORDER BY a.id", &s, w->err);
    if (rc != SL_OK)
        return rc;
    sqlite3_bind_int64(s, 1, (int64_t)today - EXPIRED_GRACE_DAYS);
    rc = collect(w->st, s, &vs, w->err);
    if (rc == SL_OK)
        rc = remove_all(w, &vs, 2, "expired");
    victims_free(&vs);
    return rc;
}

sl_rc sl__seats_cleanup(sl_store *st, int32_t today, int64_t now_ms,
                        void (*each)(void *ud, const sl_seat_removal *r), void *ud,
                        int64_t *removed, sl_error *err)
{
    sweep w = {st, now_ms, each, ud, {0, 0, 0}, err};
    char detail[128];
    sl_rc rc = ineligible(&w);
    if (rc == SL_OK)
        rc = overage(&w);
    if (rc == SL_OK)
        rc = expired(&w, today);
    if (rc == SL_OK && w.removed[0] + w.removed[1] + w.removed[2] > 0) {
        snprintf(detail, sizeof detail, "ineligible=%lld overage=%lld expired=%lld",
                 (long long)w.removed[0], (long long)w.removed[1], (long long)w.removed[2]);
        rc = sl__audit(st, "seats.cleanup", 0, "ok", detail, err);
    }
    if (removed)
        *removed = w.removed[0] + w.removed[1] + w.removed[2];
    return rc;
}
