/* SPDX-License-Identifier: Apache-2.0 */
/*
 * group.c — what a device does with the Join Response and the rekeying
 * messages: read the Group_OSCORE_Input_Material (GO §6.3), check the KDC's
 * proof of possession (kdc_cred_verify over bstr(N_C) || bstr(N_KDC),
 * RFC 9594 §4.3.1) and follow rekeyings by observing /ace-group/GROUPNAME
 * (RFC 9594 §6.1; GO §11.1: install version V' only if V' = V + 1).
 */
#include "client.h"

#include "crypto.h"

#include <stdio.h>
#include <string.h>

static bool
bstr_field(const cbor_item_t *map, int64_t label, const uint8_t **p, size_t *n)
{
	cbor_item_t *it = kdc_cbor_map_get(map, label);

	return it != NULL && kdc_cbor_get_bstr(it, p, n);
}

static void
print_key(struct cl *c, const cbor_item_t *key)
{
	const uint8_t *p;
	size_t n;
	int64_t v;

	if (bstr_field(key, KDC_OSC_CONTEXT_ID, &p, &n))
		cl_print_hex("gid", p, n);
	if (bstr_field(key, KDC_OSC_GROUP_SENDERID, &p, &n))
		cl_print_hex("sender-id", p, n);
	if (bstr_field(key, KDC_OSC_MS, &p, &n)) {
		if (c->show_secrets) {
			cl_print_hex("master-secret", p, n);
		} else {
			uint8_t h[32];

			/* A fingerprint, so that two devices can compare
			 * without showing the secret. */
			kdc_sha256(p, n, h);
			cl_print_hex("master-secret-id", h, 4);
		}
	}
	if (bstr_field(key, KDC_OSC_SALT, &p, &n))
		cl_print_hex("master-salt", p, n);
	if (kdc_cbor_get_int(kdc_cbor_map_get(key, KDC_OSC_SIGN_ALG), &v))
		printf("  %-18s %lld\n", "sign-alg", (long long)v);
	if (kdc_cbor_get_int(kdc_cbor_map_get(key, KDC_OSC_GP_ENC_ALG), &v))
		printf("  %-18s %lld\n", "group-enc-alg", (long long)v);
	if (kdc_cbor_get_int(kdc_cbor_map_get(key, KDC_OSC_ALG), &v))
		printf("  %-18s %lld\n", "pairwise-alg", (long long)v);
}

/* kdc_cred_verify: the KDC's signature over bstr(N_C) || bstr(N_KDC). */
static int
verify_kdc(struct cl *c, const cbor_item_t *ans, int64_t sign_alg)
{
	const uint8_t *cred, *nonce, *sig;
	size_t cred_len, nonce_len, sig_len;
	struct kdc_cose_key pub;
	struct kdc_cw in;
	int rc;

	if (!bstr_field(ans, KDC_GC_KDC_CRED, &cred, &cred_len) ||
	    !bstr_field(ans, KDC_GC_KDC_NONCE, &nonce, &nonce_len) ||
	    !bstr_field(ans, KDC_GC_KDC_CRED_VERIFY, &sig, &sig_len)) {
		printf("  %-18s absent\n", "kdc-cred");
		return 0;
	}
	if (kdc_ccs_public_key(cred, cred_len, &pub) != 0)
		return -1;
	kdc_cw_init(&in);
	kdc_pop_input_kdc(&in, c->nc, sizeof(c->nc), nonce, nonce_len);
	rc = kdc_cw_ok(&in) ? kdc_sig_verify(sign_alg, &pub, in.buf, in.len,
	                                     sig, sig_len)
	                    : -1;
	kdc_cw_free(&in);
	printf("  %-18s %s\n", "kdc-cred-verify",
	       rc == 0 ? "valid" : "INVALID");
	return rc;
}

int
cl_print_join(struct cl *c, const struct cl_response *r)
{
	cbor_item_t *ans = NULL, *key;
	const char *node;
	uint64_t num = 0, exi = 0;
	int64_t sign_alg = c->sign_alg;
	int rc = -1;

	node = strrchr(r->location, '/');
	snprintf(c->node, sizeof(c->node), "%s", node != NULL ? node + 1 : "");
	if (kdc_cbor_decode(r->payload, r->len, NULL, &ans) != KDC_CBOR_OK ||
	    !cbor_isa_map(ans))
		goto out;
	key = kdc_cbor_map_get(ans, KDC_GC_KEY);
	kdc_cbor_get_uint(kdc_cbor_map_get(ans, KDC_GC_NUM), &num);
	kdc_cbor_get_uint(kdc_cbor_map_get(ans, KDC_GC_EXI), &exi);
	c->num = num;
	printf("joined group %s as %s (location /%s)\n", c->group, c->node,
	       r->location);
	printf("  %-18s %llu\n", "num", (unsigned long long)num);
	printf("  %-18s %llu s\n", "expires-in", (unsigned long long)exi);
	if (key != NULL) {
		kdc_cbor_get_int(kdc_cbor_map_get(key, KDC_OSC_SIGN_ALG),
		                 &sign_alg);
		print_key(c, key);
	}
	if (kdc_cbor_map_get(ans, KDC_GC_CREDS) != NULL)
		printf("  %-18s %zu\n", "peer-credentials",
		       kdc_cbor_array_len(kdc_cbor_map_get(ans, KDC_GC_CREDS)));
	rc = verify_kdc(c, ans, sign_alg);
out:
	if (ans != NULL)
		cbor_decref(&ans);
	fflush(stdout);
	return rc;
}

static void
on_notify(struct cl *c, const struct cl_response *r)
{
	cbor_item_t *m = NULL, *key, *stale;
	uint64_t num = 0;
	char code[16];

	if (r->code != 205) {
		/* 4.04 error 5 (evicted), 4.04 error 6 (group deleted), 4.01
		 * (token expired), 4.03: the observation has ended. */
		printf("notification %s: observation ended\n",
		       cl_code_text(r->code, code, sizeof(code)));
		fflush(stdout);
		return;
	}
	if (kdc_cbor_decode(r->payload, r->len, NULL, &m) != KDC_CBOR_OK)
		return;
	kdc_cbor_get_uint(kdc_cbor_map_get(m, KDC_GC_NUM), &num);
	if (num == c->num) {
		cbor_decref(&m);
		return; /* nothing new */
	}
	printf("rekeyed group %s: num %llu -> %llu%s\n", c->group,
	       (unsigned long long)c->num, (unsigned long long)num,
	       num > c->num + 1 ? " (missed a rekeying)" : "");
	c->num = num;
	key = kdc_cbor_map_get(m, KDC_GC_KEY);
	if (key != NULL)
		print_key(c, key);
	stale = kdc_cbor_map_get(m, KDC_GC_STALE_NODE_IDS);
	for (size_t i = 0; stale != NULL && i < kdc_cbor_array_len(stale);
	     i++) {
		const uint8_t *p;
		size_t n;

		if (kdc_cbor_get_bstr(kdc_cbor_array_at(stale, i), &p, &n))
			cl_print_hex("stale-sender-id", p, n);
	}
	fflush(stdout);
	cbor_decref(&m);
}

int
cl_observe(struct cl *c, int secs)
{
	struct cl_response r;
	char path[KDC_GNAME_MAX + 16], code[16];

	snprintf(path, sizeof(path), "ace-group/%s", c->group);
	if (cl_request(c, c->dtls, COAP_REQUEST_CODE_GET, path, -1, NULL, 0,
	               true, &r) != 0)
		return -1;
	printf("observing /%s -> %s\n", path,
	       cl_code_text(r.code, code, sizeof(code)));
	fflush(stdout);
	cl_response_free(&r);
	c->on_notify = on_notify;
	cl_wait(c, secs);
	c->on_notify = NULL;
	return 0;
}
