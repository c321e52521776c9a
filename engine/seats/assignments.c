/*
 * seats/assignments.c - giving and taking add-on seats (add-ons.md): the
 * single-user and bulk rules in the spec's order of checks with GitLab's
 * codes, all or nothing, every check and write inside one write transaction
 * so that concurrent assigners can never exceed the quantity, and one seat
 * history row per change.  Who is eligible is seats/eligibility.c's.
 */
#include "seats/seats_internal.h"

#include <stdlib.h>
#include <string.h>

static const char *const seat_error_names[SL_SEAT_ERROR_COUNT] = {
    [SL_SEAT_OK] = "",
    [SL_SEAT_NO_SEATS_AVAILABLE] = "NO_SEATS_AVAILABLE",
    [SL_SEAT_ASSIGNMENT_NOT_SUPPORTED] = "SEAT_ASSIGNMENT_NOT_SUPPORTED",
    [SL_SEAT_INVALID_USER_MEMBERSHIP] = "INVALID_USER_MEMBERSHIP",
    [SL_SEAT_INCOMPATIBLE_ADD_ON] = "INCOMPATIBLE_ADD_ON",
    [SL_SEAT_INVALID_USER_ID_PRESENT] = "INVALID_USER_ID_PRESENT",
    [SL_SEAT_NOT_ENOUGH_SEATS] = "NOT_ENOUGH_SEATS",
    [SL_SEAT_NO_ASSIGNMENTS_FOUND] = "NO_ASSIGNMENTS_FOUND",
};

const char *sl_seat_error_name(sl_seat_error e)
{
    return (unsigned)e < SL_SEAT_ERROR_COUNT ? seat_error_names[e] : NULL;
}

/* One user of a call as the rules see it. */
typedef struct member {
    sl_seat_subject who;
    int held;                       /* holds a seat of the purchase */
    char held_name[SL_USER_FIELD_MAX + 1];
} member;

typedef struct call {
    sl_store *st;
    const sl_addon_purchase *p;
    const char *const *ids;
    size_t n;
    member *m;
    sl_seat_outcome *outcomes;
    const char *actor;
    int64_t now;
    sl_seat_error *code;
    sl_error *err;
    size_t changed;      /* seats given or taken */
} call;

/* A rule refuses the call: nothing is written. */
__attribute__((format(printf, 3, 4)))
static sl_rc refuse(call *c, sl_seat_error e, const char *fmt, ...)
{
    char why[SL_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    *c->code = e;
    return sl__err(c->err, SL_EINVAL, "%s: %s", sl_seat_error_name(e), why);
}

/* The arguments, before any lookup: the bulk limit first (its message is
 * GitLab's), then the ids and the actor. */
static sl_rc check_args(const char *const *ids, size_t n, int bulk, int assign,
                        const char *actor, sl_error *err)
{
    size_t alen = actor ? strlen(actor) : 0;
    if (bulk && n > SL_SEATS_BULK_MAX)
        return sl__err(err, SL_EINVAL, "%s",
                       assign ? SL_MSG_BULK_ASSIGN_MAX : SL_MSG_BULK_UNASSIGN_MAX);
    if (n == 0)
        return sl__err(err, SL_EINVAL, "no users given");
    if (!bulk && n != 1)
        return sl__err(err, SL_EUSAGE, "a single-user call takes exactly one user, not %zu", n);
    if (alen == 0 || alen > SL_SEAT_ACTOR_MAX)
        return sl__err(err, SL_EINVAL, "the actor must be 1 to %d bytes", SL_SEAT_ACTOR_MAX);
    for (size_t i = 0; i < alen; i++)
        if ((unsigned char)actor[i] < 0x20 || actor[i] == 0x7f)
            return sl__err(err, SL_EINVAL, "the actor contains a control character");
    for (size_t i = 0; i < n; i++) {
        if (!ids[i] || !*ids[i] || strlen(ids[i]) > SL_USER_FIELD_MAX)
            return sl__err(err, SL_EINVAL, "user ids must be 1 to %d bytes", SL_USER_FIELD_MAX);
        for (size_t k = 0; k < i; k++)
            if (strcmp(ids[i], ids[k]) == 0)
                return sl__err(err, SL_EINVAL, "user '%.64s' is given more than once", ids[i]);
    }
    return SL_OK;
}

static sl_rc load_members(call *c)
{
    sqlite3_stmt *s;
    sl_rc rc = SL_OK;
    for (size_t i = 0; i < c->n && rc == SL_OK; i++) {
        int step;
        rc = sl__seat_subject(c->st, c->ids[i], &c->m[i].who, c->err);
        if (rc != SL_OK)
            break;
        rc = sl__stmt(c->st, "SELECT username FROM seat_assignments "
                             "WHERE purchase_id = ?1 AND user_id = ?2", &s, c->err);
        if (rc != SL_OK)
            break;
        sqlite3_bind_int64(s, 1, c->p->id);
        sl__bind_text(s, 2, c->ids[i]);
        step = sqlite3_step(s);
        if (step == SQLITE_ROW) {
            c->m[i].held = 1;
            snprintf(c->m[i].held_name, sizeof c->m[i].held_name, "%s",
                     (const char *)sqlite3_column_text(s, 0));
        } else if (step != SQLITE_DONE) {
            rc = sl__db_err(c->st, c->err, "cannot read seat assignments");
        }
        sqlite3_reset(s);
    }
    return rc;
}

static sl_rc give(call *c, size_t i)
{
    sqlite3_stmt *s;
    sl_rc rc = sl__stmt(c->st, "INSERT INTO seat_assignments(purchase_id, user_id, username, "
                               "assigned_at) VALUES (?1,?2,?3,?4)", &s, c->err);
    if (rc != SL_OK)
        return rc;
    sqlite3_bind_int64(s, 1, c->p->id);
    sl__bind_text(s, 2, c->ids[i]);
    sl__bind_text(s, 3, c->m[i].who.username);
    sqlite3_bind_int64(s, 4, c->now);
    if (sqlite3_step(s) != SQLITE_DONE)
        rc = sl__db_err(c->st, c->err, "cannot assign a seat");
    sqlite3_reset(s);
    if (rc == SL_OK)
        rc = sl__seat_history_append(c->st, c->now, sl_addon_name(c->p->add_on), c->p->id,
                                     c->ids[i], c->m[i].who.username, "assigned", NULL,
                                     c->actor, c->err);
    if (rc == SL_OK)
        c->changed++;
    if (rc == SL_OK && c->outcomes)
        c->outcomes[i] = SL_SEAT_CHANGED;
    return rc;
}

static sl_rc take(call *c, size_t i)
{
    sqlite3_stmt *s;
    const char *name = c->m[i].who.found ? c->m[i].who.username : c->m[i].held_name;
    sl_rc rc = sl__stmt(c->st, "DELETE FROM seat_assignments "
                               "WHERE purchase_id = ?1 AND user_id = ?2", &s, c->err);
    if (rc != SL_OK)
        return rc;
    sqlite3_bind_int64(s, 1, c->p->id);
    sl__bind_text(s, 2, c->ids[i]);
    if (sqlite3_step(s) != SQLITE_DONE)
        rc = sl__db_err(c->st, c->err, "cannot remove a seat");
    sqlite3_reset(s);
    if (rc == SL_OK)
        rc = sl__seat_history_append(c->st, c->now, sl_addon_name(c->p->add_on), c->p->id,
                                     c->ids[i], name, "unassigned", NULL, c->actor, c->err);
    if (rc == SL_OK)
        c->changed++;
    if (rc == SL_OK && c->outcomes)
        c->outcomes[i] = SL_SEAT_CHANGED;
    return rc;
}

static void mark(call *c, size_t i, sl_seat_outcome o)
{
    if (c->outcomes)
        c->outcomes[i] = o;
}

static sl_rc assign_rules(call *c, int bulk)
{
    const char *name = sl_addon_name(c->p->add_on);
    int64_t free_seats = c->p->quantity - c->p->assigned;
    size_t eligible = 0, wanted = 0;
    sl_rc rc = SL_OK;
    for (size_t i = 0; i < c->n; i++)
        if (!c->m[i].who.found)
            return sl__err(c->err, SL_ENOTFOUND, "%s", SL_MSG_SEAT_NOT_FOUND);
    if (!bulk) {
        if (c->m[0].held) {
            mark(c, 0, SL_SEAT_UNCHANGED);
            return SL_OK;
        }
        if (free_seats <= 0)
            return refuse(c, SL_SEAT_NO_SEATS_AVAILABLE, "all %lld seats of %s are assigned",
                          (long long)c->p->quantity, name);
        if (!sl_addon_seat_assignable(c->p->add_on))
            return refuse(c, SL_SEAT_ASSIGNMENT_NOT_SUPPORTED, "%s seats cannot be assigned",
                          name);
        if (!c->m[0].who.eligible)
            return refuse(c, SL_SEAT_INVALID_USER_MEMBERSHIP,
                          "user '%.64s' is not eligible for a seat (not an active human or "
                          "service user)", c->ids[0]);
        return give(c, 0);
    }
    if (!sl_addon_seat_assignable(c->p->add_on))
        return refuse(c, SL_SEAT_INCOMPATIBLE_ADD_ON, "%s seats cannot be assigned", name);
    for (size_t i = 0; i < c->n; i++) {
        eligible += c->m[i].who.eligible != 0;
        wanted += c->m[i].who.eligible && !c->m[i].held;
    }
    if (eligible == 0)
        return refuse(c, SL_SEAT_INVALID_USER_ID_PRESENT,
                      "none of the users is eligible for a seat");
    if (free_seats < (int64_t)wanted)
        return refuse(c, SL_SEAT_NOT_ENOUGH_SEATS,
                      "%zu users need a seat, %lld of the %lld seats of %s are free", wanted,
                      (long long)(free_seats > 0 ? free_seats : 0), (long long)c->p->quantity,
                      name);
    for (size_t i = 0; i < c->n && rc == SL_OK; i++) {
        if (!c->m[i].who.eligible)
            mark(c, i, SL_SEAT_SKIPPED);
        else if (c->m[i].held)
            mark(c, i, SL_SEAT_UNCHANGED);
        else
            rc = give(c, i);
    }
    return rc;
}

static sl_rc unassign_rules(call *c, int bulk)
{
    size_t held = 0;
    sl_rc rc = SL_OK;
    for (size_t i = 0; i < c->n; i++) {
        if (!c->m[i].who.found && !c->m[i].held)
            return sl__err(c->err, SL_ENOTFOUND, "%s", SL_MSG_SEAT_NOT_FOUND);
        held += c->m[i].held != 0;
    }
    if (bulk && held == 0)
        return refuse(c, SL_SEAT_NO_ASSIGNMENTS_FOUND, "none of the users holds a seat of %s",
                      sl_addon_name(c->p->add_on));
    for (size_t i = 0; i < c->n && rc == SL_OK; i++) {
        if (c->m[i].held)
            rc = take(c, i);
        else
            mark(c, i, SL_SEAT_UNCHANGED);
    }
    return rc;
}

/* Every change of the ledger leaves an audit line at its time (the
 * ledger's latest time is read from it); a call that changed no seat
 * recorded nothing. */
static sl_rc audit_changes(call *c, int assign)
{
    char detail[160];
    if (c->changed == 0)
        return SL_OK;
    snprintf(detail, sizeof detail, "purchase=%lld add_on=%s seats=%zu actor=%.64s",
             (long long)c->p->id, sl_addon_name(c->p->add_on), c->changed,
             c->actor ? c->actor : "");
    return sl__audit(c->st, assign ? "seats.assign" : "seats.unassign", 0, "ok", detail,
                     c->err);
}

static sl_rc seats_call(sl_store *st, int64_t purchase_id, const char *const *ids, size_t n,
                        int bulk, int assign, const char *actor, sl_seat_outcome *outcomes,
                        sl_seat_error *out_error, sl_error *err)
{
    sl_addon_purchase p = {0};
    sl_seat_error ignored;
    call c = {0};
    int32_t today;
    int found;
    sl_rc rc;
    if (!out_error)
        out_error = &ignored;
    *out_error = SL_SEAT_OK;
    for (size_t i = 0; outcomes && i < n; i++)
        outcomes[i] = SL_SEAT_REFUSED;
    rc = check_args(ids, n, bulk, assign, actor, err);
    if (rc != SL_OK)
        return rc;
    c.m = calloc(n, sizeof *c.m);
    if (!c.m)
        return sl__err(err, SL_ENOMEM, "out of memory");
    rc = sl__begin(st, err);
    if (rc != SL_OK)
        goto out;
    /* an event at one time, checked against the ledger's latest: its date
     * is the ledger's today */
    rc = sl__event_begin(st, 0, err);
    c.now = sl__event_at(st);
    today = sl_ms_to_date(c.now);
    if (rc == SL_OK)
        rc = sl__purchase_load(st, purchase_id, today, &p, &found, err);
    if (rc == SL_OK && (!found || !p.active))
        rc = sl__err(err, SL_ENOTFOUND, "%s", SL_MSG_SEAT_NOT_FOUND);
    if (rc != SL_OK)
        goto fail;
    c = (call){st, &p, ids, n, c.m, outcomes, actor, c.now, out_error, err, 0};
    rc = load_members(&c);
    if (rc == SL_OK)
        rc = assign ? assign_rules(&c, bulk) : unassign_rules(&c, bulk);
    if (rc == SL_OK)
        rc = audit_changes(&c, assign);
    if (rc != SL_OK)
        goto fail;
    rc = sl__commit(st, err);
    if (rc == SL_OK)
        goto out;
fail:
    sl__rollback(st);
    for (size_t i = 0; outcomes && i < n; i++)
        outcomes[i] = SL_SEAT_REFUSED;
out:
    sl_addon_purchase_clear(&p);
    free(c.m);
    return rc;
}

sl_rc sl_store_seats_assign(sl_store *st, int64_t purchase_id, const char *const *user_ids,
                            size_t n, int bulk, const char *actor, sl_seat_outcome *outcomes,
                            sl_seat_error *out_error, sl_error *err)
{
    return seats_call(st, purchase_id, user_ids, n, bulk, 1, actor, outcomes, out_error, err);
}

sl_rc sl_store_seats_unassign(sl_store *st, int64_t purchase_id,
                              const char *const *user_ids, size_t n, int bulk,
                              const char *actor, sl_seat_outcome *outcomes,
                              sl_seat_error *out_error, sl_error *err)
{
    return seats_call(st, purchase_id, user_ids, n, bulk, 0, actor, outcomes, out_error, err);
}
