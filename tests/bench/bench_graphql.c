/*
 * bench_graphql.c - what the GraphQL engine spends before a resolver runs:
 * parse + validate + variables + analysis (sl_gql_query_new) of a
 * realistic 10,000-character query against the toy schema, and of hostile
 * documents of the same size that must be refused quickly; then a
 * realistic 10,000-character query of GitLab's admin pages against the
 * GraphQL API's own schema (server/graphql_api/).  Prints the median and
 * worst time of each over many runs.
 * Usage: bench_graphql [RUNS [FILE...]]   (default 2000 runs; each FILE is
 * a further document measured the same way, e.g. GraphiQL's introspection
 * query)
 */
#include "graphql_toy.h"
#include "graphql_api/graphql_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DOC_MAX 40000

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* A query like a frontend's: aliases, arguments, variables, nested
 * selections and a fragment, grown to `target` characters. */
static size_t realistic(char *buf, size_t target)
{
    size_t n = 0;
    int i = 0;
    const char *tail = "}\nfragment BookFields on Book { id title year price genre inPrint isbn "
                       "reviews(first: 5) { nodes { stars text } pageInfo { hasNextPage endCursor } } }\n";
    n += (size_t)sprintf(buf + n, "query Library($first: Int = 10, $genre: Genre, $withAuthor: Boolean!) {\n");
    while (n + 200 + strlen(tail) < target) {
        n += (size_t)sprintf(buf + n,
                             "  shelf%d: books(first: $first, filter: {genre: $genre, minYear: %d}, sort: TITLE_ASC) {\n"
                             "    count nodes { ...BookFields author @include(if: $withAuthor) { name born } }\n"
                             "    pageInfo { hasNextPage endCursor }\n  }\n", i, 1800 + i);
        i++;
    }
    while (n + strlen(tail) < target - 1)
        buf[n++] = ' ';
    n += (size_t)sprintf(buf + n, "%s", tail);
    return n;
}

static size_t nested(char *buf, size_t target)
{
    size_t n = 0;
    while (n + 2 < target) {
        buf[n++] = '{';
        buf[n++] = 'a';
    }
    return n;
}

static size_t many_tokens(char *buf, size_t target)
{
    size_t n = 0;
    buf[n++] = '{';
    while (n + 2 < target) {
        buf[n++] = 'a';
        buf[n++] = ' ';
    }
    buf[n++] = '}';
    return n;
}

/* Fragments that each spread the next twice: 2^99 fields if expanded. */
static size_t fragment_bomb(char *buf, size_t target)
{
    size_t n = (size_t)sprintf(buf, "{ ...F0 }\n");
    for (int i = 0; i < 99 && n + 80 < target; i++)
        n += (size_t)sprintf(buf + n, "fragment F%d on Query { ...F%d a%d: greeting ...F%d }\n", i, i + 1, i, i + 1);
    n += (size_t)sprintf(buf + n, "fragment F99 on Query { greeting }\n");
    return n;
}

/* The same long field name selected in 190 aliases, each with big args:
 * field-merging work. */
static size_t merge_heavy(char *buf, size_t target)
{
    size_t n = (size_t)sprintf(buf, "{");
    for (int i = 0; i < 190 && n + 60 < target; i++)
        n += (size_t)sprintf(buf + n, " x: echo(value: 1, values: [1,2,3], s: \"aaaaaaaa\")");
    n += (size_t)sprintf(buf + n, " }");
    return n;
}

/* The admin pages' documents, as one query grown to `target` characters:
 * the subscription page's license fields and history, the usage quotas'
 * eligible users with their assignments, under aliases. */
static size_t api_realistic(char *buf, size_t target)
{
    size_t n = 0;
    int i = 0;
    const char *tail = "}\nfragment License on CurrentLicense { id type plan name email company startsAt "
                       "expiresAt activatedAt lastSync usersInLicenseCount billableUsersCount maximumUserCount "
                       "usersOverLicenseCount }\nfragment PageInfo on PageInfo { hasNextPage hasPreviousPage "
                       "startCursor endCursor }\n";
    n += (size_t)sprintf(buf + n, "query AdminPages($purchases: [GitlabSubscriptionsAddOnPurchaseID!]!, "
                                  "$sort: GitlabSubscriptionsUserSort!, $after: String) {\n");
    while (n + 400 + strlen(tail) < target) {
        n += (size_t)sprintf(buf + n,
                             "  l%d: currentLicense { ...License }\n"
                             "  h%d: licenseHistoryEntries(first: %d) { nodes { id type plan usersInLicenseCount "
                             "startsAt expiresAt } }\n"
                             "  u%d: selfManagedAddOnEligibleUsers(addOnType: CODE_SUGGESTIONS, addOnPurchaseIds: "
                             "$purchases, sort: $sort, first: 20, after: $after) { nodes { id username name "
                             "lastActivityOn addOnAssignments(addOnPurchaseIds: $purchases) { nodes { addOnPurchase "
                             "{ name } } } } pageInfo { ...PageInfo } }\n", i, i, 1 + i % 20, i);
        i++;
    }
    while (n + strlen(tail) < target - 1)
        buf[n++] = ' ';
    n += (size_t)sprintf(buf + n, "%s", tail);
    return n;
}

static void bench(const sl_gql_schema *s, const char *name, const char *doc, size_t len, int runs,
                  const json_t *vars)
{
    double *t = malloc((size_t)runs * sizeof *t);
    sl_gql_query *q = NULL;
    const char *first = "ready";
    for (int r = 0; r < runs; r++) {
        double t0 = now_us();
        sl_rc rc = sl_gql_query_new(s, doc, len, NULL, vars, &q, NULL);
        t[r] = now_us() - t0;
        if (r == 0 && rc != SL_OK)
            first = json_string_value(json_object_get(json_array_get(sl_gql_query_errors(q), 0), "message"));
        if (r == 0)
            printf("%-16s %5zu chars  complexity %ld depth %d: %.60s\n", name, len,
                   sl_gql_query_complexity(q), sl_gql_query_depth(q), first);
        sl_gql_query_free(q);
    }
    qsort(t, (size_t)runs, sizeof *t, cmp_double);
    printf("%-16s median %.1f us  p99 %.1f us  max %.1f us\n", name, t[runs / 2], t[runs * 99 / 100],
           t[runs - 1]);
    free(t);
}

int main(int argc, char **argv)
{
    static char doc[DOC_MAX];
    int runs = argc > 1 ? atoi(argv[1]) : 2000;
    sl_gql_schema *s = toy_schema();
    json_t *vars = json_pack("{s:s,s:b}", "genre", "FICTION", "withAuthor", 1);
    size_t n;
    if (runs < 1)
        runs = 1;
    n = realistic(doc, 10000);
    bench(s, "realistic", doc, n, runs, vars);
    n = nested(doc, 10000);
    bench(s, "nested", doc, n, runs, NULL);
    n = many_tokens(doc, 10000);
    bench(s, "tokens", doc, n, runs, NULL);
    n = fragment_bomb(doc, 10000);
    bench(s, "fragment-bomb", doc, n, runs, NULL);
    n = merge_heavy(doc, 10000);
    bench(s, "merge-heavy", doc, n, runs, NULL);
    memset(doc, 'a', 10001);
    bench(s, "too-large", doc, 10001, runs, NULL);
    {
        const sl_gql_schema *api = NULL;
        json_t *api_vars = json_pack("{s:[s],s:s}", "purchases",
                                     "gid://gitlab/GitlabSubscriptions::AddOnPurchase/1", "sort", "NAME_ASC");
        if (sl_graphql_schema(&api, NULL) == SL_OK) {
            n = api_realistic(doc, 10000);
            bench(api, "api-realistic", doc, n, runs, api_vars);
        }
        json_decref(api_vars);
    }
    for (int i = 2; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (!f) {
            perror(argv[i]);
            continue;
        }
        n = fread(doc, 1, sizeof doc, f);
        fclose(f);
        bench(s, strrchr(argv[i], '/') ? strrchr(argv[i], '/') + 1 : argv[i], doc, n, runs, NULL);
    }
    json_decref(vars);
    sl_gql_schema_free(s);
    return 0;
}
