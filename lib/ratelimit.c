/* ratelimit.c — one statement per check (gigd_rate_hit, sql/010_security.sql): an upsert
 * of the counter that answers the Retry-After in the same round trip. */
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
    if (!wait || atol(wait) <= 0)
        return R_SUCCESS;
    g->retry_after = arena_strdup(g->a, wait); /* outlives the result (a rollback may clear it) */
    return gctx_fail(g, R_RATELIMITED, message);
}

enum result ratelimit_quota(struct gctx *g, const char *kind, const char *id, long max, long window)
{
    return ratelimit_hit(g, arena_sprintf(g->a, "%s:%s", kind, id), 1, max, window,
                         "Too many requests: limit reached, try again later");
}
