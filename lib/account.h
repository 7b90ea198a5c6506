/* account.h — the caller's account as a whole: export of everything held about it
 * (GET /api/me/export), deletion (DELETE /api/me: deactivated at once, restored by
 * signing in within GIGD_ACCOUNT_GRACE_DAYS) and the erase job that anonymises it after. */
#ifndef GIGD_ACCOUNT_H
#define GIGD_ACCOUNT_H
#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>
#include "gctx.h"

/* Where an export goes, piece by piece; false when it cannot take more (client gone). */
typedef bool (*account_sink)(void *ctx, const char *p, size_t n);

/* Writes one JSON object of everything held about g->user_id to sink, section by
 * section and page by page from one read-only snapshot, so memory stays bounded by a
 * page however much there is. Nothing reaches the sink before the account's own row was
 * read, so a failure up to there is an ordinary error; after it, a failure leaves the
 * output cut short (logged) and is returned. Never a password or token hash. */
enum result account_export(struct gctx *g, account_sink sink, void *ctx);

/* {password}: cancels the Pro subscription at Stripe (when live), then in one
 * transaction marks the account deleted, closes its open gigs, withdraws its undecided
 * applications, removes its push tokens and revokes every session (their real-time
 * streams end after commit). */
enum result account_delete(struct gctx *g, const cJSON *body);

/* Cron job "account-erase": anonymises accounts deleted more than the grace period ago.
 * *json = {"erased": N}. Runs in the caller's transaction. */
enum result account_erase_cron(struct gctx *g, const char **json);

#endif
