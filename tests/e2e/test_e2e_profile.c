/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Group OSCORE profile items through the real processes: pairwise-only
 * groups (MAC PoP with the KDC's DH credential), low-order keys, Sender ID
 * exhaustion and uniqueness, Gid reuse with elder eviction, verifiers
 * elsewhere, kdcchallenge omission, rekey folding under a flood, and that no
 * secret reaches a log line.
 */
#include "harness.h"

#include "crypto.h"
#include "log.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static struct h_env env;

static int
setup(void **state)
{
	(void)state;
	return h_env_start(&env, NULL);
}

static int
teardown(void **state)
{
	(void)state;
	h_env_stop(&env);
	return 0;
}

static int64_t
group_field(const char *group, const char *field)
{
	static char out[65536];
	char *p;
	char key[64];

	if (h_admin(&env, out, sizeof(out), "--json group show %s", group) != 0)
		return -1;
	snprintf(key, sizeof(key), "\"%s\":", field);
	p = strstr(out, key);
	if (p == NULL)
		return -1;
	return strtoll(p + strlen(key), NULL, 10);
}

/* GO items 5, 7: a pairwise-only group.  The token transfer gives the
 * KDC's DH credential (kdc_dh_creds, 48) and ecdh_info (47) when asked;
 * the Join's PoP is the 8-byte HKDF MAC over the ECDH secret with that
 * key, and the KDC's own evidence is the MAC the other way round. */
static void
test_go_05_07_pairwise_only_mac_pop(void **state)
{
	struct h_token t = {.kid = "pw1",
	                    .key = "pairwise-key-012",
	                    .scope = "pw:6",
	                    .lifetime = 600};
	struct h_req r = {0};
	struct h_coap c;
	uint8_t *tok, *body, x_sk[32], x_pk[32], shared[32], mac[8], nc[16];
	size_t tl, bl;
	cbor_item_t *m, *entry;
	const uint8_t *kdc_cred, *ns, *p;
	size_t kdc_cred_len, ns_len, n;
	struct kdc_cose_key kdc_pub, cl;
	struct kdc_cw cred, scope, in, w;
	struct h_dev d;

	(void)state;
	assert_int_equal(h_group_create(&env, "pw",
	                                "--group-mode off --rekey-on-join off"),
	                 0);
	assert_int_equal(h_mint(&env, &t, &tok, &tl), 0);
	assert_int_equal(h_ace_cbor(tok, tl, true, true, true, &body, &bl), 0);
	r.method = "post";
	r.path = "authz-info";
	r.cf = KDC_CF_ACE_CBOR;
	r.payload = body;
	r.len = bl;
	assert_int_equal(h_coap(&env, &r, &c), 0);
	h_assert_code(&c, 201);
	m = h_cbor(&c);
	assert_non_null(m);
	/* No sign_info for a pairwise-only group; ecdh_info and the DH
	 * credential instead. */
	assert_null(kdc_cbor_map_get(m, KDC_OAUTH_SIGN_INFO));
	assert_non_null(kdc_cbor_map_get(m, KDC_OAUTH_ECDH_INFO));
	entry = kdc_cbor_array_at(kdc_cbor_map_get(m, KDC_OAUTH_KDC_DH_CREDS),
	                          0);
	assert_int_equal(kdc_cbor_array_len(entry), 3);
	assert_true(kdc_cbor_get_bstr(kdc_cbor_array_at(entry, 2), &kdc_cred,
	                              &kdc_cred_len));
	assert_int_equal(kdc_ccs_public_key(kdc_cred, kdc_cred_len, &kdc_pub),
	                 0);
	assert_int_equal(kdc_pub.crv, KDC_CRV_X25519);
	assert_true(h_map_bstr(m, KDC_OAUTH_KDCCHALLENGE, &ns, &ns_len));

	/* The device: an X25519 credential and the MAC PoP. */
	memset(&cl, 0, sizeof(cl));
	assert_int_equal(kdc_x25519_keypair(x_pk, x_sk), 0);
	cl.kty = KDC_KTY_OKP;
	cl.crv = KDC_CRV_X25519;
	memcpy(cl.x, x_pk, 32);
	cl.has_pub = true;
	kdc_cw_init(&cred);
	kdc_ccs_encode(&cred, "device", &cl);
	kdc_cw_init(&scope);
	kdc_scope_encode_entry(&scope, "pw", 6);
	kdc_random(nc, sizeof(nc));
	kdc_cw_init(&in);
	kdc_pop_input_client(&in, scope.buf, scope.len, ns, ns_len, nc,
	                     sizeof(nc));
	assert_int_equal(kdc_x25519(shared, x_sk, kdc_pub.x), 0);
	assert_int_equal(kdc_pop_mac(shared, 32, in.buf, in.len, mac), 0);
	kdc_cw_init(&w);
	kdc_cw_map(&w, 4);
	kdc_cw_uint(&w, KDC_GC_SCOPE);
	kdc_cw_bstr(&w, scope.buf, scope.len);
	kdc_cw_uint(&w, KDC_GC_CLIENT_CRED);
	kdc_cw_bstr(&w, cred.buf, cred.len);
	kdc_cw_uint(&w, KDC_GC_CNONCE);
	kdc_cw_bstr(&w, nc, sizeof(nc));
	kdc_cw_uint(&w, KDC_GC_CLIENT_CRED_VERIFY);
	kdc_cw_bstr(&w, mac, sizeof(mac));
	memset(&d, 0, sizeof(d));
	snprintf(d.kid, sizeof(d.kid), "%s", t.kid);
	snprintf(d.key, sizeof(d.key), "%s", t.key);
	cbor_decref(&m);
	h_coap_free(&c);
	{
		struct h_req j = h_dreq(&d, "post", "ace-group/pw",
		                        KDC_CF_ACE_GROUPCOMM, w.buf, w.len);

		assert_int_equal(h_coap(&env, &j, &c), 0);
	}
	h_assert_code(&c, 201);
	m = h_cbor(&c);
	{
		/* The KDC's MAC over bstr(N_C) || bstr(N_KDC). */
		const uint8_t *nonce, *ev;
		size_t nl, el;
		struct kdc_cw kin;
		uint8_t expect[8];

		assert_true(h_map_bstr(m, KDC_GC_KDC_NONCE, &nonce, &nl));
		assert_true(h_map_bstr(m, KDC_GC_KDC_CRED_VERIFY, &ev, &el));
		assert_int_equal(el, 8);
		kdc_cw_init(&kin);
		kdc_pop_input_kdc(&kin, nc, sizeof(nc), nonce, nl);
		assert_int_equal(
		        kdc_pop_mac(shared, 32, kin.buf, kin.len, expect), 0);
		assert_memory_equal(expect, ev, 8);
		kdc_cw_free(&kin);
		/* No group-mode parameters in the key (GO §6.3). */
		assert_false(h_map_bstr(kdc_cbor_map_get(m, KDC_GC_KEY),
		                        KDC_OSC_SIGN_ALG, &p, &n));
		assert_null(kdc_cbor_map_get(kdc_cbor_map_get(m, KDC_GC_KEY),
		                             KDC_OSC_SIGN_ALG));
	}
	cbor_decref(&m);
	h_coap_free(&c);
	kdc_cw_free(&w);
	kdc_cw_free(&in);
	kdc_cw_free(&scope);
	kdc_cw_free(&cred);
	free(tok);
	free(body);
}

/* GO item 12: in a group that uses the pairwise mode with EdDSA, an
 * Ed25519 key without a Montgomery form (the identity point, y = 1) is
 * refused with 4.00 error 2. */
static void
test_go_12_low_order_ed25519_refused(void **state)
{
	struct h_dev d;
	struct h_coap c;
	struct kdc_cw w;

	(void)state;
	assert_int_equal(h_group_create(&env, "g1", "--rekey-on-join off"), 0);
	assert_int_equal(h_dev_token(&env, &d, "lo1", "g1:6", 600), 0);
	memset(d.cred_key.x, 0, 32);
	d.cred_key.x[0] = 0x01; /* y = 1, x = 0 */
	kdc_cw_init(&w);
	kdc_ccs_encode(&w, "device", &d.cred_key);
	memcpy(d.cred, w.buf, w.len);
	d.cred_len = w.len;
	kdc_cw_free(&w);
	assert_int_equal(h_dev_join(&env, &d, "g1", 6, &c), 0);
	h_assert_code(&c, 400);
	assert_int_equal(h_error_id(&c), 2);
	h_coap_free(&c);
}

/* GO items 10, 13, 14: Sender IDs are unique, at most sid_max_len bytes,
 * never handed out twice under one Gid; when the space is exhausted the
 * Join gets 5.03 error 4, and a rekey (new Gid) opens the space again. */
static void
test_go_10_14_sender_id_exhaustion_and_uniqueness(void **state)
{
	static uint8_t seen[256];
	struct h_dev d;
	struct h_coap c;
	char kid[16];
	int ok = 0;

	(void)state;
	assert_int_equal(
	        h_group_create(&env, "g1",
	                       "--rekey-on-join off --rekey-on-leave off "
	                       "--sid-max-len 1"),
	        0);
	memset(seen, 0, sizeof(seen));
	for (int i = 0; i < 256; i++) {
		snprintf(kid, sizeof(kid), "s%d", i);
		assert_int_equal(h_dev_token(&env, &d, kid, "g1:6", 600), 0);
		assert_int_equal(h_dev_join(&env, &d, "g1", 6, &c), 0);
		h_assert_code(&c, 201);
		h_coap_free(&c);
		assert_int_equal(d.sid_len, 1);
		if (seen[d.sid[0]])
			fail_msg("Sender ID %02x handed out twice", d.sid[0]);
		seen[d.sid[0]] = 1;
		ok++;
	}
	assert_int_equal(ok, 256);
	assert_int_equal(h_dev_token(&env, &d, "s256", "g1:6", 600), 0);
	assert_int_equal(h_dev_join(&env, &d, "g1", 6, &c), 0);
	h_assert_code(&c, 503);
	assert_int_equal(h_error_id(&c), 4);
	h_coap_free(&c);
}

/* GO item 20: with a 1-byte epoch the Gid is reused after 256 rekeys; the
 * members whose Birth Gid that is are evicted first. */
static void
test_go_20_gid_reuse_evicts_elders(void **state)
{
	struct h_dev a, b;
	struct h_coap c;
	char out[8192];

	(void)state;
	assert_int_equal(
	        h_group_create(&env, "g1",
	                       "--rekey-on-join off --rekey-on-leave off "
	                       "--gid-epoch-len 1"),
	        0);
	assert_int_equal(h_dev_token(&env, &a, "el1", "g1:6", 600), 0);
	assert_int_equal(h_dev_join(&env, &a, "g1", 6, &c), 0); /* epoch 0 */
	h_assert_code(&c, 201);
	h_coap_free(&c);
	assert_int_equal(h_admin(&env, out, sizeof(out), "rekey g1"), 0);
	assert_int_equal(h_dev_token(&env, &b, "el2", "g1:6", 600), 0);
	assert_int_equal(h_dev_join(&env, &b, "g1", 6, &c), 0); /* epoch 1 */
	h_assert_code(&c, 201);
	h_coap_free(&c);
	/* 255 more rekeys: epoch 256 mod 256 = 0, a's Birth Gid. */
	for (int i = 0; i < 255; i++)
		assert_int_equal(h_admin(&env, out, sizeof(out), "rekey g1"),
		                 0);
	assert_int_equal(
	        h_admin(&env, out, sizeof(out), "--json member list g1"), 0);
	if (strstr(out, a.node) != NULL || strstr(out, b.node) == NULL)
		fail_msg("elder eviction wrong: %s", out);
	assert_int_equal(group_field("g1", "num"), 256);
}

/* GO item 26: a verifier that is not a member gets 4.03 on the member
 * resources. */
static void
test_go_26_verifier_elsewhere_forbidden(void **state)
{
	struct h_dev v;
	struct h_coap c;
	struct h_req r;
	const char *paths[] = {"ace-group/g1", "ace-group/g1/num",
	                       "ace-group/g1/policies", "ace-group/g1/active"};

	(void)state;
	assert_int_equal(h_group_create(&env, "g1", "--rekey-on-join off"), 0);
	assert_int_equal(h_dev_token(&env, &v, "ve1", "g1:16", 600), 0);
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		r = h_dreq(&v, "get", paths[i], -1, NULL, 0);
		assert_int_equal(h_coap(&env, &r, &c), 0);
		h_assert_code(&c, 403);
		h_coap_free(&c);
	}
	/* A verifier cannot join as such (GO §8.5): 4.00. */
	assert_int_equal(h_dev_join(&env, &v, "g1", 16, &c), 0);
	h_assert_code(&c, 400);
	h_coap_free(&c);
}

/* GO item 4: kdcchallenge is omitted only when every scope entry is
 * monitor-only, verifier-only or monitor+verifier. */
static void
test_go_04_kdcchallenge_omission(void **state)
{
	const char *scopes[] = {"g1:8", "g1:16,g2:24", "g1:2"};
	const bool expect[] = {false, false, true};

	(void)state;
	assert_int_equal(h_group_create(&env, "g1", NULL), 0);
	for (size_t i = 0; i < 3; i++) {
		struct h_token t = {.kid = "nc1",
		                    .key = "abcdefabcdefabcd",
		                    .scope = scopes[i],
		                    .lifetime = 600};
		struct h_req r = {0};
		struct h_coap c;
		uint8_t *tok, *body;
		size_t tl, bl;
		cbor_item_t *m;

		assert_int_equal(h_mint(&env, &t, &tok, &tl), 0);
		assert_int_equal(
		        h_ace_cbor(tok, tl, false, false, false, &body, &bl),
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
		assert_int_equal(kdc_cbor_map_get(m, KDC_OAUTH_KDCCHALLENGE) !=
		                         NULL,
		                 expect[i]);
		cbor_decref(&m);
		h_coap_free(&c);
		free(tok);
		free(body);
	}
}

/* 9594 item 64 (and §10.2 congestion): joins arriving together with
 * backward security cause one rekey per min_rekey_interval, not one each;
 * every joiner still gets never-used material. */
static void
test_9594_64_rekeys_fold_under_a_flood(void **state)
{
	struct h_dev d[6];
	pid_t pid[6];
	int64_t before, after;

	(void)state;
	assert_int_equal(h_group_create(&env, "g1",
	                                "--rekey-on-join on "
	                                "--min-rekey-interval 3000"),
	                 0);
	for (int i = 0; i < 6; i++) {
		char kid[16];

		snprintf(kid, sizeof(kid), "fl%d", i);
		assert_int_equal(h_dev_token(&env, &d[i], kid, "g1:6", 600), 0);
	}
	before = group_field("g1", "rekeys_done");
	for (int i = 0; i < 6; i++) {
		pid[i] = fork();
		if (pid[i] == 0) {
			struct h_coap c;

			if (h_dev_join(&env, &d[i], "g1", 6, &c) != 0)
				_exit(2);
			_exit(c.code == 201 ? 0 : 1);
		}
	}
	for (int i = 0; i < 6; i++) {
		int st;

		assert_int_equal(waitpid(pid[i], &st, 0), pid[i]);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	after = group_field("g1", "rekeys_done");
	/* Creation set the interval clock: at most two rekeys for six
	 * joins that arrived within one interval. */
	if (after - before < 1 || after - before > 2)
		fail_msg("%lld rekeys for 6 simultaneous joins",
		         (long long)(after - before));
}

/* GO item 36: no secret reaches a log line — neither the PoP key, nor the
 * Master Secret given to a member. */
static void
test_go_36_no_secrets_in_logs(void **state)
{
	struct h_dev d;
	struct h_coap c;
	cbor_item_t *m;
	const uint8_t *ms;
	size_t n;
	char hex[80], cmd[4096];

	(void)state;
	assert_int_equal(h_group_create(&env, "g1", "--rekey-on-join off"), 0);
	assert_int_equal(h_dev_token(&env, &d, "sec1", "g1:6", 600), 0);
	assert_int_equal(h_dev_join(&env, &d, "g1", 6, &c), 0);
	h_assert_code(&c, 201);
	m = h_cbor(&c);
	assert_true(h_map_bstr(kdc_cbor_map_get(m, KDC_GC_KEY), KDC_OSC_MS, &ms,
	                       &n));
	kdc_hex(hex, sizeof(hex), ms, n);
	cbor_decref(&m);
	h_coap_free(&c);
	snprintf(cmd, sizeof(cmd),
	         "! grep -r -i -e '%s' -e '%s' %s/keystore.log "
	         "%s/frontend-0.log",
	         hex, d.key, env.dir, env.dir);
	assert_int_equal(system(cmd), 0);
	/* 9594 item 18: the detail text of error answers is logged. */
	{
		struct h_coap e;
		struct h_req r =
		        h_dreq(&d, "get", "ace-group/nosuch/num", -1, NULL, 0);

		assert_int_equal(h_coap(&env, &r, &e), 0);
		h_coap_free(&e);
		snprintf(cmd, sizeof(cmd),
		         "grep -q '4.04 to .*: no such' %s/frontend-0.log",
		         env.dir);
		assert_int_equal(system(cmd), 0);
	}
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(
	                test_go_05_07_pairwise_only_mac_pop, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_go_12_low_order_ed25519_refused, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_go_10_14_sender_id_exhaustion_and_uniqueness,
	                setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_go_20_gid_reuse_evicts_elders, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_go_26_verifier_elsewhere_forbidden, setup,
	                teardown),
	        cmocka_unit_test_setup_teardown(
	                test_go_04_kdcchallenge_omission, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_9594_64_rekeys_fold_under_a_flood, setup,
	                teardown),
	        cmocka_unit_test_setup_teardown(test_go_36_no_secrets_in_logs,
	                                        setup, teardown),
	};

	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests_name("e2e_profile", tests, NULL, NULL);
}
