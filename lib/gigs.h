/* gigs.h — the gig module, in three files: lifecycle (gigs.c: create with the free
 * plan's monthly quota, read (counts a view), edit, delete, status transitions, the
 * caller's gigs, bookmarks, usage), search (gigs_search.c) and recommendations
 * (gigs_recommend.c). Every returned *json is JSON text in g's arena. */
#ifndef GIGD_GIGS_H
#define GIGD_GIGS_H
#include <stdbool.h>
#include <cjson/cJSON.h>
#include "gctx.h"

/* Raw query-string values of GET /api/gigs (NULL = absent). */
struct gig_query {
    const char *search, *category, *skills, *ai_tools, *budget_min, *budget_max, *location_type,
        *posted_within, *sort, *page, *limit, *cursor;
};

/* ---- lifecycle (gigs.c) ---- */

/* GigInput → the Gig (201); status "active" (the default) takes a quota unit (R_LIMIT
 * when the free plan's month is used up). */
enum result gigs_create(struct gctx *g, const cJSON *body, const char **json);
/* gigs_create for an organization's job (org and category NULL: a personal gig): the
 * quota unit is the organization owner's; category must be one of org's (else R_INVALID
 * naming category_id). The caller has checked the membership. */
enum result gigs_create_in(struct gctx *g, const cJSON *body, const char *org, const char *category,
                           const char **json);
/* A gig with poster; drafts only for their poster (else R_NOTFOUND). Notes a view by
 * viewer (an account or address key; the poster's own reads do not count) for the
 * worker's next flush: the read itself writes nothing. */
enum result gigs_get(struct gctx *g, const char *id, const char *viewer, const char **json);
/* Partial GigInput by the poster → the updated Gig; others' gigs are R_NOTFOUND. */
enum result gigs_update(struct gctx *g, const char *id, const cJSON *body, const char **json);
/* gigs_update that also sets category_id (NULL: none) when set_category. Poster-only
 * checks read "the gig's manager": its poster, or any member for an organization's job. */
enum result gigs_update_in(struct gctx *g, const char *id, const cJSON *body, bool set_category,
                           const char *category, const char **json);
/* Deletes one of the caller's gigs; others' gigs are R_NOTFOUND. */
enum result gigs_delete(struct gctx *g, const char *id);
/* {status}: legal transitions only; → active takes a quota unit; → filled/closed rejects
 * undecided applications and notifies each applicant. */
enum result gigs_set_status(struct gctx *g, const char *id, const cJSON *body, const char **json);
/* PaginatedResult of the caller's gigs, every status, newest first. */
enum result gigs_mine(struct gctx *g, const char *page, const char *limit, const char **json);
/* Bookmarks (save = true) or un-bookmarks a gig the caller may see; idempotent. */
enum result gigs_save(struct gctx *g, const char *id, bool save);
/* PaginatedResult of the caller's bookmarked gigs, most recently saved first. */
enum result gigs_saved(struct gctx *g, const char *page, const char *limit, const char **json);
/* {posts_used, posts_limit, can_post} */
enum result gigs_usage(struct gctx *g, const char **json);

/* The accepted location_type values, NULL-terminated (GigInput and the search filter). */
extern const char *const gigs_location_types[];

/* ---- view counting (gigs_views.c) ---- */

/* Views wait at most this long in a worker before they are flushed. */
#define GIGS_VIEWS_FLUSH_MS 1000
/* Buffers one view of gig_id by viewer (copied; repeats in the buffer are merged). Never
 * writes: false when the view was dropped (bad id, no viewer, buffer full). */
bool gigs_views_note(const char *gig_id, const char *viewer);
/* Milliseconds until the buffered views are due (0: now, or the buffer is full), -1 when
 * none are buffered. The worker loop flushes when this is 0, between requests. */
int gigs_views_due_ms(void);
/* Writes the buffered views in one statement and empties the buffer (a failed batch is
 * logged and dropped). Only outside a request (fcgi/worker.c). */
enum result gigs_views_flush(struct gctx *g);

/* ---- search (gigs_search.c) ---- */

/* Paginated active gigs matching q; bad parameters are R_INVALID naming each. */
enum result gigs_search(struct gctx *g, const struct gig_query *q, const char **json);
/* The filters of a GigFilters set (not page, limit, cursor) checked exactly as
 * gigs_search checks them, in the form its SQL binds them: NULL where absent, skills and
 * ai_tools as text[] literals, budgets in minor units, posted_within as an interval.
 * Saved searches store this (lib/saved_searches.c). Strings live in g's arena; a bad
 * value is R_INVALID with every offending field named on g. */
struct gig_filters {
    const char *search, *category, *skills, *ai_tools, *budget_min, *budget_max, *location_type,
        *posted_within, *sort;
};
enum result gigs_filters_parse(struct gctx *g, const struct gig_query *q, struct gig_filters *out);
/* Session settings the search and recommendation plans need (work_mem, custom plans),
 * applied once per database connection. */
enum result gigs_plan_settings(struct gctx *g);

/* ---- recommendations (gigs_recommend.c) ---- */

/* Paginated active gigs ranked for the caller (with match_score). */
enum result gigs_recommended(struct gctx *g, const char *page, const char *limit, const char **json);

#endif
