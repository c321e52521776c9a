/*
 * test_report.c - signed usage reports (docs/trust.md): a report verifies
 * offline with the instance key; every change to it is refused with its
 * own reason (changed and not re-signed, re-signed by another key,
 * re-signed by the instance itself but not matching its chain, a snapshot
 * left out, another license key, records cut); a newer report extends an
 * older one, and does not when rows at or before the older head changed,
 * when a break was acknowledged since, or when the ledger was started
 * again under the same identity.
 */
#include "ledger_testutil.h"
#include "report/report_internal.h"

#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *g_dir, *g_vendor_priv, *g_vendor_pub, *g_inst_pub;

static int setup(void **state)
{
    (void)state;
    return sl_keys_generate(2048, &g_vendor_priv, &g_vendor_pub, NULL) == SL_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    sl_free(g_vendor_priv);
    sl_free(g_vendor_pub);
    return 0;
}

static void now(const char *at)
{
    setenv("SEATLEDGER_NOW", at, 1);
}

/* A licensed ledger with five days of snapshots, the third the peak (30). */
static sl_store *ledger(void)
{
    sl_error err = {0};
    tu_license l = {.plan = "premium", .seats = 40, .starts = "2026-01-01",
                    .expires = "2027-01-01"};
    char *key;
    int64_t id;
    sl_store *st;
    now("2026-10-01T12:00:00Z");
    st = tu_store(&g_dir);
    assert_int_equal(sl_store_key_trust(st, g_vendor_pub, strlen(g_vendor_pub), "vendor", &err),
                     SL_OK);
    key = tu_issue(g_vendor_priv, &l);
    assert_int_equal(sl_store_license_add(st, key, strlen(key), SL_SOURCE_CLI, &id, &err), SL_OK);
    sl_free(key);
    lt_snapshot(st, "2026-11-01T00:00:00Z", 10);
    lt_snapshot(st, "2026-11-02T00:00:00Z", 12);
    lt_snapshot(st, "2026-11-03T00:00:00Z", 30);
    lt_snapshot(st, "2026-11-04T00:00:00Z", 11);
    lt_snapshot(st, "2026-11-05T00:00:00Z", 9);
    now("2026-11-22T12:00:00Z");
    assert_int_equal(sl_store_instance_public_key(st, SL_INSTANCE_KEY_REPORTS, &g_inst_pub, &err),
                     SL_OK);
    return st;
}

static void done(sl_store *st)
{
    sl_store_close(st);
    sl_free(g_inst_pub);
    g_inst_pub = NULL;
    tu_rmtree(g_dir);
    free(g_dir);
}

static char *report(sl_store *st, size_t *len)
{
    sl_error err = {0};
    char *json = NULL;
    if (sl_store_usage_report(st, NULL, &json, len, NULL, &err) != SL_OK)
        fail_msg("usage report: %s", err.message);
    return json;
}

/* SL_OK, or the verifier's message in msg. */
static sl_rc verify(const char *json, const char *pub, char *msg)
{
    sl_error err = {0};
    sl_rc rc = sl_report_verify(json, strlen(json), pub, strlen(pub), NULL, &err);
    snprintf(msg, SL_ERROR_MAX, "%s", rc == SL_OK ? "" : err.message);
    return rc;
}

static void tamper(const char *sql)
{
    char path[4096], *msg = NULL;
    sqlite3 *db = NULL;
    snprintf(path, sizeof path, "%s/ledger.db", g_dir);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    if (sqlite3_exec(db, "DROP TRIGGER IF EXISTS snapshots_no_delete;"
                         "DROP TRIGGER IF EXISTS snapshots_no_update;"
                         "DROP TRIGGER IF EXISTS chain_no_delete;"
                         "DROP TRIGGER IF EXISTS audit_log_no_delete;", NULL, NULL, &msg) !=
            SQLITE_OK ||
        sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("tamper: %s", msg);
    sqlite3_close(db);
}

static EVP_PKEY *instance_private(sl_store *st)
{
    sqlite3_stmt *s = NULL;
    EVP_PKEY *pk;
    BIO *b;
    assert_int_equal(sqlite3_prepare_v2(st->db, "SELECT ed25519_private_pem FROM instance", -1,
                                        &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    b = BIO_new_mem_buf(sqlite3_column_text(s, 0), -1);
    pk = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
    BIO_free(b);
    sqlite3_finalize(s);
    assert_non_null(pk);
    return pk;
}

static EVP_PKEY *other_key(char **pub)
{
    char *priv = NULL;
    EVP_PKEY *pk;
    BIO *b;
    assert_int_equal(sl_keys_generate_ed25519(&priv, pub, NULL), SL_OK);
    b = BIO_new_mem_buf(priv, -1);
    pk = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
    BIO_free(b);
    sl_free(priv);
    return pk;
}

/* The report edited by `edit`, signed again with `key` (naming it). */
static char *resign(const char *json, void (*edit)(json_t *root), EVP_PKEY *key)
{
    json_t *root = json_loads(json, 0, NULL);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char sig[64];
    char *bytes = NULL, b64[128], sha[SL_CHAIN_HASH_HEX], *out;
    size_t n = 0, siglen = sizeof sig;
    assert_non_null(root);
    if (edit)
        edit(root);
    json_object_del(root, "signature");
    assert_int_equal(sl__report_signed_bytes(root, &bytes, &n, NULL), SL_OK);
    assert_int_equal(EVP_DigestSignInit(ctx, NULL, NULL, NULL, key), 1);
    assert_int_equal(EVP_DigestSign(ctx, sig, &siglen, (unsigned char *)bytes, n), 1);
    EVP_EncodeBlock((unsigned char *)b64, sig, 64);
    assert_int_equal(sl__report_key_sha256(key, sha, NULL), SL_OK);
    json_object_set_new(root, "signature", json_pack("{s:s,s:s,s:s}", "algorithm", "ed25519",
                                                     "public_key_sha256", sha, "value", b64));
    out = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(root);
    free(bytes);
    EVP_MD_CTX_free(ctx);
    return out;
}

/* The report edited by `edit` and signed again by `key` is refused by the
 * instance key with `rc` and `want`. */
static void expect_resigned(const char *json, void (*edit)(json_t *root), EVP_PKEY *key,
                            sl_rc rc, const char *want)
{
    char msg[SL_ERROR_MAX], *bad = resign(json, edit, key);
    assert_int_equal(verify(bad, g_inst_pub, msg), rc);
    assert_string_equal(msg, want);
    free(bad);
}

static void test_report_verifies(void **state)
{
    sl_store *st = ledger();
    sl_report_info info, wrote;
    sl_error err = {0};
    sl_chain_verdict v;
    char *json = NULL, *fp = NULL;
    size_t len;
    (void)state;
    assert_int_equal(sl_store_usage_report(st, NULL, &json, &len, &wrote, &err), SL_OK);
    assert_int_equal(strlen(json), len);
    assert_int_equal(sl_report_verify(json, len, g_inst_pub, strlen(g_inst_pub), &info, &err),
                     SL_OK);
    assert_int_equal(sl_store_ledger_verify(st, &v, &err), SL_OK);
    assert_int_equal(info.head_position, v.head_position);
    assert_string_equal(info.head_hash, v.head_hash);
    assert_int_equal(info.start_position, 0);
    assert_int_equal(info.snapshots, 5);
    assert_int_equal(info.peak_count, 30);
    assert_int_equal(info.peak_at_ms, lt_ms("2026-11-03T00:00:00Z"));
    assert_int_equal(info.license_id, 1);
    assert_int_equal(info.from_ms, lt_ms("2026-01-01T00:00:00Z"));
    assert_int_equal(info.to_ms, lt_ms("2027-01-01T23:59:59.999Z"));
    assert_int_equal(info.restarts, 0);
    assert_int_equal(sl_key_fingerprint(g_inst_pub, strlen(g_inst_pub), &fp, &err), SL_OK);
    assert_string_equal(info.key_sha256, fp);
    assert_string_equal(wrote.head_hash, info.head_hash);
    assert_int_equal(wrote.snapshots, 5);
    /* writing a report writes nothing */
    assert_int_equal(sl_store_ledger_verify(st, &v, &err), SL_OK);
    assert_int_equal(v.head_position, info.head_position);
    sl_free(fp);
    sl_free(json);
    done(st);
}

static void edit_count(json_t *root)
{
    json_t *s = json_array_get(json_object_get(root, "snapshots"), 2);
    json_object_set_new(s, "billable_user_count", json_integer(3));
}

static void edit_drop_peak(json_t *root)
{
    json_array_remove(json_object_get(root, "snapshots"), 2);
}

static void edit_license(json_t *root)
{
    json_object_set_new(json_object_get(root, "license"), "key_base64", json_string("eHh4"));
}

static void edit_records(json_t *root)
{
    json_t *c = json_object_get(root, "chain");
    const char *r = json_string_value(json_object_get(c, "records"));
    json_object_set_new(c, "records", json_stringn(r, strlen(r) - 4));
}

static void edit_head(json_t *root)
{
    json_t *h = json_object_get(json_object_get(root, "chain"), "head");
    json_object_set_new(h, "hash", json_string(
        "1111111111111111111111111111111111111111111111111111111111111111"));
}

static void edit_version(json_t *root)
{
    json_object_set_new(root, "version", json_integer(2));
}

static void edit_member(json_t *root)
{
    json_object_set_new(root, "comment", json_string("x"));
}

static void edit_real(json_t *root)
{
    json_t *s = json_array_get(json_object_get(root, "snapshots"), 0);
    json_object_set_new(s, "billable_user_count", json_real(10.5));
}

static void test_changed_reports_refused(void **state)
{
    sl_store *st = ledger();
    EVP_PKEY *inst = instance_private(st), *other;
    char *json = report(st, NULL), *bad, *other_pub = NULL, msg[SL_ERROR_MAX], *fp = NULL;
    char want[SL_ERROR_MAX];
    (void)state;
    other = other_key(&other_pub);
    /* a count changed, not signed again */
    {
        json_t *root = json_loads(json, 0, NULL);
        edit_count(root);
        bad = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        json_decref(root);
        assert_int_equal(verify(bad, g_inst_pub, msg), SL_EINVAL);
        assert_string_equal(msg, "the report's signature does not verify: the report was "
                            "changed after it was signed");
        free(bad);
    }
    /* signed again with another key */
    bad = resign(json, edit_count, other);
    assert_int_equal(sl_key_fingerprint(other_pub, strlen(other_pub), &fp, NULL), SL_OK);
    assert_int_equal(verify(bad, g_inst_pub, msg), SL_EINVAL);
    {
        char *ifp = NULL;
        assert_int_equal(sl_key_fingerprint(g_inst_pub, strlen(g_inst_pub), &ifp, NULL), SL_OK);
        snprintf(want, sizeof want, "the report was signed with the key of SHA-256 %s, not "
                 "with this instance key (%s)", fp, ifp);
        sl_free(ifp);
    }
    assert_string_equal(msg, want);
    /* ... and against that key, its rows do not match its chain */
    assert_int_equal(verify(bad, other_pub, msg), SL_EINVAL);
    assert_string_equal(msg, "snapshots row 3 (position 7) does not match the chain: the row "
                        "was changed after it was chained, or in the report");
    free(bad);
    /* signed again by the instance itself: still held to the chain */
    expect_resigned(json, edit_count, inst, SL_EINVAL,
                    "snapshots row 3 (position 7) does not match the chain: the row "
                    "was changed after it was chained, or in the report");
    expect_resigned(json, edit_drop_peak, inst, SL_EINVAL,
                    "snapshots row 3 (position 7, recorded 2026-11-03T00:00:00.000Z) "
                    "is in the report's window but not in the report");
    expect_resigned(json, edit_license, inst, SL_EINVAL,
                    "the license key (license 1) is not the one the ledger chained "
                    "when it was added (position 2)");
    bad = resign(json, edit_records, inst);
    assert_int_equal(verify(bad, g_inst_pub, msg), SL_EINVAL);
    assert_non_null(strstr(msg, "the chain's records "));
    free(bad);
    bad = resign(json, edit_head, inst);
    assert_int_equal(verify(bad, g_inst_pub, msg), SL_EINVAL);
    assert_non_null(strstr(msg, "the chain's records do not lead to its head: they give "));
    free(bad);
    expect_resigned(json, edit_version, inst, SL_EINVAL,
                    "the report is of version 2; this seatledger reads version 1");
    expect_resigned(json, edit_member, inst, SL_EINVAL,
                    "the report has an unexpected member 'comment'");
    expect_resigned(json, edit_real, inst, SL_EINVAL,
                    "the report holds a number that is not an integer");
    /* cut short, and not JSON at all */
    json[strlen(json) / 2] = '\0';
    assert_int_equal(verify(json, g_inst_pub, msg), SL_EINVAL);
    assert_non_null(strstr(msg, "the report is not JSON (line "));
    assert_int_equal(verify("{\"format\":\"x\"}", g_inst_pub, msg), SL_EINVAL);
    assert_string_equal(msg, "not a seatledger usage report (its 'format' is not "
                        "'seatledger-usage-report')");
    assert_int_equal(verify("{}", "not a key", msg), SL_EINVAL);
    assert_string_equal(msg, "the instance key is not an Ed25519 public key in SPKI PEM "
                        "('seatledger keys instance-public --reports' prints it)");
    sl_free(fp);
    sl_free(other_pub);
    sl_free(json);
    EVP_PKEY_free(inst);
    EVP_PKEY_free(other);
    done(st);
}

static void edit_positions(json_t *root)
{
    json_t *h = json_object_get(json_object_get(root, "chain"), "head");
    json_object_set_new(h, "position", json_integer(SL_REPORT_POSITIONS_MAX + 1));
}

static void edit_big_key(json_t *root)
{
    size_t n = 64 * 1024 * 4 / 3 + 8;   /* base64 of more than 64 KB */
    char *k = malloc(n + 1);
    assert_non_null(k);
    memset(k, 'A', n);
    k[n] = '\0';
    json_object_set_new(json_object_get(root, "license"), "key_base64", json_string(k));
    free(k);
}

/* Oversized input is refused with the limit it is over, before it is read
 * further: the file, the instance key, the chain's positions, the key. */
static void test_oversized_refused(void **state)
{
    sl_store *st = ledger();
    EVP_PKEY *inst = instance_private(st);
    char *json = report(st, NULL), *bad, *pem, msg[SL_ERROR_MAX];
    size_t n = (size_t)SL_REPORT_BYTES_MAX + 1;
    sl_error err = {0};
    (void)state;
    bad = malloc(n);
    assert_non_null(bad);
    memset(bad, ' ', n);
    memcpy(bad, json, strlen(json));
    assert_int_equal(sl_report_verify(bad, n, g_inst_pub, strlen(g_inst_pub), NULL, &err),
                     SL_ETOOBIG);
    snprintf(msg, sizeof msg, "report of %zu bytes is over the limit of %d", n,
             SL_REPORT_BYTES_MAX);
    assert_string_equal(err.message, msg);
    free(bad);
    pem = calloc(1, 4098);
    assert_non_null(pem);
    memset(pem, 'A', 4097);
    assert_int_equal(verify(json, pem, msg), SL_ETOOBIG);
    assert_string_equal(msg, "instance key of 4097 bytes is over the limit of 4096");
    free(pem);
    expect_resigned(json, edit_positions, inst, SL_ETOOBIG,
                    "the report covers 1000001 chain positions, over the limit of "
                    "1000000");
    expect_resigned(json, edit_big_key, inst, SL_ETOOBIG,
                    "the license key is over the limit of 65536 bytes");
    sl_free(json);
    EVP_PKEY_free(inst);
    done(st);
}

static void test_broken_chain_then_acknowledged(void **state)
{
    sl_store *st = ledger();
    sl_error err = {0};
    sl_chain_verdict v;
    sl_report_info info;
    char *json = NULL;
    size_t len;
    (void)state;
    tamper("UPDATE snapshots SET billable_user_count = 3 WHERE id = 3");
    assert_int_equal(sl_store_usage_report(st, NULL, &json, &len, NULL, &err), SL_ETAMPERED);
    assert_string_equal(err.message,
        "cannot sign a usage report of a broken chain: snapshots row 3 (chain position 7, "
        "recorded 2026-11-03T00:00:00.000Z) does not match its chain entry: the row or the "
        "entry was changed; 'seatledger ledger verify --accept-break' acknowledges the breaks, "
        "which the report then lists");
    assert_null(json);
    assert_int_equal(sl_store_ledger_accept_break(st, SL_SOURCE_CLI, &v, &err), SL_OK);
    /* a deleted row too */
    tamper("DELETE FROM snapshots WHERE id = 4");
    assert_int_equal(sl_store_ledger_accept_break(st, SL_SOURCE_CLI, &v, &err), SL_OK);
    json = report(st, &len);
    assert_int_equal(sl_report_verify(json, len, g_inst_pub, strlen(g_inst_pub), &info, &err),
                     SL_OK);
    assert_int_equal(info.breaks, 2);
    assert_int_equal(info.restarts, 2);
    /* the changed row is listed as it is now; the deleted one is gone */
    assert_int_equal(info.snapshots, 4);
    assert_int_equal(info.peak_count, 12);
    sl_free(json);
    done(st);
}

static sl_rc extends(const char *a, const char *b, char *msg, sl_report_extension *ext)
{
    sl_error err = {0};
    sl_rc rc = sl_report_verify_extends(a, strlen(a), b, strlen(b), g_inst_pub,
                                        strlen(g_inst_pub), NULL, NULL, ext, &err);
    snprintf(msg, SL_ERROR_MAX, "%s", rc == SL_OK ? "" : err.message);
    return rc;
}

static void test_newer_extends_older(void **state)
{
    sl_store *st = ledger();
    sl_error err = {0};
    sl_report_extension ext;
    char *old = report(st, NULL), *newer, msg[SL_ERROR_MAX];
    (void)state;
    now("2026-11-23T12:00:00Z");
    assert_int_equal(sl_store_refresh(st, SL_SOURCE_CLI, NULL, &err), SL_OK);
    newer = report(st, NULL);
    assert_int_equal(extends(old, newer, msg, &ext), SL_OK);
    assert_int_equal(ext.rows_added, 2);
    assert_int_equal(ext.snapshots_added, 1);
    assert_int_equal(ext.old_snapshots, 5);
    /* a report extends itself; the older never extends the newer */
    assert_int_equal(extends(old, old, msg, &ext), SL_OK);
    assert_int_equal(ext.rows_added, 0);
    assert_int_equal(extends(newer, old, msg, &ext), SL_EINVAL);
    assert_non_null(strstr(msg, "the new report does not extend the old one: its head "));
    /* a break acknowledged since the old report, inside its range */
    tamper("DELETE FROM snapshots WHERE id = 3");
    assert_int_equal(sl_store_ledger_accept_break(st, SL_SOURCE_CLI, &(sl_chain_verdict){0}, &err),
                     SL_OK);
    sl_free(newer);
    newer = report(st, NULL);
    assert_int_equal(extends(old, newer, msg, &ext), SL_EINVAL);
    assert_string_equal(msg, "the new report does not extend the old one: it restarts the "
                        "chain at position 7, at a break acknowledged after the old report "
                        "was made");
    sl_free(old);
    sl_free(newer);
    done(st);
}

/* The newest rows deleted with their chain entries leave a whole chain
 * (test_chain.c); rows appended after that give another head: the old
 * report's head is not on the new chain. */
static void test_rewritten_tail_detected(void **state)
{
    sl_store *st = ledger();
    sl_error err = {0};
    sl_chain_verdict v;
    char *old, *newer, msg[SL_ERROR_MAX];
    (void)state;
    old = report(st, NULL);
    tamper("DELETE FROM snapshots WHERE id = 5; DELETE FROM chain WHERE position = "
           "(SELECT max(position) FROM chain)");
    assert_int_equal(sl_store_ledger_verify(st, &v, &err), SL_OK);
    assert_int_equal(v.breaks, 0);
    now("2026-11-23T12:00:00Z");
    assert_int_equal(sl_store_refresh(st, SL_SOURCE_CLI, NULL, &err), SL_OK);
    newer = report(st, NULL);
    assert_int_equal(extends(old, newer, msg, NULL), SL_EINVAL);
    assert_non_null(strstr(msg, "the new report does not extend the old one: at the old one's "
                                "head (position 9) the new chain has "));
    sl_free(old);
    sl_free(newer);
    done(st);
}

/* The whole ledger deleted and started again under the same identity (the
 * instance row copied): the new chain starts from nothing. */
static void test_ledger_started_again(void **state)
{
    sl_store *st = ledger(), *again;
    sl_error err = {0};
    char *old = report(st, NULL), *newer, msg[SL_ERROR_MAX], path[4096], *dir2 = NULL;
    char sql[8192];
    sqlite3_stmt *s = NULL;
    tu_license l = {.plan = "premium", .seats = 40, .starts = "2026-01-01",
                    .expires = "2027-01-01"};
    char *key;
    int64_t id;
    (void)state;
    again = tu_store(&dir2);
    assert_int_equal(sqlite3_prepare_v2(st->db, "SELECT uuid, user_id_salt, ed25519_private_pem, "
                                        "ed25519_public_pem FROM instance", -1, &s, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    snprintf(sql, sizeof sql, "UPDATE instance SET uuid = '%s', user_id_salt = '%s', "
             "ed25519_private_pem = '%s', ed25519_public_pem = '%s'",
             sqlite3_column_text(s, 0), sqlite3_column_text(s, 1), sqlite3_column_text(s, 2),
             sqlite3_column_text(s, 3));
    sqlite3_finalize(s);
    assert_int_equal(sqlite3_exec(again->db, sql, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sl_store_key_trust(again, g_vendor_pub, strlen(g_vendor_pub), "vendor", &err),
                     SL_OK);
    key = tu_issue(g_vendor_priv, &l);
    assert_int_equal(sl_store_license_add(again, key, strlen(key), SL_SOURCE_CLI, &id, &err),
                     SL_OK);
    sl_free(key);
    for (int i = 0; i < 6; i++)
        assert_int_equal(sl_store_refresh(again, SL_SOURCE_CLI, NULL, &err), SL_OK);
    newer = report(again, NULL);
    assert_int_equal(extends(old, newer, msg, NULL), SL_EINVAL);
    assert_non_null(strstr(msg, "the new report does not extend the old one: at the old one's "
                                "head (position 9) the new chain has "));
    assert_non_null(strstr(msg, "or the ledger was started again"));
    snprintf(path, sizeof path, "%s", dir2);
    sl_store_close(again);
    tu_rmtree(path);
    free(dir2);
    sl_free(old);
    sl_free(newer);
    done(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_verifies),
        cmocka_unit_test(test_changed_reports_refused),
        cmocka_unit_test(test_oversized_refused),
        cmocka_unit_test(test_broken_chain_then_acknowledged),
        cmocka_unit_test(test_newer_extends_older),
        cmocka_unit_test(test_rewritten_tail_detected),
        cmocka_unit_test(test_ledger_started_again),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
