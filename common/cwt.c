/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cwt.c — CBOR Web Tokens (RFC 8392 §7.2) for a Resource Server: unwrap the
 * COSE layers, decode the claims (with the RFC 8747 cnf claim), and apply
 * the RFC 9200 §5.10.1.1 checks in their order.
 */
#include "cwt.h"
#include "cose_int.h"
#include "crypto.h"

#include <stdlib.h>
#include <string.h>

const char *
kdc_cwt_strerror(int err)
{
	switch (err) {
	case KDC_CWT_OK:
		return "ok";
	case KDC_CWT_E_FORMAT:
		return "not a CWT";
	case KDC_CWT_E_KEY:
		return "no trusted key for a COSE layer of the token";
	case KDC_CWT_E_VERIFY:
		return "token verification or decryption failed";
	case KDC_CWT_E_CLAIMS:
		return "token claims malformed";
	case KDC_CWT_E_NESTING:
		return "token nested too deeply";
	case KDC_CWT_E_UNPROTECTED:
		return "token without integrity protection";
	default:
		return "unknown CWT error";
	}
}

/* Wipe the content of every byte string of a decoded tree before it is
 * released: trees that came out of a token hold PoP keys (cnf COSE_Key k
 * or d) and, for nested tokens, the inner layers' plaintext.  Recursion is
 * bounded by the decoder's depth limit. */
static void
wipe_bstrs(const cbor_item_t *it)
{
	cbor_item_t *content;
	const uint8_t *p;
	uint64_t tag;
	size_t n;

	if (it == NULL)
		return;
	if (kdc_cbor_get_bstr(it, &p, &n)) {
		if (p != NULL && n > 0)
			kdc_wipe((void *)p, n);
	} else if (cbor_isa_array(it)) {
		for (size_t i = 0; i < cbor_array_size(it); i++)
			wipe_bstrs(kdc_cbor_array_at(it, i));
	} else if (cbor_isa_map(it)) {
		const struct cbor_pair *pr = cbor_map_handle(it);

		for (size_t i = 0; i < cbor_map_size(it); i++) {
			wipe_bstrs(pr[i].key);
			wipe_bstrs(pr[i].value);
		}
	} else if (kdc_cbor_get_tag(it, &tag, &content)) {
		wipe_bstrs(content);
	}
}

static void
release(cbor_item_t **it)
{
	if (*it != NULL) {
		wipe_bstrs(*it);
		cbor_decref(it);
		*it = NULL; /* libcbor clears it only when it freed the item */
	}
}

void
kdc_cwt_free(struct kdc_cwt *c)
{
	if (c == NULL)
		return;
	release(&c->claims);
	kdc_cose_key_wipe(&c->pop_key);
	memset(c, 0, sizeof(*c));
}

static bool
is_cose_tag(const cbor_item_t *it)
{
	cbor_item_t *content;
	uint64_t tag;

	return kdc_cbor_get_tag(it, &tag, &content) &&
	       (tag == KDC_TAG_COSE_SIGN1 || tag == KDC_TAG_COSE_MAC0 ||
	        tag == KDC_TAG_COSE_ENCRYPT0);
}

/* Strip a CWT tag 61 (RFC 8392 §6); a COSE tag must follow it. */
static const cbor_item_t *
strip_cwt_tag(const cbor_item_t *it)
{
	cbor_item_t *content;
	uint64_t tag;

	if (kdc_cbor_get_tag(it, &tag, &content) && tag == KDC_TAG_CWT)
		return content;
	return it;
}

/* Map COSE verification results of a layer to CWT errors. */
static int
layer_err(int cose_rc)
{
	switch (cose_rc) {
	case KDC_COSE_E_VERIFY:
		return KDC_CWT_E_VERIFY;
	case KDC_COSE_E_ALG:
		/* The key the caller trusts does not fit the layer. */
		return KDC_CWT_E_KEY;
	default:
		return KDC_CWT_E_FORMAT;
	}
}

/* Verify or decrypt one parsed layer with the caller's key.  On success
 * *payload and *len hold the protected content; *owned is set if it was
 * allocated (plaintext). */
static int
open_layer(const struct kdc_cose_msg *m, kdc_cwt_key_cb cb, void *ctx,
           int64_t *issuer, const uint8_t **payload, size_t *len,
           uint8_t **owned)
{
	struct kdc_cose_key key;
	int rc;

	*owned = NULL;
	if (!m->has_alg)
		return KDC_CWT_E_FORMAT;
	memset(&key, 0, sizeof(key));
	*issuer = 0;
	if (cb(ctx, m->kind, m->alg, m->kid != NULL ? m->kid : kdc_cose_empty,
	       m->kid_len, &key, issuer) != 0) {
		kdc_cose_key_wipe(&key);
		return KDC_CWT_E_KEY;
	}
	switch (m->kind) {
	case KDC_COSE_SIGN1:
		rc = kdc_cose_sign1_verify(m, &key, NULL, 0);
		*payload = m->payload;
		*len = m->payload_len;
		break;
	case KDC_COSE_MAC0:
		rc = kdc_cose_mac0_verify(m, &key, NULL, 0);
		*payload = m->payload;
		*len = m->payload_len;
		break;
	default:
		rc = kdc_cose_encrypt0_decrypt(m, &key, NULL, 0, owned, len);
		*payload = *owned;
		break;
	}
	kdc_cose_key_wipe(&key);
	return rc == KDC_COSE_OK ? KDC_CWT_OK : layer_err(rc);
}

static void
free_secret(uint8_t *p, size_t n)
{
	if (p != NULL) {
		kdc_wipe(p, n);
		free(p);
	}
}

/* RFC 8747 §3.3: the Encrypted_COSE_Key of a cnf, decrypted with the key
 * the caller names for that Encrypt0 (kind ENCRYPT0 and its kid). */
static int
decrypt_cnf_key(const cbor_item_t *enc, kdc_cwt_key_cb cb, void *ctx,
                struct kdc_cose_key *out)
{
	struct kdc_cose_msg m;
	const uint8_t *pt = NULL;
	uint8_t *owned = NULL;
	cbor_item_t *key = NULL;
	int64_t issuer;
	size_t len = 0;
	int rc;

	/* COSE_Encrypt0, tagged or not; COSE_Encrypt is not supported. */
	if (kdc_cose_parse_item((cbor_item_t *)enc, KDC_COSE_ENCRYPT0, &m) !=
	    KDC_COSE_OK)
		return KDC_CWT_E_CLAIMS;
	rc = open_layer(&m, cb, ctx, &issuer, &pt, &len, &owned);
	kdc_cose_msg_free(&m);
	if (rc == KDC_CWT_E_FORMAT)
		rc = KDC_CWT_E_CLAIMS;
	if (rc != KDC_CWT_OK)
		return rc;
	if (kdc_cbor_decode(pt, len, NULL, &key) != KDC_CBOR_OK ||
	    kdc_cose_key_decode(key, out) != 0)
		rc = KDC_CWT_E_CLAIMS;
	release(&key); /* the decoded tree holds the key bytes too */
	free_secret(owned, len);
	return rc;
}

static int
decode_cnf(const cbor_item_t *cnf, kdc_cwt_key_cb cb, void *ctx,
           struct kdc_cwt *c)
{
	const struct cbor_pair *p;
	const uint8_t *kid;
	size_t kid_len;
	int64_t method;

	/* RFC 8747 §3.1: one proof-of-possession key per cnf. */
	if (!cbor_isa_map(cnf) || cbor_map_size(cnf) != 1)
		return KDC_CWT_E_CLAIMS;
	p = cbor_map_handle(cnf);
	if (!kdc_cbor_get_int(p[0].key, &method))
		return KDC_CWT_E_CLAIMS;
	switch (method) {
	case KDC_CNF_COSE_KEY:
		if (kdc_cose_key_decode(p[0].value, &c->pop_key) != 0)
			return KDC_CWT_E_CLAIMS;
		break;
	case KDC_CNF_ENCRYPTED_COSE_KEY: {
		int rc = decrypt_cnf_key(p[0].value, cb, ctx, &c->pop_key);

		if (rc != KDC_CWT_OK)
			return rc;
		break;
	}
	case KDC_CNF_KID:
		if (!kdc_cbor_get_bstr(p[0].value, &kid, &kid_len) ||
		    kid_len == 0 || kid_len > KDC_COSE_MAX_KID)
			return KDC_CWT_E_CLAIMS;
		memcpy(c->cnf_kid, kid, kid_len);
		c->cnf_kid_len = kid_len;
		break;
	default:
		/* Another method (osc, ckt, ...): recorded, not decoded;
		 * the caller refuses what it cannot bind. */
		if (method <= 0 || method > 0x7fffffff)
			return KDC_CWT_E_CLAIMS;
		break;
	}
	c->cnf_method = (int)method;
	return KDC_CWT_OK;
}

/* scope: bstr, tag(bstr) (RFC 9594 §7 extended format), or tstr. */
static int
decode_scope(const cbor_item_t *v, struct kdc_cwt *c)
{
	cbor_item_t *content;
	uint64_t tag;
	const char *s;

	if (kdc_cbor_get_tag(v, &tag, &content)) {
		if (tag == 0)
			return KDC_CWT_E_CLAIMS; /* 0 means "untagged" here */
		c->scope_tag = tag;
		v = content;
	} else if (kdc_cbor_get_tstr(v, &s, &c->scope_len)) {
		c->scope = s != NULL ? (const uint8_t *)s : kdc_cose_empty;
		c->scope_is_text = true;
		return KDC_CWT_OK;
	}
	if (!kdc_cbor_get_bstr(v, &c->scope, &c->scope_len))
		return KDC_CWT_E_CLAIMS;
	if (c->scope == NULL)
		c->scope = kdc_cose_empty; /* present but empty */
	return KDC_CWT_OK;
}

static bool
opt_tstr(const cbor_item_t *claims, int64_t label, const char **p, size_t *n)
{
	const cbor_item_t *v = kdc_cbor_map_get(claims, label);

	if (v == NULL)
		return true;
	if (!kdc_cbor_get_tstr(v, p, n))
		return false;
	if (*p == NULL)
		*p = (const char *)kdc_cose_empty;
	return true;
}

static bool
opt_bstr(const cbor_item_t *claims, int64_t label, const uint8_t **p, size_t *n)
{
	const cbor_item_t *v = kdc_cbor_map_get(claims, label);

	if (v == NULL)
		return true;
	if (!kdc_cbor_get_bstr(v, p, n))
		return false;
	if (*p == NULL)
		*p = kdc_cose_empty;
	return true;
}

static bool
opt_date(const cbor_item_t *claims, int64_t label, bool *has, int64_t *out)
{
	const cbor_item_t *v = kdc_cbor_map_get(claims, label);

	if (v == NULL)
		return true;
	*has = kdc_cbor_get_numericdate(v, out);
	return *has;
}

static int
decode_claims(struct kdc_cwt *c, kdc_cwt_key_cb cb, void *ctx)
{
	const cbor_item_t *m = c->claims, *v;
	const char *sub = NULL;
	size_t sub_len = 0;

	if (!opt_tstr(m, KDC_CLAIM_ISS, &c->iss, &c->iss_len) ||
	    !opt_tstr(m, KDC_CLAIM_SUB, &sub, &sub_len) ||
	    !opt_tstr(m, KDC_CLAIM_AUD, &c->aud, &c->aud_len) ||
	    !opt_date(m, KDC_CLAIM_EXP, &c->has_exp, &c->exp) ||
	    !opt_date(m, KDC_CLAIM_NBF, &c->has_nbf, &c->nbf) ||
	    !opt_date(m, KDC_CLAIM_IAT, &c->has_iat, &c->iat) ||
	    !opt_bstr(m, KDC_CLAIM_CTI, &c->cti, &c->cti_len) ||
	    !opt_bstr(m, KDC_CLAIM_CNONCE, &c->cnonce, &c->cnonce_len))
		return KDC_CWT_E_CLAIMS;
	v = kdc_cbor_map_get(m, KDC_CLAIM_EXI);
	if (v != NULL) {
		if (!kdc_cbor_get_uint(v, &c->exi))
			return KDC_CWT_E_CLAIMS;
		c->has_exi = true;
	}
	v = kdc_cbor_map_get(m, KDC_CLAIM_ACE_PROFILE);
	if (v != NULL) {
		if (!kdc_cbor_get_int(v, &c->ace_profile))
			return KDC_CWT_E_CLAIMS;
		c->has_ace_profile = true;
	}
	v = kdc_cbor_map_get(m, KDC_CLAIM_SCOPE);
	if (v != NULL && decode_scope(v, c) != KDC_CWT_OK)
		return KDC_CWT_E_CLAIMS;
	v = kdc_cbor_map_get(m, KDC_CLAIM_CNF);
	if (v != NULL)
		return decode_cnf(v, cb, ctx, c);
	return KDC_CWT_OK;
}

/* Peel the COSE layers of `item` (RFC 8392 §7.2 steps 3-7); on success
 * *claims holds the claims map (owned). */
static int
peel(const cbor_item_t *item, kdc_cwt_key_cb cb, void *ctx, struct kdc_cwt *out,
     cbor_item_t **claims)
{
	cbor_item_t *inner = NULL; /* decoded payload of the last layer */
	const cbor_item_t *cur = strip_cwt_tag(item);
	int rc = KDC_CWT_OK;

	*claims = NULL;
	if (cbor_isa_map(cur))
		return KDC_CWT_E_UNPROTECTED; /* an unsecured claims set */
	for (int depth = 0;; depth++) {
		struct kdc_cose_msg m;
		const uint8_t *payload = NULL;
		uint8_t *owned = NULL;
		cbor_item_t *next = NULL;
		int64_t issuer = 0;
		size_t len = 0;

		if (depth >= KDC_CWT_MAX_NESTING) {
			rc = KDC_CWT_E_NESTING;
			break;
		}
		if (kdc_cose_parse_item((cbor_item_t *)cur, KDC_COSE_ANY, &m) !=
		    KDC_COSE_OK) {
			rc = KDC_CWT_E_FORMAT;
			break;
		}
		rc = open_layer(&m, cb, ctx, &issuer, &payload, &len, &owned);
		if (rc == KDC_CWT_OK) {
			/* The outermost layer names the AS; an inner layer
			 * protected by another AS's key is not this AS's
			 * token. */
			if (depth == 0)
				out->issuer_id = issuer;
			else if (issuer != 0 && out->issuer_id != 0 &&
			         issuer != out->issuer_id)
				rc = KDC_CWT_E_KEY;
		}
		if (rc == KDC_CWT_OK &&
		    kdc_cbor_decode(payload, len, NULL, &next) != KDC_CBOR_OK)
			rc = KDC_CWT_E_CLAIMS; /* the payload is no claims map
			                        */
		free_secret(owned, len);
		kdc_cose_msg_free(&m);
		release(&inner);
		inner = next;
		if (rc != KDC_CWT_OK)
			break;
		cur = strip_cwt_tag(inner);
		if (!is_cose_tag(cur)) {
			if (!cbor_isa_map(cur)) {
				rc = KDC_CWT_E_CLAIMS;
				break;
			}
			/* The claims map is inner itself or the content of
			 * a tag 61 around it: keep it, drop the rest without
			 * wiping what the caller now holds. */
			*claims = cbor_incref((cbor_item_t *)cur);
			cbor_decref(&inner);
			inner = NULL;
			break;
		}
	}
	release(&inner);
	return rc;
}

int
kdc_cwt_unwrap(const uint8_t *token, size_t len, kdc_cwt_key_cb cb, void *ctx,
               struct kdc_cwt *out)
{
	cbor_item_t *top = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if (token == NULL || cb == NULL)
		return KDC_CWT_E_FORMAT;
	if (kdc_cbor_decode(token, len, NULL, &top) != KDC_CBOR_OK)
		return KDC_CWT_E_FORMAT;
	rc = peel(top, cb, ctx, out, &out->claims);
	cbor_decref(&top);
	if (rc == KDC_CWT_OK)
		rc = decode_claims(out, cb, ctx);
	if (rc != KDC_CWT_OK)
		kdc_cwt_free(out);
	return rc;
}

/* a + b, saturated to the int64_t range. */
static int64_t
sat_add(int64_t a, int64_t b)
{
	int64_t r;

	if (__builtin_add_overflow(a, b, &r))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return r;
}

static bool
aud_ok(const struct kdc_cwt *c, const char *const *auds)
{
	if (c->aud == NULL)
		return false;
	for (size_t i = 0; auds[i] != NULL; i++)
		if (strlen(auds[i]) == c->aud_len &&
		    memcmp(auds[i], c->aud, c->aud_len) == 0)
			return true;
	return false;
}

int
kdc_cwt_check(const struct kdc_cwt *c, const struct kdc_cwt_policy *p,
              const char **why)
{
	int64_t skew = p->skew > 0 ? p->skew : 0;
	const char *dummy;

	if (why == NULL)
		why = &dummy;
	*why = "";
	/* RFC 9200 §5.10.1.1: iss, exp, aud, scope, in this order. */
	if (p->expected_iss != NULL && c->iss != NULL &&
	    (c->iss_len != p->expected_iss_len ||
	     memcmp(c->iss, p->expected_iss, c->iss_len) != 0)) {
		*why = "iss is not the AS that protected the token";
		return 401;
	}
	if (c->has_exp) {
		if (sat_add(c->exp, skew) <= p->now) {
			*why = "token expired";
			return 401;
		}
	} else if (p->require_exp) {
		*why = "token without exp";
		return 401;
	}
	if (c->has_nbf && c->nbf > sat_add(p->now, skew)) {
		*why = "token not yet valid (nbf)";
		return 401;
	}
	if (p->audiences != NULL && !aud_ok(c, p->audiences)) {
		*why = c->aud == NULL ? "token without aud"
		                      : "aud is not this KDC";
		return 403;
	}
	if (p->require_scope && c->scope == NULL) {
		*why = "token without scope";
		return 400;
	}
	if (p->require_cnf && c->cnf_method == 0) {
		*why = "token without cnf";
		return 400;
	}
	return 0;
}
