/*
 * graphql_toy_run.c - runs one GraphQL document (stdin) against the toy
 * schema of graphql_toy.h and prints the response JSON: the driver of the
 * graphql-js introspection check (tests/e2e/test_graphql_introspection.sh)
 * and a hand tool.  Usage: graphql_toy_run [VARIABLES_JSON [OPERATION]].
 */
#include "graphql_toy.h"

#include <stdio.h>
#include <stdlib.h>

#define INPUT_MAX (1024 * 1024)

int main(int argc, char **argv)
{
    static char text[INPUT_MAX];
    size_t len = fread(text, 1, sizeof text, stdin);
    sl_gql_schema *s = toy_schema();
    sl_gql_limits lim = {0};
    toy_ctx ctx = {0};
    json_t *vars = NULL, *resp = NULL;
    sl_error err = {0};
    char *out;
    int rc = 0;
    if (argc > 1) {
        vars = json_loads(argv[1], JSON_DECODE_ANY, NULL);
        if (!vars) {
            fprintf(stderr, "graphql_toy_run: variables are not JSON\n");
            return 2;
        }
    }
    toy_clock_ctx = &ctx;
    if (sl_gql_run(s, text, len, argc > 2 ? argv[2] : NULL, vars, &ctx, &lim, &resp, &err) == SL_ENOMEM) {
        fprintf(stderr, "graphql_toy_run: %s\n", err.message);
        return 1;
    }
    out = json_dumps(resp, JSON_INDENT(1));
    if (out)
        puts(out);
    else
        rc = 1;
    free(out);
    json_decref(resp);
    json_decref(vars);
    sl_gql_schema_free(s);
    return rc;
}
