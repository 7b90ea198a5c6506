-- push.sql — the push-token module's long statements (tools/sql2h makes sql_push.h).
-- Paste a block into psql with PREPARE or EXPLAIN to look at its plan.

-- name: st_push_register
-- Registers token $2 (platform $3, device $4) for user $1. A token active under another
-- user is left alone and no row comes back (the caller answers 409): knowing a token is
-- no proof of holding the device, and taking it would divert its owner's pushes. One its
-- owner deactivated (sign-out, or Expo said it is gone) moves to $1. A new token for the same device
-- deactivates the device's older ones. xmax = 0 on the returned row means it was
-- inserted, not updated (201 rather than 200).
WITH t AS (
    INSERT INTO push_tokens (user_id, push_token, platform, device_id)
    VALUES ($1::uuid, $2, $3, $4)
    ON CONFLICT (push_token) DO UPDATE
       SET user_id = excluded.user_id, platform = excluded.platform,
           device_id = excluded.device_id, active = true, deactivated_reason = NULL,
           last_used_at = now(), updated_at = now()
     WHERE push_tokens.user_id = excluded.user_id OR NOT push_tokens.active
    RETURNING *, (xmax = 0) AS inserted),
d AS (
    UPDATE push_tokens SET active = false, deactivated_reason = 'replaced', updated_at = now()
     WHERE user_id = $1::uuid AND $4::text IS NOT NULL AND device_id = $4::text
       AND push_token <> $2 AND active AND EXISTS (SELECT 1 FROM t)
    RETURNING 1)
SELECT json_build_object('id', t.id, 'push_token', t.push_token, 'platform', t.platform,
                         'device_id', t.device_id, 'active', t.active,
                         'last_used_at', iso(t.last_used_at),
                         'created_at', iso(t.created_at)),
       t.inserted,
       (SELECT count(*) FROM d)
  FROM t
