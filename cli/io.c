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

sl_rc cli_write_file(const char *path, const char *data, size_t len,
                     int private_mode, sl_error *err)
{
    char tmp[4096];
    int fd;
    size_t off = 0;
    if (!path || strcmp(path, "-") == 0) {
        if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0)
            return sl_error_set(err, SL_ESTORAGE, "cannot write '%s': %s", "stdout", strerror(errno));
        return SL_OK;
    }
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= sizeof tmp)
        return sl_error_set(err, SL_EINVAL, "cannot write '%s': %s", path, "path too long");
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, private_mode ? 0600 : 0644);
    if (fd < 0)
        return sl_error_set(err, errno == ENOENT ? SL_ENOTFOUND : SL_ESTORAGE,
                       "cannot write '%s': %s", path, strerror(errno));
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            close(fd);
            unlink(tmp);
            return sl_error_set(err, SL_ESTORAGE, "cannot write '%s': %s", path, strerror(e));
        }
        off += (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        int e = errno;
        unlink(tmp);
        return sl_error_set(err, SL_ESTORAGE, "cannot write '%s': %s", path, strerror(e));
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return sl_error_set(err, SL_ESTORAGE, "cannot write '%s': %s", path, strerror(e));
    }
    return SL_OK;
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
