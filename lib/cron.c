/* cron.c — the job table. Jobs take an advisory lock named after themselves so a second
 * concurrent run returns at once instead of doubling work. Most jobs run in one
 * transaction holding a transaction-scoped lock; jobs that call Stripe (OWN_TX) must not
 * hold a transaction across the call: they hold a session lock and open their own. */
#include "cron.h"
#include "account.h"
#include "calls.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "escrow.h"
#include "matching.h"
#include "urgent_jobs.h"
#include "util.h"
#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef enum result (*job_fn)(struct gctx *g, const char **json);

STMT(st_cron_cleanup,
     "WITH s AS (DELETE FROM sessions WHERE expires_at < now() - interval '1 day'"
     "           OR revoked_at < now() - interval '1 day' RETURNING 1),"
     " p AS (DELETE FROM password_resets WHERE expires_at < now() - interval '1 day' RETURNING 1),"
     " m AS (DELETE FROM mail_outbox WHERE sent_at < now() - interval '14 days' RETURNING 1)"
     " SELECT json_build_object('sessions', (SELECT count(*) FROM s), 'password_resets', (SELECT count(*) FROM p),"
     " 'mail_outbox', (SELECT count(*) FROM m))");

/* Messaging leftovers: attachments uploaded but never sent (older than
 * GIGD_ORPHAN_UPLOAD_TTL, file removed too), push outbox rows that reached a final state
 * 30 days ago, and rate-limit counters whose window (a day at most) is long over. */
STMT(st_cron_cleanup_messaging,
     "WITH a AS (DELETE FROM attachments WHERE message_id IS NULL"
     "           AND created_at < now() - make_interval(secs => $1::int) RETURNING storage_key),"
     " l AS (DELETE FROM rate_limits WHERE window_start < now() - interval '2 days'),"
     " p AS (DELETE FROM push_outbox WHERE status IN ('delivered', 'failed', 'cancelled')"
     "       AND updated_at < now() - interval '30 days' RETURNING 1)"
     " SELECT (SELECT count(*) FROM p), a.storage_key FROM (SELECT NULL::text AS storage_key UNION ALL"
     "        SELECT storage_key FROM a) a");

static enum result cleanup_messaging(struct gctx *g, const char **json)
{
    PGresult *r;
    enum result rc = DB_RUN(g, &r, &st_cron_cleanup_messaging, arena_sprintf(g->a, "%ld", cfg.orphan_upload_ttl));
    if (rc)
        return rc;
    int files = 0;
    for (int i = 0; i < PQntuples(r); i++) {
        const char *key = db_val(r, i, 1);
        if (!key)
            continue;
        files++;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", cfg.private_dir, key);
        if (unlink(path) != 0)
            log_warn("cron cleanup: cannot remove %s", path);
    }
    /* Splice the two counts into the summary object built by the core statement. */
    size_t n = strlen(*json);
    *json = arena_sprintf(g->a, "%.*s,\"attachments\":%d,\"push_outbox\":%s}", (int)(n - 1), *json, files,
                          db_val(r, 0, 0));
    return R_SUCCESS;
}

static enum result job_cleanup(struct gctx *g, const char **json)
{
    enum result rc = DB_ONE0(g, json, "No cleanup summary", &st_cron_cleanup);
    if (rc)
        return rc;
    return cleanup_messaging(g, json);
}

static enum result job_call_reminders(struct gctx *g, const char **json)
{
    return calls_remind(g, json);
}

#define OWN_TX true

static const struct {
    const char *name;
    job_fn fn;
    bool own_tx;
} jobs[] = {
    {"cleanup", job_cleanup, false},
    {"call-reminders", job_call_reminders, false},
    /* accounts deleted longer ago than GIGD_ACCOUNT_GRACE_DAYS, anonymised (lib/account.c) */
    {"account-erase", account_erase_cron, false},
    /* urgent gigs (seed 003 section 5). Each also answers to "urgent-gigs-NAME", the name
     * a systemd instance can carry (%i cannot hold a '/'). match: the next wave of offers
     * (lib/matching.c); capture-held: the 6-day capture of holds about to lapse. */
    {"urgent-gigs/match", matching_cron, false},
    {"urgent-gigs/expire", escrow_cron_expire, OWN_TX},
    {"urgent-gigs/reminders", urgent_jobs_reminders, false},
    {"urgent-gigs/clean-location", urgent_jobs_clean_location, false},
    {"urgent-gigs/auto-release", escrow_cron_auto_release, OWN_TX},
    {"urgent-gigs/completion-reminders", urgent_jobs_completion_reminders, false},
    {"urgent-gigs/capture-held", escrow_cron_capture_held, OWN_TX},
};

STMT(st_cron_lock, "SELECT pg_try_advisory_xact_lock(hashtext('gigd-cron:' || $1))");

/* One job in its own transaction, unless another run of it holds the lock. */
static enum result run_job(struct gctx *g, const char *name, job_fn fn, const char **json)
{
    enum result rc = db_begin(g);
    if (rc)
        return rc;
    PGresult *r;
    if ((rc = DB_RUN(g, &r, &st_cron_lock, name)))
        return rc;
    if (!db_bool(r, 0, 0)) {
        db_rollback(g);
        *json = "{\"skipped\":\"already running\"}";
        return R_SUCCESS;
    }
    if ((rc = fn(g, json)) || (rc = db_commit(g)))
        return rc;
    log_info("cron %s: %s", name, *json);
    return R_SUCCESS;
}

STMT(st_cron_session_lock, "SELECT pg_try_advisory_lock(hashtext('gigd-cron:' || $1))");
STMT(st_cron_session_unlock, "SELECT pg_advisory_unlock(hashtext('gigd-cron:' || $1))");

/* One job that opens its own transactions, under a session lock (released when it ends,
 * or when the connection drops). */
static enum result run_job_own_tx(struct gctx *g, const char *name, job_fn fn, const char **json)
{
    PGresult *r;
    enum result rc = DB_RUN(g, &r, &st_cron_session_lock, name);
    if (rc)
        return rc;
    if (!db_bool(r, 0, 0)) {
        *json = "{\"skipped\":\"already running\"}";
        return R_SUCCESS;
    }
    rc = fn(g, json);
    const char *err = g->err;
    if (DB_RUN(g, &r, &st_cron_session_unlock, name))
        log_warn("cron %s: could not release its lock", name);
    if (rc)
        return gctx_fail(g, rc, err);
    g->res = R_SUCCESS;
    log_info("cron %s: %s", name, *json);
    return R_SUCCESS;
}

enum result cron_run(struct gctx *g, const char *name, const char **json)
{
    /* "urgent-gigs-x" is "urgent-gigs/x" */
    if (!strncmp(name, "urgent-gigs-", 12))
        name = arena_sprintf(g->a, "urgent-gigs/%s", name + 12);
    for (size_t i = 0; i < ARRAY_SIZE(jobs); i++)
        if (!strcmp(jobs[i].name, name))
            return jobs[i].own_tx ? run_job_own_tx(g, jobs[i].name, jobs[i].fn, json)
                                  : run_job(g, jobs[i].name, jobs[i].fn, json);
    return gctx_fail(g, R_NOTFOUND, "Unknown cron job");
}
