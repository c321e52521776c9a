/*
 * execute.c - running a validated operation (spec section 6): fields
 * collected with @skip/@include and fragments, resolvers called with
 * coerced arguments, values completed against their types (leaves
 * serialized, objects descended, lists item by item), null propagated up
 * to the nearest nullable field, errors with path and location, and the
 * deadline checked before every field.  Also the values resolvers return.
 */
#include "gql_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Fields one request may resolve, lists' items included.  Complexity
 * limits are the caller's and do not see how long lists really are; this
 * bounds the work and memory of any request whatever its caller allowed
 * (the toy schema's 62-level fan-out would resolve 2^30 fields).  GitLab's
 * largest pages (100 x 100) stay far below. */
#define EXEC_FIELDS_MAX 200000

#define MSG_NON_NULL "Cannot return null for non-nullable field %s.%s"
#define MSG_TIMEOUT "Timeout on %s.%s"
#define MSG_TOO_MANY_FIELDS "Query resolves more than %d fields: stopped at %s.%s"

/* ---- values from resolvers ----------------------------------------------------------- */

typedef enum { V_JSON, V_OBJECT, V_LIST, V_ERROR } vkind;

struct sl_gql_value {
    vkind kind;
    json_t *json;                    /* V_JSON */
    void *obj;                       /* V_OBJECT */
    char *type_name;
    void (*free_fn)(void *);
    sl_gql_value **items;            /* V_LIST */
    size_t n, cap;
    char *message;                   /* V_ERROR */
};

sl_gql_value *sl_gql_value_json(json_t *json)
{
    sl_gql_value *v = calloc(1, sizeof *v);
    if (!v) {
        json_decref(json);
        return NULL;
    }
    v->kind = V_JSON;
    v->json = json ? json : json_null();
    return v;
}

sl_gql_value *sl_gql_value_object(void *object, const char *type_name, void (*free_fn)(void *))
{
    sl_gql_value *v = calloc(1, sizeof *v);
    if (!v || (type_name && !(v->type_name = strdup(type_name)))) {
        free(v);
        if (free_fn)
            free_fn(object);
        return NULL;
    }
    v->kind = V_OBJECT;
    v->obj = object;
    v->free_fn = free_fn;
    return v;
}

sl_gql_value *sl_gql_value_list(void)
{
    sl_gql_value *v = calloc(1, sizeof *v);
    if (v)
        v->kind = V_LIST;
    return v;
}

sl_rc sl_gql_value_list_add(sl_gql_value *list, sl_gql_value *item)
{
    if (!list || list->kind != V_LIST) {
        sl_gql_value_free(item);
        return SL_EUSAGE;
    }
    if (list->n == list->cap) {
        size_t cap = list->cap ? list->cap * 2 : 8;
        sl_gql_value **p = realloc(list->items, cap * sizeof *p);
        if (!p) {
            sl_gql_value_free(item);
            return SL_ENOMEM;
        }
        list->items = p;
        list->cap = cap;
    }
    list->items[list->n++] = item;
    return SL_OK;
}

sl_gql_value *sl_gql_value_error(const char *message)
{
    sl_gql_value *v = calloc(1, sizeof *v);
    if (!v || !(v->message = strdup(message ? message : "Internal error"))) {
        free(v);
        return NULL;
    }
    v->kind = V_ERROR;
    return v;
}

void sl_gql_value_free(sl_gql_value *v)
{
    if (!v)
        return;
    json_decref(v->json);
    if (v->free_fn)
        v->free_fn(v->obj);
    for (size_t i = 0; i < v->n; i++)
        sl_gql_value_free(v->items[i]);
    free(v->items);
    free(v->type_name);
    free(v->message);
    free(v);
}

/* ---- the executor ------------------------------------------------------------------------ */

/* A value being completed: a resolver's value, or a JSON value borrowed
 * from one (list items, members of JSON objects).  Both NULL: null. */
typedef struct view {
    const sl_gql_value *v;
    const json_t *j;
} view;

typedef struct xctx {
    sl_gql_query *q;
    const sl_gql_schema *s;
    void *context;
    const json_t *vars;
    gql_errors *errors;
    json_t *path;
    int64_t (*now)(void);
    int64_t deadline;                /* 0: none */
    int timed_out;                   /* deadline or field cap met: stop */
    long fields;                     /* resolved so far */
    int oom;
} xctx;

/* The parent of a field: an object handle or a JSON object, its type. */
typedef struct parent {
    const void *handle;
    const json_t *json;
    const gql_type *type;
} parent;

static int64_t monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void xerror(xctx *x, const gql_selection *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void xerror(xctx *x, const gql_selection *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    gql_error_addv(x->errors, &x->q->doc, at ? at->off : GQL_NO_LOC, json_copy(x->path), fmt, ap);
    va_end(ap);
}

/* ---- collecting fields ---- */

/* Spec CollectFields: skipped selections out, fragments whose type
 * condition applies expanded, each named fragment once. */
static int collect_fields(xctx *x, gql_vec *fields, gql_vec *frags, const gql_type *type,
                          const gql_selset *ss)
{
    for (size_t i = 0; i < ss->n; i++) {
        const gql_selection *sel = ss->items[i];
        int rc = 0;
        if (gql_skipped(sel->dirs, sel->ndirs, x->vars))
            continue;
        if (sel->kind == GQL_SEL_FIELD) {
            rc = gql_vec_push(fields, (void *)sel);
        } else if (sel->kind == GQL_SEL_INLINE) {
            const gql_type *cond = sel->type_cond ? gql_schema_type(x->s, sel->type_cond) : type;
            if (cond && gql_type_possible(cond, type))
                rc = collect_fields(x, fields, frags, type, sel->sel);
        } else if (sel->frag && gql_type_possible(sel->frag->type, type)) {
            rc = gql_vec_add_unique(frags, sel->frag);
            if (rc == 0)
                rc = collect_fields(x, fields, frags, type, sel->frag->sel);
        }
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* ---- completing values ---- */

static json_t *execute_selset(xctx *x, const gql_type *type, parent *p, const gql_group *g);

static json_t *complete(xctx *x, const gql_typeref *t, const gql_group *g, view v, const gql_type *owner);

static const gql_type *concrete_type(xctx *x, const gql_type *t, view v)
{
    const char *name = NULL;
    const gql_type *c;
    if (t->kind == GQL_OBJECT)
        return t;
    if (v.v && v.v->kind == V_OBJECT) {
        name = v.v->type_name;
        if (!name && x->s->resolve_type)
            name = x->s->resolve_type(v.v->obj, t->name, x->s->resolve_type_ud);
    } else if (v.j) {
        name = json_string_value(json_object_get(v.j, "__typename"));
    }
    c = name ? gql_schema_type(x->s, name) : NULL;
    if (!c || c->kind != GQL_OBJECT || !gql_type_possible(t, c))
        return NULL;
    return c;
}

static json_t *serialize_leaf(xctx *x, const gql_type *t, const json_t *j, const gql_selection *at,
                              int *errored)
{
    gql_buf b = {0};
    json_t *out;
    if (gql_leaf_json(x->s, t, j, 1, &out) == 0)
        return out;
    gql_json_print(&b, j);
    xerror(x, at, "%s cannot represent value: %s", t->name, b.s ? b.s : "");
    gql_buf_free(&b);
    *errored = 1;
    return json_null();
}

/* A value of a type that is not NON_NULL; NULL means the position cannot
 * hold one (a non-null item of a list failed) and its parent decides. */
static json_t *complete_inner(xctx *x, const gql_typeref *t, const gql_group *g, view v,
                              const gql_type *owner, int *errored)
{
    const gql_selection *at = g->fields[0];
    if ((!v.v && !v.j) || (v.j && json_is_null(v.j)) ||
        (v.v && v.v->kind == V_JSON && json_is_null(v.v->json)))
        return json_null();
    if (v.v && v.v->kind == V_ERROR) {
        xerror(x, at, "%s", v.v->message);
        *errored = 1;
        return json_null();
    }
    if (v.v && v.v->kind == V_JSON) {
        v.j = v.v->json;
        v.v = NULL;
    }
    if (t->kind == GQL_REF_LIST) {
        json_t *out = json_array();
        size_t n = v.v ? (v.v->kind == V_LIST ? v.v->n : 0) : json_array_size(v.j);
        if (!out) {
            x->oom = 1;
            return NULL;
        }
        if ((v.v && v.v->kind != V_LIST) || (v.j && !json_is_array(v.j))) {
            json_decref(out);
            xerror(x, at, "Expected a list for %s.%s", owner->name, at->name);
            *errored = 1;
            return json_null();
        }
        for (size_t i = 0; i < n; i++) {
            view item = {NULL, NULL};
            json_t *r;
            if (v.v)
                item.v = v.v->items[i];
            else
                item.j = json_array_get(v.j, i);
            json_array_append_new(x->path, json_integer((json_int_t)i));
            r = complete(x, t->of, g, item, owner);
            json_array_remove(x->path, json_array_size(x->path) - 1);
            if (!r) {
                json_decref(out);
                return NULL;
            }
            json_array_append_new(out, r);
        }
        return out;
    }
    if (gql_type_is_composite(t->type)) {
        const gql_type *c = concrete_type(x, t->type, v);
        parent p = {NULL, NULL, c};
        if ((v.j && !json_is_object(v.j)) || (v.v && v.v->kind != V_OBJECT)) {
            xerror(x, at, "Expected an object for %s.%s", owner->name, at->name);
            *errored = 1;
            return json_null();
        }
        if (!c) {
            xerror(x, at, "Cannot resolve the concrete type of %s.%s", owner->name, at->name);
            *errored = 1;
            return json_null();
        }
        if (v.v)
            p.handle = v.v->obj;
        else
            p.json = v.j;
        return execute_selset(x, c, &p, g);
    }
    if (v.v) {
        xerror(x, at, "%s cannot represent an object", t->type->name);
        *errored = 1;
        return json_null();
    }
    return serialize_leaf(x, t->type, v.j, at, errored);
}

static json_t *complete(xctx *x, const gql_typeref *t, const gql_group *g, view v, const gql_type *owner)
{
    int errored = 0;
    json_t *r;
    if (t->kind == GQL_REF_NONNULL) {
        r = complete_inner(x, t->of, g, v, owner, &errored);
        if (r && !json_is_null(r))
            return r;
        if (r && !errored)
            xerror(x, g->fields[0], MSG_NON_NULL, owner->name, g->fields[0]->name);
        json_decref(r);
        return NULL;
    }
    r = complete_inner(x, t, g, v, owner, &errored);
    return r ? r : json_null();
}

/* ---- fields ---- */

/* 0 go on; 1 stopped earlier; 2 the deadline passed now; 3 the field
 * cap was reached now. */
static int past_deadline(xctx *x)
{
    if (x->timed_out)
        return 1;
    if (++x->fields > EXEC_FIELDS_MAX) {
        x->timed_out = 1;
        return 3;
    }
    if (x->deadline && x->now() > x->deadline) {
        x->timed_out = 1;
        return 2;
    }
    return 0;
}

/* The value of one field; NULL when it must propagate null. */
static json_t *execute_field(xctx *x, const gql_type *type, parent *p, const gql_group *g)
{
    const gql_selection *f = g->fields[0];
    const gql_field_def *def = gql_type_field(x->s, type, f->name);
    sl_gql_resolve_fn fn;
    void *ud;
    json_t *args = NULL, *r = NULL;
    sl_gql_value *val = NULL;
    view v = {NULL, NULL};
    gql_problem pr = {0};
    int late;
    if (!def)
        return json_null();
    if (def == x->s->f_typename)
        return json_string(type->name);
    late = past_deadline(x);
    if (late) {
        if (late == 2)
            xerror(x, f, MSG_TIMEOUT, type->name, f->name);
        else if (late == 3)
            xerror(x, f, MSG_TOO_MANY_FIELDS, EXEC_FIELDS_MAX, type->name, f->name);
        /* a null without another error: later fields are cut short */
        return def->type->kind == GQL_REF_NONNULL ? NULL : json_null();
    }
    if (gql_coerce_args(x->s, def->args, def->nargs, f->args, f->nargs, x->vars, &args, &pr) < 0) {
        gql_buf where = {0};
        gql_problem_path(&where, &pr);
        xerror(x, f, "Argument '%s' on Field '%s' has an invalid value: %s",
               where.s ? where.s : "", f->name, pr.why.s ? pr.why.s : "");
        gql_buf_free(&where);
        gql_problem_free(&pr);
        return def->type->kind == GQL_REF_NONNULL ? NULL : json_null();
    }
    fn = def->resolve ? def->resolve : type->resolve_all;
    ud = def->resolve ? def->resolve_ud : type->resolve_all_ud;
    if (fn) {
        sl_error err = {0};
        sl_gql_call call = {x->context, ud, p->json ? (const void *)p->json : p->handle,
                            p->json != NULL, type->name, def->name, args, x->q};
        sl_rc rc = fn(&call, &val, &err);
        if (rc != SL_OK) {
            sl_gql_value_free(val);
            val = sl_gql_value_error(err.message[0] ? err.message : "Internal error");
            if (!val)
                x->oom = 1;
        }
        v.v = val;
    } else if (p->json) {
        v.j = json_object_get(p->json, def->name);
    } else {
        val = sl_gql_value_error("Internal error");
        v.v = val;
    }
    r = complete(x, def->type, g, v, type);
    sl_gql_value_free(val);
    json_decref(args);
    return r;
}

/* The selections of a group's fields, merged, executed on an object of
 * a concrete type; g NULL for the operation's own selection set (in
 * x->q->op).  NULL when a non-null field failed. */
static json_t *execute_selset(xctx *x, const gql_type *type, parent *p, const gql_group *g)
{
    gql_vec fields = {0}, frags = {0};
    gql_grouping grouping = {0};
    json_t *out = json_object();
    int rc = 0;
    if (!g) {
        rc = collect_fields(x, &fields, &frags, type, x->q->op->sel);
    } else {
        for (size_t i = 0; i < g->n && rc == 0; i++) {
            if (g->fields[i]->sel)
                rc = collect_fields(x, &fields, &frags, type, g->fields[i]->sel);
        }
    }
    if (!out || rc < 0 || gql_group_fields(&fields, &grouping) < 0)
        x->oom = 1;
    for (size_t i = 0; i < grouping.n && !x->oom; i++) {
        const char *key = gql_response_key(grouping.groups[i].fields[0]);
        json_t *r;
        json_array_append_new(x->path, json_string(key));
        r = execute_field(x, type, p, &grouping.groups[i]);
        json_array_remove(x->path, json_array_size(x->path) - 1);
        if (!r) {
            json_decref(out);
            out = NULL;
            break;
        }
        json_object_set_new(out, key, r);
    }
    gql_grouping_free(&grouping);
    gql_vec_free(&fields);
    gql_vec_free(&frags);
    if (x->oom) {
        json_decref(out);
        return NULL;
    }
    return out;
}

sl_rc gql_execute(sl_gql_query *q, void *context, const sl_gql_limits *lim, json_t **data,
                  gql_errors *errors)
{
    xctx x;
    const sl_gql_schema *s = q->schema;
    const gql_type *root = q->op->op == SL_GQL_OP_MUTATION ? s->mutation : s->query;
    parent p = {NULL, NULL, root};
    memset(&x, 0, sizeof x);
    x.q = q;
    x.s = s;
    x.context = context;
    x.vars = q->vars;
    x.errors = errors;
    x.path = json_array();
    x.now = lim && lim->now_ms ? lim->now_ms : monotonic_ms;
    if (lim && lim->timeout_ms > 0)
        x.deadline = x.now() + lim->timeout_ms;
    if (!x.path)
        return SL_ENOMEM;
    /* mutation fields run in order like every field here: one at a time */
    *data = execute_selset(&x, root, &p, NULL);
    json_decref(x.path);
    if (!*data)
        *data = json_null();
    if (x.oom || errors->oom || !*data) {
        json_decref(*data);
        *data = NULL;
        return SL_ENOMEM;
    }
    return SL_OK;
}
