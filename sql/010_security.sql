-- 010_security: abuse resistance. Fixed-window counters for throttles and quotas
-- (password checks, creations per user), kept in an UNLOGGED table: losing them in a
-- crash only forgives a few minutes of counting, and a hit costs no WAL flush.

CREATE UNLOGGED TABLE rate_limits (
    key           text PRIMARY KEY,
    window_start  timestamptz NOT NULL,
    hits          integer NOT NULL
);
CREATE INDEX rate_limits_window_idx ON rate_limits (window_start);

-- Counts one hit of `cost` against key (at most max per window_s seconds). Returns 0 when
-- allowed, else the seconds until the window ends (the Retry-After). A refused hit still
-- counts, so hammering a closed window does not reopen it early. Inside a transaction that
-- rolls back the hit is undone, which is what a quota wants (a failed create costs nothing).
CREATE FUNCTION gigd_rate_hit(p_key text, p_cost integer, p_max bigint, p_window_s integer)
RETURNS integer LANGUAGE sql AS
$$ INSERT INTO rate_limits AS r (key, window_start, hits) VALUES (p_key, now(), p_cost)
   ON CONFLICT (key) DO UPDATE SET
       window_start = CASE WHEN r.window_start <= now() - make_interval(secs => p_window_s)
                           THEN now() ELSE r.window_start END,
       hits = CASE WHEN r.window_start <= now() - make_interval(secs => p_window_s)
                   THEN p_cost ELSE least(r.hits::bigint + p_cost, 2000000000)::integer END
   RETURNING CASE WHEN hits <= p_max THEN 0
                  ELSE greatest(1, ceil(extract(epoch FROM window_start + make_interval(secs => p_window_s)
                                                           - now())))::integer END $$;

-- Reset links: looked up by user when a newer one, a reset or a password change retires them.
CREATE INDEX password_resets_user_idx ON password_resets (user_id, created_at) WHERE used_at IS NULL;

-- A gig the user may name in a conversation or a call: none, or one the user may read
-- (a draft only for those who manage it: its poster, or its organization's members), so a
-- draft cannot be embedded by whoever knows its id.
CREATE FUNCTION gig_readable_or_none(gid uuid, uid uuid) RETURNS boolean
LANGUAGE sql STABLE AS
$$ SELECT gid IS NULL OR EXISTS (SELECT 1 FROM gigs WHERE id = gid
                                 AND (status <> 'draft' OR gig_manager(organization_id, poster_id, uid))) $$;
