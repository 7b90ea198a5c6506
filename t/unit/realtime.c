/* Unit tests for lib/realtime.c failure handling: a publisher that refuses the
 * connection or never answers costs the request at most about a second and only
 * returns -1 (the caller logs and goes on). */
#include "tap.h"
#include "arena.h"
#include "config.h"
#include "realtime.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A socket bound to a free loopback port; listening (accepts into the backlog but
 * never answers) or just bound (so connecting is refused). */
static int loopback(int listening, int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) || getsockname(fd, (struct sockaddr *)&sa, &len))
        return -1;
    if (listening && listen(fd, 16))
        return -1;
    *port = ntohs(sa.sin_port);
    return fd;
}

int main(void)
{
    arena *a = arena_new(16 * 1024);
    char url[128];
    int port = 0;

    int closed = loopback(0, &port);
    ok(closed >= 0, "bound a port nobody listens on");
    snprintf(url, sizeof url, "http://127.0.0.1:%d/pub", port);
    cfg.nchan_publish_url = url;
    double t = now();
    is_int(realtime_publish(a, REALTIME_CONVERSATION, "x", "typing", "{\"user_id\":\"u\"}"), -1, "refused connection: -1");
    ok(now() - t < 0.5, "and fast (%.3f s)", now() - t);

    int silent = loopback(1, &port);
    ok(silent >= 0, "a listener that never answers");
    snprintf(url, sizeof url, "http://127.0.0.1:%d/pub", port);
    t = now();
    is_int(realtime_publish(a, REALTIME_USER, "y", "notification", "{}"), -1, "no answer: -1");
    double took = now() - t;
    ok(took < 0.8, "bounded by the short timeout (%.3f s)", took);
    t = now();
    is_int(realtime_publish(a, REALTIME_USER, "y", "notification", "{}"), -1, "right after a timeout: skipped");
    ok(now() - t < 0.05, "without waiting again (%.3f s)", now() - t);

    cfg.nchan_publish_url = "";
    is_int(realtime_publish(a, REALTIME_USER, "y", "notification", "{}"), 0, "publishing disabled: no-op");
    close(closed);
    close(silent);
    arena_free(a);
    return done_testing();
}
