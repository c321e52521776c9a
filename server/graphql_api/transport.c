/*
 * transport.c - /api/graphql over HTTP as GitLab's GraphqlController serves
 * it: POST with a JSON body (one query, or an array of them: a batch) or a
 * form, GET for queries only, the token as in the REST API (none is
 * anonymous, a bad one 401), GitLab's limits per caller, a batch's texts
 * and complexities summed, 422 for what GitLab refuses before running
 * anything.  A pure function from request to response, like rest/router.c.
 */
#include "dispatch.h"
#include "graphql_api.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MSG_BAD_JSON "The request body is not valid JSON"
#define MSG_BAD_BODY "The request body must be a JSON object or an array of them"

/* docs/schema.graphql, embedded by the build (cmake/embed_text.cmake). */
extern const char sl_graphql_api_sdl[];
extern const size_t sl_graphql_api_sdl_len;

/* ---- the schema, built once ---------------------------------------------------- */

static pthread_once_t schema_once = PTHREAD_ONCE_INIT;
static sl_gql_schema *schema;
static sl_error schema_err;

static void build_schema(void)
{
    sl_gql_schema *s = NULL;
    if (sl_gql_schema_new(sl_graphql_api_sdl, sl_graphql_api_sdl_len, &s, &schema_err) == SL_OK &&
        sl_graphql_bind(s, &schema_err) == SL_OK)
        schema = s;
    else
        sl_gql_schema_free(s);
}

sl_rc sl_graphql_schema(const sl_gql_schema **out, sl_error *err)
{
    pthread_once(&schema_once, build_schema);
    *out = schema;
    if (!schema)
        return sl_error_set(err, SL_EINTERNAL, "the GraphQL schema does not build: %s",
                            schema_err.message);
    return SL_OK;
}

/* ---- responses -------------------------------------------------------------------- */

/* {"errors":[{"message": ...}]}, GitLab's render_error. */
static sl_http_response error_response(int status, const char *message)
{
    return sl_http_resp_json(status, json_pack("{s:[{s:s}]}", "errors", "message", message));
}

static sl_http_response internal_error(const char *detail)
{
    sl_http_response r = error_response(500, "500 Internal Server Error");
    snprintf(r.detail, sizeof r.detail, "%s", detail);
    return r;
}

/* ---- the documents of a request ---------------------------------------------- */

/* One query of a request, borrowed from the parsed body or owned copies of
 * URL / form parameters. */
typedef struct doc {
    const char *query;          /* NULL: none given */
    size_t query_len;
    const char *operation_name; /* NULL: none */
    json_t *variables;          /* a reference: object, JSON string or null; NULL: none */
    char *owned[3];             /* decoded parameters */
} doc;

static void doc_free(doc *d)
{
    json_decref(d->variables);
    for (int i = 0; i < 3; i++)
        free(d->owned[i]);
}

/* A doc from urlencoded parameters s[0..n): query, variables, operationName.
 * -1 when out of memory. */
static int doc_from_form(const char *s, size_t n, doc *d)
{
    static const char *const names[3] = {"query", "variables", "operationName"};
    size_t len[3] = {0};
    for (int i = 0; i < 3; i++) {
        if (sl_http_form_get(s, n, names[i], &d->owned[i], &len[i]) < 0)
            return -1;
    }
    d->query = d->owned[0];
    d->query_len = len[0];
    /* not JSON until the engine reads it: refused there when it is none */
    if (d->owned[1] && !(d->variables = json_stringn_nocheck(d->owned[1], len[1])))
        return -1;
    d->operation_name = d->owned[2] && memchr(d->owned[2], '\0', len[2]) == NULL
                            ? d->owned[2] : NULL;
    return 0;
}

/* A doc from one JSON object of the body (borrowed). */
static void doc_from_json(const json_t *o, doc *d)
{
    const json_t *q = json_object_get(o, "query"), *v = json_object_get(o, "variables");
    const char *op = json_string_value(json_object_get(o, "operationName"));
    if (json_is_string(q)) {
        d->query = json_string_value(q);
        d->query_len = json_string_length(q);
    }
    d->variables = v ? json_incref((json_t *)v) : NULL;
    d->operation_name = op && strlen(op) == json_string_length(json_object_get(o, "operationName"))
                            ? op : NULL;
}

/* Characters of a text (GitLab's String#size): UTF-8 sequences, each
 * stray byte one. */
static size_t characters(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

/* ---- who asks -------------------------------------------------------------------- */

/* Fill ctx from the presented token; *resp set (and 0 returned) when the
 * request ends here (401, 500). */
static int authenticate(sl_store *st, const sl_http_request *req, sl_graphql_ctx *ctx,
                        sl_http_response *resp)
{
    char *token = NULL;
    size_t len = 0;
    sl_token_auth who;
    sl_error err = {0};
    sl_rc rc;
    int found = sl_http_find_token(req, &token, &len);
    if (found < 0) {
        *resp = internal_error("out of memory");
        return 0;
    }
    if (!found)
        return 1;   /* anonymous */
    rc = sl_store_token_authenticate(st, token, len, &who, &err);
    free(token);
    if (rc == SL_EAUTH) {
        *resp = error_response(401, SL_GRAPHQL_MSG_INVALID_TOKEN);
        return 0;
    }
    if (rc != SL_OK) {
        *resp = internal_error(err.message);
        return 0;
    }
    ctx->authenticated = 1;
    ctx->admin = who.admin;
    memcpy(ctx->actor, who.name, sizeof ctx->actor);
    return 1;
}

/* GitLab's GitlabSchema.max_query_complexity and max_query_depth. */
static void limits_for(const sl_graphql_ctx *ctx, int introspection,
                       const sl_graphql_options *opt, sl_gql_limits *lim)
{
    memset(lim, 0, sizeof *lim);
    lim->max_complexity = ctx->admin ? SL_GRAPHQL_COMPLEXITY_ADMIN
                          : ctx->authenticated ? SL_GRAPHQL_COMPLEXITY_AUTHENTICATED
                          : introspection ? SL_GRAPHQL_COMPLEXITY_INTROSPECTION
                                          : SL_GRAPHQL_COMPLEXITY_ANONYMOUS;
    lim->max_depth = ctx->authenticated ? SL_GRAPHQL_DEPTH_AUTHENTICATED : SL_GRAPHQL_DEPTH_ANONYMOUS;
    lim->recursion_max = SL_GRAPHQL_RECURSION_MAX;
    lim->timeout_ms = opt && opt->timeout_ms > 0 ? opt->timeout_ms : SL_GRAPHQL_TIMEOUT_MS;
    lim->now_ms = opt ? opt->now_ms : NULL;
}

/* ---- running the documents ------------------------------------------------------ */

/* Prepare, check against the limits (a batch's complexities summed) and run
 * every doc; *out the answer (an array for a batch).  get_method: the
 * method name when mutations are forbidden (GET, HEAD), else NULL. */
static sl_http_response run(const sl_gql_schema *s, sl_graphql_ctx *ctx, doc *docs, size_t n,
                            int batch, const char *get_method, const sl_graphql_options *opt,
                            int *cacheable)
{
    sl_gql_query **qs = calloc(n ? n : 1, sizeof *qs);
    json_t *answers = json_array();
    sl_gql_limits lim;
    sl_http_response resp;
    long total = 0;
    size_t i;
    int introspection = n > 0;
    *cacheable = 0;
    if (!qs || !answers) {
        resp = internal_error("out of memory");
        goto done;
    }
    for (i = 0; i < n; i++) {
        if (!docs[i].query) {
            introspection = 0;
            continue;
        }
        if (sl_gql_query_new(s, docs[i].query, docs[i].query_len, docs[i].operation_name,
                             docs[i].variables, &qs[i], NULL) == SL_ENOMEM) {
            resp = internal_error("out of memory");
            goto done;
        }
        /* GET: a document that does not parse counts as a mutation */
        if (get_method && sl_gql_query_op(qs[i]) != SL_GQL_OP_QUERY &&
            sl_gql_query_op(qs[i]) != SL_GQL_OP_SUBSCRIPTION) {
            char msg[64];
            snprintf(msg, sizeof msg, SL_GRAPHQL_MSG_GET_MUTATION, get_method);
            resp = error_response(422, msg);
            goto done;
        }
        total += sl_gql_query_complexity(qs[i]);
        introspection = introspection && sl_gql_query_operation_name(qs[i]) &&
                        strcmp(sl_gql_query_operation_name(qs[i]), SL_GRAPHQL_INTROSPECTION_NAME) == 0;
    }
    limits_for(ctx, introspection, opt, &lim);
    for (i = 0; i < n; i++) {
        json_t *answer = NULL;
        sl_error err = {0};
        if (!qs[i]) {
            answer = json_pack("{s:[{s:s}]}", "errors", "message", SL_GRAPHQL_MSG_NO_QUERY);
        } else if (sl_gql_query_check(qs[i], &lim, batch ? total : -1) == SL_ENOMEM ||
                   sl_gql_query_execute(qs[i], ctx, &lim, &answer, &err) != SL_OK) {
            json_decref(answer);
            answer = NULL;
        }
        sl_graphql_ctx_clear(ctx);
        if (!answer || json_array_append_new(answers, answer) != 0) {
            resp = internal_error(err.message[0] ? err.message : "out of memory");
            goto done;
        }
    }
    /* what may be kept: queries that all answered without an error */
    *cacheable = 1;
    for (i = 0; i < n; i++) {
        if (!qs[i] || sl_gql_query_op(qs[i]) != SL_GQL_OP_QUERY ||
            json_object_get(json_array_get(answers, i), "errors"))
            *cacheable = 0;
    }
    resp = sl_http_resp_json(200, batch ? json_incref(answers) : json_incref(json_array_get(answers, 0)));
done:
    for (i = 0; qs && i < n; i++)
        sl_gql_query_free(qs[i]);
    free(qs);
    json_decref(answers);
    sl_graphql_ctx_clear(ctx);
    return resp;
}

/* Where a request's documents come from. */
typedef enum source { FROM_URL, FROM_JSON, FROM_FORM } source;

static source source_of(const sl_http_request *req)
{
    if (strcmp(req->method, "POST") != 0)
        return FROM_URL;
    if (!sl_http_body_blank(req) &&
        (sl_http_content_type_is(req, SL_HTTP_CT_JSON) || !sl_http_header_get(req, "Content-Type")))
        return FROM_JSON;
    return sl_http_content_type_is(req, SL_HTTP_CT_FORM) && req->body ? FROM_FORM : FROM_URL;
}

/* The documents of the request: the URL's or a form's parameters, or the
 * JSON body (an object, or an array: a batch).  *resp set and 0 returned
 * when the body is refused (400) or memory ran out. */
static int read_docs(const sl_http_request *req, json_t **body, doc **out, size_t *n, int *batch,
                     sl_http_response *resp)
{
    source from = source_of(req);
    int json = from == FROM_JSON;
    *out = NULL;
    *n = 0;
    *batch = 0;
    *body = NULL;
    if (json) {
        json_error_t jerr;
        if (!sl_http_json_depth_ok(req->body, req->body_len) ||
            !(*body = json_loadb(req->body, req->body_len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr))) {
            *resp = error_response(400, MSG_BAD_JSON);
            return 0;
        }
        if (!json_is_object(*body) && !json_is_array(*body)) {
            *resp = error_response(400, MSG_BAD_BODY);
            return 0;
        }
        *batch = json_is_array(*body);
        *n = *batch ? json_array_size(*body) : 1;
        if (*n > SL_GRAPHQL_BATCH_MAX) {
            char msg[80];
            snprintf(msg, sizeof msg, SL_GRAPHQL_MSG_BATCH, SL_GRAPHQL_BATCH_MAX);
            *resp = error_response(422, msg);
            return 0;
        }
        *out = calloc(*n ? *n : 1, sizeof **out);
        if (!*out) {
            *resp = internal_error("out of memory");
            return 0;
        }
        for (size_t i = 0; i < *n; i++) {
            const json_t *o = *batch ? json_array_get(*body, i) : *body;
            if (json_is_object(o))
                doc_from_json(o, &(*out)[i]);
        }
        return 1;
    }
    *out = calloc(1, sizeof **out);
    *n = 1;
    if (!*out) {
        *resp = internal_error("out of memory");
        return 0;
    }
    /* a form's parameters, else the URL's (GitLab reads Rails' params) */
    if ((from == FROM_FORM ? doc_from_form(req->body, req->body_len, *out)
         : req->query ? doc_from_form(req->query, strlen(req->query), *out) : 0) < 0) {
        *resp = internal_error("out of memory");
        return 0;
    }
    return 1;
}

/* The cache's key of a request: the caller's role and the bytes its
 * documents come from.  Caller frees; NULL when out of memory. */
static char *cache_key(const sl_http_request *req, const sl_graphql_ctx *ctx, size_t *n)
{
    source from = source_of(req);
    const char *payload = from == FROM_URL ? req->query : req->body;
    size_t plen = from == FROM_URL ? (req->query ? strlen(req->query) : 0) : req->body_len;
    size_t head = strlen(req->method) + 4;
    char *k = malloc(head + plen + 1);
    if (!k)
        return NULL;
    snprintf(k, head + 1, "%d%d%s\n", ctx->admin ? 2 : ctx->authenticated, (int)from, req->method);
    head = strlen(k);
    if (plen)
        memcpy(k + head, payload, plen);
    *n = head + plen;
    return k;
}

static sl_http_response route(sl_store *st, const sl_http_request *req,
                              const sl_graphql_options *opt, int use_cache)
{
    sl_graphql_ctx ctx;
    const sl_gql_schema *s;
    sl_http_response resp;
    sl_error err = {0};
    sl_store_stamp stamp;
    json_t *body = NULL;
    doc *docs = NULL;
    char *key = NULL;
    size_t n = 0, text = 0, key_len = 0;
    int batch = 0, get, cacheable = 0;
    if (req->body_too_large || req->body_len > SL_HTTP_BODY_MAX)
        return error_response(413, "413 Request Entity Too Large");
    get = req->method && (strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0);
    if (!get && !(req->method && strcmp(req->method, "POST") == 0)) {
        resp = error_response(405, "405 Method Not Allowed");
        resp.headers[0] = (sl_http_header){"Allow", "GET, HEAD, POST"};
        resp.header_count = 1;
        return resp;
    }
    if (!st)
        return internal_error("the ledger is not open");
    if (sl_graphql_schema(&s, &err) != SL_OK)
        return internal_error(err.message);
    memset(&ctx, 0, sizeof ctx);
    ctx.st = st;
    if (!authenticate(st, req, &ctx, &resp))
        return resp;
    /* the same request as before on the same ledger: the same answer */
    if (use_cache && (key = cache_key(req, &ctx, &key_len)) &&
        sl_graphql_cache_get(st, key, key_len, &stamp, &resp))
        goto done;
    if (!read_docs(req, &body, &docs, &n, &batch, &resp))
        goto done;
    /* GitLab's max_query_size, over the whole batch */
    for (size_t i = 0; i < n; i++)
        text += docs[i].query ? characters(docs[i].query, docs[i].query_len) : 0;
    if (text > SL_GQL_TEXT_MAX) {
        resp = error_response(422, SL_GQL_MSG_TOO_LARGE);
        goto done;
    }
    resp = run(s, &ctx, docs, n, batch, get ? req->method : NULL, opt, &cacheable);
    if (key && cacheable && resp.status == 200)
        sl_graphql_cache_put(key, key_len, &stamp, resp.body, resp.body_len);
done:
    for (size_t i = 0; docs && i < n; i++)
        doc_free(&docs[i]);
    free(docs);
    free(key);
    json_decref(body);
    return resp;
}

sl_http_response sl_graphql_route_with(sl_store *st, const sl_http_request *req,
                                       const sl_graphql_options *opt)
{
    return route(st, req, opt, 0);
}

/* The server's route: answers of repeated queries come from the cache. */
sl_http_response sl_graphql_route(sl_store *st, const sl_http_request *req)
{
    return route(st, req, NULL, 1);
}
