/*
 * metrics/metrics.h - GET /metrics for Prometheus as a pure function (a
 * request in, a response out), and the request counters and latency
 * histograms it reports, which the transport (http.c) fills.
 */
#ifndef SL_METRICS_H
#define SL_METRICS_H

#include "router.h"

#define SL_METRICS_PATH "/metrics"
/* Route labels kept apart; a request of any further label counts under
 * "other" (labels come from a fixed set, so this is a safety net). */
#define SL_METRICS_ROUTES_MAX 16

/* The server's own request figures: counters and latency histograms by
 * route and status class.  Thread-safe. */
typedef struct sl_metrics sl_metrics;

/* NULL when out of memory. */
sl_metrics *sl_metrics_new(void);
void sl_metrics_free(sl_metrics *m);
/* Count one answered request: `route` a label that lives as long as m (a
 * string literal; NULL counts as "other"), `status` the HTTP status (0 when
 * none was sent: not counted), `seconds` from request line to response. */
void sl_metrics_observe(sl_metrics *m, const char *route, int status, double seconds);

/* GET (or HEAD) /metrics: the ledger's figures and the request figures, in
 * the OpenMetrics text format when the Accept header asks for it (as
 * Prometheus does), else the Prometheus text format 0.0.4.  `open` skips the
 * admin token (the separate --metrics-listen listener); otherwise the token
 * rules of the License API apply.  st may be NULL (500). */
sl_http_response sl_metrics_route(sl_metrics *m, sl_store *st, const sl_http_request *req,
                                  int open);

/* Whether an Accept header value prefers OpenMetrics text to the plain
 * text format (q-values honoured; at most SL_METRICS_ACCEPT_MAX bytes are
 * looked at). */
#define SL_METRICS_ACCEPT_MAX 1024
int sl_metrics_wants_openmetrics(const char *accept);

#endif
