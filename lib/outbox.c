/* outbox.c — the deliverer's hook for non-mail outboxes. Push delivery to Expo is
 * not built yet (issue: messaging, real time and notification delivery). */
#include "outbox.h"

int outbox_deliver(struct gctx *g)
{
    (void)g;
    return 0;
}
