-- 003_ledger.sql: the billable-user snapshots, append-only like the audit log:
-- a snapshot is evidence in a billing dispute and is never rewritten.

CREATE TABLE snapshots (
    id                  INTEGER PRIMARY KEY,
    recorded_at         INTEGER NOT NULL,     -- ms since epoch, UTC
    billable_user_count INTEGER NOT NULL CHECK (billable_user_count >= 0),
    source              TEXT NOT NULL CHECK (source IN ('cli', 'api', 'cron', 'scheduler')),
    license_id          INTEGER               -- current license when recorded; no foreign
                                              -- key: deleting a license must not touch history
);

-- Covers both the window queries (historical max, history, usage CSV) and
-- the newest-snapshot lookup without touching the table.
CREATE INDEX snapshots_recorded_at ON snapshots(recorded_at, billable_user_count);

CREATE TRIGGER snapshots_no_update BEFORE UPDATE ON snapshots
BEGIN SELECT RAISE(ABORT, 'snapshots are append-only'); END;
CREATE TRIGGER snapshots_no_delete BEFORE DELETE ON snapshots
BEGIN SELECT RAISE(ABORT, 'snapshots are append-only'); END;
