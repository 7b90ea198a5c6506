/* gigs_recommend.c — GET /api/me/recommended-gigs: active gigs ranked against the
 * caller's profile (lib/sql/gigs_recommend.sql holds the ranking).
 *
 * Candidates: active gigs (not the caller's) sharing at least one skill or tool with the
 * profile — or, for an empty profile, all active gigs — posted in the last 180 days,
 * newest 500 only, so the ranking never sorts an unbounded set. The profile's arrays are
 * bound as parameters (not joined) so the planner sees them: a rare skill plans as a GIN
 * bitmap, a common one as a walk down (status, created_at) that stops at 500 — which
 * only holds with custom plans (gigs_plan_settings). */
#include "gigs.h"
#include "db.h"
#include "market.h"
#include "sql_gigs_recommend.h"

STMT(st_gigs_rec_profile, "SELECT skills, ai_tools, hourly_rate FROM profiles WHERE id = $1");

enum result gigs_recommended(struct gctx *g, const char *page, const char *limit, const char **json)
{
    struct paging pg;
    enum result rc = market_paging(g, page, limit, &pg);
    if (rc)
        return rc;
    PGresult *me, *r;
    rc = DB_RUN(g, &me, &st_gigs_rec_profile, g->user_id);
    if (rc)
        return rc;
    if (PQntuples(me) != 1)
        return gctx_fail(g, R_NOTFOUND, "Profile not found");
    if ((rc = gigs_plan_settings(g)))
        return rc;
    rc = DB_RUN(g, &r, &st_gigs_recommended, g->user_id, db_val(me, 0, 0), db_val(me, 0, 1), db_val(me, 0, 2),
                pg.limit_s, pg.offset_s);
    if (rc)
        return rc;
    *json = market_paginated(g, &pg, db_val(r, 0, 1), db_ll(r, 0, 0));
    return R_SUCCESS;
}
