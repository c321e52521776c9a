/*
 * test_clock.c - the clock source and date arithmetic.
 */
#include "testutil.h"
#include "core/internal.h"

#include <stdlib.h>
#include <string.h>

static void test_now_fixed(void **state)
{
    (void)state;
    char buf[32];
    setenv("SEATLEDGER_NOW", "2024-02-29T23:59:59Z", 1);
    assert_int_equal(sl_clock_check(NULL), SL_OK);
    assert_string_equal(sl_time_format_rfc3339(sl_clock_now_ms(), buf, sizeof buf),
                        "2024-02-29T23:59:59.000Z");
    assert_string_equal(sl_date_format(sl_clock_today(), buf, sizeof buf), "2024-02-29");
    setenv("SEATLEDGER_NOW", "2024-02-30T00:00:00Z", 1);
    assert_int_equal(sl_clock_check(NULL), SL_EUSAGE);
    unsetenv("SEATLEDGER_NOW");
    assert_true(sl_clock_now_ms() > 1700000000000LL);
}

static void test_date_parse(void **state)
{
    (void)state;
    int32_t d;
    char buf[16];
    assert_int_equal(sl_date_parse("1970-01-01", &d, NULL), SL_OK);
    assert_int_equal(d, 0);
    assert_int_equal(sl_date_parse("2024-02-30", &d, NULL), SL_EINVAL);
    assert_int_equal(sl_date_parse("2023-02-29", &d, NULL), SL_EINVAL);
    assert_int_equal(sl_date_parse("2024-2-3", &d, NULL), SL_EINVAL);
    assert_int_equal(sl_date_parse_lenient("2099-03-01T23:00:00-05:00", 25, &d), SL_OK);
    assert_string_equal(sl_date_format(d, buf, sizeof buf), "2099-03-01");
    assert_int_equal(sl_date_parse_lenient("20240101", 8, &d), SL_OK);
    assert_string_equal(sl_date_format(d, buf, sizeof buf), "2024-01-01");
    assert_int_equal(sl_date_parse_lenient("2024-13-01", 10, &d), SL_EINVAL);
    assert_int_equal(sl_date_parse_lenient("tomorrow", 8, &d), SL_EINVAL);
    assert_int_equal(sl_date_parse_lenient("", 0, &d), SL_EINVAL);
}

static void test_years_and_times(void **state)
{
    (void)state;
    int32_t d;
    int64_t ms;
    char buf[32];
    assert_int_equal(sl_date_parse("2024-02-29", &d, NULL), SL_OK);
    assert_string_equal(sl_date_format(sl_date_add_years(d, -1), buf, sizeof buf), "2023-02-28");
    assert_int_equal(sl_time_parse("2024-01-01T12:00:00Z", &ms, NULL), SL_OK);
    assert_string_equal(sl_time_format_utc(ms, buf, sizeof buf), "2024-01-01 12:00:00 UTC");
    assert_string_equal(sl_time_format_plain(ms, buf, sizeof buf), "2024-01-01 12:00:00");
    assert_int_equal(sl_time_parse("2024-01-01 12:00:00.250Z", &ms, NULL), SL_OK);
    assert_string_equal(sl_time_format_rfc3339(ms, buf, sizeof buf), "2024-01-01T12:00:00.250Z");
    assert_int_equal(sl_time_parse("2024-01-01T24:00:00Z", &ms, NULL), SL_EINVAL);
    assert_int_equal(sl_ms_to_date(-1), -1);
}

/* A key's date-times, the forms the gem's DateTime.parse reads. */
static void test_time_parse_lenient(void **state)
{
    static const struct {
        const char *in;
        const char *utc;    /* NULL: refused */
    } cases[] = {
        {"2026-03-01T10:20:30Z", "2026-03-01T10:20:30.000Z"},
        {"2026-03-01T10:20:30.123456Z", "2026-03-01T10:20:30.123Z"},
        {"2026-03-01T10:20:30+02:00", "2026-03-01T08:20:30.000Z"},
        {"2026-03-01T01:00:00-0230", "2026-03-01T03:30:00.000Z"},
        {"2026-03-01T23:00+01", "2026-03-01T22:00:00.000Z"},
        {"2026-03-01 10:20:30 UTC", "2026-03-01T10:20:30.000Z"},
        {" 2026-03-01 ", "2026-03-01T00:00:00.000Z"},
        {"2026-03-01T10:20:30", "2026-03-01T10:20:30.000Z"},
        {"2026-02-30T10:20:30Z", NULL},
        {"2026-03-01T25:00:00Z", NULL},
        {"2026-03-01T10:20:30+2", NULL},
        {"2026-03-01T10:20:30.Z", NULL},
        {"yesterday", NULL},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t ms = 0;
        char buf[32];
        sl_rc rc = sl_time_parse_lenient(cases[i].in, strlen(cases[i].in), &ms);
        if (!cases[i].utc) {
            assert_int_equal(rc, SL_EINVAL);
            continue;
        }
        assert_int_equal(rc, SL_OK);
        assert_string_equal(sl_time_format_rfc3339(ms, buf, sizeof buf), cases[i].utc);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_now_fixed),
        cmocka_unit_test(test_date_parse),
        cmocka_unit_test(test_years_and_times),
        cmocka_unit_test(test_time_parse_lenient),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
