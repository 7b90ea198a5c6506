-- 017_accounts: email verification (sign-up and change of address) and account
-- deletion (deactivated at once, erased after the grace period by a cron job).

ALTER TABLE users
    ADD COLUMN email_verified_at timestamptz,
    -- Set by DELETE /api/me; cleared by signing in during the grace period.
    ADD COLUMN deleted_at        timestamptz,
    -- Set when the erase job has anonymised the account: it can never sign in again.
    ADD COLUMN erased_at         timestamptz;

-- Accounts made before verification existed were taken as they were: they keep posting.
UPDATE users SET email_verified_at = created_at WHERE email_verified_at IS NULL;

-- The erase job walks only the accounts waiting for it.
CREATE INDEX users_deleted_idx ON users (deleted_at) WHERE deleted_at IS NOT NULL AND erased_at IS NULL;

-- One row per link mailed: for the account's own address (sign-up, resend) or for a new
-- address it asked to move to (PUT /api/auth/email), which takes effect when verified.
CREATE TABLE email_verifications (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id     uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    email       text NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
    token_hash  bytea NOT NULL CONSTRAINT email_verifications_token_key UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX email_verifications_user_idx ON email_verifications (user_id) WHERE used_at IS NULL;
CREATE INDEX email_verifications_expiry_idx ON email_verifications (expires_at);

-- The caller's own user object: user_json plus the verification time. A function of its
-- own (not a new user_json) so that other migrations extending user_json still apply.
CREATE FUNCTION account_user_json(u users, p profiles) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT (user_json(u, p)::jsonb || jsonb_build_object('email_verified_at', iso(u.email_verified_at)))::json $$;

-- Export and erasure find a user's rows by author: without these they would walk the tables.
CREATE INDEX messages_sender_idx ON messages (sender_id, id);
CREATE INDEX reviews_reviewer_idx ON reviews (reviewer_id);
CREATE INDEX gig_ratings_rater_idx ON gig_ratings (rater_id);
