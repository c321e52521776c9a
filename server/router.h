/*
 * router.h - seatledger's GitLab-compatible License API: request handling
 * as a pure function (a request in, a response out, no sockets) and the
 * libmicrohttpd server that puts it on the network.
 */
#ifndef SL_ROUTER_H
#define SL_ROUTER_H

#include "seatledger.h"

#include <stddef.h>

/* Request bodies larger than this are refused with 413 before they are
 * read; a license key (SL_LICENSE_TEXT_MAX) fits. */
#define SL_HTTP_BODY_MAX (1024 * 1024)
/* Extra response headers a dispatcher can set (Allow, Content-Disposition,
 * Retry-After, X-GitLab-Error-Origin; the console's security headers,
 * Set-Cookie, Location, ETag). */
#define SL_HTTP_RESPONSE_HEADERS_MAX 12

typedef struct sl_http_header {
    const char *name;
    const char *value;
} sl_http_header;

/* A request as received.  All pointers are borrowed for the duration of
 * sl_route(); none needs to be NUL-terminated except method, path, query
 * and header names/values. */
typedef struct sl_http_request {
    const char *method;             /* "GET", "POST", ... */
    const char *path;               /* raw path without the query */
    const char *query;              /* raw query string after '?', or NULL */
    const sl_http_header *headers;  /* names in any case */
    size_t header_count;
    const char *body;               /* may be NULL when body_len is 0 */
    size_t body_len;
    int body_too_large;             /* the transport stopped reading it */
    const char *version;            /* "HTTP/1.1", "HTTP/1.0"; NULL counts as 1.1 */
} sl_http_request;

typedef struct sl_http_response sl_http_response;

/* Called, from any thread, when a stream that answered "not yet" may have
 * more to give. */
typedef void (*sl_http_wake_fn)(void *arg);

#define SL_HTTP_STREAM_END (-1)     /* read: the body is complete */
#define SL_HTTP_STREAM_ERROR (-2)   /* read: the body broke off; close the connection */

/* A response whose head and body arrive later (the AI gateway's answer to a
 * completion).  The transport pulls it without ever blocking: a call that
 * has nothing yet returns 0 and arranges for wake(arg) to be called once
 * (from another thread) when it may have.  Calls come from one thread at a
 * time. */
typedef struct sl_http_stream sl_http_stream;
struct sl_http_stream {
    /* 1 when the head is known: fills r's status, content_type and headers
     * (strings owned by the stream); 0 not yet. */
    int (*head)(sl_http_stream *s, sl_http_response *r, sl_http_wake_fn wake, void *arg);
    /* Up to size body bytes into buf: the count (> 0), 0 not yet,
     * SL_HTTP_STREAM_END or SL_HTTP_STREAM_ERROR. */
    long (*read)(sl_http_stream *s, char *buf, size_t size, sl_http_wake_fn wake, void *arg);
    /* Release it; no wake call runs after this returns. */
    void (*free)(sl_http_stream *s);
};

/* A response.  content_type and the header strings are static (or owned by
 * the stream), except the values whose bit is set in owned_values (copies
 * made by sl_http_resp_header_copy()); body and those values are owned by
 * the response and released with sl_http_response_free().  A response with a stream has its head and body
 * from the stream; status, content_type and body are then unused. */
struct sl_http_response {
    int status;
    const char *content_type;       /* NULL when there is no body (204) */
    sl_http_header headers[SL_HTTP_RESPONSE_HEADERS_MAX];
    size_t header_count;
    unsigned owned_values;          /* bit i: headers[i].value is the response's */
    char *body;
    size_t body_len;
    int close;                      /* the transport closes the connection after it */
    sl_http_stream *stream;         /* owned; NULL for a response in memory */
    /* For 5xx only: the engine's message, for the server's log (never sent
     * to the client); "" otherwise. */
    char detail[SL_ERROR_MAX];
};

/* Handle one request of the API against the ledger `st` (which may be NULL
 * when the ledger could not be opened: requests that need it get 500).
 * Never fails: every problem becomes a status. */
sl_http_response sl_route(sl_store *st, const sl_http_request *req);
/* Frees the body, the owned header values and the stream; the struct
 * itself is the caller's.
 * Accepts NULL. */
void sl_http_response_free(sl_http_response *r);

/* The value of header `name` (any case), or NULL; borrowed from req. */
const char *sl_http_header_get(const sl_http_request *req, const char *name);
/* GitLab's admin check, shared by every surface that needs one: the token
 * from PRIVATE-TOKEN, Authorization: Bearer, or the private_token /
 * access_token query parameter.  *ok set for a valid admin token; otherwise
 * the 401/403 (or 500) response to send. */
sl_http_response sl_route_authenticate(sl_store *st, const sl_http_request *req, int *ok);
/* The License API route a path belongs to, as a template
 * ("/api/v4/license/:id"), or NULL: a bounded label for metrics. */
const char *sl_route_label(const char *path);

/* ---- message framing (server/framing.c) --------------------------------- */

/* Whether a request head says unambiguously where its body ends (RFC 9112
 * section 6).  When it does not, a proxy in front and this server could
 * disagree about where the next request starts (request smuggling), so the
 * answer is an error and the connection is closed.  sl_dispatch() checks
 * this first, for every surface; the transport also calls it as soon as the
 * head has arrived, before reading any body. */
typedef enum sl_http_framing {
    SL_FRAMING_OK = 0,
    SL_FRAMING_INVALID,         /* 400 and close */
    SL_FRAMING_UNSUPPORTED      /* 501 and close: a transfer coding other than chunked */
} sl_http_framing;

/* Checks req's header names, Content-Length and Transfer-Encoding fields and
 * version (body and path are not looked at).  *why, when why is not NULL,
 * is set to a static description of the first problem ("" when none). */
sl_http_framing sl_http_framing_check(const sl_http_request *req, const char **why);
/* When req's framing is ambiguous: 1, and *r the answer (400 or 501 with
 * GitLab's {"message": ...} and close set; the caller frees it).  0 and *r
 * untouched otherwise. */
int sl_http_framing_refuse(const sl_http_request *req, sl_http_response *r);

/* ---- the network server (server/http.c) -------------------------------- */

#define SL_SERVER_DEFAULT_LISTEN "127.0.0.1:8080"

typedef struct sl_server_config {
    const char *db_path;      /* the ledger; each worker opens its own connection */
    const char *listen;       /* "HOST:PORT" or "[V6]:PORT"; NULL = default; port 0 = any */
    int refresh_minute;       /* daily refresh at this minute of the UTC day
                                 (0..1439), or -1 for none */
    unsigned threads;         /* worker threads; 0 = number of CPUs */
    const char *metrics_listen; /* a second listener serving /metrics without a
                                   token ("HOST:PORT"), or NULL for none */
    const struct sl_cs_config *code_suggestions; /* NULL: the defaults, no gateway */
    int behind_tls;           /* TLS ends in front of the server: the admin
                                 console's session cookie is Secure */
} sl_server_config;

/* Parse "HH:MM" (00:00..23:59) into minutes of the day; -1 when malformed. */
int sl_server_parse_hhmm(const char *s);
/* The daily refresh timer's next firing: the first instant strictly after
 * now_ms (ms since the epoch) at `minute` of a UTC day. */
int64_t sl_server_next_refresh(int64_t now_ms, int minute);

/* Serve the API until SIGINT or SIGTERM, then stop accepting, let requests
 * in flight finish (bounded grace period) and return SL_OK.  Prints
 * "listening on http://HOST:PORT" to stderr once ready (after "metrics on
 * http://HOST:PORT/metrics" when there is a metrics listener) and one
 * access-log line per request.  SL_EUSAGE for a malformed listen address,
 * SL_ESTORAGE when the address cannot be bound or the ledger opened. */
sl_rc sl_server_run(const sl_server_config *cfg, sl_error *err);

#endif
