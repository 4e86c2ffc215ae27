/* SPDX-License-Identifier: Apache-2.0 */
/*
 * DTLS sessions a device leaves without closing them.  coap-client always
 * closes its session (close_notify) when it exits, so this test holds a
 * session with libcoap itself: it handshakes, is answered once, then goes
 * silent.  The frontend must drop the session after session_idle_timeout
 * (kdc.conf(5)), seen from outside in kdc-admin status, where every
 * frontend reports its sessions.
 */
#include "harness.h"

#include <arpa/inet.h>
#include <coap3/coap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct h_env env;
static coap_context_t *ctx; /* the silent device */

static int
teardown(void **state)
{
	(void)state;
	if (ctx != NULL) {
		coap_free_context(ctx);
		coap_cleanup();
		ctx = NULL;
	}
	h_env_stop(&env);
	return 0;
}

/* The sessions frontend 1 last reported (kdc-admin -j status), -1 if it
 * reported none. */
static long
fe_sessions(void)
{
	char out[16384];
	const char *p;

	if (h_admin(&env, out, sizeof(out), "-j status") != 0)
		return -1;
	p = strstr(out, "\"sessions\":");
	return p != NULL ? strtol(p + strlen("\"sessions\":"), NULL, 10) : -1;
}

/* Poll (bounded) until the frontend reports want sessions: the frontends
 * report every 5 s. */
static bool
wait_sessions(long want, int ms)
{
	for (int waited = 0; waited <= ms; waited += 250) {
		if (fe_sessions() == want)
			return true;
		h_msleep(250);
	}
	return false;
}

static int answered;

static coap_response_t
on_response(coap_session_t *session, const coap_pdu_t *sent,
            const coap_pdu_t *received, const coap_mid_t mid)
{
	(void)session;
	(void)sent;
	(void)mid;
	answered = coap_pdu_get_code(received);
	return COAP_RESPONSE_OK;
}

static void
test_fe_idle_session_dropped(void **state)
{
	struct h_opts o = {.frontends = 1,
	                   .reuse_port = true,
	                   .extra_frontend = "session_idle_timeout = 8\n"};
	coap_dtls_cpsk_t psk;
	coap_address_t dst;
	coap_session_t *s;
	coap_pdu_t *pdu;
	struct h_dev d;
	uint8_t token[4] = {1, 2, 3, 4};

	(void)state;
	assert_int_equal(h_env_start(&env, &o), 0);
	assert_int_equal(h_group_create(&env, "g1", NULL), 0);
	assert_int_equal(h_dev_token(&env, &d, "idle1", "g1:6", 600), 0);
	assert_true(wait_sessions(0, 12000));

	/* A DTLS-PSK session with the token's PoP key (RFC 9202 §3.3.2: the
	 * identity is the key's kid), one request answered. */
	coap_startup();
	ctx = coap_new_context(NULL);
	assert_non_null(ctx);
	coap_register_response_handler(ctx, on_response);
	coap_address_init(&dst);
	dst.addr.sin.sin_family = AF_INET;
	dst.addr.sin.sin_port = htons(env.dtls_port);
	inet_pton(AF_INET, "127.0.0.1", &dst.addr.sin.sin_addr);
	dst.size = sizeof(dst.addr.sin);
	memset(&psk, 0, sizeof(psk));
	psk.version = COAP_DTLS_CPSK_SETUP_VERSION;
	psk.psk_info.identity.s = (const uint8_t *)d.kid;
	psk.psk_info.identity.length = strlen(d.kid);
	psk.psk_info.key.s = (const uint8_t *)d.key;
	psk.psk_info.key.length = strlen(d.key);
	s = coap_new_client_session_psk2(ctx, NULL, &dst, COAP_PROTO_DTLS,
	                                 &psk);
	assert_non_null(s);
	pdu = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET,
	                    coap_new_message_id(s),
	                    coap_session_max_pdu_size(s));
	assert_non_null(pdu);
	assert_int_equal(coap_add_token(pdu, sizeof(token), token), 1);
	coap_add_option(pdu, COAP_OPTION_URI_PATH, 9,
	                (const uint8_t *)"ace-group");
	assert_int_not_equal(coap_send(s, pdu), COAP_INVALID_MID);
	for (int i = 0; i < 100 && answered == 0; i++)
		coap_io_process(ctx, 100);
	/* Any answer proves the session up (the group list of a device that
	 * is in no group yet); the frontend reports it (every 5 s) while it
	 * is younger than the timeout. */
	assert_int_not_equal(answered, 0);
	assert_true(wait_sessions(1, 7000));

	/* Silent from now on, and never closed: the frontend drops it after
	 * 8 s without traffic (and reports it within 5 s more). */
	if (!wait_sessions(0, 25000))
		fail_msg("the idle session was kept: %ld sessions",
		         fe_sessions());
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_teardown(test_fe_idle_session_dropped,
	                                  teardown),
	};

	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
