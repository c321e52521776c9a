/*
 * dispatch.c - the surfaces of the HTTP server by path, one line of the
 * table each: /metrics goes to metrics/ (behind an admin token, or open on
 * the --metrics-listen listener, which serves nothing else), /api/graphql
 * to graphql_api/, /api/v4/ and everything else to the License REST API in
 * rest/, which answers unknown paths with its 404.  A new surface adds one
 * line (an exact path, or a prefix ending in '/').
 */
#include "dispatch.h"

#include <stdlib.h>
#include <string.h>

static sl_http_response metrics_surface(const sl_dispatch_ctx *ctx, sl_store *st,
                                        const sl_http_request *req)
{
    if (req->body_too_large || req->body_len > SL_HTTP_BODY_MAX)
        return sl_route(NULL, req);   /* the router's 413 */
    return sl_metrics_route(ctx->metrics, st, req, ctx->metrics_only);
}

static sl_http_response graphql_surface(const sl_dispatch_ctx *ctx, sl_store *st,
                                        const sl_http_request *req)
{
    (void)ctx;
    return sl_graphql_route(st, req);
}

static sl_http_response rest_surface(const sl_dispatch_ctx *ctx, sl_store *st,
                                     const sl_http_request *req)
{
    (void)ctx;
    return sl_route(st, req);
}

static const struct surface {
    const char *path;           /* exact, or a prefix when it ends in '/' */
    sl_surface_fn handle;
    int metrics_listener;       /* served on the --metrics-listen listener too */
    const char *label;          /* the metrics' route label; NULL: the REST router's */
} surfaces[] = {
    {SL_METRICS_PATH, metrics_surface, 1, SL_METRICS_PATH},   /* metrics/ */
    {"/api/graphql", graphql_surface, 0, "/api/graphql"},     /* graphql_api/ */
    {"/api/v4/", rest_surface, 0, NULL},                      /* rest/ */
};

static const struct surface *surface_of(const sl_dispatch_ctx *ctx, const char *path)
{
    for (size_t i = 0; path && i < sizeof surfaces / sizeof surfaces[0]; i++) {
        const char *p = surfaces[i].path;
        size_t n = strlen(p);
        if (p[n - 1] == '/' ? strncmp(path, p, n) == 0 : strcmp(path, p) == 0)
            return ctx->metrics_only && !surfaces[i].metrics_listener ? NULL : &surfaces[i];
    }
    return NULL;
}

static sl_http_response not_found(void)
{
    static const char body[] = "not found\n";
    sl_http_response r = sl_http_response_new(404);
    sl_http_response_body(&r, "text/plain; charset=utf-8", body, sizeof body - 1);
    return r;
}

sl_http_response sl_dispatch(const sl_dispatch_ctx *ctx, sl_store *st, const sl_http_request *req)
{
    const struct surface *s = surface_of(ctx, req->path);
    if (s)
        return s->handle(ctx, st, req);
    if (ctx->metrics_only)
        return not_found();
    return sl_route(st, req);
}

const char *sl_dispatch_label(const sl_dispatch_ctx *ctx, const char *path)
{
    const struct surface *s = surface_of(ctx, path);
    const char *label = NULL;
    if (s)
        label = s->label ? s->label : sl_route_label(path);
    return label ? label : "other";
}
