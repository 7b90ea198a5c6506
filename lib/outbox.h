/* outbox.h — delivery of queued push notifications to Expo, run by `gigctl deliver`.
 * Mail has its own outbox in mail.c. */
#ifndef GIGD_OUTBOX_H
#define GIGD_OUTBOX_H
#include "gctx.h"

/* Sends due push rows in paced batches and fetches the receipts that are due; returns
 * how many rows were handled, or -1 when the database failed (the error is on g). */
int outbox_deliver(struct gctx *g);

#endif
