/* SPDX-License-Identifier: Apache-2.0 */
/*
 * control.c — the device's control resource (RFC 9594 §4.3.1
 * control_uri): the KDC POSTs rekeying messages to it (§6.1) and DELETEs it
 * when it evicts the device (§5).  It is served on the same DTLS session as
 * the Join, so the KDC's requests are protected by the pairwise
 * association.
 */
#include "client.h"

#include <stdio.h>
#include <string.h>

static void
on_control(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
           const coap_string_t *q, coap_pdu_t *resp)
{
	size_t len = 0, off = 0, total = 0;
	const uint8_t *data = NULL;
	cbor_item_t *m = NULL;
	uint64_t num = 0;

	(void)r;
	(void)s;
	(void)q;
	if (coap_pdu_get_code(req) == COAP_REQUEST_CODE_DELETE) {
		printf("control: DELETE from the KDC (membership ended)\n");
		coap_pdu_set_code(resp, COAP_RESPONSE_CODE_DELETED);
		fflush(stdout);
		return;
	}
	if (coap_get_data_large(req, &len, &data, &off, &total) &&
	    kdc_cbor_decode(data, len, NULL, &m) == KDC_CBOR_OK) {
		kdc_cbor_get_uint(kdc_cbor_map_get(m, KDC_GC_NUM), &num);
		printf("control: rekeying message num %llu%s\n",
		       (unsigned long long)num,
		       kdc_cbor_map_get(m, KDC_GC_EXI) != NULL ? " (with exi)"
		                                               : "");
		cbor_decref(&m);
	} else {
		printf("control: malformed POST\n");
	}
	fflush(stdout);
	coap_pdu_set_code(resp, COAP_RESPONSE_CODE_CHANGED);
}

int
cl_control_init(struct cl *c)
{
	char path[KDC_GNAME_MAX + 32];
	coap_str_const_t *p;
	coap_resource_t *r;

	snprintf(path, sizeof(path), "ace-group/%s/node", c->group);
	p = coap_new_str_const((const uint8_t *)path, strlen(path));
	if (p == NULL)
		return -1;
	r = coap_resource_init(p, COAP_RESOURCE_FLAGS_RELEASE_URI);
	if (r == NULL)
		return -1;
	coap_register_request_handler(r, COAP_REQUEST_POST, on_control);
	coap_register_request_handler(r, COAP_REQUEST_DELETE, on_control);
	coap_add_resource(c->ctx, r);
	return 0;
}
