/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ipc_msg_reply.c — the keystore's replies to the frontend: the complete
 * CoAP response it built (docs/DESIGN.md §2) with what the frontend's
 * membership cache must learn, and the list of groups.
 */
#include "ipc_priv.h"

#include <stdlib.h>
#include <string.h>

/* Max-Age is a uint32 option (RFC 7252 §5.10.5); -1 = none. */
static bool
max_age_ok(int64_t v)
{
	return v >= -1 && v <= (int64_t)UINT32_MAX;
}

int
ipc_enc_coap_result(struct ipc_wbuf *w, const struct ipc_coap_result *m)
{
	w->secret = true; /* keying material in the payload */
	if (!max_age_ok(m->max_age))
		w->failed = true;
	ipc_put_u8(w, m->code);
	ipc_put_cf(w, m->content_format);
	ipc_put_i64(w, m->max_age);
	if (m->location_path.n > IPC_MAX_STR)
		w->failed = true;
	ipc_put_textv(w, &m->location_path);
	ipc_put_view(w, &m->payload);
	ipc_put_binding(w, &m->binding);
	ipc_put_enum(w, m->member_op, IPC_MEMBER_NONE, IPC_MEMBER_REMOVED);
	ipc_put_name(w, m->group, sizeof(m->group));
	ipc_put_name(w, m->node, sizeof(m->node));
	ipc_put_u64(w, m->perm);
	ipc_put_opt(w, m->has_sid, &m->sid);
	return ipc_enc_result(w);
}

int
ipc_dec_coap_result(const uint8_t *p, size_t n, struct ipc_coap_result *m)
{
	struct ipc_rbuf r;

	memset(m, 0, sizeof(*m));
	ipc_rbuf_init(&r, p, n);
	ipc_get_u8(&r, &m->code);
	ipc_get_cf(&r, &m->content_format);
	if (ipc_get_i64(&r, &m->max_age) && !max_age_ok(m->max_age))
		r.failed = true;
	ipc_get_textv(&r, &m->location_path, IPC_MAX_STR);
	ipc_get_view(&r, &m->payload, IPC_MAX_PAYLOAD);
	ipc_get_binding(&r, &m->binding);
	ipc_get_enum(&r, &m->member_op, IPC_MEMBER_NONE, IPC_MEMBER_REMOVED);
	ipc_get_str(&r, m->group, sizeof(m->group));
	ipc_get_str(&r, m->node, sizeof(m->node));
	ipc_get_u64(&r, &m->perm);
	ipc_get_opt(&r, &m->has_sid, &m->sid);
	return ipc_dec_result(&r);
}

int
ipc_enc_group_list_result(struct ipc_wbuf *w,
                          const struct ipc_group_list_result *m)
{
	for (uint32_t i = 0; i < m->n && m->names != NULL; i++)
		if (m->names[i].n > KDC_GNAME_MAX)
			w->failed = true;
	ipc_put_views(w, m->n, m->names, true);
	return ipc_enc_result(w);
}

int
ipc_dec_group_list_result(const uint8_t *p, size_t n,
                          struct ipc_group_list_result *m)
{
	struct ipc_rbuf r;

	memset(m, 0, sizeof(*m));
	ipc_rbuf_init(&r, p, n);
	if (!ipc_get_views(&r, &m->n, &m->names, true, KDC_GNAME_MAX))
		return -1;
	if (ipc_dec_result(&r) != 0) {
		free(m->names);
		m->names = NULL;
		m->n = 0;
		return -1;
	}
	return 0;
}
