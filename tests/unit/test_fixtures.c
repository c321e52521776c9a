/*
 * test_fixtures.c - every key made by the reference implementation (the
 * gitlab-license gem 2.6.0) in fixtures/gitlab-license/: verdict, exact
 * decrypted payload, attributes and, for invalid keys, the failing layer.
 * Evaluated as of 2026-11-22 like the fixtures themselves.
 */
#include "testutil.h"
#include "core/internal.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

/* The failure message of each invalid fixture (decode or validity). */
static const struct {
    const char *name;
    const char *error;
    int decodes; /* 1 when decoding succeeds and validity fails */
} invalid[] = {
    {"22_missing_licensee", "license: licensee is missing", 1},
    {"25_version_2", "payload: unsupported version 2", 0},
    {"40_flip_data_last_block", "aes: bad padding (tampered data or wrong key)", 0},
    {"46_truncated_half",
     "envelope: invalid JSON at line 1, column 570: premature end of input", 0},
    {"49_wrong_public_key", "signature: key does not verify with any trusted public key", 0},
    {"50_garbage_text", "envelope: invalid JSON at line 1, column 1: invalid token near 'N'",
     0},
};

static sl_keyring *load_keyring(const char *pem_name)
{
    char rel[256], *path, *pem;
    size_t len;
    sl_keyring *kr = NULL;
    sl_error err = {0};
    snprintf(rel, sizeof rel, "fixtures/gitlab-license/%s", pem_name);
    path = tu_source_path(rel);
    pem = tu_read(path, &len);
    assert_int_equal(sl_keyring_new(&kr, &err), SL_OK);
    if (sl_keyring_add_pem(kr, pem, len, pem_name, &err) != SL_OK)
        fail_msg("%s: %s", pem_name, err.message);
    free(pem);
    free(path);
    return kr;
}

static const char *jstr(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static void expect_date(const char *fixture, const char *what, int32_t got, const json_t *want)
{
    char buf[16];
    if (!json_is_string(want)) {
        if (got != SL_DATE_NONE)
            fail_msg("%s: %s should be absent", fixture, what);
        return;
    }
    if (got == SL_DATE_NONE)
        fail_msg("%s: %s absent, expected %s", fixture, what, json_string_value(want));
    assert_string_equal(sl_date_format(got, buf, sizeof buf), json_string_value(want));
}

static void expect_count(int64_t got, const json_t *want)
{
    assert_int_equal(got, json_is_integer(want) ? json_integer_value(want) : SL_COUNT_NONE);
}

/* The engine's attributes against the gem's attribute view. */
static void check_attributes(const char *name, const sl_license *lic, const json_t *attrs,
                             int32_t today)
{
    static const char *const flags[] = {
        "cloud_licensing_enabled", "offline_cloud_licensing_enabled", "auto_renew_enabled",
        "seat_reconciliation_enabled", "operational_metrics_enabled",
        "contract_overages_allowed", "generated_from_customers_dot",
        "generated_from_cancellation", "temporary_extension"};
    const sl_license_info *in = sl_license_get_info(lic);
    const json_t *lic_j = json_object_get(attrs, "licensee");
    const json_t *r = json_object_get(attrs, "restrictions");
    char *doc;
    json_t *vj, *vl;
    sl_error err = {0};

    assert_int_equal(in->version, json_integer_value(json_object_get(attrs, "version")));
    assert_int_equal(in->has_licensee, json_is_object(lic_j) && json_object_size(lic_j) > 0);
    if (json_is_object(lic_j)) {
        assert_string_equal(in->licensee_name, jstr(lic_j, "Name"));
        assert_string_equal(in->licensee_email, jstr(lic_j, "Email"));
        assert_string_equal(in->licensee_company, jstr(lic_j, "Company"));
    } else {
        assert_null(in->licensee_name);
    }
    expect_date(name, "issued_at", in->starts_on, json_object_get(attrs, "issued_at"));
    expect_date(name, "expires_at", in->expires_on, json_object_get(attrs, "expires_at"));
    expect_date(name, "notify_admins_at", in->notify_admins_on,
                json_object_get(attrs, "notify_admins_at"));
    expect_date(name, "notify_users_at", in->notify_users_on,
                json_object_get(attrs, "notify_users_at"));
    expect_date(name, "block_changes_at", in->block_changes_on,
                json_object_get(attrs, "block_changes_at"));
    assert_string_equal(in->plan, jstr(r, "plan") ? jstr(r, "plan") : "starter");
    expect_count(in->seats, json_object_get(r, "active_user_count"));
    expect_count(in->previous_user_count, json_object_get(r, "previous_user_count"));
    expect_count(in->trueup_quantity, json_object_get(r, "trueup_quantity"));
    assert_int_equal(in->trial, json_is_true(json_object_get(r, "trial")));
    assert_int_equal(in->cloud_licensing_enabled,
                     json_is_true(json_object_get(attrs, "cloud_licensing_enabled")));
    assert_int_equal(in->offline_cloud_licensing_enabled,
                     json_is_true(json_object_get(attrs, "offline_cloud_licensing_enabled")));
    assert_int_equal(in->generated_from_cancellation,
                     json_is_true(json_object_get(attrs, "generated_from_cancellation")));
    assert_int_equal(in->contract_overages_allowed,
                     json_is_true(json_object_get(attrs, "contract_overages_allowed")));

    /* the verify document carries the same licensee and restrictions */
    assert_int_equal(sl_license_verify_json(lic, NULL, today, &doc, &err), SL_OK);
    vj = json_loads(doc, 0, NULL);
    assert_non_null(vj);
    vl = json_object_get(vj, "license");
    if (json_is_object(lic_j))
        assert_true(json_equal(json_object_get(vl, "licensee"), (json_t *)lic_j));
    else
        assert_true(json_is_null(json_object_get(vl, "licensee")));
    assert_true(json_equal(json_object_get(vl, "restrictions"), (json_t *)r));
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        assert_true(json_equal(json_object_get(vl, flags[i]), json_object_get(attrs, flags[i])));
    json_decref(vj);
    sl_free(doc);
}

static void check_fixture(const char *name)
{
    char rel[512], *path, *meta_text, *blob;
    size_t blob_len;
    json_t *meta, *expected;
    json_error_t jerr;
    sl_keyring *kr;
    sl_license *lic = NULL;
    sl_error err = {0};
    sl_rc rc;
    int32_t today = sl_clock_today();
    const char *verdict, *want_error = NULL;
    int want_decodes = 1;

    snprintf(rel, sizeof rel, "fixtures/gitlab-license/%s.json", name);
    path = tu_source_path(rel);
    meta_text = tu_read(path, NULL);
    free(path);
    meta = json_loads(meta_text, 0, &jerr);
    if (!meta)
        fail_msg("%s: %s", name, jerr.text);
    expected = json_object_get(meta, "expected");
    verdict = jstr(expected, "verdict");
    snprintf(rel, sizeof rel, "fixtures/gitlab-license/%s", jstr(meta, "blob_file"));
    path = tu_source_path(rel);
    blob = tu_read(path, &blob_len);
    free(path);
    kr = load_keyring(jstr(meta, "public_key"));

    rc = sl_license_decode(blob, blob_len, kr, &lic, &err);
    if (strcmp(verdict, "valid") == 0) {
        if (rc != SL_OK)
            fail_msg("%s: %s", name, err.message);
        if (sl_license_validate(lic, &err) != SL_OK)
            fail_msg("%s: %s", name, err.message);
    } else {
        size_t i;
        assert_string_equal(verdict, "invalid");
        for (i = 0; i < sizeof invalid / sizeof invalid[0]; i++)
            if (strcmp(invalid[i].name, name) == 0)
                break;
        if (i == sizeof invalid / sizeof invalid[0])
            fail_msg("%s: invalid fixture without an expected error in the table", name);
        want_error = invalid[i].error;
        want_decodes = invalid[i].decodes;
        if (!want_decodes) {
            assert_int_equal(rc, SL_EINVAL);
            assert_null(lic);
            assert_string_equal(err.message, want_error);
        } else {
            if (rc != SL_OK)
                fail_msg("%s: %s", name, err.message);
            assert_int_equal(sl_license_validate(lic, &err), SL_EINVAL);
            assert_string_equal(err.message, want_error);
        }
    }
    if (lic) {
        size_t plen;
        const char *payload = sl_license_payload(lic, &plen);
        const char *want = jstr(meta, "decrypted_json");
        assert_non_null(want);
        assert_int_equal(plen, strlen(want));
        assert_memory_equal(payload, want, plen);
        if (json_object_get(expected, "expired"))
            assert_int_equal(sl_license_is_expired(lic, today),
                             json_is_true(json_object_get(expected, "expired")));
        if (json_object_get(expected, "started"))
            assert_int_equal(sl_license_is_started(lic, today),
                             json_is_true(json_object_get(expected, "started")));
        check_attributes(name, lic, json_object_get(meta, "attributes"), today);
    }
    sl_license_free(lic);
    sl_keyring_free(kr);
    free(blob);
    free(meta_text);
    json_decref(meta);
}

static void test_all_fixtures(void **state)
{
    (void)state;
    char *dir = tu_source_path("fixtures/gitlab-license");
    DIR *d = opendir(dir);
    struct dirent *e;
    int seen = 0;
    assert_non_null(d);
    setenv("SEATLEDGER_NOW", "2026-11-22T12:00:00Z", 1);
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        char name[256];
        if (n <= 5 || strcmp(e->d_name + n - 5, ".json") != 0 || n - 5 >= sizeof name)
            continue;
        memcpy(name, e->d_name, n - 5);
        name[n - 5] = '\0';
        check_fixture(name);
        seen++;
    }
    closedir(d);
    free(dir);
    /* 15 made by the gem, 1 (60_cloud_add_on_products) by `license issue` */
    assert_int_equal(seen, 16);
}

/* The verify document of a valid, an invalid and an undecodable fixture. */
static void test_verify_json_fixtures(void **state)
{
    (void)state;
    static const struct {
        const char *file, *key, *json;
    } cases[] = {
        {"04_expired_ultimate.gitlab-license", "public.pem",
         "{\"valid\":true,\"error\":null,\"expired\":true,\"started\":true,\"license\":{"
         "\"licensee\":{\"Name\":\"Ada Lovelace\",\"Email\":\"ada@example.com\","
         "\"Company\":\"Expired Inc\"},\"starts_at\":\"2019-01-01\",\"expires_at\":"
         "\"2020-01-01\",\"plan\":\"ultimate\",\"user_limit\":50,\"add_ons\":{},"
         "\"restrictions\":{\"plan\":\"ultimate\",\"active_user_count\":50},\"version\":1,"
         "\"issued_at\":\"2019-01-01\",\"notify_admins_at\":\"2019-12-01\","
         "\"notify_users_at\":\"2019-12-15\",\"block_changes_at\":\"2020-01-15\","
         "\"cloud_licensing_enabled\":false,\"offline_cloud_licensing_enabled\":false,"
         "\"auto_renew_enabled\":false,\"seat_reconciliation_enabled\":false,"
         "\"operational_metrics_enabled\":false,\"contract_overages_allowed\":true,"
         "\"generated_from_customers_dot\":false,\"generated_from_cancellation\":false,"
         "\"temporary_extension\":false,\"trial\":false,\"previous_user_count\":null,"
         "\"trueup_quantity\":null,\"trueup_from\":null,\"trueup_to\":null,"
         "\"block_changes\":true}}"},
        {"22_missing_licensee.gitlab-license", "public.pem",
         "{\"valid\":false,\"error\":\"license: licensee is missing\",\"expired\":false,"
         "\"started\":true,\"license\":{\"licensee\":null,\"starts_at\":\"2024-01-01\","
         "\"expires_at\":\"2099-12-31\",\"plan\":\"premium\",\"user_limit\":10,"
         "\"add_ons\":{},\"restrictions\":{\"plan\":\"premium\",\"active_user_count\":10},"
         "\"version\":1,\"issued_at\":\"2024-01-01\",\"notify_admins_at\":null,"
         "\"notify_users_at\":null,\"block_changes_at\":null,"
         "\"cloud_licensing_enabled\":false,\"offline_cloud_licensing_enabled\":false,"
         "\"auto_renew_enabled\":false,\"seat_reconciliation_enabled\":false,"
         "\"operational_metrics_enabled\":false,\"contract_overages_allowed\":true,"
         "\"generated_from_customers_dot\":false,\"generated_from_cancellation\":false,"
         "\"temporary_extension\":false,\"trial\":false,\"previous_user_count\":null,"
         "\"trueup_quantity\":null,\"trueup_from\":null,\"trueup_to\":null,"
         "\"block_changes\":false}}"},
        {"01_premium_basic.gitlab-license", "wrong_public.pem",
         "{\"valid\":false,\"error\":\"signature: key does not verify with any trusted "
         "public key\",\"expired\":false,\"started\":false,\"license\":null}"},
    };
    setenv("SEATLEDGER_NOW", "2026-11-22T12:00:00Z", 1);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char rel[256], *path, *blob, *doc = NULL;
        size_t len;
        sl_keyring *kr = load_keyring(cases[i].key);
        sl_license *lic = NULL;
        sl_error failure = {0}, err = {0};
        sl_rc rc;
        snprintf(rel, sizeof rel, "fixtures/gitlab-license/%s", cases[i].file);
        path = tu_source_path(rel);
        blob = tu_read(path, &len);
        rc = sl_license_decode(blob, len, kr, &lic, &failure);
        assert_int_equal(sl_license_verify_json(lic, rc == SL_OK ? NULL : &failure,
                                                sl_clock_today(), &doc, &err),
                         SL_OK);
        assert_string_equal(doc, cases[i].json);
        sl_free(doc);
        sl_license_free(lic);
        sl_keyring_free(kr);
        free(blob);
        free(path);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_fixtures),
        cmocka_unit_test(test_verify_json_fixtures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
