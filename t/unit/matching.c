/* matching.c — the pure parts of urgent-gig matching: the score and the schedule/DND
 * time parsing used to validate availability. */
#include "availability.h"
#include "matching.h"
#include "tap.h"
#include <math.h>

static struct match_features base(void)
{
    return (struct match_features){.distance_km = 5, .radius_km = 20, .rating_avg = 0, .rating_n = 0, .responses = 0,
                                   .answered = 0, .avg_response_s = -1, .payment = 12000, .per_gig_rate = -1,
                                   .hourly_rate = -1, .duration_hours = 2};
}

static cJSON *parse(const char *s) { return cJSON_Parse(s); }

int main(void)
{
    /* --- score --- */
    struct match_features f = base();
    double s0 = matching_score(&f);
    ok(s0 > 0 && s0 < 1, "score in (0, 1)");
    /* neutral: proximity .75, rating 4/5, response .5, speed .5, fit .5 */
    ok(fabs(s0 - (0.35 * 0.75 + 0.20 * 0.8 + 0.15 * 0.5 + 0.10 * 0.5 + 0.20 * 0.5)) < 1e-9, "documented weights");
    struct match_features near = base(), far = base();
    near.distance_km = 1;
    far.distance_km = 19;
    ok(matching_score(&near) > matching_score(&far), "nearer scores higher");
    far.distance_km = 40;
    ok(matching_score(&far) >= 0, "outside the radius does not go negative");
    struct match_features good = base(), bad = base();
    good.rating_avg = 5, good.rating_n = 20;
    bad.rating_avg = 2, bad.rating_n = 20;
    ok(matching_score(&good) > s0 && s0 > matching_score(&bad), "rating: good > unrated > poor");
    struct match_features one = base();
    one.rating_avg = 5, one.rating_n = 1;
    ok(matching_score(&one) < matching_score(&good), "one 5-star review counts less than twenty");
    struct match_features resp = base(), ghost = base();
    resp.responses = 10, resp.answered = 10, resp.avg_response_s = 60;
    ghost.responses = 10, ghost.answered = 0;
    ok(matching_score(&resp) > s0 && s0 > matching_score(&ghost), "answering (fast) helps, ignoring offers hurts");
    struct match_features cheap = base(), dear = base(), hourly = base();
    cheap.per_gig_rate = 10000;
    dear.per_gig_rate = 48000;
    hourly.hourly_rate = 5000; /* × 2 h = 10000 ≤ 12000 */
    ok(matching_score(&cheap) > s0 && s0 > matching_score(&dear), "rate fit: within the payment > unknown > above");
    ok(fabs(matching_score(&hourly) - matching_score(&cheap)) < 1e-9, "hourly × duration when no per-gig rate");

    /* --- times and hours --- */
    int m, a, b;
    ok(availability_parse_time("23:00", &m) && m == 23 * 60, "HH:MM");
    ok(availability_parse_time("08:30:15", &m) && m == 8 * 60 + 30, "HH:MM:SS");
    ok(!availability_parse_time("24:00", &m), "24:00 refused");
    ok(!availability_parse_time("7:00", &m), "one-digit hour refused");
    ok(!availability_parse_time("12:60", &m), "minute 60 refused");
    ok(!availability_parse_time("ab:cd", &m), "letters refused");
    ok(!availability_parse_time("12:00:", &m), "trailing colon refused");
    ok(availability_parse_hours("18:00-23:00", &a, &b) && a == 1080 && b == 1380, "a window");
    ok(availability_parse_hours("22:00-02:00", &a, &b) && a > b, "a window crossing midnight");
    ok(availability_parse_hours("all_day", &a, &b), "all_day");
    ok(!availability_parse_hours("18-23", &a, &b), "short form refused");
    ok(!availability_parse_hours("18:00 23:00", &a, &b), "no dash refused");
    ok(!availability_parse_hours(NULL, &a, &b), "NULL refused");

    /* --- schedule shape --- */
    cJSON *j;
    j = parse("{\"monday\":{\"available\":true,\"hours\":\"18:00-23:00\"},\"sunday\":{\"available\":false}}");
    ok(availability_schedule_error(j) == NULL, "a valid schedule");
    cJSON_Delete(j);
    j = parse("{}");
    ok(availability_schedule_error(j) == NULL, "an empty schedule (never available) is valid");
    cJSON_Delete(j);
    const char *bad_ones[] = {
        "[]", "{\"funday\":{\"available\":true}}", "{\"monday\":true}", "{\"monday\":{\"hours\":\"all_day\"}}",
        "{\"monday\":{\"available\":\"yes\"}}", "{\"monday\":{\"available\":true,\"hours\":\"9-5\"}}",
        "{\"monday\":{\"available\":true,\"hours\":5}}",
    };
    for (size_t i = 0; i < sizeof bad_ones / sizeof bad_ones[0]; i++) {
        j = parse(bad_ones[i]);
        ok(availability_schedule_error(j) != NULL, "refused: %s", bad_ones[i]);
        cJSON_Delete(j);
    }
    return done_testing();
}
