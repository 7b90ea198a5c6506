-- 032_iso_stable.sql — iso() was declared IMMUTABLE over to_char, which is STABLE (it reads
-- the session's locale settings). PostgreSQL inlines a SQL function only when its body is
-- no more volatile than its declaration, so every iso() — several per rendered row — ran
-- as a separate function call. Declared STABLE it is inlined: 1.8 → 0.6 µs per call
-- (300k calls, 550 → 175 ms). Nothing indexes or generates a column with it.
CREATE OR REPLACE FUNCTION iso(t timestamptz) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') $$;
