/*
 * fuzz_license_decode.c - libFuzzer target for the license pipeline.  Each
 * input is tried twice: as key text (boundary, base64, envelope, RSA with
 * the fixture key, AES, payload, attributes, validity, verify JSON) and as
 * a decrypted payload (attributes, validity, verify JSON, then an encode and
 * decode round trip with a vendor key made at start-up that must give the
 * payload back byte for byte).  restrictions.add_on_products is checked on
 * every license: its validity, and the grant of each add-on on days around
 * today (seed payload_add_on_products*).
 */
#include "fuzzutil.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Round trips cost an RSA private operation; bigger payloads add nothing. */
#define ROUND_TRIP_MAX 4096

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static sl_keyring *fixture_ring;  /* trusts fixtures/gitlab-license/public.pem */
static sl_keyring *vendor_ring;   /* trusts the key made below */
static char *vendor_private;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    sl_error err = {0};
    char *pub = NULL;
    fuzz_init_clock();
    fuzz_assert(sl_keyring_new(&fixture_ring, &err) == SL_OK, "keyring", &err);
    fuzz_assert(sl_keyring_add_pem(fixture_ring, fuzz_fixture_public_pem,
                                   strlen(fuzz_fixture_public_pem), "fixture", &err) == SL_OK,
                "fixture key", &err);
    fuzz_assert(sl_keys_generate(2048, &vendor_private, &pub, &err) == SL_OK, "keys", &err);
    fuzz_assert(sl_keyring_new(&vendor_ring, &err) == SL_OK, "keyring", &err);
    fuzz_assert(sl_keyring_add_pem(vendor_ring, pub, strlen(pub), "vendor", &err) == SL_OK,
                "vendor key", &err);
    sl_free(pub);
    return 0;
}

/* restrictions.add_on_products: the grant of every add-on around `today`
 * is well formed (active entries only), and the field dumps as JSON. */
static void check_add_ons(const sl_license *lic, int32_t today, int valid)
{
    char *json = NULL;
    sl_error err = {0};
    for (int a = 0; a < SL_ADDON_COUNT; a++) {
        for (int32_t day = today - 400; day <= today + 400; day += 200) {
            sl_addon_grant g;
            sl_license_addon_grant(lic, (sl_addon)a, day, &g);
            fuzz_assert(g.quantity >= 0, "negative add-on quantity", NULL);
            if (g.quantity == 0) {
                fuzz_assert(g.started_on == SL_DATE_NONE && !g.trial && !g.purchase_xid,
                            "an add-on without seats has dates", NULL);
                continue;
            }
            fuzz_assert(g.started_on <= day && day < g.expires_on,
                        "an add-on grant that is not active on its day", NULL);
            fuzz_assert(!g.purchase_xid || strlen(g.purchase_xid) <= SL_ADDON_XID_MAX,
                        "purchase_xid over its limit", NULL);
        }
    }
    (void)valid;
    fuzz_assert(sl_license_add_on_products_json(lic, &json, &err) == SL_OK,
                "add_on_products json", &err);
    fuzz_assert_json(json, "add_on_products json");
    sl_free(json);
}

/* What every decoded license must satisfy, then its verify document. */
static void check_license(const sl_license *lic, int32_t today)
{
    const sl_license_info *inf = sl_license_get_info(lic);
    size_t plen = 0;
    const char *payload = sl_license_payload(lic, &plen);
    sl_error verr = {0};
    char *json = NULL;
    sl_error err = {0};
    sl_rc vrc;
    fuzz_assert(inf != NULL, "decoded license has no attributes", NULL);
    fuzz_assert(inf->version == 1, "decoded license has a version other than 1", NULL);
    fuzz_assert(payload != NULL && plen <= SL_PAYLOAD_MAX, "payload missing or over the cap", NULL);
    fuzz_assert(inf->plan != NULL && inf->plan[0] != '\0', "plan missing", NULL);
    vrc = sl_license_validate(lic, &verr);
    fuzz_assert(vrc == SL_OK || (vrc == SL_EINVAL && verr.message[0]), "validate result", &verr);
    check_add_ons(lic, today, vrc == SL_OK);
    (void)sl_license_is_expired(lic, today);
    (void)sl_license_is_started(lic, today);
    (void)sl_license_is_block_changes(lic, today);
    fuzz_assert(sl_license_verify_json(lic, vrc == SL_OK ? NULL : &verr, today, &json, &err) == SL_OK,
                "verify json of a decoded license", &err);
    fuzz_assert_json(json, "verify json");
    sl_free(json);
}

static void check_failure(sl_rc rc, const sl_error *failure, int32_t today)
{
    char *json = NULL;
    sl_error err = {0};
    fuzz_assert(failure->code == rc, "error code differs from the return code", failure);
    fuzz_assert(failure->message[0] != '\0' && strlen(failure->message) < SL_ERROR_MAX,
                "failure without a message", failure);
    fuzz_assert(sl_license_verify_json(NULL, failure, today, &json, &err) == SL_OK,
                "verify json of a failure", &err);
    fuzz_assert_json(json, "verify json of a failure");
    sl_free(json);
}

static void as_key_text(const char *text, size_t size, int32_t today)
{
    sl_license *lic = NULL;
    sl_error err = {0};
    sl_rc rc = sl_license_decode(text, size, fixture_ring, &lic, &err);
    if (rc == SL_OK) {
        fuzz_assert(lic != NULL, "decode ok without a license", NULL);
        check_license(lic, today);
    } else {
        fuzz_assert(lic == NULL, "decode failed but returned a license", &err);
        check_failure(rc, &err, today);
    }
    sl_license_free(lic);
}

static void round_trip(const char *payload, size_t size, int32_t today)
{
    char *key = NULL;
    sl_license *lic = NULL;
    sl_error err = {0};
    const char *back;
    size_t back_len = 0;
    if (sl_license_encode(payload, size, vendor_private, strlen(vendor_private), "GitLab",
                          &key, &err) != SL_OK)
        return;  /* encode may refuse what it cannot carry; it must not crash */
    fuzz_assert(sl_license_decode(key, strlen(key), vendor_ring, &lic, &err) == SL_OK,
                "a freshly issued key does not decode", &err);
    back = sl_license_payload(lic, &back_len);
    fuzz_assert(back_len == size && memcmp(back, payload, size) == 0,
                "round trip changed the payload", NULL);
    check_license(lic, today);
    sl_license_free(lic);
    sl_free(key);
}

static void as_payload(const char *json, size_t size, int32_t today)
{
    sl_license *lic = NULL;
    sl_error err = {0};
    sl_rc rc = sl_license_from_payload(json, size, &lic, &err);
    if (rc != SL_OK) {
        fuzz_assert(lic == NULL, "payload failed but returned a license", &err);
        check_failure(rc, &err, today);
        return;
    }
    check_license(lic, today);
    sl_license_free(lic);
    if (size <= ROUND_TRIP_MAX)
        round_trip(json, size, today);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* libFuzzer's buffer ends exactly at size and is not NUL-terminated, so
     * ASan reports any read past the length the engine was given */
    int32_t today = sl_clock_today();
    as_key_text((const char *)data, size, today);
    as_payload((const char *)data, size, today);
    return 0;
}
