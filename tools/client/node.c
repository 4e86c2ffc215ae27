/* SPDX-License-Identifier: Apache-2.0 */
/*
 * node.c — a member's own resource /ace-group/GROUPNAME/nodes/NODENAME:
 * Key Renewal (POST, RFC 9594 §4.8.2; GO §9.2: a new Sender ID),
 * credential update (POST .../cred, §4.9.1, with a PoP over the Join's
 * scope, the latest N_S and a fresh N_C), and leaving (DELETE, §4.8.3).
 */
#include "client.h"

#include "crypto.h"

#include <stdio.h>
#include <string.h>

int
cl_renew(struct cl *c)
{
	struct cl_response r;
	char path[KDC_GNAME_MAX + 192], code[16];
	cbor_item_t *m = NULL;
	const uint8_t *p;
	size_t n;
	int rc;

	snprintf(path, sizeof(path), "ace-group/%s/nodes/%s", c->group,
	         c->node);
	if (cl_request(c, c->dtls, COAP_REQUEST_CODE_POST, path, -1, NULL, 0,
	               false, &r) != 0)
		return -1;
	printf("POST /%s -> %s\n", path,
	       cl_code_text(r.code, code, sizeof(code)));
	if (r.code == 205 &&
	    kdc_cbor_decode(r.payload, r.len, NULL, &m) == KDC_CBOR_OK &&
	    kdc_cbor_get_bstr(kdc_cbor_map_get(m, KDC_GC_GROUP_SENDERID), &p,
	                      &n))
		cl_print_hex("new-sender-id", p, n);
	if (m != NULL)
		cbor_decref(&m);
	fflush(stdout);
	rc = r.code == 205 ? 0 : -1;
	cl_response_free(&r);
	return rc;
}

int
cl_update_cred(struct cl *c)
{
	struct cl_response r;
	struct kdc_cw w;
	uint8_t nc[16], sig[64];
	size_t sig_len = 0;
	char path[KDC_GNAME_MAX + 192], code[16];
	int rc;

	/* A new key pair of the same kind. */
	if (cl_make_credential(c, NULL, c->sign_alg) != 0)
		return -1;
	kdc_random(nc, sizeof(nc));
	if (cl_pop_sign(c, nc, sizeof(nc), sig, &sig_len) != 0)
		return -1;
	kdc_cw_init(&w);
	kdc_cw_map(&w, 3);
	kdc_cw_uint(&w, KDC_GC_CLIENT_CRED);
	kdc_cw_bstr(&w, c->cred, c->cred_len);
	kdc_cw_uint(&w, KDC_GC_CNONCE);
	kdc_cw_bstr(&w, nc, sizeof(nc));
	kdc_cw_uint(&w, KDC_GC_CLIENT_CRED_VERIFY);
	kdc_cw_bstr(&w, sig, sig_len);
	snprintf(path, sizeof(path), "ace-group/%s/nodes/%s/cred", c->group,
	         c->node);
	rc = kdc_cw_ok(&w)
	             ? cl_request(c, c->dtls, COAP_REQUEST_CODE_POST, path,
	                          KDC_CF_ACE_GROUPCOMM, w.buf, w.len, false, &r)
	             : -1;
	kdc_cw_free(&w);
	if (rc != 0)
		return -1;
	printf("POST /%s -> %s\n", path,
	       cl_code_text(r.code, code, sizeof(code)));
	fflush(stdout);
	rc = r.code == 204 ? 0 : -1;
	cl_response_free(&r);
	return rc;
}

int
cl_leave(struct cl *c)
{
	struct cl_response r;
	char path[KDC_GNAME_MAX + 192], code[16];
	int rc;

	snprintf(path, sizeof(path), "ace-group/%s/nodes/%s", c->group,
	         c->node);
	if (cl_request(c, c->dtls, COAP_REQUEST_CODE_DELETE, path, -1, NULL, 0,
	               false, &r) != 0)
		return -1;
	printf("DELETE /%s -> %s\n", path,
	       cl_code_text(r.code, code, sizeof(code)));
	fflush(stdout);
	rc = r.code == 202 ? 0 : -1;
	cl_response_free(&r);
	return rc;
}
