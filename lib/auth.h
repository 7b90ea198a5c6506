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

/* Token helpers shared with other single-use tokens (invitations). */
const char *auth_new_token(arena *a);                 /* base64url of 32 random bytes */
const char *auth_token_hash_hex(arena *a, const char *token);
bool auth_username_ok(const char *s);

#endif
