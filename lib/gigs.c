/* gigs.c — gig lifecycle, search and bookmarks. Reads render JSON in PostgreSQL
 * (gig_json with the poster joined, never N+1). Every change to `active` takes one unit
 * of the monthly quota through post_usage_take() in the same transaction as the change,
 * so a rollback returns it and concurrent posts by one user cannot overshoot. */
#include "gigs.h"
#include "buf.h"
#include "db.h"
#include "log.h"
#include "market.h"
#include "validate.h"
#include "sql_gigs.h"
#include "util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const budget_types[] = {"fixed", "hourly", NULL};
static const char *const location_types[] = {"remote", "onsite", "hybrid", NULL};
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
    [GF_LTYPE] = {.name = "location_type", .type = V_ENUM, .required = true, .options = location_types},
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

/* A failed write: the budget range constraint becomes a field error. */
static enum result write_failed(struct gctx *g)
{
    if (g->res == R_INVALID && db_violated(g, "gigs_budget_range"))
        return gctx_fail_field(g, "budget_max", "must be at least budget_min");
    return g->res;
}

STMT(st_quota_take, "SELECT post_usage_take($1)");

/* Takes one activation from the caller's monthly quota (inside a transaction). */
static enum result quota_take(struct gctx *g)
{
    PGresult *r = DBQ(g, &st_quota_take, g->user_id);
    if (!r)
        return g->res;
    if (!db_bool(r, 0, 0))
        return gctx_fail(g, R_LIMIT, "The free plan allows 10 gig posts a month; upgrade to Pro for unlimited posts");
    return R_SUCCESS;
}

STMT(st_gig_insert,
     "WITH g AS (INSERT INTO gigs (poster_id, title, description, category, skills_required, ai_tools_preferred,"
     "           budget_type, budget_min, budget_max, duration, location_type, location, status)"
     "           VALUES ($1, $2, $3, $4, coalesce($5::text[], '{}'), coalesce($6::text[], '{}'), $7, $8::bigint,"
     "                   $9::bigint, $10, $11, $12, $13) RETURNING *)"
     " SELECT gig_json(ROW(g.*)::gigs, p) FROM g JOIN profiles p ON p.id = g.poster_id");

enum result gigs_create(struct gctx *g, const cJSON *body, const char **json)
{
    struct vvalue v[GF_N];
    if (validate(g, body, gig_fields, v) != R_SUCCESS || budget_check(g, v) != R_SUCCESS)
        return g->res;
    const char *status = v[GF_STATUS].s ? v[GF_STATUS].s : "active";
    if (db_begin(g) != R_SUCCESS)
        return g->res;
    if (!strcmp(status, "active") && quota_take(g) != R_SUCCESS)
        goto fail;
    PGresult *r = DBQ(g, &st_gig_insert, g->user_id, v[GF_TITLE].text, v[GF_DESC].text, v[GF_CATEGORY].text,
                      v[GF_SKILLS].text, v[GF_TOOLS].text, v[GF_BTYPE].text, v[GF_BMIN].text, v[GF_BMAX].text,
                      v[GF_DURATION].text, v[GF_LTYPE].text, v[GF_LOCATION].text, status);
    if (!r) {
        write_failed(g);
        goto fail;
    }
    *json = db_val(r, 0, 0);
    return db_commit(g);
fail:
    db_rollback(g);
    return g->res;
}

STMT(st_gig_view,
     "WITH v AS (UPDATE gigs SET views_count = views_count + 1"
     "           WHERE id = $1 AND (status <> 'draft' OR poster_id = $2::uuid) RETURNING *)"
     " SELECT gig_json(ROW(v.*)::gigs, p) FROM v JOIN profiles p ON p.id = v.poster_id");

enum result gigs_get(struct gctx *g, const char *id, const char **json)
{
    if (!market_id(id))
        return gctx_fail(g, R_NOTFOUND, "Gig not found");
    PGresult *r = DBQ(g, &st_gig_view, id, g->user_id);
    if (!r)
        return g->res;
    if (PQntuples(r) != 1)
        return gctx_fail(g, R_NOTFOUND, "Gig not found");
    *json = db_val(r, 0, 0);
    return R_SUCCESS;
}

enum result gigs_update(struct gctx *g, const char *id, const cJSON *body, const char **json)
{
    struct vvalue v[GF_STATUS];
    if (validate_n(g, body, patch_fields(), GF_STATUS, v) != R_SUCCESS || budget_check(g, v) != R_SUCCESS)
        return g->res;
    if (!market_id(id))
        return gctx_fail(g, R_NOTFOUND, "Gig not found");
#define P(i) (v[i].present ? "true" : "false"), v[i].text
    PGresult *r = DBQ(g, &st_gig_update, id, g->user_id, P(GF_TITLE), P(GF_DESC), P(GF_CATEGORY), P(GF_SKILLS),
                      P(GF_TOOLS), P(GF_BTYPE), P(GF_BMIN), P(GF_BMAX), P(GF_DURATION), P(GF_LTYPE),
                      P(GF_LOCATION));
#undef P
    if (!r)
        return write_failed(g);
    if (PQntuples(r) != 1)
        return gctx_fail(g, R_NOTFOUND, "Gig not found");
    *json = db_val(r, 0, 0);
    return R_SUCCESS;
}

STMT(st_gig_delete, "DELETE FROM gigs WHERE id = $1 AND poster_id = $2 RETURNING id");

enum result gigs_delete(struct gctx *g, const char *id)
{
    if (!market_id(id))
        return gctx_fail(g, R_NOTFOUND, "Gig not found");
    PGresult *r = DBQ(g, &st_gig_delete, id, g->user_id);
    if (!r)
        return g->res;
    if (PQntuples(r) != 1)
        return gctx_fail(g, R_NOTFOUND, "Gig not found");
    return R_SUCCESS;
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

STMT(st_gig_lock, "SELECT status FROM gigs WHERE id = $1 AND poster_id = $2 FOR UPDATE");
STMT(st_gig_set_status, "UPDATE gigs SET status = $2, updated_at = now() WHERE id = $1");
STMT(st_gig_reject_open,
     "WITH rej AS (UPDATE applications a SET status = 'rejected', updated_at = now() FROM gigs g"
     "             WHERE a.gig_id = $1 AND g.id = a.gig_id AND a.status IN ('pending', 'reviewing', 'shortlisted')"
     "             RETURNING a.id, a.applicant_id, g.title)"
     " SELECT count(notify(applicant_id, 'application_status', 'Application not selected',"
     "        'The gig \"' || title || '\" is no longer accepting applications',"
     "        jsonb_build_object('application_id', id, 'gig_id', $1::uuid, 'status', 'rejected'))) FROM rej");
STMT(st_gig_render, "SELECT gig_json(g, p) FROM gigs g JOIN profiles p ON p.id = g.poster_id WHERE g.id = $1");

enum result gigs_set_status(struct gctx *g, const char *id, const cJSON *body, const char **json)
{
    struct vvalue v[1];
    if (validate(g, body, status_fields, v) != R_SUCCESS)
        return g->res;
    if (!market_id(id))
        return gctx_fail(g, R_NOTFOUND, "Gig not found");
    const char *to = v[0].s;
    if (db_begin(g) != R_SUCCESS)
        return g->res;
    PGresult *r = DBQ(g, &st_gig_lock, id, g->user_id);
    if (!r)
        goto fail;
    if (PQntuples(r) != 1) {
        gctx_fail(g, R_NOTFOUND, "Gig not found");
        goto fail;
    }
    const char *from = arena_strdup(g->a, db_val(r, 0, 0));
    if (strcmp(from, to)) {
        if (!transition_ok(from, to)) {
            gctx_fail_field(g, "status", arena_sprintf(g->a, "cannot change from %s to %s", from, to));
            goto fail;
        }
        if (!strcmp(to, "active") && quota_take(g) != R_SUCCESS)
            goto fail;
        if (!DBQ(g, &st_gig_set_status, id, to))
            goto fail;
        if ((!strcmp(to, "filled") || !strcmp(to, "closed")) && !DBQ(g, &st_gig_reject_open, id))
            goto fail;
    }
    if (!(r = DBQ(g, &st_gig_render, id)))
        goto fail;
    *json = db_val(r, 0, 0);
    return db_commit(g);
fail:
    db_rollback(g);
    return g->res;
}

STMT(st_gigs_mine,
     "SELECT coalesce(json_agg(gig_json(g, p) ORDER BY g.created_at DESC, g.id DESC), '[]')"
     " FROM gigs g JOIN profiles p ON p.id = g.poster_id WHERE g.poster_id = $1");

enum result gigs_mine(struct gctx *g, const char **json)
{
    PGresult *r = DBQ(g, &st_gigs_mine, g->user_id);
    if (!r)
        return g->res;
    *json = db_val(r, 0, 0);
    return R_SUCCESS;
}

/* ---- search ----
 * Each combination of present filters gets its own statement text (built only from the
 * fixed fragments below, values always bound as $n), prepared once per connection.
 * Absent filters are then absent from the SQL, so each variant plans with its indexes
 * instead of a generic `($n IS NULL OR ...)` plan that can use none. */

enum { SF_SEARCH, SF_CATEGORY, SF_SKILLS, SF_TOOLS, SF_BMIN, SF_BMAX, SF_LTYPE, SF_POSTED, SF_N };

static const char *const search_conds[SF_N] = {
    [SF_SEARCH] = "g.search_tsv @@ websearch_to_tsquery('english', $%d)",
    [SF_CATEGORY] = "g.category = $%d",
    [SF_SKILLS] = "g.skills_required && $%d::text[]",
    [SF_TOOLS] = "g.ai_tools_preferred && $%d::text[]",
    [SF_BMIN] = "coalesce(g.budget_max, g.budget_min) >= $%d::bigint",
    [SF_BMAX] = "coalesce(g.budget_min, g.budget_max) <= $%d::bigint",
    [SF_LTYPE] = "g.location_type = $%d",
    [SF_POSTED] = "g.created_at >= now() - $%d::interval",
};

#define SEARCH_VARIANTS (1 << (SF_N + 1))
static struct stmt search_stmts[SEARCH_VARIANTS];

static struct stmt *search_stmt(unsigned mask, bool by_budget)
{
    unsigned key = mask | (by_budget ? 1u << SF_N : 0);
    struct stmt *s = &search_stmts[key];
    if (s->sql)
        return s;
    /* Built once per process from constant fragments; kept for the process's life. */
    char where[1024];
    int n = snprintf(where, sizeof where, "g.status = 'active'");
    int param = 3;
    for (int i = 0; i < SF_N; i++) {
        if (!(mask & (1u << i)))
            continue;
        /* Each fragment holds one "$%d": split there rather than use it as a format. */
        const char *at = strstr(search_conds[i], "%d");
        n += snprintf(where + n, sizeof where - (size_t)n, " AND %.*s%d%s", (int)(at - search_conds[i]),
                      search_conds[i], param++, at + 2);
    }
    const char *order = by_budget ? "g.budget_max DESC NULLS LAST, g.created_at DESC, g.id DESC"
                                  : "g.created_at DESC, g.id DESC";
    /* Unfiltered: the exact total comes from the per-status counters (sql/002). */
    char count[1100];
    if (mask)
        snprintf(count, sizeof count, "SELECT count(*) FROM gigs g WHERE %s", where);
    else
        snprintf(count, sizeof count, "SELECT coalesce(sum(n), 0) FROM gig_counts WHERE status = 'active'");
    char *sql = NULL;
    if (asprintf(&sql,
                 "SELECT (%s),"
                 " (SELECT coalesce(json_agg(gig_json(s.g, p) ORDER BY s.rn), '[]')"
                 "  FROM (SELECT x.g, row_number() OVER () AS rn"
                 "        FROM (SELECT g FROM gigs g WHERE %s ORDER BY %s LIMIT $1::int OFFSET $2::int) x) s"
                 "  JOIN profiles p ON p.id = (s.g).poster_id)",
                 count, where, order) < 0)
        return NULL;
    char *name = NULL;
    if (asprintf(&name, "st_gig_search_%u", key) < 0) {
        free(sql);
        return NULL;
    }
    s->name = name;
    s->sql = sql;
    s->prepared_gen = 0;
    return s;
}

/* "a, b,c" → a PostgreSQL text[] literal of trimmed, non-empty items; NULL + field error if bad. */
static const char *csv_param(struct gctx *g, const char *field, const char *s)
{
    const char *items[21];
    int n = 0;
    char *copy = arena_strdup(g->a, s);
    char *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        while (*t == ' ' || *t == '\t')
            t++;
        char *e = t + strlen(t);
        while (e > t && (e[-1] == ' ' || e[-1] == '\t'))
            *--e = '\0';
        if (!*t)
            continue;
        if (n == 20) {
            gctx_fail_field(g, field, "must list at most 20 items");
            return NULL;
        }
        if (!valid_utf8(t) || utf8_chars(t) > 50) {
            gctx_fail_field(g, field, "items must be at most 50 characters");
            return NULL;
        }
        items[n++] = t;
    }
    if (n == 0) {
        gctx_fail_field(g, field, "must list at least one item");
        return NULL;
    }
    return pg_text_array(g->a, items, n);
}

static const char *text_param(struct gctx *g, const char *field, const char *s, size_t max)
{
    if (!valid_utf8(s) || utf8_chars(s) > max) {
        gctx_fail_field(g, field, arena_sprintf(g->a, "must be at most %zu characters", max));
        return NULL;
    }
    if (!*s) {
        gctx_fail_field(g, field, "must not be empty");
        return NULL;
    }
    return s;
}

/* Broad searches build GIN bitmaps of 10k-100k+ entries (one common skill or tool alone
 * matches ~90k active gigs at a million); at the default 4 MB work_mem such bitmaps go
 * lossy and every row of every page is rechecked (with the two-bitmap AND of sql/002's
 * indexes: 300 ms instead of 40). Raised once per connection (the setting lives in the
 * session). Custom plans are forced too: after five executions a prepared statement may
 * switch to a generic plan, which cannot see how many gigs the bound words and skills
 * match; for the broad search it sorted all 14,790 matches for the page (31 ms) instead
 * of walking (status, created_at) until 20 match (2 ms). Session settings, so they also
 * apply to the connection's later statements (the recommendations rely on custom plans
 * for the same reason; planning a PK lookup each time costs well under a millisecond). */
STMT(st_gig_search_mem,
     "SELECT set_config('work_mem', '32MB', false), set_config('plan_cache_mode', 'force_custom_plan', false)");

static enum result search_session(struct gctx *g)
{
    static unsigned done_gen;
    if (done_gen == g->db->gen && g->db->conn)
        return R_SUCCESS;
    if (!DBQ0(g, &st_gig_search_mem))
        return g->res;
    done_gen = g->db->gen;
    return R_SUCCESS;
}

enum result gigs_search(struct gctx *g, const struct gig_query *q, const char **json)
{
    const char *vals[SF_N] = {0};
    unsigned mask = 0;
    bool bad = false;
    struct paging pg;
    if (!market_paging(g, q->page, q->limit, &pg))
        bad = true;
#define TAKE(i, expr)                                                                                          \
    do {                                                                                                       \
        if ((vals[i] = (expr)) != NULL)                                                                        \
            mask |= 1u << (i);                                                                                 \
        else                                                                                                   \
            bad = true;                                                                                        \
    } while (0)
    if (q->search)
        TAKE(SF_SEARCH, text_param(g, "search", q->search, 200));
    if (q->category)
        TAKE(SF_CATEGORY, text_param(g, "category", q->category, 100));
    if (q->skills)
        TAKE(SF_SKILLS, csv_param(g, "skills", q->skills));
    if (q->ai_tools)
        TAKE(SF_TOOLS, csv_param(g, "ai_tools", q->ai_tools));
    long long bmin = 0, bmax = 0;
    if (q->budget_min)
        TAKE(SF_BMIN, market_money_param(g, "budget_min", q->budget_min, &bmin));
    if (q->budget_max)
        TAKE(SF_BMAX, market_money_param(g, "budget_max", q->budget_max, &bmax));
    if ((mask & (1u << SF_BMIN)) && (mask & (1u << SF_BMAX)) && bmin > bmax) {
        gctx_fail_field(g, "budget_max", "must be at least budget_min");
        bad = true;
    }
    if (q->location_type) {
        const char *lt = NULL;
        for (const char *const *o = location_types; *o; o++)
            if (!strcmp(*o, q->location_type))
                lt = *o;
        if (!lt)
            gctx_fail_field(g, "location_type", "must be one of: remote onsite hybrid");
        TAKE(SF_LTYPE, lt);
    }
    if (q->posted_within) {
        const char *iv = !strcmp(q->posted_within, "day")     ? "1 day"
                         : !strcmp(q->posted_within, "week")  ? "7 days"
                         : !strcmp(q->posted_within, "month") ? "1 month"
                                                              : NULL;
        if (!iv)
            gctx_fail_field(g, "posted_within", "must be one of: day week month");
        TAKE(SF_POSTED, iv);
    }
#undef TAKE
    bool by_budget = false;
    if (q->sort) {
        if (!strcmp(q->sort, "budget"))
            by_budget = true;
        else if (strcmp(q->sort, "newest")) {
            gctx_fail_field(g, "sort", "must be one of: newest budget");
            bad = true;
        }
    }
    if (bad)
        return gctx_fail(g, R_INVALID, "Validation failed");
    if (search_session(g) != R_SUCCESS)
        return g->res;
    struct stmt *s = search_stmt(mask, by_budget);
    if (!s)
        return gctx_fail(g, R_ERR, "Internal error");
    const char *params[2 + SF_N];
    int n = 0;
    params[n++] = pg.limit_s;
    params[n++] = pg.offset_s;
    for (int i = 0; i < SF_N; i++)
        if (mask & (1u << i))
            params[n++] = vals[i];
    PGresult *r = db_query(g, s, n, params);
    if (!r)
        return g->res;
    *json = market_paginated(g, &pg, db_val(r, 0, 1), db_ll(r, 0, 0));
    return R_SUCCESS;
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
    PGresult *r = DBQ(g, save ? &st_gig_save : &st_gig_unsave, g->user_id, id);
    if (!r)
        return g->res;
    if (db_ll(r, 0, 0) == 0)
        return gctx_fail(g, R_NOTFOUND, "Gig not found");
    return R_SUCCESS;
}

STMT(st_gigs_saved,
     "SELECT coalesce(json_agg(gig_json(g, p) ORDER BY s.created_at DESC, g.id), '[]')"
     " FROM saved_gigs s JOIN gigs g ON g.id = s.gig_id JOIN profiles p ON p.id = g.poster_id"
     " WHERE s.user_id = $1 AND (g.status <> 'draft' OR g.poster_id = $1)");

enum result gigs_saved(struct gctx *g, const char **json)
{
    PGresult *r = DBQ(g, &st_gigs_saved, g->user_id);
    if (!r)
        return g->res;
    *json = db_val(r, 0, 0);
    return R_SUCCESS;
}

STMT(st_gigs_usage, "SELECT usage_json($1)");

enum result gigs_usage(struct gctx *g, const char **json)
{
    PGresult *r = DBQ(g, &st_gigs_usage, g->user_id);
    if (!r)
        return g->res;
    *json = db_val(r, 0, 0);
    return R_SUCCESS;
}

/* ---- recommendations ----
 * Candidates: active gigs (not the caller's) sharing at least one skill or tool with the
 * profile — or, for an empty profile, all active gigs — posted in the last 180 days,
 * newest 500 only, so the ranking
 * never sorts an unbounded set. The profile's arrays are bound as parameters (not joined)
 * so the planner sees them: a rare skill plans as a GIN bitmap, a common one as a walk
 * down (status, created_at) that stops at 500. Score: 3 per shared skill, 2 per shared
 * tool, up to 2 for a budget that meets the hourly rate, up to 2 for recency (~a week). */
STMT(st_gigs_rec_profile, "SELECT skills, ai_tools, hourly_rate FROM profiles WHERE id = $1");
STMT(st_gigs_recommended,
     "WITH cand AS (SELECT g FROM gigs g WHERE g.status = 'active' AND g.poster_id <> $1"
     "          AND g.created_at > now() - interval '180 days'"
     "          AND (cardinality($2::text[]) + cardinality($3::text[]) = 0"
     "               OR g.skills_required && $2::text[] OR g.ai_tools_preferred && $3::text[])"
     "          ORDER BY g.created_at DESC LIMIT 500),"
     " scored AS (SELECT c.g,"
     "   3 * cardinality(ARRAY(SELECT unnest((c.g).skills_required) INTERSECT SELECT unnest($2::text[])))"
     " + 2 * cardinality(ARRAY(SELECT unnest((c.g).ai_tools_preferred) INTERSECT SELECT unnest($3::text[])))"
     " + CASE WHEN $4::bigint IS NULL OR (c.g).budget_max IS NULL THEN 0"
     "        WHEN (c.g).budget_type = 'hourly' AND (c.g).budget_max >= $4::bigint THEN 2"
     "        WHEN (c.g).budget_type = 'hourly' THEN 2.0 * (c.g).budget_max / greatest($4::bigint, 1)"
     "        ELSE 1 END"
     " + 2.0 / (1 + extract(epoch FROM now() - (c.g).created_at) / 604800) AS score"
     "   FROM cand c)"
     " SELECT (SELECT count(*) FROM cand),"
     "  (SELECT coalesce(json_agg((gig_json(s.g, p)::jsonb || jsonb_build_object('match_score', round(s.score, 2)))"
     "                            ORDER BY s.score DESC, (s.g).created_at DESC), '[]')"
     "   FROM (SELECT * FROM scored ORDER BY score DESC, (g).created_at DESC LIMIT $5::int OFFSET $6::int) s"
     "   JOIN profiles p ON p.id = (s.g).poster_id)");

enum result gigs_recommended(struct gctx *g, const char *page, const char *limit, const char **json)
{
    struct paging pg;
    if (!market_paging(g, page, limit, &pg))
        return R_INVALID;
    PGresult *me = DBQ(g, &st_gigs_rec_profile, g->user_id);
    if (!me)
        return g->res;
    if (PQntuples(me) != 1)
        return gctx_fail(g, R_NOTFOUND, "Profile not found");
    PGresult *r = DBQ(g, &st_gigs_recommended, g->user_id, db_val(me, 0, 0), db_val(me, 0, 1), db_val(me, 0, 2),
                      pg.limit_s, pg.offset_s);
    if (!r)
        return g->res;
    *json = market_paginated(g, &pg, db_val(r, 0, 1), db_ll(r, 0, 0));
    return R_SUCCESS;
}
