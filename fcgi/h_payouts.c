/* h_payouts.c — thin adapters from HTTP to lib/payouts.c: onboarding, the account's state,
 * the payout history and wallet receipts (JSON, or a PDF by ?format=pdf / Accept). */
#include "handlers.h"
#include "payouts.h"
#include "respond.h"
#include <string.h>

void h_payouts_account_create(struct request *r) { RENDER(r, 201, payouts_account_link(&r->g, RENDER_OUT)); }
void h_payouts_account_get(struct request *r) { RENDER(r, 200, payouts_account_get(&r->g, RENDER_OUT)); }

void h_payouts_list(struct request *r)
{
    RENDER(r, 200, payouts_list(&r->g, req_query(r, "page"), req_query(r, "limit"), RENDER_OUT));
}

/* ?format=pdf|json wins; without it, an Accept naming application/pdf asks for the PDF. */
static int wants_pdf(struct request *r)
{
    const char *f = req_query(r, "format");
    if (f)
        return !strcmp(f, "pdf") ? 1 : !strcmp(f, "json") ? 0 : -1;
    const char *accept = req_param(r, "HTTP_ACCEPT");
    return accept && strstr(accept, "application/pdf") ? 1 : 0;
}

void h_wallet_receipt(struct request *r)
{
    int pdf = wants_pdf(r);
    if (pdf < 0) {
        respond_result(r, gctx_fail_field(&r->g, "format", "must be json or pdf"), 200, NULL);
        return;
    }
    const char *out = NULL;
    size_t len = 0;
    enum result res = payouts_receipt(&r->g, req_arg(r, 0), pdf == 1, &out, &len);
    if (res || pdf == 0) {
        respond_result(r, res, 200, out);
        return;
    }
    r->status = 200;
    respond_header(r, "Content-Type", "application/pdf");
    respond_header(r, "Content-Disposition",
                   arena_sprintf(r->a, "inline; filename=\"receipt-%s.pdf\"", req_arg(r, 0)));
    r->out.len = 0;
    buf_put(&r->out, out, len);
    r->responded = true;
}
