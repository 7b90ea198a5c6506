/* outbox.h — delivery of queued side effects other than mail (push notifications).
 * Filled in by the notification-delivery module; mail has its own in mail.c. */
#ifndef GIGD_OUTBOX_H
#define GIGD_OUTBOX_H
#include "gctx.h"

/* Delivers due outbox rows; returns how many were handled, or -1 on database failure. */
int outbox_deliver(struct gctx *g);

#endif
