/*
 * fuzz_graphql.c - libFuzzer target for the GraphQL engine against the toy
 * library schema (tests/unit/graphql_toy.h): parse, validate, coerce
 * variables, analyse, apply GitLab's limits and execute with the toy
 * resolvers.  The input is a document, optionally followed by a line
 * "--vars--" and the variables (JSON; anything else is passed as a JSON
 * string, the other form clients send).  An input that starts with "#SDL\n"
 * is a schema instead, built and, when it builds, asked for its own
 * introspection.  Beyond memory errors it checks that every response is a
 * JSON object with "data" or "errors", that a refused query ran no
 * resolver, that validation reports at most five errors, and that every
 * object handle is freed.
 */
#include "fuzzutil.h"
#include "graphql_toy.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define VARS_MARK "\n--vars--\n"
#define SDL_MARK "#SDL\n"

static sl_gql_schema *schema;
static int64_t fake_clock;

static int64_t fuzz_now(void)
{
    return fake_clock++;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    schema = toy_schema();
    return 0;
}

static const char *find(const char *hay, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++) {
        if (memcmp(hay + i, needle, k) == 0)
            return hay + i;
    }
    return NULL;
}

static void check_response(const json_t *resp, int refused, const toy_ctx *ctx)
{
    char *text;
    json_t *back;
    fuzz_assert(json_is_object(resp), "response is not an object", NULL);
    fuzz_assert(json_object_get(resp, "data") || json_object_get(resp, "errors"), "neither data nor errors", NULL);
    if (refused) {
        fuzz_assert(!json_object_get(resp, "data"), "a refused query has data", NULL);
        fuzz_assert(ctx->resolver_calls == 0 && ctx->counter == 0, "a refused query ran a resolver", NULL);
        fuzz_assert(json_array_size(json_object_get(resp, "errors")) > 0, "refused without an error", NULL);
    }
    fuzz_assert(ctx->handles_alive == 0, "an object handle was not freed", NULL);
    text = json_dumps(resp, JSON_COMPACT);
    fuzz_assert(text != NULL, "response does not serialize", NULL);
    back = json_loads(text, 0, NULL);
    fuzz_assert(back != NULL, "response is not JSON", NULL);
    json_decref(back);
    free(text);
}

static void run_sdl(const char *text, size_t len)
{
    sl_gql_schema *s = NULL;
    sl_error err = {0};
    json_t *resp = NULL;
    static const char q[] = "{ __schema { types { name kind fields(includeDeprecated: true) { name args { name "
                            "defaultValue } type { name ofType { name } } } inputFields { name defaultValue } "
                            "enumValues(includeDeprecated: true) { name } possibleTypes { name } } directives { name } } }";
    if (sl_gql_schema_new(text, len, &s, &err) != SL_OK) {
        fuzz_assert(err.message[0] != '\0', "schema refused without a message", NULL);
        return;
    }
    fuzz_assert(sl_gql_run(s, q, sizeof q - 1, NULL, NULL, NULL, NULL, &resp, &err) == SL_OK, "introspection", &err);
    fuzz_assert(json_object_get(resp, "errors") == NULL, "introspection of a built schema failed", NULL);
    json_decref(resp);
    sl_gql_schema_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data, *mark;
    size_t doc_len = size;
    json_t *vars = NULL, *resp = NULL;
    sl_gql_query *q = NULL;
    sl_gql_limits lim = {20, 300, 2, 30000, fuzz_now};   /* GitLab's authenticated caller */
    toy_ctx ctx = {0};
    sl_error err = {0};
    sl_rc rc;
    if (size >= strlen(SDL_MARK) && memcmp(text, SDL_MARK, strlen(SDL_MARK)) == 0) {
        run_sdl(text + strlen(SDL_MARK), size - strlen(SDL_MARK));
        return 0;
    }
    mark = find(text, size, VARS_MARK);
    if (mark) {
        const char *v = mark + strlen(VARS_MARK);
        size_t vlen = size - (size_t)(v - text);
        doc_len = (size_t)(mark - text);
        vars = json_loadb(v, vlen, JSON_DECODE_ANY, NULL);
        if (!vars)
            vars = json_stringn(v, vlen);
    }
    fake_clock = 0;
    toy_clock_ctx = &ctx;
    rc = sl_gql_query_new(schema, text, doc_len, NULL, vars, &q, &err);
    fuzz_assert(rc != SL_ENOMEM && q != NULL, "query_new failed", &err);
    fuzz_assert((rc == SL_OK) == !sl_gql_query_refused(q), "rc and refusal disagree", NULL);
    /* syntax and validation (no operation selected yet): at most five */
    if (rc != SL_OK && sl_gql_query_op(q) == SL_GQL_OP_NONE)
        fuzz_assert(json_array_size(sl_gql_query_errors(q)) <= SL_GQL_ERRORS_MAX, "more than five errors", NULL);
    fuzz_assert(sl_gql_query_check(q, &lim, -1) != SL_ENOMEM, "check", NULL);
    fuzz_assert(sl_gql_query_execute(q, &ctx, &lim, &resp, &err) == SL_OK, "execute", &err);
    check_response(resp, sl_gql_query_refused(q), &ctx);
    json_decref(resp);
    sl_gql_query_free(q);
    json_decref(vars);
    toy_clock_ctx = NULL;
    return 0;
}
