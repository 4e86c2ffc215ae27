/* SPDX-License-Identifier: Apache-2.0 */
/* Tests of the Group Manager message encoders, CCS credentials, PoP inputs
 * and derived keys (common/gm_*.c), against the worked examples of
 * ../shared/spec/test-vectors.md §1 where they exist. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cbor_in.h"
#include "cbor_out.h"
#include "cose.h"
#include "crypto.h"
#include "gm_material.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Helpers */

static size_t
unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = strlen(hex) / 2;

	assert_true(n <= cap);
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
	return n;
}

static void
assert_bytes_hex(const uint8_t *p, size_t n, const char *hex)
{
	static const char digits[] = "0123456789abcdef";
	char *got = malloc(2 * n + 1);

	assert_non_null(got);
	for (size_t i = 0; i < n; i++) {
		got[2 * i] = digits[p[i] >> 4];
		got[2 * i + 1] = digits[p[i] & 15];
	}
	got[2 * n] = '\0';
	if (strcmp(got, hex) != 0) {
		print_error("got      %s\nexpected %s\n", got, hex);
		free(got);
		fail();
	}
	free(got);
}

static void
assert_cw_hex(struct kdc_cw *w, const char *hex)
{
	assert_true(kdc_cw_ok(w));
	assert_bytes_hex(w->buf, w->len, hex);
}

static cbor_item_t *
decode(const struct kdc_cw *w)
{
	cbor_item_t *item = NULL;

	assert_true(kdc_cw_ok(w));
	assert_int_equal(kdc_cbor_decode(w->buf, w->len, NULL, &item),
	                 KDC_CBOR_OK);
	assert_non_null(item);
	return item;
}

/* The map's keys are exactly `labels` (ascending, each once). */
static void
assert_map_labels(const cbor_item_t *map, const int64_t *labels, size_t n)
{
	struct cbor_pair *pairs;

	assert_true(cbor_isa_map(map));
	assert_int_equal(cbor_map_size(map), n);
	pairs = cbor_map_handle(map);
	for (size_t i = 0; i < n; i++) {
		int64_t k;

		assert_true(kdc_cbor_get_int(pairs[i].key, &k));
		if (k != labels[i])
			fail_msg("key %zu is %lld, expected %lld", i,
			         (long long)k, (long long)labels[i]);
	}
}

#define LABELS(...)                                                            \
	(const int64_t[])                                                      \
	{                                                                      \
		__VA_ARGS__                                                    \
	}
#define NLABELS(...) (sizeof((const int64_t[]){__VA_ARGS__}) / sizeof(int64_t))
#define ASSERT_LABELS(map, ...)                                                \
	assert_map_labels(map, LABELS(__VA_ARGS__), NLABELS(__VA_ARGS__))

static int64_t
map_int(const cbor_item_t *map, int64_t label)
{
	int64_t v;

	assert_true(kdc_cbor_get_int(kdc_cbor_map_get(map, label), &v));
	return v;
}

static void
assert_map_bstr(const cbor_item_t *map, int64_t label, const char *hex)
{
	const uint8_t *p;
	size_t n;

	assert_true(kdc_cbor_get_bstr(kdc_cbor_map_get(map, label), &p, &n));
	assert_bytes_hex(p, n, hex);
}

#define EXP      1609459200
#define EXI      2592000
#define NOW      (EXP - EXI)
#define MS_HEX   "0102030405060708090a0b0c0d0e0f10"
#define SALT_HEX "9e7ca92223786340"

/* g1, both modes with the GO §14 defaults, num 12, exp EXP. */
static void
material(struct kdc_group_material *m)
{
	memset(m, 0, sizeof(*m));
	strcpy(m->name, "g1");
	m->num = 12;
	m->exp = EXP;
	m->active = true;
	m->ms_len = unhex(MS_HEX, m->ms, sizeof(m->ms));
	m->salt_len = unhex(SALT_HEX, m->salt, sizeof(m->salt));
	m->gid_len = unhex("37fc", m->gid, sizeof(m->gid));
	m->hkdf = 5;
	m->cred_fmt = 14;
	m->group_mode = true;
	m->gp_enc_alg = 10;
	m->sign_alg = -8;
	m->sign_crv = 6;
	m->pairwise_mode = true;
	m->alg = 10;
	m->ecdh_alg = -27;
	m->ecdh_crv = 4;
	m->key_update_check_interval = 3600;
	m->expiration_delta = 0;
}

static const uint8_t sid1[] = {0x01};

/* Full key object of material() with Sender ID h'01', both modes:
 * {2: ms, 3: 5, 4: 10, 5: salt, 6: h'37fc', 7: h'01', 8: 14, 9: 10,
 *  10: -8, 11: [[1], [1, 6]], 12: -27, 13: [[1], [1, 4]]} */
#define FULL_HEX                                                               \
	"ac0250" MS_HEX "0305040a0548" SALT_HEX "064237fc074101080e090a0a27"   \
	"0b8281018201060c381a0d828101820104"

/* ------------------------------------------------------------------ */
/* Problem details, policies, PoP inputs, info entries */

static void
test_problem_rfc_example(void **state)
{
	struct kdc_cw w;

	(void)state;
	/* test-vectors.md §1.3, with the RFC's title for error 4. */
	kdc_cw_init(&w);
	kdc_gm_encode_problem(&w, KDC_ERR_NO_INDIVIDUAL_MATERIAL,
	                      "Things will change after a group rekeying; "
	                      "try later");
	assert_cw_hex(&w,
	              "a32078274e6f20617661696c61626c6520696e646976696475616c"
	              "206b6579696e67206d6174657269616c2178345468696e67732077"
	              "696c6c206368616e676520616674657220612067726f7570207265"
	              "6b6579696e673b20747279206c6174657200a10004");
	kdc_cw_free(&w);
}

static void
test_problem_minimal_and_order(void **state)
{
	struct kdc_cw w;

	(void)state;
	/* An id the registry does not name: only {0: {0: id}}. */
	kdc_cw_init(&w);
	kdc_gm_encode_problem(&w, 13, NULL);
	assert_cw_hex(&w, "a100a1000d");
	kdc_cw_reset(&w);
	kdc_gm_encode_problem(&w, -1, NULL);
	assert_cw_hex(&w, "a100a10020");
	kdc_cw_reset(&w);
	/* Without detail: {-1: title, 0: {0: 4}}, the title first and the
	 * error map last, as digest §7.1's minimal form {0: {0: 4}} ends. */
	kdc_gm_encode_problem(&w, KDC_ERR_NO_INDIVIDUAL_MATERIAL, NULL);
	assert_cw_hex(&w, "a22078274e6f20617661696c61626c6520696e646976696475"
	                  "616c206b6579696e67206d6174657269616c00a10004");
	kdc_cw_reset(&w);
	/* An unnamed id with a detail: {-2: detail, 0: {0: id}}. */
	kdc_gm_encode_problem(&w, 100, "x");
	assert_cw_hex(&w, "a2216178"
	                  "00a1001864");
	kdc_cw_free(&w);
}

static void
test_error_titles(void **state)
{
	static const char *const t[] = {
	        "Operation permitted only to group members",
	        "Request inconsistent with the current roles",
	        ("Authentication credential incompatible with the group "
	         "configuration"),
	        "Invalid proof-of-possession evidence",
	        "No available individual keying material",
	        "Group membership terminated",
	        "Group deleted",
	        "Signatures not used in the group",
	        "Operation permitted only to signature verifiers",
	        "Group currently not active",
	};
	struct kdc_cw w;
	cbor_item_t *item;
	const char *s;
	size_t n;

	(void)state;
	for (int i = 0; i < 10; i++) {
		assert_string_equal(kdc_gm_error_title(i), t[i]);
		kdc_cw_init(&w);
		kdc_gm_encode_problem(&w, i, "d");
		item = decode(&w);
		ASSERT_LABELS(item, -1, -2, 0);
		assert_true(
		        kdc_cbor_get_tstr(kdc_cbor_map_get(item, -1), &s, &n));
		assert_int_equal(n, strlen(t[i]));
		assert_memory_equal(s, t[i], n);
		assert_int_equal(map_int(kdc_cbor_map_get(item, 0), 0), i);
		cbor_decref(&item);
		kdc_cw_free(&w);
	}
	assert_null(kdc_gm_error_title(-1));
	assert_null(kdc_gm_error_title(13));
	assert_null(kdc_gm_error_title(1000));
}

static void
test_policies(void **state)
{
	struct kdc_group_material m;
	struct kdc_cw w;

	(void)state;
	material(&m);
	m.expiration_delta = 120;
	kdc_cw_init(&w);
	/* {16: {1: 3600, 2: 120}} (test-vectors.md §1.13 carries only 2). */
	kdc_gm_encode_policies(&w, &m);
	assert_cw_hex(&w, "a110a201190e10021878");
	kdc_cw_reset(&w);
	kdc_gm_encode_policies_map(&w, &m);
	assert_cw_hex(&w, "a201190e10021878");
	kdc_cw_reset(&w);
	m.key_update_check_interval = 0;
	m.expiration_delta = 0;
	kdc_gm_encode_policies(&w, &m);
	assert_cw_hex(&w, "a110a201000200");
	kdc_cw_reset(&w);
	m.key_update_check_interval = 70000;
	m.expiration_delta = 23;
	kdc_gm_encode_policies_map(&w, &m);
	assert_cw_hex(&w, "a2011a000111700217");
	kdc_cw_free(&w);
}

static void
test_pop_inputs(void **state)
{
	uint8_t scope[15], ns[8], nc[8], nc2[8], nkdc[8], nkdc2[8];
	struct kdc_cw w;

	(void)state;
	unhex("826667726f7570316673656e646572", scope, sizeof(scope));
	unhex("018a278f7faab55a", ns, sizeof(ns));
	unhex("25a8991cd700ac01", nc, sizeof(nc));
	unhex("0446baefc56111bf", nc2, sizeof(nc2));
	unhex("cef04b2aa791bc6d", nkdc, sizeof(nkdc));
	unhex("0b7db12aaff56da3", nkdc2, sizeof(nkdc2));
	kdc_cw_init(&w);
	/* §1.5 Join */
	kdc_pop_input_client(&w, scope, sizeof(scope), ns, sizeof(ns), nc,
	                     sizeof(nc));
	assert_cw_hex(&w, "4f826667726f7570316673656e646572"
	                  "48018a278f7faab55a4825a8991cd700ac01");
	kdc_cw_reset(&w);
	/* §1.6 Join Response */
	kdc_pop_input_kdc(&w, nc, sizeof(nc), nkdc, sizeof(nkdc));
	assert_cw_hex(&w, "4825a8991cd700ac0148cef04b2aa791bc6d");
	kdc_cw_reset(&w);
	/* §1.11 GET kdc-cred */
	kdc_pop_input_kdc(&w, nc, sizeof(nc), nkdc2, sizeof(nkdc2));
	assert_cw_hex(&w, "4825a8991cd700ac01480b7db12aaff56da3");
	kdc_cw_reset(&w);
	/* §1.17 credential update */
	kdc_pop_input_client(&w, scope, sizeof(scope), ns, sizeof(ns), nc2,
	                     sizeof(nc2));
	assert_cw_hex(&w, "4f826667726f7570316673656e646572"
	                  "48018a278f7faab55a480446baefc56111bf");
	kdc_cw_reset(&w);
	/* 32-byte exporter N_S (GO §6.1.1) gets a one-byte length head. */
	{
		uint8_t ns32[32];

		memset(ns32, 0xab, sizeof(ns32));
		kdc_pop_input_client(&w, scope, 0, ns32, sizeof(ns32), nc,
		                     sizeof(nc));
		assert_true(kdc_cw_ok(&w));
		assert_int_equal(w.len, 1 + 2 + 32 + 9);
		assert_int_equal(w.buf[0], 0x40);
		assert_int_equal(w.buf[1], 0x58);
		assert_int_equal(w.buf[2], 32);
	}
	kdc_cw_free(&w);
}

static void
test_pop_mac(void **state)
{
	uint8_t shared[32], input[18], mac[8], mac2[8];

	(void)state;
	assert_int_equal(kdc_crypto_init(), 0);
	for (size_t i = 0; i < sizeof(shared); i++)
		shared[i] = (uint8_t)i;
	unhex("4825a8991cd700ac0148cef04b2aa791bc6d", input, sizeof(input));
	/* HKDF-SHA-256(salt = empty, IKM = shared, info = input, L = 8),
	 * computed independently (Python hmac/hashlib). */
	assert_int_equal(
	        kdc_pop_mac(shared, sizeof(shared), input, sizeof(input), mac),
	        0);
	assert_bytes_hex(mac, 8, "fb2caf6831055719");
	input[0] ^= 1;
	assert_int_equal(
	        kdc_pop_mac(shared, sizeof(shared), input, sizeof(input), mac2),
	        0);
	assert_memory_not_equal(mac, mac2, 8);
	assert_int_equal(kdc_pop_mac(shared, 0, input, sizeof(input), mac2),
	                 -1);
}

static void
test_sign_info_entries(void **state)
{
	struct kdc_group_material m;
	struct kdc_cw w;

	(void)state;
	material(&m);
	kdc_cw_init(&w);
	/* RFC 9594 §3.3.1 example: ["g1", -8, [1], [1, 6], 14] */
	kdc_gm_encode_sign_info_entry(&w, &m);
	assert_cw_hex(&w, "856267312781018201060e");
	kdc_cw_reset(&w);
	/* ["g1", -27, [1], [1, 4], 14] */
	kdc_gm_encode_ecdh_info_entry(&w, &m);
	assert_cw_hex(&w, "85626731381a81018201040e");
	kdc_cw_reset(&w);
	/* ES256 / P-256: ["g1", -7, [2], [2, 1], 14], ECDH on P-256 */
	m.sign_alg = -7;
	m.sign_crv = 1;
	m.ecdh_crv = 1;
	kdc_gm_encode_sign_info_entry(&w, &m);
	assert_cw_hex(&w, "856267312681028202010e");
	kdc_cw_reset(&w);
	kdc_gm_encode_ecdh_info_entry(&w, &m);
	assert_cw_hex(&w, "85626731381a81028202010e");
	kdc_cw_free(&w);
}

static void
test_params(void **state)
{
	struct kdc_group_material m;
	struct kdc_cw w;

	(void)state;
	material(&m);
	kdc_cw_init(&w);
	kdc_gm_encode_sign_params(&w, &m);
	assert_cw_hex(&w, "828101820106"); /* [[1], [1, 6]] */
	kdc_cw_reset(&w);
	kdc_gm_encode_ecdh_params(&w, &m);
	assert_cw_hex(&w, "828101820104"); /* [[1], [1, 4]] */
	kdc_cw_reset(&w);
	m.sign_crv = 1;
	m.ecdh_crv = 1;
	kdc_gm_encode_sign_params(&w, &m);
	assert_cw_hex(&w, "828102820201"); /* [[2], [2, 1]] */
	kdc_cw_reset(&w);
	kdc_gm_encode_ecdh_params(&w, &m);
	assert_cw_hex(&w, "828102820201");
	kdc_cw_free(&w);
	assert_int_equal(kdc_gm_kty_of_crv(6), 1);
	assert_int_equal(kdc_gm_kty_of_crv(4), 1);
	assert_int_equal(kdc_gm_kty_of_crv(1), 2);
}

/* ------------------------------------------------------------------ */
/* Key object shapes */

static cbor_item_t *
key_object(const struct kdc_group_material *m, enum kdc_keyobj_shape shape,
           const uint8_t *sid, size_t sid_len, bool with_sid)
{
	struct kdc_cw w;
	cbor_item_t *item;

	kdc_cw_init(&w);
	kdc_gm_encode_key_object(&w, m, shape, sid, sid_len, with_sid);
	item = decode(&w);
	kdc_cw_free(&w);
	return item;
}

static void
test_keyobj_full_bytes(void **state)
{
	struct kdc_group_material m;
	struct kdc_cw w;

	(void)state;
	material(&m);
	kdc_cw_init(&w);
	kdc_gm_encode_key_object(&w, &m, KDC_KEYOBJ_FULL, sid1, sizeof(sid1),
	                         true);
	assert_cw_hex(&w, FULL_HEX);
	kdc_cw_free(&w);
}

static void
test_keyobj_full_shapes(void **state)
{
	struct kdc_group_material m;
	cbor_item_t *k;

	(void)state;
	material(&m);
	/* Both modes. */
	k = key_object(&m, KDC_KEYOBJ_FULL, sid1, 1, true);
	ASSERT_LABELS(k, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13);
	assert_map_bstr(k, 7, "01");
	cbor_decref(&k);

	/* Group mode only (signature-only): no alg, ecdh_alg, ecdh_params. */
	m.pairwise_mode = false;
	k = key_object(&m, KDC_KEYOBJ_FULL, sid1, 1, true);
	ASSERT_LABELS(k, 2, 3, 5, 6, 7, 8, 9, 10, 11);
	assert_int_equal(map_int(k, 3), 5);
	assert_int_equal(map_int(k, 8), 14);
	assert_int_equal(map_int(k, 9), 10);
	assert_int_equal(map_int(k, 10), -8);
	cbor_decref(&k);

	/* Pairwise mode only: no gp_enc_alg, sign_alg, sign_params. */
	m.pairwise_mode = true;
	m.group_mode = false;
	k = key_object(&m, KDC_KEYOBJ_FULL, sid1, 1, true);
	ASSERT_LABELS(k, 2, 3, 4, 5, 6, 7, 8, 12, 13);
	assert_int_equal(map_int(k, 4), 10);
	assert_int_equal(map_int(k, 12), -27);
	cbor_decref(&k);

	/* No Sender ID: group resource (with_sid false) and monitor
	 * (with_sid true, empty). */
	material(&m);
	k = key_object(&m, KDC_KEYOBJ_FULL, sid1, 1, false);
	ASSERT_LABELS(k, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13);
	cbor_decref(&k);
	k = key_object(&m, KDC_KEYOBJ_FULL, NULL, 0, true);
	ASSERT_LABELS(k, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13);
	cbor_decref(&k);

	/* Empty Master Salt: no salt. */
	m.salt_len = 0;
	k = key_object(&m, KDC_KEYOBJ_FULL, sid1, 1, true);
	ASSERT_LABELS(k, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13);
	assert_map_bstr(k, 2, MS_HEX);
	assert_map_bstr(k, 6, "37fc");
	cbor_decref(&k);
}

static void
test_keyobj_rekey_shape(void **state)
{
	struct kdc_group_material m;
	cbor_item_t *k;

	(void)state;
	material(&m);
	k = key_object(&m, KDC_KEYOBJ_REKEY, sid1, 1, true);
	ASSERT_LABELS(k, 2, 5, 6);
	assert_map_bstr(k, 2, MS_HEX);
	assert_map_bstr(k, 5, SALT_HEX);
	assert_map_bstr(k, 6, "37fc");
	cbor_decref(&k);
	m.salt_len = 0;
	m.group_mode = false;
	k = key_object(&m, KDC_KEYOBJ_REKEY, NULL, 0, false);
	ASSERT_LABELS(k, 2, 6);
	cbor_decref(&k);
}

static void
test_keyobj_verif_shape(void **state)
{
	struct kdc_group_material m;
	cbor_item_t *k;

	(void)state;
	material(&m);
	/* Never ms, salt or a Sender ID, even when one is passed. */
	k = key_object(&m, KDC_KEYOBJ_VERIF, sid1, 1, true);
	ASSERT_LABELS(k, 3, 4, 6, 8, 9, 10, 11, 12, 13);
	cbor_decref(&k);
	m.pairwise_mode = false;
	k = key_object(&m, KDC_KEYOBJ_VERIF, sid1, 1, true);
	ASSERT_LABELS(k, 3, 6, 8, 9, 10, 11);
	cbor_decref(&k);
}

/* ------------------------------------------------------------------ */
/* Messages */

static void
test_exi(void **state)
{
	struct kdc_group_material m;

	(void)state;
	material(&m);
	m.exp = 1000;
	assert_int_equal(kdc_gm_exi(&m, 400), 600);
	assert_int_equal(kdc_gm_exi(&m, 999), 1);
	assert_int_equal(kdc_gm_exi(&m, 1000), 0);
	assert_int_equal(kdc_gm_exi(&m, 1500), 0);
	assert_int_equal(kdc_gm_exi(&m, -5), 1005);
	m.exp = 0;
	assert_int_equal(kdc_gm_exi(&m, 400), 0);
	m.exp = EXP;
	assert_int_equal(kdc_gm_exi(&m, NOW), EXI);
	m.exp = INT64_MAX;
	assert_true(kdc_gm_exi(&m, INT64_MIN) == UINT64_MAX);
}

static void
test_key_response(void **state)
{
	struct kdc_group_material m;
	struct kdc_cw w;
	cbor_item_t *r;

	(void)state;
	material(&m);
	kdc_cw_init(&w);
	kdc_gm_encode_key_response(&w, &m, sid1, 1, true, NOW);
	assert_cw_hex(&w,
	              "a6070108" FULL_HEX "090c0a010b1a5fee66000c1a00278d00");
	kdc_cw_reset(&w);

	/* GET /ace-group/G: no Sender ID; exi counts from now. */
	kdc_gm_encode_key_response(&w, &m, sid1, 1, false, EXP - 10);
	r = decode(&w);
	ASSERT_LABELS(r, 7, 8, 9, 10, 11, 12);
	assert_int_equal(map_int(r, 7), 1);
	assert_int_equal(map_int(r, 9), 12);
	assert_int_equal(map_int(r, 10), 1);
	assert_int_equal(map_int(r, 11), EXP);
	assert_int_equal(map_int(r, 12), 10);
	ASSERT_LABELS(kdc_cbor_map_get(r, 8), 2, 3, 4, 5, 6, 8, 9, 10, 11, 12,
	              13);
	cbor_decref(&r);
	kdc_cw_reset(&w);

	/* Expired: exi 0. */
	kdc_gm_encode_key_response(&w, &m, sid1, 1, true, EXP + 10);
	r = decode(&w);
	assert_int_equal(map_int(r, 12), 0);
	cbor_decref(&r);
	kdc_cw_reset(&w);

	/* No expiry: neither exp nor exi. */
	m.exp = 0;
	kdc_gm_encode_key_response(&w, &m, sid1, 1, true, NOW);
	r = decode(&w);
	ASSERT_LABELS(r, 7, 8, 9, 10);
	cbor_decref(&r);
	kdc_cw_reset(&w);

	/* now 0: exp without exi, to be appended at send time. */
	m.exp = EXP;
	kdc_gm_encode_key_response(&w, &m, sid1, 1, true, 0);
	r = decode(&w);
	ASSERT_LABELS(r, 7, 8, 9, 10, 11);
	cbor_decref(&r);
	kdc_cw_free(&w);
}

static void
test_peers(void **state)
{
	static const uint8_t c1[] = {0xa1, 0x01, 0x02}, c2[] = {0xa0};
	static const uint8_t s1[] = {0x05}, s2[] = {0x06, 0x07};
	const struct kdc_gm_peer p[] = {
	        {c1, sizeof(c1), 2, s1, sizeof(s1)},
	        {c2, sizeof(c2), 6, s2, sizeof(s2)},
	};
	struct kdc_cw w;

	(void)state;
	kdc_cw_init(&w);
	kdc_gm_encode_peers(&w, p, 2);
	/* 13: [h'a10102', h'a0'], 14: [2, 6], 15: [h'05', h'0607'] */
	assert_cw_hex(&w, "0d8243a1010241a00e8202060f824105420607");
	kdc_cw_reset(&w);
	kdc_gm_encode_peers(&w, NULL, 0);
	assert_cw_hex(&w, "0d800e800f80");
	kdc_cw_free(&w);
}

static void
test_rekey_without_joiners(void **state)
{
	static const uint8_t st1[] = {0x02}, st2[] = {0x03, 0x04};
	const uint8_t *const stale[] = {st1, st2};
	const size_t stale_len[] = {sizeof(st1), sizeof(st2)};
	struct kdc_group_material m;
	struct kdc_cw w;
	cbor_item_t *r, *ids;
	const uint8_t *p;
	size_t n;

	(void)state;
	material(&m);
	kdc_cw_init(&w);
	kdc_gm_encode_rekey(&w, &m, stale, stale_len, 2, NULL, 0, NOW);
	assert_cw_hex(&w, "a7070108a30250" MS_HEX "0548" SALT_HEX
	                  "064237fc090c0a010b1a5fee66000c1a00278d00"
	                  "1822824102420304");
	r = decode(&w);
	ASSERT_LABELS(r, 7, 8, 9, 10, 11, 12, 34);
	ASSERT_LABELS(kdc_cbor_map_get(r, 8), 2, 5, 6);
	assert_int_equal(map_int(r, 12), EXI);
	ids = kdc_cbor_map_get(r, 34);
	assert_int_equal(kdc_cbor_array_len(ids), 2);
	assert_true(kdc_cbor_get_bstr(kdc_cbor_array_at(ids, 1), &p, &n));
	assert_bytes_hex(p, n, "0304");
	cbor_decref(&r);
	kdc_cw_reset(&w);

	/* An empty stale set is still sent, as []. */
	m.exp = 0;
	kdc_gm_encode_rekey(&w, &m, NULL, NULL, 0, NULL, 0, NOW);
	r = decode(&w);
	ASSERT_LABELS(r, 7, 8, 9, 10, 34);
	ids = kdc_cbor_map_get(r, 34);
	assert_non_null(ids);
	assert_true(cbor_isa_array(ids));
	assert_int_equal(kdc_cbor_array_len(ids), 0);
	cbor_decref(&r);
	kdc_cw_reset(&w);

	/* now 0 (keystore's cached control-URI payload): no exi. */
	m.exp = EXP;
	kdc_gm_encode_rekey(&w, &m, stale, stale_len, 2, NULL, 0, 0);
	r = decode(&w);
	ASSERT_LABELS(r, 7, 8, 9, 10, 11, 34);
	cbor_decref(&r);
	kdc_cw_free(&w);
}

static void
test_rekey_with_joiners(void **state)
{
	static const uint8_t c1[] = {0xa1, 0x01, 0x02}, c2[] = {0xa0};
	static const uint8_t s1[] = {0x05}, s2[] = {0x06, 0x07};
	const struct kdc_gm_peer p[] = {
	        {c1, sizeof(c1), 2, s1, sizeof(s1)},
	        {c2, sizeof(c2), 6, s2, sizeof(s2)},
	};
	struct kdc_group_material m;
	struct kdc_cw w;
	cbor_item_t *r, *a;

	(void)state;
	material(&m);
	kdc_cw_init(&w);
	kdc_gm_encode_rekey(&w, &m, NULL, NULL, 0, p, 2, NOW);
	assert_cw_hex(&w, "aa070108a30250" MS_HEX "0548" SALT_HEX
	                  "064237fc090c0a010b1a5fee66000c1a00278d00"
	                  "0d8243a1010241a00e8202060f824105420607182280");
	r = decode(&w);
	ASSERT_LABELS(r, 7, 8, 9, 10, 11, 12, 13, 14, 15, 34);
	a = kdc_cbor_map_get(r, 14);
	assert_int_equal(kdc_cbor_array_len(a), 2);
	assert_int_equal(map_int(r, 9), 12);
	{
		uint64_t perm;

		assert_true(kdc_cbor_get_uint(kdc_cbor_array_at(a, 1), &perm));
		assert_int_equal(perm, 6);
	}
	cbor_decref(&r);
	kdc_cw_free(&w);
}

/* ------------------------------------------------------------------ */
/* Signature Encryption Key and verif-data */

static void
test_sign_enc_key(void **state)
{
	struct kdc_group_material m;
	uint8_t k1[KDC_SEKEY_MAX], k2[KDC_SEKEY_MAX];
	size_t l1 = 0, l2 = 0;

	(void)state;
	assert_int_equal(kdc_crypto_init(), 0);
	material(&m);
	assert_int_equal(kdc_gm_sign_enc_key(&m, k1, &l1), 0);
	assert_int_equal(l1, 16); /* AES-CCM-16-64-128 */
	/* Known answer: HKDF-SHA-256(salt, ms, info =
	 * [h'', h'37fc', 10, "SEKey", 16] = 85404237fc0a6553454b657910),
	 * computed independently (Python hmac/hashlib). */
	assert_bytes_hex(k1, l1, "39b898f6adc24cde12fdd9a52a3fc644");
	assert_int_equal(kdc_gm_sign_enc_key(&m, k2, &l2), 0);
	assert_int_equal(l2, l1);
	assert_memory_equal(k1, k2, l1);

	/* Every input counts. */
	m.gid[1] ^= 1;
	assert_int_equal(kdc_gm_sign_enc_key(&m, k2, &l2), 0);
	assert_memory_not_equal(k1, k2, 16);
	material(&m);
	m.ms[0] ^= 1;
	assert_int_equal(kdc_gm_sign_enc_key(&m, k2, &l2), 0);
	assert_memory_not_equal(k1, k2, 16);
	material(&m);
	m.salt[0] ^= 1;
	assert_int_equal(kdc_gm_sign_enc_key(&m, k2, &l2), 0);
	assert_memory_not_equal(k1, k2, 16);
	material(&m);
	m.gp_enc_alg = 30; /* same key length, other algorithm */
	assert_int_equal(kdc_gm_sign_enc_key(&m, k2, &l2), 0);
	assert_int_equal(l2, 16);
	assert_memory_not_equal(k1, k2, 16);

	/* Empty salt, 32-byte key (ChaCha20/Poly1305). */
	material(&m);
	m.salt_len = 0;
	m.gp_enc_alg = 24;
	assert_int_equal(kdc_gm_sign_enc_key(&m, k2, &l2), 0);
	assert_int_equal(l2, 32);
	assert_bytes_hex(k2, l2,
	                 "44937a20280deb0a57ea301834f1827e70863efd2f0dd01b1def"
	                 "0140468bbe8b");
	m.gp_enc_alg = 11;
	assert_int_equal(kdc_gm_sign_enc_key(&m, k2, &l2), 0);
	assert_int_equal(l2, 32);

	/* Unusable parameters. */
	material(&m);
	m.hkdf = 4;
	assert_int_equal(kdc_gm_sign_enc_key(&m, k2, &l2), -1);
	material(&m);
	m.gp_enc_alg = 0;
	assert_int_equal(kdc_gm_sign_enc_key(&m, k2, &l2), -1);
	material(&m);
	m.ms_len = 0;
	assert_int_equal(kdc_gm_sign_enc_key(&m, k2, &l2), -1);
}

static void
test_verif_data_vector(void **state)
{
	struct kdc_group_material m;
	uint8_t sekey[KDC_SEKEY_MAX];
	size_t sekey_len;
	struct kdc_cw w;
	/* test-vectors.md §1.20 without the 16 bytes of its illustrative
	 * sign_enc_key: {7: 1, 8: {3: 5, 6: h'37fc', 8: 33, 9: 10, 10: -8,
	 * 11: [[1], [1, 6]]}, 9: 12, 10: 1, 11: 1609459200, 12: 2592000,
	 * 33: h'...'} */
	static const char prefix[] =
	        "a7070108a60305064237fc081821090a0a270b828101820106090c0a01"
	        "0b1a5fee66000c1a00278d00182150";

	(void)state;
	assert_int_equal(kdc_crypto_init(), 0);
	material(&m);
	m.cred_fmt = 33;
	m.pairwise_mode = false;
	kdc_cw_init(&w);
	assert_int_equal(kdc_gm_encode_verif_data(&w, &m, NOW), 0);
	assert_true(kdc_cw_ok(&w));
	assert_int_equal(w.len, strlen(prefix) / 2 + 16);
	assert_bytes_hex(w.buf, strlen(prefix) / 2, prefix);
	assert_int_equal(kdc_gm_sign_enc_key(&m, sekey, &sekey_len), 0);
	assert_int_equal(sekey_len, 16);
	assert_memory_equal(w.buf + w.len - 16, sekey, 16);
	kdc_cw_free(&w);
}

static void
test_verif_data_shapes(void **state)
{
	struct kdc_group_material m;
	struct kdc_cw w;
	cbor_item_t *r;

	(void)state;
	assert_int_equal(kdc_crypto_init(), 0);
	material(&m);
	kdc_cw_init(&w);
	assert_int_equal(kdc_gm_encode_verif_data(&w, &m, NOW), 0);
	r = decode(&w);
	ASSERT_LABELS(r, 7, 8, 9, 10, 11, 12, 33);
	ASSERT_LABELS(kdc_cbor_map_get(r, 8), 3, 4, 6, 8, 9, 10, 11, 12, 13);
	cbor_decref(&r);
	kdc_cw_reset(&w);

	m.exp = 0;
	assert_int_equal(kdc_gm_encode_verif_data(&w, &m, NOW), 0);
	r = decode(&w);
	ASSERT_LABELS(r, 7, 8, 9, 10, 33);
	cbor_decref(&r);
	kdc_cw_reset(&w);

	/* Pairwise-only groups have no verification data (GO §9.6). */
	m.group_mode = false;
	assert_int_equal(kdc_gm_encode_verif_data(&w, &m, NOW), -1);
	material(&m);
	m.gp_enc_alg = 0;
	assert_int_equal(kdc_gm_encode_verif_data(&w, &m, NOW), -1);
	kdc_cw_free(&w);
}

/* ------------------------------------------------------------------ */
/* CCS credentials */

#define ED_X "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
#define X25519_X                                                               \
	"8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"
#define P256_X                                                                 \
	"65eda5a12577c2bae829437fe338701a10aaa375e1bb5b5de108de439c08551d"
#define P256_Y                                                                 \
	"1e52ed75701163f7f9e40ddf9f341b3dc9ba860af7e0ca7ca7e9eecd0084d19c"
/* test-vectors.md §1.19 kdc_cred */
#define KDC_CRED_HEX                                                           \
	"a2026008a101a5010202419920012158"                                     \
	"20" P256_X "225820" P256_Y

static void
roundtrip(const struct kdc_cose_key *k, const char *sub)
{
	struct kdc_cose_key got;
	struct kdc_cw w;

	kdc_cw_init(&w);
	kdc_ccs_encode(&w, sub, k);
	assert_true(kdc_cw_ok(&w));
	assert_int_equal(kdc_ccs_public_key(w.buf, w.len, &got), 0);
	assert_int_equal(got.kty, k->kty);
	assert_int_equal(got.crv, k->crv);
	assert_true(got.has_pub);
	assert_false(got.has_priv);
	assert_memory_equal(got.x, k->x, 32);
	if (k->kty == KDC_KTY_EC2)
		assert_memory_equal(got.y, k->y, 32);
	assert_int_equal(got.kid_len, k->kid_len);
	if (k->kid_len > 0)
		assert_memory_equal(got.kid, k->kid, k->kid_len);
	assert_true(kdc_cose_key_same_public(&got, k));
	{
		/* The encoding is a CCS: {2: sub, 8: {1: COSE_Key}}. */
		cbor_item_t *r = decode(&w);
		cbor_item_t *cnf = kdc_cbor_map_get(r, 8);

		if (sub != NULL)
			ASSERT_LABELS(r, 2, 8);
		else
			ASSERT_LABELS(r, 8);
		ASSERT_LABELS(cnf, 1);
		cbor_decref(&r);
	}
	kdc_cw_free(&w);
}

static void
test_ccs_roundtrip(void **state)
{
	struct kdc_cose_key k;

	(void)state;
	memset(&k, 0, sizeof(k));
	k.kty = KDC_KTY_OKP;
	k.crv = KDC_CRV_ED25519;
	unhex(ED_X, k.x, sizeof(k.x));
	k.has_pub = true;
	roundtrip(&k, "node1");
	roundtrip(&k, NULL);
	roundtrip(&k, "");

	memset(&k, 0, sizeof(k));
	k.kty = KDC_KTY_OKP;
	k.crv = KDC_CRV_X25519;
	unhex(X25519_X, k.x, sizeof(k.x));
	k.has_pub = true;
	k.kid_len = unhex("0a0b", k.kid, sizeof(k.kid));
	roundtrip(&k, "x");

	memset(&k, 0, sizeof(k));
	k.kty = KDC_KTY_EC2;
	k.crv = KDC_CRV_P256;
	unhex(P256_X, k.x, sizeof(k.x));
	unhex(P256_Y, k.y, sizeof(k.y));
	k.has_pub = true;
	k.kid_len = unhex("99", k.kid, sizeof(k.kid));
	roundtrip(&k, "kdc");
}

static void
test_ccs_encode_never_private(void **state)
{
	struct kdc_cose_key k, got;
	struct kdc_cw w;

	(void)state;
	memset(&k, 0, sizeof(k));
	k.kty = KDC_KTY_EC2;
	k.crv = KDC_CRV_P256;
	unhex(P256_X, k.x, sizeof(k.x));
	unhex(P256_Y, k.y, sizeof(k.y));
	memset(k.d, 0x77, 32);
	k.has_pub = true;
	k.has_priv = true;
	kdc_cw_init(&w);
	kdc_ccs_encode(&w, "kdc", &k);
	assert_int_equal(kdc_ccs_public_key(w.buf, w.len, &got), 0);
	assert_false(got.has_priv);
	{
		cbor_item_t *r = decode(&w);
		cbor_item_t *key = kdc_cbor_map_get(kdc_cbor_map_get(r, 8), 1);

		assert_non_null(key);
		assert_null(kdc_cbor_map_get(key, -4));
		cbor_decref(&r);
	}
	kdc_cw_free(&w);
}

static void
test_ccs_kdc_cred_vector(void **state)
{
	uint8_t ccs[128], x[32], y[32];
	size_t n = unhex(KDC_CRED_HEX, ccs, sizeof(ccs));
	struct kdc_cose_key k;
	struct kdc_cw w;

	(void)state;
	assert_int_equal(n, 84);
	assert_int_equal(kdc_ccs_public_key(ccs, n, &k), 0);
	assert_int_equal(k.kty, KDC_KTY_EC2);
	assert_int_equal(k.crv, KDC_CRV_P256);
	assert_int_equal(k.kid_len, 1);
	assert_int_equal(k.kid[0], 0x99);
	unhex(P256_X, x, sizeof(x));
	unhex(P256_Y, y, sizeof(y));
	assert_memory_equal(k.x, x, 32);
	assert_memory_equal(k.y, y, 32);

	/* Re-encoding with the same sub gives the same bytes (deterministic
	 * COSE_Key label order 1, 2, -1, -2, -3). */
	kdc_cw_init(&w);
	kdc_ccs_encode(&w, "", &k);
	assert_cw_hex(&w, KDC_CRED_HEX);
	kdc_cw_free(&w);
}

static void
assert_ccs_rejected(const char *hex)
{
	uint8_t buf[256];
	size_t n = unhex(hex, buf, sizeof(buf));
	struct kdc_cose_key k;

	if (kdc_ccs_public_key(buf, n, &k) != -1)
		fail_msg("accepted %s", hex);
	assert_false(k.has_pub); /* nothing left behind */
}

static void
test_ccs_rejects(void **state)
{
	uint8_t ccs[128];
	size_t n = unhex(KDC_CRED_HEX, ccs, sizeof(ccs));
	struct kdc_cose_key k;

	(void)state;
	/* Truncation at every byte. */
	for (size_t i = 0; i < n; i++)
		assert_int_equal(kdc_ccs_public_key(ccs, i, &k), -1);
	assert_int_equal(kdc_ccs_public_key(NULL, 0, &k), -1);
	/* Trailing byte. */
	ccs[n] = 0x00;
	assert_int_equal(kdc_ccs_public_key(ccs, n + 1, &k), -1);

	/* cnf with two confirmation methods (COSE_Key and kid). */
	assert_ccs_rejected("a108a201a301012006215820" ED_X "034199");
	/* cnf with a kid only. */
	assert_ccs_rejected("a108a1034199");
	/* cnf empty. */
	assert_ccs_rejected("a108a0");
	/* Unsupported key types: RSA, Symmetric, Ed448. */
	assert_ccs_rejected("a108a101a3010320582000000000000000000000000000"
	                    "000000000000000000000000000000000000002143010001");
	assert_ccs_rejected(
	        "a108a101a201042050000102030405060708090a0b0c0d0e0f");
	assert_ccs_rejected(
	        "a108a101a301012007215839"
	        "0000000000000000000000000000000000000000000000000000000000"
	        "0000000000000000000000000000000000000000000000000000000000");
	/* A private key has no place in a credential. */
	assert_ccs_rejected("a108a101a401012006215820" ED_X
	                    "235820000102030405060708090a0b0c0d0e0f1011121314"
	                    "15161718191a1b1c1d1e1f");
	/* sub that is not a text string. */
	assert_ccs_rejected("a2020508a101a301012006215820" ED_X);
	/* Not a map. */
	assert_ccs_rejected("8208a101a301012006215820" ED_X);
	/* cnf not a map, COSE_Key not a map, no cnf. */
	assert_ccs_rejected("a1084100");
	assert_ccs_rejected("a108a1014101");
	assert_ccs_rejected("a1026178");
	/* Tagged (a CWT, not a CCS). */
	assert_ccs_rejected("d83da108a101a301012006215820" ED_X);
	/* Duplicate claim. */
	assert_ccs_rejected("a208a101a301012006215820" ED_X
	                    "08a101a301012006215820" ED_X);
}

static void
test_ccs_accepts(void **state)
{
	struct kdc_cose_key k;
	uint8_t buf[256];
	size_t n;

	(void)state;
	/* Minimal: {8: {1: {1: 1, -1: 6, -2: x}}} */
	n = unhex("a108a101a301012006215820" ED_X, buf, sizeof(buf));
	assert_int_equal(kdc_ccs_public_key(buf, n, &k), 0);
	assert_int_equal(k.kty, KDC_KTY_OKP);
	assert_int_equal(k.crv, KDC_CRV_ED25519);
	/* Other claims are ignored: iss, sub, exp, private claim 99. */
	n = unhex("a50162617302626e31041a72bd0c0008a101a301012006215820" ED_X
	          "1863820102",
	          buf, sizeof(buf));
	assert_int_equal(kdc_ccs_public_key(buf, n, &k), 0);
	assert_int_equal(k.crv, KDC_CRV_ED25519);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_problem_rfc_example),
	        cmocka_unit_test(test_problem_minimal_and_order),
	        cmocka_unit_test(test_error_titles),
	        cmocka_unit_test(test_policies),
	        cmocka_unit_test(test_pop_inputs),
	        cmocka_unit_test(test_pop_mac),
	        cmocka_unit_test(test_sign_info_entries),
	        cmocka_unit_test(test_params),
	        cmocka_unit_test(test_keyobj_full_bytes),
	        cmocka_unit_test(test_keyobj_full_shapes),
	        cmocka_unit_test(test_keyobj_rekey_shape),
	        cmocka_unit_test(test_keyobj_verif_shape),
	        cmocka_unit_test(test_exi),
	        cmocka_unit_test(test_key_response),
	        cmocka_unit_test(test_peers),
	        cmocka_unit_test(test_rekey_without_joiners),
	        cmocka_unit_test(test_rekey_with_joiners),
	        cmocka_unit_test(test_sign_enc_key),
	        cmocka_unit_test(test_verif_data_vector),
	        cmocka_unit_test(test_verif_data_shapes),
	        cmocka_unit_test(test_ccs_roundtrip),
	        cmocka_unit_test(test_ccs_encode_never_private),
	        cmocka_unit_test(test_ccs_kdc_cred_vector),
	        cmocka_unit_test(test_ccs_rejects),
	        cmocka_unit_test(test_ccs_accepts),
	};
	return cmocka_run_group_tests_name("gm_material", tests, NULL, NULL);
}
