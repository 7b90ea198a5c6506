/* applications.c — applications and their statuses. applications_count (gig_stats,
 * sql/026) counts the gig's applications that are not withdrawn; it changes only under
 * the gig's row lock, taken first, then gig_stats' row (an upsert ± 1), in the
 * transaction (for an apply, the one statement) that inserts or withdraws, so
 * concurrent applicants cannot lose an increment. */
#include "applications.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "ratelimit.h"
#include "market.h"
#include "validate.h"
#include "sql_applications.h"
#include "trust.h"
#include <string.h>
#include <strings.h>

static const char *const app_statuses[] = {"pending", "reviewing", "shortlisted", "rejected", "accepted",
                                           "withdrawn", NULL};
static const char *const poster_statuses[] = {"reviewing", "shortlisted", "rejected", "accepted", NULL};

enum { AF_GIG, AF_COVER, AF_RATE, AF_TIMELINE, AF_PORTFOLIO, AF_TOOLS, AF_N };

static const struct vfield app_fields[AF_N] = {
    [AF_GIG] = {.name = "gig_id", .type = V_UUID, .required = true},
    [AF_COVER] = {.name = "cover_letter", .type = V_STRING, .required = true, .min = 1, .max = 5000},
    [AF_RATE] = {.name = "proposed_rate", .type = V_MONEY, .nullable = true, .min = 0, .max = 100000000},
    [AF_TIMELINE] = {.name = "proposed_timeline", .type = V_STRING, .nullable = true, .max = 200},
    [AF_PORTFOLIO] = {.name = "portfolio_items", .type = V_STRINGS, .max = 20, .item_max = 2048},
    [AF_TOOLS] = {.name = "ai_tools_to_use", .type = V_STRINGS, .max = 30, .item_max = 50},
};

/* The answer of st_app_apply (lib/sql/applications.sql): the first refusal, in the order
 * the checks run, or the application. */
static enum result apply_outcome(struct gctx *g, PGresult *r, const char **json)
{
    if (!db_val(r, 0, 0))
        return gctx_fail(g, R_NOTFOUND, "Gig not found");
    if (db_bool(r, 0, 0))
        return gctx_fail(g, R_FORBIDDEN, "You cannot apply to your own gig");
    if (db_bool(r, 0, 2))
        return gctx_fail(g, R_FORBIDDEN, TRUST_BLOCKED_MSG);
    if (strcmp(db_val(r, 0, 1), "active"))
        return gctx_fail_field(g, "gig_id", "gig is not accepting applications");
    enum result rc = ratelimit_answer(g, db_val(r, 0, 3), RATELIMIT_QUOTA_MSG);
    if (rc)
        return rc;
    if (!(*json = db_val(r, 0, 4))) {
        log_error("applications: an apply passed its checks but stored nothing");
        return gctx_fail(g, R_ERR, "Internal error");
    }
    return R_SUCCESS;
}

/* One statement, its own transaction: the gig must be someone else's and open, the
 * applicant within the quota (seed 000: 50 applications per 24 h,
 * GIGD_QUOTA_APPLICATIONS). */
enum result applications_create(struct gctx *g, const cJSON *body, const char **json)
{
    struct vvalue v[AF_N];
    enum result rc = validate(g, body, app_fields, v);
    if (rc)
        return rc;
    PGresult *r;
    /* never retried: an apply the server committed before the connection broke would be
     * answered 409 the second time */
    rc = DB_RUN_ONCE(g, &r, &st_app_apply, v[AF_GIG].s, g->user_id, v[AF_COVER].text, v[AF_RATE].text,
                     v[AF_TIMELINE].text, v[AF_PORTFOLIO].text, v[AF_TOOLS].text,
                     ratelimit_quota_key(g, "apply", g->user_id),
                     arena_sprintf(g->a, "%ld", cfg.quota_applications), "86400");
    if (rc == R_CONFLICT && db_violated(g, "applications_gig_applicant_key"))
        return gctx_fail(g, R_CONFLICT, "You have already applied to this gig");
    if (rc || (rc = apply_outcome(g, r, json)))
        return rc;
    db_add_events(g, db_val(r, 0, 5)); /* committed: the notifications go out */
    return R_SUCCESS;
}

/* The gig row is locked first (same order as applying), then the application. */
STMT(st_app_withdraw_lock,
     "SELECT a.status FROM gigs g JOIN applications a ON a.gig_id = g.id"
     " WHERE a.id = $1 AND a.applicant_id = $2 FOR UPDATE");
STMT(st_app_withdraw,
     "WITH a AS (UPDATE applications SET status = 'withdrawn', updated_at = now() WHERE id = $1 RETURNING *),"
     " c AS (UPDATE gig_stats SET applications_count = applications_count - 1 FROM a"
     "       WHERE gig_stats.gig_id = a.gig_id RETURNING 1)"
     " SELECT application_json(ROW(a.*)::applications), (SELECT count(*) FROM c) FROM a");
STMT(st_app_render, "SELECT application_json(a) FROM applications a WHERE a.id = $1");

/* Inside the transaction: withdraws an undecided application; a second withdrawal
 * changes nothing and answers the application as it is. */
static enum result withdraw_locked(struct gctx *g, const char *id, const char **json)
{
    const char *st;
    enum result rc = DB_ONE(g, &st, "Application not found", &st_app_withdraw_lock, id, g->user_id);
    if (rc)
        return rc;
    if (!strcmp(st, "withdrawn"))
        return DB_ONE(g, json, "Application not found", &st_app_render, id);
    if (!strcmp(st, "accepted") || !strcmp(st, "rejected"))
        return gctx_fail_field(g, "status", arena_sprintf(g->a, "an application that is %s cannot be withdrawn", st));
    return DB_ONE(g, json, "Application not found", &st_app_withdraw, id);
}

enum result applications_withdraw(struct gctx *g, const char *id, const char **json)
{
    if (!market_id(id))
        return gctx_fail(g, R_NOTFOUND, "Application not found");
    enum result rc = db_begin(g);
    if (rc)
        return rc;
    return db_finish(g, withdraw_locked(g, id, json));
}

/* An optional ?status= filter: absent, or one of app_statuses. */
static enum result status_param(struct gctx *g, const char *status)
{
    if (!status)
        return R_SUCCESS;
    for (const char *const *o = app_statuses; *o; o++)
        if (!strcmp(*o, status))
            return R_SUCCESS;
    return gctx_fail_field(g, "status", "must be one of: pending reviewing shortlisted rejected accepted withdrawn");
}

/* ($1 applicant, $2 status or NULL, $3 limit, $4 offset, $5 count cap) → total, page. The
 * application stays the applicant's record; a taken-down gig inside it is null. */
STMT(st_apps_mine,
     "SELECT (SELECT count(*) FROM (SELECT FROM applications WHERE applicant_id = $1"
     "                              AND ($2::text IS NULL OR status = $2) LIMIT $5::int) c),"
     " (SELECT coalesce(json_agg(application_json(a) || jsonb_build_object('gig',"
     "                            CASE WHEN g.hidden_at IS NULL THEN gig_json(g, p) END)" /* trust: taken down */
     "                          ORDER BY a.created_at DESC, a.id), '[]')"
     "  FROM (SELECT * FROM applications WHERE applicant_id = $1 AND ($2::text IS NULL OR status = $2)"
     "        ORDER BY created_at DESC, id LIMIT $3 OFFSET $4) a"
     "  JOIN gigs g ON g.id = a.gig_id JOIN profiles p ON p.id = g.poster_id)");

enum result applications_mine(struct gctx *g, const char *status, const char *page, const char *limit,
                              const char **json)
{
    struct paging pg;
    enum result rc = status_param(g, status);
    if (market_paging(g, page, limit, &pg))
        rc = R_INVALID;
    if (rc)
        return rc;
    PGresult *r;
    if ((rc = DB_RUN(g, &r, &st_apps_mine, g->user_id, status, pg.limit_s, pg.offset_s,
                     arena_sprintf(g->a, "%d", MARKET_OFFSET_MAX))))
        return rc;
    *json = market_paginated(g, &pg, db_val(r, 0, 1), db_ll(r, 0, 0));
    return R_SUCCESS;
}

STMT(st_apps_for_gig,
     "SELECT (SELECT coalesce(json_agg(application_json(a) || jsonb_build_object('applicant', profile_json(p))"
     "                         ORDER BY a.created_at DESC, a.id), '[]')"
     "        FROM applications a JOIN profiles p ON p.id = a.applicant_id"
     "        WHERE a.gig_id = g.id AND ($3::text IS NULL OR a.status = $3))"
     " FROM gigs g WHERE g.id = $1 AND gig_manager(g.organization_id, g.poster_id, $2)");

enum result applications_for_gig(struct gctx *g, const char *gig_id, const char *status, const char **json)
{
    enum result rc = status_param(g, status);
    if (rc)
        return rc;
    if (!market_id(gig_id))
        return gctx_fail(g, R_NOTFOUND, "Gig not found");
    return DB_ONE(g, json, "Gig not found", &st_apps_for_gig, gig_id, g->user_id, status);
}

static const struct vfield status_fields[] = {
    {.name = "status", .type = V_ENUM, .required = true, .options = poster_statuses},
};

/* Locks the caller's applications among ids; the caller compares the count with its ids. */
STMT(st_apps_lock_owned,
     "SELECT a.id, a.status FROM applications a JOIN gigs g ON g.id = a.gig_id"
     " WHERE a.id = ANY($1::uuid[]) AND gig_manager(g.organization_id, g.poster_id, $2) FOR UPDATE OF a");
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

/* Inside the transaction: all n applications must be on the caller's gigs and not
 * withdrawn; then each changes and its applicant is notified. *json is the array. */
static enum result set_status_locked(struct gctx *g, const char *ids, int n, const char *status, bool single,
                                     const char **json)
{
    PGresult *r;
    enum result rc = DB_RUN(g, &r, &st_apps_lock_owned, ids, g->user_id);
    if (rc)
        return rc;
    if (PQntuples(r) != n)
        return gctx_fail(g, R_NOTFOUND, single ? "Application not found" : "One or more applications not found");
    for (int i = 0; i < n; i++)
        if (!strcmp(db_val(r, i, 1), "withdrawn"))
            return gctx_fail_field(g, single ? "status" : "ids", "a withdrawn application cannot change status");
    if ((rc = DB_RUN(g, &r, &st_apps_set_status, ids, status)))
        return rc;
    return DB_ONE(g, json, NULL, &st_apps_render_many, ids);
}

/* Shared by the single and bulk routes: ids is a text[] literal of n distinct UUIDs. */
static enum result set_status(struct gctx *g, const char *ids, int n, const char *status, bool single,
                              const char **json)
{
    enum result rc = db_begin(g);
    if (rc)
        return rc;
    if ((rc = set_status_locked(g, ids, n, status, single, json)))
        goto out;
    if (single) {
        /* "[{...}]" → "{...}" */
        size_t len = strlen(*json);
        if (len >= 2)
            *json = arena_strndup(g->a, *json + 1, len - 2);
    }
out:
    return db_finish(g, rc);
}

enum result applications_set_status(struct gctx *g, const char *id, const cJSON *body, const char **json)
{
    struct vvalue v[1];
    enum result rc = validate(g, body, status_fields, v);
    if (rc)
        return rc;
    if (!market_id(id))
        return gctx_fail(g, R_NOTFOUND, "Application not found");
    const char *one[1] = {id};
    return set_status(g, validate_text_array(g->a, one, 1), 1, v[0].s, true, json);
}

static const struct vfield bulk_fields[] = {
    {.name = "ids", .type = V_STRINGS, .required = true, .min = 1, .max = 100, .item_max = 36, .check = validate_uuid,
     .check_msg = "must contain only UUIDs"},
    {.name = "status", .type = V_ENUM, .required = true, .options = poster_statuses},
};

enum result applications_bulk_status(struct gctx *g, const cJSON *body, const char **json)
{
    struct vvalue v[2];
    enum result rc = validate(g, body, bulk_fields, v);
    if (rc)
        return rc;
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
    return set_status(g, validate_text_array(g->a, ids, n), n, v[1].s, false, json);
}
