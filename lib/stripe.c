/* stripe.c — Stripe over libcurl. One easy handle per worker process, created on first use
 * (after fork) and kept, so the TLS connection to Stripe is reused across requests. A call
 * has a total budget of two attempt timeouts; connect errors, timeouts, 5xx and 429 are
 * retried with a short jittered backoff, everything else is final. */
#include "stripe.h"
#include "buf.h"
#include "config.h"
#include "log.h"
#include <curl/curl.h>
#include <sodium.h>
#include <string.h>
#include <time.h>

#define STRIPE_MAX_BODY (1024 * 1024)

static CURL *curl;

static CURL *handle(void)
{
    if (!curl)
        curl = curl_easy_init();
    else
        curl_easy_reset(curl); /* keeps the connection cache */
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
    while (nanosleep(&ts, &ts) != 0)
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
    CURL *c = curl ? curl : handle();
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
    CURL *c = curl ? curl : handle();
    char *e = c ? curl_easy_escape(c, s, 0) : NULL;
    const char *out = arena_strdup(g->a, e ? e : "");
    curl_free(e);
    return out;
}

/* Stripe's error object, for the log: "type/code: message". */
static const char *stripe_error_text(struct gctx *g, const char *body, size_t len)
{
    cJSON *j = gctx_json_parse(g, body, len);
    cJSON *e = j ? cJSON_GetObjectItemCaseSensitive(j, "error") : NULL;
    if (!cJSON_IsObject(e))
        return "(no error object)";
    const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "type"));
    const char *code = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "code"));
    const char *msg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "message"));
    return arena_sprintf(g->a, "%s/%s: %s", type ? type : "?", code ? code : "-", msg ? msg : "");
}

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

enum result stripe_request(struct gctx *g, const char *method, const char *path, const struct stripe_param *params,
                           int n, const char *idem_key, cJSON **out, struct stripe_outcome *oc)
{
    struct stripe_outcome dummy;
    if (!oc)
        oc = &dummy;
    memset(oc, 0, sizeof *oc);
    *out = NULL;
    bool post = strcmp(method, "POST") == 0;
    if (!cfg.stripe_secret_key[0] || !cfg.stripe_api_base[0]) {
        log_error("stripe: GIGD_STRIPE_SECRET_KEY is not set");
        return gctx_fail(g, R_UNAVAILABLE, "Payments are not configured");
    }
    if (post && (!idem_key || !*idem_key)) {
        log_error("stripe: POST %s without an Idempotency-Key", path);
        return gctx_fail(g, R_ERR, "Internal error");
    }
    CURL *c = handle();
    if (!c)
        return gctx_fail(g, R_UNAVAILABLE, "Payment provider is unavailable; please try again shortly");
    const char *form = stripe_form(g, params, n);
    const char *url = post || !*form ? arena_sprintf(g->a, "%s%s", cfg.stripe_api_base, path)
                                     : arena_sprintf(g->a, "%s%s?%s", cfg.stripe_api_base, path, form);
    struct curl_slist *hdrs = NULL;
    hdrs = curl_slist_append(hdrs, arena_sprintf(g->a, "Authorization: Bearer %s", cfg.stripe_secret_key));
    hdrs = curl_slist_append(hdrs, "Stripe-Version: " STRIPE_API_VERSION);
    hdrs = curl_slist_append(hdrs, "Expect:");
    if (post) {
        hdrs = curl_slist_append(hdrs, "Content-Type: application/x-www-form-urlencoded");
        hdrs = curl_slist_append(hdrs, arena_sprintf(g->a, "Idempotency-Key: %s", idem_key));
    }

    long attempt_ms = cfg.stripe_timeout * 1000;
    long long deadline = now_ms() + 2 * attempt_ms;
    enum result res = R_UNAVAILABLE;
    const char *msg = "Payment provider is unavailable; please try again shortly";
    struct sink s;
    for (int attempt = 1; attempt <= STRIPE_MAX_ATTEMPTS; attempt++) {
        long long left = deadline - now_ms();
        if (left < 200)
            break;
        oc->attempts = attempt;
        long tmo = left < attempt_ms ? (long)left : attempt_ms;
        if (attempt > 1)
            curl_easy_reset(c);
        buf_init(&s.b, g->a, 1024);
        s.overflow = false;
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, tmo < 5000 ? tmo : 5000L);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, tmo);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
        curl_easy_setopt(c, CURLOPT_USERAGENT, "gigd/0.1");
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        if (post) {
            curl_easy_setopt(c, CURLOPT_POST, 1L);
            curl_easy_setopt(c, CURLOPT_POSTFIELDS, form);
            curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(form));
        } else {
            curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
        }
        long long t0 = now_ms();
        CURLcode rc = curl_easy_perform(c);
        long status = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        oc->status = rc == CURLE_OK ? status : 0;
        if (rc != CURLE_OK) {
            log_warn("stripe: %s %s attempt %d: %s (%lld ms)", method, path, attempt, curl_easy_strerror(rc),
                     now_ms() - t0);
            res = R_UNAVAILABLE;
            msg = "Payment provider is unavailable; please try again shortly";
            if (!retryable_curl(rc)) {
                res = R_UPSTREAM;
                msg = "Payment provider error; please try again";
                break;
            }
        } else if (status >= 200 && status < 300) {
            cJSON *j = gctx_json_parse(g, s.b.p, s.b.len);
            curl_slist_free_all(hdrs);
            oc->definite = true;
            if (!cJSON_IsObject(j)) {
                log_error("stripe: %s %s: %ld with an unparsable body", method, path, status);
                return gctx_fail(g, R_UPSTREAM, "Payment provider sent an unexpected answer");
            }
            log_info("stripe: %s %s → %ld (attempt %d, %lld ms)", method, path, status, attempt, now_ms() - t0);
            *out = j;
            return R_SUCCESS;
        } else if (status == 429 || status >= 500) {
            log_warn("stripe: %s %s attempt %d → %ld %s", method, path, attempt, status,
                     stripe_error_text(g, s.b.p, s.b.len));
            res = status == 429 ? R_UNAVAILABLE : R_UPSTREAM;
            msg = status == 429 ? "Payment provider is busy; please try again shortly"
                                : "Payment provider error; please try again";
        } else {
            /* 4xx: our request or our account is wrong; retrying cannot help. 409 is an
             * idempotency clash with a concurrent request: a retry later will replay it. */
            log_error("stripe: %s %s → %ld %s", method, path, status, stripe_error_text(g, s.b.p, s.b.len));
            oc->definite = status != 409;
            res = R_UPSTREAM;
            msg = status == 409 ? "Payment provider is busy with this request; please try again"
                                : "Payment provider refused the request";
            break;
        }
        if (attempt < STRIPE_MAX_ATTEMPTS) {
            long backoff = (200L << (attempt - 1)) + (long)randombytes_uniform(100);
            if (now_ms() + backoff + 200 >= deadline)
                break;
            sleep_ms(backoff);
        }
    }
    curl_slist_free_all(hdrs);
    return gctx_fail(g, res, msg);
}
