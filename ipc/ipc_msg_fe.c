/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ipc_msg_fe.c — the frontend's requests of the RFC 9594 interface (one
 * per resource and method, §4) and the statistics notification.
 *
 * Variable parts are views into the frontend's request; names that the
 * keystore looks up (group, node) travel as bounded strings, so an
 * over-long name fails the frontend's encoder and never reaches the wire.
 */
#include "ipc_priv.h"

#include <stdlib.h>
#include <string.h>

int
ipc_enc_group_names(struct ipc_wbuf *w, const struct ipc_group_names *m)
{
	ipc_put_binding(w, &m->binding);
	ipc_put_views(w, m->ngids, m->gids, false);
	return ipc_enc_result(w);
}

int
ipc_dec_group_names(const uint8_t *p, size_t n, struct ipc_group_names *m)
{
	struct ipc_rbuf r;

	memset(m, 0, sizeof(*m));
	ipc_rbuf_init(&r, p, n);
	ipc_get_binding(&r, &m->binding);
	if (!ipc_get_views(&r, &m->ngids, &m->gids, false, IPC_MAX_PAYLOAD))
		return -1;
	if (ipc_dec_result(&r) != 0) {
		free(m->gids);
		m->gids = NULL;
		m->ngids = 0;
		return -1;
	}
	return 0;
}

/* get_creds: {u8 kind, bool inclusion, count + u64 roles, count + bytes
 * ids} (RFC 9594 §4.3.1). */
static void
put_get_creds(struct ipc_wbuf *w, const struct ipc_get_creds *g)
{
	ipc_put_enum(w, g->kind, IPC_GET_CREDS_ABSENT, IPC_GET_CREDS_ALL);
	ipc_put_bool(w, g->inclusion);
	if (g->nroles > IPC_MAX_LIST || (g->nroles > 0 && g->roles == NULL)) {
		w->failed = true;
		return;
	}
	ipc_put_u32(w, g->nroles);
	for (uint32_t i = 0; i < g->nroles && !w->failed; i++)
		ipc_put_u64(w, g->roles[i]);
	ipc_put_views(w, g->nids, g->ids, false);
}

static void
get_creds_free(struct ipc_get_creds *g)
{
	free(g->roles);
	free(g->ids);
	g->roles = NULL;
	g->ids = NULL;
	g->nroles = 0;
	g->nids = 0;
}

static bool
get_get_creds(struct ipc_rbuf *r, struct ipc_get_creds *g)
{
	uint32_t c;

	memset(g, 0, sizeof(*g));
	ipc_get_enum(r, &g->kind, IPC_GET_CREDS_ABSENT, IPC_GET_CREDS_ALL);
	ipc_get_bool(r, &g->inclusion);
	if (!ipc_get_count(r, &c, IPC_MAX_LIST, 8))
		return false;
	if (c > 0) {
		g->roles = calloc(c, sizeof(*g->roles));
		if (g->roles == NULL) {
			r->failed = true;
			return false;
		}
		g->nroles = c;
		for (uint32_t i = 0; i < c; i++)
			ipc_get_u64(r, &g->roles[i]);
	}
	if (!ipc_get_views(r, &g->nids, &g->ids, false, IPC_MAX_PAYLOAD)) {
		get_creds_free(g);
		return false;
	}
	return true;
}

int
ipc_enc_join(struct ipc_wbuf *w, const struct ipc_join *m)
{
	ipc_put_binding(w, &m->binding);
	ipc_put_name(w, m->group, sizeof(m->group));
	ipc_put_view(w, &m->exporter_ns);
	ipc_put_opt(w, m->has_scope, &m->scope);
	put_get_creds(w, &m->get_creds);
	ipc_put_opt(w, m->has_client_cred, &m->client_cred);
	ipc_put_opt(w, m->has_cnonce, &m->cnonce);
	ipc_put_opt(w, m->has_pop, &m->pop);
	ipc_put_bool(w, m->has_control_uri);
	if (m->has_control_uri)
		ipc_put_textv(w, &m->control_uri);
	return ipc_enc_result(w);
}

int
ipc_dec_join(const uint8_t *p, size_t n, struct ipc_join *m)
{
	struct ipc_rbuf r;

	memset(m, 0, sizeof(*m));
	ipc_rbuf_init(&r, p, n);
	ipc_get_binding(&r, &m->binding);
	ipc_get_str(&r, m->group, sizeof(m->group));
	ipc_get_view(&r, &m->exporter_ns, IPC_MAX_PAYLOAD);
	ipc_get_opt(&r, &m->has_scope, &m->scope);
	if (!get_get_creds(&r, &m->get_creds))
		return -1;
	ipc_get_opt(&r, &m->has_client_cred, &m->client_cred);
	ipc_get_opt(&r, &m->has_cnonce, &m->cnonce);
	ipc_get_opt(&r, &m->has_pop, &m->pop);
	if (ipc_get_bool(&r, &m->has_control_uri) && m->has_control_uri)
		ipc_get_textv(&r, &m->control_uri, IPC_MAX_PAYLOAD);
	if (ipc_dec_result(&r) != 0) {
		ipc_join_free(m);
		return -1;
	}
	return 0;
}

void
ipc_join_free(struct ipc_join *m)
{
	get_creds_free(&m->get_creds);
}

int
ipc_enc_group_read(struct ipc_wbuf *w, const struct ipc_group_read *m)
{
	ipc_put_binding(w, &m->binding);
	ipc_put_name(w, m->group, sizeof(m->group));
	ipc_put_enum(w, m->resource, IPC_RES_KEYS, IPC_RES_KDC_CRED);
	return ipc_enc_result(w);
}

int
ipc_dec_group_read(const uint8_t *p, size_t n, struct ipc_group_read *m)
{
	struct ipc_rbuf r;

	memset(m, 0, sizeof(*m));
	ipc_rbuf_init(&r, p, n);
	ipc_get_binding(&r, &m->binding);
	ipc_get_str(&r, m->group, sizeof(m->group));
	ipc_get_enum(&r, &m->resource, IPC_RES_KEYS, IPC_RES_KDC_CRED);
	return ipc_dec_result(&r);
}

int
ipc_enc_creds(struct ipc_wbuf *w, const struct ipc_creds *m)
{
	ipc_put_binding(w, &m->binding);
	ipc_put_name(w, m->group, sizeof(m->group));
	put_get_creds(w, &m->get_creds);
	return ipc_enc_result(w);
}

int
ipc_dec_creds(const uint8_t *p, size_t n, struct ipc_creds *m)
{
	struct ipc_rbuf r;

	memset(m, 0, sizeof(*m));
	ipc_rbuf_init(&r, p, n);
	ipc_get_binding(&r, &m->binding);
	ipc_get_str(&r, m->group, sizeof(m->group));
	if (!get_get_creds(&r, &m->get_creds))
		return -1;
	if (ipc_dec_result(&r) != 0) {
		ipc_creds_free(m);
		return -1;
	}
	return 0;
}

void
ipc_creds_free(struct ipc_creds *m)
{
	get_creds_free(&m->get_creds);
}

int
ipc_enc_kdc_cred_fetch(struct ipc_wbuf *w, const struct ipc_kdc_cred_fetch *m)
{
	ipc_put_binding(w, &m->binding);
	ipc_put_name(w, m->group, sizeof(m->group));
	ipc_put_view(w, &m->cnonce);
	return ipc_enc_result(w);
}

int
ipc_dec_kdc_cred_fetch(const uint8_t *p, size_t n, struct ipc_kdc_cred_fetch *m)
{
	struct ipc_rbuf r;

	memset(m, 0, sizeof(*m));
	ipc_rbuf_init(&r, p, n);
	ipc_get_binding(&r, &m->binding);
	ipc_get_str(&r, m->group, sizeof(m->group));
	ipc_get_view(&r, &m->cnonce, IPC_MAX_PAYLOAD);
	return ipc_dec_result(&r);
}

int
ipc_enc_stale_sids(struct ipc_wbuf *w, const struct ipc_stale_sids *m)
{
	ipc_put_binding(w, &m->binding);
	ipc_put_name(w, m->group, sizeof(m->group));
	ipc_put_u64(w, m->version);
	return ipc_enc_result(w);
}

int
ipc_dec_stale_sids(const uint8_t *p, size_t n, struct ipc_stale_sids *m)
{
	struct ipc_rbuf r;

	memset(m, 0, sizeof(*m));
	ipc_rbuf_init(&r, p, n);
	ipc_get_binding(&r, &m->binding);
	ipc_get_str(&r, m->group, sizeof(m->group));
	ipc_get_u64(&r, &m->version);
	return ipc_dec_result(&r);
}

int
ipc_enc_node(struct ipc_wbuf *w, const struct ipc_node *m)
{
	ipc_put_binding(w, &m->binding);
	ipc_put_name(w, m->group, sizeof(m->group));
	ipc_put_name(w, m->node, sizeof(m->node));
	ipc_put_enum(w, m->op, IPC_NODE_GET, IPC_NODE_LEAVE);
	return ipc_enc_result(w);
}

int
ipc_dec_node(const uint8_t *p, size_t n, struct ipc_node *m)
{
	struct ipc_rbuf r;

	memset(m, 0, sizeof(*m));
	ipc_rbuf_init(&r, p, n);
	ipc_get_binding(&r, &m->binding);
	ipc_get_str(&r, m->group, sizeof(m->group));
	ipc_get_str(&r, m->node, sizeof(m->node));
	ipc_get_enum(&r, &m->op, IPC_NODE_GET, IPC_NODE_LEAVE);
	return ipc_dec_result(&r);
}

int
ipc_enc_node_cred(struct ipc_wbuf *w, const struct ipc_node_cred *m)
{
	ipc_put_binding(w, &m->binding);
	ipc_put_name(w, m->group, sizeof(m->group));
	ipc_put_name(w, m->node, sizeof(m->node));
	ipc_put_view(w, &m->exporter_ns);
	ipc_put_opt(w, m->has_client_cred, &m->client_cred);
	ipc_put_opt(w, m->has_cnonce, &m->cnonce);
	ipc_put_opt(w, m->has_pop, &m->pop);
	return ipc_enc_result(w);
}

int
ipc_dec_node_cred(const uint8_t *p, size_t n, struct ipc_node_cred *m)
{
	struct ipc_rbuf r;

	memset(m, 0, sizeof(*m));
	ipc_rbuf_init(&r, p, n);
	ipc_get_binding(&r, &m->binding);
	ipc_get_str(&r, m->group, sizeof(m->group));
	ipc_get_str(&r, m->node, sizeof(m->node));
	ipc_get_view(&r, &m->exporter_ns, IPC_MAX_PAYLOAD);
	ipc_get_opt(&r, &m->has_client_cred, &m->client_cred);
	ipc_get_opt(&r, &m->has_cnonce, &m->cnonce);
	ipc_get_opt(&r, &m->has_pop, &m->pop);
	return ipc_dec_result(&r);
}

int
ipc_enc_fe_stats(struct ipc_wbuf *w, const struct ipc_fe_stats *m)
{
	ipc_put_u64(w, m->requests);
	ipc_put_u64(w, m->errors);
	ipc_put_u32(w, m->sessions);
	ipc_put_u32(w, m->observers);
	return ipc_enc_result(w);
}

int
ipc_dec_fe_stats(const uint8_t *p, size_t n, struct ipc_fe_stats *m)
{
	struct ipc_rbuf r;

	memset(m, 0, sizeof(*m));
	ipc_rbuf_init(&r, p, n);
	ipc_get_u64(&r, &m->requests);
	ipc_get_u64(&r, &m->errors);
	ipc_get_u32(&r, &m->sessions);
	ipc_get_u32(&r, &m->observers);
	return ipc_dec_result(&r);
}
