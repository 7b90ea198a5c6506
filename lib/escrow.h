/* escrow.h — where an urgent gig's held payment goes: completion (delivered → released),
 * the settlement engine (capture / cancel / refund at Stripe, release to the provider's
 * wallet, Transfer to their connected account, each booked once in the ledger), the
 * wallet, the money webhooks and the money cron jobs. Every step is exactly once under
 * retries, races, crashes and webhook replays; no transaction is open while Stripe is
 * called (claim the operation row, call Stripe with its key, record the result). */
#ifndef GIGD_ESCROW_H
#define GIGD_ESCROW_H
#include "gctx.h"

/* POST /api/gigs/:id/complete. Provider → {status: "delivered", auto_release_at};
 * requester → {released_amount, currency} once the money is released. */
enum result escrow_complete(struct gctx *g, const char *gig_id, const char **json);

/* Carries out the settlement decided for gig_id (gigs.settle_percent) as far as it can:
 * safe to call again at any time, by anyone; each step happens once. */
enum result escrow_settle(struct gctx *g, const char *gig_id);

/* GET /api/wallet?page&limit → {balance, currency, wallets, transactions, total, page, limit}. */
enum result escrow_wallet(struct gctx *g, const char *page, const char *limit, const char **json);

/* Webhook events about money we moved (inside the webhook's transaction): records a
 * capture, cancel, refund, transfer or reversal that Stripe reports, once. */
enum result escrow_on_event(struct gctx *g, const char *type, const cJSON *obj);

/* Cron jobs (no transaction open: they call Stripe). */
enum result escrow_cron_expire(struct gctx *g, const char **json);
enum result escrow_cron_auto_release(struct gctx *g, const char **json);
enum result escrow_cron_capture_held(struct gctx *g, const char **json);

#endif
