/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cose_msg.c — parsing of single-recipient COSE messages (RFC 9052 §2, §3)
 * and the structures their signatures, MACs and AEADs cover.
 */
#include "cose.h"
#include "cose_int.h"
#include "crypto.h"

#include <string.h>

const uint8_t kdc_cose_empty[1];

const char *
kdc_cose_strerror(int err)
{
	switch (err) {
	case KDC_COSE_OK:
		return "ok";
	case KDC_COSE_E_CBOR:
		return "not well-formed CBOR";
	case KDC_COSE_E_FORMAT:
		return "not a COSE message of the expected kind";
	case KDC_COSE_E_HEADER:
		return "bad COSE header";
	case KDC_COSE_E_ALG:
		return "COSE algorithm missing, unsupported or not the key's";
	case KDC_COSE_E_VERIFY:
		return "COSE verification failed";
	case KDC_COSE_E_NOMEM:
		return "out of memory";
	default:
		return "unknown COSE error";
	}
}

void
kdc_cose_msg_free(struct kdc_cose_msg *m)
{
	if (m == NULL)
		return;
	if (m->prot_map != NULL)
		cbor_decref(&m->prot_map);
	if (m->root != NULL)
		cbor_decref(&m->root);
	memset(m, 0, sizeof(*m));
}

/* A bstr, with h'' as a non-NULL pointer. */
static bool
get_bstr(const cbor_item_t *it, const uint8_t **p, size_t *n)
{
	if (!kdc_cbor_get_bstr(it, p, n))
		return false;
	if (*p == NULL)
		*p = kdc_cose_empty;
	return true;
}

/* Header labels are int or tstr (RFC 9052 §3). */
static bool
label_ok(const cbor_item_t *l)
{
	return cbor_isa_uint(l) || cbor_isa_negint(l) || cbor_isa_string(l);
}

static bool
label_equal(const cbor_item_t *a, const cbor_item_t *b)
{
	int64_t ia, ib;
	const char *sa, *sb;
	size_t na, nb;

	if (kdc_cbor_get_int(a, &ia))
		return kdc_cbor_get_int(b, &ib) && ia == ib;
	if (kdc_cbor_get_tstr(a, &sa, &na))
		return kdc_cbor_get_tstr(b, &sb, &nb) && na == nb &&
		       memcmp(sa, sb, na) == 0;
	return false;
}

/* RFC 9052 §3: a label MUST NOT occur in both buckets. */
static int
check_buckets(const cbor_item_t *prot, const cbor_item_t *unprot)
{
	const struct cbor_pair *pp = cbor_map_handle(prot);
	const struct cbor_pair *up = cbor_map_handle(unprot);
	size_t np = cbor_map_size(prot), nu = cbor_map_size(unprot);

	for (size_t i = 0; i < np; i++)
		if (!label_ok(pp[i].key))
			return KDC_COSE_E_HEADER;
	for (size_t j = 0; j < nu; j++)
		if (!label_ok(up[j].key))
			return KDC_COSE_E_HEADER;
	for (size_t i = 0; i < np; i++)
		for (size_t j = 0; j < nu; j++)
			if (label_equal(pp[i].key, up[j].key))
				return KDC_COSE_E_HEADER;
	return KDC_COSE_OK;
}

/* The header parameters this code acts on; a crit list naming anything
 * else must make the message fail (RFC 9052 §3.1). */
static bool
crit_understood(const cbor_item_t *l, int64_t *v)
{
	if (!kdc_cbor_get_int(l, v))
		return false;
	switch (*v) {
	case KDC_HDR_ALG:
	case KDC_HDR_CONTENT_TYPE:
	case KDC_HDR_KID:
	case KDC_HDR_IV:
	case KDC_HDR_PARTIAL_IV:
		return true;
	default:
		return false;
	}
}

static int
check_crit(const struct kdc_cose_msg *m)
{
	const cbor_item_t *c;
	size_t n;

	if (kdc_cbor_map_get(m->unprot, KDC_HDR_CRIT) != NULL)
		return KDC_COSE_E_HEADER; /* crit is protected-only */
	c = kdc_cbor_map_get(m->prot_map, KDC_HDR_CRIT);
	if (c == NULL)
		return KDC_COSE_OK;
	n = kdc_cbor_array_len(c);
	if (!cbor_isa_array(c) || n == 0)
		return KDC_COSE_E_HEADER;
	for (size_t i = 0; i < n; i++) {
		int64_t v;

		if (!crit_understood(kdc_cbor_array_at(c, i), &v))
			return KDC_COSE_E_HEADER;
		/* A critical parameter must be present and protected. */
		if (kdc_cbor_map_get(m->prot_map, v) == NULL)
			return KDC_COSE_E_HEADER;
	}
	return KDC_COSE_OK;
}

/* Header lookup: protected first, then unprotected. */
static const cbor_item_t *
hdr(const struct kdc_cose_msg *m, int64_t label)
{
	const cbor_item_t *v = kdc_cbor_map_get(m->prot_map, label);

	return v != NULL ? v : kdc_cbor_map_get(m->unprot, label);
}

static int
read_headers(struct kdc_cose_msg *m)
{
	const cbor_item_t *v;
	int rc;

	rc = check_buckets(m->prot_map, m->unprot);
	if (rc == KDC_COSE_OK)
		rc = check_crit(m);
	if (rc != KDC_COSE_OK)
		return rc;
	v = hdr(m, KDC_HDR_ALG);
	if (v != NULL) {
		if (kdc_cbor_get_int(v, &m->alg))
			m->has_alg = true;
		else if (cbor_isa_string(v))
			return KDC_COSE_E_ALG; /* no text-named algorithm
			                          is supported */
		else
			return KDC_COSE_E_HEADER;
	}
	v = hdr(m, KDC_HDR_CONTENT_TYPE);
	if (v != NULL && !cbor_isa_uint(v) && !cbor_isa_string(v))
		return KDC_COSE_E_HEADER;
	v = hdr(m, KDC_HDR_KID);
	if (v != NULL && !get_bstr(v, &m->kid, &m->kid_len))
		return KDC_COSE_E_HEADER;
	v = hdr(m, KDC_HDR_IV);
	if (v != NULL && !get_bstr(v, &m->iv, &m->iv_len))
		return KDC_COSE_E_HEADER;
	v = hdr(m, KDC_HDR_PARTIAL_IV);
	if (v != NULL && !get_bstr(v, &m->partial_iv, &m->partial_iv_len))
		return KDC_COSE_E_HEADER;
	/* RFC 9052 §3.1: IV and Partial IV MUST NOT both be present. */
	if (m->iv != NULL && m->partial_iv != NULL)
		return KDC_COSE_E_HEADER;
	return KDC_COSE_OK;
}

static int
decode_protected(struct kdc_cose_msg *m)
{
	/* RFC 9052 §3: an empty protected header is the zero-length bstr;
	 * otherwise the bytes must be a serialised map. */
	if (m->prot_len == 0) {
		m->prot_map = cbor_new_definite_map(0);
		return m->prot_map != NULL ? KDC_COSE_OK : KDC_COSE_E_NOMEM;
	}
	switch (kdc_cbor_decode(m->prot, m->prot_len, NULL, &m->prot_map)) {
	case KDC_CBOR_OK:
		break;
	case KDC_CBOR_E_NOMEM:
		return KDC_COSE_E_NOMEM;
	default:
		return KDC_COSE_E_HEADER;
	}
	return cbor_isa_map(m->prot_map) ? KDC_COSE_OK : KDC_COSE_E_HEADER;
}

int
kdc_cose_parse_item(cbor_item_t *item, enum kdc_cose_kind expected,
                    struct kdc_cose_msg *out)
{
	const cbor_item_t *a = item;
	cbor_item_t *content;
	uint64_t tag;
	size_t n;
	int rc;

	memset(out, 0, sizeof(*out));
	if (item == NULL)
		return KDC_COSE_E_FORMAT;
	if (kdc_cbor_get_tag(item, &tag, &content)) {
		if (tag != KDC_TAG_COSE_SIGN1 && tag != KDC_TAG_COSE_MAC0 &&
		    tag != KDC_TAG_COSE_ENCRYPT0)
			return KDC_COSE_E_FORMAT;
		if (expected != KDC_COSE_ANY && (uint64_t)expected != tag)
			return KDC_COSE_E_FORMAT;
		out->kind = (enum kdc_cose_kind)tag;
		out->tagged = true;
		a = content;
	} else {
		/* An untagged message is typed by the application only. */
		if (expected == KDC_COSE_ANY)
			return KDC_COSE_E_FORMAT;
		out->kind = expected;
	}
	n = out->kind == KDC_COSE_ENCRYPT0 ? 3 : 4;
	if (!cbor_isa_array(a) || kdc_cbor_array_len(a) != n)
		goto format;
	if (!get_bstr(kdc_cbor_array_at(a, 0), &out->prot, &out->prot_len))
		goto format;
	out->unprot = kdc_cbor_array_at(a, 1);
	if (!cbor_isa_map(out->unprot))
		goto format;
	if (kdc_cbor_is_null(kdc_cbor_array_at(a, 2))) {
		out->payload = NULL; /* detached */
	} else if (!get_bstr(kdc_cbor_array_at(a, 2), &out->payload,
	                     &out->payload_len)) {
		goto format;
	}
	if (n == 4 &&
	    !get_bstr(kdc_cbor_array_at(a, 3), &out->tag, &out->tag_len))
		goto format;
	out->root = cbor_incref(item);
	rc = decode_protected(out);
	if (rc == KDC_COSE_OK)
		rc = read_headers(out);
	if (rc != KDC_COSE_OK)
		kdc_cose_msg_free(out);
	return rc;
format:
	memset(out, 0, sizeof(*out));
	return KDC_COSE_E_FORMAT;
}

int
kdc_cose_parse(const uint8_t *buf, size_t len, enum kdc_cose_kind expected,
               const struct kdc_cbor_limits *limits, struct kdc_cose_msg *out)
{
	cbor_item_t *item = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = kdc_cbor_decode(buf, len, limits, &item);
	if (rc == KDC_CBOR_E_NOMEM)
		return KDC_COSE_E_NOMEM;
	if (rc != KDC_CBOR_OK)
		return KDC_COSE_E_CBOR;
	rc = kdc_cose_parse_item(item, expected, out);
	cbor_decref(&item);
	return rc;
}

void
kdc_cose_body_prot(const struct kdc_cose_msg *m, const uint8_t **p, size_t *n)
{
	if (m->prot_map == NULL || cbor_map_size(m->prot_map) == 0) {
		*p = kdc_cose_empty;
		*n = 0;
	} else {
		*p = m->prot;
		*n = m->prot_len;
	}
}

void
kdc_cose_tbs(struct kdc_cw *w, const char *context, const uint8_t *prot,
             size_t prot_len, const uint8_t *ext_aad, size_t ext_aad_len,
             const uint8_t *payload, size_t payload_len, bool with_payload)
{
	kdc_cw_array(w, with_payload ? 4 : 3);
	kdc_cw_tstrz(w, context);
	kdc_cw_bstr(w, prot != NULL ? prot : kdc_cose_empty, prot_len);
	kdc_cw_bstr(w, ext_aad != NULL ? ext_aad : kdc_cose_empty, ext_aad_len);
	if (with_payload)
		kdc_cw_bstr(w, payload != NULL ? payload : kdc_cose_empty,
		            payload_len);
}

bool
kdc_cose_alg_compatible(int64_t key_alg, int64_t msg_alg)
{
	if (key_alg == msg_alg)
		return true;
	if ((key_alg == KDC_ALG_EDDSA && msg_alg == KDC_ALG_ED25519) ||
	    (key_alg == KDC_ALG_ED25519 && msg_alg == KDC_ALG_EDDSA))
		return true;
	if ((key_alg == KDC_ALG_ES256 && msg_alg == KDC_ALG_ESP256) ||
	    (key_alg == KDC_ALG_ESP256 && msg_alg == KDC_ALG_ES256))
		return true;
	return false;
}

void
kdc_cose_prot_encode(struct kdc_cw *w, const struct kdc_cose_create *p)
{
	bool kid = p->kid_protected && p->kid != NULL && p->kid_len > 0;

	kdc_cw_map(w, kid ? 2 : 1);
	kdc_cw_int(w, KDC_HDR_ALG);
	kdc_cw_int(w, p->alg);
	if (kid) {
		kdc_cw_int(w, KDC_HDR_KID);
		kdc_cw_bstr(w, p->kid, p->kid_len);
	}
}

void
kdc_cose_msg_head(struct kdc_cw *w, bool tagged, uint64_t tag, size_t n)
{
	if (tagged)
		kdc_cw_tag(w, tag);
	kdc_cw_array(w, n);
}
