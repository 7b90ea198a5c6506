/* auth.h — accounts and sessions: signup, signin, signout, password reset and change.
 * Passwords: Argon2id (crypto_pwhash_str). Tokens: 256-bit random, stored only as a hash. */
#ifndef GIGD_AUTH_H
#define GIGD_AUTH_H
#include <cjson/cJSON.h>
#include "gctx.h"

#define AUTH_COOKIE "gigd_session"
#define AUTH_SESSION_SECONDS (7 * 24 * 3600)

/* What signup/signin hand back: JSON {user, token, expires_at} and the raw token
 * (for the cookie); both in g's arena. */
struct auth_grant {
    const char *json;
    const char *token;
};

enum result auth_signup(struct gctx *g, const cJSON *body, struct auth_grant *out);
enum result auth_signin(struct gctx *g, const cJSON *body, struct auth_grant *out);
/* Revokes g->session_id. */
enum result auth_signout(struct gctx *g);
/* {user, expires_at} of the current session. */
enum result auth_session_json(struct gctx *g, const char **json);
/* Resolves a presented token: sets g->user_id and g->session_id, refreshing the
 * expiry when the session was last refreshed more than 24 h ago. R_UNAUTHORIZED if invalid. */
enum result auth_session_verify(struct gctx *g, const char *token);
/* Always R_SUCCESS for a well-formed email (no enumeration); mails a link when the account exists. */
enum result auth_reset_request(struct gctx *g, const cJSON *body);
enum result auth_reset_confirm(struct gctx *g, const cJSON *body);
enum result auth_update_password(struct gctx *g, const cJSON *body);
/* R_SUCCESS when pw is g->user_id's password; else a VALIDATION_ERROR on `field` (each
 * check counts against the password throttles). */
enum result auth_confirm_password(struct gctx *g, const char *field, const char *pw);

/* Email verification. A link is single use and lasts 24 h; its hash is stored.
 * verify_email: {token} → *json = the user object (the address it named is verified, or
 * becomes the account's address when it was a change). verify_resend: a new link for the
 * address waiting (a pending change, else the unverified own one), rate limited; R_CONFLICT
 * when none waits. change_email: {email, password} → a link to the new address and a notice
 * to the old; the address changes when the link is used. *json = {"pending_email"}. */
enum result auth_verify_email(struct gctx *g, const cJSON *body, const char **json);
enum result auth_verify_resend(struct gctx *g, const char **json);
enum result auth_change_email(struct gctx *g, const cJSON *body, const char **json);

/* Token helpers shared with other single-use tokens (invitations). */
const char *auth_new_token(arena *a);                 /* base64url of 32 random bytes */
const char *auth_token_hash_hex(arena *a, const char *token);
bool auth_username_ok(const char *s);

#endif
