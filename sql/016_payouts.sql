-- 016_payouts: provider payouts (issue 17) — the provider's Stripe Connect Express
-- account, the payouts Stripe makes from it to their bank, and the ledger report.
--
-- payout_accounts: one row per user, inserted before Stripe is asked (its op_key is the
-- Idempotency-Key of the account creation, so two concurrent onboarding calls are one
-- account at Stripe); our copy of the account's state, kept by account.updated, with
-- state_at the `created` of the newest event applied (an older one never undoes it).
-- A provider is paid at release only when status = 'enabled'; otherwise the release
-- credit stays in the wallet as owed, and the transfer operations of everything owed are
-- claimed in the transaction of the account.updated that enables the account.

CREATE TABLE payout_accounts (
    user_id           uuid PRIMARY KEY REFERENCES users(id) ON DELETE RESTRICT,
    op_key            uuid NOT NULL DEFAULT gen_random_uuid(),
    stripe_account_id text CONSTRAINT payout_accounts_stripe_key UNIQUE
                      CHECK (stripe_account_id ~ '^acct_[A-Za-z0-9]{1,64}$'),
    status            text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'restricted', 'enabled')),
    payouts_enabled   boolean NOT NULL DEFAULT false,
    details_submitted boolean NOT NULL DEFAULT false,
    requirements_due  text[] NOT NULL DEFAULT '{}' CHECK (cardinality(requirements_due) <= 100),
    default_currency  text CHECK (default_currency ~ '^[a-z]{3}$'),
    state_at          timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

-- Stripe payouts of a connected account to its bank (payout.created / paid / failed).
CREATE TABLE payouts (
    id                text PRIMARY KEY CHECK (id ~ '^po_[A-Za-z0-9_]{1,64}$'),
    user_id           uuid NOT NULL REFERENCES users(id) ON DELETE RESTRICT,
    stripe_account_id text NOT NULL,
    amount            bigint NOT NULL CHECK (amount >= 0),
    currency          text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    status            text NOT NULL CHECK (status IN ('pending', 'in_transit', 'paid', 'failed', 'canceled')),
    arrival_date      timestamptz,
    failure_code      text CHECK (length(failure_code) <= 100),
    failure_message   text CHECK (length(failure_message) <= 500),
    state_at          timestamptz NOT NULL,
    failure_notified_at timestamptz,  -- the provider was told (once)
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payouts_user_idx ON payouts (user_id, created_at DESC, id);

-- The money report reads groups by time.
CREATE INDEX ledger_groups_created_idx ON ledger_groups (created_at);
