/* scoreboard.c — the shared-memory scoreboard (scoreboard.h): the master maps it and
 * watches it, each worker keeps its own slot current, /status and /metrics read it. */
#include "scoreboard.h"
#include "log.h"
#include "util.h"
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define RLX memory_order_relaxed

const int sb_status_codes[SB_STATUSES] = {200, 201, 202, 204, 301, 302, 303, 304, 307, 400, 401, 402, 403,
                                          404, 405, 409, 410, 413, 415, 422, 429, 500, 502, 503, 504, 0};
const double sb_bucket_le[SB_BUCKETS] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 0};

struct route_counts {
    _Atomic unsigned long status[SB_STATUSES];
    _Atomic unsigned long bucket[SB_BUCKETS]; /* per bucket, not cumulative */
    _Atomic unsigned long sum_us;
};

struct slot {
    _Atomic int pid;
    _Atomic int state;
    _Atomic int used;                  /* has held a worker: only such slots are summed */
    _Atomic unsigned seq;              /* odd while the strings are being written */
    _Atomic long long req_start_us;    /* CLOCK_REALTIME; 0 between requests */
    _Atomic unsigned long req_no;      /* requests begun in this slot, by all its workers */
    _Atomic long served;               /* by the current worker */
    _Atomic long started_at;           /* the current worker's start: its last recycle */
    _Atomic long long last_us;         /* the previous request's duration */
    _Atomic unsigned long events[STAGE_EV_COUNT];
    _Atomic unsigned char route_used[SB_ROUTES]; /* readers skip (never fault in) untouched counters */
    _Atomic char method[8], route[96], request_id[64], what[160];
};

struct master {
    _Atomic long generation, configured, alive, started_at, slow, max_active;
    _Atomic long restarts[SB_RESTART_COUNT];
};

struct board {
    struct master m;
    struct slot slot[SB_SLOTS];
    struct route_counts routes[SB_SLOTS][SB_ROUTES];
};

static struct board *sb;
static struct slot *mine;           /* this worker's slot */
static enum stage cur = STAGE_IDLE; /* this worker's stage (mine->state without a load) */

static long long now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Single writer: a load and a store, no locked instruction. */
static void bump(_Atomic unsigned long *c, unsigned long n)
{
    atomic_store_explicit(c, atomic_load_explicit(c, RLX) + n, RLX);
}

static void put_str(_Atomic char *dst, size_t cap, const char *src)
{
    size_t i = 0;
    for (; src && src[i] && i + 1 < cap; i++)
        atomic_store_explicit(&dst[i], src[i], RLX);
    atomic_store_explicit(&dst[i], '\0', RLX);
}

static void get_str(char *dst, _Atomic char *src, size_t cap)
{
    for (size_t i = 0; i < cap; i++)
        if (!(dst[i] = atomic_load_explicit(&src[i], RLX)))
            break;
    dst[cap - 1] = '\0';
}

/* The seqlock's writer side (only ever this worker, on its own slot). */
static void write_begin(void)
{
    unsigned q = atomic_load_explicit(&mine->seq, RLX);
    atomic_store_explicit(&mine->seq, q + 1, RLX);
    atomic_thread_fence(memory_order_release);
}

static void write_end(void)
{
    unsigned q = atomic_load_explicit(&mine->seq, RLX);
    atomic_store_explicit(&mine->seq, q + 1, memory_order_release);
}

static void set_state(enum stage st)
{
    cur = st;
    atomic_store_explicit(&mine->state, (int)st, RLX);
}

static enum stage hook_enter(enum stage st, const char *what)
{
    enum stage prev = cur;
    write_begin();
    put_str(mine->what, sizeof mine->what, what);
    write_end();
    set_state(st);
    return prev;
}

static void hook_leave(enum stage prev)
{
    set_state(prev);
    if (prev < STAGE_DB) {
        write_begin();
        put_str(mine->what, sizeof mine->what, "");
        write_end();
    }
}

static void hook_count(enum stage_event ev)
{
    bump(&mine->events[ev], 1);
}

static const struct stage_hooks hooks = {hook_enter, hook_leave, hook_count};

int sb_map(void)
{
    /* Untouched pages cost nothing: most of the route counters are never written. */
    void *p = mmap(NULL, sizeof *sb, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return -1;
    sb = p;
    atomic_store_explicit(&sb->m.started_at, (long)time(NULL), RLX);
    return 0;
}

void sb_master_set(long generation, long configured, long alive)
{
    atomic_store_explicit(&sb->m.generation, generation, RLX);
    atomic_store_explicit(&sb->m.configured, configured, RLX);
    atomic_store_explicit(&sb->m.alive, alive, RLX);
}

void sb_reaped(int idx)
{
    struct slot *s = &sb->slot[idx];
    atomic_store_explicit(&s->pid, 0, RLX);
    atomic_store_explicit(&s->req_start_us, 0, RLX);
    atomic_store_explicit(&s->state, STAGE_IDLE, RLX);
}

void sb_restart(enum sb_restart why)
{
    atomic_fetch_add_explicit(&sb->m.restarts[why], 1, RLX);
}

#define SLOW_FMT "%s %s %s running %.1f s (worker %d, pid %d, request %s), %s%s%s"
#define SLOW_ARGS(how)                                                                                     \
    how, v.method[0] ? v.method : "-", v.route[0] ? v.route : "(no route yet)", (double)el_us / 1e6, idx,    \
        (int)pid, v.request_id[0] ? v.request_id : "-", sb_state_name(v.state), v.what[0] ? ": " : "", v.what

/* Route, request id, stage and the statement or URL in flight. */
static void log_slow(int idx, pid_t pid, long long el_us, bool killing)
{
    struct sb_slot_view v = {0}; /* all empty when the slot was never used */
    sb_slot_read(idx, &v);
    if (killing)
        log_error(SLOW_FMT, SLOW_ARGS("request timeout, killing its worker:"));
    else
        log_warn(SLOW_FMT, SLOW_ARGS("slow request:"));
}

void sb_watchdog(const pid_t *pids, bool *killed, long slow_s, long timeout_s)
{
    static unsigned long logged[SB_SLOTS]; /* the request (req_no) last logged slow, per slot */
    long long now = now_us();
    long active = 0;
    for (int i = 0; i < SB_SLOTS; i++) {
        struct slot *s = &sb->slot[i];
        long long t0 = pids[i] ? atomic_load_explicit(&s->req_start_us, RLX) : 0;
        if (!t0)
            continue;
        active++;
        long long el = now - t0;
        unsigned long no = atomic_load_explicit(&s->req_no, RLX);
        if (el >= slow_s * 1000000LL && logged[i] != no) {
            logged[i] = no;
            atomic_fetch_add_explicit(&sb->m.slow, 1, RLX);
            log_slow(i, pids[i], el, false);
        }
        if (timeout_s > 0 && el >= timeout_s * 1000000LL && !killed[i]) {
            killed[i] = true;
            log_slow(i, pids[i], el, true);
            kill(pids[i], SIGKILL);
        }
    }
    if (active > atomic_load_explicit(&sb->m.max_active, RLX))
        atomic_store_explicit(&sb->m.max_active, active, RLX);
}

void sb_worker_start(int idx)
{
    mine = &sb->slot[idx];
    write_begin();
    put_str(mine->method, sizeof mine->method, "");
    put_str(mine->route, sizeof mine->route, "");
    put_str(mine->request_id, sizeof mine->request_id, "");
    put_str(mine->what, sizeof mine->what, "");
    write_end();
    atomic_store_explicit(&mine->served, 0, RLX);
    atomic_store_explicit(&mine->last_us, 0, RLX);
    atomic_store_explicit(&mine->req_start_us, 0, RLX);
    atomic_store_explicit(&mine->started_at, (long)time(NULL), RLX);
    atomic_store_explicit(&mine->pid, (int)getpid(), RLX);
    atomic_store_explicit(&mine->used, 1, RLX);
    set_state(STAGE_IDLE);
    stage_hooks = &hooks;
}

void sb_request_begin(const char *request_id)
{
    if (!mine) /* not a pool worker: unit tests, gigctl */
        return;
    write_begin();
    put_str(mine->method, sizeof mine->method, "");
    put_str(mine->route, sizeof mine->route, "");
    put_str(mine->request_id, sizeof mine->request_id, request_id);
    put_str(mine->what, sizeof mine->what, "");
    write_end();
    bump(&mine->req_no, 1);
    atomic_store_explicit(&mine->req_start_us, now_us(), RLX);
    set_state(STAGE_READING);
}

void sb_request_route(const char *method, const char *pattern)
{
    if (!mine) /* not a pool worker: unit tests, gigctl */
        return;
    write_begin();
    put_str(mine->method, sizeof mine->method, method);
    put_str(mine->route, sizeof mine->route, pattern);
    write_end();
    set_state(STAGE_HANDLER);
}

static size_t status_index(int status)
{
    for (size_t i = 0; i < SB_STATUSES - 1; i++)
        if (sb_status_codes[i] == status)
            return i;
    return SB_STATUSES - 1;
}

static size_t bucket_index(long long us)
{
    for (size_t i = 0; i < SB_BUCKETS - 1; i++)
        if ((double)us <= sb_bucket_le[i] * 1e6)
            return i;
    return SB_BUCKETS - 1;
}

void sb_request_end(size_t route_idx, int status, long long dur_us)
{
    if (!mine) /* not a pool worker: unit tests, gigctl */
        return;
    if (route_idx >= SB_ROUTES)
        route_idx = SB_ROUTES - 1;
    struct route_counts *c = &sb->routes[mine - sb->slot][route_idx];
    atomic_store_explicit(&mine->route_used[route_idx], 1, RLX);
    bump(&c->status[status_index(status)], 1);
    bump(&c->bucket[bucket_index(dur_us)], 1);
    bump(&c->sum_us, dur_us > 0 ? (unsigned long)dur_us : 0);
    atomic_store_explicit(&mine->served, atomic_load_explicit(&mine->served, RLX) + 1, RLX);
    atomic_store_explicit(&mine->last_us, dur_us, RLX);
    atomic_store_explicit(&mine->req_start_us, 0, RLX);
    set_state(STAGE_IDLE);
}

void sb_master_read(struct sb_master_view *out)
{
    struct master *m = &sb->m;
    out->generation = atomic_load_explicit(&m->generation, RLX);
    out->configured = atomic_load_explicit(&m->configured, RLX);
    out->alive = atomic_load_explicit(&m->alive, RLX);
    out->started_at = atomic_load_explicit(&m->started_at, RLX);
    out->slow_requests = atomic_load_explicit(&m->slow, RLX);
    out->max_active = atomic_load_explicit(&m->max_active, RLX);
    for (int i = 0; i < SB_RESTART_COUNT; i++)
        out->restarts[i] = atomic_load_explicit(&m->restarts[i], RLX);
    out->accepted = 0;
    for (int i = 0; i < SB_SLOTS; i++)
        if (atomic_load_explicit(&sb->slot[i].used, RLX))
            out->accepted += (long)atomic_load_explicit(&sb->slot[i].req_no, RLX);
}

/* The strings as one consistent set: retried while the worker rewrites them. */
static void read_strings(struct slot *s, struct sb_slot_view *out)
{
    for (int tries = 0; tries < 1000; tries++) {
        unsigned q1 = atomic_load_explicit(&s->seq, memory_order_acquire);
        get_str(out->method, s->method, sizeof out->method);
        get_str(out->route, s->route, sizeof out->route);
        get_str(out->request_id, s->request_id, sizeof out->request_id);
        get_str(out->what, s->what, sizeof out->what);
        atomic_thread_fence(memory_order_acquire);
        if (!(q1 & 1) && atomic_load_explicit(&s->seq, RLX) == q1)
            return;
    }
}

bool sb_slot_read(int idx, struct sb_slot_view *out)
{
    struct slot *s = &sb->slot[idx];
    if (!atomic_load_explicit(&s->used, RLX))
        return false;
    out->pid = atomic_load_explicit(&s->pid, RLX);
    out->state = (enum stage)atomic_load_explicit(&s->state, RLX);
    long long t0 = atomic_load_explicit(&s->req_start_us, RLX);
    out->request_us = t0 ? now_us() - t0 : 0;
    out->served = atomic_load_explicit(&s->served, RLX);
    out->started_at = atomic_load_explicit(&s->started_at, RLX);
    out->last_us = atomic_load_explicit(&s->last_us, RLX);
    read_strings(s, out);
    return true;
}

bool sb_route_read(size_t route_idx, struct sb_route_sum *out)
{
    memset(out, 0, sizeof *out);
    bool any = false;
    for (int i = 0; i < SB_SLOTS; i++) {
        struct slot *s = &sb->slot[i];
        if (!atomic_load_explicit(&s->used, RLX) || !atomic_load_explicit(&s->route_used[route_idx], RLX))
            continue;
        any = true;
        struct route_counts *c = &sb->routes[i][route_idx];
        for (int k = 0; k < SB_STATUSES; k++)
            out->status[k] += atomic_load_explicit(&c->status[k], RLX);
        for (int k = 0; k < SB_BUCKETS; k++)
            out->bucket[k] += atomic_load_explicit(&c->bucket[k], RLX);
        out->sum_us += atomic_load_explicit(&c->sum_us, RLX);
    }
    for (int k = 0; k < SB_BUCKETS; k++)
        out->count += out->bucket[k];
    return any;
}

void sb_events_read(unsigned long out[STAGE_EV_COUNT])
{
    memset(out, 0, sizeof(unsigned long) * STAGE_EV_COUNT);
    for (int i = 0; i < SB_SLOTS; i++)
        if (atomic_load_explicit(&sb->slot[i].used, RLX))
            for (int k = 0; k < STAGE_EV_COUNT; k++)
                out[k] += atomic_load_explicit(&sb->slot[i].events[k], RLX);
}

/* A Unix listening socket's queue, from the kernel's sock_diag (what `ss -xl` shows as
 * Recv-Q and Send-Q): the socket is looked up by its inode. */
static bool unix_queue(ino_t ino, long *len, long *max)
{
    int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (fd < 0)
        return false;
    struct {
        struct nlmsghdr nlh;
        struct unix_diag_req req;
    } q;
    memset(&q, 0, sizeof q);
    q.nlh.nlmsg_len = sizeof q;
    q.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    q.nlh.nlmsg_flags = NLM_F_REQUEST;
    q.req.sdiag_family = AF_UNIX;
    q.req.udiag_ino = (unsigned)ino;
    q.req.udiag_show = UDIAG_SHOW_RQLEN;
    q.req.udiag_cookie[0] = q.req.udiag_cookie[1] = ~0U; /* "no cookie": find by inode alone */
    bool ok = false;
    long buf[512];
    ssize_t n = send(fd, &q, sizeof q, 0) == (ssize_t)sizeof q ? recv(fd, buf, sizeof buf, 0) : -1;
    struct nlmsghdr *h = (struct nlmsghdr *)(void *)buf;
    if (n >= (ssize_t)NLMSG_LENGTH(sizeof(struct unix_diag_msg)) && h->nlmsg_type == SOCK_DIAG_BY_FAMILY &&
        h->nlmsg_len <= (size_t)n) {
        struct unix_diag_msg *m = NLMSG_DATA(h);
        struct rtattr *a = (struct rtattr *)(void *)(m + 1);
        unsigned rest = h->nlmsg_len - (unsigned)NLMSG_LENGTH(sizeof *m);
        for (; RTA_OK(a, rest); a = RTA_NEXT(a, rest)) {
            if (a->rta_type != UNIX_DIAG_RQLEN)
                continue;
            const struct unix_diag_rqlen *r = RTA_DATA(a);
            *len = r->udiag_rqueue;
            *max = r->udiag_wqueue;
            ok = true;
        }
    }
    close(fd);
    return ok;
}

void sb_listen_queue(long *len, long *max)
{
    *len = *max = -1;
    struct stat st;
    struct sockaddr_storage ss = {0};
    socklen_t sl = sizeof ss;
    if (fstat(0, &st) < 0 || !S_ISSOCK(st.st_mode) || getsockname(0, (struct sockaddr *)&ss, &sl) < 0)
        return;
    if (ss.ss_family == AF_UNIX) {
        if (!unix_queue(st.st_ino, len, max))
            *len = *max = -1;
        return;
    }
    /* A TCP socket from systemd: on a listener, TCP_INFO's unacked is the accept queue. */
    struct tcp_info ti;
    socklen_t tl = sizeof ti;
    if (getsockopt(0, IPPROTO_TCP, TCP_INFO, &ti, &tl) == 0) {
        *len = ti.tcpi_unacked;
        *max = ti.tcpi_sacked;
    }
}

const char *sb_state_name(enum stage st)
{
    static const char *const names[] = {"idle", "reading", "handler", "db", "outside call"};
    return (unsigned)st < ARRAY_SIZE(names) ? names[st] : "?";
}
