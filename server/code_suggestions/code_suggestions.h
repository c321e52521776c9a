/*
 * code_suggestions.h - the Code Suggestions API (code-suggestions.md) as a
 * surface of the server: a pure dispatcher over the engine plus the state
 * it shares across worker threads (rate-limit windows, the once-a-day Duo
 * activity memo, cached gateway tokens) and the forwarding of completions
 * to the AI gateway (gateway.c, libcurl).  No sockets: http.c alone knows
 * libmicrohttpd.
 */
#ifndef SL_CODE_SUGGESTIONS_H
#define SL_CODE_SUGGESTIONS_H

#include "router.h"

#include <stdint.h>

#define SL_CS_PREFIX "/api/v4/code_suggestions/"
#define SL_CS_GATEWAY_TIMEOUT_S 55      /* GitLab's read timeout for the AI gateway */
#define SL_CS_GATEWAY_URL_MAX 2048      /* bytes of --ai-gateway */
#define SL_CS_HOST_MAX 255              /* bytes of --external-host */

/* The endpoints with a rate limit, index-stable. */
typedef enum sl_cs_limited {
    SL_CS_LIMIT_COMPLETIONS = 0,
    SL_CS_LIMIT_DIRECT_ACCESS,
    SL_CS_LIMIT_CONNECTION_DETAILS,
    SL_CS_LIMIT_COUNT
} sl_cs_limited;

typedef struct sl_cs_limit {
    int64_t count;       /* requests allowed per window and user */
    int64_t window_s;    /* fixed window length, seconds */
} sl_cs_limit;

typedef struct sl_cs_config {
    const char *ai_gateway_url;   /* NULL: completions answer 503 */
    const char *external_host;    /* host_name; NULL: the machine's host name */
    int gateway_timeout_s;        /* 0: SL_CS_GATEWAY_TIMEOUT_S */
    /* count 0 keeps the default of code-suggestions.md */
    sl_cs_limit limits[SL_CS_LIMIT_COUNT];
} sl_cs_config;

typedef struct sl_cs sl_cs;

/* "completions", "direct_access", "connection_details"; NULL when out of range. */
const char *sl_cs_limited_name(sl_cs_limited e);
/* Parse "ENDPOINT=COUNT/SECONDS" (serve --rate-limit) into cfg->limits;
 * SL_EUSAGE with a message when malformed. */
sl_rc sl_cs_parse_limit(const char *spec, sl_cs_config *cfg, sl_error *err);

/* The surface's shared state for one server; the config is copied.
 * SL_EUSAGE for a malformed gateway URL or host. */
sl_rc sl_cs_new(const sl_cs_config *cfg, sl_cs **out, sl_error *err);
void sl_cs_free(sl_cs *cs);
/* Handle one request under SL_CS_PREFIX against the ledger `st` (NULL when
 * it could not be opened: 503, these endpoints fail closed).  Safe to call
 * from several threads at once, each with its own store.  A completion may
 * come back with a stream (the gateway's answer). */
sl_http_response sl_cs_route(sl_cs *cs, sl_store *st, const sl_http_request *req);
/* The endpoint's path as a label for the request metrics (a literal), or
 * NULL for no endpoint of this API. */
const char *sl_cs_label(const char *path);

/* ---- the forwarding to the AI gateway (gateway.c) -------------------------- */

#define SL_CS_GATEWAY_HEADERS_MAX 12    /* headers sent besides Content-Type */
#define SL_CS_RELAY_MAX (8 * 1024 * 1024) /* bytes of one gateway answer relayed */
#define SL_CS_FORWARDS_MAX 256          /* completions in flight at once */

typedef struct sl_cs_forward {
    const char *url;                    /* the full endpoint URL */
    const char *body;                   /* borrowed until sl_cs_gateway_start returns */
    size_t body_len;
    sl_http_header headers[SL_CS_GATEWAY_HEADERS_MAX];
    size_t header_count;
    int timeout_s;                      /* for the head, and between body bytes */
} sl_cs_forward;

/* One-time setup of libcurl (before threads start) and its counterpart. */
sl_rc sl_cs_gateway_global_init(sl_error *err);
void sl_cs_gateway_global_cleanup(void);
/* Start forwarding `f` on a thread of its own; *out is the stream of the
 * answer: a gateway that cannot be reached or does not answer within the
 * timeout gives a 503 head.  SL_ETOOBIG when SL_CS_FORWARDS_MAX are in
 * flight, SL_ENOMEM/SL_EINTERNAL when the transfer cannot start. */
sl_rc sl_cs_gateway_start(const sl_cs_forward *f, sl_http_stream **out, sl_error *err);

#endif
