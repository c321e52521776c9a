/*
 * analysis.c - what a query costs before it runs: depth as graphql-ruby's
 * max_depth counts it, the complexity score with the binding's per-field
 * metadata (graphql.h states the rules), and GitLab's recursion check.
 * Whether a figure is too much is decided in query.c with the caller's
 * limits.  Fragments are expanded where spread; validation bounded that.
 */
#include "gql_internal.h"

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

/* Every field of a selection set, fragments expanded (type conditions are
 * not looked at: every branch counts), skipped ones left out. */
static int collect(gql_vec *l, const gql_selset *ss, const json_t *vars)
{
    for (size_t i = 0; i < ss->n; i++) {
        const gql_selection *sel = ss->items[i];
        int rc = 0;
        if (gql_skipped(sel->dirs, sel->ndirs, vars))
            continue;
        if (sel->kind == GQL_SEL_INLINE)
            rc = collect(l, sel->sel, vars);
        else if (sel->kind == GQL_SEL_SPREAD)
            rc = sel->frag ? collect(l, sel->frag->sel, vars) : 0;
        else
            rc = gql_vec_push(l, (void *)sel);
        if (rc < 0)
            return -1;
    }
    return 0;
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

static long field_cost(actx *a, const gql_selection *f, long children)
{
    const gql_field_def *def = f->def;
    json_t *args = NULL;
    gql_problem pr = {0};
    long total = sat_add(1, children);
    if (!def || (!def->cost_arg[0] && !def->page_max && !def->cost_fn))
        return total;
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
static long score(actx *a, const gql_vec *l, int depth)
{
    gql_grouping g;
    long sum = 0;
    if (gql_group_fields(l, &g) < 0) {
        a->oom = 1;
        return 0;
    }
    for (size_t i = 0; i < g.n && !a->oom; i++) {
        const gql_group *grp = &g.groups[i];
        gql_vec sub = {0};
        long children = 0;
        if (uncounted(a->s, grp->fields[0]))
            continue;
        for (size_t k = 0; k < grp->n; k++) {
            if (grp->fields[k]->sel && collect(&sub, grp->fields[k]->sel, a->vars) < 0)
                a->oom = 1;
        }
        if (sub.n > 0 && depth < BRANCH_MAX)
            children = score(a, &sub, depth + 1);
        gql_vec_free(&sub);
        sum = sat_add(sum, field_cost(a, grp->fields[0], children));
    }
    gql_grouping_free(&g);
    return sum;
}

int gql_analyze(const sl_gql_schema *s, const gql_operation *op, const json_t *vars, gql_analysis *out)
{
    actx a = {s, vars, 0};
    gql_vec l = {0};
    out->depth = depth_of(s, op->sel, vars);
    if (collect(&l, op->sel, vars) < 0)
        a.oom = 1;
    out->complexity = a.oom ? 0 : score(&a, &l, 0);
    gql_vec_free(&l);
    return a.oom ? -1 : 0;
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
