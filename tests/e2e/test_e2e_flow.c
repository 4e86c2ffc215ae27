/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The device flow through the real processes: token, DTLS-PSK session,
 * Join, reads, renewal, credential update, leave.  Test names carry the
 * RFC 9594 checklist item numbers of the digest §13 ("9594_NN") and of the
 * Group OSCORE profile §14 ("go_NN"), as listed in docs/CONFORMANCE.md.
 */
#include "harness.h"

#include "crypto.h"

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
	return h_group_create(&env, "g1", "--rekey-on-join off");
}

static int
teardown(void **state)
{
	(void)state;
	h_env_stop(&env);
	return 0;
}

static void
dtls_get(struct h_dev *d, const char *path, struct h_coap *c)
{
	struct h_req r = {0};

	r.method = "get";
	r.path = path;
	r.dtls = true;
	r.kid = d->kid;
	r.key = d->key;
	r.cf = -1;
	assert_int_equal(h_coap(&env, &r, c), 0);
}

/* 9594 items 4, 5, 6, 9, 10: the token in application/ace+cbor with
 * sign_info null; 2.01, Content-Format 19, kdcchallenge and sign_info. */
static void
test_9594_04_05_06_09_10_authz_info(void **state)
{
	struct h_token t = {.kid = "devA",
	                    .key = "0123456789abcdef",
	                    .scope = "g1:6",
	                    .lifetime = 600};
	struct h_req r = {0};
	struct h_coap c;
	uint8_t *tok, *body;
	size_t tl, bl;
	cbor_item_t *m, *si, *e;
	const uint8_t *p;
	size_t n;
	const char *gname;
	size_t glen;
	int64_t alg;

	(void)state;
	assert_int_equal(h_mint(&env, &t, &tok, &tl), 0);
	assert_int_equal(h_ace_cbor(tok, tl, true, false, false, &body, &bl),
	                 0);
	r.method = "post";
	r.path = "authz-info";
	r.cf = KDC_CF_ACE_CBOR;
	r.payload = body;
	r.len = bl;
	assert_int_equal(h_coap(&env, &r, &c), 0);
	h_assert_code(&c, 201);
	assert_int_equal(c.cf, KDC_CF_ACE_CBOR);
	m = h_cbor(&c);
	assert_non_null(m);
	assert_true(cbor_isa_map(m));
	assert_true(h_map_bstr(m, KDC_OAUTH_KDCCHALLENGE, &p, &n));
	assert_true(n >= 8);
	si = kdc_cbor_map_get(m, KDC_OAUTH_SIGN_INFO);
	assert_non_null(si);
	assert_int_equal(kdc_cbor_array_len(si), 1);
	e = kdc_cbor_array_at(si, 0);
	assert_int_equal(kdc_cbor_array_len(e), 5);
	assert_true(kdc_cbor_get_tstr(kdc_cbor_array_at(e, 0), &gname, &glen));
	assert_int_equal(glen, 2);
	assert_memory_equal(gname, "g1", 2);
	assert_true(kdc_cbor_get_int(kdc_cbor_array_at(e, 1), &alg));
	assert_int_equal(alg, KDC_ALG_EDDSA);
	cbor_decref(&m);
	h_coap_free(&c);
	free(tok);
	free(body);
}

/* 9594 items 2, 27, 30, 31, 32, 34, GO 17: the Join over the DTLS session
 * of the token's key: 2.01, Location-Path, 261, gkty 1, key, num 0, exp and
 * exi, profile 1, kdc_cred with a valid kdc_cred_verify. */
static void
test_9594_27_30_31_32_34_go_17_join(void **state)
{
	struct h_dev d;
	struct h_coap c;
	cbor_item_t *m, *key;
	const uint8_t *p, *cred, *nonce, *sig;
	size_t n, cl, nl, sl;
	struct kdc_cose_key kdc;
	struct kdc_cw in;

	(void)state;
	assert_int_equal(h_dev_token(&env, &d, "devB", "g1:6", 600), 0);
	assert_int_equal(h_dev_join(&env, &d, "g1", 6, &c), 0);
	h_assert_code(&c, 201);
	assert_int_equal(c.cf, KDC_CF_ACE_GROUPCOMM);
	assert_true(strncmp(c.location, "ace-group/g1/nodes/", 19) == 0);
	m = h_cbor(&c);
	assert_non_null(m);
	assert_int_equal(h_map_int(m, KDC_GC_GKTY, -1), 1);
	assert_int_equal(h_map_int(m, KDC_GC_NUM, -1), 0);
	assert_int_equal(h_map_int(m, KDC_GC_ACE_GROUPCOMM_PROFILE, -1), 1);
	assert_true(h_map_int(m, KDC_GC_EXP, 0) > 0);
	assert_true(h_map_int(m, KDC_GC_EXI, 0) > 0);
	/* GO §6.3: group_policies; Point-to-Point needs no rekeying_scheme
	 * and no mgt_key_material (9594 item 39, GO 18, 19). */
	assert_non_null(kdc_cbor_map_get(m, KDC_GC_GROUP_POLICIES));
	assert_null(kdc_cbor_map_get(m, KDC_GC_REKEYING_SCHEME));
	assert_null(kdc_cbor_map_get(m, KDC_GC_MGT_KEY_MATERIAL));
	key = kdc_cbor_map_get(m, KDC_GC_KEY);
	assert_non_null(key);
	assert_true(h_map_bstr(key, KDC_OSC_MS, &p, &n));
	assert_true(h_map_bstr(key, KDC_OSC_CONTEXT_ID, &p, &n));
	assert_true(h_map_bstr(key, KDC_OSC_GROUP_SENDERID, &p, &n));
	assert_int_equal(h_map_int(key, KDC_OSC_CRED_FMT, 0), KDC_HDR_KCCS);
	/* The KDC's PoP over bstr(N_C) || bstr(N_KDC) (RFC 9594 §4.3.1). */
	assert_true(h_map_bstr(m, KDC_GC_KDC_CRED, &cred, &cl));
	assert_true(h_map_bstr(m, KDC_GC_KDC_NONCE, &nonce, &nl));
	assert_true(h_map_bstr(m, KDC_GC_KDC_CRED_VERIFY, &sig, &sl));
	assert_int_equal(kdc_ccs_public_key(cred, cl, &kdc), 0);
	kdc_cw_init(&in);
	kdc_pop_input_kdc(&in, d.nc, sizeof(d.nc), nonce, nl);
	assert_int_equal(
	        kdc_sig_verify(KDC_ALG_EDDSA, &kdc, in.buf, in.len, sig, sl),
	        0);
	kdc_cw_free(&in);
	cbor_decref(&m);
	h_coap_free(&c);
}

/* 9594 items 43, 49, 48 and GO 29: reads of a member. */
static void
test_9594_43_48_49_member_reads(void **state)
{
	struct h_dev d;
	struct h_coap c;
	cbor_item_t *m;
	uint64_t num;

	(void)state;
	assert_int_equal(h_dev_token(&env, &d, "devC", "g1:2", 600), 0);
	assert_int_equal(h_dev_join(&env, &d, "g1", 2, &c), 0);
	h_assert_code(&c, 201);
	h_coap_free(&c);

	dtls_get(&d, "ace-group/g1", &c);
	h_assert_code(&c, 205);
	assert_int_equal(c.cf, KDC_CF_ACE_GROUPCOMM);
	m = h_cbor(&c);
	assert_non_null(m);
	assert_int_equal(h_map_int(m, KDC_GC_GKTY, -1), 1);
	assert_non_null(kdc_cbor_map_get(m, KDC_GC_KEY));
	assert_true(h_map_int(m, KDC_GC_EXI, 0) > 0);
	/* No Sender ID in the group resource (GO §9.1). */
	assert_null(kdc_cbor_map_get(kdc_cbor_map_get(m, KDC_GC_KEY),
	                             KDC_OSC_GROUP_SENDERID));
	cbor_decref(&m);
	h_coap_free(&c);

	dtls_get(&d, "ace-group/g1/num", &c);
	h_assert_code(&c, 205);
	m = h_cbor(&c);
	assert_non_null(m);
	assert_true(kdc_cbor_get_uint(m, &num));
	assert_int_equal(num, d.num);
	cbor_decref(&m);
	h_coap_free(&c);

	dtls_get(&d, "ace-group/g1/policies", &c);
	h_assert_code(&c, 205);
	m = h_cbor(&c);
	assert_non_null(m);
	assert_non_null(kdc_cbor_map_get(m, KDC_GC_GROUP_POLICIES));
	cbor_decref(&m);
	h_coap_free(&c);

	dtls_get(&d, "ace-group/g1/active", &c);
	h_assert_code(&c, 205);
	assert_int_equal(c.cf, KDC_CF_CBOR);
	assert_int_equal(c.len, 1);
	assert_int_equal(c.payload[0], 0xf5); /* true */
	h_coap_free(&c);
}

/* 9594 item 42, 48, 49, 50: non-members get 4.03 with error 0. */
static void
test_9594_42_48_49_50_non_member(void **state)
{
	struct h_dev d;
	struct h_coap c;
	const char *paths[] = {"ace-group/g1", "ace-group/g1/num",
	                       "ace-group/g1/policies",
	                       "ace-group/g1/nodes/n1"};

	(void)state;
	assert_int_equal(h_dev_token(&env, &d, "devD", "g1:6", 600), 0);
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		dtls_get(&d, paths[i], &c);
		h_assert_code(&c, 403);
		assert_int_equal(c.cf, KDC_CF_PROBLEM);
		assert_int_equal(h_error_id(&c), 0);
		h_coap_free(&c);
	}
}

/* 9594 item 13: group resources need a DTLS session bound to a token;
 * plain CoAP gets 4.01. */
static void
test_9594_13_plain_coap_unauthorized(void **state)
{
	struct h_req r = {0};
	struct h_coap c;

	(void)state;
	r.method = "get";
	r.path = "ace-group/g1";
	r.cf = -1;
	assert_int_equal(h_coap(&env, &r, &c), 0);
	h_assert_code(&c, 401);
	h_coap_free(&c);
}

/* 9594 item 51 (success path) and GO 15, 31: Key Renewal gives a new
 * Sender ID in group_senderId (21). */
static void
test_9594_51_go_31_key_renewal(void **state)
{
	struct h_dev d;
	struct h_coap c;
	struct h_req r = {0};
	char path[128];
	cbor_item_t *m;
	const uint8_t *p;
	size_t n;

	(void)state;
	assert_int_equal(h_dev_token(&env, &d, "devE", "g1:4", 600), 0);
	assert_int_equal(h_dev_join(&env, &d, "g1", 4, &c), 0);
	h_assert_code(&c, 201);
	h_coap_free(&c);
	snprintf(path, sizeof(path), "ace-group/g1/nodes/%s", d.node);
	r.method = "post";
	r.path = path;
	r.dtls = true;
	r.kid = d.kid;
	r.key = d.key;
	r.cf = -1;
	assert_int_equal(h_coap(&env, &r, &c), 0);
	h_assert_code(&c, 205);
	m = h_cbor(&c);
	assert_non_null(m);
	assert_true(h_map_bstr(m, KDC_GC_GROUP_SENDERID, &p, &n));
	assert_false(n == d.sid_len && memcmp(p, d.sid, n) == 0);
	cbor_decref(&m);
	h_coap_free(&c);
}

/* 9594 item 52: DELETE nodes/NODENAME → 2.02, then the group is closed
 * to it (4.03 error 0). */
static void
test_9594_52_leave(void **state)
{
	struct h_dev d;
	struct h_coap c;
	struct h_req r = {0};
	char path[128];

	(void)state;
	assert_int_equal(h_dev_token(&env, &d, "devF", "g1:6", 600), 0);
	assert_int_equal(h_dev_join(&env, &d, "g1", 6, &c), 0);
	h_assert_code(&c, 201);
	h_coap_free(&c);
	snprintf(path, sizeof(path), "ace-group/g1/nodes/%s", d.node);
	r.method = "delete";
	r.path = path;
	r.dtls = true;
	r.kid = d.kid;
	r.key = d.key;
	r.cf = -1;
	assert_int_equal(h_coap(&env, &r, &c), 0);
	h_assert_code(&c, 202);
	assert_int_equal(c.len, 0);
	h_coap_free(&c);
	dtls_get(&d, "ace-group/g1", &c);
	h_assert_code(&c, 403);
	assert_int_equal(h_error_id(&c), 0);
	h_coap_free(&c);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(
	                test_9594_04_05_06_09_10_authz_info, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_9594_27_30_31_32_34_go_17_join, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_9594_43_48_49_member_reads,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_9594_42_48_49_50_non_member, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_9594_13_plain_coap_unauthorized, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_9594_51_go_31_key_renewal,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_9594_52_leave, setup,
	                                        teardown),
	};

	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests_name("e2e_flow", tests, NULL, NULL);
}
