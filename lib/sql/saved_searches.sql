-- saved_searches.sql — the saved-search module's long statements (tools/sql2h makes
-- sql_saved_searches.h). Paste a block into psql with PREPARE or EXPLAIN to look at its plan.

-- name: st_ss_insert
-- ($1 user, $2 name, $3 search, $4 category, $5 skills, $6 ai_tools, $7 budget_min,
-- $8 budget_max (minor units), $9 location_type, $10 posted_within (interval), $11 its
-- word, $12 sort) → the saved search, unless the user already has $13 of them (no row:
-- the caller holds the user's lock, so the count cannot move under it).
INSERT INTO saved_searches (user_id, name, filters, search, category, skills, ai_tools,
                            budget_min, budget_max, location_type, posted_within, anchors)
SELECT $1::uuid, $2, jsonb_strip_nulls(jsonb_build_object(
           'search', $3::text, 'category', $4::text, 'skills', $5::text[], 'ai_tools', $6::text[],
           'budget_min', money_major($7::bigint), 'budget_max', money_major($8::bigint),
           'location_type', $9::text, 'posted_within', $11::text, 'sort', $12::text)),
       $3, $4, $5::text[], $6::text[], $7::bigint, $8::bigint, $9, $10::interval,
       saved_search_anchors($4, $5::text[], $6::text[], $3, $9)
 WHERE (SELECT count(*) FROM saved_searches WHERE user_id = $1::uuid) < $13::int
RETURNING saved_search_json(saved_searches)

-- name: st_ss_list
-- ($1 user, $2 limit, $3 offset) → total (at most 20 rows exist per user), the page.
SELECT (SELECT count(*) FROM saved_searches WHERE user_id = $1),
       (SELECT coalesce(json_agg(saved_search_json(s) ORDER BY s.created_at DESC, s.id DESC), '[]')
          FROM (SELECT * FROM saved_searches WHERE user_id = $1
                 ORDER BY created_at DESC, id DESC LIMIT $2::int OFFSET $3::int) s)

-- name: st_ss_digests
-- The alert-digests job: each saved search that held matches back and whose last alert
-- is over gig_alert_interval() old gets one gig_alert carrying the count (no gig: the
-- matches are in the search's results), so a count is never left waiting for another
-- match. Rows an activation holds are skipped (it alerts them itself); at most 1000 a
-- run, oldest first. Accounts being deleted or suspended wait, as for alerts.
WITH c AS (
    SELECT s.id, s.user_id, s.name, s.pending_count
      FROM saved_searches s
      JOIN users u ON u.id = s.user_id AND u.deleted_at IS NULL AND u.suspended_at IS NULL
     WHERE s.pending_count > 0 AND s.last_alert_at <= now() - gig_alert_interval()
     ORDER BY s.last_alert_at, s.id LIMIT 1000
       FOR UPDATE OF s SKIP LOCKED),
u AS (
    UPDATE saved_searches s SET last_alert_at = now(), pending_count = 0 FROM c WHERE s.id = c.id),
n AS (
    INSERT INTO notifications (user_id, type, title, body, data)
    SELECT c.user_id, 'gig_alert', c.pending_count || ' new gigs match your saved search',
           format('%s new gigs match %s since your last alert', c.pending_count,
                  coalesce('"' || c.name || '"', 'your saved search')),
           jsonb_build_object('saved_search_id', c.id, 'digest_count', c.pending_count)
      FROM c
    RETURNING 1)
SELECT json_build_object('digests', count(*)) FROM n
