-- org_jobs.sql — the organization jobs module's long statements (tools/sql2h makes
-- sql_org_jobs.h). Paste a block into psql with PREPARE or EXPLAIN to look at its plan.

-- name: st_cat_list
-- ($1 organization, $2 limit, $3 offset) → total, the page of categories by name.
SELECT (SELECT count(*) FROM job_categories WHERE organization_id = $1),
       (SELECT coalesce(json_agg(job_category_json(x) ORDER BY lower(x.name), x.id), '[]')
          FROM (SELECT * FROM job_categories WHERE organization_id = $1
                 ORDER BY lower(name), id LIMIT $2::int OFFSET $3::int) x)

-- name: st_jobs_list
-- ($1 organization, $2 limit, $3 offset, $4 status or NULL, $5 category or NULL) →
-- total, the page of the organization's jobs, newest first (gigs_organization_idx).
SELECT (SELECT count(*) FROM gigs g
         WHERE g.organization_id = $1 AND ($4::text IS NULL OR g.status = $4)
           AND ($5::uuid IS NULL OR g.category_id = $5::uuid)),
       (SELECT coalesce(json_agg(gig_json(x.g, p) ORDER BY (x.g).created_at DESC, (x.g).id DESC), '[]')
          FROM (SELECT g FROM gigs g
                 WHERE g.organization_id = $1 AND ($4::text IS NULL OR g.status = $4)
                   AND ($5::uuid IS NULL OR g.category_id = $5::uuid)
                 ORDER BY g.created_at DESC, g.id DESC LIMIT $2::int OFFSET $3::int) x
          JOIN profiles p ON p.id = (x.g).poster_id)

-- name: st_board
-- ($1 slug, $2 limit, $3 offset) → the live organization's public profile, the number
-- of its active jobs, and their page, newest first. Only active jobs: never drafts.
SELECT organization_public_json(o),
       (SELECT count(*) FROM gigs g WHERE g.organization_id = o.id AND g.status = 'active'),
       (SELECT coalesce(json_agg(gig_json(x.g, p) ORDER BY (x.g).created_at DESC, (x.g).id DESC), '[]')
          FROM (SELECT g FROM gigs g WHERE g.organization_id = o.id AND g.status = 'active'
                 ORDER BY g.created_at DESC, g.id DESC LIMIT $2::int OFFSET $3::int) x
          JOIN profiles p ON p.id = (x.g).poster_id)
  FROM organizations o
 WHERE o.slug = $1 AND o.deleted_at IS NULL
