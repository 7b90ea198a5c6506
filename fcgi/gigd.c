/* gigd.c — the master: binds (or inherits) the FastCGI socket, pre-forks workers,
 * reaps and respawns them, reloads on SIGHUP, stops gracefully on SIGQUIT/SIGTERM.
 * Signal handlers only set flags; the loop below acts on them. */
#include "config.h"
#include "log.h"
#include "scoreboard.h"
#include "util.h"
#include "worker.h"
#include <curl/curl.h>
#include <sodium.h>
#include <errno.h>
#include <fcgiapp.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_WORKERS SB_MAX_WORKERS
#define STORM_DEATHS 10     /* this many crashes ... */
#define STORM_WINDOW 10     /* ... within this many seconds is a crash storm */

struct slot {
    pid_t pid;
    unsigned gen;           /* generation: bumped on reload */
    time_t started;
};

static struct slot slots[SB_SLOTS];
static bool watchdog_killed[SB_SLOTS]; /* this slot's worker was killed by the watchdog */
static unsigned generation;
static volatile sig_atomic_t got_hup, got_stop, got_chld;
static time_t deaths[STORM_DEATHS];
static int death_idx;
static int backoff_s;

static void on_signal(int sig)
{
    if (sig == SIGHUP)
        got_hup = 1;
    else if (sig == SIGCHLD)
        got_chld = 1;
    else
        got_stop = 1;
}

static void write_pidfile(void)
{
    if (!cfg.pidfile || !*cfg.pidfile)
        return;
    FILE *f = fopen(cfg.pidfile, "w");
    if (f) {
        fprintf(f, "%d\n", (int)getpid());
        fclose(f);
    }
}

/* systemd socket activation hands us fd 3; otherwise bind GIGD_SOCKET. Either way the
 * listening socket ends up on fd 0, where libfcgi expects it (as spawn-fcgi does). */
static int open_listener(void)
{
    const char *lp = getenv("LISTEN_PID"), *lf = getenv("LISTEN_FDS");
    if (lp && lf && atoi(lp) == (int)getpid() && atoi(lf) >= 1) {
        if (dup2(3, 0) < 0)
            return -1;
        close(3);
        log_info("using the socket passed by systemd");
        return 0;
    }
    FCGX_Init();
    unlink(cfg.socket);
    /* A short queue: when every worker is busy and it is full, nginx's connect fails at
     * once (503) rather than waiting behind a long queue (nginx/fastcgi.inc). */
    int fd = FCGX_OpenSocket(cfg.socket, (int)cfg.listen_backlog);
    if (fd < 0) {
        log_error("cannot listen on %s: %s", cfg.socket, strerror(errno));
        return -1;
    }
    chmod(cfg.socket, 0666); /* nginx's workers run as another user; the directory guards access */
    if (fd != 0) {
        if (dup2(fd, 0) < 0)
            return -1;
        close(fd);
    }
    log_info("listening on %s", cfg.socket);
    return 0;
}

/* Started by root (make run, tests): a worker never serves requests as root. It becomes
 * GIGD_USER (uid, gid and that account's groups only) before touching a request; under
 * systemd the unit's User= already did this and nothing happens here. The listening
 * socket is inherited, so the worker needs no right to it. */
static int drop_privileges(void)
{
    if (geteuid() != 0)
        return 0;
    const struct passwd *pw = getpwnam(cfg.user);
    if (!pw || pw->pw_uid == 0) {
        log_error("running as root: GIGD_USER '%s' is %s", cfg.user, pw ? "root itself" : "not an account");
        return -1;
    }
    if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0 ||
        setuid(0) == 0) {
        log_error("cannot become %s: %s", cfg.user, strerror(errno));
        return -1;
    }
    return 0;
}

/* At start, as root, the account must exist: better no service than workers as root. */
static int check_user(void)
{
    if (geteuid() != 0)
        return 0;
    const struct passwd *pw = getpwnam(cfg.user);
    if (pw && pw->pw_uid != 0)
        return 0;
    fprintf(stderr, "gigd: started as root, but GIGD_USER '%s' is %s (workers never run as root)\n", cfg.user,
            pw ? "root" : "not an account");
    return -1;
}

static int spawn(int idx)
{
    pid_t pid = fork();
    if (pid < 0) {
        log_error("fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        if (drop_privileges() < 0)
            _exit(1);
        worker_run(idx); /* never returns */
    }
    slots[idx].pid = pid;
    watchdog_killed[idx] = false;
    slots[idx].gen = generation;
    slots[idx].started = time(NULL);
    return 0;
}

static int live_workers(unsigned gen_only, bool current)
{
    int n = 0;
    for (int i = 0; i < SB_SLOTS; i++)
        if (slots[i].pid > 0 && (!current || slots[i].gen == gen_only))
            n++;
    return n;
}

/* Fills current-generation slots up to cfg.workers (the config caps it at MAX_WORKERS);
 * says so when it cannot, since a short pool otherwise goes unnoticed until load. */
static void fill_pool(void)
{
    long want = cfg.workers < MAX_WORKERS ? cfg.workers : MAX_WORKERS;
    int have = live_workers(generation, true);
    for (int i = 0; i < SB_SLOTS && have < want; i++) {
        if (slots[i].pid == 0) {
            if (spawn(i) < 0)
                break;
            have++;
        }
    }
    if (have < want)
        log_error("only %d of %ld workers running: cannot start more", have, want);
}

static void signal_workers(int sig, bool old_only)
{
    for (int i = 0; i < SB_SLOTS; i++)
        if (slots[i].pid > 0 && (!old_only || slots[i].gen != generation))
            kill(slots[i].pid, sig);
}

/* Records a crash; returns true when deaths come too fast (a crash storm). */
static bool note_crash(void)
{
    time_t now = time(NULL);
    deaths[death_idx] = now;
    death_idx = (death_idx + 1) % STORM_DEATHS;
    time_t oldest = deaths[death_idx];
    return oldest && now - oldest < STORM_WINDOW;
}

static void reap(void)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (int i = 0; i < SB_SLOTS; i++) {
            if (slots[i].pid != pid)
                continue;
            slots[i].pid = 0;
            sb_reaped(i);
            bool old = slots[i].gen != generation;
            if (watchdog_killed[i]) {
                /* logged when killed; a stuck request is not a crash storm */
                sb_restart(SB_RESTART_TIMEOUT);
            } else if (WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) != 0)) {
                sb_restart(SB_RESTART_CRASH);
                if (WIFSIGNALED(status))
                    log_warn("worker %d (pid %d) killed by signal %d", i, (int)pid, WTERMSIG(status));
                else
                    log_warn("worker %d (pid %d) exited with status %d", i, (int)pid, WEXITSTATUS(status));
                if (!old && !got_stop && note_crash()) {
                    backoff_s = backoff_s ? (backoff_s * 2 > 30 ? 30 : backoff_s * 2) : 1;
                    log_alert("crash storm: %d worker deaths in %ds, respawning in %ds", STORM_DEATHS,
                              STORM_WINDOW, backoff_s);
                }
            } else if (!old && !got_stop) {
                sb_restart(SB_RESTART_RECYCLE);
            }
        }
    }
}

/* config_load replaces cfg only as a whole: a refused reload leaves the running
 * configuration (and the one later respawns inherit) exactly as it was. */
static void reload(void)
{
    char err[512];
    if (config_load(err, sizeof err) < 0) {
        log_error("reload refused, keeping the running configuration: %s", err);
        return;
    }
    generation++;
    log_info("reloading: generation %u, %ld workers", generation, cfg.workers);
    /* New workers first, so the socket is never without a reader; then retire the old. */
    fill_pool();
    signal_workers(SIGQUIT, true);
}

static void shutdown_pool(void)
{
    log_info("stopping: asking %d workers to finish", live_workers(0, false));
    signal_workers(SIGQUIT, false);
    time_t deadline = time(NULL) + cfg.shutdown_timeout;
    while (live_workers(0, false) > 0 && time(NULL) < deadline) {
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
        reap();
    }
    if (live_workers(0, false) > 0) {
        log_warn("workers still busy after %lds: killing", cfg.shutdown_timeout);
        signal_workers(SIGKILL, false);
        while (live_workers(0, false) > 0) {
            struct timespec ts = {0, 10 * 1000 * 1000};
            nanosleep(&ts, NULL);
            reap();
        }
    }
}

/* Handlers only set flags; the signals stay blocked except inside ppoll (orig is the
 * mask to wait with), so no flag is missed between the check and the wait. */
static void install_signals(sigset_t *orig)
{
    static const int handled[] = {SIGHUP, SIGQUIT, SIGTERM, SIGINT, SIGCHLD};
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigset_t block;
    sigemptyset(&block);
    for (size_t i = 0; i < ARRAY_SIZE(handled); i++) {
        sigaction(handled[i], &sa, NULL);
        sigaddset(&block, handled[i]);
    }
    signal(SIGPIPE, SIG_IGN);
    sigprocmask(SIG_BLOCK, &block, orig);
}

/* Configuration, libraries (once, before fork, so every worker inherits them
 * initialised), the listening socket, the pidfile. Returns the exit status or -1. */
static int start_master(void)
{
    char err[512];
    if (config_load(err, sizeof err) < 0) {
        fprintf(stderr, "gigd: configuration error: %s\n", err);
        return 2;
    }
    if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
        fprintf(stderr, "gigd: library initialisation failed\n");
        return 1;
    }
    if (check_user() < 0 || open_listener() < 0)
        return 1;
    /* Before the first fork, so every worker shares it. */
    if (sb_map() < 0) {
        fprintf(stderr, "gigd: cannot map the scoreboard: %s\n", strerror(errno));
        return 1;
    }
    write_pidfile();
    return -1;
}

/* The watchdog's tick, and the master's figures on the scoreboard. */
static void watch(void)
{
    pid_t pids[SB_SLOTS];
    for (int i = 0; i < SB_SLOTS; i++)
        pids[i] = slots[i].pid;
    sb_watchdog(pids, watchdog_killed, cfg.slow_request, cfg.request_timeout);
    sb_master_set((long)generation, cfg.workers, live_workers(0, false));
}

/* The master's loop: reap, reload, respawn (after a crash storm's back-off) until stopped. */
static void serve_pool(const sigset_t *orig)
{
    log_info("gigd master starting %ld workers", cfg.workers);
    fill_pool();
    watch(); /* the board's pool figures from the start */
    time_t respawn_at = 0;
    while (!got_stop) {
        /* A quarter second: the watchdog's resolution. */
        struct timespec ts = {0, 250 * 1000 * 1000};
        ppoll(NULL, 0, &ts, orig);
        watch();
        if (got_chld) {
            got_chld = 0;
            reap();
            if (backoff_s && !respawn_at)
                respawn_at = time(NULL) + backoff_s;
        }
        if (got_hup) {
            got_hup = 0;
            reload();
        }
        if (got_stop)
            break;
        if (respawn_at && time(NULL) < respawn_at)
            continue;
        respawn_at = 0;
        /* A quiet minute forgives a past storm. */
        if (backoff_s && time(NULL) - deaths[(death_idx + STORM_DEATHS - 1) % STORM_DEATHS] > 60)
            backoff_s = 0;
        fill_pool();
    }
}

int main(void)
{
    int rc = start_master();
    if (rc >= 0)
        return rc;
    sigset_t orig;
    install_signals(&orig);
    serve_pool(&orig);
    shutdown_pool();
    if (cfg.pidfile && *cfg.pidfile)
        unlink(cfg.pidfile);
    log_info("gigd master stopped");
    return 0;
}
