/* messaging.h — conversations between two users (optionally about a gig), messages
 * with keyset pagination, read positions and typing indicators. Every function acts
 * for g->user_id; a conversation the caller is not part of is R_NOTFOUND. JSON
 * outputs are arena-owned text ready to splice into the envelope. */
#ifndef GIGD_MESSAGING_H
#define GIGD_MESSAGING_H
#include <stdbool.h>
#include "gctx.h"

/* {participant_id, gig_id?} → the one conversation for the pair (and gig); *created
 * tells whether this call made it. */
enum result messaging_open(struct gctx *g, const cJSON *body, const char **json, bool *created);
/* ConversationPreview[] newest activity first; limit_s is the raw ?limit= (may be NULL). */
enum result messaging_list(struct gctx *g, const char *limit_s, const char **json);
/* {data, next_cursor, hasMore, limit, total}: newest first, cursor from a previous page. */
enum result messaging_messages(struct gctx *g, const char *conv_id, const char *cursor, const char *limit_s,
                               const char **json);
/* {content, attachments?} → Message; notifies and publishes after commit. */
enum result messaging_send(struct gctx *g, const char *conv_id, const cJSON *body, const char **json);
/* Marks every message of the conversation read by the caller; publishes "read". */
enum result messaging_read(struct gctx *g, const char *conv_id);
/* Publishes "typing" for the caller (nothing stored). */
enum result messaging_typing(struct gctx *g, const char *conv_id);
/* R_SUCCESS when the caller may subscribe to the conversation's channel. */
enum result messaging_check_participant(struct gctx *g, const char *conv_id);

#endif
