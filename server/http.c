/*
 * http.c - the network side of the API: libmicrohttpd with a worker pool,
 * request bodies capped at SL_HTTP_BODY_MAX, one ledger connection per
 * worker thread, one access-log line per request (and its count in the
 * request metrics), streamed responses that never hold a worker thread
 * (suspend/resume), the optional daily refresh timer, the optional metrics
 * listener, and a graceful stop on SIGINT/SIGTERM.
 */
#include "dispatch.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SL_HTTP_CONNECTION_LIMIT 256          /* open connections, all workers */
#define SL_HTTP_CONNECTION_TIMEOUT_S 30       /* idle or slow clients are dropped */
#define SL_HTTP_CONNECTION_MEMORY (64 * 1024) /* request line + headers per connection */
#define SL_HTTP_HEADERS_MAX 128               /* headers handed to the router */
#define SL_HTTP_THREADS_MAX 64
#define SL_HTTP_LISTEN_BACKLOG 128
#define SL_HTTP_SHUTDOWN_GRACE_MS 10000       /* in-flight requests get this long */
#define SL_HTTP_LOG_PATH_MAX 256              /* path bytes shown in the access log */
#define SL_HTTP_LISTEN_MAX 300                /* "HOST:PORT" as given */
#define SCHEDULER_TICK_MS 60000               /* re-read the clock at least this often */
#define MS_PER_DAY 86400000LL
#define SL_HTTP_STREAM_BLOCK (16 * 1024)      /* bytes pulled from a stream at once */
#define SL_HTTP_STREAM_ABORT_MS 1000          /* aborted streams get this long to close */

/* ---- small helpers ------------------------------------------------------ */

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double mono_elapsed_ms(const struct timespec *since)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - since->tv_sec) * 1000.0 +
           (double)(now.tv_nsec - since->tv_nsec) / 1e6;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

int sl_server_parse_hhmm(const char *s)
{
    int h, m;
    if (!s || strlen(s) != 5 || s[2] != ':' || s[0] < '0' || s[0] > '9' ||
        s[1] < '0' || s[1] > '9' || s[3] < '0' || s[3] > '9' || s[4] < '0' || s[4] > '9')
        return -1;
    h = (s[0] - '0') * 10 + (s[1] - '0');
    m = (s[3] - '0') * 10 + (s[4] - '0');
    if (h > 23 || m > 59)
        return -1;
    return h * 60 + m;
}

/* ---- the server state --------------------------------------------------- */

typedef struct request request;

typedef struct server {
    const char *db_path;
    pthread_key_t store_key;    /* each worker thread's own ledger connection */
    atomic_int in_flight;       /* requests begun and not yet completed */
    atomic_int stopping;        /* set once a stop signal arrived */
    sl_dispatch_ctx dispatch;   /* what this listener serves */
    pthread_mutex_t streams_mu; /* guards `streams` (initialised with dispatch.cs) */
    request *streams;           /* requests answering with a stream */
} server;

/* One request, from its request line to its completion. */
struct request {
    char *uri;                  /* raw, as received: path and query */
    struct timespec started;
    char method[16];            /* for the log (longer ones are cut) */
    int headers_seen;           /* the first handler call has happened */
    char *body;
    size_t len, cap;
    int too_large;
    int status;                 /* what we queued; 0 when MHD answered itself */
    const char *label;          /* route label for the metrics (a literal) */
    /* a streamed response (see "streamed responses" below) */
    sl_http_stream *stream;
    struct MHD_Connection *conn;
    pthread_mutex_t mu;         /* held across "ask the stream, then suspend" */
    int suspended;
    int aborted;                /* the server is stopping: give up */
    request *prev, *next;       /* in server.streams */
};

static void store_destructor(void *p)
{
    sl_store_close(p);
}

/* The calling worker's ledger connection, opened on first use: SQLite
 * connections are not shared across threads. */
static sl_store *worker_store(server *sv)
{
    sl_store *st = pthread_getspecific(sv->store_key);
    sl_error err = {0};
    if (st)
        return st;
    if (sl_store_open(sv->db_path, 0, &st, &err) != SL_OK) {
        fprintf(stderr, "seatledger: %s\n", err.message);
        return NULL;
    }
    if (pthread_setspecific(sv->store_key, st) != 0) {
        sl_store_close(st);
        return NULL;
    }
    return st;
}

/* ---- access log --------------------------------------------------------- */

/* The path (never the query, which may carry a token), printable ASCII
 * only, cut at SL_HTTP_LOG_PATH_MAX. */
static void log_path(char *out, size_t size, const char *uri)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0, i;
    for (i = 0; uri && uri[i] && uri[i] != '?' && i < SL_HTTP_LOG_PATH_MAX; i++) {
        unsigned char c = (unsigned char)uri[i];
        if (o + 4 >= size)
            break;
        if (c > 0x20 && c < 0x7f) {
            out[o++] = (char)c;
        } else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 0xf];
        }
    }
    if (uri && uri[i] && uri[i] != '?' && o + 4 < size) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    if (o == 0)
        out[o++] = '-';
    out[o] = '\0';
}

static void log_request(const request *rq)
{
    char when[32], path[4 * SL_HTTP_LOG_PATH_MAX + 8], status[16];
    sl_time_format_rfc3339(sl_clock_now_ms(), when, sizeof when);
    log_path(path, sizeof path, rq->uri);
    if (rq->status > 0)
        snprintf(status, sizeof status, "%d", rq->status);
    else
        snprintf(status, sizeof status, "-");
    /* one fprintf per line: stdio locks the stream, lines never interleave */
    fprintf(stderr, "%s %s %s %s %.1fms\n", when, rq->method[0] ? rq->method : "-", path,
            status, mono_elapsed_ms(&rq->started));
}

/* ---- streamed responses -------------------------------------------------- */

/* A response whose head and body come later (sl_http_stream, the AI
 * gateway's answer): whenever the stream has nothing yet the connection is
 * suspended, and the stream's wake call resumes it, so no worker thread
 * ever waits.  rq->mu is held across "ask the stream, then suspend", so a
 * wake cannot slip in between; a wake resumes only what was suspended. */

static void stream_wake(void *arg)
{
    request *rq = arg;
    pthread_mutex_lock(&rq->mu);
    if (rq->suspended) {
        rq->suspended = 0;
        MHD_resume_connection(rq->conn);
    }
    pthread_mutex_unlock(&rq->mu);
}

static void stream_take(server *sv, struct MHD_Connection *c, request *rq, sl_http_response *r)
{
    rq->stream = r->stream;
    r->stream = NULL;
    sl_http_response_free(r);
    rq->conn = c;
    pthread_mutex_lock(&sv->streams_mu);
    rq->next = sv->streams;
    if (sv->streams)
        sv->streams->prev = rq;
    sv->streams = rq;
    pthread_mutex_unlock(&sv->streams_mu);
}

/* on_completed: no wake runs once the stream is freed. */
static void stream_release(server *sv, request *rq)
{
    if (!rq->stream)
        return;
    pthread_mutex_lock(&sv->streams_mu);
    if (rq->prev)
        rq->prev->next = rq->next;
    else
        sv->streams = rq->next;
    if (rq->next)
        rq->next->prev = rq->prev;
    pthread_mutex_unlock(&sv->streams_mu);
    rq->stream->free(rq->stream);
    rq->stream = NULL;
}

/* Stopping: every suspended connection must be resumed before the daemon
 * stops; the streams give up. */
static void streams_abort(server *sv)
{
    pthread_mutex_lock(&sv->streams_mu);
    for (request *rq = sv->streams; rq; rq = rq->next) {
        pthread_mutex_lock(&rq->mu);
        rq->aborted = 1;
        if (rq->suspended) {
            rq->suspended = 0;
            MHD_resume_connection(rq->conn);
        }
        pthread_mutex_unlock(&rq->mu);
    }
    pthread_mutex_unlock(&sv->streams_mu);
}

static ssize_t stream_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    request *rq = cls;
    long n = SL_HTTP_STREAM_ERROR;
    (void)pos;
    pthread_mutex_lock(&rq->mu);
    if (!rq->aborted) {
        n = rq->stream->read(rq->stream, buf, max, stream_wake, rq);
        if (n == 0) {
            rq->suspended = 1;
            MHD_suspend_connection(rq->conn);
        }
    }
    pthread_mutex_unlock(&rq->mu);
    if (n == SL_HTTP_STREAM_END)
        return MHD_CONTENT_READER_END_OF_STREAM;
    if (n < 0)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    return (ssize_t)n;
}

/* Queue the stream's head once it is there; suspend until then. */
static enum MHD_Result stream_respond(server *sv, struct MHD_Connection *c, request *rq)
{
    sl_http_response head;
    struct MHD_Response *mr;
    enum MHD_Result ret;
    int ready;
    memset(&head, 0, sizeof head);
    pthread_mutex_lock(&rq->mu);
    ready = rq->aborted ? -1 : rq->stream->head(rq->stream, &head, stream_wake, rq);
    if (ready == 0) {
        rq->suspended = 1;
        MHD_suspend_connection(c);
    }
    pthread_mutex_unlock(&rq->mu);
    if (ready == 0)
        return MHD_YES;
    if (ready < 0) {
        static const char stopping[] = "{\"message\":\"503 Service Unavailable\"}";
        mr = MHD_create_response_from_buffer(sizeof stopping - 1, (void *)stopping,
                                             MHD_RESPMEM_PERSISTENT);
        head.status = 503;
        head.content_type = "application/json";
    } else {
        mr = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, SL_HTTP_STREAM_BLOCK,
                                               stream_reader, rq, NULL);
    }
    if (!mr)
        return MHD_NO;
    if (head.content_type)
        MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, head.content_type);
    for (size_t i = 0; i < head.header_count; i++)
        MHD_add_response_header(mr, head.headers[i].name, head.headers[i].value);
    if (atomic_load(&sv->stopping))
        MHD_add_response_header(mr, MHD_HTTP_HEADER_CONNECTION, "close");
    if (head.status >= 500 && head.detail[0]) {
        char when[32];
        sl_time_format_rfc3339(sl_clock_now_ms(), when, sizeof when);
        fprintf(stderr, "%s error: %s\n", when, head.detail);
    }
    rq->status = head.status;
    ret = MHD_queue_response(c, (unsigned int)head.status, mr);
    MHD_destroy_response(mr);
    return ret;
}

/* ---- libmicrohttpd callbacks -------------------------------------------- */

/* Called with the raw URI as soon as the request line is read: the only
 * place libmicrohttpd shows the query string unparsed. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
    server *sv = cls;
    request *rq = calloc(1, sizeof *rq);
    (void)c;
    if (!rq)
        return NULL;
    rq->uri = strdup(uri ? uri : "");
    if (!rq->uri) {
        free(rq);
        return NULL;
    }
    clock_gettime(CLOCK_MONOTONIC, &rq->started);
    pthread_mutex_init(&rq->mu, NULL);
    atomic_fetch_add(&sv->in_flight, 1);
    return rq;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    server *sv = cls;
    request *rq = *con_cls;
    (void)c;
    (void)toe;
    if (!rq)
        return;
    sl_metrics_observe(sv->dispatch.metrics, rq->label, rq->status,
                       mono_elapsed_ms(&rq->started) / 1000.0);
    log_request(rq);
    stream_release(sv, rq);
    pthread_mutex_destroy(&rq->mu);
    free(rq->uri);
    free(rq->body);
    free(rq);
    *con_cls = NULL;
    atomic_fetch_sub(&sv->in_flight, 1);
}

typedef struct header_list {
    sl_http_header h[SL_HTTP_HEADERS_MAX];
    size_t n;
} header_list;

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind,
                                      const char *key, const char *value)
{
    header_list *l = cls;
    (void)kind;
    if (l->n < SL_HTTP_HEADERS_MAX && key) {
        l->h[l->n].name = key;
        l->h[l->n].value = value ? value : "";
        l->n++;
    }
    return MHD_YES;
}

/* Route the request and queue the answer.  `method` is libmicrohttpd's,
 * valid during the handler call. */
static enum MHD_Result respond(server *sv, struct MHD_Connection *c, request *rq,
                               const char *method)
{
    header_list hl;
    sl_http_request req;
    sl_http_response r;
    struct MHD_Response *mr;
    enum MHD_Result ret;
    char *q = strchr(rq->uri, '?');
    hl.n = 0;
    MHD_get_connection_values(c, MHD_HEADER_KIND, collect_header, &hl);
    if (q)
        *q = '\0';  /* rq->uri is now the path; the query follows */
    memset(&req, 0, sizeof req);
    req.method = method;
    req.path = rq->uri;
    req.query = q ? q + 1 : NULL;
    req.headers = hl.h;
    req.header_count = hl.n;
    req.body = rq->body;
    req.body_len = rq->len;
    req.body_too_large = rq->too_large;
    /* a refused body never needs the ledger */
    r = sl_dispatch(&sv->dispatch, rq->too_large ? NULL : worker_store(sv), &req);
    rq->label = sl_dispatch_label(&sv->dispatch, req.path);
    if (q)
        *q = '?';
    if (r.stream) {
        stream_take(sv, c, rq, &r);
        return stream_respond(sv, c, rq);
    }
    mr = MHD_create_response_from_buffer(r.body_len, r.body, MHD_RESPMEM_MUST_COPY);
    if (!mr) {
        sl_http_response_free(&r);
        return MHD_NO;
    }
    if (r.content_type)
        MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, r.content_type);
    for (size_t i = 0; i < r.header_count; i++)
        MHD_add_response_header(mr, r.headers[i].name, r.headers[i].value);
    /* while stopping, no connection is kept open for another request */
    if (atomic_load(&sv->stopping))
        MHD_add_response_header(mr, MHD_HTTP_HEADER_CONNECTION, "close");
    if (r.status >= 500 && r.detail[0]) {
        char when[32];
        sl_time_format_rfc3339(sl_clock_now_ms(), when, sizeof when);
        fprintf(stderr, "%s error: %s\n", when, r.detail);
    }
    rq->status = r.status;
    ret = MHD_queue_response(c, (unsigned int)r.status, mr);
    MHD_destroy_response(mr);
    sl_http_response_free(&r);
    return ret;
}

/* Content-Length above the cap (the value itself was validated by MHD). */
static int length_over_cap(const char *v)
{
    uint64_t n = 0;
    for (; v && *v; v++) {
        if (*v < '0' || *v > '9')
            return 0;
        n = n * 10 + (uint64_t)(*v - '0');
        if (n > SL_HTTP_BODY_MAX)
            return 1;
    }
    return 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    server *sv = cls;
    request *rq = *con_cls;
    (void)url;
    (void)version;
    if (!rq)
        return MHD_NO;  /* out of memory at the request line: drop it */
    if (!rq->headers_seen) {
        rq->headers_seen = 1;
        snprintf(rq->method, sizeof rq->method, "%s", method ? method : "-");
        /* answer 413 before reading any of an announced oversized body */
        if (length_over_cap(MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                        MHD_HTTP_HEADER_CONTENT_LENGTH))) {
            rq->too_large = 1;
            return respond(sv, c, rq, method);
        }
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (rq->too_large)
            return MHD_NO;
        if (n > SL_HTTP_BODY_MAX - rq->len) {
            /* a body without Content-Length (chunked) went over the cap:
             * stop reading and drop the connection, since libmicrohttpd
             * 0.9.75 refuses to queue a response in the middle of a body */
            rq->too_large = 1;
            rq->status = 413;
            free(rq->body);
            rq->body = NULL;
            rq->len = rq->cap = 0;
            return MHD_NO;
        }
        if (rq->len + n > rq->cap) {
            size_t ncap = rq->cap ? rq->cap : 4096;
            char *p;
            while (ncap < rq->len + n)
                ncap *= 2;
            if (ncap > SL_HTTP_BODY_MAX)
                ncap = SL_HTTP_BODY_MAX;
            p = realloc(rq->body, ncap);
            if (!p)
                return MHD_NO;
            rq->body = p;
            rq->cap = ncap;
        }
        memcpy(rq->body + rq->len, upload_data, n);
        rq->len += n;
        return MHD_YES;
    }
    if (rq->status)
        return MHD_YES;  /* already answered */
    if (rq->stream)
        return stream_respond(sv, c, rq);  /* resumed: is the head there now? */
    return respond(sv, c, rq, method);
}

/* ---- the listening socket ----------------------------------------------- */

/* Split "HOST:PORT" or "[V6]:PORT" into host and port. */
static sl_rc parse_listen(const char *addr, char *host, size_t hsize, char *port,
                          size_t psize, int *v6, sl_error *err)
{
    const char *colon, *h = addr;
    size_t hlen;
    *v6 = 0;
    if (strlen(addr) > SL_HTTP_LISTEN_MAX)
        return sl_error_set(err, SL_EUSAGE, "invalid listen address '%.40s...': %s", addr, "too long");
    if (*h == '[') {
        const char *close = strchr(h, ']');
        if (!close || close[1] != ':')
            return sl_error_set(err, SL_EUSAGE, "invalid listen address '%s': %s", addr,
                        "expected [ADDRESS]:PORT");
        h++;
        hlen = (size_t)(close - h);
        colon = close + 1;
        *v6 = 1;
    } else {
        colon = strrchr(h, ':');
        if (!colon)
            return sl_error_set(err, SL_EUSAGE, "invalid listen address '%s': %s", addr,
                        "expected HOST:PORT");
        hlen = (size_t)(colon - h);
        if (memchr(h, ':', hlen))
            return sl_error_set(err, SL_EUSAGE, "invalid listen address '%s': %s", addr,
                        "write IPv6 addresses as [ADDRESS]:PORT");
    }
    if (hlen == 0 || hlen >= hsize)
        return sl_error_set(err, SL_EUSAGE, "invalid listen address '%s': %s", addr, "no host");
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    colon++;
    {
        size_t plen = strlen(colon);
        long v = 0;
        if (plen == 0 || plen > 5 || plen >= psize)
            return sl_error_set(err, SL_EUSAGE, "invalid listen address '%s': %s", addr,
                        "port must be 0-65535");
        for (size_t i = 0; i < plen; i++) {
            if (colon[i] < '0' || colon[i] > '9')
                return sl_error_set(err, SL_EUSAGE, "invalid listen address '%s': %s", addr,
                            "port must be 0-65535");
            v = v * 10 + (colon[i] - '0');
        }
        if (v > 65535)
            return sl_error_set(err, SL_EUSAGE, "invalid listen address '%s': %s", addr,
                        "port must be 0-65535");
        memcpy(port, colon, plen + 1);
    }
    return SL_OK;
}

/* Bind and listen; *out_port is the real port (for port 0). */
static sl_rc open_listener(const char *addr, int *out_fd, int *out_port,
                           char *host, size_t hsize, int *v6, sl_error *err)
{
    char port[8];
    struct addrinfo hints, *res = NULL, *ai;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    int fd = -1, gai, saved = 0;
    sl_rc rc = parse_listen(addr, host, hsize, port, sizeof port, v6, err);
    if (rc != SL_OK)
        return rc;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    gai = getaddrinfo(host, port, &hints, &res);
    if (gai != 0)
        return sl_error_set(err, SL_EUSAGE, "invalid listen address '%s': %s", addr, gai_strerror(gai));
    for (ai = res; ai; ai = ai->ai_next) {
        int one = 1;
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
            listen(fd, SL_HTTP_LISTEN_BACKLOG) == 0)
            break;
        saved = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0)
        return sl_error_set(err, SL_ESTORAGE, "cannot listen on '%s': %s", addr,
                    strerror(saved ? saved : EADDRNOTAVAIL));
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
        saved = errno;
        close(fd);
        return sl_error_set(err, SL_ESTORAGE, "cannot listen on '%s': %s", addr, strerror(saved));
    }
    *out_port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                         : ntohs(((struct sockaddr_in *)&ss)->sin_port);
    *v6 = *v6 || strchr(host, ':') != NULL;
    *out_fd = fd;
    return SL_OK;
}

/* ---- the daily refresh -------------------------------------------------- */

typedef struct scheduler {
    const char *db_path;
    int minute;                 /* of the UTC day */
    pthread_mutex_t mu;
    pthread_cond_t cv;          /* on CLOCK_MONOTONIC */
    int stop;
    pthread_t thread;
    int running;
} scheduler;

int64_t sl_server_next_refresh(int64_t now, int minute)
{
    int64_t day = now >= 0 ? now / MS_PER_DAY : (now - MS_PER_DAY + 1) / MS_PER_DAY;
    int64_t t = day * MS_PER_DAY + (int64_t)minute * 60000;
    return t > now ? t : t + MS_PER_DAY;
}

static void scheduled_refresh(const char *db_path)
{
    sl_store *st = NULL;
    sl_snapshot snap;
    sl_error err = {0};
    char when[32];
    /* its own connection: the workers' are theirs; BEGIN IMMEDIATE and the
     * busy timeout in the engine serialise it with cron and the CLI */
    sl_rc rc = sl_store_open(db_path, 0, &st, &err);
    if (rc == SL_OK)
        rc = sl_store_refresh(st, SL_SOURCE_SCHEDULER, &snap, &err);
    sl_time_format_rfc3339(sl_clock_now_ms(), when, sizeof when);
    if (rc == SL_OK)
        fprintf(stderr, "%s scheduled refresh: %lld billable users\n", when,
                (long long)snap.billable_user_count);
    else
        fprintf(stderr, "%s scheduled refresh failed: %s\n", when, err.message);
    sl_store_close(st);
}

static void *scheduler_main(void *arg)
{
    scheduler *s = arg;
    int64_t next = sl_server_next_refresh(sl_clock_now_ms(), s->minute);
    pthread_mutex_lock(&s->mu);
    while (!s->stop) {
        int64_t now = sl_clock_now_ms(), wait, deadline;
        struct timespec ts;
        if (now >= next) {
            pthread_mutex_unlock(&s->mu);
            scheduled_refresh(s->db_path);
            pthread_mutex_lock(&s->mu);
            next = sl_server_next_refresh(sl_clock_now_ms(), s->minute);
            continue;
        }
        /* short ticks: a wall clock that jumps is noticed within a minute */
        wait = next - now < SCHEDULER_TICK_MS ? next - now : SCHEDULER_TICK_MS;
        deadline = mono_ms() + wait;
        ts.tv_sec = (time_t)(deadline / 1000);
        ts.tv_nsec = (long)(deadline % 1000) * 1000000L;
        pthread_cond_timedwait(&s->cv, &s->mu, &ts);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

static sl_rc scheduler_start(scheduler *s, sl_error *err)
{
    pthread_condattr_t ca;
    int e;
    pthread_mutex_init(&s->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cv, &ca);
    pthread_condattr_destroy(&ca);
    e = pthread_create(&s->thread, NULL, scheduler_main, s);
    if (e != 0)
        return sl_error_set(err, SL_EINTERNAL, "cannot start the %s: %s", "refresh timer", strerror(e));
    s->running = 1;
    return SL_OK;
}

static void scheduler_stop(scheduler *s)
{
    if (!s->running)
        return;
    pthread_mutex_lock(&s->mu);
    s->stop = 1;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->thread, NULL);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    s->running = 0;
}

/* ---- the metrics listener ----------------------------------------------- */

/* serve --metrics-listen: /metrics without a token, for a scraper on the
 * same host; one thread, the API's limits, state of its own. */
typedef struct metrics_listener {
    server sv;
    struct MHD_Daemon *d;
    int key_made;
} metrics_listener;

static sl_rc metrics_start(metrics_listener *ml, const sl_server_config *cfg, sl_metrics *m,
                           unsigned int flags, sl_error *err)
{
    char host[SL_HTTP_LISTEN_MAX + 1];
    int fd = -1, port = 0, v6 = 0;
    sl_rc rc = open_listener(cfg->metrics_listen, &fd, &port, host, sizeof host, &v6, err);
    if (rc != SL_OK)
        return rc;
    ml->sv.db_path = cfg->db_path;
    atomic_init(&ml->sv.in_flight, 0);
    atomic_init(&ml->sv.stopping, 0);
    ml->sv.dispatch.metrics = m;
    ml->sv.dispatch.metrics_only = 1;
    if (pthread_key_create(&ml->sv.store_key, store_destructor) != 0) {
        close(fd);
        return sl_error_set(err, SL_EINTERNAL, "cannot start the %s: %s", "metrics listener",
                            "no thread key");
    }
    ml->key_made = 1;
    ml->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, &ml->sv,
                             MHD_OPTION_LISTEN_SOCKET, fd,
                             MHD_OPTION_CONNECTION_LIMIT, (unsigned int)SL_HTTP_CONNECTION_LIMIT,
                             MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)SL_HTTP_CONNECTION_TIMEOUT_S,
                             MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)SL_HTTP_CONNECTION_MEMORY,
                             MHD_OPTION_URI_LOG_CALLBACK, on_uri, &ml->sv,
                             MHD_OPTION_NOTIFY_COMPLETED, on_completed, &ml->sv,
                             MHD_OPTION_END);
    if (!ml->d) {
        close(fd);
        return sl_error_set(err, SL_EINTERNAL, "cannot start the %s on '%s'", "metrics listener",
                            cfg->metrics_listen);
    }
    fprintf(stderr, v6 ? "metrics on http://[%s]:%d/metrics\n" : "metrics on http://%s:%d/metrics\n",
            host, port);
    return SL_OK;
}

/* Stop accepting, let requests in flight finish until `deadline`, stop. */
static void drain(server *sv, struct MHD_Daemon *d, int64_t deadline)
{
    MHD_socket fd;
    atomic_store(&sv->stopping, 1);
    fd = MHD_quiesce_daemon(d);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
    while (atomic_load(&sv->in_flight) > 0 && mono_ms() < deadline)
        sleep_ms(10);
    /* streams still waiting for the gateway give up: MHD must not stop
     * with a suspended connection */
    if (sv->dispatch.cs) {
        streams_abort(sv);
        deadline = mono_ms() + SL_HTTP_STREAM_ABORT_MS;
        while (atomic_load(&sv->in_flight) > 0 && mono_ms() < deadline)
            sleep_ms(10);
    }
    MHD_stop_daemon(d);
}

/* ---- the surfaces' shared state ---------------------------------------------- */

static sl_rc surfaces_start(server *sv, const sl_server_config *cfg, sl_error *err)
{
    static const sl_cs_config none;
    sl_console_config console = {0};
    sl_rc rc = sl_cs_gateway_global_init(err);
    if (rc != SL_OK)
        return rc;
    console.secure_cookies = cfg->behind_tls;
    rc = sl_console_new(&console, &sv->dispatch.console, err);
    if (rc != SL_OK)
        return rc;
    pthread_mutex_init(&sv->streams_mu, NULL);
    rc = sl_cs_new(cfg->code_suggestions ? cfg->code_suggestions : &none, &sv->dispatch.cs, err);
    if (rc != SL_OK) {
        pthread_mutex_destroy(&sv->streams_mu);
        sl_console_free(sv->dispatch.console);
        sv->dispatch.console = NULL;
    }
    return rc;
}

/* After MHD_stop_daemon: every stream is freed by then.  libcurl's global
 * state stays: a forward's thread may still be winding down. */
static void surfaces_stop(server *sv)
{
    sl_console_free(sv->dispatch.console);
    sv->dispatch.console = NULL;
    if (!sv->dispatch.cs)
        return;
    sl_cs_free(sv->dispatch.cs);
    sv->dispatch.cs = NULL;
    pthread_mutex_destroy(&sv->streams_mu);
}

/* ---- run ---------------------------------------------------------------- */

sl_rc sl_server_run(const sl_server_config *cfg, sl_error *err)
{
    server sv;
    scheduler sched;
    metrics_listener ml;
    struct MHD_Daemon *d = NULL;
    sl_store *probe = NULL;
    sigset_t stop_signals, old_mask;
    char host[SL_HTTP_LISTEN_MAX + 1];
    const char *addr = cfg->listen ? cfg->listen : SL_SERVER_DEFAULT_LISTEN;
    unsigned int threads = cfg->threads;
    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC;
    int fd = -1, port = 0, v6 = 0, sig = 0, key_made = 0;
    int64_t deadline;
    sl_rc rc;

    memset(&sv, 0, sizeof sv);
    memset(&sched, 0, sizeof sched);
    memset(&ml, 0, sizeof ml);
    sv.db_path = cfg->db_path;
    atomic_init(&sv.in_flight, 0);
    atomic_init(&sv.stopping, 0);
    /* open (and migrate) once up front, so a bad ledger fails the start
     * rather than every request */
    rc = sl_store_open(cfg->db_path, 0, &probe, err);
    sl_store_close(probe);
    if (rc != SL_OK)
        return rc;
    if (threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (unsigned int)n : 1;
    }
    if (threads > SL_HTTP_THREADS_MAX)
        threads = SL_HTTP_THREADS_MAX;
    sv.dispatch.metrics = sl_metrics_new();
    if (!sv.dispatch.metrics)
        return sl_error_set(err, SL_ENOMEM, "cannot start the %s: %s", "server", "out of memory");
    rc = surfaces_start(&sv, cfg, err);
    if (rc != SL_OK) {
        sl_metrics_free(sv.dispatch.metrics);
        return rc;
    }
    rc = open_listener(addr, &fd, &port, host, sizeof host, &v6, err);
    if (rc != SL_OK) {
        surfaces_stop(&sv);
        sl_metrics_free(sv.dispatch.metrics);
        return rc;
    }
    if (pthread_key_create(&sv.store_key, store_destructor) != 0) {
        close(fd);
        surfaces_stop(&sv);
        sl_metrics_free(sv.dispatch.metrics);
        return sl_error_set(err, SL_EINTERNAL, "cannot start the %s: %s", "server", "no thread key");
    }
    key_made = 1;
    /* every thread started from here on inherits the blocked stop signals,
     * so only sigwait() below ever sees them */
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, &old_mask);
    flags |= MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES ? MHD_USE_EPOLL
                                                                    : MHD_USE_POLL;
    flags |= MHD_ALLOW_SUSPEND_RESUME;   /* streamed responses */
    if (threads > 1)
        d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, &sv,
                             MHD_OPTION_LISTEN_SOCKET, fd,
                             MHD_OPTION_THREAD_POOL_SIZE, threads,
                             MHD_OPTION_CONNECTION_LIMIT, (unsigned int)SL_HTTP_CONNECTION_LIMIT,
                             MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)SL_HTTP_CONNECTION_TIMEOUT_S,
                             MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)SL_HTTP_CONNECTION_MEMORY,
                             MHD_OPTION_URI_LOG_CALLBACK, on_uri, &sv,
                             MHD_OPTION_NOTIFY_COMPLETED, on_completed, &sv,
                             MHD_OPTION_END);
    else
        d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, &sv,
                             MHD_OPTION_LISTEN_SOCKET, fd,
                             MHD_OPTION_CONNECTION_LIMIT, (unsigned int)SL_HTTP_CONNECTION_LIMIT,
                             MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)SL_HTTP_CONNECTION_TIMEOUT_S,
                             MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)SL_HTTP_CONNECTION_MEMORY,
                             MHD_OPTION_URI_LOG_CALLBACK, on_uri, &sv,
                             MHD_OPTION_NOTIFY_COMPLETED, on_completed, &sv,
                             MHD_OPTION_END);
    if (!d) {
        close(fd);
        rc = sl_error_set(err, SL_EINTERNAL, "cannot start the %s on '%s'", "server", addr);
        goto done;
    }
    if (cfg->metrics_listen) {
        rc = metrics_start(&ml, cfg, sv.dispatch.metrics, flags, err);
        if (rc != SL_OK)
            goto stop;
    }
    if (cfg->refresh_minute >= 0) {
        sched.db_path = cfg->db_path;
        sched.minute = cfg->refresh_minute;
        rc = scheduler_start(&sched, err);
        if (rc != SL_OK)
            goto stop;
    }
    fprintf(stderr, v6 ? "listening on http://[%s]:%d\n" : "listening on http://%s:%d\n",
            host, port);
    while (sigwait(&stop_signals, &sig) != 0)
        ;
    fprintf(stderr, "received %s, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
stop:
    /* stop accepting; requests already received are answered */
    deadline = mono_ms() + SL_HTTP_SHUTDOWN_GRACE_MS;
    drain(&sv, d, deadline);
    if (ml.d)
        drain(&ml.sv, ml.d, deadline);
    scheduler_stop(&sched);
    if (rc == SL_OK)
        fprintf(stderr, "stopped\n");
done:
    pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
    if (key_made)
        pthread_key_delete(sv.store_key);
    if (ml.key_made)
        pthread_key_delete(ml.sv.store_key);
    surfaces_stop(&sv);
    sl_metrics_free(sv.dispatch.metrics);
    return rc;
}
