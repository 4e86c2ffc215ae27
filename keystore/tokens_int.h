/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tokens_int.h — what the token files share (not part of the keystore's
 * interface): verification of an access token against the trusted ASes
 * (RFC 9200 §5.10.1.1, RFC 8392 §7.2), the PoP key it binds (RFC 8747,
 * RFC 9202 §3.2, §3.3.1), and storing it as the row of that key
 * (RFC 9200 §5.10.1, digest P14).
 */
#ifndef KDC_KS_TOKENS_INT_H
#define KDC_KS_TOKENS_INT_H

#include "ks.h"
#include "scope.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest token we read (ace+cbor payloads are bounded the same way). */
#define KS_TOK_MAX 16384
/* N_S bytes in a kdcchallenge (RFC 9594 §3.3.2: >= 8 recommended). */
#define KS_TOK_NS_LEN 16
/* Key length L of RFC 9202 §3.3.1 derived PSKs (AES-CCM-16-64-128 PSK
 * cipher suite of RFC 9202 §3.3: 16 bytes). */
#define KS_TOK_PSK_LEN 16

/* A verified token, ready to be stored.  Holds the symmetric PoP key:
 * allocate with kdc_secure_alloc(). */
struct ks_tok_verified {
	struct ks_token t;      /* id/handle filled by ks_tok_store() */
	struct kdc_scope scope; /* the parsed scope claim */
	bool derived;           /* PSK derived per RFC 9202 §3.3.1 */
};

/*
 * Verify `tok` (a CWT, tagged or not) received at `now`.  Returns 0 and
 * fills *v, a CoAP code byte (KS_CODE) to answer with and *why set, or -1 on
 * an internal failure.  Codes follow RFC 9200 §5.10.1.1: 4.00 not a token /
 * claims unusable / scope not understood / unusable cnf, 4.01 protection,
 * untrusted issuer, wrong iss, expired; 4.03 wrong aud.
 */
int ks_tok_verify(struct ks *ks, const uint8_t *tok, size_t len, int64_t now,
                  struct ks_tok_verified *v, const char **why);

/*
 * Store v->t (via KS_VIA_*), generating N_S when gen_ns and the scope needs
 * one.  A token for a key that already has a row replaces it in place and
 * drops the memberships the new scope no longer covers.  Returns 0, a CoAP
 * code byte (5.03 when conf.max_tokens is reached), or -1 (internal).
 */
int ks_tok_store(struct ks *ks, const char *actor, struct ks_tok_verified *v,
                 uint8_t via, bool gen_ns, bool *replaced);

/* GO §5.3: N_S may be omitted only if every scope entry is Monitor only,
 * Verifier only, or exactly Monitor+Verifier. */
bool ks_tok_needs_ns(const struct kdc_scope *s);

/* "kid=<hex>" or "fpr=<hex>" naming the PoP key in log/audit lines. */
const char *ks_tok_keyname(const struct ks_token *t, char *buf, size_t n);

/* Remove one token: drop its memberships, push BINDING_GONE, delete it,
 * audit `action`.  KS_OK, KS_NOTFOUND, or KS_ERR. */
int ks_tok_remove(struct ks *ks, const char *actor, int64_t id,
                  const char *action);

#endif
