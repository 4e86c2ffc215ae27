/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cose_mac.c — COSE_Mac0 (RFC 9052 §6.2, §6.3) with HMAC 256/64 (4, the tag
 * is the leftmost 64 bits) and HMAC 256/256 (5), RFC 9053 §3.1.
 */
#include "cose.h"
#include "cose_int.h"
#include "crypto.h"

#include <string.h>

/* Shortest HMAC key accepted: 128 bits.  HMAC itself takes any length, but
 * a shorter key (or a key reference without k) is not a MAC key. */
#define MIN_HMAC_KEY 16

/* Tag length of a supported MAC algorithm, 0 otherwise. */
static size_t
mac_tag_len(int64_t alg)
{
	switch (alg) {
	case KDC_ALG_HMAC256_64:
		return 8;
	case KDC_ALG_HMAC256_256:
		return 32;
	default:
		return 0;
	}
}

static int
mac_key_ok(int64_t alg, const struct kdc_cose_key *key)
{
	if (mac_tag_len(alg) == 0 || key == NULL ||
	    key->kty != KDC_KTY_SYMMETRIC || key->k_len < MIN_HMAC_KEY ||
	    key->k_len > KDC_COSE_MAX_SYMKEY)
		return KDC_COSE_E_ALG;
	if (key->has_alg && key->alg != alg)
		return KDC_COSE_E_ALG;
	return KDC_COSE_OK;
}

/* HMAC-SHA-256 over the MAC_structure; 0 or KDC_COSE_E_NOMEM. */
static int
compute_tag(const struct kdc_cose_key *key, const uint8_t *prot,
            size_t prot_len, const uint8_t *ext_aad, size_t ext_aad_len,
            const uint8_t *payload, size_t payload_len, uint8_t mac[32])
{
	struct kdc_cw tbs;
	int rc = KDC_COSE_OK;

	kdc_cw_init(&tbs);
	kdc_cose_tbs(&tbs, "MAC0", prot, prot_len, ext_aad, ext_aad_len,
	             payload, payload_len, true);
	if (kdc_cw_ok(&tbs))
		kdc_hmac_sha256(key->k, key->k_len, tbs.buf, tbs.len, mac);
	else
		rc = KDC_COSE_E_NOMEM;
	kdc_cw_free(&tbs);
	return rc;
}

int
kdc_cose_mac0_verify(const struct kdc_cose_msg *m,
                     const struct kdc_cose_key *key, const uint8_t *ext_aad,
                     size_t ext_aad_len)
{
	const uint8_t *prot;
	size_t n, prot_len;
	uint8_t mac[32];
	int rc;

	if (m->kind != KDC_COSE_MAC0)
		return KDC_COSE_E_FORMAT;
	if (!m->has_alg)
		return KDC_COSE_E_ALG;
	rc = mac_key_ok(m->alg, key);
	if (rc != KDC_COSE_OK)
		return rc;
	if (m->payload == NULL)
		return KDC_COSE_E_FORMAT;
	n = mac_tag_len(m->alg);
	if (m->tag_len != n)
		return KDC_COSE_E_VERIFY;
	kdc_cose_body_prot(m, &prot, &prot_len);
	rc = compute_tag(key, prot, prot_len, ext_aad, ext_aad_len, m->payload,
	                 m->payload_len, mac);
	if (rc == KDC_COSE_OK && !kdc_ct_equal(mac, m->tag, n))
		rc = KDC_COSE_E_VERIFY;
	kdc_wipe(mac, sizeof(mac));
	return rc;
}

int
kdc_cose_mac0_create(struct kdc_cw *out, const struct kdc_cose_create *p,
                     const struct kdc_cose_key *key, const uint8_t *payload,
                     size_t payload_len)
{
	struct kdc_cw prot;
	bool kid_unprot = !p->kid_protected && p->kid != NULL && p->kid_len > 0;
	uint8_t mac[32];
	int rc;

	rc = mac_key_ok(p->alg, key);
	if (rc != KDC_COSE_OK)
		return rc;
	if (payload == NULL)
		payload = kdc_cose_empty;
	kdc_cw_init(&prot);
	kdc_cose_prot_encode(&prot, p);
	rc = kdc_cw_ok(&prot)
	             ? compute_tag(key, prot.buf, prot.len, p->ext_aad,
	                           p->ext_aad_len, payload, payload_len, mac)
	             : KDC_COSE_E_NOMEM;
	if (rc == KDC_COSE_OK) {
		kdc_cose_msg_head(out, p->tagged, KDC_TAG_COSE_MAC0, 4);
		kdc_cw_bstr(out, prot.buf, prot.len);
		kdc_cw_map(out, kid_unprot ? 1 : 0);
		if (kid_unprot) {
			kdc_cw_int(out, KDC_HDR_KID);
			kdc_cw_bstr(out, p->kid, p->kid_len);
		}
		kdc_cw_bstr(out, payload, payload_len);
		kdc_cw_bstr(out, mac, mac_tag_len(p->alg));
		rc = kdc_cw_ok(out) ? KDC_COSE_OK : KDC_COSE_E_NOMEM;
	}
	kdc_wipe(mac, sizeof(mac));
	kdc_cw_free(&prot);
	return rc;
}
