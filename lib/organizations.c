/* organizations.c — organizations and their members. Who may do what is one question,
 * organizations_access(): membership of a live organization and a minimum role. Every
 * change that can take a role away (demote, remove, leave, delete) and every invitation
 * runs under the organization's row lock, so two requests cannot both take away "the
 * last owner": each counts the owners after the other finished. */
#include "organizations.h"
#include "db.h"
#include "market.h"
#include "validate.h"
#include "sql_organizations.h"
#include <ctype.h>
#include <string.h>
#include <strings.h>

/* In rank order from the top: roles[ORG_OWNER - rank] names a rank. */
static const char *const roles[] = {"owner", "admin", "member", NULL};

enum org_role organizations_role_rank(const char *role)
{
    if (!role)
        return ORG_NONE;
    if (!strcmp(role, "owner"))
        return ORG_OWNER;
    if (!strcmp(role, "admin"))
        return ORG_ADMIN;
    return !strcmp(role, "member") ? ORG_MEMBER : ORG_NONE;
}

STMT(st_org_role, "SELECT org_role($1, $2)");
STMT(st_org_role_lock,
     "SELECT m.role FROM organizations o JOIN organization_members m ON m.organization_id = o.id"
     " WHERE o.id = $1 AND m.user_id = $2 AND o.deleted_at IS NULL FOR UPDATE OF o");

enum result organizations_access(struct gctx *g, const char *org, enum org_role min, bool lock,
                                 enum org_role *role)
{
    if (!market_id(org))
        return gctx_fail(g, R_NOTFOUND, "Organization not found");
    const char *r = NULL;
    enum result rc = DB_ONE(g, &r, "Organization not found", lock ? &st_org_role_lock : &st_org_role, org, g->user_id);
    if (rc)
        return rc;
    enum org_role have = organizations_role_rank(r);
    if (have == ORG_NONE)
        return gctx_fail(g, R_NOTFOUND, "Organization not found");
    if (have < min)
        return gctx_fail(g, R_FORBIDDEN,
                         min == ORG_OWNER ? "Only an owner can do this" : "Only an admin or owner can do this");
    if (role)
        *role = have;
    return R_SUCCESS;
}

/* ---- organizations ---- */

/* Lowercase letters and digits in groups joined by single hyphens, 2–50 characters. */
static bool slug_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 2 || n > 50 || s[0] == '-' || s[n - 1] == '-')
        return false;
    for (size_t i = 0; i < n; i++) {
        bool alnum = (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9');
        if (!alnum && (s[i] != '-' || s[i + 1] == '-'))
            return false;
    }
    return true;
}

#define SLUG_MSG "must be 2-50 lowercase letters, digits and single hyphens"

enum { OF_NAME, OF_SLUG, OF_DESC, OF_WEBSITE, OF_LOGO, OF_N };
static const struct vfield org_fields[OF_N] = {
    [OF_NAME] = {.name = "name", .type = V_STRING, .required = true, .min = 1, .max = 100},
    [OF_SLUG] = {.name = "slug", .type = V_STRING, .max = 50, .check = slug_ok, .check_msg = SLUG_MSG},
    [OF_DESC] = {.name = "description", .type = V_STRING, .nullable = true, .max = 5000},
    [OF_WEBSITE] = {.name = "website", .type = V_URL, .nullable = true, .max = 2048},
    [OF_LOGO] = {.name = "logo_url", .type = V_URL, .nullable = true, .max = 2048},
};

/* The name's ASCII letters and digits, lowercased, other runs as one hyphen; NULL when
 * that leaves no valid slug (a name of only symbols or other scripts). */
static const char *slug_from(struct gctx *g, const char *name)
{
    char *out = arena_alloc(g->a, 51);
    size_t n = 0;
    for (const char *p = name; *p && n < 50; p++) {
        unsigned char c = (unsigned char)*p;
        if (isalnum(c) && c < 128)
            out[n++] = (char)tolower(c);
        else if (n > 0 && out[n - 1] != '-')
            out[n++] = '-';
    }
    while (n > 0 && out[n - 1] == '-')
        n--;
    out[n] = '\0';
    return slug_ok(out) ? out : NULL;
}

static enum result slug_result(struct gctx *g, enum result rc)
{
    if (rc == R_CONFLICT && db_violated(g, "organizations_slug_key"))
        return gctx_fail(g, R_CONFLICT, "This slug is already taken");
    return rc;
}

STMT(st_org_insert,
     "INSERT INTO organizations (name, slug, description, website, logo_url) VALUES ($1, $2, $3, $4, $5)"
     " RETURNING id");
STMT(st_org_add_member, "INSERT INTO organization_members (organization_id, user_id, role) VALUES ($1, $2, $3)");
STMT(st_org_render,
     "SELECT organization_json(o, m.role) FROM organizations o"
     " JOIN organization_members m ON m.organization_id = o.id AND m.user_id = $2"
     " WHERE o.id = $1 AND o.deleted_at IS NULL");

static enum result create_tx(struct gctx *g, const struct vvalue *v, const char *slug, const char **json)
{
    const char *id;
    PGresult *r;
    enum result rc = DB_ONE(g, &id, NULL, &st_org_insert, v[OF_NAME].s, slug, v[OF_DESC].text, v[OF_WEBSITE].text,
                            v[OF_LOGO].text);
    if (rc)
        return slug_result(g, rc);
    if ((rc = DB_RUN(g, &r, &st_org_add_member, id, g->user_id, "owner")))
        return rc;
    return DB_ONE(g, json, "Organization not found", &st_org_render, id, g->user_id);
}

enum result organizations_create(struct gctx *g, const cJSON *body, const char **json)
{
    struct vvalue v[OF_N];
    enum result rc = validate(g, body, org_fields, v);
    if (rc)
        return rc;
    const char *slug = v[OF_SLUG].s ? v[OF_SLUG].s : slug_from(g, v[OF_NAME].s);
    if (!slug)
        return gctx_fail_field(g, "slug", "is required when the name has no letters or digits");
    if ((rc = db_begin(g)))
        return rc;
    return db_finish(g, create_tx(g, v, slug, json));
}

enum result organizations_mine(struct gctx *g, const char *page, const char *limit, const char **json)
{
    return market_owned_page(g, &st_org_mine, g->user_id, page, limit, json);
}

enum result organizations_get(struct gctx *g, const char *id, const char **json)
{
    enum result rc = organizations_access(g, id, ORG_MEMBER, false, NULL);
    if (rc)
        return rc;
    return DB_ONE(g, json, "Organization not found", &st_org_render, id, g->user_id);
}

enum result organizations_update(struct gctx *g, const char *id, const cJSON *body, const char **json)
{
    static struct vfield f[OF_N];
    if (!f[0].name) {
        memcpy(f, org_fields, sizeof f);
        f[OF_NAME].required = false;
    }
    struct vvalue v[OF_N];
    enum org_role mine;
    enum result rc = validate_n(g, body, f, OF_N, v);
    if (rc || (rc = organizations_access(g, id, ORG_ADMIN, false, &mine)))
        return rc;
#define ORG_SENT(i) (v[i].present ? "true" : "false"), v[i].text
    rc = DB_ONE(g, json, "Organization not found", &st_org_update, id, ORG_SENT(OF_NAME), ORG_SENT(OF_SLUG),
                ORG_SENT(OF_DESC), ORG_SENT(OF_WEBSITE), ORG_SENT(OF_LOGO), roles[ORG_OWNER - mine]);
#undef ORG_SENT
    return slug_result(g, rc);
}

enum result organizations_delete(struct gctx *g, const char *id)
{
    enum result rc = db_begin(g);
    if (rc)
        return rc;
    PGresult *r;
    if (!(rc = organizations_access(g, id, ORG_OWNER, true, NULL)))
        rc = DB_RUN(g, &r, &st_org_delete, id);
    return db_finish(g, rc);
}

/* ---- members ---- */

enum result organizations_members(struct gctx *g, const char *id, const char *page, const char *limit,
                                  const char **json)
{
    struct paging pg;
    enum result rc = market_paging(g, page, limit, &pg);
    if (rc)
        return rc;
    rc = organizations_access(g, id, ORG_MEMBER, false, NULL);
    if (rc)
        return rc;
    PGresult *r;
    if ((rc = DB_RUN(g, &r, &st_org_members, id, pg.limit_s, pg.offset_s)))
        return rc;
    *json = market_paginated(g, &pg, db_val(r, 0, 1), db_ll(r, 0, 0));
    return R_SUCCESS;
}

STMT(st_member_lock, "SELECT role FROM organization_members WHERE organization_id = $1 AND user_id = $2 FOR UPDATE");
STMT(st_owner_count, "SELECT count(*) FROM organization_members WHERE organization_id = $1 AND role = 'owner'");
STMT(st_member_set_role,
     "WITH u AS (UPDATE organization_members SET role = $3 WHERE organization_id = $1 AND user_id = $2 RETURNING *)"
     " SELECT json_build_object('user_id', u.user_id, 'role', u.role, 'joined_at', iso(u.created_at),"
     "        'user', profile_json(p)) FROM u JOIN profiles p ON p.id = u.user_id");
STMT(st_member_delete, "DELETE FROM organization_members WHERE organization_id = $1 AND user_id = $2");

/* Under the organization's lock: checks the change to member `user` against the
 * caller's rank `mine` (only an owner makes, unmakes or removes an owner) and, when the
 * target is an owner who would stop being one (`losing`), against the owner count. */
static enum result target_check(struct gctx *g, const char *org, const char *user, enum org_role mine,
                                bool losing, bool making_owner)
{
    const char *target;
    enum result rc = DB_ONE(g, &target, "Member not found", &st_member_lock, org, user);
    if (rc)
        return rc;
    bool is_owner = organizations_role_rank(target) == ORG_OWNER;
    if ((is_owner || making_owner) && mine != ORG_OWNER)
        return gctx_fail(g, R_FORBIDDEN, "Only an owner can make or unmake an owner");
    if (!is_owner || !losing)
        return R_SUCCESS;
    const char *owners;
    if ((rc = DB_ONE(g, &owners, NULL, &st_owner_count, org)))
        return rc;
    if (!strcmp(owners, "1"))
        return gctx_fail(g, R_CONFLICT, "The last owner cannot leave, be removed or be demoted");
    return R_SUCCESS;
}

static const struct vfield role_fields[] = {
    {.name = "role", .type = V_ENUM, .required = true, .options = roles},
};

enum result organizations_set_role(struct gctx *g, const char *id, const char *user_id, const cJSON *body,
                                   const char **json)
{
    struct vvalue v[1];
    enum result rc = validate(g, body, role_fields, v);
    if (rc || (rc = db_begin(g)))
        return rc;
    enum org_role mine;
    bool to_owner = organizations_role_rank(v[0].s) == ORG_OWNER;
    if ((rc = organizations_access(g, id, ORG_ADMIN, true, &mine)))
        goto out;
    if (!market_id(user_id)) {
        rc = gctx_fail(g, R_NOTFOUND, "Member not found");
        goto out;
    }
    if ((rc = target_check(g, id, user_id, mine, !to_owner, to_owner)))
        goto out;
    rc = DB_ONE(g, json, "Member not found", &st_member_set_role, id, user_id, v[0].s);
out:
    return db_finish(g, rc);
}

enum result organizations_remove_member(struct gctx *g, const char *id, const char *user_id)
{
    bool self = user_id && g->user_id && !strcasecmp(user_id, g->user_id);
    enum result rc = db_begin(g);
    if (rc)
        return rc;
    enum org_role mine;
    PGresult *r;
    if ((rc = organizations_access(g, id, self ? ORG_MEMBER : ORG_ADMIN, true, &mine)))
        goto out;
    if (!market_id(user_id)) {
        rc = gctx_fail(g, R_NOTFOUND, "Member not found");
        goto out;
    }
    /* Leaving is always one's own business, whatever the role; the owner count still holds. */
    if (!(rc = target_check(g, id, user_id, self ? ORG_OWNER : mine, true, false)))
        rc = DB_RUN(g, &r, &st_member_delete, id, user_id);
out:
    return db_finish(g, rc);
}
