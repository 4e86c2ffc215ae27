/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gm_join.c — POST /ace-group/GROUPNAME, the Join (RFC 9594 §4.3.1,
 * §4.3.1.1; Group OSCORE profile §6.1–§6.3, digest GO §4–§5).
 *
 * Processing order: token and scope (gm_auth: 4.01 / 4.04 / 4.03), the
 * Join scope (required by GO §6.1; 4.00 when missing, malformed, naming
 * another group or an invalid role set), requested ⊆ granted roles (4.03),
 * group active (5.03 err 9), cnonce present (4.00), credential and PoP
 * (GO §6.2 steps 1-4, 6: lost N_S → 4.00 with a new kdcchallenge; bad
 * credential → 4.00 err 2; bad PoP → 4.00 err 3), capacity and Sender ID
 * (5.03 err 4), then the membership update and the answer — right away, or
 * after the next rekey when the group requires backward security.
 */
#include "gm.h"
#include "handlers.h"
#include "gm_peers.h"
#include "rekey.h"

#include "clock.h"
#include "crypto.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS_LEN 16 /* N_S bytes (RFC 9594 §3.3.2: at least 8 recommended) */

/* 4.00 without problem details: GO §6.2 step 8 says its payload is an
 * application/ace-groupcomm+cbor map with sign_info / ecdh_info /
 * kdc_dh_creds for the group and, optionally, a new kdcchallenge. */
static int
reply_400_info(struct ks_req *r, const struct ks_group *g,
               const struct ks_token *t, bool new_ns, const char *detail)
{
	struct ipc_coap_result res;
	struct kdc_cw w;
	uint8_t ns[NS_LEN];

	if (new_ns) {
		/* RFC 9594 §4.3.1: the KDC MUST store the new N_S. */
		kdc_random(ns, sizeof(ns));
		if (ks_store_token_set_ns(r->ks->store, t->id, ns,
		                          sizeof(ns)) != KS_OK)
			return -1;
	}
	kdc_cw_init(&w);
	kdc_cw_map(&w, gm_join_error_info_count(g, new_ns));
	gm_join_error_info(r->ks, g, new_ns ? ns : NULL, sizeof(ns), &w);
	if (!kdc_cw_ok(&w)) {
		kdc_cw_free(&w);
		return -1;
	}
	memset(&res, 0, sizeof(res));
	res.code = KS_CODE(4, 0);
	res.content_format = KDC_CF_ACE_GROUPCOMM;
	res.max_age = -1;
	res.payload.p = w.buf;
	res.payload.n = w.len;
	log_info("join %s from %s refused: %s", g->cfg.name, r->peer->actor,
	         detail);
	ks_reply_coap(r, &res);
	kdc_cw_free(&w);
	return 0;
}

static bool
view_eq(const struct ipc_view *v, const uint8_t *p, size_t n)
{
	return v->n == n && (n == 0 || memcmp(v->p, p, n) == 0);
}

/* Copy get_creds (the request buffer dies with the handler; a parked join
 * keeps it until the rekey). */
static int
copy_get_creds(struct ipc_get_creds *dst, const struct ipc_get_creds *src)
{
	*dst = *src;
	dst->roles = NULL;
	dst->ids = NULL;
	if (src->nroles > 0) {
		dst->roles = malloc(src->nroles * sizeof(*dst->roles));
		if (dst->roles == NULL)
			return -1;
		memcpy(dst->roles, src->roles,
		       src->nroles * sizeof(*dst->roles));
	}
	if (src->nids > 0) {
		size_t total = 0;
		uint8_t *buf;

		for (uint32_t i = 0; i < src->nids; i++)
			total += src->ids[i].n;
		dst->ids = malloc(src->nids * sizeof(*dst->ids) + total + 1);
		if (dst->ids == NULL) {
			free(dst->roles);
			dst->roles = NULL;
			return -1;
		}
		buf = (uint8_t *)(dst->ids + src->nids);
		for (uint32_t i = 0; i < src->nids; i++) {
			memcpy(buf, src->ids[i].p, src->ids[i].n);
			dst->ids[i].p = buf;
			dst->ids[i].n = src->ids[i].n;
			buf += src->ids[i].n;
		}
	}
	return 0;
}

static void
parked_free(struct ks_parked_join *p)
{
	if (p == NULL)
		return;
	free(p->get_creds.roles);
	free(p->get_creds.ids);
	kdc_wipe(p, sizeof(*p));
	free(p);
}

void
gm_parked_join_free(struct ks_parked_join *p)
{
	parked_free(p);
}

int
gm_join_answer(struct ks *ks, struct ks_group *g,
               const struct ks_parked_join *p)
{
	struct ks_peer *peer = ks_peer_by_conn_id(ks, p->conn_id);
	struct kdc_group_material *m = NULL;
	struct ks_member mem;
	struct ipc_coap_result res;
	struct ks_req r;
	struct kdc_cw w;
	struct ipc_wbuf out;
	char loc[KDC_GNAME_MAX + IPC_NODE_MAX + 32];
	size_t nentries, npeers = 0;
	bool with_peers = p->get_creds.kind != IPC_GET_CREDS_ABSENT;
	int kdc_entries;
	int64_t now = kdc_now();
	int rc = -1;

	if (peer == NULL)
		return 0; /* the frontend went away; the client will retry */
	/* Reload the member row: a rekey may have run since the Join. */
	rc = ks_store_member_by_id(ks->store, p->member_id, &mem);
	if (rc == KS_NOTFOUND || (rc == KS_OK && mem.group_id != g->id))
		return 0; /* removed meanwhile (evicted, token expired) */
	if (rc != KS_OK)
		return -1;
	rc = -1;
	m = kdc_secure_alloc(sizeof(*m));
	if (m == NULL || gm_material(ks, g, m) != 0)
		goto out;

	memset(&r, 0, sizeof(r));
	r.ks = ks;
	r.peer = peer;
	r.reqid = p->reqid;
	r.type = IPC_MSG_JOIN;
	r.now = now;
	/* The frontend learns the group's state before the answer. */
	if (ks_peer_subscribe(&r, g) != 0)
		goto out;

	kdc_entries = gm_kdc_pop_count(g, p->has_pub ? &p->pub : NULL);
	if (with_peers && gm_peers_encode(ks, g, &p->get_creds, mem.perm,
	                                  mem.id, NULL, &npeers) != 0)
		goto out;
	/* gkty key num profile [exp exi] [creds roles ids] policies [kdc x3] */
	nentries = 4 + (m->exp != 0 ? 2 : 0) + (with_peers ? 3 : 0) + 1 +
	           (size_t)kdc_entries;

	kdc_cw_init(&w);
	kdc_cw_map(&w, nentries);
	kdc_cw_uint(&w, KDC_GC_GKTY);
	kdc_cw_uint(&w, KDC_GKTY_GROUP_OSCORE);
	kdc_cw_uint(&w, KDC_GC_KEY);
	kdc_gm_encode_key_object(&w, m, KDC_KEYOBJ_FULL, mem.sid, mem.sid_len,
	                         mem.has_sid);
	kdc_cw_uint(&w, KDC_GC_NUM);
	kdc_cw_uint(&w, m->num);
	kdc_cw_uint(&w, KDC_GC_ACE_GROUPCOMM_PROFILE);
	kdc_cw_uint(&w, KDC_PROFILE_GROUP_OSCORE);
	if (m->exp != 0) {
		kdc_cw_uint(&w, KDC_GC_EXP);
		kdc_cw_uint(&w, (uint64_t)m->exp);
		kdc_cw_uint(&w, KDC_GC_EXI);
		kdc_cw_uint(&w, kdc_gm_exi(m, now));
	}
	if (with_peers && gm_peers_encode(ks, g, &p->get_creds, mem.perm,
	                                  mem.id, &w, &npeers) != 0) {
		kdc_cw_free(&w);
		goto out;
	}
	kdc_cw_uint(&w, KDC_GC_GROUP_POLICIES);
	kdc_gm_encode_policies_map(&w, m);
	if (kdc_entries > 0 &&
	    gm_kdc_pop_entries(ks, g, p->nc, p->nc_len,
	                       p->has_pub ? &p->pub : NULL, &w) != 0) {
		kdc_cw_free(&w);
		goto out;
	}
	if (!kdc_cw_ok(&w)) {
		kdc_cw_free(&w);
		goto out;
	}

	snprintf(loc, sizeof(loc), "ace-group/%s/nodes/%s", g->cfg.name,
	         mem.node);
	memset(&res, 0, sizeof(res));
	res.code = p->created ? KS_CODE(2, 1) : KS_CODE(2, 4);
	res.content_format = KDC_CF_ACE_GROUPCOMM;
	res.max_age = -1;
	res.location_path.p = (const uint8_t *)loc;
	res.location_path.n = strlen(loc);
	res.payload.p = w.buf;
	res.payload.n = w.len;
	res.member_op = IPC_MEMBER_SET;
	memcpy(res.group, g->cfg.name, sizeof(res.group));
	memcpy(res.node, mem.node, sizeof(res.node));
	res.perm = mem.perm;
	res.has_sid = mem.has_sid;
	res.sid.p = mem.sid;
	res.sid.n = mem.sid_len;

	/* Other frontends caching this binding learn the new Sender ID. */
	{
		struct ks_token t;

		if (ks_store_token_by_id(ks->store, mem.token_id, false, &t) ==
		    KS_OK)
			gm_member_push_set(ks, g, &mem, &t.handle);
	}
	ipc_wbuf_init(&out);
	if (ipc_enc_coap_result(&out, &res) == 0) {
		ks_reply_to(ks, p->conn_id, p->reqid, IPC_MSG_COAP_RESULT,
		            &out);
		rc = 0;
	}
	ipc_wbuf_free(&out);
	kdc_cw_free(&w);
out:
	if (m != NULL)
		kdc_secure_free(m);
	return rc;
}

/* Result of the credential step: the credential to store and whether its
 * possession is proven. */
struct join_cred {
	const uint8_t *cred;
	size_t len;
	bool pop;
	bool has_pub;
	struct kdc_cose_key pub;
};

/*
 * GO §6.2 steps 1-4 and 6 for a non-monitor joiner.  Returns 0 with *jc
 * filled, -1 when an answer was queued, -2 on internal failure.
 */
static int
join_credential(struct ks_req *r, const struct ipc_join *j,
                const struct gm_ctx *c, struct join_cred *jc)
{
	const struct ks_member *cur = c->is_member ? &c->member : NULL;
	const struct ipc_view *cc = j->has_client_cred ? &j->client_cred : NULL;

	memset(jc, 0, sizeof(*jc));
	if (!j->has_pop) {
		/* Re-join keeping the stored credential (RFC 9594 §4.3.1.1,
		 * GO §6.2 step 2). */
		if (cur == NULL || cur->cred_len == 0) {
			if (reply_400_info(r, &c->group, &c->token, false,
			                   "client_cred and "
			                   "client_cred_verify required") != 0)
				return -2;
			return -1;
		}
		if (cc != NULL && cc->n > 0 &&
		    !view_eq(cc, cur->cred, cur->cred_len)) {
			ks_reply_coap_error(r, KS_CODE(4, 0), -1,
			                    "client_cred differs from the "
			                    "stored credential and no PoP "
			                    "evidence was given");
			return -1;
		}
		jc->cred = cur->cred;
		jc->len = cur->cred_len;
		jc->pop = cur->cred_pop;
	} else if (j->pop.n == 0) {
		/* Empty PoP (GO §6.2 step 3): acceptable only if possession of
		 * this very credential was already proven. */
		const uint8_t *cred = cc != NULL && cc->n > 0 ? cc->p
		                      : cur != NULL           ? cur->cred
		                                              : NULL;
		size_t len = cc != NULL && cc->n > 0 ? cc->n
		             : cur != NULL           ? cur->cred_len
		                                     : 0;
		bool proven = cur != NULL && cur->cred_pop && len > 0 &&
		              cur->cred_len == len &&
		              memcmp(cur->cred, cred, len) == 0;

		/* Or the credential's key is the raw public key that
		 * authenticated this DTLS session (GO §6.1: PoP achieved
		 * through the secure association). */
		if (!proven && len > 0 &&
		    c->token.pop_kind == KS_POP_ASYMMETRIC &&
		    gm_cred_check(&c->group, cred, len, &jc->pub) == 0 &&
		    kdc_cose_key_same_public(&jc->pub, &c->token.pop_key)) {
			proven = true;
			jc->has_pub = true;
		}

		if (!proven) {
			ks_reply_coap_error(r, KS_CODE(4, 0),
			                    KDC_ERR_INVALID_POP,
			                    "empty PoP evidence but possession "
			                    "of this credential was never "
			                    "proven");
			return -1;
		}
		jc->cred = cred;
		jc->len = len;
		jc->pop = true;
	} else {
		const uint8_t *ns;
		size_t ns_len;

		if (cc == NULL || cc->n == 0) {
			if (reply_400_info(r, &c->group, &c->token, false,
			                   "client_cred_verify without "
			                   "client_cred") != 0)
				return -2;
			return -1;
		}
		/* N_S: the DTLS exporter when the token came in the
		 * handshake (GO §6.1.1), else the stored kdcchallenge. */
		if (c->token.via == KS_VIA_DTLS) {
			ns = j->exporter_ns.p;
			ns_len = j->exporter_ns.n;
		} else {
			ns = c->token.ns;
			ns_len = c->token.ns_len;
		}
		if (ns_len == 0) {
			/* RFC 9594 §4.3.1: N_S lost → 4.00 with a new one. */
			if (reply_400_info(r, &c->group, &c->token, true,
			                   "no kdcchallenge on record") != 0)
				return -2;
			return -1;
		}
		if (gm_cred_check_stored(&c->group, cur, cc->p, cc->n,
		                         &jc->pub) != 0) {
			ks_reply_coap_error(r, KS_CODE(4, 0),
			                    KDC_ERR_CRED_INCOMPATIBLE,
			                    "credential not usable in this "
			                    "group");
			return -1;
		}
		jc->has_pub = true;
		if (gm_pop_verify(r->ks, &c->group, &jc->pub, j->scope.p,
		                  j->scope.n, ns, ns_len, j->cnonce.p,
		                  j->cnonce.n, j->pop.p, j->pop.n) != 0) {
			ks_reply_coap_error(r, KS_CODE(4, 0),
			                    KDC_ERR_INVALID_POP,
			                    "proof-of-possession evidence "
			                    "does not verify");
			return -1;
		}
		jc->cred = cc->p;
		jc->len = cc->n;
		jc->pop = true;
	}
	if (jc->len > KS_CRED_MAX) {
		ks_reply_coap_error(r, KS_CODE(4, 0), KDC_ERR_CRED_INCOMPATIBLE,
		                    "credential too large");
		return -1;
	}
	if (!jc->has_pub &&
	    gm_cred_check(&c->group, jc->cred, jc->len, &jc->pub) == 0)
		jc->has_pub = true;
	return 0;
}

static int
join(struct ks_req *r, const struct ipc_join *j)
{
	struct ks *ks = r->ks;
	struct gm_ctx c;
	struct kdc_scope_entry want;
	struct join_cred jc;
	struct ks_member mem;
	struct ks_parked_join *p;
	bool monitor_only, created;
	char sidhex[2 * KDC_SID_MAX + 1];
	int rc;

	rc = gm_auth(r, &j->binding, j->group, true, &c);
	if (rc != 0)
		return rc == -1 ? 0 : -1;
	/* GO §6.1: scope MUST be present; RFC 9594 §4.3.1: roles that cannot
	 * be determined → 4.00. */
	if (!j->has_scope) {
		ks_reply_coap_error(r, KS_CODE(4, 0), -1, "scope missing");
		return 0;
	}
	if (j->scope.n > KS_JOIN_SCOPE_MAX ||
	    kdc_scope_parse_entry(j->scope.p, j->scope.n, &want) !=
	            KDC_SCOPE_OK) {
		ks_reply_coap_error(r, KS_CODE(4, 0), -1, "malformed scope");
		return 0;
	}
	if (strcmp(want.gname, c.group.cfg.name) != 0) {
		ks_reply_coap_error(r, KS_CODE(4, 0), -1,
		                    "scope names another group");
		return 0;
	}
	if (!kdc_roles_joinable(want.perm)) {
		/* {Requester, Monitor}, {Responder, Monitor}, Verifier (a
		 * verifier cannot join as such, GO §8.5) and admin bits. */
		ks_reply_coap_error(r, KS_CODE(4, 0), -1,
		                    "role combination cannot join");
		return 0;
	}
	if ((want.perm & ~c.entry->perm) != 0) {
		ks_reply_coap_error(r, KS_CODE(4, 3), -1,
		                    "requested roles not granted by the "
		                    "access token");
		return 0;
	}
	if (!c.group.cfg.active) {
		ks_reply_coap_error(r, KS_CODE(5, 3), KDC_ERR_GROUP_INACTIVE,
		                    "the group is not active");
		return 0;
	}
	if (!j->has_cnonce || j->cnonce.n == 0 || j->cnonce.n > KS_NONCE_MAX) {
		ks_reply_coap_error(r, KS_CODE(4, 0), -1, "cnonce missing");
		return 0;
	}
	monitor_only = want.perm == KDC_PERM_MON;
	memset(&jc, 0, sizeof(jc));
	if (!monitor_only) {
		rc = join_credential(r, j, &c, &jc);
		if (rc != 0)
			return rc == -1 ? 0 : -1;
	}
	created = !c.is_member;
	if (created && c.group.cfg.max_members > 0) {
		int64_t n;

		if (ks_store_member_count(ks->store, c.group.id, &n) != KS_OK)
			return -1;
		if (n >= c.group.cfg.max_members) {
			ks_reply_coap_error(r, KS_CODE(5, 3),
			                    KDC_ERR_NO_INDIVIDUAL_MATERIAL,
			                    "the group is full");
			return 0;
		}
	}

	if (created) {
		memset(&mem, 0, sizeof(mem));
		mem.group_id = c.group.id;
		mem.token_id = c.token.id;
		mem.joined_at = r->now;
		gm_node_name(&c.group, mem.node);
	} else {
		mem = c.member;
	}
	/* Sender ID (GO §6.3): none for monitors; a re-joining member gets a
	 * new one and its old one goes into the current stale set. */
	if (!monitor_only) {
		uint8_t sid[8];
		size_t sid_len;

		rc = gm_sid_alloc(ks, &c.group, sid, &sid_len);
		if (rc < 0)
			return -1;
		if (rc == 1) {
			if (ks_store_group_set_counters(ks->store, &c.group) !=
			            KS_OK ||
			    ks_rekey_request(ks, &c.group,
			                     KS_REKEY_SID_SPACE) != 0)
				return -1;
			ks_reply_coap_error(r, KS_CODE(5, 3),
			                    KDC_ERR_NO_INDIVIDUAL_MATERIAL,
			                    "no Sender ID available until the "
			                    "next rekeying");
			return 0;
		}
		if (mem.has_sid &&
		    ks_store_stale_add(ks->store, c.group.id, c.group.num,
		                       mem.sid, mem.sid_len) != KS_OK)
			return -1;
		memcpy(mem.sid, sid, sid_len);
		mem.sid_len = sid_len;
		mem.has_sid = true;
		memcpy(mem.cred, jc.cred, jc.len);
		mem.cred_len = jc.len;
		mem.cred_pop = jc.pop;
	} else {
		if (mem.has_sid &&
		    ks_store_stale_add(ks->store, c.group.id, c.group.num,
		                       mem.sid, mem.sid_len) != KS_OK)
			return -1;
		mem.has_sid = false;
		mem.sid_len = 0;
		/* A monitor sends nothing: no credential is kept (GO §2). */
		mem.cred_len = 0;
		mem.cred_pop = false;
	}
	mem.perm = want.perm;
	memcpy(mem.cnonce, j->cnonce.p, j->cnonce.n); /* clientchallenge */
	mem.cnonce_len = j->cnonce.n;
	memcpy(mem.join_scope, j->scope.p, j->scope.n);
	mem.join_scope_len = j->scope.n;
	if (j->has_control_uri) {
		if (j->control_uri.n > KS_URI_MAX) {
			ks_reply_coap_error(r, KS_CODE(4, 0), -1,
			                    "control_uri too long");
			return 0;
		}
		memcpy(mem.control_uri, j->control_uri.p, j->control_uri.n);
		mem.control_uri[j->control_uri.n] = '\0';
	}
	memcpy(mem.birth_gid, c.group.gid, c.group.gid_len); /* GO §6.3 */
	mem.birth_gid_len = c.group.gid_len;
	mem.updated_at = r->now;
	rc = created ? ks_store_member_add(ks->store, &mem)
	             : ks_store_member_update(ks->store, &mem);
	if (rc != KS_OK)
		return -1;
	if (ks_store_group_set_counters(ks->store, &c.group) != KS_OK)
		return -1;
	ks_audit(r, created ? "join" : "rejoin", c.group.cfg.name, mem.node,
	         "roles=%llu sid=%s", (unsigned long long)mem.perm,
	         mem.has_sid
	                 ? kdc_hex(sidhex, sizeof(sidhex), mem.sid, mem.sid_len)
	                 : "-");
	log_info("group %s: %s %s (roles %llu, Sender ID %s)", c.group.cfg.name,
	         mem.node, created ? "joined" : "re-joined",
	         (unsigned long long)mem.perm, mem.has_sid ? sidhex : "none");
	ks->stats.joins++;

	p = calloc(1, sizeof(*p));
	if (p == NULL || copy_get_creds(&p->get_creds, &j->get_creds) != 0) {
		free(p);
		return -1;
	}
	p->conn_id = r->peer->conn_id;
	p->reqid = r->reqid;
	p->member_id = mem.id;
	p->created = created;
	memcpy(p->nc, j->cnonce.p, j->cnonce.n);
	p->nc_len = j->cnonce.n;
	p->has_pub = jc.has_pub;
	p->pub = jc.pub;
	/* Backward security (RFC 9594 §4.3.1, GO §6.4): the joiner gets
	 * material nobody used before it joined, so the answer waits for the
	 * group's next rekey, which folds every join of the interval. */
	if (c.group.cfg.rekey_on_join)
		return ks_rekey_park_join(ks, &c.group, p) == 0 ? 0 : -1;
	rc = gm_join_answer(ks, &c.group, p);
	parked_free(p);
	return rc;
}

int
ks_h_join(struct ks_req *r)
{
	struct ipc_join j;
	int rc;

	if (ipc_dec_join(r->payload, r->len, &j) != 0)
		return KS_H_MALFORMED;
	rc = join(r, &j);
	ipc_join_free(&j);
	return rc;
}
