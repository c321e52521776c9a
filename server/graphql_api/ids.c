/*
 * ids.c - GitLab's Global IDs ("gid://gitlab/User/42") as the schema's ID
 * scalars read and write them, with GitLab's coercion messages
 * (Types::GlobalIDType), and the input checks of the Date and Time
 * scalars.  Which model a scalar holds is the table below.
 */
#include "graphql_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GID_PREFIX "gid://"
#define GID_APP "gitlab"
/* Bytes of a model id; longer ones are no id of ours (directory ids are at
 * most SL_USER_FIELD_MAX bytes). */
#define GID_ID_MAX SL_USER_FIELD_MAX
/* Bytes of a value quoted in a message. */
#define QUOTE_MAX 200

typedef struct gid_scalar {
    const char *scalar;          /* the schema's name */
    const char *model;           /* GitLab's model class, for messages */
    const char *const *accepts;  /* model names that are instances of it */
} gid_scalar;

static const char *const purchase_models[] = {"GitlabSubscriptions::AddOnPurchase", NULL};
static const char *const user_models[] = {"User", NULL};
static const char *const namespace_models[] = {"Namespace", "Group", "Namespaces::UserNamespace",
                                               "Namespaces::ProjectNamespace", NULL};

static const gid_scalar gid_scalars[] = {
    {"GitlabSubscriptionsAddOnPurchaseID", "GitlabSubscriptions::AddOnPurchase", purchase_models},
    {"UserID", "User", user_models},
    {"NamespaceID", "Namespace", namespace_models},
};

/* ---- writing ------------------------------------------------------------------ */

/* Characters a URI path segment holds as they are (RFC 3986 pchar). */
static int pchar(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           (c && strchr("-._~!$&'()*+,;=:@", c));
}

json_t *sl_graphql_gid(const char *model, const char *id)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(id), o;
    char *buf = malloc(sizeof GID_PREFIX + sizeof GID_APP + strlen(model) + 3 * n + 3);
    json_t *out;
    if (!buf)
        return NULL;
    o = (size_t)sprintf(buf, GID_PREFIX GID_APP "/%s/", model);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)id[i];
        if (pchar(c)) {
            buf[o++] = (char)c;
        } else {
            buf[o++] = '%';
            buf[o++] = hex[c >> 4];
            buf[o++] = hex[c & 15];
        }
    }
    buf[o] = '\0';
    out = json_string(buf);
    free(buf);
    return out;
}

json_t *sl_graphql_gid_int(const char *model, int64_t id)
{
    char num[24];
    snprintf(num, sizeof num, "%lld", (long long)id);
    return sl_graphql_gid(model, num);
}

/* ---- reading ------------------------------------------------------------------ */

/* Ruby's String#inspect of s, as GitLab's messages quote values. */
static void inspect(char *out, size_t size, const char *s, size_t n)
{
    size_t o = 0;
    if (size < 8)
        return;
    out[o++] = '"';
    for (size_t i = 0; i < n && o + 8 < size; i++) {
        unsigned char c = (unsigned char)s[i];
        if (i >= QUOTE_MAX) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        if (c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)c;
        } else if (c == '\n' || c == '\t' || c == '\r' || c == 27) {
            out[o++] = '\\';
            out[o++] = c == '\n' ? 'n' : c == '\t' ? 't' : c == '\r' ? 'r' : 'e';
        } else if (c < 0x20 || c == 0x7f) {
            o += (size_t)snprintf(out + o, size - o, "\\x%02X", c);
        } else {
            out[o++] = (char)c;
        }
    }
    out[o++] = '"';
    out[o] = '\0';
}

/* Percent-decode s[0..n) into out (out_size bytes); -1 for a malformed
 * escape, a NUL or an id too long. */
static int decode_id(const char *s, size_t n, char *out, size_t out_size)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%') {
            if (i + 2 >= n || sl_http_hex_digit(s[i + 1]) < 0 || sl_http_hex_digit(s[i + 2]) < 0)
                return -1;
            c = (char)(sl_http_hex_digit(s[i + 1]) * 16 + sl_http_hex_digit(s[i + 2]));
            i += 2;
        }
        if (c == '\0' || o + 1 >= out_size)
            return -1;
        out[o++] = c;
    }
    out[o] = '\0';
    return o > 0 ? 0 : -1;
}

static int name_char(char c, int model)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || (model && c == ':');
}

/* The parts of "gid://app/Model/id[?params]"; 0 when it is no Global ID. */
static int split_gid(const char *s, size_t n, const char **app, size_t *app_n,
                     const char **model, size_t *model_n, const char **id, size_t *id_n)
{
    const char *p, *end = s + n, *q;
    if (n < sizeof GID_PREFIX || strncmp(s, GID_PREFIX, sizeof GID_PREFIX - 1) != 0)
        return 0;
    p = s + sizeof GID_PREFIX - 1;
    *app = p;
    while (p < end && name_char(*p, 0))
        p++;
    *app_n = (size_t)(p - *app);
    if (*app_n == 0 || p >= end || *p != '/')
        return 0;
    *model = ++p;
    while (p < end && name_char(*p, 1))
        p++;
    *model_n = (size_t)(p - *model);
    if (*model_n == 0 || p >= end || *p != '/')
        return 0;
    *id = ++p;
    q = memchr(p, '?', (size_t)(end - p));
    *id_n = (size_t)((q ? q : end) - p);
    return *id_n > 0 && !memchr(*id, '/', *id_n);
}

static sl_rc coerce_gid(const json_t *in, json_t **out, void *userdata, sl_error *err)
{
    const gid_scalar *g = userdata;
    char quoted[QUOTE_MAX * 4 + 16], id[GID_ID_MAX + 1];
    const char *s, *app, *model, *idp;
    size_t n, app_n, model_n, id_n;
    int known = 0;
    *out = NULL;
    if (!json_is_string(in)) {
        char *text = json_dumps(in, JSON_ENCODE_ANY | JSON_COMPACT);
        sl_rc rc = sl_error_set(err, SL_EINVAL, "%.*s is not a valid Global ID", QUOTE_MAX,
                                text ? text : "?");
        free(text);
        return rc;
    }
    s = json_string_value(in);
    n = json_string_length(in);
    inspect(quoted, sizeof quoted, s, n);
    if (!split_gid(s, n, &app, &app_n, &model, &model_n, &idp, &id_n) ||
        decode_id(idp, id_n, id, sizeof id) < 0)
        return sl_error_set(err, SL_EINVAL, "%s is not a valid Global ID", quoted);
    if (app_n != strlen(GID_APP) || strncmp(app, GID_APP, app_n) != 0)
        return sl_error_set(err, SL_EINVAL, "%s is not a Gitlab Global ID", quoted);
    for (const char *const *m = g->accepts; *m; m++)
        known |= strlen(*m) == model_n && strncmp(*m, model, model_n) == 0;
    if (!known)
        return sl_error_set(err, SL_EINVAL, "%s does not represent an instance of %s", quoted,
                            g->model);
    *out = json_string(id);
    if (!*out)
        return sl_error_set(err, SL_EINVAL, "%s is not a valid Global ID", quoted);
    return SL_OK;
}

/* Date input: YYYY-MM-DD (Ruby's Date.iso8601 says "invalid date"). */
static sl_rc coerce_date(const json_t *in, json_t **out, void *userdata, sl_error *err)
{
    int32_t d;
    (void)userdata;
    *out = NULL;
    if (!json_is_string(in) || sl_date_parse(json_string_value(in), &d, NULL) != SL_OK)
        return sl_error_set(err, SL_EINVAL, "invalid date");
    *out = json_incref((json_t *)in);
    return SL_OK;
}

/* Time input: ISO 8601 (none of our arguments takes one; checked all the same). */
static sl_rc coerce_time(const json_t *in, json_t **out, void *userdata, sl_error *err)
{
    int64_t ms;
    (void)userdata;
    *out = NULL;
    if (!json_is_string(in) ||
        sl_time_parse_lenient(json_string_value(in), json_string_length(in), &ms) != SL_OK)
        return sl_error_set(err, SL_EINVAL, "invalid time");
    *out = json_incref((json_t *)in);
    return SL_OK;
}

sl_rc sl_graphql_bind_scalars(sl_gql_schema *s, sl_error *err)
{
    sl_rc rc = sl_gql_schema_scalar(s, "Date", coerce_date, NULL, err);
    if (rc == SL_OK)
        rc = sl_gql_schema_scalar(s, "Time", coerce_time, NULL, err);
    for (size_t i = 0; rc == SL_OK && i < sizeof gid_scalars / sizeof gid_scalars[0]; i++)
        rc = sl_gql_schema_scalar(s, gid_scalars[i].scalar, coerce_gid, (void *)&gid_scalars[i],
                                  err);
    return rc;
}
