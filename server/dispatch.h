/*
 * dispatch.h - which API surface answers a request, by path: one table in
 * dispatch.c, one line per surface.  A pure function like the surfaces it
 * picks from; http.c calls it for every request.
 */
#ifndef SL_DISPATCH_H
#define SL_DISPATCH_H

#include "router.h"

/* An API surface: a pure function from request to response that never
 * fails (router.h's contract; st may be NULL when the ledger is not open). */
typedef sl_http_response (*sl_surface_fn)(sl_store *st, const sl_http_request *req);

/* GitLab's GraphQL API at /api/graphql (server/graphql_api/). */
sl_http_response sl_graphql_route(sl_store *st, const sl_http_request *req);

/* Answer one request with the surface its path belongs to; paths no
 * surface claims get the License API's 404.  Never fails. */
sl_http_response sl_dispatch(sl_store *st, const sl_http_request *req);

#endif
