/* market.h — helpers shared by the marketplace modules (gigs, applications, reviews,
 * notifications, profiles): query-string paging and number parsing, list envelopes. */
#ifndef GIGD_MARKET_H
#define GIGD_MARKET_H
#include <stdbool.h>
#include "gctx.h"

#define MARKET_LIMIT_DEFAULT 20
#define MARKET_LIMIT_MAX 100
/* Offsets are bounded: page × limit ≤ MARKET_OFFSET_MAX (deeper: a cursor, where the
 * list has one), so no request makes PostgreSQL skip more rows than this. */
#define MARKET_OFFSET_MAX 10000
#define MARKET_PAGE_MAX MARKET_OFFSET_MAX

struct paging {
    long page, limit;
    const char *limit_s, *offset_s;   /* SQL parameters, in g's arena */
};

/* Parses ?page= and ?limit= (NULL = default). On a bad value, or page × limit over
 * MARKET_OFFSET_MAX, records a field error named "page" or "limit" on g and returns
 * false; the caller reports R_INVALID. */
enum result market_paging(struct gctx *g, const char *page, const char *limit, struct paging *out);
/* Paging of the lists that were once unbounded (own gigs, saved gigs, own applications,
 * upcoming calls): they stay a JSON array (existing clients), now at most ?limit= rows
 * (default and max 100) from ?page=, page × limit ≤ 10,000. False (field errors on g)
 * on a bad value. */
enum result market_array_paging(struct gctx *g, const char *page, const char *limit, struct paging *out);
/* {"data":<data>,"total":N,"page":P,"limit":L,"hasMore":bool} in g's arena. */
const char *market_paginated(struct gctx *g, const struct paging *p, const char *data, long long total);
/* One page of an owner's rows: st takes ($1 owner, $2 limit, $3 offset) and answers one
 * row (total, page as a JSON array); *json is the paginated envelope. */
struct stmt;
enum result market_owned_page(struct gctx *g, struct stmt *st, const char *owner, const char *page,
                              const char *limit, const char **json);
/* A non-negative money amount in major units with ≤ 2 decimals → minor units text;
 * NULL (and a field error) when invalid. */
const char *market_money_param(struct gctx *g, const char *field, const char *s, long long *minor);
/* "true"/"false"/"1"/"0" → *out; false on anything else. */
bool market_bool_param(const char *s, bool *out);
/* An id from the path: a UUID, or NULL (callers answer 404 for malformed ids). */
const char *market_id(const char *s);

#endif
