/* router.h — the route table type and the matcher. The table itself is fcgi/routes.c. */
#ifndef GIGD_ROUTER_H
#define GIGD_ROUTER_H
#include <stdbool.h>
#include <stddef.h>
#include "http.h"

typedef void (*handler_fn)(struct request *r);

enum route_flags {
    ROUTE_PUBLIC = 0,
    ROUTE_AUTH = 1 << 0,       /* a valid session is required (401 otherwise) */
    ROUTE_OPTAUTH = 1 << 1,    /* a session is used when present */
    ROUTE_JSON = 1 << 2,       /* body is a JSON object, parsed before the handler runs */
    ROUTE_QTOKEN = 1 << 3,     /* ?access_token= is accepted (EventSource cannot set headers) */
    ROUTE_UPLOAD = 1 << 4,     /* raw body up to the route's own limit, read by the handler */
    /* A public read served by the read replica: a session is used when present and a
     * replica is configured, so the caller reads their own writes (ROUTE_PUBLIC otherwise). */
    ROUTE_READ = 1 << 5,
    /* With GIGD_REQUIRE_EMAIL_VERIFICATION=1, only a user whose address is verified may
     * call it (403 EMAIL_NOT_VERIFIED): posting, applying, messaging and paying. */
    ROUTE_VERIFIED = 1 << 6,
};

struct route {
    const char *method;
    const char *pattern;   /* "/api/gigs/:id/save": ":name" matches one segment */
    handler_fn fn;
    unsigned flags;
};

extern const struct route routes[];
extern const size_t routes_count;

/* Returns the first route matching method and path and fills params; NULL when none.
 * *path_known is set when some route has the path with another method (→ 405). */
const struct route *router_match(const struct route *table, size_t n, const char *method, const char *path,
                                 arena *a, const char **params, int *nparams, bool *path_known);

#endif
