/* realtime.h — publishing to nchan channels over loopback HTTP. Called only after
 * the transaction that produced the event has committed; a failure is logged and
 * never fails the request (clients re-sync from the REST routes). */
#ifndef GIGD_REALTIME_H
#define GIGD_REALTIME_H
#include "gctx.h"

/* Channel name prefixes shared with nginx/gigd.conf.in (nchan_channel_id). */
#define REALTIME_CONVERSATION "conv."
#define REALTIME_USER "user."
/* Every subscriber location also subscribes to its session's channel (multiplexed), so
 * deleting that channel ends the session's streams. */
#define REALTIME_SESSION "sess."

/* POSTs `{"type":type,"data":data_json}` to cfg.nchan_publish_url + "/" + prefix + id.
 * data_json is rendered JSON text. Returns 0 on success, -1 (logged) otherwise. */
int realtime_publish(arena *a, const char *prefix, const char *id, const char *type, const char *data_json);

/* Publishes each element of a JSON array of {"user_id":..., "notification":{...}} to
 * the user's notification channel as {"type":"notification","data":...}. NULL is a no-op. */
void realtime_publish_notifications(struct gctx *g, const char *array_json);

/* Ends every real-time stream opened with the session session_id: DELETE of its channel
 * on the publisher, which nchan answers by closing its subscribers (410). Called after
 * the revocation committed; a failure is logged (the stream then lives on until the
 * subscriber reconnects, when authorization refuses it). */
void realtime_close_session(arena *a, const char *session_id);

#endif
