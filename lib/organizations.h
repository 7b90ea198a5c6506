/* organizations.h — workspaces (seed 004): organizations, their members and roles.
 * Invitations are invitations.c, categories, jobs, applicants and the public job board
 * org_jobs.c. A resource of an organization the caller is not a member of is
 * R_NOTFOUND (never its data); a member below the needed role gets R_FORBIDDEN.
 * Every returned *json is JSON text in g's arena. */
#ifndef GIGD_ORGANIZATIONS_H
#define GIGD_ORGANIZATIONS_H
#include <stdbool.h>
#include <cjson/cJSON.h>
#include "gctx.h"

/* Roles, ordered: a higher one can do everything a lower one can. */
enum org_role { ORG_NONE = 0, ORG_MEMBER, ORG_ADMIN, ORG_OWNER };

/* The caller's role in live organization `org`, at least `min` (R_NOTFOUND when not a
 * member or no such organization, R_FORBIDDEN when below). With `lock` (inside a
 * transaction) the organization's row is locked, which serialises every change of
 * membership so that "the last owner" is counted under the lock. *role may be NULL. */
enum result organizations_access(struct gctx *g, const char *org, enum org_role min, bool lock,
                                 enum org_role *role);
/* "owner"/"admin"/"member" → its rank, else ORG_NONE. */
enum org_role organizations_role_rank(const char *role);

/* {name, slug?, description?, website?, logo_url?} → 201 Organization (caller = owner).
 * Slug derived from the name when absent; taken → R_CONFLICT. */
enum result organizations_create(struct gctx *g, const cJSON *body, const char **json);
/* Paginated organizations of the caller, each with `role`. */
enum result organizations_mine(struct gctx *g, const char *page, const char *limit, const char **json);
/* One organization (member), with `role` and `members_count`. */
enum result organizations_get(struct gctx *g, const char *id, const char **json);
/* Partial update (admin+). */
enum result organizations_update(struct gctx *g, const char *id, const cJSON *body, const char **json);
/* Deletes (owner): closes its jobs, rejects and notifies their undecided applicants once,
 * revokes pending invitations. */
enum result organizations_delete(struct gctx *g, const char *id);

/* Paginated members with their public profiles (member). */
enum result organizations_members(struct gctx *g, const char *id, const char *page, const char *limit,
                                  const char **json);
/* {role} for member user_id (admin+; only an owner makes or unmakes an owner; the last
 * owner cannot be demoted: R_CONFLICT). */
enum result organizations_set_role(struct gctx *g, const char *id, const char *user_id, const cJSON *body,
                                   const char **json);
/* Removes user_id (admin+, or anyone for themselves); the last owner cannot go (R_CONFLICT). */
enum result organizations_remove_member(struct gctx *g, const char *id, const char *user_id);

#endif
