-- 022_gaps: gaps left by issues 15 and 17.

-- A user no one can reach: deactivated (in the deletion grace period, or erased since) or
-- suspended. Opening a conversation with them, messaging them, applying to their gigs
-- and calling them are refused as if they did not exist (lib/messaging.c,
-- lib/applications.c, lib/calls.c, next to the blocked_pair checks). Plain SQL so the
-- planner inlines it as one primary-key probe.
CREATE FUNCTION user_unreachable(uid uuid) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT EXISTS (SELECT 1 FROM users u WHERE u.id = uid
                     AND (u.deleted_at IS NOT NULL OR u.suspended_at IS NOT NULL)) $$;

-- Replaces sql/019's: the email channel mails only an address its owner verified (an
-- address nobody proved is theirs may be someone else's). Otherwise the same.
CREATE OR REPLACE FUNCTION notifications_enqueue_push() RETURNS trigger LANGUAGE plpgsql AS
$$
DECLARE p notification_preferences;
BEGIN
    SELECT * INTO p FROM notification_preferences WHERE user_id = NEW.user_id;
    IF notify_channel_on(p, NEW.type, 'push') THEN
        INSERT INTO push_outbox (notification_id, token_id, push_token, payload, dedupe_key, next_attempt_at)
        SELECT NEW.id, t.id, t.push_token,
               jsonb_strip_nulls(jsonb_build_object(
                   'to', t.push_token, 'title', NEW.title, 'body', NEW.body, 'sound', 'default',
                   'data', NEW.data || jsonb_build_object('type', NEW.type, 'notification_id', NEW.id))),
               NEW.id::text || ':' || t.id::text, notify_push_at(p)
        FROM push_tokens t
        WHERE t.user_id = NEW.user_id AND t.active
        ON CONFLICT (dedupe_key) DO NOTHING;
    END IF;
    IF notify_channel_on(p, NEW.type, 'email') THEN
        INSERT INTO mail_outbox (to_addr, subject, body)
        SELECT u.email, NEW.title, coalesce(NEW.body, NEW.title)
               || E'\n\nYou get this mail because email is on for these notifications;'
               || E' change it under notification preferences.\n'
          FROM users u WHERE u.id = NEW.user_id AND u.deleted_at IS NULL AND u.email_verified_at IS NOT NULL;
    END IF;
    RETURN NULL;
END
$$;

-- Replaces sql/018's: the refusal names itself (CONSTRAINT), so a sign-in that loses the
-- race with a suspension answers 403 ACCOUNT_SUSPENDED (lib/auth.c), not 500.
CREATE OR REPLACE FUNCTION sessions_refuse_suspended() RETURNS trigger
LANGUAGE plpgsql AS
$$ DECLARE s timestamptz;
BEGIN
    SELECT suspended_at INTO s FROM users WHERE id = NEW.user_id FOR SHARE;
    IF s IS NOT NULL THEN
        RAISE EXCEPTION 'account suspended'
            USING ERRCODE = 'insufficient_privilege', CONSTRAINT = 'sessions_refuse_suspended';
    END IF;
    RETURN NEW;
END $$;
