-- reviews.sql — the reviews module's long statements (tools/sql2h makes sql_reviews.h).
-- Paste a block into psql with PREPARE or EXPLAIN to look at its plan.

-- name: st_review_insert
-- The review ($1 gig, $2 reviewer, $3 reviewee, $4 rating, $5 comment) and, in the same
-- statement, the reviewee's review_received notification.
WITH r AS (
    INSERT INTO reviews (gig_id, reviewer_id, reviewee_id, rating, comment)
    VALUES ($1, $2, $3, $4::int, $5) RETURNING *),
n AS (
    SELECT notify(r.reviewee_id, 'review_received', 'New review',
                  p.username || ' left you a ' || r.rating || '-star review',
                  jsonb_build_object('review_id', r.id, 'gig_id', r.gig_id, 'rating', r.rating)) AS nid
      FROM r JOIN profiles p ON p.id = r.reviewer_id)
SELECT review_json(ROW(r.*)::reviews, p), (SELECT count(nid) FROM n)
  FROM r JOIN profiles p ON p.id = r.reviewer_id
