/*
 * bench_decode.c - single-thread throughput of decoding, signature-checking
 * and validating one typical RSA-2048 license key with a keyring parsed
 * once, as a server or `license add` does it.  Prints keys per second; the
 * anchor it is compared with is `openssl speed rsa2048` verify/s.
 *
 * usage: bench_decode [--seconds S] [--format gitlab|v2] [--key FILE --public-key PEM]
 * Without --key it generates a vendor pair (RSA-2048 for the GitLab format,
 * Ed25519 for v2) and encodes a typical ultimate-plan payload (setup, not
 * timed).  The anchor of the v2 figure is `openssl speed ed25519` verify/s.
 */
#include "seatledger.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define BENCH_SECONDS_DEFAULT 3.0
#define BENCH_SECONDS_MAX     600.0
#define BENCH_WARMUP          500      /* iterations before timing */
#define BENCH_BATCH           64       /* iterations between clock reads */
#define BENCH_FILE_MAX        (1024 * 1024)

#include "typical_payload.h"

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* User + system CPU seconds this process has used. */
static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n;
    if (!f) {
        perror(path);
        return NULL;
    }
    buf = malloc(BENCH_FILE_MAX + 1);
    if (!buf) {
        fclose(f);
        return NULL;
    }
    n = fread(buf, 1, BENCH_FILE_MAX + 1, f);
    fclose(f);
    if (n > BENCH_FILE_MAX) {
        fprintf(stderr, "bench_decode: '%s' is over %d bytes\n", path, BENCH_FILE_MAX);
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* One decode + validate; the result must be a valid license. */
static int decode_once(const char *text, size_t len, const sl_keyring *kr)
{
    sl_license *lic = NULL;
    sl_error err = {0};
    int ok = sl_license_decode(text, len, kr, &lic, &err) == SL_OK &&
             sl_license_validate(lic, &err) == SL_OK;
    if (!ok)
        fprintf(stderr, "bench_decode: key rejected: %s\n", err.message);
    sl_license_free(lic);
    return ok;
}

/* The bare RSA public operation with a context kept across calls: what the
 * decode would cost if nothing but the signature check remained. */
static double rsa_only_rate(const char *pub_pem, size_t pub_len, const char *priv_pem,
                            double seconds)
{
    BIO *bio = BIO_new_mem_buf(pub_pem, (int)pub_len);
    BIO *pbio = BIO_new_mem_buf(priv_pem, -1);
    EVP_PKEY *pub = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
    EVP_PKEY *priv = pbio ? PEM_read_bio_PrivateKey(pbio, NULL, NULL, NULL) : NULL;
    EVP_PKEY_CTX *sctx = NULL, *vctx = NULL;
    unsigned char msg[16] = "0123456789abcdef", sig[512], out[512];
    size_t siglen = sizeof sig, outlen;
    double t0, c0, elapsed = 0, rate = -1;
    long long ops = 0;

    if (!pub || !priv)
        goto cleanup;
    sctx = EVP_PKEY_CTX_new(priv, NULL);
    if (!sctx || EVP_PKEY_sign_init(sctx) <= 0 ||
        EVP_PKEY_CTX_set_rsa_padding(sctx, RSA_PKCS1_PADDING) <= 0 ||
        EVP_PKEY_sign(sctx, sig, &siglen, msg, sizeof msg) <= 0)
        goto cleanup;
    vctx = EVP_PKEY_CTX_new(pub, NULL);
    if (!vctx || EVP_PKEY_verify_recover_init(vctx) <= 0 ||
        EVP_PKEY_CTX_set_rsa_padding(vctx, RSA_PKCS1_PADDING) <= 0)
        goto cleanup;
    t0 = now_seconds();
    c0 = cpu_seconds();
    while (elapsed < seconds) {
        for (int i = 0; i < BENCH_BATCH; i++) {
            outlen = sizeof out;
            if (EVP_PKEY_verify_recover(vctx, out, &outlen, sig, siglen) <= 0 ||
                outlen != sizeof msg)
                goto cleanup;
        }
        ops += BENCH_BATCH;
        elapsed = now_seconds() - t0;
    }
    c0 = cpu_seconds() - c0;
    rate = (double)ops / (c0 > 0 ? c0 : elapsed);
cleanup:
    EVP_PKEY_CTX_free(sctx);
    EVP_PKEY_CTX_free(vctx);
    EVP_PKEY_free(pub);
    EVP_PKEY_free(priv);
    BIO_free(bio);
    BIO_free(pbio);
    return rate;
}

/* The bare Ed25519 verification of a message as long as the key's signed
 * part, with a context set up once: what the v2 decode would cost if
 * nothing but the signature check remained. */
static double ed25519_only_rate(const char *priv_pem, size_t msg_len, double seconds)
{
    BIO *pbio = BIO_new_mem_buf(priv_pem, -1);
    EVP_PKEY *priv = pbio ? PEM_read_bio_PrivateKey(pbio, NULL, NULL, NULL) : NULL;
    EVP_MD_CTX *sctx = EVP_MD_CTX_new(), *vctx = EVP_MD_CTX_new();
    unsigned char *msg = calloc(1, msg_len), sig[64];
    size_t siglen = sizeof sig;
    double t0, c0, elapsed = 0, rate = -1;
    long long ops = 0;

    if (!priv || !sctx || !vctx || !msg || EVP_DigestSignInit(sctx, NULL, NULL, NULL, priv) <= 0 ||
        EVP_DigestSign(sctx, sig, &siglen, msg, msg_len) <= 0 ||
        EVP_DigestVerifyInit(vctx, NULL, NULL, NULL, priv) <= 0)
        goto cleanup;
    t0 = now_seconds();
    c0 = cpu_seconds();
    while (elapsed < seconds) {
        for (int i = 0; i < BENCH_BATCH; i++)
            if (EVP_DigestVerify(vctx, sig, siglen, msg, msg_len) != 1)
                goto cleanup;
        ops += BENCH_BATCH;
        elapsed = now_seconds() - t0;
    }
    c0 = cpu_seconds() - c0;
    rate = (double)ops / (c0 > 0 ? c0 : elapsed);
cleanup:
    EVP_MD_CTX_free(sctx);
    EVP_MD_CTX_free(vctx);
    EVP_PKEY_free(priv);
    BIO_free(pbio);
    free(msg);
    return rate;
}

int main(int argc, char **argv)
{
    double seconds = BENCH_SECONDS_DEFAULT, t0, c0, cpu, elapsed = 0;
    const char *key_path = NULL, *pub_path = NULL, *format = "gitlab";
    char *priv_pem = NULL, *pub_pem = NULL, *text = NULL;
    size_t text_len = 0, pub_len = 0;
    sl_keyring *kr = NULL;
    sl_error err = {0};
    long long ops = 0;
    int rc = 1;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
            seconds = strtod(argv[++i], NULL);
        } else if (strcmp(argv[i], "--key") == 0 && i + 1 < argc) {
            key_path = argv[++i];
        } else if (strcmp(argv[i], "--public-key") == 0 && i + 1 < argc) {
            pub_path = argv[++i];
        } else if (strcmp(argv[i], "--format") == 0 && i + 1 < argc &&
                   (strcmp(argv[i + 1], "gitlab") == 0 || strcmp(argv[i + 1], "v2") == 0)) {
            format = argv[++i];
        } else {
            fputs("usage: bench_decode [--seconds S] [--format gitlab|v2] "
                  "[--key FILE --public-key PEM]\n", stderr);
            return 2;
        }
    }
    if (!(seconds > 0 && seconds <= BENCH_SECONDS_MAX) || (!key_path != !pub_path)) {
        fputs("bench_decode: --seconds must be in (0, 600]; --key needs --public-key\n", stderr);
        return 2;
    }

    if (key_path) {
        text = read_file(key_path, &text_len);
        pub_pem = read_file(pub_path, &pub_len);
        if (!text || !pub_pem)
            goto cleanup;
    } else if (strcmp(format, "v2") == 0) {
        if (sl_keys_generate_ed25519(&priv_pem, &pub_pem, &err) != SL_OK ||
            sl_license_encode_v2(typical_payload, strlen(typical_payload), priv_pem,
                                 strlen(priv_pem), &text, &err) != SL_OK) {
            fprintf(stderr, "bench_decode: setup: %s\n", err.message);
            goto cleanup;
        }
        text_len = strlen(text);
        pub_len = strlen(pub_pem);
    } else {
        if (sl_keys_generate(2048, &priv_pem, &pub_pem, &err) != SL_OK ||
            sl_license_encode(typical_payload, strlen(typical_payload), priv_pem,
                              strlen(priv_pem), "GitLab", &text, &err) != SL_OK) {
            fprintf(stderr, "bench_decode: setup: %s\n", err.message);
            goto cleanup;
        }
        text_len = strlen(text);
        pub_len = strlen(pub_pem);
    }
    if (sl_keyring_new(&kr, &err) != SL_OK ||
        sl_keyring_add_pem(kr, pub_pem, pub_len, "bench", &err) != SL_OK) {
        fprintf(stderr, "bench_decode: keyring: %s\n", err.message);
        goto cleanup;
    }

    for (int i = 0; i < BENCH_WARMUP; i++) {
        if (!decode_once(text, text_len, kr))
            goto cleanup;
    }
    t0 = now_seconds();
    c0 = cpu_seconds();
    while (elapsed < seconds) {
        for (int i = 0; i < BENCH_BATCH; i++) {
            if (!decode_once(text, text_len, kr))
                goto cleanup;
        }
        ops += BENCH_BATCH;
        elapsed = now_seconds() - t0;
    }
    cpu = cpu_seconds() - c0;
    if (cpu <= 0)
        cpu = elapsed;
    printf("key_bytes %zu\n", text_len);
    printf("decode_validate_per_sec %.1f\n", (double)ops / cpu);
    printf("decode_validate_per_wall_sec %.1f\n", (double)ops / elapsed);
    printf("usec_cpu_per_key %.2f\n", cpu * 1e6 / (double)ops);
    if (priv_pem && strcmp(format, "v2") == 0) {
        /* the signed part: the 41-byte header and the payload */
        double raw = ed25519_only_rate(priv_pem, 41 + strlen(typical_payload), seconds / 3);
        if (raw > 0)
            printf("ed25519_verify_per_sec %.1f\n", raw);
    }
    if (priv_pem && strcmp(format, "gitlab") == 0) {
        double raw = rsa_only_rate(pub_pem, pub_len, priv_pem, seconds / 3);
        if (raw > 0)
            printf("rsa_verify_recover_per_sec %.1f\n", raw);
    }
    rc = 0;
cleanup:
    sl_keyring_free(kr);
    sl_free(priv_pem);
    if (key_path) {
        free(pub_pem);
        free(text);
    } else {
        sl_free(pub_pem);
        sl_free(text);
    }
    return rc;
}
