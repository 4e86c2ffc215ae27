/* SPDX-License-Identifier: Apache-2.0 */
/*
 * scope.c — parsing and encoding of scopes (see scope.h).
 *
 * RFC 9594 §3.1: a scope is an array of entries, all either AIF
 * [gname, perm] (RFC 9237) or textual [gname, ? (role / [2*role])].
 * Group OSCORE (group-oscore-profile §1) uses AIF-OSCORE-GROUPCOMM with
 * perm = OR of (1 << role), roles 1..4; bit 0 marks an admin entry of
 * draft-ietf-ace-oscore-gm-admin.  The profile has no default role, so a
 * textual entry without a role element cannot be mapped to roles.
 */
#include "scope.h"

#include "cbor_in.h"

#include <string.h>

/* Role bits this KDC knows: admin bit 0 and roles 1..4. */
#define PERM_KNOWN                                                             \
	(KDC_PERM_ADMIN | KDC_PERM_REQ | KDC_PERM_RESP | KDC_PERM_MON |        \
	 KDC_PERM_VERIF)

/* A scope is small: at most KDC_SCOPE_MAX_ENTRIES entries of a name of at
 * most 128 bytes and a few roles.  Depth 3: scope array, entry, textual role
 * array. */
static const struct kdc_cbor_limits scope_limits = {
        .max_size = 16384,
        .max_depth = 3,
        .max_items = 1024,
};

const char *
kdc_scope_strerror(int err)
{
	switch (err) {
	case KDC_SCOPE_OK:
		return "ok";
	case KDC_SCOPE_E_CBOR:
		return "scope is not well-formed CBOR";
	case KDC_SCOPE_E_FORMAT:
		return "malformed scope entry";
	case KDC_SCOPE_E_ROLE:
		return "unknown or missing role";
	case KDC_SCOPE_E_TOO_MANY:
		return "too many scope entries";
	case KDC_SCOPE_E_NAME:
		return "invalid group name";
	case KDC_SCOPE_E_TAG:
		return "unknown extended scope tag";
	default:
		return "unknown scope error";
	}
}

uint64_t
kdc_scope_tag_for_cf(uint32_t ct)
{
	/* RFC 9277 §4.3: defined for ct < 65025 only. */
	if (ct >= 65025)
		return 0;
	return UINT64_C(0x63740101) + (uint64_t)(ct / 255) * 256 + ct % 255;
}

int
kdc_scope_check_tag(uint64_t tag)
{
	/* RFC 9594 §7: untagged, or the tag of CF 297 (the profile's AIF). */
	if (tag == 0 || tag == KDC_SCOPE_TAG_AIF_OSCORE)
		return KDC_SCOPE_OK;
	return KDC_SCOPE_E_TAG;
}

bool
kdc_gname_valid(const char *name, size_t len)
{
	size_t i;

	if (name == NULL || len == 0 || len > KDC_GNAME_MAX)
		return false;
	/* RFC 3986 §3.3: "." and ".." are dot-segments, not names. */
	if ((len == 1 && name[0] == '.') ||
	    (len == 2 && name[0] == '.' && name[1] == '.'))
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		/* RFC 3986 §2.3 unreserved = ALPHA / DIGIT / - . _ ~ */
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		      c == '_' || c == '~'))
			return false;
	}
	return true;
}

bool
kdc_roles_joinable(uint64_t perm)
{
	/* group-oscore-profile §1: Requester, Responder, both, or Monitor;
	 * {Req,Mon} and {Resp,Mon} are invalid, Verifier cannot join. */
	return perm == KDC_PERM_REQ || perm == KDC_PERM_RESP ||
	       perm == (KDC_PERM_REQ | KDC_PERM_RESP) || perm == KDC_PERM_MON;
}

static int
role_bit(const cbor_item_t *it, uint64_t *bit)
{
	static const struct {
		const char *name;
		uint64_t bit;
	} roles[] = {
	        {"requester", KDC_PERM_REQ},
	        {"responder", KDC_PERM_RESP},
	        {"monitor", KDC_PERM_MON},
	        {"verifier", KDC_PERM_VERIF},
	};
	const char *p;
	size_t n, i;

	if (!kdc_cbor_get_tstr(it, &p, &n))
		return KDC_SCOPE_E_FORMAT;
	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		if (strlen(roles[i].name) == n &&
		    memcmp(roles[i].name, p, n) == 0) {
			*bit = roles[i].bit;
			return KDC_SCOPE_OK;
		}
	}
	return KDC_SCOPE_E_ROLE;
}

/* One entry; *textual reports its form. */
static int
parse_entry(const cbor_item_t *it, struct kdc_scope_entry *out, bool *textual)
{
	const cbor_item_t *name, *r;
	const char *gp;
	size_t gn, len = kdc_cbor_array_len(it), i, nroles;
	uint64_t perm = 0, bit;
	int rc;

	if (!cbor_isa_array(it) || len < 1 || len > 2)
		return KDC_SCOPE_E_FORMAT;
	name = kdc_cbor_array_at(it, 0);
	if (!kdc_cbor_get_tstr(name, &gp, &gn))
		return KDC_SCOPE_E_FORMAT;
	if (!kdc_gname_valid(gp, gn))
		return KDC_SCOPE_E_NAME;
	memcpy(out->gname, gp, gn);
	out->gname[gn] = '\0';
	out->gname_len = gn;

	if (len == 1) {
		/* Textual entry without roles: no default role in Group
		 * OSCORE, so the roles cannot be determined. */
		*textual = true;
		return KDC_SCOPE_E_ROLE;
	}
	r = kdc_cbor_array_at(it, 1);
	if (kdc_cbor_get_uint(r, &perm)) {
		/* AIF */
		*textual = false;
		if (perm == 0 || (perm & ~PERM_KNOWN) != 0)
			return KDC_SCOPE_E_ROLE;
		out->perm = perm;
		return KDC_SCOPE_OK;
	}
	*textual = true;
	if (cbor_isa_string(r)) {
		if ((rc = role_bit(r, &perm)) != KDC_SCOPE_OK)
			return rc;
		out->perm = perm;
		return KDC_SCOPE_OK;
	}
	if (!cbor_isa_array(r))
		return KDC_SCOPE_E_FORMAT;
	nroles = kdc_cbor_array_len(r);
	if (nroles < 2) /* [2*role] */
		return KDC_SCOPE_E_FORMAT;
	for (i = 0; i < nroles; i++) {
		if ((rc = role_bit(kdc_cbor_array_at(r, i), &bit)) !=
		    KDC_SCOPE_OK)
			return rc;
		perm |= bit;
	}
	out->perm = perm;
	return KDC_SCOPE_OK;
}

static int
decode(const uint8_t *p, size_t n, cbor_item_t **root)
{
	if (p == NULL && n > 0)
		return KDC_SCOPE_E_CBOR;
	return kdc_cbor_decode(p, n, &scope_limits, root) == KDC_CBOR_OK
	               ? KDC_SCOPE_OK
	               : KDC_SCOPE_E_CBOR;
}

int
kdc_scope_parse(const uint8_t *p, size_t n, struct kdc_scope *out)
{
	cbor_item_t *root;
	size_t cnt, i, j;
	bool textual = false, t;
	int rc;

	if (out == NULL)
		return KDC_SCOPE_E_FORMAT;
	memset(out, 0, sizeof(*out));
	if ((rc = decode(p, n, &root)) != KDC_SCOPE_OK)
		return rc;
	if (!cbor_isa_array(root)) {
		rc = KDC_SCOPE_E_FORMAT;
		goto out;
	}
	cnt = kdc_cbor_array_len(root);
	if (cnt > KDC_SCOPE_MAX_ENTRIES) {
		rc = KDC_SCOPE_E_TOO_MANY;
		goto out;
	}
	for (i = 0; i < cnt; i++) {
		struct kdc_scope_entry *e = &out->e[i];

		rc = parse_entry(kdc_cbor_array_at(root, i), e, &t);
		if (rc != KDC_SCOPE_OK)
			goto out;
		if (i > 0 && t != textual) {
			/* RFC 9594 §3.1: all entries use one format. */
			rc = KDC_SCOPE_E_FORMAT;
			goto out;
		}
		textual = t;
		/* One entry per group and kind: a second one would make the
		 * granted roles ambiguous. */
		for (j = 0; j < i; j++) {
			if (out->e[j].gname_len == e->gname_len &&
			    memcmp(out->e[j].gname, e->gname, e->gname_len) ==
			            0 &&
			    ((out->e[j].perm ^ e->perm) & KDC_PERM_ADMIN) ==
			            0) {
				rc = KDC_SCOPE_E_FORMAT;
				goto out;
			}
		}
	}
	out->n = cnt;
	out->textual = textual;
	rc = KDC_SCOPE_OK;
out:
	if (rc != KDC_SCOPE_OK)
		memset(out, 0, sizeof(*out));
	cbor_decref(&root);
	return rc;
}

int
kdc_scope_parse_entry(const uint8_t *p, size_t n, struct kdc_scope_entry *out)
{
	cbor_item_t *root;
	bool textual;
	int rc;

	if (out == NULL)
		return KDC_SCOPE_E_FORMAT;
	memset(out, 0, sizeof(*out));
	if ((rc = decode(p, n, &root)) != KDC_SCOPE_OK)
		return rc;
	rc = parse_entry(root, out, &textual);
	if (rc != KDC_SCOPE_OK)
		memset(out, 0, sizeof(*out));
	cbor_decref(&root);
	return rc;
}

const struct kdc_scope_entry *
kdc_scope_find(const struct kdc_scope *s, const char *gname, size_t len)
{
	size_t i;

	if (s == NULL || gname == NULL)
		return NULL;
	for (i = 0; i < s->n && i < KDC_SCOPE_MAX_ENTRIES; i++) {
		const struct kdc_scope_entry *e = &s->e[i];

		/* Admin entries (bit 0) carry admin permissions in bits 1..4,
		 * not roles: they never grant membership. */
		if (e->perm & KDC_PERM_ADMIN)
			continue;
		if (e->gname_len == len && memcmp(e->gname, gname, len) == 0)
			return e;
	}
	return NULL;
}

void
kdc_scope_encode_entry(struct kdc_cw *w, const char *gname, uint64_t perm)
{
	kdc_cw_array(w, 2);
	kdc_cw_tstrz(w, gname);
	kdc_cw_uint(w, perm);
}

void
kdc_scope_encode(struct kdc_cw *w, const struct kdc_scope *s)
{
	size_t i;

	if (s == NULL || s->n > KDC_SCOPE_MAX_ENTRIES) {
		w->failed = true;
		return;
	}
	kdc_cw_array(w, s->n);
	for (i = 0; i < s->n; i++) {
		kdc_cw_array(w, 2);
		kdc_cw_tstr(w, s->e[i].gname, s->e[i].gname_len);
		kdc_cw_uint(w, s->e[i].perm);
	}
}
