/* notify_prefs.h — the caller's notification preferences: per notification type × channel
 * (in-app always on; push on by default; email off by default) and quiet hours in an
 * IANA time zone. Honoured where deliveries are queued (sql/019's notification trigger:
 * a muted push or mail is never queued, a push in quiet hours waits for their end) and
 * by the push deliverer (lib/outbox.c cancels queued pushes of a type muted since). */
#ifndef GIGD_NOTIFY_PREFS_H
#define GIGD_NOTIFY_PREFS_H
#include "gctx.h"

/* {"types": {TYPE: {"in_app": true, "push": bool, "email": bool}, …every known type},
 *  "quiet_hours": {"start": "HH:MM", "end": "HH:MM", "time_zone": "Area/City"} | null}.
 * *json lives in g's arena. */
enum result notify_prefs_get(struct gctx *g, const char **json);
/* {"types": {TYPE: {"push"?, "email"?, "in_app"?: true}}, "quiet_hours"?: {…} | null}:
 * the types sent change the channels sent, the rest keep theirs; quiet_hours present
 * replaces them (null turns them off). Answers as notify_prefs_get. */
enum result notify_prefs_put(struct gctx *g, const cJSON *body, const char **json);

#endif
