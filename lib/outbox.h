/* outbox.h — delivery of queued push notifications to Expo, run by `gigctl deliver`.
 * Mail has its own outbox in mail.c. */
#ifndef GIGD_OUTBOX_H
#define GIGD_OUTBOX_H
#include "gctx.h"

/* Sends due push rows in paced batches and fetches the receipts that are due; *handled
 * says how many rows were handled. A database failure stops it and is returned. */
enum result outbox_deliver(struct gctx *g, int *handled);

#endif
