/*
 * dispatch.c - the surfaces of the HTTP server by path: /metrics goes to
 * metrics/ (behind an admin token, or open on the --metrics-listen
 * listener, which serves nothing else), everything else to the License REST
 * API in rest/.
 */
#include "dispatch.h"

#include <stdlib.h>
#include <string.h>

static sl_http_response not_found(void)
{
    static const char body[] = "not found\n";
    sl_http_response r;
    memset(&r, 0, sizeof r);
    r.status = 404;
    r.body = malloc(sizeof body);
    if (r.body) {
        memcpy(r.body, body, sizeof body);
        r.body_len = sizeof body - 1;
        r.content_type = "text/plain; charset=utf-8";
    }
    return r;
}

sl_http_response sl_dispatch(const sl_dispatch_ctx *ctx, sl_store *st, const sl_http_request *req)
{
    if (req->path && strcmp(req->path, SL_METRICS_PATH) == 0) {
        if (req->body_too_large || req->body_len > SL_HTTP_BODY_MAX)
            return sl_route(NULL, req);   /* the router's 413 */
        return sl_metrics_route(ctx->metrics, st, req, ctx->metrics_only);
    }
    if (ctx->metrics_only)
        return not_found();
    return sl_route(st, req);
}

const char *sl_dispatch_label(const sl_dispatch_ctx *ctx, const char *path)
{
    const char *label;
    if (path && strcmp(path, SL_METRICS_PATH) == 0)
        return SL_METRICS_PATH;
    label = ctx->metrics_only ? NULL : sl_route_label(path);
    return label ? label : "other";
}
