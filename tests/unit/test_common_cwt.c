/* SPDX-License-Identifier: Apache-2.0 */
/* Tests of CWT processing (common/cwt.c): the RFC 8392 Appendix A tokens
 * (transcribed in ../shared/spec/test-vectors.md §4) and the COSE WG
 * CWT/A_*.json copies, claim decoding (scope forms, cnf methods including an
 * Encrypted_COSE_Key), nesting, malformed tokens and the RFC 9200
 * §5.10.1.1 decisions of kdc_cwt_check(). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "crypto.h"
#include "cwt.h"

#include "cose_test_util.h"

#include <string.h>

/* RFC 8392 A.2.1, A.2.2, A.2.3. */
static const char a21_hex[] = "a42050231f4c4d4d3051fdc2ec0a3851d5b3830104024c"
                              "53796d6d6574726963313238030a";
static const char a22_hex[] =
        "a4205820403697de87af64611c1d32a05dab0fe1fcb715a86ab435f1ec99192d7956"
        "93880104024c53796d6d6574726963323536030a";
static const char a23_hex[] =
        "a72358206c1382765aec5358f117733d281c1c7bdc39884d04a45a1e6c67c858bc20"
        "6c1922582060f7f1a780d8a783bfb7a2dd6b2796e8128dbbcef9d3d168db9529971a"
        "36e7b9215820143329cce7868e416927599cf65a34f3ce2ffda55a7eca69ed8919a3"
        "94d42f0f2001010202524173796d6d657472696345434453413235360326";

/* A.1 claims set. */
static const char a1_hex[] =
        "a70175636f61703a2f2f61732e6578616d706c652e636f6d02656572696b7703"
        "7818636f61703a2f2f6c696768742e6578616d706c652e636f6d041a5612aeb0"
        "051a5610d9f0061a5610d9f007420b71";

/* A.3 .. A.7 tokens. */
static const char a3_hex[] =
        "d28443a10126a104524173796d6d657472696345434453413235365850a70175"
        "636f61703a2f2f61732e6578616d706c652e636f6d02656572696b7703781863"
        "6f61703a2f2f6c696768742e6578616d706c652e636f6d041a5612aeb0051a56"
        "10d9f0061a5610d9f007420b7158405427c1ff28d23fbad1f29c4c7c6a555e60"
        "1d6fa29f9179bc3d7438bacaca5acd08c8d4d4f96131680c429a01f85951ecee"
        "743a52b9b63632c57209120e1c9e30";
static const char a4_hex[] =
        "d83dd18443a10104a1044c53796d6d65747269633235365850a70175636f6170"
        "3a2f2f61732e6578616d706c652e636f6d02656572696b77037818636f61703a"
        "2f2f6c696768742e6578616d706c652e636f6d041a5612aeb0051a5610d9f006"
        "1a5610d9f007420b7148093101ef6d789200";
static const char a5_hex[] =
        "d08343a1010aa2044c53796d6d6574726963313238054d99a0d7846e762c49ff"
        "e8a63e0b5858b918a11fd81e438b7f973d9e2e119bcb22424ba0f38a80f27562"
        "f400ee1d0d6c0fdb559c02421fd384fc2ebe22d7071378b0ea7428fff157444d"
        "45f7e6afcda1aae5f6495830c58627087fc5b4974f319a8707a635dd643b";
static const char a6_hex[] =
        "d08343a1010aa2044c53796d6d6574726963313238054d4a0694c0e69ee6b595"
        "6655c7b258b7f6b0914f993de822cc47e5e57a188d7960b528a747446fe12f0e"
        "7de05650dec74724366763f167a29c002dfd15b34d8993391cf49bc91127f545"
        "dba8703d66f5b7f1ae91237503d371e6333df9708d78c4fb8a8386c8ff09dc49"
        "af768b23179deab78d96490a66d5724fb33900c60799d9872fac6da3bdb89043"
        "d67c2a05414ce331b5b8f1ed8ff7138f45905db2c4d5bc8045ab372bff142631"
        "610a7e0f677b7e9b0bc73adefdcee16d9d5d284c616abeab5d8c291ce0";
static const char a7_hex[] =
        "d18443a10104a1044c53796d6d65747269633235364ba106fb41d584367c2000"
        "0048b8816f34c0542892";

#define MAX_CALLS 8

/* The key callback: one key per kind, a second Encrypt0 key chosen by
 * kid (for Encrypted_COSE_Key), and a record of what was asked. */
struct keys {
	struct kdc_cose_key sign, mac, enc, enc2;
	int64_t iss_sign, iss_mac, iss_enc;
	bool refuse;
	int calls;
	enum kdc_cose_kind kind[MAX_CALLS];
	int64_t alg[MAX_CALLS];
	uint8_t kid[MAX_CALLS][KDC_COSE_MAX_KID];
	size_t kid_len[MAX_CALLS];
};

static int
key_cb(void *arg, enum kdc_cose_kind kind, int64_t alg, const uint8_t *kid,
       size_t kid_len, struct kdc_cose_key *key, int64_t *issuer)
{
	struct keys *k = arg;
	int i = k->calls++;

	assert_non_null(kid);
	if (i >= MAX_CALLS)
		i = MAX_CALLS - 1; /* long loops: keep the last */
	k->kind[i] = kind;
	k->alg[i] = alg;
	k->kid_len[i] = kid_len;
	if (kid_len <= KDC_COSE_MAX_KID)
		memcpy(k->kid[i], kid, kid_len);
	if (k->refuse)
		return -1;
	switch (kind) {
	case KDC_COSE_SIGN1:
		*key = k->sign;
		*issuer = k->iss_sign;
		return 0;
	case KDC_COSE_MAC0:
		*key = k->mac;
		*issuer = k->iss_mac;
		return 0;
	case KDC_COSE_ENCRYPT0:
		if (k->enc2.kid_len > 0 && kid_len == k->enc2.kid_len &&
		    memcmp(kid, k->enc2.kid, kid_len) == 0)
			*key = k->enc2;
		else
			*key = k->enc;
		*issuer = k->iss_enc;
		return 0;
	default:
		return -1;
	}
}

static void
key_from_hex(const char *hex, struct kdc_cose_key *k)
{
	size_t n = 0;
	uint8_t *b = tu_hex(hex, &n);
	cbor_item_t *it = NULL;

	assert_non_null(b);
	assert_int_equal(kdc_cbor_decode(b, n, NULL, &it), KDC_CBOR_OK);
	assert_int_equal(kdc_cose_key_decode(it, k), 0);
	cbor_decref(&it);
	free(b);
}

static void
rfc8392_keys(struct keys *k)
{
	memset(k, 0, sizeof(*k));
	key_from_hex(a23_hex, &k->sign);
	key_from_hex(a22_hex, &k->mac);
	/* Erratum of RFC 8392 (test-vectors.md §4 A.2.2): the 256-bit key
	 * says alg 10 (AES-CCM) but A.4/A.7 use it for HMAC 256/64, so its
	 * alg is not enforced here. */
	assert_int_equal(k->mac.alg, KDC_ALG_AES_CCM_16_64_128);
	k->mac.has_alg = false;
	key_from_hex(a21_hex, &k->enc);
	k->iss_sign = 1;
	k->iss_mac = 1;
	k->iss_enc = 1;
}

static void
wipe_keys(struct keys *k)
{
	kdc_cose_key_wipe(&k->sign);
	kdc_cose_key_wipe(&k->mac);
	kdc_cose_key_wipe(&k->enc);
	kdc_cose_key_wipe(&k->enc2);
}

static int
unwrap_hex(const char *hex, struct keys *k, struct kdc_cwt *c)
{
	size_t n = 0;
	uint8_t *b = tu_hex(hex, &n);
	int rc;

	assert_non_null(b);
	rc = kdc_cwt_unwrap(b, n, key_cb, k, c);
	free(b);
	return rc;
}

static void
assert_str(const char *p, size_t n, const char *want)
{
	assert_non_null(p);
	assert_int_equal(n, strlen(want));
	assert_memory_equal(p, want, n);
}

/* The claims equal RFC 8392 A.1. */
static void
assert_a1_claims(const struct kdc_cwt *c)
{
	assert_str(c->iss, c->iss_len, "coap://as.example.com");
	assert_str(c->aud, c->aud_len, "coap://light.example.com");
	assert_true(c->has_exp && c->has_nbf && c->has_iat);
	assert_int_equal(c->exp, 1444064944);
	assert_int_equal(c->nbf, 1443944944);
	assert_int_equal(c->iat, 1443944944);
	assert_int_equal(c->cti_len, 2);
	assert_memory_equal(c->cti, "\x0b\x71", 2);
	assert_false(c->has_exi);
	assert_null(c->scope);
	assert_int_equal(c->cnf_method, 0);
	assert_false(c->has_ace_profile);
	assert_null(c->cnonce);
	/* The whole claims map is the A.1 map. */
	{
		unsigned char *buf = NULL;
		size_t sz = 0, n = cbor_serialize_alloc(c->claims, &buf, &sz);
		size_t an = 0;
		uint8_t *a1 = tu_hex(a1_hex, &an);

		assert_int_equal(n, an);
		assert_memory_equal(buf, a1, an);
		free(buf);
		free(a1);
	}
}

static void
assert_call(const struct keys *k, int i, enum kdc_cose_kind kind, int64_t alg,
            const char *kid)
{
	assert_true(i < k->calls);
	assert_int_equal(k->kind[i], kind);
	assert_int_equal(k->alg[i], alg);
	assert_int_equal(k->kid_len[i], strlen(kid));
	assert_memory_equal(k->kid[i], kid, k->kid_len[i]);
}

static int
setup(void **state)
{
	(void)state;
	return kdc_crypto_init();
}

static void
test_rfc8392_a3_signed(void **state)
{
	struct keys k;
	struct kdc_cwt c;

	(void)state;
	rfc8392_keys(&k);
	k.iss_sign = 42;
	assert_int_equal(unwrap_hex(a3_hex, &k, &c), KDC_CWT_OK);
	assert_int_equal(k.calls, 1);
	assert_call(&k, 0, KDC_COSE_SIGN1, KDC_ALG_ES256, "AsymmetricECDSA256");
	assert_int_equal(c.issuer_id, 42);
	assert_a1_claims(&c);
	kdc_cwt_free(&c);
	assert_null(c.claims);
	wipe_keys(&k);
}

static void
test_rfc8392_a4_maced_with_cwt_tag(void **state)
{
	struct keys k;
	struct kdc_cwt c;

	(void)state;
	rfc8392_keys(&k);
	assert_int_equal(unwrap_hex(a4_hex, &k, &c), KDC_CWT_OK);
	assert_int_equal(k.calls, 1);
	assert_call(&k, 0, KDC_COSE_MAC0, KDC_ALG_HMAC256_64, "Symmetric256");
	assert_a1_claims(&c);
	kdc_cwt_free(&c);
	/* With the key's (wrong) alg 10 enforced, the layer has no usable
	 * key: this is what the erratum note is about. */
	k.mac.has_alg = true;
	assert_int_equal(unwrap_hex(a4_hex, &k, &c), KDC_CWT_E_KEY);
	wipe_keys(&k);
}

static void
test_rfc8392_a5_encrypted(void **state)
{
	struct keys k;
	struct kdc_cwt c;

	(void)state;
	rfc8392_keys(&k);
	k.iss_enc = 7;
	/* Only an Encrypt0 layer: the AEAD with the AS key is the integrity
	 * protection. */
	assert_int_equal(unwrap_hex(a5_hex, &k, &c), KDC_CWT_OK);
	assert_int_equal(k.calls, 1);
	assert_call(&k, 0, KDC_COSE_ENCRYPT0, KDC_ALG_AES_CCM_16_64_128,
	            "Symmetric128");
	assert_int_equal(c.issuer_id, 7);
	assert_a1_claims(&c);
	kdc_cwt_free(&c);
	wipe_keys(&k);
}

static void
test_rfc8392_a6_nested(void **state)
{
	struct keys k;
	struct kdc_cwt c;

	(void)state;
	rfc8392_keys(&k);
	assert_int_equal(unwrap_hex(a6_hex, &k, &c), KDC_CWT_OK);
	assert_int_equal(k.calls, 2);
	assert_call(&k, 0, KDC_COSE_ENCRYPT0, KDC_ALG_AES_CCM_16_64_128,
	            "Symmetric128");
	assert_call(&k, 1, KDC_COSE_SIGN1, KDC_ALG_ES256, "AsymmetricECDSA256");
	assert_a1_claims(&c);
	kdc_cwt_free(&c);
	/* Inner layer signed by a key of another AS than the outer one. */
	k.calls = 0;
	k.iss_sign = 2;
	assert_int_equal(unwrap_hex(a6_hex, &k, &c), KDC_CWT_E_KEY);
	/* The inner signature is checked: a wrong signer key fails. */
	k.calls = 0;
	k.iss_sign = 1;
	k.sign.x[3] ^= 1;
	assert_int_equal(unwrap_hex(a6_hex, &k, &c), KDC_CWT_E_VERIFY);
	wipe_keys(&k);
}

static void
test_rfc8392_a7_float_iat(void **state)
{
	struct keys k;
	struct kdc_cwt c;

	(void)state;
	rfc8392_keys(&k);
	assert_int_equal(unwrap_hex(a7_hex, &k, &c), KDC_CWT_OK);
	assert_true(c.has_iat);
	assert_int_equal(c.iat, 1443944944); /* 1443944944.5 truncated */
	assert_false(c.has_exp);
	assert_null(c.iss);
	assert_null(c.aud);
	kdc_cwt_free(&c);
	wipe_keys(&k);
}

/* The draft-era copies in cose-wg-examples/CWT/ differ in encoding (no
 * kid, no tag 61) but carry the same claims and the same keys. */
static void
test_cose_wg_cwt_copies(void **state)
{
	static const char *files[] = {"CWT/A_3.json", "CWT/A_4.json",
	                              "CWT/A_5.json", "CWT/A_6.json"};
	struct keys k;
	struct kdc_cwt c;

	(void)state;
	rfc8392_keys(&k);
	for (size_t i = 0; i < 4; i++) {
		char *json = tu_read_vector(files[i]);
		const char *s;
		size_t sn = 0, n = 0;
		uint8_t *b;

		assert_non_null(json);
		s = tu_json_str(json, "\"output\"", "cbor", &sn);
		assert_non_null(s);
		b = tu_hex_n(s, sn, &n);
		assert_non_null(b);
		k.calls = 0;
		assert_int_equal(kdc_cwt_unwrap(b, n, key_cb, &k, &c),
		                 KDC_CWT_OK);
		assert_int_equal(k.kid_len[0], 0); /* no kid in the copies */
		assert_a1_claims(&c);
		kdc_cwt_free(&c);
		/* Flip the last byte (signature / tag / ciphertext). */
		b[n - 1] ^= 0x04;
		assert_int_equal(kdc_cwt_unwrap(b, n, key_cb, &k, &c),
		                 KDC_CWT_E_VERIFY);
		free(b);
		free(json);
	}
	{
		/* A_7.json: the float-iat token. */
		char *json = tu_read_vector("CWT/A_7.json");
		const char *s;
		size_t sn = 0, n = 0;
		uint8_t *b;

		assert_non_null(json);
		s = tu_json_str(json, "\"output\"", "cbor", &sn);
		b = tu_hex_n(s, sn, &n);
		assert_int_equal(kdc_cwt_unwrap(b, n, key_cb, &k, &c),
		                 KDC_CWT_OK);
		assert_int_equal(c.iat, 1443944944);
		kdc_cwt_free(&c);
		free(b);
		free(json);
	}
	wipe_keys(&k);
}

static void
test_tampered_and_untrusted(void **state)
{
	const char *toks[] = {a3_hex, a4_hex, a5_hex, a6_hex, a7_hex};
	struct keys k;
	struct kdc_cwt c;

	(void)state;
	rfc8392_keys(&k);
	for (size_t t = 0; t < 5; t++) {
		size_t n = 0;
		uint8_t *b = tu_hex(toks[t], &n);

		/* Signature / tag / ciphertext, and a byte of the protected
		 * header's alg value (offset of "a1 01 xx" + 2). */
		b[n - 1] ^= 0x01;
		assert_int_equal(kdc_cwt_unwrap(b, n, key_cb, &k, &c),
		                 KDC_CWT_E_VERIFY);
		b[n - 1] ^= 0x01;
		for (size_t i = 0; i + 3 < n; i++) {
			if (b[i] == 0x43 && b[i + 1] == 0xa1 &&
			    b[i + 2] == 0x01) {
				b[i + 3] ^= 0x01;
				assert_int_not_equal(
				        kdc_cwt_unwrap(b, n, key_cb, &k, &c),
				        KDC_CWT_OK);
				b[i + 3] ^= 0x01;
				break;
			}
		}
		/* No trusted key. */
		k.refuse = true;
		assert_int_equal(kdc_cwt_unwrap(b, n, key_cb, &k, &c),
		                 KDC_CWT_E_KEY);
		k.refuse = false;
		/* Truncated anywhere: never accepted. */
		for (size_t i = 0; i < n; i++) {
			k.calls = 0;
			assert_int_not_equal(
			        kdc_cwt_unwrap(b, i, key_cb, &k, &c),
			        KDC_CWT_OK);
		}
		free(b);
	}
	/* A key of the wrong type for the layer (Sign1 handed the MAC key)
	 * counts as no trusted key. */
	k.sign = k.mac;
	assert_int_equal(unwrap_hex(a3_hex, &k, &c), KDC_CWT_E_KEY);
	wipe_keys(&k);
}

/* Token building for the claim tests: Mac0 (HMAC 256/64) with a fixed key
 * around claims given as hex, optionally in more layers. */
static struct kdc_cose_key
test_mac_key(void)
{
	struct kdc_cose_key k;

	memset(&k, 0, sizeof(k));
	k.kty = KDC_KTY_SYMMETRIC;
	k.k_len = 32;
	memset(k.k, 0x5a, 32);
	return k;
}

static uint8_t *
mac_token(const uint8_t *payload, size_t n, size_t *len)
{
	struct kdc_cose_key k = test_mac_key();
	struct kdc_cw w;
	uint8_t *out;

	kdc_cw_init(&w);
	assert_int_equal(kdc_cose_mac0_create(&w,
	                                      &(struct kdc_cose_create){
	                                              .alg = KDC_ALG_HMAC256_64,
	                                              .tagged = true},
	                                      &k, payload, n),
	                 KDC_COSE_OK);
	out = kdc_cw_take(&w, len);
	kdc_cw_free(&w);
	return out;
}

static int
unwrap_claims_hex(const char *claims_hex, struct keys *k, struct kdc_cwt *c)
{
	size_t n = 0, tn = 0;
	uint8_t *claims = tu_hex(claims_hex, &n);
	uint8_t *tok;
	int rc;

	assert_non_null(claims);
	tok = mac_token(claims, n, &tn);
	rc = kdc_cwt_unwrap(tok, tn, key_cb, k, c);
	free(tok);
	free(claims);
	return rc;
}

static void
test_keys(struct keys *k)
{
	memset(k, 0, sizeof(*k));
	k->mac = test_mac_key();
	k->iss_mac = 3;
}

static void
test_claim_types(void **state)
{
	struct keys k;
	struct kdc_cwt c;
	static const struct {
		const char *hex;
		int rc;
	} cases[] = {
	        {"a10101", KDC_CWT_E_CLAIMS},             /* iss int */
	        {"a10241ff", KDC_CWT_E_CLAIMS},           /* sub bstr */
	        {"a103816161", KDC_CWT_E_CLAIMS},         /* aud array */
	        {"a1046161", KDC_CWT_E_CLAIMS},           /* exp text */
	        {"a105f5", KDC_CWT_E_CLAIMS},             /* nbf bool */
	        {"a1066161", KDC_CWT_E_CLAIMS},           /* iat text */
	        {"a1076161", KDC_CWT_E_CLAIMS},           /* cti text */
	        {"a10901", KDC_CWT_E_CLAIMS},             /* scope int */
	        {"a109c06161", KDC_CWT_E_CLAIMS},         /* scope tag 0 */
	        {"a109d86f6161", KDC_CWT_E_CLAIMS},       /* tag(tstr) */
	        {"a1182620", KDC_CWT_OK},                 /* ace_profile -1 */
	        {"a11826f5", KDC_CWT_E_CLAIMS},           /* ace_profile bool */
	        {"a1182701", KDC_CWT_E_CLAIMS},           /* cnonce int */
	        {"a1182820", KDC_CWT_E_CLAIMS},           /* exi negative */
	        {"a10801", KDC_CWT_E_CLAIMS},             /* cnf not a map */
	        {"a108a0", KDC_CWT_E_CLAIMS},             /* cnf empty */
	        {"a108a2034101034102", KDC_CWT_E_CLAIMS}, /* two methods */
	        {"a108a10340", KDC_CWT_E_CLAIMS},         /* kid h'' */
	        {"a108a10301", KDC_CWT_E_CLAIMS},         /* kid int */
	        {"a108a101a10103", KDC_CWT_E_CLAIMS},     /* COSE_Key RSA */
	        {"a108a16161f5", KDC_CWT_E_CLAIMS},       /* text method */
	        {"a1636e6f6e01", KDC_CWT_OK},             /* text claim name */
	        {"a1181901", KDC_CWT_OK},                 /* unknown claim */
	        {"a0", KDC_CWT_OK},                       /* empty claims */
	        {"80", KDC_CWT_E_CLAIMS},                 /* array */
	        {"01", KDC_CWT_E_CLAIMS},                 /* int */
	        {"", KDC_CWT_E_CLAIMS},                   /* nothing */
	        {"a101", KDC_CWT_E_CLAIMS},               /* not CBOR */
	        {"a10101a0", KDC_CWT_E_CLAIMS},           /* trailing */
	};

	(void)state;
	test_keys(&k);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("  claims %s\n", cases[i].hex);
		assert_int_equal(unwrap_claims_hex(cases[i].hex, &k, &c),
		                 cases[i].rc);
		if (cases[i].rc == KDC_CWT_OK) {
			assert_int_equal(c.issuer_id, 3);
			kdc_cwt_free(&c);
		} else {
			assert_null(c.claims);
		}
	}
	/* exi, ace_profile, cnonce values. */
	assert_int_equal(
	        unwrap_claims_hex("a31828190e10182602182742abcd", &k, &c),
	        KDC_CWT_OK);
	assert_true(c.has_exi);
	assert_int_equal(c.exi, 3600);
	assert_true(c.has_ace_profile);
	assert_int_equal(c.ace_profile, 2);
	assert_int_equal(c.cnonce_len, 2);
	assert_memory_equal(c.cnonce, "\xab\xcd", 2);
	kdc_cwt_free(&c);
}

static void
test_scope_forms(void **state)
{
	struct keys k;
	struct kdc_cwt c;

	(void)state;
	test_keys(&k);
	/* bstr: RFC 9594 §3.1 AIF scope [["g1", 6]] wrapped. */
	assert_int_equal(unwrap_claims_hex("a10946818262673106", &k, &c),
	                 KDC_CWT_OK);
	assert_int_equal(c.scope_len, 6);
	assert_memory_equal(c.scope, "\x81\x82\x62g1\x06", 6);
	assert_int_equal(c.scope_tag, 0);
	assert_false(c.scope_is_text);
	kdc_cwt_free(&c);
	/* The extended format: tag 1668547115 (CF 297) around the bstr. */
	assert_int_equal(
	        unwrap_claims_hex("a109da6374022b46818262673106", &k, &c),
	        KDC_CWT_OK);
	assert_int_equal(c.scope_tag, 1668547115);
	assert_int_equal(c.scope_len, 6);
	assert_memory_equal(c.scope, "\x81\x82\x62g1\x06", 6);
	kdc_cwt_free(&c);
	/* Text scope: flagged. */
	assert_int_equal(unwrap_claims_hex("a10963726561", &k, &c), KDC_CWT_OK);
	assert_true(c.scope_is_text);
	assert_int_equal(c.scope_len, 3);
	assert_memory_equal(c.scope, "rea", 3);
	kdc_cwt_free(&c);
	/* Empty bstr scope is present (non-NULL), though empty. */
	assert_int_equal(unwrap_claims_hex("a10940", &k, &c), KDC_CWT_OK);
	assert_non_null(c.scope);
	assert_int_equal(c.scope_len, 0);
	kdc_cwt_free(&c);
}

static void
test_cnf_forms(void **state)
{
	struct keys k;
	struct kdc_cwt c;
	struct kdc_cose_key pop;
	struct kdc_cw w, keyenc, claims;
	uint8_t *tok;
	size_t tn = 0;

	(void)state;
	test_keys(&k);
	/* cnf / kid (RFC 8747 §3.4). */
	assert_int_equal(
	        unwrap_claims_hex("a108a103483d027833fc6267ce", &k, &c),
	        KDC_CWT_OK);
	assert_int_equal(c.cnf_method, KDC_CNF_KID);
	assert_int_equal(c.cnf_kid_len, 8);
	assert_memory_equal(c.cnf_kid, "\x3d\x02\x78\x33\xfc\x62\x67\xce", 8);
	kdc_cwt_free(&c);
	/* cnf / COSE_Key that is only a kid reference (RFC 9202 Figure 9). */
	assert_int_equal(
	        unwrap_claims_hex("a108a101a2010402483d027833fc6267ce", &k, &c),
	        KDC_CWT_OK);
	assert_int_equal(c.cnf_method, KDC_CNF_COSE_KEY);
	assert_int_equal(c.pop_key.kty, KDC_KTY_SYMMETRIC);
	assert_int_equal(c.pop_key.k_len, 0);
	assert_int_equal(c.pop_key.kid_len, 8);
	kdc_cwt_free(&c);
	/* cnf / another method (osc = 4) is recorded, not decoded. */
	assert_int_equal(unwrap_claims_hex("a108a104a0", &k, &c), KDC_CWT_OK);
	assert_int_equal(c.cnf_method, 4);
	kdc_cwt_free(&c);

	/* cnf / COSE_Key with an Ed25519 public key. */
	memset(&pop, 0, sizeof(pop));
	pop.kty = KDC_KTY_OKP;
	pop.crv = KDC_CRV_ED25519;
	assert_int_equal(kdc_ed25519_keypair(pop.x, pop.d), 0);
	pop.has_pub = pop.has_priv = true;
	kdc_cw_init(&claims);
	kdc_cw_map(&claims, 1);
	kdc_cw_uint(&claims, KDC_CLAIM_CNF);
	kdc_cw_map(&claims, 1);
	kdc_cw_uint(&claims, KDC_CNF_COSE_KEY);
	kdc_cose_key_encode(&claims, &pop, false);
	assert_true(kdc_cw_ok(&claims));
	tok = mac_token(claims.buf, claims.len, &tn);
	assert_int_equal(kdc_cwt_unwrap(tok, tn, key_cb, &k, &c), KDC_CWT_OK);
	assert_int_equal(c.cnf_method, KDC_CNF_COSE_KEY);
	assert_true(kdc_cose_key_same_public(&c.pop_key, &pop));
	assert_false(c.pop_key.has_priv);
	kdc_cwt_free(&c);
	free(tok);
	kdc_cw_free(&claims);

	/* cnf / Encrypted_COSE_Key: a symmetric PoP key in an Encrypt0
	 * under the RS key "rs-key" (RFC 8747 §3.3). */
	memset(&pop, 0, sizeof(pop));
	pop.kty = KDC_KTY_SYMMETRIC;
	pop.k_len = 16;
	memset(pop.k, 0x77, 16);
	memcpy(pop.kid, "pop", 3);
	pop.kid_len = 3;
	memset(&k.enc2, 0, sizeof(k.enc2));
	k.enc2.kty = KDC_KTY_SYMMETRIC;
	k.enc2.k_len = 16;
	memset(k.enc2.k, 0x33, 16);
	memcpy(k.enc2.kid, "rs-key", 6);
	k.enc2.kid_len = 6;
	kdc_cw_init(&keyenc);
	kdc_cose_key_encode(&keyenc, &pop, true);
	assert_true(kdc_cw_ok(&keyenc));
	kdc_cw_init(&claims);
	kdc_cw_map(&claims, 1);
	kdc_cw_uint(&claims, KDC_CLAIM_CNF);
	kdc_cw_map(&claims, 1);
	kdc_cw_uint(&claims, KDC_CNF_ENCRYPTED_COSE_KEY);
	assert_int_equal(kdc_cose_encrypt0_create(
	                         &claims,
	                         &(struct kdc_cose_create){
	                                 .alg = KDC_ALG_AES_CCM_16_64_128,
	                                 .kid = (const uint8_t *)"rs-key",
	                                 .kid_len = 6},
	                         &k.enc2, keyenc.buf, keyenc.len),
	                 KDC_COSE_OK);
	assert_true(kdc_cw_ok(&claims));
	tok = mac_token(claims.buf, claims.len, &tn);
	k.calls = 0;
	assert_int_equal(kdc_cwt_unwrap(tok, tn, key_cb, &k, &c), KDC_CWT_OK);
	assert_int_equal(k.calls, 2);
	assert_call(&k, 1, KDC_COSE_ENCRYPT0, KDC_ALG_AES_CCM_16_64_128,
	            "rs-key");
	assert_int_equal(c.cnf_method, KDC_CNF_ENCRYPTED_COSE_KEY);
	assert_int_equal(c.pop_key.kty, KDC_KTY_SYMMETRIC);
	assert_int_equal(c.pop_key.k_len, 16);
	assert_memory_equal(c.pop_key.k, pop.k, 16);
	assert_int_equal(c.pop_key.kid_len, 3);
	kdc_cwt_free(&c);
	/* The wrong RS key: decryption fails. */
	k.enc2.k[0] ^= 1;
	assert_int_equal(kdc_cwt_unwrap(tok, tn, key_cb, &k, &c),
	                 KDC_CWT_E_VERIFY);
	k.enc2.k[0] ^= 1;
	free(tok);
	kdc_cw_free(&claims);
	/* A plaintext that is not a COSE_Key. */
	kdc_cw_init(&claims);
	kdc_cw_map(&claims, 1);
	kdc_cw_uint(&claims, KDC_CLAIM_CNF);
	kdc_cw_map(&claims, 1);
	kdc_cw_uint(&claims, KDC_CNF_ENCRYPTED_COSE_KEY);
	kdc_cw_init(&w);
	assert_int_equal(kdc_cose_encrypt0_create(
	                         &claims,
	                         &(struct kdc_cose_create){
	                                 .alg = KDC_ALG_AES_CCM_16_64_128,
	                                 .kid = (const uint8_t *)"rs-key",
	                                 .kid_len = 6,
	                                 .tagged = true},
	                         &k.enc2, (const uint8_t *)"\x80", 1),
	                 KDC_COSE_OK);
	tok = mac_token(claims.buf, claims.len, &tn);
	assert_int_equal(kdc_cwt_unwrap(tok, tn, key_cb, &k, &c),
	                 KDC_CWT_E_CLAIMS);
	free(tok);
	kdc_cw_free(&claims);
	kdc_cw_free(&keyenc);
	kdc_cw_free(&w);
	kdc_cose_key_wipe(&pop);
	wipe_keys(&k);
}

static void
test_format_and_nesting(void **state)
{
	struct keys k;
	struct kdc_cwt c;
	size_t n = 0, n2 = 0;
	uint8_t *b, *t1, *t2, *t3, *t4;
	static const uint8_t claims[] = {0xa1, 0x04, 0x1a, 0x5f,
	                                 0x5e, 0x10, 0x00};

	(void)state;
	test_keys(&k);
	/* Not CBOR, trailing bytes, no COSE tag, tag 61 without a COSE
	 * tag, unsecured claims (alone or in tag 61). */
	static const struct {
		const char *hex;
		int rc;
	} cases[] = {
	        {"ff", KDC_CWT_E_FORMAT},
	        {"a0a0", KDC_CWT_E_FORMAT},
	        {"8443a10104a04100480000000000000000", KDC_CWT_E_FORMAT},
	        {"d83d8443a10104a04100480000000000000000", KDC_CWT_E_FORMAT},
	        {"d83d01", KDC_CWT_E_FORMAT},
	        {"d83dd83da0", KDC_CWT_E_FORMAT},
	        {"a10401", KDC_CWT_E_UNPROTECTED},
	        {"d83da10401", KDC_CWT_E_UNPROTECTED},
	        {"d862a0", KDC_CWT_E_FORMAT}, /* COSE_Sign (98) */
	        /* Mac0 with a text alg / without alg. */
	        {"d18441a0a0410048000000000000000000", KDC_CWT_E_FORMAT},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		k.calls = 0;
		assert_int_equal(unwrap_hex(cases[i].hex, &k, &c), cases[i].rc);
		assert_null(c.claims);
	}
	assert_int_equal(kdc_cwt_unwrap(NULL, 0, key_cb, &k, &c),
	                 KDC_CWT_E_FORMAT);

	/* Three MAC layers are fine, four are too deep. */
	t1 = mac_token(claims, sizeof(claims), &n);
	t2 = mac_token(t1, n, &n2);
	t3 = mac_token(t2, n2, &n);
	assert_int_equal(kdc_cwt_unwrap(t3, n, key_cb, &k, &c), KDC_CWT_OK);
	assert_int_equal(c.exp, 0x5f5e1000);
	kdc_cwt_free(&c);
	t4 = mac_token(t3, n, &n2);
	assert_int_equal(kdc_cwt_unwrap(t4, n2, key_cb, &k, &c),
	                 KDC_CWT_E_NESTING);
	free(t1);
	free(t2);
	free(t3);
	free(t4);
	/* A payload that is CBOR but neither claims nor a COSE message. */
	b = mac_token((const uint8_t *)"\xd8\x3d\x01", 3, &n);
	assert_int_equal(kdc_cwt_unwrap(b, n, key_cb, &k, &c),
	                 KDC_CWT_E_CLAIMS);
	free(b);
	/* A nested token inside tag 61 is peeled too. */
	t1 = mac_token(claims, sizeof(claims), &n);
	b = malloc(n + 2);
	b[0] = 0xd8;
	b[1] = 0x3d;
	memcpy(b + 2, t1, n);
	t2 = mac_token(b, n + 2, &n2);
	assert_int_equal(kdc_cwt_unwrap(t2, n2, key_cb, &k, &c), KDC_CWT_OK);
	assert_true(c.has_exp);
	kdc_cwt_free(&c);
	free(b);
	free(t1);
	free(t2);
}

/* kdc_cwt_check: RFC 9200 §5.10.1.1 decisions and their order. */
static void
test_check_decisions(void **state)
{
	static const char *const auds[] = {"kdc1", "coap://kdc.example", NULL};
	struct kdc_cwt c;
	struct kdc_cwt_policy p;
	const char *why = NULL;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.iss = "as1";
	c.iss_len = 3;
	c.aud = "coap://kdc.example";
	c.aud_len = strlen(c.aud);
	c.has_exp = true;
	c.exp = 2000;
	c.scope = (const uint8_t *)"\x81";
	c.scope_len = 1;
	c.cnf_method = KDC_CNF_KID;
	memset(&p, 0, sizeof(p));
	p.expected_iss = "as1";
	p.expected_iss_len = 3;
	p.audiences = auds;
	p.now = 1000;
	p.skew = 10;
	p.require_exp = p.require_cnf = p.require_scope = true;

	assert_int_equal(kdc_cwt_check(&c, &p, &why), 0);
	assert_string_equal(why, "");
	/* iss mismatch -> 4.01; absent iss is not a mismatch. */
	c.iss = "as2";
	assert_int_equal(kdc_cwt_check(&c, &p, &why), 401);
	assert_non_null(strstr(why, "iss"));
	c.iss_len = 2;
	c.iss = "as";
	assert_int_equal(kdc_cwt_check(&c, &p, &why), 401);
	p.expected_iss = NULL;
	assert_int_equal(kdc_cwt_check(&c, &p, &why), 0);
	p.expected_iss = "as1";
	c.iss = NULL;
	c.iss_len = 0;
	assert_int_equal(kdc_cwt_check(&c, &p, &why), 0);
	c.iss = "as1";
	c.iss_len = 3;
	/* exp: expired when exp + skew <= now. */
	c.exp = 990;
	assert_int_equal(kdc_cwt_check(&c, &p, &why), 401);
	assert_non_null(strstr(why, "expired"));
	c.exp = 991;
	assert_int_equal(kdc_cwt_check(&c, &p, &why), 0);
	c.exp = INT64_MAX;
	p.skew = INT64_MAX;
	assert_int_equal(kdc_cwt_check(&c, &p, &why), 0);
	p.skew = -5; /* treated as 0 */
	c.exp = 1000;
	assert_int_equal(kdc_cwt_check(&c, &p, &why), 401);
	p.skew = 10;
	c.has_exp = false;
	assert_int_equal(kdc_cwt_check(&c, &p, &why), 401);
	p.require_exp = false;
	assert_int_equal(kdc_cwt_check(&c, &p, &why), 0);
	c.has_exp = true;
	c.exp = 2000;
	/* nbf in the future beyond the skew -> 4.01. */
	c.has_nbf = true;
	c.nbf = 1010;
	assert_int_equal(kdc_cwt_check(&c, &p, &why), 0);
	c.nbf = 1011;
	assert_int_equal(kdc_cwt_check(&c, &p, &why), 401);
	assert_non_null(strstr(why, "nbf"));
	c.has_nbf = false;
	/* aud not ours -> 4.03 (any of our audiences matches). */
	c.aud = "kdc1";
	c.aud_len = 4;
	assert_int_equal(kdc_cwt_check(&c, &p, &why), 0);
	c.aud = "kdc2";
	assert_int_equal(kdc_cwt_check(&c, &p, &why), 403);
	c.aud_len = 3; /* "kdc", a prefix of one of ours */
	assert_int_equal(kdc_cwt_check(&c, &p, &why), 403);
	c.aud = NULL;
	c.aud_len = 0;
	assert_int_equal(kdc_cwt_check(&c, &p, &why), 403);
	p.audiences = NULL;
	assert_int_equal(kdc_cwt_check(&c, &p, &why), 0);
	p.audiences = auds;
	c.aud = "kdc1";
	c.aud_len = 4;
	/* scope missing -> 4.00 when required. */
	c.scope = NULL;
	c.scope_len = 0;
	assert_int_equal(kdc_cwt_check(&c, &p, &why), 400);
	assert_non_null(strstr(why, "scope"));
	p.require_scope = false;
	assert_int_equal(kdc_cwt_check(&c, &p, &why), 0);
	/* cnf missing -> 4.00 when required. */
	c.cnf_method = 0;
	assert_int_equal(kdc_cwt_check(&c, &p, &why), 400);
	assert_non_null(strstr(why, "cnf"));
	p.require_cnf = false;
	assert_int_equal(kdc_cwt_check(&c, &p, &why), 0);
	/* Order: with every check failing, iss wins; then exp; then aud;
	 * then scope; then cnf. */
	p.require_exp = p.require_cnf = p.require_scope = true;
	c.iss = "bad";
	c.exp = 1;
	c.aud = "nope";
	assert_int_equal(kdc_cwt_check(&c, &p, &why), 401);
	assert_non_null(strstr(why, "iss"));
	c.iss = "as1";
	assert_int_equal(kdc_cwt_check(&c, &p, &why), 401);
	assert_non_null(strstr(why, "expired"));
	c.exp = 2000;
	assert_int_equal(kdc_cwt_check(&c, &p, &why), 403);
	c.aud = "kdc1";
	assert_int_equal(kdc_cwt_check(&c, &p, &why), 400);
	assert_non_null(strstr(why, "scope"));
	c.scope = (const uint8_t *)"";
	assert_int_equal(kdc_cwt_check(&c, &p, &why), 400);
	assert_non_null(strstr(why, "cnf"));
	/* why may be NULL. */
	assert_int_equal(kdc_cwt_check(&c, &p, NULL), 400);
}

/* The A.4 token with RFC 8392's own claims against a policy at various
 * times: a decision test on a real token. */
static void
test_check_rfc8392_token(void **state)
{
	static const char *const auds[] = {"coap://light.example.com", NULL};
	struct keys k;
	struct kdc_cwt c;
	struct kdc_cwt_policy p;
	const char *why;

	(void)state;
	rfc8392_keys(&k);
	assert_int_equal(unwrap_hex(a4_hex, &k, &c), KDC_CWT_OK);
	memset(&p, 0, sizeof(p));
	p.expected_iss = "coap://as.example.com";
	p.expected_iss_len = strlen(p.expected_iss);
	p.audiences = auds;
	p.require_exp = true;
	p.now = 1443944944 + 60; /* between nbf and exp */
	assert_int_equal(kdc_cwt_check(&c, &p, &why), 0);
	p.now = 1444064944; /* == exp */
	assert_int_equal(kdc_cwt_check(&c, &p, &why), 401);
	p.now = 1443944944 - 100; /* before nbf */
	assert_int_equal(kdc_cwt_check(&c, &p, &why), 401);
	p.skew = 100;
	assert_int_equal(kdc_cwt_check(&c, &p, &why), 0);
	p.require_scope = true;
	assert_int_equal(kdc_cwt_check(&c, &p, &why), 400);
	kdc_cwt_free(&c);
	wipe_keys(&k);
}

static void
test_strerror(void **state)
{
	(void)state;
	for (int e = 0; e >= -7; e--)
		assert_non_null(kdc_cwt_strerror(e));
	assert_string_equal(kdc_cwt_strerror(KDC_CWT_E_NESTING),
	                    "token nested too deeply");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_rfc8392_a3_signed),
	        cmocka_unit_test(test_rfc8392_a4_maced_with_cwt_tag),
	        cmocka_unit_test(test_rfc8392_a5_encrypted),
	        cmocka_unit_test(test_rfc8392_a6_nested),
	        cmocka_unit_test(test_rfc8392_a7_float_iat),
	        cmocka_unit_test(test_cose_wg_cwt_copies),
	        cmocka_unit_test(test_tampered_and_untrusted),
	        cmocka_unit_test(test_claim_types),
	        cmocka_unit_test(test_scope_forms),
	        cmocka_unit_test(test_cnf_forms),
	        cmocka_unit_test(test_format_and_nesting),
	        cmocka_unit_test(test_check_decisions),
	        cmocka_unit_test(test_check_rfc8392_token),
	        cmocka_unit_test(test_strerror),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
