-- 011_code_suggestions.sql: what the Code Suggestions API (spec
-- code-suggestions.md) keeps in the ledger: the instance's identity, the
-- instance settings, the project directory, and tokens bound to a
-- directory user.

-- The instance identity, one row.  The UUID, the salt of the anonymous user
-- ids and the Ed25519 key pair (usage reports) are created with the ledger
-- by engine/ledger/instance_keys.c, inside the transaction that applies this
-- migration; the RSA-2048 pair that signs the direct-access JWTs (libjwt
-- 1.10 has no EdDSA) is created the first time it is needed (`keys
-- instance-public`, the first direct-access token), because generating it
-- takes a tenth to a third of a second and
-- every new ledger would pay it.  Private keys are PKCS#8 PEM: the ledger
-- file is 0600 and they are never printed.
CREATE TABLE instance (
    id                  INTEGER PRIMARY KEY CHECK (id = 1),
    uuid                TEXT NOT NULL,      -- 8-4-4-4-12 lowercase hex, version 4
    user_id_salt        TEXT NOT NULL,      -- 64 hex: global_user_id = base64(sha256(uuid || user id || salt))
    ed25519_private_pem TEXT NOT NULL,
    ed25519_public_pem  TEXT NOT NULL,
    jwt_private_pem     TEXT,               -- RSA-2048; NULL until first needed
    jwt_public_pem      TEXT,
    created_at          INTEGER NOT NULL    -- ms since epoch
);

-- Instance settings; a name that is absent has its default (on).
CREATE TABLE settings (
    name   TEXT PRIMARY KEY
           CHECK (name IN ('duo_features_enabled', 'duo_core_features_enabled',
                           'direct_code_suggestions')),
    value  INTEGER NOT NULL CHECK (value IN (0, 1)),
    locked INTEGER NOT NULL DEFAULT 0 CHECK (locked IN (0, 1))
) WITHOUT ROWID;

-- The host's projects and groups, replaced or merged by `projects import`
-- like the user directory.  The Duo setting cascades from the instance
-- through each group prefix of a path to the project.  Paths are ASCII and
-- compared without case, as GitLab finds projects by full path.
CREATE TABLE projects (
    path                 TEXT PRIMARY KEY COLLATE NOCASE,
    kind                 INTEGER NOT NULL CHECK (kind IN (0, 1)),  -- 0 project, 1 group
    duo_features_enabled INTEGER CHECK (duo_features_enabled IN (0, 1)),  -- NULL: inherit
    locked               INTEGER NOT NULL CHECK (locked IN (0, 1)),
    import_gen           INTEGER NOT NULL
) WITHOUT ROWID;

-- A token bound to a directory user acts for that user (never admin); NULL
-- for admin tokens and the unbound non-admin tokens made before.
ALTER TABLE api_tokens ADD COLUMN user_id TEXT;
