/* SPDX-License-Identifier: Apache-2.0 */
/*
 * roles.c — the scope of a token from the command line: group names and
 * Group OSCORE roles (group-oscore-profile §3, IANA "Group OSCORE Roles")
 * into an AIF scope (RFC 9594 §3.1).
 */
#include "token.h"

#include "tools_util.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const struct {
	const char *name;
	uint64_t perm;
} role_names[] = {
        {"requester", KDC_PERM_REQ},
        {"responder", KDC_PERM_RESP},
        {"monitor", KDC_PERM_MON},
        {"verifier", KDC_PERM_VERIF},
};

int
tok_parse_roles(const char *s, uint64_t *perm)
{
	uint64_t p = 0;

	if (s == NULL || *s == '\0')
		return -1;
	if (*s >= '0' && *s <= '9') {
		if (tl_parse_u64(s, UINT64_MAX, &p) != 0 || p == 0)
			return -1;
		*perm = p;
		return 0;
	}
	while (*s != '\0') {
		size_t len = strcspn(s, "+");
		bool found = false;

		for (size_t i = 0;
		     i < sizeof(role_names) / sizeof(role_names[0]); i++) {
			if (strlen(role_names[i].name) == len &&
			    strncasecmp(role_names[i].name, s, len) == 0) {
				p |= role_names[i].perm;
				found = true;
			}
		}
		if (!found)
			return -1;
		s += len;
		if (*s == '+' && *++s == '\0')
			return -1; /* trailing '+' */
	}
	*perm = p;
	return 0;
}

int
tok_parse_scope(const char *spec, struct kdc_scope *out, char *err,
                size_t errlen)
{
	const char *s = spec;

	memset(out, 0, sizeof(*out));
	if (spec == NULL || *spec == '\0') {
		snprintf(err, errlen, "empty scope");
		return -1;
	}
	while (*s != '\0') {
		size_t len = strcspn(s, ","), glen;
		const char *colon = memchr(s, ':', len);
		struct kdc_scope_entry *e;
		char roles[128];

		if (colon == NULL) {
			snprintf(err, errlen, "scope entry '%.*s': GROUP:ROLES",
			         (int)len, s);
			return -1;
		}
		glen = (size_t)(colon - s);
		if (!kdc_gname_valid(s, glen)) {
			snprintf(err, errlen,
			         "scope entry '%.*s': bad group "
			         "name",
			         (int)len, s);
			return -1;
		}
		if (out->n >= KDC_SCOPE_MAX_ENTRIES) {
			snprintf(err, errlen, "more than %d scope entries",
			         KDC_SCOPE_MAX_ENTRIES);
			return -1;
		}
		if (len - glen - 1 >= sizeof(roles)) {
			snprintf(err, errlen, "scope entry too long");
			return -1;
		}
		memcpy(roles, colon + 1, len - glen - 1);
		roles[len - glen - 1] = '\0';
		e = &out->e[out->n];
		if (tok_parse_roles(roles, &e->perm) != 0) {
			snprintf(err, errlen,
			         "scope entry '%.*s': roles are requester, "
			         "responder, monitor, verifier joined by '+', "
			         "or "
			         "a number",
			         (int)len, s);
			return -1;
		}
		memcpy(e->gname, s, glen);
		e->gname[glen] = '\0';
		e->gname_len = glen;
		out->n++;
		s += len;
		if (*s == ',' && *++s == '\0') {
			snprintf(err, errlen, "scope ends with ','");
			return -1;
		}
	}
	return 0;
}
