/* SPDX-License-Identifier: Apache-2.0 */
/*
 * crypto_gnutls.c — what libsodium 1.0.18 lacks and GnuTLS (already linked
 * through libcoap) has: AES-CCM (COSE 10, 11, 30), AES-GCM (1, 3) and
 * ECDSA P-256 with SHA-256 signatures.  COSE signatures are raw r||s
 * (RFC 9053 §2.1); GnuTLS speaks DER, so they are converted here.
 */
#include "crypto.h"
#include "crypto_int.h"

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <string.h>

static const uint8_t empty_buf[1];

static gnutls_cipher_algorithm_t
cipher_of(int alg, size_t *key_len, size_t *nonce_len, size_t *tag_len)
{
	*key_len = kdc_aead_key_len(alg);
	*nonce_len = kdc_aead_nonce_len(alg);
	*tag_len = kdc_aead_tag_len(alg);
	switch (alg) {
	case KDC_ALG_AES_CCM_16_64_128:
		return GNUTLS_CIPHER_AES_128_CCM_8;
	case KDC_ALG_AES_CCM_16_64_256:
		return GNUTLS_CIPHER_AES_256_CCM_8;
	case KDC_ALG_AES_CCM_16_128_128:
		return GNUTLS_CIPHER_AES_128_CCM;
	case KDC_ALG_A128GCM:
		return GNUTLS_CIPHER_AES_128_GCM;
	case KDC_ALG_A256GCM:
		return GNUTLS_CIPHER_AES_256_GCM;
	default:
		return GNUTLS_CIPHER_UNKNOWN;
	}
}

int
kdc_crypto_gnutls_aead(bool encrypt, int alg, const uint8_t *key,
                       const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
                       const uint8_t *in, size_t in_len, uint8_t *out)
{
	gnutls_aead_cipher_hd_t h;
	gnutls_datum_t k;
	size_t key_len, nonce_len, tag_len, out_len;
	gnutls_cipher_algorithm_t c;
	int rc;

	c = cipher_of(alg, &key_len, &nonce_len, &tag_len);
	if (c == GNUTLS_CIPHER_UNKNOWN)
		return -1;
	if (!encrypt && in_len < tag_len)
		return -1;
	k.data = (unsigned char *)key;
	k.size = (unsigned)key_len;
	if (gnutls_aead_cipher_init(&h, c, &k) < 0)
		return -1;
	if (aad == NULL)
		aad = empty_buf;
	if (in == NULL)
		in = empty_buf;
	if (encrypt) {
		out_len = in_len + tag_len;
		rc = gnutls_aead_cipher_encrypt(h, nonce, nonce_len, aad,
		                                aad_len, tag_len, in, in_len,
		                                out, &out_len);
		if (rc == 0 && out_len != in_len + tag_len)
			rc = -1;
	} else {
		uint8_t dummy[1];
		uint8_t *o = in_len > tag_len ? out : dummy;

		out_len = in_len - tag_len;
		rc = gnutls_aead_cipher_decrypt(h, nonce, nonce_len, aad,
		                                aad_len, tag_len, in, in_len, o,
		                                &out_len);
		if (rc == 0 && out_len != in_len - tag_len)
			rc = -1;
		if (rc != 0)
			kdc_wipe(out, in_len - tag_len);
	}
	gnutls_aead_cipher_deinit(h);
	return rc == 0 ? 0 : -1;
}

/* ECDSA P-256 -----------------------------------------------------------*/

/* Big-endian unsigned integer without its leading zero bytes (at least one
 * byte is kept). */
static gnutls_datum_t
trimmed(const uint8_t *p, size_t n)
{
	gnutls_datum_t d;

	while (n > 1 && p[0] == 0) {
		p++;
		n--;
	}
	d.data = (unsigned char *)p;
	d.size = (unsigned)n;
	return d;
}

/* Left-pad a big-endian integer from GnuTLS into 32 bytes. */
static int
pad32(uint8_t out[32], const gnutls_datum_t *d)
{
	const unsigned char *p = d->data;
	size_t n = d->size;

	while (n > 0 && p[0] == 0) {
		p++;
		n--;
	}
	if (n > 32)
		return -1;
	memset(out, 0, 32 - n);
	if (n > 0)
		memcpy(out + 32 - n, p, n);
	return 0;
}

int
kdc_p256_sign(const uint8_t d[32], const uint8_t *msg, size_t len,
              uint8_t sig[64])
{
	uint8_t x[32], y[32];
	gnutls_privkey_t key = NULL;
	gnutls_datum_t dx, dy, dk, data, der = {NULL, 0}, r = {NULL, 0},
	                                 s = {NULL, 0};
	int rc = -1;

	/* GnuTLS needs the public point along with the scalar; this also
	 * rejects a scalar outside [1, n-1]. */
	if (kdc_p256_public(d, x, y) != 0)
		return -1;
	if (gnutls_privkey_init(&key) < 0)
		return -1;
	dx.data = x;
	dx.size = 32;
	dy.data = y;
	dy.size = 32;
	dk.data = (unsigned char *)d;
	dk.size = 32;
	if (gnutls_privkey_import_ecc_raw(key, GNUTLS_ECC_CURVE_SECP256R1, &dx,
	                                  &dy, &dk) < 0)
		goto out;
	data.data = (unsigned char *)(msg != NULL ? msg : empty_buf);
	data.size = (unsigned)len;
	if ((size_t)data.size != len)
		goto out;
	/* RFC 6979 deterministic nonces: no dependence on the RNG at
	 * signing time. */
	if (gnutls_privkey_sign_data(key, GNUTLS_DIG_SHA256,
	                             GNUTLS_PRIVKEY_FLAG_REPRODUCIBLE, &data,
	                             &der) < 0)
		goto out;
	if (gnutls_decode_rs_value(&der, &r, &s) < 0)
		goto out;
	if (pad32(sig, &r) != 0 || pad32(sig + 32, &s) != 0)
		goto out;
	rc = 0;
out:
	if (rc != 0)
		kdc_wipe(sig, 64);
	gnutls_free(der.data);
	gnutls_free(r.data);
	gnutls_free(s.data);
	gnutls_privkey_deinit(key); /* zeroises the imported scalar */
	return rc;
}

int
kdc_p256_verify(const uint8_t x[32], const uint8_t y[32], const uint8_t *msg,
                size_t len, const uint8_t sig[64])
{
	gnutls_pubkey_t pub = NULL;
	gnutls_datum_t dx, dy, r, s, data, der = {NULL, 0};
	int rc = -1;

	if (gnutls_pubkey_init(&pub) < 0)
		return -1;
	dx.data = (unsigned char *)x;
	dx.size = 32;
	dy.data = (unsigned char *)y;
	dy.size = 32;
	if (gnutls_pubkey_import_ecc_raw(pub, GNUTLS_ECC_CURVE_SECP256R1, &dx,
	                                 &dy) < 0)
		goto out;
	r = trimmed(sig, 32);
	s = trimmed(sig + 32, 32);
	if (gnutls_encode_rs_value(&der, &r, &s) < 0)
		goto out;
	data.data = (unsigned char *)(msg != NULL ? msg : empty_buf);
	data.size = (unsigned)len;
	if ((size_t)data.size != len)
		goto out;
	if (gnutls_pubkey_verify_data2(pub, GNUTLS_SIGN_ECDSA_SHA256, 0, &data,
	                               &der) < 0)
		goto out;
	rc = 0;
out:
	gnutls_free(der.data);
	gnutls_pubkey_deinit(pub);
	return rc;
}
