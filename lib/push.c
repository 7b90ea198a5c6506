/* push.c — registering and deactivating Expo push tokens. */
#include "push.h"
#include "config.h"
#include "db.h"
#include "ratelimit.h"
#include "sql_push.h"
#include "validate.h"
#include <string.h>

/* A byte allowed between the brackets: visible ASCII other than []/" */
static bool token_char(unsigned char c)
{
    return c > ' ' && c < 0x7f && !strchr("[]/\"", c);
}

bool push_token_valid(const char *s)
{
    static const char *const prefixes[] = {"ExponentPushToken[", "ExpoPushToken["};
    const char *rest = NULL;
    for (size_t i = 0; i < ARRAY_SIZE(prefixes) && !rest; i++)
        if (!strncmp(s, prefixes[i], strlen(prefixes[i])))
            rest = s + strlen(prefixes[i]);
    if (!rest)
        return false;
    size_t n = strlen(rest);
    if (n < 2 || rest[n - 1] != ']')
        return false;
    for (size_t i = 0; i + 1 < n; i++)
        if (!token_char((unsigned char)rest[i]))
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

enum result push_token_register(struct gctx *g, const cJSON *body, const char **json, bool *created)
{
    struct vvalue v[3];
    enum result rc = validate(g, body, register_fields, v);
    if (rc)
        return rc;
    if ((rc = ratelimit_quota(g, "push", g->user_id, cfg.quota_push_tokens, 86400)))
        return rc;
    PGresult *r;
    rc = DB_RUN(g, &r, &st_push_register, g->user_id, v[0].s, v[1].s, v[2].text);
    if (rc)
        return rc;
    if (PQntuples(r) == 0)
        return gctx_fail(g, R_CONFLICT, "This push token is registered to another account");
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
    enum result rc = db_begin(g);
    if (rc)
        return rc;
    const char *token_id;
    rc = DB_ONE(g, &token_id, "Push token not found", &st_push_deactivate, token, g->user_id);
    if (rc) {
        db_rollback(g);
        return rc;
    }
    PGresult *r;
    rc = DB_RUN(g, &r, &st_push_cancel_pending, token_id);
    if (rc)
        return rc;
    return db_commit(g);
}
