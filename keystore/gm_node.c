/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gm_node.c — /ace-group/G/nodes/NODENAME: GET (RFC 9594 §4.8.1, GO §9.1),
 * POST key renewal (§4.8.2, GO §9.2), DELETE leave (§4.8.3, GO §9.11), and
 * POST .../cred, the credential update (§4.9.1, GO §9.4).
 */
#include "gm.h"
#include "handlers.h"
#include "rekey.h"

#include "crypto.h"
#include "log.h"

#include <string.h>

/* Common checks of §4.8: a current member (4.03 err 0) addressing its own
 * node (4.03). */
static int
node_auth(struct ks_req *r, const struct ipc_binding *b, const char *group,
          const char *node, struct gm_ctx *c)
{
	int rc = gm_auth(r, b, group, true, c);

	if (rc != 0)
		return rc;
	if (!c->is_member) {
		ks_reply_coap_error(r, KS_CODE(4, 3), KDC_ERR_ONLY_MEMBERS,
		                    "operation permitted only to group "
		                    "members");
		return -1;
	}
	if (strcmp(c->member.node, node) != 0) {
		ks_reply_coap_error(r, KS_CODE(4, 3), -1,
		                    "NODENAME is not the requester's");
		return -1;
	}
	return 0;
}

static void
reply_member(struct ks_req *r, uint8_t code, int32_t cf, struct kdc_cw *w,
             const struct gm_ctx *c, uint8_t member_op)
{
	struct ipc_coap_result res;

	memset(&res, 0, sizeof(res));
	res.code = code;
	res.content_format = cf;
	res.max_age = -1;
	if (w != NULL) {
		res.payload.p = w->buf;
		res.payload.n = w->len;
	}
	res.member_op = member_op;
	memcpy(res.group, c->group.cfg.name, sizeof(res.group));
	memcpy(res.node, c->member.node, sizeof(res.node));
	res.perm = c->member.perm;
	res.has_sid = c->member.has_sid;
	res.sid.p = c->member.sid;
	res.sid.n = c->member.sid_len;
	ks_reply_coap(r, &res);
}

static int
node_get(struct ks_req *r, struct gm_ctx *c)
{
	struct kdc_group_material *m = kdc_secure_alloc(sizeof(*m));
	struct kdc_cw w;
	int rc = KS_H_FAIL;

	if (m == NULL || gm_material(r->ks, &c->group, m) != 0)
		goto out;
	if (ks_peer_subscribe(r, &c->group) != 0)
		goto out;
	kdc_cw_init(&w);
	/* group_SenderId inside `key` unless monitor-only (GO §9.1). */
	kdc_gm_encode_key_response(&w, m, c->member.sid, c->member.sid_len,
	                           c->member.has_sid, r->now);
	if (kdc_cw_ok(&w)) {
		reply_member(r, KS_CODE(2, 5), KDC_CF_ACE_GROUPCOMM, &w, c,
		             IPC_MEMBER_SET);
		rc = KS_H_OK;
	}
	kdc_cw_free(&w);
out:
	kdc_secure_free(m);
	return rc;
}

static int
node_renew(struct ks_req *r, struct gm_ctx *c)
{
	struct ks *ks = r->ks;
	uint8_t sid[8];
	size_t sid_len;
	char hex[2 * KDC_SID_MAX + 1];
	struct kdc_cw w;
	int rc;

	if (!c->group.cfg.active) {
		ks_reply_coap_error(r, KS_CODE(5, 3), KDC_ERR_GROUP_INACTIVE,
		                    "the group is not active");
		return KS_H_OK;
	}
	if (!c->member.has_sid) {
		/* A monitor has no individual keying material (GO §9.2). */
		ks_reply_coap_error(r, KS_CODE(4, 0),
		                    KDC_ERR_ROLES_INCONSISTENT,
		                    "a monitor has no Sender ID to renew");
		return KS_H_OK;
	}
	/* GO §9.2: a new Sender ID, never used under the current Gid; the
	 * old one joins the newest stale set.  No group rekey (SHOULD NOT
	 * unless one is due; the scheduler handles due ones). */
	rc = gm_sid_alloc(ks, &c->group, sid, &sid_len);
	if (rc < 0)
		return KS_H_FAIL;
	if (rc == 1) {
		if (ks_store_group_set_counters(ks->store, &c->group) !=
		            KS_OK ||
		    ks_rekey_request(ks, &c->group, KS_REKEY_SID_SPACE) != 0)
			return KS_H_FAIL;
		ks_reply_coap_error(r, KS_CODE(5, 3),
		                    KDC_ERR_NO_INDIVIDUAL_MATERIAL,
		                    "no Sender ID available until the next "
		                    "rekeying");
		return KS_H_OK;
	}
	if (ks_store_stale_add(ks->store, c->group.id, c->group.num,
	                       c->member.sid, c->member.sid_len) != KS_OK)
		return KS_H_FAIL;
	memcpy(c->member.sid, sid, sid_len);
	c->member.sid_len = sid_len;
	c->member.updated_at = r->now;
	if (ks_store_member_update(ks->store, &c->member) != KS_OK ||
	    ks_store_group_set_counters(ks->store, &c->group) != KS_OK)
		return KS_H_FAIL;
	gm_member_push_set(ks, &c->group, &c->member, &c->token.handle);
	ks_audit(r, "renew", c->group.cfg.name, c->member.node, "sid=%s",
	         kdc_hex(hex, sizeof(hex), sid, sid_len));
	log_info("group %s: %s has the new Sender ID %s", c->group.cfg.name,
	         c->member.node, hex);
	kdc_cw_init(&w);
	kdc_cw_map(&w, 1);
	kdc_cw_uint(&w, KDC_GC_GROUP_SENDERID); /* label 21, not 7 */
	kdc_cw_bstr(&w, sid, sid_len);
	if (!kdc_cw_ok(&w)) {
		kdc_cw_free(&w);
		return KS_H_FAIL;
	}
	reply_member(r, KS_CODE(2, 5), KDC_CF_ACE_GROUPCOMM, &w, c,
	             IPC_MEMBER_SET);
	kdc_cw_free(&w);
	return KS_H_OK;
}

static int
node_leave(struct ks_req *r, struct gm_ctx *c)
{
	if (gm_member_remove(r->ks, r->peer->actor, &c->group, &c->member,
	                     &c->token.handle, IPC_REMOVED_LEFT) != 0)
		return KS_H_FAIL;
	reply_member(r, KS_CODE(2, 2), -1, NULL, c, IPC_MEMBER_REMOVED);
	return KS_H_OK;
}

int
ks_h_node(struct ks_req *r)
{
	struct ipc_node q;
	struct gm_ctx c;
	int rc;

	if (ipc_dec_node(r->payload, r->len, &q) != 0)
		return KS_H_MALFORMED;
	rc = node_auth(r, &q.binding, q.group, q.node, &c);
	if (rc != 0)
		return rc == -1 ? KS_H_OK : KS_H_FAIL;
	switch (q.op) {
	case IPC_NODE_GET:
		return node_get(r, &c);
	case IPC_NODE_RENEW:
		return node_renew(r, &c);
	case IPC_NODE_LEAVE:
		return node_leave(r, &c);
	default:
		return KS_H_MALFORMED;
	}
}

/* ---- POST .../nodes/NODENAME/cred ---- */

static int
node_cred(struct ks_req *r, const struct ipc_node_cred *q)
{
	struct ks *ks = r->ks;
	struct gm_ctx c;
	struct kdc_cose_key pub;
	const uint8_t *ns;
	size_t ns_len;
	int rc;

	rc = node_auth(r, &q->binding, q->group, q->node, &c);
	if (rc != 0)
		return rc == -1 ? KS_H_OK : KS_H_FAIL;
	if (!c.group.cfg.active) {
		ks_reply_coap_error(r, KS_CODE(5, 3), KDC_ERR_GROUP_INACTIVE,
		                    "the group is not active");
		return KS_H_OK;
	}
	if (c.member.perm == KDC_PERM_MON) {
		ks_reply_coap_error(r, KS_CODE(4, 0),
		                    KDC_ERR_ROLES_INCONSISTENT,
		                    "a monitor has no credential");
		return KS_H_OK;
	}
	if (!q->has_client_cred || q->client_cred.n == 0 || !q->has_cnonce ||
	    q->cnonce.n == 0 || !q->has_pop) {
		ks_reply_coap_error(r, KS_CODE(4, 0), -1,
		                    "client_cred, cnonce and "
		                    "client_cred_verify are required");
		return KS_H_OK;
	}
	ns = c.token.via == KS_VIA_DTLS ? q->exporter_ns.p : c.token.ns;
	ns_len = c.token.via == KS_VIA_DTLS ? q->exporter_ns.n : c.token.ns_len;
	if (ns_len == 0) {
		/* RFC 9594 §4.9.1: N_S lost → 4.00 with a new one, stored. */
		struct ipc_coap_result res;
		struct kdc_cw w;
		uint8_t nsn[16];

		kdc_random(nsn, sizeof(nsn));
		if (ks_store_token_set_ns(ks->store, c.token.id, nsn,
		                          sizeof(nsn)) != KS_OK)
			return KS_H_FAIL;
		kdc_cw_init(&w);
		kdc_cw_map(&w, 1);
		kdc_cw_uint(&w, KDC_GC_KDCCHALLENGE);
		kdc_cw_bstr(&w, nsn, sizeof(nsn));
		memset(&res, 0, sizeof(res));
		res.code = KS_CODE(4, 0);
		res.content_format = KDC_CF_ACE_GROUPCOMM;
		res.max_age = -1;
		res.payload.p = w.buf;
		res.payload.n = w.len;
		ks_reply_coap(r, &res);
		kdc_cw_free(&w);
		return KS_H_OK;
	}
	if (q->client_cred.n > KS_CRED_MAX ||
	    gm_cred_check(&c.group, q->client_cred.p, q->client_cred.n, &pub) !=
	            0) {
		ks_reply_coap_error(r, KS_CODE(4, 0), KDC_ERR_CRED_INCOMPATIBLE,
		                    "credential not usable in this group");
		return KS_H_OK;
	}
	/* An empty PoP is never acceptable here (GO §9.4). */
	if (q->pop.n == 0 ||
	    gm_pop_verify(ks, &c.group, &pub, c.member.join_scope,
	                  c.member.join_scope_len, ns, ns_len, q->cnonce.p,
	                  q->cnonce.n, q->pop.p, q->pop.n) != 0) {
		ks_reply_coap_error(r, KS_CODE(4, 0), KDC_ERR_INVALID_POP,
		                    "proof-of-possession evidence does not "
		                    "verify");
		return KS_H_OK;
	}
	memcpy(c.member.cred, q->client_cred.p, q->client_cred.n);
	c.member.cred_len = q->client_cred.n;
	c.member.cred_pop = true;
	c.member.updated_at = r->now;
	if (ks_store_member_update(ks->store, &c.member) != KS_OK)
		return KS_H_FAIL;
	ks_audit(r, "cred-update", c.group.cfg.name, c.member.node, "%s",
	         "new credential");
	log_info("group %s: %s uploaded a new credential", c.group.cfg.name,
	         c.member.node);
	reply_member(r, KS_CODE(2, 4), -1, NULL, &c, IPC_MEMBER_SET);
	return KS_H_OK;
}

int
ks_h_node_cred(struct ks_req *r)
{
	struct ipc_node_cred q;

	if (ipc_dec_node_cred(r->payload, r->len, &q) != 0)
		return KS_H_MALFORMED;
	return node_cred(r, &q);
}
