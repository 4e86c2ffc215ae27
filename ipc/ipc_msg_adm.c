/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ipc_msg_adm.c — kdc-admin's requests.  ADM_GROUP_CREATE/UPDATE carry a
 * kdc_group_config field by field; ADM_AS_ADD carries an AS key (secret
 * when symmetric); the others name their target (possibly nothing).
 */
#include "ipc_priv.h"

#include <sodium.h>
#include <string.h>

int
ipc_enc_adm_target(struct ipc_wbuf *w, const struct ipc_adm_target *m)
{
	ipc_put_name(w, m->group, sizeof(m->group));
	ipc_put_name(w, m->node, sizeof(m->node));
	ipc_put_i64(w, m->id);
	ipc_put_name(w, m->arg, sizeof(m->arg));
	return ipc_enc_result(w);
}

int
ipc_dec_adm_target(const uint8_t *p, size_t n, struct ipc_adm_target *m)
{
	struct ipc_rbuf r;

	memset(m, 0, sizeof(*m));
	ipc_rbuf_init(&r, p, n);
	ipc_get_str(&r, m->group, sizeof(m->group));
	ipc_get_str(&r, m->node, sizeof(m->node));
	ipc_get_i64(&r, &m->id);
	ipc_get_str(&r, m->arg, sizeof(m->arg));
	return ipc_dec_result(&r);
}

int
ipc_enc_adm_group(struct ipc_wbuf *w, const struct ipc_adm_group *m)
{
	const struct kdc_group_config *c = &m->config;

	ipc_put_u32(w, m->field_mask);
	ipc_put_name(w, c->name, sizeof(c->name));
	ipc_put_name(w, c->description, sizeof(c->description));
	ipc_put_bool(w, c->active);
	ipc_put_i64(w, c->hkdf);
	ipc_put_i64(w, c->cred_fmt);
	ipc_put_bool(w, c->group_mode);
	ipc_put_i64(w, c->gp_enc_alg);
	ipc_put_i64(w, c->sign_alg);
	ipc_put_i32(w, c->sign_crv);
	ipc_put_bool(w, c->pairwise_mode);
	ipc_put_i64(w, c->alg);
	ipc_put_i64(w, c->ecdh_alg);
	ipc_put_i32(w, c->ecdh_crv);
	ipc_put_u32(w, c->key_lifetime);
	ipc_put_u32(w, c->key_update_check_interval);
	ipc_put_u32(w, c->expiration_delta);
	ipc_put_u32(w, c->max_members);
	ipc_put_bool(w, c->rekey_on_join);
	ipc_put_bool(w, c->rekey_on_leave);
	ipc_put_bool(w, c->rekey_after_restart);
	ipc_put_u32(w, c->min_rekey_interval_ms);
	ipc_put_u32(w, c->max_stale_sets);
	ipc_put_u32(w, c->prev_grace);
	ipc_put_u8(w, c->sid_max_len);
	ipc_put_u8(w, c->gid_prefix_len);
	ipc_put_u8(w, c->gid_epoch_len);
	return ipc_enc_result(w);
}

int
ipc_dec_adm_group(const uint8_t *p, size_t n, struct ipc_adm_group *m)
{
	struct kdc_group_config *c = &m->config;
	struct ipc_rbuf r;
	int32_t crv;

	memset(m, 0, sizeof(*m));
	ipc_rbuf_init(&r, p, n);
	ipc_get_u32(&r, &m->field_mask);
	ipc_get_str(&r, c->name, sizeof(c->name));
	ipc_get_str(&r, c->description, sizeof(c->description));
	ipc_get_bool(&r, &c->active);
	ipc_get_i64(&r, &c->hkdf);
	ipc_get_i64(&r, &c->cred_fmt);
	ipc_get_bool(&r, &c->group_mode);
	ipc_get_i64(&r, &c->gp_enc_alg);
	ipc_get_i64(&r, &c->sign_alg);
	if (ipc_get_i32(&r, &crv))
		c->sign_crv = crv;
	ipc_get_bool(&r, &c->pairwise_mode);
	ipc_get_i64(&r, &c->alg);
	ipc_get_i64(&r, &c->ecdh_alg);
	if (ipc_get_i32(&r, &crv))
		c->ecdh_crv = crv;
	ipc_get_u32(&r, &c->key_lifetime);
	ipc_get_u32(&r, &c->key_update_check_interval);
	ipc_get_u32(&r, &c->expiration_delta);
	ipc_get_u32(&r, &c->max_members);
	ipc_get_bool(&r, &c->rekey_on_join);
	ipc_get_bool(&r, &c->rekey_on_leave);
	ipc_get_bool(&r, &c->rekey_after_restart);
	ipc_get_u32(&r, &c->min_rekey_interval_ms);
	ipc_get_u32(&r, &c->max_stale_sets);
	ipc_get_u32(&r, &c->prev_grace);
	ipc_get_u8(&r, &c->sid_max_len);
	ipc_get_u8(&r, &c->gid_prefix_len);
	ipc_get_u8(&r, &c->gid_epoch_len);
	return ipc_dec_result(&r);
}

int
ipc_enc_adm_as_add(struct ipc_wbuf *w, const struct ipc_adm_as_add *m)
{
	w->secret = true; /* symmetric AS keys */
	/* Every view is bounded by IPC_MAX_STR, like the decoder. */
	if (m->issuer.n > IPC_MAX_STR || m->audience.n > IPC_MAX_STR ||
	    m->kid.n > IPC_MAX_STR || m->key.n > IPC_MAX_STR ||
	    m->psk_derivation_key.n > IPC_MAX_STR)
		w->failed = true;
	ipc_put_name(w, m->name, sizeof(m->name));
	ipc_put_view(w, &m->issuer);
	ipc_put_view(w, &m->audience);
	ipc_put_enum(w, m->kind, IPC_AS_SIGN, IPC_AS_ENCRYPT);
	ipc_put_i64(w, m->alg);
	ipc_put_view(w, &m->kid);
	ipc_put_view(w, &m->key);
	ipc_put_view(w, &m->psk_derivation_key);
	return ipc_enc_result(w);
}

int
ipc_dec_adm_as_add(const uint8_t *p, size_t n, struct ipc_adm_as_add *m)
{
	struct ipc_rbuf r;

	memset(m, 0, sizeof(*m));
	ipc_rbuf_init(&r, p, n);
	ipc_get_str(&r, m->name, sizeof(m->name));
	ipc_get_view(&r, &m->issuer, IPC_MAX_STR);
	ipc_get_view(&r, &m->audience, IPC_MAX_STR);
	ipc_get_enum(&r, &m->kind, IPC_AS_SIGN, IPC_AS_ENCRYPT);
	ipc_get_i64(&r, &m->alg);
	ipc_get_view(&r, &m->kid, IPC_MAX_STR);
	ipc_get_view(&r, &m->key, IPC_MAX_STR);
	ipc_get_view(&r, &m->psk_derivation_key, IPC_MAX_STR);
	if (ipc_dec_result(&r) != 0) {
		sodium_memzero(m, sizeof(*m));
		return -1;
	}
	return 0;
}

int
ipc_enc_adm_audit(struct ipc_wbuf *w, const struct ipc_adm_audit *m)
{
	ipc_put_u32(w, m->limit);
	ipc_put_i64(w, m->since_id);
	ipc_put_name(w, m->group, sizeof(m->group));
	ipc_put_name(w, m->action, sizeof(m->action));
	return ipc_enc_result(w);
}

int
ipc_dec_adm_audit(const uint8_t *p, size_t n, struct ipc_adm_audit *m)
{
	struct ipc_rbuf r;

	memset(m, 0, sizeof(*m));
	ipc_rbuf_init(&r, p, n);
	ipc_get_u32(&r, &m->limit);
	ipc_get_i64(&r, &m->since_id);
	ipc_get_str(&r, m->group, sizeof(m->group));
	ipc_get_str(&r, m->action, sizeof(m->action));
	return ipc_dec_result(&r);
}

int
ipc_enc_adm_sql(struct ipc_wbuf *w, const struct ipc_adm_sql *m)
{
	ipc_put_textv(w, &m->query);
	return ipc_enc_result(w);
}

int
ipc_dec_adm_sql(const uint8_t *p, size_t n, struct ipc_adm_sql *m)
{
	struct ipc_rbuf r;

	memset(m, 0, sizeof(*m));
	ipc_rbuf_init(&r, p, n);
	ipc_get_textv(&r, &m->query, IPC_MAX_PAYLOAD);
	return ipc_dec_result(&r);
}
