/* urgent.c — the urgent-gig lifecycle up to selection (urgent.h).
 *
 * Money: integer minor units everywhere; Stripe gets the same integer.
 * Stripe: never inside a transaction. The gig row is inserted (committed) before the
 * PaymentIntent is created and is that call's operation row: its id is in the
 * Idempotency-Key, so a retried call is the same PaymentIntent at Stripe.
 * Exactly-once matching: st_urgent_escrow moves payment_status pending → escrowed in one
 * conditional UPDATE; whichever of the webhook and confirm-payment runs it first (the row
 * lock makes the other wait, then find nothing pending) runs the first wave in the same
 * transaction. A failed or cancelled payment moves the gig to cancelled first and the
 * escrow UPDATE then finds nothing to do. */
#include "urgent.h"
#include "buf.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "market.h"
#include "matching.h"
#include "ratelimit.h"
#include "sqlstate.h"
#include "stripe.h"
#include "util.h"
#include "validate.h"
#include "sql_urgent.h"
#include <stdlib.h>
#include <string.h>

static const char *json_str(const cJSON *o, const char *k)
{
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
    return s && *s ? s : NULL;
}

static const char *json_int(struct gctx *g, const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 1e15 ? arena_sprintf(g->a, "%.0f", v->valuedouble)
                                                                              : NULL;
}

/* ------------------------------------------------------------------ create */

/* Two-decimal currencies Stripe settles (V_MONEY is major units with ≤ 2 decimals). */
static const char *const currencies[] = {"GBP", "EUR", "USD", "CAD", "AUD", "NZD", "CHF", "SEK", "NOK", "DKK", "PLN", NULL};

enum {
    UF_SKILL, UF_DATE, UF_AMOUNT, UF_LAT, UF_LNG, UF_GENRE, UF_HOURS, UF_ADDRESS, UF_RADIUS, UF_CURRENCY,
    UF_DESCRIPTION, UF_COUNT
};

static const struct vfield create_fields[UF_COUNT] = {
    [UF_SKILL] = {.name = "skill_required", .type = V_STRING, .required = true, .min = 1, .max = 100},
    [UF_DATE] = {.name = "date_needed", .type = V_TIME, .required = true},
    [UF_AMOUNT] = {.name = "payment_amount", .type = V_MONEY, .required = true, .min = 1, .max = 100000},
    [UF_LAT] = {.name = "location_lat", .type = V_NUMBER, .required = true, .min = -90, .max = 90},
    [UF_LNG] = {.name = "location_lng", .type = V_NUMBER, .required = true, .min = -180, .max = 180},
    [UF_GENRE] = {.name = "genre", .type = V_STRINGS, .max = 10, .item_max = 50},
    [UF_HOURS] = {.name = "duration_hours", .type = V_NUMBER, .nullable = true, .min = 0.25, .max = 24},
    [UF_ADDRESS] = {.name = "location_address", .type = V_STRING, .nullable = true, .max = 300},
    [UF_RADIUS] = {.name = "location_radius_km", .type = V_INT, .min = 1, .max = 200},
    [UF_CURRENCY] = {.name = "payment_currency", .type = V_ENUM, .options = currencies},
    [UF_DESCRIPTION] = {.name = "description", .type = V_STRING, .nullable = true, .max = 5000},
};

STMT(st_urgent_when_ok,
     "SELECT CASE WHEN $1::timestamptz <= now() THEN 'must be in the future'"
     " WHEN $1::timestamptz > now() + interval '7 days' THEN 'must be within 7 days (a card hold lasts about 7 days)'"
     " END");
STMT(st_urgent_set_pi,
     "UPDATE gigs SET stripe_payment_intent_id = $2, updated_at = now()"
     " WHERE id = $1 AND (stripe_payment_intent_id IS NULL OR stripe_payment_intent_id = $2)");
STMT(st_urgent_abandon,
     "UPDATE gigs SET urgent_status = 'cancelled', payment_status = 'failed', updated_at = now()"
     " WHERE id = $1 AND payment_status = 'pending'");

/* The PaymentIntent that holds the gig's amount (manual capture); its id and client
 * secret. The gig row is the operation row: its id makes the Idempotency-Key. */
static enum result hold_payment(struct gctx *g, const char *gig_id, const struct vvalue *v, const char *currency,
                                const char **pi_id, const char **secret)
{
    char lower[4] = {0};
    for (int i = 0; i < 3; i++)
        lower[i] = (char)(currency[i] - 'A' + 'a');
    const struct stripe_param p[] = {
        {"amount", v[UF_AMOUNT].text},
        {"currency", lower},
        {"capture_method", "manual"},
        {"automatic_payment_methods[enabled]", "true"},
        {"description", arena_sprintf(g->a, "Urgent gig: %s", v[UF_SKILL].s)},
        {"metadata[gig_id]", gig_id},
        {"metadata[requester_id]", g->user_id},
        {"transfer_group", gig_id},
    };
    cJSON *pi;
    enum result rc = stripe_request(g, "POST", "/v1/payment_intents", p, (int)ARRAY_SIZE(p),
                                    arena_sprintf(g->a, "urgent-pi-%s", gig_id), &pi, NULL);
    if (rc)
        return rc;
    *pi_id = json_str(pi, "id");
    *secret = json_str(pi, "client_secret");
    if (!*pi_id || !*secret) {
        log_error("stripe: payment intent answer without id or client_secret");
        return gctx_fail(g, R_UPSTREAM, "Payment provider sent an unexpected answer");
    }
    return R_SUCCESS;
}

/* GIGD_QUOTA_URGENT_GIGS, taken before Stripe is called so a refused request makes no
 * PaymentIntent. The hit locks the account's counter row until the gig row commits with
 * it: concurrent creations wait there and cannot pass the limit; a refusal or a failed
 * insert rolls back and costs nothing. */
static enum result insert_counted(struct gctx *g, const struct vvalue *v, const char *currency,
                                  const char **gig_id)
{
    enum result rc = db_begin(g);
    if (rc)
        return rc;
    if (!(rc = ratelimit_quota(g, "urgent", g->user_id, cfg.quota_urgent_gigs, 86400)))
        rc = DB_ONE(g, gig_id, "Internal error", &st_urgent_insert, g->user_id, v[UF_SKILL].s, v[UF_GENRE].text,
                    v[UF_RADIUS].text, v[UF_AMOUNT].text, currency, v[UF_DATE].s, v[UF_LAT].text,
                    v[UF_ADDRESS].text, v[UF_HOURS].text, v[UF_DESCRIPTION].text, v[UF_LNG].text);
    return db_finish(g, rc);
}

/* A gig abandoned before it could be paid gives its quota slot back (the window may have
 * restarted since: then there is nothing to give back). */
STMT(st_urgent_quota_refund, "UPDATE rate_limits SET hits = hits - 1 WHERE key = $1 AND hits > 0");

/* Nothing can be paid without the client secret: the gig ends here (a PaymentIntent that
 * may exist at Stripe holds no money until the client confirms it) and costs no quota.
 * Keeps the error. */
static enum result abandon(struct gctx *g, const char *gig_id, enum result rc)
{
    const char *err = g->err;
    PGresult *ab;
    if (DB_RUN(g, &ab, &st_urgent_abandon, gig_id))
        log_warn("urgent: could not cancel gig %s after a failed payment intent", gig_id);
    else if (DB_RUN(g, &ab, &st_urgent_quota_refund, arena_sprintf(g->a, "urgent:%s", g->user_id)))
        log_warn("urgent: could not give back the quota slot of gig %s", gig_id);
    return gctx_fail(g, rc, err);
}

enum result urgent_create(struct gctx *g, const cJSON *body, const char **json)
{
    struct vvalue v[UF_COUNT];
    enum result rc = validate(g, body, create_fields, v);
    if (rc)
        return rc;
    const char *why;
    if ((rc = DB_ONE(g, &why, "Internal error", &st_urgent_when_ok, v[UF_DATE].s)))
        return rc;
    if (why)
        return gctx_fail_field(g, "date_needed", why);
    const char *currency = v[UF_CURRENCY].s ? v[UF_CURRENCY].s : "GBP";
    const char *gig_id = NULL;
    rc = insert_counted(g, v, currency, &gig_id);
    long estimated = 0;
    if (rc || (rc = matching_estimate(g, gig_id, &estimated)))
        return rc;
    const char *pi_id, *secret;
    if ((rc = hold_payment(g, gig_id, v, currency, &pi_id, &secret)))
        return abandon(g, gig_id, rc);
    PGresult *u;
    if ((rc = DB_RUN(g, &u, &st_urgent_set_pi, gig_id, pi_id)))
        return rc;
    struct buf b;
    buf_init(&b, g->a, 256);
    buf_puts(&b, "{\"gig_id\":");
    buf_json_str(&b, gig_id);
    buf_puts(&b, ",\"stripe_client_secret\":");
    buf_json_str(&b, secret);
    buf_printf(&b, ",\"estimated_matches\":%ld}", estimated);
    *json = b.p;
    return R_SUCCESS;
}

/* ------------------------------------------------------------------ payment held */

/* Escrow + first wave, in the caller's transaction. amount/currency: what Stripe says is
 * capturable (NULL when unknown): a hold smaller than the gig's payment never matches. */
static enum result start_matching(struct gctx *g, const char *gig_id, const char *pi_id, const char *amount,
                                  const char *currency)
{
    PGresult *r;
    enum result rc = DB_RUN(g, &r, &st_urgent_escrow, gig_id, pi_id, amount, currency);
    if (rc)
        return rc;
    if (PQntuples(r) == 0) {
        log_info("urgent: gig %s: payment %s already handled (or not pending)", gig_id, pi_id);
        return R_SUCCESS;
    }
    int offered;
    return matching_wave(g, gig_id, &offered);
}

static enum result payment_lost(struct gctx *g, const char *gig_id, const char *pi_id, bool cancelled)
{
    PGresult *r;
    enum result rc = DB_RUN(g, &r, &st_urgent_payment_lost, gig_id, pi_id, cancelled ? "true" : "false");
    if (rc)
        return rc;
    if (PQntuples(r))
        log_info("urgent: gig %s cancelled: payment %s %s", gig_id, pi_id, cancelled ? "cancelled" : "failed");
    return R_SUCCESS;
}

STMT(st_urgent_by_pi, "SELECT id FROM gigs WHERE stripe_payment_intent_id = $1 AND gig_type = 'urgent'");

enum result urgent_on_payment_intent(struct gctx *g, const char *type, const cJSON *pi)
{
    const char *pi_id = json_str(pi, "id");
    if (!pi_id)
        return gctx_fail(g, R_INVALID, "Malformed event: payment intent without an id");
    const char *gig_id = json_str(cJSON_GetObjectItemCaseSensitive(pi, "metadata"), "gig_id");
    if (!gig_id || !validate_uuid(gig_id)) {
        PGresult *r;
        enum result rc = DB_RUN(g, &r, &st_urgent_by_pi, pi_id);
        if (rc)
            return rc;
        if (PQntuples(r) == 0) {
            log_info("webhook: %s for %s: not an urgent gig's payment", type, pi_id);
            return R_SUCCESS;
        }
        gig_id = arena_strdup(g->a, db_val(r, 0, 0));
    }
    if (!strcmp(type, "payment_intent.amount_capturable_updated")) {
        const char *status = json_str(pi, "status");
        if (status && strcmp(status, "requires_capture")) {
            log_info("webhook: %s for %s with status %s: nothing held", type, pi_id, status);
            return R_SUCCESS;
        }
        return start_matching(g, gig_id, pi_id, json_int(g, pi, "amount_capturable"), json_str(pi, "currency"));
    }
    if (!strcmp(type, "payment_intent.payment_failed"))
        return payment_lost(g, gig_id, pi_id, false);
    if (!strcmp(type, "payment_intent.canceled"))
        return payment_lost(g, gig_id, pi_id, true);
    return R_SUCCESS;
}

STMT(st_urgent_pay_state,
     "SELECT poster_id, stripe_payment_intent_id, payment_status, urgent_status FROM gigs"
     " WHERE id = $1 AND gig_type = 'urgent'");
STMT(st_urgent_state_json,
     "SELECT json_build_object('gig_id', id, 'payment_status', payment_status, 'urgent_status', urgent_status)"
     " FROM gigs WHERE id = $1");

enum result urgent_confirm_payment(struct gctx *g, const char *gig_id, const char **json)
{
    if (!validate_uuid(gig_id))
        return gctx_fail(g, R_NOTFOUND, "Gig not found");
    PGresult *r;
    enum result rc = DB_RUN(g, &r, &st_urgent_pay_state, gig_id);
    if (rc)
        return rc;
    if (PQntuples(r) != 1 || strcmp(db_val(r, 0, 0), g->user_id))
        return gctx_fail(g, R_NOTFOUND, "Gig not found");
    const char *pi_id = db_val(r, 0, 1);
    if (!strcmp(db_val(r, 0, 2), "pending") && !strcmp(db_val(r, 0, 3), "searching")) {
        if (!pi_id)
            return gctx_fail(g, R_CONFLICT, "This gig has no payment to confirm");
        pi_id = arena_strdup(g->a, pi_id);
        cJSON *pi;
        rc = stripe_request(g, "GET", arena_sprintf(g->a, "/v1/payment_intents/%s", stripe_escape(g, pi_id)), NULL, 0,
                            NULL, &pi, NULL);
        if (rc)
            return rc;
        const char *meta_gig = json_str(cJSON_GetObjectItemCaseSensitive(pi, "metadata"), "gig_id");
        if (meta_gig && strcmp(meta_gig, gig_id)) {
            log_error("urgent: payment intent %s belongs to gig %s, not %s", pi_id, meta_gig, gig_id);
            return gctx_fail(g, R_CONFLICT, "This payment belongs to another gig");
        }
        const char *status = json_str(pi, "status");
        bool held = status && !strcmp(status, "requires_capture");
        bool cancelled = status && !strcmp(status, "canceled");
        if (held || cancelled) {
            rc = db_begin(g);
            if (rc)
                return rc;
            rc = held ? start_matching(g, gig_id, pi_id, json_int(g, pi, "amount_capturable"), json_str(pi, "currency"))
                      : payment_lost(g, gig_id, pi_id, true);
            if (rc)
                return rc;
            rc = db_commit(g);
            if (rc)
                return rc;
        }
    }
    return DB_ONE(g, json, "Gig not found", &st_urgent_state_json, gig_id);
}

/* ------------------------------------------------------------------ reading */

enum result urgent_get(struct gctx *g, const char *gig_id, const char **json)
{
    if (!validate_uuid(gig_id))
        return gctx_fail(g, R_NOTFOUND, "Gig not found");
    return DB_ONE(g, json, "Gig not found", &st_urgent_get, gig_id, g->user_id);
}

STMT(st_urgent_role,
     "SELECT g.poster_id = $2, EXISTS (SELECT 1 FROM gig_responses r WHERE r.gig_id = g.id AND r.provider_id = $2)"
     " FROM gigs g WHERE g.id = $1 AND g.gig_type = 'urgent'");

/* R_SUCCESS for the requester; 403 for a provider the gig was offered to (they know it
 * exists: seed 003 names 403 "not requester for this gig"); 404 for anyone else. */
static enum result require_requester(struct gctx *g, const char *gig_id)
{
    if (!validate_uuid(gig_id))
        return gctx_fail(g, R_NOTFOUND, "Gig not found");
    PGresult *r;
    enum result rc = DB_RUN(g, &r, &st_urgent_role, gig_id, g->user_id);
    if (rc)
        return rc;
    if (PQntuples(r) != 1 || (!db_bool(r, 0, 0) && !db_bool(r, 0, 1)))
        return gctx_fail(g, R_NOTFOUND, "Gig not found");
    if (!db_bool(r, 0, 0))
        return gctx_fail(g, R_FORBIDDEN, "Not requester for this gig");
    return R_SUCCESS;
}

enum result urgent_responses(struct gctx *g, const char *gig_id, const char **json)
{
    enum result rc = require_requester(g, gig_id);
    if (rc)
        return rc;
    return DB_ONE(g, json, "Gig not found", &st_urgent_responses, gig_id);
}

static const char *const roles[] = {"requester", "provider", NULL};

enum result urgent_mine(struct gctx *g, const char *role, const char *page, const char *limit, const char **json)
{
    if (!role)
        role = "requester";
    if (strcmp(role, roles[0]) && strcmp(role, roles[1]))
        return gctx_fail_field(g, "role", "must be one of: requester provider");
    struct paging p;
    enum result rc = market_paging(g, page, limit, &p);
    if (rc)
        return rc;
    PGresult *r;
    rc = DB_RUN(g, &r, &st_urgent_mine, g->user_id, role, p.limit_s, p.offset_s);
    if (rc)
        return rc;
    *json = market_paginated(g, &p, db_val(r, 0, 0), db_ll(r, 0, 1));
    return R_SUCCESS;
}

/* ------------------------------------------------------------------ respond */

static const char *const actions[] = {"accept", "decline", NULL};

static const struct vfield respond_fields[] = {
    {.name = "action", .type = V_ENUM, .required = true, .options = actions},
    {.name = "message", .type = V_STRING, .nullable = true, .max = 1000},
};

STMT(st_urgent_my_response,
     "SELECT r.status, g.urgent_status FROM gigs g"
     " LEFT JOIN gig_responses r ON r.gig_id = g.id AND r.provider_id = $2"
     " WHERE g.id = $1 AND g.gig_type = 'urgent'");

enum result urgent_respond(struct gctx *g, const char *gig_id, const cJSON *body)
{
    struct vvalue v[ARRAY_SIZE(respond_fields)];
    enum result rc = validate(g, body, respond_fields, v);
    if (rc)
        return rc;
    if (!validate_uuid(gig_id))
        return gctx_fail(g, R_NOTFOUND, "Gig not found");
    const char *status = !strcmp(v[0].s, "accept") ? "accepted" : "declined";
    rc = db_begin(g); /* gig_accepted is announced on commit */
    if (rc)
        return rc;
    PGresult *r;
    rc = DB_RUN(g, &r, &st_urgent_respond, gig_id, g->user_id, status, v[1].text);
    if (rc)
        return rc;
    if (PQntuples(r) == 1)
        return db_commit(g);
    db_rollback(g);
    rc = DB_RUN(g, &r, &st_urgent_my_response, gig_id, g->user_id);
    if (rc)
        return rc;
    if (PQntuples(r) != 1 || !db_val(r, 0, 0))
        return gctx_fail(g, R_NOTFOUND, "Gig not found");
    if (strcmp(db_val(r, 0, 0), "pending"))
        return gctx_fail(g, R_CONFLICT, "You have already responded to this gig");
    return gctx_fail(g, R_CONFLICT, "This gig is no longer taking responses");
}

/* ------------------------------------------------------------------ select */

static const struct vfield select_fields[] = {
    {.name = "response_id", .type = V_UUID, .required = true},
};

STMT(st_urgent_response_state, "SELECT status FROM gig_responses WHERE id = $1 AND gig_id = $2");
STMT(st_urgent_offered, "SELECT EXISTS (SELECT 1 FROM gig_responses WHERE gig_id = $1 AND provider_id = $2)");

enum result urgent_select(struct gctx *g, const char *gig_id, const cJSON *body, const char **json)
{
    struct vvalue v[ARRAY_SIZE(select_fields)];
    enum result rc = validate(g, body, select_fields, v);
    if (rc)
        return rc;
    if (!validate_uuid(gig_id))
        return gctx_fail(g, R_NOTFOUND, "Gig not found");
    rc = db_begin(g);
    if (rc)
        return rc;
    PGresult *gr;
    rc = DB_RUN(g, &gr, &st_urgent_lock_gig, gig_id);
    if (rc)
        return rc;
    if (PQntuples(gr) != 1)
        return gctx_fail(g, R_NOTFOUND, "Gig not found");
    if (strcmp(db_val(gr, 0, 0), g->user_id)) {
        const char *offered;
        rc = DB_ONE(g, &offered, "Gig not found", &st_urgent_offered, gig_id, g->user_id);
        if (rc)
            return rc;
        return offered && offered[0] == 't' ? gctx_fail(g, R_FORBIDDEN, "Not requester for this gig")
                                            : gctx_fail(g, R_NOTFOUND, "Gig not found");
    }
    const char *ustatus = db_val(gr, 0, 1);
    if (!strcmp(ustatus, "confirmed") || !strcmp(ustatus, "completed"))
        return gctx_fail(g, R_CONFLICT, "A provider has already been selected for this gig");
    if (strcmp(ustatus, "searching"))
        return gctx_fail(g, R_CONFLICT, "This gig is no longer open");
    PGresult *r;
    rc = DB_RUN(g, &r, &st_urgent_select, gig_id, v[0].s,
                arena_sprintf(g->a, "%ld", cfg.platform_fee_bps));
    if (rc) {
        if (rc == R_CONFLICT) /* projects_gig_key / gig_responses_one_selected: already selected */
            return gctx_fail(g, R_CONFLICT, "A provider has already been selected for this gig");
        return rc;
    }
    if (PQntuples(r) != 1) {
        const char *st;
        rc = DB_ONE(g, &st, "Response not found", &st_urgent_response_state, v[0].s, gig_id);
        if (rc)
            return rc;
        return gctx_fail(g, R_CONFLICT, "Only an accepted response can be selected");
    }
    const char *project_id = arena_strdup(g->a, db_val(r, 0, 0));
    rc = db_commit(g);
    if (rc)
        return rc;
    struct buf b;
    buf_init(&b, g->a, 64);
    buf_puts(&b, "{\"project_id\":");
    buf_json_str(&b, project_id);
    buf_putc(&b, '}');
    *json = b.p;
    return R_SUCCESS;
}
