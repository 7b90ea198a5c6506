/* outbox.c — push delivery to Expo, run by `gigctl deliver` (outbox_deliver is its
 * hook). Rows come from the notifications trigger of sql/004 (same transaction as
 * the notification). Each call:
 *   1. claims due rows with FOR UPDATE SKIP LOCKED (several deliverers may run),
 *      marking them `sending` with a lease, and POSTs them in batches of <= 100,
 *      paced to stay under 600 notifications per second;
 *   2. stores each ticket id (`sent`), or retries the batch with exponential
 *      backoff on 429/5xx/network errors (honouring Retry-After), or fails the row;
 *   3. fetches receipts for tickets whose receipt is due (getReceipts, derived from
 *      the push URL) and marks rows `delivered` or `failed`.
 * A ticket or receipt saying DeviceNotRegistered deactivates the token.
 * Exactly-once is not possible against Expo (no idempotency key): the dedupe key
 * stops a second enqueue, and each batch's outcome is committed right after its HTTP
 * answer, so a crash re-sends at most the one batch in flight, after its lease
 * expires (at-least-once). */
#include "outbox.h"
#include "buf.h"
#include "config.h"
#include "db.h"
#include "httpc.h"
#include "log.h"
#include "validate.h"
#include <curl/curl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH 100            /* Expo's limit per request */
#define MAX_PER_CALL 500     /* rows claimed per outbox_deliver call */
#define RATE_PER_SEC 600.0   /* Expo's documented per-project limit */
#define RECEIPT_BATCH 1000   /* Expo's limit per getReceipts request */
#define MAX_ATTEMPTS 12

static CURL *handle;
static double next_send_at; /* monotonic seconds: pacing across calls */

static double now_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sleeps so that sending n notifications keeps the average under RATE_PER_SEC. */
static void pace(int n)
{
    double t = now_mono();
    if (next_send_at > t) {
        double d = next_send_at - t;
        struct timespec ts = {(time_t)d, (long)((d - floor(d)) * 1e9)};
        nanosleep(&ts, NULL);
        t = next_send_at;
    }
    next_send_at = t + n / RATE_PER_SEC;
}

/* POSTs JSON to Expo; returns the HTTP status, or 0 on a transport error (err filled). */
static long post_json(arena *a, const char *url, const char *json, struct httpc_reply *out, char *err, size_t errlen)
{
    bool timed_out;
    return httpc_post_json(&handle, a, url, json, 5000, 20000, out, err, errlen, &timed_out);
}

/* https://exp.host/--/api/v2/push/send → .../push/getReceipts */
static const char *receipts_url(arena *a)
{
    const char *u = cfg.expo_push_url;
    const char *slash = strrchr(u, '/');
    if (!slash)
        return NULL;
    return arena_sprintf(a, "%.*s/getReceipts", (int)(slash - u), u);
}

/* ---- sending ---- */

/* Rows of deactivated tokens are cancelled instead of sent. A `sending` row whose
 * lease expired belongs to a deliverer that died mid-batch and is claimed again. */
STMT(st_push_cancel_dead,
     "UPDATE push_outbox o SET status = 'cancelled', updated_at = now() FROM push_tokens t"
     " WHERE t.id = o.token_id AND NOT t.active AND o.status = 'pending'");
/* A push queued before its user turned that type's push channel off (say, waiting for
 * the end of quiet hours) is cancelled, not sent: preferences hold at delivery too. */
STMT(st_push_cancel_muted,
     "UPDATE push_outbox o SET status = 'cancelled', last_error = 'muted', updated_at = now()"
     " FROM notifications n, notification_preferences p"
     " WHERE o.status = 'pending' AND n.id = o.notification_id AND p.user_id = n.user_id"
     "   AND NOT notify_channel_on(p, n.type, 'push')");
STMT(st_push_claim,
     "UPDATE push_outbox SET status = 'sending', locked_until = now() + interval '2 minutes',"
     " attempts = attempts + 1, updated_at = now()"
     " WHERE id IN (SELECT id FROM push_outbox"
     "              WHERE ((status = 'pending' AND next_attempt_at <= now())"
     "                     OR (status = 'sending' AND locked_until < now()))"
     "              ORDER BY next_attempt_at, id LIMIT $1::int FOR UPDATE SKIP LOCKED)"
     " RETURNING id, payload::text, push_token, attempts");
/* Outcome of a batch in one statement: arrays of id, status, ticket, error. */
STMT(st_push_result,
     "UPDATE push_outbox o SET status = x.status, ticket_id = x.ticket, last_error = x.err,"
     " sent_at = CASE WHEN x.status = 'sent' THEN now() ELSE o.sent_at END,"
     " receipt_due_at = CASE WHEN x.status = 'sent' THEN now() + interval '15 minutes' END,"
     " locked_until = NULL, updated_at = now()"
     " FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[]) AS x(id, status, ticket, err)"
     " WHERE o.id = x.id");
/* A whole batch failed: back off 2^attempts seconds (at most an hour), or the
 * server's Retry-After when it is longer; give up after MAX_ATTEMPTS. */
STMT(st_push_retry,
     "UPDATE push_outbox SET status = CASE WHEN attempts >= $3::int THEN 'failed' ELSE 'pending' END,"
     " locked_until = NULL, last_error = $2, updated_at = now(),"
     " next_attempt_at = now() + greatest(least(power(2, attempts), 3600), $4::int) * interval '1 second'"
     " WHERE id = ANY ($1::bigint[])");
STMT(st_push_deactivate_tokens,
     "UPDATE push_tokens SET active = false, deactivated_reason = 'DeviceNotRegistered', updated_at = now()"
     " WHERE push_token = ANY ($1::text[]) AND active");

/* Per-row outcomes of a batch or of a receipt fetch, as parallel arrays for unnest(),
 * and the tokens Expo called DeviceNotRegistered. */
struct outcomes {
    int n, ndead;
    const char **ids, **status, **tickets, **errs, **dead;
};

static void outcomes_init(arena *a, struct outcomes *o, int cap)
{
    size_t size = sizeof(char *) * (size_t)(cap > 0 ? cap : 1);
    o->n = o->ndead = 0;
    o->ids = arena_alloc(a, size);
    o->status = arena_alloc(a, size);
    o->tickets = arena_alloc(a, size);
    o->errs = arena_alloc(a, size);
    o->dead = arena_alloc(a, size);
}

/* Deactivates the tokens Expo no longer knows, so nothing more is queued for them. */
static enum result deactivate_dead(struct gctx *g, const struct outcomes *o)
{
    if (!o->ndead)
        return R_SUCCESS;
    PGresult *r;
    return DB_RUN(g, &r, &st_push_deactivate_tokens, validate_text_array(g->a, o->dead, o->ndead));
}

/* A ticket or receipt that says {"status": "ok"}. */
static bool expo_ok(const cJSON *t)
{
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(t, "status");
    return cJSON_IsString(s) && !strcmp(s->valuestring, "ok");
}

/* The error code of a ticket or receipt that is not ok: details.error, else "error". */
static const char *expo_error(const cJSON *t)
{
    const cJSON *det = cJSON_GetObjectItemCaseSensitive(t, "details");
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(det, "error");
    return cJSON_IsString(e) ? e->valuestring : "error";
}

/* The JSON array of the payloads of rows [from, from + n) of the claim; their ids go to
 * o->ids. */
static const char *batch_body(arena *a, PGresult *r, int from, int n, struct outcomes *o)
{
    struct buf body;
    buf_init(&body, a, (size_t)n * 256);
    buf_putc(&body, '[');
    for (int i = 0; i < n; i++) {
        if (i)
            buf_putc(&body, ',');
        buf_puts(&body, db_val(r, from + i, 1));
        o->ids[i] = db_val(r, from + i, 0);
    }
    buf_putc(&body, ']');
    o->n = n;
    return body.p;
}

/* POSTs a batch of n. Returns 200 with *tickets the `data` array (one ticket per
 * message, in order); otherwise the status (0: transport error or an answer that is
 * not n tickets) with err saying why and *retry_after from the answer. */
static long post_batch(struct gctx *g, const char *url, const char *body, int n, const cJSON **tickets,
                       long *retry_after, char *err, size_t errlen)
{
    struct httpc_reply resp;
    long status = post_json(g->a, url, body, &resp, err, errlen);
    *retry_after = resp.retry_after;
    if (status != 200) {
        if (status)
            snprintf(err, errlen, "Expo answered %ld", status);
        return status;
    }
    cJSON *json = gctx_json_parse(g, resp.body.p, resp.body.len);
    *tickets = json ? cJSON_GetObjectItemCaseSensitive(json, "data") : NULL;
    if (!cJSON_IsArray(*tickets) || cJSON_GetArraySize(*tickets) != n) {
        snprintf(err, errlen, "unexpected answer from Expo");
        return 0;
    }
    return 200;
}

/* The whole batch failed: 429, 5xx and network errors are retried with backoff (at
 * least the server's Retry-After when it is under an hour), anything else gives up. */
static enum result retry_batch(struct gctx *g, const struct outcomes *o, long status, const char *err,
                               long retry_after)
{
    bool retry = status == 0 || status == 429 || status >= 500;
    log_warn("push: batch of %d failed: %s (%s)", o->n, err, retry ? "will retry" : "giving up");
    PGresult *r;
    return DB_RUN(g, &r, &st_push_retry, validate_text_array(g->a, o->ids, o->n), err,
                  retry ? arena_sprintf(g->a, "%d", MAX_ATTEMPTS) : "0",
                  arena_sprintf(g->a, "%ld", retry_after > 0 && retry_after < 3600 ? retry_after : 0));
}

/* Row i's outcome from its ticket: `sent` with the ticket id, `pending` again when Expo
 * refused it for the rate, else `failed` (and its token is dead on DeviceNotRegistered). */
static bool ticket_outcome(struct gctx *g, struct outcomes *o, int i, const cJSON *t, const char *token)
{
    const cJSON *tid = cJSON_GetObjectItemCaseSensitive(t, "id");
    o->tickets[i] = NULL;
    o->errs[i] = NULL;
    if (expo_ok(t) && cJSON_IsString(tid)) {
        o->status[i] = "sent";
        o->tickets[i] = tid->valuestring;
        return true;
    }
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(t, "message");
    const char *code = expo_error(t);
    o->errs[i] = arena_sprintf(g->a, "%s: %s", code, cJSON_IsString(msg) ? msg->valuestring : "");
    o->status[i] = "failed";
    if (!strcmp(code, "DeviceNotRegistered"))
        o->dead[o->ndead++] = token;
    else if (!strcmp(code, "MessageRateExceeded"))
        o->status[i] = "pending"; /* retried on the next pass */
    return false;
}

/* Stores each row's ticket or error in one statement, then deactivates dead tokens. */
static enum result record_tickets(struct gctx *g, PGresult *r, int from, const cJSON *tickets, struct outcomes *o)
{
    int nsent = 0;
    for (int i = 0; i < o->n; i++)
        nsent += ticket_outcome(g, o, i, cJSON_GetArrayItem(tickets, i), db_val(r, from + i, 2));
    PGresult *res;
    enum result rc = DB_RUN(g, &res, &st_push_result, validate_text_array(g->a, o->ids, o->n),
                            validate_text_array(g->a, o->status, o->n), validate_text_array(g->a, o->tickets, o->n),
                            validate_text_array(g->a, o->errs, o->n));
    if (rc)
        return rc;
    rc = deactivate_dead(g, o);
    if (rc)
        return rc;
    log_info("push: batch of %d: %d accepted, %d failed, %d tokens deactivated", o->n, nsent, o->n - nsent,
             o->ndead);
    return R_SUCCESS;
}

/* Sends rows [from, from + n) of the claim as one Expo request and commits its outcome. */
static enum result send_batch(struct gctx *g, PGresult *r, int from, int n, const char *url)
{
    struct outcomes o;
    outcomes_init(g->a, &o, n);
    const char *body = batch_body(g->a, r, from, n, &o);
    pace(n);
    char err[256] = "";
    long retry_after;
    const cJSON *tickets = NULL;
    long status = post_batch(g, url, body, n, &tickets, &retry_after, err, sizeof err);
    if (status != 200)
        return retry_batch(g, &o, status, err, retry_after);
    return record_tickets(g, r, from, tickets, &o);
}

/* Claims due rows and sends them in batches; *done counts the rows handled. */
static enum result send_due(struct gctx *g, int *done)
{
    PGresult *r;
    enum result rc = DB_RUN0(g, &r, &st_push_cancel_dead);
    if (!rc)
        rc = DB_RUN0(g, &r, &st_push_cancel_muted);
    if (rc)
        return rc;
    rc = DB_RUN(g, &r, &st_push_claim, arena_sprintf(g->a, "%d", MAX_PER_CALL));
    if (rc)
        return rc;
    int rows = PQntuples(r);
    for (int from = 0; from < rows; from += BATCH) {
        int n = rows - from < BATCH ? rows - from : BATCH;
        rc = send_batch(g, r, from, n, cfg.expo_push_url);
        if (rc)
            return rc;
        *done += n;
    }
    return R_SUCCESS;
}

/* ---- receipts ---- */

STMT(st_push_receipt_claim,
     "UPDATE push_outbox SET receipt_due_at = now() + interval '10 minutes', receipt_attempts = receipt_attempts + 1"
     " WHERE id IN (SELECT id FROM push_outbox WHERE status = 'sent' AND receipt_due_at <= now()"
     "              ORDER BY receipt_due_at, id LIMIT $1::int FOR UPDATE SKIP LOCKED)"
     " RETURNING id, ticket_id, push_token, receipt_attempts");
/* Receipts Expo does not have yet are asked again later; after a day they are
 * not coming (Expo keeps them for a day) and the row counts as delivered. */
STMT(st_push_receipt_result,
     "UPDATE push_outbox o SET status = x.status, last_error = coalesce(x.err, o.last_error), updated_at = now()"
     " FROM unnest($1::bigint[], $2::text[], $3::text[]) AS x(id, status, err)"
     " WHERE o.id = x.id AND o.status = 'sent'");

/* {"ids": [ticket, ...]} for the claimed rows. */
static const char *receipts_body(arena *a, PGresult *r)
{
    int n = PQntuples(r);
    struct buf body;
    buf_init(&body, a, (size_t)n * 48 + 16);
    buf_puts(&body, "{\"ids\":[");
    for (int i = 0; i < n; i++) {
        if (i)
            buf_putc(&body, ',');
        buf_json_str(&body, db_val(r, i, 1));
    }
    buf_puts(&body, "]}");
    return body.p;
}

/* POSTs to getReceipts: the `data` object (ticket id → receipt), or NULL (logged). */
static const cJSON *post_receipts(struct gctx *g, const char *url, const char *body)
{
    struct httpc_reply resp;
    char err[256] = "";
    long status = post_json(g->a, url, body, &resp, err, sizeof err);
    const cJSON *data = NULL;
    if (status == 200) {
        cJSON *json = gctx_json_parse(g, resp.body.p, resp.body.len);
        data = json ? cJSON_GetObjectItemCaseSensitive(json, "data") : NULL;
    }
    if (!cJSON_IsObject(data)) {
        log_warn("push: getReceipts failed (%ld %s); asking again later", status, err);
        return NULL;
    }
    return data;
}

/* Claimed row i's outcome from its receipt: `delivered` or `failed` (its token dead on
 * DeviceNotRegistered). Without a receipt there is no outcome yet, until a day of asking
 * says none is coming (Expo keeps receipts for a day): then it counts as delivered. */
static void receipt_outcome(struct gctx *g, struct outcomes *o, PGresult *r, int i, const cJSON *receipts)
{
    const cJSON *rc = cJSON_GetObjectItemCaseSensitive(receipts, db_val(r, i, 1));
    if (!rc && db_ll(r, i, 3) < 144) /* 10 minutes apart: a day */
        return;
    int m = o->n++;
    o->ids[m] = db_val(r, i, 0);
    if (!rc) {
        o->status[m] = "delivered";
        o->errs[m] = "no receipt";
    } else if (expo_ok(rc)) {
        o->status[m] = "delivered";
        o->errs[m] = NULL;
    } else {
        const char *code = expo_error(rc);
        o->status[m] = "failed";
        o->errs[m] = arena_sprintf(g->a, "receipt: %s", code);
        if (!strcmp(code, "DeviceNotRegistered"))
            o->dead[o->ndead++] = db_val(r, i, 2);
    }
}

/* Stores the final outcomes in one statement, then deactivates dead tokens. */
static enum result store_receipts(struct gctx *g, const struct outcomes *o)
{
    if (o->n) {
        PGresult *r;
        enum result rc = DB_RUN(g, &r, &st_push_receipt_result, validate_text_array(g->a, o->ids, o->n),
                                validate_text_array(g->a, o->status, o->n), validate_text_array(g->a, o->errs, o->n));
        if (rc)
            return rc;
    }
    return deactivate_dead(g, o);
}

/* Claims rows whose receipt is due, asks Expo for their receipts and stores the final
 * ones; *done counts the rows claimed. A failed request changes nothing: the claim has
 * already moved receipt_due_at forward. */
static enum result fetch_receipts(struct gctx *g, int *done)
{
    const char *url = receipts_url(g->a);
    if (!url)
        return R_SUCCESS;
    PGresult *r;
    enum result rc = DB_RUN(g, &r, &st_push_receipt_claim, arena_sprintf(g->a, "%d", RECEIPT_BATCH));
    if (rc)
        return rc;
    int n = PQntuples(r);
    if (n == 0)
        return R_SUCCESS;
    const cJSON *receipts = post_receipts(g, url, receipts_body(g->a, r));
    if (!receipts)
        return R_SUCCESS;
    struct outcomes o;
    outcomes_init(g->a, &o, n);
    for (int i = 0; i < n; i++)
        receipt_outcome(g, &o, r, i, receipts);
    rc = store_receipts(g, &o);
    if (rc)
        return rc;
    log_info("push: %d receipts checked, %d final, %d tokens deactivated", n, o.n, o.ndead);
    *done = n;
    return R_SUCCESS;
}

enum result outbox_deliver(struct gctx *g, int *handled)
{
    int sent = 0, receipts = 0;
    enum result rc = send_due(g, &sent);
    if (!rc)
        rc = fetch_receipts(g, &receipts);
    *handled = sent + receipts;
    return rc;
}
