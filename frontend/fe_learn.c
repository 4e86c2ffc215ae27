/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fe_learn.c — what a keystore answer teaches the frontend: the
 * requester's membership (for cached reads) and the node resources to
 * create so that a member can observe nodes/NODENAME.
 */
#include "fe.h"

void
fe_result_learn(struct fe *fe, coap_session_t *session,
                const struct ipc_coap_result *res)
{
	struct fe_sess *s = fe_sess_get(session, false);
	struct fe_group *g;

	if (res->member_op == IPC_MEMBER_NONE || s == NULL ||
	    s->binding == NULL)
		return;
	g = fe_group_find(fe, res->group);
	if (g == NULL)
		return;
	if (res->member_op == IPC_MEMBER_SET) {
		fe_binding_set_member(fe, s->binding, g, res->node, res->perm,
		                      res->has_sid, res->sid.p, res->sid.n);
		fe_node_resources(fe, g, res->node);
	} else {
		fe_binding_drop_member(s->binding, g);
	}
}
