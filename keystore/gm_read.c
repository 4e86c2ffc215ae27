/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gm_read.c — the read-only resources: FETCH /ace-group (RFC 9594 §4.2.1),
 * GET /ace-group/G (§4.3.2), /policies (§4.6.1), /num (§4.7.1), /active
 * (GO §9.9), /verif-data (GO §9.6), /kdc-cred GET (§4.5.1) and FETCH
 * (GO §9.5.2), /creds GET and FETCH (§4.4), /stale-sids FETCH (GO §11.3.1),
 * and the group list frontends use to create resources.
 *
 * Members' successful reads subscribe the frontend connection to the group
 * (a snapshot of the material is pushed before the answer) and tell it the
 * membership, so that later reads can be served from its cache.
 */
#include "gm.h"
#include "handlers.h"
#include "gm_peers.h"

#include "clock.h"
#include "crypto.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Answer with code, Content-Format and the writer's payload. */
static void
reply_payload(struct ks_req *r, uint8_t code, int32_t cf, struct kdc_cw *w,
              const struct gm_ctx *c)
{
	struct ipc_coap_result res;

	memset(&res, 0, sizeof(res));
	res.code = code;
	res.content_format = cf;
	res.max_age = -1;
	if (w != NULL) {
		res.payload.p = w->buf;
		res.payload.n = w->len;
	}
	if (c != NULL && c->is_member) {
		res.member_op = IPC_MEMBER_SET;
		memcpy(res.group, c->group.cfg.name, sizeof(res.group));
		memcpy(res.node, c->member.node, sizeof(res.node));
		res.perm = c->member.perm;
		res.has_sid = c->member.has_sid;
		res.sid.p = c->member.sid;
		res.sid.n = c->member.sid_len;
	}
	ks_reply_coap(r, &res);
}

/* A zero-length CBOR byte string (0x40) as payload: RFC 9594 §4.2.1,
 * §4.4.1, §4.6.1 "empty" answers (digest P6). */
static void
reply_empty_bstr(struct ks_req *r, const struct gm_ctx *c)
{
	struct kdc_cw w;

	kdc_cw_init(&w);
	kdc_cw_bstr(&w, NULL, 0);
	reply_payload(r, KS_CODE(2, 5), KDC_CF_ACE_GROUPCOMM, &w, c);
	kdc_cw_free(&w);
}

static bool
pairwise_only(const struct ks_group *g)
{
	return g->cfg.pairwise_mode && !g->cfg.group_mode;
}

/* ---- FETCH /ace-group ---- */

struct names {
	struct kdc_cw gids, names, uris;
	size_t n;
	const uint8_t *gid;
	size_t gid_len;
};

static int
names_cb(void *arg, const struct ks_group *g)
{
	struct names *s = arg;
	char uri[KDC_GNAME_MAX + 16];

	snprintf(uri, sizeof(uri), "/ace-group/%s", g->cfg.name);
	kdc_cw_bstr(&s->gids, s->gid, s->gid_len);
	kdc_cw_tstrz(&s->names, g->cfg.name);
	kdc_cw_tstrz(&s->uris, uri);
	s->n++;
	return 0;
}

int
ks_h_group_names(struct ks_req *r)
{
	struct ipc_group_names q;
	struct ks_token t;
	struct kdc_scope scope;
	struct names s;
	int rc = KS_H_OK;

	if (ipc_dec_group_names(r->payload, r->len, &q) != 0)
		return KS_H_MALFORMED;
	rc = gm_auth_token(r, &q.binding, &t, &scope);
	if (rc != 0) {
		free(q.gids);
		return rc == -1 ? KS_H_OK : KS_H_FAIL;
	}
	memset(&s, 0, sizeof(s));
	kdc_cw_init(&s.gids);
	kdc_cw_init(&s.names);
	kdc_cw_init(&s.uris);
	/* GO §9.10: only the current Gid of each group maps to it. */
	for (uint32_t i = 0; i < q.ngids && rc == KS_H_OK; i++) {
		s.gid = q.gids[i].p;
		s.gid_len = q.gids[i].n;
		if (ks_store_group_by_gid(r->ks->store, s.gid, s.gid_len,
		                          names_cb, &s) != KS_OK)
			rc = KS_H_FAIL;
	}
	if (rc == KS_H_OK) {
		if (s.n == 0) {
			reply_empty_bstr(r, NULL);
		} else {
			struct kdc_cw w;

			kdc_cw_init(&w);
			kdc_cw_map(&w, 3);
			kdc_cw_uint(&w, KDC_GC_GID);
			kdc_cw_array(&w, s.n);
			kdc_cw_raw(&w, s.gids.buf, s.gids.len);
			kdc_cw_uint(&w, KDC_GC_GNAME);
			kdc_cw_array(&w, s.n);
			kdc_cw_raw(&w, s.names.buf, s.names.len);
			kdc_cw_uint(&w, KDC_GC_GURI);
			kdc_cw_array(&w, s.n);
			kdc_cw_raw(&w, s.uris.buf, s.uris.len);
			if (kdc_cw_ok(&w) && kdc_cw_ok(&s.gids) &&
			    kdc_cw_ok(&s.names) && kdc_cw_ok(&s.uris))
				reply_payload(r, KS_CODE(2, 5),
				              KDC_CF_ACE_GROUPCOMM, &w, NULL);
			else
				rc = KS_H_FAIL;
			kdc_cw_free(&w);
		}
	}
	kdc_cw_free(&s.gids);
	kdc_cw_free(&s.names);
	kdc_cw_free(&s.uris);
	free(q.gids);
	return rc;
}

/* ---- GET /ace-group/G and its member-only sub-resources ---- */

static int
member_only(struct ks_req *r, const struct gm_ctx *c)
{
	if (c->is_member)
		return 0;
	/* RFC 9594 §4.3.2 etc.: 4.03 with error 0. */
	ks_reply_coap_error(r, KS_CODE(4, 3), KDC_ERR_ONLY_MEMBERS,
	                    "operation permitted only to group members");
	return -1;
}

static int
read_keys(struct ks_req *r, struct gm_ctx *c,
          const struct kdc_group_material *m)
{
	struct kdc_cw w;

	kdc_cw_init(&w);
	kdc_gm_encode_key_response(&w, m, NULL, 0, false, r->now);
	if (!kdc_cw_ok(&w)) {
		kdc_cw_free(&w);
		return KS_H_FAIL;
	}
	reply_payload(r, KS_CODE(2, 5), KDC_CF_ACE_GROUPCOMM, &w, c);
	kdc_cw_free(&w);
	return KS_H_OK;
}

static int
read_kdc_cred_get(struct ks_req *r, struct gm_ctx *c)
{
	struct kdc_cose_key pub;
	bool has_pub;
	struct kdc_cw w;
	int n;

	/* GET kdc-cred (RFC 9594 §4.5.1, GO §9.5.1): PoP over the stored
	 * clientchallenge, by the same method as in the Join Response. */
	has_pub = c->member.cred_len > 0 &&
	          gm_cred_check(&c->group, c->member.cred, c->member.cred_len,
	                        &pub) == 0;
	n = gm_kdc_pop_count(&c->group, has_pub ? &pub : NULL);
	if (n == 0 || c->member.cnonce_len == 0) {
		ks_reply_coap_error(r, KS_CODE(4, 0), -1,
		                    "no KDC credential applies to this member");
		return KS_H_OK;
	}
	kdc_cw_init(&w);
	kdc_cw_map(&w, (size_t)n);
	if (gm_kdc_pop_entries(r->ks, &c->group, c->member.cnonce,
	                       c->member.cnonce_len, has_pub ? &pub : NULL,
	                       &w) != 0 ||
	    !kdc_cw_ok(&w)) {
		kdc_cw_free(&w);
		return KS_H_FAIL;
	}
	reply_payload(r, KS_CODE(2, 5), KDC_CF_ACE_GROUPCOMM, &w, c);
	kdc_cw_free(&w);
	return KS_H_OK;
}

static int
group_read(struct ks_req *r, const struct ipc_group_read *q)
{
	struct gm_ctx c;
	struct kdc_group_material *m;
	struct kdc_cw w;
	int rc;

	rc = gm_auth(r, &q->binding, q->group, true, &c);
	if (rc != 0)
		return rc == -1 ? KS_H_OK : KS_H_FAIL;

	if (q->resource == IPC_RES_VERIF_DATA) {
		/* GO §9.6: verifiers only (not members), group mode only. */
		if (c.type != GM_T3) {
			ks_reply_coap_error(r, KS_CODE(4, 3),
			                    KDC_ERR_ONLY_VERIFIERS,
			                    "operation permitted only to "
			                    "signature verifiers");
			return KS_H_OK;
		}
		if (pairwise_only(&c.group)) {
			ks_reply_coap_error(r, KS_CODE(4, 0),
			                    KDC_ERR_SIGNATURES_NOT_USED,
			                    "signatures are not used in this "
			                    "group");
			return KS_H_OK;
		}
	} else if (member_only(r, &c) != 0) {
		return KS_H_OK;
	}

	m = kdc_secure_alloc(sizeof(*m));
	if (m == NULL || gm_material(r->ks, &c.group, m) != 0) {
		kdc_secure_free(m);
		return KS_H_FAIL;
	}
	if (c.is_member && ks_peer_subscribe(r, &c.group) != 0) {
		kdc_secure_free(m);
		return KS_H_FAIL;
	}
	rc = KS_H_OK;
	kdc_cw_init(&w);
	switch (q->resource) {
	case IPC_RES_KEYS:
		rc = read_keys(r, &c, m);
		break;
	case IPC_RES_POLICIES:
		kdc_gm_encode_policies(&w, m);
		reply_payload(r, KS_CODE(2, 5), KDC_CF_ACE_GROUPCOMM, &w, &c);
		break;
	case IPC_RES_NUM:
		/* A bare CBOR integer (RFC 9594 §4.7.1); application/cbor
		 * describes it (a 261 payload is a map; digest P7). */
		kdc_cw_uint(&w, m->num);
		reply_payload(r, KS_CODE(2, 5), KDC_CF_CBOR, &w, &c);
		break;
	case IPC_RES_ACTIVE:
		kdc_cw_bool(&w, m->active); /* GO §9.9 */
		reply_payload(r, KS_CODE(2, 5), KDC_CF_CBOR, &w, &c);
		break;
	case IPC_RES_VERIF_DATA:
		if (kdc_gm_encode_verif_data(&w, m, r->now) != 0)
			rc = KS_H_FAIL;
		else
			reply_payload(r, KS_CODE(2, 5), KDC_CF_ACE_GROUPCOMM,
			              &w, NULL);
		break;
	case IPC_RES_KDC_CRED:
		rc = read_kdc_cred_get(r, &c);
		break;
	default:
		rc = KS_H_MALFORMED;
		break;
	}
	kdc_cw_free(&w);
	kdc_secure_free(m);
	return rc;
}

int
ks_h_group_read(struct ks_req *r)
{
	struct ipc_group_read q;

	if (ipc_dec_group_read(r->payload, r->len, &q) != 0)
		return KS_H_MALFORMED;
	return group_read(r, &q);
}

/* ---- FETCH /ace-group/G/kdc-cred (GO §9.5.2) ---- */

int
ks_h_kdc_cred_fetch(struct ks_req *r)
{
	struct ipc_kdc_cred_fetch q;
	struct gm_ctx c;
	struct kdc_cw w;
	int rc;

	if (ipc_dec_kdc_cred_fetch(r->payload, r->len, &q) != 0)
		return KS_H_MALFORMED;
	rc = gm_auth(r, &q.binding, q.group, true, &c);
	if (rc != 0)
		return rc == -1 ? KS_H_OK : KS_H_FAIL;
	if (c.type != GM_T3) {
		ks_reply_coap_error(r, KS_CODE(4, 3), KDC_ERR_ONLY_VERIFIERS,
		                    "operation permitted only to signature "
		                    "verifiers");
		return KS_H_OK;
	}
	if (pairwise_only(&c.group)) {
		ks_reply_coap_error(r, KS_CODE(4, 0),
		                    KDC_ERR_SIGNATURES_NOT_USED,
		                    "signatures are not used in this group");
		return KS_H_OK;
	}
	if (q.cnonce.n == 0 || q.cnonce.n > KS_NONCE_MAX) {
		ks_reply_coap_error(r, KS_CODE(4, 0), -1, "cnonce missing");
		return KS_H_OK;
	}
	kdc_cw_init(&w);
	kdc_cw_map(&w, 3);
	if (gm_kdc_pop_entries(r->ks, &c.group, q.cnonce.p, q.cnonce.n, NULL,
	                       &w) != 0 ||
	    !kdc_cw_ok(&w)) {
		kdc_cw_free(&w);
		return KS_H_FAIL;
	}
	reply_payload(r, KS_CODE(2, 5), KDC_CF_ACE_GROUPCOMM, &w, NULL);
	kdc_cw_free(&w);
	return KS_H_OK;
}

/* ---- GET / FETCH /ace-group/G/creds (RFC 9594 §4.4) ---- */

static int
creds(struct ks_req *r, const struct ipc_creds *q)
{
	struct gm_ctx c;
	struct kdc_cw w;
	size_t n = 0;
	int rc;

	rc = gm_auth(r, &q->binding, q->group, true, &c);
	if (rc != 0)
		return rc == -1 ? KS_H_OK : KS_H_FAIL;
	/* Permitted to members (T1, T2) and signature verifiers (T3). */
	if (c.type == GM_T4) {
		ks_reply_coap_error(r, KS_CODE(4, 3), KDC_ERR_ONLY_MEMBERS,
		                    "operation permitted only to group members "
		                    "and signature verifiers");
		return KS_H_OK;
	}
	if (q->get_creds.kind == IPC_GET_CREDS_FILTER &&
	    q->get_creds.nroles == 0 && q->get_creds.nids == 0) {
		/* RFC 9594 §4.4.1: [x, [], []] is malformed. */
		ks_reply_coap_error(r, KS_CODE(4, 0), -1,
		                    "role_filter and id_filter both empty");
		return KS_H_OK;
	}
	if (q->get_creds.kind != IPC_GET_CREDS_FILTER &&
	    q->get_creds.kind != IPC_GET_CREDS_ALL)
		return KS_H_MALFORMED;
	if (gm_peers_encode(r->ks, &c.group, &q->get_creds, 0, 0, NULL, &n) !=
	    0)
		return KS_H_FAIL;
	if (n == 0) {
		reply_empty_bstr(r, NULL);
		return KS_H_OK;
	}
	kdc_cw_init(&w);
	kdc_cw_map(&w, 4);
	kdc_cw_uint(&w, KDC_GC_NUM); /* the text requires num (digest P9) */
	kdc_cw_uint(&w, c.group.num);
	if (gm_peers_encode(r->ks, &c.group, &q->get_creds, 0, 0, &w, &n) !=
	            0 ||
	    !kdc_cw_ok(&w)) {
		kdc_cw_free(&w);
		return KS_H_FAIL;
	}
	reply_payload(r, KS_CODE(2, 5), KDC_CF_ACE_GROUPCOMM, &w, NULL);
	kdc_cw_free(&w);
	return KS_H_OK;
}

int
ks_h_creds(struct ks_req *r)
{
	struct ipc_creds q;
	int rc;

	if (ipc_dec_creds(r->payload, r->len, &q) != 0)
		return KS_H_MALFORMED;
	rc = creds(r, &q);
	ipc_creds_free(&q);
	return rc;
}

/* ---- FETCH /ace-group/G/stale-sids (GO §11.3.1) ---- */

struct stale_acc {
	struct kdc_cw items; /* encoded bstr items */
	size_t n;
};

static int
stale_cb(void *arg, const uint8_t *sid, size_t n)
{
	struct stale_acc *a = arg;

	kdc_cw_bstr(&a->items, sid, n);
	a->n++;
	return 0;
}

int
ks_h_stale_sids(struct ks_req *r)
{
	struct ipc_stale_sids q;
	struct gm_ctx c;
	int64_t items;
	uint64_t skew;
	int rc;

	if (ipc_dec_stale_sids(r->payload, r->len, &q) != 0)
		return KS_H_MALFORMED;
	rc = gm_auth(r, &q.binding, q.group, true, &c);
	if (rc != 0)
		return rc == -1 ? KS_H_OK : KS_H_FAIL;
	if (member_only(r, &c) != 0)
		return KS_H_OK;
	if (q.version >= c.group.num) {
		ks_reply_coap_error(r, KS_CODE(4, 0), -1,
		                    "version is not older than the current "
		                    "one");
		return KS_H_OK;
	}
	if (ks_store_stale_count_sets(r->ks->store, c.group.id, &items) !=
	    KS_OK)
		return KS_H_FAIL;
	skew = c.group.num - q.version + 1;
	if (skew > (uint64_t)items) {
		/* Too old: no payload, the client drops everything. */
		reply_payload(r, KS_CODE(2, 5), -1, NULL, &c);
		return KS_H_OK;
	}
	{
		struct stale_acc a = {.n = 0};
		struct kdc_cw w;

		/* The union of the SKEW newest sets = versions V..V'. */
		kdc_cw_init(&a.items);
		if (ks_store_stale_union(r->ks->store, c.group.id, q.version,
		                         stale_cb, &a) != KS_OK) {
			kdc_cw_free(&a.items);
			return KS_H_FAIL;
		}
		kdc_cw_init(&w);
		kdc_cw_array(&w, a.n);
		kdc_cw_raw(&w, a.items.buf, a.items.len);
		if (kdc_cw_ok(&w) && kdc_cw_ok(&a.items))
			reply_payload(r, KS_CODE(2, 5), KDC_CF_CBOR, &w, &c);
		else
			rc = KS_H_FAIL;
		kdc_cw_free(&w);
		kdc_cw_free(&a.items);
	}
	return rc;
}

/* ---- the group list (resources of the frontends) ---- */

struct glist {
	struct ipc_view *v;
	size_t n, cap;
	char (*names)[KDC_GNAME_MAX + 1];
	bool failed;
};

static int
glist_cb(void *arg, const struct ks_group *g)
{
	struct glist *l = arg;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		void *a = realloc(l->names, cap * sizeof(*l->names));

		if (a == NULL) {
			l->failed = true;
			return 1;
		}
		l->names = a;
		l->cap = cap;
	}
	memcpy(l->names[l->n++], g->cfg.name, sizeof(l->names[0]));
	return 0;
}

int
ks_h_group_list(struct ks_req *r)
{
	struct glist l = {0};
	struct ipc_group_list_result res;
	struct ipc_wbuf w;
	int rc = KS_H_FAIL;

	if (r->len != 0)
		return KS_H_MALFORMED;
	if (ks_store_group_list(r->ks->store, glist_cb, &l) != KS_OK ||
	    l.failed)
		goto out;
	res.n = (uint32_t)l.n;
	res.names = calloc(l.n ? l.n : 1, sizeof(*res.names));
	if (res.names == NULL)
		goto out;
	for (size_t i = 0; i < l.n; i++) {
		res.names[i].p = (const uint8_t *)l.names[i];
		res.names[i].n = strlen(l.names[i]);
	}
	ipc_wbuf_init(&w);
	if (ipc_enc_group_list_result(&w, &res) == 0) {
		ks_reply(r, IPC_MSG_GROUP_LIST_RESULT, &w);
		rc = KS_H_OK;
	}
	ipc_wbuf_free(&w);
	free(res.names);
out:
	free(l.names);
	return rc;
}
