-- 002_users.sql: the user directory of the host application, replaced or
-- merged by `users import`.  state, user_type and highest_role hold the codes
-- of engine/billable.h, so counting a million users reads one small index.

-- WITHOUT ROWID: the host's id is the key, so an upsert touches one b-tree
-- for the row (plus the billing index) instead of a rowid table and a
-- unique index on id.
CREATE TABLE users (
    id               TEXT NOT NULL PRIMARY KEY,   -- the host application's id
    username         TEXT NOT NULL,
    email            TEXT,
    state            INTEGER NOT NULL CHECK (state BETWEEN 0 AND 5),
    user_type        INTEGER NOT NULL CHECK (user_type BETWEEN 0 AND 17),
    highest_role     INTEGER NOT NULL CHECK (highest_role BETWEEN 0 AND 7),
    guest_seat       INTEGER NOT NULL CHECK (guest_seat IN (0, 1)),
    last_activity_on INTEGER,                     -- days since 1970-01-01, NULL if never
    -- the import that last wrote the row: a second write of an id within one
    -- import is a duplicate, and --prune removes rows of older imports
    import_gen       INTEGER NOT NULL
) WITHOUT ROWID;

-- Covering index for the counts: GROUP BY over it yields at most
-- 6 x 18 x 8 x 2 groups, to which engine/billable.c applies the rules.
CREATE INDEX users_billing ON users(state, user_type, highest_role, guest_seat);
