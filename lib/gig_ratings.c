/* gig_ratings.c — urgent-gig ratings (gig_ratings.h). */
#include "gig_ratings.h"
#include "db.h"
#include "market.h"
#include "util.h"
#include "validate.h"
#include "sql_gig_ratings.h"
#include <string.h>

enum { RF_PROJECT, RF_RATEE, RF_OVERALL, RF_PROF, RF_PUNCT, RF_QUALITY, RF_PAYMENT, RF_TEXT, RF_COUNT };

static const struct vfield rating_fields[RF_COUNT] = {
    [RF_PROJECT] = {.name = "project_id", .type = V_UUID, .required = true},
    [RF_RATEE] = {.name = "ratee_id", .type = V_UUID, .required = true},
    [RF_OVERALL] = {.name = "overall_rating", .type = V_INT, .required = true, .min = 1, .max = 5},
    [RF_PROF] = {.name = "professionalism_rating", .type = V_INT, .required = true, .min = 1, .max = 5},
    [RF_PUNCT] = {.name = "punctuality_rating", .type = V_INT, .required = true, .min = 1, .max = 5},
    [RF_QUALITY] = {.name = "quality_rating", .type = V_INT, .nullable = true, .min = 1, .max = 5},
    [RF_PAYMENT] = {.name = "payment_promptness_rating", .type = V_INT, .nullable = true, .min = 1, .max = 5},
    [RF_TEXT] = {.name = "review_text", .type = V_STRING, .nullable = true, .max = 1000},
};

STMT(st_grat_why,
     "SELECT p.status, CASE WHEN $2::uuid = p.requester_id THEN p.provider_id ELSE p.requester_id END"
     " FROM projects p WHERE p.id = $1 AND $2::uuid IN (p.requester_id, p.provider_id)");

/* Why st_grat_insert inserted nothing. */
static enum result refused(struct gctx *g, const struct vvalue *v)
{
    PGresult *r;
    enum result rc = DB_RUN(g, &r, &st_grat_why, v[RF_PROJECT].s, g->user_id);
    if (rc)
        return rc;
    if (!PQntuples(r))
        return gctx_fail(g, R_NOTFOUND, "Project not found");
    if (strcmp(db_val(r, 0, 0), "completed"))
        return gctx_fail(g, R_CONFLICT, "The project is not completed yet");
    return gctx_fail_field(g, "ratee_id", "must be the other party of the project");
}

enum result gig_ratings_create(struct gctx *g, const cJSON *body)
{
    struct vvalue v[RF_COUNT];
    enum result rc = validate(g, body, rating_fields, v);
    if (rc)
        return rc;
    PGresult *r;
    rc = DB_RUN(g, &r, &st_grat_insert, v[RF_PROJECT].s, g->user_id, v[RF_RATEE].s, v[RF_OVERALL].text,
                v[RF_PROF].text, v[RF_PUNCT].text, v[RF_QUALITY].text, v[RF_PAYMENT].text, v[RF_TEXT].text);
    if (rc == R_CONFLICT)
        return gctx_fail(g, R_CONFLICT, "You have already rated this project");
    if (rc)
        return rc;
    return PQntuples(r) ? R_SUCCESS : refused(g, v);
}

enum result gig_ratings_project(struct gctx *g, const char *project_id, const char **json)
{
    if (!validate_uuid(project_id))
        return gctx_fail(g, R_NOTFOUND, "Project not found");
    return DB_ONE(g, json, "Project not found", &st_grat_project, project_id, g->user_id);
}

enum result gig_ratings_user(struct gctx *g, const char *user_id, const char *page, const char *limit,
                             const char **json)
{
    if (!validate_uuid(user_id))
        return gctx_fail(g, R_NOTFOUND, "User not found");
    struct paging p;
    enum result rc = market_paging(g, page, limit, &p);
    if (rc)
        return rc;
    return DB_ONE(g, json, "User not found", &st_grat_user, user_id, p.limit_s, p.offset_s,
                  arena_sprintf(g->a, "%ld", p.page));
}
