/*
 * test_code_suggestions.c - the Code Suggestions API (code-suggestions.md)
 * without sockets: the entitlement in the spec's order, instance settings,
 * the project directory and its cascade, user-bound tokens, the instance
 * identity and its JWTs, and every status, text and header of the four
 * endpoints, rate limits across the window edge and from parallel threads,
 * and the once-a-day Duo activity write.
 */
#include "testutil.h"
#include "code_suggestions/code_suggestions.h"
#include "dispatch.h"
#include "router.h"

#include <jansson.h>
#include <jwt.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOW "2026-11-22T12:00:00Z"
#define CS "/api/v4/code_suggestions/"
#define MSG_401 "{\"message\":\"401 Unauthorized\"}"
#define MSG_RATE "{\"message\":{\"error\":\"This endpoint has been requested too many times. " \
                 "Try again later.\"}}"

static char *priv_pem, *pub_pem;

typedef struct fixture {
    char *dir;
    sl_store *st;
    sl_cs *cs;
    char *admin, *reader, *ada, *carl, *bob;
} fixture;

/* A cloud key with the given add_on_products JSON (without braces). */
static char *cloud_key(const char *products)
{
    char extra[512];
    tu_license l = {.plan = "ultimate", .seats = 100, .starts = "2026-01-01",
                    .expires = "2028-01-01", .extra = ",\"cloud_licensing_enabled\":true",
                    .extra_restrictions = extra};
    snprintf(extra, sizeof extra, ",\"add_on_products\":{%s}", products);
    return tu_issue(priv_pem, &l);
}

static void add_key(sl_store *st, const char *products)
{
    sl_error err = {0};
    int64_t id = 0;
    char *key = cloud_key(products);
    if (sl_store_license_add(st, key, strlen(key), SL_SOURCE_CLI, &id, &err) != SL_OK)
        fail_msg("license add: %s", err.message);
    sl_free(key);
}

static void import(sl_store *st, int projects, const char *text)
{
    sl_error err = {0};
    FILE *f = fmemopen((void *)text, strlen(text), "r");
    sl_rc rc;
    assert_non_null(f);
    rc = projects ? sl_store_projects_import(st, f, SL_USERS_CSV, 0, NULL, &err)
                  : sl_store_users_import(st, f, SL_USERS_CSV, 0, 0, NULL, NULL, NULL, &err);
    fclose(f);
    if (rc != SL_OK)
        fail_msg("import: %s", err.message);
}

static char *user_token(sl_store *st, const char *name, const char *id)
{
    char *secret = NULL;
    sl_error err = {0};
    if (sl_store_user_token_create(st, name, id, SL_DATE_NONE, &secret, &err) != SL_OK)
        fail_msg("user token: %s", err.message);
    return secret;
}

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

static sl_cs *new_cs(const char *gateway)
{
    sl_cs_config cfg = {.ai_gateway_url = gateway, .external_host = "gitlab.example.com"};
    sl_cs *cs = NULL;
    sl_error err = {0};
    if (sl_cs_new(&cfg, &cs, &err) != SL_OK)
        fail_msg("sl_cs_new: %s", err.message);
    return cs;
}

/* ada (1) holds a duo_pro seat; bob (2) is blocked; carl (3) has no seat;
 * projects: g (group, off, locked) > g/p (on); h (group) > h/p, h/off (off). */
static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    sl_error err = {0};
    sl_addon_purchase p;
    sl_seat_outcome out;
    sl_seat_error se;
    const char *ada = "1";
    assert_non_null(f);
    setenv("SEATLEDGER_NOW", NOW, 1);
    f->st = tu_store(&f->dir);
    assert_int_equal(sl_store_key_trust(f->st, pub_pem, strlen(pub_pem), "vendor", &err), SL_OK);
    import(f->st, 0, "id,username,state,user_type\n1,ada,active,human\n2,bob,blocked,human\n"
                     "3,carl,active,human\n4,robot,active,project_bot\n");
    add_key(f->st, "\"duo_pro\":[{\"quantity\":5,\"started_on\":\"2026-01-01\","
                   "\"expires_on\":\"2028-01-01\"}]");
    assert_int_equal(sl_store_addon_purchase_find(f->st, SL_ADDON_DUO_PRO, &p, &err), SL_OK);
    assert_int_equal(sl_store_seats_assign(f->st, p.id, &ada, 1, 0, "test", &out, &se, &err),
                     SL_OK);
    sl_addon_purchase_clear(&p);
    import(f->st, 1, "path,kind,duo_features_enabled,locked\ng,group,false,true\n"
                     "g/p,project,true,\nh,group,,\nh/p,project,,\nh/off,project,false,\n");
    assert_int_equal(sl_store_token_create(f->st, "admin", 1, SL_DATE_NONE, &f->admin, &err), SL_OK);
    assert_int_equal(sl_store_token_create(f->st, "reader", 0, SL_DATE_NONE, &f->reader, &err),
                     SL_OK);
    f->ada = user_token(f->st, "ada", "1");
    f->bob = user_token(f->st, "bob", "2");
    f->carl = user_token(f->st, "carl", "3");
    f->cs = new_cs(NULL);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    sl_cs_free(f->cs);
    sl_store_close(f->st);
    tu_rmtree(f->dir);
    free(f->dir);
    sl_free(f->admin);
    sl_free(f->reader);
    sl_free(f->ada);
    sl_free(f->bob);
    sl_free(f->carl);
    free(f);
    setenv("SEATLEDGER_NOW", NOW, 1);
    return 0;
}

/* POST to an endpoint: token (PRIVATE-TOKEN, may be NULL), JSON body (may
 * be NULL), then extra headers as name, value pairs ending with NULL. */
static sl_http_response post(fixture *f, const char *endpoint, const char *token,
                             const char *query, const char *json, ...)
{
    sl_http_header h[16];
    sl_http_request req;
    char path[128];
    va_list ap;
    size_t n = 0;
    const char *name;
    if (token) {
        h[n].name = "PRIVATE-TOKEN";
        h[n++].value = token;
    }
    if (json) {
        h[n].name = "Content-Type";
        h[n++].value = "application/json";
    }
    va_start(ap, json);
    while ((name = va_arg(ap, const char *)) != NULL) {
        assert_true(n < 16);
        h[n].name = name;
        h[n++].value = va_arg(ap, const char *);
    }
    va_end(ap);
    snprintf(path, sizeof path, CS "%s", endpoint);
    memset(&req, 0, sizeof req);
    req.method = "POST";
    req.path = path;
    req.query = query;
    req.headers = h;
    req.header_count = n;
    req.body = json;
    req.body_len = json ? strlen(json) : 0;
    return sl_cs_route(f->cs, f->st, &req);
}

static const char *header_of(const sl_http_response *r, const char *name)
{
    for (size_t i = 0; i < r->header_count; i++) {
        if (strcmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    }
    return NULL;
}

static void expect(sl_http_response r, int status, const char *body)
{
    if (r.status != status)
        fail_msg("status %d, expected %d; body: %s", r.status, status, r.body ? r.body : "");
    assert_string_equal(r.content_type, "application/json");
    assert_null(r.stream);
    if (r.body_len != strlen(body) || memcmp(r.body, body, r.body_len) != 0)
        fail_msg("body %.*s, expected %s", (int)r.body_len, r.body, body);
    sl_http_response_free(&r);
}

/* ---- the engine ----------------------------------------------------------------- */

static void ent(fixture *f, const char *user, int allowed, sl_entitlement_reason why,
                const char *type)
{
    sl_entitlement e;
    sl_error err = {0};
    assert_int_equal(sl_store_code_suggestions_entitlement(f->st, user, &e, &err), SL_OK);
    if (e.allowed != allowed || e.reason != why)
        fail_msg("%s: allowed %d reason %s (%s)", user ? user : "(none)", e.allowed,
                 sl_entitlement_reason_name(e.reason), e.detail);
    assert_string_equal(e.enablement_type, type);
}

static void test_entitlement_order(void **state)
{
    fixture *f = *state;
    sl_error err = {0};
    ent(f, "1", 1, SL_ENT_SEAT, "duo_pro");
    ent(f, "2", 0, SL_ENT_NOT_ELIGIBLE, "");
    ent(f, "4", 0, SL_ENT_NOT_ELIGIBLE, "");
    ent(f, "3", 0, SL_ENT_NONE, "");
    ent(f, "99", 0, SL_ENT_NOT_IN_DIRECTORY, "");
    ent(f, NULL, 0, SL_ENT_NO_USER, "");
    /* 1: the instance setting before everything */
    assert_int_equal(sl_store_setting_set(f->st, "duo_features_enabled", "false", 0, &err), SL_OK);
    ent(f, "1", 0, SL_ENT_INSTANCE_OFF, "");
    ent(f, "99", 0, SL_ENT_INSTANCE_OFF, "");
    assert_int_equal(sl_store_setting_set(f->st, "duo_features_enabled", "true", 0, &err), SL_OK);
}

static void test_entitlement_core_and_amazon_q(void **state)
{
    fixture *f = *state;
    sl_error err = {0};
    /* duo_core for everyone eligible, unless its setting is off */
    add_key(f->st, "\"duo_pro\":[{\"quantity\":5,\"started_on\":\"2026-01-01\","
                   "\"expires_on\":\"2028-01-01\"}],\"duo_core\":[{\"quantity\":100,"
                   "\"started_on\":\"2026-01-01\",\"expires_on\":\"2028-01-01\"}]");
    ent(f, "1", 1, SL_ENT_SEAT, "duo_pro");
    ent(f, "3", 1, SL_ENT_DUO_CORE, "duo_core");
    ent(f, "2", 0, SL_ENT_NOT_ELIGIBLE, "");
    assert_int_equal(sl_store_setting_set(f->st, "duo_core_features_enabled", "off", 0, &err),
                     SL_OK);
    ent(f, "3", 0, SL_ENT_DUO_CORE_OFF, "");
    /* Amazon Q takes the Duo tier record: every eligible user, before duo_core */
    add_key(f->st, "\"duo_amazon_q\":[{\"quantity\":5,\"started_on\":\"2026-01-01\","
                   "\"expires_on\":\"2028-01-01\"}],\"duo_core\":[{\"quantity\":100,"
                   "\"started_on\":\"2026-01-01\",\"expires_on\":\"2028-01-01\"}]");
    ent(f, "3", 1, SL_ENT_AMAZON_Q, "duo_amazon_q");
    ent(f, "1", 1, SL_ENT_AMAZON_Q, "duo_amazon_q");  /* the seat's record is Amazon Q now */
}

static void test_settings(void **state)
{
    fixture *f = *state;
    sl_setting_value v[SL_SETTING_COUNT];
    sl_error err = {0};
    assert_int_equal(sl_store_settings(f->st, v, &err), SL_OK);
    for (int i = 0; i < SL_SETTING_COUNT; i++) {
        assert_int_equal(v[i].value, 1);
        assert_int_equal(v[i].is_default, 1);
    }
    assert_int_equal(sl_store_setting_set(f->st, "nope", "true", 0, &err), SL_EINVAL);
    assert_string_equal(err.message, "unknown setting 'nope': use duo_features_enabled, "
                                     "duo_core_features_enabled or direct_code_suggestions");
    assert_int_equal(sl_store_setting_set(f->st, "direct_code_suggestions", "maybe", 0, &err),
                     SL_EINVAL);
    assert_string_equal(err.message,
                        "invalid value 'maybe' for direct_code_suggestions: use true or false");
    assert_int_equal(sl_store_setting_set(f->st, "direct_code_suggestions", "false", 1, &err),
                     SL_EINVAL);
    assert_int_equal(sl_store_setting_set(f->st, "duo_features_enabled", "No", 1, &err), SL_OK);
    assert_int_equal(sl_store_settings(f->st, v, &err), SL_OK);
    assert_int_equal(v[SL_SETTING_DUO_FEATURES_ENABLED].value, 0);
    assert_int_equal(v[SL_SETTING_DUO_FEATURES_ENABLED].locked, 1);
    assert_int_equal(v[SL_SETTING_DUO_FEATURES_ENABLED].is_default, 0);
    assert_string_equal(sl_setting_name(SL_SETTING_DIRECT_CODE_SUGGESTIONS),
                        "direct_code_suggestions");
    assert_null(sl_setting_name(SL_SETTING_COUNT));
}

static int duo(fixture *f, const char *path)
{
    int on = -1;
    sl_error err = {0};
    sl_rc rc = sl_store_project_duo_enabled(f->st, path, &on, &err);
    return rc == SL_ENOTFOUND ? -1 : rc == SL_OK ? on : -2;
}

static void test_cascade(void **state)
{
    fixture *f = *state;
    sl_error err = {0};
    assert_int_equal(duo(f, "g/p"), 0);      /* the locked group wins over the project */
    assert_int_equal(duo(f, "G/P"), 0);      /* paths are found without case */
    assert_int_equal(duo(f, "h/p"), 1);      /* nothing set below the instance */
    assert_int_equal(duo(f, "h/off"), 0);    /* the most specific value */
    assert_int_equal(duo(f, "h"), -1);       /* a group is not a project */
    assert_int_equal(duo(f, "h/nope"), -1);
    assert_int_equal(duo(f, ""), -1);
    assert_int_equal(duo(f, "h//p"), -1);
    assert_int_equal(duo(f, "../h/p"), -1);
    /* the instance off: the projects inherit it; locked: wins over all */
    assert_int_equal(sl_store_setting_set(f->st, "duo_features_enabled", "false", 0, &err), SL_OK);
    assert_int_equal(duo(f, "h/p"), 0);
    import(f->st, 1, "path,kind,duo_features_enabled,locked\nh,group,true,\nh/p,project,,\n");
    assert_int_equal(duo(f, "h/p"), 1);
    assert_int_equal(sl_store_setting_set(f->st, "duo_features_enabled", "false", 1, &err), SL_OK);
    assert_int_equal(duo(f, "h/p"), 0);
    assert_int_equal(sl_store_setting_set(f->st, "duo_features_enabled", "true", 1, &err), SL_OK);
    assert_int_equal(duo(f, "h/off"), 1);
}

static void import_fails(fixture *f, const char *text, sl_rc code, const char *message)
{
    sl_error err = {0};
    FILE *in = fmemopen((void *)text, strlen(text), "r");
    assert_int_equal(sl_store_projects_import(f->st, in, SL_USERS_CSV, 1, NULL, &err), code);
    fclose(in);
    assert_string_equal(err.message, message);
    assert_int_equal(duo(f, "h/p"), 1);     /* all or nothing: the directory is unchanged */
}

static void test_projects_import(void **state)
{
    fixture *f = *state;
    sl_import_stats s;
    sl_error err = {0};
    FILE *in;
    static const char jsonl[] =
        "{\"path\":\"a/b\",\"duo_features_enabled\":false,\"locked\":true}\n"
        "{\"path\":\"a\",\"kind\":\"group\",\"duo_features_enabled\":null}\n";
    import_fails(f, "path,kind\nh/p,project\nH/P,project\n", SL_EINVAL,
                 "line 3: duplicate path 'H/P'");
    import_fails(f, "path\nh p\n", SL_EINVAL,
                 "line 2: invalid path 'h p': use segments of A-Z a-z 0-9 _ . - joined by '/'");
    import_fails(f, "path\n/h\n", SL_EINVAL,
                 "line 2: invalid path '/h': use segments of A-Z a-z 0-9 _ . - joined by '/'");
    import_fails(f, "path,kind\nx,team\n", SL_EINVAL, "line 2: unknown kind 'team': use project or group");
    import_fails(f, "path,duo_features_enabled\nx,maybe\n", SL_EINVAL,
                 "line 2: invalid duo_features_enabled 'maybe': use true, false or empty");
    import_fails(f, "path,locked\nx,\xff\n", SL_EINVAL, "line 2: invalid UTF-8 in locked");
    import_fails(f, "path,owner\nx,y\n", SL_EINVAL, "line 1: unknown column 'owner'");
    import_fails(f, "kind\ngroup\n", SL_EINVAL, "line 1: missing column 'path'");
    import_fails(f, "path\na/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s/t/u/v\n", SL_EINVAL,
                 "line 2: path 'a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s/t/u/v' has more than 21 segments");
    import_fails(f, "", SL_EINVAL, "empty input: expected a header row");
    in = fmemopen((void *)jsonl, sizeof jsonl - 1, "r");
    assert_int_equal(sl_store_projects_import(f->st, in, SL_USERS_JSONL, 1, &s, &err), SL_OK);
    fclose(in);
    assert_int_equal(s.rows, 2);
    assert_int_equal(s.inserted, 2);
    assert_int_equal(s.removed, 5);          /* --prune */
    assert_int_equal(duo(f, "a/b"), 0);
    assert_int_equal(duo(f, "h/p"), -1);
}

static void test_user_tokens(void **state)
{
    fixture *f = *state;
    sl_token_auth a;
    sl_error err = {0};
    char *secret = NULL;
    sl_token_info *t = NULL;
    size_t n = 0;
    assert_int_equal(sl_store_token_authenticate(f->st, f->ada, strlen(f->ada), &a, &err), SL_OK);
    assert_int_equal(a.admin, 0);
    assert_int_equal(a.bound, 1);
    assert_string_equal(a.user_id, "1");
    assert_string_equal(a.name, "ada");
    /* the License API answers a user token 403 */
    assert_int_equal(sl_store_token_check(f->st, f->ada, strlen(f->ada), &err), SL_EFORBIDDEN);
    assert_int_equal(sl_store_user_token_create(f->st, "ghost", "77", SL_DATE_NONE, &secret, &err),
                     SL_ENOTFOUND);
    assert_string_equal(err.message, "no user with id '77'");
    assert_null(secret);
    /* ada leaves the directory: her token stops working */
    {
        static const char csv[] = "id,username,state\n3,carl,active\n";
        FILE *in = fmemopen((void *)csv, sizeof csv - 1, "r");
        assert_int_equal(sl_store_users_import(f->st, in, SL_USERS_CSV, 1, 0, NULL, NULL, NULL,
                                               &err), SL_OK);
        fclose(in);
    }
    assert_int_equal(sl_store_token_authenticate(f->st, f->ada, strlen(f->ada), &a, &err), SL_EAUTH);
    assert_string_equal(err.message, "the token's user is no longer in the directory");
    assert_int_equal(sl_store_token_check(f->st, f->ada, strlen(f->ada), &err), SL_EAUTH);
    assert_int_equal(sl_store_token_list(f->st, &t, &n, &err), SL_OK);
    assert_string_equal(t[2].name, "ada");
    assert_string_equal(t[2].user_id, "1");
    assert_null(t[2].username);
    assert_string_equal(t[4].username, "carl");
    assert_null(t[0].user_id);
    sl_token_infos_free(t, n);
    expect(post(f, "enabled", f->ada, NULL, "{\"project_path\":\"h/p\"}", NULL), 401, MSG_401);
}

static void test_identity_and_jwt(void **state)
{
    fixture *f = *state;
    char id[SL_INSTANCE_UUID_LEN + 1], id2[SL_INSTANCE_UUID_LEN + 1], gid[64], want[64];
    char *jwt = NULL, *pem = NULL, salt[80];
    int64_t exp = 0;
    sl_error err = {0};
    sqlite3 *db;
    sqlite3_stmt *s;
    unsigned char md[32];
    char msg[256];
    jwt_t *decoded = NULL;
    sl_store *again;
    char path[4096];
    assert_int_equal(sl_store_instance_id(f->st, id, &err), SL_OK);
    assert_int_equal(strlen(id), 36);
    assert_int_equal(id[14], '4');                     /* version 4 */
    assert_non_null(strchr("89ab", id[19]));           /* RFC variant */
    /* stable across opens */
    snprintf(path, sizeof path, "%s/ledger.db", f->dir);
    assert_int_equal(sl_store_open(path, 0, &again, &err), SL_OK);
    assert_int_equal(sl_store_instance_id(again, id2, &err), SL_OK);
    sl_store_close(again);
    assert_string_equal(id, id2);
    /* global_user_id = base64(sha256(uuid || user id || salt)) */
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT user_id_salt FROM instance", -1, &s, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    snprintf(salt, sizeof salt, "%s", (const char *)sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    sqlite3_close(db);
    snprintf(msg, sizeof msg, "%s%s%s", id, "1", salt);
    EVP_Digest(msg, strlen(msg), md, NULL, EVP_sha256(), NULL);
    EVP_EncodeBlock((unsigned char *)want, md, 32);
    assert_int_equal(sl_store_global_user_id(f->st, "1", gid, &err), SL_OK);
    assert_string_equal(gid, want);
    /* the JWT verifies with the printed key and carries the spec's claims */
    assert_int_equal(sl_store_access_token(f->st, "1", &jwt, &exp, &err), SL_OK);
    assert_int_equal(sl_store_instance_public_key(f->st, SL_INSTANCE_KEY_JWT, &pem, &err), SL_OK);
    assert_int_equal(jwt_decode(&decoded, jwt, (const unsigned char *)pem, (int)strlen(pem)), 0);
    assert_int_equal(jwt_get_alg(decoded), JWT_ALG_RS256);
    assert_string_equal(jwt_get_grant(decoded, "iss"), id);
    assert_string_equal(jwt_get_grant(decoded, "sub"), gid);
    assert_string_equal(jwt_get_grant(decoded, "aud"), "gitlab-ai-gateway");
    assert_string_equal(jwt_get_grant(decoded, "gitlab_realm"), "self-managed");
    assert_int_equal(jwt_get_grant_int(decoded, "iat"), 1795348800);  /* NOW */
    assert_int_equal(jwt_get_grant_int(decoded, "exp"), 1795348800 + 3600);
    assert_int_equal(exp, 1795348800 + 3600);
    {
        char *scopes = jwt_get_grants_json(decoded, "scopes");
        assert_string_equal(scopes, "[\"code_suggestions\"]");
        free(scopes);
    }
    jwt_free(decoded);
    /* a tampered token does not verify */
    jwt[strlen(jwt) - 5] ^= 1;
    decoded = NULL;
    assert_int_not_equal(jwt_decode(&decoded, jwt, (const unsigned char *)pem, (int)strlen(pem)), 0);
    jwt_free(decoded);
    sl_free(jwt);
    sl_free(pem);
    assert_int_equal(sl_store_instance_public_key(f->st, SL_INSTANCE_KEY_REPORTS, &pem, &err), SL_OK);
    assert_non_null(strstr(pem, "BEGIN PUBLIC KEY"));
    assert_true(strlen(pem) < 120);                     /* Ed25519: a short SPKI */
    sl_free(pem);
}

/* ---- who is calling ------------------------------------------------------------- */

static void test_authentication(void **state)
{
    fixture *f = *state;
    sl_http_response r;
    expect(post(f, "enabled", NULL, NULL, "{\"project_path\":\"h/p\"}", NULL), 401, MSG_401);
    expect(post(f, "enabled", "slt_nope", NULL, "{\"project_path\":\"h/p\"}", NULL), 401, MSG_401);
    /* a bound token, by every way of presenting it */
    expect(post(f, "enabled", f->ada, NULL, "{\"project_path\":\"h/p\"}", NULL), 200, "200");
    {
        char bearer[128];
        snprintf(bearer, sizeof bearer, "Bearer %s", f->ada);
        expect(post(f, "enabled", NULL, NULL, "{\"project_path\":\"h/p\"}", "Authorization",
                    bearer, NULL), 200, "200");
        snprintf(bearer, sizeof bearer, "private_token=%s&project_path=h%%2Fp", f->ada);
        expect(post(f, "enabled", NULL, bearer, NULL, NULL), 200, "200");
    }
    /* entitlement refused: 401 as GitLab, marked as the monolith's */
    r = post(f, "enabled", f->carl, NULL, "{\"project_path\":\"h/p\"}", NULL);
    assert_string_equal(header_of(&r, "X-GitLab-Error-Origin"), "monolith");
    expect(r, 401, MSG_401);
    expect(post(f, "enabled", f->bob, NULL, "{\"project_path\":\"h/p\"}", NULL), 401, MSG_401);
    /* an admin without sudo acts for nobody; an unbound non-admin too */
    expect(post(f, "enabled", f->admin, NULL, "{\"project_path\":\"h/p\"}", NULL), 401, MSG_401);
    expect(post(f, "enabled", f->reader, NULL, "{\"project_path\":\"h/p\"}", NULL), 401, MSG_401);
}

static void test_sudo(void **state)
{
    fixture *f = *state;
    expect(post(f, "enabled", f->admin, NULL, "{\"project_path\":\"h/p\"}", "Sudo", "ada", NULL),
           200, "200");
    expect(post(f, "enabled", f->admin, NULL, "{\"project_path\":\"h/p\"}", "Sudo", "1", NULL),
           200, "200");
    expect(post(f, "enabled", f->admin, "sudo=ada", "{\"project_path\":\"h/p\"}", NULL), 200, "200");
    expect(post(f, "enabled", f->admin, NULL, "{\"project_path\":\"h/p\",\"sudo\":\"ada\"}", NULL),
           200, "200");
    /* the parameter wins over the header */
    expect(post(f, "enabled", f->admin, "sudo=carl", "{\"project_path\":\"h/p\"}", "Sudo", "ada",
                NULL), 401, MSG_401);
    expect(post(f, "enabled", f->admin, NULL, "{\"project_path\":\"h/p\"}", "Sudo", "carl", NULL),
           401, MSG_401);
    expect(post(f, "enabled", f->ada, NULL, "{\"project_path\":\"h/p\"}", "Sudo", "ada", NULL),
           403, "{\"message\":\"403 Forbidden - Must be admin to use sudo\"}");
    expect(post(f, "enabled", f->reader, "sudo=ada", NULL, NULL), 403,
           "{\"message\":\"403 Forbidden - Must be admin to use sudo\"}");
    expect(post(f, "enabled", f->admin, NULL, NULL, "Sudo", "nobody", NULL), 404,
           "{\"message\":\"404 User with ID or username 'nobody' Not Found\"}");
    /* odd names are refused cleanly and echoed as valid JSON */
    expect(post(f, "enabled", f->admin, "sudo=", NULL, NULL), 404,
           "{\"message\":\"404 User with ID or username '' Not Found\"}");
    expect(post(f, "enabled", f->admin, "sudo=ada%00x", NULL, NULL), 404,
           "{\"message\":\"404 User with ID or username 'ada\\u0000x' Not Found\"}");
    expect(post(f, "enabled", f->admin, "sudo=a%FFb", NULL, NULL), 404,
           "{\"message\":\"404 User with ID or username 'a?b' Not Found\"}");
    expect(post(f, "enabled", f->admin, "sudo=%22%3C%0A", NULL, NULL), 404,
           "{\"message\":\"404 User with ID or username '\\\"<\\n' Not Found\"}");
    {
        char q[2100], want[600];
        memcpy(q, "sudo=", 5);
        memset(q + 5, 'x', 2000);
        q[2005] = '\0';
        snprintf(want, sizeof want, "{\"message\":\"404 User with ID or username '%.*s...' Not Found\"}",
                 255, q + 5);
        expect(post(f, "enabled", f->admin, q, NULL, NULL), 404, want);
    }
}

/* ---- the endpoints -------------------------------------------------------------- */

static void test_enabled(void **state)
{
    fixture *f = *state;
    expect(post(f, "enabled", f->ada, NULL, "{}", NULL), 400,
           "{\"error\":\"project_path is missing\"}");
    expect(post(f, "enabled", f->ada, NULL, "{\"project_path\":\"\"}", NULL), 404,
           "{\"message\":\"404 Not Found\"}");
    expect(post(f, "enabled", f->ada, NULL, "{\"project_path\":\"h/none\"}", NULL), 404,
           "{\"message\":\"404 Not Found\"}");
    expect(post(f, "enabled", f->ada, NULL, "{\"project_path\":\"h\"}", NULL), 404,
           "{\"message\":\"404 Not Found\"}");
    expect(post(f, "enabled", f->ada, NULL, "{\"project_path\":\"h/off\"}", NULL), 403,
           "{\"message\":\"403 Forbidden\"}");
    expect(post(f, "enabled", f->ada, NULL, "{\"project_path\":\"g/p\"}", NULL), 403,
           "{\"message\":\"403 Forbidden\"}");
    expect(post(f, "enabled", f->ada, "project_path=h/p", NULL, NULL), 200, "200");
    expect(post(f, "enabled", f->ada, NULL, "{\"project_path\":", NULL), 400,
           "{\"message\":\"400 Bad request - malformed JSON body\"}");
}

static void test_connection_details(void **state)
{
    fixture *f = *state;
    char id[SL_INSTANCE_UUID_LEN + 1], gid[64], want[512];
    sl_error err = {0};
    assert_int_equal(sl_store_instance_id(f->st, id, &err), SL_OK);
    assert_int_equal(sl_store_global_user_id(f->st, "1", gid, &err), SL_OK);
    snprintf(want, sizeof want, "{\"instance_id\":\"%s\",\"instance_version\":\"%s\","
             "\"realm\":\"self-managed\",\"global_user_id\":\"%s\",\"host_name\":"
             "\"gitlab.example.com\",\"feature_enablement_type\":\"duo_pro\","
             "\"saas_duo_pro_namespace_ids\":[]}", id, sl_version(), gid);
    expect(post(f, "connection_details", f->ada, NULL, NULL, NULL), 201, want);
    /* through sudo, the acting user's id */
    assert_int_equal(sl_store_global_user_id(f->st, "1", gid, &err), SL_OK);
    expect(post(f, "connection_details", f->admin, NULL, NULL, "Sudo", "ada", NULL), 201, want);
}

static void test_direct_access(void **state)
{
    fixture *f = *state;
    sl_http_response r;
    json_t *doc, *h;
    char id[SL_INSTANCE_UUID_LEN + 1], gid[64];
    sl_error err = {0};
    /* no gateway configured */
    expect(post(f, "direct_access", f->ada, NULL, NULL, NULL), 503,
           "{\"message\":\"503 Service Unavailable - no AI gateway configured\"}");
    sl_cs_free(f->cs);
    f->cs = new_cs("http://127.0.0.1:9/");
    r = post(f, "direct_access", f->ada, NULL, NULL, NULL);
    assert_int_equal(r.status, 201);
    doc = json_loadb(r.body, r.body_len, 0, NULL);
    assert_non_null(doc);
    assert_int_equal(json_object_size(doc), 4);
    assert_string_equal(json_string_value(json_object_get(doc, "base_url")), "http://127.0.0.1:9");
    assert_int_equal(json_integer_value(json_object_get(doc, "expires_at")), 1795348800 + 3600);
    assert_int_equal(strncmp(json_string_value(json_object_get(doc, "token")), "eyJ", 3), 0);
    assert_int_equal(sl_store_instance_id(f->st, id, &err), SL_OK);
    assert_int_equal(sl_store_global_user_id(f->st, "1", gid, &err), SL_OK);
    h = json_object_get(doc, "headers");
    assert_int_equal(json_object_size(h), 5);
    assert_string_equal(json_string_value(json_object_get(h, "X-Gitlab-Instance-Id")), id);
    assert_string_equal(json_string_value(json_object_get(h, "X-Gitlab-Realm")), "self-managed");
    assert_string_equal(json_string_value(json_object_get(h, "X-Gitlab-Global-User-Id")), gid);
    assert_string_equal(json_string_value(json_object_get(h, "X-Gitlab-Host-Name")),
                        "gitlab.example.com");
    assert_string_equal(json_string_value(json_object_get(h, "X-Gitlab-Feature-Enablement-Type")),
                        "duo_pro");
    json_decref(doc);
    sl_http_response_free(&r);
    /* disabled: refused before the rate limit counts (GitLab's order) */
    assert_int_equal(sl_store_setting_set(f->st, "direct_code_suggestions", "false", 0, &err), SL_OK);
    for (int i = 0; i < 12; i++)
        expect(post(f, "direct_access", f->ada, NULL, NULL, NULL), 403,
               "{\"message\":\"403 Forbidden - Direct connections are disabled\"}");
    assert_int_equal(sl_store_setting_set(f->st, "direct_code_suggestions", "true", 0, &err), SL_OK);
    for (int i = 1; i < 10; i++) {
        r = post(f, "direct_access", f->ada, NULL, NULL, NULL);
        assert_int_equal(r.status, 201);
        sl_http_response_free(&r);
    }
    r = post(f, "direct_access", f->ada, NULL, NULL, NULL);
    assert_string_equal(header_of(&r, "Retry-After"), "300");
    expect(r, 429, MSG_RATE);
}

static void test_completions_rules(void **state)
{
    fixture *f = *state;
    sl_http_response r;
    char *big;
    size_t n;
#define CF(x) "{\"current_file\":" x "}"
    expect(post(f, "completions", f->ada, NULL, "{}", NULL), 400,
           "{\"error\":\"current_file is missing\"}");
    expect(post(f, "completions", f->ada, NULL, CF("[1]"), NULL), 400,
           "{\"error\":\"current_file is invalid\"}");
    expect(post(f, "completions", f->ada, NULL, CF("{\"content_above_cursor\":\"x\"}"), NULL), 400,
           "{\"error\":\"current_file[file_name] is missing\"}");
    expect(post(f, "completions", f->ada, NULL, CF("{\"file_name\":7,\"content_above_cursor\":\"x\"}"),
                NULL), 400, "{\"error\":\"current_file[file_name] is invalid\"}");
    expect(post(f, "completions", f->ada, NULL, CF("{\"file_name\":\"a.py\"}"), NULL), 400,
           "{\"error\":\"current_file[content_above_cursor] is missing\"}");
    /* 255 characters (not bytes) of file name pass, 256 do not */
    big = malloc(700000);
    assert_non_null(big);
    n = (size_t)sprintf(big, "{\"current_file\":{\"content_above_cursor\":\"\",\"file_name\":\"");
    for (int i = 0; i < 255; i++)
        n += (size_t)sprintf(big + n, "\xc3\xa9");
    sprintf(big + n, "x\"}}");
    expect(post(f, "completions", f->ada, NULL, big, NULL), 400,
           "{\"error\":\"current_file[file_name] must be less than 255 characters\"}");
    n = (size_t)sprintf(big, "{\"current_file\":{\"file_name\":\"a\",\"content_below_cursor\":\"");
    memset(big + n, 'y', 400001);
    sprintf(big + n + 400001, "\",\"content_above_cursor\":\"\"}}");
    expect(post(f, "completions", f->ada, NULL, big, NULL), 400,
           "{\"error\":\"current_file[content_below_cursor] must be less than 400000 characters\"}");
    /* each side within its limit, the whole body over 600,000 bytes: 413 */
    n = (size_t)sprintf(big, "{\"current_file\":{\"file_name\":\"a\",\"content_below_cursor\":\"");
    memset(big + n, 'y', 400000);
    n += 400000;
    n += (size_t)sprintf(big + n, "\",\"content_above_cursor\":\"");
    memset(big + n, 'z', 250000);
    sprintf(big + n + 250000, "\"}}");
    r = post(f, "completions", f->ada, NULL, big, NULL);
    assert_string_equal(header_of(&r, "X-GitLab-Error-Origin"), "monolith");
    expect(r, 413, "{\"message\":\"413 Request Entity Too Large\"}");
    free(big);
    /* allowed, but nowhere to go */
    expect(post(f, "completions", f->ada, NULL,
                CF("{\"file_name\":\"a.py\",\"content_above_cursor\":\"def f():\"}"), NULL), 503,
           "{\"message\":\"503 Service Unavailable - no AI gateway configured\"}");
#undef CF
}

static void test_routes(void **state)
{
    fixture *f = *state;
    sl_http_request req = {.method = "GET", .path = CS "enabled"};
    sl_http_response r = sl_cs_route(f->cs, f->st, &req);
    assert_string_equal(header_of(&r, "Allow"), "POST");
    expect(r, 405, "{\"message\":\"405 Method Not Allowed\"}");
    req.method = "POST";
    req.path = CS "nothing";
    expect(sl_cs_route(f->cs, f->st, &req), 404, "{\"message\":\"404 Not Found\"}");
    req.path = CS "enabled/";
    expect(sl_cs_route(f->cs, f->st, &req), 404, "{\"message\":\"404 Not Found\"}");
    /* the ledger cannot be read: fail closed */
    req.path = CS "enabled";
    r = sl_cs_route(f->cs, NULL, &req);
    assert_string_equal(r.detail, "the ledger is not open");
    expect(r, 503, "{\"message\":\"503 Service Unavailable\"}");
    req.body_too_large = 1;
    expect(sl_cs_route(f->cs, f->st, &req), 413, "{\"message\":\"413 Request Entity Too Large\"}");
    /* the dispatch table sends the prefix here and the rest to the License API */
    {
        sl_dispatch_ctx sf = {.cs = f->cs};
        sl_http_request lic = {.method = "GET", .path = "/api/v4/license"};
        req.body_too_large = 0;
        expect(sl_dispatch(&sf, NULL, &req), 503, "{\"message\":\"503 Service Unavailable\"}");
        r = sl_dispatch(&sf, NULL, &lic);
        assert_int_equal(r.status, 500);   /* the License API's answer to no ledger */
        sl_http_response_free(&r);
        assert_string_equal(sl_dispatch_label(&sf, CS "completions"), CS "completions");
        assert_string_equal(sl_dispatch_label(&sf, CS "nope"), "other");
    }
}

/* ---- rate limits ---------------------------------------------------------------- */

static void expect_status(sl_http_response r, int status)
{
    if (r.status != status)
        fail_msg("status %d, expected %d; body: %.*s", r.status, status, (int)r.body_len,
                 r.body ? r.body : "");
    sl_http_response_free(&r);
}

static void test_rate_limit_window_edge(void **state)
{
    fixture *f = *state;
    sl_http_response r;
    setenv("SEATLEDGER_NOW", "2026-11-22T12:00:59Z", 1);
    for (int i = 0; i < 10; i++)
        expect_status(post(f, "connection_details", i % 2 ? f->ada : f->admin, NULL, NULL,
                           "Sudo", i % 2 ? NULL : "ada", NULL), 201);
    r = post(f, "connection_details", f->ada, NULL, NULL, NULL);
    assert_string_equal(header_of(&r, "Retry-After"), "60");
    assert_null(header_of(&r, "X-GitLab-Error-Origin"));
    expect(r, 429, MSG_RATE);
    /* the next window starts on the minute */
    setenv("SEATLEDGER_NOW", "2026-11-22T12:01:00Z", 1);
    for (int i = 0; i < 10; i++)
        expect_status(post(f, "connection_details", f->ada, NULL, NULL, NULL), 201);
    expect_status(post(f, "connection_details", f->ada, NULL, NULL, NULL), 429);
    /* completions: 60 a minute, each endpoint counts on its own */
    for (int i = 0; i < 60; i++)
        expect_status(post(f, "completions", f->ada, NULL,
                           "{\"current_file\":{\"file_name\":\"a\",\"content_above_cursor\":\"\"}}",
                           NULL), 503);
    r = post(f, "completions", f->ada, NULL,
             "{\"current_file\":{\"file_name\":\"a\",\"content_above_cursor\":\"\"}}", NULL);
    assert_string_equal(header_of(&r, "Retry-After"), "60");
    assert_string_equal(header_of(&r, "X-GitLab-Error-Origin"), "monolith");
    expect(r, 429, MSG_RATE);
    /* the rules refuse before the limit counts (Grape validates first) */
    expect_status(post(f, "completions", f->ada, NULL, "{}", NULL), 400);
    setenv("SEATLEDGER_NOW", "2026-11-22T12:01:59.999Z", 1);
    expect_status(post(f, "connection_details", f->ada, NULL, NULL, NULL), 429);
    setenv("SEATLEDGER_NOW", "2026-11-22T12:02:00Z", 1);
    expect_status(post(f, "connection_details", f->ada, NULL, NULL, NULL), 201);
}

typedef struct racer {
    fixture *f;
    int passed, limited, other;
} racer;

static void *race(void *arg)
{
    racer *rc = arg;
    fixture *f = rc->f;
    char path[4096];
    sl_store *st = NULL;
    sl_error err = {0};
    sl_http_header h[2] = {{"PRIVATE-TOKEN", f->ada}, {"Content-Type", "application/json"}};
    static const char body[] = "{\"current_file\":{\"file_name\":\"a\",\"content_above_cursor\":\"\"}}";
    sl_http_request req = {.method = "POST", .path = CS "completions", .headers = h,
                           .header_count = 2, .body = body, .body_len = sizeof body - 1};
    snprintf(path, sizeof path, "%s/ledger.db", f->dir);
    if (sl_store_open(path, 0, &st, &err) != SL_OK)
        return NULL;
    for (int i = 0; i < 25; i++) {
        sl_http_response r = sl_cs_route(f->cs, st, &req);
        if (r.status == 503)
            rc->passed++;
        else if (r.status == 429)
            rc->limited++;
        else
            rc->other++;
        sl_http_response_free(&r);
    }
    sl_store_close(st);
    return NULL;
}

/* Four threads, each with its own ledger connection like the server's
 * workers, share one window: exactly 60 of 100 pass. */
static void test_rate_limit_threads(void **state)
{
    fixture *f = *state;
    pthread_t t[4];
    racer rc[4];
    int passed = 0, limited = 0;
    for (int i = 0; i < 4; i++) {
        rc[i] = (racer){f, 0, 0, 0};
        assert_int_equal(pthread_create(&t[i], NULL, race, &rc[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(rc[i].other, 0);
        passed += rc[i].passed;
        limited += rc[i].limited;
    }
    assert_int_equal(passed, 60);
    assert_int_equal(limited, 40);
}

static int32_t duo_day(fixture *f)
{
    char path[4096];
    sqlite3 *db;
    sqlite3_stmt *s;
    int32_t d = -1;
    snprintf(path, sizeof path, "%s/ledger.db", f->dir);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT last_duo_activity_on FROM users WHERE id = '1'",
                                        -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    if (sqlite3_column_type(s, 0) != SQLITE_NULL)
        d = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return d;
}

static void forget_duo_day(fixture *f)
{
    char path[4096];
    sqlite3 *db;
    snprintf(path, sizeof path, "%s/ledger.db", f->dir);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    assert_int_equal(sqlite3_exec(db, "UPDATE users SET last_duo_activity_on = NULL", NULL, NULL,
                                  NULL), SQLITE_OK);
    sqlite3_close(db);
}

static void test_activity_once_a_day(void **state)
{
    fixture *f = *state;
    int32_t today = sl_clock_today();
    sl_cs_free(f->cs);
    f->cs = new_cs("http://127.0.0.1:9");
    assert_int_equal(duo_day(f), -1);
    expect_status(post(f, "connection_details", f->ada, NULL, NULL, NULL), 201);
    assert_int_equal(duo_day(f), -1);          /* only completions and direct_access count */
    expect_status(post(f, "direct_access", f->ada, NULL, NULL, NULL), 201);
    assert_int_equal(duo_day(f), today);
    /* the same day: no second write, not even a read */
    forget_duo_day(f);
    expect_status(post(f, "direct_access", f->ada, NULL, NULL, NULL), 201);
    assert_int_equal(duo_day(f), -1);
    /* the next day: written again */
    setenv("SEATLEDGER_NOW", "2026-11-23T08:00:00Z", 1);
    expect_status(post(f, "direct_access", f->ada, NULL, NULL, NULL), 201);
    assert_int_equal(duo_day(f), today + 1);
    /* refused calls write nothing */
    forget_duo_day(f);
    setenv("SEATLEDGER_NOW", "2026-11-24T08:00:00Z", 1);
    expect_status(post(f, "direct_access", f->carl, NULL, NULL, NULL), 401);
    expect_status(post(f, "completions", f->ada, NULL, "{}", NULL), 400);
    assert_int_equal(duo_day(f), -1);
}

/* A stream's wake as a condition variable, to drain it in a test. */
typedef struct waiter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int woken;
} waiter;

static void wake(void *arg)
{
    waiter *w = arg;
    pthread_mutex_lock(&w->mu);
    w->woken = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

static void wait_wake(waiter *w)
{
    pthread_mutex_lock(&w->mu);
    while (!w->woken)
        pthread_cond_wait(&w->cv, &w->mu);
    w->woken = 0;
    pthread_mutex_unlock(&w->mu);
}

/* A gateway nobody listens on: the stream's head is a 503, and the call
 * still counts as Duo activity (it passed the gate). */
static void test_completions_unreachable_gateway(void **state)
{
    fixture *f = *state;
    waiter w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
    sl_http_response r, head;
    char buf[256];
    size_t n = 0;
    long k;
    sl_cs_free(f->cs);
    f->cs = new_cs("http://127.0.0.1:9");
    r = post(f, "completions", f->ada, NULL,
             "{\"current_file\":{\"file_name\":\"a.py\",\"content_above_cursor\":\"x\"}}", NULL);
    assert_non_null(r.stream);
    memset(&head, 0, sizeof head);
    while (!r.stream->head(r.stream, &head, wake, &w))
        wait_wake(&w);
    assert_int_equal(head.status, 503);
    assert_string_equal(head.content_type, "application/json");
    assert_non_null(strstr(head.detail, "127.0.0.1:9"));
    for (;;) {
        k = r.stream->read(r.stream, buf + n, sizeof buf - 1 - n, wake, &w);
        if (k == 0) {
            wait_wake(&w);
            continue;
        }
        if (k < 0)
            break;
        n += (size_t)k;
    }
    assert_int_equal(k, SL_HTTP_STREAM_END);
    buf[n] = '\0';
    assert_string_equal(buf, "{\"message\":\"503 Service Unavailable\"}");
    sl_http_response_free(&r);
    assert_int_equal(duo_day(f), sl_clock_today());
}

static void test_limits_config(void **state)
{
    sl_cs_config cfg = {0};
    sl_error err = {0};
    (void)state;
    assert_int_equal(sl_cs_parse_limit("completions=100000/60", &cfg, &err), SL_OK);
    assert_int_equal(cfg.limits[SL_CS_LIMIT_COMPLETIONS].count, 100000);
    assert_int_equal(cfg.limits[SL_CS_LIMIT_COMPLETIONS].window_s, 60);
    assert_int_equal(sl_cs_parse_limit("enabled=1/1", &cfg, &err), SL_EUSAGE);
    assert_string_equal(err.message, "invalid rate limit 'enabled=1/1': the endpoints are "
                                     "completions, direct_access and connection_details");
    assert_int_equal(sl_cs_parse_limit("direct_access=0/5", &cfg, &err), SL_EUSAGE);
    assert_int_equal(sl_cs_parse_limit("direct_access", &cfg, &err), SL_EUSAGE);
    cfg.ai_gateway_url = "ftp://x";
    assert_int_equal(sl_cs_new(&cfg, &(sl_cs *){NULL}, &err), SL_EUSAGE);
    assert_string_equal(err.message, "invalid AI gateway URL 'ftp://x': expected "
                                     "http://HOST[:PORT][/PATH] or https://...");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_entitlement_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_entitlement_core_and_amazon_q, setup, teardown),
        cmocka_unit_test_setup_teardown(test_settings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cascade, setup, teardown),
        cmocka_unit_test_setup_teardown(test_projects_import, setup, teardown),
        cmocka_unit_test_setup_teardown(test_user_tokens, setup, teardown),
        cmocka_unit_test_setup_teardown(test_identity_and_jwt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_authentication, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sudo, setup, teardown),
        cmocka_unit_test_setup_teardown(test_enabled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connection_details, setup, teardown),
        cmocka_unit_test_setup_teardown(test_direct_access, setup, teardown),
        cmocka_unit_test_setup_teardown(test_completions_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_routes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rate_limit_window_edge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rate_limit_threads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_activity_once_a_day, setup, teardown),
        cmocka_unit_test_setup_teardown(test_completions_unreachable_gateway, setup, teardown),
        cmocka_unit_test(test_limits_config),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
