/*
 * dispatch.h - which API surface answers a request: the License REST API
 * (rest/), GET /metrics (metrics/).  A pure function like the surfaces it
 * picks from; http.c calls it for every request.
 */
#ifndef SL_DISPATCH_H
#define SL_DISPATCH_H

#include "metrics/metrics.h"
#include "router.h"

typedef struct sl_dispatch_ctx {
    sl_metrics *metrics;     /* the server's request figures (may be NULL) */
    int metrics_only;        /* the --metrics-listen listener: /metrics, no token, nothing else */
} sl_dispatch_ctx;

/* Answer one request on the listener described by ctx.  Never fails. */
sl_http_response sl_dispatch(const sl_dispatch_ctx *ctx, sl_store *st, const sl_http_request *req);
/* The route label the request metrics count a path under: a template of a
 * known route, or "other".  A string literal. */
const char *sl_dispatch_label(const sl_dispatch_ctx *ctx, const char *path);

#endif
