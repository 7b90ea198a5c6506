/* stripe.h — the Stripe API client: form-encoded requests over one libcurl handle per
 * process, Idempotency-Keys on POST, timeouts, retries of transient failures only, and
 * Stripe's errors mapped to client-safe results. Never call it inside a DB transaction. */
#ifndef GIGD_STRIPE_H
#define GIGD_STRIPE_H
#include <stdbool.h>
#include <cjson/cJSON.h>
#include "gctx.h"

#define STRIPE_MAX_ATTEMPTS 3
#define STRIPE_API_VERSION "2024-06-20"

struct stripe_param {
    const char *k, *v; /* a NULL v leaves the parameter out */
};

struct stripe_outcome {
    long status;       /* last HTTP status, 0 when none came back */
    bool definite;     /* Stripe answered and the answer will not change on retry (2xx, or a 4xx
                          other than 409/429): the operation is finished either way */
    int attempts;
};

/* method "GET" or "POST"; path "/v1/..."; params form-encoded (the query for GET).
 * idem_key is required for POST and sent on every attempt, so retries are one operation.
 * Success: R_SUCCESS and *out = the response object, owned by g's arena.
 * Failure: R_UNAVAILABLE (unreachable, timed out, rate limited, not configured) or
 * R_UPSTREAM (Stripe answered with an error), g->err a client-safe message; Stripe's own
 * message goes to the log only. oc (may be NULL) says what happened. */
enum result stripe_request(struct gctx *g, const char *method, const char *path, const struct stripe_param *params,
                           int n, const char *idem_key, cJSON **out, struct stripe_outcome *oc);

/* Form-encodes params ("k=v&k2=v2", both sides percent-encoded) into g's arena. */
const char *stripe_form(struct gctx *g, const struct stripe_param *params, int n);

/* Percent-encodes s (for a path segment) into g's arena. */
const char *stripe_escape(struct gctx *g, const char *s);

#endif
