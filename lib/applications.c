/* applications.c — applications and their statuses. applications_count counts the
 * gig's applications that are not withdrawn; it changes only under the gig's row lock
 * (UPDATE ... SET applications_count = applications_count ± 1) in the transaction that
 * inserts or withdraws, so concurrent applicants cannot lose an increment. */
#include "applications.h"
#include "db.h"
#include "market.h"
#include "validate.h"
#include <string.h>
#include <strings.h>

static const char *const app_statuses[] = {"pending", "reviewing", "shortlisted", "rejected", "accepted",
                                           "withdrawn", NULL};
static const char *const poster_statuses[] = {"reviewing", "shortlisted", "rejected", "accepted", NULL};

static const struct vfield app_fields[] = {
    {.name = "gig_id", .type = V_UUID, .required = true},
    {.name = "cover_letter", .type = V_STRING, .required = true, .min = 1, .max = 5000},
    {.name = "proposed_rate", .type = V_MONEY, .nullable = true, .min = 0, .max = 100000000},
    {.name = "proposed_timeline", .type = V_STRING, .nullable = true, .max = 200},
    {.name = "portfolio_items", .type = V_STRINGS, .max = 20, .item_max = 2048},
    {.name = "ai_tools_to_use", .type = V_STRINGS, .max = 30, .item_max = 50},
};

/* Locks the gig row for the rest of the transaction. */
STMT(st_app_gig_lock,
     "SELECT poster_id, status FROM gigs WHERE id = $1 AND (status <> 'draft' OR poster_id = $2) FOR UPDATE");
STMT(st_app_insert,
     "WITH a AS (INSERT INTO applications (gig_id, applicant_id, cover_letter, proposed_rate, proposed_timeline,"
     "           portfolio_items, ai_tools_to_use)"
     "           VALUES ($1, $2, $3, $4::bigint, $5, coalesce($6::text[], '{}'), coalesce($7::text[], '{}'))"
     "           RETURNING *),"
     " c AS (UPDATE gigs SET applications_count = applications_count + 1 WHERE id = $1 RETURNING title, poster_id),"
     " n AS (SELECT notify(c.poster_id, 'new_application', 'New application',"
     "              p.username || ' applied to \"' || c.title || '\"',"
     "              jsonb_build_object('application_id', a.id, 'gig_id', a.gig_id, 'applicant_id', a.applicant_id))"
     "              AS nid FROM a, c, profiles p WHERE p.id = a.applicant_id)"
     " SELECT application_json(ROW(a.*)::applications), (SELECT count(nid) FROM n) FROM a");

enum result applications_create(struct gctx *g, const cJSON *body, const char **json)
{
    struct vvalue v[6];
    if (validate(g, body, app_fields, v) != R_SUCCESS)
        return g->res;
    if (db_begin(g) != R_SUCCESS)
        return g->res;
    PGresult *r = DBQ(g, &st_app_gig_lock, v[0].s, g->user_id);
    if (!r)
        goto fail;
    if (PQntuples(r) != 1) {
        gctx_fail(g, R_NOTFOUND, "Gig not found");
        goto fail;
    }
    if (!strcmp(db_val(r, 0, 0), g->user_id)) {
        gctx_fail(g, R_FORBIDDEN, "You cannot apply to your own gig");
        goto fail;
    }
    if (strcmp(db_val(r, 0, 1), "active")) {
        gctx_fail_field(g, "gig_id", "gig is not accepting applications");
        goto fail;
    }
    r = DBQ(g, &st_app_insert, v[0].s, g->user_id, v[1].text, v[2].text, v[3].text, v[4].text, v[5].text);
    if (!r) {
        if (g->res == R_CONFLICT)
            gctx_fail(g, R_CONFLICT, "You have already applied to this gig");
        goto fail;
    }
    *json = db_val(r, 0, 0);
    return db_commit(g);
fail:
    db_rollback(g);
    return g->res;
}

/* The gig row is locked first (same order as applying), then the application. */
STMT(st_app_withdraw_lock,
     "SELECT a.status FROM gigs g JOIN applications a ON a.gig_id = g.id"
     " WHERE a.id = $1 AND a.applicant_id = $2 FOR UPDATE");
STMT(st_app_withdraw,
     "WITH a AS (UPDATE applications SET status = 'withdrawn', updated_at = now() WHERE id = $1 RETURNING *),"
     " c AS (UPDATE gigs SET applications_count = applications_count - 1 FROM a WHERE gigs.id = a.gig_id RETURNING 1)"
     " SELECT application_json(ROW(a.*)::applications), (SELECT count(*) FROM c) FROM a");
STMT(st_app_render, "SELECT application_json(a) FROM applications a WHERE a.id = $1");

enum result applications_withdraw(struct gctx *g, const char *id, const char **json)
{
    if (!market_id(id))
        return gctx_fail(g, R_NOTFOUND, "Application not found");
    if (db_begin(g) != R_SUCCESS)
        return g->res;
    PGresult *r = DBQ(g, &st_app_withdraw_lock, id, g->user_id);
    if (!r)
        goto fail;
    if (PQntuples(r) != 1) {
        gctx_fail(g, R_NOTFOUND, "Application not found");
        goto fail;
    }
    const char *st = db_val(r, 0, 0);
    if (!strcmp(st, "withdrawn")) {
        r = DBQ(g, &st_app_render, id); /* already withdrawn: nothing to do */
    } else if (!strcmp(st, "accepted") || !strcmp(st, "rejected")) {
        gctx_fail_field(g, "status", arena_sprintf(g->a, "an application that is %s cannot be withdrawn", st));
        goto fail;
    } else {
        r = DBQ(g, &st_app_withdraw, id);
    }
    if (!r)
        goto fail;
    *json = db_val(r, 0, 0);
    return db_commit(g);
fail:
    db_rollback(g);
    return g->res;
}

static bool status_param(struct gctx *g, const char *status)
{
    if (!status)
        return true;
    for (const char *const *o = app_statuses; *o; o++)
        if (!strcmp(*o, status))
            return true;
    gctx_fail_field(g, "status", "must be one of: pending reviewing shortlisted rejected accepted withdrawn");
    return false;
}

STMT(st_apps_mine,
     "SELECT coalesce(json_agg(application_json(a) || jsonb_build_object('gig', gig_json(g, p))"
     "                         ORDER BY a.created_at DESC, a.id), '[]')"
     " FROM applications a JOIN gigs g ON g.id = a.gig_id JOIN profiles p ON p.id = g.poster_id"
     " WHERE a.applicant_id = $1 AND ($2::text IS NULL OR a.status = $2)");

enum result applications_mine(struct gctx *g, const char *status, const char **json)
{
    if (!status_param(g, status))
        return R_INVALID;
    PGresult *r = DBQ(g, &st_apps_mine, g->user_id, status);
    if (!r)
        return g->res;
    *json = db_val(r, 0, 0);
    return R_SUCCESS;
}

STMT(st_apps_for_gig,
     "SELECT (SELECT coalesce(json_agg(application_json(a) || jsonb_build_object('applicant', profile_json(p))"
     "                         ORDER BY a.created_at DESC, a.id), '[]')"
     "        FROM applications a JOIN profiles p ON p.id = a.applicant_id"
     "        WHERE a.gig_id = g.id AND ($3::text IS NULL OR a.status = $3))"
     " FROM gigs g WHERE g.id = $1 AND g.poster_id = $2");

enum result applications_for_gig(struct gctx *g, const char *gig_id, const char *status, const char **json)
{
    if (!status_param(g, status))
        return R_INVALID;
    if (!market_id(gig_id))
        return gctx_fail(g, R_NOTFOUND, "Gig not found");
    PGresult *r = DBQ(g, &st_apps_for_gig, gig_id, g->user_id, status);
    if (!r)
        return g->res;
    if (PQntuples(r) != 1)
        return gctx_fail(g, R_NOTFOUND, "Gig not found");
    *json = db_val(r, 0, 0);
    return R_SUCCESS;
}

static const struct vfield status_fields[] = {
    {.name = "status", .type = V_ENUM, .required = true, .options = poster_statuses},
};

/* Locks the caller's applications among ids; $3 = ids count check is done by the caller. */
STMT(st_apps_lock_owned,
     "SELECT a.id, a.status FROM applications a JOIN gigs g ON g.id = a.gig_id"
     " WHERE a.id = ANY($1::uuid[]) AND g.poster_id = $2 FOR UPDATE OF a");
STMT(st_apps_set_status,
     "WITH u AS (UPDATE applications a SET status = $2, updated_at = now() FROM gigs g"
     "           WHERE a.id = ANY($1::uuid[]) AND g.id = a.gig_id AND a.status <> $2"
     "           RETURNING a.id, a.applicant_id, a.gig_id, g.title)"
     " SELECT count(notify(applicant_id, 'application_status', 'Application ' || $2,"
     "        'Your application to \"' || title || '\" is now ' || $2,"
     "        jsonb_build_object('application_id', id, 'gig_id', gig_id, 'status', $2::text))) FROM u");
STMT(st_apps_render_many,
     "SELECT coalesce(json_agg(application_json(a) ORDER BY a.created_at, a.id), '[]')"
     " FROM applications a WHERE a.id = ANY($1::uuid[])");

/* Shared by the single and bulk routes: ids is a text[] literal of n distinct UUIDs. */
static enum result set_status(struct gctx *g, const char *ids, int n, const char *status, bool single,
                              const char **json)
{
    if (db_begin(g) != R_SUCCESS)
        return g->res;
    PGresult *r = DBQ(g, &st_apps_lock_owned, ids, g->user_id);
    if (!r)
        goto fail;
    if (PQntuples(r) != n) {
        gctx_fail(g, R_NOTFOUND, single ? "Application not found" : "One or more applications not found");
        goto fail;
    }
    for (int i = 0; i < n; i++)
        if (!strcmp(db_val(r, i, 1), "withdrawn")) {
            gctx_fail_field(g, single ? "status" : "ids", "a withdrawn application cannot change status");
            goto fail;
        }
    if (!DBQ(g, &st_apps_set_status, ids, status))
        goto fail;
    if (!(r = DBQ(g, &st_apps_render_many, ids)))
        goto fail;
    *json = db_val(r, 0, 0);
    if (single) {
        /* "[{...}]" → "{...}" */
        size_t len = strlen(*json);
        if (len >= 2)
            *json = arena_strndup(g->a, *json + 1, len - 2);
    }
    return db_commit(g);
fail:
    db_rollback(g);
    return g->res;
}

enum result applications_set_status(struct gctx *g, const char *id, const cJSON *body, const char **json)
{
    struct vvalue v[1];
    if (validate(g, body, status_fields, v) != R_SUCCESS)
        return g->res;
    if (!market_id(id))
        return gctx_fail(g, R_NOTFOUND, "Application not found");
    const char *one[1] = {id};
    return set_status(g, pg_text_array(g->a, one, 1), 1, v[0].s, true, json);
}


static const struct vfield bulk_fields[] = {
    {.name = "ids", .type = V_STRINGS, .required = true, .min = 1, .max = 100, .item_max = 36, .check = valid_uuid,
     .check_msg = "must contain only UUIDs"},
    {.name = "status", .type = V_ENUM, .required = true, .options = poster_statuses},
};

enum result applications_bulk_status(struct gctx *g, const cJSON *body, const char **json)
{
    struct vvalue v[2];
    if (validate(g, body, bulk_fields, v) != R_SUCCESS)
        return g->res;
    /* Distinct ids, so the ownership count compares like with like. */
    const char **ids = arena_alloc(g->a, sizeof(char *) * (size_t)v[0].n);
    int n = 0;
    for (int i = 0; i < v[0].n; i++) {
        bool dup = false;
        for (int j = 0; j < n; j++)
            if (!strcasecmp(ids[j], v[0].items[i]))
                dup = true;
        if (!dup)
            ids[n++] = v[0].items[i];
    }
    return set_status(g, pg_text_array(g->a, ids, n), n, v[1].s, false, json);
}
