-- webhook.sql — the Stripe webhook's long statements (tools/sql2h makes sql_webhook.h).
-- Every write is guarded by stripe_state_at, the `created` of the newest event applied:
-- Stripe delivers in no particular order, and an older event must not undo a newer one.

-- name: st_wh_checkout
-- checkout.session.completed: links the customer and subscription to the user; a paid
-- session ($4) makes the plan pro unless a newer event already spoke. The ids are kept
-- whatever the event's age (coalesce): they never change once known.
INSERT INTO subscriptions AS s
       (user_id, stripe_customer_id, stripe_subscription_id, status, plan, stripe_state_at)
SELECT u.id, $2, $3,
       CASE WHEN $4 THEN 'active' ELSE 'incomplete' END,
       CASE WHEN $4 THEN 'pro' ELSE 'free' END,
       to_timestamp($5::bigint)
  FROM users u
 WHERE u.id = $1::uuid
    ON CONFLICT (user_id) DO UPDATE SET
       stripe_customer_id = coalesce(EXCLUDED.stripe_customer_id, s.stripe_customer_id),
       stripe_subscription_id = coalesce(EXCLUDED.stripe_subscription_id, s.stripe_subscription_id),
       status = CASE WHEN s.stripe_state_at IS NULL OR s.stripe_state_at <= EXCLUDED.stripe_state_at
                     THEN EXCLUDED.status ELSE s.status END,
       plan = CASE WHEN s.stripe_state_at IS NULL OR s.stripe_state_at <= EXCLUDED.stripe_state_at
                   THEN EXCLUDED.plan ELSE s.plan END,
       cancel_at_period_end = CASE WHEN s.stripe_state_at IS NULL OR s.stripe_state_at <= EXCLUDED.stripe_state_at
                                   THEN false ELSE s.cancel_at_period_end END,
       stripe_state_at = greatest(s.stripe_state_at, EXCLUDED.stripe_state_at),
       updated_at = now()
RETURNING s.id

-- name: st_wh_sub_update
-- customer.subscription.*: the row is found by subscription id ($1), then customer ($2),
-- then the user id we put in the subscription's metadata at checkout ($9). An event for
-- another subscription than the linked one may take over only when the linked one is not live.
UPDATE subscriptions s
   SET stripe_subscription_id = $1,
       stripe_customer_id = coalesce(s.stripe_customer_id, $2),
       status = $3,
       plan = $4,
       current_period_start = coalesce(to_timestamp($5::bigint), s.current_period_start),
       current_period_end = coalesce(to_timestamp($6::bigint), s.current_period_end),
       cancel_at_period_end = $7,
       stripe_state_at = to_timestamp($8::bigint),
       updated_at = now()
 WHERE s.id = (SELECT id FROM (SELECT id, 1 AS o FROM subscriptions WHERE stripe_subscription_id = $1
                               UNION ALL
                               SELECT id, 2 FROM subscriptions WHERE stripe_customer_id = $2
                               UNION ALL
                               SELECT id, 3 FROM subscriptions WHERE user_id = $9::uuid) c
                ORDER BY o LIMIT 1)
   AND (s.stripe_state_at IS NULL OR s.stripe_state_at <= to_timestamp($8::bigint))
   AND (s.stripe_subscription_id IS NULL OR s.stripe_subscription_id = $1
        OR s.status NOT IN ('active', 'trialing', 'past_due'))
RETURNING s.id

-- name: st_wh_invoice_failed
-- invoice.payment_failed: active/trialing → past_due (unless a newer event spoke), and the
-- user is told once per event, in the event's transaction. The notification goes out even
-- when the status did not change (a second failed attempt of a past_due invoice).
WITH s AS (SELECT id, user_id
             FROM subscriptions
            WHERE stripe_subscription_id = $1 AND status <> 'canceled'
              FOR UPDATE),
     u AS (UPDATE subscriptions t
              SET status = 'past_due', stripe_state_at = to_timestamp($2::bigint), updated_at = now()
             FROM s
            WHERE t.id = s.id AND t.status IN ('active', 'trialing')
              AND (t.stripe_state_at IS NULL OR t.stripe_state_at <= to_timestamp($2::bigint))
        RETURNING t.id)
SELECT notify(s.user_id, 'payment_failed', 'Payment failed',
              'We could not take the payment for your Pro subscription. Please update your payment method'
              || ' in the billing portal to keep Pro.',
              jsonb_build_object('invoice_id', $3::text, 'subscription_id', $1::text,
                                 'amount_due', $4::numeric / 100, 'currency', upper($5::text))),
       (SELECT count(*) FROM u)
  FROM s
