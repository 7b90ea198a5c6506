/* org_jobs.h — what an organization hires with: job categories, jobs (gigs owned by
 * the organization, managed by any member through the marketplace's own gig code), the
 * applicants of a job, and the public job board. */
#ifndef GIGD_ORG_JOBS_H
#define GIGD_ORG_JOBS_H
#include <cjson/cJSON.h>
#include "gctx.h"

/* Paginated categories (member), each with jobs_count. */
enum result org_jobs_categories(struct gctx *g, const char *org, const char *page, const char *limit,
                                const char **json);
/* {name} (admin+) → 201 category; a name taken in the organization (any case) R_CONFLICT. */
enum result org_jobs_category_create(struct gctx *g, const char *org, const cJSON *body, const char **json);
/* {name} renames (admin+). */
enum result org_jobs_category_rename(struct gctx *g, const char *org, const char *id, const cJSON *body,
                                     const char **json);
/* Deletes (admin+); its jobs stay, uncategorised. */
enum result org_jobs_category_delete(struct gctx *g, const char *org, const char *id);

/* Paginated jobs of every status (member); ?status= and ?category_id= filter. */
enum result org_jobs_list(struct gctx *g, const char *org, const char *status, const char *category,
                          const char *page, const char *limit, const char **json);
/* GigInput + category_id? (member) → 201 Gig with the organization embedded; the quota
 * unit is the owner's (R_LIMIT when the owner's free plan is used up). */
enum result org_jobs_create(struct gctx *g, const char *org, const cJSON *body, const char **json);
/* One job of the organization, any status (member). */
enum result org_jobs_get(struct gctx *g, const char *org, const char *job, const char **json);
/* Partial GigInput + category_id (member). */
enum result org_jobs_update(struct gctx *g, const char *org, const char *job, const cJSON *body,
                            const char **json);
/* {status} with the marketplace's transitions (member). */
enum result org_jobs_set_status(struct gctx *g, const char *org, const char *job, const cJSON *body,
                                const char **json);
/* The job's applications with each applicant's public profile; ?status= filters (member). */
enum result org_jobs_applicants(struct gctx *g, const char *org, const char *job, const char *status,
                                const char **json);
/* Public: {organization: public profile, jobs: paginated active jobs}; no members,
 * emails or drafts. Unknown or deleted slug R_NOTFOUND. */
enum result org_jobs_board(struct gctx *g, const char *slug, const char *page, const char *limit,
                           const char **json);

#endif
