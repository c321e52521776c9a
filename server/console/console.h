/*
 * console/console.h - the admin web console (shared/spec/console.md) as a
 * surface of the server: the pages, the sign-in and its sessions, the
 * assets built into the binary, the console's own JSON (the session's CSRF
 * token, the banners, the usage chart), and the admission of the console's
 * calls to the GraphQL and License APIs on the session's behalf.  A pure
 * dispatcher like the other surfaces (no sockets: http.c alone knows
 * libmicrohttpd); its one piece of state is the session table.
 */
#ifndef SL_CONSOLE_H
#define SL_CONSOLE_H

#include "router.h"

#include <stdint.h>

#define SL_CONSOLE_PREFIX "/admin/"
#define SL_CONSOLE_ROOT "/admin"
/* Request headers an admitted API call may carry (http.c hands at most 128
 * to a dispatcher); the session's token is one more. */
#define SL_CONSOLE_API_HEADERS_MAX 128

typedef struct sl_console sl_console;

typedef struct sl_console_config {
    int secure_cookies;            /* serve --behind-tls: the cookie gets Secure */
    int64_t (*now_ms)(void);       /* the sessions' clock; NULL: sl_clock_now_ms */
} sl_console_config;

/* The console's state for one server (the config is copied).  SL_ENOMEM. */
sl_rc sl_console_new(const sl_console_config *cfg, sl_console **out, sl_error *err);
void sl_console_free(sl_console *c);

/* Answer a request for /admin or a path under SL_CONSOLE_PREFIX.  st may be
 * NULL (the pages that need the ledger answer 500).  Thread-safe. */
sl_http_response sl_console_route(sl_console *c, sl_store *st, const sl_http_request *req);
/* The route label of a console path for the request metrics (a literal). */
const char *sl_console_label(const char *path);

/* A GraphQL or License API request admitted on a console session: the
 * request with the session's token added as PRIVATE-TOKEN (the surfaces
 * authenticate it as if the browser had sent it, so a revoked or expired
 * token fails there and then, and the token's name is the actor). */
typedef struct sl_console_api {
    sl_http_request req;
    sl_http_header headers[SL_CONSOLE_API_HEADERS_MAX + 1];
    char token[SL_TOKEN_SECRET_MAX + 1];
} sl_console_api;

/* Admit an API request that may come from the console.  0: it presents a
 * token of its own or no valid session cookie: answer req as it is (an
 * expired session then meets the surface's 401).  1: a valid session, and
 * for a state-changing method (anything but GET and HEAD) the session's
 * CSRF token in X-CSRF-Token and no foreign Origin: answer api->req, then
 * call sl_console_api_done().  -1: refused (403: a missing or wrong CSRF
 * token, a foreign Origin; 400: too many headers); *refusal is the answer,
 * in the GraphQL API's error shape for `graphql`, else the REST API's. */
int sl_console_admit(sl_console *c, const sl_http_request *req, int graphql,
                     sl_console_api *api, sl_http_response *refusal);
/* Wipe the token from api. */
void sl_console_api_done(sl_console_api *api);

#endif
