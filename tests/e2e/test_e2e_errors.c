/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The error paths of the status-code map (digest §7.3) and the malformed-
 * request matrix, through the real processes.  After every malformed
 * request the frontend must still serve (checked at the end of each test).
 */
#include "harness.h"

#include "crypto.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

static struct h_env env;

static int setup_groups(void);

static int
setup(void **state)
{
	(void)state;
	if (h_env_start(&env, NULL) != 0)
		return -1;
	if (setup_groups() != 0) {
		h_env_stop(&env);
		return -1;
	}
	return 0;
}

static int
setup_groups(void)
{
	if (h_group_create(&env, "g1", "--rekey-on-join off") != 0)
		return -1;
	return h_group_create(&env, "pw",
	                      "--group-mode off --rekey-on-join off");
}

static int
teardown(void **state)
{
	(void)state;
	h_env_stop(&env);
	return 0;
}

/* The frontend still answers correctly after whatever came before. */
static void
still_serving(struct h_dev *d)
{
	struct h_req r = h_dreq(d, "get", "ace-group/g1", -1, NULL, 0);
	struct h_coap c;

	assert_int_equal(h_coap(&env, &r, &c), 0);
	assert_true(c.code == 205 || c.code == 403);
	h_coap_free(&c);
}

static void
post_authz(const uint8_t *p, size_t n, int cf, struct h_coap *c)
{
	struct h_req r = {0};

	r.method = "post";
	r.path = "authz-info";
	r.cf = cf;
	r.payload = p;
	r.len = n;
	assert_int_equal(h_coap(&env, &r, c), 0);
}

/* Digest §7.3 /authz-info rows; ACE checklist item 3 (RFC 9200
 * §5.10.1.1 codes). */
static void
test_status_authz_info_errors(void **state)
{
	struct h_token t = {.kid = "e1",
	                    .key = "0123456789abcdef",
	                    .scope = "g1:6",
	                    .lifetime = 600};
	struct h_coap c;
	uint8_t *tok;
	size_t tl;
	static const uint8_t junk[] = {0x01, 0x02, 0x03};

	(void)state;
	/* Not a token → 4.00. */
	post_authz(junk, sizeof(junk), KDC_CF_CWT, &c);
	h_assert_code(&c, 400);
	h_coap_free(&c);
	/* Wrong AS key (protection invalid) → 4.01. */
	t.mac0_wrong_key = true;
	assert_int_equal(h_mint(&env, &t, &tok, &tl), 0);
	post_authz(tok, tl, KDC_CF_CWT, &c);
	h_assert_code(&c, 401);
	h_coap_free(&c);
	free(tok);
	t.mac0_wrong_key = false;
	/* Expired → 4.01. */
	t.lifetime = -600;
	assert_int_equal(h_mint(&env, &t, &tok, &tl), 0);
	post_authz(tok, tl, KDC_CF_CWT, &c);
	h_assert_code(&c, 401);
	h_coap_free(&c);
	free(tok);
	t.lifetime = 600;
	/* Wrong audience → 4.03. */
	t.aud = "someone-else";
	assert_int_equal(h_mint(&env, &t, &tok, &tl), 0);
	post_authz(tok, tl, KDC_CF_CWT, &c);
	h_assert_code(&c, 403);
	h_coap_free(&c);
	free(tok);
	t.aud = NULL;
	/* No scope → 4.00. */
	t.no_scope = true;
	assert_int_equal(h_mint(&env, &t, &tok, &tl), 0);
	post_authz(tok, tl, KDC_CF_CWT, &c);
	h_assert_code(&c, 400);
	h_coap_free(&c);
	free(tok);
	t.no_scope = false;
	/* A plain token (application/cwt) is accepted: 2.01 with a map. */
	assert_int_equal(h_mint(&env, &t, &tok, &tl), 0);
	post_authz(tok, tl, KDC_CF_CWT, &c);
	h_assert_code(&c, 201);
	assert_int_equal(c.cf, KDC_CF_ACE_CBOR);
	h_coap_free(&c);
	/* An unsupported Content-Format → 4.15. */
	post_authz(tok, tl, 0, &c);
	h_assert_code(&c, 415);
	h_coap_free(&c);
	free(tok);
}

/* RFC 9200 §5.10.3 through the real keystore: an exi token counts from its
 * first receipt; once it has expired and its row is gone, it (and any exi
 * token of that AS with a lower sequence number) is refused instead of
 * starting a fresh lifetime -- also after a keystore restart; a higher
 * sequence number is taken. */
static void
test_9200_exi_sequence_replay(void **state)
{
	struct h_token t = {.kid = "x1",
	                    .key = "0123456789abcdef",
	                    .scope = "g1:6",
	                    .exi = 2,
	                    .exi_seq = 7};
	struct h_coap c;
	uint8_t *t7, *t6, *t8;
	size_t l7, l6, l8;
	char out[8192];
	int i;

	(void)state;
	assert_int_equal(h_mint(&env, &t, &t7, &l7), 0);
	t.exi_seq = 6;
	t.kid = "x2";
	assert_int_equal(h_mint(&env, &t, &t6, &l6), 0);
	t.exi_seq = 8;
	t.kid = "x3";
	t.exi = 600;
	assert_int_equal(h_mint(&env, &t, &t8, &l8), 0);

	post_authz(t7, l7, KDC_CF_CWT, &c);
	h_assert_code(&c, 201);
	h_coap_free(&c);
	/* The keystore removes it when its 2 s are over. */
	for (i = 0; i < 100; i++) {
		assert_int_equal(
		        h_admin(&env, out, sizeof(out), "-j token list"), 0);
		if (strstr(out, "\"7831\"") == NULL) /* kid "x1" in hex */
			break;
		h_msleep(100);
	}
	assert_true(i < 100);
	post_authz(t7, l7, KDC_CF_CWT, &c);
	h_assert_code(&c, 401);
	h_coap_free(&c);
	post_authz(t6, l6, KDC_CF_CWT, &c);
	h_assert_code(&c, 401);
	h_coap_free(&c);
	/* Kept in the database. */
	h_keystore_stop(&env, SIGTERM);
	assert_int_equal(h_keystore_start(&env), 0);
	for (i = 0; i < 100; i++) {
		post_authz(t7, l7, KDC_CF_CWT, &c);
		if (c.code != 503)
			break;
		h_coap_free(&c);
		h_msleep(100);
	}
	h_assert_code(&c, 401);
	h_coap_free(&c);
	post_authz(t8, l8, KDC_CF_CWT, &c);
	h_assert_code(&c, 201);
	h_coap_free(&c);
	free(t6);
	free(t7);
	free(t8);
}

/* RFC 9200 §5.10.1 through the real processes: a newer token replaces the
 * stored one for its PoP key; replaying the older one (over plain CoAP,
 * where anyone can) is refused, so the wider scope it carried (requester
 * and responder, against the newer token's requester) does not come
 * back. */
static void
test_9200_older_token_replay(void **state)
{
	struct h_token t = {.kid = "o1",
	                    .key = "0123456789abcdef",
	                    .scope = "g1:6",
	                    .lifetime = 600,
	                    .iat_offset = -100};
	struct h_coap c;
	uint8_t *wide, *narrow;
	size_t lw, ln;

	(void)state;
	assert_int_equal(h_mint(&env, &t, &wide, &lw), 0);
	t.scope = "g1:2";
	t.iat_offset = 0;
	assert_int_equal(h_mint(&env, &t, &narrow, &ln), 0);
	post_authz(wide, lw, KDC_CF_CWT, &c);
	h_assert_code(&c, 201);
	h_coap_free(&c);
	post_authz(narrow, ln, KDC_CF_CWT, &c);
	h_assert_code(&c, 201);
	h_coap_free(&c);
	post_authz(wide, lw, KDC_CF_CWT, &c);
	h_assert_code(&c, 401);
	h_coap_free(&c);
	/* The newer token again is fine. */
	post_authz(narrow, ln, KDC_CF_CWT, &c);
	h_assert_code(&c, 201);
	h_coap_free(&c);
	free(wide);
	free(narrow);
}

/* Methods a resource does not have → 4.05 (RFC 9200: GET/PUT/DELETE on
 * authz-info SHOULD NOT be possible). */
static void
test_status_method_not_allowed(void **state)
{
	struct h_req r = {0};
	struct h_coap c;

	(void)state;
	r.method = "get";
	r.path = "authz-info";
	r.cf = -1;
	assert_int_equal(h_coap(&env, &r, &c), 0);
	h_assert_code(&c, 405);
	h_coap_free(&c);
	r.method = "put";
	r.path = "ace-group/g1";
	assert_int_equal(h_coap(&env, &r, &c), 0);
	h_assert_code(&c, 405);
	h_coap_free(&c);
}

/* The malformed-request matrix on the Join: truncated CBOR, not a map,
 * wrong types, missing scope, oversized payload, wrong Content-Format and
 * Accept.  9594 items 15, 20; GO 3. */
static void
test_9594_15_20_go_03_malformed_join_matrix(void **state)
{
	struct h_dev d;
	struct h_coap c;
	struct h_req r;
	uint8_t *good;
	size_t glen;
	static const uint8_t not_map[] = {0x82, 0x01, 0x02};
	static const uint8_t bad_scope_type[] = {0xa2, 0x03, 0x01,
	                                         0x06, 0x41, 0x00};
	static const uint8_t no_scope[] = {0xa1, 0x06, 0x41, 0x00};
	uint8_t *big;

	(void)state;
	assert_int_equal(h_dev_token(&env, &d, "m1", "g1:6", 600), 0);
	assert_int_equal(h_join_payload(&d, "g1", 6, false, &good, &glen), 0);

	/* Truncated CBOR. */
	r = h_dreq(&d, "post", "ace-group/g1", KDC_CF_ACE_GROUPCOMM, good,
	           glen - 3);
	assert_int_equal(h_coap(&env, &r, &c), 0);
	h_assert_code(&c, 400);
	h_coap_free(&c);
	/* Not a map. */
	r = h_dreq(&d, "post", "ace-group/g1", KDC_CF_ACE_GROUPCOMM, not_map,
	           sizeof(not_map));
	assert_int_equal(h_coap(&env, &r, &c), 0);
	h_assert_code(&c, 400);
	h_coap_free(&c);
	/* scope of the wrong type. */
	r = h_dreq(&d, "post", "ace-group/g1", KDC_CF_ACE_GROUPCOMM,
	           bad_scope_type, sizeof(bad_scope_type));
	assert_int_equal(h_coap(&env, &r, &c), 0);
	h_assert_code(&c, 400);
	h_coap_free(&c);
	/* scope missing (GO §6.1: MUST be present). */
	r = h_dreq(&d, "post", "ace-group/g1", KDC_CF_ACE_GROUPCOMM, no_scope,
	           sizeof(no_scope));
	assert_int_equal(h_coap(&env, &r, &c), 0);
	h_assert_code(&c, 400);
	h_coap_free(&c);
	/* Wrong Content-Format → 4.15. */
	r = h_dreq(&d, "post", "ace-group/g1", KDC_CF_CBOR, good, glen);
	assert_int_equal(h_coap(&env, &r, &c), 0);
	h_assert_code(&c, 415);
	h_coap_free(&c);
	/* An Accept the KDC cannot give → 4.06. */
	r = h_dreq(&d, "post", "ace-group/g1", KDC_CF_ACE_GROUPCOMM, good,
	           glen);
	r.accept = 40;
	assert_int_equal(h_coap(&env, &r, &c), 0);
	h_assert_code(&c, 406);
	h_coap_free(&c);
	/* Oversized payload → 4.13 (block-wise transfer of 20 KiB). */
	big = calloc(1, 20000);
	assert_non_null(big);
	r = h_dreq(&d, "post", "ace-group/g1", KDC_CF_ACE_GROUPCOMM, big,
	           20000);
	r.block = 1024;
	assert_int_equal(h_coap(&env, &r, &c), 0);
	h_assert_code(&c, 413);
	h_coap_free(&c);
	free(big);
	free(good);
	still_serving(&d);
}

/* GO 3: {Requester, Monitor} and {Responder, Monitor} → 4.00; 9594 21:
 * roles not granted → 4.03. */
static void
test_9594_21_go_03_role_checks(void **state)
{
	struct h_dev d;
	struct h_coap c;

	(void)state;
	assert_int_equal(h_dev_token(&env, &d, "r1", "g1:2", 600), 0);
	assert_int_equal(h_dev_join(&env, &d, "g1", 10, &c), 0);
	h_assert_code(&c, 400);
	h_coap_free(&c);
	assert_int_equal(h_dev_join(&env, &d, "g1", 12, &c), 0);
	h_assert_code(&c, 400);
	h_coap_free(&c);
	/* Token grants Requester only; asking Responder → 4.03. */
	assert_int_equal(h_dev_join(&env, &d, "g1", 4, &c), 0);
	h_assert_code(&c, 403);
	h_coap_free(&c);
	still_serving(&d);
}

/* 9594 item 14: a group the token does not name → 4.03. */
static void
test_9594_14_scope_lacks_group(void **state)
{
	struct h_dev d;
	struct h_coap c;

	(void)state;
	assert_int_equal(h_dev_token(&env, &d, "s1", "g1:6", 600), 0);
	assert_int_equal(h_dev_join(&env, &d, "pw", 6, &c), 0);
	h_assert_code(&c, 403);
	h_coap_free(&c);
}

/* 9594 item 24, GO 7: bad PoP → 4.00 error 3. */
static void
test_9594_24_go_07_bad_pop(void **state)
{
	struct h_dev d;
	struct h_coap c;
	struct h_req r;
	uint8_t *p;
	size_t n;

	(void)state;
	assert_int_equal(h_dev_token(&env, &d, "p1", "g1:6", 600), 0);
	assert_int_equal(h_join_payload(&d, "g1", 6, false, &p, &n), 0);
	p[n - 1] ^= 0x01; /* the last byte of client_cred_verify */
	r = h_dreq(&d, "post", "ace-group/g1", KDC_CF_ACE_GROUPCOMM, p, n);
	assert_int_equal(h_coap(&env, &r, &c), 0);
	h_assert_code(&c, 400);
	assert_int_equal(c.cf, KDC_CF_PROBLEM);
	assert_int_equal(h_error_id(&c), 3);
	h_coap_free(&c);
	free(p);
}

/* 9594 item 23, GO 7: a credential that does not fit the group (X25519
 * in a group that signs with EdDSA) → 4.00 error 2. */
static void
test_9594_23_bad_credential(void **state)
{
	struct h_dev d;
	struct h_coap c;
	struct kdc_cw w;

	(void)state;
	assert_int_equal(h_dev_token(&env, &d, "c1", "g1:6", 600), 0);
	d.cred_key.crv = KDC_CRV_X25519;
	kdc_cw_init(&w);
	kdc_ccs_encode(&w, "device", &d.cred_key);
	memcpy(d.cred, w.buf, w.len);
	d.cred_len = w.len;
	kdc_cw_free(&w);
	d.cred_key.crv = KDC_CRV_ED25519; /* still signs correctly */
	assert_int_equal(h_dev_join(&env, &d, "g1", 6, &c), 0);
	h_assert_code(&c, 400);
	assert_int_equal(h_error_id(&c), 2);
	h_coap_free(&c);
}

/* 9594 item 25/26, GO 11: a non-member without a credential → 4.00 with an
 * application/ace-groupcomm+cbor map carrying sign_info / ecdh_info. */
static void
test_9594_25_26_go_11_no_credential(void **state)
{
	struct h_dev d;
	struct h_coap c;
	struct h_req r;
	struct kdc_cw w, s;
	cbor_item_t *m;

	(void)state;
	assert_int_equal(h_dev_token(&env, &d, "n1", "g1:6", 600), 0);
	kdc_cw_init(&s);
	kdc_scope_encode_entry(&s, "g1", 6);
	kdc_cw_init(&w);
	kdc_cw_map(&w, 2);
	kdc_cw_uint(&w, KDC_GC_SCOPE);
	kdc_cw_bstr(&w, s.buf, s.len);
	kdc_cw_uint(&w, KDC_GC_CNONCE);
	kdc_cw_bstr(&w, d.nc, 8);
	r = h_dreq(&d, "post", "ace-group/g1", KDC_CF_ACE_GROUPCOMM, w.buf,
	           w.len);
	assert_int_equal(h_coap(&env, &r, &c), 0);
	h_assert_code(&c, 400);
	assert_int_equal(c.cf, KDC_CF_ACE_GROUPCOMM);
	m = h_cbor(&c);
	assert_non_null(m);
	assert_non_null(kdc_cbor_map_get(m, KDC_GC_SIGN_INFO));
	assert_non_null(kdc_cbor_map_get(m, KDC_GC_ECDH_INFO));
	cbor_decref(&m);
	h_coap_free(&c);
	kdc_cw_free(&w);
	kdc_cw_free(&s);
}

/* 9594 item 44: FETCH creds with both filters empty → 4.00. */
static void
test_9594_44_creds_both_filters_empty(void **state)
{
	struct h_dev d;
	struct h_coap c;
	struct h_req r;
	static const uint8_t q[] = {0xa1, 0x04, 0x83, 0xf5, 0x80, 0x80};

	(void)state;
	assert_int_equal(h_dev_token(&env, &d, "f1", "g1:6", 600), 0);
	assert_int_equal(h_dev_join(&env, &d, "g1", 6, &c), 0);
	h_assert_code(&c, 201);
	h_coap_free(&c);
	r = h_dreq(&d, "fetch", "ace-group/g1/creds", KDC_CF_ACE_GROUPCOMM, q,
	           sizeof(q));
	assert_int_equal(h_coap(&env, &r, &c), 0);
	h_assert_code(&c, 400);
	h_coap_free(&c);
}

/* 9594 item 50: a member addressing another member's node → 4.03. */
static void
test_9594_50_nodename_mismatch(void **state)
{
	struct h_dev d;
	struct h_coap c;
	struct h_req r;

	(void)state;
	assert_int_equal(h_dev_token(&env, &d, "x1", "g1:6", 600), 0);
	assert_int_equal(h_dev_join(&env, &d, "g1", 6, &c), 0);
	h_assert_code(&c, 201);
	h_coap_free(&c);
	r = h_dreq(&d, "get", "ace-group/g1/nodes/n999", -1, NULL, 0);
	assert_int_equal(h_coap(&env, &r, &c), 0);
	h_assert_code(&c, 403);
	h_coap_free(&c);
}

/* Unknown group → 4.04. */
static void
test_status_unknown_group(void **state)
{
	struct h_dev d;
	struct h_coap c;
	struct h_req r;

	(void)state;
	assert_int_equal(h_dev_token(&env, &d, "u1", "g1:6", 600), 0);
	r = h_dreq(&d, "get", "ace-group/nosuch", -1, NULL, 0);
	assert_int_equal(h_coap(&env, &r, &c), 0);
	h_assert_code(&c, 404);
	h_coap_free(&c);
}

/* GO 28, 27: verif-data and FETCH kdc-cred are for verifiers only
 * (4.03 error 8), not for pairwise-only groups (4.00 error 7). */
static void
test_go_27_28_verifier_only(void **state)
{
	struct h_dev d, v;
	struct h_coap c;
	struct h_req r;
	static const uint8_t q[] = {0xa1, 0x06, 0x48, 1, 2, 3, 4, 5, 6, 7, 8};
	cbor_item_t *m;

	(void)state;
	assert_int_equal(h_dev_token(&env, &d, "vm", "g1:6", 600), 0);
	assert_int_equal(h_dev_join(&env, &d, "g1", 6, &c), 0);
	h_coap_free(&c);
	r = h_dreq(&d, "get", "ace-group/g1/verif-data", -1, NULL, 0);
	assert_int_equal(h_coap(&env, &r, &c), 0);
	h_assert_code(&c, 403);
	assert_int_equal(h_error_id(&c), 8);
	h_coap_free(&c);
	/* A verifier (Tperm 16) gets verif-data with sign_enc_key. */
	assert_int_equal(h_dev_token(&env, &v, "vv", "g1:16,pw:16", 600), 0);
	r = h_dreq(&v, "get", "ace-group/g1/verif-data", -1, NULL, 0);
	assert_int_equal(h_coap(&env, &r, &c), 0);
	h_assert_code(&c, 205);
	m = h_cbor(&c);
	assert_non_null(m);
	assert_non_null(kdc_cbor_map_get(m, KDC_GC_SIGN_ENC_KEY));
	assert_null(
	        kdc_cbor_map_get(kdc_cbor_map_get(m, KDC_GC_KEY), KDC_OSC_MS));
	cbor_decref(&m);
	h_coap_free(&c);
	r = h_dreq(&v, "fetch", "ace-group/g1/kdc-cred", KDC_CF_ACE_GROUPCOMM,
	           q, sizeof(q));
	assert_int_equal(h_coap(&env, &r, &c), 0);
	h_assert_code(&c, 205);
	h_coap_free(&c);
	r = h_dreq(&v, "get", "ace-group/pw/verif-data", -1, NULL, 0);
	assert_int_equal(h_coap(&env, &r, &c), 0);
	h_assert_code(&c, 400);
	assert_int_equal(h_error_id(&c), 7);
	h_coap_free(&c);
	r = h_dreq(&d, "fetch", "ace-group/g1/kdc-cred", KDC_CF_ACE_GROUPCOMM,
	           q, sizeof(q));
	assert_int_equal(h_coap(&env, &r, &c), 0);
	h_assert_code(&c, 403);
	assert_int_equal(h_error_id(&c), 8);
	h_coap_free(&c);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_status_authz_info_errors,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_9200_exi_sequence_replay,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_9200_older_token_replay,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_status_method_not_allowed,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_9594_15_20_go_03_malformed_join_matrix, setup,
	                teardown),
	        cmocka_unit_test_setup_teardown(test_9594_21_go_03_role_checks,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_9594_14_scope_lacks_group,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_9594_24_go_07_bad_pop,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_9594_23_bad_credential,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_9594_25_26_go_11_no_credential, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_9594_44_creds_both_filters_empty, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_9594_50_nodename_mismatch,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_status_unknown_group,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_go_27_28_verifier_only,
	                                        setup, teardown),
	};

	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests_name("e2e_errors", tests, NULL, NULL);
}
