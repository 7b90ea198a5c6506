-- gigs_views.sql — the view-count flush (tools/sql2h makes sql_gigs_views.h).
-- Paste a block into psql with PREPARE or EXPLAIN to look at its plan.

-- name: st_gig_views_flush
-- $1 gig ids, $2 viewer hashes (same length, pairs). Counts each (gig, viewer) once per
-- UTC day: only the pairs the insert did not find add to gig_stats.views_count (sql/026;
-- an upsert: a gig's first counted view creates its row). Gigs deleted since the view
-- are skipped. Rows before yesterday go in the same statement (an index range on day,
-- empty most of the time).
-- Lock order, as every writer of the counts: the gig rows first, in gig id order (here
-- KEY SHARE, explicitly and before anything else: the inserts' foreign-key checks would
-- otherwise take it only at the end of the statement, after the gig_stats rows, while
-- applying holds the gig and then upserts gig_stats — a deadlock), then gig_stats in gig
-- id order. The DISTINCT reads all of `l` before the inserts see a row.
WITH l AS (SELECT id FROM gigs WHERE id = ANY ($1::uuid[]) ORDER BY id FOR KEY SHARE),
v AS (SELECT DISTINCT t.gig_id, t.viewer FROM unnest($1::uuid[], $2::bigint[]) AS t(gig_id, viewer)
        JOIN l ON l.id = t.gig_id),
ins AS (INSERT INTO gig_views (day, gig_id, viewer)
        SELECT current_date, gig_id, viewer FROM v ORDER BY gig_id, viewer
        ON CONFLICT DO NOTHING RETURNING gig_id),
upd AS (INSERT INTO gig_stats AS s (gig_id, views_count)
        SELECT gig_id, count(*) FROM ins GROUP BY gig_id ORDER BY gig_id
        ON CONFLICT (gig_id) DO UPDATE SET views_count = s.views_count + excluded.views_count
        RETURNING 1),
old AS (DELETE FROM gig_views WHERE day < current_date - 1 RETURNING 1)
SELECT (SELECT count(*) FROM upd), (SELECT count(*) FROM old)
