/*
 * users.c - the user directory: streamed, all-or-nothing import from CSV
 * (libcsv) or JSON Lines (jansson), listing with each user's verdict, and
 * counts by reason read from one covering index.  The rules themselves live
 * in billable.c.
 */
#include "ledger/billable.h"
#include "ledger/ledger_internal.h"

#include <csv.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define READ_CHUNK (64 * 1024)
#define PROGRESS_INTERVAL_NS 100000000LL /* at most ten calls a second */
#define QUOTE_MAX 64                     /* bytes of a bad value shown in a message */
#define DATE_LEN 10                      /* YYYY-MM-DD */
/* Page cache for the length of an import.  Directories arrive in any id
 * order, so the id index is written all over; with SQLite's default 2 MB the
 * pages thrash through the WAL (1,000,000 shuffled rows: 2.6 s of system
 * time and twice the wall time).  A fixed cap keeps memory flat: 40 MB
 * (peak RSS 55 MB on 1,000,000 rows, under the 64 MB target) took 1,000,000
 * rows from 1.65-1.97x to 1.46-1.59x the CPU time of `sqlite3 .import`
 * against 32 MB (peak RSS 45 MB). */
#define IMPORT_CACHE_KB 40960
/* billing_key as schema/002_users.sql packs it: state in bits 11-14,
 * user_type 5-10, highest_role 1-4, guest_seat 0 */
#define KEY_STATE_SHIFT 11
#define KEY_TYPE_SHIFT 5
#define KEY_ROLE_SHIFT 1
#define BILLING_KEYS (16 << KEY_STATE_SHIFT) /* every key the packing can make */

enum col {
    COL_ID,
    COL_USERNAME,
    COL_EMAIL,
    COL_STATE,
    COL_USER_TYPE,
    COL_HIGHEST_ROLE,
    COL_GUEST_SEAT,
    COL_LAST_ACTIVITY_ON,
    COL_LAST_DUO_ACTIVITY_ON,
    COL_COUNT
};

static const char *const col_names[COL_COUNT] = {
    "id", "username", "email", "state", "user_type", "highest_role",
    "guest_seat", "last_activity_on", "last_duo_activity_on",
};

/* Columns every file must have, with a non-empty value in every row. */
static const enum col required_cols[] = {COL_ID, COL_USERNAME, COL_STATE};
#define REQUIRED_COUNT (sizeof required_cols / sizeof required_cols[0])

/* One value of a row; p is borrowed and need not be NUL-terminated. */
typedef struct field {
    const char *p;
    size_t len;
    bool present;
} field;

typedef struct importer {
    sl_store *st;
    sqlite3_stmt *upsert;
    /* Into an empty directory (a first import): plain INSERTs, a repeated id
     * shows as the unique index refusing it, and the users per billing key
     * are counted here rather than by a GROUP BY over the new rows. */
    bool fresh;
    int64_t *key_counts;          /* [BILLING_KEYS], fresh only */
    int64_t gen;
    sl_import_stats *stats;
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
    int colmap[COL_COUNT];        /* field index in a record -> column */
    int nfields;                  /* fields of the current record so far */
    size_t rec_used;
    field vals[COL_COUNT];
    char rec[COL_COUNT * (SL_USER_FIELD_MAX + 1)];

    /* JSON Lines */
    size_t line_len;
    char line_buf[SL_USER_LINE_MAX + 1];
} importer;

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

/* A bad value made fit for a one-line message: at most QUOTE_MAX bytes, cut
 * on a character boundary, control bytes and broken UTF-8 shown as '?'. */
static const char *quote(const char *p, size_t n, char out[QUOTE_MAX + 4])
{
    const unsigned char *s = (const unsigned char *)p;
    size_t i = 0, o = 0;
    while (i < n) {
        size_t k = sl__utf8_decode(s + i, n - i, NULL);
        if (o + (k ? k : 1) > QUOTE_MAX) {
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

/* Record the first failure as "line N: <message>". */
__attribute__((format(printf, 4, 5)))
static sl_rc fail_at(importer *im, int64_t line, sl_rc code, const char *fmt, ...)
{
    char msg[SL_ERROR_MAX];
    va_list ap;
    if (im->rc != SL_OK)
        return im->rc;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    im->rc = sl__err(im->err, code, "line %lld: %s", (long long)line, msg);
    return im->rc;
}

static sl_rc fail_storage(importer *im, const char *what)
{
    if (im->rc == SL_OK)
        im->rc = sl__db_err(im->st, im->err, what);
    return im->rc;
}

/* ---- one row ------------------------------------------------------------- */

/* Column of a CSV header name or a JSON key; -1 when unknown. */
static int column_of(const char *name, size_t len)
{
    for (int c = 0; c < COL_COUNT; c++) {
        if (strlen(col_names[c]) == len && memcmp(col_names[c], name, len) == 0)
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

static int parse_bool(const field *f)
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

/* A code from a name table; a missing or empty optional value is `dflt`. */
static int lookup_code(importer *im, int64_t line, const field *f,
                       int (*code_of)(const char *, size_t), int dflt,
                       const char *what)
{
    char q[QUOTE_MAX + 4];
    int code;
    if (!f->present || f->len == 0)
        return dflt;
    code = code_of(f->p, f->len);
    if (code < 0)
        fail_at(im, line, SL_EINVAL, "unknown %s '%s'", what, quote(f->p, f->len, q));
    return code;
}

static void maybe_progress(importer *im, bool final)
{
    struct timespec now;
    int64_t elapsed;
    if (!im->progress)
        return;
    clock_gettime(CLOCK_MONOTONIC, &now);
    elapsed = (int64_t)(now.tv_sec - im->last_progress.tv_sec) * 1000000000LL +
              (now.tv_nsec - im->last_progress.tv_nsec);
    if (!final && elapsed < PROGRESS_INTERVAL_NS)
        return;
    im->last_progress = now;
    im->progress(im->progress_ud, im->done, im->total);
}

/* Validate one row and upsert it: first the bytes of every value, then the
 * required values, then each value's syntax, in column order. */
/* An optional YYYY-MM-DD column: *out is SL_DATE_NONE when empty. */
static sl_rc optional_date(importer *im, int64_t line, const field *v, int c, int32_t *out)
{
    char q[QUOTE_MAX + 4], datebuf[DATE_LEN + 1];
    const field *f = &v[c];
    *out = SL_DATE_NONE;
    if (!f->present || f->len == 0)
        return SL_OK;
    if (f->len == DATE_LEN) {
        memcpy(datebuf, f->p, DATE_LEN);
        datebuf[DATE_LEN] = '\0';
        if (sl_date_parse(datebuf, out, NULL) != SL_OK)
            *out = SL_DATE_NONE;
    }
    if (*out == SL_DATE_NONE)
        return fail_at(im, line, SL_EINVAL, "invalid %s '%s': not a valid YYYY-MM-DD date",
                       col_names[c], quote(f->p, f->len, q));
    return SL_OK;
}

static sl_rc import_row(importer *im, int64_t line, const field *v)
{
    char q[QUOTE_MAX + 4];
    int state, type, role, seat;
    int32_t days = SL_DATE_NONE, duo_days = SL_DATE_NONE;
    sqlite3_stmt *s = im->upsert;
    int step;

    for (int c = 0; c < COL_COUNT; c++) {
        if (!v[c].present)
            continue;
        if (v[c].len > SL_USER_FIELD_MAX)
            return fail_at(im, line, SL_ETOOBIG, "%s is longer than %d bytes",
                           col_names[c], SL_USER_FIELD_MAX);
        if (memchr(v[c].p, '\0', v[c].len))
            return fail_at(im, line, SL_EINVAL, "NUL byte in %s", col_names[c]);
        if (!utf8_valid(v[c].p, v[c].len))
            return fail_at(im, line, SL_EINVAL, "invalid UTF-8 in %s", col_names[c]);
    }
    for (size_t i = 0; i < REQUIRED_COUNT; i++) {
        const field *f = &v[required_cols[i]];
        if (!f->present || f->len == 0)
            return fail_at(im, line, SL_EINVAL, "missing %s", col_names[required_cols[i]]);
    }
    state = lookup_code(im, line, &v[COL_STATE], sl__state_code, -1, "state");
    type = lookup_code(im, line, &v[COL_USER_TYPE], sl__user_type_code, SL_TYPE_HUMAN,
                       "user_type");
    role = lookup_code(im, line, &v[COL_HIGHEST_ROLE], sl__role_code, SL_ROLE_NONE,
                       "highest_role");
    if (im->rc != SL_OK)
        return im->rc;
    seat = parse_bool(&v[COL_GUEST_SEAT]);
    if (seat < 0)
        return fail_at(im, line, SL_EINVAL, "invalid guest_seat '%s': use true or false",
                       quote(v[COL_GUEST_SEAT].p, v[COL_GUEST_SEAT].len, q));
    if (optional_date(im, line, v, COL_LAST_ACTIVITY_ON, &days) != SL_OK ||
        optional_date(im, line, v, COL_LAST_DUO_ACTIVITY_ON, &duo_days) != SL_OK)
        return im->rc;

    sqlite3_bind_text(s, 1, v[COL_ID].p, (int)v[COL_ID].len, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, v[COL_USERNAME].p, (int)v[COL_USERNAME].len, SQLITE_STATIC);
    if (v[COL_EMAIL].present && v[COL_EMAIL].len > 0)
        sqlite3_bind_text(s, 3, v[COL_EMAIL].p, (int)v[COL_EMAIL].len, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, 3);
    sqlite3_bind_int(s, 4, state);
    sqlite3_bind_int(s, 5, type);
    sqlite3_bind_int(s, 6, role);
    sqlite3_bind_int(s, 7, seat);
    if (days != SL_DATE_NONE)
        sqlite3_bind_int(s, 8, days);
    else
        sqlite3_bind_null(s, 8);
    sqlite3_bind_int64(s, 9, im->gen);
    if (duo_days != SL_DATE_NONE)
        sqlite3_bind_int(s, 10, duo_days);
    else
        sqlite3_bind_null(s, 10);
    step = sqlite3_step(s);
    /* a fresh import's INSERT refused by the unique id index, or the
     * upsert skipping a row this import already wrote: a repeated id */
    if (im->fresh && step == SQLITE_CONSTRAINT &&
        sqlite3_extended_errcode(im->st->db) == SQLITE_CONSTRAINT_UNIQUE) {
        sqlite3_reset(s);
        return fail_at(im, line, SL_EINVAL, "duplicate id '%s'",
                       quote(v[COL_ID].p, v[COL_ID].len, q));
    }
    if (step != SQLITE_DONE) {
        sqlite3_reset(s);
        return fail_storage(im, "cannot store a user");
    }
    sqlite3_reset(s);
    if (!im->fresh && sqlite3_changes(im->st->db) == 0)
        return fail_at(im, line, SL_EINVAL, "duplicate id '%s'",
                       quote(v[COL_ID].p, v[COL_ID].len, q));
    if (im->fresh)
        im->key_counts[state << KEY_STATE_SHIFT | type << KEY_TYPE_SHIFT |
                       role << KEY_ROLE_SHIFT | seat]++;
    im->stats->rows++;
    return SL_OK;
}

/* ---- CSV ----------------------------------------------------------------- */

static void csv_on_header_field(importer *im, const char *p, size_t len)
{
    char q[QUOTE_MAX + 4];
    int c = column_of(p, len);
    /* an unknown column is refused rather than ignored: a misspelled
     * optional column ("guest_seats") would otherwise quietly give every
     * user the default and change the count */
    if (c < 0) {
        fail_at(im, im->rec_line, SL_EINVAL, "unknown column '%s'", quote(p, len, q));
        return;
    }
    for (int i = 0; i < im->ncols; i++) {
        if (im->colmap[i] == c) {
            fail_at(im, im->rec_line, SL_EINVAL, "duplicate column '%s'", col_names[c]);
            return;
        }
    }
    im->colmap[im->ncols++] = c;
}

static void csv_on_field(void *data, size_t len, void *ud)
{
    importer *im = ud;
    int idx;
    if (im->rc != SL_OK)
        return;
    /* a record that began after a bare CR inside this line */
    if (!im->in_record) {
        im->in_record = true;
        im->rec_line = im->line;
        im->rec_bytes = 0;
    }
    idx = im->nfields++;
    if (!im->have_header) {
        csv_on_header_field(im, data, len);
        return;
    }
    if (idx >= im->ncols)
        return; /* counted; the record callback reports the mismatch */
    if (len > SL_USER_FIELD_MAX) {
        fail_at(im, im->rec_line, SL_ETOOBIG, "%s is longer than %d bytes",
                col_names[im->colmap[idx]], SL_USER_FIELD_MAX);
        return;
    }
    memcpy(im->rec + im->rec_used, data, len);
    im->vals[im->colmap[idx]] = (field){im->rec + im->rec_used, len, true};
    im->rec_used += len + 1;
}

static void csv_on_record(int term, void *ud)
{
    importer *im = ud;
    (void)term;
    if (im->rc != SL_OK)
        return;
    if (!im->have_header) {
        for (size_t i = 0; i < REQUIRED_COUNT; i++) {
            bool found = false;
            for (int k = 0; k < im->ncols; k++)
                found = found || im->colmap[k] == (int)required_cols[i];
            if (!found) {
                fail_at(im, im->rec_line, SL_EINVAL, "missing column '%s'",
                        col_names[required_cols[i]]);
                return;
            }
        }
        im->have_header = true;
    } else if (im->nfields != im->ncols) {
        fail_at(im, im->rec_line, SL_EINVAL, "%d field%s, the header has %d",
                im->nfields, im->nfields == 1 ? "" : "s", im->ncols);
        return;
    } else if (import_row(im, im->rec_line, im->vals) != SL_OK) {
        return;
    }
    im->in_record = false;
    im->nfields = 0;
    im->rec_used = 0;
    memset(im->vals, 0, sizeof im->vals);
}

/* Feed one buffer to libcsv a physical line at a time, so that line numbers
 * are known and a runaway record is stopped at SL_USER_LINE_MAX bytes. */
static sl_rc csv_feed(importer *im, const char *p, size_t n)
{
    while (n > 0 && im->rc == SL_OK) {
        const char *nl = memchr(p, '\n', n);
        size_t seg = nl ? (size_t)(nl - p) + 1 : n;
        if (!im->in_record && !blank(p, seg)) {
            im->in_record = true;
            im->rec_line = im->line;
            im->rec_bytes = 0;
            im->saw_content = true;
        }
        if (im->in_record) {
            im->rec_bytes += seg;
            if (im->rec_bytes > SL_USER_LINE_MAX)
                return fail_at(im, im->rec_line, SL_ETOOBIG,
                               "record longer than %d bytes", SL_USER_LINE_MAX);
        }
        if (csv_parse(&im->csv, p, seg, csv_on_field, csv_on_record, im) != seg &&
            im->rc == SL_OK) {
            if (csv_error(&im->csv) == CSV_EPARSE)
                return fail_at(im, im->rec_line, SL_EINVAL,
                               "malformed CSV: a quote inside an unquoted field or "
                               "text after a closing quote");
            return fail_at(im, im->rec_line, SL_ENOMEM, "cannot parse CSV: %s",
                           csv_strerror(csv_error(&im->csv)));
        }
        if (nl)
            im->line++;
        p += seg;
        n -= seg;
    }
    return im->rc;
}

static sl_rc csv_finish(importer *im)
{
    if (im->rc != SL_OK)
        return im->rc;
    if (csv_fini(&im->csv, csv_on_field, csv_on_record, im) != 0 && im->rc == SL_OK)
        return fail_at(im, im->rec_line, SL_EINVAL, "unterminated quoted field");
    if (im->rc == SL_OK && !im->have_header)
        im->rc = sl__err(im->err, SL_EINVAL, "empty input: expected a header row");
    return im->rc;
}

/* ---- JSON Lines ---------------------------------------------------------- */

/* The value of one key as a field; ids may also be JSON integers (the host's
 * numeric ids) and guest_seat a JSON boolean. */
static sl_rc json_field(importer *im, int c, json_t *j, char *numbuf, size_t numsize,
                        field *out)
{
    if (json_is_null(j))
        return SL_OK;
    if (json_is_string(j)) {
        *out = (field){json_string_value(j), json_string_length(j), true};
        return SL_OK;
    }
    if (c == COL_ID && json_is_integer(j)) {
        int n = snprintf(numbuf, numsize, "%" JSON_INTEGER_FORMAT, json_integer_value(j));
        *out = (field){numbuf, (size_t)n, true};
        return SL_OK;
    }
    if (c == COL_GUEST_SEAT && json_is_boolean(j)) {
        *out = json_is_true(j) ? (field){"true", 4, true} : (field){"false", 5, true};
        return SL_OK;
    }
    return fail_at(im, im->line, SL_EINVAL, "%s must be a string%s", col_names[c],
                   c == COL_ID ? " or an integer" : c == COL_GUEST_SEAT ? " or a boolean" : "");
}

static sl_rc jsonl_line(importer *im, const char *p, size_t n)
{
    char q[QUOTE_MAX + 4], numbuf[32];
    field vals[COL_COUNT] = {{0}};
    json_error_t jerr;
    json_t *obj = NULL, *j;
    const char *key;
    sl_rc rc = SL_OK;

    while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    if (blank(p, n))
        return SL_OK;
    im->saw_content = true;
    if (memchr(p, '\0', n))
        return fail_at(im, im->line, SL_EINVAL, "NUL byte in the line");
    if (!utf8_valid(p, n))
        return fail_at(im, im->line, SL_EINVAL, "invalid UTF-8");
    if (!sl__json_depth_ok(p, n, SL_JSON_DEPTH_MAX))
        return fail_at(im, im->line, SL_EINVAL, "JSON nested deeper than %d levels",
                       SL_JSON_DEPTH_MAX);
    /* NULs inside strings are let through so they get the same message as
     * in CSV rather than jansson's */
    obj = json_loadb(p, n, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
    if (!obj)
        return fail_at(im, im->line, SL_EINVAL, "invalid JSON at column %d: %s",
                       jerr.column, jerr.text);
    if (!json_is_object(obj)) {
        rc = fail_at(im, im->line, SL_EINVAL, "expected a JSON object");
        goto done;
    }
    json_object_foreach(obj, key, j) {
        int c = column_of(key, strlen(key));
        if (c < 0) {
            rc = fail_at(im, im->line, SL_EINVAL, "unknown key '%s'",
                         quote(key, strlen(key), q));
            goto done;
        }
        rc = json_field(im, c, j, numbuf, sizeof numbuf, &vals[c]);
        if (rc != SL_OK)
            goto done;
    }
    rc = import_row(im, im->line, vals);
done:
    json_decref(obj);
    return rc;
}

static sl_rc jsonl_feed(importer *im, const char *p, size_t n)
{
    while (n > 0 && im->rc == SL_OK) {
        const char *nl = memchr(p, '\n', n);
        size_t seg = nl ? (size_t)(nl - p) : n;
        if (seg > SL_USER_LINE_MAX - im->line_len)
            return fail_at(im, im->line, SL_ETOOBIG, "line longer than %d bytes",
                           SL_USER_LINE_MAX);
        memcpy(im->line_buf + im->line_len, p, seg);
        im->line_len += seg;
        if (nl) {
            jsonl_line(im, im->line_buf, im->line_len);
            im->line_len = 0;
            im->line++;
            seg++;
        }
        p += seg;
        n -= seg;
    }
    return im->rc;
}

static sl_rc jsonl_finish(importer *im)
{
    if (im->rc == SL_OK && im->line_len > 0)
        jsonl_line(im, im->line_buf, im->line_len);
    if (im->rc == SL_OK && !im->saw_content)
        im->rc = sl__err(im->err, SL_EINVAL, "empty input: no users");
    return im->rc;
}

/* ---- import -------------------------------------------------------------- */

/* PRAGMA values cannot be bound; the number is formatted from an integer. */
static void set_cache_size(sl_store *st, int64_t size)
{
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA cache_size = %lld", (long long)size);
    /* best effort: a smaller cache is slower, not wrong */
    sqlite3_exec(st->db, sql, NULL, NULL, NULL);
}

static sl_rc read_all(importer *im, FILE *in, sl_user_format format)
{
    static const char bom[] = "\xef\xbb\xbf";
    char *buf = malloc(READ_CHUNK);
    bool first = true;
    sl_rc rc = SL_OK;
    if (!buf)
        return sl__err(im->err, SL_ENOMEM, "out of memory");
    for (;;) {
        size_t n = fread(buf, 1, READ_CHUNK, in);
        const char *p = buf;
        if (n == 0)
            break;
        im->done += n;
        /* spreadsheet exports start with a byte-order mark */
        if (first && n >= 3 && memcmp(buf, bom, 3) == 0) {
            p += 3;
            n -= 3;
        }
        first = false;
        rc = format == SL_USERS_JSONL ? jsonl_feed(im, p, n) : csv_feed(im, p, n);
        if (rc != SL_OK)
            goto done;
        maybe_progress(im, false);
    }
    if (ferror(in)) {
        rc = sl__err(im->err, SL_ESTORAGE, "cannot read the user file: %s", strerror(errno));
        goto done;
    }
    rc = format == SL_USERS_JSONL ? jsonl_finish(im) : csv_finish(im);
    if (rc == SL_OK)
        maybe_progress(im, true);
done:
    free(buf);
    return rc;
}

/* user_counts from the counts a fresh import kept (the same rows the
 * GROUP BY over the directory would give). */
static sl_rc store_key_counts(importer *im)
{
    sqlite3_stmt *s;
    sl_rc rc;
    if (sqlite3_exec(im->st->db, "DELETE FROM user_counts", NULL, NULL, NULL) != SQLITE_OK)
        return sl__db_err(im->st, im->err, "cannot count the user directory");
    rc = sl__stmt(im->st, "INSERT INTO user_counts(billing_key, n) VALUES (?, ?)", &s, im->err);
    for (int key = 0; rc == SL_OK && key < BILLING_KEYS; key++) {
        if (im->key_counts[key] == 0)
            continue;
        sqlite3_bind_int(s, 1, key);
        sqlite3_bind_int64(s, 2, im->key_counts[key]);
        if (sqlite3_step(s) != SQLITE_DONE)
            rc = sl__db_err(im->st, im->err, "cannot count the user directory");
        sqlite3_reset(s);
    }
    return rc;
}

sl_rc sl_store_users_import(sl_store *st, FILE *in, sl_user_format format,
                            int prune, uint64_t total_bytes,
                            sl_progress_fn progress, void *progress_ud,
                            sl_import_stats *stats, sl_error *err)
{
    importer *im = NULL;
    sqlite3_stmt *s;
    int64_t before = 0, after = 0, cache = 0;
    bool bumped = false;
    char detail[160];
    sl_import_stats local = {0};
    sl_rc rc;

    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof *stats);
    if (format != SL_USERS_CSV && format != SL_USERS_JSONL)
        return sl__err(err, SL_EUSAGE, "unknown user file format %d", (int)format);
    im = calloc(1, sizeof *im);
    if (!im)
        return sl__err(err, SL_ENOMEM, "out of memory");
    im->st = st;
    im->stats = stats;
    im->err = err;
    im->line = 1;
    im->total = total_bytes;
    im->progress = progress;
    im->progress_ud = progress_ud;
    clock_gettime(CLOCK_MONOTONIC, &im->last_progress);
    if (format == SL_USERS_CSV) {
        if (csv_init(&im->csv, CSV_STRICT | CSV_STRICT_FINI) != 0) {
            free(im);
            return sl__err(err, SL_ENOMEM, "out of memory");
        }
        im->csv_ready = true;
    }

    rc = sl__stmt(st, "PRAGMA cache_size", &s, err);
    if (rc != SL_OK)
        goto out;
    if (sqlite3_step(s) == SQLITE_ROW)
        cache = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    /* only the default form (negative: KiB); a size set in pages is kept */
    if (cache < 0 && -cache < IMPORT_CACHE_KB) {
        set_cache_size(st, -IMPORT_CACHE_KB);
        bumped = true;
    }
    rc = sl__begin(st, err);
    if (rc != SL_OK)
        goto out;
    rc = sl__stmt(st, "SELECT count(*), coalesce(max(import_gen), 0) + 1 FROM users", &s, err);
    if (rc != SL_OK)
        goto fail;
    if (sqlite3_step(s) != SQLITE_ROW) {
        rc = sl__db_err(st, err, "cannot read the user directory");
        goto fail;
    }
    before = sqlite3_column_int64(s, 0);
    im->gen = sqlite3_column_int64(s, 1);
    sqlite3_reset(s);
    im->fresh = before == 0;
    if (im->fresh) {
        im->key_counts = calloc(BILLING_KEYS, sizeof *im->key_counts);
        if (!im->key_counts) {
            rc = sl__err(err, SL_ENOMEM, "out of memory");
            goto fail;
        }
        rc = sl__stmt(st,
            "INSERT INTO users(id, username, email, state, user_type, highest_role, "
            "guest_seat, last_activity_on, import_gen, last_duo_activity_on) "
            "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)",
            &im->upsert, err);
    } else {
        rc = sl__stmt(st,
            "INSERT INTO users(id, username, email, state, user_type, highest_role, "
            "guest_seat, last_activity_on, import_gen, last_duo_activity_on) "
            "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10) "
            "ON CONFLICT(id) DO UPDATE SET username = excluded.username, "
            "email = excluded.email, state = excluded.state, user_type = excluded.user_type, "
            "highest_role = excluded.highest_role, guest_seat = excluded.guest_seat, "
            "last_activity_on = excluded.last_activity_on, import_gen = excluded.import_gen, "
            /* the ledger records Duo activity itself: an import carries a
             * host's date over but never moves the ledger's back */
            "last_duo_activity_on = CASE WHEN excluded.last_duo_activity_on IS NULL "
            "THEN users.last_duo_activity_on WHEN users.last_duo_activity_on IS NULL "
            "OR excluded.last_duo_activity_on > users.last_duo_activity_on "
            "THEN excluded.last_duo_activity_on ELSE users.last_duo_activity_on END "
            "WHERE users.import_gen <> excluded.import_gen",
            &im->upsert, err);
    }
    if (rc != SL_OK)
        goto fail;

    rc = read_all(im, in, format);
    if (rc != SL_OK)
        goto fail;

    if (im->fresh) {
        after = stats->rows;  /* every row was a new one */
    } else {
        rc = sl__stmt(st, "SELECT count(*) FROM users", &s, err);
        if (rc != SL_OK)
            goto fail;
        if (sqlite3_step(s) != SQLITE_ROW) {
            rc = sl__db_err(st, err, "cannot read the user directory");
            goto fail;
        }
        after = sqlite3_column_int64(s, 0);
        sqlite3_reset(s);
    }
    stats->inserted = after - before;
    stats->updated = stats->rows - stats->inserted;
    if (prune && !im->fresh) {
        rc = sl__stmt(st, "DELETE FROM users WHERE import_gen <> ?", &s, err);
        if (rc != SL_OK)
            goto fail;
        sqlite3_bind_int64(s, 1, im->gen);
        if (sqlite3_step(s) != SQLITE_DONE) {
            rc = sl__db_err(st, err, "cannot prune the user directory");
            sqlite3_reset(s);
            goto fail;
        }
        sqlite3_reset(s);
        stats->removed = sqlite3_changes(st->db);
    }
    /* the counts the rules read, rebuilt in the same transaction: they can
     * never disagree with the directory */
    rc = im->fresh ? store_key_counts(im) : SL_OK;
    if (rc != SL_OK)
        goto fail;
    if (!im->fresh &&
        sqlite3_exec(st->db, "DELETE FROM user_counts; "
                             "INSERT INTO user_counts(billing_key, n) "
                             "SELECT billing_key, count(*) FROM users GROUP BY billing_key",
                     NULL, NULL, NULL) != SQLITE_OK) {
        rc = sl__db_err(st, err, "cannot count the user directory");
        goto fail;
    }
    snprintf(detail, sizeof detail, "rows=%lld inserted=%lld updated=%lld removed=%lld",
             (long long)stats->rows, (long long)stats->inserted,
             (long long)stats->updated, (long long)stats->removed);
    rc = sl__audit(st, "users.import", 0, "ok", detail, err);
    if (rc != SL_OK)
        goto fail;
    rc = sl__commit(st, err);
    goto out;
fail:
    sl__rollback(st);
    memset(stats, 0, sizeof *stats);
out:
    if (bumped)
        set_cache_size(st, cache);
    if (im->csv_ready)
        csv_free(&im->csv);
    free(im->key_counts);
    free(im);
    return rc;
}

/* ---- reading ------------------------------------------------------------- */

/* Users per verdict under the given plan family: the per-key counts that
 * every import keeps (schema/006_user_counts.sql), the rules applied once
 * per key. */
static sl_rc count_by_reason(sl_store *st, bool ultimate, int64_t by_reason[SL_REASON_COUNT],
                             int64_t *total, sl_error *err)
{
    sqlite3_stmt *s;
    int step;
    sl_rc rc = sl__stmt(st,
        "SELECT billing_key, n FROM user_counts", &s, err);
    if (rc != SL_OK)
        return rc;
    memset(by_reason, 0, sizeof(int64_t) * SL_REASON_COUNT);
    *total = 0;
    for (;;) {
        int key, reason;
        step = sqlite3_step(s);
        if (step != SQLITE_ROW)
            break;
        /* unpack as schema/002_users.sql packs */
        key = sqlite3_column_int(s, 0);
        reason = sl__billable_reason(key >> KEY_STATE_SHIFT, (key >> KEY_TYPE_SHIFT) & 63,
                                     (key >> KEY_ROLE_SHIFT) & 15, key & 1, ultimate);
        by_reason[reason] += sqlite3_column_int64(s, 1);
        *total += sqlite3_column_int64(s, 1);
    }
    if (step != SQLITE_DONE)
        rc = sl__db_err(st, err, "cannot count users");
    sqlite3_reset(s);
    return rc;
}

sl_rc sl__users_billable_count(sl_store *st, const char *plan, int64_t *out,
                               sl_error *err)
{
    int64_t by_reason[SL_REASON_COUNT], total;
    sl_rc rc = count_by_reason(st, sl__plan_is_ultimate(plan), by_reason, &total, err);
    if (rc == SL_OK)
        *out = by_reason[SL_REASON_BILLABLE];
    return rc;
}

/* The current license's plan, or "none" without a current license. */
static sl_rc current_plan(sl_store *st, char *plan, size_t size, sl_error *err)
{
    sl_license *lic = NULL;
    int32_t today;
    sl_rc rc = sl__ledger_today(st, &today, err);
    if (rc != SL_OK)
        return rc;
    rc = sl__license_current(st, today, &lic, NULL, err);
    if (rc != SL_OK)
        return rc;
    snprintf(plan, size, "%s", lic ? sl_license_get_info(lic)->plan : "none");
    sl_license_free(lic);
    return SL_OK;
}

sl_rc sl_store_users_count(sl_store *st, sl_user_counts *out, sl_error *err)
{
    sl_rc rc;
    memset(out, 0, sizeof *out);
    rc = current_plan(st, out->plan, sizeof out->plan, err);
    if (rc != SL_OK)
        return rc;
    rc = count_by_reason(st, sl__plan_is_ultimate(out->plan), out->by_reason, &out->total,
                         err);
    if (rc == SL_OK)
        out->billable = out->by_reason[SL_REASON_BILLABLE];
    return rc;
}

sl_rc sl__users_each_plan(sl_store *st, const char *plan, int billable_only,
                          int (*fn)(void *ud, const sl_user *u), void *ud,
                          sl_error *err)
{
    bool ultimate = sl__plan_is_ultimate(plan);
    sqlite3_stmt *s;
    int step;
    sl_rc rc = sl__stmt(st,
        "SELECT id, username, email, state, user_type, highest_role, guest_seat, "
        "last_activity_on FROM users ORDER BY id", &s, err);
    if (rc != SL_OK)
        return rc;
    for (;;) {
        char date[16];
        int state, type, role, seat, reason;
        sl_user u;
        step = sqlite3_step(s);
        if (step != SQLITE_ROW)
            break;
        state = sqlite3_column_int(s, 3);
        type = sqlite3_column_int(s, 4);
        role = sqlite3_column_int(s, 5);
        seat = sqlite3_column_int(s, 6);
        if (!sl__state_name(state) || !sl__user_type_name(type) || !sl__role_name(role)) {
            rc = sl__err(err, SL_ESTORAGE, "ledger '%s': user '%s' has an invalid code",
                         st->path, (const char *)sqlite3_column_text(s, 0));
            break;
        }
        reason = sl__billable_reason(state, type, role, seat, ultimate);
        if (billable_only && reason != SL_REASON_BILLABLE)
            continue;
        u = (sl_user){
            .id = (const char *)sqlite3_column_text(s, 0),
            .username = (const char *)sqlite3_column_text(s, 1),
            .email = (const char *)sqlite3_column_text(s, 2),
            .state = sl__state_name(state),
            .user_type = sl__user_type_name(type),
            .highest_role = sl__role_name(role),
            .guest_seat = seat,
            .last_activity_on = sqlite3_column_type(s, 7) == SQLITE_NULL
                ? NULL : sl_date_format(sqlite3_column_int(s, 7), date, sizeof date),
            .reason = sl_reason_name(reason),
        };
        if (fn(ud, &u) != 0) {
            step = SQLITE_DONE;
            break;
        }
    }
    if (rc == SL_OK && step != SQLITE_DONE)
        rc = sl__db_err(st, err, "cannot list users");
    sqlite3_reset(s);
    return rc;
}

sl_rc sl_store_users_each(sl_store *st, int billable_only,
                          int (*fn)(void *ud, const sl_user *u), void *ud,
                          sl_error *err)
{
    char plan[32];
    sl_rc rc = current_plan(st, plan, sizeof plan, err);
    if (rc != SL_OK)
        return rc;
    return sl__users_each_plan(st, plan, billable_only, fn, ud, err);
}
