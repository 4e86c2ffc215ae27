/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fe_reply.c — writing CoAP responses: plain codes (with a short
 * diagnostic payload, RFC 7252 §5.5.2, for errors without an error id),
 * problem details (RFC 9290 with the ace-groupcomm-error entry, RFC 9594
 * §4.1.2), payloads through libcoap's block-wise machinery, and the relay
 * of keystore answers.
 */
#include "fe.h"

#include "cbor_out.h"
#include "crypto.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

struct fe_blob {
	uint8_t *p;
	size_t n;
};

void
fe_reply_code(coap_pdu_t *response, int code)
{
	coap_pdu_set_code(response, COAP_RESPONSE_CODE(code));
}

static void
add_uint_option(coap_pdu_t *resp, uint16_t opt, uint64_t v)
{
	uint8_t buf[8];

	coap_add_option(resp, opt, coap_encode_var_safe8(buf, sizeof(buf), v),
	                buf);
}

static void
release_copy(coap_session_t *s, void *app_ptr)
{
	struct fe_blob *b = app_ptr;

	(void)s;
	kdc_wipe(b->p, b->n); /* it may be keying material */
	free(b);
}

void
fe_reply_payload(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
                 const coap_string_t *query, coap_pdu_t *resp, int code, int cf,
                 const uint8_t *p, size_t n, int64_t max_age)
{
	struct fe_blob *copy;

	fe_reply_code(resp, code);
	if (n == 0 || cf < 0) {
		if (cf >= 0)
			add_uint_option(resp, COAP_OPTION_CONTENT_FORMAT,
			                (uint64_t)cf);
		if (max_age >= 0)
			add_uint_option(resp, COAP_OPTION_MAXAGE,
			                (uint64_t)max_age);
		if (n > 0)
			coap_add_data(resp, n, p);
		return;
	}
	/* libcoap splits the body into Block2 blocks when it does not fit
	 * one message (RFC 9594 §10.3) and keeps referring to it until the
	 * transfer ends, so it gets its own copy, wiped on release. */
	copy = malloc(sizeof(*copy) + n);
	if (copy == NULL) {
		fe_reply_code(resp, 500);
		return;
	}
	copy->n = n;
	copy->p = (uint8_t *)(copy + 1);
	memcpy(copy->p, p, n);
	if (!coap_add_data_large_response(r, s, req, resp, query, (uint16_t)cf,
	                                  max_age >= 0 ? (int)max_age : -1, 0,
	                                  n, copy->p, release_copy, copy))
		fe_reply_code(resp, 500);
}

void
fe_reply_problem(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
                 const coap_string_t *query, coap_pdu_t *resp, int code,
                 int error_id, const char *detail)
{
	struct kdc_cw w;

	log_info("%d.%02d to %s: %s", code / 100, code % 100,
	         coap_session_str(s), detail != NULL ? detail : "");
	fe_g->stats.errors++;
	if (error_id < 0) {
		/* No error id: a diagnostic payload (text, no Content-Format)
		 * helps operators without implying problem details. */
		fe_reply_code(resp, code);
		if (detail != NULL)
			coap_add_data(resp, strlen(detail),
			              (const uint8_t *)detail);
		return;
	}
	kdc_cw_init(&w);
	kdc_gm_encode_problem(&w, error_id, detail);
	if (kdc_cw_ok(&w))
		fe_reply_payload(r, s, req, query, resp, code, KDC_CF_PROBLEM,
		                 w.buf, w.len, -1);
	else
		fe_reply_code(resp, 500);
	kdc_cw_free(&w);
}

void
fe_reply_unavailable(struct fe *fe, coap_pdu_t *resp)
{
	fe_reply_code(resp, 503);
	add_uint_option(resp, COAP_OPTION_MAXAGE, fe->conf.unavailable_max_age);
	fe->stats.errors++;
}

void
fe_reply_result(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
                const coap_string_t *query, coap_pdu_t *resp,
                const struct ipc_coap_result *res)
{
	int code = (res->code >> 5) * 100 + (res->code & 0x1f);

	if (code >= 400)
		fe_g->stats.errors++;
	/* Location-Path segments before the payload's options (CoAP option
	 * order is handled by libcoap). */
	if (res->location_path.n > 0) {
		const uint8_t *p = res->location_path.p;
		size_t n = res->location_path.n, start = 0;

		for (size_t i = 0; i <= n; i++) {
			if (i == n || p[i] == '/') {
				coap_add_option(resp, COAP_OPTION_LOCATION_PATH,
				                i - start, p + start);
				start = i + 1;
			}
		}
	}
	fe_reply_payload(r, s, req, query, resp, code, res->content_format,
	                 res->payload.p, res->payload.n, res->max_age);
}
