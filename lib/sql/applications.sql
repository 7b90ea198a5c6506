-- applications.sql — the applications module's long statements (tools/sql2h makes
-- sql_applications.h). Paste a block into psql with PREPARE or EXPLAIN to look at its plan.

-- name: st_app_insert
-- Applies ($1 gig, $2 applicant) and, in the same statement, counts the application on
-- the gig (whose row the caller has locked) and notifies its poster, or every member of
-- its organization (gig_audience, sql/008).
WITH a AS (
    INSERT INTO applications (gig_id, applicant_id, cover_letter, proposed_rate, proposed_timeline,
                              portfolio_items, ai_tools_to_use)
    VALUES ($1, $2, $3, $4::bigint, $5, coalesce($6::text[], '{}'), coalesce($7::text[], '{}'))
    RETURNING *),
c AS (
    UPDATE gigs SET applications_count = applications_count + 1 WHERE id = $1
    RETURNING title, poster_id, organization_id),
n AS (
    SELECT notify(m.uid, 'new_application', 'New application',
                  p.username || ' applied to "' || c.title || '"',
                  jsonb_build_object('application_id', a.id, 'gig_id', a.gig_id, 'applicant_id', a.applicant_id))
           AS nid
      FROM a, c, profiles p, gig_audience(c.organization_id, c.poster_id) m(uid) WHERE p.id = a.applicant_id)
SELECT application_json(ROW(a.*)::applications), (SELECT count(nid) FROM n) FROM a
