/* reviews.c — one review per (gig, reviewer, reviewee), only between a gig's poster and
 * an applicant the poster accepted; the unique key makes "once" race-free. */
#include "reviews.h"
#include "config.h"
#include "db.h"
#include "ratelimit.h"
#include "market.h"
#include "validate.h"
#include "sql_reviews.h"
#include "trust.h"
#include <string.h>

enum { RF_GIG, RF_REVIEWEE, RF_RATING, RF_COMMENT, RF_N };

static const struct vfield review_fields[RF_N] = {
    [RF_GIG] = {.name = "gig_id", .type = V_UUID, .required = true},
    [RF_REVIEWEE] = {.name = "reviewee_id", .type = V_UUID, .required = true},
    [RF_RATING] = {.name = "rating", .type = V_INT, .required = true, .min = 1, .max = 5},
    [RF_COMMENT] = {.name = "comment", .type = V_STRING, .nullable = true, .max = 2000},
};

/* Who may review whom: the poster its accepted applicant, and back; column 2 (trust):
 * the two are a blocked pair (sql/018). */
STMT(st_review_allowed,
     "SELECT true, "
     "       EXISTS (SELECT 1 FROM applications a WHERE a.gig_id = g.id AND a.status = 'accepted'"
     "               AND ((g.poster_id = $2 AND a.applicant_id = $3) OR (a.applicant_id = $2 AND g.poster_id = $3))),"
     "       blocked_pair($2::uuid, $3::uuid)"
     " FROM gigs g WHERE g.id = $1 AND (g.status <> 'draft' OR g.poster_id = $2)");

/* R_NOTFOUND for a gig the caller cannot see, R_FORBIDDEN when the two did not work together. */
static enum result review_allowed(struct gctx *g, const char *gig_id, const char *reviewee_id)
{
    PGresult *r;
    enum result rc = DB_RUN(g, &r, &st_review_allowed, gig_id, g->user_id, reviewee_id);
    if (rc)
        return rc;
    if (PQntuples(r) != 1 || !db_bool(r, 0, 0))
        return gctx_fail(g, R_NOTFOUND, "Gig not found");
    if (db_bool(r, 0, 2))
        return gctx_fail(g, R_FORBIDDEN, TRUST_BLOCKED_MSG);
    if (!db_bool(r, 0, 1))
        return gctx_fail(g, R_FORBIDDEN, "Reviews are only between a gig's poster and its accepted applicant");
    return R_SUCCESS;
}

enum result reviews_create(struct gctx *g, const cJSON *body, const char **json)
{
    struct vvalue v[RF_N];
    enum result rc = validate(g, body, review_fields, v);
    if (rc)
        return rc;
    if (!strcmp(v[RF_REVIEWEE].s, g->user_id))
        return gctx_fail_field(g, "reviewee_id", "cannot be yourself");
    if ((rc = review_allowed(g, v[RF_GIG].s, v[RF_REVIEWEE].s)))
        return rc;
    /* A transaction, so the review_received notification is announced on commit. */
    if ((rc = db_begin(g)))
        return rc;
    if ((rc = ratelimit_quota(g, "review", g->user_id, cfg.quota_reviews, 86400)))
        return db_finish(g, rc);
    rc = DB_ONE(g, json, "Gig not found", &st_review_insert, v[RF_GIG].s, g->user_id, v[RF_REVIEWEE].s,
                v[RF_RATING].text, v[RF_COMMENT].text);
    if (rc == R_CONFLICT && db_violated(g, "reviews_once_key"))
        rc = gctx_fail(g, R_CONFLICT, "You have already reviewed this user for this gig");
    return db_finish(g, rc);
}

STMT(st_reviews_user,
     "SELECT coalesce(json_agg(review_json(r, p) ORDER BY r.created_at DESC, r.id DESC), '[]'),"
     "       EXISTS (SELECT 1 FROM users WHERE id = $1)"
     " FROM reviews r LEFT JOIN profiles p ON p.id = r.reviewer_id"
     " WHERE r.reviewee_id = $1 AND r.hidden_at IS NULL"); /* trust: taken-down reviews hidden */

enum result reviews_for_user(struct gctx *g, const char *user_id, const char **json)
{
    if (!market_id(user_id))
        return gctx_fail(g, R_NOTFOUND, "User not found");
    PGresult *r;
    enum result rc = DB_RUN_READ(g, &r, &st_reviews_user, user_id);
    if (rc)
        return rc;
    if (!db_bool(r, 0, 1))
        return gctx_fail(g, R_NOTFOUND, "User not found");
    *json = db_val(r, 0, 0);
    return R_SUCCESS;
}

STMT(st_reviews_rating, "SELECT user_rating_json(id) FROM users WHERE id = $1");

enum result reviews_rating(struct gctx *g, const char *user_id, const char **json)
{
    if (!market_id(user_id))
        return gctx_fail(g, R_NOTFOUND, "User not found");
    return DB_ONE_READ(g, json, "User not found", &st_reviews_rating, user_id);
}
