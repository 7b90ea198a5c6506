-- payouts.sql — the statements of lib/payouts.c: the provider's connected account, the
-- transfers owed to it, Stripe's payouts to the bank, receipts and the money report.

-- name: st_payouts_claim
-- The caller's payout account row: a new one, or the one made before (the same op_key,
-- so concurrent onboarding calls create one account at Stripe). A concurrent insert
-- committed between the INSERT and the SELECT snapshots yields no row: ask again.
WITH ins AS (
    INSERT INTO payout_accounts (user_id) VALUES ($1)
    ON CONFLICT (user_id) DO NOTHING
    RETURNING op_key, stripe_account_id, status
)
SELECT op_key, stripe_account_id, status FROM ins
UNION ALL
SELECT op_key, stripe_account_id, status FROM payout_accounts WHERE user_id = $1
LIMIT 1;

-- name: st_payouts_store_account
-- Stripe created account $2 for user $1: stored once (a concurrent call that got the same
-- account from Stripe's idempotency replay changes nothing), on the profile too.
WITH a AS (
    UPDATE payout_accounts SET stripe_account_id = coalesce(stripe_account_id, $2), updated_at = now()
    WHERE user_id = $1
    RETURNING stripe_account_id
), p AS (
    UPDATE profiles SET stripe_account_id = a.stripe_account_id FROM a
    WHERE profiles.id = $1 AND profiles.stripe_account_id IS DISTINCT FROM a.stripe_account_id
)
SELECT stripe_account_id FROM a;

-- name: st_payouts_apply_account
-- account.updated for user $1's account: our copy of its state, unless a newer event
-- ($7, epoch seconds) was applied already (same second: the later delivery wins).
UPDATE payout_accounts
SET status = $2, payouts_enabled = $3::boolean, details_submitted = $4::boolean,
    requirements_due = ARRAY(SELECT jsonb_array_elements_text($5::jsonb)),
    default_currency = coalesce(lower($6), default_currency),
    state_at = to_timestamp($7::bigint), updated_at = now()
WHERE user_id = $1 AND (state_at IS NULL OR state_at <= to_timestamp($7::bigint))
RETURNING status;

-- name: st_payouts_claim_owed
-- Provider $1's account is enabled: the Transfer operation of every release credit not
-- transferred yet, claimed (pending) in this transaction. The operation key (gig,
-- 'transfer') makes it once per credit whoever claims it; a crash after the commit leaves
-- pending operations that the expire job's sweep carries out (lib/escrow.c).
INSERT INTO urgent_payment_ops (gig_id, kind, amount)
SELECT p.gig_id, 'transfer', p.released_amount
FROM projects p
JOIN ledger_groups lg ON lg.gig_id = p.gig_id AND lg.kind = 'release'
WHERE p.provider_id = $1 AND p.released_amount > 0
ON CONFLICT (gig_id, kind) DO NOTHING;

-- name: st_payouts_pending_transfers
-- Provider $1's Transfers claimed and not made yet (settled after the webhook's commit).
SELECT o.gig_id
FROM urgent_payment_ops o
JOIN projects p ON p.gig_id = o.gig_id
WHERE p.provider_id = $1 AND o.kind = 'transfer' AND o.status = 'pending'
ORDER BY o.created_at
LIMIT 20;

-- name: st_payouts_record
-- payout.* for connected account $1: payout $2 recorded against its provider, or brought
-- to the event's state unless a newer event was applied ($9, epoch seconds).
INSERT INTO payouts (id, user_id, stripe_account_id, amount, currency, status, arrival_date,
                     failure_code, failure_message, state_at)
SELECT $2, a.user_id, $1, $3::bigint, upper($4), $5, to_timestamp($6::bigint), left($7, 100), left($8, 500),
       to_timestamp($9::bigint)
FROM payout_accounts a WHERE a.stripe_account_id = $1
ON CONFLICT (id) DO UPDATE
SET status = EXCLUDED.status, amount = EXCLUDED.amount, arrival_date = EXCLUDED.arrival_date,
    failure_code = EXCLUDED.failure_code, failure_message = EXCLUDED.failure_message,
    state_at = EXCLUDED.state_at, updated_at = now()
WHERE payouts.state_at <= EXCLUDED.state_at AND payouts.user_id = EXCLUDED.user_id
RETURNING user_id, status;

-- name: st_payouts_notify_failed
-- A failed payout tells its provider once (push and in-app through the notification
-- store): fix the bank details through a fresh onboarding link.
WITH p AS (
    UPDATE payouts SET failure_notified_at = now()
    WHERE id = $1 AND status = 'failed' AND failure_notified_at IS NULL
    RETURNING id, user_id, amount, currency, failure_message
)
SELECT notify(p.user_id, 'payout_failed', '⚠️ Payout failed',
              'Your payout of ' || urgent_money(p.amount, p.currency)
              || ' could not be paid into your bank account. Update your bank details to get paid.',
              jsonb_build_object('payout_id', p.id, 'amount', money_major(p.amount), 'currency', p.currency,
                                 'reason', p.failure_message, 'action', 'update_bank_details',
                                 'onboarding', '/api/payouts/account'))
FROM p;

-- name: st_payouts_list
-- How many payouts the caller has, and a page of them, newest first.
SELECT (SELECT count(*) FROM payouts WHERE user_id = $1),
       coalesce((SELECT json_agg(json_build_object(
                     'id', x.id, 'amount', money_major(x.amount), 'currency', x.currency, 'status', x.status,
                     'arrival_date', iso(x.arrival_date), 'failure_code', x.failure_code,
                     'failure_message', x.failure_message, 'created_at', iso(x.created_at),
                     'updated_at', iso(x.updated_at)) ORDER BY x.created_at DESC, x.id)
                 FROM (SELECT * FROM payouts WHERE user_id = $1
                       ORDER BY created_at DESC, id LIMIT $2::int OFFSET $3::int) x), '[]');

-- name: st_payouts_receipt
-- Wallet entry $1 of user $2 (a release credit or a transfer out), with the release of its
-- gig: gross (what left the requester's escrow), the platform fee and the net.
SELECT t.kind, w.currency, iso(t.created_at), t.gig_id, lg.project_id, lg.stripe_object_id,
       money_major(-rel.gross), money_major(rel.fee), money_major(rel.net), money_major(abs(t.amount)),
       g.skill_required, coalesce(rq.full_name, rq.username), coalesce(pv.full_name, pv.username)
FROM wallet_transactions t
JOIN wallets w ON w.id = t.wallet_id AND w.user_id = $2 AND w.account = 'wallet'
JOIN ledger_groups lg ON lg.gig_id = t.gig_id AND lg.kind = t.kind
JOIN gigs g ON g.id = t.gig_id
LEFT JOIN projects p ON p.gig_id = t.gig_id
LEFT JOIN profiles rq ON rq.id = p.requester_id
LEFT JOIN profiles pv ON pv.id = p.provider_id
CROSS JOIN LATERAL (
    SELECT coalesce(sum(e.amount) FILTER (WHERE ew.account = 'escrow'), 0)::bigint AS gross,
           coalesce(sum(e.amount) FILTER (WHERE ew.account = 'platform_fee'), 0)::bigint AS fee,
           coalesce(sum(e.amount) FILTER (WHERE ew.account = 'wallet'), 0)::bigint AS net
    FROM wallet_transactions e JOIN wallets ew ON ew.id = e.wallet_id
    WHERE e.gig_id = t.gig_id AND e.kind = 'release'
) rel
WHERE t.id = $1::bigint AND t.kind IN ('release', 'transfer');

-- name: st_payouts_report
-- The money report over ledger groups created in [$1, $2): volume per kind and currency,
-- owed wallet balances now, and every group (of the period) that does not sum to zero.
WITH grp AS (
    SELECT lg.gig_id, lg.kind, lg.currency, t.amount, w.account
    FROM ledger_groups lg
    JOIN wallet_transactions t ON t.gig_id = lg.gig_id AND t.kind = lg.kind
    JOIN wallets w ON w.id = t.wallet_id
    WHERE lg.created_at >= $1::timestamptz AND lg.created_at < $2::timestamptz
)
SELECT json_build_object(
    'from', iso($1::timestamptz), 'to', iso($2::timestamptz),
    'by_currency', coalesce((SELECT json_object_agg(c.currency, json_build_object(
        'captured', money_major(c.captured), 'fees', money_major(c.fees), 'released', money_major(c.released),
        'transfers', money_major(c.transfers), 'transfer_reversals', money_major(c.reversals),
        'refunds', money_major(c.refunds)))
      FROM (SELECT currency,
                   coalesce(sum(amount) FILTER (WHERE kind = 'capture' AND account = 'escrow'), 0)::bigint AS captured,
                   coalesce(sum(amount) FILTER (WHERE kind = 'release' AND account = 'platform_fee'), 0)::bigint AS fees,
                   coalesce(sum(amount) FILTER (WHERE kind = 'release' AND account = 'wallet'), 0)::bigint AS released,
                   coalesce(sum(amount) FILTER (WHERE kind = 'transfer' AND account = 'payout'), 0)::bigint AS transfers,
                   coalesce(-sum(amount) FILTER (WHERE kind = 'transfer_reversal' AND account = 'payout'), 0)::bigint AS reversals,
                   coalesce(sum(amount) FILTER (WHERE kind = 'refund' AND account = 'stripe'), 0)::bigint AS refunds
            FROM grp GROUP BY currency) c), '{}'),
    'owed', coalesce((SELECT json_object_agg(o.currency, json_build_object(
        'providers', o.n, 'amount', money_major(o.total)))
      FROM (SELECT currency, count(*) AS n, sum(balance)::bigint AS total FROM wallets
            WHERE account = 'wallet' AND balance <> 0 GROUP BY currency) o), '{}'),
    'groups', (SELECT count(DISTINCT (gig_id, kind)) FROM grp),
    'unbalanced', coalesce((SELECT json_agg(json_build_object('gig_id', u.gig_id, 'kind', u.kind, 'sum', u.s))
      FROM (SELECT gig_id, kind, sum(amount)::bigint AS s FROM grp GROUP BY gig_id, kind HAVING sum(amount) <> 0
            ORDER BY gig_id, kind LIMIT 100) u), '[]')),
    (SELECT count(*) FROM (SELECT 1 FROM grp GROUP BY gig_id, kind HAVING sum(amount) <> 0) z);
