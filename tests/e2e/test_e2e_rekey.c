/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Rekeying through the real processes (RFC 9594 §5, §6, §10.2; Group
 * OSCORE profile §7, §10, §11): joins with backward security, leaves and
 * evictions with forward security, token expiry, material expiry (also
 * across a keystore restart), group deletion — all observed with
 * coap-client -s on /ace-group/GROUPNAME and nodes/NODENAME.
 */
#include "harness.h"

#include <signal.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <string.h>
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

static void
join_ok(struct h_dev *d, const char *kid, const char *group, uint64_t perm)
{
	char scope[64];
	struct h_coap c;

	snprintf(scope, sizeof(scope), "%s:%llu", group,
	         (unsigned long long)perm);
	assert_int_equal(h_dev_token(&env, d, kid, scope, 600), 0);
	assert_int_equal(h_dev_join(&env, d, group, perm, &c), 0);
	h_assert_code(&c, 201);
	h_coap_free(&c);
}

/* The newest 2.05 notification of an observer, decoded (or NULL). */
static cbor_item_t *
last_notification(struct h_coap *n, int count)
{
	for (int i = count - 1; i >= 1; i--)
		if (n[i].code == 205)
			return h_cbor(&n[i]);
	return NULL;
}

static void
free_all(struct h_coap *n, int count)
{
	for (int i = 0; i < count; i++)
		h_coap_free(&n[i]);
}

/* 9594 items 29, 33, 58, 59, 60, 61; GO 21, 22, 24: with backward security
 * a Join rekeys the group; observers of /ace-group/g1 get the
 * Point-to-Point rekeying message with num + 1, a key holding only ms,
 * contextId and salt, stale_node_ids, and the joiner's credential. */
static void
test_9594_29_33_58_59_60_61_go_21_22_24_join_rekeys(void **state)
{
	struct h_dev a, b, c;
	struct h_obs oa, ob;
	struct h_coap na[16], nb[16];
	int ca, cb;
	cbor_item_t *m, *key;
	const uint8_t *p;
	size_t n;

	(void)state;
	assert_int_equal(h_group_create(&env, "g1", "--min-rekey-interval 0"),
	                 0);
	join_ok(&a, "ra", "g1", 6);
	/* The joiner's answer waited for the rekey: never-used material. */
	assert_int_equal(a.num, 1);
	join_ok(&b, "rb", "g1", 6);
	assert_int_equal(b.num, 2);
	assert_int_equal(h_observe_start(&env, &a, "ace-group/g1", 20, &oa), 0);
	assert_int_equal(h_observe_start(&env, &b, "ace-group/g1", 20, &ob), 0);
	assert_true(h_observe_wait(&oa, 1, 10000) >= 1);
	assert_true(h_observe_wait(&ob, 1, 10000) >= 1);
	join_ok(&c, "rc", "g1", 2);
	assert_int_equal(c.num, 3);
	assert_true(h_observe_wait(&oa, 2, 10000) >= 2);
	assert_true(h_observe_wait(&ob, 2, 10000) >= 2);
	ca = h_observe_stop(&oa, na, 16);
	cb = h_observe_stop(&ob, nb, 16);
	h_assert_code(&na[0], 205);
	assert_true(na[0].observe);
	m = last_notification(na, ca);
	assert_non_null(m);
	assert_int_equal(h_map_int(m, KDC_GC_NUM, -1), 3);
	assert_int_equal(h_map_int(m, KDC_GC_GKTY, -1), 1);
	assert_true(h_map_int(m, KDC_GC_EXI, 0) > 0);
	key = kdc_cbor_map_get(m, KDC_GC_KEY);
	assert_non_null(key);
	assert_true(h_map_bstr(key, KDC_OSC_MS, &p, &n));
	assert_true(h_map_bstr(key, KDC_OSC_CONTEXT_ID, &p, &n));
	assert_null(kdc_cbor_map_get(key, KDC_OSC_SIGN_ALG)); /* GO §11.1 */
	assert_non_null(kdc_cbor_map_get(m, KDC_GC_STALE_NODE_IDS));
	/* The joiner's credential rides along (RFC 9594 §6). */
	assert_int_equal(kdc_cbor_array_len(kdc_cbor_map_get(m, KDC_GC_CREDS)),
	                 1);
	assert_int_equal(kdc_cbor_array_len(
	                         kdc_cbor_map_get(m, KDC_GC_PEER_IDENTIFIERS)),
	                 1);
	cbor_decref(&m);
	m = last_notification(nb, cb);
	assert_non_null(m);
	assert_int_equal(h_map_int(m, KDC_GC_NUM, -1), 3);
	cbor_decref(&m);
	free_all(na, ca);
	free_all(nb, cb);
}

/* 9594 items 52, 54, 56, 57; GO 21, 35, 23: a leave removes the member and
 * rekeys the rest; its Sender ID is in stale_node_ids; its own group
 * observation ends with 4.03 instead of receiving new keys. */
static void
test_9594_52_54_56_57_go_21_23_35_leave_rekeys(void **state)
{
	struct h_dev a, b;
	struct h_obs oa, ob;
	struct h_coap na[16], nb[16], c;
	struct h_req r = {0};
	char path[128];
	int ca, cb;
	cbor_item_t *m, *stale;
	bool found = false;

	(void)state;
	assert_int_equal(h_group_create(&env, "g1",
	                                "--rekey-on-join off "
	                                "--min-rekey-interval 0"),
	                 0);
	join_ok(&a, "la", "g1", 6);
	join_ok(&b, "lb", "g1", 6);
	assert_int_equal(h_observe_start(&env, &a, "ace-group/g1", 20, &oa), 0);
	assert_int_equal(h_observe_start(&env, &b, "ace-group/g1", 20, &ob), 0);
	assert_true(h_observe_wait(&oa, 1, 10000) >= 1);
	assert_true(h_observe_wait(&ob, 1, 10000) >= 1);
	snprintf(path, sizeof(path), "ace-group/g1/nodes/%s", b.node);
	r.method = "delete";
	r.path = path;
	r.dtls = true;
	r.kid = b.kid;
	r.key = b.key;
	r.cf = -1;
	assert_int_equal(h_coap(&env, &r, &c), 0);
	h_assert_code(&c, 202);
	h_coap_free(&c);
	assert_true(h_observe_wait(&oa, 2, 10000) >= 2);
	h_observe_wait(&ob, 2, 3000);
	ca = h_observe_stop(&oa, na, 16);
	cb = h_observe_stop(&ob, nb, 16);
	m = last_notification(na, ca);
	assert_non_null(m);
	assert_int_equal(h_map_int(m, KDC_GC_NUM, -1), (int64_t)a.num + 1);
	stale = kdc_cbor_map_get(m, KDC_GC_STALE_NODE_IDS);
	for (size_t i = 0; i < kdc_cbor_array_len(stale); i++) {
		const uint8_t *p;
		size_t n;

		if (kdc_cbor_get_bstr(kdc_cbor_array_at(stale, i), &p, &n) &&
		    n == b.sid_len && memcmp(p, b.sid, n) == 0)
			found = true;
	}
	assert_true(found);
	cbor_decref(&m);
	/* The leaver never got the new version. */
	for (int i = 1; i < cb; i++) {
		if (nb[i].code == 205) {
			m = h_cbor(&nb[i]);
			assert_non_null(m);
			assert_true(h_map_int(m, KDC_GC_NUM, -1) <=
			            (int64_t)b.num);
			cbor_decref(&m);
		}
	}
	free_all(na, ca);
	free_all(nb, cb);
}

/* 9594 items 54, 55; GO 35: an operator eviction ends the member's
 * observation of nodes/NODENAME with 4.04 and error 5. */
static void
test_9594_54_55_eviction_notice(void **state)
{
	struct h_dev a;
	struct h_obs o;
	struct h_coap n[8];
	char path[128], out[4096];
	int cnt;

	(void)state;
	assert_int_equal(h_group_create(&env, "g1", "--rekey-on-join off"), 0);
	join_ok(&a, "ea", "g1", 6);
	snprintf(path, sizeof(path), "ace-group/g1/nodes/%s", a.node);
	assert_int_equal(h_observe_start(&env, &a, path, 15, &o), 0);
	assert_true(h_observe_wait(&o, 1, 10000) >= 1);
	assert_int_equal(
	        h_admin(&env, out, sizeof(out), "member evict g1 %s", a.node),
	        0);
	h_observe_wait(&o, 2, 10000);
	cnt = h_observe_stop(&o, n, 8);
	assert_true(cnt >= 2);
	h_assert_code(&n[0], 205);
	h_assert_code(&n[cnt - 1], 404);
	assert_int_equal(h_error_id(&n[cnt - 1]), 5);
	free_all(n, cnt);
	assert_int_equal(
	        h_admin(&env, out, sizeof(out), "--json member list g1"), 0);
	assert_null(strstr(out, a.node));
}

/* 9594 item 55 (error 6): deleting a group sends 4.04 with error 6 to the
 * observers of /ace-group/GROUPNAME. */
static void
test_9594_55_group_deleted_notice(void **state)
{
	struct h_dev a;
	struct h_obs o;
	struct h_coap n[8];
	char out[4096];
	int cnt;

	(void)state;
	assert_int_equal(h_group_create(&env, "g1", "--rekey-on-join off"), 0);
	join_ok(&a, "da", "g1", 6);
	assert_int_equal(h_observe_start(&env, &a, "ace-group/g1", 15, &o), 0);
	assert_true(h_observe_wait(&o, 1, 10000) >= 1);
	assert_int_equal(
	        h_admin(&env, out, sizeof(out), "group delete g1 --yes"), 0);
	h_observe_wait(&o, 2, 10000);
	cnt = h_observe_stop(&o, n, 8);
	assert_true(cnt >= 2);
	h_assert_code(&n[cnt - 1], 404);
	assert_int_equal(h_error_id(&n[cnt - 1]), 6);
	free_all(n, cnt);
}

/* RFC 9200 §5.10.3, 9594 §5 reason 3: a member whose token expires is
 * removed (its observation ends with 4.01), and the group is rekeyed. */
static void
test_9594_56_token_expiry_evicts_and_rekeys(void **state)
{
	struct h_dev a, b;
	struct h_obs oa, ob;
	struct h_coap na[16], nb[16], c;
	int ca, cb;
	cbor_item_t *m;

	(void)state;
	assert_int_equal(h_group_create(&env, "g1",
	                                "--rekey-on-join off "
	                                "--min-rekey-interval 0"),
	                 0);
	join_ok(&a, "ta", "g1", 6);
	assert_int_equal(h_dev_token(&env, &b, "tb", "g1:6", 5), 0);
	assert_int_equal(h_dev_join(&env, &b, "g1", 6, &c), 0);
	h_assert_code(&c, 201);
	h_coap_free(&c);
	assert_int_equal(h_observe_start(&env, &a, "ace-group/g1", 20, &oa), 0);
	assert_int_equal(h_observe_start(&env, &b, "ace-group/g1", 20, &ob), 0);
	assert_true(h_observe_wait(&oa, 1, 10000) >= 1);
	assert_true(h_observe_wait(&ob, 1, 10000) >= 1);
	/* b's token expires within ~5 s (clock skew 2 s). */
	assert_true(h_observe_wait(&oa, 2, 15000) >= 2);
	h_observe_wait(&ob, 2, 3000);
	ca = h_observe_stop(&oa, na, 16);
	cb = h_observe_stop(&ob, nb, 16);
	m = last_notification(na, ca);
	assert_non_null(m);
	assert_int_equal(h_map_int(m, KDC_GC_NUM, -1), (int64_t)a.num + 1);
	cbor_decref(&m);
	assert_true(cb >= 2);
	h_assert_code(&nb[cb - 1], 401);
	free_all(na, ca);
	free_all(nb, cb);
}

/* 9594 item 63, GO 22: material is renewed before it expires, also when
 * it expired while the keystore was down (timers rebuilt at start). */
static void
test_9594_63_material_expiry_across_restart(void **state)
{
	struct h_dev a;
	struct h_coap c;
	struct h_req r = {0};
	cbor_item_t *m;
	int64_t exp1, num1;

	(void)state;
	assert_int_equal(
	        h_group_create(&env, "g1",
	                       "--rekey-on-join off --key-lifetime 10"),
	        0);
	join_ok(&a, "xa", "g1", 6);
	r.method = "get";
	r.path = "ace-group/g1";
	r.dtls = true;
	r.kid = a.kid;
	r.key = a.key;
	r.cf = -1;
	assert_int_equal(h_coap(&env, &r, &c), 0);
	m = h_cbor(&c);
	assert_non_null(m);
	exp1 = h_map_int(m, KDC_GC_EXP, 0);
	num1 = h_map_int(m, KDC_GC_NUM, -1);
	cbor_decref(&m);
	h_coap_free(&c);
	/* Down across the expiry. */
	h_keystore_stop(&env, SIGKILL);
	sleep(12);
	assert_int_equal(h_keystore_start(&env), 0);
	/* The frontend reconnects with backoff (≤ 5 s): 5.03 meanwhile. */
	for (int i = 0; i < 40; i++) {
		assert_int_equal(h_coap(&env, &r, &c), 0);
		if (c.code != 503)
			break;
		h_coap_free(&c);
		usleep(250000);
	}
	h_assert_code(&c, 205);
	m = h_cbor(&c);
	assert_non_null(m);
	assert_true(h_map_int(m, KDC_GC_NUM, -1) > num1);
	assert_true(h_map_int(m, KDC_GC_EXP, 0) > exp1);
	assert_true(h_map_int(m, KDC_GC_EXI, 0) > 0);
	cbor_decref(&m);
	h_coap_free(&c);
}

/* Issue 3: kill -9 during a stream of joins; after the restart every join
 * that was acknowledged (2.01) is still there. */
/* Rows of group_prev (the previous keying material) of one group, read
 * with kdc-admin sql; -1 on error. */
static long
prev_rows(const char *group)
{
	char sql[256], out[4096];
	char *args[] = {"-j", "sql", sql, NULL};
	const char *p;

	snprintf(sql, sizeof(sql),
	         "SELECT count(*) AS n FROM group_prev p JOIN groups g ON g.id "
	         "= p.group_id WHERE g.name = '%s'",
	         group);
	if (h_admin_argv(&env, out, sizeof(out), args) != 0)
		return -1;
	p = strstr(out, "\"n\":");
	return p != NULL ? strtol(p + 4, NULL, 10) : -1;
}

/* Wait (bounded) until group has want rows of previous material. */
static bool
wait_prev_rows(const char *group, long want, int ms)
{
	for (int waited = 0; waited <= ms; waited += 100) {
		if (prev_rows(group) == want)
			return true;
		h_msleep(100);
	}
	return false;
}

/* 9594 item 57: the new num is committed before distribution, and the
 * previous material is deleted -- at once with --prev-grace 0, after the
 * grace otherwise -- and never distributed: after a rekey a member reads
 * only the new version. */
static void
test_9594_57_previous_material_deleted(void **state)
{
	struct h_dev d;
	struct h_coap c;
	char out[4096];
	cbor_item_t *m;

	(void)state;
	assert_int_equal(h_group_create(&env, "g0",
	                                "--rekey-on-join off --prev-grace 0"),
	                 0);
	assert_int_equal(h_group_create(&env, "g4",
	                                "--rekey-on-join off --prev-grace 4"),
	                 0);
	join_ok(&d, "pm1", "g4", 6);
	assert_int_equal(h_admin(&env, out, sizeof(out), "rekey g0"), 0);
	assert_int_equal(h_admin(&env, out, sizeof(out), "rekey g4"), 0);
	if (!wait_prev_rows("g0", 0, 3000))
		fail_msg("g0 (no grace) still holds %ld previous versions",
		         prev_rows("g0"));
	assert_int_equal(prev_rows("g4"), 1);
	/* A member reads the new version only. */
	{
		struct h_req r = h_dreq(&d, "get", "ace-group/g4", -1, NULL, 0);

		assert_int_equal(h_coap(&env, &r, &c), 0);
		h_assert_code(&c, 205);
		m = h_cbor(&c);
		assert_non_null(m);
		assert_int_equal(h_map_int(m, KDC_GC_NUM, -1), 1);
		cbor_decref(&m);
		h_coap_free(&c);
	}
	if (!wait_prev_rows("g4", 0, 10000))
		fail_msg("g4 still holds %ld previous versions after its "
		         "grace",
		         prev_rows("g4"));
}

static void
test_ks_kill9_keeps_acknowledged_joins(void **state)
{
	struct h_dev d[12];
	bool acked[12] = {false};
	char out[65536];
	pid_t killer;

	(void)state;
	assert_int_equal(h_group_create(&env, "g1", "--rekey-on-join off"), 0);
	for (int i = 0; i < 12; i++) {
		char kid[16];

		snprintf(kid, sizeof(kid), "k9-%d", i);
		assert_int_equal(h_dev_token(&env, &d[i], kid, "g1:6", 600), 0);
	}
	/* A child kills the keystore in the middle of the stream. */
	killer = fork();
	if (killer == 0) {
		usleep(600000);
		kill(env.ks_pid, SIGKILL);
		_exit(0);
	}
	for (int i = 0; i < 12; i++) {
		struct h_coap c;

		if (h_dev_join(&env, &d[i], "g1", 6, &c) == 0 && c.code == 201)
			acked[i] = true;
		h_coap_free(&c);
	}
	waitpid(killer, NULL, 0);
	waitpid(env.ks_pid, NULL, 0);
	env.ks_pid = 0;
	assert_int_equal(h_keystore_start(&env), 0);
	assert_int_equal(
	        h_admin(&env, out, sizeof(out), "--json member list g1"), 0);
	for (int i = 0; i < 12; i++)
		if (acked[i] && strstr(out, d[i].node) == NULL)
			fail_msg("acknowledged join of %s lost: %s", d[i].node,
			         out);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(
	                test_9594_29_33_58_59_60_61_go_21_22_24_join_rekeys,
	                setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_9594_52_54_56_57_go_21_23_35_leave_rekeys, setup,
	                teardown),
	        cmocka_unit_test_setup_teardown(test_9594_54_55_eviction_notice,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_9594_55_group_deleted_notice, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_9594_56_token_expiry_evicts_and_rekeys, setup,
	                teardown),
	        cmocka_unit_test_setup_teardown(
	                test_9594_63_material_expiry_across_restart, setup,
	                teardown),
	        cmocka_unit_test_setup_teardown(
	                test_9594_57_previous_material_deleted, setup,
	                teardown),
	        cmocka_unit_test_setup_teardown(
	                test_ks_kill9_keeps_acknowledged_joins, setup,
	                teardown),
	};

	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests_name("e2e_rekey", tests, NULL, NULL);
}
