/* SPDX-License-Identifier: Apache-2.0 */
/*
 * load.c — the load engine: one libcoap 4.3.1 client context (GnuTLS), many
 * client sessions (each DTLS session has its own UDP socket, so its own
 * local port), CON requests whose 8-byte token names a request slot
 * (index || generation), so that piggybacked and separate responses, Observe
 * notifications and NACKs all find their request in O(1).  Latencies are
 * measured from the coap_send() of a request to the response handler.
 */
#include "bench.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static coap_context_t *ctx;
static struct b_req **slots;
static uint32_t nslots, *free_list, nfree;
static size_t inflight;
static coap_session_t **release_q;
static size_t nrelease, release_cap;
static uint64_t dtls_errors;

coap_context_t *
b_ctx(void)
{
	return ctx;
}

size_t
b_inflight(void)
{
	return inflight;
}

uint64_t
b_dtls_errors(void)
{
	return dtls_errors;
}

static struct b_req *
slot_get(void)
{
	struct b_req *q;

	if (nfree == 0) {
		uint32_t n = nslots ? nslots * 2 : 1024;
		struct b_req **ns = realloc(slots, n * sizeof(*ns));
		uint32_t *nf;

		if (ns == NULL)
			return NULL;
		slots = ns;
		nf = realloc(free_list, n * sizeof(*nf));
		if (nf == NULL)
			return NULL;
		free_list = nf;
		for (uint32_t i = nslots; i < n; i++) {
			slots[i] = calloc(1, sizeof(**slots));
			if (slots[i] == NULL)
				return NULL;
			slots[i]->slot = i;
		}
		/* Lowest indexes first. */
		for (uint32_t i = n; i > nslots; i--)
			free_list[nfree++] = i - 1;
		nslots = n;
	}
	q = slots[free_list[--nfree]];
	q->gen++;
	q->busy = true;
	q->persistent = false;
	q->cb = NULL;
	q->arg = NULL;
	q->u = 0;
	q->session = NULL;
	inflight++;
	return q;
}

static void
slot_put(struct b_req *q)
{
	if (!q->busy)
		return;
	q->busy = false;
	q->gen++; /* late answers to it are ignored */
	free_list[nfree++] = q->slot;
	inflight--;
}

void
b_req_done(struct b_req *q)
{
	slot_put(q);
}

static struct b_req *
from_token(coap_bin_const_t tok)
{
	uint32_t slot, gen;
	struct b_req *q;

	if (tok.length != 8)
		return NULL;
	slot = (uint32_t)tok.s[0] << 24 | (uint32_t)tok.s[1] << 16 |
	       (uint32_t)tok.s[2] << 8 | tok.s[3];
	gen = (uint32_t)tok.s[4] << 24 | (uint32_t)tok.s[5] << 16 |
	      (uint32_t)tok.s[6] << 8 | tok.s[7];
	if (slot >= nslots)
		return NULL;
	q = slots[slot];
	return q->busy && q->gen == gen ? q : NULL;
}

static void
complete(struct b_req *q, const coap_pdu_t *resp, int code)
{
	uint32_t gen = q->gen;

	q->cb(q, resp, code);
	/* The callback may have ended it (b_req_done) or, for an
	 * observation, keep it. */
	if (q->busy && q->gen == gen && !q->persistent)
		slot_put(q);
}

static coap_response_t
on_response(coap_session_t *s, const coap_pdu_t *sent,
            const coap_pdu_t *received, const coap_mid_t mid)
{
	coap_pdu_code_t c = coap_pdu_get_code(received);
	struct b_req *q;

	(void)s;
	(void)sent;
	(void)mid;
	if (c == 0)
		return COAP_RESPONSE_OK;
	q = from_token(coap_pdu_get_token(received));
	if (q == NULL)
		return COAP_RESPONSE_OK; /* late or unknown: ACK and ignore */
	complete(q, received, (int)(c >> 5) * 100 + (int)(c & 0x1f));
	return COAP_RESPONSE_OK;
}

static void
on_nack(coap_session_t *s, const coap_pdu_t *sent,
        const coap_nack_reason_t reason, const coap_mid_t mid)
{
	struct b_req *q;

	(void)s;
	(void)mid;
	if (sent == NULL)
		return;
	q = from_token(coap_pdu_get_token(sent));
	if (q != NULL)
		complete(q, NULL, -1 - (int)reason);
}

static int
on_event(coap_session_t *s, const coap_event_t ev)
{
	(void)s;
	if (ev == COAP_EVENT_DTLS_ERROR)
		dtls_errors++;
	return 0;
}

int
b_load_init(void)
{
	coap_startup();
	coap_set_log_level(LOG_EMERG);
	coap_dtls_set_log_level(LOG_EMERG);
	ctx = coap_new_context(NULL);
	if (ctx == NULL)
		return -1;
	coap_register_response_handler(ctx, on_response);
	coap_register_nack_handler(ctx, on_nack);
	coap_register_event_handler(ctx, on_event);
	return 0;
}

void
b_load_child_reset(void)
{
	/* In a forked worker: the parent's context and requests are not
	 * ours.  They are left alone (freeing them would close the parent's
	 * sockets' sessions); a new context takes their place. */
	ctx = NULL;
	slots = NULL;
	free_list = NULL;
	release_q = NULL;
	nslots = nfree = 0;
	nrelease = release_cap = 0;
	inflight = 0;
	dtls_errors = 0;
	ctx = coap_new_context(NULL);
	if (ctx != NULL) {
		coap_register_response_handler(ctx, on_response);
		coap_register_nack_handler(ctx, on_nack);
		coap_register_event_handler(ctx, on_event);
	}
}

void
b_load_fini(void)
{
	if (ctx != NULL)
		coap_free_context(ctx);
	ctx = NULL;
	for (uint32_t i = 0; i < nslots; i++)
		free(slots[i]);
	free(slots);
	free(free_list);
	free(release_q);
	slots = NULL;
	free_list = NULL;
	release_q = NULL;
	nslots = nfree = 0;
	nrelease = release_cap = 0;
	inflight = 0;
	coap_cleanup();
}

static void
addr_of(coap_address_t *a, uint16_t port)
{
	coap_address_init(a);
	a->addr.sin.sin_family = AF_INET;
	a->addr.sin.sin_port = htons(port);
	a->addr.sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a->size = sizeof(a->addr.sin);
}

coap_session_t *
b_session_udp(uint16_t port)
{
	coap_address_t dst;

	addr_of(&dst, port);
	return coap_new_client_session(ctx, NULL, &dst, COAP_PROTO_UDP);
}

coap_session_t *
b_session_dtls(uint16_t port, const char *identity, const uint8_t *key,
               size_t key_len)
{
	coap_address_t dst;
	coap_dtls_cpsk_t cpsk;

	addr_of(&dst, port);
	memset(&cpsk, 0, sizeof(cpsk));
	cpsk.version = COAP_DTLS_CPSK_SETUP_VERSION;
	cpsk.psk_info.identity.s = (const uint8_t *)identity;
	cpsk.psk_info.identity.length = strlen(identity);
	cpsk.psk_info.key.s = key;
	cpsk.psk_info.key.length = key_len;
	return coap_new_client_session_psk2(ctx, NULL, &dst, COAP_PROTO_DTLS,
	                                    &cpsk);
}

void
b_session_release_later(coap_session_t *s)
{
	if (s == NULL)
		return;
	if (nrelease == release_cap) {
		size_t n = release_cap ? release_cap * 2 : 256;
		coap_session_t **v = realloc(release_q, n * sizeof(*v));

		if (v == NULL) {
			coap_session_release(s); /* best effort */
			return;
		}
		release_q = v;
		release_cap = n;
	}
	release_q[nrelease++] = s;
}

void
b_session_release_now(coap_session_t *s)
{
	if (s != NULL)
		coap_session_release(s);
}

static void
release_pending(void)
{
	/* Releasing may NACK queued requests, whose callbacks may queue more
	 * releases: take the list first. */
	while (nrelease > 0) {
		coap_session_t *s = release_q[--nrelease];

		coap_session_release(s);
	}
}

struct b_req *
b_send(coap_session_t *s, coap_pdu_code_t method, const char *path, int cf,
       const uint8_t *p, size_t n, int observe, b_req_cb cb, void *arg)
{
	coap_pdu_t *pdu;
	struct b_req *q;
	uint8_t tok[8], buf[8];
	const char *seg = path;

	if (s == NULL)
		return NULL;
	q = slot_get();
	if (q == NULL)
		return NULL;
	q->cb = cb;
	q->arg = arg;
	q->session = s;
	pdu = coap_pdu_init(COAP_MESSAGE_CON, method, coap_new_message_id(s),
	                    coap_session_max_pdu_size(s));
	if (pdu == NULL)
		goto fail;
	tok[0] = (uint8_t)(q->slot >> 24);
	tok[1] = (uint8_t)(q->slot >> 16);
	tok[2] = (uint8_t)(q->slot >> 8);
	tok[3] = (uint8_t)q->slot;
	tok[4] = (uint8_t)(q->gen >> 24);
	tok[5] = (uint8_t)(q->gen >> 16);
	tok[6] = (uint8_t)(q->gen >> 8);
	tok[7] = (uint8_t)q->gen;
	coap_add_token(pdu, sizeof(tok), tok);
	/* Options in ascending order: Observe (6), Uri-Path (11),
	 * Content-Format (12). */
	if (observe >= 0)
		coap_add_option(pdu, COAP_OPTION_OBSERVE,
		                coap_encode_var_safe(buf, sizeof(buf),
		                                     (unsigned)observe),
		                buf);
	while (*seg != '\0') {
		const char *e = strchr(seg, '/');
		size_t len = e != NULL ? (size_t)(e - seg) : strlen(seg);

		if (len > 0)
			coap_add_option(pdu, COAP_OPTION_URI_PATH, len,
			                (const uint8_t *)seg);
		seg += len;
		if (*seg == '/')
			seg++;
	}
	if (cf >= 0)
		coap_add_option(
		        pdu, COAP_OPTION_CONTENT_FORMAT,
		        coap_encode_var_safe(buf, sizeof(buf), (unsigned)cf),
		        buf);
	if (n > 0)
		coap_add_data(pdu, n, p);
	q->t0 = b_now_ns();
	if (coap_send(s, pdu) == COAP_INVALID_MID)
		goto fail;
	return q;
fail:
	slot_put(q);
	return NULL;
}

void
b_run(bool (*done)(void *arg), void *arg, uint64_t deadline_ns)
{
	for (;;) {
		uint64_t now = b_now_ns();
		unsigned ms;

		release_pending();
		if ((done != NULL && done(arg)) || now >= deadline_ns)
			break;
		ms = (unsigned)((deadline_ns - now) / 1000000u);
		if (ms > 10)
			ms = 10;
		coap_io_process(ctx, ms > 0 ? ms : COAP_IO_NO_WAIT);
	}
	release_pending();
}

void
b_fail_all(void)
{
	for (uint32_t i = 0; i < nslots; i++)
		if (slots[i]->busy)
			slot_put(slots[i]);
}
