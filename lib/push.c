/* push.c — registering and deactivating Expo push tokens. */
#include "push.h"
#include "db.h"
#include "validate.h"
#include <string.h>

bool push_token_valid(const char *s)
{
    const char *rest;
    if (!strncmp(s, "ExponentPushToken[", 18))
        rest = s + 18;
    else if (!strncmp(s, "ExpoPushToken[", 14))
        rest = s + 14;
    else
        return false;
    size_t n = strlen(rest);
    if (n < 2 || rest[n - 1] != ']')
        return false;
    for (size_t i = 0; i + 1 < n; i++)
        if ((unsigned char)rest[i] <= ' ' || rest[i] == '[' || rest[i] == ']' || rest[i] == '/' || rest[i] == '"' ||
            (unsigned char)rest[i] >= 0x7f)
            return false;
    return true;
}

static const char *const platforms[] = {"ios", "android", "web", NULL};

static const struct vfield register_fields[] = {
    {.name = "push_token", .type = V_STRING, .required = true, .min = 1, .max = 255, .check = push_token_valid,
     .check_msg = "must be an Expo push token (ExponentPushToken[...])"},
    {.name = "platform", .type = V_ENUM, .required = true, .options = platforms},
    {.name = "device_id", .type = V_STRING, .nullable = true, .min = 1, .max = 255},
};

/* xmax = 0 on the returned row means it was inserted, not updated. */
STMT(st_push_register,
     "WITH t AS (INSERT INTO push_tokens (user_id, push_token, platform, device_id)"
     "           VALUES ($1::uuid, $2, $3, $4)"
     "           ON CONFLICT (push_token) DO UPDATE SET user_id = excluded.user_id, platform = excluded.platform,"
     "             device_id = excluded.device_id, active = true, deactivated_reason = NULL,"
     "             last_used_at = now(), updated_at = now()"
     "           RETURNING *, (xmax = 0) AS inserted),"
     " d AS (UPDATE push_tokens SET active = false, deactivated_reason = 'replaced', updated_at = now()"
     "       WHERE user_id = $1::uuid AND $4::text IS NOT NULL AND device_id = $4::text AND push_token <> $2"
     "       AND active RETURNING 1)"
     " SELECT json_build_object('id', t.id, 'push_token', t.push_token, 'platform', t.platform,"
     "   'device_id', t.device_id, 'active', t.active, 'last_used_at', iso(t.last_used_at),"
     "   'created_at', iso(t.created_at)), t.inserted, (SELECT count(*) FROM d) FROM t");

enum result push_token_register(struct gctx *g, const cJSON *body, const char **json, bool *created)
{
    struct vvalue v[3];
    if (validate(g, body, register_fields, v) != R_SUCCESS)
        return g->res;
    PGresult *r = DBQ(g, &st_push_register, g->user_id, v[0].s, v[1].s, v[2].text);
    if (!r)
        return g->res;
    *json = db_val(r, 0, 0);
    *created = db_bool(r, 0, 1);
    return R_SUCCESS;
}

STMT(st_push_deactivate,
     "UPDATE push_tokens SET active = false, deactivated_reason = 'user', updated_at = now()"
     " WHERE push_token = $1 AND user_id = $2::uuid RETURNING id");
STMT(st_push_cancel_pending,
     "UPDATE push_outbox SET status = 'cancelled', updated_at = now()"
     " WHERE token_id = $1::uuid AND status = 'pending'");

enum result push_token_deactivate(struct gctx *g, const char *token)
{
    if (!token || strlen(token) > 255)
        return gctx_fail(g, R_NOTFOUND, "Push token not found");
    if (db_begin(g) != R_SUCCESS)
        return g->res;
    PGresult *r = DBQ(g, &st_push_deactivate, token, g->user_id);
    if (!r)
        return g->res;
    if (PQntuples(r) != 1) {
        db_rollback(g);
        return gctx_fail(g, R_NOTFOUND, "Push token not found");
    }
    if (!DBQ(g, &st_push_cancel_pending, db_val(r, 0, 0)))
        return g->res;
    return db_commit(g);
}
