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
#define PARTS_ROUNDS             5

#include "typical_payload.h"

static long iterations = PARTS_ITERATIONS_DEFAULT;
static double whole_us;

/* What the parts work on, set up once in main(). */
static char *text;
static const char *blob;
static size_t blob_len, env_len, key_len, data_len;
static unsigned char envelope[PARTS_BUF], key[PARTS_BUF], data[PARTS_BUF], iv[PARTS_BUF],
    plain[PARTS_BUF], recovered[PARTS_BUF], scratch[PARTS_BUF];
static sl_keyring *kr;
static EVP_PKEY *pk;
static EVP_PKEY_CTX *kept_ctx;
static EVP_CIPHER *aes;

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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
static void blob_of(const char *t, const char **start, size_t *len)
{
    const char *b = strstr(t, "LICENSE-");
    const char *e;
    b = b ? strchr(b, '\n') : NULL;
    b = b ? b + 1 : t;
    e = strstr(b, "END ");
    while (e && e > b && e[-1] != '\n')
        e--;
    *start = b;
    *len = e ? (size_t)(e - b) : strlen(b);
}

/* ---- the parts: each does one operation and returns 0 on success -------- */

static int part_whole(void)
{
    sl_license *lic = NULL;
    sl_error err = {0};
    int bad = sl_license_decode(text, strlen(text), kr, &lic, &err) != SL_OK ||
              sl_license_validate(lic, &err) != SL_OK;
    if (bad)
        fprintf(stderr, "bench_decode_parts: %s\n", err.message);
    sl_license_free(lic);
    return bad;
}

static int part_base64(void)
{
    return unbase64(blob, blob_len, scratch) == 0;
}

static int part_envelope_jansson(void)
{
    json_error_t jerr;
    json_t *j = json_loadb((const char *)envelope, env_len, 0, &jerr);
    json_decref(j);
    return j == NULL;
}

static int part_rsa_new_ctx(void)
{
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(pk, NULL);
    size_t n = sizeof recovered;
    int bad = !c || EVP_PKEY_verify_recover_init(c) <= 0 ||
              EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) <= 0 ||
              EVP_PKEY_verify_recover(c, recovered, &n, key, key_len) <= 0 || n != 16;
    EVP_PKEY_CTX_free(c);
    return bad;
}

static int part_rsa_kept_ctx(void)
{
    size_t n = sizeof recovered;
    return EVP_PKEY_verify_recover(kept_ctx, recovered, &n, key, key_len) <= 0 || n != 16;
}

static int aes_with(const EVP_CIPHER *cipher)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n1 = 0, n2 = 0;
    int bad = !c || !EVP_DecryptInit_ex2(c, cipher, recovered, iv, NULL) ||
              !EVP_DecryptUpdate(c, plain, &n1, data, (int)data_len) ||
              !EVP_DecryptFinal_ex(c, plain + n1, &n2);
    EVP_CIPHER_CTX_free(c);
    return bad;
}

static int part_aes_implicit(void)
{
    return aes_with(EVP_aes_128_cbc());
}

static int part_aes_fetched(void)
{
    return aes_with(aes);
}

static int part_payload_jansson(void)
{
    json_error_t jerr;
    json_t *j = json_loadb(typical_payload, strlen(typical_payload), 0, &jerr);
    json_decref(j);
    return j == NULL;
}

static int part_from_payload(void)
{
    sl_license *lic = NULL;
    int bad = sl_license_from_payload(typical_payload, strlen(typical_payload), &lic, NULL) != SL_OK;
    sl_license_free(lic);
    return bad;
}

#ifdef SL_BENCH_HAVE_CJSON
static int part_envelope_cjson(void)
{
    cJSON *j = cJSON_ParseWithLength((const char *)envelope, env_len);
    cJSON_Delete(j);
    return j == NULL;
}

static int part_payload_cjson(void)
{
    cJSON *j = cJSON_ParseWithLength(typical_payload, strlen(typical_payload));
    cJSON_Delete(j);
    return j == NULL;
}
#endif

/* Microseconds per operation: the fastest of PARTS_ROUNDS rounds, because
 * on a shared machine the fastest round is the one least disturbed.  -1 on
 * failure. */
static double measure(int (*fn)(void))
{
    double best = -1;
    long per_round = iterations / PARTS_ROUNDS > 0 ? iterations / PARTS_ROUNDS : 1;
    for (int r = 0; r < PARTS_ROUNDS; r++) {
        double t0 = now_seconds(), us;
        for (long i = 0; i < per_round; i++) {
            if (fn() != 0)
                return -1;
        }
        us = (now_seconds() - t0) * 1e6 / (double)per_round;
        if (best < 0 || us < best)
            best = us;
    }
    return best;
}

static int report(const char *what, int (*fn)(void))
{
    double us = measure(fn);
    if (us < 0) {
        fprintf(stderr, "bench_decode_parts: '%s' failed\n", what);
        return 1;
    }
    if (whole_us > 0)
        printf("  %-52s %8.2f us  %5.1f%%\n", what, us, 100.0 * us / whole_us);
    else
        printf("  %-52s %8.2f us\n", what, us);
    return 0;
}

int main(int argc, char **argv)
{
    char *priv = NULL, *pub = NULL;
    sl_error err = {0};
    json_error_t jerr;
    json_t *env_json = NULL;
    BIO *bio = NULL;
    int rc = 1;

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
    kept_ctx = pk ? EVP_PKEY_CTX_new(pk, NULL) : NULL;
    if (!pk || !aes || !kept_ctx || EVP_PKEY_verify_recover_init(kept_ctx) <= 0 ||
        EVP_PKEY_CTX_set_rsa_padding(kept_ctx, RSA_PKCS1_PADDING) <= 0 || part_rsa_kept_ctx())
        goto cleanup;

    printf("typical key: %zu bytes of text, %zu bytes of envelope JSON, %zu of payload JSON;"
           " fastest of %d rounds of %ld\n", strlen(text), env_len, strlen(typical_payload),
           PARTS_ROUNDS, iterations / PARTS_ROUNDS);
    whole_us = measure(part_whole);
    if (whole_us < 0)
        goto cleanup;
    printf("  %-52s %8.2f us  100.0%%\n", "whole: sl_license_decode + sl_license_validate",
           whole_us);
    if (report("outer base64 (OpenSSL block decoder, filtered)", part_base64) ||
        report("envelope JSON, jansson json_loadb + decref", part_envelope_jansson) ||
        report("RSA verify-recover, new EVP_PKEY_CTX each time", part_rsa_new_ctx) ||
        report("RSA verify-recover, EVP_PKEY_CTX kept", part_rsa_kept_ctx) ||
        report("AES-128-CBC, EVP_aes_128_cbc() (implicit fetch)", part_aes_implicit) ||
        report("AES-128-CBC, cipher fetched once", part_aes_fetched) ||
        report("payload JSON, jansson json_loadb + decref", part_payload_jansson) ||
        report("sl_license_from_payload (payload JSON + attributes)", part_from_payload))
        goto cleanup;
#ifdef SL_BENCH_HAVE_CJSON
    printf("for comparison, another JSON library packaged by Debian:\n");
    if (report("envelope JSON, cJSON_ParseWithLength + delete", part_envelope_cjson) ||
        report("payload JSON, cJSON_ParseWithLength + delete", part_payload_cjson))
        goto cleanup;
#endif
    rc = 0;
cleanup:
    json_decref(env_json);
    EVP_PKEY_CTX_free(kept_ctx);
    EVP_CIPHER_free(aes);
    EVP_PKEY_free(pk);
    BIO_free(bio);
    sl_keyring_free(kr);
    sl_free(priv);
    sl_free(pub);
    sl_free(text);
    return rc;
}
