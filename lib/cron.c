/* cron.c — the job table. Jobs take a transaction-scoped advisory lock named after
 * themselves so a second concurrent run returns at once instead of doubling work. */
#include "cron.h"
#include "db.h"
#include "log.h"
#include <string.h>

typedef enum result (*job_fn)(struct gctx *g, const char **json);

STMT(st_cron_cleanup,
     "WITH s AS (DELETE FROM sessions WHERE expires_at < now() - interval '1 day'"
     "           OR revoked_at < now() - interval '1 day' RETURNING 1),"
     " p AS (DELETE FROM password_resets WHERE expires_at < now() - interval '1 day' RETURNING 1),"
     " m AS (DELETE FROM mail_outbox WHERE sent_at < now() - interval '14 days' RETURNING 1)"
     " SELECT json_build_object('sessions', (SELECT count(*) FROM s), 'password_resets', (SELECT count(*) FROM p),"
     " 'mail_outbox', (SELECT count(*) FROM m))");

static enum result job_cleanup(struct gctx *g, const char **json)
{
    PGresult *r = DBQ0(g, &st_cron_cleanup);
    if (!r)
        return g->res;
    *json = db_val(r, 0, 0);
    return R_SUCCESS;
}

static const struct {
    const char *name;
    job_fn fn;
} jobs[] = {
    {"cleanup", job_cleanup},
};

const char *const cron_jobs[] = {"cleanup", NULL};

STMT(st_cron_lock, "SELECT pg_try_advisory_xact_lock(hashtext('gigd-cron:' || $1))");

enum result cron_run(struct gctx *g, const char *name, const char **json)
{
    for (size_t i = 0; i < sizeof jobs / sizeof jobs[0]; i++) {
        if (strcmp(jobs[i].name, name) != 0)
            continue;
        if (db_begin(g) != R_SUCCESS)
            return g->res;
        PGresult *r = DBQ(g, &st_cron_lock, name);
        if (!r)
            return g->res;
        if (!db_bool(r, 0, 0)) {
            db_rollback(g);
            *json = "{\"skipped\":\"already running\"}";
            return R_SUCCESS;
        }
        if (jobs[i].fn(g, json) != R_SUCCESS)
            return g->res;
        if (db_commit(g) != R_SUCCESS)
            return g->res;
        log_info("cron %s: %s", name, *json);
        return R_SUCCESS;
    }
    return fail(g, R_NOTFOUND, "Unknown cron job");
}
