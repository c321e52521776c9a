/*
 * notify_deliver.c - sending one notification event to one target: run an
 * --exec command with the event's JSON on its standard input, or pipe a
 * plain-text mail to sendmail -t -oi.  No shell is involved unless the
 * command names one; every run has a deadline, after which its process
 * group is stopped.  The engine decides what is owed (engine/notify/).
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define DEFAULT_SENDMAIL "/usr/sbin/sendmail"
#define KILL_GRACE_MS 2000          /* SIGTERM first, SIGKILL this much later */
#define WAIT_STEP_MS 10             /* how often a running child is looked at */
#define MAIL_ADDRESS_MAX 254        /* RFC 5321 path limit */
#define MAIL_HEAD_MAX 2048          /* the header block we write */

/* ---- targets ------------------------------------------------------------- */

/* The words of `cmd`: blanks separate them; '...' is literal; "..." keeps
 * blanks and honours \" \\ \$ \`; a backslash outside quotes takes the next
 * character.  No variables, globs or other shell syntax: a command that
 * wants them names its shell ("sh -c '...'"). */
sl_rc cli_command_split(const char *cmd, char ***out_argv, sl_error *err)
{
    size_t len = strlen(cmd), argc = 0;
    char **argv = NULL, *buf = NULL, *w;
    const char *p = cmd;
    sl_rc rc = SL_OK;
    *out_argv = NULL;
    if (len > SL_NOTIFY_TARGET_MAX)
        return sl_error_set(err, SL_ETOOBIG, "command '%.40s...' is too long", cmd);
    argv = calloc(CLI_COMMAND_WORDS_MAX + 1, sizeof *argv);
    buf = malloc(len + 1);
    if (!argv || !buf) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto done;
    }
    w = buf;
    for (;;) {
        char *start;
        int in_word = 0;
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        start = w;
        while (*p && (in_word || (*p != ' ' && *p != '\t'))) {
            if (*p == '\'') {
                const char *close = strchr(p + 1, '\'');
                if (!close) {
                    rc = sl_error_set(err, SL_EUSAGE, "command '%s': %s", cmd, "unbalanced '");
                    goto done;
                }
                memcpy(w, p + 1, (size_t)(close - p - 1));
                w += close - p - 1;
                p = close + 1;
            } else if (*p == '"') {
                p++;
                while (*p && *p != '"') {
                    if (*p == '\\' && p[1] && strchr("\"\\$`", p[1]))
                        p++;
                    *w++ = *p++;
                }
                if (*p != '"') {
                    rc = sl_error_set(err, SL_EUSAGE, "command '%s': %s", cmd, "unbalanced \"");
                    goto done;
                }
                p++;
            } else if (*p == '\\') {
                if (!p[1]) {
                    rc = sl_error_set(err, SL_EUSAGE, "command '%s': %s", cmd, "trailing \\");
                    goto done;
                }
                *w++ = p[1];
                p += 2;
            } else {
                *w++ = *p++;
            }
        }
        *w++ = '\0';
        if (argc == CLI_COMMAND_WORDS_MAX) {
            rc = sl_error_set(err, SL_EUSAGE, "command '%.40s...': more than %d words", cmd,
                              CLI_COMMAND_WORDS_MAX);
            goto done;
        }
        argv[argc++] = start;
    }
    if (argc == 0) {
        rc = sl_error_set(err, SL_EUSAGE, "empty command");
        goto done;
    }
    /* the words live in buf, which argv[0] points at: one free for both
     * (cli_command_free) */
done:
    if (rc != SL_OK) {
        free(argv);
        free(buf);
        return rc;
    }
    *out_argv = argv;
    return SL_OK;
}

void cli_command_free(char **argv)
{
    if (!argv)
        return;
    free(argv[0]);  /* the first word starts the buffer of all */
    free(argv);
}

sl_rc cli_mail_address_check(const char *addr, sl_error *err)
{
    size_t len = strlen(addr);
    if (len == 0 || len > MAIL_ADDRESS_MAX)
        return sl_error_set(err, SL_EUSAGE, "invalid mail address '%.60s': %s", addr,
                            len ? "too long" : "empty");
    for (const char *c = addr; *c; c++) {
        unsigned char u = (unsigned char)*c;
        /* the address goes into a To: header: nothing that ends or splits it */
        if (u <= 0x20 || u >= 0x7f || strchr("<>,;:\"()[]\\", u))
            return sl_error_set(err, SL_EUSAGE, "invalid mail address '%s': %s", addr,
                                "one address, no blanks, quotes or brackets");
    }
    if (addr[0] == '@' || addr[len - 1] == '@' || addr[0] == '-')
        return sl_error_set(err, SL_EUSAGE, "invalid mail address '%s': %s", addr,
                            "expected NAME@DOMAIN or a local NAME");
    return SL_OK;
}

/* ---- running a program with a deadline ---------------------------------- */

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Write all of data to fd (non-blocking) before the deadline; a reader that
 * goes away early is not an error (the exit status tells). */
static void feed(int fd, const char *data, size_t len, int64_t deadline)
{
    size_t off = 0;
    while (off < len) {
        struct pollfd pfd = {fd, POLLOUT, 0};
        int64_t left = deadline - mono_ms();
        ssize_t n;
        if (left <= 0 || poll(&pfd, 1, (int)(left > 1000 ? 1000 : left)) < 0) {
            if (left > 0 && errno == EINTR)
                continue;
            return;
        }
        if (pfd.revents & (POLLERR | POLLHUP))
            return;
        n = write(fd, data + off, len - off);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR)
                continue;
            return;   /* EPIPE: it stopped reading */
        }
        off += (size_t)n;
    }
}

/* Wait for pid until the deadline; then SIGTERM its group, and SIGKILL it
 * KILL_GRACE_MS later.  *timed_out says whether the deadline passed. */
static int reap(pid_t pid, int64_t deadline, int *timed_out)
{
    int status = 0, sent_term = 0;
    *timed_out = 0;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return status;
        if (r < 0 && errno != EINTR)
            return -1;
        if (mono_ms() >= deadline) {
            if (!sent_term) {
                *timed_out = 1;
                kill(-pid, SIGTERM);
                sent_term = 1;
                deadline = mono_ms() + KILL_GRACE_MS;
            } else {
                kill(-pid, SIGKILL);
                while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                    ;
                return status;
            }
        }
        sleep_ms(WAIT_STEP_MS);
    }
}

/* Run argv (PATH searched, no shell) with `input` on its standard input and
 * its standard output sent to our standard error (so --json output stays
 * clean).  "" in `why` when it exited 0; else what went wrong: "exit status
 * N", "killed by signal N", "timed out after N s", "cannot run ...". */
static void run_program(char *const *argv, const char *input, size_t len, int timeout_s,
                        char *why, size_t why_size)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    sigset_t none, dflt;
    int pipefd[2] = {-1, -1}, e, status, timed_out = 0;
    int64_t deadline;
    pid_t pid;

    why[0] = '\0';
    /* a named file that cannot run is said so the same way everywhere (a
     * failed exec inside posix_spawn may otherwise surface as status 127) */
    if (strchr(argv[0], '/') && access(argv[0], X_OK) != 0) {
        snprintf(why, why_size, "cannot run '%s': %s", argv[0], strerror(errno));
        return;
    }
    /* close-on-exec, so no other child holds the write end open */
    if (pipe(pipefd) != 0 || fcntl(pipefd[0], F_SETFD, FD_CLOEXEC) != 0 ||
        fcntl(pipefd[1], F_SETFD, FD_CLOEXEC) != 0) {
        if (pipefd[0] >= 0) {
            close(pipefd[0]);
            close(pipefd[1]);
        }
        snprintf(why, why_size, "cannot run '%s': %s", argv[0], strerror(errno));
        return;
    }
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pipefd[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&fa, STDERR_FILENO, STDOUT_FILENO);
    posix_spawnattr_init(&at);
    /* its own process group (stopped as a whole on timeout), no signal
     * blocked or ignored that the server or this command set for itself */
    sigemptyset(&none);
    sigemptyset(&dflt);
    sigaddset(&dflt, SIGPIPE);
    sigaddset(&dflt, SIGINT);
    sigaddset(&dflt, SIGTERM);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &dflt);
    posix_spawnattr_setpgroup(&at, 0);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF);
    e = posix_spawnp(&pid, argv[0], &fa, &at, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    close(pipefd[0]);
    if (e != 0) {
        close(pipefd[1]);
        snprintf(why, why_size, "cannot run '%s': %s", argv[0], strerror(e));
        return;
    }
    deadline = mono_ms() + (int64_t)timeout_s * 1000;
    fcntl(pipefd[1], F_SETFL, O_NONBLOCK);
    feed(pipefd[1], input, len, deadline);
    close(pipefd[1]);
    status = reap(pid, deadline, &timed_out);
    if (timed_out)
        snprintf(why, why_size, "timed out after %d s", timeout_s);
    else if (status < 0)
        snprintf(why, why_size, "cannot wait for '%s': %s", argv[0], strerror(errno));
    else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
        snprintf(why, why_size, "exit status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(why, why_size, "killed by signal %d", WTERMSIG(status));
}

/* ---- the two kinds of target --------------------------------------------- */

/* RFC 5322 date of the one clock: "Sun, 22 Nov 2026 12:00:00 +0000". */
static void mail_date(char *buf, size_t size)
{
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t t = (time_t)(sl_clock_now_ms() / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(buf, size, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
             months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static void deliver_mail(const char *addr, const sl_notify_event *ev, int timeout_s, char *why,
                         size_t why_size)
{
    const char *sendmail = getenv("SEATLEDGER_SENDMAIL");
    char date[40], head[MAIL_HEAD_MAX];
    char *argv[4], *mail;
    size_t hlen, tlen = strlen(ev->mail_text);
    if (!sendmail || !*sendmail)
        sendmail = DEFAULT_SENDMAIL;
    mail_date(date, sizeof date);
    /* the subject is the engine's one line; addresses were checked */
    hlen = (size_t)snprintf(head, sizeof head,
                            "To: %s\nSubject: %s\nDate: %s\nMIME-Version: 1.0\n"
                            "Content-Type: text/plain; charset=UTF-8\n"
                            "Content-Transfer-Encoding: 8bit\nAuto-Submitted: auto-generated\n"
                            "X-Seatledger-Event: %s\n\n",
                            addr, ev->mail_subject, date, ev->event);
    if (hlen >= sizeof head) {
        snprintf(why, why_size, "mail header too long");
        return;
    }
    mail = malloc(hlen + tlen);
    if (!mail) {
        snprintf(why, why_size, "out of memory");
        return;
    }
    memcpy(mail, head, hlen);
    memcpy(mail + hlen, ev->mail_text, tlen);
    argv[0] = (char *)sendmail;
    argv[1] = "-t";
    argv[2] = "-oi";
    argv[3] = NULL;
    run_program(argv, mail, hlen + tlen, timeout_s, why, why_size);
    free(mail);
}

void cli_notify_deliver(const char *target, const sl_notify_event *ev, int timeout_s, char *why,
                        size_t why_size)
{
    if (strncmp(target, CLI_TARGET_MAIL, strlen(CLI_TARGET_MAIL)) == 0) {
        deliver_mail(target + strlen(CLI_TARGET_MAIL), ev, timeout_s, why, why_size);
    } else if (strncmp(target, CLI_TARGET_EXEC, strlen(CLI_TARGET_EXEC)) == 0) {
        char **argv = NULL;
        sl_error err = {0};
        if (cli_command_split(target + strlen(CLI_TARGET_EXEC), &argv, &err) != SL_OK) {
            snprintf(why, why_size, "%s", err.message);
            return;
        }
        /* one JSON line: line-oriented readers get a complete line */
        size_t n = strlen(ev->document);
        char *line = malloc(n + 1);
        if (!line) {
            snprintf(why, why_size, "out of memory");
        } else {
            memcpy(line, ev->document, n);
            line[n] = '\n';
            run_program(argv, line, n + 1, timeout_s, why, why_size);
            free(line);
        }
        cli_command_free(argv);
    } else {
        snprintf(why, why_size, "unknown kind of target '%s'", target);
    }
}
