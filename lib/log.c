/* log.c — one write(2) per line so lines from several processes never interleave.
 * Two formats: text (`TIME level pid=… worker=… req=… message`) and, with
 * GIGD_LOG_FORMAT=json, one JSON object per line for log shippers:
 * {"time","level","pid","worker","request_id","msg"} plus the request fields of
 * log_request (method, path, route, status, duration_ms, user_id). */
#include "log.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/time.h>

static int worker_id = -1;
static char request_id[64];
static bool json;

void log_set_worker(int id) { worker_id = id; }
void log_set_json(bool on) { json = on; }
const char *log_request_id(void) { return request_id; }

void log_set_request(const char *rid)
{
    if (rid)
        snprintf(request_id, sizeof request_id, "%s", rid);
    else
        request_id[0] = '\0';
}

/* A line being built; `n` stops growing once the line is full. */
struct line {
    char p[2048];
    size_t n;
};

static void put(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct line *l, const char *fmt, ...)
{
    if (l->n >= sizeof l->p - 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(l->p + l->n, sizeof l->p - l->n, fmt, ap);
    va_end(ap);
    if (w > 0)
        l->n += (size_t)w < sizeof l->p - l->n ? (size_t)w : sizeof l->p - l->n - 1;
}

/* s as a JSON string: quotes, backslashes and control characters escaped. */
static void put_jstr(struct line *l, const char *s)
{
    put(l, "\"");
    for (; *s && l->n < sizeof l->p - 8; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            put(l, "\\%c", c);
        else if (c < 0x20)
            put(l, "\\u%04x", c);
        else
            l->p[l->n++] = (char)c;
    }
    l->p[l->n] = '\0';
    put(l, "\"");
}

static void put_time(struct line *l)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    put(l, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
        tm.tm_hour, tm.tm_min, tm.tm_sec, (long)(tv.tv_usec / 1000));
}

/* The common head of a line: time, level, process, worker, request id. */
static void put_head(struct line *l, const char *level)
{
    if (!json) {
        put_time(l);
        put(l, " %s pid=%d", level, (int)getpid());
        if (worker_id >= 0)
            put(l, " worker=%d", worker_id);
        if (request_id[0])
            put(l, " req=%s", request_id);
        put(l, " ");
        return;
    }
    put(l, "{\"time\":\"");
    put_time(l);
    put(l, "\",\"level\":\"%s\",\"pid\":%d", level, (int)getpid());
    if (worker_id >= 0)
        put(l, ",\"worker\":%d", worker_id);
    if (request_id[0]) {
        put(l, ",\"request_id\":");
        put_jstr(l, request_id);
    }
}

static void emit(struct line *l)
{
    if (l->n >= sizeof l->p - 2)
        l->n = sizeof l->p - 3; /* room for the closing brace and newline */
    if (json)
        l->p[l->n++] = '}';
    /* Newlines inside a message would break one-event-per-line parsing. */
    for (size_t i = 0; i < l->n; i++)
        if (l->p[i] == '\n' || l->p[i] == '\r')
            l->p[i] = ' ';
    l->p[l->n++] = '\n';
    ssize_t w = write(STDERR_FILENO, l->p, l->n);
    (void)w;
}

static void vlog(const char *level, const char *fmt, va_list ap)
{
    struct line l = {.n = 0};
    put_head(&l, level);
    char msg[1536];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (json) {
        put(&l, ",\"msg\":");
        put_jstr(&l, msg);
    } else {
        put(&l, "%s", msg);
    }
    emit(&l);
}

void log_request(const char *method, const char *path, const char *route, int status, double ms,
                 const char *user_id)
{
    if (!json) {
        /* The text log stays quiet about requests that went well (nginx logs them). */
        if (status >= 500)
            log_error("%s %s -> %d", method, path, status);
        return;
    }
    struct line l = {.n = 0};
    put_head(&l, status >= 500 ? "error" : "info");
    put(&l, ",\"msg\":\"request\",\"method\":");
    put_jstr(&l, method);
    put(&l, ",\"path\":");
    put_jstr(&l, path);
    if (route) {
        put(&l, ",\"route\":");
        put_jstr(&l, route);
    }
    put(&l, ",\"status\":%d,\"duration_ms\":%.3f", status, ms);
    if (user_id) {
        put(&l, ",\"user_id\":");
        put_jstr(&l, user_id);
    }
    emit(&l);
}

#define LOG_FN(name, level)                 \
    void name(const char *fmt, ...)         \
    {                                       \
        va_list ap;                         \
        va_start(ap, fmt);                  \
        vlog(level, fmt, ap);               \
        va_end(ap);                         \
    }
LOG_FN(log_info, "info")
LOG_FN(log_warn, "warn")
LOG_FN(log_error, "error")
LOG_FN(log_alert, "ALERT")
