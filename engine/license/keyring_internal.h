/*
 * keyring_internal.h - OpenSSL-level access to the keyring for the format
 * decoder (engine/license/format.c).
 */
#ifndef SL_KEYRING_INTERNAL_H
#define SL_KEYRING_INTERNAL_H

#include <openssl/evp.h>

#include "seatledger.h"

/* The i-th trusted key (borrowed), NULL past the end. */
EVP_PKEY *sl__keyring_key(const sl_keyring *kr, size_t i);
/* Parse an SPKI PEM RSA public key. */
sl_rc sl__pem_public_key(const char *pem, size_t len, EVP_PKEY **out, sl_error *err);
/* SL_OK for an RSA key strong enough to trust: at least 2048 bits and a
 * public exponent of at least 65537; SL_EINVAL naming the size or exponent
 * otherwise. */
sl_rc sl__rsa_key_strong(EVP_PKEY *pk, sl_error *err);

#endif
