-- 007_urgent: seed 003's urgent gigs, part I — provider availability, the urgent columns of
-- a gig (money in integer minor units), responses, projects and the notification quota.
-- An urgent gig is a `gigs` row with gig_type = 'urgent'; it never appears in the planned
-- marketplace: it is stored with status 'draft' (hidden from everyone but its poster by
-- every marketplace query) and a trigger keeps that status from being changed.
-- Locations are earthdistance points: GiST on ll_to_earth() for the current position and
-- for the general area, so a radius query is an index scan of an earth_box, then an exact
-- earth_distance on the few rows inside the box.

CREATE EXTENSION IF NOT EXISTS cube;
CREATE EXTENSION IF NOT EXISTS earthdistance;

-- ------------------------------------------------------------------ availability
-- Seed 2.3, plus the provider's time zone (an IANA name checked against
-- pg_timezone_names when written; taken from profiles.timezone when the row is created).
-- Rates are minor units, in the currency of the gig they are compared with.
CREATE TABLE user_availability (
    id                         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id                    uuid NOT NULL CONSTRAINT user_availability_user_key UNIQUE
                               REFERENCES users(id) ON DELETE CASCADE,
    available_for_urgent_gigs  boolean NOT NULL DEFAULT false,
    current_lat                double precision CHECK (current_lat BETWEEN -90 AND 90),
    current_lng                double precision CHECK (current_lng BETWEEN -180 AND 180),
    general_area               text CHECK (length(general_area) <= 200),
    general_area_lat           double precision CHECK (general_area_lat BETWEEN -90 AND 90),
    general_area_lng           double precision CHECK (general_area_lng BETWEEN -180 AND 180),
    max_radius_km              integer NOT NULL DEFAULT 20 CHECK (max_radius_km BETWEEN 1 AND 200),
    hourly_rate                bigint CHECK (hourly_rate >= 0),
    per_gig_rate               bigint CHECK (per_gig_rate >= 0),
    rate_negotiable            boolean NOT NULL DEFAULT false,
    availability_schedule      jsonb CHECK (availability_schedule IS NULL OR jsonb_typeof(availability_schedule) = 'object'),
    dnd_start                  time,
    dnd_end                    time,
    max_notifications_per_day  integer NOT NULL DEFAULT 5 CHECK (max_notifications_per_day BETWEEN 0 AND 100),
    timezone                   text NOT NULL DEFAULT 'UTC' CHECK (length(timezone) BETWEEN 1 AND 64),
    last_location_update       timestamptz,
    created_at                 timestamptz NOT NULL DEFAULT now(),
    updated_at                 timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT user_availability_current_pair CHECK ((current_lat IS NULL) = (current_lng IS NULL)),
    CONSTRAINT user_availability_area_pair CHECK ((general_area_lat IS NULL) = (general_area_lng IS NULL)),
    CONSTRAINT user_availability_dnd_pair CHECK ((dnd_start IS NULL) = (dnd_end IS NULL))
);
CREATE INDEX user_availability_current_gist ON user_availability
    USING gist (ll_to_earth(current_lat, current_lng))
    WHERE available_for_urgent_gigs AND current_lat IS NOT NULL;
CREATE INDEX user_availability_area_gist ON user_availability
    USING gist (ll_to_earth(general_area_lat, general_area_lng))
    WHERE available_for_urgent_gigs AND general_area_lat IS NOT NULL;

CREATE FUNCTION user_availability_json(a user_availability) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT json_build_object(
    'id', a.id, 'user_id', a.user_id, 'available_for_urgent_gigs', a.available_for_urgent_gigs,
    'current_lat', a.current_lat, 'current_lng', a.current_lng, 'general_area', a.general_area,
    'general_area_lat', a.general_area_lat, 'general_area_lng', a.general_area_lng,
    'max_radius_km', a.max_radius_km, 'hourly_rate', money_major(a.hourly_rate),
    'per_gig_rate', money_major(a.per_gig_rate), 'rate_negotiable', a.rate_negotiable,
    'availability_schedule', a.availability_schedule,
    'dnd_start', to_char(a.dnd_start, 'HH24:MI:SS'), 'dnd_end', to_char(a.dnd_end, 'HH24:MI:SS'),
    'max_notifications_per_day', a.max_notifications_per_day, 'timezone', a.timezone,
    'last_location_update', iso(a.last_location_update),
    'created_at', iso(a.created_at), 'updated_at', iso(a.updated_at)) $$;

-- ------------------------------------------------------------------ urgent gigs
-- Seed 2.2 on gigs. payment_status adds 'failed' (the card never authorised: nothing held)
-- to the seed's pending|escrowed|released|refunded; a cancelled hold is 'refunded'.
ALTER TABLE gigs
    ADD COLUMN skill_required           text CHECK (length(skill_required) BETWEEN 1 AND 100),
    ADD COLUMN genre                    text[] NOT NULL DEFAULT '{}' CHECK (cardinality(genre) <= 10),
    ADD COLUMN location_radius_km       integer DEFAULT 20 CHECK (location_radius_km BETWEEN 1 AND 200),
    ADD COLUMN duration_hours           numeric(4, 2) CHECK (duration_hours > 0 AND duration_hours <= 24),
    ADD COLUMN payment_status           text CHECK (payment_status IN ('pending', 'escrowed', 'released', 'refunded', 'failed')),
    ADD COLUMN selected_provider_id     uuid REFERENCES users(id) ON DELETE SET NULL,
    ADD COLUMN urgent_status            text CHECK (urgent_status IN ('searching', 'confirmed', 'completed', 'cancelled')),
    ADD COLUMN stripe_payment_intent_id text CONSTRAINT gigs_payment_intent_key UNIQUE,
    ADD COLUMN payment_amount           bigint CHECK (payment_amount > 0),          -- minor units
    ADD COLUMN payment_currency         text DEFAULT 'GBP' CHECK (payment_currency ~ '^[A-Z]{3}$'),
    ADD COLUMN date_needed              timestamptz,
    ADD COLUMN location_address         text CHECK (length(location_address) <= 300),
    ADD COLUMN location_lat             double precision CHECK (location_lat BETWEEN -90 AND 90),
    ADD COLUMN location_lng             double precision CHECK (location_lng BETWEEN -180 AND 180),
    ADD COLUMN expires_at               timestamptz,
    -- matching: set once by whichever of the webhook and confirm-payment comes first
    ADD COLUMN matching_started_at      timestamptz,
    ADD COLUMN last_wave_at             timestamptz,
    ADD COLUMN waves                    integer NOT NULL DEFAULT 0,
    ADD CONSTRAINT gigs_urgent_complete CHECK (gig_type <> 'urgent' OR (
        skill_required IS NOT NULL AND payment_status IS NOT NULL AND urgent_status IS NOT NULL
        AND payment_amount IS NOT NULL AND payment_currency IS NOT NULL AND date_needed IS NOT NULL
        AND location_lat IS NOT NULL AND location_lng IS NOT NULL AND expires_at IS NOT NULL
        AND location_radius_km IS NOT NULL AND status = 'draft')),
    ADD CONSTRAINT gigs_urgent_selected CHECK (urgent_status IS DISTINCT FROM 'confirmed' OR selected_provider_id IS NOT NULL),
    ADD CONSTRAINT gigs_urgent_matching CHECK (matching_started_at IS NULL OR payment_status <> 'pending');

-- Gigs the wave cron looks at: searching, paid, matching started.
CREATE INDEX gigs_urgent_waves_idx ON gigs (last_wave_at)
    WHERE gig_type = 'urgent' AND urgent_status = 'searching' AND matching_started_at IS NOT NULL;
CREATE INDEX gigs_urgent_requester_idx ON gigs (poster_id, created_at DESC) WHERE gig_type = 'urgent';

-- An urgent gig never becomes a marketplace listing (PUT /api/gigs/:id/status would otherwise
-- publish it with its held payment); its life is urgent_status.
CREATE FUNCTION gigs_urgent_keep_draft() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN
    IF OLD.gig_type = 'urgent' AND (NEW.status <> OLD.status OR NEW.gig_type <> OLD.gig_type) THEN
        RAISE EXCEPTION 'an urgent gig keeps its status' USING ERRCODE = 'check_violation',
              CONSTRAINT = 'gigs_urgent_keep_draft';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER gigs_urgent_keep_draft BEFORE UPDATE OF status, gig_type ON gigs
    FOR EACH ROW EXECUTE FUNCTION gigs_urgent_keep_draft();

-- ------------------------------------------------------------------ responses
-- Seed 2.4: one row per (gig, provider) — the unique key is "never notify twice".
-- distance_km and score are what the matcher saw when it notified.
CREATE TABLE gig_responses (
    id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    gig_id                 uuid NOT NULL REFERENCES gigs(id) ON DELETE CASCADE,
    provider_id            uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    status                 text NOT NULL DEFAULT 'pending'
                           CHECK (status IN ('pending', 'accepted', 'declined', 'expired')),
    response_time_seconds  integer CHECK (response_time_seconds >= 0),
    message                text CHECK (length(message) <= 1000),
    distance_km            numeric(7, 2) CHECK (distance_km >= 0),
    score                  real,
    wave                   integer NOT NULL DEFAULT 1 CHECK (wave >= 1),
    selected_at            timestamptz,
    notified_at            timestamptz NOT NULL DEFAULT now(),
    responded_at           timestamptz,
    created_at             timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT gig_responses_once_key UNIQUE (gig_id, provider_id),
    CONSTRAINT gig_responses_selected_accepted CHECK (selected_at IS NULL OR status = 'accepted'),
    CONSTRAINT gig_responses_answered CHECK ((status IN ('accepted', 'declined')) <= (responded_at IS NOT NULL))
);
-- One accepted selection per gig.
CREATE UNIQUE INDEX gig_responses_one_selected ON gig_responses (gig_id) WHERE selected_at IS NOT NULL;
CREATE INDEX gig_responses_provider_idx ON gig_responses (provider_id, notified_at DESC);

-- ------------------------------------------------------------------ projects
-- Seed's opportunity_projects for urgent gigs: what the requester pays (amount), what the
-- platform keeps (platform_fee), both minor units; the provider is paid amount - fee.
CREATE TABLE projects (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    gig_id           uuid NOT NULL CONSTRAINT projects_gig_key UNIQUE REFERENCES gigs(id) ON DELETE CASCADE,
    response_id      uuid NOT NULL REFERENCES gig_responses(id) ON DELETE CASCADE,
    requester_id     uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    provider_id      uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    conversation_id  uuid REFERENCES conversations(id) ON DELETE SET NULL,
    amount           bigint NOT NULL CHECK (amount > 0),
    platform_fee     bigint NOT NULL CHECK (platform_fee >= 0),
    currency         text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    status           text NOT NULL DEFAULT 'active'
                     CHECK (status IN ('active', 'delivered', 'completed', 'disputed', 'cancelled')),
    delivered_at     timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT projects_fee_le_amount CHECK (platform_fee <= amount),
    CONSTRAINT projects_parties CHECK (requester_id <> provider_id)
);
CREATE INDEX projects_requester_idx ON projects (requester_id, created_at DESC);
CREATE INDEX projects_provider_idx ON projects (provider_id, created_at DESC);

-- ------------------------------------------------------------------ quota
-- Seed 2.1: one row per offer sent. The daily quota counts rows since the provider's own
-- local midnight (sent_at >= urgent_local_midnight(tz)).
CREATE TABLE notification_rate_limits (
    id                 bigserial PRIMARY KEY,
    user_id            uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    notification_type  text NOT NULL CHECK (length(notification_type) <= 40),
    sent_at            timestamptz NOT NULL DEFAULT now(),
    gig_id             uuid REFERENCES gigs(id) ON DELETE SET NULL,
    action             text CHECK (length(action) <= 40)
);
CREATE INDEX notification_rate_limits_user_idx ON notification_rate_limits (user_id, notification_type, sent_at);

-- ------------------------------------------------------------------ helpers
-- Today's midnight in zone tz, as an instant.
CREATE FUNCTION urgent_local_midnight(tz text) RETURNS timestamptz
LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT date_trunc('day', now() AT TIME ZONE tz) AT TIME ZONE tz $$;

-- True when local time t is inside [s, e); a window with s > e crosses midnight.
CREATE FUNCTION urgent_in_window(t time, s time, e time) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT CASE WHEN s IS NULL OR e IS NULL THEN false
               WHEN s <= e THEN t >= s AND t < e
               ELSE t >= s OR t < e END $$;

-- Does the weekly schedule allow local timestamp lt? NULL schedule = always. A schedule
-- lists the days the provider works: a day missing or {available:false} is not available;
-- hours "all_day" or absent = the whole day, "HH:MM-HH:MM" a window (end < start crosses
-- midnight: the evening of that day and the small hours of the same date).
CREATE FUNCTION urgent_schedule_ok(sched jsonb, lt timestamp) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT sched IS NULL OR coalesce((
       SELECT (d->>'available')::boolean AND (
                  d->>'hours' IS NULL OR d->>'hours' = 'all_day'
                  OR urgent_in_window(lt::time, split_part(d->>'hours', '-', 1)::time,
                                      split_part(d->>'hours', '-', 2)::time)
                  OR split_part(d->>'hours', '-', 1) = split_part(d->>'hours', '-', 2))
       FROM (SELECT sched -> (ARRAY['monday','tuesday','wednesday','thursday','friday','saturday','sunday'])
                              [extract(isodow FROM lt)::int] AS d) x
       WHERE jsonb_typeof(d) = 'object'), false) $$;

-- Money for people: "£120", "£105.60", "€12.50", "120 SEK".
CREATE FUNCTION urgent_money(minor bigint, cur text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT CASE cur WHEN 'GBP' THEN '£' WHEN 'EUR' THEN '€' WHEN 'USD' THEN '$' ELSE '' END
          || CASE WHEN minor % 100 = 0 THEN (minor / 100)::text ELSE to_char(minor::numeric / 100, 'FM999999990.00') END
          || CASE WHEN cur IN ('GBP', 'EUR', 'USD') THEN '' ELSE ' ' || cur END $$;

-- "Tonight 7pm", "Today 2:30pm", "Tomorrow 9am", "Sat 7pm": when t falls, seen from zone tz.
CREATE FUNCTION urgent_when(t timestamptz, tz text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT CASE WHEN lt::date = ln::date AND extract(hour FROM lt) >= 17 THEN 'Tonight'
               WHEN lt::date = ln::date THEN 'Today'
               WHEN lt::date = ln::date + 1 THEN 'Tomorrow'
               ELSE to_char(lt, 'Dy') END
          || ' ' || ltrim(to_char(lt, CASE WHEN extract(minute FROM lt) = 0 THEN 'HH12am' ELSE 'HH12:MIam' END), '0')
   FROM (SELECT t AT TIME ZONE tz AS lt, now() AT TIME ZONE tz AS ln) x $$;

-- An instrument's emoji for the push title (🎵 when we do not know it).
CREATE FUNCTION urgent_emoji(skill text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT CASE WHEN s ~ 'trumpet|horn|brass|trombone' THEN '🎺' WHEN s ~ 'sax' THEN '🎷'
               WHEN s ~ 'guitar|bass' THEN '🎸' WHEN s ~ 'drum|percussion' THEN '🥁'
               WHEN s ~ 'piano|key|organ' THEN '🎹' WHEN s ~ 'violin|viola|cello|string' THEN '🎻'
               WHEN s ~ 'sing|vocal|choir' THEN '🎤' WHEN s ~ '\mdj\M' THEN '🎧' ELSE '🎵' END
   FROM lower(skill) s $$;

-- Skill as a title word: "trumpeter" → "Trumpeter".
CREATE FUNCTION urgent_title_case(s text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT upper(left(s, 1)) || substr(s, 2) $$;

-- GET /api/gigs/urgent/:id: the gig with its requester; distance_km only for a provider.
CREATE FUNCTION urgent_gig_json(g gigs, p profiles, distance_km numeric) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT jsonb_build_object(
    'id', g.id, 'gig_type', g.gig_type, 'title', g.title, 'description', g.description,
    'skill_required', g.skill_required, 'genre', g.genre,
    'date_needed', iso(g.date_needed), 'duration_hours', g.duration_hours,
    'payment_amount', money_major(g.payment_amount), 'payment_currency', g.payment_currency,
    'payment_status', g.payment_status, 'location_address', g.location_address,
    'location_lat', g.location_lat, 'location_lng', g.location_lng, 'location_radius_km', g.location_radius_km,
    'urgent_status', g.urgent_status, 'selected_provider_id', g.selected_provider_id,
    'expires_at', iso(g.expires_at), 'created_at', iso(g.created_at),
    'requester', jsonb_build_object('id', p.id, 'username', p.username, 'display_name', coalesce(p.full_name, p.username),
                                    'avatar_url', p.avatar_url))
   || CASE WHEN distance_km IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('distance_km', distance_km) END $$;
