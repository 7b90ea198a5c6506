/* cron.h — named periodic jobs, run by `gigctl cron NAME` or POST /api/cron/NAME.
 * Each job is idempotent and safe when two hosts run it at once. */
#ifndef GIGD_CRON_H
#define GIGD_CRON_H
#include "gctx.h"

/* Runs job `name`; *json gets a summary object. R_NOTFOUND for an unknown job. */
enum result cron_run(struct gctx *g, const char *name, const char **json);

#endif
