/*
 * fuzz_users_import.c - libFuzzer target for the user-directory import.
 * The first byte picks the format ('j'/'J' JSON Lines, anything else CSV;
 * upper case also prunes), the rest is the file, read through fmemopen.
 * Before each input the ledger holds the same three users; after it, a
 * failed import must have left them exactly so, and a successful one must
 * account for every row in its statistics and counts.  The same bytes then
 * go to the project-directory import (the same reader, its own rows): a
 * failed one leaves the two baseline projects, a successful one lists every
 * row with a cascade answer the lookup agrees with.
 */
#include "fuzzutil.h"
#include "ledger/store_internal.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char baseline_csv[] =
    "id,username,email,state,user_type,highest_role,guest_seat,last_activity_on\n"
    "b1,base-one,b1@example.com,active,human,developer,false,2026-01-01\n"
    "b2,base-two,,blocked,human,guest,true,\n"
    "b3,base-bot,,active,project_bot,maintainer,false,\n";
#define BASELINE_USERS 3
static const char baseline_projects[] =
    "path,kind,duo_features_enabled,locked\nbase,group,false,true\nbase/app,project,true,\n";
#define BASELINE_PROJECTS 2

static sl_store *st;

static void reset_baseline(void)
{
    sl_error err = {0};
    sl_import_stats stats = {0};
    FILE *f;
    char *errmsg = NULL;
    /* emptying the table directly keeps each input independent of the last */
    if (sqlite3_exec(st->db, "DELETE FROM users", NULL, NULL, &errmsg) != SQLITE_OK) {
        fprintf(stderr, "fuzz: cannot empty users: %s\n", errmsg);
        sqlite3_free(errmsg);
        abort();
    }
    f = fmemopen((void *)baseline_csv, sizeof baseline_csv - 1, "r");
    fuzz_assert(f != NULL, "fmemopen", NULL);
    fuzz_assert(sl_store_users_import(st, f, SL_USERS_CSV, 0, 0, NULL, NULL, &stats, &err) == SL_OK,
                "baseline import", &err);
    fclose(f);
}

static void reset_projects(void)
{
    sl_error err = {0};
    FILE *f;
    char *errmsg = NULL;
    if (sqlite3_exec(st->db, "DELETE FROM projects", NULL, NULL, &errmsg) != SQLITE_OK) {
        fprintf(stderr, "fuzz: cannot empty projects: %s\n", errmsg);
        sqlite3_free(errmsg);
        abort();
    }
    f = fmemopen((void *)baseline_projects, sizeof baseline_projects - 1, "r");
    fuzz_assert(f != NULL, "fmemopen", NULL);
    fuzz_assert(sl_store_projects_import(st, f, SL_USERS_CSV, 0, NULL, &err) == SL_OK,
                "baseline projects", &err);
    fclose(f);
}

typedef struct pwalk {
    int64_t seen;
    sl_store *st;
} pwalk;

static int each_project(void *ud, const sl_project *p)
{
    pwalk *w = ud;
    fuzz_assert(p->path && p->path[0] && strlen(p->path) <= SL_PROJECT_PATH_MAX, "path", NULL);
    fuzz_assert(strcmp(p->kind, "project") == 0 || strcmp(p->kind, "group") == 0, "kind", NULL);
    fuzz_assert(p->effective == 0 || p->effective == 1, "effective", NULL);
    w->seen++;
    return 0;
}

/* The projects' side of one input. */
static void projects_input(const uint8_t *data, size_t size, sl_user_format format, int prune)
{
    sl_error err = {0};
    sl_import_stats stats = {0};
    pwalk w = {0, st};
    FILE *f;
    sl_rc rc;
    reset_projects();
    f = size > 1 ? fmemopen((void *)(data + 1), size - 1, "r") : fopen("/dev/null", "r");
    fuzz_assert(f != NULL, "fmemopen", NULL);
    rc = sl_store_projects_import(st, f, format, prune, &stats, &err);
    fclose(f);
    fuzz_assert(sl_store_projects_each(st, each_project, &w, &err) == SL_OK, "projects each",
                &err);
    if (rc != SL_OK) {
        fuzz_assert(err.code == rc && err.message[0], "failed import without a message", &err);
        fuzz_assert(w.seen == BASELINE_PROJECTS, "a failed import changed the projects", &err);
    } else if (prune) {
        fuzz_assert(w.seen == stats.rows, "pruned project directory differs from the file", NULL);
    } else {
        fuzz_assert(w.seen == BASELINE_PROJECTS + stats.inserted, "project statistics", NULL);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_init_clock();
    st = fuzz_store_open(NULL);
    return 0;
}

typedef struct walk {
    int64_t seen;
    int64_t billable;
} walk;

static int each_user(void *ud, const sl_user *u)
{
    walk *w = ud;
    fuzz_assert(u->id && u->id[0] && strlen(u->id) <= SL_USER_FIELD_MAX, "user id", NULL);
    fuzz_assert(u->username && strlen(u->username) <= SL_USER_FIELD_MAX, "username", NULL);
    fuzz_assert(u->state && u->user_type && u->highest_role && u->reason, "user fields", NULL);
    if (strcmp(u->reason, "billable") == 0)
        w->billable++;
    w->seen++;
    return 0;
}

static void progress(void *ud, uint64_t done, uint64_t total)
{
    fuzz_assert(total == 0 || done <= total, "progress past the total", NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sl_error err = {0};
    sl_import_stats stats = {0};
    sl_user_counts counts;
    walk w = {0, 0};
    sl_user_format format = SL_USERS_CSV;
    int prune = 0;
    FILE *f;
    sl_rc rc;
    if (size == 0)
        return 0;
    if (data[0] == 'j' || data[0] == 'J')
        format = SL_USERS_JSONL;
    prune = isupper(data[0]) != 0;
    reset_baseline();
    /* fmemopen refuses a zero-length buffer; /dev/null is the empty file */
    f = size > 1 ? fmemopen((void *)(data + 1), size - 1, "r") : fopen("/dev/null", "r");
    fuzz_assert(f != NULL, "fmemopen", NULL);
    rc = sl_store_users_import(st, f, format, prune, size - 1, progress, NULL, &stats, &err);
    fclose(f);
    fuzz_assert(sl_store_users_count(st, &counts, &err) == SL_OK || rc != SL_OK, "count", &err);
    if (rc != SL_OK) {
        sl_error cerr = {0};
        fuzz_assert(err.code == rc && err.message[0], "failed import without a message", &err);
        fuzz_assert(sl_store_users_count(st, &counts, &cerr) == SL_OK, "count after failure", &cerr);
        fuzz_assert(counts.total == BASELINE_USERS, "a failed import changed the users", &err);
    } else if (prune) {
        fuzz_assert(counts.total == stats.rows, "pruned directory differs from the file", NULL);
        fuzz_assert(stats.removed == BASELINE_USERS + stats.inserted - counts.total,
                    "prune statistics", NULL);
    } else {
        fuzz_assert(counts.total == BASELINE_USERS + stats.inserted, "import statistics", NULL);
        fuzz_assert(stats.rows == stats.inserted + stats.updated, "rows != inserted + updated", NULL);
    }
    fuzz_assert(sl_store_users_each(st, 0, each_user, &w, &err) == SL_OK, "users each", &err);
    fuzz_assert(w.seen == counts.total, "listing and count disagree", NULL);
    fuzz_assert(w.billable == counts.billable && counts.by_reason[0] == counts.billable,
                "billable count differs from the verdicts", NULL);
    projects_input(data, size, format, prune);
    return 0;
}
