/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gm.h — the Group Manager core shared by the request handlers, the admin
 * handlers and the timers: authorisation of a request against its token
 * (RFC 9594 §4.1.2 and the Group OSCORE permitted-methods table, GO §8.5),
 * group material, Sender IDs, member removal, rekeying (rekey.c) and the
 * KDC's own credentials (kdc_keys.c).
 */
#ifndef KDC_KS_GM_H
#define KDC_KS_GM_H

#include "ks.h"
#include "scope.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- authorisation context of one request (gm_auth.c) ---- */

/* Requester types of the permitted-methods table (GO §8.5). */
enum gm_requester {
	GM_T1 = 1, /* member as Requester and/or Responder */
	GM_T2 = 2, /* member as Monitor only */
	GM_T3 = 3, /* non-member authorised as signature verifier */
	GM_T4 = 4, /* non-member not authorised as verifier */
};

struct gm_ctx {
	struct ks_token token;               /* the binding's current token */
	struct kdc_scope scope;              /* its parsed scope */
	const struct kdc_scope_entry *entry; /* entry for the group, or NULL */
	struct ks_group group;
	bool is_member;
	struct ks_member member; /* valid if is_member */
	enum gm_requester type;
};

/*
 * Resolve binding → valid token (4.01 if none, expired or revoked), group by
 * name (4.04 if none), the token's scope entry for the group (4.03 if none),
 * and the requester's membership.  On failure the error reply has been
 * queued and -1 is returned (the handler then returns 0: the reply is the
 * answer); -2 means an internal failure (the handler returns -1).
 * need_group false skips the group part (FETCH /ace-group).  A member whose
 * Join waits for the next rekey is answered 5.03 (backward security).
 */
int gm_auth(struct ks_req *r, const struct ipc_binding *b, const char *group,
            bool need_group, struct gm_ctx *c);

/* Token alone (4.01 reply queued on failure: -1; internal: -2). */
int gm_auth_token(struct ks_req *r, const struct ipc_binding *b,
                  struct ks_token *t, struct kdc_scope *scope);

/* ---- group material (gm_group.c) ---- */

/* Load g's current material into m (ms in m; caller wipes m). */
int gm_material(struct ks *ks, const struct ks_group *g,
                struct kdc_group_material *m);
/* The Gid for an epoch. */
void gm_gid_for_epoch(const struct ks_group *g, uint64_t epoch, uint8_t *gid,
                      size_t *gid_len);
/* Create a group with fresh material (admin).  Returns KS_OK, KS_EXISTS. */
int gm_group_create(struct ks *ks, const struct kdc_group_config *cfg,
                    struct ks_group *out, char *err, size_t errlen);

/* ---- Sender IDs (gm_sid.c) ---- */

/*
 * Allocate a Sender ID never used under the group's current Gid (GO §6.3):
 * minimal big-endian encoding of g->sid_next, skipping values held by a
 * current member or in the current version's stale set.  Updates
 * g->sid_next (persisted by the caller via ks_store_group_set_counters).
 * Returns 0, or 1 when the space of sid_max_len bytes is exhausted (then
 * g->sid_wrap is set so that the next rekey starts over under a new Gid).
 */
int gm_sid_alloc(struct ks *ks, struct ks_group *g, uint8_t *sid,
                 size_t *sid_len);
/* Minimal big-endian encoding of v (at least one byte). */
size_t gm_sid_encode(uint64_t v, uint8_t out[8]);

/* ---- node names ---- */
void gm_node_name(struct ks_group *g, char out[IPC_NODE_MAX + 1]);

/* ---- membership changes (gm_member.c) ---- */

/*
 * Remove a member (RFC 9594 §5, GO §10): delete the row, put its Sender
 * ID in the current stale set, push PUSH_MEMBER REMOVED to subscribers
 * (frontends end its observations: 4.04 err 5 on eviction), queue a
 * control_uri DELETE for forced evictions, audit, and request a rekey when
 * the group's forward-security policy says so.
 */
int gm_member_remove(struct ks *ks, const char *actor, struct ks_group *g,
                     const struct ks_member *m, const struct ipc_binding *b,
                     uint8_t reason);
/* True if the member's Join answer is parked until the next rekey. */
bool gm_member_is_parked(struct ks *ks, int64_t group_id, int64_t member_id);
/* Push PUSH_MEMBER SET for m to the group's subscribers. */
void gm_member_push_set(struct ks *ks, const struct ks_group *g,
                        const struct ks_member *m, const struct ipc_binding *b);

/* Evict everything a token authorises (expiry, revocation), or only the
 * groups its new scope no longer covers (replacement, P14). */
int gm_token_memberships_drop(struct ks *ks, const char *actor,
                              const struct ks_token *t,
                              const struct kdc_scope *keep, uint8_t reason);

/* ---- credentials (gm_cred.c) ---- */

/* Check a credential against the group (format CCS, key type/curve for
 * the group's signature or ECDH algorithm; for pairwise mode with Ed25519,
 * convertibility to X25519).  0 ok; -1 → 4.00 err 2. */
int gm_cred_check(const struct ks_group *g, const uint8_t *cred, size_t len,
                  struct kdc_cose_key *pub);
/* The same for a Join by `cur` (NULL: not a member yet): a credential equal
 * to the one stored for cur was checked when it was accepted, and only its
 * key is extracted. */
int gm_cred_check_stored(const struct ks_group *g, const struct ks_member *cur,
                         const uint8_t *cred, size_t len,
                         struct kdc_cose_key *pub);
/*
 * Verify client PoP evidence over bstr(scope)||bstr(N_S)||bstr(N_C)
 * (RFC 9594 §3.3): a signature with the group's signature algorithm, or for
 * pairwise-only groups the 8-byte HKDF MAC keyed by ECDH with the KDC's DH
 * key (GO §6.2).  0 valid, -1 invalid.
 */
int gm_pop_verify(struct ks *ks, const struct ks_group *g,
                  const struct kdc_cose_key *pub, const uint8_t *scope,
                  size_t scope_len, const uint8_t *ns, size_t ns_len,
                  const uint8_t *nc, size_t nc_len, const uint8_t *pop,
                  size_t pop_len);
/*
 * Append kdc_cred (17), kdc_nonce (18), kdc_cred_verify (19) (3 map
 * entries) for nonce N_C: the KDC credential in the group's format and its
 * PoP over bstr(N_C)||bstr(N_KDC) — a signature, or in pairwise-only groups
 * a MAC with the peer's DH key (peer may be NULL then → -1).
 */
int gm_kdc_pop_entries(struct ks *ks, const struct ks_group *g,
                       const uint8_t *nc, size_t nc_len,
                       const struct kdc_cose_key *peer, struct kdc_cw *w);
/* Whether gm_kdc_pop_entries can produce entries (3) or not (0). */
int gm_kdc_pop_count(const struct ks_group *g, const struct kdc_cose_key *peer);

/* sign_info / ecdh_info / kdc_dh_creds / kdcchallenge map entries for a
 * 4.00 Join answer (GO §6.2 step 8); returns the number of entries. */
size_t gm_join_error_info_count(const struct ks_group *g, bool with_ns);
void gm_join_error_info(struct ks *ks, const struct ks_group *g,
                        const uint8_t *ns, size_t ns_len, struct kdc_cw *w);

/* ---- the KDC's keys (kdc_keys.c) ---- */

/* Ensure one current key of every kind exists (first start). */
int ks_kdc_keys_bootstrap(struct ks *ks);
/* Current key for a group's signature (sign alg/crv) or ECDH curve, copied
 * into *out (wipe it after use). */
int ks_kdc_key_for_sign(struct ks *ks, int64_t alg, int crv,
                        struct ks_kdc_key *out);
int ks_kdc_key_for_dh(struct ks *ks, int crv, struct ks_kdc_key *out);
/* Create a new current key of a kind ("sign-ed25519", ...). */
int ks_kdc_key_rotate(struct ks *ks, const char *kind);
/* Borrowed pointers to the cached current keys (no copy of the private
 * key); NULL if the group's algorithm has no KDC key. */
const struct ks_kdc_key *ks_kdc_key_sign(struct ks *ks, int64_t alg, int crv);
const struct ks_kdc_key *ks_kdc_key_dh(struct ks *ks, int crv);
/* Drop the cache (after a failed commit). */
void ks_kdc_keys_forget(void);

#endif
