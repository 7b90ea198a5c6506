/* reviews.c — one review per (gig, reviewer, reviewee), only between a gig's poster and
 * an applicant the poster accepted; the unique key makes "once" race-free. */
#include "reviews.h"
#include "db.h"
#include "market.h"
#include "validate.h"
#include <string.h>

static const struct vfield review_fields[] = {
    {.name = "gig_id", .type = V_UUID, .required = true},
    {.name = "reviewee_id", .type = V_UUID, .required = true},
    {.name = "rating", .type = V_INT, .required = true, .min = 1, .max = 5},
    {.name = "comment", .type = V_STRING, .nullable = true, .max = 2000},
};

/* Who may review whom: the poster its accepted applicant, and back. */
STMT(st_review_allowed,
     "SELECT true,"
     "       EXISTS (SELECT 1 FROM applications a WHERE a.gig_id = g.id AND a.status = 'accepted'"
     "               AND ((g.poster_id = $2 AND a.applicant_id = $3) OR (a.applicant_id = $2 AND g.poster_id = $3)))"
     " FROM gigs g WHERE g.id = $1 AND (g.status <> 'draft' OR g.poster_id = $2)");

STMT(st_review_insert,
     "WITH r AS (INSERT INTO reviews (gig_id, reviewer_id, reviewee_id, rating, comment)"
     "           VALUES ($1, $2, $3, $4::int, $5) RETURNING *),"
     " n AS (SELECT notify(r.reviewee_id, 'review_received', 'New review',"
     "              p.username || ' left you a ' || r.rating || '-star review',"
     "              jsonb_build_object('review_id', r.id, 'gig_id', r.gig_id, 'rating', r.rating)) AS nid"
     "       FROM r JOIN profiles p ON p.id = r.reviewer_id)"
     " SELECT review_json(ROW(r.*)::reviews, p), (SELECT count(nid) FROM n)"
     " FROM r JOIN profiles p ON p.id = r.reviewer_id");

enum result reviews_create(struct gctx *g, const cJSON *body, const char **json)
{
    struct vvalue v[4];
    if (validate(g, body, review_fields, v) != R_SUCCESS)
        return g->res;
    if (!strcmp(v[1].s, g->user_id))
        return gctx_fail_field(g, "reviewee_id", "cannot be yourself");
    PGresult *r = DBQ(g, &st_review_allowed, v[0].s, g->user_id, v[1].s);
    if (!r)
        return g->res;
    if (PQntuples(r) != 1 || !db_bool(r, 0, 0))
        return gctx_fail(g, R_NOTFOUND, "Gig not found");
    if (!db_bool(r, 0, 1))
        return gctx_fail(g, R_FORBIDDEN, "Reviews are only between a gig's poster and its accepted applicant");
    /* A transaction, so the review_received notification is announced on commit. */
    if (db_begin(g) != R_SUCCESS)
        return g->res;
    r = DBQ(g, &st_review_insert, v[0].s, g->user_id, v[1].s, v[2].text, v[3].text);
    if (!r) {
        if (g->res == R_CONFLICT)
            return gctx_fail(g, R_CONFLICT, "You have already reviewed this user for this gig");
        return g->res;
    }
    *json = db_val(r, 0, 0);
    return db_commit(g);
}

STMT(st_reviews_user,
     "SELECT coalesce(json_agg(review_json(r, p) ORDER BY r.created_at DESC, r.id DESC), '[]'),"
     "       EXISTS (SELECT 1 FROM users WHERE id = $1)"
     " FROM reviews r LEFT JOIN profiles p ON p.id = r.reviewer_id WHERE r.reviewee_id = $1");

enum result reviews_for_user(struct gctx *g, const char *user_id, const char **json)
{
    if (!market_id(user_id))
        return gctx_fail(g, R_NOTFOUND, "User not found");
    PGresult *r = DBQ(g, &st_reviews_user, user_id);
    if (!r)
        return g->res;
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
    PGresult *r = DBQ(g, &st_reviews_rating, user_id);
    if (!r)
        return g->res;
    if (PQntuples(r) != 1)
        return gctx_fail(g, R_NOTFOUND, "User not found");
    *json = db_val(r, 0, 0);
    return R_SUCCESS;
}
