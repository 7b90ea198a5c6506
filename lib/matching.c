/* matching.c — candidates, score and waves for urgent gigs (see matching.h). Never over a
 * provider's daily quota under concurrent gigs: the chosen providers' availability rows are
 * locked in user_id order (no deadlock between two gigs), and only then does the offer
 * statement count their offers of the day, in a snapshot taken after the locks. */
#include "matching.h"
#include "buf.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "sql_matching.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Candidates fetched per wave: the nearest this many who pass every filter. */
#define MATCH_CANDIDATES 200

static double clamp01(double x)
{
    return x < 0 ? 0 : x > 1 ? 1 : x;
}

double matching_score(const struct match_features *f)
{
    double proximity = f->radius_km > 0 ? clamp01(1.0 - f->distance_km / f->radius_km) : 0;
    double rating = clamp01(((f->rating_n > 0 ? f->rating_avg * (double)f->rating_n : 0) + 4.0 * 3) /
                            ((double)f->rating_n + 3) / 5.0);
    double response = ((double)f->answered + 1) / ((double)f->responses + 2);
    double speed = f->avg_response_s >= 0 ? 1.0 / (1.0 + f->avg_response_s / 600.0) : 0.5;
    double asking = -1;
    if (f->per_gig_rate >= 0)
        asking = (double)f->per_gig_rate;
    else if (f->hourly_rate >= 0 && f->duration_hours > 0)
        asking = (double)f->hourly_rate * f->duration_hours;
    double fit = asking < 0 ? 0.5 : asking <= (double)f->payment ? 1.0 : (double)f->payment / asking;
    return 0.35 * proximity + 0.20 * rating + 0.15 * clamp01(response) + 0.10 * speed + 0.20 * clamp01(fit);
}

struct cand {
    const char *id, *distance;
    double score;
};

static int by_score(const void *a, const void *b)
{
    const struct cand *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? 1 : -1;
    return strcmp(x->id, y->id); /* stable across runs */
}

static double num_or(PGresult *r, int row, int col, double def)
{
    const char *v = db_val(r, row, col);
    return v ? strtod(v, NULL) : def;
}

STMT(st_match_gig, "SELECT location_radius_km, payment_amount, coalesce(duration_hours, 0), waves FROM gigs WHERE id = $1");
STMT(st_match_lock,
     "SELECT user_id FROM user_availability WHERE user_id = ANY ($1::uuid[]) ORDER BY user_id FOR UPDATE");
STMT(st_match_waved, "UPDATE gigs SET waves = waves + 1, last_wave_at = now(), updated_at = now() WHERE id = $1");

enum result matching_estimate(struct gctx *g, const char *gig_id, long *count)
{
    PGresult *r;
    enum result rc = DB_RUN(g, &r, &st_match_candidates, gig_id, "200");
    if (rc)
        return rc;
    *count = PQntuples(r);
    return R_SUCCESS;
}

/* The candidates of a gig (row gr of st_match_gig), scored and sorted best first. */
static enum result rank_candidates(struct gctx *g, const char *gig_id, PGresult *gr, struct cand **out, int *count)
{
    double radius = num_or(gr, 0, 0, 20);
    long long payment = db_ll(gr, 0, 1);
    double hours = num_or(gr, 0, 2, 0);
    PGresult *r;
    enum result rc = DB_RUN(g, &r, &st_match_candidates, gig_id, arena_sprintf(g->a, "%d", MATCH_CANDIDATES));
    if (rc)
        return rc;
    int n = PQntuples(r);
    struct cand *c = arena_alloc(g->a, sizeof *c * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) {
        struct match_features f = {
            .distance_km = num_or(r, i, 1, 0), .radius_km = radius,
            .rating_avg = num_or(r, i, 4, 0), .rating_n = (long)db_ll(r, i, 5),
            .responses = (long)db_ll(r, i, 6), .answered = (long)db_ll(r, i, 7),
            .avg_response_s = num_or(r, i, 8, -1),
            .payment = payment, .per_gig_rate = db_val(r, i, 3) ? db_ll(r, i, 3) : -1,
            .hourly_rate = db_val(r, i, 2) ? db_ll(r, i, 2) : -1, .duration_hours = hours,
        };
        c[i] = (struct cand){db_val(r, i, 0), db_val(r, i, 1), matching_score(&f)};
    }
    qsort(c, (size_t)n, sizeof *c, by_score);
    *out = c;
    *count = n;
    return R_SUCCESS;
}

/* Locks candidates c[0..n) in user_id order, then offers the gig to up to `need` of them
 * that still pass the quota and do-not-disturb recheck; *got says how many. */
static enum result offer_chunk(struct gctx *g, const char *gig_id, const struct cand *c, int n, long need,
                               const char *wave_no, int *got)
{
    struct buf ids, dists, scores;
    buf_init(&ids, g->a, 40 * (size_t)n + 2);
    buf_init(&dists, g->a, 10 * (size_t)n + 2);
    buf_init(&scores, g->a, 12 * (size_t)n + 2);
    for (int i = 0; i < n; i++) {
        const char *sep = i ? "," : "{";
        buf_printf(&ids, "%s%s", sep, c[i].id);
        buf_printf(&dists, "%s%s", sep, c[i].distance);
        buf_printf(&scores, "%s%.4f", sep, c[i].score);
    }
    buf_putc(&ids, '}');
    buf_putc(&dists, '}');
    buf_putc(&scores, '}');
    PGresult *lk;
    enum result rc = DB_RUN(g, &lk, &st_match_lock, ids.p);
    if (rc)
        return rc;
    const char *count;
    rc = DB_ONE(g, &count, "Internal error", &st_match_offer, gig_id, ids.p, dists.p, scores.p,
                arena_sprintf(g->a, "%ld", need), wave_no);
    if (rc)
        return rc;
    *got = atoi(count);
    return R_SUCCESS;
}

enum result matching_wave(struct gctx *g, const char *gig_id, int *offered)
{
    *offered = 0;
    PGresult *gr;
    enum result rc = DB_RUN(g, &gr, &st_match_gig, gig_id);
    if (rc)
        return rc;
    if (PQntuples(gr) != 1)
        return gctx_fail(g, R_NOTFOUND, "Gig not found");
    const char *wave_no = arena_sprintf(g->a, "%lld", db_ll(gr, 0, 3) + 1);
    struct cand *c;
    int n;
    if ((rc = rank_candidates(g, gig_id, gr, &c, &n)))
        return rc;
    /* Best first, a chunk at a time: a locked candidate may fail the recheck (quota taken
     * by a concurrent gig, do-not-disturb just began), then the next ones fill the wave. */
    long want = cfg.match_wave;
    for (int from = 0; from < n && *offered < want;) {
        long need = want - *offered;
        int chunk = (int)(need * 2 < n - from ? need * 2 : n - from), got;
        if ((rc = offer_chunk(g, gig_id, c + from, chunk, need, wave_no, &got)))
            return rc;
        *offered += got;
        from += chunk;
    }
    PGresult *u;
    if ((rc = DB_RUN(g, &u, &st_match_waved, gig_id)))
        return rc;
    log_info("matching: gig %s wave %s offered to %d of %d candidates", gig_id, wave_no, *offered, n);
    return R_SUCCESS;
}

enum result matching_cron(struct gctx *g, const char **json)
{
    PGresult *due;
    enum result rc = DB_RUN(g, &due, &st_match_due, arena_sprintf(g->a, "%ld", cfg.match_wave_interval));
    if (rc)
        return rc;
    int total = 0;
    for (int i = 0; i < PQntuples(due); i++) {
        int offered;
        rc = matching_wave(g, db_val(due, i, 0), &offered);
        if (rc)
            return rc;
        total += offered;
    }
    *json = arena_sprintf(g->a, "{\"gigs\":%d,\"offered\":%d}", PQntuples(due), total);
    return R_SUCCESS;
}
