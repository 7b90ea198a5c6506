/* realtime.h — publishing to nchan channels over loopback HTTP. Called only after
 * the transaction that produced the event has committed; a failure is logged and
 * never fails the request (clients re-sync from the REST routes). */
#ifndef GIGD_REALTIME_H
#define GIGD_REALTIME_H
#include "gctx.h"

/* Channel name prefixes shared with nginx/gigd.conf.in (nchan_channel_id). */
#define REALTIME_CONVERSATION "conv."
#define REALTIME_USER "user."

/* POSTs `{"type":type,"data":data_json}` to cfg.nchan_publish_url + "/" + prefix + id.
 * data_json is rendered JSON text. Returns 0 on success, -1 (logged) otherwise. */
int realtime_publish(arena *a, const char *prefix, const char *id, const char *type, const char *data_json);

/* Publishes each element of a JSON array of {"user_id":..., "notification":{...}} to
 * the user's notification channel as {"type":"notification","data":...}. NULL is a no-op. */
void realtime_publish_notifications(struct gctx *g, const char *array_json);

#endif
