/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fe_reads.c — reads: GET /ace-group/G (RFC 9594 §4.3.2, observable for
 * Point-to-Point rekeying, §6.1), GET/FETCH of its sub-resources (§4.4–§4.7,
 * GO §8–§9) and GET nodes/NODENAME (§4.8.1).
 *
 * A member's GET of the group, /num, /policies, /active or its node is
 * answered from the cache when the keystore has told this frontend both the
 * membership and the group's current material; otherwise it goes to the
 * keystore, whose answer also fills the cache.  Observe notifications are
 * always answered from the cache (a notification cannot wait for a round
 * trip); when the cache cannot answer, the observation is ended.
 */
#include "fe.h"
#include "fe_obs.h"
#include "fe_req.h"

#include "cbor_out.h"
#include "clock.h"
#include "log.h"

#include <string.h>

static void
reply_writer(struct fe_req *x, int code, int cf, struct kdc_cw *w)
{
	if (!kdc_cw_ok(w)) {
		fe_reply_code(x->resp, 500);
		return;
	}
	fe_reply_payload(x->r, x->s, x->req, x->q, x->resp, code, cf, w->buf,
	                 w->len, -1);
}

static void
forward_read(struct fe_req *x, uint8_t resource, bool observe)
{
	struct ipc_group_read m;
	struct ipc_wbuf w;

	memset(&m, 0, sizeof(m));
	m.binding = x->binding->id;
	memcpy(m.group, x->group, sizeof(m.group));
	m.resource = resource;
	ipc_wbuf_init(&w);
	fe_req_forward(x, IPC_MSG_GROUP_READ, &w, ipc_enc_group_read(&w, &m),
	               observe);
	ipc_wbuf_free(&w);
}

/* An established observation that the cache cannot serve ends here:
 * a notification cannot wait for the keystore. */
static bool
end_observation(struct fe_req *x, struct fe_obs *o)
{
	if (o == NULL)
		return false;
	if (!fe_g->ks_up) {
		fe_reply_unavailable(fe_g, x->resp);
	} else if (o->kind == FE_OBS_NODE) {
		/* Eviction notice (RFC 9594 §5, §4.8.1): 4.04, error 5. */
		fe_req_problem(x, 404, KDC_ERR_MEMBERSHIP_TERMINATED,
		               "group membership terminated");
	} else {
		fe_req_problem(x, 403, KDC_ERR_ONLY_MEMBERS,
		               "operation permitted only to group members");
	}
	fe_obs_remove(fe_g, o);
	return true;
}

static struct fe_obs *
observation(struct fe_req *x)
{
	struct fe_obs *o = fe_obs_find(fe_g, x->s, x->req);

	if (fe_req_observe(x->req, 1) && o != NULL) {
		/* Deregistration (RFC 7641 §3.6). */
		fe_obs_remove(fe_g, o);
		return NULL;
	}
	return o;
}

void
fe_hnd_group_get(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
                 const coap_string_t *q, coap_pdu_t *resp)
{
	struct fe_req x;
	struct fe_membership *m;
	struct fe_obs *o;
	struct kdc_cw w;
	bool observe;

	if (fe_async_take(fe_g, r, s, req, q, resp))
		return;
	fe_req_init(&x, r, s, req, q, resp);
	o = observation(&x);
	if (fe_req_secure(&x) != 0) {
		if (o != NULL)
			fe_obs_remove(fe_g, o);
		return;
	}
	if (fe_req_group(&x) != 0) { /* includes 4.04 err 6 when deleted */
		if (o != NULL)
			fe_obs_remove(fe_g, o);
		return;
	}
	if (fe_req_accept(&x, KDC_CF_ACE_GROUPCOMM) != 0)
		return;
	observe = fe_req_observe(req, 0);
	m = fe_binding_member(x.binding, x.g);
	if (m != NULL && x.g->material != NULL) {
		const struct kdc_group_material *mat = x.g->material;

		kdc_cw_init(&w);
		if (o != NULL && o->kind == FE_OBS_GROUP &&
		    o->served_num < mat->num) {
			/* A notification: the Point-to-Point rekeying message
			 * (RFC 9594 §6.1, GO §11.1). */
			kdc_gm_encode_rekey(&w, mat, x.g->stale_ptr,
			                    x.g->stale_len, x.g->nstale,
			                    x.g->joiners, x.g->njoiners,
			                    kdc_now());
		} else {
			kdc_gm_encode_key_response(&w, mat, NULL, 0, false,
			                           kdc_now());
		}
		reply_writer(&x, 205, KDC_CF_ACE_GROUPCOMM, &w);
		kdc_cw_free(&w);
		if (observe) {
			if (o == NULL)
				o = fe_obs_add(fe_g, s, req, x.g, FE_OBS_GROUP,
				               NULL);
			if (o != NULL)
				o->served_num = mat->num;
		}
		return;
	}
	if (end_observation(&x, o) || fe_req_keystore(&x) != 0)
		return;
	forward_read(&x, IPC_RES_KEYS, observe);
}

/* GET on creds, kdc-cred, policies, num, active, verif-data. */
void
fe_hnd_sub_get(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
               const coap_string_t *q, coap_pdu_t *resp)
{
	struct fe_req x;
	struct fe_membership *m;
	struct fe_obs *o;
	struct kdc_cw w;
	bool observe;

	if (fe_async_take(fe_g, r, s, req, q, resp))
		return;
	fe_req_init(&x, r, s, req, q, resp);
	o = observation(&x);
	if (fe_req_secure(&x) != 0 || fe_req_group(&x) != 0) {
		if (o != NULL)
			fe_obs_remove(fe_g, o);
		return;
	}
	observe = fe_req_observe(req, 0) && strcmp(x.rest, "active") == 0;
	m = fe_binding_member(x.binding, x.g);

	if (strcmp(x.rest, "num") == 0 || strcmp(x.rest, "active") == 0) {
		if (fe_req_accept(&x, KDC_CF_CBOR) != 0)
			return;
		if (m != NULL && x.g->material != NULL) {
			kdc_cw_init(&w);
			if (x.rest[0] == 'n')
				kdc_cw_uint(&w, x.g->material->num);
			else
				kdc_cw_bool(&w, x.g->material->active);
			reply_writer(&x, 205, KDC_CF_CBOR, &w);
			kdc_cw_free(&w);
			if (observe && o == NULL)
				fe_obs_add(fe_g, s, req, x.g, FE_OBS_ACTIVE,
				           NULL);
			return;
		}
		if (end_observation(&x, o) || fe_req_keystore(&x) != 0)
			return;
		forward_read(&x,
		             x.rest[0] == 'n' ? IPC_RES_NUM : IPC_RES_ACTIVE,
		             observe);
		return;
	}
	if (fe_req_accept(&x, KDC_CF_ACE_GROUPCOMM) != 0)
		return;
	if (strcmp(x.rest, "policies") == 0 && m != NULL &&
	    x.g->material != NULL) {
		kdc_cw_init(&w);
		kdc_gm_encode_policies(&w, x.g->material);
		reply_writer(&x, 205, KDC_CF_ACE_GROUPCOMM, &w);
		kdc_cw_free(&w);
		return;
	}
	if (fe_req_keystore(&x) != 0)
		return;
	if (strcmp(x.rest, "policies") == 0) {
		forward_read(&x, IPC_RES_POLICIES, false);
	} else if (strcmp(x.rest, "verif-data") == 0) {
		forward_read(&x, IPC_RES_VERIF_DATA, false);
	} else if (strcmp(x.rest, "kdc-cred") == 0) {
		forward_read(&x, IPC_RES_KDC_CRED, false);
	} else if (strcmp(x.rest, "creds") == 0) {
		struct ipc_creds c;
		struct ipc_wbuf wb;

		memset(&c, 0, sizeof(c));
		c.binding = x.binding->id;
		memcpy(c.group, x.group, sizeof(c.group));
		c.get_creds.kind = IPC_GET_CREDS_ALL;
		ipc_wbuf_init(&wb);
		fe_req_forward(&x, IPC_MSG_CREDS, &wb, ipc_enc_creds(&wb, &c),
		               false);
		ipc_wbuf_free(&wb);
	} else {
		fe_req_fail(&x, 404, "no such resource");
	}
}

/* FETCH on creds (get_creds filter), kdc-cred (cnonce), stale-sids
 * (version). */
void
fe_hnd_sub_fetch(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
                 const coap_string_t *q, coap_pdu_t *resp)
{
	static const int cf261[] = {KDC_CF_ACE_GROUPCOMM};
	static const int cf60[] = {KDC_CF_CBOR};
	struct fe_req x;
	cbor_item_t *item = NULL, *it;
	struct ipc_wbuf w;
	bool stale;

	if (fe_async_take(fe_g, r, s, req, q, resp))
		return;
	fe_req_init(&x, r, s, req, q, resp);
	if (fe_req_secure(&x) != 0 || fe_req_group(&x) != 0)
		return;
	stale = strcmp(x.rest, "stale-sids") == 0;
	/* GO §11.3.1: the version is a bare uint (application/cbor). */
	if (fe_req_content_format(&x, stale ? cf60 : cf261, 1, NULL) != 0 ||
	    fe_req_accept(&x, stale ? KDC_CF_CBOR : KDC_CF_ACE_GROUPCOMM) !=
	            0 ||
	    fe_req_cbor(&x, &item) != 0)
		return;
	ipc_wbuf_init(&w);
	if (stale) {
		struct ipc_stale_sids m;

		memset(&m, 0, sizeof(m));
		if (!kdc_cbor_get_uint(item, &m.version)) {
			fe_req_fail(&x, 400,
			            "the version must be an unsigned "
			            "integer");
			goto out;
		}
		m.binding = x.binding->id;
		memcpy(m.group, x.group, sizeof(m.group));
		if (fe_req_keystore(&x) != 0)
			goto out;
		fe_req_forward(&x, IPC_MSG_STALE_SIDS, &w,
		               ipc_enc_stale_sids(&w, &m), false);
	} else if (strcmp(x.rest, "kdc-cred") == 0) {
		struct ipc_kdc_cred_fetch m;

		memset(&m, 0, sizeof(m));
		it = cbor_isa_map(item) ? kdc_cbor_map_get(item, KDC_GC_CNONCE)
		                        : NULL;
		if (it == NULL ||
		    !kdc_cbor_get_bstr(it, &m.cnonce.p, &m.cnonce.n)) {
			fe_req_fail(&x, 400, "cnonce missing");
			goto out;
		}
		m.binding = x.binding->id;
		memcpy(m.group, x.group, sizeof(m.group));
		if (fe_req_keystore(&x) != 0)
			goto out;
		fe_req_forward(&x, IPC_MSG_KDC_CRED_FETCH, &w,
		               ipc_enc_kdc_cred_fetch(&w, &m), false);
	} else { /* creds */
		struct ipc_creds m;
		cbor_item_t *roles, *ids;
		bool incl;

		memset(&m, 0, sizeof(m));
		it = cbor_isa_map(item)
		             ? kdc_cbor_map_get(item, KDC_GC_GET_CREDS)
		             : NULL;
		if (it == NULL || kdc_cbor_array_len(it) != 3 ||
		    !kdc_cbor_get_bool(kdc_cbor_array_at(it, 0), &incl) ||
		    !cbor_isa_array(roles = kdc_cbor_array_at(it, 1)) ||
		    !cbor_isa_array(ids = kdc_cbor_array_at(it, 2))) {
			fe_req_fail(&x, 400, "malformed get_creds");
			goto out;
		}
		m.binding = x.binding->id;
		memcpy(m.group, x.group, sizeof(m.group));
		m.get_creds.kind = IPC_GET_CREDS_FILTER;
		m.get_creds.inclusion = incl;
		m.get_creds.nroles = (uint32_t)kdc_cbor_array_len(roles);
		m.get_creds.nids = (uint32_t)kdc_cbor_array_len(ids);
		if (m.get_creds.nroles > 0)
			m.get_creds.roles =
			        calloc(m.get_creds.nroles, sizeof(uint64_t));
		if (m.get_creds.nids > 0)
			m.get_creds.ids = calloc(m.get_creds.nids,
			                         sizeof(struct ipc_view));
		if ((m.get_creds.nroles > 0 && m.get_creds.roles == NULL) ||
		    (m.get_creds.nids > 0 && m.get_creds.ids == NULL)) {
			fe_req_fail(&x, 500, "out of memory");
			goto creds_out;
		}
		for (uint32_t i = 0; i < m.get_creds.nroles; i++) {
			if (!kdc_cbor_get_uint(kdc_cbor_array_at(roles, i),
			                       &m.get_creds.roles[i])) {
				fe_req_fail(&x, 400,
				            "role_filter elements must be "
				            "role bitmaps");
				goto creds_out;
			}
		}
		for (uint32_t i = 0; i < m.get_creds.nids; i++) {
			if (!kdc_cbor_get_bstr(kdc_cbor_array_at(ids, i),
			                       &m.get_creds.ids[i].p,
			                       &m.get_creds.ids[i].n)) {
				fe_req_fail(&x, 400,
				            "id_filter elements must be byte "
				            "strings");
				goto creds_out;
			}
		}
		if (fe_req_keystore(&x) == 0) {
			fe_req_forward(&x, IPC_MSG_CREDS, &w,
			               ipc_enc_creds(&w, &m), false);
		}
	creds_out:
		free(m.get_creds.roles);
		free(m.get_creds.ids);
	}
out:
	ipc_wbuf_free(&w);
	if (item != NULL)
		cbor_decref(&item);
}

/* GET nodes/NODENAME (called from fe_handlers.c). */
void
fe_read_node(struct fe_req *x, const char *node)
{
	struct fe_membership *m;
	struct fe_obs *o = observation(x);
	bool observe = fe_req_observe(x->req, 0);
	struct kdc_cw w;

	if (fe_req_accept(x, KDC_CF_ACE_GROUPCOMM) != 0)
		return;
	m = fe_binding_member(x->binding, x->g);
	if (m != NULL && x->g->material != NULL) {
		if (strcmp(m->node, node) != 0) {
			fe_req_fail(x, 403, "NODENAME is not the requester's");
			return;
		}
		kdc_cw_init(&w);
		/* group_SenderId inside `key` (GO §9.1). */
		kdc_gm_encode_key_response(&w, x->g->material, m->sid,
		                           m->sid_len, m->has_sid, kdc_now());
		reply_writer(x, 205, KDC_CF_ACE_GROUPCOMM, &w);
		kdc_cw_free(&w);
		if (observe && o == NULL)
			fe_obs_add(fe_g, x->s, x->req, x->g, FE_OBS_NODE, node);
		return;
	}
	if (end_observation(x, o) || fe_req_keystore(x) != 0)
		return;
	{
		struct ipc_node n;
		struct ipc_wbuf wb;

		memset(&n, 0, sizeof(n));
		n.binding = x->binding->id;
		memcpy(n.group, x->group, sizeof(n.group));
		snprintf(n.node, sizeof(n.node), "%s", node);
		n.op = IPC_NODE_GET;
		ipc_wbuf_init(&wb);
		fe_req_forward(x, IPC_MSG_NODE, &wb, ipc_enc_node(&wb, &n),
		               observe);
		ipc_wbuf_free(&wb);
	}
}
