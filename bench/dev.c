/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dev.c — simulated devices: an access token from the development AS
 * (Encrypt0, AES-CCM-16-64-128, symmetric PoP key with a text kid, scope
 * Requester+Responder of one group; RFC 9202 §3.3, RFC 9594 §3.1), an
 * Ed25519 credential in a CCS, and Join Requests with the PoP signature
 * over scope || N_S || N_C (RFC 9594 §3.3, GO §6.2).
 *
 * Everything the Authorization Server and the devices compute before the
 * KDC is involved (minting, key generation) is done before the timed part
 * of a scenario, so that the shared CPU measures the KDC.
 */
#include "bench.h"

#include "cbor_in.h"
#include "cbor_out.h"
#include "crypto.h"
#include "gm_material.h"
#include "scope.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int
b_mint(struct b_env *e, const char *kid, const char *key, const char *group,
       int64_t lifetime, uint8_t **tok, size_t *len)
{
	struct kdc_cw claims, scope, out;
	struct kdc_cose_create cc;
	uint8_t cti[8];
	int64_t now = (int64_t)time(NULL);
	struct kdc_scope s;
	int rc = -1;

	kdc_random(cti, sizeof(cti));
	kdc_cw_init(&claims);
	kdc_cw_init(&scope);
	kdc_cw_init(&out);
	memset(&s, 0, sizeof(s));
	snprintf(s.e[0].gname, sizeof(s.e[0].gname), "%s", group);
	s.e[0].gname_len = strlen(group);
	s.e[0].perm = KDC_PERM_REQ | KDC_PERM_RESP;
	s.n = 1;
	kdc_scope_encode(&scope, &s);
	kdc_cw_map(&claims, 6);
	kdc_cw_uint(&claims, 3); /* aud */
	kdc_cw_tstrz(&claims, e->audience);
	kdc_cw_uint(&claims, 4); /* exp */
	kdc_cw_int(&claims, now + lifetime);
	kdc_cw_uint(&claims, 6); /* iat */
	kdc_cw_int(&claims, now);
	kdc_cw_uint(&claims, 7); /* cti */
	kdc_cw_bstr(&claims, cti, sizeof(cti));
	kdc_cw_uint(&claims, 8); /* cnf: symmetric COSE_Key */
	kdc_cw_map(&claims, 1);
	kdc_cw_uint(&claims, 1);
	kdc_cw_map(&claims, 3);
	kdc_cw_uint(&claims, 1);
	kdc_cw_uint(&claims, 4);
	kdc_cw_uint(&claims, 2);
	kdc_cw_bstr(&claims, (const uint8_t *)kid, strlen(kid));
	kdc_cw_int(&claims, -1);
	kdc_cw_bstr(&claims, (const uint8_t *)key, strlen(key));
	kdc_cw_uint(&claims, 9); /* scope (AIF) */
	kdc_cw_bstr(&claims, scope.buf, scope.len);
	if (!kdc_cw_ok(&claims) || !kdc_cw_ok(&scope))
		goto done;
	memset(&cc, 0, sizeof(cc));
	cc.alg = KDC_ALG_AES_CCM_16_64_128;
	cc.tagged = true;
	if (kdc_cose_encrypt0_create(&out, &cc, &e->as_key, claims.buf,
	                             claims.len) != 0 ||
	    !kdc_cw_ok(&out))
		goto done;
	*tok = kdc_cw_take(&out, len);
	rc = *tok != NULL ? 0 : -1;
done:
	kdc_cw_free(&claims);
	kdc_cw_free(&scope);
	kdc_cw_free(&out);
	return rc;
}

struct b_dev *
b_devs_new(struct b_env *e, const char *prefix, size_t n, const char *group,
           int64_t lifetime)
{
	struct b_dev *v = calloc(n ? n : 1, sizeof(*v));

	if (v == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		struct b_dev *d = &v[i];
		uint8_t *tok = NULL;
		size_t toklen = 0;
		struct kdc_cw w;

		snprintf(d->kid, sizeof(d->kid), "%s%zu", prefix, i);
		for (size_t k = 0; k < 16; k++) {
			uint8_t b;

			kdc_random(&b, 1);
			d->key[k] = "abcdefghijklmnopqrstuvwxyz012345"[b % 32];
		}
		if (b_mint(e, d->kid, d->key, group, lifetime, &tok, &toklen) !=
		    0)
			goto fail;
		/* application/ace+cbor: {access_token, sign_info: null}. */
		kdc_cw_init(&w);
		kdc_cw_map(&w, 2);
		kdc_cw_uint(&w, KDC_OAUTH_ACCESS_TOKEN);
		kdc_cw_bstr(&w, tok, toklen);
		kdc_cw_uint(&w, KDC_OAUTH_SIGN_INFO);
		kdc_cw_null(&w);
		free(tok);
		d->body = kdc_cw_take(&w, &d->body_len);
		if (d->body == NULL)
			goto fail;
		d->cred_key.kty = KDC_KTY_OKP;
		d->cred_key.crv = KDC_CRV_ED25519;
		kdc_ed25519_keypair(d->cred_key.x, d->cred_key.d);
		d->cred_key.has_pub = d->cred_key.has_priv = true;
		kdc_cw_init(&w);
		kdc_ccs_encode(&w, "device", &d->cred_key);
		if (!kdc_cw_ok(&w) || w.len > sizeof(d->cred)) {
			kdc_cw_free(&w);
			goto fail;
		}
		memcpy(d->cred, w.buf, w.len);
		d->cred_len = w.len;
		kdc_cw_free(&w);
	}
	return v;
fail:
	b_devs_free(v, n);
	return NULL;
}

void
b_devs_free(struct b_dev *v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free(v[i].body);
		for (unsigned k = 0; k < B_POP_POOL; k++)
			free(v[i].join[k]);
	}
	free(v);
}

int
b_dev_take_ns(struct b_dev *d, const uint8_t *p, size_t n)
{
	cbor_item_t *m = NULL;
	const uint8_t *ns;
	size_t len;
	int rc = -1;

	if (n == 0 || kdc_cbor_decode(p, n, NULL, &m) != KDC_CBOR_OK)
		return -1;
	if (kdc_cbor_get_bstr(kdc_cbor_map_get(m, KDC_OAUTH_KDCCHALLENGE), &ns,
	                      &len) &&
	    len <= sizeof(d->ns)) {
		memcpy(d->ns, ns, len);
		d->ns_len = len;
		rc = 0;
	}
	cbor_decref(&m);
	return rc;
}

/* A Join Request (RFC 9594 §4.3.1): scope, client_cred, cnonce,
 * client_cred_verify (Ed25519 over the PoP input of GO §6.2). */
static int
join_payload(struct b_dev *d, const char *group, uint8_t **out, size_t *len)
{
	struct kdc_cw scope, in, w;
	uint8_t nc[8], sig[64];
	size_t sig_len = 0;
	int rc;

	kdc_cw_init(&scope);
	kdc_cw_init(&in);
	kdc_cw_init(&w);
	kdc_scope_encode_entry(&scope, group, KDC_PERM_REQ | KDC_PERM_RESP);
	kdc_random(nc, sizeof(nc));
	kdc_pop_input_client(&in, scope.buf, scope.len, d->ns, d->ns_len, nc,
	                     sizeof(nc));
	rc = kdc_cw_ok(&in) ? kdc_sig_sign(KDC_ALG_EDDSA, &d->cred_key, in.buf,
	                                   in.len, sig, &sig_len)
	                    : -1;
	kdc_cw_map(&w, 4);
	kdc_cw_uint(&w, KDC_GC_SCOPE);
	kdc_cw_bstr(&w, scope.buf, scope.len);
	kdc_cw_uint(&w, KDC_GC_CLIENT_CRED);
	kdc_cw_bstr(&w, d->cred, d->cred_len);
	kdc_cw_uint(&w, KDC_GC_CNONCE);
	kdc_cw_bstr(&w, nc, sizeof(nc));
	kdc_cw_uint(&w, KDC_GC_CLIENT_CRED_VERIFY);
	kdc_cw_bstr(&w, sig, sig_len);
	*out = rc == 0 ? kdc_cw_take(&w, len) : NULL;
	kdc_cw_free(&w);
	kdc_cw_free(&scope);
	kdc_cw_free(&in);
	return *out != NULL ? 0 : -1;
}

int
b_dev_sign_joins(struct b_dev *d, const char *group, unsigned count)
{
	if (count > B_POP_POOL)
		count = B_POP_POOL;
	for (unsigned k = 0; k < count; k++) {
		free(d->join[k]);
		d->join[k] = NULL;
		if (join_payload(d, group, &d->join[k], &d->join_len[k]) != 0)
			return -1;
	}
	d->njoin = count;
	d->next_join = 0;
	return 0;
}
