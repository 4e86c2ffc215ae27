/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target for COSE (common/cose_*.c): kdc_cose_parse() with every
 * expected kind, verification / decryption attempts with fixed keys (those
 * of the seed vectors), COSE_Key decoding, and a create/verify round trip
 * with the input as payload.
 *
 * Properties checked beyond "no crash, no leak":
 *   - a parsed message is consistent (kind, protected map, pointers);
 *   - a decoded COSE_Key re-encodes to a key that decodes to the same key,
 *     and its public encoding has the same public key;
 *   - a message we create from the input verifies, and fails with another
 *     external AAD.
 */
#include "cose.h"
#include "crypto.h"
#include "fuzz_keys.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fuzz_keys keys;
static bool ready;

static void
try_verify(const struct kdc_cose_msg *m, bool alt)
{
	const struct kdc_cose_key *k =
	        fuzz_key_for(&keys, m->kind, m->has_alg ? m->alg : 0, alt);
	static const uint8_t ext[] = {0xff, 0x00, 0xee};
	uint8_t *pt = NULL;
	size_t n = 0;
	int rc;

	switch (m->kind) {
	case KDC_COSE_SIGN1:
		(void)kdc_cose_sign1_verify(m, k, NULL, 0);
		(void)kdc_cose_sign1_verify(m, k, ext, sizeof(ext));
		break;
	case KDC_COSE_MAC0:
		(void)kdc_cose_mac0_verify(m, k, NULL, 0);
		(void)kdc_cose_mac0_verify(m, k, ext, sizeof(ext));
		break;
	case KDC_COSE_ENCRYPT0:
		rc = kdc_cose_encrypt0_decrypt(m, k, NULL, 0, &pt, &n);
		if (rc == KDC_COSE_OK) {
			if (pt == NULL || m->payload_len < n)
				abort();
			kdc_wipe(pt, n);
			free(pt);
		} else if (pt != NULL) {
			abort(); /* no plaintext on failure */
		}
		break;
	default:
		abort();
	}
}

static void
check_parsed(const struct kdc_cose_msg *m, enum kdc_cose_kind expected)
{
	if (m->root == NULL || m->prot_map == NULL ||
	    !cbor_isa_map(m->prot_map))
		abort();
	if (m->unprot == NULL || !cbor_isa_map(m->unprot))
		abort();
	if (expected != KDC_COSE_ANY && m->kind != expected)
		abort();
	if (expected == KDC_COSE_ANY && !m->tagged)
		abort();
	if (m->prot == NULL || (m->kind != KDC_COSE_ENCRYPT0 && m->tag == NULL))
		abort();
	if (m->iv != NULL && m->partial_iv != NULL)
		abort();
}

static void
fuzz_messages(const uint8_t *data, size_t size)
{
	static const enum kdc_cose_kind kinds[] = {
	        KDC_COSE_ANY, KDC_COSE_SIGN1, KDC_COSE_MAC0, KDC_COSE_ENCRYPT0};

	for (size_t i = 0; i < 4; i++) {
		struct kdc_cose_msg m;

		if (kdc_cose_parse(data, size, kinds[i], NULL, &m) !=
		    KDC_COSE_OK) {
			if (m.root != NULL || m.prot_map != NULL)
				abort(); /* nothing kept on failure */
			continue;
		}
		check_parsed(&m, kinds[i]);
		try_verify(&m, false);
		try_verify(&m, true);
		kdc_cose_msg_free(&m);
	}
}

static bool
same_key(const struct kdc_cose_key *a, const struct kdc_cose_key *b)
{
	return a->kty == b->kty && a->crv == b->crv &&
	       a->has_alg == b->has_alg && a->alg == b->alg &&
	       a->kid_len == b->kid_len &&
	       memcmp(a->kid, b->kid, a->kid_len) == 0 &&
	       a->has_pub == b->has_pub && a->has_priv == b->has_priv &&
	       memcmp(a->x, b->x, 32) == 0 && memcmp(a->y, b->y, 32) == 0 &&
	       memcmp(a->d, b->d, 64) == 0 && a->k_len == b->k_len &&
	       memcmp(a->k, b->k, a->k_len) == 0;
}

static void
reencode(const struct kdc_cose_key *k, bool with_private)
{
	struct kdc_cose_key back;
	cbor_item_t *it = NULL;
	struct kdc_cw w;

	kdc_cw_init(&w);
	kdc_cose_key_encode(&w, k, with_private);
	if (!kdc_cw_ok(&w))
		abort();
	if (kdc_cbor_decode(w.buf, w.len, NULL, &it) != KDC_CBOR_OK)
		abort();
	if (kdc_cose_key_decode(it, &back) != 0) {
		/* Only a public encoding of a symmetric key has nothing
		 * more than kty/kid/alg; that still decodes. */
		abort();
	}
	if (with_private && !same_key(k, &back))
		abort();
	if (!with_private && k->kty != KDC_KTY_SYMMETRIC &&
	    !kdc_cose_key_same_public(k, &back))
		abort();
	cbor_decref(&it);
	kdc_cose_key_wipe(&back);
	kdc_cw_free(&w);
}

static void
fuzz_key(const uint8_t *data, size_t size)
{
	struct kdc_cose_key k;
	cbor_item_t *it = NULL;

	if (kdc_cbor_decode(data, size, NULL, &it) != KDC_CBOR_OK)
		return;
	if (kdc_cose_key_decode(it, &k) == 0) {
		reencode(&k, true);
		reencode(&k, false);
	} else {
		static const struct kdc_cose_key zero;

		if (memcmp(&k, &zero, sizeof(k)) != 0)
			abort(); /* wiped on failure */
	}
	kdc_cose_key_wipe(&k);
	cbor_decref(&it);
}

/* Create a message of the algorithm picked by the first byte around the
 * rest of the input and check that it verifies. */
static void
fuzz_create(const uint8_t *data, size_t size)
{
	static const struct {
		enum kdc_cose_kind kind;
		int64_t alg;
	} algs[] = {
	        {KDC_COSE_SIGN1, KDC_ALG_EDDSA},
	        {KDC_COSE_SIGN1, KDC_ALG_ES256},
	        {KDC_COSE_MAC0, KDC_ALG_HMAC256_64},
	        {KDC_COSE_MAC0, KDC_ALG_HMAC256_256},
	        {KDC_COSE_ENCRYPT0, KDC_ALG_AES_CCM_16_64_128},
	        {KDC_COSE_ENCRYPT0, KDC_ALG_AES_CCM_16_64_256},
	        {KDC_COSE_ENCRYPT0, KDC_ALG_AES_CCM_16_128_128},
	        {KDC_COSE_ENCRYPT0, KDC_ALG_A128GCM},
	        {KDC_COSE_ENCRYPT0, KDC_ALG_A256GCM},
	        {KDC_COSE_ENCRYPT0, KDC_ALG_CHACHA20_POLY1305},
	};
	const struct kdc_cose_key *k;
	struct kdc_cose_create p;
	struct kdc_cose_msg m;
	struct kdc_cw w;
	size_t i;
	int rc;

	if (size < 2)
		return;
	i = data[0] % (sizeof(algs) / sizeof(algs[0]));
	memset(&p, 0, sizeof(p));
	p.alg = algs[i].alg;
	p.tagged = (data[1] & 1) != 0;
	p.kid_protected = (data[1] & 2) != 0;
	p.kid = data + 2;
	p.kid_len = (data[1] >> 2) & 7;
	if (p.kid_len > size - 2)
		p.kid_len = size - 2;
	p.ext_aad = data;
	p.ext_aad_len = (data[1] & 0x20) ? 2 : 0;
	k = fuzz_key_for(&keys, algs[i].kind, p.alg, false);
	kdc_cw_init(&w);
	switch (algs[i].kind) {
	case KDC_COSE_SIGN1:
		rc = kdc_cose_sign1_create(&w, &p, k, data + 2, size - 2);
		break;
	case KDC_COSE_MAC0:
		rc = kdc_cose_mac0_create(&w, &p, k, data + 2, size - 2);
		break;
	default:
		rc = kdc_cose_encrypt0_create(&w, &p, k, data + 2, size - 2);
		break;
	}
	if (rc != KDC_COSE_OK)
		abort();
	if (kdc_cose_parse(w.buf, w.len, algs[i].kind, NULL, &m) != 0)
		abort();
	if (algs[i].kind == KDC_COSE_ENCRYPT0) {
		uint8_t *pt = NULL;
		size_t n = 0;

		if (kdc_cose_encrypt0_decrypt(&m, k, p.ext_aad, p.ext_aad_len,
		                              &pt, &n) != KDC_COSE_OK ||
		    n != size - 2 || (n > 0 && memcmp(pt, data + 2, n) != 0))
			abort();
		free(pt);
	} else {
		int (*verify)(const struct kdc_cose_msg *,
		              const struct kdc_cose_key *, const uint8_t *,
		              size_t) = algs[i].kind == KDC_COSE_SIGN1
		                                ? kdc_cose_sign1_verify
		                                : kdc_cose_mac0_verify;

		if (verify(&m, k, p.ext_aad, p.ext_aad_len) != KDC_COSE_OK)
			abort();
		if (verify(&m, k, (const uint8_t *)"other", 5) == KDC_COSE_OK)
			abort();
	}
	kdc_cose_msg_free(&m);
	kdc_cw_free(&w);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!ready) {
		fuzz_keys_init(&keys);
		ready = true;
	}
	fuzz_messages(data, size);
	fuzz_key(data, size);
	if (size < 512)
		fuzz_create(data, size);
	return 0;
}
