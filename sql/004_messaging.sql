-- 004_messaging: conversations and messages, video calls, push tokens and the push
-- outbox, attachments. Depends only on 001_core. A gig is referenced by a plain
-- uuid (no foreign key) because the `gigs` table belongs to another migration;
-- it is embedded in JSON only when that table exists (gig_embed()).

-- The gig as JSON when the marketplace's `gigs` table exists, else NULL. Uses the
-- marketplace's own renderer gig_json(gigs, profiles) when it is there; otherwise only
-- a whitelist of public columns (never a raw row: the table may hold payment ids).
CREATE FUNCTION gig_embed(gid uuid) RETURNS json
LANGUAGE plpgsql STABLE AS
$$
DECLARE j json;
BEGIN
    IF gid IS NULL OR to_regclass('gigs') IS NULL THEN
        RETURN NULL;
    END IF;
    IF to_regprocedure('gig_json(gigs,profiles)') IS NOT NULL THEN
        EXECUTE 'SELECT gig_json(g, p) FROM gigs g JOIN profiles p ON p.id = g.poster_id WHERE g.id = $1'
            INTO j USING gid;
    ELSE
        EXECUTE 'SELECT json_build_object(''id'', r->''id'', ''title'', r->''title'', ''status'', r->''status'','
                ' ''poster_id'', r->''poster_id'', ''created_at'', r->''created_at'')'
                ' FROM (SELECT to_jsonb(g) AS r FROM gigs g WHERE g.id = $1) x'
            INTO j USING gid;
    END IF;
    RETURN j;
END
$$;

-- True when the gig exists, or when there is no gigs table to check against.
CREATE FUNCTION gig_exists_or_unknown(gid uuid) RETURNS boolean
LANGUAGE plpgsql STABLE AS
$$
DECLARE found boolean;
BEGIN
    IF gid IS NULL OR to_regclass('gigs') IS NULL THEN
        RETURN true;
    END IF;
    EXECUTE 'SELECT EXISTS (SELECT 1 FROM gigs WHERE id = $1)' INTO found USING gid;
    RETURN found;
END
$$;

-- One conversation per unordered pair of users (and gig). user_a < user_b makes the
-- pair canonical so a unique index can make get-or-create race-free.
CREATE TABLE conversations (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_a           uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    user_b           uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    gig_id           uuid,
    last_message_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (user_a < user_b)
);
CREATE UNIQUE INDEX conversations_pair_key
    ON conversations (user_a, user_b, coalesce(gig_id, '00000000-0000-0000-0000-000000000000'::uuid));

-- Membership and read position. A message is read by a participant when its
-- created_at <= that participant's last_read_at (so "mark read" is one row, not
-- one update per message).
CREATE TABLE conversation_participants (
    conversation_id  uuid NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    user_id          uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    last_read_at     timestamptz NOT NULL DEFAULT '-infinity',
    joined_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (conversation_id, user_id)
);
CREATE INDEX conversation_participants_user_idx ON conversation_participants (user_id);

-- Sending takes the conversation's row lock first (UPDATE conversations) and only then
-- stamps created_at with clock_timestamp(), so within a conversation created_at order
-- is commit order: keyset pages and read positions never skip a late commit.
CREATE TABLE messages (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    conversation_id  uuid NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    sender_id        uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    content          text NOT NULL CHECK (length(content) BETWEEN 1 AND 10000),
    attachments      jsonb NOT NULL DEFAULT '[]',
    created_at       timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX messages_page_idx ON messages (conversation_id, created_at DESC, id DESC);

CREATE FUNCTION conversation_json(c conversations) RETURNS json
LANGUAGE sql STABLE AS
$$ SELECT json_build_object(
    'id', c.id, 'participant_ids', json_build_array(c.user_a, c.user_b),
    'participants', (SELECT json_agg(profile_json(p) ORDER BY p.id) FROM profiles p WHERE p.id IN (c.user_a, c.user_b)),
    'gig_id', c.gig_id, 'gig', gig_embed(c.gig_id),
    'last_message_at', iso(c.last_message_at), 'created_at', iso(c.created_at), 'updated_at', iso(c.updated_at)) $$;

CREATE FUNCTION message_json(m messages) RETURNS json
LANGUAGE sql STABLE AS
$$ SELECT json_build_object(
    'id', m.id, 'conversation_id', m.conversation_id, 'sender_id', m.sender_id,
    'sender', (SELECT profile_json(p) FROM profiles p WHERE p.id = m.sender_id),
    'content', m.content, 'attachments', m.attachments,
    'read_by', (SELECT coalesce(json_agg(cp.user_id ORDER BY cp.user_id), '[]') FROM conversation_participants cp
                WHERE cp.conversation_id = m.conversation_id
                  AND (cp.user_id = m.sender_id OR cp.last_read_at >= m.created_at)),
    'created_at', iso(m.created_at)) $$;

-- New-message notifications are coalesced: at most one unread per conversation per recipient.
CREATE UNIQUE INDEX notifications_new_message_once
    ON notifications (user_id, (data->>'conversation_id'))
    WHERE type = 'new_message' AND read_at IS NULL;

-- Video calls (seed 000 VideoCall).
CREATE TABLE video_calls (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    room_id           text NOT NULL UNIQUE CHECK (room_id ~ '^[A-Za-z0-9_-]{20,64}$'),
    initiator_id      uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    participant_ids   uuid[] NOT NULL CHECK (cardinality(participant_ids) BETWEEN 2 AND 10),
    gig_id            uuid,
    application_id    uuid,
    scheduled_at      timestamptz,
    started_at        timestamptz,
    ended_at          timestamptz,
    reminder_sent_at  timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX video_calls_participants_idx ON video_calls USING gin (participant_ids);
CREATE INDEX video_calls_reminder_idx ON video_calls (scheduled_at)
    WHERE reminder_sent_at IS NULL AND ended_at IS NULL AND scheduled_at IS NOT NULL;

CREATE FUNCTION video_call_json(v video_calls, base_url text) RETURNS json
LANGUAGE sql STABLE AS
$$ SELECT json_build_object(
    'id', v.id, 'room_id', v.room_id, 'join_url', base_url || v.room_id,
    'initiator_id', v.initiator_id,
    'initiator', (SELECT profile_json(p) FROM profiles p WHERE p.id = v.initiator_id),
    'participant_ids', v.participant_ids,
    'participants', (SELECT json_agg(profile_json(p) ORDER BY p.id) FROM profiles p WHERE p.id = ANY (v.participant_ids)),
    'gig_id', v.gig_id, 'application_id', v.application_id,
    'scheduled_at', iso(v.scheduled_at), 'started_at', iso(v.started_at), 'ended_at', iso(v.ended_at),
    'created_at', iso(v.created_at)) $$;

-- Expo push tokens (seed 003 user_push_tokens): several devices per user; a token
-- belongs to the user who registered it last.
CREATE TABLE push_tokens (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id            uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    push_token         text NOT NULL CONSTRAINT push_tokens_token_key UNIQUE CHECK (length(push_token) <= 255),
    platform           text NOT NULL CHECK (platform IN ('ios', 'android', 'web')),
    device_id          text CHECK (length(device_id) <= 255),
    active             boolean NOT NULL DEFAULT true,
    deactivated_reason text,
    last_used_at       timestamptz NOT NULL DEFAULT now(),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX push_tokens_user_idx ON push_tokens (user_id) WHERE active;

CREATE FUNCTION push_token_json(t push_tokens) RETURNS json
LANGUAGE sql STABLE AS
$$ SELECT json_build_object('id', t.id, 'push_token', t.push_token, 'platform', t.platform,
    'device_id', t.device_id, 'active', t.active, 'last_used_at', iso(t.last_used_at),
    'created_at', iso(t.created_at)) $$;

-- One row per (notification, token): dedupe_key makes a second enqueue a no-op.
-- status: pending → sending (claimed) → sent (ticket stored) → delivered | failed;
-- cancelled when the token was deactivated before sending.
CREATE TABLE push_outbox (
    id                bigserial PRIMARY KEY,
    notification_id   uuid REFERENCES notifications(id) ON DELETE CASCADE,
    token_id          uuid NOT NULL REFERENCES push_tokens(id) ON DELETE CASCADE,
    push_token        text NOT NULL,
    payload           jsonb NOT NULL,
    dedupe_key        text NOT NULL CONSTRAINT push_outbox_dedupe_key UNIQUE,
    status            text NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'sending', 'sent', 'delivered', 'failed', 'cancelled')),
    attempts          int NOT NULL DEFAULT 0,
    next_attempt_at   timestamptz NOT NULL DEFAULT now(),
    locked_until      timestamptz,
    ticket_id         text,
    sent_at           timestamptz,
    receipt_due_at    timestamptz,
    receipt_attempts  int NOT NULL DEFAULT 0,
    last_error        text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX push_outbox_due_idx ON push_outbox (next_attempt_at, id) WHERE status IN ('pending', 'sending');
CREATE INDEX push_outbox_receipt_idx ON push_outbox (receipt_due_at, id) WHERE status = 'sent';
CREATE INDEX push_outbox_done_idx ON push_outbox (updated_at) WHERE status IN ('delivered', 'failed', 'cancelled');
CREATE TRIGGER push_outbox_notify AFTER INSERT ON push_outbox
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();

-- Every notification, whichever module writes it, queues one push per active token of
-- its user in the same transaction.
CREATE FUNCTION notifications_enqueue_push() RETURNS trigger LANGUAGE plpgsql AS
$$
BEGIN
    INSERT INTO push_outbox (notification_id, token_id, push_token, payload, dedupe_key)
    SELECT NEW.id, t.id, t.push_token,
           jsonb_strip_nulls(jsonb_build_object(
               'to', t.push_token, 'title', NEW.title, 'body', NEW.body, 'sound', 'default',
               'data', NEW.data || jsonb_build_object('type', NEW.type, 'notification_id', NEW.id))),
           NEW.id::text || ':' || t.id::text
    FROM push_tokens t
    WHERE t.user_id = NEW.user_id AND t.active
    ON CONFLICT (dedupe_key) DO NOTHING;
    RETURN NULL;
END
$$;
CREATE TRIGGER notifications_enqueue_push AFTER INSERT ON notifications
    FOR EACH ROW EXECUTE FUNCTION notifications_enqueue_push();

-- Uploaded attachments: the file lives in GIGD_PRIVATE_DIR/<storage_key>; message_id is
-- set when a message carries it (orphans older than a day are removed by cron cleanup).
CREATE TABLE attachments (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    owner_id     uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    type         text NOT NULL CHECK (length(type) BETWEEN 1 AND 255),
    size         bigint NOT NULL CHECK (size >= 0),
    storage_key  text NOT NULL UNIQUE CHECK (storage_key ~ '^[a-f0-9]{64}$'),
    message_id   uuid REFERENCES messages(id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX attachments_orphan_idx ON attachments (created_at) WHERE message_id IS NULL;
CREATE INDEX attachments_message_idx ON attachments (message_id);
