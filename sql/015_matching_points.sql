-- 015_matching_points.sql — an index that answers "who with this skill is near here"
-- in one GiST scan. Matching used to scan every available provider inside the gig's
-- earth_box and then look up each one's profile for the skill: in a dense city that is
-- thousands of rows (and profile probes) to find the few hundred who play the
-- instrument. urgent_provider_points holds one row per available provider, skill (lower
-- case) and position kind (their current position and their general area), indexed on
-- (skill, point) with btree_gist, so the scan visits only providers with the skill.
-- Triggers keep it in step with user_availability and profiles.skills.
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE urgent_provider_points (
    user_id     uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    skill       text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('current', 'area')),
    pt          earth NOT NULL,
    located_at  timestamptz,           -- last_location_update, for the current position
    PRIMARY KEY (user_id, skill, kind)
);
CREATE INDEX urgent_provider_points_skill_pt ON urgent_provider_points USING gist (skill, pt);

-- Rewrites the rows of one provider from their availability and skills.
CREATE FUNCTION urgent_points_refresh(uid uuid) RETURNS void
LANGUAGE sql AS $$
    DELETE FROM urgent_provider_points WHERE user_id = uid;
    INSERT INTO urgent_provider_points (user_id, skill, kind, pt, located_at)
    SELECT a.user_id, s.skill, k.kind, k.pt, k.located_at
    FROM user_availability a
    JOIN profiles p ON p.id = a.user_id
    CROSS JOIN LATERAL (SELECT DISTINCT lower(x) AS skill FROM unnest(p.skills) x) s
    CROSS JOIN LATERAL (
        SELECT 'current' AS kind, ll_to_earth(a.current_lat, a.current_lng) AS pt, a.last_location_update AS located_at
        WHERE a.current_lat IS NOT NULL AND a.last_location_update IS NOT NULL
        UNION ALL
        SELECT 'area', ll_to_earth(a.general_area_lat, a.general_area_lng), NULL
        WHERE a.general_area_lat IS NOT NULL) k
    WHERE a.user_id = uid AND a.available_for_urgent_gigs;
$$;

CREATE FUNCTION urgent_points_from_availability() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM urgent_points_refresh(NEW.user_id);
    RETURN NULL;
END $$;

CREATE FUNCTION urgent_points_from_profile() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM user_availability WHERE user_id = NEW.id) THEN
        PERFORM urgent_points_refresh(NEW.id);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER urgent_points_availability
    AFTER INSERT OR UPDATE OF available_for_urgent_gigs, current_lat, current_lng, general_area_lat,
                              general_area_lng, last_location_update
    ON user_availability FOR EACH ROW EXECUTE FUNCTION urgent_points_from_availability();
CREATE TRIGGER urgent_points_profile
    AFTER UPDATE OF skills ON profiles
    FOR EACH ROW WHEN (OLD.skills IS DISTINCT FROM NEW.skills)
    EXECUTE FUNCTION urgent_points_from_profile();

-- The rows of providers who exist already.
DO $$ BEGIN
    PERFORM urgent_points_refresh(user_id) FROM user_availability WHERE available_for_urgent_gigs;
END $$;
