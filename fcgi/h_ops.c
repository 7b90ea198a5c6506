/* h_ops.c — health and cron endpoints, and the operators' pages: /status (the worker
 * scoreboard) and /metrics (Prometheus). */
#include "config.h"
#include "cron.h"
#include "db.h"
#include "handlers.h"
#include "respond.h"
#include "router.h"
#include "scoreboard.h"
#include "util.h"
#include <sodium.h>
#include <string.h>
#include <strings.h>
#include <time.h>

void h_healthz(struct request *r)
{
    if (!db_ping(r->g.db)) {
        respond_fail(r, R_UNAVAILABLE, "Database unreachable");
        return;
    }
    /* A down read replica degrades but does not fail: reads fall back to the primary. */
    switch (db_read_ping()) {
    case 1: respond_data(r, 200, "{\"status\":\"ok\",\"primary\":\"ok\",\"replica\":\"ok\"}"); break;
    case 0: respond_data(r, 200, "{\"status\":\"degraded\",\"primary\":\"ok\",\"replica\":\"down\"}"); break;
    default: respond_data(r, 200, "{\"status\":\"ok\"}");
    }
}

/* Bearer $GIGD_CRON_SECRET, compared in constant time; an unset secret refuses all. */
static bool cron_authorized(struct request *r)
{
    const char *h = req_param(r, "HTTP_AUTHORIZATION");
    if (!h || strncasecmp(h, "Bearer ", 7) || !cfg.cron_secret[0])
        return false;
    const char *given = h + 7;
    unsigned char a[32], b[32];
    /* Hash both so the comparison is constant-time whatever the lengths. */
    crypto_generichash(a, sizeof a, (const unsigned char *)given, strlen(given), NULL, 0);
    crypto_generichash(b, sizeof b, (const unsigned char *)cfg.cron_secret, strlen(cfg.cron_secret), NULL, 0);
    return sodium_memcmp(a, b, sizeof a) == 0;
}

void h_cron(struct request *r)
{
    if (!cron_authorized(r)) {
        respond_fail(r, R_UNAUTHORIZED, "Invalid cron secret");
        return;
    }
    RENDER(r, 200, cron_run(&r->g, req_arg(r, 0), RENDER_OUT));
}

/* ------------------------------------------------ /status and /metrics (issue 14) */

/* Both pages only through the nginx locations that mark the request (GIGD_OPS_ALLOWED,
 * set by nginx's /status and /metrics locations after their allow/deny) and only from
 * loopback or GIGD_OPS_ALLOW: a proxy set up without those locations exposes nothing. */
static bool ops_allowed(struct request *r)
{
    const char *mark = req_param(r, "GIGD_OPS_ALLOWED");
    const char *addr = r->g.client_addr;
    if (!mark || strcmp(mark, "1") || !addr)
        return false;
    return config_addr_listed("127.0.0.1 ::1", addr) || config_addr_listed(cfg.ops_allow, addr);
}

static bool ops_refused(struct request *r)
{
    if (ops_allowed(r))
        return false;
    respond_fail(r, R_FORBIDDEN, "Forbidden");
    return true;
}

static void respond_text(struct request *r, const char *content_type, const struct buf *b)
{
    r->status = 200;
    r->out.len = 0;
    buf_put(&r->out, b->p, b->len);
    respond_header(r, "Content-Type", content_type);
    respond_header(r, "Cache-Control", "no-store");
    r->responded = true;
}

static const char *iso_time(struct request *r, long t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    char s[32];
    gmtime_r(&tt, &tm);
    strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return arena_strdup(r->a, s);
}

/* The master's figures and the worker counts by state, as the pages show them. */
struct ops_pool {
    struct sb_master_view m;
    long queue, queue_max, by_state[STAGE_COUNT], restarts;
};

static void pool_read(struct ops_pool *p)
{
    memset(p, 0, sizeof *p);
    sb_master_read(&p->m);
    sb_listen_queue(&p->queue, &p->queue_max);
    for (int i = 0; i < SB_SLOTS; i++) {
        struct sb_slot_view v;
        if (sb_slot_read(i, &v) && v.pid > 0 && (unsigned)v.state < STAGE_COUNT)
            p->by_state[v.state]++;
    }
    for (int i = 0; i < SB_RESTART_COUNT; i++)
        p->restarts += p->m.restarts[i];
}

static void status_text_pool(struct request *r, struct buf *b, const struct ops_pool *p)
{
    long now = (long)time(NULL), idle = p->by_state[STAGE_IDLE];
    buf_printf(b, "pool:                 gigd\ngeneration:           %ld\n", p->m.generation);
    buf_printf(b, "start time:           %s\nstart since:          %ld\n", iso_time(r, p->m.started_at),
               now - p->m.started_at);
    buf_printf(b, "accepted conn:        %ld\nlisten queue:         %ld\nlisten queue len:     %ld\n",
               p->m.accepted, p->queue, p->queue_max);
    buf_printf(b, "idle processes:       %ld\nactive processes:     %ld\ntotal processes:      %ld\n", idle,
               p->m.alive - idle, p->m.alive);
    buf_printf(b, "workers configured:   %ld\nmax active processes: %ld\nslow requests:        %ld\n",
               p->m.configured, p->m.max_active, p->m.slow_requests);
    buf_printf(b, "worker restarts:      %ld\n", p->restarts);
}

static void status_text_slot(struct request *r, struct buf *b, int i, const struct sb_slot_view *v)
{
    buf_printf(b, "\n************************\nslot:                 %d\npid:                  %d\n", i, v->pid);
    buf_printf(b, "state:                %s\nstart time:           %s\nstart since:          %ld\n",
               sb_state_name(v->state), iso_time(r, v->started_at), (long)time(NULL) - v->started_at);
    buf_printf(b, "requests:             %ld\nrequest duration:     %lld\n", v->served,
               v->request_us ? v->request_us : (long long)v->last_us);
    buf_printf(b, "request method:       %s\nroute:                %s\nrequest id:           %s\n", v->method,
               v->route, v->request_id);
    buf_printf(b, "in flight:            %s\n", v->what);
}

static void status_json_pool(struct buf *b, const struct ops_pool *p)
{
    buf_printf(b, "{\"pool\":\"gigd\",\"generation\":%ld,\"start_time\":%ld,\"accepted_conn\":%ld,", p->m.generation,
               p->m.started_at, p->m.accepted);
    buf_printf(b, "\"listen_queue\":%ld,\"listen_queue_len\":%ld,\"idle_processes\":%ld,\"active_processes\":%ld,",
               p->queue, p->queue_max, p->by_state[STAGE_IDLE], p->m.alive - p->by_state[STAGE_IDLE]);
    buf_printf(b, "\"total_processes\":%ld,\"workers_configured\":%ld,\"max_active_processes\":%ld,", p->m.alive,
               p->m.configured, p->m.max_active);
    buf_printf(b, "\"slow_requests\":%ld,\"worker_restarts\":{\"crash\":%ld,\"timeout\":%ld,\"recycle\":%ld},",
               p->m.slow_requests, p->m.restarts[SB_RESTART_CRASH], p->m.restarts[SB_RESTART_TIMEOUT],
               p->m.restarts[SB_RESTART_RECYCLE]);
}

static void status_json_slot(struct buf *b, int i, const struct sb_slot_view *v)
{
    buf_printf(b, "{\"slot\":%d,\"pid\":%d,\"state\":", i, v->pid);
    buf_json_str(b, sb_state_name(v->state));
    buf_printf(b, ",\"start_time\":%ld,\"requests\":%ld,\"request_duration_us\":%lld,\"last_request_us\":%lld,",
               v->started_at, v->served, v->request_us, (long long)v->last_us);
    buf_puts(b, "\"method\":");
    buf_json_str(b, v->method);
    buf_puts(b, ",\"route\":");
    buf_json_str(b, v->route);
    buf_puts(b, ",\"request_id\":");
    buf_json_str(b, v->request_id);
    buf_puts(b, ",\"in_flight\":");
    buf_json_str(b, v->what);
    buf_putc(b, '}');
}

/* GET /status (php-fpm's status page): the pool, then every live worker; ?json for JSON. */
void h_status(struct request *r)
{
    if (ops_refused(r))
        return;
    bool json = req_query(r, "json") != NULL;
    struct ops_pool p;
    pool_read(&p);
    struct buf b;
    buf_init(&b, r->a, 8192);
    if (json)
        status_json_pool(&b, &p);
    else
        status_text_pool(r, &b, &p);
    if (json)
        buf_puts(&b, "\"workers\":[");
    int n = 0;
    for (int i = 0; i < SB_SLOTS; i++) {
        struct sb_slot_view v;
        if (!sb_slot_read(i, &v) || v.pid <= 0)
            continue;
        if (json && n++)
            buf_putc(&b, ',');
        if (json)
            status_json_slot(&b, i, &v);
        else
            status_text_slot(r, &b, i, &v);
    }
    if (json) {
        buf_puts(&b, "]}");
        respond_data(r, 200, b.p);
        return;
    }
    respond_text(r, "text/plain; charset=utf-8", &b);
}

/* The route's labels: method and pattern (bounded: never the path). */
static void route_labels(struct buf *b, size_t i)
{
    if (i < routes_count && i < SB_ROUTES - 1)
        buf_printf(b, "method=\"%s\",route=\"%s\"", routes[i].method, routes[i].pattern);
    else
        buf_puts(b, "method=\"\",route=\"(unmatched)\"");
}

static void metrics_route(struct buf *b, size_t i, const struct sb_route_sum *s)
{
    for (int k = 0; k < SB_STATUSES; k++) {
        if (!s->status[k])
            continue;
        buf_puts(b, "gigd_http_requests_total{");
        route_labels(b, i);
        if (sb_status_codes[k])
            buf_printf(b, ",status=\"%d\"} %lu\n", sb_status_codes[k], s->status[k]);
        else
            buf_printf(b, ",status=\"other\"} %lu\n", s->status[k]);
    }
    unsigned long cum = 0;
    for (int k = 0; k < SB_BUCKETS; k++) {
        cum += s->bucket[k];
        buf_puts(b, "gigd_http_request_duration_seconds_bucket{");
        route_labels(b, i);
        if (k < SB_BUCKETS - 1)
            buf_printf(b, ",le=\"%g\"} %lu\n", sb_bucket_le[k], cum);
        else
            buf_printf(b, ",le=\"+Inf\"} %lu\n", cum);
    }
    buf_puts(b, "gigd_http_request_duration_seconds_sum{");
    route_labels(b, i);
    buf_printf(b, "} %.6f\ngigd_http_request_duration_seconds_count{", (double)s->sum_us / 1e6);
    route_labels(b, i);
    buf_printf(b, "} %lu\n", s->count);
}

static void metrics_requests(struct buf *b)
{
    buf_puts(b, "# HELP gigd_http_requests_total Requests served, by route pattern and status.\n"
                "# TYPE gigd_http_requests_total counter\n"
                "# HELP gigd_http_request_duration_seconds Time from accepting a request to its response.\n"
                "# TYPE gigd_http_request_duration_seconds histogram\n");
    for (size_t i = 0; i < SB_ROUTES; i++) {
        if (i >= routes_count && i < SB_ROUTES - 1)
            continue;
        struct sb_route_sum s;
        if (sb_route_read(i, &s))
            metrics_route(b, i, &s);
    }
}

static void metrics_events(struct buf *b)
{
    static const char *const stripe[] = {"ok", "refused", "busy", "error", "timeout", "transport"};
    unsigned long ev[STAGE_EV_COUNT];
    sb_events_read(ev);
    buf_printf(b, "# HELP gigd_db_errors_total Failed statements (not counting refusals of the caller's data).\n"
                  "# TYPE gigd_db_errors_total counter\ngigd_db_errors_total %lu\n",
               ev[STAGE_EV_DB_ERROR]);
    buf_printf(b, "# HELP gigd_db_reconnects_total Lost database connections opened again.\n"
                  "# TYPE gigd_db_reconnects_total counter\ngigd_db_reconnects_total %lu\n",
               ev[STAGE_EV_DB_RECONNECT]);
    buf_puts(b, "# HELP gigd_stripe_calls_total Attempts at Stripe's API, by outcome.\n"
                "# TYPE gigd_stripe_calls_total counter\n");
    for (size_t k = 0; k < ARRAY_SIZE(stripe); k++)
        buf_printf(b, "gigd_stripe_calls_total{outcome=\"%s\"} %lu\n", stripe[k], ev[STAGE_EV_STRIPE_OK + k]);
}

static void metrics_pool(struct buf *b, const struct ops_pool *p)
{
    static const char *const why[] = {"crash", "timeout", "recycle"};
    buf_puts(b, "# HELP gigd_worker_restarts_total Workers replaced: crashed, killed by the watchdog, recycled.\n"
                "# TYPE gigd_worker_restarts_total counter\n");
    for (int k = 0; k < SB_RESTART_COUNT; k++)
        buf_printf(b, "gigd_worker_restarts_total{reason=\"%s\"} %ld\n", why[k], p->m.restarts[k]);
    buf_printf(b, "# HELP gigd_slow_requests_total Requests that ran longer than GIGD_SLOW_REQUEST.\n"
                  "# TYPE gigd_slow_requests_total counter\ngigd_slow_requests_total %ld\n",
               p->m.slow_requests);
    buf_printf(b, "# HELP gigd_accepted_total Requests accepted by the pool.\n"
                  "# TYPE gigd_accepted_total counter\ngigd_accepted_total %ld\n",
               p->m.accepted);
    buf_puts(b, "# HELP gigd_workers Live workers by state.\n# TYPE gigd_workers gauge\n");
    for (int k = 0; k < STAGE_COUNT; k++)
        buf_printf(b, "gigd_workers{state=\"%s\"} %ld\n", sb_state_name((enum stage)k), p->by_state[k]);
    buf_printf(b, "# HELP gigd_workers_configured GIGD_WORKERS in force.\n# TYPE gigd_workers_configured gauge\n"
                  "gigd_workers_configured %ld\n# HELP gigd_generation Reloads since start.\n"
                  "# TYPE gigd_generation gauge\ngigd_generation %ld\n",
               p->m.configured, p->m.generation);
    buf_printf(b, "# HELP gigd_listen_queue Connections waiting for a worker.\n# TYPE gigd_listen_queue gauge\n"
                  "gigd_listen_queue %ld\n# HELP gigd_max_active Most workers busy at once since start.\n"
                  "# TYPE gigd_max_active gauge\ngigd_max_active %ld\n",
               p->queue, p->m.max_active);
}

/* Undelivered mail (the deliverer gives up after 25 attempts) and push messages, each
 * counted over its table's partial index of due rows, at scrape time. */
STMT(st_ops_outbox, "SELECT 'mail', count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0)::bigint"
                    " FROM mail_outbox WHERE sent_at IS NULL AND attempts < 25"
                    " UNION ALL SELECT 'push', count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0)::bigint"
                    " FROM push_outbox WHERE status IN ('pending', 'sending')");

static void metrics_outbox(struct request *r, struct buf *b)
{
    PGresult *res;
    if (DB_RUN0(&r->g, &res, &st_ops_outbox)) {
        r->g.res = R_SUCCESS; /* the other figures still help; the gauge says the query failed */
        buf_puts(b, "# TYPE gigd_outbox_up gauge\ngigd_outbox_up 0\n");
        return;
    }
    buf_puts(b, "# TYPE gigd_outbox_up gauge\ngigd_outbox_up 1\n"
                "# HELP gigd_outbox_depth Messages waiting in an outbox.\n# TYPE gigd_outbox_depth gauge\n");
    for (int i = 0; i < PQntuples(res); i++)
        buf_printf(b, "gigd_outbox_depth{queue=\"%s\"} %s\n", db_val(res, i, 0), db_val(res, i, 1));
    buf_puts(b, "# HELP gigd_outbox_oldest_seconds Age of the oldest waiting message.\n"
                "# TYPE gigd_outbox_oldest_seconds gauge\n");
    for (int i = 0; i < PQntuples(res); i++)
        buf_printf(b, "gigd_outbox_oldest_seconds{queue=\"%s\"} %s\n", db_val(res, i, 0), db_val(res, i, 2));
}

/* GET /metrics in Prometheus' text format (version 0.0.4). */
void h_metrics(struct request *r)
{
    if (ops_refused(r))
        return;
    struct ops_pool p;
    pool_read(&p);
    struct buf b;
    buf_init(&b, r->a, 32768);
    metrics_requests(&b);
    metrics_events(&b);
    metrics_pool(&b, &p);
    metrics_outbox(r, &b);
    respond_text(r, "text/plain; version=0.0.4; charset=utf-8", &b);
}
