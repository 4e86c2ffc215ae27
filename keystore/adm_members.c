/* SPDX-License-Identifier: Apache-2.0 */
/*
 * adm_members.c — members seen by the operator: list, show, and eviction
 * (RFC 9594 §5 forced removal: the member's observations end, its control
 * URI is told, and the group is rekeyed per its forward-security policy).
 */
#include "adm.h"

#include "gm.h"
#include "log.h"
#include "rekey.h"

#include <stdio.h>
#include <string.h>

int
ks_h_adm_member_list(struct ks_req *r)
{
	struct ipc_adm_target t;
	struct ipc_tab_builder tb;
	struct ks_group g;
	int64_t total = 0;
	char note[96];
	int rc;

	if (ipc_dec_adm_target(r->payload, r->len, &t) != 0)
		return KS_H_MALFORMED;
	rc = adm_group(r, t.group, &g);
	if (rc != 0)
		return rc > 0 ? KS_H_OK : KS_H_FAIL;
	if (ks_store_member_count(r->ks->store, g.id, &total) != KS_OK)
		return KS_H_FAIL;
	ipc_tab_init(&tb);
	if (adm_members_table(r->ks, &g, total, &tb, note, sizeof(note)) != 0) {
		ipc_tab_free(&tb);
		return KS_H_FAIL;
	}
	ks_reply_adm(r, &tb, IPC_ADM_OK, note[0] != '\0' ? note : NULL);
	return KS_H_OK;
}

/* Load the member t->node of group g: 0 found, 1 answered, -1 internal. */
static int
load_member(struct ks_req *r, const struct ipc_adm_target *t,
            const struct ks_group *g, struct ks_member *m)
{
	int rc;

	if (t->node[0] == '\0') {
		adm_error(r, IPC_ADM_E_USAGE, "no node name given");
		return 1;
	}
	rc = ks_store_member_by_node(r->ks->store, g->id, t->node, m);
	if (rc == KS_NOTFOUND) {
		adm_error(r, IPC_ADM_E_NOT_FOUND, "group %s has no member %s",
		          g->cfg.name, t->node);
		return 1;
	}
	return rc == KS_OK ? 0 : -1;
}

int
ks_h_adm_member_show(struct ks_req *r)
{
	static const char *const cols[] = {
	        "node",  "perm",      "roles",       "sid",
	        "cred",  "cred_pop",  "control_uri", "birth_gid",
	        "token", "joined_at", "updated_at",  "parked"};
	struct ipc_adm_target t;
	struct ipc_tab_builder tb;
	struct ks_group g;
	struct ks_member m;
	char roles[64];
	int rc;

	if (ipc_dec_adm_target(r->payload, r->len, &t) != 0)
		return KS_H_MALFORMED;
	rc = adm_group(r, t.group, &g);
	if (rc == 0)
		rc = load_member(r, &t, &g, &m);
	if (rc != 0)
		return rc > 0 ? KS_H_OK : KS_H_FAIL;
	ipc_tab_init(&tb);
	ipc_tab_begin(&tb, "member", cols, sizeof(cols) / sizeof(cols[0]));
	ipc_tab_textz(&tb, m.node);
	ipc_tab_int(&tb, (int64_t)m.perm);
	ipc_tab_textz(&tb, adm_roles(m.perm, roles, sizeof(roles)));
	if (m.has_sid)
		ipc_tab_bytes(&tb, m.sid, m.sid_len);
	else
		ipc_tab_null(&tb);
	/* The credential is public (a CCS with the public key). */
	if (m.cred_len > 0)
		ipc_tab_bytes(&tb, m.cred, m.cred_len);
	else
		ipc_tab_null(&tb);
	ipc_tab_bool(&tb, m.cred_pop);
	if (m.control_uri[0] != '\0')
		ipc_tab_textz(&tb, m.control_uri);
	else
		ipc_tab_null(&tb);
	if (m.birth_gid_len > 0)
		ipc_tab_bytes(&tb, m.birth_gid, m.birth_gid_len);
	else
		ipc_tab_null(&tb);
	ipc_tab_int(&tb, m.token_id);
	ipc_tab_int(&tb, m.joined_at);
	ipc_tab_int(&tb, m.updated_at);
	ipc_tab_bool(&tb, gm_member_is_parked(r->ks, g.id, m.id));
	ks_reply_adm(r, &tb, IPC_ADM_OK, NULL);
	return KS_H_OK;
}

int
ks_h_adm_member_evict(struct ks_req *r)
{
	static const char *const cols[] = {"group", "node", "sid",
	                                   "rekey_pending"};
	struct ipc_adm_target t;
	struct ipc_tab_builder tb;
	struct ks_group g;
	struct ks_member m;
	struct ks_token tok;
	bool has_t;
	int rc;

	if (ipc_dec_adm_target(r->payload, r->len, &t) != 0)
		return KS_H_MALFORMED;
	rc = adm_group(r, t.group, &g);
	if (rc == 0)
		rc = load_member(r, &t, &g, &m);
	if (rc != 0)
		return rc > 0 ? KS_H_OK : KS_H_FAIL;
	has_t = ks_store_token_by_id(r->ks->store, m.token_id, false, &tok) ==
	        KS_OK;
	/* Audited, pushed and rekeyed (forward security) by the removal. */
	if (gm_member_remove(r->ks, r->peer->actor, &g, &m,
	                     has_t ? &tok.handle : NULL,
	                     IPC_REMOVED_EVICTED) != 0)
		return KS_H_FAIL;
	log_notice("group %s: member %s evicted by %s", g.cfg.name, m.node,
	           r->peer->actor);
	ipc_tab_init(&tb);
	ipc_tab_begin(&tb, "evicted", cols, 4);
	ipc_tab_textz(&tb, g.cfg.name);
	ipc_tab_textz(&tb, m.node);
	if (m.has_sid)
		ipc_tab_bytes(&tb, m.sid, m.sid_len);
	else
		ipc_tab_null(&tb);
	ipc_tab_bool(&tb, (g.rekey_pending & KS_REKEY_LEAVE) != 0);
	ks_reply_adm(r, &tb, IPC_ADM_OK, NULL);
	return KS_H_OK;
}
