/* http.h — the request and response of one FastCGI exchange, and pure parsers
 * for its parts (query string, cookies, percent-encoding). */
#ifndef GIGD_HTTP_H
#define GIGD_HTTP_H
#include <stdbool.h>
#include <stddef.h>
#include <fcgiapp.h>
#include "arena.h"
#include "buf.h"
#include "gctx.h"

#define ROUTER_MAX_PARAMS 4

struct kv {
    const char *key, *val;
};

struct request {
    FCGX_Request *fcgx;         /* NULL in unit tests */
    arena *a;
    struct gctx g;
    const char *method, *path, *query, *request_id;
    const char *route;          /* the matched route's pattern (logs), or NULL */
    const char *params[ROUTER_MAX_PARAMS];
    int nparams;
    struct kv *qs;
    int nqs;
    bool qs_bad;                /* malformed percent-encoding */
    const char *body;           /* NUL-terminated copy; body_len excludes the NUL */
    size_t body_len;
    cJSON *json;                /* parsed body of JSON routes (an object) */
    bool auth_via_cookie;
    const char *token;          /* session token presented, if any */
    /* response */
    int status;
    struct buf headers;         /* "Name: value\r\n" lines */
    struct buf out;
    bool responded;
    bool streamed;              /* the handler wrote the response itself (respond_flush skips it) */
};

/* Decodes %XX (and '+' as space when plus_space). NULL on bad escapes or %00. */
char *http_percent_decode(arena *a, const char *s, size_t n, bool plus_space);
/* Splits "a=1&b=2" into decoded pairs; returns count, -1 when malformed. */
int http_parse_query(arena *a, const char *qs, struct kv **out);
/* Finds cookie `name` in a Cookie header value; arena copy or NULL. */
const char *http_cookie(arena *a, const char *header, const char *name);

/* Request accessors. */
const char *req_param(struct request *r, const char *cgi_name);   /* FastCGI param, e.g. HTTP_ORIGIN */
const char *req_query(struct request *r, const char *key);        /* first value or NULL */
const char *req_arg(struct request *r, int i);                    /* route parameter i */

/* Reads the whole body into r->body/r->body_len (NUL-terminated); R_TOOLARGE (set on
 * r->g) when Content-Length exceeds limit. JSON routes get this done by the dispatcher. */
enum result req_read_body(struct request *r, long limit);

/* Response building. */
void respond_header(struct request *r, const char *name, const char *value);

#endif
