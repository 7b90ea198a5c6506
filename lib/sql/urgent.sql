-- urgent.sql — the long statements of lib/urgent.c.

-- name: st_urgent_insert
-- A new urgent gig, searching, payment pending. It is also the operation row of its
-- PaymentIntent: the Idempotency-Key is "urgent-pi-<gig id>". expires_at = date_needed + 4 h.
INSERT INTO gigs (poster_id, title, description, category, budget_type, budget_min, budget_max, currency,
                  location_type, location, gig_type, status, skill_required, genre, location_radius_km,
                  duration_hours, payment_status, urgent_status, payment_amount, payment_currency, date_needed,
                  location_address, location_lat, location_lng, expires_at)
SELECT $1, 'Urgent: ' || urgent_title_case($2), coalesce($11, 'Urgent gig: ' || $2), 'urgent', 'fixed',
       $5::bigint, $5::bigint, $6, 'onsite', $9, 'urgent', 'draft', $2, coalesce($3::text[], '{}'),
       coalesce($4::int, 20), $10::numeric, 'pending', 'searching', $5::bigint, $6, $7::timestamptz,
       $9, $8::float8, $12::float8, $7::timestamptz + interval '4 hours'
RETURNING id;

-- name: st_urgent_escrow
-- Payment held → matching starts, exactly once: only the first of the webhook and
-- confirm-payment finds the gig still pending (the row lock makes the second wait and then
-- see escrowed). A gig already cancelled (payment failed or cancelled first) never matches.
UPDATE gigs SET payment_status = 'escrowed', matching_started_at = now(),
       stripe_payment_intent_id = coalesce(stripe_payment_intent_id, $2), updated_at = now()
WHERE id = $1 AND gig_type = 'urgent' AND payment_status = 'pending' AND urgent_status = 'searching'
  AND (stripe_payment_intent_id = $2 OR stripe_payment_intent_id IS NULL)
  AND ($3::bigint IS NULL OR $3::bigint >= payment_amount)
  AND ($4::text IS NULL OR lower($4::text) = lower(payment_currency))
RETURNING id;

-- name: st_urgent_payment_lost
-- payment_failed / canceled: the gig is cancelled and its requester told, in this
-- transaction. A failure only counts while the payment is still pending (an attempt that
-- failed before a later one succeeded changes nothing once held); a cancelled hold also
-- ends a gig that is still searching. Pending offers expire.
WITH u AS (
    UPDATE gigs SET urgent_status = 'cancelled',
           payment_status = CASE WHEN $3 THEN 'refunded' ELSE 'failed' END, updated_at = now()
    WHERE id = $1 AND gig_type = 'urgent' AND urgent_status = 'searching'
      AND (stripe_payment_intent_id = $2 OR stripe_payment_intent_id IS NULL)
      AND (payment_status = 'pending' OR ($3 AND payment_status = 'escrowed'))
    RETURNING id, poster_id, skill_required
), e AS (
    UPDATE gig_responses r SET status = 'expired' FROM u WHERE r.gig_id = u.id AND r.status IN ('pending', 'accepted')
)
SELECT notify(u.poster_id, 'urgent_gig_cancelled', 'Urgent gig cancelled',
              'Your ' || u.skill_required || ' gig was cancelled: '
              || CASE WHEN $3 THEN 'the payment hold was cancelled.' ELSE 'the payment did not go through.' END,
              jsonb_build_object('gig_id', u.id))
FROM u;

-- name: st_urgent_get
-- The gig for its requester or a provider it was offered to (anyone else: no row).
SELECT urgent_gig_json(g, p, CASE WHEN g.poster_id = $2 THEN NULL ELSE r.distance_km END)
FROM gigs g
JOIN profiles p ON p.id = g.poster_id
LEFT JOIN gig_responses r ON r.gig_id = g.id AND r.provider_id = $2
WHERE g.id = $1 AND g.gig_type = 'urgent' AND (g.poster_id = $2 OR r.id IS NOT NULL);

-- name: st_urgent_responses
-- Requester only: every offer with the provider's profile, rating, distance and rates.
-- Accepted first, then declined, then the rest; at most 200 (offers per gig are bounded by
-- waves until expiry).
SELECT coalesce(json_agg(x.j ORDER BY x.o, x.t, x.id), '[]')
FROM (SELECT r.id, CASE r.status WHEN 'accepted' THEN 0 WHEN 'declined' THEN 1 ELSE 2 END AS o,
             coalesce(r.responded_at, r.notified_at) AS t,
             json_build_object(
                 'id', r.id, 'status', r.status, 'response_time_seconds', r.response_time_seconds,
                 'message', r.message, 'responded_at', iso(r.responded_at), 'notified_at', iso(r.notified_at),
                 'provider', json_build_object(
                     'id', p.id, 'username', p.username, 'display_name', coalesce(p.full_name, p.username),
                     'avatar_url', p.avatar_url,
                     'rating', (SELECT round(avg(rating), 2) FROM reviews WHERE reviewee_id = p.id),
                     'review_count', (SELECT count(*) FROM reviews WHERE reviewee_id = p.id),
                     'distance_km', r.distance_km,
                     'hourly_rate', money_major(a.hourly_rate), 'per_gig_rate', money_major(a.per_gig_rate))) AS j
      FROM gig_responses r
      JOIN profiles p ON p.id = r.provider_id
      LEFT JOIN user_availability a ON a.user_id = r.provider_id
      WHERE r.gig_id = $1
      ORDER BY 2, 3, 1
      LIMIT 200) x;

-- name: st_urgent_respond
-- A notified provider's answer while the gig is searching and the offer pending. On accept
-- the requester gets `gig_accepted` (seed 003 section 4) in this statement's transaction.
WITH u AS (
    UPDATE gig_responses r SET status = $3, message = $4, responded_at = now(),
           response_time_seconds = greatest(0, extract(epoch FROM now() - r.notified_at))::int
    FROM gigs g
    WHERE r.gig_id = $1 AND r.provider_id = $2 AND r.status = 'pending'
      AND g.id = r.gig_id AND g.urgent_status = 'searching'
    RETURNING r.id, r.distance_km, g.id AS gig_id, g.poster_id, g.skill_required
), n AS (
    SELECT notify(u.poster_id, 'gig_accepted',
                  '✅ ' || coalesce(p.full_name, p.username) || ' accepted your gig',
                  urgent_title_case(u.skill_required) || ' · ⭐ '
                  || coalesce((SELECT round(avg(rating), 1)::text FROM reviews WHERE reviewee_id = $2), 'New')
                  || ' · ' || round(u.distance_km, 1)::text || 'km away — tap to view',
                  jsonb_build_object('gig_id', u.gig_id, 'response_id', u.id)) AS nid
    FROM u JOIN profiles p ON p.id = $2
    WHERE $3 = 'accepted'
)
SELECT u.id, (SELECT count(*) FROM n) FROM u;

-- name: st_urgent_lock_gig
-- Select, step 1: the gig's row lock serialises every select (and wave) of this gig.
SELECT poster_id, urgent_status, payment_amount, payment_currency, selected_provider_id
FROM gigs WHERE id = $1 AND gig_type = 'urgent' FOR UPDATE;

-- name: st_urgent_select
-- Select, step 2 (gig locked, still searching, the caller its requester, response $2
-- accepted — locked here too): confirm the gig, mark the response selected, expire every
-- other offer, create the project (fee = amount × $3 basis points, rounded half up) and
-- the pair's conversation, and tell the selected provider `gig_confirmed` and every other
-- provider offered the gig `gig_filled` (a decline included: they may have wondered).
WITH r AS (
    SELECT id, provider_id FROM gig_responses
    WHERE id = $2 AND gig_id = $1 AND status = 'accepted' AND selected_at IS NULL FOR UPDATE
), gu AS (
    UPDATE gigs g SET urgent_status = 'confirmed', selected_provider_id = r.provider_id, updated_at = now()
    FROM r WHERE g.id = $1 AND g.urgent_status = 'searching'
    RETURNING g.*
), rs AS (
    UPDATE gig_responses x SET selected_at = now() FROM gu, r WHERE x.id = r.id RETURNING x.id
), others AS (
    UPDATE gig_responses x SET status = 'expired' FROM gu, r
    WHERE x.gig_id = $1 AND x.id <> r.id AND x.status IN ('pending', 'accepted')
    RETURNING x.provider_id
), conv AS (
    INSERT INTO conversations (user_a, user_b, gig_id)
    SELECT least(gu.poster_id, gu.selected_provider_id), greatest(gu.poster_id, gu.selected_provider_id), gu.id
    FROM gu
    ON CONFLICT DO NOTHING
    RETURNING id, user_a, user_b
), part AS (
    INSERT INTO conversation_participants (conversation_id, user_id)
    SELECT conv.id, u FROM conv, unnest(ARRAY[conv.user_a, conv.user_b]) u
), pr AS (
    INSERT INTO projects (gig_id, response_id, requester_id, provider_id, conversation_id, amount, platform_fee, currency)
    SELECT gu.id, r.id, gu.poster_id, gu.selected_provider_id,
           coalesce((SELECT id FROM conv),
                    (SELECT c.id FROM conversations c
                     WHERE c.user_a = least(gu.poster_id, gu.selected_provider_id)
                       AND c.user_b = greatest(gu.poster_id, gu.selected_provider_id) AND c.gig_id = gu.id)),
           gu.payment_amount, (gu.payment_amount * $3::bigint + 5000) / 10000, gu.payment_currency
    FROM gu, r
    RETURNING id, amount, platform_fee
), n1 AS (
    SELECT notify(gu.selected_provider_id, 'gig_confirmed', '🎉 You''ve been selected!',
                  concat_ws(' · ', urgent_title_case(gu.skill_required),
                            urgent_when(gu.date_needed, coalesce(a.timezone, 'UTC')), gu.location_address,
                            urgent_money(pr.amount - pr.platform_fee, gu.payment_currency)),
                  jsonb_build_object('gig_id', gu.id, 'project_id', pr.id)) AS nid
    FROM gu CROSS JOIN pr LEFT JOIN user_availability a ON a.user_id = gu.selected_provider_id
), n2 AS (
    SELECT notify(o.provider_id, 'gig_filled', 'Gig filled',
                  'The ' || urgent_title_case(gu.skill_required) || ' gig has been filled by another provider.',
                  jsonb_build_object('gig_id', gu.id)) AS nid
    FROM gu, r, gig_responses o
    WHERE o.gig_id = $1 AND o.id <> r.id
)
SELECT pr.id, (SELECT count(*) FROM n1), (SELECT count(*) FROM n2) FROM pr;

-- name: st_urgent_mine
-- The caller's urgent gigs as requester ($2 = 'requester') or as a provider offered them,
-- newest first, a page at a time; my_response for a provider.
SELECT coalesce(json_agg(j ORDER BY created_at DESC, id DESC), '[]'), (SELECT count(*) FROM (
           SELECT 1 FROM gigs g WHERE $2 = 'requester' AND g.poster_id = $1 AND g.gig_type = 'urgent'
           UNION ALL
           SELECT 1 FROM gig_responses r WHERE $2 = 'provider' AND r.provider_id = $1) t)
FROM (SELECT g.id, g.created_at,
             urgent_gig_json(g, p, CASE WHEN $2 = 'provider' THEN r.distance_km END)
             || CASE WHEN $2 = 'provider' THEN jsonb_build_object('my_response', jsonb_build_object(
                    'id', r.id, 'status', r.status, 'notified_at', iso(r.notified_at),
                    'responded_at', iso(r.responded_at))) ELSE '{}'::jsonb END AS j
      FROM gigs g
      JOIN profiles p ON p.id = g.poster_id
      LEFT JOIN gig_responses r ON r.gig_id = g.id AND r.provider_id = $1
      WHERE g.gig_type = 'urgent'
        AND (($2 = 'requester' AND g.poster_id = $1) OR ($2 = 'provider' AND r.id IS NOT NULL))
      ORDER BY g.created_at DESC, g.id DESC
      LIMIT $3::int OFFSET $4::int) x;
