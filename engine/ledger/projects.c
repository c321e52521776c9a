/*
 * projects.c - the project directory (code-suggestions.md): the host's
 * projects and groups, imported all or nothing like the user directory
 * (table_import.c reads the file), and the cascade that answers "are Duo
 * features on for this project": instance, each group prefix, the project;
 * the most specific non-empty value wins, a locked value over everything
 * below it.
 */
#include "ledger/ledger_internal.h"

#include <string.h>

enum pcol { PCOL_PATH, PCOL_KIND, PCOL_DUO, PCOL_LOCKED, PCOL_COUNT };

static const char *const pcol_names[PCOL_COUNT] = {
    "path", "kind", "duo_features_enabled", "locked",
};
static const int prequired[] = {PCOL_PATH};

enum { KIND_PROJECT = 0, KIND_GROUP = 1 };

typedef struct pimporter {
    sl_store *st;
    sqlite3_stmt *upsert;
    int64_t gen;
    sl_import_stats *stats;
} pimporter;

/* Segments of [A-Za-z0-9_.-], none empty, "." or "..", joined by '/';
 * *depth receives their number.  0 when malformed. */
static int path_ok(const char *p, size_t n, int *depth)
{
    size_t seg = 0;
    int dots = 1;
    *depth = 0;
    if (n == 0 || n > SL_PROJECT_PATH_MAX)
        return 0;
    for (size_t i = 0; i <= n; i++) {
        char c = i < n ? p[i] : '/';
        if (c == '/') {
            if (seg == 0 || (dots && seg <= 2))
                return 0;
            (*depth)++;
            seg = 0;
            dots = 1;
            continue;
        }
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return 0;
        dots = dots && c == '.';
        seg++;
    }
    return 1;
}

static void import_row(void *ud, sl__table_reader *r, int64_t line, const sl__field *v)
{
    pimporter *im = ud;
    char q[SL__QUOTE_MAX + 4];
    int kind = KIND_PROJECT, duo = -1, locked, depth, step;
    const sl__field *f;
    sqlite3_stmt *s = im->upsert;

    if (!path_ok(v[PCOL_PATH].p, v[PCOL_PATH].len, &depth)) {
        sl__table_fail(r, line, SL_EINVAL,
                       "invalid path '%s': use segments of A-Z a-z 0-9 _ . - joined by '/'",
                       sl__table_quote(v[PCOL_PATH].p, v[PCOL_PATH].len, q));
        return;
    }
    if (depth > SL_PROJECT_DEPTH_MAX) {
        sl__table_fail(r, line, SL_EINVAL, "path '%s' has more than %d segments",
                       sl__table_quote(v[PCOL_PATH].p, v[PCOL_PATH].len, q),
                       SL_PROJECT_DEPTH_MAX);
        return;
    }
    f = &v[PCOL_KIND];
    if (f->present && f->len > 0) {
        if (f->len == 7 && memcmp(f->p, "project", 7) == 0) {
            kind = KIND_PROJECT;
        } else if (f->len == 5 && memcmp(f->p, "group", 5) == 0) {
            kind = KIND_GROUP;
        } else {
            sl__table_fail(r, line, SL_EINVAL, "unknown kind '%s': use project or group",
                           sl__table_quote(f->p, f->len, q));
            return;
        }
    }
    f = &v[PCOL_DUO];
    if (f->present && f->len > 0) {
        duo = sl__table_bool(f);
        if (duo < 0) {
            sl__table_fail(r, line, SL_EINVAL,
                           "invalid duo_features_enabled '%s': use true, false or empty",
                           sl__table_quote(f->p, f->len, q));
            return;
        }
    }
    locked = sl__table_bool(&v[PCOL_LOCKED]);
    if (locked < 0) {
        sl__table_fail(r, line, SL_EINVAL, "invalid locked '%s': use true or false",
                       sl__table_quote(v[PCOL_LOCKED].p, v[PCOL_LOCKED].len, q));
        return;
    }
    sqlite3_bind_text(s, 1, v[PCOL_PATH].p, (int)v[PCOL_PATH].len, SQLITE_STATIC);
    sqlite3_bind_int(s, 2, kind);
    if (duo < 0)
        sqlite3_bind_null(s, 3);
    else
        sqlite3_bind_int(s, 3, duo);
    sqlite3_bind_int(s, 4, locked);
    sqlite3_bind_int64(s, 5, im->gen);
    step = sqlite3_step(s);
    sqlite3_reset(s);
    if (step != SQLITE_DONE) {
        sl__table_fail_db(r, im->st, "cannot store a project");
        return;
    }
    /* the upsert skips rows this import already wrote: a repeated path */
    if (sqlite3_changes(im->st->db) == 0) {
        sl__table_fail(r, line, SL_EINVAL, "duplicate path '%s'",
                       sl__table_quote(v[PCOL_PATH].p, v[PCOL_PATH].len, q));
        return;
    }
    im->stats->rows++;
}

sl_rc sl_store_projects_import(sl_store *st, FILE *in, sl_user_format format, int prune,
                               sl_import_stats *stats, sl_error *err)
{
    pimporter im = {0};
    sl__table table = {
        .cols = pcol_names, .ncols = PCOL_COUNT,
        .required = prequired, .nrequired = sizeof prequired / sizeof prequired[0],
        .json_bool_cols = (1u << PCOL_DUO) | (1u << PCOL_LOCKED),
        .what = "project", .nothing = "no projects", .row = import_row, .ud = &im,
    };
    sqlite3_stmt *s;
    int64_t before = 0, after = 0;
    char detail[160];
    sl_import_stats local = {0};
    sl_rc rc;

    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof *stats);
    im.st = st;
    im.stats = stats;
    rc = sl__begin(st, err);
    if (rc != SL_OK)
        return rc;
    rc = sl__event_begin(st, 0, err);
    if (rc != SL_OK) {
        sl__rollback(st);
        return rc;
    }
    rc = sl__stmt(st, "SELECT count(*), coalesce(max(import_gen), 0) + 1 FROM projects", &s,
                  err);
    if (rc != SL_OK)
        goto fail;
    if (sqlite3_step(s) != SQLITE_ROW) {
        rc = sl__db_err(st, err, "cannot read the project directory");
        sqlite3_reset(s);
        goto fail;
    }
    before = sqlite3_column_int64(s, 0);
    im.gen = sqlite3_column_int64(s, 1);
    sqlite3_reset(s);
    rc = sl__stmt(st,
        "INSERT INTO projects(path, kind, duo_features_enabled, locked, import_gen) "
        "VALUES (?1, ?2, ?3, ?4, ?5) "
        "ON CONFLICT(path) DO UPDATE SET path = excluded.path, kind = excluded.kind, "
        "duo_features_enabled = excluded.duo_features_enabled, locked = excluded.locked, "
        "import_gen = excluded.import_gen WHERE projects.import_gen <> excluded.import_gen",
        &im.upsert, err);
    if (rc != SL_OK)
        goto fail;
    rc = sl__table_read(&table, in, format, 0, NULL, NULL, err);
    if (rc != SL_OK)
        goto fail;
    rc = sl__stmt(st, "SELECT count(*) FROM projects", &s, err);
    if (rc != SL_OK)
        goto fail;
    if (sqlite3_step(s) != SQLITE_ROW) {
        rc = sl__db_err(st, err, "cannot read the project directory");
        sqlite3_reset(s);
        goto fail;
    }
    after = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    stats->inserted = after - before;
    stats->updated = stats->rows - stats->inserted;
    if (prune) {
        rc = sl__stmt(st, "DELETE FROM projects WHERE import_gen <> ?1", &s, err);
        if (rc != SL_OK)
            goto fail;
        sqlite3_bind_int64(s, 1, im.gen);
        if (sqlite3_step(s) != SQLITE_DONE) {
            rc = sl__db_err(st, err, "cannot prune the project directory");
            sqlite3_reset(s);
            goto fail;
        }
        sqlite3_reset(s);
        stats->removed = sqlite3_changes(st->db);
    }
    snprintf(detail, sizeof detail, "rows=%lld inserted=%lld updated=%lld removed=%lld",
             (long long)stats->rows, (long long)stats->inserted,
             (long long)stats->updated, (long long)stats->removed);
    rc = sl__audit(st, "projects.import", 0, "ok", detail, err);
    if (rc != SL_OK)
        goto fail;
    return sl__commit(st, err);
fail:
    sl__rollback(st);
    memset(stats, 0, sizeof *stats);
    return rc;
}

/* ---- the cascade ---------------------------------------------------------- */

/* One row by path: *found 0 when absent. */
static sl_rc lookup(sl_store *st, const char *p, size_t n, int *found, int *kind, int *duo,
                    int *locked, sl_error *err)
{
    sqlite3_stmt *s;
    int step;
    sl_rc rc = sl__stmt(st, "SELECT kind, duo_features_enabled, locked FROM projects "
                            "WHERE path = ?1", &s, err);
    *found = 0;
    if (rc != SL_OK)
        return rc;
    sqlite3_bind_text(s, 1, p, (int)n, SQLITE_STATIC);
    step = sqlite3_step(s);
    if (step == SQLITE_ROW) {
        *found = 1;
        *kind = sqlite3_column_int(s, 0);
        *duo = sqlite3_column_type(s, 1) == SQLITE_NULL ? -1 : sqlite3_column_int(s, 1);
        *locked = sqlite3_column_int(s, 2);
    } else if (step != SQLITE_DONE) {
        rc = sl__db_err(st, err, "cannot read the project directory");
    }
    sqlite3_reset(s);
    return rc;
}

/* The cascade for `path`, whose own row (kind, duo) was read already. */
static sl_rc cascade(sl_store *st, const char *path, size_t n, int own_duo, int *out,
                     sl_error *err)
{
    int value, locked, found, kind, duo, lock;
    sl_rc rc = sl__setting_get(st, SL_SETTING_DUO_FEATURES_ENABLED, &value, &locked, err);
    if (rc != SL_OK)
        return rc;
    if (locked)
        goto done;
    /* each group prefix, top down: a lock fixes the value in force there */
    for (size_t i = 0; i < n; i++) {
        if (path[i] != '/')
            continue;
        rc = lookup(st, path, i, &found, &kind, &duo, &lock, err);
        if (rc != SL_OK)
            return rc;
        if (!found || kind != KIND_GROUP)
            continue;
        if (duo >= 0)
            value = duo;
        if (lock)
            goto done;
    }
    if (own_duo >= 0)
        value = own_duo;
done:
    *out = value;
    return SL_OK;
}

/* The answer from the ledger. */
static sl_rc duo_enabled(sl_store *st, const char *path, size_t n, int *out_enabled,
                         sl_error *err)
{
    int found, kind, duo, locked;
    sl_rc rc = lookup(st, path, n, &found, &kind, &duo, &locked, err);
    if (rc != SL_OK)
        return rc;
    if (!found || kind != KIND_PROJECT)
        return sl__err(err, SL_ENOTFOUND, "no project '%s'", path);
    return cascade(st, path, n, duo, out_enabled, err);
}

/* IDEs ask about the same few projects all day: answers are kept in the
 * connection's read cache (emptied by any commit).  Paths are looked up
 * without case, so the cache keys them in lowercase. */
sl_rc sl_store_project_duo_enabled(sl_store *st, const char *path, int *out_enabled,
                                   sl_error *err)
{
    char key[SL_CACHE_KEY_MAX + 1];
    int depth, slot = -1;
    int32_t today;
    size_t n = path ? strlen(path) : 0;
    sl_rc rc;
    *out_enabled = 0;
    if (!path_ok(path, n, &depth) || depth > SL_PROJECT_DEPTH_MAX)
        return sl__err(err, SL_ENOTFOUND, "no project at that path");
    rc = sl__ledger_today(st, &today, err);   /* validates the cache */
    if (rc != SL_OK)
        return rc;
    if (n <= SL_CACHE_KEY_MAX) {
        for (size_t i = 0; i <= n; i++)
            key[i] = (char)(path[i] >= 'A' && path[i] <= 'Z' ? path[i] + 32 : path[i]);
        slot = sl__cache_slot(key);
    }
    if (slot >= 0 && strcmp(st->cache.proj[slot].path, key) == 0) {
        *out_enabled = st->cache.proj[slot].enabled;
        if (st->cache.proj[slot].rc == SL_OK)
            return SL_OK;
        return sl__err(err, SL_ENOTFOUND, "no project '%s'", path);
    }
    rc = duo_enabled(st, path, n, out_enabled, err);
    if ((rc == SL_OK || rc == SL_ENOTFOUND) && slot >= 0 && st->cache.valid) {
        st->cache.proj[slot].rc = rc;
        st->cache.proj[slot].enabled = *out_enabled;
        memcpy(st->cache.proj[slot].path, key, n + 1);
    }
    return rc;
}

sl_rc sl_store_projects_each(sl_store *st, int (*fn)(void *ud, const sl_project *p),
                             void *ud, sl_error *err)
{
    sqlite3_stmt *s;
    int step;
    sl_rc rc = sl__stmt(st, "SELECT path, kind, duo_features_enabled, locked FROM projects "
                            "ORDER BY path COLLATE BINARY", &s, err);
    if (rc != SL_OK)
        return rc;
    for (;;) {
        sl_project p;
        step = sqlite3_step(s);
        if (step != SQLITE_ROW)
            break;
        p.path = (const char *)sqlite3_column_text(s, 0);
        p.kind = sqlite3_column_int(s, 1) == KIND_GROUP ? "group" : "project";
        p.duo_features_enabled =
            sqlite3_column_type(s, 2) == SQLITE_NULL ? -1 : sqlite3_column_int(s, 2);
        p.locked = sqlite3_column_int(s, 3);
        /* the cascade's other statement runs while this one is open */
        rc = cascade(st, p.path, strlen(p.path), p.duo_features_enabled, &p.effective, err);
        if (rc != SL_OK)
            break;
        if (fn(ud, &p) != 0) {
            step = SQLITE_DONE;
            break;
        }
    }
    if (rc == SL_OK && step != SQLITE_DONE)
        rc = sl__db_err(st, err, "cannot list the project directory");
    sqlite3_reset(s);
    return rc;
}
