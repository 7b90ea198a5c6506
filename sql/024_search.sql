-- 024_search.sql — search walks that read no heap row they skip (issue 13 item 4).
--
-- A search that walks a sort index (many matches) used to fetch every gig it walked past
-- to test the filters on the heap: page 100 of a 20-skill budget sort visited ~10k heap
-- pages, skills + posted_within ~15k to count 1,001 matches (docs/search-plans.md).
-- These two indexes hold, for the gigs a search can show (active, not taken down), the
-- sort keys and every filter column but the text, so lib/gigs_search.c's walk (which
-- takes only ids there and the page's rows by primary key) and the capped count are
-- index-only scans: the heap is read for the page's rows only. posted_within is a range
-- on the created_at key. The text filter (search_tsv) is too wide to include: a word's
-- walk still reads the heap (docs/search-plans.md says what that costs).
CREATE INDEX gigs_shown_newest_idx ON gigs (created_at DESC, id DESC)
    INCLUDE (poster_id, skills_required, ai_tools_preferred, category, location_type, budget_min, budget_max)
    WHERE status = 'active' AND hidden_at IS NULL;
CREATE INDEX gigs_shown_budget_idx ON gigs ((coalesce(budget_max, -1)) DESC, created_at DESC, id DESC)
    INCLUDE (poster_id, skills_required, ai_tools_preferred, category, location_type, budget_min, budget_max)
    WHERE status = 'active' AND hidden_at IS NULL;
-- 018 added gigs.hidden_at, which has no statistics until the next ANALYZE: the planner
-- then takes `hidden_at IS NULL` (in every search) as 0.5 % selective, and at 1M gigs
-- chose parallel sequential scans and full sorts (page 100 of a common word: 386 ms, of
-- the 20-skill budget sort: 981 ms, instead of 90 and 46 once analyzed).
ANALYZE gigs;

-- The accounts a viewer blocked or is blocked by, as one array: a search leaves their gigs
-- out with `poster_id <> ALL ((SELECT blocked_with($n))::uuid[])`, read once per statement
-- (an InitPlan) instead of sql/018's blocked_pair probing `blocks` twice for every row a
-- walk passes (page 100 of skills=rust, signed in: 32 ms → 16 ms at 1M gigs).
CREATE FUNCTION blocked_with(v uuid) RETURNS uuid[]
LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT coalesce(array_agg(x), '{}') FROM (SELECT blocked_id FROM blocks WHERE blocker_id = v
                                            UNION ALL SELECT blocker_id FROM blocks WHERE blocked_id = v) b (x) $$;
