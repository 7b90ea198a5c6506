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

static int send_batch(struct gctx *g, PGresult *r, int from, int n, const char *url)
{
    struct buf body;
    buf_init(&body, g->a, (size_t)n * 256);
    buf_putc(&body, '[');
    const char **ids = arena_alloc(g->a, sizeof(char *) * (size_t)n);
    for (int i = 0; i < n; i++) {
        if (i)
            buf_putc(&body, ',');
        buf_puts(&body, db_val(r, from + i, 1));
        ids[i] = db_val(r, from + i, 0);
    }
    buf_putc(&body, ']');
    const char *id_arr = pg_text_array(g->a, ids, n);
    pace(n);
    struct httpc_reply resp;
    char err[256] = "";
    long status = post_json(g->a, url, body.p, &resp, err, sizeof err);
    cJSON *json = NULL, *data = NULL;
    if (status == 200) {
        json = gctx_json_parse(g, resp.body.p, resp.body.len);
        data = json ? cJSON_GetObjectItemCaseSensitive(json, "data") : NULL;
        if (!cJSON_IsArray(data) || cJSON_GetArraySize(data) != n) {
            snprintf(err, sizeof err, "unexpected answer from Expo");
            status = 0;
        }
    } else if (status) {
        snprintf(err, sizeof err, "Expo answered %ld", status);
    }
    if (status != 200) {
        bool retry = status == 0 || status == 429 || status >= 500;
        log_warn("push: batch of %d failed: %s (%s)", n, err, retry ? "will retry" : "giving up");
        if (!DBQ(g, &st_push_retry, id_arr, err, retry ? arena_sprintf(g->a, "%d", MAX_ATTEMPTS) : "0",
                 arena_sprintf(g->a, "%ld", resp.retry_after > 0 && resp.retry_after < 3600 ? resp.retry_after : 0)))
            return -1;
        return 0;
    }
    const char **st = arena_alloc(g->a, sizeof(char *) * (size_t)n);
    const char **tickets = arena_alloc(g->a, sizeof(char *) * (size_t)n);
    const char **errs = arena_alloc(g->a, sizeof(char *) * (size_t)n);
    const char **dead = arena_alloc(g->a, sizeof(char *) * (size_t)n);
    int ndead = 0, nsent = 0;
    for (int i = 0; i < n; i++) {
        const cJSON *t = cJSON_GetArrayItem(data, i);
        const cJSON *ts = cJSON_GetObjectItemCaseSensitive(t, "status");
        const cJSON *tid = cJSON_GetObjectItemCaseSensitive(t, "id");
        tickets[i] = NULL;
        errs[i] = NULL;
        if (cJSON_IsString(ts) && !strcmp(ts->valuestring, "ok") && cJSON_IsString(tid)) {
            st[i] = "sent";
            tickets[i] = tid->valuestring;
            nsent++;
            continue;
        }
        const cJSON *det = cJSON_GetObjectItemCaseSensitive(t, "details");
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(det, "error");
        const cJSON *msg = cJSON_GetObjectItemCaseSensitive(t, "message");
        const char *code = cJSON_IsString(e) ? e->valuestring : "error";
        errs[i] = arena_sprintf(g->a, "%s: %s", code, cJSON_IsString(msg) ? msg->valuestring : "");
        st[i] = "failed";
        if (!strcmp(code, "DeviceNotRegistered"))
            dead[ndead++] = db_val(r, from + i, 2);
        else if (!strcmp(code, "MessageRateExceeded"))
            st[i] = "pending"; /* retried on the next pass */
    }
    if (!DBQ(g, &st_push_result, id_arr, pg_text_array(g->a, st, n), pg_text_array(g->a, tickets, n),
             pg_text_array(g->a, errs, n)))
        return -1;
    if (ndead && !DBQ(g, &st_push_deactivate_tokens, pg_text_array(g->a, dead, ndead)))
        return -1;
    log_info("push: batch of %d: %d accepted, %d failed, %d tokens deactivated", n, nsent, n - nsent, ndead);
    return n;
}

static int send_due(struct gctx *g)
{
    if (!DBQ0(g, &st_push_cancel_dead))
        return -1;
    PGresult *r = DBQ(g, &st_push_claim, arena_sprintf(g->a, "%d", MAX_PER_CALL));
    if (!r)
        return -1;
    int rows = PQntuples(r), done = 0;
    for (int from = 0; from < rows; from += BATCH) {
        int n = rows - from < BATCH ? rows - from : BATCH;
        if (send_batch(g, r, from, n, cfg.expo_push_url) < 0)
            return -1;
        done += n;
    }
    return done;
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

static int fetch_receipts(struct gctx *g)
{
    const char *url = receipts_url(g->a);
    if (!url)
        return 0;
    PGresult *r = DBQ(g, &st_push_receipt_claim, arena_sprintf(g->a, "%d", RECEIPT_BATCH));
    if (!r)
        return -1;
    int n = PQntuples(r);
    if (n == 0)
        return 0;
    struct buf body;
    buf_init(&body, g->a, (size_t)n * 48 + 16);
    buf_puts(&body, "{\"ids\":[");
    for (int i = 0; i < n; i++) {
        if (i)
            buf_putc(&body, ',');
        buf_json_str(&body, db_val(r, i, 1));
    }
    buf_puts(&body, "]}");
    struct httpc_reply resp;
    char err[256] = "";
    long status = post_json(g->a, url, body.p, &resp, err, sizeof err);
    cJSON *data = NULL;
    if (status == 200) {
        cJSON *json = gctx_json_parse(g, resp.body.p, resp.body.len);
        data = json ? cJSON_GetObjectItemCaseSensitive(json, "data") : NULL;
    }
    if (!cJSON_IsObject(data)) {
        log_warn("push: getReceipts failed (%ld %s); asking again later", status, err);
        return 0; /* the claim already pushed receipt_due_at forward */
    }
    const char **ids = arena_alloc(g->a, sizeof(char *) * (size_t)n);
    const char **st = arena_alloc(g->a, sizeof(char *) * (size_t)n);
    const char **errs = arena_alloc(g->a, sizeof(char *) * (size_t)n);
    const char **dead = arena_alloc(g->a, sizeof(char *) * (size_t)n);
    int m = 0, ndead = 0;
    for (int i = 0; i < n; i++) {
        const cJSON *rc = cJSON_GetObjectItemCaseSensitive(data, db_val(r, i, 1));
        if (!rc) {
            if (db_ll(r, i, 3) >= 144) { /* 10 minutes apart: a day */
                ids[m] = db_val(r, i, 0);
                st[m] = "delivered";
                errs[m++] = "no receipt";
            }
            continue;
        }
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(rc, "status");
        ids[m] = db_val(r, i, 0);
        errs[m] = NULL;
        if (cJSON_IsString(s) && !strcmp(s->valuestring, "ok")) {
            st[m++] = "delivered";
            continue;
        }
        const cJSON *det = cJSON_GetObjectItemCaseSensitive(rc, "details");
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(det, "error");
        const char *code = cJSON_IsString(e) ? e->valuestring : "error";
        st[m] = "failed";
        errs[m++] = arena_sprintf(g->a, "receipt: %s", code);
        if (!strcmp(code, "DeviceNotRegistered"))
            dead[ndead++] = db_val(r, i, 2);
    }
    if (m && !DBQ(g, &st_push_receipt_result, pg_text_array(g->a, ids, m), pg_text_array(g->a, st, m),
                  pg_text_array(g->a, errs, m)))
        return -1;
    if (ndead && !DBQ(g, &st_push_deactivate_tokens, pg_text_array(g->a, dead, ndead)))
        return -1;
    log_info("push: %d receipts checked, %d final, %d tokens deactivated", n, m, ndead);
    return n;
}

int outbox_deliver(struct gctx *g)
{
    int sent = send_due(g);
    if (sent < 0)
        return -1;
    int receipts = fetch_receipts(g);
    if (receipts < 0)
        return -1;
    return sent + receipts;
}
