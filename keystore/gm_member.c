/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gm_member.c — membership changes that other parts react to: removal
 * (RFC 9594 §5, GO §10), the pushes that keep frontend caches exact, and
 * the memberships of a token that expires, is revoked or is replaced by a
 * narrower one (digest P14).
 */
#include "gm.h"

#include "log.h"
#include "rekey.h"

#include <stdlib.h>
#include <string.h>

static const char *
removal_action(uint8_t reason)
{
	switch (reason) {
	case IPC_REMOVED_LEFT:
		return "leave";
	case IPC_REMOVED_EVICTED:
		return "evict";
	case IPC_REMOVED_TOKEN:
		return "evict-token";
	case IPC_REMOVED_GROUP_DELETED:
		return "evict-group-deleted";
	case IPC_REMOVED_ELDER:
		return "evict-elder";
	default:
		return "remove";
	}
}

bool
gm_member_is_parked(struct ks *ks, int64_t group_id, int64_t member_id)
{
	struct ks_group_rt *rt = ks_group_rt(ks, group_id, false);

	if (rt == NULL)
		return false;
	for (struct ks_parked_join *p = rt->parked; p != NULL; p = p->next)
		if (p->member_id == member_id)
			return true;
	return false;
}

static void
push_member(struct ks *ks, const struct ks_group *g, const struct ks_member *m,
            const struct ipc_binding *b, uint8_t op, uint8_t reason)
{
	struct ipc_member_msg msg;
	struct ipc_wbuf w;

	memset(&msg, 0, sizeof(msg));
	msg.op = op;
	msg.reason = reason;
	if (b != NULL)
		msg.binding = *b;
	memcpy(msg.group, g->cfg.name, sizeof(msg.group));
	memcpy(msg.node, m->node, sizeof(msg.node));
	msg.perm = m->perm;
	msg.has_sid = m->has_sid;
	msg.sid.p = m->sid;
	msg.sid.n = m->sid_len;
	ipc_wbuf_init(&w);
	if (ipc_enc_member_msg(&w, &msg) == 0)
		ks_push_subscribers(ks, g->id, IPC_MSG_PUSH_MEMBER, &w);
	ipc_wbuf_free(&w);
}

void
gm_member_push_set(struct ks *ks, const struct ks_group *g,
                   const struct ks_member *m, const struct ipc_binding *b)
{
	push_member(ks, g, m, b, IPC_MEMBER_SET, 0);
}

int
gm_member_remove(struct ks *ks, const char *actor, struct ks_group *g,
                 const struct ks_member *m, const struct ipc_binding *b,
                 uint8_t reason)
{
	char sidhex[2 * KDC_SID_MAX + 1];

	if (ks_store_member_remove(ks->store, m->id) != KS_OK)
		return -1;
	/* GO §10: the Sender ID is freed but quarantined until a new Gid:
	 * it goes into the stale set of the current version. */
	if (m->has_sid && ks_store_stale_add(ks->store, g->id, g->num, m->sid,
	                                     m->sid_len) != KS_OK)
		return -1;
	/* Frontends end the member's observations: 4.04 with error 5 on
	 * nodes/NODENAME for forced removals, and drop it as an observer
	 * of the group resource (RFC 9594 §5 steps 3-5). */
	push_member(ks, g, m, b, IPC_MEMBER_REMOVED, reason);
	if (reason != IPC_REMOVED_LEFT && m->control_uri[0] != '\0' &&
	    b != NULL) {
		/* Forced eviction notice to the control URI (RFC 9594 §5). */
		struct ipc_control c;
		struct ipc_wbuf w;

		memset(&c, 0, sizeof(c));
		c.binding = *b;
		c.uri.p = (const uint8_t *)m->control_uri;
		c.uri.n = strlen(m->control_uri);
		c.method = 4; /* DELETE */
		c.content_format = -1;
		ipc_wbuf_init(&w);
		if (ipc_enc_control(&w, &c) == 0)
			ks_push_frontends(ks, IPC_MSG_PUSH_CONTROL, &w);
		ipc_wbuf_free(&w);
	}
	ks_store_audit(
	        ks->store, actor, removal_action(reason), g->cfg.name, m->node,
	        "sid=%s",
	        m->has_sid ? kdc_hex(sidhex, sizeof(sidhex), m->sid, m->sid_len)
	                   : "-");
	log_info("group %s: member %s removed (%s)", g->cfg.name, m->node,
	         removal_action(reason));
	/* Forward security (RFC 9594 §5 step 6, GO §10). */
	if (g->cfg.rekey_on_leave && reason != IPC_REMOVED_GROUP_DELETED &&
	    reason != IPC_REMOVED_ELDER)
		return ks_rekey_request(ks, g, KS_REKEY_LEAVE);
	return 0;
}

struct collect {
	struct ks_member *v;
	size_t n, cap;
	bool failed;
};

static int
collect_cb(void *arg, const struct ks_member *m)
{
	struct collect *c = arg;

	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 8;
		struct ks_member *v = realloc(c->v, cap * sizeof(*v));

		if (v == NULL) {
			c->failed = true;
			return 1;
		}
		c->v = v;
		c->cap = cap;
	}
	c->v[c->n++] = *m;
	return 0;
}

int
gm_token_memberships_drop(struct ks *ks, const char *actor,
                          const struct ks_token *t,
                          const struct kdc_scope *keep, uint8_t reason)
{
	struct collect c = {0};
	int rc = 0;

	if (ks_store_member_by_token_all(ks->store, t->id, collect_cb, &c) !=
	            KS_OK ||
	    c.failed) {
		free(c.v);
		return -1;
	}
	for (size_t i = 0; i < c.n && rc == 0; i++) {
		struct ks_group g;

		if (ks_store_group_by_id(ks->store, c.v[i].group_id, &g) !=
		    KS_OK) {
			rc = -1;
			break;
		}
		if (keep != NULL) {
			const struct kdc_scope_entry *e = kdc_scope_find(
			        keep, g.cfg.name, strlen(g.cfg.name));

			/* Still covered: the new token keeps it. */
			if (e != NULL && (c.v[i].perm & ~e->perm) == 0)
				continue;
		}
		rc = gm_member_remove(ks, actor, &g, &c.v[i], &t->handle,
		                      reason);
	}
	free(c.v);
	return rc;
}
