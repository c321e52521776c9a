-- 001_init.sql: trusted vendor keys, stored licenses and the audit log.

CREATE TABLE trusted_keys (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    fingerprint TEXT NOT NULL UNIQUE,      -- sha256 hex of the DER SPKI
    pem         TEXT NOT NULL,
    created_at  INTEGER NOT NULL           -- ms since epoch
);

-- AUTOINCREMENT: a deleted license's id is never handed out again.
CREATE TABLE licenses (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    data             TEXT NOT NULL,        -- the key text exactly as received
    payload          TEXT NOT NULL,        -- decrypted payload JSON, verified on add
    created_at       INTEGER NOT NULL,     -- ms since epoch
    plan             TEXT NOT NULL,
    starts_on        TEXT,                 -- YYYY-MM-DD
    expires_on       TEXT,
    user_limit       INTEGER,              -- NULL when unrestricted
    licensee_name    TEXT,
    licensee_email   TEXT,
    licensee_company TEXT,
    source           TEXT NOT NULL
);

CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,           -- ms since epoch
    action     TEXT NOT NULL,              -- license.add, license.delete, key.trust, ...
    license_id INTEGER,
    outcome    TEXT NOT NULL,              -- ok | refused | error
    detail     TEXT
);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
