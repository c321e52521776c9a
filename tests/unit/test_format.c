/*
 * test_format.c - the key wire format: gem-identical encoder layout, round
 * trips, the boundary rules, every failure layer of the decoder with its
 * message, several trusted keys, and hostile input (huge, binary, JSON
 * bombs, truncation, bit flips) that must never crash.
 */
#include "testutil.h"
#include "license/base64.h"
#include "license/license_internal.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <stdlib.h>
#include <string.h>

#define NKEYS 3

static char *priv[NKEYS], *pub[NKEYS];

static const char payload01[] =
    "{\"version\":1,\"licensee\":{\"Name\":\"Ada Lovelace\",\"Email\":\"ada@example.com\","
    "\"Company\":\"Example Corp\"},\"issued_at\":\"2024-01-01\",\"expires_at\":\"2099-12-31\","
    "\"cloud_licensing_enabled\":false,\"offline_cloud_licensing_enabled\":false,"
    "\"auto_renew_enabled\":false,\"seat_reconciliation_enabled\":false,"
    "\"operational_metrics_enabled\":false,\"contract_overages_allowed\":true,"
    "\"generated_from_customers_dot\":false,\"generated_from_cancellation\":false,"
    "\"temporary_extension\":false,\"restrictions\":{\"plan\":\"premium\","
    "\"active_user_count\":100}}";

static int setup(void **state)
{
    (void)state;
    for (int i = 0; i < NKEYS; i++)
        if (sl_keys_generate(2048, &priv[i], &pub[i], NULL) != SL_OK)
            return -1;
    setenv("SEATLEDGER_NOW", "2026-11-22T12:00:00Z", 1);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (int i = 0; i < NKEYS; i++) {
        sl_free(priv[i]);
        sl_free(pub[i]);
    }
    return 0;
}

/* A keyring of the public keys at the given indexes (-1 ends the list). */
static sl_keyring *ring(int a, int b)
{
    sl_keyring *kr = NULL;
    assert_int_equal(sl_keyring_new(&kr, NULL), SL_OK);
    if (a >= 0)
        assert_int_equal(sl_keyring_add_pem(kr, pub[a], strlen(pub[a]), NULL, NULL), SL_OK);
    if (b >= 0)
        assert_int_equal(sl_keyring_add_pem(kr, pub[b], strlen(pub[b]), NULL, NULL), SL_OK);
    return kr;
}

static char *encode_with(int k, const char *payload, const char *boundary)
{
    char *text = NULL;
    sl_error err = {0};
    if (sl_license_encode(payload, strlen(payload), priv[k], strlen(priv[k]), boundary, &text,
                          &err) != SL_OK)
        fail_msg("encode: %s", err.message);
    return text;
}

/* Decode and expect failure with exactly this code and message. */
static void expect_fail(const char *text, size_t len, const sl_keyring *kr, sl_rc code,
                        const char *message)
{
    sl_license *lic = (sl_license *)1;
    sl_error err = {0};
    sl_rc rc = sl_license_decode(text, len, kr, &lic, &err);
    if (rc == SL_OK)
        fail_msg("decoded, expected '%s'", message);
    assert_null(lic);
    assert_int_equal(rc, code);
    assert_int_equal(err.code, code);
    assert_string_equal(err.message, message);
}

/* Decode and expect the given payload bytes. */
static sl_license *expect_ok(const char *text, size_t len, const sl_keyring *kr,
                             const char *payload)
{
    sl_license *lic = NULL;
    sl_error err = {0};
    size_t plen;
    const char *p;
    if (sl_license_decode(text, len, kr, &lic, &err) != SL_OK)
        fail_msg("decode: %s", err.message);
    p = sl_license_payload(lic, &plen);
    assert_int_equal(plen, strlen(payload));
    assert_memory_equal(p, payload, plen);
    return lic;
}

/* ---- crafting keys by hand, layer by layer ------------------------------- */

static char *b64(const void *bin, size_t len)
{
    sl_buf b;
    sl__buf_init(&b, 0);
    assert_int_equal(sl__base64_encode(bin, len, &b), SL_OK);
    return sl__buf_take(&b);
}

/* Base64.encode64 text as a JSON string body: newlines escaped. */
static char *b64_json(const void *bin, size_t len)
{
    char *s = b64(bin, len), *out = malloc(strlen(s) * 2 + 1), *o = out;
    assert_non_null(out);
    for (const char *p = s; *p; p++) {
        if (*p == '\n') {
            *o++ = '\\';
            *o++ = 'n';
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    free(s);
    return out;
}

static unsigned char *aes_encrypt(const unsigned char *key, const unsigned char *iv,
                                  const void *in, size_t len, size_t *out_len)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    unsigned char *out = malloc(len + 16);
    int n1 = 0, n2 = 0;
    assert_non_null(out);
    assert_true(EVP_EncryptInit_ex2(c, EVP_aes_128_cbc(), key, iv, NULL));
    assert_true(EVP_EncryptUpdate(c, out, &n1, in, (int)len));
    assert_true(EVP_EncryptFinal_ex(c, out + n1, &n2));
    EVP_CIPHER_CTX_free(c);
    *out_len = (size_t)(n1 + n2);
    return out;
}

/* RSA private operation with PKCS#1 v1.5 type 1 padding and no digest. */
static unsigned char *rsa_wrap(int k, const unsigned char *in, size_t len, size_t *out_len)
{
    BIO *bio = BIO_new_mem_buf(priv[k], -1);
    EVP_PKEY *pk = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pk, NULL);
    unsigned char *out;
    assert_non_null(pk);
    assert_true(EVP_PKEY_sign_init(ctx) > 0);
    assert_true(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) > 0);
    assert_true(EVP_PKEY_sign(ctx, NULL, out_len, in, len) > 0);
    out = malloc(*out_len);
    assert_non_null(out);
    assert_true(EVP_PKEY_sign(ctx, out, out_len, in, len) > 0);
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(pk);
    BIO_free(bio);
    return out;
}

/* Outer base64 of an envelope text. */
static char *outer(const char *envelope)
{
    return b64(envelope, strlen(envelope));
}

typedef struct craft {
    const char *payload;
    size_t payload_len;
    int signer;          /* private key wrapping the AES key */
    size_t key_len;      /* bytes wrapped: 16 for a real key */
    size_t iv_len;
    int bad_padding;     /* last plaintext byte 0: PKCS#7 must reject it */
} craft;

/* A complete key text built by hand from the parameters. */
static char *make_key(const craft *c)
{
    unsigned char key[64], iv[64];
    unsigned char *data, *wrapped;
    size_t data_len, wrapped_len;
    char *d, *k, *v, *env, *text;
    size_t n;
    assert_true(RAND_bytes(key, sizeof key) == 1 && RAND_bytes(iv, sizeof iv) == 1);
    if (c->bad_padding) {
        /* whole blocks, no padding added, the last byte 0: never valid */
        size_t len = (c->payload_len / 16 + 1) * 16;
        unsigned char *plain = calloc(1, len);
        EVP_CIPHER_CTX *cx = EVP_CIPHER_CTX_new();
        int n1 = 0;
        memcpy(plain, c->payload, c->payload_len);
        data = malloc(len);
        assert_true(EVP_EncryptInit_ex2(cx, EVP_aes_128_cbc(), key, iv, NULL));
        EVP_CIPHER_CTX_set_padding(cx, 0);
        assert_true(EVP_EncryptUpdate(cx, data, &n1, plain, (int)len));
        data_len = (size_t)n1;
        EVP_CIPHER_CTX_free(cx);
        free(plain);
    } else {
        data = aes_encrypt(key, iv, c->payload, c->payload_len, &data_len);
    }
    wrapped = rsa_wrap(c->signer, key, c->key_len, &wrapped_len);
    d = b64_json(data, data_len);
    k = b64_json(wrapped, wrapped_len);
    v = b64_json(iv, c->iv_len);
    n = strlen(d) + strlen(k) + strlen(v) + 64;
    env = malloc(n);
    assert_non_null(env);
    snprintf(env, n, "{\"data\":\"%s\",\"key\":\"%s\",\"iv\":\"%s\"}", d, k, v);
    text = outer(env);
    free(env);
    free(d);
    free(k);
    free(v);
    free(data);
    free(wrapped);
    return text;
}

static char *make_simple(const char *payload)
{
    craft c = {payload, strlen(payload), 0, 16, 16, 0};
    return make_key(&c);
}

/* ---- encoder layout ------------------------------------------------------ */

/* Positions of newlines and `=` of a text: the shape two keys share when
 * they carry payloads of the same length under same-size RSA keys. */
static void expect_same_shape(const char *a, size_t alen, const char *b, size_t blen)
{
    assert_int_equal(alen, blen);
    for (size_t i = 0; i < alen; i++) {
        int ca = a[i] == '\n' ? 1 : a[i] == '=' ? 2 : a[i] == '-' ? 3 : 0;
        int cb = b[i] == '\n' ? 1 : b[i] == '=' ? 2 : b[i] == '-' ? 3 : 0;
        if (ca != cb)
            fail_msg("layout differs at byte %zu: '%c' vs '%c'", i, a[i], b[i]);
    }
}

static void test_layout_matches_gem(void **state)
{
    (void)state;
    char *path = tu_source_path("fixtures/gitlab-license/01_premium_basic.gitlab-license");
    size_t glen;
    char *gem = tu_read(path, &glen);
    char *ours = encode_with(0, payload01, NULL);
    expect_same_shape(gem, glen, ours, strlen(ours));
    free(gem);
    free(path);
    sl_free(ours);
}

static void test_boundary_layout_matches_gem(void **state)
{
    (void)state;
    static const char payload15[] =
        "{\"version\":1,\"licensee\":{\"Name\":\"Ada Lovelace\",\"Email\":\"ada@example.com\","
        "\"Company\":\"Boundary Co\"},\"issued_at\":\"2024-01-01\",\"expires_at\":\"2099-12-31\","
        "\"cloud_licensing_enabled\":false,\"offline_cloud_licensing_enabled\":false,"
        "\"auto_renew_enabled\":false,\"seat_reconciliation_enabled\":false,"
        "\"operational_metrics_enabled\":false,\"contract_overages_allowed\":true,"
        "\"generated_from_customers_dot\":false,\"generated_from_cancellation\":false,"
        "\"temporary_extension\":false,\"restrictions\":{\"plan\":\"premium\","
        "\"active_user_count\":25}}";
    char *path = tu_source_path("fixtures/gitlab-license/15_with_boundary.gitlab-license");
    size_t glen;
    char *gem = tu_read(path, &glen);
    char *ours = encode_with(0, payload15, "GitLab");
    size_t olen = strlen(ours);
    expect_same_shape(gem, glen, ours, olen);
    /* BEGIN and END lines byte for byte, no newline at the very end */
    assert_memory_equal(ours, gem, 61);
    assert_memory_equal(ours + olen - 60, gem + glen - 60, 60);
    assert_memory_equal(ours, "--------------------BEGIN GITLAB LICENSE--------------------\n",
                        61);
    assert_string_equal(ours + olen - 61,
                        "\n---------------------END GITLAB LICENSE---------------------");
    free(gem);
    free(path);
    sl_free(ours);
}

/* The envelope we write: data, key, iv in that order, each Base64.encode64
 * text (60-column lines, each ending in an escaped newline). */
static void test_envelope_structure(void **state)
{
    (void)state;
    char *text = encode_with(0, payload01, NULL);
    size_t tlen = strlen(text), n;
    unsigned char *env = malloc(sl__base64_decoded_max(tlen));
    json_t *j;
    const char *names[] = {"data", "key", "iv"};
    const size_t sizes[] = {(sizeof payload01 - 1) / 16 * 16 + 16, 256, 16};

    /* outer lines: 60 columns, every line ends in \n */
    for (size_t i = 0, col = 0; i < tlen; i++) {
        if (text[i] == '\n') {
            assert_true(col == 60 || i == tlen - 1);
            col = 0;
        } else {
            col++;
            assert_true(col <= 60);
        }
    }
    assert_int_equal(text[tlen - 1], '\n');
    n = sl__base64_decode(text, tlen, env);
    assert_memory_equal(env, "{\"data\":\"", 9);
    j = json_loadb((const char *)env, n, 0, NULL);
    assert_non_null(j);
    {
        const char *kd = strstr((const char *)env, "\",\"key\":\"");
        const char *ki = strstr((const char *)env, "\",\"iv\":\"");
        assert_non_null(kd);
        assert_non_null(ki);
        assert_true(kd < ki);
        assert_memory_equal((const char *)env + n - 4, "\\n\"}", 4);
    }
    for (int m = 0; m < 3; m++) {
        const char *s = json_string_value(json_object_get(j, names[m]));
        size_t slen = strlen(s), col = 0;
        unsigned char *bin = malloc(sl__base64_decoded_max(slen));
        assert_int_equal(s[slen - 1], '\n');
        for (size_t i = 0; i < slen; i++) {
            if (s[i] == '\n') {
                assert_true(col == 60 || i == slen - 1);
                col = 0;
            } else {
                col++;
            }
        }
        assert_int_equal(sl__base64_decode(s, slen, bin), sizes[m]);
        free(bin);
    }
    json_decref(j);
    free(env);
    sl_free(text);
}

static void test_boundary_padding(void **state)
{
    (void)state;
    char *t = encode_with(0, payload01, "acme");   /* 18 chars: 21 + 21 */
    char *nl = strchr(t, '\n');
    assert_int_equal(nl - t, 60);
    assert_memory_equal(t, "---------------------BEGIN ACME LICENSE---------------------", 60);
    assert_string_equal(strrchr(t, '\n'),
                        "\n----------------------END ACME LICENSE----------------------");
    sl_free(t);
    t = encode_with(0, payload01, "Acme2");       /* 19 chars: odd dash on the left */
    assert_memory_equal(t, "---------------------BEGIN ACME2 LICENSE--------------------\n",
                        61);
    sl_free(t);
    /* a name longer than the line: no dashes at all */
    t = encode_with(0, payload01,
                    "a very long product name that does not fit in sixty columns");
    assert_memory_equal(t, "BEGIN A VERY LONG PRODUCT NAME THAT DOES NOT FIT IN SIXTY "
                           "COLUMNS LICENSE\n", 74);
    sl_free(t);
}

static void test_encode_errors(void **state)
{
    (void)state;
    char *t = (char *)1, *big;
    sl_error err = {0};
    size_t n = SL_PAYLOAD_MAX + 100;
    assert_int_equal(sl_license_encode("[1]", 3, priv[0], strlen(priv[0]), NULL, &t, &err),
                     SL_EINVAL);
    assert_null(t);
    assert_string_equal(err.message, "payload: not a JSON object");
    assert_int_equal(sl_license_encode("{\"a\":", 5, priv[0], strlen(priv[0]), NULL, &t, &err),
                     SL_EINVAL);
    assert_string_equal(err.message,
                        "payload: invalid JSON at line 1, column 5: unexpected token near end of file");
    assert_int_equal(sl_license_encode("{}", 2, pub[0], strlen(pub[0]), NULL, &t, &err),
                     SL_EINVAL);
    assert_string_equal(err.message, "private key: not a PEM private key (expected BEGIN "
                                     "PRIVATE KEY or BEGIN RSA PRIVATE KEY, unencrypted)");
    assert_int_equal(sl_license_encode("{}", 2, priv[0], strlen(priv[0]), "", &t, &err),
                     SL_EUSAGE);
    assert_string_equal(err.message, "boundary: product name must be 1 to 64 characters");
    assert_int_equal(sl_license_encode("{}", 2, priv[0], strlen(priv[0]), "a\nb", &t, &err),
                     SL_EUSAGE);
    assert_string_equal(err.message, "boundary: product name 'a\nb' must be printable ASCII");
    big = malloc(n + 1);
    memset(big, ' ', n);
    memcpy(big, "{}", 2);
    big[n] = '\0';
    assert_int_equal(sl_license_encode(big, n, priv[0], strlen(priv[0]), NULL, &t, &err),
                     SL_ETOOBIG);
    assert_string_equal(err.message, "payload: JSON of 262244 bytes is over the limit of 262144");
    free(big);
    /* an EC key is not an RSA key */
    {
        EVP_PKEY *ec = EVP_EC_gen("P-256");
        BIO *bio = BIO_new(BIO_s_mem());
        char *pem;
        long len;
        assert_true(PEM_write_bio_PrivateKey(bio, ec, NULL, NULL, 0, NULL, NULL));
        len = BIO_get_mem_data(bio, &pem);
        assert_int_equal(sl_license_encode("{}", 2, pem, (size_t)len, NULL, &t, &err),
                         SL_EINVAL);
        assert_string_equal(err.message, "private key: not an RSA key");
        BIO_free(bio);
        EVP_PKEY_free(ec);
    }
    assert_null(t);
}

/* ---- round trips ------------------------------------------------------------ */

static void round_trip(const char *payload, const char *boundary, const char *plan,
                       int64_t seats, const char *expires, int valid)
{
    sl_keyring *kr = ring(0, -1);
    char *text = encode_with(0, payload, boundary);
    sl_license *lic = expect_ok(text, strlen(text), kr, payload);
    const sl_license_info *in = sl_license_get_info(lic);
    char buf[16];
    sl_error err = {0};
    assert_string_equal(in->plan, plan);
    assert_int_equal(in->seats, seats);
    if (expires)
        assert_string_equal(sl_date_format(in->expires_on, buf, sizeof buf), expires);
    else
        assert_int_equal(in->expires_on, SL_DATE_NONE);
    assert_int_equal(sl_license_validate(lic, &err), valid ? SL_OK : SL_EINVAL);
    if (!valid)
        assert_string_equal(err.message, "license: expires_at is missing");
    if (boundary)
        assert_memory_equal(text + strcspn(text, "B"), "BEGIN ", 6);
    sl_license_free(lic);
    sl_free(text);
    sl_keyring_free(kr);
}

static void test_round_trip_plans(void **state)
{
    (void)state;
    static const char *const plans[] = {"starter", "premium", "ultimate"};
    for (int p = 0; p < 3; p++) {
        for (int variant = 0; variant < 4; variant++) {
            char payload[1024];
            int with_expiry = variant & 1, internal = !with_expiry && (variant & 2);
            snprintf(payload, sizeof payload,
                     "{\"version\":1,\"licensee\":{\"Name\":\"N\",\"Email\":\"%s\","
                     "\"Company\":\"%s\"},\"issued_at\":\"2024-01-01\"%s,"
                     "\"restrictions\":{\"plan\":\"%s\",\"active_user_count\":%d}}",
                     internal ? "n@gitlab.com" : "n@example.com",
                     internal ? "GitLab Inc" : "Example", with_expiry ?
                     ",\"expires_at\":\"2030-06-30\"" : "", plans[p], 10 + p);
            round_trip(payload, variant & 2 ? "GitLab" : NULL, plans[p], 10 + p,
                       with_expiry ? "2030-06-30" : NULL, with_expiry || internal);
        }
    }
}

static void test_round_trip_restrictions(void **state)
{
    (void)state;
    static const char payload[] =
        "{\"version\":1,\"licensee\":{\"Name\":\"J\\u00fcrgen\",\"Email\":\"j@example.com\","
        "\"Company\":\"\xe6\xa0\xaa\"},\"issued_at\":\"2025-01-01\",\"expires_at\":\"2026-01-01\","
        "\"restrictions\":{\"plan\":\"ultimate\",\"active_user_count\":50,"
        "\"previous_user_count\":40,\"trueup_quantity\":5,\"trueup_from\":\"2024-01-01\","
        "\"trueup_to\":\"2025-01-01\",\"add_ons\":{\"GitLab_FileLocks\":1,"
        "\"GitLab_Auditor_User\":2},\"trial\":true}}";
    sl_keyring *kr = ring(0, -1);
    char *text = encode_with(0, payload, "ACME");
    sl_license *lic = expect_ok(text, strlen(text), kr, payload);
    const sl_license_info *in = sl_license_get_info(lic);
    char buf[16];
    assert_int_equal(in->previous_user_count, 40);
    assert_int_equal(in->trueup_quantity, 5);
    assert_true(in->trueup_present);
    assert_string_equal(sl_date_format(in->trueup_from, buf, sizeof buf), "2024-01-01");
    assert_string_equal(sl_date_format(in->trueup_to, buf, sizeof buf), "2025-01-01");
    assert_true(in->trial);
    assert_string_equal(in->licensee_name, "J\xc3\xbcrgen");
    assert_string_equal(in->licensee_company, "\xe6\xa0\xaa");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(
                         sl__license_json(lic), "restrictions"), "add_ons"),
                         "GitLab_Auditor_User")), 2);
    sl_license_free(lic);
    sl_free(text);
    sl_keyring_free(kr);
}

static void test_round_trip_3072(void **state)
{
    (void)state;
    char *pv = NULL, *pb = NULL, *text = NULL;
    sl_keyring *kr = NULL;
    sl_license *lic;
    size_t n;
    unsigned char *env;
    json_t *j;
    assert_int_equal(sl_keys_generate(3072, &pv, &pb, NULL), SL_OK);
    assert_int_equal(sl_license_encode(payload01, strlen(payload01), pv, strlen(pv), NULL,
                                       &text, NULL), SL_OK);
    assert_int_equal(sl_keyring_new(&kr, NULL), SL_OK);
    assert_int_equal(sl_keyring_add_pem(kr, pub[1], strlen(pub[1]), NULL, NULL), SL_OK);
    assert_int_equal(sl_keyring_add_pem(kr, pb, strlen(pb), NULL, NULL), SL_OK);
    lic = expect_ok(text, strlen(text), kr, payload01);
    env = malloc(sl__base64_decoded_max(strlen(text)));
    n = sl__base64_decode(text, strlen(text), env);
    j = json_loadb((const char *)env, n, 0, NULL);
    {
        const char *k = json_string_value(json_object_get(j, "key"));
        unsigned char bin[1024];
        assert_int_equal(sl__base64_decode(k, strlen(k), bin), 384);
    }
    json_decref(j);
    free(env);
    sl_license_free(lic);
    sl_keyring_free(kr);
    sl_free(text);
    sl_free(pv);
    sl_free(pb);
}

/* ---- layer 1: boundaries ----------------------------------------------------- */

static char *cat3(const char *a, const char *b, const char *c)
{
    size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
    char *s = malloc(n);
    assert_non_null(s);
    snprintf(s, n, "%s%s%s", a, b, c);
    return s;
}

/* Replace every \n of s by \r\n. */
static char *crlf(const char *s)
{
    char *out = malloc(strlen(s) * 2 + 1), *o = out;
    assert_non_null(out);
    for (; *s; s++) {
        if (*s == '\n')
            *o++ = '\r';
        *o++ = *s;
    }
    *o = '\0';
    return out;
}

static void expect_wrapped_ok(const char *pre, const char *blob, const char *post,
                              const sl_keyring *kr, const char *payload)
{
    char *t = cat3(pre, blob, post);
    sl_license_free(expect_ok(t, strlen(t), kr, payload));
    free(t);
}

static void test_boundary_rules(void **state)
{
    (void)state;
    sl_keyring *kr = ring(0, -1);
    char *blob = encode_with(0, payload01, NULL);   /* ends in \n */
    char *blob2, *t, *c;
    static const char other[] = "{\"version\":1,\"other\":true}";

    /* the gem's own layout and looser ones */
    expect_wrapped_ok("", blob, "", kr, payload01);
    expect_wrapped_ok("-----BEGIN GITLAB LICENSE-----\n", blob, "-----END GITLAB LICENSE-----",
                      kr, payload01);
    expect_wrapped_ok("BEGIN GITLAB LICENSE\n", blob, "END GITLAB LICENSE\n", kr, payload01);
    expect_wrapped_ok("BEGIN Acme Corp. Enterprise LICENSE---\n", blob,
                      "---END whatever it is LICENSE\n", kr, payload01);
    /* text around the boundaries is ignored, even base64-looking text */
    expect_wrapped_ok("Dear customer,\nhere is your key:\n---BEGIN GITLAB LICENSE---\n", blob,
                      "---END GITLAB LICENSE---\nThanks and regards\nThe Vendor\n", kr,
                      payload01);
    /* missing END line */
    expect_wrapped_ok("Hello\n--BEGIN X LICENSE--\n", blob, "", kr, payload01);
    /* CRLF everywhere */
    t = cat3("note\n----BEGIN GITLAB LICENSE----\n", blob, "----END GITLAB LICENSE----\nbye\n");
    c = crlf(t);
    sl_license_free(expect_ok(c, strlen(c), kr, payload01));
    free(c);
    free(t);
    /* two wrapped keys: the last BEGIN wins, the first END after it ends */
    blob2 = encode_with(0, other, NULL);
    t = cat3("BEGIN A LICENSE\n", blob, "END A LICENSE\n");
    {
        char *u = cat3(t, "BEGIN B LICENSE\n", blob2);
        /* a BEGIN line without a newline after it is no boundary */
        char *v = cat3(u, "END B LICENSE\n", "BEGIN C LICENSE");
        sl_license_free(expect_ok(u, strlen(u), kr, other));
        sl_license_free(expect_ok(v, strlen(v), kr, other));
        free(u);
        free(v);
    }
    free(t);
    /* a BEGIN line needs something between BEGIN and LICENSE, and LICENSE
     * last: otherwise it is data, and its letters break the base64 */
    t = cat3("BEGIN LICENSE\n", blob, "");
    expect_fail(t, strlen(t), kr, SL_EINVAL,
                "envelope: invalid JSON at line 1, column 1: invalid token near '?'");
    free(t);
    /* no data between the boundaries */
    expect_fail("", 0, kr, SL_EINVAL, "boundary: no data");
    expect_fail(" \r\n\t\n", 5, kr, SL_EINVAL, "boundary: no data");
    expect_fail("----BEGIN GITLAB LICENSE----\n", 29, kr, SL_EINVAL, "boundary: no data");
    t = "intro\r\n---BEGIN GITLAB LICENSE---\r\n\r\n---END GITLAB LICENSE---\r\n";
    expect_fail(t, strlen(t), kr, SL_EINVAL, "boundary: no data");
    t = "BEGIN X LICENSE\nEND X LICENSE";   /* END needs a newline before it */
    expect_fail(t, strlen(t), kr, SL_EINVAL,
                "envelope: invalid JSON at line 1, column 1: invalid token near '?'");
    sl_free(blob);
    sl_free(blob2);
    sl_keyring_free(kr);
}

/* ---- layers 2-7: every failure ------------------------------------------------ */

static void expect_envelope_fail(const char *envelope, const sl_keyring *kr,
                                 const char *message)
{
    char *t = outer(envelope);
    expect_fail(t, strlen(t), kr, SL_EINVAL, message);
    free(t);
}

static void test_layer_errors(void **state)
{
    (void)state;
    sl_keyring *kr = ring(0, -1), *none = ring(-1, -1);
    char *t, env[2048];
    char *iv12, *iv16, *key;
    unsigned char raw[300];

    /* base64 */
    expect_fail("!!!! ???? ----\n", 15, kr, SL_EINVAL, "base64: envelope is empty");
    expect_fail("=", 1, kr, SL_EINVAL, "base64: envelope is empty");
    /* envelope JSON */
    expect_envelope_fail("[\"data\",\"key\",\"iv\"]", kr, "envelope: not a JSON object");
    expect_envelope_fail("\"text\"", kr, "envelope: not a JSON object");
    expect_envelope_fail("{\"data\":\"x\"", kr,
                         "envelope: invalid JSON at line 1, column 11: '}' expected near end of file");
    expect_envelope_fail("{\"key\":\"QQ==\",\"iv\":\"QQ==\"}", kr, "envelope: missing \"data\"");
    expect_envelope_fail("{\"data\":\"QQ==\",\"iv\":\"QQ==\"}", kr, "envelope: missing \"key\"");
    expect_envelope_fail("{\"data\":\"QQ==\",\"key\":\"QQ==\"}", kr, "envelope: missing \"iv\"");
    expect_envelope_fail("{\"data\":1,\"key\":\"QQ==\",\"iv\":\"QQ==\"}", kr,
                         "envelope: \"data\" is not a string");
    expect_envelope_fail("{\"data\":\"QQ==\",\"key\":null,\"iv\":\"QQ==\"}", kr,
                         "envelope: \"key\" is not a string");
    expect_envelope_fail("{\"data\":\"QQ==\",\"key\":\"QQ==\",\"iv\":[\"QQ==\"]}", kr,
                         "envelope: \"iv\" is not a string");
    expect_envelope_fail("{\"data\":\"\",\"key\":\"QQ==\",\"iv\":\"QQ==\"}", kr,
                         "envelope: \"data\" is empty");
    expect_envelope_fail("{\"data\":\"QQ==\",\"key\":\"!!\",\"iv\":\"QQ==\"}", kr,
                         "envelope: \"key\" is empty");
    RAND_bytes(raw, sizeof raw);
    iv12 = b64_json(raw, 12);
    iv16 = b64_json(raw, 16);
    key = b64_json(raw, 256);
    snprintf(env, sizeof env, "{\"data\":\"QUJD\",\"key\":\"%s\",\"iv\":\"%s\"}", key, iv12);
    expect_envelope_fail(env, kr, "envelope: \"iv\" is not 16 bytes");
    snprintf(env, sizeof env, "{\"data\":\"QUJD\",\"key\":\"%s\",\"iv\":\"\"}", key);
    expect_envelope_fail(env, kr, "envelope: \"iv\" is not 16 bytes");
    /* signature: random bytes, wrong length, no keys at all */
    snprintf(env, sizeof env, "{\"data\":\"QUJD\",\"key\":\"%s\",\"iv\":\"%s\"}", key, iv16);
    expect_envelope_fail(env, kr, "signature: key does not verify with any trusted public key");
    expect_envelope_fail(env, none, "signature: no trusted public key");
    free(key);
    /* a wrapped key of any other length than the modulus is refused before
     * RSA (issue 10: OpenSSL accepts one with a leading zero byte dropped) */
    key = b64_json(raw, 100);
    snprintf(env, sizeof env, "{\"data\":\"QUJD\",\"key\":\"%s\",\"iv\":\"%s\"}", key, iv16);
    expect_envelope_fail(env, kr, "signature: the signed AES key is 100 bytes, not the size of "
                                  "a trusted key's modulus");
    free(key);
    key = b64_json(raw, 300);
    snprintf(env, sizeof env, "{\"data\":\"QUJD\",\"key\":\"%s\",\"iv\":\"%s\"}", key, iv16);
    expect_envelope_fail(env, kr, "signature: the signed AES key is 300 bytes, not the size of "
                                  "a trusted key's modulus");
    free(key);
    free(iv12);
    free(iv16);
    /* wrapped keys of the wrong size */
    {
        craft c = {payload01, strlen(payload01), 0, 32, 16, 0};
        t = make_key(&c);
        expect_fail(t, strlen(t), kr, SL_EINVAL,
                    "signature: recovered AES key is 32 bytes, expected 16");
        free(t);
        c.key_len = 15;
        t = make_key(&c);
        expect_fail(t, strlen(t), kr, SL_EINVAL,
                    "signature: recovered AES key is 15 bytes, expected 16");
        free(t);
        c.key_len = 16;
        c.iv_len = 17;
        t = make_key(&c);
        expect_fail(t, strlen(t), kr, SL_EINVAL, "envelope: \"iv\" is not 16 bytes");
        free(t);
        /* aes: the padding does not check out */
        c.iv_len = 16;
        c.bad_padding = 1;
        t = make_key(&c);
        expect_fail(t, strlen(t), kr, SL_EINVAL, "aes: bad padding (tampered data or wrong key)");
        free(t);
    }
    /* payload */
    t = make_simple("not json");
    expect_fail(t, strlen(t), kr, SL_EINVAL,
                "payload: invalid JSON at line 1, column 3: invalid token near 'not'");
    free(t);
    t = make_simple("[1,2,3]");
    expect_fail(t, strlen(t), kr, SL_EINVAL, "payload: not a JSON object");
    free(t);
    t = make_simple("");
    expect_fail(t, strlen(t), kr, SL_EINVAL,
                "payload: invalid JSON at line 1, column 0: unexpected token near end of file");
    free(t);
    t = make_simple("{\"version\":2,\"licensee\":{\"Name\":\"x\"}}");
    expect_fail(t, strlen(t), kr, SL_EINVAL, "payload: unsupported version 2");
    free(t);
    t = make_simple("{\"version\":\"1\"}");
    expect_fail(t, strlen(t), kr, SL_EINVAL, "payload: unsupported version \"1\"");
    free(t);
    t = make_simple("{\"version\":0}");
    expect_fail(t, strlen(t), kr, SL_EINVAL, "payload: unsupported version 0");
    free(t);
    t = make_simple("{\"version\":1.5}");
    expect_fail(t, strlen(t), kr, SL_EINVAL, "payload: unsupported version 1.5");
    free(t);
    t = make_simple("{\"version\":{\"major\":1}}");
    expect_fail(t, strlen(t), kr, SL_EINVAL, "payload: unsupported version {\"major\":1}");
    free(t);
    /* a payload with an invalid UTF-8 byte */
    t = make_simple("{\"licensee\":{\"Name\":\"\xff\"}}");
    expect_fail(t, strlen(t), kr, SL_EINVAL,
                "payload: invalid JSON at line 1, column 21: unable to decode byte 0xff near '\"'");
    free(t);
    sl_keyring_free(kr);
    sl_keyring_free(none);
}

static void test_versions_accepted(void **state)
{
    (void)state;
    static const char *const ok[] = {
        "{\"version\":1}", "{\"version\":1.0}", "{\"version\":null}", "{}",
        "{\"version\":2,\"version\":1}",  /* the last occurrence wins */
    };
    sl_keyring *kr = ring(0, -1);
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        char *t = make_simple(ok[i]);
        sl_license *lic = expect_ok(t, strlen(t), kr, ok[i]);
        assert_int_equal(sl_license_get_info(lic)->version, 1);
        sl_license_free(lic);
        free(t);
    }
    sl_keyring_free(kr);
}

/* The envelope: members in any order, extras ignored, duplicates: last wins,
 * inner base64 lenient (newlines, no padding). */
static void test_envelope_leniency(void **state)
{
    (void)state;
    sl_keyring *kr = ring(0, -1);
    char *t = encode_with(0, payload01, NULL);
    size_t n;
    unsigned char *raw = malloc(sl__base64_decoded_max(strlen(t)));
    json_t *j, *k;
    char *env, *t2;
    n = sl__base64_decode(t, strlen(t), raw);
    j = json_loadb((const char *)raw, n, 0, NULL);
    /* reorder: iv, key, data, plus extras */
    k = json_object();
    json_object_set_new(k, "comment", json_string("hello"));
    json_object_set(k, "iv", json_object_get(j, "iv"));
    json_object_set_new(k, "extra", json_integer(7));
    json_object_set(k, "key", json_object_get(j, "key"));
    json_object_set(k, "data", json_object_get(j, "data"));
    env = json_dumps(k, JSON_COMPACT | JSON_PRESERVE_ORDER);
    t2 = outer(env);
    sl_license_free(expect_ok(t2, strlen(t2), kr, payload01));
    free(t2);
    free(env);
    /* inner strings without newlines and without padding */
    {
        const char *d = json_string_value(json_object_get(j, "data"));
        char *stripped = malloc(strlen(d) + 1), *o = stripped;
        for (; *d; d++)
            if (*d != '\n' && *d != '=')
                *o++ = *d;
        *o = '\0';
        json_object_set_new(k, "data", json_string(stripped));
        free(stripped);
    }
    env = json_dumps(k, JSON_COMPACT | JSON_PRESERVE_ORDER);
    t2 = outer(env);
    sl_license_free(expect_ok(t2, strlen(t2), kr, payload01));
    free(t2);
    free(env);
    /* duplicate members: the last occurrence counts */
    {
        char *d = json_dumps(json_object_get(j, "data"), JSON_ENCODE_ANY);
        char *ky = json_dumps(json_object_get(j, "key"), JSON_ENCODE_ANY);
        char *iv = json_dumps(json_object_get(j, "iv"), JSON_ENCODE_ANY);
        size_t sz = strlen(d) + strlen(ky) + strlen(iv) + 100;
        char *e = malloc(sz);
        snprintf(e, sz, "{\"key\":\"QUJD\",\"data\":%s,\"iv\":7,\"key\":%s,\"iv\":%s}", d, ky,
                 iv);
        t2 = outer(e);
        sl_license_free(expect_ok(t2, strlen(t2), kr, payload01));
        free(t2);
        snprintf(e, sz, "{\"key\":%s,\"data\":%s,\"iv\":%s,\"key\":\"QUJD\"}", ky, d, iv);
        expect_envelope_fail(e, kr, "signature: the signed AES key is 3 bytes, not the size of a "
                                    "trusted key's modulus");
        free(e);
        free(d);
        free(ky);
        free(iv);
    }
    json_decref(k);
    json_decref(j);
    free(raw);
    sl_free(t);
    sl_keyring_free(kr);
}

/* ---- several trusted keys -------------------------------------------------------- */

static void test_multiple_keys(void **state)
{
    (void)state;
    sl_keyring *wrong_right = ring(1, 0), *right_wrong = ring(0, 1), *wrong_wrong = ring(1, 2);
    char *t = encode_with(0, payload01, NULL);
    craft c = {payload01, strlen(payload01), 0, 32, 16, 0};
    char *t32, *taes;
    sl_license_free(expect_ok(t, strlen(t), wrong_right, payload01));
    sl_license_free(expect_ok(t, strlen(t), right_wrong, payload01));
    expect_fail(t, strlen(t), wrong_wrong, SL_EINVAL,
                "signature: key does not verify with any trusted public key");
    /* the furthest layer any key reached names the failure */
    t32 = make_key(&c);
    expect_fail(t32, strlen(t32), wrong_right, SL_EINVAL,
                "signature: recovered AES key is 32 bytes, expected 16");
    expect_fail(t32, strlen(t32), right_wrong, SL_EINVAL,
                "signature: recovered AES key is 32 bytes, expected 16");
    c.key_len = 16;
    c.bad_padding = 1;
    taes = make_key(&c);
    expect_fail(taes, strlen(taes), wrong_right, SL_EINVAL,
                "aes: bad padding (tampered data or wrong key)");
    expect_fail(taes, strlen(taes), right_wrong, SL_EINVAL,
                "aes: bad padding (tampered data or wrong key)");
    free(t32);
    free(taes);
    sl_free(t);
    sl_keyring_free(wrong_right);
    sl_keyring_free(right_wrong);
    sl_keyring_free(wrong_wrong);
}

/* ---- hostile input ------------------------------------------------------------------ */

static void test_limits(void **state)
{
    (void)state;
    sl_keyring *kr = ring(0, -1);
    size_t n = 2 * 1024 * 1024;
    char *huge = malloc(n), *t, *bomb;
    sl_error err = {0};
    sl_license *lic = NULL;
    memset(huge, 'A', n);
    expect_fail(huge, n, kr, SL_ETOOBIG,
                "input: key text of 2097152 bytes is over the limit of 1048576");
    expect_fail(huge, SL_LICENSE_TEXT_MAX + 1, kr, SL_ETOOBIG,
                "input: key text of 1048577 bytes is over the limit of 1048576");
    /* exactly at the limit is decoded (and fails later, as garbage) */
    assert_int_equal(sl_license_decode(huge, SL_LICENSE_TEXT_MAX, kr, &lic, &err), SL_EINVAL);
    free(huge);

    /* a JSON bomb 10000 levels deep inside a validly encrypted payload */
    n = 10000;
    bomb = malloc(2 * n + 16);
    memcpy(bomb, "{\"a\":", 5);
    memset(bomb + 5, '[', n);
    memset(bomb + 5 + n, ']', n);
    memcpy(bomb + 5 + 2 * n, "}", 2);
    t = make_simple(bomb);
    expect_fail(t, strlen(t), kr, SL_EINVAL, "payload: JSON nested deeper than 32 levels");
    free(t);
    /* the same in the envelope */
    {
        char *env = malloc(2 * n + 64);
        snprintf(env, 2 * n + 64, "{\"data\":\"QUJD\",\"key\":\"QUJD\",\"iv\":\"QUJD\",\"x\":%s}",
                 bomb + 5);
        env[strlen(env) - 1] = '\0';
        strcat(env, "}");
        expect_envelope_fail(env, kr, "envelope: JSON nested deeper than 32 levels");
        free(env);
    }
    free(bomb);
    /* a validly encrypted payload over SL_PAYLOAD_MAX */
    n = SL_PAYLOAD_MAX + 1;
    bomb = malloc(n + 1);
    memset(bomb, ' ', n);
    memcpy(bomb, "{}", 2);
    bomb[n] = '\0';
    t = make_simple(bomb);
    expect_fail(t, strlen(t), kr, SL_ETOOBIG,
                "payload: JSON of 262145 bytes is over the limit of 262144");
    free(t);
    free(bomb);
    sl_keyring_free(kr);
}

static void test_binary_input(void **state)
{
    (void)state;
    sl_keyring *kr = ring(0, -1);
    unsigned char bin[4096];
    char *t = encode_with(0, payload01, NULL), *withnul;
    size_t tlen = strlen(t);
    sl_license *lic = NULL;
    sl_error err = {0};
    srand(7);
    for (int round = 0; round < 50; round++) {
        size_t n = (size_t)(rand() % (int)sizeof bin);
        for (size_t i = 0; i < n; i++)
            bin[i] = (unsigned char)(rand() % 4 == 0 ? 0 : rand());
        assert_int_not_equal(sl_license_decode((const char *)bin, n, kr, &lic, &err), SL_OK);
        assert_null(lic);
    }
    expect_fail("\0\0\0\0", 4, kr, SL_EINVAL, "base64: envelope is empty");
    /* NUL bytes sprinkled through a valid key are skipped like whitespace */
    withnul = malloc(tlen * 2);
    for (size_t i = 0; i < tlen; i++) {
        withnul[2 * i] = t[i];
        withnul[2 * i + 1] = '\0';
    }
    sl_license_free(expect_ok(withnul, tlen * 2, kr, payload01));
    free(withnul);
    sl_free(t);
    sl_keyring_free(kr);
}

static void test_truncation(void **state)
{
    (void)state;
    sl_keyring *kr = ring(0, -1);
    char *t = encode_with(0, payload01, "GitLab");
    size_t tlen = strlen(t), decoded = 0, padding = 0;
    /* the blob's last line sits right before "\n" + the 60-column END line */
    for (size_t i = tlen - 62; t[i] == '='; i--)
        padding++;
    for (size_t cut = 0; cut < tlen; cut++) {
        sl_license *lic = NULL;
        sl_error err = {0};
        sl_rc rc = sl_license_decode(t, cut, kr, &lic, &err);
        if (rc == SL_OK) {
            size_t plen;
            const char *p = sl_license_payload(lic, &plen);
            assert_int_equal(plen, strlen(payload01));
            assert_memory_equal(p, payload01, plen);
            decoded++;
        } else {
            assert_null(lic);
            assert_int_equal(rc, SL_EINVAL);
            assert_true(err.message[0] != '\0');
        }
        sl_license_free(lic);
    }
    /* only cuts that lose no more than the END line, the newline before it
     * and the `=` padding keep every byte of the key */
    assert_true(padding > 0);
    assert_int_equal(decoded, 61 + padding);
    sl_free(t);
    sl_keyring_free(kr);
}

static void test_bit_flips(void **state)
{
    (void)state;
    sl_keyring *kr = ring(0, -1);
    char *t = encode_with(0, payload01, NULL);
    size_t tlen = strlen(t), ok_same = 0, ok_changed = 0, failed = 0;
    for (size_t i = 0; i < tlen; i++) {
        for (int bit = 0; bit < 8; bit++) {
            sl_license *lic = NULL;
            sl_error err = {0};
            sl_rc rc;
            t[i] ^= (char)(1 << bit);
            rc = sl_license_decode(t, tlen, kr, &lic, &err);
            t[i] ^= (char)(1 << bit);
            if (rc != SL_OK) {
                assert_null(lic);
                failed++;
                continue;
            }
            {
                size_t plen;
                const char *p = sl_license_payload(lic, &plen);
                /* no MAC: only the IV's first block can change undetected */
                assert_int_equal(plen, strlen(payload01));
                assert_memory_equal(p + 16, payload01 + 16, plen - 16);
                if (memcmp(p, payload01, 16) == 0)
                    ok_same++;
                else
                    ok_changed++;
            }
            sl_license_free(lic);
        }
    }
    assert_true(failed > tlen * 4);
    assert_true(ok_same > 0);   /* flips into skipped bytes: newline -> junk */
    sl_free(t);
    sl_keyring_free(kr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_matches_gem),
        cmocka_unit_test(test_boundary_layout_matches_gem),
        cmocka_unit_test(test_envelope_structure),
        cmocka_unit_test(test_boundary_padding),
        cmocka_unit_test(test_encode_errors),
        cmocka_unit_test(test_round_trip_plans),
        cmocka_unit_test(test_round_trip_restrictions),
        cmocka_unit_test(test_round_trip_3072),
        cmocka_unit_test(test_boundary_rules),
        cmocka_unit_test(test_layer_errors),
        cmocka_unit_test(test_versions_accepted),
        cmocka_unit_test(test_envelope_leniency),
        cmocka_unit_test(test_multiple_keys),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_binary_input),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_bit_flips),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
