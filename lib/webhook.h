/* webhook.h — Stripe webhook events: verification, once-only handling, and their effect on
 * subscriptions and notifications. */
#ifndef GIGD_WEBHOOK_H
#define GIGD_WEBHOOK_H
#include <stddef.h>
#include "gctx.h"

/* Verifies sig_header over the raw body (exact bytes as received) with
 * GIGD_STRIPE_WEBHOOK_SECRET, then handles the event once: the event id is recorded in the
 * same transaction as its effect, so a redelivery changes nothing. R_INVALID (nothing
 * changed) on a missing/malformed/wrong/stale signature or a malformed event.
 * *json = {"received":true[,"duplicate":true|"ignored":true]}, arena-owned. */
enum result webhook_stripe(struct gctx *g, const char *sig_header, const char *body, size_t len, const char **json);

/* Stripe subscription status → ours: incomplete_expired → incomplete, unpaid/paused and
 * anything unknown → canceled. */
const char *webhook_map_status(const char *stripe_status);

#endif
