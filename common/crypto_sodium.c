/* SPDX-License-Identifier: Apache-2.0 */
/*
 * crypto_sodium.c — the primitives libsodium 1.0.18 provides: randomness,
 * guarded memory, wiping, constant-time comparison, SHA-256, HMAC-SHA-256,
 * Ed25519, X25519, ChaCha20-Poly1305 (IETF) and XChaCha20-Poly1305 sealing.
 */
#include "crypto.h"
#include "crypto_int.h"

#include <pthread.h>
#include <sodium.h>
#include <stdint.h>
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

/*
 * Guarded areas are costly to make: sodium_malloc() maps the area between
 * guard pages, locks it and protects the guards, sodium_free() wipes,
 * unlocks and unmaps it -- about 25 us and seven system calls per pair on
 * the benchmark machine.  The keystore makes one per Join answer and
 * several per access token; kdc-bench scenario 2 found 18% of the
 * keystore's CPU time in sodium_malloc/sodium_free (docs/BENCHMARKS.md).
 * So a freed area is wiped and kept for the next allocation of the same
 * size: it stays guarded and locked, and never holds a secret while it
 * waits.  The size is kept in a header inside the area, before the
 * caller's bytes, so that the end of the caller's bytes still touches the
 * trailing guard page.
 */
#define SECURE_CACHE_SLOTS 16
#define SECURE_HDR         16 /* keeps the caller's alignment */

static struct {
	uint8_t *base;
	size_t n;
} secure_cache[SECURE_CACHE_SLOTS];
static size_t secure_cached;
static pthread_mutex_t secure_lock = PTHREAD_MUTEX_INITIALIZER;

void *
kdc_secure_alloc(size_t n)
{
	uint8_t *base = NULL;

	if (n == 0)
		n = 1;
	pthread_mutex_lock(&secure_lock);
	for (size_t i = 0; i < secure_cached; i++) {
		if (secure_cache[i].n == n) {
			base = secure_cache[i].base;
			secure_cache[i] = secure_cache[--secure_cached];
			break;
		}
	}
	pthread_mutex_unlock(&secure_lock);
	if (base == NULL) {
		if (n > SIZE_MAX - SECURE_HDR)
			return NULL;
		base = sodium_malloc(SECURE_HDR + n);
		if (base == NULL)
			return NULL;
		memcpy(base, &n, sizeof(n));
	}
	/* sodium_malloc fills the area with 0xdb; callers expect a clean
	 * struct more often than not.  (A reused area is wiped already.) */
	memset(base + SECURE_HDR, 0, n);
	return base + SECURE_HDR;
}

void
kdc_secure_free(void *p)
{
	uint8_t *base;
	size_t n;

	if (p == NULL)
		return;
	base = (uint8_t *)p - SECURE_HDR;
	memcpy(&n, base, sizeof(n));
	sodium_memzero(p, n);
	pthread_mutex_lock(&secure_lock);
	if (secure_cached < SECURE_CACHE_SLOTS) {
		secure_cache[secure_cached].base = base;
		secure_cache[secure_cached].n = n;
		secure_cached++;
		base = NULL;
	}
	pthread_mutex_unlock(&secure_lock);
	/* sodium_free() wipes the whole area again before unmapping it. */
	if (base != NULL)
		sodium_free(base);
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
