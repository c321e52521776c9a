/*
 * graphql.h - a generic GraphQL engine: parse, validate, analyse (depth,
 * complexity, recursion) and execute query documents against a schema
 * declared as SDL text, with resolvers attached by "Type.field" name.  It
 * knows nothing of licenses and nothing of HTTP: a binding declares its
 * schema and resolvers, the server's dispatcher turns requests into calls.
 *
 * Conventions (those of seatledger.h):
 *  - Fallible functions return an sl_rc and take a final `sl_error *err`
 *    (may be NULL); strings returned as `const` are borrowed from the object
 *    they came from; every *_free() accepts NULL.
 *  - JSON values are jansson's.  A `json_t *` returned to the caller is a new
 *    reference (json_decref it); one passed in is borrowed unless the
 *    function says "takes".
 *  - GraphQL errors meant for the client (syntax, validation, variables,
 *    limits, execution) are not sl_error: they travel in the response's
 *    "errors" array, worded as graphql-ruby words them.
 *
 * A request in four steps (sl_gql_run does all of them at once):
 *
 *     sl_gql_query *q;
 *     rc = sl_gql_query_new(schema, text, len, op_name, variables, &q, &err);
 *         parse, validate, pick the operation, coerce the variables and
 *         analyse; SL_EINVAL / SL_ETOOBIG: refused, q holds the errors
 *     rc = sl_gql_query_check(q, &limits, -1);          depth, complexity,
 *         recursion against this caller's limits (a batch sums the
 *         figures of sl_gql_query_complexity() and passes the sum)
 *     rc = sl_gql_query_execute(q, ctx, &limits, &response, &err);
 *         {"data": ..., "errors": [...]}; a refused query runs no resolver
 *     sl_gql_query_free(q);
 */
#ifndef SL_GRAPHQL_H
#define SL_GRAPHQL_H

#include "seatledger.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- limits the caller sees ------------------------------------------------
 * The other caps (tokens, string and number literals in lexer.c; nesting,
 * aliases, fragments, operations, variables, directives, arguments in
 * parser.c; expanded depth and size in validate.c; input nesting in
 * values.c; fields resolved per request in execute.c) are named at the top
 * of the file that enforces each; docs/graphql-engine.md lists them all. */

/* A query document's text, in characters (GitLab's max_query_size); over it
 * the query is refused with "Query too large" before it is read further.
 * A batch sums its texts against the same figure (the caller's job). */
#define SL_GQL_TEXT_MAX 10000
/* Validation errors reported for one document; the rest are not looked for. */
#define SL_GQL_ERRORS_MAX 5
/* The messages the caller may need to produce itself (batches). */
#define SL_GQL_MSG_TOO_LARGE "Query too large"

/* ---- the schema ------------------------------------------------------------ */

typedef struct sl_gql_schema sl_gql_schema;
typedef struct sl_gql_query sl_gql_query;
typedef struct sl_gql_value sl_gql_value;

/* Build a schema from SDL: scalar, type (implements), interface, union,
 * enum, input, schema { query mutation subscription }, descriptions,
 * arguments with defaults, @deprecated(reason:) on fields, arguments, input
 * fields and enum values, @specifiedBy(url:) on scalars.  The root types
 * default to Query, Mutation and Subscription.  The built-in scalars (Int,
 * Float, String, Boolean, ID), directives (@include, @skip, @deprecated,
 * @specifiedBy) and the introspection types are added.  SL_EINVAL with a
 * message naming the line for bad SDL or an inconsistent schema (unknown
 * type, output type as input, missing interface field).  Free with
 * sl_gql_schema_free(); a schema is read-only once requests use it and may
 * then serve several threads at once. */
sl_rc sl_gql_schema_new(const char *sdl, size_t len, sl_gql_schema **out, sl_error *err);
void sl_gql_schema_free(sl_gql_schema *s);

/* What a resolver is given.  Every pointer is borrowed for the call. */
typedef struct sl_gql_call {
    void *context;              /* the caller's, from sl_gql_query_execute() */
    void *userdata;             /* given with the resolver */
    const void *parent;         /* the parent object's handle (see parent_is_json);
                                   NULL for the root types' fields */
    int parent_is_json;         /* parent is a json_t * the engine holds */
    const char *type_name;      /* the parent's concrete type */
    const char *field_name;
    const json_t *args;         /* object: every argument given, or absent with a
                                   default; values coerced (enums as strings,
                                   input objects as objects, Int as integer) */
    const sl_gql_query *query;  /* the request, for its figures */
} sl_gql_call;

/* A resolver: SL_OK with *out the field's value (NULL = null; ownership
 * passes to the engine), or an error code with err->message the GraphQL
 * error the client sees for this field (the field becomes null). */
typedef sl_rc (*sl_gql_resolve_fn)(const sl_gql_call *call, sl_gql_value **out, sl_error *err);

/* Attach a resolver to "Type.field", or to "Type.*" for every field of Type
 * that has none of its own.  A field without one reads the member of the
 * same name when its parent is JSON (an object returned as a JSON object),
 * and is an execution error otherwise.  SL_ENOTFOUND for an unknown
 * coordinate. */
sl_rc sl_gql_schema_resolver(sl_gql_schema *s, const char *coordinate, sl_gql_resolve_fn fn,
                             void *userdata, sl_error *err);

/* The concrete type of an object handle returned without one for a field
 * whose type is an interface or union; NULL = unknown (an execution error).
 * A JSON object names its type in a "__typename" member instead. */
typedef const char *(*sl_gql_type_fn)(const void *object, const char *abstract_type,
                                      void *userdata);
void sl_gql_schema_type_resolver(sl_gql_schema *s, sl_gql_type_fn fn, void *userdata);

/* Input coercion of a custom scalar: SL_OK with *out (a new reference) the
 * value resolvers will see, or SL_EINVAL with err->message the explanation
 * (it becomes "... was provided invalid value for p (explanation)" or an
 * invalid-argument error).  Without one a custom scalar takes any JSON value
 * but null as is.  SL_ENOTFOUND when `type` is no custom scalar. */
typedef sl_rc (*sl_gql_scalar_fn)(const json_t *in, json_t **out, void *userdata, sl_error *err);
sl_rc sl_gql_schema_scalar(sl_gql_schema *s, const char *type, sl_gql_scalar_fn fn,
                           void *userdata, sl_error *err);

/* ---- complexity metadata ------------------------------------------------------
 * The score of a selection: every field counts 1 plus the sum of its
 * children (a response key selected twice counts once, its selections
 * merged); then, per field, in this order:
 *   - each argument registered with sl_gql_schema_cost_arg() that is given
 *     and not null adds its amount;
 *   - a field registered with sl_gql_schema_cost_page(s, c, page_max)
 *     multiplies its total by 1 + 0.01 * n, n = the smallest of its `first`
 *     and `last` arguments and page_max (page_max when neither is given),
 *     the fraction dropped;
 *   - a field with a sl_gql_schema_cost_fn() hook gets the last word. */
sl_rc sl_gql_schema_cost_arg(sl_gql_schema *s, const char *coordinate, const char *arg,
                             long add, sl_error *err);
sl_rc sl_gql_schema_cost_page(sl_gql_schema *s, const char *coordinate, long page_max,
                              sl_error *err);

/* Whether the introspection fields (__typename, __schema, __type and all
 * beneath them) count towards depth and complexity; they do by default
 * (graphql-ruby's count_introspection_fields).  GraphiQL's introspection
 * query scores 217 at depth 15 against a small schema when counted. */
void sl_gql_schema_count_introspection(sl_gql_schema *s, int count);

typedef struct sl_gql_cost_call {
    const char *type_name;      /* the type the field is selected on */
    const char *field_name;
    const json_t *args;         /* coerced as for resolvers */
    long children;              /* sum of the children's scores */
    long standard;              /* the score the rules above give */
} sl_gql_cost_call;
typedef long (*sl_gql_cost_fn)(const sl_gql_cost_call *c, void *userdata);
sl_rc sl_gql_schema_cost_fn(sl_gql_schema *s, const char *coordinate, sl_gql_cost_fn fn,
                            void *userdata, sl_error *err);

/* ---- values resolvers return -------------------------------------------------
 * Each constructor returns NULL when out of memory (return SL_ENOMEM then).
 * A value is owned by whoever holds it last: the resolver's *out, or the
 * list it was added to. */

/* A JSON value (takes the reference): a leaf (scalar or enum name), a list
 * of leaves, or, for an object type, a JSON object whose members the
 * fields without resolvers read.  json NULL or null = null. */
sl_gql_value *sl_gql_value_json(json_t *json);
/* An object handle of a concrete type (copied; NULL: ask the type
 * resolver).  free_fn (may be NULL) releases the handle once its fields are
 * resolved. */
sl_gql_value *sl_gql_value_object(void *object, const char *type_name,
                                  void (*free_fn)(void *object));
/* An empty list, and appending to it (takes item even on failure). */
sl_gql_value *sl_gql_value_list(void);
sl_rc sl_gql_value_list_add(sl_gql_value *list, sl_gql_value *item);
/* A list item that failed: null there, and this error at its path. */
sl_gql_value *sl_gql_value_error(const char *message);
void sl_gql_value_free(sl_gql_value *v);

/* ---- requests ----------------------------------------------------------------- */

typedef enum sl_gql_op {
    SL_GQL_OP_NONE,             /* none selected: the document did not parse,
                                   or the name matched no operation (a document
                                   that parsed but failed validation has its
                                   operation's kind) */
    SL_GQL_OP_QUERY,
    SL_GQL_OP_MUTATION,
    SL_GQL_OP_SUBSCRIPTION      /* parsed and validated, never executed */
} sl_gql_op;

/* Limits of one caller (anonymous, authenticated, admin ...).  Zero means
 * no limit. */
typedef struct sl_gql_limits {
    int max_depth;              /* "Query has depth of N, which exceeds max depth of M" */
    long max_complexity;        /* "Query has complexity of N, which exceeds max complexity of M" */
    int recursion_max;          /* the same field more often than this on one branch
                                   is refused (GitLab: 2) */
    int64_t timeout_ms;         /* execution time: "Timeout on Type.field" */
    int64_t (*now_ms)(void);    /* the clock for timeout_ms; NULL = CLOCK_MONOTONIC */
} sl_gql_limits;

/* Parse and validate `text` (len bytes, need not be NUL-terminated),
 * select the operation (operation_name may be NULL), coerce `variables`
 * (an object, a JSON string holding one, "" or null or NULL for none) and
 * compute the analysis figures.  *out is set in every case but SL_ENOMEM:
 *   SL_OK       ready to check and execute;
 *   SL_ETOOBIG  the text is over SL_GQL_TEXT_MAX ("Query too large");
 *   SL_EINVAL   refused: syntax, validation or variables; the errors are
 *               in sl_gql_query_errors();
 *   SL_ENOMEM   *out NULL.
 * The query keeps no pointer into text or variables. */
sl_rc sl_gql_query_new(const sl_gql_schema *s, const char *text, size_t len,
                       const char *operation_name, const json_t *variables,
                       sl_gql_query **out, sl_error *err);
void sl_gql_query_free(sl_gql_query *q);

/* The selected operation's kind, also for a document refused by validation;
 * SL_GQL_OP_NONE when none was selected (the GET rule: a document that does
 * not parse counts as a mutation). */
sl_gql_op sl_gql_query_op(const sl_gql_query *q);
/* The selected operation's name (borrowed from q); NULL when it has none
 * or none was selected.  GitLab allows its introspection query, named
 * IntrospectionQuery, a complexity above the anonymous limit. */
const char *sl_gql_query_operation_name(const sl_gql_query *q);
/* Figures of the selected operation, fragments expanded, @skip/@include
 * applied with the variables (0 for a refused query): depth as
 * graphql-ruby's max_depth counts it, and the complexity score. */
int sl_gql_query_depth(const sl_gql_query *q);
long sl_gql_query_complexity(const sl_gql_query *q);
/* The complexity limit the last sl_gql_query_check() applied (0 none). */
long sl_gql_query_complexity_limit(const sl_gql_query *q);

/* Apply limits to a ready query: recursion, then depth, then complexity
 * (`complexity` < 0: the query's own; a batch passes its sum).  SL_EINVAL
 * when refused, the reasons among its errors; SL_OK otherwise (also for a
 * query already refused, which stays refused). */
sl_rc sl_gql_query_check(sl_gql_query *q, const sl_gql_limits *lim, long complexity);
/* Refuse the query with one more error of the caller's wording (a limit
 * only a batch can see); no location. */
sl_rc sl_gql_query_refuse(sl_gql_query *q, const char *message);
int sl_gql_query_refused(const sl_gql_query *q);
/* The errors so far (array, borrowed; empty when none). */
const json_t *sl_gql_query_errors(const sl_gql_query *q);

/* Execute the selected operation (mutations' top-level fields in order,
 * one after another) and build the response: {"data": ..., "errors": [...]}
 * with "errors" only when there are any, keys in selection order, each
 * error {"message", "locations", "path"}.  A refused query gives
 * {"errors": [...]} and calls no resolver.  lim may be NULL (no timeout).
 * *response is a new reference.  SL_ENOMEM is the only failure. */
sl_rc sl_gql_query_execute(sl_gql_query *q, void *context, const sl_gql_limits *lim,
                           json_t **response, sl_error *err);

/* All of the above for one document.  SL_ETOOBIG when the text was too
 * large (the response says so), SL_OK for every other answer, refusals
 * included; SL_ENOMEM with *response NULL. */
sl_rc sl_gql_run(const sl_gql_schema *s, const char *text, size_t len, const char *operation_name,
                 const json_t *variables, void *context, const sl_gql_limits *lim,
                 json_t **response, sl_error *err);

#ifdef __cplusplus
}
#endif

#endif
