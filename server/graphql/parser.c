/*
 * parser.c - executable documents (spec section 2) into the tree of
 * gql_internal.h: operations, fragments, selections, arguments, variables,
 * directives and values, with syntax errors worded as graphql-ruby words
 * them.  The value, type and directive rules are shared with sdl.c.
 * Recursion is bounded by NESTING_MAX; every count a hostile document could
 * inflate has a cap here or in lexer.c.
 */
#include "gql_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Brackets open at once: selection sets, lists, input objects and list
 * types together.  GitLab refuses depth 21 anyway; 64 leaves room for
 * values and bounds the C stack of every stage after this one. */
#define NESTING_MAX 64
/* Aliased fields in one document: GitLab's own queries use a handful, and
 * 10,000 aliases of one cheap field are the classic amplification. */
#define ALIASES_MAX 200
/* Fragment definitions in one document. */
#define FRAGMENTS_MAX 100
/* Operation definitions in one document. */
#define OPERATIONS_MAX 100
/* Variable definitions of one operation. */
#define VARIABLES_MAX 100
/* Directives at one location (one field, fragment, operation ...). */
#define DIRECTIVES_MAX 10
/* Arguments of one field or directive, fields of one input object literal. */
#define ARGUMENTS_MAX 50

#define MSG_EMPTY "Unexpected end of document"

/* ---- errors ---------------------------------------------------------------- */

static void set_error(gql_parser *p, uint32_t off, int mode, const char *msg)
{
    gql_buf b = {0};
    if (p->failed)
        return;
    p->failed = 1;
    if (p->rc == SL_OK)
        p->rc = SL_EINVAL;
    gql_buf_str(&b, msg);
    if (mode == GQL_ERR_SUFFIX) {
        int line, col;
        gql_doc_position(p->doc, off, &line, &col);
        gql_buf_printf(&b, " at [%d, %d]", line, col);
    }
    p->message = b.oom ? NULL : gql_strdup(&p->doc->arena, b.s);
    if (!p->message)
        p->rc = SL_ENOMEM;
    p->err_mode = mode;
    p->error_off = off;
    gql_buf_free(&b);
}

int gql_parse_fail(gql_parser *p, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    set_error(p, p->lx.tok.off, GQL_ERR_SUFFIX, msg);
    return -1;
}

static int lex_failed(gql_parser *p)
{
    p->rc = p->lx.error_rc;
    set_error(p, p->lx.error_off, p->lx.error_noloc ? GQL_ERR_NOLOC : GQL_ERR_SUFFIX, p->lx.error);
    if (p->lx.error_rc != SL_OK)
        p->rc = p->lx.error_rc;
    return -1;
}

static int next(gql_parser *p)
{
    if (gql_lex_next(&p->lx) < 0)
        return lex_failed(p);
    return 0;
}

int gql_parse_next(gql_parser *p)
{
    return next(p);
}

int gql_parse_begin(gql_parser *p, gql_document *doc, const char *text, size_t len,
                    const gql_lex_limits *lim)
{
    memset(p, 0, sizeof *p);
    p->doc = doc;
    if (gql_lex_begin(&p->lx, doc, text, len, lim) < 0)
        return lex_failed(p);
    return next(p);
}

/* Ruby's String#inspect, which graphql-ruby uses to show a token. */
static void ruby_inspect(gql_buf *b, const char *s, size_t n)
{
    gql_buf_add(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': gql_buf_str(b, "\\\""); break;
        case '\\': gql_buf_str(b, "\\\\"); break;
        case '\n': gql_buf_str(b, "\\n"); break;
        case '\t': gql_buf_str(b, "\\t"); break;
        case '\r': gql_buf_str(b, "\\r"); break;
        case '\f': gql_buf_str(b, "\\f"); break;
        case '\b': gql_buf_str(b, "\\b"); break;
        case '\a': gql_buf_str(b, "\\a"); break;
        case '\v': gql_buf_str(b, "\\v"); break;
        case 0x1B: gql_buf_str(b, "\\e"); break;
        case '#':
            if (i + 1 < n && (s[i + 1] == '{' || s[i + 1] == '$' || s[i + 1] == '@'))
                gql_buf_str(b, "\\#");
            else
                gql_buf_str(b, "#");
            break;
        default:
            if (c < 0x20 || c == 0x7F)
                gql_buf_printf(b, "\\u%04X", c);
            else
                gql_buf_add(b, s + i, 1);
        }
    }
    gql_buf_add(b, "\"", 1);
}

int gql_parse_expected(gql_parser *p, const char *what)
{
    const gql_token *t = &p->lx.tok;
    gql_buf b = {0};
    if (t->kind == GQL_T_EOF) {
        gql_buf_printf(&b, "Expected %s, not end of file", what);
    } else {
        gql_buf_printf(&b, "Expected %s, actual: %s (", what, gql_tok_name(&p->lx, t));
        if (t->kind == GQL_T_STRING || t->kind == GQL_T_BLOCK_STRING)
            ruby_inspect(&b, t->value, t->vlen);
        else
            ruby_inspect(&b, p->lx.text + t->off, t->end - t->off);
        gql_buf_str(&b, ")");
    }
    set_error(p, t->off, GQL_ERR_SUFFIX, b.oom ? "out of memory" : b.s);
    if (b.oom)
        p->rc = SL_ENOMEM;
    gql_buf_free(&b);
    return -1;
}

static const char *kind_word(gql_tok_kind k)
{
    static const char *const words[] = {
        [GQL_T_BANG] = "BANG", [GQL_T_DOLLAR] = "VAR_SIGN", [GQL_T_AMP] = "AMP",
        [GQL_T_LPAREN] = "LPAREN", [GQL_T_RPAREN] = "RPAREN", [GQL_T_SPREAD] = "ELLIPSIS",
        [GQL_T_COLON] = "COLON", [GQL_T_EQUALS] = "EQUALS", [GQL_T_AT] = "DIR_SIGN",
        [GQL_T_LBRACKET] = "LBRACKET", [GQL_T_RBRACKET] = "RBRACKET", [GQL_T_LBRACE] = "LCURLY",
        [GQL_T_PIPE] = "PIPE", [GQL_T_RBRACE] = "RCURLY", [GQL_T_NAME] = "NAME",
        [GQL_T_INT] = "INT", [GQL_T_FLOAT] = "FLOAT", [GQL_T_STRING] = "STRING",
        [GQL_T_BLOCK_STRING] = "STRING", [GQL_T_UNKNOWN] = "UNKNOWN_CHAR", [GQL_T_EOF] = "EOF"};
    return words[k];
}

int gql_parse_expect(gql_parser *p, gql_tok_kind k)
{
    if (p->lx.tok.kind != k)
        return gql_parse_expected(p, kind_word(k));
    return next(p);
}

int gql_parse_at_name(const gql_parser *p, const char *word)
{
    size_t n = strlen(word);
    return p->lx.tok.kind == GQL_T_NAME && p->lx.tok.end - p->lx.tok.off == n &&
           memcmp(p->lx.text + p->lx.tok.off, word, n) == 0;
}

static char *tok_text(gql_parser *p)
{
    char *s = gql_strndup(&p->doc->arena, p->lx.text + p->lx.tok.off, p->lx.tok.end - p->lx.tok.off);
    if (!s) {
        p->rc = SL_ENOMEM;
        set_error(p, p->lx.tok.off, GQL_ERR_NOLOC, "out of memory");
    }
    return s;
}

const char *gql_parse_name(gql_parser *p)
{
    char *s;
    if (p->lx.tok.kind != GQL_T_NAME) {
        gql_parse_expected(p, "NAME");
        return NULL;
    }
    s = tok_text(p);
    if (!s || next(p) < 0)
        return NULL;
    return s;
}

static int enter(gql_parser *p)
{
    if (++p->depth > NESTING_MAX)
        return gql_parse_fail(p, "Query is nested too deeply (more than %d levels)", NESTING_MAX);
    return 0;
}

static void *alloc(gql_parser *p, size_t size)
{
    void *x = gql_alloc(&p->doc->arena, size);
    if (!x) {
        p->rc = SL_ENOMEM;
        set_error(p, p->lx.tok.off, GQL_ERR_NOLOC, "out of memory");
    }
    return x;
}

static int push(gql_parser *p, gql_vec *v, void *item, size_t max, const char *what)
{
    if (!item)
        return -1;
    if (max && v->n >= max)
        return gql_parse_fail(p, "Too many %s (more than %zu)", what, max);
    if (gql_vec_push(v, item) < 0) {
        p->rc = SL_ENOMEM;
        set_error(p, p->lx.tok.off, GQL_ERR_NOLOC, "out of memory");
        return -1;
    }
    return 0;
}

static void **finish(gql_parser *p, gql_vec *v, size_t *n)
{
    size_t want = v->n;
    void **out = gql_vec_finish(v, &p->doc->arena, n);
    if (want && !out) {
        p->rc = SL_ENOMEM;
        set_error(p, p->lx.tok.off, GQL_ERR_NOLOC, "out of memory");
    }
    return out;
}

/* ---- values, types, arguments, directives ---------------------------------- */

gql_value *gql_parse_value(gql_parser *p, int is_const)
{
    gql_token *t = &p->lx.tok;
    gql_value *v;
    if (enter(p) < 0)
        return NULL;
    v = alloc(p, sizeof *v);
    if (!v)
        return NULL;
    v->off = t->off;
    switch (t->kind) {
    case GQL_T_DOLLAR:
        if (is_const) {
            gql_parse_expected(p, "VALUE");
            return NULL;
        }
        if (next(p) < 0)
            return NULL;
        v->kind = GQL_V_VARIABLE;
        v->s = gql_parse_name(p);
        if (!v->s)
            return NULL;
        break;
    case GQL_T_INT:
    case GQL_T_FLOAT:
        v->kind = t->kind == GQL_T_INT ? GQL_V_INT : GQL_V_FLOAT;
        v->s = tok_text(p);
        if (!v->s || next(p) < 0)
            return NULL;
        break;
    case GQL_T_STRING:
    case GQL_T_BLOCK_STRING:
        v->kind = GQL_V_STRING;
        v->s = t->value;
        v->slen = t->vlen;
        if (next(p) < 0)
            return NULL;
        break;
    case GQL_T_NAME:
        if (gql_parse_at_name(p, "true") || gql_parse_at_name(p, "false")) {
            v->kind = GQL_V_BOOLEAN;
            v->b = gql_parse_at_name(p, "true");
        } else if (gql_parse_at_name(p, "null")) {
            v->kind = GQL_V_NULL;
        } else {
            v->kind = GQL_V_ENUM;
            v->s = tok_text(p);
            if (!v->s)
                return NULL;
        }
        if (next(p) < 0)
            return NULL;
        break;
    case GQL_T_LBRACKET: {
        gql_vec items = {0};
        v->kind = GQL_V_LIST;
        if (next(p) < 0)
            return NULL;
        while (t->kind != GQL_T_RBRACKET) {
            if (push(p, &items, gql_parse_value(p, is_const), 0, NULL) < 0) {
                gql_vec_free(&items);
                return NULL;
            }
        }
        v->items = (gql_value **)finish(p, &items, &v->n);
        if (p->failed || next(p) < 0)
            return NULL;
        break;
    }
    case GQL_T_LBRACE: {
        gql_vec fields = {0};
        v->kind = GQL_V_OBJECT;
        if (next(p) < 0)
            return NULL;
        while (t->kind != GQL_T_RBRACE) {
            gql_objfield *f = alloc(p, sizeof *f);
            if (f) {
                f->off = t->off;
                f->name = gql_parse_name(p);
            }
            if (!f || !f->name || gql_parse_expect(p, GQL_T_COLON) < 0 ||
                !(f->value = gql_parse_value(p, is_const)) ||
                push(p, &fields, f, ARGUMENTS_MAX, "input object fields") < 0) {
                gql_vec_free(&fields);
                return NULL;
            }
        }
        v->fields = (gql_objfield **)finish(p, &fields, &v->n);
        if (p->failed || next(p) < 0)
            return NULL;
        break;
    }
    default:
        gql_parse_expected(p, "VALUE");
        return NULL;
    }
    p->depth--;
    return v;
}

gql_typeref *gql_parse_type(gql_parser *p)
{
    gql_typeref *r;
    if (enter(p) < 0)
        return NULL;
    r = alloc(p, sizeof *r);
    if (!r)
        return NULL;
    r->off = p->lx.tok.off;
    if (p->lx.tok.kind == GQL_T_LBRACKET) {
        r->kind = GQL_REF_LIST;
        if (next(p) < 0 || !(r->of = gql_parse_type(p)) || gql_parse_expect(p, GQL_T_RBRACKET) < 0)
            return NULL;
    } else {
        r->kind = GQL_REF_NAMED;
        r->name = gql_parse_name(p);
        if (!r->name)
            return NULL;
    }
    if (p->lx.tok.kind == GQL_T_BANG) {
        gql_typeref *nn = alloc(p, sizeof *nn);
        if (!nn)
            return NULL;
        nn->kind = GQL_REF_NONNULL;
        nn->of = r;
        nn->off = r->off;
        r = nn;
        if (next(p) < 0)
            return NULL;
    }
    p->depth--;
    return r;
}

static int parse_arguments(gql_parser *p, int is_const, gql_argument ***out, size_t *n)
{
    gql_vec args = {0};
    *out = NULL;
    *n = 0;
    if (p->lx.tok.kind != GQL_T_LPAREN)
        return 0;
    if (next(p) < 0)
        return -1;
    if (p->lx.tok.kind == GQL_T_RPAREN)
        return gql_parse_expected(p, "ARGUMENT_NAME");
    while (p->lx.tok.kind != GQL_T_RPAREN) {
        gql_argument *a = alloc(p, sizeof *a);
        if (a) {
            a->off = p->lx.tok.off;
            a->name = gql_parse_name(p);
        }
        if (!a || !a->name || gql_parse_expect(p, GQL_T_COLON) < 0 ||
            !(a->value = gql_parse_value(p, is_const)) ||
            push(p, &args, a, ARGUMENTS_MAX, "arguments") < 0) {
            gql_vec_free(&args);
            return -1;
        }
    }
    *out = (gql_argument **)finish(p, &args, n);
    if (p->failed)
        return -1;
    return next(p);
}

int gql_parse_directives(gql_parser *p, int is_const, gql_directive ***out, size_t *n)
{
    gql_vec dirs = {0};
    *out = NULL;
    *n = 0;
    while (p->lx.tok.kind == GQL_T_AT) {
        gql_directive *d = alloc(p, sizeof *d);
        if (d) {
            d->off = p->lx.tok.off;
            if (next(p) == 0)
                d->name = gql_parse_name(p);
        }
        if (!d || !d->name || parse_arguments(p, is_const, &d->args, &d->nargs) < 0 ||
            push(p, &dirs, d, DIRECTIVES_MAX, "directives at one location") < 0) {
            gql_vec_free(&dirs);
            return -1;
        }
    }
    *out = (gql_directive **)finish(p, &dirs, n);
    return p->failed ? -1 : 0;
}

/* ---- executable definitions --------------------------------------------------- */

typedef struct doc_counts {
    size_t aliases;
} doc_counts;

static gql_selset *parse_selset(gql_parser *p, doc_counts *dc);

static gql_selection *parse_selection(gql_parser *p, doc_counts *dc)
{
    gql_selection *s = alloc(p, sizeof *s);
    if (!s)
        return NULL;
    s->off = p->lx.tok.off;
    if (p->lx.tok.kind == GQL_T_SPREAD) {
        if (next(p) < 0)
            return NULL;
        if (p->lx.tok.kind == GQL_T_NAME && !gql_parse_at_name(p, "on")) {
            s->kind = GQL_SEL_SPREAD;
            s->name = gql_parse_name(p);
            if (!s->name || gql_parse_directives(p, 0, &s->dirs, &s->ndirs) < 0)
                return NULL;
            return s;
        }
        s->kind = GQL_SEL_INLINE;
        if (gql_parse_at_name(p, "on")) {
            if (next(p) < 0 || !(s->type_cond = gql_parse_name(p)))
                return NULL;
        }
        if (gql_parse_directives(p, 0, &s->dirs, &s->ndirs) < 0 || !(s->sel = parse_selset(p, dc)))
            return NULL;
        return s;
    }
    s->kind = GQL_SEL_FIELD;
    s->name = gql_parse_name(p);
    if (!s->name)
        return NULL;
    if (p->lx.tok.kind == GQL_T_COLON) {
        if (++dc->aliases > ALIASES_MAX) {
            gql_parse_fail(p, "Too many aliases (more than %d)", ALIASES_MAX);
            return NULL;
        }
        s->alias = s->name;
        if (next(p) < 0 || !(s->name = gql_parse_name(p)))
            return NULL;
    }
    if (parse_arguments(p, 0, &s->args, &s->nargs) < 0 ||
        gql_parse_directives(p, 0, &s->dirs, &s->ndirs) < 0)
        return NULL;
    if (p->lx.tok.kind == GQL_T_LBRACE && !(s->sel = parse_selset(p, dc)))
        return NULL;
    return s;
}

static gql_selset *parse_selset(gql_parser *p, doc_counts *dc)
{
    gql_selset *ss;
    gql_vec items = {0};
    if (enter(p) < 0 || !(ss = alloc(p, sizeof *ss)))
        return NULL;
    ss->off = p->lx.tok.off;
    if (gql_parse_expect(p, GQL_T_LBRACE) < 0)
        return NULL;
    /* the grammar wants at least one selection */
    if (p->lx.tok.kind == GQL_T_RBRACE) {
        gql_parse_expected(p, "NAME");
        return NULL;
    }
    while (p->lx.tok.kind != GQL_T_RBRACE) {
        if (push(p, &items, parse_selection(p, dc), 0, NULL) < 0) {
            gql_vec_free(&items);
            return NULL;
        }
    }
    ss->items = (gql_selection **)finish(p, &items, &ss->n);
    if (p->failed || next(p) < 0)
        return NULL;
    p->depth--;
    return ss;
}

static gql_operation *parse_operation(gql_parser *p, doc_counts *dc)
{
    gql_operation *op = alloc(p, sizeof *op);
    if (!op)
        return NULL;
    op->off = p->lx.tok.off;
    op->op = SL_GQL_OP_QUERY;
    if (p->lx.tok.kind == GQL_T_NAME) {
        if (gql_parse_at_name(p, "mutation"))
            op->op = SL_GQL_OP_MUTATION;
        else if (gql_parse_at_name(p, "subscription"))
            op->op = SL_GQL_OP_SUBSCRIPTION;
        if (next(p) < 0)
            return NULL;
        if (p->lx.tok.kind == GQL_T_NAME && !(op->name = gql_parse_name(p)))
            return NULL;
        if (p->lx.tok.kind == GQL_T_LPAREN) {
            gql_vec vars = {0};
            if (next(p) < 0)
                return NULL;
            if (p->lx.tok.kind == GQL_T_RPAREN) {
                gql_parse_expected(p, "VAR_SIGN");
                return NULL;
            }
            while (p->lx.tok.kind != GQL_T_RPAREN) {
                gql_vardef *v = alloc(p, sizeof *v);
                if (v)
                    v->off = p->lx.tok.off;
                if (!v || gql_parse_expect(p, GQL_T_DOLLAR) < 0 || !(v->name = gql_parse_name(p)) ||
                    gql_parse_expect(p, GQL_T_COLON) < 0 || !(v->type = gql_parse_type(p)) ||
                    (p->lx.tok.kind == GQL_T_EQUALS &&
                     (next(p) < 0 || !(v->def = gql_parse_value(p, 1)))) ||
                    gql_parse_directives(p, 1, &v->dirs, &v->ndirs) < 0 ||
                    push(p, &vars, v, VARIABLES_MAX, "variables") < 0) {
                    gql_vec_free(&vars);
                    return NULL;
                }
            }
            op->vars = (gql_vardef **)finish(p, &vars, &op->nvars);
            if (p->failed || next(p) < 0)
                return NULL;
        }
        if (gql_parse_directives(p, 0, &op->dirs, &op->ndirs) < 0)
            return NULL;
    }
    op->sel = parse_selset(p, dc);
    return op->sel ? op : NULL;
}

static gql_fragment *parse_fragment(gql_parser *p, doc_counts *dc)
{
    gql_fragment *f = alloc(p, sizeof *f);
    if (!f)
        return NULL;
    f->off = p->lx.tok.off;
    if (next(p) < 0)
        return NULL;
    if (gql_parse_at_name(p, "on")) {
        gql_parse_expected(p, "NAME");
        return NULL;
    }
    if (!(f->name = gql_parse_name(p)))
        return NULL;
    if (!gql_parse_at_name(p, "on")) {
        gql_parse_expected(p, "ON");
        return NULL;
    }
    if (next(p) < 0 || !(f->type_cond = gql_parse_name(p)) ||
        gql_parse_directives(p, 0, &f->dirs, &f->ndirs) < 0 || !(f->sel = parse_selset(p, dc)))
        return NULL;
    return f;
}

static int is_type_system_word(const gql_parser *p)
{
    static const char *const words[] = {"schema", "scalar", "type", "interface", "union",
                                        "enum", "input", "directive", "extend"};
    if (p->lx.tok.kind == GQL_T_STRING || p->lx.tok.kind == GQL_T_BLOCK_STRING)
        return 1;
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        if (gql_parse_at_name(p, words[i]))
            return 1;
    }
    return 0;
}

sl_rc gql_parse_document(gql_document *doc, const char *text, size_t len, gql_parser *p)
{
    gql_vec ops = {0}, frags = {0};
    doc_counts dc = {0};
    if (gql_parse_begin(p, doc, text, len, &gql_query_lex_limits) < 0)
        return p->rc;
    if (p->lx.tok.kind == GQL_T_EOF) {
        set_error(p, 0, GQL_ERR_NOLOC, MSG_EMPTY);
        return p->rc;
    }
    while (p->lx.tok.kind != GQL_T_EOF && !p->failed) {
        if (p->lx.tok.kind == GQL_T_LBRACE || gql_parse_at_name(p, "query") ||
            gql_parse_at_name(p, "mutation") || gql_parse_at_name(p, "subscription")) {
            push(p, &ops, parse_operation(p, &dc), OPERATIONS_MAX, "operations");
        } else if (gql_parse_at_name(p, "fragment")) {
            push(p, &frags, parse_fragment(p, &dc), FRAGMENTS_MAX, "fragments");
        } else if (is_type_system_word(p)) {
            /* graphql-ruby parses these and refuses them in validation */
            set_error(p, p->lx.tok.off, GQL_ERR_LOC, "Query cannot contain schema definitions");
        } else {
            gql_parse_expected(p, "one of QUERY, MUTATION, SUBSCRIPTION, FRAGMENT, LCURLY");
        }
    }
    doc->ops = (gql_operation **)finish(p, &ops, &doc->nops);
    doc->frags = (gql_fragment **)finish(p, &frags, &doc->nfrags);
    doc->ntokens = p->lx.ntokens;
    return p->failed ? p->rc : SL_OK;
}
