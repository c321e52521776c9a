/*
 * metrics.c - GET /metrics: the ledger's figures (what `status --json`
 * shows) and the server's request counters and latency histograms, in the
 * OpenMetrics text format or the Prometheus text format 0.0.4, chosen by
 * the Accept header.  The names and their meaning are documented in
 * docs/operations.md; Prometheus scrapes them in tests/e2e/test_prometheus.sh.
 */
#include "metrics/metrics.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CT_OPENMETRICS "application/openmetrics-text; version=1.0.0; charset=utf-8"
#define CT_TEXT "text/plain; version=0.0.4; charset=utf-8"
#define STATUS_CLASSES 5              /* 1xx .. 5xx */
#define Q_SCALE 1000                  /* q-values in thousandths */
#define MS_PER_DAY 86400000LL
#define LABEL_VALUE_MAX 256           /* bytes of a label value taken from the ledger */

/* Latency buckets (seconds): an API answer is a few milliseconds, a usage
 * export of a long ledger or a license add with its RSA work may take more. */
static const double BUCKETS[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                 0.1,   0.25,   0.5,   1,    2.5,   5,   10};
#define NBUCKETS (sizeof BUCKETS / sizeof BUCKETS[0])

typedef struct series {
    uint64_t count;
    uint64_t sum_us;                  /* microseconds, summed */
    uint64_t buckets[NBUCKETS];       /* cumulative counts are made when rendered */
} series;

struct sl_metrics {
    pthread_mutex_t mu;
    const char *routes[SL_METRICS_ROUTES_MAX + 1];  /* the last slot is "other" */
    size_t nroutes;
    series s[SL_METRICS_ROUTES_MAX + 1][STATUS_CLASSES];
};

sl_metrics *sl_metrics_new(void)
{
    sl_metrics *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    pthread_mutex_init(&m->mu, NULL);
    m->routes[SL_METRICS_ROUTES_MAX] = "other";
    return m;
}

void sl_metrics_free(sl_metrics *m)
{
    if (!m)
        return;
    pthread_mutex_destroy(&m->mu);
    free(m);
}

void sl_metrics_observe(sl_metrics *m, const char *route, int status, double seconds)
{
    size_t r;
    int cls = status / 100 - 1;
    if (!m || cls < 0 || cls >= STATUS_CLASSES)
        return;
    if (seconds < 0)
        seconds = 0;
    pthread_mutex_lock(&m->mu);
    for (r = 0; r < m->nroutes && strcmp(m->routes[r], route ? route : "other") != 0; r++)
        ;
    if (r == m->nroutes) {
        if (route && m->nroutes < SL_METRICS_ROUTES_MAX)
            m->routes[m->nroutes++] = route;
        else
            r = SL_METRICS_ROUTES_MAX;
    }
    {
        series *s = &m->s[r][cls];
        s->count++;
        s->sum_us += (uint64_t)(seconds * 1e6 + 0.5);
        for (size_t b = 0; b < NBUCKETS; b++) {
            if (seconds <= BUCKETS[b]) {
                s->buckets[b]++;
                break;
            }
        }
    }
    pthread_mutex_unlock(&m->mu);
}

/* ---- content negotiation ------------------------------------------------ */

/* "q=0.5" style weight in thousandths; 1000 when absent, -1 when malformed. */
static int q_value(const char *params, size_t n)
{
    const char *p = params, *end = params + n;
    while (p < end) {
        const char *semi = memchr(p, ';', (size_t)(end - p));
        const char *stop = semi ? semi : end;
        while (p < stop && (*p == ' ' || *p == '\t'))
            p++;
        if (stop - p >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
            int v = 0, scale = Q_SCALE;
            p += 2;
            if (p >= stop || (*p != '0' && *p != '1'))
                return -1;
            v = (*p++ - '0') * Q_SCALE;
            if (p < stop && *p == '.') {
                for (p++; p < stop && *p >= '0' && *p <= '9' && scale > 1; p++) {
                    scale /= 10;
                    v += (*p - '0') * scale;
                }
            }
            while (p < stop && (*p == ' ' || *p == '\t'))
                p++;
            return p == stop && v <= Q_SCALE ? v : -1;
        }
        p = semi ? semi + 1 : end;
    }
    return Q_SCALE;
}

static int type_is(const char *t, size_t n, const char *want)
{
    return strlen(want) == n && strncasecmp(t, want, n) == 0;
}

int sl_metrics_wants_openmetrics(const char *accept)
{
    size_t len = accept ? strnlen(accept, SL_METRICS_ACCEPT_MAX) : 0;
    const char *p = accept, *end = accept ? accept + len : NULL;
    int q_om = -1, q_text = -1;
    while (p && p < end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *stop = comma ? comma : end, *t = p, *semi;
        size_t tn;
        int q;
        while (t < stop && (*t == ' ' || *t == '\t'))
            t++;
        semi = memchr(t, ';', (size_t)(stop - t));
        tn = (size_t)((semi ? semi : stop) - t);
        while (tn > 0 && (t[tn - 1] == ' ' || t[tn - 1] == '\t'))
            tn--;
        q = semi ? q_value(semi + 1, (size_t)(stop - semi - 1)) : Q_SCALE;
        if (q >= 0) {
            if (type_is(t, tn, "application/openmetrics-text") && q > q_om)
                q_om = q;
            else if ((type_is(t, tn, "text/plain") || type_is(t, tn, "text/*") ||
                      type_is(t, tn, "*/*")) && q > q_text)
                q_text = q;
        }
        p = comma ? comma + 1 : end;
    }
    /* asked for by name, and not liked less than the plain format */
    return q_om > 0 && q_om >= q_text;
}

/* ---- rendering ---------------------------------------------------------- */

typedef struct out {
    FILE *f;
    int om;                           /* OpenMetrics, else 0.0.4 */
} out;

/* HELP and TYPE of a family.  `type` is OpenMetrics' (counter, gauge,
 * histogram, info); in 0.0.4 a counter is named with its _total and an info
 * is a gauge named with its _info. */
static void family(const out *o, const char *name, const char *type, const char *help)
{
    const char *suffix = "";
    const char *t = type;
    if (!o->om && strcmp(type, "counter") == 0)
        suffix = "_total";
    if (!o->om && strcmp(type, "info") == 0) {
        suffix = "_info";
        t = "gauge";
    }
    fprintf(o->f, "# HELP %s%s %s\n# TYPE %s%s %s\n", name, suffix, help, name, suffix, t);
}

/* A label value with \, " and newline escaped, cut at LABEL_VALUE_MAX. */
static void label_value(FILE *f, const char *v)
{
    for (size_t i = 0; v && v[i] && i < LABEL_VALUE_MAX; i++) {
        if (v[i] == '\\' || v[i] == '"')
            fprintf(f, "\\%c", v[i]);
        else if (v[i] == '\n')
            fputs("\\n", f);
        else
            fputc(v[i], f);
    }
}

static void gauge(const out *o, const char *name, const char *help, long long v)
{
    family(o, name, "gauge", help);
    fprintf(o->f, "%s %lld\n", name, v);
}

/* GitLab's License#license_type. */
static const char *license_type(const sl_license_info *inf)
{
    if (!inf->cloud_licensing_enabled)
        return "legacy_license";
    return inf->offline_cloud_licensing_enabled ? "offline_cloud" : "online_cloud";
}

static sl_rc ledger_figures(const out *o, sl_store *st, sl_error *err)
{
    sl_status s;
    sl_license *lic = NULL;
    sl_rc rc = sl_store_status(st, &s, err);
    if (rc != SL_OK)
        return rc;
    if (s.has_license)
        rc = sl_store_license_get(st, s.license_id, &lic, NULL, err);
    if (rc != SL_OK)
        goto done;
    if (s.seats >= 0)
        gauge(o, "seatledger_license_seats",
              "Seats of the current license (absent: no license, or unrestricted).", s.seats);
    gauge(o, "seatledger_billable_users",
          "Billable users: the newest snapshot's count (status: daily_billable).",
          s.daily_billable);
    gauge(o, "seatledger_maximum_users",
          "Maximum users of the license term (status: maximum_user_count).",
          s.maximum_user_count);
    gauge(o, "seatledger_users_over_license",
          "Users over the license: what a true-up bills (status: overage).", s.overage);
    if (s.expires_on != SL_DATE_NONE)
        gauge(o, "seatledger_license_expiry_timestamp_seconds",
              "When the current license expires: 00:00 UTC of its expiry date.",
              (long long)s.expires_on * (MS_PER_DAY / 1000));
    if (lic) {
        family(o, "seatledger_license", "info", "The current license.");
        fprintf(o->f, "seatledger_license_info{plan=\"");
        label_value(o->f, s.plan);
        fprintf(o->f, "\",type=\"%s\",license_id=\"%lld\"} 1\n",
                license_type(sl_license_get_info(lic)), (long long)s.license_id);
    }
    family(o, "seatledger_last_snapshot_timestamp_seconds", "gauge",
           "When the newest snapshot was recorded (0: none yet).");
    fprintf(o->f, "seatledger_last_snapshot_timestamp_seconds %lld.%03lld\n",
            (long long)(s.last_snapshot_ms / 1000), (long long)(s.last_snapshot_ms % 1000));
    /* the active add-on purchases, as `status` lists them */
    family(o, "seatledger_addon_seats_purchased", "gauge",
           "Seats of each active add-on purchase (status: add-ons).");
    for (size_t i = 0; i < s.addon_count; i++)
        fprintf(o->f, "seatledger_addon_seats_purchased{add_on=\"%s\"} %lld\n",
                sl_addon_name(s.addons[i].add_on), (long long)s.addons[i].quantity);
    family(o, "seatledger_addon_seats_assigned", "gauge",
           "Seats of each active add-on purchase assigned to users.");
    for (size_t i = 0; i < s.addon_count; i++)
        fprintf(o->f, "seatledger_addon_seats_assigned{add_on=\"%s\"} %lld\n",
                sl_addon_name(s.addons[i].add_on), (long long)s.addons[i].assigned);
done:
    sl_license_free(lic);
    sl_status_free(&s);
    return rc;
}

static void request_figures(const out *o, sl_metrics *m)
{
    static const char *const classes[STATUS_CLASSES] = {"1xx", "2xx", "3xx", "4xx", "5xx"};
    series snap[SL_METRICS_ROUTES_MAX + 1][STATUS_CLASSES];
    const char *routes[SL_METRICS_ROUTES_MAX + 1];
    size_t nroutes;
    /* a consistent copy, rendered without the lock */
    pthread_mutex_lock(&m->mu);
    memcpy(snap, m->s, sizeof snap);
    memcpy(routes, m->routes, sizeof routes);
    nroutes = m->nroutes;
    pthread_mutex_unlock(&m->mu);

    family(o, "seatledger_http_requests", "counter",
           "HTTP requests answered, by route and status class.");
    for (size_t r = 0; r <= SL_METRICS_ROUTES_MAX; r++) {
        if (r >= nroutes && r != SL_METRICS_ROUTES_MAX)
            continue;
        for (int c = 0; c < STATUS_CLASSES; c++)
            if (snap[r][c].count)
                fprintf(o->f, "seatledger_http_requests_total{route=\"%s\",status_class=\"%s\"} %llu\n",
                        routes[r], classes[c], (unsigned long long)snap[r][c].count);
    }
    family(o, "seatledger_http_request_duration_seconds", "histogram",
           "Time from request line to response, by route and status class.");
    for (size_t r = 0; r <= SL_METRICS_ROUTES_MAX; r++) {
        if (r >= nroutes && r != SL_METRICS_ROUTES_MAX)
            continue;
        for (int c = 0; c < STATUS_CLASSES; c++) {
            const series *s = &snap[r][c];
            uint64_t cum = 0;
            if (!s->count)
                continue;
            for (size_t b = 0; b < NBUCKETS; b++) {
                cum += s->buckets[b];
                fprintf(o->f,
                        "seatledger_http_request_duration_seconds_bucket{route=\"%s\","
                        "status_class=\"%s\",le=\"%g\"} %llu\n",
                        routes[r], classes[c], BUCKETS[b], (unsigned long long)cum);
            }
            fprintf(o->f,
                    "seatledger_http_request_duration_seconds_bucket{route=\"%s\","
                    "status_class=\"%s\",le=\"+Inf\"} %llu\n"
                    "seatledger_http_request_duration_seconds_sum{route=\"%s\","
                    "status_class=\"%s\"} %llu.%06llu\n"
                    "seatledger_http_request_duration_seconds_count{route=\"%s\","
                    "status_class=\"%s\"} %llu\n",
                    routes[r], classes[c], (unsigned long long)s->count, routes[r], classes[c],
                    (unsigned long long)(s->sum_us / 1000000),
                    (unsigned long long)(s->sum_us % 1000000), routes[r], classes[c],
                    (unsigned long long)s->count);
        }
    }
}

static sl_http_response plain_error(int status, const char *detail)
{
    sl_http_response r;
    static const char body[] = "error\n";
    memset(&r, 0, sizeof r);
    r.status = status;
    r.body = malloc(sizeof body);
    if (r.body) {
        memcpy(r.body, body, sizeof body);
        r.body_len = sizeof body - 1;
        r.content_type = CT_TEXT;
    }
    snprintf(r.detail, sizeof r.detail, "%s", detail);
    return r;
}

sl_http_response sl_metrics_route(sl_metrics *m, sl_store *st, const sl_http_request *req,
                                  int open)
{
    sl_http_response r;
    sl_error err = {0};
    char *buf = NULL;
    size_t len = 0;
    out o;
    sl_rc rc;
    memset(&r, 0, sizeof r);
    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
        r = plain_error(405, "");
        r.detail[0] = '\0';
        r.headers[0].name = "Allow";
        r.headers[0].value = "GET, HEAD";
        r.header_count = 1;
        return r;
    }
    if (!st)
        return plain_error(500, "the ledger is not open");
    if (!open) {
        int ok = 0;
        r = sl_route_authenticate(st, req, &ok);
        if (!ok)
            return r;
        sl_http_response_free(&r);
    }
    o.om = sl_metrics_wants_openmetrics(sl_http_header_get(req, "Accept"));
    o.f = open_memstream(&buf, &len);
    if (!o.f)
        return plain_error(500, "out of memory");
    rc = ledger_figures(&o, st, &err);
    if (rc == SL_OK && m)
        request_figures(&o, m);
    if (o.om)
        fputs("# EOF\n", o.f);
    if (fclose(o.f) != 0 && rc == SL_OK)
        rc = sl_error_set(&err, SL_ENOMEM, "out of memory");
    if (rc != SL_OK) {
        free(buf);
        return plain_error(500, err.message);
    }
    memset(&r, 0, sizeof r);
    r.status = 200;
    r.content_type = o.om ? CT_OPENMETRICS : CT_TEXT;
    r.body = buf;
    r.body_len = len;
    return r;
}
