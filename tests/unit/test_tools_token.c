/* SPDX-License-Identifier: Apache-2.0 */
/* Tests of kdc-token's logic (tools/token/): roles and scopes, minting
 * with every protection and every kind of PoP key and unwrapping the
 * result with kdc_cwt_unwrap() and the same keys, the refusals, the
 * application/ace+cbor map, the RFC 9202 PSK identity and key derivation,
 * and generated keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cbor_in.h"
#include "crypto.h"
#include "cwt.h"
#include "token.h"
#include "tools_util.h"

#include <stdlib.h>
#include <string.h>

/* ---- roles and scopes ---- */

static void
test_roles(void **state)
{
	uint64_t p;

	(void)state;
	assert_int_equal(tok_parse_roles("requester", &p), 0);
	assert_int_equal(p, 2);
	assert_int_equal(tok_parse_roles("requester+responder", &p), 0);
	assert_int_equal(p, 6);
	assert_int_equal(tok_parse_roles("Responder+REQUESTER", &p), 0);
	assert_int_equal(p, 6);
	assert_int_equal(tok_parse_roles("monitor", &p), 0);
	assert_int_equal(p, 8);
	assert_int_equal(tok_parse_roles("verifier", &p), 0);
	assert_int_equal(p, 16);
	assert_int_equal(tok_parse_roles("12", &p), 0);
	assert_int_equal(p, 12);
	assert_int_equal(tok_parse_roles("1", &p), 0); /* admin bit */
	assert_int_equal(p, 1);
	assert_int_equal(tok_parse_roles("", &p), -1);
	assert_int_equal(tok_parse_roles("0", &p), -1);
	assert_int_equal(tok_parse_roles("6x", &p), -1);
	assert_int_equal(tok_parse_roles("requester+", &p), -1);
	assert_int_equal(tok_parse_roles("+requester", &p), -1);
	assert_int_equal(tok_parse_roles("requester++monitor", &p), -1);
	assert_int_equal(tok_parse_roles("owner", &p), -1);
	assert_int_equal(tok_parse_roles("request", &p), -1);
}

static void
test_scope(void **state)
{
	struct kdc_scope s;
	char err[256];

	(void)state;
	assert_int_equal(tok_parse_scope("g1:requester+responder,g2:monitor,"
	                                 "g_3.x~:20",
	                                 &s, err, sizeof(err)),
	                 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.e[0].gname, "g1");
	assert_int_equal(s.e[0].gname_len, 2);
	assert_int_equal(s.e[0].perm, 6);
	assert_string_equal(s.e[1].gname, "g2");
	assert_int_equal(s.e[1].perm, 8);
	assert_string_equal(s.e[2].gname, "g_3.x~");
	assert_int_equal(s.e[2].perm, 20);
	static const char *const bad[] = {"",
	                                  "g1",
	                                  "g1:",
	                                  ":requester",
	                                  "g/1:requester",
	                                  "g1:chief",
	                                  "g1:requester,",
	                                  "g1:2,,g2:4"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (tok_parse_scope(bad[i], &s, err, sizeof(err)) != -1)
			fail_msg("scope '%s' accepted", bad[i]);
}

/* ---- minting round trip ---- */

struct keys {
	struct kdc_cose_key sign_pub; /* what the KDC knows of a signing AS */
	struct kdc_cose_key mac;
	struct kdc_cose_key enc;
	unsigned seen; /* bit per COSE kind asked for */
	int64_t algs[4];
	size_t nalgs;
	uint8_t kid[KDC_COSE_MAX_KID];
	size_t kid_len;
};

static int
key_cb(void *ctx, enum kdc_cose_kind kind, int64_t alg, const uint8_t *kid,
       size_t kid_len, struct kdc_cose_key *key, int64_t *issuer)
{
	struct keys *k = ctx;

	k->seen |= 1u << (kind - 16);
	if (k->nalgs < 4)
		k->algs[k->nalgs++] = alg;
	memcpy(k->kid, kid, kid_len);
	k->kid_len = kid_len;
	*issuer = 7;
	switch (kind) {
	case KDC_COSE_SIGN1:
		*key = k->sign_pub;
		return 0;
	case KDC_COSE_MAC0:
		*key = k->mac;
		return 0;
	case KDC_COSE_ENCRYPT0:
		*key = k->enc;
		return 0;
	default:
		return -1;
	}
}

/* Only the public part of a key pair. */
static void
public_of(const struct kdc_cose_key *in, struct kdc_cose_key *out)
{
	*out = *in;
	memset(out->d, 0, sizeof(out->d));
	out->has_priv = false;
}

static void
base_params(struct tok_params *p)
{
	char err[256];

	memset(p, 0, sizeof(*p));
	p->aud = "kdc-test";
	p->iss = "as.example";
	assert_int_equal(tok_parse_scope("g1:requester+responder,g2:monitor",
	                                 &p->scope, err, sizeof(err)),
	                 0);
	p->now = 1700000000;
	p->lifetime = 600;
	p->cti_len = 8;
	memcpy(p->cti, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	p->cnf = TOK_CNF_PSK;
	memcpy(p->pop_kid, "dev1", 4);
	p->pop_kid_len = 4;
	p->psk_len = 16;
	memcpy(p->psk, "0123456789abcdef", 16);
}

/* Mint, unwrap with the same keys, compare every claim. */
static void
round_trip(const struct tok_params *p, struct keys *k, unsigned want_seen)
{
	struct kdc_cw tok;
	struct kdc_cwt c;
	struct kdc_scope s;
	char err[256];

	kdc_cw_init(&tok);
	if (tok_mint(p, &tok, err, sizeof(err)) != 0)
		fail_msg("mint: %s", err);
	k->seen = 0;
	k->nalgs = 0;
	assert_int_equal(kdc_cwt_unwrap(tok.buf, tok.len, key_cb, k, &c),
	                 KDC_CWT_OK);
	assert_int_equal(k->seen, want_seen);
	assert_int_equal(c.iss_len, strlen(p->iss));
	assert_memory_equal(c.iss, p->iss, c.iss_len);
	assert_int_equal(c.aud_len, strlen(p->aud));
	assert_memory_equal(c.aud, p->aud, c.aud_len);
	assert_true(c.has_exp);
	assert_int_equal(c.exp, p->now + p->lifetime);
	assert_true(c.has_iat);
	assert_int_equal(c.iat, p->now);
	assert_false(c.has_nbf);
	assert_int_equal(c.cti_len, p->cti_len);
	assert_memory_equal(c.cti, p->cti, p->cti_len);
	assert_int_equal(c.cnf_method, KDC_CNF_COSE_KEY);
	switch (p->cnf) {
	case TOK_CNF_PSK:
		assert_int_equal(c.pop_key.kty, KDC_KTY_SYMMETRIC);
		assert_int_equal(c.pop_key.k_len, p->psk_len);
		assert_memory_equal(c.pop_key.k, p->psk, p->psk_len);
		assert_int_equal(c.pop_key.kid_len, p->pop_kid_len);
		assert_memory_equal(c.pop_key.kid, p->pop_kid, p->pop_kid_len);
		break;
	case TOK_CNF_PSK_KID:
		assert_int_equal(c.pop_key.kty, KDC_KTY_SYMMETRIC);
		assert_int_equal(c.pop_key.k_len, 0);
		assert_int_equal(c.pop_key.kid_len, p->pop_kid_len);
		assert_memory_equal(c.pop_key.kid, p->pop_kid, p->pop_kid_len);
		break;
	case TOK_CNF_RPK:
		assert_true(kdc_cose_key_same_public(&c.pop_key, &p->rpk));
		assert_false(c.pop_key.has_priv); /* never the private part */
		break;
	}
	assert_false(c.scope_is_text);
	assert_int_equal(c.scope_tag,
	                 p->scope_tag ? KDC_SCOPE_TAG_AIF_OSCORE : 0);
	assert_int_equal(kdc_scope_check_tag(c.scope_tag), 0);
	assert_int_equal(kdc_scope_parse(c.scope, c.scope_len, &s),
	                 KDC_SCOPE_OK);
	assert_false(s.textual);
	assert_int_equal(s.n, p->scope.n);
	for (size_t i = 0; i < s.n; i++) {
		assert_string_equal(s.e[i].gname, p->scope.e[i].gname);
		assert_int_equal(s.e[i].perm, p->scope.e[i].perm);
	}
	/* The policy checks of a KDC accept it (RFC 9200 §5.10.1.1). */
	{
		const char *auds[] = {"kdc-test", NULL};
		struct kdc_cwt_policy pol = {
		        .audiences = auds,
		        .now = p->now + 1,
		        .require_exp = true,
		        .require_cnf = true,
		        .require_scope = true,
		};
		const char *why = NULL;

		assert_int_equal(kdc_cwt_check(&c, &pol, &why), 0);
	}
	kdc_cwt_free(&c);
	kdc_cw_free(&tok);
}

#define SEEN(kind) (1u << ((kind)-16))

static void
test_mint_encrypt_psk(void **state)
{
	struct tok_params *p = calloc(1, sizeof(*p));
	struct keys k;

	(void)state;
	memset(&k, 0, sizeof(k));
	base_params(p);
	p->protect = TOK_PROTECT_ENCRYPT;
	assert_int_equal(
	        tok_keygen("aes128", (const uint8_t *)"as-enc", 6, &p->as.key),
	        0);
	k.enc = p->as.key;
	round_trip(p, &k, SEEN(KDC_COSE_ENCRYPT0));
	assert_int_equal(k.algs[0], KDC_ALG_AES_CCM_16_64_128);
	/* The key's kid names the layer unless --as-kid is given. */
	assert_int_equal(k.kid_len, 6);
	assert_memory_equal(k.kid, "as-enc", 6);
	memcpy(p->as.kid, "other", 5);
	p->as.kid_len = 5;
	p->scope_tag = true;
	round_trip(p, &k, SEEN(KDC_COSE_ENCRYPT0));
	assert_memory_equal(k.kid, "other", 5);
	kdc_wipe(p, sizeof(*p));
	free(p);
}

static void
test_mint_sign(void **state)
{
	struct tok_params *p = calloc(1, sizeof(*p));
	struct keys k;

	(void)state;
	memset(&k, 0, sizeof(k));
	base_params(p);
	p->protect = TOK_PROTECT_SIGN;
	p->cnf = TOK_CNF_RPK;
	assert_int_equal(tok_keygen("ed25519", NULL, 0, &p->rpk), 0);
	/* Ed25519 / EdDSA */
	assert_int_equal(tok_keygen("ed25519", NULL, 0, &p->as.key), 0);
	public_of(&p->as.key, &k.sign_pub);
	round_trip(p, &k, SEEN(KDC_COSE_SIGN1));
	assert_int_equal(k.algs[0], KDC_ALG_EDDSA);
	assert_int_equal(k.kid_len, 0);
	/* P-256 / ES256, and a P-256 raw public key */
	assert_int_equal(
	        tok_keygen("p256", (const uint8_t *)"s", 1, &p->as.key), 0);
	public_of(&p->as.key, &k.sign_pub);
	assert_int_equal(tok_keygen("p256", NULL, 0, &p->rpk), 0);
	round_trip(p, &k, SEEN(KDC_COSE_SIGN1));
	assert_int_equal(k.algs[0], KDC_ALG_ES256);
	/* A kid-only PoP key in a signed token. */
	p->cnf = TOK_CNF_PSK_KID;
	round_trip(p, &k, SEEN(KDC_COSE_SIGN1));
	kdc_wipe(p, sizeof(*p));
	free(p);
}

static void
test_mint_mac(void **state)
{
	struct tok_params *p = calloc(1, sizeof(*p));
	struct keys k;

	(void)state;
	memset(&k, 0, sizeof(k));
	base_params(p);
	p->protect = TOK_PROTECT_MAC;
	p->cnf = TOK_CNF_PSK_KID;
	p->iss = "x";
	assert_int_equal(tok_keygen("hmac256", NULL, 0, &p->as.key), 0);
	k.mac = p->as.key;
	round_trip(p, &k, SEEN(KDC_COSE_MAC0));
	assert_int_equal(k.algs[0], KDC_ALG_HMAC256_256);
	/* An algorithm the key is not for is refused... */
	p->as.alg = KDC_ALG_HMAC256_64;
	{
		struct kdc_cw tok;
		char err[256];

		kdc_cw_init(&tok);
		assert_int_equal(tok_mint(p, &tok, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "the key is for 5"));
		kdc_cw_free(&tok);
	}
	/* ... and HMAC 256/64 given for a key without alg is used. */
	p->as.key.has_alg = false;
	p->as.key.alg = 0;
	k.mac = p->as.key;
	round_trip(p, &k, SEEN(KDC_COSE_MAC0));
	assert_int_equal(k.algs[0], KDC_ALG_HMAC256_64);
	kdc_wipe(p, sizeof(*p));
	free(p);
}

static void
test_mint_sign_encrypt(void **state)
{
	struct tok_params *p = calloc(1, sizeof(*p));
	struct keys k;

	(void)state;
	memset(&k, 0, sizeof(k));
	base_params(p);
	p->protect = TOK_PROTECT_SIGN_ENCRYPT;
	p->cnf = TOK_CNF_PSK; /* a symmetric key inside an Encrypt0 */
	assert_int_equal(tok_keygen("ed25519", NULL, 0, &p->as.key), 0);
	public_of(&p->as.key, &k.sign_pub);
	assert_int_equal(tok_keygen("aes128", NULL, 0, &p->as_enc.key), 0);
	k.enc = p->as_enc.key;
	round_trip(p, &k, SEEN(KDC_COSE_SIGN1) | SEEN(KDC_COSE_ENCRYPT0));
	/* Outer layer first. */
	assert_int_equal(k.algs[0], KDC_ALG_AES_CCM_16_64_128);
	assert_int_equal(k.algs[1], KDC_ALG_EDDSA);
	kdc_wipe(p, sizeof(*p));
	free(p);
}

static void
test_mint_refusals(void **state)
{
	struct tok_params *p = calloc(1, sizeof(*p));
	struct kdc_cw tok;
	char err[256];

	(void)state;
	kdc_cw_init(&tok);
	base_params(p);
	/* RFC 9202 §3.3: a symmetric PoP key only in an Encrypt0. */
	assert_int_equal(tok_keygen("ed25519", NULL, 0, &p->as.key), 0);
	p->protect = TOK_PROTECT_SIGN;
	assert_int_equal(tok_mint(p, &tok, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "must be encrypted"));
	p->protect = TOK_PROTECT_MAC;
	assert_int_equal(tok_mint(p, &tok, err, sizeof(err)), -1);
	/* Keys that do not fit their layer. */
	p->cnf = TOK_CNF_PSK_KID;
	p->protect = TOK_PROTECT_MAC; /* an Ed25519 key */
	assert_int_equal(tok_mint(p, &tok, err, sizeof(err)), -1);
	p->protect = TOK_PROTECT_ENCRYPT;
	assert_int_equal(tok_mint(p, &tok, err, sizeof(err)), -1);
	assert_int_equal(tok_keygen("hmac256", NULL, 0, &p->as.key), 0);
	p->protect = TOK_PROTECT_ENCRYPT; /* 32 bytes for AES-CCM-16-64-128 */
	assert_int_equal(tok_mint(p, &tok, err, sizeof(err)), -1);
	p->protect = TOK_PROTECT_SIGN;
	assert_int_equal(tok_mint(p, &tok, err, sizeof(err)), -1);
	/* A public key alone cannot sign. */
	assert_int_equal(tok_keygen("ed25519", NULL, 0, &p->as.key), 0);
	p->as.key.has_priv = false;
	assert_int_equal(tok_mint(p, &tok, err, sizeof(err)), -1);
	/* An X25519 raw public key is not a DTLS RPK. */
	assert_int_equal(tok_keygen("ed25519", NULL, 0, &p->as.key), 0);
	p->cnf = TOK_CNF_RPK;
	assert_int_equal(tok_keygen("x25519", NULL, 0, &p->rpk), 0);
	assert_int_equal(tok_mint(p, &tok, err, sizeof(err)), -1);
	/* Missing audience or scope. */
	assert_int_equal(tok_keygen("ed25519", NULL, 0, &p->rpk), 0);
	assert_int_equal(tok_mint(p, &tok, err, sizeof(err)), 0);
	kdc_cw_reset(&tok);
	p->aud = "";
	assert_int_equal(tok_mint(p, &tok, err, sizeof(err)), -1);
	p->aud = "a";
	p->scope.n = 0;
	assert_int_equal(tok_mint(p, &tok, err, sizeof(err)), -1);
	kdc_cw_free(&tok);
	kdc_wipe(p, sizeof(*p));
	free(p);
}

/* ---- ace+cbor, PSK identity and derivation ---- */

static void
test_ace_cbor(void **state)
{
	static const uint8_t tok[] = {0xd0, 0x83, 0x40, 0xa0, 0x40};
	struct kdc_cw w;

	(void)state;
	kdc_cw_init(&w);
	tok_ace_cbor(&w, tok, sizeof(tok), false, false);
	assert_true(kdc_cw_ok(&w));
	/* {1: h'd0834040a040'.., 45: null} */
	assert_int_equal(w.len, 11);
	assert_memory_equal(w.buf,
	                    "\xa2\x01\x45\xd0\x83\x40\xa0\x40\x18\x2d\xf6", 11);
	kdc_cw_reset(&w);
	tok_ace_cbor(&w, tok, sizeof(tok), true, true);
	assert_int_equal(w.len, 17);
	assert_memory_equal(w.buf,
	                    "\xa4\x01\x45\xd0\x83\x40\xa0\x40\x18\x2d\xf6"
	                    "\x18\x2f\xf6\x18\x30\xf6",
	                    17);
	kdc_cw_free(&w);
}

static void
test_psk_identity(void **state)
{
	static const uint8_t kid[] = {0x3d, 0x02, 0x78, 0x33,
	                              0xfc, 0x62, 0x67, 0xce};
	static const uint8_t want[] = {0xA1, 0x08, 0xA1, 0x01, 0xA2, 0x01,
	                               0x04, 0x02, 0x48, 0x3D, 0x02, 0x78,
	                               0x33, 0xFC, 0x62, 0x67, 0xCE};
	struct kdc_cw w;
	char b64[64];

	(void)state;
	kdc_cw_init(&w);
	tok_psk_identity(&w, kid, sizeof(kid));
	assert_true(kdc_cw_ok(&w));
	assert_int_equal(w.len, sizeof(want));
	assert_memory_equal(w.buf, want, sizeof(want));
	tl_b64url_encode(w.buf, w.len, b64);
	assert_string_equal(b64, "oQihAaIBBAJIPQJ4M_xiZ84");
	kdc_cw_free(&w);
}

static void
test_derive_psk(void **state)
{
	/* Recomputed independently (Python hmac/hashlib): HKDF-SHA-256,
	 * salt empty, IKM 00..1f, info ["ACE-CoAP-DTLS-key-derivation", 16,
	 * h'd08343a1010aa1054d0102030405060708090a0b0c0d4100'], L 16. */
	static const uint8_t tok[] = {0xd0, 0x83, 0x43, 0xa1, 0x01, 0x0a,
	                              0xa1, 0x05, 0x4d, 0x01, 0x02, 0x03,
	                              0x04, 0x05, 0x06, 0x07, 0x08, 0x09,
	                              0x0a, 0x0b, 0x0c, 0x0d, 0x41, 0x00};
	static const uint8_t want[] = {0x6f, 0xe2, 0x28, 0xcd, 0xd2, 0xb5,
	                               0x91, 0x74, 0x96, 0xb9, 0x8b, 0x45,
	                               0x9b, 0xaf, 0xd5, 0x95};
	uint8_t kdk[32], out[TOK_DERIVED_PSK_LEN];

	(void)state;
	for (size_t i = 0; i < sizeof(kdk); i++)
		kdk[i] = (uint8_t)i;
	assert_int_equal(
	        tok_derive_psk(kdk, sizeof(kdk), tok, sizeof(tok), out), 0);
	assert_memory_equal(out, want, sizeof(want));
	/* Another token, another key. */
	kdk[0] ^= 1;
	assert_int_equal(
	        tok_derive_psk(kdk, sizeof(kdk), tok, sizeof(tok), out), 0);
	assert_memory_not_equal(out, want, sizeof(want));
}

/* ---- keygen ---- */

static void
reload(const struct kdc_cose_key *k, bool priv, struct kdc_cose_key *out)
{
	struct kdc_cw w;
	char err[256];

	kdc_cw_init(&w);
	kdc_cose_key_encode(&w, k, priv);
	assert_true(kdc_cw_ok(&w));
	assert_int_equal(
	        tl_cose_key_from_bytes(w.buf, w.len, out, err, sizeof(err)), 0);
	kdc_cw_free(&w);
}

static void
test_keygen(void **state)
{
	static const struct {
		const char *type;
		int kty, crv;
		int64_t alg;
		size_t k_len;
	} t[] = {
	        {"ed25519", KDC_KTY_OKP, KDC_CRV_ED25519, -8, 0},
	        {"p256", KDC_KTY_EC2, KDC_CRV_P256, -7, 0},
	        {"x25519", KDC_KTY_OKP, KDC_CRV_X25519, 0, 0},
	        {"hmac256", KDC_KTY_SYMMETRIC, 0, 5, 32},
	        {"aes128", KDC_KTY_SYMMETRIC, 0, 10, 16},
	};
	struct kdc_cose_key a, b, r;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(
		        tok_keygen(t[i].type, (const uint8_t *)"k1", 2, &a), 0);
		assert_int_equal(tok_keygen(t[i].type, NULL, 0, &b), 0);
		assert_int_equal(a.kty, t[i].kty);
		assert_int_equal(a.crv, t[i].crv);
		assert_int_equal(a.has_alg, t[i].alg != 0);
		assert_int_equal(a.alg, t[i].alg);
		assert_int_equal(a.kid_len, 2);
		assert_int_equal(b.kid_len, 0);
		/* Written with the private part, read back the same. */
		reload(&a, true, &r);
		assert_int_equal(r.kty, a.kty);
		assert_int_equal(r.kid_len, 2);
		if (t[i].k_len != 0) {
			assert_int_equal(a.k_len, t[i].k_len);
			assert_int_equal(r.k_len, t[i].k_len);
			assert_memory_equal(r.k, a.k, a.k_len);
			assert_memory_not_equal(a.k, b.k, a.k_len); /* random */
		} else {
			assert_true(r.has_priv);
			assert_true(kdc_cose_key_same_public(&r, &a));
			assert_false(kdc_cose_key_same_public(&a, &b));
			/* The public file holds no private part. */
			reload(&a, false, &r);
			assert_false(r.has_priv);
			assert_true(kdc_cose_key_same_public(&r, &a));
		}
	}
	assert_int_equal(tok_keygen("rsa2048", NULL, 0, &a), -1);
	kdc_cose_key_wipe(&a);
	kdc_cose_key_wipe(&b);
	kdc_cose_key_wipe(&r);
}

static void
test_key_bytes_forms(void **state)
{
	struct kdc_cose_key k, r;
	struct kdc_cw w;
	char err[256], *hex;

	(void)state;
	assert_int_equal(tok_keygen("aes128", NULL, 0, &k), 0);
	kdc_cw_init(&w);
	kdc_cose_key_encode(&w, &k, true);
	hex = malloc(2 * w.len + 4);
	tl_hex_encode(w.buf, w.len, hex + 1);
	hex[0] = ' ';
	strcat(hex, "\n");
	/* Hex text with surrounding white space, upper or lower case. */
	assert_int_equal(tl_cose_key_from_bytes((const uint8_t *)hex,
	                                        strlen(hex), &r, err,
	                                        sizeof(err)),
	                 0);
	assert_memory_equal(r.k, k.k, 16);
	for (char *p = hex; *p != '\0'; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	assert_int_equal(tl_cose_key_from_bytes((const uint8_t *)hex,
	                                        strlen(hex), &r, err,
	                                        sizeof(err)),
	                 0);
	/* Odd hex, trailing bytes, not a map. */
	hex[3] = 'x';
	assert_int_equal(tl_cose_key_from_bytes((const uint8_t *)hex,
	                                        strlen(hex), &r, err,
	                                        sizeof(err)),
	                 -1);
	assert_int_equal(tl_cose_key_from_bytes((const uint8_t *)"\x01", 1, &r,
	                                        err, sizeof(err)),
	                 -1);
	assert_int_equal(
	        tl_cose_key_from_bytes(w.buf, w.len - 1, &r, err, sizeof(err)),
	        -1);
	free(hex);
	kdc_cw_free(&w);
	kdc_cose_key_wipe(&k);
	kdc_cose_key_wipe(&r);
}

static int
setup(void **state)
{
	(void)state;
	return kdc_crypto_init();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_roles),
	        cmocka_unit_test(test_scope),
	        cmocka_unit_test(test_mint_encrypt_psk),
	        cmocka_unit_test(test_mint_sign),
	        cmocka_unit_test(test_mint_mac),
	        cmocka_unit_test(test_mint_sign_encrypt),
	        cmocka_unit_test(test_mint_refusals),
	        cmocka_unit_test(test_ace_cbor),
	        cmocka_unit_test(test_psk_identity),
	        cmocka_unit_test(test_derive_psk),
	        cmocka_unit_test(test_keygen),
	        cmocka_unit_test(test_key_bytes_forms),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
