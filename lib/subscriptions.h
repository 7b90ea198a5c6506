/* subscriptions.h — the Pro plan: the user's Subscription, Stripe Checkout, the billing
 * portal and cancel-at-period-end. State changes from Stripe arrive by webhook (webhook.h);
 * these calls only start operations and record what Stripe answered. */
#ifndef GIGD_SUBSCRIPTIONS_H
#define GIGD_SUBSCRIPTIONS_H
#include "gctx.h"

/* *json = the caller's Subscription object, or "null" (free, never checked out). Arena-owned. */
enum result subscriptions_get(struct gctx *g, const char **json);
/* Creates (or reuses) the Stripe customer, then a Checkout Session for the Pro price:
 * *json = {"url": "..."}. R_CONFLICT when the user already has a live Pro subscription. */
enum result subscriptions_checkout(struct gctx *g, const char **json);
/* A Billing Portal session for the stored customer: *json = {"url": "..."}.
 * R_NOTFOUND when the user has no Stripe customer yet. */
enum result subscriptions_portal(struct gctx *g, const char **json);
/* Cancels at period end at Stripe and records cancel_at_period_end: *json = Subscription.
 * R_NOTFOUND when there is no live subscription. */
enum result subscriptions_cancel(struct gctx *g, const char **json);

#endif
