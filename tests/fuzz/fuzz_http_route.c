/*
 * fuzz_http_route.c - libFuzzer target for the HTTP surfaces as the server
 * dispatches them (server/dispatch.c: the License API router, GET /metrics
 * with its Accept negotiation and request figures, the Code Suggestions
 * API, the GraphQL API at /api/graphql, and the admin console under /admin
 * with its session standing for a token on the GraphQL and License APIs).
 * The input is read like an HTTP request: "METHOD TARGET" on the
 * first line, "Name: value" header lines, an empty line, then the body.
 * The words @ADMIN@, @USER@, @REVOKED@, @EXPIRED@ and @DUO@ (a token bound
 * to a user with a Duo seat) in header values or the query become the
 * secrets of such tokens, @SESSION@ and @CSRF@ the cookie value and CSRF
 * token of an admin's console session signed in afresh for each input,
 * so the fuzzer gets past authentication.  Every
 * input runs against a fresh copy of one prepared ledger (a trusted key, a
 * cloud license with duo_pro, users, a seat, projects, a snapshot) and fresh
 * rate-limit windows, so a saved crash reproduces alone.  Beyond memory
 * errors it checks that only an admin token gets a 2xx from the License API
 * (and only an admin or the Duo user's token from Code Suggestions, only
 * an admin's session a console page or JSON) and license data from
 * GraphQL, that no request makes a 5xx but the 501 of an unsupported
 * transfer coding (with the connection closed) and the completion that has
 * no gateway to go to, that only a framing error closes the connection, and
 * that JSON bodies are JSON.
 */
#include "dispatch.h"
#include "fuzzutil.h"
#include "console/console_internal.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HEADERS_MAX 32

#define NTOKENS 7
#define DUO_TOKEN 4
#define SESSION_WORD 5   /* the admin's console session: stands for the admin token */
#define CSRF_WORD 6      /* its CSRF token */
/* the words and the secrets they stand for; index 0 is the admin token */
static const char *const token_words[NTOKENS] = {"@ADMIN@", "@USER@", "@REVOKED@", "@EXPIRED@",
                                                 "@DUO@", "@SESSION@", "@CSRF@"};
static char *secrets[NTOKENS];
static char session_cookie[SL_CONSOLE_COOKIE_VALUE_MAX], session_csrf[SL_CONSOLE_CSRF_MAX];

/* the license stored in the template ledger (id 1) */
static const char stored_payload[] =
    "{\"version\":1,\"licensee\":{\"Name\":\"Fuzz\",\"Email\":\"f@example.com\","
    "\"Company\":\"=cmd|' /C calc'!A0\"},\"issued_at\":\"2025-01-01\","
    "\"expires_at\":\"2027-01-01\",\"cloud_licensing_enabled\":true,"
    "\"restrictions\":{\"plan\":\"ultimate\",\"active_user_count\":10,"
    "\"add_ons\":{\"GitLab_FileLocks\":1},\"add_on_products\":{\"duo_pro\":[{\"quantity\":2,"
    "\"started_on\":\"2025-01-01\",\"expires_on\":\"2027-01-01\"}]}}}";

static const char *ledger_path;
static sl_dispatch_ctx dispatch;   /* the API listener: /metrics needs a token */
static int verbose;             /* FUZZ_VERBOSE=1: print each response */
static char *template_bytes;
static size_t template_len;

/* The ledger every input starts from, kept as bytes (WAL checkpointed away
 * by closing the only connection). */
static void make_template(void)
{
    static const char users_csv[] =
        "id,username,state,highest_role\n1,ada,active,owner\n2,bob,active,guest\n";
    static const char projects_csv[] =
        "path,kind,duo_features_enabled,locked\ng,group,false,true\ng/p,project,true,\n"
        "h,group,,\nh/p,project,,\nh/off,project,false,\n";
    const char *ada = "1";
    sl_seat_outcome outcome;
    sl_seat_error seat_error;
    sl_addon_purchase duo;
    sl_store *st = fuzz_store_open(&ledger_path);
    sl_error err = {0};
    char *priv = NULL, *pub = NULL, *key = NULL;
    int64_t id = 0;
    sl_snapshot snap;
    FILE *f;
    /* tokens: the expired one is made first, 20 days before the fuzzing
     * clock and for 10 days (nothing is recorded before the ledger's
     * latest event, nor more than 31 days after it) */
    setenv("SEATLEDGER_NOW", "2025-12-26T12:00:00Z", 1);
    fuzz_assert(sl_store_token_create(st, "expired", 1, sl_clock_today() + 10, &secrets[3], &err) == SL_OK,
                "expired token", &err);
    fuzz_init_clock();
    /* the fixture key lets seeds POST the fixture licenses */
    fuzz_assert(sl_store_key_trust(st, fuzz_fixture_public_pem, strlen(fuzz_fixture_public_pem),
                                   "fixture", &err) == SL_OK, "trust", &err);
    fuzz_assert(sl_keys_generate(2048, &priv, &pub, &err) == SL_OK, "keys", &err);
    fuzz_assert(sl_store_key_trust(st, pub, strlen(pub), "vendor", &err) == SL_OK, "trust", &err);
    fuzz_assert(sl_license_encode(stored_payload, strlen(stored_payload), priv, strlen(priv),
                                  NULL, &key, &err) == SL_OK, "encode", &err);
    fuzz_assert(sl_store_license_add(st, key, strlen(key), SL_SOURCE_CLI, &id, &err) == SL_OK,
                "add the template license", &err);
    sl_free(priv);
    sl_free(pub);
    sl_free(key);
    fuzz_assert(sl_store_token_create(st, "admin", 1, SL_DATE_NONE, &secrets[0], &err) == SL_OK,
                "admin token", &err);
    fuzz_assert(sl_store_token_create(st, "user", 0, SL_DATE_NONE, &secrets[1], &err) == SL_OK,
                "user token", &err);
    fuzz_assert(sl_store_token_create(st, "revoked", 1, SL_DATE_NONE, &secrets[2], &err) == SL_OK,
                "revoked token", &err);
    fuzz_assert(sl_store_token_revoke(st, "revoked", &err) == SL_OK, "revoke", &err);
    f = fmemopen((void *)users_csv, sizeof users_csv - 1, "r");
    fuzz_assert(f && sl_store_users_import(st, f, SL_USERS_CSV, 0, 0, NULL, NULL, NULL, &err) == SL_OK,
                "users", &err);
    fclose(f);
    fuzz_assert(sl_store_refresh(st, SL_SOURCE_CLI, &snap, &err) == SL_OK, "refresh", &err);
    /* Code Suggestions: ada holds a duo_pro seat and has a token of her own;
     * the JWT key is made once here, not per input */
    fuzz_assert(sl_store_addon_purchase_find(st, SL_ADDON_DUO_PRO, &duo, &err) == SL_OK,
                "duo_pro purchase", &err);
    fuzz_assert(sl_store_seats_assign(st, duo.id, &ada, 1, 0, "fuzz", &outcome, &seat_error,
                                      &err) == SL_OK, "seat", &err);
    sl_addon_purchase_clear(&duo);
    fuzz_assert(sl_store_user_token_create(st, "duo", "1", SL_DATE_NONE, &secrets[DUO_TOKEN],
                                           &err) == SL_OK, "duo token", &err);
    f = fmemopen((void *)projects_csv, sizeof projects_csv - 1, "r");
    fuzz_assert(f && sl_store_projects_import(st, f, SL_USERS_CSV, 0, NULL, &err) == SL_OK,
                "projects", &err);
    fclose(f);
    fuzz_assert(sl_store_instance_prepare(st, &err) == SL_OK, "instance keys", &err);
    sl_store_close(st);
    template_bytes = fuzz_template_read(ledger_path, &template_len);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_init_clock();
    verbose = getenv("FUZZ_VERBOSE") != NULL;
    make_template();
    dispatch.metrics = sl_metrics_new();
    fuzz_assert(dispatch.metrics != NULL, "out of memory", NULL);
    /* the session's words stand for the values of each input's own session */
    secrets[SESSION_WORD] = session_cookie;
    secrets[CSRF_WORD] = session_csrf;
    return 0;
}

/* A fresh console with the admin signed in, as a browser does it: its
 * cookie and CSRF token go to session_cookie and session_csrf. */
static void console_sign_in(sl_store *st)
{
    static const char prefix[] = SL_CONSOLE_COOKIE_NAME "=";
    sl_http_header h = {"Content-Type", "application/x-www-form-urlencoded"};
    sl_http_request req = {0};
    sl_http_response r;
    sl_error err = {0};
    char body[512];
    size_t i, n;
    fuzz_assert(sl_console_new(NULL, &dispatch.console, &err) == SL_OK, "console", &err);
    n = (size_t)snprintf(body, sizeof body, "token=%s", secrets[0]);
    req.method = "POST";
    req.path = "/admin/sign_in";
    req.headers = &h;
    req.header_count = 1;
    req.body = body;
    req.body_len = n;
    r = sl_console_route(dispatch.console, st, &req);
    fuzz_assert(r.status == 303, "the admin cannot sign in to the console", NULL);
    for (i = 0; i < r.header_count; i++) {
        const char *v = r.headers[i].value;
        if (strcmp(r.headers[i].name, "Set-Cookie") == 0 && strncmp(v, prefix, sizeof prefix - 1) == 0)
            break;
    }
    fuzz_assert(i < r.header_count, "no session cookie", NULL);
    n = strcspn(r.headers[i].value + sizeof prefix - 1, ";");
    fuzz_assert(n > 0 && n < sizeof session_cookie, "session cookie", NULL);
    memcpy(session_cookie, r.headers[i].value + sizeof prefix - 1, n);
    session_cookie[n] = '\0';
    sl_http_response_free(&r);
    fuzz_assert(sl_console_csrf_of(session_cookie, session_csrf) == 1, "CSRF token", NULL);
}

/* Copy [p, p+n) into a NUL-terminated string with every token word
 * replaced by its secret; *admin set when @ADMIN@ was among them. */
static char *substitute(const char *p, size_t n, int *admin)
{
    size_t cap = n + 1, len = 0;
    char *out;
    for (size_t t = 0; t < NTOKENS; t++)
        cap += strlen(secrets[t]) * (n / strlen(token_words[t]) + 1);
    out = malloc(cap);
    fuzz_assert(out != NULL, "out of memory", NULL);
    for (size_t i = 0; i < n;) {
        size_t t;
        for (t = 0; t < NTOKENS; t++) {
            size_t wl = strlen(token_words[t]);
            if (n - i >= wl && memcmp(p + i, token_words[t], wl) == 0)
                break;
        }
        if (t < NTOKENS) {
            memcpy(out + len, secrets[t], strlen(secrets[t]));
            len += strlen(secrets[t]);
            i += strlen(token_words[t]);
            if (t == 0 || t == SESSION_WORD)
                *admin = 1;
        } else {
            out[len++] = p[i++];
        }
    }
    out[len] = '\0';
    return out;
}

static const char *line_end(const char *p, const char *end)
{
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    return nl ? nl : end;
}

/* GraphQL answers anyone; without an admin token no license datum may be
 * in its "data" (the template license's email, any license's Global ID). */
static void check_graphql(const sl_http_response *r, int admin)
{
    json_t *j, *items;
    size_t i;
    if (admin || !r->body_len)
        return;
    j = json_loadb(r->body, r->body_len, JSON_DECODE_ANY, NULL);
    items = json_is_array(j) ? json_incref(j) : json_pack("[O]", j);
    for (i = 0; j && items && i < json_array_size(items); i++) {
        char *data = json_dumps(json_object_get(json_array_get(items, i), "data"),
                                JSON_ENCODE_ANY | JSON_COMPACT);
        fuzz_assert(!data || (!strstr(data, "f@example.com") && !strstr(data, "gid://gitlab/License")),
                    "license data without an admin token", NULL);
        free(data);
    }
    json_decref(items);
    json_decref(j);
}

/* What the console shows anyone: the sign-in page and the assets. */
static int console_public(const sl_http_request *req)
{
    return strcmp(req->path, "/admin/sign_in") == 0 || strncmp(req->path, "/admin/assets/", 14) == 0;
}

static void check_response(const sl_http_request *req, const sl_http_response *r, int admin,
                           int duo)
{
    static const char no_gateway[] =
        "{\"message\":\"503 Service Unavailable - no AI gateway configured\"}";
    int cs = strncmp(req->path, SL_CS_PREFIX, sizeof SL_CS_PREFIX - 1) == 0;
    fuzz_assert(r->stream == NULL, "a stream without a gateway", NULL);
    fuzz_assert(r->status >= 200 && r->status < 600, "status out of range", NULL);
    /* 501 is one 5xx a request may earn: a transfer coding we do not
     * implement, answered before the body and with the connection closed */
    if (r->status == 501) {
        fuzz_assert(r->close, "501 without closing the connection", NULL);
    } else if (r->status >= 500 &&
               !(cs && r->status == 503 && r->body_len == sizeof no_gateway - 1 &&
                 memcmp(r->body, no_gateway, r->body_len) == 0)) {
        fprintf(stderr, "fuzz: status %d, detail: %s\n", r->status, r->detail);
        fuzz_assert(0, "a request made a 5xx on a healthy ledger", NULL);
    }
    if (r->close)
        fuzz_assert(r->status == 400 || r->status == 501,
                    "close on a status that is not a framing error", NULL);
    if (strcmp(req->path, "/api/graphql") == 0)
        check_graphql(r, admin);
    else if (r->status >= 200 && r->status < 300 && !console_public(req))
        fuzz_assert(admin || (cs && duo), "2xx without an admin (or Duo user's) token", NULL);
    if (r->status == 204)
        fuzz_assert(r->body_len == 0, "204 with a body", NULL);
    if (r->body_len > 0)
        fuzz_assert(r->content_type != NULL, "body without a content type", NULL);
    if (r->content_type && strncmp(r->content_type, "application/openmetrics-text", 28) == 0)
        fuzz_assert(r->body_len >= 6 && memcmp(r->body + r->body_len - 6, "# EOF\n", 6) == 0,
                    "OpenMetrics without # EOF", NULL);
    if (r->content_type && strcmp(r->content_type, "application/json") == 0) {
        char *copy = malloc(r->body_len + 1);
        fuzz_assert(copy != NULL, "out of memory", NULL);
        memcpy(copy, r->body, r->body_len);
        copy[r->body_len] = '\0';
        fuzz_assert_json(copy, "application/json body");
        free(copy);
    }
    fuzz_assert(r->header_count <= SL_HTTP_RESPONSE_HEADERS_MAX, "header count", NULL);
}

/* Whether the secret of token t appears in the request (after substitution). */
static int uses_token(char *const *owned, size_t n, int t)
{
    for (size_t i = 0; i < n; i++) {
        if (owned[i] && strstr(owned[i], secrets[t]))
            return 1;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *end = p + size, *eol, *sp, *q;
    sl_http_header headers[HEADERS_MAX];
    char *owned[2 * HEADERS_MAX + 3];
    size_t nowned = 0, nheaders = 0;
    sl_http_request req = {0};
    sl_http_response resp;
    sl_store *st = NULL;
    sl_error err = {0};
    int admin = 0;
    sl_cs_config cscfg = {0};

    fuzz_template_restore(ledger_path, template_bytes, template_len);
    fuzz_assert(sl_store_open(ledger_path, 0, &st, &err) == SL_OK, "open the scratch ledger", &err);
    console_sign_in(st);

    /* request line */
    eol = line_end(p, end);
    sp = memchr(p, ' ', (size_t)(eol - p));
    if (!sp)
        sp = eol;
    req.method = owned[nowned++] = substitute(p, (size_t)(sp - p), &admin);
    if (sp < eol)
        sp++;
    q = memchr(sp, '?', (size_t)(eol - sp));
    req.path = owned[nowned++] = substitute(sp, (size_t)((q ? q : eol) - sp), &admin);
    if (q) {
        req.query = owned[nowned++] = substitute(q + 1, (size_t)(eol - q - 1), &admin);
    }
    p = eol < end ? eol + 1 : end;
    /* header lines until an empty one */
    while (p < end) {
        const char *colon, *v;
        eol = line_end(p, end);
        if (eol == p || (eol == p + 1 && *p == '\r')) {
            p = eol < end ? eol + 1 : end;
            break;
        }
        colon = memchr(p, ':', (size_t)(eol - p));
        if (colon && nheaders < HEADERS_MAX) {
            const char *ve = eol > p && eol[-1] == '\r' ? eol - 1 : eol;
            v = colon + 1;
            while (v < ve && *v == ' ')
                v++;
            headers[nheaders].name = owned[nowned++] = substitute(p, (size_t)(colon - p), &admin);
            headers[nheaders].value = owned[nowned++] = substitute(v, (size_t)(ve - v), &admin);
            nheaders++;
        }
        p = eol < end ? eol + 1 : end;
    }
    req.headers = headers;
    req.header_count = nheaders;
    /* the body is passed as is: not NUL-terminated, so ASan sees overreads */
    req.body = p < end ? p : NULL;
    req.body_len = (size_t)(end - p);

    cscfg.external_host = "fuzz.example";
    fuzz_assert(sl_cs_new(&cscfg, &dispatch.cs, &err) == SL_OK, "code suggestions", &err);
    resp = sl_dispatch(&dispatch, st, &req);
    sl_metrics_observe(dispatch.metrics, sl_dispatch_label(&dispatch, req.path), resp.status, 0.001);
    if (verbose)
        fprintf(stderr, "fuzz: %s %s -> %d %.*s\n", req.method, req.path, resp.status,
                (int)(resp.body_len < 300 ? resp.body_len : 300), resp.body ? resp.body : "");
    check_response(&req, &resp, admin, uses_token(owned, nowned, DUO_TOKEN));
    sl_http_response_free(&resp);
    sl_cs_free(dispatch.cs);
    dispatch.cs = NULL;
    sl_console_free(dispatch.console);
    dispatch.console = NULL;
    fuzz_assert(sl_store_check(st, &err) == SL_OK, "ledger damaged by a request", &err);
    sl_store_close(st);
    for (size_t i = 0; i < nowned; i++)
        free(owned[i]);
    return 0;
}
