/* h_messaging.c — thin adapters over lib/messaging.c, lib/calls.c and lib/push.c,
 * plus the two real-time entry points nginx consults before nchan takes over. */
#include "attachments.h"
#include "calls.h"
#include "config.h"
#include "handlers.h"
#include "messaging.h"
#include "push.h"
#include "respond.h"
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void h_conv_open(struct request *r)
{
    const char *json = NULL;
    bool created = false;
    enum result rc = messaging_open(&r->g, r->json, &json, &created);
    respond_result(r, rc, created ? 201 : 200, json);
}

void h_conv_list(struct request *r)
{
    RENDER(r, 200, messaging_list(&r->g, req_query(r, "limit"), RENDER_OUT));
}

void h_conv_messages(struct request *r)
{
    RENDER(r, 200, messaging_messages(&r->g, req_arg(r, 0), req_query(r, "cursor"), req_query(r, "limit"), RENDER_OUT));
}

void h_conv_send(struct request *r)
{
    RENDER(r, 201, messaging_send(&r->g, req_arg(r, 0), r->json, RENDER_OUT));
}

void h_conv_read(struct request *r)
{
    respond_result(r, messaging_read(&r->g, req_arg(r, 0)), 200, NULL);
}

void h_conv_typing(struct request *r)
{
    respond_result(r, messaging_typing(&r->g, req_arg(r, 0)), 200, NULL);
}

/* Cross-site WebSocket hijacking: browsers send cookies on a cross-site WebSocket
 * handshake and WebSockets have no CORS, so a cookie-authenticated subscription must
 * come from our own origin (when the client says where it comes from). */
static bool foreign_origin(struct request *r)
{
    const char *origin = req_param(r, "HTTP_ORIGIN");
    if (!r->auth_via_cookie || !origin || !*origin)
        return false;
    return !config_is_public_origin(origin, strlen(origin));
}

/* Both streams: gigd authorizes, then nginx follows X-Accel-Redirect to an internal
 * nchan location (the original request, WebSocket upgrade included), which subscribes
 * to the channel multiplexed with the session's own: revoking the session deletes that
 * channel (lib/auth.c), and nchan ends the stream. */
static void subscribe(struct request *r, const char *kind, const char *id)
{
    respond_header(r, "X-Accel-Redirect",
                   arena_sprintf(r->a, "/_realtime/%s/%s/%s", kind, id, r->g.session_id));
    respond_ok(r);
}

void h_rt_conversation(struct request *r)
{
    if (foreign_origin(r)) {
        respond_fail(r, R_FORBIDDEN, "Cross-site subscription refused");
        return;
    }
    enum result rc = messaging_check_participant(&r->g, req_arg(r, 0));
    if (rc == R_NOTFOUND)
        respond_fail(r, R_FORBIDDEN, "Not a participant of this conversation");
    else if (rc)
        respond_error(r);
    else
        subscribe(r, "conversations", req_arg(r, 0));
}

/* The user's own channel. */
void h_rt_notifications(struct request *r)
{
    if (foreign_origin(r)) {
        respond_fail(r, R_FORBIDDEN, "Cross-site subscription refused");
        return;
    }
    subscribe(r, "notifications", r->g.user_id);
}

void h_calls_create(struct request *r)
{
    RENDER(r, 201, calls_create(&r->g, r->json, RENDER_OUT));
}

void h_calls_upcoming(struct request *r)
{
    RENDER(r, 200, calls_upcoming(&r->g, req_query(r, "page"), req_query(r, "limit"), RENDER_OUT));
}

void h_calls_history(struct request *r)
{
    RENDER(r, 200, calls_history(&r->g, req_query(r, "limit"), RENDER_OUT));
}

void h_calls_end(struct request *r)
{
    RENDER(r, 200, calls_end(&r->g, req_arg(r, 0), RENDER_OUT));
}

void h_push_register(struct request *r)
{
    const char *json = NULL;
    bool created = false;
    enum result rc = push_token_register(&r->g, r->json, &json, &created);
    respond_result(r, rc, created ? 201 : 200, json);
}

void h_push_delete(struct request *r)
{
    respond_result(r, push_token_deactivate(&r->g, req_arg(r, 0)), 200, NULL);
}

static long body_read(void *ud, char *buf, size_t n)
{
    struct request *r = ud;
    if (!r->fcgx)
        return 0;
    int got = FCGX_GetStr(buf, (int)n, r->fcgx->in);
    return got > 0 ? got : 0;
}

/* The body is streamed (UPLOAD): nginx buffered it whole, the worker parses it in
 * 64 KiB reads straight into the attachment file. */
void h_attachments_upload(struct request *r)
{
    const char *cl = req_param(r, "CONTENT_LENGTH");
    long len = cl && *cl ? strtol(cl, NULL, 10) : 0;
    RENDER(r, 201, attachments_upload(&r->g, req_param(r, "CONTENT_TYPE"), len, body_read, r, RENDER_OUT));
}

/* A byte that may stand as itself in the quoted ASCII fallback filename. */
static bool quoted_char(unsigned char c)
{
    return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/* A byte left unencoded in filename*: letters, digits and "-._~" (a subset of RFC 8187's
 * attr-char that every client reads). */
static bool unreserved_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || (c && strchr("-._~", c));
}

/* RFC 6266: an ASCII fallback filename plus filename* with the UTF-8 name. */
static const char *disposition(arena *a, const char *name)
{
    struct buf b;
    buf_init(&b, a, strlen(name) * 4 + 64);
    buf_puts(&b, "attachment; filename=\"");
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        buf_putc(&b, quoted_char(*p) ? (char)*p : '_');
    buf_puts(&b, "\"; filename*=UTF-8''");
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        if (unreserved_char(*p))
            buf_putc(&b, (char)*p);
        else
            buf_printf(&b, "%%%02X", *p);
    }
    return b.p;
}

/* nginx serves the file from the internal /_private/ location. */
void h_attachments_get(struct request *r)
{
    struct attachments_file f;
    if (attachments_get(&r->g, req_arg(r, 0), &f) != R_SUCCESS) {
        respond_error(r);
        return;
    }
    respond_header(r, "X-Accel-Redirect", arena_sprintf(r->a, "/_private/%s", f.storage_key));
    respond_header(r, "Content-Type", f.type);
    respond_header(r, "Content-Disposition", disposition(r->a, f.name));
    respond_ok(r);
}
