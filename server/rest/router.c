/*
 * router.c - the License API of rest-api.md as a pure function: match the
 * route and method, authenticate the token, decode the body, call the
 * engine and turn its answer (or its error, through one table) into a
 * status, a content type and a body.
 */
#include "http_util.h"
#include "router.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CT_CSV "text/csv"
#define API_PREFIX "/api/v4/"
#define MULTIPART_BOUNDARY_MAX 70       /* RFC 2046 */
#define PART_HEADERS_MAX (8 * 1024)     /* header block of one multipart part */

/* ---- the one table: engine code -> HTTP status and client message ------- */

/* message NULL: send the engine's own message (it is meant for the user). */
static const struct {
    int status;
    const char *message;
} rc_http[SL_RC_COUNT] = {
    [SL_OK] = {200, NULL},
    [SL_EINVAL] = {400, NULL},
    [SL_ETOOBIG] = {413, "413 Request Entity Too Large"},
    [SL_ENOTFOUND] = {404, "404 Not found"},
    [SL_EEXIST] = {409, NULL},
    [SL_ECLOCK] = {409, NULL},
    [SL_EAUTH] = {401, "401 Unauthorized"},
    [SL_EFORBIDDEN] = {403, "403 Forbidden"},
    [SL_EUSAGE] = {500, "500 Internal Server Error"},
    [SL_ESTORAGE] = {500, "500 Internal Server Error"},
    [SL_ENOMEM] = {500, "500 Internal Server Error"},
    [SL_EINTERNAL] = {500, "500 Internal Server Error"},
    [SL_ETAMPERED] = {409, NULL},
};

/* ---- responses ---------------------------------------------------------- */

static sl_http_response resp_engine_json(int status, char *json)
{
    sl_http_response r = sl_http_resp_new(status);
    sl_http_resp_body(&r, SL_HTTP_CT_JSON, json, strlen(json));
    sl_free(json);
    return r;
}

/* An engine failure, through the table. */
static sl_http_response resp_error(sl_rc rc, const sl_error *err)
{
    sl_http_response r;
    int status = 500;
    const char *msg = "500 Internal Server Error";
    if ((int)rc > 0 && rc < SL_RC_COUNT) {
        status = rc_http[rc].status;
        msg = rc_http[rc].message ? rc_http[rc].message
              : err->message[0] ? err->message : sl_rc_name(rc);
    }
    r = sl_http_resp_message(status, msg);
    if (status >= 500 && r.status >= 500)
        snprintf(r.detail, sizeof r.detail, "%s",
                 err->message[0] ? err->message : sl_rc_name(rc));
    return r;
}

static sl_http_response resp_not_found_path(void)
{
    return sl_http_resp_message(404, "404 Not Found");
}

/* ---- request helpers ---------------------------------------------------- */

/* Keys pasted into a query string lose their '+' to form decoding.  Base64
 * has no spaces, so every space in the key blob was a '+'; BEGIN/END
 * boundary lines are the one place where spaces are real. */
static void license_restore_plus(char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t end = i;
        int boundary;
        while (end < n && s[end] != '\n')
            end++;
        boundary = sl_http_find_bytes(s + i, end - i, "LICENSE", 7) &&
                   (sl_http_find_bytes(s + i, end - i, "BEGIN", 5) || sl_http_find_bytes(s + i, end - i, "END", 3));
        for (size_t k = i; !boundary && k < end; k++) {
            if (s[k] == ' ')
                s[k] = '+';
        }
        i = end + 1;
    }
}

/* Parameter `name` of a header value such as `multipart/form-data;
 * boundary="x"`, copied into out.  1 found, 0 absent, empty or too long. */
static int header_param(const char *v, size_t vlen, const char *name, char *out,
                        size_t outsz)
{
    size_t nlen = strlen(name), i = 0;
    /* skip the leading token (media type or "form-data") */
    while (i < vlen && v[i] != ';')
        i++;
    while (i < vlen) {
        size_t len = 0;
        const char *q;
        int quoted;
        i++;  /* past ';' */
        while (i < vlen && (v[i] == ' ' || v[i] == '\t'))
            i++;
        if (vlen - i > nlen && strncasecmp(v + i, name, nlen) == 0 && v[i + nlen] == '=') {
            q = v + i + nlen + 1;
            quoted = q < v + vlen && *q == '"';
            if (quoted)
                q++;
            while (q + len < v + vlen &&
                   (quoted ? q[len] != '"'
                           : q[len] != ';' && q[len] != ' ' && q[len] != '\t'))
                len++;
            if (quoted && q + len >= v + vlen)
                return 0;
            if (len == 0 || len >= outsz)
                return 0;
            memcpy(out, q, len);
            out[len] = '\0';
            return 1;
        }
        /* next parameter: skip to ';' outside quotes */
        {
            int inq = 0;
            while (i < vlen && (inq || v[i] != ';')) {
                if (v[i] == '"')
                    inq = !inq;
                i++;
            }
        }
    }
    return 0;
}

/* A part's header block h[0..n) has a Content-Disposition naming `license`. */
static int part_is_license(const char *h, size_t n)
{
    static const char cd[] = "Content-Disposition:";
    size_t i = 0;
    while (i < n) {
        const char *eol = sl_http_find_bytes(h + i, n - i, "\r\n", 2);
        size_t end = eol ? (size_t)(eol - h) : n;
        char val[16];
        if (end - i > sizeof cd - 1 && strncasecmp(h + i, cd, sizeof cd - 1) == 0 &&
            header_param(h + i + sizeof cd - 1, end - i - (sizeof cd - 1), "name", val,
                         sizeof val) &&
            strcmp(val, "license") == 0)
            return 1;
        i = end + 2;
    }
    return 0;
}

/* The `license` part of a multipart/form-data body (RFC 7578).  1 found
 * (*out points into the body), 0 no such part, -1 malformed. */
static int multipart_license(const sl_http_request *req, const char **out,
                             size_t *out_len)
{
    const char *ct = sl_http_header_get(req, "Content-Type");
    char boundary[MULTIPART_BOUNDARY_MAX + 1];
    char delim[MULTIPART_BOUNDARY_MAX + 5];
    const char *b = req->body, *end, *p;
    size_t dlen;
    if (!ct || !b || !header_param(ct, strlen(ct), "boundary", boundary, sizeof boundary))
        return -1;
    end = b + req->body_len;
    dlen = (size_t)snprintf(delim, sizeof delim, "\r\n--%s", boundary);
    /* the first delimiter may open the body without the CRLF before it */
    if (req->body_len >= dlen - 2 && memcmp(b, delim + 2, dlen - 2) == 0) {
        p = b + dlen - 2;
    } else {
        p = sl_http_find_bytes(b, req->body_len, delim, dlen);
        if (!p)
            return -1;
        p += dlen;
    }
    for (;;) {
        const char *content, *next;
        size_t hlen;
        if (end - p >= 2 && p[0] == '-' && p[1] == '-')
            return 0;  /* close delimiter */
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        if (end - p < 2 || p[0] != '\r' || p[1] != '\n')
            return -1;
        p += 2;
        if (end - p >= 2 && p[0] == '\r' && p[1] == '\n') {
            hlen = 0;  /* a part without headers */
            content = p + 2;
        } else {
            const char *hend = sl_http_find_bytes(p, (size_t)(end - p), "\r\n\r\n", 4);
            if (!hend)
                return -1;
            hlen = (size_t)(hend - p);
            content = hend + 4;
        }
        if (hlen > PART_HEADERS_MAX)
            return -1;
        next = sl_http_find_bytes(content, (size_t)(end - content), delim, dlen);
        if (!next)
            return -1;
        if (part_is_license(p, hlen)) {
            *out = content;
            *out_len = (size_t)(next - content);
            return 1;
        }
        p = next + dlen;
    }
}

/* ---- routes ------------------------------------------------------------- */

enum {
    M_GET = 1,      /* HEAD is served as GET (the transport drops the body) */
    M_POST = 2,
    M_PUT = 4,
    M_DELETE = 8
};

typedef enum route_kind {
    ROUTE_LICENSE,        /* /api/v4/license */
    ROUTE_LICENSES,       /* /api/v4/licenses */
    ROUTE_LICENSE_ID,     /* /api/v4/license/:id */
    ROUTE_REFRESH,        /* /api/v4/license/:id/refresh_billable_users */
    ROUTE_USAGE_EXPORT    /* /api/v4/license/usage_export(.csv) */
} route_kind;

static const struct {
    unsigned methods;
    const char *allow;
} routes[] = {
    [ROUTE_LICENSE] = {M_GET | M_POST, "GET, HEAD, POST"},
    [ROUTE_LICENSES] = {M_GET, "GET, HEAD"},
    [ROUTE_LICENSE_ID] = {M_GET | M_DELETE, "GET, HEAD, DELETE"},
    [ROUTE_REFRESH] = {M_PUT, "PUT"},
    [ROUTE_USAGE_EXPORT] = {M_GET, "GET, HEAD"},
};

typedef struct route {
    route_kind kind;
    int64_t id;     /* license routes: the id, valid when id_ok */
    int id_ok;      /* a positive integer within int64 */
} route;

static unsigned method_bit(const char *m)
{
    if (!m)
        return 0;
    if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0)
        return M_GET;
    if (strcmp(m, "POST") == 0)
        return M_POST;
    if (strcmp(m, "PUT") == 0)
        return M_PUT;
    if (strcmp(m, "DELETE") == 0)
        return M_DELETE;
    return 0;
}

/* Route of a path.  Any run of digits is an id segment, so a well-formed
 * but impossible id (0, beyond int64) is a missing license, not a missing
 * route. */
static int match_route(const char *path, route *rt)
{
    const char *rest, *seg;
    size_t ndig = 0;
    int64_t id = 0;
    int ok = 1;
    memset(rt, 0, sizeof *rt);
    if (!path || strncmp(path, API_PREFIX, sizeof API_PREFIX - 1) != 0)
        return 0;
    rest = path + sizeof API_PREFIX - 1;
    if (strcmp(rest, "license") == 0) {
        rt->kind = ROUTE_LICENSE;
        return 1;
    }
    if (strcmp(rest, "licenses") == 0) {
        rt->kind = ROUTE_LICENSES;
        return 1;
    }
    if (strncmp(rest, "license/", 8) != 0)
        return 0;
    seg = rest + 8;
    if (strcmp(seg, "usage_export.csv") == 0 || strcmp(seg, "usage_export") == 0) {
        rt->kind = ROUTE_USAGE_EXPORT;
        return 1;
    }
    while (seg[ndig] >= '0' && seg[ndig] <= '9') {
        int d = seg[ndig] - '0';
        if (id > (INT64_MAX - d) / 10)
            ok = 0;
        else
            id = id * 10 + d;
        ndig++;
    }
    if (ndig == 0)
        return 0;
    if (seg[ndig] == '\0')
        rt->kind = ROUTE_LICENSE_ID;
    else if (strcmp(seg + ndig, "/refresh_billable_users") == 0)
        rt->kind = ROUTE_REFRESH;
    else
        return 0;
    rt->id = id;
    rt->id_ok = ok && id > 0;
    return 1;
}

const char *sl_route_label(const char *path)
{
    static const char *const labels[] = {
        [ROUTE_LICENSE] = "/api/v4/license",
        [ROUTE_LICENSES] = "/api/v4/licenses",
        [ROUTE_LICENSE_ID] = "/api/v4/license/:id",
        [ROUTE_REFRESH] = "/api/v4/license/:id/refresh_billable_users",
        [ROUTE_USAGE_EXPORT] = "/api/v4/license/usage_export",
    };
    route rt;
    return match_route(path, &rt) ? labels[rt.kind] : NULL;
}

/* ---- handlers ----------------------------------------------------------- */

static sl_http_response h_license_current(sl_store *st)
{
    sl_error err = {0};
    int64_t id = 0;
    char *json = NULL;
    sl_rc rc = sl_store_license_current(st, &id, &err);
    if (rc == SL_ENOTFOUND) {
        sl_http_response r = sl_http_resp_new(200);
        sl_http_resp_body(&r, SL_HTTP_CT_JSON, "null", 4);
        return r;
    }
    if (rc == SL_OK)
        rc = sl_store_license_entity_json(st, id, 1, &json, &err);
    if (rc != SL_OK)
        return resp_error(rc, &err);
    return resp_engine_json(200, json);
}

static sl_http_response h_licenses(sl_store *st)
{
    sl_error err = {0};
    char *json = NULL;
    sl_rc rc = sl_store_license_list_json(st, &json, &err);
    if (rc != SL_OK)
        return resp_error(rc, &err);
    return resp_engine_json(200, json);
}

static sl_http_response not_found_license(void)
{
    sl_error err = {.code = SL_ENOTFOUND};
    return resp_error(SL_ENOTFOUND, &err);
}

static sl_http_response h_license_get(sl_store *st, const route *rt)
{
    sl_error err = {0};
    char *json = NULL;
    sl_rc rc;
    if (!rt->id_ok)
        return not_found_license();
    rc = sl_store_license_entity_json(st, rt->id, 1, &json, &err);
    if (rc != SL_OK)
        return resp_error(rc, &err);
    return resp_engine_json(200, json);
}

static sl_http_response h_license_delete(sl_store *st, const route *rt)
{
    sl_error err = {0};
    sl_rc rc;
    if (!rt->id_ok)
        return not_found_license();
    rc = sl_store_license_delete(st, rt->id, SL_SOURCE_API, &err);
    if (rc != SL_OK)
        return resp_error(rc, &err);
    return sl_http_resp_new(204);
}

static sl_http_response h_refresh(sl_store *st, const route *rt)
{
    sl_error err = {0};
    sl_license *lic = NULL;
    sl_snapshot snap;
    int64_t created = 0;
    sl_http_response r;
    sl_rc rc;
    if (!rt->id_ok)
        return not_found_license();
    rc = sl_store_license_get(st, rt->id, &lic, &created, &err);
    sl_license_free(lic);
    if (rc == SL_OK)
        rc = sl_store_refresh(st, SL_SOURCE_API, &snap, &err);
    if (rc != SL_OK)
        return resp_error(rc, &err);
    r = sl_http_resp_new(202);
    sl_http_resp_body(&r, SL_HTTP_CT_JSON, "{\"success\":true}", 16);
    return r;
}

static sl_http_response h_usage_export(sl_store *st)
{
    sl_error err = {0};
    char *buf = NULL;
    size_t len = 0;
    sl_http_response r;
    sl_rc rc;
    FILE *f = open_memstream(&buf, &len);
    if (!f) {
        err.code = SL_ENOMEM;
        snprintf(err.message, sizeof err.message, "cannot buffer the usage export");
        return resp_error(SL_ENOMEM, &err);
    }
    rc = sl_store_usage_export(st, f, &err);
    if (fclose(f) != 0 && rc == SL_OK) {
        rc = SL_ENOMEM;
        snprintf(err.message, sizeof err.message, "cannot buffer the usage export");
    }
    if (rc != SL_OK) {
        free(buf);
        return resp_error(rc, &err);
    }
    r = sl_http_resp_new(200);
    sl_http_resp_body(&r, CT_CSV, buf, len);
    free(buf);
    if (r.status == 200)
        sl_http_resp_header(&r, "Content-Disposition", "attachment; filename=\"license_usage.csv\"");
    return r;
}

/* The dry_run query parameter of POST /license: 1 "true" or "1", 0 absent,
 * "false" or "0", -1 anything else, -2 out of memory. */
static int dry_run_param(const sl_http_request *req)
{
    char *v = NULL;
    size_t n = 0;
    int found = req->query ? sl_http_form_get(req->query, strlen(req->query), "dry_run", &v, &n) : 0;
    int r;
    if (found <= 0)
        return found < 0 ? -2 : 0;
    /* n, not strlen: a decoded %00 must not cut the value short */
    if ((n == 4 && memcmp(v, "true", 4) == 0) || (n == 1 && v[0] == '1'))
        r = 1;
    else if ((n == 5 && memcmp(v, "false", 5) == 0) || (n == 1 && v[0] == '0'))
        r = 0;
    else
        r = -1;
    free(v);
    return r;
}

/* POST /license: the key from the body (JSON, urlencoded or multipart
 * form) or else the `license` query parameter; with ?dry_run=true the
 * report of sl_store_license_check() instead, 200 whatever its verdict. */
static sl_http_response h_license_add(sl_store *st, const sl_http_request *req,
                                      const json_t *doc)
{
    sl_error err = {0};
    char *key = NULL, *json = NULL;
    size_t klen = 0;
    int found = 0, dry;
    int64_t id = 0;
    sl_http_response r;
    sl_rc rc;
    if (doc) {
        const json_t *v = json_is_object(doc) ? json_object_get(doc, "license") : NULL;
        if (v && !json_is_null(v)) {
            if (!json_is_string(v))
                return sl_http_resp_json_text(400, "error", "license is invalid");
            klen = json_string_length(v);
            key = malloc(klen + 1);
            if (!key)
                goto oom;
            memcpy(key, json_string_value(v), klen + 1);
            found = 1;
        }
    } else if (sl_http_content_type_is(req, SL_HTTP_CT_FORM)) {
        found = sl_http_form_get(req->body, req->body_len, "license", &key, &klen);
        if (found < 0)
            goto oom;
        if (found)
            license_restore_plus(key, klen);
    } else if (sl_http_content_type_is(req, "multipart/form-data")) {
        const char *part = NULL;
        found = multipart_license(req, &part, &klen);
        if (found < 0)
            return sl_http_resp_message(400, "400 Bad request - malformed multipart body");
        if (found) {
            key = malloc(klen + 1);
            if (!key)
                goto oom;
            memcpy(key, part, klen);
            key[klen] = '\0';
        }
    }
    if (!found && req->query) {
        found = sl_http_form_get(req->query, strlen(req->query), "license", &key, &klen);
        if (found < 0)
            goto oom;
        if (found)
            license_restore_plus(key, klen);
    }
    if (!found)
        return sl_http_resp_json_text(400, "error", "license is missing");
    dry = dry_run_param(req);
    if (dry < 0) {
        free(key);
        if (dry == -2)
            goto oom;
        return sl_http_resp_json_text(400, "error", "dry_run is invalid");
    }
    if (dry) {
        /* the report of what the add would do, refused or not; nothing stored */
        rc = sl_store_license_check(st, key, klen, &json, &err);
        free(key);
        if (rc != SL_OK)
            return resp_error(rc, &err);
        return resp_engine_json(200, json);
    }
    rc = sl_store_license_add(st, key, klen, SL_SOURCE_API, &id, &err);
    free(key);
    if (rc == SL_OK)
        rc = sl_store_license_entity_json(st, id, 1, &json, &err);
    if (rc != SL_OK)
        return resp_error(rc, &err);
    return resp_engine_json(201, json);
oom:
    free(key);
    r = sl_http_resp_message(500, "500 Internal Server Error");
    snprintf(r.detail, sizeof r.detail, "out of memory");
    return r;
}

/* ---- the entry point ---------------------------------------------------- */

sl_http_response sl_route_authenticate(sl_store *st, const sl_http_request *req, int *ok)
{
    sl_error err = {0};
    char *token = NULL;
    size_t token_len = 0;
    sl_rc rc;
    int found = sl_http_find_token(req, &token, &token_len);
    *ok = 0;
    if (found < 0) {
        sl_http_response r = sl_http_resp_message(500, "500 Internal Server Error");
        snprintf(r.detail, sizeof r.detail, "out of memory");
        return r;
    }
    if (!found)
        return sl_http_resp_message(401, "401 Unauthorized");
    rc = sl_store_token_check(st, token, token_len, &err);
    free(token);
    if (rc != SL_OK)
        return resp_error(rc, &err);
    *ok = 1;
    return sl_http_resp_new(200);
}

sl_http_response sl_route(sl_store *st, const sl_http_request *req)
{
    sl_http_response r;
    json_t *doc = NULL;
    route rt;
    int ok = 0, reading;
    if (req->body_too_large || req->body_len > SL_HTTP_BODY_MAX)
        return sl_http_resp_message(413, "413 Request Entity Too Large");
    if (!match_route(req->path, &rt))
        return resp_not_found_path();
    if (!(method_bit(req->method) & routes[rt.kind].methods)) {
        r = sl_http_resp_message(405, "405 Method Not Allowed");
        sl_http_resp_header(&r, "Allow", routes[rt.kind].allow);
        return r;
    }
    if (!st) {
        r = sl_http_resp_message(500, "500 Internal Server Error");
        snprintf(r.detail, sizeof r.detail, "the ledger is not open");
        return r;
    }
    /* a GET reads one state of the ledger, token check included, in one
     * read transaction: SQLite locks and checks its files once */
    reading = method_bit(req->method) == M_GET;
    if (reading) {
        sl_error err = {0};
        sl_rc rc = sl_store_read_begin(st, &err);
        if (rc != SL_OK)
            return resp_error(rc, &err);
    }
    r = sl_route_authenticate(st, req, &ok);
    if (!ok)
        goto done;
    /* bodies are looked at only once the caller is known to be an admin */
    if (sl_http_content_type_is(req, SL_HTTP_CT_JSON) && req->body && !sl_http_body_blank(req)) {
        json_error_t jerr;
        if (!sl_http_json_depth_ok(req->body, req->body_len)) {
            r = sl_http_resp_message(400, "400 Bad request - JSON body nested too deeply");
            goto done;
        }
        doc = json_loadb(req->body, req->body_len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES,
                         &jerr);
        if (!doc) {
            r = sl_http_resp_message(400, "400 Bad request - malformed JSON body");
            goto done;
        }
    }
    switch (rt.kind) {
    case ROUTE_LICENSE:
        r = method_bit(req->method) == M_POST ? h_license_add(st, req, doc)
                                              : h_license_current(st);
        break;
    case ROUTE_LICENSES:
        r = h_licenses(st);
        break;
    case ROUTE_LICENSE_ID:
        r = method_bit(req->method) == M_DELETE ? h_license_delete(st, &rt)
                                                : h_license_get(st, &rt);
        break;
    case ROUTE_REFRESH:
        r = h_refresh(st, &rt);
        break;
    case ROUTE_USAGE_EXPORT:
        r = h_usage_export(st);
        break;
    default:
        r = resp_not_found_path();
        break;
    }
done:
    if (reading)
        sl_store_read_end(st);
    json_decref(doc);
    return r;
}
