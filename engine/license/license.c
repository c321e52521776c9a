/*
 * license.c - a decoded license: its payload JSON, the attributes the
 * ledger reads (sl_license_info), the validity rules of the format spec and
 * the `license verify --json` document.  Decoding the wire format itself is
 * engine/license/format.c.
 */
#include "license/license_internal.h"
#include "license/keyring_internal.h"

#include <openssl/evp.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define QUOTE_MAX 64   /* bytes of an offending value quoted in a message */

struct sl_license {
    char *payload;        /* exactly as decrypted, NUL-terminated */
    size_t payload_len;
    json_t *root;         /* the parsed payload object */
    sl_license_info info; /* strings borrowed from root */
    /* SHA-256 of the envelope's RSA-wrapped AES key and of the AES key
     * itself (decoded keys only): the part of a key only the vendor makes */
    unsigned char wrapped_key_sha256[32];
    unsigned char aes_key_sha256[32];
    int has_key_fingerprints;
    sl_license_origin origin;                 /* strings static or in signer */
    char signer[SL__SIGNER_NAME_MAX];
};

void sl__license_set_origin(sl_license *lic, sl_key_format format, const char *algorithm,
                            const sl_keyring *kr, size_t i)
{
    lic->origin.format = format;
    lic->origin.format_name = format == SL_KEY_FORMAT_V2 ? "v2" : "gitlab";
    lic->origin.algorithm = algorithm;
    lic->origin.signer = sl__keyring_display_name(kr, i, lic->signer, sizeof lic->signer);
}

const sl_license_origin *sl_license_get_origin(const sl_license *lic)
{
    return &lic->origin;
}

void sl__license_set_key_fingerprints(sl_license *lic, const unsigned char *wrapped,
                                      size_t wrapped_len, const unsigned char *aes_key,
                                      size_t aes_len)
{
    lic->has_key_fingerprints = sl__sha256(wrapped, wrapped_len, lic->wrapped_key_sha256) &&
                                sl__sha256(aes_key, aes_len, lic->aes_key_sha256);
}

static int hex32(const unsigned char *md, char out[65])
{
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    return 1;
}

int sl__license_wrapped_key_hex(const sl_license *lic, char out[65])
{
    return lic->has_key_fingerprints && hex32(lic->wrapped_key_sha256, out);
}

int sl__license_aes_key_hex(const sl_license *lic, char out[65])
{
    return lic->has_key_fingerprints && hex32(lic->aes_key_sha256, out);
}

/* Top-level members that hold a date or a date-time: a value that is not a
 * string (and not null) makes the key invalid. */
static const char *const date_members[] = {
    "issued_at", "expires_at", "notify_admins_at", "notify_users_at",
    "block_changes_at", "activated_at", "next_sync_at", "last_synced_at",
};

/* ---- attribute helpers ------------------------------------------------- */

/* Bytes of s to quote in a message: at most QUOTE_MAX, never cutting a UTF-8
 * sequence in two (messages end up in JSON, which must stay valid UTF-8). */
static int quote_len(const char *s)
{
    size_t n = strlen(s);
    if (n <= QUOTE_MAX)
        return (int)n;
    n = QUOTE_MAX;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return (int)n;
}

/* A date member: SL_DATE_NONE when absent, null, not a string or not a
 * parseable date (validity is checked separately). */
static int32_t date_of(const json_t *obj, const char *name)
{
    const json_t *v = json_object_get(obj, name);
    int32_t d;
    if (!json_is_string(v) ||
        sl_date_parse_lenient(json_string_value(v), json_string_length(v), &d) != SL_OK)
        return SL_DATE_NONE;
    return d;
}

/* A count: the integer as signed, negative ones included (a real with an
 * integral value counts); SL_COUNT_NONE when absent or not a number. */
static int64_t count_of(const json_t *obj, const char *name)
{
    const json_t *v = json_object_get(obj, name);
    if (json_is_integer(v) && json_integer_value(v) != SL_COUNT_NONE)
        return (int64_t)json_integer_value(v);
    if (json_is_real(v)) {
        double r = json_real_value(v);
        if (r >= -9007199254740992.0 && r <= 9007199254740992.0 && r == (double)(int64_t)r)
            return (int64_t)r;
    }
    return SL_COUNT_NONE;
}

/* A date-time member as an instant; SL_TIME_NONE when absent, null, not a
 * string or not parseable (the gem's DateTime.parse rescue nil). */
static int64_t instant_of(const json_t *obj, const char *name)
{
    const json_t *v = json_object_get(obj, name);
    int64_t ms;
    if (!json_is_string(v) ||
        sl_time_parse_lenient(json_string_value(v), json_string_length(v), &ms) != SL_OK)
        return SL_TIME_NONE;
    return ms;
}

static const char *string_of(const json_t *obj, const char *name)
{
    return json_string_value(json_object_get(obj, name));
}

static int present(const json_t *obj, const char *name)
{
    const json_t *v = json_object_get(obj, name);
    return v && !json_is_null(v);
}

static int blank(const char *s)
{
    for (; s && *s; s++)
        if (!isspace((unsigned char)*s))
            return 0;
    return 1;
}

/* restrictions, or NULL when it is not an object (then it is ignored). */
static const json_t *restrictions_of(const json_t *root)
{
    const json_t *r = json_object_get(root, "restrictions");
    return json_is_object(r) ? r : NULL;
}

static void fill_info(sl_license *lic)
{
    const json_t *root = lic->root, *r = restrictions_of(root);
    const json_t *licensee = json_object_get(root, "licensee");
    const json_t *v;
    sl_license_info *in = &lic->info;
    const char *plan = string_of(r, "plan");

    in->version = 1;
    in->has_licensee = json_is_object(licensee) && json_object_size(licensee) > 0;
    in->licensee_name = string_of(licensee, "Name");
    in->licensee_email = string_of(licensee, "Email");
    in->licensee_company = string_of(licensee, "Company");
    in->starts_on = date_of(root, "issued_at");
    in->expires_on = date_of(root, "expires_at");
    in->notify_admins_on = date_of(root, "notify_admins_at");
    in->notify_users_on = date_of(root, "notify_users_at");
    in->block_changes_on = date_of(root, "block_changes_at");
    in->plan = plan && !blank(plan) ? plan : "starter";
    in->seats = count_of(r, "active_user_count");
    in->previous_user_count = count_of(r, "previous_user_count");
    in->trueup_quantity = count_of(r, "trueup_quantity");
    in->trueup_period_seat_count = count_of(r, "trueup_period_seat_count");
    in->trueup_present = present(r, "trueup_quantity") && present(r, "trueup_from") &&
                         present(r, "trueup_to");
    in->trueup_from = date_of(r, "trueup_from");
    in->trueup_to = date_of(r, "trueup_to");
    in->trial = json_is_true(json_object_get(r, "trial"));
    in->reconciliation_completed = json_is_true(json_object_get(r, "reconciliation_completed"));
    in->cloud_licensing_enabled = json_is_true(json_object_get(root, "cloud_licensing_enabled"));
    in->offline_cloud_licensing_enabled =
        json_is_true(json_object_get(root, "offline_cloud_licensing_enabled"));
    in->generated_from_cancellation =
        json_is_true(json_object_get(root, "generated_from_cancellation"));
    v = json_object_get(root, "contract_overages_allowed");
    in->contract_overages_allowed = !json_is_false(v);
    in->subscription_name = string_of(r, "subscription_name");
    in->activated_on = date_of(root, "activated_at");
    in->last_synced_at_ms = instant_of(root, "last_synced_at");
    v = json_object_get(r, "id");
    in->key_id = json_is_integer(v) ? (int64_t)json_integer_value(v) : SL_COUNT_NONE;
}

/* version: missing or null is 1, 1.0 is 1, anything else is unsupported. */
static sl_rc check_version(const json_t *root, sl_error *err)
{
    const json_t *v = json_object_get(root, "version");
    char *text;
    sl_rc rc;
    if (!v || json_is_null(v) || (json_is_integer(v) && json_integer_value(v) == 1) ||
        (json_is_real(v) && json_real_value(v) == 1.0))
        return SL_OK;
    text = sl__json_dump(v);
    rc = sl__err(err, SL_EINVAL, "payload: unsupported version %.*s",
                 text ? quote_len(text) : 1, text ? text : "?");
    free(text);
    return rc;
}

/* ---- construction --------------------------------------------------------- */

/* Parser messages may quote bytes of garbage input: keep them printable
 * ASCII so that terminals and JSON documents can carry them. */
static void printable_message(sl_error *err)
{
    if (!err)
        return;
    for (char *p = err->message; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
            *p = '?';
}

sl_rc sl_license_from_payload(const char *json, size_t len, sl_license **out, sl_error *err)
{
    sl_license *lic = NULL;
    json_t *root = NULL;
    sl_rc rc;

    *out = NULL;
    rc = sl__json_load(json, len, SL_PAYLOAD_MAX, "payload", &root, err);
    if (rc != SL_OK) {
        printable_message(err);
        return rc;
    }
    if (!json_is_object(root)) {
        rc = sl__err(err, SL_EINVAL, "payload: not a JSON object");
        goto fail;
    }
    rc = check_version(root, err);
    if (rc != SL_OK)
        goto fail;
    lic = calloc(1, sizeof *lic);
    if (lic)
        lic->payload = sl__strndup(json, len);
    if (!lic || !lic->payload) {
        rc = sl__err(err, SL_ENOMEM, "out of memory");
        goto fail;
    }
    lic->payload_len = len;
    lic->root = root;
    fill_info(lic);
    *out = lic;
    return SL_OK;
fail:
    json_decref(root);
    free(lic);
    return rc;
}

void sl_license_free(sl_license *lic)
{
    if (!lic)
        return;
    json_decref(lic->root);
    free(lic->payload);
    free(lic);
}

const sl_license_info *sl_license_get_info(const sl_license *lic)
{
    return &lic->info;
}

const char *sl_license_payload(const sl_license *lic, size_t *len)
{
    if (len)
        *len = lic->payload_len;
    return lic->payload;
}

const json_t *sl__license_json(const sl_license *lic)
{
    return lic->root;
}

void sl_license_addon_grant(const sl_license *lic, sl_addon a, int32_t day,
                            sl_addon_grant *out)
{
    sl__add_on_grant(lic->root, a, day, out);
}

sl_rc sl_license_add_on_products_json(const sl_license *lic, char **out_json, sl_error *err)
{
    return sl__add_on_products_dump(lic->root, out_json, err);
}

/* ---- validity ------------------------------------------------------------- */

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

static int contains_gitlab(const char *s)
{
    for (; *s; s++)
        if (strncasecmp(s, "gitlab", 6) == 0)
            return 1;
    return 0;
}

/* GitLab's own team keys may run without an expiry date. */
static int vendor_internal(const sl_license_info *in)
{
    const char *company = in->licensee_company, *email = in->licensee_email;
    return company && email && contains_gitlab(company) &&
           (ends_with(email, "@gitlab.com") || ends_with(email, "@jihulab.com"));
}

/* A required date: missing (absent/null) or present but not a date. */
static sl_rc require_date(const json_t *root, const char *name, int32_t parsed, sl_error *err)
{
    const json_t *v = json_object_get(root, name);
    if (parsed != SL_DATE_NONE)
        return SL_OK;
    if (!v || json_is_null(v))
        return sl__err(err, SL_EINVAL, "license: %s is missing", name);
    return sl__err(err, SL_EINVAL, "license: %s '%.*s' is not a valid date", name,
                   quote_len(json_string_value(v)), json_string_value(v));
}

sl_rc sl_license_validate(const sl_license *lic, sl_error *err)
{
    const json_t *root = lic->root, *licensee = json_object_get(root, "licensee");
    const sl_license_info *in = &lic->info;
    sl_rc rc;

    if (!licensee || json_is_null(licensee))
        return sl__err(err, SL_EINVAL, "license: licensee is missing");
    if (!json_is_object(licensee))
        return sl__err(err, SL_EINVAL, "license: licensee is not an object");
    if (json_object_size(licensee) == 0)
        return sl__err(err, SL_EINVAL, "license: licensee is empty");
    for (size_t i = 0; i < sizeof date_members / sizeof date_members[0]; i++) {
        const json_t *v = json_object_get(root, date_members[i]);
        if (v && !json_is_null(v) && !json_is_string(v))
            return sl__err(err, SL_EINVAL, "license: %s is not a string", date_members[i]);
    }
    rc = require_date(root, "issued_at", in->starts_on, err);
    if (rc != SL_OK)
        return rc;
    if (!vendor_internal(in)) {
        rc = require_date(root, "expires_at", in->expires_on, err);
        if (rc != SL_OK)
            return rc;
    }
    if (in->offline_cloud_licensing_enabled && !in->cloud_licensing_enabled)
        return sl__err(err, SL_EINVAL,
                       "license: offline_cloud_licensing_enabled is set without "
                       "cloud_licensing_enabled");
    return sl__license_check_add_on_products(root, err);
}

int sl_license_is_expired(const sl_license *lic, int32_t today)
{
    return lic->info.expires_on != SL_DATE_NONE && today >= lic->info.expires_on;
}

int sl_license_is_started(const sl_license *lic, int32_t today)
{
    return lic->info.starts_on != SL_DATE_NONE && lic->info.starts_on <= today;
}

int sl_license_is_block_changes(const sl_license *lic, int32_t today)
{
    return lic->info.block_changes_on != SL_DATE_NONE && today >= lic->info.block_changes_on;
}

/* ---- the verify document -------------------------------------------------- */

static json_t *date_json(int32_t d)
{
    char buf[16];
    return d == SL_DATE_NONE ? json_null() : json_string(sl_date_format(d, buf, sizeof buf));
}

static json_t *count_json(int64_t n)
{
    return n == SL_COUNT_NONE ? json_null() : json_integer((json_int_t)n);
}

static json_t *flag_json(const json_t *root, const char *name)
{
    return json_boolean(json_is_true(json_object_get(root, name)));
}

static json_t *license_json(const sl_license *lic, int32_t today)
{
    static const char *const flags[] = {
        "cloud_licensing_enabled", "offline_cloud_licensing_enabled", "auto_renew_enabled",
        "seat_reconciliation_enabled", "operational_metrics_enabled",
    };
    static const char *const flags2[] = {
        "generated_from_customers_dot", "generated_from_cancellation", "temporary_extension",
    };
    const json_t *root = lic->root, *r = restrictions_of(root);
    const json_t *licensee = json_object_get(root, "licensee");
    const json_t *add_ons = json_object_get(r, "add_ons");
    const sl_license_info *in = &lic->info;
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "licensee",
                        json_is_object(licensee) ? json_deep_copy(licensee) : json_null());
    json_object_set_new(o, "starts_at", date_json(in->starts_on));
    json_object_set_new(o, "expires_at", date_json(in->expires_on));
    json_object_set_new(o, "plan", json_string(in->plan));
    json_object_set_new(o, "user_limit", count_json(in->seats));
    json_object_set_new(o, "add_ons",
                        json_is_object(add_ons) ? json_deep_copy(add_ons) : json_object());
    json_object_set_new(o, "restrictions", r ? json_deep_copy(r) : json_object());
    json_object_set_new(o, "version", json_integer(in->version));
    json_object_set_new(o, "issued_at", date_json(in->starts_on));
    json_object_set_new(o, "notify_admins_at", date_json(in->notify_admins_on));
    json_object_set_new(o, "notify_users_at", date_json(in->notify_users_on));
    json_object_set_new(o, "block_changes_at", date_json(in->block_changes_on));
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        json_object_set_new(o, flags[i], flag_json(root, flags[i]));
    json_object_set_new(o, "contract_overages_allowed",
                        json_boolean(in->contract_overages_allowed));
    for (size_t i = 0; i < sizeof flags2 / sizeof flags2[0]; i++)
        json_object_set_new(o, flags2[i], flag_json(root, flags2[i]));
    json_object_set_new(o, "trial", json_boolean(in->trial));
    json_object_set_new(o, "previous_user_count", count_json(in->previous_user_count));
    json_object_set_new(o, "trueup_quantity", count_json(in->trueup_quantity));
    json_object_set_new(o, "trueup_from", date_json(in->trueup_from));
    json_object_set_new(o, "trueup_to", date_json(in->trueup_to));
    json_object_set_new(o, "block_changes", json_boolean(sl_license_is_block_changes(lic, today)));
    return o;
}

sl_rc sl_license_verify_json(const sl_license *lic, const sl_error *failure, int32_t today,
                             char **out_json, sl_error *err)
{
    sl_error verdict = {0};
    const char *error = NULL;
    json_t *doc = json_object(), *licj = NULL;
    sl_rc rc = SL_OK;

    *out_json = NULL;
    if (!doc)
        return sl__err(err, SL_ENOMEM, "out of memory");
    if (failure)
        error = failure->message[0] ? failure->message : sl_rc_name(failure->code);
    else if (!lic)
        error = "no license";
    else if (sl_license_validate(lic, &verdict) != SL_OK)
        error = verdict.message;
    if (lic) {
        licj = license_json(lic, today);
        if (!licj) {
            rc = sl__err(err, SL_ENOMEM, "out of memory");
            goto done;
        }
    }
    json_object_set_new(doc, "valid", json_boolean(error == NULL));
    json_object_set_new(doc, "error", error ? sl__json_text(error) : json_null());
    json_object_set_new(doc, "expired", json_boolean(lic && sl_license_is_expired(lic, today)));
    json_object_set_new(doc, "started", json_boolean(lic && sl_license_is_started(lic, today)));
    json_object_set_new(doc, "license", licj ? licj : json_null());
    /* GitLab-format documents stay as they always were */
    if (lic && lic->origin.format == SL_KEY_FORMAT_V2) {
        json_object_set_new(doc, "format", json_string(lic->origin.format_name));
        json_object_set_new(doc, "algorithm", json_string(lic->origin.algorithm));
        json_object_set_new(doc, "signed_by", sl__json_text(lic->origin.signer));
    }
    *out_json = sl__json_dump(doc);
    if (!*out_json)
        rc = sl__err(err, SL_ENOMEM, "out of memory");
done:
    json_decref(doc);
    return rc;
}
