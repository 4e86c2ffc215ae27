/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cose_enc.c — COSE_Encrypt0 (RFC 9052 §5.2, §5.3) with the AEADs of
 * crypto.h: AES-CCM (10, 11, 30), AES-GCM (1, 3), ChaCha20/Poly1305 (24).
 */
#include "cose.h"
#include "cose_int.h"
#include "crypto.h"

#include <stdlib.h>
#include <string.h>

static int
aead_key_ok(int64_t alg, const struct kdc_cose_key *key)
{
	size_t kl;

	if (alg < -0x7fffffff || alg > 0x7fffffff)
		return KDC_COSE_E_ALG;
	kl = kdc_aead_key_len((int)alg);
	if (kl == 0 || key == NULL || key->kty != KDC_KTY_SYMMETRIC ||
	    key->k_len != kl)
		return KDC_COSE_E_ALG;
	if (key->has_alg && key->alg != alg)
		return KDC_COSE_E_ALG;
	return KDC_COSE_OK;
}

int
kdc_cose_encrypt0_decrypt(const struct kdc_cose_msg *m,
                          const struct kdc_cose_key *key,
                          const uint8_t *ext_aad, size_t ext_aad_len,
                          uint8_t **pt, size_t *pt_len)
{
	struct kdc_cw aad;
	const uint8_t *prot;
	uint8_t *buf;
	size_t tag, n, prot_len;
	int alg, rc;

	*pt = NULL;
	*pt_len = 0;
	if (m->kind != KDC_COSE_ENCRYPT0)
		return KDC_COSE_E_FORMAT;
	if (!m->has_alg)
		return KDC_COSE_E_ALG;
	rc = aead_key_ok(m->alg, key);
	if (rc != KDC_COSE_OK)
		return rc;
	alg = (int)m->alg;
	/* RFC 9052 §3.1: the nonce is the IV, or a Partial IV combined with
	 * a context Base IV; this code has no Base IV, so a message with
	 * only a Partial IV cannot be decrypted. */
	if (m->iv == NULL || m->iv_len != kdc_aead_nonce_len(alg))
		return KDC_COSE_E_HEADER;
	if (m->payload == NULL)
		return KDC_COSE_E_FORMAT; /* detached ciphertext */
	tag = kdc_aead_tag_len(alg);
	if (m->payload_len < tag)
		return KDC_COSE_E_VERIFY;
	n = m->payload_len - tag;
	kdc_cose_body_prot(m, &prot, &prot_len);
	kdc_cw_init(&aad);
	kdc_cose_tbs(&aad, "Encrypt0", prot, prot_len, ext_aad, ext_aad_len,
	             NULL, 0, false);
	buf = malloc(n > 0 ? n : 1);
	if (!kdc_cw_ok(&aad) || buf == NULL) {
		rc = KDC_COSE_E_NOMEM;
	} else if (kdc_aead_decrypt(alg, key->k, m->iv, aad.buf, aad.len,
	                            m->payload, m->payload_len, buf) != 0) {
		rc = KDC_COSE_E_VERIFY;
	} else {
		*pt = buf;
		*pt_len = n;
		buf = NULL;
	}
	free(buf); /* wiped by kdc_aead_decrypt on failure */
	kdc_cw_free(&aad);
	return rc;
}

int
kdc_cose_encrypt0_create(struct kdc_cw *out, const struct kdc_cose_create *p,
                         const struct kdc_cose_key *key, const uint8_t *pt,
                         size_t pt_len)
{
	struct kdc_cw prot, aad;
	bool kid_unprot = !p->kid_protected && p->kid != NULL && p->kid_len > 0;
	uint8_t iv[16];
	uint8_t *ct = NULL;
	size_t nl, tag;
	int alg, rc;

	rc = aead_key_ok(p->alg, key);
	if (rc != KDC_COSE_OK)
		return rc;
	alg = (int)p->alg;
	nl = kdc_aead_nonce_len(alg);
	tag = kdc_aead_tag_len(alg);
	if (p->iv != NULL) {
		if (p->iv_len != nl)
			return KDC_COSE_E_HEADER;
		memcpy(iv, p->iv, nl);
	} else {
		kdc_random(iv, nl);
	}
	if (pt_len > SIZE_MAX - tag)
		return KDC_COSE_E_NOMEM;
	kdc_cw_init(&prot);
	kdc_cw_init(&aad);
	kdc_cose_prot_encode(&prot, p);
	if (kdc_cw_ok(&prot))
		kdc_cose_tbs(&aad, "Encrypt0", prot.buf, prot.len, p->ext_aad,
		             p->ext_aad_len, NULL, 0, false);
	ct = malloc(pt_len + tag);
	if (!kdc_cw_ok(&prot) || !kdc_cw_ok(&aad) || ct == NULL) {
		rc = KDC_COSE_E_NOMEM;
		goto out;
	}
	if (kdc_aead_encrypt(alg, key->k, iv, aad.buf, aad.len, pt, pt_len,
	                     ct) != 0) {
		rc = KDC_COSE_E_ALG;
		goto out;
	}
	kdc_cose_msg_head(out, p->tagged, KDC_TAG_COSE_ENCRYPT0, 3);
	kdc_cw_bstr(out, prot.buf, prot.len);
	/* Unprotected {4: kid, 5: IV} in RFC 8949 §4.2.1 order. */
	kdc_cw_map(out, kid_unprot ? 2 : 1);
	if (kid_unprot) {
		kdc_cw_int(out, KDC_HDR_KID);
		kdc_cw_bstr(out, p->kid, p->kid_len);
	}
	kdc_cw_int(out, KDC_HDR_IV);
	kdc_cw_bstr(out, iv, nl);
	kdc_cw_bstr(out, ct, pt_len + tag);
	rc = kdc_cw_ok(out) ? KDC_COSE_OK : KDC_COSE_E_NOMEM;
out:
	free(ct);
	kdc_cw_free(&prot);
	kdc_cw_free(&aad);
	return rc;
}
