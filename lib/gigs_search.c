/* gigs_search.c — GET /api/gigs: the query string's filters are checked (every bad
 * one named in one answer), then the statement for exactly the filters present runs.
 *
 * Each combination of present filters gets its own statement text (built only from the
 * fixed fragments below, values always bound as $n), prepared once per connection.
 * Absent filters are then absent from the SQL, so each variant plans with its indexes
 * instead of a generic `($n IS NULL OR ...)` plan that can use none. */
#include "gigs.h"
#include "db.h"
#include "market.h"
#include "validate.h"
#include "util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* The checked query: vals[i] is bound for each filter i set in mask. */
struct search {
    struct paging pg;
    const char *vals[SF_N];
    unsigned mask;
    bool by_budget;
    long long bmin, bmax;
    bool bad;   /* some parameter was refused (each named in g->fields) */
};

#define SEARCH_VARIANTS (1 << (SF_N + 1))
static struct stmt search_stmts[SEARCH_VARIANTS];

/* " AND cond AND cond ..." of the filters in mask, their parameters numbered from $3. */
static void search_where(unsigned mask, char *where, size_t size)
{
    int n = snprintf(where, size, "g.status = 'active'");
    int param = 3;
    for (int i = 0; i < SF_N; i++) {
        if (!(mask & (1u << i)))
            continue;
        /* Each fragment holds one "$%d": split there rather than use it as a format. */
        const char *at = strstr(search_conds[i], "%d");
        n += snprintf(where + n, size - (size_t)n, " AND %.*s%d%s", (int)(at - search_conds[i]), search_conds[i],
                      param++, at + 2);
    }
}

static struct stmt *search_stmt(unsigned mask, bool by_budget)
{
    unsigned key = mask | (by_budget ? 1u << SF_N : 0);
    struct stmt *s = &search_stmts[key];
    if (s->sql)
        return s;
    /* Built once per process from constant fragments; kept for the process's life. */
    char where[1024];
    search_where(mask, where, sizeof where);
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

/* ---- the filters: each checks one raw value and records it, or names the field ---- */

static void take(struct search *q, int i, const char *val)
{
    if (val) {
        q->vals[i] = val;
        q->mask |= 1u << i;
    } else {
        q->bad = true;
    }
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
        if (!validate_utf8(t) || validate_utf8_chars(t) > 50) {
            gctx_fail_field(g, field, "items must be at most 50 characters");
            return NULL;
        }
        items[n++] = t;
    }
    if (n == 0) {
        gctx_fail_field(g, field, "must list at least one item");
        return NULL;
    }
    return validate_text_array(g->a, items, n);
}

/* Non-empty UTF-8 of at most max characters; NULL + field error if bad. */
static const char *text_param(struct gctx *g, const char *field, const char *s, size_t max)
{
    if (!validate_utf8(s) || validate_utf8_chars(s) > max) {
        gctx_fail_field(g, field, arena_sprintf(g->a, "must be at most %zu characters", max));
        return NULL;
    }
    if (!*s) {
        gctx_fail_field(g, field, "must not be empty");
        return NULL;
    }
    return s;
}

static void take_words(struct gctx *g, const struct gig_query *in, struct search *q)
{
    if (in->search)
        take(q, SF_SEARCH, text_param(g, "search", in->search, 200));
    if (in->category)
        take(q, SF_CATEGORY, text_param(g, "category", in->category, 100));
    if (in->skills)
        take(q, SF_SKILLS, csv_param(g, "skills", in->skills));
    if (in->ai_tools)
        take(q, SF_TOOLS, csv_param(g, "ai_tools", in->ai_tools));
}

static void take_budget(struct gctx *g, const struct gig_query *in, struct search *q)
{
    if (in->budget_min)
        take(q, SF_BMIN, market_money_param(g, "budget_min", in->budget_min, &q->bmin));
    if (in->budget_max)
        take(q, SF_BMAX, market_money_param(g, "budget_max", in->budget_max, &q->bmax));
    if ((q->mask & (1u << SF_BMIN)) && (q->mask & (1u << SF_BMAX)) && q->bmin > q->bmax) {
        gctx_fail_field(g, "budget_max", "must be at least budget_min");
        q->bad = true;
    }
}

static void take_location_type(struct gctx *g, const char *s, struct search *q)
{
    const char *lt = NULL;
    for (const char *const *o = gigs_location_types; *o; o++)
        if (!strcmp(*o, s))
            lt = *o;
    if (!lt)
        gctx_fail_field(g, "location_type", "must be one of: remote onsite hybrid");
    take(q, SF_LTYPE, lt);
}

static void take_posted_within(struct gctx *g, const char *s, struct search *q)
{
    static const struct { const char *word, *interval; } within[] = {
        {"day", "1 day"}, {"week", "7 days"}, {"month", "1 month"},
    };
    const char *iv = NULL;
    for (size_t i = 0; i < ARRAY_SIZE(within); i++)
        if (!strcmp(within[i].word, s))
            iv = within[i].interval;
    if (!iv)
        gctx_fail_field(g, "posted_within", "must be one of: day week month");
    take(q, SF_POSTED, iv);
}

static void take_sort(struct gctx *g, const char *s, struct search *q)
{
    if (!strcmp(s, "budget"))
        q->by_budget = true;
    else if (strcmp(s, "newest")) {
        gctx_fail_field(g, "sort", "must be one of: newest budget");
        q->bad = true;
    }
}

/* Checks every parameter (so one answer names all the bad ones) into q. */
static enum result search_parse(struct gctx *g, const struct gig_query *in, struct search *q)
{
    if (!market_paging(g, in->page, in->limit, &q->pg))
        q->bad = true;
    take_words(g, in, q);
    take_budget(g, in, q);
    if (in->location_type)
        take_location_type(g, in->location_type, q);
    if (in->posted_within)
        take_posted_within(g, in->posted_within, q);
    if (in->sort)
        take_sort(g, in->sort, q);
    return q->bad ? gctx_fail(g, R_INVALID, "Validation failed") : R_SUCCESS;
}

/* Broad searches build GIN bitmaps of 10k-100k+ entries (one common skill or tool alone
 * matches ~90k active gigs at a million); at the default 4 MB work_mem such bitmaps go
 * lossy and every row of every page is rechecked (with the two-bitmap AND of sql/002's
 * indexes: 300 ms instead of 40). Raised once per connection (the setting lives in the
 * session). Custom plans are forced too: after five executions a prepared statement may
 * switch to a generic plan, which cannot see how many gigs the bound words and skills
 * match; for the broad search it sorted all 14,790 matches for the page (31 ms) instead
 * of walking (status, created_at) until 20 match (2 ms). Session settings, so they also
 * apply to the connection's later statements (the recommendations need custom plans
 * for the same reason; planning a PK lookup each time costs well under a millisecond). */
STMT(st_gig_search_mem,
     "SELECT set_config('work_mem', '32MB', false), set_config('plan_cache_mode', 'force_custom_plan', false)");

enum result gigs_plan_settings(struct gctx *g)
{
    static unsigned done_gen;
    if (done_gen == g->db->gen && g->db->conn)
        return R_SUCCESS;
    PGresult *r;
    enum result rc = DB_RUN0(g, &r, &st_gig_search_mem);
    if (rc)
        return rc;
    done_gen = g->db->gen;
    return R_SUCCESS;
}

/* Runs the statement for q's filters: limit, offset, then each present filter's value. */
static enum result search_run(struct gctx *g, const struct search *q, const char **json)
{
    enum result rc = gigs_plan_settings(g);
    if (rc)
        return rc;
    struct stmt *s = search_stmt(q->mask, q->by_budget);
    if (!s)
        return gctx_fail(g, R_ERR, "Internal error");
    const char *params[2 + SF_N];
    int n = 0;
    params[n++] = q->pg.limit_s;
    params[n++] = q->pg.offset_s;
    for (int i = 0; i < SF_N; i++)
        if (q->mask & (1u << i))
            params[n++] = q->vals[i];
    PGresult *r;
    if ((rc = db_run(g, s, &r, n, params)))
        return rc;
    *json = market_paginated(g, &q->pg, db_val(r, 0, 1), db_ll(r, 0, 0));
    return R_SUCCESS;
}

enum result gigs_search(struct gctx *g, const struct gig_query *in, const char **json)
{
    struct search q = {0};
    enum result rc = search_parse(g, in, &q);
    if (rc)
        return rc;
    struct db *prev = db_read_begin(g); /* lag-tolerant: the read replica when there is one */
    rc = search_run(g, &q, json);
    db_read_end(g, prev);
    return rc;
}
