/*
 * dispatch.c - the four endpoints of code-suggestions.md as a pure
 * function of the request and the ledger (plus the surface's shared
 * windows and memos): match the route, authenticate, find the acting user
 * (a user token, or an admin token with sudo), check the entitlement, the
 * endpoint's rate limit and its own rules, and answer with GitLab's exact
 * bodies.  A completion comes back as a stream of the AI gateway's answer.
 */
#include "cs_internal.h"
#include "http_util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REALM "self-managed"

/* completions: GitLab's limits (ee/lib/api/code_suggestions.rb) */
#define BODY_MAX 600000
#define CONTENT_MAX 400000              /* characters of each side of the cursor */
#define FILE_NAME_MAX 255               /* characters */
#define SUDO_SHOWN_MAX 255              /* bytes of a sudo value echoed in a 404 */
#define FORWARDED_VALUE_MAX 256         /* bytes of a client header passed on */
#define GATEWAY_TOKEN_MIN_LEFT_S 300    /* a cached gateway token is reused until then */
#define ACTIVITY_MEMO_SLOTS 65536
#define TOKEN_MEMO_SLOTS 4096

#define MSG_RATE "{\"message\":{\"error\":\"This endpoint has been requested too many times. " \
                 "Try again later.\"}}"

static const char *const limited_names[SL_CS_LIMIT_COUNT] = {
    [SL_CS_LIMIT_COMPLETIONS] = "completions",
    [SL_CS_LIMIT_DIRECT_ACCESS] = "direct_access",
    [SL_CS_LIMIT_CONNECTION_DETAILS] = "connection_details",
};

/* code-suggestions.md's table */
static const sl_cs_limit default_limits[SL_CS_LIMIT_COUNT] = {
    [SL_CS_LIMIT_COMPLETIONS] = {60, 60},
    [SL_CS_LIMIT_DIRECT_ACCESS] = {10, 300},
    [SL_CS_LIMIT_CONNECTION_DETAILS] = {10, 60},
};

struct sl_cs {
    char gateway[SL_CS_GATEWAY_URL_MAX + 1];    /* "" when none; no trailing '/' */
    char host[SL_CS_HOST_MAX + 1];
    int timeout_s;
    sl_cs_limit limits[SL_CS_LIMIT_COUNT];
    char retry_after[SL_CS_LIMIT_COUNT][24];
    sl_cs_rate *rate;
    sl_cs_memo *activity;       /* user id -> the day its Duo activity was written */
    sl_cs_memo *tokens;         /* user id -> exp, the gateway JWT */
};

typedef enum endpoint { EP_ENABLED, EP_CONNECTION_DETAILS, EP_DIRECT_ACCESS, EP_COMPLETIONS } endpoint;

/* ---- configuration ---------------------------------------------------------- */

const char *sl_cs_limited_name(sl_cs_limited e)
{
    return (int)e >= 0 && e < SL_CS_LIMIT_COUNT ? limited_names[e] : NULL;
}

/* A positive decimal integer of at most 9 digits. */
static int small_number(const char *s, size_t n, int64_t *out)
{
    int64_t v = 0;
    if (n == 0 || n > 9)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return v > 0;
}

sl_rc sl_cs_parse_limit(const char *spec, sl_cs_config *cfg, sl_error *err)
{
    const char *eq = spec ? strchr(spec, '=') : NULL, *slash;
    int64_t count, window;
    if (!eq || !(slash = strchr(eq, '/')))
        return sl_error_set(err, SL_EUSAGE, "invalid rate limit '%.64s': expected "
                            "ENDPOINT=COUNT/SECONDS", spec ? spec : "");
    for (int e = 0; e < SL_CS_LIMIT_COUNT; e++) {
        if (strlen(limited_names[e]) != (size_t)(eq - spec) ||
            strncmp(spec, limited_names[e], (size_t)(eq - spec)) != 0)
            continue;
        if (!small_number(eq + 1, (size_t)(slash - eq - 1), &count) ||
            !small_number(slash + 1, strlen(slash + 1), &window))
            return sl_error_set(err, SL_EUSAGE, "invalid rate limit '%.64s': COUNT and "
                                "SECONDS are positive integers", spec);
        cfg->limits[e].count = count;
        cfg->limits[e].window_s = window;
        return SL_OK;
    }
    return sl_error_set(err, SL_EUSAGE, "invalid rate limit '%.64s': the endpoints are "
                        "completions, direct_access and connection_details", spec);
}

sl_rc sl_cs_new(const sl_cs_config *cfg, sl_cs **out, sl_error *err)
{
    sl_cs *cs;
    const char *url = cfg->ai_gateway_url;
    size_t n = url ? strlen(url) : 0;
    *out = NULL;
    if (url && (n > SL_CS_GATEWAY_URL_MAX ||
                (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) ||
                strpbrk(url, " \t\r\n?#")))
        return sl_error_set(err, SL_EUSAGE, "invalid AI gateway URL '%.64s': expected "
                            "http://HOST[:PORT][/PATH] or https://...", url);
    if (cfg->external_host && (strlen(cfg->external_host) == 0 ||
                               strlen(cfg->external_host) > SL_CS_HOST_MAX ||
                               strpbrk(cfg->external_host, " \t\r\n\"\\/")))
        return sl_error_set(err, SL_EUSAGE, "invalid external host '%.64s'",
                            cfg->external_host);
    cs = calloc(1, sizeof *cs);
    if (!cs)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    if (url) {
        while (n > 0 && url[n - 1] == '/')
            n--;
        memcpy(cs->gateway, url, n);
        cs->gateway[n] = '\0';
    }
    if (cfg->external_host)
        snprintf(cs->host, sizeof cs->host, "%s", cfg->external_host);
    else if (gethostname(cs->host, sizeof cs->host - 1) != 0 || !cs->host[0])
        snprintf(cs->host, sizeof cs->host, "localhost");
    cs->timeout_s = cfg->gateway_timeout_s > 0 ? cfg->gateway_timeout_s : SL_CS_GATEWAY_TIMEOUT_S;
    for (int e = 0; e < SL_CS_LIMIT_COUNT; e++) {
        cs->limits[e] = cfg->limits[e].count > 0 ? cfg->limits[e] : default_limits[e];
        snprintf(cs->retry_after[e], sizeof cs->retry_after[e], "%lld",
                 (long long)cs->limits[e].window_s);
    }
    cs->rate = sl__cs_rate_new();
    cs->activity = sl__cs_memo_new(ACTIVITY_MEMO_SLOTS);
    cs->tokens = sl__cs_memo_new(TOKEN_MEMO_SLOTS);
    if (!cs->rate || !cs->activity || !cs->tokens) {
        sl_cs_free(cs);
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    *out = cs;
    return SL_OK;
}

void sl_cs_free(sl_cs *cs)
{
    if (!cs)
        return;
    sl__cs_rate_free(cs->rate);
    sl__cs_memo_free(cs->activity);
    sl__cs_memo_free(cs->tokens);
    free(cs);
}

/* ---- responses -------------------------------------------------------------- */

static sl_http_response resp_literal(int status, const char *json)
{
    sl_http_response r = sl_http_resp_new(status);
    sl_http_resp_body(&r, SL_HTTP_CT_JSON, json, strlen(json));
    return r;
}

static sl_http_response unauthorized(int from_entitlement)
{
    sl_http_response r = sl_http_resp_message(401, "401 Unauthorized");
    /* GitLab marks refusals of its own (not the gateway's) */
    if (from_entitlement)
        sl_http_resp_header(&r, "X-GitLab-Error-Origin", "monolith");
    return r;
}

/* The ledger could not be read: fail closed. */
static sl_http_response unavailable(const sl_error *err)
{
    sl_http_response r = sl_http_resp_message(503, "503 Service Unavailable");
    snprintf(r.detail, sizeof r.detail, "%s", err && err->message[0] ? err->message
                                                                      : "the ledger is not open");
    return r;
}

/* Grape's validation error: {"error":"<text>"}. */
static sl_http_response invalid(const char *text)
{
    return sl_http_resp_json_text(400, "error", text);
}

static sl_http_response engine_failure(sl_rc rc, const sl_error *err)
{
    sl_http_response r;
    if (rc == SL_ENOMEM || rc == SL_EINTERNAL || rc == SL_EUSAGE) {
        r = sl_http_resp_message(500, "500 Internal Server Error");
        snprintf(r.detail, sizeof r.detail, "%s", err->message[0] ? err->message
                                                                   : sl_rc_name(rc));
        return r;
    }
    return unavailable(err);
}

static sl_http_response json_response(int status, json_t *o)
{
    char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    sl_http_response r;
    json_decref(o);
    if (!s) {
        r = sl_http_resp_message(500, "500 Internal Server Error");
        snprintf(r.detail, sizeof r.detail, "out of memory");
        return r;
    }
    r = sl_http_resp_new(status);
    sl_http_resp_body(&r, SL_HTTP_CT_JSON, s, strlen(s));
    free(s);
    return r;
}

/* ---- the request ------------------------------------------------------------ */

typedef struct call {
    sl_cs *cs;
    sl_store *st;
    const sl_http_request *req;
    json_t *doc;                /* the JSON body when it is an object, else NULL */
    int form;                   /* the body is urlencoded */
    char user_id[SL_USER_FIELD_MAX + 1];
    int has_user;
    sl_entitlement ent;
} call;

/* Parameter `name` from the body (JSON or form) or else the query string.
 * 1 found (*out malloc'd, *len its length, NUL bytes possible), 0 absent,
 * -1 out of memory.  A JSON value that is not a string counts as absent
 * (*wrong_type set when given). */
static int param(const call *c, const char *name, char **out, size_t *len, int *wrong_type)
{
    const sl_http_request *req = c->req;
    int found;
    *out = NULL;
    *len = 0;
    if (wrong_type)
        *wrong_type = 0;
    if (c->doc) {
        json_t *v = json_object_get(c->doc, name);
        if (v && json_is_string(v)) {
            *len = json_string_length(v);
            *out = malloc(*len + 1);
            if (!*out)
                return -1;
            memcpy(*out, json_string_value(v), *len + 1);
            return 1;
        }
        if (v && !json_is_null(v) && wrong_type)
            *wrong_type = 1;
    } else if (c->form) {
        found = sl_http_form_get(req->body, req->body_len, name, out, len);
        if (found != 0)
            return found;
    }
    if (req->query)
        return sl_http_form_get(req->query, strlen(req->query), name, out, len);
    return 0;
}

/* The body as parameters: a JSON object, or an urlencoded form.  400 for
 * JSON that does not parse (the reply is set in *r). */
static int read_body(call *c, sl_http_response *r)
{
    const sl_http_request *req = c->req;
    json_error_t jerr;
    json_t *doc;
    if (!req->body || sl_http_body_blank(req))
        return 1;
    if (sl_http_content_type_is(req, SL_HTTP_CT_FORM)) {
        c->form = 1;
        return 1;
    }
    if (!sl_http_content_type_is(req, SL_HTTP_CT_JSON))
        return 1;
    if (!sl_http_json_depth_ok(req->body, req->body_len)) {
        *r = sl_http_resp_message(400, "400 Bad request - JSON body nested too deeply");
        return 0;
    }
    doc = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc) {
        *r = sl_http_resp_message(400, "400 Bad request - malformed JSON body");
        return 0;
    }
    if (json_is_object(doc))
        c->doc = doc;
    else
        json_decref(doc);
    return 1;
}

/* s[0..n) as valid UTF-8, bad bytes replaced by '?', cut after `max` bytes
 * with "...", into out (NUL bytes kept: the length is returned). */
static size_t printable(const char *s, size_t n, size_t max, char *out)
{
    size_t o = 0, i = 0;
    while (i < n && i < max) {
        unsigned char b = (unsigned char)s[i];
        size_t k = 1;
        if (b >= 0x80) {
            k = (b & 0xe0) == 0xc0 ? 2 : (b & 0xf0) == 0xe0 ? 3 : (b & 0xf8) == 0xf0 ? 4 : 0;
            for (size_t j = 1; k && j < k; j++) {
                if (i + j >= n || i + j >= max || ((unsigned char)s[i + j] & 0xc0) != 0x80)
                    k = 0;
            }
            if (k == 0) {
                out[o++] = '?';
                i++;
                continue;
            }
        }
        memcpy(out + o, s + i, k);
        o += k;
        i += k;
    }
    if (i < n) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    return o;
}

/* GitLab's 404 for a sudo value that names nobody, the value echoed (as
 * JSON: NUL bytes and quotes escaped). */
static sl_http_response sudo_not_found(const char *sudo, size_t len)
{
    static const char head[] = "404 User with ID or username '", tail[] = "' Not Found";
    char msg[sizeof head + SUDO_SHOWN_MAX + 8 + sizeof tail];
    size_t n = sizeof head - 1;
    memcpy(msg, head, n);
    n += printable(sudo, len, SUDO_SHOWN_MAX, msg + n);
    memcpy(msg + n, tail, sizeof tail - 1);
    n += sizeof tail - 1;
    return json_response(404, json_pack("{s:o}", "message", json_stringn(msg, n)));
}

/* Who the request acts for: GitLab's sudo (the `sudo` parameter, else the
 * Sudo header) for an admin token, the bound user of a user token, else
 * nobody.  0 with *r set when it refuses. */
static int acting_user(call *c, const sl_token_auth *auth, sl_http_response *r)
{
    char *sudo = NULL, *id = NULL;
    size_t len = 0;
    sl_error err = {0};
    const char *h;
    int found = param(c, "sudo", &sudo, &len, NULL);
    if (found < 0)
        goto oom;
    if (!found && (h = sl_http_header_get(c->req, "Sudo")) != NULL) {
        sudo = strdup(h);
        if (!sudo)
            goto oom;
        len = strlen(sudo);
        found = 1;
    }
    if (!found) {
        if (auth->bound) {
            snprintf(c->user_id, sizeof c->user_id, "%s", auth->user_id);
            c->has_user = 1;
        }
        return 1;
    }
    if (!auth->admin) {
        free(sudo);
        *r = sl_http_resp_message(403, "403 Forbidden - Must be admin to use sudo");
        return 0;
    }
    /* a value with a NUL byte or beyond the field limit names nobody */
    if (len > 0 && len <= SL_USER_FIELD_MAX && !memchr(sudo, '\0', len)) {
        const char *ref = sudo;
        sl_rc rc = sl_store_users_resolve(c->st, &ref, 1, &id, &err);
        if (rc != SL_OK && rc != SL_EINVAL) {
            free(sudo);
            *r = engine_failure(rc, &err);
            return 0;
        }
    }
    if (!id) {
        *r = sudo_not_found(sudo, len);
        free(sudo);
        return 0;
    }
    snprintf(c->user_id, sizeof c->user_id, "%s", id);
    c->has_user = 1;
    sl_free(id);
    free(sudo);
    return 1;
oom:
    free(sudo);
    *r = sl_http_resp_message(500, "500 Internal Server Error");
    snprintf(r->detail, sizeof r->detail, "out of memory");
    return 0;
}

/* 1 within the endpoint's limit; else *r is the 429. */
static int within_limit(call *c, sl_cs_limited e, int origin_header, sl_http_response *r)
{
    const sl_cs_limit *l = &c->cs->limits[e];
    if (sl__cs_rate_hit(c->cs->rate, (int)e, c->user_id, l->count, l->window_s,
                        sl_clock_now_ms()) == 1)
        return 1;
    *r = resp_literal(429, MSG_RATE);
    sl_http_resp_header(r, "Retry-After", c->cs->retry_after[e]);
    if (origin_header)
        sl_http_resp_header(r, "X-GitLab-Error-Origin", "monolith");
    return 0;
}

/* The user's last Duo activity, written at most once a day: the memo spares
 * every later call of the day even the read.  A failed write is retried by
 * the next call and never fails this one. */
static void record_activity(call *c)
{
    int32_t today = sl_clock_today();
    int64_t day;
    sl_error err = {0};
    if (sl__cs_memo_get(c->cs->activity, c->user_id, &day, NULL, 0) && day == today)
        return;
    if (sl_store_user_duo_activity(c->st, c->user_id, NULL, &err) == SL_OK)
        sl__cs_memo_put(c->cs->activity, c->user_id, today, NULL);
}

/* ---- the endpoints ---------------------------------------------------------- */

static sl_http_response h_enabled(call *c)
{
    char *path = NULL;
    size_t len = 0;
    int enabled = 0, found = param(c, "project_path", &path, &len, NULL);
    sl_error err = {0};
    sl_rc rc;
    if (found < 0)
        return engine_failure(SL_ENOMEM, &(sl_error){SL_ENOMEM, "out of memory"});
    if (!found) {
        free(path);
        return invalid("project_path is missing");
    }
    if (len == 0 || memchr(path, '\0', len)) {
        free(path);
        return sl_http_resp_message(404, "404 Not Found");
    }
    rc = sl_store_project_duo_enabled(c->st, path, &enabled, &err);
    free(path);
    if (rc == SL_ENOTFOUND)
        return sl_http_resp_message(404, "404 Not Found");
    if (rc != SL_OK)
        return engine_failure(rc, &err);
    if (!enabled)
        return sl_http_resp_message(403, "403 Forbidden");
    return resp_literal(200, "200");
}

/* instance_id and global_user_id of the acting user. */
static sl_rc identity(call *c, char id[SL_INSTANCE_UUID_LEN + 1],
                      char gid[SL_GLOBAL_USER_ID_LEN + 1], sl_error *err)
{
    sl_rc rc = sl_store_instance_id(c->st, id, err);
    if (rc == SL_OK)
        rc = sl_store_global_user_id(c->st, c->user_id, gid, err);
    return rc;
}

static sl_http_response h_connection_details(call *c)
{
    char id[SL_INSTANCE_UUID_LEN + 1], gid[SL_GLOBAL_USER_ID_LEN + 1];
    sl_error err = {0};
    sl_http_response r;
    sl_rc rc;
    if (!within_limit(c, SL_CS_LIMIT_CONNECTION_DETAILS, 0, &r))
        return r;
    rc = identity(c, id, gid, &err);
    if (rc != SL_OK)
        return engine_failure(rc, &err);
    return json_response(201, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:[]}", "instance_id", id,
                                        "instance_version", sl_version(), "realm", REALM,
                                        "global_user_id", gid, "host_name", c->cs->host,
                                        "feature_enablement_type", c->ent.enablement_type,
                                        "saas_duo_pro_namespace_ids"));
}

static sl_http_response h_direct_access(call *c)
{
    char id[SL_INSTANCE_UUID_LEN + 1], gid[SL_GLOBAL_USER_ID_LEN + 1];
    char *jwt = NULL;
    int64_t exp = 0;
    int on = 1;
    sl_setting_value v[SL_SETTING_COUNT];
    sl_error err = {0};
    sl_http_response r;
    json_t *o;
    sl_rc rc = sl_store_settings(c->st, v, &err);
    if (rc != SL_OK)
        return engine_failure(rc, &err);
    on = v[SL_SETTING_DIRECT_CODE_SUGGESTIONS].value;
    /* GitLab refuses before it counts the call (forbid_direct_access?) */
    if (!on)
        return sl_http_resp_message(403, "403 Forbidden - Direct connections are disabled");
    if (!within_limit(c, SL_CS_LIMIT_DIRECT_ACCESS, 0, &r))
        return r;
    if (!c->cs->gateway[0])
        return sl_http_resp_message(503, "503 Service Unavailable - no AI gateway configured");
    rc = identity(c, id, gid, &err);
    if (rc == SL_OK)
        rc = sl_store_access_token(c->st, c->user_id, &jwt, &exp, &err);
    if (rc != SL_OK)
        return engine_failure(rc, &err);
    o = json_pack("{s:s,s:s,s:I,s:{s:s,s:s,s:s,s:s,s:s}}", "base_url", c->cs->gateway,
                  "token", jwt, "expires_at", (json_int_t)exp, "headers",
                  "X-Gitlab-Instance-Id", id, "X-Gitlab-Realm", REALM,
                  "X-Gitlab-Global-User-Id", gid, "X-Gitlab-Host-Name", c->cs->host,
                  "X-Gitlab-Feature-Enablement-Type", c->ent.enablement_type);
    sl_free(jwt);
    r = json_response(201, o);
    if (r.status == 201)
        record_activity(c);
    return r;
}

/* Characters (UTF-8 code points) of a jansson string. */
static size_t chars(const json_t *s)
{
    const char *p = json_string_value(s);
    size_t n = json_string_length(s), k = 0;
    for (size_t i = 0; i < n; i++)
        k += ((unsigned char)p[i] & 0xc0) != 0x80;
    return k;
}

/* GitLab's parameter rules of completions (Grape): 400 naming the field. */
static int completion_params_ok(call *c, sl_http_response *r)
{
    static const struct {
        const char *key, *field;
        int required;
        size_t max;
    } fields[] = {
        {"file_name", "current_file[file_name]", 1, FILE_NAME_MAX},
        {"content_above_cursor", "current_file[content_above_cursor]", 1, CONTENT_MAX},
        {"content_below_cursor", "current_file[content_below_cursor]", 0, CONTENT_MAX},
    };
    char msg[128];
    json_t *cf = c->doc ? json_object_get(c->doc, "current_file") : NULL;
    if (!cf || json_is_null(cf)) {
        *r = invalid("current_file is missing");
        return 0;
    }
    if (!json_is_object(cf)) {
        *r = invalid("current_file is invalid");
        return 0;
    }
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        json_t *v = json_object_get(cf, fields[i].key);
        if (!v || json_is_null(v)) {
            if (!fields[i].required)
                continue;
            snprintf(msg, sizeof msg, "%s is missing", fields[i].field);
        } else if (!json_is_string(v)) {
            snprintf(msg, sizeof msg, "%s is invalid", fields[i].field);
        } else if (chars(v) > fields[i].max) {
            snprintf(msg, sizeof msg, "%s must be less than %zu characters", fields[i].field,
                     fields[i].max);
        } else {
            continue;
        }
        *r = invalid(msg);
        return 0;
    }
    return 1;
}

/* A client header passed on to the gateway: printable ASCII, bounded. */
static const char *passable(const sl_http_request *req, const char *name)
{
    const char *v = sl_http_header_get(req, name);
    size_t n = v ? strlen(v) : 0;
    if (n == 0 || n > FORWARDED_VALUE_MAX)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] > 0x7e)
            return NULL;
    }
    return v;
}

/* The JWT the gateway is shown for this user, signed at most once per
 * user in SL_ACCESS_TOKEN_TTL_S - GATEWAY_TOKEN_MIN_LEFT_S. */
static sl_rc gateway_token(call *c, char *out, size_t size, sl_error *err)
{
    int64_t exp = 0, now_s = sl_clock_now_ms() / 1000;
    char *jwt = NULL;
    sl_rc rc;
    if (sl__cs_memo_get(c->cs->tokens, c->user_id, &exp, out, size) && out[0] &&
        exp - now_s > GATEWAY_TOKEN_MIN_LEFT_S)
        return SL_OK;
    rc = sl_store_access_token(c->st, c->user_id, &jwt, &exp, err);
    if (rc != SL_OK)
        return rc;
    snprintf(out, size, "%s", jwt);
    sl__cs_memo_put(c->cs->tokens, c->user_id, exp, jwt);
    sl_free(jwt);
    return SL_OK;
}

static sl_http_response h_completions(call *c)
{
    char id[SL_INSTANCE_UUID_LEN + 1], gid[SL_GLOBAL_USER_ID_LEN + 1];
    char url[SL_CS_GATEWAY_URL_MAX + 32], bearer[4096 + 8], jwt[4096];
    sl_cs_forward f;
    sl_http_response r;
    sl_error err = {0};
    json_t *intent;
    const char *v;
    sl_rc rc;
    if (!completion_params_ok(c, &r))
        return r;
    if (!within_limit(c, SL_CS_LIMIT_COMPLETIONS, 1, &r))
        return r;
    if (c->req->body_len > BODY_MAX) {
        r = sl_http_resp_message(413, "413 Request Entity Too Large");
        sl_http_resp_header(&r, "X-GitLab-Error-Origin", "monolith");
        return r;
    }
    if (!c->cs->gateway[0])
        return sl_http_resp_message(503, "503 Service Unavailable - no AI gateway configured");
    rc = identity(c, id, gid, &err);
    if (rc == SL_OK)
        rc = gateway_token(c, jwt, sizeof jwt, &err);
    if (rc != SL_OK)
        return engine_failure(rc, &err);
    intent = json_object_get(c->doc, "intent");
    snprintf(url, sizeof url, "%s/v2/code/%s", c->cs->gateway,
             json_is_string(intent) && strcmp(json_string_value(intent), "generation") == 0
                 ? "generations" : "completions");
    snprintf(bearer, sizeof bearer, "Bearer %s", jwt);
    memset(&f, 0, sizeof f);
    f.url = url;
    f.body = c->req->body;
    f.body_len = c->req->body_len;
    f.timeout_s = c->cs->timeout_s;
#define ADD(n, val) (f.headers[f.header_count].name = (n), f.headers[f.header_count++].value = (val))
    ADD("Authorization", bearer);
    ADD("X-Gitlab-Authentication-Type", "oidc");
    ADD("X-Gitlab-Instance-Id", id);
    ADD("X-Gitlab-Realm", REALM);
    ADD("X-Gitlab-Global-User-Id", gid);
    ADD("X-Gitlab-Host-Name", c->cs->host);
    ADD("X-Gitlab-Version", sl_version());
    ADD("X-Gitlab-Feature-Enablement-Type", c->ent.enablement_type);
    if ((v = passable(c->req, "User-Agent")) != NULL)
        ADD("User-Agent", v);
    if ((v = passable(c->req, "X-Gitlab-Language-Server-Version")) != NULL)
        ADD("X-Gitlab-Language-Server-Version", v);
#undef ADD
    r = sl_http_resp_new(0);
    rc = sl_cs_gateway_start(&f, &r.stream, &err);
    if (rc == SL_ETOOBIG) {
        r = sl_http_resp_message(503, "503 Service Unavailable");
        snprintf(r.detail, sizeof r.detail, "%s", err.message);
        return r;
    }
    if (rc != SL_OK)
        return engine_failure(rc, &err);
    record_activity(c);
    return r;
}

/* ---- the entry point -------------------------------------------------------- */

static int match(const char *path, endpoint *out)
{
    static const struct {
        const char *name;
        endpoint e;
    } routes[] = {
        {"enabled", EP_ENABLED},
        {"connection_details", EP_CONNECTION_DETAILS},
        {"direct_access", EP_DIRECT_ACCESS},
        {"completions", EP_COMPLETIONS},
    };
    if (!path || strncmp(path, SL_CS_PREFIX, sizeof SL_CS_PREFIX - 1) != 0)
        return 0;
    path += sizeof SL_CS_PREFIX - 1;
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        if (strcmp(path, routes[i].name) == 0) {
            *out = routes[i].e;
            return 1;
        }
    }
    return 0;
}

const char *sl_cs_label(const char *path)
{
    static const char *const labels[] = {
        [EP_ENABLED] = SL_CS_PREFIX "enabled",
        [EP_CONNECTION_DETAILS] = SL_CS_PREFIX "connection_details",
        [EP_DIRECT_ACCESS] = SL_CS_PREFIX "direct_access",
        [EP_COMPLETIONS] = SL_CS_PREFIX "completions",
    };
    endpoint ep;
    return match(path, &ep) ? labels[ep] : NULL;
}

sl_http_response sl_cs_route(sl_cs *cs, sl_store *st, const sl_http_request *req)
{
    call c;
    sl_token_auth auth;
    sl_error err = {0};
    sl_http_response r;
    char *token = NULL;
    size_t token_len = 0;
    endpoint ep;
    int found, reading = 1;
    sl_rc rc;
    if (req->body_too_large || req->body_len > SL_HTTP_BODY_MAX)
        return sl_http_resp_message(413, "413 Request Entity Too Large");
    if (!match(req->path, &ep))
        return sl_http_resp_message(404, "404 Not Found");
    if (!req->method || strcmp(req->method, "POST") != 0) {
        r = sl_http_resp_message(405, "405 Method Not Allowed");
        sl_http_resp_header(&r, "Allow", "POST");
        return r;
    }
    if (!st)
        return unavailable(NULL);
    memset(&c, 0, sizeof c);
    c.cs = cs;
    c.st = st;
    c.req = req;
    found = sl_http_find_token(req, &token, &token_len);
    if (found < 0)
        return engine_failure(SL_ENOMEM, &(sl_error){SL_ENOMEM, "out of memory"});
    if (!found)
        return unauthorized(0);
    /* the token, the acting user and the entitlement are read as one state
     * in one read transaction (SQLite locks and checks its files once, not
     * once a statement); enabled and connection_details only read, so theirs
     * lasts to the answer, the others write the user's Duo activity and end
     * it first */
    rc = sl_store_read_begin(st, &err);
    if (rc != SL_OK) {
        free(token);
        return engine_failure(rc, &err);
    }
    rc = sl_store_token_authenticate(st, token, token_len, &auth, &err);
    free(token);
    if (rc == SL_EAUTH) {
        r = unauthorized(0);
        goto done;
    }
    if (rc != SL_OK) {
        r = engine_failure(rc, &err);
        goto done;
    }
    if (!read_body(&c, &r) || !acting_user(&c, &auth, &r))
        goto done;
    rc = sl_store_code_suggestions_entitlement(st, c.has_user ? c.user_id : NULL, &c.ent, &err);
    if (rc != SL_OK) {
        r = engine_failure(rc, &err);
        goto done;
    }
    if (!c.ent.allowed) {
        r = unauthorized(1);
        goto done;
    }
    if (ep != EP_ENABLED && ep != EP_CONNECTION_DETAILS) {
        sl_store_read_end(st);
        reading = 0;
    }
    switch (ep) {
    case EP_ENABLED:
        r = h_enabled(&c);
        break;
    case EP_CONNECTION_DETAILS:
        r = h_connection_details(&c);
        break;
    case EP_DIRECT_ACCESS:
        r = h_direct_access(&c);
        break;
    case EP_COMPLETIONS:
    default:
        r = h_completions(&c);
        break;
    }
done:
    if (reading)
        sl_store_read_end(st);
    json_decref(c.doc);
    return r;
}
