/* h_auth.c — the /api/auth routes: thin adapters over lib/auth.c plus the session cookie. */
#include "auth.h"
#include "handlers.h"
#include "respond.h"

static void set_cookie(struct request *r, const char *token)
{
    respond_header(r, "Set-Cookie",
                arena_sprintf(r->a, "%s=%s; Path=/; Max-Age=%d; HttpOnly; Secure; SameSite=Lax", AUTH_COOKIE,
                              token, AUTH_SESSION_SECONDS));
}

static void clear_cookie(struct request *r)
{
    respond_header(r, "Set-Cookie",
                arena_sprintf(r->a, "%s=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax", AUTH_COOKIE));
}

void h_auth_signup(struct request *r)
{
    struct auth_grant gr;
    enum result rc = auth_signup(&r->g, r->json, &gr);
    if (rc) {
        respond_error(r);
        return;
    }
    set_cookie(r, gr.token);
    respond_data(r, 201, gr.json);
}

void h_auth_signin(struct request *r)
{
    struct auth_grant gr;
    enum result rc = auth_signin(&r->g, r->json, &gr);
    if (rc) {
        respond_error(r);
        return;
    }
    set_cookie(r, gr.token);
    respond_data(r, 200, gr.json);
}

void h_auth_signout(struct request *r)
{
    enum result rc = auth_signout(&r->g);
    if (rc == R_SUCCESS)
        clear_cookie(r);
    respond_result(r, rc, 200, NULL);
}

void h_auth_session(struct request *r)
{
    RENDER(r, 200, auth_session_json(&r->g, RENDER_OUT));
}

void h_auth_reset(struct request *r)
{
    /* The same answer whether the account exists or not. */
    respond_result(r, auth_reset_request(&r->g, r->json), 200,
                   "{\"message\":\"If an account exists for that email, a reset link has been sent.\"}");
}

void h_auth_reset_confirm(struct request *r)
{
    respond_result(r, auth_reset_confirm(&r->g, r->json), 200, NULL);
}

void h_auth_password(struct request *r)
{
    respond_result(r, auth_update_password(&r->g, r->json), 200, NULL);
}

void h_auth_verify_email(struct request *r)
{
    RENDER(r, 200, auth_verify_email(&r->g, r->json, RENDER_OUT));
}

void h_auth_verify_resend(struct request *r)
{
    RENDER(r, 200, auth_verify_resend(&r->g, RENDER_OUT));
}

void h_auth_email(struct request *r)
{
    RENDER(r, 200, auth_change_email(&r->g, r->json, RENDER_OUT));
}
