/*
 * lexer.c - GraphQL source text into tokens (spec section 2): the size,
 * encoding and token limits a query meets before anything else, string
 * escapes (\u with surrogate pairs, \u{...}) and block strings decoded,
 * numbers checked for shape.  Names of tokens follow graphql-ruby's lexer,
 * whose words appear in syntax errors.
 */
#include "gql_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Queries.  SL_GQL_TEXT_MAX (graphql.h) caps the text.  A 10,000-character
 * query of GitLab's frontend has about 1,500 tokens; 5,000 leaves room for
 * terse documents and keeps the tree small. */
#define QUERY_TOKENS_MAX 5000
/* Decoded bytes of one string literal: arguments are names, ids, search
 * terms. */
#define QUERY_STRING_MAX 4096
/* Characters of a number literal; an Int has at most 11, a double's
 * shortest exact form about 25. */
#define QUERY_NUMBER_MAX 64
/* The binding's own SDL is trusted but still parsed with caps, so a
 * mistake in it fails instead of running away. */
#define SDL_TEXT_MAX (1024 * 1024)
#define SDL_TOKENS_MAX (256 * 1024)
#define SDL_STRING_MAX (64 * 1024)

const gql_lex_limits gql_query_lex_limits = {SL_GQL_TEXT_MAX, QUERY_TOKENS_MAX,
                                             QUERY_STRING_MAX, QUERY_NUMBER_MAX};
const gql_lex_limits gql_sdl_lex_limits = {SDL_TEXT_MAX, SDL_TOKENS_MAX, SDL_STRING_MAX,
                                           QUERY_NUMBER_MAX};

#define MSG_TOO_MANY_TOKENS "This query is too large to execute."

static int fail(gql_lexer *lx, uint32_t off, const char *msg)
{
    if (!lx->error) {
        lx->error = msg;
        lx->error_off = off;
        lx->error_rc = SL_EINVAL;
    }
    return -1;
}

size_t gql_utf8_len(const unsigned char *p, size_t left)
{
    unsigned c = p[0];
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        return left >= 2 && (p[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (left < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
            return 0;
        if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0))
            return 0;
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (left < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80)
            return 0;
        if ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] >= 0x90))
            return 0;
        return 4;
    }
    return 0;
}

int gql_lex_begin(gql_lexer *lx, gql_document *d, const char *text, size_t len,
                  const gql_lex_limits *lim)
{
    const unsigned char *t = (const unsigned char *)text;
    size_t chars = 0, lines = 1, i;
    /* lines: an upper bound, one per line-terminator byte */
    memset(lx, 0, sizeof *lx);
    lx->text = text;
    lx->len = len;
    lx->arena = &d->arena;
    lx->lim = lim;
    d->text = text;
    d->len = len;
    /* size first, in characters, so nothing else is spent on a large text */
    if (len > lim->text_chars * 4) {
        chars = lim->text_chars + 1;
    } else {
        for (i = 0; i < len; i++) {
            chars += (t[i] & 0xC0) != 0x80;
            lines += t[i] == '\n' || t[i] == '\r';
        }
    }
    if (chars > lim->text_chars || len > UINT32_MAX - 1) {
        lx->error = SL_GQL_MSG_TOO_LARGE;
        lx->error_noloc = 1;
        lx->error_rc = SL_ETOOBIG;
        return -1;
    }
    /* line starts as far as the text is valid, so an error has a position */
    d->line_starts = gql_alloc(&d->arena, lines * sizeof *d->line_starts);
    if (!d->line_starts) {
        lx->error = "out of memory";
        lx->error_rc = SL_ENOMEM;
        return -1;
    }
    d->line_starts[0] = 0;
    d->nlines = 1;
    for (i = 0; i < len;) {
        size_t n;
        if (t[i] == 0)
            return fail(lx, (uint32_t)i, "Unexpected NUL byte");
        n = gql_utf8_len(t + i, len - i);
        if (n == 0)
            return fail(lx, (uint32_t)i, "Invalid UTF-8 byte sequence");
        if (t[i] == '\n' || (t[i] == '\r' && (i + 1 == len || t[i + 1] != '\n')))
            d->line_starts[d->nlines++] = (uint32_t)(i + 1);
        i += n;
    }
    /* a byte-order mark at the start is ignored like white space */
    if (len >= 3 && t[0] == 0xEF && t[1] == 0xBB && t[2] == 0xBF)
        lx->pos = 3;
    return 0;
}

static int is_name_start(int c)
{
    return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int is_name_char(int c)
{
    return is_name_start(c) || (c >= '0' && c <= '9');
}

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static void put_utf8(gql_buf *b, unsigned long cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    gql_buf_add(b, u, n);
}

/* \uXXXX or \u{X...} at text[*i] (just past the 'u'): the code point, or
 * -1 when malformed. */
static long read_unicode(const char *text, size_t len, size_t *i)
{
    long cp = 0;
    if (*i < len && text[*i] == '{') {
        size_t j = *i + 1, digits = 0;
        while (j < len && text[j] != '}') {
            int h = hexval((unsigned char)text[j]);
            if (h < 0 || ++digits > 6)
                return -1;
            cp = cp * 16 + h;
            j++;
        }
        if (j >= len || digits == 0 || cp > 0x10FFFF)
            return -1;
        *i = j + 1;
        return cp;
    }
    if (len - *i < 4)
        return -1;
    for (int k = 0; k < 4; k++) {
        int h = hexval((unsigned char)text[*i + (size_t)k]);
        if (h < 0)
            return -1;
        cp = cp * 16 + h;
    }
    *i += 4;
    return cp;
}

static int store_string(gql_lexer *lx, gql_buf *b, uint32_t start)
{
    if (b->oom) {
        gql_buf_free(b);
        lx->error = "out of memory";
        lx->error_rc = SL_ENOMEM;
        return -1;
    }
    if (b->len > lx->lim->string_bytes) {
        gql_buf_free(b);
        return fail(lx, start, "String too long");
    }
    lx->tok.value = gql_strndup(lx->arena, b->s ? b->s : "", b->len);
    lx->tok.vlen = b->len;
    gql_buf_free(b);
    if (!lx->tok.value) {
        lx->error = "out of memory";
        lx->error_rc = SL_ENOMEM;
        return -1;
    }
    return 0;
}

static int lex_string(gql_lexer *lx, size_t start)
{
    const char *t = lx->text;
    size_t i = start + 1;
    gql_buf b = {0};
    for (;;) {
        size_t run = i;
        if (i >= lx->len || t[i] == '\n' || t[i] == '\r') {
            gql_buf_free(&b);
            return fail(lx, (uint32_t)start, "Unterminated string");
        }
        while (i < lx->len && t[i] != '"' && t[i] != '\\' && t[i] != '\n' && t[i] != '\r')
            i++;
        gql_buf_add(&b, t + run, i - run);
        if (b.len > lx->lim->string_bytes)
            break;
        if (i < lx->len && t[i] == '"') {
            i++;
            break;
        }
        if (i < lx->len && t[i] == '\\') {
            char c = i + 1 < lx->len ? t[i + 1] : '\0';
            static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
            const char *e = c ? strchr(from, c) : NULL;
            if (e) {
                gql_buf_add(&b, &to[e - from], 1);
                i += 2;
            } else if (c == 'u') {
                size_t esc = i;
                long cp;
                i += 2;
                cp = read_unicode(t, lx->len, &i);
                /* a high surrogate must be followed by a low one */
                if (cp >= 0xD800 && cp <= 0xDBFF && i + 1 < lx->len && t[i] == '\\' && t[i + 1] == 'u') {
                    size_t j = i + 2;
                    long lo = read_unicode(t, lx->len, &j);
                    if (lo >= 0xDC00 && lo <= 0xDFFF) {
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                        i = j;
                    }
                }
                if (cp <= 0 || (cp >= 0xD800 && cp <= 0xDFFF)) {
                    gql_buf_free(&b);
                    return fail(lx, (uint32_t)esc, "Bad unicode escape");
                }
                put_utf8(&b, (unsigned long)cp);
            } else {
                gql_buf_free(&b);
                return fail(lx, (uint32_t)i, "Bad escape sequence");
            }
        }
    }
    lx->pos = i;
    lx->tok.kind = GQL_T_STRING;
    return store_string(lx, &b, (uint32_t)start);
}

static int blank_line(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] != ' ' && s[i] != '\t')
            return 0;
    }
    return 1;
}

/* Spec 2.9.5 BlockStringValue: the raw value split in lines, the common
 * indentation of all lines but the first removed, blank lines at both ends
 * dropped. */
typedef struct line_span {
    size_t s, e;
} line_span;

static void block_value(gql_buf *out, const char *raw, size_t n)
{
    line_span *lines;
    size_t count = 1, k = 0, common = SIZE_MAX, lo, hi;
    for (size_t i = 0; i < n; i++) {
        if (raw[i] == '\n' || (raw[i] == '\r' && (i + 1 == n || raw[i + 1] != '\n')))
            count++;
    }
    lines = malloc(count * sizeof *lines);
    if (!lines) {
        out->oom = 1;
        return;
    }
    lines[0].s = 0;
    for (size_t i = 0; i < n; i++) {
        if (raw[i] == '\n' || raw[i] == '\r') {
            lines[k].e = i;
            if (raw[i] == '\r' && i + 1 < n && raw[i + 1] == '\n')
                i++;
            lines[++k].s = i + 1;
        }
    }
    lines[k].e = n;
    for (k = 1; k < count; k++) {
        size_t ind = 0;
        while (lines[k].s + ind < lines[k].e && (raw[lines[k].s + ind] == ' ' || raw[lines[k].s + ind] == '\t'))
            ind++;
        if (lines[k].s + ind < lines[k].e && ind < common)
            common = ind;
    }
    for (k = 1; k < count && common != SIZE_MAX; k++)
        lines[k].s = lines[k].s + common < lines[k].e ? lines[k].s + common : lines[k].e;
    for (lo = 0; lo < count && blank_line(raw + lines[lo].s, lines[lo].e - lines[lo].s); lo++)
        ;
    for (hi = count; hi > lo && blank_line(raw + lines[hi - 1].s, lines[hi - 1].e - lines[hi - 1].s); hi--)
        ;
    for (k = lo; k < hi; k++) {
        if (k > lo)
            gql_buf_add(out, "\n", 1);
        gql_buf_add(out, raw + lines[k].s, lines[k].e - lines[k].s);
    }
    free(lines);
}

static int lex_block_string(gql_lexer *lx, size_t start)
{
    const char *t = lx->text;
    size_t i = start + 3;
    gql_buf raw = {0}, val = {0};
    for (;;) {
        if (i + 2 >= lx->len) {
            gql_buf_free(&raw);
            return fail(lx, (uint32_t)start, "Unterminated string");
        }
        if (t[i] == '"' && t[i + 1] == '"' && t[i + 2] == '"')
            break;
        if (t[i] == '\\' && i + 3 < lx->len && t[i + 1] == '"' && t[i + 2] == '"' && t[i + 3] == '"') {
            gql_buf_add(&raw, "\"\"\"", 3);
            i += 4;
        } else {
            gql_buf_add(&raw, t + i, 1);
            i++;
        }
        if (raw.len > lx->lim->string_bytes) {
            gql_buf_free(&raw);
            return fail(lx, (uint32_t)start, "String too long");
        }
    }
    lx->pos = i + 3;
    block_value(&val, raw.s ? raw.s : "", raw.len);
    if (raw.oom)
        val.oom = 1;
    gql_buf_free(&raw);
    lx->tok.kind = GQL_T_BLOCK_STRING;
    return store_string(lx, &val, (uint32_t)start);
}

static int lex_number(gql_lexer *lx, size_t start)
{
    const char *t = lx->text;
    size_t i = start;
    int is_float = 0;
    if (t[i] == '-')
        i++;
    if (i >= lx->len || !is_digit((unsigned char)t[i]))
        return fail(lx, (uint32_t)start, "Invalid number");
    if (t[i] == '0' && i + 1 < lx->len && is_digit((unsigned char)t[i + 1]))
        return fail(lx, (uint32_t)start, "Invalid number, unexpected digit after 0");
    while (i < lx->len && is_digit((unsigned char)t[i]))
        i++;
    if (i < lx->len && t[i] == '.') {
        is_float = 1;
        i++;
        if (i >= lx->len || !is_digit((unsigned char)t[i]))
            return fail(lx, (uint32_t)start, "Invalid number, expected digit after .");
        while (i < lx->len && is_digit((unsigned char)t[i]))
            i++;
    }
    if (i < lx->len && (t[i] == 'e' || t[i] == 'E')) {
        is_float = 1;
        i++;
        if (i < lx->len && (t[i] == '+' || t[i] == '-'))
            i++;
        if (i >= lx->len || !is_digit((unsigned char)t[i]))
            return fail(lx, (uint32_t)start, "Invalid number, expected digit in exponent");
        while (i < lx->len && is_digit((unsigned char)t[i]))
            i++;
    }
    if (i < lx->len && (t[i] == '.' || is_name_start((unsigned char)t[i])))
        return fail(lx, (uint32_t)start, "Invalid number");
    if (i - start > lx->lim->number_chars)
        return fail(lx, (uint32_t)start, "Number too long");
    lx->tok.kind = is_float ? GQL_T_FLOAT : GQL_T_INT;
    lx->pos = i;
    return 0;
}

int gql_lex_next(gql_lexer *lx)
{
    const char *t = lx->text;
    size_t i = lx->pos;
    /* ignored tokens: white space, line terminators, commas, comments */
    for (;;) {
        while (i < lx->len && (t[i] == ' ' || t[i] == '\t' || t[i] == ',' || t[i] == '\n' || t[i] == '\r'))
            i++;
        if (i < lx->len && t[i] == '#') {
            while (i < lx->len && t[i] != '\n' && t[i] != '\r')
                i++;
            continue;
        }
        if (i + 2 < lx->len && (unsigned char)t[i] == 0xEF && (unsigned char)t[i + 1] == 0xBB &&
            (unsigned char)t[i + 2] == 0xBF) {
            i += 3;
            continue;
        }
        break;
    }
    memset(&lx->tok, 0, sizeof lx->tok);
    lx->tok.off = (uint32_t)i;
    lx->pos = i;
    if (i >= lx->len) {
        lx->tok.kind = GQL_T_EOF;
        lx->tok.end = (uint32_t)i;
        return 0;
    }
    if (++lx->ntokens > lx->lim->tokens) {
        lx->error = MSG_TOO_MANY_TOKENS;
        lx->error_noloc = 1;
        lx->error_rc = SL_ETOOBIG;
        return -1;
    }
    switch (t[i]) {
    case '!': lx->tok.kind = GQL_T_BANG; break;
    case '$': lx->tok.kind = GQL_T_DOLLAR; break;
    case '&': lx->tok.kind = GQL_T_AMP; break;
    case '(': lx->tok.kind = GQL_T_LPAREN; break;
    case ')': lx->tok.kind = GQL_T_RPAREN; break;
    case ':': lx->tok.kind = GQL_T_COLON; break;
    case '=': lx->tok.kind = GQL_T_EQUALS; break;
    case '@': lx->tok.kind = GQL_T_AT; break;
    case '[': lx->tok.kind = GQL_T_LBRACKET; break;
    case ']': lx->tok.kind = GQL_T_RBRACKET; break;
    case '{': lx->tok.kind = GQL_T_LBRACE; break;
    case '|': lx->tok.kind = GQL_T_PIPE; break;
    case '}': lx->tok.kind = GQL_T_RBRACE; break;
    case '.':
        if (i + 2 < lx->len && t[i + 1] == '.' && t[i + 2] == '.') {
            lx->tok.kind = GQL_T_SPREAD;
            lx->pos = i + 3;
            lx->tok.end = (uint32_t)lx->pos;
            return 0;
        }
        lx->tok.kind = GQL_T_UNKNOWN;
        break;
    case '"': {
        int rc;
        if (i + 2 < lx->len && t[i + 1] == '"' && t[i + 2] == '"')
            rc = lex_block_string(lx, i);
        else
            rc = lex_string(lx, i);
        lx->tok.end = (uint32_t)lx->pos;
        return rc;
    }
    default:
        if (is_name_start((unsigned char)t[i])) {
            size_t j = i + 1;
            while (j < lx->len && is_name_char((unsigned char)t[j]))
                j++;
            lx->tok.kind = GQL_T_NAME;
            lx->pos = j;
            lx->tok.end = (uint32_t)j;
            return 0;
        }
        if (t[i] == '-' || is_digit((unsigned char)t[i])) {
            int rc = lex_number(lx, i);
            lx->tok.end = (uint32_t)lx->pos;
            return rc;
        }
        /* one character the grammar does not know (valid UTF-8 was checked) */
        lx->tok.kind = GQL_T_UNKNOWN;
        lx->pos = i + gql_utf8_len((const unsigned char *)t + i, lx->len - i);
        lx->tok.end = (uint32_t)lx->pos;
        return 0;
    }
    lx->pos = i + 1;
    lx->tok.end = (uint32_t)lx->pos;
    return 0;
}

const char *gql_tok_name(const gql_lexer *lx, const gql_token *t)
{
    static const char *const keywords[] = {
        "on", "fragment", "true", "false", "null", "query", "mutation", "subscription",
        "schema", "scalar", "type", "extend", "implements", "interface", "union", "enum",
        "input", "directive", "repeatable"};
    static const char *const upper[] = {
        "ON", "FRAGMENT", "TRUE", "FALSE", "NULL", "QUERY", "MUTATION", "SUBSCRIPTION",
        "SCHEMA", "SCALAR", "TYPE", "EXTEND", "IMPLEMENTS", "INTERFACE", "UNION", "ENUM",
        "INPUT", "DIRECTIVE", "REPEATABLE"};
    switch (t->kind) {
    case GQL_T_EOF: return "EOF";
    case GQL_T_BANG: return "BANG";
    case GQL_T_DOLLAR: return "VAR_SIGN";
    case GQL_T_AMP: return "AMP";
    case GQL_T_LPAREN: return "LPAREN";
    case GQL_T_RPAREN: return "RPAREN";
    case GQL_T_SPREAD: return "ELLIPSIS";
    case GQL_T_COLON: return "COLON";
    case GQL_T_EQUALS: return "EQUALS";
    case GQL_T_AT: return "DIR_SIGN";
    case GQL_T_LBRACKET: return "LBRACKET";
    case GQL_T_RBRACKET: return "RBRACKET";
    case GQL_T_LBRACE: return "LCURLY";
    case GQL_T_PIPE: return "PIPE";
    case GQL_T_RBRACE: return "RCURLY";
    case GQL_T_INT: return "INT";
    case GQL_T_FLOAT: return "FLOAT";
    case GQL_T_STRING:
    case GQL_T_BLOCK_STRING: return "STRING";
    case GQL_T_UNKNOWN: return "UNKNOWN_CHAR";
    case GQL_T_NAME: {
        size_t n = t->end - t->off;
        for (size_t k = 0; k < sizeof keywords / sizeof keywords[0]; k++) {
            if (strlen(keywords[k]) == n && memcmp(lx->text + t->off, keywords[k], n) == 0)
                return upper[k];
        }
        return "IDENTIFIER";
    }
    }
    return "UNKNOWN_CHAR";
}
