/* SPDX-License-Identifier: Apache-2.0 */
/*
 * crypto_sodium.c — the primitives libsodium 1.0.18 provides: randomness,
 * guarded memory, wiping, constant-time comparison, SHA-256, HMAC-SHA-256,
 * Ed25519, X25519, ChaCha20-Poly1305 (IETF) and XChaCha20-Poly1305 sealing.
 */
#include "crypto.h"
#include "crypto_int.h"

#include <sodium.h>
#include <string.h>

/* libsodium functions tolerate a NULL pointer for an empty buffer in
 * practice, but memcpy(NULL, ..., 0) is undefined; use this instead. */
static const uint8_t empty_buf[1];

static const uint8_t *
nonnull(const uint8_t *p)
{
	return p != NULL ? p : empty_buf;
}

int
kdc_crypto_init(void)
{
	/* sodium_init() returns 1 when already initialised: fine. */
	return sodium_init() < 0 ? -1 : 0;
}

void
kdc_random(uint8_t *out, size_t n)
{
	if (n > 0)
		randombytes_buf(out, n);
}

bool
kdc_ct_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
	if (n == 0)
		return true;
	return sodium_memcmp(a, b, n) == 0;
}

void
kdc_wipe(void *p, size_t n)
{
	if (p != NULL && n > 0)
		sodium_memzero(p, n);
}

void *
kdc_secure_alloc(size_t n)
{
	void *p = sodium_malloc(n > 0 ? n : 1);

	/* sodium_malloc fills the area with 0xdb; callers expect a clean
	 * struct more often than not. */
	if (p != NULL)
		memset(p, 0, n > 0 ? n : 1);
	return p;
}

void
kdc_secure_free(void *p)
{
	/* sodium_free() wipes the whole area before unmapping it. */
	if (p != NULL)
		sodium_free(p);
}

void
kdc_hmac_sha256(const uint8_t *key, size_t key_len, const uint8_t *msg,
                size_t msg_len, uint8_t out[32])
{
	crypto_auth_hmacsha256_state st;

	crypto_auth_hmacsha256_init(&st, nonnull(key), key_len);
	crypto_auth_hmacsha256_update(&st, nonnull(msg), msg_len);
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(&st, sizeof(st));
}

void
kdc_sha256(const uint8_t *msg, size_t len, uint8_t out[32])
{
	crypto_hash_sha256(out, nonnull(msg), len);
}

/* Ed25519 ---------------------------------------------------------------*/

int
kdc_ed25519_keypair(uint8_t pk[32], uint8_t sk[64])
{
	return crypto_sign_ed25519_keypair(pk, sk) == 0 ? 0 : -1;
}

int
kdc_ed25519_sk_from_seed(const uint8_t seed[32], uint8_t pk[32], uint8_t sk[64])
{
	return crypto_sign_ed25519_seed_keypair(pk, sk, seed) == 0 ? 0 : -1;
}

int
kdc_ed25519_sign(const uint8_t sk[64], const uint8_t *msg, size_t len,
                 uint8_t sig[64])
{
	return crypto_sign_ed25519_detached(sig, NULL, nonnull(msg), len, sk) ==
	                       0
	               ? 0
	               : -1;
}

int
kdc_ed25519_verify(const uint8_t pk[32], const uint8_t *msg, size_t len,
                   const uint8_t sig[64])
{
	return crypto_sign_ed25519_verify_detached(sig, nonnull(msg), len,
	                                           pk) == 0
	               ? 0
	               : -1;
}

int
kdc_ed25519_pk_to_x25519(uint8_t x_pk[32], const uint8_t ed_pk[32])
{
	/* Fails on small-order, non-canonical and off-subgroup points. */
	return crypto_sign_ed25519_pk_to_curve25519(x_pk, ed_pk) == 0 ? 0 : -1;
}

int
kdc_ed25519_sk_to_x25519(uint8_t x_sk[32], const uint8_t ed_sk[64])
{
	return crypto_sign_ed25519_sk_to_curve25519(x_sk, ed_sk) == 0 ? 0 : -1;
}

/* X25519 ----------------------------------------------------------------*/

int
kdc_x25519_keypair(uint8_t pk[32], uint8_t sk[32])
{
	randombytes_buf(sk, 32);
	if (crypto_scalarmult_base(pk, sk) != 0) {
		sodium_memzero(sk, 32);
		return -1;
	}
	return 0;
}

int
kdc_x25519_public(uint8_t pk[32], const uint8_t sk[32])
{
	return crypto_scalarmult_base(pk, sk) == 0 ? 0 : -1;
}

int
kdc_x25519(uint8_t shared[32], const uint8_t sk[32], const uint8_t pk[32])
{
	/* crypto_scalarmult() returns -1 if the result is all zero, i.e.
	 * the peer sent a small-order point. */
	if (crypto_scalarmult(shared, sk, pk) != 0) {
		sodium_memzero(shared, 32);
		return -1;
	}
	return 0;
}

/* ChaCha20-Poly1305 (RFC 8439, COSE alg 24) -----------------------------*/

int
kdc_crypto_chacha20poly1305(bool encrypt, const uint8_t key[32],
                            const uint8_t nonce[12], const uint8_t *aad,
                            size_t aad_len, const uint8_t *in, size_t in_len,
                            uint8_t *out)
{
	const size_t tag = crypto_aead_chacha20poly1305_ietf_ABYTES;

	if (encrypt)
		return crypto_aead_chacha20poly1305_ietf_encrypt(
		               out, NULL, nonnull(in), in_len, nonnull(aad),
		               aad_len, NULL, nonce, key) == 0
		               ? 0
		               : -1;
	if (in_len < tag)
		return -1;
	if (crypto_aead_chacha20poly1305_ietf_decrypt(
	            out, NULL, NULL, in, in_len, nonnull(aad), aad_len, nonce,
	            key) != 0) {
		kdc_wipe(out, in_len - tag);
		return -1;
	}
	return 0;
}

/* Sealing at rest: XChaCha20-Poly1305, random 24-byte nonce in front -----*/

int
kdc_seal(const uint8_t kek[32], const uint8_t *aad, size_t aad_len,
         const uint8_t *pt, size_t pt_len, uint8_t *out)
{
	uint8_t *nonce = out;

	randombytes_buf(nonce, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
	return crypto_aead_xchacha20poly1305_ietf_encrypt(
	               out + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, NULL,
	               nonnull(pt), pt_len, nonnull(aad), aad_len, NULL, nonce,
	               kek) == 0
	               ? 0
	               : -1;
}

int
kdc_unseal(const uint8_t kek[32], const uint8_t *aad, size_t aad_len,
           const uint8_t *in, size_t in_len, uint8_t *pt)
{
	const size_t nb = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;

	if (in_len < KDC_SEAL_OVERHEAD)
		return -1;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(
	            pt, NULL, NULL, in + nb, in_len - nb, nonnull(aad), aad_len,
	            in, kek) != 0) {
		kdc_wipe(pt, in_len - KDC_SEAL_OVERHEAD);
		return -1;
	}
	return 0;
}
