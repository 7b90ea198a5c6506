/* disputes.c — raising, reading, answering and resolving disputes (disputes.h). Every
 * decision takes the gig's row lock first (the same lock as completion and the money jobs),
 * so a dispute and a release of the same gig never both happen. */
#include "disputes.h"
#include "db.h"
#include "escrow.h"
#include "log.h"
#include "util.h"
#include "validate.h"
#include "sql_disputes.h"
#include <stdlib.h>
#include <string.h>

STMT(st_disp_lock_by_project,
     "SELECT 1 FROM gigs WHERE id = (SELECT gig_id FROM projects WHERE id = $1) FOR UPDATE");

static const struct vfield create_fields[] = {
    {.name = "project_id", .type = V_UUID, .required = true},
    {.name = "reason", .type = V_STRING, .required = true, .min = 1, .max = 200},
    {.name = "description", .type = V_STRING, .required = true, .min = 1, .max = 5000},
    {.name = "evidence_urls", .type = V_STRINGS, .nullable = true, .max = 10, .item_max = 2000},
};

/* Under the lock: may the caller dispute this project now? */
static enum result may_dispute(struct gctx *g, const char *project_id)
{
    PGresult *r;
    enum result rc = DB_RUN(g, &r, &st_disp_state, project_id, g->user_id);
    if (rc)
        return rc;
    if (!PQntuples(r))
        return gctx_fail(g, R_NOTFOUND, "Project not found");
    const char *status = db_val(r, 0, 3);
    if (!strcmp(status, "disputed"))
        return gctx_fail(g, R_CONFLICT, "A dispute is already open for this project");
    if (db_val(r, 0, 4) || !strcmp(status, "completed") || !strcmp(status, "cancelled"))
        return gctx_fail(g, R_CONFLICT, "The payment for this project has already been settled");
    return R_SUCCESS;
}

enum result disputes_create(struct gctx *g, const cJSON *body, const char **json)
{
    struct vvalue v[ARRAY_SIZE(create_fields)];
    enum result rc = validate(g, body, create_fields, v);
    if (rc)
        return rc;
    if ((rc = db_begin(g)))
        return rc;
    PGresult *r;
    if ((rc = DB_RUN(g, &r, &st_disp_lock_by_project, v[0].s)) || (rc = may_dispute(g, v[0].s)))
        goto out;
    rc = DB_RUN(g, &r, &st_disp_insert, v[0].s, g->user_id, v[1].s, v[2].s, v[3].text);
    if (rc == R_CONFLICT)
        rc = gctx_fail(g, R_CONFLICT, "A dispute is already open for this project");
    else if (!rc && PQntuples(r) != 1)
        rc = gctx_fail(g, R_NOTFOUND, "Project not found");
    else if (!rc)
        *json = arena_sprintf(g->a, "{\"dispute_id\":\"%s\"}", db_val(r, 0, 0));
out:
    return db_finish(g, rc);
}

enum result disputes_get(struct gctx *g, const char *id, const char **json)
{
    if (!validate_uuid(id))
        return gctx_fail(g, R_NOTFOUND, "Dispute not found");
    return DB_ONE(g, json, "Dispute not found", &st_disp_get, id, g->user_id);
}

static const struct vfield respond_fields[] = {
    {.name = "response", .type = V_STRING, .required = true, .min = 1, .max = 5000},
    {.name = "counter_evidence_urls", .type = V_STRINGS, .nullable = true, .max = 10, .item_max = 2000},
};

STMT(st_disp_why,
     "SELECT raised_by = $2::uuid, counter_response IS NOT NULL FROM disputes"
     " WHERE id = $1 AND $2::uuid IN (raised_by, against)");

/* Why st_disp_respond changed nothing. */
static enum result respond_refused(struct gctx *g, const char *id)
{
    PGresult *r;
    enum result rc = DB_RUN(g, &r, &st_disp_why, id, g->user_id);
    if (rc)
        return rc;
    if (!PQntuples(r))
        return gctx_fail(g, R_NOTFOUND, "Dispute not found");
    if (db_bool(r, 0, 0))
        return gctx_fail(g, R_FORBIDDEN, "Only the other party can respond to this dispute");
    if (db_bool(r, 0, 1))
        return gctx_fail(g, R_CONFLICT, "You have already responded to this dispute");
    return gctx_fail(g, R_CONFLICT, "This dispute is already resolved");
}

enum result disputes_respond(struct gctx *g, const char *id, const cJSON *body)
{
    struct vvalue v[ARRAY_SIZE(respond_fields)];
    enum result rc = validate(g, body, respond_fields, v);
    if (rc)
        return rc;
    if (!validate_uuid(id))
        return gctx_fail(g, R_NOTFOUND, "Dispute not found");
    if ((rc = db_begin(g)))
        return rc;
    PGresult *r;
    if ((rc = DB_RUN(g, &r, &st_disp_respond, id, g->user_id, v[0].s, v[1].text)))
        goto out;
    if (!PQntuples(r))
        rc = respond_refused(g, id);
out:
    return db_finish(g, rc);
}

/* ------------------------------------------------------------------ resolve */

STMT(st_disp_lock,
     "SELECT 1 FROM gigs WHERE id = (SELECT p.gig_id FROM disputes d JOIN projects p ON p.id = d.project_id"
     " WHERE d.id = $1) FOR UPDATE");
STMT(st_disp_decided,
     "SELECT d.status, g.settle_percent, g.id FROM disputes d JOIN projects p ON p.id = d.project_id"
     " JOIN gigs g ON g.id = p.gig_id WHERE d.id = $1");

/* The decision, once, in one transaction; a rerun with the same decision goes on to settle. */
static enum result decide(struct gctx *g, const char *id, const char *status, const char *percent,
                          const char *notes, const char **gig_id)
{
    enum result rc = db_begin(g);
    if (rc)
        return rc;
    PGresult *r;
    if ((rc = DB_RUN(g, &r, &st_disp_lock, id)) || (rc = DB_RUN(g, &r, &st_disp_resolve, id, status, percent, notes)))
        goto out;
    if (PQntuples(r)) {
        *gig_id = arena_strdup(g->a, db_val(r, 0, 0));
        goto out;
    }
    if ((rc = DB_RUN(g, &r, &st_disp_decided, id)))
        goto out;
    if (!PQntuples(r))
        rc = gctx_fail(g, R_NOTFOUND, "Dispute not found");
    else if (strcmp(db_val(r, 0, 0), status) || !db_val(r, 0, 1) || strcmp(db_val(r, 0, 1), percent))
        rc = gctx_fail(g, R_CONFLICT, "This dispute was resolved differently, or its payment was already settled");
    else
        *gig_id = arena_strdup(g->a, db_val(r, 0, 2));
out:
    return db_finish(g, rc);
}

enum result disputes_resolve(struct gctx *g, const char *id, const char *outcome, const char *percent,
                             const char *notes, const char **json)
{
    if (!id || !validate_uuid(id))
        return gctx_fail(g, R_NOTFOUND, "Dispute not found");
    const char *status;
    if (!strcmp(outcome, "refund")) {
        status = "resolved_refund";
        percent = "0";
    } else if (!strcmp(outcome, "release")) {
        status = "resolved_release";
        percent = "100";
    } else if (!strcmp(outcome, "split") && percent) {
        char *end;
        long p = strtol(percent, &end, 10);
        if (*end || end == percent || p < 0 || p > 100)
            return gctx_fail(g, R_INVALID, "PERCENT must be a whole number from 0 to 100");
        status = "resolved_split";
        percent = arena_sprintf(g->a, "%ld", p);
    } else {
        return gctx_fail(g, R_INVALID, "Outcome must be refund, release or split PERCENT");
    }
    const char *gig_id = NULL;
    enum result rc = decide(g, id, status, percent, notes, &gig_id);
    if (rc || (rc = escrow_settle(g, gig_id)))
        return rc;
    log_info("dispute %s resolved: %s %s%%", id, status, percent);
    *json = arena_sprintf(g->a, "{\"dispute_id\":\"%s\",\"status\":\"%s\",\"provider_percent\":%s,\"gig_id\":\"%s\"}",
                          id, status, percent, gig_id);
    return R_SUCCESS;
}
