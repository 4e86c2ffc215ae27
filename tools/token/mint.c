/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mint.c — building an access token: the CWT claims set (RFC 8392 §3)
 * with the cnf claim of RFC 8747 and the AIF scope of RFC 9594, protected
 * by COSE_Sign1, COSE_Mac0 or COSE_Encrypt0, or Encrypt0 around Sign1.
 * A symmetric PoP key may only travel inside an Encrypt0 (RFC 9202 §3.3).
 */
#include "token.h"

#include "crypto.h"
#include "cwt.h"
#include "gm_material.h"

#include <stdio.h>
#include <string.h>

int
tok_parse_protect(const char *s, enum tok_protect *out)
{
	if (strcmp(s, "sign") == 0)
		*out = TOK_PROTECT_SIGN;
	else if (strcmp(s, "mac") == 0)
		*out = TOK_PROTECT_MAC;
	else if (strcmp(s, "encrypt") == 0)
		*out = TOK_PROTECT_ENCRYPT;
	else if (strcmp(s, "sign+encrypt") == 0)
		*out = TOK_PROTECT_SIGN_ENCRYPT;
	else
		return -1;
	return 0;
}

int64_t
tok_layer_alg(const struct tok_layer *l, enum kdc_cose_kind kind)
{
	const struct kdc_cose_key *k = &l->key;
	int64_t alg = l->alg != 0 ? l->alg : k->has_alg ? k->alg : 0;

	switch (kind) {
	case KDC_COSE_SIGN1:
		if (!k->has_priv)
			return 0;
		if (k->kty == KDC_KTY_OKP && k->crv == KDC_CRV_ED25519) {
			if (alg == 0)
				alg = KDC_ALG_EDDSA;
			return alg == KDC_ALG_EDDSA || alg == KDC_ALG_ED25519
			               ? alg
			               : 0;
		}
		if (k->kty == KDC_KTY_EC2 && k->crv == KDC_CRV_P256) {
			if (alg == 0)
				alg = KDC_ALG_ES256;
			return alg == KDC_ALG_ES256 || alg == KDC_ALG_ESP256
			               ? alg
			               : 0;
		}
		return 0;
	case KDC_COSE_MAC0:
		if (k->kty != KDC_KTY_SYMMETRIC || k->k_len == 0)
			return 0;
		if (alg == 0)
			alg = KDC_ALG_HMAC256_256;
		return alg == KDC_ALG_HMAC256_64 || alg == KDC_ALG_HMAC256_256
		               ? alg
		               : 0;
	case KDC_COSE_ENCRYPT0:
		if (k->kty != KDC_KTY_SYMMETRIC)
			return 0;
		if (alg == 0)
			alg = KDC_ALG_AES_CCM_16_64_128;
		if (alg < INT32_MIN || alg > INT32_MAX ||
		    kdc_aead_key_len((int)alg) == 0 ||
		    kdc_aead_key_len((int)alg) != k->k_len)
			return 0;
		return alg;
	default:
		return 0;
	}
}

static void
put_cnf(struct kdc_cw *w, const struct tok_params *p)
{
	struct kdc_cose_key k;

	memset(&k, 0, sizeof(k));
	kdc_cw_map(w, 1);
	kdc_cw_uint(w, KDC_CNF_COSE_KEY);
	switch (p->cnf) {
	case TOK_CNF_PSK:
	case TOK_CNF_PSK_KID:
		k.kty = KDC_KTY_SYMMETRIC;
		memcpy(k.kid, p->pop_kid, p->pop_kid_len);
		k.kid_len = p->pop_kid_len;
		if (p->cnf == TOK_CNF_PSK) {
			memcpy(k.k, p->psk, p->psk_len);
			k.k_len = p->psk_len;
		}
		kdc_cose_key_encode(w, &k, true);
		break;
	case TOK_CNF_RPK:
		/* The public part only, whatever the file held. */
		kdc_cose_key_encode(w, &p->rpk, false);
		break;
	}
	kdc_cose_key_wipe(&k);
}

static int
check_params(const struct tok_params *p, char *err, size_t errlen)
{
	if (p->aud == NULL || p->aud[0] == '\0') {
		snprintf(err, errlen, "an audience is required");
		return -1;
	}
	if (p->scope.n == 0) {
		snprintf(err, errlen, "a scope is required");
		return -1;
	}
	if (p->cti_len == 0 || p->cti_len > sizeof(p->cti)) {
		snprintf(err, errlen, "cti of 1 to %zu bytes", sizeof(p->cti));
		return -1;
	}
	switch (p->cnf) {
	case TOK_CNF_PSK:
		if (p->psk_len == 0 || p->psk_len > sizeof(p->psk)) {
			snprintf(err, errlen, "PoP key of 1 to %zu bytes",
			         sizeof(p->psk));
			return -1;
		}
		/* fall through */
	case TOK_CNF_PSK_KID:
		if (p->pop_kid_len == 0 ||
		    p->pop_kid_len > sizeof(p->pop_kid)) {
			snprintf(err, errlen, "PoP kid of 1 to %zu bytes",
			         sizeof(p->pop_kid));
			return -1;
		}
		break;
	case TOK_CNF_RPK:
		if (!p->rpk.has_pub || !((p->rpk.kty == KDC_KTY_OKP &&
		                          p->rpk.crv == KDC_CRV_ED25519) ||
		                         (p->rpk.kty == KDC_KTY_EC2 &&
		                          p->rpk.crv == KDC_CRV_P256))) {
			snprintf(err, errlen,
			         "the raw public key must be "
			         "Ed25519 or P-256");
			return -1;
		}
		break;
	default:
		snprintf(err, errlen, "no proof-of-possession key");
		return -1;
	}
	/* RFC 9202 §3.3: a token carrying a symmetric key MUST be encrypted
	 * (the KDC refuses it otherwise). */
	if (p->cnf == TOK_CNF_PSK && p->protect != TOK_PROTECT_ENCRYPT &&
	    p->protect != TOK_PROTECT_SIGN_ENCRYPT) {
		snprintf(err, errlen,
		         "a token carrying a symmetric PoP key must be "
		         "encrypted (RFC 9202 §3.3): use --protect encrypt or "
		         "sign+encrypt");
		return -1;
	}
	return 0;
}

int
tok_claims(const struct tok_params *p, struct kdc_cw *w, char *err,
           size_t errlen)
{
	struct kdc_cw scope;

	if (check_params(p, err, errlen) != 0)
		return -1;
	kdc_cw_init(&scope);
	kdc_scope_encode(&scope, &p->scope);
	/* Labels in ascending order (RFC 8949 §4.2.1). */
	kdc_cw_map(w, 6 + (p->iss != NULL));
	if (p->iss != NULL) {
		kdc_cw_uint(w, KDC_CLAIM_ISS);
		kdc_cw_tstrz(w, p->iss);
	}
	kdc_cw_uint(w, KDC_CLAIM_AUD);
	kdc_cw_tstrz(w, p->aud);
	kdc_cw_uint(w, KDC_CLAIM_EXP);
	kdc_cw_int(w, p->now + (int64_t)p->lifetime);
	kdc_cw_uint(w, KDC_CLAIM_IAT);
	kdc_cw_int(w, p->now);
	kdc_cw_uint(w, KDC_CLAIM_CTI);
	kdc_cw_bstr(w, p->cti, p->cti_len);
	kdc_cw_uint(w, KDC_CLAIM_CNF);
	put_cnf(w, p);
	kdc_cw_uint(w, KDC_CLAIM_SCOPE);
	if (p->scope_tag)
		kdc_cw_tag(w, KDC_SCOPE_TAG_AIF_OSCORE); /* RFC 9594 §7 */
	kdc_cw_bstr(w, scope.buf, scope.len);
	if (!kdc_cw_ok(&scope) || !kdc_cw_ok(w)) {
		kdc_cw_free(&scope);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	kdc_cw_free(&scope);
	return 0;
}

/* One COSE layer around payload. */
static int
protect(struct kdc_cw *out, enum kdc_cose_kind kind, const struct tok_layer *l,
        const uint8_t *payload, size_t len, char *err, size_t errlen)
{
	struct kdc_cose_create c;
	int rc;

	memset(&c, 0, sizeof(c));
	if (l->alg != 0 && l->key.has_alg && l->key.alg != l->alg) {
		snprintf(err, errlen,
		         "algorithm %lld asked for, but the key "
		         "is for %lld",
		         (long long)l->alg, (long long)l->key.alg);
		return -1;
	}
	c.alg = tok_layer_alg(l, kind);
	if (c.alg == 0) {
		snprintf(
		        err, errlen,
		        kind == KDC_COSE_SIGN1
		                ? "the signing key must be a private Ed25519 "
		                  "(EdDSA) or P-256 (ES256) COSE_Key"
		        : kind == KDC_COSE_MAC0
		                ? "the MAC key must be a Symmetric COSE_Key "
		                  "with alg 4 or 5"
		                : "the encryption key must be a Symmetric "
		                  "COSE_Key of the AEAD's length (16 bytes for "
		                  "AES-CCM-16-64-128)");
		return -1;
	}
	if (l->kid_len > 0) {
		c.kid = l->kid;
		c.kid_len = l->kid_len;
	} else if (l->key.kid_len > 0) {
		c.kid = l->key.kid;
		c.kid_len = l->key.kid_len;
	}
	c.tagged = true;
	switch (kind) {
	case KDC_COSE_SIGN1:
		rc = kdc_cose_sign1_create(out, &c, &l->key, payload, len);
		break;
	case KDC_COSE_MAC0:
		rc = kdc_cose_mac0_create(out, &c, &l->key, payload, len);
		break;
	default:
		rc = kdc_cose_encrypt0_create(out, &c, &l->key, payload, len);
		break;
	}
	if (rc != KDC_COSE_OK || !kdc_cw_ok(out)) {
		snprintf(err, errlen, "COSE: %s", kdc_cose_strerror(rc));
		return -1;
	}
	return 0;
}

int
tok_mint(const struct tok_params *p, struct kdc_cw *out, char *err,
         size_t errlen)
{
	struct kdc_cw claims, inner;
	int rc = -1;

	kdc_cw_init(&claims);
	kdc_cw_init(&inner);
	if (tok_claims(p, &claims, err, errlen) != 0)
		goto out;
	switch (p->protect) {
	case TOK_PROTECT_SIGN:
		rc = protect(out, KDC_COSE_SIGN1, &p->as, claims.buf,
		             claims.len, err, errlen);
		break;
	case TOK_PROTECT_MAC:
		rc = protect(out, KDC_COSE_MAC0, &p->as, claims.buf, claims.len,
		             err, errlen);
		break;
	case TOK_PROTECT_ENCRYPT:
		rc = protect(out, KDC_COSE_ENCRYPT0, &p->as, claims.buf,
		             claims.len, err, errlen);
		break;
	case TOK_PROTECT_SIGN_ENCRYPT:
		/* RFC 8392 §7.1: sign the claims, encrypt the Sign1. */
		rc = protect(&inner, KDC_COSE_SIGN1, &p->as, claims.buf,
		             claims.len, err, errlen);
		if (rc == 0)
			rc = protect(out, KDC_COSE_ENCRYPT0, &p->as_enc,
			             inner.buf, inner.len, err, errlen);
		break;
	default:
		snprintf(err, errlen, "no protection chosen");
		break;
	}
out:
	kdc_cw_free(&claims); /* wiped: it may hold the PoP key */
	kdc_cw_free(&inner);
	return rc;
}

void
tok_ace_cbor(struct kdc_cw *out, const uint8_t *tok, size_t len, bool ecdh_info,
             bool dh_creds)
{
	kdc_cw_map(out, 2 + (size_t)ecdh_info + (size_t)dh_creds);
	kdc_cw_uint(out, KDC_OAUTH_ACCESS_TOKEN);
	kdc_cw_bstr(out, tok, len);
	kdc_cw_uint(out, KDC_OAUTH_SIGN_INFO);
	kdc_cw_null(out);
	if (ecdh_info) {
		kdc_cw_uint(out, KDC_OAUTH_ECDH_INFO);
		kdc_cw_null(out);
	}
	if (dh_creds) {
		kdc_cw_uint(out, KDC_OAUTH_KDC_DH_CREDS);
		kdc_cw_null(out);
	}
}
