/* h_urgent.c — thin adapters from HTTP to lib/availability.c and lib/urgent.c. */
#include "availability.h"
#include "handlers.h"
#include "respond.h"
#include "urgent.h"

void h_availability_get(struct request *r) { RENDER(r, 200, availability_get(&r->g, RENDER_OUT)); }
void h_availability_update(struct request *r) { RENDER(r, 200, availability_update(&r->g, r->json, RENDER_OUT)); }
void h_availability_location(struct request *r) { RENDER(r, 200, availability_set_location(&r->g, r->json)); }

void h_urgent_create(struct request *r) { RENDER(r, 201, urgent_create(&r->g, r->json, RENDER_OUT)); }
void h_urgent_get(struct request *r) { RENDER(r, 200, urgent_get(&r->g, req_arg(r, 0), RENDER_OUT)); }
void h_urgent_responses(struct request *r) { RENDER(r, 200, urgent_responses(&r->g, req_arg(r, 0), RENDER_OUT)); }

void h_urgent_confirm_payment(struct request *r)
{
    RENDER(r, 200, urgent_confirm_payment(&r->g, req_arg(r, 0), RENDER_OUT));
}

void h_urgent_respond(struct request *r) { RENDER(r, 200, urgent_respond(&r->g, req_arg(r, 0), r->json)); }

void h_urgent_select(struct request *r)
{
    RENDER(r, 200, urgent_select(&r->g, req_arg(r, 0), r->json, RENDER_OUT));
}

void h_urgent_mine(struct request *r)
{
    RENDER(r, 200, urgent_mine(&r->g, req_query(r, "role"), req_query(r, "page"), req_query(r, "limit"), RENDER_OUT));
}

/* /api/cron/urgent-gigs/:job is the cron job "urgent-gigs/<job>" (same secret, same table). */
void h_cron_urgent(struct request *r)
{
    r->params[0] = arena_sprintf(r->a, "urgent-gigs/%s", req_arg(r, 0));
    h_cron(r);
}
