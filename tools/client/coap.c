/* SPDX-License-Identifier: Apache-2.0 */
/*
 * coap.c — CoAP exchanges of the reference device on libcoap: a plain UDP
 * session for /authz-info and a DTLS-PSK session (RFC 9202 §3.3) whose
 * identity is the token's key id, for everything else.
 */
#include "client.h"

#include "crypto.h"

#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct cl *the_client;

const char *
cl_code_text(int code, char *buf, size_t n)
{
	snprintf(buf, n, "%d.%02d", code / 100, code % 100);
	return buf;
}

void
cl_response_free(struct cl_response *r)
{
	if (r->payload != NULL) {
		kdc_wipe(r->payload, r->len);
		free(r->payload);
	}
	memset(r, 0, sizeof(*r));
}

/* The most a response body may grow to across Block2 blocks: a group's
 * creds for some thousand members; a KDC sending more is refused. */
#define CL_BODY_MAX ((size_t)256 * 1024)

static void
blk_reset(struct cl *c)
{
	if (c->blk.body != NULL) {
		kdc_wipe(c->blk.body, c->blk.len);
		free(c->blk.body);
	}
	memset(&c->blk, 0, sizeof(c->blk));
}

static void
copy_response(struct cl_response *out, const coap_pdu_t *pdu,
              const uint8_t *body, size_t body_len)
{
	coap_opt_iterator_t it;
	coap_opt_t *o;
	size_t len = 0;
	const uint8_t *data = NULL;
	coap_pdu_code_t code = coap_pdu_get_code(pdu);

	cl_response_free(out);
	out->code = (code >> 5) * 100 + (code & 0x1f);
	out->content_format = -1;
	o = coap_check_option(pdu, COAP_OPTION_CONTENT_FORMAT, &it);
	if (o != NULL)
		out->content_format = (int)coap_decode_var_bytes(
		        coap_opt_value(o), coap_opt_length(o));
	out->observe = coap_check_option(pdu, COAP_OPTION_OBSERVE, &it) != NULL;
	coap_option_iterator_init(pdu, &it, COAP_OPT_ALL);
	while ((o = coap_option_next(&it)) != NULL) {
		size_t used = strlen(out->location);

		if (it.number != COAP_OPTION_LOCATION_PATH)
			continue;
		snprintf(out->location + used, sizeof(out->location) - used,
		         "%s%.*s", used ? "/" : "", (int)coap_opt_length(o),
		         (const char *)coap_opt_value(o));
	}
	if (body == NULL && coap_get_data(pdu, &len, &data)) {
		body = data;
		body_len = len;
	}
	if (body != NULL && body_len > 0) {
		out->payload = malloc(body_len);
		if (out->payload != NULL) {
			memcpy(out->payload, body, body_len);
			out->len = body_len;
		}
	}
	out->done = true;
}

/* One block of a Block2 answer (RFC 7959 §2.4): append it; ask for the
 * next one (cl_request sends it) or finish.  Blocks must come in order
 * and with one size: this client asks for them one at a time. */
static void
take_block(struct cl *c, const coap_pdu_t *pdu, const coap_block_t *b)
{
	size_t len = 0, size = (size_t)1 << (b->szx + 4);
	const uint8_t *data = NULL;
	uint8_t *grown;

	if (b->num != (c->blk.body == NULL ? 0 : c->blk.next_num) ||
	    (c->blk.body != NULL && b->szx != c->blk.szx) ||
	    (size_t)b->num * size != c->blk.len) {
		fprintf(stderr, "kdc-client: out-of-order block %u\n", b->num);
		goto fail;
	}
	coap_get_data(pdu, &len, &data);
	if (len == 0 || (b->m && len != size) ||
	    c->blk.len + len > CL_BODY_MAX) {
		fprintf(stderr, "kdc-client: bad or oversized block %u\n",
		        b->num);
		goto fail;
	}
	grown = malloc(c->blk.len + len);
	if (grown == NULL)
		goto fail;
	if (c->blk.body != NULL) {
		memcpy(grown, c->blk.body, c->blk.len);
		kdc_wipe(c->blk.body, c->blk.len);
		free(c->blk.body);
	}
	memcpy(grown + c->blk.len, data, len);
	c->blk.body = grown;
	c->blk.len += len;
	c->blk.szx = b->szx;
	if (b->m) {
		c->blk.next_num = b->num + 1;
		c->blk.ask = true;
		return;
	}
	copy_response(c->resp, pdu, c->blk.body, c->blk.len);
	blk_reset(c);
	return;
fail:
	blk_reset(c);
	copy_response(c->resp, pdu, NULL, 0);
	c->resp->code = 0; /* not a usable answer */
}

static coap_response_t
on_response(coap_session_t *s, const coap_pdu_t *sent,
            const coap_pdu_t *received, const coap_mid_t mid)
{
	struct cl *c = the_client;
	coap_bin_const_t tok = coap_pdu_get_token(received);
	coap_block_t b;

	(void)s;
	(void)sent;
	(void)mid;
	if (tok.length != c->token_len ||
	    memcmp(tok.s, c->token, tok.length) != 0)
		return COAP_RESPONSE_OK;
	if (c->resp != NULL && !c->resp->done) {
		if (COAP_RESPONSE_CLASS(coap_pdu_get_code(received)) == 2 &&
		    coap_get_block(received, COAP_OPTION_BLOCK2, &b))
			take_block(c, received, &b);
		else
			copy_response(c->resp, received, NULL, 0);
	} else if (c->on_notify != NULL) {
		/* An Observe notification of the current observation. */
		struct cl_response n;

		memset(&n, 0, sizeof(n));
		copy_response(&n, received, NULL, 0);
		c->on_notify(c, &n);
		cl_response_free(&n);
	}
	return COAP_RESPONSE_OK;
}

int
cl_coap_init(struct cl *c)
{
	coap_address_t dst;

	the_client = c;
	coap_startup();
	coap_set_log_level(LOG_WARNING);
	c->ctx = coap_new_context(NULL);
	if (c->ctx == NULL)
		return -1;
	/* Block-wise transfers are followed by this client (on_response),
	 * not by libcoap: see struct cl's blk. */
	coap_context_set_block_mode(c->ctx, 0);
	coap_register_response_handler(c->ctx, on_response);
	coap_address_init(&dst);
	dst.addr.sin.sin_family = AF_INET;
	dst.addr.sin.sin_port = htons(c->port);
	dst.size = sizeof(dst.addr.sin);
	if (inet_pton(AF_INET, c->host, &dst.addr.sin.sin_addr) != 1) {
		fprintf(stderr, "kdc-client: --kdc must be an IPv4 address\n");
		return -1;
	}
	c->plain = coap_new_client_session(c->ctx, NULL, &dst, COAP_PROTO_UDP);
	return c->plain != NULL ? 0 : -1;
}

int
cl_coap_dtls(struct cl *c)
{
	coap_address_t dst, local;
	coap_dtls_cpsk_t cpsk;

	coap_address_init(&dst);
	dst.addr.sin.sin_family = AF_INET;
	dst.addr.sin.sin_port = htons(c->dtls_port);
	dst.size = sizeof(dst.addr.sin);
	inet_pton(AF_INET, c->host, &dst.addr.sin.sin_addr);
	/* PSK mode: the identity is the key id of the token's cnf (a text
	 * kid, which the KDC accepts as such), the key the PoP key. */
	memset(&cpsk, 0, sizeof(cpsk));
	cpsk.version = COAP_DTLS_CPSK_SETUP_VERSION;
	if (c->identity[0] != '\0') {
		cpsk.psk_info.identity.s = (const uint8_t *)c->identity;
		cpsk.psk_info.identity.length = strlen(c->identity);
	} else {
		cpsk.psk_info.identity.s = (const uint8_t *)c->kid;
		cpsk.psk_info.identity.length = strlen(c->kid);
	}
	cpsk.psk_info.key.s = c->psk;
	cpsk.psk_info.key.length = c->psk_len;
	if (c->local_port != 0) {
		/* A fixed local port, so that a control URI can name it. */
		coap_address_init(&local);
		local.addr.sin.sin_family = AF_INET;
		local.addr.sin.sin_port = htons(c->local_port);
		local.size = sizeof(local.addr.sin);
		inet_pton(AF_INET, c->host, &local.addr.sin.sin_addr);
		c->dtls = coap_new_client_session_psk2(c->ctx, &local, &dst,
		                                       COAP_PROTO_DTLS, &cpsk);
	} else {
		c->dtls = coap_new_client_session_psk2(c->ctx, NULL, &dst,
		                                       COAP_PROTO_DTLS, &cpsk);
	}
	return c->dtls != NULL ? 0 : -1;
}

/* A request PDU: a fresh token (RFC 9175 §4.2), one Uri-Path option per
 * segment, and for a follow-up block the Block2 option asking for it. */
static coap_pdu_t *
build_request(struct cl *c, coap_session_t *s, coap_pdu_code_t method,
              const char *path, int content_format, const uint8_t *payload,
              size_t len, bool observe)
{
	coap_pdu_t *pdu;
	coap_optlist_t *opts = NULL;
	uint8_t buf[8];
	const char *p = path;

	pdu = coap_pdu_init(COAP_MESSAGE_CON, method, coap_new_message_id(s),
	                    coap_session_max_pdu_size(s));
	if (pdu == NULL)
		return NULL;
	c->token_len = sizeof(c->token);
	coap_session_new_token(s, &c->token_len, c->token);
	coap_add_token(pdu, c->token_len, c->token);
	if (observe)
		coap_insert_optlist(
		        &opts, coap_new_optlist(COAP_OPTION_OBSERVE,
		                                coap_encode_var_safe(
		                                        buf, sizeof(buf),
		                                        COAP_OBSERVE_ESTABLISH),
		                                buf));
	while (*p != '\0') {
		const char *e = strchr(p, '/');
		size_t n = e != NULL ? (size_t)(e - p) : strlen(p);

		if (n > 0)
			coap_insert_optlist(
			        &opts, coap_new_optlist(COAP_OPTION_URI_PATH, n,
			                                (const uint8_t *)p));
		p += n;
		if (*p == '/')
			p++;
	}
	if (content_format >= 0 && len > 0)
		coap_insert_optlist(
		        &opts,
		        coap_new_optlist(
		                COAP_OPTION_CONTENT_FORMAT,
		                coap_encode_var_safe(buf, sizeof(buf),
		                                     (unsigned)content_format),
		                buf));
	if (c->blk.next_num > 0)
		coap_insert_optlist(
		        &opts, coap_new_optlist(COAP_OPTION_BLOCK2,
		                                coap_encode_var_safe(
		                                        buf, sizeof(buf),
		                                        (c->blk.next_num << 4) |
		                                                c->blk.szx),
		                                buf));
	coap_add_optlist_pdu(pdu, &opts);
	coap_delete_optlist(opts);
	/* Requests of this client are small (a Join with a credential and
	 * its PoP); one that does not fit one message is refused here. */
	if (len > 0 && !coap_add_data(pdu, len, payload)) {
		coap_delete_pdu(pdu);
		return NULL;
	}
	return pdu;
}

int
cl_request(struct cl *c, coap_session_t *s, coap_pdu_code_t method,
           const char *path, int content_format, const uint8_t *payload,
           size_t len, bool observe, struct cl_response *out)
{
	coap_pdu_t *pdu;
	int waited = 0;

	memset(out, 0, sizeof(*out));
	blk_reset(c);
	pdu = build_request(c, s, method, path, content_format, payload, len,
	                    observe);
	if (pdu == NULL)
		return -1;
	c->resp = out;
	if (coap_send(s, pdu) == COAP_INVALID_MID) {
		c->resp = NULL;
		return -1;
	}
	while (!out->done && waited < c->timeout_s * 1000) {
		waited += coap_io_process(c->ctx, 100) + 1;
		if (c->blk.ask) {
			/* Ask for the next block: the same request without its
			 * payload (the answer is the KDC's, kept by libcoap on
			 * its side for this session, method and resource). */
			pdu = build_request(c, s, method, path, content_format,
			                    NULL, 0, false);
			c->blk.ask = false;
			if (pdu == NULL ||
			    coap_send(s, pdu) == COAP_INVALID_MID)
				break;
		}
	}
	c->resp = NULL;
	blk_reset(c);
	if (!out->done || out->code == 0) {
		fprintf(stderr, "kdc-client: no answer from the KDC to %s\n",
		        path);
		return -1;
	}
	return 0;
}

void
cl_wait(struct cl *c, int secs)
{
	int waited = 0;

	while (waited < secs * 1000)
		waited += coap_io_process(c->ctx, 200) + 1;
}

void
cl_print_hex(const char *label, const uint8_t *p, size_t n)
{
	printf("  %-18s ", label);
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
	printf("\n");
}

#define EXPORTER_LABEL "EXPORTER-ACE-Pop-Input-coap-group-oscore-app"

int
cl_coap_connect(struct cl *c, bool exporter_ns)
{
	coap_tls_library_t lib;
	gnutls_session_t gs;
	int waited = 0;

	while (coap_session_get_state(c->dtls) !=
	               COAP_SESSION_STATE_ESTABLISHED &&
	       waited < c->timeout_s * 1000)
		waited += coap_io_process(c->ctx, 50) + 1;
	if (coap_session_get_state(c->dtls) != COAP_SESSION_STATE_ESTABLISHED) {
		fprintf(stderr, "kdc-client: the DTLS handshake failed\n");
		return -1;
	}
	if (!exporter_ns)
		return 0;
	gs = coap_session_get_tls(c->dtls, &lib);
	/* GO §6.1.1: label, empty (not absent) context, 32 bytes. */
	if (gs == NULL || lib != COAP_TLS_LIBRARY_GNUTLS ||
	    gnutls_prf_rfc5705(gs, strlen(EXPORTER_LABEL), EXPORTER_LABEL, 0,
	                       "", 32, (char *)c->ns) != GNUTLS_E_SUCCESS)
		return -1;
	c->ns_len = 32;
	return 0;
}
