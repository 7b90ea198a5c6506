-- applications.sql — the applications module's long statements (tools/sql2h makes
-- sql_applications.h). Paste a block into psql with PREPARE or EXPLAIN to look at its plan.

-- name: st_app_insert
-- Applies ($1 gig, $2 applicant) and, in the same statement, counts the application in
-- gig_stats (sql/026; an upsert, after the caller has locked the gig row: the lock order
-- of every writer of the counts) and notifies its poster, or every member of its
-- organization (gig_audience, sql/008).
WITH a AS (
    INSERT INTO applications (gig_id, applicant_id, cover_letter, proposed_rate, proposed_timeline,
                              portfolio_items, ai_tools_to_use)
    VALUES ($1, $2, $3, $4::bigint, $5, coalesce($6::text[], '{}'), coalesce($7::text[], '{}'))
    RETURNING *),
counted AS (
    INSERT INTO gig_stats AS s (gig_id, applications_count) SELECT a.gig_id, 1 FROM a
    ON CONFLICT (gig_id) DO UPDATE SET applications_count = s.applications_count + 1),
c AS (SELECT title, poster_id, organization_id FROM gigs WHERE id = $1),
n AS (
    SELECT notify(m.uid, 'new_application', 'New application',
                  p.username || ' applied to "' || c.title || '"',
                  jsonb_build_object('application_id', a.id, 'gig_id', a.gig_id, 'applicant_id', a.applicant_id))
           AS nid
      FROM a, c, profiles p, gig_audience(c.organization_id, c.poster_id) m(uid) WHERE p.id = a.applicant_id)
SELECT application_json(ROW(a.*)::applications), (SELECT count(nid) FROM n) FROM a
