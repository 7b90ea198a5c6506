/* h_pay.c — /api/subscription* and the Stripe webhook: thin adapters over
 * lib/subscriptions.c and lib/webhook.c. */
#include "handlers.h"
#include "respond.h"
#include "subscriptions.h"
#include "webhook.h"

void h_subscription_get(struct request *r)
{
    const char *json = NULL;
    enum result res = subs_get(&r->g, &json);
    respond_result(r, res, 200, json);
}

void h_subscription_checkout(struct request *r)
{
    const char *json = NULL;
    enum result res = subs_checkout(&r->g, &json);
    respond_result(r, res, 200, json);
}

void h_subscription_portal(struct request *r)
{
    const char *json = NULL;
    enum result res = subs_portal(&r->g, &json);
    respond_result(r, res, 200, json);
}

void h_subscription_cancel(struct request *r)
{
    const char *json = NULL;
    enum result res = subs_cancel(&r->g, &json);
    respond_result(r, res, 200, json);
}

/* The body is verified byte for byte as received: the route is not JSON-flagged, so the
 * worker hands it over raw (r->body, r->body_len). */
void h_stripe_webhook(struct request *r)
{
    const char *json = NULL;
    enum result res = webhook_stripe(&r->g, req_param(r, "HTTP_STRIPE_SIGNATURE"), r->body, r->body_len, &json);
    respond_result(r, res, 200, json);
}
