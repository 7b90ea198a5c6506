/* messaging.c — conversations and messages. PostgreSQL renders every object
 * (conversation_json, message_json in sql/004); this file validates, runs one
 * statement per step, and publishes to nchan only after the commit. */
#include "messaging.h"
#include "buf.h"
#include "config.h"
#include "db.h"
#include "ratelimit.h"
#include "log.h"
#include "realtime.h"
#include "sql_messaging.h"
#include "trust.h"
#include "validate.h"
#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_ATTACHMENTS 10

/* Path ids that are not UUIDs cannot name a conversation: 404, like an unknown one. */
static enum result check_id(struct gctx *g, const char *id)
{
    if (!id || !validate_uuid(id))
        return gctx_fail(g, R_NOTFOUND, "Conversation not found");
    return R_SUCCESS;
}

STMT(st_msg_is_participant,
     "SELECT 1 FROM conversation_participants WHERE conversation_id = $1 AND user_id = $2");

enum result messaging_check_participant(struct gctx *g, const char *conv_id)
{
    enum result rc = check_id(g, conv_id);
    if (rc)
        return rc;
    const char *one;
    return DB_ONE(g, &one, "Conversation not found", &st_msg_is_participant, conv_id, g->user_id);
}

/* ---- get or create ---- */

static const struct vfield open_fields[] = {
    {.name = "participant_id", .type = V_UUID, .required = true},
    {.name = "gig_id", .type = V_UUID, .nullable = true},
};

/* Column 2 (trust): the two are a blocked pair (sql/018). Column 1 (trust): a deactivated
 * or suspended user (sql/022) is not found. */
STMT(st_msg_user_exists, "SELECT gig_readable_or_none($2::uuid, $3::uuid),"
                         " EXISTS (SELECT 1 FROM users WHERE id = $1) AND NOT user_unreachable($1::uuid),"
                         " blocked_pair($1::uuid, $3::uuid)");
/* The unique index on (user_a, user_b, coalesce(gig_id)) decides races: the loser's
 * insert does nothing and the follow-up select finds the winner's row. */
STMT(st_msg_open_insert,
     "WITH c AS (INSERT INTO conversations (user_a, user_b, gig_id)"
     "           VALUES (least($1::uuid, $2::uuid), greatest($1::uuid, $2::uuid), $3::uuid)"
     "           ON CONFLICT DO NOTHING RETURNING *),"
     " p AS (INSERT INTO conversation_participants (conversation_id, user_id)"
     "       SELECT c.id, u FROM c, unnest(ARRAY[c.user_a, c.user_b]) u RETURNING 1)"
     " SELECT conversation_json(c), (SELECT count(*) FROM p) FROM c");
STMT(st_msg_open_find,
     "SELECT conversation_json(c) FROM conversations c"
     " WHERE user_a = least($1::uuid, $2::uuid) AND user_b = greatest($1::uuid, $2::uuid)"
     " AND coalesce(gig_id, '00000000-0000-0000-0000-000000000000'::uuid)"
     "   = coalesce($3::uuid, '00000000-0000-0000-0000-000000000000'::uuid)");

enum result messaging_open(struct gctx *g, const cJSON *body, const char **json, bool *created)
{
    struct vvalue v[2];
    enum result rc = validate(g, body, open_fields, v);
    if (rc)
        return rc;
    if (!strcasecmp(v[0].s, g->user_id))
        return gctx_fail_field(g, "participant_id", "cannot be yourself");
    PGresult *r;
    rc = DB_RUN(g, &r, &st_msg_user_exists, v[0].s, v[1].text, g->user_id);
    if (rc)
        return rc;
    if (!db_bool(r, 0, 1))
        return gctx_fail(g, R_NOTFOUND, "User not found");
    if (!db_bool(r, 0, 0))
        return gctx_fail(g, R_NOTFOUND, "Gig not found");
    if (db_bool(r, 0, 2))
        return gctx_fail(g, R_FORBIDDEN, TRUST_BLOCKED_MSG);
    /* An existing conversation is returned as it is; only a new one takes a quota unit. */
    if ((rc = DB_RUN(g, &r, &st_msg_open_find, g->user_id, v[0].s, v[1].text)))
        return rc;
    *created = false;
    if (PQntuples(r) == 0) {
        if ((rc = ratelimit_quota(g, "conv", g->user_id, cfg.quota_conversations, 86400)) ||
            (rc = DB_RUN(g, &r, &st_msg_open_insert, g->user_id, v[0].s, v[1].text)))
            return rc;
        *created = PQntuples(r) == 1;
        if (!*created && (rc = DB_RUN(g, &r, &st_msg_open_find, g->user_id, v[0].s, v[1].text)))
            return rc;
    }
    if (PQntuples(r) != 1) {
        log_error("messaging: conversation neither inserted nor found");
        return gctx_fail(g, R_ERR, "Internal error");
    }
    *json = db_val(r, 0, 0);
    return R_SUCCESS;
}

/* ---- previews ---- */

/* st_msg_list is in lib/sql/messaging.sql: one statement, its cost bounded by the page. */
enum result messaging_list(struct gctx *g, const char *limit_s, const char **json)
{
    long limit;
    enum result rc = validate_query_long(g, "limit", limit_s, 50, 1, 100, &limit);
    if (rc)
        return rc;
    return DB_ONE(g, json, NULL, &st_msg_list, g->user_id, arena_sprintf(g->a, "%ld", limit));
}

/* ---- message pages ---- */

/* The cursor is base64url("<created_at in µs since the epoch>:<id>") of the last row
 * of the previous page: opaque to clients, exact (no rounding) for the keyset. */
static const char *cursor_encode(arena *a, const char *micros, const char *id)
{
    const char *raw = arena_sprintf(a, "%s:%s", micros, id);
    size_t n = sodium_base64_ENCODED_LEN(strlen(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = arena_alloc(a, n);
    sodium_bin2base64(out, n, (const unsigned char *)raw, strlen(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return out;
}

static bool cursor_decode(arena *a, const char *c, const char **micros, const char **id)
{
    size_t len = strlen(c);
    if (len == 0 || len > 128)
        return false;
    unsigned char *bin = arena_alloc(a, len + 1);
    size_t n = 0;
    if (sodium_base642bin(bin, len, c, len, NULL, &n, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return false;
    bin[n] = '\0';
    char *s = (char *)bin;
    char *colon = strchr(s, ':');
    if (!colon || colon == s || colon - s > 19)
        return false;
    *colon = '\0';
    for (char *p = (*s == '-') ? s + 1 : s; *p; p++)
        if (!isdigit((unsigned char)*p))
            return false;
    if (!validate_uuid(colon + 1))
        return false;
    *micros = s;
    *id = colon + 1;
    return true;
}

STMT(st_msg_page,
     "SELECT message_json(m), (extract(epoch FROM m.created_at) * 1000000)::bigint, m.id"
     " FROM messages m WHERE m.conversation_id = $1 AND m.hidden_at IS NULL" /* trust: not taken down */
     " AND ($2::bigint IS NULL OR (m.created_at, m.id)"
     "      < (timestamptz 'epoch' + $2::bigint * interval '1 microsecond', $3::uuid))"
     " ORDER BY m.created_at DESC, m.id DESC LIMIT $4::int");
STMT(st_msg_count, "SELECT count(*) FROM messages WHERE conversation_id = $1 AND hidden_at IS NULL");

/* {data, next_cursor, hasMore, limit, total} from a page fetched with limit + 1 rows
 * (the extra row only tells that there is more). */
static const char *page_json(arena *a, PGresult *page, const char *total, long limit)
{
    int n = PQntuples(page);
    bool more = n > limit;
    if (more)
        n = (int)limit;
    struct buf b;
    buf_init(&b, a, 1024 + (size_t)n * 512);
    buf_puts(&b, "{\"data\":[");
    for (int i = 0; i < n; i++) {
        if (i)
            buf_putc(&b, ',');
        buf_puts(&b, db_val(page, i, 0));
    }
    buf_puts(&b, "],\"next_cursor\":");
    if (more)
        buf_json_str(&b, cursor_encode(a, db_val(page, n - 1, 1), db_val(page, n - 1, 2)));
    else
        buf_puts(&b, "null");
    buf_printf(&b, ",\"hasMore\":%s,\"limit\":%ld,\"total\":%s}", more ? "true" : "false", limit, total);
    return b.p;
}

enum result messaging_messages(struct gctx *g, const char *conv_id, const char *cursor, const char *limit_s,
                               const char **json)
{
    long limit;
    const char *micros = NULL, *after_id = NULL;
    enum result rc = validate_query_long(g, "limit", limit_s, 50, 1, 100, &limit);
    if (rc)
        return rc;
    if (cursor && *cursor && !cursor_decode(g->a, cursor, &micros, &after_id))
        return gctx_fail_field(g, "cursor", "is not a valid cursor");
    rc = messaging_check_participant(g, conv_id);
    if (rc)
        return rc;
    PGresult *page;
    rc = DB_RUN(g, &page, &st_msg_page, conv_id, micros, after_id, arena_sprintf(g->a, "%ld", limit + 1));
    if (rc)
        return rc;
    const char *total;
    rc = DB_ONE(g, &total, NULL, &st_msg_count, conv_id);
    if (rc)
        return rc;
    *json = page_json(g->a, page, total, limit);
    return R_SUCCESS;
}

/* ---- send ---- */

static bool not_blank(const char *s)
{
    for (; *s; s++)
        if (!isspace((unsigned char)*s))
            return true;
    return false;
}

static const struct vfield send_fields[] = {
    {.name = "content", .type = V_STRING, .required = true, .min = 1, .max = 10000, .check = not_blank,
     .check_msg = "must not be blank"},
};

/* The attachment id an item of `attachments` names: {"id": uuid}, {"url":
 * ".../api/attachments/<uuid>"} as returned by POST /api/attachments, or the bare id;
 * NULL when it names none. */
static const char *attachment_id(const cJSON *it)
{
    static const char prefix[] = "/api/attachments/";
    const cJSON *idj = cJSON_GetObjectItemCaseSensitive(it, "id");
    const cJSON *url = cJSON_GetObjectItemCaseSensitive(it, "url");
    const char *id = NULL;
    if (cJSON_IsString(idj)) {
        id = idj->valuestring;
    } else if (cJSON_IsString(url)) {
        const char *p = strstr(url->valuestring, prefix);
        id = p ? p + strlen(prefix) : NULL;
    } else if (cJSON_IsString(it)) {
        id = it->valuestring;
    }
    return id && validate_uuid(id) ? id : NULL;
}

/* `attachments` → a uuid[] literal of distinct ids in *ids ("{}" when absent); each
 * must be the sender's own and not yet sent, which the send statement checks. */
static enum result parse_attachments(struct gctx *g, const cJSON *body, const char **ids)
{
    *ids = "{}";
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(body, "attachments");
    if (!a || cJSON_IsNull(a))
        return R_SUCCESS;
    if (!cJSON_IsArray(a))
        return gctx_fail_field(g, "attachments", "must be an array");
    int n = cJSON_GetArraySize(a);
    if (n > MAX_ATTACHMENTS)
        return gctx_fail_field(g, "attachments", arena_sprintf(g->a, "must contain at most %d items", MAX_ATTACHMENTS));
    const char **items = arena_alloc(g->a, sizeof(char *) * (size_t)(n ? n : 1));
    int i = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, a)
    {
        const char *id = attachment_id(it);
        if (!id)
            return gctx_fail_field(g, "attachments", "each item must be an uploaded attachment (id or url)");
        for (int k = 0; k < i; k++)
            if (!strcasecmp(items[k], id))
                return gctx_fail_field(g, "attachments", "must not repeat an attachment");
        items[i++] = id;
    }
    *ids = validate_text_array(g->a, items, i);
    return R_SUCCESS;
}

/* The answer of st_msg_send's row: each refusal in the order the old separate checks
 * gave them (trust, then participation, attachments, quota). */
static enum result send_outcome(struct gctx *g, PGresult *r)
{
    if (db_bool(r, 0, 1))
        return gctx_fail(g, R_FORBIDDEN, TRUST_BLOCKED_MSG);
    if (db_bool(r, 0, 2))
        return gctx_fail(g, R_NOTFOUND, "User not found");
    if (!db_bool(r, 0, 0))
        return gctx_fail(g, R_NOTFOUND, "Conversation not found");
    if (!db_bool(r, 0, 3))
        return gctx_fail_field(g, "attachments", "contains an attachment that is not yours or was already sent");
    enum result rc = ratelimit_answer(g, db_val(r, 0, 4), RATELIMIT_QUOTA_MSG);
    if (rc)
        return rc;
    if (!db_val(r, 0, 5)) {
        log_error("messaging: send passed its checks but stored no message");
        return gctx_fail(g, R_ERR, "Internal error");
    }
    return R_SUCCESS;
}

/* st_msg_send (lib/sql/messaging.sql) is the whole send: checks, quota hit, message,
 * attachments, notification, in one statement that commits on its own. */
enum result messaging_send(struct gctx *g, const char *conv_id, const cJSON *body, const char **json)
{
    enum result rc = check_id(g, conv_id);
    if (rc)
        return rc;
    struct vvalue v[1];
    const char *att_ids;
    /* both checks run, so one answer names every bad field */
    enum result vr = validate(g, body, send_fields, v);
    enum result ar = parse_attachments(g, body, &att_ids);
    if (vr || ar)
        return gctx_fail(g, R_INVALID, "Validation failed");
    PGresult *r;
    /* never retried: a send the server committed before the connection broke would be
     * stored twice */
    rc = DB_RUN_ONCE(g, &r, &st_msg_send, conv_id, g->user_id, v[0].s, att_ids, cfg.public_url,
                ratelimit_quota_key(g, "msg", g->user_id), arena_sprintf(g->a, "%ld", cfg.quota_messages),
                "3600");
    if (rc || (rc = send_outcome(g, r)))
        return rc;
    /* Committed: the notification goes out with the request's events, the message on the
     * conversation's channel. */
    db_add_events(g, db_val(r, 0, 6));
    *json = db_val(r, 0, 5);
    realtime_publish(g->a, REALTIME_CONVERSATION, conv_id, "message", *json);
    return R_SUCCESS;
}

/* ---- read and typing ---- */

/* The read position moves to the newest committed message (never back), so a
 * message committing after this statement stays unread; the caller's coalesced
 * new_message notification for the conversation is marked read with it. */
STMT(st_msg_read,
     "WITH cp AS (UPDATE conversation_participants SET last_read_at = greatest(last_read_at,"
     "              coalesce((SELECT max(created_at) FROM messages WHERE conversation_id = $1::uuid), last_read_at))"
     "            WHERE conversation_id = $1::uuid AND user_id = $2::uuid RETURNING 1),"
     " n AS (UPDATE notifications SET read_at = now()"
     "       WHERE user_id = $2::uuid AND type = 'new_message' AND read_at IS NULL"
     "       AND data->>'conversation_id' = $1::uuid::text AND EXISTS (SELECT 1 FROM cp) RETURNING 1)"
     " SELECT (SELECT count(*) FROM cp), (SELECT count(*) FROM n)");

/* Publishes {"user_id": caller} as event `type` on the conversation's channel. */
static void publish_user_event(struct gctx *g, const char *conv_id, const char *type)
{
    struct buf b;
    buf_init(&b, g->a, 64);
    buf_puts(&b, "{\"user_id\":");
    buf_json_str(&b, g->user_id);
    buf_putc(&b, '}');
    realtime_publish(g->a, REALTIME_CONVERSATION, conv_id, type, b.p);
}

enum result messaging_read(struct gctx *g, const char *conv_id)
{
    enum result rc = check_id(g, conv_id);
    if (rc)
        return rc;
    PGresult *r;
    rc = DB_RUN(g, &r, &st_msg_read, conv_id, g->user_id);
    if (rc)
        return rc;
    if (db_ll(r, 0, 0) != 1)
        return gctx_fail(g, R_NOTFOUND, "Conversation not found");
    publish_user_event(g, conv_id, "read");
    return R_SUCCESS;
}

enum result messaging_typing(struct gctx *g, const char *conv_id)
{
    enum result rc = messaging_check_participant(g, conv_id);
    if (rc)
        return rc;
    publish_user_event(g, conv_id, "typing");
    return R_SUCCESS;
}
