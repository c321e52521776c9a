-- 007_add_ons.sql: add-on seats (spec add-ons.md).  Purchases are
-- provisioned from the current cloud license; assignments give a directory
-- user a seat of a purchase; the seat history and the add-on snapshots are
-- append-only like the audit log and the billable-user snapshots.

-- One record per tier: 'duo' is shared by duo_pro, duo_enterprise and
-- duo_amazon_q and updated in place (add-on name included) so that an upgrade
-- keeps every assignment; 'duo_core' has its own.  A record is never deleted:
-- an add-on that leaves the license is expired (expires_on set to yesterday).
-- AUTOINCREMENT: the id is part of GraphQL ids and is never handed out again.
CREATE TABLE add_on_purchases (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    tier         TEXT NOT NULL UNIQUE CHECK (tier IN ('duo', 'duo_core')),
    add_on       TEXT NOT NULL
                 CHECK (add_on IN ('duo_pro', 'duo_enterprise', 'duo_amazon_q', 'duo_core')),
    quantity     INTEGER NOT NULL CHECK (quantity >= 0),
    started_on   INTEGER NOT NULL,            -- days since 1970-01-01
    expires_on   INTEGER NOT NULL,            -- days; exclusive: off on that date
    purchase_xid TEXT,
    trial        INTEGER NOT NULL CHECK (trial IN (0, 1)),
    created_at   INTEGER NOT NULL,            -- ms since epoch
    updated_at   INTEGER NOT NULL
);

-- Who holds a seat.  user_id is the directory id without a foreign key: a
-- user pruned from the directory keeps the seat until the clean-up removes
-- it (reason 'ineligible'), and the username is kept for that history row.
CREATE TABLE seat_assignments (
    id          INTEGER PRIMARY KEY,          -- order of assignment (ties of assigned_at)
    purchase_id INTEGER NOT NULL REFERENCES add_on_purchases(id),
    user_id     TEXT NOT NULL,
    username    TEXT NOT NULL,
    assigned_at INTEGER NOT NULL,             -- ms since epoch
    UNIQUE (purchase_id, user_id)
);

-- Every change of an assignment, never rewritten: who held a seat on day D.
CREATE TABLE seat_history (
    id          INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,             -- ms since epoch
    add_on      TEXT NOT NULL,                -- the purchase's add-on at the time
    purchase_id INTEGER NOT NULL,
    user_id     TEXT NOT NULL,
    username    TEXT NOT NULL,
    event       TEXT NOT NULL CHECK (event IN ('assigned', 'unassigned', 'removed')),
    reason      TEXT CHECK (reason IN ('expired', 'ineligible', 'overage')),
    actor       TEXT NOT NULL,                -- token name, 'cli' or 'system'
    CHECK ((event = 'removed') = (reason IS NOT NULL))
);
CREATE INDEX seat_history_at ON seat_history(at);
CREATE TRIGGER seat_history_no_update BEFORE UPDATE ON seat_history
BEGIN SELECT RAISE(ABORT, 'seat history is append-only'); END;
CREATE TRIGGER seat_history_no_delete BEFORE DELETE ON seat_history
BEGIN SELECT RAISE(ABORT, 'seat history is append-only'); END;

-- What each refresh saw per active purchase (Seat Link's add_on_metrics),
-- beside the billable-user snapshot of the same refresh.
CREATE TABLE add_on_snapshots (
    id              INTEGER PRIMARY KEY,
    snapshot_id     INTEGER NOT NULL,         -- snapshots.id of the same refresh
    recorded_at     INTEGER NOT NULL,         -- ms since epoch
    add_on          TEXT NOT NULL,
    purchase_id     INTEGER NOT NULL,
    purchased_seats INTEGER NOT NULL CHECK (purchased_seats >= 0),
    assigned_seats  INTEGER NOT NULL CHECK (assigned_seats >= 0)
);
CREATE INDEX add_on_snapshots_snapshot ON add_on_snapshots(snapshot_id);
CREATE TRIGGER add_on_snapshots_no_update BEFORE UPDATE ON add_on_snapshots
BEGIN SELECT RAISE(ABORT, 'add-on snapshots are append-only'); END;
CREATE TRIGGER add_on_snapshots_no_delete BEFORE DELETE ON add_on_snapshots
BEGIN SELECT RAISE(ABORT, 'add-on snapshots are append-only'); END;

-- The user's last Duo activity (a successful Code Suggestions call, or
-- carried over by `users import`), days since 1970-01-01; NULL if never.
ALTER TABLE users ADD COLUMN last_duo_activity_on INTEGER;
