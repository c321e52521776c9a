/*
 * report/chart_svg.c - the usage chart as an SVG document: layout, legend,
 * axes, the billable line and its points, the seat limit, the area above it
 * and the historical maximum, with every text escaped for XML.  A pure
 * function of the series and the options (chart_series.c makes the series).
 */
#include "report/report_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Hard cap of a document: SL_CHART_POINTS_MAX points with their titles make
 * about 120 KB (tests/unit/test_chart.c measures the worst case), so going
 * over it is a bug reported as SL_ETOOBIG, never a truncated file. */
#define SVG_MAX (1024 * 1024)
#define TEXT_MAX (16 * 1024)            /* the desc and the subtitle, before escaping */
#define TAG_MAX 512                     /* one formatted tag (texts go through put_text) */
#define DEFAULT_TITLE "Billable users"
#define NAME_CHARS_MAX 60               /* a licensee name or company in the texts */

/* Colours, with their contrast against the white background (WCAG 2.1:
 * 4.5:1 for text, 3:1 for the lines and marks that carry meaning). */
#define C_BACKGROUND "#ffffff"
#define C_TEXT "#1f2937"                /* 14.7:1 */
#define C_MUTED "#4b5563"               /* 7.6:1: axes, captions, empty message */
#define C_GRID "#e5e7eb"                /* decorative */
#define C_BILLABLE "#1d4ed8"            /* 6.7:1, solid line, round points */
#define C_SEATS "#b91c1c"               /* 6.5:1, dashed line */
#define C_MAX "#6d28d9"                 /* 7.1:1, diamond */
#define C_OVER_FILL "#fecaca"           /* under C_SEATS hatching */
#define SEATS_DASH "8 4"
/* labels over the line or the hatching keep a white outline to stay legible */
#define HALO " stroke=\"" C_BACKGROUND "\" stroke-width=\"3\" stroke-linejoin=\"round\" paint-order=\"stroke\""

#define FONT "DejaVu Sans, Verdana, Arial, sans-serif"
#define FONT_PX 12.0
#define CHAR_EM 0.62                    /* average advance of DejaVu Sans, for layout */
#define TITLE_PX 18.0
#define SUBTITLE_PX 13.0
#define MARGIN 16.0
#define LEGEND_TOP 62.0                 /* first legend row's centre */
#define LEGEND_ROW_PX 20.0
#define LEGEND_SYMBOL_PX 28.0
#define LEGEND_GAP_PX 22.0
#define PLOT_GAP_TOP 14.0
#define PLOT_GAP_BOTTOM 46.0            /* date labels and the caption below the plot */
#define Y_CAPTION_PX 20.0
#define Y_TICKS_TARGET 5
#define POINT_R 3.0
#define MARKER_SPACING_PX 8.0           /* points closer than this on average are drawn as the line only */
#define MAX_MARK_PX 7.0
#define SINGLE_OVER_PX 6.0              /* width of the overage of a lone point */

/* ---- the output buffer --------------------------------------------------- */

typedef struct svg {
    sl_buf b;
    sl_rc rc;
} svg;

static void put(svg *w, const char *s)
{
    if (w->rc == SL_OK)
        w->rc = sl__buf_append(&w->b, s, strlen(s));
}

static void putf(svg *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(svg *w, const char *fmt, ...)
{
    char tmp[TAG_MAX];
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp) {
        if (w->rc == SL_OK)
            w->rc = SL_EINTERNAL;
        return;
    }
    put(w, tmp);
}

/* A coordinate with at most one decimal, written without printf's locale:
 * "12", "12.5", "-3.1". */
typedef struct numtxt {
    char s[24];
} numtxt;

static numtxt N(double v)
{
    numtxt t;
    long long tenths;
    int neg;
    if (!(v > -1e7))   /* also NaN */
        v = -1e7;
    if (v > 1e7)
        v = 1e7;
    tenths = llround(v * 10);
    neg = tenths < 0;
    if (neg)
        tenths = -tenths;
    if (tenths % 10)
        snprintf(t.s, sizeof t.s, "%s%lld.%lld", neg ? "-" : "", tenths / 10, tenths % 10);
    else
        snprintf(t.s, sizeof t.s, "%s%lld", neg ? "-" : "", tenths / 10);
    return t;
}

/* ---- text ---------------------------------------------------------------- */

/* One character of UTF-8 at s: its code point, or U+FFFD for a byte that
 * does not start a well-formed sequence (then one byte is consumed). */
static size_t utf8_next(const unsigned char *s, size_t len, uint32_t *cp)
{
    size_t n = sl__utf8_decode(s, len, cp);
    if (n == 0) {
        *cp = 0xFFFD;
        return 1;
    }
    return n;
}

static size_t utf8_chars(const char *s)
{
    size_t n = 0, len = strlen(s);
    uint32_t cp;
    for (size_t i = 0; i < len; n++)
        i += utf8_next((const unsigned char *)s + i, len - i, &cp);
    return n;
}

/* One character as XML writes it, into u (at least 7 bytes); its length. */
static size_t xml_char(uint32_t cp, char *u)
{
    static const char *const ent[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&#39;"};
    const char *e = NULL;
    switch (cp) {
    case '&': e = ent[0]; break;
    case '<': e = ent[1]; break;
    case '>': e = ent[2]; break;
    case '"': e = ent[3]; break;
    case '\'': e = ent[4]; break;
    case '\t': case '\n': case '\r': cp = ' '; break;
    default: break;
    }
    if (e) {
        memcpy(u, e, strlen(e));
        return strlen(e);
    }
    /* what XML 1.0 cannot hold (controls) or should not (C1, U+FFFE/U+FFFF) */
    if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0xFFFE || cp == 0xFFFF)
        cp = 0xFFFD;
    if (cp < 0x80) {
        u[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6)), u[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12)), u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    u[0] = (char)(0xF0 | (cp >> 18)), u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    u[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), u[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* s as XML character data (also fit for an attribute value), at most
 * max_chars characters: a longer text is cut and ends in an ellipsis.
 * Written in chunks, not a character at a time. */
static void put_text(svg *w, const char *s, size_t max_chars)
{
    char chunk[256];
    size_t len = strlen(s), total = utf8_chars(s), keep = total, chars = 0, n = 0;
    uint32_t cp;
    if (max_chars == 0 || w->rc != SL_OK)
        return;
    if (total > max_chars)
        keep = max_chars - 1;
    for (size_t i = 0; i < len && chars < keep; chars++) {
        i += utf8_next((const unsigned char *)s + i, len - i, &cp);
        if (n + 8 > sizeof chunk) {
            w->rc = sl__buf_append(&w->b, chunk, n);
            n = 0;
        }
        n += xml_char(cp, chunk + n);
    }
    if (keep < total) {
        memcpy(chunk + n, "\xE2\x80\xA6", 3);
        n += 3;
    }
    if (w->rc == SL_OK)
        w->rc = sl__buf_append(&w->b, chunk, n);
}

/* Append s to b cut to max_chars characters (raw: put_text escapes later). */
static sl_rc append_cut(sl_buf *b, const char *s, size_t max_chars)
{
    size_t len = strlen(s), i = 0, chars = 0;
    uint32_t cp;
    if (utf8_chars(s) <= max_chars)
        return sl__buf_append(b, s, len);
    while (i < len && chars + 1 < max_chars) {
        i += utf8_next((const unsigned char *)s + i, len - i, &cp);
        chars++;
    }
    if (sl__buf_append(b, s, i) != SL_OK)
        return SL_ETOOBIG;
    return sl__buf_append(b, "\xE2\x80\xA6", 3);
}

static const char *plural(int64_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

static char *count_text(int64_t n, char *buf, size_t size)
{
    return sl_format_count(n, buf, size);
}

/* "Ada (Example Corp)", "Example Corp", "an unnamed licensee" */
static sl_rc append_licensee(sl_buf *b, const sl_chart_series *s)
{
    sl_rc rc = SL_OK;
    const char *name = s->licensee_name && *s->licensee_name ? s->licensee_name : NULL;
    const char *company = s->licensee_company && *s->licensee_company ? s->licensee_company : NULL;
    if (name)
        rc = append_cut(b, name, NAME_CHARS_MAX);
    if (rc == SL_OK && company) {
        rc = sl__buf_append(b, name ? " (" : "", name ? 2 : 0);
        if (rc == SL_OK)
            rc = append_cut(b, company, NAME_CHARS_MAX);
        if (rc == SL_OK && name)
            rc = sl__buf_append(b, ")", 1);
    }
    if (rc == SL_OK && !name && !company)
        rc = sl__buf_printf(b, "an unnamed licensee");
    return rc;
}

/* "2026-01-01 to 2026-12-31", "from 2026-01-01, no expiry" */
static sl_rc append_term(sl_buf *b, const sl_chart_series *s)
{
    char a[16], e[16];
    if (s->starts_on == SL_DATE_NONE && s->expires_on == SL_DATE_NONE)
        return sl__buf_printf(b, "no start or expiry date");
    if (s->expires_on == SL_DATE_NONE)
        return sl__buf_printf(b, "from %s, no expiry", sl_date_format(s->starts_on, a, sizeof a));
    if (s->starts_on == SL_DATE_NONE)
        return sl__buf_printf(b, "until %s", sl_date_format(s->expires_on, e, sizeof e));
    return sl__buf_printf(b, "%s to %s", sl_date_format(s->starts_on, a, sizeof a),
                          sl_date_format(s->expires_on, e, sizeof e));
}

/* Who holds the license and its terms, the parts joined by sep: the line
 * under the title (" \xC2\xB7 ") and a sentence of the desc (", "). */
static sl_rc compose_license(sl_buf *b, const sl_chart_series *s, const char *sep)
{
    char n[32];
    sl_rc rc;
    if (!s->has_license)
        return sl__buf_printf(b, "No current license");
    rc = sl__buf_printf(b, "Licensed to ");
    if (rc == SL_OK)
        rc = append_licensee(b, s);
    if (rc == SL_OK)
        rc = sl__buf_printf(b, "%s", sep);
    if (rc == SL_OK)
        rc = append_cut(b, s->plan ? s->plan : "no plan", NAME_CHARS_MAX);
    if (rc == SL_OK) {
        if (s->seats == SL_COUNT_NONE)
            rc = sl__buf_printf(b, "%sunlimited seats%s", sep, sep);
        else
            rc = sl__buf_printf(b, "%s%s %s%s", sep, count_text(s->seats, n, sizeof n),
                                plural(s->seats, "seat", "seats"), sep);
    }
    if (rc == SL_OK)
        rc = append_term(b, s);
    return rc;
}

/* The chart in words: what a screen reader says and an auditor can quote. */
static sl_rc compose_desc(sl_buf *b, const sl_chart_series *s)
{
    char a[32], e[32], n[32], m[32];
    sl_rc rc = sl__buf_printf(b, "Billable users from %s to %s (UTC). ",
                              sl_date_format(sl_ms_to_date(s->from_ms), a, sizeof a),
                              sl_date_format(sl_ms_to_date(s->to_ms), e, sizeof e));
    if (rc == SL_OK)
        rc = compose_license(b, s, ", ");
    if (rc == SL_OK)
        rc = sl__buf_printf(b, ". ");
    if (rc != SL_OK)
        return rc;
    if (s->count == 0) {
        rc = sl__buf_printf(b, "No snapshots in this window. ");
    } else {
        const sl_chart_point *hi = &s->points[s->max_index], *last = &s->points[s->count - 1];
        if (s->unit == SL_CHART_SNAPSHOT)
            rc = sl__buf_printf(b, "%s %s, one point each. ", count_text(s->snapshots, n, sizeof n),
                                plural(s->snapshots, "snapshot", "snapshots"));
        else
            rc = sl__buf_printf(b, "%s snapshots, drawn as the highest count of each %s "
                                "(%zu %s). ", count_text(s->snapshots, n, sizeof n),
                                sl_chart_unit_name(s->unit), s->count,
                                plural((int64_t)s->count, "point", "points"));
        if (rc == SL_OK)
            rc = sl__buf_printf(b, "Highest: %s billable %s (%s). Latest: %s billable %s (%s). ",
                                count_text(hi->billable, n, sizeof n),
                                plural(hi->billable, "user", "users"), hi->label,
                                count_text(last->billable, m, sizeof m),
                                plural(last->billable, "user", "users"), last->label);
    }
    if (rc != SL_OK)
        return rc;
    if (s->has_seat_line) {
        rc = sl__buf_printf(b, "Seat limit: %s from %s to %s. ", count_text(s->seats, n, sizeof n),
                            sl_date_format(sl_ms_to_date(s->seat_from_ms), a, sizeof a),
                            sl_date_format(sl_ms_to_date(s->seat_to_ms), e, sizeof e));
        if (rc == SL_OK && s->count > 0 && s->over_count > 0)
            rc = sl__buf_printf(b, "Above the seat limit at %zu of %zu %s, by up to %s %s. ",
                                s->over_count, s->count, plural((int64_t)s->count, "point", "points"),
                                count_text(s->over_max, n, sizeof n),
                                plural(s->over_max, "user", "users"));
        else if (rc == SL_OK && s->count > 0)
            rc = sl__buf_printf(b, "Never above the seat limit. ");
    } else if (s->has_license && s->seats == SL_COUNT_NONE) {
        rc = sl__buf_printf(b, "No seat limit: the license is unlimited. ");
    } else if (s->has_license) {
        rc = sl__buf_printf(b, "The license's term lies outside this window: no seat limit is drawn. ");
    }
    /* no trailing blank */
    while (rc == SL_OK && b->len > 0 && b->data[b->len - 1] == ' ')
        b->data[--b->len] = '\0';
    return rc;
}

/* ---- layout -------------------------------------------------------------- */

typedef enum { SYM_LINE, SYM_DASH, SYM_DIAMOND, SYM_HATCH } symbol;

#define LEGEND_ITEMS 4

typedef struct legend_item {
    symbol sym;
    char text[96];
    double x, y;   /* symbol's left end, row centre */
} legend_item;

typedef struct layout {
    double w, h, char_px;
    double left, right, top, bottom;   /* the plot area */
    int64_t from, to;
    sl_chart_count_axis y;
    legend_item legend[LEGEND_ITEMS];
    size_t legend_count;
    const char *id;
} layout;

static double text_px(const char *s, double font_px)
{
    return (double)utf8_chars(s) * font_px * CHAR_EM;
}

static double X(const layout *L, int64_t ms)
{
    double span = L->to > L->from ? (double)(L->to - L->from) : 1.0;
    return L->left + (double)(ms - L->from) / span * (L->right - L->left);
}

static double Y(const layout *L, double v)
{
    return L->bottom - (v - L->y.lo) / (L->y.hi - L->y.lo) * (L->bottom - L->top);
}

static void legend_add(layout *L, symbol sym, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void legend_add(layout *L, symbol sym, const char *fmt, ...)
{
    va_list ap;
    legend_item *it = &L->legend[L->legend_count++];
    it->sym = sym;
    va_start(ap, fmt);
    vsnprintf(it->text, sizeof it->text, fmt, ap);
    va_end(ap);
}

/* Legend items left to right, wrapping into rows; returns the last row's centre. */
static double legend_place(layout *L)
{
    double x = MARGIN, y = LEGEND_TOP;
    for (size_t i = 0; i < L->legend_count; i++) {
        legend_item *it = &L->legend[i];
        double wd = LEGEND_SYMBOL_PX + 6 + text_px(it->text, FONT_PX);
        if (x > MARGIN && x + wd > L->w - MARGIN) {
            x = MARGIN;
            y += LEGEND_ROW_PX;
        }
        it->x = x;
        it->y = y;
        x += wd + LEGEND_GAP_PX;
    }
    return y;
}

static void make_layout(layout *L, const sl_chart_series *s, const sl_chart_options *o)
{
    char n[32], t[48];
    double vmin = 0, vmax = 0, label_w = 0;
    memset(L, 0, sizeof *L);
    L->w = o->width;
    L->h = o->height;
    L->char_px = FONT_PX * CHAR_EM;
    L->from = s->from_ms;
    L->to = s->to_ms;
    L->id = o->id_prefix;

    legend_add(L, SYM_LINE, "Billable users");
    /* without a seat limit line the subtitle and the desc say why */
    if (s->has_seat_line)
        legend_add(L, SYM_DASH, "Seat limit (%s)", count_text(s->seats, n, sizeof n));
    if (s->count > 0)
        legend_add(L, SYM_DIAMOND, "Historical maximum (%s)",
                   count_text(s->points[s->max_index].billable, n, sizeof n));
    if (s->has_seat_line) {
        if (s->over_count > 0)
            legend_add(L, SYM_HATCH, "Above the seat limit (up to %s)",
                       count_text(s->over_max, n, sizeof n));
        else
            legend_add(L, SYM_HATCH, "Above the seat limit (never)");
    }
    L->top = legend_place(L) + LEGEND_ROW_PX / 2 + PLOT_GAP_TOP;
    L->bottom = L->h - PLOT_GAP_BOTTOM;
    if (L->bottom - L->top < 40)   /* the smallest sizes with a wrapped legend */
        L->top = L->bottom - 40;

    for (size_t i = 0; i < s->count; i++) {
        double v = (double)s->points[i].billable;
        vmin = v < vmin ? v : vmin;
        vmax = v > vmax ? v : vmax;
    }
    if (s->has_seat_line) {
        vmin = (double)s->seats < vmin ? (double)s->seats : vmin;
        vmax = (double)s->seats > vmax ? (double)s->seats : vmax;
    }
    sl__chart_count_axis(vmin, vmax, Y_TICKS_TARGET, &L->y);
    for (size_t i = 0; i < L->y.count; i++) {
        double wd = text_px(sl__chart_count_text(L->y.lo + (double)i * L->y.step, t, sizeof t), FONT_PX);
        label_w = wd > label_w ? wd : label_w;
    }
    L->left = MARGIN + Y_CAPTION_PX + label_w + 10;
    L->right = L->w - MARGIN - 8;
    if (L->right - L->left < 40)
        L->left = L->right - 40;
}

/* ---- drawing ------------------------------------------------------------- */

static void draw_symbol(svg *w, const layout *L, const legend_item *it)
{
    double x = it->x, y = it->y, m = x + LEGEND_SYMBOL_PX / 2;
    switch (it->sym) {
    case SYM_LINE:
        putf(w, "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"" C_BILLABLE
             "\" stroke-width=\"2\"/><circle cx=\"%s\" cy=\"%s\" r=\"%s\" fill=\"" C_BILLABLE "\"/>",
             N(x).s, N(y).s, N(x + LEGEND_SYMBOL_PX).s, N(y).s, N(m).s, N(y).s, N(POINT_R).s);
        break;
    case SYM_DASH:
        putf(w, "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"" C_SEATS
             "\" stroke-width=\"2\" stroke-dasharray=\"" SEATS_DASH "\"/>",
             N(x).s, N(y).s, N(x + LEGEND_SYMBOL_PX).s, N(y).s);
        break;
    case SYM_DIAMOND:
        putf(w, "<path d=\"M%s %sL%s %sL%s %sL%s %sZ\" fill=\"" C_MAX "\"/>",
             N(m).s, N(y - MAX_MARK_PX).s, N(m + MAX_MARK_PX).s, N(y).s, N(m).s,
             N(y + MAX_MARK_PX).s, N(m - MAX_MARK_PX).s, N(y).s);
        break;
    case SYM_HATCH:
    default:
        putf(w, "<rect x=\"%s\" y=\"%s\" width=\"%s\" height=\"12\" fill=\"url(#%s-hatch)\" "
             "stroke=\"" C_SEATS "\"/>", N(x).s, N(y - 6).s, N(LEGEND_SYMBOL_PX).s, L->id);
        break;
    }
}

static void draw_legend(svg *w, const layout *L)
{
    put(w, "<g class=\"sl-legend\">\n");
    for (size_t i = 0; i < L->legend_count; i++) {
        const legend_item *it = &L->legend[i];
        double tx = it->x + LEGEND_SYMBOL_PX + 6;
        draw_symbol(w, L, it);
        putf(w, "<text x=\"%s\" y=\"%s\">", N(tx).s, N(it->y + 4).s);
        put_text(w, it->text, SIZE_MAX);
        put(w, "</text>\n");
    }
    put(w, "</g>\n");
}

static void draw_axes(svg *w, const layout *L)
{
    sl_chart_date_ticks dt;
    char t[48];
    sl__chart_date_ticks(L->from, L->to, L->right - L->left, L->char_px, &dt);
    /* grid */
    put(w, "<g class=\"sl-grid\" stroke=\"" C_GRID "\" stroke-width=\"1\">\n");
    for (size_t i = 0; i < L->y.count; i++) {
        double y = Y(L, L->y.lo + (double)i * L->y.step);
        putf(w, "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\"/>\n", N(L->left).s, N(y).s,
             N(L->right).s, N(y).s);
    }
    for (size_t i = 0; i < dt.count; i++) {
        double x = X(L, dt.at_ms[i]);
        putf(w, "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\"/>\n", N(x).s, N(L->top).s, N(x).s,
             N(L->bottom).s);
    }
    put(w, "</g>\n");
    /* axis lines and tick marks */
    putf(w, "<g class=\"sl-axes\" stroke=\"" C_MUTED "\" stroke-width=\"1\">\n"
         "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\"/>\n"
         "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\"/>\n",
         N(L->left).s, N(L->top).s, N(L->left).s, N(L->bottom).s,
         N(L->left).s, N(L->bottom).s, N(L->right).s, N(L->bottom).s);
    for (size_t i = 0; i < dt.count; i++) {
        double x = X(L, dt.at_ms[i]);
        putf(w, "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\"/>\n", N(x).s, N(L->bottom).s,
             N(x).s, N(L->bottom + 5).s);
    }
    put(w, "</g>\n");
    /* count labels */
    put(w, "<g class=\"sl-axis-y\" text-anchor=\"end\" fill=\"" C_TEXT "\">\n");
    for (size_t i = 0; i < L->y.count; i++) {
        double y = Y(L, L->y.lo + (double)i * L->y.step);
        putf(w, "<text x=\"%s\" y=\"%s\">", N(L->left - 6).s, N(y + 4).s);
        put_text(w, sl__chart_count_text(L->y.lo + (double)i * L->y.step, t, sizeof t), SIZE_MAX);
        put(w, "</text>\n");
    }
    put(w, "</g>\n");
    /* date labels, kept inside the picture */
    putf(w, "<g class=\"sl-axis-x\" text-anchor=\"middle\" fill=\"" C_TEXT "\" data-step=\"%s\">\n",
         dt.step);
    for (size_t i = 0; i < dt.count; i++) {
        double half = text_px(dt.label[i], FONT_PX) / 2, x = X(L, dt.at_ms[i]);
        if (x - half < 2)
            x = 2 + half;
        if (x + half > L->w - 2)
            x = L->w - 2 - half;
        putf(w, "<text x=\"%s\" y=\"%s\">", N(x).s, N(L->bottom + 19).s);
        put_text(w, dt.label[i], SIZE_MAX);
        put(w, "</text>\n");
    }
    put(w, "</g>\n");
    /* captions */
    putf(w, "<text class=\"sl-caption\" x=\"%s\" y=\"%s\" text-anchor=\"middle\" fill=\"" C_MUTED
         "\">Date (UTC)</text>\n", N((L->left + L->right) / 2).s, N(L->h - 8).s);
    putf(w, "<text class=\"sl-caption\" transform=\"rotate(-90)\" x=\"%s\" y=\"%s\" "
         "text-anchor=\"middle\" fill=\"" C_MUTED "\">Billable users</text>\n",
         N(-(L->top + L->bottom) / 2).s, N(MARGIN + 8).s);
}

typedef struct pt {
    double x, y;
} pt;

/* The area between the billable line and the seat limit where the line is
 * above it, inside the seat limit's span: one closed polygon per stretch. */
static void draw_overage(svg *w, const layout *L, const sl_chart_series *s)
{
    double xs, xe, ys;
    int open = 0;
    pt last = {0, 0};
    if (!s->has_seat_line || s->over_count == 0)
        return;
    xs = X(L, s->seat_from_ms);
    xe = X(L, s->seat_to_ms);
    ys = Y(L, (double)s->seats);
    putf(w, "<path class=\"sl-overage\" fill=\"url(#%s-hatch)\" stroke=\"none\" d=\"", L->id);
    if (s->count == 1) {
        const sl_chart_point *p = &s->points[0];
        double x = X(L, p->at_ms), y = Y(L, (double)p->billable);
        putf(w, "M%s %sL%s %sL%s %sL%s %sZ", N(x - SINGLE_OVER_PX / 2).s, N(ys).s,
             N(x - SINGLE_OVER_PX / 2).s, N(y).s, N(x + SINGLE_OVER_PX / 2).s, N(y).s,
             N(x + SINGLE_OVER_PX / 2).s, N(ys).s);
    }
    for (size_t i = 0; s->count > 1 && i + 1 < s->count; i++) {
        pt a = {X(L, s->points[i].at_ms), Y(L, (double)s->points[i].billable)};
        pt b = {X(L, s->points[i + 1].at_ms), Y(L, (double)s->points[i + 1].billable)};
        int aa, ba;
        /* clip the segment to [xs, xe] */
        if (b.x < xs || a.x > xe)
            continue;
        if (b.x > a.x) {
            pt a0 = a, b0 = b;
            if (a.x < xs)
                a = (pt){xs, a0.y + (xs - a0.x) / (b0.x - a0.x) * (b0.y - a0.y)};
            if (b.x > xe)
                b = (pt){xe, a0.y + (xe - a0.x) / (b0.x - a0.x) * (b0.y - a0.y)};
        }
        aa = a.y < ys;
        ba = b.y < ys;
        if (!open && aa) {
            putf(w, "M%s %sL%s %s", N(a.x).s, N(ys).s, N(a.x).s, N(a.y).s);
            open = 1;
        }
        if (aa && ba) {
            putf(w, "L%s %s", N(b.x).s, N(b.y).s);
        } else if (aa != ba) {
            double cx = a.x + (ys - a.y) / (b.y - a.y) * (b.x - a.x);
            if (aa) {
                putf(w, "L%s %sZ", N(cx).s, N(ys).s);
                open = 0;
            } else {
                putf(w, "M%s %sL%s %s", N(cx).s, N(ys).s, N(b.x).s, N(b.y).s);
                open = 1;
            }
        }
        last = b;
    }
    if (open)
        putf(w, "L%s %sZ", N(last.x).s, N(ys).s);
    put(w, "\"/>\n");
}

static void draw_seats(svg *w, const layout *L, const sl_chart_series *s)
{
    char n[32], label[64];
    double xs, xe, ys, tw, tx, ty;
    const char *anchor = "end";
    int below = 0;
    if (!s->has_seat_line)
        return;
    xs = X(L, s->seat_from_ms);
    xe = X(L, s->seat_to_ms);
    ys = Y(L, (double)s->seats);
    putf(w, "<line class=\"sl-seats\" x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"" C_SEATS
         "\" stroke-width=\"2\" stroke-dasharray=\"" SEATS_DASH "\"/>\n",
         N(xs).s, N(ys).s, N(xe).s, N(ys).s);
    snprintf(label, sizeof label, "Seat limit: %s", count_text(s->seats, n, sizeof n));
    tw = text_px(label, FONT_PX);
    tx = xe - 4;
    if (tx - tw < L->left) {
        tx = xs + 4;
        anchor = "start";
    }
    /* on the side of the line away from the data at that end, so the label
     * meets neither the line nor the maximum's label */
    for (size_t i = s->count; i-- > 0;) {
        const sl_chart_point *p = &s->points[i];
        if (p->at_ms >= s->seat_from_ms && p->at_ms <= s->seat_to_ms) {
            below = p->billable > s->seats;
            break;
        }
    }
    if (below && ys + 16 > L->bottom - 2)
        below = 0;
    if (!below && ys - 6 < L->top + 12)
        below = 1;
    ty = below ? ys + 16 : ys - 6;
    putf(w, "<text class=\"sl-seats-label\" x=\"%s\" y=\"%s\" text-anchor=\"%s\" fill=\"" C_SEATS
         "\"" HALO ">", N(tx).s, N(ty).s, anchor);
    put_text(w, label, SIZE_MAX);
    put(w, "</text>\n");
}

/* The text of one point: its title, and its aria-label in the console. */
static void point_text(const sl_chart_series *s, const sl_chart_point *p, char *buf, size_t size)
{
    char n[32], o[32], k[32];
    int len = snprintf(buf, size, "%s: %s billable %s", p->label, count_text(p->billable, n, sizeof n),
                       plural(p->billable, "user", "users"));
    if (len > 0 && (size_t)len < size && s->unit != SL_CHART_SNAPSHOT)
        len += snprintf(buf + len, size - (size_t)len, " (highest of %s %s)",
                        count_text(p->snapshots, k, sizeof k), plural(p->snapshots, "snapshot", "snapshots"));
    if (len > 0 && (size_t)len < size && p->over > 0)
        snprintf(buf + len, size - (size_t)len, ", %s over the seat limit",
                 count_text(p->over, o, sizeof o));
}

static void draw_line(svg *w, const layout *L, const sl_chart_series *s, int focusable)
{
    char text[160];
    /* the average distance between neighbours where the points are */
    int visible = s->count <= 1 ||
                  (X(L, s->points[s->count - 1].at_ms) - X(L, s->points[0].at_ms)) /
                          (double)(s->count - 1) >= MARKER_SPACING_PX;
    if (s->count > 1) {
        put(w, "<polyline class=\"sl-billable\" fill=\"none\" stroke=\"" C_BILLABLE
            "\" stroke-width=\"2\" stroke-linejoin=\"round\" points=\"");
        for (size_t i = 0; i < s->count; i++)
            putf(w, "%s%s,%s", i ? " " : "", N(X(L, s->points[i].at_ms)).s,
                 N(Y(L, (double)s->points[i].billable)).s);
        put(w, "\"/>\n");
    }
    /* one group per point: its title shows on hover; in the console each is
     * also a tab stop.  Too dense to see, the markers stay as hover targets. */
    putf(w, "<g class=\"sl-points\" fill=\"" C_BILLABLE "\"%s>\n",
         visible ? "" : " fill-opacity=\"0\"");
    for (size_t i = 0; i < s->count; i++) {
        const sl_chart_point *p = &s->points[i];
        point_text(s, p, text, sizeof text);
        put(w, "<g class=\"sl-pt\"");
        if (focusable) {
            put(w, " tabindex=\"0\" role=\"img\" aria-label=\"");
            put_text(w, text, SIZE_MAX);
            put(w, "\"");
        }
        put(w, "><title>");
        put_text(w, text, SIZE_MAX);
        putf(w, "</title><circle cx=\"%s\" cy=\"%s\" r=\"%s\"/></g>\n",
             N(X(L, p->at_ms)).s, N(Y(L, (double)p->billable)).s, N(POINT_R).s);
    }
    put(w, "</g>\n");
}

static void draw_max(svg *w, const layout *L, const sl_chart_series *s)
{
    const sl_chart_point *p;
    char n[32], label[64];
    double x, y, tw, tx, ty;
    const char *anchor = "middle";
    if (s->count == 0)
        return;
    p = &s->points[s->max_index];
    x = X(L, p->at_ms);
    y = Y(L, (double)p->billable);
    putf(w, "<g class=\"sl-max\"><path d=\"M%s %sL%s %sL%s %sL%s %sZ\" fill=\"" C_MAX
         "\" stroke=\"" C_BACKGROUND "\" stroke-width=\"1\"/>",
         N(x).s, N(y - MAX_MARK_PX).s, N(x + MAX_MARK_PX).s, N(y).s, N(x).s,
         N(y + MAX_MARK_PX).s, N(x - MAX_MARK_PX).s, N(y).s);
    snprintf(label, sizeof label, "Max %s", count_text(p->billable, n, sizeof n));
    tw = text_px(label, FONT_PX);
    /* above the mark; where the plot ends there, to its right (the line
     * comes from the left), else below it */
    tx = x;
    ty = y - MAX_MARK_PX - 5;
    if (ty < L->top + 10 && x + MAX_MARK_PX + 4 + tw <= L->right) {
        tx = x + MAX_MARK_PX + 4;
        ty = y + 4;
        anchor = "start";
    } else {
        if (ty < L->top + 10)
            ty = y + MAX_MARK_PX + 14;
        if (x - tw / 2 < L->left) {
            tx = x + MAX_MARK_PX;
            anchor = "start";
        } else if (x + tw / 2 > L->right) {
            tx = x - MAX_MARK_PX;
            anchor = "end";
        }
    }
    putf(w, "<text x=\"%s\" y=\"%s\" text-anchor=\"%s\" fill=\"" C_MAX "\" font-weight=\"bold\"" HALO ">",
         N(tx).s, N(ty).s, anchor);
    put_text(w, label, SIZE_MAX);
    put(w, "</text></g>\n");
}

sl_rc sl_chart_render(const sl_chart_series *s, const sl_chart_options *opt,
                      char **out_svg, size_t *out_len, sl_error *err)
{
    sl_chart_options o;
    sl_buf sub, desc;
    layout L;
    svg w;
    const char *title;
    sl_rc rc;

    *out_svg = NULL;
    if (out_len)
        *out_len = 0;
    rc = sl__chart_options_resolve(opt, &o, err);
    if (rc != SL_OK)
        return rc;
    if (!s || (s->count > 0 && (!s->points || s->max_index >= s->count)))
        return sl__err(err, SL_EUSAGE, "the chart's series is malformed");
    title = o.title ? o.title : DEFAULT_TITLE;
    sl__buf_init(&w.b, SVG_MAX);
    sl__buf_init(&sub, TEXT_MAX);
    sl__buf_init(&desc, TEXT_MAX);
    w.rc = compose_license(&sub, s, " \xC2\xB7 ");
    if (w.rc == SL_OK)
        w.rc = compose_desc(&desc, s);
    make_layout(&L, s, &o);

    putf(&w, "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" "
         "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"%s\" aria-labelledby=\"%s-title %s-desc\" "
         "font-family=\"" FONT "\" font-size=\"%s\" fill=\"" C_TEXT "\">\n",
         o.width, o.height, o.width, o.height, o.focusable ? "group" : "img",
         o.id_prefix, o.id_prefix, N(FONT_PX).s);
    putf(&w, "<title id=\"%s-title\">", o.id_prefix);
    put_text(&w, title, SIZE_MAX);
    putf(&w, "</title>\n<desc id=\"%s-desc\">", o.id_prefix);
    put_text(&w, desc.data ? desc.data : "", SIZE_MAX);
    put(&w, "</desc>\n");
    putf(&w, "<defs><pattern id=\"%s-hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
         "patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"" C_OVER_FILL "\"/>"
         "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"" C_SEATS "\" stroke-width=\"1.5\"/>"
         "</pattern></defs>\n", o.id_prefix);
    putf(&w, "<rect width=\"%d\" height=\"%d\" fill=\"" C_BACKGROUND "\"/>\n", o.width, o.height);
    putf(&w, "<text class=\"sl-title\" x=\"%s\" y=\"%s\" font-size=\"%s\" font-weight=\"bold\">",
         N(MARGIN).s, N(MARGIN + TITLE_PX - 4).s, N(TITLE_PX).s);
    put_text(&w, title, (size_t)((L.w - 2 * MARGIN) / (TITLE_PX * CHAR_EM)));
    putf(&w, "</text>\n<text class=\"sl-subtitle\" x=\"%s\" y=\"%s\" font-size=\"%s\">",
         N(MARGIN).s, N(MARGIN + TITLE_PX + 16).s, N(SUBTITLE_PX).s);
    put_text(&w, sub.data ? sub.data : "", (size_t)((L.w - 2 * MARGIN) / (SUBTITLE_PX * CHAR_EM)));
    put(&w, "</text>\n");
    draw_legend(&w, &L);
    draw_axes(&w, &L);
    draw_overage(&w, &L, s);
    draw_seats(&w, &L, s);
    draw_line(&w, &L, s, o.focusable);
    draw_max(&w, &L, s);
    if (s->count == 0)
        putf(&w, "<text class=\"sl-empty\" x=\"%s\" y=\"%s\" text-anchor=\"middle\" font-size=\"14\" "
             "fill=\"" C_MUTED "\">No snapshots in this window</text>\n",
             N((L.left + L.right) / 2).s, N((L.top + L.bottom) / 2).s);
    put(&w, "</svg>\n");

    rc = w.rc;
    if (rc == SL_ETOOBIG)
        rc = sl__err(err, rc, "the chart is larger than %d bytes", SVG_MAX);
    else if (rc == SL_ENOMEM)
        rc = sl__err(err, rc, "out of memory");
    else if (rc != SL_OK)
        rc = sl__err(err, rc, "cannot write the chart");
    if (rc == SL_OK) {
        size_t len = w.b.len;
        *out_svg = sl__buf_take(&w.b);
        if (!*out_svg)
            rc = sl__err(err, SL_ENOMEM, "out of memory");
        else if (out_len)
            *out_len = len;
    }
    sl__buf_free(&w.b);
    sl__buf_free(&sub);
    sl__buf_free(&desc);
    return rc;
}

sl_rc sl_store_chart(sl_store *st, const sl_chart_options *opt, char **out_svg,
                     size_t *out_len, sl_chart_series **out_series, sl_error *err)
{
    sl_chart_series *s = NULL;
    sl_rc rc;
    *out_svg = NULL;
    if (out_series)
        *out_series = NULL;
    rc = sl_store_chart_series(st, opt, &s, err);
    if (rc != SL_OK)
        return rc;
    rc = sl_chart_render(s, opt, out_svg, out_len, err);
    if (rc == SL_OK && out_series)
        *out_series = s;
    else
        sl_chart_series_free(s);
    return rc;
}
