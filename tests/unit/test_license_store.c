/*
 * test_license_store.c - trusted keys, adding licenses (validation order,
 * nothing stored on failure), current/future selection and the entity JSON.
 */
#include "testutil.h"
#include "ledger/store_internal.h"
#include "license/base64.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *priv_pem, *pub_pem, *other_priv, *other_pub;

static int setup_keys(void **state)
{
    (void)state;
    setenv("SEATLEDGER_NOW", "2026-11-22T12:00:00Z", 1);
    if (sl_keys_generate(2048, &priv_pem, &pub_pem, NULL) != SL_OK ||
        sl_keys_generate(2048, &other_priv, &other_pub, NULL) != SL_OK)
        return -1;
    return 0;
}

static int teardown_keys(void **state)
{
    (void)state;
    sl_free(priv_pem);
    sl_free(pub_pem);
    sl_free(other_priv);
    sl_free(other_pub);
    return 0;
}

/* A key signed with `priv` for the given payload fields. */
static char *issue(const char *priv, const char *company, const char *plan, int seats,
                   const char *starts, const char *expires, const char *extra_restrictions)
{
    tu_license l = {.company = company, .plan = plan, .seats = seats, .starts = starts,
                    .expires = expires, .extra_restrictions = extra_restrictions};
    return tu_issue(priv, &l);
}

static sl_store *store_with_key(char **dir)
{
    sl_store *st = tu_store(dir);
    sl_error err = {0};
    assert_int_equal(sl_store_key_trust(st, pub_pem, strlen(pub_pem), "vendor", &err), SL_OK);
    return st;
}

static void test_trust_keys(void **state)
{
    (void)state;
    char *dir;
    sl_store *st = store_with_key(&dir);
    sl_error err = {0};
    sl_trusted_key *keys;
    size_t n;
    const sl_keyring *kr;
    assert_int_equal(sl_store_key_trust(st, pub_pem, strlen(pub_pem), "again", &err), SL_EEXIST);
    assert_string_equal(err.message, "this public key is already trusted as 'vendor'");
    assert_int_equal(sl_store_key_trust(st, other_pub, strlen(other_pub), "vendor", &err), SL_EEXIST);
    assert_string_equal(err.message, "a trusted key named 'vendor' already exists");
    assert_int_equal(sl_store_key_trust(st, other_pub, strlen(other_pub), "bad name", &err), SL_EINVAL);
    assert_int_equal(sl_store_key_trust(st, "junk", 4, NULL, &err), SL_EINVAL);
    assert_int_equal(sl_store_key_trust(st, other_pub, strlen(other_pub), NULL, &err), SL_OK);
    assert_int_equal(sl_store_key_list(st, &keys, &n, &err), SL_OK);
    assert_int_equal(n, 2);
    assert_string_equal(keys[0].name, "vendor");
    assert_int_equal(strncmp(keys[1].name, "key-", 4), 0);
    assert_int_equal(strlen(keys[1].name), 16);
    assert_int_equal(strncmp(keys[1].name + 4, keys[1].fingerprint, 12), 0);
    assert_int_equal(sl_store_keyring(st, &kr, &err), SL_OK);
    assert_int_equal(sl_keyring_count(kr), 2);
    assert_int_equal(sl_store_key_untrust(st, keys[1].name, &err), SL_OK);
    assert_int_equal(sl_store_key_untrust(st, keys[1].name, &err), SL_ENOTFOUND);
    assert_int_equal(sl_store_keyring(st, &kr, &err), SL_OK);
    assert_int_equal(sl_keyring_count(kr), 1);
    sl_trusted_keys_free(keys, n);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

static void test_add_and_entity(void **state)
{
    (void)state;
    char *dir, *json = NULL, *stored = NULL;
    size_t len;
    sl_store *st = store_with_key(&dir);
    sl_error err = {0};
    int64_t id = 0, cur = 0;
    char *key = issue(priv_pem, "Example Corp", "premium", 100, "2024-01-01", "2099-12-31",
                      ",\"add_ons\":{\"GitLab_FileLocks\":1}");
    assert_int_equal(sl_store_license_add(st, key, strlen(key), SL_SOURCE_CLI, &id, &err), SL_OK);
    assert_int_equal(id, 1);
    assert_int_equal(sl_store_license_current(st, &cur, &err), SL_OK);
    assert_int_equal(cur, 1);
    assert_int_equal(sl_store_license_entity_json(st, 1, 1, &json, &err), SL_OK);
    assert_string_equal(json,
        "{\"id\":1,\"plan\":\"premium\",\"created_at\":\"2026-11-22T12:00:00.000Z\","
        "\"starts_at\":\"2024-01-01\",\"expires_at\":\"2099-12-31\",\"historical_max\":0,"
        "\"maximum_user_count\":0,\"expired\":false,\"overage\":0,\"user_limit\":100,"
        "\"active_users\":0,\"licensee\":{\"Name\":\"Ada\",\"Email\":\"ada@example.com\","
        "\"Company\":\"Example Corp\"},\"add_ons\":{\"GitLab_FileLocks\":1}}");
    sl_free(json);
    assert_int_equal(sl_store_license_list_json(st, &json, &err), SL_OK);
    assert_non_null(strstr(json, "[{\"id\":1,"));
    assert_null(strstr(json, "active_users"));
    sl_free(json);
    /* the key text is kept exactly as received */
    assert_int_equal(sl_store_license_text(st, 1, &stored, &len, &err), SL_OK);
    assert_int_equal(len, strlen(key));
    assert_memory_equal(stored, key, len);
    sl_free(stored);
    assert_int_equal(sl_store_license_delete(st, 1, SL_SOURCE_CLI, &err), SL_OK);
    assert_int_equal(sl_store_license_delete(st, 1, SL_SOURCE_CLI, &err), SL_ENOTFOUND);
    assert_string_equal(err.message, "no license with id 1");
    assert_int_equal(sl_store_license_current(st, &cur, &err), SL_ENOTFOUND);
    /* ids are never reused */
    assert_int_equal(sl_store_license_add(st, key, strlen(key), SL_SOURCE_CLI, &id, &err), SL_OK);
    assert_int_equal(id, 2);
    /* the id is optional: an embedder may not want it */
    assert_int_equal(sl_store_license_delete(st, 2, SL_SOURCE_CLI, &err), SL_OK);
    assert_int_equal(sl_store_license_add(st, key, strlen(key), SL_SOURCE_CLI, NULL, &err), SL_OK);
    assert_int_equal(sl_store_license_current(st, &cur, &err), SL_OK);
    assert_int_equal(cur, 3);
    sl_free(key);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

static void test_add_refusals_write_nothing(void **state)
{
    (void)state;
    char *dir, path[4096], *before, *after;
    size_t blen, alen;
    sl_store *st = store_with_key(&dir);
    sl_error err = {0};
    int64_t id = 0;
    char *foreign = issue(other_priv, "X", "premium", 10, "2024-01-01", "2099-12-31", NULL);
    char *expired = issue(priv_pem, "X", "premium", 10, "2019-01-01", "2020-01-01", NULL);
    char *nolicensee = NULL;
    const char *payload = "{\"version\":1,\"issued_at\":\"2024-01-01\",\"expires_at\":\"2099-01-01\"}";
    assert_int_equal(sl_license_encode(payload, strlen(payload), priv_pem, strlen(priv_pem), NULL,
                                       &nolicensee, &err), SL_OK);
    sl_store_close(st);
    snprintf(path, sizeof path, "%s/ledger.db", dir);
    before = tu_read(path, &blen);
    assert_int_equal(sl_store_open(path, 0, &st, &err), SL_OK);

    assert_int_equal(sl_store_license_add(st, foreign, strlen(foreign), SL_SOURCE_CLI, &id, &err),
                     SL_EINVAL);
    assert_string_equal(err.message,
        "The license key is invalid. Make sure it is exactly as you received it. "
        "(signature: key does not verify with any trusted public key)");
    assert_int_equal(sl_store_license_add(st, expired, strlen(expired), SL_SOURCE_CLI, &id, &err),
                     SL_EINVAL);
    assert_string_equal(err.message, "This license has already expired.");
    assert_int_equal(sl_store_license_add(st, nolicensee, strlen(nolicensee), SL_SOURCE_CLI, &id,
                                          &err), SL_EINVAL);
    assert_non_null(strstr(err.message, "it is exactly as you received it. (license: licensee"));
    assert_int_equal(sl_store_license_add(st, "", 0, SL_SOURCE_CLI, &id, &err), SL_EINVAL);
    assert_int_equal(id, 0);
    sl_store_close(st);
    after = tu_read(path, &alen);
    assert_int_equal(alen, blen);
    assert_memory_equal(before, after, blen);
    free(before);
    free(after);
    sl_free(foreign);
    sl_free(expired);
    sl_free(nolicensee);
    tu_rmtree(dir);
    free(dir);
}

static void test_current_and_future_selection(void **state)
{
    (void)state;
    char *dir;
    sl_store *st = store_with_key(&dir);
    sl_error err = {0};
    int64_t id = 0, cur = 0, fut = 0;
    char *a = issue(priv_pem, "A", "premium", 10, "2025-01-01", "2027-01-01", NULL);
    char *b = issue(priv_pem, "B", "ultimate", 10, "2026-01-01", "2027-06-01", NULL);
    char *future = issue(priv_pem, "F", "ultimate", 10, "2027-01-01", "2028-01-01", NULL);
    assert_int_equal(sl_store_license_add(st, a, strlen(a), SL_SOURCE_CLI, &id, &err), SL_OK);
    assert_int_equal(sl_store_license_add(st, b, strlen(b), SL_SOURCE_CLI, &id, &err), SL_OK);
    assert_int_equal(sl_store_license_future(st, &fut, &err), SL_ENOTFOUND);
    assert_int_equal(sl_store_license_add(st, future, strlen(future), SL_SOURCE_CLI, &id, &err), SL_OK);
    /* the newest valid started license is current; the future one waits */
    assert_int_equal(sl_store_license_current(st, &cur, &err), SL_OK);
    assert_int_equal(cur, 2);
    assert_int_equal(sl_store_license_future(st, &fut, &err), SL_OK);
    assert_int_equal(fut, 3);
    /* once B expires (2027-06-01) and F has started, F is current */
    setenv("SEATLEDGER_NOW", "2027-06-01T00:00:00Z", 1);
    assert_int_equal(sl_store_license_current(st, &cur, &err), SL_OK);
    assert_int_equal(cur, 3);
    /* after everything expired, the newest started one is still current */
    setenv("SEATLEDGER_NOW", "2030-01-01T00:00:00Z", 1);
    assert_int_equal(sl_store_license_current(st, &cur, &err), SL_OK);
    assert_int_equal(cur, 3);
    setenv("SEATLEDGER_NOW", "2026-11-22T12:00:00Z", 1);
    sl_free(a);
    sl_free(b);
    sl_free(future);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

static void test_cancelled_subscription_skipped(void **state)
{
    (void)state;
    char *dir, *cancel = NULL;
    sl_store *st = store_with_key(&dir);
    sl_error err = {0};
    int64_t id = 0, cur = 0;
    char *a = issue(priv_pem, "A", "premium", 10, "2025-01-01", "2027-01-01",
                    ",\"subscription_name\":\"A-S0001\"");
    char *b = issue(priv_pem, "B", "premium", 10, "2025-06-01", "2027-01-01",
                    ",\"subscription_name\":\"A-S0002\"");
    const char *payload =
        "{\"version\":1,\"licensee\":{\"Name\":\"C\",\"Email\":\"c@example.com\",\"Company\":\"C\"},"
        "\"issued_at\":\"2019-01-01\",\"expires_at\":\"2020-01-01\",\"cloud_licensing_enabled\":true,"
        "\"generated_from_cancellation\":true,\"restrictions\":{\"plan\":\"premium\","
        "\"subscription_name\":\"A-S0002\"}}";
    assert_int_equal(sl_license_encode(payload, strlen(payload), priv_pem, strlen(priv_pem), NULL,
                                       &cancel, &err), SL_OK);
    assert_int_equal(sl_store_license_add(st, a, strlen(a), SL_SOURCE_CLI, &id, &err), SL_OK);
    assert_int_equal(sl_store_license_add(st, b, strlen(b), SL_SOURCE_CLI, &id, &err), SL_OK);
    assert_int_equal(sl_store_license_current(st, &cur, &err), SL_OK);
    assert_int_equal(cur, 2);
    /* the cancellation key is expired, so it cannot be added; store it the
     * way an older seatledger could have, through SQL, to test selection */
    {
        sl_license *lic = NULL;
        size_t plen;
        sqlite3_stmt *s;
        sqlite3 *other;
        const char *p;
        char path[4096];
        /* another process writes: the read cache must notice */
        snprintf(path, sizeof path, "%s/ledger.db", dir);
        assert_int_equal(sqlite3_open(path, &other), SQLITE_OK);
        assert_int_equal(sl_license_from_payload(payload, strlen(payload), &lic, &err), SL_OK);
        p = sl_license_payload(lic, &plen);
        assert_int_equal(sqlite3_prepare_v2(other,
            "INSERT INTO licenses(data, payload, created_at, plan, source) VALUES ('x', ?, 0, 'premium', 'cli')",
            -1, &s, NULL), SQLITE_OK);
        sqlite3_bind_text(s, 1, p, (int)plen, SQLITE_TRANSIENT);
        assert_int_equal(sqlite3_step(s), SQLITE_DONE);
        sqlite3_finalize(s);
        sqlite3_close(other);
        sl_license_free(lic);
    }
    assert_int_equal(sl_store_license_current(st, &cur, &err), SL_OK);
    assert_int_equal(cur, 1);
    sl_free(a);
    sl_free(b);
    sl_free(cancel);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

static unsigned char *b64_member(json_t *env, const char *name, size_t *len)
{
    const char *v = json_string_value(json_object_get(env, name));
    unsigned char *out;
    assert_non_null(v);
    out = malloc(sl__base64_decoded_max(strlen(v)) + 1);
    assert_non_null(out);
    *len = sl__base64_decode(v, strlen(v), out);
    return out;
}

/* What anyone holding one genuine key and the vendor's public key can do:
 * recover the AES key, encrypt another payload under it, keep the signed
 * wrapped key and the IV.  Caller frees. */
static char *forge(const char *genuine, const char *payload)
{
    size_t outer_len, key_len, iv_len, n;
    unsigned char *outer = malloc(sl__base64_decoded_max(strlen(genuine)) + 1), *wrapped, *iv;
    unsigned char aes[512], cipher[4096];
    size_t aes_len = sizeof aes;
    int l1 = 0, l2 = 0;
    json_t *env;
    BIO *bio = BIO_new_mem_buf(pub_pem, -1);
    EVP_PKEY *pk = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pk, NULL);
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    sl_buf b64, text;
    char *dumped;
    outer_len = sl__base64_decode(genuine, strlen(genuine), outer);
    env = json_loadb((const char *)outer, outer_len, 0, NULL);
    assert_non_null(env);
    wrapped = b64_member(env, "key", &key_len);
    iv = b64_member(env, "iv", &iv_len);
    assert_int_equal(EVP_PKEY_verify_recover_init(ctx), 1);
    assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING), 1);
    assert_int_equal(EVP_PKEY_verify_recover(ctx, aes, &aes_len, wrapped, key_len), 1);
    assert_int_equal(aes_len, 16);
    assert_int_equal(EVP_EncryptInit_ex2(c, EVP_aes_128_cbc(), aes, iv, NULL), 1);
    assert_int_equal(EVP_EncryptUpdate(c, cipher, &l1, (const unsigned char *)payload,
                                       (int)strlen(payload)), 1);
    assert_int_equal(EVP_EncryptFinal_ex(c, cipher + l1, &l2), 1);
    sl__buf_init(&b64, 0);
    assert_int_equal(sl__base64_encode(cipher, (size_t)(l1 + l2), &b64), SL_OK);
    json_object_set_new(env, "data", json_string(b64.data));
    dumped = json_dumps(env, JSON_COMPACT);
    n = strlen(dumped);
    sl__buf_init(&text, 0);
    assert_int_equal(sl__base64_encode((const unsigned char *)dumped, n, &text), SL_OK);
    free(dumped);
    sl__buf_free(&b64);
    json_decref(env);
    EVP_CIPHER_CTX_free(c);
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(pk);
    BIO_free(bio);
    free(outer);
    free(wrapped);
    free(iv);
    return sl__buf_take(&text);
}

static void test_forged_payload_under_a_stored_wrapped_key(void **state)
{
    (void)state;
    char *dir;
    sl_store *st = store_with_key(&dir);
    sl_error err = {0};
    int64_t id = 0;
    char *genuine = issue(priv_pem, "Small Co", "premium", 10, "2026-01-01", "2027-01-01", NULL);
    char *forged = forge(genuine,
        "{\"version\":1,\"licensee\":{\"Name\":\"Eve\",\"Email\":\"eve@example.com\","
        "\"Company\":\"Small Co\"},\"issued_at\":\"2026-01-01\",\"expires_at\":\"2099-01-01\","
        "\"restrictions\":{\"plan\":\"ultimate\",\"active_user_count\":100000}}");
    /* the format cannot tell on its own: the forgery decodes */
    {
        const sl_keyring *kr;
        sl_license *lic = NULL;
        assert_int_equal(sl_store_keyring(st, &kr, &err), SL_OK);
        assert_int_equal(sl_license_decode(forged, strlen(forged), kr, &lic, &err), SL_OK);
        assert_int_equal(sl_license_get_info(lic)->seats, 100000);
        sl_license_free(lic);
    }
    assert_int_equal(sl_store_license_add(st, genuine, strlen(genuine), SL_SOURCE_CLI, &id, &err),
                     SL_OK);
    assert_int_equal(sl_store_license_add(st, forged, strlen(forged), SL_SOURCE_CLI, &id, &err),
                     SL_EINVAL);
    assert_string_equal(err.message,
        "The license key is invalid. Make sure it is exactly as you received it. (signature: "
        "the signed AES key of stored license 1 is reused with a different payload: the key is "
        "forged)");
    /* the genuine key itself may be added again */
    assert_int_equal(sl_store_license_add(st, genuine, strlen(genuine), SL_SOURCE_CLI, &id, &err),
                     SL_OK);
    assert_int_equal(id, 2);
    sl_free(genuine);
    sl_free(forged);
    sl_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trust_keys),
        cmocka_unit_test(test_add_and_entity),
        cmocka_unit_test(test_add_refusals_write_nothing),
        cmocka_unit_test(test_current_and_future_selection),
        cmocka_unit_test(test_cancelled_subscription_skipped),
        cmocka_unit_test(test_forged_payload_under_a_stored_wrapped_key),
    };
    return cmocka_run_group_tests(tests, setup_keys, teardown_keys);
}
