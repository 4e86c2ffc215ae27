/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cose_key.c — COSE_Key (RFC 9052 §7, RFC 9053 §7) decoding and encoding
 * for the key types the KDC uses: OKP Ed25519 / X25519, EC2 P-256 and
 * Symmetric.
 */
#include "cose.h"
#include "cose_int.h"
#include "crypto.h"

#include <string.h>

void
kdc_cose_key_wipe(struct kdc_cose_key *k)
{
	kdc_wipe(k, sizeof(*k));
}

/* Optional bstr member of exactly `want` bytes (any length when want is 0,
 * up to max).  1 if present, 0 if absent, -1 if malformed. */
static int
member_bstr(const cbor_item_t *map, int64_t label, size_t want, size_t max,
            const uint8_t **p, size_t *n)
{
	const cbor_item_t *v = kdc_cbor_map_get(map, label);

	if (v == NULL)
		return 0;
	if (!kdc_cbor_get_bstr(v, p, n))
		return -1;
	if (want != 0 && *n != want)
		return -1;
	if (*n > max)
		return -1;
	return 1;
}

static int
decode_okp(const cbor_item_t *map, struct kdc_cose_key *k)
{
	const uint8_t *x = NULL, *d = NULL;
	size_t xn = 0, dn = 0;
	int hx, hd;

	hx = member_bstr(map, KDC_KEY_X, 32, 32, &x, &xn);
	hd = member_bstr(map, KDC_KEY_D, 32, 32, &d, &dn);
	if (hx < 0 || hd < 0 || (hx == 0 && hd == 0))
		return -1;
	if (hd == 1) {
		uint8_t pk[32];
		int rc;

		if (k->crv == KDC_CRV_ED25519) {
			/* RFC 9053 §7.2: d is the 32-byte seed; libsodium
			 * works with seed || pk. */
			rc = kdc_ed25519_sk_from_seed(d, pk, k->d);
		} else {
			memcpy(k->d, d, 32);
			rc = kdc_x25519_public(pk, k->d);
		}
		if (rc != 0)
			return -1;
		/* A public part that is not the private part's is an
		 * inconsistent key, not a key pair. */
		if (hx == 1 && memcmp(pk, x, 32) != 0)
			return -1;
		memcpy(k->x, pk, 32);
		k->has_priv = true;
	} else {
		memcpy(k->x, x, 32);
	}
	k->has_pub = true;
	return 0;
}

static int
decode_ec2(const cbor_item_t *map, struct kdc_cose_key *k)
{
	const uint8_t *x = NULL, *y = NULL, *d = NULL;
	size_t xn = 0, yn = 0, dn = 0;
	int hx, hy, hd;

	/* y as a bool (point compression) is not supported: the member
	 * then is not a bstr and fails here. */
	hx = member_bstr(map, KDC_KEY_X, 32, 32, &x, &xn);
	hy = member_bstr(map, KDC_KEY_Y, 32, 32, &y, &yn);
	hd = member_bstr(map, KDC_KEY_D, 32, 32, &d, &dn);
	if (hx < 0 || hy < 0 || hd < 0 || hx != hy || (hx == 0 && hd == 0))
		return -1;
	if (hd == 1) {
		uint8_t px[32], py[32];

		memcpy(k->d, d, 32);
		if (kdc_p256_public(k->d, px, py) != 0)
			return -1; /* scalar not in [1, n-1] */
		if (hx == 1 &&
		    (memcmp(px, x, 32) != 0 || memcmp(py, y, 32) != 0))
			return -1;
		memcpy(k->x, px, 32);
		memcpy(k->y, py, 32);
		k->has_priv = true;
	} else {
		if (kdc_p256_check_public(x, y) != 0)
			return -1; /* not a point of the curve */
		memcpy(k->x, x, 32);
		memcpy(k->y, y, 32);
	}
	k->has_pub = true;
	return 0;
}

static int
decode_symmetric(const cbor_item_t *map, struct kdc_cose_key *k)
{
	const uint8_t *p = NULL;
	size_t n = 0;
	int h = member_bstr(map, KDC_KEY_K, 0, KDC_COSE_MAX_SYMKEY, &p, &n);

	if (h < 0)
		return -1;
	/* A Symmetric COSE_Key without k is a key reference by kid (RFC 9202
	 * §3.3, RFC 8747 §3.4 style), which the caller resolves. */
	if (h == 1 && n == 0)
		return -1;
	if (h == 1)
		memcpy(k->k, p, n);
	k->k_len = n;
	return 0;
}

static int
decode_key(const cbor_item_t *map, struct kdc_cose_key *k)
{
	const cbor_item_t *v;
	const uint8_t *kid = NULL;
	size_t kid_len = 0;
	int64_t kty, crv;

	if (map == NULL || !cbor_isa_map(map))
		return -1;
	if (!kdc_cbor_get_int(kdc_cbor_map_get(map, KDC_KEY_KTY), &kty))
		return -1; /* kty is required; text kty not supported */
	if (member_bstr(map, KDC_KEY_KID, 0, KDC_COSE_MAX_KID, &kid, &kid_len) <
	    0)
		return -1;
	if (kid_len > 0)
		memcpy(k->kid, kid, kid_len);
	k->kid_len = kid_len;
	v = kdc_cbor_map_get(map, KDC_KEY_ALG);
	if (v != NULL) {
		if (!kdc_cbor_get_int(v, &k->alg))
			return -1;
		k->has_alg = true;
	}
	switch (kty) {
	case KDC_KTY_OKP:
	case KDC_KTY_EC2:
		if (!kdc_cbor_get_int(kdc_cbor_map_get(map, KDC_KEY_CRV), &crv))
			return -1;
		k->kty = (int)kty;
		if (kty == KDC_KTY_OKP &&
		    (crv == KDC_CRV_ED25519 || crv == KDC_CRV_X25519)) {
			k->crv = (int)crv;
			return decode_okp(map, k);
		}
		if (kty == KDC_KTY_EC2 && crv == KDC_CRV_P256) {
			k->crv = (int)crv;
			return decode_ec2(map, k);
		}
		return -1;
	case KDC_KTY_SYMMETRIC:
		k->kty = KDC_KTY_SYMMETRIC;
		return decode_symmetric(map, k);
	default:
		return -1;
	}
}

int
kdc_cose_key_decode(const cbor_item_t *map, struct kdc_cose_key *out)
{
	memset(out, 0, sizeof(*out));
	if (decode_key(map, out) != 0) {
		kdc_cose_key_wipe(out);
		return -1;
	}
	return 0;
}

void
kdc_cose_key_encode(struct kdc_cw *w, const struct kdc_cose_key *k,
                    bool with_private)
{
	bool kid = k->kid_len > 0 && k->kid_len <= KDC_COSE_MAX_KID;
	bool asym = k->kty == KDC_KTY_OKP || k->kty == KDC_KTY_EC2;
	bool pub = asym && k->has_pub;
	bool y = pub && k->kty == KDC_KTY_EC2;
	bool priv = with_private && asym && k->has_priv;
	bool sym = with_private && k->kty == KDC_KTY_SYMMETRIC &&
	           k->k_len > 0 && k->k_len <= KDC_COSE_MAX_SYMKEY;
	size_t n;

	n = 1 + kid + k->has_alg + asym + pub + y + priv + sym;
	/* RFC 8949 §4.2.1 order of the encoded labels: 1, 2, 3, -1 .. -4. */
	kdc_cw_map(w, n);
	kdc_cw_int(w, KDC_KEY_KTY);
	kdc_cw_int(w, k->kty);
	if (kid) {
		kdc_cw_int(w, KDC_KEY_KID);
		kdc_cw_bstr(w, k->kid, k->kid_len);
	}
	if (k->has_alg) {
		kdc_cw_int(w, KDC_KEY_ALG);
		kdc_cw_int(w, k->alg);
	}
	if (asym) {
		kdc_cw_int(w, KDC_KEY_CRV);
		kdc_cw_int(w, k->crv);
	}
	if (sym) {
		kdc_cw_int(w, KDC_KEY_K);
		kdc_cw_bstr(w, k->k, k->k_len);
	}
	if (pub) {
		kdc_cw_int(w, KDC_KEY_X);
		kdc_cw_bstr(w, k->x, 32);
	}
	if (y) {
		kdc_cw_int(w, KDC_KEY_Y);
		kdc_cw_bstr(w, k->y, 32);
	}
	if (priv) {
		/* Ed25519: the seed, i.e. the first half of libsodium's sk;
		 * X25519 and P-256: the 32-byte scalar. */
		kdc_cw_int(w, KDC_KEY_D);
		kdc_cw_bstr(w, k->d, 32);
	}
}

bool
kdc_cose_key_same_public(const struct kdc_cose_key *a,
                         const struct kdc_cose_key *b)
{
	if (a->kty != b->kty || a->crv != b->crv || !a->has_pub || !b->has_pub)
		return false;
	if (a->kty == KDC_KTY_OKP)
		return memcmp(a->x, b->x, 32) == 0;
	if (a->kty == KDC_KTY_EC2)
		return memcmp(a->x, b->x, 32) == 0 &&
		       memcmp(a->y, b->y, 32) == 0;
	return false; /* Symmetric keys have no public part */
}
