/*
 * console.c - the admin console's dispatcher: the routes under /admin (the
 * two pages, the sign-in and sign-out, the assets, the console's own JSON),
 * the session cookie and the CSRF token bound to it, the security headers
 * of every console response, and the admission of the console's calls to
 * the GraphQL and License APIs (server/dispatch.c asks).  The pages are
 * static files; what they show comes from those APIs and the JSON here.
 */
#include "console/console_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PRODUCT_NAME "seatledger"       /* the name in the console's header */
#define CT_HTML "text/html; charset=utf-8"
#define CSRF_HEADER "X-CSRF-Token"
#define CSRF_FIELD "authenticity_token"  /* GitLab's form field */
#define TOKEN_FIELD "token"
/* Bytes of a sign-in or sign-out form (a token is at most 256). */
#define FORM_MAX 4096
#define QUERY_NUMBER_MAX 6               /* digits of a chart size */
#define MESSAGE_MARK "<!--sl:message-->"
/* console.md's headers, on every console response. */
#define CSP "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; " \
            "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "   \
            "form-action 'self'; frame-ancestors 'none'"

#define MSG_INVALID_TOKEN "Invalid token. Paste an API token made with seatledger token create."
#define MSG_NOT_ADMIN "This token is not an admin token. Only administrators can sign in."
#define MSG_NO_TOKEN "Enter an admin API token to sign in."

struct sl_console {
    sl_console_sessions *sessions;
    int secure_cookies;
};

sl_rc sl_console_new(const sl_console_config *cfg, sl_console **out, sl_error *err)
{
    sl_console *c = calloc(1, sizeof *c);
    sl_rc rc;
    *out = NULL;
    if (!c)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    c->secure_cookies = cfg && cfg->secure_cookies;
    rc = sl_console_sessions_new(cfg ? cfg->now_ms : NULL, &c->sessions, err);
    if (rc != SL_OK) {
        free(c);
        return rc;
    }
    *out = c;
    return SL_OK;
}

void sl_console_free(sl_console *c)
{
    if (!c)
        return;
    sl_console_sessions_free(c->sessions);
    free(c);
}

/* ---- responses ------------------------------------------------------------------ */

/* console.md: every console response; no-store where there is data. */
static void security_headers(sl_http_response *r, int no_store)
{
    sl_http_resp_header(r, "Content-Security-Policy", CSP);
    sl_http_resp_header(r, "X-Frame-Options", "DENY");
    sl_http_resp_header(r, "X-Content-Type-Options", "nosniff");
    sl_http_resp_header(r, "Referrer-Policy", "same-origin");
    sl_http_resp_header(r, "Cache-Control", no_store ? "no-store" : "no-cache");
}

static sl_http_response redirect(const char *location)
{
    sl_http_response r = sl_http_resp_new(303);
    security_headers(&r, 1);
    sl_http_resp_header(&r, "Location", location);
    return r;
}

static sl_http_response json_response(int status, json_t *j)
{
    sl_http_response r = sl_http_resp_json(status, j);
    security_headers(&r, 1);
    return r;
}

static sl_http_response json_message(int status, const char *message)
{
    sl_http_response r = sl_http_resp_message(status, message);
    security_headers(&r, 1);
    return r;
}

static sl_http_response internal(const char *detail)
{
    sl_http_response r = json_message(500, "500 Internal Server Error");
    snprintf(r.detail, sizeof r.detail, "%s", detail);
    return r;
}

/* An HTML page from the assets; `message` (a fixed text of ours, escaped
 * anyway) goes where the page marks it, as an alert. */
static sl_http_response page(int status, const char *name, const char *message)
{
    const sl_console_asset *a = sl_console_asset_find(name, strlen(name));
    const char *mark;
    sl_http_response r;
    if (!a)
        return internal("a console page is missing from the build");
    r = sl_http_resp_new(status);
    mark = message ? strstr((const char *)a->data, MESSAGE_MARK) : NULL;
    if (!mark) {
        sl_http_resp_body(&r, CT_HTML, (const char *)a->data, a->len);
    } else {
        char alert[1024];
        size_t head = (size_t)(mark - (const char *)a->data), o = 0, n;
        char *buf;
        o = (size_t)snprintf(alert, sizeof alert,
                             "<div class=\"gl-alert gl-alert-danger\" role=\"alert\"><p>");
        for (const char *m = message; *m && o + 8 < sizeof alert; m++) {
            const char *e = *m == '<' ? "&lt;" : *m == '>' ? "&gt;" : *m == '&' ? "&amp;"
                            : *m == '"' ? "&quot;" : NULL;
            if (e) {
                memcpy(alert + o, e, strlen(e));
                o += strlen(e);
            } else {
                alert[o++] = *m;
            }
        }
        o += (size_t)snprintf(alert + o, sizeof alert - o, "</p></div>");
        n = a->len + o;
        buf = malloc(n);
        if (!buf)
            return internal("out of memory");
        memcpy(buf, a->data, head);
        memcpy(buf + head, alert, o);
        memcpy(buf + head + o, mark, a->len - head);
        sl_http_resp_body(&r, CT_HTML, buf, n);
        free(buf);
    }
    security_headers(&r, 1);
    return r;
}

static sl_http_response not_found(void)
{
    return page(404, "not_found.html", NULL);
}

static sl_http_response method_not_allowed(const char *allow)
{
    sl_http_response r = json_message(405, "405 Method Not Allowed");
    sl_http_resp_header(&r, "Allow", allow);
    return r;
}

/* The session cookie: console.md's flags; a value of "" ends it. */
static void set_cookie(const sl_console *c, sl_http_response *r, const char *value)
{
    char v[256];
    snprintf(v, sizeof v, "%s=%s; Path=/; %sHttpOnly; SameSite=Strict%s", SL_CONSOLE_COOKIE_NAME,
             value, *value ? "" : "Max-Age=0; ", c->secure_cookies ? "; Secure" : "");
    sl_http_resp_header_copy(r, "Set-Cookie", v);
}

/* ---- requests ---------------------------------------------------------------------- */

static int is_get(const sl_http_request *req)
{
    return req->method && (strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0);
}

static int is_post(const sl_http_request *req)
{
    return req->method && strcmp(req->method, "POST") == 0;
}

/* A browser that says the request comes from another site (Sec-Fetch-Site)
 * never changes anything here, signed in or not. */
static int cross_site(const sl_http_request *req)
{
    const char *v = sl_http_header_get(req, "Sec-Fetch-Site");
    return v && (strcasecmp(v, "cross-site") == 0 || strcasecmp(v, "same-site") == 0);
}

/* The live session of the request's cookie whose token is still a valid
 * admin token: 1 with *s filled; 0 otherwise (the session is then ended).
 * *failed is set when the ledger could not be asked. */
static int signed_in(sl_console *c, sl_store *st, const sl_http_request *req,
                     sl_console_session *s, int *failed)
{
    char cookie[SL_CONSOLE_COOKIE_VALUE_MAX];
    sl_error err = {0};
    sl_rc rc;
    *failed = 0;
    if (!sl_http_cookie_get(req, SL_CONSOLE_COOKIE_NAME, cookie, sizeof cookie) ||
        !sl_console_session_find(c->sessions, cookie, s))
        return 0;
    if (!st) {
        *failed = 1;
        sl_console_session_wipe(s);
        return 0;
    }
    rc = sl_store_token_check(st, s->token, s->token_len, &err);
    if (rc == SL_OK)
        return 1;
    sl_console_session_wipe(s);
    if (rc == SL_EAUTH || rc == SL_EFORBIDDEN)
        sl_console_session_end(c->sessions, cookie);   /* revoked, expired */
    else
        *failed = 1;
    return 0;
}

/* The CSRF token the request presents (header, else form field) equals
 * the session's. */
static int csrf_ok(const sl_http_request *req, const sl_console_session *s)
{
    const char *h = sl_http_header_get(req, CSRF_HEADER);
    char *field = NULL;
    size_t n = 0;
    int ok;
    if (h)
        return sl_console_secret_equal(h, s->csrf, SL_CONSOLE_CSRF_MAX);
    if (!sl_http_content_type_is(req, "application/x-www-form-urlencoded") ||
        sl_http_form_get(req->body, req->body_len, CSRF_FIELD, &field, &n) != 1)
        return 0;
    ok = strlen(field) == n && sl_console_secret_equal(field, s->csrf, SL_CONSOLE_CSRF_MAX);
    free(field);
    return ok;
}

/* ---- routes ---------------------------------------------------------------------- */

static sl_http_response sign_in_post(sl_console *c, sl_store *st, const sl_http_request *req)
{
    char *token = NULL, cookie[SL_CONSOLE_COOKIE_VALUE_MAX];
    size_t len = 0;
    sl_token_auth who;
    sl_error err = {0};
    sl_http_response r;
    sl_rc rc;
    int found;
    if (cross_site(req))
        return json_message(403, "403 Forbidden - cross-site request");
    if (req->body_too_large || req->body_len > FORM_MAX)
        return json_message(413, "413 Request Entity Too Large");
    if (!sl_http_content_type_is(req, "application/x-www-form-urlencoded"))
        return page(400, "sign_in.html", MSG_NO_TOKEN);
    found = sl_http_form_get(req->body, req->body_len, TOKEN_FIELD, &token, &len);
    if (found < 0)
        return internal("out of memory");
    /* blanks a paste brought along are not part of a token */
    while (found && len && (token[len - 1] == ' ' || token[len - 1] == '\n' ||
                            token[len - 1] == '\r' || token[len - 1] == '\t'))
        token[--len] = '\0';
    if (!found || len == 0) {
        free(token);
        return page(400, "sign_in.html", MSG_NO_TOKEN);
    }
    if (!st) {
        free(token);
        return internal("the ledger is not open");
    }
    rc = sl_store_token_authenticate(st, token, len, &who, &err);
    if (rc == SL_OK && !who.admin)
        r = page(403, "sign_in.html", MSG_NOT_ADMIN);
    else if (rc == SL_EAUTH)
        r = page(401, "sign_in.html", MSG_INVALID_TOKEN);
    else if (rc != SL_OK)
        r = internal(err.message);
    else if (sl_console_session_create(c->sessions, token, len, who.name, cookie, &err) != SL_OK)
        r = internal(err.message);
    else {
        r = redirect("/admin/subscription");
        set_cookie(c, &r, cookie);
        sl_console_wipe(cookie, sizeof cookie);
    }
    sl_console_wipe(token, len);
    free(token);
    return r;
}

static sl_http_response sign_out_post(sl_console *c, sl_store *st, const sl_http_request *req)
{
    char cookie[SL_CONSOLE_COOKIE_VALUE_MAX];
    sl_console_session s;
    sl_http_response r;
    (void)st;
    if (req->body_too_large || req->body_len > FORM_MAX)
        return json_message(413, "413 Request Entity Too Large");
    if (sl_http_cookie_get(req, SL_CONSOLE_COOKIE_NAME, cookie, sizeof cookie) &&
        sl_console_session_find(c->sessions, cookie, &s)) {
        int ok = !cross_site(req) && csrf_ok(req, &s);
        sl_console_session_wipe(&s);
        if (!ok)
            return json_message(403, "403 Forbidden - invalid CSRF token");
        sl_console_session_end(c->sessions, cookie);
    }
    r = redirect("/admin/sign_in");
    set_cookie(c, &r, "");
    return r;
}

/* GET of a page that needs a session. */
static sl_http_response page_signed_in(sl_console *c, sl_store *st, const sl_http_request *req,
                                       const char *name)
{
    sl_console_session s;
    int failed;
    if (!signed_in(c, st, req, &s, &failed))
        return failed ? internal("cannot check the session's token") : redirect("/admin/sign_in");
    sl_console_session_wipe(&s);
    return page(200, name, NULL);
}

static sl_http_response asset(const sl_http_request *req, const char *name)
{
    const sl_console_asset *a = sl_console_asset_find(name, strlen(name));
    const char *type = a ? sl_console_asset_type(a) : NULL;
    const char *etag, *inm;
    sl_http_response r;
    /* pages are served at their routes, behind the session */
    if (!type || strcmp(type, CT_HTML) == 0)
        return not_found();
    etag = sl_console_asset_etag(a);
    inm = sl_http_header_get(req, "If-None-Match");
    if (etag && inm && strcmp(inm, etag) == 0) {
        r = sl_http_resp_new(304);
    } else {
        r = sl_http_resp_new(200);
        sl_http_resp_body(&r, type, (const char *)a->data, a->len);
    }
    security_headers(&r, 0);
    if (etag)
        sl_http_resp_header(&r, "ETag", etag);
    return r;
}

/* A chart size from the query: within [min, SL_CHART_SIZE_MAX], else 0
 * (the default). */
static int size_param(const sl_http_request *req, const char *name, int min)
{
    char *v = NULL;
    size_t n = 0;
    long x = 0;
    int digits;
    if (!req->query || sl_http_form_get(req->query, strlen(req->query), name, &v, &n) != 1)
        return 0;
    digits = n > 0 && n <= QUERY_NUMBER_MAX;
    for (size_t i = 0; digits && i < n; i++) {
        digits = v[i] >= '0' && v[i] <= '9';
        x = x * 10 + (v[i] - '0');
    }
    free(v);
    if (!digits)
        return 0;
    return x < min ? min : x > SL_CHART_SIZE_MAX ? SL_CHART_SIZE_MAX : (int)x;
}

static json_t *date_json(int32_t d)
{
    char buf[16];
    return d == SL_DATE_NONE ? json_null() : json_string(sl_date_format(d, buf, sizeof buf));
}

/* The usage chart as the engine draws it (the bytes of `usage chart
 * --focusable` with the same size) and the series it drew, for the table
 * beside it. */
static sl_http_response usage_chart(sl_store *st, const sl_http_request *req)
{
    sl_chart_options opt;
    sl_chart_series *s = NULL;
    sl_error err = {0};
    char *svg = NULL;
    size_t len = 0;
    json_t *points, *j;
    sl_rc rc;
    sl_chart_options_init(&opt);
    opt.width = size_param(req, "width", SL_CHART_WIDTH_MIN);
    opt.height = size_param(req, "height", SL_CHART_HEIGHT_MIN);
    opt.focusable = 1;
    rc = sl_store_chart(st, &opt, &svg, &len, &s, &err);
    if (rc != SL_OK)
        return internal(err.message);
    points = json_array();
    for (size_t i = 0; points && i < s->count; i++) {
        const sl_chart_point *p = &s->points[i];
        if (json_array_append_new(points, json_pack("{s:s,s:I,s:I,s:I}", "label", p->label,
                                                    "billable", (json_int_t)p->billable,
                                                    "snapshots", (json_int_t)p->snapshots,
                                                    "over", (json_int_t)p->over)) != 0) {
            json_decref(points);
            points = NULL;
        }
    }
    j = points ? json_pack("{s:s%,s:s,s:I,s:o,s:o,s:o,s:o,s:o}", "svg", svg, len, "unit",
                           sl_chart_unit_name(s->unit), "snapshots", (json_int_t)s->snapshots,
                           "from", date_json(sl_ms_to_date(s->from_ms)),
                           "to", date_json(sl_ms_to_date(s->to_ms)),
                           "seats", s->has_license && s->seats >= 0 ? json_integer(s->seats) : json_null(),
                           "max_index", s->count ? json_integer((json_int_t)s->max_index) : json_null(),
                           "points", points)
               : NULL;
    sl_free(svg);
    sl_chart_series_free(s);
    if (!j)
        return internal("out of memory");
    return json_response(200, j);
}

static sl_http_response console_json(sl_console *c, sl_store *st, const sl_http_request *req,
                                     const char *what)
{
    sl_console_session s;
    sl_error err = {0};
    json_t *j = NULL;
    int failed;
    if (strcmp(what, "session") != 0 && strcmp(what, "banners") != 0 &&
        strcmp(what, "usage_chart") != 0)
        return not_found();
    if (!is_get(req))
        return method_not_allowed("GET, HEAD");
    if (!signed_in(c, st, req, &s, &failed))
        return failed ? internal("cannot check the session's token")
                      : json_message(401, "401 Unauthorized");
    if (strcmp(what, "session") == 0) {
        j = json_pack("{s:s,s:s,s:s,s:s}", "csrf_token", s.csrf, "name", s.name, "product",
                      PRODUCT_NAME, "version", sl_version());
        sl_console_session_wipe(&s);
        return j ? json_response(200, j) : internal("out of memory");
    }
    sl_console_session_wipe(&s);
    if (strcmp(what, "usage_chart") == 0)
        return usage_chart(st, req);
    if (sl_console_banners_json(st, &j, &err) != SL_OK)
        return internal(err.message);
    return json_response(200, j);
}

/* The pages: path, asset. */
static const struct {
    const char *path;
    const char *asset;
} pages[] = {
    {"/admin/subscription", "subscription.html"},
    {"/admin/gitlab_duo/seat_utilization", "seat_utilization.html"},
};

sl_http_response sl_console_route(sl_console *c, sl_store *st, const sl_http_request *req)
{
    const char *path = req->path ? req->path : "";
    if (strcmp(path, SL_CONSOLE_ROOT) == 0 || strcmp(path, SL_CONSOLE_PREFIX) == 0)
        return is_get(req) ? redirect("/admin/subscription") : method_not_allowed("GET, HEAD");
    if (strcmp(path, "/admin/sign_in") == 0) {
        sl_console_session s;
        int failed;
        if (is_post(req))
            return sign_in_post(c, st, req);
        if (!is_get(req))
            return method_not_allowed("GET, HEAD, POST");
        if (signed_in(c, st, req, &s, &failed)) {
            sl_console_session_wipe(&s);
            return redirect("/admin/subscription");
        }
        return page(200, "sign_in.html", NULL);
    }
    if (strcmp(path, "/admin/sign_out") == 0)
        return is_post(req) ? sign_out_post(c, st, req) : method_not_allowed("POST");
    for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
        if (strcmp(path, pages[i].path) == 0)
            return is_get(req) ? page_signed_in(c, st, req, pages[i].asset)
                               : method_not_allowed("GET, HEAD");
    }
    if (strncmp(path, "/admin/assets/", 14) == 0)
        return is_get(req) ? asset(req, path + 14) : method_not_allowed("GET, HEAD");
    if (strncmp(path, "/admin/console/", 15) == 0)
        return console_json(c, st, req, path + 15);
    return not_found();
}

const char *sl_console_label(const char *path)
{
    if (path && strncmp(path, "/admin/assets/", 14) == 0)
        return "/admin/assets/:name";
    if (path && strncmp(path, "/admin/console/", 15) == 0)
        return "/admin/console/:name";
    return "/admin";
}

/* ---- the console's API calls --------------------------------------------------------- */

static sl_http_response refuse(int graphql, int status, const char *message)
{
    if (graphql)
        return sl_http_resp_json(status, json_pack("{s:[{s:s}]}", "errors", "message", message));
    return sl_http_resp_message(status, message);
}

int sl_console_admit(sl_console *c, const sl_http_request *req, int graphql,
                     sl_console_api *api, sl_http_response *refusal)
{
    char cookie[SL_CONSOLE_COOKIE_VALUE_MAX], *token = NULL;
    sl_console_session s;
    size_t len = 0;
    int found, ok = 1;
    memset(api, 0, sizeof *api);
    if (!c || !sl_http_cookie_get(req, SL_CONSOLE_COOKIE_NAME, cookie, sizeof cookie))
        return 0;
    /* a token presented with the request is the request's own */
    found = sl_http_find_token(req, &token, &len);
    free(token);
    if (found != 0)
        return 0;
    if (!sl_console_session_find(c->sessions, cookie, &s))
        return 0;
    if (!is_get(req)) {
        if (cross_site(req) || !sl_http_header_get(req, CSRF_HEADER) || !csrf_ok(req, &s)) {
            *refusal = refuse(graphql, 403, "403 Forbidden - invalid CSRF token");
            ok = -1;
        }
    }
    if (ok > 0 && req->header_count > SL_CONSOLE_API_HEADERS_MAX) {
        *refusal = refuse(graphql, 400, "400 Bad request - too many headers");
        ok = -1;
    }
    if (ok > 0) {
        api->req = *req;
        memcpy(api->headers, req->headers, req->header_count * sizeof *req->headers);
        memcpy(api->token, s.token, s.token_len + 1);
        api->headers[req->header_count].name = "PRIVATE-TOKEN";
        api->headers[req->header_count].value = api->token;
        api->req.headers = api->headers;
        api->req.header_count = req->header_count + 1;
    }
    sl_console_session_wipe(&s);
    return ok;
}

void sl_console_api_done(sl_console_api *api)
{
    sl_console_wipe(api->token, sizeof api->token);
}
