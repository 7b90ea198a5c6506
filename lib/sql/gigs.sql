-- gigs.sql — the gig module's long statements (tools/sql2h makes sql_gigs.h).
-- Paste a block into psql with PREPARE or EXPLAIN to look at its plan.

-- name: st_gig_update
-- PATCH: each column changes only when its flag ($3, $5, …) says the field was sent.
-- Authorised by gig_manager(): the poster, or any member for an organization's job (sql/008).
WITH u AS (UPDATE gigs SET
    title = CASE WHEN $3::boolean THEN $4 ELSE title END,
    description = CASE WHEN $5::boolean THEN $6 ELSE description END,
    category = CASE WHEN $7::boolean THEN $8 ELSE category END,
    skills_required = CASE WHEN $9::boolean THEN $10::text[] ELSE skills_required END,
    ai_tools_preferred = CASE WHEN $11::boolean THEN $12::text[] ELSE ai_tools_preferred END,
    budget_type = CASE WHEN $13::boolean THEN $14 ELSE budget_type END,
    budget_min = CASE WHEN $15::boolean THEN $16::bigint ELSE budget_min END,
    budget_max = CASE WHEN $17::boolean THEN $18::bigint ELSE budget_max END,
    duration = CASE WHEN $19::boolean THEN $20 ELSE duration END,
    location_type = CASE WHEN $21::boolean THEN $22 ELSE location_type END,
    location = CASE WHEN $23::boolean THEN $24 ELSE location END,
    category_id = CASE WHEN $25::boolean THEN $26::uuid ELSE category_id END,
    updated_at = now()
 WHERE id = $1 AND gig_manager(organization_id, poster_id, $2) RETURNING *)
SELECT gig_json(ROW(u.*)::gigs, p) FROM u JOIN profiles p ON p.id = u.poster_id

-- name: st_gig_get
-- GET /api/gigs/:id: columns only, rendered by gigs.c (render_gig) in the worker — the
-- JSON functions cost PostgreSQL more CPU than the whole fetch (docs/benchmarks.md).
-- Column order is render_gig's: gig 0–21, poster 22–37, organization 38–44, then whether
-- the caller manages the gig (its poster, or a member for an organization's job), whose
-- own views do not count. Drafts and taken-down gigs only for their managers. The counts
-- come from gig_stats (sql/026), 0 when the gig has no row yet.
SELECT g.id, g.poster_id, g.organization_id, g.category_id, g.title, g.description, g.category,
       g.skills_required, g.ai_tools_preferred, g.budget_type, g.budget_min, g.budget_max, g.currency,
       g.duration, g.location_type, g.location, g.gig_type, g.status, coalesce(s.applications_count, 0),
       coalesce(s.views_count, 0), g.created_at, g.updated_at,
       p.id, p.username, p.full_name, p.avatar_url, p.bio, p.skills, p.ai_tools, p.hourly_rate,
       p.portfolio_urls, p.location, p.timezone, p.genres, p.is_available, p.profile_completed,
       p.created_at, p.updated_at,
       o.id, o.name, o.slug, o.description, o.website, o.logo_url, o.created_at,
       gig_manager(g.organization_id, g.poster_id, $2::uuid) IS TRUE
  FROM gigs g JOIN profiles p ON p.id = g.poster_id
  LEFT JOIN organizations o ON o.id = g.organization_id
  LEFT JOIN gig_stats s ON s.gig_id = g.id
 WHERE g.id = $1 AND (g.status <> 'draft' OR gig_manager(g.organization_id, g.poster_id, $2::uuid))
   AND (g.hidden_at IS NULL OR gig_manager(g.organization_id, g.poster_id, $2::uuid)) -- trust: taken down
