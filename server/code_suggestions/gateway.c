/*
 * gateway.c - forwarding a completion to the AI gateway with libcurl and
 * handing its answer back as a stream: the transfer runs on a thread of its
 * own, so no worker thread ever waits for the gateway.  The head must come
 * within the timeout (else 503), the body may pause at most as long between
 * bytes, and at most SL_CS_RELAY_MAX bytes are relayed: more breaks the
 * response off (an error the client sees, never a silent truncation).
 */
#include "code_suggestions.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define FWD_BUFFER (64 * 1024)         /* body bytes held between gateway and client */
#define FWD_CTYPE_MAX 128              /* bytes of the gateway's Content-Type kept */
#define FWD_HEADER_LINE_MAX 8192       /* a forwarded header line */
#define FWD_STACK_SIZE (256 * 1024)    /* libcurl's threads need little */
#define MSG_UNAVAILABLE "{\"message\":\"503 Service Unavailable\"}"

static atomic_int in_flight;

/* Connections to the gateway are kept and reused across transfers (each
 * transfer has its own thread and easy handle): a new TCP connection per
 * completion costs the gateway more than the completion's gate does. */
static CURLSH *share;
static pthread_mutex_t share_mu[CURL_LOCK_DATA_LAST];

static void share_lock(CURL *c, curl_lock_data data, curl_lock_access access, void *ud)
{
    (void)c;
    (void)access;
    (void)ud;
    pthread_mutex_lock(&share_mu[data]);
}

static void share_unlock(CURL *c, curl_lock_data data, void *ud)
{
    (void)c;
    (void)ud;
    pthread_mutex_unlock(&share_mu[data]);
}

typedef struct fwd {
    sl_http_stream base;        /* first: the stream is the forward */
    pthread_mutex_t mu;
    pthread_cond_t cv;          /* the transfer waits for room; free waits for wakes */
    int refs;                   /* the transfer thread and the consumer */
    /* the head */
    int head_ready;
    int status;
    char ctype[FWD_CTYPE_MAX];
    char detail[512];           /* why a 503 (the server's log) */
    /* the body */
    char buf[FWD_BUFFER];
    size_t off, len;            /* pending bytes: buf[off .. off+len) */
    size_t relayed;
    int done;                   /* the transfer ended */
    int failed;                 /* ... before the whole body */
    int cancelled;              /* the consumer let go */
    /* waking the consumer */
    sl_http_wake_fn wake;
    void *wake_arg;
    int waking;                 /* wake calls running now */
    /* the request */
    char *url;
    char *body;
    size_t body_len;
    struct curl_slist *headers;
    int timeout_s;
    struct timespec started;
    char errbuf[CURL_ERROR_SIZE];
} fwd;

static double elapsed_s(const struct timespec *since)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - since->tv_sec) + (double)(now.tv_nsec - since->tv_nsec) / 1e9;
}

/* Call the consumer's wake, if it asked for one; f->mu is held on entry
 * and on return.  free() waits until no wake call is running. */
static void wake_locked(fwd *f)
{
    sl_http_wake_fn w = f->wake;
    void *arg = f->wake_arg;
    f->wake = NULL;
    if (!w || f->cancelled)
        return;
    f->waking++;
    pthread_mutex_unlock(&f->mu);
    w(arg);
    pthread_mutex_lock(&f->mu);
    f->waking--;
    pthread_cond_broadcast(&f->cv);
}

static void release(fwd *f)
{
    int last;
    pthread_mutex_lock(&f->mu);
    last = --f->refs == 0;
    pthread_mutex_unlock(&f->mu);
    if (!last)
        return;
    curl_slist_free_all(f->headers);
    free(f->url);
    free(f->body);
    pthread_cond_destroy(&f->cv);
    pthread_mutex_destroy(&f->mu);
    free(f);
    atomic_fetch_sub(&in_flight, 1);
}

/* ---- the transfer (its own thread) ------------------------------------------ */

static size_t on_header(char *line, size_t size, size_t n, void *ud)
{
    fwd *f = ud;
    size_t len = size * n;
    if (len > 13 && strncasecmp(line, "Content-Type:", 13) == 0) {
        size_t i = 13, k = 0;
        while (i < len && (line[i] == ' ' || line[i] == '\t'))
            i++;
        pthread_mutex_lock(&f->mu);
        while (i < len && line[i] != '\r' && line[i] != '\n' && k + 1 < sizeof f->ctype)
            f->ctype[k++] = line[i++];
        f->ctype[k] = '\0';
        pthread_mutex_unlock(&f->mu);
    } else if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) {
        /* a new status line (after a 1xx): forget the previous head's type */
        pthread_mutex_lock(&f->mu);
        f->ctype[0] = '\0';
        f->status = 0;
        {
            const char *sp = memchr(line, ' ', len);
            if (sp && sp + 4 <= line + len && sp[1] >= '1' && sp[1] <= '5')
                f->status = (sp[1] - '0') * 100 + (sp[2] - '0') * 10 + (sp[3] - '0');
        }
        pthread_mutex_unlock(&f->mu);
    } else if ((len == 2 && line[0] == '\r') || (len == 1 && line[0] == '\n')) {
        /* the end of a head: a final one is handed on */
        pthread_mutex_lock(&f->mu);
        if (f->status >= 200 && !f->head_ready) {
            f->head_ready = 1;
            wake_locked(f);
        }
        pthread_mutex_unlock(&f->mu);
    }
    return len;
}

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
    fwd *f = ud;
    size_t len = size * n, put = 0;
    pthread_mutex_lock(&f->mu);
    if (f->relayed + len > SL_CS_RELAY_MAX) {
        snprintf(f->detail, sizeof f->detail, "the AI gateway's answer is over %d bytes",
                 SL_CS_RELAY_MAX);
        pthread_mutex_unlock(&f->mu);
        return 0;   /* aborts the transfer */
    }
    while (put < len && !f->cancelled) {
        size_t room;
        if (f->off > 0 && f->off + f->len == FWD_BUFFER) {
            memmove(f->buf, f->buf + f->off, f->len);
            f->off = 0;
        }
        room = FWD_BUFFER - f->off - f->len;
        if (room == 0) {
            /* a slow client: the gateway waits (TCP pushes back on it) */
            wake_locked(f);
            if (f->len == FWD_BUFFER)
                pthread_cond_wait(&f->cv, &f->mu);
            continue;
        }
        if (room > len - put)
            room = len - put;
        memcpy(f->buf + f->off + f->len, data + put, room);
        f->len += room;
        put += room;
    }
    f->relayed += put;
    if (f->len > 0)
        wake_locked(f);
    pthread_mutex_unlock(&f->mu);
    return f->cancelled ? 0 : len;
}

/* Aborts a cancelled transfer, and one whose head is later than the timeout. */
static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    fwd *f = ud;
    int stop;
    (void)dt;
    (void)dn;
    (void)ut;
    (void)un;
    pthread_mutex_lock(&f->mu);
    stop = f->cancelled || (!f->head_ready && elapsed_s(&f->started) > f->timeout_s);
    pthread_mutex_unlock(&f->mu);
    return stop;
}

static void *transfer(void *arg)
{
    fwd *f = arg;
    CURL *c = curl_easy_init();
    CURLcode cc = CURLE_FAILED_INIT;
    if (c) {
        curl_easy_setopt(c, CURLOPT_URL, f->url);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, f->body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)f->body_len);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, f->headers);
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, f);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, f);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)f->timeout_s);
        /* the body may pause, but not for longer than the timeout */
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, (long)f->timeout_s);
        curl_easy_setopt(c, CURLOPT_ERRORBUFFER, f->errbuf);
        if (share)
            curl_easy_setopt(c, CURLOPT_SHARE, share);
        cc = curl_easy_perform(c);
        curl_easy_cleanup(c);
    }
    pthread_mutex_lock(&f->mu);
    f->done = 1;
    if (cc != CURLE_OK) {
        f->failed = 1;
        if (!f->detail[0])
            snprintf(f->detail, sizeof f->detail, "the AI gateway at '%.120s': %s", f->url,
                     f->errbuf[0] ? f->errbuf : curl_easy_strerror(cc));
    }
    if (!f->head_ready) {
        /* nothing was answered in time, or nothing could be reached */
        f->head_ready = 1;
        f->status = 503;
        snprintf(f->ctype, sizeof f->ctype, "application/json");
        f->off = 0;
        f->len = sizeof MSG_UNAVAILABLE - 1;
        memcpy(f->buf, MSG_UNAVAILABLE, f->len);
        f->failed = 0;
        if (!f->detail[0])
            snprintf(f->detail, sizeof f->detail, "the AI gateway at '%.120s' gave no answer",
                     f->url);
    }
    wake_locked(f);
    pthread_mutex_unlock(&f->mu);
    release(f);
    return NULL;
}

/* ---- the stream (the transport's side) ---------------------------------- */

static int fwd_head(sl_http_stream *s, sl_http_response *r, sl_http_wake_fn wake, void *arg)
{
    fwd *f = (fwd *)s;
    int ready;
    pthread_mutex_lock(&f->mu);
    ready = f->head_ready;
    if (ready) {
        r->status = f->status;
        r->content_type = f->ctype[0] ? f->ctype : NULL;
        if (f->status >= 500 && f->detail[0])
            snprintf(r->detail, sizeof r->detail, "%s", f->detail);
    } else {
        f->wake = wake;
        f->wake_arg = arg;
    }
    pthread_mutex_unlock(&f->mu);
    return ready;
}

static long fwd_read(sl_http_stream *s, char *buf, size_t size, sl_http_wake_fn wake, void *arg)
{
    fwd *f = (fwd *)s;
    long n;
    pthread_mutex_lock(&f->mu);
    if (f->len > 0) {
        size_t k = f->len < size ? f->len : size;
        memcpy(buf, f->buf + f->off, k);
        f->off += k;
        f->len -= k;
        if (f->len == 0)
            f->off = 0;
        pthread_cond_broadcast(&f->cv);   /* room for the transfer */
        n = (long)k;
    } else if (f->done) {
        n = f->failed ? SL_HTTP_STREAM_ERROR : SL_HTTP_STREAM_END;
    } else {
        f->wake = wake;
        f->wake_arg = arg;
        n = 0;
    }
    pthread_mutex_unlock(&f->mu);
    return n;
}

static void fwd_free(sl_http_stream *s)
{
    fwd *f = (fwd *)s;
    pthread_mutex_lock(&f->mu);
    f->cancelled = 1;
    f->wake = NULL;
    pthread_cond_broadcast(&f->cv);
    while (f->waking > 0)
        pthread_cond_wait(&f->cv, &f->mu);
    pthread_mutex_unlock(&f->mu);
    release(f);
}

/* ---- starting -------------------------------------------------------------- */

sl_rc sl_cs_gateway_global_init(sl_error *err)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return sl_error_set(err, SL_EINTERNAL, "cannot start %s", "libcurl");
    if (share)
        return SL_OK;
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_init(&share_mu[i], NULL);
    share = curl_share_init();
    /* without a share every transfer opens its own connection: slower, not wrong */
    if (share && (curl_share_setopt(share, CURLSHOPT_LOCKFUNC, share_lock) != CURLSHE_OK ||
                  curl_share_setopt(share, CURLSHOPT_UNLOCKFUNC, share_unlock) != CURLSHE_OK ||
                  curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT) != CURLSHE_OK ||
                  curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK)) {
        curl_share_cleanup(share);
        share = NULL;
    }
    return SL_OK;
}

void sl_cs_gateway_global_cleanup(void)
{
    curl_global_cleanup();
}

sl_rc sl_cs_gateway_start(const sl_cs_forward *fw, sl_http_stream **out, sl_error *err)
{
    fwd *f;
    pthread_t t;
    pthread_attr_t attr;
    char line[FWD_HEADER_LINE_MAX];
    int e;
    *out = NULL;
    if (atomic_fetch_add(&in_flight, 1) >= SL_CS_FORWARDS_MAX) {
        atomic_fetch_sub(&in_flight, 1);
        return sl_error_set(err, SL_ETOOBIG, "%d completions are in flight already",
                            SL_CS_FORWARDS_MAX);
    }
    f = calloc(1, sizeof *f);
    if (!f) {
        atomic_fetch_sub(&in_flight, 1);
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cv, NULL);
    f->base.head = fwd_head;
    f->base.read = fwd_read;
    f->base.free = fwd_free;
    f->refs = 1;
    f->timeout_s = fw->timeout_s > 0 ? fw->timeout_s : SL_CS_GATEWAY_TIMEOUT_S;
    f->url = strdup(fw->url);
    f->body = malloc(fw->body_len ? fw->body_len : 1);
    if (!f->url || !f->body)
        goto oom;
    memcpy(f->body, fw->body, fw->body_len);
    f->body_len = fw->body_len;
    /* "Expect:" off: no wait for a 100 Continue before the body */
    f->headers = curl_slist_append(NULL, "Content-Type: application/json");
    if (!f->headers || !curl_slist_append(f->headers, "Expect:"))
        goto oom;
    for (size_t i = 0; i < fw->header_count; i++) {
        snprintf(line, sizeof line, "%s: %s", fw->headers[i].name, fw->headers[i].value);
        if (!curl_slist_append(f->headers, line))
            goto oom;
    }
    clock_gettime(CLOCK_MONOTONIC, &f->started);
    f->refs = 2;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, FWD_STACK_SIZE);
    e = pthread_create(&t, &attr, transfer, f);
    pthread_attr_destroy(&attr);
    if (e != 0) {
        f->refs = 1;
        release(f);
        return sl_error_set(err, SL_EINTERNAL, "cannot start a forward: %s", strerror(e));
    }
    *out = &f->base;
    return SL_OK;
oom:
    release(f);
    return sl_error_set(err, SL_ENOMEM, "out of memory");
}
