/* webhook.c — Stripe events. Stripe delivers at least once and in no particular order, so:
 * (1) each event id goes into stripe_events in the transaction of its effect (a duplicate
 *     finds it there and is acknowledged without change), and
 * (2) subscription state carries stripe_state_at, the `created` of the newest event applied;
 *     an older event never overwrites it (same second: the later delivery wins).
 * Events we do not handle are acknowledged and not recorded, so a later version that
 * handles them (payment_intent.* for urgent gigs) is not blocked by a stale record. */
#include "webhook.h"
#include "buf.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "stripe_sig.h"
#include "urgent.h"
#include "validate.h"
#include "util.h"
#include <ctype.h>
#include <string.h>
#include <time.h>

const char *webhook_map_status(const char *s)
{
    static const char *const same[] = {"active", "trialing", "past_due", "incomplete", "canceled"};
    if (!s)
        return "canceled";
    for (size_t i = 0; i < ARRAY_SIZE(same); i++)
        if (!strcmp(s, same[i]))
            return same[i];
    if (!strcmp(s, "incomplete_expired"))
        return "incomplete";
    return "canceled"; /* unpaid, paused, anything new */
}

static bool is_pro_status(const char *s)
{
    return !strcmp(s, "active") || !strcmp(s, "trialing") || !strcmp(s, "past_due");
}

static const cJSON *get(const cJSON *o, const char *k)
{
    return cJSON_GetObjectItemCaseSensitive(o, k);
}

static const char *str(const cJSON *o, const char *k)
{
    const char *s = cJSON_GetStringValue(get(o, k));
    return s && *s ? s : NULL;
}

/* A field that is an id string or an expanded object with an id. */
static const char *id_of(const cJSON *o, const char *k)
{
    const cJSON *v = get(o, k);
    if (cJSON_IsObject(v))
        return str(v, "id");
    return str(o, k);
}

static const char *num(struct gctx *g, const cJSON *o, const char *k)
{
    const cJSON *v = get(o, k);
    return cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 1e13
               ? arena_sprintf(g->a, "%.0f", v->valuedouble)
               : NULL;
}

static bool present_uuid(const char *s)
{
    return s && valid_uuid(s);
}

/* ------------------------------------------------------------------- effects */

/* checkout.session.completed (mode subscription): links the customer and subscription to
 * the user; a paid session makes the plan pro unless a newer event already spoke. */
STMT(st_wh_checkout,
     "INSERT INTO subscriptions AS s (user_id, stripe_customer_id, stripe_subscription_id, status, plan, stripe_state_at)"
     " SELECT u.id, $2, $3, CASE WHEN $4 THEN 'active' ELSE 'incomplete' END,"
     "        CASE WHEN $4 THEN 'pro' ELSE 'free' END, to_timestamp($5::bigint)"
     " FROM users u WHERE u.id = $1::uuid"
     " ON CONFLICT (user_id) DO UPDATE SET"
     "   stripe_customer_id = coalesce(EXCLUDED.stripe_customer_id, s.stripe_customer_id),"
     "   stripe_subscription_id = coalesce(EXCLUDED.stripe_subscription_id, s.stripe_subscription_id),"
     "   status = CASE WHEN s.stripe_state_at IS NULL OR s.stripe_state_at <= EXCLUDED.stripe_state_at"
     "            THEN EXCLUDED.status ELSE s.status END,"
     "   plan = CASE WHEN s.stripe_state_at IS NULL OR s.stripe_state_at <= EXCLUDED.stripe_state_at"
     "          THEN EXCLUDED.plan ELSE s.plan END,"
     "   cancel_at_period_end = CASE WHEN s.stripe_state_at IS NULL OR s.stripe_state_at <= EXCLUDED.stripe_state_at"
     "          THEN false ELSE s.cancel_at_period_end END,"
     "   stripe_state_at = greatest(s.stripe_state_at, EXCLUDED.stripe_state_at), updated_at = now()"
     " RETURNING s.id");

static enum result on_checkout_completed(struct gctx *g, const cJSON *obj, const char *created)
{
    const char *mode = str(obj, "mode");
    if (mode && strcmp(mode, "subscription"))
        return R_SUCCESS; /* one-off payments belong to other modules */
    const char *uid = str(obj, "client_reference_id");
    if (!present_uuid(uid))
        uid = str(get(obj, "metadata"), "user_id");
    if (!present_uuid(uid)) {
        log_warn("webhook: checkout.session.completed %s without a user id", str(obj, "id") ? str(obj, "id") : "?");
        return R_SUCCESS;
    }
    const char *ps = str(obj, "payment_status");
    bool paid = !ps || !strcmp(ps, "paid") || !strcmp(ps, "no_payment_required");
    PGresult *r = DBQ(g, &st_wh_checkout, uid, id_of(obj, "customer"), id_of(obj, "subscription"),
                      paid ? "true" : "false", created);
    if (!r)
        return g->res;
    if (!PQntuples(r))
        log_warn("webhook: checkout.session.completed for unknown user %s", uid);
    return R_SUCCESS;
}

/* customer.subscription.*: the row is found by subscription id, then customer, then the
 * user id we put in the subscription's metadata at checkout. An event for another
 * subscription than the linked one may take over only when the linked one is not live. */
STMT(st_wh_sub_update,
     "UPDATE subscriptions s SET stripe_subscription_id = $1,"
     "   stripe_customer_id = coalesce(s.stripe_customer_id, $2),"
     "   status = $3, plan = $4,"
     "   current_period_start = coalesce(to_timestamp($5::bigint), s.current_period_start),"
     "   current_period_end = coalesce(to_timestamp($6::bigint), s.current_period_end),"
     "   cancel_at_period_end = $7, stripe_state_at = to_timestamp($8::bigint), updated_at = now()"
     " WHERE s.id = (SELECT id FROM ("
     "          SELECT id, 1 AS o FROM subscriptions WHERE stripe_subscription_id = $1"
     "          UNION ALL SELECT id, 2 FROM subscriptions WHERE stripe_customer_id = $2"
     "          UNION ALL SELECT id, 3 FROM subscriptions WHERE user_id = $9::uuid) c ORDER BY o LIMIT 1)"
     "   AND (s.stripe_state_at IS NULL OR s.stripe_state_at <= to_timestamp($8::bigint))"
     "   AND (s.stripe_subscription_id IS NULL OR s.stripe_subscription_id = $1"
     "        OR s.status NOT IN ('active', 'trialing', 'past_due'))"
     " RETURNING s.id");
STMT(st_wh_sub_insert,
     "INSERT INTO subscriptions (user_id, stripe_customer_id, stripe_subscription_id, status, plan,"
     "   current_period_start, current_period_end, cancel_at_period_end, stripe_state_at)"
     " SELECT u.id, $2, $1, $3, $4, to_timestamp($5::bigint), to_timestamp($6::bigint), $7, to_timestamp($8::bigint)"
     " FROM users u WHERE u.id = $9::uuid"
     "   AND NOT EXISTS (SELECT 1 FROM subscriptions WHERE stripe_subscription_id = $1 OR stripe_customer_id = $2)"
     " ON CONFLICT DO NOTHING RETURNING id");

static enum result on_subscription(struct gctx *g, const cJSON *obj, const char *created, bool deleted)
{
    const char *sid = str(obj, "id");
    if (!sid)
        return gctx_fail(g, R_INVALID, "Malformed event: subscription without an id");
    const char *status = deleted ? "canceled" : webhook_map_status(str(obj, "status"));
    const char *plan = is_pro_status(status) && !deleted ? "pro" : "free";
    /* API versions from 2025-03 carry the period on the subscription item. */
    const cJSON *item = cJSON_GetArrayItem(get(get(obj, "items"), "data"), 0);
    const char *ps = num(g, obj, "current_period_start");
    const char *pe = num(g, obj, "current_period_end");
    if (!ps && item)
        ps = num(g, item, "current_period_start");
    if (!pe && item)
        pe = num(g, item, "current_period_end");
    const char *cap = cJSON_IsTrue(get(obj, "cancel_at_period_end")) && !deleted ? "true" : "false";
    const char *uid = str(get(obj, "metadata"), "user_id");
    if (!present_uuid(uid))
        uid = NULL;
    const char *cus = id_of(obj, "customer");
    PGresult *r = DBQ(g, &st_wh_sub_update, sid, cus, status, plan, ps, pe, cap, created, uid);
    if (!r)
        return g->res;
    if (PQntuples(r) || !uid)
        return R_SUCCESS;
    /* No row yet (the subscription event overtook checkout.session.completed). */
    if (!DBQ(g, &st_wh_sub_insert, sid, cus, status, plan, ps, pe, cap, created, uid))
        return g->res;
    return R_SUCCESS;
}

/* The subscription an invoice belongs to (moved under parent in API 2025-03). */
static const char *invoice_subscription(const cJSON *inv)
{
    const char *s = id_of(inv, "subscription");
    if (!s)
        s = id_of(get(get(inv, "parent"), "subscription_details"), "subscription");
    return s;
}

/* A paid invoice brings a past_due (or incomplete) subscription back to active. */
STMT(st_wh_invoice_paid,
     "UPDATE subscriptions s SET status = 'active', plan = 'pro',"
     "   stripe_state_at = to_timestamp($2::bigint), updated_at = now()"
     " WHERE s.stripe_subscription_id = $1 AND s.status IN ('past_due', 'incomplete')"
     "   AND (s.stripe_state_at IS NULL OR s.stripe_state_at <= to_timestamp($2::bigint))"
     " RETURNING s.id");

static enum result on_invoice_paid(struct gctx *g, const cJSON *inv, const char *created)
{
    const char *sid = invoice_subscription(inv);
    if (!sid)
        return R_SUCCESS; /* not a subscription invoice */
    return DBQ(g, &st_wh_invoice_paid, sid, created) ? R_SUCCESS : g->res;
}

/* A failed renewal: active/trialing → past_due (unless a newer event spoke), and the user
 * is told once per event, in this transaction. */
STMT(st_wh_invoice_failed,
     "WITH s AS (SELECT id, user_id FROM subscriptions WHERE stripe_subscription_id = $1 AND status <> 'canceled'"
     "           FOR UPDATE),"
     " u AS (UPDATE subscriptions t SET status = 'past_due', stripe_state_at = to_timestamp($2::bigint),"
     "         updated_at = now()"
     "       FROM s WHERE t.id = s.id AND t.status IN ('active', 'trialing')"
     "         AND (t.stripe_state_at IS NULL OR t.stripe_state_at <= to_timestamp($2::bigint)) RETURNING t.id)"
     " SELECT notify(s.user_id, 'payment_failed', 'Payment failed',"
     "   'We could not take the payment for your Pro subscription. Please update your payment method'"
     "   || ' in the billing portal to keep Pro.',"
     "   jsonb_build_object('invoice_id', $3::text, 'subscription_id', $1::text,"
     "                      'amount_due', $4::numeric / 100, 'currency', upper($5::text))),"
     "   (SELECT count(*) FROM u)"
     " FROM s");

static enum result on_invoice_failed(struct gctx *g, const cJSON *inv, const char *created)
{
    const char *sid = invoice_subscription(inv);
    if (!sid)
        return R_SUCCESS;
    return DBQ(g, &st_wh_invoice_failed, sid, created, str(inv, "id"), num(g, inv, "amount_due"),
               str(inv, "currency"))
               ? R_SUCCESS
               : g->res;
}

/* ------------------------------------------------------------------- the event */

STMT(st_wh_record,
     "INSERT INTO stripe_events (id, type, created) VALUES ($1, $2, to_timestamp($3::bigint))"
     " ON CONFLICT (id) DO NOTHING RETURNING id");

enum event_kind { EV_IGNORE, EV_CHECKOUT, EV_SUB, EV_SUB_DELETED, EV_INV_PAID, EV_INV_FAILED, EV_URGENT_PI };

static enum event_kind kind_of(const char *type)
{
    static const struct {
        const char *type;
        enum event_kind k;
    } map[] = {
        {"checkout.session.completed", EV_CHECKOUT},
        {"customer.subscription.created", EV_SUB},
        {"customer.subscription.updated", EV_SUB},
        {"customer.subscription.deleted", EV_SUB_DELETED},
        {"invoice.payment_succeeded", EV_INV_PAID},
        {"invoice.paid", EV_INV_PAID},
        {"invoice.payment_failed", EV_INV_FAILED},
        /* urgent gigs (lib/urgent.c): the hold, a failed payment, a cancelled hold */
        {"payment_intent.amount_capturable_updated", EV_URGENT_PI},
        {"payment_intent.payment_failed", EV_URGENT_PI},
        {"payment_intent.canceled", EV_URGENT_PI},
    };
    for (size_t i = 0; i < ARRAY_SIZE(map); i++)
        if (!strcmp(type, map[i].type))
            return map[i].k;
    return EV_IGNORE;
}

enum result webhook_stripe(struct gctx *g, const char *sig_header, const char *body, size_t len, const char **json)
{
    if (!cfg.stripe_webhook_secret[0]) {
        log_error("webhook: GIGD_STRIPE_WEBHOOK_SECRET is not set; refusing events");
        return gctx_fail(g, R_UNAVAILABLE, "Webhooks are not configured");
    }
    enum stripe_sig sig = stripe_sig_verify(sig_header, body, len, cfg.stripe_webhook_secret, (long long)time(NULL),
                                            STRIPE_SIG_TOLERANCE, NULL);
    if (sig != STRIPE_SIG_OK) {
        log_warn("webhook: refused: %s", stripe_sig_str(sig));
        return gctx_fail(g, R_INVALID, stripe_sig_str(sig));
    }
    cJSON *ev = gctx_json_parse(g, body, len);
    const char *id = ev ? str(ev, "id") : NULL;
    const char *type = ev ? str(ev, "type") : NULL;
    const char *created = ev ? num(g, ev, "created") : NULL;
    const cJSON *obj = ev ? get(get(ev, "data"), "object") : NULL;
    if (!cJSON_IsObject(ev) || !id || strlen(id) > 255 || !type || !created || !cJSON_IsObject(obj))
        return gctx_fail(g, R_INVALID, "Malformed event");
    enum event_kind k = kind_of(type);
    if (k == EV_IGNORE) {
        log_info("webhook: %s %s acknowledged, not handled", type, id);
        *json = "{\"received\":true,\"ignored\":true}";
        return R_SUCCESS;
    }
    if (db_begin(g) != R_SUCCESS)
        return g->res;
    PGresult *r = DBQ(g, &st_wh_record, id, type, created);
    if (!r)
        goto fail;
    if (!PQntuples(r)) {
        db_rollback(g);
        log_info("webhook: %s %s already handled", type, id);
        *json = "{\"received\":true,\"duplicate\":true}";
        return R_SUCCESS;
    }
    enum result res = R_SUCCESS;
    switch (k) {
    case EV_CHECKOUT: res = on_checkout_completed(g, obj, created); break;
    case EV_SUB: res = on_subscription(g, obj, created, false); break;
    case EV_SUB_DELETED: res = on_subscription(g, obj, created, true); break;
    case EV_INV_PAID: res = on_invoice_paid(g, obj, created); break;
    case EV_INV_FAILED: res = on_invoice_failed(g, obj, created); break;
    case EV_URGENT_PI: res = urgent_on_payment_intent(g, type, obj); break;
    case EV_IGNORE: break;
    }
    if (res != R_SUCCESS)
        goto fail;
    if (db_commit(g) != R_SUCCESS)
        goto fail;
    log_info("webhook: %s %s handled", type, id);
    *json = "{\"received\":true}";
    return R_SUCCESS;
fail:
    db_rollback(g);
    if (g->res == R_CONFLICT) {
        /* A customer or subscription id already linked to another user: not something a
         * redelivery can fix. Acknowledge, change nothing, and say so loudly in the log. */
        log_error("webhook: %s %s conflicts with stored data (%s); ignored", type, id, g->err ? g->err : "");
        *json = "{\"received\":true,\"ignored\":true}";
        g->res = R_SUCCESS;
        g->err = NULL;
        return R_SUCCESS;
    }
    log_error("webhook: %s %s failed; Stripe will redeliver", type, id);
    return g->res == R_SUCCESS ? gctx_fail(g, R_ERR, "Internal error") : g->res;
}
