/* SPDX-License-Identifier: Apache-2.0 */
/*
 * psk.c — the PSK mode of the DTLS profile (RFC 9202 §3.3): the
 * psk_identity naming a key by its kid (§3.3.2) and the key an RS derives
 * from a kid-only token (§3.3.1).
 */
#include "token.h"

#include "crypto.h"
#include "cwt.h"

void
tok_psk_identity(struct kdc_cw *out, const uint8_t *kid, size_t len)
{
	/* { cnf: { COSE_Key: { kty: Symmetric, kid: kid } } } */
	kdc_cw_map(out, 1);
	kdc_cw_uint(out, KDC_CLAIM_CNF);
	kdc_cw_map(out, 1);
	kdc_cw_uint(out, KDC_CNF_COSE_KEY);
	kdc_cw_map(out, 2);
	kdc_cw_uint(out, KDC_KEY_KTY);
	kdc_cw_uint(out, KDC_KTY_SYMMETRIC);
	kdc_cw_uint(out, KDC_KEY_KID);
	kdc_cw_bstr(out, kid, len);
}

int
tok_derive_psk(const uint8_t *kdk, size_t kdk_len, const uint8_t *tok,
               size_t len, uint8_t out[TOK_DERIVED_PSK_LEN])
{
	static const char label[] = "ACE-CoAP-DTLS-key-derivation";
	struct kdc_cw info;
	int rc;

	kdc_cw_init(&info);
	kdc_cw_array(&info, 3);
	kdc_cw_tstr(&info, label, sizeof(label) - 1);
	kdc_cw_uint(&info, TOK_DERIVED_PSK_LEN);
	kdc_cw_bstr(&info, tok, len);
	rc = kdc_cw_ok(&info)
	             ? kdc_hkdf_sha256(NULL, 0, kdk, kdk_len, info.buf,
	                               info.len, out, TOK_DERIVED_PSK_LEN)
	             : -1;
	kdc_cw_free(&info);
	return rc;
}
