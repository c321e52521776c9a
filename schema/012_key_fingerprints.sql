-- 012_key_fingerprints.sql: every signed AES key the ledger has accepted,
-- with the payload it came with, kept when its license is deleted.  Anyone
-- holding one genuine key and the vendor's public key can recover its AES
-- key and encrypt another payload under it (the format has no MAC); a key
-- whose AES key was seen before with a different payload is refused as
-- forged, also after the genuine license is gone.  The AES key identifies
-- it, not one encoding of its RSA-wrapped copy; licenses stored before this
-- migration bring only the fingerprint of their wrapped copy (decoding the
-- wrapped key again would need the keys trusted when they were added).

CREATE TABLE key_fingerprints (
    id                 INTEGER PRIMARY KEY,
    recorded_at        INTEGER NOT NULL,     -- ms since epoch
    license_id         INTEGER NOT NULL,     -- the license that brought it; no foreign
                                             -- key: it outlives the license
    aes_key_sha256     TEXT,                 -- SHA-256 of the recovered AES key, hex;
                                             -- NULL for licenses stored before 008
    wrapped_key_sha256 TEXT,                 -- SHA-256 of the RSA-wrapped AES key, hex
    payload            TEXT NOT NULL         -- the decrypted payload it came with
);
CREATE INDEX key_fingerprints_aes ON key_fingerprints(aes_key_sha256);
CREATE INDEX key_fingerprints_wrapped ON key_fingerprints(wrapped_key_sha256);

INSERT INTO key_fingerprints(recorded_at, license_id, wrapped_key_sha256, payload)
    SELECT created_at, id, wrapped_key_sha256, payload FROM licenses
    WHERE wrapped_key_sha256 IS NOT NULL ORDER BY id;

CREATE TRIGGER key_fingerprints_no_update BEFORE UPDATE ON key_fingerprints
BEGIN SELECT RAISE(ABORT, 'key fingerprints are append-only'); END;
CREATE TRIGGER key_fingerprints_no_delete BEFORE DELETE ON key_fingerprints
BEGIN SELECT RAISE(ABORT, 'key fingerprints are append-only'); END;
