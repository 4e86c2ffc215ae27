/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gm_ccs.c — authentication credentials as CWT Claims Sets (CCS, cred_fmt
 * 14): a CBOR map whose confirmation claim cnf (8) holds the public key as
 * a COSE_Key (RFC 8392, RFC 8747 §3.1, GO §4).
 */
#include "gm_material.h"

#include "cbor_in.h"
#include "cose.h"
#include "cwt.h"

#include <string.h>

/* A credential is small: a key and a few claims. */
static const struct kdc_cbor_limits ccs_limits = {
        .max_size = 4096,
        .max_depth = 8,
        .max_items = 256,
};

static bool
supported_public(const struct kdc_cose_key *k)
{
	if (!k->has_pub || k->has_priv || k->k_len != 0)
		return false;
	if (k->kty == KDC_KTY_OKP)
		return k->crv == KDC_CRV_ED25519 || k->crv == KDC_CRV_X25519;
	if (k->kty == KDC_KTY_EC2)
		return k->crv == KDC_CRV_P256;
	return false;
}

static int
parse_claims(const cbor_item_t *ccs, struct kdc_cose_key *out)
{
	const cbor_item_t *sub, *cnf, *key;
	const char *s;
	size_t n;

	if (!cbor_isa_map(ccs))
		return -1;
	sub = kdc_cbor_map_get(ccs, KDC_CLAIM_SUB);
	if (sub != NULL && !kdc_cbor_get_tstr(sub, &s, &n))
		return -1;
	/* cnf with exactly one confirmation method, and that a COSE_Key
	 * (RFC 8747 §3.1: the cnf map holds one method). */
	cnf = kdc_cbor_map_get(ccs, KDC_CLAIM_CNF);
	if (cnf == NULL || !cbor_isa_map(cnf) || cbor_map_size(cnf) != 1)
		return -1;
	key = kdc_cbor_map_get(cnf, KDC_CNF_COSE_KEY);
	if (key == NULL || !cbor_isa_map(key))
		return -1;
	if (kdc_cose_key_decode(key, out) != 0)
		return -1;
	return supported_public(out) ? 0 : -1;
}

int
kdc_ccs_public_key(const uint8_t *ccs, size_t len, struct kdc_cose_key *out)
{
	cbor_item_t *root = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if (ccs == NULL || len == 0 ||
	    kdc_cbor_decode(ccs, len, &ccs_limits, &root) != KDC_CBOR_OK)
		return -1;
	rc = parse_claims(root, out);
	cbor_decref(&root);
	if (rc != 0)
		kdc_cose_key_wipe(out);
	return rc;
}

void
kdc_ccs_encode(struct kdc_cw *w, const char *sub,
               const struct kdc_cose_key *pub)
{
	kdc_cw_map(w, sub != NULL ? 2 : 1);
	if (sub != NULL) {
		kdc_cw_uint(w, KDC_CLAIM_SUB);
		kdc_cw_tstrz(w, sub);
	}
	kdc_cw_uint(w, KDC_CLAIM_CNF);
	kdc_cw_map(w, 1);
	kdc_cw_uint(w, KDC_CNF_COSE_KEY);
	kdc_cose_key_encode(w, pub, false);
}
