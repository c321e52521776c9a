/*
 * test_graphql_execute.c - the GraphQL engine's executor: resolvers with
 * coerced arguments and defaults, variables (also as a JSON string) and
 * their errors, fragments and @skip/@include, interfaces and unions, null
 * propagation with paths and locations, leaf serialization, mutations in
 * order, the execution deadline, handles freed, and introspection.
 */
#include "testutil.h"
#include "graphql_toy.h"

#define schema toy_test_schema

static void expect_vars(const char *query, const char *vars, const char *want)
{
    toy_ctx ctx = {0};
    char *got = toy_run_limits(schema, query, vars, NULL, &ctx);
    assert_non_null(got);
    assert_string_equal(got, want);
    assert_int_equal(ctx.handles_alive, 0);
    free(got);
}

static void expect_json(const char *query, const char *want)
{
    expect_vars(query, NULL, want);
}

static void test_basics(void **state)
{
    (void)state;
    /* keys in selection order, aliases, arguments with defaults */
    expect_json("{ z: greeting(name: \"Z\") greeting a: book(id: \"b3\") { year title __typename } }",
                "{\"data\":{\"z\":\"Hello, Z!\",\"greeting\":\"Hello, world!\",\"a\":{\"year\":1890,\"title\":\"Poems\","
                "\"__typename\":\"Book\"}}}");
    /* a missing object is null without error */
    expect_json("{ book(id: \"nope\") { title } }", "{\"data\":{\"book\":null}}");
    /* object handles with a free function: resolved, then freed */
    expect_json("{ authors { name born books(first: 1) { title } } }",
                "{\"data\":{\"authors\":[{\"name\":\"Ada Lovelace\",\"born\":\"1815-12-10\",\"books\":[{\"title\":"
                "\"Notes on the Engine\"}]},{\"name\":\"Jorge Luis Borges\",\"born\":\"1899-08-24\",\"books\":[{\"title\":"
                "\"Ficciones\"}]},{\"name\":\"Emily Dickinson\",\"born\":null,\"books\":[{\"title\":\"Poems\"}]},null]}}");
    /* the same response key twice: merged selections */
    expect_json("{ book(id: \"b1\") { title } book(id: \"b1\") { year ...on Book { title } } }",
                "{\"data\":{\"book\":{\"title\":\"Notes on the Engine\",\"year\":1843}}}");
    /* floats, booleans, ids from JSON members */
    expect_json("{ book(id: \"b2\") { id price inPrint } }",
                "{\"data\":{\"book\":{\"id\":\"b2\",\"price\":9.0,\"inPrint\":true}}}");
}

static void test_variables(void **state)
{
    (void)state;
    expect_vars("query Q($id: ID!, $first: Int = 2) { book(id: $id) { author { books(first: $first) { id } } } }",
                "{\"id\": \"b2\"}",
                "{\"data\":{\"book\":{\"author\":{\"books\":[{\"id\":\"b2\"},{\"id\":\"b4\"}]}}}}");
    /* variables as a JSON string, as GitLab's clients may send them */
    expect_vars("query($n: String) { greeting(name: $n) }", "\"{\\\"n\\\": \\\"S\\\"}\"",
                "{\"data\":{\"greeting\":\"Hello, S!\"}}");
    expect_vars("query($n: String) { greeting(name: $n) }", "\"\"", "{\"data\":{\"greeting\":\"Hello, world!\"}}");
    expect_vars("query($n: String) { greeting(name: $n) }", "\"[1\"",
                "{\"errors\":[{\"message\":\"Variables are invalid JSON\"}]}");
    expect_vars("query($n: String) { greeting(name: $n) }", "[1]",
                "{\"errors\":[{\"message\":\"Variables are invalid JSON\"}]}");
    /* an explicit null reaches the resolver; an absent one takes the default */
    expect_vars("query($n: String) { echo(s: $n) e2: echo(nonNull: $m) } ", NULL,
                "{\"errors\":[{\"message\":\"Variable $m is used by anonymous query but not declared\","
                "\"locations\":[{\"line\":1,\"column\":51}],\"path\":[\"query\"]}]}");
    expect_vars("query($n: String, $m: Int) { echo(s: $n) e2: echo(nonNull: $m) }", "{\"n\": null}",
                "{\"data\":{\"echo\":\"{\\\"nonNull\\\":7,\\\"s\\\":null}\",\"e2\":\"{\\\"nonNull\\\":7}\"}}");
    /* coercion of variable values */
    expect_vars("query($v: Int, $f: Float, $i: ID, $l: [Int], $g: Genre) { echo(value: $v, f: $f, id: $i, values: $l, genre: $g) }",
                "{\"v\": 3.0, \"f\": 2, \"i\": 42, \"l\": 5, \"g\": \"POETRY\"}",
                "{\"data\":{\"echo\":\"{\\\"value\\\":3,\\\"values\\\":[5],\\\"f\\\":2.0,\\\"id\\\":\\\"42\\\","
                "\\\"genre\\\":\\\"POETRY\\\",\\\"nonNull\\\":7}\"}}");
    expect_vars("query($v: Int) { echo(value: $v) }", "{\"v\": 2147483648}",
                "{\"errors\":[{\"message\":\"Variable $v of type Int was provided invalid value\",\"locations\":[{\"line\":1,"
                "\"column\":7}],\"extensions\":{\"value\":2147483648,\"problems\":[{\"path\":[],\"explanation\":"
                "\"Could not coerce value 2147483648 to Int\"}]}}]}");
    expect_vars("query($v: Int) { echo(value: $v) }", "{\"v\": \"12\"}",
                "{\"errors\":[{\"message\":\"Variable $v of type Int was provided invalid value\",\"locations\":[{\"line\":1,"
                "\"column\":7}],\"extensions\":{\"value\":\"12\",\"problems\":[{\"path\":[],\"explanation\":"
                "\"Could not coerce value \\\"12\\\" to Int\"}]}}]}");
    expect_vars("query($v: AddBookInput!) { echo(value: 1) } mutation M($v: AddBookInput!) { addBook(input: $v) { errors } }",
                NULL, "{\"errors\":[{\"message\":\"Operation name is required when multiple operations are present\","
                "\"locations\":[{\"line\":1,\"column\":1}]},{\"message\":\"Variable $v is declared by anonymous query but "
                "not used\",\"locations\":[{\"line\":1,\"column\":7}],\"path\":[\"query\"]}]}");
    expect_vars("mutation M($v: AddBookInput!) { addBook(input: $v) { errors } }",
                "{\"v\": {\"title\": \"T\", \"authorId\": \"a1\", \"tags\": [\"x\", null]}}",
                "{\"errors\":[{\"message\":\"Variable $v of type AddBookInput! was provided invalid value for tags.1 "
                "(Expected value to not be null)\",\"locations\":[{\"line\":1,\"column\":12}],\"extensions\":{\"value\":"
                "{\"title\":\"T\",\"authorId\":\"a1\",\"tags\":[\"x\",null]},\"problems\":[{\"path\":[\"tags\",1],"
                "\"explanation\":\"Expected value to not be null\"}]}}]}");
    expect_vars("mutation M($v: AddBookInput!) { addBook(input: $v) { errors } }", "{\"v\": [1]}",
                "{\"errors\":[{\"message\":\"Variable $v of type AddBookInput! was provided invalid value\",\"locations\":"
                "[{\"line\":1,\"column\":12}],\"extensions\":{\"value\":[1],\"problems\":[{\"path\":[],\"explanation\":"
                "\"Expected [1] to be a key-value object.\"}]}}]}");
    expect_vars("query($d: Date) { echo(date: $d) }", "{\"d\": \"tomorrow\"}",
                "{\"errors\":[{\"message\":\"Variable $d of type Date was provided invalid value\",\"locations\":[{\"line\":1,"
                "\"column\":7}],\"extensions\":{\"value\":\"tomorrow\",\"problems\":[{\"path\":[],\"explanation\":"
                "\"Date must be YYYY-MM-DD\"}]}}]}");
}

static void test_directives(void **state)
{
    (void)state;
    expect_vars("query($yes: Boolean!, $no: Boolean = false) { a: greeting @include(if: $yes) b: greeting @skip(if: $yes) "
                "...F @include(if: $no) ... @skip(if: $no) { c: greeting } } fragment F on Query { d: greeting }",
                "{\"yes\": true}", "{\"data\":{\"a\":\"Hello, world!\",\"c\":\"Hello, world!\"}}");
    /* both directives: included only when include is true and skip false */
    expect_json("{ a: greeting @include(if: true) @skip(if: true) b: greeting @include(if: true) @skip(if: false) }",
                "{\"data\":{\"b\":\"Hello, world!\"}}");
}

static void test_abstract_types(void **state)
{
    (void)state;
    /* a JSON object names its type; a handle without one asks the type resolver */
    expect_json("{ search(text: \"2\") { __typename ... on Book { title } ... on Author { name } } }",
                "{\"data\":{\"search\":[{\"__typename\":\"Book\",\"title\":\"Ficciones\"},{\"__typename\":\"Author\","
                "\"name\":\"Jorge Luis Borges\"}]}}");
    expect_json("{ node(id: \"a3\") { id ... on Named { name } ...A } } fragment A on Author { born }",
                "{\"data\":{\"node\":{\"id\":\"a3\",\"name\":\"Emily Dickinson\",\"born\":null}}}");
    expect_json("{ node(id: \"b1\") { id ... on Named { name } } }", "{\"data\":{\"node\":{\"id\":\"b1\"}}}");
}

static void test_null_propagation(void **state)
{
    (void)state;
    /* a resolver's error: the field null, the rest served */
    expect_json("{ a: failing b: greeting }",
                "{\"data\":{\"a\":null,\"b\":\"Hello, world!\"},\"errors\":[{\"message\":\"boom\",\"locations\":"
                "[{\"line\":1,\"column\":3}],\"path\":[\"a\"]}]}");
    /* a non-null root field fails: data is null */
    expect_json("{ greeting failingNonNull }",
                "{\"data\":null,\"errors\":[{\"message\":\"boom\",\"locations\":[{\"line\":1,\"column\":12}],"
                "\"path\":[\"failingNonNull\"]}]}");
    /* null in a non-null field of a non-null list item: up to the nullable field */
    expect_json("{ g: greeting allBooks { title inPrint } }",
                "{\"data\":null,\"errors\":[{\"message\":\"Cannot return null for non-nullable field Book.inPrint\","
                "\"locations\":[{\"line\":1,\"column\":32}],\"path\":[\"allBooks\",3,\"inPrint\"]}]}");
    expect_json("{ books { nodes { id inPrint } count } }",
                "{\"data\":{\"books\":{\"nodes\":[{\"id\":\"b1\",\"inPrint\":true},{\"id\":\"b2\",\"inPrint\":true},"
                "{\"id\":\"b3\",\"inPrint\":false},null],\"count\":4}},\"errors\":[{\"message\":\"Cannot return null for "
                "non-nullable field Book.inPrint\",\"locations\":[{\"line\":1,\"column\":22}],\"path\":[\"books\",\"nodes\",3,"
                "\"inPrint\"]}]}");
    /* a value that is not of its type: an error there */
    expect_json("{ badInt b: book(id: \"b4\") { genre } }",
                "{\"data\":{\"badInt\":null,\"b\":{\"genre\":null}},\"errors\":[{\"message\":\"Int cannot represent value: "
                "3000000000\",\"locations\":[{\"line\":1,\"column\":3}],\"path\":[\"badInt\"]},{\"message\":\"Genre cannot "
                "represent value: \\\"NOT_A_GENRE\\\"\",\"locations\":[{\"line\":1,\"column\":30}],\"path\":[\"b\",\"genre\"]}]}");
}

static void test_mutations_in_order(void **state)
{
    toy_ctx ctx = {0};
    char *got = toy_run_limits(schema,
                               "mutation { a: counter addBook(input: {title: \"X\", authorId: \"a1\", clientMutationId: \"m1\"}) "
                               "{ clientMutationId book { title genre author { name } } errors } b: counter }",
                               NULL, NULL, &ctx);
    (void)state;
    assert_string_equal(got, "{\"data\":{\"a\":1,\"addBook\":{\"clientMutationId\":\"m1\",\"book\":{\"title\":\"X\",\"genre\":"
                             "\"FICTION\",\"author\":{\"name\":\"Ada Lovelace\"}},\"errors\":[]},\"b\":102}}");
    assert_int_equal(ctx.counter, 102);
    assert_int_equal(ctx.handles_alive, 0);
    free(got);
}

static void test_timeout(void **state)
{
    toy_ctx ctx = {0};
    sl_gql_limits lim = {0};
    char *got;
    (void)state;
    lim.timeout_ms = 30000;
    lim.now_ms = toy_now;
    /* slow advances the fake clock by 20 s each time */
    got = toy_run_limits(schema, "{ a: slow b: slow c: slow d: failing }", NULL, &lim, &ctx);
    assert_string_equal(got, "{\"data\":{\"a\":1,\"b\":1,\"c\":null,\"d\":null},\"errors\":[{\"message\":\"Timeout on "
                             "Query.slow\",\"locations\":[{\"line\":1,\"column\":19}],\"path\":[\"c\"]}]}");
    assert_int_equal(ctx.clock_ms, 40000);
    free(got);
    /* a deadline met by a non-null field nulls its parent */
    ctx.clock_ms = 0;
    got = toy_run_limits(schema, "{ a: slow b: slow greeting }", NULL, &lim, &ctx);
    assert_string_equal(got, "{\"data\":null,\"errors\":[{\"message\":\"Timeout on Query.greeting\",\"locations\":"
                             "[{\"line\":1,\"column\":19}],\"path\":[\"greeting\"]}]}");
    free(got);
}

/* Lists that fan out: the field cap stops the work whatever the limits. */
static void test_field_cap(void **state)
{
    char q[1024], *p = q, *got;
    json_t *resp;
    const char *m;
    (void)state;
    p += sprintf(p, "{ book(id: \"b2\") { ");
    for (int i = 0; i < 24; i++)
        p += sprintf(p, "author { books { ");
    p += sprintf(p, "id");
    for (int i = 0; i < 50; i++)
        *p++ = '}';
    *p = '\0';
    got = toy_run(schema, q, NULL);
    resp = json_loads(got, 0, NULL);
    m = json_string_value(json_object_get(json_array_get(json_object_get(resp, "errors"), 0), "message"));
    assert_non_null(m);
    assert_int_equal(strncmp(m, "Query resolves more than 200000 fields: stopped at ", 51), 0);
    assert_int_equal(json_array_size(json_object_get(resp, "errors")), 1);
    json_decref(resp);
    free(got);
}

static void test_introspection(void **state)
{
    (void)state;
    expect_json("{ __typename book(id: \"b1\") { __typename } }",
                "{\"data\":{\"__typename\":\"Query\",\"book\":{\"__typename\":\"Book\"}}}");
    expect_json("mutation { __typename }", "{\"data\":{\"__typename\":\"Mutation\"}}");
    expect_json("{ __schema { description queryType { name } mutationType { name } subscriptionType { name } } }",
                "{\"data\":{\"__schema\":{\"description\":\"A library of books.\",\"queryType\":{\"name\":\"Query\"},"
                "\"mutationType\":{\"name\":\"Mutation\"},\"subscriptionType\":null}}}");
    expect_json("{ __type(name: \"Genre\") { kind name description enumValues { name description } "
                "all: enumValues(includeDeprecated: true) { name isDeprecated deprecationReason } } }",
                "{\"data\":{\"__type\":{\"kind\":\"ENUM\",\"name\":\"Genre\",\"description\":null,\"enumValues\":["
                "{\"name\":\"FICTION\",\"description\":null},{\"name\":\"POETRY\",\"description\":null},{\"name\":"
                "\"HISTORY\",\"description\":null},{\"name\":\"SCIENCE\",\"description\":\"Science\"}],\"all\":[{\"name\":"
                "\"FICTION\",\"isDeprecated\":false,\"deprecationReason\":null},{\"name\":\"POETRY\",\"isDeprecated\":false,"
                "\"deprecationReason\":null},{\"name\":\"HISTORY\",\"isDeprecated\":false,\"deprecationReason\":null},"
                "{\"name\":\"SCIENCE\",\"isDeprecated\":false,\"deprecationReason\":null},{\"name\":\"OLD_STUFF\","
                "\"isDeprecated\":true,\"deprecationReason\":\"No longer supported\"}]}}}");
    expect_json("{ __type(name: \"Nope\") { name } }", "{\"data\":{\"__type\":null}}");
    expect_json("{ __type(name: \"Author\") { kind interfaces { name } fields { name type { kind name ofType { kind "
                "name ofType { kind ofType { kind name } } } } } } }",
                "{\"data\":{\"__type\":{\"kind\":\"OBJECT\",\"interfaces\":[{\"name\":\"Node\"},{\"name\":\"Named\"}],"
                "\"fields\":[{\"name\":\"id\",\"type\":{\"kind\":\"NON_NULL\",\"name\":null,\"ofType\":{\"kind\":\"SCALAR\","
                "\"name\":\"ID\",\"ofType\":null}}},{\"name\":\"name\",\"type\":{\"kind\":\"NON_NULL\",\"name\":null,\"ofType\":"
                "{\"kind\":\"SCALAR\",\"name\":\"String\",\"ofType\":null}}},{\"name\":\"born\",\"type\":{\"kind\":\"SCALAR\","
                "\"name\":\"Date\",\"ofType\":null}},{\"name\":\"books\",\"type\":{\"kind\":\"NON_NULL\",\"name\":null,"
                "\"ofType\":{\"kind\":\"LIST\",\"name\":null,\"ofType\":{\"kind\":\"NON_NULL\",\"ofType\":{\"kind\":\"OBJECT\","
                "\"name\":\"Book\"}}}}}]}}}");
    expect_json("{ __type(name: \"Query\") { fields { name } f: fields(includeDeprecated: true) { name isDeprecated "
                "deprecationReason args { name } a: args(includeDeprecated: true) { name isDeprecated deprecationReason } } } }",
                "{\"data\":{\"__type\":{\"fields\":[{\"name\":\"book\"},{\"name\":\"books\"},{\"name\":\"allBooks\"},"
                "{\"name\":\"authors\"},{\"name\":\"node\"},{\"name\":\"search\"},{\"name\":\"greeting\"},{\"name\":\"echo\"},"
                "{\"name\":\"failing\"},{\"name\":\"failingNonNull\"},{\"name\":\"slow\"},{\"name\":\"badInt\"},{\"name\":"
                "\"complexity\"},{\"name\":\"pair\"}],\"f\":[{\"name\":\"book\",\"isDeprecated\":false,\"deprecationReason\":null,"
                "\"args\":[{\"name\":\"id\"}],\"a\":[{\"name\":\"id\",\"isDeprecated\":false,\"deprecationReason\":null}]},"
                "{\"name\":\"books\",\"isDeprecated\":false,\"deprecationReason\":null,\"args\":[{\"name\":\"filter\"},"
                "{\"name\":\"search\"},{\"name\":\"sort\"},{\"name\":\"first\"},{\"name\":\"last\"},{\"name\":\"after\"}],"
                "\"a\":[{\"name\":\"filter\",\"isDeprecated\":false,\"deprecationReason\":null},{\"name\":\"search\","
                "\"isDeprecated\":false,\"deprecationReason\":null},{\"name\":\"sort\",\"isDeprecated\":false,"
                "\"deprecationReason\":null},{\"name\":\"first\",\"isDeprecated\":false,\"deprecationReason\":null},"
                "{\"name\":\"last\",\"isDeprecated\":false,\"deprecationReason\":null},{\"name\":\"after\",\"isDeprecated\":"
                "false,\"deprecationReason\":null}]},{\"name\":\"allBooks\",\"isDeprecated\":false,\"deprecationReason\":"
                "null,\"args\":[],\"a\":[]},{\"name\":\"authors\",\"isDeprecated\":false,\"deprecationReason\":null,\"args\":"
                "[],\"a\":[]},{\"name\":\"node\",\"isDeprecated\":false,\"deprecationReason\":null,\"args\":[{\"name\":\"id\"}],"
                "\"a\":[{\"name\":\"id\",\"isDeprecated\":false,\"deprecationReason\":null}]},{\"name\":\"search\","
                "\"isDeprecated\":false,\"deprecationReason\":null,\"args\":[{\"name\":\"text\"}],\"a\":[{\"name\":\"text\","
                "\"isDeprecated\":false,\"deprecationReason\":null}]},{\"name\":\"greeting\",\"isDeprecated\":false,"
                "\"deprecationReason\":null,\"args\":[{\"name\":\"name\"}],\"a\":[{\"name\":\"name\",\"isDeprecated\":false,"
                "\"deprecationReason\":null}]},{\"name\":\"echo\",\"isDeprecated\":false,\"deprecationReason\":null,\"args\":"
                "[{\"name\":\"value\"},{\"name\":\"values\"},{\"name\":\"filter\"},{\"name\":\"date\"},{\"name\":\"flag\"},"
                "{\"name\":\"f\"},{\"name\":\"id\"},{\"name\":\"genre\"},{\"name\":\"nonNull\"},{\"name\":\"matrix\"},{\"name\":"
                "\"s\"}],\"a\":[{\"name\":\"value\",\"isDeprecated\":false,\"deprecationReason\":null},{\"name\":\"values\","
                "\"isDeprecated\":false,\"deprecationReason\":null},{\"name\":\"filter\",\"isDeprecated\":false,"
                "\"deprecationReason\":null},{\"name\":\"date\",\"isDeprecated\":false,\"deprecationReason\":null},{\"name\":"
                "\"flag\",\"isDeprecated\":false,\"deprecationReason\":null},{\"name\":\"f\",\"isDeprecated\":false,"
                "\"deprecationReason\":null},{\"name\":\"id\",\"isDeprecated\":false,\"deprecationReason\":null},{\"name\":"
                "\"genre\",\"isDeprecated\":false,\"deprecationReason\":null},{\"name\":\"nonNull\",\"isDeprecated\":false,"
                "\"deprecationReason\":null},{\"name\":\"matrix\",\"isDeprecated\":false,\"deprecationReason\":null},"
                "{\"name\":\"s\",\"isDeprecated\":false,\"deprecationReason\":null}]},{\"name\":\"failing\",\"isDeprecated\":"
                "false,\"deprecationReason\":null,\"args\":[],\"a\":[]},{\"name\":\"failingNonNull\",\"isDeprecated\":false,"
                "\"deprecationReason\":null,\"args\":[],\"a\":[]},{\"name\":\"slow\",\"isDeprecated\":false,"
                "\"deprecationReason\":null,\"args\":[],\"a\":[]},{\"name\":\"badInt\",\"isDeprecated\":false,"
                "\"deprecationReason\":null,\"args\":[],\"a\":[]},{\"name\":\"complexity\",\"isDeprecated\":false,"
                "\"deprecationReason\":null,\"args\":[],\"a\":[]},{\"name\":\"oldField\",\"isDeprecated\":true,"
                "\"deprecationReason\":\"No longer supported\",\"args\":[],\"a\":[{\"name\":\"x\",\"isDeprecated\":true,"
                "\"deprecationReason\":\"no x\"}]},{\"name\":\"pair\",\"isDeprecated\":false,\"deprecationReason\":null,"
                "\"args\":[{\"name\":\"a\"},{\"name\":\"b\"},{\"name\":\"c\"}],\"a\":[{\"name\":\"a\",\"isDeprecated\":false,"
                "\"deprecationReason\":null},{\"name\":\"b\",\"isDeprecated\":false,\"deprecationReason\":null},{\"name\":"
                "\"c\",\"isDeprecated\":false,\"deprecationReason\":null}]}]}}}");
    expect_json("{ __type(name: \"BookFilter\") { kind inputFields { name defaultValue type { name } } "
                "all: inputFields(includeDeprecated: true) { name } } u: __type(name: \"SearchResult\") { kind possibleTypes { name } "
                "fields { name } } d: __type(name: \"Date\") { kind specifiedByURL description } }",
                "{\"data\":{\"__type\":{\"kind\":\"INPUT_OBJECT\",\"inputFields\":[{\"name\":\"genre\",\"defaultValue\":null,"
                "\"type\":{\"name\":\"Genre\"}},{\"name\":\"minYear\",\"defaultValue\":\"1900\",\"type\":{\"name\":\"Int\"}},"
                "{\"name\":\"titleContains\",\"defaultValue\":null,\"type\":{\"name\":\"String\"}},{\"name\":\"author\","
                "\"defaultValue\":null,\"type\":{\"name\":\"AuthorFilter\"}}],\"all\":[{\"name\":\"genre\"},{\"name\":"
                "\"minYear\"},{\"name\":\"titleContains\"},{\"name\":\"author\"},{\"name\":\"oldField\"}]},\"u\":{\"kind\":"
                "\"UNION\",\"possibleTypes\":[{\"name\":\"Book\"},{\"name\":\"Author\"}],\"fields\":null},\"d\":{\"kind\":"
                "\"SCALAR\",\"specifiedByURL\":\"https://example.com/date\",\"description\":\"A calendar date, YYYY-MM-DD.\"}}}");
    expect_json("{ __type(name: \"Node\") { possibleTypes { name } } __schema { directives { name isRepeatable locations "
                "args { name defaultValue type { kind ofType { name } } } } } }",
                "{\"data\":{\"__type\":{\"possibleTypes\":[{\"name\":\"Author\"},{\"name\":\"Book\"}]},\"__schema\":{"
                "\"directives\":[{\"name\":\"include\",\"isRepeatable\":false,\"locations\":[\"FIELD\",\"FRAGMENT_SPREAD\","
                "\"INLINE_FRAGMENT\"],\"args\":[{\"name\":\"if\",\"defaultValue\":null,\"type\":{\"kind\":\"NON_NULL\","
                "\"ofType\":{\"name\":\"Boolean\"}}}]},{\"name\":\"skip\",\"isRepeatable\":false,\"locations\":[\"FIELD\","
                "\"FRAGMENT_SPREAD\",\"INLINE_FRAGMENT\"],\"args\":[{\"name\":\"if\",\"defaultValue\":null,\"type\":{\"kind\":"
                "\"NON_NULL\",\"ofType\":{\"name\":\"Boolean\"}}}]},{\"name\":\"deprecated\",\"isRepeatable\":false,"
                "\"locations\":[\"FIELD_DEFINITION\",\"ARGUMENT_DEFINITION\",\"INPUT_FIELD_DEFINITION\",\"ENUM_VALUE\"],"
                "\"args\":[{\"name\":\"reason\",\"defaultValue\":\"\\\"No longer supported\\\"\",\"type\":{\"kind\":\"SCALAR\","
                "\"ofType\":null}}]},{\"name\":\"specifiedBy\",\"isRepeatable\":false,\"locations\":[\"SCALAR\"],\"args\":["
                "{\"name\":\"url\",\"defaultValue\":null,\"type\":{\"kind\":\"NON_NULL\",\"ofType\":{\"name\":\"String\"}}}]}]}}}");
}

/* Every type of the schema is listed once, built-ins included. */
static void test_schema_types(void **state)
{
    char *got = toy_run(schema, "{ __schema { types { name } } }", NULL);
    json_t *resp = json_loads(got, 0, NULL), *t;
    const char *want[] = {"Int", "Float", "String", "Boolean", "ID", "__Schema", "__Type", "__TypeKind", "__Field",
                          "__InputValue", "__EnumValue", "__Directive", "__DirectiveLocation", "Date", "Query",
                          "Mutation", "Book", "Author"};
    size_t i, found = 0;
    (void)state;
    json_array_foreach(json_object_get(json_object_get(json_object_get(resp, "data"), "__schema"), "types"), i, t) {
        for (size_t k = 0; k < sizeof want / sizeof want[0]; k++)
            found += strcmp(json_string_value(json_object_get(t, "name")), want[k]) == 0;
    }
    assert_int_equal(found, sizeof want / sizeof want[0]);
    assert_int_equal(i, 34);
    json_decref(resp);
    free(got);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basics),
        cmocka_unit_test(test_variables),
        cmocka_unit_test(test_directives),
        cmocka_unit_test(test_abstract_types),
        cmocka_unit_test(test_null_propagation),
        cmocka_unit_test(test_mutations_in_order),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_field_cap),
        cmocka_unit_test(test_introspection),
        cmocka_unit_test(test_schema_types),
    };
    return cmocka_run_group_tests(tests, toy_setup, toy_teardown);
}
