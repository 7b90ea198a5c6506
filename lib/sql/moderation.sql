-- moderation.sql — the moderation module's long statements (tools/sql2h makes sql_moderation.h).
-- Every statement that changes something writes its audit_log row in the same statement.
-- Paste a block into psql with PREPARE or EXPLAIN to look at its plan.

-- name: st_mod_reports
-- A page of reports ($1 limit, $2 offset), newest first, with every status; column 0 the total.
SELECT (SELECT count(*) FROM reports),
       coalesce(json_agg(report_json(r) ORDER BY r.created_at DESC, r.id DESC), '[]')
  FROM (SELECT * FROM reports ORDER BY created_at DESC, id DESC LIMIT $1::int OFFSET $2::int) r

-- name: st_mod_reports_status
-- The same page of the reports with status $3 (reports_status_idx).
SELECT (SELECT count(*) FROM reports WHERE status = $3),
       coalesce(json_agg(report_json(r) ORDER BY r.created_at DESC, r.id DESC), '[]')
  FROM (SELECT * FROM reports WHERE status = $3
         ORDER BY created_at DESC, id DESC LIMIT $1::int OFFSET $2::int) r

-- name: st_mod_resolve
-- Moderator $4 closes report $1 with status $2 (resolved | dismissed) and note $3.
WITH r AS (
    UPDATE reports SET status = $2, resolution = $3, resolved_by = $4::uuid, resolved_at = now()
     WHERE id = $1::uuid
    RETURNING *),
a AS (
    INSERT INTO audit_log (actor_id, action, subject_type, subject_id, reason)
    SELECT $4::uuid, 'report.' || $2, 'report', r.id, $3 FROM r)
SELECT report_json(ROW(r.*)::reports) FROM r

-- name: st_mod_suspend
-- Moderator $2 suspends user $1 for reason $3: every live session revoked (their ids
-- returned, so their real-time streams are ended after the commit), and the user's
-- gigs, messages and reviews hidden as 'suspension' (a takedown stays a takedown).
WITH u AS (
    UPDATE users SET suspended_at = coalesce(suspended_at, now()), updated_at = now()
     WHERE id = $1::uuid RETURNING id),
s AS (
    UPDATE sessions SET revoked_at = now()
     WHERE user_id = $1::uuid AND revoked_at IS NULL RETURNING id),
hg AS (
    UPDATE gigs SET hidden_at = now(), hidden_cause = 'suspension'
     WHERE poster_id = $1::uuid AND hidden_at IS NULL),
hm AS (
    UPDATE messages SET hidden_at = now(), hidden_cause = 'suspension'
     WHERE sender_id = $1::uuid AND hidden_at IS NULL),
hr AS (
    UPDATE reviews SET hidden_at = now(), hidden_cause = 'suspension'
     WHERE reviewer_id = $1::uuid AND hidden_at IS NULL),
a AS (
    INSERT INTO audit_log (actor_id, action, subject_type, subject_id, reason)
    SELECT $2::uuid, 'user.suspend', 'user', u.id, $3 FROM u)
SELECT id FROM s

-- name: st_mod_unsuspend
-- Moderator $2 lifts the suspension of user $1 (reason $3): what the suspension hid
-- shows again; taken-down content stays hidden. Returns the user's id.
WITH u AS (
    UPDATE users SET suspended_at = NULL, updated_at = now()
     WHERE id = $1::uuid RETURNING id),
hg AS (
    UPDATE gigs SET hidden_at = NULL, hidden_cause = NULL
     WHERE poster_id = $1::uuid AND hidden_cause = 'suspension'),
hm AS (
    UPDATE messages SET hidden_at = NULL, hidden_cause = NULL
     WHERE sender_id = $1::uuid AND hidden_cause = 'suspension'),
hr AS (
    UPDATE reviews SET hidden_at = NULL, hidden_cause = NULL
     WHERE reviewer_id = $1::uuid AND hidden_cause = 'suspension'),
a AS (
    INSERT INTO audit_log (actor_id, action, subject_type, subject_id, reason)
    SELECT $2::uuid, 'user.unsuspend', 'user', u.id, $3 FROM u)
SELECT id FROM u

-- name: st_mod_takedown
-- Moderator $3 takes down the $1 (gig | message | review) with id $2, reason $4.
-- Hidden from everyone else (a gig stays readable by its managers), kept for the audit.
WITH g AS (
    UPDATE gigs SET hidden_at = coalesce(hidden_at, now()), hidden_cause = 'takedown'
     WHERE $1::text = 'gig' AND id = $2::uuid RETURNING id, hidden_at),
m AS (
    UPDATE messages SET hidden_at = coalesce(hidden_at, now()), hidden_cause = 'takedown'
     WHERE $1::text = 'message' AND id = $2::uuid RETURNING id, hidden_at),
r AS (
    UPDATE reviews SET hidden_at = coalesce(hidden_at, now()), hidden_cause = 'takedown'
     WHERE $1::text = 'review' AND id = $2::uuid RETURNING id, hidden_at),
x AS (SELECT * FROM g UNION ALL SELECT * FROM m UNION ALL SELECT * FROM r),
a AS (
    INSERT INTO audit_log (actor_id, action, subject_type, subject_id, reason)
    SELECT $3::uuid, $1::text || '.takedown', $1::text, x.id, $4 FROM x)
SELECT json_build_object('subject_type', $1::text, 'subject_id', x.id, 'hidden', true,
                         'hidden_at', iso(x.hidden_at))
  FROM x

-- name: st_mod_restore
-- Moderator $3 restores the taken-down $1 with id $2 (reason $4). Content whose author
-- is suspended stays hidden, now by the suspension (lifting it shows it again).
WITH g AS (
    UPDATE gigs t SET hidden_at = CASE WHEN u.suspended_at IS NULL THEN NULL ELSE t.hidden_at END,
                      hidden_cause = CASE WHEN u.suspended_at IS NULL THEN NULL ELSE 'suspension' END
      FROM users u
     WHERE $1::text = 'gig' AND t.id = $2::uuid AND u.id = t.poster_id AND t.hidden_cause = 'takedown'
    RETURNING t.id, t.hidden_at),
m AS (
    UPDATE messages t SET hidden_at = CASE WHEN u.suspended_at IS NULL THEN NULL ELSE t.hidden_at END,
                          hidden_cause = CASE WHEN u.suspended_at IS NULL THEN NULL ELSE 'suspension' END
      FROM users u
     WHERE $1::text = 'message' AND t.id = $2::uuid AND u.id = t.sender_id AND t.hidden_cause = 'takedown'
    RETURNING t.id, t.hidden_at),
r AS (
    UPDATE reviews t SET hidden_at = CASE WHEN u.suspended_at IS NULL THEN NULL ELSE t.hidden_at END,
                         hidden_cause = CASE WHEN u.suspended_at IS NULL THEN NULL ELSE 'suspension' END
      FROM users u
     WHERE $1::text = 'review' AND t.id = $2::uuid AND u.id = t.reviewer_id AND t.hidden_cause = 'takedown'
    RETURNING t.id, t.hidden_at),
x AS (SELECT * FROM g UNION ALL SELECT * FROM m UNION ALL SELECT * FROM r),
a AS (
    INSERT INTO audit_log (actor_id, action, subject_type, subject_id, reason)
    SELECT $3::uuid, $1::text || '.restore', $1::text, x.id, $4 FROM x)
SELECT json_build_object('subject_type', $1::text, 'subject_id', x.id, 'hidden', x.hidden_at IS NOT NULL,
                         'hidden_at', iso(x.hidden_at))
  FROM x

-- name: st_mod_exists
-- Whether the $1 with id $2 exists at all (restore tells "not taken down" from "no such thing").
SELECT CASE $1::text
         WHEN 'gig' THEN EXISTS (SELECT 1 FROM gigs WHERE id = $2::uuid)
         WHEN 'message' THEN EXISTS (SELECT 1 FROM messages WHERE id = $2::uuid)
         WHEN 'review' THEN EXISTS (SELECT 1 FROM reviews WHERE id = $2::uuid)
         ELSE false
       END

-- name: st_mod_audit
-- A page of the audit log ($1 limit, $2 offset), newest first; column 0 the total.
SELECT (SELECT count(*) FROM audit_log),
       coalesce(json_agg(json_build_object(
                    'id', a.id, 'actor_id', a.actor_id, 'actor', (SELECT profile_json(p) FROM profiles p WHERE p.id = a.actor_id),
                    'action', a.action, 'subject_type', a.subject_type, 'subject_id', a.subject_id,
                    'reason', a.reason, 'created_at', iso(a.created_at))
                 ORDER BY a.created_at DESC, a.id DESC), '[]')
  FROM (SELECT * FROM audit_log ORDER BY created_at DESC, id DESC LIMIT $1::int OFFSET $2::int) a

-- name: st_mod_content
-- A moderator reads the $1 (gig | message | review) with id $2 as it is stored, hidden or
-- not, with its hidden state. Gigs and reviews are public content; a message is private,
-- so only one that was reported or is hidden (taken down, or its sender suspended) is
-- shown: moderators handle reports, they do not browse conversations.
SELECT json_build_object('subject_type', $1::text, 'subject_id', x.id, 'hidden', x.hidden_at IS NOT NULL,
                         'hidden_at', iso(x.hidden_at), 'hidden_cause', x.hidden_cause, 'content', x.content)
  FROM (SELECT g.id, g.hidden_at, g.hidden_cause, gig_json(g, p) AS content
          FROM gigs g JOIN profiles p ON p.id = g.poster_id
         WHERE $1::text = 'gig' AND g.id = $2::uuid
        UNION ALL
        SELECT m.id, m.hidden_at, m.hidden_cause, message_json(m)
          FROM messages m
         WHERE $1::text = 'message' AND m.id = $2::uuid
           AND (m.hidden_at IS NOT NULL
                OR EXISTS (SELECT 1 FROM reports r WHERE r.subject_type = 'message' AND r.subject_id = m.id))
        UNION ALL
        SELECT r.id, r.hidden_at, r.hidden_cause, review_json(r, p)
          FROM reviews r JOIN profiles p ON p.id = r.reviewer_id
         WHERE $1::text = 'review' AND r.id = $2::uuid) x
