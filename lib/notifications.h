/* notifications.h — the caller's notifications: list, mark read, unread count.
 * Rows are created by notify() in SQL, in the transaction of their cause. */
#ifndef GIGD_NOTIFICATIONS_H
#define GIGD_NOTIFICATIONS_H
#include "gctx.h"

/* PaginatedResult, newest first (page/limit as every list: default 20, max 100; total
 * exact up to MARKET_OFFSET_MAX). unread_only/page/limit are raw query values or NULL.
 * *json lives in g's arena. */
enum result notifications_list(struct gctx *g, const char *unread_only, const char *page, const char *limit,
                               const char **json);
/* Marks one of the caller's notifications read; another user's id is R_NOTFOUND. */
enum result notifications_read(struct gctx *g, const char *id, const char **json);
/* {"updated":N} */
enum result notifications_read_all(struct gctx *g, const char **json);
/* {"count":N} */
enum result notifications_unread_count(struct gctx *g, const char **json);

#endif
