/* invitations.h — inviting people into an organization by email: a single-use token,
 * mailed through the outbox, stored only as a hash, valid 7 days. */
#ifndef GIGD_INVITATIONS_H
#define GIGD_INVITATIONS_H
#include <cjson/cJSON.h>
#include "gctx.h"

/* {email, role?} (admin+; only an owner invites an owner) → 201 Invitation, and the mail
 * with the token queued in the same transaction. A member's email → R_CONFLICT; a
 * pending invitation to the same email is revoked and replaced. */
enum result invitations_create(struct gctx *g, const char *org, const cJSON *body, const char **json);
/* Paginated pending (not accepted, revoked or expired) invitations (admin+). */
enum result invitations_pending(struct gctx *g, const char *org, const char *page, const char *limit,
                                const char **json);
/* Revokes a pending invitation (admin+); anything else is R_NOTFOUND. */
enum result invitations_revoke(struct gctx *g, const char *org, const char *id);
/* The caller joins with the invitation's role → the Organization with `role`. Unknown
 * token R_NOTFOUND; sent to another email R_FORBIDDEN; used, revoked, expired or its
 * organization deleted R_GONE. Once only, however many requests race (row lock). */
enum result invitations_accept(struct gctx *g, const char *token, const char **json);

#endif
