/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_keys.h — the fixed keys of the COSE and CWT fuzz targets: the keys
 * of the COSE WG examples and of RFC 8392 Appendix A, so that the seed
 * corpora (built from those vectors) reach the verification paths, and
 * their mutations reach the failure paths right after them.
 */
#ifndef KDC_FUZZ_KEYS_H
#define KDC_FUZZ_KEYS_H

#include "cose.h"
#include "crypto.h"

#include <stdlib.h>
#include <string.h>

struct fuzz_keys {
	struct kdc_cose_key ed;       /* RFC 8032 test 1 (eddsa-sig-01) */
	struct kdc_cose_key ec;       /* COSE WG ecdsa-sig-01 / sign1-tests */
	struct kdc_cose_key ec8392;   /* RFC 8392 A.2.3 */
	struct kdc_cose_key hmac;     /* COSE WG "our-secret", 256 bits */
	struct kdc_cose_key hmac8392; /* RFC 8392 A.2.2 (alg not enforced) */
	struct kdc_cose_key k16;      /* COSE WG aes-ccm-enc-01 */
	struct kdc_cose_key k16_8392; /* RFC 8392 A.2.1 */
	struct kdc_cose_key k32;      /* COSE WG chacha-poly-enc-01 */
};

static inline void
fuzz_hex(const char *h, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v = 0;

		for (int j = 0; j < 2; j++) {
			char c = h[2 * i + (size_t)j];

			v = v * 16 + (unsigned)(c <= '9'   ? c - '0'
			                        : c <= 'F' ? c - 'A' + 10
			                                   : c - 'a' + 10);
		}
		out[i] = (uint8_t)v;
	}
}

static inline void
fuzz_sym(struct kdc_cose_key *k, const char *hex, size_t n)
{
	memset(k, 0, sizeof(*k));
	k->kty = KDC_KTY_SYMMETRIC;
	k->k_len = n;
	fuzz_hex(hex, k->k, n);
}

static inline void
fuzz_ec(struct kdc_cose_key *k, const char *d)
{
	memset(k, 0, sizeof(*k));
	k->kty = KDC_KTY_EC2;
	k->crv = KDC_CRV_P256;
	fuzz_hex(d, k->d, 32);
	if (kdc_p256_public(k->d, k->x, k->y) != 0)
		abort();
	k->has_pub = k->has_priv = true;
}

static inline void
fuzz_keys_init(struct fuzz_keys *f)
{
	uint8_t seed[32];

	if (kdc_crypto_init() != 0)
		abort();
	memset(&f->ed, 0, sizeof(f->ed));
	f->ed.kty = KDC_KTY_OKP;
	f->ed.crv = KDC_CRV_ED25519;
	fuzz_hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031ca"
	         "e7f60",
	         seed, 32);
	if (kdc_ed25519_sk_from_seed(seed, f->ed.x, f->ed.d) != 0)
		abort();
	f->ed.has_pub = f->ed.has_priv = true;
	/* base64url V8kgd2ZBRuh2dgyVINBUqpPDr7BOMGcF22CQMIUHtNM */
	fuzz_ec(&f->ec, "57c92077664146e876760c9520d054aa93c3afb04e306705db60"
	                "90308507b4d3");
	fuzz_ec(&f->ec8392, "6c1382765aec5358f117733d281c1c7bdc39884d04a45a1e"
	                    "6c67c858bc206c19");
	fuzz_sym(&f->hmac,
	         "849B57219DAE48DE646D07DBB533566E976686457C1491BE3A"
	         "76DCEA6C427188",
	         32);
	fuzz_sym(&f->hmac8392,
	         "403697de87af64611c1d32a05dab0fe1fcb715a86ab435"
	         "f1ec99192d79569388",
	         32);
	fuzz_sym(&f->k16, "849B57219DAE48DE646D07DBB533566E", 16);
	fuzz_sym(&f->k16_8392, "231f4c4d4d3051fdc2ec0a3851d5b383", 16);
	fuzz_sym(&f->k32,
	         "0F1E2D3C4B5A69788796A5B4C3D2E1F01F2E3D4C5B6A798897"
	         "A6B5C4D3E2F100",
	         32);
}

/* The key a layer of kind/alg is tried with; `alt` picks the RFC 8392
 * variant where there are two. */
static inline const struct kdc_cose_key *
fuzz_key_for(const struct fuzz_keys *f, enum kdc_cose_kind kind, int64_t alg,
             bool alt)
{
	switch (kind) {
	case KDC_COSE_SIGN1:
		if (alg == KDC_ALG_EDDSA || alg == KDC_ALG_ED25519)
			return &f->ed;
		return alt ? &f->ec8392 : &f->ec;
	case KDC_COSE_MAC0:
		return alt ? &f->hmac8392 : &f->hmac;
	case KDC_COSE_ENCRYPT0:
		if (alg >= -0x7fffffff && alg <= 0x7fffffff &&
		    kdc_aead_key_len((int)alg) == 16)
			return alt ? &f->k16_8392 : &f->k16;
		return &f->k32;
	default:
		return NULL;
	}
}

#endif
