/*
 * users.c - the user directory: streamed, all-or-nothing import from CSV
 * or JSON Lines (read by table_import.c), listing with each user's verdict, and
 * counts by reason read from one covering index.  The rules themselves live
 * in billable.c.
 */
#include "ledger/billable.h"
#include "ledger/ledger_internal.h"

#include <stdlib.h>
#include <string.h>

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
#define DATE_LEN 10                      /* YYYY-MM-DD */

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
static const int required_cols[] = {COL_ID, COL_USERNAME, COL_STATE};

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
} importer;

/* ---- one row ------------------------------------------------------------- */

/* A code from a name table; a missing or empty optional value is `dflt`. */
static int lookup_code(sl__table_reader *r, int64_t line, const sl__field *f,
                       int (*code_of)(const char *, size_t), int dflt,
                       const char *what)
{
    char q[SL__QUOTE_MAX + 4];
    int code;
    if (!f->present || f->len == 0)
        return dflt;
    code = code_of(f->p, f->len);
    if (code < 0)
        sl__table_fail(r, line, SL_EINVAL, "unknown %s '%s'", what,
                       sl__table_quote(f->p, f->len, q));
    return code;
}

/* An optional YYYY-MM-DD column: *out is SL_DATE_NONE when empty. */
static sl_rc optional_date(sl__table_reader *r, int64_t line, const sl__field *v, int c,
                           int32_t *out)
{
    char q[SL__QUOTE_MAX + 4], datebuf[DATE_LEN + 1];
    const sl__field *f = &v[c];
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
        return sl__table_fail(r, line, SL_EINVAL, "invalid %s '%s': not a valid YYYY-MM-DD date",
                              col_names[c], sl__table_quote(f->p, f->len, q));
    return SL_OK;
}

/* Each value's syntax in column order, then the upsert (the reader has
 * checked sizes, bytes and the required values). */
static void import_row(void *ud, sl__table_reader *r, int64_t line, const sl__field *v)
{
    importer *im = ud;
    char q[SL__QUOTE_MAX + 4];
    int state, type, role, seat;
    int32_t days = SL_DATE_NONE, duo_days = SL_DATE_NONE;
    sqlite3_stmt *s = im->upsert;
    int step;
    sl_rc rc = SL_OK;

    state = lookup_code(r, line, &v[COL_STATE], sl__state_code, -1, "state");
    if (state >= 0)
        type = lookup_code(r, line, &v[COL_USER_TYPE], sl__user_type_code, SL_TYPE_HUMAN,
                           "user_type");
    else
        type = -1;
    if (type >= 0)
        role = lookup_code(r, line, &v[COL_HIGHEST_ROLE], sl__role_code, SL_ROLE_NONE,
                           "highest_role");
    else
        role = -1;
    if (state < 0 || type < 0 || role < 0)
        return;
    seat = sl__table_bool(&v[COL_GUEST_SEAT]);
    if (seat < 0) {
        sl__table_fail(r, line, SL_EINVAL, "invalid guest_seat '%s': use true or false",
                       sl__table_quote(v[COL_GUEST_SEAT].p, v[COL_GUEST_SEAT].len, q));
        return;
    }
    rc = optional_date(r, line, v, COL_LAST_ACTIVITY_ON, &days);
    if (rc == SL_OK)
        rc = optional_date(r, line, v, COL_LAST_DUO_ACTIVITY_ON, &duo_days);
    if (rc != SL_OK)
        return;

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
        sl__table_fail(r, line, SL_EINVAL, "duplicate id '%s'",
                       sl__table_quote(v[COL_ID].p, v[COL_ID].len, q));
        return;
    }
    sqlite3_reset(s);
    if (step != SQLITE_DONE) {
        sl__table_fail_db(r, im->st, "cannot store a user");
        return;
    }
    if (!im->fresh && sqlite3_changes(im->st->db) == 0) {
        sl__table_fail(r, line, SL_EINVAL, "duplicate id '%s'",
                       sl__table_quote(v[COL_ID].p, v[COL_ID].len, q));
        return;
    }
    if (im->fresh)
        im->key_counts[state << KEY_STATE_SHIFT | type << KEY_TYPE_SHIFT |
                       role << KEY_ROLE_SHIFT | seat]++;
    im->stats->rows++;
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

/* user_counts from the counts a fresh import kept (the same rows the
 * GROUP BY over the directory would give). */
static sl_rc store_key_counts(importer *im, sl_error *err)
{
    sqlite3_stmt *s;
    sl_rc rc;
    if (sqlite3_exec(im->st->db, "DELETE FROM user_counts", NULL, NULL, NULL) != SQLITE_OK)
        return sl__db_err(im->st, err, "cannot count the user directory");
    rc = sl__stmt(im->st, "INSERT INTO user_counts(billing_key, n) VALUES (?, ?)", &s, err);
    for (int key = 0; rc == SL_OK && key < BILLING_KEYS; key++) {
        if (im->key_counts[key] == 0)
            continue;
        sqlite3_bind_int(s, 1, key);
        sqlite3_bind_int64(s, 2, im->key_counts[key]);
        if (sqlite3_step(s) != SQLITE_DONE)
            rc = sl__db_err(im->st, err, "cannot count the user directory");
        sqlite3_reset(s);
    }
    return rc;
}

sl_rc sl_store_users_import(sl_store *st, FILE *in, sl_user_format format,
                            int prune, uint64_t total_bytes,
                            sl_progress_fn progress, void *progress_ud,
                            sl_import_stats *stats, sl_error *err)
{
    importer im = {0};
    sl__table table = {
        .cols = col_names, .ncols = COL_COUNT,
        .required = required_cols, .nrequired = sizeof required_cols / sizeof required_cols[0],
        .json_int_cols = 1u << COL_ID, .json_bool_cols = 1u << COL_GUEST_SEAT,
        .what = "user", .nothing = "no users", .row = import_row, .ud = &im,
    };
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
    im.st = st;
    im.stats = stats;

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
    rc = sl__event_begin(st, 0, err);
    if (rc != SL_OK)
        goto fail;
    rc = sl__stmt(st, "SELECT count(*), coalesce(max(import_gen), 0) + 1 FROM users", &s, err);
    if (rc != SL_OK)
        goto fail;
    if (sqlite3_step(s) != SQLITE_ROW) {
        rc = sl__db_err(st, err, "cannot read the user directory");
        goto fail;
    }
    before = sqlite3_column_int64(s, 0);
    im.gen = sqlite3_column_int64(s, 1);
    sqlite3_reset(s);
    im.fresh = before == 0;
    if (im.fresh) {
        im.key_counts = calloc(BILLING_KEYS, sizeof *im.key_counts);
        if (!im.key_counts) {
            rc = sl__err(err, SL_ENOMEM, "out of memory");
            goto fail;
        }
        rc = sl__stmt(st,
            "INSERT INTO users(id, username, email, state, user_type, highest_role, "
            "guest_seat, last_activity_on, import_gen, last_duo_activity_on) "
            "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)",
            &im.upsert, err);
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
            &im.upsert, err);
    }
    if (rc != SL_OK)
        goto fail;

    rc = sl__table_read(&table, in, format, total_bytes, progress, progress_ud, err);
    if (rc != SL_OK)
        goto fail;

    if (im.fresh) {
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
    if (prune && !im.fresh) {
        rc = sl__stmt(st, "DELETE FROM users WHERE import_gen <> ?", &s, err);
        if (rc != SL_OK)
            goto fail;
        sqlite3_bind_int64(s, 1, im.gen);
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
    rc = im.fresh ? store_key_counts(&im, err) : SL_OK;
    if (rc != SL_OK)
        goto fail;
    if (!im.fresh &&
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
    free(im.key_counts);
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
