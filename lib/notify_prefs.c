/* notify_prefs.c — GET/PUT of the caller's notification preferences. The rules they set
 * are applied in SQL (sql/019: notify_channel_on, notify_push_at) where pushes and mails
 * are queued; this module checks and stores them. */
#include "notify_prefs.h"
#include "db.h"
#include "util.h"
#include "validate.h"
#include "sql_notify_prefs.h"
#include <stdio.h>
#include <string.h>

/* Every notification type any module writes (seed 000's, seed 003's push types, alerts). */
static const char *const types[] = {
    "new_application", "application_status", "new_message", "call_scheduled", "call_reminder",
    "review_received", "gig_update", "gig_alert", "urgent_gig", "urgent_gig_cancelled",
    "urgent_gig_expired", "gig_accepted", "gig_confirmed", "gig_filled", "gig_starting_soon",
    "confirm_completion", "opportunity_project_completed", "opportunity_project_disputed",
    "rating_prompt", "dispute_response", "dispute_resolved", "payment_failed",
};

static const char *types_param(struct gctx *g)
{
    return validate_text_array(g->a, types, (int)ARRAY_SIZE(types));
}

static bool known_type(const char *t)
{
    for (size_t i = 0; i < ARRAY_SIZE(types); i++)
        if (!strcmp(types[i], t))
            return true;
    return false;
}

enum result notify_prefs_get(struct gctx *g, const char **json)
{
    return DB_ONE(g, json, NULL, &st_prefs_get, g->user_id, types_param(g));
}

/* One type's {push?, email?, in_app?} → its changes in out; false (field errors) if bad. */
static bool read_channels(struct gctx *g, const char *type, const cJSON *v, cJSON *out)
{
    const char *field = arena_sprintf(g->a, "types.%s", type);
    if (!known_type(type)) {
        gctx_fail_field(g, field, "is not a notification type");
        return false;
    }
    if (!cJSON_IsObject(v)) {
        gctx_fail_field(g, field, "must be an object of channels (push, email)");
        return false;
    }
    const cJSON *in_app = cJSON_GetObjectItemCaseSensitive(v, "in_app");
    if (in_app && !cJSON_IsTrue(in_app)) {
        gctx_fail_field(g, arena_sprintf(g->a, "%s.in_app", field), "in-app notifications are always on");
        return false;
    }
    bool ok = true;
    cJSON *ch = cJSON_AddObjectToObject(out, type);
    static const char *const channels[] = {"push", "email"};
    for (size_t i = 0; i < ARRAY_SIZE(channels); i++) {
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(v, channels[i]);
        if (!b)
            continue;
        if (!cJSON_IsBool(b)) {
            gctx_fail_field(g, arena_sprintf(g->a, "%s.%s", field, channels[i]), "must be true or false");
            ok = false;
        } else if (ch) {
            cJSON_AddBoolToObject(ch, channels[i], cJSON_IsTrue(b));
        }
    }
    return ok;
}

/* "HH:MM" (or "HH:MM:SS") of a day; false otherwise. */
static bool clock_time(const char *s)
{
    int h, m, sec = 0, n = 0;
    size_t len = strlen(s);
    if (len != 5 && len != 8)
        return false;
    if (len == 5 ? sscanf(s, "%2d:%2d%n", &h, &m, &n) != 2 : sscanf(s, "%2d:%2d:%2d%n", &h, &m, &sec, &n) != 3)
        return false;
    return (size_t)n == len && h >= 0 && h < 24 && m >= 0 && m < 60 && sec >= 0 && sec < 60;
}

static const struct vfield quiet_fields[] = {
    {.name = "start", .type = V_STRING, .required = true, .min = 5, .max = 8, .check = clock_time,
     .check_msg = "must be a time of day HH:MM"},
    {.name = "end", .type = V_STRING, .required = true, .min = 5, .max = 8, .check = clock_time,
     .check_msg = "must be a time of day HH:MM"},
    {.name = "time_zone", .type = V_STRING, .required = true, .min = 1, .max = 64},
};

/* The checked PUT: channel changes as JSON, whether and to what the quiet hours change. */
struct prefs_put {
    const char *channels;
    bool quiet_set;
    const char *start, *end, *zone;
};

/* quiet_hours: null, or {start, end, time_zone}; errors are named "quiet_hours.X". */
static bool read_quiet(struct gctx *g, const cJSON *q, struct prefs_put *p)
{
    p->quiet_set = true;
    if (cJSON_IsNull(q))
        return true;
    if (!cJSON_IsObject(q)) {
        gctx_fail_field(g, "quiet_hours", "must be an object {start, end, time_zone} or null");
        return false;
    }
    struct gctx sub = *g; /* the nested table's field names, prefixed below */
    sub.fields = NULL;
    struct vvalue v[ARRAY_SIZE(quiet_fields)];
    bool ok = validate(&sub, q, quiet_fields, v) == R_SUCCESS;
    const cJSON *f;
    cJSON_ArrayForEach(f, sub.fields) {
        gctx_fail_field(g, arena_sprintf(g->a, "quiet_hours.%s", f->string), f->valuestring);
    }
    if (ok && !strncmp(v[0].s, v[1].s, 5)) {
        gctx_fail_field(g, "quiet_hours.end", "must differ from start");
        ok = false;
    }
    if (ok) {
        p->start = v[0].s;
        p->end = v[1].s;
        p->zone = v[2].s;
    }
    return ok;
}

static enum result read_put(struct gctx *g, const cJSON *body, struct prefs_put *p)
{
    if (!cJSON_IsObject(body))
        return gctx_fail(g, R_INVALID, "Body must be a JSON object");
    bool ok = true;
    cJSON *changes = gctx_own(g, cJSON_CreateObject());
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(body, "types");
    if (t && !cJSON_IsObject(t)) {
        gctx_fail_field(g, "types", "must be an object keyed by notification type");
        ok = false;
    } else if (t) {
        const cJSON *v;
        cJSON_ArrayForEach(v, t) {
            if (!read_channels(g, v->string, v, changes))
                ok = false;
        }
    }
    const cJSON *q = cJSON_GetObjectItemCaseSensitive(body, "quiet_hours");
    if (q && !read_quiet(g, q, p))
        ok = false;
    if (!ok || !changes)
        return gctx_fail(g, ok ? R_ERR : R_INVALID, ok ? "Internal error" : "Validation failed");
    char *s = cJSON_PrintUnformatted(changes);
    if (!s)
        return gctx_fail(g, R_ERR, "Internal error");
    p->channels = arena_strdup(g->a, s);
    cJSON_free(s);
    return R_SUCCESS;
}

STMT(st_prefs_zone, "SELECT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = $1)");

enum result notify_prefs_put(struct gctx *g, const cJSON *body, const char **json)
{
    struct prefs_put p = {0};
    enum result rc = read_put(g, body, &p);
    if (rc)
        return rc;
    PGresult *r;
    if (p.zone) {
        if ((rc = DB_RUN(g, &r, &st_prefs_zone, p.zone)))
            return rc;
        if (!db_bool(r, 0, 0))
            return gctx_fail_field(g, "quiet_hours.time_zone", "must be an IANA time zone such as Europe/London");
    }
    if ((rc = DB_RUN(g, &r, &st_prefs_put, g->user_id, p.channels, p.quiet_set ? "true" : "false", p.start, p.end,
                     p.zone)))
        return rc;
    return notify_prefs_get(g, json);
}
