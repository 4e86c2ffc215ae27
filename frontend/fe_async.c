/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fe_async.c — answering a CoAP request after a keystore round trip.
 *
 * libcoap 4.3.1 separate responses: the handler registers async state
 * (coap_register_async with delay 0 = until triggered) and returns without
 * a code, so libcoap ACKs a CON request at once; when the keystore's answer
 * arrives, coap_async_trigger() makes libcoap run the request through the
 * handler again (coap_check_async), where fe_async_take() writes the stored
 * answer into the response; libcoap then frees its async state.
 *
 * A pending entry is freed only when both sides are done with it: the IPC
 * callback has run and the handler has taken the result (or the session
 * went away).  A sweep answers 5.03 to requests the keystore leaves
 * unanswered for too long.
 */
#include "fe.h"
#include "fe_obs.h"

#include "clock.h"
#include "crypto.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

#define FE_ASYNC_TIMEOUT_MS 30000

struct fe_pending {
	struct fe *fe;
	coap_session_t *session;
	uint8_t token[8];
	size_t token_len;
	coap_async_t *async;
	bool observe;  /* an Observe registration */
	bool ipc_done; /* the IPC callback ran (or will never run) */
	bool has_result;
	bool taken;
	uint64_t deadline_ms;
	uint8_t *result; /* COAP_RESULT payload (may hold keying material) */
	size_t result_len;
	struct fe_pending *next, *prev;
};

static void
pending_unlink(struct fe *fe, struct fe_pending *p)
{
	if (p->prev != NULL)
		p->prev->next = p->next;
	else
		fe->pending = p->next;
	if (p->next != NULL)
		p->next->prev = p->prev;
	fe->npending--;
}

static void
pending_free_if_done(struct fe_pending *p)
{
	struct fe *fe = p->fe;

	if (!p->ipc_done || !p->taken)
		return;
	pending_unlink(fe, p);
	if (p->result != NULL) {
		kdc_wipe(p->result, p->result_len);
		free(p->result);
	}
	free(p);
}

static void
observe_settled(struct fe *fe, struct fe_pending *p)
{
	if (p->observe) {
		p->observe = false;
		if (fe->pending_obs > 0 && --fe->pending_obs == 0)
			fe_notify_flush(fe);
	}
}

/* Store a synthetic answer (keystore unreachable or too slow). */
static void
set_unavailable(struct fe_pending *p)
{
	struct ipc_coap_result res;
	struct ipc_wbuf w;

	memset(&res, 0, sizeof(res));
	res.code = (5 << 5) | 3;
	res.content_format = -1;
	res.max_age = p->fe->conf.unavailable_max_age;
	ipc_wbuf_init(&w);
	if (ipc_enc_coap_result(&w, &res) == 0) {
		p->result = w.p;
		p->result_len = w.len;
		w.p = NULL;
		p->has_result = true;
	}
	ipc_wbuf_free(&w);
}

static void
on_reply(void *arg, int st, const struct ipc_hdr *h, const uint8_t *payload)
{
	struct fe_pending *p = arg;
	struct fe *fe = p->fe;

	p->ipc_done = true;
	if (p->taken || p->has_result) {
		/* Timed out: a 5.03 was (or is being) given already. */
		pending_free_if_done(p);
		return;
	}
	if (st == IPC_OK && h->type == IPC_MSG_COAP_RESULT) {
		struct ipc_coap_result res;

		if (ipc_dec_coap_result(payload, h->len, &res) == 0) {
			p->result = malloc(h->len ? h->len : 1);
			if (p->result != NULL) {
				memcpy(p->result, payload, h->len);
				p->result_len = h->len;
				p->has_result = true;
				/* Learn bindings and memberships now, while
				 * the stream order still holds. */
				fe_result_learn(fe, p->session, &res);
			}
		} else {
			log_err("malformed COAP_RESULT from the keystore");
		}
	} else if (st != IPC_OK) {
		log_debug("keystore request failed: %s", ipc_strerror(st));
	}
	if (!p->has_result)
		set_unavailable(p);
	coap_async_trigger(p->async);
	fe_kick(fe);
}

int
fe_async_start(struct fe *fe, coap_session_t *session,
               const coap_pdu_t *request, coap_resource_t *resource,
               uint16_t type, struct ipc_wbuf *payload, bool observe)
{
	coap_bin_const_t tok = coap_pdu_get_token(request);
	struct fe_pending *p;
	coap_async_t *async;

	(void)resource;
	if (!fe->ks_up || tok.length > sizeof(p->token))
		return -1;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return -1;
	async = coap_register_async(session, request, 0);
	if (async == NULL) {
		free(p);
		return -1;
	}
	p->fe = fe;
	p->session = session;
	memcpy(p->token, tok.s, tok.length);
	p->token_len = tok.length;
	p->async = async;
	p->observe = observe;
	p->deadline_ms = kdc_mono_ms() + FE_ASYNC_TIMEOUT_MS;
	coap_async_set_app_data(async, p);
	p->next = fe->pending;
	if (fe->pending != NULL)
		fe->pending->prev = p;
	fe->pending = p;
	fe->npending++;
	if (observe)
		fe->pending_obs++;
	/* The callback may run synchronously (keystore just went away):
	 * then the result is already a 5.03 and the async is triggered. */
	ipc_client_request(fe->ipc, type, payload->p, payload->len, on_reply,
	                   p);
	return 0;
}

bool
fe_async_take(struct fe *fe, coap_resource_t *resource, coap_session_t *session,
              const coap_pdu_t *request, const coap_string_t *query,
              coap_pdu_t *response)
{
	coap_bin_const_t tok = coap_pdu_get_token(request);
	coap_async_t *async = coap_find_async(session, tok);
	struct fe_pending *p;
	struct ipc_coap_result res;

	if (async == NULL)
		return false;
	p = coap_async_get_app_data(async);
	if (p == NULL || !p->has_result) {
		/* A notification for an observer whose registration is still
		 * with the keystore; fe_notify() defers notifications so this
		 * only happens after a long deferral. Ask to retry. */
		fe_reply_unavailable(fe, response);
		return true;
	}
	if (ipc_dec_coap_result(p->result, p->result_len, &res) == 0)
		fe_reply_result(resource, session, request, query, response,
		                &res);
	else
		fe_reply_code(response, 500);
	if (p->observe && res.code == ((2 << 5) | 5)) {
		/* Remember the registration (served version for /ace-group
		 * notifications). */
		char group[KDC_GNAME_MAX + 1], rest[128];

		if (fe_path_split(resource, request, group, sizeof(group), rest,
		                  sizeof(rest)) == 0) {
			struct fe_group *g = fe_group_find(fe, group);

			if (g != NULL) {
				enum fe_obs_kind kind =
				        rest[0] == '\0' ? FE_OBS_GROUP
				        : strcmp(rest, "active") == 0
				                ? FE_OBS_ACTIVE
				                : FE_OBS_NODE;
				struct fe_obs *o = fe_obs_add(
				        fe, session, request, g, kind,
				        kind == FE_OBS_NODE ? rest + 6 : NULL);

				if (o != NULL && g->material != NULL)
					o->served_num = g->material->num;
			}
		}
	}
	coap_async_set_app_data(async, NULL);
	p->taken = true;
	observe_settled(fe, p);
	pending_free_if_done(p);
	return true;
}

void
fe_async_sweep(struct fe *fe, uint64_t now_ms)
{
	struct fe_pending *p, *next;

	for (p = fe->pending; p != NULL; p = next) {
		next = p->next;
		if (p->has_result || now_ms < p->deadline_ms)
			continue;
		log_warn("keystore did not answer within %d ms; answering 5.03",
		         FE_ASYNC_TIMEOUT_MS);
		set_unavailable(p);
		coap_async_trigger(p->async);
	}
	fe_kick(fe);
}
