/* mail.h — the mail outbox: enqueue inside the caller's transaction; deliver from gigctl. */
#ifndef GIGD_MAIL_H
#define GIGD_MAIL_H
#include "gctx.h"

/* Queues a plain-text mail; runs in the caller's transaction if one is open. */
enum result mail_enqueue(struct gctx *g, const char *to, const char *subject, const char *text);
/* Sends up to `batch` due mails over SMTP (GIGD_SMTP_URL); *claimed says how many were
 * sent or rescheduled. Stops at the first database failure and returns it. */
enum result mail_deliver_batch(struct gctx *g, int batch, int *claimed);

#endif
