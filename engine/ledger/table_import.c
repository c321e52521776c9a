/*
 * table_import.c - the reading half of the directory imports (users,
 * projects): CSV (libcsv) or JSON Lines (jansson) streamed a buffer at a
 * time, every value checked for size, NUL bytes and UTF-8, records held to
 * SL_USER_LINE_MAX bytes, and every failure reported as "line N: ...".  What
 * a row means and where it goes is the caller's (users.c, projects.c).
 */
#include "ledger/ledger_internal.h"

#include <csv.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define READ_CHUNK (64 * 1024)
#define PROGRESS_INTERVAL_NS 100000000LL /* at most ten calls a second */

struct sl__table_reader {
    const sl__table *t;
    sl_error *err;
    sl_rc rc;                     /* first failure; later input is ignored */
    bool saw_content;             /* a non-blank line (CSV: the header) */

    uint64_t done, total;
    sl_progress_fn progress;
    void *progress_ud;
    struct timespec last_progress;

    int64_t line;                 /* physical line being read, from 1 */
    int64_t rec_line;             /* line the current record starts on */

    /* CSV */
    struct csv_parser csv;
    bool csv_ready;
    bool in_record;
    size_t rec_bytes;
    bool have_header;
    int ncols;
    int colmap[SL__TABLE_COLS_MAX]; /* field index in a record -> column */
    int nfields;                  /* fields of the current record so far */
    size_t rec_used;
    sl__field vals[SL__TABLE_COLS_MAX];
    char rec[SL__TABLE_COLS_MAX * (SL_USER_FIELD_MAX + 1)];

    /* JSON Lines */
    size_t line_len;
    char line_buf[SL_USER_LINE_MAX + 1];
};

/* ---- messages ------------------------------------------------------------ */

static bool utf8_valid(const char *p, size_t n)
{
    const unsigned char *s = (const unsigned char *)p;
    size_t i = 0;
    while (i < n) {
        size_t k;
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        k = sl__utf8_decode(s + i, n - i, NULL);
        if (k == 0)
            return false;
        i += k;
    }
    return true;
}

const char *sl__table_quote(const char *p, size_t n, char out[SL__QUOTE_MAX + 4])
{
    const unsigned char *s = (const unsigned char *)p;
    size_t i = 0, o = 0;
    while (i < n) {
        size_t k = sl__utf8_decode(s + i, n - i, NULL);
        if (o + (k ? k : 1) > SL__QUOTE_MAX) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        if (k <= 1) {
            out[o++] = (k == 0 || s[i] < 0x20 || s[i] == 0x7f) ? '?' : (char)s[i];
            i++;
        } else {
            memcpy(out + o, s + i, k);
            o += k;
            i += k;
        }
    }
    out[o] = '\0';
    return out;
}

sl_rc sl__table_fail(sl__table_reader *r, int64_t line, sl_rc code, const char *fmt, ...)
{
    char msg[SL_ERROR_MAX];
    va_list ap;
    if (r->rc != SL_OK)
        return r->rc;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    r->rc = sl__err(r->err, code, "line %lld: %s", (long long)line, msg);
    return r->rc;
}

sl_rc sl__table_fail_db(sl__table_reader *r, sl_store *st, const char *what)
{
    if (r->rc == SL_OK)
        r->rc = sl__db_err(st, r->err, what);
    return r->rc;
}

int sl__table_bool(const sl__field *f)
{
    static const char *const yes[] = {"true", "1", "yes"};
    static const char *const no[] = {"false", "0", "no"};
    if (!f->present || f->len == 0)
        return 0;
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (strlen(yes[i]) == f->len && strncasecmp(f->p, yes[i], f->len) == 0)
            return 1;
        if (strlen(no[i]) == f->len && strncasecmp(f->p, no[i], f->len) == 0)
            return 0;
    }
    return -1;
}

/* ---- one row ------------------------------------------------------------- */

/* Column of a CSV header name or a JSON key; -1 when unknown. */
static int column_of(const sl__table *t, const char *name, size_t len)
{
    for (int c = 0; c < t->ncols; c++) {
        if (strlen(t->cols[c]) == len && memcmp(t->cols[c], name, len) == 0)
            return c;
    }
    return -1;
}

/* Only blanks and line ends: libcsv reads no record there, and JSON Lines
 * skips the line. */
static bool blank(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
            return false;
    }
    return true;
}

static void maybe_progress(sl__table_reader *r, bool final)
{
    struct timespec now;
    int64_t elapsed;
    if (!r->progress)
        return;
    clock_gettime(CLOCK_MONOTONIC, &now);
    elapsed = (int64_t)(now.tv_sec - r->last_progress.tv_sec) * 1000000000LL +
              (now.tv_nsec - r->last_progress.tv_nsec);
    if (!final && elapsed < PROGRESS_INTERVAL_NS)
        return;
    r->last_progress = now;
    r->progress(r->progress_ud, r->done, r->total);
}

/* The checks every value gets, then the required values, then the caller's
 * own (syntax, storage), in column order. */
static sl_rc one_row(sl__table_reader *r, int64_t line, const sl__field *v)
{
    const sl__table *t = r->t;
    for (int c = 0; c < t->ncols; c++) {
        if (!v[c].present)
            continue;
        if (v[c].len > SL_USER_FIELD_MAX)
            return sl__table_fail(r, line, SL_ETOOBIG, "%s is longer than %d bytes",
                                  t->cols[c], SL_USER_FIELD_MAX);
        if (memchr(v[c].p, '\0', v[c].len))
            return sl__table_fail(r, line, SL_EINVAL, "NUL byte in %s", t->cols[c]);
        if (!utf8_valid(v[c].p, v[c].len))
            return sl__table_fail(r, line, SL_EINVAL, "invalid UTF-8 in %s", t->cols[c]);
    }
    for (size_t i = 0; i < t->nrequired; i++) {
        const sl__field *f = &v[t->required[i]];
        if (!f->present || f->len == 0)
            return sl__table_fail(r, line, SL_EINVAL, "missing %s", t->cols[t->required[i]]);
    }
    t->row(t->ud, r, line, v);
    return r->rc;
}

/* ---- CSV ----------------------------------------------------------------- */

static void csv_on_header_field(sl__table_reader *r, const char *p, size_t len)
{
    char q[SL__QUOTE_MAX + 4];
    int c = column_of(r->t, p, len);
    /* an unknown column is refused rather than ignored: a misspelled
     * optional column ("guest_seats") would otherwise quietly give every
     * row the default */
    if (c < 0) {
        sl__table_fail(r, r->rec_line, SL_EINVAL, "unknown column '%s'",
                       sl__table_quote(p, len, q));
        return;
    }
    for (int i = 0; i < r->ncols; i++) {
        if (r->colmap[i] == c) {
            sl__table_fail(r, r->rec_line, SL_EINVAL, "duplicate column '%s'", r->t->cols[c]);
            return;
        }
    }
    r->colmap[r->ncols++] = c;
}

static void csv_on_field(void *data, size_t len, void *ud)
{
    sl__table_reader *r = ud;
    int idx;
    if (r->rc != SL_OK)
        return;
    /* a record that began after a bare CR inside this line */
    if (!r->in_record) {
        r->in_record = true;
        r->rec_line = r->line;
        r->rec_bytes = 0;
    }
    idx = r->nfields++;
    if (!r->have_header) {
        csv_on_header_field(r, data, len);
        return;
    }
    if (idx >= r->ncols)
        return; /* counted; the record callback reports the mismatch */
    if (len > SL_USER_FIELD_MAX) {
        sl__table_fail(r, r->rec_line, SL_ETOOBIG, "%s is longer than %d bytes",
                       r->t->cols[r->colmap[idx]], SL_USER_FIELD_MAX);
        return;
    }
    memcpy(r->rec + r->rec_used, data, len);
    r->vals[r->colmap[idx]] = (sl__field){r->rec + r->rec_used, len, true};
    r->rec_used += len + 1;
}

static void csv_on_record(int term, void *ud)
{
    sl__table_reader *r = ud;
    const sl__table *t = r->t;
    (void)term;
    if (r->rc != SL_OK)
        return;
    if (!r->have_header) {
        for (size_t i = 0; i < t->nrequired; i++) {
            bool found = false;
            for (int k = 0; k < r->ncols; k++)
                found = found || r->colmap[k] == t->required[i];
            if (!found) {
                sl__table_fail(r, r->rec_line, SL_EINVAL, "missing column '%s'",
                               t->cols[t->required[i]]);
                return;
            }
        }
        r->have_header = true;
    } else if (r->nfields != r->ncols) {
        sl__table_fail(r, r->rec_line, SL_EINVAL, "%d field%s, the header has %d",
                       r->nfields, r->nfields == 1 ? "" : "s", r->ncols);
        return;
    } else if (one_row(r, r->rec_line, r->vals) != SL_OK) {
        return;
    }
    r->in_record = false;
    r->nfields = 0;
    r->rec_used = 0;
    memset(r->vals, 0, sizeof r->vals);
}

/* Feed one buffer to libcsv a physical line at a time, so that line numbers
 * are known and a runaway record is stopped at SL_USER_LINE_MAX bytes. */
static sl_rc csv_feed(sl__table_reader *r, const char *p, size_t n)
{
    while (n > 0 && r->rc == SL_OK) {
        const char *nl = memchr(p, '\n', n);
        size_t seg = nl ? (size_t)(nl - p) + 1 : n;
        if (!r->in_record && !blank(p, seg)) {
            r->in_record = true;
            r->rec_line = r->line;
            r->rec_bytes = 0;
            r->saw_content = true;
        }
        if (r->in_record) {
            r->rec_bytes += seg;
            if (r->rec_bytes > SL_USER_LINE_MAX)
                return sl__table_fail(r, r->rec_line, SL_ETOOBIG,
                                      "record longer than %d bytes", SL_USER_LINE_MAX);
        }
        if (csv_parse(&r->csv, p, seg, csv_on_field, csv_on_record, r) != seg &&
            r->rc == SL_OK) {
            if (csv_error(&r->csv) == CSV_EPARSE)
                return sl__table_fail(r, r->rec_line, SL_EINVAL,
                                      "malformed CSV: a quote inside an unquoted field or "
                                      "text after a closing quote");
            return sl__table_fail(r, r->rec_line, SL_ENOMEM, "cannot parse CSV: %s",
                                  csv_strerror(csv_error(&r->csv)));
        }
        if (nl)
            r->line++;
        p += seg;
        n -= seg;
    }
    return r->rc;
}

static sl_rc csv_finish(sl__table_reader *r)
{
    if (r->rc != SL_OK)
        return r->rc;
    if (csv_fini(&r->csv, csv_on_field, csv_on_record, r) != 0 && r->rc == SL_OK)
        return sl__table_fail(r, r->rec_line, SL_EINVAL, "unterminated quoted field");
    if (r->rc == SL_OK && !r->have_header)
        r->rc = sl__err(r->err, SL_EINVAL, "empty input: expected a header row");
    return r->rc;
}

/* ---- JSON Lines ---------------------------------------------------------- */

/* The value of one key as a field: a string, or for the columns that allow
 * them an integer (written in decimal) or a boolean ("true"/"false"). */
static sl_rc json_field(sl__table_reader *r, int c, json_t *j, char *numbuf, size_t numsize,
                        sl__field *out)
{
    unsigned bit = 1u << c;
    if (json_is_null(j))
        return SL_OK;
    if (json_is_string(j)) {
        *out = (sl__field){json_string_value(j), json_string_length(j), true};
        return SL_OK;
    }
    if ((r->t->json_int_cols & bit) && json_is_integer(j)) {
        int n = snprintf(numbuf, numsize, "%" JSON_INTEGER_FORMAT, json_integer_value(j));
        *out = (sl__field){numbuf, (size_t)n, true};
        return SL_OK;
    }
    if ((r->t->json_bool_cols & bit) && json_is_boolean(j)) {
        *out = json_is_true(j) ? (sl__field){"true", 4, true} : (sl__field){"false", 5, true};
        return SL_OK;
    }
    return sl__table_fail(r, r->line, SL_EINVAL, "%s must be a string%s", r->t->cols[c],
                          (r->t->json_int_cols & bit) ? " or an integer"
                          : (r->t->json_bool_cols & bit) ? " or a boolean" : "");
}

static sl_rc jsonl_line(sl__table_reader *r, const char *p, size_t n)
{
    char q[SL__QUOTE_MAX + 4], numbuf[32];
    sl__field vals[SL__TABLE_COLS_MAX] = {{0}};
    json_error_t jerr;
    json_t *obj = NULL, *j;
    const char *key;
    sl_rc rc = SL_OK;

    while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    if (blank(p, n))
        return SL_OK;
    r->saw_content = true;
    if (memchr(p, '\0', n))
        return sl__table_fail(r, r->line, SL_EINVAL, "NUL byte in the line");
    if (!utf8_valid(p, n))
        return sl__table_fail(r, r->line, SL_EINVAL, "invalid UTF-8");
    if (!sl__json_depth_ok(p, n, SL_JSON_DEPTH_MAX))
        return sl__table_fail(r, r->line, SL_EINVAL, "JSON nested deeper than %d levels",
                              SL_JSON_DEPTH_MAX);
    /* NULs inside strings are let through so they get the same message as
     * in CSV rather than jansson's */
    obj = json_loadb(p, n, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
    if (!obj)
        return sl__table_fail(r, r->line, SL_EINVAL, "invalid JSON at column %d: %s",
                              jerr.column, jerr.text);
    if (!json_is_object(obj)) {
        rc = sl__table_fail(r, r->line, SL_EINVAL, "expected a JSON object");
        goto done;
    }
    json_object_foreach(obj, key, j) {
        int c = column_of(r->t, key, strlen(key));
        if (c < 0) {
            rc = sl__table_fail(r, r->line, SL_EINVAL, "unknown key '%s'",
                                sl__table_quote(key, strlen(key), q));
            goto done;
        }
        rc = json_field(r, c, j, numbuf, sizeof numbuf, &vals[c]);
        if (rc != SL_OK)
            goto done;
    }
    rc = one_row(r, r->line, vals);
done:
    json_decref(obj);
    return rc;
}

static sl_rc jsonl_feed(sl__table_reader *r, const char *p, size_t n)
{
    while (n > 0 && r->rc == SL_OK) {
        const char *nl = memchr(p, '\n', n);
        size_t seg = nl ? (size_t)(nl - p) : n;
        if (seg > SL_USER_LINE_MAX - r->line_len)
            return sl__table_fail(r, r->line, SL_ETOOBIG, "line longer than %d bytes",
                                  SL_USER_LINE_MAX);
        memcpy(r->line_buf + r->line_len, p, seg);
        r->line_len += seg;
        if (nl) {
            jsonl_line(r, r->line_buf, r->line_len);
            r->line_len = 0;
            r->line++;
            seg++;
        }
        p += seg;
        n -= seg;
    }
    return r->rc;
}

static sl_rc jsonl_finish(sl__table_reader *r)
{
    if (r->rc == SL_OK && r->line_len > 0)
        jsonl_line(r, r->line_buf, r->line_len);
    if (r->rc == SL_OK && !r->saw_content)
        r->rc = sl__err(r->err, SL_EINVAL, "empty input: %s", r->t->nothing);
    return r->rc;
}

/* ---- the whole input ----------------------------------------------------- */

sl_rc sl__table_read(const sl__table *t, FILE *in, sl_user_format format,
                     uint64_t total_bytes, sl_progress_fn progress, void *progress_ud,
                     sl_error *err)
{
    static const char bom[] = "\xef\xbb\xbf";
    sl__table_reader *r;
    char *buf = NULL;
    bool first = true;
    sl_rc rc = SL_OK;
    if (format != SL_USERS_CSV && format != SL_USERS_JSONL)
        return sl__err(err, SL_EUSAGE, "unknown file format %d", (int)format);
    if (t->ncols > SL__TABLE_COLS_MAX)
        return sl__err(err, SL_EINTERNAL, "a table of %d columns", t->ncols);
    r = calloc(1, sizeof *r);
    buf = malloc(READ_CHUNK);
    if (!r || !buf) {
        rc = sl__err(err, SL_ENOMEM, "out of memory");
        goto done;
    }
    r->t = t;
    r->err = err;
    r->line = 1;
    r->total = total_bytes;
    r->progress = progress;
    r->progress_ud = progress_ud;
    clock_gettime(CLOCK_MONOTONIC, &r->last_progress);
    if (format == SL_USERS_CSV) {
        if (csv_init(&r->csv, CSV_STRICT | CSV_STRICT_FINI) != 0) {
            rc = sl__err(err, SL_ENOMEM, "out of memory");
            goto done;
        }
        r->csv_ready = true;
    }
    for (;;) {
        size_t n = fread(buf, 1, READ_CHUNK, in);
        const char *p = buf;
        if (n == 0)
            break;
        r->done += n;
        /* spreadsheet exports start with a byte-order mark */
        if (first && n >= 3 && memcmp(buf, bom, 3) == 0) {
            p += 3;
            n -= 3;
        }
        first = false;
        rc = format == SL_USERS_JSONL ? jsonl_feed(r, p, n) : csv_feed(r, p, n);
        if (rc != SL_OK)
            goto done;
        maybe_progress(r, false);
    }
    if (ferror(in)) {
        rc = sl__err(err, SL_ESTORAGE, "cannot read the %s file: %s", t->what, strerror(errno));
        goto done;
    }
    rc = format == SL_USERS_JSONL ? jsonl_finish(r) : csv_finish(r);
    if (rc == SL_OK)
        maybe_progress(r, true);
done:
    if (r && r->csv_ready)
        csv_free(&r->csv);
    free(r);
    free(buf);
    return rc;
}
