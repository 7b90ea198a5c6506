-- 008_organizations: workspaces (seed 004) — organizations, their members and roles,
-- invitations, job categories; jobs are gigs with organization_id/category_id (the
-- columns 002 reserved), managed by any member and billed to the organization's owner.
--
-- An organization is deleted softly (deleted_at): its closed jobs and their rejected
-- applications stay readable by the applicants, with the organization embedded. Every
-- check of membership goes through org_role(), which knows only live organizations.

CREATE TABLE organizations (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    slug         text NOT NULL CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) BETWEEN 2 AND 50),
    description  text CHECK (length(description) <= 5000),
    website      text CHECK (length(website) <= 2048),
    logo_url     text CHECK (length(logo_url) <= 2048),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    deleted_at   timestamptz
);
-- A deleted organization gives its slug back.
CREATE UNIQUE INDEX organizations_slug_key ON organizations (slug) WHERE deleted_at IS NULL;

CREATE TABLE organization_members (
    organization_id  uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id          uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role             text NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, user_id)
);
CREATE INDEX organization_members_user_idx ON organization_members (user_id);

-- The token is kept only as its BLAKE2b hash (as sessions and password resets are).
-- At most one pending invitation per (organization, email): re-inviting revokes the old.
CREATE TABLE organization_invitations (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id  uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    email            text NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
    role             text NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    token_hash       bytea NOT NULL CONSTRAINT organization_invitations_token_key UNIQUE,
    invited_by       uuid REFERENCES users(id) ON DELETE SET NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz NOT NULL,
    accepted_at      timestamptz,
    accepted_by      uuid REFERENCES users(id) ON DELETE SET NULL,
    revoked_at       timestamptz
);
CREATE UNIQUE INDEX organization_invitations_pending_key ON organization_invitations (organization_id, email)
    WHERE accepted_at IS NULL AND revoked_at IS NULL;

CREATE TABLE job_categories (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id  uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    created_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT job_categories_org_id_key UNIQUE (organization_id, id)
);
CREATE UNIQUE INDEX job_categories_name_key ON job_categories (organization_id, lower(name));

-- A job's category must be one of its own organization's (composite key); deleting the
-- category leaves its jobs uncategorised (SET NULL of category_id only).
ALTER TABLE gigs
    ADD CONSTRAINT gigs_organization_fk FOREIGN KEY (organization_id) REFERENCES organizations(id),
    ADD CONSTRAINT gigs_category_fk FOREIGN KEY (organization_id, category_id)
        REFERENCES job_categories (organization_id, id) ON DELETE SET NULL (category_id),
    ADD CONSTRAINT gigs_category_needs_org CHECK (category_id IS NULL OR organization_id IS NOT NULL);
CREATE INDEX gigs_organization_idx ON gigs (organization_id, created_at DESC) WHERE organization_id IS NOT NULL;
CREATE INDEX gigs_org_category_idx ON gigs (organization_id, category_id) WHERE category_id IS NOT NULL;

-- The caller's role in a live organization, or NULL.
CREATE FUNCTION org_role(org uuid, uid uuid) RETURNS text
LANGUAGE sql STABLE AS
$$ SELECT m.role FROM organization_members m JOIN organizations o ON o.id = m.organization_id
   WHERE m.organization_id = org AND m.user_id = uid AND o.deleted_at IS NULL $$;

-- Who manages a gig: its poster, or for an organization's job every member.
CREATE FUNCTION gig_manager(org uuid, poster uuid, uid uuid) RETURNS boolean
LANGUAGE sql STABLE AS
$$ SELECT CASE WHEN org IS NULL THEN poster = uid ELSE org_role(org, uid) IS NOT NULL END $$;

-- Who hears about a gig's new applications: its poster, or every member of its organization.
CREATE FUNCTION gig_audience(org uuid, poster uuid) RETURNS SETOF uuid
LANGUAGE sql STABLE AS
$$ SELECT poster WHERE org IS NULL
   UNION ALL
   SELECT m.user_id FROM organization_members m JOIN organizations o ON o.id = m.organization_id
    WHERE org IS NOT NULL AND m.organization_id = org AND o.deleted_at IS NULL $$;

-- The account whose plan an organization's jobs count against: its longest-standing owner.
CREATE FUNCTION organization_billing_user(org uuid) RETURNS uuid
LANGUAGE sql STABLE AS
$$ SELECT user_id FROM organization_members
   WHERE organization_id = org AND role = 'owner' ORDER BY created_at, user_id LIMIT 1 $$;

-- The plan limit for a gig posted by uid, in organization org (NULL: personal): one unit
-- of the owner's quota for an organization's job, else of the poster's.
CREATE FUNCTION post_usage_take(uid uuid, org uuid) RETURNS boolean
LANGUAGE sql AS
$$ SELECT post_usage_take(coalesce(CASE WHEN org IS NULL THEN NULL ELSE organization_billing_user(org) END, uid)) $$;

-- The public face of an organization (job board, embedded in its jobs): no members, no emails.
CREATE FUNCTION organization_public_json(o organizations) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT json_build_object('id', o.id, 'name', o.name, 'slug', o.slug, 'description', o.description,
    'website', o.website, 'logo_url', o.logo_url, 'created_at', iso(o.created_at)) $$;

-- An organization as its members see it, with the caller's role.
CREATE FUNCTION organization_json(o organizations, my_role text) RETURNS json
LANGUAGE sql STABLE AS
$$ SELECT json_build_object('id', o.id, 'name', o.name, 'slug', o.slug, 'description', o.description,
    'website', o.website, 'logo_url', o.logo_url, 'role', my_role,
    'members_count', (SELECT count(*) FROM organization_members m WHERE m.organization_id = o.id),
    'created_at', iso(o.created_at), 'updated_at', iso(o.updated_at)) $$;

CREATE FUNCTION job_category_json(c job_categories) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT json_build_object('id', c.id, 'organization_id', c.organization_id, 'name', c.name,
    'jobs_count', (SELECT count(*) FROM gigs g WHERE g.organization_id = c.organization_id AND g.category_id = c.id),
    'created_at', iso(c.created_at)) $$;

CREATE FUNCTION organization_invitation_json(i organization_invitations) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT json_build_object('id', i.id, 'organization_id', i.organization_id, 'email', i.email, 'role', i.role,
    'invited_by', i.invited_by, 'created_at', iso(i.created_at), 'expires_at', iso(i.expires_at),
    'accepted_at', iso(i.accepted_at), 'revoked_at', iso(i.revoked_at)) $$;

-- The Gig shape (002) with, for an organization's job, the organization embedded instead
-- of the personal poster: which member posted it is the organization's business.
CREATE OR REPLACE FUNCTION gig_json(g gigs, p profiles) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT json_build_object(
    'id', g.id,
    'poster_id', CASE WHEN g.organization_id IS NULL THEN g.poster_id END,
    'poster', CASE WHEN p.id IS NULL OR g.organization_id IS NOT NULL THEN NULL ELSE profile_json(p) END,
    'organization_id', g.organization_id, 'category_id', g.category_id,
    'organization', CASE WHEN g.organization_id IS NULL THEN NULL
                    ELSE (SELECT organization_public_json(o) FROM organizations o WHERE o.id = g.organization_id) END,
    'title', g.title, 'description', g.description, 'category', g.category,
    'skills_required', g.skills_required, 'ai_tools_preferred', g.ai_tools_preferred,
    'budget_type', g.budget_type, 'budget_min', money_major(g.budget_min), 'budget_max', money_major(g.budget_max),
    'currency', g.currency, 'duration', g.duration, 'location_type', g.location_type, 'location', g.location,
    'gig_type', g.gig_type, 'status', g.status, 'applications_count', g.applications_count,
    'views_count', g.views_count, 'created_at', iso(g.created_at), 'updated_at', iso(g.updated_at)) $$;
