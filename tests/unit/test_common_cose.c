/* SPDX-License-Identifier: Apache-2.0 */
/* Tests of COSE keys and messages (common/cose_*.c): every COSE WG example
 * in $KDC_VECTORS that uses a supported algorithm (pass vectors pass, fail
 * vectors fail, tampered twins fail), exact to-be-signed structures,
 * byte-exact re-creation, create/verify round trips for every algorithm,
 * header rules and malformed input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cose.h"
#include "cose_int.h"
#include "crypto.h"

#include "cose_test_util.h"

#include <string.h>

static const char content[] = "This is the content.";

static int
setup(void **state)
{
	(void)state;
	return kdc_crypto_init();
}

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

/* Decode a COSE_Key given in hex. */
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

/* The JWK-style key of a COSE WG example file. */
static void
key_from_json(const char *json, struct kdc_cose_key *k)
{
	const char *s;
	size_t n = 0, bn = 0;
	uint8_t *b;

	memset(k, 0, sizeof(*k));
	if ((s = tu_json_str(json, NULL, "k", &n)) != NULL) {
		b = tu_b64url_n(s, n, &bn);
		assert_non_null(b);
		assert_true(bn <= sizeof(k->k));
		k->kty = KDC_KTY_SYMMETRIC;
		memcpy(k->k, b, bn);
		k->k_len = bn;
		free(b);
		return;
	}
	if ((s = tu_json_str(json, NULL, "x_hex", &n)) != NULL) {
		/* OKP Ed25519 given as hex; d is the seed. */
		uint8_t seed[32];

		b = tu_hex_n(s, n, &bn);
		assert_non_null(b);
		assert_int_equal(bn, 32);
		memcpy(k->x, b, 32);
		free(b);
		s = tu_json_str(json, NULL, "d_hex", &n);
		assert_non_null(s);
		b = tu_hex_n(s, n, &bn);
		assert_int_equal(bn, 32);
		memcpy(seed, b, 32);
		free(b);
		k->kty = KDC_KTY_OKP;
		k->crv = KDC_CRV_ED25519;
		k->has_pub = true;
		k->has_priv = true;
		{
			uint8_t pk[32];

			assert_int_equal(
			        kdc_ed25519_sk_from_seed(seed, pk, k->d), 0);
			assert_memory_equal(pk, k->x, 32);
		}
		return;
	}
	/* EC P-256 in base64url. */
	k->kty = KDC_KTY_EC2;
	k->crv = KDC_CRV_P256;
	s = tu_json_str(json, NULL, "x", &n);
	assert_non_null(s);
	b = tu_b64url_n(s, n, &bn);
	assert_int_equal(bn, 32);
	memcpy(k->x, b, 32);
	free(b);
	s = tu_json_str(json, NULL, "y", &n);
	assert_non_null(s);
	b = tu_b64url_n(s, n, &bn);
	assert_int_equal(bn, 32);
	memcpy(k->y, b, 32);
	free(b);
	k->has_pub = true;
	s = tu_json_str(json, NULL, "d", &n);
	assert_non_null(s);
	b = tu_b64url_n(s, n, &bn);
	assert_int_equal(bn, 32);
	memcpy(k->d, b, 32);
	free(b);
	k->has_priv = true;
}

/* Verify (or decrypt) a parsed message with key and external AAD. */
static int
check_msg(const struct kdc_cose_msg *m, const struct kdc_cose_key *k,
          const uint8_t *ext, size_t ext_len)
{
	uint8_t *pt = NULL;
	size_t pt_len = 0;
	int rc;

	switch (m->kind) {
	case KDC_COSE_SIGN1:
		return kdc_cose_sign1_verify(m, k, ext, ext_len);
	case KDC_COSE_MAC0:
		return kdc_cose_mac0_verify(m, k, ext, ext_len);
	default:
		rc = kdc_cose_encrypt0_decrypt(m, k, ext, ext_len, &pt,
		                               &pt_len);
		if (rc == KDC_COSE_OK) {
			/* Every example encrypts the same sentence. */
			if (pt_len != strlen(content) ||
			    memcmp(pt, content, pt_len) != 0)
				rc = KDC_COSE_E_VERIFY;
			kdc_wipe(pt, pt_len);
			free(pt);
		}
		return rc;
	}
}

static int
parse_and_check(const uint8_t *b, size_t n, enum kdc_cose_kind kind,
                const struct kdc_cose_key *k, const uint8_t *ext,
                size_t ext_len)
{
	struct kdc_cose_msg m;
	int rc = kdc_cose_parse(b, n, kind, NULL, &m);

	if (rc != KDC_COSE_OK)
		return rc;
	rc = check_msg(&m, k, ext, ext_len);
	kdc_cose_msg_free(&m);
	return rc;
}

static void
flip_and_expect_failure(uint8_t *b, size_t n, size_t pos,
                        enum kdc_cose_kind kind, const struct kdc_cose_key *k,
                        const uint8_t *ext, size_t ext_len)
{
	assert_true(pos < n);
	b[pos] ^= 0x01;
	assert_int_not_equal(parse_and_check(b, n, kind, k, ext, ext_len),
	                     KDC_COSE_OK);
	b[pos] ^= 0x01;
}

static const uint8_t *
find(const uint8_t *hay, size_t hn, const uint8_t *needle, size_t nn)
{
	for (size_t i = 0; nn > 0 && i + nn <= hn; i++)
		if (memcmp(hay + i, needle, nn) == 0)
			return hay + i;
	return NULL;
}

struct vec {
	const char *file;
	enum kdc_cose_kind kind;
	int expect; /* KDC_COSE_OK or the error the failure must give */
	const char *tbs_field; /* intermediate to compare, or NULL */
	const char *context;   /* its structure's context string */
};

static const struct vec vectors[] = {
        {"hmac-examples/HMac-enc-05.json", KDC_COSE_MAC0, KDC_COSE_OK,
         "ToMac_hex", "MAC0"},
        {"hmac-examples/HMac-enc-01.json", KDC_COSE_MAC0, KDC_COSE_OK,
         "ToMac_hex", "MAC0"},
        {"eddsa-examples/eddsa-sig-01.json", KDC_COSE_SIGN1, KDC_COSE_OK,
         "ToBeSign_hex", "Signature1"},
        {"ecdsa-examples/ecdsa-sig-01.json", KDC_COSE_SIGN1, KDC_COSE_OK,
         "ToBeSign_hex", "Signature1"},
        {"aes-ccm-examples/aes-ccm-enc-01.json", KDC_COSE_ENCRYPT0, KDC_COSE_OK,
         "AAD_hex", "Encrypt0"},
        /* Its AAD_hex is wrong (it encodes "Encrypt1"): not compared. */
        {"chacha-poly-examples/chacha-poly-enc-01.json", KDC_COSE_ENCRYPT0,
         KDC_COSE_OK, NULL, NULL},
        {"mac0-tests/HMac-01.json", KDC_COSE_MAC0, KDC_COSE_OK, "ToMac_hex",
         "MAC0"},
        {"mac0-tests/mac-pass-01.json", KDC_COSE_MAC0, KDC_COSE_OK, NULL, NULL},
        {"mac0-tests/mac-pass-02.json", KDC_COSE_MAC0, KDC_COSE_OK, "ToMac_hex",
         "MAC0"},
        {"mac0-tests/mac-pass-03.json", KDC_COSE_MAC0, KDC_COSE_OK, NULL, NULL},
        {"mac0-tests/mac-fail-01.json", KDC_COSE_MAC0, KDC_COSE_E_FORMAT, NULL,
         NULL},
        {"mac0-tests/mac-fail-02.json", KDC_COSE_MAC0, KDC_COSE_E_VERIFY, NULL,
         NULL},
        {"mac0-tests/mac-fail-03.json", KDC_COSE_MAC0, KDC_COSE_E_ALG, NULL,
         NULL},
        {"mac0-tests/mac-fail-04.json", KDC_COSE_MAC0, KDC_COSE_E_ALG, NULL,
         NULL},
        {"mac0-tests/mac-fail-06.json", KDC_COSE_MAC0, KDC_COSE_E_VERIFY, NULL,
         NULL},
        {"mac0-tests/mac-fail-07.json", KDC_COSE_MAC0, KDC_COSE_E_VERIFY, NULL,
         NULL},
        {"sign1-tests/sign-pass-01.json", KDC_COSE_SIGN1, KDC_COSE_OK, NULL,
         NULL},
        {"sign1-tests/sign-pass-02.json", KDC_COSE_SIGN1, KDC_COSE_OK,
         "ToBeSign_hex", "Signature1"},
        {"sign1-tests/sign-pass-03.json", KDC_COSE_SIGN1, KDC_COSE_OK, NULL,
         NULL},
        {"sign1-tests/sign-fail-01.json", KDC_COSE_SIGN1, KDC_COSE_E_FORMAT,
         NULL, NULL},
        {"sign1-tests/sign-fail-02.json", KDC_COSE_SIGN1, KDC_COSE_E_VERIFY,
         NULL, NULL},
        {"sign1-tests/sign-fail-03.json", KDC_COSE_SIGN1, KDC_COSE_E_ALG, NULL,
         NULL},
        {"sign1-tests/sign-fail-04.json", KDC_COSE_SIGN1, KDC_COSE_E_ALG, NULL,
         NULL},
        {"sign1-tests/sign-fail-06.json", KDC_COSE_SIGN1, KDC_COSE_E_VERIFY,
         NULL, NULL},
        {"sign1-tests/sign-fail-07.json", KDC_COSE_SIGN1, KDC_COSE_E_VERIFY,
         NULL, NULL},
};

static void
run_vector(const struct vec *v)
{
	char *json = tu_read_vector(v->file);
	struct kdc_cose_key key;
	struct kdc_cose_msg m;
	uint8_t *b, *ext = NULL;
	size_t n = 0, ext_len = 0, sn = 0;
	const char *s;
	int rc;

	print_message("  %s\n", v->file);
	assert_non_null(json);
	s = tu_json_str(json, "\"output\"", "cbor", &sn);
	assert_non_null(s);
	b = tu_hex_n(s, sn, &n);
	assert_non_null(b);
	key_from_json(json, &key);
	if ((s = tu_json_str(json, NULL, "external", &sn)) != NULL) {
		ext = tu_hex_n(s, sn, &ext_len);
		assert_non_null(ext);
	}
	assert_int_equal(tu_json_true(json, "fail"), v->expect != KDC_COSE_OK);
	rc = parse_and_check(b, n, v->kind, &key, ext, ext_len);
	assert_int_equal(rc, v->expect);
	if (v->expect == KDC_COSE_OK) {
		/* The exact structure the signature / MAC / AEAD covers. */
		assert_int_equal(kdc_cose_parse(b, n, v->kind, NULL, &m),
		                 KDC_COSE_OK);
		if (v->tbs_field != NULL) {
			struct kdc_cw w;
			char *want;

			s = tu_json_str(json, NULL, v->tbs_field, &sn);
			assert_non_null(s);
			want = strndup(s, sn);
			kdc_cw_init(&w);
			kdc_cose_tbs(&w, v->context, m.prot, m.prot_len, ext,
			             ext_len, m.payload, m.payload_len,
			             m.kind != KDC_COSE_ENCRYPT0);
			assert_true(kdc_cw_ok(&w));
			assert_hex(w.buf, w.len, want);
			kdc_cw_free(&w);
			free(want);
		}
		/* Tampered twins: the last byte (signature, tag or
		 * ciphertext), the protected header, the content. */
		flip_and_expect_failure(b, n, n - 1, v->kind, &key, ext,
		                        ext_len);
		if (m.prot_len > 0) {
			const uint8_t *p = find(b, n, m.prot, m.prot_len);

			assert_non_null(p);
			flip_and_expect_failure(
			        b, n, (size_t)(p - b) + m.prot_len - 1, v->kind,
			        &key, ext, ext_len);
		}
		if (m.kind != KDC_COSE_ENCRYPT0) {
			const uint8_t *p = find(b, n, (const uint8_t *)content,
			                        strlen(content));

			assert_non_null(p);
			flip_and_expect_failure(b, n, (size_t)(p - b) + 3,
			                        v->kind, &key, ext, ext_len);
		} else {
			flip_and_expect_failure(b, n, n - 20, v->kind, &key,
			                        ext, ext_len);
		}
		/* Another external AAD fails. */
		{
			uint8_t other[1] = {0x42};

			assert_int_not_equal(
			        parse_and_check(b, n, v->kind, &key, other, 1),
			        KDC_COSE_OK);
		}
		kdc_cose_msg_free(&m);
	}
	kdc_cose_key_wipe(&key);
	free(ext);
	free(b);
	free(json);
}

static void
test_cose_wg_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++)
		run_vector(&vectors[i]);
}

/* Truncation at every byte and a trailing byte fail cleanly. */
static void
test_truncation_and_trailing(void **state)
{
	static const char *hex[] = {
	        "D18443A10104A054546869732069732074686520636F6E74656E742E4811"
	        "F9E357975FB849",
	        "D08343A1010AA1054D89F52F65A1C580933B5261A72F581C6899DA0A132B"
	        "D2D2B9B10915743EE1F7B92A4680E7C51BDBC1B320EA",
	};
	struct kdc_cose_msg m;

	(void)state;
	for (size_t h = 0; h < 2; h++) {
		size_t n = 0;
		uint8_t *b = tu_hex(hex[h], &n), *t;

		for (size_t i = 0; i < n; i++)
			assert_int_not_equal(
			        kdc_cose_parse(b, i, KDC_COSE_ANY, NULL, &m),
			        KDC_COSE_OK);
		assert_int_equal(kdc_cose_parse(b, n, KDC_COSE_ANY, NULL, &m),
		                 KDC_COSE_OK);
		kdc_cose_msg_free(&m);
		t = malloc(n + 1);
		memcpy(t, b, n);
		t[n] = 0x00;
		assert_int_equal(
		        kdc_cose_parse(t, n + 1, KDC_COSE_ANY, NULL, &m),
		        KDC_COSE_E_CBOR);
		free(t);
		free(b);
	}
}

/* Byte-exact re-creation of the examples whose headers our creator
 * produces ({1: alg} protected, {} or {5: IV} unprotected). */
static void
test_create_reproduces_examples(void **state)
{
	struct kdc_cose_key k;
	struct kdc_cw w;
	uint8_t iv[13];

	(void)state;
	memset(&k, 0, sizeof(k));
	k.kty = KDC_KTY_SYMMETRIC;
	k.k_len = 32;
	assert_true(tu_hex_fixed("849B57219DAE48DE646D07DBB533566E976686457C"
	                         "1491BE3A76DCEA6C427188",
	                         k.k, 32));
	kdc_cw_init(&w);
	assert_int_equal(
	        kdc_cose_mac0_create(
	                &w,
	                &(struct kdc_cose_create){.alg = KDC_ALG_HMAC256_64,
	                                          .tagged = true},
	                &k, (const uint8_t *)content, strlen(content)),
	        KDC_COSE_OK);
	assert_hex(w.buf, w.len,
	           "D18443A10104A054546869732069732074686520636F6E74656E742E48"
	           "11F9E357975FB849");
	kdc_cw_reset(&w);
	assert_int_equal(
	        kdc_cose_mac0_create(
	                &w,
	                &(struct kdc_cose_create){.alg = KDC_ALG_HMAC256_256,
	                                          .tagged = true},
	                &k, (const uint8_t *)content, strlen(content)),
	        KDC_COSE_OK);
	assert_hex(w.buf, w.len,
	           "D18443A10105A054546869732069732074686520636F6E74656E742E58"
	           "20A1A848D3471F9D61EE49018D244C824772F223AD4F935293F1789FC3"
	           "A08D8C58");
	/* aes-ccm-enc-01 with its IV. */
	kdc_cw_reset(&w);
	k.k_len = 16;
	assert_true(tu_hex_fixed("89F52F65A1C580933B5261A72F", iv, 13));
	assert_int_equal(kdc_cose_encrypt0_create(
	                         &w,
	                         &(struct kdc_cose_create){
	                                 .alg = KDC_ALG_AES_CCM_16_64_128,
	                                 .tagged = true,
	                                 .iv = iv,
	                                 .iv_len = 13},
	                         &k, (const uint8_t *)content, strlen(content)),
	                 KDC_COSE_OK);
	assert_hex(w.buf, w.len,
	           "D08343A1010AA1054D89F52F65A1C580933B5261A72F581C6899DA0A13"
	           "2BD2D2B9B10915743EE1F7B92A4680E7C51BDBC1B320EA");
	/* chacha-poly-enc-01. */
	kdc_cw_reset(&w);
	k.k_len = 32;
	assert_true(tu_hex_fixed("0F1E2D3C4B5A69788796A5B4C3D2E1F01F2E3D4C5B"
	                         "6A798897A6B5C4D3E2F100",
	                         k.k, 32));
	assert_true(tu_hex_fixed("5C3A9950BD2852F66E6C8D4F", iv, 12));
	assert_int_equal(kdc_cose_encrypt0_create(
	                         &w,
	                         &(struct kdc_cose_create){
	                                 .alg = KDC_ALG_CHACHA20_POLY1305,
	                                 .tagged = true,
	                                 .iv = iv,
	                                 .iv_len = 12},
	                         &k, (const uint8_t *)content, strlen(content)),
	                 KDC_COSE_OK);
	assert_hex(w.buf, w.len,
	           "D08344A1011818A1054C5C3A9950BD2852F66E6C8D4F5824CA119C4592"
	           "6DA993D29B5D0CAC9A84228C7668D492A1B9D7E32020EF21372E74DEF4"
	           "31B9");
	/* A wrong IV length is refused. */
	kdc_cw_reset(&w);
	assert_int_equal(kdc_cose_encrypt0_create(
	                         &w,
	                         &(struct kdc_cose_create){
	                                 .alg = KDC_ALG_CHACHA20_POLY1305,
	                                 .iv = iv,
	                                 .iv_len = 13},
	                         &k, (const uint8_t *)content, strlen(content)),
	                 KDC_COSE_E_HEADER);
	kdc_cw_free(&w);
}

/* Keys for the round trips. */
static void
make_keys(struct kdc_cose_key *ed, struct kdc_cose_key *ec)
{
	memset(ed, 0, sizeof(*ed));
	ed->kty = KDC_KTY_OKP;
	ed->crv = KDC_CRV_ED25519;
	assert_int_equal(kdc_ed25519_keypair(ed->x, ed->d), 0);
	ed->has_pub = ed->has_priv = true;
	memset(ec, 0, sizeof(*ec));
	ec->kty = KDC_KTY_EC2;
	ec->crv = KDC_CRV_P256;
	assert_int_equal(kdc_p256_keypair(ec->d, ec->x, ec->y), 0);
	ec->has_pub = ec->has_priv = true;
}

static void
round_trip(int kind, const struct kdc_cose_create *p,
           const struct kdc_cose_key *k, const struct kdc_cose_key *wrong)
{
	static const uint8_t payload[] = "claims go here";
	struct kdc_cose_msg m;
	struct kdc_cw w;
	int rc;

	kdc_cw_init(&w);
	switch (kind) {
	case KDC_COSE_SIGN1:
		rc = kdc_cose_sign1_create(&w, p, k, payload, sizeof(payload));
		break;
	case KDC_COSE_MAC0:
		rc = kdc_cose_mac0_create(&w, p, k, payload, sizeof(payload));
		break;
	default:
		rc = kdc_cose_encrypt0_create(&w, p, k, payload,
		                              sizeof(payload));
		break;
	}
	assert_int_equal(rc, KDC_COSE_OK);
	assert_int_equal(kdc_cose_parse(w.buf, w.len,
	                                p->tagged ? KDC_COSE_ANY
	                                          : (enum kdc_cose_kind)kind,
	                                NULL, &m),
	                 KDC_COSE_OK);
	assert_int_equal(m.kind, kind);
	assert_int_equal(m.tagged, p->tagged);
	assert_true(m.has_alg);
	assert_int_equal(m.alg, p->alg);
	if (p->kid != NULL) {
		assert_int_equal(m.kid_len, p->kid_len);
		assert_memory_equal(m.kid, p->kid, p->kid_len);
		/* Where the kid went. */
		assert_int_equal(kdc_cbor_map_get(m.prot_map, KDC_HDR_KID) !=
		                         NULL,
		                 p->kid_protected);
	} else {
		assert_null(m.kid);
	}
	if (kind == KDC_COSE_ENCRYPT0) {
		uint8_t *pt;
		size_t n = 0;

		assert_int_equal(kdc_cose_encrypt0_decrypt(&m, k, p->ext_aad,
		                                           p->ext_aad_len, &pt,
		                                           &n),
		                 KDC_COSE_OK);
		assert_int_equal(n, sizeof(payload));
		assert_memory_equal(pt, payload, n);
		free(pt);
		assert_int_equal(
		        kdc_cose_encrypt0_decrypt(&m, k, NULL, 0, &pt, &n),
		        p->ext_aad_len > 0 ? KDC_COSE_E_VERIFY : KDC_COSE_OK);
		if (p->ext_aad_len == 0)
			free(pt);
		assert_null(p->ext_aad_len > 0 ? pt : NULL);
	} else {
		assert_int_equal(m.payload_len, sizeof(payload));
		assert_int_equal(check_msg(&m, k, p->ext_aad, p->ext_aad_len),
		                 KDC_COSE_OK);
		assert_int_equal(check_msg(&m, k, (const uint8_t *)"x", 1),
		                 KDC_COSE_E_VERIFY);
	}
	if (wrong != NULL)
		assert_int_not_equal(
		        check_msg(&m, wrong, p->ext_aad, p->ext_aad_len),
		        KDC_COSE_OK);
	/* Flipping any bit 5 of the message never verifies, unless it is in
	 * an unprotected kid (which is not covered, RFC 9052 §3). */
	for (size_t i = 0; (p->kid == NULL || p->kid_protected) && i < w.len;
	     i++) {
		w.buf[i] ^= 0x20;
		assert_int_not_equal(
		        parse_and_check(w.buf, w.len, (enum kdc_cose_kind)kind,
		                        k, p->ext_aad, p->ext_aad_len),
		        KDC_COSE_OK);
		w.buf[i] ^= 0x20;
	}
	kdc_cose_msg_free(&m);
	kdc_cw_free(&w);
}

static void
test_round_trips(void **state)
{
	static const uint8_t kid[] = {0x11, 0x22};
	static const uint8_t ext[] = {0xaa, 0xbb, 0xcc};
	struct kdc_cose_key ed, ec, ed2, ec2, sym;
	static const int64_t sig_algs[] = {KDC_ALG_EDDSA, KDC_ALG_ED25519,
	                                   KDC_ALG_ES256, KDC_ALG_ESP256};
	static const int64_t aead_algs[] = {KDC_ALG_AES_CCM_16_64_128,
	                                    KDC_ALG_AES_CCM_16_64_256,
	                                    KDC_ALG_AES_CCM_16_128_128,
	                                    KDC_ALG_A128GCM,
	                                    KDC_ALG_A256GCM,
	                                    KDC_ALG_CHACHA20_POLY1305};

	(void)state;
	make_keys(&ed, &ec);
	make_keys(&ed2, &ec2);
	for (int v = 0; v < 4; v++) {
		struct kdc_cose_create p = {
		        .kid = (v & 1) ? kid : NULL,
		        .kid_len = (v & 1) ? sizeof(kid) : 0,
		        .kid_protected = (v & 2) != 0,
		        .tagged = v != 2,
		        .ext_aad = v >= 2 ? ext : NULL,
		        .ext_aad_len = v >= 2 ? sizeof(ext) : 0,
		};

		for (size_t i = 0; i < 4; i++) {
			p.alg = sig_algs[i];
			round_trip(KDC_COSE_SIGN1, &p, i < 2 ? &ed : &ec,
			           i < 2 ? &ed2 : &ec2);
		}
		memset(&sym, 0, sizeof(sym));
		sym.kty = KDC_KTY_SYMMETRIC;
		sym.k_len = 32;
		kdc_random(sym.k, 32);
		p.alg = KDC_ALG_HMAC256_64;
		round_trip(KDC_COSE_MAC0, &p, &sym, &ed);
		p.alg = KDC_ALG_HMAC256_256;
		round_trip(KDC_COSE_MAC0, &p, &sym, NULL);
		for (size_t i = 0; i < 6; i++) {
			p.alg = aead_algs[i];
			sym.k_len = kdc_aead_key_len((int)p.alg);
			round_trip(KDC_COSE_ENCRYPT0, &p, &sym, &ec);
		}
	}
	kdc_cose_key_wipe(&ed);
	kdc_cose_key_wipe(&ec);
	kdc_cose_key_wipe(&ed2);
	kdc_cose_key_wipe(&ec2);
	kdc_cose_key_wipe(&sym);
}

/* The key must fit the algorithm, and a key's own alg must match. */
static void
test_key_alg_checks(void **state)
{
	struct kdc_cose_key ed, ec, sym;
	struct kdc_cw w;

	(void)state;
	make_keys(&ed, &ec);
	memset(&sym, 0, sizeof(sym));
	sym.kty = KDC_KTY_SYMMETRIC;
	sym.k_len = 16;
	kdc_random(sym.k, 16);
	kdc_cw_init(&w);
	/* EdDSA with a P-256 key, ES256 with an Ed25519 key. */
	assert_int_equal(
	        kdc_cose_sign1_create(&w, &(struct kdc_cose_create){.alg = -8},
	                              &ec, NULL, 0),
	        KDC_COSE_E_ALG);
	assert_int_equal(
	        kdc_cose_sign1_create(&w, &(struct kdc_cose_create){.alg = -7},
	                              &ed, NULL, 0),
	        KDC_COSE_E_ALG);
	assert_int_equal(
	        kdc_cose_sign1_create(&w, &(struct kdc_cose_create){.alg = 5},
	                              &ed, NULL, 0),
	        KDC_COSE_E_ALG);
	/* A public key cannot sign. */
	ed.has_priv = false;
	assert_int_equal(
	        kdc_cose_sign1_create(&w, &(struct kdc_cose_create){.alg = -8},
	                              &ed, NULL, 0),
	        KDC_COSE_E_ALG);
	ed.has_priv = true;
	/* A key for -8 also serves -19 (same operation), not -7. */
	ed.has_alg = true;
	ed.alg = KDC_ALG_EDDSA;
	assert_int_equal(
	        kdc_cose_sign1_create(&w, &(struct kdc_cose_create){.alg = -19},
	                              &ed, NULL, 0),
	        KDC_COSE_OK);
	ec.has_alg = true;
	ec.alg = KDC_ALG_ESP256;
	assert_int_equal(
	        kdc_cose_sign1_create(&w, &(struct kdc_cose_create){.alg = -7},
	                              &ec, NULL, 0),
	        KDC_COSE_OK);
	/* AEAD key of the wrong size; MAC key of alg 10 used for HMAC. */
	assert_int_equal(kdc_cose_encrypt0_create(
	                         &w,
	                         &(struct kdc_cose_create){
	                                 .alg = KDC_ALG_AES_CCM_16_64_256},
	                         &sym, NULL, 0),
	                 KDC_COSE_E_ALG);
	assert_int_equal(kdc_cose_encrypt0_create(
	                         &w, &(struct kdc_cose_create){.alg = 999},
	                         &sym, NULL, 0),
	                 KDC_COSE_E_ALG);
	sym.has_alg = true;
	sym.alg = KDC_ALG_AES_CCM_16_64_128;
	assert_int_equal(
	        kdc_cose_mac0_create(&w, &(struct kdc_cose_create){.alg = 4},
	                             &sym, NULL, 0),
	        KDC_COSE_E_ALG);
	sym.has_alg = false;
	/* HMAC with a key reference (no k) or a too short key. */
	sym.k_len = 0;
	assert_int_equal(
	        kdc_cose_mac0_create(&w, &(struct kdc_cose_create){.alg = 4},
	                             &sym, NULL, 0),
	        KDC_COSE_E_ALG);
	sym.k_len = 15;
	assert_int_equal(
	        kdc_cose_mac0_create(&w, &(struct kdc_cose_create){.alg = 4},
	                             &sym, NULL, 0),
	        KDC_COSE_E_ALG);
	/* An Encrypt0 key handed to Mac0 verification etc. */
	assert_int_equal(
	        kdc_cose_sign1_create(&w, &(struct kdc_cose_create){.alg = -8},
	                              &sym, NULL, 0),
	        KDC_COSE_E_ALG);
	kdc_cw_free(&w);
	kdc_cose_key_wipe(&ed);
	kdc_cose_key_wipe(&ec);
	kdc_cose_key_wipe(&sym);
}

/* Build [prot, unprot, payload, tag] by hand.  prot_map_hex is the
 * serialised protected map (empty string: zero-length), unprot_hex the
 * encoded unprotected map. */
static uint8_t *
build(uint64_t tag, const char *prot_hex, const char *unprot_hex,
      bool nil_payload, size_t *len, int elems)
{
	struct kdc_cw w;
	size_t pn = 0, un = 0;
	uint8_t *p = tu_hex(prot_hex, &pn), *u = tu_hex(unprot_hex, &un);
	uint8_t *out;

	kdc_cw_init(&w);
	if (tag != 0)
		kdc_cw_tag(&w, tag);
	kdc_cw_array(&w, (size_t)elems);
	kdc_cw_bstr(&w, p, pn);
	kdc_cw_raw(&w, u, un);
	if (nil_payload)
		kdc_cw_null(&w);
	else
		kdc_cw_bstr(&w, (const uint8_t *)content, strlen(content));
	if (elems == 4)
		kdc_cw_bstr(&w, (const uint8_t *)"12345678", 8);
	out = kdc_cw_take(&w, len);
	kdc_cw_free(&w);
	free(p);
	free(u);
	return out;
}

static int
parse_built(uint64_t tag, const char *prot, const char *unprot,
            enum kdc_cose_kind kind, int elems)
{
	struct kdc_cose_msg m;
	size_t n = 0;
	uint8_t *b = build(tag, prot, unprot, false, &n, elems);
	int rc = kdc_cose_parse(b, n, kind, NULL, &m);

	if (rc == KDC_COSE_OK)
		kdc_cose_msg_free(&m);
	free(b);
	return rc;
}

static void
test_header_rules(void **state)
{
	const enum kdc_cose_kind S = KDC_COSE_SIGN1, E = KDC_COSE_ENCRYPT0;
	struct kdc_cose_msg m;
	uint8_t *b;
	size_t n = 0;

	(void)state;
	/* Baseline. */
	assert_int_equal(parse_built(18, "a10126", "a104423131", S, 4),
	                 KDC_COSE_OK);
	/* Empty protected as h'' and as an encoded empty map. */
	assert_int_equal(parse_built(18, "", "a10126", S, 4), KDC_COSE_OK);
	assert_int_equal(parse_built(18, "a0", "a10126", S, 4), KDC_COSE_OK);
	/* Protected bytes that are not a map / not CBOR / trailing. */
	assert_int_equal(parse_built(18, "01", "a0", S, 4), KDC_COSE_E_HEADER);
	assert_int_equal(parse_built(18, "80", "a0", S, 4), KDC_COSE_E_HEADER);
	assert_int_equal(parse_built(18, "a101", "a0", S, 4),
	                 KDC_COSE_E_HEADER);
	assert_int_equal(parse_built(18, "a1012600", "a0", S, 4),
	                 KDC_COSE_E_HEADER);
	/* The same label in both buckets (kid 4, alg 1). */
	assert_int_equal(parse_built(18, "a2012604423131", "a104423131", S, 4),
	                 KDC_COSE_E_HEADER);
	assert_int_equal(parse_built(18, "a10126", "a10126", S, 4),
	                 KDC_COSE_E_HEADER);
	/* The same text label in both buckets; a text label alone is fine. */
	assert_int_equal(parse_built(18, "a201266178f5", "a16178f4", S, 4),
	                 KDC_COSE_E_HEADER);
	assert_int_equal(parse_built(18, "a201266178f5", "a0", S, 4),
	                 KDC_COSE_OK);
	/* A label that is neither int nor tstr. */
	assert_int_equal(parse_built(18, "a10126", "a14101f5", S, 4),
	                 KDC_COSE_E_HEADER);
	/* crit: unknown label, empty, in unprotected, not present,
	 * understood and present. */
	assert_int_equal(parse_built(18, "a301260281182a182af5", "a0", S, 4),
	                 KDC_COSE_E_HEADER);
	assert_int_equal(parse_built(18, "a201260280", "a0", S, 4),
	                 KDC_COSE_E_HEADER);
	assert_int_equal(parse_built(18, "a10126", "a1028101", S, 4),
	                 KDC_COSE_E_HEADER);
	assert_int_equal(parse_built(18, "a20126028103", "a0", S, 4),
	                 KDC_COSE_E_HEADER);
	assert_int_equal(parse_built(18, "a20126028101", "a0", S, 4),
	                 KDC_COSE_OK);
	assert_int_equal(parse_built(18, "a2012602816161", "a0", S, 4),
	                 KDC_COSE_E_HEADER);
	/* alg of the wrong type; kid / IV not a bstr; IV with Partial IV. */
	assert_int_equal(parse_built(18, "a101f5", "a0", S, 4),
	                 KDC_COSE_E_HEADER);
	assert_int_equal(parse_built(18, "a10126", "a10401", S, 4),
	                 KDC_COSE_E_HEADER);
	assert_int_equal(parse_built(16, "a1010a", "a10501", E, 3),
	                 KDC_COSE_E_HEADER);
	assert_int_equal(parse_built(16, "a1010a", "a2054101064101", E, 3),
	                 KDC_COSE_E_HEADER);
	assert_int_equal(parse_built(18, "a201260343746578", "a0", S, 4),
	                 KDC_COSE_E_HEADER); /* content type bstr... */
	assert_int_equal(parse_built(18, "a201260300", "a0", S, 4),
	                 KDC_COSE_OK); /* ...vs uint */
	/* Kind and tag rules. */
	assert_int_equal(parse_built(0, "a10126", "a0", KDC_COSE_ANY, 4),
	                 KDC_COSE_E_FORMAT);
	assert_int_equal(parse_built(17, "a10126", "a0", S, 4),
	                 KDC_COSE_E_FORMAT);
	assert_int_equal(parse_built(61, "a10126", "a0", S, 4),
	                 KDC_COSE_E_FORMAT);
	assert_int_equal(parse_built(18, "a10126", "a0", S, 3),
	                 KDC_COSE_E_FORMAT);
	assert_int_equal(parse_built(16, "a1010a", "a0", E, 4),
	                 KDC_COSE_E_FORMAT);
	assert_int_equal(parse_built(18, "a10126", "80", S, 4),
	                 KDC_COSE_E_FORMAT);
	/* Not a COSE message at all. */
	{
		static const uint8_t one[] = {0x01}, arr[] = {0x80};

		assert_int_equal(kdc_cose_parse(one, 1, S, NULL, &m),
		                 KDC_COSE_E_FORMAT);
		assert_int_equal(kdc_cose_parse(arr, 1, S, NULL, &m),
		                 KDC_COSE_E_FORMAT);
		assert_int_equal(kdc_cose_parse(arr, 0, S, NULL, &m),
		                 KDC_COSE_E_CBOR);
	}
	/* Detached payload parses, but cannot be verified here. */
	b = build(18, "a10127", "a0", true, &n, 4);
	assert_int_equal(kdc_cose_parse(b, n, S, NULL, &m), KDC_COSE_OK);
	assert_null(m.payload);
	{
		struct kdc_cose_key ed, ec;

		make_keys(&ed, &ec);
		assert_int_equal(kdc_cose_sign1_verify(&m, &ed, NULL, 0),
		                 KDC_COSE_E_FORMAT);
		/* Wrong kind for the operation. */
		assert_int_equal(kdc_cose_mac0_verify(&m, &ed, NULL, 0),
		                 KDC_COSE_E_FORMAT);
		kdc_cose_key_wipe(&ed);
		kdc_cose_key_wipe(&ec);
	}
	kdc_cose_msg_free(&m);
	free(b);
	/* No alg at all. */
	b = build(18, "", "a0", false, &n, 4);
	assert_int_equal(kdc_cose_parse(b, n, S, NULL, &m), KDC_COSE_OK);
	assert_false(m.has_alg);
	{
		struct kdc_cose_key ed, ec;

		make_keys(&ed, &ec);
		assert_int_equal(kdc_cose_sign1_verify(&m, &ed, NULL, 0),
		                 KDC_COSE_E_ALG);
		kdc_cose_key_wipe(&ed);
		kdc_cose_key_wipe(&ec);
	}
	kdc_cose_msg_free(&m);
	free(b);
}

/* Encrypt0 nonce rules: Partial IV without a Base IV, IV of the wrong
 * length, no IV. */
static void
test_encrypt0_iv_rules(void **state)
{
	struct kdc_cose_key k;
	struct kdc_cose_msg m;
	uint8_t *b, *pt = NULL;
	size_t n = 0, pn = 0;

	(void)state;
	memset(&k, 0, sizeof(k));
	k.kty = KDC_KTY_SYMMETRIC;
	k.k_len = 16;
	static const char *unprot[] = {
	        "a1064101",                       /* Partial IV only */
	        "a1054c000102030405060708090a0b", /* 12 bytes for CCM */
	        "a0",                             /* none */
	};
	for (int i = 0; i < 3; i++) {
		b = build(16, "a1010a", unprot[i], false, &n, 3);
		assert_int_equal(
		        kdc_cose_parse(b, n, KDC_COSE_ENCRYPT0, NULL, &m),
		        KDC_COSE_OK);
		assert_int_equal(
		        kdc_cose_encrypt0_decrypt(&m, &k, NULL, 0, &pt, &pn),
		        KDC_COSE_E_HEADER);
		assert_null(pt);
		kdc_cose_msg_free(&m);
		free(b);
	}
}

/* RFC 8392 A.2.1 / A.2.2 / A.2.3 keys. */
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

static void
encode_key(const struct kdc_cose_key *k, bool priv, struct kdc_cw *w)
{
	kdc_cw_init(w);
	kdc_cose_key_encode(w, k, priv);
	assert_true(kdc_cw_ok(w));
}

static void
assert_keys_equal(const struct kdc_cose_key *a, const struct kdc_cose_key *b)
{
	assert_int_equal(a->kty, b->kty);
	assert_int_equal(a->crv, b->crv);
	assert_int_equal(a->has_alg, b->has_alg);
	assert_int_equal(a->alg, b->alg);
	assert_int_equal(a->kid_len, b->kid_len);
	assert_memory_equal(a->kid, b->kid, a->kid_len);
	assert_int_equal(a->has_pub, b->has_pub);
	assert_int_equal(a->has_priv, b->has_priv);
	assert_memory_equal(a->x, b->x, 32);
	assert_memory_equal(a->y, b->y, 32);
	assert_memory_equal(a->d, b->d, 64);
	assert_int_equal(a->k_len, b->k_len);
	assert_memory_equal(a->k, b->k, a->k_len);
}

static void
reencode_and_compare(const struct kdc_cose_key *k)
{
	struct kdc_cose_key back;
	cbor_item_t *it = NULL;
	struct kdc_cw w;

	encode_key(k, true, &w);
	assert_int_equal(kdc_cbor_decode(w.buf, w.len, NULL, &it), 0);
	assert_int_equal(kdc_cose_key_decode(it, &back), 0);
	assert_keys_equal(k, &back);
	cbor_decref(&it);
	kdc_cw_free(&w);
	/* Public only: no d / k on the wire. */
	encode_key(k, false, &w);
	assert_int_equal(kdc_cbor_decode(w.buf, w.len, NULL, &it), 0);
	assert_null(kdc_cbor_map_get(it, KDC_KEY_D));
	if (k->kty == KDC_KTY_SYMMETRIC)
		assert_null(kdc_cbor_map_get(it, KDC_KEY_K));
	if (k->kty != KDC_KTY_SYMMETRIC) {
		assert_int_equal(kdc_cose_key_decode(it, &back), 0);
		assert_true(kdc_cose_key_same_public(k, &back));
		assert_false(back.has_priv);
	}
	cbor_decref(&it);
	kdc_cw_free(&w);
	kdc_cose_key_wipe(&back);
}

static void
test_cose_key_rfc8392(void **state)
{
	struct kdc_cose_key k;
	struct kdc_cw w;

	(void)state;
	key_from_hex(a21_hex, &k);
	assert_int_equal(k.kty, KDC_KTY_SYMMETRIC);
	assert_int_equal(k.k_len, 16);
	assert_hex(k.k, k.k_len, "231f4c4d4d3051fdc2ec0a3851d5b383");
	assert_int_equal(k.kid_len, 12);
	assert_memory_equal(k.kid, "Symmetric128", 12);
	assert_true(k.has_alg);
	assert_int_equal(k.alg, 10);
	/* Deterministic order: 1, 2, 3, -1. */
	encode_key(&k, true, &w);
	assert_hex(w.buf, w.len,
	           "a401040 24c53796d6d6574726963313238030a2050231f4c4d4d3051fd"
	           "c2ec0a3851d5b383");
	kdc_cw_free(&w);
	encode_key(&k, false, &w);
	assert_hex(w.buf, w.len, "a30104024c53796d6d6574726963313238030a");
	kdc_cw_free(&w);
	reencode_and_compare(&k);
	kdc_cose_key_wipe(&k);

	key_from_hex(a22_hex, &k);
	assert_int_equal(k.k_len, 32);
	reencode_and_compare(&k);
	kdc_cose_key_wipe(&k);

	key_from_hex(a23_hex, &k);
	assert_int_equal(k.kty, KDC_KTY_EC2);
	assert_int_equal(k.crv, KDC_CRV_P256);
	assert_int_equal(k.alg, KDC_ALG_ES256);
	assert_true(k.has_pub && k.has_priv);
	assert_hex(k.x, 32,
	           "143329cce7868e416927599cf65a34f3ce2ffda55a7eca69ed8919a3"
	           "94d42f0f");
	assert_hex(k.d, 32,
	           "6c1382765aec5358f117733d281c1c7bdc39884d04a45a1e6c67c858"
	           "bc206c19");
	reencode_and_compare(&k);
	kdc_cose_key_wipe(&k);
	assert_int_equal(k.kty, 0); /* wiped */
}

/* RFC 9202 psk_identity: {8: {1: {1: 4, 2: h'3d027833fc6267ce'}}}. */
static void
test_psk_identity_kid(void **state)
{
	size_t n = 0;
	uint8_t *b = tu_hex("A108A101A2010402483D027833FC6267CE", &n);
	cbor_item_t *it = NULL, *inner;
	struct kdc_cose_key k;
	struct kdc_cw w;

	(void)state;
	assert_int_equal(kdc_cbor_decode(b, n, NULL, &it), KDC_CBOR_OK);
	inner = kdc_cbor_map_get(kdc_cbor_map_get(it, 8), 1);
	assert_non_null(inner);
	assert_int_equal(kdc_cose_key_decode(inner, &k), 0);
	assert_int_equal(k.kty, KDC_KTY_SYMMETRIC);
	assert_int_equal(k.k_len, 0);
	assert_hex(k.kid, k.kid_len, "3d027833fc6267ce");
	/* And back to the same bytes. */
	encode_key(&k, true, &w);
	assert_hex(w.buf, w.len, "A2010402483D027833FC6267CE");
	kdc_cw_free(&w);
	cbor_decref(&it);
	free(b);
}

static void
test_cose_key_okp(void **state)
{
	struct kdc_cose_key k, k2;
	struct kdc_cw w;

	(void)state;
	/* Ed25519 from the RFC 8032 seed, with x. */
	key_from_hex("a4010120062158"
	             "20d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af02"
	             "1a68f707511a2358209d61b19deffd5a60ba844af492ec2cc44449"
	             "c5697b326919703bac031cae7f60",
	             &k);
	assert_int_equal(k.kty, KDC_KTY_OKP);
	assert_int_equal(k.crv, KDC_CRV_ED25519);
	assert_true(k.has_priv);
	/* libsodium sk = seed || pk */
	assert_hex(k.d, 64,
	           "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac03"
	           "1cae7f60d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325"
	           "af021a68f707511a");
	/* Encoded d is the seed again. */
	encode_key(&k, true, &w);
	assert_hex(w.buf, w.len,
	           "a4010120062158"
	           "20d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a"
	           "68f707511a2358209d61b19deffd5a60ba844af492ec2cc44449c569"
	           "7b326919703bac031cae7f60");
	kdc_cw_free(&w);
	reencode_and_compare(&k);
	/* Seed only: x is derived. */
	key_from_hex("a30101200623582"
	             "09d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac"
	             "031cae7f60",
	             &k2);
	assert_keys_equal(&k, &k2);
	assert_true(kdc_cose_key_same_public(&k, &k2));
	kdc_cose_key_wipe(&k);
	kdc_cose_key_wipe(&k2);
	/* X25519 (RFC 7748 §6.1 Alice) from d. */
	key_from_hex("a30101200423582077076d0a7318a57d3c16c17251b26645df4c2f"
	             "87ebc0992ab177fba51db92c2a",
	             &k);
	assert_int_equal(k.crv, KDC_CRV_X25519);
	assert_hex(k.x, 32,
	           "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98e"
	           "aa9b4e6a");
	reencode_and_compare(&k);
	kdc_cose_key_wipe(&k);
	/* A P-256 key from d only. */
	key_from_hex("a30102200123582"
	             "06c1382765aec5358f117733d281c1c7bdc39884d04a45a1e6c67c8"
	             "58bc206c19",
	             &k);
	assert_hex(k.y, 32,
	           "60f7f1a780d8a783bfb7a2dd6b2796e8128dbbcef9d3d168db952997"
	           "1a36e7b9");
	kdc_cose_key_wipe(&k);
}

static int
decode_hex_key(const char *hex)
{
	size_t n = 0;
	uint8_t *b = tu_hex(hex, &n);
	cbor_item_t *it = NULL;
	struct kdc_cose_key k;
	int rc;

	assert_non_null(b);
	assert_int_equal(kdc_cbor_decode(b, n, NULL, &it), KDC_CBOR_OK);
	rc = kdc_cose_key_decode(it, &k);
	if (rc != 0) {
		/* Nothing left behind on failure. */
		for (size_t i = 0; i < sizeof(k); i++)
			assert_int_equal(((uint8_t *)&k)[i], 0);
	}
	cbor_decref(&it);
	free(b);
	return rc;
}

static void
test_cose_key_malformed(void **state)
{
	static const char x32[] = "5820d75a980182b10ab7d54bfed3c964073a0ee172f3"
	                          "daa62325af021a68f70"
	                          "7511a";
	char buf[512];

	(void)state;
	assert_int_equal(decode_hex_key("80"), -1);           /* not a map */
	assert_int_equal(decode_hex_key("a0"), -1);           /* no kty */
	assert_int_equal(decode_hex_key("a10103"), -1);       /* RSA */
	assert_int_equal(decode_hex_key("a1016353796d"), -1); /* text kty */
	assert_int_equal(decode_hex_key("a10104"), 0);        /* bare sym */
	assert_int_equal(decode_hex_key("a201042040"), -1);   /* k = h'' */
	assert_int_equal(decode_hex_key("a2010420f5"), -1);   /* k bool */
	/* k longer than KDC_COSE_MAX_SYMKEY */
	snprintf(buf, sizeof(buf), "a20104205841%0130d", 0);
	assert_int_equal(decode_hex_key(buf), -1);
	/* kid too long / of the wrong type; alg text. */
	snprintf(buf, sizeof(buf), "a20104025841%0130d", 0);
	assert_int_equal(decode_hex_key(buf), -1);
	assert_int_equal(decode_hex_key("a201040201"), -1);
	assert_int_equal(decode_hex_key("a20104036141"), -1);
	/* OKP: no crv, unknown crv, P-256 crv, x short, nothing. */
	snprintf(buf, sizeof(buf), "a20101 21%s", x32);
	assert_int_equal(decode_hex_key(buf), -1);
	snprintf(buf, sizeof(buf), "a30101200721%s", x32);
	assert_int_equal(decode_hex_key(buf), -1);
	snprintf(buf, sizeof(buf), "a30101200121%s", x32);
	assert_int_equal(decode_hex_key(buf), -1);
	assert_int_equal(decode_hex_key("a30101200621430102 03"), -1);
	assert_int_equal(decode_hex_key("a201012006"), -1);
	snprintf(buf, sizeof(buf), "a30101200621%s", x32);
	assert_int_equal(decode_hex_key(buf), 0);
	/* Ed25519 with an x that is not the seed's. */
	assert_int_equal(
	        decode_hex_key("a40101200621582000000000000000000000000000000"
	                       "000000000000000000000000000000000002358209d61b1"
	                       "9deffd5a60ba844af492ec2cc44449c5697b326919703ba"
	                       "c031cae7f60"),
	        -1);
	/* EC2: x without y, y as bool (compressed), off-curve point,
	 * d = 0, d = n. */
	assert_int_equal(
	        decode_hex_key("a3010220012158201433 29cce7868e416927599cf65a34"
	                       "f3ce2ffda55a7eca69ed8919a394d42f0f"),
	        -1);
	assert_int_equal(
	        decode_hex_key("a4010220012158201433 29cce7868e416927599cf65a34"
	                       "f3ce2ffda55a7eca69ed8919a394d42f0f22f5"),
	        -1);
	assert_int_equal(
	        decode_hex_key("a4010220012158201433 29cce7868e416927599cf65a34"
	                       "f3ce2ffda55a7eca69ed8919a394d42f0f22582060f7f1"
	                       "a780d8a783bfb7a2dd6b2796e8128dbbcef9d3d168db952"
	                       "9971a36e7b8"),
	        -1);
	assert_int_equal(
	        decode_hex_key("a4010220012158201433 29cce7868e416927599cf65a34"
	                       "f3ce2ffda55a7eca69ed8919a394d42f0f22582060f7f1"
	                       "a780d8a783bfb7a2dd6b2796e8128dbbcef9d3d168db952"
	                       "9971a36e7b9"),
	        0);
	assert_int_equal(
	        decode_hex_key("a3010220012358200000000000000000000000000000000"
	                       "000000000000000000000000000000000"),
	        -1);
	assert_int_equal(
	        decode_hex_key("a301022001235820ffffffff00000000fffffffffffffff"
	                       "fbce6faada7179e84f3b9cac2fc632551"),
	        -1);
	/* EC2 with a d whose public point is not the given one. */
	assert_int_equal(
	        decode_hex_key("a5010220012158201433 29cce7868e416927599cf65a34"
	                       "f3ce2ffda55a7eca69ed8919a394d42f0f22582060f7f1"
	                       "a780d8a783bfb7a2dd6b2796e8128dbbcef9d3d168db952"
	                       "9971a36e7b9235820000000000000000000000000000000"
	                       "0000000000000000000000000000000001"),
	        -1);
}

static void
test_same_public(void **state)
{
	struct kdc_cose_key a, b, s1, s2;

	(void)state;
	make_keys(&a, &b);
	assert_true(kdc_cose_key_same_public(&a, &a));
	assert_true(kdc_cose_key_same_public(&b, &b));
	assert_false(kdc_cose_key_same_public(&a, &b));
	s1 = b;
	s1.y[5] ^= 1;
	assert_false(kdc_cose_key_same_public(&b, &s1));
	s1 = a;
	s1.has_pub = false;
	assert_false(kdc_cose_key_same_public(&a, &s1));
	memset(&s1, 0, sizeof(s1));
	memset(&s2, 0, sizeof(s2));
	s1.kty = s2.kty = KDC_KTY_SYMMETRIC;
	assert_false(kdc_cose_key_same_public(&s1, &s2));
	kdc_cose_key_wipe(&a);
	kdc_cose_key_wipe(&b);
}

/* Raw signatures (PoP evidence). */
static void
test_raw_signatures(void **state)
{
	static const uint8_t msg[] = "scope || N_S || N_C";
	struct kdc_cose_key ed, ec;
	uint8_t sig[64];
	size_t n = 0;

	(void)state;
	make_keys(&ed, &ec);
	assert_int_equal(
	        kdc_sig_sign(KDC_ALG_EDDSA, &ed, msg, sizeof(msg), sig, &n),
	        KDC_COSE_OK);
	assert_int_equal(n, 64);
	assert_int_equal(
	        kdc_sig_verify(KDC_ALG_EDDSA, &ed, msg, sizeof(msg), sig, 64),
	        KDC_COSE_OK);
	assert_int_equal(
	        kdc_sig_verify(KDC_ALG_ED25519, &ed, msg, sizeof(msg), sig, 64),
	        KDC_COSE_OK);
	assert_int_equal(
	        kdc_sig_verify(KDC_ALG_EDDSA, &ed, msg, sizeof(msg), sig, 63),
	        KDC_COSE_E_VERIFY);
	assert_int_equal(
	        kdc_sig_verify(KDC_ALG_ES256, &ed, msg, sizeof(msg), sig, 64),
	        KDC_COSE_E_ALG);
	sig[0] ^= 1;
	assert_int_equal(
	        kdc_sig_verify(KDC_ALG_EDDSA, &ed, msg, sizeof(msg), sig, 64),
	        KDC_COSE_E_VERIFY);
	n = 0;
	assert_int_equal(
	        kdc_sig_sign(KDC_ALG_ES256, &ec, msg, sizeof(msg), sig, &n),
	        KDC_COSE_OK);
	assert_int_equal(n, 64);
	assert_int_equal(
	        kdc_sig_verify(KDC_ALG_ES256, &ec, msg, sizeof(msg), sig, 64),
	        KDC_COSE_OK);
	assert_int_equal(kdc_sig_verify(KDC_ALG_ES256, &ec, msg,
	                                sizeof(msg) - 1, sig, 64),
	                 KDC_COSE_E_VERIFY);
	assert_int_equal(kdc_sig_sign(KDC_ALG_HMAC256_64, &ec, msg, sizeof(msg),
	                              sig, &n),
	                 KDC_COSE_E_ALG);
	kdc_cose_key_wipe(&ed);
	kdc_cose_key_wipe(&ec);
}

static void
test_strerror(void **state)
{
	(void)state;
	for (int e = 0; e >= -7; e--)
		assert_non_null(kdc_cose_strerror(e));
	assert_string_equal(kdc_cose_strerror(KDC_COSE_E_VERIFY),
	                    "COSE verification failed");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_cose_wg_vectors),
	        cmocka_unit_test(test_truncation_and_trailing),
	        cmocka_unit_test(test_create_reproduces_examples),
	        cmocka_unit_test(test_round_trips),
	        cmocka_unit_test(test_key_alg_checks),
	        cmocka_unit_test(test_header_rules),
	        cmocka_unit_test(test_encrypt0_iv_rules),
	        cmocka_unit_test(test_cose_key_rfc8392),
	        cmocka_unit_test(test_psk_identity_kid),
	        cmocka_unit_test(test_cose_key_okp),
	        cmocka_unit_test(test_cose_key_malformed),
	        cmocka_unit_test(test_same_public),
	        cmocka_unit_test(test_raw_signatures),
	        cmocka_unit_test(test_strerror),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
