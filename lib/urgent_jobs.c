/* urgent_jobs.c — urgent-gig cron jobs that notify or tidy; each runs inside the cron
 * transaction (lib/cron.c) and is one idempotent statement. */
#include "urgent_jobs.h"
#include "db.h"
#include "sql_urgent_jobs.h"

enum result urgent_jobs_reminders(struct gctx *g, const char **json)
{
    return DB_ONE0(g, json, "No summary", &st_ujobs_starting_soon);
}

enum result urgent_jobs_completion_reminders(struct gctx *g, const char **json)
{
    return DB_ONE0(g, json, "No summary", &st_ujobs_completion_reminders);
}

/* A current position not updated for 30 minutes is no longer where the provider is;
 * matching then uses their general area. */
STMT(st_ujobs_clean_location,
     "WITH u AS (UPDATE user_availability SET current_lat = NULL, current_lng = NULL, updated_at = now()"
     " WHERE current_lat IS NOT NULL AND (last_location_update IS NULL"
     "       OR last_location_update < now() - interval '30 minutes') RETURNING 1)"
     " SELECT json_build_object('cleared', count(*)) FROM u");

enum result urgent_jobs_clean_location(struct gctx *g, const char **json)
{
    return DB_ONE0(g, json, "No summary", &st_ujobs_clean_location);
}
