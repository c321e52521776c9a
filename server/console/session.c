/*
 * session.c - the console's sessions, kept in the server's memory (a
 * restart signs everyone out): a table of at most SL_CONSOLE_SESSIONS_MAX,
 * each found by a hash of its id and holding the admin token it signed in
 * with only encrypted under a key derived from the id.  The id itself lives
 * in the browser's cookie alone, so a look at the server's memory gives
 * neither a session to ride nor a token to use.  Idle expiry on the one
 * clock; the CSRF token is a hash of the id under a label of its own, so it
 * is bound to the session without being stored.
 */
#include "console/console_internal.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define HASH_BYTES 32
#define NONCE_BYTES 12
#define TAG_BYTES 16
/* Labels keeping the id's three uses apart. */
#define LABEL_LOOKUP "seatledger console session lookup"
#define LABEL_KEY "seatledger console session key"
#define LABEL_CSRF "seatledger console csrf"

typedef struct slot {
    int used;
    unsigned char id_hash[HASH_BYTES];
    int64_t last_ms;
    unsigned char nonce[NONCE_BYTES];
    unsigned char tag[TAG_BYTES];
    unsigned char sealed[SL_TOKEN_SECRET_MAX];
    size_t sealed_len;
    char name[SL_TOKEN_NAME_MAX + 1];
} slot;

struct sl_console_sessions {
    pthread_mutex_t mu;
    int64_t (*now_ms)(void);
    slot slots[SL_CONSOLE_SESSIONS_MAX];
};

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* base64url without padding of 32 bytes: 43 characters. */
static void encode32(const unsigned char in[32], char *out)
{
    size_t o = 0, i = 0;
    for (; i + 2 < 32; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
        out[o++] = b64url[v >> 18];
        out[o++] = b64url[(v >> 12) & 63];
        out[o++] = b64url[(v >> 6) & 63];
        out[o++] = b64url[v & 63];
    }
    {
        unsigned v = (unsigned)in[30] << 16 | (unsigned)in[31] << 8;
        out[o++] = b64url[v >> 18];
        out[o++] = b64url[(v >> 12) & 63];
        out[o++] = b64url[(v >> 6) & 63];
    }
    out[o] = '\0';
}

/* The 32 bytes of a cookie value; 0 when it is not exactly 43 base64url
 * characters that decode canonically. */
static int decode32(const char *s, unsigned char out[32])
{
    unsigned acc = 0;
    int bits = 0;
    size_t o = 0;
    if (!s || strlen(s) != 43)
        return 0;
    for (size_t i = 0; i < 43; i++) {
        const char *p = s[i] ? strchr(b64url, s[i]) : NULL;
        if (!p)
            return 0;
        acc = (acc << 6) | (unsigned)(p - b64url);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    /* the two bits left over must be zero, or two cookies name one id */
    return o == 32 && (acc & ((1u << bits) - 1)) == 0;
}

/* SHA-256(label || 0 || id). */
static int labelled_hash(const char *label, const unsigned char id[SL_CONSOLE_SESSION_ID_BYTES],
                         unsigned char out[HASH_BYTES])
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    unsigned int n = 0;
    int ok = c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) &&
             EVP_DigestUpdate(c, label, strlen(label) + 1) &&
             EVP_DigestUpdate(c, id, SL_CONSOLE_SESSION_ID_BYTES) &&
             EVP_DigestFinal_ex(c, out, &n) && n == HASH_BYTES;
    EVP_MD_CTX_free(c);
    return ok;
}

/* AES-256-GCM of in[0..n) into out (encrypt) or back (decrypt, checking
 * the tag).  1 ok. */
static int seal(int encrypt, const unsigned char key[32], const unsigned char nonce[NONCE_BYTES],
                unsigned char tag[TAG_BYTES], const unsigned char *in, size_t n,
                unsigned char *out)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int len = 0, fin = 0, ok;
    ok = c && EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, key, nonce, encrypt) &&
         EVP_CipherUpdate(c, out, &len, in, (int)n) && (size_t)len == n;
    if (ok && !encrypt)
        ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_BYTES, tag) == 1;
    ok = ok && EVP_CipherFinal_ex(c, out + len, &fin) == 1 && fin == 0;
    if (ok && encrypt)
        ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_BYTES, tag) == 1;
    EVP_CIPHER_CTX_free(c);
    return ok;
}

sl_rc sl_console_sessions_new(int64_t (*now_ms)(void), sl_console_sessions **out, sl_error *err)
{
    sl_console_sessions *s = calloc(1, sizeof *s);
    *out = NULL;
    if (!s)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    pthread_mutex_init(&s->mu, NULL);
    s->now_ms = now_ms ? now_ms : sl_clock_now_ms;
    *out = s;
    return SL_OK;
}

void sl_console_sessions_free(sl_console_sessions *s)
{
    if (!s)
        return;
    pthread_mutex_destroy(&s->mu);
    OPENSSL_cleanse(s, sizeof *s);
    free(s);
}

static int idle(const sl_console_sessions *s, const slot *e, int64_t now)
{
    /* a clock set back does not keep a session alive for ever either */
    return now - e->last_ms > SL_CONSOLE_IDLE_MS || now < e->last_ms - SL_CONSOLE_IDLE_MS;
}

static void clear(slot *e)
{
    OPENSSL_cleanse(e, sizeof *e);
}

sl_rc sl_console_session_create(sl_console_sessions *s, const char *secret, size_t len,
                                const char *name, char cookie[SL_CONSOLE_COOKIE_VALUE_MAX],
                                sl_error *err)
{
    unsigned char id[SL_CONSOLE_SESSION_ID_BYTES], key[HASH_BYTES];
    slot fresh, *e = NULL;
    int64_t now = s->now_ms();
    sl_rc rc = SL_OK;
    cookie[0] = '\0';
    if (len > SL_TOKEN_SECRET_MAX || strlen(name) > SL_TOKEN_NAME_MAX)
        return sl_error_set(err, SL_EINVAL, "the token is too long for a session");
    memset(&fresh, 0, sizeof fresh);
    if (RAND_bytes(id, sizeof id) != 1 || RAND_bytes(fresh.nonce, NONCE_BYTES) != 1 ||
        !labelled_hash(LABEL_LOOKUP, id, fresh.id_hash) || !labelled_hash(LABEL_KEY, id, key) ||
        !seal(1, key, fresh.nonce, fresh.tag, (const unsigned char *)secret, len, fresh.sealed)) {
        rc = sl_error_set(err, SL_EINTERNAL, "cannot start a session: %s", "OpenSSL failed");
        goto done;
    }
    fresh.used = 1;
    fresh.last_ms = now;
    fresh.sealed_len = len;
    memcpy(fresh.name, name, strlen(name) + 1);
    pthread_mutex_lock(&s->mu);
    /* a free or idle slot, else the least recently used */
    for (size_t i = 0; i < SL_CONSOLE_SESSIONS_MAX; i++) {
        slot *x = &s->slots[i];
        if (!x->used || idle(s, x, now)) {
            e = x;
            break;
        }
        if (!e || x->last_ms < e->last_ms)
            e = x;
    }
    clear(e);
    *e = fresh;
    pthread_mutex_unlock(&s->mu);
    encode32(id, cookie);
done:
    OPENSSL_cleanse(&fresh, sizeof fresh);
    OPENSSL_cleanse(id, sizeof id);
    OPENSSL_cleanse(key, sizeof key);
    return rc;
}

/* The slot of an id (mutex held), or NULL. */
static slot *slot_of(sl_console_sessions *s, const unsigned char id[SL_CONSOLE_SESSION_ID_BYTES])
{
    unsigned char h[HASH_BYTES];
    slot *found = NULL;
    if (!labelled_hash(LABEL_LOOKUP, id, h))
        return NULL;
    for (size_t i = 0; i < SL_CONSOLE_SESSIONS_MAX; i++) {
        if (s->slots[i].used && CRYPTO_memcmp(s->slots[i].id_hash, h, HASH_BYTES) == 0)
            found = &s->slots[i];
    }
    return found;
}

int sl_console_csrf_of(const char *cookie, char out[SL_CONSOLE_CSRF_MAX])
{
    unsigned char id[SL_CONSOLE_SESSION_ID_BYTES], h[HASH_BYTES];
    int ok = decode32(cookie, id) && labelled_hash(LABEL_CSRF, id, h);
    out[0] = '\0';
    if (ok)
        encode32(h, out);
    OPENSSL_cleanse(id, sizeof id);
    return ok;
}

int sl_console_session_find(sl_console_sessions *s, const char *cookie, sl_console_session *out)
{
    unsigned char id[SL_CONSOLE_SESSION_ID_BYTES], key[HASH_BYTES];
    int64_t now;
    slot *e;
    int ok = 0;
    memset(out, 0, sizeof *out);
    if (!decode32(cookie, id))
        return 0;
    now = s->now_ms();
    pthread_mutex_lock(&s->mu);
    e = slot_of(s, id);
    if (e && idle(s, e, now)) {
        clear(e);
        e = NULL;
    }
    if (e && labelled_hash(LABEL_KEY, id, key) &&
        seal(0, key, e->nonce, e->tag, e->sealed, e->sealed_len, (unsigned char *)out->token)) {
        e->last_ms = now > e->last_ms ? now : e->last_ms;
        out->token[e->sealed_len] = '\0';
        out->token_len = e->sealed_len;
        memcpy(out->name, e->name, sizeof out->name);
        ok = sl_console_csrf_of(cookie, out->csrf);
    }
    pthread_mutex_unlock(&s->mu);
    if (!ok)
        sl_console_session_wipe(out);
    OPENSSL_cleanse(id, sizeof id);
    OPENSSL_cleanse(key, sizeof key);
    return ok;
}

void sl_console_session_end(sl_console_sessions *s, const char *cookie)
{
    unsigned char id[SL_CONSOLE_SESSION_ID_BYTES];
    slot *e;
    if (!decode32(cookie, id))
        return;
    pthread_mutex_lock(&s->mu);
    e = slot_of(s, id);
    if (e)
        clear(e);
    pthread_mutex_unlock(&s->mu);
    OPENSSL_cleanse(id, sizeof id);
}

size_t sl_console_session_count(sl_console_sessions *s)
{
    int64_t now = s->now_ms();
    size_t n = 0;
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < SL_CONSOLE_SESSIONS_MAX; i++)
        n += s->slots[i].used && !idle(s, &s->slots[i], now);
    pthread_mutex_unlock(&s->mu);
    return n;
}

int sl_console_secret_equal(const char *a, const char *b, size_t n)
{
    size_t la = strnlen(a, n + 1), lb = strnlen(b, n + 1);
    if (la != lb || la > n)
        return 0;
    return CRYPTO_memcmp(a, b, la) == 0;
}

void sl_console_session_wipe(sl_console_session *x)
{
    sl_console_wipe(x, sizeof *x);
}

void sl_console_wipe(void *p, size_t n)
{
    OPENSSL_cleanse(p, n);
}
