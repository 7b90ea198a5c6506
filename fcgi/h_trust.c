/* h_trust.c — thin adapters for blocks and reports (lib/trust.c). */
#include "h_trust.h"
#include "respond.h"
#include "trust.h"

/* 201 when the call made the block or report, 200 when it was already there. */
void h_trust_block(struct request *r)
{
    const char *json = NULL;
    bool created = false;
    enum result rc = trust_block(&r->g, req_arg(r, 0), &json, &created);
    respond_result(r, rc, created ? 201 : 200, json);
}

void h_trust_unblock(struct request *r) { respond_result(r, trust_unblock(&r->g, req_arg(r, 0)), 200, NULL); }

void h_trust_blocks(struct request *r)
{
    RENDER(r, 200, trust_blocks(&r->g, req_query(r, "page"), req_query(r, "limit"), RENDER_OUT));
}

void h_trust_report(struct request *r)
{
    const char *json = NULL;
    bool created = false;
    enum result rc = trust_report(&r->g, r->json, &json, &created);
    respond_result(r, rc, created ? 201 : 200, json);
}
