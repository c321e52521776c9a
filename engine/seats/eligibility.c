/*
 * seats/eligibility.c - who may hold an add-on seat (add-ons.md: an active
 * directory user of type human or service_user, whatever the role), the
 * list of users for seat management (search, filters, sorts, keyset paging)
 * and resolving a user reference (id or username).  The billable rules are
 * ledger/billable.c's; the user directory is ledger/users.c's.
 */
#include "ledger/billable.h"
#include "seats/seats_internal.h"

#include <stdlib.h>
#include <string.h>

/* users.billing_key packs state*2048 + user_type*32 + role*2 + guest_seat
 * (schema/002_users.sql): state active (0) with user_type human (0) or
 * service_user (1) is exactly billing_key < 64, which the users_billing
 * index answers. */
#define ELIGIBLE_KEY_BELOW 64
#define CURSOR_MAX (SL_USER_FIELD_MAX * 2 + 32)

int sl__seat_eligible(int state, int user_type)
{
    return state == SL_STATE_ACTIVE &&
           (user_type == SL_TYPE_HUMAN || user_type == SL_TYPE_SERVICE_USER);
}

sl_rc sl__seat_subject(sl_store *st, const char *user_id, sl_seat_subject *out,
                       sl_error *err)
{
    sqlite3_stmt *s;
    int step;
    sl_rc rc = sl__stmt(st, "SELECT username, state, user_type FROM users WHERE id = ?1",
                        &s, err);
    memset(out, 0, sizeof *out);
    if (rc != SL_OK)
        return rc;
    sl__bind_text(s, 1, user_id);
    step = sqlite3_step(s);
    if (step == SQLITE_ROW) {
        out->found = 1;
        out->state = sqlite3_column_int(s, 1);
        out->user_type = sqlite3_column_int(s, 2);
        out->eligible = sl__seat_eligible(out->state, out->user_type);
        snprintf(out->username, sizeof out->username, "%s",
                 (const char *)sqlite3_column_text(s, 0));
    } else if (step != SQLITE_DONE) {
        rc = sl__db_err(st, err, "cannot read the user directory");
    }
    sqlite3_reset(s);
    return rc;
}

/* ---- the list ------------------------------------------------------------- */

/* One statement per sort (statements are cached by the literal's address).
 * ?1 purchase, ?2 eligible only, ?3 assigned filter, ?4 lowercase search,
 * ?5/?6 the keyset (NULL: from the start), ?7 limit (-1: none). */
#define SEAT_USERS_SQL(KEYSET, ORDER)                                                    \
    "SELECT u.id, u.username, u.email, u.state, u.user_type, u.last_activity_on, "     \
    "u.last_duo_activity_on, a.id IS NOT NULL, coalesce(u.last_activity_on, -1) "       \
    "FROM users u LEFT JOIN seat_assignments a ON a.purchase_id = ?1 AND a.user_id = u.id " \
    "WHERE (?2 = 0 OR u.billing_key < 64) "                                              \
    "AND (?3 = 0 OR (a.id IS NOT NULL) = (?3 > 0)) "                                     \
    "AND (?4 IS NULL OR instr(lower(u.username), ?4) > 0 "                               \
    "     OR instr(lower(coalesce(u.email, '')), ?4) > 0) "                              \
    "AND (?8 IS NULL OR u.id IN (SELECT value FROM json_each(?8))) "                     \
    "AND (?5 IS NULL OR " KEYSET ") ORDER BY " ORDER " LIMIT ?7"

#define SEAT_COUNT_SQL                                                                   \
    "SELECT count(*) "                                                                   \
    "FROM users u LEFT JOIN seat_assignments a ON a.purchase_id = ?1 AND a.user_id = u.id " \
    "WHERE (?2 = 0 OR u.billing_key < 64) "                                              \
    "AND (?3 = 0 OR (a.id IS NOT NULL) = (?3 > 0)) "                                     \
    "AND (?4 IS NULL OR instr(lower(u.username), ?4) > 0 "                               \
    "     OR instr(lower(coalesce(u.email, '')), ?4) > 0) "                              \
    "AND (?8 IS NULL OR u.id IN (SELECT value FROM json_each(?8)))"

static const struct {
    const char *sql;
    int key;   /* 0: the cursor is the id; 1: username + id; 2: activity + id */
} sorts[SL_SEAT_SORT_COUNT] = {
    [SL_SEAT_SORT_ID_ASC] = {SEAT_USERS_SQL("u.id > ?5", "u.id"), 0},
    [SL_SEAT_SORT_ID_DESC] = {SEAT_USERS_SQL("u.id < ?5", "u.id DESC"), 0},
    [SL_SEAT_SORT_NAME_ASC] = {SEAT_USERS_SQL("(u.username, u.id) > (?5, ?6)",
                                              "u.username, u.id"), 1},
    [SL_SEAT_SORT_NAME_DESC] = {SEAT_USERS_SQL("(u.username, u.id) < (?5, ?6)",
                                               "u.username DESC, u.id DESC"), 1},
    [SL_SEAT_SORT_LAST_ACTIVITY_ON_ASC] =
        {SEAT_USERS_SQL("(coalesce(u.last_activity_on, -1), u.id) > (?5, ?6)",
                        "coalesce(u.last_activity_on, -1), u.id"), 2},
    [SL_SEAT_SORT_LAST_ACTIVITY_ON_DESC] =
        {SEAT_USERS_SQL("(coalesce(u.last_activity_on, -1), u.id) < (?5, ?6)",
                        "coalesce(u.last_activity_on, -1) DESC, u.id DESC"), 2},
};

/* Bind what every form of the query shares (?1 - ?4, ?8); *ids_text (the
 * id list as JSON) is the caller's to free once the statement is reset. */
static sl_rc bind_filters(sl_store *st, sqlite3_stmt *s, const sl_seat_query *q, char *lower,
                          char **ids_text, sl_error *err)
{
    size_t n;
    *ids_text = NULL;
    if (q->ids) {
        json_t *a;
        if (q->nids > SL_SEATS_BULK_MAX)
            return sl__err(err, SL_EINVAL, "more than %d user ids", SL_SEATS_BULK_MAX);
        a = json_array();
        for (size_t i = 0; a && i < q->nids; i++) {
            if (json_array_append_new(a, json_string(q->ids[i] ? q->ids[i] : "")) != 0) {
                json_decref(a);
                return sl__err(err, SL_EINVAL, "user id %zu is not valid UTF-8", i + 1);
            }
        }
        *ids_text = a ? sl__json_dump(a) : NULL;
        json_decref(a);
        if (!*ids_text)
            return sl__err(err, SL_ENOMEM, "out of memory");
        sqlite3_bind_text(s, 8, *ids_text, -1, SQLITE_STATIC);
    }
    if (q->assigned < -1 || q->assigned > 1)
        return sl__err(err, SL_EUSAGE, "seat users: assigned must be -1, 0 or 1");
    sqlite3_bind_int64(s, 1, q->purchase_id);
    sqlite3_bind_int(s, 2, q->eligible_only != 0);
    sqlite3_bind_int(s, 3, q->assigned);
    if (q->search && *q->search) {
        n = strlen(q->search);
        if (n > SL_SEAT_SEARCH_MAX)
            return sl__err(err, SL_EINVAL, "search is longer than %d bytes", SL_SEAT_SEARCH_MAX);
        /* SQLite's lower() folds ASCII only: so does this */
        for (size_t i = 0; i <= n; i++)
            lower[i] = q->search[i] >= 'A' && q->search[i] <= 'Z'
                           ? (char)(q->search[i] - 'A' + 'a') : q->search[i];
        sqlite3_bind_text(s, 4, lower, (int)n, SQLITE_STATIC);
    }
    (void)st;
    return SL_OK;
}

static sl_rc check_purchase(sl_store *st, int64_t id, sl_error *err)
{
    sl_addon_purchase p;
    int found;
    sl_rc rc;
    if (id == 0)
        return SL_OK;
    rc = sl__purchase_load(st, id, 0, &p, &found, err);
    sl_addon_purchase_clear(&p);
    if (rc == SL_OK && !found)
        rc = sl__err(err, SL_ENOTFOUND, "no add-on purchase with id %lld", (long long)id);
    return rc;
}

/* Cursor "<bytes of key>:<key><id>" (the key is absent for the id sorts). */
static sl_rc bind_cursor(sqlite3_stmt *s, int key, const char *c, sl_error *err)
{
    char *end;
    unsigned long len;
    if (!c)
        return SL_OK;
    if (key == 0) {
        sqlite3_bind_text(s, 5, c, -1, SQLITE_STATIC);
        return SL_OK;
    }
    len = strtoul(c, &end, 10);
    if (end == c || *end != ':' || len > strlen(end + 1))
        return sl__err(err, SL_EINVAL, "invalid cursor");
    end++;
    if (key == 1) {
        sqlite3_bind_text(s, 5, end, (int)len, SQLITE_STATIC);
    } else {
        char num[24], *e2;
        long long v;
        if (len == 0 || len >= sizeof num)
            return sl__err(err, SL_EINVAL, "invalid cursor");
        memcpy(num, end, len);
        num[len] = '\0';
        v = strtoll(num, &e2, 10);
        if (*e2)
            return sl__err(err, SL_EINVAL, "invalid cursor");
        sqlite3_bind_int64(s, 5, v);
    }
    sqlite3_bind_text(s, 6, end + len, -1, SQLITE_STATIC);
    return SL_OK;
}

sl_rc sl_store_seat_users_each(sl_store *st, const sl_seat_query *q,
                               int (*fn)(void *ud, const sl_seat_user *u), void *ud,
                               sl_error *err)
{
    char lower[SL_SEAT_SEARCH_MAX + 1], cursor[CURSOR_MAX], a1[16], a2[16];
    char *ids_text = NULL;
    sqlite3_stmt *s;
    int step, key;
    sl_rc rc;
    if ((unsigned)q->sort >= SL_SEAT_SORT_COUNT)
        return sl__err(err, SL_EUSAGE, "seat users: unknown sort %d", (int)q->sort);
    if (q->after_key && strlen(q->after_key) >= CURSOR_MAX)
        return sl__err(err, SL_EINVAL, "invalid cursor");
    rc = check_purchase(st, q->purchase_id, err);
    if (rc != SL_OK)
        return rc;
    key = sorts[q->sort].key;
    rc = sl__stmt(st, sorts[q->sort].sql, &s, err);
    if (rc != SL_OK)
        return rc;
    rc = bind_filters(st, s, q, lower, &ids_text, err);
    if (rc == SL_OK)
        rc = bind_cursor(s, key, q->after_key, err);
    if (rc != SL_OK) {
        sqlite3_reset(s);
        free(ids_text);
        return rc;
    }
    sqlite3_bind_int64(s, 7, q->limit ? (int64_t)q->limit : -1);
    for (;;) {
        int state, type;
        const char *id, *name;
        sl_seat_user u;
        step = sqlite3_step(s);
        if (step != SQLITE_ROW)
            break;
        id = (const char *)sqlite3_column_text(s, 0);
        name = (const char *)sqlite3_column_text(s, 1);
        state = sqlite3_column_int(s, 3);
        type = sqlite3_column_int(s, 4);
        if (key == 0)
            snprintf(cursor, sizeof cursor, "%s", id);
        else if (key == 1)
            snprintf(cursor, sizeof cursor, "%zu:%s%s", strlen(name), name, id);
        else {
            char num[24];
            int n = snprintf(num, sizeof num, "%lld", (long long)sqlite3_column_int64(s, 8));
            snprintf(cursor, sizeof cursor, "%d:%s%s", n, num, id);
        }
        u = (sl_seat_user){
            .id = id,
            .username = name,
            .email = (const char *)sqlite3_column_text(s, 2),
            .state = sl__state_name(state) ? sl__state_name(state) : "?",
            .user_type = sl__user_type_name(type) ? sl__user_type_name(type) : "?",
            .eligible = sl__seat_eligible(state, type),
            .assigned = sqlite3_column_int(s, 7),
            .last_activity_on = sqlite3_column_type(s, 5) == SQLITE_NULL
                ? NULL : sl_date_format(sqlite3_column_int(s, 5), a1, sizeof a1),
            .last_duo_activity_on = sqlite3_column_type(s, 6) == SQLITE_NULL
                ? NULL : sl_date_format(sqlite3_column_int(s, 6), a2, sizeof a2),
            .cursor = cursor,
        };
        if (fn(ud, &u) != 0) {
            step = SQLITE_DONE;
            break;
        }
    }
    if (step != SQLITE_DONE)
        rc = sl__db_err(st, err, "cannot list users");
    sqlite3_reset(s);
    free(ids_text);
    return rc;
}

sl_rc sl_store_seat_users_count(sl_store *st, const sl_seat_query *q, int64_t *out,
                                sl_error *err)
{
    char lower[SL_SEAT_SEARCH_MAX + 1];
    char *ids_text = NULL;
    sqlite3_stmt *s;
    sl_rc rc = check_purchase(st, q->purchase_id, err);
    *out = 0;
    if (rc != SL_OK)
        return rc;
    rc = sl__stmt(st, SEAT_COUNT_SQL, &s, err);
    if (rc != SL_OK)
        return rc;
    rc = bind_filters(st, s, q, lower, &ids_text, err);
    if (rc == SL_OK) {
        if (sqlite3_step(s) == SQLITE_ROW)
            *out = sqlite3_column_int64(s, 0);
        else
            rc = sl__db_err(st, err, "cannot count users");
    }
    sqlite3_reset(s);
    free(ids_text);
    return rc;
}

/* ---- resolving references ------------------------------------------------ */

sl_rc sl_store_users_resolve(sl_store *st, const char *const *refs, size_t n,
                             char **out_ids, sl_error *err)
{
    json_t *names = NULL;
    char *names_text = NULL;
    sqlite3_stmt *s;
    int step;
    sl_rc rc = SL_OK;
    for (size_t i = 0; i < n; i++)
        out_ids[i] = NULL;
    rc = sl__stmt(st, "SELECT 1 FROM users WHERE id = ?1", &s, err);
    if (rc != SL_OK)
        return rc;
    for (size_t i = 0; i < n && rc == SL_OK; i++) {
        sl__bind_text(s, 1, refs[i]);
        step = sqlite3_step(s);
        sqlite3_reset(s);
        if (step == SQLITE_ROW) {
            out_ids[i] = sl__strdup(refs[i]);
            if (!out_ids[i])
                rc = sl__err(err, SL_ENOMEM, "out of memory");
        } else if (step != SQLITE_DONE) {
            rc = sl__db_err(st, err, "cannot read the user directory");
        } else {
            if (!names)
                names = json_array();
            if (!names || json_array_append_new(names, json_string(refs[i])) != 0)
                rc = sl__err(err, SL_EINVAL, "user '%s' is not valid UTF-8", "?");
        }
    }
    if (rc != SL_OK || !names)
        goto done;
    /* the usernames left: one pass over the directory for all of them */
    names_text = sl__json_dump(names);
    if (!names_text) {
        rc = sl__err(err, SL_ENOMEM, "out of memory");
        goto done;
    }
    rc = sl__stmt(st, "SELECT id, username FROM users WHERE username IN "
                      "(SELECT value FROM json_each(?1))", &s, err);
    if (rc != SL_OK)
        goto done;
    sqlite3_bind_text(s, 1, names_text, -1, SQLITE_STATIC);
    while (rc == SL_OK && (step = sqlite3_step(s)) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(s, 0);
        const char *name = (const char *)sqlite3_column_text(s, 1);
        for (size_t i = 0; i < n && rc == SL_OK; i++) {
            if (strcmp(refs[i], name) != 0)
                continue;
            if (out_ids[i] && strcmp(out_ids[i], refs[i]) != 0) {
                rc = sl__err(err, SL_EINVAL, "username '%s' is ambiguous: use the id", name);
            } else if (!out_ids[i]) {
                out_ids[i] = sl__strdup(id);
                if (!out_ids[i])
                    rc = sl__err(err, SL_ENOMEM, "out of memory");
            }
        }
    }
    if (rc == SL_OK && step != SQLITE_DONE)
        rc = sl__db_err(st, err, "cannot read the user directory");
    sqlite3_reset(s);
done:
    json_decref(names);
    free(names_text);
    if (rc != SL_OK) {
        for (size_t i = 0; i < n; i++) {
            free(out_ids[i]);
            out_ids[i] = NULL;
        }
    }
    return rc;
}
