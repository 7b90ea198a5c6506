/* moderation.h — moderators' tools (issue 15, item 4): roles, reports' queue,
 * suspension, takedown and restore of gigs, messages and reviews, and the audit log.
 * Roles (users.role: user < moderator < admin) are set only by `gigctl user role`.
 * Every call checks the caller's role first: R_FORBIDDEN for anyone below it. Every
 * change writes its audit_log row (append-only in the database, sql/018) in the same
 * statement. Returned JSON is in g's arena. */
#ifndef GIGD_MODERATION_H
#define GIGD_MODERATION_H
#include <stdbool.h>
#include <cjson/cJSON.h>
#include "gctx.h"

/* R_SUCCESS when g->user_id holds at least `role` ("moderator" or "admin"). */
enum result moderation_require(struct gctx *g, const char *role);
/* PaginatedResult of reports, newest first; status NULL for every status. */
enum result moderation_reports(struct gctx *g, const char *status, const char *page, const char *limit,
                               const char **json);
/* {status: resolved|dismissed, resolution?} on report id → the report. */
enum result moderation_resolve(struct gctx *g, const char *id, const cJSON *body, const char **json);
/* Suspends (suspend = true) or reinstates user_id, {reason?}. Suspension revokes every
 * session of the user and ends their real-time streams after the commit, and hides
 * their gigs, messages and reviews; only a user of a lower role can be suspended. */
enum result moderation_suspend(struct gctx *g, const char *user_id, bool suspend, const cJSON *body,
                               const char **json);
/* Takes down (down = true) or restores the subject of `type` (gig, message, review). */
enum result moderation_takedown(struct gctx *g, const char *type, const char *id, bool down, const cJSON *body,
                                const char **json);
/* A moderator reads a gig, review or (reported or hidden) message as stored, hidden or
 * not: {subject_type, subject_id, hidden, hidden_at, hidden_cause, content}. */
enum result moderation_content(struct gctx *g, const char *type, const char *id, const char **json);
/* PaginatedResult of the audit log, newest first: admins only. */
enum result moderation_audit(struct gctx *g, const char *page, const char *limit, const char **json);
/* gigctl: sets the role of the account with that email; R_NOTFOUND / R_INVALID. */
enum result moderation_set_role(struct gctx *g, const char *email, const char *role);

#endif
