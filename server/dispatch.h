/*
 * dispatch.h - which API surface answers a request, by path: one table in
 * dispatch.c, one line per surface (GET /metrics, GitLab's GraphQL API, the
 * Code Suggestions API, the admin console, the License REST API).  A pure function like the
 * surfaces it picks from; http.c calls it for every request.
 */
#ifndef SL_DISPATCH_H
#define SL_DISPATCH_H

#include "code_suggestions/code_suggestions.h"
#include "console/console.h"
#include "metrics/metrics.h"
#include "router.h"

typedef struct sl_dispatch_ctx {
    sl_metrics *metrics;     /* the server's request figures (may be NULL) */
    int metrics_only;        /* the --metrics-listen listener: /metrics, no token, nothing else */
    sl_cs *cs;               /* the Code Suggestions API's shared state (NULL: not served) */
    sl_console *console;     /* the admin console's sessions (NULL: not served) */
} sl_dispatch_ctx;

/* An API surface: a pure function from request to response that never
 * fails (router.h's contract; st may be NULL when the ledger is not open). */
typedef sl_http_response (*sl_surface_fn)(const sl_dispatch_ctx *ctx, sl_store *st,
                                          const sl_http_request *req);

/* GitLab's GraphQL API at /api/graphql (server/graphql_api/). */
sl_http_response sl_graphql_route(sl_store *st, const sl_http_request *req);

/* Answer one request on the listener described by ctx with the surface its
 * path belongs to; paths no surface claims get the License API's 404 (the
 * metrics listener's own 404 there).  Never fails. */
sl_http_response sl_dispatch(const sl_dispatch_ctx *ctx, sl_store *st, const sl_http_request *req);
/* The route label the request metrics count a path under: a template of a
 * known route, or "other".  A string literal. */
const char *sl_dispatch_label(const sl_dispatch_ctx *ctx, const char *path);

#endif
