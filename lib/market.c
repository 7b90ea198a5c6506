/* market.c — paging, query-string numbers and list envelopes for the marketplace. */
#include "market.h"
#include "db.h"
#include "validate.h"
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum result market_paging(struct gctx *g, const char *page, const char *limit, struct paging *out)
{
    /* Both checked, so one answer names every bad parameter. */
    bool ok = validate_query_long(g, "page", page, 1, 1, MARKET_PAGE_MAX, &out->page) == R_SUCCESS;
    ok = validate_query_long(g, "limit", limit, MARKET_LIMIT_DEFAULT, 1, MARKET_LIMIT_MAX, &out->limit) == R_SUCCESS && ok;
    if (ok && out->page * out->limit > MARKET_OFFSET_MAX) {
        gctx_fail_field(g, "page", arena_sprintf(g->a, "page × limit must be at most %d (use cursor for deeper pages)",
                                                 MARKET_OFFSET_MAX));
        ok = false;
    }
    out->limit_s = arena_sprintf(g->a, "%ld", out->limit);
    out->offset_s = arena_sprintf(g->a, "%ld", (out->page - 1) * out->limit);
    return ok ? R_SUCCESS : gctx_fail(g, R_INVALID, "Validation failed");
}

const char *market_paginated(struct gctx *g, const struct paging *p, const char *data, long long total)
{
    bool more = (long long)p->page * p->limit < total;
    return arena_sprintf(g->a, "{\"data\":%s,\"total\":%lld,\"page\":%ld,\"limit\":%ld,\"hasMore\":%s}",
                         data ? data : "[]", total, p->page, p->limit, more ? "true" : "false");
}

enum result market_owned_page(struct gctx *g, struct stmt *st, const char *owner, const char *page,
                              const char *limit, const char **json)
{
    struct paging pg;
    enum result rc = market_paging(g, page, limit, &pg);
    if (rc)
        return rc;
    PGresult *r;
    if ((rc = DB_RUN(g, &r, st, owner, pg.limit_s, pg.offset_s)))
        return rc;
    *json = market_paginated(g, &pg, db_val(r, 0, 1), db_ll(r, 0, 0));
    return R_SUCCESS;
}

const char *market_money_param(struct gctx *g, const char *field, const char *s, long long *minor)
{
    /* digits, optionally '.' and one or two digits */
    const char *p = s;
    size_t n = 0, frac = 0;
    bool dot = false;
    for (; *p; p++) {
        if (*p == '.' && !dot && n > 0) {
            dot = true;
        } else if (isdigit((unsigned char)*p)) {
            if (dot)
                frac++;
            else
                n++;
        } else {
            n = 0;
            break;
        }
    }
    if (n == 0 || n > 10 || frac > 2 || (dot && frac == 0)) {
        gctx_fail_field(g, field, "must be a non-negative amount with at most 2 decimals");
        return NULL;
    }
    double d = strtod(s, NULL);
    *minor = (long long)llround(d * 100.0);
    return arena_sprintf(g->a, "%lld", *minor);
}

bool market_bool_param(const char *s, bool *out)
{
    if (!strcmp(s, "true") || !strcmp(s, "1")) {
        *out = true;
        return true;
    }
    if (!strcmp(s, "false") || !strcmp(s, "0")) {
        *out = false;
        return true;
    }
    return false;
}

const char *market_id(const char *s)
{
    return s && validate_uuid(s) ? s : NULL;
}

enum result market_array_paging(struct gctx *g, const char *page, const char *limit, struct paging *out)
{
    bool ok = validate_query_long(g, "limit", limit, MARKET_LIMIT_MAX, 1, MARKET_LIMIT_MAX, &out->limit) == R_SUCCESS;
    if (!ok)
        out->limit = MARKET_LIMIT_MAX;
    ok = validate_query_long(g, "page", page, 1, 1, MARKET_OFFSET_MAX / out->limit, &out->page) == R_SUCCESS && ok;
    out->limit_s = arena_sprintf(g->a, "%ld", out->limit);
    out->offset_s = arena_sprintf(g->a, "%ld", (out->page - 1) * out->limit);
    return ok ? R_SUCCESS : gctx_fail(g, R_INVALID, "Validation failed");
}
