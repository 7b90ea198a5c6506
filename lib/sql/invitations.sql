-- invitations.sql — the invitations module's long statements (tools/sql2h makes
-- sql_invitations.h). Paste a block into psql with PREPARE or EXPLAIN to look at its plan.

-- name: st_inv_insert
-- ($1 organization, $2 email, $3 role, $4 token hash hex, $5 inviter) → the invitation
-- and the organization's name for the mail. The caller has revoked any pending one.
WITH i AS (
    INSERT INTO organization_invitations (organization_id, email, role, token_hash, invited_by, expires_at)
    VALUES ($1, $2, $3, decode($4, 'hex'), $5, now() + interval '7 days') RETURNING *)
SELECT organization_invitation_json(ROW(i.*)::organization_invitations), o.name
  FROM i JOIN organizations o ON o.id = i.organization_id

-- name: st_inv_pending
-- ($1 organization, $2 limit, $3 offset) → total, the page of pending invitations.
SELECT (SELECT count(*) FROM organization_invitations
         WHERE organization_id = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now()),
       (SELECT coalesce(json_agg(organization_invitation_json(x) ORDER BY x.created_at DESC, x.id), '[]')
          FROM (SELECT * FROM organization_invitations
                 WHERE organization_id = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now()
                 ORDER BY created_at DESC, id LIMIT $2::int OFFSET $3::int) x)

-- name: st_inv_lock
-- ($1 token hash hex, $2 caller) → the invitation, locked: a second accept waits here and
-- then sees accepted_at. Columns: id, organization_id, role, sent to the caller's email,
-- used or revoked, expired, organization deleted.
SELECT i.id, i.organization_id, i.role, i.email = u.email,
       i.accepted_at IS NOT NULL OR i.revoked_at IS NOT NULL, i.expires_at <= now(), o.deleted_at IS NOT NULL
  FROM organization_invitations i
  JOIN organizations o ON o.id = i.organization_id
  JOIN users u ON u.id = $2
 WHERE i.token_hash = decode($1, 'hex')
   FOR UPDATE OF i
