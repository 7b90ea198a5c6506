/* subscriptions.c — checkout, portal and cancel. Each outgoing Stripe call is an operation
 * row in stripe_ops whose id is in the Idempotency-Key, so when a call fails or times out on
 * our side, the user's retry is the same operation at Stripe (no second customer, no second
 * session). Nothing here holds a transaction while Stripe is asked: each step is one
 * statement before or after the call, and Stripe's answer is stored in one statement. */
#include "subscriptions.h"
#include "buf.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "stripe.h"
#include "util.h"
#include <string.h>

STMT(st_subs_get, "SELECT subscription_json(s) FROM subscriptions s WHERE s.user_id = $1");

enum result subscriptions_get(struct gctx *g, const char **json)
{
    PGresult *r;
    enum result rc = DB_RUN(g, &r, &st_subs_get, g->user_id);
    if (rc)
        return rc;
    *json = PQntuples(r) ? db_val(r, 0, 0) : "null";
    return R_SUCCESS;
}

/* ---------------------------------------------------------------- operations */

/* A pending operation older than Stripe's idempotency window (24 h) starts afresh. */
STMT(st_op_expire,
     "UPDATE stripe_ops SET done_at = now(), outcome = 'expired'"
     " WHERE user_id = $1 AND kind = $2 AND done_at IS NULL AND created_at < now() - interval '23 hours'");
STMT(st_op_claim,
     "WITH ins AS (INSERT INTO stripe_ops (user_id, kind) VALUES ($1, $2)"
     "             ON CONFLICT (user_id, kind) WHERE done_at IS NULL DO NOTHING RETURNING id)"
     " SELECT id FROM ins"
     " UNION ALL (SELECT id FROM stripe_ops WHERE user_id = $1 AND kind = $2 AND done_at IS NULL)"
     " LIMIT 1");
STMT(st_op_finish, "UPDATE stripe_ops SET done_at = now(), outcome = $2 WHERE id = $1 AND done_at IS NULL");

struct op {
    const char *id;
    const char *key; /* Idempotency-Key: "<kind>-<user_id>-<id>" */
};

/* The pending operation of this kind for the user, or a new one. */
static enum result op_begin(struct gctx *g, const char *kind, struct op *op)
{
    PGresult *r;
    enum result rc = DB_RUN(g, &r, &st_op_expire, g->user_id, kind);
    if (rc)
        return rc;
    /* A concurrent claim may commit between our INSERT and SELECT snapshots: ask again. */
    for (int i = 0; i < 3; i++) {
        if ((rc = DB_RUN(g, &r, &st_op_claim, g->user_id, kind)))
            return rc;
        if (PQntuples(r)) {
            op->id = db_val(r, 0, 0);
            op->key = arena_sprintf(g->a, "%s-%s-%s", kind, g->user_id, op->id);
            return R_SUCCESS;
        }
    }
    return gctx_fail(g, R_CONFLICT, "Another payment request is in progress; please try again");
}

/* After a failed call: a definite refusal finishes the operation; a transient failure
 * leaves it pending so the retry reuses its key. The call's error (res, with its message
 * in g->err) stays the one the client is told: failing to mark the operation is only
 * logged. */
static void op_refused(struct gctx *g, const struct op *op, enum result res, const struct stripe_outcome *oc)
{
    if (!oc->definite)
        return;
    const char *msg = g->err;
    PGresult *r;
    if (DB_RUN(g, &r, &st_op_finish, op->id, "refused")) {
        log_warn("stripe op %s: could not mark refused", op->id);
        gctx_fail(g, res, msg);
    }
}

/* POSTs params to Stripe as operation op: *out = Stripe's answer (arena-owned). */
static enum result op_call(struct gctx *g, const struct op *op, const char *path, const struct stripe_param *p,
                           int n, cJSON **out)
{
    struct stripe_outcome oc;
    enum result rc = stripe_request(g, "POST", path, p, n, op->key, out, &oc);
    if (rc)
        op_refused(g, op, rc, &oc);
    return rc;
}

static const char *json_str(const cJSON *o, const char *k)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

/* ------------------------------------------------------------------ customer */

STMT(st_subs_customer_of,
     "SELECT s.stripe_customer_id, u.email, s.status, s.plan, s.stripe_subscription_id, s.cancel_at_period_end"
     " FROM users u LEFT JOIN subscriptions s ON s.user_id = u.id WHERE u.id = $1");
/* Stores the customer and finishes its operation in one statement. coalesce: a customer
 * already stored (by a concurrent request's replay of the same operation) wins. */
STMT(st_subs_set_customer,
     "WITH f AS (UPDATE stripe_ops SET done_at = now(), outcome = 'ok' WHERE id = $3 AND done_at IS NULL)"
     " INSERT INTO subscriptions (user_id, stripe_customer_id) VALUES ($1, $2)"
     " ON CONFLICT (user_id) DO UPDATE SET"
     "   stripe_customer_id = coalesce(subscriptions.stripe_customer_id, EXCLUDED.stripe_customer_id),"
     "   updated_at = CASE WHEN subscriptions.stripe_customer_id IS NULL THEN now() ELSE subscriptions.updated_at END"
     " RETURNING stripe_customer_id");

struct account {
    const char *customer, *email, *status, *plan, *subscription;
    bool cancel_at_period_end;
    bool has_row;
};

static enum result load_account(struct gctx *g, struct account *acc)
{
    PGresult *r;
    enum result rc = DB_RUN(g, &r, &st_subs_customer_of, g->user_id);
    if (rc)
        return rc;
    if (!PQntuples(r))
        return gctx_fail(g, R_UNAUTHORIZED, "Authentication required");
    /* Values point into r, which lives until the arena resets; NULL for SQL NULL. */
    acc->customer = db_val(r, 0, 0);
    acc->email = db_val(r, 0, 1);
    acc->status = db_val(r, 0, 2);
    acc->plan = db_val(r, 0, 3);
    acc->subscription = db_val(r, 0, 4);
    acc->has_row = acc->status != NULL; /* status is NOT NULL in a subscriptions row */
    acc->cancel_at_period_end = acc->has_row && db_bool(r, 0, 5);
    return R_SUCCESS;
}

static bool live(const struct account *acc)
{
    return acc->has_row && !strcmp(acc->plan, "pro") &&
           (!strcmp(acc->status, "active") || !strcmp(acc->status, "trialing") || !strcmp(acc->status, "past_due"));
}

/* The user's Stripe customer id, created at Stripe on first need. */
static enum result ensure_customer(struct gctx *g, struct account *acc)
{
    if (acc->customer)
        return R_SUCCESS;
    struct op op;
    enum result rc = op_begin(g, "customer", &op);
    if (rc)
        return rc;
    /* A concurrent request may have finished the customer operation (storing the customer in
     * the same statement) between our first look and our claim: then our claim is a new
     * operation, and going on would create a second customer at Stripe. Look again. */
    struct account again;
    if ((rc = load_account(g, &again)))
        return rc;
    PGresult *r;
    if (again.customer) {
        /* Best effort: an operation left pending expires by itself (st_op_expire). */
        if (DB_RUN(g, &r, &st_op_finish, op.id, "expired"))
            log_warn("stripe op %s: could not mark expired", op.id);
        acc->customer = again.customer;
        return R_SUCCESS;
    }
    const struct stripe_param p[] = {
        {"email", acc->email},
        {"metadata[user_id]", g->user_id},
    };
    cJSON *cus;
    if ((rc = op_call(g, &op, "/v1/customers", p, (int)ARRAY_SIZE(p), &cus)))
        return rc;
    const char *id = json_str(cus, "id");
    if (!id || !*id) {
        log_error("stripe: customer answer without an id");
        return gctx_fail(g, R_UPSTREAM, "Payment provider sent an unexpected answer");
    }
    return DB_ONE(g, &acc->customer, NULL, &st_subs_set_customer, g->user_id, id, op.id);
}

/* {"url": "..."} from a Stripe object with a url. */
static enum result url_json(struct gctx *g, const cJSON *obj, const char **json)
{
    const char *url = json_str(obj, "url");
    if (!url || strncmp(url, "https://", 8)) {
        log_error("stripe: session answer without an https url");
        return gctx_fail(g, R_UPSTREAM, "Payment provider sent an unexpected answer");
    }
    struct buf b;
    buf_init(&b, g->a, strlen(url) + 16);
    buf_puts(&b, "{\"url\":");
    buf_json_str(&b, url);
    buf_putc(&b, '}');
    *json = b.p;
    return R_SUCCESS;
}

/* A Checkout or Billing Portal session, asked as operation `kind`: *json = {"url": ...}.
 * The operation is finished once the url is in hand. */
static enum result session_url(struct gctx *g, const char *kind, const char *path, const struct stripe_param *p,
                               int n, const char **json)
{
    struct op op;
    cJSON *session;
    PGresult *r;
    enum result rc = op_begin(g, kind, &op);
    if (rc || (rc = op_call(g, &op, path, p, n, &session)) || (rc = url_json(g, session, json)))
        return rc;
    return DB_RUN(g, &r, &st_op_finish, op.id, "ok");
}

/* ------------------------------------------------------------------ checkout */

enum result subscriptions_checkout(struct gctx *g, const char **json)
{
    if (!cfg.stripe_pro_price[0]) {
        log_error("stripe: GIGD_STRIPE_PRO_PRICE is not set");
        return gctx_fail(g, R_UNAVAILABLE, "Payments are not configured");
    }
    struct account acc;
    enum result rc = load_account(g, &acc);
    if (rc)
        return rc;
    if (live(&acc))
        return gctx_fail(g, R_CONFLICT, "You already have a Pro subscription; manage it in the billing portal");
    if ((rc = ensure_customer(g, &acc)))
        return rc;
    const struct stripe_param p[] = {
        {"mode", "subscription"},
        {"customer", acc.customer},
        {"line_items[0][price]", cfg.stripe_pro_price},
        {"line_items[0][quantity]", "1"},
        {"client_reference_id", g->user_id},
        {"metadata[user_id]", g->user_id},
        {"subscription_data[metadata][user_id]", g->user_id},
        {"success_url", arena_sprintf(g->a, "%s/settings/billing?checkout=success&session_id={CHECKOUT_SESSION_ID}",
                                      cfg.public_url)},
        {"cancel_url", arena_sprintf(g->a, "%s/settings/billing?checkout=canceled", cfg.public_url)},
    };
    return session_url(g, "checkout", "/v1/checkout/sessions", p, (int)ARRAY_SIZE(p), json);
}

/* -------------------------------------------------------------------- portal */

enum result subscriptions_portal(struct gctx *g, const char **json)
{
    struct account acc;
    enum result rc = load_account(g, &acc);
    if (rc)
        return rc;
    if (!acc.customer)
        return gctx_fail(g, R_NOTFOUND, "No billing account yet: subscribe to Pro first");
    const struct stripe_param p[] = {
        {"customer", acc.customer},
        {"return_url", arena_sprintf(g->a, "%s/settings/billing", cfg.public_url)},
    };
    return session_url(g, "portal", "/v1/billing_portal/sessions", p, (int)ARRAY_SIZE(p), json);
}

/* -------------------------------------------------------------------- cancel */

/* Records Stripe's answer; the periods come from the answer when present. The webhook
 * (customer.subscription.updated) that follows carries the same state. stripe_state_at is
 * left alone on purpose: our clock and Stripe's event `created` are not comparable, and
 * the cancel's own event (newer than anything before it) re-asserts the flag should an
 * older event arrive late and clear it. */
STMT(st_subs_mark_cancel,
     "WITH f AS (UPDATE stripe_ops SET done_at = now(), outcome = 'ok' WHERE id = $5 AND done_at IS NULL)"
     " UPDATE subscriptions s SET cancel_at_period_end = true,"
     "   current_period_start = coalesce(to_timestamp($3::bigint), s.current_period_start),"
     "   current_period_end = coalesce(to_timestamp($4::bigint), s.current_period_end), updated_at = now()"
     " WHERE s.user_id = $1 AND s.stripe_subscription_id = $2 RETURNING subscription_json(s)");

static const char *num_str(struct gctx *g, const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? arena_sprintf(g->a, "%.0f", v->valuedouble) : NULL;
}

enum result subscriptions_cancel(struct gctx *g, const char **json)
{
    struct account acc;
    enum result rc = load_account(g, &acc);
    if (rc)
        return rc;
    if (!live(&acc) || !acc.subscription)
        return gctx_fail(g, R_NOTFOUND, "No active subscription to cancel");
    if (acc.cancel_at_period_end)
        return subscriptions_get(g, json); /* already set: nothing to ask Stripe */
    struct op op;
    if ((rc = op_begin(g, "cancel", &op)))
        return rc;
    const struct stripe_param p[] = {{"cancel_at_period_end", "true"}};
    const char *path = arena_sprintf(g->a, "/v1/subscriptions/%s", stripe_escape(g, acc.subscription));
    cJSON *sub;
    if ((rc = op_call(g, &op, path, p, (int)ARRAY_SIZE(p), &sub)))
        return rc;
    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(sub, "cancel_at_period_end")))
        log_warn("stripe: cancel of %s answered without cancel_at_period_end", acc.subscription);
    PGresult *r;
    rc = DB_RUN(g, &r, &st_subs_mark_cancel, g->user_id, acc.subscription, num_str(g, sub, "current_period_start"),
                num_str(g, sub, "current_period_end"), op.id);
    if (rc)
        return rc;
    if (!PQntuples(r)) /* the subscription changed under us (webhook): show what is stored */
        return subscriptions_get(g, json);
    *json = db_val(r, 0, 0);
    return R_SUCCESS;
}
