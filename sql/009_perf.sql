-- 009_perf.sql — reads that only read, and a bounded plan for every search shape.

-- Views are counted outside the request path (lib/gigs_views.c): each worker buffers
-- (gig, viewer) pairs and flushes them in one statement, which inserts the pairs not yet
-- seen today and adds only those to gigs.views_count. One row per viewer per gig per UTC
-- day; the viewer is a hash of the account id (signed in) or the client address, so no
-- address is stored. Rows older than yesterday are deleted by the same flush.
CREATE TABLE gig_views (
    day     date NOT NULL,
    gig_id  uuid NOT NULL REFERENCES gigs (id) ON DELETE CASCADE,
    viewer  bigint NOT NULL,
    PRIMARY KEY (day, gig_id, viewer)
);
CREATE INDEX gig_views_gig_idx ON gig_views (gig_id);

-- Keyset cursors and the ordered walks of the two sorts (lib/gigs_search.c): partial,
-- over active gigs only, ending in id so (created_at, id) row comparisons are one range.
-- The budget sort orders by coalesce(budget_max, -1) DESC, which is budget_max DESC
-- NULLS LAST for amounts ≥ 0 and, unlike NULLS LAST, works in a row comparison.
CREATE INDEX gigs_active_newest_idx ON gigs (created_at DESC, id DESC) WHERE status = 'active';
CREATE INDEX gigs_active_budget_idx ON gigs ((coalesce(budget_max, -1)) DESC, created_at DESC, id DESC)
    WHERE status = 'active';
-- The filters that had no index: a rare category or a narrow budget range used to scan
-- every active gig to count its matches.
CREATE INDEX gigs_active_category_idx ON gigs (category) WHERE status = 'active';
CREATE INDEX gigs_active_bmin_idx ON gigs ((coalesce(budget_max, budget_min))) WHERE status = 'active';
CREATE INDEX gigs_active_bmax_idx ON gigs ((coalesce(budget_min, budget_max))) WHERE status = 'active';
-- Superseded by the partial indexes above (every search is over active gigs).
DROP INDEX IF EXISTS gigs_status_budget_idx;
