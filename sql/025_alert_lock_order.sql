-- 025_alert_lock_order.sql — one lock order for a gig's activation: the saved searches
-- first, then the per-status counter (gig_counts).
--
-- Row triggers of one event fire in name order. On UPDATE OF status, 002's
-- gig_counts_change ("gig_c…") sorted before 019's gigs_alert_activate ("gigs…"), so a
-- draft published took a gig_counts shard, then the matching saved searches; a gig created
-- active took the saved searches in its row trigger, then the shard in gig_counts_insert
-- (a statement trigger, which fires after the row triggers). Two such requests landing on
-- the same one of the 16 shards deadlocked (seen once or twice per full test run in
-- alerts_saved_searches.t's 50 concurrent activations: a 500). Named "gig_alert_…", the
-- alert triggers fire before gig_counts_change, so both paths lock in the same order.
ALTER TRIGGER gigs_alert_activate ON gigs RENAME TO gig_alert_activate;
ALTER TRIGGER gigs_alert_insert ON gigs RENAME TO gig_alert_insert;
