-- organizations.sql — the organizations module's long statements (tools/sql2h makes
-- sql_organizations.h). Paste a block into psql with PREPARE or EXPLAIN to look at its plan.

-- name: st_org_mine
-- ($1 user, $2 limit, $3 offset) → total, the page of the caller's live organizations.
SELECT (SELECT count(*) FROM organization_members m JOIN organizations o ON o.id = m.organization_id
         WHERE m.user_id = $1 AND o.deleted_at IS NULL),
       (SELECT coalesce(json_agg(organization_json(x.o, x.role) ORDER BY x.created_at DESC, (x.o).id), '[]')
          FROM (SELECT o, m.role, m.created_at
                  FROM organization_members m JOIN organizations o ON o.id = m.organization_id
                 WHERE m.user_id = $1 AND o.deleted_at IS NULL
                 ORDER BY m.created_at DESC, o.id LIMIT $2::int OFFSET $3::int) x)

-- name: st_org_update
-- PATCH: each column changes only when its flag says the field was sent; $12 is the
-- caller's role, rendered back.
WITH u AS (UPDATE organizations SET
    name = CASE WHEN $2::boolean THEN $3 ELSE name END,
    slug = CASE WHEN $4::boolean THEN $5 ELSE slug END,
    description = CASE WHEN $6::boolean THEN $7 ELSE description END,
    website = CASE WHEN $8::boolean THEN $9 ELSE website END,
    logo_url = CASE WHEN $10::boolean THEN $11 ELSE logo_url END,
    updated_at = now()
 WHERE id = $1 AND deleted_at IS NULL RETURNING *)
SELECT organization_json(ROW(u.*)::organizations, $12) FROM u

-- name: st_org_delete
-- Under the organization's row lock (taken by the caller): marks it deleted, closes its
-- open jobs, revokes pending invitations, and rejects and notifies each undecided
-- applicant of its jobs. A second delete finds no live organization, so each applicant
-- is notified once.
WITH o AS (
    UPDATE organizations SET deleted_at = now(), updated_at = now()
     WHERE id = $1 AND deleted_at IS NULL RETURNING id, name),
j AS (
    UPDATE gigs g SET status = 'closed', updated_at = now() FROM o
     WHERE g.organization_id = o.id AND g.status IN ('draft', 'active', 'paused') RETURNING g.id),
i AS (
    UPDATE organization_invitations SET revoked_at = now()
     WHERE organization_id = $1 AND accepted_at IS NULL AND revoked_at IS NULL RETURNING 1),
rej AS (
    UPDATE applications a SET status = 'rejected', updated_at = now() FROM gigs g, o
     WHERE g.id = a.gig_id AND g.organization_id = o.id AND a.status IN ('pending', 'reviewing', 'shortlisted')
    RETURNING a.id, a.applicant_id, a.gig_id, g.title, o.name)
SELECT (SELECT count(*) FROM o), (SELECT count(*) FROM j), (SELECT count(*) FROM i),
       count(notify(applicant_id, 'application_status', 'Application not selected',
                    'The job "' || title || '" at ' || name || ' is no longer accepting applications',
                    jsonb_build_object('application_id', id, 'gig_id', gig_id, 'status', 'rejected')))
  FROM rej

-- name: st_org_members
-- ($1 organization, $2 limit, $3 offset) → total, the page of members (owners first).
SELECT (SELECT count(*) FROM organization_members WHERE organization_id = $1),
       (SELECT coalesce(json_agg(json_build_object('user_id', x.user_id, 'role', x.role,
                                                   'joined_at', iso(x.created_at), 'user', profile_json(p))
                                 ORDER BY x.rank, x.created_at, x.user_id), '[]')
          FROM (SELECT m.*, CASE m.role WHEN 'owner' THEN 1 WHEN 'admin' THEN 2 ELSE 3 END AS rank
                  FROM organization_members m WHERE m.organization_id = $1
                 ORDER BY rank, m.created_at, m.user_id LIMIT $2::int OFFSET $3::int) x
          JOIN profiles p ON p.id = x.user_id)
