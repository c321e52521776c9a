/*
 * fuzz_chart_render.c - libFuzzer target for the usage chart's SVG writer
 * (engine/report/chart_svg.c), which writes text from license keys
 * (licensee name, company, plan) and a caller's title into XML.  The input
 * becomes a series: a flags byte, width and height, four NUL-ended texts
 * (name, company, plan, title), then 16-byte points (time step, count,
 * snapshots).  Beyond memory errors and undefined behaviour it checks that
 * the document is well-formed XML (balanced tags, quoted attributes, only
 * the five entities we write, UTF-8 without the characters XML forbids) and
 * that the same series renders the same bytes twice.
 */
#include "fuzzutil.h"
#include "report/report_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DEPTH_MAX 16
#define NAME_MAX_LEN 32

typedef struct reader {
    const uint8_t *p;
    size_t n;
} reader;

static uint64_t take(reader *r, size_t bytes)
{
    uint64_t v = 0;
    for (size_t i = 0; i < bytes; i++) {
        v = (v << 8) | (r->n ? *r->p : 0);
        if (r->n) {
            r->p++;
            r->n--;
        }
    }
    return v;
}

/* A NUL-ended text from the input (the rest when no NUL); caller frees. */
static char *take_text(reader *r)
{
    size_t len = 0;
    char *s;
    while (len < r->n && r->p[len])
        len++;
    s = malloc(len + 1);
    fuzz_assert(s != NULL, "out of memory", NULL);
    memcpy(s, r->p, len);
    s[len] = '\0';
    r->p += len < r->n ? len + 1 : len;
    r->n -= len < r->n ? len + 1 : len;
    return s;
}

/* ---- a small XML well-formedness check ---------------------------------- */

/* UTF-8 throughout, and no character XML 1.0 forbids or we never write
 * (controls but tab, newline and carriage return; U+FFFE, U+FFFF). */
static int utf8_ok(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        uint32_t v;
        size_t k = sl__utf8_decode(s + i, n - i, &v);
        if (k == 0 || (v < 0x20 && v != '\n' && v != '\t' && v != '\r') ||
            v == 0xFFFE || v == 0xFFFF)
            return 0;
        i += k;
    }
    return 1;
}

static int entity_ok(const char *s)
{
    static const char *const ok[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&#39;"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        if (strncmp(s, ok[i], strlen(ok[i])) == 0)
            return (int)strlen(ok[i]);
    }
    return 0;
}

static int name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == ':' || c == '_';
}

static void assert_xml(const char *s, size_t n)
{
    char stack[DEPTH_MAX][NAME_MAX_LEN];
    int depth = 0, roots = 0;
    size_t i = 0;
    fuzz_assert(strlen(s) == n, "svg: length", NULL);
    fuzz_assert(utf8_ok((const unsigned char *)s, n), "svg: not UTF-8 or a forbidden character", NULL);
    while (i < n) {
        if (s[i] == '&') {
            int e = entity_ok(s + i);
            fuzz_assert(e > 0, "svg: bare ampersand in text", NULL);
            i += (size_t)e;
        } else if (s[i] == '>') {
            fuzz_assert(0, "svg: bare '>' in text", NULL);
        } else if (s[i] != '<') {
            fuzz_assert(depth > 0 || s[i] == '\n', "svg: text outside the root", NULL);
            i++;
        } else if (s[i + 1] == '/') {
            size_t k = 0;
            i += 2;
            while (name_char(s[i]) && k < NAME_MAX_LEN - 1)
                k++, i++;
            fuzz_assert(depth > 0 && strlen(stack[depth - 1]) == k &&
                        strncmp(stack[depth - 1], s + i - k, k) == 0, "svg: unbalanced end tag", NULL);
            fuzz_assert(s[i] == '>', "svg: end tag", NULL);
            depth--;
            i++;
        } else {
            size_t k = 0;
            char name[NAME_MAX_LEN];
            i++;
            while (name_char(s[i]) && k < NAME_MAX_LEN - 1)
                name[k++] = s[i++];
            name[k] = '\0';
            fuzz_assert(k > 0, "svg: tag without a name", NULL);
            for (;;) {
                while (s[i] == ' ')
                    i++;
                if (s[i] == '>' || (s[i] == '/' && s[i + 1] == '>'))
                    break;
                fuzz_assert(name_char(s[i]), "svg: attribute name", NULL);
                while (name_char(s[i]))
                    i++;
                fuzz_assert(s[i] == '=' && s[i + 1] == '"', "svg: unquoted attribute", NULL);
                i += 2;
                while (i < n && s[i] != '"') {
                    fuzz_assert(s[i] != '<', "svg: '<' in an attribute", NULL);
                    if (s[i] == '&') {
                        int e = entity_ok(s + i);
                        fuzz_assert(e > 0, "svg: bare ampersand in an attribute", NULL);
                        i += (size_t)e;
                    } else {
                        i++;
                    }
                }
                fuzz_assert(i < n, "svg: attribute runs to the end", NULL);
                i++;
            }
            if (depth == 0)
                roots++;
            if (s[i] == '/') {
                i += 2;
            } else {
                fuzz_assert(depth < DEPTH_MAX, "svg: too deep", NULL);
                memcpy(stack[depth++], name, k + 1);
                i++;
            }
        }
    }
    fuzz_assert(depth == 0 && roots == 1, "svg: one root, all tags closed", NULL);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_init_clock();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    reader r = {data, size};
    sl_chart_series s;
    sl_chart_options o;
    sl_error err = {0};
    char *title, *svg = NULL, *again = NULL;
    size_t len = 0, len2 = 0, cap;
    unsigned flags = (unsigned)take(&r, 1);
    int64_t at, span;
    sl_rc rc;

    memset(&s, 0, sizeof s);
    sl_chart_options_init(&o);
    o.focusable = flags & 1;
    o.width = SL_CHART_WIDTH_MIN + (int)(take(&r, 2) % (SL_CHART_SIZE_MAX - SL_CHART_WIDTH_MIN + 1));
    o.height = SL_CHART_HEIGHT_MIN + (int)(take(&r, 2) % (SL_CHART_SIZE_MAX - SL_CHART_HEIGHT_MIN + 1));
    s.has_license = (flags >> 1) & 1;
    s.unit = (sl_chart_unit)((flags >> 4) % 7);
    s.licensee_name = take_text(&r);
    s.licensee_company = take_text(&r);
    s.plan = take_text(&r);
    title = take_text(&r);
    o.title = (flags & 0x80) ? title : NULL;
    s.seats = (flags & 4) ? (int64_t)take(&r, 8) : SL_COUNT_NONE;
    s.starts_on = (int32_t)(take(&r, 2) + 20000);
    s.expires_on = (flags & 8) ? s.starts_on + 365 : SL_DATE_NONE;

    s.from_ms = sl_date_to_ms(20000) + (int64_t)take(&r, 4);
    cap = r.n / 16 < SL_CHART_POINTS_MAX ? r.n / 16 : SL_CHART_POINTS_MAX;
    s.points = calloc(cap ? cap : 1, sizeof *s.points);
    fuzz_assert(s.points != NULL, "out of memory", NULL);
    at = s.from_ms;
    for (size_t i = 0; i < cap; i++) {
        sl_chart_point *p = &s.points[i];
        at += (int64_t)take(&r, 4);
        p->at_ms = at;
        p->first_day = sl__chart_bucket_start(s.unit, sl_ms_to_date(at));
        p->billable = (int64_t)take(&r, 8);
        p->snapshots = (int64_t)take(&r, 4);
        sl__chart_point_label(s.unit, p->at_ms, p->first_day, p->label, sizeof p->label);
        if (p->billable > s.points[s.max_index].billable)
            s.max_index = i;
        s.snapshots += p->snapshots;
    }
    s.count = cap;
    span = at - s.from_ms;
    s.to_ms = at + (span > 0 ? span / 8 : 86400000);
    if (s.has_license && s.seats != SL_COUNT_NONE && (flags & 0x40)) {
        s.has_seat_line = 1;
        s.seat_from_ms = s.from_ms + span / 3;
        s.seat_to_ms = s.to_ms;
        for (size_t i = 0; i < cap; i++) {
            sl_chart_point *p = &s.points[i];
            if (p->at_ms >= s.seat_from_ms && p->billable > s.seats &&
                !__builtin_sub_overflow(p->billable, s.seats, &p->over)) {
                s.over_count++;
                s.over_max = p->over > s.over_max ? p->over : s.over_max;
            }
        }
    }

    rc = sl_chart_render(&s, &o, &svg, &len, &err);
    if (o.title && strlen(o.title) > SL_CHART_TITLE_MAX) {
        fuzz_assert(rc == SL_ETOOBIG, "a long title is refused", &err);
    } else {
        fuzz_assert(rc == SL_OK, "render", &err);
        assert_xml(svg, len);
        fuzz_assert(sl_chart_render(&s, &o, &again, &len2, &err) == SL_OK, "render again", &err);
        fuzz_assert(len == len2 && memcmp(svg, again, len) == 0, "same series, same bytes", NULL);
    }
    sl_free(svg);
    sl_free(again);
    free(title);
    free(s.points);
    free(s.licensee_name);
    free(s.licensee_company);
    free(s.plan);
    return 0;
}
