/*
 * test_graphql_validate.c - the GraphQL engine's validation (spec section
 * 5) with the exact messages, positions and paths graphql-ruby gives:
 * fields, selections, arguments, input objects, directives, operations,
 * fragments, variables and overlapping fields; suggestions; the cap of
 * five errors; and operation selection.
 */
#include "testutil.h"
#include "graphql_toy.h"

#define schema toy_test_schema

static void expect_json(const sl_gql_schema *s, const char *query, const char *want)
{
    char *got = toy_run(s, query, NULL);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

/* The messages of all errors, joined by " | ". */
static void expect_messages(const char *query, const char *want)
{
    char *got = toy_run(schema, query, NULL);
    json_t *resp = json_loads(got, 0, NULL), *e;
    char joined[4096] = "";
    size_t i;
    assert_non_null(resp);
    json_array_foreach(json_object_get(resp, "errors"), i, e) {
        if (i)
            strcat(joined, " | ");
        strncat(joined, json_string_value(json_object_get(e, "message")), sizeof joined - strlen(joined) - 4);
    }
    if (strcmp(joined, want) != 0)
        fail_msg("query %s\n got: %s\nwant: %s\nresponse: %s", query, joined, want, got);
    assert_null(json_object_get(resp, "data"));
    json_decref(resp);
    free(got);
}

static void test_fields(void **state)
{
    (void)state;
    expect_json(schema, "{ book(id: \"b1\") { titel } }",
                "{\"errors\":[{\"message\":\"Field 'titel' doesn't exist on type 'Book' (Did you mean `title`?)\","
                "\"locations\":[{\"line\":1,\"column\":20}],\"path\":[\"query\",\"book\",\"titel\"]}]}");
    expect_messages("{ zzz }", "Field 'zzz' doesn't exist on type 'Query'");
    expect_messages("query Q { b: book(id: \"b1\") { x: isbnn } }",
                    "Field 'isbnn' doesn't exist on type 'Book' (Did you mean `isbn`?)");
    expect_messages("{ search(text: \"x\") { title } }",
                    "Selections can't be made directly on unions (see selections on SearchResult)");
    expect_messages("{ book(id: \"b1\") { genre { a b } } }",
                    "Selections can't be made on enums (field 'genre' returns Genre but has selections [a, b])");
    expect_messages("{ greeting { a } }",
                    "Selections can't be made on scalars (field 'greeting' returns String but has selections [a])");
    expect_messages("{ allBooks }",
                    "Field must have selections (field 'allBooks' returns [Book!]! but has no selections. "
                    "Did you mean 'allBooks { ... }'?)");
    /* __typename exists everywhere, __schema and __type on the query type only */
    expect_messages("{ book(id: \"b1\") { __schema { queryType { name } } } }",
                    "Field '__schema' doesn't exist on type 'Book'");
}

static void test_arguments(void **state)
{
    (void)state;
    expect_json(schema, "{ pair(c: 1) }",
                "{\"errors\":[{\"message\":\"Field 'pair' is missing required arguments: a, b\","
                "\"locations\":[{\"line\":1,\"column\":3}],\"path\":[\"query\",\"pair\"]}]}");
    expect_json(schema, "{ book(id: \"b1\", idd: 2) { title } }",
                "{\"errors\":[{\"message\":\"Field 'book' doesn't accept argument 'idd' (Did you mean `id`?)\","
                "\"locations\":[{\"line\":1,\"column\":18}],\"path\":[\"query\",\"book\"]}]}");
    expect_messages("{ greeting(zzz: 1) }", "Field 'greeting' doesn't accept argument 'zzz'");
    expect_messages("{ greeting(name: \"a\", name: \"b\") }", "There can be only one argument named \"name\"");
    expect_messages("{ book(id: 1.5) { title } }",
                    "Argument 'id' on Field 'book' has an invalid value (1.5). Expected type 'ID!'.");
    expect_messages("{ book(id: null) { title } }",
                    "Argument 'id' on Field 'book' has an invalid value (null). Expected type 'ID!'.");
    expect_messages("{ echo(genre: \"FICTION\") }",
                    "Argument 'genre' on Field 'echo' has an invalid value (\"FICTION\"). Expected type 'Genre'.");
    expect_messages("{ echo(genre: NOPE) }",
                    "Argument 'genre' on Field 'echo' has an invalid value (NOPE). Expected type 'Genre'.");
    expect_messages("{ echo(value: 2147483648) }",
                    "Argument 'value' on Field 'echo' has an invalid value (2147483648). Expected type 'Int'.");
    expect_messages("{ echo(values: [1, \"2\"]) }",
                    "Argument 'values' on Field 'echo' has an invalid value ([1, \"2\"]). Expected type '[Int]'.");
    expect_messages("{ echo(flag: 1, f: true, s: 2) }",
                    "Argument 'flag' on Field 'echo' has an invalid value (1). Expected type 'Boolean'. | "
                    "Argument 'f' on Field 'echo' has an invalid value (true). Expected type 'Float'. | "
                    "Argument 's' on Field 'echo' has an invalid value (2). Expected type 'String'.");
    /* the custom scalar's own parser decides, in its own words (graphql-ruby's
     * CoercionError), in a literal, an input object or a default value */
    expect_messages("{ echo(date: \"2024-13\") }", "Date must be YYYY-MM-DD");
    expect_messages("{ echo(value: 1.5, date: 5) }",
                    "Argument 'value' on Field 'echo' has an invalid value (1.5). Expected type 'Int'. | "
                    "Date must be YYYY-MM-DD");
    expect_messages("query($d: Date = \"x\") { echo(date: $d) }", "Date must be YYYY-MM-DD");
    /* a single value where a list is wanted is a list of one */
    expect_json(schema, "{ echo(values: 4, date: \"2024-01-31\") }",
                "{\"data\":{\"echo\":\"{\\\"values\\\":[4],\\\"date\\\":\\\"2024-01-31\\\",\\\"nonNull\\\":7}\"}}");
}

static void test_input_objects(void **state)
{
    (void)state;
    expect_json(schema, "{ echo(filter: {genr: POETRY}) }",
                "{\"errors\":[{\"message\":\"InputObject 'BookFilter' doesn't accept argument 'genr' "
                "(Did you mean `genre`?)\",\"locations\":[{\"line\":1,\"column\":17}],\"path\":[\"query\",\"echo\"]}]}");
    expect_messages("{ echo(filter: {author: {}}) }",
                    "Argument 'name' on InputObject 'AuthorFilter' is required. Expected type String!");
    expect_messages("{ echo(filter: {genre: POETRY, genre: FICTION}) }",
                    "There can be only one input field named \"genre\"");
    expect_messages("{ echo(filter: {minYear: \"x\"}) }",
                    "Argument 'filter' on Field 'echo' has an invalid value ({minYear: \"x\"}). Expected type 'BookFilter'.");
    expect_messages("{ echo(filter: 3) }",
                    "Argument 'filter' on Field 'echo' has an invalid value (3). Expected type 'BookFilter'.");
    expect_messages("mutation { addBook(input: {title: \"T\"}) { errors } }",
                    "Argument 'authorId' on InputObject 'AddBookInput' is required. Expected type ID!");
}

static void test_directives(void **state)
{
    (void)state;
    expect_json(schema, "{ greeting @foo }",
                "{\"errors\":[{\"message\":\"Directive @foo is not defined\",\"locations\":[{\"line\":1,\"column\":12}],"
                "\"path\":[\"query\",\"greeting\"]}]}");
    expect_messages("query @skip(if: true) { greeting }",
                    "'@skip' can't be applied to queries (allowed: fields, fragment spreads, inline fragments)");
    expect_messages("mutation @include(if: true) { counter }",
                    "'@include' can't be applied to mutations (allowed: fields, fragment spreads, inline fragments)");
    expect_messages("{ ...F } fragment F on Query @skip(if: false) { greeting }",
                    "'@skip' can't be applied to fragment definitions (allowed: fields, fragment spreads, inline fragments)");
    expect_messages("{ greeting @deprecated }",
                    "'@deprecated' can't be applied to fields (allowed: )");
    expect_messages("{ greeting @skip(if: true) @skip(if: false) }",
                    "The directive \"skip\" can only be used once at this location.");
    expect_messages("{ greeting @include }", "Directive 'include' is missing required arguments: if");
    expect_messages("{ greeting @skip(if: 1) }",
                    "Argument 'if' on Directive 'skip' has an invalid value (1). Expected type 'Boolean!'.");
    expect_messages("{ greeting @skip(iff: true) }",
                    "Directive 'skip' doesn't accept argument 'iff' (Did you mean `if`?) | "
                    "Directive 'skip' is missing required arguments: if");
}

static void test_operations(void **state)
{
    sl_gql_schema *small = NULL;
    json_t *resp = NULL;
    char *got;
    (void)state;
    expect_json(schema, "query A { greeting } query A { greeting }",
                "{\"errors\":[{\"message\":\"Operation name \\\"A\\\" must be unique\",\"locations\":[{\"line\":1,\"column\":22}]}]}");
    expect_messages("query A { greeting } { greeting }",
                    "Operation name is required when multiple operations are present");
    expect_messages("subscription { greeting }", "Schema is not configured for subscriptions");
    assert_int_equal(sl_gql_schema_new("type Query { a: Int }", 21, &small, NULL), SL_OK);
    expect_json(small, "mutation M { a }",
                "{\"errors\":[{\"message\":\"Schema is not configured for mutations\",\"locations\":[{\"line\":1,\"column\":1}],"
                "\"path\":[\"mutation M\"]}]}");
    sl_gql_schema_free(small);
    /* choosing among several operations */
    assert_int_equal(sl_gql_run(schema, "query A { greeting } query B { g: greeting }", 44, "B", NULL, NULL, NULL,
                                &resp, NULL), SL_OK);
    got = json_dumps(resp, JSON_COMPACT);
    assert_string_equal(got, "{\"data\":{\"g\":\"Hello, world!\"}}");
    free(got);
    json_decref(resp);
    assert_int_equal(sl_gql_run(schema, "query A { greeting } query B { g: greeting }", 44, NULL, NULL, NULL, NULL,
                                &resp, NULL), SL_OK);
    got = json_dumps(resp, JSON_COMPACT);
    assert_string_equal(got, "{\"errors\":[{\"message\":\"An operation name is required\"}]}");
    free(got);
    json_decref(resp);
    assert_int_equal(sl_gql_run(schema, "query A { greeting }", 20, "C", NULL, NULL, NULL, &resp, NULL), SL_OK);
    got = json_dumps(resp, JSON_COMPACT);
    assert_string_equal(got, "{\"errors\":[{\"message\":\"Unknown operation named \\\"C\\\"\"}]}");
    free(got);
    json_decref(resp);
}

static void test_fragments(void **state)
{
    (void)state;
    expect_json(schema, "{ ...F } fragment F on Query { titel: greeting x }",
                "{\"errors\":[{\"message\":\"Field 'x' doesn't exist on type 'Query'\",\"locations\":[{\"line\":1,\"column\":48}],"
                "\"path\":[\"fragment F\",\"x\"]}]}");
    expect_messages("{ ...F } fragment F on Query { greeting } fragment F on Query { greeting }",
                    "Fragment name \"F\" must be unique");
    expect_messages("{ ...F } fragment F on Nope { greeting }", "No such type Nope, so it can't be a fragment condition");
    expect_messages("{ ... on Nope { greeting } }", "No such type Nope, so it can't be a fragment condition");
    expect_messages("{ ...F } fragment F on Genre { greeting }",
                    "Invalid fragment on type Genre (must be Union, Interface or Object)");
    expect_messages("{ book(id: \"b1\") { ...F } } fragment F on Author { name }",
                    "Fragment F on Author can't be spread inside Book");
    expect_messages("{ book(id: \"b1\") { ... on Author { name } } }", "Fragment on Author can't be spread inside Book");
    expect_messages("{ greeting } fragment F on Query { greeting }", "Fragment F was defined, but not used");
    expect_messages("{ ...G }", "Fragment G was used, but not defined");
    expect_messages("{ ...F } fragment F on Query { ...F }", "Fragment F contains an infinite loop");
    expect_messages("{ ...F } fragment F on Query { greeting ...G } fragment G on Query { ...F }",
                    "Fragment F contains an infinite loop");
    /* spreads through interfaces and unions are possible when types overlap */
    expect_json(schema,
                "{ node(id: \"b2\") { ...N ... on Book { title } } } fragment N on Node { id ... on SearchResult { __typename } }",
                "{\"data\":{\"node\":{\"id\":\"b2\",\"__typename\":\"Book\",\"title\":\"Ficciones\"}}}");
}

static void test_variables(void **state)
{
    (void)state;
    expect_messages("query($x: Int, $x: Int) { echo(value: $x) }", "There can only be one variable named \"x\"");
    expect_messages("query($v: Book) { echo(value: $v) }", "Book isn't a valid input type (on $v)");
    expect_messages("query($v: [Bogus!]) { echo(value: $v) }", "Bogus isn't a defined input type (on $v)");
    expect_messages("query($v: Int = \"x\") { echo(value: $v) }", "Default value for $v doesn't match type Int");
    expect_messages("query($v: BookFilter = {author: {}}) { echo(filter: $v) }",
                    "Argument 'name' on InputObject 'AuthorFilter' is required. Expected type String! | "
                    "Default value for $v doesn't match type BookFilter");
    expect_json(schema, "query Q { echo(value: $y) }",
                "{\"errors\":[{\"message\":\"Variable $y is used by Q but not declared\",\"locations\":[{\"line\":1,\"column\":23}],"
                "\"path\":[\"query Q\"]}]}");
    expect_messages("{ ...F } fragment F on Query { echo(value: $z) }", "Variable $z is used by anonymous query but not declared");
    expect_messages("mutation M($unused: Int) { counter }", "Variable $unused is declared by M but not used");
    expect_messages("query($x: String) { echo(value: $x) }",
                    "Type mismatch on variable $x and argument value (String / Int)");
    expect_messages("query($x: Int) { pair(a: $x, b: \"b\") }",
                    "Nullability mismatch on variable $x and argument a (Int / Int!)");
    expect_messages("query($x: [Int]) { echo(value: $x) }",
                    "List dimension mismatch on variable $x and argument value ([Int] / Int)");
    expect_messages("query($x: Int!) { echo(values: $x) }",
                    "List dimension mismatch on variable $x and argument values (Int! / [Int])");
    expect_messages("query($n: String) { echo(filter: {author: {name: $n}}) }",
                    "Nullability mismatch on variable $n and argument name (String / String!)");
    expect_messages("query($b: Int!) { greeting @skip(if: $b) }",
                    "Type mismatch on variable $b and argument if (Int! / Boolean!)");
    expect_messages("query($b: Int) { greeting @skip(if: $b) }",
                    "Nullability mismatch on variable $b and argument if (Int / Boolean!)");
    /* allowed: a default on the variable or on the argument; Int! where Int is wanted; list items */
    expect_json(schema, "query($x: Int = 3, $y: Int, $z: Int!) { pair(a: $x, b: \"b\") echo(nonNull: $y, value: $z, values: [$z]) }",
                "{\"errors\":[{\"message\":\"Variable $z of type Int! was provided invalid value\",\"locations\":[{\"line\":1,\"column\":29}],"
                "\"extensions\":{\"value\":null,\"problems\":[{\"path\":[],\"explanation\":\"Expected value to not be null\"}]}}]}");
}

static void test_overlapping_fields(void **state)
{
    (void)state;
    expect_json(schema, "{ a: greeting a: failing }",
                "{\"errors\":[{\"message\":\"Field 'a' has a field conflict: greeting or failing?\","
                "\"locations\":[{\"line\":1,\"column\":3},{\"line\":1,\"column\":15}]}]}");
    expect_messages("{ greeting(name: \"x\") greeting }",
                    "Field 'greeting' has an argument conflict: {name: \"x\"} or {}?");
    expect_messages("{ node(id: \"a1\") { ... on Author { x: name } ... on Book { x: year } } }",
                    "Field 'x' has a return_type conflict: `String!` or `Int`?");
    expect_messages("{ book(id: \"b1\") { author { name } } book(id: \"b1\") { author { name: id } } }",
                    "Field 'name' has a field conflict: name or id?");
    expect_messages("{ ...F greeting(name: \"y\") } fragment F on Query { greeting(name: \"x\") }",
                    "Field 'greeting' has an argument conflict: {name: \"x\"} or {name: \"y\"}?");
    /* the same field twice, or different fields on exclusive object types: fine */
    expect_json(schema, "{ g: greeting g: greeting ...F } fragment F on Query { g: greeting }",
                "{\"data\":{\"g\":\"Hello, world!\"}}");
    expect_json(schema, "{ search(text: \"a1\") { ... on Author { x: name } ... on Book { x: title } } }",
                "{\"data\":{\"search\":[{\"x\":\"Ada Lovelace\"}]}}");
}

static void test_error_cap(void **state)
{
    char *got = toy_run(schema, "{ a b c d e f g }", NULL);
    json_t *resp = json_loads(got, 0, NULL);
    (void)state;
    assert_int_equal(json_array_size(json_object_get(resp, "errors")), SL_GQL_ERRORS_MAX);
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(resp, "errors"), 4), "message")),
                        "Field 'e' doesn't exist on type 'Query'");
    json_decref(resp);
    free(got);
}

/* A refused query calls no resolver. */
static void test_refused_runs_nothing(void **state)
{
    toy_ctx ctx = {0};
    char *got = toy_run_limits(schema, "mutation { counter a: counter zzz }", NULL, NULL, &ctx);
    (void)state;
    assert_int_equal(ctx.resolver_calls, 0);
    assert_int_equal(ctx.counter, 0);
    assert_string_equal(got, "{\"errors\":[{\"message\":\"Field 'zzz' doesn't exist on type 'Mutation'\","
                             "\"locations\":[{\"line\":1,\"column\":31}],\"path\":[\"mutation\",\"zzz\"]}]}");
    free(got);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_arguments),
        cmocka_unit_test(test_input_objects),
        cmocka_unit_test(test_directives),
        cmocka_unit_test(test_operations),
        cmocka_unit_test(test_fragments),
        cmocka_unit_test(test_variables),
        cmocka_unit_test(test_overlapping_fields),
        cmocka_unit_test(test_error_cap),
        cmocka_unit_test(test_refused_runs_nothing),
    };
    return cmocka_run_group_tests(tests, toy_setup, toy_teardown);
}
