/* SPDX-License-Identifier: Apache-2.0 */
/*
 * DTLS raw public keys (RFC 9202 §3.2) through the real processes: the
 * client's P-256 key is the token's cnf; the session authenticated with it
 * is bound to the token; a Join may then present that key as its
 * credential with an empty PoP (GO §6.1, §6.2 step 3), or prove it with an
 * ES256 signature.
 */
#include "harness.h"

#include "crypto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct h_env env;
static struct kdc_cose_key client_key;
static char client_pem[1300];

static int setup_rest(void);

static int
setup(void **state)
{
	struct h_opts o = {.frontends = 1, .reuse_port = true, .rpk = true};

	(void)state;
	if (h_env_start(&env, &o) != 0)
		return -1;
	if (setup_rest() != 0) {
		h_env_stop(&env);
		return -1;
	}
	return 0;
}

/* An ES256 group, and the client's key as COSE_Key + PEM. */
static int
setup_rest(void)
{
	char cose[1300], cmd[4000];
	uint8_t buf[512];
	size_t n;
	FILE *f;
	cbor_item_t *it = NULL;
	int rc;

	if (h_group_create(&env, "g1",
	                   "--sign-alg ES256 --rekey-on-join off") != 0)
		return -1;
	snprintf(cose, sizeof(cose), "%s/client.cose", env.dir);
	snprintf(client_pem, sizeof(client_pem), "%s/client.pem", env.dir);
	snprintf(cmd, sizeof(cmd),
	         "%s/tools/kdc-token keygen --type p256 --out %s --pem-out %s "
	         "2>/dev/null",
	         env.bin, cose, client_pem);
	if (system(cmd) != 0 || (f = fopen(cose, "rb")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	rc = kdc_cbor_decode(buf, n, NULL, &it) == KDC_CBOR_OK &&
	                     kdc_cose_key_decode(it, &client_key) == 0
	             ? 0
	             : -1;
	if (it != NULL)
		cbor_decref(&it);
	return rc;
}

static int
teardown(void **state)
{
	(void)state;
	h_env_stop(&env);
	kdc_cose_key_wipe(&client_key);
	return 0;
}

/* POST the RPK-bound token; returns N_S. */
static void
post_token(uint8_t *ns, size_t *ns_len)
{
	struct h_token t = {
	        .scope = "g1:6", .lifetime = 600, .rpk = &client_key};
	struct h_req r = {0};
	struct h_coap c;
	uint8_t *tok, *body;
	size_t tl, bl;
	cbor_item_t *m;
	const uint8_t *p;

	assert_int_equal(h_mint(&env, &t, &tok, &tl), 0);
	assert_int_equal(h_ace_cbor(tok, tl, false, false, false, &body, &bl),
	                 0);
	r.method = "post";
	r.path = "authz-info";
	r.cf = KDC_CF_ACE_CBOR;
	r.payload = body;
	r.len = bl;
	assert_int_equal(h_coap(&env, &r, &c), 0);
	h_assert_code(&c, 201);
	m = h_cbor(&c);
	assert_non_null(m);
	assert_true(h_map_bstr(m, KDC_OAUTH_KDCCHALLENGE, &p, ns_len));
	memcpy(ns, p, *ns_len);
	cbor_decref(&m);
	h_coap_free(&c);
	free(tok);
	free(body);
}

static void
join(const uint8_t *ns, size_t ns_len, bool empty_pop, struct h_coap *c)
{
	struct kdc_cw w, scope, in;
	struct h_req r = {0};
	uint8_t nc[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
	uint8_t sig[64];
	size_t sig_len = 0;
	struct kdc_cw cred;

	kdc_cw_init(&cred);
	kdc_ccs_encode(&cred, "device", &client_key);
	kdc_cw_init(&scope);
	kdc_scope_encode_entry(&scope, "g1", 6);
	kdc_cw_init(&in);
	kdc_pop_input_client(&in, scope.buf, scope.len, ns, ns_len, nc,
	                     sizeof(nc));
	if (!empty_pop)
		assert_int_equal(kdc_sig_sign(KDC_ALG_ES256, &client_key,
		                              in.buf, in.len, sig, &sig_len),
		                 0);
	kdc_cw_init(&w);
	kdc_cw_map(&w, 4);
	kdc_cw_uint(&w, KDC_GC_SCOPE);
	kdc_cw_bstr(&w, scope.buf, scope.len);
	kdc_cw_uint(&w, KDC_GC_CLIENT_CRED);
	kdc_cw_bstr(&w, cred.buf, cred.len);
	kdc_cw_uint(&w, KDC_GC_CNONCE);
	kdc_cw_bstr(&w, nc, sizeof(nc));
	kdc_cw_uint(&w, KDC_GC_CLIENT_CRED_VERIFY);
	kdc_cw_bstr(&w, sig, sig_len);
	r.method = "post";
	r.path = "ace-group/g1";
	r.dtls = true;
	r.rpk_pem = client_pem;
	r.cf = KDC_CF_ACE_GROUPCOMM;
	r.payload = w.buf;
	r.len = w.len;
	assert_int_equal(h_coap(&env, &r, c), 0);
	kdc_cw_free(&w);
	kdc_cw_free(&scope);
	kdc_cw_free(&in);
	kdc_cw_free(&cred);
}

/* 9594 items 2, 3; ACE RPK mode: Join over the RPK session with an ES256
 * PoP signature; the KDC answers with its P-256 credential. */
static void
test_9202_rpk_join_es256(void **state)
{
	uint8_t ns[64];
	size_t ns_len;
	struct h_coap c;
	cbor_item_t *m;
	const uint8_t *cred;
	size_t cl;
	struct kdc_cose_key kdc;

	(void)state;
	post_token(ns, &ns_len);
	join(ns, ns_len, false, &c);
	h_assert_code(&c, 201);
	m = h_cbor(&c);
	assert_true(h_map_bstr(m, KDC_GC_KDC_CRED, &cred, &cl));
	assert_int_equal(kdc_ccs_public_key(cred, cl, &kdc), 0);
	assert_int_equal(kdc.kty, KDC_KTY_EC2); /* GO §2: group's format */
	assert_int_equal(
	        kdc_cbor_array_len(kdc_cbor_array_at(
	                kdc_cbor_map_get(kdc_cbor_map_get(m, KDC_GC_KEY),
	                                 KDC_OSC_SIGN_PARAMS),
	                1)),
	        2);
	cbor_decref(&m);
	h_coap_free(&c);
}

/* GO item 8: an empty PoP is accepted when possession of the credential's
 * key was proven by the secure association (the RPK session). */
static void
test_go_08_empty_pop_rpk_session(void **state)
{
	uint8_t ns[64];
	size_t ns_len;
	struct h_coap c;

	(void)state;
	post_token(ns, &ns_len);
	join(ns, ns_len, true, &c);
	h_assert_code(&c, 201);
	h_coap_free(&c);
}

/* A raw public key without a token fails the handshake. */
static void
test_9202_rpk_without_token_refused(void **state)
{
	struct h_req r = {0};
	struct h_coap c;

	(void)state;
	r.method = "get";
	r.path = "ace-group/g1/num";
	r.dtls = true;
	r.rpk_pem = client_pem;
	r.cf = -1;
	assert_int_not_equal(h_coap(&env, &r, &c), 0);
	assert_int_equal(c.code, 0);
	h_coap_free(&c);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_9202_rpk_join_es256, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(
	                test_go_08_empty_pop_rpk_session, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_9202_rpk_without_token_refused, setup, teardown),
	};

	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests_name("e2e_rpk", tests, NULL, NULL);
}
