-- escrow.sql — the statements of lib/escrow.c: settling an urgent gig's held payment
-- (capture / cancel / refund / release / transfer), the ledger bookings, the wallet.

-- name: st_escrow_state
-- Everything settle() needs about gig $1. capture_op: the amount of an existing capture
-- operation (it fixes the amount captured whatever is decided later). The account is the
-- provider's connected account only while it is enabled (payout_accounts, issue 17):
-- otherwise what is released stays in their wallet as owed.
SELECT g.poster_id, g.payment_amount, g.payment_currency, g.stripe_payment_intent_id, g.settle_percent,
       g.payment_captured, g.payment_refunded, g.payment_status, p.id, p.provider_id, p.platform_fee,
       p.status, pa.stripe_account_id,
       (SELECT o.amount FROM urgent_payment_ops o WHERE o.gig_id = g.id AND o.kind = 'capture'),
       g.skill_required
FROM gigs g
LEFT JOIN projects p ON p.gig_id = g.id
LEFT JOIN payout_accounts pa ON pa.user_id = p.provider_id AND pa.status = 'enabled'
WHERE g.id = $1 AND g.gig_type = 'urgent';

-- name: st_escrow_op_claim
-- The (gig, kind) operation: a new one with amount $3, or the one claimed before (whose
-- amount wins). A concurrent claim committed between the INSERT and the SELECT snapshots
-- yields no row: the caller asks again.
WITH ins AS (
    INSERT INTO urgent_payment_ops (gig_id, kind, amount) VALUES ($1, $2, $3::bigint)
    ON CONFLICT (gig_id, kind) DO NOTHING
    RETURNING id, status, amount, stripe_object_id
)
SELECT id, status, amount, stripe_object_id FROM ins
UNION ALL
SELECT id, status, amount, stripe_object_id FROM urgent_payment_ops WHERE gig_id = $1 AND kind = $2
LIMIT 1;

-- name: st_escrow_captured
-- The capture of gig $1 happened at Stripe ($2 the PaymentIntent, $3 the amount received):
-- the operation is done, the gig remembers the amount, and the money moves from the
-- card into the requester's escrow — once (ledger key (gig, 'capture')).
WITH op AS (
    UPDATE urgent_payment_ops SET status = 'done', done_at = now(), stripe_object_id = coalesce(stripe_object_id, $2)
    WHERE gig_id = $1 AND kind = 'capture' AND status <> 'done'
    RETURNING id
), g AS (
    UPDATE gigs SET payment_captured = $3::bigint, payment_captured_at = now(), updated_at = now()
    WHERE id = $1 AND payment_captured IS NULL
    RETURNING id, poster_id, payment_currency
)
SELECT ledger_post(g.id, 'capture', (SELECT id FROM projects WHERE gig_id = g.id), g.payment_currency, $2,
                   'Payment captured',
                   jsonb_build_array(jsonb_build_array(NULL, 'stripe', -$3::bigint),
                                     jsonb_build_array(g.poster_id, 'escrow', $3::bigint))),
       (SELECT count(*) FROM op)
FROM g;

-- name: st_escrow_cancelled
-- The hold of gig $1 was cancelled at Stripe: nothing was captured, nothing to book.
WITH op AS (
    UPDATE urgent_payment_ops SET status = 'done', done_at = now(), stripe_object_id = coalesce(stripe_object_id, $2)
    WHERE gig_id = $1 AND kind = 'cancel' AND status <> 'done'
    RETURNING id
)
UPDATE gigs SET payment_status = 'refunded', updated_at = now()
WHERE id = $1 AND payment_captured IS NULL AND payment_status IN ('pending', 'escrowed', 'failed')
RETURNING id, (SELECT count(*) FROM op);

-- name: st_escrow_refunded
-- Refund $2 of $3 minor units of gig $1 went through: escrow back to the card, once. A
-- refund of everything captured ends the payment as refunded (a partial one is followed by
-- the release).
WITH op AS (
    UPDATE urgent_payment_ops SET status = 'done', done_at = now(), stripe_object_id = coalesce(stripe_object_id, $2)
    WHERE gig_id = $1 AND kind = 'refund' AND status <> 'done'
    RETURNING id
), g AS (
    UPDATE gigs SET payment_refunded = $3::bigint, updated_at = now(),
           payment_status = CASE WHEN $3::bigint >= payment_captured THEN 'refunded' ELSE payment_status END
    WHERE id = $1 AND payment_refunded IS NULL
    RETURNING id, poster_id, payment_currency
)
SELECT ledger_post(g.id, 'refund', (SELECT id FROM projects WHERE gig_id = g.id), g.payment_currency, $2,
                   'Refunded to the requester',
                   jsonb_build_array(jsonb_build_array(g.poster_id, 'escrow', -$3::bigint),
                                     jsonb_build_array(NULL, 'stripe', $3::bigint))),
       (SELECT count(*) FROM op)
FROM g;

-- name: st_escrow_release
-- Release of gig $1 (project locked by the caller): $2 of the escrow leaves it, $3 to the
-- provider's wallet, the rest to the platform fee. True when this call booked it.
SELECT ledger_post(g.id, 'release', p.id, g.payment_currency, NULL, 'Released for ' || g.skill_required,
                   jsonb_build_array(jsonb_build_array(g.poster_id, 'escrow', -$2::bigint),
                                     jsonb_build_array(p.provider_id, 'wallet', $3::bigint),
                                     jsonb_build_array(NULL, 'platform_fee', $2::bigint - $3::bigint)))
FROM gigs g JOIN projects p ON p.gig_id = g.id
WHERE g.id = $1;

-- name: st_escrow_released
-- After the release booking, in its transaction and only when it booked (the booking's key
-- is the once): project and gig completed, the provider told the money is theirs
-- (opportunity_project_completed) and both asked to rate the other (rating_prompt).
WITH p AS (
    UPDATE projects SET status = 'completed', completed_at = now(), released_amount = $2::bigint, updated_at = now()
    WHERE gig_id = $1
    RETURNING id, requester_id, provider_id, currency
), g AS (
    UPDATE gigs SET urgent_status = 'completed', payment_status = 'released', updated_at = now()
    WHERE id = $1
    RETURNING id, skill_required
), n1 AS (
    SELECT notify(p.provider_id, 'opportunity_project_completed', '💰 Payment released',
                  urgent_money($2::bigint, p.currency) || ' for the ' || urgent_title_case(g.skill_required)
                  || ' gig is on its way to you',
                  jsonb_build_object('project_id', p.id, 'gig_id', g.id, 'amount', money_major($2::bigint),
                                     'currency', p.currency)) AS nid
    FROM p, g
), n2 AS (
    SELECT notify(x.rater, 'rating_prompt', '⭐ Rate ' || coalesce(pr.full_name, pr.username),
                  'How was the ' || urgent_title_case(g.skill_required) || ' gig? Leave a rating.',
                  jsonb_build_object('project_id', p.id, 'gig_id', g.id, 'ratee_id', x.ratee,
                                     'ratee_name', coalesce(pr.full_name, pr.username))) AS nid
    FROM p, g,
         LATERAL (VALUES (p.requester_id, p.provider_id), (p.provider_id, p.requester_id)) x(rater, ratee)
         JOIN profiles pr ON pr.id = x.ratee
)
SELECT p.id, (SELECT count(*) FROM n1), (SELECT count(*) FROM n2) FROM p;

-- name: st_escrow_voided
-- Nothing goes to the provider (a dispute refunded in full): project and gig cancelled.
WITH p AS (
    UPDATE projects SET status = 'cancelled', released_amount = 0, updated_at = now()
    WHERE gig_id = $1 AND status NOT IN ('completed', 'cancelled')
    RETURNING id
)
UPDATE gigs SET urgent_status = 'cancelled', updated_at = now()
WHERE id = $1 AND urgent_status <> 'cancelled'
RETURNING id, (SELECT count(*) FROM p);

-- name: st_escrow_transferred
-- The provider's share of gig $1 reached their connected account ($2 the Transfer, $3 the
-- amount): out of their wallet into payout, once.
WITH op AS (
    UPDATE urgent_payment_ops SET status = 'done', done_at = now(), stripe_object_id = coalesce(stripe_object_id, $2)
    WHERE gig_id = $1 AND kind = 'transfer' AND status <> 'done'
    RETURNING id
)
SELECT ledger_post(g.id, 'transfer', p.id, g.payment_currency, $2, 'Paid out to your bank account',
                   jsonb_build_array(jsonb_build_array(p.provider_id, 'wallet', -$3::bigint),
                                     jsonb_build_array(p.provider_id, 'payout', $3::bigint))),
       (SELECT count(*) FROM op)
FROM gigs g JOIN projects p ON p.gig_id = g.id
WHERE g.id = $1;

-- name: st_escrow_transfer_reversed
-- A Transfer was reversed ($1 its id, $2 the amount reversed): the money is back in the
-- provider's wallet, once.
SELECT ledger_post(g.id, 'transfer_reversal', p.id, g.payment_currency, $1, 'Payout reversed',
                   jsonb_build_array(jsonb_build_array(p.provider_id, 'payout', -$2::bigint),
                                     jsonb_build_array(p.provider_id, 'wallet', $2::bigint)))
FROM urgent_payment_ops o
JOIN gigs g ON g.id = o.gig_id
JOIN projects p ON p.gig_id = g.id
WHERE o.kind = 'transfer' AND o.stripe_object_id = $1 AND o.status = 'done';

-- name: st_escrow_parties
-- Complete, step 2 (after st_escrow_lock, in a new snapshot that sees whatever the holder
-- of the lock committed): who the parties are and where the money stands.
SELECT g.poster_id, p.provider_id, p.status, g.settle_percent, iso(p.delivered_at + interval '48 hours'),
       p.id, g.urgent_status
FROM gigs g
LEFT JOIN projects p ON p.gig_id = g.id
WHERE g.id = $1 AND g.gig_type = 'urgent';

-- name: st_escrow_deliver
-- The provider says it is done: delivered, and the requester asked to confirm.
WITH p AS (
    UPDATE projects SET status = 'delivered', delivered_at = now(), updated_at = now()
    WHERE gig_id = $1 AND status = 'active'
    RETURNING id, requester_id, provider_id, amount - platform_fee AS share, currency, delivered_at
)
SELECT iso(p.delivered_at + interval '48 hours'),
       notify(p.requester_id, 'confirm_completion', '✅ Confirm completion',
              coalesce(pr.full_name, pr.username) || ' marked the ' || urgent_title_case(g.skill_required)
              || ' gig as done. Confirm to release ' || urgent_money(p.share, p.currency) || '.',
              jsonb_build_object('project_id', p.id, 'gig_id', g.id))
FROM p JOIN gigs g ON g.id = $1 JOIN profiles pr ON pr.id = p.provider_id;

-- name: st_escrow_wallet
-- The caller's wallets (one per currency, the most used first) and a page of entries.
WITH w AS (
    SELECT id, currency, balance, updated_at FROM wallets WHERE user_id = $1 AND account = 'wallet'
)
SELECT coalesce((SELECT json_agg(json_build_object('currency', currency, 'balance', money_major(balance))
                                 ORDER BY updated_at DESC, currency) FROM w), '[]'),
       coalesce((SELECT json_agg(json_build_object(
                     'id', t.id, 'kind', t.kind, 'amount', money_major(t.amount), 'currency', w.currency,
                     'gig_id', t.gig_id, 'project_id', lg.project_id, 'stripe_object_id', lg.stripe_object_id,
                     'description', t.description, 'created_at', iso(t.created_at)) ORDER BY t.id DESC)
                 FROM (SELECT * FROM wallet_transactions WHERE wallet_id IN (SELECT id FROM w)
                       ORDER BY id DESC LIMIT $2::int OFFSET $3::int) t
                 JOIN w ON w.id = t.wallet_id
                 JOIN ledger_groups lg ON lg.gig_id = t.gig_id AND lg.kind = t.kind), '[]'),
       (SELECT count(*) FROM wallet_transactions WHERE wallet_id IN (SELECT id FROM w)),
       coalesce((SELECT money_major(balance) FROM w ORDER BY updated_at DESC, currency LIMIT 1), 0),
       coalesce((SELECT currency FROM w ORDER BY updated_at DESC, currency LIMIT 1), 'GBP');

-- name: st_escrow_unsettled
-- Gigs whose settlement was decided at least $1 seconds ago and is not finished (a
-- Stripe failure or a crash between steps): the sweep finishes them.
SELECT g.id FROM gigs g
LEFT JOIN projects p ON p.gig_id = g.id
WHERE g.gig_type = 'urgent' AND g.settle_percent IS NOT NULL
  AND g.settle_decided_at < now() - make_interval(secs => $1::int)
  AND (g.payment_status NOT IN ('released', 'refunded', 'failed')
       OR (p.id IS NOT NULL AND p.status NOT IN ('completed', 'cancelled'))
       OR EXISTS (SELECT 1 FROM urgent_payment_ops o WHERE o.gig_id = g.id AND o.status = 'pending'))
ORDER BY g.settle_decided_at
LIMIT 100;

-- name: st_escrow_expire
-- One searching gig past expires_at: cancelled, to be refunded in full, offers expired,
-- the requester told — once (only the first finds it searching).
WITH g AS (
    UPDATE gigs SET urgent_status = 'cancelled', settle_percent = 0, settle_decided_at = now(), updated_at = now()
    WHERE id = $1 AND gig_type = 'urgent' AND urgent_status = 'searching' AND expires_at < now()
    RETURNING id, poster_id, skill_required, payment_status
), e AS (
    UPDATE gig_responses r SET status = 'expired' FROM g WHERE r.gig_id = g.id AND r.status IN ('pending', 'accepted')
)
SELECT notify(g.poster_id, 'urgent_gig_expired', 'No provider found',
              'Nobody was selected for your ' || g.skill_required || ' gig in time. '
              || CASE WHEN g.payment_status = 'escrowed' THEN 'The payment hold is being released.' ELSE '' END,
              jsonb_build_object('gig_id', g.id))
FROM g;

-- name: st_escrow_auto_release
-- A delivered project 48 h on with no open dispute: decided released in full, once.
UPDATE gigs g SET settle_percent = 100, settle_decided_at = now(), updated_at = now()
FROM projects p
WHERE g.id = $1 AND p.gig_id = g.id AND p.status = 'delivered' AND p.delivered_at < now() - interval '48 hours'
  AND g.settle_percent IS NULL
  AND NOT EXISTS (SELECT 1 FROM disputes d WHERE d.project_id = p.id AND d.status IN ('open', 'under_review'))
RETURNING g.id;

-- name: st_escrow_uncaptured
-- Held PaymentIntents 6 days old and not captured (an authorization lapses after 7).
SELECT g.id FROM gigs g
WHERE g.gig_type = 'urgent' AND g.payment_status = 'escrowed' AND g.payment_captured IS NULL
  AND g.settle_percent IS NULL AND g.created_at < now() - interval '6 days'
  AND g.urgent_status IN ('searching', 'confirmed')
ORDER BY g.created_at
LIMIT 100;
