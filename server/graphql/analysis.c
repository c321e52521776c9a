/*
 * analysis.c - what a query costs before it runs: depth as graphql-ruby's
 * max_depth counts it, the complexity score with the binding's per-field
 * metadata (graphql.h states the rules), and GitLab's recursion check.
 * Whether a figure is too much is decided in query.c with the caller's
 * limits.  Fragments are expanded where spread; validation bounded that.
 */
#include "internal.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* Scores saturate here instead of overflowing: nested connections
 * multiply, and anything this large is refused by any limit. */
#define COMPLEXITY_CAP (LONG_MAX / 4)
/* Fields GitLab's RecursionAnalyzer does not count. */
static const char *const recursion_ignored[] = {"node", "edges", "nodes", "ofType"};
/* Fields on one branch: validation bounds the expanded depth to 64. */
#define BRANCH_MAX 128

/* ---- depth ---------------------------------------------------------------------- */

/* Introspection fields the schema does not count. */
static int uncounted(const sl_gql_schema *s, const gql_selection *f)
{
    return s->skip_introspection && f->def && f->def->builtin;
}

static int depth_of(const sl_gql_schema *s, const gql_selset *ss, const json_t *vars)
{
    int best = 0;
    for (size_t i = 0; i < ss->n; i++) {
        const gql_selection *sel = ss->items[i];
        int d = 0;
        if (gql_skipped(sel->dirs, sel->ndirs, vars))
            continue;
        if (sel->kind == GQL_SEL_FIELD)
            d = uncounted(s, sel) ? 0 : 1 + (sel->sel ? depth_of(s, sel->sel, vars) : 0);
        else if (sel->kind == GQL_SEL_INLINE)
            d = depth_of(s, sel->sel, vars);
        else if (sel->frag)
            d = depth_of(s, sel->frag->sel, vars);
        if (d > best)
            best = d;
    }
    return best;
}

/* ---- complexity ------------------------------------------------------------------- */

typedef struct field_ref {
    const gql_selection *f;
    size_t order;
} field_ref;

typedef struct field_list {
    field_ref *items;
    size_t n, cap;
    int oom;
} field_list;

static void collect(field_list *l, const gql_selset *ss, const json_t *vars)
{
    for (size_t i = 0; i < ss->n && !l->oom; i++) {
        const gql_selection *sel = ss->items[i];
        if (gql_skipped(sel->dirs, sel->ndirs, vars))
            continue;
        if (sel->kind == GQL_SEL_INLINE) {
            collect(l, sel->sel, vars);
        } else if (sel->kind == GQL_SEL_SPREAD) {
            if (sel->frag)
                collect(l, sel->frag->sel, vars);
        } else {
            if (l->n == l->cap) {
                size_t cap = l->cap ? l->cap * 2 : 16;
                field_ref *p = realloc(l->items, cap * sizeof *p);
                if (!p) {
                    l->oom = 1;
                    return;
                }
                l->items = p;
                l->cap = cap;
            }
            l->items[l->n].f = sel;
            l->items[l->n].order = l->n;
            l->n++;
        }
    }
}

static const char *rkey(const gql_selection *f)
{
    return f->alias ? f->alias : f->name;
}

static int cmp_ref(const void *pa, const void *pb)
{
    const field_ref *a = pa, *b = pb;
    int c = strcmp(rkey(a->f), rkey(b->f));
    if (c)
        return c;
    return a->order < b->order ? -1 : a->order > b->order;
}

static long sat_add(long a, long b)
{
    return a > COMPLEXITY_CAP - b ? COMPLEXITY_CAP : a + b;
}

typedef struct actx {
    const sl_gql_schema *s;
    const json_t *vars;
    int oom;
} actx;

static long field_cost(actx *a, const field_ref *group, size_t n, long children)
{
    const gql_selection *f = group[0].f;
    const gql_field_def *def = f->def;
    json_t *args = NULL;
    gql_problem pr = {0};
    long total = sat_add(1, children);
    if (!def)
        return total;
    if (!def->cost_arg[0] && !def->page_max && !def->cost_fn)
        return total;
    (void)n;
    if (gql_coerce_args(a->s, def->args, def->nargs, f->args, f->nargs, a->vars, &args, &pr) < 0)
        args = json_object();
    gql_problem_free(&pr);
    if (!args) {
        a->oom = 1;
        return total;
    }
    for (int i = 0; i < GQL_COST_ARGS_MAX && def->cost_arg[i]; i++) {
        json_t *v = json_object_get(args, def->cost_arg[i]);
        if (v && !json_is_null(v))
            total = sat_add(total, def->cost_arg_add[i]);
    }
    if (def->page_max > 0) {
        long page = def->page_max;
        static const char *const sizes[] = {"first", "last"};
        for (int i = 0; i < 2; i++) {
            json_t *v = json_object_get(args, sizes[i]);
            if (json_is_integer(v) && json_integer_value(v) < page)
                page = json_integer_value(v) < 0 ? 0 : (long)json_integer_value(v);
        }
        /* total * (1 + page / 100), the fraction dropped */
        if (total > COMPLEXITY_CAP / (100 + page))
            total = COMPLEXITY_CAP;
        else
            total = total * (100 + page) / 100;
    }
    if (def->cost_fn) {
        sl_gql_cost_call c = {def->owner ? def->owner->name : "", def->name, args, children, total};
        total = def->cost_fn(&c, def->cost_ud);
        if (total < 0)
            total = 0;
    }
    json_decref(args);
    return total;
}

/* The score of the fields in l: one per response key, their selections
 * merged. */
static long score(actx *a, field_list *l, int depth)
{
    long sum = 0;
    size_t i = 0;
    if (l->oom) {
        a->oom = 1;
        return 0;
    }
    if (l->n > 1)
        qsort(l->items, l->n, sizeof *l->items, cmp_ref);
    while (i < l->n && !a->oom) {
        size_t j = i + 1;
        field_list sub = {0};
        long children = 0;
        while (j < l->n && strcmp(rkey(l->items[j].f), rkey(l->items[i].f)) == 0)
            j++;
        if (uncounted(a->s, l->items[i].f)) {
            i = j;
            continue;
        }
        for (size_t k = i; k < j; k++) {
            if (l->items[k].f->sel)
                collect(&sub, l->items[k].f->sel, a->vars);
        }
        if (sub.n > 0 && depth < BRANCH_MAX)
            children = score(a, &sub, depth + 1);
        if (sub.oom)
            a->oom = 1;
        free(sub.items);
        sum = sat_add(sum, field_cost(a, &l->items[i], j - i, children));
        i = j;
    }
    return sum;
}

int gql_analyze(const sl_gql_schema *s, const gql_operation *op, const json_t *vars, gql_analysis *out)
{
    actx a = {s, vars, 0};
    field_list l = {0};
    out->depth = depth_of(s, op->sel, vars);
    collect(&l, op->sel, vars);
    out->complexity = score(&a, &l, 0);
    free(l.items);
    return a.oom || l.oom ? -1 : 0;
}

/* ---- recursion --------------------------------------------------------------------- */

typedef struct rctx {
    const json_t *vars;
    int threshold;
    const char *branch[BRANCH_MAX];
    int n;
    json_t *found;
    int oom;
} rctx;

static int ignored(const char *name)
{
    for (size_t i = 0; i < sizeof recursion_ignored / sizeof recursion_ignored[0]; i++) {
        if (strcmp(name, recursion_ignored[i]) == 0)
            return 1;
    }
    return 0;
}

static void recurse(rctx *r, const gql_selset *ss)
{
    for (size_t i = 0; i < ss->n && !r->oom; i++) {
        const gql_selection *sel = ss->items[i];
        if (gql_skipped(sel->dirs, sel->ndirs, r->vars))
            continue;
        if (sel->kind == GQL_SEL_INLINE) {
            recurse(r, sel->sel);
        } else if (sel->kind == GQL_SEL_SPREAD) {
            if (sel->frag)
                recurse(r, sel->frag->sel);
        } else if (sel->sel && r->n < BRANCH_MAX) {
            /* only fields with selections count, as in GitLab */
            int times = 1;
            for (int k = 0; k < r->n; k++)
                times += strcmp(r->branch[k], sel->name) == 0;
            if (times > r->threshold && !ignored(sel->name)) {
                if (!r->found)
                    r->found = json_object();
                if (!r->found || json_object_set_new(r->found, sel->name, json_integer(times)) != 0)
                    r->oom = 1;
            }
            r->branch[r->n++] = sel->name;
            recurse(r, sel->sel);
            r->n--;
        }
    }
}

int gql_recursion(const gql_operation *op, const json_t *vars, int threshold, json_t **out)
{
    rctx r;
    memset(&r, 0, sizeof r);
    r.vars = vars;
    r.threshold = threshold;
    recurse(&r, op->sel);
    *out = r.found;
    return r.oom ? -1 : 0;
}
