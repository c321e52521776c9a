/*
 * fields.c - fields grouped by response key, in order of first appearance:
 * how the executor builds each object's entries and the analysis merges
 * a key selected twice.  Sorting keeps it n log n where a document selects
 * thousands of fields at one level.
 */
#include "gql_internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct keyed {
    const gql_selection *f;
    size_t order;
} keyed;

const char *gql_response_key(const gql_selection *f)
{
    return f->alias ? f->alias : f->name;
}

static int cmp_keyed(const void *pa, const void *pb)
{
    const keyed *a = pa, *b = pb;
    int c = strcmp(gql_response_key(a->f), gql_response_key(b->f));
    if (c)
        return c;
    return a->order < b->order ? -1 : a->order > b->order;
}

static int cmp_group(const void *pa, const void *pb)
{
    const gql_group *a = pa, *b = pb;
    return a->first < b->first ? -1 : a->first > b->first;
}

int gql_group_fields(const gql_vec *fields, gql_grouping *out)
{
    size_t n = fields->n, i = 0;
    keyed *k = malloc((n ? n : 1) * sizeof *k);
    memset(out, 0, sizeof *out);
    out->sorted = malloc((n ? n : 1) * sizeof *out->sorted);
    out->groups = malloc((n ? n : 1) * sizeof *out->groups);
    if (!k || !out->sorted || !out->groups) {
        free(k);
        gql_grouping_free(out);
        return -1;
    }
    for (size_t j = 0; j < n; j++) {
        k[j].f = fields->items[j];
        k[j].order = j;
    }
    if (n > 1)
        qsort(k, n, sizeof *k, cmp_keyed);
    for (size_t j = 0; j < n; j++)
        out->sorted[j] = k[j].f;
    while (i < n) {
        size_t j = i + 1;
        while (j < n && strcmp(gql_response_key(k[j].f), gql_response_key(k[i].f)) == 0)
            j++;
        out->groups[out->n].fields = &out->sorted[i];
        out->groups[out->n].n = j - i;
        out->groups[out->n].first = k[i].order;
        out->n++;
        i = j;
    }
    free(k);
    if (out->n > 1)
        qsort(out->groups, out->n, sizeof *out->groups, cmp_group);
    return 0;
}

void gql_grouping_free(gql_grouping *g)
{
    free(g->groups);
    free(g->sorted);
    memset(g, 0, sizeof *g);
}
