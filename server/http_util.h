/*
 * http_util.h - the request and response helpers every API surface's
 * dispatcher shares (server/http_util.c): pure functions over
 * sl_http_request / sl_http_response, no sockets.
 */
#ifndef SL_HTTP_UTIL_H
#define SL_HTTP_UTIL_H

#include "router.h"

/* ---- responses ---------------------------------------------------------- */

sl_http_response sl_http_resp_new(int status);
/* Copy len bytes as the body.  On allocation failure the response becomes a
 * bodiless 500, which is the most that can be said then. */
void sl_http_resp_body(sl_http_response *r, const char *ctype, const char *data, size_t len);
/* Add a header (name and value static or outliving the response); ignored
 * beyond SL_HTTP_RESPONSE_HEADERS_MAX. */
void sl_http_resp_header(sl_http_response *r, const char *name, const char *value);
/* Add a header whose value is copied into the response (a Set-Cookie made
 * for this request); ignored beyond SL_HTTP_RESPONSE_HEADERS_MAX.  On
 * allocation failure the response becomes a bodiless 500. */
void sl_http_resp_header_copy(sl_http_response *r, const char *name, const char *value);
/* {"<member>":"<text>"} with proper JSON escaping, application/json. */
sl_http_response sl_http_resp_json_text(int status, const char *member, const char *text);
/* {"message":"<text>"} */
sl_http_response sl_http_resp_message(int status, const char *text);
/* The JSON value j (taken; NULL allowed) as an application/json body; a
 * bodiless 500 when it cannot be written. */
struct json_t;
sl_http_response sl_http_resp_json(int status, struct json_t *j);

/* ---- requests ----------------------------------------------------------- */

#define SL_HTTP_CT_FORM "application/x-www-form-urlencoded"
/* exactly this: python-gitlab checks the Content-Type for equality */
#define SL_HTTP_CT_JSON "application/json"

/* (sl_http_header_get() is declared in router.h.) */
/* The value of a hexadecimal digit, -1 for any other character. */
int sl_http_hex_digit(char c);
/* First occurrence of needle in hay[0..n), or NULL. */
const char *sl_http_find_bytes(const char *hay, size_t n, const char *needle, size_t m);
/* Value of the first `name` parameter in the urlencoded s[0..n).
 * 1 found (*out malloc'd and decoded, may hold NUL bytes: see *out_len),
 * 0 absent, -1 out of memory. */
int sl_http_form_get(const char *s, size_t n, const char *name, char **out, size_t *out_len);
/* GitLab's malformed-string rule (its HandleMalformedStrings middleware):
 * the path, the query string or a urlencoded form body, percent-decoded,
 * or the Authorization header holds a NUL byte or bytes that are not UTF-8.  Such a request is answered
 * 400 "Bad Request" (text/plain) before any surface sees it.  Also 1 when
 * memory runs out deciding. */
int sl_http_malformed(const sl_http_request *req);
/* The media type of Content-Type is `type` (case-insensitive, parameters
 * ignored). */
int sl_http_content_type_is(const sl_http_request *req, const char *type);
/* The body is empty or only blanks. */
int sl_http_body_blank(const sl_http_request *req);
/* Nesting depth of JSON text (brackets outside strings) is at most
 * SL_JSON_DEPTH_MAX: checked before a parser recurses. */
int sl_http_json_depth_ok(const char *s, size_t n);
/* The value of cookie `name` in the request's Cookie headers (RFC 6265
 * syntax, the first one wins), copied into out (NUL-terminated).  1 found,
 * 0 absent, or longer than outsz - 1 bytes. */
int sl_http_cookie_get(const sl_http_request *req, const char *name, char *out, size_t outsz);
/* The presented token: PRIVATE-TOKEN header, Authorization: Bearer, then
 * the private_token / access_token query parameters (URL-decoded; a NUL
 * byte counts as part of the token).  1 found (*out malloc'd), 0 none, -1
 * out of memory. */
int sl_http_find_token(const sl_http_request *req, char **out, size_t *len);

#endif
