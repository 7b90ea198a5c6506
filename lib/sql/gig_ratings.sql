-- gig_ratings.sql — the statements of lib/gig_ratings.c (seed 003 section 3.3).

-- name: st_grat_insert
-- A party of completed project $1 ($2) rates the other party ($3): no row when $2 is not a
-- party, $3 not the other one, or the project not completed (the caller finds out which).
INSERT INTO gig_ratings (project_id, rater_id, ratee_id, overall_rating, professionalism_rating, punctuality_rating,
                         quality_rating, payment_promptness_rating, review_text)
SELECT p.id, $2, $3, $4::smallint, $5::smallint, $6::smallint, $7::smallint, $8::smallint, $9
FROM projects p
WHERE p.id = $1 AND p.status = 'completed' AND $2::uuid IN (p.requester_id, p.provider_id)
  AND $3::uuid = CASE WHEN $2::uuid = p.requester_id THEN p.provider_id ELSE p.requester_id END
RETURNING id;

-- name: st_grat_project
-- The caller's view of a project's ratings: theirs, and the other's once both are in.
SELECT json_build_object(
    'both_submitted', m.id IS NOT NULL AND t.id IS NOT NULL,
    'has_rated', m.id IS NOT NULL,
    'my_rating', CASE WHEN m.id IS NOT NULL THEN gig_rating_json(m) END,
    'their_rating', CASE WHEN m.id IS NOT NULL AND t.id IS NOT NULL THEN gig_rating_json(t) END)
FROM projects p
LEFT JOIN gig_ratings m ON m.project_id = p.id AND m.rater_id = $2
LEFT JOIN gig_ratings t ON t.project_id = p.id AND t.rater_id <> $2
WHERE p.id = $1 AND $2::uuid IN (p.requester_id, p.provider_id);

-- name: st_grat_user
-- Public: user $1's visible ratings (both parties of the project have rated), newest first,
-- a page at a time, with the rater's profile; the average and count over all of them.
WITH v AS (
    SELECT r.* FROM gig_ratings r
    WHERE r.ratee_id = $1
      AND EXISTS (SELECT 1 FROM gig_ratings o WHERE o.project_id = r.project_id AND o.rater_id = r.ratee_id)
)
SELECT json_build_object(
    'average_rating', (SELECT round(avg(overall_rating), 2) FROM v),
    'total_reviews', (SELECT count(*) FROM v),
    'ratings', coalesce((
        SELECT json_agg(gig_rating_json(x) || jsonb_build_object('rater_profile', jsonb_build_object(
                   'id', pr.id, 'username', pr.username, 'display_name', coalesce(pr.full_name, pr.username),
                   'avatar_url', pr.avatar_url)) ORDER BY x.created_at DESC, x.id)
        FROM (SELECT * FROM v ORDER BY created_at DESC, id LIMIT $2::int OFFSET $3::int) x
        JOIN profiles pr ON pr.id = x.rater_id), '[]'),
    'page', $4::int, 'limit', $2::int);
