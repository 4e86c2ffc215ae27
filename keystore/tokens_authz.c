/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tokens_authz.c — POST /authz-info: the Token Transfer (RFC 9200
 * §5.10.1, RFC 9594 §3.3, Group OSCORE profile §5.3).
 *
 * Request payload by Content-Format: application/cwt (61), application/
 * octet-stream (42) or none → the token itself; application/ace+cbor (19)
 * → { access_token (1): bstr, ? sign_info (45): null, ? ecdh_info (47):
 * null, ? kdc_dh_creds (48): null } with unknown keys ignored.  The
 * answer is 2.01, Content-Format 19, { ? sign_info (45), ? kdcchallenge
 * (46), ? ecdh_info (47), ? kdc_dh_creds (48) } — the OAuth label space,
 * not the ACE Groupcomm one (digest P1).
 *
 * A token posted over a DTLS session that is already bound to a token must
 * be bound to the same PoP key (RFC 9202 §4), else 4.01.  When
 * conf.max_tokens rows exist, a token for a new key is answered 5.03 with
 * Max-Age 60: the condition is temporary (tokens expire) and RFC 9200 names
 * no code for it; 4.13 would wrongly blame the request's size.
 */
#include "handlers.h"
#include "tokens_int.h"

#include "crypto.h"
#include "gm.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

#define FULL_MAX_AGE 60

struct authz_req {
	const uint8_t *token;
	size_t token_len;
	bool sign_info, ecdh_info, kdc_dh_creds; /* requested */
};

/* A requested parameter is present with the value null (RFC 9594 §3.3,
 * GO §5.3); present with another value is a bad request. */
static int
flag_param(const cbor_item_t *map, int64_t label, bool *out)
{
	const cbor_item_t *it = kdc_cbor_map_get(map, label);

	*out = it != NULL;
	return it == NULL || kdc_cbor_is_null(it) ? 0 : -1;
}

/* Returns 0, or a 4.00 with *why.  *root keeps the decoded map alive (the
 * token points into it). */
static int
parse_request(const struct ipc_authz_info *m, struct authz_req *a,
              cbor_item_t **root, const char **why)
{
	const struct kdc_cbor_limits lim = {.max_size = KS_TOK_MAX};
	const cbor_item_t *at;

	memset(a, 0, sizeof(*a));
	*root = NULL;
	switch (m->content_format) {
	case -1:
	case KDC_CF_CWT:
	case KDC_CF_OCTET_STREAM:
		a->token = m->payload.p;
		a->token_len = m->payload.n;
		return 0;
	case KDC_CF_ACE_CBOR:
		break;
	default:
		*why = "unsupported Content-Format";
		return KS_CODE(4, 0);
	}
	if (kdc_cbor_decode(m->payload.p, m->payload.n, &lim, root) !=
	    KDC_CBOR_OK) {
		*why = "payload is not well-formed CBOR";
		return KS_CODE(4, 0);
	}
	if (!cbor_isa_map(*root)) {
		*why = "payload is not a CBOR map";
		return KS_CODE(4, 0);
	}
	at = kdc_cbor_map_get(*root, KDC_OAUTH_ACCESS_TOKEN);
	if (at == NULL || !kdc_cbor_get_bstr(at, &a->token, &a->token_len)) {
		*why = "access_token missing or not a byte string";
		return KS_CODE(4, 0);
	}
	if (flag_param(*root, KDC_OAUTH_SIGN_INFO, &a->sign_info) != 0 ||
	    flag_param(*root, KDC_OAUTH_ECDH_INFO, &a->ecdh_info) != 0 ||
	    flag_param(*root, KDC_OAUTH_KDC_DH_CREDS, &a->kdc_dh_creds) != 0) {
		*why = "sign_info / ecdh_info / kdc_dh_creds must be null";
		return KS_CODE(4, 0);
	}
	return 0;
}

/* The algorithm parameters of a group for the sign_info / ecdh_info
 * encoders (no keying material needed, none loaded). */
static void
params_of(const struct ks_group *g, struct kdc_group_material *m)
{
	memset(m, 0, sizeof(*m));
	memcpy(m->name, g->cfg.name, sizeof(m->name));
	m->active = g->cfg.active;
	m->hkdf = g->cfg.hkdf;
	m->cred_fmt = g->cfg.cred_fmt;
	m->group_mode = g->cfg.group_mode;
	m->gp_enc_alg = g->cfg.gp_enc_alg;
	m->sign_alg = g->cfg.sign_alg;
	m->sign_crv = g->cfg.sign_crv;
	m->pairwise_mode = g->cfg.pairwise_mode;
	m->alg = g->cfg.alg;
	m->ecdh_alg = g->cfg.ecdh_alg;
	m->ecdh_crv = g->cfg.ecdh_crv;
}

static bool
pairwise_only(const struct ks_group *g)
{
	return g->cfg.pairwise_mode && !g->cfg.group_mode;
}

/* The groups of the scope that exist here, in scope order. */
static int
load_groups(struct ks *ks, const struct kdc_scope *s, struct ks_group **out,
            size_t *n)
{
	struct ks_group *v = calloc(s->n ? s->n : 1, sizeof(*v));

	*n = 0;
	*out = v;
	if (v == NULL)
		return -1;
	for (size_t i = 0; i < s->n; i++) {
		int rc = ks_store_group_by_name(ks->store, s->e[i].gname,
		                                &v[*n]);

		if (rc == KS_OK)
			(*n)++;
		else if (rc != KS_NOTFOUND)
			return -1;
	}
	return 0;
}

/* kdc_dh_creds entry of a pairwise-only group (GO §5.3.2): [gname,
 * cred_fmt, the KDC's Diffie-Hellman credential].  False if the KDC has no
 * DH key for the group's curve. */
static bool
dh_cred(struct ks *ks, const struct ks_group *g, struct ks_kdc_key *k)
{
	return ks_kdc_key_for_dh(ks, g->cfg.ecdh_crv, k) == KS_OK &&
	       k->cred_len > 0;
}

static int
encode_answer(struct ks *ks, const struct authz_req *a,
              const struct ks_tok_verified *v, struct kdc_cw *w)
{
	struct ks_group *g = NULL;
	struct ks_kdc_key *k = NULL;
	size_t ng = 0, nsign = 0, necdh = 0, ndh = 0, nmap;
	struct kdc_group_material m;
	int rc = -1;

	if ((a->sign_info || a->ecdh_info || a->kdc_dh_creds) &&
	    load_groups(ks, &v->scope, &g, &ng) != 0)
		goto out;
	k = kdc_secure_alloc(sizeof(*k));
	if (k == NULL)
		goto out;
	for (size_t i = 0; i < ng; i++) {
		/* sign_info names groups that are not pairwise-only,
		 * ecdh_info groups that are not signature-only (GO §5.3). */
		nsign += g[i].cfg.group_mode ? 1 : 0;
		necdh += g[i].cfg.pairwise_mode ? 1 : 0;
		ndh += pairwise_only(&g[i]) && dh_cred(ks, &g[i], k) ? 1 : 0;
	}
	nsign = a->sign_info ? nsign : 0;
	necdh = a->ecdh_info ? necdh : 0;
	ndh = a->kdc_dh_creds ? ndh : 0;
	/* Keys in ascending order (deterministic encoding); an array would
	 * have to be non-empty, so a parameter with no entry is omitted
	 * (RFC 9594 §3.3.1, GO §5.3.1, §5.3.2). */
	nmap = (nsign > 0) + (v->t.ns_len > 0) + (necdh > 0) + (ndh > 0);
	kdc_cw_map(w, nmap);
	if (nsign > 0) {
		kdc_cw_uint(w, KDC_OAUTH_SIGN_INFO);
		kdc_cw_array(w, nsign);
		for (size_t i = 0; i < ng; i++) {
			if (!g[i].cfg.group_mode)
				continue;
			params_of(&g[i], &m);
			kdc_gm_encode_sign_info_entry(w, &m);
		}
	}
	if (v->t.ns_len > 0) {
		kdc_cw_uint(w, KDC_OAUTH_KDCCHALLENGE);
		kdc_cw_bstr(w, v->t.ns, v->t.ns_len);
	}
	if (necdh > 0) {
		kdc_cw_uint(w, KDC_OAUTH_ECDH_INFO);
		kdc_cw_array(w, necdh);
		for (size_t i = 0; i < ng; i++) {
			if (!g[i].cfg.pairwise_mode)
				continue;
			params_of(&g[i], &m);
			kdc_gm_encode_ecdh_info_entry(w, &m);
		}
	}
	if (ndh > 0) {
		size_t done = 0;

		kdc_cw_uint(w, KDC_OAUTH_KDC_DH_CREDS);
		kdc_cw_array(w, ndh);
		for (size_t i = 0; i < ng && done < ndh; i++) {
			if (!pairwise_only(&g[i]) || !dh_cred(ks, &g[i], k))
				continue;
			kdc_cw_array(w, 3);
			kdc_cw_tstrz(w, g[i].cfg.name);
			kdc_cw_int(w, g[i].cfg.cred_fmt);
			kdc_cw_bstr(w, k->cred, k->cred_len);
			done++;
		}
		if (done != ndh) /* the keys changed under us: impossible */
			goto out;
	}
	rc = kdc_cw_ok(w) ? 0 : -1;
out:
	kdc_secure_free(k);
	free(g);
	return rc;
}

/* RFC 9202 §4: over a session bound to a token, only a token for the same
 * PoP key may update the authorisation.  0 same key, 1 not, -1 internal. */
static int
check_session_key(struct ks *ks, const struct ipc_authz_info *m,
                  const struct ks_token *t)
{
	struct ks_token *cur;
	int rc;

	if (m->transport != IPC_TRANSPORT_DTLS ||
	    !ipc_binding_is_set(&m->binding))
		return 0;
	cur = kdc_secure_alloc(sizeof(*cur));
	if (cur == NULL)
		return -1;
	rc = ks_store_token_by_handle(ks->store, &m->binding, false, cur);
	if (rc == KS_OK)
		rc = memcmp(cur->pop_fpr, t->pop_fpr, sizeof(t->pop_fpr)) == 0
		             ? 0
		             : 1;
	else
		rc = rc == KS_NOTFOUND ? 1 : -1;
	kdc_secure_free(cur);
	return rc;
}

static void
reply_refused(struct ks_req *r, int code, const char *why)
{
	if (code == KS_CODE(5, 3)) {
		struct ipc_coap_result res;

		memset(&res, 0, sizeof(res));
		res.code = KS_CODE(5, 3);
		res.content_format = -1;
		res.max_age = FULL_MAX_AGE;
		log_warn("authz-info from %s: token table full",
		         r->peer->actor);
		ks_reply_coap(r, &res);
		return;
	}
	/* batch.c logs the answer with its detail. */
	ks_reply_coap_error(r, (uint8_t)code, -1, why);
}

int
ks_h_authz_info(struct ks_req *r)
{
	struct ipc_authz_info m;
	struct authz_req a;
	struct ks_tok_verified *v = NULL;
	struct ipc_coap_result res;
	cbor_item_t *root = NULL;
	struct kdc_cw w;
	const char *why = "";
	bool replaced;
	int rc;

	if (ipc_dec_authz_info(r->payload, r->len, &m) != 0)
		return KS_H_MALFORMED;
	kdc_cw_init(&w);
	rc = parse_request(&m, &a, &root, &why);
	if (rc != 0)
		goto refuse;
	v = kdc_secure_alloc(sizeof(*v));
	if (v == NULL) {
		rc = -1;
		goto out;
	}
	rc = ks_tok_verify(r->ks, a.token, a.token_len, r->now, v, &why);
	if (rc != 0)
		goto refuse;
	rc = check_session_key(r->ks, &m, &v->t);
	if (rc > 0) {
		rc = KS_CODE(4, 1);
		why = "token not bound to this session's PoP key";
		goto refuse;
	}
	if (rc < 0)
		goto out;
	rc = ks_tok_store(r->ks, r->peer->actor, v, KS_VIA_AUTHZ_INFO, true,
	                  &replaced);
	if (rc > 0)
		why = rc == KS_CODE(4, 1) ? "token expired (exi)"
		                          : "token table full";
	if (rc != 0)
		goto refuse;
	if (encode_answer(r->ks, &a, v, &w) != 0) {
		rc = -1;
		goto out;
	}
	memset(&res, 0, sizeof(res));
	res.code = KS_CODE(2, 1);
	res.content_format = KDC_CF_ACE_CBOR;
	res.max_age = -1;
	res.payload.p = w.buf;
	res.payload.n = w.len;
	res.binding = v->t.handle;
	ks_reply_coap(r, &res);
	rc = 0;
	goto out;
refuse:
	if (rc > 0) {
		reply_refused(r, rc, why);
		rc = 0;
	}
out:
	kdc_cw_free(&w);
	if (root != NULL)
		cbor_decref(&root);
	kdc_secure_free(v);
	return rc < 0 ? KS_H_FAIL : KS_H_OK;
}
