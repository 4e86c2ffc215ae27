/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Process behaviour: two frontends on one port, a frontend that refuses to
 * share a port, a keystore that goes away and comes back, a frontend that
 * restarts, and the IPC peer checks seen from outside.
 */
#include "harness.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static struct h_env env;

static int
teardown(void **state)
{
	(void)state;
	h_env_stop(&env);
	return 0;
}

static int
count_in_file(const char *path, const char *needle)
{
	FILE *f = fopen(path, "r");
	char line[4096];
	int n = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, needle) != NULL)
			n++;
	fclose(f);
	return n;
}

/* Issue 4: two frontends share the DTLS port (SO_REUSEPORT); devices are
 * spread over both by the kernel and each one is served completely. */
static void
test_fe_two_frontends_one_port(void **state)
{
	struct h_opts o = {.frontends = 2, .reuse_port = true};
	int joined = 0;

	(void)state;
	assert_int_equal(h_env_start(&env, &o), 0);
	assert_int_equal(h_group_create(&env, "g1", "--rekey-on-join off"), 0);
	for (int i = 0; i < 16; i++) {
		struct h_dev d;
		struct h_coap c;
		char kid[16];

		snprintf(kid, sizeof(kid), "h%d", i);
		assert_int_equal(h_dev_token(&env, &d, kid, "g1:6", 600), 0);
		assert_int_equal(h_dev_join(&env, &d, "g1", 6, &c), 0);
		if (c.code == 201)
			joined++;
		h_coap_free(&c);
	}
	assert_int_equal(joined, 16);
	/* Both frontends served joins (the kernel spreads DTLS clients by
	 * 4-tuple): the audit log names the frontend of every join. */
	{
		static char out[262144];

		assert_int_equal(
		        h_admin(&env, out, sizeof(out),
		                "--json audit --action join --limit 100"),
		        0);
		if (strstr(out, "fe1") == NULL || strstr(out, "fe2") == NULL)
			fail_msg("joins did not reach both frontends: %s", out);
	}
}

/* Issue 4, platform Q4: a frontend without reuse_port must not silently
 * steal the port of a running one: it refuses to start. */
static void
test_fe_exclusive_port_refused(void **state)
{
	struct h_opts o = {.frontends = 1, .reuse_port = false};
	char log[1300];

	(void)state;
	assert_int_equal(h_env_start(&env, &o), 0);
	assert_int_not_equal(h_frontend_start(&env, 1, "fe2"), 0);
	snprintf(log, sizeof(log), "%s/frontend-1.log", env.dir);
	assert_true(count_in_file(log, "served by another frontend") > 0);
}

/* Issue 4: while the keystore is unreachable every request gets 5.03 with
 * Max-Age and the frontend keeps running; it reconnects when the keystore
 * is back. */
static void
test_fe_keystore_down_503_max_age(void **state)
{
	struct h_dev d;
	struct h_coap c;

	(void)state;
	assert_int_equal(h_env_start(&env, NULL), 0);
	assert_int_equal(h_group_create(&env, "g1", "--rekey-on-join off"), 0);
	assert_int_equal(h_dev_token(&env, &d, "kd", "g1:6", 600), 0);
	h_keystore_stop(&env, SIGTERM);
	/* The DTLS handshake needs the keystore too: plain CoAP POST of a
	 * token shows the 5.03 without a handshake. */
	{
		static const uint8_t tok[] = {0xd0, 0x83, 0x40, 0xa0, 0x40};
		struct h_req p = {0};

		p.method = "post";
		p.path = "authz-info";
		p.cf = KDC_CF_CWT;
		p.payload = tok;
		p.len = sizeof(tok);
		assert_int_equal(h_coap(&env, &p, &c), 0);
		h_assert_code(&c, 503);
		assert_int_equal(c.max_age, 5);
		h_coap_free(&c);
	}
	assert_int_equal(kill(env.fe_pid[0], 0), 0); /* still running */
	assert_int_equal(h_keystore_start(&env), 0);
	for (int i = 0; i < 40; i++) {
		assert_int_equal(h_dev_join(&env, &d, "g1", 6, &c), 0);
		if (c.code != 503)
			break;
		h_coap_free(&c);
		usleep(250000);
	}
	h_assert_code(&c, 201);
	h_coap_free(&c);
}

/* Issue 3: a peer whose uid the frontend socket does not allow is refused
 * (the keystore logs it) and the keystore keeps serving. */
static void
test_ks_wrong_peer_uid_refused(void **state)
{
	char sock[1300], log[1300];
	pid_t pid;
	int status;

	(void)state;
	if (getuid() != 0)
		skip();
	assert_int_equal(h_env_start(&env, NULL), 0);
	snprintf(sock, sizeof(sock), "%s/frontend.sock", env.run);
	snprintf(log, sizeof(log), "%s/keystore.log", env.dir);
	/* The test frontend user is nobody; connect as a uid that is neither
	 * root, nobody nor in the socket's group. */
	pid = fork();
	if (pid == 0) {
		char bin[1300];
		char *argv[] = {bin, "-s", sock, "status", NULL};

		if (setgid(4242) != 0 || setuid(4242) != 0)
			_exit(99);
		/* kdc-admin speaks the admin kind: on frontend.sock it is
		 * refused either way; use admin.sock for the uid check. */
		snprintf(sock, sizeof(sock), "%s/admin.sock", env.run);
		snprintf(bin, sizeof(bin), "%s/tools/kdc-admin", env.bin);
		execv(bin, argv);
		_exit(98);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 5); /* unreachable/refused */
	{
		char out[4096];

		assert_int_equal(h_admin(&env, out, sizeof(out), "status"), 0);
	}
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_teardown(test_fe_two_frontends_one_port,
	                                  teardown),
	        cmocka_unit_test_teardown(test_fe_exclusive_port_refused,
	                                  teardown),
	        cmocka_unit_test_teardown(test_fe_keystore_down_503_max_age,
	                                  teardown),
	        cmocka_unit_test_teardown(test_ks_wrong_peer_uid_refused,
	                                  teardown),
	};

	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests_name("e2e_process", tests, NULL, NULL);
}
