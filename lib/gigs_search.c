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
#include "buf.h"
#include "log.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* SF_VIEWER (trust) is not a query parameter: the signed-in searcher, whose blocked
 * pairs' gigs are left out (sql/024 blocked_with: the viewer's blocked pairs read once,
 * as an InitPlan, then an array test per row that the covering indexes can answer; the
 * per-row blocked_pair of sql/018 made a walk ~2.5x slower). It does not
 * make a search "filtered" (VIEWER_ONLY): the unfiltered total subtracts their gigs. */
enum { SF_SEARCH, SF_CATEGORY, SF_SKILLS, SF_TOOLS, SF_BMIN, SF_BMAX, SF_LTYPE, SF_POSTED, SF_VIEWER, SF_N };
#define FILTERS(mask) ((mask) & ~(1u << SF_VIEWER))

static const char *const search_conds[SF_N] = {
    [SF_SEARCH] = "g.search_tsv @@ websearch_to_tsquery('english', $%d)",
    [SF_CATEGORY] = "g.category = $%d",
    [SF_SKILLS] = "g.skills_required && $%d::text[]",
    [SF_TOOLS] = "g.ai_tools_preferred && $%d::text[]",
    [SF_BMIN] = "coalesce(g.budget_max, g.budget_min) >= $%d::bigint",
    [SF_BMAX] = "coalesce(g.budget_min, g.budget_max) <= $%d::bigint",
    [SF_LTYPE] = "g.location_type = $%d",
    [SF_POSTED] = "g.created_at >= now() - $%d::interval",
    [SF_VIEWER] = "g.poster_id <> ALL ((SELECT blocked_with($%d::uuid))::uuid[])",
};

/* Counts are exact up to this many matches; beyond, total is this figure and
 * total_is_estimate says so. It also bounds the sort of the few-matches plan. */
#define COUNT_CAP 1000

/* A keyset position: the last row of a page (cursor=, next_cursor). */
struct keyset {
    const char *budget;   /* coalesce(budget_max, -1) in minor units, for sort=budget */
    const char *usec;     /* created_at in microseconds since the epoch */
    const char *id;
};

/* The checked query: vals[i] is bound for each filter i set in mask. */
struct search {
    struct paging pg;
    const char *vals[SF_N];
    unsigned mask;
    bool by_budget;
    bool has_cursor;
    struct keyset after;
    long long bmin, bmax;
    bool bad;   /* some parameter was refused (each named in g->fields) */
};

/* Statement variants: the filters present × sort × plan form (few matches: sort them
 * all; many: walk the sort's index) × cursor. */
enum { V_BUDGET = 1u << SF_N, V_FEW = 1u << (SF_N + 1), V_CURSOR = 1u << (SF_N + 2), V_N = 1u << (SF_N + 3) };
static struct stmt page_stmts[V_N];
static struct stmt count_stmts[2][1u << SF_N];

/* "g.status = 'active' AND cond AND cond ..." of the filters in mask, their parameters
 * numbered from first; returns the next free parameter number. */
static int search_where(unsigned mask, int first, char *where, size_t size)
{
    int n = snprintf(where, size, "g.status = 'active' AND g.hidden_at IS NULL"); /* trust: taken down */
    int param = first;
    for (int i = 0; i < SF_N; i++) {
        if (!(mask & (1u << i)))
            continue;
        /* Each fragment holds one "$%d": split there rather than use it as a format. */
        const char *at = strstr(search_conds[i], "%d");
        n += snprintf(where + n, size - (size_t)n, " AND %.*s%d%s", (int)(at - search_conds[i]), search_conds[i],
                      param++, at + 2);
    }
    return param;
}

static struct stmt *stmt_set(struct stmt *s, char *sql, const char *kind, unsigned key)
{
    char *name = NULL;
    if (!sql || asprintf(&name, "st_gig_search_%s_%u", kind, key) < 0) {
        free(sql);
        return NULL;
    }
    s->name = name;
    s->sql = sql;
    s->prepared_gen = 0;
    return s;
}

/* The capped count walks the newest index in order, stopping at the cap, unless the
 * text and an array filter are both present (docs/search-plans.md, measured on a
 * time-ordered heap). Without the text every filter is in the covering index
 * gigs_shown_newest_idx (sql/024): an index-only walk over hot entries (skills=rust
 * 12.9 -> 6.6 ms) instead of a sequential scan with a LIMIT that reads cold heap pages
 * from the table's start. With the text alone, or with btree filters, the walk checks
 * the text on the newest heap rows (dashboard 11.9 -> 2.8 ms) where the GIN bitmap would
 * decode the word's whole posting list first. Text and skills or tools: the multicolumn
 * GIN intersects their posting lists and prunes more than a walk (dashboard + rust 12.5
 * vs 26 ms walked). A rare filter still plans as its bitmap or btree and sorts its few
 * rows. */
static bool count_walks(unsigned mask)
{
    return !((mask & (1u << SF_SEARCH)) && (mask & ((1u << SF_SKILLS) | (1u << SF_TOOLS))));
}

/* The capped count of the filters in mask ($1...). Unfiltered: the exact total from the
 * per-status counters (sql/002). Either way column 1 is the active total. With `last`
 * the walking form also returns the key (columns 2, 3: microseconds, id) of the last
 * row it counted, the oldest, where a deep newest-first page resumes (resume_point);
 * only deep pages ask for it (sorting the counted ids costs ~0.5 ms). */
static struct stmt *count_stmt(unsigned mask, bool last)
{
    last = last && FILTERS(mask) && count_walks(mask);
    struct stmt *s = &count_stmts[last][mask];
    if (s->sql)
        return s;
    char where[1024];
    search_where(mask, 1, where, sizeof where);
    /* trust: hidden active gigs are few (a partial index finds them) and not shown */
    const char *active = "((SELECT coalesce(sum(n), 0) FROM gig_counts WHERE status = 'active')"
                         " - (SELECT count(*) FROM gigs WHERE hidden_at IS NOT NULL AND status = 'active'))";
    char *sql = NULL;
    int rc;
    if (!FILTERS(mask)) {
        /* ... nor are the shown gigs of the viewer's blocked pairs: their posters' gigs, by index */
        const char *blocked = "(SELECT count(*) FROM gigs g WHERE g.status = 'active' AND g.hidden_at IS NULL"
                              " AND g.poster_id IN (SELECT blocked_id FROM blocks WHERE blocker_id = $1"
                              " UNION SELECT blocker_id FROM blocks WHERE blocked_id = $1))";
        rc = mask ? asprintf(&sql, "SELECT %s - %s, %s", active, blocked, active)
                  : asprintf(&sql, "SELECT %s, %s", active, active);
    } else if (!last)
        rc = asprintf(&sql, "SELECT (SELECT count(*) FROM (SELECT FROM gigs g WHERE %s%s LIMIT %d) c), %s", where,
                      count_walks(mask) ? " ORDER BY g.created_at DESC, g.id DESC" : "", COUNT_CAP + 1, active);
    else
        rc = asprintf(&sql,
                      "SELECT c.n, %s, c.usec, c.id FROM (SELECT count(*) AS n,"
                      " (extract(epoch FROM min(k.created_at)) * 1000000)::bigint AS usec,"
                      " (array_agg(k.id ORDER BY k.created_at, k.id))[1] AS id FROM (SELECT g.created_at, g.id"
                      " FROM gigs g WHERE %s ORDER BY g.created_at DESC, g.id DESC LIMIT %d) k) c",
                      active, where, COUNT_CAP + 1);
    return stmt_set(s, rc < 0 ? NULL : sql, last ? "count_last" : "count", mask);
}

/* The page: $1 rows (limit + 1, to learn hasMore), $2 offset, the filters from $3, then
 * the cursor's key. Each row: the gig's JSON and its keyset position. */
static struct stmt *page_stmt(unsigned key)
{
    struct stmt *s = &page_stmts[key];
    if (s->sql)
        return s;
    /* Built once per process from constant fragments; kept for the process's life. */
    char where[1200];
    int next = search_where(key & (V_BUDGET - 1), 3, where, sizeof where);
    bool budget = key & V_BUDGET;
    if (key & V_CURSOR) {
        size_t n = strlen(where);
        if (budget)
            snprintf(where + n, sizeof where - n,
                     " AND (coalesce(g.budget_max, -1), g.created_at, g.id) < ($%d::bigint,"
                     " 'epoch'::timestamptz + $%d::bigint * interval '1 microsecond', $%d::uuid)",
                     next, next + 1, next + 2);
        else
            snprintf(where + n, sizeof where - n,
                     " AND (g.created_at, g.id) < ('epoch'::timestamptz + $%d::bigint * interval '1 microsecond',"
                     " $%d::uuid)", next, next + 1);
    }
    /* Few matches: a materialized set of keys (found through the GIN/btree indexes, at
     * most COUNT_CAP rows) sorted for the page, so a rare word never walks the sort index
     * over the whole table. Many: the planner walks the sort's index until the page is
     * full, taking only ids there, so a walk whose filters the covering indexes of sql/024
     * hold (skills, tools, category, location, budget, date) reads no heap row it skips
     * (docs/search-plans.md). Either way the page's rows are then joined by primary key
     * and their columns rendered in the worker (gigs_render: json_build_object cost
     * PostgreSQL more than the fetch). */
    const char *order = budget ? "coalesce(g.budget_max, -1) DESC, g.created_at DESC, g.id DESC"
                               : "g.created_at DESC, g.id DESC";
    char src[2400];
    if (key & V_FEW)
        snprintf(src, sizeof src,
                 "WITH m AS MATERIALIZED (SELECT g.id, g.created_at, g.budget_max FROM gigs g WHERE %s)"
                 " SELECT g.id FROM m g ORDER BY %s LIMIT $1::int OFFSET $2::int", where, order);
    else
        snprintf(src, sizeof src, "SELECT g.id FROM gigs g WHERE %s ORDER BY %s LIMIT $1::int OFFSET $2::int",
                 where, order);
    char *sql = NULL;
    int rc = asprintf(&sql,
                      "SELECT %s, %s((extract(epoch FROM g.created_at) * 1000000)::bigint) || '.' || g.id"
                      " FROM (%s) k JOIN gigs g ON g.id = k.id JOIN profiles p ON p.id = g.poster_id"
                      " LEFT JOIN organizations o ON o.id = g.organization_id"
                      " LEFT JOIN gig_stats s ON s.gig_id = g.id ORDER BY %s",
                      gigs_render_columns(), budget ? "coalesce(g.budget_max, -1) || '.' || " : "", src, order);
    return stmt_set(s, rc < 0 ? NULL : sql, "page", key);
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

/* One signed decimal of at most 19 characters (an int64 for PostgreSQL's ::bigint). */
static bool key_number(const char *s)
{
    size_t n = strlen(s), i = s[0] == '-';
    if (n == i || n > 19)
        return false;
    for (; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

/* cursor= is a next_cursor: "USEC.ID" for sort=newest, "BUDGET.USEC.ID" for sort=budget. */
static void take_cursor(struct gctx *g, const char *s, struct search *q)
{
    char *copy = arena_strdup(g->a, s), *save = NULL;
    char *part[4] = {0};
    int n = 0;
    for (char *t = strtok_r(copy, ".", &save); t && n < 4; t = strtok_r(NULL, ".", &save))
        part[n++] = t;
    int want = q->by_budget ? 3 : 2;
    if (n != want || !validate_uuid(part[want - 1]) || !key_number(part[0]) || (want == 3 && !key_number(part[1]))) {
        gctx_fail_field(g, "cursor", "must be a next_cursor of the same sort");
        q->bad = true;
        return;
    }
    q->has_cursor = true;
    q->after.budget = want == 3 ? part[0] : NULL;
    q->after.usec = part[want - 2];
    q->after.id = part[want - 1];
}

/* Checks every parameter (so one answer names all the bad ones) into q. */
static enum result search_parse(struct gctx *g, const struct gig_query *in, struct search *q)
{
    if (market_paging(g, in->page, in->limit, &q->pg))
        q->bad = true;
    take_words(g, in, q);
    take_budget(g, in, q);
    if (in->location_type)
        take_location_type(g, in->location_type, q);
    if (in->posted_within)
        take_posted_within(g, in->posted_within, q);
    if (in->sort)
        take_sort(g, in->sort, q);
    if (in->cursor)
        take_cursor(g, in->cursor, q);
    if (q->has_cursor)
        q->pg.offset_s = "0"; /* the cursor is the position; page is not used */
    return q->bad ? gctx_fail(g, R_INVALID, "Validation failed") : R_SUCCESS;
}

enum result gigs_filters_parse(struct gctx *g, const struct gig_query *in, struct gig_filters *out)
{
    struct search q = {0};
    take_words(g, in, &q);
    take_budget(g, in, &q);
    if (in->location_type)
        take_location_type(g, in->location_type, &q);
    if (in->posted_within)
        take_posted_within(g, in->posted_within, &q);
    if (in->sort)
        take_sort(g, in->sort, &q);
    if (q.bad)
        return gctx_fail(g, R_INVALID, "Validation failed");
    *out = (struct gig_filters){
        .search = q.vals[SF_SEARCH], .category = q.vals[SF_CATEGORY], .skills = q.vals[SF_SKILLS],
        .ai_tools = q.vals[SF_TOOLS], .budget_min = q.vals[SF_BMIN], .budget_max = q.vals[SF_BMAX],
        .location_type = q.vals[SF_LTYPE], .posted_within = q.vals[SF_POSTED],
        .sort = in->sort ? (q.by_budget ? "budget" : "newest") : NULL,
    };
    return R_SUCCESS;
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

/* The filter values in mask order into params from index n; returns the new count. */
static int filter_params(const struct search *q, const char **params, int n)
{
    for (int i = 0; i < SF_N; i++)
        if (q->mask & (1u << i))
            params[n++] = q->vals[i];
    return n;
}

/* The page's plan from the capped count: sorting all matches costs about their number,
 * walking the sort index about (offset + limit) × active / matches rows. Unfiltered
 * searches always walk (every active gig matches). */
static bool few_matches(const struct search *q, long long matches, long long active)
{
    if (!FILTERS(q->mask) || matches > COUNT_CAP)
        return false;
    long long rows = q->has_cursor ? q->pg.limit : q->pg.page * q->pg.limit;
    return matches * matches <= rows * (active > 0 ? active : 1);
}

/* The list envelope (lib/market.h's shape) with total_is_estimate and next_cursor. */
static const char *envelope(struct gctx *g, const struct search *q, PGresult *r, long long total, bool estimate)
{
    if (PQnfields(r) != GIGS_RENDER_NCOLS + 1)
        return NULL;
    int rows = PQntuples(r);
    bool more = rows > q->pg.limit;
    if (more)
        rows = (int)q->pg.limit;
    struct buf b;
    buf_init(&b, g->a, 4096);
    buf_puts(&b, "{\"data\":[");
    for (int i = 0; i < rows; i++) {
        const char *gig = gigs_render(g, r, i);
        if (!gig)
            return NULL;
        if (i)
            buf_putc(&b, ',');
        buf_puts(&b, gig);
    }
    buf_printf(&b, "],\"total\":%lld,\"page\":", total);
    if (q->has_cursor)
        buf_puts(&b, "null");
    else
        buf_printf(&b, "%ld", q->pg.page);
    buf_printf(&b, ",\"limit\":%ld,\"hasMore\":%s,\"total_is_estimate\":%s,\"next_cursor\":", q->pg.limit,
               more ? "true" : "false", estimate ? "true" : "false");
    if (more)
        buf_json_str(&b, db_val(r, rows - 1, GIGS_RENDER_NCOLS));
    else
        buf_puts(&b, "null");
    buf_putc(&b, '}');
    return b.p;
}

/* A newest-first page past the count's cap (by offset, not cursor). */
static bool deep_newest(const struct search *q)
{
    return !q->has_cursor && !q->by_budget && (q->pg.page - 1) * q->pg.limit > COUNT_CAP;
}

/* Where the page statement starts: q's own page, or, for a deep newest-first page of a
 * walking count past its cap, a cursor after the last row the count walked with the
 * offset less the rows counted, instead of walking those rows again (page 100 of a
 * common word walked ~16k rows; now the count's ~8k and ~8k more). */
static struct search resume_point(struct gctx *g, const struct search *q, PGresult *count, long long matches)
{
    struct search at = *q;
    if (!deep_newest(q) || matches <= COUNT_CAP || PQnfields(count) != 4 || !db_val(count, 0, 2) ||
        !db_val(count, 0, 3))
        return at; /* not deep, or not a walking count (which returns no key) */
    at.has_cursor = true;
    at.after = (struct keyset){.usec = db_val(count, 0, 2), .id = db_val(count, 0, 3)};
    at.pg.offset_s = arena_sprintf(g->a, "%ld", (q->pg.page - 1) * q->pg.limit - (COUNT_CAP + 1));
    return at;
}

/* Runs the capped count, then the page statement it chooses: limit + 1, offset, each
 * present filter's value, the cursor's key. */
static enum result search_run(struct gctx *g, const struct search *q, const char **json)
{
    enum result rc = gigs_plan_settings(g);
    if (rc)
        return rc;
    const char *params[2 + SF_N + 3];
    struct stmt *cs = count_stmt(q->mask, deep_newest(q));
    if (!cs)
        return gctx_fail(g, R_ERR, "Internal error");
    PGresult *cr, *pr;
    if ((rc = db_run(g, cs, &cr, filter_params(q, params, 0), params)))
        return rc;
    long long matches = db_ll(cr, 0, 0), active = db_ll(cr, 0, 1);
    struct search at = resume_point(g, q, cr, matches);
    unsigned key = q->mask | (q->by_budget ? V_BUDGET : 0) | (at.has_cursor ? V_CURSOR : 0) |
                   (few_matches(q, matches, active) ? V_FEW : 0);
    struct stmt *ps = page_stmt(key);
    if (!ps)
        return gctx_fail(g, R_ERR, "Internal error");
    int n = 0;
    params[n++] = arena_sprintf(g->a, "%ld", q->pg.limit + 1);
    params[n++] = at.pg.offset_s;
    n = filter_params(q, params, n);
    if (at.has_cursor) {
        if (q->by_budget)
            params[n++] = at.after.budget;
        params[n++] = at.after.usec;
        params[n++] = at.after.id;
    }
    if ((rc = db_run(g, ps, &pr, n, params)))
        return rc;
    bool estimate = FILTERS(q->mask) && matches > COUNT_CAP;
    *json = envelope(g, q, pr, estimate ? COUNT_CAP : matches, estimate);
    if (!*json) {
        log_error("gig search: a column is not in the shape gigs_render expects");
        return gctx_fail(g, R_ERR, "gig render");
    }
    return R_SUCCESS;
}

enum result gigs_search(struct gctx *g, const struct gig_query *in, const char **json)
{
    struct search q = {0};
    enum result rc = search_parse(g, in, &q);
    if (rc)
        return rc;
    if (g->user_id)
        take(&q, SF_VIEWER, g->user_id);
    struct db *prev = db_read_begin(g); /* lag-tolerant: the read replica when there is one */
    rc = search_run(g, &q, json);
    db_read_end(g, prev);
    return rc;
}
