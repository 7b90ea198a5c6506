-- calls.sql — the calls module's long statements (tools/sql2h makes sql_calls.h).
-- Paste a block into psql with PREPARE or EXPLAIN to look at its plan.

-- name: st_calls_create
-- Room $1, initiator $2, other participant $3, gig $4, application $5, scheduled_at $6
-- (NULL: an instant call, started now), video base URL $7. A scheduled call tells the
-- other participant with a `call_scheduled` notification in the same statement.
WITH v AS (
    INSERT INTO video_calls (room_id, initiator_id, participant_ids, gig_id, application_id,
                             scheduled_at, started_at)
    VALUES ($1, $2::uuid, ARRAY[$2::uuid, $3::uuid], $4::uuid, $5::uuid, $6::timestamptz,
            CASE WHEN $6::timestamptz IS NULL THEN now() END)
    RETURNING *),
n AS (
    INSERT INTO notifications (user_id, type, title, body, data)
    SELECT u, 'call_scheduled',
           left('Call scheduled with ' || coalesce(p.full_name, p.username), 200),
           'Starts at ' || iso(v.scheduled_at),
           jsonb_build_object('call_id', v.id, 'scheduled_at', iso(v.scheduled_at),
                              'join_url', $7::text || v.room_id)
      FROM v
      JOIN profiles p ON p.id = v.initiator_id,
           unnest(v.participant_ids) u
     WHERE v.scheduled_at IS NOT NULL AND u <> v.initiator_id
    RETURNING *)
SELECT video_call_json(v, $7::text), (SELECT count(*) FROM n) FROM v

-- name: st_calls_remind
-- Cron: reminds both participants of calls starting within 15 minutes ($1: video base
-- URL). reminder_sent_at is claimed in the same statement that writes the
-- notifications, under the cron job's advisory lock: a call is reminded exactly once.
WITH v AS (
    UPDATE video_calls SET reminder_sent_at = now()
     WHERE scheduled_at IS NOT NULL AND reminder_sent_at IS NULL AND ended_at IS NULL
       AND scheduled_at > now() AND scheduled_at <= now() + interval '15 minutes'
    RETURNING *),
n AS (
    SELECT notify(u, 'call_reminder', 'Your call starts soon',
                  'Starts at ' || iso(v.scheduled_at),
                  jsonb_build_object('call_id', v.id, 'scheduled_at', iso(v.scheduled_at),
                                     'join_url', $1::text || v.room_id))
      FROM v, unnest(v.participant_ids) u)
SELECT json_build_object('calls', (SELECT count(*) FROM v),
                         'notifications', (SELECT count(*) FROM n))
