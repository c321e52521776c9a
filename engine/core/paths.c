/*
 * paths.c - whether two file names name the same file, for the guards that
 * keep an output from replacing something precious (the ledger, the files
 * SQLite keeps beside it, a vendor's private key).  Output files often do
 * not exist yet, so names are compared as well as inodes.
 */
#include "core/internal.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The directory part resolved (links, "." and ".."), the last component as
 * written: what a create or rename of `path` would touch.  NULL when the
 * directory does not resolve (then nothing can be created there either). */
static char *canonical(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    char *dir, *real, *out;
    size_t n;
    if (!slash)
        dir = sl__strdup(".");
    else if (slash == path)
        dir = sl__strdup("/");
    else
        dir = sl__strndup(path, (size_t)(slash - path));
    if (!dir)
        return NULL;
    real = realpath(dir, NULL);
    free(dir);
    if (!real)
        return NULL;
    n = strlen(real) + 1 + strlen(base) + 1;
    out = malloc(n);
    if (out)
        snprintf(out, n, "%s%s%s", real, strcmp(real, "/") == 0 ? "" : "/", base);
    free(real);
    return out;
}

int sl_path_same(const char *a, const char *b)
{
    struct stat sa, sb;
    char *ca, *cb;
    int same;
    if (!a || !b)
        return 0;
    if (strcmp(a, b) == 0)
        return 1;
    if (stat(a, &sa) == 0 && stat(b, &sb) == 0)
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    ca = canonical(a);
    cb = canonical(b);
    same = ca && cb && strcmp(ca, cb) == 0;
    free(ca);
    free(cb);
    return same;
}

const char *sl_path_ledger_role(const char *ledger_path, const char *path)
{
    /* the files SQLite creates, uses and deletes beside a database */
    static const struct {
        const char *suffix, *role;
    } owned[] = {
        {"", "the ledger"},
        {"-journal", "the ledger's rollback journal"},
        {"-wal", "the ledger's write-ahead log"},
        {"-shm", "the ledger's shared-memory index"},
    };
    char name[PATH_MAX];
    if (!ledger_path || !path)
        return NULL;
    for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++) {
        if ((size_t)snprintf(name, sizeof name, "%s%s", ledger_path, owned[i].suffix) >=
            sizeof name)
            continue;
        if (sl_path_same(path, name))
            return owned[i].role;
    }
    return NULL;
}
