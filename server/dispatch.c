/*
 * dispatch.c - the surfaces of the HTTP server by path.  A new surface adds
 * one line to the table (an exact path, or a prefix ending in '/'); the
 * License REST API takes what no other line claims, and answers unknown
 * paths with its 404.
 */
#include "dispatch.h"

#include <string.h>

static const struct {
    const char *path;       /* exact, or a prefix when it ends in '/' */
    sl_surface_fn handle;
} surfaces[] = {
    {"/api/graphql", sl_graphql_route},     /* graphql_api/: GitLab's GraphQL API */
    {"/api/v4/", sl_route},                 /* rest/: GitLab's License API */
};

sl_http_response sl_dispatch(sl_store *st, const sl_http_request *req)
{
    for (size_t i = 0; req->path && i < sizeof surfaces / sizeof surfaces[0]; i++) {
        const char *p = surfaces[i].path;
        size_t n = strlen(p);
        if (p[n - 1] == '/' ? strncmp(req->path, p, n) == 0 : strcmp(req->path, p) == 0)
            return surfaces[i].handle(st, req);
    }
    return sl_route(st, req);
}
