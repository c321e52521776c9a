/*
 * dispatch.c - which API surface answers a request: one line per surface,
 * matched by path prefix in order, the License REST API last.  Each surface
 * is a pure dispatcher in its own folder; http.c calls only this.
 */
#include "code_suggestions/code_suggestions.h"
#include "router.h"

#include <string.h>

static sl_http_response code_suggestions(const sl_surfaces *sf, sl_store *st,
                                         const sl_http_request *req)
{
    return sl_cs_route(sf->cs, st, req);
}

static sl_http_response rest(const sl_surfaces *sf, sl_store *st, const sl_http_request *req)
{
    (void)sf;
    return sl_route(st, req);
}

static const struct {
    const char *prefix;
    sl_http_response (*route)(const sl_surfaces *sf, sl_store *st, const sl_http_request *req);
} surfaces[] = {
    {SL_CS_PREFIX, code_suggestions},   /* code-suggestions.md */
    {"", rest},                         /* rest-api.md: everything else */
};

sl_http_response sl_dispatch(const sl_surfaces *sf, sl_store *st, const sl_http_request *req)
{
    size_t i = 0;
    while (i + 1 < sizeof surfaces / sizeof surfaces[0] &&
           (!req->path || strncmp(req->path, surfaces[i].prefix, strlen(surfaces[i].prefix)) != 0))
        i++;
    return surfaces[i].route(sf, st, req);
}
