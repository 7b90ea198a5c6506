-- 014_ops.sql — read-your-writes with a read replica (GIGD_DATABASE_READ_URL).
-- After a signed-in caller's write, gigd records the primary's WAL position here; that
-- caller's lag-tolerant reads use the standby only once it has replayed past it.
-- UNLOGGED: written on every write while a standby is configured, so it costs no WAL;
-- a crash empties it, which only sends a few reads to the standby a moment early.
-- Only the primary reads it (unlogged tables are empty on a standby).
CREATE UNLOGGED TABLE gigd_write_lsn (
    user_id uuid PRIMARY KEY,
    lsn pg_lsn NOT NULL,
    at timestamptz NOT NULL DEFAULT now()
);
