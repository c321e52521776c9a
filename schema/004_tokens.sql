-- 004_tokens.sql: API tokens of the HTTP server.  Only the SHA-256 of a
-- secret is kept, so a copy of the ledger does not hand out working tokens.

CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,    -- 1-64 of [A-Za-z0-9._-]; stays taken after revoke
    secret_sha256 TEXT NOT NULL UNIQUE,    -- lowercase hex; UNIQUE gives the lookup index
    admin         INTEGER NOT NULL CHECK (admin IN (0, 1)),
    expires_on    TEXT,                    -- YYYY-MM-DD, the first day it no longer works; NULL never
    created_at    INTEGER NOT NULL,        -- ms since epoch
    revoked_at    INTEGER                  -- ms since epoch; NULL while active
);
