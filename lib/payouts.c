/* payouts.c — provider payouts (payouts.h): Stripe Connect Express onboarding, our copy of
 * the account's state, the Transfers owed when it becomes enabled, Stripe's payouts to
 * the bank, receipts and the money report.
 *
 * Onboarding never holds a lock while Stripe is asked: the payout_accounts row is
 * inserted first (one per user, a primary key), its op_key is the Idempotency-Key of the
 * account creation, so concurrent or retried calls are one account at Stripe, and the
 * answer is stored with coalesce (the first stored id wins, a replay changes nothing).
 *
 * Owed Transfers: the account.updated that enables an account claims, in the webhook's
 * transaction and under the account row's lock, the Transfer operation of every release
 * credit not yet transferred (one operation per gig: lib/escrow.c's key). After the
 * commit the same request makes them through escrow_settle(), each with its operation's
 * Idempotency-Key, no transaction open. Two account.updated at once claim the same
 * operations and send the same keys, so Stripe makes each Transfer once and the ledger
 * books it once; a crash or a Stripe failure leaves pending operations that the expire
 * job's sweep finishes. */
#include "payouts.h"
#include "buf.h"
#include "config.h"
#include "db.h"
#include "escrow.h"
#include "log.h"
#include "market.h"
#include "stripe.h"
#include "util.h"
#include "validate.h"
#include "sql_payouts.h"
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static const cJSON *get(const cJSON *o, const char *k)
{
    return cJSON_GetObjectItemCaseSensitive(o, k);
}

static const char *str(const cJSON *o, const char *k)
{
    const char *s = cJSON_GetStringValue(get(o, k));
    return s && *s ? s : NULL;
}

static const char *num(struct gctx *g, const cJSON *o, const char *k)
{
    const cJSON *v = get(o, k);
    return cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 1e13
               ? arena_sprintf(g->a, "%.0f", v->valuedouble)
               : NULL;
}

static const char *dup_val(struct gctx *g, PGresult *r, int row, int col)
{
    const char *v = db_val(r, row, col);
    return v ? arena_strdup(g->a, v) : NULL;
}

/* ------------------------------------------------------------------ onboarding */

struct account_row {
    const char *op_key, *account, *status;
};

static enum result claim_row(struct gctx *g, struct account_row *row)
{
    for (int i = 0; i < 3; i++) {
        PGresult *r;
        enum result rc = DB_RUN(g, &r, &st_payouts_claim, g->user_id);
        if (rc)
            return rc;
        if (PQntuples(r)) {
            *row = (struct account_row){dup_val(g, r, 0, 0), dup_val(g, r, 0, 1), dup_val(g, r, 0, 2)};
            return R_SUCCESS;
        }
    }
    return gctx_fail(g, R_CONFLICT, "Another payout request is in progress; please try again");
}

STMT(st_payouts_email, "SELECT email FROM users WHERE id = $1");
/* Stripe refused the creation for good (a 4xx): a new key, or every retry for 24 hours
 * would get the same refusal replayed. */
STMT(st_payouts_new_key,
     "UPDATE payout_accounts SET op_key = gen_random_uuid() WHERE user_id = $1 AND stripe_account_id IS NULL");

static enum result create_account(struct gctx *g, struct account_row *row)
{
    const char *email;
    enum result rc = DB_ONE(g, &email, "User not found", &st_payouts_email, g->user_id);
    if (rc)
        return rc;
    const struct stripe_param p[] = {{"type", "express"},
                                     {"country", cfg.payout_country},
                                     {"email", email},
                                     {"capabilities[transfers][requested]", "true"},
                                     {"metadata[user_id]", g->user_id}};
    struct stripe_outcome oc;
    cJSON *acct;
    const char *key = arena_sprintf(g->a, "payout-account-%s-%s", g->user_id, row->op_key);
    rc = stripe_request(g, "POST", "/v1/accounts", p, (int)ARRAY_SIZE(p), key, &acct, &oc);
    if (rc) {
        const char *msg = g->err;
        PGresult *r;
        if (oc.definite && DB_RUN(g, &r, &st_payouts_new_key, g->user_id))
            log_warn("payouts: could not renew the account key of %s", g->user_id);
        return gctx_fail(g, rc, msg);
    }
    const char *id = str(acct, "id");
    if (!id || strncmp(id, "acct_", 5)) {
        log_error("stripe: account answer without an id");
        return gctx_fail(g, R_UPSTREAM, "Payment provider sent an unexpected answer");
    }
    return DB_ONE(g, &row->account, "User not found", &st_payouts_store_account, g->user_id, id);
}

/* An Account Link is single-use and short-lived: each call asks for a fresh one. Making
 * one changes nothing at Stripe, so its key only has to cover our own retries. */
static enum result account_link(struct gctx *g, const char *account, cJSON **link)
{
    unsigned char raw[12];
    char hex[sizeof raw * 2 + 1];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
    const struct stripe_param p[] = {
        {"account", account},
        {"type", "account_onboarding"},
        {"refresh_url", arena_sprintf(g->a, "%s/payouts/onboarding/refresh", cfg.public_url)},
        {"return_url", arena_sprintf(g->a, "%s/payouts/onboarding/return", cfg.public_url)}};
    return stripe_request(g, "POST", "/v1/account_links", p, (int)ARRAY_SIZE(p),
                          arena_sprintf(g->a, "payout-link-%s-%s", account, hex), link, NULL);
}

enum result payouts_account_link(struct gctx *g, const char **json)
{
    struct account_row row;
    enum result rc = claim_row(g, &row);
    if (rc)
        return rc;
    if (!row.account && (rc = create_account(g, &row)))
        return rc;
    cJSON *link;
    if ((rc = account_link(g, row.account, &link)))
        return rc;
    const char *url = str(link, "url");
    if (!url) {
        log_error("stripe: account link answer without a url");
        return gctx_fail(g, R_UPSTREAM, "Payment provider sent an unexpected answer");
    }
    const cJSON *exp = get(link, "expires_at");
    struct buf b;
    buf_init(&b, g->a, 256);
    buf_puts(&b, "{\"url\":");
    buf_json_str(&b, url);
    buf_printf(&b, ",\"expires_at\":%.0f,\"account_id\":", cJSON_IsNumber(exp) ? exp->valuedouble : 0.0);
    buf_json_str(&b, row.account);
    buf_puts(&b, ",\"status\":");
    buf_json_str(&b, row.status);
    buf_putc(&b, '}');
    *json = b.p;
    return R_SUCCESS;
}

STMT(st_payouts_account_json,
     "SELECT json_build_object('status', CASE WHEN a.stripe_account_id IS NULL THEN 'none' ELSE a.status END,"
     "  'requirements_due', to_json(a.requirements_due), 'payouts_enabled', a.payouts_enabled,"
     "  'default_currency', upper(a.default_currency), 'account_id', a.stripe_account_id)"
     " FROM payout_accounts a WHERE a.user_id = $1");

enum result payouts_account_get(struct gctx *g, const char **json)
{
    PGresult *r;
    enum result rc = DB_RUN(g, &r, &st_payouts_account_json, g->user_id);
    if (rc)
        return rc;
    *json = PQntuples(r) ? db_val(r, 0, 0)
                         : "{\"status\":\"none\",\"requirements_due\":[],\"payouts_enabled\":false,"
                           "\"default_currency\":null,\"account_id\":null}";
    return R_SUCCESS;
}

/* ------------------------------------------------------------------ account.updated */

STMT(st_payouts_lock_account, "SELECT user_id FROM payout_accounts WHERE stripe_account_id = $1 FOR UPDATE");
/* Our store of the account id was lost (a crash after Stripe answered): the account names
 * its user in metadata, and that user's row has no account yet. */
STMT(st_payouts_adopt_account,
     "UPDATE payout_accounts SET stripe_account_id = $1, updated_at = now()"
     " WHERE user_id = $2::uuid AND stripe_account_id IS NULL RETURNING user_id");

/* Stripe's account → our status: enabled when it can receive Transfers and be paid out;
 * pending until the details are submitted; restricted otherwise (something is due). */
static const char *account_status(const cJSON *acct)
{
    const char *transfers = str(get(acct, "capabilities"), "transfers");
    const char *disabled = str(get(acct, "requirements"), "disabled_reason");
    if (cJSON_IsTrue(get(acct, "payouts_enabled")) && !disabled && (!transfers || !strcmp(transfers, "active")))
        return "enabled";
    return cJSON_IsTrue(get(acct, "details_submitted")) ? "restricted" : "pending";
}

/* requirements.currently_due + past_due as a JSON array of strings. */
static const char *requirements_due(struct gctx *g, const cJSON *acct)
{
    static const char *const lists[] = {"currently_due", "past_due"};
    struct buf b;
    buf_init(&b, g->a, 128);
    buf_putc(&b, '[');
    int n = 0; /* payout_accounts keeps at most 100 */
    for (size_t i = 0; i < ARRAY_SIZE(lists); i++) {
        const cJSON *e;
        cJSON_ArrayForEach(e, get(get(acct, "requirements"), lists[i]))
        {
            if (!cJSON_IsString(e) || n >= 100)
                continue;
            if (n++)
                buf_putc(&b, ',');
            buf_json_str(&b, e->valuestring);
        }
    }
    buf_putc(&b, ']');
    return b.p;
}

static enum result lock_account(struct gctx *g, const cJSON *acct, const char *id, const char **user)
{
    PGresult *r;
    enum result rc = DB_RUN(g, &r, &st_payouts_lock_account, id);
    if (rc)
        return rc;
    const char *meta = str(get(acct, "metadata"), "user_id");
    if (!PQntuples(r) && meta && validate_uuid(meta) && (rc = DB_RUN(g, &r, &st_payouts_adopt_account, id, meta)))
        return rc;
    *user = PQntuples(r) ? dup_val(g, r, 0, 0) : NULL;
    return R_SUCCESS;
}

enum result payouts_on_account_updated(struct gctx *g, const cJSON *acct, const char *created,
                                       const char **settle_user)
{
    *settle_user = NULL;
    const char *id = str(acct, "id");
    if (!id)
        return gctx_fail(g, R_INVALID, "Malformed event: account without an id");
    const char *user;
    enum result rc = lock_account(g, acct, id, &user);
    if (rc)
        return rc;
    if (!user) {
        log_warn("webhook: account.updated for %s, not an account of ours", id);
        return R_SUCCESS;
    }
    PGresult *r;
    rc = DB_RUN(g, &r, &st_payouts_apply_account, user, account_status(acct),
                cJSON_IsTrue(get(acct, "payouts_enabled")) ? "true" : "false",
                cJSON_IsTrue(get(acct, "details_submitted")) ? "true" : "false", requirements_due(g, acct),
                str(acct, "default_currency"), created);
    if (rc)
        return rc;
    if (!PQntuples(r)) {
        log_info("webhook: account.updated for %s older than the state we hold; ignored", id);
        return R_SUCCESS;
    }
    if (strcmp(db_val(r, 0, 0), "enabled"))
        return R_SUCCESS;
    if ((rc = DB_RUN(g, &r, &st_payouts_claim_owed, user)))
        return rc;
    *settle_user = user;
    return R_SUCCESS;
}

void payouts_settle_owed(struct gctx *g, const char *user_id)
{
    PGresult *ids;
    if (DB_RUN(g, &ids, &st_payouts_pending_transfers, user_id)) {
        log_warn("payouts: owed transfers of %s left to the sweep: %s", user_id, g->err ? g->err : "?");
        g->res = R_SUCCESS;
        g->err = NULL;
        return;
    }
    for (int i = 0; i < PQntuples(ids); i++) {
        const char *gig = db_val(ids, i, 0);
        if (escrow_settle(g, gig)) {
            log_warn("payouts: transfer of gig %s left to the sweep: %s", gig, g->err ? g->err : "?");
            g->res = R_SUCCESS;
            g->err = NULL;
        }
    }
}

/* ------------------------------------------------------------------ payouts */

static bool payout_status_ok(const char *s)
{
    static const char *const ok[] = {"pending", "in_transit", "paid", "failed", "canceled"};
    for (size_t i = 0; s && i < ARRAY_SIZE(ok); i++)
        if (!strcmp(s, ok[i]))
            return true;
    return false;
}

enum result payouts_on_payout(struct gctx *g, const char *account, const cJSON *po, const char *created)
{
    const char *id = str(po, "id"), *status = str(po, "status"), *amount = num(g, po, "amount");
    const char *currency = str(po, "currency");
    static const char alnum_[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_";
    if (!id || strncmp(id, "po_", 3) || strlen(id) > 67 || strlen(id) < 4 || strspn(id + 3, alnum_) != strlen(id + 3) ||
        !payout_status_ok(status) || !amount || !currency ||
        strlen(currency) != 3 || strspn(currency, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") != 3)
        return gctx_fail(g, R_INVALID, "Malformed event: payout");
    if (!account) {
        log_warn("webhook: payout %s without an account: a platform payout, not a provider's", id);
        return R_SUCCESS;
    }
    PGresult *r;
    enum result rc = DB_RUN(g, &r, &st_payouts_record, account, id, amount, currency, status,
                            num(g, po, "arrival_date"), str(po, "failure_code"), str(po, "failure_message"), created);
    if (rc)
        return rc;
    if (!PQntuples(r)) {
        log_info("webhook: payout %s of %s: unknown account or an older state; ignored", id, account);
        return R_SUCCESS;
    }
    if (strcmp(db_val(r, 0, 1), "failed"))
        return R_SUCCESS;
    log_warn("payouts: payout %s of user %s failed", id, db_val(r, 0, 0));
    return DB_RUN(g, &r, &st_payouts_notify_failed, id);
}

enum result payouts_list(struct gctx *g, const char *page, const char *limit, const char **json)
{
    return market_owned_page(g, &st_payouts_list, g->user_id, page, limit, json);
}

/* ------------------------------------------------------------------ receipts */

/* The receipt's columns (st_payouts_receipt). */
enum { RC_KIND, RC_CURRENCY, RC_DATE, RC_GIG, RC_PROJECT, RC_STRIPE, RC_GROSS, RC_FEE, RC_NET, RC_AMOUNT,
       RC_TITLE, RC_REQUESTER, RC_PROVIDER };

static const char *receipt_json(struct gctx *g, const char *id, PGresult *r)
{
    static const struct {
        const char *name;
        int col;
        bool number;
    } f[] = {{"kind", RC_KIND, false},        {"currency", RC_CURRENCY, false},   {"date", RC_DATE, false},
             {"gig_id", RC_GIG, false},       {"project_id", RC_PROJECT, false},  {"stripe_object_id", RC_STRIPE, false},
             {"gross_amount", RC_GROSS, true}, {"platform_fee", RC_FEE, true},     {"net_amount", RC_NET, true},
             {"amount", RC_AMOUNT, true},     {"description", RC_TITLE, false},   {"requester_name", RC_REQUESTER, false},
             {"provider_name", RC_PROVIDER, false}};
    struct buf b;
    buf_init(&b, g->a, 512);
    buf_printf(&b, "{\"id\":%s,\"number\":\"R-%s\"", id, id);
    for (size_t i = 0; i < ARRAY_SIZE(f); i++) {
        const char *v = db_val(r, 0, f[i].col);
        buf_printf(&b, ",\"%s\":", f[i].name);
        if (!v)
            buf_puts(&b, "null");
        else if (f[i].number)
            buf_puts(&b, v);
        else
            buf_json_str(&b, v);
    }
    buf_putc(&b, '}');
    return b.p;
}

static const char *or_dash(PGresult *r, int col)
{
    const char *v = db_val(r, 0, col);
    return v ? v : "-";
}

/* A major-units amount as "120.00" (money_major gives "120" or "105.6"). */
static const char *money2(struct gctx *g, PGresult *r, int col)
{
    const char *v = db_val(r, 0, col);
    return v ? arena_sprintf(g->a, "%.2f", strtod(v, NULL)) : "-";
}

static const char *receipt_pdf(struct gctx *g, const char *id, PGresult *r, size_t *len)
{
    const char *cur = db_val(r, 0, RC_CURRENCY);
    bool transfer = !strcmp(db_val(r, 0, RC_KIND), "transfer");
    const char *lines[] = {
        arena_sprintf(g->a, "gigd receipt R-%s", id),
        transfer ? "Transfer to your connected account" : "Payment released to your wallet",
        arena_sprintf(g->a, "Date: %s", or_dash(r, RC_DATE)),
        arena_sprintf(g->a, "Gig: %s (%s)", or_dash(r, RC_TITLE), or_dash(r, RC_GIG)),
        arena_sprintf(g->a, "Requester: %s    Provider: %s", or_dash(r, RC_REQUESTER), or_dash(r, RC_PROVIDER)),
        "",
        arena_sprintf(g->a, "Gross amount:  %s %s", money2(g, r, RC_GROSS), cur),
        arena_sprintf(g->a, "Platform fee:  %s %s", money2(g, r, RC_FEE), cur),
        arena_sprintf(g->a, "Net amount:    %s %s", money2(g, r, RC_NET), cur),
        transfer ? arena_sprintf(g->a, "Transferred:   %s %s (%s)", money2(g, r, RC_AMOUNT), cur, or_dash(r, RC_STRIPE))
                 : "",
    };
    return payouts_pdf(g, lines, (int)ARRAY_SIZE(lines), len);
}

enum result payouts_receipt(struct gctx *g, const char *id, bool pdf, const char **out, size_t *len)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n > 18 || strspn(id, "0123456789") != n)
        return gctx_fail(g, R_NOTFOUND, "Transaction not found");
    PGresult *r;
    enum result rc = DB_RUN(g, &r, &st_payouts_receipt, id, g->user_id);
    if (rc)
        return rc;
    if (PQntuples(r) != 1)
        return gctx_fail(g, R_NOTFOUND, "Transaction not found");
    if (pdf) {
        *out = receipt_pdf(g, id, r, len);
    } else {
        *out = receipt_json(g, id, r);
        *len = strlen(*out);
    }
    return R_SUCCESS;
}

/* ------------------------------------------------------------------ PDF */

/* A PDF string literal's body: printable ASCII, with \ ( ) escaped. */
static void pdf_text(struct buf *b, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '\\' || *p == '(' || *p == ')')
            buf_putc(b, '\\');
        buf_putc(b, *p >= 0x20 && *p < 0x7f ? (char)*p : '?');
    }
}

const char *payouts_pdf(struct gctx *g, const char *const *lines, int n, size_t *len)
{
    struct buf content;
    buf_init(&content, g->a, 1024);
    buf_puts(&content, "BT\n/F1 18 Tf\n56 780 Td\n");
    for (int i = 0; i < n; i++) {
        if (i == 1)
            buf_puts(&content, "/F1 11 Tf\n0 -30 Td\n");
        else if (i > 1)
            buf_puts(&content, "0 -18 Td\n");
        buf_putc(&content, '(');
        pdf_text(&content, lines[i]);
        buf_puts(&content, ") Tj\n");
    }
    buf_puts(&content, "ET\n");

    struct buf b;
    buf_init(&b, g->a, content.len + 1024);
    size_t off[6];
    buf_puts(&b, "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n");
    off[1] = b.len;
    buf_puts(&b, "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
    off[2] = b.len;
    buf_puts(&b, "2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n");
    off[3] = b.len;
    buf_puts(&b, "3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]"
                 " /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>\nendobj\n");
    off[4] = b.len;
    buf_printf(&b, "4 0 obj\n<< /Length %zu >>\nstream\n", content.len);
    buf_put(&b, content.p, content.len);
    buf_puts(&b, "endstream\nendobj\n");
    off[5] = b.len;
    buf_puts(&b, "5 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>\n"
                 "endobj\n");
    size_t xref = b.len;
    buf_puts(&b, "xref\n0 6\n0000000000 65535 f \n");
    for (int i = 1; i <= 5; i++)
        buf_printf(&b, "%010zu 00000 n \n", off[i]);
    buf_printf(&b, "trailer\n<< /Size 6 /Root 1 0 R >>\nstartxref\n%zu\n%%%%EOF\n", xref);
    *len = b.len;
    return b.p;
}

/* ------------------------------------------------------------------ report */

STMT(st_payouts_check_range, "SELECT $1::timestamptz < $2::timestamptz");

enum result payouts_money_report(struct gctx *g, const char *from, const char *to, const char **json,
                                 long long *unbalanced)
{
    PGresult *r;
    enum result rc = DB_RUN(g, &r, &st_payouts_check_range, from, to);
    if (rc)
        return gctx_fail(g, R_INVALID, "--from and --to must be dates or timestamps");
    if (!db_bool(r, 0, 0))
        return gctx_fail(g, R_INVALID, "--from must be before --to");
    if ((rc = DB_RUN(g, &r, &st_payouts_report, from, to)))
        return rc;
    *json = db_val(r, 0, 0);
    *unbalanced = db_ll(r, 0, 1);
    return R_SUCCESS;
}
