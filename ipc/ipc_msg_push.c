/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ipc_msg_push.c — the keystore's pushes to its frontends: group added or
 * deleted, a group's material (docs/DESIGN.md §2 "Cached reads"), member
 * and binding changes, and requests to members' control URIs (RFC 9594
 * §5, §6.1).
 */
#include "ipc_priv.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

int
ipc_enc_group_name_msg(struct ipc_wbuf *w, const struct ipc_group_name_msg *m)
{
	ipc_put_name(w, m->group, sizeof(m->group));
	return ipc_enc_result(w);
}

int
ipc_dec_group_name_msg(const uint8_t *p, size_t n, struct ipc_group_name_msg *m)
{
	struct ipc_rbuf r;

	memset(m, 0, sizeof(*m));
	ipc_rbuf_init(&r, p, n);
	ipc_get_str(&r, m->group, sizeof(m->group));
	return ipc_dec_result(&r);
}

/* kdc_group_material, field by field in declaration order. */
static void
put_material(struct ipc_wbuf *w, const struct kdc_group_material *m)
{
	if (m->ms_len > sizeof(m->ms) || m->salt_len > sizeof(m->salt) ||
	    m->gid_len > sizeof(m->gid)) {
		w->failed = true;
		return;
	}
	ipc_put_name(w, m->name, sizeof(m->name));
	ipc_put_u64(w, m->num);
	ipc_put_i64(w, m->exp);
	ipc_put_bool(w, m->active);
	ipc_put_bytes(w, m->ms, m->ms_len);
	ipc_put_bytes(w, m->salt, m->salt_len);
	ipc_put_bytes(w, m->gid, m->gid_len);
	ipc_put_i64(w, m->hkdf);
	ipc_put_i64(w, m->cred_fmt);
	ipc_put_bool(w, m->group_mode);
	ipc_put_i64(w, m->gp_enc_alg);
	ipc_put_i64(w, m->sign_alg);
	ipc_put_i32(w, m->sign_crv);
	ipc_put_bool(w, m->pairwise_mode);
	ipc_put_i64(w, m->alg);
	ipc_put_i64(w, m->ecdh_alg);
	ipc_put_i32(w, m->ecdh_crv);
	ipc_put_u32(w, m->key_update_check_interval);
	ipc_put_u32(w, m->expiration_delta);
}

/* A bytes field copied into a fixed array of `size` bytes. */
static void
get_fixed(struct ipc_rbuf *r, uint8_t *out, size_t size, size_t *len)
{
	const uint8_t *p;
	size_t n;

	if (!ipc_get_bytes(r, &p, &n, size))
		return;
	memcpy(out, p, n);
	*len = n;
}

static void
get_material(struct ipc_rbuf *r, struct kdc_group_material *m)
{
	int32_t crv;

	ipc_get_str(r, m->name, sizeof(m->name));
	ipc_get_u64(r, &m->num);
	ipc_get_i64(r, &m->exp);
	ipc_get_bool(r, &m->active);
	get_fixed(r, m->ms, sizeof(m->ms), &m->ms_len);
	get_fixed(r, m->salt, sizeof(m->salt), &m->salt_len);
	get_fixed(r, m->gid, sizeof(m->gid), &m->gid_len);
	ipc_get_i64(r, &m->hkdf);
	ipc_get_i64(r, &m->cred_fmt);
	ipc_get_bool(r, &m->group_mode);
	ipc_get_i64(r, &m->gp_enc_alg);
	ipc_get_i64(r, &m->sign_alg);
	if (ipc_get_i32(r, &crv))
		m->sign_crv = crv;
	ipc_get_bool(r, &m->pairwise_mode);
	ipc_get_i64(r, &m->alg);
	ipc_get_i64(r, &m->ecdh_alg);
	if (ipc_get_i32(r, &crv))
		m->ecdh_crv = crv;
	ipc_get_u32(r, &m->key_update_check_interval);
	ipc_get_u32(r, &m->expiration_delta);
}

int
ipc_enc_group_state(struct ipc_wbuf *w, const struct ipc_group_state *m)
{
	w->secret = true; /* the Master Secret */
	ipc_put_enum(w, m->reason, IPC_STATE_SNAPSHOT, IPC_STATE_CONFIG);
	if (m->material == NULL) {
		w->failed = true;
		return -1;
	}
	put_material(w, m->material);
	ipc_put_views(w, m->nstale, m->stale, false);
	if (m->njoiners > IPC_MAX_LIST ||
	    (m->njoiners > 0 &&
	     (m->joiner_creds == NULL || m->joiner_perms == NULL ||
	      m->joiner_sids == NULL))) {
		w->failed = true;
		return -1;
	}
	ipc_put_u32(w, m->njoiners);
	for (uint32_t i = 0; i < m->njoiners && !w->failed; i++) {
		ipc_put_view(w, &m->joiner_creds[i]);
		ipc_put_u64(w, m->joiner_perms[i]);
		ipc_put_view(w, &m->joiner_sids[i]);
	}
	return ipc_enc_result(w);
}

static bool
get_joiners(struct ipc_rbuf *r, struct ipc_group_state *m)
{
	uint32_t c;

	/* cred length + perm + sid length */
	if (!ipc_get_count(r, &c, IPC_MAX_LIST, 4 + 8 + 4))
		return false;
	if (c == 0)
		return true;
	m->joiner_creds = calloc(c, sizeof(*m->joiner_creds));
	m->joiner_perms = calloc(c, sizeof(*m->joiner_perms));
	m->joiner_sids = calloc(c, sizeof(*m->joiner_sids));
	m->njoiners = c;
	if (m->joiner_creds == NULL || m->joiner_perms == NULL ||
	    m->joiner_sids == NULL) {
		r->failed = true;
		return false;
	}
	for (uint32_t i = 0; i < c; i++) {
		ipc_get_view(r, &m->joiner_creds[i], IPC_MAX_PAYLOAD);
		ipc_get_u64(r, &m->joiner_perms[i]);
		ipc_get_view(r, &m->joiner_sids[i], IPC_MAX_PAYLOAD);
	}
	return !r->failed;
}

int
ipc_dec_group_state(const uint8_t *p, size_t n, struct ipc_group_state *m)
{
	struct kdc_group_material *mat = m->material;
	struct ipc_rbuf r;

	memset(m, 0, sizeof(*m));
	m->material = mat;
	if (mat == NULL)
		return -1;
	memset(mat, 0, sizeof(*mat));
	ipc_rbuf_init(&r, p, n);
	ipc_get_enum(&r, &m->reason, IPC_STATE_SNAPSHOT, IPC_STATE_CONFIG);
	get_material(&r, mat);
	if (ipc_get_views(&r, &m->nstale, &m->stale, false, IPC_MAX_PAYLOAD))
		get_joiners(&r, m);
	if (ipc_dec_result(&r) != 0) {
		ipc_group_state_free(m);
		/* No half-decoded Master Secret left behind. */
		sodium_memzero(mat, sizeof(*mat));
		return -1;
	}
	return 0;
}

void
ipc_group_state_free(struct ipc_group_state *m)
{
	free(m->stale);
	free(m->joiner_creds);
	free(m->joiner_perms);
	free(m->joiner_sids);
	m->stale = NULL;
	m->joiner_creds = NULL;
	m->joiner_perms = NULL;
	m->joiner_sids = NULL;
	m->nstale = 0;
	m->njoiners = 0;
}

int
ipc_enc_member_msg(struct ipc_wbuf *w, const struct ipc_member_msg *m)
{
	ipc_put_enum(w, m->op, IPC_MEMBER_SET, IPC_MEMBER_REMOVED);
	ipc_put_enum(w, m->reason, 0, IPC_REMOVED_ELDER);
	ipc_put_binding(w, &m->binding);
	ipc_put_name(w, m->group, sizeof(m->group));
	ipc_put_name(w, m->node, sizeof(m->node));
	ipc_put_u64(w, m->perm);
	ipc_put_opt(w, m->has_sid, &m->sid);
	return ipc_enc_result(w);
}

int
ipc_dec_member_msg(const uint8_t *p, size_t n, struct ipc_member_msg *m)
{
	struct ipc_rbuf r;

	memset(m, 0, sizeof(*m));
	ipc_rbuf_init(&r, p, n);
	ipc_get_enum(&r, &m->op, IPC_MEMBER_SET, IPC_MEMBER_REMOVED);
	ipc_get_enum(&r, &m->reason, 0, IPC_REMOVED_ELDER);
	ipc_get_binding(&r, &m->binding);
	ipc_get_str(&r, m->group, sizeof(m->group));
	ipc_get_str(&r, m->node, sizeof(m->node));
	ipc_get_u64(&r, &m->perm);
	ipc_get_opt(&r, &m->has_sid, &m->sid);
	return ipc_dec_result(&r);
}

int
ipc_enc_binding_gone(struct ipc_wbuf *w, const struct ipc_binding_gone *m)
{
	ipc_put_binding(w, &m->binding);
	ipc_put_enum(w, m->reason, IPC_GONE_EXPIRED, IPC_GONE_REVOKED);
	return ipc_enc_result(w);
}

int
ipc_dec_binding_gone(const uint8_t *p, size_t n, struct ipc_binding_gone *m)
{
	struct ipc_rbuf r;

	memset(m, 0, sizeof(*m));
	ipc_rbuf_init(&r, p, n);
	ipc_get_binding(&r, &m->binding);
	ipc_get_enum(&r, &m->reason, IPC_GONE_EXPIRED, IPC_GONE_REVOKED);
	return ipc_dec_result(&r);
}

/* CoAP request method codes 0.01 GET .. 0.07 iPATCH (RFC 7252, RFC 8132). */
#define COAP_METHOD_MIN 1
#define COAP_METHOD_MAX 7

int
ipc_enc_control(struct ipc_wbuf *w, const struct ipc_control *m)
{
	w->secret = true; /* rekeying messages carry the new material */
	ipc_put_binding(w, &m->binding);
	if (m->uri.n > IPC_MAX_STR)
		w->failed = true;
	ipc_put_textv(w, &m->uri);
	ipc_put_enum(w, m->method, COAP_METHOD_MIN, COAP_METHOD_MAX);
	ipc_put_cf(w, m->content_format);
	ipc_put_view(w, &m->payload);
	ipc_put_i64(w, m->exp);
	return ipc_enc_result(w);
}

int
ipc_dec_control(const uint8_t *p, size_t n, struct ipc_control *m)
{
	struct ipc_rbuf r;

	memset(m, 0, sizeof(*m));
	ipc_rbuf_init(&r, p, n);
	ipc_get_binding(&r, &m->binding);
	ipc_get_textv(&r, &m->uri, IPC_MAX_STR);
	ipc_get_enum(&r, &m->method, COAP_METHOD_MIN, COAP_METHOD_MAX);
	ipc_get_cf(&r, &m->content_format);
	ipc_get_view(&r, &m->payload, IPC_MAX_PAYLOAD);
	ipc_get_i64(&r, &m->exp);
	return ipc_dec_result(&r);
}
