/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gm_auth.c — who is asking: the common request checks of RFC 9594 §4.1.2
 * (valid token → 4.01, scope entry for the group → 4.03) and the requester
 * type of the Group OSCORE permitted-methods table (GO §8.5).
 */
#include "gm.h"

#include "log.h"
#include "rekey.h"

#include <string.h>

int
gm_auth_token(struct ks_req *r, const struct ipc_binding *b, struct ks_token *t,
              struct kdc_scope *scope)
{
	int rc;

	if (!ipc_binding_is_set(b)) {
		/* Not a DTLS session bound to a token (RFC 9594 §4.1.2). */
		ks_reply_coap_error(r, KS_CODE(4, 1), -1,
		                    "no access token bound to this session");
		return -1;
	}
	rc = ks_store_token_by_handle(r->ks->store, b, false, t);
	if (rc == KS_ERR)
		return -2;
	if (rc == KS_NOTFOUND || t->revoked || t->exp <= r->now) {
		ks_reply_coap_error(r, KS_CODE(4, 1), -1,
		                    "access token expired or unknown");
		return -1;
	}
	if (kdc_scope_parse(t->scope, t->scope_len, scope) != KDC_SCOPE_OK) {
		/* The scope was understood when the token was stored. */
		log_err("stored scope of token %lld no longer parses",
		        (long long)t->id);
		return -2;
	}
	return 0;
}

int
gm_auth(struct ks_req *r, const struct ipc_binding *b, const char *group,
        bool need_group, struct gm_ctx *c)
{
	int rc;

	memset(c, 0, sizeof(*c));
	rc = gm_auth_token(r, b, &c->token, &c->scope);
	if (rc != 0)
		return rc;
	if (!need_group)
		return 0;
	rc = ks_store_group_by_name(r->ks->store, group, &c->group);
	if (rc == KS_ERR)
		return -2;
	if (rc == KS_NOTFOUND) {
		ks_reply_coap_error(r, KS_CODE(4, 4), -1, "no such group");
		return -1;
	}
	/* RFC 9594 §4.1.2: the token's scope must name the group; GROUPNAME
	 * equals the group name in this profile (GO REQ7). */
	c->entry = kdc_scope_find(&c->scope, group, strlen(group));
	if (c->entry == NULL) {
		ks_reply_coap_error(r, KS_CODE(4, 3), -1,
		                    "access token does not cover this group");
		return -1;
	}
	rc = ks_store_member_by_token(r->ks->store, c->group.id, c->token.id,
	                              &c->member);
	if (rc == KS_ERR)
		return -2;
	c->is_member = rc == KS_OK;
	if (c->is_member &&
	    gm_member_is_parked(r->ks, c->group.id, c->member.id)) {
		/* Joined, but its material is the next rekey's: nothing may
		 * reach it before (backward security). */
		struct ipc_coap_result res;

		memset(&res, 0, sizeof(res));
		res.code = KS_CODE(5, 3);
		res.content_format = -1;
		res.max_age = 1;
		ks_reply_coap(r, &res);
		return -1;
	}
	if (c->is_member)
		c->type = (c->member.perm & (KDC_PERM_REQ | KDC_PERM_RESP)) != 0
		                  ? GM_T1
		                  : GM_T2;
	else
		c->type =
		        (c->entry->perm & KDC_PERM_VERIF) != 0 ? GM_T3 : GM_T4;
	return 0;
}
