/* SPDX-License-Identifier: Apache-2.0 */
/* Tests of the cryptographic primitives (common/crypto_*.c) against
 * published vectors: RFC 5869 (HKDF), RFC 4231 (HMAC), FIPS 180-2 (SHA-256),
 * RFC 8032 (Ed25519), RFC 7748 (X25519), RFC 5903 (P-256 ECDH), RFC 8392
 * A.2.3 (a P-256 key pair), the COSE WG AES-CCM example, RFC 8613 C.4,
 * and the McGrew-Viega GCM test cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "crypto.h"

#include "cose_test_util.h"

#include <string.h>

/* Compare a buffer with a hex string. */
static void
assert_hex(const uint8_t *got, size_t got_len, const char *hex)
{
	size_t n = 0;
	uint8_t *want = tu_hex(hex, &n);

	assert_non_null(want);
	assert_int_equal(got_len, n);
	assert_memory_equal(got, want, n);
	free(want);
}

static int
setup(void **state)
{
	(void)state;
	return kdc_crypto_init();
}

/* RFC 5869 Appendix A.1-A.3. */
static void
test_hkdf_rfc5869(void **state)
{
	uint8_t ikm[80], salt[80], info[80], okm[82];

	(void)state;
	/* A.1 */
	memset(ikm, 0x0b, 22);
	for (int i = 0; i < 13; i++)
		salt[i] = (uint8_t)i;
	for (int i = 0; i < 10; i++)
		info[i] = (uint8_t)(0xf0 + i);
	assert_int_equal(kdc_hkdf_sha256(salt, 13, ikm, 22, info, 10, okm, 42),
	                 0);
	assert_hex(okm, 42,
	           "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56"
	           "ecc4c5bf34007208d5b887185865");
	/* A.2 */
	for (int i = 0; i < 80; i++) {
		ikm[i] = (uint8_t)i;
		salt[i] = (uint8_t)(0x60 + i);
		info[i] = (uint8_t)(0xb0 + i);
	}
	assert_int_equal(kdc_hkdf_sha256(salt, 80, ikm, 80, info, 80, okm, 82),
	                 0);
	assert_hex(okm, 82,
	           "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c"
	           "19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8"
	           "367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87");
	/* A.3: no salt, no info */
	memset(ikm, 0x0b, 22);
	assert_int_equal(kdc_hkdf_sha256(NULL, 0, ikm, 22, NULL, 0, okm, 42),
	                 0);
	assert_hex(okm, 42,
	           "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f"
	           "3c738d2d9d201395faa4b61a96c8");
}

static void
test_hkdf_limits(void **state)
{
	static uint8_t big[255 * 32 + 1];
	uint8_t ikm[4] = {1, 2, 3, 4};

	(void)state;
	assert_int_equal(
	        kdc_hkdf_sha256(NULL, 0, ikm, 4, NULL, 0, big, 255 * 32), 0);
	assert_int_equal(
	        kdc_hkdf_sha256(NULL, 0, ikm, 4, NULL, 0, big, 255 * 32 + 1),
	        -1);
	/* A shorter output is a prefix of a longer one (same T(1)). */
	{
		uint8_t a[16], b[40];

		assert_int_equal(
		        kdc_hkdf_sha256(NULL, 0, ikm, 4, NULL, 0, a, 16), 0);
		assert_int_equal(
		        kdc_hkdf_sha256(NULL, 0, ikm, 4, NULL, 0, b, 40), 0);
		assert_memory_equal(a, b, 16);
	}
}

/* RFC 4231 test case 2 and SHA-256("abc") (FIPS 180-2 B.1). */
static void
test_hmac_sha256(void **state)
{
	static const char msg[] = "what do ya want for nothing?";
	uint8_t out[32];

	(void)state;
	kdc_hmac_sha256((const uint8_t *)"Jefe", 4, (const uint8_t *)msg,
	                strlen(msg), out);
	assert_hex(out, 32,
	           "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b9"
	           "64ec3843");
	kdc_sha256((const uint8_t *)"abc", 3, out);
	assert_hex(out, 32,
	           "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61"
	           "f20015ad");
}

static void
test_ct_equal_wipe_alloc(void **state)
{
	uint8_t a[5] = {1, 2, 3, 4, 5}, b[5] = {1, 2, 3, 4, 5};
	uint8_t *p;

	(void)state;
	assert_true(kdc_ct_equal(a, b, 5));
	b[4] ^= 1;
	assert_false(kdc_ct_equal(a, b, 5));
	assert_true(kdc_ct_equal(a, b, 0));
	kdc_wipe(a, sizeof(a));
	assert_memory_equal(a, (uint8_t[5]){0}, 5);
	p = kdc_secure_alloc(100);
	assert_non_null(p);
	for (int i = 0; i < 100; i++)
		assert_int_equal(p[i], 0);
	memset(p, 0xaa, 100);
	kdc_secure_free(p);
	kdc_secure_free(NULL);
	/* A freed area is kept for reuse: it comes back wiped. */
	p = kdc_secure_alloc(100);
	assert_non_null(p);
	for (int i = 0; i < 100; i++)
		assert_int_equal(p[i], 0);
	memset(p, 0x55, 100);
	{
		/* More areas than the cache keeps: the rest are unmapped. */
		uint8_t *v[40];

		for (int i = 0; i < 40; i++) {
			v[i] = kdc_secure_alloc((size_t)(i % 3) + 1);
			assert_non_null(v[i]);
			assert_int_equal(v[i][0], 0);
			v[i][0] = 0xaa;
		}
		for (int i = 0; i < 40; i++)
			kdc_secure_free(v[i]);
	}
	kdc_secure_free(p);
	/* Two random draws of 32 bytes differ. */
	kdc_random(a, 5);
	{
		uint8_t r1[32], r2[32];

		kdc_random(r1, 32);
		kdc_random(r2, 32);
		assert_memory_not_equal(r1, r2, 32);
	}
}

/* RFC 8032 §7.1 TEST 1 (empty message). */
static void
test_ed25519_rfc8032(void **state)
{
	uint8_t seed[32], pk[32], sk[64], sig[64];

	(void)state;
	assert_true(tu_hex_fixed("9d61b19deffd5a60ba844af492ec2cc44449c5697b32"
	                         "6919703bac031cae7f60",
	                         seed, 32));
	assert_int_equal(kdc_ed25519_sk_from_seed(seed, pk, sk), 0);
	assert_hex(pk, 32,
	           "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68"
	           "f707511a");
	assert_int_equal(kdc_ed25519_sign(sk, NULL, 0, sig), 0);
	assert_hex(sig, 64,
	           "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065"
	           "224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24"
	           "655141438e7a100b");
	assert_int_equal(kdc_ed25519_verify(pk, NULL, 0, sig), 0);
	sig[10] ^= 0x01;
	assert_int_equal(kdc_ed25519_verify(pk, NULL, 0, sig), -1);
	sig[10] ^= 0x01;
	assert_int_equal(kdc_ed25519_verify(pk, (const uint8_t *)"x", 1, sig),
	                 -1);
	kdc_wipe(sk, sizeof(sk));
}

static void
test_ed25519_keypair_and_x25519_conversion(void **state)
{
	uint8_t pa[32], sa[64], pb[32], sb[64];
	uint8_t xpa[32], xsa[32], xpb[32], xsb[32], s1[32], s2[32], sig[64];
	uint8_t small[32] = {1}; /* the neutral element: small order */

	(void)state;
	assert_int_equal(kdc_ed25519_keypair(pa, sa), 0);
	assert_int_equal(kdc_ed25519_keypair(pb, sb), 0);
	assert_memory_equal(sa + 32, pa, 32); /* seed || pk */
	assert_int_equal(kdc_ed25519_sign(sa, (const uint8_t *)"m", 1, sig), 0);
	assert_int_equal(kdc_ed25519_verify(pa, (const uint8_t *)"m", 1, sig),
	                 0);
	assert_int_equal(kdc_ed25519_verify(pb, (const uint8_t *)"m", 1, sig),
	                 -1);
	assert_int_equal(kdc_ed25519_pk_to_x25519(xpa, pa), 0);
	assert_int_equal(kdc_ed25519_sk_to_x25519(xsa, sa), 0);
	assert_int_equal(kdc_ed25519_pk_to_x25519(xpb, pb), 0);
	assert_int_equal(kdc_ed25519_sk_to_x25519(xsb, sb), 0);
	assert_int_equal(kdc_x25519(s1, xsa, xpb), 0);
	assert_int_equal(kdc_x25519(s2, xsb, xpa), 0);
	assert_memory_equal(s1, s2, 32);
	assert_int_equal(kdc_ed25519_pk_to_x25519(xpa, small), -1);
}

/* RFC 7748 §6.1. */
static void
test_x25519_rfc7748(void **state)
{
	uint8_t ska[32], skb[32], pk[32], sh[32], zero[32] = {0};

	(void)state;
	assert_true(tu_hex_fixed("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0"
	                         "992ab177fba51db92c2a",
	                         ska, 32));
	assert_true(tu_hex_fixed("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618"
	                         "b6fd1c2f8b27ff88e0eb",
	                         skb, 32));
	assert_true(tu_hex_fixed("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78"
	                         "674dadfc7e146f882b4f",
	                         pk, 32));
	assert_int_equal(kdc_x25519(sh, ska, pk), 0);
	assert_hex(sh, 32,
	           "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c"
	           "1e161742");
	assert_int_equal(kdc_x25519_public(pk, ska), 0);
	assert_hex(pk, 32,
	           "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98e"
	           "aa9b4e6a");
	/* All-zero result from a small-order point is refused. */
	assert_int_equal(kdc_x25519(sh, ska, zero), -1);
	assert_memory_equal(sh, zero, 32);
	/* Fresh key pairs agree. */
	{
		uint8_t pa[32], sa[32], pb[32], sb[32], s1[32], s2[32];

		assert_int_equal(kdc_x25519_keypair(pa, sa), 0);
		assert_int_equal(kdc_x25519_keypair(pb, sb), 0);
		assert_int_equal(kdc_x25519(s1, sa, pb), 0);
		assert_int_equal(kdc_x25519(s2, sb, pa), 0);
		assert_memory_equal(s1, s2, 32);
	}
}

/* RFC 8392 A.2.3: d -> (x, y); generator checks at d = 1 and d = n - 1. */
static void
test_p256_public(void **state)
{
	uint8_t d[32], x[32], y[32];

	(void)state;
	assert_true(tu_hex_fixed("6c1382765aec5358f117733d281c1c7bdc39884d04a4"
	                         "5a1e6c67c858bc206c19",
	                         d, 32));
	assert_int_equal(kdc_p256_public(d, x, y), 0);
	assert_hex(x, 32,
	           "143329cce7868e416927599cf65a34f3ce2ffda55a7eca69ed8919a3"
	           "94d42f0f");
	assert_hex(y, 32,
	           "60f7f1a780d8a783bfb7a2dd6b2796e8128dbbcef9d3d168db952997"
	           "1a36e7b9");
	assert_int_equal(kdc_p256_check_public(x, y), 0);
	y[31] ^= 1;
	assert_int_equal(kdc_p256_check_public(x, y), -1);

	memset(d, 0, 32);
	d[31] = 1;
	assert_int_equal(kdc_p256_public(d, x, y), 0);
	assert_hex(x, 32,
	           "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945"
	           "d898c296");
	assert_hex(y, 32,
	           "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb64068"
	           "37bf51f5");
	/* n - 1: the negated generator, y = p - Gy. */
	assert_true(tu_hex_fixed("ffffffff00000000ffffffffffffffffbce6faada717"
	                         "9e84f3b9cac2fc632550",
	                         d, 32));
	assert_int_equal(kdc_p256_public(d, x, y), 0);
	assert_hex(x, 32,
	           "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945"
	           "d898c296");
	assert_hex(y, 32,
	           "b01cbd1c01e58065711814b583f061e9d431cca994cea1313449bf97"
	           "c840ae0a");
	/* Out of range: 0, n, 2^256 - 1. */
	memset(d, 0, 32);
	assert_int_equal(kdc_p256_public(d, x, y), -1);
	assert_true(tu_hex_fixed("ffffffff00000000ffffffffffffffffbce6faada717"
	                         "9e84f3b9cac2fc632551",
	                         d, 32));
	assert_int_equal(kdc_p256_public(d, x, y), -1);
	memset(d, 0xff, 32);
	assert_int_equal(kdc_p256_public(d, x, y), -1);
}

static void
test_p256_keypair_sign_verify(void **state)
{
	uint8_t d[32], x[32], y[32], x2[32], y2[32], sig[64], sig2[64];
	static const uint8_t msg[] = "proof of possession";

	(void)state;
	for (int i = 0; i < 4; i++) {
		assert_int_equal(kdc_p256_keypair(d, x, y), 0);
		assert_int_equal(kdc_p256_public(d, x2, y2), 0);
		assert_memory_equal(x, x2, 32);
		assert_memory_equal(y, y2, 32);
		assert_int_equal(kdc_p256_sign(d, msg, sizeof(msg), sig), 0);
		assert_int_equal(kdc_p256_verify(x, y, msg, sizeof(msg), sig),
		                 0);
		/* RFC 6979: the same message gives the same signature. */
		assert_int_equal(kdc_p256_sign(d, msg, sizeof(msg), sig2), 0);
		assert_memory_equal(sig, sig2, 64);
		sig[0] ^= 0x80;
		assert_int_equal(kdc_p256_verify(x, y, msg, sizeof(msg), sig),
		                 -1);
		sig[0] ^= 0x80;
		sig[63] ^= 0x01;
		assert_int_equal(kdc_p256_verify(x, y, msg, sizeof(msg), sig),
		                 -1);
		sig[63] ^= 0x01;
		assert_int_equal(
		        kdc_p256_verify(x, y, msg, sizeof(msg) - 1, sig), -1);
	}
	/* r = s = 0 is never valid. */
	memset(sig, 0, 64);
	assert_int_equal(kdc_p256_verify(x, y, msg, sizeof(msg), sig), -1);
	kdc_wipe(d, sizeof(d));
}

/* RFC 5903 §8.1 (256-bit random ECP group). */
static void
test_p256_ecdh_rfc5903(void **state)
{
	uint8_t i[32], gix[32], giy[32], r[32], grx[32], gry[32], z[32];

	(void)state;
	assert_true(tu_hex_fixed("c88f01f510d9ac3f70a292daa2316de544e9aab8afe8"
	                         "4049c62a9c57862d1433",
	                         i, 32));
	assert_true(tu_hex_fixed("c6ef9c5d78ae012a011164acb397ce2088685d8f06bf"
	                         "9be0b283ab46476bee53",
	                         r, 32));
	assert_int_equal(kdc_p256_public(i, gix, giy), 0);
	assert_hex(gix, 32,
	           "dad0b65394221cf9b051e1feca5787d098dfe637fc90b9ef945d0c37"
	           "72581180");
	assert_hex(giy, 32,
	           "5271a0461cdb8252d61f1c456fa3e59ab1f45b33accf5f58389e0577"
	           "b8990bb3");
	assert_int_equal(kdc_p256_public(r, grx, gry), 0);
	assert_int_equal(kdc_p256_ecdh(z, i, grx, gry), 0);
	assert_hex(z, 32,
	           "d6840f6b42f6edafd13116e0e12565202fef8e9ece7dce03812464d0"
	           "4b9442de");
	assert_int_equal(kdc_p256_ecdh(z, r, gix, giy), 0);
	assert_hex(z, 32,
	           "d6840f6b42f6edafd13116e0e12565202fef8e9ece7dce03812464d0"
	           "4b9442de");
	/* A point off the curve (invalid-curve attack) is refused. */
	gry[0] ^= 1;
	assert_int_equal(kdc_p256_ecdh(z, i, grx, gry), -1);
	assert_memory_equal(z, (uint8_t[32]){0}, 32);
}

/* COSE WG aes-ccm-enc-01 (AES-CCM-16-64-128) and RFC 8613 C.4. */
static void
test_aes_ccm_vectors(void **state)
{
	static const char pt[] = "This is the content.";
	uint8_t key[16], nonce[13], ct[64], out[64];
	size_t aad_len = 0;
	uint8_t *aad;

	(void)state;
	assert_int_equal(kdc_aead_key_len(KDC_ALG_AES_CCM_16_64_128), 16);
	assert_int_equal(kdc_aead_nonce_len(KDC_ALG_AES_CCM_16_64_128), 13);
	assert_int_equal(kdc_aead_tag_len(KDC_ALG_AES_CCM_16_64_128), 8);
	assert_true(tu_hex_fixed("849B57219DAE48DE646D07DBB533566E", key, 16));
	assert_true(tu_hex_fixed("89F52F65A1C580933B5261A72F", nonce, 13));
	aad = tu_hex("8368456E63727970743043A1010A40", &aad_len);
	assert_int_equal(kdc_aead_encrypt(KDC_ALG_AES_CCM_16_64_128, key, nonce,
	                                  aad, aad_len, (const uint8_t *)pt, 20,
	                                  ct),
	                 0);
	assert_hex(ct, 28,
	           "6899DA0A132BD2D2B9B10915743EE1F7B92A4680E7C51BDBC1B320EA");
	assert_int_equal(kdc_aead_decrypt(KDC_ALG_AES_CCM_16_64_128, key, nonce,
	                                  aad, aad_len, ct, 28, out),
	                 0);
	assert_memory_equal(out, pt, 20);
	ct[27] ^= 1;
	memset(out, 0x55, sizeof(out));
	assert_int_equal(kdc_aead_decrypt(KDC_ALG_AES_CCM_16_64_128, key, nonce,
	                                  aad, aad_len, ct, 28, out),
	                 -1);
	assert_memory_equal(out, (uint8_t[20]){0}, 20); /* wiped */
	ct[27] ^= 1;
	aad[3] ^= 1;
	assert_int_equal(kdc_aead_decrypt(KDC_ALG_AES_CCM_16_64_128, key, nonce,
	                                  aad, aad_len, ct, 28, out),
	                 -1);
	free(aad);

	/* RFC 8613 C.4: OSCORE request protection. */
	assert_true(tu_hex_fixed("f0910ed7295e6ad4b54fc793154302ff", key, 16));
	assert_true(tu_hex_fixed("4622d4dd6d944168eefb549868", nonce, 13));
	aad = tu_hex("8368456e63727970743040488501810a40411440", &aad_len);
	{
		uint8_t p[5];

		assert_true(tu_hex_fixed("01b3747631", p, 5));
		assert_int_equal(kdc_aead_encrypt(KDC_ALG_AES_CCM_16_64_128,
		                                  key, nonce, aad, aad_len, p,
		                                  5, ct),
		                 0);
		assert_hex(ct, 13, "612f1092f1776f1c1668b3825e");
	}
	free(aad);
}

/* McGrew & Viega GCM test cases 2 (AES-128) and 14 (AES-256). */
static void
test_aes_gcm_vectors(void **state)
{
	uint8_t key[32] = {0}, nonce[12] = {0}, pt[16] = {0}, ct[32], out[16];

	(void)state;
	assert_int_equal(kdc_aead_encrypt(KDC_ALG_A128GCM, key, nonce, NULL, 0,
	                                  pt, 16, ct),
	                 0);
	assert_hex(ct, 32,
	           "0388dace60b6a392f328c2b971b2fe78ab6e47d42cec13bdf53a67b2"
	           "1257bddf");
	assert_int_equal(kdc_aead_decrypt(KDC_ALG_A128GCM, key, nonce, NULL, 0,
	                                  ct, 32, out),
	                 0);
	assert_memory_equal(out, pt, 16);
	assert_int_equal(kdc_aead_encrypt(KDC_ALG_A256GCM, key, nonce, NULL, 0,
	                                  pt, 16, ct),
	                 0);
	assert_hex(ct, 32,
	           "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5"
	           "d48ab919");
	ct[0] ^= 1;
	assert_int_equal(kdc_aead_decrypt(KDC_ALG_A256GCM, key, nonce, NULL, 0,
	                                  ct, 32, out),
	                 -1);
}

/* Every AEAD: round trip, empty plaintext, tampering anywhere fails. */
static void
test_aead_round_trips(void **state)
{
	static const int algs[] = {
	        KDC_ALG_AES_CCM_16_64_128,
	        KDC_ALG_AES_CCM_16_64_256,
	        KDC_ALG_AES_CCM_16_128_128,
	        KDC_ALG_A128GCM,
	        KDC_ALG_A256GCM,
	        KDC_ALG_CHACHA20_POLY1305,
	};
	static const size_t tags[] = {8, 8, 16, 16, 16, 16};
	static const size_t keys[] = {16, 32, 16, 16, 32, 32};
	static const size_t nonces[] = {13, 13, 13, 12, 12, 12};
	uint8_t key[32], nonce[13], pt[100], ct[116], out[100];
	const uint8_t aad[] = {1, 2, 3};

	(void)state;
	kdc_random(key, sizeof(key));
	kdc_random(nonce, sizeof(nonce));
	kdc_random(pt, sizeof(pt));
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		int a = algs[i];
		size_t t = tags[i];

		assert_int_equal(kdc_aead_tag_len(a), t);
		assert_int_equal(kdc_aead_key_len(a), keys[i]);
		assert_int_equal(kdc_aead_nonce_len(a), nonces[i]);
		assert_int_equal(
		        kdc_aead_encrypt(a, key, nonce, aad, 3, pt, 100, ct),
		        0);
		assert_int_equal(kdc_aead_decrypt(a, key, nonce, aad, 3, ct,
		                                  100 + t, out),
		                 0);
		assert_memory_equal(out, pt, 100);
		for (size_t pos = 0; pos < 100 + t; pos += 13) {
			ct[pos] ^= 0x10;
			assert_int_equal(kdc_aead_decrypt(a, key, nonce, aad, 3,
			                                  ct, 100 + t, out),
			                 -1);
			ct[pos] ^= 0x10;
		}
		assert_int_equal(kdc_aead_decrypt(a, key, nonce, aad, 2, ct,
		                                  100 + t, out),
		                 -1);
		/* Empty plaintext: only the tag. */
		assert_int_equal(
		        kdc_aead_encrypt(a, key, nonce, NULL, 0, NULL, 0, ct),
		        0);
		assert_int_equal(
		        kdc_aead_decrypt(a, key, nonce, NULL, 0, ct, t, out),
		        0);
		assert_int_equal(kdc_aead_decrypt(a, key, nonce, NULL, 0, ct,
		                                  t - 1, out),
		                 -1);
	}
	assert_int_equal(kdc_aead_key_len(KDC_ALG_HMAC256_64), 0);
	assert_int_equal(kdc_aead_nonce_len(999), 0);
	assert_int_equal(kdc_aead_tag_len(-7), 0);
	assert_int_equal(kdc_aead_encrypt(999, key, nonce, NULL, 0, pt, 1, ct),
	                 -1);
	assert_int_equal(
	        kdc_aead_decrypt(999, key, nonce, NULL, 0, ct, 20, out), -1);
}

static void
test_seal_unseal(void **state)
{
	uint8_t kek[32], pt[33], sealed[33 + KDC_SEAL_OVERHEAD], sealed2[73],
	        out[33];
	static const uint8_t aad[] = "kdc/groups/master_secret/1";
	static const uint8_t aad2[] = "kdc/groups/master_secret/2";

	(void)state;
	kdc_random(kek, sizeof(kek));
	kdc_random(pt, sizeof(pt));
	assert_int_equal(kdc_seal(kek, aad, sizeof(aad), pt, 33, sealed), 0);
	assert_int_equal(kdc_seal(kek, aad, sizeof(aad), pt, 33, sealed2), 0);
	/* Fresh nonce each time. */
	assert_memory_not_equal(sealed, sealed2, 24);
	assert_int_equal(
	        kdc_unseal(kek, aad, sizeof(aad), sealed, sizeof(sealed), out),
	        0);
	assert_memory_equal(out, pt, 33);
	/* Bound to its row: another AAD fails. */
	assert_int_equal(kdc_unseal(kek, aad2, sizeof(aad2), sealed,
	                            sizeof(sealed), out),
	                 -1);
	sealed[0] ^= 1; /* the nonce */
	assert_int_equal(
	        kdc_unseal(kek, aad, sizeof(aad), sealed, sizeof(sealed), out),
	        -1);
	sealed[0] ^= 1;
	sealed[sizeof(sealed) - 1] ^= 1;
	assert_int_equal(
	        kdc_unseal(kek, aad, sizeof(aad), sealed, sizeof(sealed), out),
	        -1);
	assert_int_equal(kdc_unseal(kek, aad, sizeof(aad), sealed,
	                            KDC_SEAL_OVERHEAD - 1, out),
	                 -1);
	/* Empty secret. */
	assert_int_equal(kdc_seal(kek, NULL, 0, NULL, 0, sealed), 0);
	assert_int_equal(
	        kdc_unseal(kek, NULL, 0, sealed, KDC_SEAL_OVERHEAD, out), 0);
	kdc_wipe(kek, sizeof(kek));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_hkdf_rfc5869),
	        cmocka_unit_test(test_hkdf_limits),
	        cmocka_unit_test(test_hmac_sha256),
	        cmocka_unit_test(test_ct_equal_wipe_alloc),
	        cmocka_unit_test(test_ed25519_rfc8032),
	        cmocka_unit_test(test_ed25519_keypair_and_x25519_conversion),
	        cmocka_unit_test(test_x25519_rfc7748),
	        cmocka_unit_test(test_p256_public),
	        cmocka_unit_test(test_p256_keypair_sign_verify),
	        cmocka_unit_test(test_p256_ecdh_rfc5903),
	        cmocka_unit_test(test_aes_ccm_vectors),
	        cmocka_unit_test(test_aes_gcm_vectors),
	        cmocka_unit_test(test_aead_round_trips),
	        cmocka_unit_test(test_seal_unseal),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
