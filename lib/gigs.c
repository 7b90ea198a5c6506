/* gigs.c — gig lifecycle, bookmarks and usage (search is gigs_search.c, recommendations
 * gigs_recommend.c, view counting gigs_views.c). Reads render JSON in PostgreSQL (gig_json
 * with the poster joined, never N+1) — but the by-id read, the hottest, fetches columns and
 * renders in the worker (json_out.c) — and never write. Every change to `active` takes one unit of the monthly quota through
 * post_usage_take() in the same transaction as the change, so a rollback returns it and
 * concurrent posts by one user cannot overshoot. */
#include "gigs.h"
#include "db.h"
#include "market.h"
#include "validate.h"
#include "json_out.h"
#include "log.h"
#include "sql_gigs.h"
#include "util.h"
#include <string.h>

const char *const gigs_location_types[] = {"remote", "onsite", "hybrid", NULL};
static const char *const budget_types[] = {"fixed", "hourly", NULL};
static const char *const create_statuses[] = {"draft", "active", NULL};
static const char *const all_statuses[] = {"draft", "active", "paused", "closed", "filled", NULL};

enum { GF_TITLE, GF_DESC, GF_CATEGORY, GF_SKILLS, GF_TOOLS, GF_BTYPE, GF_BMIN, GF_BMAX, GF_DURATION, GF_LTYPE,
       GF_LOCATION, GF_STATUS, GF_N };

/* GigInput (seed 000). PATCH uses the same table with nothing required and no status. */
static const struct vfield gig_fields[GF_N] = {
    [GF_TITLE] = {.name = "title", .type = V_STRING, .required = true, .min = 1, .max = 200},
    [GF_DESC] = {.name = "description", .type = V_STRING, .required = true, .min = 1, .max = 10000},
    [GF_CATEGORY] = {.name = "category", .type = V_STRING, .required = true, .min = 1, .max = 100},
    [GF_SKILLS] = {.name = "skills_required", .type = V_STRINGS, .max = 30, .item_max = 50},
    [GF_TOOLS] = {.name = "ai_tools_preferred", .type = V_STRINGS, .max = 30, .item_max = 50},
    [GF_BTYPE] = {.name = "budget_type", .type = V_ENUM, .required = true, .options = budget_types},
    [GF_BMIN] = {.name = "budget_min", .type = V_MONEY, .nullable = true, .min = 0, .max = 100000000},
    [GF_BMAX] = {.name = "budget_max", .type = V_MONEY, .nullable = true, .min = 0, .max = 100000000},
    [GF_DURATION] = {.name = "duration", .type = V_STRING, .nullable = true, .max = 100},
    [GF_LTYPE] = {.name = "location_type", .type = V_ENUM, .required = true, .options = gigs_location_types},
    [GF_LOCATION] = {.name = "location", .type = V_STRING, .nullable = true, .max = 200},
    [GF_STATUS] = {.name = "status", .type = V_ENUM, .options = create_statuses},
};

static const struct vfield *patch_fields(void)
{
    static struct vfield f[GF_STATUS];
    if (!f[0].name) {
        memcpy(f, gig_fields, sizeof f);
        for (int i = 0; i < GF_STATUS; i++)
            f[i].required = false;
    }
    return f;
}

static enum result budget_check(struct gctx *g, const struct vvalue *v)
{
    if (v[GF_BMIN].text && v[GF_BMAX].text && v[GF_BMIN].i > v[GF_BMAX].i)
        return gctx_fail_field(g, "budget_max", "must be at least budget_min");
    return R_SUCCESS;
}

/* The result of a write: the budget range constraint becomes a field error. */
static enum result write_result(struct gctx *g, enum result rc)
{
    if (rc == R_INVALID && db_violated(g, "gigs_budget_range"))
        return gctx_fail_field(g, "budget_max", "must be at least budget_min");
    if (rc == R_INVALID && db_violated(g, "gigs_category_fk"))
        return gctx_fail_field(g, "category_id", "is not a category of this organization");
    return rc;
}

/* An organization's job (org not NULL) takes the unit from its owner's plan (sql/008). */
STMT(st_quota_take, "SELECT post_usage_take($1, $2::uuid)");

/* Takes one activation from the monthly quota of the caller, or of org's owner
 * (inside a transaction). */
static enum result quota_take(struct gctx *g, const char *org)
{
    PGresult *r;
    enum result rc = DB_RUN(g, &r, &st_quota_take, g->user_id, org);
    if (rc)
        return rc;
    if (!db_bool(r, 0, 0))
        return gctx_fail(g, R_LIMIT, "The free plan allows 10 gig posts a month; upgrade to Pro for unlimited posts");
    return R_SUCCESS;
}

STMT(st_gig_insert,
     "WITH g AS (INSERT INTO gigs (poster_id, title, description, category, skills_required, ai_tools_preferred,"
     "           budget_type, budget_min, budget_max, duration, location_type, location, status,"
     "           organization_id, category_id)"
     "           VALUES ($1, $2, $3, $4, coalesce($5::text[], '{}'), coalesce($6::text[], '{}'), $7, $8::bigint,"
     "                   $9::bigint, $10, $11, $12, $13, $14::uuid, $15::uuid) RETURNING *)"
     " SELECT gig_json(ROW(g.*)::gigs, p) FROM g JOIN profiles p ON p.id = g.poster_id");

enum result gigs_create(struct gctx *g, const cJSON *body, const char **json)
{
    return gigs_create_in(g, body, NULL, NULL, json);
}

enum result gigs_create_in(struct gctx *g, const cJSON *body, const char *org, const char *category,
                           const char **json)
{
    struct vvalue v[GF_N];
    enum result rc = validate(g, body, gig_fields, v);
    if (!rc)
        rc = budget_check(g, v);
    if (rc)
        return rc;
    const char *status = v[GF_STATUS].s ? v[GF_STATUS].s : "active";
    rc = db_begin(g);
    if (rc)
        return rc;
    if (!strcmp(status, "active") && (rc = quota_take(g, org)))
        goto out;
    rc = DB_ONE(g, json, "Profile not found", &st_gig_insert, g->user_id, v[GF_TITLE].text, v[GF_DESC].text,
                v[GF_CATEGORY].text, v[GF_SKILLS].text, v[GF_TOOLS].text, v[GF_BTYPE].text, v[GF_BMIN].text,
                v[GF_BMAX].text, v[GF_DURATION].text, v[GF_LTYPE].text, v[GF_LOCATION].text, status, org, category);
    rc = write_result(g, rc);
out:
    return db_finish(g, rc);
}

/* The columns of st_gig_get (lib/sql/gigs.sql) and their JSON: gig_json's shape
 * (sql/008), rendered here because json_build_object cost PostgreSQL more CPU than the
 * fetch itself. t/api/gigs_render.t compares the two outputs. */
static const struct gig_col {
    const char *key;
    enum jout_type t;
} profile_cols[] = {
    {"id", JT_STR}, {"username", JT_STR}, {"full_name", JT_STR}, {"avatar_url", JT_STR},
    {"bio", JT_STR}, {"skills", JT_TEXTS}, {"ai_tools", JT_TEXTS}, {"hourly_rate", JT_MONEY},
    {"portfolio_urls", JT_TEXTS}, {"location", JT_STR}, {"timezone", JT_STR}, {"genres", JT_TEXTS},
    {"is_available", JT_BOOL}, {"profile_completed", JT_BOOL}, {"created_at", JT_TIME}, {"updated_at", JT_TIME},
}, org_cols[] = {
    {"id", JT_STR}, {"name", JT_STR}, {"slug", JT_STR}, {"description", JT_STR},
    {"website", JT_STR}, {"logo_url", JT_STR}, {"created_at", JT_TIME},
}, gig_tail_cols[] = {
    {"title", JT_STR}, {"description", JT_STR}, {"category", JT_STR}, {"skills_required", JT_TEXTS},
    {"ai_tools_preferred", JT_TEXTS}, {"budget_type", JT_STR}, {"budget_min", JT_MONEY},
    {"budget_max", JT_MONEY}, {"currency", JT_STR}, {"duration", JT_STR}, {"location_type", JT_STR},
    {"location", JT_STR}, {"gig_type", JT_STR}, {"status", JT_STR}, {"applications_count", JT_NUM},
    {"views_count", JT_NUM}, {"created_at", JT_TIME}, {"updated_at", JT_TIME},
};
enum { C_ID, C_POSTER_ID, C_ORG_ID, C_CATEGORY_ID, C_TAIL, C_PROFILE = C_TAIL + (int)ARRAY_SIZE(gig_tail_cols),
       C_ORG = C_PROFILE + (int)ARRAY_SIZE(profile_cols), C_MANAGER = C_ORG + (int)ARRAY_SIZE(org_cols) };

static void render_cols(struct jout *j, PGresult *r, int col, const struct gig_col *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        jout_key(j, c[i].key);
        jout_value(j, c[i].t, db_val(r, 0, col + (int)i));
    }
}

/* An embedded object (poster, organization), or null when `present` is false. */
static void render_embed(struct jout *j, const char *key, bool present, PGresult *r, int col,
                         const struct gig_col *c, size_t n)
{
    jout_key(j, key);
    if (!present) {
        jout_null(j);
        return;
    }
    jout_obj(j);
    render_cols(j, r, col, c, n);
    jout_obj_end(j);
}

/* An organization's job shows the organization instead of the member who posted it. */
static const char *render_gig(struct gctx *g, PGresult *r)
{
    struct buf b;
    struct jout j;
    buf_init(&b, g->a, 2048);
    jout_init(&j, &b);
    bool org = db_val(r, 0, C_ORG_ID) != NULL;
    jout_obj(&j);
    jout_key(&j, "id");
    jout_value(&j, JT_STR, db_val(r, 0, C_ID));
    jout_key(&j, "poster_id");
    jout_value(&j, JT_STR, org ? NULL : db_val(r, 0, C_POSTER_ID));
    render_embed(&j, "poster", !org && db_val(r, 0, C_PROFILE), r, C_PROFILE, profile_cols, ARRAY_SIZE(profile_cols));
    jout_key(&j, "organization_id");
    jout_value(&j, JT_STR, db_val(r, 0, C_ORG_ID));
    jout_key(&j, "category_id");
    jout_value(&j, JT_STR, db_val(r, 0, C_CATEGORY_ID));
    render_embed(&j, "organization", org && db_val(r, 0, C_ORG), r, C_ORG, org_cols, ARRAY_SIZE(org_cols));
    render_cols(&j, r, C_TAIL, gig_tail_cols, ARRAY_SIZE(gig_tail_cols));
    jout_obj_end(&j);
    return jout_ok(&j) ? b.p : NULL;
}

/* A read only reads: the view is noted for the worker's next batched flush
 * (gigs_views.c, run by the worker loop after the response), not counted here, and never
 * waited for; the caller's own views (C_MANAGER) do not count. */
enum result gigs_get(struct gctx *g, const char *id, const char *viewer, const char **json)
{
    if (!market_id(id))
        return gctx_fail(g, R_NOTFOUND, "Gig not found");
    PGresult *r;
    enum result rc = DB_RUN_READ(g, &r, &st_gig_get, id, g->user_id);
    if (rc)
        return rc;
    if (PQntuples(r) != 1 || PQnfields(r) != C_MANAGER + 1)
        return PQntuples(r) ? gctx_fail(g, R_ERR, "gig row shape") : gctx_fail(g, R_NOTFOUND, "Gig not found");
    *json = render_gig(g, r);
    if (!*json) {
        log_error("gig %s: a column is not in the shape render_gig expects", id);
        return gctx_fail(g, R_ERR, "gig render");
    }
    if (!db_bool(r, 0, C_MANAGER))
        gigs_views_note(id, viewer);
    return R_SUCCESS;
}

enum result gigs_update(struct gctx *g, const char *id, const cJSON *body, const char **json)
{
    return gigs_update_in(g, id, body, false, NULL, json);
}

enum result gigs_update_in(struct gctx *g, const char *id, const cJSON *body, bool set_category,
                           const char *category, const char **json)
{
    struct vvalue v[GF_STATUS];
    enum result rc = validate_n(g, body, patch_fields(), GF_STATUS, v);
    if (!rc)
        rc = budget_check(g, v);
    if (rc)
        return rc;
    if (!market_id(id))
        return gctx_fail(g, R_NOTFOUND, "Gig not found");
    /* A transaction, so the gig_update notifications of its applicants (sql/019's
     * trigger) are announced in real time on commit. */
    if ((rc = db_begin(g)))
        return rc;
    /* Each field goes as (was it sent, its value): st_gig_update keeps the columns not sent. */
#define GIGS_SENT(i) (v[i].present ? "true" : "false"), v[i].text
    rc = DB_ONE(g, json, "Gig not found", &st_gig_update, id, g->user_id, GIGS_SENT(GF_TITLE), GIGS_SENT(GF_DESC),
                GIGS_SENT(GF_CATEGORY), GIGS_SENT(GF_SKILLS), GIGS_SENT(GF_TOOLS), GIGS_SENT(GF_BTYPE),
                GIGS_SENT(GF_BMIN), GIGS_SENT(GF_BMAX), GIGS_SENT(GF_DURATION), GIGS_SENT(GF_LTYPE),
                GIGS_SENT(GF_LOCATION), set_category ? "true" : "false", category);
#undef GIGS_SENT
    return db_finish(g, write_result(g, rc));
}

STMT(st_gig_delete, "DELETE FROM gigs WHERE id = $1 AND gig_manager(organization_id, poster_id, $2) RETURNING id");

enum result gigs_delete(struct gctx *g, const char *id)
{
    if (!market_id(id))
        return gctx_fail(g, R_NOTFOUND, "Gig not found");
    const char *deleted;
    return DB_ONE(g, &deleted, "Gig not found", &st_gig_delete, id, g->user_id);
}

/* The legal status graph: drafts publish or close; live gigs pause, close or fill;
 * paused gigs come back or end; closed and filled are final. */
static bool transition_ok(const char *from, const char *to)
{
    static const struct { const char *from, *to; } ok[] = {
        {"draft", "active"}, {"draft", "closed"},
        {"active", "paused"}, {"active", "closed"}, {"active", "filled"},
        {"paused", "active"}, {"paused", "closed"}, {"paused", "filled"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(ok); i++)
        if (!strcmp(ok[i].from, from) && !strcmp(ok[i].to, to))
            return true;
    return false;
}

static const struct vfield status_fields[] = {
    {.name = "status", .type = V_ENUM, .required = true, .options = all_statuses},
};

STMT(st_gig_lock,
     "SELECT status, organization_id FROM gigs WHERE id = $1 AND gig_manager(organization_id, poster_id, $2)"
     " FOR UPDATE");
STMT(st_gig_set_status, "UPDATE gigs SET status = $2, updated_at = now() WHERE id = $1");
STMT(st_gig_reject_open,
     "WITH rej AS (UPDATE applications a SET status = 'rejected', updated_at = now() FROM gigs g"
     "             WHERE a.gig_id = $1 AND g.id = a.gig_id AND a.status IN ('pending', 'reviewing', 'shortlisted')"
     "             RETURNING a.id, a.applicant_id, g.title)"
     " SELECT count(notify(applicant_id, 'application_status', 'Application not selected',"
     "        'The gig \"' || title || '\" is no longer accepting applications',"
     "        jsonb_build_object('application_id', id, 'gig_id', $1::uuid, 'status', 'rejected'))) FROM rej");
STMT(st_gig_render, "SELECT gig_json(g, p) FROM gigs g JOIN profiles p ON p.id = g.poster_id WHERE g.id = $1");

/* Moves the locked gig from `from` to `to` with the transition's side effects. */
static enum result transition(struct gctx *g, const char *id, const char *org, const char *from, const char *to)
{
    if (!transition_ok(from, to))
        return gctx_fail_field(g, "status", arena_sprintf(g->a, "cannot change from %s to %s", from, to));
    enum result rc = R_SUCCESS;
    if (!strcmp(to, "active") && (rc = quota_take(g, org)))
        return rc;
    PGresult *r;
    /* Rejected first: sql/019's gig_update trigger skips rejected applicants, so they
     * are told once, by the more specific "not selected". */
    if ((!strcmp(to, "filled") || !strcmp(to, "closed")) && (rc = DB_RUN(g, &r, &st_gig_reject_open, id)))
        return rc;
    return DB_RUN(g, &r, &st_gig_set_status, id, to);
}

enum result gigs_set_status(struct gctx *g, const char *id, const cJSON *body, const char **json)
{
    struct vvalue v[1];
    enum result rc = validate(g, body, status_fields, v);
    if (rc)
        return rc;
    if (!market_id(id))
        return gctx_fail(g, R_NOTFOUND, "Gig not found");
    const char *to = v[0].s;
    PGresult *locked;
    if ((rc = db_begin(g)))
        return rc;
    if ((rc = DB_RUN(g, &locked, &st_gig_lock, id, g->user_id)))
        goto out;
    if (PQntuples(locked) != 1) {
        rc = gctx_fail(g, R_NOTFOUND, "Gig not found");
        goto out;
    }
    const char *from = db_val(locked, 0, 0);
    if (strcmp(from, to) && (rc = transition(g, id, db_val(locked, 0, 1), from, to)))
        goto out;
    rc = DB_ONE(g, json, "Gig not found", &st_gig_render, id);
out:
    return db_finish(g, rc);
}

/* ($1 user, $2 limit, $3 offset, $4 count cap) → total (exact up to the cap), the page. */
STMT(st_gigs_mine,
     "SELECT (SELECT count(*) FROM (SELECT FROM gigs WHERE poster_id = $1 LIMIT $4::int) c),"
     " (SELECT coalesce(json_agg(gig_json(g, p) ORDER BY g.created_at DESC, g.id DESC), '[]')"
     "  FROM (SELECT * FROM gigs WHERE poster_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3) g"
     "  JOIN profiles p ON p.id = g.poster_id)");

/* A paginated list of the caller's rows: (user, limit, offset, count cap) → total, page. */
static enum result own_page(struct gctx *g, struct stmt *st, const char *page, const char *limit, const char **json)
{
    struct paging pg;
    enum result rc = market_paging(g, page, limit, &pg);
    if (rc)
        return rc;
    PGresult *r;
    if ((rc = DB_RUN(g, &r, st, g->user_id, pg.limit_s, pg.offset_s, arena_sprintf(g->a, "%d", MARKET_OFFSET_MAX))))
        return rc;
    *json = market_paginated(g, &pg, db_val(r, 0, 1), db_ll(r, 0, 0));
    return R_SUCCESS;
}

enum result gigs_mine(struct gctx *g, const char *page, const char *limit, const char **json)
{
    return own_page(g, &st_gigs_mine, page, limit, json);
}

/* ---- bookmarks ---- */

STMT(st_gig_save,
     "WITH g AS (SELECT id FROM gigs WHERE id = $2 AND (status <> 'draft' OR poster_id = $1)),"
     " i AS (INSERT INTO saved_gigs (user_id, gig_id) SELECT $1, id FROM g ON CONFLICT DO NOTHING RETURNING 1)"
     " SELECT count(*) FROM g");
STMT(st_gig_unsave,
     "WITH d AS (DELETE FROM saved_gigs WHERE user_id = $1 AND gig_id = $2 RETURNING 1)"
     " SELECT (SELECT count(*) FROM d) + (SELECT count(*) FROM gigs WHERE id = $2"
     "        AND (status <> 'draft' OR poster_id = $1))");

enum result gigs_save(struct gctx *g, const char *id, bool save)
{
    if (!market_id(id))
        return gctx_fail(g, R_NOTFOUND, "Gig not found");
    PGresult *r;
    enum result rc = DB_RUN(g, &r, save ? &st_gig_save : &st_gig_unsave, g->user_id, id);
    if (rc)
        return rc;
    if (db_ll(r, 0, 0) == 0)
        return gctx_fail(g, R_NOTFOUND, "Gig not found");
    return R_SUCCESS;
}

STMT(st_gigs_saved,
     "SELECT (SELECT count(*) FROM (SELECT FROM saved_gigs s JOIN gigs g ON g.id = s.gig_id"
     "                              WHERE s.user_id = $1 AND (g.status <> 'draft' OR g.poster_id = $1)"
     "                              AND (g.hidden_at IS NULL OR g.poster_id = $1) LIMIT $4::int) c),"
     " (SELECT coalesce(json_agg(gig_json(g, p) ORDER BY x.saved_at DESC, g.id), '[]')"
     "  FROM (SELECT s.gig_id, s.created_at AS saved_at FROM saved_gigs s JOIN gigs g ON g.id = s.gig_id"
     "        WHERE s.user_id = $1 AND (g.status <> 'draft' OR g.poster_id = $1)"
     "        AND (g.hidden_at IS NULL OR g.poster_id = $1)" /* trust: taken down */
     "        ORDER BY s.created_at DESC, g.id LIMIT $2 OFFSET $3) x"
     "  JOIN gigs g ON g.id = x.gig_id JOIN profiles p ON p.id = g.poster_id)");

enum result gigs_saved(struct gctx *g, const char *page, const char *limit, const char **json)
{
    return own_page(g, &st_gigs_saved, page, limit, json);
}

STMT(st_gigs_usage, "SELECT usage_json($1)");

enum result gigs_usage(struct gctx *g, const char **json)
{
    return DB_ONE(g, json, NULL, &st_gigs_usage, g->user_id);
}
