/*
 * test_metrics.c - GET /metrics without sockets: the Accept negotiation,
 * the exact text of both formats for a known ledger, the token rules, the
 * metrics-only listener of the dispatcher, and the request histograms.
 */
#include "testutil.h"
#include "dispatch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOW "2026-11-22T12:00:00Z"
#define OM "application/openmetrics-text; version=1.0.0; charset=utf-8"
#define TEXT "text/plain; version=0.0.4; charset=utf-8"
#define PROMETHEUS_ACCEPT "application/openmetrics-text;version=1.0.0,application/openmetrics-text;" \
    "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"

typedef struct fixture {
    char *dir;
    sl_store *st;
    char *admin, *reader;
    sl_metrics *m;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    sl_error err = {0};
    char *priv = NULL, *pub = NULL, *key;
    int64_t id = 0;
    tu_license l = {.name = "Ada", .plan = "premium", .seats = 10, .starts = "2026-01-01",
                    .expires = "2026-12-31"};
    static const char users[] = "id,username,state\n1,a,active\n2,b,active\n3,c,blocked\n";
    FILE *in;
    assert_non_null(f);
    setenv("SEATLEDGER_NOW", NOW, 1);
    f->st = tu_store(&f->dir);
    assert_int_equal(sl_keys_generate(2048, &priv, &pub, &err), SL_OK);
    assert_int_equal(sl_store_key_trust(f->st, pub, strlen(pub), "vendor", &err), SL_OK);
    key = tu_issue(priv, &l);
    assert_int_equal(sl_store_license_add(f->st, key, strlen(key), SL_SOURCE_CLI, &id, &err), SL_OK);
    in = fmemopen((void *)users, sizeof users - 1, "r");
    assert_int_equal(sl_store_users_import(f->st, in, SL_USERS_CSV, 0, 0, NULL, NULL, NULL, &err),
                     SL_OK);
    fclose(in);
    assert_int_equal(sl_store_refresh(f->st, SL_SOURCE_CLI, NULL, &err), SL_OK);
    assert_int_equal(sl_store_token_create(f->st, "admin", 1, SL_DATE_NONE, &f->admin, &err), SL_OK);
    assert_int_equal(sl_store_token_create(f->st, "reader", 0, SL_DATE_NONE, &f->reader, &err), SL_OK);
    f->m = sl_metrics_new();
    assert_non_null(f->m);
    sl_free(priv);
    sl_free(pub);
    sl_free(key);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    sl_store_close(f->st);
    tu_rmtree(f->dir);
    free(f->dir);
    sl_free(f->admin);
    sl_free(f->reader);
    sl_metrics_free(f->m);
    free(f);
    return 0;
}

/* GET path on a listener, with an optional token and Accept header. */
static sl_http_response get(fixture *f, int metrics_only, const char *method, const char *path,
                            const char *token, const char *accept)
{
    sl_http_header h[2];
    sl_http_request req;
    sl_dispatch_ctx ctx = {.metrics = f->m, .metrics_only = metrics_only};
    size_t n = 0;
    if (token) {
        h[n].name = "PRIVATE-TOKEN";
        h[n++].value = token;
    }
    if (accept) {
        h[n].name = "Accept";
        h[n++].value = accept;
    }
    memset(&req, 0, sizeof req);
    req.method = method;
    req.path = path;
    req.headers = h;
    req.header_count = n;
    return sl_dispatch(&ctx, f->st, &req);
}

static void expect(sl_http_response r, int status, const char *ctype, const char *body)
{
    if (r.status != status)
        fail_msg("status %d, expected %d; body: %s", r.status, status, r.body ? r.body : "");
    if (ctype)
        assert_string_equal(r.content_type, ctype);
    if (body)
        assert_string_equal(r.body, body);
    sl_http_response_free(&r);
}

#define LEDGER_TEXT(INFO_TYPE, INFO_NAME) \
    "# HELP seatledger_license_seats Seats of the current license (absent: no license, or unrestricted).\n" \
    "# TYPE seatledger_license_seats gauge\n" \
    "seatledger_license_seats 10\n" \
    "# HELP seatledger_billable_users Billable users: the newest snapshot's count (status: daily_billable).\n" \
    "# TYPE seatledger_billable_users gauge\n" \
    "seatledger_billable_users 2\n" \
    "# HELP seatledger_maximum_users Maximum users of the license term (status: maximum_user_count).\n" \
    "# TYPE seatledger_maximum_users gauge\n" \
    "seatledger_maximum_users 2\n" \
    "# HELP seatledger_users_over_license Users over the license: what a true-up bills (status: overage).\n" \
    "# TYPE seatledger_users_over_license gauge\n" \
    "seatledger_users_over_license 0\n" \
    "# HELP seatledger_license_expiry_timestamp_seconds When the current license expires: 00:00 UTC of its expiry date.\n" \
    "# TYPE seatledger_license_expiry_timestamp_seconds gauge\n" \
    "seatledger_license_expiry_timestamp_seconds 1798675200\n" \
    "# HELP " INFO_NAME " The current license.\n" \
    "# TYPE " INFO_NAME " " INFO_TYPE "\n" \
    "seatledger_license_info{plan=\"premium\",type=\"legacy_license\",license_id=\"1\"} 1\n" \
    "# HELP seatledger_last_snapshot_timestamp_seconds When the newest snapshot was recorded (0: none yet).\n" \
    "# TYPE seatledger_last_snapshot_timestamp_seconds gauge\n" \
    "seatledger_last_snapshot_timestamp_seconds 1795348800.000\n" \
    "# HELP seatledger_addon_seats_purchased Seats of each active add-on purchase (status: add-ons).\n" \
    "# TYPE seatledger_addon_seats_purchased gauge\n" \
    "# HELP seatledger_addon_seats_assigned Seats of each active add-on purchase assigned to users.\n" \
    "# TYPE seatledger_addon_seats_assigned gauge\n"

static void test_openmetrics_for_prometheus(void **state)
{
    fixture *f = *state;
    expect(get(f, 1, "GET", "/metrics", NULL, PROMETHEUS_ACCEPT), 200, OM,
           LEDGER_TEXT("info", "seatledger_license")
           "# HELP seatledger_http_requests HTTP requests answered, by route and status class.\n"
           "# TYPE seatledger_http_requests counter\n"
           "# HELP seatledger_http_request_duration_seconds Time from request line to response, by route and status class.\n"
           "# TYPE seatledger_http_request_duration_seconds histogram\n"
           "# EOF\n");
}

static void test_plain_text_otherwise(void **state)
{
    fixture *f = *state;
    static const char *const accepts[] = {NULL, "*/*", "text/plain", "application/json",
                                          "application/openmetrics-text;q=0",
                                          "text/plain;q=0.9, application/openmetrics-text;q=0.8"};
    for (size_t i = 0; i < sizeof accepts / sizeof accepts[0]; i++)
        expect(get(f, 1, "GET", "/metrics", NULL, accepts[i]), 200, TEXT,
               LEDGER_TEXT("gauge", "seatledger_license_info")
               "# HELP seatledger_http_requests_total HTTP requests answered, by route and status class.\n"
               "# TYPE seatledger_http_requests_total counter\n"
               "# HELP seatledger_http_request_duration_seconds Time from request line to response, by route and status class.\n"
               "# TYPE seatledger_http_request_duration_seconds histogram\n");
}

static void test_accept_negotiation(void **state)
{
    (void)state;
    assert_true(sl_metrics_wants_openmetrics(PROMETHEUS_ACCEPT));
    assert_true(sl_metrics_wants_openmetrics("application/openmetrics-text"));
    assert_true(sl_metrics_wants_openmetrics(" Application/OpenMetrics-Text ; version=1.0.0"));
    assert_true(sl_metrics_wants_openmetrics("text/plain;q=0.5, application/openmetrics-text;q=0.5"));
    assert_false(sl_metrics_wants_openmetrics(NULL));
    assert_false(sl_metrics_wants_openmetrics(""));
    assert_false(sl_metrics_wants_openmetrics("*/*"));
    assert_false(sl_metrics_wants_openmetrics("application/openmetrics-text;q=0"));
    assert_false(sl_metrics_wants_openmetrics("application/openmetrics-text;q=0.000"));
    assert_false(sl_metrics_wants_openmetrics("application/openmetrics-text;q=2"));
    assert_false(sl_metrics_wants_openmetrics("application/openmetrics-text;q=abc"));
    assert_false(sl_metrics_wants_openmetrics("*/*, application/openmetrics-text;q=0.5"));
    assert_false(sl_metrics_wants_openmetrics("application/openmetrics-textual"));
}

static void test_token_rules(void **state)
{
    fixture *f = *state;
    expect(get(f, 0, "GET", "/metrics", NULL, NULL), 401, "application/json",
           "{\"message\":\"401 Unauthorized\"}");
    expect(get(f, 0, "GET", "/metrics", f->reader, NULL), 403, "application/json",
           "{\"message\":\"403 Forbidden\"}");
    expect(get(f, 0, "GET", "/metrics", "slt_wrong", NULL), 401, "application/json", NULL);
    expect(get(f, 0, "GET", "/metrics", f->admin, NULL), 200, TEXT, NULL);
    expect(get(f, 0, "HEAD", "/metrics", f->admin, NULL), 200, TEXT, NULL);
    /* the API listener still serves the License API */
    expect(get(f, 0, "GET", "/api/v4/licenses", f->admin, NULL), 200, "application/json", NULL);
}

static void test_method_not_allowed(void **state)
{
    fixture *f = *state;
    sl_http_response r = get(f, 1, "POST", "/metrics", NULL, NULL);
    assert_int_equal(r.status, 405);
    assert_int_equal(r.header_count, 1);
    assert_string_equal(r.headers[0].name, "Allow");
    assert_string_equal(r.headers[0].value, "GET, HEAD");
    sl_http_response_free(&r);
}

static void test_metrics_listener_serves_nothing_else(void **state)
{
    fixture *f = *state;
    expect(get(f, 1, "GET", "/api/v4/license", f->admin, NULL), 404, NULL, "not found\n");
    expect(get(f, 1, "GET", "/metrics/", NULL, NULL), 404, NULL, "not found\n");
    {
        sl_dispatch_ctx api = {.metrics = f->m}, open = {.metrics = f->m, .metrics_only = 1};
        assert_string_equal(sl_dispatch_label(&api, "/metrics"), "/metrics");
        assert_string_equal(sl_dispatch_label(&api, "/api/v4/license/42"), "/api/v4/license/:id");
        assert_string_equal(sl_dispatch_label(&api, "/api/v4/license/7/refresh_billable_users"),
                            "/api/v4/license/:id/refresh_billable_users");
        assert_string_equal(sl_dispatch_label(&api, "/api/v4/nope"), "other");
        assert_string_equal(sl_dispatch_label(&open, "/api/v4/license"), "other");
    }
}

static void test_no_license(void **state)
{
    char *dir = NULL;
    sl_store *st;
    sl_http_request req;
    sl_http_response r;
    sl_dispatch_ctx ctx = {.metrics_only = 1};
    (void)state;
    setenv("SEATLEDGER_NOW", NOW, 1);
    st = tu_store(&dir);
    memset(&req, 0, sizeof req);
    req.method = "GET";
    req.path = "/metrics";
    r = sl_dispatch(&ctx, st, &req);
    assert_int_equal(r.status, 200);
    /* no seats, no expiry, no info; the snapshot time is 0 */
    assert_string_equal(r.body,
        "# HELP seatledger_billable_users Billable users: the newest snapshot's count (status: daily_billable).\n"
        "# TYPE seatledger_billable_users gauge\n"
        "seatledger_billable_users 0\n"
        "# HELP seatledger_maximum_users Maximum users of the license term (status: maximum_user_count).\n"
        "# TYPE seatledger_maximum_users gauge\n"
        "seatledger_maximum_users 0\n"
        "# HELP seatledger_users_over_license Users over the license: what a true-up bills (status: overage).\n"
        "# TYPE seatledger_users_over_license gauge\n"
        "seatledger_users_over_license 0\n"
        "# HELP seatledger_last_snapshot_timestamp_seconds When the newest snapshot was recorded (0: none yet).\n"
        "# TYPE seatledger_last_snapshot_timestamp_seconds gauge\n"
        "seatledger_last_snapshot_timestamp_seconds 0.000\n"
        "# HELP seatledger_addon_seats_purchased Seats of each active add-on purchase (status: add-ons).\n"
        "# TYPE seatledger_addon_seats_purchased gauge\n"
        "# HELP seatledger_addon_seats_assigned Seats of each active add-on purchase assigned to users.\n"
        "# TYPE seatledger_addon_seats_assigned gauge\n");
    sl_http_response_free(&r);
    r = sl_dispatch(&ctx, NULL, &req);
    assert_int_equal(r.status, 500);
    sl_http_response_free(&r);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

static void test_request_histograms(void **state)
{
    fixture *f = *state;
    sl_http_response r;
    char label[32][24];
    sl_metrics_observe(f->m, "/api/v4/license", 200, 0.0009);
    sl_metrics_observe(f->m, "/api/v4/license", 201, 0.3);
    sl_metrics_observe(f->m, "/api/v4/license", 404, 0.002);
    sl_metrics_observe(f->m, "/api/v4/license", 0, 0.002);      /* nothing sent: not counted */
    sl_metrics_observe(f->m, "/api/v4/license", 99, 0.002);     /* no such class */
    sl_metrics_observe(f->m, NULL, 500, 20.0);                  /* over the last bucket */
    /* more labels than kept apart: the rest count as "other" */
    for (int i = 0; i < 32; i++) {
        snprintf(label[i], sizeof label[i], "/l%d", i);
        sl_metrics_observe(f->m, label[i], 200, 0.001);
    }
    r = get(f, 1, "GET", "/metrics", NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body,
        "seatledger_http_requests_total{route=\"/api/v4/license\",status_class=\"2xx\"} 2\n"
        "seatledger_http_requests_total{route=\"/api/v4/license\",status_class=\"4xx\"} 1\n"));
    assert_non_null(strstr(r.body,
        "seatledger_http_request_duration_seconds_bucket{route=\"/api/v4/license\",status_class=\"2xx\",le=\"0.001\"} 1\n"
        "seatledger_http_request_duration_seconds_bucket{route=\"/api/v4/license\",status_class=\"2xx\",le=\"0.0025\"} 1\n"));
    assert_non_null(strstr(r.body,
        "seatledger_http_request_duration_seconds_bucket{route=\"/api/v4/license\",status_class=\"2xx\",le=\"0.25\"} 1\n"
        "seatledger_http_request_duration_seconds_bucket{route=\"/api/v4/license\",status_class=\"2xx\",le=\"0.5\"} 2\n"));
    assert_non_null(strstr(r.body,
        "seatledger_http_request_duration_seconds_bucket{route=\"/api/v4/license\",status_class=\"2xx\",le=\"+Inf\"} 2\n"
        "seatledger_http_request_duration_seconds_sum{route=\"/api/v4/license\",status_class=\"2xx\"} 0.300900\n"
        "seatledger_http_request_duration_seconds_count{route=\"/api/v4/license\",status_class=\"2xx\"} 2\n"));
    assert_non_null(strstr(r.body,
        "seatledger_http_request_duration_seconds_bucket{route=\"other\",status_class=\"5xx\",le=\"10\"} 0\n"
        "seatledger_http_request_duration_seconds_bucket{route=\"other\",status_class=\"5xx\",le=\"+Inf\"} 1\n"));
    /* 15 more labels fit (16 in all), the other 17 went to "other" */
    assert_non_null(strstr(r.body, "seatledger_http_requests_total{route=\"/l14\",status_class=\"2xx\"} 1\n"));
    assert_null(strstr(r.body, "route=\"/l15\""));
    assert_non_null(strstr(r.body, "seatledger_http_requests_total{route=\"other\",status_class=\"2xx\"} 17\n"));
    assert_null(strstr(r.body, "status_class=\"0xx\""));
    sl_http_response_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_openmetrics_for_prometheus, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plain_text_otherwise, setup, teardown),
        cmocka_unit_test(test_accept_negotiation),
        cmocka_unit_test_setup_teardown(test_token_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_method_not_allowed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metrics_listener_serves_nothing_else, setup, teardown),
        cmocka_unit_test(test_no_license),
        cmocka_unit_test_setup_teardown(test_request_histograms, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
