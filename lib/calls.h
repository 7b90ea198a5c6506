/* calls.h — video calls (seed 000 VideoCall): instant or scheduled, joined at
 * cfg.video_base_url + room_id, ended once. Acts for g->user_id; calls the caller is
 * not part of are R_NOTFOUND. JSON outputs are arena-owned. */
#ifndef GIGD_CALLS_H
#define GIGD_CALLS_H
#include "gctx.h"

/* {participant_id, gig_id?, application_id?, scheduled_at?} → VideoCall. */
enum result calls_create(struct gctx *g, const cJSON *body, const char **json);
/* Scheduled, not ended, from two hours ago on, soonest first. */
enum result calls_upcoming(struct gctx *g, const char *page, const char *limit, const char **json);
/* Ended calls, newest first; limit_s is the raw ?limit= (default 20, max 100). */
enum result calls_history(struct gctx *g, const char *limit_s, const char **json);
/* Sets ended_at; R_CONFLICT when it was already set. */
enum result calls_end(struct gctx *g, const char *call_id, const char **json);
/* Cron: one `call_reminder` notification per participant 15 minutes before a
 * scheduled call, exactly once per call. Runs inside the cron transaction. */
enum result calls_remind(struct gctx *g, const char **json);

#endif
