/*
 * test_base64.c - the Ruby-compatible base64 of license keys: the lenient
 * decoder must forgive exactly what Base64.decode64 forgives, and the
 * encoder must write Base64.encode64's 60-column layout.
 */
#include "testutil.h"
#include "license/base64.h"

#include <stdlib.h>
#include <string.h>

/* Decode `in` (length given, may hold NULs) and compare with want/want_len. */
static void expect_decode(const char *in, size_t len, const char *want, size_t want_len)
{
    unsigned char *out = malloc(sl__base64_decoded_max(len));
    size_t n;
    assert_non_null(out);
    n = sl__base64_decode(in, len, out);
    if (n != want_len || memcmp(out, want, n) != 0)
        fail_msg("decoding '%.*s': got %zu bytes, expected %zu", (int)len, in, n, want_len);
    assert_true(n <= sl__base64_decoded_max(len));
    free(out);
}

#define DEC(in, want) expect_decode(in, sizeof(in) - 1, want, sizeof(want) - 1)

static void test_decode_strict_input(void **state)
{
    (void)state;
    DEC("", "");
    DEC("QUJD", "ABC");
    DEC("QUJDRA==", "ABCD");
    DEC("QUJDREU=", "ABCDE");
    DEC("QUJDREVG", "ABCDEF");
    DEC("AAEC/w==", "\x00\x01\x02\xff");
    DEC("+/+/", "\xfb\xff\xbf");
}

static void test_decode_lenient(void **state)
{
    (void)state;
    /* anything outside the alphabet is skipped, wherever it is */
    DEC("QU\nJD\r\n", "ABC");
    /* line breaks before a group (the fast path skips them), inside one and
     * doubled, and a carriage return before a group (the lenient path) */
    DEC("QUJD\nQUJD\nQU\nJDQUJD\n\nQUJD\r\nQUJD\n", "ABCABCABCABCABCABC");
    DEC(" Q\tU-J_D ", "ABC");
    DEC("Q!U@J#D$", "ABC");
    DEC("QU\x00JD", "ABC");
    DEC("Q\xc3\xa9UJD", "ABC");
    /* missing padding: a final partial group still decodes */
    DEC("QUI", "AB");
    DEC("QQ", "A");
    DEC("QUJDRA", "ABCD");
    /* a lone final character carries no whole byte */
    DEC("Q", "");
    DEC("QUJDR", "ABC");
    /* unused low bits of the last character are ignored, not checked */
    DEC("QR==", "A");
    DEC("QUJ=", "AB");
    DEC("QUK=", "AB");
}

static void test_decode_padding_rules(void **state)
{
    (void)state;
    /* `=` in the 1st or 2nd place of a group is skipped like junk */
    DEC("=QUJD", "ABC");
    DEC("Q=UJD", "ABC");
    DEC("QUJD=QUJD", "ABCABC");
    DEC("QUJD==QUJD", "ABCABC");
    /* in the 3rd or 4th place it ends the data; the rest is ignored */
    DEC("QQ==QUJD", "A");
    DEC("QUI=QUJD", "AB");
    DEC("QU=JD", "A");
    DEC("QUJ=RA==", "AB");
    DEC("QQ\n=\n=", "A");
    /* junk before the `=` does not hide it */
    DEC("QQ  ==", "A");
    DEC("QUJD QQ !=", "ABCA");
    /* only padding: nothing */
    DEC("====", "");
}

static void test_decode_bounds(void **state)
{
    (void)state;
    /* the promised bound holds for every length, even junk-free input */
    for (size_t len = 0; len < 64; len++) {
        char in[64];
        unsigned char out[64];
        memset(in, 'A', len);
        assert_true(sl__base64_decode(in, len, out) <= sl__base64_decoded_max(len));
        assert_int_equal(sl__base64_decode(in, len, out), len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0));
    }
}

static char *encode(const void *in, size_t len)
{
    sl_buf b;
    sl__buf_init(&b, 0);
    assert_int_equal(sl__base64_encode(in, len, &b), SL_OK);
    return sl__buf_take(&b);
}

static void test_encode_layout(void **state)
{
    (void)state;
    unsigned char bin[200];
    char *s;
    s = encode("", 0);
    assert_string_equal(s, "");
    free(s);
    s = encode("A", 1);
    assert_string_equal(s, "QQ==\n");
    free(s);
    s = encode("AB", 2);
    assert_string_equal(s, "QUI=\n");
    free(s);
    s = encode("ABC", 3);
    assert_string_equal(s, "QUJD\n");
    free(s);
    for (size_t i = 0; i < sizeof bin; i++)
        bin[i] = (unsigned char)(i * 7);
    /* 45 bytes fill one 60-column line exactly */
    s = encode(bin, 45);
    assert_int_equal(strlen(s), 61);
    assert_int_equal(s[60], '\n');
    free(s);
    /* 46 bytes: a full line and a padded 4-column line */
    s = encode(bin, 46);
    assert_int_equal(strlen(s), 66);
    assert_int_equal(s[60], '\n');
    assert_string_equal(s + 61, "Ow==\n"); /* byte 45 is 45*7 mod 256 = 0x3b */
    free(s);
    /* 200 bytes: four full lines and a short one, each ending in \n */
    s = encode(bin, 200);
    {
        size_t col = 0, lines = 0;
        for (const char *p = s; *p; p++) {
            if (*p == '\n') {
                assert_true(col == 60 || p[1] == '\0');
                col = 0;
                lines++;
            } else {
                col++;
            }
        }
        assert_int_equal(lines, 5);
        assert_int_equal(strlen(s), (200 + 2) / 3 * 4 + 5);
    }
    free(s);
}

static void test_round_trip(void **state)
{
    (void)state;
    unsigned char bin[1000];
    srand(42);
    for (size_t len = 0; len < sizeof bin; len += 1 + len / 7) {
        char *s;
        unsigned char *out;
        for (size_t i = 0; i < len; i++)
            bin[i] = (unsigned char)rand();
        s = encode(bin, len);
        out = malloc(sl__base64_decoded_max(strlen(s)));
        assert_non_null(out);
        assert_int_equal(sl__base64_decode(s, strlen(s), out), len);
        assert_memory_equal(out, bin, len);
        free(out);
        free(s);
    }
}

static void test_encode_limit(void **state)
{
    (void)state;
    sl_buf b;
    sl__buf_init(&b, 10);
    assert_int_equal(sl__base64_encode((const unsigned char *)"ABCDEFGHIJ", 10, &b),
                     SL_ETOOBIG);
    sl__buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_strict_input),
        cmocka_unit_test(test_decode_lenient),
        cmocka_unit_test(test_decode_padding_rules),
        cmocka_unit_test(test_decode_bounds),
        cmocka_unit_test(test_encode_layout),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_encode_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
