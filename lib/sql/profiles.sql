-- profiles.sql — the profiles module's long statements (tools/sql2h makes sql_profiles.h).
-- Paste a block into psql with PREPARE or EXPLAIN to look at its plan.

-- name: st_profile_update
-- PATCH-like edit of the profile $1: each column changes only when its flag ($2, $4, …)
-- says the field was sent, so a partial body leaves the other columns alone.
UPDATE profiles SET
    full_name = CASE WHEN $2::boolean THEN $3 ELSE full_name END,
    bio = CASE WHEN $4::boolean THEN $5 ELSE bio END,
    skills = CASE WHEN $6::boolean THEN $7::text[] ELSE skills END,
    ai_tools = CASE WHEN $8::boolean THEN $9::text[] ELSE ai_tools END,
    hourly_rate = CASE WHEN $10::boolean THEN $11::bigint ELSE hourly_rate END,
    portfolio_urls = CASE WHEN $12::boolean THEN $13::text[] ELSE portfolio_urls END,
    location = CASE WHEN $14::boolean THEN $15 ELSE location END,
    timezone = CASE WHEN $16::boolean THEN $17 ELSE timezone END,
    genres = CASE WHEN $18::boolean THEN $19::text[] ELSE genres END,
    updated_at = now()
 WHERE id = $1 RETURNING profile_json(profiles)
