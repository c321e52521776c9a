/*
 * schema.c - the schema object: the binding's SDL loaded on top of the
 * built-in scalars, directives and introspection types, root types chosen,
 * possible types of interfaces and unions computed, and resolvers, scalar
 * parsers and complexity metadata attached by "Type.field" coordinate.
 */
#include "gql_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COORD_MAX 256    /* "Type.field" of a binding: names are short */

static const char builtin_sdl[] =
    "\"Signed 32-bit whole numbers.\"\n"
    "scalar Int\n"
    "\"Double-precision floating-point numbers.\"\n"
    "scalar Float\n"
    "\"UTF-8 text.\"\n"
    "scalar String\n"
    "\"`true` or `false`.\"\n"
    "scalar Boolean\n"
    "\"An opaque unique identifier, serialized as a string.\"\n"
    "scalar ID\n"
    "\"Include this field or fragment only when `if` is true.\"\n"
    "directive @include(\"Included when true.\" if: Boolean!)"
    " on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT\n"
    "\"Skip this field or fragment when `if` is true.\"\n"
    "directive @skip(\"Skipped when true.\" if: Boolean!)"
    " on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT\n"
    "\"Marks an element of the schema as no longer supported.\"\n"
    "directive @deprecated(\"Why, and what to use instead.\""
    " reason: String = \"No longer supported\")"
    " on FIELD_DEFINITION | ARGUMENT_DEFINITION | INPUT_FIELD_DEFINITION | ENUM_VALUE\n"
    "\"Names the specification of a custom scalar.\"\n"
    "directive @specifiedBy(\"The URL of the specification.\" url: String!) on SCALAR\n";

const char *const gql_dir_loc_names[GQL_LOC_COUNT] = {
    "QUERY", "MUTATION", "SUBSCRIPTION", "FIELD", "FRAGMENT_DEFINITION", "FRAGMENT_SPREAD",
    "INLINE_FRAGMENT", "VARIABLE_DEFINITION", "SCHEMA", "SCALAR", "OBJECT", "FIELD_DEFINITION",
    "ARGUMENT_DEFINITION", "INTERFACE", "UNION", "ENUM", "ENUM_VALUE", "INPUT_OBJECT",
    "INPUT_FIELD_DEFINITION"};

/* ---- lookups ----------------------------------------------------------------- */

gql_type *gql_schema_type(const sl_gql_schema *s, const char *name)
{
    for (size_t i = 0; i < s->types.n; i++) {
        gql_type *t = s->types.items[i];
        if (strcmp(t->name, name) == 0)
            return t;
    }
    return NULL;
}

const gql_directive_def *gql_schema_directive(const sl_gql_schema *s, const char *name)
{
    for (size_t i = 0; i < s->directives.n; i++) {
        const gql_directive_def *d = s->directives.items[i];
        if (strcmp(d->name, name) == 0)
            return d;
    }
    return NULL;
}

const gql_field_def *gql_type_field(const sl_gql_schema *s, const gql_type *t, const char *name)
{
    if (name[0] == '_' && name[1] == '_') {
        if (strcmp(name, "__typename") == 0 && gql_type_is_composite(t))
            return s->f_typename;
        if (t == s->query && strcmp(name, "__schema") == 0)
            return s->f_schema;
        if (t == s->query && strcmp(name, "__type") == 0)
            return s->f_type;
    }
    for (size_t i = 0; i < t->nfields; i++) {
        if (strcmp(t->fields[i]->name, name) == 0)
            return t->fields[i];
    }
    return NULL;
}

const gql_input_def *gql_find_input(gql_input_def *const *defs, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(defs[i]->name, name) == 0)
            return defs[i];
    }
    return NULL;
}

const gql_typeref *gql_ref_named(const gql_typeref *r)
{
    while (r->kind != GQL_REF_NAMED)
        r = r->of;
    return r;
}

void gql_ref_print(gql_buf *b, const gql_typeref *r)
{
    switch (r->kind) {
    case GQL_REF_NAMED:
        gql_buf_str(b, r->name);
        break;
    case GQL_REF_LIST:
        gql_buf_str(b, "[");
        gql_ref_print(b, r->of);
        gql_buf_str(b, "]");
        break;
    case GQL_REF_NONNULL:
        gql_ref_print(b, r->of);
        gql_buf_str(b, "!");
        break;
    }
}

int gql_type_is_composite(const gql_type *t)
{
    return t && (t->kind == GQL_OBJECT || t->kind == GQL_INTERFACE || t->kind == GQL_UNION);
}

int gql_type_is_input(const gql_type *t)
{
    return t && (t->kind == GQL_SCALAR || t->kind == GQL_ENUM || t->kind == GQL_INPUT_OBJECT);
}

int gql_type_is_abstract(const gql_type *t)
{
    return t && (t->kind == GQL_INTERFACE || t->kind == GQL_UNION);
}

int gql_type_possible(const gql_type *t, const gql_type *obj)
{
    if (t == obj)
        return 1;
    for (size_t i = 0; i < t->npossible; i++) {
        if (t->possible[i] == obj)
            return 1;
    }
    return 0;
}

int gql_types_overlap(const gql_type *a, const gql_type *b)
{
    if (a == b)
        return 1;
    if (a->kind == GQL_OBJECT)
        return gql_type_possible(b, a);
    if (b->kind == GQL_OBJECT)
        return gql_type_possible(a, b);
    for (size_t i = 0; i < a->npossible; i++) {
        if (gql_type_possible(b, a->possible[i]))
            return 1;
    }
    return 0;
}

/* ---- building ------------------------------------------------------------------ */

static int implements_iface(const gql_type *t, const gql_type *iface)
{
    for (size_t i = 0; i < t->ninterfaces; i++) {
        if (t->interfaces[i]->type == iface)
            return 1;
    }
    return 0;
}

static sl_rc compute_possible(sl_gql_schema *s, sl_error *err)
{
    for (size_t i = 0; i < s->types.n; i++) {
        gql_type *t = s->types.items[i];
        gql_vec v = {0};
        if (t->kind == GQL_UNION) {
            for (size_t m = 0; m < t->nmembers; m++) {
                if (gql_vec_push(&v, t->members[m]->type) < 0)
                    goto oom;
            }
        } else if (t->kind == GQL_INTERFACE) {
            for (size_t j = 0; j < s->types.n; j++) {
                gql_type *o = s->types.items[j];
                if (o->kind == GQL_OBJECT && implements_iface(o, t) && gql_vec_push(&v, o) < 0)
                    goto oom;
            }
        } else {
            continue;
        }
        t->possible = (const gql_type **)gql_vec_finish(&v, &s->arena, &t->npossible);
        if (!t->possible && t->npossible == 0 && s->arena.oom)
            goto oom;
        continue;
    oom:
        gql_vec_free(&v);
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    return SL_OK;
}

static gql_typeref *make_ref(sl_gql_schema *s, gql_type *t, int non_null)
{
    gql_typeref *r = &t->self, *nn;
    if (!non_null)
        return r;
    nn = gql_alloc(&s->arena, sizeof *nn);
    if (nn) {
        nn->kind = GQL_REF_NONNULL;
        nn->of = r;
    }
    return nn;
}

static gql_field_def *implicit_field(sl_gql_schema *s, const char *name, gql_type *type, int non_null)
{
    gql_field_def *f = gql_alloc(&s->arena, sizeof *f);
    if (!f || !type)
        return NULL;
    f->name = name;
    f->type = make_ref(s, type, non_null);
    f->builtin = 1;
    return f->type ? f : NULL;
}

static sl_rc finalize(sl_gql_schema *s, sl_error *err)
{
    gql_input_def *name_arg;
    if (!s->query)
        s->query = gql_schema_type(s, "Query");
    if (!s->mutation)
        s->mutation = gql_schema_type(s, "Mutation");
    if (!s->subscription)
        s->subscription = gql_schema_type(s, "Subscription");
    if (!s->query || s->query->kind != GQL_OBJECT)
        return sl_error_set(err, SL_EINVAL, "sdl: no query type");
    if ((s->mutation && s->mutation->kind != GQL_OBJECT) ||
        (s->subscription && s->subscription->kind != GQL_OBJECT))
        return sl_error_set(err, SL_EINVAL, "sdl: root types must be object types");
    if (compute_possible(s, err) != SL_OK)
        return err ? err->code : SL_ENOMEM;
    s->t_int = gql_schema_type(s, "Int");
    s->t_float = gql_schema_type(s, "Float");
    s->t_string = gql_schema_type(s, "String");
    s->t_boolean = gql_schema_type(s, "Boolean");
    s->t_id = gql_schema_type(s, "ID");
    s->f_typename = implicit_field(s, "__typename", s->t_string, 1);
    s->f_schema = implicit_field(s, "__schema", gql_schema_type(s, "__Schema"), 1);
    s->f_type = implicit_field(s, "__type", gql_schema_type(s, "__Type"), 0);
    name_arg = gql_alloc(&s->arena, sizeof *name_arg);
    if (!s->f_typename || !s->f_schema || !s->f_type || !name_arg ||
        !(s->f_type->args = gql_alloc(&s->arena, sizeof *s->f_type->args)))
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    name_arg->name = "name";
    name_arg->type = make_ref(s, s->t_string, 1);
    s->f_type->args[0] = name_arg;
    s->f_type->nargs = 1;
    s->f_typename->owner = s->f_schema->owner = s->f_type->owner = s->query;
    return gql_introspection_attach(s, err);
}

sl_rc sl_gql_schema_new(const char *sdl, size_t len, sl_gql_schema **out, sl_error *err)
{
    sl_gql_schema *s = calloc(1, sizeof *s);
    sl_rc rc;
    *out = NULL;
    if (!s)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    rc = gql_sdl_load(s, builtin_sdl, sizeof builtin_sdl - 1, 1, err);
    if (rc == SL_OK)
        rc = gql_sdl_load(s, gql_introspection_sdl, strlen(gql_introspection_sdl), 1, err);
    if (rc == SL_OK)
        rc = gql_sdl_load(s, sdl, len, 0, err);
    if (rc == SL_OK)
        rc = finalize(s, err);
    if (rc != SL_OK) {
        sl_gql_schema_free(s);
        return rc;
    }
    *out = s;
    return SL_OK;
}

void sl_gql_schema_free(sl_gql_schema *s)
{
    if (!s)
        return;
    gql_vec_free(&s->types);
    gql_vec_free(&s->directives);
    gql_arena_free(&s->arena);
    free(s);
}

/* ---- attaching behaviour ----------------------------------------------------- */

/* The type and field (NULL for "Type.*" when star_ok) of a coordinate. */
static sl_rc coordinate(sl_gql_schema *s, const char *coord, int star_ok, gql_type **type,
                        gql_field_def **field, sl_error *err)
{
    char buf[COORD_MAX];
    const char *dot = strchr(coord, '.');
    size_t n = dot ? (size_t)(dot - coord) : 0;
    *type = NULL;
    *field = NULL;
    if (!dot || n == 0 || n >= sizeof buf)
        return sl_error_set(err, SL_EUSAGE, "bad coordinate '%s': want Type.field", coord);
    memcpy(buf, coord, n);
    buf[n] = '\0';
    *type = gql_schema_type(s, buf);
    if (!*type || ((*type)->kind != GQL_OBJECT && (*type)->kind != GQL_INTERFACE))
        return sl_error_set(err, SL_ENOTFOUND, "no object type '%s'", buf);
    if (star_ok && strcmp(dot + 1, "*") == 0)
        return SL_OK;
    for (size_t i = 0; i < (*type)->nfields; i++) {
        if (strcmp((*type)->fields[i]->name, dot + 1) == 0) {
            *field = (*type)->fields[i];
            return SL_OK;
        }
    }
    return sl_error_set(err, SL_ENOTFOUND, "no field '%s'", coord);
}

sl_rc sl_gql_schema_resolver(sl_gql_schema *s, const char *coord, sl_gql_resolve_fn fn,
                             void *userdata, sl_error *err)
{
    gql_type *t;
    gql_field_def *f;
    sl_rc rc = coordinate(s, coord, 1, &t, &f, err);
    if (rc != SL_OK)
        return rc;
    if (f) {
        f->resolve = fn;
        f->resolve_ud = userdata;
    } else {
        t->resolve_all = fn;
        t->resolve_all_ud = userdata;
    }
    return SL_OK;
}

void sl_gql_schema_count_introspection(sl_gql_schema *s, int count)
{
    s->skip_introspection = !count;
}

void sl_gql_schema_type_resolver(sl_gql_schema *s, sl_gql_type_fn fn, void *userdata)
{
    s->resolve_type = fn;
    s->resolve_type_ud = userdata;
}

sl_rc sl_gql_schema_scalar(sl_gql_schema *s, const char *type, sl_gql_scalar_fn fn, void *userdata,
                           sl_error *err)
{
    gql_type *t = gql_schema_type(s, type);
    if (!t || t->kind != GQL_SCALAR || t->builtin)
        return sl_error_set(err, SL_ENOTFOUND, "no custom scalar '%s'", type);
    t->parse = fn;
    t->parse_ud = userdata;
    return SL_OK;
}

/* The field of a "Type.field" coordinate; NULL with err set. */
static gql_field_def *field_at(sl_gql_schema *s, const char *coord, sl_error *err)
{
    gql_type *t;
    gql_field_def *f;
    return coordinate(s, coord, 0, &t, &f, err) == SL_OK ? f : NULL;
}

sl_rc sl_gql_schema_cost_arg(sl_gql_schema *s, const char *coord, const char *arg, long add,
                             sl_error *err)
{
    gql_field_def *f = field_at(s, coord, err);
    if (!f)
        return err ? err->code : SL_ENOTFOUND;
    if (!gql_find_input(f->args, f->nargs, arg))
        return sl_error_set(err, SL_ENOTFOUND, "field '%s' has no argument '%s'", coord, arg);
    for (int i = 0; i < GQL_COST_ARGS_MAX; i++) {
        if (!f->cost_arg[i] || strcmp(f->cost_arg[i], arg) == 0) {
            f->cost_arg[i] = gql_strdup(&s->arena, arg);
            f->cost_arg_add[i] = add;
            return f->cost_arg[i] ? SL_OK : sl_error_set(err, SL_ENOMEM, "out of memory");
        }
    }
    return sl_error_set(err, SL_ETOOBIG, "field '%s' has more than %d argument costs", coord,
                        GQL_COST_ARGS_MAX);
}

sl_rc sl_gql_schema_cost_page(sl_gql_schema *s, const char *coord, long page_max, sl_error *err)
{
    gql_field_def *f = field_at(s, coord, err);
    if (!f)
        return err ? err->code : SL_ENOTFOUND;
    if (page_max <= 0)
        return sl_error_set(err, SL_EUSAGE, "page size of '%s' must be positive", coord);
    f->page_max = page_max;
    return SL_OK;
}

sl_rc sl_gql_schema_cost_fn(sl_gql_schema *s, const char *coord, sl_gql_cost_fn fn, void *userdata,
                            sl_error *err)
{
    gql_field_def *f = field_at(s, coord, err);
    if (!f)
        return err ? err->code : SL_ENOTFOUND;
    f->cost_fn = fn;
    f->cost_ud = userdata;
    return SL_OK;
}
