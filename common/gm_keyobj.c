/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gm_keyobj.c — the Group_OSCORE_Input_Material object (`key`, label 8) in
 * its three shapes, the sign_params / ecdh_params arrays and `exi`.
 *
 * Map keys are written in ascending label order, which for the small
 * unsigned labels used here is also the deterministic order of RFC 8949
 * §4.2.1, so a member that re-encodes what it received gets the same bytes.
 */
#include "gm_material.h"

#include "cose.h"

/* The COSE key type of a curve (RFC 9053 §7.1): OKP for the Edwards and
 * Montgomery curves, EC2 for the NIST curves. */
int
kdc_gm_kty_of_crv(int crv)
{
	switch (crv) {
	case KDC_CRV_ED25519:
	case KDC_CRV_X25519:
		return KDC_KTY_OKP;
	default:
		return KDC_KTY_EC2;
	}
}

/* [[kty], [kty, crv]]: the algorithm capabilities and the key type
 * capabilities (GO §14, RFC 9053 Appendix B). */
static void
encode_params(struct kdc_cw *w, int crv)
{
	int kty = kdc_gm_kty_of_crv(crv);

	kdc_cw_array(w, 2);
	kdc_cw_array(w, 1);
	kdc_cw_int(w, kty);
	kdc_cw_array(w, 2);
	kdc_cw_int(w, kty);
	kdc_cw_int(w, crv);
}

void
kdc_gm_encode_sign_params(struct kdc_cw *w, const struct kdc_group_material *m)
{
	encode_params(w, m->sign_crv);
}

void
kdc_gm_encode_ecdh_params(struct kdc_cw *w, const struct kdc_group_material *m)
{
	encode_params(w, m->ecdh_crv);
}

uint64_t
kdc_gm_exi(const struct kdc_group_material *m, int64_t now)
{
	if (m->exp == 0 || m->exp <= now)
		return 0;
	/* exp > now, so the difference is positive; it cannot overflow
	 * uint64_t even for a negative now. */
	return (uint64_t)m->exp - (uint64_t)now;
}

/* Which labels a shape carries (GO §6.3 table, §9.6, §11.1). */
struct keyobj_fields {
	bool ms, hkdf, alg, salt, sid, cred_fmt, group, pairwise;
};

static struct keyobj_fields
fields_of(const struct kdc_group_material *m, enum kdc_keyobj_shape shape,
          size_t sid_len, bool with_sid)
{
	struct keyobj_fields f = {0};

	switch (shape) {
	case KDC_KEYOBJ_FULL:
		f.ms = true;
		f.hkdf = true;
		f.alg = m->pairwise_mode;
		f.salt = m->salt_len > 0;
		f.sid = with_sid && sid_len > 0;
		f.cred_fmt = true;
		f.group = m->group_mode;
		f.pairwise = m->pairwise_mode;
		break;
	case KDC_KEYOBJ_REKEY:
		f.ms = true;
		f.salt = m->salt_len > 0;
		break;
	case KDC_KEYOBJ_VERIF:
		f.hkdf = true;
		f.alg = m->pairwise_mode;
		f.cred_fmt = true;
		f.group = true; /* verif-data exists for group-mode groups */
		f.pairwise = m->pairwise_mode;
		break;
	}
	return f;
}

void
kdc_gm_encode_key_object(struct kdc_cw *w, const struct kdc_group_material *m,
                         enum kdc_keyobj_shape shape, const uint8_t *sid,
                         size_t sid_len, bool with_sid)
{
	struct keyobj_fields f = fields_of(m, shape, sid_len, with_sid);
	size_t n = 1; /* contextId */

	n += f.ms + f.hkdf + f.alg + f.salt + f.sid + f.cred_fmt;
	n += f.group ? 3 : 0;
	n += f.pairwise ? 2 : 0;
	kdc_cw_map(w, n);
	if (f.ms) {
		kdc_cw_uint(w, KDC_OSC_MS);
		kdc_cw_bstr(w, m->ms, m->ms_len);
	}
	if (f.hkdf) {
		kdc_cw_uint(w, KDC_OSC_HKDF);
		kdc_cw_int(w, m->hkdf);
	}
	if (f.alg) {
		kdc_cw_uint(w, KDC_OSC_ALG);
		kdc_cw_int(w, m->alg);
	}
	if (f.salt) {
		kdc_cw_uint(w, KDC_OSC_SALT);
		kdc_cw_bstr(w, m->salt, m->salt_len);
	}
	kdc_cw_uint(w, KDC_OSC_CONTEXT_ID);
	kdc_cw_bstr(w, m->gid, m->gid_len);
	if (f.sid) {
		kdc_cw_uint(w, KDC_OSC_GROUP_SENDERID);
		kdc_cw_bstr(w, sid, sid_len);
	}
	if (f.cred_fmt) {
		kdc_cw_uint(w, KDC_OSC_CRED_FMT);
		kdc_cw_int(w, m->cred_fmt);
	}
	if (f.group) {
		kdc_cw_uint(w, KDC_OSC_GP_ENC_ALG);
		kdc_cw_int(w, m->gp_enc_alg);
		kdc_cw_uint(w, KDC_OSC_SIGN_ALG);
		kdc_cw_int(w, m->sign_alg);
		kdc_cw_uint(w, KDC_OSC_SIGN_PARAMS);
		kdc_gm_encode_sign_params(w, m);
	}
	if (f.pairwise) {
		kdc_cw_uint(w, KDC_OSC_ECDH_ALG);
		kdc_cw_int(w, m->ecdh_alg);
		kdc_cw_uint(w, KDC_OSC_ECDH_PARAMS);
		kdc_gm_encode_ecdh_params(w, m);
	}
}
