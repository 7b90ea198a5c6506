/* h_pay.c — /api/subscription* and the Stripe webhook: thin adapters over
 * lib/subscriptions.c and lib/webhook.c. */
#include "handlers.h"
#include "respond.h"
#include "subscriptions.h"
#include "webhook.h"

void h_subscription_get(struct request *r)
{
    RENDER(r, 200, subscriptions_get(&r->g, RENDER_OUT));
}

void h_subscription_checkout(struct request *r)
{
    RENDER(r, 200, subscriptions_checkout(&r->g, RENDER_OUT));
}

void h_subscription_portal(struct request *r)
{
    RENDER(r, 200, subscriptions_portal(&r->g, RENDER_OUT));
}

void h_subscription_cancel(struct request *r)
{
    RENDER(r, 200, subscriptions_cancel(&r->g, RENDER_OUT));
}

/* The body is verified byte for byte as received: the route is not JSON-flagged, so the
 * worker hands it over raw (r->body, r->body_len). */
void h_stripe_webhook(struct request *r)
{
    RENDER(r, 200, webhook_stripe(&r->g, req_param(r, "HTTP_STRIPE_SIGNATURE"), r->body, r->body_len, RENDER_OUT));
}
