-- urgent_jobs.sql — the notification cron jobs of urgent gigs (lib/urgent_jobs.c). Each is
-- one statement whose conditional UPDATE marks what it sent, so a second run (or a second
-- host, after the job's advisory lock) finds nothing left to send.

-- name: st_ujobs_starting_soon
-- Confirmed gigs starting in 55–65 minutes: `gig_starting_soon` to both parties, once.
WITH g AS (
    UPDATE gigs SET starting_soon_sent_at = now()
    WHERE gig_type = 'urgent' AND urgent_status = 'confirmed' AND starting_soon_sent_at IS NULL
      AND date_needed BETWEEN now() + interval '55 minutes' AND now() + interval '65 minutes'
    RETURNING id, skill_required, date_needed, location_address
), n AS (
    SELECT notify(x.uid, 'gig_starting_soon', '⏰ Gig starting soon',
                  concat_ws(' · ', urgent_title_case(g.skill_required),
                            urgent_when(g.date_needed, coalesce(a.timezone, 'UTC')), g.location_address),
                  jsonb_build_object('gig_id', g.id, 'project_id', p.id)) AS nid
    FROM g
    JOIN projects p ON p.gig_id = g.id
    CROSS JOIN LATERAL (VALUES (p.requester_id), (p.provider_id)) x(uid)
    LEFT JOIN user_availability a ON a.user_id = x.uid
)
SELECT json_build_object('gigs', (SELECT count(*) FROM g), 'notified', (SELECT count(*) FROM n));

-- name: st_ujobs_completion_reminders
-- Projects delivered 20–28 hours ago and not confirmed: remind the requester, once.
WITH p AS (
    UPDATE projects SET completion_reminded_at = now()
    WHERE status = 'delivered' AND completion_reminded_at IS NULL
      AND delivered_at BETWEEN now() - interval '28 hours' AND now() - interval '20 hours'
    RETURNING id, gig_id, requester_id, provider_id, amount - platform_fee AS share, currency, delivered_at
), n AS (
    SELECT notify(p.requester_id, 'confirm_completion', '✅ Confirm completion',
                  coalesce(pr.full_name, pr.username) || ' marked the ' || urgent_title_case(g.skill_required)
                  || ' gig as done. Confirm to release ' || urgent_money(p.share, p.currency)
                  || ' — it is released automatically ' || to_char(p.delivered_at + interval '48 hours', 'Dy HH24:MI')
                  || ' UTC.',
                  jsonb_build_object('project_id', p.id, 'gig_id', p.gig_id)) AS nid
    FROM p JOIN gigs g ON g.id = p.gig_id JOIN profiles pr ON pr.id = p.provider_id
)
SELECT json_build_object('reminded', (SELECT count(*) FROM n));
