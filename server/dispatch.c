/*
 * dispatch.c - the surfaces of the HTTP server by path, one line of the
 * table each, the first match winning: /metrics goes to metrics/ (behind an
 * admin token, or open on the --metrics-listen listener, which serves
 * nothing else), /api/graphql to graphql_api/, /api/v4/code_suggestions/
 * to code_suggestions/ (when served), /admin and /admin/ to the admin
 * console in console/ (when served), /api/v4/ and everything else to the
 * License REST API in rest/, which answers unknown paths with its 404.
 * Before any of them, a request whose path or parameters are not UTF-8 or
 * hold a NUL byte is answered 400, as GitLab does.  A
 * new surface adds one line (an exact path, or a prefix ending in '/').
 * The GraphQL and License APIs also answer the console's own calls: a
 * request without a token but with a console session (and, when it changes
 * anything, the session's CSRF token) is answered as if it carried the
 * session's admin token (console/console.h, sl_console_admit).
 */
#include "dispatch.h"
#include "http_util.h"

#include <stdio.h>
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

static sl_http_response cs_surface(const sl_dispatch_ctx *ctx, sl_store *st,
                                   const sl_http_request *req)
{
    return sl_cs_route(ctx->cs, st, req);
}

static sl_http_response console_surface(const sl_dispatch_ctx *ctx, sl_store *st,
                                        const sl_http_request *req)
{
    return sl_console_route(ctx->console, st, req);
}

static sl_http_response rest_surface(const sl_dispatch_ctx *ctx, sl_store *st,
                                     const sl_http_request *req)
{
    (void)ctx;
    return sl_route(st, req);
}

static const char *metrics_label(const char *path)
{
    (void)path;
    return SL_METRICS_PATH;
}

static const char *graphql_label(const char *path)
{
    (void)path;
    return "/api/graphql";
}

enum {
    NEEDS_CS = 1,        /* only when ctx->cs is set */
    NEEDS_CONSOLE = 2,   /* only when ctx->console is set */
    SESSION_OK = 4,      /* the console's session may stand for a token */
    GRAPHQL_ERRORS = 8   /* refusals in the GraphQL API's error shape */
};

static const struct surface {
    const char *path;                       /* exact, or a prefix when it ends in '/' */
    sl_surface_fn handle;
    const char *(*label)(const char *path); /* the metrics' route label; NULL: none */
    int metrics_listener;                   /* served on the --metrics-listen listener too */
    unsigned flags;
} surfaces[] = {
    {SL_METRICS_PATH, metrics_surface, metrics_label, 1, 0},                    /* metrics/ */
    {"/api/graphql", graphql_surface, graphql_label, 0, SESSION_OK | GRAPHQL_ERRORS}, /* graphql_api/ */
    {SL_CS_PREFIX, cs_surface, sl_cs_label, 0, NEEDS_CS},                       /* code_suggestions/ */
    {SL_CONSOLE_ROOT, console_surface, sl_console_label, 0, NEEDS_CONSOLE},     /* console/ */
    {SL_CONSOLE_PREFIX, console_surface, sl_console_label, 0, NEEDS_CONSOLE},   /* console/ */
    {"/api/v4/", rest_surface, sl_route_label, 0, SESSION_OK},                  /* rest/ */
};

static const struct surface *surface_of(const sl_dispatch_ctx *ctx, const char *path)
{
    for (size_t i = 0; path && i < sizeof surfaces / sizeof surfaces[0]; i++) {
        const struct surface *s = &surfaces[i];
        size_t n = strlen(s->path);
        if ((ctx->metrics_only && !s->metrics_listener) || ((s->flags & NEEDS_CS) && !ctx->cs) ||
            ((s->flags & NEEDS_CONSOLE) && !ctx->console))
            continue;
        if (s->path[n - 1] == '/' ? strncmp(path, s->path, n) == 0 : strcmp(path, s->path) == 0)
            return s;
    }
    return NULL;
}

/* A plain-text answer of the dispatcher itself. */
static sl_http_response plain(int status, const char *ctype, const char *body)
{
    sl_http_response r = sl_http_resp_new(status);
    sl_http_resp_body(&r, ctype, body, strlen(body));
    return r;
}

/* A surface that takes the console's session: the request as sent, or as
 * admitted on the session. */
static sl_http_response with_session(const sl_dispatch_ctx *ctx, const struct surface *s,
                                     sl_store *st, const sl_http_request *req)
{
    sl_console_api *api = malloc(sizeof *api);
    sl_http_response r;
    int admitted;
    if (!api) {
        r = sl_http_resp_message(500, "500 Internal Server Error");
        snprintf(r.detail, sizeof r.detail, "out of memory");
        return r;
    }
    admitted = sl_console_admit(ctx->console, req, (s->flags & GRAPHQL_ERRORS) != 0, api, &r);
    if (admitted == 0)
        r = s->handle(ctx, st, req);
    else if (admitted > 0)
        r = s->handle(ctx, st, &api->req);
    sl_console_api_done(api);
    free(api);
    return r;
}

sl_http_response sl_dispatch(const sl_dispatch_ctx *ctx, sl_store *st, const sl_http_request *req)
{
    const struct surface *s;
    sl_http_response r;
    /* an ambiguous body framing first, whatever the surface: nothing after
     * it can be trusted; then GitLab's 400 for malformed strings */
    if (sl_http_framing_refuse(req, &r))
        return r;
    if (sl_http_malformed(req))   /* GitLab's answer, word for word */
        return plain(400, "text/plain", "Bad Request");
    s = surface_of(ctx, req->path);
    if (s && (s->flags & SESSION_OK) && ctx->console)
        return with_session(ctx, s, st, req);
    if (s)
        return s->handle(ctx, st, req);
    if (ctx->metrics_only)
        return plain(404, "text/plain; charset=utf-8", "not found\n");
    return sl_route(st, req);
}

const char *sl_dispatch_label(const sl_dispatch_ctx *ctx, const char *path)
{
    const struct surface *s = surface_of(ctx, path);
    const char *label = s && s->label ? s->label(path) : NULL;
    return label ? label : "other";
}
