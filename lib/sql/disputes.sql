-- disputes.sql — the statements of lib/disputes.c (seed 003 section 3.4).

-- name: st_disp_state
-- After the gig's lock: the project as the caller may dispute it.
SELECT p.id, p.requester_id, p.provider_id, p.status, g.settle_percent, p.gig_id
FROM projects p JOIN gigs g ON g.id = p.gig_id
WHERE p.id = $1 AND $2::uuid IN (p.requester_id, p.provider_id);

-- name: st_disp_insert
-- The dispute ($2 raises it against the other party), the project disputed, the other
-- party told (opportunity_project_disputed). disputes_one_open refuses a second one.
WITH d AS (
    INSERT INTO disputes (project_id, raised_by, against, reason, description, evidence_urls)
    SELECT p.id, $2, CASE WHEN $2::uuid = p.requester_id THEN p.provider_id ELSE p.requester_id END, $3, $4, $5::text[]
    FROM projects p WHERE p.id = $1
    RETURNING id, project_id, raised_by, against
), u AS (
    UPDATE projects p SET status = 'disputed', updated_at = now() FROM d WHERE p.id = d.project_id
    RETURNING p.gig_id
)
SELECT d.id,
       notify(d.against, 'opportunity_project_disputed', '⚠️ Dispute raised',
              coalesce(pr.full_name, pr.username) || ' raised a dispute about the '
              || urgent_title_case(g.skill_required) || ' gig: ' || left($3, 100),
              jsonb_build_object('dispute_id', d.id, 'project_id', d.project_id, 'gig_id', g.id))
FROM d JOIN u ON true JOIN gigs g ON g.id = u.gig_id JOIN profiles pr ON pr.id = d.raised_by;

-- name: st_disp_get
-- A dispute for one of its parties, with the project and both profiles.
SELECT to_jsonb(d) - 'responded_at'
       || jsonb_build_object(
           'created_at', iso(d.created_at), 'updated_at', iso(d.updated_at), 'resolved_at', iso(d.resolved_at),
           'project', jsonb_build_object('id', p.id, 'gig_id', p.gig_id, 'status', p.status,
                                         'amount', money_major(p.amount), 'platform_fee', money_major(p.platform_fee),
                                         'currency', p.currency, 'delivered_at', iso(p.delivered_at),
                                         'requester_id', p.requester_id, 'provider_id', p.provider_id),
           'raiser_profile', jsonb_build_object('id', a.id, 'username', a.username,
                                                'display_name', coalesce(a.full_name, a.username), 'avatar_url', a.avatar_url),
           'against_profile', jsonb_build_object('id', b.id, 'username', b.username,
                                                 'display_name', coalesce(b.full_name, b.username), 'avatar_url', b.avatar_url))
FROM disputes d
JOIN projects p ON p.id = d.project_id
JOIN profiles a ON a.id = d.raised_by
JOIN profiles b ON b.id = d.against
WHERE d.id = $1 AND $2::uuid IN (d.raised_by, d.against);

-- name: st_disp_respond
-- The "against" party's answer, once, while the dispute is open; the raiser is told.
WITH d AS (
    UPDATE disputes SET counter_response = $3, counter_evidence_urls = $4::text[], responded_at = now(),
           status = 'under_review', updated_at = now()
    WHERE id = $1 AND against = $2 AND counter_response IS NULL AND status IN ('open', 'under_review')
    RETURNING id, project_id, raised_by
)
SELECT d.id, notify(d.raised_by, 'dispute_response', 'Dispute: the other party responded',
                    left($3, 140), jsonb_build_object('dispute_id', d.id, 'project_id', d.project_id))
FROM d;

-- name: st_disp_resolve
-- The operator's decision on an open dispute, and the settlement it means for the gig
-- ($3 the provider's percentage), once; both parties told.
WITH d AS (
    UPDATE disputes SET status = $2, split_percent = CASE WHEN $2 = 'resolved_split' THEN $3::smallint END,
           resolution_notes = $4, resolved_at = now(), updated_at = now()
    WHERE id = $1 AND status IN ('open', 'under_review')
    RETURNING id, project_id
), gu AS (
    UPDATE gigs g SET settle_percent = $3::smallint, settle_decided_at = now(), updated_at = now()
    FROM d JOIN projects p ON p.id = d.project_id
    WHERE g.id = p.gig_id AND g.settle_percent IS NULL
    RETURNING g.id, g.skill_required, p.requester_id, p.provider_id, p.id AS project_id
)
SELECT gu.id, count(notify(x.uid, 'dispute_resolved', 'Dispute resolved',
                           'The dispute about the ' || urgent_title_case(gu.skill_required) || ' gig was resolved: '
                           || CASE $2 WHEN 'resolved_refund' THEN 'the payment is refunded to the requester.'
                                      WHEN 'resolved_release' THEN 'the payment is released to the provider.'
                                      ELSE $3::int || '% to the provider, the rest refunded.' END,
                           jsonb_build_object('dispute_id', $1::uuid, 'project_id', gu.project_id, 'gig_id', gu.id)))
FROM gu CROSS JOIN LATERAL (VALUES (gu.requester_id), (gu.provider_id)) x(uid)
GROUP BY gu.id;
