/* h_ops.c — health and cron endpoints. */
#include "config.h"
#include "cron.h"
#include "db.h"
#include "handlers.h"
#include "respond.h"
#include <sodium.h>
#include <string.h>
#include <strings.h>

void h_healthz(struct request *r)
{
    if (!db_ping(r->g.db)) {
        respond_fail(r, R_UNAVAILABLE, "Database unreachable");
        return;
    }
    /* A down read replica degrades but does not fail: reads fall back to the primary. */
    switch (db_read_ping()) {
    case 1: respond_data(r, 200, "{\"status\":\"ok\",\"primary\":\"ok\",\"replica\":\"ok\"}"); break;
    case 0: respond_data(r, 200, "{\"status\":\"degraded\",\"primary\":\"ok\",\"replica\":\"down\"}"); break;
    default: respond_data(r, 200, "{\"status\":\"ok\"}");
    }
}

/* Bearer $GIGD_CRON_SECRET, compared in constant time; an unset secret refuses all. */
static bool cron_authorized(struct request *r)
{
    const char *h = req_param(r, "HTTP_AUTHORIZATION");
    if (!h || strncasecmp(h, "Bearer ", 7) || !cfg.cron_secret[0])
        return false;
    const char *given = h + 7;
    unsigned char a[32], b[32];
    /* Hash both so the comparison is constant-time whatever the lengths. */
    crypto_generichash(a, sizeof a, (const unsigned char *)given, strlen(given), NULL, 0);
    crypto_generichash(b, sizeof b, (const unsigned char *)cfg.cron_secret, strlen(cfg.cron_secret), NULL, 0);
    return sodium_memcmp(a, b, sizeof a) == 0;
}

void h_cron(struct request *r)
{
    if (!cron_authorized(r)) {
        respond_fail(r, R_UNAUTHORIZED, "Invalid cron secret");
        return;
    }
    RENDER(r, 200, cron_run(&r->g, req_arg(r, 0), RENDER_OUT));
}
