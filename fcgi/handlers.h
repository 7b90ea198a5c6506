/* handlers.h — every HTTP handler, by feature; the table in routes.c binds them to paths. */
#ifndef GIGD_HANDLERS_H
#define GIGD_HANDLERS_H
#include "http.h"
#include "h_pay.h"  /* subscriptions and the Stripe webhook */
#include "h_msg.h"
#include "h_market.h"
#include "h_urgent.h" /* urgent gigs and availability */
#include "h_org.h"    /* organizations, invitations, jobs, job board */
#include "h_trust.h"  /* blocks, reports, moderation (the admin routes) */

/* h_auth.c */
void h_auth_signup(struct request *r);
void h_auth_signin(struct request *r);
void h_auth_signout(struct request *r);
void h_auth_session(struct request *r);
void h_auth_reset(struct request *r);
void h_auth_reset_confirm(struct request *r);
void h_auth_password(struct request *r);

/* accounts: email verification (h_auth.c), export and deletion (h_account.c) */
void h_auth_verify_email(struct request *r);
void h_auth_verify_resend(struct request *r);
void h_auth_email(struct request *r);
void h_me_export(struct request *r);
void h_me_delete(struct request *r);

/* h_ops.c */
void h_healthz(struct request *r);
void h_cron(struct request *r);
void h_status(struct request *r);   /* loopback / GIGD_OPS_ALLOW, through nginx's marked locations */
void h_metrics(struct request *r);

#endif
