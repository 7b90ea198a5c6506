-- 019_alerts: saved searches raising gig_alert notifications, notification preferences
-- (per type × channel, quiet hours) honoured where pushes and mails are queued, and
-- gig_update notifications to a gig's applicants.

-- ---- saved searches ----
-- The filters are GET /api/gigs's, checked by the same parser (lib/gigs_search.c) and
-- stored in the form the search binds them (minor units, text[], an interval), so the
-- match below is the search's own WHERE clause read the other way round.
-- anchors: the terms a gig must share with the search for it to be a candidate at all
-- (saved_search_anchors): the gig side is gig_alert_anchors(); a GIN index finds the
-- candidates, so one activation costs the searches sharing a term with the gig, not
-- every saved search.
CREATE TABLE saved_searches (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id         uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name            text CHECK (length(name) BETWEEN 1 AND 100),
    filters         jsonb NOT NULL,            -- as the client sent them (checked), for display
    search          text,
    category        text,
    skills          text[],
    ai_tools        text[],
    budget_min      bigint,
    budget_max      bigint,
    location_type   text,
    posted_within   interval,
    anchors         text[] NOT NULL,
    last_alert_at   timestamptz,               -- the last gig_alert of this search
    pending_count   integer NOT NULL DEFAULT 0, -- matches held back since (the next alert's digest)
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX saved_searches_user_idx ON saved_searches (user_id, created_at DESC);
CREATE INDEX saved_searches_anchors_idx ON saved_searches USING gin (anchors);
-- The alert-digests job's work: searches holding back matches (few), by age of their alert.
CREATE INDEX saved_searches_digest_idx ON saved_searches (last_alert_at) WHERE pending_count > 0;

-- The quoted lexemes of the positive part of a web search (querytree drops negations):
-- a gig matching the query contains at least one of them.
CREATE FUNCTION tsquery_lexemes(q text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT coalesce(array_agg(DISTINCT replace(m[1], '''''', '''')), '{}')
     FROM regexp_matches(querytree(websearch_to_tsquery('english'::regconfig, q)),
                         '''((?:[^'']|'''')*)''', 'g') AS m $$;

-- One necessary condition of the search, as terms: the category, else any of the skills,
-- else any of the tools, else any word of the text, else the location type, else '*'
-- (only a budget or an age: every gig is a candidate, as such searches are rare).
CREATE FUNCTION saved_search_anchors(category text, skills text[], ai_tools text[], search text,
                                     location_type text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT CASE
    WHEN category IS NOT NULL THEN ARRAY['c:' || category]
    WHEN cardinality(skills) > 0 THEN ARRAY(SELECT 's:' || x FROM unnest(skills) x)
    WHEN cardinality(ai_tools) > 0 THEN ARRAY(SELECT 't:' || x FROM unnest(ai_tools) x)
    WHEN search IS NOT NULL AND cardinality(tsquery_lexemes(search)) > 0
        THEN ARRAY(SELECT 'w:' || x FROM unnest(tsquery_lexemes(search)) x)
    WHEN location_type IS NOT NULL THEN ARRAY['l:' || location_type]
    ELSE ARRAY['*'] END $$;

CREATE FUNCTION gig_alert_anchors(g gigs) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT ARRAY['*', 'c:' || g.category, 'l:' || g.location_type]
       || ARRAY(SELECT 's:' || x FROM unnest(g.skills_required) x)
       || ARRAY(SELECT 't:' || x FROM unnest(g.ai_tools_preferred) x)
       || ARRAY(SELECT 'w:' || x FROM unnest(tsvector_to_array(g.search_tsv)) x) $$;

CREATE FUNCTION saved_search_json(s saved_searches) RETURNS json
LANGUAGE sql STABLE AS
$$ SELECT json_build_object('id', s.id, 'name', s.name, 'filters', s.filters,
    'last_alert_at', iso(s.last_alert_at), 'created_at', iso(s.created_at)) $$;

-- The alert throttle in seconds: the worker sets gigd.alert_min_interval on each
-- connection from GIGD_ALERT_MIN_INTERVAL (lib/db.c); elsewhere (psql) an hour.
CREATE FUNCTION gig_alert_interval() RETURNS interval
LANGUAGE sql STABLE AS
$$ SELECT coalesce(nullif(current_setting('gigd.alert_min_interval', true), ''), '3600')::bigint
          * interval '1 second' $$;

-- A gig became active (created active, published, re-activated): one statement finds
-- the saved searches it matches (candidates through the anchors' GIN index, then the
-- search's own conditions), locks them in id order (concurrent activations queue on the
-- same rows instead of deadlocking, and each sees the other's last_alert_at once it has
-- the lock), alerts those not alerted within gig_alert_interval() with the count held
-- back since as digest_count, and counts the match on the others. Never the poster, nor
-- a user the search would not show the gig to (blocked either way, a taken-down gig),
-- nor an account being deleted (its searches wait for a restore, or its erasure) or
-- suspended.
CREATE FUNCTION gigs_raise_alerts() RETURNS trigger LANGUAGE plpgsql AS
$$
BEGIN
    WITH m AS (
        SELECT s.id, s.user_id, s.name, s.pending_count,
               (s.last_alert_at IS NULL OR s.last_alert_at <= now() - gig_alert_interval()) AS due
          FROM saved_searches s
          -- not during a deletion's grace period (sql/017), nor while suspended (sql/018)
          JOIN users u ON u.id = s.user_id AND u.deleted_at IS NULL AND u.suspended_at IS NULL
         WHERE s.anchors && gig_alert_anchors(NEW)
           AND s.user_id <> NEW.poster_id
           AND NEW.hidden_at IS NULL                       -- a taken-down gig is in no search
           AND NOT blocked_pair(s.user_id, NEW.poster_id)  -- as GET /api/gigs hides it (sql/018)
           AND (s.search IS NULL OR NEW.search_tsv @@ websearch_to_tsquery('english', s.search))
           AND (s.category IS NULL OR NEW.category = s.category)
           AND (s.skills IS NULL OR NEW.skills_required && s.skills)
           AND (s.ai_tools IS NULL OR NEW.ai_tools_preferred && s.ai_tools)
           AND (s.budget_min IS NULL OR coalesce(NEW.budget_max, NEW.budget_min) >= s.budget_min)
           AND (s.budget_max IS NULL OR coalesce(NEW.budget_min, NEW.budget_max) <= s.budget_max)
           AND (s.location_type IS NULL OR NEW.location_type = s.location_type)
           AND (s.posted_within IS NULL OR NEW.created_at >= now() - s.posted_within)
         ORDER BY s.id
           FOR UPDATE OF s),
    u AS (
        UPDATE saved_searches s
           SET last_alert_at = CASE WHEN m.due THEN now() ELSE s.last_alert_at END,
               pending_count = CASE WHEN m.due THEN 0 ELSE s.pending_count + 1 END
          FROM m WHERE s.id = m.id)
    INSERT INTO notifications (user_id, type, title, body, data)
    SELECT m.user_id, 'gig_alert', 'New gig: ' || left(NEW.title, 180),
           CASE WHEN m.pending_count > 0
                THEN format('"%s" matches %s (and %s more since your last alert)',
                            left(NEW.title, 200), coalesce('"' || m.name || '"', 'your saved search'), m.pending_count)
                ELSE format('"%s" matches %s', left(NEW.title, 200), coalesce('"' || m.name || '"', 'your saved search'))
           END,
           jsonb_build_object('gig_id', NEW.id, 'saved_search_id', m.id, 'digest_count', m.pending_count)
      FROM m WHERE m.due;
    RETURN NULL;
END
$$;
CREATE TRIGGER gigs_alert_insert AFTER INSERT ON gigs
    FOR EACH ROW WHEN (NEW.status = 'active') EXECUTE FUNCTION gigs_raise_alerts();
CREATE TRIGGER gigs_alert_activate AFTER UPDATE OF status ON gigs
    FOR EACH ROW WHEN (NEW.status = 'active' AND OLD.status <> 'active') EXECUTE FUNCTION gigs_raise_alerts();

-- ---- gig_update: a material change (title, budget, status) told to its applicants ----
-- Applicants still in the running (not withdrawn, not rejected); the same transaction.
CREATE FUNCTION gigs_notify_update() RETURNS trigger LANGUAGE plpgsql AS
$$
DECLARE changes text[] := ARRAY[]::text[];
BEGIN
    IF NEW.title IS DISTINCT FROM OLD.title THEN changes := changes || 'title'::text; END IF;
    IF NEW.budget_min IS DISTINCT FROM OLD.budget_min OR NEW.budget_max IS DISTINCT FROM OLD.budget_max THEN
        changes := changes || 'budget'::text;
    END IF;
    IF NEW.status IS DISTINCT FROM OLD.status THEN changes := changes || 'status'::text; END IF;
    IF cardinality(changes) = 0 THEN
        RETURN NULL;
    END IF;
    INSERT INTO notifications (user_id, type, title, body, data)
    SELECT a.applicant_id, 'gig_update', 'Gig updated',
           format('"%s" changed: %s', left(NEW.title, 200), array_to_string(changes, ', ')),
           jsonb_build_object('gig_id', NEW.id, 'application_id', a.id, 'changes', to_jsonb(changes),
                              'status', NEW.status)
      FROM applications a
     WHERE a.gig_id = NEW.id AND a.status NOT IN ('withdrawn', 'rejected');
    RETURN NULL;
END
$$;
CREATE TRIGGER gigs_notify_update AFTER UPDATE OF title, budget_min, budget_max, status ON gigs
    FOR EACH ROW
    WHEN (NEW.title IS DISTINCT FROM OLD.title OR NEW.budget_min IS DISTINCT FROM OLD.budget_min
          OR NEW.budget_max IS DISTINCT FROM OLD.budget_max OR NEW.status IS DISTINCT FROM OLD.status)
    EXECUTE FUNCTION gigs_notify_update();

-- ---- notification preferences ----
-- One row per user who changed anything; no row = every type on every channel except
-- email, no quiet hours. channels: {"<type>": {"push": bool, "email": bool}} (in-app is
-- always on). Quiet hours are local times in time_zone (an IANA name, checked against
-- pg_timezone_names when written); start > end spans midnight.
CREATE TABLE notification_preferences (
    user_id      uuid PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    channels     jsonb NOT NULL DEFAULT '{}',
    quiet_start  time,
    quiet_end    time,
    time_zone    text CHECK (length(time_zone) BETWEEN 1 AND 64),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT notification_preferences_quiet CHECK (
        (quiet_start IS NULL) = (quiet_end IS NULL) AND (quiet_start IS NULL) = (time_zone IS NULL)
        AND (quiet_start IS NULL OR quiet_start <> quiet_end))
);

-- Is channel ch of type t on? push: on unless turned off; email: off unless turned on.
CREATE FUNCTION notify_channel_on(p notification_preferences, t text, ch text) RETURNS boolean
LANGUAGE sql STABLE AS
$$ SELECT coalesce((p.channels -> t ->> ch)::boolean, ch = 'push') $$;

-- When a push for this user may go out: now, or the end of their quiet hours when now
-- falls inside them (the push is deferred, not dropped).
CREATE FUNCTION notify_push_at(p notification_preferences) RETURNS timestamptz
LANGUAGE plpgsql STABLE AS
$$
DECLARE local timestamp; t time; ends timestamptz;
BEGIN
    IF p.quiet_start IS NULL THEN
        RETURN now();
    END IF;
    local := now() AT TIME ZONE p.time_zone;
    t := local::time;
    IF NOT (CASE WHEN p.quiet_start < p.quiet_end THEN t >= p.quiet_start AND t < p.quiet_end
                 ELSE t >= p.quiet_start OR t < p.quiet_end END) THEN
        RETURN now();
    END IF;
    ends := (local::date + p.quiet_end) AT TIME ZONE p.time_zone;
    IF ends <= now() THEN
        ends := ends + interval '1 day';
    END IF;
    RETURN ends;
END
$$;

-- Replaces sql/004's: every notification still queues one push per active token, unless
-- its type's push channel is off (then nothing is queued: the fake Expo records nothing);
-- inside quiet hours the push waits until they end; and when the type's email channel is
-- on, the mail outbox (the table lib/mail.c's mail_enqueue writes) gets the notification
-- in the same transaction.
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
          FROM users u WHERE u.id = NEW.user_id AND u.deleted_at IS NULL;
    END IF;
    RETURN NULL;
END
$$;

-- An erased account (sql/017's erase job) keeps neither its saved searches nor its
-- preferences: personal data, needed by nobody else.
CREATE FUNCTION users_erase_alerts() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN
    DELETE FROM saved_searches WHERE user_id = NEW.id;
    DELETE FROM notification_preferences WHERE user_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER users_erase_alerts AFTER UPDATE OF erased_at ON users
    FOR EACH ROW WHEN (NEW.erased_at IS NOT NULL AND OLD.erased_at IS NULL) EXECUTE FUNCTION users_erase_alerts();
