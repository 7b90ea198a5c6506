-- 012_urgent_money: urgent gigs part II — where the held money goes.
--
-- Stripe operations (capture, cancel, refund, transfer) are rows of urgent_payment_ops,
-- one per (gig, kind): the row is claimed before Stripe is called and its id is in the
-- Idempotency-Key, so every retry of a step (the user's, a job's, a second host's) is the
-- same operation at Stripe; the row is marked done, with the Stripe object id, in the
-- transaction that books the step. Bookings are a double-entry ledger: each movement is a
-- ledger_groups row keyed (gig_id, kind) — a repeat is a primary-key conflict — and
-- entries that sum to zero (checked at commit). Entries are never changed or removed.
--
-- Accounts (wallets.account): 'wallet' a user's balance (a provider's earnings), 'escrow'
-- a requester's captured money held for a gig, 'platform_fee' the platform's income,
-- 'stripe' money between the card and us (captured in, refunded out), 'payout' money
-- transferred to a provider's connected account.

ALTER TABLE profiles ADD COLUMN stripe_account_id text CHECK (stripe_account_id ~ '^acct_[A-Za-z0-9]{1,64}$');

-- What the gig's money is decided to become, set once: the percentage of the payment
-- released to the provider (100 complete / auto-release / dispute release, 0 expiry or
-- dispute refund, P a split). payment_captured / payment_refunded: what Stripe did, minor units.
ALTER TABLE gigs
    ADD COLUMN settle_percent        smallint CHECK (settle_percent BETWEEN 0 AND 100),
    ADD COLUMN settle_decided_at     timestamptz,
    ADD COLUMN payment_captured      bigint CHECK (payment_captured >= 0),
    ADD COLUMN payment_captured_at   timestamptz,
    ADD COLUMN payment_refunded      bigint CHECK (payment_refunded >= 0),
    ADD COLUMN starting_soon_sent_at timestamptz;
CREATE INDEX gigs_urgent_expire_idx ON gigs (expires_at)
    WHERE gig_type = 'urgent' AND urgent_status = 'searching';
CREATE INDEX gigs_urgent_settling_idx ON gigs (settle_decided_at)
    WHERE gig_type = 'urgent' AND settle_percent IS NOT NULL;
CREATE INDEX gigs_urgent_uncaptured_idx ON gigs (created_at)
    WHERE gig_type = 'urgent' AND payment_status = 'escrowed' AND payment_captured IS NULL;
CREATE INDEX gigs_urgent_soon_idx ON gigs (date_needed)
    WHERE gig_type = 'urgent' AND urgent_status = 'confirmed' AND starting_soon_sent_at IS NULL;

ALTER TABLE projects
    ADD COLUMN completed_at           timestamptz,
    ADD COLUMN completion_reminded_at timestamptz,
    ADD COLUMN released_amount        bigint CHECK (released_amount >= 0),  -- to the provider, minor units
    ADD CONSTRAINT projects_delivered_at CHECK (status <> 'delivered' OR delivered_at IS NOT NULL);
CREATE INDEX projects_delivered_idx ON projects (delivered_at) WHERE status = 'delivered';

-- ------------------------------------------------------------------ Stripe operations
CREATE TABLE urgent_payment_ops (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    gig_id           uuid NOT NULL REFERENCES gigs(id) ON DELETE RESTRICT,
    kind             text NOT NULL CHECK (kind IN ('capture', 'cancel', 'refund', 'transfer')),
    amount           bigint CHECK (amount > 0),       -- NULL for cancel
    status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
    stripe_object_id text,
    attempts         integer NOT NULL DEFAULT 0,
    last_error       text CHECK (length(last_error) <= 500),
    created_at       timestamptz NOT NULL DEFAULT now(),
    done_at          timestamptz,
    CONSTRAINT urgent_payment_ops_once UNIQUE (gig_id, kind),
    CONSTRAINT urgent_payment_ops_done CHECK ((status = 'done') = (done_at IS NOT NULL)),
    CONSTRAINT urgent_payment_ops_amount CHECK ((kind = 'cancel') = (amount IS NULL))
);
CREATE INDEX urgent_payment_ops_pending_idx ON urgent_payment_ops (created_at) WHERE status = 'pending';
CREATE INDEX urgent_payment_ops_stripe_idx ON urgent_payment_ops (stripe_object_id);

-- ------------------------------------------------------------------ ledger
CREATE TABLE wallets (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id     uuid REFERENCES users(id) ON DELETE RESTRICT,   -- NULL: a platform account
    account     text NOT NULL CHECK (account IN ('wallet', 'escrow', 'platform_fee', 'stripe', 'payout')),
    currency    text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    balance     bigint NOT NULL DEFAULT 0,      -- the sum of its entries, kept by a trigger
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT wallets_owner CHECK ((user_id IS NULL) = (account IN ('platform_fee', 'stripe')))
);
CREATE UNIQUE INDEX wallets_user_key ON wallets (user_id, account, currency) WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX wallets_platform_key ON wallets (account, currency) WHERE user_id IS NULL;

CREATE TABLE ledger_groups (
    gig_id           uuid NOT NULL REFERENCES gigs(id) ON DELETE RESTRICT,
    kind             text NOT NULL CHECK (kind IN ('capture', 'release', 'refund', 'transfer', 'transfer_reversal')),
    project_id       uuid REFERENCES projects(id) ON DELETE RESTRICT,
    currency         text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    stripe_object_id text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (gig_id, kind)
);

CREATE TABLE wallet_transactions (
    id               bigserial PRIMARY KEY,
    gig_id           uuid NOT NULL,
    kind             text NOT NULL,
    wallet_id        uuid NOT NULL REFERENCES wallets(id) ON DELETE RESTRICT,
    amount           bigint NOT NULL CHECK (amount <> 0),   -- minor units, + into the account
    description      text NOT NULL CHECK (length(description) <= 300),
    created_at       timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (gig_id, kind) REFERENCES ledger_groups (gig_id, kind) ON DELETE RESTRICT,
    CONSTRAINT wallet_transactions_once UNIQUE (gig_id, kind, wallet_id)
);
CREATE INDEX wallet_transactions_wallet_idx ON wallet_transactions (wallet_id, id DESC);

CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN
    RAISE EXCEPTION 'the ledger is append-only' USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_append_only';
END $$;
CREATE TRIGGER wallet_transactions_append_only BEFORE UPDATE OR DELETE ON wallet_transactions
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_groups_append_only BEFORE UPDATE OR DELETE ON ledger_groups
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();

CREATE FUNCTION wallet_transactions_balance() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN
    UPDATE wallets SET balance = balance + NEW.amount, updated_at = now() WHERE id = NEW.wallet_id;
    RETURN NULL;
END $$;
CREATE TRIGGER wallet_transactions_balance AFTER INSERT ON wallet_transactions
    FOR EACH ROW EXECUTE FUNCTION wallet_transactions_balance();

-- At commit: the group of each inserted entry sums to zero.
CREATE FUNCTION ledger_group_balanced() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN
    IF (SELECT sum(amount) FROM wallet_transactions WHERE gig_id = NEW.gig_id AND kind = NEW.kind) <> 0 THEN
        RAISE EXCEPTION 'ledger group % % does not balance', NEW.gig_id, NEW.kind
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_group_balanced';
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER ledger_group_balanced AFTER INSERT ON wallet_transactions
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_group_balanced();

CREATE FUNCTION ledger_wallet(uid uuid, acct text, cur text) RETURNS uuid LANGUAGE plpgsql AS
$$ DECLARE wid uuid;
BEGIN
    SELECT id INTO wid FROM wallets WHERE user_id IS NOT DISTINCT FROM uid AND account = acct AND currency = cur;
    IF wid IS NULL THEN
        INSERT INTO wallets (user_id, account, currency) VALUES (uid, acct, cur) ON CONFLICT DO NOTHING RETURNING id INTO wid;
        IF wid IS NULL THEN
            SELECT id INTO wid FROM wallets WHERE user_id IS NOT DISTINCT FROM uid AND account = acct AND currency = cur;
        END IF;
    END IF;
    RETURN wid;
END $$;

-- Books one movement of gig g: entries [[user_id|null, account, amount], ...] (zero amounts
-- skipped). Returns false, booking nothing, when (g, kind) was booked before.
CREATE FUNCTION ledger_post(g uuid, kind_ text, project uuid, cur text, stripe_id text, descr text, entries jsonb)
RETURNS boolean LANGUAGE plpgsql AS
$$ DECLARE e jsonb;
BEGIN
    INSERT INTO ledger_groups (gig_id, kind, project_id, currency, stripe_object_id)
    VALUES (g, kind_, project, cur, stripe_id) ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    FOR e IN SELECT * FROM jsonb_array_elements(entries) LOOP
        CONTINUE WHEN (e->>2)::bigint = 0;
        INSERT INTO wallet_transactions (gig_id, kind, wallet_id, amount, description)
        VALUES (g, kind_, ledger_wallet((e->>0)::uuid, e->>1, cur), (e->>2)::bigint, descr);
    END LOOP;
    RETURN true;
END $$;

-- ------------------------------------------------------------------ ratings (seed 2.5)
-- The other party's rating is visible once both have rated.
CREATE TABLE gig_ratings (
    id                         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    project_id                 uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    rater_id                   uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    ratee_id                   uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    overall_rating             smallint NOT NULL CHECK (overall_rating BETWEEN 1 AND 5),
    professionalism_rating     smallint NOT NULL CHECK (professionalism_rating BETWEEN 1 AND 5),
    punctuality_rating         smallint NOT NULL CHECK (punctuality_rating BETWEEN 1 AND 5),
    quality_rating             smallint CHECK (quality_rating BETWEEN 1 AND 5),
    payment_promptness_rating  smallint CHECK (payment_promptness_rating BETWEEN 1 AND 5),
    review_text                text CHECK (length(review_text) <= 1000),
    created_at                 timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT gig_ratings_once UNIQUE (project_id, rater_id),
    CONSTRAINT gig_ratings_parties CHECK (rater_id <> ratee_id)
);
CREATE INDEX gig_ratings_ratee_idx ON gig_ratings (ratee_id, created_at DESC);

CREATE FUNCTION gig_rating_json(r gig_ratings) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT jsonb_build_object('id', r.id, 'project_id', r.project_id, 'rater_id', r.rater_id, 'ratee_id', r.ratee_id,
    'overall_rating', r.overall_rating, 'professionalism_rating', r.professionalism_rating,
    'punctuality_rating', r.punctuality_rating, 'quality_rating', r.quality_rating,
    'payment_promptness_rating', r.payment_promptness_rating, 'review_text', r.review_text,
    'created_at', iso(r.created_at)) $$;

-- Every public rating of a user: planned-gig reviews and visible urgent-gig ratings (the
-- matching score and the responses list read this).
CREATE VIEW user_ratings AS
    SELECT reviewee_id AS user_id, rating::numeric AS rating FROM reviews
    UNION ALL
    SELECT r.ratee_id, r.overall_rating::numeric FROM gig_ratings r
    WHERE EXISTS (SELECT 1 FROM gig_ratings o WHERE o.project_id = r.project_id AND o.rater_id = r.ratee_id);

-- ------------------------------------------------------------------ disputes (seed 2.6)
CREATE TABLE disputes (
    id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    project_id             uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    raised_by              uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    against                uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    reason                 text NOT NULL CHECK (length(reason) BETWEEN 1 AND 200),
    description            text NOT NULL CHECK (length(description) BETWEEN 1 AND 5000),
    evidence_urls          text[] CHECK (cardinality(evidence_urls) <= 10),
    status                 text NOT NULL DEFAULT 'open'
                           CHECK (status IN ('open', 'under_review', 'resolved_refund', 'resolved_release', 'resolved_split')),
    counter_response       text CHECK (length(counter_response) <= 5000),
    counter_evidence_urls  text[] CHECK (cardinality(counter_evidence_urls) <= 10),
    resolution_notes       text CHECK (length(resolution_notes) <= 2000),
    split_percent          smallint CHECK (split_percent BETWEEN 0 AND 100),
    responded_at           timestamptz,
    resolved_at            timestamptz,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT disputes_parties CHECK (raised_by <> against),
    CONSTRAINT disputes_resolved CHECK ((status LIKE 'resolved_%') = (resolved_at IS NOT NULL)),
    CONSTRAINT disputes_split CHECK ((status = 'resolved_split') = (split_percent IS NOT NULL))
);
CREATE UNIQUE INDEX disputes_one_open ON disputes (project_id) WHERE status IN ('open', 'under_review');
