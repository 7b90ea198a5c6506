/* h_pay.h — handlers of the subscription routes and the Stripe webhook (fcgi/h_pay.c). */
#ifndef GIGD_H_PAY_H
#define GIGD_H_PAY_H
#include "http.h"

void h_subscription_get(struct request *r);
void h_subscription_checkout(struct request *r);
void h_subscription_portal(struct request *r);
void h_subscription_cancel(struct request *r);
void h_stripe_webhook(struct request *r);

#endif
