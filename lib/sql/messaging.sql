-- messaging.sql — the messaging module's long statements (tools/sql2h makes sql_messaging.h).
-- Paste a block into psql with PREPARE or EXPLAIN to look at its plan.

-- name: st_msg_list
-- Conversation previews of user $1, newest activity first, at most $2. One statement:
-- each correlated subquery is an index probe (messages_page_idx), so the cost grows
-- with the page, not with the history.
SELECT coalesce(json_agg(x.j ORDER BY x.last_message_at DESC, x.id DESC), '[]')
  FROM (SELECT c.id, c.last_message_at,
               json_build_object(
                   'id', c.id,
                   'participant_ids', json_build_array(c.user_a, c.user_b),
                   'participants', (SELECT json_agg(profile_json(p) ORDER BY p.id)
                                      FROM profiles p WHERE p.id IN (c.user_a, c.user_b)),
                   'gig_id', c.gig_id,
                   'gig', gig_embed(c.gig_id),
                   'last_message', (SELECT message_json(m) FROM messages m
                                     WHERE m.conversation_id = c.id AND m.hidden_at IS NULL
                                     ORDER BY m.created_at DESC, m.id DESC LIMIT 1),
                   'unread_count', (SELECT count(*) FROM messages m
                                     WHERE m.conversation_id = c.id AND m.hidden_at IS NULL
                                       AND m.created_at > cp.last_read_at
                                       AND m.sender_id <> cp.user_id),
                   'last_message_at', iso(c.last_message_at),
                   'created_at', iso(c.created_at),
                   'updated_at', iso(c.updated_at)) AS j
          FROM conversation_participants cp
          JOIN conversations c ON c.id = cp.conversation_id
         WHERE cp.user_id = $1
         ORDER BY c.last_message_at DESC, c.id DESC
         LIMIT $2::int) x

-- name: st_msg_send
-- Sends message $3 from $2 into conversation $1 with the attachment ids $4 (uuid[]);
-- $5 is the public URL the attachment links start with; $6, $7, $8: the sender's
-- message quota (its rate_limits key, max per window — 0 = none — and the window in s).
-- The whole send is this one statement in its own (implicit) transaction: the checks,
-- the quota hit, the message, its notification and push outbox row (triggers) commit
-- together or not at all, in one round trip and one WAL flush. Returns one row:
-- (a participant: NULL when the conversation does not exist, a blocked pair, the other
-- participant unreachable (sql/022), the attachments are the sender's own unsent ones,
-- the quota's Retry-After (0 = within it; NULL when a check failed first), the
-- message, the events to publish: gigd_take_events()'s shape, since no COMMIT follows
-- to take them).
-- Every check reads before anything writes, and the quota is hit only by a send that
-- passed them, so a refused send writes nothing but, over the quota, the counter. The
-- UPDATE of the conversation row comes before the message insert: it serializes senders
-- of one conversation, so clock_timestamp() in the message insert runs after the
-- previous sender committed (see sql/004 on messages).
WITH k AS MATERIALIZED (
    SELECT EXISTS (SELECT 1 FROM conversation_participants
                    WHERE conversation_id = c.id AND user_id = $2) AS member,
           blocked_pair(c.user_a, c.user_b) AS blocked,
           user_unreachable(CASE WHEN c.user_a = $2::uuid THEN c.user_b ELSE c.user_a END) AS unreachable
      FROM conversations c
     WHERE c.id = $1 AND $2::uuid IN (c.user_a, c.user_b)),
a AS (
    SELECT a.* FROM attachments a
     WHERE a.id = ANY ($4::uuid[]) AND a.owner_id = $2
       AND a.message_id IS NULL
       AND EXISTS (SELECT 1 FROM k WHERE k.member AND NOT k.blocked AND NOT k.unreachable)
       FOR UPDATE),
aj AS MATERIALIZED (
    SELECT coalesce(jsonb_agg(jsonb_build_object('id', a.id, 'name', a.name,
                                                 'url', $5::text || '/api/attachments/' || a.id,
                                                 'type', a.type, 'size', a.size)
                              ORDER BY array_position($4::uuid[], a.id)), '[]') AS j,
           count(*) = cardinality($4::uuid[]) AS ok
      FROM a),
q AS MATERIALIZED (
    SELECT CASE WHEN $7::bigint > 0 THEN gigd_rate_hit($6, 1, $7::bigint, $8::int) ELSE 0 END AS wait
      FROM k, aj
     WHERE k.member AND NOT k.blocked AND NOT k.unreachable AND aj.ok),
c AS (
    UPDATE conversations SET last_message_at = clock_timestamp(), updated_at = now()
     WHERE id = $1 AND EXISTS (SELECT 1 FROM q WHERE q.wait = 0)
    RETURNING id),
m AS (
    INSERT INTO messages (conversation_id, sender_id, content, attachments)
    SELECT c.id, $2, $3, aj.j FROM c, aj
    RETURNING *),
au AS (
    UPDATE attachments SET message_id = m.id FROM m
     WHERE attachments.id IN (SELECT id FROM a)
    RETURNING 1),
n AS (
    INSERT INTO notifications (user_id, type, title, body, data)
    SELECT cp.user_id, 'new_message',
           left('New message from ' || coalesce(p.full_name, p.username), 200),
           left(m.content, 200),
           jsonb_build_object('conversation_id', m.conversation_id, 'message_id', m.id,
                              'sender_id', m.sender_id)
      FROM m
      JOIN conversation_participants cp
        ON cp.conversation_id = m.conversation_id AND cp.user_id <> m.sender_id
      JOIN profiles p ON p.id = m.sender_id
    ON CONFLICT DO NOTHING
    RETURNING *)
SELECT k.member, k.blocked, k.unreachable, (SELECT aj.ok FROM aj), (SELECT q.wait FROM q),
       (SELECT message_json(m) FROM m),
       (SELECT json_agg(json_build_object('user_id', n.user_id,
                                          'notification', notification_json(ROW(n.*)::notifications))
                        ORDER BY n.created_at, n.id) FROM n),
       (SELECT count(*) FROM au)
  FROM (SELECT) one LEFT JOIN k ON true
