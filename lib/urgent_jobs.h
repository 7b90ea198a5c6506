/* urgent_jobs.h — the urgent-gig cron jobs that only notify or tidy (seed 003 section 5):
 * pre-gig reminders, stale locations, completion reminders. The money jobs are in escrow.h. */
#ifndef GIGD_URGENT_JOBS_H
#define GIGD_URGENT_JOBS_H
#include "gctx.h"

enum result urgent_jobs_reminders(struct gctx *g, const char **json);
enum result urgent_jobs_clean_location(struct gctx *g, const char **json);
enum result urgent_jobs_completion_reminders(struct gctx *g, const char **json);

#endif
