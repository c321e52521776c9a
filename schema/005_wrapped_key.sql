-- 005_wrapped_key.sql: remember which RSA-wrapped AES key each license came
-- with.  Anyone holding one genuine key and the vendor's public key can
-- recover its AES key and encrypt another payload under the same wrapped key
-- (the format has no MAC); a wrapped key seen before with a different payload
-- is therefore refused as forged.  NULL for licenses stored before this.
ALTER TABLE licenses ADD COLUMN wrapped_key_sha256 TEXT;
CREATE INDEX licenses_wrapped_key ON licenses(wrapped_key_sha256);
