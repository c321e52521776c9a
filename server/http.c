/*
 * http.c - the network side of the API: libmicrohttpd with a worker pool,
 * request bodies capped at SL_HTTP_BODY_MAX, connections capped per client
 * and in all, a deadline for each request head, one ledger connection per
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
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SL_HTTP_CONNECTION_LIMIT 1024         /* open connections, all workers */
#define SL_HTTP_CLIENT_CONNECTION_LIMIT 64    /* open connections from one IP address */
#define SL_HTTP_CONNECTION_TIMEOUT_S 30       /* no byte in or out for this long: dropped */
/* A whole request head (request line and headers) must arrive within this
 * time of the connection opening or of the previous response: a client
 * sending one byte now and then never looks idle to the timeout above. */
#define SL_HTTP_HEAD_DEADLINE_MS 10000
#define SL_HTTP_SWEEP_MS 250                  /* how often the head deadline is checked */
#define SL_HTTP_METRICS_CONNECTION_LIMIT 32  /* the --metrics-listen listener's */
/* descriptors beside the API's connections: the metrics listener's, the
 * ledger's files, epoll, pipes */
#define SL_HTTP_FD_RESERVE (SL_HTTP_METRICS_CONNECTION_LIMIT + 32)
/* Request line + headers per connection.  libmicrohttpd zeroes this much
 * memory before every request on a connection: server CPU per GET
 * /api/v4/license measured 14.5 us with 64 KiB, 12.2 with 32 KiB and 11.3
 * with 16 KiB.  A key of about 15,000 bytes still fits in a query string. */
#define SL_HTTP_CONNECTION_MEMORY (16 * 1024)
#define SL_HTTP_HEADERS_MAX 128               /* headers handed to the router */
#define SL_HTTP_THREADS_MAX 64
#define SL_HTTP_LISTEN_BACKLOG 128
#define SL_HTTP_SHUTDOWN_GRACE_MS 10000       /* in-flight requests get this long */
#define SL_HTTP_LOG_FIELD_MAX 256             /* bytes of one field shown in the log */
#define SL_HTTP_LISTEN_MAX 300                /* "HOST:PORT" as given */
#define SCHEDULER_TICK_MS 60000               /* re-read the clock at least this often */
#define MS_PER_DAY 86400000LL
/* Every response carries these: the usage CSV holds the whole license key,
 * so no cache may keep an answer, and no browser may guess its type. */
#define CACHE_CONTROL "no-store"
#define CONTENT_TYPE_OPTIONS "nosniff"
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

/* One open connection, from libmicrohttpd's "started" to its "closed"
 * notification, for the head deadline.  Fields other than prev/next are
 * read and written under server.conns_mu. */
typedef struct conn {
    struct conn *prev, *next;
    int fd;                     /* valid until the "closed" notification */
    int64_t waiting_since;      /* monotonic ms: since when a head is awaited */
    int in_request;             /* its head arrived; the deadline waits for the response */
    int served;                 /* a request on it has completed */
    int cut;                    /* closed by the head deadline */
    int cut_logged;             /* ... and the access log has said so */
} conn;

typedef struct request request;

typedef struct server {
    const char *db_path;
    pthread_key_t store_key;    /* each worker thread's own ledger connection */
    atomic_int in_flight;       /* requests begun and not yet completed */
    atomic_int stopping;        /* set once a stop signal arrived */
    pthread_mutex_t conns_mu;   /* guards conns and every conn's fields */
    conn *conns;                /* open connections */
    sl_dispatch_ctx dispatch;   /* what this listener serves */
    pthread_mutex_t streams_mu; /* guards `streams` (initialised with dispatch.cs) */
    request *streams;           /* requests answering with a stream */
} server;

/* One request, from its request line to its completion. */
struct request {
    char *uri;                  /* raw, as received: path and query */
    struct timespec started;
    conn *cn;                   /* its connection (NULL when untracked) */
    char method[SL_HTTP_LOG_FIELD_MAX + 2]; /* for the log (longer ones show "...") */
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

/* The bytes a logged field may take: SL_HTTP_LOG_FIELD_MAX characters of
 * input, each escaped ("\u202e" is the longest), and "...". */
#define LOG_FIELD_BYTES (6 * SL_HTTP_LOG_FIELD_MAX + 4)

/* A field as the log shows it: escaped by the engine's sl_text_escape_to()
 * (control characters, stray bytes, C1 and bidirectional controls as \xHH
 * or \uHHHH, and spaces too unless keep_spaces), so no client can write
 * control characters into the log or make one field look like two; cut at
 * SL_HTTP_LOG_FIELD_MAX bytes of input with "..." and, when stop_at_query,
 * at the first '?' (a query may carry a token).  "-" when empty. */
static void log_field(char out[LOG_FIELD_BYTES], const char *s, int stop_at_query,
                      int keep_spaces)
{
    size_t n = s ? (stop_at_query ? strcspn(s, "?") : strlen(s)) : 0;
    size_t take = n < SL_HTTP_LOG_FIELD_MAX ? n : SL_HTTP_LOG_FIELD_MAX;
    size_t used = sl_text_escape_to(out, LOG_FIELD_BYTES - 3, s, take,
                                    keep_spaces ? 0u : SL_ESCAPE_SPACE);
    if (used < n)
        strcat(out, "...");
    if (!out[0])
        strcpy(out, "-");
}

/* The log goes out in batches: each line joins one buffer (under a mutex)
 * and the buffer is written with one write() when it is nearly full and at
 * least every SL_HTTP_SWEEP_MS by the main thread.  A write() for every
 * request cost about a tenth of a GET; a line now reaches stderr within a
 * quarter of a second.  The server's own messages flush the buffer first,
 * so the order of lines holds. */
#define LOG_BUFFER_BYTES (64 * 1024)
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static char log_buf[LOG_BUFFER_BYTES];
static size_t log_len;

static void log_flush_locked(void)
{
    if (log_len)
        fwrite(log_buf, 1, log_len, stderr);
    log_len = 0;
}

static void log_flush(void)
{
    pthread_mutex_lock(&log_mu);
    log_flush_locked();
    pthread_mutex_unlock(&log_mu);
}

static void log_append(const char *line, size_t n)
{
    pthread_mutex_lock(&log_mu);
    if (n > sizeof log_buf - log_len)
        log_flush_locked();
    if (n > sizeof log_buf) {
        fwrite(line, 1, n, stderr);
    } else {
        memcpy(log_buf + log_len, line, n);
        log_len += n;
    }
    pthread_mutex_unlock(&log_mu);
}

/* "YYYY-MM-DDTHH:MM:SS.mmmZ" of the one clock; the part up to the second
 * is formatted once a second per thread (the log is on the hot path). */
static void log_time(char out[32])
{
    static _Thread_local int64_t cached_s = INT64_MIN;
    static _Thread_local char cached[32];
    int64_t ms = sl_clock_now_ms();
    int64_t s = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
    int milli = (int)(ms - s * 1000);
    if (s != cached_s) {
        sl_time_format_rfc3339(s * 1000, cached, sizeof cached);
        cached_s = s;
    }
    /* cached ends ".000Z": rewrite the milliseconds only */
    memcpy(out, cached, 32);
    {
        size_t n = strlen(out);
        if (n >= 5 && out[n - 5] == '.') {
            out[n - 4] = (char)('0' + milli / 100);
            out[n - 3] = (char)('0' + milli / 10 % 10);
            out[n - 2] = (char)('0' + milli % 10);
        }
    }
}

/* One access-log line: method and path escaped, status 0 and a negative
 * duration shown as "-".  Assembled by hand (the log is on the hot path). */
static void log_line(const char *method, const char *uri, int status, double ms)
{
    char line[32 + 2 * (LOG_FIELD_BYTES + 1) + 64];
    size_t n;
    log_time(line);
    n = strlen(line);
    line[n++] = ' ';
    log_field(line + n, method, 0, 0);
    n += strlen(line + n);
    line[n++] = ' ';
    log_field(line + n, uri, 1, 0);
    n += strlen(line + n);
    if (status > 0)
        n += (size_t)snprintf(line + n, sizeof line - n, " %d", status);
    else
        n += (size_t)snprintf(line + n, sizeof line - n, " -");
    if (ms >= 0) {
        long long tenths = (long long)(ms * 10.0 + 0.5);
        n += (size_t)snprintf(line + n, sizeof line - n, " %lld.%dms\n", tenths / 10,
                              (int)(tenths % 10));
    } else {
        n += (size_t)snprintf(line + n, sizeof line - n, " -\n");
    }
    log_append(line, n);
}

/* "<time> <what>: <message>" with the message escaped (it may quote
 * what a client sent), written at once with the lines before it: errors
 * are rare, and an operator looks for them right away. */
static void log_event(const char *what, const char *message)
{
    char when[32], msg[LOG_FIELD_BYTES], line[sizeof when + 64 + sizeof msg];
    int n;
    sl_time_format_rfc3339(sl_clock_now_ms(), when, sizeof when);
    log_field(msg, message, 0, 1);
    n = snprintf(line, sizeof line, "%s %.64s: %s\n", when, what, msg);
    if (n > 0)
        log_append(line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
    log_flush();
}

/* libmicrohttpd answers some requests itself, before they reach us (a
 * malformed request line or header 400, 414, 431, 505), and reports each
 * in one message: "Error processing request (HTTP response code is %u
 * ('%s')). Closing connection."  That message is the only place where the
 * status is known for a request whose line never arrived, so it becomes
 * the request's access-log line (on_completed stays silent for these).
 * Every other message of the library is dropped, as before. */
static void on_mhd_message(void *cls, const char *fmt, va_list ap)
{
    static const char refusal[] = "(HTTP response code is %u ";
    (void)cls;
    if (fmt && strncmp(fmt, "Error processing request ", 25) == 0 && strstr(fmt, refusal))
        log_line(NULL, NULL, (int)va_arg(ap, unsigned int), -1);
}

/* ---- connections and the head deadline ---------------------------------- */

static conn *conn_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode what)
{
    server *sv = cls;
    conn *cn = *socket_context;
    if (what == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        cn = calloc(1, sizeof *cn);
        if (!cn || !ci) {
            /* no deadline could watch it: refuse it rather than serve it */
            free(cn);
            *socket_context = NULL;
            if (ci)
                shutdown(ci->connect_fd, SHUT_RDWR);
            return;
        }
        cn->fd = ci->connect_fd;
        cn->waiting_since = mono_ms();
        pthread_mutex_lock(&sv->conns_mu);
        cn->next = sv->conns;
        if (sv->conns)
            sv->conns->prev = cn;
        sv->conns = cn;
        pthread_mutex_unlock(&sv->conns_mu);
        *socket_context = cn;
        return;
    }
    if (!cn)
        return;
    /* libmicrohttpd closes the socket after this returns: once cn is out of
     * the list, the sweep can no longer touch a reused descriptor */
    pthread_mutex_lock(&sv->conns_mu);
    if (cn->prev)
        cn->prev->next = cn->next;
    else
        sv->conns = cn->next;
    if (cn->next)
        cn->next->prev = cn->prev;
    pthread_mutex_unlock(&sv->conns_mu);
    /* cut before its first request line: said here, as nothing else will
     * (a kept-alive connection that only went quiet is not worth a line) */
    if (cn->cut && !cn->cut_logged && !cn->served)
        log_line(NULL, NULL, 408, (double)(mono_ms() - cn->waiting_since));
    free(cn);
    *socket_context = NULL;
}

/* Close every connection whose head is overdue.  shutdown() leaves the
 * descriptor to libmicrohttpd, which sees the end of the stream in its own
 * thread and cleans up as for a client that left. */
static void sweep_heads(server *sv)
{
    int64_t now = mono_ms();
    pthread_mutex_lock(&sv->conns_mu);
    for (conn *cn = sv->conns; cn; cn = cn->next) {
        if (!cn->in_request && !cn->cut && now - cn->waiting_since >= SL_HTTP_HEAD_DEADLINE_MS) {
            cn->cut = 1;
            shutdown(cn->fd, SHUT_RDWR);
        }
    }
    pthread_mutex_unlock(&sv->conns_mu);
}

/* The head of cn's request is complete: 0 when the deadline cut it first. */
static int head_arrived(server *sv, conn *cn)
{
    int ok = 1;
    if (!cn)
        return 1;
    pthread_mutex_lock(&sv->conns_mu);
    if (cn->cut)
        ok = 0;
    else
        cn->in_request = 1;
    pthread_mutex_unlock(&sv->conns_mu);
    return ok;
}

/* ---- what every response carries ---------------------------------------- */

/* no-store and nosniff on every answer, streamed or not; "Connection:
 * close" while stopping, or when the surface says the stream cannot be
 * trusted any further (`close`): no connection is kept open for another
 * request then. */
static void add_common_headers(server *sv, struct MHD_Response *mr, int close)
{
    MHD_add_response_header(mr, MHD_HTTP_HEADER_CACHE_CONTROL, CACHE_CONTROL);
    MHD_add_response_header(mr, "X-Content-Type-Options", CONTENT_TYPE_OPTIONS);
    if (close || atomic_load(&sv->stopping))
        MHD_add_response_header(mr, MHD_HTTP_HEADER_CONNECTION, "close");
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
    add_common_headers(sv, mr, head.close);
    if (head.status >= 500 && head.detail[0])
        log_event("error", head.detail);
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
    if (!rq)
        return NULL;
    rq->uri = strdup(uri ? uri : "");
    if (!rq->uri) {
        free(rq);
        return NULL;
    }
    rq->cn = conn_of(c);
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
    int cut = 0;
    (void)toe;
    if (!rq)
        return;
    if (rq->cn) {
        pthread_mutex_lock(&sv->conns_mu);
        cut = rq->cn->cut;
        if (cut)
            rq->cn->cut_logged = 1;
        rq->cn->in_request = 0;
        rq->cn->served = 1;
        rq->cn->waiting_since = mono_ms();
        pthread_mutex_unlock(&sv->conns_mu);
    }
    sl_metrics_observe(sv->dispatch.metrics, rq->label, rq->status,
                       mono_elapsed_ms(&rq->started) / 1000.0);
    if (cut && rq->status == 0)
        log_line(rq->headers_seen ? rq->method : NULL, rq->uri, 408, mono_elapsed_ms(&rq->started));
    else if (rq->status != 0 || !MHD_get_connection_info(c, MHD_CONNECTION_INFO_HTTP_STATUS))
        log_line(rq->headers_seen ? rq->method : NULL, rq->uri, rq->status,
                 mono_elapsed_ms(&rq->started));
    /* else libmicrohttpd answered it itself: on_mhd_message logged it */
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

/* The request as the router sees it, without its body; `hl` holds the
 * headers, `method` and `version` are libmicrohttpd's (valid during the
 * handler call). */
static void request_head(struct MHD_Connection *c, const request *rq, const char *method,
                         const char *version, header_list *hl, sl_http_request *req)
{
    hl->n = 0;
    MHD_get_connection_values(c, MHD_HEADER_KIND, collect_header, hl);
    memset(req, 0, sizeof *req);
    req->method = method;
    req->version = version;
    req->path = rq->uri;
    req->headers = hl->h;
    req->header_count = hl->n;
}

/* Route the request and queue the answer. */
static enum MHD_Result respond(server *sv, struct MHD_Connection *c, request *rq,
                               const char *method, const char *version)
{
    header_list hl;
    sl_http_request req;
    sl_http_response r;
    struct MHD_Response *mr;
    enum MHD_Result ret;
    char *q = strchr(rq->uri, '?');
    request_head(c, rq, method, version, &hl, &req);
    if (q)
        *q = '\0';  /* rq->uri is now the path; the query follows */
    req.query = q ? q + 1 : NULL;
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
    add_common_headers(sv, mr, r.close);
    if (r.status >= 500 && r.detail[0])
        log_event("error", r.detail);
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
    if (!rq)
        return MHD_NO;  /* out of memory at the request line: drop it */
    if (!rq->headers_seen) {
        header_list hl;
        sl_http_request head;
        rq->headers_seen = 1;
        snprintf(rq->method, sizeof rq->method, "%s", method ? method : "");
        if (!head_arrived(sv, rq->cn))
            return MHD_NO;  /* the deadline closed it in the meantime */
        /* a body whose end is ambiguous is never read: answer at once */
        request_head(c, rq, method, version, &hl, &head);
        if (sl_http_framing_check(&head, NULL) != SL_FRAMING_OK)
            return respond(sv, c, rq, method, version);
        /* answer 413 before reading any of an announced oversized body */
        if (length_over_cap(MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                        MHD_HTTP_HEADER_CONTENT_LENGTH))) {
            rq->too_large = 1;
            return respond(sv, c, rq, method, version);
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
    return respond(sv, c, rq, method, version);
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
    if (rc == SL_OK) {
        char line[96];
        int n = snprintf(line, sizeof line, "%s scheduled refresh: %lld billable users\n", when,
                         (long long)snap.billable_user_count);
        if (n > 0)
            log_append(line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
    }
    else
        log_event("scheduled refresh failed", err.message);
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
    /* the same defences as the API's listener, on a smaller scale */
    ml->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, &ml->sv,
                             MHD_OPTION_LISTEN_SOCKET, fd,
                             MHD_OPTION_CONNECTION_LIMIT,
                             (unsigned int)SL_HTTP_METRICS_CONNECTION_LIMIT,
                             MHD_OPTION_PER_IP_CONNECTION_LIMIT,
                             (unsigned int)SL_HTTP_CLIENT_CONNECTION_LIMIT,
                             MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)SL_HTTP_CONNECTION_TIMEOUT_S,
                             MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)SL_HTTP_CONNECTION_MEMORY,
                             MHD_OPTION_EXTERNAL_LOGGER, on_mhd_message, &ml->sv,
                             MHD_OPTION_NOTIFY_CONNECTION, on_connection, &ml->sv,
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
    while (atomic_load(&sv->in_flight) > 0 && mono_ms() < deadline) {
        sleep_ms(10);
        sweep_heads(sv);
    }
    /* streams still waiting for the gateway give up: MHD must not stop
     * with a suspended connection */
    if (sv->dispatch.cs) {
        streams_abort(sv);
        deadline = mono_ms() + SL_HTTP_STREAM_ABORT_MS;
        while (atomic_load(&sv->in_flight) > 0 && mono_ms() < deadline)
            sleep_ms(10);
    }
    MHD_stop_daemon(d);
    log_flush();
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

/* Descriptors for `limit` connections: raise the soft limit towards the
 * hard one when needed (as nginx's worker_rlimit_nofile does), else serve
 * fewer connections than planned.  Returns the connection limit to use. */
static unsigned int fit_descriptors(unsigned int limit)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)limit + SL_HTTP_FD_RESERVE;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= want)
        return limit;
    if (rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want) {
        rl.rlim_cur = want;
        if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
            return limit;
        getrlimit(RLIMIT_NOFILE, &rl);
    } else if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur <= 2 * SL_HTTP_FD_RESERVE)
        limit = SL_HTTP_FD_RESERVE;
    else
        limit = (unsigned int)(rl.rlim_cur - SL_HTTP_FD_RESERVE);
    fprintf(stderr, "seatledger: the open-file limit (%llu) allows %u connections at once\n",
            (unsigned long long)rl.rlim_cur, limit);
    return limit;
}

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
    unsigned int threads = cfg->threads, limit;
    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC;
    int fd = -1, port = 0, v6 = 0, sig = 0, key_made = 0, masked = 0;
    int64_t deadline;
    sl_rc rc;

    memset(&sv, 0, sizeof sv);
    memset(&sched, 0, sizeof sched);
    memset(&ml, 0, sizeof ml);
    sv.db_path = cfg->db_path;
    atomic_init(&sv.in_flight, 0);
    atomic_init(&sv.stopping, 0);
    pthread_mutex_init(&sv.conns_mu, NULL);
    pthread_mutex_init(&ml.sv.conns_mu, NULL);
    /* open (and migrate) once up front, so a bad ledger fails the start
     * rather than every request */
    rc = sl_store_open(cfg->db_path, 0, &probe, err);
    sl_store_close(probe);
    if (rc != SL_OK)
        goto done;
    if (threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (unsigned int)n : 1;
    }
    if (threads > SL_HTTP_THREADS_MAX)
        threads = SL_HTTP_THREADS_MAX;
    sv.dispatch.metrics = sl_metrics_new();
    if (!sv.dispatch.metrics) {
        rc = sl_error_set(err, SL_ENOMEM, "cannot start the %s: %s", "server", "out of memory");
        goto done;
    }
    rc = surfaces_start(&sv, cfg, err);
    if (rc != SL_OK)
        goto done;
    rc = open_listener(addr, &fd, &port, host, sizeof host, &v6, err);
    if (rc != SL_OK)
        goto done;
    limit = fit_descriptors(SL_HTTP_CONNECTION_LIMIT);
    if (pthread_key_create(&sv.store_key, store_destructor) != 0) {
        close(fd);
        rc = sl_error_set(err, SL_EINTERNAL, "cannot start the %s: %s", "server", "no thread key");
        goto done;
    }
    key_made = 1;
    /* every thread started from here on inherits the blocked stop signals,
     * so only the wait below ever sees them */
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, &old_mask);
    masked = 1;
    flags |= MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES ? MHD_USE_EPOLL
                                                                    : MHD_USE_POLL;
    flags |= MHD_ALLOW_SUSPEND_RESUME;   /* streamed responses */
    /* the library's messages go to on_mhd_message, which keeps only its
     * own refusals of requests (for the access log) */
    if (MHD_is_feature_supported(MHD_FEATURE_MESSAGES) == MHD_YES)
        flags |= MHD_USE_ERROR_LOG;
    /* a pool of 0 (one thread) is libmicrohttpd's "no pool" */
    d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, &sv,
                         MHD_OPTION_LISTEN_SOCKET, fd,
                         MHD_OPTION_THREAD_POOL_SIZE, threads > 1 ? threads : 0u,
                         MHD_OPTION_CONNECTION_LIMIT, limit,
                         MHD_OPTION_PER_IP_CONNECTION_LIMIT,
                         (unsigned int)SL_HTTP_CLIENT_CONNECTION_LIMIT,
                         MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)SL_HTTP_CONNECTION_TIMEOUT_S,
                         MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)SL_HTTP_CONNECTION_MEMORY,
                         MHD_OPTION_EXTERNAL_LOGGER, on_mhd_message, &sv,
                         MHD_OPTION_NOTIFY_CONNECTION, on_connection, &sv,
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
    /* this thread sweeps overdue heads between signals */
    for (;;) {
        struct timespec tick = {0, SL_HTTP_SWEEP_MS * 1000000L};
        sig = sigtimedwait(&stop_signals, NULL, &tick);
        if (sig == SIGINT || sig == SIGTERM)
            break;
        sweep_heads(&sv);
        if (ml.d)
            sweep_heads(&ml.sv);
        log_flush();
    }
    log_flush();
    fprintf(stderr, "received %s, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
stop:
    /* stop accepting; requests already received are answered */
    deadline = mono_ms() + SL_HTTP_SHUTDOWN_GRACE_MS;
    drain(&sv, d, deadline);
    if (ml.d)
        drain(&ml.sv, ml.d, deadline);
    scheduler_stop(&sched);
    log_flush();
    if (rc == SL_OK)
        fprintf(stderr, "stopped\n");
done:
    if (masked)
        pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
    if (key_made)
        pthread_key_delete(sv.store_key);
    if (ml.key_made)
        pthread_key_delete(ml.sv.store_key);
    pthread_mutex_destroy(&ml.sv.conns_mu);
    pthread_mutex_destroy(&sv.conns_mu);
    surfaces_stop(&sv);
    sl_metrics_free(sv.dispatch.metrics);
    return rc;
}
