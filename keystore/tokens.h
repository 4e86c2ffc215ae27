/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tokens.h — access tokens (RFC 9200 §5.10, RFC 9202, RFC 9594 §3.3): the
 * /authz-info handler, the DTLS identity lookups, and token expiry.
 * Handlers are declared in handlers.h.
 */
#ifndef KDC_KS_TOKENS_H
#define KDC_KS_TOKENS_H

#include "ks.h"

#include <stdint.h>

/* Remove expired and revoked tokens: their memberships are dropped (with
 * the forward-security rekeys), PUSH_BINDING_GONE goes to every frontend.
 * Runs inside the current batch. */
int ks_tokens_expire(struct ks *ks, int64_t now);
/* Earliest token expiry, or 0 if none. */
int64_t ks_tokens_next_exp(struct ks *ks);
/* Revoke one token by id (admin). */
int ks_token_revoke(struct ks *ks, const char *actor, int64_t id);

/* Fingerprint of a PoP key identity: SHA-256 over "sym" || kid for
 * symmetric keys, or over the deterministic encoding of the public key
 * (kty, crv, x, y) for asymmetric ones. */
void ks_pop_fingerprint(const struct kdc_cose_key *k, uint8_t fpr[32]);

#endif
