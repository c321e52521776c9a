/*
 * test_format_v2.c - the v2 license key format: the checked-in test vectors
 * (fixtures/license-v2/, written by an independent Python encoder) decode to
 * exactly the expected verdict or message, our encoder reproduces the
 * Ed25519 vector byte for byte, every flipped bit is refused, the named
 * limits hold at their edges, and a trusted key marked v2-only refuses
 * GitLab-format keys.
 */
#include "testutil.h"
#include "license/license_internal.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define V2_ARMOR_MAX (384 * 1024)   /* as format_v2.c names it */

static char *fixture(const char *name, size_t *len)
{
    char rel[256], *path, *data;
    snprintf(rel, sizeof rel, "fixtures/license-v2/%s", name);
    path = tu_source_path(rel);
    data = tu_read(path, len);
    free(path);
    return data;
}

/* The keyring the vectors' messages are written for. */
static sl_keyring *vendor_ring(unsigned flags)
{
    sl_keyring *kr = NULL;
    size_t len;
    char *ed = fixture("ed25519.pub.pem", &len), *rsa;
    assert_int_equal(sl_keyring_new(&kr, NULL), SL_OK);
    assert_int_equal(sl_keyring_add_pem_flags(kr, ed, len, "vendor-ed25519", flags, NULL), SL_OK);
    rsa = fixture("rsa.pub.pem", &len);
    assert_int_equal(sl_keyring_add_pem_flags(kr, rsa, len, "vendor-rsa", flags, NULL), SL_OK);
    free(ed);
    free(rsa);
    return kr;
}

static void test_vectors(void **state)
{
    size_t len, plen;
    char *manifest = fixture("expected.tsv", &len), *payload = fixture("payload.json", &plen);
    char *line, *save = NULL;
    sl_keyring *kr = vendor_ring(0);
    int n = 0, valid = 0;
    (void)state;
    for (line = strtok_r(manifest, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *tab = strchr(line, '\t'), *text;
        size_t tlen;
        sl_license *lic = NULL;
        sl_error err = {0};
        sl_rc rc;
        if (line[0] == '#')
            continue;
        assert_non_null(tab);
        *tab = '\0';
        text = fixture(line, &tlen);
        rc = sl_license_decode(text, tlen, kr, &lic, &err);
        if (strcmp(tab + 1, "valid") == 0) {
            size_t got;
            const char *p;
            if (rc != SL_OK)
                fail_msg("%s: %s", line, err.message);
            p = sl_license_payload(lic, &got);
            assert_int_equal(got, plen);
            assert_memory_equal(p, payload, plen);
            assert_int_equal(sl_license_get_origin(lic)->format, SL_KEY_FORMAT_V2);
            assert_int_equal(sl_license_validate(lic, NULL), SL_OK);
            valid++;
        } else {
            if (rc == SL_OK)
                fail_msg("%s decoded, expected: %s", line, tab + 1);
            if (strcmp(err.message, tab + 1) != 0)
                fail_msg("%s:\n got  %s\n want %s", line, err.message, tab + 1);
            assert_null(lic);
            assert_int_equal(rc, strstr(tab + 1, "over the limit") ? SL_ETOOBIG : SL_EINVAL);
        }
        sl_license_free(lic);
        free(text);
        n++;
    }
    assert_int_equal(valid, 3);
    assert_true(n >= 30);
    sl_keyring_free(kr);
    free(manifest);
    free(payload);
}

/* Ed25519 is deterministic: our encoder must write vector 01 byte for byte. */
static void test_encoder_reproduces_vector(void **state)
{
    size_t plen, klen, vlen;
    char *payload = fixture("payload.json", &plen), *key = fixture("ed25519.pem", &klen);
    char *want = fixture("01_ed25519.slkey", &vlen), *text = NULL;
    sl_error err = {0};
    (void)state;
    assert_int_equal(sl_license_encode_v2(payload, plen, key, klen, &text, &err), SL_OK);
    assert_string_equal(text, want);
    sl_free(text);
    free(payload);
    free(key);
    free(want);
}

static void test_origin_and_verify_json(void **state)
{
    size_t len;
    char *text = fixture("02_rsa_pss_sha256.slkey", &len), *doc = NULL;
    sl_keyring *kr = vendor_ring(SL_KEY_REQUIRE_V2);
    sl_license *lic = NULL;
    const sl_license_origin *o;
    (void)state;
    assert_int_equal(sl_license_decode(text, len, kr, &lic, NULL), SL_OK);
    o = sl_license_get_origin(lic);
    assert_string_equal(o->format_name, "v2");
    assert_string_equal(o->algorithm, "rsa-pss-sha256");
    assert_string_equal(o->signer, "vendor-rsa");
    assert_int_equal(sl_license_verify_json(lic, NULL, sl_clock_today(), &doc, NULL), SL_OK);
    assert_non_null(strstr(doc, ",\"format\":\"v2\",\"algorithm\":\"rsa-pss-sha256\","
                                "\"signed_by\":\"vendor-rsa\"}"));
    sl_free(doc);
    sl_license_free(lic);
    sl_keyring_free(kr);
    free(text);
}

/* Every bit of the container flipped, and every byte of the armored text
 * changed: nothing of it decodes. */
static void test_every_flip_refused(void **state)
{
    size_t len, ed_len;
    char *text = fixture("01_ed25519.slkey", &len), *ed = fixture("ed25519.pem", &ed_len);
    sl_keyring *kr = vendor_ring(0);
    unsigned char cont[1024];
    char b64[2048];
    int clen, accepted = 0, tried = 0;
    (void)state;
    /* the container: the base64 between the armor lines */
    {
        char joined[2048];
        size_t j = 0;
        const char *p = strchr(text, '\n') + 1, *end = strstr(text, "-----END");
        for (; p < end; p++)
            if (*p != '\n')
                joined[j++] = *p;
        joined[j] = '\0';
        clen = EVP_DecodeBlock(cont, (const unsigned char *)joined, (int)j);
        assert_true(clen > 0);
        clen -= (joined[j - 1] == '=') + (joined[j - 2] == '=');
    }
    for (int bit = 0; bit < clen * 8; bit++) {
        char armored[4096];
        size_t n = 0;
        int blen;
        sl_license *lic = NULL;
        cont[bit / 8] ^= (unsigned char)(1u << (bit % 8));
        blen = EVP_EncodeBlock((unsigned char *)b64, cont, clen);
        n += (size_t)snprintf(armored, sizeof armored, "-----BEGIN SEATLEDGER LICENSE-----\n");
        for (int i = 0; i < blen; i += 64)
            n += (size_t)snprintf(armored + n, sizeof armored - n, "%.64s\n", b64 + i);
        n += (size_t)snprintf(armored + n, sizeof armored - n, "-----END SEATLEDGER LICENSE-----\n");
        if (sl_license_decode(armored, n, kr, &lic, NULL) == SL_OK)
            accepted++;
        sl_license_free(lic);
        cont[bit / 8] ^= (unsigned char)(1u << (bit % 8));
        tried++;
    }
    for (size_t i = 0; i < len; i++) {
        sl_license *lic = NULL;
        char saved = text[i];
        text[i] = (char)(text[i] ^ 0x01);
        /* CR and LF, space and '!' ... are blank-for-blank: only the
         * surrounding whitespace may change without effect */
        if (sl_license_decode(text, len, kr, &lic, NULL) == SL_OK && i + 1 != len)
            accepted++;
        sl_license_free(lic);
        text[i] = saved;
    }
    assert_int_equal(accepted, 0);
    assert_true(tried > 2000);
    sl_keyring_free(kr);
    free(text);
    free(ed);
}

static void test_limits(void **state)
{
    sl_keyring *kr = vendor_ring(0);
    sl_license *lic = NULL;
    sl_error err = {0};
    char *big, *rsa_priv = NULL, *rsa_pub = NULL, *payload, *text = NULL;
    size_t n = V2_ARMOR_MAX + 1;
    sl_keyring *kr4096 = NULL;
    (void)state;
    /* the whole text */
    big = malloc(n);
    assert_non_null(big);
    memset(big, 'A', n);
    memcpy(big, "-----BEGIN SEATLEDGER LICENSE-----\n", 35);
    assert_int_equal(sl_license_decode(big, n, kr, &lic, &err), SL_ETOOBIG);
    assert_string_equal(err.message, "armor: key text of 393217 bytes is over the limit of 393216");
    free(big);
    /* the largest key the encoder makes: a payload of SL_PAYLOAD_MAX bytes
     * signed with RSA-4096 decodes (the armor limit leaves room for it) */
    payload = malloc(SL_PAYLOAD_MAX + 1);
    assert_non_null(payload);
    n = (size_t)snprintf(payload, SL_PAYLOAD_MAX, "{\"version\":1,\"licensee\":{\"Name\":\"A\"},"
                                                  "\"pad\":\"");
    memset(payload + n, 'x', SL_PAYLOAD_MAX - n - 2);
    memcpy(payload + SL_PAYLOAD_MAX - 2, "\"}", 2);
    payload[SL_PAYLOAD_MAX] = '\0';
    assert_int_equal(sl_keys_generate(4096, &rsa_priv, &rsa_pub, NULL), SL_OK);
    assert_int_equal(sl_license_encode_v2(payload, SL_PAYLOAD_MAX, rsa_priv, strlen(rsa_priv),
                                          &text, &err), SL_OK);
    /* docs/license-format.md: 355,809 bytes, under the limit */
    assert_int_equal(strlen(text), 355809);
    assert_true(strlen(text) < V2_ARMOR_MAX);
    assert_int_equal(sl_keyring_new(&kr4096, NULL), SL_OK);
    assert_int_equal(sl_keyring_add_pem(kr4096, rsa_pub, strlen(rsa_pub), "big", NULL), SL_OK);
    if (sl_license_decode(text, strlen(text), kr4096, &lic, &err) != SL_OK)
        fail_msg("%s", err.message);
    sl_license_free(lic);
    lic = NULL;
    sl_free(text);
    /* one byte more is refused by the encoder */
    payload[SL_PAYLOAD_MAX - 1] = ' ';
    {
        char *more = malloc(SL_PAYLOAD_MAX + 2);
        assert_non_null(more);
        memcpy(more, payload, SL_PAYLOAD_MAX);
        memcpy(more + SL_PAYLOAD_MAX, "}", 2);
        more[SL_PAYLOAD_MAX - 1] = '"';
        more[SL_PAYLOAD_MAX - 2] = 'x';
        assert_int_equal(sl_license_encode_v2(more, SL_PAYLOAD_MAX + 1, rsa_priv,
                                              strlen(rsa_priv), &text, &err), SL_ETOOBIG);
        assert_null(text);
        free(more);
    }
    free(payload);
    sl_free(rsa_priv);
    sl_free(rsa_pub);
    sl_keyring_free(kr4096);
    sl_keyring_free(kr);
}

static void test_encoder_refusals(void **state)
{
    size_t klen;
    char *key = fixture("ed25519.pem", &klen), *text = NULL;
    sl_error err = {0};
    EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    BIO *bio = BIO_new(BIO_s_mem());
    char *pem;
    long pem_len;
    (void)state;
    assert_int_equal(sl_license_encode_v2("[1]", 3, key, klen, &text, &err), SL_EINVAL);
    assert_string_equal(err.message, "payload: not a JSON object");
    assert_non_null(ec);
    assert_int_equal(PEM_write_bio_PrivateKey(bio, ec, NULL, NULL, 0, NULL, NULL), 1);
    pem_len = BIO_get_mem_data(bio, &pem);
    assert_int_equal(sl_license_encode_v2("{}", 2, pem, (size_t)pem_len, &text, &err), SL_EINVAL);
    assert_string_equal(err.message, "private key: not an RSA or Ed25519 key");
    /* the GitLab format needs RSA, and its boundary cannot look like v2 armor */
    assert_int_equal(sl_license_encode("{}", 2, key, klen, NULL, &text, &err), SL_EINVAL);
    assert_string_equal(err.message, "private key: not an RSA key");
    assert_int_equal(sl_license_encode("{}", 2, key, klen, "SeatLedger", &text, &err), SL_EUSAGE);
    assert_string_equal(err.message,
                        "boundary: product name 'SeatLedger' is reserved for the v2 format's armor");
    assert_null(text);
    BIO_free(bio);
    EVP_PKEY_free(ec);
    free(key);
}

/* A GitLab-format key that verifies with a key marked v2-only is refused,
 * with the same key unmarked it decodes. */
static void test_require_v2(void **state)
{
    size_t klen;
    char *rsa = fixture("rsa.pem", &klen), *text;
    sl_keyring *marked = vendor_ring(SL_KEY_REQUIRE_V2), *plain = vendor_ring(0);
    sl_license *lic = NULL;
    sl_error err = {0};
    tu_license l = {.plan = "premium", .seats = 10, .starts = "2024-01-01",
                    .expires = "2099-01-01"};
    (void)state;
    text = tu_issue(rsa, &l);
    assert_int_equal(sl_license_decode(text, strlen(text), plain, &lic, &err), SL_OK);
    assert_int_equal(sl_license_get_origin(lic)->format, SL_KEY_FORMAT_GITLAB);
    assert_string_equal(sl_license_get_origin(lic)->signer, "vendor-rsa");
    sl_license_free(lic);
    lic = NULL;
    assert_int_equal(sl_license_decode(text, strlen(text), marked, &lic, &err), SL_EINVAL);
    assert_null(lic);
    assert_string_equal(err.message,
                        "signature: trusted key 'vendor-rsa' accepts only v2 license keys "
                        "(trusted with --require-v2); this key is in the GitLab format");
    /* and no GitLab key is read as v2, no v2 key as GitLab */
    assert_false(sl__license_v2_armored(text, strlen(text)));
    sl_free(text);
    sl_keyring_free(marked);
    sl_keyring_free(plain);
    free(rsa);
}

static void test_keys(void **state)
{
    char *priv = NULL, *pub = NULL, *fp = NULL, type[16];
    sl_keyring *kr = NULL;
    (void)state;
    assert_int_equal(sl_keys_generate_ed25519(&priv, &pub, NULL), SL_OK);
    assert_non_null(strstr(priv, "-----BEGIN PRIVATE KEY-----"));
    assert_int_equal(sl_key_describe(pub, strlen(pub), type, sizeof type, NULL), SL_OK);
    assert_string_equal(type, "ed25519");
    assert_int_equal(sl_key_fingerprint(pub, strlen(pub), &fp, NULL), SL_OK);
    assert_int_equal(strlen(fp), 64);
    assert_int_equal(sl_keyring_new(&kr, NULL), SL_OK);
    assert_int_equal(sl_keyring_add_pem(kr, pub, strlen(pub), NULL, NULL), SL_OK);
    sl_free(fp);
    sl_free(priv);
    sl_free(pub);
    sl_keyring_free(kr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_encoder_reproduces_vector),
        cmocka_unit_test(test_origin_and_verify_json),
        cmocka_unit_test(test_every_flip_refused),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_encoder_refusals),
        cmocka_unit_test(test_require_v2),
        cmocka_unit_test(test_keys),
    };
    setenv("SEATLEDGER_NOW", "2026-11-22T12:00:00Z", 1);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
