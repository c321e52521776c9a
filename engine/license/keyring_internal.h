/*
 * keyring_internal.h - OpenSSL-level access to the keyring for the format
 * decoder (engine/license/format.c) and key generation for the ledger's
 * instance identity (engine/ledger/instance_keys.c).
 */
#ifndef SL_KEYRING_INTERNAL_H
#define SL_KEYRING_INTERNAL_H

#include <openssl/evp.h>

#include "seatledger.h"

/* The i-th trusted key (borrowed), NULL past the end. */
EVP_PKEY *sl__keyring_key(const sl_keyring *kr, size_t i);
/* Parse an SPKI PEM RSA public key. */
sl_rc sl__pem_public_key(const char *pem, size_t len, EVP_PKEY **out, sl_error *err);

/* An Ed25519 key pair as PKCS#8 PEM private key and SPKI PEM public key;
 * caller frees both (cleansing the private one). */
sl_rc sl__keys_generate_ed25519(char **private_pem, char **public_pem, sl_error *err);

#endif
