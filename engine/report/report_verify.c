/*
 * report/report_verify.c - checking a signed usage report offline, with
 * nothing but the report and the instance's Ed25519 public key
 * (docs/trust.md): its shape, its signature over the canonical bytes (RFC
 * 8785 of the report without its signature, which jansson's sorted compact
 * form is for the values a report may hold), its chain records from start
 * to head, every row it lists against its record, that it lists every
 * snapshot of its window, and its license key against the one chained when
 * it was added.  And that a newer report extends an older one.  The report
 * is untrusted input: every limit is named here (tests/fuzz/fuzz_report.c).
 */
#include "report/report_internal.h"
#include "license/base64.h"
#include "license/keyring_internal.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

#define REPORT_FORMAT "seatledger-usage-report"
#define REPORT_VERSION 1
/* signed bytes: this prefix, then the canonical JSON */
#define REPORT_SIGNING_PREFIX "seatledger usage report v1\n"
#define REPORT_ROWS_MAX SL_REPORT_POSITIONS_MAX   /* rows a report lists */
#define REPORT_KEY_MAX (64 * 1024)                /* bytes of the license key */
#define REPORT_PEM_MAX 4096                       /* the instance key file */
#define ED25519_SIG_LEN 64
#define TIME_LEN 24                               /* YYYY-MM-DDTHH:MM:SS.mmmZ */

/* ---- small strict readers ------------------------------------------------ */

static sl_rc bad(sl_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static sl_rc bad(sl_error *err, const char *fmt, ...)
{
    char msg[SL_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return sl__err(err, SL_EINVAL, "%s", msg);
}

/* Untrusted text for a message: at most size-1 bytes, printable ASCII,
 * anything else as '?'. */
static const char *shown(const char *s, char *buf, size_t size)
{
    size_t i;
    for (i = 0; s[i] && i < size - 1; i++)
        buf[i] = (unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f ? '?' : s[i];
    buf[i] = '\0';
    return buf;
}

/* The members of `o` are exactly `names` (NULL-terminated). */
static sl_rc members(const json_t *o, const char *what, const char *const *names, sl_error *err)
{
    const char *key;
    json_t *v;
    size_t n = 0;
    if (!json_is_object(o))
        return bad(err, "%s is not a JSON object", what);
    json_object_foreach((json_t *)o, key, v) {
        int known = 0;
        (void)v;
        for (const char *const *p = names; *p && !known; p++)
            known = strcmp(*p, key) == 0;
        if (!known) {
            char buf[41];
            return bad(err, "%s has an unexpected member '%s'", what, shown(key, buf, sizeof buf));
        }
    }
    for (const char *const *p = names; *p; p++, n++) {
        if (!json_object_get(o, *p))
            return bad(err, "%s has no member '%s'", what, *p);
    }
    return SL_OK;
}

static sl_rc get_int(const json_t *o, const char *name, const char *what, int64_t min,
                     int64_t *out, sl_error *err)
{
    const json_t *v = json_object_get(o, name);
    *out = 0;
    if (!json_is_integer(v) || json_integer_value(v) < min)
        return bad(err, "%s: '%s' is not an integer of at least %lld", what, name,
                   (long long)min);
    *out = json_integer_value(v);
    return SL_OK;
}

static sl_rc get_str(const json_t *o, const char *name, const char *what, const char **out,
                     size_t *len, sl_error *err)
{
    const json_t *v = json_object_get(o, name);
    *out = "";
    if (len)
        *len = 0;
    if (!json_is_string(v))
        return bad(err, "%s: '%s' is not a string", what, name);
    *out = json_string_value(v);
    if (len)
        *len = json_string_length(v);
    return SL_OK;
}

/* An instant exactly as the engine writes it: YYYY-MM-DDTHH:MM:SS.mmmZ. */
static int parse_time(const char *s, int64_t *out)
{
    char again[32];
    if (!s || strlen(s) != TIME_LEN || sl_time_parse(s, out, NULL) != SL_OK)
        return -1;
    sl_time_format_rfc3339(*out, again, sizeof again);
    return strcmp(again, s) == 0 ? 0 : -1;
}

static sl_rc get_time(const json_t *o, const char *name, const char *what, int64_t *out,
                      sl_error *err)
{
    const char *s = "";
    *out = 0;
    sl_rc rc = get_str(o, name, what, &s, NULL, err);
    if (rc == SL_OK && parse_time(s, out) != 0)
        return bad(err, "%s: '%s' is not an instant written YYYY-MM-DDTHH:MM:SS.mmmZ", what, name);
    return rc;
}

static int unhex(const char *s, unsigned char *out, size_t n)
{
    if (!s || strlen(s) != 2 * n)
        return -1;
    for (size_t i = 0; i < 2 * n; i++) {
        char c = s[i];
        int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (v < 0)
            return -1;
        out[i / 2] = (unsigned char)(i % 2 ? (out[i / 2] << 4) | v : v);
    }
    return 0;
}

static sl_rc get_hash(const json_t *o, const char *name, const char *what,
                      unsigned char out[SL__CHAIN_HASH_LEN], sl_error *err)
{
    const char *s = "";
    sl_rc rc = get_str(o, name, what, &s, NULL, err);
    if (rc == SL_OK && unhex(s, out, SL__CHAIN_HASH_LEN) != 0)
        return bad(err, "%s: '%s' is not 64 lowercase hex digits", what, name);
    return rc;
}

/* Standard base64 with padding and nothing else; *out is malloc'ed. */
static int unbase64(const char *s, size_t len, unsigned char **out, size_t *n)
{
    size_t pad = 0, k = 0;
    uint32_t acc = 0;
    unsigned char *p;
    *out = NULL;
    *n = 0;
    if (len % 4)
        return -1;
    if (len && s[len - 1] == '=')
        pad = len >= 2 && s[len - 2] == '=' ? 2 : 1;
    p = malloc(len / 4 * 3 + 1);
    if (!p)
        return -2;
    for (size_t i = 0; i < len; i++) {
        int v = i >= len - pad ? 0 : sl__base64_value((unsigned char)s[i]);
        if (v < 0) {
            free(p);
            return -1;
        }
        acc = (acc << 6) | (uint32_t)v;
        if (i % 4 == 3) {
            p[k++] = (unsigned char)(acc >> 16);
            p[k++] = (unsigned char)(acc >> 8);
            p[k++] = (unsigned char)acc;
            acc = 0;
        }
    }
    /* the padded-away bits must be zero, as an encoder writes them */
    if ((pad == 1 && (p[k - 1] != 0)) || (pad == 2 && (p[k - 1] != 0 || p[k - 2] != 0))) {
        free(p);
        return -1;
    }
    *out = p;
    *n = k - pad;
    return 0;
}

/* Every value a report may hold: objects, arrays, strings without control
 * characters, integers, true, false, null; no real numbers.  Then the
 * canonical form (RFC 8785) is jansson's compact form with sorted keys. */
static sl_rc plain_values(const json_t *v, int depth, sl_error *err)
{
    size_t i;
    const char *key;
    json_t *x;
    if (depth > SL_JSON_DEPTH_MAX)
        return bad(err, "the report is nested deeper than %d levels", SL_JSON_DEPTH_MAX);
    switch (json_typeof(v)) {
    case JSON_REAL:
        return bad(err, "the report holds a number that is not an integer");
    case JSON_STRING: {
        const char *s = json_string_value(v);
        for (i = 0; i < json_string_length(v); i++) {
            if ((unsigned char)s[i] < 0x20)
                return bad(err, "the report holds a string with a control character");
        }
        return SL_OK;
    }
    case JSON_ARRAY:
        json_array_foreach(v, i, x) {
            sl_rc rc = plain_values(x, depth + 1, err);
            if (rc != SL_OK)
                return rc;
        }
        return SL_OK;
    case JSON_OBJECT:
        json_object_foreach((json_t *)v, key, x) {
            sl_rc rc;
            for (const char *p = key; *p; p++) {
                if ((unsigned char)*p < 0x20)
                    return bad(err, "the report holds a string with a control character");
            }
            rc = plain_values(x, depth + 1, err);
            if (rc != SL_OK)
                return rc;
        }
        return SL_OK;
    default:
        return SL_OK;
    }
}

sl_rc sl__report_signed_bytes(const json_t *report, char **out, size_t *len, sl_error *err)
{
    char *canon = json_dumps(report, JSON_COMPACT | JSON_SORT_KEYS);
    size_t n, p = sizeof REPORT_SIGNING_PREFIX - 1;
    *out = NULL;
    if (!canon)
        return sl__err(err, SL_ENOMEM, "out of memory");
    n = strlen(canon);
    *out = malloc(p + n + 1);
    if (!*out) {
        free(canon);
        return sl__err(err, SL_ENOMEM, "out of memory");
    }
    memcpy(*out, REPORT_SIGNING_PREFIX, p);
    memcpy(*out + p, canon, n + 1);
    *len = p + n;
    free(canon);
    return SL_OK;
}

const char *sl__report_format(int *version)
{
    *version = REPORT_VERSION;
    return REPORT_FORMAT;
}

/* ---- the instance key ------------------------------------------------------ */

sl_rc sl__report_key_sha256(EVP_PKEY *pk, char out[SL_CHAIN_HASH_HEX], sl_error *err)
{
    unsigned char kid[SL__KID_LEN];
    if (sl__pkey_kid(pk, kid) != SL_OK)
        return sl__err(err, SL_EINTERNAL, "cannot fingerprint the instance key");
    sl__hex(kid, sizeof kid, out);
    return SL_OK;
}

static sl_rc load_key(const char *pem, size_t len, EVP_PKEY **out, char sha[SL_CHAIN_HASH_HEX],
                      sl_error *err)
{
    BIO *b;
    sl_rc rc;
    *out = NULL;
    if (len > REPORT_PEM_MAX)
        return sl__err(err, SL_ETOOBIG, "instance key of %zu bytes is over the limit of %d",
                       len, REPORT_PEM_MAX);
    b = BIO_new_mem_buf(pem, (int)len);
    *out = b ? PEM_read_bio_PUBKEY(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    if (!*out || EVP_PKEY_get_base_id(*out) != EVP_PKEY_ED25519) {
        EVP_PKEY_free(*out);
        *out = NULL;
        return sl__err(err, SL_EINVAL, "the instance key is not an Ed25519 public key in SPKI "
                       "PEM ('seatledger keys instance-public --reports' prints it)");
    }
    rc = sl__report_key_sha256(*out, sha, err);
    if (rc != SL_OK) {
        EVP_PKEY_free(*out);
        *out = NULL;
    }
    return rc;
}

/* ---- one report ------------------------------------------------------------- */

typedef struct restart {
    int64_t position;
    unsigned char hash[SL__CHAIN_HASH_LEN];
} restart;

typedef struct report {
    json_t *root;
    sl_report_info info;
    int64_t start, head;
    unsigned char start_hash[SL__CHAIN_HASH_LEN], head_hash[SL__CHAIN_HASH_LEN];
    unsigned char *records;      /* (head - start) records */
    restart *restarts;
    size_t nrestarts;
} report;

static void report_free(report *r)
{
    json_decref(r->root);
    free(r->records);
    free(r->restarts);
    memset(r, 0, sizeof *r);
}

static const unsigned char *record_at(const report *r, int64_t pos)
{
    return r->records + (size_t)(pos - r->start - 1) * SL__CHAIN_RECORD_LEN;
}

static const char *const top_names[] = {"format", "version", "instance_id", "generated_at",
                                        "window", "license", "snapshots", "add_on_snapshots",
                                        "breaks", "chain", "signature", NULL};
static const char *const window_names[] = {"from", "to", NULL};
static const char *const license_names[] = {"id", "key_base64", "added", NULL};
static const char *const added_names[] = {"position", "id", "at", NULL};
static const char *const chain_names[] = {"start", "head", "records", "restarts", NULL};
static const char *const point_names[] = {"position", "hash", NULL};
static const char *const sig_names[] = {"algorithm", "public_key_sha256", "value", NULL};
static const char *const break_names[] = {"kind", "position", "last_position", "table",
                                          "row_id", "recorded_at", "acknowledged_at", NULL};

static sl_rc check_uuid(const char *s, sl_error *err)
{
    if (strlen(s) != SL_INSTANCE_UUID_LEN)
        goto fail;
    for (int i = 0; i < SL_INSTANCE_UUID_LEN; i++) {
        int dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            goto fail;
    }
    return SL_OK;
fail:
    return bad(err, "'instance_id' is not a UUID");
}

/* Shape, value restrictions and the signature. */
static sl_rc check_signed(report *r, const char *json, size_t len, EVP_PKEY *pk,
                          const char *key_sha, sl_error *err)
{
    json_error_t jerr;
    const json_t *sig, *chain;
    json_t *body = NULL;
    const char *s, *fmt, *id;
    unsigned char *sigbin = NULL;
    size_t siglen = 0, slen, n;
    char *signed_bytes = NULL;
    EVP_MD_CTX *ctx = NULL;
    int64_t version;
    sl_rc rc;
    if (len > SL_REPORT_BYTES_MAX)
        return sl__err(err, SL_ETOOBIG, "report of %zu bytes is over the limit of %d", len,
                       SL_REPORT_BYTES_MAX);
    if (!sl__json_depth_ok(json, len, SL_JSON_DEPTH_MAX))
        return bad(err, "the report is nested deeper than %d levels", SL_JSON_DEPTH_MAX);
    r->root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!r->root) {
        /* jansson quotes the input near the error: only printable ASCII of it */
        for (char *p = jerr.text; *p; p++) {
            if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
                *p = '?';
        }
        return bad(err, "the report is not JSON (line %d, column %d: %s)", jerr.line,
                   jerr.column, jerr.text);
    }
    if (!json_is_object(r->root))
        return bad(err, "the report is not a JSON object");
    fmt = json_string_value(json_object_get(r->root, "format"));
    if (!fmt || strcmp(fmt, REPORT_FORMAT) != 0)
        return bad(err, "not a seatledger usage report (its 'format' is not '%s')",
                   REPORT_FORMAT);
    rc = get_int(r->root, "version", "the report", 0, &version, err);
    if (rc != SL_OK)
        return rc;
    if (version != REPORT_VERSION)
        return bad(err, "the report is of version %lld; this seatledger reads version %d",
                   (long long)version, REPORT_VERSION);
    rc = members(r->root, "the report", top_names, err);
    if (rc == SL_OK)
        rc = plain_values(r->root, 0, err);
    if (rc != SL_OK)
        return rc;
    sig = json_object_get(r->root, "signature");
    rc = members(sig, "the signature", sig_names, err);
    if (rc == SL_OK)
        rc = get_str(sig, "algorithm", "the signature", &s, NULL, err);
    if (rc == SL_OK && strcmp(s, "ed25519") != 0) {
        char buf[21];
        rc = bad(err, "the signature's algorithm is '%s', not 'ed25519'", shown(s, buf, sizeof buf));
    }
    if (rc == SL_OK) {
        unsigned char sha[SL__CHAIN_HASH_LEN];
        rc = get_hash(sig, "public_key_sha256", "the signature", sha, err);
    }
    if (rc != SL_OK)
        return rc;
    s = json_string_value(json_object_get(sig, "public_key_sha256"));
    if (strcmp(s, key_sha) != 0)
        return bad(err, "the report was signed with the key of SHA-256 %s, not with this "
                   "instance key (%s)", s, key_sha);
    rc = get_str(sig, "value", "the signature", &s, &slen, err);
    if (rc != SL_OK)
        return rc;
    if (unbase64(s, slen, &sigbin, &siglen) != 0 || siglen != ED25519_SIG_LEN) {
        free(sigbin);
        return bad(err, "the signature's value is not the base64 of %d bytes", ED25519_SIG_LEN);
    }
    body = json_deep_copy(r->root);
    if (!body || json_object_del(body, "signature") != 0) {
        rc = sl__err(err, SL_ENOMEM, "out of memory");
        goto done;
    }
    rc = sl__report_signed_bytes(body, &signed_bytes, &n, err);
    if (rc != SL_OK)
        goto done;
    ctx = EVP_MD_CTX_new();
    if (!ctx || EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pk) != 1) {
        rc = sl__err(err, SL_EINTERNAL, "cannot verify the report's signature");
        goto done;
    }
    if (EVP_DigestVerify(ctx, sigbin, siglen, (const unsigned char *)signed_bytes, n) != 1) {
        rc = bad(err, "the report's signature does not verify: the report was changed after "
                 "it was signed");
        goto done;
    }
    id = json_string_value(json_object_get(r->root, "instance_id"));
    if (!id) {
        rc = bad(err, "the report: 'instance_id' is not a string");
        goto done;
    }
    rc = check_uuid(id, err);
    if (rc != SL_OK)
        goto done;
    snprintf(r->info.instance_id, sizeof r->info.instance_id, "%s", id);
    snprintf(r->info.key_sha256, sizeof r->info.key_sha256, "%s", key_sha);
    chain = json_object_get(r->root, "chain");
    rc = members(chain, "the chain", chain_names, err);
done:
    EVP_MD_CTX_free(ctx);
    free(signed_bytes);
    free(sigbin);
    json_decref(body);
    return rc;
}

static int restart_cmp(const void *a, const void *b)
{
    int64_t x = ((const restart *)a)->position, y = ((const restart *)b)->position;
    return x < y ? -1 : x > y;
}

static const restart *find_restart(const report *r, int64_t pos)
{
    restart key = {pos, {0}};
    return r->nrestarts ? bsearch(&key, r->restarts, r->nrestarts, sizeof key, restart_cmp)
                        : NULL;
}

/* The hash at position `upto` recomputed from the start through the
 * records and restarts; *known is 0 when positions without a row leave it
 * undetermined there. */
static sl_rc walk_records(const report *r, int64_t upto, unsigned char h[SL__CHAIN_HASH_LEN],
                          int *known, sl_error *err)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    sl_rc rc = SL_OK;
    if (!ctx)
        return sl__err(err, SL_ENOMEM, "out of memory");
    memcpy(h, r->start_hash, SL__CHAIN_HASH_LEN);
    *known = 1;
    for (int64_t pos = r->start + 1; pos <= upto && rc == SL_OK; pos++) {
        const unsigned char *digest;
        const restart *re = find_restart(r, pos);
        int code;
        int64_t row_id, at;
        sl__chain_record_get(record_at(r, pos), &code, &row_id, &at, &digest);
        if (code != 0 && !sl__chain_table_by_code(code)) {
            rc = bad(err, "the chain's record at position %lld names no chained table (code %d)",
                     (long long)pos, code);
        } else if (re) {
            memcpy(h, re->hash, SL__CHAIN_HASH_LEN);
            *known = 1;
        } else if (code == 0) {
            *known = 0;   /* a position without a row: the next one must restart */
        } else if (!*known) {
            rc = bad(err, "the chain cannot be followed past position %lld: position %lld has "
                     "no restart", (long long)pos - 1, (long long)pos);
        } else if (sl__chain_link(ctx, h, code, row_id, at, digest, h) != 0) {
            rc = sl__err(err, SL_EINTERNAL, "cannot verify the chain: SHA-256 failed");
        }
    }
    EVP_MD_CTX_free(ctx);
    return rc;
}

/* The chain: start, head, records and restarts, recomputed start to head. */
static sl_rc check_chain(report *r, sl_error *err)
{
    const json_t *chain = json_object_get(r->root, "chain"), *start, *head, *rs, *x;
    const char *s;
    size_t slen, nbytes, i;
    unsigned char h[SL__CHAIN_HASH_LEN];
    int known = 1;
    sl_rc rc;
    start = json_object_get(chain, "start");
    head = json_object_get(chain, "head");
    rc = members(start, "the chain's start", point_names, err);
    if (rc == SL_OK)
        rc = members(head, "the chain's head", point_names, err);
    if (rc == SL_OK)
        rc = get_int(start, "position", "the chain's start", 0, &r->start, err);
    if (rc == SL_OK)
        rc = get_int(head, "position", "the chain's head", 0, &r->head, err);
    if (rc == SL_OK)
        rc = get_hash(start, "hash", "the chain's start", r->start_hash, err);
    if (rc == SL_OK)
        rc = get_hash(head, "hash", "the chain's head", r->head_hash, err);
    if (rc != SL_OK)
        return rc;
    if (r->head < r->start)
        return bad(err, "the chain's head (position %lld) is before its start (position %lld)",
                   (long long)r->head, (long long)r->start);
    if (r->head - r->start > SL_REPORT_POSITIONS_MAX)
        return sl__err(err, SL_ETOOBIG, "the report covers %lld chain positions, over the "
                       "limit of %d", (long long)(r->head - r->start), SL_REPORT_POSITIONS_MAX);
    rc = get_str(chain, "records", "the chain", &s, &slen, err);
    if (rc != SL_OK)
        return rc;
    {
        int d = unbase64(s, slen, &r->records, &nbytes);
        if (d == -2)
            return sl__err(err, SL_ENOMEM, "out of memory");
        if (d != 0)
            return bad(err, "the chain's records are not base64");
    }
    if (nbytes != (size_t)(r->head - r->start) * SL__CHAIN_RECORD_LEN)
        return bad(err, "the chain's records hold %zu bytes, not the %lld that positions %lld "
                   "to %lld take", nbytes, (long long)(r->head - r->start) * SL__CHAIN_RECORD_LEN,
                   (long long)r->start + 1, (long long)r->head);
    rs = json_object_get(chain, "restarts");
    if (!json_is_array(rs))
        return bad(err, "the chain's 'restarts' is not an array");
    if (json_array_size(rs) > (size_t)(r->head - r->start))
        return bad(err, "the chain has more restarts than positions");
    r->restarts = calloc(json_array_size(rs) + 1, sizeof *r->restarts);
    if (!r->restarts)
        return sl__err(err, SL_ENOMEM, "out of memory");
    json_array_foreach(rs, i, x) {
        restart *p = &r->restarts[r->nrestarts];
        rc = members(x, "a restart of the chain", point_names, err);
        if (rc == SL_OK)
            rc = get_int(x, "position", "a restart of the chain", 1, &p->position, err);
        if (rc == SL_OK)
            rc = get_hash(x, "hash", "a restart of the chain", p->hash, err);
        if (rc != SL_OK)
            return rc;
        if (p->position <= r->start || p->position > r->head ||
            (r->nrestarts && p->position <= r->restarts[r->nrestarts - 1].position))
            return bad(err, "the chain's restart at position %lld is out of order or outside "
                       "positions %lld to %lld", (long long)p->position,
                       (long long)r->start + 1, (long long)r->head);
        r->nrestarts++;
    }
    rc = walk_records(r, r->head, h, &known, err);
    if (rc != SL_OK)
        return rc;
    if (!known || memcmp(h, r->head_hash, sizeof h) != 0) {
        char a[65], b[65];
        sl__hex(h, sizeof h, a);
        sl__hex(r->head_hash, sizeof h, b);
        return bad(err, "the chain's records do not lead to its head: they give %s at position "
                   "%lld, the head says %s", known ? a : "no hash", (long long)r->head, b);
    }
    r->info.start_position = r->start;
    r->info.head_position = r->head;
    sl__hex(r->head_hash, sizeof r->head_hash, r->info.head_hash);
    r->info.restarts = (int64_t)r->nrestarts;
    return SL_OK;
}

/* One listed row of table t against its record: the digest of its fields
 * in canonical order must be the record's. */
static sl_rc check_row(report *r, const sl__chain_table *t, const json_t *row, const char *what,
                       sl__chain_digest *d, int64_t *out_pos, int64_t *out_at, sl_error *err)
{
    const char *names[SL__CHAIN_COLS_MAX + 3];
    unsigned char digest[SL__CHAIN_HASH_LEN];
    const unsigned char *rec, *rec_digest;
    int64_t pos, id, at = 0, rec_id, rec_at;
    int code;
    char label[64];
    sl_rc rc;
    names[0] = "position";
    names[1] = "id";
    for (int c = 0; c < t->ncols; c++)
        names[2 + c] = t->columns[c];
    names[2 + t->ncols] = NULL;
    rc = members(row, what, names, err);
    if (rc == SL_OK)
        rc = get_int(row, "position", what, 1, &pos, err);
    if (rc == SL_OK)
        rc = get_int(row, "id", what, 1, &id, err);
    if (rc != SL_OK)
        return rc;
    snprintf(label, sizeof label, "%s row %lld (position %lld)", t->name, (long long)id,
             (long long)pos);
    if (pos <= r->start || pos > r->head)
        return bad(err, "%s is outside the chain's positions %lld to %lld", label,
                   (long long)r->start + 1, (long long)r->head);
    sl__chain_digest_begin(d);
    for (int c = 0; c < t->ncols; c++) {
        const json_t *v = json_object_get(row, t->columns[c]);
        if (json_is_null(v)) {
            sl__chain_digest_null(d);
        } else if (t->kinds[c] == SL__COL_TIME) {
            int64_t ms;
            if (!json_is_string(v) || parse_time(json_string_value(v), &ms) != 0)
                return bad(err, "%s: '%s' is not an instant written YYYY-MM-DDTHH:MM:SS.mmmZ",
                           label, t->columns[c]);
            sl__chain_digest_int(d, ms);
            if (c == t->time_col)
                at = ms;
        } else if (json_is_integer(v)) {
            sl__chain_digest_int(d, json_integer_value(v));
        } else if (json_is_string(v)) {
            sl__chain_digest_text(d, json_string_value(v), json_string_length(v));
        } else {
            return bad(err, "%s: '%s' is neither a number, a string nor null", label,
                       t->columns[c]);
        }
    }
    if (sl__chain_digest_end(d, digest) != 0)
        return sl__err(err, SL_EINTERNAL, "cannot verify the report: SHA-256 failed");
    rec = record_at(r, pos);
    sl__chain_record_get(rec, &code, &rec_id, &rec_at, &rec_digest);
    if (code != t->code || rec_id != id)
        return bad(err, "%s: the chain's record at that position is not that row", label);
    if (rec_at != at || memcmp(rec_digest, digest, sizeof digest) != 0)
        return bad(err, "%s does not match the chain: the row was changed after it was chained, "
                   "or in the report", label);
    *out_pos = pos;
    *out_at = at;
    return SL_OK;
}

/* The listed rows of one table: each matches its record, in chain order,
 * and every record of the table in the window is listed. */
static sl_rc check_rows(report *r, const sl__chain_table *t, const char *member,
                        sl__chain_digest *d, int64_t *count, sl_error *err)
{
    const json_t *rows = json_object_get(r->root, member), *row;
    int64_t last = r->start, from = r->info.from_ms, to = r->info.to_ms;
    size_t i, next = 0;
    char what[64];
    sl_rc rc;
    if (!json_is_array(rows))
        return bad(err, "the report's '%s' is not an array", member);
    if (json_array_size(rows) > REPORT_ROWS_MAX)
        return sl__err(err, SL_ETOOBIG, "the report lists more than %d %s", REPORT_ROWS_MAX,
                       member);
    json_array_foreach(rows, i, row) {
        int64_t pos = 0, at = 0;
        snprintf(what, sizeof what, "%s %zu of the report", member, i + 1);
        rc = check_row(r, t, row, what, d, &pos, &at, err);
        if (rc != SL_OK)
            return rc;
        if (pos <= last)
            return bad(err, "%s are not in chain order (position %lld after %lld)", member,
                       (long long)pos, (long long)last);
        if (at < from || at > to)
            return bad(err, "%s row %lld (position %lld) lies outside the report's window",
                       t->name, (long long)json_integer_value(json_object_get(row, "id")),
                       (long long)pos);
        if (t->code == 2) {
            int64_t n = json_integer_value(json_object_get(row, "billable_user_count"));
            if (r->info.snapshots == 0 || n > r->info.peak_count) {
                r->info.peak_count = n;
                r->info.peak_at_ms = at;
            }
            r->info.snapshots++;
        }
        last = pos;
    }
    *count = (int64_t)json_array_size(rows);
    /* completeness: every record of t in the window is listed */
    for (int64_t pos = r->start + 1; pos <= r->head; pos++) {
        const unsigned char *digest;
        int code;
        int64_t id, at;
        sl__chain_record_get(record_at(r, pos), &code, &id, &at, &digest);
        if (code != t->code || at < from || at > to)
            continue;
        while (next < json_array_size(rows) &&
               json_integer_value(json_object_get(json_array_get(rows, next), "position")) < pos)
            next++;
        if (next == json_array_size(rows) ||
            json_integer_value(json_object_get(json_array_get(rows, next), "position")) != pos) {
            char when[32];
            return bad(err, "%s row %lld (position %lld, recorded %s) is in the report's window "
                       "but not in the report", t->name, (long long)id, (long long)pos,
                       sl_time_format_rfc3339(at, when, sizeof when));
        }
    }
    return SL_OK;
}

static sl_rc check_license(report *r, sl__chain_digest *d, sl_error *err)
{
    const json_t *lic = json_object_get(r->root, "license"), *added;
    const char *key64;
    unsigned char *key = NULL, digest[SL__CHAIN_HASH_LEN];
    const unsigned char *rec_digest;
    size_t len, keylen;
    int64_t pos, id, at, lid, rec_id, rec_at;
    int code, u;
    sl_rc rc = members(lic, "the license", license_names, err);
    if (rc == SL_OK)
        rc = get_int(lic, "id", "the license", 1, &lid, err);
    if (rc == SL_OK)
        rc = get_str(lic, "key_base64", "the license", &key64, &len, err);
    added = json_object_get(lic, "added");
    if (rc == SL_OK)
        rc = members(added, "the license's addition", added_names, err);
    if (rc == SL_OK)
        rc = get_int(added, "position", "the license's addition", 1, &pos, err);
    if (rc == SL_OK)
        rc = get_int(added, "id", "the license's addition", 1, &id, err);
    if (rc == SL_OK)
        rc = get_time(added, "at", "the license's addition", &at, err);
    if (rc != SL_OK)
        return rc;
    if (len > REPORT_KEY_MAX * 4 / 3 + 4)
        return sl__err(err, SL_ETOOBIG, "the license key is over the limit of %d bytes",
                       REPORT_KEY_MAX);
    u = unbase64(key64, len, &key, &keylen);
    if (u == -2)
        return sl__err(err, SL_ENOMEM, "out of memory");
    if (u != 0)
        return bad(err, "the license's 'key_base64' is not base64");
    r->info.license_id = lid;
    if (pos <= r->start || pos > r->head) {
        free(key);
        return bad(err, "the license's addition (position %lld) is outside the chain's "
                   "positions %lld to %lld", (long long)pos, (long long)r->start + 1,
                   (long long)r->head);
    }
    sl__chain_digest_begin(d);
    sl__chain_digest_int(d, at);
    sl__chain_digest_text(d, "added", 5);
    sl__chain_digest_int(d, lid);
    sl__chain_digest_text(d, key, keylen);
    free(key);
    if (sl__chain_digest_end(d, digest) != 0)
        return sl__err(err, SL_EINTERNAL, "cannot verify the report: SHA-256 failed");
    sl__chain_record_get(record_at(r, pos), &code, &rec_id, &rec_at, &rec_digest);
    if (code != 5 || rec_id != id || rec_at != at || memcmp(rec_digest, digest, sizeof digest))
        return bad(err, "the license key (license %lld) is not the one the ledger chained when "
                   "it was added (position %lld)", (long long)lid, (long long)pos);
    return SL_OK;
}

/* The acknowledged breaks the report lists, for people: their shape only
 * (the restarts are what the chain's check uses). */
static sl_rc check_breaks(report *r, sl_error *err)
{
    const json_t *bs = json_object_get(r->root, "breaks"), *b;
    size_t i;
    if (!json_is_array(bs))
        return bad(err, "the report's 'breaks' is not an array");
    json_array_foreach(bs, i, b) {
        const char *kind;
        int64_t at;
        sl_rc rc = members(b, "a break of the report", break_names, err);
        if (rc == SL_OK)
            rc = get_str(b, "kind", "a break of the report", &kind, NULL, err);
        if (rc == SL_OK && strcmp(kind, "changed") && strcmp(kind, "deleted") &&
            strcmp(kind, "missing") && strcmp(kind, "inserted"))
            rc = bad(err, "a break of the report is of no known kind");
        if (rc == SL_OK)
            rc = get_time(b, "acknowledged_at", "a break of the report", &at, err);
        if (rc != SL_OK)
            return rc;
    }
    r->info.breaks = (int64_t)json_array_size(bs);
    return SL_OK;
}

static sl_rc verify_one(report *r, const char *json, size_t len, EVP_PKEY *pk,
                        const char *key_sha, sl_error *err)
{
    sl__chain_digest d;
    const json_t *w;
    sl_rc rc = check_signed(r, json, len, pk, key_sha, err);
    if (rc != SL_OK)
        return rc;
    rc = get_time(r->root, "generated_at", "the report", &r->info.generated_at_ms, err);
    w = json_object_get(r->root, "window");
    if (rc == SL_OK)
        rc = members(w, "the window", window_names, err);
    if (rc == SL_OK)
        rc = get_time(w, "from", "the window", &r->info.from_ms, err);
    if (rc == SL_OK)
        rc = get_time(w, "to", "the window", &r->info.to_ms, err);
    if (rc == SL_OK && r->info.from_ms > r->info.to_ms)
        rc = bad(err, "the report's window ends before it starts");
    if (rc == SL_OK)
        rc = check_chain(r, err);
    if (rc != SL_OK)
        return rc;
    rc = sl__chain_digest_init(&d, err);
    if (rc != SL_OK)
        return rc;
    rc = check_license(r, &d, err);
    if (rc == SL_OK)
        rc = check_rows(r, sl__chain_table_by_code(2), "snapshots", &d, &r->info.snapshots, err);
    if (rc == SL_OK)
        rc = check_rows(r, sl__chain_table_by_code(3), "add_on_snapshots", &d,
                        &r->info.add_on_snapshots, err);
    if (rc == SL_OK)
        rc = check_breaks(r, err);
    sl__chain_digest_free(&d);
    return rc;
}

sl_rc sl_report_verify(const char *json, size_t len, const char *pub_pem, size_t pem_len,
                       sl_report_info *out, sl_error *err)
{
    report r = {0};
    EVP_PKEY *pk = NULL;
    char sha[SL_CHAIN_HASH_HEX];
    sl_rc rc = load_key(pub_pem, pem_len, &pk, sha, err);
    if (rc == SL_OK)
        rc = verify_one(&r, json, len, pk, sha, err);
    if (rc == SL_OK && out)
        *out = r.info;
    report_free(&r);
    EVP_PKEY_free(pk);
    return rc;
}

/* ---- NEW extends OLD --------------------------------------------------------- */

#define NOT_EXTENDING "the new report does not extend the old one: "

static sl_rc extends(const report *o, const report *n, sl_report_extension *ext, sl_error *err)
{
    unsigned char h[SL__CHAIN_HASH_LEN];
    char a[65], b[65];
    int64_t from;
    int known;
    sl_rc rc;
    if (strcmp(o->info.instance_id, n->info.instance_id) != 0)
        return bad(err, NOT_EXTENDING "the old one is of instance %s, the new one of instance %s",
                   o->info.instance_id, n->info.instance_id);
    if (n->head < o->head)
        return bad(err, NOT_EXTENDING "its head (position %lld) is before the old one's "
                   "(position %lld): the ledger lost rows, or was started again",
                   (long long)n->head, (long long)o->head);
    if (n->start > o->head)
        return bad(err, "the new report cannot show that it extends the old one: its chain "
                   "starts at position %lld, after the old one's head (position %lld)",
                   (long long)n->start, (long long)o->head);
    /* the new chain passes through the old head */
    rc = walk_records(n, o->head, h, &known, err);
    if (rc != SL_OK)
        return rc;
    if (!known || memcmp(h, o->head_hash, sizeof h) != 0) {
        sl__hex(h, sizeof h, a);
        sl__hex(o->head_hash, sizeof h, b);
        return bad(err, NOT_EXTENDING "at the old one's head (position %lld) the new chain has "
                   "%s, the old one %s: rows at or before that position differ, or the ledger "
                   "was started again", (long long)o->head, known ? a : "no hash", b);
    }
    /* and, starting later, from a hash the old chain reaches too */
    if (n->start > o->start) {
        rc = walk_records(o, n->start, h, &known, err);
        if (rc != SL_OK)
            return rc;
        if (!known || memcmp(h, n->start_hash, sizeof h) != 0)
            return bad(err, NOT_EXTENDING "its start (position %lld) is not on the old chain",
                       (long long)n->start);
    }
    /* the records both cover are the same rows, and no break acknowledged
     * since the old report restarts the chain inside its range */
    from = o->start > n->start ? o->start : n->start;
    for (int64_t pos = from + 1; pos <= o->head; pos++) {
        const restart *ro = find_restart(o, pos), *rn = find_restart(n, pos);
        if ((rn && !ro) || (rn && ro && memcmp(rn->hash, ro->hash, SL__CHAIN_HASH_LEN) != 0))
            return bad(err, NOT_EXTENDING "it restarts the chain at position %lld, at a break "
                       "acknowledged after the old report was made", (long long)pos);
        if (memcmp(record_at(o, pos), record_at(n, pos), SL__CHAIN_RECORD_LEN) != 0)
            return bad(err, NOT_EXTENDING "the row at chain position %lld differs",
                       (long long)pos);
    }
    ext->rows_added = n->head - o->head;
    ext->snapshots_added = 0;
    for (int64_t pos = o->head + 1; pos <= n->head; pos++)
        ext->snapshots_added += record_at(n, pos)[0] == 2;
    ext->old_snapshots = o->info.snapshots;
    return SL_OK;
}

sl_rc sl_report_verify_extends(const char *old_json, size_t old_len, const char *new_json,
                               size_t new_len, const char *pub_pem, size_t pem_len,
                               sl_report_info *old_out, sl_report_info *new_out,
                               sl_report_extension *ext, sl_error *err)
{
    report o = {0}, n = {0};
    sl_report_extension e = {0};
    EVP_PKEY *pk = NULL;
    char sha[SL_CHAIN_HASH_HEX];
    sl_rc rc = load_key(pub_pem, pem_len, &pk, sha, err);
    if (rc == SL_OK) {
        rc = verify_one(&o, old_json, old_len, pk, sha, err);
        if (rc != SL_OK)
            sl__err_prefix(err, "the old report");
    }
    if (rc == SL_OK) {
        rc = verify_one(&n, new_json, new_len, pk, sha, err);
        if (rc != SL_OK)
            sl__err_prefix(err, "the new report");
    }
    if (rc == SL_OK)
        rc = extends(&o, &n, &e, err);
    if (rc == SL_OK) {
        if (old_out)
            *old_out = o.info;
        if (new_out)
            *new_out = n.info;
        if (ext)
            *ext = e;
    }
    report_free(&o);
    report_free(&n);
    EVP_PKEY_free(pk);
    return rc;
}
