/*
 * test_dry_run.c - `license check` / POST /api/v4/license?dry_run=true: the
 * report of what `license add` would do, with the same verdict and the same
 * message as the add itself, and nothing at all written (not even the id
 * sequence); the REST API's 200 with the report.
 */
#include "ledger_testutil.h"
#include "router.h"

static char *rsa_priv, *rsa_pub, *ed_priv, *ed_pub;

static char *fixture(const char *name, size_t *len)
{
    char rel[256], *path, *data;
    snprintf(rel, sizeof rel, "fixtures/license-v2/%s", name);
    path = tu_source_path(rel);
    data = tu_read(path, len);
    free(path);
    return data;
}

static int group_setup(void **state)
{
    size_t n;
    (void)state;
    setenv("SEATLEDGER_NOW", "2026-11-22T12:00:00Z", 1);
    ed_priv = fixture("ed25519.pem", &n);
    ed_pub = fixture("ed25519.pub.pem", &n);
    return sl_keys_generate(2048, &rsa_priv, &rsa_pub, NULL) == SL_OK ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    free(ed_priv);
    free(ed_pub);
    sl_free(rsa_priv);
    sl_free(rsa_pub);
    return 0;
}

/* A v2 key (Ed25519, the fixture vendor key) for these fields. */
static char *issue_v2(const char *plan, int seats, const char *starts, const char *expires,
                      const char *extra_restrictions)
{
    char payload[1024], *text = NULL;
    sl_error err = {0};
    int n = snprintf(payload, sizeof payload,
                     "{\"version\":1,\"licensee\":{\"Name\":\"Ada\",\"Email\":\"ada@example.com\","
                     "\"Company\":\"Example Corp\"},\"issued_at\":\"%s\",\"expires_at\":\"%s\","
                     "\"restrictions\":{\"plan\":\"%s\",\"active_user_count\":%d%s}}",
                     starts, expires, plan, seats, extra_restrictions ? extra_restrictions : "");
    if (sl_license_encode_v2(payload, (size_t)n, ed_priv, strlen(ed_priv), &text, &err) != SL_OK)
        fail_msg("%s", err.message);
    return text;
}

static sl_store *ledger(char **dir)
{
    sl_store *st = tu_store(dir);
    assert_int_equal(sl_store_key_trust(st, ed_pub, strlen(ed_pub), "vendor-ed", NULL), SL_OK);
    assert_int_equal(sl_store_key_trust(st, rsa_pub, strlen(rsa_pub), "vendor-rsa", NULL), SL_OK);
    return st;
}

/* Everything a dry run could touch, as one string. */
static char *state_of(sl_store *st)
{
    char buf[256];
    snprintf(buf, sizeof buf, "licenses=%lld audit=%lld seq=%lld snapshots=%lld",
             (long long)lt_scalar(st, "SELECT count(*) FROM licenses"),
             (long long)lt_scalar(st, "SELECT count(*) FROM audit_log"),
             (long long)lt_scalar(st, "SELECT coalesce((SELECT seq FROM sqlite_sequence "
                                      "WHERE name = 'licenses'), 0)"),
             (long long)lt_scalar(st, "SELECT count(*) FROM snapshots"));
    return strdup(buf);
}

static void test_report_and_nothing_stored(void **state)
{
    char *dir, *key, *before, *after, *report = NULL;
    sl_store *st = ledger(&dir);
    sl_error err = {0};
    int64_t id = 0;
    (void)state;
    lt_users(st, 15, 0);
    lt_snapshot(st, "2025-06-01T00:00:00Z", 12);
    lt_snapshot(st, "2026-11-01T00:00:00Z", 15);
    key = issue_v2("premium", 20, "2026-01-01", "2027-01-01",
                   ",\"previous_user_count\":10,\"trueup_quantity\":2,"
                   "\"trueup_from\":\"2025-01-01\",\"trueup_to\":\"2026-01-01\"");
    before = state_of(st);
    assert_int_equal(sl_store_license_check(st, key, strlen(key), &report, &err), SL_OK);
    assert_string_equal(report,
        "{\"dry_run\":true,\"valid\":true,\"error\":null,\"format\":\"v2\","
        "\"algorithm\":\"ed25519\",\"signed_by\":\"vendor-ed\",\"would_be_current\":true,"
        "\"license\":{\"plan\":\"premium\",\"created_at\":\"2026-11-22T12:00:00.000Z\","
        "\"starts_at\":\"2026-01-01\",\"expires_at\":\"2027-01-01\",\"historical_max\":15,"
        "\"maximum_user_count\":15,\"expired\":false,\"overage\":0,\"user_limit\":20,"
        "\"active_users\":15,\"licensee\":{\"Name\":\"Ada\",\"Email\":\"ada@example.com\","
        "\"Company\":\"Example Corp\"},\"add_ons\":{}},"
        "\"checks\":{\"billable_now\":15,\"seats\":20,\"seats_allowed\":22,\"overage_now\":0,"
        "\"prior_period\":{\"from\":\"2025-01-01\",\"to\":\"2026-01-01\",\"historical_max\":12,"
        "\"seats\":10},\"trueup_due\":2,\"trueup_quantity\":2},"
        "\"add_ons\":{\"provision\":[],\"cleanup\":{\"removes\":0,\"by_reason\":{},"
        "\"by_add_on\":{}}}}");
    after = state_of(st);
    assert_string_equal(after, before);
    /* the add that follows gets the first id: the dry run used up nothing */
    assert_int_equal(sl_store_license_add(st, key, strlen(key), SL_SOURCE_CLI, &id, &err), SL_OK);
    assert_int_equal(id, 1);
    sl_free(report);
    sl_free(key);
    free(before);
    free(after);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

/* For each key: the dry run's verdict and message are the add's. */
static void test_same_verdict_as_add(void **state)
{
    char *dir, *keys[8];
    const char *want[8];
    sl_store *st = ledger(&dir);
    tu_license gl = {.plan = "premium", .seats = 100, .starts = "2026-01-01",
                     .expires = "2027-01-01"};
    size_t n = 0;
    (void)state;
    lt_users(st, 30, 0);
    lt_snapshot(st, "2025-06-01T00:00:00Z", 30);
    keys[n] = issue_v2("premium", 5, "2026-01-01", "2027-01-01", NULL);
    want[n++] = "During the year before this license started, this installation had 30 active "
                "users, exceeding this license's limit of 5 by 25 users. Please add a license "
                "for at least 30 users.";
    keys[n] = issue_v2("premium", 50, "2024-01-01", "2025-01-01", NULL);
    want[n++] = SL_MSG_EXPIRED;
    keys[n] = issue_v2("premium", 50, "2026-01-01", "2027-01-01",
                       ",\"previous_user_count\":10,\"trueup_quantity\":2,"
                       "\"trueup_from\":\"2025-01-01\",\"trueup_to\":\"2026-01-01\"");
    want[n++] = "You have applied a True-up for 2 users but you need one for 20 users.";
    keys[n] = strdup("-----BEGIN SEATLEDGER LICENSE-----\nAAAA\n");
    want[n++] = SL_MSG_KEY_INVALID " (armor: no '-----END SEATLEDGER LICENSE-----' line)";
    keys[n] = strdup("!!!");
    want[n++] = SL_MSG_KEY_INVALID " (base64: envelope is empty)";
    /* the refusals first: an accepted key changes what the next is checked against */
    keys[n] = issue_v2("premium", 40, "2026-01-01", "2027-01-01", NULL);
    want[n++] = NULL;
    keys[n] = tu_issue(rsa_priv, &gl);
    want[n++] = NULL;
    for (size_t i = 0; i < n; i++) {
        char *report = NULL, *before = state_of(st), *after;
        sl_error cerr = {0}, aerr = {0};
        json_t *doc;
        int64_t id = 0;
        sl_rc arc;
        assert_int_equal(sl_store_license_check(st, keys[i], strlen(keys[i]), &report, &cerr),
                         SL_OK);
        after = state_of(st);
        assert_string_equal(after, before);
        doc = json_loads(report, 0, NULL);
        assert_non_null(doc);
        arc = sl_store_license_add(st, keys[i], strlen(keys[i]), SL_SOURCE_CLI, &id, &aerr);
        if (want[i]) {
            if (arc != SL_EINVAL)
                fail_msg("key %zu: add gave %d (%s), report %s", i, arc, aerr.message, report);
            assert_string_equal(aerr.message, want[i]);
            assert_false(json_is_true(json_object_get(doc, "valid")));
            assert_string_equal(json_string_value(json_object_get(doc, "error")), want[i]);
            assert_true(json_is_null(json_object_get(doc, "license")));
        } else {
            assert_int_equal(arc, SL_OK);
            assert_true(json_is_true(json_object_get(doc, "valid")));
            assert_true(json_is_null(json_object_get(doc, "error")));
        }
        json_decref(doc);
        sl_free(report);
        free(before);
        free(after);
        free(keys[i]);
    }
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

/* A dry run of a key that would become current leaves the current license
 * (and its cached id) as it was. */
static void test_current_unchanged(void **state)
{
    char *dir, *a = issue_v2("premium", 50, "2026-01-01", "2027-01-01", NULL);
    char *b = issue_v2("ultimate", 60, "2026-06-01", "2027-06-01", NULL), *report = NULL;
    sl_store *st = ledger(&dir);
    int64_t id = 0, cur = 0;
    json_t *doc;
    (void)state;
    assert_int_equal(sl_store_license_add(st, a, strlen(a), SL_SOURCE_CLI, &id, NULL), SL_OK);
    assert_int_equal(sl_store_license_current(st, &cur, NULL), SL_OK);
    assert_int_equal(cur, id);
    assert_int_equal(sl_store_license_check(st, b, strlen(b), &report, NULL), SL_OK);
    doc = json_loads(report, 0, NULL);
    assert_true(json_is_true(json_object_get(doc, "would_be_current")));
    assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "license"), "plan")),
                        "ultimate");
    assert_int_equal(sl_store_license_current(st, &cur, NULL), SL_OK);
    assert_int_equal(cur, id);
    assert_int_equal(lt_scalar(st, "SELECT count(*) FROM licenses"), 1);
    json_decref(doc);
    sl_free(report);
    sl_free(a);
    sl_free(b);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

/* A key that decodes but is invalid: the report still says how it was
 * signed, and that the checks never ran. */
static void test_invalid_key_report(void **state)
{
    char *dir, *text = NULL, *report = NULL;
    sl_store *st = ledger(&dir);
    static const char payload[] = "{\"version\":1,\"issued_at\":\"2026-01-01\","
                                  "\"expires_at\":\"2027-01-01\"}";
    (void)state;
    assert_int_equal(sl_license_encode_v2(payload, strlen(payload), ed_priv, strlen(ed_priv),
                                          &text, NULL), SL_OK);
    assert_int_equal(sl_store_license_check(st, text, strlen(text), &report, NULL), SL_OK);
    assert_string_equal(report,
        "{\"dry_run\":true,\"valid\":false,\"error\":\"" SL_MSG_KEY_INVALID
        " (license: licensee is missing)\",\"format\":\"v2\",\"algorithm\":\"ed25519\","
        "\"signed_by\":\"vendor-ed\",\"would_be_current\":null,\"license\":null,"
        "\"checks\":null,\"add_ons\":null}");
    sl_free(report);
    sl_free(text);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

/* Add-on seats: a cloud license with 3 Duo Pro seats, all assigned; the dry
 * run of a renewal with 2 seats says provisioning would update the purchase
 * and a clean-up would remove one seat (overage), and changes nothing. */
static void test_add_on_figures(void **state)
{
    char *dir, *report = NULL, *before, *after, *a, *b;
    sl_store *st = ledger(&dir);
    sl_addon_purchase p;
    sl_seat_error code;
    sl_error err = {0};
    int64_t id = 0, history;
    json_t *doc, *prov, *cleanup;
    static const char *const ids[] = {"u0", "u1", "u2"};
    (void)state;
    lt_users(st, 3, 0);
    /* cloud licenses (add-ons are provisioned from those only) */
    {
        char payload[1024];
        int n = snprintf(payload, sizeof payload,
            "{\"version\":1,\"licensee\":{\"Name\":\"Ada\"},\"issued_at\":\"%s\","
            "\"expires_at\":\"2027-01-01\",\"cloud_licensing_enabled\":true,"
            "\"restrictions\":{\"plan\":\"ultimate\",\"active_user_count\":10,"
            "\"add_on_products\":{\"duo_pro\":[{\"quantity\":%d,\"started_on\":"
            "\"2026-01-01\",\"expires_on\":\"2027-01-01\"}]}}}", "2026-01-01", 3);
        assert_int_equal(sl_license_encode_v2(payload, (size_t)n, ed_priv, strlen(ed_priv), &a,
                                              NULL), SL_OK);
        n = snprintf(payload, sizeof payload,
            "{\"version\":1,\"licensee\":{\"Name\":\"Ada\"},\"issued_at\":\"%s\","
            "\"expires_at\":\"2027-01-01\",\"cloud_licensing_enabled\":true,"
            "\"restrictions\":{\"plan\":\"ultimate\",\"active_user_count\":10,"
            "\"add_on_products\":{\"duo_pro\":[{\"quantity\":%d,\"started_on\":"
            "\"2026-01-01\",\"expires_on\":\"2027-01-01\"}]}}}", "2026-02-01", 2);
        assert_int_equal(sl_license_encode_v2(payload, (size_t)n, ed_priv, strlen(ed_priv), &b,
                                              NULL), SL_OK);
    }
    if (sl_store_license_add(st, a, strlen(a), SL_SOURCE_CLI, &id, &err) != SL_OK)
        fail_msg("%s", err.message);
    assert_int_equal(sl_store_addon_purchase_find(st, SL_ADDON_DUO_PRO, &p, &err), SL_OK);
    assert_int_equal(p.quantity, 3);
    assert_int_equal(sl_store_seats_assign(st, p.id, ids, 3, 1, "cli", NULL, &code, &err), SL_OK);
    history = lt_scalar(st, "SELECT count(*) FROM seat_history");
    before = state_of(st);
    assert_int_equal(sl_store_license_check(st, b, strlen(b), &report, &err), SL_OK);
    doc = json_loads(report, 0, NULL);
    assert_non_null(doc);
    prov = json_object_get(json_object_get(doc, "add_ons"), "provision");
    cleanup = json_object_get(json_object_get(doc, "add_ons"), "cleanup");
    {
        char *ps = json_dumps(prov, JSON_COMPACT), *cs = json_dumps(cleanup, JSON_COMPACT);
        assert_string_equal(ps, "[{\"add_on\":\"duo_pro\",\"action\":\"update\","
                                "\"quantity\":2,\"started_on\":\"2026-01-01\","
                                "\"expires_on\":\"2027-01-01\",\"trial\":false}]");
        assert_string_equal(cs, "{\"removes\":1,\"by_reason\":{\"overage\":1},"
                                "\"by_add_on\":{\"duo_pro\":1}}");
        free(ps);
        free(cs);
    }
    after = state_of(st);
    assert_string_equal(after, before);
    assert_int_equal(lt_scalar(st, "SELECT count(*) FROM seat_assignments"), 3);
    assert_int_equal(lt_scalar(st, "SELECT count(*) FROM seat_history"), history);
    sl_addon_purchase_clear(&p);
    assert_int_equal(sl_store_addon_purchase_find(st, SL_ADDON_DUO_PRO, &p, &err), SL_OK);
    assert_int_equal(p.quantity, 3);
    sl_addon_purchase_clear(&p);
    json_decref(doc);
    sl_free(report);
    sl_free(a);
    sl_free(b);
    free(before);
    free(after);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

/* ---- the REST API ---------------------------------------------------------- */

static sl_http_response post(sl_store *st, const char *query, const char *body,
                             const char *token)
{
    sl_http_header h[2] = {{"PRIVATE-TOKEN", token}, {"Content-Type", "application/json"}};
    sl_http_request req = {.method = "POST", .path = "/api/v4/license", .query = query,
                           .headers = h, .header_count = 2, .body = body,
                           .body_len = strlen(body)};
    return sl_route(st, &req);
}

static char *json_body(const char *key)
{
    json_t *o = json_pack("{s:s}", "license", key);
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return s;
}

static void test_api_dry_run(void **state)
{
    char *dir, *admin = NULL, *reader = NULL, *report = NULL;
    char *good = issue_v2("premium", 50, "2026-01-01", "2027-01-01", NULL);
    char *small = issue_v2("premium", 5, "2026-01-01", "2027-01-01", NULL);
    char *gbody = json_body(good), *sbody = json_body(small), *before, *after;
    sl_store *st = ledger(&dir);
    sl_http_response r;
    (void)state;
    assert_int_equal(sl_store_token_create(st, "admin", 1, SL_DATE_NONE, &admin, NULL), SL_OK);
    assert_int_equal(sl_store_token_create(st, "reader", 0, SL_DATE_NONE, &reader, NULL), SL_OK);
    lt_users(st, 30, 0);
    lt_snapshot(st, "2025-06-01T00:00:00Z", 30);
    before = state_of(st);
    /* the same report as the CLI's, with 200 */
    assert_int_equal(sl_store_license_check(st, good, strlen(good), &report, NULL), SL_OK);
    r = post(st, "dry_run=true", gbody, admin);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.content_type, "application/json");
    assert_string_equal(r.body, report);
    sl_http_response_free(&r);
    sl_free(report);
    /* a refused key: still 200, the verdict in the report */
    r = post(st, "dry_run=1", sbody, admin);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"valid\":false,\"error\":\"During the year before"));
    sl_http_response_free(&r);
    after = state_of(st);
    assert_string_equal(after, before);
    free(after);
    /* a value that is not a boolean, and a non-admin token */
    r = post(st, "dry_run=yes%00", gbody, admin);
    assert_int_equal(r.status, 400);
    assert_string_equal(r.body, "{\"error\":\"dry_run is invalid\"}");
    sl_http_response_free(&r);
    r = post(st, "dry_run=true", gbody, reader);
    assert_int_equal(r.status, 403);
    sl_http_response_free(&r);
    after = state_of(st);
    assert_string_equal(after, before);
    free(after);
    /* a v2 key pasted raw into a form: its '+' come back, its armor lines
     * keep their spaces (the fixture vector has '+' in its base64) */
    {
        size_t vlen;
        char *vec = fixture("01_ed25519.slkey", &vlen), *form = malloc(vlen + 16);
        sl_http_header h[2] = {{"PRIVATE-TOKEN", admin},
                               {"Content-Type", "application/x-www-form-urlencoded"}};
        sl_http_request req = {.method = "POST", .path = "/api/v4/license",
                               .query = "dry_run=true", .headers = h, .header_count = 2};
        assert_non_null(strchr(vec, '+'));
        req.body_len = (size_t)sprintf(form, "license=%s", vec);
        req.body = form;
        r = sl_route(st, &req);
        assert_int_equal(r.status, 200);
        assert_non_null(strstr(r.body, "\"format\":\"v2\",\"algorithm\":\"ed25519\","));
        sl_http_response_free(&r);
        free(form);
        free(vec);
    }
    /* dry_run=false is the add itself; a v2 key over the API */
    r = post(st, "dry_run=false", gbody, admin);
    assert_int_equal(r.status, 201);
    assert_non_null(strstr(r.body, "\"id\":1,"));
    sl_http_response_free(&r);
    free(before);
    free(gbody);
    free(sbody);
    sl_free(good);
    sl_free(small);
    sl_free(admin);
    sl_free(reader);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_and_nothing_stored),
        cmocka_unit_test(test_same_verdict_as_add),
        cmocka_unit_test(test_current_unchanged),
        cmocka_unit_test(test_invalid_key_report),
        cmocka_unit_test(test_add_on_figures),
        cmocka_unit_test(test_api_dry_run),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
