-- matching.sql — the statements of lib/matching.c. PostgreSQL finds and locks; the worker
-- scores (matching_score) and picks the wave.

-- name: st_match_candidates
-- Who could be offered gig $1 now, nearest first, at most $2. Each provider is measured
-- from the current position when it was updated in the last 30 minutes, else from the
-- general area: one scan of urgent_provider_points' GiST index on (skill, point) inside
-- an earth_box around the gig (so only providers with the skill are visited, however
-- dense the city), then the exact earth_distance against least(gig radius, provider
-- radius). Genre overlap when the gig names genres, schedule at date_needed and
-- do-not-disturb now, both in the provider's zone, the daily quota counted from the
-- provider's local midnight, and never a provider already offered this gig, in a block
-- with the requester (either direction) or suspended.
-- The review and response-history features are joined after the LIMIT, so they cost
-- $2 index probes whatever the crowd.
WITH g AS (
    SELECT id, poster_id, lower(skill_required) AS skill, genre, location_radius_km AS r,
           ll_to_earth(location_lat, location_lng) AS pt, date_needed
    FROM gigs WHERE id = $1 AND gig_type = 'urgent'
), near AS (
    SELECT pp.user_id, earth_distance(pp.pt, g.pt) AS d
    FROM g, urgent_provider_points pp
    WHERE pp.skill = g.skill AND pp.pt <@ earth_box(g.pt, g.r * 1000.0)
      AND CASE pp.kind
          WHEN 'current' THEN pp.located_at > now() - interval '30 minutes'
          ELSE NOT EXISTS (SELECT 1 FROM urgent_provider_points f
                           WHERE f.user_id = pp.user_id AND f.skill = pp.skill AND f.kind = 'current'
                             AND f.located_at > now() - interval '30 minutes')
          END
), c AS (
    SELECT n.user_id, n.d, a.hourly_rate, a.per_gig_rate
    FROM g, near n
    JOIN user_availability a ON a.user_id = n.user_id
    JOIN profiles p ON p.id = n.user_id
    WHERE n.user_id <> g.poster_id
      AND NOT blocked_pair(n.user_id, g.poster_id)  -- trust (sql/018): never a blocked pair,
      AND NOT EXISTS (SELECT 1 FROM users u          -- nor a suspended provider
                       WHERE u.id = n.user_id AND u.suspended_at IS NOT NULL)
      AND n.d <= least(g.r, a.max_radius_km) * 1000.0
      AND (cardinality(g.genre) = 0
           OR EXISTS (SELECT 1 FROM unnest(p.genres) x, unnest(g.genre) y WHERE lower(x) = lower(y)))
      AND urgent_schedule_ok(a.availability_schedule, g.date_needed AT TIME ZONE a.timezone)
      AND NOT urgent_in_window((now() AT TIME ZONE a.timezone)::time, a.dnd_start, a.dnd_end)
      AND NOT EXISTS (SELECT 1 FROM gig_responses r WHERE r.gig_id = g.id AND r.provider_id = n.user_id)
      AND (SELECT count(*) FROM notification_rate_limits l
           WHERE l.user_id = n.user_id AND l.notification_type = 'urgent_gig'
             AND l.sent_at >= urgent_local_midnight(a.timezone)) < a.max_notifications_per_day
    ORDER BY n.d
    LIMIT $2
)
SELECT c.user_id, round((c.d / 1000.0)::numeric, 2) AS distance_km, c.hourly_rate, c.per_gig_rate,
       rv.avg, rv.n, rh.n, rh.answered, rh.avg_s
FROM c
LEFT JOIN LATERAL (SELECT avg(rating)::float8 AS avg, count(*) AS n FROM user_ratings WHERE user_id = c.user_id) rv ON true
LEFT JOIN LATERAL (SELECT count(*) AS n, count(responded_at) AS answered, avg(response_time_seconds)::float8 AS avg_s
                   FROM (SELECT responded_at, response_time_seconds FROM gig_responses
                         WHERE provider_id = c.user_id ORDER BY notified_at DESC LIMIT 50) h) rh ON true
ORDER BY c.d;

-- name: st_match_offer
-- Offers gig $1 to the first $5 of the providers $2 (in score order, with distances $3 and
-- scores $4) who still qualify once their availability rows are locked (st_match_lock ran
-- first in this transaction, so this statement's snapshot sees every offer a concurrent
-- gig committed before we got the locks: the quota cannot be overrun). One gig_responses
-- row (the unique key refuses a second offer), one quota row and one notification each;
-- the notification's trigger queues the Expo push (seed 003 section 4 `urgent_gig`).
WITH c AS (
    SELECT u.pid, u.dist, u.score, u.ord
    FROM unnest($2::uuid[], $3::numeric[], $4::real[]) WITH ORDINALITY AS u(pid, dist, score, ord)
    JOIN user_availability a ON a.user_id = u.pid
    WHERE a.available_for_urgent_gigs
      AND NOT urgent_in_window((now() AT TIME ZONE a.timezone)::time, a.dnd_start, a.dnd_end)
      AND (SELECT count(*) FROM notification_rate_limits l
           WHERE l.user_id = u.pid AND l.notification_type = 'urgent_gig'
             AND l.sent_at >= urgent_local_midnight(a.timezone)) < a.max_notifications_per_day
    ORDER BY u.ord
    LIMIT $5
), ins AS (
    INSERT INTO gig_responses (gig_id, provider_id, distance_km, score, wave)
    SELECT $1, c.pid, c.dist, c.score, $6::int FROM c ORDER BY c.ord
    ON CONFLICT (gig_id, provider_id) DO NOTHING
    RETURNING id, provider_id, distance_km
), q AS (
    INSERT INTO notification_rate_limits (user_id, notification_type, gig_id, action)
    SELECT provider_id, 'urgent_gig', $1, 'offer' FROM ins
), n AS (
    SELECT notify(ins.provider_id, 'urgent_gig',
                  urgent_emoji(g.skill_required) || ' Urgent Gig: ' || urgent_title_case(g.skill_required) || ' '
                  || urgent_when(g.date_needed, a.timezone),
                  concat_ws(' · ', urgent_money(g.payment_amount, g.payment_currency),
                            urgent_title_case(g.genre[1]),
                            round(ins.distance_km, 1)::text || 'km away', g.location_address),
                  jsonb_build_object('gig_id', g.id, 'distance_km', round(ins.distance_km, 1),
                                     'payment', trim_scale(g.payment_amount / 100.0), 'skill', g.skill_required,
                                     'genre', to_jsonb(g.genre), 'location', g.location_address,
                                     'date_time', iso(g.date_needed))) AS nid
    FROM ins JOIN gigs g ON g.id = $1 JOIN user_availability a ON a.user_id = ins.provider_id
)
SELECT count(*) FROM n;

-- name: st_match_due
-- Gigs due a next wave: paid, still searching with nobody selected, not expired, and the
-- last wave at least $1 seconds ago. SKIP LOCKED: a gig being selected or waved by another
-- host is left to it.
SELECT id FROM gigs
WHERE gig_type = 'urgent' AND urgent_status = 'searching' AND matching_started_at IS NOT NULL
  AND payment_status = 'escrowed' AND selected_provider_id IS NULL AND expires_at > now()
  AND last_wave_at <= now() - make_interval(secs => $1::int)
ORDER BY last_wave_at
LIMIT 100
FOR UPDATE SKIP LOCKED;
