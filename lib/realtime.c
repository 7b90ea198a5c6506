/* realtime.c — nchan publisher client: one curl handle per process, reused so the
 * loopback connection stays open, with short timeouts so a stuck nginx can only
 * delay a request by a fraction of a second. */
#include "realtime.h"
#include "buf.h"
#include "config.h"
#include "httpc.h"
#include "log.h"
#include <curl/curl.h>
#include <string.h>
#include <time.h>

static CURL *handle;
static CURL *delete_handle; /* its own handle: a custom method must not leak into publishes */
/* After a timeout, skip publishing for 1-2 s: one stuck nchan must not add half
 * a second to every request (events dropped meanwhile are re-read over REST). */
static time_t quiet_until;

int realtime_publish(arena *a, const char *prefix, const char *id, const char *type, const char *data_json)
{
    if (!cfg.nchan_publish_url || !cfg.nchan_publish_url[0])
        return 0;
    if (time(NULL) < quiet_until)
        return -1;
    struct buf body;
    buf_init(&body, a, strlen(data_json) + 64);
    buf_puts(&body, "{\"type\":");
    buf_json_str(&body, type);
    buf_puts(&body, ",\"data\":");
    buf_puts(&body, data_json);
    buf_putc(&body, '}');
    const char *url = arena_sprintf(a, "%s/%s%s", cfg.nchan_publish_url, prefix, id);
    char err[256];
    bool timed_out;
    long status = httpc_post_json(&handle, a, url, body.p, 200, 500, NULL, err, sizeof err, &timed_out);
    if (!status) {
        if (timed_out)
            quiet_until = time(NULL) + 2;
        log_warn("realtime: publish to %s%s failed: %s", prefix, id, err);
        return -1;
    }
    if (status < 200 || status >= 300) {
        log_warn("realtime: publish to %s%s answered %ld", prefix, id, status);
        return -1;
    }
    return 0;
}

void realtime_publish_notifications(struct gctx *g, const char *array_json)
{
    if (!array_json || !*array_json)
        return;
    cJSON *arr = gctx_json_parse(g, array_json, strlen(array_json));
    if (!cJSON_IsArray(arr))
        return;
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        const cJSON *uid = cJSON_GetObjectItemCaseSensitive(it, "user_id");
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(it, "notification");
        if (!cJSON_IsString(uid) || !n)
            continue;
        char *txt = cJSON_PrintUnformatted(n);
        if (!txt)
            continue;
        realtime_publish(g->a, REALTIME_USER, uid->valuestring, "notification", txt);
        cJSON_free(txt);
    }
}

void realtime_close_session(arena *a, const char *session_id)
{
    if (!cfg.nchan_publish_url || !cfg.nchan_publish_url[0] || !session_id)
        return;
    if (!delete_handle && !(delete_handle = curl_easy_init())) {
        log_warn("realtime: curl_easy_init failed");
        return;
    }
    const char *url = arena_sprintf(a, "%s/%s%s", cfg.nchan_publish_url, REALTIME_SESSION, session_id);
    CURL *h = delete_handle;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "DELETE");
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L); /* nchan's answer (channel info) is not needed */
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 200L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 500L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    CURLcode c = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    /* 404: the session had no open stream (no channel), nothing to end. */
    if (c != CURLE_OK || (status >= 300 && status != 404))
        log_warn("realtime: closing streams of session %s failed: %s (%ld)", session_id,
                 c != CURLE_OK ? curl_easy_strerror(c) : "status", status);
}
