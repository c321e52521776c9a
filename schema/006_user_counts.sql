-- 006_user_counts.sql: users per billing key, kept by `users import` inside
-- its own transaction (the only writer of users), so refresh and
-- `users count` read a few hundred rows instead of the whole directory.
CREATE TABLE user_counts (
    billing_key INTEGER PRIMARY KEY,   -- as users.billing_key packs it
    n           INTEGER NOT NULL CHECK (n > 0)
);
INSERT INTO user_counts(billing_key, n)
    SELECT billing_key, count(*) FROM users GROUP BY billing_key;
