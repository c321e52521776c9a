/*
 * test_license.c - license attributes from a payload (bool, date, plan and
 * count rules), the validity rules with their messages, the derived states
 * and the `license verify --json` document.
 */
#include "testutil.h"
#include "license/license_internal.h"

#include <stdlib.h>
#include <string.h>

#define LICENSEE "\"licensee\":{\"Name\":\"Ada\",\"Email\":\"ada@example.com\",\"Company\":\"Ex\"}"
#define VALID_HEAD "{" LICENSEE ",\"issued_at\":\"2024-01-01\",\"expires_at\":\"2030-01-01\""

static sl_license *load(const char *json)
{
    sl_license *lic = NULL;
    sl_error err = {0};
    if (sl_license_from_payload(json, strlen(json), &lic, &err) != SL_OK)
        fail_msg("%s: %s", json, err.message);
    return lic;
}

static int32_t day(const char *ymd)
{
    int32_t d;
    assert_int_equal(sl_date_parse(ymd, &d, NULL), SL_OK);
    return d;
}

static void expect_valid(const char *json)
{
    sl_license *lic = load(json);
    sl_error err = {0};
    if (sl_license_validate(lic, &err) != SL_OK)
        fail_msg("%s: %s", json, err.message);
    sl_license_free(lic);
}

static void expect_invalid(const char *json, const char *message)
{
    sl_license *lic = load(json);
    sl_error err = {0};
    assert_int_equal(sl_license_validate(lic, &err), SL_EINVAL);
    assert_int_equal(err.code, SL_EINVAL);
    assert_string_equal(err.message, message);
    sl_license_free(lic);
}

static void expect_load_fail(const char *json, size_t len, sl_rc code, const char *message)
{
    sl_license *lic = (sl_license *)1;
    sl_error err = {0};
    assert_int_equal(sl_license_from_payload(json, len, &lic, &err), code);
    assert_null(lic);
    assert_string_equal(err.message, message);
}

static void test_payload_kept_exactly(void **state)
{
    (void)state;
    static const char json[] = VALID_HEAD ", \"x\" : [ 1 , 2 ] }\n";
    sl_license *lic = load(json);
    size_t len;
    assert_string_equal(sl_license_payload(lic, &len), json);
    assert_int_equal(len, sizeof json - 1);
    assert_true(json_is_array(json_object_get(sl__license_json(lic), "x")));
    sl_license_free(lic);
}

static void test_payload_errors(void **state)
{
    (void)state;
    char *big = malloc(SL_PAYLOAD_MAX + 2);
    expect_load_fail("[]", 2, SL_EINVAL, "payload: not a JSON object");
    expect_load_fail("null", 4, SL_EINVAL, "payload: not a JSON object");
    expect_load_fail("{", 1, SL_EINVAL,
                     "payload: invalid JSON at line 1, column 1: string or '}' expected near end of file");
    expect_load_fail("{\"version\":2}", 13, SL_EINVAL, "payload: unsupported version 2");
    expect_load_fail("{\"version\":\"1\"}", 15, SL_EINVAL, "payload: unsupported version \"1\"");
    expect_load_fail("{\"version\":true}", 16, SL_EINVAL, "payload: unsupported version true");
    expect_load_fail("{\"version\":-1}", 14, SL_EINVAL, "payload: unsupported version -1");
    memset(big, ' ', SL_PAYLOAD_MAX + 1);
    memcpy(big, "{}", 2);
    expect_load_fail(big, SL_PAYLOAD_MAX + 1, SL_ETOOBIG,
                     "payload: JSON of 262145 bytes is over the limit of 262144");
    memset(big, '[', 40);
    memset(big + 40, ']', 40);
    expect_load_fail(big, 80, SL_EINVAL, "payload: JSON nested deeper than 32 levels");
    free(big);
}

static void test_bools(void **state)
{
    (void)state;
    static const struct {
        const char *value;
        int flag, overages;
    } cases[] = {
        {"true", 1, 1}, {"false", 0, 0}, {"\"true\"", 0, 1}, {"\"false\"", 0, 1},
        {"1", 0, 1},    {"0", 0, 1},     {"null", 0, 1},     {NULL, 0, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char json[512];
        sl_license *lic;
        const sl_license_info *in;
        if (cases[i].value)
            snprintf(json, sizeof json,
                     "{\"cloud_licensing_enabled\":%s,\"offline_cloud_licensing_enabled\":%s,"
                     "\"generated_from_cancellation\":%s,\"contract_overages_allowed\":%s,"
                     "\"restrictions\":{\"trial\":%s,\"reconciliation_completed\":%s}}",
                     cases[i].value, cases[i].value, cases[i].value, cases[i].value,
                     cases[i].value, cases[i].value);
        else
            snprintf(json, sizeof json, "{\"restrictions\":{}}");
        lic = load(json);
        in = sl_license_get_info(lic);
        assert_int_equal(in->cloud_licensing_enabled, cases[i].flag);
        assert_int_equal(in->offline_cloud_licensing_enabled, cases[i].flag);
        assert_int_equal(in->generated_from_cancellation, cases[i].flag);
        assert_int_equal(in->trial, cases[i].flag);
        assert_int_equal(in->reconciliation_completed, cases[i].flag);
        assert_int_equal(in->contract_overages_allowed, cases[i].overages);
        sl_license_free(lic);
    }
}

static void test_dates(void **state)
{
    (void)state;
    sl_license *lic;
    const sl_license_info *in;
    char buf[16];
    lic = load("{\"issued_at\":\"2099-03-01T23:00:00-05:00\",\"expires_at\":\"20240101\","
               "\"notify_admins_at\":\"2024-02-30\",\"notify_users_at\":\"soon\","
               "\"block_changes_at\":\" 2025-05-05 \"}");
    in = sl_license_get_info(lic);
    assert_string_equal(sl_date_format(in->starts_on, buf, sizeof buf), "2099-03-01");
    assert_string_equal(sl_date_format(in->expires_on, buf, sizeof buf), "2024-01-01");
    assert_int_equal(in->notify_admins_on, SL_DATE_NONE);
    assert_int_equal(in->notify_users_on, SL_DATE_NONE);
    assert_string_equal(sl_date_format(in->block_changes_on, buf, sizeof buf), "2025-05-05");
    sl_license_free(lic);
    /* non-string values are absent as dates, and make the key invalid */
    lic = load("{\"issued_at\":20240101,\"expires_at\":null}");
    in = sl_license_get_info(lic);
    assert_int_equal(in->starts_on, SL_DATE_NONE);
    assert_int_equal(in->expires_on, SL_DATE_NONE);
    sl_license_free(lic);
}

/* absent counts */
#define N SL_COUNT_NONE

static void test_plan_and_counts(void **state)
{
    (void)state;
    static const struct {
        const char *restrictions, *plan;
        int64_t seats, previous, quantity, period;
    } cases[] = {
        {NULL, "starter", N, N, N, N},
        {"{}", "starter", N, N, N, N},
        {"[{\"plan\":\"ultimate\"}]", "starter", N, N, N, N},
        {"\"premium\"", "starter", N, N, N, N},
        {"{\"plan\":\"\"}", "starter", N, N, N, N},
        {"{\"plan\":\" \\t\"}", "starter", N, N, N, N},
        {"{\"plan\":null}", "starter", N, N, N, N},
        {"{\"plan\":7}", "starter", N, N, N, N},
        {"{\"plan\":\"premium\",\"active_user_count\":0}", "premium", 0, N, N, N},
        {"{\"plan\":\"ultimate\",\"active_user_count\":2147483647,\"previous_user_count\":0,"
         "\"trueup_quantity\":3,\"trueup_period_seat_count\":9}",
         "ultimate", 2147483647, 0, 3, 9},
        {"{\"active_user_count\":100.0,\"previous_user_count\":-5,\"trueup_quantity\":\"3\"}",
         "starter", 100, -5, N, N},
        {"{\"active_user_count\":1.5,\"previous_user_count\":9007199254740993}",
         "starter", N, 9007199254740993LL, N, N},
        {"{\"plan\":\"gold\",\"active_user_count\":true}", "gold", N, N, N, N},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char json[512];
        sl_license *lic;
        const sl_license_info *in;
        if (cases[i].restrictions)
            snprintf(json, sizeof json, "{\"restrictions\":%s}", cases[i].restrictions);
        else
            snprintf(json, sizeof json, "{}");
        lic = load(json);
        in = sl_license_get_info(lic);
        assert_string_equal(in->plan, cases[i].plan);
        assert_int_equal(in->seats, cases[i].seats);
        assert_int_equal(in->previous_user_count, cases[i].previous);
        assert_int_equal(in->trueup_quantity, cases[i].quantity);
        assert_int_equal(in->trueup_period_seat_count, cases[i].period);
        sl_license_free(lic);
    }
}
#undef N

static void test_trueup_and_identity(void **state)
{
    (void)state;
    static const struct {
        const char *restrictions;
        int present;
        const char *from, *to;
    } cases[] = {
        {"{\"trueup_quantity\":5,\"trueup_from\":\"2024-01-01\",\"trueup_to\":\"2025-01-01\"}",
         1, "2024-01-01", "2025-01-01"},
        {"{\"trueup_quantity\":0,\"trueup_from\":\"yesterday\",\"trueup_to\":\"20250101\"}",
         1, NULL, "2025-01-01"},
        {"{\"trueup_quantity\":5,\"trueup_from\":\"2024-01-01\"}", 0, "2024-01-01", NULL},
        {"{\"trueup_quantity\":null,\"trueup_from\":\"2024-01-01\",\"trueup_to\":\"2025-01-01\"}",
         0, "2024-01-01", "2025-01-01"},
        {"{\"trueup_quantity\":\"5\",\"trueup_from\":1,\"trueup_to\":2}", 1, NULL, NULL},
    };
    sl_license *lic;
    const sl_license_info *in;
    char buf[16];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char json[512];
        snprintf(json, sizeof json, "{\"restrictions\":%s}", cases[i].restrictions);
        lic = load(json);
        in = sl_license_get_info(lic);
        assert_int_equal(in->trueup_present, cases[i].present);
        if (cases[i].from)
            assert_string_equal(sl_date_format(in->trueup_from, buf, sizeof buf), cases[i].from);
        else
            assert_int_equal(in->trueup_from, SL_DATE_NONE);
        if (cases[i].to)
            assert_string_equal(sl_date_format(in->trueup_to, buf, sizeof buf), cases[i].to);
        else
            assert_int_equal(in->trueup_to, SL_DATE_NONE);
        sl_license_free(lic);
    }
    lic = load("{\"licensee\":{\"Name\":\"A\",\"Email\":7,\"company\":\"lowercase key\"},"
               "\"restrictions\":{\"subscription_name\":\"A-S0001\"}}");
    in = sl_license_get_info(lic);
    assert_true(in->has_licensee);
    assert_string_equal(in->licensee_name, "A");
    assert_null(in->licensee_email);
    assert_null(in->licensee_company);
    assert_string_equal(in->subscription_name, "A-S0001");
    assert_int_equal(in->version, 1);
    sl_license_free(lic);
    lic = load("{\"licensee\":{},\"restrictions\":{\"subscription_name\":1}}");
    assert_false(sl_license_get_info(lic)->has_licensee);
    assert_null(sl_license_get_info(lic)->subscription_name);
    sl_license_free(lic);
}

static void test_validity(void **state)
{
    (void)state;
    expect_valid(VALID_HEAD "}");
    expect_valid(VALID_HEAD ",\"version\":1.0}");
    /* licensee */
    expect_invalid("{\"issued_at\":\"2024-01-01\",\"expires_at\":\"2030-01-01\"}",
                   "license: licensee is missing");
    expect_invalid("{\"licensee\":null,\"issued_at\":\"2024-01-01\"}", "license: licensee is missing");
    expect_invalid("{\"licensee\":\"Ada\",\"issued_at\":\"2024-01-01\"}",
                   "license: licensee is not an object");
    expect_invalid("{\"licensee\":[\"Ada\"]}", "license: licensee is not an object");
    expect_invalid("{\"licensee\":{},\"issued_at\":\"2024-01-01\"}", "license: licensee is empty");
    /* a licensee comes first, even when the dates are wrong too */
    expect_invalid("{\"licensee\":{},\"issued_at\":5}", "license: licensee is empty");
    /* start date */
    expect_invalid("{" LICENSEE ",\"expires_at\":\"2030-01-01\"}", "license: issued_at is missing");
    expect_invalid("{" LICENSEE ",\"issued_at\":null,\"expires_at\":\"2030-01-01\"}",
                   "license: issued_at is missing");
    expect_invalid("{" LICENSEE ",\"issued_at\":\"2024-02-30\",\"expires_at\":\"2030-01-01\"}",
                   "license: issued_at '2024-02-30' is not a valid date");
    expect_invalid("{" LICENSEE ",\"issued_at\":\"\",\"expires_at\":\"2030-01-01\"}",
                   "license: issued_at '' is not a valid date");
    /* non-string dates */
    expect_invalid("{" LICENSEE ",\"issued_at\":20240101,\"expires_at\":\"2030-01-01\"}",
                   "license: issued_at is not a string");
    expect_invalid(VALID_HEAD ",\"expires_at\":20300101}", "license: expires_at is not a string");
    expect_invalid(VALID_HEAD ",\"notify_admins_at\":{}}", "license: notify_admins_at is not a string");
    expect_invalid(VALID_HEAD ",\"notify_users_at\":[]}", "license: notify_users_at is not a string");
    expect_invalid(VALID_HEAD ",\"block_changes_at\":1}", "license: block_changes_at is not a string");
    expect_invalid(VALID_HEAD ",\"activated_at\":true}", "license: activated_at is not a string");
    expect_invalid(VALID_HEAD ",\"next_sync_at\":1.5}", "license: next_sync_at is not a string");
    expect_invalid(VALID_HEAD ",\"last_synced_at\":0}", "license: last_synced_at is not a string");
    /* strings that are not dates are merely absent there */
    expect_valid(VALID_HEAD ",\"notify_admins_at\":\"never\",\"activated_at\":\"x\","
                 "\"next_sync_at\":null,\"last_synced_at\":\"2024-01-01T10:00:00Z\"}");
    /* expiry */
    expect_invalid("{" LICENSEE ",\"issued_at\":\"2024-01-01\"}", "license: expires_at is missing");
    expect_invalid("{" LICENSEE ",\"issued_at\":\"2024-01-01\",\"expires_at\":\"soon\"}",
                   "license: expires_at 'soon' is not a valid date");
    /* cloud licensing */
    expect_invalid(VALID_HEAD ",\"offline_cloud_licensing_enabled\":true}",
                   "license: offline_cloud_licensing_enabled is set without "
                   "cloud_licensing_enabled");
    expect_invalid(VALID_HEAD ",\"offline_cloud_licensing_enabled\":true,"
                   "\"cloud_licensing_enabled\":\"true\"}",
                   "license: offline_cloud_licensing_enabled is set without "
                   "cloud_licensing_enabled");
    expect_valid(VALID_HEAD ",\"offline_cloud_licensing_enabled\":true,"
                 "\"cloud_licensing_enabled\":true}");
    expect_valid(VALID_HEAD ",\"cloud_licensing_enabled\":true}");
    /* long values are quoted up to 64 bytes, never splitting a character */
    {
        char json[512], want[256];
        char value[200] = "";
        for (int i = 0; i < 40; i++)
            strcat(value, "\xc3\xbc");
        snprintf(json, sizeof json, "{" LICENSEE ",\"issued_at\":\"%s\"}", value);
        value[64] = '\0';
        snprintf(want, sizeof want, "license: issued_at '%s' is not a valid date", value);
        expect_invalid(json, want);
        snprintf(json, sizeof json, "{" LICENSEE ",\"issued_at\":\"a%s\"}", value);
        value[62] = '\0';
        snprintf(want, sizeof want, "license: issued_at 'a%s' is not a valid date", value);
        expect_invalid(json, want);
    }
}

static void test_vendor_internal(void **state)
{
    (void)state;
    static const struct {
        const char *company, *email;
        int valid;
    } cases[] = {
        {"GitLab", "jane@gitlab.com", 1},
        {"GitLab Inc.", "jane@gitlab.com", 1},
        {"the gitlab team", "jane@jihulab.com", 1},
        {"GITLAB", "x@jihulab.com", 1},
        {"GitLab", "jane@example.com", 0},
        {"Example", "jane@gitlab.com", 0},
        {"GitLab", "jane@GITLAB.COM", 0},
        {"GitLab", "jane@gitlab.com.evil", 0},
        {"Git Lab", "jane@gitlab.com", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char json[512];
        snprintf(json, sizeof json,
                 "{\"licensee\":{\"Name\":\"J\",\"Email\":\"%s\",\"Company\":\"%s\"},"
                 "\"issued_at\":\"2024-01-01\"}",
                 cases[i].email, cases[i].company);
        if (cases[i].valid)
            expect_valid(json);
        else
            expect_invalid(json, "license: expires_at is missing");
    }
    /* an internal key with an unreadable expiry counts as no expiry */
    expect_valid("{\"licensee\":{\"Email\":\"a@gitlab.com\",\"Company\":\"GitLab\"},"
                 "\"issued_at\":\"2024-01-01\",\"expires_at\":\"2024-13-01\"}");
    /* but a non-string one is still invalid */
    expect_invalid("{\"licensee\":{\"Email\":\"a@gitlab.com\",\"Company\":\"GitLab\"},"
                   "\"issued_at\":\"2024-01-01\",\"expires_at\":1}",
                   "license: expires_at is not a string");
    /* Company and Email must be strings */
    expect_invalid("{\"licensee\":{\"Email\":[\"a@gitlab.com\"],\"Company\":\"GitLab\"},"
                   "\"issued_at\":\"2024-01-01\"}",
                   "license: expires_at is missing");
}

static void test_derived_states(void **state)
{
    (void)state;
    sl_license *lic = load("{\"issued_at\":\"2024-03-10\",\"expires_at\":\"2025-03-10\","
                           "\"block_changes_at\":\"2025-03-24\"}");
    assert_false(sl_license_is_started(lic, day("2024-03-09")));
    assert_true(sl_license_is_started(lic, day("2024-03-10")));
    assert_true(sl_license_is_started(lic, day("2030-01-01")));
    assert_false(sl_license_is_expired(lic, day("2025-03-09")));
    assert_true(sl_license_is_expired(lic, day("2025-03-10")));   /* on its expiry date */
    assert_true(sl_license_is_expired(lic, day("2025-03-11")));
    assert_false(sl_license_is_block_changes(lic, day("2025-03-23")));
    assert_true(sl_license_is_block_changes(lic, day("2025-03-24")));
    sl_license_free(lic);
    lic = load("{}");
    assert_false(sl_license_is_started(lic, day("2030-01-01")));
    assert_false(sl_license_is_expired(lic, day("2030-01-01")));
    assert_false(sl_license_is_block_changes(lic, day("2030-01-01")));
    sl_license_free(lic);
}

static void expect_verify_json(const sl_license *lic, const sl_error *failure,
                               const char *today, const char *want)
{
    char *doc = NULL;
    sl_error err = {0};
    assert_int_equal(sl_license_verify_json(lic, failure, day(today), &doc, &err), SL_OK);
    assert_string_equal(doc, want);
    sl_free(doc);
}

static void test_verify_json(void **state)
{
    (void)state;
    sl_error failure = {SL_EINVAL, "aes: bad padding (tampered data or wrong key)"};
    sl_license *lic;
    expect_verify_json(NULL, &failure, "2026-11-22",
                       "{\"valid\":false,\"error\":\"aes: bad padding (tampered data or wrong key)\","
                       "\"expired\":false,\"started\":false,\"license\":null}");
    /* bytes that are not UTF-8 in a message do not lose the message */
    {
        sl_error odd = {SL_ENOTFOUND, "cannot open 'caf\xe9': no such file"};
        expect_verify_json(NULL, &odd, "2026-11-22",
                           "{\"valid\":false,\"error\":\"cannot open 'caf?': no such file\","
                           "\"expired\":false,\"started\":false,\"license\":null}");
    }
    lic = load("{\"version\":1.0,\"licensee\":{\"Name\":\"J\\u00fcrgen\",\"Company\":\"GitLab\","
               "\"Email\":\"j@gitlab.com\"},\"issued_at\":\"20240101\","
               "\"notify_users_at\":\"2099-03-01T23:00:00-05:00\",\"block_changes_at\":\"2026-01-01\","
               "\"auto_renew_enabled\":true,\"temporary_extension\":\"yes\","
               "\"contract_overages_allowed\":null,\"restrictions\":{\"plan\":\"ultimate\","
               "\"active_user_count\":5,\"previous_user_count\":3,\"trueup_quantity\":2,"
               "\"trueup_from\":\"2023-01-01T00:00:00Z\",\"trueup_to\":\"2024-01-01\","
               "\"add_ons\":{\"GitLab_Geo\":1,\"x\":\"y\"},\"trial\":true},\"extra\":[1]}");
    expect_verify_json(lic, NULL, "2026-11-22",
                       "{\"valid\":true,\"error\":null,\"expired\":false,\"started\":true,"
                       "\"license\":{\"licensee\":{\"Name\":\"J\xc3\xbcrgen\",\"Company\":\"GitLab\","
                       "\"Email\":\"j@gitlab.com\"},\"starts_at\":\"2024-01-01\",\"expires_at\":null,"
                       "\"plan\":\"ultimate\",\"user_limit\":5,\"add_ons\":{\"GitLab_Geo\":1,"
                       "\"x\":\"y\"},\"restrictions\":{\"plan\":\"ultimate\",\"active_user_count\":5,"
                       "\"previous_user_count\":3,\"trueup_quantity\":2,\"trueup_from\":"
                       "\"2023-01-01T00:00:00Z\",\"trueup_to\":\"2024-01-01\",\"add_ons\":"
                       "{\"GitLab_Geo\":1,\"x\":\"y\"},\"trial\":true},\"version\":1,"
                       "\"issued_at\":\"2024-01-01\",\"notify_admins_at\":null,"
                       "\"notify_users_at\":\"2099-03-01\",\"block_changes_at\":\"2026-01-01\","
                       "\"cloud_licensing_enabled\":false,\"offline_cloud_licensing_enabled\":false,"
                       "\"auto_renew_enabled\":true,\"seat_reconciliation_enabled\":false,"
                       "\"operational_metrics_enabled\":false,\"contract_overages_allowed\":true,"
                       "\"generated_from_customers_dot\":false,\"generated_from_cancellation\":false,"
                       "\"temporary_extension\":false,\"trial\":true,\"previous_user_count\":3,"
                       "\"trueup_quantity\":2,\"trueup_from\":\"2023-01-01\",\"trueup_to\":"
                       "\"2024-01-01\",\"block_changes\":true}}");
    /* a failure of a later step overrides the key's own verdict */
    expect_verify_json(lic, &failure, "2023-12-31",
                       "{\"valid\":false,\"error\":\"aes: bad padding (tampered data or wrong key)\","
                       "\"expired\":false,\"started\":false,\"license\":{\"licensee\":{\"Name\":"
                       "\"J\xc3\xbcrgen\",\"Company\":\"GitLab\",\"Email\":\"j@gitlab.com\"},"
                       "\"starts_at\":\"2024-01-01\",\"expires_at\":null,\"plan\":\"ultimate\","
                       "\"user_limit\":5,\"add_ons\":{\"GitLab_Geo\":1,\"x\":\"y\"},\"restrictions\":"
                       "{\"plan\":\"ultimate\",\"active_user_count\":5,\"previous_user_count\":3,"
                       "\"trueup_quantity\":2,\"trueup_from\":\"2023-01-01T00:00:00Z\",\"trueup_to\":"
                       "\"2024-01-01\",\"add_ons\":{\"GitLab_Geo\":1,\"x\":\"y\"},\"trial\":true},"
                       "\"version\":1,\"issued_at\":\"2024-01-01\",\"notify_admins_at\":null,"
                       "\"notify_users_at\":\"2099-03-01\",\"block_changes_at\":\"2026-01-01\","
                       "\"cloud_licensing_enabled\":false,\"offline_cloud_licensing_enabled\":false,"
                       "\"auto_renew_enabled\":true,\"seat_reconciliation_enabled\":false,"
                       "\"operational_metrics_enabled\":false,\"contract_overages_allowed\":true,"
                       "\"generated_from_customers_dot\":false,\"generated_from_cancellation\":false,"
                       "\"temporary_extension\":false,\"trial\":true,\"previous_user_count\":3,"
                       "\"trueup_quantity\":2,\"trueup_from\":\"2023-01-01\",\"trueup_to\":"
                       "\"2024-01-01\",\"block_changes\":false}}");
    sl_license_free(lic);
    /* decoded but invalid: the validity message, the license still shown */
    lic = load("{\"licensee\":\"nobody\",\"issued_at\":\"2024-01-01\",\"expires_at\":\"2025-01-01\","
               "\"restrictions\":{\"add_ons\":[1]}}");
    expect_verify_json(lic, NULL, "2026-11-22",
                       "{\"valid\":false,\"error\":\"license: licensee is not an object\","
                       "\"expired\":true,\"started\":true,\"license\":{\"licensee\":null,"
                       "\"starts_at\":\"2024-01-01\",\"expires_at\":\"2025-01-01\",\"plan\":\"starter\","
                       "\"user_limit\":null,\"add_ons\":{},\"restrictions\":{\"add_ons\":[1]},"
                       "\"version\":1,\"issued_at\":\"2024-01-01\",\"notify_admins_at\":null,"
                       "\"notify_users_at\":null,\"block_changes_at\":null,"
                       "\"cloud_licensing_enabled\":false,\"offline_cloud_licensing_enabled\":false,"
                       "\"auto_renew_enabled\":false,\"seat_reconciliation_enabled\":false,"
                       "\"operational_metrics_enabled\":false,\"contract_overages_allowed\":true,"
                       "\"generated_from_customers_dot\":false,\"generated_from_cancellation\":false,"
                       "\"temporary_extension\":false,\"trial\":false,\"previous_user_count\":null,"
                       "\"trueup_quantity\":null,\"trueup_from\":null,\"trueup_to\":null,"
                       "\"block_changes\":false}}");
    sl_license_free(lic);
    lic = load("{\"restrictions\":7}");
    {
        char *doc = NULL;
        assert_int_equal(sl_license_verify_json(lic, NULL, day("2026-11-22"), &doc, NULL), SL_OK);
        assert_non_null(strstr(doc, "\"add_ons\":{},\"restrictions\":{},"));
        assert_non_null(strstr(doc, "\"error\":\"license: licensee is missing\""));
        sl_free(doc);
    }
    sl_license_free(lic);
    sl_license_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_payload_kept_exactly),
        cmocka_unit_test(test_payload_errors),
        cmocka_unit_test(test_bools),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_plan_and_counts),
        cmocka_unit_test(test_trueup_and_identity),
        cmocka_unit_test(test_validity),
        cmocka_unit_test(test_vendor_internal),
        cmocka_unit_test(test_derived_states),
        cmocka_unit_test(test_verify_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
