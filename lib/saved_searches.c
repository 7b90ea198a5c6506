/* saved_searches.c — create, list and delete the caller's saved searches. The filters go
 * through the gig search's own parser (gigs_filters_parse), so a saved search accepts
 * and means exactly what GET /api/gigs does; matching new gigs is sql/019's trigger. */
#include "saved_searches.h"
#include "db.h"
#include "gigs.h"
#include "market.h"
#include "validate.h"
#include "sql_saved_searches.h"
#include <stdio.h>
#include <string.h>

/* The body's filter → the query-string form gigs_filters_parse reads: strings as they
 * are, budgets as numbers, skills/tools as arrays of strings (joined with commas) or a
 * comma list. NULL when absent or null; a wrong type is a field error (*bad set). */
static const char *filter_text(struct gctx *g, const cJSON *f, const char *name, bool *bad)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(f, name);
    if (!v || cJSON_IsNull(v))
        return NULL;
    bool money = !strcmp(name, "budget_min") || !strcmp(name, "budget_max");
    bool list = !strcmp(name, "skills") || !strcmp(name, "ai_tools");
    if (cJSON_IsString(v))
        return v->valuestring;
    if (money && cJSON_IsNumber(v))
        return arena_sprintf(g->a, "%.15g", v->valuedouble);
    if (list && cJSON_IsArray(v)) {
        const char *out = "";
        const cJSON *item;
        cJSON_ArrayForEach(item, v) {
            if (!cJSON_IsString(item) || strchr(item->valuestring, ',')) {
                *bad = true;
                gctx_fail_field(g, arena_sprintf(g->a, "filters.%s", name), "items must be strings without commas");
                return NULL;
            }
            out = *out ? arena_sprintf(g->a, "%s,%s", out, item->valuestring) : item->valuestring;
        }
        return *out ? out : " "; /* an empty list: the parser says "at least one item" */
    }
    *bad = true;
    gctx_fail_field(g, arena_sprintf(g->a, "filters.%s", name),
                    money ? "must be a number" : list ? "must be an array of strings" : "must be a string");
    return NULL;
}

/* The field errors of gigs_filters_parse are named as the query parameters ("skills");
 * in a body they are members of filters. */
static void prefix_fields(struct gctx *g)
{
    cJSON *old = g->fields; /* owned by the arena: left for it to free */
    if (!old)
        return;
    g->fields = NULL;
    const cJSON *f;
    cJSON_ArrayForEach(f, old) {
        const char *name = strncmp(f->string, "filters.", 8) ? arena_sprintf(g->a, "filters.%s", f->string) : f->string;
        gctx_fail_field(g, name, cJSON_IsString(f) ? f->valuestring : "is invalid");
    }
}

static enum result read_filters(struct gctx *g, const cJSON *body, struct gig_filters *out, const char **pw)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(body, "filters");
    if (f && !cJSON_IsObject(f))
        return gctx_fail_field(g, "filters", "must be an object");
    if (!f)
        f = body; /* GigFilters at the top level */
    bool bad = false;
    struct gig_query q = {
        .search = filter_text(g, f, "search", &bad), .category = filter_text(g, f, "category", &bad),
        .skills = filter_text(g, f, "skills", &bad), .ai_tools = filter_text(g, f, "ai_tools", &bad),
        .budget_min = filter_text(g, f, "budget_min", &bad), .budget_max = filter_text(g, f, "budget_max", &bad),
        .location_type = filter_text(g, f, "location_type", &bad),
        .posted_within = filter_text(g, f, "posted_within", &bad), .sort = filter_text(g, f, "sort", &bad),
    };
    enum result rc = gigs_filters_parse(g, &q, out);
    prefix_fields(g);
    if (rc || bad)
        return gctx_fail(g, R_INVALID, "Validation failed");
    if (!out->search && !out->category && !out->skills && !out->ai_tools && !out->budget_min && !out->budget_max &&
        !out->location_type && !out->posted_within)
        return gctx_fail_field(g, "filters", "must set at least one filter");
    *pw = q.posted_within;
    return R_SUCCESS;
}

static const struct vfield name_field[] = {
    {.name = "name", .type = V_STRING, .nullable = true, .min = 1, .max = 100},
};

/* Serialises one user's creations (the count under SAVED_SEARCHES_MAX stays exact when
 * two run at once); released at the end of the transaction. */
STMT(st_ss_lock, "SELECT pg_advisory_xact_lock(hashtextextended('saved_searches:' || $1, 0))");

enum result saved_searches_create(struct gctx *g, const cJSON *body, const char **json)
{
    struct vvalue v[ARRAY_SIZE(name_field)];
    struct gig_filters f;
    const char *pw = NULL;
    /* The filters first: their errors are renamed "filters.X" before name's is added. */
    enum result rc = cJSON_IsObject(body) ? read_filters(g, body, &f, &pw) : R_SUCCESS;
    if (validate(g, body, name_field, v))
        rc = R_INVALID;
    if (rc)
        return gctx_fail(g, R_INVALID, "Validation failed");
    PGresult *r;
    if ((rc = db_begin(g)))
        return rc;
    if ((rc = DB_RUN(g, &r, &st_ss_lock, g->user_id)))
        goto out;
    const char *max = arena_sprintf(g->a, "%d", SAVED_SEARCHES_MAX);
    rc = DB_RUN(g, &r, &st_ss_insert, g->user_id, v[0].text, f.search, f.category, f.skills, f.ai_tools,
                f.budget_min, f.budget_max, f.location_type, f.posted_within, pw, f.sort, max);
    if (rc)
        goto out;
    if (PQntuples(r) != 1) {
        rc = gctx_fail(g, R_CONFLICT, arena_sprintf(g->a, "At most %d saved searches", SAVED_SEARCHES_MAX));
        goto out;
    }
    *json = db_val(r, 0, 0);
out:
    return db_finish(g, rc);
}

enum result saved_searches_list(struct gctx *g, const char *page, const char *limit, const char **json)
{
    return market_owned_page(g, &st_ss_list, g->user_id, page, limit, json);
}

STMT(st_ss_delete, "DELETE FROM saved_searches WHERE id = $1 AND user_id = $2 RETURNING id");

enum result saved_searches_delete(struct gctx *g, const char *id)
{
    if (!market_id(id))
        return gctx_fail(g, R_NOTFOUND, "Saved search not found");
    const char *out;
    return DB_ONE(g, &out, "Saved search not found", &st_ss_delete, id, g->user_id);
}

enum result saved_searches_cron_digests(struct gctx *g, const char **json)
{
    return DB_ONE0(g, json, "No digest summary", &st_ss_digests);
}
