-- 010_clock_events.sql: clock safety.  The ledger's "latest" is the newest
-- time among everything it has recorded (ledger/today.c), so the audit log
-- gets an index on its time; and the two audited clock events an admin can
-- record (`seatledger clock confirm`, `clock recover`) are kept here,
-- append-only like the audit log, forever.

CREATE INDEX audit_log_at ON audit_log(at);

CREATE TABLE clock_events (
    id            INTEGER PRIMARY KEY,
    at            INTEGER NOT NULL,      -- ms since epoch: the clock when it was recorded
    kind          TEXT NOT NULL CHECK (kind IN ('confirm', 'recover')),
    source        TEXT NOT NULL CHECK (source IN ('cli', 'api', 'cron', 'scheduler')),
    latest_before INTEGER NOT NULL,      -- the ledger's latest time just before it
    -- the newest row of each table when it was recorded: a recovery sets
    -- aside every time recorded before it (they are kept, not counted)
    audit_id      INTEGER NOT NULL,
    snapshot_id   INTEGER NOT NULL,
    license_id    INTEGER NOT NULL,
    token_id      INTEGER NOT NULL,
    key_id        INTEGER NOT NULL
);

CREATE TRIGGER clock_events_no_update BEFORE UPDATE ON clock_events
BEGIN SELECT RAISE(ABORT, 'clock events are append-only'); END;
CREATE TRIGGER clock_events_no_delete BEFORE DELETE ON clock_events
BEGIN SELECT RAISE(ABORT, 'clock events are append-only'); END;
