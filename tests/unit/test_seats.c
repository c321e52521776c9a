/*
 * test_seats.c - add-on seats, one test per rule of add-ons.md: the key's
 * add_on_products (validity, active entries), provisioning (cloud only,
 * precedence, upgrade in place, expiry to yesterday, renewal), assignment
 * codes in the spec's order, bulk rules, unassignment, the clean-up order
 * and its 14-day boundary, the append-only history and add-on snapshots,
 * status lines and notices, entitlement and Duo activity, and the
 * seat-management user list.
 */
#include "ledger_testutil.h"
#include "seats/seats_internal.h"

#define PRODUCTS(body) ",\"add_on_products\":{" body "}"
#define ENTRY(q, from, to) "{\"quantity\":" #q ",\"started_on\":\"" from "\",\"expires_on\":\"" to "\"}"

typedef struct fx {
    sl_store *st;
    char *dir;
    char *priv;
} fx;

static void now(const char *t)
{
    setenv("SEATLEDGER_NOW", t, 1);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    char *pub = NULL;
    sl_error err = {0};
    now("2026-06-01T12:00:00Z");
    f->st = tu_store(&f->dir);
    assert_int_equal(sl_keys_generate(2048, &f->priv, &pub, &err), SL_OK);
    assert_int_equal(sl_store_key_trust(f->st, pub, strlen(pub), "vendor", &err), SL_OK);
    sl_free(pub);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    sl_store_close(f->st);
    tu_rmtree(f->dir);
    free(f->dir);
    sl_free(f->priv);
    free(f);
    return 0;
}

/* Add a license; cloud adds cloud_licensing_enabled. Returns its id. */
static int64_t add_key(fx *f, int cloud, const char *restrictions)
{
    tu_license l = {.plan = "ultimate", .seats = 1000, .starts = "2026-01-01",
                    .expires = "2027-12-31",
                    .extra = cloud ? ",\"cloud_licensing_enabled\":true" : "",
                    .extra_restrictions = restrictions};
    char *key = tu_issue(f->priv, &l);
    sl_error err = {0};
    int64_t id = 0;
    if (sl_store_license_add(f->st, key, strlen(key), SL_SOURCE_CLI, &id, &err) != SL_OK)
        fail_msg("license add: %s", err.message);
    sl_free(key);
    return id;
}

static const char users_csv[] =
    "id,username,email,state,user_type,highest_role\n"
    "1,alice,alice@example.com,active,human,developer\n"
    "2,bob,bob@example.com,active,human,guest\n"
    "3,carol,,blocked,human,developer\n"
    "4,dave,,active,service_user,none\n"
    "5,bot,,active,project_bot,developer\n"
    "6,eve,eve@corp.example,active,human,owner\n"
    "7,frank,,deactivated,human,developer\n"
    "8,gina,,active,service_account,developer\n";

static sl_addon_purchase find(fx *f, sl_addon a)
{
    sl_addon_purchase p;
    sl_error err = {0};
    if (sl_store_addon_purchase_find(f->st, a, &p, &err) != SL_OK)
        fail_msg("find %s: %s", sl_addon_name(a), err.message);
    return p;
}

static sl_rc assign(fx *f, int64_t pid, int bulk, sl_seat_error *code, sl_error *err,
                    const char *const *ids, size_t n)
{
    return sl_store_seats_assign(f->st, pid, ids, n, bulk, "cli", NULL, code, err);
}

#define ASSIGN1(f, pid, id, code, err) \
    assign(f, pid, 0, code, err, (const char *const[]){id}, 1)

static int64_t seats_of(fx *f, int64_t pid)
{
    int64_t n = 0;
    assert_int_equal(sl__purchase_assigned(f->st, pid, &n, NULL), SL_OK);
    return n;
}

static int holds(fx *f, int64_t pid, const char *user)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM seat_assignments WHERE purchase_id = %lld "
             "AND user_id = '%s'", (long long)pid, user);
    return (int)lt_scalar(f->st, sql);
}

static void refresh(fx *f)
{
    sl_error err = {0};
    if (sl_store_refresh(f->st, SL_SOURCE_CLI, NULL, &err) != SL_OK)
        fail_msg("refresh: %s", err.message);
}

/* ---- the key ------------------------------------------------------------------- */

static void expect_invalid(const char *restrictions, const char *message)
{
    char payload[2048];
    sl_license *lic = NULL;
    sl_error err = {0};
    snprintf(payload, sizeof payload,
             "{\"licensee\":{\"Name\":\"A\"},\"issued_at\":\"2026-01-01\",\"expires_at\":"
             "\"2027-01-01\",\"restrictions\":{\"plan\":\"premium\"%s}}", restrictions);
    assert_int_equal(sl_license_from_payload(payload, strlen(payload), &lic, &err), SL_OK);
    if (message) {
        assert_int_equal(sl_license_validate(lic, &err), SL_EINVAL);
        assert_string_equal(err.message, message);
    } else if (sl_license_validate(lic, &err) != SL_OK) {
        fail_msg("%s: %s", restrictions, err.message);
    }
    sl_license_free(lic);
}

static void test_key_validation(void **state)
{
    (void)state;
    expect_invalid(PRODUCTS("\"duo_pro\":[" ENTRY(1, "2026-01-01", "2027-01-01") "]"), NULL);
    expect_invalid(",\"add_on_products\":null", NULL);
    expect_invalid(PRODUCTS("\"gitlab_future\":7"), NULL);   /* unknown: kept, ignored */
    expect_invalid(",\"add_on_products\":[1]", "license: add_on_products is not an object");
    expect_invalid(PRODUCTS("\"duo_pro\":{}"), "license: add_on_products.duo_pro is not an array");
    expect_invalid(PRODUCTS("\"duo_enterprise\":[" ENTRY(1, "2026-01-01", "2027-01-01") ",3]"),
                   "license: add_on_products.duo_enterprise[1] is not an object");
    expect_invalid(PRODUCTS("\"duo_pro\":[" ENTRY(0, "2026-01-01", "2027-01-01") "]"),
                   "license: add_on_products.duo_pro[0].quantity must be an integer of at least 1");
    expect_invalid(PRODUCTS("\"duo_pro\":[{\"quantity\":\"5\",\"started_on\":\"2026-01-01\","
                            "\"expires_on\":\"2027-01-01\"}]"),
                   "license: add_on_products.duo_pro[0].quantity must be an integer of at least 1");
    expect_invalid(PRODUCTS("\"duo_core\":[{\"quantity\":5,\"expires_on\":\"2027-01-01\"}]"),
                   "license: add_on_products.duo_core[0].started_on is missing");
    expect_invalid(PRODUCTS("\"duo_core\":[" ENTRY(5, "2026-01-01", "2027-02-30") "]"),
                   "license: add_on_products.duo_core[0].expires_on '2027-02-30' is not a valid date");
    expect_invalid(PRODUCTS("\"duo_amazon_q\":[{\"quantity\":5,\"started_on\":\"2026-01-01\","
                            "\"expires_on\":\"2027-01-01\",\"trial\":\"yes\"}]"),
                   "license: add_on_products.duo_amazon_q[0].trial must be true or false");
    expect_invalid(PRODUCTS("\"duo_pro\":[{\"quantity\":5,\"started_on\":\"2026-01-01\","
                            "\"expires_on\":\"2027-01-01\",\"purchase_xid\":7}]"),
                   "license: add_on_products.duo_pro[0].purchase_xid must be a string of at "
                   "most 255 bytes");
}

static void test_grant_active_entries(void **state)
{
    const char *payload =
        "{\"licensee\":{\"Name\":\"A\"},\"issued_at\":\"2026-01-01\",\"expires_at\":\"2028-01-01\","
        "\"restrictions\":{\"add_on_products\":{\"duo_pro\":["
        "{\"quantity\":5,\"started_on\":\"2026-03-01\",\"expires_on\":\"2026-09-01\",\"trial\":true},"
        "{\"quantity\":7,\"started_on\":\"2026-01-01\",\"expires_on\":\"2027-01-01\","
        "\"purchase_xid\":\"A-S2\",\"trial\":true},"
        "{\"quantity\":100,\"started_on\":\"2027-01-01\",\"expires_on\":\"2028-01-01\","
        "\"purchase_xid\":\"A-S3\"}]}}}";
    sl_license *lic = NULL;
    sl_addon_grant g;
    (void)state;
    assert_int_equal(sl_license_from_payload(payload, strlen(payload), &lic, NULL), SL_OK);
    sl_license_addon_grant(lic, SL_ADDON_DUO_PRO, lt_day("2026-06-01"), &g);
    assert_int_equal(g.quantity, 12);
    assert_int_equal(g.started_on, lt_day("2026-01-01"));
    assert_int_equal(g.expires_on, lt_day("2027-01-01"));
    assert_string_equal(g.purchase_xid, "A-S2");
    assert_true(g.trial);
    /* expires_on is exclusive: on 2026-09-01 the first entry is off */
    sl_license_addon_grant(lic, SL_ADDON_DUO_PRO, lt_day("2026-09-01"), &g);
    assert_int_equal(g.quantity, 7);
    sl_license_addon_grant(lic, SL_ADDON_DUO_PRO, lt_day("2026-12-31"), &g);
    assert_int_equal(g.quantity, 7);
    /* a year later only the non-trial entry: trial only when all are */
    sl_license_addon_grant(lic, SL_ADDON_DUO_PRO, lt_day("2027-01-01"), &g);
    assert_int_equal(g.quantity, 100);
    assert_false(g.trial);
    assert_string_equal(g.purchase_xid, "A-S3");
    sl_license_addon_grant(lic, SL_ADDON_DUO_ENTERPRISE, lt_day("2026-06-01"), &g);
    assert_int_equal(g.quantity, 0);
    assert_int_equal(g.started_on, SL_DATE_NONE);
    sl_license_free(lic);
}

/* ---- provisioning ------------------------------------------------------------- */

static void test_provision_cloud_only(void **state)
{
    fx *f = *state;
    sl_addon_purchase *all = NULL;
    size_t n = 9;
    add_key(f, 0, PRODUCTS("\"duo_pro\":[" ENTRY(5, "2026-01-01", "2027-01-01") "]"));
    assert_int_equal(sl_store_addon_purchases(f->st, &all, &n, NULL), SL_OK);
    assert_int_equal(n, 0);
    add_key(f, 1, PRODUCTS("\"duo_pro\":[" ENTRY(5, "2026-01-01", "2027-01-01") "],"
                           "\"duo_core\":[" ENTRY(9, "2026-01-01", "2027-01-01") "]"));
    assert_int_equal(sl_store_addon_purchases(f->st, &all, &n, NULL), SL_OK);
    assert_int_equal(n, 2);
    assert_int_equal(all[0].add_on, SL_ADDON_DUO_PRO);
    assert_int_equal(all[0].quantity, 5);
    assert_true(all[0].active);
    assert_int_equal(all[1].add_on, SL_ADDON_DUO_CORE);
    assert_int_equal(all[1].quantity, 9);
    sl_addon_purchases_free(all, n);
    /* a refresh changes nothing that is already right */
    refresh(f);
    assert_int_equal(lt_scalar(f->st, "SELECT count(*) FROM audit_log WHERE action LIKE 'addon.%'"),
                     2);
}

static void test_precedence_upgrade_keeps_seats(void **state)
{
    fx *f = *state;
    sl_addon_purchase p, q;
    sl_error err = {0};
    sl_seat_error code;
    tu_import_csv(f->st, users_csv);
    add_key(f, 1, PRODUCTS("\"duo_pro\":[" ENTRY(5, "2026-01-01", "2027-01-01") "]"));
    p = find(f, SL_ADDON_DUO_PRO);
    assert_int_equal(ASSIGN1(f, p.id, "1", &code, &err), SL_OK);
    /* Enterprise beats Pro: the same record, updated in place */
    add_key(f, 1, PRODUCTS("\"duo_pro\":[" ENTRY(5, "2026-01-01", "2027-01-01") "],"
                           "\"duo_enterprise\":[" ENTRY(3, "2026-05-01", "2027-05-01") "]"));
    q = find(f, SL_ADDON_DUO_ENTERPRISE);
    assert_int_equal(q.id, p.id);
    assert_int_equal(q.quantity, 3);
    assert_int_equal(q.expires_on, lt_day("2027-05-01"));
    assert_int_equal(q.assigned, 1);
    assert_int_equal(sl_store_addon_purchase_find(f->st, SL_ADDON_DUO_PRO, &p, &err),
                     SL_ENOTFOUND);
    assert_string_equal(err.message, "no purchase of duo_pro");
    sl_addon_purchase_clear(&q);
    /* Amazon Q beats both */
    add_key(f, 1, PRODUCTS("\"duo_enterprise\":[" ENTRY(3, "2026-05-01", "2027-05-01") "],"
                           "\"duo_amazon_q\":[" ENTRY(8, "2026-05-01", "2027-05-01") "]"));
    q = find(f, SL_ADDON_DUO_AMAZON_Q);
    assert_int_equal(q.id, 1);
    assert_int_equal(q.quantity, 8);
    assert_int_equal(q.assigned, 1);
    sl_addon_purchase_clear(&q);
    sl_addon_purchase_clear(&p);
}

static void test_expiry_and_grace(void **state)
{
    fx *f = *state;
    sl_addon_purchase p;
    sl_error err = {0};
    sl_seat_error code;
    int64_t lid;
    tu_import_csv(f->st, users_csv);
    lid = add_key(f, 1, PRODUCTS("\"duo_pro\":[" ENTRY(5, "2026-01-01", "2027-01-01") "]"));
    p = find(f, SL_ADDON_DUO_PRO);
    assert_int_equal(ASSIGN1(f, p.id, "1", &code, &err), SL_OK);
    sl_addon_purchase_clear(&p);
    /* the add-on leaves the license: expired to yesterday, seats kept */
    now("2026-06-10T12:00:00Z");
    assert_int_equal(sl_store_license_delete(f->st, lid, SL_SOURCE_CLI, &err), SL_OK);
    assert_int_equal(sl_store_addon_purchase_get(f->st, 1, &p, &err), SL_OK);
    assert_int_equal(p.expires_on, lt_day("2026-06-09"));
    assert_false(p.active);
    assert_int_equal(p.assigned, 1);
    sl_addon_purchase_clear(&p);
    /* an inactive purchase takes no assignments */
    assert_int_equal(ASSIGN1(f, 1, "6", &code, &err), SL_ENOTFOUND);
    assert_string_equal(err.message, SL_MSG_SEAT_NOT_FOUND);
    /* a refresh does not move the date of an already expired purchase */
    now("2026-06-20T12:00:00Z");
    refresh(f);
    assert_int_equal(lt_scalar(f->st, "SELECT expires_on FROM add_on_purchases"),
                     lt_day("2026-06-09"));
    /* 14 days after expiry the seats are still there ... */
    now("2026-06-23T12:00:00Z");
    refresh(f);
    assert_int_equal(seats_of(f, 1), 1);
    /* ... and go once expires_on < today - 14 */
    now("2026-06-24T12:00:00Z");
    refresh(f);
    assert_int_equal(seats_of(f, 1), 0);
    assert_int_equal(lt_scalar(f->st, "SELECT count(*) FROM seat_history WHERE event = 'removed' "
                                      "AND reason = 'expired' AND actor = 'system'"), 1);
}

static void test_renewal_brings_seats_back(void **state)
{
    fx *f = *state;
    sl_addon_purchase p;
    sl_error err = {0};
    sl_seat_error code;
    int64_t lid;
    tu_import_csv(f->st, users_csv);
    lid = add_key(f, 1, PRODUCTS("\"duo_pro\":[" ENTRY(5, "2026-01-01", "2027-01-01") "]"));
    assert_int_equal(ASSIGN1(f, 1, "1", &code, &err), SL_OK);
    now("2026-06-10T12:00:00Z");
    assert_int_equal(sl_store_license_delete(f->st, lid, SL_SOURCE_CLI, &err), SL_OK);
    now("2026-06-15T12:00:00Z");
    refresh(f);
    add_key(f, 1, PRODUCTS("\"duo_pro\":[" ENTRY(5, "2026-06-15", "2027-06-15") "]"));
    p = find(f, SL_ADDON_DUO_PRO);
    assert_int_equal(p.id, 1);
    assert_true(p.active);
    assert_int_equal(p.assigned, 1);
    assert_int_equal(p.expires_on, lt_day("2027-06-15"));
    sl_addon_purchase_clear(&p);
}

/* ---- assignment --------------------------------------------------------------- */

static void test_assign_single_codes(void **state)
{
    fx *f = *state;
    sl_seat_outcome out = SL_SEAT_CHANGED;
    sl_error err = {0};
    sl_seat_error code;
    tu_import_csv(f->st, users_csv);
    add_key(f, 1, PRODUCTS("\"duo_pro\":[" ENTRY(2, "2026-01-01", "2027-01-01") "],"
                           "\"duo_core\":[" ENTRY(9, "2026-01-01", "2027-01-01") "]"));
    assert_int_equal(ASSIGN1(f, 1, "1", &code, &err), SL_OK);
    assert_int_equal(code, SL_SEAT_OK);
    /* 1. already assigned: success, nothing changes (no history row) */
    assert_int_equal(sl_store_seats_assign(f->st, 1, (const char *const[]){"1"}, 1, 0, "cli",
                                           &out, &code, &err), SL_OK);
    assert_int_equal(out, SL_SEAT_UNCHANGED);
    assert_int_equal(lt_scalar(f->st, "SELECT count(*) FROM seat_history"), 1);
    /* 4. not eligible: blocked, bot, service_account, deactivated */
    const char *ineligible[] = {"3", "5", "7", "8"};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(ASSIGN1(f, 1, ineligible[i], &code, &err), SL_EINVAL);
        assert_int_equal(code, SL_SEAT_INVALID_USER_MEMBERSHIP);
    }
    assert_string_equal(err.message, "INVALID_USER_MEMBERSHIP: user '8' is not eligible for a "
                                     "seat (not an active human or service user)");
    /* guests, users without membership and service users are eligible */
    assert_int_equal(ASSIGN1(f, 1, "4", &code, &err), SL_OK);
    /* 2. no seat left comes before 4. membership */
    assert_int_equal(ASSIGN1(f, 1, "3", &code, &err), SL_EINVAL);
    assert_int_equal(code, SL_SEAT_NO_SEATS_AVAILABLE);
    assert_string_equal(err.message, "NO_SEATS_AVAILABLE: all 2 seats of duo_pro are assigned");
    /* 3. duo_core takes no assignments */
    assert_int_equal(ASSIGN1(f, 2, "1", &code, &err), SL_EINVAL);
    assert_int_equal(code, SL_SEAT_ASSIGNMENT_NOT_SUPPORTED);
    /* unknown purchase or user */
    assert_int_equal(ASSIGN1(f, 99, "1", &code, &err), SL_ENOTFOUND);
    assert_string_equal(err.message, SL_MSG_SEAT_NOT_FOUND);
    assert_int_equal(ASSIGN1(f, 1, "nobody", &code, &err), SL_ENOTFOUND);
    assert_int_equal(code, SL_SEAT_OK);
    assert_int_equal(seats_of(f, 1), 2);
    assert_int_equal(lt_scalar(f->st, "SELECT count(*) FROM seat_history"), 2);
}

static void test_assign_bulk(void **state)
{
    fx *f = *state;
    const char *ids[101];
    char names[101][8];
    sl_seat_outcome out[4];
    sl_error err = {0};
    sl_seat_error code;
    tu_import_csv(f->st, users_csv);
    add_key(f, 1, PRODUCTS("\"duo_pro\":[" ENTRY(3, "2026-01-01", "2027-01-01") "],"
                           "\"duo_core\":[" ENTRY(9, "2026-01-01", "2027-01-01") "]"));
    for (int i = 0; i < 101; i++) {
        snprintf(names[i], sizeof names[i], "x%d", i);
        ids[i] = names[i];
    }
    assert_int_equal(assign(f, 1, 1, &code, &err, ids, 101), SL_EINVAL);
    assert_string_equal(err.message, SL_MSG_BULK_ASSIGN_MAX);
    /* 100 is allowed (here: unknown users, refused as such) */
    assert_int_equal(assign(f, 1, 1, &code, &err, ids, 100), SL_ENOTFOUND);
    assert_int_equal(assign(f, 1, 1, &code, &err, (const char *const[]){"1", "1"}, 2),
                     SL_EINVAL);
    assert_string_equal(err.message, "user '1' is given more than once");
    assert_int_equal(assign(f, 2, 1, &code, &err, (const char *const[]){"1", "2"}, 2), SL_EINVAL);
    assert_int_equal(code, SL_SEAT_INCOMPATIBLE_ADD_ON);
    assert_int_equal(assign(f, 1, 1, &code, &err, (const char *const[]){"3", "5"}, 2), SL_EINVAL);
    assert_int_equal(code, SL_SEAT_INVALID_USER_ID_PRESENT);
    /* all or nothing */
    assert_int_equal(assign(f, 1, 1, &code, &err, (const char *const[]){"1", "2", "4", "6"}, 4),
                     SL_EINVAL);
    assert_int_equal(code, SL_SEAT_NOT_ENOUGH_SEATS);
    assert_string_equal(err.message, "NOT_ENOUGH_SEATS: 4 users need a seat, 3 of the 3 seats of "
                                     "duo_pro are free");
    assert_int_equal(seats_of(f, 1), 0);
    /* ineligible ids are skipped */
    assert_int_equal(sl_store_seats_assign(f->st, 1, (const char *const[]){"1", "3", "2", "5"}, 4,
                                           1, "ci-token", out, &code, &err), SL_OK);
    assert_int_equal(out[0], SL_SEAT_CHANGED);
    assert_int_equal(out[1], SL_SEAT_SKIPPED);
    assert_int_equal(out[2], SL_SEAT_CHANGED);
    assert_int_equal(out[3], SL_SEAT_SKIPPED);
    /* re-sending is harmless; one seat left is enough for the one new user */
    assert_int_equal(sl_store_seats_assign(f->st, 1, (const char *const[]){"1", "2", "6"}, 3, 1,
                                           "ci-token", out, &code, &err), SL_OK);
    assert_int_equal(out[0], SL_SEAT_UNCHANGED);
    assert_int_equal(out[2], SL_SEAT_CHANGED);
    assert_int_equal(seats_of(f, 1), 3);
    assert_int_equal(lt_scalar(f->st, "SELECT count(*) FROM seat_history WHERE actor = 'ci-token'"),
                     3);
}

static void test_unassign(void **state)
{
    fx *f = *state;
    const char *ids[101];
    sl_seat_outcome out[3];
    sl_error err = {0};
    sl_seat_error code;
    tu_import_csv(f->st, users_csv);
    add_key(f, 1, PRODUCTS("\"duo_pro\":[" ENTRY(3, "2026-01-01", "2027-01-01") "]"));
    assert_int_equal(assign(f, 1, 1, &code, &err, (const char *const[]){"1", "2"}, 2), SL_OK);
    /* single: no seat is a no-op */
    assert_int_equal(sl_store_seats_unassign(f->st, 1, (const char *const[]){"6"}, 1, 0, "cli", out,
                                             &code, &err), SL_OK);
    assert_int_equal(out[0], SL_SEAT_UNCHANGED);
    for (int i = 0; i < 101; i++)
        ids[i] = "1";
    assert_int_equal(sl_store_seats_unassign(f->st, 1, ids, 101, 1, "cli", NULL, &code, &err),
                     SL_EINVAL);
    assert_string_equal(err.message, SL_MSG_BULK_UNASSIGN_MAX);
    assert_int_equal(sl_store_seats_unassign(f->st, 1, (const char *const[]){"4", "6"}, 2, 1, "cli",
                                             NULL, &code, &err), SL_EINVAL);
    assert_int_equal(code, SL_SEAT_NO_ASSIGNMENTS_FOUND);
    /* a user pruned from the directory who still holds a seat */
    tu_import_csv(f->st, "id,username,state\n2,bob,active\n6,eve,active\n");
    assert_int_equal(sl_store_seats_unassign(f->st, 1, (const char *const[]){"1", "6", "2"}, 3, 1,
                                             "cli", out, &code, &err), SL_OK);
    assert_int_equal(out[0], SL_SEAT_CHANGED);
    assert_int_equal(out[1], SL_SEAT_UNCHANGED);
    assert_int_equal(out[2], SL_SEAT_CHANGED);
    assert_int_equal(seats_of(f, 1), 0);
    assert_int_equal(lt_scalar(f->st, "SELECT count(*) FROM seat_history WHERE event = "
                                      "'unassigned' AND username = 'alice'"), 1);
}

/* ---- clean-up ----------------------------------------------------------------- */

static void test_cleanup_ineligible(void **state)
{
    fx *f = *state;
    sl_error err = {0};
    sl_seat_error code;
    tu_import_csv(f->st, users_csv);
    add_key(f, 1, PRODUCTS("\"duo_pro\":[" ENTRY(5, "2026-01-01", "2027-01-01") "]"));
    assert_int_equal(assign(f, 1, 1, &code, &err, (const char *const[]){"1", "2", "4"}, 3), SL_OK);
    /* alice is blocked, dave leaves the directory, bob turns bot */
    tu_import_csv(f->st, "id,username,state,user_type\n1,alice,blocked,human\n2,bob,active,bot\n");
    refresh(f);
    assert_int_equal(seats_of(f, 1), 0);
    assert_int_equal(lt_scalar(f->st, "SELECT count(*) FROM seat_history WHERE reason = "
                                      "'ineligible' AND username IN ('alice', 'bob', 'dave')"), 3);
}

static void overage_scenario(void **state)
{
    fx *f = *state;
    sl_error err = {0};
    sl_seat_error code;
    const char *order[] = {"a", "b", "c", "d", "e", "f"};
    tu_import_csv(f->st, "id,username,state,last_duo_activity_on\n"
              "a,a,active,2026-05-03\nb,b,active,\nc,c,active,2026-05-01\n"
              "d,d,active,\ne,e,active,2026-05-02\nf,f,active,2026-05-04\n");
    add_key(f, 1, PRODUCTS("\"duo_pro\":[" ENTRY(6, "2026-01-01", "2027-01-01") "]"));
    for (size_t i = 0; i < 6; i++) {
        char t[32];
        snprintf(t, sizeof t, "2026-06-01T12:00:0%zuZ", i);
        now(t);
        assert_int_equal(ASSIGN1(f, 1, order[i], &code, &err), SL_OK);
    }
    /* the key drops to 2: remove 4 = never used d (assigned last), b; then
     * least recent use c (05-01), e (05-02); keep a and f */
    now("2026-06-02T12:00:00Z");
    add_key(f, 1, PRODUCTS("\"duo_pro\":[" ENTRY(2, "2026-01-01", "2027-01-01") "]"));
    refresh(f);
    assert_int_equal(seats_of(f, 1), 2);
    assert_true(holds(f, 1, "a") && holds(f, 1, "f"));
}

static void test_cleanup_overage_order(void **state)
{
    fx *f = *state;
    sqlite3_stmt *s;
    char got[16] = "";
    overage_scenario(state);
    assert_int_equal(sqlite3_prepare_v2(f->st->db, "SELECT user_id FROM seat_history WHERE reason "
                                        "= 'overage' ORDER BY id", -1, &s, NULL), SQLITE_OK);
    while (sqlite3_step(s) == SQLITE_ROW)
        strcat(got, (const char *)sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    assert_string_equal(got, "dbce");
}

/* ---- append-only rows, snapshots ------------------------------------------------ */

static void test_append_only_and_metrics(void **state)
{
    fx *f = *state;
    sl_snapshot snap;
    sl_addon_metric *m = NULL;
    size_t n = 0;
    sl_error err = {0};
    sl_seat_error code;
    tu_import_csv(f->st, users_csv);
    add_key(f, 1, PRODUCTS("\"duo_pro\":[" ENTRY(5, "2026-01-01", "2027-01-01") "],"
                           "\"duo_core\":[" ENTRY(9, "2026-01-01", "2027-01-01") "]"));
    assert_int_equal(ASSIGN1(f, 1, "1", &code, &err), SL_OK);
    assert_int_equal(sl_store_refresh(f->st, SL_SOURCE_CLI, &snap, &err), SL_OK);
    assert_int_equal(sl_store_addon_metrics(f->st, snap.id, &m, &n, &err), SL_OK);
    assert_int_equal(n, 2);
    assert_int_equal(m[0].add_on, SL_ADDON_DUO_PRO);
    assert_int_equal(m[0].purchased_seats, 5);
    assert_int_equal(m[0].assigned_seats, 1);
    assert_int_equal(m[1].add_on, SL_ADDON_DUO_CORE);
    assert_int_equal(m[1].assigned_seats, 0);
    sl_free(m);
    assert_int_not_equal(sqlite3_exec(f->st->db, "UPDATE seat_history SET actor = 'x'", NULL,
                                      NULL, NULL), SQLITE_OK);
    assert_int_not_equal(sqlite3_exec(f->st->db, "DELETE FROM seat_history", NULL, NULL, NULL),
                         SQLITE_OK);
    assert_int_not_equal(sqlite3_exec(f->st->db, "UPDATE add_on_snapshots SET assigned_seats = 0",
                                      NULL, NULL, NULL), SQLITE_OK);
    assert_int_not_equal(sqlite3_exec(f->st->db, "DELETE FROM add_on_snapshots", NULL, NULL,
                                      NULL), SQLITE_OK);
}

static void test_failed_refresh_writes_nothing(void **state)
{
    fx *f = *state;
    sl_error err = {0};
    int64_t before;
    tu_import_csv(f->st, users_csv);
    add_key(f, 1, PRODUCTS("\"duo_pro\":[" ENTRY(5, "2026-01-01", "2027-01-01") "]"));
    refresh(f);
    before = lt_scalar(f->st, "SELECT count(*) FROM add_on_snapshots");
    now("2026-05-01T12:00:00Z");   /* behind the ledger */
    assert_int_equal(sl_store_refresh(f->st, SL_SOURCE_CLI, NULL, &err), SL_ECLOCK);
    assert_int_equal(lt_scalar(f->st, "SELECT count(*) FROM add_on_snapshots"), before);
}

/* ---- status, entitlement, activity ---------------------------------------------- */

static void test_status_lines_and_notices(void **state)
{
    fx *f = *state;
    sl_status s;
    sl_error err = {0};
    sl_seat_error code;
    tu_import_csv(f->st, users_csv);
    add_key(f, 1, PRODUCTS("\"duo_pro\":[" ENTRY(1, "2026-01-01", "2026-06-17") "]"));
    assert_int_equal(sl_store_status(f->st, &s, &err), SL_OK);
    assert_int_equal(s.addon_count, 1);
    assert_int_equal(s.addons[0].days_left, 16);
    for (size_t i = 0; i < s.notice_count; i++)
        assert_null(strstr(s.notices[i], "duo_pro"));
    sl_status_free(&s);
    assert_int_equal(ASSIGN1(f, 1, "1", &code, &err), SL_OK);
    now("2026-06-02T12:00:00Z");
    assert_int_equal(sl_store_status(f->st, &s, &err), SL_OK);
    assert_string_equal(s.notices[s.notice_count - 2], "duo_pro seats are all assigned");
    assert_string_equal(s.notices[s.notice_count - 1], "duo_pro expires in 15 days");
    sl_status_free(&s);
    now("2026-06-16T12:00:00Z");
    assert_int_equal(sl_store_status(f->st, &s, &err), SL_OK);
    assert_string_equal(s.notices[s.notice_count - 1], "duo_pro expires in 1 day");
    sl_status_free(&s);
    now("2026-06-17T12:00:00Z");
    assert_int_equal(sl_store_status(f->st, &s, &err), SL_OK);
    assert_int_equal(s.addon_count, 0);
    sl_status_free(&s);
}

static void test_entitlement_and_activity(void **state)
{
    fx *f = *state;
    sl_addon a;
    sl_error err = {0};
    sl_seat_error code;
    int written = 0;
    tu_import_csv(f->st, users_csv);
    add_key(f, 1, PRODUCTS("\"duo_enterprise\":[" ENTRY(5, "2026-01-01", "2027-01-01") "]"));
    assert_int_equal(sl_store_seat_entitlement(f->st, "1", &a, &err), SL_ENOTFOUND);
    assert_int_equal(ASSIGN1(f, 1, "1", &code, &err), SL_OK);
    assert_int_equal(sl_store_seat_entitlement(f->st, "1", &a, &err), SL_OK);
    assert_int_equal(a, SL_ADDON_DUO_ENTERPRISE);
    assert_int_equal(sl_store_user_duo_activity(f->st, "1", &written, &err), SL_OK);
    assert_true(written);
    assert_int_equal(sl_store_user_duo_activity(f->st, "1", &written, &err), SL_OK);
    assert_false(written);
    assert_int_equal(sl_store_user_duo_activity(f->st, "nobody", &written, &err), SL_ENOTFOUND);
    /* an import carries a host's date over but never moves it back */
    tu_import_csv(f->st, "id,username,state,last_duo_activity_on\n1,alice,active,2026-01-01\n"
              "2,bob,active,2026-02-02\n");
    assert_int_equal(lt_scalar(f->st, "SELECT last_duo_activity_on FROM users WHERE id = '1'"),
                     lt_day("2026-06-01"));
    assert_int_equal(lt_scalar(f->st, "SELECT last_duo_activity_on FROM users WHERE id = '2'"),
                     lt_day("2026-02-02"));
}

/* ---- the user list ------------------------------------------------------------ */

typedef struct rows {
    char text[512];
    char cursor[256];
    int n;
} rows;

static int collect_row(void *ud, const sl_seat_user *u)
{
    rows *r = ud;
    snprintf(r->text + strlen(r->text), sizeof r->text - strlen(r->text), "%s%s%s",
             r->n ? "," : "", u->username, u->assigned ? "*" : "");
    snprintf(r->cursor, sizeof r->cursor, "%s", u->cursor);
    r->n++;
    return 0;
}

static const char *list(fx *f, sl_seat_query *q, rows *r)
{
    sl_error err = {0};
    memset(r, 0, sizeof *r);
    if (sl_store_seat_users_each(f->st, q, collect_row, r, &err) != SL_OK)
        fail_msg("list: %s", err.message);
    return r->text;
}

static void test_user_list(void **state)
{
    fx *f = *state;
    sl_seat_query q = {0};
    sl_error err = {0};
    sl_seat_error code;
    rows r;
    int64_t n;
    tu_import_csv(f->st, users_csv);
    add_key(f, 1, PRODUCTS("\"duo_pro\":[" ENTRY(5, "2026-01-01", "2027-01-01") "]"));
    assert_int_equal(assign(f, 1, 1, &code, &err, (const char *const[]){"2", "6"}, 2), SL_OK);
    q.purchase_id = 1;
    q.eligible_only = 1;
    assert_string_equal(list(f, &q, &r), "alice,bob*,dave,eve*");
    assert_int_equal(sl_store_seat_users_count(f->st, &q, &n, &err), SL_OK);
    assert_int_equal(n, 4);
    q.assigned = -1;
    assert_string_equal(list(f, &q, &r), "alice,dave");
    q.assigned = 0;
    q.search = "EXAMPLE";
    assert_string_equal(list(f, &q, &r), "alice,bob*,eve*");
    q.search = "@EXAMPLE.com";
    assert_string_equal(list(f, &q, &r), "alice,bob*");
    q.search = NULL;
    q.sort = SL_SEAT_SORT_NAME_DESC;
    q.limit = 2;
    assert_string_equal(list(f, &q, &r), "eve*,dave");
    q.after_key = r.cursor;
    {
        char c[256];
        snprintf(c, sizeof c, "%s", r.cursor);
        q.after_key = c;
        assert_string_equal(list(f, &q, &r), "bob*,alice");
    }
    q.after_key = "junk";
    assert_int_equal(sl_store_seat_users_each(f->st, &q, collect_row, &r, &err), SL_EINVAL);
    q = (sl_seat_query){.purchase_id = 42};
    assert_int_equal(sl_store_seat_users_each(f->st, &q, collect_row, &r, &err), SL_ENOTFOUND);
    /* only given ids (GraphQL's payload users): unknown ones are no rows, the
     * filters still apply, and the statement forgets them next time */
    q = (sl_seat_query){.purchase_id = 1, .ids = (const char *const[]){"6", "2", "nobody"},
                        .nids = 3};
    assert_string_equal(list(f, &q, &r), "bob*,eve*");
    assert_int_equal(sl_store_seat_users_count(f->st, &q, &n, &err), SL_OK);
    assert_int_equal(n, 2);
    q.assigned = -1;
    assert_string_equal(list(f, &q, &r), "");
    q = (sl_seat_query){.purchase_id = 1, .eligible_only = 1};
    assert_string_equal(list(f, &q, &r), "alice,bob*,dave,eve*");
    q = (sl_seat_query){.ids = (const char *const[]){"1"}, .nids = SL_SEATS_BULK_MAX + 1};
    assert_int_equal(sl_store_seat_users_each(f->st, &q, collect_row, &r, &err), SL_EINVAL);
    assert_string_equal(err.message, "more than 100 user ids");
}

static void test_resolve(void **state)
{
    fx *f = *state;
    char *ids[3];
    sl_error err = {0};
    tu_import_csv(f->st, "id,username,state\n1,alice,active\n2,1,active\n3,twin,active\n4,twin,active\n");
    assert_int_equal(sl_store_users_resolve(f->st, (const char *const[]){"alice", "1", "zed"}, 3,
                                            ids, &err), SL_OK);
    assert_string_equal(ids[0], "1");
    assert_string_equal(ids[1], "1");   /* an id wins over a username */
    assert_null(ids[2]);
    sl_free(ids[0]);
    sl_free(ids[1]);
    assert_int_equal(sl_store_users_resolve(f->st, (const char *const[]){"twin"}, 1, ids, &err),
                     SL_EINVAL);
    assert_string_equal(err.message, "username 'twin' is ambiguous: use the id");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_validation),
        cmocka_unit_test(test_grant_active_entries),
        cmocka_unit_test_setup_teardown(test_provision_cloud_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_precedence_upgrade_keeps_seats, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expiry_and_grace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_renewal_brings_seats_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_assign_single_codes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_assign_bulk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unassign, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cleanup_ineligible, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cleanup_overage_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_append_only_and_metrics, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_refresh_writes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_status_lines_and_notices, setup, teardown),
        cmocka_unit_test_setup_teardown(test_entitlement_and_activity, setup, teardown),
        cmocka_unit_test_setup_teardown(test_user_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resolve, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
