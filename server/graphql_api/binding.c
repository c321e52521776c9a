/*
 * binding.c - the one file that binds docs/schema.graphql to the ledger: a
 * resolver per root field (the license queries, the add-on seat queries and
 * mutations, billableUsersHistory, addOnSeatHistory, queryComplexity), the
 * complexity costs of
 * shared/spec/graphql.md, and who may see what (license and add-on data
 * need an admin token).  Objects are answered as JSON, whose members the
 * engine reads field by field; only AddOnUser.addOnAssignments has a
 * resolver of its own.  Every rule of licenses and seats is the engine's.
 */
#include "graphql_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* GitLab's model names in Global IDs. */
#define MODEL_LICENSE "License"
#define MODEL_PURCHASE "GitlabSubscriptions::AddOnPurchase"
#define MODEL_USER "User"
/* The cost the spec adds for an eligible-users search and sort. */
#define COST_SEARCH 5
#define COST_SORT 1
/* A hidden member of AddOnUser objects: the directory id, for
 * addOnAssignments (the engine reads members by field name only). */
#define USER_ID_MEMBER "_sl_user_id"

/* A JSON value of a resolver; SL_ENOMEM when building it failed. */
static sl_rc answer(json_t *j, sl_gql_value **out, sl_error *err)
{
    if (!j)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    *out = sl_gql_value_json(j);
    return *out ? SL_OK : sl_error_set(err, SL_ENOMEM, "out of memory");
}

static sl_rc not_available(sl_error *err)
{
    return sl_error_set(err, SL_EFORBIDDEN, "%s", SL_GRAPHQL_MSG_NOT_AVAILABLE);
}

/* An engine failure as the field's error: the engine's words for what the
 * client did, none of the ledger's insides. */
static sl_rc engine_failure(sl_rc rc, const sl_error *e, sl_error *err)
{
    if (rc == SL_ESTORAGE || rc == SL_EINTERNAL || rc == SL_EUSAGE || rc == SL_ENOMEM)
        return sl_error_set(err, rc, "Internal server error");
    return sl_error_set(err, rc, "%s", e->message[0] ? e->message : sl_rc_name(rc));
}

static json_t *date_json(int32_t d)
{
    char buf[16];
    return d == SL_DATE_NONE ? json_null() : json_string(sl_date_format(d, buf, sizeof buf));
}

/* ISO 8601 in UTC without fractions ("2026-11-30T12:00:00Z"), as GitLab's
 * Time type writes it. */
static json_t *time_json(int64_t ms)
{
    char buf[32];
    if (ms == SL_TIME_NONE)
        return json_null();
    sl_time_format_rfc3339(ms - (ms % 1000 + 1000) % 1000, buf, sizeof buf);
    if (strlen(buf) == 24 && buf[19] == '.')
        memmove(buf + 19, buf + 23, 2);
    return json_string(buf);
}

static json_t *count_json(int64_t n)
{
    return n == SL_COUNT_NONE ? json_null() : json_integer((json_int_t)n);
}

static json_t *text_json(const char *s)
{
    json_t *j = s ? json_string(s) : json_null();
    return j ? j : json_null();   /* not UTF-8: no value to show */
}

/* ---- licenses ----------------------------------------------------------------- */

/* The fields LicenseHistoryEntry and CurrentLicense share. */
static json_t *license_json(const sl_license_entry *e)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "id", sl_graphql_gid_int(MODEL_LICENSE, e->key_id));
    json_object_set_new(o, "type", json_string(e->type));
    json_object_set_new(o, "plan", text_json(e->plan));
    json_object_set_new(o, "name", text_json(e->licensee_name));
    json_object_set_new(o, "email", text_json(e->licensee_email));
    json_object_set_new(o, "company", text_json(e->licensee_company));
    json_object_set_new(o, "startsAt", date_json(e->starts_on));
    json_object_set_new(o, "createdAt", date_json(sl_ms_to_date(e->created_at_ms)));
    json_object_set_new(o, "expiresAt", date_json(e->expires_on));
    json_object_set_new(o, "blockChangesAt", date_json(e->block_changes_on));
    json_object_set_new(o, "activatedAt", date_json(e->activated_on));
    json_object_set_new(o, "usersInLicenseCount", count_json(e->seats));
    return o;
}

static json_t *future_json(const sl_license_entry *e)
{
    return json_pack("{s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "type", e->type, "plan",
                     text_json(e->plan), "name", text_json(e->licensee_name), "email",
                     text_json(e->licensee_email), "company", text_json(e->licensee_company),
                     "startsAt", date_json(e->starts_on), "expiresAt", date_json(e->expires_on),
                     "usersInLicenseCount", count_json(e->seats));
}

static sl_rc q_current_license(const sl_gql_call *c, sl_gql_value **out, sl_error *err)
{
    sl_graphql_ctx *ctx = c->context;
    const sl_license_entry *list;
    sl_license_figures fig;
    sl_error e = {0};
    size_t n;
    int64_t id = 0;
    json_t *o = NULL;
    sl_rc rc;
    if (!ctx->admin)
        return not_available(err);
    rc = sl_store_license_current(ctx->st, &id, &e);
    if (rc == SL_ENOTFOUND)
        return answer(json_null(), out, err);
    if (rc == SL_OK)
        rc = sl_store_license_figures(ctx->st, id, &fig, &e);
    /* last: the history is borrowed until the next call into the store */
    if (rc == SL_OK)
        rc = sl_store_license_history(ctx->st, &list, &n, &e);
    if (rc != SL_OK)
        return engine_failure(rc, &e, err);
    for (size_t i = 0; i < n && !o; i++) {
        if (list[i].id != id)
            continue;
        o = license_json(&list[i]);
        if (!o)
            break;
        json_object_set_new(o, "lastSync", time_json(list[i].last_synced_at_ms));
        json_object_set_new(o, "billableUsersCount", json_integer(fig.active_users));
        json_object_set_new(o, "maximumUserCount", json_integer(fig.maximum_user_count));
        json_object_set_new(o, "usersOverLicenseCount", json_integer(fig.overage_historical));
        json_object_set_new(o, "trial", json_boolean(list[i].trial));
        json_object_set_new(o, "subscriptionName", text_json(list[i].subscription_name));
        /* seatledger knows no GitLab Credits add-on */
        json_object_set_new(o, "hasGitlabCreditsAddOn", json_false());
    }
    return answer(o, out, err);
}

/* licenseHistoryEntries (every stored license) and subscriptionFutureEntries
 * (those that start after today), both in the history's order. */
static sl_rc license_list(const sl_gql_call *c, int future, sl_gql_value **out, sl_error *err)
{
    sl_graphql_ctx *ctx = c->context;
    const sl_license_entry *list;
    sl_graphql_page pg;
    sl_error e = {0};
    json_t *items, *conn = NULL;
    size_t n;
    sl_rc rc;
    if (!ctx->admin)
        return not_available(err);
    rc = sl_store_license_history(ctx->st, &list, &n, &e);
    if (rc != SL_OK)
        return engine_failure(rc, &e, err);
    items = json_array();
    for (size_t i = 0; items && i < n; i++) {
        if (future && !list[i].future)
            continue;
        if (json_array_append_new(items, future ? future_json(&list[i]) : license_json(&list[i])) != 0) {
            json_decref(items);
            items = NULL;
        }
    }
    if (!items)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    sl_graphql_page_args(c->args, &pg);
    rc = sl_graphql_array_connection(items, &pg, &conn, err);
    return rc == SL_OK ? answer(conn, out, err) : rc;
}

static sl_rc q_license_history(const sl_gql_call *c, sl_gql_value **out, sl_error *err)
{
    return license_list(c, 0, out, err);
}

static sl_rc q_future_entries(const sl_gql_call *c, sl_gql_value **out, sl_error *err)
{
    return license_list(c, 1, out, err);
}

/* ---- add-on purchases ----------------------------------------------------------- */

static json_t *purchase_json(const sl_addon_purchase *p)
{
    const char *name = sl_addon_type_name(p->add_on);
    return json_pack("{s:o,s:s,s:I,s:I}", "id", sl_graphql_gid_int(MODEL_PURCHASE, p->id), "name",
                     name ? name : "", "purchasedQuantity", (json_int_t)p->quantity,
                     "assignedQuantity", (json_int_t)p->assigned);
}

void sl_graphql_ctx_clear(sl_graphql_ctx *c)
{
    sl_addon_purchases_free(c->purchases, c->npurchases);
    c->purchases = NULL;
    c->npurchases = 0;
    c->purchases_read = 0;
}

/* The purchase records, read once per request (a mutation clears them). */
static sl_rc purchases(sl_graphql_ctx *ctx, sl_error *err)
{
    sl_error e = {0};
    sl_rc rc;
    if (ctx->purchases_read)
        return SL_OK;
    rc = sl_store_addon_purchases(ctx->st, &ctx->purchases, &ctx->npurchases, &e);
    if (rc != SL_OK)
        return engine_failure(rc, &e, err);
    ctx->purchases_read = 1;
    return SL_OK;
}

static const sl_addon_purchase *purchase_by_id(const sl_graphql_ctx *ctx, int64_t id)
{
    for (size_t i = 0; i < ctx->npurchases; i++) {
        if (ctx->purchases[i].id == id)
            return &ctx->purchases[i];
    }
    return NULL;
}

/* A purchase id as the GID scalar left it (the model id as a string):
 * a positive integer, else 0 (no purchase has it). */
static int64_t purchase_number(const json_t *v)
{
    const char *s = json_string_value(v);
    char *end;
    long long n;
    if (!s || *s < '1' || *s > '9')
        return 0;
    n = strtoll(s, &end, 10);
    return *end ? 0 : (int64_t)n;
}

static sl_rc q_addon_purchases(const sl_gql_call *c, sl_gql_value **out, sl_error *err)
{
    sl_graphql_ctx *ctx = c->context;
    const json_t *ns = json_object_get(c->args, "namespaceId");
    json_t *list;
    sl_rc rc;
    if (!ctx->admin)
        return not_available(err);
    list = json_array();
    /* a self-managed instance's purchases belong to no namespace */
    if (list && ns && !json_is_null(ns))
        return answer(list, out, err);
    rc = purchases(ctx, err);
    if (rc != SL_OK) {
        json_decref(list);
        return rc;
    }
    for (size_t i = 0; list && i < ctx->npurchases; i++) {
        if (ctx->purchases[i].active && json_array_append_new(list, purchase_json(&ctx->purchases[i])) != 0) {
            json_decref(list);
            list = NULL;
        }
    }
    return answer(list, out, err);
}

/* ---- add-on users ------------------------------------------------------------- */

static json_t *user_json(const sl_seat_user *u)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "id", sl_graphql_gid(MODEL_USER, u->id));
    json_object_set_new(o, "username", text_json(u->username));
    /* the directory has no display name: GitLab's name is the username here */
    json_object_set_new(o, "name", text_json(u->username));
    json_object_set_new(o, "state", text_json(u->state));
    json_object_set_new(o, "lastActivityOn", text_json(u->last_activity_on));
    json_object_set_new(o, "lastLoginAt", json_null());
    json_object_set_new(o, "lastDuoActivityOn", text_json(u->last_duo_activity_on));
    json_object_set_new(o, "publicEmail", json_null());
    json_object_set_new(o, "email", text_json(u->email));
    json_object_set_new(o, "avatarUrl", json_null());
    json_object_set_new(o, "webUrl", json_null());
    json_object_set_new(o, USER_ID_MEMBER, text_json(u->id));
    return o;
}

/* Rows of a seat-user listing: nodes and cursors; stops at `stop` (a raw
 * cursor, exclusive) and after `max` rows. */
typedef struct user_rows {
    json_t *nodes, *cursors;
    size_t max;
    const char *stop;
    int stopped;        /* met `stop` */
    int more;           /* a row beyond max exists */
    int oom;
} user_rows;

static int user_row(void *ud, const sl_seat_user *u)
{
    user_rows *r = ud;
    char *cursor;
    if (r->stop && strcmp(u->cursor, r->stop) == 0) {
        r->stopped = 1;
        return 1;
    }
    if (json_array_size(r->nodes) == r->max) {
        r->more = 1;
        return 1;
    }
    cursor = sl_graphql_cursor_encode(u->cursor, strlen(u->cursor));
    if (!cursor || json_array_append_new(r->nodes, user_json(u)) != 0 ||
        json_array_append_new(r->cursors, json_string(cursor)) != 0)
        r->oom = 1;
    free(cursor);
    return r->oom;
}

/* The sort that lists in the opposite direction (paging backwards). */
static sl_seat_sort reverse_sort(sl_seat_sort s)
{
    return (sl_seat_sort)(s ^ 1);
}

static json_t *reversed(json_t *a)
{
    size_t n = json_array_size(a);
    json_t *out = json_array();
    for (size_t i = n; out && i > 0; i--)
        json_array_append(out, json_array_get(a, i - 1));
    json_decref(a);
    return out;
}

/* Keep the last `last` of the rows. */
static void keep_last(user_rows *r, size_t last)
{
    while (json_array_size(r->nodes) > last) {
        json_array_remove(r->nodes, 0);
        json_array_remove(r->cursors, 0);
    }
}

/* A page of q's users as a connection, the engine's keyset cursors made
 * opaque.  Forwards from `after` (up to `before`) unless only `last` is
 * given: then backwards from `before` in the opposite sort. */
static sl_rc user_page(sl_graphql_ctx *ctx, sl_seat_query q, const sl_graphql_page *pg,
                       json_t **out, sl_error *err)
{
    char *after = NULL, *before = NULL;
    user_rows r = {json_array(), json_array(), 0, NULL, 0, 0, 0};
    sl_error e = {0};
    int backwards = pg->has_last && !pg->has_first, has_prev, has_next;
    sl_rc rc = SL_OK;
    *out = NULL;
    if ((pg->after && !(after = sl_graphql_cursor_decode(pg->after))) ||
        (pg->before && !(before = sl_graphql_cursor_decode(pg->before)))) {
        rc = sl_error_set(err, SL_EINVAL, SL_GRAPHQL_MSG_BAD_CURSOR);
        goto done;
    }
    if (backwards) {
        q.sort = reverse_sort(q.sort);
        q.after_key = before;
        r.stop = after;
        r.max = (size_t)pg->last;
    } else {
        q.after_key = after;
        r.stop = before;
        r.max = (size_t)pg->first;
    }
    /* one row more than the page tells whether there is more */
    q.limit = r.stop ? 0 : r.max + 1;
    if (!r.nodes || !r.cursors) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto done;
    }
    rc = sl_store_seat_users_each(ctx->st, &q, user_row, &r, &e);
    if (rc == SL_EINVAL && strstr(e.message, "cursor"))
        rc = sl_error_set(err, SL_EINVAL, SL_GRAPHQL_MSG_BAD_CURSOR);
    else if (rc != SL_OK)
        rc = engine_failure(rc, &e, err);
    else if (r.oom)
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
    if (rc != SL_OK)
        goto done;
    if (backwards) {
        r.nodes = reversed(r.nodes);
        r.cursors = reversed(r.cursors);
        has_prev = r.more;
        has_next = before != NULL;
    } else {
        has_prev = after != NULL;
        has_next = r.more || r.stopped;
        if (pg->has_last && json_array_size(r.nodes) > (size_t)pg->last) {
            has_prev = 1;
            keep_last(&r, (size_t)pg->last);
        }
    }
    *out = sl_graphql_connection(r.nodes, r.cursors, has_prev, has_next);
    r.nodes = r.cursors = NULL;
    if (!*out)
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
done:
    json_decref(r.nodes);
    json_decref(r.cursors);
    free(after);
    free(before);
    return rc;
}

static const struct {
    const char *name;
    sl_seat_sort sort;
} user_sorts[] = {
    {"ID_ASC", SL_SEAT_SORT_ID_ASC},
    {"ID_DESC", SL_SEAT_SORT_ID_DESC},
    {"NAME_ASC", SL_SEAT_SORT_NAME_ASC},
    {"NAME_DESC", SL_SEAT_SORT_NAME_DESC},
    {"LAST_ACTIVITY_ON_ASC", SL_SEAT_SORT_LAST_ACTIVITY_ON_ASC},
    {"LAST_ACTIVITY_ON_DESC", SL_SEAT_SORT_LAST_ACTIVITY_ON_DESC},
};

static sl_rc q_eligible_users(const sl_gql_call *c, sl_gql_value **out, sl_error *err)
{
    sl_graphql_ctx *ctx = c->context;
    const json_t *ids = json_object_get(c->args, "addOnPurchaseIds");
    const char *sort = json_string_value(json_object_get(c->args, "sort"));
    const char *filter = json_string_value(json_object_get(c->args, "filterByAssignedSeat"));
    sl_seat_query q = {0};
    sl_graphql_page pg;
    json_t *conn = NULL;
    sl_rc rc;
    if (!ctx->admin)
        return not_available(err);
    rc = purchases(ctx, err);
    if (rc != SL_OK)
        return rc;
    /* whose seats "assigned" means: the first of the ids that names a
     * purchase (the ledger keeps one seat purchase, the Duo tier's) */
    for (size_t i = 0; i < json_array_size(ids) && !q.purchase_id; i++) {
        int64_t id = purchase_number(json_array_get(ids, i));
        if (purchase_by_id(ctx, id))
            q.purchase_id = id;
    }
    q.eligible_only = 1;
    q.search = json_string_value(json_object_get(c->args, "search"));
    for (size_t i = 0; sort && i < sizeof user_sorts / sizeof user_sorts[0]; i++) {
        if (strcmp(sort, user_sorts[i].name) == 0)
            q.sort = user_sorts[i].sort;
    }
    if (filter && strcmp(filter, "true") == 0) {
        if (!q.purchase_id)  /* no such purchase: nobody holds its seats */
            return answer(sl_graphql_connection(json_array(), json_array(), 0, 0), out, err);
        q.assigned = 1;
    } else if (filter && strcmp(filter, "false") == 0) {
        q.assigned = -1;
    }
    sl_graphql_page_args(c->args, &pg);
    rc = user_page(ctx, q, &pg, &conn, err);
    return rc == SL_OK ? answer(conn, out, err) : rc;
}

/* AddOnUser.addOnAssignments: the user's seats among the given purchases
 * that are active (GitLab's for_active_add_on_purchase_ids). */
static sl_rc u_assignments(const sl_gql_call *c, sl_gql_value **out, sl_error *err)
{
    sl_graphql_ctx *ctx = c->context;
    const json_t *ids = json_object_get(c->args, "addOnPurchaseIds");
    const char *user = c->parent_is_json
        ? json_string_value(json_object_get((const json_t *)c->parent, USER_ID_MEMBER)) : NULL;
    sl_graphql_page pg;
    json_t *items, *conn = NULL;
    sl_rc rc = purchases(ctx, err);
    if (rc != SL_OK)
        return rc;
    if (!user)
        return answer(json_null(), out, err);
    items = json_array();
    for (size_t i = 0; items && i < json_array_size(ids); i++) {
        int64_t id = purchase_number(json_array_get(ids, i));
        const sl_addon_purchase *p = purchase_by_id(ctx, id);
        sl_seat_query q = {.purchase_id = id, .assigned = 1, .ids = &user, .nids = 1, .limit = 1};
        user_rows r = {json_array(), json_array(), 1, NULL, 0, 0, 0};
        sl_error e = {0};
        int dup = 0;
        for (size_t k = 0; k < i; k++)
            dup |= purchase_number(json_array_get(ids, k)) == id;
        if (p && p->active && !dup && r.nodes && r.cursors) {
            rc = sl_store_seat_users_each(ctx->st, &q, user_row, &r, &e);
            if (rc != SL_OK)
                rc = engine_failure(rc, &e, err);
            else if (json_array_size(r.nodes) == 1 &&
                     json_array_append_new(items, json_pack("{s:o}", "addOnPurchase", purchase_json(p))) != 0)
                rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        }
        json_decref(r.nodes);
        json_decref(r.cursors);
        if (rc != SL_OK) {
            json_decref(items);
            return rc;
        }
    }
    if (!items)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    sl_graphql_page_args(c->args, &pg);
    rc = sl_graphql_array_connection(items, &pg, &conn, err);
    return rc == SL_OK ? answer(conn, out, err) : rc;
}

/* ---- the billable-user snapshots (ours) --------------------------------------------- */

/* A snapshot's place in the order: (recorded_at, id). */
typedef struct snap_key {
    int64_t ms, id;
} snap_key;

static int key_cmp(snap_key a, snap_key b)
{
    return a.ms != b.ms ? (a.ms < b.ms ? -1 : 1) : a.id < b.id ? -1 : a.id > b.id;
}

/* A cursor's key; 0 when it is none of ours. */
static int key_of(const char *cursor, snap_key *k)
{
    char *raw = sl_graphql_cursor_decode(cursor);
    long long ms, id;
    char tail;
    int ok = raw && sscanf(raw, "%lld:%lld%c", &ms, &id, &tail) == 2;
    free(raw);
    k->ms = ok ? ms : 0;
    k->id = ok ? id : 0;
    return ok;
}

/* The rows of a page, collected while the snapshots stream: forwards the
 * first max after `after`, or backwards the last max before `before` (a
 * ring).  The callback must not call into the store. */
typedef struct snap_rows {
    sl_snapshot *ring;
    size_t max, n, head;    /* ring of max + 1 */
    int backwards;
    int has_after, has_before;
    snap_key after, before;
    int stopped;            /* forwards: met `before` */
    size_t seen;            /* backwards: rows before `before` */
} snap_rows;

static int snap_row(void *ud, const sl_snapshot *s)
{
    snap_rows *r = ud;
    snap_key k = {s->recorded_at_ms, s->id};
    if (r->has_after && key_cmp(k, r->after) <= 0)
        return 0;
    if (r->has_before && key_cmp(k, r->before) >= 0) {
        r->stopped = 1;
        return 1;
    }
    if (!r->backwards) {
        r->ring[r->n++] = *s;
        return r->n == r->max + 1;   /* one more than the page: there is more */
    }
    r->seen++;
    r->ring[(r->head + r->n) % (r->max + 1)] = *s;
    if (r->n < r->max + 1)
        r->n++;
    else
        r->head = (r->head + 1) % (r->max + 1);
    return 0;
}

static sl_rc q_billable_history(const sl_gql_call *c, sl_gql_value **out, sl_error *err)
{
    sl_graphql_ctx *ctx = c->context;
    const char *from = json_string_value(json_object_get(c->args, "from"));
    const char *to = json_string_value(json_object_get(c->args, "to"));
    sl_graphql_page pg;
    snap_rows r;
    sl_error e = {0};
    int64_t from_ms, to_ms;
    int32_t day;
    json_t *nodes, *cursors;
    size_t first = 0, count;
    int has_prev, has_next;
    sl_rc rc;
    if (!ctx->admin)
        return not_available(err);
    rc = sl_store_license_term(ctx->st, &from_ms, &to_ms, &e);
    if (rc != SL_OK)
        return engine_failure(rc, &e, err);
    if (from && sl_date_parse(from, &day, NULL) == SL_OK)
        from_ms = sl_date_to_ms(day);
    if (to && sl_date_parse(to, &day, NULL) == SL_OK)
        to_ms = sl_date_to_ms(day) + 86400000LL - 1;
    sl_graphql_page_args(c->args, &pg);
    memset(&r, 0, sizeof r);
    r.backwards = pg.has_last && !pg.has_first;
    r.max = (size_t)(r.backwards ? pg.last : pg.first);
    if ((pg.after && !(r.has_after = key_of(pg.after, &r.after))) ||
        (pg.before && !(r.has_before = key_of(pg.before, &r.before))))
        return sl_error_set(err, SL_EINVAL, SL_GRAPHQL_MSG_BAD_CURSOR);
    if (r.has_after && r.after.ms > from_ms)
        from_ms = r.after.ms;
    if (r.has_before && r.before.ms < to_ms)
        to_ms = r.before.ms;
    r.ring = calloc(r.max + 1, sizeof *r.ring);
    if (!r.ring)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    rc = from_ms <= to_ms ? sl_store_history(ctx->st, from_ms, to_ms, snap_row, &r, &e) : SL_OK;
    if (rc != SL_OK) {
        free(r.ring);
        return engine_failure(rc, &e, err);
    }
    if (r.backwards) {
        count = r.n > r.max ? r.max : r.n;
        first = (r.head + (r.n - count)) % (r.max + 1);
        has_prev = r.seen > r.max;
        has_next = r.has_before;
    } else {
        count = r.n > r.max ? r.max : r.n;
        has_prev = r.has_after;
        has_next = r.n > r.max || r.stopped;
        if (pg.has_last && count > (size_t)pg.last) {
            first = count - (size_t)pg.last;
            count = (size_t)pg.last;
            has_prev = 1;
        }
    }
    nodes = json_array();
    cursors = json_array();
    for (size_t i = 0; nodes && cursors && i < count; i++) {
        const sl_snapshot *s = &r.ring[(first + i) % (r.max + 1)];
        char raw[48], *cur;
        int len = snprintf(raw, sizeof raw, "%lld:%lld", (long long)s->recorded_at_ms,
                           (long long)s->id);
        cur = sl_graphql_cursor_encode(raw, (size_t)len);
        if (!cur || json_array_append_new(nodes, json_pack("{s:o,s:I,s:s}", "recordedAt",
                                              time_json(s->recorded_at_ms), "count",
                                              (json_int_t)s->billable_user_count, "source",
                                              sl_source_name(s->source))) != 0 ||
            json_array_append_new(cursors, json_string(cur)) != 0) {
            json_decref(nodes);
            nodes = NULL;
        }
        free(cur);
    }
    free(r.ring);
    if (!nodes || !cursors) {
        json_decref(nodes);
        json_decref(cursors);
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    return answer(sl_graphql_connection(nodes, cursors, has_prev, has_next), out, err);
}

static sl_rc q_query_complexity(const sl_gql_call *c, sl_gql_value **out, sl_error *err)
{
    return answer(json_pack("{s:I,s:I}", "score", (json_int_t)sl_gql_query_complexity(c->query),
                            "limit", (json_int_t)sl_gql_query_complexity_limit(c->query)),
                  out, err);
}

/* ---- mutations -------------------------------------------------------------------------- */

/* The users `ids` (directory ids) as AddOnUser nodes with their cursors, in
 * id order. */
static sl_rc users_of(sl_graphql_ctx *ctx, int64_t purchase_id, const char *const *ids, size_t n,
                      json_t **nodes, json_t **cursors, sl_error *err)
{
    sl_seat_query q = {.purchase_id = purchase_id, .ids = ids, .nids = n};
    user_rows r = {json_array(), json_array(), n, NULL, 0, 0, 0};
    sl_error e = {0};
    sl_rc rc = r.nodes && r.cursors ? sl_store_seat_users_each(ctx->st, &q, user_row, &r, &e)
                                    : SL_ENOMEM;
    if (rc == SL_OK && r.oom)
        rc = SL_ENOMEM;
    if (rc != SL_OK) {
        json_decref(r.nodes);
        json_decref(r.cursors);
        return rc == SL_ENOMEM ? sl_error_set(err, rc, "out of memory") : engine_failure(rc, &e, err);
    }
    *nodes = r.nodes;
    *cursors = r.cursors;
    return SL_OK;
}

/* The purchase a mutation names, which must exist (else GitLab's
 * not-available refusal); its activity is checked by the caller. */
static sl_rc mutation_purchase(sl_graphql_ctx *ctx, const json_t *input, sl_addon_purchase *p,
                               sl_error *err)
{
    sl_error e = {0};
    int64_t id = purchase_number(json_object_get(input, "addOnPurchaseId"));
    sl_rc rc;
    memset(p, 0, sizeof *p);
    if (!ctx->admin || id == 0)
        return not_available(err);
    rc = sl_store_addon_purchase_get(ctx->st, id, p, &e);
    if (rc == SL_ENOTFOUND)
        return not_available(err);
    return rc == SL_OK ? SL_OK : engine_failure(rc, &e, err);
}

/* The payload of a mutation: clientMutationId, errors, addOnPurchase (read
 * again: the counts changed) and the user(s). */
static sl_rc payload(sl_graphql_ctx *ctx, const json_t *input, int64_t purchase_id,
                     const char *code, const char *users_member, json_t *users,
                     sl_gql_value **out, sl_error *err)
{
    const json_t *cmid = json_object_get(input, "clientMutationId");
    sl_addon_purchase p;
    sl_error e = {0};
    json_t *o = json_object(), *errors = json_array();
    if (!o || !errors) {
        json_decref(o);
        json_decref(errors);
        json_decref(users);
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    json_object_set(o, "clientMutationId", cmid ? (json_t *)cmid : json_null());
    if (code)
        json_array_append_new(errors, json_string(code));
    json_object_set_new(o, "errors", errors);
    sl_graphql_ctx_clear(ctx);   /* the seat counts changed */
    if (!code && sl_store_addon_purchase_get(ctx->st, purchase_id, &p, &e) == SL_OK) {
        json_object_set_new(o, "addOnPurchase", purchase_json(&p));
        sl_addon_purchase_clear(&p);
    } else {
        json_object_set_new(o, "addOnPurchase", json_null());
    }
    json_object_set_new(o, users_member, users ? users : json_null());
    return answer(o, out, err);
}

/* userAddOnAssignmentCreate / Remove: one user, GitLab's single rules. */
static sl_rc m_single(const sl_gql_call *c, int assign, sl_gql_value **out, sl_error *err)
{
    sl_graphql_ctx *ctx = c->context;
    const json_t *input = json_object_get(c->args, "input");
    const char *user = json_string_value(json_object_get(input, "userId"));
    sl_addon_purchase p;
    sl_seat_outcome outcome = SL_SEAT_REFUSED;
    sl_seat_error code = SL_SEAT_OK;
    sl_error e = {0};
    json_t *nodes = NULL, *cursors = NULL, *node = NULL;
    int64_t pid;
    sl_rc rc = mutation_purchase(ctx, input, &p, err);
    if (rc != SL_OK)
        return rc;
    if (!p.active || !user) {
        sl_addon_purchase_clear(&p);
        return not_available(err);
    }
    pid = p.id;
    rc = assign ? sl_store_seats_assign(ctx->st, pid, &user, 1, 0, ctx->actor, &outcome, &code, &e)
                : sl_store_seats_unassign(ctx->st, pid, &user, 1, 0, ctx->actor, &outcome, &code, &e);
    sl_addon_purchase_clear(&p);
    if (rc == SL_EINVAL && code != SL_SEAT_OK)
        return payload(ctx, input, pid, sl_seat_error_name(code), "user", NULL, out, err);
    if (rc == SL_ENOTFOUND)
        return not_available(err);
    if (rc != SL_OK)
        return engine_failure(rc, &e, err);
    /* GitLab: removing a seat nobody holds answers a null payload */
    if (!assign && outcome == SL_SEAT_UNCHANGED) {
        sl_graphql_ctx_clear(ctx);
        return answer(json_null(), out, err);
    }
    rc = users_of(ctx, pid, &user, 1, &nodes, &cursors, err);
    if (rc != SL_OK)
        return rc;
    node = json_incref(json_array_get(nodes, 0));
    json_decref(nodes);
    json_decref(cursors);
    return payload(ctx, input, pid, NULL, "user", node, out, err);
}

static sl_rc m_create(const sl_gql_call *c, sl_gql_value **out, sl_error *err)
{
    return m_single(c, 1, out, err);
}

static sl_rc m_remove(const sl_gql_call *c, sl_gql_value **out, sl_error *err)
{
    return m_single(c, 0, out, err);
}

/* userAddOnAssignmentBulkCreate / BulkRemove: GitLab's bulk rules; users
 * are those assigned (eligible ones) or unassigned (those who held one). */
static sl_rc m_bulk(const sl_gql_call *c, int assign, sl_gql_value **out, sl_error *err)
{
    sl_graphql_ctx *ctx = c->context;
    const json_t *input = json_object_get(c->args, "input");
    const json_t *given = json_object_get(input, "userIds");
    const char *ids[SL_SEATS_BULK_MAX], *kept[SL_SEATS_BULK_MAX];
    sl_seat_outcome outcomes[SL_SEATS_BULK_MAX];
    sl_seat_error code = SL_SEAT_OK;
    sl_addon_purchase p;
    sl_error e = {0};
    size_t n = 0, nkept = 0;
    json_t *nodes = NULL, *cursors = NULL;
    int64_t pid;
    sl_rc rc = mutation_purchase(ctx, input, &p, err);
    if (rc != SL_OK)
        return rc;
    if (json_array_size(given) > SL_SEATS_BULK_MAX) {
        sl_addon_purchase_clear(&p);
        return sl_error_set(err, SL_EINVAL, "%s",
                            assign ? SL_MSG_BULK_ASSIGN_MAX : SL_MSG_BULK_UNASSIGN_MAX);
    }
    /* an id given twice counts once, as in GitLab (a set) */
    for (size_t i = 0; i < json_array_size(given); i++) {
        const char *id = json_string_value(json_array_get(given, i));
        int dup = !id;
        for (size_t k = 0; k < n && !dup; k++)
            dup = strcmp(ids[k], id) == 0;
        if (!dup)
            ids[n++] = id;
    }
    if (!p.active || n == 0) {
        sl_addon_purchase_clear(&p);
        return not_available(err);
    }
    pid = p.id;
    rc = assign ? sl_store_seats_assign(ctx->st, pid, ids, n, 1, ctx->actor, outcomes, &code, &e)
                : sl_store_seats_unassign(ctx->st, pid, ids, n, 1, ctx->actor, outcomes, &code, &e);
    sl_addon_purchase_clear(&p);
    if (rc == SL_EINVAL && code != SL_SEAT_OK)
        return payload(ctx, input, pid, sl_seat_error_name(code), "users", NULL, out, err);
    if (rc == SL_ENOTFOUND)
        return not_available(err);
    if (rc != SL_OK)
        return engine_failure(rc, &e, err);
    for (size_t i = 0; i < n; i++) {
        if (assign ? outcomes[i] != SL_SEAT_SKIPPED : outcomes[i] == SL_SEAT_CHANGED)
            kept[nkept++] = ids[i];
    }
    if (nkept > 0) {
        rc = users_of(ctx, pid, kept, nkept, &nodes, &cursors, err);
        if (rc != SL_OK)
            return rc;
    } else {
        nodes = json_array();
        cursors = json_array();
    }
    return payload(ctx, input, pid, NULL, "users", sl_graphql_connection(nodes, cursors, 0, 0),
                   out, err);
}

static sl_rc m_bulk_create(const sl_gql_call *c, sl_gql_value **out, sl_error *err)
{
    return m_bulk(c, 1, out, err);
}

/* The seat history's page: counted in a first pass, its rows collected in
 * a second (the history is append-only, so a row's position is stable and
 * the positions are the cursors, as sl_graphql_array_connection's are). */
typedef struct seat_rows {
    long seen;
    sl_graphql_window w;
    json_t *nodes, *cursors;
    int failed;
} seat_rows;

static int seat_count(void *ud, const sl_seat_event *e)
{
    (void)e;
    ((seat_rows *)ud)->seen++;
    return 0;
}

static int seat_row(void *ud, const sl_seat_event *e)
{
    seat_rows *r = ud;
    long i = r->seen++;
    sl_addon a;
    json_t *node;
    if (i < r->w.from)
        return 0;
    if (i >= r->w.from + r->w.count)
        return 1;
    node = sl_addon_parse(e->add_on, &a, NULL) == SL_OK
               ? json_pack("{s:o,s:s,s:o,s:s,s:s,s:s?,s:s}", "at", time_json(e->at_ms),
                           "addOnType", sl_addon_type_name(a), "userId",
                           sl_graphql_gid("User", e->user_id), "username", e->username, "event",
                           e->event, "reason", e->reason, "actor", e->actor)
               : NULL;
    if (!node || json_array_append_new(r->nodes, node) != 0 ||
        json_array_append_new(r->cursors, sl_graphql_position_cursor(i)) != 0) {
        r->failed = 1;
        return 1;
    }
    return 0;
}

static sl_rc q_seat_history(const sl_gql_call *c, sl_gql_value **out, sl_error *err)
{
    sl_graphql_ctx *ctx = c->context;
    const char *type = json_string_value(json_object_get(c->args, "addOnType"));
    const char *add_on = NULL;
    sl_graphql_page pg;
    seat_rows r;
    sl_error e = {0};
    sl_addon a;
    sl_rc rc;
    if (!ctx->admin)
        return not_available(err);
    if (type) {
        if (sl_addon_parse_type(type, &a, err) != SL_OK)
            return SL_EINVAL;
        add_on = sl_addon_name(a);
    }
    sl_graphql_page_args(c->args, &pg);
    memset(&r, 0, sizeof r);
    rc = sl_store_seat_history(ctx->st, add_on, INT64_MIN, INT64_MAX, seat_count, &r, &e);
    if (rc != SL_OK)
        return engine_failure(rc, &e, err);
    rc = sl_graphql_array_window(r.seen, &pg, &r.w, err);
    if (rc != SL_OK)
        return rc;
    r.seen = 0;
    r.nodes = json_array();
    r.cursors = json_array();
    rc = r.nodes && r.cursors && r.w.count > 0
             ? sl_store_seat_history(ctx->st, add_on, INT64_MIN, INT64_MAX, seat_row, &r, &e)
             : SL_OK;
    if (rc != SL_OK || r.failed || !r.nodes || !r.cursors) {
        json_decref(r.nodes);
        json_decref(r.cursors);
        if (rc != SL_OK)
            return engine_failure(rc, &e, err);
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    return answer(sl_graphql_connection(r.nodes, r.cursors, r.w.has_previous, r.w.has_next), out,
                  err);
}

static sl_rc m_bulk_remove(const sl_gql_call *c, sl_gql_value **out, sl_error *err)
{
    return m_bulk(c, 0, out, err);
}

/* ---- the binding -------------------------------------------------------------------------- */

static const struct {
    const char *coordinate;
    sl_gql_resolve_fn fn;
} resolvers[] = {
    {"Query.currentLicense", q_current_license},
    {"Query.licenseHistoryEntries", q_license_history},
    {"Query.subscriptionFutureEntries", q_future_entries},
    {"Query.addOnPurchases", q_addon_purchases},
    {"Query.selfManagedAddOnEligibleUsers", q_eligible_users},
    {"Query.billableUsersHistory", q_billable_history},
    {"Query.addOnSeatHistory", q_seat_history},
    {"Query.queryComplexity", q_query_complexity},
    {"AddOnUser.addOnAssignments", u_assignments},
    {"Mutation.userAddOnAssignmentCreate", m_create},
    {"Mutation.userAddOnAssignmentRemove", m_remove},
    {"Mutation.userAddOnAssignmentBulkCreate", m_bulk_create},
    {"Mutation.userAddOnAssignmentBulkRemove", m_bulk_remove},
};

/* Connection fields backed by a resolver: their score is multiplied by the
 * page size (the bulk payloads' users are not). */
static const char *const paged[] = {
    "Query.licenseHistoryEntries", "Query.subscriptionFutureEntries",
    "Query.selfManagedAddOnEligibleUsers", "Query.billableUsersHistory",
    "Query.addOnSeatHistory", "AddOnUser.addOnAssignments",
};

sl_rc sl_graphql_bind(sl_gql_schema *s, sl_error *err)
{
    sl_rc rc = sl_graphql_bind_scalars(s, err);
    for (size_t i = 0; rc == SL_OK && i < sizeof resolvers / sizeof resolvers[0]; i++)
        rc = sl_gql_schema_resolver(s, resolvers[i].coordinate, resolvers[i].fn, NULL, err);
    for (size_t i = 0; rc == SL_OK && i < sizeof paged / sizeof paged[0]; i++)
        rc = sl_gql_schema_cost_page(s, paged[i], SL_GRAPHQL_PAGE_MAX, err);
    if (rc == SL_OK)
        rc = sl_gql_schema_cost_arg(s, "Query.selfManagedAddOnEligibleUsers", "search",
                                    COST_SEARCH, err);
    if (rc == SL_OK)
        rc = sl_gql_schema_cost_arg(s, "Query.selfManagedAddOnEligibleUsers", "sort", COST_SORT,
                                    err);
    /* introspection fields count, __typename included, as in GitLab (its
     * introspection query gets a limit of its own, transport.c) */
    if (rc == SL_OK)
        sl_gql_schema_count_introspection(s, 1);
    return rc;
}
