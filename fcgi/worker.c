/* worker.c — the FastCGI accept loop of one worker and the request pipeline:
 * parse → route → authenticate → (CSRF) → parse JSON body → handler → flush. */
#include "worker.h"
#include "auth.h"
#include "config.h"
#include "db.h"
#include "gigs.h"
#include "log.h"
#include "realtime.h"
#include "respond.h"
#include "router.h"
#include "scoreboard.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested;

void (*worker_test_hook)(struct request *r);

/* Puts /dev/null on fd 0 in place of the shared listening socket: this worker accepts
 * no new connection (a blocked accept(2) restarts on /dev/null and fails), but keeps
 * serving the FastCGI connection nginx holds open to it. Exiting while that kept
 * connection is idle would race a request nginx is sending on it (a lost POST);
 * instead the worker leaves when nginx closes it (upstream keepalive_timeout or
 * keepalive_requests). Async-signal-safe. */
static void stop_accepting(void)
{
    int saved = errno;
    int fd = open("/dev/null", O_RDONLY);
    if (fd >= 0 && fd != 0) {
        dup2(fd, 0);
        close(fd);
    }
    errno = saved;
}

static void on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
    stop_accepting();
}

const char *req_param(struct request *r, const char *name)
{
    return r->fcgx ? FCGX_GetParam(name, r->fcgx->envp) : NULL;
}

const char *req_query(struct request *r, const char *key)
{
    for (int i = 0; i < r->nqs; i++)
        if (!strcmp(r->qs[i].key, key))
            return r->qs[i].val;
    return NULL;
}

const char *req_arg(struct request *r, int i)
{
    return i < r->nparams ? r->params[i] : NULL;
}

static bool unsafe_method(const char *m)
{
    return strcmp(m, "GET") && strcmp(m, "HEAD") && strcmp(m, "OPTIONS");
}

/* Cookie-authenticated unsafe requests must come from our own pages: the Origin header,
 * else Sec-Fetch-Site, else the Referer's origin, compared with cfg.public_origin. */
static bool csrf_refused(struct request *r)
{
    if (!r->auth_via_cookie || !unsafe_method(r->method))
        return false;
    const char *origin = req_param(r, "HTTP_ORIGIN");
    if (origin && *origin)
        return !config_is_public_origin(origin, strlen(origin));
    const char *site = req_param(r, "HTTP_SEC_FETCH_SITE");
    if (site && (!strcmp(site, "cross-site") || !strcmp(site, "same-site")))
        return true;
    const char *referer = req_param(r, "HTTP_REFERER");
    if (referer && *referer) {
        const char *p = strstr(referer, "://");
        const char *slash = p ? strchr(p + 3, '/') : NULL;
        return !config_is_public_origin(referer, slash ? (size_t)(slash - referer) : strlen(referer));
    }
    return false;
}

/* Finds the presented session token: Bearer header, then cookie, then ?access_token=. */
static void find_token(struct request *r, unsigned flags)
{
    const char *h = req_param(r, "HTTP_AUTHORIZATION");
    if (h && !strncasecmp(h, "Bearer ", 7)) {
        r->token = h + 7;
        while (*r->token == ' ')
            r->token++;
        return;
    }
    const char *c = http_cookie(r->a, req_param(r, "HTTP_COOKIE"), AUTH_COOKIE);
    if (c && *c) {
        r->token = c;
        r->auth_via_cookie = true;
        return;
    }
    if (flags & ROUTE_QTOKEN)
        r->token = req_query(r, "access_token");
}

enum result req_read_body(struct request *r, long limit)
{
    const char *cl = req_param(r, "CONTENT_LENGTH");
    long len = cl && *cl ? strtol(cl, NULL, 10) : 0;
    if (len < 0)
        len = 0;
    if (len > limit)
        return gctx_fail(&r->g, R_TOOLARGE, arena_sprintf(r->a, "Request body exceeds %ld bytes", limit));
    char *body = arena_alloc(r->a, (size_t)len + 1);
    long got = 0;
    if (r->fcgx) {
        while (got < len) {
            int n = FCGX_GetStr(body + got, (int)(len - got), r->fcgx->in);
            if (n <= 0)
                break;
            got += n;
        }
    }
    body[got] = '\0';
    r->body = body;
    r->body_len = (size_t)got;
    return R_SUCCESS;
}

/* application/json or application/<anything>+json, parameters (charset) allowed after ';'.
 * Anything else (text/plain+json, application/jsonx, a "+json" in a parameter) is refused. */
static bool json_media_type(const char *ct)
{
    static const char app[] = "application/";
    if (strncasecmp(ct, app, sizeof app - 1))
        return false;
    const char *sub = ct + sizeof app - 1;
    size_t n = strcspn(sub, "; \t");
    if (n == 4 && !strncasecmp(sub, "json", 4))
        return true;
    return n > 5 && !strncasecmp(sub + n - 5, "+json", 5) && !memchr(sub, '/', n);
}

static bool json_content_type(struct request *r)
{
    const char *ct = req_param(r, "CONTENT_TYPE");
    if (!ct || !*ct)
        return true; /* lenient: many clients omit it */
    return json_media_type(ct);
}

/* Step 1: the query string and the route (404 or 405 when none matches). */
static enum result match_route(struct request *r, const struct route **rt)
{
    const char *params[ROUTER_MAX_PARAMS];
    bool path_known;
    r->nqs = http_parse_query(r->a, r->query, &r->qs);
    if (r->nqs < 0) {
        r->nqs = 0;
        return gctx_fail(&r->g, R_INVALID, "Malformed query string");
    }
    *rt = router_match(routes, routes_count, r->method, r->path, r->a, params, &r->nparams, &path_known);
    if (!*rt)
        return path_known ? gctx_fail(&r->g, R_METHOD, "Method not allowed") : gctx_fail(&r->g, R_NOTFOUND, "Not found");
    memcpy(r->params, params, sizeof params);
    r->route = (*rt)->pattern;
    return R_SUCCESS;
}

/* Step 2: who is asking. An invalid token is as good as none on an optional-auth route;
 * a database failure while checking it is not. */
static enum result authenticate(struct request *r, unsigned flags)
{
    if ((flags & ROUTE_READ) && cfg.database_read_url[0])
        flags |= ROUTE_OPTAUTH;
    if (!(flags & (ROUTE_AUTH | ROUTE_OPTAUTH | ROUTE_QTOKEN)))
        return R_SUCCESS;
    find_token(r, flags);
    if (r->token && *r->token) {
        enum result rc = auth_session_verify(&r->g, r->token);
        if (rc && rc != R_UNAUTHORIZED)
            return rc;
    }
    if ((flags & (ROUTE_AUTH | ROUTE_QTOKEN)) && !r->g.user_id)
        return gctx_fail(&r->g, R_UNAUTHORIZED, r->token ? "Invalid or expired session" : "Authentication required");
    r->g.res = R_SUCCESS; /* a refused optional token is not this request's error */
    return R_SUCCESS;
}

/* Step 3: cookie sessions are refused on cross-site unsafe requests. */
static enum result check_csrf(struct request *r)
{
    if (r->g.user_id && csrf_refused(r))
        return gctx_fail(&r->g, R_FORBIDDEN, "Cross-site request refused");
    return R_SUCCESS;
}

/* Step 3b: the email-verification gate, in this one place for every gated route. */
static enum result check_verified(struct request *r, unsigned flags)
{
    if ((flags & ROUTE_VERIFIED) && cfg.require_email_verification && !r->g.email_verified)
        return gctx_fail(&r->g, R_UNVERIFIED, "Verify your email address first");
    return R_SUCCESS;
}

/* Step 4: the body of an unsafe request, up to the JSON limit (uploads stream their own). */
static enum result read_body(struct request *r, unsigned flags)
{
    if ((flags & ROUTE_UPLOAD) || !unsafe_method(r->method))
        return R_SUCCESS;
    return req_read_body(r, cfg.json_body_limit);
}

/* Step 5: a JSON route gets its body parsed into r->json, which must be an object. */
static enum result parse_json(struct request *r, unsigned flags)
{
    if (!(flags & ROUTE_JSON))
        return R_SUCCESS;
    if (!json_content_type(r))
        return gctx_fail(&r->g, R_UNSUPPORTED, "Content-Type must be application/json");
    if (r->body_len == 0)
        return gctx_fail(&r->g, R_INVALID, "Request body must be a JSON object");
    r->json = gctx_json_parse(&r->g, r->body, r->body_len);
    if (!r->json)
        return gctx_fail(&r->g, R_INVALID, "Malformed JSON");
    if (!cJSON_IsObject(r->json))
        return gctx_fail(&r->g, R_INVALID, "Request body must be a JSON object");
    return R_SUCCESS;
}

/* The handler, on the scoreboard as the route's pattern (never the path: bounded). */
static void run_handler(struct request *r, const struct route *rt)
{
    sb_request_route(r->method, rt->pattern);
    if (worker_test_hook)
        worker_test_hook(r);
    rt->fn(r);
}

void worker_dispatch(struct request *r)
{
    const struct route *rt = NULL;
    enum result rc = match_route(r, &rt);
    if (!rc)
        rc = authenticate(r, rt->flags);
    if (!rc)
        rc = check_csrf(r);
    if (!rc)
        rc = check_verified(r, rt->flags);
    if (!rc)
        rc = read_body(r, rt->flags);
    if (!rc)
        rc = parse_json(r, rt->flags);
    if (!rc)
        run_handler(r, rt);
    if (!r->responded)
        respond_error(r);
}

/* The matched route's place in the table, the metrics' key (SB_ROUTES - 1: none). Two
 * routes may share one pattern string (GET and POST /api/gigs): the method tells them apart. */
static size_t route_index(const struct request *r)
{
    for (size_t i = 0; r->route && i < routes_count && i < SB_ROUTES - 1; i++)
        if (routes[i].pattern == r->route && !strcmp(routes[i].method, r->method))
            return i;
    for (size_t i = 0; r->route && i < routes_count && i < SB_ROUTES - 1; i++)
        if (routes[i].pattern == r->route)
            return i;
    return SB_ROUTES - 1;
}

/* Serves one request; returns the notifications it committed (arena memory) so they
 * are published after the response has gone out. */
static const char *serve(FCGX_Request *fr, arena *a, struct db *db)
{
    struct request r = {0};
    r.fcgx = fr;
    r.a = a;
    r.g.a = a;
    r.g.db = db;
    r.method = FCGX_GetParam("REQUEST_METHOD", fr->envp);
    r.g.client_addr = FCGX_GetParam("REMOTE_ADDR", fr->envp);
    r.path = FCGX_GetParam("GIGD_PATH", fr->envp);
    if (!r.path)
        r.path = FCGX_GetParam("DOCUMENT_URI", fr->envp);
    r.query = FCGX_GetParam("QUERY_STRING", fr->envp);
    r.request_id = FCGX_GetParam("REQUEST_ID", fr->envp);
    if (!r.method)
        r.method = "GET";
    if (!r.path)
        r.path = "/";
    log_set_request(r.request_id);
    sb_request_begin(r.request_id);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    buf_init(&r.headers, a, 256);
    buf_init(&r.out, a, 4096);
    worker_dispatch(&r);
    respond_flush(&r);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long long us = (long long)(t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000;
    sb_request_end(route_index(&r), r.status, us);
    log_request(r.method, r.path, r.route, r.status, (double)us / 1e3, r.g.user_id);
    log_set_request(NULL);
    return r.g.events;
}

/* Writes this worker's buffered views (gigs_views.c) outside any request. */
static void flush_views(arena *a, struct db *db)
{
    struct gctx g = {.a = a, .db = db};
    gigs_views_flush(&g);
    arena_reset(a);
}

/* Reads what is left of the request's stdin, through its end record (nginx sends it
 * with the params or right after the body), so that nothing of this request is still
 * unread on a kept connection when next_connection polls it for the next one. (nginx
 * buffers the body, fastcgi_request_buffering on, and sends the whole request before
 * reading the answer, so this never waits on the client.) A body left unread beyond a
 * bound (a refused upload) is not worth reading: the connection is closed instead, and
 * nginx opens another. */
static void finish_stdin(FCGX_Request *fr)
{
    char buf[4096];
    long left = 256 * 1024;
    int n;
    while ((n = FCGX_GetStr(buf, (int)sizeof buf, fr->in)) > 0) {
        if ((left -= n) <= 0) {
            fr->keepConnection = 0;
            return;
        }
    }
}

/* SIGALRM only interrupts the accept(2) of next_connection (installed without
 * SA_RESTART); the timer is armed around that call alone. */
static void on_views_due(int sig)
{
    (void)sig;
}

/* Arms the timer to fire in ms (> 0) milliseconds, then every 20 ms until disarmed
 * (ms = 0): a signal that lands between arming and entering accept(2) is lost to it, and
 * the next one interrupts it. */
static void arm_timer(int ms)
{
    struct itimerval t = {0};
    if (ms > 0) {
        t.it_value.tv_sec = ms / 1000;
        t.it_value.tv_usec = (ms % 1000) * 1000;
        t.it_interval.tv_usec = 20 * 1000;
    }
    setitimer(ITIMER_REAL, &t, NULL);
}

/* A readable kept connection that has nothing to read: nginx closed it (keepalive
 * timeout, or its cache of idle connections evicted this one). */
static bool closed_by_peer(int fd)
{
    char c;
    ssize_t n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

/* Waits for the connection of the next request, after the last response has gone out
 * (a reader never waits for a flush): nginx's kept connection, or a new one accepted
 * here from the shared listening socket (fd 0) and handed to libfcgi as if kept. While
 * views are buffered (gigs_views.c) a wait lasts only until they are due — poll on the
 * kept connection, a timer that interrupts accept — then they are flushed and the wait
 * goes on, so an idle worker never sits on them. That is why the accept is ours: a
 * poll on the shared socket wakes every idle worker for one connection, and the losers
 * then blocked in libfcgi's accept with their views unflushed until their next request
 * (as did a worker whose kept connection nginx closed: libfcgi reads the EOF and
 * accepts). A blocking accept wakes one worker per connection. false: stop. */
static bool next_connection(FCGX_Request *fr, arena *a, struct db *db)
{
    for (;;) {
        if (stop_requested && fr->ipcFd < 0)
            return false; /* nothing in flight, no kept connection: done */
        int due = gigs_views_due_ms();
        if (due == 0) {
            flush_views(a, db);
            continue;
        }
        if (fr->ipcFd >= 0) {
            if (due < 0)
                return true; /* libfcgi blocks reading the kept connection, as ever */
            struct pollfd p = {.fd = fr->ipcFd, .events = POLLIN};
            int n = poll(&p, 1, due);
            if (n <= 0)
                continue; /* due (or a signal): flush, then wait again */
            if (!closed_by_peer(fr->ipcFd))
                return true;
            close(fr->ipcFd);
            fr->ipcFd = -1;
            continue;
        }
        if (due > 0) /* no views buffered (due < 0): no timer, no two syscalls per accept */
            arm_timer(due);
        int fd = accept4(0, NULL, NULL, SOCK_CLOEXEC);
        int err = errno;
        if (due > 0)
            arm_timer(0);
        if (fd >= 0) {
            /* FCGX_Accept_r reads a request from ipcFd when it is open; keepConnection
             * stops its opening FCGX_Finish_r from closing it (the request's own
             * FCGI_KEEP_CONN flag replaces the value when it is read). */
            fr->ipcFd = fd;
            fr->keepConnection = 1;
            return true;
        }
        if (err == EINTR || err == ECONNABORTED || err == EAGAIN || err == EWOULDBLOCK)
            continue;
        if (!stop_requested)
            log_error("accept failed: %s", strerror(err));
        return false; /* stop_accepting put /dev/null on fd 0: ENOTSOCK */
    }
}

/* A worker's signals: stop gracefully on SIGQUIT/SIGTERM, SIGALRM only to interrupt
 * accept, the master's own signals ignored; nothing blocked. */
static void worker_signals(void)
{
    struct sigaction sa = {0};
    sa.sa_handler = on_stop;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGQUIT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    struct sigaction alarm_sa = {0};
    alarm_sa.sa_handler = on_views_due; /* no SA_RESTART: it is there to interrupt accept */
    sigemptyset(&alarm_sa.sa_mask);
    sigaction(SIGALRM, &alarm_sa, NULL);
    signal(SIGHUP, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGCHLD, SIG_DFL);
    signal(SIGINT, SIG_IGN); /* Ctrl-C reaches the master, which stops us gracefully */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

void worker_run(int worker_id)
{
    log_set_worker(worker_id);
    sb_worker_start(worker_id);
    worker_signals();
    FCGX_Init();
    FCGX_Request fr;
    FCGX_InitRequest(&fr, 0, 0);
    struct db db = {0};
    db.conninfo = cfg.database_url;
    /* Every statement a client can trigger has a time limit, answered 503 TIMEOUT. */
    db.statement_timeout_ms = cfg.statement_timeout_ms;
    db_connect(&db, cfg.database_url); /* a failure is retried on the first request */
    arena *a = arena_new(64 * 1024);
    long served = 0;
    for (;;) {
        if (!next_connection(&fr, a, &db))
            break;
        int rc = FCGX_Accept_r(&fr);
        if (rc < 0) {
            if (!stop_requested)
                log_error("accept failed: %d", rc);
            break;
        }
        const char *events = serve(&fr, a, &db);
        finish_stdin(&fr);
        FCGX_Finish_r(&fr);
        if (events) {
            struct gctx g = {.a = a, .db = &db};
            realtime_publish_notifications(&g, events);
        }
        arena_reset(a);
        if (cfg.max_requests && ++served == cfg.max_requests && !stop_requested) {
            log_info("recycling after %ld requests", served);
            stop_requested = 1;
            stop_accepting();
        }
    }
    flush_views(a, &db);
    FCGX_Free(&fr, 1);
    arena_free(a);
    db_close(&db);
    _exit(0);
}
