/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ipc_msg_ace.c — the ACE transport messages: /authz-info (RFC 9200
 * §5.10.1), the DTLS PSK identity (RFC 9202 §3.3) and RPK lookups, and
 * the keystore's PSK answer (docs/DESIGN.md §3).
 */
#include "ipc_priv.h"

#include <sodium.h>
#include <string.h>

int
ipc_enc_authz_info(struct ipc_wbuf *w, const struct ipc_authz_info *m)
{
	ipc_put_cf(w, m->content_format);
	ipc_put_view(w, &m->payload);
	ipc_put_enum(w, m->transport, IPC_TRANSPORT_PLAIN, IPC_TRANSPORT_DTLS);
	ipc_put_binding(w, &m->binding);
	return ipc_enc_result(w);
}

int
ipc_dec_authz_info(const uint8_t *p, size_t n, struct ipc_authz_info *m)
{
	struct ipc_rbuf r;

	memset(m, 0, sizeof(*m));
	ipc_rbuf_init(&r, p, n);
	ipc_get_cf(&r, &m->content_format);
	ipc_get_view(&r, &m->payload, IPC_MAX_PAYLOAD);
	ipc_get_enum(&r, &m->transport, IPC_TRANSPORT_PLAIN,
	             IPC_TRANSPORT_DTLS);
	ipc_get_binding(&r, &m->binding);
	return ipc_dec_result(&r);
}

int
ipc_enc_psk_identity(struct ipc_wbuf *w, const struct ipc_psk_identity *m)
{
	ipc_put_view(w, &m->identity);
	return ipc_enc_result(w);
}

int
ipc_dec_psk_identity(const uint8_t *p, size_t n, struct ipc_psk_identity *m)
{
	struct ipc_rbuf r;

	memset(m, 0, sizeof(*m));
	ipc_rbuf_init(&r, p, n);
	ipc_get_view(&r, &m->identity, IPC_MAX_PAYLOAD);
	return ipc_dec_result(&r);
}

int
ipc_enc_rpk_identity(struct ipc_wbuf *w, const struct ipc_rpk_identity *m)
{
	ipc_put_view(w, &m->spki);
	return ipc_enc_result(w);
}

int
ipc_dec_rpk_identity(const uint8_t *p, size_t n, struct ipc_rpk_identity *m)
{
	struct ipc_rbuf r;

	memset(m, 0, sizeof(*m));
	ipc_rbuf_init(&r, p, n);
	ipc_get_view(&r, &m->spki, IPC_MAX_PAYLOAD);
	return ipc_dec_result(&r);
}

int
ipc_enc_psk_result(struct ipc_wbuf *w, const struct ipc_psk_result *m)
{
	w->secret = true; /* the PSK */
	ipc_put_enum(w, m->status, IPC_PSK_OK, IPC_PSK_UNSUPPORTED);
	ipc_put_view(w, &m->key);
	ipc_put_binding(w, &m->binding);
	ipc_put_i64(w, m->exp);
	ipc_put_bool(w, m->token_in_handshake);
	return ipc_enc_result(w);
}

int
ipc_dec_psk_result(const uint8_t *p, size_t n, struct ipc_psk_result *m)
{
	struct ipc_rbuf r;

	memset(m, 0, sizeof(*m));
	ipc_rbuf_init(&r, p, n);
	ipc_get_enum(&r, &m->status, IPC_PSK_OK, IPC_PSK_UNSUPPORTED);
	ipc_get_view(&r, &m->key, IPC_MAX_PAYLOAD);
	ipc_get_binding(&r, &m->binding);
	ipc_get_i64(&r, &m->exp);
	ipc_get_bool(&r, &m->token_in_handshake);
	if (ipc_dec_result(&r) != 0) {
		sodium_memzero(m, sizeof(*m));
		return -1;
	}
	return 0;
}
