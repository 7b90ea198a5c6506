/* applications.h — applying to gigs, withdrawing, and the poster's decisions. "The poster"
 * of an organization's job is any member of the organization (sql/008 gig_manager). */
#ifndef GIGD_APPLICATIONS_H
#define GIGD_APPLICATIONS_H
#include <cjson/cJSON.h>
#include "gctx.h"

/* ApplicationInput → the Application (201). Own gig R_FORBIDDEN, twice R_CONFLICT, gig not
 * active R_INVALID, unknown/draft gig R_NOTFOUND. Keeps gig_stats.applications_count exact and
 * notifies the poster (new_application) in the same transaction. */
enum result applications_create(struct gctx *g, const cJSON *body, const char **json);
/* The applicant withdraws (pending/reviewing/shortlisted); others' ids are R_NOTFOUND. */
enum result applications_withdraw(struct gctx *g, const char *id, const char **json);
/* PaginatedResult of the caller's applications with `gig`, newest first; status filter optional. */
enum result applications_mine(struct gctx *g, const char *status, const char *page, const char *limit,
                              const char **json);
/* ApplicationWithApplicant[] of a gig the caller posted. */
enum result applications_for_gig(struct gctx *g, const char *gig_id, const char *status, const char **json);
/* {status} by the gig's poster; notifies the applicant (application_status). */
enum result applications_set_status(struct gctx *g, const char *id, const cJSON *body, const char **json);
/* {ids, status}: all or nothing; any id not on the caller's gigs → R_NOTFOUND, nothing changes. */
enum result applications_bulk_status(struct gctx *g, const cJSON *body, const char **json);

#endif
