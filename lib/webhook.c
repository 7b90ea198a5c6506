/* webhook.c — Stripe events. Stripe delivers at least once and in no particular order, so:
 * (1) each event id goes into stripe_events in the transaction of its effect (a duplicate
 *     finds it there and is acknowledged without change), and
 * (2) subscription state carries stripe_state_at, the `created` of the newest event applied;
 *     an older event never overwrites it (same second: the later delivery wins).
 * Events we do not handle are acknowledged and not recorded, so a later version that
 * handles them (payment_intent.* for urgent gigs) is not blocked by a stale record. */
#include "webhook.h"
#include "config.h"
#include "db.h"
#include "escrow.h"
#include "log.h"
#include "payouts.h"
#include "sql_webhook.h"
#include "stripe_sig.h"
#include "urgent.h"
#include "validate.h"
#include "util.h"
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
    return s && validate_uuid(s);
}

/* ------------------------------------------------------------------- effects */

/* A verified event. */
struct event {
    const char *id, *type;
    const char *created; /* epoch seconds, as text for SQL */
    const cJSON *obj;    /* data.object */
    const char *account; /* Connect events: the connected account the event is about */
    const char **settle_user; /* set by account.updated: whose owed Transfers to make after the commit */
};

/* What a handled event type does to our data; runs inside the event's transaction. A
 * handler may serve several types (ev->type tells them apart). */
typedef enum result (*event_fn)(struct gctx *g, const struct event *ev);

/* checkout.session.completed (mode subscription): st_wh_checkout. */
static enum result on_checkout_completed(struct gctx *g, const struct event *ev)
{
    const cJSON *obj = ev->obj;
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
    PGresult *r;
    enum result rc = DB_RUN(g, &r, &st_wh_checkout, uid, id_of(obj, "customer"), id_of(obj, "subscription"),
                            paid ? "true" : "false", ev->created);
    if (rc)
        return rc;
    if (!PQntuples(r))
        log_warn("webhook: checkout.session.completed for unknown user %s", uid);
    return R_SUCCESS;
}

/* When the subscription event overtook checkout.session.completed, there is no row to
 * update yet: one is made for the user named in the subscription's metadata. */
STMT(st_wh_sub_insert,
     "INSERT INTO subscriptions (user_id, stripe_customer_id, stripe_subscription_id, status, plan,"
     "   current_period_start, current_period_end, cancel_at_period_end, stripe_state_at)"
     " SELECT u.id, $2, $1, $3, $4, to_timestamp($5::bigint), to_timestamp($6::bigint), $7, to_timestamp($8::bigint)"
     " FROM users u WHERE u.id = $9::uuid"
     "   AND NOT EXISTS (SELECT 1 FROM subscriptions WHERE stripe_subscription_id = $1 OR stripe_customer_id = $2)"
     " ON CONFLICT DO NOTHING RETURNING id");

/* A period bound: on the subscription, or (API versions from 2025-03) on its first item. */
static const char *period(struct gctx *g, const cJSON *sub, const char *k)
{
    const char *v = num(g, sub, k);
    const cJSON *item = cJSON_GetArrayItem(get(get(sub, "items"), "data"), 0);
    return v || !item ? v : num(g, item, k);
}

/* customer.subscription.*: st_wh_sub_update, else st_wh_sub_insert. */
static enum result on_subscription(struct gctx *g, const cJSON *obj, const char *created, bool deleted)
{
    const char *sid = str(obj, "id");
    if (!sid)
        return gctx_fail(g, R_INVALID, "Malformed event: subscription without an id");
    const char *status = deleted ? "canceled" : webhook_map_status(str(obj, "status"));
    const char *plan = is_pro_status(status) && !deleted ? "pro" : "free";
    const char *ps = period(g, obj, "current_period_start");
    const char *pe = period(g, obj, "current_period_end");
    const char *cap = cJSON_IsTrue(get(obj, "cancel_at_period_end")) && !deleted ? "true" : "false";
    const char *uid = str(get(obj, "metadata"), "user_id");
    if (!present_uuid(uid))
        uid = NULL;
    const char *cus = id_of(obj, "customer");
    PGresult *r;
    enum result rc = DB_RUN(g, &r, &st_wh_sub_update, sid, cus, status, plan, ps, pe, cap, created, uid);
    if (rc || PQntuples(r) || !uid)
        return rc;
    return DB_RUN(g, &r, &st_wh_sub_insert, sid, cus, status, plan, ps, pe, cap, created, uid);
}

static enum result on_subscription_changed(struct gctx *g, const struct event *ev)
{
    return on_subscription(g, ev->obj, ev->created, false);
}

static enum result on_subscription_deleted(struct gctx *g, const struct event *ev)
{
    return on_subscription(g, ev->obj, ev->created, true);
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

static enum result on_invoice_paid(struct gctx *g, const struct event *ev)
{
    const char *sid = invoice_subscription(ev->obj);
    if (!sid)
        return R_SUCCESS; /* not a subscription invoice */
    PGresult *r;
    return DB_RUN(g, &r, &st_wh_invoice_paid, sid, ev->created);
}

/* invoice.payment_failed: st_wh_invoice_failed (past_due, and the user is told). */
static enum result on_invoice_failed(struct gctx *g, const struct event *ev)
{
    const cJSON *inv = ev->obj;
    const char *sid = invoice_subscription(inv);
    if (!sid)
        return R_SUCCESS;
    PGresult *r;
    return DB_RUN(g, &r, &st_wh_invoice_failed, sid, ev->created, str(inv, "id"), num(g, inv, "amount_due"),
                  str(inv, "currency"));
}

static enum result on_urgent_payment_intent(struct gctx *g, const struct event *ev)
{
    enum result rc = urgent_on_payment_intent(g, ev->type, ev->obj);
    if (rc || strcmp(ev->type, "payment_intent.canceled"))
        return rc;
    return escrow_on_event(g, ev->type, ev->obj); /* a cancel we asked for (lib/escrow.c) */
}

/* Money we moved for an urgent gig: recorded once whichever of our own record and the
 * event comes first (lib/escrow.c). */
static enum result on_escrow(struct gctx *g, const struct event *ev)
{
    return escrow_on_event(g, ev->type, ev->obj);
}

/* Connect (lib/payouts.c): a provider's account changed; enabling it claims the Transfers
 * it is owed, made after the commit (webhook_stripe). */
static enum result on_account_updated(struct gctx *g, const struct event *ev)
{
    return payouts_on_account_updated(g, ev->obj, ev->created, ev->settle_user);
}

/* Connect: Stripe paying a provider's account out to their bank. */
static enum result on_payout(struct gctx *g, const struct event *ev)
{
    return payouts_on_payout(g, ev->account, ev->obj, ev->created);
}

/* The event types we act on, a row each; any other is acknowledged and not recorded. */
static const struct {
    const char *type;
    event_fn fn;
} event_handlers[] = {
    {"checkout.session.completed", on_checkout_completed},
    {"customer.subscription.created", on_subscription_changed},
    {"customer.subscription.updated", on_subscription_changed},
    {"customer.subscription.deleted", on_subscription_deleted},
    {"invoice.payment_succeeded", on_invoice_paid},
    {"invoice.paid", on_invoice_paid},
    {"invoice.payment_failed", on_invoice_failed},
    /* urgent gigs (lib/urgent.c): the hold, a failed payment, a cancelled hold */
    {"payment_intent.amount_capturable_updated", on_urgent_payment_intent},
    {"payment_intent.payment_failed", on_urgent_payment_intent},
    {"payment_intent.canceled", on_urgent_payment_intent},
    /* urgent gigs (lib/escrow.c): capture, refund, payout */
    {"payment_intent.succeeded", on_escrow},
    {"charge.refunded", on_escrow},
    {"transfer.created", on_escrow},
    {"transfer.reversed", on_escrow},
    /* provider payouts (lib/payouts.c): Connect events carrying `account` */
    {"account.updated", on_account_updated},
    {"payout.created", on_payout},
    {"payout.updated", on_payout},
    {"payout.paid", on_payout},
    {"payout.failed", on_payout},
    {"payout.canceled", on_payout},
};

static event_fn handler_of(const char *type)
{
    for (size_t i = 0; i < ARRAY_SIZE(event_handlers); i++)
        if (!strcmp(type, event_handlers[i].type))
            return event_handlers[i].fn;
    return NULL;
}

/* ------------------------------------------------------------------- the event */

#define ACK "{\"received\":true}"
#define ACK_IGNORED "{\"received\":true,\"ignored\":true}"
#define ACK_DUPLICATE "{\"received\":true,\"duplicate\":true}"

static enum result verify(struct gctx *g, const char *sig_header, const char *body, size_t len)
{
    if (!cfg.stripe_webhook_secret[0]) {
        log_error("webhook: GIGD_STRIPE_WEBHOOK_SECRET is not set; refusing events");
        return gctx_fail(g, R_UNAVAILABLE, "Webhooks are not configured");
    }
    enum stripe_sig sig = stripe_sig_verify(sig_header, body, len, cfg.stripe_webhook_secret, (long long)time(NULL),
                                            STRIPE_SIG_TOLERANCE, NULL);
    /* Connect events (provider payouts) come from a Connect endpoint, which Stripe signs
     * with a secret of its own; either may sign the same URL. */
    if (sig != STRIPE_SIG_OK && cfg.stripe_connect_webhook_secret[0] &&
        stripe_sig_verify(sig_header, body, len, cfg.stripe_connect_webhook_secret, (long long)time(NULL),
                          STRIPE_SIG_TOLERANCE, NULL) == STRIPE_SIG_OK)
        sig = STRIPE_SIG_OK;
    if (sig != STRIPE_SIG_OK) {
        log_warn("webhook: refused: %s", stripe_sig_str(sig));
        return gctx_fail(g, R_INVALID, stripe_sig_str(sig));
    }
    return R_SUCCESS;
}

/* The event's envelope; false when it is not a well-formed event. */
static bool parse_event(struct gctx *g, const char *body, size_t len, struct event *ev)
{
    cJSON *j = gctx_json_parse(g, body, len);
    if (!cJSON_IsObject(j))
        return false;
    ev->id = str(j, "id");
    ev->type = str(j, "type");
    ev->created = num(g, j, "created");
    ev->obj = get(get(j, "data"), "object");
    ev->account = str(j, "account");
    return ev->id && strlen(ev->id) <= 255 && ev->type && ev->created && cJSON_IsObject(ev->obj);
}

STMT(st_wh_record,
     "INSERT INTO stripe_events (id, type, created) VALUES ($1, $2, to_timestamp($3::bigint))"
     " ON CONFLICT (id) DO NOTHING RETURNING id");

/* Records the event and applies fn in one transaction; an event already recorded is
 * acknowledged as a duplicate and changes nothing. */
static enum result apply(struct gctx *g, const struct event *ev, event_fn fn, const char **json)
{
    enum result rc = db_begin(g);
    if (rc)
        return rc;
    PGresult *r;
    if ((rc = DB_RUN(g, &r, &st_wh_record, ev->id, ev->type, ev->created)))
        goto out;
    if (!PQntuples(r)) {
        log_info("webhook: %s %s already handled", ev->type, ev->id);
        *json = ACK_DUPLICATE;
        goto out;
    }
    if ((rc = fn(g, ev)) || (rc = db_commit(g)))
        goto out;
    log_info("webhook: %s %s handled", ev->type, ev->id);
    *json = ACK;
    return R_SUCCESS;
out:
    db_rollback(g);
    return rc;
}

/* A failed event: Stripe redelivers it, unless redelivery cannot help. */
static enum result settle_failure(struct gctx *g, const struct event *ev, enum result rc, const char **json)
{
    if (rc != R_CONFLICT) {
        log_error("webhook: %s %s failed; Stripe will redeliver", ev->type, ev->id);
        return rc;
    }
    /* A customer or subscription id already linked to another user: not something a
     * redelivery can fix. Acknowledge, change nothing, and say so loudly in the log. */
    log_error("webhook: %s %s conflicts with stored data (%s); ignored", ev->type, ev->id,
              g->constraint ? g->constraint : "?");
    *json = ACK_IGNORED;
    g->res = R_SUCCESS; /* the recorded conflict is not this request's outcome */
    g->err = NULL;
    return R_SUCCESS;
}

enum result webhook_stripe(struct gctx *g, const char *sig_header, const char *body, size_t len, const char **json)
{
    enum result rc = verify(g, sig_header, body, len);
    if (rc)
        return rc;
    const char *settle_user = NULL;
    struct event ev = {.settle_user = &settle_user};
    if (!parse_event(g, body, len, &ev))
        return gctx_fail(g, R_INVALID, "Malformed event");
    event_fn fn = handler_of(ev.type);
    if (!fn) {
        log_info("webhook: %s %s acknowledged, not handled", ev.type, ev.id);
        *json = ACK_IGNORED;
        return R_SUCCESS;
    }
    rc = apply(g, &ev, fn, json);
    if (rc)
        return settle_failure(g, &ev, rc, json);
    /* After the commit, no transaction open: Stripe is called here. Each Transfer has its
     * claimed operation and Idempotency-Key, so doing it in this request (rather than
     * waiting a minute for the sweep) is safe; a failure is only logged. */
    if (settle_user)
        payouts_settle_owed(g, settle_user);
    return R_SUCCESS;
}
