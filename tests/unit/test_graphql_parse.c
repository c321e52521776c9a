/*
 * test_graphql_parse.c - the GraphQL engine's lexer and parser seen from
 * outside: every construct of executable documents parses and means what
 * it says, syntax errors carry graphql-ruby's words and positions, and
 * every limit refuses with its message instead of working harder.
 */
#include "testutil.h"
#include "graphql_toy.h"

#include <time.h>

#define schema toy_test_schema

/* The response to a document of len bytes (may hold NUL bytes). */
static char *run_len(const char *q, size_t len)
{
    json_t *resp = NULL;
    char *out;
    toy_ctx ctx = {0};
    toy_clock_ctx = &ctx;
    assert_int_not_equal(sl_gql_run(schema, q, len, NULL, NULL, &ctx, NULL, &resp, NULL), SL_ENOMEM);
    out = json_dumps(resp, JSON_COMPACT);
    json_decref(resp);
    return out;
}

static void expect(const char *query, const char *vars, const char *want)
{
    char *got = toy_run(schema, query, vars);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

/* The one error of a refused document: message and position. */
static void expect_error(const char *query, const char *message, int line, int col)
{
    char want[2048];
    if (line)
        snprintf(want, sizeof want, "{\"errors\":[{\"message\":\"%s\",\"locations\":[{\"line\":%d,\"column\":%d}]}]}",
                 message, line, col);
    else
        snprintf(want, sizeof want, "{\"errors\":[{\"message\":\"%s\"}]}", message);
    expect(query, NULL, want);
}

static double ms_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (t1.tv_sec - t0->tv_sec) * 1e3 + (t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* ---- constructs ------------------------------------------------------------ */

static void test_operations(void **state)
{
    (void)state;
    expect("{ greeting }", NULL, "{\"data\":{\"greeting\":\"Hello, world!\"}}");
    expect("query { greeting }", NULL, "{\"data\":{\"greeting\":\"Hello, world!\"}}");
    expect("query Named { greeting }", NULL, "{\"data\":{\"greeting\":\"Hello, world!\"}}");
    expect("mutation { counter }", NULL, "{\"data\":{\"counter\":1}}");
    /* parsed, but this schema has no subscription type */
    expect("subscription S { greeting }", NULL,
           "{\"errors\":[{\"message\":\"Schema is not configured for subscriptions\","
           "\"locations\":[{\"line\":1,\"column\":1}],\"path\":[\"subscription S\"]}]}");
    /* keywords are names where names are wanted */
    expect("{ query: greeting fragment: greeting on: greeting true: greeting }", NULL,
           "{\"data\":{\"query\":\"Hello, world!\",\"fragment\":\"Hello, world!\",\"on\":\"Hello, world!\","
           "\"true\":\"Hello, world!\"}}");
    /* ignored tokens: BOM, commas, comments, CRLF */
    expect("\xEF\xBB\xBF{,,greeting # a comment\r\n,}", NULL, "{\"data\":{\"greeting\":\"Hello, world!\"}}");
}

static void test_variables_syntax(void **state)
{
    (void)state;
    expect("query Q($a: Int = 3, $b: [Int!]! = [1, 2], $c: [[Int]] = [[1], null], $d: BookFilter = "
           "{genre: POETRY, author: {name: \"x\"}}) { echo(value: $a, values: $b, matrix: $c, filter: $d) }",
           NULL,
           "{\"data\":{\"echo\":\"{\\\"value\\\":3,\\\"values\\\":[1,2],\\\"filter\\\":{\\\"genre\\\":"
           "\\\"POETRY\\\",\\\"minYear\\\":1900,\\\"author\\\":{\\\"name\\\":\\\"x\\\"}},\\\"nonNull\\\":7,"
           "\\\"matrix\\\":[[1],null]}\"}}");
    /* variables inside lists and objects */
    expect("query($v: Int, $g: Genre) { echo(values: [1, $v], filter: {genre: $g}) }", "{\"v\": 5, \"g\": \"HISTORY\"}",
           "{\"data\":{\"echo\":\"{\\\"values\\\":[1,5],\\\"filter\\\":{\\\"genre\\\":\\\"HISTORY\\\","
           "\\\"minYear\\\":1900},\\\"nonNull\\\":7}\"}}");
}

static void test_selections(void **state)
{
    (void)state;
    expect("{ b: book(id: \"b2\") { t: title ... on Book { year } ... @include(if: true) { genre } ...F } }"
           " fragment F on Book { id }", NULL,
           "{\"data\":{\"b\":{\"t\":\"Ficciones\",\"year\":1944,\"genre\":\"FICTION\",\"id\":\"b2\"}}}");
}

static void test_values(void **state)
{
    (void)state;
    expect("{ echo(value: -12, f: -0.5e-0, flag: false, id: 7, genre: SCIENCE, s: null) }", NULL,
           "{\"data\":{\"echo\":\"{\\\"value\\\":-12,\\\"flag\\\":false,\\\"f\\\":-0.5,"
           "\\\"id\\\":\\\"7\\\",\\\"genre\\\":\\\"SCIENCE\\\",\\\"nonNull\\\":7,\\\"s\\\":null}\"}}");
    expect("{ echo(f: 1E3, value: 0) }", NULL,
           "{\"data\":{\"echo\":\"{\\\"value\\\":0,\\\"f\\\":1000.0,\\\"nonNull\\\":7}\"}}");
}

/* Strings through a resolver that echoes them back as JSON. */
static void expect_literal(const char *literal, const char *json_value)
{
    char q[512], want[512];
    snprintf(q, sizeof q, "{ echo(s: %s) }", literal);
    snprintf(want, sizeof want, "{\"data\":{\"echo\":\"{\\\"nonNull\\\":7,\\\"s\\\":%s}\"}}", json_value);
    expect(q, NULL, want);
}

static void test_strings(void **state)
{
    (void)state;
    expect_literal("\"plain\"", "\\\"plain\\\"");
    expect_literal("\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t\"", "\\\"q\\\\\\\" b\\\\\\\\ s/ \\\\b\\\\f\\\\n\\\\r\\\\t\\\"");
    /* \u escapes: BMP, a surrogate pair, the braced form */
    expect_literal("\"\\u00e9\\uD83D\\uDE00\\u{1F600}\"", "\\\"\xC3\xA9\xF0\x9F\x98\x80\xF0\x9F\x98\x80\\\"");
    /* raw UTF-8 passes */
    expect_literal("\"\xE2\x82\xAC\"", "\\\"\xE2\x82\xAC\\\"");
    /* block strings: indentation and blank edge lines removed, \"\"\" escaped */
    expect_literal("\"\"\"\n    first\n      second\n    \\\"\"\"\n\n  \"\"\"", "\\\"first\\\\n  second\\\\n\\\\\\\"\\\\\\\"\\\\\\\"\\\"");
    expect_literal("\"\"\"  one line  \"\"\"", "\\\"  one line  \\\"");
    expect_literal("\"\"\"\"\"\"", "\\\"\\\"");
}

/* ---- syntax errors --------------------------------------------------------------- */

static void test_syntax_errors(void **state)
{
    (void)state;
    expect_error("{ }", "Expected NAME, actual: RCURLY (\\\"}\\\") at [1, 3]", 1, 3);
    expect_error("{ book(id: \"b1\") { title }", "Expected NAME, not end of file at [1, 27]", 1, 27);
    expect_error("", "Unexpected end of document", 0, 0);
    expect_error("  # nothing\n", "Unexpected end of document", 0, 0);
    expect_error("{ a(b: ) }", "Expected VALUE, actual: RPAREN (\\\")\\\") at [1, 8]", 1, 8);
    expect_error("{ a() }", "Expected ARGUMENT_NAME, actual: RPAREN (\\\")\\\") at [1, 5]", 1, 5);
    expect_error("{ a(b 1) }", "Expected COLON, actual: INT (\\\"1\\\") at [1, 7]", 1, 7);
    expect_error("query($v Int) { a }", "Expected COLON, actual: IDENTIFIER (\\\"Int\\\") at [1, 10]", 1, 10);
    expect_error("query() { a }", "Expected VAR_SIGN, actual: RPAREN (\\\")\\\") at [1, 7]", 1, 7);
    expect_error("{ a % }", "Expected NAME, actual: UNKNOWN_CHAR (\\\"%\\\") at [1, 5]", 1, 5);
    expect_error("{\n  a\n  .b }", "Expected NAME, actual: UNKNOWN_CHAR (\\\".\\\") at [3, 3]", 3, 3);
    expect_error("fragment on on Book { a }", "Expected NAME, actual: ON (\\\"on\\\") at [1, 10]", 1, 10);
    expect_error("fragment F Book { a }", "Expected ON, actual: IDENTIFIER (\\\"Book\\\") at [1, 12]", 1, 12);
    expect_error("{ a(s: \"x\" }", "Expected NAME, actual: RCURLY (\\\"}\\\") at [1, 12]", 1, 12);
    expect_error("{ a(s: $) }", "Expected NAME, actual: RPAREN (\\\")\\\") at [1, 9]", 1, 9);
    expect_error("query($v: Int = $w) { a }", "Expected VALUE, actual: VAR_SIGN (\\\"$\\\") at [1, 17]", 1, 17);
    expect_error("foo { a }",
                 "Expected one of QUERY, MUTATION, SUBSCRIPTION, FRAGMENT, LCURLY, actual: IDENTIFIER "
                 "(\\\"foo\\\") at [1, 1]", 1, 1);
    expect_error("{ a } type Foo { a: Int }", "Query cannot contain schema definitions", 1, 7);
    /* a string token is shown decoded, as Ruby's inspect shows it */
    expect_error("{ a \"t\\n\\u0041\" }", "Expected NAME, actual: STRING (\\\"t\\\\nA\\\") at [1, 5]", 1, 5);
}

static void test_lexical_errors(void **state)
{
    (void)state;
    expect_error("{ a(s: \"abc) }", "Unterminated string at [1, 8]", 1, 8);
    expect_error("{ a(s: \"ab\nc\") }", "Unterminated string at [1, 8]", 1, 8);
    expect_error("{ a(s: \"\"\"abc) }", "Unterminated string at [1, 8]", 1, 8);
    expect_error("{ a(s: \"\\q\") }", "Bad escape sequence at [1, 9]", 1, 9);
    expect_error("{ a(s: \"\\uD800\") }", "Bad unicode escape at [1, 9]", 1, 9);
    expect_error("{ a(s: \"\\uDE00\") }", "Bad unicode escape at [1, 9]", 1, 9);
    expect_error("{ a(s: \"\\u12\") }", "Bad unicode escape at [1, 9]", 1, 9);
    expect_error("{ a(s: \"\\u0000\") }", "Bad unicode escape at [1, 9]", 1, 9);
    expect_error("{ a(s: \"\\u{110000}\") }", "Bad unicode escape at [1, 9]", 1, 9);
    expect_error("{ a(n: 01) }", "Invalid number, unexpected digit after 0 at [1, 8]", 1, 8);
    expect_error("{ a(n: 1.) }", "Invalid number, expected digit after . at [1, 8]", 1, 8);
    expect_error("{ a(n: 1e) }", "Invalid number, expected digit in exponent at [1, 8]", 1, 8);
    expect_error("{ a(n: 12a) }", "Invalid number at [1, 8]", 1, 8);
    expect_error("{ a(n: 1.5.2) }", "Invalid number at [1, 8]", 1, 8);
    expect_error("{ a(n: -x) }", "Invalid number at [1, 8]", 1, 8);
}

/* ---- encoding ------------------------------------------------------------------------- */

static void test_encoding(void **state)
{
    static const struct {
        const char *doc;
        size_t len;
        const char *want;
    } cases[] = {
        {"{ a\0 }", 6, "{\"errors\":[{\"message\":\"Unexpected NUL byte at [1, 4]\",\"locations\":[{\"line\":1,\"column\":4}]}]}"},
        {"{ a(s: \"\0\") }", 13, "{\"errors\":[{\"message\":\"Unexpected NUL byte at [1, 9]\",\"locations\":[{\"line\":1,\"column\":9}]}]}"},
        {"{ \xC3\xA9 \xFF }", 8, "{\"errors\":[{\"message\":\"Invalid UTF-8 byte sequence at [1, 5]\",\"locations\":[{\"line\":1,\"column\":5}]}]}"},
        /* overlong '/', a UTF-16 surrogate, past U+10FFFF, truncated */
        {"{ \xC0\xAF }", 6, "{\"errors\":[{\"message\":\"Invalid UTF-8 byte sequence at [1, 3]\",\"locations\":[{\"line\":1,\"column\":3}]}]}"},
        {"{ \xED\xA0\x80 }", 7, "{\"errors\":[{\"message\":\"Invalid UTF-8 byte sequence at [1, 3]\",\"locations\":[{\"line\":1,\"column\":3}]}]}"},
        {"{ \xF4\x90\x80\x80 }", 8, "{\"errors\":[{\"message\":\"Invalid UTF-8 byte sequence at [1, 3]\",\"locations\":[{\"line\":1,\"column\":3}]}]}"},
        {"{ a \xE2\x82", 7, "{\"errors\":[{\"message\":\"Invalid UTF-8 byte sequence at [1, 5]\",\"locations\":[{\"line\":1,\"column\":5}]}]}"},
        /* columns count characters: the euro sign is one */
        {"{ \xE2\x82\xAC }", 7, "{\"errors\":[{\"message\":\"Expected NAME, actual: UNKNOWN_CHAR (\\\"\xE2\x82\xAC\\\") at [1, 3]\",\"locations\":[{\"line\":1,\"column\":3}]}]}"},
        {"# \xE2\x82\xAC\xE2\x82\xAC\n  %", 12, "{\"errors\":[{\"message\":\"Expected one of QUERY, MUTATION, SUBSCRIPTION, FRAGMENT, LCURLY, actual: UNKNOWN_CHAR (\\\"%\\\") at [2, 3]\",\"locations\":[{\"line\":2,\"column\":3}]}]}"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = run_len(cases[i].doc, cases[i].len);
        assert_string_equal(got, cases[i].want);
        free(got);
    }
}

/* ---- limits ------------------------------------------------------------------------------ */

/* "{ greeting }" padded with a comment to exactly n characters, the
 * padding made of `pad` (one character, maybe several bytes). */
static char *padded(size_t n, const char *pad)
{
    size_t plen = strlen(pad), len = 0;
    char *q = malloc(n * plen + 16);
    assert_non_null(q);
    len += (size_t)sprintf(q, "{ greeting }#");
    for (size_t i = 13; i < n; i++) {
        memcpy(q + len, pad, plen);
        len += plen;
    }
    q[len] = '\0';
    return q;
}

static void test_limit_text(void **state)
{
    sl_gql_query *q = NULL;
    char *doc = padded(SL_GQL_TEXT_MAX, "x"), *got;
    (void)state;
    expect(doc, NULL, "{\"data\":{\"greeting\":\"Hello, world!\"}}");
    free(doc);
    /* characters, not bytes: 10,000 two-byte characters pass */
    doc = padded(SL_GQL_TEXT_MAX, "\xC3\xA9");
    expect(doc, NULL, "{\"data\":{\"greeting\":\"Hello, world!\"}}");
    free(doc);
    doc = padded(SL_GQL_TEXT_MAX + 1, "x");
    assert_int_equal(sl_gql_query_new(schema, doc, strlen(doc), NULL, NULL, &q, NULL), SL_ETOOBIG);
    sl_gql_query_free(q);
    got = toy_run(schema, doc, NULL);
    assert_string_equal(got, "{\"errors\":[{\"message\":\"Query too large\"}]}");
    free(got);
    free(doc);
    /* a megabyte is refused as fast as anything */
    doc = malloc(1024 * 1024 + 1);
    assert_non_null(doc);
    memset(doc, '{', 1024 * 1024);
    doc[1024 * 1024] = '\0';
    assert_int_equal(sl_gql_query_new(schema, doc, strlen(doc), NULL, NULL, &q, NULL), SL_ETOOBIG);
    assert_int_equal(sl_gql_query_op(q), SL_GQL_OP_NONE);
    sl_gql_query_free(q);
    free(doc);
}

/* n fragments, each spreading the next. */
static char *fragment_chain(int n)
{
    char *q = malloc((size_t)n * 64 + 32), *p = q;
    assert_non_null(q);
    p += sprintf(p, "{ ...F0 }\n");
    for (int i = 0; i < n; i++) {
        if (i + 1 < n)
            p += sprintf(p, "fragment F%d on Query { greeting ...F%d }\n", i, i + 1);
        else
            p += sprintf(p, "fragment F%d on Query { greeting }\n", i);
    }
    return q;
}

/* "{ name }" and the braces that close 30 "{ books { author " and one
 * "{ authors " (62 levels deep in all). */
static const char *repeat_close(void)
{
    static char tail[256];
    char *p = tail;
    p += sprintf(p, "{ name }");
    for (int i = 0; i < 61; i++)
        *p++ = '}';
    *p = '\0';
    return tail;
}

static void expect_limit(char *doc, const char *message)
{
    char *got = toy_run(schema, doc, NULL);
    json_t *resp = json_loads(got, 0, NULL);
    const char *m = json_string_value(json_object_get(json_array_get(json_object_get(resp, "errors"), 0), "message"));
    assert_non_null(m);
    if (strncmp(m, message, strlen(message)) != 0)
        fail_msg("got \"%s\", want \"%s...\"", m, message);
    json_decref(resp);
    free(got);
    free(doc);
}

/* Parsed and validated (not run: the toy data fans out). */
static void expect_parses(char *doc)
{
    sl_gql_query *q = NULL;
    if (sl_gql_query_new(schema, doc, strlen(doc), NULL, NULL, &q, NULL) != SL_OK)
        fail_msg("refused: %s", json_dumps(sl_gql_query_errors(q), JSON_COMPACT));
    sl_gql_query_free(q);
    free(doc);
}

static void expect_ok(char *doc)
{
    char *got = toy_run(schema, doc, NULL);
    if (strncmp(got, "{\"data\":", 8) != 0)
        fail_msg("refused: %.300s", got);
    free(got);
    free(doc);
}

static void test_limits(void **state)
{
    (void)state;
    /* tokens */
    expect_limit(tu_repeat("{", " a", 4999, "}"), "This query is too large to execute.");
    /* nesting: selection sets, list values, list types */
    expect_parses(tu_repeat("{ authors ", "{ books { author ", 30, repeat_close()));
    expect_limit(tu_repeat("", "{a", 65, ""), "Query is nested too deeply (more than 64 levels) at [1, 129]");
    expect_limit(tu_repeat("{ echo(matrix: ", "[", 70, "") , "Query is nested too deeply (more than 64 levels)");
    expect_limit(tu_repeat("query($v: ", "[", 70, "") , "Query is nested too deeply (more than 64 levels)");
    /* aliases */
    expect_ok(tu_repeat("{", " g%d: greeting", 200, "}"));
    expect_limit(tu_repeat("{", " g%d: greeting", 201, "}"), "Too many aliases (more than 200) at [1, ");
    /* fragments */
    expect_ok(fragment_chain(100));
    expect_limit(tu_repeat("{ greeting } ", "fragment F%d on Query { greeting } ", 101, ""),
                 "Too many fragments (more than 100) at [1, ");
    /* operations */
    expect_limit(tu_repeat("", "query Q%d { greeting } ", 101, ""), "Too many operations (more than 100) at [1, ");
    /* variables */
    expect_limit(tu_repeat("query(", "$v%d: Int ", 101, ") { greeting }"), "Too many variables (more than 100) at [1, ");
    /* directives at one location */
    expect_ok(tu_repeat("{ greeting", " @include(if: true)", 1, " }"));
    expect_limit(tu_repeat("{ greeting", " @skip(if: false)", 11, " }"),
                 "Too many directives at one location (more than 10) at [1, ");
    /* arguments of a field, fields of an input object */
    expect_limit(tu_repeat("{ echo(", "a%d: 1 ", 51, ") }"), "Too many arguments (more than 50) at [1, ");
    expect_limit(tu_repeat("{ echo(filter: {", "a%d: 1 ", 51, "}) }"), "Too many input object fields (more than 50) at [1, ");
    /* string and number literals */
    expect_ok(tu_repeat("{ echo(s: \"", "x", 4096, "\") }"));
    expect_limit(tu_repeat("{ echo(s: \"", "x", 4097, "\") }"), "String too long at [1, 11]");
    expect_limit(tu_repeat("{ echo(s: \"\"\"", "x", 4097, "\"\"\") }"), "String too long at [1, 11]");
    expect_limit(tu_repeat("{ echo(f: 1", "0", 64, ") }"), "Number too long at [1, 11]");
    /* fragments that spread each other twice over: refused by size */
    expect_limit(tu_repeat("{ ...F0 } ", "fragment F%d on Query { ...Fx greeting } ", 0,
                        "fragment F0 on Query { ...F1 ...F1 } fragment F1 on Query { ...F2 ...F2 }"
                        " fragment F2 on Query { ...F3 ...F3 } fragment F3 on Query { ...F4 ...F4 }"
                        " fragment F4 on Query { ...F5 ...F5 } fragment F5 on Query { ...F6 ...F6 }"
                        " fragment F6 on Query { ...F7 ...F7 } fragment F7 on Query { ...F8 ...F8 }"
                        " fragment F8 on Query { ...F9 ...F9 } fragment F9 on Query { ...F10 ...F10 }"
                        " fragment F10 on Query { ...F11 ...F11 } fragment F11 on Query { ...F12 ...F12 }"
                        " fragment F12 on Query { ...F13 ...F13 } fragment F13 on Query { ...F14 ...F14 }"
                        " fragment F14 on Query { a: greeting b: greeting }"),
                 "This query is too large to execute.");
}

/* Hostile documents of the largest size: each refused well within a few
 * milliseconds (50 ms leaves room for a loaded CI machine; the bench
 * measures the real figure). */
static void test_hostile_is_fast(void **state)
{
    char *docs[5];
    int n = 0;
    (void)state;
    docs[n++] = tu_repeat("", "{a", 4999, "");
    docs[n++] = tu_repeat("{", " a", 4999, "}");
    docs[n++] = tu_repeat("{ ...F0 } ", "fragment F%d on Query { ...F1 ...F1 greeting }\n", 99, "");
    docs[n++] = tu_repeat("{", " x: echo(value: 1, values: [1, 2, 3])", 260, "}");
    docs[n++] = tu_repeat("{ echo(matrix: ", "[[[[[[[[[[", 999, "");
    for (int i = 0; i < n; i++) {
        struct timespec t0;
        sl_gql_query *q = NULL;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        sl_gql_query_new(schema, docs[i], strlen(docs[i]), NULL, NULL, &q, NULL);
        if (ms_since(&t0) > 50)
            fail_msg("document %d took %.1f ms", i, ms_since(&t0));
        sl_gql_query_free(q);
        free(docs[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_operations),
        cmocka_unit_test(test_variables_syntax),
        cmocka_unit_test(test_selections),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_lexical_errors),
        cmocka_unit_test(test_encoding),
        cmocka_unit_test(test_limit_text),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_hostile_is_fast),
    };
    return cmocka_run_group_tests(tests, toy_setup, toy_teardown);
}
