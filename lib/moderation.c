/* moderation.c — the moderators' routes (the admin routes) and gigctl's role setting.
 * Hiding is a column (hidden_at, sql/018) that every read of gigs, messages and reviews
 * tests, so a takedown or a suspension is one UPDATE here and costs readers nothing
 * more than that predicate; the rows stay for the audit and for a restore. */
#include "moderation.h"
#include "db.h"
#include "log.h"
#include "market.h"
#include "realtime.h"
#include "sql_moderation.h"
#include "validate.h"
#include <string.h>

/* The audit log's actor for what an operator does with gigctl (no account behind it). */
#define OPERATOR_ID "00000000-0000-0000-0000-000000000000"

static const char *const roles[] = {"user", "moderator", "admin", NULL};

/* user 0 < moderator 1 < admin 2; an unknown role ranks as a user. */
static int rank(const char *role)
{
    for (int i = 0; role && roles[i]; i++)
        if (!strcmp(roles[i], role))
            return i;
    return 0;
}

STMT(st_mod_role, "SELECT role FROM users WHERE id = $1");

enum result moderation_require(struct gctx *g, const char *role)
{
    const char *have = NULL;
    enum result rc = g->user_id ? DB_ONE(g, &have, NULL, &st_mod_role, g->user_id) : R_NOTFOUND;
    if (rc && rc != R_NOTFOUND)
        return rc;
    if (rank(have) < rank(role))
        return gctx_fail(g, R_FORBIDDEN, rank(role) == 2 ? "Admin role required" : "Moderator role required");
    return R_SUCCESS;
}

/* ---- reports ---- */

static const char *const report_statuses[] = {"open", "resolved", "dismissed", NULL};

enum result moderation_reports(struct gctx *g, const char *status, const char *page, const char *limit,
                               const char **json)
{
    enum result rc = moderation_require(g, "moderator");
    if (rc)
        return rc;
    struct paging pg;
    bool bad = market_paging(g, page, limit, &pg) != R_SUCCESS;
    bool known = !status;
    for (int i = 0; status && report_statuses[i]; i++)
        known |= !strcmp(status, report_statuses[i]);
    if (!known) {
        gctx_fail_field(g, "status", "must be one of: open resolved dismissed");
        bad = true;
    }
    if (bad)
        return gctx_fail(g, R_INVALID, "Validation failed");
    PGresult *r;
    rc = status ? DB_RUN(g, &r, &st_mod_reports_status, pg.limit_s, pg.offset_s, status)
                : DB_RUN(g, &r, &st_mod_reports, pg.limit_s, pg.offset_s);
    if (rc)
        return rc;
    *json = market_paginated(g, &pg, db_val(r, 0, 1), db_ll(r, 0, 0));
    return R_SUCCESS;
}

static const char *const closing_statuses[] = {"resolved", "dismissed", NULL};

static const struct vfield resolve_fields[] = {
    {.name = "status", .type = V_ENUM, .required = true, .options = closing_statuses},
    {.name = "resolution", .type = V_STRING, .nullable = true, .max = 1000},
};

enum result moderation_resolve(struct gctx *g, const char *id, const cJSON *body, const char **json)
{
    enum result rc = moderation_require(g, "moderator");
    if (rc)
        return rc;
    if (!market_id(id))
        return gctx_fail(g, R_NOTFOUND, "Report not found");
    struct vvalue v[2];
    if ((rc = validate(g, body, resolve_fields, v)))
        return rc;
    return DB_ONE(g, json, "Report not found", &st_mod_resolve, id, v[0].s, v[1].text, g->user_id);
}

/* ---- suspension ---- */

static const struct vfield reason_fields[] = {
    {.name = "reason", .type = V_STRING, .nullable = true, .max = 1000},
};

/* Locks the target's row (a concurrent sign-in's new session waits for the outcome,
 * sql/018) and checks the caller outranks it: nobody suspends a peer or themselves.
 * NO KEY UPDATE, as the UPDATE itself takes: it still excludes the sign-in's FOR SHARE
 * but not the KEY SHARE of foreign-key checks (a notification to the user inserted
 * while its writer holds a row this suspension will update would deadlock). */
STMT(st_mod_target_lock, "SELECT role FROM users WHERE id = $1 FOR NO KEY UPDATE");
STMT(st_mod_actor_role, "SELECT role FROM users WHERE id = $1");

static enum result lock_target(struct gctx *g, const char *user_id)
{
    const char *target, *mine;
    enum result rc = DB_ONE(g, &target, "User not found", &st_mod_target_lock, user_id);
    if (rc || (rc = DB_ONE(g, &mine, "User not found", &st_mod_actor_role, g->user_id)))
        return rc;
    if (rank(target) >= rank(mine))
        return gctx_fail(g, R_FORBIDDEN, "Only a user of a lower role can be suspended or reinstated");
    return R_SUCCESS;
}

/* Inside the transaction: *revoked lists the sessions whose streams end after the commit. */
static enum result suspend_locked(struct gctx *g, const char *user_id, bool suspend, const char *reason,
                                  PGresult **revoked)
{
    enum result rc = lock_target(g, user_id);
    if (rc)
        return rc;
    return DB_RUN(g, revoked, suspend ? &st_mod_suspend : &st_mod_unsuspend, user_id, g->user_id, reason);
}

enum result moderation_suspend(struct gctx *g, const char *user_id, bool suspend, const cJSON *body,
                               const char **json)
{
    enum result rc = moderation_require(g, "moderator");
    if (rc)
        return rc;
    if (!market_id(user_id))
        return gctx_fail(g, R_NOTFOUND, "User not found");
    struct vvalue v[1];
    PGresult *revoked = NULL;
    if ((rc = validate(g, body, reason_fields, v)) || (rc = db_begin(g)))
        return rc;
    rc = db_finish(g, suspend_locked(g, user_id, suspend, v[0].text, &revoked));
    if (rc)
        return rc;
    int n = suspend ? PQntuples(revoked) : 0;
    for (int i = 0; i < n; i++) /* after the commit, as a sign-out does */
        realtime_close_session(g->a, db_val(revoked, i, 0));
    *json = arena_sprintf(g->a, "{\"user_id\":\"%s\",\"suspended\":%s,\"sessions_revoked\":%d}", user_id,
                          suspend ? "true" : "false", n);
    return R_SUCCESS;
}

/* ---- takedowns ---- */

static const char *const content_types[] = {"gig", "message", "review", NULL};

/* A moderator acting on content of a known type with a well-formed id (404 otherwise,
 * after the role check, so the refusal of a non-moderator never varies). */
static enum result moderate_content(struct gctx *g, const char *type, const char *id)
{
    enum result rc = moderation_require(g, "moderator");
    if (rc)
        return rc;
    bool known = false;
    for (int i = 0; content_types[i]; i++)
        known |= !strcmp(type, content_types[i]);
    if (!known || !market_id(id))
        return gctx_fail(g, R_NOTFOUND, "Not found");
    return R_SUCCESS;
}

enum result moderation_takedown(struct gctx *g, const char *type, const char *id, bool down, const cJSON *body,
                                const char **json)
{
    enum result rc = moderate_content(g, type, id);
    if (rc)
        return rc;
    struct vvalue v[1];
    if ((rc = validate(g, body, reason_fields, v)))
        return rc;
    rc = DB_ONE(g, json, NULL, down ? &st_mod_takedown : &st_mod_restore, type, id, g->user_id, v[0].text);
    if (rc != R_NOTFOUND)
        return rc;
    const char *exists = NULL;
    if (!down && !(rc = DB_ONE(g, &exists, NULL, &st_mod_exists, type, id)) && !strcmp(exists, "t"))
        return gctx_fail(g, R_CONFLICT, "This content is not taken down");
    return rc && rc != R_NOTFOUND ? rc : gctx_fail(g, R_NOTFOUND, "Not found");
}

/* A moderator's read of one piece of content, hidden or not (st_mod_content says which). */
enum result moderation_content(struct gctx *g, const char *type, const char *id, const char **json)
{
    enum result rc = moderate_content(g, type, id);
    if (rc)
        return rc;
    return DB_ONE(g, json, "Not found", &st_mod_content, type, id);
}

/* ---- audit log ---- */

enum result moderation_audit(struct gctx *g, const char *page, const char *limit, const char **json)
{
    enum result rc = moderation_require(g, "admin");
    if (rc)
        return rc;
    struct paging pg;
    if ((rc = market_paging(g, page, limit, &pg)))
        return rc;
    PGresult *r;
    if ((rc = DB_RUN(g, &r, &st_mod_audit, pg.limit_s, pg.offset_s)))
        return rc;
    *json = market_paginated(g, &pg, db_val(r, 0, 1), db_ll(r, 0, 0));
    return R_SUCCESS;
}

/* ---- roles (gigctl) ---- */

STMT(st_mod_set_role,
     "WITH u AS (UPDATE users SET role = $2, updated_at = now() WHERE email = lower($1) RETURNING id),"
     " a AS (INSERT INTO audit_log (actor_id, action, subject_type, subject_id, reason)"
     "       SELECT $3::uuid, 'user.role', 'user', u.id, 'role set to ' || $2 FROM u)"
     " SELECT id FROM u");

enum result moderation_set_role(struct gctx *g, const char *email, const char *role)
{
    if (rank(role) == 0 && strcmp(role, "user"))
        return gctx_fail(g, R_INVALID, "role must be one of: user moderator admin");
    const char *id;
    return DB_ONE(g, &id, "No account with that email", &st_mod_set_role, email, role, OPERATOR_ID);
}
