/* reviews.h — reviews between a gig's poster and its accepted applicant, and ratings. */
#ifndef GIGD_REVIEWS_H
#define GIGD_REVIEWS_H
#include <cjson/cJSON.h>
#include "gctx.h"

/* ReviewInput {gig_id, reviewee_id, rating 1..5, comment?} → the Review (201).
 * R_NOTFOUND unknown gig, R_FORBIDDEN not poster↔accepted applicant, R_CONFLICT twice.
 * Notifies the reviewee (review_received) in the same transaction. */
enum result reviews_create(struct gctx *g, const cJSON *body, const char **json);
/* PaginatedResult of Review with reviewer, newest first (page/limit raw or NULL). */
enum result reviews_for_user(struct gctx *g, const char *user_id, const char *page, const char *limit,
                             const char **json);
/* {average, count} */
enum result reviews_rating(struct gctx *g, const char *user_id, const char **json);

#endif
