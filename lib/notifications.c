/* notifications.c — reads and read-marks of the caller's own notifications. */
#include "notifications.h"
#include "db.h"
#include "market.h"

/* ($1 user, $2 unread only, $3 limit, $4 offset, $5 count cap) → total (exact up to the
 * cap: a user with more never costs a count past what paging can reach), the page. */
STMT(st_notif_list,
     "SELECT (SELECT count(*) FROM (SELECT FROM notifications WHERE user_id = $1"
     "                              AND (NOT $2::boolean OR read_at IS NULL) LIMIT $5::int) c),"
     " (SELECT coalesce(json_agg(notification_json(n) ORDER BY n.created_at DESC, n.id DESC), '[]')"
     "  FROM (SELECT * FROM notifications WHERE user_id = $1 AND (NOT $2::boolean OR read_at IS NULL)"
     "        ORDER BY created_at DESC, id DESC LIMIT $3::int OFFSET $4::int) n)");

enum result notifications_list(struct gctx *g, const char *unread_only, const char *page, const char *limit,
                               const char **json)
{
    bool unread = false;
    enum result rc = R_SUCCESS;
    if (unread_only && !market_bool_param(unread_only, &unread))
        rc = gctx_fail_field(g, "unread_only", "must be true or false");
    struct paging p;
    if (market_paging(g, page, limit, &p))
        rc = R_INVALID;
    if (rc)
        return rc;
    PGresult *r;
    if ((rc = DB_RUN(g, &r, &st_notif_list, g->user_id, unread ? "true" : "false", p.limit_s, p.offset_s,
                     arena_sprintf(g->a, "%d", MARKET_OFFSET_MAX))))
        return rc;
    *json = market_paginated(g, &p, db_val(r, 0, 1), db_ll(r, 0, 0));
    return R_SUCCESS;
}

STMT(st_notif_read,
     "UPDATE notifications SET read_at = coalesce(read_at, now()) WHERE id = $1 AND user_id = $2"
     " RETURNING notification_json(notifications)");

enum result notifications_read(struct gctx *g, const char *id, const char **json)
{
    if (!market_id(id))
        return gctx_fail(g, R_NOTFOUND, "Notification not found");
    return DB_ONE(g, json, "Notification not found", &st_notif_read, id, g->user_id);
}

STMT(st_notif_read_all,
     "WITH u AS (UPDATE notifications SET read_at = now() WHERE user_id = $1 AND read_at IS NULL RETURNING 1)"
     " SELECT json_build_object('updated', count(*)) FROM u");

enum result notifications_read_all(struct gctx *g, const char **json)
{
    return DB_ONE(g, json, NULL, &st_notif_read_all, g->user_id);
}

STMT(st_notif_unread,
     "SELECT json_build_object('count', count(*)) FROM notifications WHERE user_id = $1 AND read_at IS NULL");

enum result notifications_unread_count(struct gctx *g, const char **json)
{
    return DB_ONE(g, json, NULL, &st_notif_unread, g->user_id);
}
