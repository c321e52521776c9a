/*
 * fuzz_json_plain.c - libFuzzer target for the fast JSON path of the engine
 * (engine/core/json_plain.c), differentially: whatever it accepts,
 * json_loadb() must accept too and build the same tree, member order and
 * repeated keys included (compared as values and as text), within the
 * depth limit.  Inputs it hands back to jansson prove nothing either way.
 */
#include "fuzzutil.h"
#include "core/internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_init_clock();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    json_error_t jerr;
    json_t *plain = sl__json_load_plain(s, size), *ref;
    char *a, *b;
    if (!plain)
        return 0;
    ref = json_loadb(s, size, JSON_DECODE_ANY, &jerr);
    if (!ref) {
        fprintf(stderr, "fuzz: jansson refuses what the fast path took: %s\n", jerr.text);
        fuzz_assert(0, "the fast path accepted JSON that json_loadb() refuses", NULL);
    }
    fuzz_assert(json_equal(plain, ref), "the fast path built another tree", NULL);
    a = json_dumps(plain, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
    b = json_dumps(ref, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
    fuzz_assert(a && b && strcmp(a, b) == 0, "the fast path built another member order", NULL);
    fuzz_assert(sl__json_depth_ok(s, size, SL_JSON_DEPTH_MAX),
                "the fast path accepted JSON nested beyond the limit", NULL);
    free(a);
    free(b);
    json_decref(plain);
    json_decref(ref);
    return 0;
}
