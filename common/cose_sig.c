/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cose_sig.c — COSE_Sign1 (RFC 9052 §4.2-§4.4) with EdDSA/Ed25519 (-8/-19)
 * and ECDSA P-256 SHA-256 (-7/-9), and raw signatures with COSE keys
 * (RFC 9594 §3.3 PoP evidence).
 */
#include "cose.h"
#include "cose_int.h"
#include "crypto.h"

#include <string.h>

static bool
is_eddsa(int64_t alg)
{
	return alg == KDC_ALG_EDDSA || alg == KDC_ALG_ED25519;
}

static bool
is_es256(int64_t alg)
{
	return alg == KDC_ALG_ES256 || alg == KDC_ALG_ESP256;
}

int
kdc_cose_sig_key_ok(int64_t alg, const struct kdc_cose_key *key,
                    bool need_private)
{
	if (key == NULL)
		return KDC_COSE_E_ALG;
	if (is_eddsa(alg)) {
		if (key->kty != KDC_KTY_OKP || key->crv != KDC_CRV_ED25519)
			return KDC_COSE_E_ALG;
	} else if (is_es256(alg)) {
		if (key->kty != KDC_KTY_EC2 || key->crv != KDC_CRV_P256)
			return KDC_COSE_E_ALG;
	} else {
		return KDC_COSE_E_ALG;
	}
	if (need_private ? !key->has_priv : !key->has_pub)
		return KDC_COSE_E_ALG;
	/* RFC 9052 §7.1: a key that names an algorithm is for it only. */
	if (key->has_alg && !kdc_cose_alg_compatible(key->alg, alg))
		return KDC_COSE_E_ALG;
	return KDC_COSE_OK;
}

int
kdc_sig_sign(int64_t alg, const struct kdc_cose_key *priv, const uint8_t *msg,
             size_t len, uint8_t *sig, size_t *sig_len)
{
	int rc = kdc_cose_sig_key_ok(alg, priv, true);

	if (rc != KDC_COSE_OK)
		return rc;
	if (is_eddsa(alg))
		rc = kdc_ed25519_sign(priv->d, msg, len, sig);
	else
		rc = kdc_p256_sign(priv->d, msg, len, sig);
	if (rc != 0)
		return KDC_COSE_E_ALG; /* e.g. a P-256 scalar out of range */
	*sig_len = 64;
	return KDC_COSE_OK;
}

int
kdc_sig_verify(int64_t alg, const struct kdc_cose_key *pub, const uint8_t *msg,
               size_t len, const uint8_t *sig, size_t sig_len)
{
	int rc = kdc_cose_sig_key_ok(alg, pub, false);

	if (rc != KDC_COSE_OK)
		return rc;
	/* Both algorithms have 64-byte raw signatures (RFC 9053 §2). */
	if (sig == NULL || sig_len != 64)
		return KDC_COSE_E_VERIFY;
	if (is_eddsa(alg))
		rc = kdc_ed25519_verify(pub->x, msg, len, sig);
	else
		rc = kdc_p256_verify(pub->x, pub->y, msg, len, sig);
	return rc == 0 ? KDC_COSE_OK : KDC_COSE_E_VERIFY;
}

int
kdc_cose_sign1_verify(const struct kdc_cose_msg *m,
                      const struct kdc_cose_key *pub, const uint8_t *ext_aad,
                      size_t ext_aad_len)
{
	struct kdc_cw tbs;
	const uint8_t *prot;
	size_t prot_len;
	int rc;

	if (m->kind != KDC_COSE_SIGN1)
		return KDC_COSE_E_FORMAT;
	if (!m->has_alg)
		return KDC_COSE_E_ALG;
	rc = kdc_cose_sig_key_ok(m->alg, pub, false);
	if (rc != KDC_COSE_OK)
		return rc;
	if (m->payload == NULL)
		return KDC_COSE_E_FORMAT; /* detached: no payload to check */
	kdc_cose_body_prot(m, &prot, &prot_len);
	kdc_cw_init(&tbs);
	kdc_cose_tbs(&tbs, "Signature1", prot, prot_len, ext_aad, ext_aad_len,
	             m->payload, m->payload_len, true);
	if (!kdc_cw_ok(&tbs))
		rc = KDC_COSE_E_NOMEM;
	else
		rc = kdc_sig_verify(m->alg, pub, tbs.buf, tbs.len, m->tag,
		                    m->tag_len);
	kdc_cw_free(&tbs);
	return rc;
}

int
kdc_cose_sign1_create(struct kdc_cw *out, const struct kdc_cose_create *p,
                      const struct kdc_cose_key *priv, const uint8_t *payload,
                      size_t payload_len)
{
	struct kdc_cw prot, tbs;
	bool kid_unprot = !p->kid_protected && p->kid != NULL && p->kid_len > 0;
	uint8_t sig[64];
	size_t sig_len = 0;
	int rc;

	rc = kdc_cose_sig_key_ok(p->alg, priv, true);
	if (rc != KDC_COSE_OK)
		return rc;
	if (payload == NULL)
		payload = kdc_cose_empty;
	kdc_cw_init(&prot);
	kdc_cw_init(&tbs);
	kdc_cose_prot_encode(&prot, p);
	if (kdc_cw_ok(&prot))
		kdc_cose_tbs(&tbs, "Signature1", prot.buf, prot.len, p->ext_aad,
		             p->ext_aad_len, payload, payload_len, true);
	if (!kdc_cw_ok(&prot) || !kdc_cw_ok(&tbs)) {
		rc = KDC_COSE_E_NOMEM;
		goto out;
	}
	rc = kdc_sig_sign(p->alg, priv, tbs.buf, tbs.len, sig, &sig_len);
	if (rc != KDC_COSE_OK)
		goto out;
	kdc_cose_msg_head(out, p->tagged, KDC_TAG_COSE_SIGN1, 4);
	kdc_cw_bstr(out, prot.buf, prot.len);
	kdc_cw_map(out, kid_unprot ? 1 : 0);
	if (kid_unprot) {
		kdc_cw_int(out, KDC_HDR_KID);
		kdc_cw_bstr(out, p->kid, p->kid_len);
	}
	kdc_cw_bstr(out, payload, payload_len);
	kdc_cw_bstr(out, sig, sig_len);
	rc = kdc_cw_ok(out) ? KDC_COSE_OK : KDC_COSE_E_NOMEM;
out:
	kdc_cw_free(&prot);
	kdc_cw_free(&tbs);
	return rc;
}
