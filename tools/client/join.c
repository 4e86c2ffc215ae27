/* SPDX-License-Identifier: Apache-2.0 */
/*
 * join.c — the Join (RFC 9594 §4.3.1; Group OSCORE profile §6.1).
 *
 * The device presents its authentication credential (a CCS holding its
 * public key) and proves possession of the private key by signing
 *     bstr(scope) || bstr(N_S) || bstr(N_C)
 * where scope is the byte string it sends, N_S the kdcchallenge from
 * /authz-info and N_C a fresh nonce of its own (RFC 9594 §3.3, digest §5.1).
 */
#include "client.h"

#include "crypto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
load_key(const char *path, struct kdc_cose_key *k)
{
	FILE *f = fopen(path, "rb");
	uint8_t buf[512];
	size_t n;
	cbor_item_t *it = NULL;
	int rc = -1;

	if (f == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (kdc_cbor_decode(buf, n, NULL, &it) == KDC_CBOR_OK &&
	    kdc_cose_key_decode(it, k) == 0 && k->has_priv)
		rc = 0;
	if (it != NULL)
		cbor_decref(&it);
	kdc_wipe(buf, sizeof(buf));
	return rc;
}

int
cl_make_credential(struct cl *c, const char *keyfile, int64_t sign_alg)
{
	struct kdc_cose_key *k = &c->cred_key;
	struct kdc_cw w;

	memset(k, 0, sizeof(*k));
	if (keyfile != NULL) {
		if (load_key(keyfile, k) != 0) {
			fprintf(stderr,
			        "kdc-client: %s is not a private "
			        "COSE_Key\n",
			        keyfile);
			return -1;
		}
	} else if (sign_alg == KDC_ALG_ES256 || sign_alg == KDC_ALG_ESP256) {
		k->kty = KDC_KTY_EC2;
		k->crv = KDC_CRV_P256;
		if (kdc_p256_keypair(k->d, k->x, k->y) != 0)
			return -1;
		k->has_pub = k->has_priv = true;
	} else {
		k->kty = KDC_KTY_OKP;
		k->crv = KDC_CRV_ED25519;
		if (kdc_ed25519_keypair(k->x, k->d) != 0)
			return -1;
		k->has_pub = k->has_priv = true;
	}
	c->sign_alg = k->kty == KDC_KTY_EC2 ? KDC_ALG_ES256 : KDC_ALG_EDDSA;
	kdc_cw_init(&w);
	kdc_ccs_encode(&w, "device", k); /* public parts only */
	if (!kdc_cw_ok(&w) || w.len > sizeof(c->cred)) {
		kdc_cw_free(&w);
		return -1;
	}
	memcpy(c->cred, w.buf, w.len);
	c->cred_len = w.len;
	kdc_cw_free(&w);
	return 0;
}

/* PoP evidence over bstr(scope) || bstr(N_S) || bstr(nc). */
int
cl_pop_sign(struct cl *c, const uint8_t *nc, size_t nc_len, uint8_t *sig,
            size_t *sig_len)
{
	struct kdc_cw in;
	int rc;

	kdc_cw_init(&in);
	kdc_pop_input_client(&in, c->scope, c->scope_len, c->ns, c->ns_len, nc,
	                     nc_len);
	rc = kdc_cw_ok(&in) ? kdc_sig_sign(c->sign_alg, &c->cred_key, in.buf,
	                                   in.len, sig, sig_len)
	                    : -1;
	kdc_cw_free(&in);
	return rc;
}

static int
join_once(struct cl *c, bool get_creds, struct cl_response *r)
{
	struct kdc_cw w;
	uint8_t sig[64];
	size_t sig_len = 0;
	char path[KDC_GNAME_MAX + 16];
	int rc;

	kdc_random(c->nc, sizeof(c->nc)); /* N_C, fresh for every Join */
	if (cl_pop_sign(c, c->nc, sizeof(c->nc), sig, &sig_len) != 0)
		return -1;
	kdc_cw_init(&w);
	kdc_cw_map(&w, (get_creds ? 5 : 4) + (c->control ? 1 : 0));
	kdc_cw_uint(&w, KDC_GC_SCOPE);
	kdc_cw_bstr(&w, c->scope, c->scope_len);
	if (get_creds) {
		kdc_cw_uint(&w, KDC_GC_GET_CREDS);
		kdc_cw_null(&w);
	}
	kdc_cw_uint(&w, KDC_GC_CLIENT_CRED);
	kdc_cw_bstr(&w, c->cred, c->cred_len);
	kdc_cw_uint(&w, KDC_GC_CNONCE);
	kdc_cw_bstr(&w, c->nc, sizeof(c->nc));
	kdc_cw_uint(&w, KDC_GC_CLIENT_CRED_VERIFY);
	kdc_cw_bstr(&w, sig, sig_len);
	if (c->control) {
		/* control_uri (26): where the KDC reaches this device over
		 * the same DTLS session (RFC 9594 §4.3.1, §6.1). */
		char uri[300];

		snprintf(uri, sizeof(uri), "coaps://%s:%u/ace-group/%s/node",
		         c->host, (unsigned)c->local_port, c->group);
		kdc_cw_uint(&w, KDC_GC_CONTROL_URI);
		kdc_cw_tstrz(&w, uri);
	}
	snprintf(path, sizeof(path), "ace-group/%s", c->group);
	rc = kdc_cw_ok(&w)
	             ? cl_request(c, c->dtls, COAP_REQUEST_CODE_POST, path,
	                          KDC_CF_ACE_GROUPCOMM, w.buf, w.len, false, r)
	             : -1;
	kdc_cw_free(&w);
	return rc;
}

/* A 4.00 that carries a new kdcchallenge (RFC 9594 §4.3.1: N_S lost). */
static bool
take_new_ns(struct cl *c, const struct cl_response *r)
{
	cbor_item_t *m = NULL, *it;
	const uint8_t *p;
	size_t n;
	bool got = false;

	if (r->code != 400 || r->content_format != KDC_CF_ACE_GROUPCOMM ||
	    kdc_cbor_decode(r->payload, r->len, NULL, &m) != KDC_CBOR_OK)
		return false;
	it = kdc_cbor_map_get(m, KDC_GC_KDCCHALLENGE);
	if (it != NULL && kdc_cbor_get_bstr(it, &p, &n) && n <= sizeof(c->ns)) {
		memcpy(c->ns, p, n);
		c->ns_len = n;
		got = true;
	}
	cbor_decref(&m);
	return got;
}

int
cl_join(struct cl *c, bool get_creds)
{
	struct cl_response r;
	struct kdc_cw w;
	char code[16];
	int rc;

	/* The scope of a Join wraps ONE entry: [group name, roles]. */
	kdc_cw_init(&w);
	kdc_scope_encode_entry(&w, c->group, c->perm);
	if (!kdc_cw_ok(&w) || w.len > sizeof(c->scope)) {
		kdc_cw_free(&w);
		return -1;
	}
	memcpy(c->scope, w.buf, w.len);
	c->scope_len = w.len;
	kdc_cw_free(&w);

	rc = join_once(c, get_creds, &r);
	if (rc == 0 && take_new_ns(c, &r)) {
		printf("POST /ace-group/%s -> 4.00 with a new kdcchallenge; "
		       "retrying\n",
		       c->group);
		cl_response_free(&r);
		rc = join_once(c, get_creds, &r);
	}
	if (rc != 0)
		return -1;
	printf("POST /ace-group/%s -> %s\n", c->group,
	       cl_code_text(r.code, code, sizeof(code)));
	if (r.code != 201 && r.code != 204) {
		if (r.len > 0 && r.content_format < 0)
			fprintf(stderr, "kdc-client: %.*s\n", (int)r.len,
			        (const char *)r.payload);
		else if (r.content_format == KDC_CF_PROBLEM)
			fprintf(stderr, "kdc-client: problem details, see "
			                "RFC 9594 §4.1.2\n");
		cl_response_free(&r);
		return -1;
	}
	rc = cl_print_join(c, &r);
	cl_response_free(&r);
	return rc;
}
