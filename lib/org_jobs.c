/* org_jobs.c — an organization's categories, jobs, applicants and public job board.
 * A job is a gig with organization_id: creating, editing and status changes go through
 * lib/gigs.c (same validation, transitions, quota and search index); this module checks
 * the membership and that the job is the organization's, and gigs.c's own checks let
 * any member manage it (sql/008 gig_manager). */
#include "org_jobs.h"
#include "applications.h"
#include "db.h"
#include "gigs.h"
#include "market.h"
#include "organizations.h"
#include "validate.h"
#include "sql_org_jobs.h"
#include <string.h>

/* ---- categories ---- */

static const struct vfield cat_fields[] = {
    {.name = "name", .type = V_STRING, .required = true, .min = 1, .max = 100},
};

static enum result cat_result(struct gctx *g, enum result rc)
{
    if (rc == R_CONFLICT && db_violated(g, "job_categories_name_key"))
        return gctx_fail(g, R_CONFLICT, "A category with this name already exists");
    return rc;
}

enum result org_jobs_categories(struct gctx *g, const char *org, const char *page, const char *limit,
                                const char **json)
{
    struct paging pg;
    enum result rc = market_paging(g, page, limit, &pg);
    if (rc)
        return rc;
    rc = organizations_access(g, org, ORG_MEMBER, false, NULL);
    if (rc)
        return rc;
    PGresult *r;
    if ((rc = DB_RUN(g, &r, &st_cat_list, org, pg.limit_s, pg.offset_s)))
        return rc;
    *json = market_paginated(g, &pg, db_val(r, 0, 1), db_ll(r, 0, 0));
    return R_SUCCESS;
}

STMT(st_cat_insert,
     "WITH c AS (INSERT INTO job_categories (organization_id, name) VALUES ($1, $2) RETURNING *)"
     " SELECT job_category_json(ROW(c.*)::job_categories) FROM c");

enum result org_jobs_category_create(struct gctx *g, const char *org, const cJSON *body, const char **json)
{
    struct vvalue v[1];
    enum result rc = validate(g, body, cat_fields, v);
    if (rc || (rc = organizations_access(g, org, ORG_ADMIN, false, NULL)))
        return rc;
    return cat_result(g, DB_ONE(g, json, NULL, &st_cat_insert, org, v[0].s));
}

STMT(st_cat_rename,
     "WITH c AS (UPDATE job_categories SET name = $3 WHERE id = $2 AND organization_id = $1 RETURNING *)"
     " SELECT job_category_json(ROW(c.*)::job_categories) FROM c");

enum result org_jobs_category_rename(struct gctx *g, const char *org, const char *id, const cJSON *body,
                                     const char **json)
{
    struct vvalue v[1];
    enum result rc = validate(g, body, cat_fields, v);
    if (rc || (rc = organizations_access(g, org, ORG_ADMIN, false, NULL)))
        return rc;
    if (!market_id(id))
        return gctx_fail(g, R_NOTFOUND, "Category not found");
    return cat_result(g, DB_ONE(g, json, "Category not found", &st_cat_rename, org, id, v[0].s));
}

STMT(st_cat_delete, "DELETE FROM job_categories WHERE id = $2 AND organization_id = $1 RETURNING id");

enum result org_jobs_category_delete(struct gctx *g, const char *org, const char *id)
{
    enum result rc = organizations_access(g, org, ORG_ADMIN, false, NULL);
    if (rc)
        return rc;
    if (!market_id(id))
        return gctx_fail(g, R_NOTFOUND, "Category not found");
    const char *done;
    return DB_ONE(g, &done, "Category not found", &st_cat_delete, org, id);
}

/* ---- jobs ---- */

static const char *const job_statuses[] = {"draft", "active", "paused", "closed", "filled", NULL};

static const struct vfield job_fields[] = {
    {.name = "category_id", .type = V_UUID, .nullable = true},
};

STMT(st_job_of_org, "SELECT id FROM gigs WHERE id = $1 AND organization_id = $2");

/* The caller is a member and job is one of org's jobs (else R_NOTFOUND). */
static enum result job_access(struct gctx *g, const char *org, const char *job)
{
    enum result rc = organizations_access(g, org, ORG_MEMBER, false, NULL);
    if (rc)
        return rc;
    if (!market_id(job))
        return gctx_fail(g, R_NOTFOUND, "Job not found");
    const char *id;
    return DB_ONE(g, &id, "Job not found", &st_job_of_org, job, org);
}

static enum result list_filters(struct gctx *g, const char *status, const char *category)
{
    bool bad = false;
    if (status) {
        bool ok = false;
        for (const char *const *s = job_statuses; *s; s++)
            ok = ok || !strcmp(*s, status);
        if (!ok) {
            gctx_fail_field(g, "status", "must be one of: draft active paused closed filled");
            bad = true;
        }
    }
    if (category && !validate_uuid(category)) {
        gctx_fail_field(g, "category_id", "must be a UUID");
        bad = true;
    }
    return bad ? gctx_fail(g, R_INVALID, "Validation failed") : R_SUCCESS;
}

enum result org_jobs_list(struct gctx *g, const char *org, const char *status, const char *category,
                          const char *page, const char *limit, const char **json)
{
    struct paging pg;
    enum result paging = market_paging(g, page, limit, &pg);
    enum result rc = list_filters(g, status, category);
    if (rc || paging)
        return gctx_fail(g, R_INVALID, "Validation failed");
    if ((rc = organizations_access(g, org, ORG_MEMBER, false, NULL)))
        return rc;
    PGresult *r;
    if ((rc = DB_RUN(g, &r, &st_jobs_list, org, pg.limit_s, pg.offset_s, status, category)))
        return rc;
    *json = market_paginated(g, &pg, db_val(r, 0, 1), db_ll(r, 0, 0));
    return R_SUCCESS;
}

enum result org_jobs_create(struct gctx *g, const char *org, const cJSON *body, const char **json)
{
    struct vvalue v[1];
    enum result rc = validate(g, body, job_fields, v);
    if (rc || (rc = organizations_access(g, org, ORG_MEMBER, false, NULL)))
        return rc;
    return gigs_create_in(g, body, org, v[0].text, json);
}

STMT(st_job_render,
     "SELECT gig_json(g, p) FROM gigs g JOIN profiles p ON p.id = g.poster_id"
     " WHERE g.id = $1 AND g.organization_id = $2");

enum result org_jobs_get(struct gctx *g, const char *org, const char *job, const char **json)
{
    enum result rc = job_access(g, org, job);
    if (rc)
        return rc;
    return DB_ONE(g, json, "Job not found", &st_job_render, job, org);
}

enum result org_jobs_update(struct gctx *g, const char *org, const char *job, const cJSON *body,
                            const char **json)
{
    struct vvalue v[1];
    enum result rc = validate(g, body, job_fields, v);
    if (rc || (rc = job_access(g, org, job)))
        return rc;
    return gigs_update_in(g, job, body, v[0].present, v[0].text, json);
}

enum result org_jobs_set_status(struct gctx *g, const char *org, const char *job, const cJSON *body,
                                const char **json)
{
    enum result rc = job_access(g, org, job);
    if (rc)
        return rc;
    return gigs_set_status(g, job, body, json);
}

enum result org_jobs_applicants(struct gctx *g, const char *org, const char *job, const char *status,
                                const char **json)
{
    enum result rc = job_access(g, org, job);
    if (rc)
        return rc;
    return applications_for_gig(g, job, status, json);
}

/* ---- the public job board ---- */

enum result org_jobs_board(struct gctx *g, const char *slug, const char *page, const char *limit,
                           const char **json)
{
    struct paging pg;
    enum result rc = market_paging(g, page, limit, &pg);
    if (rc)
        return rc;
    if (!slug || strlen(slug) > 50)
        return gctx_fail(g, R_NOTFOUND, "Organization not found");
    PGresult *r;
    rc = DB_RUN(g, &r, &st_board, slug, pg.limit_s, pg.offset_s);
    if (rc)
        return rc;
    if (PQntuples(r) != 1)
        return gctx_fail(g, R_NOTFOUND, "Organization not found");
    *json = arena_sprintf(g->a, "{\"organization\":%s,\"jobs\":%s}", db_val(r, 0, 0),
                          market_paginated(g, &pg, db_val(r, 0, 2), db_ll(r, 0, 1)));
    return R_SUCCESS;
}
