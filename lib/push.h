/* push.h — Expo push tokens of the signed-in user. Delivery is lib/outbox.c. */
#ifndef GIGD_PUSH_H
#define GIGD_PUSH_H
#include <stdbool.h>
#include "gctx.h"

/* {push_token, platform, device_id?} → the token object; *created tells 201 from 200.
 * A token registered by another user moves to the caller (the device changed hands);
 * a new token for the same device_id deactivates the device's older tokens. */
enum result push_token_register(struct gctx *g, const cJSON *body, const char **json, bool *created);
/* Deactivates one of the caller's tokens; R_NOTFOUND for anyone else's. */
enum result push_token_deactivate(struct gctx *g, const char *token);

/* ExponentPushToken[...] or ExpoPushToken[...]. */
bool push_token_valid(const char *s);

#endif
