/* respond.c — envelope rendering; result → (status, code) in one table. */
#include "respond.h"
#include "log.h"
#include "util.h"
#include <stdio.h>
#include <string.h>

static const struct {
    enum result r;
    int status;
    const char *code;
} map[] = {
    {R_SUCCESS, 200, "OK"},
    {R_ERR, 500, "INTERNAL_ERROR"},
    {R_INVALID, 400, "VALIDATION_ERROR"},
    {R_UNAUTHORIZED, 401, "UNAUTHORIZED"},
    {R_LIMIT, 402, "LIMIT_EXCEEDED"},
    {R_FORBIDDEN, 403, "FORBIDDEN"},
    {R_NOTFOUND, 404, "NOT_FOUND"},
    {R_METHOD, 405, "METHOD_NOT_ALLOWED"},
    {R_CONFLICT, 409, "CONFLICT"},
    {R_GONE, 410, "GONE"},
    {R_TOOLARGE, 413, "PAYLOAD_TOO_LARGE"},
    {R_UNSUPPORTED, 415, "UNSUPPORTED_MEDIA_TYPE"},
    {R_RATELIMITED, 429, "RATE_LIMITED"},
    {R_UPSTREAM, 502, "UPSTREAM_ERROR"},
    {R_UNAVAILABLE, 503, "UNAVAILABLE"},
    {R_TIMEOUT, 503, "TIMEOUT"},
    {R_UNVERIFIED, 403, "EMAIL_NOT_VERIFIED"},
    {R_SUSPENDED, 403, "ACCOUNT_SUSPENDED"}, /* trust: a suspended account signing in */
};

int respond_status(enum result r)
{
    for (size_t i = 0; i < ARRAY_SIZE(map); i++)
        if (map[i].r == r)
            return map[i].status;
    return 500;
}

const char *respond_code(enum result r)
{
    for (size_t i = 0; i < ARRAY_SIZE(map); i++)
        if (map[i].r == r)
            return map[i].code;
    return "INTERNAL_ERROR";
}

void respond_header(struct request *r, const char *name, const char *value)
{
    buf_printf(&r->headers, "%s: %s\r\n", name, value);
}

void respond_data(struct request *r, int status, const char *json)
{
    r->status = status;
    r->out.len = 0;
    buf_puts(&r->out, "{\"success\":true");
    if (json) {
        buf_puts(&r->out, ",\"data\":");
        buf_puts(&r->out, json);
    }
    buf_putc(&r->out, '}');
    r->responded = true;
}

void respond_ok(struct request *r)
{
    respond_data(r, 200, NULL);
}

void respond_error(struct request *r)
{
    enum result res = r->g.res == R_SUCCESS ? R_ERR : r->g.res;
    const char *msg = r->g.err;
    /* Internal details never reach the client. */
    if (res == R_ERR || !msg)
        msg = res == R_ERR ? "Internal error" : respond_code(res);
    r->status = respond_status(res);
    r->out.len = 0;
    buf_puts(&r->out, "{\"success\":false,\"error\":");
    buf_json_str(&r->out, msg);
    buf_puts(&r->out, ",\"code\":\"");
    buf_puts(&r->out, respond_code(res));
    buf_putc(&r->out, '"');
    if (res == R_INVALID && r->g.fields) {
        char *f = cJSON_PrintUnformatted(r->g.fields);
        if (f) {
            buf_puts(&r->out, ",\"fields\":");
            buf_puts(&r->out, f);
            cJSON_free(f);
        }
    }
    buf_putc(&r->out, '}');
    if (res == R_RATELIMITED && r->g.retry_after)
        respond_header(r, "Retry-After", r->g.retry_after);
    r->responded = true;
}

void respond_fail(struct request *r, enum result res, const char *msg)
{
    gctx_fail(&r->g, res, msg);
    respond_error(r);
}

void respond_result(struct request *r, enum result res, int status, const char *json)
{
    if (res == R_SUCCESS)
        respond_data(r, status, json);
    else
        respond_error(r);
}

static const char *reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 429: return "Too Many Requests";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    default: return "Internal Server Error";
    }
}

void respond_flush(struct request *r)
{
    if (!r->fcgx || r->streamed)
        return;
    FCGX_Stream *o = r->fcgx->out;
    FCGX_FPrintF(o, "Status: %d %s\r\n", r->status, reason(r->status));
    if (!strstr(r->headers.p, "Content-Type:"))
        FCGX_PutS("Content-Type: application/json; charset=utf-8\r\n", o);
    FCGX_PutS("Cache-Control: no-store\r\n", o);
    FCGX_PutStr(r->headers.p, (int)r->headers.len, o);
    FCGX_PutS("\r\n", o);
    if (strcmp(r->method, "HEAD") != 0)
        FCGX_PutStr(r->out.p, (int)r->out.len, o);
}
