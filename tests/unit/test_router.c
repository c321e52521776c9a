/*
 * test_router.c - the License API without sockets: every endpoint, every
 * error status, every way of presenting a token or a key, with exact
 * statuses, content types, headers and bodies.
 */
#include "testutil.h"
#include "dispatch.h"
#include "router.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOW "2026-11-22T12:00:00Z"
#define ENTITY_TAIL "\"licensee\":{\"Name\":\"Ada Lovelace\",\"Email\":\"ada@example.com\"," \
                    "\"Company\":\"Example Corp\"},\"add_ons\":{}}"
/* The entity of the first premium key added at NOW, with active_users. */
#define PREMIUM_1 "{\"id\":1,\"plan\":\"premium\",\"created_at\":\"2026-11-22T12:00:00.000Z\"," \
    "\"starts_at\":\"2026-01-01\",\"expires_at\":\"2099-01-01\",\"historical_max\":0," \
    "\"maximum_user_count\":0,\"expired\":false,\"overage\":0,\"user_limit\":100," \
    "\"active_users\":0," ENTITY_TAIL

static char *priv_pem, *pub_pem;
static char *key_premium;   /* boundary-wrapped, premium, 100 seats */
static char *key_plain;     /* no boundary, ultimate, 10 seats */
static char *key_expired;
static char *key_plus;      /* key_plain re-wrapped so its base64 has '+' */

/* Per test: a ledger with the vendor key trusted and three tokens. */
typedef struct fixture {
    char *dir;
    sl_store *st;
    char *admin, *reader;
} fixture;

static char *issue(const char *plan, int seats, const char *starts, const char *expires,
                   const char *boundary)
{
    tu_license l = {.name = "Ada Lovelace", .plan = plan, .seats = seats, .starts = starts,
                    .expires = expires, .boundary = boundary};
    return tu_issue(priv_pem, &l);
}

/* GitLab's outer base64 encodes ASCII JSON and so almost never contains a
 * '+'.  An extra envelope member of '>' characters (ignored by decoders)
 * forces some, to prove that spaces are mapped back. */
static char *with_plus(const char *key)
{
    size_t n = strlen(key), m = 0;
    unsigned char *in = malloc(n + 1), *json = malloc(n + 64), *out;
    int len;
    assert_non_null(in);
    assert_non_null(json);
    for (size_t i = 0; i < n; i++) {
        if (key[i] != '\n')
            in[m++] = (unsigned char)key[i];
    }
    len = EVP_DecodeBlock(json, in, (int)m);
    assert_true(len > 0);
    while (m > 0 && in[m - 1] == '=') {
        m--;
        len--;
    }
    while (len > 0 && json[len - 1] != '}')
        len--;
    assert_true(len > 0);
    memcpy(json + len - 1, ",\"pad\":\">>>>>>\"}", 16);
    len += 15;
    out = malloc(4 * ((size_t)len + 2) / 3 + 2);
    assert_non_null(out);
    EVP_EncodeBlock(out, json, len);
    free(in);
    free(json);
    assert_non_null(strchr((char *)out, '+'));
    return (char *)out;
}

static int group_setup(void **state)
{
    (void)state;
    setenv("SEATLEDGER_NOW", NOW, 1);
    if (sl_keys_generate(2048, &priv_pem, &pub_pem, NULL) != SL_OK)
        return -1;
    key_premium = issue("premium", 100, "2026-01-01", "2099-01-01", "GitLab");
    key_plain = issue("ultimate", 10, "2026-02-01", "2098-01-01", NULL);
    key_expired = issue("premium", 10, "2020-01-01", "2021-01-01", NULL);
    key_plus = with_plus(key_plain);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    sl_free(priv_pem);
    sl_free(pub_pem);
    sl_free(key_premium);
    sl_free(key_plain);
    sl_free(key_expired);
    free(key_plus);
    return 0;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    sl_error err = {0};
    assert_non_null(f);
    setenv("SEATLEDGER_NOW", NOW, 1);
    f->st = tu_store(&f->dir);
    assert_int_equal(sl_store_key_trust(f->st, pub_pem, strlen(pub_pem), "vendor", &err), SL_OK);
    assert_int_equal(sl_store_token_create(f->st, "admin", 1, SL_DATE_NONE, &f->admin, &err), SL_OK);
    assert_int_equal(sl_store_token_create(f->st, "reader", 0, SL_DATE_NONE, &f->reader, &err), SL_OK);
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
    free(f);
    return 0;
}

/* One request to the License API router, or (through_dispatch) to the
 * server's dispatcher as http.c calls it: headers as name, value pairs
 * ending with NULL. */
static sl_http_response vcall(int through_dispatch, sl_store *st, const char *method,
                              const char *path, const char *query, const char *body,
                              size_t body_len, va_list ap)
{
    static const sl_dispatch_ctx api = {NULL, 0, NULL, NULL};
    sl_http_header h[16];
    sl_http_request req;
    size_t n = 0;
    const char *name;
    for (;;) {
        name = va_arg(ap, const char *);
        if (!name)
            break;
        assert_true(n < 16);
        h[n].name = name;
        h[n].value = va_arg(ap, const char *);
        n++;
    }
    memset(&req, 0, sizeof req);
    req.method = method;
    req.path = path;
    req.query = query;
    req.headers = h;
    req.header_count = n;
    req.body = body;
    req.body_len = body_len;
    return through_dispatch ? sl_dispatch(&api, st, &req) : sl_route(st, &req);
}

static sl_http_response call(sl_store *st, const char *method, const char *path,
                             const char *query, const char *body, size_t body_len, ...)
{
    sl_http_response r;
    va_list ap;
    va_start(ap, body_len);
    r = vcall(0, st, method, path, query, body, body_len, ap);
    va_end(ap);
    return r;
}

static sl_http_response dispatch_call(sl_store *st, const char *method, const char *path,
                                      const char *query, const char *body, size_t body_len, ...)
{
    sl_http_response r;
    va_list ap;
    va_start(ap, body_len);
    r = vcall(1, st, method, path, query, body, body_len, ap);
    va_end(ap);
    return r;
}

/* GET with the admin token in PRIVATE-TOKEN. */
static sl_http_response admin_call(fixture *f, const char *method, const char *path)
{
    return call(f->st, method, path, NULL, NULL, 0, "PRIVATE-TOKEN", f->admin, NULL);
}

/* Status, content type (NULL: none) and body, then free. */
static void expect(sl_http_response r, int status, const char *ctype, const char *body)
{
    if (r.status != status)
        fail_msg("status %d, expected %d; body: %s", r.status, status, r.body ? r.body : "");
    if (ctype)
        assert_string_equal(r.content_type, ctype);
    else
        assert_null(r.content_type);
    assert_int_equal(r.body_len, strlen(body));
    if (r.body_len)
        assert_memory_equal(r.body, body, r.body_len);
    sl_http_response_free(&r);
}

static void expect_json(sl_http_response r, int status, const char *body)
{
    expect(r, status, "application/json", body);
}

static const char *header_of(const sl_http_response *r, const char *name)
{
    for (size_t i = 0; i < r->header_count; i++) {
        if (strcmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    }
    return NULL;
}

/* Percent-encode everything but unreserved characters; keep_plus leaves
 * '+' raw (what a careless client pastes).  Caller frees. */
static char *urlencode(const char *s, int keep_plus)
{
    static const char hex[] = "0123456789ABCDEF";
    char *out = malloc(strlen(s) * 3 + 1), *o = out;
    assert_non_null(out);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~' || (keep_plus && c == '+')) {
            *o++ = (char)c;
        } else {
            *o++ = '%';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 0xf];
        }
    }
    *o = '\0';
    return out;
}

static char *concat(const char *a, const char *b)
{
    char *s = malloc(strlen(a) + strlen(b) + 1);
    assert_non_null(s);
    strcpy(s, a);
    strcat(s, b);
    return s;
}

static char *json_body(const char *key)
{
    json_t *o = json_pack("{s:s}", "license", key);
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    assert_non_null(s);
    return s;
}

/* ---- authentication ----------------------------------------------------- */

static void test_auth_missing_unknown_forbidden(void **state)
{
    fixture *f = *state;
    char *q;
    expect_json(call(f->st, "GET", "/api/v4/license", NULL, NULL, 0, NULL), 401,
                "{\"message\":\"401 Unauthorized\"}");
    expect_json(call(f->st, "GET", "/api/v4/license", NULL, NULL, 0,
                     "PRIVATE-TOKEN", "slt_nosuchtoken", NULL), 401,
                "{\"message\":\"401 Unauthorized\"}");
    expect_json(call(f->st, "GET", "/api/v4/license", NULL, NULL, 0,
                     "PRIVATE-TOKEN", "", NULL), 401, "{\"message\":\"401 Unauthorized\"}");
    expect_json(call(f->st, "GET", "/api/v4/license", NULL, NULL, 0,
                     "PRIVATE-TOKEN", f->reader, NULL), 403, "{\"message\":\"403 Forbidden\"}");
    /* every /license* endpoint wants an admin */
    expect_json(call(f->st, "GET", "/api/v4/licenses", NULL, NULL, 0,
                     "PRIVATE-TOKEN", f->reader, NULL), 403, "{\"message\":\"403 Forbidden\"}");
    expect_json(call(f->st, "GET", "/api/v4/license/usage_export.csv", NULL, NULL, 0,
                     "PRIVATE-TOKEN", f->reader, NULL), 403, "{\"message\":\"403 Forbidden\"}");
    expect_json(call(f->st, "DELETE", "/api/v4/license/1", NULL, NULL, 0,
                     "PRIVATE-TOKEN", f->reader, NULL), 403, "{\"message\":\"403 Forbidden\"}");
    expect_json(call(f->st, "PUT", "/api/v4/license/1/refresh_billable_users", NULL, NULL, 0,
                     "PRIVATE-TOKEN", f->reader, NULL), 403, "{\"message\":\"403 Forbidden\"}");
    expect_json(call(f->st, "POST", "/api/v4/license", NULL, NULL, 0, NULL), 401,
                "{\"message\":\"401 Unauthorized\"}");
    /* a token in the wrong scheme is no token */
    q = concat("Basic ", f->admin);
    expect_json(call(f->st, "GET", "/api/v4/license", NULL, NULL, 0, "Authorization", q, NULL),
                401, "{\"message\":\"401 Unauthorized\"}");
    free(q);
}

static void test_auth_variants(void **state)
{
    fixture *f = *state;
    char *bearer = concat("Bearer ", f->admin), *lower = concat("bearer  ", f->admin);
    char *q1 = concat("private_token=", f->admin), *q2 = concat("access_token=", f->admin);
    char *q3 = concat("x=1&access_token=", f->admin);
    expect_json(call(f->st, "GET", "/api/v4/license", NULL, NULL, 0,
                     "private-token", f->admin, NULL), 200, "null");
    expect_json(call(f->st, "GET", "/api/v4/license", NULL, NULL, 0,
                     "Private-Token", f->admin, NULL), 200, "null");
    expect_json(call(f->st, "GET", "/api/v4/license", NULL, NULL, 0,
                     "Authorization", bearer, NULL), 200, "null");
    expect_json(call(f->st, "GET", "/api/v4/license", NULL, NULL, 0,
                     "authorization", lower, NULL), 200, "null");
    expect_json(call(f->st, "GET", "/api/v4/license", q1, NULL, 0, NULL), 200, "null");
    expect_json(call(f->st, "GET", "/api/v4/license", q2, NULL, 0, NULL), 200, "null");
    expect_json(call(f->st, "GET", "/api/v4/license", q3, NULL, 0, NULL), 200, "null");
    /* the header is taken first: a valid header beats a bad parameter */
    expect_json(call(f->st, "GET", "/api/v4/license", "private_token=bad", NULL, 0,
                     "PRIVATE-TOKEN", f->admin, NULL), 200, "null");
    expect_json(call(f->st, "GET", "/api/v4/license", q1, NULL, 0,
                     "PRIVATE-TOKEN", "bad", NULL), 401, "{\"message\":\"401 Unauthorized\"}");
    /* an encoded NUL does not end the token: the admin token plus junk is not
     * the admin token */
    {
        char *nul = concat(q1, "%00junk");
        expect_json(call(f->st, "GET", "/api/v4/license", nul, NULL, 0, NULL), 401,
                    "{\"message\":\"401 Unauthorized\"}");
        free(nul);
    }
    free(bearer);
    free(lower);
    free(q1);
    free(q2);
    free(q3);
}

static void test_auth_revoked_and_expired(void **state)
{
    fixture *f = *state;
    sl_error err = {0};
    char *tmp = NULL;
    int32_t tomorrow;
    assert_int_equal(sl_store_token_revoke(f->st, "admin", &err), SL_OK);
    expect_json(admin_call(f, "GET", "/api/v4/license"), 401,
                "{\"message\":\"401 Unauthorized\"}");
    assert_int_equal(sl_date_parse("2026-11-23", &tomorrow, &err), SL_OK);
    assert_int_equal(sl_store_token_create(f->st, "short", 1, tomorrow, &tmp, &err), SL_OK);
    expect_json(call(f->st, "GET", "/api/v4/license", NULL, NULL, 0, "PRIVATE-TOKEN", tmp, NULL),
                200, "null");
    setenv("SEATLEDGER_NOW", "2026-11-23T00:00:00Z", 1);
    expect_json(call(f->st, "GET", "/api/v4/license", NULL, NULL, 0, "PRIVATE-TOKEN", tmp, NULL),
                401, "{\"message\":\"401 Unauthorized\"}");
    setenv("SEATLEDGER_NOW", NOW, 1);
    sl_free(tmp);
}

/* ---- routing ------------------------------------------------------------ */

static void test_unknown_paths(void **state)
{
    fixture *f = *state;
    static const char *const paths[] = {
        "/", "/api/v4", "/api/v4/", "/api/v4/nope", "/api/v4/license/", "/api/v4/licenses/1",
        "/api/v4/license/abc", "/api/v4/license/-1", "/api/v4/license/1x",
        "/api/v4/license/1/", "/api/v4/license/1/refresh", "/api/v4/license/usage_export.json",
        "/api/v3/license", "/API/V4/LICENSE", "/api/v4/license%2F1",
    };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        expect_json(admin_call(f, "GET", paths[i]), 404, "{\"message\":\"404 Not Found\"}");
        /* the route is decided before the token is looked at */
        expect_json(call(f->st, "GET", paths[i], NULL, NULL, 0, NULL), 404,
                    "{\"message\":\"404 Not Found\"}");
    }
}

static void test_wrong_methods(void **state)
{
    fixture *f = *state;
    static const struct {
        const char *method, *path, *allow;
    } cases[] = {
        {"PATCH", "/api/v4/license", "GET, HEAD, POST"},
        {"DELETE", "/api/v4/license", "GET, HEAD, POST"},
        {"POST", "/api/v4/licenses", "GET, HEAD"},
        {"PUT", "/api/v4/license/1", "GET, HEAD, DELETE"},
        {"POST", "/api/v4/license/1", "GET, HEAD, DELETE"},
        {"GET", "/api/v4/license/1/refresh_billable_users", "PUT"},
        {"POST", "/api/v4/license/1/refresh_billable_users", "PUT"},
        {"DELETE", "/api/v4/license/usage_export.csv", "GET, HEAD"},
        {"POST", "/api/v4/license/usage_export", "GET, HEAD"},
        {"OPTIONS", "/api/v4/license", "GET, HEAD, POST"},
        {"get", "/api/v4/license", "GET, HEAD, POST"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sl_http_response r = call(f->st, cases[i].method, cases[i].path, NULL, NULL, 0, NULL);
        assert_int_equal(r.header_count, 1);
        assert_string_equal(r.headers[0].name, "Allow");
        assert_string_equal(r.headers[0].value, cases[i].allow);
        expect_json(r, 405, "{\"message\":\"405 Method Not Allowed\"}");
    }
    /* HEAD is answered like GET (the transport drops the body) */
    expect_json(admin_call(f, "HEAD", "/api/v4/license"), 200, "null");
}

static void test_body_cap(void **state)
{
    fixture *f = *state;
    char *big = malloc(SL_HTTP_BODY_MAX + 1);
    sl_http_header h = {"Content-Type", "application/json"};
    sl_http_request req;
    assert_non_null(big);
    memset(big, '[', SL_HTTP_BODY_MAX + 1);
    expect_json(call(f->st, "POST", "/api/v4/license", NULL, big, SL_HTTP_BODY_MAX + 1,
                     "PRIVATE-TOKEN", f->admin, "Content-Type", "application/json", NULL),
                413, "{\"message\":\"413 Request Entity Too Large\"}");
    /* before anything else, even authentication or routing */
    expect_json(call(f->st, "POST", "/nowhere", NULL, big, SL_HTTP_BODY_MAX + 1, NULL), 413,
                "{\"message\":\"413 Request Entity Too Large\"}");
    /* exactly the cap is read (and here is malformed JSON) */
    expect_json(call(f->st, "POST", "/api/v4/license", NULL, big, SL_HTTP_BODY_MAX,
                     "PRIVATE-TOKEN", f->admin, "Content-Type", "application/json", NULL),
                400, "{\"message\":\"400 Bad request - JSON body nested too deeply\"}");
    /* the transport's flag alone is enough */
    memset(&req, 0, sizeof req);
    req.method = "POST";
    req.path = "/api/v4/license";
    req.headers = &h;
    req.header_count = 1;
    req.body_too_large = 1;
    expect_json(sl_route(f->st, &req), 413, "{\"message\":\"413 Request Entity Too Large\"}");
    free(big);
}

/* framing: a head whose body length is ambiguous (RFC 9112 section 6) */
static sl_http_framing framing(const char *version, const char **why, ...)
{
    sl_http_header h[8];
    sl_http_request req;
    va_list ap;
    size_t n = 0;
    const char *name;
    va_start(ap, why);
    while ((name = va_arg(ap, const char *)) != NULL) {
        assert_true(n < 8);
        h[n].name = name;
        h[n].value = va_arg(ap, const char *);
        n++;
    }
    va_end(ap);
    memset(&req, 0, sizeof req);
    req.method = "POST";
    req.path = "/api/v4/license";
    req.version = version;
    req.headers = h;
    req.header_count = n;
    return sl_http_framing_check(&req, why);
}

static void test_framing(void **state)
{
    fixture *f = *state;
    const char *why = NULL;
    sl_http_response r;
    static const struct {
        const char *name1, *value1, *name2, *value2;
        sl_http_framing want;
        const char *why;
    } cases[] = {
        {"Content-Length", "5", NULL, NULL, SL_FRAMING_OK, ""},
        {"Content-Length", "5", "Content-Length", "5", SL_FRAMING_OK, ""},
        {"Content-Length", "5", "content-length", "05", SL_FRAMING_OK, ""},
        {"Transfer-Encoding", "chunked", NULL, NULL, SL_FRAMING_OK, ""},
        {"Transfer-Encoding", "Chunked", "X-Other", "x", SL_FRAMING_OK, ""},
        {"Content-Length", "5", "Content-Length", "40", SL_FRAMING_INVALID,
         "conflicting Content-Length fields"},
        {"Content-Length", "5", "Content-Length", "+5", SL_FRAMING_INVALID, "invalid Content-Length"},
        {"Content-Length", "", NULL, NULL, SL_FRAMING_INVALID, "invalid Content-Length"},
        {"Content-Length", "5", "Transfer-Encoding", "chunked", SL_FRAMING_INVALID,
         "both Content-Length and Transfer-Encoding"},
        {"transfer-encoding", "chunked", "CONTENT-LENGTH", "0", SL_FRAMING_INVALID,
         "both Content-Length and Transfer-Encoding"},
        {"Transfer-Encoding", "gzip", NULL, NULL, SL_FRAMING_INVALID,
         "chunked is not the final transfer coding"},
        {"Transfer-Encoding", "chunked, gzip", NULL, NULL, SL_FRAMING_INVALID,
         "chunked is not the final transfer coding"},
        {"Transfer-Encoding", "", NULL, NULL, SL_FRAMING_INVALID,
         "chunked is not the final transfer coding"},
        {"Transfer-Encoding", "xchunked", NULL, NULL, SL_FRAMING_INVALID,
         "chunked is not the final transfer coding"},
        {"Transfer-Encoding", "chunked", "Transfer-Encoding", "chunked", SL_FRAMING_INVALID,
         "chunked applied more than once"},
        {"Transfer-Encoding", "chunked,chunked", NULL, NULL, SL_FRAMING_INVALID,
         "chunked applied more than once"},
        {"Transfer-Encoding", "gzip, chunked", NULL, NULL, SL_FRAMING_UNSUPPORTED,
         "unsupported transfer coding"},
        {"Transfer-Encoding", "gzip", "Transfer-Encoding", "chunked", SL_FRAMING_UNSUPPORTED,
         "unsupported transfer coding"},
        {"Transfer-Encoding", "chunked,", NULL, NULL, SL_FRAMING_INVALID,
         "malformed Transfer-Encoding"},
        {"Transfer-Encoding", "chunked;x=1", NULL, NULL, SL_FRAMING_INVALID,
         "malformed Transfer-Encoding"},
        {"Content-Length ", "5", NULL, NULL, SL_FRAMING_INVALID, "invalid header field name"},
        {"Transfer-Encoding\t", "chunked", NULL, NULL, SL_FRAMING_INVALID,
         "invalid header field name"},
        {"", "x", NULL, NULL, SL_FRAMING_INVALID, "invalid header field name"},
        {"X\001Y", "x", NULL, NULL, SL_FRAMING_INVALID, "invalid header field name"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sl_http_framing got = framing("HTTP/1.1", &why, cases[i].name1, cases[i].value1,
                                      cases[i].name2, cases[i].value2, NULL);
        if (got != cases[i].want || strcmp(why, cases[i].why) != 0)
            fail_msg("case %zu (%s: %s / %s: %s): verdict %d '%s', expected %d '%s'", i,
                     cases[i].name1, cases[i].value1, cases[i].name2 ? cases[i].name2 : "-",
                     cases[i].value2 ? cases[i].value2 : "-", got, why, cases[i].want,
                     cases[i].why);
    }
    /* Transfer-Encoding is HTTP/1.1: in a 1.0 request the framing is faulty */
    assert_int_equal(framing("HTTP/1.0", &why, "Transfer-Encoding", "chunked", NULL),
                     SL_FRAMING_INVALID);
    assert_string_equal(why, "Transfer-Encoding in an HTTP/1.0 request");
    assert_int_equal(framing("HTTP/1.0", NULL, "Content-Length", "3", NULL), SL_FRAMING_OK);
    assert_int_equal(framing(NULL, NULL, "Transfer-Encoding", "chunked", NULL), SL_FRAMING_OK);

    /* the dispatcher answers before any surface and asks for the close,
     * whichever surface the path belongs to */
    r = dispatch_call(f->st, "POST", "/api/v4/license", NULL, "hello", 5, "PRIVATE-TOKEN",
                      f->admin, "Content-Length", "5", "Content-Length", "40", NULL);
    assert_int_equal(r.close, 1);
    expect_json(r, 400, "{\"message\":\"400 Bad request - conflicting Content-Length fields\"}");
    r = dispatch_call(f->st, "GET", "/nowhere", NULL, NULL, 0, "Transfer-Encoding",
                      "gzip, chunked", NULL);
    assert_int_equal(r.close, 1);
    expect_json(r, 501, "{\"message\":\"501 Not Implemented - unsupported transfer coding\"}");
    r = dispatch_call(f->st, "POST", "/api/graphql", NULL, "{}", 2, "Content-Type",
                      "application/json", "Content-Length", "2", "Transfer-Encoding", "chunked",
                      NULL);
    assert_int_equal(r.close, 1);
    expect_json(r, 400,
                "{\"message\":\"400 Bad request - both Content-Length and Transfer-Encoding\"}");
    r = dispatch_call(f->st, "GET", "/metrics", NULL, NULL, 0, "PRIVATE-TOKEN", f->admin,
                      "Content-Length", "0", "Content-Length", "1", NULL);
    assert_int_equal(r.close, 1);
    expect_json(r, 400, "{\"message\":\"400 Bad request - conflicting Content-Length fields\"}");
    r = dispatch_call(f->st, "GET", "/api/v4/license", NULL, NULL, 0, "PRIVATE-TOKEN", f->admin,
                      "Content-Length", "0", "Content-Length", "0", NULL);
    assert_int_equal(r.close, 0);
    expect_json(r, 200, "null");
    /* every other answer keeps the connection */
    r = call(f->st, "GET", "/nowhere", NULL, NULL, 0, NULL);
    assert_int_equal(r.close, 0);
    expect_json(r, 404, "{\"message\":\"404 Not Found\"}");
}

static void test_empty_ledger(void **state)
{
    fixture *f = *state;
    expect_json(admin_call(f, "GET", "/api/v4/license"), 200, "null");
    expect_json(admin_call(f, "GET", "/api/v4/licenses"), 200, "[]");
    expect_json(admin_call(f, "GET", "/api/v4/license/1"), 404, "{\"message\":\"404 Not found\"}");
    expect_json(admin_call(f, "DELETE", "/api/v4/license/1"), 404,
                "{\"message\":\"404 Not found\"}");
    expect_json(admin_call(f, "PUT", "/api/v4/license/1/refresh_billable_users"), 404,
                "{\"message\":\"404 Not found\"}");
    /* ids that cannot exist are simply not found */
    expect_json(admin_call(f, "GET", "/api/v4/license/0"), 404, "{\"message\":\"404 Not found\"}");
    expect_json(admin_call(f, "GET", "/api/v4/license/9223372036854775807"), 404,
                "{\"message\":\"404 Not found\"}");
    expect_json(admin_call(f, "GET", "/api/v4/license/9223372036854775808"), 404,
                "{\"message\":\"404 Not found\"}");
    expect_json(admin_call(f, "DELETE", "/api/v4/license/99999999999999999999999"), 404,
                "{\"message\":\"404 Not found\"}");
    expect_json(admin_call(f, "PUT", "/api/v4/license/0/refresh_billable_users"), 404,
                "{\"message\":\"404 Not found\"}");
}

/* ---- adding a license --------------------------------------------------- */

static void test_post_json_like_python_gitlab(void **state)
{
    fixture *f = *state;
    char *body = json_body(key_premium);
    expect_json(call(f->st, "POST", "/api/v4/license", NULL, body, strlen(body),
                     "PRIVATE-TOKEN", f->admin, "Content-type", "application/json", NULL),
                201, PREMIUM_1);
    /* and it is there, exactly as the engine describes it */
    expect_json(admin_call(f, "GET", "/api/v4/license"), 200, PREMIUM_1);
    expect_json(admin_call(f, "GET", "/api/v4/license/1"), 200, PREMIUM_1);
    /* python-gitlab also sends the JSON content type on GETs without a body */
    expect_json(call(f->st, "GET", "/api/v4/license/1", NULL, "", 0, "PRIVATE-TOKEN", f->admin,
                     "Content-Type", "application/json", NULL), 200, PREMIUM_1);
    free(body);
}

static void test_post_query_with_spaces_for_plus(void **state)
{
    fixture *f = *state;
    char *enc, *q, *stored = NULL;
    size_t len = 0;
    sl_error err = {0};
    sl_http_response r;
    /* '+' left raw in the query arrives as a space and is mapped back */
    enc = urlencode(key_plus, 1);
    assert_non_null(strchr(enc, '+'));
    q = concat("license=", enc);
    r = call(f->st, "POST", "/api/v4/license", q, NULL, 0, "PRIVATE-TOKEN", f->admin, NULL);
    assert_int_equal(r.status, 201);
    assert_string_equal(r.content_type, "application/json");
    assert_non_null(strstr(r.body, "{\"id\":1,\"plan\":\"ultimate\""));
    assert_non_null(strstr(r.body, "\"active_users\":0,"));
    sl_http_response_free(&r);
    assert_int_equal(sl_store_license_text(f->st, 1, &stored, &len, &err), SL_OK);
    assert_int_equal(len, strlen(key_plus));
    assert_memory_equal(stored, key_plus, len);
    sl_free(stored);
    free(q);
    free(enc);
    /* a boundary-wrapped key: its BEGIN/END lines keep their spaces */
    enc = urlencode(key_premium, 1);
    q = concat("license=", enc);
    r = call(f->st, "POST", "/api/v4/license", q, NULL, 0, "PRIVATE-TOKEN", f->admin, NULL);
    assert_int_equal(r.status, 201);
    assert_non_null(strstr(r.body, "{\"id\":2,\"plan\":\"premium\""));
    sl_http_response_free(&r);
    assert_int_equal(sl_store_license_text(f->st, 2, &stored, &len, &err), SL_OK);
    assert_int_equal(len, strlen(key_premium));
    assert_memory_equal(stored, key_premium, len);
    sl_free(stored);
    free(q);
    free(enc);
    /* gitbeaker: the key in the query, an empty JSON object as the body */
    enc = urlencode(key_plus, 0);
    q = concat("license=", enc);
    r = call(f->st, "POST", "/api/v4/license", q, "{}", 2, "private-token", f->admin,
             "Content-Type", "application/json", NULL);
    assert_int_equal(r.status, 201);
    assert_non_null(strstr(r.body, "{\"id\":3,\"plan\":\"ultimate\""));
    sl_http_response_free(&r);
    free(q);
    free(enc);
}

static void test_post_form(void **state)
{
    fixture *f = *state;
    char *enc = urlencode(key_premium, 0), *body = concat("other=1&license=", enc);
    char *raw = urlencode(key_plus, 1), *body2 = concat("license=", raw);
    expect_json(call(f->st, "POST", "/api/v4/license", NULL, body, strlen(body),
                     "PRIVATE-TOKEN", f->admin,
                     "Content-Type", "application/x-www-form-urlencoded", NULL),
                201, PREMIUM_1);
    {
        sl_http_response r = call(f->st, "POST", "/api/v4/license", NULL, body2, strlen(body2),
                                  "PRIVATE-TOKEN", f->admin, "Content-Type",
                                  "application/x-www-form-urlencoded; charset=UTF-8", NULL);
        /* a raw '+' in a form is a space too, and mapped back */
        assert_int_equal(r.status, 201);
        assert_non_null(strstr(r.body, "{\"id\":2,\"plan\":\"ultimate\""));
        sl_http_response_free(&r);
    }
    /* a form without the field */
    expect_json(call(f->st, "POST", "/api/v4/license", NULL, "a=b", 3, "PRIVATE-TOKEN", f->admin,
                     "Content-Type", "application/x-www-form-urlencoded", NULL),
                400, "{\"error\":\"license is missing\"}");
    free(enc);
    free(body);
    free(raw);
    free(body2);
}

static char *multipart(const char *boundary, const char *key, int with_filename)
{
    size_t n = strlen(key) + 1024;
    char *s = malloc(n);
    assert_non_null(s);
    snprintf(s, n,
             "--%s\r\n"
             "Content-Disposition: form-data; name=\"note\"\r\n\r\n"
             "hello\r\n"
             "--%s\r\n"
             "Content-Disposition: form-data; name=\"license\"%s\r\n"
             "%s"
             "\r\n%s\r\n"
             "--%s--\r\n",
             boundary, boundary, with_filename ? "; filename=\"acme.gitlab-license\"" : "",
             with_filename ? "Content-Type: application/octet-stream\r\n" : "", key, boundary);
    return s;
}

static void test_post_multipart(void **state)
{
    fixture *f = *state;
    char *body = multipart("----xyz123", key_premium, 1);
    char *body2 = multipart("a b", key_plain, 0);
    expect_json(call(f->st, "POST", "/api/v4/license", NULL, body, strlen(body),
                     "PRIVATE-TOKEN", f->admin,
                     "Content-Type", "multipart/form-data; boundary=----xyz123", NULL),
                201, PREMIUM_1);
    {
        sl_http_response r = call(f->st, "POST", "/api/v4/license", NULL, body2, strlen(body2),
                                  "PRIVATE-TOKEN", f->admin,
                                  "Content-Type", "multipart/form-data; boundary=\"a b\"", NULL);
        assert_int_equal(r.status, 201);
        assert_non_null(strstr(r.body, "{\"id\":2,\"plan\":\"ultimate\""));
        sl_http_response_free(&r);
    }
    /* no closing delimiter, or no boundary at all */
    body[strlen(body) - 20] = '\0';
    expect_json(call(f->st, "POST", "/api/v4/license", NULL, body, strlen(body),
                     "PRIVATE-TOKEN", f->admin,
                     "Content-Type", "multipart/form-data; boundary=----xyz123", NULL),
                400, "{\"message\":\"400 Bad request - malformed multipart body\"}");
    expect_json(call(f->st, "POST", "/api/v4/license", NULL, body2, strlen(body2),
                     "PRIVATE-TOKEN", f->admin, "Content-Type", "multipart/form-data", NULL),
                400, "{\"message\":\"400 Bad request - malformed multipart body\"}");
    /* well formed, but without a license part */
    {
        static const char other[] = "--b\r\nContent-Disposition: form-data; name=\"licensee\"\r\n"
                                    "\r\nx\r\n--b--\r\n";
        expect_json(call(f->st, "POST", "/api/v4/license", NULL, other, sizeof other - 1,
                         "PRIVATE-TOKEN", f->admin,
                         "Content-Type", "multipart/form-data; boundary=b", NULL),
                    400, "{\"error\":\"license is missing\"}");
    }
    free(body);
    free(body2);
}

static void test_post_errors(void **state)
{
    fixture *f = *state;
    char *expired = json_body(key_expired), *garbage = json_body("not a license");
    char deep[200];
    sl_http_response r;
    expect_json(admin_call(f, "POST", "/api/v4/license"), 400, "{\"error\":\"license is missing\"}");
    expect_json(call(f->st, "POST", "/api/v4/license", NULL, "{}", 2, "PRIVATE-TOKEN", f->admin,
                     "Content-Type", "application/json", NULL),
                400, "{\"error\":\"license is missing\"}");
    expect_json(call(f->st, "POST", "/api/v4/license", NULL, "{\"license\":null}", 16,
                     "PRIVATE-TOKEN", f->admin, "Content-Type", "application/json", NULL),
                400, "{\"error\":\"license is missing\"}");
    expect_json(call(f->st, "POST", "/api/v4/license", NULL, "{\"license\":5}", 13,
                     "PRIVATE-TOKEN", f->admin, "Content-Type", "application/json", NULL),
                400, "{\"error\":\"license is invalid\"}");
    expect_json(call(f->st, "POST", "/api/v4/license", NULL, "{\"license\":", 11,
                     "PRIVATE-TOKEN", f->admin, "Content-Type", "application/json", NULL),
                400, "{\"message\":\"400 Bad request - malformed JSON body\"}");
    expect_json(call(f->st, "POST", "/api/v4/license", NULL, "{\"a\":1,\"a\":2}", 13,
                     "PRIVATE-TOKEN", f->admin, "Content-Type", "application/json; charset=utf-8",
                     NULL),
                400, "{\"message\":\"400 Bad request - malformed JSON body\"}");
    memset(deep, '[', sizeof deep);
    expect_json(call(f->st, "POST", "/api/v4/license", NULL, deep, sizeof deep,
                     "PRIVATE-TOKEN", f->admin, "Content-Type", "application/json", NULL),
                400, "{\"message\":\"400 Bad request - JSON body nested too deeply\"}");
    /* bodies of strangers are not even parsed */
    expect_json(call(f->st, "POST", "/api/v4/license", NULL, "{", 1,
                     "Content-Type", "application/json", NULL),
                401, "{\"message\":\"401 Unauthorized\"}");
    /* the engine's validation message, as it is */
    expect_json(call(f->st, "POST", "/api/v4/license", NULL, expired, strlen(expired),
                     "PRIVATE-TOKEN", f->admin, "Content-Type", "application/json", NULL),
                400, "{\"message\":\"This license has already expired.\"}");
    r = call(f->st, "POST", "/api/v4/license", NULL, garbage, strlen(garbage),
             "PRIVATE-TOKEN", f->admin, "Content-Type", "application/json", NULL);
    assert_int_equal(r.status, 400);
    assert_string_equal(r.content_type, "application/json");
    assert_int_equal(strncmp(r.body, "{\"message\":\"The license key is invalid. Make sure it is "
                                     "exactly as you received it. (", 78), 0);
    sl_http_response_free(&r);
    /* nothing was stored by any of that */
    expect_json(admin_call(f, "GET", "/api/v4/licenses"), 200, "[]");
    free(expired);
    free(garbage);
}

/* ---- the other endpoints with licenses ---------------------------------- */

static int count_snapshot(void *ud, const sl_snapshot *s)
{
    int *n = ud;
    if (s->source == SL_SOURCE_API)
        (*n)++;
    return 0;
}

static char *engine_usage_csv(sl_store *st, size_t *len)
{
    char *buf = NULL;
    sl_error err = {0};
    FILE *f = open_memstream(&buf, len);
    assert_non_null(f);
    assert_int_equal(sl_store_usage_export(st, f, &err), SL_OK);
    fclose(f);
    return buf;
}

static void test_list_refresh_export_delete(void **state)
{
    fixture *f = *state;
    sl_error err = {0};
    int64_t id = 0;
    char *list = NULL, *csv;
    size_t csv_len = 0;
    int snaps = 0;
    sl_http_response r;
    assert_int_equal(sl_store_license_add(f->st, key_premium, strlen(key_premium), SL_SOURCE_CLI,
                                          &id, &err), SL_OK);
    assert_int_equal(sl_store_license_add(f->st, key_plain, strlen(key_plain), SL_SOURCE_CLI,
                                          &id, &err), SL_OK);
    /* newest first, without active_users, exactly the engine's list */
    assert_int_equal(sl_store_license_list_json(f->st, &list, &err), SL_OK);
    assert_int_equal(strncmp(list, "[{\"id\":2,", 9), 0);
    r = admin_call(f, "GET", "/api/v4/licenses");
    assert_null(strstr(r.body, "active_users"));
    expect_json(r, 200, list);
    sl_free(list);

    /* refresh: 202, and one snapshot from the API */
    expect_json(admin_call(f, "PUT", "/api/v4/license/1/refresh_billable_users"), 202,
                "{\"success\":true}");
    assert_int_equal(sl_store_history(f->st, INT64_MIN, INT64_MAX, count_snapshot, &snaps, &err),
                     SL_OK);
    assert_int_equal(snaps, 1);
    /* the clock behind the newest snapshot: the engine refuses, 409 */
    setenv("SEATLEDGER_NOW", "2026-11-22T11:00:00Z", 1);
    r = admin_call(f, "PUT", "/api/v4/license/1/refresh_billable_users");
    assert_int_equal(r.status, 409);
    assert_string_equal(r.content_type, "application/json");
    assert_int_equal(strncmp(r.body, "{\"message\":\"", 12), 0);
    sl_http_response_free(&r);
    setenv("SEATLEDGER_NOW", NOW, 1);

    /* the usage CSV, at both paths, byte for byte the engine's */
    csv = engine_usage_csv(f->st, &csv_len);
    assert_non_null(strstr(csv, "Date,Billable User Count\n2026-11-22 12:00:00,0\n"));
    r = admin_call(f, "GET", "/api/v4/license/usage_export.csv");
    assert_string_equal(header_of(&r, "Content-Disposition"),
                        "attachment; filename=\"license_usage.csv\"");
    expect(r, 200, "text/csv", csv);
    r = admin_call(f, "GET", "/api/v4/license/usage_export");
    assert_string_equal(header_of(&r, "Content-Disposition"),
                        "attachment; filename=\"license_usage.csv\"");
    expect(r, 200, "text/csv", csv);
    free(csv);

    /* delete: 204 with no body and no type, then it is gone */
    r = admin_call(f, "DELETE", "/api/v4/license/2");
    assert_int_equal(r.header_count, 0);
    expect(r, 204, NULL, "");
    expect_json(admin_call(f, "GET", "/api/v4/license/2"), 404, "{\"message\":\"404 Not found\"}");
    expect_json(admin_call(f, "DELETE", "/api/v4/license/2"), 404,
                "{\"message\":\"404 Not found\"}");
    expect_json(admin_call(f, "PUT", "/api/v4/license/2/refresh_billable_users"), 404,
                "{\"message\":\"404 Not found\"}");
    /* the remaining one is current again */
    r = admin_call(f, "GET", "/api/v4/license");
    assert_int_equal(r.status, 200);
    assert_int_equal(strncmp(r.body, "{\"id\":1,\"plan\":\"premium\",", 25), 0);
    assert_non_null(strstr(r.body, "\"active_users\":0,"));
    sl_http_response_free(&r);
}

/* A ledger whose hash chain was broken behind the engine's back: reads go
 * on, every write is refused with 409 and the engine's sentence. */
static void test_broken_chain(void **state)
{
    fixture *f = *state;
    sl_error err = {0};
    int64_t id = 0;
    char path[4096];
    sqlite3 *db = NULL;
    sl_http_response r;
    assert_int_equal(sl_store_license_add(f->st, key_premium, strlen(key_premium), SL_SOURCE_CLI,
                                          &id, &err), SL_OK);
    expect_json(admin_call(f, "PUT", "/api/v4/license/1/refresh_billable_users"), 202,
                "{\"success\":true}");
    snprintf(path, sizeof path, "%s/ledger.db", f->dir);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "DROP TRIGGER snapshots_no_update; UPDATE snapshots SET "
                                      "billable_user_count = 99", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    r = admin_call(f, "GET", "/api/v4/license");
    assert_int_equal(r.status, 200);
    sl_http_response_free(&r);
    r = admin_call(f, "PUT", "/api/v4/license/1/refresh_billable_users");
    assert_int_equal(r.status, 409);
    assert_non_null(strstr(r.body, "{\"message\":\"the ledger's hash chain is broken: "
                                   "snapshots row 1 (chain position "));
    sl_http_response_free(&r);
    r = admin_call(f, "DELETE", "/api/v4/license/1");
    assert_int_equal(r.status, 409);
    sl_http_response_free(&r);
}

static void test_no_ledger(void **state)
{
    fixture *f = *state;
    sl_http_response r = call(NULL, "GET", "/api/v4/license", NULL, NULL, 0,
                              "PRIVATE-TOKEN", f->admin, NULL);
    assert_string_equal(r.detail, "the ledger is not open");
    expect_json(r, 500, "{\"message\":\"500 Internal Server Error\"}");
    expect_json(call(NULL, "GET", "/nope", NULL, NULL, 0, NULL), 404,
                "{\"message\":\"404 Not Found\"}");
    sl_http_response_free(NULL);
}

/* ---- the daily refresh timer's arithmetic ------------------------------- */

static int64_t at(const char *iso)
{
    int64_t ms = 0;
    sl_error err = {0};
    if (sl_time_parse(iso, &ms, &err) != SL_OK)
        fail_msg("%s", err.message);
    return ms;
}

static void test_refresh_schedule(void **state)
{
    (void)state;
    assert_int_equal(sl_server_parse_hhmm("00:00"), 0);
    assert_int_equal(sl_server_parse_hhmm("12:00"), 720);
    assert_int_equal(sl_server_parse_hhmm("23:59"), 1439);
    assert_int_equal(sl_server_parse_hhmm("24:00"), -1);
    assert_int_equal(sl_server_parse_hhmm("12:60"), -1);
    assert_int_equal(sl_server_parse_hhmm("1:00"), -1);
    assert_int_equal(sl_server_parse_hhmm("12:00 "), -1);
    assert_int_equal(sl_server_parse_hhmm("ab:cd"), -1);
    assert_int_equal(sl_server_parse_hhmm(NULL), -1);
    assert_int_equal(sl_server_next_refresh(at("2026-11-22T11:59:59Z"), 720),
                     at("2026-11-22T12:00:00Z"));
    /* exactly at the minute: that run is the one being made, the next is tomorrow */
    assert_int_equal(sl_server_next_refresh(at("2026-11-22T12:00:00Z"), 720),
                     at("2026-11-23T12:00:00Z"));
    assert_int_equal(sl_server_next_refresh(at("2026-11-22T12:00:00Z") + 1, 720),
                     at("2026-11-23T12:00:00Z"));
    assert_int_equal(sl_server_next_refresh(at("2026-12-31T23:59:59Z"), 0),
                     at("2027-01-01T00:00:00Z"));
    assert_int_equal(sl_server_next_refresh(at("2026-11-22T00:00:00Z") - 1, 1439),
                     at("2026-11-21T23:59:00Z") + 86400000LL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_auth_missing_unknown_forbidden, setup, teardown),
        cmocka_unit_test_setup_teardown(test_auth_variants, setup, teardown),
        cmocka_unit_test_setup_teardown(test_auth_revoked_and_expired, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_methods, setup, teardown),
        cmocka_unit_test_setup_teardown(test_body_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_framing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_ledger, setup, teardown),
        cmocka_unit_test_setup_teardown(test_post_json_like_python_gitlab, setup, teardown),
        cmocka_unit_test_setup_teardown(test_post_query_with_spaces_for_plus, setup, teardown),
        cmocka_unit_test_setup_teardown(test_post_form, setup, teardown),
        cmocka_unit_test_setup_teardown(test_post_multipart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_post_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_refresh_export_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_broken_chain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_ledger, setup, teardown),
        cmocka_unit_test(test_refresh_schedule),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
