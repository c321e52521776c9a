/*
 * test_graphql_analysis.c - what a query costs before it runs and the
 * limits GitLab applies: depth counted like graphql-ruby's max_depth,
 * complexity with per-field metadata (connections, search and sort
 * surcharges, a hook), GitLab's recursion check with its exact message,
 * the messages of the limits, batches, and that a refused query runs
 * nothing.
 */
#include "testutil.h"
#include "graphql_toy.h"

#define schema toy_test_schema

static sl_gql_query *prepare(const sl_gql_schema *s, const char *text, const char *vars_json)
{
    sl_gql_query *q = NULL;
    json_t *vars = vars_json ? json_loads(vars_json, 0, NULL) : NULL;
    sl_rc rc = sl_gql_query_new(s, text, strlen(text), NULL, vars, &q, NULL);
    json_decref(vars);
    if (rc != SL_OK)
        fail_msg("refused: %s", json_dumps(sl_gql_query_errors(q), JSON_COMPACT));
    return q;
}

static void expect_figures(const char *text, const char *vars, int depth, long complexity)
{
    sl_gql_query *q = prepare(schema, text, vars);
    if (sl_gql_query_depth(q) != depth || sl_gql_query_complexity(q) != complexity)
        fail_msg("%s: depth %d complexity %ld, want %d and %ld", text, sl_gql_query_depth(q),
                 sl_gql_query_complexity(q), depth, complexity);
    sl_gql_query_free(q);
}

static void test_complexity(void **state)
{
    (void)state;
    expect_figures("{ greeting }", NULL, 1, 1);
    expect_figures("{ __typename }", NULL, 1, 1);
    expect_figures("{ book(id: \"b1\") { id title } }", NULL, 2, 3);
    /* a connection with a page multiplier: 4 x 1.1 = 4.4 counts 4, without first 4 x 2 */
    expect_figures("{ books(first: 10) { nodes { id title } } }", NULL, 3, 4);
    expect_figures("{ books { nodes { id title } } }", NULL, 3, 8);
    expect_figures("query($n: Int) { books(first: $n) { nodes { id title } } }", "{\"n\": 10}", 3, 4);
    expect_figures("query($n: Int) { books(first: $n) { nodes { id title } } }", "{}", 3, 8);
    expect_figures("{ books(first: 500, last: 50) { count } }", NULL, 2, 3);
    expect_figures("{ books(first: 0, sort: TITLE_ASC) { count } }", NULL, 2, 3);
    /* search adds 5 when given and not null, sort 1 */
    expect_figures("{ books(search: \"x\") { count } }", NULL, 2, 14);
    expect_figures("{ books(search: null, sort: TITLE_DESC) { count } }", NULL, 2, 6);
    /* a response key selected twice counts once, its selections merged */
    expect_figures("{ greeting greeting }", NULL, 1, 1);
    expect_figures("{ a: greeting b: greeting }", NULL, 1, 2);
    expect_figures("{ book(id: \"b1\") { title } book(id: \"b1\") { title year } }", NULL, 2, 3);
    expect_figures("{ ...F book(id: \"b1\") { title } } fragment F on Query { book(id: \"b1\") { year } }", NULL, 2, 3);
    /* skipped selections count nothing */
    expect_figures("query($s: Boolean!) { greeting @skip(if: $s) a: greeting book(id: \"b1\") @include(if: $s) { id } }",
                   "{\"s\": true}", 2, 3);
    /* nested connections multiply at their own level */
    expect_figures("{ book(id: \"b1\") { reviews(first: 10) { nodes { stars } } } }", NULL, 4, 4);
    expect_figures("{ book(id: \"b1\") { reviews { nodes { stars } } } }", NULL, 4, 7);
}

static void test_depth(void **state)
{
    (void)state;
    expect_figures("{ book(id: \"b1\") { author { name } } }", NULL, 3, 3);
    /* fragments and inline fragments add no level; __typename is a field */
    expect_figures("{ ... on Query { ...F } } fragment F on Query { book(id: \"b1\") { ... { __typename } } }", NULL, 2, 2);
    expect_figures("query($s: Boolean = true) { book(id: \"b1\") { author @skip(if: $s) { name } } }", NULL, 1, 1);
}

static char *run_limited(const char *text, const sl_gql_limits *lim, toy_ctx *ctx)
{
    char *got = toy_run_limits(schema, text, NULL, lim, ctx);
    assert_non_null(got);
    return got;
}

static void test_limit_messages(void **state)
{
    sl_gql_limits lim = {0};
    toy_ctx ctx = {0};
    char *got;
    (void)state;
    lim.max_depth = 2;
    got = run_limited("{ book(id: \"b1\") { author { name } } }", &lim, &ctx);
    assert_string_equal(got, "{\"errors\":[{\"message\":\"Query has depth of 3, which exceeds max depth of 2\"}]}");
    free(got);
    lim.max_depth = 0;
    lim.max_complexity = 5;
    got = run_limited("{ books { nodes { id title } } }", &lim, &ctx);
    assert_string_equal(got, "{\"errors\":[{\"message\":\"Query has complexity of 8, which exceeds max complexity of 5\"}]}");
    free(got);
    /* at the limit is fine, and the figures are the request's own */
    lim.max_complexity = 3;
    got = run_limited("{ complexity { score limit } }", &lim, &ctx);
    assert_string_equal(got, "{\"data\":{\"complexity\":{\"score\":3,\"limit\":3}}}");
    free(got);
    /* nothing ran for the refused ones */
    assert_int_equal(ctx.resolver_calls, 1);
}

static void test_recursion(void **state)
{
    sl_gql_limits lim = {0};
    toy_ctx ctx = {0};
    char *got;
    (void)state;
    lim.recursion_max = 2;
    /* twice on a branch is fine */
    got = run_limited("{ allBooks { author { books { author { name } } } } }", &lim, &ctx);
    assert_string_equal(got, "{\"data\":{\"allBooks\":[{\"author\":{\"books\":[{\"author\":{\"name\":\"Ada Lovelace\"}}]}},"
                             "{\"author\":{\"books\":[{\"author\":{\"name\":\"Jorge Luis Borges\"}},{\"author\":{\"name\":"
                             "\"Jorge Luis Borges\"}}]}},{\"author\":{\"books\":[{\"author\":{\"name\":\"Emily Dickinson\"}}]}},"
                             "{\"author\":{\"books\":[{\"author\":{\"name\":\"Jorge Luis Borges\"}},{\"author\":{\"name\":"
                             "\"Jorge Luis Borges\"}}]}}]}}");
    free(got);
    assert_int_equal(ctx.handles_alive, 0);
    ctx.resolver_calls = 0;
    got = run_limited("{ allBooks { author { books { author { books { author { name } } } } } } }", &lim, &ctx);
    assert_string_equal(got, "{\"errors\":[{\"message\":\"Recursive query - too many of fields '{\\\"author\\\"=>3}' "
                             "detected\\nin single branch of the query\\\")\"}]}");
    free(got);
    got = run_limited("{ allBooks { author { books { author { books { author { books { id } } } } } } } }", &lim, &ctx);
    assert_string_equal(got, "{\"errors\":[{\"message\":\"Recursive query - too many of fields '{\\\"author\\\"=>3, "
                             "\\\"books\\\"=>3}' detected\\nin single branch of the query\\\")\"}]}");
    free(got);
    /* leaves, and node, edges, nodes and ofType, are not counted; branches are counted apart */
    got = run_limited("{ books { nodes { author { books { reviews { nodes { stars } } } } } } "
                      "b: books { nodes { id } } c: books { nodes { id } } }", &lim, &ctx);
    assert_int_equal(strncmp(got, "{\"data\":", 8), 0);
    free(got);
    /* through fragments */
    got = run_limited("{ ...F } fragment F on Query { allBooks { author { books { author { books { ...G } } } } } } "
                      "fragment G on Book { author { name } }", &lim, &ctx);
    assert_string_equal(got, "{\"errors\":[{\"message\":\"Recursive query - too many of fields '{\\\"author\\\"=>3}' "
                             "detected\\nin single branch of the query\\\")\"}]}");
    free(got);
    /* only the three root fields of the one query that passed ran */
    assert_int_equal(ctx.resolver_calls, 3);
}

/* All limits that a query breaks are reported, recursion first. */
static void test_all_reported(void **state)
{
    sl_gql_limits lim = {2, 3, 2, 0, NULL};
    char *got = run_limited("{ allBooks { author { books { author { books { author { name } } } } } } }", &lim, NULL);
    (void)state;
    assert_string_equal(got, "{\"errors\":[{\"message\":\"Recursive query - too many of fields '{\\\"author\\\"=>3}' "
                             "detected\\nin single branch of the query\\\")\"},{\"message\":\"Query has depth of 7, which "
                             "exceeds max depth of 2\"},{\"message\":\"Query has complexity of 7, which exceeds max complexity "
                             "of 3\"}]}");
    free(got);
}

/* A batch: the caller sums complexity and refuses every query. */
static void test_batch(void **state)
{
    sl_gql_limits lim = {0};
    sl_gql_query *a = prepare(schema, "{ books { nodes { id title } } }", NULL);
    sl_gql_query *b = prepare(schema, "{ book(id: \"b1\") { id title } }", NULL);
    long sum = sl_gql_query_complexity(a) + sl_gql_query_complexity(b);
    json_t *resp = NULL;
    char *got;
    (void)state;
    lim.max_complexity = 10;
    assert_int_equal(sum, 11);
    assert_int_equal(sl_gql_query_check(a, &lim, -1), SL_OK);
    assert_int_equal(sl_gql_query_check(a, &lim, sum), SL_EINVAL);
    assert_int_equal(sl_gql_query_check(b, &lim, sum), SL_EINVAL);
    assert_true(sl_gql_query_refused(a) && sl_gql_query_refused(b));
    assert_int_equal(sl_gql_query_execute(b, NULL, &lim, &resp, NULL), SL_OK);
    got = json_dumps(resp, JSON_COMPACT);
    assert_string_equal(got, "{\"errors\":[{\"message\":\"Query has complexity of 11, which exceeds max complexity of 10\"}]}");
    free(got);
    json_decref(resp);
    /* the caller's own refusal (a batch's text size) */
    assert_int_equal(sl_gql_query_refuse(a, SL_GQL_MSG_TOO_LARGE), SL_OK);
    assert_int_equal(json_array_size(sl_gql_query_errors(a)), 2);
    sl_gql_query_free(a);
    sl_gql_query_free(b);
}

/* What the server needs for its GET rule. */
static void test_operation_kind(void **state)
{
    static const struct {
        const char *text;
        sl_gql_op op;
    } cases[] = {
        {"{ greeting }", SL_GQL_OP_QUERY},
        {"mutation { counter }", SL_GQL_OP_MUTATION},
        {"{ greeting", SL_GQL_OP_NONE},
        /* refused by validation, yet of a known kind: a GET of an invalid
         * query answers its validation errors, not "Mutations are forbidden" */
        {"{ zzz }", SL_GQL_OP_QUERY},
        {"mutation { zzz }", SL_GQL_OP_MUTATION},
        {"query A { greeting } mutation B { counter }", SL_GQL_OP_NONE},
        {"{ greeting } { greeting }", SL_GQL_OP_NONE},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sl_gql_query *q = NULL;
        sl_gql_query_new(schema, cases[i].text, strlen(cases[i].text), NULL, NULL, &q, NULL);
        assert_non_null(q);
        assert_int_equal(sl_gql_query_op(q), cases[i].op);
        sl_gql_query_free(q);
    }
}

/* The selected operation's name (the server's introspection allowance). */
static void test_operation_name(void **state)
{
    static const char doc[] = "query A { greeting } query IntrospectionQuery { __typename }";
    sl_gql_query *q = NULL;
    (void)state;
    sl_gql_query_new(schema, doc, strlen(doc), "IntrospectionQuery", NULL, &q, NULL);
    assert_string_equal(sl_gql_query_operation_name(q), "IntrospectionQuery");
    sl_gql_query_free(q);
    sl_gql_query_new(schema, "{ greeting }", 12, NULL, NULL, &q, NULL);
    assert_null(sl_gql_query_operation_name(q));
    sl_gql_query_free(q);
    sl_gql_query_new(schema, doc, strlen(doc), NULL, NULL, &q, NULL);
    assert_null(sl_gql_query_operation_name(q));
    sl_gql_query_free(q);
    assert_null(sl_gql_query_operation_name(NULL));
}

/* graphql-ruby's count_introspection_fields: false */
static void test_introspection_uncounted(void **state)
{
    sl_gql_schema *s = toy_schema();
    const char *q = "{ __typename greeting __schema { types { name fields { name } } } book(id: \"b1\") { __typename } }";
    sl_gql_query *a;
    (void)state;
    a = prepare(s, q, NULL);
    assert_int_equal(sl_gql_query_complexity(a), 9);
    assert_int_equal(sl_gql_query_depth(a), 4);
    sl_gql_query_free(a);
    sl_gql_schema_count_introspection(s, 0);
    a = prepare(s, q, NULL);
    assert_int_equal(sl_gql_query_complexity(a), 2);
    assert_int_equal(sl_gql_query_depth(a), 1);
    sl_gql_query_free(a);
    sl_gql_schema_free(s);
}

static long flat_cost(const sl_gql_cost_call *c, void *ud)
{
    (void)ud;
    /* the hook sees the standard figure and the arguments */
    return c->standard * 10 + (json_object_get(c->args, "first") ? 1 : 0);
}

static void test_cost_hook(void **state)
{
    sl_gql_schema *s = toy_schema();
    sl_gql_query *q;
    (void)state;
    assert_int_equal(sl_gql_schema_cost_fn(s, "Query.books", flat_cost, NULL, NULL), SL_OK);
    q = prepare(s, "{ books(first: 10) { count } }", NULL);
    assert_int_equal(sl_gql_query_complexity(q), 21);
    sl_gql_query_free(q);
    assert_int_equal(sl_gql_schema_cost_fn(s, "Query.nope", flat_cost, NULL, NULL), SL_ENOTFOUND);
    assert_int_equal(sl_gql_schema_cost_arg(s, "Query.books", "nope", 1, NULL), SL_ENOTFOUND);
    assert_int_equal(sl_gql_schema_cost_page(s, "Query.books", 0, NULL), SL_EUSAGE);
    sl_gql_schema_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_complexity),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_limit_messages),
        cmocka_unit_test(test_recursion),
        cmocka_unit_test(test_all_reported),
        cmocka_unit_test(test_batch),
        cmocka_unit_test(test_operation_kind),
        cmocka_unit_test(test_operation_name),
        cmocka_unit_test(test_introspection_uncounted),
        cmocka_unit_test(test_cost_hook),
    };
    return cmocka_run_group_tests(tests, toy_setup, toy_teardown);
}
