/*
 * assets.c - the console's files as the build embedded them
 * (cmake/embed_assets.cmake): found by name, typed by extension, tagged
 * with a hash of their bytes so a browser revalidates instead of fetching.
 */
#include "console/console_internal.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* Hex digits of the SHA-256 in an ETag: plenty to tell two versions apart. */
#define ETAG_HEX 16
/* Assets the ETag table has room for (the build embeds a handful). */
#define ASSETS_MAX 64

static const struct {
    const char *ext;
    const char *type;
} types[] = {
    {".html", "text/html; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".svg", "image/svg+xml"},
};

const sl_console_asset *sl_console_asset_find(const char *name, size_t n)
{
    for (size_t i = 0; i < sl_console_asset_count; i++) {
        if (strlen(sl_console_assets[i].name) == n && memcmp(sl_console_assets[i].name, name, n) == 0)
            return &sl_console_assets[i];
    }
    return NULL;
}

const char *sl_console_asset_type(const sl_console_asset *a)
{
    const char *dot = strrchr(a->name, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++) {
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    }
    return NULL;
}

static pthread_once_t etags_once = PTHREAD_ONCE_INIT;
static char etags[ASSETS_MAX][ETAG_HEX + 3];

static void make_etags(void)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < sl_console_asset_count && i < ASSETS_MAX; i++) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int n = 0;
        char *e = etags[i];
        if (EVP_Digest(sl_console_assets[i].data, sl_console_assets[i].len, md, &n, EVP_sha256(),
                       NULL) != 1)
            memset(md, 0, sizeof md);
        e[0] = '"';
        for (size_t k = 0; k < ETAG_HEX / 2; k++) {
            e[1 + 2 * k] = hex[md[k] >> 4];
            e[2 + 2 * k] = hex[md[k] & 15];
        }
        e[ETAG_HEX + 1] = '"';
        e[ETAG_HEX + 2] = '\0';
    }
}

const char *sl_console_asset_etag(const sl_console_asset *a)
{
    size_t i = (size_t)(a - sl_console_assets);
    pthread_once(&etags_once, make_etags);
    return i < ASSETS_MAX ? etags[i] : NULL;
}
