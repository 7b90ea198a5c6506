/* trust.c — blocks and reports. Blocks are pairs in `blocks` (sql/018); the checks
 * that enforce them live in the statements of the modules they guard (messaging,
 * applications, reviews, search, recommendations), so each costs an index probe in a
 * statement that runs anyway. Reports are stored once per reporter and subject. */
#include "trust.h"
#include "db.h"
#include "market.h"
#include "ratelimit.h"
#include "sql_trust.h"
#include "validate.h"
#include <string.h>
#include <strings.h>

/* Reports a user may file per day: enough for anyone honest, too few to flood the queue. */
#define REPORTS_PER_DAY 50

/* ---- blocks ---- */

enum result trust_block(struct gctx *g, const char *user_id, const char **json, bool *created)
{
    if (!market_id(user_id))
        return gctx_fail(g, R_NOTFOUND, "User not found");
    if (!strcasecmp(user_id, g->user_id))
        return gctx_fail_field(g, "id", "cannot be yourself");
    PGresult *r;
    enum result rc = DB_RUN(g, &r, &st_trust_block, g->user_id, user_id);
    if (rc)
        return rc;
    if (PQntuples(r) != 1)
        return gctx_fail(g, R_NOTFOUND, "User not found");
    *json = db_val(r, 0, 0);
    *created = db_ll(r, 0, 1) == 1;
    return R_SUCCESS;
}

STMT(st_trust_unblock, "DELETE FROM blocks WHERE blocker_id = $1 AND blocked_id = $2");

enum result trust_unblock(struct gctx *g, const char *user_id)
{
    if (!market_id(user_id))
        return gctx_fail(g, R_NOTFOUND, "User not found");
    PGresult *r;
    return DB_RUN(g, &r, &st_trust_unblock, g->user_id, user_id);
}

enum result trust_blocks(struct gctx *g, const char *page, const char *limit, const char **json)
{
    return market_owned_page(g, &st_trust_blocks, g->user_id, page, limit, json);
}

/* ---- reports ---- */

static const char *const subject_types[] = {"user", "gig", "message", "review", NULL};

enum { RP_TYPE, RP_ID, RP_REASON, RP_DETAILS, RP_N };

static const struct vfield report_fields[RP_N] = {
    [RP_TYPE] = {.name = "subject_type", .type = V_ENUM, .required = true, .options = subject_types},
    [RP_ID] = {.name = "subject_id", .type = V_UUID, .required = true},
    [RP_REASON] = {.name = "reason", .type = V_STRING, .required = true, .min = 1, .max = 200},
    [RP_DETAILS] = {.name = "details", .type = V_STRING, .nullable = true, .max = 5000},
};

STMT(st_trust_report_insert,
     "INSERT INTO reports (reporter_id, subject_type, subject_id, reason, details) VALUES ($1, $2, $3, $4, $5)"
     " ON CONFLICT ON CONSTRAINT reports_once_key DO NOTHING RETURNING report_json(reports)");
STMT(st_trust_report_find,
     "SELECT report_json(r) FROM reports r WHERE reporter_id = $1 AND subject_type = $2 AND subject_id = $3");

/* The insert does nothing when the caller already reported the subject; the find (a
 * new statement, so it sees a concurrent twin's committed row) answers that one. */
static enum result report_store(struct gctx *g, const struct vvalue *v, const char **json, bool *created)
{
    PGresult *r;
    enum result rc = DB_RUN(g, &r, &st_trust_report_insert, g->user_id, v[RP_TYPE].s, v[RP_ID].s,
                            v[RP_REASON].text, v[RP_DETAILS].text);
    if (rc)
        return rc;
    *created = PQntuples(r) == 1;
    if (*created) {
        *json = db_val(r, 0, 0);
        return R_SUCCESS;
    }
    return DB_ONE(g, json, "Report not found", &st_trust_report_find, g->user_id, v[RP_TYPE].s, v[RP_ID].s);
}

enum result trust_report(struct gctx *g, const cJSON *body, const char **json, bool *created)
{
    struct vvalue v[RP_N];
    enum result rc = validate(g, body, report_fields, v);
    if (rc)
        return rc;
    if (!strcmp(v[RP_TYPE].s, "user") && !strcasecmp(v[RP_ID].s, g->user_id))
        return gctx_fail_field(g, "subject_id", "cannot be yourself");
    PGresult *r;
    if ((rc = DB_RUN(g, &r, &st_trust_visible, v[RP_TYPE].s, v[RP_ID].s, g->user_id)))
        return rc;
    if (!db_bool(r, 0, 0)) /* what the caller cannot see does not exist for them */
        return gctx_fail(g, R_NOTFOUND, "Subject not found");
    /* The quota counts submissions (a repeat too); a failed one gives its unit back with the rollback. */
    if ((rc = db_begin(g)))
        return rc;
    if (!(rc = ratelimit_quota(g, "report", g->user_id, REPORTS_PER_DAY, 86400)))
        rc = report_store(g, v, json, created);
    return db_finish(g, rc);
}
