/*
 * test_console_session.c - the admin console's sessions (server/console/
 * session.c) on a clock the test moves: a session gives back the token and
 * name it signed in with and a CSRF token bound to it; it ends after 8 hours
 * idle (each use restarts the count), on sign-out, and when the table is
 * full the least recently used one goes; a malformed or unknown cookie is
 * no session.  The 8 hours cannot be waited for in an end-to-end test.
 */
#include "testutil.h"
#include "console/console_internal.h"

#include <stdio.h>
#include <string.h>

#define TOKEN "slt_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
#define HOUR_MS (60LL * 60 * 1000)

static int64_t clock_ms = 1796000000000LL;
static int64_t test_now(void) { return clock_ms; }

static sl_console_sessions *sessions(void)
{
    sl_console_sessions *s = NULL;
    assert_int_equal(sl_console_sessions_new(test_now, &s, NULL), SL_OK);
    return s;
}

static void start(sl_console_sessions *s, const char *token, const char *name,
                  char cookie[SL_CONSOLE_COOKIE_VALUE_MAX])
{
    sl_error err = {0};
    assert_int_equal(sl_console_session_create(s, token, strlen(token), name, cookie, &err), SL_OK);
    assert_int_equal(strlen(cookie), 43);
}

static void test_a_session_gives_back_its_token(void **state)
{
    sl_console_sessions *s = sessions();
    char a[SL_CONSOLE_COOKIE_VALUE_MAX], b[SL_CONSOLE_COOKIE_VALUE_MAX];
    char csrf[SL_CONSOLE_CSRF_MAX];
    sl_console_session x, y;
    (void)state;
    start(s, TOKEN, "console-admin", a);
    start(s, TOKEN "x", "other", b);
    assert_string_not_equal(a, b);
    assert_int_equal(sl_console_session_find(s, a, &x), 1);
    assert_string_equal(x.token, TOKEN);
    assert_int_equal(x.token_len, strlen(TOKEN));
    assert_string_equal(x.name, "console-admin");
    /* the CSRF token is the session's own, and is neither the id nor the other's */
    assert_int_equal(sl_console_csrf_of(a, csrf), 1);
    assert_string_equal(x.csrf, csrf);
    assert_int_equal(strlen(x.csrf), 43);
    assert_string_not_equal(x.csrf, a);
    assert_int_equal(sl_console_session_find(s, b, &y), 1);
    assert_string_equal(y.token, TOKEN "x");
    assert_string_not_equal(x.csrf, y.csrf);
    assert_int_equal(sl_console_session_count(s), 2);
    sl_console_sessions_free(s);
}

static void test_malformed_and_unknown_cookies(void **state)
{
    sl_console_sessions *s = sessions();
    char a[SL_CONSOLE_COOKIE_VALUE_MAX], other[SL_CONSOLE_COOKIE_VALUE_MAX];
    char csrf[SL_CONSOLE_CSRF_MAX];
    sl_console_session x;
    (void)state;
    start(s, TOKEN, "console-admin", a);
    snprintf(other, sizeof other, "%s", a);
    other[0] = other[0] == 'A' ? 'B' : 'A';   /* a well-formed id of no session */
    assert_int_equal(sl_console_session_find(s, other, &x), 0);
    assert_string_equal(x.token, "");
    assert_int_equal(sl_console_session_find(s, "", &x), 0);
    assert_int_equal(sl_console_session_find(s, "short", &x), 0);
    assert_int_equal(sl_console_session_find(s, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", &x), 0);
    assert_int_equal(sl_console_session_find(s, "!AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &x), 0);
    assert_int_equal(sl_console_csrf_of("short", csrf), 0);
    assert_string_equal(csrf, "");
    assert_int_equal(sl_console_session_find(s, a, &x), 1);
    sl_console_sessions_free(s);
}

static void test_eight_hours_idle_end_a_session(void **state)
{
    sl_console_sessions *s = sessions();
    char a[SL_CONSOLE_COOKIE_VALUE_MAX], b[SL_CONSOLE_COOKIE_VALUE_MAX];
    sl_console_session x;
    (void)state;
    start(s, TOKEN, "a", a);
    start(s, TOKEN, "b", b);
    /* a is used after 7 hours, which restarts its count; b is not */
    clock_ms += 7 * HOUR_MS;
    assert_int_equal(sl_console_session_find(s, a, &x), 1);
    clock_ms += HOUR_MS;                       /* b: exactly 8 hours idle */
    assert_int_equal(sl_console_session_count(s), 2);
    clock_ms += 1;                             /* b: 8 hours and 1 ms */
    assert_int_equal(sl_console_session_count(s), 1);
    assert_int_equal(sl_console_session_find(s, b, &x), 0);
    assert_int_equal(sl_console_session_find(s, a, &x), 1);   /* a: 1 hour idle */
    clock_ms += 8 * HOUR_MS + 1;
    assert_int_equal(sl_console_session_find(s, a, &x), 0);
    assert_int_equal(sl_console_session_count(s), 0);
    /* a clock set back by more than 8 hours ends it too */
    start(s, TOKEN, "c", a);
    clock_ms -= 8 * HOUR_MS + 1;
    assert_int_equal(sl_console_session_find(s, a, &x), 0);
    sl_console_sessions_free(s);
}

static void test_sign_out_ends_only_that_session(void **state)
{
    sl_console_sessions *s = sessions();
    char a[SL_CONSOLE_COOKIE_VALUE_MAX], b[SL_CONSOLE_COOKIE_VALUE_MAX];
    sl_console_session x;
    (void)state;
    start(s, TOKEN, "a", a);
    start(s, TOKEN, "b", b);
    sl_console_session_end(s, a);
    sl_console_session_end(s, a);              /* twice is fine */
    sl_console_session_end(s, "not a cookie");
    assert_int_equal(sl_console_session_find(s, a, &x), 0);
    assert_int_equal(sl_console_session_find(s, b, &x), 1);
    assert_int_equal(sl_console_session_count(s), 1);
    sl_console_sessions_free(s);
}

static void test_a_full_table_drops_the_least_recently_used(void **state)
{
    sl_console_sessions *s = sessions();
    static char cookies[SL_CONSOLE_SESSIONS_MAX + 1][SL_CONSOLE_COOKIE_VALUE_MAX];
    sl_console_session x;
    char name[16];
    (void)state;
    for (int i = 0; i < SL_CONSOLE_SESSIONS_MAX; i++) {
        snprintf(name, sizeof name, "s%d", i);
        start(s, TOKEN, name, cookies[i]);
        clock_ms += 1;
    }
    assert_int_equal(sl_console_session_count(s), SL_CONSOLE_SESSIONS_MAX);
    /* the oldest is used again: the second oldest is now the least recent */
    assert_int_equal(sl_console_session_find(s, cookies[0], &x), 1);
    start(s, TOKEN, "new", cookies[SL_CONSOLE_SESSIONS_MAX]);
    assert_int_equal(sl_console_session_count(s), SL_CONSOLE_SESSIONS_MAX);
    assert_int_equal(sl_console_session_find(s, cookies[1], &x), 0);
    assert_int_equal(sl_console_session_find(s, cookies[0], &x), 1);
    assert_int_equal(sl_console_session_find(s, cookies[2], &x), 1);
    assert_int_equal(sl_console_session_find(s, cookies[SL_CONSOLE_SESSIONS_MAX], &x), 1);
    assert_string_equal(x.name, "new");
    sl_console_sessions_free(s);
}

static void test_limits_and_secret_comparison(void **state)
{
    sl_console_sessions *s = sessions();
    char cookie[SL_CONSOLE_COOKIE_VALUE_MAX], big[SL_TOKEN_SECRET_MAX + 2];
    sl_error err = {0};
    (void)state;
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(sl_console_session_create(s, big, strlen(big), "n", cookie, &err), SL_EINVAL);
    assert_string_equal(err.message, "the token is too long for a session");
    assert_string_equal(cookie, "");
    assert_int_equal(sl_console_session_count(s), 0);
    assert_int_equal(sl_console_secret_equal("abc", "abc", 8), 1);
    assert_int_equal(sl_console_secret_equal("abc", "abd", 8), 0);
    assert_int_equal(sl_console_secret_equal("abc", "abcd", 8), 0);
    assert_int_equal(sl_console_secret_equal("", "", 8), 1);
    assert_int_equal(sl_console_secret_equal("abcdefghi", "abcdefghi", 8), 0);   /* over n */
    sl_console_sessions_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_session_gives_back_its_token),
        cmocka_unit_test(test_malformed_and_unknown_cookies),
        cmocka_unit_test(test_eight_hours_idle_end_a_session),
        cmocka_unit_test(test_sign_out_ends_only_that_session),
        cmocka_unit_test(test_a_full_table_drops_the_least_recently_used),
        cmocka_unit_test(test_limits_and_secret_comparison),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
