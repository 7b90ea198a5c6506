/* escrow.c — an urgent gig's held money, from the hold to the provider (escrow.h).
 *
 * A settlement is decided once, under the gig's row lock, as gigs.settle_percent (the share
 * of the payment the provider gets: 100 on completion, 0 on expiry, P on a dispute split),
 * and then carried out by escrow_settle() in steps, each of which is an operation row
 * (urgent_payment_ops, one per gig and kind) and a ledger booking keyed (gig, kind):
 *   1. the hold: capture what the provider gets (partial capture gives the rest back), or
 *      cancel it when nothing goes to them; when the 6-day job already captured it all,
 *      refund the difference instead;
 *   2. the release: escrow → provider's wallet + platform fee; project and gig completed;
 *   3. the Transfer of the provider's share to their connected account, when it is enabled
 *      (payout_accounts.status; otherwise the share stays owed in the wallet, lib/payouts.c).
 * Each Stripe call is: claim the operation (commit), call Stripe with the operation's id in
 * the Idempotency-Key, record the answer in one transaction. A failure at Stripe leaves the
 * operation pending and every booking undone; any later call (the user's retry, the sweep
 * in the expire job, a second host) repeats the same operation and books it once. */
#include "escrow.h"
#include "buf.h"
#include "db.h"
#include "log.h"
#include "market.h"
#include "stripe.h"
#include "util.h"
#include "validate.h"
#include "sql_escrow.h"
#include <stdlib.h>
#include <string.h>

/* The gig as settle() sees it; amounts in minor units, -1 when unknown. */
struct gig_money {
    const char *id, *poster, *currency, *pi, *project, *provider, *account, *pstatus, *payment_status;
    long long amount, fee, captured, refunded, capture_op;
    int percent; /* -1: nothing decided */
};

static long long ll_or(PGresult *r, int col, long long dflt)
{
    return db_val(r, 0, col) ? db_ll(r, 0, col) : dflt;
}

static const char *dup_or_null(struct gctx *g, PGresult *r, int col)
{
    const char *v = db_val(r, 0, col);
    return v ? arena_strdup(g->a, v) : NULL;
}

static enum result load(struct gctx *g, const char *gig_id, struct gig_money *m)
{
    PGresult *r;
    enum result rc = DB_RUN(g, &r, &st_escrow_state, gig_id);
    if (rc)
        return rc;
    if (PQntuples(r) != 1)
        return gctx_fail(g, R_NOTFOUND, "Gig not found");
    *m = (struct gig_money){
        .id = gig_id, .poster = dup_or_null(g, r, 0), .amount = ll_or(r, 1, 0), .currency = dup_or_null(g, r, 2),
        .pi = dup_or_null(g, r, 3), .percent = (int)ll_or(r, 4, -1), .captured = ll_or(r, 5, -1),
        .refunded = ll_or(r, 6, -1), .payment_status = dup_or_null(g, r, 7), .project = dup_or_null(g, r, 8),
        .provider = dup_or_null(g, r, 9), .fee = ll_or(r, 10, 0), .pstatus = dup_or_null(g, r, 11),
        .account = dup_or_null(g, r, 12), .capture_op = ll_or(r, 13, -1),
    };
    return R_SUCCESS;
}

/* What the provider's side of a settlement is: gross (leaves escrow) and share (theirs). */
static long long gross_of(const struct gig_money *m)
{
    return m->percent >= 100 ? m->amount : (m->amount * m->percent + 50) / 100;
}

static long long share_of(const struct gig_money *m)
{
    long long net = m->amount - m->fee;
    return m->percent >= 100 ? net : net * m->percent / 100;
}

/* ------------------------------------------------------------------ operations */

struct op {
    const char *id, *status, *stripe_id, *key;
    long long amount;
};

static enum result op_claim(struct gctx *g, const char *gig_id, const char *kind, long long amount, struct op *op)
{
    const char *amt = amount > 0 ? arena_sprintf(g->a, "%lld", amount) : NULL;
    for (int i = 0; i < 3; i++) {
        PGresult *r;
        enum result rc = DB_RUN(g, &r, &st_escrow_op_claim, gig_id, kind, amt);
        if (rc)
            return rc;
        if (PQntuples(r)) {
            op->id = dup_or_null(g, r, 0);
            op->status = dup_or_null(g, r, 1);
            op->amount = ll_or(r, 2, 0);
            op->stripe_id = dup_or_null(g, r, 3);
            op->key = arena_sprintf(g->a, "urgent-%s-%s", kind, op->id);
            if (!strcmp(op->status, "failed"))
                return gctx_fail(g, R_UPSTREAM, "The payment provider refused this payment; our team will resolve it");
            return R_SUCCESS;
        }
    }
    return gctx_fail(g, R_CONFLICT, "Another payment step is in progress; please try again");
}

STMT(st_escrow_op_attempt,
     "UPDATE urgent_payment_ops SET attempts = attempts + 1, last_error = left($3, 500),"
     " status = CASE WHEN $2 THEN 'failed' ELSE status END WHERE id = $1 AND status = 'pending'");

/* POSTs op to Stripe. A definite refusal fails the operation for good (an operator looks at
 * it: README "Stripe down"); anything else leaves it pending for the next call. */
static enum result op_call(struct gctx *g, const struct op *op, const char *path, const struct stripe_param *p, int n,
                           cJSON **out)
{
    struct stripe_outcome oc;
    enum result rc = stripe_request(g, "POST", path, p, n, op->key, out, &oc);
    if (!rc)
        return R_SUCCESS;
    const char *msg = g->err;
    PGresult *r;
    if (DB_RUN(g, &r, &st_escrow_op_attempt, op->id, oc.definite ? "true" : "false",
               arena_sprintf(g->a, "HTTP %ld: %s", oc.status, msg ? msg : "?")))
        log_warn("escrow: could not record the attempt of operation %s", op->id);
    if (oc.definite)
        log_error("escrow: operation %s refused by Stripe (HTTP %ld); needs an operator", op->id, oc.status);
    return gctx_fail(g, rc, msg);
}

static const char *jstr(const cJSON *o, const char *k)
{
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
    return s && *s ? s : NULL;
}

static long long jnum(const cJSON *o, const char *k, long long dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 1e15 ? (long long)v->valuedouble : dflt;
}

static const char *lld(struct gctx *g, long long v)
{
    return arena_sprintf(g->a, "%lld", v);
}

static const char *lower3(struct gctx *g, const char *cur)
{
    char *s = arena_strdup(g->a, cur);
    for (char *p = s; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    return s;
}

/* Runs statement st (an operation recorded with its booking) in its own transaction. */
static enum result record_n(struct gctx *g, struct stmt *st, int n, const char *const *params)
{
    enum result rc = db_begin(g);
    if (rc)
        return rc;
    PGresult *r;
    rc = db_run(g, st, &r, n, params);
    return db_finish(g, rc);
}
#define record(g, st, ...) record_n((g), (st), DB_ARGS(__VA_ARGS__))

/* ------------------------------------------------------------------ the hold */

static enum result do_capture(struct gctx *g, struct gig_money *m, long long want)
{
    struct op op;
    enum result rc = op_claim(g, m->id, "capture", want, &op);
    if (rc)
        return rc;
    if (strcmp(op.status, "done")) {
        const struct stripe_param p[] = {{"amount_to_capture", lld(g, op.amount)}, {"metadata[gig_id]", m->id}};
        cJSON *pi;
        if ((rc = op_call(g, &op, arena_sprintf(g->a, "/v1/payment_intents/%s/capture", stripe_escape(g, m->pi)), p,
                          (int)ARRAY_SIZE(p), &pi)))
            return rc;
        long long got = jnum(pi, "amount_received", op.amount);
        if ((rc = record(g, &st_escrow_captured, m->id, m->pi, lld(g, got))))
            return rc;
    }
    return load(g, m->id, m);
}

static enum result do_cancel(struct gctx *g, struct gig_money *m)
{
    if (m->pi) {
        struct op op;
        enum result rc = op_claim(g, m->id, "cancel", 0, &op);
        if (rc)
            return rc;
        if (!strcmp(op.status, "done"))
            return R_SUCCESS;
        const struct stripe_param p[] = {{"cancellation_reason", "abandoned"}};
        cJSON *pi;
        if ((rc = op_call(g, &op, arena_sprintf(g->a, "/v1/payment_intents/%s/cancel", stripe_escape(g, m->pi)), p,
                          (int)ARRAY_SIZE(p), &pi)))
            return rc;
    }
    return record(g, &st_escrow_cancelled, m->id, m->pi);
}

static enum result do_refund(struct gctx *g, struct gig_money *m, long long amount)
{
    struct op op;
    enum result rc = op_claim(g, m->id, "refund", amount, &op);
    if (rc || !strcmp(op.status, "done"))
        return rc;
    const struct stripe_param p[] = {
        {"payment_intent", m->pi}, {"amount", lld(g, op.amount)}, {"metadata[gig_id]", m->id}};
    cJSON *re;
    if ((rc = op_call(g, &op, "/v1/refunds", p, (int)ARRAY_SIZE(p), &re)))
        return rc;
    const char *id = jstr(re, "id");
    return record(g, &st_escrow_refunded, m->id, id ? id : m->pi, lld(g, op.amount));
}

/* Step 1: what is held becomes exactly what the provider gets. */
static enum result settle_hold(struct gctx *g, struct gig_money *m, long long gross)
{
    if (m->captured < 0) {
        if (m->capture_op < 0 && gross == 0)
            return do_cancel(g, m);
        if (!m->pi)
            return gctx_fail(g, R_CONFLICT, "This gig has no payment to capture");
        enum result rc = do_capture(g, m, m->capture_op > 0 ? m->capture_op : gross);
        if (rc)
            return rc;
    }
    if (m->captured > gross) /* the refund operation row makes a second one a no-op */
        return do_refund(g, m, m->captured - gross);
    return R_SUCCESS;
}

/* ------------------------------------------------------------------ release + transfer */

STMT(st_escrow_lock_project, "SELECT id FROM projects WHERE gig_id = $1 FOR UPDATE");
/* The provider's payout account, locked in share mode before the release is booked: the
 * account.updated that enables it (lib/payouts.c, FOR UPDATE) then either comes first (we
 * read it enabled and claim the Transfer) or waits for our commit and claims the Transfer
 * of this credit itself. Without the lock both could miss it and leave it owed for good. */
STMT(st_escrow_lock_account,
     "SELECT CASE WHEN status = 'enabled' THEN stripe_account_id END FROM payout_accounts"
     " WHERE user_id = $1 FOR SHARE");

/* Step 2, one transaction: the booking, then (only if this call booked it) the states and
 * notifications; the Transfer's operation is claimed here too, so a crash after this
 * commit leaves a pending operation the sweep finishes. */
static enum result settle_release(struct gctx *g, struct gig_money *m, long long gross, long long share)
{
    enum result rc = db_begin(g);
    if (rc)
        return rc;
    PGresult *r, *acct;
    if ((rc = DB_RUN(g, &r, &st_escrow_lock_project, m->id)) ||
        (rc = DB_RUN(g, &acct, &st_escrow_lock_account, m->provider)) ||
        (rc = DB_RUN(g, &r, &st_escrow_release, m->id, lld(g, gross), lld(g, share))))
        goto out;
    m->account = PQntuples(acct) ? dup_or_null(g, acct, 0) : NULL;
    if (PQntuples(r) == 1 && db_bool(r, 0, 0)) {
        if ((rc = DB_RUN(g, &r, &st_escrow_released, m->id, lld(g, share))))
            goto out;
        log_info("escrow: gig %s released %lld of %lld to %s", m->id, share, gross, m->provider);
        struct op op;
        if (m->account && share > 0)
            rc = op_claim(g, m->id, "transfer", share, &op);
    }
out:
    return db_finish(g, rc);
}

/* Step 3: the provider's share to their connected account. Without an enabled one the money
 * stays in their wallet as owed: the account.updated that enables it claims this operation
 * and settles the gig again (lib/payouts.c). */
static enum result settle_transfer(struct gctx *g, struct gig_money *m, long long share)
{
    if (!m->account || share <= 0)
        return R_SUCCESS;
    struct op op;
    enum result rc = op_claim(g, m->id, "transfer", share, &op);
    if (rc || !strcmp(op.status, "done"))
        return rc;
    const struct stripe_param p[] = {
        {"amount", lld(g, op.amount)}, {"currency", lower3(g, m->currency)}, {"destination", m->account},
        {"transfer_group", m->id}, {"metadata[gig_id]", m->id}, {"metadata[project_id]", m->project}};
    cJSON *tr;
    if ((rc = op_call(g, &op, "/v1/transfers", p, (int)ARRAY_SIZE(p), &tr)))
        return rc;
    const char *id = jstr(tr, "id");
    if (!id) {
        log_error("stripe: transfer answer without an id");
        return gctx_fail(g, R_UPSTREAM, "Payment provider sent an unexpected answer");
    }
    return record(g, &st_escrow_transferred, m->id, id, lld(g, op.amount));
}

enum result escrow_settle(struct gctx *g, const char *gig_id)
{
    struct gig_money m;
    enum result rc = load(g, gig_id, &m);
    if (rc || m.percent < 0)
        return rc;
    long long gross = gross_of(&m), share = share_of(&m);
    if ((rc = settle_hold(g, &m, gross)))
        return rc;
    if (!m.project)
        return R_SUCCESS;
    if (gross == 0)
        return record(g, &st_escrow_voided, m.id);
    if ((rc = settle_release(g, &m, gross, share)))
        return rc;
    return settle_transfer(g, &m, share);
}

/* ------------------------------------------------------------------ complete */

/* Every decision about a gig's money (complete, dispute, auto-release, expiry, resolution)
 * takes this lock first and then reads in a new statement: a read in the locking statement
 * itself could join a project row older than the lock holder's commit. */
STMT(st_escrow_lock, "SELECT 1 FROM gigs WHERE id = $1 AND gig_type = 'urgent' FOR UPDATE");
STMT(st_escrow_decide_release,
     "UPDATE gigs SET settle_percent = 100, settle_decided_at = now(), updated_at = now()"
     " WHERE id = $1 AND settle_percent IS NULL");
STMT(st_escrow_released_json,
     "SELECT json_build_object('released_amount', money_major(released_amount), 'currency', currency)"
     " FROM projects WHERE gig_id = $1 AND status = 'completed'");

struct complete_ctx {
    const char *gig_id;
    bool requester;
    const char *json; /* the provider's answer */
};

static const char *status_json(struct gctx *g, const char *status, const char *auto_release_at)
{
    struct buf b;
    buf_init(&b, g->a, 96);
    buf_puts(&b, "{\"status\":");
    buf_json_str(&b, status);
    if (auto_release_at) {
        buf_puts(&b, ",\"auto_release_at\":");
        buf_json_str(&b, auto_release_at);
    }
    buf_putc(&b, '}');
    return b.p;
}

/* The provider: active → delivered (the requester asked to confirm); later calls answer
 * the state. Nothing moves once a settlement is decided. */
static enum result provider_complete(struct gctx *g, struct complete_ctx *c, PGresult *lk)
{
    const char *pstatus = db_val(lk, 0, 2);
    if (!strcmp(pstatus, "active") && !db_val(lk, 0, 3)) {
        const char *at;
        enum result rc = DB_ONE(g, &at, "Project not found", &st_escrow_deliver, c->gig_id);
        if (rc)
            return rc;
        c->json = status_json(g, "delivered", at);
        return R_SUCCESS;
    }
    if (!strcmp(pstatus, "disputed"))
        return gctx_fail(g, R_CONFLICT, "This project is under dispute");
    if (!strcmp(pstatus, "cancelled"))
        return gctx_fail(g, R_CONFLICT, "This project was cancelled");
    if (!strcmp(pstatus, "delivered") && !db_val(lk, 0, 3))
        c->json = status_json(g, "delivered", db_val(lk, 0, 4));
    else
        c->json = status_json(g, !strcmp(pstatus, "completed") ? "completed" : "releasing", NULL);
    return R_SUCCESS;
}

/* The requester: decides the release (once; a dispute or its resolution refuses). */
static enum result requester_complete(struct gctx *g, PGresult *lk, const char *gig_id)
{
    const char *pstatus = db_val(lk, 0, 2);
    const char *percent = db_val(lk, 0, 3);
    if (!strcmp(pstatus, "disputed"))
        return gctx_fail(g, R_CONFLICT, "This project is under dispute");
    if (!strcmp(pstatus, "cancelled"))
        return gctx_fail(g, R_CONFLICT, "This project was cancelled");
    if (percent)
        return strcmp(percent, "100") ? gctx_fail(g, R_CONFLICT, "A dispute resolution is settling this project")
                                      : R_SUCCESS;
    PGresult *r;
    return DB_RUN(g, &r, &st_escrow_decide_release, gig_id);
}

/* One transaction under the gig's row lock: who is asking, and what that decides. */
static enum result complete_decide(struct gctx *g, struct complete_ctx *c)
{
    enum result rc = db_begin(g);
    if (rc)
        return rc;
    PGresult *lk;
    if ((rc = DB_RUN(g, &lk, &st_escrow_lock, c->gig_id)) || (rc = DB_RUN(g, &lk, &st_escrow_parties, c->gig_id)))
        goto out;
    const char *poster = PQntuples(lk) ? db_val(lk, 0, 0) : NULL;
    const char *provider = poster ? db_val(lk, 0, 1) : NULL;
    c->requester = poster && !strcmp(poster, g->user_id);
    if (!c->requester && !(provider && !strcmp(provider, g->user_id))) {
        rc = gctx_fail(g, R_NOTFOUND, "Gig not found");
        goto out;
    }
    if (!db_val(lk, 0, 5)) {
        rc = gctx_fail(g, R_CONFLICT, "No provider has been selected for this gig");
        goto out;
    }
    rc = c->requester ? requester_complete(g, lk, c->gig_id) : provider_complete(g, c, lk);
out:
    return db_finish(g, rc);
}

enum result escrow_complete(struct gctx *g, const char *gig_id, const char **json)
{
    if (!validate_uuid(gig_id))
        return gctx_fail(g, R_NOTFOUND, "Gig not found");
    struct complete_ctx c = {.gig_id = gig_id};
    enum result rc = complete_decide(g, &c);
    if (rc)
        return rc;
    if (!c.requester) {
        *json = c.json;
        return R_SUCCESS;
    }
    if ((rc = escrow_settle(g, gig_id)))
        return rc;
    return DB_ONE(g, json, "The payment is still being released; please try again", &st_escrow_released_json, gig_id);
}

/* ------------------------------------------------------------------ wallet */

enum result escrow_wallet(struct gctx *g, const char *page, const char *limit, const char **json)
{
    struct paging p;
    enum result rc = market_paging(g, page, limit, &p);
    if (rc)
        return rc;
    PGresult *r;
    rc = DB_RUN(g, &r, &st_escrow_wallet, g->user_id, p.limit_s, p.offset_s);
    if (rc)
        return rc;
    long long total = db_ll(r, 0, 2);
    struct buf b;
    buf_init(&b, g->a, 1024);
    buf_printf(&b, "{\"balance\":%s,\"currency\":", db_val(r, 0, 3));
    buf_json_str(&b, db_val(r, 0, 4));
    buf_printf(&b, ",\"wallets\":%s,\"transactions\":%s,\"total\":%lld,\"page\":%ld,\"limit\":%ld,\"hasMore\":%s}",
               db_val(r, 0, 0), db_val(r, 0, 1), total, p.page, p.limit,
               (long long)p.page * p.limit < total ? "true" : "false");
    *json = b.p;
    return R_SUCCESS;
}

/* ------------------------------------------------------------------ webhooks */

STMT(st_escrow_gig_of,
     "SELECT id FROM gigs WHERE gig_type = 'urgent' AND (id = $1::uuid OR stripe_payment_intent_id = $2)"
     " ORDER BY id = $1::uuid DESC LIMIT 1");
STMT(st_escrow_op_of, "SELECT status FROM urgent_payment_ops WHERE gig_id = $1 AND kind = $2");

/* The gig an event object is about: metadata.gig_id, else the PaymentIntent it names. */
static enum result gig_of(struct gctx *g, const cJSON *obj, const char *pi, const char **gig_id)
{
    const char *meta = jstr(cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "gig_id");
    if (meta && !validate_uuid(meta))
        meta = NULL;
    *gig_id = NULL;
    if (!meta && !pi)
        return R_SUCCESS;
    PGresult *r;
    enum result rc = DB_RUN(g, &r, &st_escrow_gig_of, meta, pi);
    if (!rc && PQntuples(r))
        *gig_id = dup_or_null(g, r, 0);
    return rc;
}

/* The status of our (gig, kind) operation, NULL when we never started one. */
static enum result op_status(struct gctx *g, const char *gig_id, const char *kind, const char **status)
{
    PGresult *r;
    enum result rc = DB_RUN(g, &r, &st_escrow_op_of, gig_id, kind);
    *status = !rc && PQntuples(r) ? dup_or_null(g, r, 0) : NULL;
    return rc;
}

static enum result on_pi_event(struct gctx *g, const char *type, const cJSON *pi, const char *gig_id)
{
    PGresult *r;
    const char *id = jstr(pi, "id");
    if (!strcmp(type, "payment_intent.succeeded")) {
        long long got = jnum(pi, "amount_received", -1);
        if (got <= 0)
            return R_SUCCESS;
        return DB_RUN(g, &r, &st_escrow_captured, gig_id, id, lld(g, got));
    }
    const char *st;
    enum result rc = op_status(g, gig_id, "cancel", &st);
    if (rc || !st)
        return rc; /* a cancel we did not ask for: lib/urgent.c handles a searching gig */
    return DB_RUN(g, &r, &st_escrow_cancelled, gig_id, id);
}

static const char *first_refund_id(const cJSON *charge)
{
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(charge, "refunds"), "data");
    return jstr(cJSON_GetArrayItem(data, 0), "id");
}

static enum result on_refund_or_transfer(struct gctx *g, const char *type, const cJSON *obj, const char *gig_id)
{
    PGresult *r;
    const char *st;
    bool refund = !strcmp(type, "charge.refunded");
    enum result rc = op_status(g, gig_id, refund ? "refund" : "transfer", &st);
    if (rc)
        return rc;
    if (!st) {
        log_warn("webhook: %s for gig %s that we did not start; left to an operator", type, gig_id);
        return R_SUCCESS;
    }
    if (refund) {
        const char *rid = first_refund_id(obj);
        long long amt = jnum(obj, "amount_refunded", -1);
        return amt > 0 ? DB_RUN(g, &r, &st_escrow_refunded, gig_id, rid ? rid : jstr(obj, "id"), lld(g, amt))
                       : R_SUCCESS;
    }
    long long amt = jnum(obj, "amount", -1);
    return amt > 0 ? DB_RUN(g, &r, &st_escrow_transferred, gig_id, jstr(obj, "id"), lld(g, amt)) : R_SUCCESS;
}

static enum result on_transfer_reversed(struct gctx *g, const cJSON *tr)
{
    long long amt = jnum(tr, "amount_reversed", -1);
    const char *id = jstr(tr, "id");
    if (amt <= 0 || !id)
        return R_SUCCESS;
    PGresult *r;
    enum result rc = DB_RUN(g, &r, &st_escrow_transfer_reversed, id, lld(g, amt));
    if (rc)
        return rc;
    if (PQntuples(r))
        return R_SUCCESS;
    /* Overtook our own record of the Transfer (still pending here): fail, so that Stripe
     * delivers it again later. A transfer we never made is only logged. */
    const char *gig_id, *st = NULL;
    if ((rc = gig_of(g, tr, NULL, &gig_id)) || (gig_id && (rc = op_status(g, gig_id, "transfer", &st))))
        return rc;
    if (st && !strcmp(st, "pending"))
        return gctx_fail(g, R_UNAVAILABLE, "Transfer not recorded yet; redeliver later");
    log_warn("webhook: transfer.reversed for %s, not a transfer of ours", id);
    return R_SUCCESS;
}

enum result escrow_on_event(struct gctx *g, const char *type, const cJSON *obj)
{
    if (!strcmp(type, "transfer.reversed"))
        return on_transfer_reversed(g, obj);
    bool pi_event = !strncmp(type, "payment_intent.", 15);
    const char *pi = pi_event ? jstr(obj, "id") : jstr(obj, "payment_intent");
    const char *gig_id;
    enum result rc = gig_of(g, obj, pi, &gig_id);
    if (rc || !gig_id)
        return rc;
    return pi_event ? on_pi_event(g, type, obj, gig_id) : on_refund_or_transfer(g, type, obj, gig_id);
}

/* ------------------------------------------------------------------ cron */

STMT(st_escrow_expired_ids,
     "SELECT id FROM gigs WHERE gig_type = 'urgent' AND urgent_status = 'searching' AND expires_at < now()"
     " ORDER BY expires_at LIMIT 100");
STMT(st_escrow_due_ids,
     "SELECT gig_id FROM projects WHERE status = 'delivered' AND delivered_at < now() - interval '48 hours'"
     " ORDER BY delivered_at LIMIT 100");

struct tally {
    int decided, settled, failed;
};

/* Settles one gig for a job: a failure is counted and logged, and the job goes on (the
 * next run, or the sweep, repeats the same operations). */
static void settle_counted(struct gctx *g, const char *gig_id, struct tally *t)
{
    if (escrow_settle(g, gig_id)) {
        log_warn("escrow: gig %s not settled yet: %s", gig_id, g->err ? g->err : "?");
        g->res = R_SUCCESS;
        g->err = NULL;
        t->failed++;
    } else {
        t->settled++;
    }
}

/* For each gig of list: decide (statement decide, in its own transaction; no row = not
 * due any more), then settle. */
static enum result decide_and_settle(struct gctx *g, struct stmt *list, struct stmt *decide, struct tally *t)
{
    PGresult *ids;
    enum result rc = DB_RUN0(g, &ids, list);
    if (rc)
        return rc;
    for (int i = 0; i < PQntuples(ids); i++) {
        const char *gig_id = db_val(ids, i, 0);
        if ((rc = db_begin(g)))
            return rc;
        PGresult *r;
        if (!(rc = DB_RUN(g, &r, &st_escrow_lock, gig_id)))
            rc = DB_RUN(g, &r, decide, gig_id);
        bool due = !rc && PQntuples(r) > 0;
        if ((rc = db_finish(g, rc)))
            return rc;
        if (due) {
            t->decided++;
            settle_counted(g, gig_id, t);
        }
    }
    return R_SUCCESS;
}

/* Settlements decided two minutes ago or more and not finished. */
static enum result sweep(struct gctx *g, struct tally *t)
{
    PGresult *ids;
    enum result rc = DB_RUN(g, &ids, &st_escrow_unsettled, "120");
    if (rc)
        return rc;
    for (int i = 0; i < PQntuples(ids); i++)
        settle_counted(g, db_val(ids, i, 0), t);
    return R_SUCCESS;
}

static const char *tally_json(struct gctx *g, const char *what, const struct tally *t)
{
    return arena_sprintf(g->a, "{\"%s\":%d,\"settled\":%d,\"failed\":%d}", what, t->decided, t->settled, t->failed);
}

enum result escrow_cron_expire(struct gctx *g, const char **json)
{
    struct tally t = {0};
    enum result rc = decide_and_settle(g, &st_escrow_expired_ids, &st_escrow_expire, &t);
    if (rc || (rc = sweep(g, &t)))
        return rc;
    *json = tally_json(g, "expired", &t);
    return R_SUCCESS;
}

enum result escrow_cron_auto_release(struct gctx *g, const char **json)
{
    struct tally t = {0};
    enum result rc = decide_and_settle(g, &st_escrow_due_ids, &st_escrow_auto_release, &t);
    if (rc)
        return rc;
    *json = tally_json(g, "released", &t);
    return R_SUCCESS;
}

enum result escrow_cron_capture_held(struct gctx *g, const char **json)
{
    PGresult *ids;
    enum result rc = DB_RUN0(g, &ids, &st_escrow_uncaptured);
    if (rc)
        return rc;
    struct tally t = {0};
    for (int i = 0; i < PQntuples(ids); i++) {
        struct gig_money m;
        if ((rc = load(g, db_val(ids, i, 0), &m)))
            return rc;
        t.decided++;
        if (m.captured >= 0 || !m.pi)
            continue;
        if (do_capture(g, &m, m.capture_op > 0 ? m.capture_op : m.amount)) {
            log_warn("escrow: gig %s: 6-day capture failed: %s", m.id, g->err ? g->err : "?");
            g->res = R_SUCCESS;
            g->err = NULL;
            t.failed++;
        } else {
            t.settled++;
        }
    }
    *json = arena_sprintf(g->a, "{\"due\":%d,\"captured\":%d,\"failed\":%d}", t.decided, t.settled, t.failed);
    return R_SUCCESS;
}
