/* auth.c — account and session logic. Hashing happens outside transactions (it is
 * slow on purpose); every multi-row change is one statement or one transaction. */
#include "auth.h"
#include "buf.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "mail.h"
#include "ratelimit.h"
#include "realtime.h"
#include "validate.h"
#include <ctype.h>
#include <sodium.h>
#include <string.h>

/* At or above libsodium's INTERACTIVE; a stored hash with other parameters is rehashed on signin. */
#define PW_OPS crypto_pwhash_OPSLIMIT_INTERACTIVE
#define PW_MEM crypto_pwhash_MEMLIMIT_INTERACTIVE

bool auth_username_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 3 || n > 30)
        return false;
    for (; *s; s++)
        if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '_'))
            return false;
    return true;
}

static bool username_chars_ok(const char *s)
{
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '_'))
            return false;
    return true;
}

static char *lower(arena *a, const char *s)
{
    char *p = arena_strdup(a, s);
    for (char *q = p; *q; q++)
        *q = (char)tolower((unsigned char)*q);
    return p;
}

const char *auth_new_token(arena *a)
{
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    size_t n = sodium_base64_ENCODED_LEN(sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = arena_alloc(a, n);
    sodium_bin2base64(out, n, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
    return out;
}

const char *auth_token_hash_hex(arena *a, const char *token)
{
    unsigned char h[32];
    crypto_generichash(h, sizeof h, (const unsigned char *)token, strlen(token), NULL, 0);
    char *hex = arena_alloc(a, sizeof h * 2 + 1);
    sodium_bin2hex(hex, sizeof h * 2 + 1, h, sizeof h);
    return hex;
}

/* With GIGD_PASSWORD_CONCURRENCY = N > 0, at most N Argon2id computations run at once
 * over every worker (and host) on the database: one of N session advisory locks (class
 * 7340) is held while hashing, and with every slot busy the call is refused at once (429,
 * Retry-After 1) instead of queueing, so the rest of the pool keeps serving. Off by
 * default (0): legitimate bursts of sign-ups would be refused too; an operator under a
 * spread-out attack turns it on (README "Abuse resistance"). */
STMT(st_auth_slot_take, "SELECT s FROM generate_series(1, $1::int) s WHERE pg_try_advisory_lock(7340, s) LIMIT 1");
STMT(st_auth_slot_give, "SELECT pg_advisory_unlock(7340, $1::int)");

static enum result slot_take(struct gctx *g, const char **slot)
{
    *slot = NULL;
    if (cfg.password_concurrency <= 0)
        return R_SUCCESS;
    PGresult *r;
    enum result rc = DB_RUN(g, &r, &st_auth_slot_take, arena_sprintf(g->a, "%ld", cfg.password_concurrency));
    if (rc)
        return rc;
    if (PQntuples(r) != 1) {
        g->retry_after = "1";
        return gctx_fail(g, R_RATELIMITED, "Too many password checks in progress; try again in a moment");
    }
    *slot = arena_strdup(g->a, db_val(r, 0, 0));
    return R_SUCCESS;
}

static void slot_give(struct gctx *g, const char *slot)
{
    PGresult *r;
    if (slot && DB_RUN(g, &r, &st_auth_slot_give, slot))
        log_warn("auth: password slot %s not released (the connection's end releases it)", slot);
}

static enum result hash_password(struct gctx *g, const char *pw, char out[crypto_pwhash_STRBYTES])
{
    const char *slot;
    enum result rc = slot_take(g, &slot);
    if (rc)
        return rc;
    int failed = crypto_pwhash_str(out, pw, strlen(pw), PW_OPS, PW_MEM);
    slot_give(g, slot);
    if (failed) {
        log_error("auth: crypto_pwhash_str failed (out of memory?)");
        return gctx_fail(g, R_ERR, "Internal error");
    }
    return R_SUCCESS;
}

/* *ok: pw matches the stored hash (the check holds a slot, as hashing does). */
static enum result check_password(struct gctx *g, const char *stored, const char *pw, bool *ok)
{
    const char *slot;
    enum result rc = slot_take(g, &slot);
    if (rc)
        return rc;
    *ok = crypto_pwhash_str_verify(stored, pw, strlen(pw)) == 0;
    slot_give(g, slot);
    return R_SUCCESS;
}

/* Spends the same time as a real verification so unknown emails are not told apart. */
static enum result burn_verify(struct gctx *g, const char *pw)
{
    static char dummy[crypto_pwhash_STRBYTES];
    if (!dummy[0] && crypto_pwhash_str(dummy, "not-a-real-password", 19, PW_OPS, PW_MEM) != 0)
        return R_SUCCESS;
    bool ok;
    enum result rc = check_password(g, dummy, pw, &ok);
    if (!rc && ok)
        log_warn("auth: dummy hash matched");
    return rc;
}

/* Argon2id spends 64 MiB and ~180 ms per call, so a client looping on a password route
 * could keep workers busy for everyone: every hashing or check is counted first, per
 * client address and, when an account is named, per account (a refused attempt counts
 * too, and the check itself never runs). */
static enum result throttle_password(struct gctx *g, const char *account)
{
    static const char *msg = "Too many password attempts; try again later";
    enum result rc;
    if (g->client_addr && *g->client_addr &&
        (rc = ratelimit_hit(g, arena_sprintf(g->a, "pw-addr:%s", g->client_addr), 1, cfg.password_addr_max,
                            cfg.password_window, msg)))
        return rc;
    if (account && (rc = ratelimit_hit(g, arena_sprintf(g->a, "pw-user:%s", account), 1, cfg.password_user_max,
                                       cfg.password_window, msg)))
        return rc;
    return R_SUCCESS;
}

/* Ends the real-time streams of the sessions in column 0 of r (after the revocation
 * committed): nchan drops the subscribers of each session's channel. */
static void close_streams(struct gctx *g, PGresult *r)
{
    for (int i = 0; i < PQntuples(r); i++)
        realtime_close_session(g->a, db_val(r, i, 0));
}

static const struct vfield signup_fields[] = {
    {.name = "email", .type = V_EMAIL, .required = true, .max = 254},
    {.name = "password", .type = V_STRING, .required = true, .min = 8, .max = 128},
    {.name = "username", .type = V_STRING, .required = true, .min = 3, .max = 30, .check = username_chars_ok,
     .check_msg = "may contain only letters, digits and _"},
    {.name = "full_name", .type = V_STRING, .nullable = true, .max = 100},
};

/* The account, its profile, its first session and its verification link ($7). */
STMT(st_auth_signup,
     "WITH u AS (INSERT INTO users (email, password_hash) VALUES ($1, $2) RETURNING *),"
     " p AS (INSERT INTO profiles (id, username, full_name) SELECT id, $3, $4 FROM u RETURNING *),"
     " s AS (INSERT INTO sessions (user_id, token_hash, expires_at)"
     "       SELECT id, decode($5, 'hex'), now() + interval '7 days' FROM u RETURNING expires_at),"
     " v AS (INSERT INTO email_verifications (user_id, email, token_hash, expires_at)"
     "       SELECT id, email, decode($7, 'hex'), now() + interval '24 hours' FROM u)"
     " SELECT json_build_object('user', account_user_json(u, p), 'token', $6::text, 'expires_at', iso(s.expires_at))"
     " FROM u, p, s");

/* A mail carrying a single-use link (verification, reset): what it is for, the link on
 * GIGD_PUBLIC_URL, the bare token for clients that take it by hand, and what to do if the
 * reader did not ask. Queued inside the caller's transaction, so it goes only with the
 * token it carries. */
struct link_mail {
    const char *subject, *intro, *path, *token_label, *ignore;
};

static enum result mail_link(struct gctx *g, const char *email, const struct link_mail *m, const char *token)
{
    const char *link = arena_sprintf(g->a, "%s/%s?token=%s", cfg.public_url, m->path, token);
    const char *text = arena_sprintf(g->a, "%s\r\n%s\r\n\r\n%s: %s\r\n\r\n%s\r\n", m->intro, link,
                                     m->token_label, token, m->ignore);
    return mail_enqueue(g, email, m->subject, text);
}

static enum result mail_verify_link(struct gctx *g, const char *email, const char *token)
{
    static const struct link_mail m = {
        .subject = "Confirm your email address for gigd",
        .intro = "Please confirm that this is your email address for gigd.\r\n\r\nOpen this link within 24 hours:",
        .path = "verify-email",
        .token_label = "Verification token",
        .ignore = "If you did not use this address on gigd, ignore this mail.",
    };
    return mail_link(g, email, &m, token);
}

enum result auth_signup(struct gctx *g, const cJSON *body, struct auth_grant *out)
{
    struct vvalue v[4];
    enum result rc = validate(g, body, signup_fields, v);
    if (rc)
        return rc;
    char hash[crypto_pwhash_STRBYTES];
    if ((rc = throttle_password(g, NULL)) || (rc = hash_password(g, v[1].s, hash)))
        return rc;
    const char *token = auth_new_token(g->a);
    const char *verify = auth_new_token(g->a);
    const char *email = lower(g->a, v[0].s);
    if ((rc = db_begin(g)))
        return rc;
    rc = DB_ONE(g, &out->json, NULL, &st_auth_signup, email, hash, lower(g->a, v[2].s), v[3].text,
                auth_token_hash_hex(g->a, token), token, auth_token_hash_hex(g->a, verify));
    if (rc == R_CONFLICT && db_violated(g, "profiles_username_key"))
        rc = gctx_fail(g, R_CONFLICT, "Username is already taken");
    else if (rc == R_CONFLICT && db_violated(g, "users_email_key"))
        rc = gctx_fail(g, R_CONFLICT, "An account with this email already exists");
    if (!rc)
        rc = mail_verify_link(g, email, verify);
    out->token = token;
    return db_finish(g, rc);
}

static const struct vfield signin_fields[] = {
    {.name = "email", .type = V_STRING, .required = true, .min = 1, .max = 254},
    {.name = "password", .type = V_STRING, .required = true, .min = 1, .max = 128},
};

/* Column 2 (trust): the account is suspended; told only to who knows its password. */
STMT(st_auth_user_by_email,
     "SELECT id, password_hash, suspended_at IS NOT NULL FROM users WHERE email = $1 AND erased_at IS NULL");
STMT(st_auth_rehash, "UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1");
/* Signing in to an account deleted within its grace period restores it (lib/account.c). */
STMT(st_auth_new_session,
     "WITH s AS (INSERT INTO sessions (user_id, token_hash, expires_at)"
     "           VALUES ($1, decode($2, 'hex'), now() + interval '7 days') RETURNING expires_at),"
     " r AS (UPDATE users SET deleted_at = NULL, updated_at = now() WHERE id = $1 AND deleted_at IS NOT NULL"
     "       RETURNING id)"
     " SELECT json_build_object('user', account_user_json(u, p), 'token', $3::text, 'expires_at', iso(s.expires_at),"
     "        'restored', EXISTS (SELECT 1 FROM r))"
     " FROM s, users u JOIN profiles p ON p.id = u.id WHERE u.id = $1");

/* Stores a hash with today's parameters; best effort, the sign-in goes on either way. */
static void rehash(struct gctx *g, const char *uid, const char *pw)
{
    char hash[crypto_pwhash_STRBYTES];
    PGresult *r;
    if (hash_password(g, pw, hash) || DB_RUN(g, &r, &st_auth_rehash, uid, hash))
        log_warn("auth: rehash failed for %s", uid);
}

enum result auth_signin(struct gctx *g, const cJSON *body, struct auth_grant *out)
{
    struct vvalue v[2];
    enum result rc = validate(g, body, signin_fields, v);
    if (rc)
        return rc;
    PGresult *r;
    if ((rc = DB_RUN(g, &r, &st_auth_user_by_email, lower(g->a, v[0].s))))
        return rc;
    static const char *bad = "Invalid email or password";
    /* An unknown address is throttled by its name, so it answers exactly as a known one. */
    if ((rc = throttle_password(g, PQntuples(r) ? db_val(r, 0, 0) : lower(g->a, v[0].s))))
        return rc;
    if (PQntuples(r) == 0)
        return (rc = burn_verify(g, v[1].s)) ? rc : gctx_fail(g, R_UNAUTHORIZED, bad);
    const char *uid = db_val(r, 0, 0);
    const char *stored = db_val(r, 0, 1);
    bool ok;
    if ((rc = check_password(g, stored, v[1].s, &ok)))
        return rc;
    if (!ok)
        return gctx_fail(g, R_UNAUTHORIZED, bad);
    if (db_bool(r, 0, 2)) /* trust: suspended by a moderator (sql/018 also refuses its sessions) */
        return gctx_fail(g, R_SUSPENDED, "This account is suspended");
    if (crypto_pwhash_str_needs_rehash(stored, PW_OPS, PW_MEM) != 0)
        rehash(g, uid, v[1].s);
    const char *token = auth_new_token(g->a);
    rc = DB_ONE(g, &out->json, NULL, &st_auth_new_session, uid, auth_token_hash_hex(g->a, token), token);
    if (rc == R_NOTFOUND) /* the user was deleted since the lookup above */
        return gctx_fail(g, R_ERR, "Internal error");
    /* trust: suspended since the lookup above; sql/022's trigger refused the session */
    if (rc && db_violated(g, "sessions_refuse_suspended"))
        return gctx_fail(g, R_SUSPENDED, "This account is suspended");
    if (rc)
        return rc;
    out->token = token;
    return R_SUCCESS;
}

/* One round trip: find a live session and, when due, slide its expiry. */
STMT(st_auth_verify,
     "WITH s AS (SELECT id, user_id, expires_at, refreshed_at FROM sessions"
     "           WHERE token_hash = decode($1, 'hex') AND revoked_at IS NULL AND expires_at > now()),"
     " r AS (UPDATE sessions SET refreshed_at = now(), expires_at = now() + interval '7 days'"
     "       FROM s WHERE sessions.id = s.id AND s.refreshed_at < now() - interval '24 hours'"
     "       RETURNING sessions.expires_at)"
     " SELECT s.id, s.user_id, u.email_verified_at IS NOT NULL FROM s JOIN users u ON u.id = s.user_id"
     " WHERE u.deleted_at IS NULL");

enum result auth_session_verify(struct gctx *g, const char *token)
{
    size_t n = strlen(token);
    if (n < 16 || n > 128)
        return gctx_fail(g, R_UNAUTHORIZED, "Invalid or expired session");
    PGresult *r;
    enum result rc = DB_RUN(g, &r, &st_auth_verify, auth_token_hash_hex(g->a, token));
    if (rc)
        return rc;
    if (PQntuples(r) != 1)
        return gctx_fail(g, R_UNAUTHORIZED, "Invalid or expired session");
    g->session_id = db_val(r, 0, 0);
    g->user_id = db_val(r, 0, 1);
    g->email_verified = db_bool(r, 0, 2);
    return R_SUCCESS;
}

STMT(st_auth_signout, "UPDATE sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING id");

enum result auth_signout(struct gctx *g)
{
    PGresult *r;
    enum result rc = DB_RUN(g, &r, &st_auth_signout, g->session_id);
    if (rc)
        return rc;
    close_streams(g, r);
    return R_SUCCESS;
}

STMT(st_auth_session,
     "SELECT json_build_object('user', account_user_json(u, p), 'expires_at', iso(s.expires_at))"
     " FROM sessions s JOIN users u ON u.id = s.user_id JOIN profiles p ON p.id = u.id WHERE s.id = $1");

enum result auth_session_json(struct gctx *g, const char **json)
{
    enum result rc = DB_ONE(g, json, NULL, &st_auth_session, g->session_id);
    if (rc == R_NOTFOUND) /* revoked since it was verified */
        return gctx_fail(g, R_UNAUTHORIZED, "Invalid or expired session");
    return rc;
}

static const struct vfield reset_fields[] = {
    {.name = "email", .type = V_EMAIL, .required = true, .max = 254},
};

/* A new link retires every earlier unused one; none is made (nor mailed) while the
 * account had one within the last $3 seconds, so nobody can flood a mailbox. */
STMT(st_auth_reset_create,
     "WITH u AS (SELECT id FROM users WHERE email = $1 AND NOT EXISTS (SELECT 1 FROM password_resets r"
     "           WHERE r.user_id = users.id AND r.created_at > now() - make_interval(secs => $3::int))),"
     " old AS (UPDATE password_resets SET used_at = now() WHERE used_at IS NULL AND user_id IN (SELECT id FROM u))"
     " INSERT INTO password_resets (user_id, token_hash, expires_at)"
     " SELECT id, decode($2, 'hex'), now() + interval '1 hour' FROM u RETURNING user_id");

static enum result mail_reset_link(struct gctx *g, const char *email, const char *token)
{
    static const struct link_mail m = {
        .subject = "Reset your gigd password",
        .intro = "Someone asked to reset the password of your gigd account.\r\n\r\n"
                 "To choose a new password, open this link within one hour:",
        .path = "reset-password",
        .token_label = "Reset token",
        .ignore = "If you did not ask for this, ignore this mail.",
    };
    return mail_link(g, email, &m, token);
}

enum result auth_reset_request(struct gctx *g, const cJSON *body)
{
    struct vvalue v[1];
    enum result rc = validate(g, body, reset_fields, v);
    if (rc)
        return rc;
    const char *email = lower(g->a, v[0].s);
    const char *token = auth_new_token(g->a);
    PGresult *r;
    if ((rc = db_begin(g)) || (rc = DB_RUN(g, &r, &st_auth_reset_create, email, auth_token_hash_hex(g->a, token),
                                                arena_sprintf(g->a, "%ld", cfg.reset_mail_interval))))
        return rc;
    /* No row: no such account, or a link was mailed moments ago. The answer is the same,
     * so addresses cannot be probed. */
    if (PQntuples(r) == 1 && (rc = mail_reset_link(g, email, token)))
        return rc;
    return db_commit(g);
}

static const struct vfield confirm_fields[] = {
    {.name = "token", .type = V_STRING, .required = true, .min = 1, .max = 128},
    {.name = "password", .type = V_STRING, .required = true, .min = 8, .max = 128},
};

STMT(st_auth_reset_use,
     "UPDATE password_resets SET used_at = now()"
     " WHERE token_hash = decode($1, 'hex') AND used_at IS NULL AND expires_at > now() RETURNING user_id");
STMT(st_auth_set_password, "UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1");
STMT(st_auth_retire_resets, "UPDATE password_resets SET used_at = now() WHERE user_id = $1 AND used_at IS NULL");
STMT(st_auth_revoke_all,
     "UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL"
     " AND ($2::uuid IS NULL OR id <> $2::uuid) RETURNING id");

/* Inside the caller's transaction: the new hash, every unused reset link retired, and
 * every session of the user revoked but keep_session (NULL: all of them); *revoked
 * lists the revoked sessions, whose streams end once the caller has committed. */
static enum result set_password(struct gctx *g, const char *uid, const char *hash, const char *keep_session,
                                PGresult **revoked)
{
    PGresult *r;
    enum result rc = DB_RUN(g, &r, &st_auth_set_password, uid, hash);
    if (rc || (rc = DB_RUN(g, &r, &st_auth_retire_resets, uid)))
        return rc;
    return DB_RUN(g, revoked, &st_auth_revoke_all, uid, keep_session);
}

enum result auth_reset_confirm(struct gctx *g, const cJSON *body)
{
    struct vvalue v[2];
    enum result rc = validate(g, body, confirm_fields, v);
    if (rc)
        return rc;
    char hash[crypto_pwhash_STRBYTES];
    if ((rc = throttle_password(g, NULL)) || (rc = hash_password(g, v[1].s, hash)) || (rc = db_begin(g)))
        return rc;
    const char *uid;
    rc = DB_ONE(g, &uid, NULL, &st_auth_reset_use, auth_token_hash_hex(g->a, v[0].s));
    if (rc == R_NOTFOUND)
        return gctx_fail_field(g, "token", "is invalid or expired");
    PGresult *revoked;
    if (rc || (rc = set_password(g, uid, hash, NULL, &revoked)) || (rc = db_commit(g)))
        return rc;
    close_streams(g, revoked);
    return R_SUCCESS;
}

static const struct vfield password_fields[] = {
    {.name = "current_password", .type = V_STRING, .required = true, .min = 1, .max = 128},
    {.name = "new_password", .type = V_STRING, .required = true, .min = 8, .max = 128},
};

STMT(st_auth_hash_of, "SELECT password_hash FROM users WHERE id = $1");

enum result auth_confirm_password(struct gctx *g, const char *field, const char *pw)
{
    const char *stored;
    enum result rc = DB_ONE(g, &stored, NULL, &st_auth_hash_of, g->user_id);
    if (rc == R_NOTFOUND)
        return gctx_fail(g, R_UNAUTHORIZED, "Invalid or expired session");
    bool ok;
    if (rc || (rc = throttle_password(g, g->user_id)) || (rc = check_password(g, stored, pw, &ok)))
        return rc;
    return ok ? R_SUCCESS : gctx_fail_field(g, field, "is incorrect");
}

enum result auth_update_password(struct gctx *g, const cJSON *body)
{
    struct vvalue v[2];
    enum result rc = validate(g, body, password_fields, v);
    if (rc || (rc = auth_confirm_password(g, "current_password", v[0].s)))
        return rc;
    char hash[crypto_pwhash_STRBYTES];
    PGresult *revoked;
    if ((rc = hash_password(g, v[1].s, hash)) || (rc = db_begin(g)) ||
        (rc = set_password(g, g->user_id, hash, g->session_id, &revoked)) || (rc = db_commit(g)))
        return rc;
    close_streams(g, revoked);
    return R_SUCCESS;
}

/* ------------------------------------------------------------ email verification */

static const struct vfield verify_fields[] = {
    {.name = "token", .type = V_STRING, .required = true, .min = 1, .max = 128},
};

/* Spends a link: its user (locked), the address it verifies and the account's address. */
STMT(st_auth_verify_use,
     "WITH v AS (UPDATE email_verifications SET used_at = now()"
     "           WHERE token_hash = decode($1, 'hex') AND used_at IS NULL AND expires_at > now()"
     "           RETURNING user_id, email)"
     " SELECT v.user_id, v.email, u.email FROM v JOIN users u ON u.id = v.user_id"
     " WHERE u.erased_at IS NULL FOR UPDATE OF u");
STMT(st_auth_verified,
     "UPDATE users SET email_verified_at = coalesce(email_verified_at, now()), updated_at = now() WHERE id = $1");
/* A change of address takes effect: every other pending link of the account is retired. */
STMT(st_auth_email_moved,
     "WITH u AS (UPDATE users SET email = $2, email_verified_at = now(), updated_at = now() WHERE id = $1"
     "           RETURNING id)"
     " UPDATE email_verifications SET used_at = now() WHERE user_id IN (SELECT id FROM u) AND used_at IS NULL");
STMT(st_auth_me,
     "SELECT account_user_json(u, p) FROM users u JOIN profiles p ON p.id = u.id WHERE u.id = $1");

/* Inside the caller's transaction: moves user uid from address `from` to address `to`
 * and tells the old address, so a stolen session cannot take the account away unnoticed. */
static enum result move_email(struct gctx *g, const char *uid, const char *from, const char *to)
{
    PGresult *r;
    enum result rc = DB_RUN(g, &r, &st_auth_email_moved, uid, to);
    if (rc == R_CONFLICT && db_violated(g, "users_email_key"))
        return gctx_fail(g, R_CONFLICT, "An account with this email already exists");
    if (rc)
        return rc;
    const char *text = arena_sprintf(g->a,
                                     "The email address of your gigd account was changed to %s.\r\n\r\n"
                                     "If you did not do this, reset your password at once and contact us.\r\n",
                                     to);
    return mail_enqueue(g, from, "Your gigd email address was changed", text);
}

enum result auth_verify_email(struct gctx *g, const cJSON *body, const char **json)
{
    struct vvalue v[1];
    enum result rc = validate(g, body, verify_fields, v);
    if (rc || (rc = db_begin(g)))
        return rc;
    PGresult *r;
    if ((rc = DB_RUN(g, &r, &st_auth_verify_use, auth_token_hash_hex(g->a, v[0].s))))
        goto out;
    if (PQntuples(r) != 1) {
        rc = gctx_fail_field(g, "token", "is invalid or expired");
        goto out;
    }
    const char *uid = db_val(r, 0, 0), *email = db_val(r, 0, 1), *current = db_val(r, 0, 2);
    PGresult *done;
    rc = strcmp(email, current) ? move_email(g, uid, current, email) : DB_RUN(g, &done, &st_auth_verified, uid);
    if (!rc)
        rc = DB_ONE(g, json, "User not found", &st_auth_me, uid);
out:
    return db_finish(g, rc);
}

/* Verification mails cost a send each: every request for one (resend, change of
 * address) counts against the user's hourly allowance. */
static enum result throttle_verify_mail(struct gctx *g)
{
    return ratelimit_hit(g, arena_sprintf(g->a, "verify-mail:%s", g->user_id), 1, cfg.verify_resend_max, 3600,
                         "Too many verification mails; try again later");
}

/* The address waiting for verification: a pending change of address first, else the
 * account's own while it is unverified; NULL when nothing waits. */
STMT(st_auth_verify_pending,
     "SELECT coalesce((SELECT v.email FROM email_verifications v WHERE v.user_id = u.id AND v.used_at IS NULL"
     "                 AND v.expires_at > now() AND v.email <> u.email ORDER BY v.created_at DESC LIMIT 1),"
     "                CASE WHEN u.email_verified_at IS NULL THEN u.email END)"
     " FROM users u WHERE u.id = $1");
/* A new link for $2 retires the user's earlier unused ones for other addresses than $4
 * (the account's own address keeps its sign-up link only when $4 is it). */
STMT(st_auth_verify_new,
     "WITH old AS (UPDATE email_verifications SET used_at = now()"
     "             WHERE user_id = $1 AND used_at IS NULL AND email IS DISTINCT FROM $4)"
     " INSERT INTO email_verifications (user_id, email, token_hash, expires_at)"
     " VALUES ($1, $2, decode($3, 'hex'), now() + interval '24 hours')");

/* Inside a transaction: a fresh link for `email`, mailed there. */
static enum result new_link(struct gctx *g, const char *email, const char *keep)
{
    const char *token = auth_new_token(g->a);
    PGresult *r;
    enum result rc = DB_RUN(g, &r, &st_auth_verify_new, g->user_id, email, auth_token_hash_hex(g->a, token), keep);
    return rc ? rc : mail_verify_link(g, email, token);
}

/* {"pending_email": email} in g's arena. */
static const char *pending_json(struct gctx *g, const char *email)
{
    struct buf b;
    buf_init(&b, g->a, 64);
    buf_puts(&b, "{\"pending_email\":");
    buf_json_str(&b, email);
    buf_putc(&b, '}');
    return b.p;
}

enum result auth_verify_resend(struct gctx *g, const char **json)
{
    const char *email;
    enum result rc = throttle_verify_mail(g);
    if (rc || (rc = DB_ONE(g, &email, NULL, &st_auth_verify_pending, g->user_id)))
        return rc;
    if (!email)
        return gctx_fail(g, R_CONFLICT, "Your email address is already verified");
    if ((rc = db_begin(g)) || (rc = new_link(g, email, NULL)) || (rc = db_commit(g)))
        return rc;
    *json = pending_json(g, email);
    return R_SUCCESS;
}

static const struct vfield email_fields[] = {
    {.name = "email", .type = V_EMAIL, .required = true, .max = 254},
    {.name = "password", .type = V_STRING, .required = true, .min = 1, .max = 128},
};

STMT(st_auth_email_of, "SELECT email FROM users WHERE id = $1");
STMT(st_auth_email_taken, "SELECT EXISTS (SELECT 1 FROM users WHERE email = $1)");

enum result auth_change_email(struct gctx *g, const cJSON *body, const char **json)
{
    struct vvalue v[2];
    enum result rc = validate(g, body, email_fields, v);
    if (rc || (rc = auth_confirm_password(g, "password", v[1].s)))
        return rc;
    const char *email = lower(g->a, v[0].s), *current, *taken;
    if ((rc = DB_ONE(g, &current, "User not found", &st_auth_email_of, g->user_id)) ||
        (rc = DB_ONE(g, &taken, NULL, &st_auth_email_taken, email)))
        return rc;
    if (!strcmp(email, current))
        return gctx_fail_field(g, "email", "is already your address");
    if (taken && taken[0] == 't') /* checked again, under the unique key, when the change takes effect */
        return gctx_fail(g, R_CONFLICT, "An account with this email already exists");
    if ((rc = throttle_verify_mail(g)) || (rc = db_begin(g)))
        return rc;
    const char *text = arena_sprintf(g->a,
                                     "Someone signed in to your gigd account asked to change its email address "
                                     "to %s.\r\nThe change takes effect once that address is confirmed.\r\n\r\n"
                                     "If this was not you, reset your password at once.\r\n",
                                     email);
    if (!(rc = new_link(g, email, current)))
        rc = mail_enqueue(g, current, "A change of your gigd email address was asked for", text);
    if ((rc = db_finish(g, rc)))
        return rc;
    *json = pending_json(g, email);
    return R_SUCCESS;
}
