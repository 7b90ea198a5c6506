/* gctx.h — what a domain call needs: memory, database, who is asking, and
 * where to put an error. lib/ knows nothing of FastCGI; fcgi/ builds one per request. */
#ifndef GIGD_GCTX_H
#define GIGD_GCTX_H
#include <stdbool.h>
#include <cjson/cJSON.h>
#include "arena.h"
#include "result.h"

struct db;

struct gctx {
    arena *a;
    struct db *db;
    const char *user_id;      /* authenticated user, or NULL */
    const char *session_id;   /* session used to authenticate, or NULL */
    bool email_verified;      /* the authenticated user's address is verified */
    const char *client_addr;  /* the client's address (per-address throttles), or NULL */
    /* Error of the last failed call: message is client-safe. */
    enum result res;
    const char *err;
    const char *constraint;   /* the constraint a failed statement violated, or NULL */
    const char *sqlstate;     /* SQLSTATE of the last failed statement, or NULL */
    cJSON *fields;            /* VALIDATION_ERROR fields, owned by the arena */
    const char *retry_after;  /* seconds, for R_RATELIMITED */
    const char *events;       /* JSON of notifications committed by this request, to publish */
};

/* Records an error and returns it, so callers can `return gctx_fail(g, R_X, "...")`.
 * Errors travel as the return value: callers propagate it (`rc = f(g, ...); if (rc)
 * return rc;`); g->res/err only carry the message to the one place that renders it. */
static inline enum result gctx_fail(struct gctx *g, enum result r, const char *msg)
{
    /* Inline so that analyzers see every failure path return its non-zero result. */
    g->res = r;
    g->err = msg;
    return r;
}
/* A validation error naming one field (R_INVALID); several calls collect several fields. */
enum result gctx_fail_field(struct gctx *g, const char *field, const char *msg);
/* Parses JSON owned by the arena (cJSON_Delete at reset); NULL on bad JSON. */
cJSON *gctx_json_parse(struct gctx *g, const char *s, size_t len);
/* A cJSON tree freed at arena reset. */
cJSON *gctx_own(struct gctx *g, cJSON *j);

#endif
