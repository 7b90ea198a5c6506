-- 003_payments.sql — Stripe billing: once-only webhook events, event ordering on
-- subscriptions, and the operation rows whose ids become Stripe Idempotency-Keys.

-- Every webhook event we acted on, recorded in the same transaction as its effect:
-- a redelivery finds its id here and changes nothing.
CREATE TABLE stripe_events (
    id           text PRIMARY KEY,               -- evt_...
    type         text NOT NULL,
    created      timestamptz NOT NULL,           -- the event's own `created`
    received_at  timestamptz NOT NULL DEFAULT now()
);

-- stripe_state_at: `created` of the newest event applied to this row. Stripe does not
-- deliver in order, so an event older than this never overwrites the row's state.
ALTER TABLE subscriptions ADD COLUMN stripe_state_at timestamptz;

-- Outgoing Stripe operations (customer, checkout, portal, cancel). The row id is part of
-- the Idempotency-Key ("<kind>-<user_id>-<id>"), so a retry of an operation that failed
-- or timed out on our side is the same operation at Stripe. At most one pending row per
-- (user, kind); it is finished (done_at) on a definite answer from Stripe.
CREATE TABLE stripe_ops (
    id          bigserial PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('customer', 'checkout', 'portal', 'cancel')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    done_at     timestamptz,
    outcome     text CHECK (outcome IN ('ok', 'refused', 'expired'))
);
CREATE UNIQUE INDEX stripe_ops_pending_idx ON stripe_ops (user_id, kind) WHERE done_at IS NULL;

-- The seed's Subscription type.
CREATE FUNCTION subscription_json(s subscriptions) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT json_build_object('id', s.id, 'user_id', s.user_id,
    'stripe_customer_id', s.stripe_customer_id, 'stripe_subscription_id', s.stripe_subscription_id,
    'status', s.status, 'plan', s.plan,
    'current_period_start', iso(s.current_period_start), 'current_period_end', iso(s.current_period_end),
    'cancel_at_period_end', s.cancel_at_period_end,
    'created_at', iso(s.created_at), 'updated_at', iso(s.updated_at)) $$;

-- user_is_pro() is kept as 001 defines it: past_due still counts as pro. Stripe retries a
-- failed renewal for days (Smart Retries) and only then moves the subscription to
-- canceled/unpaid, which our webhook maps to canceled/free; cutting a paying customer off
-- at the first declined card would be harsher than Stripe's own dunning.
