-- gigs_views.sql — the view-count flush (tools/sql2h makes sql_gigs_views.h).
-- Paste a block into psql with PREPARE or EXPLAIN to look at its plan.

-- name: st_gig_views_flush
-- $1 gig ids, $2 viewer hashes (same length, pairs). Counts each (gig, viewer) once per
-- UTC day: only the pairs the insert did not find add to views_count. Gigs deleted since
-- the view are skipped. Rows before yesterday go in the same statement (an index range
-- on day, empty most of the time). Ordered by gig id so that two workers flushing the
-- same gigs lock them in the same order.
WITH v AS (SELECT DISTINCT t.gig_id, t.viewer FROM unnest($1::uuid[], $2::bigint[]) AS t(gig_id, viewer)
             JOIN gigs ON gigs.id = t.gig_id),
ins AS (INSERT INTO gig_views (day, gig_id, viewer)
        SELECT current_date, gig_id, viewer FROM v ORDER BY gig_id, viewer
        ON CONFLICT DO NOTHING RETURNING gig_id),
upd AS (UPDATE gigs SET views_count = views_count + c.n
          FROM (SELECT gig_id, count(*) AS n FROM ins GROUP BY gig_id ORDER BY gig_id) c
         WHERE gigs.id = c.gig_id RETURNING 1),
old AS (DELETE FROM gig_views WHERE day < current_date - 1 RETURNING 1)
SELECT (SELECT count(*) FROM upd), (SELECT count(*) FROM old)
