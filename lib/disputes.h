/* disputes.h — disputes about an urgent-gig project (seed 003 section 3.4). Raising one
 * freezes the money (no completion, no auto-release) until an operator resolves it with
 * `gigctl dispute resolve`, which decides the settlement and carries it out (escrow.h). */
#ifndef GIGD_DISPUTES_H
#define GIGD_DISPUTES_H
#include "gctx.h"

/* POST /api/disputes → {dispute_id}. */
enum result disputes_create(struct gctx *g, const cJSON *body, const char **json);
/* GET /api/disputes/:id (parties only). */
enum result disputes_get(struct gctx *g, const char *id, const char **json);
/* POST /api/disputes/:id/respond (the "against" party, once). */
enum result disputes_respond(struct gctx *g, const char *id, const cJSON *body);
/* Operator: outcome "refund" | "release" | "split" (percent to the provider, 0–100);
 * running it again with the same decision finishes a settlement Stripe interrupted. */
enum result disputes_resolve(struct gctx *g, const char *id, const char *outcome, const char *percent,
                             const char *notes, const char **json);

#endif
