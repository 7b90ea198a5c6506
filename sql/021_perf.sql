-- 021_perf: PostgreSQL time on the hot write paths (issue 13).
--
-- gigd_rate_hit (010) runs on every rate-limited request (each write counts against a
-- quota). As a LANGUAGE sql function whose body is an INSERT it cannot be inlined, and a
-- SQL function's plan lives only as long as the calling query: every call parsed and
-- planned the upsert again (~0.2 ms of 0.25 ms, pg_stat_statements at 8 connections,
-- docs/benchmarks.md). PL/pgSQL keeps the plan for the session. Same arguments, same
-- statement, same answer.
CREATE OR REPLACE FUNCTION gigd_rate_hit(p_key text, p_cost integer, p_max bigint, p_window_s integer)
RETURNS integer LANGUAGE plpgsql AS
$$ DECLARE wait integer;
BEGIN
   INSERT INTO rate_limits AS r (key, window_start, hits) VALUES (p_key, now(), p_cost)
   ON CONFLICT (key) DO UPDATE SET
       window_start = CASE WHEN r.window_start <= now() - make_interval(secs => p_window_s)
                           THEN now() ELSE r.window_start END,
       hits = CASE WHEN r.window_start <= now() - make_interval(secs => p_window_s)
                   THEN p_cost ELSE least(r.hits::bigint + p_cost, 2000000000)::integer END
   RETURNING CASE WHEN r.hits <= p_max THEN 0
                  ELSE greatest(1, ceil(extract(epoch FROM r.window_start + make_interval(secs => p_window_s)
                                                           - now())))::integer END
   INTO wait;
   RETURN wait;
END $$;
