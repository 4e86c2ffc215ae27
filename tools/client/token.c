/* SPDX-License-Identifier: Apache-2.0 */
/*
 * token.c — giving the access token to the KDC (RFC 9594 §3.3): POST
 * /authz-info with application/ace+cbor { access_token, sign_info: null }.
 * The 2.01 answer carries N_S (kdcchallenge, used in the PoP of the Join)
 * and sign_info (which signature algorithm the group wants).
 */
#include "client.h"

#include <stdio.h>
#include <string.h>

int
cl_post_token(struct cl *c, const uint8_t *input, size_t len)
{
	struct cl_response r;
	struct kdc_cw w;
	cbor_item_t *in = NULL, *ans = NULL, *it;
	const uint8_t *tok = input;
	size_t toklen = len;
	char code[16];
	int rc = -1;

	/* kdc-token --ace-cbor already gives the map; a raw token is
	 * wrapped here. */
	if (kdc_cbor_decode(input, len, NULL, &in) == KDC_CBOR_OK &&
	    cbor_isa_map(in) &&
	    (it = kdc_cbor_map_get(in, KDC_OAUTH_ACCESS_TOKEN)) != NULL)
		kdc_cbor_get_bstr(it, &tok, &toklen);
	kdc_cw_init(&w);
	kdc_cw_map(&w, 2);
	kdc_cw_uint(&w, KDC_OAUTH_ACCESS_TOKEN);
	kdc_cw_bstr(&w, tok, toklen);
	kdc_cw_uint(&w, KDC_OAUTH_SIGN_INFO);
	kdc_cw_null(&w);
	if (in != NULL)
		cbor_decref(&in);
	if (!kdc_cw_ok(&w) ||
	    cl_request(c, c->plain, COAP_REQUEST_CODE_POST, "authz-info",
	               KDC_CF_ACE_CBOR, w.buf, w.len, false, &r) != 0) {
		kdc_cw_free(&w);
		return -1;
	}
	kdc_cw_free(&w);
	printf("POST /authz-info -> %s\n",
	       cl_code_text(r.code, code, sizeof(code)));
	if (r.code != 201 ||
	    kdc_cbor_decode(r.payload, r.len, NULL, &ans) != KDC_CBOR_OK ||
	    !cbor_isa_map(ans))
		goto out;
	it = kdc_cbor_map_get(ans, KDC_OAUTH_KDCCHALLENGE);
	if (it != NULL) {
		const uint8_t *p;
		size_t n;

		if (kdc_cbor_get_bstr(it, &p, &n) && n <= sizeof(c->ns)) {
			memcpy(c->ns, p, n);
			c->ns_len = n;
		}
	}
	/* sign_info: [[gname, sign_alg, ...], ...] — the algorithm of our
	 * group decides the kind of credential to present. */
	it = kdc_cbor_map_get(ans, KDC_OAUTH_SIGN_INFO);
	for (size_t i = 0; it != NULL && i < kdc_cbor_array_len(it); i++) {
		cbor_item_t *e = kdc_cbor_array_at(it, i);
		const char *name;
		size_t nlen;
		int64_t alg;

		if (kdc_cbor_get_tstr(kdc_cbor_array_at(e, 0), &name, &nlen) &&
		    nlen == strlen(c->group) &&
		    memcmp(name, c->group, nlen) == 0 &&
		    kdc_cbor_get_int(kdc_cbor_array_at(e, 1), &alg))
			c->sign_alg = alg;
	}
	rc = 0;
out:
	if (ans != NULL)
		cbor_decref(&ans);
	if (rc != 0 && r.len > 0)
		fprintf(stderr, "kdc-client: the KDC refused the token: %.*s\n",
		        (int)r.len, (const char *)r.payload);
	cl_response_free(&r);
	return rc;
}

int
cl_identity_from_token(struct cl *c, const uint8_t *input, size_t len)
{
	static const char b64[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	        "0123456789-_";
	cbor_item_t *in = NULL, *it;
	const uint8_t *tok = input;
	size_t toklen = len, o = 0;

	if (kdc_cbor_decode(input, len, NULL, &in) == KDC_CBOR_OK &&
	    cbor_isa_map(in) &&
	    (it = kdc_cbor_map_get(in, KDC_OAUTH_ACCESS_TOKEN)) != NULL)
		kdc_cbor_get_bstr(it, &tok, &toklen);
	if ((toklen + 2) / 3 * 4 + 1 > sizeof(c->identity)) {
		if (in != NULL)
			cbor_decref(&in);
		fprintf(stderr, "kdc-client: token too long for an identity\n");
		return -1;
	}
	for (size_t i = 0; i < toklen; i += 3) {
		uint32_t v = (uint32_t)tok[i] << 16;
		size_t rem = toklen - i;

		if (rem > 1)
			v |= (uint32_t)tok[i + 1] << 8;
		if (rem > 2)
			v |= tok[i + 2];
		c->identity[o++] = b64[(v >> 18) & 63];
		c->identity[o++] = b64[(v >> 12) & 63];
		if (rem > 1)
			c->identity[o++] = b64[(v >> 6) & 63];
		if (rem > 2)
			c->identity[o++] = b64[v & 63];
	}
	c->identity[o] = '\0';
	if (in != NULL)
		cbor_decref(&in);
	printf("token given in the DTLS PSK identity (%zu characters)\n", o);
	return 0;
}
