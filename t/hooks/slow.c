/* slow.c — the test-only slow switch of gigd-test, for the watchdog and scoreboard tests
 * (t/api/ops_watchdog.t, t/api/ops_status.t). A request carrying the header
 *   X-Gigd-Test-Sleep: db:SECONDS       spends that long in PostgreSQL (stage "db",
 *                                       statement st_test_sleep: pg_sleep);
 *   X-Gigd-Test-Sleep: handler:SECONDS  sleeps that long in the handler stage;
 * before its route's handler runs.
 * Why it cannot be enabled in production: this file is compiled only with
 * -DGIGD_TEST_HOOKS into build/<variant>/gigd-test (the Makefile), a binary of its own that
 * `make install` never installs and systemd never runs. gigd itself has no such code: its
 * worker_test_hook stays NULL. Even gigd-test arms it only with GIGD_TEST_HOOKS=1 in the
 * environment. */
#ifndef GIGD_TEST_HOOKS
#error "t/hooks/slow.c belongs to the test build only (-DGIGD_TEST_HOOKS)"
#endif
#include "db.h"
#include "http.h"
#include "worker.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>

STMT(st_test_sleep, "SELECT pg_sleep($1::float8)");

static void slow(struct request *r)
{
    const char *v = req_param(r, "HTTP_X_GIGD_TEST_SLEEP");
    if (!v)
        return;
    if (!strncmp(v, "db:", 3)) {
        PGresult *res;
        if (DB_RUN(&r->g, &res, &st_test_sleep, v + 3))
            r->g.res = R_SUCCESS; /* a statement timeout is part of some tests: the route still answers */
    } else if (!strncmp(v, "handler:", 8)) {
        double s = strtod(v + 8, NULL);
        struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
        while (nanosleep(&ts, &ts) != 0)
            ;
    }
}

__attribute__((constructor)) static void arm(void)
{
    const char *e = getenv("GIGD_TEST_HOOKS");
    if (e && !strcmp(e, "1"))
        worker_test_hook = slow;
}
