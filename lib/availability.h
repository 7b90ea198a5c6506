/* availability.h — a provider's availability for urgent gigs (seed 003 §2.3): where they
 * are, how far they go, their rates, weekly schedule, do-not-disturb window, daily offer
 * quota and time zone. Every function acts for g->user_id. */
#ifndef GIGD_AVAILABILITY_H
#define GIGD_AVAILABILITY_H
#include <stdbool.h>
#include "gctx.h"

/* The caller's UserAvailability (created with defaults on first read; the time zone is
 * taken from the profile when it names a zone PostgreSQL knows). *json is arena-owned. */
enum result availability_get(struct gctx *g, const char **json);
/* Partial update; every field validated; *json is the updated record. */
enum result availability_update(struct gctx *g, const cJSON *body, const char **json);
/* {lat, lng} → the current position, stamped last_location_update = now. */
enum result availability_set_location(struct gctx *g, const cJSON *body);

/* Pure parts (t/unit/matching.c). */
/* "HH:MM" or "HH:MM:SS" (00:00–23:59:59) → minutes after midnight. */
bool availability_parse_time(const char *s, int *minutes);
/* "HH:MM-HH:MM" (end before start crosses midnight; equal = the whole day) or "all_day". */
bool availability_parse_hours(const char *s, int *start, int *end);
/* An availability_schedule value: an object whose keys are weekdays (monday … sunday),
 * each {available: bool, hours?: "HH:MM-HH:MM" | "all_day"}. NULL on success, else the
 * reason (a static string). */
const char *availability_schedule_error(const cJSON *schedule);

#endif
