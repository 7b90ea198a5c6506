-- 002_marketplace: gigs, saved gigs, applications, reviews, the monthly post quota,
-- and the JSON renderers of those shapes (seed 000 types Gig, Application, Review).
-- Money is integer minor units; JSON shows major units through money_major().

CREATE TABLE gigs (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    poster_id           uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    organization_id     uuid,              -- organizations issue adds the FK
    category_id         uuid,
    title               text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description         text NOT NULL CHECK (length(description) BETWEEN 1 AND 10000),
    category            text NOT NULL CHECK (length(category) BETWEEN 1 AND 100),
    skills_required     text[] NOT NULL DEFAULT '{}' CHECK (cardinality(skills_required) <= 30),
    ai_tools_preferred  text[] NOT NULL DEFAULT '{}' CHECK (cardinality(ai_tools_preferred) <= 30),
    budget_type         text NOT NULL CHECK (budget_type IN ('fixed', 'hourly')),
    budget_min          bigint CHECK (budget_min >= 0),
    budget_max          bigint CHECK (budget_max >= 0),
    currency            text NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$'),
    duration            text CHECK (length(duration) <= 100),
    location_type       text NOT NULL CHECK (location_type IN ('remote', 'onsite', 'hybrid')),
    location            text CHECK (length(location) <= 200),
    gig_type            text NOT NULL DEFAULT 'planned' CHECK (gig_type IN ('planned', 'urgent')),
    status              text NOT NULL DEFAULT 'active'
                        CHECK (status IN ('draft', 'active', 'paused', 'closed', 'filled')),
    applications_count  integer NOT NULL DEFAULT 0 CHECK (applications_count >= 0),
    search_tsv          tsvector NOT NULL DEFAULT ''::tsvector,   -- kept by gigs_tsv_update()
    views_count         bigint NOT NULL DEFAULT 0 CHECK (views_count >= 0),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT gigs_budget_range CHECK (budget_min IS NULL OR budget_max IS NULL OR budget_min <= budget_max)
);
-- Full text: a plain column kept by a trigger that fires only when title or description
-- is written. Not a stored generated column: PostgreSQL recomputes those on every UPDATE,
-- and a view (UPDATE views_count) would then re-run to_tsvector. Not an expression index
-- either: a plan that walks (status, created_at) and filters on the text would then call
-- to_tsvector for every row it visits.
CREATE FUNCTION gigs_tsv(title text, description text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT to_tsvector('english'::regconfig, title || ' ' || description) $$;
CREATE FUNCTION gigs_tsv_update() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN NEW.search_tsv := gigs_tsv(NEW.title, NEW.description); RETURN NEW; END $$;
CREATE TRIGGER gigs_tsv_insert BEFORE INSERT ON gigs FOR EACH ROW EXECUTE FUNCTION gigs_tsv_update();
CREATE TRIGGER gigs_tsv_change BEFORE UPDATE OF title, description ON gigs
    FOR EACH ROW EXECUTE FUNCTION gigs_tsv_update();
CREATE INDEX gigs_search_idx ON gigs USING gin (search_tsv);
CREATE INDEX gigs_skills_idx ON gigs USING gin (skills_required);
CREATE INDEX gigs_ai_tools_idx ON gigs USING gin (ai_tools_preferred);
CREATE INDEX gigs_status_created_idx ON gigs (status, created_at DESC);
CREATE INDEX gigs_status_budget_idx ON gigs (status, budget_max DESC NULLS LAST, created_at DESC);
CREATE INDEX gigs_poster_idx ON gigs (poster_id, created_at DESC);

-- Gigs per status, so the unfiltered listing's exact total is a 16-row sum instead of a
-- count over every active gig. Sharded (random shard per change) so concurrent posts do
-- not queue on one counter row. Kept by triggers: statement-level with transition tables
-- for INSERT/DELETE (a bulk load is one upsert per status), row-level for status changes.
CREATE TABLE gig_counts (
    status  text NOT NULL,
    shard   smallint NOT NULL,
    n       bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (status, shard)
);
CREATE FUNCTION gig_counts_add(st text, delta bigint) RETURNS void LANGUAGE sql AS
$$ INSERT INTO gig_counts AS c (status, shard, n) VALUES (st, floor(random() * 16)::smallint, delta)
   ON CONFLICT (status, shard) DO UPDATE SET n = c.n + EXCLUDED.n $$;
CREATE FUNCTION gig_counts_rows() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM gig_counts_add(status, count(*)) FROM new_rows GROUP BY status ORDER BY status;
    ELSE
        PERFORM gig_counts_add(status, -count(*)) FROM old_rows GROUP BY status ORDER BY status;
    END IF;
    RETURN NULL;
END $$;
CREATE FUNCTION gig_counts_status() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN
    -- fixed order (by status text) so two opposite transitions cannot deadlock
    IF OLD.status < NEW.status THEN
        PERFORM gig_counts_add(OLD.status, -1);
        PERFORM gig_counts_add(NEW.status, 1);
    ELSE
        PERFORM gig_counts_add(NEW.status, 1);
        PERFORM gig_counts_add(OLD.status, -1);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER gig_counts_insert AFTER INSERT ON gigs REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION gig_counts_rows();
CREATE TRIGGER gig_counts_delete AFTER DELETE ON gigs REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION gig_counts_rows();
CREATE TRIGGER gig_counts_change AFTER UPDATE OF status ON gigs
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION gig_counts_status();

-- The Gig shape with its poster embedded (seed 000 `Gig.poster`).
CREATE FUNCTION gig_json(g gigs, p profiles) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT json_build_object(
    'id', g.id, 'poster_id', g.poster_id, 'poster', CASE WHEN p.id IS NULL THEN NULL ELSE profile_json(p) END,
    'organization_id', g.organization_id, 'category_id', g.category_id,
    'title', g.title, 'description', g.description, 'category', g.category,
    'skills_required', g.skills_required, 'ai_tools_preferred', g.ai_tools_preferred,
    'budget_type', g.budget_type, 'budget_min', money_major(g.budget_min), 'budget_max', money_major(g.budget_max),
    'currency', g.currency, 'duration', g.duration, 'location_type', g.location_type, 'location', g.location,
    'gig_type', g.gig_type, 'status', g.status, 'applications_count', g.applications_count,
    'views_count', g.views_count, 'created_at', iso(g.created_at), 'updated_at', iso(g.updated_at)) $$;

CREATE TABLE saved_gigs (
    user_id     uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    gig_id      uuid NOT NULL REFERENCES gigs(id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, gig_id)
);
CREATE INDEX saved_gigs_user_idx ON saved_gigs (user_id, created_at DESC);
CREATE INDEX saved_gigs_gig_idx ON saved_gigs (gig_id);

CREATE TABLE applications (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    gig_id             uuid NOT NULL REFERENCES gigs(id) ON DELETE CASCADE,
    applicant_id       uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    cover_letter       text NOT NULL CHECK (length(cover_letter) BETWEEN 1 AND 5000),
    proposed_rate      bigint CHECK (proposed_rate >= 0),
    proposed_timeline  text CHECK (length(proposed_timeline) <= 200),
    portfolio_items    text[] NOT NULL DEFAULT '{}' CHECK (cardinality(portfolio_items) <= 20),
    ai_tools_to_use    text[] NOT NULL DEFAULT '{}' CHECK (cardinality(ai_tools_to_use) <= 30),
    status             text NOT NULL DEFAULT 'pending'
                       CHECK (status IN ('pending', 'reviewing', 'shortlisted', 'rejected', 'accepted', 'withdrawn')),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT applications_gig_applicant_key UNIQUE (gig_id, applicant_id)
);
CREATE INDEX applications_applicant_idx ON applications (applicant_id, created_at DESC);

CREATE FUNCTION application_json(a applications) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT jsonb_build_object(
    'id', a.id, 'gig_id', a.gig_id, 'applicant_id', a.applicant_id, 'cover_letter', a.cover_letter,
    'proposed_rate', money_major(a.proposed_rate), 'proposed_timeline', a.proposed_timeline,
    'portfolio_items', a.portfolio_items, 'ai_tools_to_use', a.ai_tools_to_use, 'status', a.status,
    'created_at', iso(a.created_at), 'updated_at', iso(a.updated_at)) $$;

CREATE TABLE reviews (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    gig_id       uuid NOT NULL REFERENCES gigs(id) ON DELETE CASCADE,
    reviewer_id  uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    reviewee_id  uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    rating       integer NOT NULL CHECK (rating BETWEEN 1 AND 5),
    comment      text CHECK (length(comment) <= 2000),
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT reviews_once_key UNIQUE (gig_id, reviewer_id, reviewee_id),
    CHECK (reviewer_id <> reviewee_id)
);
CREATE INDEX reviews_reviewee_idx ON reviews (reviewee_id, created_at DESC);

CREATE FUNCTION review_json(r reviews, reviewer profiles) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT json_build_object(
    'id', r.id, 'gig_id', r.gig_id, 'reviewer_id', r.reviewer_id,
    'reviewer', CASE WHEN reviewer.id IS NULL THEN NULL ELSE profile_json(reviewer) END,
    'reviewee_id', r.reviewee_id, 'rating', r.rating, 'comment', r.comment, 'created_at', iso(r.created_at)) $$;

-- {average, count} of a user's reviews; average is 0 with no reviews.
CREATE FUNCTION user_rating_json(uid uuid) RETURNS json
LANGUAGE sql STABLE AS
$$ SELECT json_build_object('average', coalesce(round(avg(rating), 2), 0), 'count', count(*))
   FROM reviews WHERE reviewee_id = uid $$;

-- Free plan post quota: each change of a gig to `active` takes one unit of the
-- calendar month (UTC). The upsert row lock serialises concurrent posts by one user,
-- so exactly post_limit() succeed however many race.
CREATE TABLE post_usage (
    user_id  uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    month    date NOT NULL,
    count    integer NOT NULL DEFAULT 0 CHECK (count >= 0),
    PRIMARY KEY (user_id, month)
);

CREATE FUNCTION post_limit() RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT 10 $$;
CREATE FUNCTION usage_month() RETURNS date LANGUAGE sql STABLE AS
$$ SELECT date_trunc('month', now() AT TIME ZONE 'UTC')::date $$;

-- Takes one activation for uid in this transaction; false when a free user is at the limit.
CREATE FUNCTION post_usage_take(uid uuid) RETURNS boolean
LANGUAGE plpgsql AS
$$
DECLARE
    pro boolean := user_is_pro(uid);
    c integer;
BEGIN
    INSERT INTO post_usage AS u (user_id, month, count) VALUES (uid, usage_month(), 1)
    ON CONFLICT (user_id, month) DO UPDATE SET count = u.count + 1
        WHERE pro OR u.count < post_limit()
    RETURNING u.count INTO c;
    RETURN c IS NOT NULL;
END
$$;

CREATE FUNCTION usage_json(uid uuid) RETURNS json
LANGUAGE sql STABLE AS
$$ SELECT json_build_object('posts_used', used, 'posts_limit', CASE WHEN pro THEN NULL ELSE post_limit() END,
                            'can_post', pro OR used < post_limit())
   FROM (SELECT coalesce((SELECT count FROM post_usage WHERE user_id = uid AND month = usage_month()), 0) AS used,
                user_is_pro(uid) AS pro) x $$;

-- profile_completed follows the profile: a name, a bio and at least one skill.
CREATE FUNCTION profiles_completed() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN
    NEW.profile_completed := coalesce(length(NEW.full_name), 0) > 0 AND coalesce(length(NEW.bio), 0) > 0
                             AND cardinality(NEW.skills) > 0;
    RETURN NEW;
END $$;
CREATE TRIGGER profiles_completed BEFORE UPDATE ON profiles
    FOR EACH ROW EXECUTE FUNCTION profiles_completed();
