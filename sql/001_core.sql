-- 001_core: users, profiles, sessions, password resets, the mail outbox,
-- and the JSON renderers every module shares.

CREATE EXTENSION IF NOT EXISTS pgcrypto;

-- RFC 3339 UTC with second precision, as the contract writes times.
CREATE FUNCTION iso(t timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') $$;

-- Minor units (integer) to a JSON number in major units.
CREATE FUNCTION money_major(minor bigint) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT round(minor::numeric / 100, 2) $$;

CREATE TABLE users (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email          text NOT NULL CONSTRAINT users_email_key UNIQUE
                   CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
    password_hash  text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE profiles (
    id                 uuid PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    username           text NOT NULL CONSTRAINT profiles_username_key UNIQUE
                       CHECK (username ~ '^[a-z0-9_]{3,30}$'),
    full_name          text CHECK (length(full_name) <= 100),
    avatar_url         text CHECK (length(avatar_url) <= 2048),
    bio                text CHECK (length(bio) <= 5000),
    skills             text[] NOT NULL DEFAULT '{}' CHECK (cardinality(skills) <= 50),
    ai_tools           text[] NOT NULL DEFAULT '{}' CHECK (cardinality(ai_tools) <= 50),
    hourly_rate        bigint CHECK (hourly_rate >= 0),           -- minor units
    portfolio_urls     text[] NOT NULL DEFAULT '{}' CHECK (cardinality(portfolio_urls) <= 20),
    location           text CHECK (length(location) <= 200),
    timezone           text CHECK (length(timezone) <= 64),
    genres             text[] NOT NULL DEFAULT '{}' CHECK (cardinality(genres) <= 50),
    is_available       boolean NOT NULL DEFAULT true,
    profile_completed  boolean NOT NULL DEFAULT false,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);

-- The public Profile shape of seed 000 (never the email).
CREATE FUNCTION profile_json(p profiles) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT json_build_object(
    'id', p.id, 'username', p.username, 'full_name', p.full_name, 'avatar_url', p.avatar_url,
    'bio', p.bio, 'skills', p.skills, 'ai_tools', p.ai_tools,
    'hourly_rate', money_major(p.hourly_rate), 'portfolio_urls', p.portfolio_urls,
    'location', p.location, 'timezone', p.timezone, 'genres', p.genres,
    'is_available', p.is_available, 'profile_completed', p.profile_completed,
    'created_at', iso(p.created_at), 'updated_at', iso(p.updated_at)) $$;

-- The signed-in user as auth routes return it.
CREATE FUNCTION user_json(u users, p profiles) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT json_build_object('id', u.id, 'email', u.email, 'username', p.username,
    'full_name', p.full_name, 'avatar_url', p.avatar_url, 'created_at', iso(u.created_at)) $$;

CREATE TABLE sessions (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id       uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash    bytea NOT NULL CONSTRAINT sessions_token_key UNIQUE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    refreshed_at  timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    revoked_at    timestamptz
);
CREATE INDEX sessions_user_idx ON sessions (user_id) WHERE revoked_at IS NULL;
CREATE INDEX sessions_expiry_idx ON sessions (expires_at);

CREATE TABLE password_resets (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id     uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash  bytea NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX password_resets_expiry_idx ON password_resets (expires_at);

-- Mail is written here in the transaction of its cause; `gigctl deliver` sends it.
CREATE TABLE mail_outbox (
    id               bigserial PRIMARY KEY,
    to_addr          text NOT NULL,
    subject          text NOT NULL,
    body             text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    attempts         int NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    locked_until     timestamptz,
    sent_at          timestamptz,
    last_error       text
);
CREATE INDEX mail_outbox_due_idx ON mail_outbox (next_attempt_at) WHERE sent_at IS NULL;

-- Wakes the deliverer as soon as something is queued (it also polls).
CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN PERFORM pg_notify('gigd_outbox', TG_TABLE_NAME); RETURN NULL; END $$;
CREATE TRIGGER mail_outbox_notify AFTER INSERT ON mail_outbox
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();

-- Subscriptions (seed 000): one row per user that ever started a checkout; no row = free.
-- The payments module fills it from Stripe; the marketplace asks user_is_pro().
CREATE TABLE subscriptions (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id                 uuid NOT NULL UNIQUE REFERENCES users(id) ON DELETE CASCADE,
    stripe_customer_id      text UNIQUE,
    stripe_subscription_id  text UNIQUE,
    status                  text NOT NULL DEFAULT 'incomplete'
                            CHECK (status IN ('active', 'canceled', 'past_due', 'trialing', 'incomplete')),
    plan                    text NOT NULL DEFAULT 'free' CHECK (plan IN ('free', 'pro')),
    current_period_start    timestamptz,
    current_period_end      timestamptz,
    cancel_at_period_end    boolean NOT NULL DEFAULT false,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION user_is_pro(uid uuid) RETURNS boolean
LANGUAGE sql STABLE AS
$$ SELECT EXISTS (SELECT 1 FROM subscriptions
                  WHERE user_id = uid AND plan = 'pro' AND status IN ('active', 'trialing', 'past_due')) $$;

-- Notifications (seed 000 + seed 003 push types), written in the transaction of their cause.
CREATE TABLE notifications (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id     uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    type        text NOT NULL CHECK (type ~ '^[a-z_]{1,40}$'),
    title       text NOT NULL CHECK (length(title) <= 200),
    body        text CHECK (length(body) <= 2000),
    data        jsonb NOT NULL DEFAULT '{}',
    read_at     timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notifications_user_idx ON notifications (user_id, created_at DESC);
CREATE INDEX notifications_unread_idx ON notifications (user_id) WHERE read_at IS NULL;

CREATE FUNCTION notification_json(n notifications) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT json_build_object('id', n.id, 'user_id', n.user_id, 'type', n.type, 'title', n.title,
    'body', n.body, 'data', n.data, 'read_at', iso(n.read_at), 'created_at', iso(n.created_at)) $$;

-- The one way to create a notification; later modules hook push/real-time delivery here.
CREATE FUNCTION notify(uid uuid, ntype text, ntitle text, nbody text, ndata jsonb) RETURNS uuid
LANGUAGE sql AS
$$ INSERT INTO notifications (user_id, type, title, body, data)
   VALUES (uid, ntype, ntitle, nbody, coalesce(ndata, '{}')) RETURNING id $$;
