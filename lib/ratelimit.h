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

/* The quota refusal's message. */
#define RATELIMIT_QUOTA_MSG "Too many requests: limit reached, try again later"

/* For a write that hits its quota inside its own statement (`gigd_rate_hit($key, 1,
 * $max, $window)`, skipped when max <= 0): the counter's key for kind and id, and the
 * request's answer from the statement's Retry-After column wait (NULL or <= 0: within
 * the limit; else R_RATELIMITED with g->retry_after, like ratelimit_hit). */
const char *ratelimit_quota_key(struct gctx *g, const char *kind, const char *id);
enum result ratelimit_answer(struct gctx *g, const char *wait, const char *message);

#endif
