/* scoreboard.h — the shared-memory scoreboard (as Apache's and php-fpm's): one slot per
 * worker, mapped by the master before it forks so the master and every worker see the
 * same pages. A worker writes only its own slot: single writer, so plain atomic stores
 * suffice, with a seqlock around the strings so a reader never sees a torn route or
 * request id. The master writes only the master figures, and a slot's pid and state once
 * it has reaped the slot's dead worker (nobody else writes it then). Counters live in the
 * slot, not the process, so they survive recycles and restarts: the metrics sum slots. */
#ifndef GIGD_SCOREBOARD_H
#define GIGD_SCOREBOARD_H
#include "stage.h"
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define SB_MAX_WORKERS 256               /* GIGD_WORKERS' ceiling */
#define SB_SLOTS (SB_MAX_WORKERS * 2)    /* a reload runs both generations for a while */
#define SB_ROUTES 256                    /* route table entries counted (the rest: "other") */
#define SB_STATUSES 26                   /* status codes counted one by one, the last "other" */
#define SB_BUCKETS 12                    /* latency histogram buckets, the last +Inf */

enum sb_restart { SB_RESTART_CRASH, SB_RESTART_TIMEOUT, SB_RESTART_RECYCLE, SB_RESTART_COUNT };

/* The master's figures, as read by a worker rendering /status or /metrics. */
struct sb_master_view {
    long generation, configured, alive, started_at;
    long slow_requests, max_active, accepted; /* accepted: requests begun, by every worker ever */
    long restarts[SB_RESTART_COUNT];
};

/* One slot, copied consistently. */
struct sb_slot_view {
    int pid;
    enum stage state;
    long long request_us;          /* time in the current request, 0 between requests */
    long served, started_at, last_us;
    char method[8], route[96], request_id[64], what[160];
};

/* One route's counters summed over every slot. */
struct sb_route_sum {
    unsigned long status[SB_STATUSES];
    unsigned long bucket[SB_BUCKETS];
    unsigned long sum_us, count;
};

extern const int sb_status_codes[SB_STATUSES];     /* 0 for "other" */
extern const double sb_bucket_le[SB_BUCKETS];      /* seconds; the last is +Inf */

/* Master: maps the board (once, before the first fork). -1 with errno when it cannot. */
int sb_map(void);
void sb_master_set(long generation, long configured, long alive);
/* The worker in slot idx is gone (reaped): its slot shows it no more. */
void sb_reaped(int idx);
void sb_restart(enum sb_restart why);
/* The watchdog (every tick of the master's loop): logs each request running longer than
 * slow_s once, and kills (SIGKILL) the worker of one running longer than timeout_s (0:
 * never), marking killed[idx]. pids[i] is slot i's live worker, 0 when none. */
void sb_watchdog(const pid_t *pids, bool *killed, long slow_s, long timeout_s);

/* Worker: takes slot idx as this process's own and installs the stage hooks. */
void sb_worker_start(int idx);
void sb_request_begin(const char *request_id);
void sb_request_route(const char *method, const char *pattern);
/* route_idx: index in the route table, or SB_ROUTES - 1 for none matched. */
void sb_request_end(size_t route_idx, int status, long long dur_us);

/* Readers (any process). */
void sb_master_read(struct sb_master_view *out);
/* False when slot idx has never held a worker. */
bool sb_slot_read(int idx, struct sb_slot_view *out);
/* False when no slot ever counted a request on route idx. */
bool sb_route_read(size_t route_idx, struct sb_route_sum *out);
void sb_events_read(unsigned long out[STAGE_EV_COUNT]);
/* The listening socket's (fd 0) accept queue: *len connections waiting, *max its limit;
 * -1 when it cannot be read (not a socket any more: a retiring worker). */
void sb_listen_queue(long *len, long *max);
const char *sb_state_name(enum stage st);

#endif
