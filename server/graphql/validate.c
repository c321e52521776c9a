/*
 * validate.c - the rules of spec section 5 for executable documents, in one
 * walk of the tree in document order, with graphql-ruby's messages (its
 * static_validation rules) and at most SL_GQL_ERRORS_MAX of them.  It also
 * binds each field to its definition for the stages after it, and bounds
 * what fragments can multiply: an operation's expanded depth and size.
 */
#include "gql_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Field nesting of an operation with its fragments expanded.  The parser
 * bounds brackets in one place; fragments spread into fragments stack
 * them, and analysis and execution recurse this deep. */
#define EXPANDED_DEPTH_MAX 64
/* Fields of one operation with every fragment spread expanded where it
 * stands: fragments that spread others twice at each level double the
 * work per level, which this stops before any stage is exponential. */
#define EXPANDED_FIELDS_MAX 20000
/* Path entries an error can show (operation, fragments and fields). */
#define PATH_MAX_ENTRIES (EXPANDED_DEPTH_MAX * 2 + 8)

#define MSG_TOO_DEEP "Query is nested too deeply (more than %d levels)"
#define MSG_TOO_LARGE "This query is too large to execute."

typedef struct vctx {
    const sl_gql_schema *s;
    gql_document *d;
    gql_errors *e;
    const char *path[PATH_MAX_ENTRIES];   /* "query X", "books", "... on Book" */
    char *owned[PATH_MAX_ENTRIES];        /* formatted entries to free */
    int npath;
} vctx;

/* ---- helpers ------------------------------------------------------------------ */

static int stop(const vctx *v)
{
    return v->e->full || v->e->oom;
}

static json_t *path_json(const vctx *v)
{
    json_t *p = json_array();
    for (int i = 0; p && i < v->npath; i++)
        json_array_append_new(p, json_string(v->path[i]));
    return p;
}

/* A path entry: prefix and name joined ("fragment F"), or name alone. */
static void push_path(vctx *v, const char *prefix, const char *name)
{
    char *s = NULL;
    if (v->npath >= PATH_MAX_ENTRIES) {
        v->npath++;
        return;
    }
    if (prefix) {
        size_t a = strlen(prefix), b = strlen(name);
        s = malloc(a + b + 1);
        if (s) {
            memcpy(s, prefix, a);
            memcpy(s + a, name, b + 1);
        }
    }
    v->owned[v->npath] = s;
    v->path[v->npath] = s ? s : name;
    v->npath++;
}

static void pop_path(vctx *v)
{
    v->npath--;
    if (v->npath < PATH_MAX_ENTRIES) {
        free(v->owned[v->npath]);
        v->owned[v->npath] = NULL;
    }
}

static void verr(vctx *v, uint32_t off, int with_path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void verr(vctx *v, uint32_t off, int with_path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    gql_error_addv(v->e, v->d, off, with_path ? path_json(v) : NULL, fmt, ap);
    va_end(ap);
}

/* A second location on the error just added. */
static void also_at(vctx *v, uint32_t off)
{
    json_t *last = json_array_get(v->e->list, json_array_size(v->e->list) - 1);
    json_t *locs = json_object_get(last, "locations");
    int line, col;
    if (!locs)
        return;
    gql_doc_position(v->d, off, &line, &col);
    json_array_append_new(locs, json_pack("{s:i,s:i}", "line", line, "column", col));
}

static const char *op_word(sl_gql_op op)
{
    return op == SL_GQL_OP_MUTATION ? "mutation" : op == SL_GQL_OP_SUBSCRIPTION ? "subscription" : "query";
}

static gql_fragment *find_fragment(const gql_document *d, const char *name)
{
    for (size_t i = 0; i < d->nfrags; i++) {
        if (strcmp(d->frags[i]->name, name) == 0)
            return d->frags[i];
    }
    return NULL;
}

static void suggest_fields(gql_buf *b, const sl_gql_schema *s, const gql_type *t, const char *name)
{
    const char *names[256];
    size_t n = 0;
    (void)s;
    for (size_t i = 0; i < t->nfields && n < sizeof names / sizeof names[0]; i++)
        names[n++] = t->fields[i]->name;
    gql_suggest(b, name, names, n);
}

static void suggest_inputs(gql_buf *b, gql_input_def *const *defs, size_t ndefs, const char *name)
{
    const char *names[256];
    size_t n = 0;
    for (size_t i = 0; i < ndefs && n < sizeof names / sizeof names[0]; i++)
        names[n++] = defs[i]->name;
    gql_suggest(b, name, names, n);
}

/* ---- directives ------------------------------------------------------------------ */

static const char *const loc_words[GQL_LOC_COUNT] = {
    "queries", "mutations", "subscriptions", "fields", "fragment definitions",
    "fragment spreads", "inline fragments", "variable definitions"};

static void check_arguments(vctx *v, const char *kind, const char *name, gql_input_def *const *defs,
                            size_t ndefs, gql_argument *const *args, size_t nargs, uint32_t off);

static void check_directives(vctx *v, gql_directive *const *dirs, size_t n, gql_dir_loc loc)
{
    for (size_t i = 0; i < n && !stop(v); i++) {
        const gql_directive *d = dirs[i];
        const gql_directive_def *def = gql_schema_directive(v->s, d->name);
        if (!def) {
            verr(v, d->off, 1, "Directive @%s is not defined", d->name);
            continue;
        }
        if (!(def->locations & (1u << loc))) {
            gql_buf allowed = {0};
            int first = 1;
            for (int k = 0; k < GQL_LOC_COUNT; k++) {
                if ((def->locations & (1u << k)) && loc_words[k]) {
                    gql_buf_printf(&allowed, "%s%s", first ? "" : ", ", loc_words[k]);
                    first = 0;
                }
            }
            verr(v, d->off, 1, "'@%s' can't be applied to %s (allowed: %s)", d->name, loc_words[loc],
                 allowed.s ? allowed.s : "");
            gql_buf_free(&allowed);
            continue;
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(dirs[j]->name, d->name) == 0 && !def->repeatable) {
                verr(v, d->off, 1, "The directive \"%s\" can only be used once at this location.", d->name);
                break;
            }
        }
        check_arguments(v, "Directive", d->name, def->args, def->nargs, d->args, d->nargs, d->off);
    }
}

/* ---- arguments and input literals ------------------------------------------------ */

/* Structural rules inside input object literals: fields known, unique and
 * required ones present.  Returns the number of errors found. */
static int check_input_literal(vctx *v, const gql_typeref *t, const gql_value *val, int depth)
{
    const gql_type *it;
    int bad = 0;
    if (depth > EXPANDED_DEPTH_MAX)
        return 0;
    while (t->kind == GQL_REF_NONNULL)
        t = t->of;
    if (t->kind == GQL_REF_LIST) {
        if (val->kind == GQL_V_LIST) {
            for (size_t i = 0; i < val->n; i++)
                bad += check_input_literal(v, t->of, val->items[i], depth + 1);
            return bad;
        }
        return check_input_literal(v, t->of, val, depth + 1);
    }
    it = t->type;
    if (!it || it->kind != GQL_INPUT_OBJECT || val->kind != GQL_V_OBJECT)
        return 0;
    for (size_t i = 0; i < val->n && !stop(v); i++) {
        const gql_objfield *f = val->fields[i];
        const gql_input_def *def = gql_find_input(it->inputs, it->ninputs, f->name);
        for (size_t j = 0; j < i; j++) {
            if (strcmp(val->fields[j]->name, f->name) == 0) {
                verr(v, f->off, 1, "There can be only one input field named \"%s\"", f->name);
                bad++;
                break;
            }
        }
        if (!def) {
            gql_buf b = {0};
            suggest_inputs(&b, it->inputs, it->ninputs, f->name);
            verr(v, f->off, 1, "InputObject '%s' doesn't accept argument '%s'%s", it->name, f->name,
                 b.s ? b.s : "");
            gql_buf_free(&b);
            bad++;
            continue;
        }
        bad += check_input_literal(v, def->type, f->value, depth + 1);
    }
    for (size_t k = 0; k < it->ninputs && !stop(v); k++) {
        const gql_input_def *def = it->inputs[k];
        int given = 0;
        if (def->type->kind != GQL_REF_NONNULL || def->def)
            continue;
        for (size_t i = 0; i < val->n && !given; i++)
            given = strcmp(val->fields[i]->name, def->name) == 0;
        if (!given) {
            gql_buf sig = {0};
            gql_ref_print(&sig, def->type);
            verr(v, val->off, 1, "Argument '%s' on InputObject '%s' is required. Expected type %s",
                 def->name, it->name, sig.s ? sig.s : "");
            gql_buf_free(&sig);
            bad++;
        }
    }
    return bad;
}

static void check_arguments(vctx *v, const char *kind, const char *name, gql_input_def *const *defs,
                            size_t ndefs, gql_argument *const *args, size_t nargs, uint32_t off)
{
    gql_buf missing = {0};
    for (size_t i = 0; i < nargs && !stop(v); i++) {
        const gql_argument *a = args[i];
        const gql_input_def *def = gql_find_input(defs, ndefs, a->name);
        gql_buf coercion = {0};
        int dup = 0;
        for (size_t j = 0; j < i && !dup; j++)
            dup = strcmp(args[j]->name, a->name) == 0;
        if (dup) {
            verr(v, a->off, 1, "There can be only one argument named \"%s\"", a->name);
            continue;
        }
        if (!def) {
            gql_buf b = {0};
            suggest_inputs(&b, defs, ndefs, a->name);
            verr(v, a->off, 1, "%s '%s' doesn't accept argument '%s'%s", kind, name, a->name,
                 b.s ? b.s : "");
            gql_buf_free(&b);
            continue;
        }
        if (a->value->kind == GQL_V_VARIABLE)
            continue;
        if (check_input_literal(v, def->type, a->value, 0) == 0 &&
            gql_literal_valid(v->s, def->type, a->value, 0, &coercion) < 0) {
            gql_buf val = {0}, sig = {0};
            gql_value_print(&val, a->value);
            gql_ref_print(&sig, def->type);
            /* a custom scalar's refusal says why in its own words */
            if (coercion.s)
                verr(v, a->off, 1, "%s", coercion.s);
            else
                verr(v, a->off, 1, "Argument '%s' on %s '%s' has an invalid value (%s). Expected type '%s'.",
                     a->name, kind, name, val.s ? val.s : "", sig.s ? sig.s : "");
            gql_buf_free(&val);
            gql_buf_free(&sig);
        }
        gql_buf_free(&coercion);
    }
    for (size_t k = 0; k < ndefs; k++) {
        int given = 0;
        if (defs[k]->type->kind != GQL_REF_NONNULL || defs[k]->def)
            continue;
        for (size_t i = 0; i < nargs && !given; i++)
            given = strcmp(args[i]->name, defs[k]->name) == 0;
        if (!given)
            gql_buf_printf(&missing, "%s%s", missing.len ? ", " : "", defs[k]->name);
    }
    if (missing.len && !stop(v))
        verr(v, off, 1, "%s '%s' is missing required arguments: %s", kind, name, missing.s);
    gql_buf_free(&missing);
}

/* ---- selections --------------------------------------------------------------------- */

static void check_selset(vctx *v, const gql_selset *ss, const gql_type *parent);

static void check_field(vctx *v, gql_selection *f, const gql_type *parent)
{
    const gql_field_def *def;
    const gql_type *rt;
    f->parent = parent;
    push_path(v, NULL, f->alias ? f->alias : f->name);
    def = gql_type_field(v->s, parent, f->name);
    check_directives(v, f->dirs, f->ndirs, GQL_LOC_FIELD);
    if (!def) {
        if (parent->kind == GQL_UNION && strcmp(f->name, "__typename") != 0) {
            verr(v, f->off, 1, "Selections can't be made directly on unions (see selections on %s)",
                 parent->name);
        } else {
            gql_buf b = {0};
            suggest_fields(&b, v->s, parent, f->name);
            verr(v, f->off, 1, "Field '%s' doesn't exist on type '%s'%s", f->name, parent->name,
                 b.s ? b.s : "");
            gql_buf_free(&b);
        }
        pop_path(v);
        return;
    }
    f->def = def;
    check_arguments(v, "Field", f->name, def->args, def->nargs, f->args, f->nargs, f->off);
    rt = gql_ref_named(def->type)->type;
    if (gql_type_is_composite(rt)) {
        if (!f->sel) {
            gql_buf sig = {0};
            gql_ref_print(&sig, def->type);
            verr(v, f->off, 1,
                 "Field must have selections (field '%s' returns %s but has no selections. "
                 "Did you mean '%s { ... }'?)", f->name, sig.s ? sig.s : "", f->name);
            gql_buf_free(&sig);
        } else {
            check_selset(v, f->sel, rt);
        }
    } else if (f->sel) {
        gql_buf names = {0};
        for (size_t i = 0; i < f->sel->n; i++) {
            const gql_selection *c = f->sel->items[i];
            gql_buf_printf(&names, "%s%s", i ? ", " : "",
                           c->kind == GQL_SEL_FIELD ? c->name : c->kind == GQL_SEL_SPREAD ? c->name : "...");
        }
        verr(v, f->off, 1, "Selections can't be made on %s (field '%s' returns %s but has selections [%s])",
             rt->kind == GQL_ENUM ? "enums" : "scalars", f->name, rt->name, names.s ? names.s : "");
        gql_buf_free(&names);
    }
    pop_path(v);
}

/* The type of a fragment's condition, with its errors; NULL when unusable. */
static const gql_type *condition_type(vctx *v, const char *name, uint32_t off)
{
    const gql_type *t = gql_schema_type(v->s, name);
    if (!t) {
        verr(v, off, 1, "No such type %s, so it can't be a fragment condition", name);
        return NULL;
    }
    if (!gql_type_is_composite(t)) {
        verr(v, off, 1, "Invalid fragment on type %s (must be Union, Interface or Object)", name);
        return NULL;
    }
    return t;
}

static void check_selset(vctx *v, const gql_selset *ss, const gql_type *parent)
{
    for (size_t i = 0; i < ss->n && !stop(v); i++) {
        gql_selection *sel = ss->items[i];
        if (sel->kind == GQL_SEL_FIELD) {
            check_field(v, sel, parent);
        } else if (sel->kind == GQL_SEL_INLINE) {
            const gql_type *t = parent;
            if (sel->type_cond)
                push_path(v, "... on ", sel->type_cond);
            else
                push_path(v, NULL, "...");
            check_directives(v, sel->dirs, sel->ndirs, GQL_LOC_INLINE_FRAGMENT);
            if (sel->type_cond) {
                t = condition_type(v, sel->type_cond, sel->off);
                if (t && !gql_types_overlap(t, parent)) {
                    verr(v, sel->off, 1, "Fragment on %s can't be spread inside %s", t->name, parent->name);
                    t = NULL;
                }
            }
            if (t)
                check_selset(v, sel->sel, t);
            pop_path(v);
        } else {
            gql_fragment *fr = find_fragment(v->d, sel->name);
            push_path(v, "... ", sel->name);
            check_directives(v, sel->dirs, sel->ndirs, GQL_LOC_FRAGMENT_SPREAD);
            sel->frag = fr;
            if (!fr) {
                verr(v, sel->off, 1, "Fragment %s was used, but not defined", sel->name);
            } else {
                fr->used = 1;
                if (fr->type && !gql_types_overlap(fr->type, parent))
                    verr(v, sel->off, 1, "Fragment %s on %s can't be spread inside %s", fr->name,
                         fr->type->name, parent->name);
            }
            pop_path(v);
        }
    }
}

/* ---- fragments: cycles, and the size of expansions ------------------------------------ */

typedef struct expansion {
    int depth;
    long size;
} expansion;

static int expand(vctx *v, const gql_selset *ss, expansion *out, int level);

static int expand_fragment(vctx *v, gql_fragment *f, uint32_t at)
{
    expansion x = {0, 0};
    if (f->state == 2)
        return 0;
    if (f->state == 1) {
        verr(v, f->off, 0, "Fragment %s contains an infinite loop", f->name);
        (void)at;
        return -1;
    }
    f->state = 1;
    if (expand(v, f->sel, &x, 0) < 0) {
        f->state = 2;
        f->depth = -1;
        return -1;
    }
    f->state = 2;
    f->depth = x.depth;
    f->size = x.size;
    return 0;
}

/* Depth and size of a selection set with fragments expanded (capped). */
static int expand(vctx *v, const gql_selset *ss, expansion *out, int level)
{
    out->depth = 0;
    out->size = 0;
    for (size_t i = 0; i < ss->n; i++) {
        const gql_selection *sel = ss->items[i];
        expansion sub = {0, 0};
        if (sel->kind == GQL_SEL_FIELD) {
            if (sel->sel && expand(v, sel->sel, &sub, level + 1) < 0)
                return -1;
            sub.depth += 1;
            sub.size += 1;
        } else if (sel->kind == GQL_SEL_INLINE) {
            if (expand(v, sel->sel, &sub, level + 1) < 0)
                return -1;
        } else {
            gql_fragment *f = find_fragment(v->d, sel->name);
            if (!f)
                continue;
            if (expand_fragment(v, f, sel->off) < 0)
                return -1;
            sub.depth = f->depth;
            sub.size = f->size;
        }
        if (sub.depth > out->depth)
            out->depth = sub.depth;
        out->size += sub.size;
        if (out->size > EXPANDED_FIELDS_MAX)
            out->size = EXPANDED_FIELDS_MAX + 1;
    }
    return 0;
}

/* ---- variables ------------------------------------------------------------------------ */

typedef struct var_walk {
    vctx *v;
    const gql_operation *op;
    const char *op_label;            /* "Name" or "anonymous query" */
    gql_fragment **seen;             /* fragments already walked for this operation */
    size_t nseen;
} var_walk;

static int type_error(vctx *v, const char *what, const gql_vardef *var, const gql_typeref *loc,
                      const char *arg, uint32_t off)
{
    gql_buf a = {0}, b = {0};
    gql_ref_print(&a, var->type);
    gql_ref_print(&b, loc);
    verr(v, off, 1, "%s on variable $%s and argument %s (%s / %s)", what, var->name, arg,
         a.s ? a.s : "", b.s ? b.s : "");
    gql_buf_free(&a);
    gql_buf_free(&b);
    return -1;
}

static int types_compatible(vctx *v, const gql_vardef *var, const gql_typeref *vt, const gql_typeref *lt,
                            const char *arg, uint32_t off, const gql_typeref *full_loc)
{
    if (lt->kind == GQL_REF_NONNULL) {
        if (vt->kind != GQL_REF_NONNULL)
            return type_error(v, "Nullability mismatch", var, full_loc, arg, off);
        return types_compatible(v, var, vt->of, lt->of, arg, off, full_loc);
    }
    if (vt->kind == GQL_REF_NONNULL)
        return types_compatible(v, var, vt->of, lt, arg, off, full_loc);
    if (lt->kind == GQL_REF_LIST || vt->kind == GQL_REF_LIST) {
        if (lt->kind != vt->kind)
            return type_error(v, "List dimension mismatch", var, full_loc, arg, off);
        return types_compatible(v, var, vt->of, lt->of, arg, off, full_loc);
    }
    if (strcmp(vt->name, lt->name) != 0)
        return type_error(v, "Type mismatch", var, full_loc, arg, off);
    return 0;
}

static void var_usage(var_walk *w, const gql_value *val, const gql_typeref *loc, int loc_has_default,
                      const char *arg)
{
    vctx *v = w->v;
    const gql_vardef *var = NULL;
    const gql_typeref *lt = loc;
    for (size_t i = 0; i < w->op->nvars; i++) {
        if (strcmp(w->op->vars[i]->name, val->s) == 0) {
            w->op->vars[i]->used = 1;
            if (!var)
                var = w->op->vars[i];
        }
    }
    if (!var) {
        verr(v, val->off, 1, "Variable $%s is used by %s but not declared", val->s, w->op_label);
        return;
    }
    if (!loc || !var->type)
        return;
    if (lt->kind == GQL_REF_NONNULL && var->type->kind != GQL_REF_NONNULL) {
        int var_default = var->def && var->def->kind != GQL_V_NULL;
        if (!var_default && !loc_has_default) {
            type_error(v, "Nullability mismatch", var, loc, arg, val->off);
            return;
        }
        lt = lt->of;
    }
    types_compatible(v, var, var->type, lt, arg, val->off, loc);
}

/* Variables inside a literal, each with the type its position expects. */
static void var_literal(var_walk *w, const gql_value *val, const gql_typeref *t, int has_default,
                        const char *arg, int depth)
{
    if (depth > EXPANDED_DEPTH_MAX || stop(w->v))
        return;
    if (val->kind == GQL_V_VARIABLE) {
        var_usage(w, val, t, has_default, arg);
        return;
    }
    if (val->kind == GQL_V_LIST) {
        const gql_typeref *item = NULL;
        if (t) {
            const gql_typeref *u = t->kind == GQL_REF_NONNULL ? t->of : t;
            item = u->kind == GQL_REF_LIST ? u->of : u;
        }
        for (size_t i = 0; i < val->n; i++)
            var_literal(w, val->items[i], item, 0, arg, depth + 1);
    } else if (val->kind == GQL_V_OBJECT) {
        const gql_type *it = t ? gql_ref_named(t)->type : NULL;
        for (size_t i = 0; i < val->n; i++) {
            const gql_input_def *d = NULL;
            if (it && it->kind == GQL_INPUT_OBJECT && (!t || gql_ref_named(t) == t ||
                                                       t->kind == GQL_REF_NONNULL))
                d = gql_find_input(it->inputs, it->ninputs, val->fields[i]->name);
            var_literal(w, val->fields[i]->value, d ? d->type : NULL, d && d->def, val->fields[i]->name,
                        depth + 1);
        }
    }
}

static void var_args(var_walk *w, gql_argument *const *args, size_t nargs, gql_input_def *const *defs,
                     size_t ndefs)
{
    for (size_t i = 0; i < nargs; i++) {
        const gql_input_def *d = defs ? gql_find_input(defs, ndefs, args[i]->name) : NULL;
        var_literal(w, args[i]->value, d ? d->type : NULL, d && d->def, args[i]->name, 0);
    }
}

static void var_directives(var_walk *w, gql_directive *const *dirs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const gql_directive_def *def = gql_schema_directive(w->v->s, dirs[i]->name);
        var_args(w, dirs[i]->args, dirs[i]->nargs, def ? def->args : NULL, def ? def->nargs : 0);
    }
}

static void var_selset(var_walk *w, const gql_selset *ss, int depth)
{
    if (depth > EXPANDED_DEPTH_MAX * 2)
        return;
    for (size_t i = 0; i < ss->n && !stop(w->v); i++) {
        const gql_selection *sel = ss->items[i];
        var_directives(w, sel->dirs, sel->ndirs);
        if (sel->kind == GQL_SEL_FIELD) {
            var_args(w, sel->args, sel->nargs, sel->def ? sel->def->args : NULL,
                     sel->def ? sel->def->nargs : 0);
            if (sel->sel)
                var_selset(w, sel->sel, depth + 1);
        } else if (sel->kind == GQL_SEL_INLINE) {
            var_selset(w, sel->sel, depth + 1);
        } else if (sel->frag && sel->frag->depth >= 0) {
            size_t k;
            for (k = 0; k < w->nseen && w->seen[k] != sel->frag; k++)
                ;
            if (k < w->nseen)
                continue;
            w->seen[w->nseen++] = sel->frag;
            var_directives(w, sel->frag->dirs, sel->frag->ndirs);
            var_selset(w, sel->frag->sel, depth + 1);
        }
    }
}

static void check_variables(vctx *v, gql_operation *op)
{
    for (size_t i = 0; i < op->nvars && !stop(v); i++) {
        gql_vardef *var = op->vars[i];
        const gql_typeref *named = gql_ref_named(var->type);
        gql_buf coercion = {0};
        gql_typeref *r;
        for (size_t j = 0; j < i; j++) {
            if (strcmp(op->vars[j]->name, var->name) == 0) {
                verr(v, var->off, 1, "There can only be one variable named \"%s\"", var->name);
                break;
            }
        }
        check_directives(v, var->dirs, var->ndirs, GQL_LOC_VARIABLE_DEFINITION);
        /* resolve the written names against the schema */
        for (r = var->type; r; r = r->of) {
            if (r->kind == GQL_REF_NAMED)
                r->type = gql_schema_type(v->s, r->name);
        }
        if (!named->type) {
            verr(v, var->off, 1, "%s isn't a defined input type (on $%s)", named->name, var->name);
            var->type = NULL;
            continue;
        }
        if (!gql_type_is_input(named->type)) {
            verr(v, var->off, 1, "%s isn't a valid input type (on $%s)", named->name, var->name);
            var->type = NULL;
            continue;
        }
        if (var->def && (check_input_literal(v, var->type, var->def, 0) > 0 ||
                         gql_literal_valid(v->s, var->type, var->def, 0, &coercion) < 0)) {
            gql_buf sig = {0};
            gql_ref_print(&sig, var->type);
            if (coercion.s)
                verr(v, var->def->off, 1, "%s", coercion.s);
            else
                verr(v, var->def->off, 1, "Default value for $%s doesn't match type %s", var->name,
                     sig.s ? sig.s : "");
            gql_buf_free(&sig);
        }
        gql_buf_free(&coercion);
    }
}

static void check_variable_usage(vctx *v, gql_operation *op)
{
    var_walk w = {v, op, NULL, NULL, 0};
    char label[300];
    if (op->name)
        snprintf(label, sizeof label, "%s", op->name);
    else
        snprintf(label, sizeof label, "anonymous %s", op_word(op->op));
    w.op_label = label;
    w.seen = calloc(v->d->nfrags + 1, sizeof *w.seen);
    if (!w.seen) {
        v->e->oom = 1;
        return;
    }
    var_directives(&w, op->dirs, op->ndirs);
    var_selset(&w, op->sel, 0);
    free(w.seen);
    for (size_t i = 0; i < op->nvars && !stop(v); i++) {
        if (!op->vars[i]->used)
            verr(v, op->vars[i]->off, 1, "Variable $%s is declared by %s but not used", op->vars[i]->name,
                 label);
    }
}

/* ---- overlapping fields (FieldsWillMerge) ------------------------------------------------ */

typedef struct merge_entry {
    const gql_selection *f;
    const gql_type *parent;
    size_t order;
} merge_entry;

typedef struct merge_set {
    merge_entry *items;
    size_t n, cap;
    gql_vec frags;                   /* expanded once per collection */
    int oom;
} merge_set;

static void merge_add(merge_set *m, const gql_selection *f, const gql_type *parent)
{
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 16;
        merge_entry *p = realloc(m->items, cap * sizeof *p);
        if (!p) {
            m->oom = 1;
            return;
        }
        m->items = p;
        m->cap = cap;
    }
    m->items[m->n].f = f;
    m->items[m->n].parent = parent;
    m->items[m->n].order = m->n;
    m->n++;
}

static int merge_seen(merge_set *m, const gql_fragment *f)
{
    int rc = gql_vec_add_unique(&m->frags, (void *)f);
    if (rc < 0)
        m->oom = 1;
    return rc != 0;
}

static void merge_collect(vctx *v, merge_set *m, const gql_selset *ss, const gql_type *parent)
{
    for (size_t i = 0; i < ss->n && !m->oom; i++) {
        const gql_selection *sel = ss->items[i];
        if (sel->kind == GQL_SEL_FIELD) {
            if (sel->def)
                merge_add(m, sel, parent);
        } else if (sel->kind == GQL_SEL_INLINE) {
            const gql_type *t = sel->type_cond ? gql_schema_type(v->s, sel->type_cond) : parent;
            if (gql_type_is_composite(t))
                merge_collect(v, m, sel->sel, t);
        } else if (sel->frag && sel->frag->type && sel->frag->depth >= 0 && !merge_seen(m, sel->frag)) {
            merge_collect(v, m, sel->frag->sel, sel->frag->type);
        }
    }
}

static int cmp_entry(const void *pa, const void *pb)
{
    const merge_entry *a = pa, *b = pb;
    int c = strcmp(gql_response_key(a->f), gql_response_key(b->f));
    if (c)
        return c;
    return a->order < b->order ? -1 : a->order > b->order;
}

static void print_arg_value(gql_buf *b, const gql_selection *f, const char *name)
{
    for (size_t i = 0; i < f->nargs; i++) {
        if (strcmp(f->args[i]->name, name) == 0) {
            gql_value_print(b, f->args[i]->value);
            return;
        }
    }
}

static int same_args(const gql_selection *a, const gql_selection *b)
{
    if (a->nargs != b->nargs)
        return 0;
    for (size_t i = 0; i < a->nargs; i++) {
        gql_buf x = {0}, y = {0};
        int same;
        print_arg_value(&x, a, a->args[i]->name);
        print_arg_value(&y, b, a->args[i]->name);
        same = y.len > 0 && x.len == y.len && memcmp(x.s, y.s, x.len) == 0;
        gql_buf_free(&x);
        gql_buf_free(&y);
        if (!same)
            return 0;
    }
    return 1;
}

static void print_args(gql_buf *b, const gql_selection *f)
{
    gql_buf_str(b, "{");
    for (size_t i = 0; i < f->nargs; i++) {
        gql_buf_printf(b, "%s%s: ", i ? ", " : "", f->args[i]->name);
        gql_value_print(b, f->args[i]->value);
    }
    gql_buf_str(b, "}");
}

static int same_shape(const gql_typeref *a, const gql_typeref *b)
{
    if (a->kind == GQL_REF_NONNULL || b->kind == GQL_REF_NONNULL)
        return a->kind == b->kind && same_shape(a->of, b->of);
    if (a->kind == GQL_REF_LIST || b->kind == GQL_REF_LIST)
        return a->kind == b->kind && same_shape(a->of, b->of);
    if (!gql_type_is_composite(a->type) || !gql_type_is_composite(b->type))
        return a->type == b->type;
    return 1;
}

/* 0 when a and b can merge, -1 after reporting why not. */
static int conflict(vctx *v, const merge_entry *a, const merge_entry *b)
{
    const char *key = gql_response_key(a->f);
    int exclusive = a->parent != b->parent && a->parent->kind == GQL_OBJECT &&
                    b->parent->kind == GQL_OBJECT;
    if (!exclusive && strcmp(a->f->name, b->f->name) != 0) {
        verr(v, a->f->off, 0, "Field '%s' has a field conflict: %s or %s?", key, a->f->name, b->f->name);
    } else if (!exclusive && !same_args(a->f, b->f)) {
        gql_buf x = {0}, y = {0};
        print_args(&x, a->f);
        print_args(&y, b->f);
        verr(v, a->f->off, 0, "Field '%s' has an argument conflict: %s or %s?", key, x.s ? x.s : "",
             y.s ? y.s : "");
        gql_buf_free(&x);
        gql_buf_free(&y);
    } else if (!same_shape(a->f->def->type, b->f->def->type)) {
        gql_buf x = {0}, y = {0};
        gql_ref_print(&x, a->f->def->type);
        gql_ref_print(&y, b->f->def->type);
        verr(v, a->f->off, 0, "Field '%s' has a return_type conflict: `%s` or `%s`?", key,
             x.s ? x.s : "", y.s ? y.s : "");
        gql_buf_free(&x);
        gql_buf_free(&y);
    } else {
        return 0;
    }
    also_at(v, b->f->off);
    return -1;
}

#define MERGE_REPS 8     /* distinct parent types compared against per key */

/* Fields with one response key must merge; then their selections, merged,
 * must too.  Each field is looked at once per level. */
static void merge_check(vctx *v, merge_set *m, int depth)
{
    size_t i = 0;
    if (m->oom) {
        v->e->oom = 1;
        return;
    }
    if (depth > EXPANDED_DEPTH_MAX)
        return;
    if (m->n > 1)
        qsort(m->items, m->n, sizeof *m->items, cmp_entry);
    while (i < m->n && !stop(v)) {
        size_t j = i + 1, nreps = 1;
        const merge_entry *reps[MERGE_REPS];
        merge_set sub = {0};
        int bad = 0;
        reps[0] = &m->items[i];
        while (j < m->n && strcmp(gql_response_key(m->items[j].f), gql_response_key(m->items[i].f)) == 0)
            j++;
        for (size_t k = i + 1; k < j && !bad; k++) {
            int new_parent = 1;
            for (size_t r = 0; r < nreps && !bad; r++) {
                bad = conflict(v, reps[r], &m->items[k]) < 0;
                if (reps[r]->parent == m->items[k].parent)
                    new_parent = 0;
            }
            if (new_parent && nreps < MERGE_REPS)
                reps[nreps++] = &m->items[k];
        }
        for (size_t k = i; k < j && !bad; k++) {
            const gql_selection *f = m->items[k].f;
            const gql_type *rt = gql_ref_named(f->def->type)->type;
            if (f->sel && gql_type_is_composite(rt))
                merge_collect(v, &sub, f->sel, rt);
        }
        if (!bad && sub.n > 0)
            merge_check(v, &sub, depth + 1);
        free(sub.items);
        gql_vec_free(&sub.frags);
        i = j;
    }
}

/* ---- the document ------------------------------------------------------------------------- */

static void check_operation(vctx *v, gql_operation *op)
{
    const gql_type *root = op->op == SL_GQL_OP_MUTATION ? v->s->mutation
                         : op->op == SL_GQL_OP_SUBSCRIPTION ? v->s->subscription : v->s->query;
    gql_dir_loc loc = op->op == SL_GQL_OP_MUTATION ? GQL_LOC_MUTATION
                    : op->op == SL_GQL_OP_SUBSCRIPTION ? GQL_LOC_SUBSCRIPTION : GQL_LOC_QUERY;
    if (op->name) {
        char prefix[16];
        snprintf(prefix, sizeof prefix, "%s ", op_word(op->op));
        push_path(v, prefix, op->name);
    } else {
        push_path(v, NULL, op_word(op->op));
    }
    if (!root) {
        verr(v, op->off, 1, "Schema is not configured for %ss", op_word(op->op));
        pop_path(v);
        return;
    }
    check_directives(v, op->dirs, op->ndirs, loc);
    check_variables(v, op);
    check_selset(v, op->sel, root);
    if (!stop(v))
        check_variable_usage(v, op);
    pop_path(v);
}

static void check_fragment_def(vctx *v, gql_fragment *f)
{
    push_path(v, "fragment ", f->name);
    check_directives(v, f->dirs, f->ndirs, GQL_LOC_FRAGMENT_DEFINITION);
    if (f->type)
        check_selset(v, f->sel, f->type);
    pop_path(v);
}

/* Names of operations and fragments, fragment conditions, cycles and the
 * expanded size; -1 when a limit was hit and nothing more should run. */
static int check_definitions(vctx *v)
{
    gql_document *d = v->d;
    for (size_t i = 0; i < d->nops && !stop(v); i++) {
        const gql_operation *op = d->ops[i];
        if (!op->name && d->nops > 1) {
            verr(v, op->off, 0, "Operation name is required when multiple operations are present");
            continue;
        }
        for (size_t j = 0; op->name && j < i; j++) {
            if (d->ops[j]->name && strcmp(d->ops[j]->name, op->name) == 0) {
                verr(v, op->off, 0, "Operation name \"%s\" must be unique", op->name);
                break;
            }
        }
    }
    for (size_t i = 0; i < d->nfrags && !stop(v); i++) {
        gql_fragment *f = d->frags[i];
        for (size_t j = 0; j < i; j++) {
            if (strcmp(d->frags[j]->name, f->name) == 0) {
                verr(v, f->off, 0, "Fragment name \"%s\" must be unique", f->name);
                break;
            }
        }
        push_path(v, "fragment ", f->name);
        f->type = condition_type(v, f->type_cond, f->off);
        pop_path(v);
    }
    for (size_t i = 0; i < d->nfrags && !stop(v); i++) {
        if (find_fragment(d, d->frags[i]->name) == d->frags[i])
            expand_fragment(v, d->frags[i], d->frags[i]->off);
    }
    for (size_t i = 0; i < d->nops && !stop(v); i++) {
        expansion x = {0, 0};
        if (expand(v, d->ops[i]->sel, &x, 0) < 0)
            continue;
        if (x.depth > EXPANDED_DEPTH_MAX) {
            verr(v, d->ops[i]->off, 0, MSG_TOO_DEEP, EXPANDED_DEPTH_MAX);
            return -1;
        }
        if (x.size > EXPANDED_FIELDS_MAX) {
            verr(v, d->ops[i]->off, 0, MSG_TOO_LARGE);
            return -1;
        }
    }
    return 0;
}

void gql_validate(const sl_gql_schema *s, gql_document *d, gql_errors *e)
{
    vctx v;
    size_t i = 0, j = 0;
    memset(&v, 0, sizeof v);
    v.s = s;
    v.d = d;
    v.e = e;
    if (check_definitions(&v) < 0)
        return;
    /* the rest in document order */
    while ((i < d->nops || j < d->nfrags) && !stop(&v)) {
        if (j >= d->nfrags || (i < d->nops && d->ops[i]->off < d->frags[j]->off))
            check_operation(&v, d->ops[i++]);
        else
            check_fragment_def(&v, d->frags[j++]);
    }
    for (j = 0; j < d->nfrags && !stop(&v); j++) {
        if (!d->frags[j]->used && find_fragment(d, d->frags[j]->name) == d->frags[j]) {
            push_path(&v, "fragment ", d->frags[j]->name);
            verr(&v, d->frags[j]->off, 1, "Fragment %s was defined, but not used", d->frags[j]->name);
            pop_path(&v);
        }
    }
    for (i = 0; i < d->nops && !stop(&v); i++) {
        const gql_type *root = d->ops[i]->op == SL_GQL_OP_MUTATION ? s->mutation
                             : d->ops[i]->op == SL_GQL_OP_SUBSCRIPTION ? s->subscription : s->query;
        merge_set m = {0};
        if (!root)
            continue;
        merge_collect(&v, &m, d->ops[i]->sel, root);
        merge_check(&v, &m, 0);
        free(m.items);
        gql_vec_free(&m.frags);
    }
}
