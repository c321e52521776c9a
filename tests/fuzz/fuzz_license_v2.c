/*
 * fuzz_license_v2.c - libFuzzer target for the v2 license key decoder
 * (engine/license/format_v2.c).  Each input is tried three ways: as key
 * text (armor, base64, container, signature, payload); as a container,
 * armored here so that mutations reach the binary layers past the base64;
 * and as a payload signed with an Ed25519 key made at start-up, whose key
 * must decode to the payload byte for byte.  The trusted keys are the test
 * vectors' (fixtures/license-v2/), so the seeds get past the signature.
 * Every refusal must name its layer in printable ASCII.
 */
#include "fuzzutil.h"
#include "license/license_internal.h"

#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Signing costs; bigger payloads add nothing. */
#define ROUND_TRIP_MAX 4096
/* A container armored here: the decoder's payload and signature limits
 * plus its header, a little over so that the limits themselves are hit. */
#define CONTAINER_MAX (300 * 1024)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fixtures/license-v2/ed25519.pub.pem and rsa.pub.pem */
static const char vector_ed25519_pub[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VwAyEArDx92rlXys32z6LqtXJolRDrWpsc7jo2IT/97rni0pg=\n"
    "-----END PUBLIC KEY-----\n";
static const char vector_rsa_pub[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAk73Hsqy2TH1zauMcW4N2\n"
    "W3upPSVv8/R2dv5lXQUAv0sQIKvPZsZViwKqWxkd8yE+Nrj8X1Qcr/NEaYOg6DdC\n"
    "vpuOWxhbSg5NG4lPueGn13S3gBTF7XCOPyeF3CuYByg+OwxCh90OXDvy5w8mZEDP\n"
    "eza47SBIpkHXybibolI5Xq/h3XC7/4xnKN4p8qnGzOejEAsBz2Fi1n1lFuf4v4gX\n"
    "fxQkcCwQzKNR4NK1zSlCuBhN6PXMKXKdiy5i4M3uv1oPlCgBuqsYKl7XguJiSaa9\n"
    "wH8zjPVqWfi2OVyi4BN0ykV80awNgeY9ACLF6oBSpx1kXsneV2BJRg2zyV4HL4qR\n"
    "UwIDAQAB\n"
    "-----END PUBLIC KEY-----\n";

static sl_keyring *vector_ring;   /* the vectors' keys */
static sl_keyring *vendor_ring;   /* the key made below */
static char *vendor_private;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    sl_error err = {0};
    char *pub = NULL;
    fuzz_init_clock();
    fuzz_assert(sl_keyring_new(&vector_ring, &err) == SL_OK, "keyring", &err);
    fuzz_assert(sl_keyring_add_pem(vector_ring, vector_ed25519_pub, strlen(vector_ed25519_pub),
                                   "vendor-ed25519", &err) == SL_OK, "ed25519 key", &err);
    fuzz_assert(sl_keyring_add_pem(vector_ring, vector_rsa_pub, strlen(vector_rsa_pub),
                                   "vendor-rsa", &err) == SL_OK, "rsa key", &err);
    fuzz_assert(sl_keys_generate_ed25519(&vendor_private, &pub, &err) == SL_OK, "keys", &err);
    fuzz_assert(sl_keyring_new(&vendor_ring, &err) == SL_OK, "keyring", &err);
    fuzz_assert(sl_keyring_add_pem(vendor_ring, pub, strlen(pub), "vendor", &err) == SL_OK,
                "vendor key", &err);
    sl_free(pub);
    return 0;
}

static int starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* A v2 refusal: a code that is an error, a message naming the layer, and
 * nothing but printable ASCII in it. */
static void check_refusal(sl_rc rc, const sl_error *err)
{
    fuzz_assert(rc != SL_OK && err->code == rc, "error code differs from the return code", err);
    fuzz_assert(starts_with(err->message, "armor: ") || starts_with(err->message, "container: ") ||
                    starts_with(err->message, "signature: ") ||
                    starts_with(err->message, "payload: ") ||
                    starts_with(err->message, "input: ") ||
                    strcmp(err->message, "out of memory") == 0,
                "v2 refusal without its layer", err);
    for (const char *p = err->message; *p; p++)
        fuzz_assert(*p >= 0x20 && *p < 0x7f, "v2 message not printable ASCII", err);
}

static void check_decoded(const sl_license *lic)
{
    const sl_license_origin *o = sl_license_get_origin(lic);
    size_t plen = 0;
    char *json = NULL;
    sl_error err = {0};
    fuzz_assert(o->format == SL_KEY_FORMAT_V2, "a v2 text decoded as another format", NULL);
    fuzz_assert(sl_license_payload(lic, &plen) != NULL && plen > 0 && plen <= SL_PAYLOAD_MAX,
                "payload missing or over the cap", NULL);
    fuzz_assert(sl_license_verify_json(lic, NULL, sl_clock_today(), &json, &err) == SL_OK,
                "verify json", &err);
    fuzz_assert_json(json, "verify json");
    sl_free(json);
}

static void decode(const char *text, size_t size, const sl_keyring *kr)
{
    sl_license *lic = NULL;
    sl_error err = {0};
    sl_rc rc = sl_license_decode(text, size, kr, &lic, &err);
    if (rc == SL_OK) {
        check_decoded(lic);
    } else {
        fuzz_assert(lic == NULL, "decode failed but returned a license", &err);
        /* the GitLab decoder answers texts without the v2 mark */
        if (sl__license_v2_armored(text, size))
            check_refusal(rc, &err);
    }
    sl_license_free(lic);
}

/* The input as a container: armored the way the encoder does it. */
static void as_container(const uint8_t *data, size_t size)
{
    static const char begin[] = "-----BEGIN SEATLEDGER LICENSE-----\n";
    static const char end[] = "-----END SEATLEDGER LICENSE-----\n";
    size_t b64_len = 4 * ((size + 2) / 3), n = 0;
    unsigned char *b64;
    char *text;
    if (size == 0 || size > CONTAINER_MAX)
        return;
    b64 = malloc(b64_len + 1);
    text = malloc(sizeof begin + b64_len + b64_len / 64 + 1 + sizeof end);
    fuzz_assert(b64 && text, "out of memory", NULL);
    EVP_EncodeBlock(b64, data, (int)size);
    memcpy(text, begin, sizeof begin - 1);
    n = sizeof begin - 1;
    for (size_t i = 0; i < b64_len; i += 64) {
        size_t k = b64_len - i < 64 ? b64_len - i : 64;
        memcpy(text + n, b64 + i, k);
        n += k;
        text[n++] = '\n';
    }
    memcpy(text + n, end, sizeof end - 1);
    n += sizeof end - 1;
    decode(text, n, vector_ring);
    free(b64);
    free(text);
}

static void round_trip(const char *payload, size_t size)
{
    char *key = NULL;
    sl_license *lic = NULL;
    sl_error err = {0};
    const char *back;
    size_t back_len = 0;
    if (size > ROUND_TRIP_MAX)
        return;
    /* the encoder signs any JSON object (test keys of every kind); only a
     * payload the decoder takes must come back */
    if (sl_license_from_payload(payload, size, &lic, &err) != SL_OK)
        return;
    sl_license_free(lic);
    lic = NULL;
    if (sl_license_encode_v2(payload, size, vendor_private, strlen(vendor_private), &key,
                             &err) != SL_OK)
        return;  /* refusing is allowed; crashing is not */
    fuzz_assert(sl_license_decode(key, strlen(key), vendor_ring, &lic, &err) == SL_OK,
                "a freshly issued v2 key does not decode", &err);
    back = sl_license_payload(lic, &back_len);
    fuzz_assert(back_len == size && memcmp(back, payload, size) == 0,
                "round trip changed the payload", NULL);
    check_decoded(lic);
    sl_license_free(lic);
    sl_free(key);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* libFuzzer's buffer ends exactly at size and is not NUL-terminated, so
     * ASan reports any read past the length the engine was given */
    decode((const char *)data, size, vector_ring);
    as_container(data, size);
    round_trip((const char *)data, size);
    return 0;
}
