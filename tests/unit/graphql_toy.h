/*
 * graphql_toy.h - a small library schema (books, authors, reviews) bound to
 * the generic GraphQL engine, for its unit tests, its fuzz target and the
 * introspection driver.  Header-only: each program includes it once.
 * Books are served as JSON objects, authors as object handles with a free
 * function, so both ways of returning objects are exercised.
 */
#ifndef SL_GRAPHQL_TOY_H
#define SL_GRAPHQL_TOY_H

#include "graphql.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* not every program that includes this uses every helper */
#pragma GCC diagnostic ignored "-Wunused-function"

static const char toy_sdl[] =
    "\"A library of books.\"\n"
    "schema { query: Query mutation: Mutation }\n"
    "\"A calendar date, YYYY-MM-DD.\"\n"
    "scalar Date @specifiedBy(url: \"https://example.com/date\")\n"
    "interface Node { id: ID! }\n"
    "interface Named { name: String! }\n"
    "\"Someone who wrote books.\"\n"
    "type Author implements Node & Named {\n"
    "  id: ID!\n"
    "  name: String!\n"
    "  born: Date\n"
    "  books(first: Int, last: Int): [Book!]!\n"
    "}\n"
    "type Book implements Node {\n"
    "  id: ID!\n"
    "  \"\"\"\n"
    "    The title, as printed.\n"
    "      Indented line.\n"
    "  \"\"\"\n"
    "  title: String!\n"
    "  year: Int\n"
    "  price: Float\n"
    "  inPrint: Boolean!\n"
    "  genre: Genre\n"
    "  author: Author!\n"
    "  isbn: String @deprecated(reason: \"Use id\")\n"
    "  reviews(first: Int, after: String): ReviewConnection\n"
    "}\n"
    "type Review { stars: Int! text: String }\n"
    "type ReviewEdge { cursor: String! node: Review }\n"
    "type PageInfo { hasNextPage: Boolean! endCursor: String }\n"
    "type ReviewConnection { edges: [ReviewEdge] nodes: [Review] pageInfo: PageInfo! }\n"
    "union SearchResult = Book | Author\n"
    "enum Genre { FICTION POETRY HISTORY \"Science\" SCIENCE OLD_STUFF @deprecated }\n"
    "enum BookSort { TITLE_ASC TITLE_DESC }\n"
    "input AuthorFilter { name: String! }\n"
    "input BookFilter { genre: Genre, minYear: Int = 1900, titleContains: String,"
    " author: AuthorFilter, oldField: Int @deprecated(reason: \"gone\") }\n"
    "input AddBookInput { clientMutationId: String title: String! authorId: ID! year: Int"
    " genre: Genre = FICTION tags: [String!] }\n"
    "type AddBookPayload { clientMutationId: String book: Book errors: [String!]! }\n"
    "type BookEdge { cursor: String! node: Book }\n"
    "type BookConnection { edges: [BookEdge] nodes: [Book] pageInfo: PageInfo! count: Int! }\n"
    "type ComplexityInfo { score: Int limit: Int }\n"
    "type Query {\n"
    "  book(id: ID!): Book\n"
    "  books(filter: BookFilter, search: String, sort: BookSort, first: Int, last: Int,"
    " after: String): BookConnection\n"
    "  allBooks: [Book!]!\n"
    "  authors: [Author]\n"
    "  node(id: ID!): Node\n"
    "  search(text: String!): [SearchResult!]!\n"
    "  greeting(name: String = \"world\"): String!\n"
    "  echo(value: Int, values: [Int], filter: BookFilter, date: Date, flag: Boolean,"
    " f: Float, id: ID, genre: Genre, nonNull: Int! = 7, matrix: [[Int]], s: String): String\n"
    "  failing: String\n"
    "  failingNonNull: String!\n"
    "  slow: Int\n"
    "  badInt: Int\n"
    "  complexity: ComplexityInfo\n"
    "  oldField(x: Int @deprecated(reason: \"no x\")): Int @deprecated\n"
    "  pair(a: Int!, b: String!, c: Int): String\n"
    "}\n"
    "type Mutation {\n"
    "  addBook(input: AddBookInput!): AddBookPayload\n"
    "  counter: Int!\n"
    "}\n";

typedef struct toy_author {
    const char *id, *name, *born;
} toy_author;

static const toy_author toy_authors[] = {
    {"a1", "Ada Lovelace", "1815-12-10"},
    {"a2", "Jorge Luis Borges", "1899-08-24"},
    {"a3", "Emily Dickinson", NULL},
};

static const char toy_books_json[] =
    "[{\"__typename\":\"Book\",\"id\":\"b1\",\"title\":\"Notes on the Engine\",\"year\":1843,"
    "\"price\":12.5,\"inPrint\":true,\"genre\":\"SCIENCE\",\"authorId\":\"a1\",\"isbn\":\"111\"},"
    "{\"__typename\":\"Book\",\"id\":\"b2\",\"title\":\"Ficciones\",\"year\":1944,"
    "\"price\":9,\"inPrint\":true,\"genre\":\"FICTION\",\"authorId\":\"a2\",\"isbn\":null},"
    "{\"__typename\":\"Book\",\"id\":\"b3\",\"title\":\"Poems\",\"year\":1890,"
    "\"price\":null,\"inPrint\":false,\"genre\":\"POETRY\",\"authorId\":\"a3\"},"
    "{\"__typename\":\"Book\",\"id\":\"b4\",\"title\":\"The Aleph\",\"year\":null,"
    "\"inPrint\":null,\"genre\":\"NOT_A_GENRE\",\"authorId\":\"a2\"}]";

/* What a request of the toy schema carries in its context. */
typedef struct toy_ctx {
    int counter;                 /* Mutation.counter */
    int64_t clock_ms;            /* the fake clock Query.slow advances */
    int resolver_calls;
    int handles_alive;           /* author handles not yet freed */
    long limit;                  /* for Query.complexity */
} toy_ctx;

static json_t *toy_books;        /* parsed once */
static toy_ctx *toy_clock_ctx;   /* whose clock toy_now reads */

static int64_t toy_now(void)
{
    return toy_clock_ctx ? toy_clock_ctx->clock_ms : 0;
}

static void toy_author_free(void *p)
{
    toy_ctx *c = toy_clock_ctx;
    (void)p;
    if (c)
        c->handles_alive--;
}

static sl_gql_value *toy_author_value(const sl_gql_call *call, const char *id, int with_type)
{
    toy_ctx *c = call->context;
    for (size_t i = 0; i < sizeof toy_authors / sizeof toy_authors[0]; i++) {
        if (strcmp(toy_authors[i].id, id) == 0) {
            if (c)
                c->handles_alive++;
            return sl_gql_value_object((void *)&toy_authors[i], with_type ? "Author" : NULL,
                                       toy_author_free);
        }
    }
    return NULL;
}

static sl_gql_value *toy_book_list(const char *author_id, long first)
{
    sl_gql_value *list = sl_gql_value_list();
    size_t i;
    long n = 0;
    json_t *b;
    json_array_foreach(toy_books, i, b) {
        if (author_id && strcmp(json_string_value(json_object_get(b, "authorId")), author_id) != 0)
            continue;
        if (first >= 0 && n >= first)
            break;
        sl_gql_value_list_add(list, sl_gql_value_json(json_incref(b)));
        n++;
    }
    return list;
}

static sl_rc toy_query(const sl_gql_call *call, sl_gql_value **out, sl_error *err)
{
    toy_ctx *c = call->context;
    const char *f = call->field_name;
    if (c)
        c->resolver_calls++;
    if (strcmp(f, "book") == 0) {
        size_t i;
        json_t *b;
        const char *id = json_string_value(json_object_get(call->args, "id"));
        json_array_foreach(toy_books, i, b) {
            if (strcmp(json_string_value(json_object_get(b, "id")), id) == 0) {
                *out = sl_gql_value_json(json_incref(b));
                return SL_OK;
            }
        }
        return SL_OK;
    }
    if (strcmp(f, "books") == 0) {
        json_t *filter = json_object_get(call->args, "filter");
        json_t *conn = json_object(), *nodes = json_array(), *edges = json_array(), *b;
        size_t i;
        long first = json_is_integer(json_object_get(call->args, "first"))
                         ? (long)json_integer_value(json_object_get(call->args, "first")) : 100;
        json_array_foreach(toy_books, i, b) {
            json_t *genre = json_object_get(filter, "genre");
            if (genre && !json_is_null(genre) && !json_equal(genre, json_object_get(b, "genre")))
                continue;
            if ((long)json_array_size(nodes) >= first)
                break;
            json_array_append(nodes, b);
            json_array_append_new(edges, json_pack("{s:s,s:O}", "cursor", json_string_value(json_object_get(b, "id")),
                                                   "node", b));
        }
        json_object_set_new(conn, "count", json_integer((json_int_t)json_array_size(nodes)));
        json_object_set_new(conn, "nodes", nodes);
        json_object_set_new(conn, "edges", edges);
        json_object_set_new(conn, "pageInfo", json_pack("{s:b,s:n}", "hasNextPage", 0, "endCursor"));
        *out = sl_gql_value_json(conn);
        return SL_OK;
    }
    if (strcmp(f, "allBooks") == 0) {
        *out = toy_book_list(NULL, -1);
        return SL_OK;
    }
    if (strcmp(f, "authors") == 0) {
        sl_gql_value *list = sl_gql_value_list();
        for (size_t i = 0; i < sizeof toy_authors / sizeof toy_authors[0]; i++)
            sl_gql_value_list_add(list, toy_author_value(call, toy_authors[i].id, 1));
        sl_gql_value_list_add(list, NULL);
        *out = list;
        return SL_OK;
    }
    if (strcmp(f, "node") == 0 || strcmp(f, "search") == 0) {
        /* node: the first match of the id; search: every match of text */
        int node = strcmp(f, "node") == 0;
        const char *id = json_string_value(json_object_get(call->args, node ? "id" : "text"));
        sl_gql_value *list = node ? NULL : sl_gql_value_list();
        size_t i;
        json_t *b;
        json_array_foreach(toy_books, i, b) {
            if (!strstr(json_string_value(json_object_get(b, "id")), id))
                continue;
            if (node) {
                *out = sl_gql_value_json(json_incref(b));
                return SL_OK;
            }
            sl_gql_value_list_add(list, sl_gql_value_json(json_incref(b)));
        }
        for (i = 0; i < sizeof toy_authors / sizeof toy_authors[0]; i++) {
            if (!strstr(toy_authors[i].id, id))
                continue;
            if (node) {
                *out = toy_author_value(call, toy_authors[i].id, 0);
                return SL_OK;
            }
            sl_gql_value_list_add(list, toy_author_value(call, toy_authors[i].id, 0));
        }
        *out = list;
        return SL_OK;
    }
    if (strcmp(f, "greeting") == 0) {
        char buf[256];
        snprintf(buf, sizeof buf, "Hello, %s!", json_string_value(json_object_get(call->args, "name")));
        *out = sl_gql_value_json(json_string(buf));
        return SL_OK;
    }
    if (strcmp(f, "echo") == 0) {
        char *s = json_dumps(call->args, JSON_COMPACT | JSON_ENCODE_ANY);
        *out = sl_gql_value_json(json_string(s));
        free(s);
        return SL_OK;
    }
    if (strcmp(f, "failing") == 0 || strcmp(f, "failingNonNull") == 0)
        return sl_error_set(err, SL_EINVAL, "boom");
    if (strcmp(f, "slow") == 0) {
        if (c)
            c->clock_ms += 20000;
        *out = sl_gql_value_json(json_integer(1));
        return SL_OK;
    }
    if (strcmp(f, "badInt") == 0) {
        *out = sl_gql_value_json(json_integer(3000000000LL));
        return SL_OK;
    }
    if (strcmp(f, "complexity") == 0) {
        *out = sl_gql_value_json(json_pack("{s:I,s:I}", "score", (json_int_t)sl_gql_query_complexity(call->query),
                                           "limit", (json_int_t)sl_gql_query_complexity_limit(call->query)));
        return SL_OK;
    }
    if (strcmp(f, "pair") == 0) {
        *out = sl_gql_value_json(json_string("pair"));
        return SL_OK;
    }
    if (strcmp(f, "oldField") == 0) {
        *out = sl_gql_value_json(json_integer(1));
        return SL_OK;
    }
    return sl_error_set(err, SL_EINTERNAL, "no such field");
}

static sl_rc toy_author_field(const sl_gql_call *call, sl_gql_value **out, sl_error *err)
{
    const toy_author *a = call->parent;
    const char *f = call->field_name;
    (void)err;
    if (strcmp(f, "id") == 0)
        *out = sl_gql_value_json(json_string(a->id));
    else if (strcmp(f, "name") == 0)
        *out = sl_gql_value_json(json_string(a->name));
    else if (strcmp(f, "born") == 0)
        *out = a->born ? sl_gql_value_json(json_string(a->born)) : NULL;
    else {
        json_t *first = json_object_get(call->args, "first");
        *out = toy_book_list(a->id, json_is_integer(first) ? (long)json_integer_value(first) : -1);
    }
    return SL_OK;
}

static sl_rc toy_book_author(const sl_gql_call *call, sl_gql_value **out, sl_error *err)
{
    const json_t *book = call->parent;
    (void)err;
    *out = toy_author_value(call, json_string_value(json_object_get(book, "authorId")), 1);
    return SL_OK;
}

static sl_rc toy_book_reviews(const sl_gql_call *call, sl_gql_value **out, sl_error *err)
{
    (void)call;
    (void)err;
    *out = sl_gql_value_json(json_pack(
        "{s:[{s:s,s:{s:i,s:s}}],s:[{s:i,s:n}],s:{s:b,s:s}}", "edges", "cursor", "r1", "node", "stars", 5,
        "text", "great", "nodes", "stars", 4, "text", "pageInfo", "hasNextPage", 1, "endCursor", "r1"));
    return SL_OK;
}

static sl_rc toy_mutation(const sl_gql_call *call, sl_gql_value **out, sl_error *err)
{
    toy_ctx *c = call->context;
    (void)err;
    if (strcmp(call->field_name, "counter") == 0) {
        *out = sl_gql_value_json(json_integer(c ? ++c->counter : 0));
        return SL_OK;
    }
    {
        json_t *in = json_object_get(call->args, "input");
        json_t *book = json_pack("{s:s,s:s,s:O,s:O,s:b,s:s}", "__typename", "Book", "id", "b9", "title",
                                 json_object_get(in, "title"), "genre", json_object_get(in, "genre"),
                                 "inPrint", 1, "authorId", json_string_value(json_object_get(in, "authorId")));
        json_t *payload = json_pack("{s:O,s:o,s:[]}", "clientMutationId",
                                    json_object_get(in, "clientMutationId") ? json_object_get(in, "clientMutationId")
                                                                            : json_null(),
                                    "book", book, "errors");
        if (c)
            c->counter += 100;
        *out = sl_gql_value_json(payload);
    }
    return SL_OK;
}

/* Custom scalar Date: "YYYY-MM-DD" strings only. */
static sl_rc toy_date(const json_t *in, json_t **out, void *ud, sl_error *err)
{
    const char *s = json_string_value(in);
    (void)ud;
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return sl_error_set(err, SL_EINVAL, "Date must be YYYY-MM-DD");
    *out = json_string(s);
    return SL_OK;
}

static const char *toy_resolve_type(const void *obj, const char *abstract_type, void *ud)
{
    (void)abstract_type;
    (void)ud;
    for (size_t i = 0; i < sizeof toy_authors / sizeof toy_authors[0]; i++) {
        if (obj == &toy_authors[i])
            return "Author";
    }
    return NULL;
}

/* The schema with everything attached; aborts on a binding mistake. */
static sl_gql_schema *toy_schema(void)
{
    sl_gql_schema *s = NULL;
    sl_error err = {0};
    int bad = 0;
    if (!toy_books)
        toy_books = json_loads(toy_books_json, 0, NULL);
    if (sl_gql_schema_new(toy_sdl, sizeof toy_sdl - 1, &s, &err) != SL_OK) {
        fprintf(stderr, "toy schema: %s\n", err.message);
        abort();
    }
    bad |= sl_gql_schema_resolver(s, "Query.*", toy_query, NULL, &err) != SL_OK;
    bad |= sl_gql_schema_resolver(s, "Mutation.*", toy_mutation, NULL, &err) != SL_OK;
    bad |= sl_gql_schema_resolver(s, "Author.*", toy_author_field, NULL, &err) != SL_OK;
    bad |= sl_gql_schema_resolver(s, "Book.author", toy_book_author, NULL, &err) != SL_OK;
    bad |= sl_gql_schema_resolver(s, "Book.reviews", toy_book_reviews, NULL, &err) != SL_OK;
    bad |= sl_gql_schema_scalar(s, "Date", toy_date, NULL, &err) != SL_OK;
    bad |= sl_gql_schema_cost_arg(s, "Query.books", "search", 5, &err) != SL_OK;
    bad |= sl_gql_schema_cost_arg(s, "Query.books", "sort", 1, &err) != SL_OK;
    bad |= sl_gql_schema_cost_page(s, "Query.books", 100, &err) != SL_OK;
    bad |= sl_gql_schema_cost_page(s, "Book.reviews", 100, &err) != SL_OK;
    sl_gql_schema_type_resolver(s, toy_resolve_type, NULL);
    if (bad) {
        fprintf(stderr, "toy schema: %s\n", err.message);
        abort();
    }
    return s;
}

/* cmocka group setup and teardown of the unit tests: the schema in
 * toy_test_schema. */
static sl_gql_schema *toy_test_schema;

static int toy_setup(void **state)
{
    (void)state;
    toy_test_schema = toy_schema();
    return 0;
}

static int toy_teardown(void **state)
{
    (void)state;
    sl_gql_schema_free(toy_test_schema);
    toy_test_schema = NULL;
    json_decref(toy_books);
    toy_books = NULL;
    return 0;
}

/* Run a document (NUL-terminated) with variables given as JSON text (NULL:
 * none) and optional limits; the response as compact JSON (caller frees),
 * or NULL when the engine ran out of memory. */
static char *toy_run_limits(const sl_gql_schema *s, const char *query, const char *vars_json,
                            const sl_gql_limits *lim, toy_ctx *ctx)
{
    json_t *vars = vars_json ? json_loads(vars_json, JSON_DECODE_ANY, NULL) : NULL;
    json_t *resp = NULL;
    toy_ctx local = {0};
    char *out = NULL;
    if (!ctx)
        ctx = &local;
    toy_clock_ctx = ctx;
    if (sl_gql_run(s, query, strlen(query), NULL, vars, ctx, lim, &resp, NULL) != SL_ENOMEM)
        out = json_dumps(resp, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(resp);
    json_decref(vars);
    toy_clock_ctx = NULL;
    return out;
}

static char *toy_run(const sl_gql_schema *s, const char *query, const char *vars_json)
{
    return toy_run_limits(s, query, vars_json, NULL, NULL);
}

#endif
