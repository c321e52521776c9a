/*
 * ledger/license_store.c - licenses in the ledger: adding a key (decode,
 * validate, the add checks, store as received) and its dry run (`license
 * check`: the same add, rolled back, reported), deleting one, reading a
 * stored one back, and the license entity of the REST API.  Which license is
 * current is decided below, in current_license.c.
 */
#include "ledger/ledger_internal.h"
#include "license/license_internal.h"

#include <stdlib.h>
#include <string.h>

/* ---- adding and deleting ----------------------------------------------- */

static sl_rc key_invalid(sl_error *err, const sl_error *detail)
{
    return sl__err(err, SL_EINVAL, "%s (%s)", SL_MSG_KEY_INVALID, detail->message);
}

static sl_rc insert_license(sl_store *st, const char *text, size_t len,
                            const sl_license *lic, sl_source source, int64_t *out_id,
                            sl_error *err)
{
    const sl_license_info *inf = sl_license_get_info(lic);
    size_t plen;
    const char *payload = sl_license_payload(lic, &plen);
    char starts[16], expires[16], wrapped[65];
    const sl__value v[] = {
        SL__TEXTN(text, len),
        SL__TEXTN(payload, plen),
        SL__AT,
        SL__TEXT(inf->plan),
        SL__TEXT(inf->starts_on == SL_DATE_NONE ? NULL
                 : sl_date_format(inf->starts_on, starts, sizeof starts)),
        SL__TEXT(inf->expires_on == SL_DATE_NONE ? NULL
                 : sl_date_format(inf->expires_on, expires, sizeof expires)),
        inf->seats != SL_COUNT_NONE ? SL__INT(inf->seats) : SL__NULL,
        SL__TEXT(inf->licensee_name),
        SL__TEXT(inf->licensee_email),
        SL__TEXT(inf->licensee_company),
        SL__TEXT(sl_source_name(source)),
        SL__TEXT(sl__license_wrapped_key_hex(lic, wrapped) ? wrapped : NULL),
    };
    return sl__event_append(st,
        "INSERT INTO licenses(data, payload, created_at, plan, starts_on, expires_on, "
        "user_limit, licensee_name, licensee_email, licensee_company, source, "
        "wrapped_key_sha256) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        v, (int)(sizeof v / sizeof v[0]), "cannot store the license", out_id, err);
}

/* The chained record of a license added (with its key text as received)
 * or deleted: `licenses` loses the row of a deleted license, this keeps
 * both (schema/013_hash_chain.sql). */
static sl_rc license_event(sl_store *st, const char *event, int64_t id, const char *text,
                           size_t len, sl_error *err)
{
    const sl__value v[] = {SL__ID, SL__AT, SL__TEXT(event), SL__INT(id),
                           text ? SL__TEXTN(text, len) : SL__NULL};
    return sl__event_append(st, "INSERT INTO license_events(id, at, event, license_id, data) "
                                "VALUES (?,?,?,?,?)",
                            v, 5, "cannot record the license event", NULL, err);
}

/* A license, stored or deleted, that came with the same AES key (or, for
 * one stored before its AES key was fingerprinted, the same wrapped key)
 * but another payload means the new key was forged from it
 * (schema/012_key_fingerprints.sql). */
static sl_rc check_key_fingerprints(sl_store *st, const sl_license *lic, sl_error *err)
{
    char aes[65], wrapped[65];
    size_t plen;
    const char *payload = sl_license_payload(lic, &plen);
    sqlite3_stmt *s;
    int step;
    sl_rc rc;
    if (!sl__license_aes_key_hex(lic, aes) || !sl__license_wrapped_key_hex(lic, wrapped))
        return SL_OK;
    rc = sl__stmt(st, "SELECT f.license_id, l.id IS NULL FROM key_fingerprints f "
                      "LEFT JOIN licenses l ON l.id = f.license_id "
                      "WHERE (f.aes_key_sha256 = ?1 OR f.wrapped_key_sha256 = ?2) "
                      "AND f.payload <> ?3 LIMIT 1", &s, err);
    if (rc != SL_OK)
        return rc;
    sl__bind_text(s, 1, aes);
    sl__bind_text(s, 2, wrapped);
    sqlite3_bind_text(s, 3, payload, (int)plen, SQLITE_STATIC);
    step = sqlite3_step(s);
    if (step == SQLITE_ROW)
        rc = sl__err(err, SL_EINVAL,
                     "%s (signature: the signed AES key of %s license %lld is reused "
                     "with a different payload: the key is forged)",
                     SL_MSG_KEY_INVALID, sqlite3_column_int(s, 1) ? "deleted" : "stored",
                     (long long)sqlite3_column_int64(s, 0));
    else if (step != SQLITE_DONE)
        rc = sl__db_err(st, err, "cannot read licenses");
    sqlite3_reset(s);
    return rc;
}

/* Keep the AES key of the license `id` just stored, for good. */
static sl_rc record_key_fingerprints(sl_store *st, const sl_license *lic, int64_t id,
                                     sl_error *err)
{
    char aes[65], wrapped[65];
    size_t plen;
    const char *payload = sl_license_payload(lic, &plen);
    if (!sl__license_aes_key_hex(lic, aes) || !sl__license_wrapped_key_hex(lic, wrapped))
        return SL_OK;
    {
        const sl__value v[] = {SL__ID, SL__AT, SL__INT(id), SL__TEXT(aes), SL__TEXT(wrapped),
                               SL__TEXTN(payload, plen)};
        return sl__event_append(st, "INSERT INTO key_fingerprints(id, recorded_at, license_id, "
                                    "aes_key_sha256, wrapped_key_sha256, payload) "
                                    "VALUES (?,?,?,?,?,?)",
                                v, 6, "cannot store the license's key fingerprint", NULL, err);
    }
}

sl_rc sl__license_decode_trusted(sl_store *st, const char *text, size_t len,
                                 sl_license **out, sl_error *err)
{
    const sl_keyring *kr;
    sl_license *lic = NULL;
    sl_error detail = {0};
    sl_rc rc;
    *out = NULL;
    if (len > SL_LICENSE_TEXT_MAX)
        return sl__err(err, SL_ETOOBIG, "%s (license key of %zu bytes is over the limit of %d)",
                       SL_MSG_KEY_INVALID, len, SL_LICENSE_TEXT_MAX);
    rc = sl_store_keyring(st, &kr, err);
    if (rc != SL_OK)
        return rc;
    if (sl_keyring_count(kr) == 0)
        return sl__err(err, SL_EINVAL, "%s (signature: no trusted public key; "
                       "trust the vendor's key with 'seatledger keys trust')",
                       SL_MSG_KEY_INVALID);
    /* 1. key invalid: decoding (signature, layers) and validity */
    rc = sl_license_decode(text, len, kr, &lic, &detail);
    if (rc == SL_OK)
        rc = sl_license_validate(lic, &detail);
    if (rc != SL_OK) {
        /* a key that decoded but is invalid is still handed back: the dry
         * run reports how it was signed */
        *out = lic;
        return rc == SL_ENOMEM ? sl__err(err, rc, "out of memory") : key_invalid(err, &detail);
    }
    *out = lic;
    return SL_OK;
}

sl_rc sl__license_add_locked(sl_store *st, const char *text, size_t len,
                             const sl_license *lic, sl_source source, int64_t *out_id,
                             sl_add_figures *fig, sl_error *err)
{
    sl_license *current = NULL;
    /* the event (begun by ops/license_ops.c) is never before the ledger's
     * latest: its date is today */
    int32_t today = sl_ms_to_date(sl__event_at(st));
    sl_rc rc = check_key_fingerprints(st, lic, err);
    *out_id = 0;
    if (fig)
        fig->billable_now = SL_COUNT_NONE;   /* "the checks did not run" */
    if (rc != SL_OK)
        return rc;
    rc = sl__license_current(st, today, &current, NULL, err);
    /* 2. user count / true-up */
    if (rc == SL_OK)
        rc = sl__add_checks(st, lic, current, fig, err);
    /* 3. expired */
    if (rc == SL_OK && sl_license_is_expired(lic, today))
        rc = sl__err(err, SL_EINVAL, SL_MSG_EXPIRED);
    if (rc == SL_OK)
        rc = insert_license(st, text, len, lic, source, out_id, err);
    if (rc == SL_OK)
        rc = license_event(st, "added", *out_id, text, len, err);
    if (rc == SL_OK)
        rc = record_key_fingerprints(st, lic, *out_id, err);
    if (rc == SL_OK)
        rc = sl__audit(st, "license.add", *out_id, "ok", sl_source_name(source), err);
    sl_license_free(current);
    return rc;
}

static sl_rc entity(sl_store *st, int64_t id, const sl_license *lic, int64_t created_at,
                    int32_t today, int with_active_users, json_t **out, sl_error *err);
static sl_rc license_row(sl_store *st, const char *sql, int64_t id, sqlite3_stmt **out,
                         sl_error *err);

sl_rc sl__license_dry_run_read(sl_store *st, int64_t id, const sl_license *lic,
                               json_t **out_entity, int *out_current, sl_error *err)
{
    sl_license *cur = NULL;
    int64_t cur_id = 0, created_at = 0;
    int32_t today;
    sqlite3_stmt *s;
    sl_rc rc = sl__ledger_today(st, &today, err);
    *out_entity = NULL;
    if (rc == SL_OK)
        rc = sl__license_current(st, today, &cur, &cur_id, err);
    sl_license_free(cur);
    if (rc == SL_OK)
        rc = license_row(st, "SELECT created_at FROM licenses WHERE id = ?", id, &s, err);
    if (rc != SL_OK)
        return rc;
    created_at = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    *out_current = cur_id == id;
    rc = entity(st, id, lic, created_at, today, 1, out_entity, err);
    /* nothing is stored, so there is no id to show */
    if (rc == SL_OK)
        json_object_del(*out_entity, "id");
    return rc;
}

/* ---- the dry run's report ------------------------------------------------- */

static json_t *count_or_null(int64_t n)
{
    return n == SL_COUNT_NONE ? json_null() : json_integer((json_int_t)n);
}

static json_t *date_or_null(int32_t d);

static json_t *checks_json(const sl_add_figures *f)
{
    json_t *o = json_object(), *prior = json_null();
    if (!o)
        return NULL;
    if (f->prior_from != SL_DATE_NONE)
        prior = json_pack("{s:o,s:o,s:o,s:o}", "from", date_or_null(f->prior_from), "to",
                          date_or_null(f->prior_to), "historical_max",
                          count_or_null(f->prior_max), "seats", count_or_null(f->prior_seats));
    json_object_set_new(o, "billable_now", count_or_null(f->billable_now));
    json_object_set_new(o, "seats", count_or_null(f->seats));
    json_object_set_new(o, "seats_allowed", count_or_null(f->seats_allowed));
    json_object_set_new(o, "overage_now",
                        json_integer((json_int_t)(f->billable_now == SL_COUNT_NONE
                                                      ? 0 : sl__overage(f->billable_now, f->seats))));
    json_object_set_new(o, "prior_period", prior ? prior : json_null());
    json_object_set_new(o, "trueup_due", count_or_null(f->trueup_due));
    json_object_set_new(o, "trueup_quantity", count_or_null(f->trueup_quantity));
    return o;
}

sl_rc sl__license_check_json(const sl_license *lic, const char *refusal,
                             const sl_add_figures *fig, int would_be_current,
                             const json_t *entity_json, const json_t *add_ons,
                             char **out_json, sl_error *err)
{
    const sl_license_origin *o = lic ? sl_license_get_origin(lic) : NULL;
    json_t *doc = json_object();
    *out_json = NULL;
    if (!doc)
        return sl__err(err, SL_ENOMEM, "out of memory");
    json_object_set_new(doc, "dry_run", json_true());
    json_object_set_new(doc, "valid", json_boolean(!refusal));
    json_object_set_new(doc, "error", refusal ? sl__json_text(refusal) : json_null());
    json_object_set_new(doc, "format", o && o->format_name ? json_string(o->format_name)
                                                            : json_null());
    json_object_set_new(doc, "algorithm", o && o->algorithm ? json_string(o->algorithm)
                                                             : json_null());
    json_object_set_new(doc, "signed_by", o && o->signer ? sl__json_text(o->signer)
                                                          : json_null());
    json_object_set_new(doc, "would_be_current",
                        refusal ? json_null() : json_boolean(would_be_current));
    json_object_set_new(doc, "license",
                        entity_json ? json_deep_copy(entity_json) : json_null());
    json_object_set_new(doc, "checks", fig && fig->billable_now != SL_COUNT_NONE
                                           ? checks_json(fig) : json_null());
    json_object_set_new(doc, "add_ons", add_ons ? json_deep_copy(add_ons) : json_null());
    *out_json = sl__json_dump(doc);
    json_decref(doc);
    return *out_json ? SL_OK : sl__err(err, SL_ENOMEM, "out of memory");
}

sl_rc sl__license_delete_locked(sl_store *st, int64_t id, sl_source source, sl_error *err)
{
    sqlite3_stmt *s;
    sl_rc rc = sl__stmt(st, "DELETE FROM licenses WHERE id = ?", &s, err);
    if (rc != SL_OK)
        return rc;
    sqlite3_bind_int64(s, 1, id);
    if (sqlite3_step(s) != SQLITE_DONE) {
        rc = sl__db_err(st, err, "license.delete");
        sqlite3_reset(s);
        return rc;
    }
    sqlite3_reset(s);
    if (sqlite3_changes(st->db) == 0)
        return sl__err(err, SL_ENOTFOUND, "no license with id %lld", (long long)id);
    rc = license_event(st, "deleted", id, NULL, 0, err);
    if (rc != SL_OK)
        return rc;
    return sl__audit(st, "license.delete", id, "ok", sl_source_name(source), err);
}

/* Step `sql` (a literal with one parameter, the id) to the license's row;
 * SL_ENOTFOUND when there is none.  On SL_OK the caller reads the row and
 * resets *out. */
static sl_rc license_row(sl_store *st, const char *sql, int64_t id, sqlite3_stmt **out,
                         sl_error *err)
{
    sl_rc rc = sl__stmt(st, sql, out, err);
    if (rc != SL_OK)
        return rc;
    sqlite3_bind_int64(*out, 1, id);
    if (sqlite3_step(*out) != SQLITE_ROW) {
        sqlite3_reset(*out);
        return sl__err(err, SL_ENOTFOUND, "no license with id %lld", (long long)id);
    }
    return SL_OK;
}

sl_rc sl_store_license_get(sl_store *st, int64_t id, sl_license **out,
                           int64_t *out_created_at_ms, sl_error *err)
{
    sqlite3_stmt *s;
    sl_rc rc = license_row(st, "SELECT payload, created_at FROM licenses WHERE id = ?", id,
                           &s, err);
    *out = NULL;
    if (rc != SL_OK)
        return rc;
    rc = sl_license_from_payload((const char *)sqlite3_column_text(s, 0),
                                 (size_t)sqlite3_column_bytes(s, 0), out, err);
    if (out_created_at_ms)
        *out_created_at_ms = sqlite3_column_int64(s, 1);
    sqlite3_reset(s);
    return rc;
}

sl_rc sl_store_license_text(sl_store *st, int64_t id, char **out_text, size_t *out_len,
                            sl_error *err)
{
    sqlite3_stmt *s;
    sl_rc rc = license_row(st, "SELECT data FROM licenses WHERE id = ?", id, &s, err);
    *out_text = NULL;
    if (rc != SL_OK)
        return rc;
    *out_len = (size_t)sqlite3_column_bytes(s, 0);
    *out_text = sl__strndup((const char *)sqlite3_column_text(s, 0), *out_len);
    sqlite3_reset(s);
    return *out_text ? SL_OK : sl__err(err, SL_ENOMEM, "out of memory");
}

/* ---- the license entity -------------------------------------------------- */

/* licensee values as strings (go-gitlab decodes them strictly). */
static json_t *licensee_json(const sl_license *lic)
{
    const json_t *src = json_object_get(sl__license_json(lic), "licensee");
    json_t *out = json_object();
    const char *k;
    json_t *v;
    if (!out || !json_is_object(src))
        return out;
    json_object_foreach((json_t *)src, k, v) {
        if (json_is_string(v)) {
            json_object_set(out, k, v);
        } else if (!json_is_null(v)) {
            char *txt = sl__json_dump(v);
            if (txt)
                json_object_set_new(out, k, json_string(txt));
            free(txt);
        }
    }
    return out;
}

/* add_ons values as integers; non-numeric values are left out. */
static json_t *add_ons_json(const sl_license *lic)
{
    const json_t *r = json_object_get(sl__license_json(lic), "restrictions");
    const json_t *src = json_is_object(r) ? json_object_get(r, "add_ons") : NULL;
    json_t *out = json_object();
    const char *k;
    json_t *v;
    if (!out || !json_is_object(src))
        return out;
    json_object_foreach((json_t *)src, k, v) {
        if (json_is_integer(v))
            json_object_set(out, k, v);
        else if (json_is_real(v))
            json_object_set_new(out, k, json_integer((json_int_t)json_real_value(v)));
    }
    return out;
}

static json_t *date_or_null(int32_t d)
{
    char buf[16];
    return d == SL_DATE_NONE ? json_null() : json_string(sl_date_format(d, buf, sizeof buf));
}

static sl_rc entity(sl_store *st, int64_t id, const sl_license *lic, int64_t created_at,
                    int32_t today, int with_active_users, json_t **out, sl_error *err)
{
    const sl_license_info *inf = sl_license_get_info(lic);
    sl_license_figures fig;
    char created[32];
    json_t *o;
    sl_rc rc = sl__ledger_figures(st, lic, today, &fig, err);
    *out = NULL;
    if (rc != SL_OK)
        return rc;
    o = json_object();
    if (!o)
        return sl__err(err, SL_ENOMEM, "out of memory");
    json_object_set_new(o, "id", json_integer(id));
    json_object_set_new(o, "plan", json_string(inf->plan));
    json_object_set_new(o, "created_at",
                        json_string(sl_time_format_rfc3339(created_at, created, sizeof created)));
    json_object_set_new(o, "starts_at", date_or_null(inf->starts_on));
    json_object_set_new(o, "expires_at", date_or_null(inf->expires_on));
    json_object_set_new(o, "historical_max", json_integer(fig.historical_max));
    json_object_set_new(o, "maximum_user_count", json_integer(fig.maximum_user_count));
    json_object_set_new(o, "expired", json_boolean(fig.expired));
    json_object_set_new(o, "overage", json_integer(fig.overage));
    json_object_set_new(o, "user_limit", json_integer(fig.user_limit));
    if (with_active_users)
        json_object_set_new(o, "active_users", json_integer(fig.active_users));
    json_object_set_new(o, "licensee", licensee_json(lic));
    json_object_set_new(o, "add_ons", add_ons_json(lic));
    *out = o;
    return SL_OK;
}

sl_rc sl_store_license_figures(sl_store *st, int64_t id, sl_license_figures *out,
                               sl_error *err)
{
    sl_license *lic = NULL;
    int32_t today;
    sl_rc rc = sl__ledger_today(st, &today, err);
    memset(out, 0, sizeof *out);
    if (rc == SL_OK)
        rc = sl_store_license_get(st, id, &lic, NULL, err);
    if (rc == SL_OK)
        rc = sl__ledger_figures(st, lic, today, out, err);
    sl_license_free(lic);
    return rc;
}

static sl_rc dump_to(json_t *j, char **out_json, sl_error *err)
{
    *out_json = sl__json_dump(j);
    json_decref(j);
    return *out_json ? SL_OK : sl__err(err, SL_ENOMEM, "out of memory");
}

sl_rc sl_store_license_entity_json(sl_store *st, int64_t id, int with_active_users,
                                   char **out_json, sl_error *err)
{
    sl_license *lic = NULL;
    int64_t created_at = 0;
    int32_t today;
    json_t *o = NULL;
    sl_rc rc;
    *out_json = NULL;
    rc = sl__ledger_today(st, &today, err);
    if (rc != SL_OK)
        return rc;
    if (st->cache.entity_id == id &&
        st->cache.entity_active == with_active_users) {
        *out_json = sl__strdup(st->cache.entity_json);
        return *out_json ? SL_OK : sl__err(err, SL_ENOMEM, "out of memory");
    }
    rc = sl_store_license_get(st, id, &lic, &created_at, err);
    if (rc != SL_OK)
        return rc;
    rc = entity(st, id, lic, created_at, today, with_active_users, &o, err);
    sl_license_free(lic);
    if (rc != SL_OK)
        return rc;
    rc = dump_to(o, out_json, err);
    if (rc == SL_OK) {
        free(st->cache.entity_json);
        st->cache.entity_json = sl__strdup(*out_json);
        st->cache.entity_id = st->cache.entity_json ? id : 0;
        st->cache.entity_active = with_active_users;
    }
    return rc;
}

sl_rc sl_store_license_list_json(sl_store *st, char **out_json, sl_error *err)
{
    sqlite3_stmt *s;
    json_t *arr;
    int32_t today;
    int step;
    sl_rc rc;
    *out_json = NULL;
    rc = sl__ledger_today(st, &today, err);
    if (rc != SL_OK)
        return rc;
    arr = json_array();
    if (!arr)
        return sl__err(err, SL_ENOMEM, "out of memory");
    rc = sl__stmt(st, "SELECT id, payload, created_at FROM licenses ORDER BY id DESC", &s, err);
    if (rc != SL_OK)
        goto fail;
    /* collect rows first: entity() runs its own statements */
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        json_t *row = json_pack("{s:I,s:s%,s:I}", "id", (json_int_t)sqlite3_column_int64(s, 0),
                                "payload", (const char *)sqlite3_column_text(s, 1),
                                (size_t)sqlite3_column_bytes(s, 1),
                                "created_at", (json_int_t)sqlite3_column_int64(s, 2));
        if (!row || json_array_append_new(arr, row) != 0) {
            sqlite3_reset(s);
            rc = sl__err(err, SL_ENOMEM, "out of memory");
            goto fail;
        }
    }
    sqlite3_reset(s);
    if (step != SQLITE_DONE) {
        rc = sl__db_err(st, err, "cannot list licenses");
        goto fail;
    }
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *row = json_array_get(arr, i), *o = NULL;
        const char *payload = json_string_value(json_object_get(row, "payload"));
        sl_license *lic = NULL;
        rc = sl_license_from_payload(payload, json_string_length(json_object_get(row, "payload")),
                                     &lic, err);
        if (rc != SL_OK)
            goto fail;
        rc = entity(st, json_integer_value(json_object_get(row, "id")), lic,
                    json_integer_value(json_object_get(row, "created_at")), today, 0, &o, err);
        sl_license_free(lic);
        if (rc != SL_OK)
            goto fail;
        json_array_set_new(arr, i, o);
    }
    return dump_to(arr, out_json, err);
fail:
    json_decref(arr);
    return rc;
}

