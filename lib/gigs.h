/* gigs.h — gigs: create (with the free plan's monthly quota), read (counts a view),
 * edit, delete, status transitions, search, bookmarks, usage, recommendations. */
#ifndef GIGD_GIGS_H
#define GIGD_GIGS_H
#include <cjson/cJSON.h>
#include "gctx.h"

/* Raw query-string values of GET /api/gigs (NULL = absent). */
struct gig_query {
    const char *search, *category, *skills, *ai_tools, *budget_min, *budget_max, *location_type,
        *posted_within, *sort, *page, *limit;
};

/* Every returned *json is JSON text in g's arena. */
enum result gigs_create(struct gctx *g, const cJSON *body, const char **json);
/* A gig with poster; drafts only for their poster (else R_NOTFOUND); counts a view. */
enum result gigs_get(struct gctx *g, const char *id, const char **json);
enum result gigs_update(struct gctx *g, const char *id, const cJSON *body, const char **json);
enum result gigs_delete(struct gctx *g, const char *id);
/* {status}: legal transitions only; → active takes a quota unit; → filled/closed rejects
 * undecided applications and notifies each applicant. */
enum result gigs_set_status(struct gctx *g, const char *id, const cJSON *body, const char **json);
enum result gigs_mine(struct gctx *g, const char **json);
/* Paginated active gigs matching q; bad parameters are R_INVALID naming each. */
enum result gigs_search(struct gctx *g, const struct gig_query *q, const char **json);
enum result gigs_save(struct gctx *g, const char *id, bool save);
enum result gigs_saved(struct gctx *g, const char **json);
/* {posts_used, posts_limit, can_post} */
enum result gigs_usage(struct gctx *g, const char **json);
/* Paginated active gigs ranked for the caller. */
enum result gigs_recommended(struct gctx *g, const char *page, const char *limit, const char **json);

#endif
