/*
 * gql_internal.h - what the files of server/graphql share and nobody outside
 * sees: the arena, the document tree (AST), the schema's types, the error
 * list and the few functions one stage hands to the next.  graphql.h is the
 * public face; this header may change freely.
 */
#ifndef SL_GQL_INTERNAL_H
#define SL_GQL_INTERNAL_H

#include "graphql.h"

#include <jansson.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* ---- arena: everything of one document or one schema, freed at once ---- */

typedef struct gql_chunk gql_chunk;
typedef struct gql_arena {
    gql_chunk *head;
    int oom;            /* an allocation failed; the owner reports SL_ENOMEM */
} gql_arena;

void *gql_alloc(gql_arena *a, size_t size);             /* zeroed; NULL on OOM */
char *gql_strndup(gql_arena *a, const char *s, size_t n);
char *gql_strdup(gql_arena *a, const char *s);
void gql_arena_free(gql_arena *a);
/* Move src's memory into dst (src left empty). */
void gql_arena_adopt(gql_arena *dst, gql_arena *src);

/* A growable array of pointers on the heap, copied into an arena when done. */
typedef struct gql_vec {
    void **items;
    size_t n, cap;
} gql_vec;

int gql_vec_push(gql_vec *v, void *item);               /* 0, or -1 on OOM */
/* Copy the items into the arena (NULL when empty), free the heap array. */
void **gql_vec_finish(gql_vec *v, gql_arena *a, size_t *n);
void gql_vec_free(gql_vec *v);
/* Add item unless present: 1 present, 0 added, -1 out of memory. */
int gql_vec_add_unique(gql_vec *v, void *item);

/* A growable string on the heap for messages and printing. */
typedef struct gql_buf {
    char *s;
    size_t len, cap;
    int oom;
} gql_buf;

void gql_buf_add(gql_buf *b, const char *s, size_t n);
void gql_buf_str(gql_buf *b, const char *s);
void gql_buf_printf(gql_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void gql_buf_free(gql_buf *b);

/* ---- type references, shared by the schema and the document ------------ */

typedef struct gql_type gql_type;

typedef enum { GQL_REF_NAMED, GQL_REF_LIST, GQL_REF_NONNULL } gql_ref_kind;

typedef struct gql_typeref {
    gql_ref_kind kind;
    const char *name;                /* NAMED: as written */
    gql_type *type;                  /* NAMED: resolved, NULL when unknown */
    struct gql_typeref *of;          /* LIST, NONNULL */
    uint32_t off;
} gql_typeref;

/* The named type under any wrappers. */
const gql_typeref *gql_ref_named(const gql_typeref *r);
/* "[Int!]!" into b. */
void gql_ref_print(gql_buf *b, const gql_typeref *r);

/* ---- the document tree ---------------------------------------------------- */

typedef enum {
    GQL_V_VARIABLE, GQL_V_INT, GQL_V_FLOAT, GQL_V_STRING, GQL_V_BOOLEAN,
    GQL_V_NULL, GQL_V_ENUM, GQL_V_LIST, GQL_V_OBJECT
} gql_value_kind;

typedef struct gql_value gql_value;
typedef struct gql_objfield {
    const char *name;
    gql_value *value;
    uint32_t off;
} gql_objfield;

struct gql_value {
    gql_value_kind kind;
    uint32_t off;
    const char *s;                   /* VARIABLE name, INT/FLOAT text, STRING, ENUM */
    size_t slen;                     /* STRING: bytes (may hold \u0000? no: refused) */
    int b;                           /* BOOLEAN */
    gql_value **items;               /* LIST */
    gql_objfield **fields;           /* OBJECT */
    size_t n;
};

typedef struct gql_argument {
    const char *name;
    gql_value *value;
    uint32_t off;
} gql_argument;

typedef struct gql_directive {
    const char *name;
    gql_argument **args;
    size_t nargs;
    uint32_t off;
} gql_directive;

typedef enum { GQL_SEL_FIELD, GQL_SEL_SPREAD, GQL_SEL_INLINE } gql_sel_kind;

typedef struct gql_selset gql_selset;
typedef struct gql_fragment gql_fragment;
typedef struct gql_field_def gql_field_def;

typedef struct gql_selection {
    gql_sel_kind kind;
    uint32_t off;
    gql_directive **dirs;
    size_t ndirs;
    /* FIELD */
    const char *alias;               /* NULL when none */
    const char *name;
    gql_argument **args;
    size_t nargs;
    gql_selset *sel;                 /* FIELD (may be NULL), INLINE */
    /* SPREAD: name; INLINE: type condition (NULL when none) */
    const char *type_cond;
    /* filled by validation */
    const gql_field_def *def;        /* FIELD: NULL when unknown */
    const gql_type *parent;          /* FIELD: the type it was selected on */
    gql_fragment *frag;              /* SPREAD: NULL when undefined */
} gql_selection;

struct gql_selset {
    gql_selection **items;
    size_t n;
    uint32_t off;
};

typedef struct gql_vardef {
    const char *name;
    gql_typeref *type;
    gql_value *def;                  /* default, NULL when none */
    gql_directive **dirs;
    size_t ndirs;
    uint32_t off;
    int used;                        /* validation */
} gql_vardef;

typedef struct gql_operation {
    sl_gql_op op;
    const char *name;                /* NULL when anonymous */
    gql_vardef **vars;
    size_t nvars;
    gql_directive **dirs;
    size_t ndirs;
    gql_selset *sel;
    uint32_t off;
} gql_operation;

struct gql_fragment {
    const char *name;
    const char *type_cond;
    gql_directive **dirs;
    size_t ndirs;
    gql_selset *sel;
    uint32_t off;
    /* validation */
    const gql_type *type;
    int used;
    int state;                       /* cycle search: 0 new, 1 on the path, 2 done */
    int depth;                       /* field nesting of its expansion */
    long size;                       /* fields of its expansion (capped) */
};

typedef struct gql_document {
    gql_arena arena;
    const char *text;                /* borrowed from the caller while parsing */
    size_t len;
    uint32_t *line_starts;           /* byte offsets, in the arena */
    size_t nlines;
    gql_operation **ops;
    size_t nops;
    gql_fragment **frags;
    size_t nfrags;
    size_t ntokens;
} gql_document;

/* 1-based line and column (in characters) of a byte offset. */
void gql_doc_position(const gql_document *d, uint32_t off, int *line, int *col);

/* ---- lexer ---------------------------------------------------------------- */

typedef enum {
    GQL_T_EOF, GQL_T_BANG, GQL_T_DOLLAR, GQL_T_AMP, GQL_T_LPAREN, GQL_T_RPAREN,
    GQL_T_SPREAD, GQL_T_COLON, GQL_T_EQUALS, GQL_T_AT, GQL_T_LBRACKET,
    GQL_T_RBRACKET, GQL_T_LBRACE, GQL_T_PIPE, GQL_T_RBRACE, GQL_T_NAME,
    GQL_T_INT, GQL_T_FLOAT, GQL_T_STRING, GQL_T_BLOCK_STRING, GQL_T_UNKNOWN
} gql_tok_kind;

typedef struct gql_token {
    gql_tok_kind kind;
    uint32_t off, end;               /* bytes of the token in the text */
    char *value;                     /* STRING, BLOCK_STRING: decoded (arena) */
    size_t vlen;
} gql_token;

/* Limits of one lexing job: queries get the tight ones, the binding's own
 * SDL (trusted) loose ones. */
typedef struct gql_lex_limits {
    size_t text_chars, tokens, string_bytes, number_chars;
} gql_lex_limits;

extern const gql_lex_limits gql_query_lex_limits;
extern const gql_lex_limits gql_sdl_lex_limits;

typedef struct gql_lexer {
    const char *text;
    size_t len, pos;
    gql_arena *arena;
    const gql_lex_limits *lim;
    size_t ntokens;
    gql_token tok;                   /* the current token */
    /* the first failure: message (static or arena) and where */
    const char *error;
    uint32_t error_off;
    int error_noloc;                 /* message has no " at [l, c]" */
    sl_rc error_rc;
} gql_lexer;

/* Length of the well-formed UTF-8 sequence at p (1..4), 0 when malformed:
 * overlong forms, surrogates and code points past U+10FFFF included. */
size_t gql_utf8_len(const unsigned char *p, size_t left);

/* Check the whole text first (size, UTF-8, NUL); fills line starts.  -1 with
 * lx->error on refusal. */
int gql_lex_begin(gql_lexer *lx, gql_document *d, const char *text, size_t len,
                  const gql_lex_limits *lim);
/* Advance to the next token; -1 with lx->error on a limit or bad string. */
int gql_lex_next(gql_lexer *lx);
/* graphql-ruby's name of a token kind ("RCURLY", "IDENTIFIER", ...). */
const char *gql_tok_name(const gql_lexer *lx, const gql_token *t);

/* ---- parser (parser.c), shared by documents and SDL ----------------------- */

/* How a syntax error is reported: "msg at [l, c]" with a location, the
 * message alone with a location, or without any. */
enum { GQL_ERR_SUFFIX, GQL_ERR_NOLOC, GQL_ERR_LOC };

typedef struct gql_parser {
    gql_lexer lx;
    gql_document *doc;
    int depth;                       /* current nesting, bounded */
    int failed;
    char *message;                   /* the error, arena; NULL when none */
    int err_mode;                    /* GQL_ERR_* */
    uint32_t error_off;
    sl_rc rc;
} gql_parser;

int gql_parse_fail(gql_parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "Expected X, actual: ..." for the current token. */
int gql_parse_expected(gql_parser *p, const char *what);
int gql_parse_expect(gql_parser *p, gql_tok_kind k);
int gql_parse_at_name(const gql_parser *p, const char *word);
const char *gql_parse_name(gql_parser *p);
int gql_parse_next(gql_parser *p);
gql_value *gql_parse_value(gql_parser *p, int is_const);
gql_typeref *gql_parse_type(gql_parser *p);
int gql_parse_directives(gql_parser *p, int is_const, gql_directive ***out, size_t *n);
/* Start parsing text into doc's arena with the given limits (the first
 * token read). -1 on failure, p->message says why. */
int gql_parse_begin(gql_parser *p, gql_document *doc, const char *text, size_t len,
                    const gql_lex_limits *lim);
/* Parse an executable document; on failure p->message says why and doc is
 * still freeable. */
sl_rc gql_parse_document(gql_document *doc, const char *text, size_t len, gql_parser *p);

/* ---- schema ---------------------------------------------------------------- */

typedef enum {
    GQL_SCALAR, GQL_OBJECT, GQL_INTERFACE, GQL_UNION, GQL_ENUM, GQL_INPUT_OBJECT
} gql_kind;

typedef struct gql_input_def {
    const char *name;
    const char *description;
    gql_typeref *type;
    gql_value *def;                  /* default literal, NULL when none */
    const char *deprecation;         /* NULL when not deprecated */
} gql_input_def;

typedef struct gql_enum_value {
    const char *name;
    const char *description;
    const char *deprecation;
} gql_enum_value;

#define GQL_COST_ARGS_MAX 4          /* argument surcharges one field can carry */

struct gql_field_def {
    const char *name;
    const char *description;
    gql_input_def **args;
    size_t nargs;
    gql_typeref *type;
    const char *deprecation;
    const gql_type *owner;
    uint32_t off;                    /* in the SDL, while it loads */
    sl_gql_resolve_fn resolve;
    void *resolve_ud;
    int builtin;                     /* __schema, __type, __typename */
    /* complexity metadata */
    const char *cost_arg[GQL_COST_ARGS_MAX];
    long cost_arg_add[GQL_COST_ARGS_MAX];
    long page_max;                   /* > 0: the connection multiplier applies */
    sl_gql_cost_fn cost_fn;
    void *cost_ud;
};

struct gql_type {
    gql_kind kind;
    const char *name;
    const char *description;
    const char *specified_by;
    gql_field_def **fields;          /* OBJECT, INTERFACE */
    size_t nfields;
    gql_typeref **interfaces;        /* OBJECT, INTERFACE */
    size_t ninterfaces;
    gql_typeref **members;           /* UNION */
    size_t nmembers;
    const gql_type **possible;       /* abstract: the object types, computed */
    size_t npossible;
    gql_enum_value **values;         /* ENUM */
    size_t nvalues;
    gql_input_def **inputs;          /* INPUT_OBJECT */
    size_t ninputs;
    sl_gql_scalar_fn parse;          /* SCALAR: custom input parser */
    void *parse_ud;
    sl_gql_resolve_fn resolve_all;   /* "Type.*" */
    void *resolve_all_ud;
    gql_typeref self;                /* a NAMED reference to this type */
    int builtin;
    uint32_t off;
};

/* Directive locations, in __DirectiveLocation's order. */
typedef enum {
    GQL_LOC_QUERY, GQL_LOC_MUTATION, GQL_LOC_SUBSCRIPTION, GQL_LOC_FIELD,
    GQL_LOC_FRAGMENT_DEFINITION, GQL_LOC_FRAGMENT_SPREAD, GQL_LOC_INLINE_FRAGMENT,
    GQL_LOC_VARIABLE_DEFINITION, GQL_LOC_SCHEMA, GQL_LOC_SCALAR, GQL_LOC_OBJECT,
    GQL_LOC_FIELD_DEFINITION, GQL_LOC_ARGUMENT_DEFINITION, GQL_LOC_INTERFACE,
    GQL_LOC_UNION, GQL_LOC_ENUM, GQL_LOC_ENUM_VALUE, GQL_LOC_INPUT_OBJECT,
    GQL_LOC_INPUT_FIELD_DEFINITION, GQL_LOC_COUNT
} gql_dir_loc;

extern const char *const gql_dir_loc_names[GQL_LOC_COUNT];

typedef struct gql_directive_def {
    const char *name;
    const char *description;
    gql_input_def **args;
    size_t nargs;
    unsigned locations;              /* bit per gql_dir_loc */
    unsigned char order[GQL_LOC_COUNT];  /* the locations as declared */
    size_t nlocations;
    int repeatable;
} gql_directive_def;

struct sl_gql_schema {
    gql_arena arena;
    gql_vec types;                   /* gql_type*, declaration order */
    gql_vec directives;              /* gql_directive_def* */
    const char *description;
    gql_type *query, *mutation, *subscription;
    sl_gql_type_fn resolve_type;
    void *resolve_type_ud;
    int skip_introspection;          /* __typename, __schema, __type cost nothing */
    /* the implicit fields, shared by every type */
    gql_field_def *f_typename, *f_schema, *f_type;
    /* built-in scalars */
    gql_type *t_int, *t_float, *t_string, *t_boolean, *t_id;
};

gql_type *gql_schema_type(const sl_gql_schema *s, const char *name);
const gql_directive_def *gql_schema_directive(const sl_gql_schema *s, const char *name);
/* A field of an object or interface type, the implicit ones included
 * (__typename everywhere, __schema and __type on the query type). */
const gql_field_def *gql_type_field(const sl_gql_schema *s, const gql_type *t, const char *name);
const gql_input_def *gql_find_input(gql_input_def *const *defs, size_t n, const char *name);
int gql_type_is_composite(const gql_type *t);
int gql_type_is_input(const gql_type *t);
int gql_type_is_abstract(const gql_type *t);
/* Object type `obj` is among the possible types of `t` (t itself when an object). */
int gql_type_possible(const gql_type *t, const gql_type *obj);
/* Two composite types share a possible object type. */
int gql_types_overlap(const gql_type *a, const gql_type *b);

/* Parse SDL into the schema (sdl.c). message (arena) on failure. */
sl_rc gql_sdl_load(sl_gql_schema *s, const char *sdl, size_t len, int builtin, sl_error *err);
/* The introspection types and their resolvers (introspection.c). */
extern const char gql_introspection_sdl[];
sl_rc gql_introspection_attach(sl_gql_schema *s, sl_error *err);

/* ---- errors ---------------------------------------------------------------- */

typedef struct gql_errors {
    json_t *list;                    /* array of error objects */
    size_t max;                      /* stop adding beyond this (0 = no cap) */
    int full;                        /* a further error was dropped */
    int oom;
} gql_errors;

/* Append {"message", "locations", "path"}; off UINT32_MAX = no location,
 * path NULL = none (stolen otherwise). */
void gql_error_add(gql_errors *e, const gql_document *d, uint32_t off, json_t *path,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void gql_error_addv(gql_errors *e, const gql_document *d, uint32_t off, json_t *path,
                    const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));
#define GQL_NO_LOC UINT32_MAX

/* " (Did you mean `x`?)" into b when a candidate is close to name. */
void gql_suggest(gql_buf *b, const char *name, const char *const *candidates, size_t n);

/* ---- values (values.c) ---------------------------------------------------- */

/* A JSON leaf as a scalar or enum type: input coercion of a variable, or
 * with `output` the serialization of a resolver's value (which also turns
 * numbers and booleans into String, and passes custom scalars as they
 * are).  0 with *out, -1 when the value is not of the type. */
int gql_leaf_json(const sl_gql_schema *s, const gql_type *t, const json_t *in, int output, json_t **out);
/* The GraphQL text of a literal ("{a: 1, b: [ENUM]}"). */
void gql_value_print(gql_buf *b, const gql_value *v);
/* A const literal as plain JSON (enums as strings). NULL on OOM. */
json_t *gql_value_to_json(const gql_value *v);

/* An input coercion problem, graphql-ruby style: where (keys and list
 * indices from the top) and why. */
typedef struct gql_problem {
    json_t *path;                    /* array, NULL until a problem is set */
    gql_buf why;
    int coercion;                    /* why is a custom scalar's own message */
} gql_problem;

/* Set the problem (the innermost caller sets it, the outer ones prepend
 * their key with gql_problem_in). */
void gql_problem_set(gql_problem *pr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void gql_problem_in(gql_problem *pr, json_t *segment);
/* "a.0.b" */
void gql_problem_path(gql_buf *b, const gql_problem *pr);
/* GraphQL's text for a JSON value ("abc" quoted, {a: 1}), as graphql-ruby
 * serializes a bad input. */
void gql_json_print(gql_buf *b, const json_t *v);

/* Coerce a JSON input (a variable's value) to type t.  *out new reference;
 * 0 ok, -1 with problem filled.  Absent values are the caller's concern. */
int gql_coerce_json(const sl_gql_schema *s, const gql_typeref *t, const json_t *in,
                    json_t **out, gql_problem *pr, int depth);
/* A literal is valid for t given the declared variables (validation).
 * 0 ok, -1 invalid.  vars may be NULL (const context).  When a custom
 * scalar's coercion refused it and `coercion` is not NULL, its message goes
 * there (graphql-ruby's CoercionError replaces the generic message). */
int gql_literal_valid(const sl_gql_schema *s, const gql_typeref *t, const gql_value *v,
                      int depth, gql_buf *coercion);
/* Coerce a literal (with variables already coerced in vars) to JSON for
 * type t.  Returns 0 and *out, or 1 when the value is absent (an unset
 * variable), -1 on error (message in pr). */
int gql_coerce_literal(const sl_gql_schema *s, const gql_typeref *t, const gql_value *v,
                       const json_t *vars, json_t **out, gql_problem *pr, int depth);
/* The arguments of a field or directive as a JSON object: given ones
 * coerced, absent ones with defaults.  -1 with pr on a bad value. */
int gql_coerce_args(const sl_gql_schema *s, gql_input_def *const *defs, size_t ndefs,
                    gql_argument *const *args, size_t nargs, const json_t *vars,
                    json_t **out, gql_problem *pr);
void gql_problem_free(gql_problem *pr);

/* @skip / @include decide that a selection is left out (vars coerced). */
int gql_skipped(gql_directive *const *dirs, size_t n, const json_t *vars);

/* ---- fields by response key (fields.c) -------------------------------------- */

typedef struct gql_group {
    const gql_selection **fields;    /* one response key; the first leads */
    size_t n;
    size_t first;                    /* position of the first in the input */
} gql_group;

typedef struct gql_grouping {
    gql_group *groups;               /* in order of first appearance */
    size_t n;
    const gql_selection **sorted;    /* what the groups point into */
} gql_grouping;

/* The alias, or else the name. */
const char *gql_response_key(const gql_selection *f);
/* Group a vector of gql_selection* by response key. -1 when out of memory. */
int gql_group_fields(const gql_vec *fields, gql_grouping *out);
void gql_grouping_free(gql_grouping *g);

/* ---- stages of a query ----------------------------------------------------- */

/* Section 5 validation; errors (at most SL_GQL_ERRORS_MAX) into e. */
void gql_validate(const sl_gql_schema *s, gql_document *d, gql_errors *e);

typedef struct gql_analysis {
    int depth;
    long complexity;
} gql_analysis;

/* Depth and complexity of an operation, fragments expanded, @skip and
 * @include applied.  -1 when out of memory. */
int gql_analyze(const sl_gql_schema *s, const gql_operation *op, const json_t *vars,
                gql_analysis *out);
/* GitLab's recursion check: fields (with selections, not node, edges,
 * nodes, ofType) met more than `threshold` times on one branch, as
 * {"name": count} in first-seen order; *out NULL when none. */
int gql_recursion(const gql_operation *op, const json_t *vars, int threshold, json_t **out);

struct sl_gql_query {
    const sl_gql_schema *schema;
    gql_document doc;
    int parsed;                      /* doc holds a tree */
    const gql_operation *op;
    json_t *vars;                    /* coerced variables */
    gql_errors errors;
    int refused;
    gql_analysis an;
    int analyzed;
    long complexity_limit;           /* set by sl_gql_query_check, 0 none */
};

sl_rc gql_execute(sl_gql_query *q, void *context, const sl_gql_limits *lim, json_t **data,
                  gql_errors *errors);

/* Ruby's Hash#inspect of {"name" => count} for the recursion message. */
void gql_ruby_hash(gql_buf *b, const json_t *obj);

/* Levenshtein distance, capped at cap+1. */
size_t gql_levenshtein(const char *a, const char *b, size_t cap);

#endif
