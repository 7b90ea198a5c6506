-- 029_reads_only.sql — GET /api/user/availability only reads (issue 13, item 1: a read
-- never writes). The seed asks that the first GET "creates the default row if none"; it
-- did so with an INSERT inside the GET, so a read took a transaction id, a WAL flush and
-- the primary. Every user now gets the default row when the profile is made (sign-up,
-- seeds, any other path: a trigger), existing users get theirs here, and the GET is a
-- SELECT. The profile's time zone was the default of a first row; an availability nobody
-- has changed yet (updated_at = created_at) keeps following the profile's zone.

-- The zone if PostgreSQL knows it, else UTC (pg_timezone_names reads every zone file: a
-- conversion is far cheaper, and it is all that matters here).
CREATE FUNCTION known_zone_or_utc(zone text) RETURNS text LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF zone IS NULL THEN
        RETURN 'UTC';
    END IF;
    PERFORM now() AT TIME ZONE zone;
    RETURN zone;
EXCEPTION WHEN invalid_parameter_value THEN
    RETURN 'UTC';
END $$;

CREATE FUNCTION profiles_availability_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO user_availability (user_id, timezone)
        VALUES (NEW.id, known_zone_or_utc(NEW.timezone))
        ON CONFLICT (user_id) DO NOTHING;
    ELSE
        UPDATE user_availability SET timezone = known_zone_or_utc(NEW.timezone)
         WHERE user_id = NEW.id AND updated_at = created_at;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER profiles_availability_insert AFTER INSERT ON profiles
    FOR EACH ROW EXECUTE FUNCTION profiles_availability_row();
CREATE TRIGGER profiles_availability_zone AFTER UPDATE OF timezone ON profiles
    FOR EACH ROW WHEN (NEW.timezone IS DISTINCT FROM OLD.timezone) EXECUTE FUNCTION profiles_availability_row();

INSERT INTO user_availability (user_id, timezone)
SELECT p.id, known_zone_or_utc(p.timezone) FROM profiles p
 WHERE NOT EXISTS (SELECT 1 FROM user_availability a WHERE a.user_id = p.id)
ON CONFLICT (user_id) DO NOTHING;
