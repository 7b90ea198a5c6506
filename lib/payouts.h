/* payouts.h — provider payouts (issue 17): the provider's Stripe Connect Express account
 * (onboarding link, our copy of its state from account.updated), the Transfers owed to
 * it once it is enabled, Stripe's payouts to the bank (payout.* webhooks, the history),
 * receipts of wallet entries (JSON and a one-page PDF) and the operator's money report.
 * The release itself and each Transfer are lib/escrow.c's. */
#ifndef GIGD_PAYOUTS_H
#define GIGD_PAYOUTS_H
#include <stddef.h>
#include <cjson/cJSON.h>
#include "gctx.h"

/* POST /api/payouts/account: the caller's connected account, created at Stripe once (even
 * under concurrent calls), and a fresh onboarding Account Link for it →
 * {url, expires_at, account_id, status}. Calls Stripe: no transaction may be open. */
enum result payouts_account_link(struct gctx *g, const char **json);

/* GET /api/payouts/account → {status: none|pending|restricted|enabled, requirements_due,
 * payouts_enabled, default_currency, account_id}. */
enum result payouts_account_get(struct gctx *g, const char **json);

/* account.updated (inside the webhook's transaction; created = the event's epoch seconds
 * as text). When the account is enabled, the Transfers of everything owed are claimed and
 * *settle_user (arena) names the provider whose Transfers payouts_settle_owed() makes
 * after the commit; otherwise it is left NULL. */
enum result payouts_on_account_updated(struct gctx *g, const cJSON *account, const char *created,
                                       const char **settle_user);

/* After the account.updated commit (no transaction open: it calls Stripe): makes the
 * provider's claimed Transfers. Failures are logged and left to the expire job's sweep. */
void payouts_settle_owed(struct gctx *g, const char *user_id);

/* payout.created / payout.updated / payout.paid / payout.failed / payout.canceled for the
 * connected account `account` (inside the webhook's transaction). */
enum result payouts_on_payout(struct gctx *g, const char *account, const cJSON *payout, const char *created);

/* GET /api/payouts?page&limit → PaginatedResult of the caller's payouts. */
enum result payouts_list(struct gctx *g, const char *page, const char *limit, const char **json);

/* GET /api/wallet/transactions/:id/receipt: the receipt of the caller's wallet entry id (a
 * release or a transfer). JSON in *json; with pdf, a one-page PDF in *out / *len instead
 * (arena). Another user's entry is R_NOTFOUND. */
enum result payouts_receipt(struct gctx *g, const char *id, bool pdf, const char **out, size_t *len);

/* A one-page PDF (A4, Helvetica) of lines (title first, larger) into g's arena; text
 * outside printable ASCII is written as '?'. */
const char *payouts_pdf(struct gctx *g, const char *const *lines, int n, size_t *len);

/* The money report over ledger groups created in [from, to) (dates or timestamps):
 * *json the report, *unbalanced the number of groups that do not sum to zero. */
enum result payouts_money_report(struct gctx *g, const char *from, const char *to, const char **json,
                                 long long *unbalanced);

#endif
