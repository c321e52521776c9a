/*
 * report/usage_report.c - the signed usage report (docs/trust.md): the
 * current license as the chain recorded its addition, the window, every
 * snapshot and add-on snapshot recorded in it, the chain's records from
 * position 0 to the head and the restarts at acknowledged breaks, signed
 * with the instance's Ed25519 key.  Read in one transaction; writes
 * nothing.  Its checker is report_verify.c.
 */
#include "report/report_internal.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

/* What the walk over the chain gathers. */
typedef struct gather {
    int64_t from_ms, to_ms;
    unsigned char *records;       /* SL__CHAIN_RECORD_LEN each, one per position */
    size_t nrecords;
    json_t *restarts;
    struct row { int64_t pos, id; int code; } *rows;  /* snapshots of the window */
    size_t nrows, caprows;
    int oom;
} gather;

static int put_record(gather *g, int code, int64_t id, int64_t at, const unsigned char *digest)
{
    static const unsigned char zero[SL__CHAIN_HASH_LEN];
    sl__chain_record_put(g->records + g->nrecords * SL__CHAIN_RECORD_LEN, code, id, at,
                         digest ? digest : zero);
    g->nrecords++;
    return 0;
}

static int on_missing(void *ud, int64_t first, int64_t last)
{
    gather *g = ud;
    for (int64_t p = first; p <= last; p++)
        put_record(g, 0, 0, 0, NULL);
    return 0;
}

static int on_entry(void *ud, int64_t pos, int code, int64_t row_id, int64_t at,
                    const unsigned char *digest, const unsigned char *restart)
{
    gather *g = ud;
    /* a position without a row to show (deleted, or no chained table) */
    put_record(g, digest ? code : 0, row_id, at, digest);
    if (restart) {
        char hex[SL_CHAIN_HASH_HEX];
        sl__hex(restart, SL__CHAIN_HASH_LEN, hex);
        if (json_array_append_new(g->restarts,
                                  json_pack("{s:I,s:s}", "position", (json_int_t)pos, "hash",
                                            hex)) != 0) {
            g->oom = 1;
            return 1;
        }
    }
    if (digest && (code == 2 || code == 3) && at >= g->from_ms && at <= g->to_ms) {
        if (g->nrows == g->caprows) {
            size_t n = g->caprows ? g->caprows * 2 : 256;
            struct row *p = realloc(g->rows, n * sizeof *p);
            if (!p) {
                g->oom = 1;
                return 1;
            }
            g->rows = p;
            g->caprows = n;
        }
        g->rows[g->nrows++] = (struct row){pos, row_id, code};
    }
    return 0;
}

static json_t *time_json(int64_t ms)
{
    char buf[32];
    return json_string(sl_time_format_rfc3339(ms, buf, sizeof buf));
}

/* A string a report may carry: UTF-8 without control characters (so that
 * its canonical form is RFC 8785's; report_verify.c refuses others). */
static json_t *text_json(const unsigned char *p, int n)
{
    for (int i = 0; i < n; i++) {
        if (p[i] < 0x20)
            return NULL;
    }
    return json_stringn((const char *)p, (size_t)n);
}

/* One listed row as {"position", "id", its columns by name}. */
static sl_rc row_json(sl_store *st, const struct row *r, json_t *out, sl_error *err)
{
    const sl__chain_table *t = sl__chain_table_by_code(r->code);
    sqlite3_stmt *s = NULL;
    json_t *o = NULL;
    sl_rc rc = sl__stmt(st, t->select_one, &s, err);
    if (rc != SL_OK)
        return rc;
    sqlite3_bind_int64(s, 1, r->id);
    if (sqlite3_step(s) != SQLITE_ROW) {
        rc = sl__db_err(st, err, "cannot read the ledger");
        goto done;
    }
    o = json_pack("{s:I,s:I}", "position", (json_int_t)r->pos, "id", (json_int_t)r->id);
    for (int c = 0; o && c < t->ncols; c++) {
        json_t *v = NULL;
        switch (sqlite3_column_type(s, 1 + c)) {
        case SQLITE_NULL:
            v = json_null();
            break;
        case SQLITE_INTEGER:
            v = t->kinds[c] == SL__COL_TIME ? time_json(sqlite3_column_int64(s, 1 + c))
                                            : json_integer(sqlite3_column_int64(s, 1 + c));
            break;
        case SQLITE_TEXT:
            if (t->kinds[c] != SL__COL_TIME)
                v = text_json(sqlite3_column_text(s, 1 + c), sqlite3_column_bytes(s, 1 + c));
            break;
        default:
            break;
        }
        if (!v) {
            rc = sl__err(err, SL_EINVAL, "cannot write the report: %s row %lld holds a value in "
                         "'%s' that a report cannot carry", t->name, (long long)r->id,
                         t->columns[c]);
            goto done;
        }
        json_object_set_new(o, t->columns[c], v);
    }
    if (!o || json_array_append_new(out, o) != 0) {
        o = NULL;
        rc = sl__err(err, SL_ENOMEM, "out of memory");
    }
    o = NULL;
done:
    json_decref(o);
    sqlite3_reset(s);
    return rc;
}

static json_t *break_json(const sl_chain_break *b)
{
    char when[32], ack[32];
    return json_pack("{s:s,s:o,s:o,s:o,s:o,s:o,s:s}",
                     "kind", sl_chain_break_kind_name(b->kind),
                     "position", b->position ? json_integer(b->position) : json_null(),
                     "last_position", b->position ? json_integer(b->last_position) : json_null(),
                     "table", b->table[0] ? json_string(b->table) : json_null(),
                     "row_id", b->row_id ? json_integer(b->row_id) : json_null(),
                     "recorded_at", b->at_ms ? json_string(sl_time_format_rfc3339(
                                                   b->at_ms, when, sizeof when))
                                             : json_null(),
                     "acknowledged_at",
                     sl_time_format_rfc3339(b->acknowledged_at_ms, ack, sizeof ack));
}

/* The license's chained addition: its row, position, time and key text. */
static sl_rc license_added(sl_store *st, int64_t license_id, json_t **out, sl_error *err)
{
    sqlite3_stmt *s = NULL;
    int step;
    sl_rc rc = sl__stmt(st, "SELECT e.id, e.at, e.data, c.position FROM license_events e "
                            "JOIN chain c ON c.tbl = 5 AND c.row_id = e.id "
                            "WHERE e.license_id = ?1 AND e.event = 'added' "
                            "ORDER BY e.id DESC LIMIT 1", &s, err);
    *out = NULL;
    if (rc != SL_OK)
        return rc;
    sqlite3_bind_int64(s, 1, license_id);
    step = sqlite3_step(s);
    if (step != SQLITE_ROW || sqlite3_column_type(s, 2) != SQLITE_TEXT) {
        rc = step == SQLITE_ROW || step == SQLITE_DONE
                 ? sl__err(err, SL_ENOTFOUND, "license %lld has no chained addition with its "
                           "key", (long long)license_id)
                 : sl__db_err(st, err, "cannot read the license events");
        sqlite3_reset(s);
        return rc;
    }
    {
        int n = sqlite3_column_bytes(s, 2);
        char *enc = malloc((size_t)n / 3 * 4 + 8);
        if (!enc) {
            sqlite3_reset(s);
            return sl__err(err, SL_ENOMEM, "out of memory");
        }
        EVP_EncodeBlock((unsigned char *)enc, sqlite3_column_text(s, 2), n);
        *out = json_pack("{s:I,s:s,s:{s:I,s:I,s:o}}", "id", (json_int_t)license_id,
                         "key_base64", enc, "added", "position",
                         (json_int_t)sqlite3_column_int64(s, 3), "id",
                         (json_int_t)sqlite3_column_int64(s, 0), "at",
                         time_json(sqlite3_column_int64(s, 1)));
        free(enc);
    }
    sqlite3_reset(s);
    return *out ? SL_OK : sl__err(err, SL_ENOMEM, "out of memory");
}

static sl_rc build(sl_store *st, const sl_report_options *o, json_t **out, sl_report_info *info,
                   sl_error *err)
{
    sl_license *lic = NULL;
    const sl_license_info *inf;
    sl__chain_walk w = {0};
    sl_chain_verdict *v = NULL;
    gather g = {0};
    json_t *root = NULL, *rows = NULL, *addons = NULL, *breaks = NULL, *lic_json = NULL;
    unsigned char head_hash[SL__CHAIN_HASH_LEN];
    char instance[SL_INSTANCE_UUID_LEN + 1], hex[SL_CHAIN_HASH_HEX], *enc = NULL;
    int64_t now, license_id = 0, head = 0;
    int version;
    const char *format = sl__report_format(&version);
    sl_rc rc = sl__ledger_now(st, &now, err);
    *out = NULL;
    memset(info, 0, sizeof *info);
    if (rc == SL_OK)
        rc = sl__license_current(st, sl_ms_to_date(now), &lic, &license_id, err);
    if (rc == SL_OK && !lic)
        rc = sl__err(err, SL_ENOTFOUND, "no current license");
    if (rc != SL_OK)
        goto done;
    inf = sl_license_get_info(lic);
    if (o && o->from_ms != INT64_MIN) {
        g.from_ms = o->from_ms;
        g.to_ms = o->to_ms;
    } else {
        sl__ledger_window(inf->starts_on, inf->expires_on, now, &g.from_ms, &g.to_ms);
    }
    rc = sl_store_instance_id(st, instance, err);
    if (rc == SL_OK)
        rc = license_added(st, license_id, &lic_json, err);
    if (rc == SL_OK)
        rc = sl__chain_head(st, &head, head_hash, err);
    if (rc != SL_OK)
        goto done;
    if (head > SL_REPORT_POSITIONS_MAX) {
        rc = sl__err(err, SL_ETOOBIG, "cannot write the report: the chain has %lld positions, "
                     "over the limit of %d a report covers", (long long)head,
                     SL_REPORT_POSITIONS_MAX);
        goto done;
    }
    v = calloc(1, sizeof *v);
    g.records = malloc((size_t)head * SL__CHAIN_RECORD_LEN + 1);
    g.restarts = json_array();
    if (!v || !g.records || !g.restarts) {
        rc = sl__err(err, SL_ENOMEM, "out of memory");
        goto done;
    }
    rc = sl__chain_walk_begin(st, &w, err);
    if (rc != SL_OK)
        goto done;
    w.verdict = v;
    w.on_entry = on_entry;
    w.on_missing = on_missing;
    w.ud = &g;
    rc = sl__chain_walk_range(&w, 1, head, err);
    if (rc == SL_OK && g.oom)
        rc = sl__err(err, SL_ENOMEM, "out of memory");
    if (rc != SL_OK)
        goto done;
    if (v->unacknowledged) {
        char text[256];
        rc = sl__err(err, SL_ETAMPERED, "cannot sign a usage report of a broken chain: %s; "
                     "'seatledger ledger verify --accept-break' acknowledges the breaks, which "
                     "the report then lists", sl_chain_break_describe(&v->first_unacknowledged,
                                                                      text, sizeof text));
        goto done;
    }
    if (g.nrecords != (size_t)head) {
        rc = sl__err(err, SL_EINTERNAL, "cannot write the report: %zu records for %lld "
                     "positions", g.nrecords, (long long)head);
        goto done;
    }
    rows = json_array();
    addons = json_array();
    breaks = json_array();
    for (size_t i = 0; rc == SL_OK && i < g.nrows; i++)
        rc = row_json(st, &g.rows[i], g.rows[i].code == 2 ? rows : addons, err);
    for (size_t i = 0; rc == SL_OK && i < v->nlisted; i++) {
        if (json_array_append_new(breaks, break_json(&v->listed[i])) != 0)
            rc = sl__err(err, SL_ENOMEM, "out of memory");
    }
    if (rc != SL_OK)
        goto done;
    enc = malloc(g.nrecords * SL__CHAIN_RECORD_LEN / 3 * 4 + 8);
    if (!enc) {
        rc = sl__err(err, SL_ENOMEM, "out of memory");
        goto done;
    }
    EVP_EncodeBlock((unsigned char *)enc, g.records, (int)(g.nrecords * SL__CHAIN_RECORD_LEN));
    sl__hex(head_hash, sizeof head_hash, hex);
    root = json_pack("{s:s,s:i,s:s,s:o,s:{s:o,s:o},s:O,s:O,s:O,s:O,"
                     "s:{s:{s:i,s:s},s:{s:I,s:s},s:s,s:O}}",
                     "format", format, "version", version, "instance_id", instance,
                     "generated_at", time_json(now),
                     "window", "from", time_json(g.from_ms), "to", time_json(g.to_ms),
                     "license", lic_json, "snapshots", rows, "add_on_snapshots", addons,
                     "breaks", breaks,
                     "chain", "start", "position", 0, "hash",
                     "0000000000000000000000000000000000000000000000000000000000000000",
                     "head", "position", (json_int_t)head, "hash", hex,
                     "records", enc, "restarts", g.restarts);
    if (!root) {
        rc = sl__err(err, SL_ENOMEM, "out of memory");
        goto done;
    }
    info->generated_at_ms = now;
    info->license_id = license_id;
    info->from_ms = g.from_ms;
    info->to_ms = g.to_ms;
    info->head_position = head;
    snprintf(info->head_hash, sizeof info->head_hash, "%s", hex);
    snprintf(info->instance_id, sizeof info->instance_id, "%s", instance);
    info->snapshots = (int64_t)json_array_size(rows);
    info->add_on_snapshots = (int64_t)json_array_size(addons);
    info->restarts = (int64_t)json_array_size(g.restarts);
    info->breaks = v->breaks;
    for (size_t i = 0; i < json_array_size(rows); i++) {
        const json_t *r = json_array_get(rows, i);
        int64_t n = json_integer_value(json_object_get(r, "billable_user_count"));
        if (i == 0 || n > info->peak_count) {
            info->peak_count = n;
            sl_time_parse(json_string_value(json_object_get(r, "recorded_at")), &info->peak_at_ms,
                          NULL);
        }
    }
    *out = root;
    root = NULL;
done:
    json_decref(root);
    json_decref(rows);
    json_decref(addons);
    json_decref(breaks);
    json_decref(lic_json);
    json_decref(g.restarts);
    free(g.records);
    free(g.rows);
    free(enc);
    free(v);
    sl__chain_walk_free(&w);
    sl_license_free(lic);
    return rc;
}

sl_rc sl_store_usage_report(sl_store *st, const sl_report_options *o, char **out_json,
                            size_t *out_len, sl_report_info *out_info, sl_error *err)
{
    sl_report_info info;
    json_t *root = NULL;
    char *bytes = NULL, *text = NULL, b64[128];
    unsigned char sig[SL__REPORT_SIG_LEN];
    size_t n = 0;
    int began = 0;
    sl_rc rc;
    *out_json = NULL;
    if (out_len)
        *out_len = 0;
    /* one read transaction: the chain, the rows and the head agree */
    if (!st->in_txn && sqlite3_get_autocommit(st->db)) {
        if (sqlite3_exec(st->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
            return sl__db_err(st, err, "cannot read the ledger");
        began = 1;
    }
    rc = build(st, o, &root, &info, err);
    if (rc == SL_OK)
        rc = sl__report_signed_bytes(root, &bytes, &n, err);
    if (rc == SL_OK)
        rc = sl__instance_sign_report(st, bytes, n, sig, info.key_sha256, err);
    if (began)
        sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
    if (rc != SL_OK)
        goto done;
    EVP_EncodeBlock((unsigned char *)b64, sig, sizeof sig);
    if (json_object_set_new(root, "signature",
                            json_pack("{s:s,s:s,s:s}", "algorithm", "ed25519",
                                      "public_key_sha256", info.key_sha256, "value", b64)) != 0) {
        rc = sl__err(err, SL_ENOMEM, "out of memory");
        goto done;
    }
    text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (!text) {
        rc = sl__err(err, SL_ENOMEM, "out of memory");
        goto done;
    }
    /* room for the final newline: copied, not realloc'd (json_dumps's
     * buffer is jansson's, and GCC's -Wuse-after-free cannot follow a
     * realloc that failed) */
    n = strlen(text);
    *out_json = malloc(n + 2);
    if (!*out_json) {
        free(text);
        rc = sl__err(err, SL_ENOMEM, "out of memory");
        goto done;
    }
    memcpy(*out_json, text, n);
    free(text);
    (*out_json)[n] = '\n';
    (*out_json)[n + 1] = '\0';
    if (out_len)
        *out_len = n + 1;
    if (out_info)
        *out_info = info;
done:
    json_decref(root);
    free(bytes);
    return rc;
}
