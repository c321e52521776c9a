/*
 * graphql_api.h - GitLab's GraphQL API (shared/spec/graphql.md) on top of
 * the generic engine in server/graphql/: the schema of docs/schema.graphql bound
 * to the ledger (binding.c, with the Global IDs of ids.c and the
 * connections of connection.c) and the HTTP transport (transport.c: POST,
 * GET, batches, tokens, GitLab's limits, 401/422).  Uses only the engine's
 * public header, seatledger.h, and graphql.h.
 */
#ifndef SL_GRAPHQL_API_H
#define SL_GRAPHQL_API_H

#include "graphql.h"
#include "http_util.h"

#include <stddef.h>
#include <stdint.h>

/* ---- GitLab's limits (GitlabSchema), named once ---------------------------- */

#define SL_GRAPHQL_PATH "/api/graphql"
#define SL_GRAPHQL_COMPLEXITY_ANONYMOUS 200
#define SL_GRAPHQL_COMPLEXITY_AUTHENTICATED 250
#define SL_GRAPHQL_COMPLEXITY_ADMIN 300
/* An anonymous request whose queries are all named IntrospectionQuery
 * (GraphiQL's) may score this much (GitLab's INTROSPECTION_MAX_COMPLEXITY). */
#define SL_GRAPHQL_COMPLEXITY_INTROSPECTION 226
#define SL_GRAPHQL_INTROSPECTION_NAME "IntrospectionQuery"
#define SL_GRAPHQL_DEPTH_ANONYMOUS 15
#define SL_GRAPHQL_DEPTH_AUTHENTICATED 20
#define SL_GRAPHQL_RECURSION_MAX 2        /* the same field more often on a branch is refused */
#define SL_GRAPHQL_TIMEOUT_MS 30000       /* "Timeout on Type.field" */
#define SL_GRAPHQL_PAGE_MAX 100           /* first/last above it are cut to it */
/* Queries in one batch (ours: GitLab bounds a batch by its summed text
 * alone, which empty queries do not use up). */
#define SL_GRAPHQL_BATCH_MAX 100

/* The messages the transport sends itself. */
#define SL_GRAPHQL_MSG_INVALID_TOKEN "Invalid token"
#define SL_GRAPHQL_MSG_GET_MUTATION "Mutations are forbidden in %s requests"
#define SL_GRAPHQL_MSG_NO_QUERY "No query string was present"
#define SL_GRAPHQL_MSG_BATCH "Too many queries in one batch (more than %d)"
/* Every refusal of license and add-on data to a caller who may not see it. */
#define SL_GRAPHQL_MSG_NOT_AVAILABLE SL_MSG_SEAT_NOT_FOUND

/* ---- the schema and the context of a request ------------------------------- */

/* Who is asking, and against which ledger.  Resolvers see it as the
 * context of sl_gql_query_execute(). */
typedef struct sl_graphql_ctx {
    sl_store *st;
    int authenticated;                 /* a valid token */
    int admin;                         /* an admin token */
    char actor[SL_TOKEN_NAME_MAX + 1]; /* the token's name: the seat history's actor */
    /* the add-on purchases, read once per request (binding.c) */
    sl_addon_purchase *purchases;
    size_t npurchases;
    int purchases_read;
} sl_graphql_ctx;
/* Release what a request cached in c (the caller's struct stays). */
void sl_graphql_ctx_clear(sl_graphql_ctx *c);

/* The schema of docs/schema.graphql with every resolver, scalar and cost
 * attached, built on first use and then shared read-only by every thread
 * (borrowed; lives until exit).  SL_EINTERNAL when the embedded SDL or a
 * binding is broken (a build defect, never the client's). */
sl_rc sl_graphql_schema(const sl_gql_schema **out, sl_error *err);
/* Attach the resolvers, scalars and costs of binding.c to s. */
sl_rc sl_graphql_bind(sl_gql_schema *s, sl_error *err);

/* ---- the transport --------------------------------------------------------- */

typedef struct sl_graphql_options {
    int64_t (*now_ms)(void);   /* clock of the execution timeout; NULL: monotonic */
    int64_t timeout_ms;        /* 0: SL_GRAPHQL_TIMEOUT_MS */
} sl_graphql_options;

/* sl_graphql_route (dispatch.h) with options (tests: a clock that jumps),
 * never answering from the response cache. */
sl_http_response sl_graphql_route_with(sl_store *st, const sl_http_request *req,
                                       const sl_graphql_options *opt);

/* ---- the response cache (cache.c) -------------------------------------------- */

/* The kept answer of the request `key` (n bytes: the caller's role and
 * the request's bytes) when the ledger's stamp is unchanged: 1 with *out a
 * 200 response (the caller's to free); 0 otherwise.  *stamp receives the
 * ledger's stamp now, for sl_graphql_cache_put. */
int sl_graphql_cache_get(sl_store *st, const char *key, size_t n, sl_store_stamp *stamp,
                         sl_http_response *out);
/* Keep `body` as the answer of `key` under `stamp` (taken before the
 * request ran, so a commit meanwhile leaves it stale, never wrong). */
void sl_graphql_cache_put(const char *key, size_t n, const sl_store_stamp *stamp, const char *body,
                          size_t len);

/* ---- Global IDs (ids.c) ------------------------------------------------------ */

/* "gid://gitlab/<model>/<id>" with the id percent-encoded where a URI needs
 * it, as a new JSON string (NULL when out of memory). */
json_t *sl_graphql_gid(const char *model, const char *id);
json_t *sl_graphql_gid_int(const char *model, int64_t id);
/* Register the input coercion of the Global ID scalars (a value becomes the
 * JSON string of its model id, percent-decoded), Date and Time. */
sl_rc sl_graphql_bind_scalars(sl_gql_schema *s, sl_error *err);

/* ---- connections (connection.c) ---------------------------------------------- */

/* The paging arguments of a connection field: first/last cut to
 * [0, SL_GRAPHQL_PAGE_MAX]; first defaults to the page maximum when neither
 * is given (graphql-ruby's default page size). */
typedef struct sl_graphql_page {
    int has_first, has_last;
    long first, last;
    const char *after, *before;        /* borrowed from the arguments; NULL: none */
} sl_graphql_page;
void sl_graphql_page_args(const json_t *args, sl_graphql_page *out);

/* A connection over all `items` (an array of node objects; taken) the way
 * graphql-ruby's ArrayConnection pages an array: cursors are the 1-based
 * positions in base64url.  SL_EINVAL "Please provide a valid cursor". */
sl_rc sl_graphql_array_connection(json_t *items, const sl_graphql_page *pg, json_t **out,
                                  sl_error *err);
/* The page of a list of n items the arguments ask for, by position as
 * sl_graphql_array_connection pages (its cursors: sl_graphql_position_cursor),
 * for lists that are streamed rather than held.  SL_EINVAL for a cursor
 * that is none of ours. */
typedef struct sl_graphql_window {
    long from, count;            /* items [from, from + count), 0-based */
    int has_previous, has_next;
} sl_graphql_window;
sl_rc sl_graphql_array_window(long n, const sl_graphql_page *pg, sl_graphql_window *w,
                              sl_error *err);
/* The cursor of the item at 0-based position i (a new JSON string; NULL
 * when out of memory). */
json_t *sl_graphql_position_cursor(long i);
/* A connection of nodes already paged by the caller: edges from nodes and
 * cursors (arrays of the same length; both taken), pageInfo from the
 * flags.  NULL when out of memory. */
json_t *sl_graphql_connection(json_t *nodes, json_t *cursors, int has_previous, int has_next);
/* Opaque cursors: base64url without padding of raw[0..n), and back
 * (decoded: malloc'd, NUL-terminated; NULL when not a cursor). */
char *sl_graphql_cursor_encode(const char *raw, size_t n);
char *sl_graphql_cursor_decode(const char *cursor);
#define SL_GRAPHQL_MSG_BAD_CURSOR "Please provide a valid cursor"

#endif
