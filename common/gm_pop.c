/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gm_pop.c — proof-of-possession inputs (RFC 9594 §3.3, §4.3.1, §4.5.1)
 * and the MAC that replaces a signature in pairwise-only groups (GO §6.2).
 * The inputs are concatenated CBOR byte strings, not a COSE structure.
 */
#include "gm_material.h"

#include "crypto.h"

/* A valid pointer for empty inputs (memcpy of 0 bytes from NULL is
 * undefined behaviour). */
static const uint8_t nothing[1];
#define OR_EMPTY(p) ((p) != NULL ? (p) : nothing)

void
kdc_pop_input_client(struct kdc_cw *w, const uint8_t *scope, size_t scope_len,
                     const uint8_t *ns, size_t ns_len, const uint8_t *nc,
                     size_t nc_len)
{
	/* bstr(scope) || bstr(N_S) || bstr(N_C) */
	kdc_cw_bstr(w, OR_EMPTY(scope), scope_len);
	kdc_cw_bstr(w, OR_EMPTY(ns), ns_len);
	kdc_cw_bstr(w, OR_EMPTY(nc), nc_len);
}

void
kdc_pop_input_kdc(struct kdc_cw *w, const uint8_t *nc, size_t nc_len,
                  const uint8_t *nkdc, size_t nkdc_len)
{
	/* bstr(N_C) || bstr(N_KDC) */
	kdc_cw_bstr(w, OR_EMPTY(nc), nc_len);
	kdc_cw_bstr(w, OR_EMPTY(nkdc), nkdc_len);
}

int
kdc_pop_mac(const uint8_t *shared, size_t shared_len, const uint8_t *input,
            size_t input_len, uint8_t mac[8])
{
	/* HKDF-SHA-256(salt = empty, IKM = ECDH shared secret, info = PoP
	 * input, L = 8) (GO §6.2). */
	if (shared == NULL || shared_len == 0)
		return -1;
	return kdc_hkdf_sha256(nothing, 0, shared, shared_len, OR_EMPTY(input),
	                       input_len, mac, 8) == 0
	               ? 0
	               : -1;
}
