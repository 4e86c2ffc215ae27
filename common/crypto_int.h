/* SPDX-License-Identifier: Apache-2.0 */
/*
 * crypto_int.h — helpers shared between the crypto_*.c files only.  Not part
 * of the public API of libkdc_common.
 */
#ifndef KDC_CRYPTO_INT_H
#define KDC_CRYPTO_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* AES-CCM and AES-GCM through GnuTLS (crypto_gnutls.c).  alg is a COSE
 * algorithm id whose parameters were already checked by the caller;
 * encrypt: out holds in_len + tag bytes; decrypt: in holds the tag last and
 * out receives in_len - tag bytes (wiped on failure). */
int kdc_crypto_gnutls_aead(bool encrypt, int alg, const uint8_t *key,
                           const uint8_t *nonce, const uint8_t *aad,
                           size_t aad_len, const uint8_t *in, size_t in_len,
                           uint8_t *out);

/* ChaCha20-Poly1305 (IETF, 12-byte nonce, 16-byte tag) through libsodium
 * (crypto_sodium.c), same conventions as above. */
int kdc_crypto_chacha20poly1305(bool encrypt, const uint8_t key[32],
                                const uint8_t nonce[12], const uint8_t *aad,
                                size_t aad_len, const uint8_t *in,
                                size_t in_len, uint8_t *out);

#endif
