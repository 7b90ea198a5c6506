-- notify_prefs.sql — the notification preferences' long statements (tools/sql2h makes
-- sql_notify_prefs.h). Paste a block into psql with PREPARE or EXPLAIN to look at its plan.

-- name: st_prefs_get
-- ($1 user, $2 the known types) → the preferences of every known type (defaults where
-- the user set nothing) and the quiet hours.
SELECT json_build_object(
    'types', (SELECT json_object_agg(t, json_build_object(
                         'in_app', true,
                         'push', notify_channel_on(p, t, 'push'),
                         'email', notify_channel_on(p, t, 'email')) ORDER BY t)
                FROM unnest($2::text[]) t),
    'quiet_hours', CASE WHEN p.quiet_start IS NOT NULL THEN json_build_object(
                       'start', to_char(p.quiet_start, 'HH24:MI'), 'end', to_char(p.quiet_end, 'HH24:MI'),
                       'time_zone', p.time_zone) END)
  FROM (SELECT 1) one
  LEFT JOIN notification_preferences p ON p.user_id = $1

-- name: st_prefs_put
-- ($1 user, $2 channel changes {TYPE: {push?, email?}}, $3 replace the quiet hours?,
-- $4 start, $5 end, $6 time zone). Each type's sent channels overwrite its stored ones.
INSERT INTO notification_preferences AS n (user_id, channels, quiet_start, quiet_end, time_zone)
VALUES ($1, $2::jsonb, $4::time, $5::time, $6)
ON CONFLICT (user_id) DO UPDATE SET
    channels = n.channels || coalesce((SELECT jsonb_object_agg(e.key, coalesce(n.channels -> e.key, '{}') || e.value)
                                         FROM jsonb_each($2::jsonb) e), '{}'),
    quiet_start = CASE WHEN $3::boolean THEN excluded.quiet_start ELSE n.quiet_start END,
    quiet_end = CASE WHEN $3::boolean THEN excluded.quiet_end ELSE n.quiet_end END,
    time_zone = CASE WHEN $3::boolean THEN excluded.time_zone ELSE n.time_zone END,
    updated_at = now()
