/* log.c — one write(2) per line so lines from several processes never interleave. */
#include "log.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/time.h>

static int worker_id = -1;
static char request_id[64];

void log_set_worker(int id) { worker_id = id; }

void log_set_request(const char *rid)
{
    if (rid)
        snprintf(request_id, sizeof request_id, "%s", rid);
    else
        request_id[0] = '\0';
}

static void vlog(const char *level, const char *fmt, va_list ap)
{
    char line[2048];
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s pid=%d",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     (long)(tv.tv_usec / 1000), level, (int)getpid());
    if (worker_id >= 0 && n < (int)sizeof line)
        n += snprintf(line + n, sizeof line - (size_t)n, " worker=%d", worker_id);
    if (request_id[0] && n < (int)sizeof line)
        n += snprintf(line + n, sizeof line - (size_t)n, " req=%s", request_id);
    if (n < (int)sizeof line - 1) {
        line[n++] = ' ';
        n += vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    }
    if (n >= (int)sizeof line - 1)
        n = (int)sizeof line - 2;
    /* Newlines inside a message would break one-event-per-line parsing. */
    for (int i = 0; i < n; i++)
        if (line[i] == '\n' || line[i] == '\r')
            line[i] = ' ';
    line[n++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, (size_t)n);
    (void)w;
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
