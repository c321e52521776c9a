/*
 * fuzzutil.c - shared helpers of the libFuzzer targets: the embedded fixture
 * key, scratch ledgers cleaned up at exit, and aborting invariant checks.
 */
#include "fuzzutil.h"

#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char fuzz_fixture_public_pem[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEArOEG8tfW5EdZPRmtLX0D\n"
    "qJph+EL/X9MS9ZVnmPdsZdxcJUmckrr55v6/MT01RtngR6WlkH2qM/779H2jozQK\n"
    "DDoUzUR5j6sLWSEdWHVxd7UfekFT1x9rFrqq/M1sEtnU0a0Kb09kSDFyZaR5L5ju\n"
    "H8VEXKGZYTMVIWrYLe+F4uXg5M8ZRjGDzFaSrJPR8r+g/vzDsLmP8aG6k11t6U49\n"
    "RW2FU0cs5R+6irGr2R+Swn/wGqafxnFUJBSVHoldLvcvwRcz+Wx0dSKvw8vZCpQA\n"
    "ScAE/XVeERkhFDRbXTmzwPjWSYvF7/UX4qrj6MWDKJt2gXfoBBD3RQjuXo3YdBRR\n"
    "nQIDAQAB\n"
    "-----END PUBLIC KEY-----\n";

#define FUZZ_DIRS_MAX 8

static char scratch_dirs[FUZZ_DIRS_MAX][256];
static int nscratch;

static void remove_scratch(void)
{
    for (int i = 0; i < nscratch; i++) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", scratch_dirs[i]);
        if (system(cmd) != 0)
            fprintf(stderr, "fuzz: cannot remove %s\n", scratch_dirs[i]);
    }
}

void fuzz_init_clock(void)
{
    setenv("SEATLEDGER_NOW", FUZZ_NOW, 1);
}

sl_store *fuzz_store_open(const char **path_out)
{
    static char path[300];
    /* /dev/shm keeps the fuzz loop off the disk when it exists */
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    sl_store *st = NULL;
    sl_error err = {0};
    char *dir;
    if (nscratch == FUZZ_DIRS_MAX) {
        fprintf(stderr, "fuzz: too many scratch ledgers\n");
        abort();
    }
    snprintf(scratch_dirs[nscratch], sizeof scratch_dirs[0], "%s/seatledger-fuzz-XXXXXX", base);
    dir = mkdtemp(scratch_dirs[nscratch]);
    if (!dir) {
        perror("fuzz: mkdtemp");
        abort();
    }
    if (nscratch++ == 0)
        atexit(remove_scratch);
    snprintf(path, sizeof path, "%s/ledger.db", dir);
    if (sl_store_open(path, 0, &st, &err) != SL_OK) {
        fprintf(stderr, "fuzz: cannot open the scratch ledger: %s\n", err.message);
        abort();
    }
    if (path_out)
        *path_out = path;
    return st;
}

void fuzz_assert(int cond, const char *what, const sl_error *err)
{
    if (cond)
        return;
    fprintf(stderr, "fuzz: invariant broken: %s%s%s\n", what, err ? ": " : "",
            err ? err->message : "");
    abort();
}

void fuzz_assert_json(const char *s, const char *what)
{
    json_error_t jerr;
    json_t *j;
    fuzz_assert(s != NULL, what, NULL);
    j = json_loads(s, JSON_DECODE_ANY, &jerr);
    if (!j) {
        fprintf(stderr, "fuzz: %s is not JSON (%s): %s\n", what, jerr.text, s);
        abort();
    }
    json_decref(j);
}

#define TEMPLATE_MAX (16 * 1024 * 1024)

char *fuzz_template_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = malloc(TEMPLATE_MAX);
    fuzz_assert(f && buf, "cannot read the template ledger", NULL);
    *len = fread(buf, 1, TEMPLATE_MAX, f);
    fuzz_assert(*len > 0 && *len < TEMPLATE_MAX, "template ledger size", NULL);
    fclose(f);
    return buf;
}

void fuzz_template_restore(const char *path, const char *bytes, size_t len)
{
    char wal[PATH_MAX];
    int fd;
    snprintf(wal, sizeof wal, "%s-wal", path);
    unlink(wal);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    fuzz_assert(fd >= 0, "cannot write the scratch ledger", NULL);
    fuzz_assert(write(fd, bytes, len) == (ssize_t)len, "short write of the scratch ledger", NULL);
    close(fd);
}
