/* calls.c — video calls. The room id is 256 random bits (base64url), so a join URL
 * cannot be guessed; the video service itself is outside gigd. */
#include "calls.h"
#include "config.h"
#include "db.h"
#include "market.h"
#include "ratelimit.h"
#include "sql_calls.h"
#include "trust.h"
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
     "SELECT EXISTS (SELECT 1 FROM users WHERE id = $1::uuid) AND NOT user_unreachable($1::uuid)," /* 0: trust */
     " gig_readable_or_none($2::uuid, $4::uuid),"
     " $3::timestamptz IS NULL OR $3::timestamptz > now(), blocked_pair($1::uuid, $4::uuid)"); /* 3: trust */
/* The other participant and the gig exist, and a scheduled time is in the future. */
static enum result check_create(struct gctx *g, const struct vvalue *v)
{
    if (!strcasecmp(v[0].s, g->user_id))
        return gctx_fail_field(g, "participant_id", "cannot be yourself");
    PGresult *r;
    enum result rc = DB_RUN(g, &r, &st_calls_check, v[0].s, v[1].text, v[3].text, g->user_id);
    if (rc)
        return rc;
    if (!db_bool(r, 0, 2))
        return gctx_fail_field(g, "scheduled_at", "must be in the future");
    if (!db_bool(r, 0, 0))
        return gctx_fail(g, R_NOTFOUND, "User not found");
    if (!db_bool(r, 0, 1))
        return gctx_fail(g, R_NOTFOUND, "Gig not found");
    if (db_bool(r, 0, 3))
        return gctx_fail(g, R_FORBIDDEN, TRUST_BLOCKED_MSG);
    return R_SUCCESS;
}

enum result calls_create(struct gctx *g, const cJSON *body, const char **json)
{
    struct vvalue v[4];
    enum result rc = validate(g, body, create_fields, v);
    if (rc)
        return rc;
    rc = check_create(g, v);
    if (rc)
        return rc;
    /* Per caller, and per caller and participant: nobody can flood a stranger with
     * scheduled calls whose names they wrote. */
    if ((rc = db_begin(g)) || (rc = ratelimit_quota(g, "call", g->user_id, cfg.quota_calls, 86400)) ||
        (rc = ratelimit_quota(g, "call-peer", arena_sprintf(g->a, "%s:%s", g->user_id, v[0].s), cfg.quota_calls_peer,
                              86400)))
        return rc;
    PGresult *r;
    rc = DB_RUN(g, &r, &st_calls_create, new_room(g->a), g->user_id, v[0].s, v[1].text, v[2].text, v[3].text,
                cfg.video_base_url);
    if (rc)
        return rc;
    if (PQntuples(r) != 1)
        return gctx_fail(g, R_ERR, "Internal error");
    const char *call = arena_strdup(g->a, db_val(r, 0, 0));
    rc = db_commit(g);
    if (rc)
        return rc;
    *json = call;
    return R_SUCCESS;
}

STMT(st_calls_upcoming,
     "SELECT coalesce(json_agg(video_call_json(x, $2::text) ORDER BY x.scheduled_at, x.id), '[]') FROM"
     " (SELECT * FROM video_calls v WHERE v.participant_ids @> ARRAY[$1::uuid] AND v.scheduled_at IS NOT NULL"
     "  AND v.ended_at IS NULL AND v.scheduled_at > now() - interval '2 hours'"
     "  ORDER BY v.scheduled_at, v.id LIMIT $3::int OFFSET $4::int) x");

enum result calls_upcoming(struct gctx *g, const char *page, const char *limit, const char **json)
{
    struct paging pg;
    enum result rc = market_array_paging(g, page, limit, &pg);
    if (rc)
        return rc;
    return DB_ONE(g, json, NULL, &st_calls_upcoming, g->user_id, cfg.video_base_url, pg.limit_s, pg.offset_s);
}

STMT(st_calls_history,
     "SELECT coalesce(json_agg(video_call_json(x, $2::text) ORDER BY x.ended_at DESC, x.id DESC), '[]') FROM"
     " (SELECT * FROM video_calls v WHERE v.participant_ids @> ARRAY[$1::uuid] AND v.ended_at IS NOT NULL"
     "  ORDER BY v.ended_at DESC, v.id DESC LIMIT $3::int) x");

enum result calls_history(struct gctx *g, const char *limit_s, const char **json)
{
    long limit;
    enum result rc = validate_query_long(g, "limit", limit_s, 20, 1, 100, &limit);
    if (rc)
        return rc;
    return DB_ONE(g, json, NULL, &st_calls_history, g->user_id, cfg.video_base_url,
                  arena_sprintf(g->a, "%ld", limit));
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
    if (!call_id || !validate_uuid(call_id))
        return gctx_fail(g, R_NOTFOUND, "Call not found");
    PGresult *r;
    enum result rc = DB_RUN(g, &r, &st_calls_end, call_id, g->user_id, cfg.video_base_url);
    if (rc)
        return rc;
    if (db_ll(r, 0, 0) != 1)
        return gctx_fail(g, R_NOTFOUND, "Call not found");
    if (!db_val(r, 0, 1))
        return gctx_fail(g, R_CONFLICT, "Call has already ended");
    *json = db_val(r, 0, 1);
    return R_SUCCESS;
}

/* st_calls_remind (lib/sql/calls.sql) claims the calls and writes the notifications in
 * one statement: each call is reminded exactly once. */
enum result calls_remind(struct gctx *g, const char **json)
{
    return DB_ONE(g, json, NULL, &st_calls_remind, cfg.video_base_url);
}
