/* calls.c — video calls. The room id is 256 random bits (base64url), so a join URL
 * cannot be guessed; the video service itself is outside gigd. */
#include "calls.h"
#include "config.h"
#include "db.h"
#include "messaging.h"
#include "realtime.h"
#include "validate.h"
#include <sodium.h>
#include <string.h>
#include <strings.h>

static const struct vfield create_fields[] = {
    {.name = "participant_id", .type = V_UUID, .required = true},
    {.name = "gig_id", .type = V_UUID, .nullable = true},
    {.name = "application_id", .type = V_UUID, .nullable = true},
    {.name = "scheduled_at", .type = V_TIME, .nullable = true, .max = 64},
};

static const char *new_room(arena *a)
{
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    size_t n = sodium_base64_ENCODED_LEN(sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = arena_alloc(a, n);
    sodium_bin2base64(out, n, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return out;
}

STMT(st_calls_check,
     "SELECT EXISTS (SELECT 1 FROM users WHERE id = $1::uuid), gig_exists_or_unknown($2::uuid),"
     " $3::timestamptz IS NULL OR $3::timestamptz > now()");
STMT(st_calls_create,
     "WITH v AS (INSERT INTO video_calls (room_id, initiator_id, participant_ids, gig_id, application_id,"
     "                                    scheduled_at, started_at)"
     "           VALUES ($1, $2::uuid, ARRAY[$2::uuid, $3::uuid], $4::uuid, $5::uuid, $6::timestamptz,"
     "                   CASE WHEN $6::timestamptz IS NULL THEN now() END) RETURNING *),"
     " n AS (INSERT INTO notifications (user_id, type, title, body, data)"
     "       SELECT u, 'call_scheduled', left('Call scheduled with ' || coalesce(p.full_name, p.username), 200),"
     "              'Starts at ' || iso(v.scheduled_at),"
     "              jsonb_build_object('call_id', v.id, 'scheduled_at', iso(v.scheduled_at),"
     "                                 'join_url', $7::text || v.room_id)"
     "       FROM v JOIN profiles p ON p.id = v.initiator_id, unnest(v.participant_ids) u"
     "       WHERE v.scheduled_at IS NOT NULL AND u <> v.initiator_id RETURNING *)"
     " SELECT video_call_json(v, $7::text), (SELECT count(*) FROM n) FROM v");

enum result calls_create(struct gctx *g, const cJSON *body, const char **json)
{
    struct vvalue v[4];
    if (validate(g, body, create_fields, v) != R_SUCCESS)
        return g->res;
    if (!strcasecmp(v[0].s, g->user_id))
        return gctx_fail_field(g, "participant_id", "cannot be yourself");
    PGresult *r = DBQ(g, &st_calls_check, v[0].s, v[1].text, v[3].text);
    if (!r)
        return g->res;
    if (!db_bool(r, 0, 2))
        return gctx_fail_field(g, "scheduled_at", "must be in the future");
    if (!db_bool(r, 0, 0))
        return gctx_fail(g, R_NOTFOUND, "User not found");
    if (!db_bool(r, 0, 1))
        return gctx_fail(g, R_NOTFOUND, "Gig not found");
    if (db_begin(g) != R_SUCCESS)
        return g->res;
    r = DBQ(g, &st_calls_create, new_room(g->a), g->user_id, v[0].s, v[1].text, v[2].text, v[3].text,
            cfg.video_base_url);
    if (!r)
        return g->res;
    if (PQntuples(r) != 1)
        return gctx_fail(g, R_ERR, "Internal error");
    const char *call = arena_strdup(g->a, db_val(r, 0, 0));
    if (db_commit(g) != R_SUCCESS)
        return g->res;
    *json = call;
    return R_SUCCESS;
}

STMT(st_calls_upcoming,
     "SELECT coalesce(json_agg(video_call_json(v, $2::text) ORDER BY v.scheduled_at, v.id), '[]')"
     " FROM video_calls v WHERE v.participant_ids @> ARRAY[$1::uuid] AND v.scheduled_at IS NOT NULL"
     " AND v.ended_at IS NULL AND v.scheduled_at > now() - interval '2 hours'");

enum result calls_upcoming(struct gctx *g, const char **json)
{
    PGresult *r = DBQ(g, &st_calls_upcoming, g->user_id, cfg.video_base_url);
    if (!r)
        return g->res;
    *json = db_val(r, 0, 0);
    return R_SUCCESS;
}

STMT(st_calls_history,
     "SELECT coalesce(json_agg(video_call_json(x, $2::text) ORDER BY x.ended_at DESC, x.id DESC), '[]') FROM"
     " (SELECT * FROM video_calls v WHERE v.participant_ids @> ARRAY[$1::uuid] AND v.ended_at IS NOT NULL"
     "  ORDER BY v.ended_at DESC, v.id DESC LIMIT $3::int) x");

enum result calls_history(struct gctx *g, const char *limit_s, const char **json)
{
    long limit;
    if (query_long(g, "limit", limit_s, 20, 1, 100, &limit) != R_SUCCESS)
        return g->res;
    PGresult *r = DBQ(g, &st_calls_history, g->user_id, cfg.video_base_url, arena_sprintf(g->a, "%ld", limit));
    if (!r)
        return g->res;
    *json = db_val(r, 0, 0);
    return R_SUCCESS;
}

/* One statement tells the three cases apart: not a participant (no row), already
 * ended (row, nothing updated), ended now. */
STMT(st_calls_end,
     "WITH v AS (SELECT * FROM video_calls WHERE id = $1::uuid AND participant_ids @> ARRAY[$2::uuid] FOR UPDATE),"
     " u AS (UPDATE video_calls SET ended_at = now() FROM v"
     "       WHERE video_calls.id = v.id AND v.ended_at IS NULL RETURNING video_calls.*)"
     " SELECT (SELECT count(*) FROM v), (SELECT video_call_json(u, $3::text) FROM u)");

enum result calls_end(struct gctx *g, const char *call_id, const char **json)
{
    if (!call_id || !valid_uuid(call_id))
        return gctx_fail(g, R_NOTFOUND, "Call not found");
    PGresult *r = DBQ(g, &st_calls_end, call_id, g->user_id, cfg.video_base_url);
    if (!r)
        return g->res;
    if (db_ll(r, 0, 0) != 1)
        return gctx_fail(g, R_NOTFOUND, "Call not found");
    if (!db_val(r, 0, 1))
        return gctx_fail(g, R_CONFLICT, "Call has already ended");
    *json = db_val(r, 0, 1);
    return R_SUCCESS;
}

/* reminder_sent_at is claimed in the same statement that writes the notifications,
 * under the cron job's advisory lock: a call is reminded exactly once. */
STMT(st_calls_remind,
     "WITH v AS (UPDATE video_calls SET reminder_sent_at = now()"
     "           WHERE scheduled_at IS NOT NULL AND reminder_sent_at IS NULL AND ended_at IS NULL"
     "           AND scheduled_at > now() AND scheduled_at <= now() + interval '15 minutes' RETURNING *),"
     " n AS (SELECT notify(u, 'call_reminder', 'Your call starts soon',"
     "              'Starts at ' || iso(v.scheduled_at),"
     "              jsonb_build_object('call_id', v.id, 'scheduled_at', iso(v.scheduled_at),"
     "                                 'join_url', $1::text || v.room_id))"
     "       FROM v, unnest(v.participant_ids) u)"
     " SELECT json_build_object('calls', (SELECT count(*) FROM v), 'notifications', (SELECT count(*) FROM n))");

enum result calls_remind(struct gctx *g, const char **json)
{
    PGresult *r = DBQ(g, &st_calls_remind, cfg.video_base_url);
    if (!r)
        return g->res;
    *json = db_val(r, 0, 0);
    return R_SUCCESS;
}
