/*
 * license/license_internal.h - what the key decoders (format.c,
 * format_v2.c) and the ledger need of a decoded license beyond the public
 * API: the fingerprint of its RSA-wrapped AES key, how it was signed, and its
 * payload as parsed JSON.
 */
#ifndef SL_LICENSE_INTERNAL_H
#define SL_LICENSE_INTERNAL_H

#include "core/internal.h"

/* Remember / read the SHA-256 of the AES key the decoder recovered and of
 * the envelope's RSA-wrapped copy of it, as lowercase hex (set by the
 * decoder; absent for licenses built from a stored payload: the readers
 * return 0).  A forger who holds one genuine key and the public key can
 * recover its AES key and encrypt any payload under it, so an AES key seen
 * before with a different payload marks a forgery; it is the AES key that
 * identifies it, not one of its encodings. */
void sl__license_set_key_fingerprints(sl_license *lic, const unsigned char *wrapped,
                                      size_t wrapped_len, const unsigned char *aes_key,
                                      size_t aes_len);
int sl__license_wrapped_key_hex(const sl_license *lic, char out[65]);
int sl__license_aes_key_hex(const sl_license *lic, char out[65]);
/* The payload as parsed JSON (borrowed). */
const json_t *sl__license_json(const sl_license *lic);
/* Record how a decoded key was signed: its format, the algorithm (a static
 * string) and the i-th key of kr (its name is copied, cut at
 * SL__SIGNER_NAME_MAX bytes). */
#define SL__SIGNER_NAME_MAX 256
void sl__license_set_origin(sl_license *lic, sl_key_format format, const char *algorithm,
                            const sl_keyring *kr, size_t i);

/* ---- the v2 format (format_v2.c) --------------------------------------- */

/* Does the text hold a "BEGIN SEATLEDGER LICENSE" line, i.e. is it meant to
 * be a v2 key?  (A gem boundary with the product name SEATLEDGER is read as
 * one too; `license issue` refuses that product name.) */
int sl__license_v2_armored(const char *text, size_t len);
/* sl_license_decode() for a v2 key. */
sl_rc sl__license_v2_decode(const char *text, size_t len, const sl_keyring *kr,
                            sl_license **out, sl_error *err);
/* The refusal of a GitLab-format key that verified with the i-th key of kr,
 * which is marked SL_KEY_REQUIRE_V2.  Returns SL_EINVAL. */
sl_rc sl__license_v2_only(const sl_keyring *kr, size_t i, sl_error *err);

/* Validity of restrictions.add_on_products (license/add_on_products.c):
 * SL_EINVAL "license: add_on_products.<add-on>[<i>].<field> ..." naming the
 * first malformed entry of a known add-on; unknown add-ons are ignored. */
sl_rc sl__license_check_add_on_products(const json_t *root, sl_error *err);
/* sl_license_addon_grant and sl_license_add_on_products_json over the
 * payload's JSON. */
void sl__add_on_grant(const json_t *root, sl_addon a, int32_t day, sl_addon_grant *out);
sl_rc sl__add_on_products_dump(const json_t *root, char **out_json, sl_error *err);


#endif /* SL_LICENSE_INTERNAL_H */
