-- 005_search_perf: one GIN index for everything GET /api/gigs and the recommendations
-- filter on, restricted to active gigs.
--
-- Every search has `status = 'active'` plus any of full text, skills and AI tools. With
-- one single-column GIN per condition (002), a broad search ANDed two bitmaps of ~129k
-- entries each (~35 ms at a million gigs) and then filtered status on the heap. A
-- multicolumn GIN intersects its keys inside one index scan (~7 ms, only the 14.8k
-- real matches come out), and the partial predicate makes `status = 'active'` implied
-- by the index, so the heap visits for the exact count carry no filter.
--   Tried and measured (docs/search-plans.md): two partial single-column GIN indexes
-- (the planner kept only the skills bitmap and filtered 100k rows of text on the heap);
-- a non-partial (status, search_tsv, skills_required, ai_tools_preferred) GIN with
-- btree_gin (the 900k-entry `active` key made the index scan ~16 ms).
CREATE INDEX gigs_active_search_idx ON gigs
    USING gin (search_tsv, skills_required, ai_tools_preferred) WHERE status = 'active';

-- Superseded: every query on these columns also requires status = 'active' (search and
-- recommendations in lib/gigs.c), so the new index serves them all, and each insert or
-- text change no longer maintains three more GIN indexes.
DROP INDEX gigs_search_idx;
DROP INDEX gigs_skills_idx;
DROP INDEX gigs_ai_tools_idx;
