/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gm_messages.c — the messages that carry a group's keying material: key
 * distribution responses, the point-to-point rekeying message, policies,
 * verif-data with its Signature Encryption Key, problem details and the
 * sign_info / ecdh_info entries (RFC 9594 §3.3.1, §4.1.2, §4.3.2, §4.6.1,
 * §4.8.1, §6; Group OSCORE profile §5.3.1, §9.1, §9.6, §11.1).
 *
 * Top-level map keys are written in ascending label order.
 */
#include "gm_material.h"

#include "cose.h"
#include "crypto.h"

#include <string.h>

/* A valid pointer for empty byte strings (memcpy of 0 bytes from NULL is
 * undefined behaviour). */
static const uint8_t nothing[1];
#define OR_EMPTY(p) ((p) != NULL ? (p) : nothing)

/* exp and exi (RFC 9594 §4.3.1: exi MUST accompany exp).  now == 0 leaves
 * exi out for a message cached and completed at send time. */
static size_t
expiry_entries(const struct kdc_group_material *m, int64_t now)
{
	if (m->exp == 0)
		return 0;
	return now == 0 ? 1 : 2;
}

static void
encode_expiry(struct kdc_cw *w, const struct kdc_group_material *m, int64_t now)
{
	if (m->exp == 0)
		return;
	kdc_cw_uint(w, KDC_GC_EXP);
	kdc_cw_int(w, m->exp);
	if (now != 0) {
		kdc_cw_uint(w, KDC_GC_EXI);
		kdc_cw_uint(w, kdc_gm_exi(m, now));
	}
}

/* gkty and key, the first two entries of every key-carrying message. */
static void
encode_head(struct kdc_cw *w, const struct kdc_group_material *m,
            enum kdc_keyobj_shape shape, const uint8_t *sid, size_t sid_len,
            bool with_sid)
{
	kdc_cw_uint(w, KDC_GC_GKTY);
	kdc_cw_uint(w, KDC_GKTY_GROUP_OSCORE);
	kdc_cw_uint(w, KDC_GC_KEY);
	kdc_gm_encode_key_object(w, m, shape, sid, sid_len, with_sid);
	kdc_cw_uint(w, KDC_GC_NUM);
	kdc_cw_uint(w, m->num);
	kdc_cw_uint(w, KDC_GC_ACE_GROUPCOMM_PROFILE);
	kdc_cw_uint(w, KDC_PROFILE_GROUP_OSCORE);
}

void
kdc_gm_encode_key_response(struct kdc_cw *w, const struct kdc_group_material *m,
                           const uint8_t *sid, size_t sid_len, bool with_sid,
                           int64_t now)
{
	kdc_cw_map(w, 4 + expiry_entries(m, now));
	encode_head(w, m, KDC_KEYOBJ_FULL, sid, sid_len, with_sid);
	encode_expiry(w, m, now);
}

void
kdc_gm_encode_peers(struct kdc_cw *w, const struct kdc_gm_peer *peers, size_t n)
{
	/* creds: the credentials in their original binary form, as bstr. */
	kdc_cw_uint(w, KDC_GC_CREDS);
	kdc_cw_array(w, n);
	for (size_t i = 0; i < n; i++)
		kdc_cw_bstr(w, OR_EMPTY(peers[i].cred), peers[i].cred_len);
	/* peer_roles: each element encoded like the role element of an AIF
	 * scope entry, i.e. the Tperm role bitmap (GO §3, RFC 9594 §4.3.1). */
	kdc_cw_uint(w, KDC_GC_PEER_ROLES);
	kdc_cw_array(w, n);
	for (size_t i = 0; i < n; i++)
		kdc_cw_uint(w, peers[i].perm);
	/* peer_identifiers: the owners' Sender IDs (GO §6.3, REQ25). */
	kdc_cw_uint(w, KDC_GC_PEER_IDENTIFIERS);
	kdc_cw_array(w, n);
	for (size_t i = 0; i < n; i++)
		kdc_cw_bstr(w, OR_EMPTY(peers[i].sid), peers[i].sid_len);
}

void
kdc_gm_encode_rekey(struct kdc_cw *w, const struct kdc_group_material *m,
                    const uint8_t *const *stale, const size_t *stale_len,
                    size_t nstale, const struct kdc_gm_peer *joiners,
                    size_t njoiners, int64_t now)
{
	size_t n = 5 + expiry_entries(m, now) + (njoiners > 0 ? 3 : 0);

	kdc_cw_map(w, n);
	encode_head(w, m, KDC_KEYOBJ_REKEY, NULL, 0, false);
	encode_expiry(w, m, now);
	/* The joiners' credentials, all three arrays or none (GO §11.1). */
	if (njoiners > 0)
		kdc_gm_encode_peers(w, joiners, njoiners);
	/* stale_node_ids: always present, possibly empty (GO §11.1). */
	kdc_cw_uint(w, KDC_GC_STALE_NODE_IDS);
	kdc_cw_array(w, nstale);
	for (size_t i = 0; i < nstale; i++)
		kdc_cw_bstr(w, OR_EMPTY(stale[i]), stale_len[i]);
}

void
kdc_gm_encode_policies_map(struct kdc_cw *w, const struct kdc_group_material *m)
{
	/* ACE Groupcomm Policies (RFC 9594 §10): Key Update Check Interval 1,
	 * Expiration Delta 2. */
	kdc_cw_map(w, 2);
	kdc_cw_uint(w, 1);
	kdc_cw_uint(w, m->key_update_check_interval);
	kdc_cw_uint(w, 2);
	kdc_cw_uint(w, m->expiration_delta);
}

void
kdc_gm_encode_policies(struct kdc_cw *w, const struct kdc_group_material *m)
{
	kdc_cw_map(w, 1);
	kdc_cw_uint(w, KDC_GC_GROUP_POLICIES);
	kdc_gm_encode_policies_map(w, m);
}

int
kdc_gm_sign_enc_key(const struct kdc_group_material *m, uint8_t *out,
                    size_t *out_len)
{
	size_t l;
	struct kdc_cw info;
	int rc = -1;

	*out_len = 0;
	if (m->hkdf != KDC_ALG_HMAC256_256 || m->ms_len == 0 ||
	    m->ms_len > sizeof(m->ms) || m->salt_len > sizeof(m->salt) ||
	    m->gid_len > sizeof(m->gid))
		return -1;
	l = kdc_aead_key_len((int)m->gp_enc_alg);
	if (l == 0 || l > KDC_SEKEY_MAX || m->gp_enc_alg < -65536 ||
	    m->gp_enc_alg > 65535)
		return -1;
	/* info = [id: h'', id_context: Gid, alg_aead, type: "SEKey", L]
	 * (Group OSCORE §2.1.9, RFC 8613 §3.2.1). */
	kdc_cw_init(&info);
	kdc_cw_array(&info, 5);
	kdc_cw_bstr(&info, nothing, 0);
	kdc_cw_bstr(&info, m->gid, m->gid_len);
	kdc_cw_int(&info, m->gp_enc_alg);
	kdc_cw_tstrz(&info, "SEKey");
	kdc_cw_uint(&info, l);
	if (kdc_cw_ok(&info) &&
	    kdc_hkdf_sha256(m->salt, m->salt_len, m->ms, m->ms_len, info.buf,
	                    info.len, out, l) == 0) {
		*out_len = l;
		rc = 0;
	} else {
		kdc_wipe(out, l);
	}
	kdc_cw_free(&info);
	return rc;
}

int
kdc_gm_encode_verif_data(struct kdc_cw *w, const struct kdc_group_material *m,
                         int64_t now)
{
	uint8_t sekey[KDC_SEKEY_MAX];
	size_t sekey_len;

	/* Only groups that use signatures have verification data (GO §9.6:
	 * pairwise-only is answered 4.00 error 7 by the caller). */
	if (!m->group_mode || kdc_gm_sign_enc_key(m, sekey, &sekey_len) != 0)
		return -1;
	kdc_cw_map(w, 5 + expiry_entries(m, now));
	encode_head(w, m, KDC_KEYOBJ_VERIF, NULL, 0, false);
	encode_expiry(w, m, now);
	kdc_cw_uint(w, KDC_GC_SIGN_ENC_KEY);
	kdc_cw_bstr(w, sekey, sekey_len);
	kdc_wipe(sekey, sizeof(sekey));
	return kdc_cw_ok(w) ? 0 : -1;
}

/* "ACE Groupcomm Errors" registry descriptions (digest §7.2).  Long
 * titles are split over several literals on purpose. */
// NOLINTBEGIN(bugprone-suspicious-missing-comma)
static const char *const error_titles[] = {
        [KDC_ERR_ONLY_MEMBERS] = "Operation permitted only to group members",
        [KDC_ERR_ROLES_INCONSISTENT] =
                "Request inconsistent with the current roles",
        [KDC_ERR_CRED_INCOMPATIBLE] = "Authentication credential "
                                      "incompatible with the group "
                                      "configuration",
        [KDC_ERR_INVALID_POP] = "Invalid proof-of-possession evidence",
        [KDC_ERR_NO_INDIVIDUAL_MATERIAL] =
                "No available individual keying material",
        [KDC_ERR_MEMBERSHIP_TERMINATED] = "Group membership terminated",
        [KDC_ERR_GROUP_DELETED] = "Group deleted",
        [KDC_ERR_SIGNATURES_NOT_USED] = "Signatures not used in the group",
        [KDC_ERR_ONLY_VERIFIERS] =
                "Operation permitted only to signature verifiers",
        [KDC_ERR_GROUP_INACTIVE] = "Group currently not active",
        /* draft-ietf-ace-oscore-gm-admin (admin interface) */
        [KDC_ERR_GROUP_ACTIVE] = "Group currently active",
        [KDC_ERR_NO_GROUP_NAME] = "Unable to determine a group name",
        [KDC_ERR_UNSUPPORTED_CONFIG] = "Unsupported group configuration",
};
// NOLINTEND(bugprone-suspicious-missing-comma)

const char *
kdc_gm_error_title(int error_id)
{
	if (error_id < 0 ||
	    (size_t)error_id >= sizeof(error_titles) / sizeof(error_titles[0]))
		return NULL;
	return error_titles[error_id];
}

void
kdc_gm_encode_problem(struct kdc_cw *w, int error_id, const char *detail)
{
	const char *title = kdc_gm_error_title(error_id);

	/* RFC 9290 / RFC 9594 §4.1.2, in the order of the RFC's example:
	 * title (-1), detail (-2), ace-groupcomm-error (0). */
	kdc_cw_map(w, 1 + (title != NULL) + (detail != NULL));
	if (title != NULL) {
		kdc_cw_int(w, -1);
		kdc_cw_tstrz(w, title);
	}
	if (detail != NULL) {
		kdc_cw_int(w, -2);
		kdc_cw_tstrz(w, detail);
	}
	kdc_cw_uint(w, 0);
	kdc_cw_map(w, 1);
	kdc_cw_uint(w, 0);
	kdc_cw_int(w, error_id);
}

/* [gname, alg, [kty], [kty, crv], cred_fmt] (RFC 9594 §3.3.1, GO §5.3.1):
 * the algorithm's capabilities and the key type's, i.e. the two elements of
 * sign_params / ecdh_params (GO §14). */
static void
encode_info_entry(struct kdc_cw *w, const struct kdc_group_material *m,
                  int64_t alg, int crv)
{
	int kty = kdc_gm_kty_of_crv(crv);

	kdc_cw_array(w, 5);
	kdc_cw_tstrz(w, m->name);
	kdc_cw_int(w, alg);
	kdc_cw_array(w, 1);
	kdc_cw_int(w, kty);
	kdc_cw_array(w, 2);
	kdc_cw_int(w, kty);
	kdc_cw_int(w, crv);
	kdc_cw_int(w, m->cred_fmt);
}

void
kdc_gm_encode_sign_info_entry(struct kdc_cw *w,
                              const struct kdc_group_material *m)
{
	encode_info_entry(w, m, m->sign_alg, m->sign_crv);
}

void
kdc_gm_encode_ecdh_info_entry(struct kdc_cw *w,
                              const struct kdc_group_material *m)
{
	encode_info_entry(w, m, m->ecdh_alg, m->ecdh_crv);
}
