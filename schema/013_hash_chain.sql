-- 013_hash_chain.sql: the hash chain over every append-only record
-- (docs/trust.md specifies it).  One chain across the append-only tables in
-- the order their rows were appended: each row's chain entry holds
-- SHA-256(previous hash || the row's header || SHA-256(the row's canonical
-- encoding)), so changing, deleting or inserting a row anywhere shows at
-- that row (`seatledger ledger verify`).  SQLite has no SHA-256, so this
-- migration makes the tables and the engine chains the rows that predate it
-- inside the same transaction (ledger/chain_format.c, sl__chain_fill),
-- once: chain_state.filled says it was done, so deleting the chain later
-- does not make the engine chain the ledger afresh.

-- License additions and deletions, append-only: `licenses` itself loses a
-- row when a license is deleted, so the chain covers this record of both.
CREATE TABLE license_events (
    id         INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,            -- ms since epoch
    event      TEXT NOT NULL CHECK (event IN ('added', 'deleted')),
    license_id INTEGER NOT NULL,            -- licenses.id; no foreign key: it outlives the license
    data       TEXT                         -- 'added': the key text exactly as received;
                                            -- NULL for 'deleted' and for licenses deleted
                                            -- before this migration
);
-- The licenses stored now, and the additions and deletions the audit log
-- remembers of licenses already gone, in the order they happened.
INSERT INTO license_events(at, event, license_id, data)
    SELECT at, event, license_id, data FROM (
        SELECT created_at AS at, 'added' AS event, id AS license_id, data, 0 AS k
            FROM licenses
        UNION ALL
        SELECT at, 'added', license_id, NULL, 0 FROM audit_log
            WHERE action = 'license.add' AND outcome = 'ok' AND license_id IS NOT NULL
              AND license_id NOT IN (SELECT id FROM licenses)
        UNION ALL
        SELECT at, 'deleted', license_id, NULL, 1 FROM audit_log
            WHERE action = 'license.delete' AND outcome = 'ok' AND license_id IS NOT NULL)
    ORDER BY at, k, license_id;
CREATE TRIGGER license_events_no_update BEFORE UPDATE ON license_events
BEGIN SELECT RAISE(ABORT, 'license events are append-only'); END;
CREATE TRIGGER license_events_no_delete BEFORE DELETE ON license_events
BEGIN SELECT RAISE(ABORT, 'license events are append-only'); END;

-- Breaks of the chain an admin acknowledged (`ledger verify --accept-break`):
-- kept, chained and shown by every verification, never hidden.  kind
-- 'changed', 'deleted' and 'inserted' name rows first..last of the table
-- with code tbl (docs/trust.md); 'missing' names chain positions first..last
-- (tbl 0).
CREATE TABLE chain_breaks (
    id    INTEGER PRIMARY KEY,
    at    INTEGER NOT NULL,                 -- ms since epoch: when it was acknowledged
    kind  TEXT NOT NULL CHECK (kind IN ('changed', 'deleted', 'missing', 'inserted')),
    tbl   INTEGER NOT NULL,
    first INTEGER NOT NULL,
    last  INTEGER NOT NULL,
    CHECK (first <= last)
);
CREATE TRIGGER chain_breaks_no_update BEFORE UPDATE ON chain_breaks
BEGIN SELECT RAISE(ABORT, 'chain breaks are append-only'); END;
CREATE TRIGGER chain_breaks_no_delete BEFORE DELETE ON chain_breaks
BEGIN SELECT RAISE(ABORT, 'chain breaks are append-only'); END;

-- The chain: one entry per chained row, position 1, 2, 3, ... in append
-- order.  at repeats the row's time so that a deleted row can still be
-- named; (tbl, row_id) is unique, and its index finds each table's newest
-- chained row for the check every write makes.
CREATE TABLE chain (
    position INTEGER PRIMARY KEY,
    tbl      INTEGER NOT NULL,              -- table code (docs/trust.md)
    row_id   INTEGER NOT NULL,              -- the row's id in that table
    at       INTEGER NOT NULL,              -- the row's time, ms since epoch
    hash     BLOB NOT NULL,                 -- 32 bytes
    UNIQUE (tbl, row_id)
);
CREATE TRIGGER chain_no_update BEFORE UPDATE ON chain
BEGIN SELECT RAISE(ABORT, 'the hash chain is append-only'); END;
CREATE TRIGGER chain_no_delete BEFORE DELETE ON chain
BEGIN SELECT RAISE(ABORT, 'the hash chain is append-only'); END;

CREATE TABLE chain_state (
    id               INTEGER PRIMARY KEY CHECK (id = 1),
    filled           INTEGER NOT NULL CHECK (filled IN (0, 1)),  -- rows before 012 chained
    recheck_position INTEGER NOT NULL       -- where the next write's re-verification starts
);
INSERT INTO chain_state(id, filled, recheck_position) VALUES (1, 0, 1);
