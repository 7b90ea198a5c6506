-- applications.sql — the applications module's long statements (tools/sql2h makes
-- sql_applications.h). Paste a block into psql with PREPARE or EXPLAIN to look at its plan.

-- name: st_app_apply
-- The whole application in one statement, in its own (implicit) transaction, like a
-- message send (lib/sql/messaging.sql): one round trip and one commit instead of four.
-- $1 gig, $2 applicant, $3 cover letter, $4 proposed rate (minor units), $5 timeline,
-- $6 portfolio items, $7 AI tools; $8, $9, $10: the applicant's quota (its rate_limits
-- key, max per window — 0 = none —, window in s). Returns one row: (the caller manages
-- the gig, its status, a blocked pair — all NULL when the gig is not found for the
-- caller —, the quota's Retry-After (0 = within it; NULL when a check failed first), the
-- application, the events to publish: gigd_take_events()'s shape).
-- Lock order, as every writer of the counts: the gig row first (k, FOR UPDATE), then its
-- gig_stats row. The checks read before anything writes; the quota is hit only by an
-- apply that passed them. A second application breaks applications_gig_applicant_key
-- and the statement, its quota hit with it. Drafts, taken-down gigs (trust) and gigs of
-- deactivated or suspended posters (sql/022) are not found.
WITH k AS MATERIALIZED (
    SELECT id, title, poster_id, organization_id, status,
           gig_manager(organization_id, poster_id, $2) AS manager,
           blocked_pair(poster_id, $2) AS blocked
      FROM gigs
     WHERE id = $1 AND (status <> 'draft' OR gig_manager(organization_id, poster_id, $2))
       AND (hidden_at IS NULL OR gig_manager(organization_id, poster_id, $2))
       AND NOT user_unreachable(poster_id)
       FOR UPDATE),
q AS MATERIALIZED (
    SELECT CASE WHEN $9::bigint > 0 THEN gigd_rate_hit($8, 1, $9::bigint, $10::int) ELSE 0 END AS wait
      FROM k WHERE NOT k.manager AND NOT k.blocked AND k.status = 'active'),
a AS (
    INSERT INTO applications (gig_id, applicant_id, cover_letter, proposed_rate, proposed_timeline,
                              portfolio_items, ai_tools_to_use)
    SELECT $1, $2, $3, $4::bigint, $5, coalesce($6::text[], '{}'), coalesce($7::text[], '{}')
      FROM q WHERE q.wait = 0
    RETURNING *),
counted AS (
    INSERT INTO gig_stats AS s (gig_id, applications_count) SELECT a.gig_id, 1 FROM a
    ON CONFLICT (gig_id) DO UPDATE SET applications_count = s.applications_count + 1),
n AS (
    INSERT INTO notifications (user_id, type, title, body, data)
    SELECT m.uid, 'new_application', 'New application', p.username || ' applied to "' || k.title || '"',
           jsonb_build_object('application_id', a.id, 'gig_id', a.gig_id, 'applicant_id', a.applicant_id)
      FROM a, k, profiles p, gig_audience(k.organization_id, k.poster_id) m(uid)
     WHERE p.id = a.applicant_id
    RETURNING *)
SELECT k.manager, k.status, k.blocked, (SELECT q.wait FROM q),
       (SELECT application_json(ROW(a.*)::applications) FROM a),
       (SELECT json_agg(json_build_object('user_id', n.user_id,
                                          'notification', notification_json(ROW(n.*)::notifications))
                        ORDER BY n.created_at, n.id) FROM n)
  FROM (SELECT) one LEFT JOIN k ON true


