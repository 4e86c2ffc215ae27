/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ipc_msg_base.c — HELLO and ERROR, the two messages every peer speaks
 * (docs/DESIGN.md §4 "Handshake").
 *
 * HELLO is one layout in both directions: {u32 version, u8 peer_kind,
 * str name, u64 instance}.  The request carries the client's kind and name
 * (instance 0); the reply carries IPC_PEER_KEYSTORE, the software version
 * and the keystore's instance id.
 */
#include "ipc_priv.h"

#include <string.h>

int
ipc_enc_hello(struct ipc_wbuf *w, const struct ipc_hello *m)
{
	ipc_put_u32(w, m->version);
	ipc_put_enum(w, m->peer_kind, IPC_PEER_FRONTEND, IPC_PEER_KEYSTORE);
	ipc_put_name(w, m->name, sizeof(m->name));
	ipc_put_u64(w, m->instance);
	return ipc_enc_result(w);
}

int
ipc_dec_hello(const uint8_t *p, size_t n, struct ipc_hello *m)
{
	struct ipc_rbuf r;

	memset(m, 0, sizeof(*m));
	ipc_rbuf_init(&r, p, n);
	ipc_get_u32(&r, &m->version);
	ipc_get_enum(&r, &m->peer_kind, IPC_PEER_FRONTEND, IPC_PEER_KEYSTORE);
	ipc_get_str(&r, m->name, sizeof(m->name));
	ipc_get_u64(&r, &m->instance);
	return ipc_dec_result(&r);
}

int
ipc_enc_error(struct ipc_wbuf *w, const struct ipc_error *m)
{
	if (m->msg_len > IPC_MAX_STR)
		w->failed = true;
	ipc_put_i32(w, m->code);
	ipc_put_str(w, m->msg, m->msg_len);
	return ipc_enc_result(w);
}

int
ipc_dec_error(const uint8_t *p, size_t n, struct ipc_error *m)
{
	struct ipc_rbuf r;

	memset(m, 0, sizeof(*m));
	ipc_rbuf_init(&r, p, n);
	ipc_get_i32(&r, &m->code);
	ipc_get_strv(&r, &m->msg, &m->msg_len, IPC_MAX_STR);
	return ipc_dec_result(&r);
}
