/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gm_cred.c — authentication credentials and proof-of-possession.
 *
 * Credentials are CCS (cred_fmt 14).  In a group that uses the group mode
 * a member's credential carries its signature key (Ed25519 or P-256, as the
 * group's Signature Algorithm says); in a pairwise-only group it carries the
 * key for the Pairwise Key Agreement Algorithm (X25519 or P-256).  When a
 * group uses both modes with EdDSA, the Ed25519 key must convert to X25519
 * (GO §6.2 step 7: the GM answers 4.00 for keys that cannot).
 *
 * PoP evidence (RFC 9594 §3.3, GO §6.2): a signature over the PoP input, or
 * in pairwise-only groups an 8-byte MAC = HKDF-SHA-256(salt empty, IKM =
 * ECDH shared secret, info = PoP input, L = 8), compared in constant time.
 */
#include "gm.h"

#include "crypto.h"
#include "log.h"

#include <string.h>

static bool
pairwise_only(const struct ks_group *g)
{
	return g->cfg.pairwise_mode && !g->cfg.group_mode;
}

int
gm_cred_check(const struct ks_group *g, const uint8_t *cred, size_t len,
              struct kdc_cose_key *pub)
{
	if (g->cfg.cred_fmt != KDC_HDR_KCCS ||
	    kdc_ccs_public_key(cred, len, pub) != 0 || !pub->has_pub)
		return -1;
	if (pairwise_only(g)) {
		if (g->cfg.ecdh_crv == KDC_CRV_X25519)
			return pub->kty == KDC_KTY_OKP &&
			                       pub->crv == KDC_CRV_X25519
			               ? 0
			               : -1;
		return pub->kty == KDC_KTY_EC2 && pub->crv == KDC_CRV_P256 ? 0
		                                                           : -1;
	}
	if (g->cfg.sign_crv == KDC_CRV_ED25519) {
		uint8_t x[32];
		int rc;

		if (pub->kty != KDC_KTY_OKP || pub->crv != KDC_CRV_ED25519)
			return -1;
		if (!g->cfg.pairwise_mode)
			return 0;
		/* Refuse points that have no Montgomery form (y = ±1). */
		rc = kdc_ed25519_pk_to_x25519(x, pub->x);
		kdc_wipe(x, sizeof(x));
		return rc;
	}
	return pub->kty == KDC_KTY_EC2 && pub->crv == KDC_CRV_P256 ? 0 : -1;
}

int
gm_cred_check_stored(const struct ks_group *g, const struct ks_member *cur,
                     const uint8_t *cred, size_t len, struct kdc_cose_key *pub)
{
	/* The credential this member already holds in the group passed
	 * gm_cred_check() when it was accepted, against the group's
	 * algorithms, which never change after creation: only its key is
	 * needed again.  Skipping the check skips the Ed25519 -> X25519
	 * conversion, the costliest step of a re-join after the PoP
	 * signature itself (kdc-bench scenario 2: 20% of the keystore's CPU,
	 * docs/BENCHMARKS.md). */
	if (cur != NULL && cur->cred_len == len && len > 0 &&
	    memcmp(cur->cred, cred, len) == 0)
		return kdc_ccs_public_key(cred, len, pub) == 0 && pub->has_pub
		               ? 0
		               : -1;
	return gm_cred_check(g, cred, len, pub);
}

/* ECDH between one of our DH keys and a peer public key (X25519, or P-256;
 * an Ed25519 peer key is converted). */
static int
ecdh(const struct kdc_cose_key *ours, const struct kdc_cose_key *peer,
     uint8_t shared[32])
{
	if (ours->kty == KDC_KTY_OKP) {
		uint8_t px[32];
		int rc;

		if (peer->kty != KDC_KTY_OKP)
			return -1;
		if (peer->crv == KDC_CRV_ED25519) {
			if (kdc_ed25519_pk_to_x25519(px, peer->x) != 0)
				return -1;
		} else if (peer->crv == KDC_CRV_X25519) {
			memcpy(px, peer->x, 32);
		} else {
			return -1;
		}
		rc = kdc_x25519(shared, ours->d, px);
		kdc_wipe(px, sizeof(px));
		return rc;
	}
	if (peer->kty != KDC_KTY_EC2 || peer->crv != KDC_CRV_P256)
		return -1;
	return kdc_p256_ecdh(shared, ours->d, peer->x, peer->y);
}

int
gm_pop_verify(struct ks *ks, const struct ks_group *g,
              const struct kdc_cose_key *pub, const uint8_t *scope,
              size_t scope_len, const uint8_t *ns, size_t ns_len,
              const uint8_t *nc, size_t nc_len, const uint8_t *pop,
              size_t pop_len)
{
	struct kdc_cw in;
	int rc = -1;

	kdc_cw_init(&in);
	kdc_pop_input_client(&in, scope, scope_len, ns, ns_len, nc, nc_len);
	if (!kdc_cw_ok(&in))
		goto out;
	if (!pairwise_only(g)) {
		rc = kdc_sig_verify(g->cfg.sign_alg, pub, in.buf, in.len, pop,
		                    pop_len) == 0
		             ? 0
		             : -1;
	} else {
		const struct ks_kdc_key *k = ks_kdc_key_dh(ks, g->cfg.ecdh_crv);
		uint8_t shared[32], mac[8];

		if (k == NULL || pop_len != sizeof(mac) ||
		    ecdh(&k->priv, pub, shared) != 0)
			goto out;
		if (kdc_pop_mac(shared, sizeof(shared), in.buf, in.len, mac) ==
		    0)
			rc = kdc_ct_equal(mac, pop, sizeof(mac)) ? 0 : -1;
		kdc_wipe(shared, sizeof(shared));
		kdc_wipe(mac, sizeof(mac));
	}
out:
	kdc_cw_free(&in);
	return rc;
}

int
gm_kdc_pop_count(const struct ks_group *g, const struct kdc_cose_key *peer)
{
	/* In pairwise-only groups the KDC's evidence is a MAC that needs the
	 * peer's DH key; a monitor has none, so no kdc_cred then. */
	return pairwise_only(g) && peer == NULL ? 0 : 3;
}

int
gm_kdc_pop_entries(struct ks *ks, const struct ks_group *g, const uint8_t *nc,
                   size_t nc_len, const struct kdc_cose_key *peer,
                   struct kdc_cw *w)
{
	const struct ks_kdc_key *k;
	struct kdc_cw in;
	uint8_t nkdc[16];
	uint8_t ev[64];
	size_t ev_len = 0;
	int rc = -1;

	if (gm_kdc_pop_count(g, peer) == 0)
		return -1;
	k = pairwise_only(g)
	            ? ks_kdc_key_dh(ks, g->cfg.ecdh_crv)
	            : ks_kdc_key_sign(ks, g->cfg.sign_alg, g->cfg.sign_crv);
	if (k == NULL) {
		log_err("no KDC credential for the algorithms of group %s",
		        g->cfg.name);
		return -1;
	}
	kdc_random(nkdc, sizeof(nkdc)); /* N_KDC, RFC 9594 §4.3.1 */
	kdc_cw_init(&in);
	kdc_pop_input_kdc(&in, nc, nc_len, nkdc, sizeof(nkdc));
	if (!kdc_cw_ok(&in))
		goto out;
	if (!pairwise_only(g)) {
		if (kdc_sig_sign(g->cfg.sign_alg, &k->priv, in.buf, in.len, ev,
		                 &ev_len) != 0)
			goto out;
	} else {
		uint8_t shared[32];

		if (ecdh(&k->priv, peer, shared) != 0)
			goto out;
		rc = kdc_pop_mac(shared, sizeof(shared), in.buf, in.len, ev);
		kdc_wipe(shared, sizeof(shared));
		if (rc != 0)
			goto out;
		ev_len = 8;
	}
	kdc_cw_uint(w, KDC_GC_KDC_CRED);
	kdc_cw_bstr(w, k->cred, k->cred_len);
	kdc_cw_uint(w, KDC_GC_KDC_NONCE);
	kdc_cw_bstr(w, nkdc, sizeof(nkdc));
	kdc_cw_uint(w, KDC_GC_KDC_CRED_VERIFY);
	kdc_cw_bstr(w, ev, ev_len);
	rc = 0;
out:
	kdc_cw_free(&in);
	return rc;
}

/* The algorithm parameters of a group as a material struct (no secrets),
 * for the sign_info / ecdh_info encoders. */
static void
params_of(const struct ks_group *g, struct kdc_group_material *m)
{
	memset(m, 0, sizeof(*m));
	memcpy(m->name, g->cfg.name, sizeof(m->name));
	m->hkdf = g->cfg.hkdf;
	m->cred_fmt = g->cfg.cred_fmt;
	m->group_mode = g->cfg.group_mode;
	m->gp_enc_alg = g->cfg.gp_enc_alg;
	m->sign_alg = g->cfg.sign_alg;
	m->sign_crv = g->cfg.sign_crv;
	m->pairwise_mode = g->cfg.pairwise_mode;
	m->alg = g->cfg.alg;
	m->ecdh_alg = g->cfg.ecdh_alg;
	m->ecdh_crv = g->cfg.ecdh_crv;
}

size_t
gm_join_error_info_count(const struct ks_group *g, bool with_ns)
{
	return (g->cfg.group_mode ? 1 : 0) + (g->cfg.pairwise_mode ? 1 : 0) +
	       (pairwise_only(g) ? 1 : 0) + (with_ns ? 1 : 0);
}

void
gm_join_error_info(struct ks *ks, const struct ks_group *g, const uint8_t *ns,
                   size_t ns_len, struct kdc_cw *w)
{
	struct kdc_group_material m;

	params_of(g, &m);
	/* GO §6.2 step 8, labels in ascending order: sign_info (29),
	 * kdcchallenge (30), ecdh_info (31), kdc_dh_creds (32). */
	if (g->cfg.group_mode) {
		kdc_cw_uint(w, KDC_GC_SIGN_INFO);
		kdc_cw_array(w, 1);
		kdc_gm_encode_sign_info_entry(w, &m);
	}
	if (ns != NULL) {
		kdc_cw_uint(w, KDC_GC_KDCCHALLENGE);
		kdc_cw_bstr(w, ns, ns_len);
	}
	if (g->cfg.pairwise_mode) {
		kdc_cw_uint(w, KDC_GC_ECDH_INFO);
		kdc_cw_array(w, 1);
		kdc_gm_encode_ecdh_info_entry(w, &m);
	}
	if (pairwise_only(g)) {
		const struct ks_kdc_key *k = ks_kdc_key_dh(ks, g->cfg.ecdh_crv);

		kdc_cw_uint(w, KDC_GC_KDC_DH_CREDS);
		kdc_cw_array(w, 1);
		kdc_cw_array(w, 3);
		kdc_cw_tstrz(w, g->cfg.name);
		kdc_cw_int(w, g->cfg.cred_fmt);
		if (k != NULL)
			kdc_cw_bstr(w, k->cred, k->cred_len);
		else
			kdc_cw_bstr(w, NULL, 0);
	}
}
