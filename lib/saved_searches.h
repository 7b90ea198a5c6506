/* saved_searches.h — the caller's saved GigFilters sets (GET /api/gigs's filters), which
 * raise gig_alert notifications when a matching gig becomes active (sql/019's trigger). */
#ifndef GIGD_SAVED_SEARCHES_H
#define GIGD_SAVED_SEARCHES_H
#include "gctx.h"

/* At most this many saved searches per user (a further one is R_CONFLICT). */
#define SAVED_SEARCHES_MAX 20

/* {name?, filters: GigFilters} (or the filters at the top level) → the saved search.
 * The filters are checked by gigs_filters_parse, each bad one named as "filters.X";
 * at least one is required. *json lives in g's arena. */
enum result saved_searches_create(struct gctx *g, const cJSON *body, const char **json);
/* The caller's saved searches, newest first, as a PaginatedResult. */
enum result saved_searches_list(struct gctx *g, const char *page, const char *limit, const char **json);
/* Deletes one of the caller's; anyone else's (or an unknown id) is R_NOTFOUND. */
enum result saved_searches_delete(struct gctx *g, const char *id);
/* Cron job alert-digests: one gig_alert with digest_count for each saved search that
 * held matches back and was last alerted over GIGD_ALERT_MIN_INTERVAL ago. {"digests":N}. */
enum result saved_searches_cron_digests(struct gctx *g, const char **json);

#endif
