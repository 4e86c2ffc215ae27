/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cwt.h — CBOR Web Token (RFC 8392) processing for a Resource Server, with
 * the proof-of-possession confirmation claim of RFC 8747.
 *
 * kdc_cwt_unwrap() strips the optional CWT tag 61, then peels COSE layers
 * (Encrypt0 around Sign1/Mac0 for nested tokens, RFC 8392 §7.2, at most
 * KDC_CWT_MAX_NESTING deep), asking the caller for the key of each layer,
 * and decodes the claims set.  kdc_cwt_check() then applies RFC 9200
 * §5.10.1.1 in its priority order and yields the CoAP code to answer.
 */
#ifndef KDC_CWT_H
#define KDC_CWT_H

#include "cose.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KDC_CWT_MAX_NESTING 3

/* CWT claim keys (IANA "CBOR Web Token Claims"). */
enum {
	KDC_CLAIM_ISS = 1,
	KDC_CLAIM_SUB = 2,
	KDC_CLAIM_AUD = 3,
	KDC_CLAIM_EXP = 4,
	KDC_CLAIM_NBF = 5,
	KDC_CLAIM_IAT = 6,
	KDC_CLAIM_CTI = 7,
	KDC_CLAIM_CNF = 8,
	KDC_CLAIM_SCOPE = 9,
	KDC_CLAIM_ACE_PROFILE = 38,
	KDC_CLAIM_CNONCE = 39,
	KDC_CLAIM_EXI = 40,
};

/* Confirmation methods (RFC 8747, IANA "CWT Confirmation Methods"). */
enum {
	KDC_CNF_COSE_KEY = 1,
	KDC_CNF_ENCRYPTED_COSE_KEY = 2,
	KDC_CNF_KID = 3,
};

/*
 * Resolve the key that protects one COSE layer.  kind is the COSE kind of
 * the layer, alg its algorithm, kid its key id (may be empty).  Fill *key
 * and return 0, or return -1 if no trusted AS key matches (the token is then
 * answered 4.01).  `issuer` receives an opaque id of the AS whose key was
 * used (for the iss check); the callback may leave it 0.
 */
typedef int (*kdc_cwt_key_cb)(void *ctx, enum kdc_cose_kind kind, int64_t alg,
                              const uint8_t *kid, size_t kid_len,
                              struct kdc_cose_key *key, int64_t *issuer);

struct kdc_cwt {
	cbor_item_t *claims; /* decoded claims map (owned) */
	int64_t issuer_id;   /* from the callback of the outermost layer that
	                        proved integrity (Sign1/Mac0 or AEAD) */
	/* Claims, pointers into `claims`; has_* false when absent. */
	const char *iss;
	size_t iss_len;
	const char *aud; /* text form; aud arrays are not used by ACE */
	size_t aud_len;
	bool has_exp, has_nbf, has_iat, has_exi;
	int64_t exp, nbf, iat;
	uint64_t exi;
	const uint8_t *cti;
	size_t cti_len;
	/* scope: the bstr content and the tag number if the extended scope
	 * format (RFC 9594 §7) was used, else 0. */
	const uint8_t *scope;
	size_t scope_len;
	uint64_t scope_tag;
	bool scope_is_text; /* scope claim was a tstr (not RFC 9594) */
	/* cnf: exactly one of these. */
	int cnf_method; /* KDC_CNF_*; 0 if absent */
	struct kdc_cose_key
	        pop_key; /* COSE_Key or decrypted Encrypted_COSE_Key */
	uint8_t cnf_kid[KDC_COSE_MAX_KID];
	size_t cnf_kid_len;
	const uint8_t *cnonce;
	size_t cnonce_len;
	bool has_ace_profile;
	int64_t ace_profile;
};

enum kdc_cwt_err {
	KDC_CWT_OK = 0,
	KDC_CWT_E_FORMAT = -1, /* not a token: 4.00 */
	KDC_CWT_E_KEY = -2,    /* no trusted key for a layer: 4.01 */
	KDC_CWT_E_VERIFY = -3, /* COSE verification/decryption failed: 4.01 */
	KDC_CWT_E_CLAIMS =
	        -4, /* claims not a map / a claim of wrong type: 4.00 */
	KDC_CWT_E_NESTING = -5,     /* too deep: 4.00 */
	KDC_CWT_E_UNPROTECTED = -6, /* no integrity layer at all: 4.01 */
};
const char *kdc_cwt_strerror(int err);

/* Unwrap and decode.  On success *out owns its tree; free with
 * kdc_cwt_free(). */
int kdc_cwt_unwrap(const uint8_t *token, size_t len, kdc_cwt_key_cb cb,
                   void *ctx, struct kdc_cwt *out);
void kdc_cwt_free(struct kdc_cwt *c);

/* RFC 9200 §5.10.1.1 checks, in its order.  Returns the CoAP response code
 * as class*100+detail: 0 if acceptable, else 400, 401 or 403, and sets
 * *why to a static reason for the log. */
struct kdc_cwt_policy {
	const char *expected_iss; /* NULL: any issuer whose key verified */
	size_t expected_iss_len;
	const char *const
	        *audiences; /* NULL-terminated list of our audiences */
	int64_t now;
	int64_t skew;     /* seconds of clock skew tolerated */
	bool require_exp; /* RFC 9594 §3.2: tokens MUST carry exp */
	bool require_cnf;
	bool require_scope;
};
int kdc_cwt_check(const struct kdc_cwt *c, const struct kdc_cwt_policy *p,
                  const char **why);

#endif
