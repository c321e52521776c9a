/*
 * test_graphql_api.c - GitLab's GraphQL API without sockets, through the
 * server's dispatcher: the transport's answers (405, 413, 400, 401, 422),
 * every message of the spec's limits table, GET and batches, who may see
 * what, the license and add-on seat queries and mutations with exact
 * bodies, the actor in the seat history, and a refused mutation writing
 * nothing.
 */
#include "testutil.h"
#include "dispatch.h"
#include "graphql_api/graphql_api.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOW "2026-11-22T12:00:00Z"
#define NOT_AVAILABLE "The resource that you are attempting to access does not exist or you " \
                      "don't have permission to perform this action"
#define PURCHASE "gid://gitlab/GitlabSubscriptions::AddOnPurchase/1"
/* 150 aliases, each a field and its subfield: complexity 2 apiece */
#define ALIASES_MAX 160

static char *priv_pem, *pub_pem;
static const sl_dispatch_ctx api_listener;   /* the API's listener, no metrics */

typedef struct fx {
    char *dir;
    sl_store *st;
    char *admin, *reader, *gone;
} fx;

static int group_setup(void **state)
{
    (void)state;
    setenv("SEATLEDGER_NOW", NOW, 1);
    return sl_keys_generate(2048, &priv_pem, &pub_pem, NULL) == SL_OK ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    sl_free(priv_pem);
    sl_free(pub_pem);
    return 0;
}

static void add_key(sl_store *st, const tu_license *l)
{
    char *key = tu_issue(priv_pem, l);
    sl_error err = {0};
    int64_t id;
    if (sl_store_license_add(st, key, strlen(key), SL_SOURCE_CLI, &id, &err) != SL_OK)
        fail_msg("add: %s", err.message);
    sl_free(key);
}

/* A cloud license with 3 duo_pro seats (purchase 1), five users of whom
 * carol is blocked, three tokens, one snapshot. */
static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    sl_error err = {0};
    tu_license l = {.name = "Ada Lovelace", .company = "Acme", .plan = "ultimate", .seats = 10,
                    .starts = "2026-01-01", .expires = "2027-01-01",
                    .extra = ",\"cloud_licensing_enabled\":true",
                    .extra_restrictions = ",\"id\":4242,\"add_on_products\":{\"duo_pro\":[{\"quantity\":3,"
                                          "\"started_on\":\"2026-01-01\",\"expires_on\":\"2027-01-01\"}]}"};
    assert_non_null(f);
    setenv("SEATLEDGER_NOW", NOW, 1);
    f->st = tu_store(&f->dir);
    assert_int_equal(sl_store_key_trust(f->st, pub_pem, strlen(pub_pem), "vendor", &err), SL_OK);
    tu_import_csv(f->st, "id,username,state,email,highest_role,last_activity_on\n"
                  "1,alice,active,alice@example.com,developer,2026-11-01\n"
                  "2,bob,active,bob@example.com,developer,2026-10-01\n"
                  "3,carol,blocked,,developer,\n"
                  "4,dave,active,dave@corp.example,developer,\n"
                  "5,eve,active,eve@example.com,developer,2026-11-20\n");
    add_key(f->st, &l);
    assert_int_equal(sl_store_refresh(f->st, SL_SOURCE_CLI, NULL, &err), SL_OK);
    assert_int_equal(sl_store_token_create(f->st, "ops", 1, SL_DATE_NONE, &f->admin, &err), SL_OK);
    assert_int_equal(sl_store_token_create(f->st, "reader", 0, SL_DATE_NONE, &f->reader, &err), SL_OK);
    assert_int_equal(sl_store_token_create(f->st, "gone", 1, SL_DATE_NONE, &f->gone, &err), SL_OK);
    assert_int_equal(sl_store_token_revoke(f->st, "gone", &err), SL_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    sl_store_close(f->st);
    tu_rmtree(f->dir);
    free(f->dir);
    sl_free(f->admin);
    sl_free(f->reader);
    sl_free(f->gone);
    free(f);
    return 0;
}

/* One request through the dispatcher (token NULL: anonymous). */
static sl_http_response request(sl_store *st, const char *method, const char *query,
                                const char *token, const char *ctype, const char *body)
{
    sl_http_header h[2];
    sl_http_request req;
    size_t n = 0;
    memset(&req, 0, sizeof req);
    if (token)
        h[n++] = (sl_http_header){"PRIVATE-TOKEN", token};
    if (ctype)
        h[n++] = (sl_http_header){"Content-Type", ctype};
    req.method = method;
    req.path = "/api/graphql";
    req.query = query;
    req.headers = h;
    req.header_count = n;
    req.body = body;
    req.body_len = body ? strlen(body) : 0;
    return sl_dispatch(&api_listener, st, &req);
}

static sl_http_response post(fx *f, const char *token, const char *body)
{
    return request(f->st, "POST", NULL, token, "application/json", body);
}

/* {"query": text} as a JSON body; caller frees. */
static char *body_of(const char *text)
{
    json_t *o = json_pack("{s:s}", "query", text);
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    assert_non_null(s);
    return s;
}

static sl_http_response query(fx *f, const char *token, const char *text)
{
    char *body = body_of(text);
    sl_http_response r = post(f, token, body);
    free(body);
    return r;
}

static void expect_typed(sl_http_response r, int status, const char *ctype, const char *body)
{
    if (r.status != status || !r.body || strcmp(r.body, body) != 0)
        fail_msg("got %d %s\nexpected %d %s", r.status, r.body ? r.body : "(none)", status, body);
    assert_string_equal(r.content_type, ctype);
    sl_http_response_free(&r);
}

static void expect(sl_http_response r, int status, const char *body)
{
    expect_typed(r, status, "application/json", body);
}

/* ---- the transport ------------------------------------------------------------- */

static void test_transport_refusals(void **state)
{
    fx *f = *state;
    sl_http_request req;
    sl_http_response r;
    r = request(f->st, "PUT", NULL, f->admin, NULL, NULL);
    assert_int_equal(r.header_count, 1);
    assert_string_equal(r.headers[0].name, "Allow");
    assert_string_equal(r.headers[0].value, "GET, HEAD, POST");
    expect(r, 405, "{\"errors\":[{\"message\":\"405 Method Not Allowed\"}]}");
    memset(&req, 0, sizeof req);
    req.method = "POST";
    req.path = "/api/graphql";
    req.body_too_large = 1;
    expect(sl_dispatch(&api_listener, NULL, &req), 413, "{\"errors\":[{\"message\":\"413 Request Entity Too Large\"}]}");
    r = request(NULL, "POST", NULL, NULL, "application/json", "{}");
    assert_int_equal(r.status, 500);
    assert_string_equal(r.detail, "the ledger is not open");
    sl_http_response_free(&r);
    expect(post(f, f->admin, "{\"query\":"), 400,
           "{\"errors\":[{\"message\":\"The request body is not valid JSON\"}]}");
    expect(post(f, f->admin, "\"{ queryComplexity { score } }\""), 400,
           "{\"errors\":[{\"message\":\"The request body must be a JSON object or an array of them\"}]}");
    /* a token that is unknown, revoked, or in the query string */
    expect(query(f, "slt_nope", "{ queryComplexity { score } }"), 401,
           "{\"errors\":[{\"message\":\"Invalid token\"}]}");
    expect(query(f, f->gone, "{ queryComplexity { score } }"), 401,
           "{\"errors\":[{\"message\":\"Invalid token\"}]}");
    expect(request(f->st, "GET", "query=%7BqueryComplexity%7Bscore%7D%7D&private_token=x", NULL, NULL,
                   NULL), 401, "{\"errors\":[{\"message\":\"Invalid token\"}]}");
    /* no query */
    expect(post(f, NULL, "{}"), 200, "{\"errors\":[{\"message\":\"No query string was present\"}]}");
    expect(post(f, NULL, "{\"query\":5}"), 200,
           "{\"errors\":[{\"message\":\"No query string was present\"}]}");
    /* the metrics' route label; the metrics listener serves nothing else */
    {
        sl_dispatch_ctx metrics_only = {.metrics_only = 1};
        assert_string_equal(sl_dispatch_label(&api_listener, "/api/graphql"), "/api/graphql");
        assert_string_equal(sl_dispatch_label(&metrics_only, "/api/graphql"), "other");
        r = request(f->st, "GET", NULL, NULL, NULL, NULL);
        sl_http_response_free(&r);
        memset(&req, 0, sizeof req);
        req.method = "GET";
        req.path = "/api/graphql";
        r = sl_dispatch(&metrics_only, f->st, &req);
        assert_int_equal(r.status, 404);
        assert_string_equal(r.body, "not found\n");
        sl_http_response_free(&r);
    }
    /* a path of ours only when exact: the rest is the REST API's */
    memset(&req, 0, sizeof req);
    req.method = "GET";
    req.path = "/api/graphql/x";
    r = sl_dispatch(&api_listener, f->st, &req);
    expect(r, 404, "{\"message\":\"404 Not Found\"}");
}

/* Anonymous callers may ask; license fields are refused them. */
static void test_roles(void **state)
{
    fx *f = *state;
    const char *refused = "{\"data\":{\"currentLicense\":null},\"errors\":[{\"message\":\"" NOT_AVAILABLE
                          "\",\"locations\":[{\"line\":1,\"column\":3}],\"path\":[\"currentLicense\"]}]}";
    expect(query(f, NULL, "{ queryComplexity { score limit } }"), 200,
           "{\"data\":{\"queryComplexity\":{\"score\":3,\"limit\":200}}}");
    expect(query(f, f->reader, "{ queryComplexity { score limit } }"), 200,
           "{\"data\":{\"queryComplexity\":{\"score\":3,\"limit\":250}}}");
    expect(query(f, f->admin, "{ queryComplexity { score limit } }"), 200,
           "{\"data\":{\"queryComplexity\":{\"score\":3,\"limit\":300}}}");
    expect(query(f, NULL, "{ currentLicense { id } }"), 200, refused);
    expect(query(f, f->reader, "{ currentLicense { id } }"), 200, refused);
    expect(query(f, f->reader, "{ addOnPurchases { id } }"), 200,
           "{\"data\":{\"addOnPurchases\":null},\"errors\":[{\"message\":\"" NOT_AVAILABLE
           "\",\"locations\":[{\"line\":1,\"column\":3}],\"path\":[\"addOnPurchases\"]}]}");
    /* the spec's examples of complexity, __typename counted */
    expect(query(f, f->admin, "{ currentLicense { id plan } q: queryComplexity { score } }"), 200,
           "{\"data\":{\"currentLicense\":{\"id\":\"gid://gitlab/License/4242\",\"plan\":\"ultimate\"},"
           "\"q\":{\"score\":5}}}");
    expect(query(f, f->admin, "{ licenseHistoryEntries(first: 10) { nodes { id plan } } "
                              "queryComplexity { score } }"), 200,
           "{\"data\":{\"licenseHistoryEntries\":{\"nodes\":[{\"id\":\"gid://gitlab/License/4242\","
           "\"plan\":\"ultimate\"}]},\"queryComplexity\":{\"score\":6}}}");
    expect(query(f, f->admin, "{ licenseHistoryEntries { nodes { id plan } } "
                              "queryComplexity { __typename score } }"), 200,
           "{\"data\":{\"licenseHistoryEntries\":{\"nodes\":[{\"id\":\"gid://gitlab/License/4242\","
           "\"plan\":\"ultimate\"}]},\"queryComplexity\":{\"__typename\":\"QueryComplexity\",\"score\":11}}}");
}

/* ---- the limits table, message by message ----------------------------------------- */

static void test_query_too_large(void **state)
{
    fx *f = *state;
    const char *too_large = "{\"errors\":[{\"message\":\"Query too large\"}]}";
    char *big = malloc(10002), *body, *half;
    assert_non_null(big);
    /* 10,000 characters pass (a comment pads it), 10,001 do not */
    memset(big, '#', 10001);
    memcpy(big, "{ queryComplexity { score } }\n", 30);
    big[10000] = '\0';
    expect(query(f, NULL, big), 200, "{\"data\":{\"queryComplexity\":{\"score\":2}}}");
    big[10000] = '#';
    big[10001] = '\0';
    expect(query(f, NULL, big), 422, too_large);
    /* characters, not bytes: 5,000 two-byte characters are 5,000 */
    half = tu_repeat("{ queryComplexity { score } }\n#", "\xc3\xa9", 4960, "");
    body = tu_repeat("[{\"query\":\"", "", 0, "");
    free(body);
    {
        json_t *a = json_pack("[{s:s},{s:s}]", "query", half, "query", half);
        body = json_dumps(a, JSON_COMPACT);
        json_decref(a);
    }
    expect(post(f, NULL, body), 200, "[{\"data\":{\"queryComplexity\":{\"score\":2}}},"
                                     "{\"data\":{\"queryComplexity\":{\"score\":2}}}]");
    free(body);
    free(half);
    /* summed over a batch */
    half = tu_repeat("{ queryComplexity { score } }\n#", "#", 4980, "");
    {
        json_t *a = json_pack("[{s:s},{s:s}]", "query", half, "query", half);
        body = json_dumps(a, JSON_COMPACT);
        json_decref(a);
    }
    expect(post(f, NULL, body), 422, too_large);
    free(body);
    free(half);
    /* GET too */
    {
        char *q = tu_repeat("query=%7BqueryComplexity%7Bscore%7D%7D%0A%23", "%23", 9990, "");
        expect(request(f->st, "GET", q, NULL, NULL, NULL), 422, too_large);
        free(q);
    }
    free(big);
}

static void test_complexity_limits(void **state)
{
    fx *f = *state;
    char *doc;
    char *body;
    json_t *a;
    doc = tu_repeat("{", " a%d: queryComplexity { score }", 101, " }");
    expect(query(f, NULL, doc), 200,
           "{\"errors\":[{\"message\":\"Query has complexity of 202, which exceeds max complexity of 200\"}]}");
    free(doc);
    doc = tu_repeat("{", " a%d: queryComplexity { score }", 100, " }");
    {
        sl_http_response r = query(f, NULL, doc);
        assert_int_equal(r.status, 200);
        assert_null(strstr(r.body, "errors"));
        sl_http_response_free(&r);
    }
    free(doc);
    doc = tu_repeat("{", " a%d: queryComplexity { score }", 126, " }");
    expect(query(f, f->reader, doc), 200,
           "{\"errors\":[{\"message\":\"Query has complexity of 252, which exceeds max complexity of 250\"}]}");
    free(doc);
    doc = tu_repeat("{", " a%d: queryComplexity { score }", 151, " }");
    expect(query(f, f->admin, doc), 200,
           "{\"errors\":[{\"message\":\"Query has complexity of 302, which exceeds max complexity of 300\"}]}");
    free(doc);
    /* summed over a batch: each of 102 is fine alone, 204 together are not */
    doc = tu_repeat("{", " a%d: queryComplexity { score }", 51, " }");
    a = json_pack("[{s:s},{s:s}]", "query", doc, "query", doc);
    body = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    expect(post(f, NULL, body), 200,
           "[{\"errors\":[{\"message\":\"Query has complexity of 204, which exceeds max complexity of 200\"}]},"
           "{\"errors\":[{\"message\":\"Query has complexity of 204, which exceeds max complexity of 200\"}]}]");
    free(body);
    free(doc);
    /* the page size counts (first: 500 is 100), a search 5 and a sort 1 */
    expect(query(f, f->admin,
                 "{ selfManagedAddOnEligibleUsers(addOnType: CODE_SUGGESTIONS, addOnPurchaseIds: [], "
                 "first: 500, search: \"x\", sort: ID_DESC) { nodes { id } } queryComplexity { score } }"),
           200, "{\"data\":{\"selfManagedAddOnEligibleUsers\":{\"nodes\":[{\"id\":\"gid://gitlab/User/5\"},"
                "{\"id\":\"gid://gitlab/User/4\"},{\"id\":\"gid://gitlab/User/2\"},{\"id\":\"gid://gitlab/User/1\"}]},"
                "\"queryComplexity\":{\"score\":20}}}");
}

static void test_depth_limits(void **state)
{
    fx *f = *state;
    /* __type, 14 ofType and name: depth 16 */
    char *doc = tu_repeat("{ __type(name: \"Query\") {", " ofType {", 14, " name }}}}}}}}}}}}}} } }");
    expect(query(f, NULL, doc), 200,
           "{\"errors\":[{\"message\":\"Query has depth of 16, which exceeds max depth of 15\"}]}");
    {
        sl_http_response r = query(f, f->reader, doc);
        assert_int_equal(r.status, 200);
        assert_non_null(strstr(r.body, "{\"data\":{\"__type\":{\"ofType\":null}}}"));
        sl_http_response_free(&r);
    }
    free(doc);
    doc = tu_repeat("{ __type(name: \"Query\") {", " ofType {", 19,
                 " name }}}}}}}}}}}}}}}}}}} } }");
    expect(query(f, f->admin, doc), 200,
           "{\"errors\":[{\"message\":\"Query has depth of 21, which exceeds max depth of 20\"}]}");
    free(doc);
}

static void test_recursion_limit(void **state)
{
    fx *f = *state;
    expect(query(f, f->admin, "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }"),
           200, "{\"errors\":[{\"message\":\"Recursive query - too many of fields '{\\\"fields\\\"=>3}' "
                "detected\\nin single branch of the query\\\")\"}]}");
    /* twice is allowed, and node/edges/nodes/ofType are never counted */
    {
        sl_http_response r = query(f, f->admin, "{ __schema { types { fields { type { fields { name } } } } } }");
        assert_null(strstr(r.body, "Recursive"));
        sl_http_response_free(&r);
    }
}

static void test_validation_errors_at_most_five(void **state)
{
    fx *f = *state;
    sl_http_response r = query(f, f->admin, "{ a b c d e f g }");
    json_t *j = json_loads(r.body, 0, NULL);
    assert_non_null(j);
    assert_int_equal(json_array_size(json_object_get(j, "errors")), 5);
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(j, "errors"), 0),
                                                          "message")),
                        "Field 'a' doesn't exist on type 'Query'");
    json_decref(j);
    sl_http_response_free(&r);
}

/* A clock that jumps 31 seconds at every look. */
static int64_t jumping_now;
static int64_t jumping_clock(void)
{
    jumping_now += 31000;
    return jumping_now;
}

static void test_timeout(void **state)
{
    fx *f = *state;
    sl_graphql_options opt = {jumping_clock, 0};
    char *body = body_of("{ queryComplexity { score } licenseHistoryEntries { nodes { id } } }");
    sl_http_header h = {"Content-Type", "application/json"};
    sl_http_request req = {.method = "POST", .path = "/api/graphql", .headers = &h,
                           .header_count = 1, .body = body, .body_len = strlen(body)};
    expect(sl_graphql_route_with(f->st, &req, &opt), 200,
           "{\"data\":{\"queryComplexity\":null,\"licenseHistoryEntries\":null},\"errors\":[{\"message\":"
           "\"Timeout on Query.queryComplexity\",\"locations\":[{\"line\":1,\"column\":3}],"
           "\"path\":[\"queryComplexity\"]}]}");
    free(body);
}

static void test_page_size(void **state)
{
    fx *f = *state;
    char csv[8192];
    size_t n = (size_t)snprintf(csv, sizeof csv, "id,username,state\n");
    sl_http_response r;
    json_t *j, *conn;
    for (int i = 0; i < 150; i++)
        n += (size_t)snprintf(csv + n, sizeof csv - n, "%03d,user%03d,active\n", i, i);
    tu_import_csv(f->st, csv);
    r = query(f, f->admin, "{ selfManagedAddOnEligibleUsers(addOnType: CODE_SUGGESTIONS, "
                           "addOnPurchaseIds: [], first: 500) { nodes { id } pageInfo { hasNextPage } } }");
    j = json_loads(r.body, 0, NULL);
    conn = json_object_get(json_object_get(j, "data"), "selfManagedAddOnEligibleUsers");
    assert_int_equal(json_array_size(json_object_get(conn, "nodes")), 100);
    assert_true(json_is_true(json_object_get(json_object_get(conn, "pageInfo"), "hasNextPage")));
    json_decref(j);
    sl_http_response_free(&r);
}

/* ---- GET and batches --------------------------------------------------------------- */

static void test_get(void **state)
{
    fx *f = *state;
    const char *forbidden = "{\"errors\":[{\"message\":\"Mutations are forbidden in GET requests\"}]}";
    expect(request(f->st, "GET", "query=%7BqueryComplexity%7Bscore%7D%7D", NULL, NULL, NULL), 200,
           "{\"data\":{\"queryComplexity\":{\"score\":2}}}");
    expect(request(f->st, "GET", "query=query+Q($a:+Int)+%7B+licenseHistoryEntries(first:+$a)+%7B+nodes+%7B+plan+"
                                 "%7D+%7D+%7D&variables=%7B%22a%22:1%7D&operationName=Q", f->admin, NULL, NULL),
           200, "{\"data\":{\"licenseHistoryEntries\":{\"nodes\":[{\"plan\":\"ultimate\"}]}}}");
    expect(request(f->st, "GET", "query=mutation+%7B+x+%7D", f->admin, NULL, NULL), 422, forbidden);
    /* a document that does not parse counts as a mutation */
    expect(request(f->st, "GET", "query=%7B", f->admin, NULL, NULL), 422, forbidden);
    expect(request(f->st, "HEAD", "query=mutation%7Bx%7D", NULL, NULL, NULL), 422,
           "{\"errors\":[{\"message\":\"Mutations are forbidden in HEAD requests\"}]}");
    /* one that parses but is invalid is answered like any query */
    expect(request(f->st, "GET", "query=%7Bzzz%7D", NULL, NULL, NULL), 200,
           "{\"errors\":[{\"message\":\"Field 'zzz' doesn't exist on type 'Query'\",\"locations\":"
           "[{\"line\":1,\"column\":2}],\"path\":[\"query\",\"zzz\"]}]}");
    expect(request(f->st, "GET", NULL, NULL, NULL, NULL), 200,
           "{\"errors\":[{\"message\":\"No query string was present\"}]}");
    /* a form body works like GET's parameters, mutations included */
    expect(request(f->st, "POST", NULL, NULL, "application/x-www-form-urlencoded",
                   "query=%7BqueryComplexity%7Bscore%7D%7D"), 200,
           "{\"data\":{\"queryComplexity\":{\"score\":2}}}");
}

static void test_batch(void **state)
{
    fx *f = *state;
    char *body;
    expect(post(f, NULL, "[]"), 200, "[]");
    expect(post(f, f->reader, "[{\"query\":\"{ queryComplexity { limit } }\"},5,"
                              "{\"query\":\"query($n: Int!) { licenseHistoryEntries(first: $n) { nodes { id } } }\","
                              "\"variables\":\"{\\\"n\\\": \\\"x\\\"}\"}]"), 200,
           "[{\"data\":{\"queryComplexity\":{\"limit\":250}}},"
           "{\"errors\":[{\"message\":\"No query string was present\"}]},"
           "{\"errors\":[{\"message\":\"Variable $n of type Int! was provided invalid value\","
           "\"locations\":[{\"line\":1,\"column\":7}],\"extensions\":{\"value\":\"x\","
           "\"problems\":[{\"path\":[],\"explanation\":\"Could not coerce value \\\"x\\\" to Int\"}]}}]}]");
    body = tu_repeat("[", "{\"query\":\"{ queryComplexity { score } }\"},", 101, "{}]");
    expect(post(f, NULL, body), 422, "{\"errors\":[{\"message\":\"Too many queries in one batch (more than 100)\"}]}");
    free(body);
}

/* ---- licenses ------------------------------------------------------------------------- */

static void test_license_queries(void **state)
{
    fx *f = *state;
    sl_http_request req = {0};
    sl_http_header h = {"PRIVATE-TOKEN", f->admin};
    sl_http_response rest, gql;
    json_t *a, *b, *cur;
    expect(query(f, f->admin, "{ currentLicense { id type plan name email company startsAt createdAt "
                              "expiresAt blockChangesAt activatedAt usersInLicenseCount lastSync "
                              "billableUsersCount maximumUserCount usersOverLicenseCount trial "
                              "subscriptionName hasGitlabCreditsAddOn } }"), 200,
           "{\"data\":{\"currentLicense\":{\"id\":\"gid://gitlab/License/4242\",\"type\":\"online_cloud\","
           "\"plan\":\"ultimate\",\"name\":\"Ada Lovelace\",\"email\":\"ada@example.com\",\"company\":\"Acme\","
           "\"startsAt\":\"2026-01-01\",\"createdAt\":\"2026-11-22\",\"expiresAt\":\"2027-01-01\","
           "\"blockChangesAt\":null,\"activatedAt\":\"2026-11-22\",\"usersInLicenseCount\":10,"
           "\"lastSync\":null,\"billableUsersCount\":4,\"maximumUserCount\":4,\"usersOverLicenseCount\":0,"
           "\"trial\":false,\"subscriptionName\":null,\"hasGitlabCreditsAddOn\":false}}}");
    expect(query(f, f->admin, "{ licenseHistoryEntries { edges { cursor node { id type } } "
                              "pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } "
                              "subscriptionFutureEntries { nodes { plan } } }"), 200,
           "{\"data\":{\"licenseHistoryEntries\":{\"edges\":[{\"cursor\":\"MQ\",\"node\":{\"id\":"
           "\"gid://gitlab/License/4242\",\"type\":\"online_cloud\"}}],\"pageInfo\":{\"hasNextPage\":false,"
           "\"hasPreviousPage\":false,\"startCursor\":\"MQ\",\"endCursor\":\"MQ\"}},"
           "\"subscriptionFutureEntries\":{\"nodes\":[]}}}");
    expect(query(f, f->admin, "{ licenseHistoryEntries(after: \"!!\") { nodes { id } } }"), 200,
           "{\"data\":{\"licenseHistoryEntries\":null},\"errors\":[{\"message\":\"Please provide a valid cursor\","
           "\"locations\":[{\"line\":1,\"column\":3}],\"path\":[\"licenseHistoryEntries\"]}]}");
    /* the figures are the License API's */
    req.method = "GET";
    req.path = "/api/v4/license";
    req.headers = &h;
    req.header_count = 1;
    rest = sl_dispatch(&api_listener, f->st, &req);
    gql = query(f, f->admin, "{ currentLicense { billableUsersCount maximumUserCount usersOverLicenseCount "
                             "usersInLicenseCount } }");
    a = json_loads(rest.body, 0, NULL);
    b = json_loads(gql.body, 0, NULL);
    cur = json_object_get(json_object_get(b, "data"), "currentLicense");
    assert_true(json_equal(json_object_get(a, "active_users"), json_object_get(cur, "billableUsersCount")));
    assert_true(json_equal(json_object_get(a, "maximum_user_count"), json_object_get(cur, "maximumUserCount")));
    assert_true(json_equal(json_object_get(a, "overage"), json_object_get(cur, "usersOverLicenseCount")));
    assert_true(json_equal(json_object_get(a, "user_limit"), json_object_get(cur, "usersInLicenseCount")));
    json_decref(a);
    json_decref(b);
    sl_http_response_free(&rest);
    sl_http_response_free(&gql);
}

/* ---- add-on seats ------------------------------------------------------------------------ */

static char *mutation(const char *name, const char *input)
{
    size_t cap = strlen(input) + 512;
    char *s = malloc(cap);
    assert_non_null(s);
    snprintf(s, cap, "mutation { %s(input: {addOnPurchaseId: \"" PURCHASE "\", %s}) { errors "
                      "addOnPurchase { assignedQuantity } %s } }",
             name, input, strstr(name, "Bulk") ? "users { nodes { username } }" : "user { username }");
    return s;
}

static sl_http_response mutate(fx *f, const char *token, const char *name, const char *input)
{
    char *m = mutation(name, input);
    sl_http_response r = query(f, token, m);
    free(m);
    return r;
}

typedef struct events {
    char text[1024];
} events;

static int event_row(void *ud, const sl_seat_event *e)
{
    events *ev = ud;
    snprintf(ev->text + strlen(ev->text), sizeof ev->text - strlen(ev->text), "%s %s %s;", e->event,
             e->username, e->actor);
    return 0;
}

static const char *history_of(fx *f, events *ev)
{
    sl_error err = {0};
    memset(ev, 0, sizeof *ev);
    assert_int_equal(sl_store_seat_history(f->st, NULL, INT64_MIN, INT64_MAX, event_row, ev, &err), SL_OK);
    return ev->text;
}

static void test_seat_mutations(void **state)
{
    fx *f = *state;
    events ev;
    expect(mutate(f, f->admin, "userAddOnAssignmentCreate", "userId: \"gid://gitlab/User/1\""), 200,
           "{\"data\":{\"userAddOnAssignmentCreate\":{\"errors\":[],\"addOnPurchase\":{\"assignedQuantity\":1},"
           "\"user\":{\"username\":\"alice\"}}}}");
    /* the token's name is the actor */
    assert_string_equal(history_of(f, &ev), "assigned alice ops;");
    expect(mutate(f, f->admin, "userAddOnAssignmentCreate", "userId: \"gid://gitlab/User/3\""), 200,
           "{\"data\":{\"userAddOnAssignmentCreate\":{\"errors\":[\"INVALID_USER_MEMBERSHIP\"],"
           "\"addOnPurchase\":null,\"user\":null}}}");
    expect(mutate(f, f->admin, "userAddOnAssignmentCreate", "userId: \"gid://gitlab/User/99\""), 200,
           "{\"data\":{\"userAddOnAssignmentCreate\":null},\"errors\":[{\"message\":\"" NOT_AVAILABLE "\","
           "\"locations\":[{\"line\":1,\"column\":12}],\"path\":[\"userAddOnAssignmentCreate\"]}]}");
    expect(mutate(f, f->reader, "userAddOnAssignmentCreate", "userId: \"gid://gitlab/User/2\""), 200,
           "{\"data\":{\"userAddOnAssignmentCreate\":null},\"errors\":[{\"message\":\"" NOT_AVAILABLE "\","
           "\"locations\":[{\"line\":1,\"column\":12}],\"path\":[\"userAddOnAssignmentCreate\"]}]}");
    /* all or nothing: three more do not fit in two free seats, nothing changes */
    expect(mutate(f, f->admin, "userAddOnAssignmentBulkCreate",
                  "userIds: [\"gid://gitlab/User/2\", \"gid://gitlab/User/4\", \"gid://gitlab/User/5\"]"),
           200, "{\"data\":{\"userAddOnAssignmentBulkCreate\":{\"errors\":[\"NOT_ENOUGH_SEATS\"],"
                "\"addOnPurchase\":null,\"users\":null}}}");
    assert_string_equal(history_of(f, &ev), "assigned alice ops;");
    /* ineligible ids are skipped; a repeated id counts once */
    expect(mutate(f, f->admin, "userAddOnAssignmentBulkCreate",
                  "userIds: [\"gid://gitlab/User/3\", \"gid://gitlab/User/2\", \"gid://gitlab/User/2\", "
                  "\"gid://gitlab/User/1\"]"),
           200, "{\"data\":{\"userAddOnAssignmentBulkCreate\":{\"errors\":[],\"addOnPurchase\":"
                "{\"assignedQuantity\":2},\"users\":{\"nodes\":[{\"username\":\"alice\"},{\"username\":\"bob\"}]}}}}");
    assert_string_equal(history_of(f, &ev), "assigned alice ops;assigned bob ops;");
    expect(mutate(f, f->admin, "userAddOnAssignmentRemove", "userId: \"gid://gitlab/User/2\""), 200,
           "{\"data\":{\"userAddOnAssignmentRemove\":{\"errors\":[],\"addOnPurchase\":{\"assignedQuantity\":1},"
           "\"user\":{\"username\":\"bob\"}}}}");
    /* GitLab: removing a seat the user does not hold answers a null payload */
    expect(mutate(f, f->admin, "userAddOnAssignmentRemove", "userId: \"gid://gitlab/User/2\""), 200,
           "{\"data\":{\"userAddOnAssignmentRemove\":null}}");
    expect(mutate(f, f->admin, "userAddOnAssignmentBulkRemove",
                  "userIds: [\"gid://gitlab/User/4\", \"gid://gitlab/User/5\"]"), 200,
           "{\"data\":{\"userAddOnAssignmentBulkRemove\":{\"errors\":[\"NO_ASSIGNMENTS_FOUND\"],"
           "\"addOnPurchase\":null,\"users\":null}}}");
    expect(mutate(f, f->admin, "userAddOnAssignmentBulkRemove",
                  "userIds: [\"gid://gitlab/User/4\", \"gid://gitlab/User/1\"]"), 200,
           "{\"data\":{\"userAddOnAssignmentBulkRemove\":{\"errors\":[],\"addOnPurchase\":"
           "{\"assignedQuantity\":0},\"users\":{\"nodes\":[{\"username\":\"alice\"}]}}}}");
    assert_string_equal(history_of(f, &ev), "assigned alice ops;assigned bob ops;unassigned bob ops;"
                                            "unassigned alice ops;");
    expect(mutate(f, f->admin, "userAddOnAssignmentBulkCreate", "userIds: []"), 200,
           "{\"data\":{\"userAddOnAssignmentBulkCreate\":null},\"errors\":[{\"message\":\"" NOT_AVAILABLE "\","
           "\"locations\":[{\"line\":1,\"column\":12}],\"path\":[\"userAddOnAssignmentBulkCreate\"]}]}");
}

static void test_bulk_limits(void **state)
{
    fx *f = *state;
    char *ids = tu_repeat("userIds: [", "\"gid://gitlab/User/%d\",", 101, "]");
    char *m = mutation("userAddOnAssignmentBulkCreate", ids), *m2;
    expect(query(f, f->admin, m), 200,
           "{\"data\":{\"userAddOnAssignmentBulkCreate\":null},\"errors\":[{\"message\":\"The number of users to "
           "be assigned in a single API call should be less than 100.\",\"locations\":[{\"line\":1,\"column\":12}],"
           "\"path\":[\"userAddOnAssignmentBulkCreate\"]}]}");
    m2 = mutation("userAddOnAssignmentBulkRemove", ids);
    expect(query(f, f->admin, m2), 200,
           "{\"data\":{\"userAddOnAssignmentBulkRemove\":null},\"errors\":[{\"message\":\"The number of users to "
           "be unassigned in a single API call should be less than 100.\",\"locations\":[{\"line\":1,\"column\":12}],"
           "\"path\":[\"userAddOnAssignmentBulkRemove\"]}]}");
    free(m);
    free(m2);
    free(ids);
}

static void test_global_ids(void **state)
{
    fx *f = *state;
    /* GitLab's GlobalIDType messages, in a literal ... */
    expect(query(f, f->admin, "mutation { userAddOnAssignmentCreate(input: {addOnPurchaseId: \"" PURCHASE "\", "
                              "userId: \"gid://gitlab/Project/1\"}) { errors } }"), 200,
           "{\"errors\":[{\"message\":\"\\\"gid://gitlab/Project/1\\\" does not represent an instance of User\","
           "\"locations\":[{\"line\":1,\"column\":38}],\"path\":[\"mutation\",\"userAddOnAssignmentCreate\"]}]}");
    /* ... and in variables */
    expect(post(f, f->admin, "{\"query\":\"mutation($u: UserID!) { userAddOnAssignmentCreate(input: "
                             "{addOnPurchaseId: \\\"" PURCHASE "\\\", userId: $u}) { errors } }\","
                             "\"variables\":{\"u\":\"gid://other/User/1\"}}"), 200,
           "{\"errors\":[{\"message\":\"Variable $u of type UserID! was provided invalid value\",\"locations\":"
           "[{\"line\":1,\"column\":10}],\"extensions\":{\"value\":\"gid://other/User/1\",\"problems\":[{\"path\":[],"
           "\"explanation\":\"\\\"gid://other/User/1\\\" is not a Gitlab Global ID\"}]}}]}");
    expect(post(f, f->admin, "{\"query\":\"query($p: [GitlabSubscriptionsAddOnPurchaseID!]!) { "
                             "selfManagedAddOnEligibleUsers(addOnType: DUO_CORE, addOnPurchaseIds: $p) { nodes { id } } }\","
                             "\"variables\":{\"p\":[\"" PURCHASE "\", \"1\"]}}"), 200,
           "{\"errors\":[{\"message\":\"Variable $p of type [GitlabSubscriptionsAddOnPurchaseID!]! was provided "
           "invalid value for 1 (\\\"1\\\" is not a valid Global ID)\",\"locations\":[{\"line\":1,\"column\":7}],"
           "\"extensions\":{\"value\":[\"" PURCHASE "\",\"1\"],\"problems\":[{\"path\":[1],\"explanation\":"
           "\"\\\"1\\\" is not a valid Global ID\"}]}}]}");
    /* ids of the directory with characters a URI escapes come back as written */
    tu_import_csv(f->st, "id,username,state\nx/y z,odd,active\n");
    expect(query(f, f->admin, "{ selfManagedAddOnEligibleUsers(addOnType: DUO_CORE, addOnPurchaseIds: []) "
                              "{ nodes { id } } }"), 200,
           "{\"data\":{\"selfManagedAddOnEligibleUsers\":{\"nodes\":[{\"id\":\"gid://gitlab/User/x%2Fy%20z\"}]}}}");
    expect(mutate(f, f->admin, "userAddOnAssignmentCreate", "userId: \"gid://gitlab/User/x%2Fy%20z\""), 200,
           "{\"data\":{\"userAddOnAssignmentCreate\":{\"errors\":[],\"addOnPurchase\":{\"assignedQuantity\":1},"
           "\"user\":{\"username\":\"odd\"}}}}");
}

/* The users of a connection as "name,name" and its pageInfo. */
static void page_of(fx *f, const char *args, char *names, size_t size, json_t **info)
{
    char q[1024];
    sl_http_response r;
    json_t *j, *conn, *node;
    size_t i;
    snprintf(q, sizeof q, "{ selfManagedAddOnEligibleUsers(addOnType: CODE_SUGGESTIONS, "
                          "addOnPurchaseIds: [\"" PURCHASE "\"]%s) { nodes { username } "
                          "pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }", args);
    r = query(f, f->admin, q);
    j = json_loads(r.body, 0, NULL);
    conn = json_object_get(json_object_get(j, "data"), "selfManagedAddOnEligibleUsers");
    if (!conn)
        fail_msg("%s: %s", q, r.body);
    names[0] = '\0';
    json_array_foreach(json_object_get(conn, "nodes"), i, node) {
        snprintf(names + strlen(names), size - strlen(names), "%s%s", i ? "," : "",
                 json_string_value(json_object_get(node, "username")));
    }
    *info = json_incref(json_object_get(conn, "pageInfo"));
    json_decref(j);
    sl_http_response_free(&r);
}

static const char *cursor_of(const json_t *info, const char *which)
{
    return json_string_value(json_object_get(info, which));
}

static void test_eligible_users(void **state)
{
    fx *f = *state;
    char names[256], args[512];
    json_t *p1, *p2, *p3;
    expect(mutate(f, f->admin, "userAddOnAssignmentCreate", "userId: \"gid://gitlab/User/5\""), 200,
           "{\"data\":{\"userAddOnAssignmentCreate\":{\"errors\":[],\"addOnPurchase\":{\"assignedQuantity\":1},"
           "\"user\":{\"username\":\"eve\"}}}}");
    /* forwards, two at a time */
    page_of(f, ", first: 2", names, sizeof names, &p1);
    assert_string_equal(names, "alice,bob");
    assert_true(json_is_true(json_object_get(p1, "hasNextPage")));
    assert_true(json_is_false(json_object_get(p1, "hasPreviousPage")));
    snprintf(args, sizeof args, ", first: 2, after: \"%s\"", cursor_of(p1, "endCursor"));
    page_of(f, args, names, sizeof names, &p2);
    assert_string_equal(names, "dave,eve");
    assert_true(json_is_false(json_object_get(p2, "hasNextPage")));
    assert_true(json_is_true(json_object_get(p2, "hasPreviousPage")));
    /* backwards from there */
    snprintf(args, sizeof args, ", last: 1, before: \"%s\"", cursor_of(p2, "startCursor"));
    page_of(f, args, names, sizeof names, &p3);
    assert_string_equal(names, "bob");
    assert_true(json_is_true(json_object_get(p3, "hasPreviousPage")));
    assert_true(json_is_true(json_object_get(p3, "hasNextPage")));
    json_decref(p3);
    page_of(f, ", last: 3", names, sizeof names, &p3);
    assert_string_equal(names, "bob,dave,eve");
    json_decref(p3);
    /* up to a cursor */
    snprintf(args, sizeof args, ", before: \"%s\"", cursor_of(p2, "endCursor"));
    page_of(f, args, names, sizeof names, &p3);
    assert_string_equal(names, "alice,bob,dave");
    assert_true(json_is_true(json_object_get(p3, "hasNextPage")));
    json_decref(p3);
    json_decref(p1);
    json_decref(p2);
    /* sorts, search (username or email), the seat filter */
    page_of(f, ", sort: LAST_ACTIVITY_ON_DESC", names, sizeof names, &p1);
    assert_string_equal(names, "eve,alice,bob,dave");
    json_decref(p1);
    page_of(f, ", sort: NAME_DESC, search: \"EXAMPLE.COM\"", names, sizeof names, &p1);
    assert_string_equal(names, "eve,bob,alice");
    json_decref(p1);
    page_of(f, ", filterByAssignedSeat: \"true\"", names, sizeof names, &p1);
    assert_string_equal(names, "eve");
    json_decref(p1);
    page_of(f, ", filterByAssignedSeat: \"false\", search: \"example.com\"", names, sizeof names, &p1);
    assert_string_equal(names, "alice,bob");
    json_decref(p1);
    expect(query(f, f->admin, "{ selfManagedAddOnEligibleUsers(addOnType: CODE_SUGGESTIONS, addOnPurchaseIds: "
                              "[\"" PURCHASE "\"], after: \"bm9wZQ\", sort: NAME_ASC) { nodes { id } } }"), 200,
           "{\"data\":{\"selfManagedAddOnEligibleUsers\":null},\"errors\":[{\"message\":\"Please provide a valid "
           "cursor\",\"locations\":[{\"line\":1,\"column\":3}],\"path\":[\"selfManagedAddOnEligibleUsers\"]}]}");
    /* a user's assignments: active purchases among those asked for */
    expect(query(f, f->admin, "{ selfManagedAddOnEligibleUsers(addOnType: CODE_SUGGESTIONS, addOnPurchaseIds: [], "
                              "search: \"eve\") { nodes { name state lastActivityOn lastDuoActivityOn lastLoginAt "
                              "addOnAssignments(addOnPurchaseIds: [\"" PURCHASE "\", \"" PURCHASE "\", "
                              "\"gid://gitlab/GitlabSubscriptions::AddOnPurchase/9\"]) { nodes { addOnPurchase "
                              "{ id name purchasedQuantity assignedQuantity } } } } } "
                              "addOnPurchases { name } none: addOnPurchases(namespaceId: \"gid://gitlab/Group/1\") "
                              "{ name } }"), 200,
           "{\"data\":{\"selfManagedAddOnEligibleUsers\":{\"nodes\":[{\"name\":\"eve\",\"state\":\"active\","
           "\"lastActivityOn\":\"2026-11-20\",\"lastDuoActivityOn\":null,\"lastLoginAt\":null,\"addOnAssignments\":"
           "{\"nodes\":[{\"addOnPurchase\":{\"id\":\"" PURCHASE "\",\"name\":\"CODE_SUGGESTIONS\","
           "\"purchasedQuantity\":3,\"assignedQuantity\":1}}]}}]},\"addOnPurchases\":[{\"name\":\"CODE_SUGGESTIONS\"}],"
           "\"none\":[]}}");
}

/* The snapshots: the current license's term by default, oldest first,
 * paged both ways. */
static void test_billable_history(void **state)
{
    fx *f = *state;
    static const char *const at[] = {"2026-11-22T13:00:00Z", "2026-11-23T09:00:00Z", "2026-11-24T09:00:00Z"};
    sl_error err = {0};
    sl_http_response r;
    json_t *j, *info;
    char q[512];
    for (size_t i = 0; i < 3; i++) {
        setenv("SEATLEDGER_NOW", at[i], 1);
        assert_int_equal(sl_store_refresh(f->st, SL_SOURCE_API, NULL, &err), SL_OK);
    }
    expect(query(f, f->admin, "{ billableUsersHistory { nodes { recordedAt count source } } }"), 200,
           "{\"data\":{\"billableUsersHistory\":{\"nodes\":[{\"recordedAt\":\"2026-11-22T12:00:00Z\",\"count\":4,"
           "\"source\":\"cli\"},{\"recordedAt\":\"2026-11-22T13:00:00Z\",\"count\":4,\"source\":\"api\"},"
           "{\"recordedAt\":\"2026-11-23T09:00:00Z\",\"count\":4,\"source\":\"api\"},{\"recordedAt\":"
           "\"2026-11-24T09:00:00Z\",\"count\":4,\"source\":\"api\"}]}}}");
    expect(query(f, f->admin, "{ billableUsersHistory(from: \"2026-11-23\", to: \"2026-11-23\") "
                              "{ nodes { recordedAt } } }"), 200,
           "{\"data\":{\"billableUsersHistory\":{\"nodes\":[{\"recordedAt\":\"2026-11-23T09:00:00Z\"}]}}}");
    expect(query(f, f->admin, "{ billableUsersHistory(from: \"2026-02-30\") { nodes { count } } }"), 200,
           "{\"errors\":[{\"message\":\"invalid date\",\"locations\":[{\"line\":1,\"column\":24}],"
           "\"path\":[\"query\",\"billableUsersHistory\"]}]}");
    r = query(f, f->admin, "{ billableUsersHistory(first: 2) { pageInfo { hasNextPage endCursor } } }");
    j = json_loads(r.body, 0, NULL);
    info = json_object_get(json_object_get(json_object_get(j, "data"), "billableUsersHistory"), "pageInfo");
    assert_true(json_is_true(json_object_get(info, "hasNextPage")));
    snprintf(q, sizeof q, "{ billableUsersHistory(first: 5, after: \"%s\") { nodes { recordedAt } "
                          "pageInfo { hasNextPage hasPreviousPage } } }", cursor_of(info, "endCursor"));
    expect(query(f, f->admin, q), 200,
           "{\"data\":{\"billableUsersHistory\":{\"nodes\":[{\"recordedAt\":\"2026-11-23T09:00:00Z\"},"
           "{\"recordedAt\":\"2026-11-24T09:00:00Z\"}],\"pageInfo\":{\"hasNextPage\":false,\"hasPreviousPage\":true}}}}");
    snprintf(q, sizeof q, "{ billableUsersHistory(last: 1, before: \"%s\") { nodes { recordedAt } "
                          "pageInfo { hasNextPage hasPreviousPage } } }", cursor_of(info, "endCursor"));
    expect(query(f, f->admin, q), 200,
           "{\"data\":{\"billableUsersHistory\":{\"nodes\":[{\"recordedAt\":\"2026-11-22T12:00:00Z\"}],"
           "\"pageInfo\":{\"hasNextPage\":true,\"hasPreviousPage\":false}}}}");
    json_decref(j);
    sl_http_response_free(&r);
    expect(query(f, f->reader, "{ billableUsersHistory { nodes { count } } }"), 200,
           "{\"data\":{\"billableUsersHistory\":null},\"errors\":[{\"message\":\"" NOT_AVAILABLE "\","
           "\"locations\":[{\"line\":1,\"column\":3}],\"path\":[\"billableUsersHistory\"]}]}");
}

/* Hostile documents get a GraphQL error, never a crash or a write. */
/* Ours: the seat history, oldest first, paged by position, the token's
 * name as actor, admins only. */
static void test_seat_history(void **state)
{
    fx *f = *state;
    sl_http_response r;
    json_t *j, *info;
    char q[512];
    expect(query(f, f->admin, "{ addOnSeatHistory { nodes { event } pageInfo { hasNextPage } } }"), 200,
           "{\"data\":{\"addOnSeatHistory\":{\"nodes\":[],\"pageInfo\":{\"hasNextPage\":false}}}}");
    r = mutate(f, f->admin, "userAddOnAssignmentBulkCreate",
               "userIds: [\"gid://gitlab/User/1\", \"gid://gitlab/User/2\"]");
    assert_int_equal(r.status, 200);
    sl_http_response_free(&r);
    r = mutate(f, f->admin, "userAddOnAssignmentRemove", "userId: \"gid://gitlab/User/1\"");
    assert_int_equal(r.status, 200);
    sl_http_response_free(&r);
    expect(query(f, f->admin, "{ addOnSeatHistory { nodes { at addOnType userId username event reason actor } } }"),
           200, "{\"data\":{\"addOnSeatHistory\":{\"nodes\":["
           "{\"at\":\"2026-11-22T12:00:00Z\",\"addOnType\":\"CODE_SUGGESTIONS\",\"userId\":\"gid://gitlab/User/1\","
           "\"username\":\"alice\",\"event\":\"assigned\",\"reason\":null,\"actor\":\"ops\"},"
           "{\"at\":\"2026-11-22T12:00:00Z\",\"addOnType\":\"CODE_SUGGESTIONS\",\"userId\":\"gid://gitlab/User/2\","
           "\"username\":\"bob\",\"event\":\"assigned\",\"reason\":null,\"actor\":\"ops\"},"
           "{\"at\":\"2026-11-22T12:00:00Z\",\"addOnType\":\"CODE_SUGGESTIONS\",\"userId\":\"gid://gitlab/User/1\","
           "\"username\":\"alice\",\"event\":\"unassigned\",\"reason\":null,\"actor\":\"ops\"}]}}}");
    /* the newest two, then the one before them */
    r = query(f, f->admin, "{ addOnSeatHistory(last: 2) { nodes { username event } "
                           "pageInfo { hasPreviousPage hasNextPage startCursor } } }");
    j = json_loads(r.body, 0, NULL);
    info = json_object_get(json_object_get(json_object_get(j, "data"), "addOnSeatHistory"), "pageInfo");
    assert_true(json_is_true(json_object_get(info, "hasPreviousPage")));
    assert_true(json_is_false(json_object_get(info, "hasNextPage")));
    snprintf(q, sizeof q, "{ addOnSeatHistory(last: 2, before: \"%s\") { nodes { username event } } }",
             json_string_value(json_object_get(info, "startCursor")));
    json_decref(j);
    sl_http_response_free(&r);
    expect(query(f, f->admin, q), 200,
           "{\"data\":{\"addOnSeatHistory\":{\"nodes\":[{\"username\":\"alice\",\"event\":\"assigned\"}]}}}");
    expect(query(f, f->admin, "{ addOnSeatHistory(addOnType: DUO_CORE) { nodes { event } } }"), 200,
           "{\"data\":{\"addOnSeatHistory\":{\"nodes\":[]}}}");
    expect(query(f, f->admin, "{ addOnSeatHistory(after: \"bad\") { nodes { event } } }"), 200,
           "{\"data\":{\"addOnSeatHistory\":null},\"errors\":[{\"message\":\"Please provide a valid cursor\","
           "\"locations\":[{\"line\":1,\"column\":3}],\"path\":[\"addOnSeatHistory\"]}]}");
    expect(query(f, f->reader, "{ addOnSeatHistory { nodes { event } } }"), 200,
           "{\"data\":{\"addOnSeatHistory\":null},\"errors\":[{\"message\":\"" NOT_AVAILABLE "\","
           "\"locations\":[{\"line\":1,\"column\":3}],\"path\":[\"addOnSeatHistory\"]}]}");
}

static void test_hostile_documents(void **state)
{
    fx *f = *state;
    char *doc;
    expect(post(f, NULL, "{\"query\":\"{ a\\u0000 }\"}"), 200,
           "{\"errors\":[{\"message\":\"Unexpected NUL byte at [1, 4]\",\"locations\":[{\"line\":1,\"column\":4}]}]}");
    /* parameters that are not UTF-8 never reach GraphQL: GitLab's
     * HandleMalformedStrings middleware answers them first */
    expect_typed(request(f->st, "GET", "query=%7B%FF%7D", NULL, NULL, NULL), 400, "text/plain",
                 "Bad Request");
    expect_typed(request(f->st, "POST", NULL, NULL, "application/x-www-form-urlencoded", "query=%7B%FF%7D"),
                 400, "text/plain", "Bad Request");
    expect_typed(request(f->st, "GET", "query=query+Q+%7B+a+%7D&operationName=Q%B7", NULL, NULL, NULL), 400,
                 "text/plain", "Bad Request");
    /* called without the dispatcher (an embedder's own server), a name that
     * is not UTF-8 is quoted with U+FFFD in its place, never a 500 */
    {
        sl_http_header h = {"Content-Type", "application/x-www-form-urlencoded"};
        sl_http_request req;
        memset(&req, 0, sizeof req);
        req.method = "POST";
        req.path = "/api/graphql";
        req.headers = &h;
        req.header_count = 1;
        req.body = "query=query+Q+%7B+__typename+%7D&operationName=Q%B7";
        req.body_len = strlen(req.body);
        expect(sl_graphql_route(f->st, &req), 200,
               "{\"errors\":[{\"message\":\"Unknown operation named \\\"Q\xEF\xBF\xBD\\\"\"}]}");
    }
    doc = tu_repeat("", "{ a ", 70, "");
    expect(query(f, NULL, doc), 200,
           "{\"errors\":[{\"message\":\"Query is nested too deeply (more than 64 levels) at [1, 257]\","
           "\"locations\":[{\"line\":1,\"column\":257}]}]}");
    free(doc);
    expect(query(f, NULL, "{ queryComplexity { score } } fragment A on Query { ...B } fragment B on Query { ...A }"),
           200, "{\"errors\":[{\"message\":\"Fragment A contains an infinite loop\",\"locations\":[{\"line\":1,"
                "\"column\":31}]}]}");
    expect(post(f, NULL, "{\"query\":\"query($n: Int) { licenseHistoryEntries(first: $m) { nodes { id } } }\"}"),
           200, "{\"errors\":[{\"message\":\"Variable $m is used by anonymous query but not declared\","
                "\"locations\":[{\"line\":1,\"column\":47}],\"path\":[\"query\"]},{\"message\":\"Variable $n is "
                "declared by anonymous query but not used\",\"locations\":[{\"line\":1,\"column\":7}],"
                "\"path\":[\"query\"]}]}");
    /* 250 aliases, a string of 5,000 bytes, a number of 100 digits */
    doc = tu_repeat("{", " a%d: __typename", 250, " }");
    {
        sl_http_response r = query(f, NULL, doc);
        assert_non_null(strstr(r.body, "\"message\":\"Too many aliases (more than 200) at [1, "));
        assert_null(strstr(r.body, "\"data\""));
        sl_http_response_free(&r);
    }
    free(doc);
    doc = tu_repeat("{ billableUsersHistory(from: \"", "x", 5000, "\") { nodes { count } } }");
    {
        sl_http_response r = query(f, f->admin, doc);
        assert_non_null(strstr(r.body, "\"message\":\"String too long at [1, 30]\""));
        sl_http_response_free(&r);
    }
    free(doc);
    doc = tu_repeat("{ licenseHistoryEntries(first: ", "9", 100, ") { nodes { id } } }");
    {
        sl_http_response r = query(f, f->admin, doc);
        assert_non_null(strstr(r.body, "\"message\":\"Number too long at [1, 32]\""));
        sl_http_response_free(&r);
    }
    free(doc);
    /* deeply nested variables are refused before they are read */
    doc = tu_repeat("{\"query\":\"{ queryComplexity { score } }\",\"variables\":", "[", 40, "");
    expect(post(f, NULL, doc), 400, "{\"errors\":[{\"message\":\"The request body is not valid JSON\"}]}");
    free(doc);
}

/* Repeated queries are answered from the cache while the ledger's stamp
 * holds: any commit (ours or another connection's), another date or another
 * caller's role gives a fresh answer. */
static void test_response_cache(void **state)
{
    fx *f = *state;
    const char *q = "{ addOnPurchases { assignedQuantity } }";
    sl_store *other = NULL;
    sl_error err = {0};
    const char *const bob[] = {"2"}, *const dave[] = {"4"};
    expect(query(f, f->admin, q), 200, "{\"data\":{\"addOnPurchases\":[{\"assignedQuantity\":0}]}}");
    expect(query(f, f->admin, q), 200, "{\"data\":{\"addOnPurchases\":[{\"assignedQuantity\":0}]}}");
    assert_int_equal(sl_store_seats_assign(f->st, 1, bob, 1, 0, "cli", NULL, NULL, &err), SL_OK);
    expect(query(f, f->admin, q), 200, "{\"data\":{\"addOnPurchases\":[{\"assignedQuantity\":1}]}}");
    assert_int_equal(sl_store_open(sl_store_path(f->st), 0, &other, &err), SL_OK);
    assert_int_equal(sl_store_seats_assign(other, 1, dave, 1, 0, "cli", NULL, NULL, &err), SL_OK);
    sl_store_close(other);
    expect(query(f, f->admin, q), 200, "{\"data\":{\"addOnPurchases\":[{\"assignedQuantity\":2}]}}");
    expect(query(f, f->reader, q), 200,
           "{\"data\":{\"addOnPurchases\":null},\"errors\":[{\"message\":\"" NOT_AVAILABLE
           "\",\"locations\":[{\"line\":1,\"column\":3}],\"path\":[\"addOnPurchases\"]}]}");
    /* the purchase ends with 2026: the next year lists no active purchase */
    setenv("SEATLEDGER_NOW", "2027-01-02T00:00:00Z", 1);
    expect(query(f, f->admin, q), 200, "{\"data\":{\"addOnPurchases\":[]}}");
    setenv("SEATLEDGER_NOW", NOW, 1);
    expect(query(f, f->admin, q), 200, "{\"data\":{\"addOnPurchases\":[{\"assignedQuantity\":2}]}}");
}

/* The cache itself: a stamp that differs misses; the least recently used
 * answer makes room. */
static void test_cache_entries(void **state)
{
    fx *f = *state;
    sl_store_stamp stamp, old;
    sl_http_response r;
    char key[16];
    assert_int_equal(sl_graphql_cache_get(f->st, "k0", 2, &stamp, &r), 0);
    sl_graphql_cache_put("k0", 2, &stamp, "{\"a\":0}", 7);
    assert_int_equal(sl_graphql_cache_get(f->st, "k0", 2, &stamp, &r), 1);
    assert_string_equal(r.body, "{\"a\":0}");
    sl_http_response_free(&r);
    assert_int_equal(sl_graphql_cache_get(f->st, "k", 1, &stamp, &r), 0);
    old = stamp;
    old.commits--;
    sl_graphql_cache_put("k1", 2, &old, "{}", 2);
    assert_int_equal(sl_graphql_cache_get(f->st, "k1", 2, &stamp, &r), 0);
    assert_int_equal(sl_graphql_cache_get(f->st, "k0", 2, &stamp, &r), 1);
    sl_http_response_free(&r);
    /* k0 used last: fifteen more keys push out all the others but it */
    for (int i = 2; i < 17; i++) {
        snprintf(key, sizeof key, "k%d", i);
        sl_graphql_cache_put(key, strlen(key), &stamp, "{}", 2);
    }
    assert_int_equal(sl_graphql_cache_get(f->st, "k0", 2, &stamp, &r), 1);
    sl_http_response_free(&r);
    sl_graphql_cache_put("k17", 3, &stamp, "{}", 2);
    assert_int_equal(sl_graphql_cache_get(f->st, "k2", 2, &stamp, &r), 0);
    assert_int_equal(sl_graphql_cache_get(f->st, "k0", 2, &stamp, &r), 1);
    sl_http_response_free(&r);
}

/* An inactive purchase takes no calls: the not-available refusal. */
static void test_inactive_purchase(void **state)
{
    fx *f = *state;
    setenv("SEATLEDGER_NOW", "2027-02-01T00:00:00Z", 1);
    expect(mutate(f, f->admin, "userAddOnAssignmentCreate", "userId: \"gid://gitlab/User/1\""), 200,
           "{\"data\":{\"userAddOnAssignmentCreate\":null},\"errors\":[{\"message\":\"" NOT_AVAILABLE "\","
           "\"locations\":[{\"line\":1,\"column\":12}],\"path\":[\"userAddOnAssignmentCreate\"]}]}");
    setenv("SEATLEDGER_NOW", NOW, 1);
}

/* A ledger whose hash chain was broken behind the engine's back: queries
 * are answered, a seat mutation is refused with the engine's sentence and
 * records nothing. */
static void test_broken_chain(void **state)
{
    fx *f = *state;
    events ev;
    char path[4096];
    sqlite3 *db = NULL;
    snprintf(path, sizeof path, "%s/ledger.db", f->dir);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "DROP TRIGGER audit_log_no_update; "
                                      "UPDATE audit_log SET detail = 'changed' WHERE id = 1",
                                  NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    expect(mutate(f, f->admin, "userAddOnAssignmentCreate", "userId: \"gid://gitlab/User/1\""), 200,
           "{\"data\":{\"userAddOnAssignmentCreate\":null},\"errors\":[{\"message\":\"the ledger's "
           "hash chain is broken: audit_log row 1 (chain position 1, recorded 2026-11-22T12:00:00.000Z) "
           "does not match its chain entry: the row or the entry was changed; 'seatledger ledger "
           "verify' lists every break and 'seatledger ledger verify --accept-break' acknowledges "
           "them\",\"locations\":[{\"line\":1,\"column\":12}],\"path\":[\"userAddOnAssignmentCreate\"]}]}");
    assert_string_equal(history_of(f, &ev), "");
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_transport_refusals),
        T(test_roles),
        T(test_query_too_large),
        T(test_complexity_limits),
        T(test_depth_limits),
        T(test_recursion_limit),
        T(test_validation_errors_at_most_five),
        T(test_timeout),
        T(test_page_size),
        T(test_get),
        T(test_batch),
        T(test_license_queries),
        T(test_seat_mutations),
        T(test_bulk_limits),
        T(test_global_ids),
        T(test_inactive_purchase),
        T(test_eligible_users),
        T(test_billable_history),
        T(test_seat_history),
        T(test_hostile_documents),
        T(test_response_cache),
        T(test_cache_entries),
        T(test_broken_chain),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
