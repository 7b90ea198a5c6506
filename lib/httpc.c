/* httpc.c — one JSON POST helper for the outbox deliverer and the real-time publisher. */
#include "httpc.h"
#include "stage.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    struct httpc_reply *r = ud;
    if (r && r->body.len < 4 * 1024 * 1024)
        buf_put(&r->body, p, size * n);
    return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    struct httpc_reply *r = ud;
    size_t len = size * n;
    if (r && len > 12 && !strncasecmp(p, "Retry-After:", 12))
        r->retry_after = strtol(p + 12, NULL, 10);
    return len;
}

long httpc_post_json(CURL **handle, arena *a, const char *url, const char *json, long connect_ms, long total_ms,
                     struct httpc_reply *reply, char *err, size_t errlen, bool *timed_out)
{
    *timed_out = false;
    if (reply) {
        buf_init(&reply->body, a, 4096);
        reply->retry_after = 0;
    }
    if (!*handle && !(*handle = curl_easy_init())) {
        snprintf(err, errlen, "curl init failed");
        return 0;
    }
    CURL *c = *handle;
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    h = curl_slist_append(h, "Accept: application/json");
    h = curl_slist_append(h, "Expect:");
    char cerr[CURL_ERROR_SIZE] = "";
    curl_easy_reset(c); /* keeps the connection cache */
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(json));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, reply);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, reply);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, total_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    enum stage prev = stage_enter(STAGE_OUTSIDE, url);
    CURLcode rc = curl_easy_perform(c);
    stage_leave(prev);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
    curl_slist_free_all(h);
    if (rc != CURLE_OK) {
        *timed_out = rc == CURLE_OPERATION_TIMEDOUT;
        snprintf(err, errlen, "%s", cerr[0] ? cerr : curl_easy_strerror(rc));
        return 0;
    }
    return status;
}
