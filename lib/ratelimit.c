/* ratelimit.c — one statement per check (gigd_rate_hit, sql/010_security.sql): an upsert
 * of the counter that answers the Retry-After in the same round trip. A hot write path
 * may call gigd_rate_hit inside its own statement instead (ratelimit_quota_key for the
 * key, ratelimit_answer for its answer) to save that round trip. */
#include "ratelimit.h"
#include "db.h"
#include <stdlib.h>

STMT(st_ratelimit_hit, "SELECT gigd_rate_hit($1, $2::int, $3::bigint, $4::int)");

enum result ratelimit_hit(struct gctx *g, const char *key, long cost, long max, long window, const char *message)
{
    if (max <= 0)
        return R_SUCCESS;
    const char *wait;
    enum result rc = DB_ONE(g, &wait, NULL, &st_ratelimit_hit, key, arena_sprintf(g->a, "%ld", cost),
                            arena_sprintf(g->a, "%ld", max), arena_sprintf(g->a, "%ld", window));
    if (rc)
        return rc;
    return ratelimit_answer(g, wait, message);
}

enum result ratelimit_answer(struct gctx *g, const char *wait, const char *message)
{
    if (!wait || atol(wait) <= 0)
        return R_SUCCESS;
    g->retry_after = arena_strdup(g->a, wait); /* outlives the result (a rollback may clear it) */
    return gctx_fail(g, R_RATELIMITED, message);
}

const char *ratelimit_quota_key(struct gctx *g, const char *kind, const char *id)
{
    return arena_sprintf(g->a, "%s:%s", kind, id);
}

enum result ratelimit_quota(struct gctx *g, const char *kind, const char *id, long max, long window)
{
    return ratelimit_hit(g, ratelimit_quota_key(g, kind, id), 1, max, window, RATELIMIT_QUOTA_MSG);
}
