/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gm_material.h — one version of a group's keying material and the group
 * parameters that go with it, plus the encoders of every message that
 * carries it (RFC 9594 §4.3, §4.8.1, §6; Group OSCORE profile §6.3, §9.1,
 * §9.6, §11.1).  Both the keystore (Join Responses) and the frontend (cached
 * reads, Observe notifications) encode through these functions, so the two
 * answers are byte-identical but for `exi`, which is computed from `now`.
 *
 * `ms` is a secret: keep the struct in kdc_secure_alloc() memory or wipe it.
 */
#ifndef KDC_GM_MATERIAL_H
#define KDC_GM_MATERIAL_H

#include "cbor_out.h"
#include "scope.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RFC 9594 §8 ACE Groupcomm Parameters (labels in application/
 * ace-groupcomm+cbor, Content-Format 261). */
enum kdc_gc_label {
	KDC_GC_GID = 0,
	KDC_GC_GNAME = 1,
	KDC_GC_GURI = 2,
	KDC_GC_SCOPE = 3,
	KDC_GC_GET_CREDS = 4,
	KDC_GC_CLIENT_CRED = 5,
	KDC_GC_CNONCE = 6,
	KDC_GC_GKTY = 7,
	KDC_GC_KEY = 8,
	KDC_GC_NUM = 9,
	KDC_GC_ACE_GROUPCOMM_PROFILE = 10,
	KDC_GC_EXP = 11,
	KDC_GC_EXI = 12,
	KDC_GC_CREDS = 13,
	KDC_GC_PEER_ROLES = 14,
	KDC_GC_PEER_IDENTIFIERS = 15,
	KDC_GC_GROUP_POLICIES = 16,
	KDC_GC_KDC_CRED = 17,
	KDC_GC_KDC_NONCE = 18,
	KDC_GC_KDC_CRED_VERIFY = 19,
	KDC_GC_REKEYING_SCHEME = 20,
	KDC_GC_GROUP_SENDERID = 21, /* Group OSCORE */
	KDC_GC_CLIENT_CRED_VERIFY = 24,
	KDC_GC_CREDS_REPO = 25,
	KDC_GC_CONTROL_URI = 26,
	KDC_GC_MGT_KEY_MATERIAL = 27,
	KDC_GC_CONTROL_GROUP_URI = 28,
	KDC_GC_SIGN_INFO = 29,
	KDC_GC_KDCCHALLENGE = 30,
	KDC_GC_ECDH_INFO = 31,      /* Group OSCORE */
	KDC_GC_KDC_DH_CREDS = 32,   /* Group OSCORE */
	KDC_GC_SIGN_ENC_KEY = 33,   /* Group OSCORE */
	KDC_GC_STALE_NODE_IDS = 34, /* Group OSCORE */
};

/* OAuth parameters CBOR mappings used at /authz-info (application/ace+cbor,
 * Content-Format 19), digest §11.2 — note the different label space (P1). */
enum kdc_oauth_label {
	KDC_OAUTH_ACCESS_TOKEN = 1,
	KDC_OAUTH_SIGN_INFO = 45,
	KDC_OAUTH_KDCCHALLENGE = 46,
	KDC_OAUTH_ECDH_INFO = 47,
	KDC_OAUTH_KDC_DH_CREDS = 48,
};

/* Group_OSCORE_Input_Material labels (OSCORE Security Context Parameters). */
enum kdc_osc_label {
	KDC_OSC_MS = 2,
	KDC_OSC_HKDF = 3,
	KDC_OSC_ALG = 4,
	KDC_OSC_SALT = 5,
	KDC_OSC_CONTEXT_ID = 6,
	KDC_OSC_GROUP_SENDERID = 7,
	KDC_OSC_CRED_FMT = 8,
	KDC_OSC_GP_ENC_ALG = 9,
	KDC_OSC_SIGN_ALG = 10,
	KDC_OSC_SIGN_PARAMS = 11,
	KDC_OSC_ECDH_ALG = 12,
	KDC_OSC_ECDH_PARAMS = 13,
};

/* Problem details (RFC 9290) and the ACE Groupcomm error ids (digest §7). */
enum kdc_gc_error {
	KDC_ERR_ONLY_MEMBERS = 0,
	KDC_ERR_ROLES_INCONSISTENT = 1,
	KDC_ERR_CRED_INCOMPATIBLE = 2,
	KDC_ERR_INVALID_POP = 3,
	KDC_ERR_NO_INDIVIDUAL_MATERIAL = 4,
	KDC_ERR_MEMBERSHIP_TERMINATED = 5,
	KDC_ERR_GROUP_DELETED = 6,
	KDC_ERR_SIGNATURES_NOT_USED = 7,
	KDC_ERR_ONLY_VERIFIERS = 8,
	KDC_ERR_GROUP_INACTIVE = 9,
	/* draft-ietf-ace-oscore-gm-admin (admin interface) */
	KDC_ERR_GROUP_ACTIVE = 10,
	KDC_ERR_NO_GROUP_NAME = 11,
	KDC_ERR_UNSUPPORTED_CONFIG = 12,
};

/* Content-Formats. */
enum {
	KDC_CF_ACE_CBOR = 19,
	KDC_CF_OCTET_STREAM = 42,
	KDC_CF_CBOR = 60,
	KDC_CF_CWT = 61,
	KDC_CF_PROBLEM = 257,
	KDC_CF_ACE_GROUPCOMM = 261,
};

#define KDC_GKTY_GROUP_OSCORE    1
#define KDC_PROFILE_GROUP_OSCORE 1
#define KDC_GID_MAX              16
#define KDC_SID_MAX              8

struct kdc_group_material {
	char name[KDC_GNAME_MAX + 1];
	uint64_t num;
	int64_t exp; /* NumericDate; 0 = no expiry */
	bool active;

	uint8_t ms[32]; /* Master Secret (secret) */
	size_t ms_len;
	uint8_t salt[16]; /* Master Salt; 0 bytes = absent */
	size_t salt_len;
	uint8_t gid[KDC_GID_MAX]; /* Gid = OSCORE ID Context */
	size_t gid_len;

	int64_t hkdf;
	int64_t cred_fmt;
	bool group_mode;
	int64_t gp_enc_alg;
	int64_t sign_alg;
	int sign_crv;
	bool pairwise_mode;
	int64_t alg;
	int64_t ecdh_alg;
	int ecdh_crv;

	uint32_t key_update_check_interval;
	uint32_t expiration_delta;
};

/* The key object (`key`, label 8) in its three shapes. */
enum kdc_keyobj_shape {
	KDC_KEYOBJ_FULL, /* Join Response / Key Distribution (GO §6.3, §9.1) */
	KDC_KEYOBJ_REKEY, /* Point-to-Point rekeying: ms, contextId, salt
	                     (GO §11.1) */
	KDC_KEYOBJ_VERIF, /* verif-data: no ms/salt/Sender ID (GO §9.6) */
};
void kdc_gm_encode_key_object(struct kdc_cw *w,
                              const struct kdc_group_material *m,
                              enum kdc_keyobj_shape shape, const uint8_t *sid,
                              size_t sid_len, bool with_sid);

/* COSE key type of a curve: OKP (1) for Ed25519 and X25519, EC2 (2) for
 * P-256 (RFC 9053 §7). */
int kdc_gm_kty_of_crv(int crv);
/* sign_params / ecdh_params: [[kty], [kty, crv]] (GO §14). */
void kdc_gm_encode_sign_params(struct kdc_cw *w,
                               const struct kdc_group_material *m);
void kdc_gm_encode_ecdh_params(struct kdc_cw *w,
                               const struct kdc_group_material *m);

/* `exi` for a response sent at `now` (0 if exp is 0 or already past).
 * The encoders below that take `now` write `exp` and `exi` only when exp is
 * not 0; with now == 0 they write `exp` but leave `exi` out, for a message
 * that is cached and completed at send time with
 * kdc_cbor_map_append_uint() (RFC 9594 §4.3.1: exi is computed per
 * response). */
uint64_t kdc_gm_exi(const struct kdc_group_material *m, int64_t now);

/* GET /ace-group/G (with_sid false) and GET .../nodes/N (with_sid true,
 * sid empty for monitors): { gkty, key, num, ace_groupcomm_profile, exp,
 * exi } (RFC 9594 §4.3.2, §4.8.1; GO §9.1). */
void kdc_gm_encode_key_response(struct kdc_cw *w,
                                const struct kdc_group_material *m,
                                const uint8_t *sid, size_t sid_len,
                                bool with_sid, int64_t now);

/* One credential with its owner's roles and Sender ID, for `creds`,
 * `peer_roles`, `peer_identifiers` (RFC 9594 §4.3.1, §4.4). */
struct kdc_gm_peer {
	const uint8_t *cred;
	size_t cred_len;
	uint64_t perm;
	const uint8_t *sid;
	size_t sid_len;
};
/* Emit the three parallel arrays as map entries 13, 14, 15 (caller counts
 * them as 3 map entries). */
void kdc_gm_encode_peers(struct kdc_cw *w, const struct kdc_gm_peer *peers,
                         size_t n);

/* Point-to-Point rekeying message (RFC 9594 §6, GO §11.1): { gkty, key
 * (REKEY shape), num, ace_groupcomm_profile, exp, exi, stale_node_ids,
 * [creds, peer_roles, peer_identifiers of the joiners] }. */
void kdc_gm_encode_rekey(struct kdc_cw *w, const struct kdc_group_material *m,
                         const uint8_t *const *stale, const size_t *stale_len,
                         size_t nstale, const struct kdc_gm_peer *joiners,
                         size_t njoiners, int64_t now);

/* { group_policies: { 1: key_update_check_interval, 2: expiration_delta } }
 * (RFC 9594 §4.6.1, GO §6.3). */
void kdc_gm_encode_policies(struct kdc_cw *w,
                            const struct kdc_group_material *m);
/* The inner policies map alone (for a Join Response). */
void kdc_gm_encode_policies_map(struct kdc_cw *w,
                                const struct kdc_group_material *m);

/* Signature Encryption Key (Group OSCORE §2.1.9): HKDF-SHA-256 with
 * salt = Master Salt, IKM = Master Secret, info = [h'', Gid, gp_enc_alg,
 * "SEKey", L], L = key length of the Group Encryption Algorithm.  `out`
 * holds KDC_SEKEY_MAX bytes; *out_len receives L.  -1 if hkdf is not 5, the
 * algorithm has no key length or ms is empty.  The result is a secret. */
#define KDC_SEKEY_MAX 32
int kdc_gm_sign_enc_key(const struct kdc_group_material *m, uint8_t *out,
                        size_t *out_len);
/* GET verif-data response (GO §9.6): { gkty, key (VERIF shape), num,
 * ace_groupcomm_profile, exp, exi, sign_enc_key }.  -1 (nothing useful
 * written) for a pairwise-only group or if the key cannot be derived. */
int kdc_gm_encode_verif_data(struct kdc_cw *w,
                             const struct kdc_group_material *m, int64_t now);

/* Problem details (RFC 9290, RFC 9594 §4.1.2): { -1: title, -2: detail,
 * 0: { 0: error_id } }, keys in that order (the RFC's example).  detail may
 * be NULL.  The title is the registry's description of error_id, left out
 * for an id the registry does not name (kdc_gm_error_title() NULL). */
void kdc_gm_encode_problem(struct kdc_cw *w, int error_id, const char *detail);
const char *kdc_gm_error_title(int error_id);

/* The sign_info / ecdh_info entry of one group (RFC 9594 §3.3.1, GO §5.3.1):
 * [gname, alg, [alg capabilities], [key-type capabilities], cred_fmt]. */
void kdc_gm_encode_sign_info_entry(struct kdc_cw *w,
                                   const struct kdc_group_material *m);
void kdc_gm_encode_ecdh_info_entry(struct kdc_cw *w,
                                   const struct kdc_group_material *m);

/* Credentials in CCS form (CWT Claims Set with a cnf COSE_Key, RFC 8392 /
 * RFC 8747), the only format this KDC accepts (cred_fmt 14). */
struct kdc_cose_key;
/* Extract the public key of a CCS; -1 if not a CCS with exactly one
 * COSE_Key confirmation of a supported type (OKP Ed25519 / X25519, EC2
 * P-256, public part present, no private part).  The CCS must be a map
 * whose cnf (8) is a map with the single entry 1: COSE_Key; sub (2), if
 * present, must be a text string; other claims are ignored. */
int kdc_ccs_public_key(const uint8_t *ccs, size_t len,
                       struct kdc_cose_key *out);
/* Build a CCS { 2: sub, 8: { 1: COSE_Key(public) } }; sub NULL leaves
 * claim 2 out. */
void kdc_ccs_encode(struct kdc_cw *w, const char *sub,
                    const struct kdc_cose_key *pub);

/* PoP inputs (RFC 9594 §3.3, digest §5): bstr(scope)||bstr(N_S)||bstr(N_C)
 * and bstr(N_C)||bstr(N_KDC). */
void kdc_pop_input_client(struct kdc_cw *w, const uint8_t *scope,
                          size_t scope_len, const uint8_t *ns, size_t ns_len,
                          const uint8_t *nc, size_t nc_len);
void kdc_pop_input_kdc(struct kdc_cw *w, const uint8_t *nc, size_t nc_len,
                       const uint8_t *nkdc, size_t nkdc_len);
/* Pairwise-only PoP MAC (GO §6.2): HKDF-SHA-256(salt = empty, IKM = ECDH
 * shared secret, info = PoP input, L = 8). */
int kdc_pop_mac(const uint8_t *shared, size_t shared_len, const uint8_t *input,
                size_t input_len, uint8_t mac[8]);

#endif
