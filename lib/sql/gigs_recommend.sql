-- gigs_recommend.sql — the recommendations statement (tools/sql2h makes sql_gigs_recommend.h).
-- Paste a block into psql with PREPARE or EXPLAIN to look at its plan.

-- name: st_gigs_recommended
-- $1 the caller, $2/$3 the profile's skills and tools (bound, not joined, so the planner
-- sees them), $4 its hourly rate, $5/$6 limit and offset.
-- Candidates: the newest 500 matching active gigs, so the ranking never sorts an
-- unbounded set. Score: 3 per shared skill, 2 per shared tool, up to 2 for a budget that
-- meets the hourly rate, up to 2 for recency (~a week).
WITH cand AS (
    SELECT g FROM gigs g
     WHERE g.status = 'active' AND g.poster_id <> $1
       AND g.hidden_at IS NULL AND NOT blocked_pair(g.poster_id, $1)  -- trust (sql/018)
       AND g.created_at > now() - interval '180 days'
       AND (cardinality($2::text[]) + cardinality($3::text[]) = 0
            OR g.skills_required && $2::text[] OR g.ai_tools_preferred && $3::text[])
     ORDER BY g.created_at DESC LIMIT 500),
scored AS (
    SELECT c.g,
           3 * cardinality(ARRAY(SELECT unnest((c.g).skills_required) INTERSECT SELECT unnest($2::text[])))
         + 2 * cardinality(ARRAY(SELECT unnest((c.g).ai_tools_preferred) INTERSECT SELECT unnest($3::text[])))
         + CASE WHEN $4::bigint IS NULL OR (c.g).budget_max IS NULL THEN 0
                WHEN (c.g).budget_type = 'hourly' AND (c.g).budget_max >= $4::bigint THEN 2
                WHEN (c.g).budget_type = 'hourly' THEN 2.0 * (c.g).budget_max / greatest($4::bigint, 1)
                ELSE 1 END
         + 2.0 / (1 + extract(epoch FROM now() - (c.g).created_at) / 604800) AS score
      FROM cand c)
SELECT (SELECT count(*) FROM cand),
       (SELECT coalesce(json_agg((gig_json(s.g, p)::jsonb || jsonb_build_object('match_score', round(s.score, 2)))
                                 ORDER BY s.score DESC, (s.g).created_at DESC), '[]')
          FROM (SELECT * FROM scored ORDER BY score DESC, (g).created_at DESC LIMIT $5::int OFFSET $6::int) s
          JOIN profiles p ON p.id = (s.g).poster_id)
