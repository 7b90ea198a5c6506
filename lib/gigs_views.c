/* gigs_views.c — view counting outside the request path. GET /api/gigs/:id only notes
 * (gig, viewer) in this worker's buffer; the worker loop (fcgi/worker.c), between
 * requests and after the last response has gone out, flushes the buffer in one statement
 * (lib/sql/gigs_views.sql) as soon as it is due: full, or GIGS_VIEWS_FLUSH_MS after the
 * oldest buffered view (also while idle: the accept loop polls with gigs_views_due_ms),
 * and before the worker exits. So a read costs no write, no WAL flush and no wait for a
 * flush, and views_count (gig_stats, sql/026) lags by at most the flush interval. Each
 * viewer counts once per gig per UTC day (gig_views, sql/009), across every worker and
 * host. A flush that fails drops its batch (logged): a view count is not worth retrying
 * a failing database for. */
#include "gigs.h"
#include "buf.h"
#include "db.h"
#include "log.h"
#include "sql_gigs_views.h"
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define VIEWS_MAX 256

static struct view {
    char gig[37];
    int64_t viewer;
} views[VIEWS_MAX];
static int nviews;
static long long oldest_ms; /* monotonic time of the oldest buffered view */

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* FNV-1a 64: the viewer is stored as a hash, never as an address or account id. */
static int64_t viewer_hash(const char *s)
{
    uint64_t h = 14695981039346656037ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return (int64_t)(h >> 1);
}

/* The buffer stays bounded: a view noted while it is full is dropped. The worker serves
 * one request at a time and flushes a full buffer right after that request's response,
 * so only a request that noted more than one view could meet a full buffer; dropping is
 * then the cheap answer (a view count may lag, never a reader wait). */
bool gigs_views_note(const char *gig_id, const char *viewer)
{
    if (strlen(gig_id) != 36 || !viewer)
        return false;
    int64_t w = viewer_hash(viewer);
    for (int i = 0; i < nviews; i++)
        if (views[i].viewer == w && !memcmp(views[i].gig, gig_id, 36))
            return true;
    if (nviews == VIEWS_MAX)
        return false;
    if (nviews == 0)
        oldest_ms = now_ms();
    memcpy(views[nviews].gig, gig_id, 37);
    views[nviews++].viewer = w;
    return true;
}

int gigs_views_due_ms(void)
{
    if (nviews == 0)
        return -1;
    if (nviews == VIEWS_MAX)
        return 0;
    long long left = oldest_ms + GIGS_VIEWS_FLUSH_MS - now_ms();
    return left < 0 ? 0 : (int)left;
}

enum result gigs_views_flush(struct gctx *g)
{
    if (nviews == 0)
        return R_SUCCESS;
    struct buf ids, who;
    buf_init(&ids, g->a, (size_t)nviews * 38 + 2);
    buf_init(&who, g->a, (size_t)nviews * 21 + 2);
    for (int i = 0; i < nviews; i++) {
        buf_puts(&ids, i ? "," : "{");
        buf_puts(&ids, views[i].gig);
        buf_printf(&who, "%s%lld", i ? "," : "{", (long long)views[i].viewer);
    }
    buf_putc(&ids, '}');
    buf_putc(&who, '}');
    int n = nviews;
    nviews = 0;
    PGresult *r;
    enum result rc = DB_RUN(g, &r, &st_gig_views_flush, ids.p, who.p);
    if (rc)
        log_error("views: a batch of %d views was dropped", n);
    return rc;
}
