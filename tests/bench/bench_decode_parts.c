/*
 * bench_decode_parts.c - where the time of one license decode goes: each
 * layer of the format (base64, envelope JSON, RSA verify-recover, AES,
 * payload JSON, attributes) timed on its own with the same libraries the
 * engine uses, next to the whole sl_license_decode + sl_license_validate.
 * A profile that anyone can rerun; it is not one of the benchmark targets.
 *
 * usage: bench_decode_parts [--iterations N]
 */
#include "seatledger.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef SL_BENCH_HAVE_CJSON
#include <cjson/cJSON.h>
#endif

#define PARTS_ITERATIONS_DEFAULT 20000
#define PARTS_ITERATIONS_MAX     10000000
#define PARTS_BUF                8192   /* every layer of the typical key fits */

/* The same typical payload as bench_decode.c. */
static const char typical_payload[] =
    "{\"version\":1,"
    "\"licensee\":{\"Name\":\"Grace Hopper\",\"Email\":\"grace.hopper@example.com\","
    "\"Company\":\"Example Industries Inc.\"},"
    "\"issued_at\":\"2025-01-15\",\"expires_at\":\"2099-01-15\","
    "\"notify_admins_at\":\"2099-01-01\",\"notify_users_at\":\"2099-01-01\","
    "\"block_changes_at\":\"2099-01-29\","
    "\"cloud_licensing_enabled\":false,\"offline_cloud_licensing_enabled\":false,"
    "\"auto_renew_enabled\":false,\"seat_reconciliation_enabled\":true,"
    "\"operational_metrics_enabled\":true,\"contract_overages_allowed\":true,"
    "\"generated_from_customers_dot\":true,\"generated_from_cancellation\":false,"
    "\"temporary_extension\":false,"
    "\"restrictions\":{\"plan\":\"ultimate\",\"active_user_count\":1500,"
    "\"previous_user_count\":1200,\"trueup_quantity\":80,"
    "\"trueup_from\":\"2024-01-15\",\"trueup_to\":\"2025-01-15\","
    "\"add_ons\":{\"GitLab_FileLocks\":1,\"GitLab_Auditor_User\":2},"
    "\"id\":123456,\"subscription_id\":\"2c92a0ff7a3b1c2d017a3b5e6f7a0001\","
    "\"subscription_name\":\"A-S00012345\",\"reconciliation_completed\":false}}";

static long iterations = PARTS_ITERATIONS_DEFAULT;
static double whole_us;

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void report(const char *what, double t0)
{
    double us = (now_seconds() - t0) * 1e6 / (double)iterations;
    if (whole_us > 0)
        printf("  %-52s %8.2f us  %5.1f%%\n", what, us, 100.0 * us / whole_us);
    else
        printf("  %-52s %8.2f us\n", what, us);
}

/* Base64 the way the format reads it: drop every byte outside the alphabet,
 * then decode (OpenSSL's block decoder stands in for the engine's own). */
static size_t unbase64(const char *s, size_t n, unsigned char *out)
{
    static char clean[PARTS_BUF];
    size_t k = 0, pad = 0;
    int r;
    for (size_t i = 0; i < n && k < sizeof clean; i++) {
        char c = s[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '+' || c == '/' || c == '=')
            clean[k++] = c;
    }
    r = EVP_DecodeBlock(out, (const unsigned char *)clean, (int)k);
    if (r < 0)
        return 0;
    if (k > 0 && clean[k - 1] == '=')
        pad++;
    if (k > 1 && clean[k - 2] == '=')
        pad++;
    return (size_t)r - pad;
}

/* The blob between the BEGIN and END lines of the key text. */
static void blob_of(const char *text, const char **start, size_t *len)
{
    const char *b = strstr(text, "LICENSE-");
    const char *e;
    b = b ? strchr(b, '\n') : NULL;
    b = b ? b + 1 : text;
    e = strstr(b, "END ");
    while (e && e > b && e[-1] != '\n')
        e--;
    *start = b;
    *len = e ? (size_t)(e - b) : strlen(b);
}

int main(int argc, char **argv)
{
    char *priv = NULL, *pub = NULL, *text = NULL;
    static unsigned char envelope[PARTS_BUF], key[PARTS_BUF], data[PARTS_BUF], iv[PARTS_BUF],
        plain[PARTS_BUF], recovered[PARTS_BUF], scratch[PARTS_BUF];
    size_t env_len, key_len, data_len, blob_len, rec_len;
    const char *blob;
    sl_keyring *kr = NULL;
    sl_error err = {0};
    json_error_t jerr;
    json_t *env_json = NULL;
    EVP_PKEY *pk = NULL;
    EVP_PKEY_CTX *pctx = NULL;
    EVP_CIPHER *aes = NULL;
    BIO *bio = NULL;
    double t0;
    int n1, n2, rc = 1;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--iterations") == 0 && i + 1 < argc) {
            iterations = strtol(argv[++i], NULL, 10);
        } else {
            fputs("usage: bench_decode_parts [--iterations N]\n", stderr);
            return 2;
        }
    }
    if (iterations <= 0 || iterations > PARTS_ITERATIONS_MAX) {
        fputs("bench_decode_parts: --iterations must be in 1..10000000\n", stderr);
        return 2;
    }

    /* setup: a vendor pair, the typical key, its layers taken apart */
    if (sl_keys_generate(2048, &priv, &pub, &err) != SL_OK ||
        sl_license_encode(typical_payload, strlen(typical_payload), priv, strlen(priv),
                          "GitLab", &text, &err) != SL_OK ||
        sl_keyring_new(&kr, &err) != SL_OK ||
        sl_keyring_add_pem(kr, pub, strlen(pub), "bench", &err) != SL_OK) {
        fprintf(stderr, "bench_decode_parts: setup: %s\n", err.message);
        goto cleanup;
    }
    blob_of(text, &blob, &blob_len);
    env_len = unbase64(blob, blob_len, envelope);
    env_json = json_loadb((const char *)envelope, env_len, 0, &jerr);
    if (!env_json) {
        fprintf(stderr, "bench_decode_parts: envelope: %s\n", jerr.text);
        goto cleanup;
    }
    {
        const char *k = json_string_value(json_object_get(env_json, "key"));
        const char *d = json_string_value(json_object_get(env_json, "data"));
        const char *v = json_string_value(json_object_get(env_json, "iv"));
        if (!k || !d || !v)
            goto cleanup;
        key_len = unbase64(k, strlen(k), key);
        data_len = unbase64(d, strlen(d), data);
        unbase64(v, strlen(v), iv);
    }
    bio = BIO_new_mem_buf(pub, -1);
    pk = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
    aes = EVP_CIPHER_fetch(NULL, "AES-128-CBC", NULL);
    if (!pk || !aes)
        goto cleanup;

    printf("typical key: %zu bytes of text, %zu bytes of envelope JSON, %zu of payload JSON;"
           " %ld iterations\n", strlen(text), env_len, strlen(typical_payload), iterations);

    t0 = now_seconds();
    for (long i = 0; i < iterations; i++) {
        sl_license *lic = NULL;
        if (sl_license_decode(text, strlen(text), kr, &lic, &err) != SL_OK ||
            sl_license_validate(lic, &err) != SL_OK) {
            fprintf(stderr, "bench_decode_parts: %s\n", err.message);
            goto cleanup;
        }
        sl_license_free(lic);
    }
    report("whole: sl_license_decode + sl_license_validate", t0);
    whole_us = (now_seconds() - t0) * 1e6 / (double)iterations;

    t0 = now_seconds();
    for (long i = 0; i < iterations; i++)
        unbase64(blob, blob_len, scratch);
    report("outer base64 (OpenSSL block decoder, filtered)", t0);

    t0 = now_seconds();
    for (long i = 0; i < iterations; i++)
        json_decref(json_loadb((const char *)envelope, env_len, 0, &jerr));
    report("envelope JSON, jansson json_loadb + decref", t0);

    t0 = now_seconds();
    for (long i = 0; i < iterations; i++) {
        EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(pk, NULL);
        rec_len = sizeof recovered;
        if (!c || EVP_PKEY_verify_recover_init(c) <= 0 ||
            EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) <= 0 ||
            EVP_PKEY_verify_recover(c, recovered, &rec_len, key, key_len) <= 0)
            goto cleanup;
        EVP_PKEY_CTX_free(c);
    }
    report("RSA verify-recover, new EVP_PKEY_CTX each time", t0);

    pctx = EVP_PKEY_CTX_new(pk, NULL);
    if (!pctx || EVP_PKEY_verify_recover_init(pctx) <= 0 ||
        EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0)
        goto cleanup;
    t0 = now_seconds();
    for (long i = 0; i < iterations; i++) {
        rec_len = sizeof recovered;
        if (EVP_PKEY_verify_recover(pctx, recovered, &rec_len, key, key_len) <= 0)
            goto cleanup;
    }
    report("RSA verify-recover, EVP_PKEY_CTX kept", t0);
    if (rec_len != 16)
        goto cleanup;

    t0 = now_seconds();
    for (long i = 0; i < iterations; i++) {
        EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
        if (!c || !EVP_DecryptInit_ex2(c, EVP_aes_128_cbc(), recovered, iv, NULL) ||
            !EVP_DecryptUpdate(c, plain, &n1, data, (int)data_len) ||
            !EVP_DecryptFinal_ex(c, plain + n1, &n2))
            goto cleanup;
        EVP_CIPHER_CTX_free(c);
    }
    report("AES-128-CBC, EVP_aes_128_cbc() (implicit fetch)", t0);

    t0 = now_seconds();
    for (long i = 0; i < iterations; i++) {
        EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
        if (!c || !EVP_DecryptInit_ex2(c, aes, recovered, iv, NULL) ||
            !EVP_DecryptUpdate(c, plain, &n1, data, (int)data_len) ||
            !EVP_DecryptFinal_ex(c, plain + n1, &n2))
            goto cleanup;
        EVP_CIPHER_CTX_free(c);
    }
    report("AES-128-CBC, cipher fetched once", t0);

    t0 = now_seconds();
    for (long i = 0; i < iterations; i++)
        json_decref(json_loadb(typical_payload, strlen(typical_payload), 0, &jerr));
    report("payload JSON, jansson json_loadb + decref", t0);

    t0 = now_seconds();
    for (long i = 0; i < iterations; i++) {
        sl_license *lic = NULL;
        if (sl_license_from_payload(typical_payload, strlen(typical_payload), &lic, &err) != SL_OK)
            goto cleanup;
        sl_license_free(lic);
    }
    report("sl_license_from_payload (payload JSON + attributes)", t0);

#ifdef SL_BENCH_HAVE_CJSON
    printf("for comparison, another JSON library packaged by Debian:\n");
    t0 = now_seconds();
    for (long i = 0; i < iterations; i++)
        cJSON_Delete(cJSON_ParseWithLength((const char *)envelope, env_len));
    report("envelope JSON, cJSON_ParseWithLength + delete", t0);
    t0 = now_seconds();
    for (long i = 0; i < iterations; i++)
        cJSON_Delete(cJSON_ParseWithLength(typical_payload, strlen(typical_payload)));
    report("payload JSON, cJSON_ParseWithLength + delete", t0);
#endif
    rc = 0;
cleanup:
    if (rc != 0)
        fputs("bench_decode_parts: a layer failed\n", stderr);
    json_decref(env_json);
    EVP_PKEY_CTX_free(pctx);
    EVP_CIPHER_free(aes);
    EVP_PKEY_free(pk);
    BIO_free(bio);
    sl_keyring_free(kr);
    sl_free(priv);
    sl_free(pub);
    sl_free(text);
    return rc;
}
