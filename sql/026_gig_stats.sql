-- 026_gig_stats.sql — the gig counters (views, applications) in a narrow table of their
-- own instead of the wide `gigs` row.
--
-- Every views flush and every application or withdrawal used to UPDATE the gigs row: a
-- row of ~20 columns and 18 indexes on full pages, so the update was rarely HOT and wrote
-- a new tuple plus an entry in each of the 18 indexes (and re-ran nothing useful). Here a
-- counter update touches a ~60-byte row whose only index (the primary key) does not
-- change, on pages kept half empty (fillfactor 50), so it stays HOT: one small tuple, no
-- index entry.
--
-- A gig has a gig_stats row only once something was counted; a missing row means 0 and
-- readers LEFT JOIN and coalesce. Chosen over a row created with every gig (an insert
-- trigger) because the reads cost the same (one primary-key probe either way; a probe
-- that finds nothing is, if anything, cheaper), the writers are single upserts that stay
-- exact under races (INSERT … ON CONFLICT DO UPDATE takes the row lock), gig creation —
-- already 18 index entries — pays nothing more, the many gigs never viewed or applied to
-- cost no rows, and the code that inserts gigs (API, urgent requests, tests, tools)
-- needs to know nothing about it.
CREATE TABLE gig_stats (
    gig_id              uuid PRIMARY KEY REFERENCES gigs (id) ON DELETE CASCADE,
    views_count         bigint NOT NULL DEFAULT 0 CHECK (views_count >= 0),
    applications_count  integer NOT NULL DEFAULT 0 CHECK (applications_count >= 0)
) WITH (fillfactor = 50);

-- No count may change between the copy and the drop (a worker still on the old code
-- would otherwise add a view to a column about to go).
LOCK TABLE gigs IN SHARE ROW EXCLUSIVE MODE;

INSERT INTO gig_stats (gig_id, views_count, applications_count)
SELECT id, views_count, applications_count FROM gigs
 WHERE views_count <> 0 OR applications_count <> 0
 ORDER BY id;

-- The copy is checked gig by gig before the columns go: any difference aborts the
-- migration (one transaction), leaving the old schema as it was.
DO $$
DECLARE bad bigint;
BEGIN
    SELECT count(*) INTO bad
      FROM gigs g LEFT JOIN gig_stats s ON s.gig_id = g.id
     WHERE (g.views_count, g.applications_count)
           IS DISTINCT FROM (coalesce(s.views_count, 0), coalesce(s.applications_count, 0));
    IF bad <> 0 THEN
        RAISE EXCEPTION '026: % gigs would change their counts', bad;
    END IF;
END $$;

ALTER TABLE gigs DROP COLUMN views_count, DROP COLUMN applications_count;

-- The Gig shape of 008, byte for byte, with the two counts read from gig_stats (0 when the
-- gig has no row). One probe of gig_stats' primary key per gig rendered.
CREATE OR REPLACE FUNCTION gig_json(g gigs, p profiles) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT json_build_object(
    'id', g.id,
    'poster_id', CASE WHEN g.organization_id IS NULL THEN g.poster_id END,
    'poster', CASE WHEN p.id IS NULL OR g.organization_id IS NOT NULL THEN NULL ELSE profile_json(p) END,
    'organization_id', g.organization_id, 'category_id', g.category_id,
    'organization', CASE WHEN g.organization_id IS NULL THEN NULL
                    ELSE (SELECT organization_public_json(o) FROM organizations o WHERE o.id = g.organization_id) END,
    'title', g.title, 'description', g.description, 'category', g.category,
    'skills_required', g.skills_required, 'ai_tools_preferred', g.ai_tools_preferred,
    'budget_type', g.budget_type, 'budget_min', money_major(g.budget_min), 'budget_max', money_major(g.budget_max),
    'currency', g.currency, 'duration', g.duration, 'location_type', g.location_type, 'location', g.location,
    'gig_type', g.gig_type, 'status', g.status, 'applications_count', coalesce(s.applications_count, 0),
    'views_count', coalesce(s.views_count, 0), 'created_at', iso(g.created_at), 'updated_at', iso(g.updated_at))
   FROM (SELECT) one LEFT JOIN gig_stats s ON s.gig_id = g.id $$;
