/* h_account.c — GET /api/me/export (streamed to the client as it is read) and
 * DELETE /api/me: thin adapters over lib/account.c. */
#include "account.h"
#include "auth.h"
#include "handlers.h"
#include "respond.h"
#include <string.h>

struct export_stream {
    struct request *r;
    bool started;
};

/* The first piece sends the status line and headers, then the envelope's opening; an
 * export that fails before any piece is answered as an ordinary error. */
static bool export_write(void *ctx, const char *p, size_t n)
{
    struct export_stream *s = ctx;
    struct request *r = s->r;
    if (!r->fcgx)
        return true;
    FCGX_Stream *o = r->fcgx->out;
    if (!s->started) {
        s->started = true;
        r->streamed = r->responded = true;
        r->status = 200;
        FCGX_PutS("Status: 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n"
                  "Cache-Control: no-store\r\n"
                  "Content-Disposition: attachment; filename=\"gigd-export.json\"\r\n\r\n"
                  "{\"success\":true,\"data\":",
                  o);
    }
    return FCGX_PutStr(p, (int)n, o) == (int)n;
}

void h_me_export(struct request *r)
{
    struct export_stream s = {r, false};
    enum result rc = account_export(&r->g, export_write, &s);
    if (s.started) {
        if (!rc && r->fcgx)
            FCGX_PutS("}", r->fcgx->out);
        return; /* a failure after the start leaves the body cut short: nothing else to say */
    }
    respond_result(r, rc, 200, NULL);
}

void h_me_delete(struct request *r)
{
    enum result rc = account_delete(&r->g, r->json);
    if (rc == R_SUCCESS)
        respond_header(r, "Set-Cookie",
                       arena_sprintf(r->a, "%s=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax", AUTH_COOKIE));
    respond_result(r, rc, 200,
                   "{\"message\":\"Your account is deactivated and will be erased after the grace period; "
                   "signing in before then restores it.\"}");
}
