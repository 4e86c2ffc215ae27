/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The device side with the reference tools (kdc-token | kdc-client) and the
 * DTLS identity forms of RFC 9202 §3.3.2 with coap-client.
 */
#include "harness.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

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
	return h_group_create(&env, "g1",
	                      "--rekey-on-join on --min-rekey-interval 0");
}

static int
teardown(void **state)
{
	(void)state;
	h_env_stop(&env);
	return 0;
}

/* kdc-token ... --ace-cbor | kdc-client ... (the demo's printed line). */
static int
device(const char *kid, const char *keyhex, const char *roles,
       const char *extra, char *out, size_t outlen)
{
	char cmd[4096];
	char *argv[] = {"/bin/sh", "-c", cmd, NULL};

	snprintf(cmd, sizeof(cmd),
	         "%s/tools/kdc-token --aud %s --scope g1:%s --lifetime 600 "
	         "--psk-kid %s --psk-key-hex %s --protect encrypt "
	         "--as-key-file %s/as.cose --ace-cbor 2>/dev/null | "
	         "%s/tools/client/kdc-client --port %u --dtls-port %u "
	         "--group g1 --roles %s --psk-kid %s --psk-key-hex %s %s",
	         env.bin, env.audience, roles, kid, keyhex, env.dir, env.bin,
	         (unsigned)env.port, (unsigned)env.dtls_port, roles, kid,
	         keyhex, extra);
	return h_run(argv, out, outlen, 60000);
}

/* GO item 6: a token carried in the DTLS PSK identity; N_S is the DTLS
 * exporter value (label EXPORTER-ACE-Pop-Input-coap-group-oscore-app, empty
 * context, 32 bytes) on both sides — the Join's PoP and the credential
 * update's PoP only verify if the KDC derived the same value. */
static void
test_go_06_token_in_handshake_exporter_ns(void **state)
{
	static char out[16384];

	(void)state;
	assert_int_equal(device("dev1", "30313233343536373839616263646566",
	                        "requester+responder",
	                        "--token-in-handshake --update-cred --leave",
	                        out, sizeof(out)),
	                 0);
	if (strstr(out, "token given in the DTLS PSK identity") == NULL ||
	    strstr(out, "POST /ace-group/g1 -> 2.01") == NULL ||
	    strstr(out, "kdc-cred-verify    valid") == NULL ||
	    strstr(out, "/cred -> 2.04") == NULL ||
	    strstr(out, "-> 2.02") == NULL)
		fail_msg("%s", out);
}

/* The reference device flow (issue 6) and backward security seen by a
 * device: the first device observes, a second one joins, the first prints
 * the rekeying (9594 item 29, GO item 21). */
static void
test_device_reference_flow_observes_rekey(void **state)
{
	static char out1[16384], out2[16384];
	char cmd[4096];
	int pipefd[2];
	pid_t pid;
	size_t used = 0;

	(void)state;
	/* Device 1 in the background, observing for 6 seconds. */
	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	if (pid == 0) {
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		close(pipefd[0]);
		snprintf(cmd, sizeof(cmd), "--observe 6 --renew");
		exit(device("dev1", "3132333435363738393031323334353637",
		            "requester+responder", cmd, out1, sizeof(out1)) == 0
		             ? (printf("%s", out1), 0)
		             : (printf("%s", out1), 1));
	}
	close(pipefd[1]);
	sleep(2);
	assert_int_equal(device("dev2", "6465762d74776f2d7365637265742d32",
	                        "requester", "", out2, sizeof(out2)),
	                 0);
	if (strstr(out2, "-> 2.01") == NULL)
		fail_msg("second device: %s", out2);
	for (;;) {
		ssize_t n =
		        read(pipefd[0], out1 + used, sizeof(out1) - used - 1);

		if (n <= 0)
			break;
		used += (size_t)n;
	}
	out1[used] = '\0';
	close(pipefd[0]);
	waitpid(pid, NULL, 0);
	if (strstr(out1, "observing /ace-group/g1 -> 2.05") == NULL ||
	    strstr(out1, "rekeyed group g1: num") == NULL)
		fail_msg("first device: %s", out1);
}

/* RFC 9594 §4.3.1 get_creds with a group whose credentials do not fit one
 * CoAP message: the Join's answer is a separate response (the keystore
 * answers after a round trip) carried in Block2 blocks (RFC 7959 §2.4),
 * which the reference device follows itself — libcoap 4.3.1's own
 * block-wise client drops such an answer to a CON request. */
static void
test_device_get_creds_block2_separate_response(void **state)
{
	static char out[16384];
	char line[64];

	(void)state;
	for (int i = 0; i < 30; i++) {
		struct h_dev d;
		struct h_coap c;
		char kid[16];

		snprintf(kid, sizeof(kid), "m%d", i);
		assert_int_equal(h_dev_token(&env, &d, kid, "g1:4", 600), 0);
		assert_int_equal(h_dev_join(&env, &d, "g1", 4, &c), 0);
		h_assert_code(&c, 201);
		h_coap_free(&c);
	}
	assert_int_equal(device("big1", "30313233343536373839616263646566",
	                        "requester+responder", "--get-creds", out,
	                        sizeof(out)),
	                 0);
	/* The credentials of the 30 members that joined before it. */
	snprintf(line, sizeof(line), "peer-credentials   %d", 30);
	if (strstr(out, "POST /ace-group/g1 -> 2.01") == NULL ||
	    strstr(out, line) == NULL)
		fail_msg("%s", out);
}

/* RFC 9202 §3.3.2: the PSK identity as the CBOR map {8: {1: {1: 4, 2:
 * kid}}} referring to a token posted to /authz-info (form 1 of
 * docs/DESIGN.md §3), given raw by coap-client. */
static void
test_9202_psk_identity_cbor_kid_map(void **state)
{
	struct h_dev d;
	struct h_coap c;
	struct h_req r = {0};
	char ident[64];
	size_t n = 0;

	(void)state;
	assert_int_equal(h_dev_token(&env, &d, "cbk1", "g1:6", 600), 0);
	ident[n++] = (char)0xa1;
	ident[n++] = 0x08;
	ident[n++] = (char)0xa1;
	ident[n++] = 0x01;
	ident[n++] = (char)0xa2;
	ident[n++] = 0x01;
	ident[n++] = 0x04;
	ident[n++] = 0x02;
	ident[n++] = (char)(0x40 + strlen(d.kid));
	memcpy(ident + n, d.kid, strlen(d.kid));
	n += strlen(d.kid);
	ident[n] = '\0';
	r.method = "get";
	r.path = "ace-group/g1/num";
	r.dtls = true;
	r.kid = ident;
	r.key = d.key;
	r.cf = -1;
	assert_int_equal(h_coap(&env, &r, &c), 0);
	/* Authenticated (a non-member gets 4.03, not a failed handshake). */
	h_assert_code(&c, 403);
	h_coap_free(&c);
	/* An unknown kid fails the handshake: no response at all. */
	ident[n - 1] ^= 0x01;
	assert_int_not_equal(h_coap(&env, &r, &c), 0);
	assert_int_equal(c.code, 0);
	h_coap_free(&c);
}

/* 9594 item 58 (Point-to-Point to control_uri, §6.1) and §5 eviction
 * notice: a device that registered a control URI receives the rekeying
 * message as a POST (with exi) and, when evicted, a DELETE — both over its
 * own DTLS session. */
static void
test_9594_58_control_uri_rekey_and_eviction(void **state)
{
	static char out1[16384];
	char cmd[4096], adm[4096];
	int pipefd[2];
	pid_t pid;
	size_t used = 0;
	const char *as;
	char node[32];

	(void)state;
	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	if (pid == 0) {
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		close(pipefd[0]);
		snprintf(cmd, sizeof(cmd), "--control-port %u --observe 5",
		         (unsigned)(env.dtls_port + 1));
		exit(device("ctl1", "30313233343536373839616263646566",
		            "requester+responder", cmd, out1, sizeof(out1)) == 0
		             ? (printf("%s", out1), 0)
		             : (printf("%s", out1), 1));
	}
	close(pipefd[1]);
	sleep(2);
	assert_int_equal(h_admin(&env, adm, sizeof(adm), "rekey g1"), 0);
	sleep(1);
	assert_int_equal(
	        h_admin(&env, adm, sizeof(adm), "--json member list g1"), 0);
	as = strstr(adm, "\"node\"");
	assert_non_null(as);
	as = strchr(as + 6, '"');
	assert_non_null(as);
	assert_int_equal(sscanf(as + 1, "%31[^\"]", node), 1);
	assert_int_equal(
	        h_admin(&env, adm, sizeof(adm), "member evict g1 %s", node), 0);
	for (;;) {
		ssize_t n =
		        read(pipefd[0], out1 + used, sizeof(out1) - used - 1);

		if (n <= 0)
			break;
		used += (size_t)n;
	}
	out1[used] = '\0';
	close(pipefd[0]);
	waitpid(pid, NULL, 0);
	if (strstr(out1, "control: rekeying message num") == NULL ||
	    strstr(out1, "(with exi)") == NULL ||
	    strstr(out1, "control: DELETE from the KDC") == NULL)
		fail_msg("%s", out1);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(
	                test_go_06_token_in_handshake_exporter_ns, setup,
	                teardown),
	        cmocka_unit_test_setup_teardown(
	                test_device_reference_flow_observes_rekey, setup,
	                teardown),
	        cmocka_unit_test_setup_teardown(
	                test_9202_psk_identity_cbor_kid_map, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_device_get_creds_block2_separate_response, setup,
	                teardown),
	        cmocka_unit_test_setup_teardown(
	                test_9594_58_control_uri_rekey_and_eviction, setup,
	                teardown),
	};

	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests_name("e2e_device", tests, NULL, NULL);
}
