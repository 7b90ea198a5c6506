/* ratelimit.h — throttles and quotas: fixed-window counters kept in PostgreSQL, so
 * every worker on every host shares them. */
#ifndef GIGD_RATELIMIT_H
#define GIGD_RATELIMIT_H
#include "gctx.h"

/* Counts cost against the counter named key (kind ":" id, e.g. "msg:<user id>"), at most
 * max per window seconds. R_SUCCESS when within the limit; otherwise R_RATELIMITED with
 * g->retry_after set (the seconds until the window ends) and message as the error.
 * Outside a transaction the hit is committed at once (throttles: a refused password check
 * must still count); inside one it goes with the transaction (quotas: a rolled-back create
 * costs nothing). max <= 0 disables the limit. */
enum result ratelimit_hit(struct gctx *g, const char *key, long cost, long max, long window, const char *message);

/* ratelimit_hit with cost 1 and the key built from kind and id ("kind:id"). */
enum result ratelimit_quota(struct gctx *g, const char *kind, const char *id, long max, long window);

#endif
