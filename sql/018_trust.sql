-- 018_trust.sql — trust and safety (issue 15, items 3 and 4): blocks between users,
-- reports, roles, suspension, takedowns of gigs, messages and reviews, and the
-- append-only audit log of every moderator action.

-- Roles are set only by `gigctl user role EMAIL ROLE`; no HTTP route writes them.
ALTER TABLE users
    ADD COLUMN role text NOT NULL DEFAULT 'user' CONSTRAINT users_role_check CHECK (role IN ('user', 'moderator', 'admin')),
    ADD COLUMN suspended_at timestamptz;

-- Content hidden by moderation stays in its table (for the audit and to be restored):
-- hidden_at is the one column every read tests (`hidden_at IS NULL`), hidden_cause says
-- what hid it, so lifting a suspension restores only what the suspension hid and a
-- takedown outlives it.
ALTER TABLE gigs
    ADD COLUMN hidden_at timestamptz,
    ADD COLUMN hidden_cause text CONSTRAINT gigs_hidden_cause_check CHECK (hidden_cause IN ('takedown', 'suspension')),
    ADD CONSTRAINT gigs_hidden_check CHECK ((hidden_at IS NULL) = (hidden_cause IS NULL));
ALTER TABLE messages
    ADD COLUMN hidden_at timestamptz,
    ADD COLUMN hidden_cause text CONSTRAINT messages_hidden_cause_check CHECK (hidden_cause IN ('takedown', 'suspension')),
    ADD CONSTRAINT messages_hidden_check CHECK ((hidden_at IS NULL) = (hidden_cause IS NULL));
ALTER TABLE reviews
    ADD COLUMN hidden_at timestamptz,
    ADD COLUMN hidden_cause text CONSTRAINT reviews_hidden_cause_check CHECK (hidden_cause IN ('takedown', 'suspension')),
    ADD CONSTRAINT reviews_hidden_check CHECK ((hidden_at IS NULL) = (hidden_cause IS NULL));
-- The unfiltered search total subtracts hidden active gigs: a few rows, found here.
CREATE INDEX gigs_hidden_active_idx ON gigs (poster_id) WHERE hidden_at IS NOT NULL AND status = 'active';
-- Suspension hides (and lifting it shows) the user's messages and reviews by author:
-- messages_sender_idx and reviews_reviewer_idx (sql/017) find them.

-- ---- blocks ----

-- One row per (blocker, blocked); a pair is blocked when either blocked the other.
-- Both directions are index probes: the primary key and blocks_blocked_idx.
CREATE TABLE blocks (
    blocker_id  uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    blocked_id  uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (blocker_id, blocked_id),
    CONSTRAINT blocks_not_self CHECK (blocker_id <> blocked_id)
);
CREATE INDEX blocks_blocked_idx ON blocks (blocked_id, blocker_id);
CREATE INDEX blocks_list_idx ON blocks (blocker_id, created_at DESC, blocked_id);

-- True when a or b blocked the other; false when either is NULL (anonymous viewers).
-- Plain SQL so the planner inlines it into the calling query as two index probes.
CREATE FUNCTION blocked_pair(a uuid, b uuid) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT EXISTS (SELECT 1 FROM blocks WHERE blocker_id = a AND blocked_id = b)
       OR EXISTS (SELECT 1 FROM blocks WHERE blocker_id = b AND blocked_id = a) $$;

-- ---- reports ----

CREATE TABLE reports (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    reporter_id   uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    subject_type  text NOT NULL CHECK (subject_type IN ('user', 'gig', 'message', 'review')),
    subject_id    uuid NOT NULL,
    reason        text NOT NULL CHECK (length(reason) BETWEEN 1 AND 200),
    details       text CHECK (length(details) <= 5000),
    status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved', 'dismissed')),
    resolution    text CHECK (length(resolution) <= 1000),
    resolved_by   uuid REFERENCES users(id) ON DELETE SET NULL,
    resolved_at   timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT reports_once_key UNIQUE (reporter_id, subject_type, subject_id)
);
CREATE INDEX reports_status_idx ON reports (status, created_at DESC, id DESC);
CREATE INDEX reports_created_idx ON reports (created_at DESC, id DESC);

CREATE FUNCTION report_json(r reports) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT json_build_object(
    'id', r.id, 'reporter_id', r.reporter_id, 'subject_type', r.subject_type, 'subject_id', r.subject_id,
    'reason', r.reason, 'details', r.details, 'status', r.status, 'resolution', r.resolution,
    'resolved_by', r.resolved_by, 'resolved_at', iso(r.resolved_at), 'created_at', iso(r.created_at)) $$;

-- ---- audit log ----

-- No foreign keys: the record outlives the accounts and content it names.
CREATE TABLE audit_log (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    actor_id      uuid NOT NULL,
    action        text NOT NULL,
    subject_type  text NOT NULL,
    subject_id    uuid NOT NULL,
    reason        text,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_created_idx ON audit_log (created_at DESC, id DESC);

-- Append-only in the database itself, whoever connects: UPDATE, DELETE and TRUNCATE
-- are refused by triggers (the table owner bypasses privileges, not triggers).
CREATE FUNCTION audit_log_refuse() RETURNS trigger
LANGUAGE plpgsql AS
$$ BEGIN
    RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse();
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM PUBLIC;

-- ---- suspension ----

-- A session is never created for a suspended account. Sign-in refuses them before this
-- (403 ACCOUNT_SUSPENDED); the trigger closes the race with a suspension committing
-- meanwhile: FOR SHARE waits for a suspension in flight and reads its outcome, and a
-- suspension waits for a sign-in holding the lock, then revokes the new session too.
CREATE FUNCTION sessions_refuse_suspended() RETURNS trigger
LANGUAGE plpgsql AS
$$ DECLARE s timestamptz;
BEGIN
    SELECT suspended_at INTO s FROM users WHERE id = NEW.user_id FOR SHARE;
    IF s IS NOT NULL THEN
        RAISE EXCEPTION 'account suspended' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER sessions_refuse_suspended BEFORE INSERT ON sessions
    FOR EACH ROW EXECUTE FUNCTION sessions_refuse_suspended();

-- ---- hidden content in shared functions ----

-- A hidden gig reads only for its managers (as a draft does).
CREATE OR REPLACE FUNCTION gig_readable_or_none(gid uuid, uid uuid) RETURNS boolean
LANGUAGE sql STABLE AS
$$ SELECT gid IS NULL OR EXISTS (SELECT 1 FROM gigs WHERE id = gid
                                 AND ((status <> 'draft' AND hidden_at IS NULL)
                                      OR gig_manager(organization_id, poster_id, uid))) $$;

-- Hidden reviews do not count in a rating.
CREATE OR REPLACE FUNCTION user_rating_json(uid uuid) RETURNS json
LANGUAGE sql STABLE AS
$$ SELECT json_build_object('average', coalesce(round(avg(rating), 2), 0), 'count', count(*))
   FROM reviews WHERE reviewee_id = uid AND hidden_at IS NULL $$;
