-- 008_key_require_v2.sql: a trusted vendor key can be marked to accept only
-- license keys in seatledger's v2 format (signed as a whole), so that a key
-- in the GitLab format, whose payload anyone holding one genuine key can
-- replace (docs/security.md), is refused even when it verifies with it.
ALTER TABLE trusted_keys ADD COLUMN require_v2 INTEGER NOT NULL DEFAULT 0
    CHECK (require_v2 IN (0, 1));
