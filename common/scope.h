/* SPDX-License-Identifier: Apache-2.0 */
/*
 * scope.h — scopes for group communication (RFC 9594 §3.1, §7) with the
 * Group OSCORE roles (AIF-OSCORE-GROUPCOMM, group-oscore-profile §3).
 *
 * A scope is a byte string wrapping a CBOR array of scope entries, either
 *   AIF:     [* [gname: tstr, perm: uint bitmap of roles]]
 *   textual: [* [gname: tstr, ? (role / [2*role])]]
 * optionally wrapped in a CBOR tag (the extended scope format).  The Join
 * Request's `scope` parameter instead wraps ONE scope entry.
 */
#ifndef KDC_SCOPE_H
#define KDC_SCOPE_H

#include "cbor_out.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Group OSCORE roles (IANA "Group OSCORE Roles"): bit (1 << role). */
enum {
	KDC_ROLE_REQUESTER = 1,
	KDC_ROLE_RESPONDER = 2,
	KDC_ROLE_MONITOR = 3,
	KDC_ROLE_VERIFIER = 4,
};
#define KDC_PERM(role) (UINT64_C(1) << (role))
#define KDC_PERM_REQ   KDC_PERM(KDC_ROLE_REQUESTER) /* 2 */
#define KDC_PERM_RESP  KDC_PERM(KDC_ROLE_RESPONDER) /* 4 */
#define KDC_PERM_MON   KDC_PERM(KDC_ROLE_MONITOR)   /* 8 */
#define KDC_PERM_VERIF KDC_PERM(KDC_ROLE_VERIFIER)  /* 16 */
/* Bit 0 marks an admin scope entry of draft-ietf-ace-oscore-gm-admin. */
#define KDC_PERM_ADMIN UINT64_C(1)

/* CF 297 application/aif+cbor;toid=oscore-gname;tperm=oscore-gperm and its
 * RFC 9277 tag TN(297) = 1668547115 (RFC 9594 §7). */
#define KDC_SCOPE_CF_AIF_OSCORE  297
#define KDC_SCOPE_TAG_AIF_OSCORE UINT64_C(1668547115)
/* TN(ct) of RFC 9277 (ct < 65025). */
uint64_t kdc_scope_tag_for_cf(uint32_t ct);

#define KDC_GNAME_MAX         128
#define KDC_SCOPE_MAX_ENTRIES 64

struct kdc_scope_entry {
	char gname[KDC_GNAME_MAX + 1]; /* NUL-terminated, valid UTF-8 */
	size_t gname_len;
	uint64_t perm; /* role bitmap; textual roles are mapped to bits */
};

struct kdc_scope {
	struct kdc_scope_entry e[KDC_SCOPE_MAX_ENTRIES];
	size_t n;
	bool textual;
};

enum kdc_scope_err {
	KDC_SCOPE_OK = 0,
	KDC_SCOPE_E_CBOR = -1,   /* content is not well-formed CBOR */
	KDC_SCOPE_E_FORMAT = -2, /* not an array of entries / bad entry */
	KDC_SCOPE_E_ROLE = -3,   /* unknown role name or value */
	KDC_SCOPE_E_TOO_MANY = -4,
	KDC_SCOPE_E_NAME = -5, /* group name empty, too long or unusable
	                          as a URI path segment */
	KDC_SCOPE_E_TAG = -6,  /* extended scope with an unknown tag */
};
const char *kdc_scope_strerror(int err);

/* Parse the content of a token scope (array of entries).  Both AIF and the
 * textual form are accepted (textual roles "requester", "responder",
 * "monitor", "verifier"); a mix of forms in one scope is rejected. */
int kdc_scope_parse(const uint8_t *p, size_t n, struct kdc_scope *out);
/* Parse the content of a Join Request scope (ONE entry). */
int kdc_scope_parse_entry(const uint8_t *p, size_t n,
                          struct kdc_scope_entry *out);
/* Accept a tag found on a token's scope claim: 0 (untagged) or the tag of
 * CF 297 (RFC 9594 §7 / group-oscore-profile §3). */
int kdc_scope_check_tag(uint64_t tag);

/* Role entry for a group, or NULL.  Admin entries (perm bit 0) are never
 * returned: their other bits are admin permissions, not roles.  A scope
 * holds at most one role entry and one admin entry per group name. */
const struct kdc_scope_entry *kdc_scope_find(const struct kdc_scope *s,
                                             const char *gname, size_t len);

/* True if name can be a GROUPNAME path segment (RFC 3986 segment-nz,
 * unreserved characters only, 1..KDC_GNAME_MAX bytes). */
bool kdc_gname_valid(const char *name, size_t len);

/* Join role sets allowed by the profile: Requester, Responder, both, or
 * Monitor alone (Tperm 2, 4, 6, 8). {Req,Mon}=10, {Resp,Mon}=12 and any
 * set with Verifier or the admin bit are not joinable. */
bool kdc_roles_joinable(uint64_t perm);

/* Encoders (AIF form). */
void kdc_scope_encode(struct kdc_cw *w, const struct kdc_scope *s);
void kdc_scope_encode_entry(struct kdc_cw *w, const char *gname, uint64_t perm);

#endif
