/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fe_req.c — request preambles (see fe_req.h).
 */
#include "fe_req.h"

#include "clock.h"
#include "log.h"

#include <string.h>

void
fe_req_init(struct fe_req *x, coap_resource_t *r, coap_session_t *s,
            const coap_pdu_t *req, const coap_string_t *q, coap_pdu_t *resp)
{
	memset(x, 0, sizeof(*x));
	x->r = r;
	x->s = s;
	x->req = req;
	x->q = q;
	x->resp = resp;
	x->sess = fe_sess_get(s, false);
	x->binding = x->sess != NULL ? x->sess->binding : NULL;
	fe_g->stats.requests++;
}

int
fe_req_fail(struct fe_req *x, int code, const char *detail)
{
	fe_reply_problem(x->r, x->s, x->req, x->q, x->resp, code, -1, detail);
	return -1;
}

int
fe_req_problem(struct fe_req *x, int code, int error_id, const char *detail)
{
	fe_reply_problem(x->r, x->s, x->req, x->q, x->resp, code, error_id,
	                 detail);
	return -1;
}

int
fe_req_secure(struct fe_req *x)
{
	/* RFC 9594 §4.1.2 / RFC 9202 §3.4: group resources only over a DTLS
	 * session authenticated with a token's PoP key. */
	if (coap_session_get_proto(x->s) != COAP_PROTO_DTLS ||
	    x->binding == NULL)
		return fe_req_fail(x, 401,
		                   "a DTLS session bound to an access token "
		                   "is required");
	if (x->binding->gone || x->binding->exp <= kdc_now())
		return fe_req_fail(x, 401, "access token expired or revoked");
	return 0;
}

int
fe_req_group(struct fe_req *x)
{
	struct fe_group *g;

	if (fe_path_split(x->r, x->req, x->group, sizeof(x->group), x->rest,
	                  sizeof(x->rest)) != 0)
		return fe_req_fail(x, 404, "no such resource");
	for (g = fe_g->groups; g != NULL; g = g->next)
		if (strcmp(g->name, x->group) == 0)
			break;
	if (g == NULL)
		return fe_req_fail(x, 404, "no such group");
	if (g->deleted)
		return fe_req_problem(x, 404, KDC_ERR_GROUP_DELETED,
		                      "the group has been deleted");
	x->g = g;
	return 0;
}

static int
option_uint(const coap_pdu_t *req, uint16_t opt, uint32_t *v)
{
	coap_opt_iterator_t it;
	coap_opt_t *o = coap_check_option(req, opt, &it);

	if (o == NULL)
		return 0;
	*v = coap_decode_var_bytes(coap_opt_value(o), coap_opt_length(o));
	return 1;
}

int
fe_req_content_format(struct fe_req *x, const int *cfs, size_t n, int *found)
{
	uint32_t cf;
	int present = option_uint(x->req, COAP_OPTION_CONTENT_FORMAT, &cf);

	for (size_t i = 0; i < n; i++) {
		if ((!present && cfs[i] == -1) ||
		    (present && cfs[i] >= 0 && (uint32_t)cfs[i] == cf)) {
			if (found != NULL)
				*found = present ? (int)cf : -1;
			return 0;
		}
	}
	return fe_req_fail(x, 415, "unsupported Content-Format");
}

int
fe_req_accept(struct fe_req *x, int cf)
{
	uint32_t a;

	if (option_uint(x->req, COAP_OPTION_ACCEPT, &a) && a != (uint32_t)cf)
		return fe_req_fail(x, 406,
		                   "cannot answer in the requested format");
	return 0;
}

int
fe_req_payload(struct fe_req *x)
{
	size_t offset = 0, total = 0;

	if (!coap_get_data_large(x->req, &x->payload_len, &x->payload, &offset,
	                         &total)) {
		x->payload = NULL;
		x->payload_len = 0;
	}
	if (x->payload_len > fe_g->conf.max_request_payload ||
	    total > fe_g->conf.max_request_payload)
		return fe_req_fail(x, 413, "request payload too large");
	return 0;
}

int
fe_req_cbor(struct fe_req *x, cbor_item_t **out)
{
	struct kdc_cbor_limits lim = {
	        .max_size = fe_g->conf.max_request_payload,
	        .max_depth = 8,
	        .max_items = 4096,
	};
	int rc;

	if (fe_req_payload(x) != 0)
		return -1;
	if (x->payload_len == 0)
		return fe_req_fail(x, 400, "payload missing");
	rc = kdc_cbor_decode(x->payload, x->payload_len, &lim, out);
	if (rc != KDC_CBOR_OK)
		return fe_req_fail(x, 400, kdc_cbor_strerror(rc));
	return 0;
}

int
fe_req_keystore(struct fe_req *x)
{
	if (!fe_g->ks_up) {
		fe_reply_unavailable(fe_g, x->resp);
		return -1;
	}
	return 0;
}

void
fe_req_forward(struct fe_req *x, uint16_t type, struct ipc_wbuf *w, int enc_rc,
               bool observe)
{
	if (enc_rc != 0) {
		fe_req_fail(x, 400, "request field out of range");
		return;
	}
	if (!ipc_wbuf_ok(w) ||
	    fe_async_start(fe_g, x->s, x->req, x->r, type, w, observe) != 0)
		fe_reply_unavailable(fe_g, x->resp);
	/* Otherwise no code: libcoap sends the empty ACK and the answer
	 * follows as a separate response. */
}
