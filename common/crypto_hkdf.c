/* SPDX-License-Identifier: Apache-2.0 */
/*
 * crypto_hkdf.c — HKDF-SHA-256 (RFC 5869) on libsodium's HMAC-SHA-256;
 * libsodium 1.0.18 has no crypto_kdf_hkdf_sha256 (it came in 1.0.19).
 */
#include "crypto.h"

#include <sodium.h>
#include <string.h>

#define HASH_LEN 32

int
kdc_hkdf_sha256(const uint8_t *salt, size_t salt_len, const uint8_t *ikm,
                size_t ikm_len, const uint8_t *info, size_t info_len,
                uint8_t *out, size_t out_len)
{
	static const uint8_t zeros[HASH_LEN];
	crypto_auth_hmacsha256_state st;
	uint8_t prk[HASH_LEN];
	uint8_t t[HASH_LEN];
	size_t done = 0;
	uint8_t ctr;

	if (out_len > (size_t)255 * HASH_LEN)
		return -1;
	/* RFC 5869 §2.2: an absent salt is HashLen zero bytes. */
	if (salt == NULL || salt_len == 0) {
		salt = zeros;
		salt_len = sizeof(zeros);
	}
	kdc_hmac_sha256(salt, salt_len, ikm, ikm_len, prk);
	/* RFC 5869 §2.3: T(i) = HMAC(PRK, T(i-1) | info | i). */
	for (ctr = 1; done < out_len; ctr++) {
		size_t n =
		        out_len - done < HASH_LEN ? out_len - done : HASH_LEN;

		crypto_auth_hmacsha256_init(&st, prk, sizeof(prk));
		if (ctr > 1)
			crypto_auth_hmacsha256_update(&st, t, sizeof(t));
		if (info_len > 0)
			crypto_auth_hmacsha256_update(&st, info, info_len);
		crypto_auth_hmacsha256_update(&st, &ctr, 1);
		crypto_auth_hmacsha256_final(&st, t);
		memcpy(out + done, t, n);
		done += n;
	}
	sodium_memzero(&st, sizeof(st));
	sodium_memzero(prk, sizeof(prk));
	sodium_memzero(t, sizeof(t));
	return 0;
}
