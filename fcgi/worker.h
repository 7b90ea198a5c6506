/* worker.h — one FastCGI worker: the accept loop and request dispatch. */
#ifndef GIGD_WORKER_H
#define GIGD_WORKER_H
#include "http.h"

/* Serves requests on fd 0 until told to stop or recycled; never returns. */
void worker_run(int worker_id) __attribute__((noreturn));
/* Dispatches one prepared request through the route table (exposed for tests). */
void worker_dispatch(struct request *r);
/* Called before every handler when set. Only the test build's gigd-test sets it
 * (t/hooks/slow.c: requests slowed on purpose for the watchdog tests); NULL in gigd. */
extern void (*worker_test_hook)(struct request *r);

#endif
