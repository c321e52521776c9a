/*
 * sdl.c - the type system language (spec section 3) into the schema's
 * types: scalar, type, interface, union, enum, input, directive and schema
 * definitions with descriptions, defaults, @deprecated and @specifiedBy.
 * The SDL is the binding's own text, trusted but still parsed with caps;
 * `extend` and custom directives on definitions are refused.
 */
#include "gql_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_DEPRECATION "No longer supported"

typedef struct sdl {
    gql_parser p;
    sl_gql_schema *s;
    int builtin;
    gql_vec refs;                    /* every named gql_typeref, resolved at the end */
    gql_typeref *roots[3];           /* schema { query mutation subscription } */
    char *msg;                       /* a consistency error (heap) */
} sdl;

static int sdl_fail(sdl *x, uint32_t off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int sdl_fail(sdl *x, uint32_t off, const char *fmt, ...)
{
    char msg[512];
    int line, col;
    va_list ap;
    if (x->msg || x->p.failed)
        return -1;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    gql_doc_position(x->p.doc, off, &line, &col);
    x->msg = malloc(strlen(msg) + 32);
    if (x->msg)
        sprintf(x->msg, "%s at [%d, %d]", msg, line, col);
    return -1;
}

static void *sdl_alloc(sdl *x, size_t size)
{
    void *p = gql_alloc(&x->p.doc->arena, size);
    if (!p)
        x->p.rc = SL_ENOMEM;
    return p;
}

static int note_refs(sdl *x, gql_typeref *r)
{
    for (; r; r = r->of) {
        if (r->kind == GQL_REF_NAMED && gql_vec_push(&x->refs, r) < 0) {
            x->p.rc = SL_ENOMEM;
            return -1;
        }
    }
    return 0;
}

static gql_typeref *sdl_type(sdl *x)
{
    gql_typeref *r = gql_parse_type(&x->p);
    if (r && note_refs(x, r) < 0)
        return NULL;
    return r;
}

static const char *description(sdl *x)
{
    const char *d = NULL;
    if (x->p.lx.tok.kind == GQL_T_STRING || x->p.lx.tok.kind == GQL_T_BLOCK_STRING) {
        d = x->p.lx.tok.value;
        if (gql_parse_next(&x->p) < 0)
            return NULL;
    }
    return d;
}

/* Directives on a definition: @deprecated(reason:) where deprecation is
 * wanted (dep != NULL), @specifiedBy(url:) where url != NULL. */
static int sdl_directives(sdl *x, const char **dep, const char **url)
{
    gql_directive **dirs;
    size_t n;
    if (gql_parse_directives(&x->p, 1, &dirs, &n) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        gql_directive *d = dirs[i];
        const char *want = NULL;
        if (dep && strcmp(d->name, "deprecated") == 0) {
            *dep = DEFAULT_DEPRECATION;
            want = "reason";
        } else if (url && strcmp(d->name, "specifiedBy") == 0) {
            want = "url";
        } else {
            return sdl_fail(x, d->off, "unsupported directive @%s here", d->name);
        }
        for (size_t a = 0; a < d->nargs; a++) {
            if (strcmp(d->args[a]->name, want) != 0 || d->args[a]->value->kind != GQL_V_STRING)
                return sdl_fail(x, d->args[a]->off, "bad argument '%s' of @%s", d->args[a]->name,
                                d->name);
            if (dep && strcmp(d->name, "deprecated") == 0)
                *dep = d->args[a]->value->s;
            else
                *url = d->args[a]->value->s;
        }
        if (url && strcmp(d->name, "specifiedBy") == 0 && !*url)
            return sdl_fail(x, d->off, "@specifiedBy needs url");
    }
    return 0;
}

static int check_name(sdl *x, const char *name, uint32_t off)
{
    if (!x->builtin && name[0] == '_' && name[1] == '_')
        return sdl_fail(x, off, "name '%s' must not begin with \"__\"", name);
    return 0;
}

static gql_input_def *input_value(sdl *x)
{
    gql_input_def *d = sdl_alloc(x, sizeof *d);
    uint32_t off;
    if (!d)
        return NULL;
    d->description = description(x);
    off = x->p.lx.tok.off;
    if (x->p.failed || !(d->name = gql_parse_name(&x->p)) || check_name(x, d->name, off) < 0 ||
        gql_parse_expect(&x->p, GQL_T_COLON) < 0 || !(d->type = sdl_type(x)))
        return NULL;
    if (x->p.lx.tok.kind == GQL_T_EQUALS &&
        (gql_parse_next(&x->p) < 0 || !(d->def = gql_parse_value(&x->p, 1))))
        return NULL;
    if (sdl_directives(x, &d->deprecation, NULL) < 0)
        return NULL;
    return d;
}

static int push(sdl *x, gql_vec *v, void *item)
{
    if (!item)
        return -1;
    if (gql_vec_push(v, item) < 0) {
        x->p.rc = SL_ENOMEM;
        return -1;
    }
    return 0;
}

static void **finish(sdl *x, gql_vec *v, size_t *n)
{
    size_t want = v->n;
    void **out = gql_vec_finish(v, &x->p.doc->arena, n);
    if (want && !out)
        x->p.rc = SL_ENOMEM;
    return out;
}

/* open item* close, each item parsed by one(x, t); nothing when the list
 * does not start here. */
static int item_list(sdl *x, gql_tok_kind open, gql_tok_kind close, void *(*one)(sdl *x, gql_type *t),
                     gql_type *t, void ***out, size_t *n)
{
    gql_vec v = {0};
    *out = NULL;
    *n = 0;
    if (x->p.lx.tok.kind != open)
        return 0;
    if (gql_parse_next(&x->p) < 0)
        return -1;
    while (x->p.lx.tok.kind != close) {
        if (push(x, &v, one(x, t)) < 0) {
            gql_vec_free(&v);
            return -1;
        }
    }
    *out = finish(x, &v, n);
    if (x->p.rc != SL_OK)
        return -1;
    return gql_parse_next(&x->p);
}

static void *input_item(sdl *x, gql_type *t)
{
    (void)t;
    return input_value(x);
}

/* "(" InputValueDefinition+ ")" or "{" ... "}" */
static int input_values(sdl *x, gql_tok_kind open, gql_tok_kind close, gql_input_def ***out, size_t *n)
{
    return item_list(x, open, close, input_item, NULL, (void ***)out, n);
}

/* Type names separated by `sep` (& or |), one leading separator allowed. */
static int name_list(sdl *x, gql_tok_kind sep, gql_typeref ***out, size_t *n)
{
    gql_vec v = {0};
    if (x->p.lx.tok.kind == sep && gql_parse_next(&x->p) < 0)
        return -1;
    for (;;) {
        gql_typeref *r = sdl_alloc(x, sizeof *r);
        if (!r || (r->off = x->p.lx.tok.off, !(r->name = gql_parse_name(&x->p))) ||
            note_refs(x, r) < 0 || push(x, &v, r) < 0) {
            gql_vec_free(&v);
            return -1;
        }
        if (x->p.lx.tok.kind != sep)
            break;
        if (gql_parse_next(&x->p) < 0) {
            gql_vec_free(&v);
            return -1;
        }
    }
    *out = (gql_typeref **)finish(x, &v, n);
    return x->p.rc == SL_OK ? 0 : -1;
}

static int implements(sdl *x, gql_type *t)
{
    if (!gql_parse_at_name(&x->p, "implements"))
        return 0;
    if (gql_parse_next(&x->p) < 0)
        return -1;
    return name_list(x, GQL_T_AMP, &t->interfaces, &t->ninterfaces);
}

static void *field_item(sdl *x, gql_type *t)
{
    gql_field_def *f = sdl_alloc(x, sizeof *f);
    if (!f)
        return NULL;
    f->owner = t;
    f->description = description(x);
    f->off = x->p.lx.tok.off;
    if (x->p.failed || !(f->name = gql_parse_name(&x->p)) || check_name(x, f->name, f->off) < 0 ||
        input_values(x, GQL_T_LPAREN, GQL_T_RPAREN, &f->args, &f->nargs) < 0 ||
        gql_parse_expect(&x->p, GQL_T_COLON) < 0 || !(f->type = sdl_type(x)) ||
        sdl_directives(x, &f->deprecation, NULL) < 0)
        return NULL;
    return f;
}

static int fields(sdl *x, gql_type *t)
{
    if (item_list(x, GQL_T_LBRACE, GQL_T_RBRACE, field_item, t, (void ***)&t->fields, &t->nfields) < 0)
        return -1;
    for (size_t i = 1; i < t->nfields; i++) {
        for (size_t j = 0; j < i; j++) {
            if (strcmp(t->fields[j]->name, t->fields[i]->name) == 0)
                return sdl_fail(x, t->fields[i]->off, "field '%s.%s' declared twice", t->name, t->fields[i]->name);
        }
    }
    return 0;
}

static void *enum_item(sdl *x, gql_type *t)
{
    gql_enum_value *e = sdl_alloc(x, sizeof *e);
    uint32_t off;
    (void)t;
    if (!e)
        return NULL;
    e->description = description(x);
    off = x->p.lx.tok.off;
    if (x->p.failed || !(e->name = gql_parse_name(&x->p)))
        return NULL;
    if (strcmp(e->name, "true") == 0 || strcmp(e->name, "false") == 0 || strcmp(e->name, "null") == 0) {
        sdl_fail(x, off, "enum value '%s' is reserved", e->name);
        return NULL;
    }
    if (sdl_directives(x, &e->deprecation, NULL) < 0)
        return NULL;
    return e;
}

static int enum_values(sdl *x, gql_type *t)
{
    return item_list(x, GQL_T_LBRACE, GQL_T_RBRACE, enum_item, t, (void ***)&t->values, &t->nvalues);
}

static int union_members(sdl *x, gql_type *t)
{
    if (x->p.lx.tok.kind != GQL_T_EQUALS)
        return 0;
    if (gql_parse_next(&x->p) < 0)
        return -1;
    return name_list(x, GQL_T_PIPE, &t->members, &t->nmembers);
}

static int directive_def(sdl *x, const char *desc)
{
    gql_directive_def *d = sdl_alloc(x, sizeof *d);
    if (!d || gql_parse_next(&x->p) < 0 || gql_parse_expect(&x->p, GQL_T_AT) < 0 ||
        !(d->name = gql_parse_name(&x->p)) ||
        input_values(x, GQL_T_LPAREN, GQL_T_RPAREN, &d->args, &d->nargs) < 0)
        return -1;
    d->description = desc;
    if (gql_parse_at_name(&x->p, "repeatable")) {
        d->repeatable = 1;
        if (gql_parse_next(&x->p) < 0)
            return -1;
    }
    if (!gql_parse_at_name(&x->p, "on"))
        return gql_parse_expected(&x->p, "ON");
    if (gql_parse_next(&x->p) < 0)
        return -1;
    if (x->p.lx.tok.kind == GQL_T_PIPE && gql_parse_next(&x->p) < 0)
        return -1;
    for (;;) {
        uint32_t off = x->p.lx.tok.off;
        const char *loc = gql_parse_name(&x->p);
        int k;
        if (!loc)
            return -1;
        for (k = 0; k < GQL_LOC_COUNT && strcmp(gql_dir_loc_names[k], loc) != 0; k++)
            ;
        if (k == GQL_LOC_COUNT)
            return sdl_fail(x, off, "unknown directive location '%s'", loc);
        if (!(d->locations & (1u << k)))
            d->order[d->nlocations++] = (unsigned char)k;
        d->locations |= 1u << k;
        if (x->p.lx.tok.kind != GQL_T_PIPE)
            break;
        if (gql_parse_next(&x->p) < 0)
            return -1;
    }
    if (gql_schema_directive(x->s, d->name))
        return sdl_fail(x, x->p.lx.tok.off, "directive @%s declared twice", d->name);
    return push(x, &x->s->directives, d);
}

static int schema_def(sdl *x)
{
    static const char *const ops[3] = {"query", "mutation", "subscription"};
    if (gql_parse_next(&x->p) < 0 || sdl_directives(x, NULL, NULL) < 0 ||
        gql_parse_expect(&x->p, GQL_T_LBRACE) < 0)
        return -1;
    while (x->p.lx.tok.kind != GQL_T_RBRACE) {
        int k;
        gql_typeref *r;
        for (k = 0; k < 3 && !gql_parse_at_name(&x->p, ops[k]); k++)
            ;
        if (k == 3)
            return gql_parse_expected(&x->p, "one of QUERY, MUTATION, SUBSCRIPTION");
        r = sdl_alloc(x, sizeof *r);
        if (!r || gql_parse_next(&x->p) < 0 || gql_parse_expect(&x->p, GQL_T_COLON) < 0)
            return -1;
        r->off = x->p.lx.tok.off;
        if (!(r->name = gql_parse_name(&x->p)) || note_refs(x, r) < 0)
            return -1;
        x->roots[k] = r;
    }
    return gql_parse_next(&x->p);
}

static int type_def(sdl *x, const char *desc)
{
    static const struct {
        const char *word;
        gql_kind kind;
    } kinds[] = {{"scalar", GQL_SCALAR}, {"type", GQL_OBJECT}, {"interface", GQL_INTERFACE},
                 {"union", GQL_UNION}, {"enum", GQL_ENUM}, {"input", GQL_INPUT_OBJECT}};
    gql_type *t;
    size_t k;
    for (k = 0; k < sizeof kinds / sizeof kinds[0] && !gql_parse_at_name(&x->p, kinds[k].word); k++)
        ;
    if (k == sizeof kinds / sizeof kinds[0]) {
        if (gql_parse_at_name(&x->p, "extend"))
            return sdl_fail(x, x->p.lx.tok.off, "type extensions are not supported");
        return gql_parse_expected(&x->p, "one of SCHEMA, SCALAR, TYPE, ENUM, INPUT, UNION, INTERFACE");
    }
    t = sdl_alloc(x, sizeof *t);
    if (!t || gql_parse_next(&x->p) < 0)
        return -1;
    t->kind = kinds[k].kind;
    t->description = desc;
    t->builtin = x->builtin;
    t->off = x->p.lx.tok.off;
    if (!(t->name = gql_parse_name(&x->p)) || check_name(x, t->name, t->off) < 0)
        return -1;
    if (gql_schema_type(x->s, t->name))
        return sdl_fail(x, t->off, "type '%s' declared twice", t->name);
    t->self.kind = GQL_REF_NAMED;
    t->self.name = t->name;
    t->self.type = t;
    switch (t->kind) {
    case GQL_SCALAR:
        if (sdl_directives(x, NULL, &t->specified_by) < 0)
            return -1;
        break;
    case GQL_OBJECT:
    case GQL_INTERFACE:
        if (implements(x, t) < 0 || sdl_directives(x, NULL, NULL) < 0 || fields(x, t) < 0)
            return -1;
        break;
    case GQL_UNION:
        if (sdl_directives(x, NULL, NULL) < 0 || union_members(x, t) < 0)
            return -1;
        break;
    case GQL_ENUM:
        if (sdl_directives(x, NULL, NULL) < 0 || enum_values(x, t) < 0)
            return -1;
        break;
    case GQL_INPUT_OBJECT:
        if (sdl_directives(x, NULL, NULL) < 0 ||
            input_values(x, GQL_T_LBRACE, GQL_T_RBRACE, &t->inputs, &t->ninputs) < 0)
            return -1;
        break;
    }
    return push(x, &x->s->types, t);
}

/* Every named reference of this text must name a known type. */
static int resolve_refs(sdl *x)
{
    for (size_t i = 0; i < x->refs.n; i++) {
        gql_typeref *r = x->refs.items[i];
        r->type = gql_schema_type(x->s, r->name);
        if (!r->type)
            return sdl_fail(x, r->off, "unknown type '%s'", r->name);
    }
    for (int k = 0; k < 3; k++) {
        if (x->roots[k]) {
            gql_type *t = x->roots[k]->type;
            if (t->kind != GQL_OBJECT)
                return sdl_fail(x, x->roots[k]->off, "root type '%s' is not an object type", t->name);
            if (k == 0)
                x->s->query = t;
            else if (k == 1)
                x->s->mutation = t;
            else
                x->s->subscription = t;
        }
    }
    return 0;
}

/* Kinds of types where they are used: output types for fields, input types
 * for arguments and input fields, interfaces and object members. */
static int check_types(sdl *x)
{
    for (size_t i = 0; i < x->s->types.n; i++) {
        gql_type *t = x->s->types.items[i];
        if ((t->kind == GQL_OBJECT || t->kind == GQL_INTERFACE) && t->nfields == 0)
            return sdl_fail(x, t->off, "type '%s' has no fields", t->name);
        if (t->kind == GQL_ENUM && t->nvalues == 0)
            return sdl_fail(x, t->off, "enum '%s' has no values", t->name);
        for (size_t f = 0; f < t->nfields; f++) {
            const gql_field_def *fd = t->fields[f];
            if (gql_ref_named(fd->type)->type->kind == GQL_INPUT_OBJECT)
                return sdl_fail(x, fd->type->off, "field '%s.%s' has input type '%s'", t->name,
                                fd->name, gql_ref_named(fd->type)->name);
            for (size_t a = 0; a < fd->nargs; a++) {
                if (!gql_type_is_input(gql_ref_named(fd->args[a]->type)->type))
                    return sdl_fail(x, fd->args[a]->type->off, "argument '%s' of '%s.%s' is not an input type",
                                    fd->args[a]->name, t->name, fd->name);
            }
        }
        for (size_t f = 0; f < t->ninputs; f++) {
            if (!gql_type_is_input(gql_ref_named(t->inputs[f]->type)->type))
                return sdl_fail(x, t->inputs[f]->type->off, "input field '%s.%s' is not an input type",
                                t->name, t->inputs[f]->name);
        }
        for (size_t m = 0; m < t->ninterfaces; m++) {
            const gql_type *it = t->interfaces[m]->type;
            if (it->kind != GQL_INTERFACE)
                return sdl_fail(x, t->interfaces[m]->off, "'%s' is not an interface", it->name);
            for (size_t f = 0; f < it->nfields; f++) {
                const gql_field_def *have = NULL;
                for (size_t g = 0; g < t->nfields && !have; g++) {
                    if (strcmp(t->fields[g]->name, it->fields[f]->name) == 0)
                        have = t->fields[g];
                }
                if (!have)
                    return sdl_fail(x, t->off, "type '%s' lacks field '%s' of interface '%s'",
                                    t->name, it->fields[f]->name, it->name);
            }
        }
        for (size_t m = 0; m < t->nmembers; m++) {
            if (t->members[m]->type->kind != GQL_OBJECT)
                return sdl_fail(x, t->members[m]->off, "union member '%s' is not an object type",
                                t->members[m]->name);
        }
    }
    return 0;
}

sl_rc gql_sdl_load(sl_gql_schema *s, const char *text, size_t len, int builtin, sl_error *err)
{
    gql_document doc;
    sdl x;
    sl_rc rc;
    memset(&doc, 0, sizeof doc);
    memset(&x, 0, sizeof x);
    x.s = s;
    x.builtin = builtin;
    if (gql_parse_begin(&x.p, &doc, text, len, &gql_sdl_lex_limits) == 0) {
        while (x.p.lx.tok.kind != GQL_T_EOF && !x.p.failed && !x.msg && x.p.rc == SL_OK) {
            const char *desc = description(&x);
            if (x.p.failed)
                break;
            if (gql_parse_at_name(&x.p, "schema")) {
                if (desc && !x.s->description)
                    x.s->description = desc;
                schema_def(&x);
            } else if (gql_parse_at_name(&x.p, "directive")) {
                directive_def(&x, desc);
            } else {
                type_def(&x, desc);
            }
        }
        if (!x.p.failed && !x.msg && x.p.rc == SL_OK && resolve_refs(&x) == 0)
            check_types(&x);
    }
    if (x.p.rc == SL_ENOMEM || doc.arena.oom)
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
    else if (x.p.failed)
        rc = sl_error_set(err, SL_EINVAL, "sdl: %s", x.p.message ? x.p.message : "syntax error");
    else if (x.msg)
        rc = sl_error_set(err, SL_EINVAL, "sdl: %s", x.msg);
    else
        rc = SL_OK;
    free(x.msg);
    gql_vec_free(&x.refs);
    /* the definitions live on in the schema's arena */
    gql_arena_adopt(&s->arena, &doc.arena);
    return rc;
}
