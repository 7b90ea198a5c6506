/* httpc.h — JSON POSTs to outside services (Expo push, the nchan publisher) over a
 * caller-owned curl handle that is reused, so its connection stays open. */
#ifndef GIGD_HTTPC_H
#define GIGD_HTTPC_H
#include <stdbool.h>
#include <stddef.h>
#include <curl/curl.h>
#include "arena.h"
#include "buf.h"

struct httpc_reply {
    struct buf body;    /* at most 4 MiB kept */
    long retry_after;   /* seconds from a Retry-After header, 0 when absent */
};

/* POSTs json to url on *handle (created on first use). reply may be NULL: the body is
 * discarded. Returns the HTTP status, or 0 on a transport error with err filled and
 * *timed_out set when it was a timeout. */
long httpc_post_json(CURL **handle, arena *a, const char *url, const char *json, long connect_ms, long total_ms,
                     struct httpc_reply *reply, char *err, size_t errlen, bool *timed_out);

#endif
