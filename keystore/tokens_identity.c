/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tokens_identity.c — the DTLS handshake lookups (RFC 9202 §3.2, §3.3;
 * docs/DESIGN.md §3).
 *
 * PSK_IDENTITY: the identity is read, in this order, as
 *   1. the CBOR `{8: {1: {1: 4, 2: kid}}}` (RFC 9202 §3.3.2), exactly;
 *   2. an access token (a CWT, optionally in tag 61 or a COSE tag), which is
 *      verified and stored like one posted to /authz-info, but with N_S
 *      from the DTLS exporter (GO §6.1.1) instead of a kdcchallenge;
 *   3. base64url without padding of 1 or 2 (libcoap cuts identities at
 *      NUL, platform note Q2);
 *   4. the kid itself when it is printable ASCII (0x21-0x7e).
 * Expired or revoked tokens are UNKNOWN.  Logs name the form and the kid,
 * never the key.
 *
 * RPK_IDENTITY: the client's SubjectPublicKeyInfo (RFC 7250, DER) is turned
 * into a COSE_Key and matched by fingerprint against the tokens' cnf keys.
 */
#include "handlers.h"
#include "tokens.h"
#include "tokens_int.h"

#include "crypto.h"
#include "cwt.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

/* ------------------------------------------------------------------ */
/* PSK identity forms */

enum psk_form {
	FORM_KID_CBOR = 1,
	FORM_TOKEN = 2,
	FORM_B64_KID_CBOR = 3,
	FORM_B64_TOKEN = 4,
	FORM_KID_TEXT = 5,
};

static const char *
form_name(int form)
{
	switch (form) {
	case FORM_KID_CBOR:
		return "cnf-kid";
	case FORM_TOKEN:
		return "token";
	case FORM_B64_KID_CBOR:
		return "base64url cnf-kid";
	case FORM_B64_TOKEN:
		return "base64url token";
	case FORM_KID_TEXT:
		return "text kid";
	default:
		return "unsupported";
	}
}

/* Form 1, strictly: a map of one entry 8 → a map of one entry 1 → a map of
 * exactly {1: 4, 2: non-empty bstr}.  0 and the kid, or -1. */
static int
parse_kid_cbor(const uint8_t *p, size_t n, uint8_t *kid, size_t *kid_len)
{
	const struct kdc_cbor_limits lim = {.max_size = 256, .max_depth = 4};
	cbor_item_t *root = NULL;
	const cbor_item_t *cnf, *key, *it;
	const uint8_t *k;
	size_t kn;
	int64_t kty;
	int rc = -1;

	if (n == 0 || p[0] != 0xa1 ||
	    kdc_cbor_decode(p, n, &lim, &root) != KDC_CBOR_OK)
		return -1;
	if (cbor_map_size(root) != 1 ||
	    (cnf = kdc_cbor_map_get(root, KDC_CLAIM_CNF)) == NULL ||
	    !cbor_isa_map(cnf) || cbor_map_size(cnf) != 1 ||
	    (key = kdc_cbor_map_get(cnf, KDC_CNF_COSE_KEY)) == NULL ||
	    !cbor_isa_map(key) || cbor_map_size(key) != 2)
		goto out;
	it = kdc_cbor_map_get(key, KDC_KEY_KTY);
	if (it == NULL || !kdc_cbor_get_int(it, &kty) ||
	    kty != KDC_KTY_SYMMETRIC)
		goto out;
	it = kdc_cbor_map_get(key, KDC_KEY_KID);
	if (it == NULL || !kdc_cbor_get_bstr(it, &k, &kn) || kn == 0 ||
	    kn > KDC_COSE_MAX_KID)
		goto out;
	memcpy(kid, k, kn);
	*kid_len = kn;
	rc = 0;
out:
	cbor_decref(&root);
	return rc;
}

/* Form 2 shape: one well-formed CBOR item that is the CWT tag 61 or a tag
 * of COSE_Encrypt0 / Mac0 / Sign1.  (A printable-ASCII kid can never look
 * like this: tag heads are 0xc0 and above.) */
static bool
looks_like_token(const uint8_t *p, size_t n)
{
	const struct kdc_cbor_limits lim = {.max_size = KS_TOK_MAX};
	cbor_item_t *root = NULL;
	uint64_t tag;
	cbor_item_t *content;
	bool ok = false;

	if (n == 0 || (p[0] & 0xe0) != 0xc0)
		return false;
	if (kdc_cbor_decode(p, n, &lim, &root) != KDC_CBOR_OK)
		return false;
	if (kdc_cbor_get_tag(root, &tag, &content))
		ok = tag == KDC_TAG_CWT || tag == KDC_TAG_COSE_ENCRYPT0 ||
		     tag == KDC_TAG_COSE_MAC0 || tag == KDC_TAG_COSE_SIGN1;
	cbor_decref(&root);
	return ok;
}

static int
b64url_val(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/* Strict base64url without padding (RFC 4648 §5): alphabet only, no
 * length ≡ 1 (mod 4), unused trailing bits zero.  out must hold n*3/4
 * bytes.  Returns the decoded length or -1. */
static ssize_t
b64url_decode(const uint8_t *in, size_t n, uint8_t *out)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t o = 0;

	if (n == 0 || n % 4 == 1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int v = b64url_val(in[i]);

		if (v < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	if ((acc & ((1u << bits) - 1)) != 0)
		return -1; /* not the canonical encoding */
	return (ssize_t)o;
}

static bool
printable_kid(const uint8_t *p, size_t n)
{
	if (n == 0 || n > KDC_COSE_MAX_KID)
		return false;
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x21 || p[i] > 0x7e)
			return false;
	return true;
}

static int
reply_psk(struct ks_req *r, const struct ipc_psk_result *res)
{
	struct ipc_wbuf w;

	ipc_wbuf_init(&w);
	if (ipc_enc_psk_result(&w, res) != 0 || !ipc_wbuf_ok(&w)) {
		ipc_wbuf_free(&w);
		return KS_H_FAIL;
	}
	ks_reply(r, IPC_MSG_PSK_RESULT, &w);
	ipc_wbuf_free(&w);
	return KS_H_OK;
}

static int
reply_status(struct ks_req *r, uint8_t status)
{
	struct ipc_psk_result res;

	memset(&res, 0, sizeof(res));
	res.status = status;
	return reply_psk(r, &res);
}

/* OK with the token's key, or UNKNOWN when the token may not be used. */
static int
reply_token(struct ks_req *r, const struct ks_token *t, bool with_key)
{
	struct ipc_psk_result res;

	memset(&res, 0, sizeof(res));
	if (t->revoked || t->exp <= r->now)
		return reply_status(r, IPC_PSK_UNKNOWN);
	res.status = IPC_PSK_OK;
	if (with_key) {
		res.key.p = t->pop_key.k;
		res.key.n = t->pop_key.k_len;
	}
	res.binding = t->handle;
	res.exp = t->exp;
	/* N_S of a token that came in a handshake is the exporter value of
	 * each session (GO §6.1.1), else the stored kdcchallenge. */
	res.token_in_handshake = t->via == KS_VIA_DTLS;
	return reply_psk(r, &res);
}

/* Forms 1, 3 (kid) and 4: the stored token of a symmetric key by kid. */
static int
psk_by_kid(struct ks_req *r, int form, const uint8_t *kid, size_t kid_len)
{
	struct ks_token *t = kdc_secure_alloc(sizeof(*t));
	char hex[2 * 16 + 4];
	int rc;

	if (t == NULL)
		return KS_H_FAIL;
	kdc_hex(hex, sizeof(hex), kid, kid_len);
	rc = ks_store_token_by_kid(r->ks->store, kid, kid_len, true, t);
	if (rc == KS_ERR) {
		rc = KS_H_FAIL;
	} else if (rc == KS_NOTFOUND || t->pop_kind != KS_POP_SYMMETRIC ||
	           t->pop_key.k_len == 0) {
		log_info("psk identity (%s) kid=%s: no token", form_name(form),
		         hex);
		rc = reply_status(r, IPC_PSK_UNKNOWN);
	} else {
		log_info("psk identity (%s) kid=%s: token %lld%s",
		         form_name(form), hex, (long long)t->id,
		         t->revoked || t->exp <= r->now ? " expired/revoked"
		                                        : "");
		rc = reply_token(r, t, true);
	}
	kdc_secure_free(t);
	return rc;
}

/* Forms 2 and 3 (token): verify and store the token (RFC 9202 §3.3.2).
 * Returns a handler result, or 1 when the token is unusable and nothing was
 * replied (the caller decides what that means). */
static int
psk_token(struct ks_req *r, int form, const uint8_t *tok, size_t len)
{
	struct ks_tok_verified *v = kdc_secure_alloc(sizeof(*v));
	const char *why = "";
	char key[96];
	bool replaced;
	int rc;

	if (v == NULL)
		return KS_H_FAIL;
	rc = ks_tok_verify(r->ks, tok, len, r->now, v, &why);
	if (rc == 0 && v->t.pop_kind != KS_POP_SYMMETRIC) {
		rc = KS_CODE(4, 0);
		why = "PoP key is not symmetric";
	}
	if (rc == 0)
		rc = ks_tok_store(r->ks, r->peer->actor, v, KS_VIA_DTLS, false,
		                  &replaced);
	if (rc < 0) {
		rc = KS_H_FAIL;
	} else if (rc > 0) {
		log_info("psk identity (%s): token refused (%d.%02d): %s",
		         form_name(form), rc >> 5, rc & 0x1f, why);
		rc = 1;
	} else {
		log_info("psk identity (%s): token %lld %s", form_name(form),
		         (long long)v->t.id,
		         ks_tok_keyname(&v->t, key, sizeof(key)));
		rc = reply_token(r, &v->t, true);
	}
	kdc_secure_free(v);
	return rc;
}

int
ks_h_psk_identity(struct ks_req *r)
{
	struct ipc_psk_identity m;
	const uint8_t *id;
	uint8_t kid[KDC_COSE_MAX_KID];
	size_t n, kid_len;
	uint8_t *dec = NULL;
	ssize_t dn;
	int rc;

	if (ipc_dec_psk_identity(r->payload, r->len, &m) != 0)
		return KS_H_MALFORMED;
	id = m.identity.p;
	n = m.identity.n;
	/* 1 */
	if (parse_kid_cbor(id, n, kid, &kid_len) == 0)
		return psk_by_kid(r, FORM_KID_CBOR, kid, kid_len);
	/* 2 */
	if (looks_like_token(id, n)) {
		rc = psk_token(r, FORM_TOKEN, id, n);
		return rc == 1 ? reply_status(r, IPC_PSK_BAD_TOKEN) : rc;
	}
	/* 3 */
	if (n > 0 && n <= (KS_TOK_MAX / 3) * 4 + 3) {
		dec = malloc(n * 3 / 4 + 1);
		if (dec == NULL)
			return KS_H_FAIL;
		dn = b64url_decode(id, n, dec);
		if (dn > 0 &&
		    parse_kid_cbor(dec, (size_t)dn, kid, &kid_len) == 0) {
			free(dec);
			return psk_by_kid(r, FORM_B64_KID_CBOR, kid, kid_len);
		}
		if (dn > 0 && looks_like_token(dec, (size_t)dn)) {
			rc = psk_token(r, FORM_B64_TOKEN, dec, (size_t)dn);
			free(dec);
			if (rc != 1)
				return rc;
			/* Not a usable token: a kid that happens to decode
			 * to a token shape is still tried as a kid. */
			if (!printable_kid(id, n))
				return reply_status(r, IPC_PSK_BAD_TOKEN);
			return psk_by_kid(r, FORM_KID_TEXT, id, n);
		}
		free(dec);
	}
	/* 4 */
	if (printable_kid(id, n))
		return psk_by_kid(r, FORM_KID_TEXT, id, n);
	log_info("psk identity of %zu bytes in no supported form", n);
	return reply_status(r, IPC_PSK_UNSUPPORTED);
}

/* ------------------------------------------------------------------ */
/* RPK: SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) */

struct der {
	const uint8_t *p;
	size_t n;
};

/* Read one DER TLV with the expected (single-byte) tag; definite, minimal
 * length only.  Advances *d past it and returns its content in *out. */
static int
der_get(struct der *d, uint8_t tag, struct der *out)
{
	size_t len, hdr = 2;

	if (d->n < 2 || d->p[0] != tag)
		return -1;
	len = d->p[1];
	if (len & 0x80) {
		size_t nb = len & 0x7f;

		/* Long form: 1 or 2 length bytes, no leading zero, and only
		 * for lengths >= 128 (X.690 §10.1). */
		if (nb == 0 || nb > 2 || d->n < 2 + nb || d->p[2] == 0)
			return -1;
		len = 0;
		for (size_t i = 0; i < nb; i++)
			len = (len << 8) | d->p[2 + i];
		if (len < 128)
			return -1;
		hdr += nb;
	}
	if (len > d->n - hdr)
		return -1;
	out->p = d->p + hdr;
	out->n = len;
	d->p += hdr + len;
	d->n -= hdr + len;
	return 0;
}

static bool
der_eq(const struct der *d, const uint8_t *p, size_t n)
{
	return d->n == n && memcmp(d->p, p, n) == 0;
}

#define DER_SEQUENCE   0x30
#define DER_BIT_STRING 0x03
#define DER_OID        0x06

/* 1.3.101.112 id-Ed25519 (RFC 8410), 1.2.840.10045.2.1 id-ecPublicKey and
 * 1.2.840.10045.3.1.7 prime256v1 (RFC 5480). */
static const uint8_t oid_ed25519[] = {0x2b, 0x65, 0x70};
static const uint8_t oid_ec_pub[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};
static const uint8_t oid_p256[] = {0x2a, 0x86, 0x48, 0xce,
                                   0x3d, 0x03, 0x01, 0x07};

/* SEQUENCE { SEQUENCE { OID [, params] }, BIT STRING } → COSE_Key.
 * Exactly the two supported key types; no trailing bytes at any level. */
static int
spki_to_cose(const uint8_t *p, size_t n, struct kdc_cose_key *k)
{
	struct der in = {p, n}, spki, alg, oid, params, bits;

	memset(k, 0, sizeof(*k));
	if (der_get(&in, DER_SEQUENCE, &spki) != 0 || in.n != 0)
		return -1;
	if (der_get(&spki, DER_SEQUENCE, &alg) != 0 ||
	    der_get(&spki, DER_BIT_STRING, &bits) != 0 || spki.n != 0)
		return -1;
	if (der_get(&alg, DER_OID, &oid) != 0)
		return -1;
	/* BIT STRING: no unused bits. */
	if (bits.n < 1 || bits.p[0] != 0)
		return -1;
	bits.p++;
	bits.n--;
	if (der_eq(&oid, oid_ed25519, sizeof(oid_ed25519))) {
		/* RFC 8410 §3: parameters MUST be absent. */
		if (alg.n != 0 || bits.n != 32)
			return -1;
		k->kty = KDC_KTY_OKP;
		k->crv = KDC_CRV_ED25519;
		memcpy(k->x, bits.p, 32);
	} else if (der_eq(&oid, oid_ec_pub, sizeof(oid_ec_pub))) {
		if (der_get(&alg, DER_OID, &params) != 0 || alg.n != 0 ||
		    !der_eq(&params, oid_p256, sizeof(oid_p256)))
			return -1;
		/* Uncompressed point only (RFC 5480 §2.2). */
		if (bits.n != 65 || bits.p[0] != 0x04)
			return -1;
		k->kty = KDC_KTY_EC2;
		k->crv = KDC_CRV_P256;
		memcpy(k->x, bits.p + 1, 32);
		memcpy(k->y, bits.p + 33, 32);
	} else {
		return -1;
	}
	k->has_pub = true;
	return 0;
}

int
ks_h_rpk_identity(struct ks_req *r)
{
	struct ipc_rpk_identity m;
	struct kdc_cose_key k;
	struct ks_token *t;
	uint8_t fpr[32];
	char hex[2 * 8 + 4];
	int rc;

	if (ipc_dec_rpk_identity(r->payload, r->len, &m) != 0)
		return KS_H_MALFORMED;
	if (spki_to_cose(m.spki.p, m.spki.n, &k) != 0) {
		log_info("rpk identity: unsupported SubjectPublicKeyInfo "
		         "(%zu bytes)",
		         m.spki.n);
		return reply_status(r, IPC_PSK_UNSUPPORTED);
	}
	ks_pop_fingerprint(&k, fpr);
	kdc_hex(hex, sizeof(hex), fpr, 8);
	t = kdc_secure_alloc(sizeof(*t));
	if (t == NULL)
		return KS_H_FAIL;
	rc = ks_store_token_by_fpr(r->ks->store, fpr, false, t);
	if (rc == KS_ERR) {
		rc = KS_H_FAIL;
	} else if (rc == KS_NOTFOUND || t->pop_kind != KS_POP_ASYMMETRIC) {
		log_info("rpk identity fpr=%s: no token", hex);
		rc = reply_status(r, IPC_PSK_UNKNOWN);
	} else {
		log_info("rpk identity fpr=%s: token %lld", hex,
		         (long long)t->id);
		rc = reply_token(r, t, false);
	}
	kdc_secure_free(t);
	return rc;
}
