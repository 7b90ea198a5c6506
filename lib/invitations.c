/* invitations.c — organization invitations. The token is 256-bit random, mailed once
 * and stored only as its BLAKE2b hash (auth_token_hash_hex, as password resets), so a
 * database read cannot join anyone. Creating runs under the organization's row lock
 * (as every membership change); accepting locks the invitation's row, so of two racing
 * accepts one joins and the other sees it used. */
#include "invitations.h"
#include "auth.h"
#include "config.h"
#include "db.h"
#include "mail.h"
#include "market.h"
#include "organizations.h"
#include "validate.h"
#include "sql_invitations.h"
#include <ctype.h>
#include <string.h>

static const char *const inv_roles[] = {"owner", "admin", "member", NULL};

static const struct vfield inv_fields[] = {
    {.name = "email", .type = V_EMAIL, .required = true, .max = 254},
    {.name = "role", .type = V_ENUM, .options = inv_roles},
};

STMT(st_inv_member,
     "SELECT count(*) FROM organization_members m JOIN users u ON u.id = m.user_id"
     " WHERE m.organization_id = $1 AND u.email = $2");
STMT(st_inv_replace,
     "UPDATE organization_invitations SET revoked_at = now()"
     " WHERE organization_id = $1 AND email = $2 AND accepted_at IS NULL AND revoked_at IS NULL");

static const char *lower(struct gctx *g, const char *s)
{
    char *p = arena_strdup(g->a, s);
    for (char *q = p; *q; q++)
        *q = (char)tolower((unsigned char)*q);
    return p;
}

/* Queued in the caller's transaction, so the mail goes only with a committed token. */
static enum result mail_invitation(struct gctx *g, const char *email, const char *org_name, const char *token)
{
    const char *link = arena_sprintf(g->a, "%s/invitations/%s", cfg.public_url, token);
    const char *text = arena_sprintf(g->a,
                                     "You have been invited to join %s on gigd.\r\n\r\n"
                                     "To accept, sign in with this email address and open this link within 7 days:\r\n"
                                     "%s\r\n\r\nInvitation token: %s\r\n\r\n"
                                     "If you did not expect this, ignore this mail.\r\n",
                                     org_name, link, token);
    return mail_enqueue(g, email, arena_sprintf(g->a, "Join %s on gigd", org_name), text);
}

static enum result create_tx(struct gctx *g, const char *org, const char *email, const char *role,
                             const char **json)
{
    enum org_role mine;
    enum result rc = organizations_access(g, org, ORG_ADMIN, true, &mine);
    if (rc)
        return rc;
    if (organizations_role_rank(role) == ORG_OWNER && mine != ORG_OWNER)
        return gctx_fail(g, R_FORBIDDEN, "Only an owner can invite an owner");
    const char *n;
    PGresult *r;
    if ((rc = DB_ONE(g, &n, NULL, &st_inv_member, org, email)))
        return rc;
    if (strcmp(n, "0"))
        return gctx_fail(g, R_CONFLICT, "This person is already a member");
    if ((rc = DB_RUN(g, &r, &st_inv_replace, org, email)))
        return rc;
    const char *token = auth_new_token(g->a);
    if ((rc = DB_RUN(g, &r, &st_inv_insert, org, email, role, auth_token_hash_hex(g->a, token), g->user_id)))
        return rc;
    *json = db_val(r, 0, 0);
    return mail_invitation(g, email, db_val(r, 0, 1), token);
}

enum result invitations_create(struct gctx *g, const char *org, const cJSON *body, const char **json)
{
    struct vvalue v[2];
    enum result rc = validate(g, body, inv_fields, v);
    if (rc || (rc = db_begin(g)))
        return rc;
    return db_finish(g, create_tx(g, org, lower(g, v[0].s), v[1].s ? v[1].s : "member", json));
}

enum result invitations_pending(struct gctx *g, const char *org, const char *page, const char *limit,
                                const char **json)
{
    struct paging pg;
    enum result rc = market_paging(g, page, limit, &pg);
    if (rc)
        return rc;
    rc = organizations_access(g, org, ORG_ADMIN, false, NULL);
    if (rc)
        return rc;
    PGresult *r;
    if ((rc = DB_RUN(g, &r, &st_inv_pending, org, pg.limit_s, pg.offset_s)))
        return rc;
    *json = market_paginated(g, &pg, db_val(r, 0, 1), db_ll(r, 0, 0));
    return R_SUCCESS;
}

STMT(st_inv_revoke,
     "UPDATE organization_invitations SET revoked_at = now()"
     " WHERE id = $2 AND organization_id = $1 AND accepted_at IS NULL AND revoked_at IS NULL RETURNING id");

enum result invitations_revoke(struct gctx *g, const char *org, const char *id)
{
    enum result rc = organizations_access(g, org, ORG_ADMIN, false, NULL);
    if (rc)
        return rc;
    if (!market_id(id))
        return gctx_fail(g, R_NOTFOUND, "Invitation not found");
    const char *done;
    return DB_ONE(g, &done, "Invitation not found", &st_inv_revoke, org, id);
}

STMT(st_inv_join,
     "INSERT INTO organization_members (organization_id, user_id, role) VALUES ($1, $2, $3)"
     " ON CONFLICT (organization_id, user_id) DO NOTHING");
STMT(st_inv_used, "UPDATE organization_invitations SET accepted_at = now(), accepted_by = $2 WHERE id = $1");
STMT(st_inv_render,
     "SELECT organization_json(o, m.role) FROM organizations o"
     " JOIN organization_members m ON m.organization_id = o.id AND m.user_id = $2 WHERE o.id = $1");

/* Inside the transaction, with the invitation row locked. */
static enum result accept_locked(struct gctx *g, const char *token, const char **json)
{
    PGresult *r;
    enum result rc = DB_RUN(g, &r, &st_inv_lock, auth_token_hash_hex(g->a, token), g->user_id);
    if (rc)
        return rc;
    if (PQntuples(r) != 1)
        return gctx_fail(g, R_NOTFOUND, "Invitation not found");
    if (!db_bool(r, 0, 3))
        return gctx_fail(g, R_FORBIDDEN, "This invitation was sent to another email address");
    if (db_bool(r, 0, 4) || db_bool(r, 0, 6))
        return gctx_fail(g, R_GONE, "This invitation has already been used or revoked");
    if (db_bool(r, 0, 5))
        return gctx_fail(g, R_GONE, "This invitation has expired");
    const char *id = db_val(r, 0, 0), *org = db_val(r, 0, 1);
    PGresult *w;
    /* Already a member (joined another way): the role stays as it is. */
    if ((rc = DB_RUN(g, &w, &st_inv_join, org, g->user_id, db_val(r, 0, 2))) ||
        (rc = DB_RUN(g, &w, &st_inv_used, id, g->user_id)))
        return rc;
    return DB_ONE(g, json, "Organization not found", &st_inv_render, org, g->user_id);
}

enum result invitations_accept(struct gctx *g, const char *token, const char **json)
{
    if (!token || !*token || strlen(token) > 128)
        return gctx_fail(g, R_NOTFOUND, "Invitation not found");
    enum result rc = db_begin(g);
    if (rc)
        return rc;
    return db_finish(g, accept_locked(g, token, json));
}
