/* trust.h — blocks between users and reports of users and content (issue 15, item 3).
 * A blocked pair (either direction) cannot message, open a conversation, apply to or
 * review each other, and neither sees the other's gigs in search or recommendations:
 * each of those modules tests sql/018's blocked_pair() in its own statement and
 * refuses with TRUST_BLOCKED_MSG (403: the caller already knows the other user). */
#ifndef GIGD_TRUST_H
#define GIGD_TRUST_H
#include <stdbool.h>
#include <cjson/cJSON.h>
#include "gctx.h"

#define TRUST_BLOCKED_MSG "You cannot interact with this user (one of you blocked the other)"

/* The caller blocks user_id: *json {user_id, user, created_at} (arena); *created says
 * whether this call made the block (a repeat answers the existing one). */
enum result trust_block(struct gctx *g, const char *user_id, const char **json, bool *created);
/* Lifts the caller's block of user_id; idempotent. */
enum result trust_unblock(struct gctx *g, const char *user_id);
/* PaginatedResult of the caller's blocks, newest first. */
enum result trust_blocks(struct gctx *g, const char *page, const char *limit, const char **json);
/* Stores the caller's report {subject_type, subject_id, reason, details} once per
 * (reporter, subject): a repeat answers the stored report unchanged (*created false).
 * A subject the caller cannot see is R_NOTFOUND. */
enum result trust_report(struct gctx *g, const cJSON *body, const char **json, bool *created);

#endif
