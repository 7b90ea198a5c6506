/* availability.c — GET/PATCH /api/user/availability and POST .../location. Validation is
 * the field table plus the two shapes a table cannot say (the weekly schedule and the
 * time zone, checked against pg_timezone_names); the update is one statement that applies
 * a JSON patch of exactly the fields sent. */
#include "availability.h"
#include "db.h"
#include "sqlstate.h"
#include "util.h"
#include "validate.h"
#include "sql_availability.h"
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------ pure parsing */

bool availability_parse_time(const char *s, int *minutes)
{
    int h, m, sec = 0, n = 0;
    size_t len = s ? strlen(s) : 0;
    if (len == 5) {
        if (sscanf(s, "%2d:%2d%n", &h, &m, &n) != 2 || n != 5)
            return false;
    } else if (len == 8) {
        if (sscanf(s, "%2d:%2d:%2d%n", &h, &m, &sec, &n) != 3 || n != 8)
            return false;
    } else {
        return false;
    }
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || ((i == 2 || i == 5) && s[i] == ':')))
            return false;
    if (h > 23 || m > 59 || sec > 59)
        return false;
    *minutes = h * 60 + m;
    return true;
}

bool availability_parse_hours(const char *s, int *start, int *end)
{
    if (!s)
        return false;
    if (!strcmp(s, "all_day")) {
        *start = 0;
        *end = 0;
        return true;
    }
    if (strlen(s) != 11 || s[5] != '-')
        return false;
    char a[6], b[6];
    memcpy(a, s, 5);
    a[5] = '\0';
    memcpy(b, s + 6, 5);
    b[5] = '\0';
    return availability_parse_time(a, start) && availability_parse_time(b, end);
}

static const char *const weekdays[] = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"};

const char *availability_schedule_error(const cJSON *schedule)
{
    if (!cJSON_IsObject(schedule))
        return "must be an object keyed by weekday";
    const cJSON *day;
    cJSON_ArrayForEach(day, schedule) {
        bool known = false;
        for (size_t i = 0; i < ARRAY_SIZE(weekdays); i++)
            if (day->string && !strcmp(day->string, weekdays[i]))
                known = true;
        if (!known)
            return "keys must be weekdays (monday … sunday)";
        if (!cJSON_IsObject(day))
            return "each day must be an object {available, hours?}";
        const cJSON *av = cJSON_GetObjectItemCaseSensitive(day, "available");
        if (!cJSON_IsBool(av))
            return "each day needs available: true or false";
        const cJSON *hours = cJSON_GetObjectItemCaseSensitive(day, "hours");
        int s, e;
        if (hours && !cJSON_IsNull(hours) && !(cJSON_IsString(hours) && availability_parse_hours(hours->valuestring, &s, &e)))
            return "hours must be \"HH:MM-HH:MM\" or \"all_day\"";
    }
    return NULL;
}

/* ------------------------------------------------------------------ read */

/* Every user's row is made with the profile (sql/029): GET reads it, PATCH updates it,
 * the location upsert needs no row first. */
enum result availability_get(struct gctx *g, const char **json)
{
    return DB_ONE(g, json, "Availability not found", &st_avail_read, g->user_id);
}

/* ------------------------------------------------------------------ update */

static bool valid_time_text(const char *s)
{
    int m;
    return availability_parse_time(s, &m);
}

enum {
    AF_AVAILABLE, AF_CUR_LAT, AF_CUR_LNG, AF_AREA, AF_AREA_LAT, AF_AREA_LNG, AF_RADIUS, AF_HOURLY, AF_PER_GIG,
    AF_NEGOTIABLE, AF_DND_START, AF_DND_END, AF_MAX_PER_DAY, AF_TIMEZONE, AF_COUNT
};

static const struct vfield avail_fields[AF_COUNT] = {
    [AF_AVAILABLE] = {.name = "available_for_urgent_gigs", .type = V_BOOL},
    [AF_CUR_LAT] = {.name = "current_lat", .type = V_NUMBER, .nullable = true, .min = -90, .max = 90},
    [AF_CUR_LNG] = {.name = "current_lng", .type = V_NUMBER, .nullable = true, .min = -180, .max = 180},
    [AF_AREA] = {.name = "general_area", .type = V_STRING, .nullable = true, .max = 200},
    [AF_AREA_LAT] = {.name = "general_area_lat", .type = V_NUMBER, .nullable = true, .min = -90, .max = 90},
    [AF_AREA_LNG] = {.name = "general_area_lng", .type = V_NUMBER, .nullable = true, .min = -180, .max = 180},
    [AF_RADIUS] = {.name = "max_radius_km", .type = V_INT, .min = 1, .max = 200},
    [AF_HOURLY] = {.name = "hourly_rate", .type = V_MONEY, .nullable = true, .min = 0, .max = 1000000},
    [AF_PER_GIG] = {.name = "per_gig_rate", .type = V_MONEY, .nullable = true, .min = 0, .max = 1000000},
    [AF_NEGOTIABLE] = {.name = "rate_negotiable", .type = V_BOOL},
    [AF_DND_START] = {.name = "dnd_start", .type = V_STRING, .nullable = true, .max = 8, .check = valid_time_text,
                      .check_msg = "must be a time HH:MM or HH:MM:SS"},
    [AF_DND_END] = {.name = "dnd_end", .type = V_STRING, .nullable = true, .max = 8, .check = valid_time_text,
                    .check_msg = "must be a time HH:MM or HH:MM:SS"},
    [AF_MAX_PER_DAY] = {.name = "max_notifications_per_day", .type = V_INT, .min = 0, .max = 100},
    [AF_TIMEZONE] = {.name = "timezone", .type = V_STRING, .min = 1, .max = 64},
};

STMT(st_avail_tz_known, "SELECT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = $1)");

/* Both halves of a pair, or neither: after the patch the row must not hold one alone. */
static void pair_check(struct gctx *g, const struct vvalue *v, int a, int b)
{
    if (v[a].present != v[b].present || v[a].null != v[b].null) {
        const char *missing = v[a].present && !v[b].present ? avail_fields[b].name : avail_fields[a].name;
        const char *other = missing == avail_fields[a].name ? avail_fields[b].name : avail_fields[a].name;
        gctx_fail_field(g, missing, arena_sprintf(g->a, "must be sent (or nulled) together with %s", other));
    }
}

/* Every field error of a PATCH body at once: the table, the pairs that go together, the
 * schedule and the time zone (known to PostgreSQL). */
static enum result check_patch(struct gctx *g, const cJSON *body, struct vvalue v[AF_COUNT], const cJSON *sched)
{
    enum result rc = validate_n(g, body, avail_fields, AF_COUNT, v);
    if (rc && !g->fields)
        return rc; /* not an object */
    pair_check(g, v, AF_CUR_LAT, AF_CUR_LNG);
    pair_check(g, v, AF_AREA_LAT, AF_AREA_LNG);
    pair_check(g, v, AF_DND_START, AF_DND_END);
    if (sched && !cJSON_IsNull(sched)) {
        const char *why = availability_schedule_error(sched);
        if (why)
            gctx_fail_field(g, "availability_schedule", why);
    }
    if (v[AF_TIMEZONE].present && !v[AF_TIMEZONE].null && v[AF_TIMEZONE].s &&
        !cJSON_GetObjectItemCaseSensitive(g->fields, "timezone")) {
        const char *known = NULL;
        rc = DB_ONE(g, &known, "Internal error", &st_avail_tz_known, v[AF_TIMEZONE].s);
        if (rc)
            return rc;
        if (!known || known[0] != 't')
            gctx_fail_field(g, "timezone", "must be an IANA time zone name (e.g. Europe/London)");
    }
    return g->fields ? gctx_fail(g, R_INVALID, "Validation failed") : R_SUCCESS;
}

/* The patch as JSON text: only the fields sent, in the column types the statement expects. */
static const char *patch_text(struct gctx *g, const struct vvalue *v, const cJSON *sched)
{
    cJSON *patch = gctx_own(g, cJSON_CreateObject());
    for (int i = 0; i < AF_COUNT; i++) {
        if (!v[i].present)
            continue;
        const char *name = avail_fields[i].name;
        if (v[i].null)
            cJSON_AddNullToObject(patch, name);
        else if (avail_fields[i].type == V_BOOL)
            cJSON_AddBoolToObject(patch, name, v[i].b);
        else if (avail_fields[i].type == V_MONEY || avail_fields[i].type == V_INT)
            cJSON_AddNumberToObject(patch, name, (double)v[i].i);
        else if (avail_fields[i].type == V_NUMBER)
            cJSON_AddNumberToObject(patch, name, v[i].num);
        else
            cJSON_AddStringToObject(patch, name, v[i].s);
    }
    if (sched)
        cJSON_AddItemToObject(patch, "availability_schedule", cJSON_Duplicate(sched, 1));
    char *text = cJSON_PrintUnformatted(patch);
    if (!text)
        return NULL;
    const char *copy = arena_strdup(g->a, text);
    cJSON_free(text);
    return copy;
}

enum result availability_update(struct gctx *g, const cJSON *body, const char **json)
{
    struct vvalue v[AF_COUNT];
    const cJSON *sched = cJSON_GetObjectItemCaseSensitive(body, "availability_schedule");
    enum result rc = check_patch(g, body, v, sched);
    if (rc)
        return rc;
    const char *patch = patch_text(g, v, sched);
    if (!patch)
        return gctx_fail(g, R_ERR, "Internal error");
    return DB_ONE(g, json, "Availability not found", &st_avail_patch, g->user_id, patch);
}

/* ------------------------------------------------------------------ location */

static const struct vfield location_fields[] = {
    {.name = "lat", .type = V_NUMBER, .required = true, .min = -90, .max = 90},
    {.name = "lng", .type = V_NUMBER, .required = true, .min = -180, .max = 180},
};

STMT(st_avail_location,
     "INSERT INTO user_availability AS a (user_id, current_lat, current_lng, last_location_update)"
     " VALUES ($1, $2::float8, $3::float8, now())"
     " ON CONFLICT (user_id) DO UPDATE SET current_lat = EXCLUDED.current_lat, current_lng = EXCLUDED.current_lng,"
     "   last_location_update = now(), updated_at = now()"
     " RETURNING iso(a.last_location_update)");

enum result availability_set_location(struct gctx *g, const cJSON *body)
{
    struct vvalue v[ARRAY_SIZE(location_fields)];
    enum result rc = validate(g, body, location_fields, v);
    if (rc)
        return rc;
    const char *at;
    return DB_ONE(g, &at, "Availability not found", &st_avail_location, g->user_id, v[0].text, v[1].text);
}
