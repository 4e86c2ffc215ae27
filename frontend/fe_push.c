/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fe_push.c — the keystore connection: coming up (the group list), going
 * down (caches dropped, observations ended with 5.03), and the pushes
 * (one handler per type, like a dispatch table per peer in OpenBSD's
 * privsep daemons), which keep caches exact and drive Observe.
 */
#include "fe.h"
#include "fe_obs.h"

#include "crypto.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

static void
on_group_list(void *arg, int st, const struct ipc_hdr *h,
              const uint8_t *payload)
{
	struct fe *fe = arg;
	struct ipc_group_list_result res;

	if (st != IPC_OK || h->type != IPC_MSG_GROUP_LIST_RESULT ||
	    ipc_dec_group_list_result(payload, h->len, &res) != 0) {
		log_warn("could not read the group list from the keystore");
		return;
	}
	/* Groups gone while we were disconnected disappear; new ones get
	 * their resources. */
	for (struct fe_group *g = fe->groups; g != NULL; g = g->next) {
		bool found = false;

		for (uint32_t i = 0; i < res.n && !found; i++)
			found = res.names[i].n == strlen(g->name) &&
			        memcmp(res.names[i].p, g->name,
			               res.names[i].n) == 0;
		if (!found && !g->deleted)
			fe_group_delete(fe, g);
	}
	for (uint32_t i = 0; i < res.n; i++) {
		char name[KDC_GNAME_MAX + 1];

		if (res.names[i].n >= sizeof(name))
			continue;
		memcpy(name, res.names[i].p, res.names[i].n);
		name[res.names[i].n] = '\0';
		fe_group_add(fe, name);
	}
	free(res.names);
	fe_kick(fe);
}

void
fe_on_up(void *arg, const char *software, uint64_t instance)
{
	struct fe *fe = arg;

	fe->ks_up = true;
	log_notice("connected to the keystore (%s, instance %016llx)", software,
	           (unsigned long long)instance);
	ipc_client_request(fe->ipc, IPC_MSG_GROUP_LIST, NULL, 0, on_group_list,
	                   fe);
}

void
fe_on_down(void *arg)
{
	struct fe *fe = arg;

	if (fe->ks_up)
		log_warn("lost the keystore; answering 5.03 until it is back");
	fe->ks_up = false;
	/* Nothing cached may outlive the stream that keeps it exact; every
	 * observation ends (the handlers answer 5.03 with Max-Age). */
	fe_caches_drop(fe);
	for (struct fe_group *g = fe->groups; g != NULL; g = g->next) {
		fe_notify(fe, g->r_group);
		fe_notify(fe, g->r_active);
	}
	if (fe->sync != NULL) {
		ipc_sync_close(fe->sync);
		fe->sync = NULL;
	}
}

static struct fe_group *
group_of(struct fe *fe, const char *name)
{
	struct fe_group *g = fe_group_find(fe, name);

	if (g == NULL)
		log_debug("push for unknown group %s", name);
	return g;
}

static void
push_group_state(struct fe *fe, const uint8_t *p, size_t n)
{
	struct kdc_group_material *mat = kdc_secure_alloc(sizeof(*mat));
	struct ipc_group_state st;
	struct fe_group *g;

	if (mat == NULL)
		return;
	memset(&st, 0, sizeof(st));
	st.material = mat;
	if (ipc_dec_group_state(p, n, &st) != 0) {
		log_err("malformed GROUP_STATE from the keystore");
		kdc_secure_free(mat);
		return;
	}
	g = group_of(fe, mat->name);
	if (g == NULL)
		g = fe_group_add(fe, mat->name);
	if (g == NULL) {
		ipc_group_state_free(&st);
		kdc_secure_free(mat);
		return;
	}
	if (g->material != NULL)
		kdc_secure_free(g->material);
	g->material = mat;
	if (st.reason == IPC_STATE_REKEY) {
		/* Keep what the rekeying message needs besides the material:
		 * the stale Sender IDs and the joiners (GO §11.1). */
		size_t total = 0;

		free(g->stale);
		free(g->stale_ptr);
		free(g->stale_len);
		free(g->joiners);
		free(g->joiner_buf);
		g->stale = calloc(st.nstale + 1, sizeof(*g->stale));
		g->stale_ptr = calloc(st.nstale + 1, sizeof(*g->stale_ptr));
		g->stale_len = calloc(st.nstale + 1, sizeof(*g->stale_len));
		g->nstale = 0;
		for (uint32_t i = 0; i < st.njoiners; i++)
			total += st.joiner_creds[i].n + st.joiner_sids[i].n;
		g->joiners = calloc(st.njoiners + 1, sizeof(*g->joiners));
		g->joiner_buf = malloc(total + 1);
		g->njoiners = 0;
		if (g->stale != NULL && g->stale_ptr != NULL &&
		    g->stale_len != NULL) {
			for (uint32_t i = 0; i < st.nstale; i++) {
				if (st.stale[i].n > KDC_SID_MAX)
					continue;
				memcpy(g->stale[g->nstale], st.stale[i].p,
				       st.stale[i].n);
				g->stale_ptr[g->nstale] = g->stale[g->nstale];
				g->stale_len[g->nstale++] = st.stale[i].n;
			}
		}
		if (g->joiners != NULL && g->joiner_buf != NULL) {
			uint8_t *b = g->joiner_buf;

			for (uint32_t i = 0; i < st.njoiners; i++) {
				struct kdc_gm_peer *jp = &g->joiners[i];

				memcpy(b, st.joiner_creds[i].p,
				       st.joiner_creds[i].n);
				jp->cred = b;
				jp->cred_len = st.joiner_creds[i].n;
				b += jp->cred_len;
				memcpy(b, st.joiner_sids[i].p,
				       st.joiner_sids[i].n);
				jp->sid = b;
				jp->sid_len = st.joiner_sids[i].n;
				b += jp->sid_len;
				jp->perm = st.joiner_perms[i];
			}
			g->njoiners = st.njoiners;
		}
		/* Point-to-Point rekeying by Observe (RFC 9594 §6.1). */
		fe_notify(fe, g->r_group);
	} else if (st.reason == IPC_STATE_STATUS) {
		fe_notify(fe, g->r_active); /* GO §9.9: observable status */
	}
	ipc_group_state_free(&st);
}

static void
push_member(struct fe *fe, const uint8_t *p, size_t n)
{
	struct ipc_member_msg m;
	struct fe_binding *b;
	struct fe_group *g;

	if (ipc_dec_member_msg(p, n, &m) != 0) {
		log_err("malformed PUSH_MEMBER from the keystore");
		return;
	}
	g = group_of(fe, m.group);
	if (g == NULL)
		return;
	b = fe_binding_get(fe, &m.binding, false);
	if (m.op == IPC_MEMBER_SET) {
		if (b != NULL)
			fe_binding_set_member(fe, b, g, m.node, m.perm,
			                      m.has_sid, m.sid.p, m.sid.n);
		return;
	}
	if (b != NULL)
		fe_binding_drop_member(b, g);
	/* The node's observer learns it is out (4.04, error 5); the node
	 * resources go once that has been sent (handlers answer 4.04 for
	 * them meanwhile). */
	{
		char path[KDC_GNAME_MAX + IPC_NODE_MAX + 32];
		coap_resource_t *r;

		snprintf(path, sizeof(path), "ace-group/%s/nodes/%s", g->name,
		         m.node);
		r = coap_get_resource_from_uri_path(fe->coap,
		                                    coap_make_str_const(path));
		if (r != NULL)
			fe_notify(fe, r);
	}
}

static void
push_binding_gone(struct fe *fe, const uint8_t *p, size_t n)
{
	struct ipc_binding_gone m;
	struct fe_binding *b;

	if (ipc_dec_binding_gone(p, n, &m) != 0) {
		log_err("malformed BINDING_GONE from the keystore");
		return;
	}
	b = fe_binding_get(fe, &m.binding, false);
	if (b == NULL)
		return;
	b->gone = true;
	/* RFC 9200 §5.10.3: observations authorised by the token get 4.01
	 * and end — notify everything this binding's sessions observe. */
	for (struct fe_membership *mm = b->members; mm != NULL; mm = mm->next) {
		fe_notify(fe, mm->group->r_group);
		fe_notify(fe, mm->group->r_active);
	}
	for (struct fe_group *g = fe->groups; g != NULL; g = g->next)
		fe_binding_drop_member(b, g);
}

static void
push_control(struct fe *fe, const uint8_t *p, size_t n)
{
	struct ipc_control c;

	if (ipc_dec_control(p, n, &c) != 0) {
		log_err("malformed PUSH_CONTROL from the keystore");
		return;
	}
	fe_control_send(fe, &c);
}

static void
push_group_name(struct fe *fe, const uint8_t *p, size_t n, bool added)
{
	struct ipc_group_name_msg m;
	struct fe_group *g;

	if (ipc_dec_group_name_msg(p, n, &m) != 0) {
		log_err("malformed group push from the keystore");
		return;
	}
	if (added) {
		fe_group_add(fe, m.group);
		return;
	}
	g = fe_group_find(fe, m.group);
	if (g != NULL)
		fe_group_delete(fe, g);
}

void
fe_on_push(void *arg, const struct ipc_hdr *h, const uint8_t *payload)
{
	struct fe *fe = arg;

	switch (h->type) {
	case IPC_MSG_PUSH_GROUP_ADDED:
		push_group_name(fe, payload, h->len, true);
		break;
	case IPC_MSG_PUSH_GROUP_DELETED:
		push_group_name(fe, payload, h->len, false);
		break;
	case IPC_MSG_PUSH_GROUP_STATE:
		push_group_state(fe, payload, h->len);
		break;
	case IPC_MSG_PUSH_MEMBER:
		push_member(fe, payload, h->len);
		break;
	case IPC_MSG_PUSH_BINDING_GONE:
		push_binding_gone(fe, payload, h->len);
		break;
	case IPC_MSG_PUSH_CONTROL:
		push_control(fe, payload, h->len);
		break;
	default:
		log_warn("unexpected push %s from the keystore",
		         ipc_msg_name(h->type));
		break;
	}
	fe_kick(fe);
}
