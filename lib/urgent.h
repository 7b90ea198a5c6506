/* urgent.h — urgent gigs (seed 003): create with a Stripe hold, payment held → matching
 * (exactly once), read, respond, select, lists. Every function acts for g->user_id unless
 * it says otherwise; JSON outputs are arena-owned text ready for the envelope. A gig the
 * caller may not see is R_NOTFOUND. */
#ifndef GIGD_URGENT_H
#define GIGD_URGENT_H
#include "gctx.h"

/* POST /api/gigs/urgent → {gig_id, stripe_client_secret, estimated_matches}. */
enum result urgent_create(struct gctx *g, const cJSON *body, const char **json);
/* POST /api/gigs/:id/confirm-payment (requester): asks Stripe for the PaymentIntent; held
 * (requires_capture) → escrowed and the first wave, once. → {payment_status, urgent_status}. */
enum result urgent_confirm_payment(struct gctx *g, const char *gig_id, const char **json);
/* Webhook payment_intent.* (type), inside the webhook's transaction: held → escrowed and
 * the first wave (once); payment_failed / canceled → gig cancelled, requester notified. */
enum result urgent_on_payment_intent(struct gctx *g, const char *type, const cJSON *pi);
/* GET /api/gigs/urgent/:id (requester, or a provider it was offered to). */
enum result urgent_get(struct gctx *g, const char *gig_id, const char **json);
/* GET /api/gigs/urgent/:id/responses (requester only; an offered provider gets 403). */
enum result urgent_responses(struct gctx *g, const char *gig_id, const char **json);
/* POST /api/gigs/:id/respond {action: accept|decline, message?}. */
enum result urgent_respond(struct gctx *g, const char *gig_id, const cJSON *body);
/* POST /api/gigs/:id/select {response_id} → {project_id}. */
enum result urgent_select(struct gctx *g, const char *gig_id, const cJSON *body, const char **json);
/* GET /api/me/urgent-gigs?role=requester|provider&page&limit → PaginatedResult. */
enum result urgent_mine(struct gctx *g, const char *role, const char *page, const char *limit, const char **json);

#endif
