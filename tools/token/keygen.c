/* SPDX-License-Identifier: Apache-2.0 */
/*
 * keygen.c — fresh COSE_Keys for development ASes and devices, drawn from
 * libsodium's RNG (crypto.h).
 */
#include "token.h"

#include "crypto.h"
#include "tools_util.h"

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <string.h>

int
tok_keygen(const char *type, const uint8_t *kid, size_t kid_len,
           struct kdc_cose_key *k)
{
	int rc;

	memset(k, 0, sizeof(*k));
	if (kid_len > sizeof(k->kid))
		return -1;
	if (strcmp(type, "ed25519") == 0) {
		k->kty = KDC_KTY_OKP;
		k->crv = KDC_CRV_ED25519;
		k->alg = KDC_ALG_EDDSA;
		rc = kdc_ed25519_keypair(k->x, k->d);
		k->has_pub = k->has_priv = true;
	} else if (strcmp(type, "p256") == 0) {
		k->kty = KDC_KTY_EC2;
		k->crv = KDC_CRV_P256;
		k->alg = KDC_ALG_ES256;
		rc = kdc_p256_keypair(k->d, k->x, k->y);
		k->has_pub = k->has_priv = true;
	} else if (strcmp(type, "x25519") == 0) {
		k->kty = KDC_KTY_OKP;
		k->crv = KDC_CRV_X25519;
		rc = kdc_x25519_keypair(k->x, k->d);
		k->has_pub = k->has_priv = true;
	} else if (strcmp(type, "hmac256") == 0) {
		k->kty = KDC_KTY_SYMMETRIC;
		k->alg = KDC_ALG_HMAC256_256;
		k->k_len = 32;
		kdc_random(k->k, k->k_len);
		rc = 0;
	} else if (strcmp(type, "aes128") == 0) {
		k->kty = KDC_KTY_SYMMETRIC;
		k->alg = KDC_ALG_AES_CCM_16_64_128;
		k->k_len = 16;
		kdc_random(k->k, k->k_len);
		rc = 0;
	} else {
		return -1;
	}
	k->has_alg = k->alg != 0;
	if (kid_len > 0)
		memcpy(k->kid, kid, kid_len);
	k->kid_len = kid_len;
	if (rc != 0)
		kdc_cose_key_wipe(k);
	return rc;
}

/* SEC1 PEM through GnuTLS, which libcoap's backend reads back; the scalar
 * itself comes from libsodium (kdc_p256_keypair). */
int
tok_write_pem(const char *path, const struct kdc_cose_key *k)
{
	gnutls_x509_privkey_t pk;
	gnutls_datum_t x = {(unsigned char *)k->x, 32};
	gnutls_datum_t y = {(unsigned char *)k->y, 32};
	gnutls_datum_t d = {(unsigned char *)k->d, 32};
	gnutls_datum_t out = {NULL, 0};
	char err[256];
	int rc = -1;

	if (gnutls_x509_privkey_init(&pk) != 0)
		return -1;
	if (gnutls_x509_privkey_import_ecc_raw(pk, GNUTLS_ECC_CURVE_SECP256R1,
	                                       &x, &y, &d) == 0 &&
	    gnutls_x509_privkey_export2(pk, GNUTLS_X509_FMT_PEM, &out) == 0) {
		rc = tl_write_file_excl(path, 0600, out.data, out.size, err,
		                        sizeof(err));
		if (rc != 0)
			fprintf(stderr, "kdc-token keygen: %s\n", err);
	}
	if (out.data != NULL) {
		kdc_wipe(out.data, out.size);
		gnutls_free(out.data);
	}
	gnutls_x509_privkey_deinit(pk);
	return rc;
}
