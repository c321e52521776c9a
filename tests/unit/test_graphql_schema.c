/*
 * test_graphql_schema.c - declaring a schema in SDL and binding it: every
 * type system construct accepted, inconsistent schemas refused with the
 * line and column, coordinates checked when resolvers, scalar parsers and
 * costs are attached, and the defaults of fields without resolvers.
 */
#include "testutil.h"
#include "graphql_toy.h"

static void expect_sdl_error(const char *sdl, sl_rc rc, const char *message)
{
    sl_gql_schema *s = NULL;
    sl_error err = {0};
    assert_int_equal(sl_gql_schema_new(sdl, strlen(sdl), &s, &err), rc);
    assert_null(s);
    assert_string_equal(err.message, message);
}

static void test_sdl_errors(void **state)
{
    (void)state;
    expect_sdl_error("type Query { a: Nope }", SL_EINVAL, "sdl: unknown type 'Nope' at [1, 17]");
    expect_sdl_error("type Query { a: Int }\ntype Query { b: Int }", SL_EINVAL, "sdl: type 'Query' declared twice at [2, 6]");
    expect_sdl_error("type Query { a: Int a: Int }", SL_EINVAL, "sdl: field 'Query.a' declared twice at [1, 21]");
    expect_sdl_error("type Query { a: Int", SL_EINVAL, "sdl: Expected NAME, not end of file at [1, 20]");
    expect_sdl_error("type Query { a(x: Query): Int }", SL_EINVAL,
                     "sdl: argument 'x' of 'Query.a' is not an input type at [1, 19]");
    expect_sdl_error("input I { a: Int } type Query { a: I }", SL_EINVAL, "sdl: field 'Query.a' has input type 'I' at [1, 36]");
    expect_sdl_error("input I { q: Query } type Query { a: Int }", SL_EINVAL,
                     "sdl: input field 'I.q' is not an input type at [1, 14]");
    expect_sdl_error("interface N { id: ID } type Query implements N { a: Int }", SL_EINVAL,
                     "sdl: type 'Query' lacks field 'id' of interface 'N' at [1, 29]");
    expect_sdl_error("type A { a: Int } type Query implements A { a: Int }", SL_EINVAL, "sdl: 'A' is not an interface at [1, 41]");
    expect_sdl_error("union U = Int type Query { a: U }", SL_EINVAL, "sdl: union member 'Int' is not an object type at [1, 11]");
    expect_sdl_error("type Mutation { a: Int }", SL_EINVAL, "sdl: no query type");
    expect_sdl_error("schema { query: Int } type Q { a: Int }", SL_EINVAL, "sdl: root type 'Int' is not an object type at [1, 17]");
    expect_sdl_error("type Query { a: Int } extend type Query { b: Int }", SL_EINVAL,
                     "sdl: type extensions are not supported at [1, 23]");
    expect_sdl_error("type Query { a: Int @auth }", SL_EINVAL, "sdl: unsupported directive @auth here at [1, 21]");
    expect_sdl_error("type Query { __a: Int }", SL_EINVAL, "sdl: name '__a' must not begin with \"__\" at [1, 14]");
    expect_sdl_error("enum E { true } type Query { a: E }", SL_EINVAL, "sdl: enum value 'true' is reserved at [1, 10]");
    expect_sdl_error("type Query { }", SL_EINVAL, "sdl: type 'Query' has no fields at [1, 6]");
    expect_sdl_error("type Query { a: Int } directive @d on NOWHERE", SL_EINVAL,
                     "sdl: unknown directive location 'NOWHERE' at [1, 39]");
    expect_sdl_error("type Query { a: Int } directive @skip on FIELD", SL_EINVAL,
                     "sdl: directive @skip declared twice at [1, 47]");
    expect_sdl_error("type Query { a: Int } \"dangling\"", SL_EINVAL,
                     "sdl: Expected one of SCHEMA, SCALAR, TYPE, ENUM, INPUT, UNION, INTERFACE, not end of file at [1, 33]");
}

static sl_rc answer(const sl_gql_call *call, sl_gql_value **out, sl_error *err)
{
    (void)err;
    if (strcmp(call->field_name, "obj") == 0) {
        /* an object as JSON: its fields read its members */
        *out = sl_gql_value_json(json_pack("{s:i,s:s}", "n", 42, "extra", "x"));
    } else if (strcmp(call->field_name, "handle") == 0) {
        *out = sl_gql_value_object((void *)"h", "Obj", NULL);
    } else if (strcmp(call->field_name, "items") == 0) {
        sl_gql_value *list = sl_gql_value_list();
        sl_gql_value_list_add(list, sl_gql_value_json(json_integer(1)));
        sl_gql_value_list_add(list, sl_gql_value_error("item failed"));
        sl_gql_value_list_add(list, NULL);
        *out = list;
    } else if (strcmp(call->field_name, "grid") == 0) {
        /* [[Obj]]: lists in a list, objects as handles and JSON */
        sl_gql_value *outer = sl_gql_value_list(), *row = sl_gql_value_list();
        sl_gql_value_list_add(row, sl_gql_value_object((void *)"h", "Obj", NULL));
        sl_gql_value_list_add(row, sl_gql_value_json(json_pack("{s:i}", "n", 7)));
        sl_gql_value_list_add(outer, row);
        sl_gql_value_list_add(outer, NULL);
        *out = outer;
    } else if (strcmp(call->field_name, "wrong") == 0) {
        *out = sl_gql_value_json(json_pack("[i]", 1));
    } else {
        *out = sl_gql_value_json(json_string(call->userdata));
    }
    return SL_OK;
}

/* The whole type system language, and fields resolved without resolvers. */
static void test_sdl_constructs(void **state)
{
    static const char sdl[] =
        "\"\"\"\n  The root.\n\"\"\"\n"
        "schema { query: Root }\n"
        "type Root { obj: Obj, handle: Obj, items: [Int], s(a: [Int!] = [1, 2], b: In = {x: 1}): String,"
        " wrong: Int, grid: [[Obj]] }\n"
        "type Obj implements & I { n: Int, missing: String }\n"
        "interface I { n: Int }\n"
        "union U = | Obj\n"
        "input In { x: Int! y: [In] }\n"
        "directive @tag(name: String) repeatable on | FIELD_DEFINITION | OBJECT\n";
    sl_gql_schema *s = NULL;
    sl_error err = {0};
    json_t *resp = NULL;
    char *got;
    const char *q = "{ __schema { description queryType { name } } obj { n missing } handle { n } items s wrong "
                    "__type(name: \"In\") { inputFields { name defaultValue } } grid { __typename missing } }";
    (void)state;
    if (sl_gql_schema_new(sdl, sizeof sdl - 1, &s, &err) != SL_OK)
        fail_msg("%s", err.message);
    assert_int_equal(sl_gql_schema_resolver(s, "Root.*", answer, "root", &err), SL_OK);
    assert_int_equal(sl_gql_run(s, q, strlen(q), NULL, NULL, NULL, NULL, &resp, &err), SL_OK);
    got = json_dumps(resp, JSON_COMPACT);
    assert_string_equal(got,
                        "{\"data\":{\"__schema\":{\"description\":\"The root.\",\"queryType\":{\"name\":\"Root\"}},"
                        "\"obj\":{\"n\":42,\"missing\":null},\"handle\":{\"n\":null},\"items\":[1,null,null],\"s\":\"root\","
                        "\"wrong\":null,\"__type\":{\"inputFields\":[{\"name\":\"x\",\"defaultValue\":null},{\"name\":\"y\","
                        "\"defaultValue\":null}]},\"grid\":[[{\"__typename\":\"Obj\",\"missing\":null},{\"__typename\":"
                        "\"Obj\",\"missing\":null}],null]},\"errors\":[{\"message\":\"Internal error\",\"locations\":[{\"line\":1,"
                        "\"column\":74}],\"path\":[\"handle\",\"n\"]},{\"message\":\"item failed\",\"locations\":[{\"line\":1,"
                        "\"column\":78}],\"path\":[\"items\",1]},{\"message\":\"Int cannot represent value: [1]\",\"locations\":"
                        "[{\"line\":1,\"column\":86}],\"path\":[\"wrong\"]},{\"message\":\"Internal error\",\"locations\":"
                        "[{\"line\":1,\"column\":167}],\"path\":[\"grid\",0,0,\"missing\"]}]}");
    free(got);
    json_decref(resp);
    /* defaults of arguments as GraphQL text */
    q = "{ __type(name: \"Root\") { fields { args { name defaultValue } } } }";
    assert_int_equal(sl_gql_run(s, q, strlen(q), NULL, NULL, NULL, NULL, &resp, &err), SL_OK);
    got = json_dumps(resp, JSON_COMPACT);
    assert_string_equal(got, "{\"data\":{\"__type\":{\"fields\":[{\"args\":[]},{\"args\":[]},{\"args\":[]},{\"args\":["
                             "{\"name\":\"a\",\"defaultValue\":\"[1, 2]\"},{\"name\":\"b\",\"defaultValue\":\"{x: 1}\"}]},"
                             "{\"args\":[]},{\"args\":[]}]}}}");
    free(got);
    json_decref(resp);
    sl_gql_schema_free(s);
}

static void test_coordinates(void **state)
{
    sl_gql_schema *s = toy_schema();
    sl_error err = {0};
    (void)state;
    assert_int_equal(sl_gql_schema_resolver(s, "Nope.x", answer, NULL, &err), SL_ENOTFOUND);
    assert_string_equal(err.message, "no object type 'Nope'");
    assert_int_equal(sl_gql_schema_resolver(s, "Book.nope", answer, NULL, &err), SL_ENOTFOUND);
    assert_string_equal(err.message, "no field 'Book.nope'");
    assert_int_equal(sl_gql_schema_resolver(s, "Book", answer, NULL, &err), SL_EUSAGE);
    assert_string_equal(err.message, "bad coordinate 'Book': want Type.field");
    assert_int_equal(sl_gql_schema_resolver(s, "Genre.x", answer, NULL, &err), SL_ENOTFOUND);
    assert_int_equal(sl_gql_schema_scalar(s, "Int", toy_date, NULL, &err), SL_ENOTFOUND);
    assert_string_equal(err.message, "no custom scalar 'Int'");
    assert_int_equal(sl_gql_schema_cost_arg(s, "Query.books", "first", 1, &err), SL_OK);
    assert_int_equal(sl_gql_schema_cost_arg(s, "Query.books", "last", 1, &err), SL_OK);
    assert_int_equal(sl_gql_schema_cost_arg(s, "Query.books", "after", 1, &err), SL_ETOOBIG);
    sl_gql_schema_free(s);
}

/* The values resolvers build, and their failure paths. */
static void test_values(void **state)
{
    sl_gql_value *list = sl_gql_value_list(), *leaf = sl_gql_value_json(json_integer(1));
    (void)state;
    assert_int_equal(sl_gql_value_list_add(leaf, sl_gql_value_json(NULL)), SL_EUSAGE);
    assert_int_equal(sl_gql_value_list_add(list, leaf), SL_OK);
    for (int i = 0; i < 100; i++)
        assert_int_equal(sl_gql_value_list_add(list, sl_gql_value_error("x")), SL_OK);
    sl_gql_value_free(list);
    sl_gql_value_free(NULL);
    sl_gql_schema_free(NULL);
    sl_gql_query_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sdl_errors),
        cmocka_unit_test(test_sdl_constructs),
        cmocka_unit_test(test_coordinates),
        cmocka_unit_test(test_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
