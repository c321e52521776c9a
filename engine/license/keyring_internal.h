/*
 * keyring_internal.h - OpenSSL-level access to the keyring for the format
 * decoders (engine/license/format.c, engine/license/format_v2.c).
 */
#ifndef SL_KEYRING_INTERNAL_H
#define SL_KEYRING_INTERNAL_H

#include <openssl/evp.h>

#include "seatledger.h"

/* Bytes of a key id: the SHA-256 of the key's DER SubjectPublicKeyInfo,
 * the same digest `keys list` shows as the fingerprint. */
#define SL__KID_LEN 32

/* The i-th trusted key (borrowed), NULL past the end. */
EVP_PKEY *sl__keyring_key(const sl_keyring *kr, size_t i);
/* An RSA key's context set up for EVP_PKEY_verify_recover() with PKCS#1
 * padding when the key was added (borrowed, never used itself: copy it
 * with EVP_PKEY_CTX_dup); NULL for another key type. */
const EVP_PKEY_CTX *sl__keyring_recover_ctx(const sl_keyring *kr, size_t i);
/* The name it was added with (borrowed; NULL when none or past the end). */
const char *sl__keyring_name(const sl_keyring *kr, size_t i);
/* Its key id (SL__KID_LEN bytes, borrowed); NULL past the end. */
const unsigned char *sl__keyring_kid(const sl_keyring *kr, size_t i);
/* Was it added with SL_KEY_REQUIRE_V2? */
int sl__keyring_requires_v2(const sl_keyring *kr, size_t i);
/* Index of the key whose id is `kid` (SL__KID_LEN bytes), -1 when none. */
long sl__keyring_find_kid(const sl_keyring *kr, const unsigned char *kid);
/* The name messages give the i-th key of kr: its own, else "key-" and the
 * first 12 hex digits of its fingerprint (the default name of `keys trust`).
 * Returns buf. */
const char *sl__keyring_display_name(const sl_keyring *kr, size_t i, char *buf, size_t size);
/* The v2 signature of a key, set up: Ed25519 (PureEdDSA), or for an RSA key
 * RSA-PSS with SHA-256, MGF1-SHA-256 and a SL__V2_PSS_SALT_LEN-byte salt
 * (docs/license-format.md).  A sign (sign != 0) or verify context the
 * caller frees; NULL for another key type or when OpenSSL fails. */
#define SL__V2_PSS_SALT_LEN 32
EVP_MD_CTX *sl__pkey_v2_ctx(EVP_PKEY *pk, int sign);
/* The i-th key's verify context of sl__pkey_v2_ctx(), set up when the key
 * was added (borrowed, never used itself: copy it with EVP_MD_CTX_copy_ex,
 * which leaves it untouched); NULL when none. */
const EVP_MD_CTX *sl__keyring_v2_verifier(const sl_keyring *kr, size_t i);
/* Key id of any public or private key; SL_EINTERNAL when OpenSSL fails. */
sl_rc sl__pkey_kid(EVP_PKEY *pk, unsigned char out[SL__KID_LEN]);
/* "rsa", "ed25519" or "other" (static). */
const char *sl__pkey_type(EVP_PKEY *pk);
/* Parse an SPKI PEM public key, RSA or Ed25519. */
sl_rc sl__pem_public_key(const char *pem, size_t len, EVP_PKEY **out, sl_error *err);
/* SL_OK for an RSA key strong enough to trust: at least 2048 bits and a
 * public exponent of at least 65537; SL_EINVAL naming the size or exponent
 * otherwise. */
sl_rc sl__rsa_key_strong(EVP_PKEY *pk, sl_error *err);
/* Parse an unencrypted PEM private key of any type (never prompts for a
 * passphrase); the caller checks the type it needs and frees *out. */
sl_rc sl__pem_private_key(const char *pem, size_t len, EVP_PKEY **out, sl_error *err);

#endif
