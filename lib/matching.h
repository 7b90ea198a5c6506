/* matching.h — who is offered an urgent gig, in what order, and when. PostgreSQL finds the
 * candidates (lib/sql/matching.sql: radius through the GiST index, skill, genre, schedule,
 * do-not-disturb and quota in each provider's own zone) and locks them; matching_score
 * ranks them; offers go out in waves of GIGD_MATCH_WAVE, the next one every
 * GIGD_MATCH_WAVE_INTERVAL seconds (cron `urgent-gigs/match`) while nobody is selected.
 * See docs/urgent-matching.md. */
#ifndef GIGD_MATCHING_H
#define GIGD_MATCHING_H
#include <stdbool.h>
#include "gctx.h"

/* What the score looks at, for one candidate. Absent values: rating_n = 0, responses = 0,
 * avg_response_s < 0, rates < 0, duration_hours <= 0. Money in minor units. */
struct match_features {
    double distance_km, radius_km;
    double rating_avg;
    long rating_n;
    long responses, answered;
    double avg_response_s;
    long long payment, per_gig_rate, hourly_rate;
    double duration_hours;
};

/* The documented score in [0, 1] (higher is better):
 *   0.35 × proximity       1 − distance / gig radius
 *   0.20 × rating          reviews averaged with a neutral prior (4.0 worth 3 reviews), / 5
 *   0.15 × response rate   (answered + 1) / (offers + 2) over the last 50 offers
 *   0.10 × speed           1 / (1 + mean response seconds / 600); 0.5 with no history
 *   0.20 × rate fit        1 when the asking rate (per-gig, else hourly × duration) is
 *                          within the payment, payment / asking above it; 0.5 when unknown */
double matching_score(const struct match_features *f);

/* Offers gig_id to the next wave. The caller holds a transaction in which the gig's row is
 * locked (FOR UPDATE) and the gig is paid and searching. *offered = providers offered. */
enum result matching_wave(struct gctx *g, const char *gig_id, int *offered);
/* How many providers the matcher would consider for gig_id now (capped at the candidate
 * limit), notifying no one. */
enum result matching_estimate(struct gctx *g, const char *gig_id, long *count);
/* Cron `urgent-gigs/match`: a wave for every gig due one. Runs inside cron_run's
 * transaction. *json = {"gigs": N, "offered": M}. */
enum result matching_cron(struct gctx *g, const char **json);

#endif
