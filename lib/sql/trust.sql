-- trust.sql — the trust module's long statements: blocks and reports (tools/sql2h makes sql_trust.h).
-- Paste a block into psql with PREPARE or EXPLAIN to look at its plan.

-- name: st_trust_block
-- $1 blocks $2 (idempotent). Returns (the block as {user_id, user, created_at}, 1 when
-- this call created it); no row when $2 is not a user.
WITH t AS (SELECT id FROM users WHERE id = $2::uuid),
i AS (
    INSERT INTO blocks (blocker_id, blocked_id)
    SELECT $1::uuid, t.id FROM t
    ON CONFLICT DO NOTHING
    RETURNING created_at)
SELECT json_build_object(
           'user_id', t.id,
           'user', profile_json(p),
           'created_at', iso(coalesce((SELECT created_at FROM i),
                                      (SELECT b.created_at FROM blocks b
                                        WHERE b.blocker_id = $1::uuid AND b.blocked_id = t.id)))),
       (SELECT count(*) FROM i)
  FROM t JOIN profiles p ON p.id = t.id

-- name: st_trust_blocks
-- The users $1 blocked, newest first: a page ($2 limit, $3 offset) through
-- blocks_list_idx, and the count of the caller's blocks.
SELECT (SELECT count(*) FROM blocks WHERE blocker_id = $1::uuid),
       coalesce(json_agg(json_build_object('user_id', x.blocked_id, 'user', profile_json(p),
                                           'created_at', iso(x.created_at))
                         ORDER BY x.created_at DESC, x.blocked_id), '[]')
  FROM (SELECT b.blocked_id, b.created_at FROM blocks b
         WHERE b.blocker_id = $1::uuid
         ORDER BY b.created_at DESC, b.blocked_id
         LIMIT $2::int OFFSET $3::int) x
  JOIN profiles p ON p.id = x.blocked_id

-- name: st_trust_visible
-- Whether $3 can see subject $2 of type $1: a user that is not suspended, a gig they
-- can read (drafts and hidden gigs only for managers), a message of a conversation
-- they take part in, a review; hidden content is not reportable (already handled).
SELECT CASE $1::text
         WHEN 'user' THEN EXISTS (SELECT 1 FROM users WHERE id = $2::uuid AND suspended_at IS NULL)
         WHEN 'gig' THEN gig_readable_or_none($2::uuid, $3::uuid)
         WHEN 'message' THEN EXISTS (SELECT 1 FROM messages m
                                       JOIN conversation_participants cp
                                         ON cp.conversation_id = m.conversation_id AND cp.user_id = $3::uuid
                                      WHERE m.id = $2::uuid AND m.hidden_at IS NULL)
         WHEN 'review' THEN EXISTS (SELECT 1 FROM reviews WHERE id = $2::uuid AND hidden_at IS NULL)
         ELSE false
       END
