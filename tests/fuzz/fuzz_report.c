/*
 * fuzz_report.c - libFuzzer target for the usage report verifier
 * (engine/report/report_verify.c).  Each input is tried three ways: as a
 * report as it is (mostly stopped at the shape or the signature); as a
 * report signed again here with the instance key, so that mutations reach
 * everything behind the signature (the chain records and restarts, the
 * rows, the window, the license); and, signed so, as the newer of two
 * reports beside one made at start-up.  A report verified is checked for
 * consistency; a refusal must carry a printable one-line message.  The
 * seeds are reports written by `seatledger usage report`
 * (tests/fuzz/corpus/fuzz_report/), self-consistent, so that re-signed
 * they verify and mutations start from a whole report.
 */
#include "fuzzutil.h"
#include "report/report_internal.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Re-signing parses the input with jansson first; bigger inputs only slow
 * the loop (the limits themselves are unit-tested). */
#define RESIGN_MAX (256 * 1024)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *instance_pub;     /* SPKI PEM */
static EVP_PKEY *instance_key;
static char *base_report;      /* a report of the scratch ledger */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    sl_error err = {0};
    sl_store *st;
    char *vpriv = NULL, *vpub = NULL, *key = NULL, *payload;
    int64_t id;
    size_t n = 0;
    (void)argc;
    (void)argv;
    fuzz_init_clock();
    st = fuzz_store_open(NULL);
    fuzz_assert(sl_keys_generate(2048, &vpriv, &vpub, &err) == SL_OK, "vendor key", &err);
    fuzz_assert(sl_store_key_trust(st, vpub, strlen(vpub), "vendor", &err) == SL_OK, "trust",
                &err);
    payload = "{\"version\":1,\"licensee\":{\"Name\":\"F\",\"Email\":\"f@example.com\","
              "\"Company\":\"F\"},\"issued_at\":\"2026-01-01\",\"expires_at\":\"2027-01-01\","
              "\"restrictions\":{\"plan\":\"premium\",\"active_user_count\":10}}";
    fuzz_assert(sl_license_encode(payload, strlen(payload), vpriv, strlen(vpriv), NULL, &key,
                                  &err) == SL_OK, "license", &err);
    fuzz_assert(sl_store_license_add(st, key, strlen(key), SL_SOURCE_CLI, &id, &err) == SL_OK,
                "license add", &err);
    fuzz_assert(sl_store_refresh(st, SL_SOURCE_CLI, NULL, &err) == SL_OK, "refresh", &err);
    fuzz_assert(sl_store_usage_report(st, NULL, &base_report, &n, NULL, &err) == SL_OK,
                "report", &err);
    fuzz_assert(sl_store_instance_public_key(st, SL_INSTANCE_KEY_REPORTS, &instance_pub, &err) ==
                    SL_OK, "instance key", &err);
    {
        sqlite3_stmt *s = NULL;
        BIO *b;
        fuzz_assert(sqlite3_prepare_v2(st->db, "SELECT ed25519_private_pem FROM instance", -1,
                                       &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW,
                    "instance private key", NULL);
        b = BIO_new_mem_buf(sqlite3_column_text(s, 0), -1);
        instance_key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
        BIO_free(b);
        sqlite3_finalize(s);
        fuzz_assert(instance_key != NULL, "instance private key", NULL);
    }
    sl_free(vpriv);
    sl_free(vpub);
    sl_free(key);
    sl_store_close(st);
    return 0;
}

static void check_refusal(sl_rc rc, const sl_error *err)
{
    fuzz_assert(rc == SL_EINVAL || rc == SL_ETOOBIG || rc == SL_ENOMEM,
                "a report refused with an unexpected code", err);
    fuzz_assert(err->code == rc && err->message[0], "refusal without its message", err);
    for (const char *p = err->message; *p; p++)
        fuzz_assert((unsigned char)*p >= 0x20 && *p != 0x7f, "refusal message not one line",
                    err);
}

static void check_info(const sl_report_info *in)
{
    fuzz_assert(in->head_position >= in->start_position && in->start_position >= 0,
                "head before start", NULL);
    fuzz_assert(in->head_position - in->start_position <= SL_REPORT_POSITIONS_MAX,
                "positions over the limit", NULL);
    fuzz_assert(in->from_ms <= in->to_ms, "window ends before it starts", NULL);
    fuzz_assert(in->snapshots >= 0 && in->snapshots <= in->head_position, "snapshot count", NULL);
    fuzz_assert(strlen(in->head_hash) == 64 && strlen(in->instance_id) == 36, "info strings",
                NULL);
}

/* The input parsed and signed with the instance key; NULL when it is not
 * a JSON object or holds what a report cannot. */
static char *resign(const uint8_t *data, size_t size)
{
    json_t *root;
    EVP_MD_CTX *ctx;
    unsigned char sig[64];
    char *bytes = NULL, b64[128], sha[SL_CHAIN_HASH_HEX], *out = NULL;
    size_t n = 0, siglen = sizeof sig;
    if (size > RESIGN_MAX)
        return NULL;
    root = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(root)) {
        json_decref(root);
        return NULL;
    }
    json_object_del(root, "signature");
    if (sl__report_signed_bytes(root, &bytes, &n, NULL) != SL_OK) {
        json_decref(root);
        return NULL;
    }
    ctx = EVP_MD_CTX_new();
    fuzz_assert(ctx && EVP_DigestSignInit(ctx, NULL, NULL, NULL, instance_key) == 1 &&
                    EVP_DigestSign(ctx, sig, &siglen, (unsigned char *)bytes, n) == 1 &&
                    sl__report_key_sha256(instance_key, sha, NULL) == SL_OK,
                "signing", NULL);
    EVP_EncodeBlock((unsigned char *)b64, sig, (int)siglen);
    json_object_set_new(root, "signature", json_pack("{s:s,s:s,s:s}", "algorithm", "ed25519",
                                                     "public_key_sha256", sha, "value", b64));
    out = json_dumps(root, JSON_COMPACT);
    EVP_MD_CTX_free(ctx);
    free(bytes);
    json_decref(root);
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sl_report_info info, old_info;
    sl_report_extension ext;
    sl_error err = {0};
    char *signed_again;
    sl_rc rc;
    rc = sl_report_verify((const char *)data, size, instance_pub, strlen(instance_pub), &info,
                          &err);
    if (rc == SL_OK)
        check_info(&info);
    else
        check_refusal(rc, &err);
    signed_again = resign(data, size);
    if (!signed_again)
        return 0;
    memset(&err, 0, sizeof err);
    rc = sl_report_verify(signed_again, strlen(signed_again), instance_pub,
                          strlen(instance_pub), &info, &err);
    if (rc == SL_OK)
        check_info(&info);
    else
        check_refusal(rc, &err);
    memset(&err, 0, sizeof err);
    rc = sl_report_verify_extends(base_report, strlen(base_report), signed_again,
                                  strlen(signed_again), instance_pub, strlen(instance_pub),
                                  &old_info, &info, &ext, &err);
    if (rc == SL_OK) {
        check_info(&info);
        fuzz_assert(ext.rows_added == info.head_position - old_info.head_position &&
                        ext.rows_added >= 0, "extension count", NULL);
    } else {
        check_refusal(rc, &err);
    }
    free(signed_again);
    return 0;
}
