/* SPDX-License-Identifier: Apache-2.0 */
/*
 * crypto_p256.c — P-256 point arithmetic: the public point of a private
 * scalar, ECDH, and public-key validation.
 *
 * GnuTLS 3.7 (Debian 12) cannot do these through its public API:
 * gnutls_privkey_import_ecc_raw() dereferences x and y (NULL crashes) and
 * never derives them from the scalar, an SEC1 ECPrivateKey without its
 * optional publicKey is refused, and there is no ECDH call outside a TLS
 * handshake (gnutls_privkey_derive_secret() came in 3.8).  GnuTLS computes
 * with Nettle's hogweed, so this file uses the same library directly:
 * ecc_point_mul_g() / ecc_point_mul() are Nettle's side-channel silent
 * scalar multiplications.  Signatures stay in crypto_gnutls.c.
 *
 * Private scalars are drawn from libsodium's RNG by rejection sampling, so
 * every d in [1, n-1] is equally likely (FIPS 186-5 A.2.2 style).
 */
#include "crypto.h"

#include <gmp.h>
#include <nettle/bignum.h>
#include <nettle/ecc-curve.h>
#include <nettle/ecc.h>
#include <string.h>

_Static_assert(GMP_NUMB_BITS == 8 * sizeof(mp_limb_t), "GMP without nails");

#define P256_LIMBS ((256 + GMP_NUMB_BITS - 1) / GMP_NUMB_BITS)

/* The group order n of P-256, big-endian (SEC 2 §2.4.2). */
static const uint8_t p256_n[32] = {
        0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17,
        0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};

/* Big-endian 32 bytes into little-endian limbs. */
static void
bytes_to_limbs(mp_limb_t l[P256_LIMBS], const uint8_t b[32])
{
	memset(l, 0, P256_LIMBS * sizeof(mp_limb_t));
	for (size_t i = 0; i < 32; i++)
		l[i / sizeof(mp_limb_t)] |= (mp_limb_t)b[31 - i]
		                            << (8 * (i % sizeof(mp_limb_t)));
}

/* 1 <= d <= n-1, without branching on the secret bytes. */
static bool
scalar_in_range(const uint8_t d[32])
{
	unsigned borrow = 0, nonzero = 0;

	/* d < n  <=>  d - n borrows. */
	for (int i = 31; i >= 0; i--) {
		unsigned diff = (unsigned)d[i] - p256_n[i] - borrow;

		borrow = (diff >> 8) & 1;
		nonzero |= d[i];
	}
	return borrow == 1 && nonzero != 0;
}

/* Load d into a Nettle scalar; the limb copy is wiped by the caller's
 * scalar_clear(). */
static int
scalar_load(struct ecc_scalar *s, const uint8_t d[32])
{
	mp_limb_t l[P256_LIMBS];
	mpz_t z;
	int ok;

	if (!scalar_in_range(d))
		return -1;
	bytes_to_limbs(l, d);
	/* A read-only mpz over our own limbs: GMP allocates nothing that
	 * would hold the secret. */
	ok = ecc_scalar_set(s, mpz_roinit_n(z, l, P256_LIMBS));
	kdc_wipe(l, sizeof(l));
	return ok ? 0 : -1;
}

static void
scalar_clear(struct ecc_scalar *s)
{
	kdc_wipe(s->p, (size_t)ecc_size(s->ecc) * sizeof(mp_limb_t));
	ecc_scalar_clear(s);
}

static void
point_clear(struct ecc_point *p, bool secret)
{
	if (secret)
		kdc_wipe(p->p,
		         2 * (size_t)ecc_size(p->ecc) * sizeof(mp_limb_t));
	ecc_point_clear(p);
}

/* Export an affine coordinate (< p, so it fits) and wipe the mpz. */
static void
coord_out(uint8_t out[32], mpz_t v)
{
	size_t n = mpz_size(v);

	nettle_mpz_get_str_256(32, out, v);
	if (n > 0)
		kdc_wipe(mpz_limbs_modify(v, (mp_size_t)n),
		         n * sizeof(mp_limb_t));
	mpz_clear(v);
}

static int
point_load(struct ecc_point *p, const uint8_t x[32], const uint8_t y[32])
{
	mp_limb_t lx[P256_LIMBS], ly[P256_LIMBS];
	mpz_t zx, zy;

	bytes_to_limbs(lx, x);
	bytes_to_limbs(ly, y);
	/* Fails unless (x, y) is on the curve with coordinates < p. */
	return ecc_point_set(p, mpz_roinit_n(zx, lx, P256_LIMBS),
	                     mpz_roinit_n(zy, ly, P256_LIMBS))
	               ? 0
	               : -1;
}

int
kdc_p256_public(const uint8_t d[32], uint8_t x[32], uint8_t y[32])
{
	const struct ecc_curve *c = nettle_get_secp_256r1();
	struct ecc_scalar s;
	struct ecc_point r;
	mpz_t mx, my;
	int rc = -1;

	ecc_scalar_init(&s, c);
	ecc_point_init(&r, c);
	if (scalar_load(&s, d) == 0) {
		ecc_point_mul_g(&r, &s);
		mpz_init(mx);
		mpz_init(my);
		ecc_point_get(&r, mx, my);
		coord_out(x, mx);
		coord_out(y, my);
		rc = 0;
	}
	point_clear(&r, false);
	scalar_clear(&s);
	return rc;
}

int
kdc_p256_keypair(uint8_t d[32], uint8_t x[32], uint8_t y[32])
{
	/* Rejection sampling: P(reject) ~ 2^-32 per draw, so the bound is
	 * only there to make the loop provably finite. */
	for (int i = 0; i < 64; i++) {
		kdc_random(d, 32);
		if (scalar_in_range(d))
			return kdc_p256_public(d, x, y);
	}
	kdc_wipe(d, 32);
	return -1;
}

int
kdc_p256_check_public(const uint8_t x[32], const uint8_t y[32])
{
	struct ecc_point p;
	int rc;

	ecc_point_init(&p, nettle_get_secp_256r1());
	rc = point_load(&p, x, y);
	point_clear(&p, false);
	return rc;
}

int
kdc_p256_ecdh(uint8_t shared[32], const uint8_t d[32], const uint8_t peer_x[32],
              const uint8_t peer_y[32])
{
	const struct ecc_curve *c = nettle_get_secp_256r1();
	struct ecc_scalar s;
	struct ecc_point peer, r;
	uint8_t ytmp[32];
	mpz_t mx, my;
	int rc = -1;

	ecc_scalar_init(&s, c);
	ecc_point_init(&peer, c);
	ecc_point_init(&r, c);
	/* The peer point must be on the curve (invalid-curve attacks); P-256
	 * has cofactor 1, so a valid point times d in [1, n-1] is never the
	 * point at infinity. */
	if (point_load(&peer, peer_x, peer_y) == 0 && scalar_load(&s, d) == 0) {
		ecc_point_mul(&r, &s, &peer);
		mpz_init(mx);
		mpz_init(my);
		ecc_point_get(&r, mx, my);
		coord_out(shared, mx);
		coord_out(ytmp, my);
		kdc_wipe(ytmp, sizeof(ytmp));
		rc = 0;
	}
	point_clear(&r, true);
	point_clear(&peer, false);
	scalar_clear(&s);
	if (rc != 0)
		kdc_wipe(shared, 32);
	return rc;
}
