/*
 * io.c - bounded file reading, atomic file writing and the lazily opened
 * ledger shared by all commands.
 */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


sl_rc cli_read_file(const char *path, size_t limit, char **out, size_t *len,
                    sl_error *err)
{
    FILE *f = stdin;
    char *data = NULL;
    size_t n = 0, cap = 0;
    sl_rc rc = SL_OK;
    *out = NULL;
    *len = 0;
    if (strcmp(path, "-") != 0) {
        struct stat sb;
        f = fopen(path, "rb");
        if (!f)
            return sl_error_set(err, errno == ENOENT ? SL_ENOTFOUND : SL_ESTORAGE,
                           "cannot open '%s': %s", path, strerror(errno));
        if (fstat(fileno(f), &sb) == 0 && S_ISDIR(sb.st_mode)) {
            fclose(f);
            return sl_error_set(err, SL_EINVAL, "cannot read '%s': %s", path,
                           "is a directory");
        }
    }
    for (;;) {
        size_t got;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 8192;
            char *p;
            if (ncap > limit + 1)
                ncap = limit + 1;
            if (ncap <= n) {
                char lim[32];
                snprintf(lim, sizeof lim, "%zu", limit);
                rc = sl_error_set(err, SL_ETOOBIG, "'%s' is larger than the limit of %s bytes",
                             path, lim);
                goto done;
            }
            p = realloc(data, ncap + 1);
            if (!p) {
                rc = sl_error_set(err, SL_ENOMEM, "cannot read '%s': %s", path, "out of memory");
                goto done;
            }
            data = p;
            cap = ncap;
        }
        got = fread(data + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f))
                rc = sl_error_set(err, SL_ESTORAGE, "cannot read '%s': %s", path, strerror(errno));
            break;
        }
    }
    if (rc == SL_OK && n > limit) {
        char lim[32];
        snprintf(lim, sizeof lim, "%zu", limit);
        rc = sl_error_set(err, SL_ETOOBIG, "'%s' is larger than the limit of %s bytes", path, lim);
    }
done:
    if (f != stdin)
        fclose(f);
    if (rc != SL_OK) {
        free(data);
        return rc;
    }
    if (!data)
        data = malloc(1);
    if (!data)
        return sl_error_set(err, SL_ENOMEM, "cannot read '%s': %s", path, "out of memory");
    data[n] = '\0';
    *out = data;
    *len = n;
    return SL_OK;
}

/* The ledger of this run: no output file may replace it or a file SQLite
 * keeps beside it. */
static char *ledger_path;

void cli_protect_ledger(const char *path)
{
    free(ledger_path);
    ledger_path = path ? strdup(path) : NULL;
}

int cli_check_out(const char **path)
{
    struct stat sb;
    if (*path && strcmp(*path, "-") == 0)
        *path = NULL;
    if (*path && stat(*path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        fprintf(stderr, "seatledger: cannot write '%s': is a directory\n", *path);
        return EXIT_REJECTED;
    }
    return EXIT_OK;
}

sl_rc cli_write_stream(const char *path, int private_mode,
                       sl_rc (*write)(FILE *f, void *ud, sl_error *err), void *ud,
                       sl_error *err)
{
    char tmp[4096];
    const char *role;
    FILE *f;
    int fd, e;
    sl_rc rc;
    if (!path || strcmp(path, "-") == 0) {
        rc = write(stdout, ud, err);
        if (rc == SL_OK && fflush(stdout) != 0)
            rc = sl_error_set(err, SL_ESTORAGE, "cannot write 'stdout': %s", strerror(errno));
        return rc;
    }
    role = sl_path_ledger_role(ledger_path, path);
    if (role)
        return sl_error_set(err, SL_EINVAL, "cannot write '%s': it is %s", path, role);
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= sizeof tmp)
        return sl_error_set(err, SL_EINVAL, "cannot write '%s': path too long", path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, private_mode ? 0600 : 0644);
    /* a missing directory is a file-system problem (exit 4), not a missing
     * license, key, token or user (exit 3) */
    if (fd < 0)
        return sl_error_set(err, SL_ESTORAGE, "cannot write '%s': %s", path, strerror(errno));
    f = fdopen(fd, "w");
    if (!f) {
        e = errno;
        close(fd);
        unlink(tmp);
        return sl_error_set(err, SL_ESTORAGE, "cannot write '%s': %s", path, strerror(e));
    }
    rc = write(f, ud, err);
    if (rc != SL_OK) {
        fclose(f);
        unlink(tmp);
        return rc;
    }
    /* the data reaches the disk before the name points at it */
    if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
        e = errno;
        fclose(f);
        unlink(tmp);
        return sl_error_set(err, SL_ESTORAGE, "cannot write '%s': %s", path, strerror(e));
    }
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        e = errno;
        unlink(tmp);
        return sl_error_set(err, SL_ESTORAGE, "cannot write '%s': %s", path, strerror(e));
    }
    return SL_OK;
}

typedef struct bytes {
    const char *data;
    size_t len;
} bytes;

static sl_rc write_bytes(FILE *f, void *ud, sl_error *err)
{
    const bytes *b = ud;
    if (fwrite(b->data, 1, b->len, f) != b->len)
        return sl_error_set(err, SL_ESTORAGE, "cannot write: %s", strerror(errno));
    return SL_OK;
}

sl_rc cli_write_file(const char *path, const char *data, size_t len,
                     int private_mode, sl_error *err)
{
    bytes b = {data, len};
    return cli_write_stream(path, private_mode, write_bytes, &b, err);
}

bool cli_json_flag(cli_ctx *ctx, const char *arg)
{
    if (strcmp(arg, "--json") != 0)
        return false;
    ctx->json = true;
    return true;
}

const char *cli_shown(const char *s)
{
    static char *slots[CLI_SHOWN_SLOTS];
    static size_t next;
    char *e;
    if (!s)
        return NULL;
    e = sl_text_escape(s);
    if (!e)
        return "(out of memory)";
    sl_free(slots[next]);
    slots[next] = e;
    next = (next + 1) % CLI_SHOWN_SLOTS;
    return e;
}

bool cli_parse_i64(const char *s, int64_t *out)
{
    char *end;
    long long v;
    if (!s || !*s || *s == '-' || *s == '+')
        return false;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

sl_store *cli_store(cli_ctx *ctx, int *exit_code)
{
    sl_error err = {0};
    sl_rc rc;
    if (ctx->store)
        return ctx->store;
    if (!ctx->db_path) {
        rc = sl_store_default_path(&ctx->resolved_path, &err);
        if (rc != SL_OK) {
            *exit_code = cli_fail(&err);
            return NULL;
        }
        ctx->db_path = ctx->resolved_path;
    }
    rc = sl_store_open(ctx->db_path, 0, &ctx->store, &err);
    if (rc != SL_OK) {
        /* a ledger that cannot be opened is a system problem, whatever the cause */
        fprintf(stderr, "seatledger: %s\n", err.message);
        *exit_code = EXIT_SYSTEM;
        return NULL;
    }
    return ctx->store;
}

int cli_parse_bound(const char *cmd, const char *opt, const char *s, int end_of_day,
                    int64_t *out)
{
    sl_error err = {0};
    int32_t day;
    if (strlen(s) == 10) {
        if (sl_date_parse(s, &day, &err) != SL_OK)
            return cli_usage("%s: %s: %s", cmd, opt, err.message);
        *out = sl_date_to_ms(day) + (end_of_day ? 86400000LL - 1 : 0);
        return EXIT_OK;
    }
    if (sl_time_parse(s, out, &err) != SL_OK)
        return cli_usage("%s: %s: %s", cmd, opt, err.message);
    return EXIT_OK;
}
