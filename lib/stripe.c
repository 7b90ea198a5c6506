/* stripe.c — Stripe over libcurl. One easy handle per worker process, created on first use
 * (after fork) and kept, so the TLS connection to Stripe is reused across requests. A call
 * has a total budget of two attempt timeouts; connect errors, timeouts, 5xx and 429 are
 * retried with a short jittered backoff, everything else is final.
 *
 * stripe_request is three steps: build (URL, form body, headers with the Idempotency-Key,
 * the same on every attempt), perform (one attempt on the kept handle) and classify (the
 * transport error or HTTP status → a result, and whether a retry can help). The curl code
 * is here rather than in httpc.c because httpc_post_json only sends JSON and reports a
 * transport error without its CURLcode, which the retry decision needs. */
#include "stripe.h"
#include "buf.h"
#include "config.h"
#include "log.h"
#include "stage.h"
#include <curl/curl.h>
#include <errno.h>
#include <sodium.h>
#include <string.h>
#include <time.h>

#define STRIPE_MAX_BODY (1024 * 1024)

#define MSG_UNAVAILABLE "Payment provider is unavailable; please try again shortly"
#define MSG_ERROR "Payment provider error; please try again"
#define MSG_UNEXPECTED "Payment provider sent an unexpected answer"

static CURL *curl;

/* The process's handle, created on first use; NULL when curl cannot make one. */
static CURL *handle(void)
{
    if (!curl)
        curl = curl_easy_init();
    return curl;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) /* the rest of it after a signal */
        ;
}

struct sink {
    struct buf b;
    bool overflow;
};

static size_t write_cb(char *p, size_t size, size_t nmemb, void *ud)
{
    struct sink *s = ud;
    size_t n = size * nmemb;
    if (s->b.len + n > STRIPE_MAX_BODY) {
        s->overflow = true;
        return 0;
    }
    buf_put(&s->b, p, n);
    return n;
}

const char *stripe_form(struct gctx *g, const struct stripe_param *params, int n)
{
    struct buf b;
    buf_init(&b, g->a, 256);
    CURL *c = handle();
    for (int i = 0; i < n; i++) {
        if (!params[i].v)
            continue;
        char *k = curl_easy_escape(c, params[i].k, 0);
        char *v = curl_easy_escape(c, params[i].v, 0);
        if (b.len)
            buf_putc(&b, '&');
        buf_puts(&b, k ? k : "");
        buf_putc(&b, '=');
        buf_puts(&b, v ? v : "");
        curl_free(k);
        curl_free(v);
    }
    return b.p;
}

const char *stripe_escape(struct gctx *g, const char *s)
{
    CURL *c = handle();
    char *e = c ? curl_easy_escape(c, s, 0) : NULL;
    const char *out = arena_strdup(g->a, e ? e : "");
    curl_free(e);
    return out;
}

/* ---------------------------------------------------------------------- build */

/* One call as sent on every attempt: the same URL, headers and body, so that Stripe sees
 * the retries of a POST as one operation (the Idempotency-Key is among the headers). */
struct call {
    const char *method, *path;
    bool post;
    CURL *h;
    const char *url;
    const char *form;        /* the POST body */
    struct curl_slist *hdrs; /* freed at arena reset */
};

static void free_headers(void *p)
{
    curl_slist_free_all(p);
}

static struct curl_slist *headers(struct gctx *g, bool post, const char *idem_key)
{
    struct curl_slist *h = NULL;
    h = curl_slist_append(h, arena_sprintf(g->a, "Authorization: Bearer %s", cfg.stripe_secret_key));
    h = curl_slist_append(h, "Stripe-Version: " STRIPE_API_VERSION);
    h = curl_slist_append(h, "Expect:");
    if (post) {
        h = curl_slist_append(h, "Content-Type: application/x-www-form-urlencoded");
        h = curl_slist_append(h, arena_sprintf(g->a, "Idempotency-Key: %s", idem_key));
    }
    if (h)
        arena_on_cleanup(g->a, free_headers, h);
    return h;
}

static enum result build(struct gctx *g, const char *method, const char *path, const struct stripe_param *params,
                         int n, const char *idem_key, struct call *c)
{
    c->method = method;
    c->path = path;
    c->post = strcmp(method, "POST") == 0;
    if (!cfg.stripe_secret_key[0] || !cfg.stripe_api_base[0]) {
        log_error("stripe: GIGD_STRIPE_SECRET_KEY is not set");
        return gctx_fail(g, R_UNAVAILABLE, "Payments are not configured");
    }
    if (c->post && (!idem_key || !*idem_key)) {
        log_error("stripe: POST %s without an Idempotency-Key", path);
        return gctx_fail(g, R_ERR, "Internal error");
    }
    if (!(c->h = handle()))
        return gctx_fail(g, R_UNAVAILABLE, MSG_UNAVAILABLE);
    c->form = stripe_form(g, params, n);
    c->url = c->post || !*c->form ? arena_sprintf(g->a, "%s%s", cfg.stripe_api_base, path)
                                  : arena_sprintf(g->a, "%s%s?%s", cfg.stripe_api_base, path, c->form);
    c->hdrs = headers(g, c->post, idem_key);
    return R_SUCCESS;
}

/* -------------------------------------------------------------------- perform */

/* What one attempt brought back. */
struct attempt {
    int n;         /* 1-based */
    CURLcode rc;
    long status;   /* 0 when no answer came */
    struct sink body;
    long long ms;
};

/* An attempt's outcome for the metrics (gigd_stripe_calls_total). */
static enum stage_event outcome(const struct attempt *at)
{
    if (at->rc == CURLE_OPERATION_TIMEDOUT)
        return STAGE_EV_STRIPE_TIMEOUT;
    if (at->rc != CURLE_OK)
        return STAGE_EV_STRIPE_TRANSPORT;
    if (at->status == 429)
        return STAGE_EV_STRIPE_BUSY;
    if (at->status >= 500)
        return STAGE_EV_STRIPE_ERROR;
    return at->status >= 200 && at->status < 300 ? STAGE_EV_STRIPE_OK : STAGE_EV_STRIPE_REFUSED;
}

/* One attempt of c with tmo_ms for all of it (connect at most 5 s of that). */
static void perform(struct gctx *g, const struct call *c, long tmo_ms, struct attempt *at)
{
    CURL *h = c->h;
    buf_init(&at->body.b, g->a, 1024);
    at->body.overflow = false;
    curl_easy_reset(h); /* keeps the connection cache */
    curl_easy_setopt(h, CURLOPT_URL, c->url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, c->hdrs);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, tmo_ms < 5000 ? tmo_ms : 5000L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, tmo_ms);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &at->body);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "gigd/0.1");
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    if (c->post) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, c->form);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(c->form));
    } else {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    }
    long long t0 = now_ms();
    enum stage prev = stage_enter(STAGE_OUTSIDE, c->url);
    at->rc = curl_easy_perform(h);
    stage_leave(prev);
    at->status = 0;
    if (at->rc == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &at->status);
    at->ms = now_ms() - t0;
    stage_count(outcome(at));
}

/* ------------------------------------------------------------------- classify */

/* What an attempt means: the result to report if no later attempt does better, whether
 * another attempt can help, and whether the operation is settled at Stripe either way. */
struct verdict {
    enum result res;
    const char *msg; /* client-safe */
    bool retry;
    bool definite;   /* see struct stripe_outcome */
};

static bool retryable_curl(CURLcode rc)
{
    switch (rc) {
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_OUT_OF_MEMORY:
    case CURLE_WRITE_ERROR: /* our own body limit */
        return false;
    default:
        return true;
    }
}

static struct verdict classify(const struct attempt *at)
{
    if (at->rc != CURLE_OK)
        return retryable_curl(at->rc) ? (struct verdict){R_UNAVAILABLE, MSG_UNAVAILABLE, true, false}
                                      : (struct verdict){R_UPSTREAM, MSG_ERROR, false, false};
    if (at->status >= 200 && at->status < 300)
        return (struct verdict){R_SUCCESS, NULL, false, true};
    if (at->status == 429)
        return (struct verdict){R_UNAVAILABLE, "Payment provider is busy; please try again shortly", true, false};
    if (at->status >= 500)
        return (struct verdict){R_UPSTREAM, MSG_ERROR, true, false};
    /* 4xx: our request or our account is wrong; retrying cannot help. 409 is an idempotency
     * clash with a concurrent request: a retry later (the user's) will replay it. */
    if (at->status == 409)
        return (struct verdict){R_UPSTREAM, "Payment provider is busy with this request; please try again", false,
                                false};
    return (struct verdict){R_UPSTREAM, "Payment provider refused the request", false, true};
}

/* Stripe's error object, for the log: "type/code: message". */
static const char *stripe_error_text(struct gctx *g, const struct sink *body)
{
    cJSON *j = gctx_json_parse(g, body->b.p, body->b.len);
    cJSON *e = j ? cJSON_GetObjectItemCaseSensitive(j, "error") : NULL;
    if (!cJSON_IsObject(e))
        return "(no error object)";
    const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "type"));
    const char *code = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "code"));
    const char *msg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "message"));
    return arena_sprintf(g->a, "%s/%s: %s", type ? type : "?", code ? code : "-", msg ? msg : "");
}

/* A failed attempt in the log: Stripe's own message goes here, never to the client. */
static void log_failure(struct gctx *g, const struct call *c, const struct attempt *at, const struct verdict *v)
{
    if (at->rc != CURLE_OK)
        log_warn("stripe: %s %s attempt %d: %s (%lld ms)", c->method, c->path, at->n, curl_easy_strerror(at->rc),
                 at->ms);
    else if (v->retry)
        log_warn("stripe: %s %s attempt %d → %ld %s", c->method, c->path, at->n, at->status,
                 stripe_error_text(g, &at->body));
    else
        log_error("stripe: %s %s → %ld %s", c->method, c->path, at->status, stripe_error_text(g, &at->body));
}

/* A 2xx answer: *out = its object. */
static enum result take_answer(struct gctx *g, const struct call *c, const struct attempt *at, cJSON **out)
{
    cJSON *j = gctx_json_parse(g, at->body.b.p, at->body.b.len);
    if (!cJSON_IsObject(j)) {
        log_error("stripe: %s %s: %ld with an unparsable body", c->method, c->path, at->status);
        return gctx_fail(g, R_UPSTREAM, MSG_UNEXPECTED);
    }
    log_info("stripe: %s %s → %ld (attempt %d, %lld ms)", c->method, c->path, at->status, at->n, at->ms);
    *out = j;
    return R_SUCCESS;
}

/* Sleeps before attempt n + 1; false when there is none, or too little time left for it. */
static bool backoff(int n, long long deadline)
{
    if (n >= STRIPE_MAX_ATTEMPTS)
        return false;
    long ms = (200L << (n - 1)) + (long)randombytes_uniform(100);
    if (now_ms() + ms + 200 >= deadline)
        return false;
    sleep_ms(ms);
    return true;
}

enum result stripe_request(struct gctx *g, const char *method, const char *path, const struct stripe_param *params,
                           int n, const char *idem_key, cJSON **out, struct stripe_outcome *oc)
{
    struct stripe_outcome dummy;
    if (!oc)
        oc = &dummy;
    memset(oc, 0, sizeof *oc);
    *out = NULL;
    struct call c = {0};
    enum result rc = build(g, method, path, params, n, idem_key, &c);
    if (rc)
        return rc;
    long attempt_ms = cfg.stripe_timeout * 1000;
    long long deadline = now_ms() + 2 * attempt_ms;
    struct verdict v = {R_UNAVAILABLE, MSG_UNAVAILABLE, true, false};
    for (int i = 1; i <= STRIPE_MAX_ATTEMPTS; i++) {
        long long left = deadline - now_ms();
        if (left < 200)
            break;
        struct attempt at = {.n = i};
        perform(g, &c, left < attempt_ms ? (long)left : attempt_ms, &at);
        v = classify(&at);
        oc->attempts = i;
        oc->status = at.status;
        oc->definite = v.definite;
        if (v.res == R_SUCCESS)
            return take_answer(g, &c, &at, out);
        log_failure(g, &c, &at, &v);
        if (!v.retry || !backoff(i, deadline))
            break;
    }
    return gctx_fail(g, v.res, v.msg);
}
