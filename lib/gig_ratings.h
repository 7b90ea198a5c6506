/* gig_ratings.h — ratings between the parties of a completed urgent-gig project (seed 003
 * section 3.3). A rating stays hidden from the other party and the public until both have
 * rated; visible ratings feed the matching score (view user_ratings). */
#ifndef GIGD_GIG_RATINGS_H
#define GIGD_GIG_RATINGS_H
#include "gctx.h"

/* POST /api/gig-ratings (once per rater and project: 409). */
enum result gig_ratings_create(struct gctx *g, const cJSON *body);
/* GET /api/gig-ratings/project/:id (parties only). */
enum result gig_ratings_project(struct gctx *g, const char *project_id, const char **json);
/* GET /api/gig-ratings/user/:id?page&limit (public). */
enum result gig_ratings_user(struct gctx *g, const char *user_id, const char *page, const char *limit,
                             const char **json);

#endif
