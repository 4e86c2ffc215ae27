/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target for scope parsing (kdc_scope_parse, _parse_entry).
 *
 * Properties: a parsed scope has valid names and known role bits, and
 * encoding it (AIF form) parses back to the same entries.
 */
#include "scope.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_entry(const struct kdc_scope_entry *e)
{
	if (!kdc_gname_valid(e->gname, e->gname_len) ||
	    strlen(e->gname) != e->gname_len || e->perm == 0 ||
	    (e->perm & ~UINT64_C(0x1f)) != 0)
		abort();
	if (kdc_roles_joinable(e->perm) &&
	    (e->perm & (KDC_PERM_ADMIN | KDC_PERM_VERIF)) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct kdc_scope s, s2;
	struct kdc_scope_entry e, e2;
	struct kdc_cw w;
	size_t i;

	if (kdc_scope_parse(data, size, &s) == KDC_SCOPE_OK) {
		if (s.n > KDC_SCOPE_MAX_ENTRIES)
			abort();
		for (i = 0; i < s.n; i++) {
			check_entry(&s.e[i]);
			if (!(s.e[i].perm & KDC_PERM_ADMIN) &&
			    kdc_scope_find(&s, s.e[i].gname,
			                   s.e[i].gname_len) != &s.e[i])
				abort();
		}
		kdc_cw_init(&w);
		kdc_scope_encode(&w, &s);
		if (!kdc_cw_ok(&w) ||
		    kdc_scope_parse(w.buf, w.len, &s2) != KDC_SCOPE_OK ||
		    s2.n != s.n || s2.textual)
			abort();
		for (i = 0; i < s.n; i++)
			if (s2.e[i].perm != s.e[i].perm ||
			    strcmp(s2.e[i].gname, s.e[i].gname) != 0)
				abort();
		kdc_cw_free(&w);
	} else if (s.n != 0) {
		abort();
	}

	if (kdc_scope_parse_entry(data, size, &e) == KDC_SCOPE_OK) {
		check_entry(&e);
		kdc_cw_init(&w);
		kdc_scope_encode_entry(&w, e.gname, e.perm);
		if (!kdc_cw_ok(&w) ||
		    kdc_scope_parse_entry(w.buf, w.len, &e2) != KDC_SCOPE_OK ||
		    e2.perm != e.perm || strcmp(e2.gname, e.gname) != 0)
			abort();
		kdc_cw_free(&w);
	}

	/* the raw bytes as a group name */
	if (kdc_gname_valid((const char *)data, size) &&
	    (size == 0 || size > KDC_GNAME_MAX))
		abort();
	return 0;
}
