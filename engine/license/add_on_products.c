/*
 * license/add_on_products.c - the add-ons a key sells (add-ons.md):
 * the catalogue of add-on names, the validity of restrictions.add_on_products
 * (a malformed entry makes the key invalid, naming the add-on and the field)
 * and the grant of one add-on on a day.  Whether a grant becomes a purchase
 * is decided above, in seats/purchases.c.
 */
#include "license/license_internal.h"

#include <string.h>

static const struct {
    const char *name;       /* in the key and the CLI */
    const char *type_name;  /* GraphQL GitlabSubscriptionsAddOnType */
    int assignable;
} catalogue[SL_ADDON_COUNT] = {
    [SL_ADDON_DUO_PRO] = {"duo_pro", "CODE_SUGGESTIONS", 1},
    [SL_ADDON_DUO_ENTERPRISE] = {"duo_enterprise", "DUO_ENTERPRISE", 1},
    [SL_ADDON_DUO_AMAZON_Q] = {"duo_amazon_q", "DUO_AMAZON_Q", 0},
    [SL_ADDON_DUO_CORE] = {"duo_core", "DUO_CORE", 0},
};

#define UNKNOWN_HINT "use duo_pro, duo_enterprise, duo_amazon_q or duo_core"
#define QUOTE_MAX 64   /* bytes of an offending name quoted in a message */

const char *sl_addon_name(sl_addon a)
{
    return (unsigned)a < SL_ADDON_COUNT ? catalogue[a].name : NULL;
}

const char *sl_addon_type_name(sl_addon a)
{
    return (unsigned)a < SL_ADDON_COUNT ? catalogue[a].type_name : NULL;
}

int sl_addon_seat_assignable(sl_addon a)
{
    return (unsigned)a < SL_ADDON_COUNT && catalogue[a].assignable;
}

/* Bytes of s to quote: at most QUOTE_MAX, never cutting a UTF-8 sequence. */
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

static sl_rc parse_by(const char *s, int type, sl_addon *out, sl_error *err)
{
    for (int a = 0; s && a < SL_ADDON_COUNT; a++) {
        if (strcmp(s, type ? catalogue[a].type_name : catalogue[a].name) == 0) {
            *out = (sl_addon)a;
            return SL_OK;
        }
    }
    return sl__err(err, SL_EINVAL, "unknown add-on '%.*s': %s", s ? quote_len(s) : 0,
                   s ? s : "", type ? "use CODE_SUGGESTIONS, DUO_ENTERPRISE, DUO_AMAZON_Q or "
                                      "DUO_CORE" : UNKNOWN_HINT);
}

sl_rc sl_addon_parse(const char *name, sl_addon *out, sl_error *err)
{
    return parse_by(name, 0, out, err);
}

sl_rc sl_addon_parse_type(const char *type_name, sl_addon *out, sl_error *err)
{
    return parse_by(type_name, 1, out, err);
}

/* ---- the key's field ------------------------------------------------------ */

static const json_t *products_of(const json_t *root)
{
    const json_t *r = json_object_get(root, "restrictions");
    return json_is_object(r) ? json_object_get(r, "add_on_products") : NULL;
}

/* A date member of an entry: SL_OK with the day, or the message naming it. */
static sl_rc entry_date(const json_t *e, const char *what, int32_t *out, sl_error *err)
{
    const json_t *v = json_object_get(e, what);
    if (!v || json_is_null(v))
        return sl__err(err, SL_EINVAL, "%s is missing", what);
    if (!json_is_string(v))
        return sl__err(err, SL_EINVAL, "%s is not a string", what);
    if (sl_date_parse_lenient(json_string_value(v), json_string_length(v), out) != SL_OK)
        return sl__err(err, SL_EINVAL, "%s '%.*s' is not a valid date", what,
                       quote_len(json_string_value(v)), json_string_value(v));
    return SL_OK;
}

/* One entry; on failure err holds the field's message without the prefix. */
static sl_rc check_entry(const json_t *e, sl_error *err)
{
    const json_t *q, *xid, *trial;
    int32_t d;
    sl_rc rc;
    if (!json_is_object(e))
        return sl__err(err, SL_EINVAL, "is not an object");
    q = json_object_get(e, "quantity");
    if (!json_is_integer(q) || json_integer_value(q) < 1)
        return sl__err(err, SL_EINVAL, "quantity must be an integer of at least 1");
    rc = entry_date(e, "started_on", &d, err);
    if (rc == SL_OK)
        rc = entry_date(e, "expires_on", &d, err);
    if (rc != SL_OK)
        return rc;
    xid = json_object_get(e, "purchase_xid");
    if (xid && !json_is_null(xid) &&
        (!json_is_string(xid) || json_string_length(xid) > SL_ADDON_XID_MAX))
        return sl__err(err, SL_EINVAL, "purchase_xid must be a string of at most %d bytes",
                       SL_ADDON_XID_MAX);
    trial = json_object_get(e, "trial");
    if (trial && !json_is_null(trial) && !json_is_boolean(trial))
        return sl__err(err, SL_EINVAL, "trial must be true or false");
    return SL_OK;
}

sl_rc sl__license_check_add_on_products(const json_t *root, sl_error *err)
{
    const json_t *p = products_of(root);
    if (!p || json_is_null(p))
        return SL_OK;
    if (!json_is_object(p))
        return sl__err(err, SL_EINVAL, "license: add_on_products is not an object");
    for (int a = 0; a < SL_ADDON_COUNT; a++) {
        const json_t *list = json_object_get(p, catalogue[a].name);
        size_t i;
        const json_t *e;
        if (!list)
            continue;
        if (!json_is_array(list))
            return sl__err(err, SL_EINVAL, "license: add_on_products.%s is not an array",
                           catalogue[a].name);
        if (json_array_size(list) > SL_ADDON_ENTRIES_MAX)
            return sl__err(err, SL_EINVAL,
                           "license: add_on_products.%s has more than %d entries",
                           catalogue[a].name, SL_ADDON_ENTRIES_MAX);
        json_array_foreach(list, i, e) {
            sl_error why = {0};
            if (check_entry(e, &why) != SL_OK)
                return sl__err(err, SL_EINVAL, "license: add_on_products.%s[%zu]%s%s",
                               catalogue[a].name, i,
                               strncmp(why.message, "is ", 3) == 0 ? " " : ".", why.message);
        }
    }
    return SL_OK;
}

void sl__add_on_grant(const json_t *root, sl_addon a, int32_t day, sl_addon_grant *out)
{
    const json_t *p = products_of(root);
    const json_t *list = json_is_object(p) && (unsigned)a < SL_ADDON_COUNT
                             ? json_object_get(p, catalogue[a].name) : NULL;
    const json_t *e;
    size_t i;
    int all_trial = 1;
    memset(out, 0, sizeof *out);
    out->started_on = out->expires_on = SL_DATE_NONE;
    if (!json_is_array(list))
        return;
    json_array_foreach(list, i, e) {
        const json_t *q = json_object_get(e, "quantity"), *xid;
        int32_t from, to;
        sl_error ignored;
        if (i >= SL_ADDON_ENTRIES_MAX || check_entry(e, &ignored) != SL_OK)
            continue;
        entry_date(e, "started_on", &from, NULL);
        entry_date(e, "expires_on", &to, NULL);
        if (!(from <= day && day < to))
            continue;
        /* quantities are at least 1 and at most 64 entries: no overflow
         * below 2^57; beyond, the sum saturates */
        out->quantity = json_integer_value(q) > INT64_MAX - out->quantity
                            ? INT64_MAX : out->quantity + json_integer_value(q);
        if (out->started_on == SL_DATE_NONE || from < out->started_on)
            out->started_on = from;
        if (out->expires_on == SL_DATE_NONE || to > out->expires_on)
            out->expires_on = to;
        xid = json_object_get(e, "purchase_xid");
        if (!out->purchase_xid && json_is_string(xid))
            out->purchase_xid = json_string_value(xid);
        all_trial = all_trial && json_is_true(json_object_get(e, "trial"));
    }
    out->trial = out->quantity > 0 && all_trial;
}

sl_rc sl__add_on_products_dump(const json_t *root, char **out_json, sl_error *err)
{
    const json_t *p = products_of(root);
    *out_json = p && !json_is_null(p) ? sl__json_dump(p) : sl__strdup("{}");
    return *out_json ? SL_OK : sl__err(err, SL_ENOMEM, "out of memory");
}
