/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tokens_verify.c — verification of an access token (RFC 8392 §7.2,
 * RFC 9200 §5.10.1.1) against the trusted Authorization Servers, and the
 * proof-of-possession key it binds (RFC 8747; RFC 9202 §3.2 raw public
 * keys, §3.3 symmetric keys, §3.3.1 keys derived from a kid).
 *
 * Order of the checks and their codes (RFC 9200 §5.10.1.1):
 *   COSE protection / issuer not trusted        4.01  (kdc_cwt_unwrap)
 *   claims not obtainable, no exp nor exi        4.00
 *   iss ≠ the AS that protected it, expired      4.01  (kdc_cwt_check)
 *   aud not ours                                 4.03  (kdc_cwt_check)
 *   scope not understood                         4.00
 * and then what this KDC needs to use the token (4.00: "claims unusable"):
 * a cnf it can bind to a DTLS session, an ace_profile of coap_dtls if any.
 */
#include "tokens_int.h"
#include "tokens.h"

#include "crypto.h"
#include "cwt.h"
#include "log.h"

#include <stdio.h>
#include <string.h>

/* RFC 9200 §5.8.4.3 / IANA "ACE Profiles": coap_dtls. */
#define ACE_PROFILE_COAP_DTLS 1

/* Trusted ASes of one COSE kind tried in turn for a token whose outer layer
 * names no kid they declare: bounds the work an unverifiable token costs. */
#define AS_TRY_MAX 8

struct key_ctx {
	struct ks *ks;
	unsigned skip;    /* candidates of the outer layer passed over */
	bool outer_tried; /* this attempt had a candidate for it */
	bool internal;    /* a store failure, not an untrusted key */
	bool encrypted;   /* some layer was a COSE_Encrypt0 */
	/* The AS of the first (outermost) layer. */
	int64_t first_id;
	char first_iss[KS_ISSUER_MAX + 1];
};

static uint8_t
as_kind_of(enum kdc_cose_kind kind)
{
	switch (kind) {
	case KDC_COSE_SIGN1:
		return IPC_AS_SIGN;
	case KDC_COSE_MAC0:
		return IPC_AS_MAC;
	case KDC_COSE_ENCRYPT0:
		return IPC_AS_ENCRYPT;
	default:
		return 0;
	}
}

/* kdc_cwt_key_cb: the key of one COSE layer is the key of a trusted AS of
 * the matching kind (and kid, if the AS names one) whose algorithm is the
 * layer's.  The AS id is the "issuer" the iss check compares against. */
static int
key_cb(void *arg, enum kdc_cose_kind kind, int64_t alg, const uint8_t *kid,
       size_t kid_len, struct kdc_cose_key *key, int64_t *issuer)
{
	struct key_ctx *c = arg;
	uint8_t as_kind = as_kind_of(kind);
	struct ks_as *as;
	int rc;

	if (as_kind == 0)
		return -1;
	if (kind == KDC_COSE_ENCRYPT0)
		c->encrypted = true;
	as = kdc_secure_alloc(sizeof(*as));
	if (as == NULL) {
		c->internal = true;
		return -1;
	}
	/* Inner layers (the first_id is set) take the first match: the
	 * issuer check ties them to the outer one. */
	rc = ks_store_as_find(c->ks->store, as_kind, kid, kid_len,
	                      c->first_id == 0 ? c->skip : 0, as);
	if (rc == KS_OK && c->first_id == 0)
		c->outer_tried = true;
	if (rc != KS_OK) {
		if (rc != KS_NOTFOUND)
			c->internal = true;
		kdc_secure_free(as);
		return -1;
	}
	if (as->alg != 0 && as->alg != alg) {
		log_info("token layer alg %lld does not match AS %s (alg %lld)",
		         (long long)alg, as->name, (long long)as->alg);
		kdc_secure_free(as);
		return -1;
	}
	*key = as->key;
	*issuer = as->id;
	if (c->first_id == 0) {
		c->first_id = as->id;
		memcpy(c->first_iss, as->issuer, sizeof(c->first_iss));
	} else if (as->issuer[0] != '\0' &&
	           strcmp(as->issuer, c->first_iss) == 0) {
		/* A nested token (RFC 8392 A.6) of one AS whose keys are
		 * registered as several rows, one per COSE kind: the rows
		 * with the same issuer are that AS (kdc_cwt_unwrap refuses
		 * inner layers of another AS). */
		*issuer = c->first_id;
	}
	kdc_secure_free(as);
	return 0;
}

static uint8_t
code_of_unwrap(int err)
{
	switch (err) {
	case KDC_CWT_E_KEY:
	case KDC_CWT_E_VERIFY:
	case KDC_CWT_E_UNPROTECTED:
		return KS_CODE(4, 1);
	default: /* FORMAT, CLAIMS, NESTING: not a token / unusable */
		return KS_CODE(4, 0);
	}
}

/* RFC 9202 §3.3.1: key = HKDF-SHA-256(salt = empty, IKM = the AS-RS key
 * derivation key, info = ["ACE-CoAP-DTLS-key-derivation", L, token], L). */
static int
derive_psk(const struct ks_as *as, const uint8_t *tok, size_t len,
           uint8_t out[KS_TOK_PSK_LEN])
{
	static const char label[] = "ACE-CoAP-DTLS-key-derivation";
	struct kdc_cw info;
	int rc;

	kdc_cw_init(&info);
	kdc_cw_array(&info, 3);
	kdc_cw_tstr(&info, label, sizeof(label) - 1);
	kdc_cw_uint(&info, KS_TOK_PSK_LEN);
	kdc_cw_bstr(&info, tok, len);
	rc = kdc_cw_ok(&info)
	             ? kdc_hkdf_sha256(NULL, 0, as->psk_kdk, as->psk_kdk_len,
	                               info.buf, info.len, out, KS_TOK_PSK_LEN)
	             : -1;
	kdc_cw_free(&info);
	return rc;
}

/* The PoP key of the cnf claim, into v->t (pop_kind, pop_kid, pop_key,
 * pop_fpr).  Returns 0, a 4.00 code with *why, or -1. */
static int
bind_pop(const struct kdc_cwt *c, const struct ks_as *as,
         const struct key_ctx *kc, const uint8_t *tok, size_t len,
         struct ks_tok_verified *v, const char **why)
{
	const struct kdc_cose_key *k = &c->pop_key;
	struct kdc_cose_key *pk = &v->t.pop_key;
	const uint8_t *kid = NULL;
	size_t kid_len = 0;

	memset(pk, 0, sizeof(*pk));
	switch (c->cnf_method) {
	case KDC_CNF_KID: /* RFC 8747 §3.4 */
		kid = c->cnf_kid;
		kid_len = c->cnf_kid_len;
		break;
	case KDC_CNF_COSE_KEY:
	case KDC_CNF_ENCRYPTED_COSE_KEY:
		if (k->kty == KDC_KTY_SYMMETRIC && k->k_len == 0) {
			/* A COSE_Key with only kty 4 and a kid: a key
			 * reference (RFC 9202 §3.3, its Figure 9). */
			kid = k->kid;
			kid_len = k->kid_len;
			break;
		}
		if (k->kty == KDC_KTY_SYMMETRIC) {
			/* The PSK identity names the key by its kid
			 * (RFC 9202 §3.3.2), so a key without one cannot be
			 * used in a handshake. */
			if (k->kid_len == 0) {
				*why = "symmetric PoP key without kid";
				return KS_CODE(4, 0);
			}
			/* RFC 9202 §3.3: a token carrying a symmetric key
			 * MUST be encrypted; one sent in the clear (it may
			 * have crossed the network over plain CoAP) gives no
			 * proof of possession at all. */
			if (c->cnf_method == KDC_CNF_COSE_KEY &&
			    !kc->encrypted) {
				*why = "symmetric PoP key in an unencrypted "
				       "token";
				return KS_CODE(4, 0);
			}
			*pk = *k;
			v->t.pop_kind = KS_POP_SYMMETRIC;
			break;
		}
		if (k->has_pub &&
		    ((k->kty == KDC_KTY_OKP && k->crv == KDC_CRV_ED25519) ||
		     (k->kty == KDC_KTY_EC2 && k->crv == KDC_CRV_P256))) {
			/* RPK mode (RFC 9202 §3.2): keep the public part
			 * only. */
			pk->kty = k->kty;
			pk->crv = k->crv;
			pk->alg = k->alg;
			pk->has_alg = k->has_alg;
			memcpy(pk->x, k->x, sizeof(pk->x));
			memcpy(pk->y, k->y, sizeof(pk->y));
			pk->has_pub = true;
			v->t.pop_kind = KS_POP_ASYMMETRIC;
			break;
		}
		*why = "unsupported PoP key type";
		return KS_CODE(4, 0);
	default:
		*why = c->cnf_method == 0 ? "no cnf claim"
		                          : "unsupported confirmation method";
		return KS_CODE(4, 0);
	}
	if (kid != NULL) {
		if (kid_len == 0 || kid_len > sizeof(pk->kid)) {
			*why = "PoP key reference without a usable kid";
			return KS_CODE(4, 0);
		}
		if (!as->has_psk_kdk || as->psk_kdk_len == 0) {
			*why = "PoP key reference, but the AS has no key "
			       "derivation key";
			return KS_CODE(4, 0);
		}
		pk->kty = KDC_KTY_SYMMETRIC;
		memcpy(pk->kid, kid, kid_len);
		pk->kid_len = kid_len;
		if (derive_psk(as, tok, len, pk->k) != 0)
			return -1;
		pk->k_len = KS_TOK_PSK_LEN;
		v->t.pop_kind = KS_POP_SYMMETRIC;
		v->derived = true;
	}
	if (v->t.pop_kind == KS_POP_SYMMETRIC) {
		memcpy(v->t.pop_kid, pk->kid, pk->kid_len);
		v->t.pop_kid_len = pk->kid_len;
	}
	ks_pop_fingerprint(pk, v->t.pop_fpr);
	return 0;
}

/* Scope claim: a bstr (optionally in the tag of CF 297, RFC 9594 §7) that
 * wraps AIF-OSCORE-GROUPCOMM entries.  Anything else is "not understood". */
static int
check_scope(const struct kdc_cwt *c, struct ks_tok_verified *v,
            const char **why)
{
	int rc;

	if (c->scope_is_text) {
		*why = "text scope (RFC 9594 needs a byte string)";
		return KS_CODE(4, 0);
	}
	if (kdc_scope_check_tag(c->scope_tag) != 0) {
		*why = "scope in an unknown CBOR tag";
		return KS_CODE(4, 0);
	}
	if (c->scope_len > sizeof(v->t.scope)) {
		*why = "scope too large";
		return KS_CODE(4, 0);
	}
	rc = kdc_scope_parse(c->scope, c->scope_len, &v->scope);
	if (rc != KDC_SCOPE_OK) {
		*why = kdc_scope_strerror(rc);
		return KS_CODE(4, 0);
	}
	if (v->scope.n == 0) {
		*why = "empty scope";
		return KS_CODE(4, 0);
	}
	memcpy(v->t.scope, c->scope, c->scope_len);
	v->t.scope_len = c->scope_len;
	return 0;
}

/* RFC 9200 §5.10.3: the AS MUST give a token with an exi claim a cti that
 * is the identifier of the RS followed by a sequence number counting the
 * exi tokens it issued for that RS.  The identifier is the audience the
 * token was checked against; the sequence number, 1 to 8 bytes, unsigned,
 * network byte order.  -1 when the cti has not that form. */
static int64_t
exi_sequence(const struct kdc_cwt *c, const char *rs_id)
{
	size_t idlen = strlen(rs_id), n;
	uint64_t seq = 0;

	if (c->cti == NULL || c->cti_len <= idlen ||
	    memcmp(c->cti, rs_id, idlen) != 0)
		return -1;
	n = c->cti_len - idlen;
	if (n > 8)
		return -1;
	for (size_t i = 0; i < n; i++)
		seq = seq << 8 | c->cti[idlen + i];
	return seq > (uint64_t)INT64_MAX ? -1 : (int64_t)seq;
}

static int
verify_claims(struct ks *ks, const struct kdc_cwt *c, const struct ks_as *as,
              int64_t now, struct ks_tok_verified *v, const char **why)
{
	const char *auds[2] = {NULL, NULL};
	struct kdc_cwt_policy pol;
	int rc;

	/* RFC 9594 §3.2: the token MUST carry an expiration; exi (RFC 9200
	 * §5.10.3) counts as one. */
	if (!c->has_exp && !c->has_exi) {
		*why = "neither exp nor exi";
		return KS_CODE(4, 0);
	}
	if (as->audience[0] != '\0')
		auds[0] = as->audience;
	else if (ks->conf.default_audience[0] != '\0')
		auds[0] = ks->conf.default_audience;
	memset(&pol, 0, sizeof(pol));
	if (as->issuer[0] != '\0') {
		pol.expected_iss = as->issuer;
		pol.expected_iss_len = strlen(as->issuer);
	}
	pol.audiences = auds;
	pol.now = now;
	pol.skew = ks->conf.clock_skew;
	pol.require_exp = !c->has_exi;
	pol.require_cnf = true;
	pol.require_scope = true;
	rc = kdc_cwt_check(c, &pol, why);
	if (rc != 0)
		return rc == 403   ? KS_CODE(4, 3)
		       : rc == 401 ? KS_CODE(4, 1)
		                   : KS_CODE(4, 0);
	/* The effective expiry: exp, or first receipt + exi (RFC 9200
	 * §5.10.3), the earlier of the two when both are present.  A token
	 * that is already over is refused even inside the clock skew: it
	 * would be removed at once. */
	v->t.received_at = now;
	if (c->has_exp)
		v->t.exp = c->exp;
	v->t.has_iat = c->has_iat;
	v->t.iat = c->has_iat ? c->iat : 0;
	v->t.exi_seq = -1;
	if (c->has_exi) {
		int64_t e = c->exi > (uint64_t)(INT64_MAX - now)
		                    ? INT64_MAX
		                    : now + (int64_t)c->exi;

		if (!c->has_exp || e < v->t.exp)
			v->t.exp = e;
		/* Whether that sequence number already ended is checked
		 * when the token is stored (tokens_store.c): a token
		 * presented again while its row lives is still good. */
		v->t.exi_seq = exi_sequence(c, auds[0] != NULL ? auds[0] : "");
		if (v->t.exi_seq < 0) {
			*why = "exi without a cti of the RS identifier and a "
			       "sequence number (RFC 9200 section 5.10.3)";
			return KS_CODE(4, 0);
		}
	}
	if (v->t.exp <= now) {
		*why = "token expired";
		return KS_CODE(4, 1);
	}
	rc = check_scope(c, v, why);
	if (rc != 0)
		return rc;
	if (c->has_ace_profile && c->ace_profile != ACE_PROFILE_COAP_DTLS) {
		*why = "ace_profile is not coap_dtls";
		return KS_CODE(4, 0);
	}
	if (c->cti_len > sizeof(v->t.cti)) {
		*why = "cti too long";
		return KS_CODE(4, 0);
	}
	if (c->cti_len > 0)
		memcpy(v->t.cti, c->cti, c->cti_len);
	v->t.cti_len = c->cti_len;
	return 0;
}

int
ks_tok_verify(struct ks *ks, const uint8_t *tok, size_t len, int64_t now,
              struct ks_tok_verified *v, const char **why)
{
	struct key_ctx kc = {.ks = ks};
	struct kdc_cwt c;
	struct ks_as *as = NULL;
	int rc;

	memset(v, 0, sizeof(*v));
	*why = "";
	if (len == 0 || len > KS_TOK_MAX) {
		*why = len == 0 ? "empty token" : "token too large";
		return KS_CODE(4, 0);
	}
	/* Several ASes of one kind may match a layer (none names the kid):
	 * each is tried, as the key of an AS unknown to the KDC would be
	 * (RFC 9200 §5.10.1.1: only when none verifies is it 4.01). */
	for (;;) {
		memset(&c, 0, sizeof(c));
		rc = kdc_cwt_unwrap(tok, len, key_cb, &kc, &c);
		if (kc.internal || !kc.outer_tried ||
		    (rc != KDC_CWT_E_VERIFY && rc != KDC_CWT_E_KEY) ||
		    kc.skip + 1 >= AS_TRY_MAX)
			break;
		kc = (struct key_ctx){.ks = ks, .skip = kc.skip + 1};
	}
	if (kc.internal) {
		if (rc == KDC_CWT_OK)
			kdc_cwt_free(&c);
		return -1;
	}
	if (rc != KDC_CWT_OK) {
		*why = kdc_cwt_strerror(rc);
		return code_of_unwrap(rc);
	}
	as = kdc_secure_alloc(sizeof(*as));
	if (as == NULL) {
		rc = -1;
		goto out;
	}
	rc = ks_store_as_get(ks->store, c.issuer_id, as);
	if (rc != KS_OK) {
		/* The callback just found it: gone only on a failure. */
		rc = -1;
		goto out;
	}
	v->t.as_id = as->id;
	rc = verify_claims(ks, &c, as, now, v, why);
	if (rc == 0)
		rc = bind_pop(&c, as, &kc, tok, len, v, why);
out:
	kdc_cose_key_wipe(&c.pop_key);
	kdc_cwt_free(&c);
	kdc_secure_free(as);
	return rc;
}

bool
ks_tok_needs_ns(const struct kdc_scope *s)
{
	for (size_t i = 0; i < s->n; i++) {
		uint64_t p = s->e[i].perm;

		if (p != KDC_PERM_MON && p != KDC_PERM_VERIF &&
		    p != (KDC_PERM_MON | KDC_PERM_VERIF))
			return true;
	}
	return false;
}

const char *
ks_tok_keyname(const struct ks_token *t, char *buf, size_t n)
{
	char hex[2 * 16 + 4];

	if (t->pop_kind == KS_POP_SYMMETRIC)
		snprintf(buf, n, "kid=%s",
		         kdc_hex(hex, sizeof(hex), t->pop_kid, t->pop_kid_len));
	else
		snprintf(buf, n, "fpr=%s",
		         kdc_hex(hex, sizeof(hex), t->pop_fpr, 8));
	return buf;
}

void
ks_pop_fingerprint(const struct kdc_cose_key *k, uint8_t fpr[32])
{
	struct kdc_cw w;

	if (k->kty == KDC_KTY_SYMMETRIC) {
		/* The identity of a PSK is its kid (RFC 9202 §3.3.2). */
		uint8_t buf[3 + KDC_COSE_MAX_KID];
		size_t n = k->kid_len < KDC_COSE_MAX_KID ? k->kid_len
		                                         : KDC_COSE_MAX_KID;

		static const uint8_t tag[3] = {'s', 'y', 'm'};

		memcpy(buf, tag, sizeof(tag));
		memcpy(buf + 3, k->kid, n);
		kdc_sha256(buf, 3 + n, fpr);
		return;
	}
	/* The required members of the key type in deterministic order, the
	 * input of a COSE Key Thumbprint (RFC 9679 §3): OKP {1, -1, -2},
	 * EC2 {1, -1, -2, -3}. */
	kdc_cw_init(&w);
	kdc_cw_map(&w, k->kty == KDC_KTY_EC2 ? 4 : 3);
	kdc_cw_int(&w, KDC_KEY_KTY);
	kdc_cw_int(&w, k->kty);
	kdc_cw_int(&w, KDC_KEY_CRV);
	kdc_cw_int(&w, k->crv);
	kdc_cw_int(&w, KDC_KEY_X);
	kdc_cw_bstr(&w, k->x, sizeof(k->x));
	if (k->kty == KDC_KTY_EC2) {
		kdc_cw_int(&w, KDC_KEY_Y);
		kdc_cw_bstr(&w, k->y, sizeof(k->y));
	}
	if (kdc_cw_ok(&w))
		kdc_sha256(w.buf, w.len, fpr);
	else
		/* Out of memory: a fingerprint that matches nothing, so a
		 * failure can never bind one key's token to another. */
		kdc_random(fpr, 32);
	kdc_cw_free(&w);
}
