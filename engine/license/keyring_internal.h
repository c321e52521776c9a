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
/* Its context, ready for EVP_PKEY_verify_recover() with PKCS#1 padding
 * (borrowed).  It carries state: a keyring serves one thread at a time. */
EVP_PKEY_CTX *sl__keyring_recover_ctx(const sl_keyring *kr, size_t i);
/* Parse an SPKI PEM RSA public key. */
sl_rc sl__pem_public_key(const char *pem, size_t len, EVP_PKEY **out, sl_error *err);

#endif
