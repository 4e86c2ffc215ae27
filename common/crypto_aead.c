/* SPDX-License-Identifier: Apache-2.0 */
/*
 * crypto_aead.c — AEAD by COSE algorithm (RFC 9053 §4): parameters and
 * dispatch to GnuTLS (AES-CCM, AES-GCM) or libsodium (ChaCha20-Poly1305).
 */
#include "crypto.h"
#include "crypto_int.h"

struct aead_params {
	int alg;
	uint8_t key, nonce, tag;
};

/* RFC 9053 §4.1 (GCM), §4.2 (CCM: 13-byte nonce for L = 16), §4.3. */
static const struct aead_params aead_table[] = {
        {KDC_ALG_A128GCM, 16, 12, 16},
        {KDC_ALG_A256GCM, 32, 12, 16},
        {KDC_ALG_AES_CCM_16_64_128, 16, 13, 8},
        {KDC_ALG_AES_CCM_16_64_256, 32, 13, 8},
        {KDC_ALG_AES_CCM_16_128_128, 16, 13, 16},
        {KDC_ALG_CHACHA20_POLY1305, 32, 12, 16},
};

static const struct aead_params *
params_of(int alg)
{
	for (size_t i = 0; i < sizeof(aead_table) / sizeof(aead_table[0]); i++)
		if (aead_table[i].alg == alg)
			return &aead_table[i];
	return NULL;
}

size_t
kdc_aead_key_len(int alg)
{
	const struct aead_params *p = params_of(alg);

	return p != NULL ? p->key : 0;
}

size_t
kdc_aead_nonce_len(int alg)
{
	const struct aead_params *p = params_of(alg);

	return p != NULL ? p->nonce : 0;
}

size_t
kdc_aead_tag_len(int alg)
{
	const struct aead_params *p = params_of(alg);

	return p != NULL ? p->tag : 0;
}

int
kdc_aead_encrypt(int alg, const uint8_t *key, const uint8_t *nonce,
                 const uint8_t *aad, size_t aad_len, const uint8_t *pt,
                 size_t pt_len, uint8_t *ct)
{
	if (params_of(alg) == NULL)
		return -1;
	if (alg == KDC_ALG_CHACHA20_POLY1305)
		return kdc_crypto_chacha20poly1305(true, key, nonce, aad,
		                                   aad_len, pt, pt_len, ct);
	return kdc_crypto_gnutls_aead(true, alg, key, nonce, aad, aad_len, pt,
	                              pt_len, ct);
}

int
kdc_aead_decrypt(int alg, const uint8_t *key, const uint8_t *nonce,
                 const uint8_t *aad, size_t aad_len, const uint8_t *ct,
                 size_t ct_len, uint8_t *pt)
{
	const struct aead_params *p = params_of(alg);

	if (p == NULL || ct_len < p->tag)
		return -1;
	if (alg == KDC_ALG_CHACHA20_POLY1305)
		return kdc_crypto_chacha20poly1305(false, key, nonce, aad,
		                                   aad_len, ct, ct_len, pt);
	return kdc_crypto_gnutls_aead(false, alg, key, nonce, aad, aad_len, ct,
	                              ct_len, pt);
}
