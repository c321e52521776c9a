/*
 * embed.c - libseatledger embedded in another program: open (or create) a
 * ledger, trust the vendor's public key, import a license key and print the
 * current license's figures.  Uses nothing but the installed header:
 *
 *     cc embed.c $(pkg-config --cflags --libs seatledger) -o embed
 *     ./embed ledger.db vendor.pub.pem company.gitlab-license
 *
 * Exit status: 0 done, 1 a refused key or file, 2 usage, 4 a storage error.
 */
#include <seatledger.h>

#include <stdio.h>
#include <stdlib.h>

#define FILE_MAX SL_LICENSE_TEXT_MAX  /* a key or a PEM file, read whole */

/* The whole file, NUL-terminated; NULL (err filled) when it cannot be read. */
static char *read_file(const char *path, size_t *len, sl_error *err)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    if (!f) {
        sl_error_set(err, SL_ENOTFOUND, "cannot open '%s'", path);
        return NULL;
    }
    buf = malloc(FILE_MAX + 1);
    if (!buf) {
        sl_error_set(err, SL_ENOMEM, "out of memory");
    } else {
        *len = fread(buf, 1, FILE_MAX + 1, f);
        if (ferror(f) || *len > FILE_MAX) {
            sl_error_set(err, SL_EINVAL, "cannot read '%s'", path);
            free(buf);
            buf = NULL;
        } else {
            buf[*len] = '\0';
        }
    }
    fclose(f);
    return buf;
}

static void print_figures(const sl_status *s)
{
    char expires[16];
    printf("license %lld: %s, licensee %s\n", (long long)s->license_id, s->plan,
           s->licensee_name ? s->licensee_name : "(none)");
    printf("expires on %s\n", s->expires_on == SL_DATE_NONE
                                  ? "never"
                                  : sl_date_format(s->expires_on, expires, sizeof expires));
    if (s->seats >= 0)
        printf("seats %lld\n", (long long)s->seats);
    else
        printf("seats unlimited\n");
    printf("billable users %lld\n", (long long)s->daily_billable);
    printf("maximum users %lld\n", (long long)s->maximum_user_count);
    printf("users over license %lld\n", (long long)s->overage);
}

int main(int argc, char **argv)
{
    sl_store *st = NULL;
    sl_status status;
    sl_error err = {0};
    char *pem = NULL, *key = NULL;
    size_t pem_len = 0, key_len = 0;
    int64_t id = 0;
    sl_rc rc;

    if (argc != 4) {
        fprintf(stderr, "usage: %s LEDGER VENDOR.pub.pem KEYFILE\n", argv[0]);
        return 2;
    }
    rc = sl_store_open(argv[1], 0, &st, &err);
    if (rc != SL_OK)
        goto done;
    pem = read_file(argv[2], &pem_len, &err);
    rc = pem ? sl_store_key_trust(st, pem, pem_len, "vendor", &err) : err.code;
    if (rc == SL_EEXIST)  /* trusted by an earlier run */
        rc = SL_OK;
    if (rc != SL_OK)
        goto done;
    key = read_file(argv[3], &key_len, &err);
    rc = key ? sl_store_license_add(st, key, key_len, SL_SOURCE_CLI, &id, &err) : err.code;
    if (rc != SL_OK)
        goto done;
    rc = sl_store_status(st, &status, &err);
    if (rc != SL_OK)
        goto done;
    print_figures(&status);
    sl_status_free(&status);
done:
    if (rc != SL_OK)
        fprintf(stderr, "embed: %s\n", err.message);
    free(pem);
    free(key);
    sl_store_close(st);
    return rc == SL_OK ? 0 : rc == SL_ESTORAGE || rc == SL_ENOMEM ? 4 : 1;
}
