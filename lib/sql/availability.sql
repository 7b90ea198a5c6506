-- availability.sql — the statements of lib/availability.c.

-- name: st_avail_read
-- GET: the caller's row, made with the profile (sql/029); a read only.
SELECT user_availability_json(a) FROM user_availability a WHERE a.user_id = $1

-- name: st_avail_patch
-- Applies the validated patch $2 (a JSON object holding only the fields sent, money in
-- minor units): jsonb_populate_record fills the row from it and keeps every other column.
-- A pair sent half (current_lat without current_lng) is refused by the table's CHECKs.
UPDATE user_availability a SET
    (available_for_urgent_gigs, current_lat, current_lng, general_area, general_area_lat, general_area_lng,
     max_radius_km, hourly_rate, per_gig_rate, rate_negotiable, availability_schedule, dnd_start, dnd_end,
     max_notifications_per_day, timezone) =
    (SELECT r.available_for_urgent_gigs, r.current_lat, r.current_lng, r.general_area, r.general_area_lat,
            r.general_area_lng, r.max_radius_km, r.hourly_rate, r.per_gig_rate, r.rate_negotiable,
            r.availability_schedule, r.dnd_start, r.dnd_end, r.max_notifications_per_day, r.timezone
     FROM jsonb_populate_record(a, $2::jsonb) r),
    last_location_update = CASE WHEN $2::jsonb ? 'current_lat' THEN now() ELSE a.last_location_update END,
    updated_at = now()
WHERE a.user_id = $1
RETURNING user_availability_json(a);
