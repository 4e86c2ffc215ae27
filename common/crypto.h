/* SPDX-License-Identifier: Apache-2.0 */
/*
 * crypto.h — the cryptographic primitives of the KDC.
 *
 * libsodium provides randomness, Ed25519, X25519, HMAC-SHA-256,
 * ChaCha20-Poly1305, XChaCha20-Poly1305 (sealing at rest), guarded memory
 * and wiping.  GnuTLS (already linked through libcoap) is used only for what
 * libsodium 1.0.18 lacks: AES-CCM, AES-GCM and ECDSA P-256 signatures.
 * P-256 point arithmetic GnuTLS 3.7 does not expose (public point of a
 * scalar, ECDH) comes from Nettle's hogweed, GnuTLS's own backend.
 * HKDF-SHA-256 (RFC 5869) is built on libsodium's HMAC because 1.0.18 has
 * no HKDF.
 *
 * Every function returns 0 on success and -1 on failure unless noted.
 * Signatures are raw: Ed25519 64 bytes, ECDSA P-256 r||s 64 bytes (RFC 9053
 * §2.1, not DER).
 */
#ifndef KDC_CRYPTO_H
#define KDC_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* COSE algorithm identifiers (IANA "COSE Algorithms"). */
enum kdc_cose_alg {
	KDC_ALG_ES256 = -7,
	KDC_ALG_EDDSA = -8,
	KDC_ALG_ED25519 = -19, /* fully specified, RFC 9864 */
	KDC_ALG_ESP256 = -9,   /* fully specified, RFC 9864 */
	KDC_ALG_ECDH_SS_HKDF_256 = -27,
	KDC_ALG_DIRECT = -6,
	KDC_ALG_A128GCM = 1,
	KDC_ALG_A256GCM = 3,
	KDC_ALG_HMAC256_64 = 4,
	KDC_ALG_HMAC256_256 = 5,
	KDC_ALG_AES_CCM_16_64_128 = 10,
	KDC_ALG_AES_CCM_16_64_256 = 11,
	KDC_ALG_CHACHA20_POLY1305 = 24,
	KDC_ALG_AES_CCM_16_128_128 = 30,
};

/* Call once per process before anything else; idempotent. */
int kdc_crypto_init(void);

/* Cryptographically secure random bytes (libsodium). */
void kdc_random(uint8_t *out, size_t n);
/* Constant-time comparison; true if equal.  Lengths must match. */
bool kdc_ct_equal(const uint8_t *a, const uint8_t *b, size_t n);
/* Wipe memory in a way the compiler cannot elide. */
void kdc_wipe(void *p, size_t n);

/* Guarded, locked (where possible) allocations for secrets. */
void *kdc_secure_alloc(size_t n);
void kdc_secure_free(void *p); /* wipes; NULL is fine */

/* HMAC-SHA-256, 32-byte output. */
void kdc_hmac_sha256(const uint8_t *key, size_t key_len, const uint8_t *msg,
                     size_t msg_len, uint8_t out[32]);
/* SHA-256. */
void kdc_sha256(const uint8_t *msg, size_t len, uint8_t out[32]);
/* HKDF-SHA-256 (RFC 5869): extract with salt (empty allowed), expand to
 * out_len <= 255*32 bytes. */
int kdc_hkdf_sha256(const uint8_t *salt, size_t salt_len, const uint8_t *ikm,
                    size_t ikm_len, const uint8_t *info, size_t info_len,
                    uint8_t *out, size_t out_len);

/* Ed25519: pk 32 bytes, sk 64 bytes (libsodium layout seed||pk). */
int kdc_ed25519_keypair(uint8_t pk[32], uint8_t sk[64]);
int kdc_ed25519_sk_from_seed(const uint8_t seed[32], uint8_t pk[32],
                             uint8_t sk[64]);
int kdc_ed25519_sign(const uint8_t sk[64], const uint8_t *msg, size_t len,
                     uint8_t sig[64]);
int kdc_ed25519_verify(const uint8_t pk[32], const uint8_t *msg, size_t len,
                       const uint8_t sig[64]);
/* Convert an Ed25519 public key to X25519 (fails on small-order / non-
 * canonical points, which Group OSCORE lets a GM refuse). */
int kdc_ed25519_pk_to_x25519(uint8_t x_pk[32], const uint8_t ed_pk[32]);
int kdc_ed25519_sk_to_x25519(uint8_t x_sk[32], const uint8_t ed_sk[64]);

/* X25519. */
int kdc_x25519_keypair(uint8_t pk[32], uint8_t sk[32]);
/* The public key of sk. */
int kdc_x25519_public(uint8_t pk[32], const uint8_t sk[32]);
/* Shared secret; fails if the result is all zero (small-order point). */
int kdc_x25519(uint8_t shared[32], const uint8_t sk[32], const uint8_t pk[32]);

/* ECDSA P-256 with SHA-256.  d: 32-byte private scalar; x, y: 32-byte
 * affine coordinates.  Private scalars are drawn from libsodium's RNG. */
int kdc_p256_keypair(uint8_t d[32], uint8_t x[32], uint8_t y[32]);
/* Recompute the public point of d. */
int kdc_p256_public(const uint8_t d[32], uint8_t x[32], uint8_t y[32]);
/* 0 if (x, y) is a point of P-256 (coordinates < p, on the curve). */
int kdc_p256_check_public(const uint8_t x[32], const uint8_t y[32]);
int kdc_p256_sign(const uint8_t d[32], const uint8_t *msg, size_t len,
                  uint8_t sig[64]);
int kdc_p256_verify(const uint8_t x[32], const uint8_t y[32],
                    const uint8_t *msg, size_t len, const uint8_t sig[64]);
/* P-256 ECDH (for pairwise-mode groups on P-256): x-coordinate. */
int kdc_p256_ecdh(uint8_t shared[32], const uint8_t d[32],
                  const uint8_t peer_x[32], const uint8_t peer_y[32]);

/* AEAD by COSE algorithm: AES-CCM-16-64-128 (10), AES-CCM-16-64-256 (11),
 * AES-CCM-16-128-128 (30), A128GCM (1), A256GCM (3), ChaCha20/Poly1305 (24).
 * ct holds pt_len + tag bytes. */
size_t kdc_aead_key_len(int alg);   /* 0 if unsupported */
size_t kdc_aead_nonce_len(int alg); /* 0 if unsupported */
size_t kdc_aead_tag_len(int alg);   /* 0 if unsupported */
int kdc_aead_encrypt(int alg, const uint8_t *key, const uint8_t *nonce,
                     const uint8_t *aad, size_t aad_len, const uint8_t *pt,
                     size_t pt_len, uint8_t *ct);
/* pt receives ct_len - tag bytes; fails (pt wiped) on a bad tag. */
int kdc_aead_decrypt(int alg, const uint8_t *key, const uint8_t *nonce,
                     const uint8_t *aad, size_t aad_len, const uint8_t *ct,
                     size_t ct_len, uint8_t *pt);

/* Sealing secrets at rest: XChaCha20-Poly1305 with a random 24-byte nonce
 * prepended; the AAD binds the ciphertext to what it protects (table, row,
 * purpose) so sealed values cannot be swapped between rows. */
#define KDC_SEAL_OVERHEAD (24 + 16)
int kdc_seal(const uint8_t kek[32], const uint8_t *aad, size_t aad_len,
             const uint8_t *pt, size_t pt_len, uint8_t *out /* pt_len+40 */);
int kdc_unseal(const uint8_t kek[32], const uint8_t *aad, size_t aad_len,
               const uint8_t *in, size_t in_len, uint8_t *pt /* in_len-40 */);

#endif
