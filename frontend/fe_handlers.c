/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fe_handlers.c — requests that change state or need the keystore's
 * secrets: POST /authz-info (RFC 9200 §5.10.1, RFC 9594 §3.3), FETCH
 * /ace-group (§4.2.1), the Join (§4.3.1), nodes/NODENAME POST/DELETE
 * (§4.8.2, §4.8.3), nodes/NODENAME/cred (§4.9.1), and the unknown-resource
 * dispatcher.  Each validates what needs no state, turns the CBOR request
 * into a typed IPC message and relays the keystore's answer.  Unknown
 * request fields are ignored (RFC 9594 §4.1.2).
 */
#include "fe.h"
#include "fe_obs.h"
#include "fe_req.h"

#include "log.h"

#include <stdlib.h>
#include <string.h>

/* Type-checked field access: a present field of the wrong type is a
 * malformed request (4.00). */
static int
get_bstr(struct fe_req *x, const cbor_item_t *map, int64_t label, bool *has,
         struct ipc_view *v, const char *name)
{
	cbor_item_t *it = kdc_cbor_map_get(map, label);

	*has = false;
	if (it == NULL)
		return 0;
	if (!kdc_cbor_get_bstr(it, &v->p, &v->n)) {
		char d[64];

		snprintf(d, sizeof(d), "%s must be a byte string", name);
		return fe_req_fail(x, 400, d);
	}
	*has = true;
	return 0;
}

/* get_creds = null / [inclusion_flag, role_filter, id_filter], roles as
 * uint bitmaps (GO §6.1), ids as bstr Sender IDs.  The arrays point into
 * the item tree (kept alive by the caller) or are malloc'd. */
static int
get_creds(struct fe_req *x, const cbor_item_t *it, struct ipc_get_creds *gc)
{
	cbor_item_t *roles, *ids;
	bool incl;

	memset(gc, 0, sizeof(*gc));
	if (kdc_cbor_is_null(it)) {
		gc->kind = IPC_GET_CREDS_NULL;
		return 0;
	}
	if (kdc_cbor_array_len(it) != 3 ||
	    !kdc_cbor_get_bool(kdc_cbor_array_at(it, 0), &incl))
		return fe_req_fail(x, 400, "malformed get_creds");
	roles = kdc_cbor_array_at(it, 1);
	ids = kdc_cbor_array_at(it, 2);
	if (!cbor_isa_array(roles) || !cbor_isa_array(ids))
		return fe_req_fail(x, 400, "malformed get_creds");
	gc->kind = IPC_GET_CREDS_FILTER;
	gc->inclusion = incl;
	gc->nroles = (uint32_t)kdc_cbor_array_len(roles);
	gc->nids = (uint32_t)kdc_cbor_array_len(ids);
	if (gc->nroles > 0) {
		gc->roles = calloc(gc->nroles, sizeof(*gc->roles));
		if (gc->roles == NULL)
			return fe_req_fail(x, 500, "out of memory");
		for (uint32_t i = 0; i < gc->nroles; i++)
			if (!kdc_cbor_get_uint(kdc_cbor_array_at(roles, i),
			                       &gc->roles[i]))
				return fe_req_fail(x, 400,
				                   "role_filter elements must "
				                   "be role bitmaps");
	}
	if (gc->nids > 0) {
		gc->ids = calloc(gc->nids, sizeof(*gc->ids));
		if (gc->ids == NULL)
			return fe_req_fail(x, 500, "out of memory");
		for (uint32_t i = 0; i < gc->nids; i++)
			if (!kdc_cbor_get_bstr(kdc_cbor_array_at(ids, i),
			                       &gc->ids[i].p, &gc->ids[i].n))
				return fe_req_fail(x, 400,
				                   "id_filter elements must be "
				                   "byte strings");
	}
	return 0;
}

static void
get_creds_free(struct ipc_get_creds *gc)
{
	free(gc->roles);
	free(gc->ids);
	gc->roles = NULL;
	gc->ids = NULL;
}

/* ---- POST /authz-info ---- */

void
fe_hnd_authz_info(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
                  const coap_string_t *q, coap_pdu_t *resp)
{
	static const int cfs[] = {KDC_CF_CWT, KDC_CF_ACE_CBOR,
	                          KDC_CF_OCTET_STREAM, -1};
	struct fe_req x;
	struct ipc_authz_info m;
	struct ipc_wbuf w;
	int cf;

	if (fe_async_take(fe_g, r, s, req, q, resp))
		return;
	fe_req_init(&x, r, s, req, q, resp);
	if (fe_req_content_format(&x, cfs, sizeof(cfs) / sizeof(cfs[0]), &cf) !=
	            0 ||
	    fe_req_accept(&x, KDC_CF_ACE_CBOR) != 0 ||
	    fe_req_payload(&x) != 0 || fe_req_keystore(&x) != 0)
		return;
	if (x.payload_len == 0) {
		fe_req_fail(&x, 400, "no access token");
		return;
	}
	memset(&m, 0, sizeof(m));
	m.content_format = cf;
	m.payload.p = x.payload;
	m.payload.n = x.payload_len;
	m.transport = coap_session_get_proto(s) == COAP_PROTO_DTLS
	                      ? IPC_TRANSPORT_DTLS
	                      : IPC_TRANSPORT_PLAIN;
	if (x.binding != NULL)
		m.binding = x.binding->id;
	ipc_wbuf_init(&w);
	fe_req_forward(&x, IPC_MSG_AUTHZ_INFO, &w, ipc_enc_authz_info(&w, &m),
	               false);
	ipc_wbuf_free(&w);
}

/* ---- FETCH /ace-group ---- */

void
fe_hnd_ace_group_fetch(coap_resource_t *r, coap_session_t *s,
                       const coap_pdu_t *req, const coap_string_t *q,
                       coap_pdu_t *resp)
{
	static const int cfs[] = {KDC_CF_ACE_GROUPCOMM};
	struct fe_req x;
	cbor_item_t *map = NULL, *gids;
	struct ipc_group_names m;
	struct ipc_wbuf w;

	if (fe_async_take(fe_g, r, s, req, q, resp))
		return;
	fe_req_init(&x, r, s, req, q, resp);
	if (fe_req_secure(&x) != 0 ||
	    fe_req_content_format(&x, cfs, 1, NULL) != 0 ||
	    fe_req_accept(&x, KDC_CF_ACE_GROUPCOMM) != 0 ||
	    fe_req_cbor(&x, &map) != 0)
		return;
	memset(&m, 0, sizeof(m));
	gids = kdc_cbor_map_get(map, KDC_GC_GID);
	if (!cbor_isa_map(map) || gids == NULL || !cbor_isa_array(gids) ||
	    kdc_cbor_array_len(gids) == 0) {
		fe_req_fail(&x, 400, "gid array missing");
		goto out;
	}
	m.binding = x.binding->id;
	m.ngids = (uint32_t)kdc_cbor_array_len(gids);
	m.gids = calloc(m.ngids, sizeof(*m.gids));
	if (m.gids == NULL) {
		fe_req_fail(&x, 500, "out of memory");
		goto out;
	}
	for (uint32_t i = 0; i < m.ngids; i++) {
		if (!kdc_cbor_get_bstr(kdc_cbor_array_at(gids, i), &m.gids[i].p,
		                       &m.gids[i].n)) {
			fe_req_fail(&x, 400,
			            "gid elements must be byte strings");
			goto out;
		}
	}
	if (fe_req_keystore(&x) != 0)
		goto out;
	ipc_wbuf_init(&w);
	fe_req_forward(&x, IPC_MSG_GROUP_NAMES, &w, ipc_enc_group_names(&w, &m),
	               false);
	ipc_wbuf_free(&w);
out:
	free(m.gids);
	if (map != NULL)
		cbor_decref(&map);
}

/* ---- POST /ace-group/G: the Join ---- */

static int
control_uri_ok(const struct fe_req *x, const char *u, size_t n)
{
	char own[KDC_GNAME_MAX + 16];
	const char *path;
	size_t plen;

	/* An absolute coap/coaps URI; its path MUST NOT be the group's own
	 * resource (RFC 9594 §4.3.1). */
	if (n >= 7 && memcmp(u, "coap://", 7) == 0)
		path = u + 7;
	else if (n >= 8 && memcmp(u, "coaps://", 8) == 0)
		path = u + 8;
	else
		return -1;
	path = memchr(path, '/', n - (size_t)(path - u));
	if (path == NULL)
		return 0;
	plen = n - (size_t)(path - u);
	snprintf(own, sizeof(own), "/ace-group/%s", x->group);
	if (plen == strlen(own) && memcmp(path, own, plen) == 0)
		return -1;
	return 0;
}

void
fe_hnd_group_post(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
                  const coap_string_t *q, coap_pdu_t *resp)
{
	static const int cfs[] = {KDC_CF_ACE_GROUPCOMM};
	struct fe_req x;
	cbor_item_t *map = NULL, *it;
	struct ipc_join j;
	struct ipc_wbuf w;

	if (fe_async_take(fe_g, r, s, req, q, resp))
		return;
	fe_req_init(&x, r, s, req, q, resp);
	memset(&j, 0, sizeof(j));
	if (fe_req_secure(&x) != 0 || fe_req_group(&x) != 0 ||
	    fe_req_content_format(&x, cfs, 1, NULL) != 0 ||
	    fe_req_accept(&x, KDC_CF_ACE_GROUPCOMM) != 0 ||
	    fe_req_cbor(&x, &map) != 0)
		return;
	if (!cbor_isa_map(map)) {
		fe_req_fail(&x, 400, "the Join Request must be a CBOR map");
		goto out;
	}
	j.binding = x.binding->id;
	memcpy(j.group, x.group, sizeof(j.group));
	if (get_bstr(&x, map, KDC_GC_SCOPE, &j.has_scope, &j.scope, "scope") ||
	    get_bstr(&x, map, KDC_GC_CLIENT_CRED, &j.has_client_cred,
	             &j.client_cred, "client_cred") ||
	    get_bstr(&x, map, KDC_GC_CNONCE, &j.has_cnonce, &j.cnonce,
	             "cnonce") ||
	    get_bstr(&x, map, KDC_GC_CLIENT_CRED_VERIFY, &j.has_pop, &j.pop,
	             "client_cred_verify"))
		goto out;
	it = kdc_cbor_map_get(map, KDC_GC_GET_CREDS);
	if (it != NULL) {
		if (get_creds(&x, it, &j.get_creds) != 0)
			goto out;
		/* In a Join: null, or [true, non-empty roles, []] (P10). */
		if (j.get_creds.kind == IPC_GET_CREDS_FILTER &&
		    (!j.get_creds.inclusion || j.get_creds.nroles == 0 ||
		     j.get_creds.nids != 0)) {
			fe_req_fail(&x, 400,
			            "get_creds in a Join must be null or "
			            "[true, [roles], []]");
			goto out;
		}
	}
	it = kdc_cbor_map_get(map, KDC_GC_CONTROL_URI);
	if (it != NULL) {
		const char *u;
		size_t n;

		if (!kdc_cbor_get_tstr(it, &u, &n) ||
		    control_uri_ok(&x, u, n) != 0) {
			fe_req_fail(&x, 400, "invalid control_uri");
			goto out;
		}
		j.has_control_uri = true;
		j.control_uri.p = (const uint8_t *)u;
		j.control_uri.n = n;
	}
	if (!j.has_cnonce) {
		fe_req_fail(&x, 400, "cnonce missing");
		goto out;
	}
	if (fe_req_keystore(&x) != 0)
		goto out;
	fe_sess_exporter(x.sess, &j.exporter_ns);
	ipc_wbuf_init(&w);
	fe_req_forward(&x, IPC_MSG_JOIN, &w, ipc_enc_join(&w, &j), false);
	ipc_wbuf_free(&w);
out:
	get_creds_free(&j.get_creds);
	if (map != NULL)
		cbor_decref(&map);
}

/* ---- nodes/NODENAME and nodes/NODENAME/cred ---- */

static void
node_forward(struct fe_req *x, const char *node, uint8_t op)
{
	struct ipc_node m;
	struct ipc_wbuf w;

	memset(&m, 0, sizeof(m));
	m.binding = x->binding->id;
	memcpy(m.group, x->group, sizeof(m.group));
	snprintf(m.node, sizeof(m.node), "%s", node);
	m.op = op;
	ipc_wbuf_init(&w);
	fe_req_forward(x, IPC_MSG_NODE, &w, ipc_enc_node(&w, &m),
	               op == IPC_NODE_GET && fe_req_observe(x->req, 0));
	ipc_wbuf_free(&w);
}

static void
node_request(struct fe_req *x, const char *node)
{
	switch (coap_pdu_get_code(x->req)) {
	case COAP_REQUEST_CODE_GET:
		fe_read_node(x, node); /* cached when possible (fe_reads.c) */
		return;
	case COAP_REQUEST_CODE_POST:
		/* Key Renewal: POST with an empty payload (RFC 9594 §4.8.2;
		 * digest §0 item 1 on PUT vs POST). */
		if (fe_req_accept(x, KDC_CF_ACE_GROUPCOMM) != 0 ||
		    fe_req_keystore(x) != 0)
			return;
		node_forward(x, node, IPC_NODE_RENEW);
		return;
	case COAP_REQUEST_CODE_DELETE:
		if (fe_req_keystore(x) != 0)
			return;
		node_forward(x, node, IPC_NODE_LEAVE);
		return;
	default:
		fe_req_fail(x, 405, "method not allowed");
		return;
	}
}

static void
node_cred_request(struct fe_req *x, const char *node)
{
	static const int cfs[] = {KDC_CF_ACE_GROUPCOMM};
	cbor_item_t *map = NULL;
	struct ipc_node_cred m;
	struct ipc_wbuf w;

	if (coap_pdu_get_code(x->req) != COAP_REQUEST_CODE_POST) {
		fe_req_fail(x, 405, "method not allowed");
		return;
	}
	if (fe_req_content_format(x, cfs, 1, NULL) != 0 ||
	    fe_req_cbor(x, &map) != 0)
		return;
	memset(&m, 0, sizeof(m));
	if (!cbor_isa_map(map)) {
		fe_req_fail(x, 400, "the request must be a CBOR map");
		goto out;
	}
	m.binding = x->binding->id;
	memcpy(m.group, x->group, sizeof(m.group));
	snprintf(m.node, sizeof(m.node), "%s", node);
	if (get_bstr(x, map, KDC_GC_CLIENT_CRED, &m.has_client_cred,
	             &m.client_cred, "client_cred") ||
	    get_bstr(x, map, KDC_GC_CNONCE, &m.has_cnonce, &m.cnonce,
	             "cnonce") ||
	    get_bstr(x, map, KDC_GC_CLIENT_CRED_VERIFY, &m.has_pop, &m.pop,
	             "client_cred_verify"))
		goto out;
	if (!m.has_client_cred || !m.has_cnonce || !m.has_pop) {
		fe_req_fail(x, 400,
		            "client_cred, cnonce and client_cred_verify are "
		            "required");
		goto out;
	}
	if (fe_req_keystore(x) != 0)
		goto out;
	fe_sess_exporter(x->sess, &m.exporter_ns);
	ipc_wbuf_init(&w);
	fe_req_forward(x, IPC_MSG_NODE_CRED, &w, ipc_enc_node_cred(&w, &m),
	               false);
	ipc_wbuf_free(&w);
out:
	if (map != NULL)
		cbor_decref(&map);
}

/* Split "nodes/N[/cred]" → node name and whether it is the cred child. */
static int
node_path(const char *rest, char *node, size_t nlen, bool *cred)
{
	const char *n, *slash;
	size_t len;

	if (strncmp(rest, "nodes/", 6) != 0)
		return -1;
	n = rest + 6;
	slash = strchr(n, '/');
	len = slash != NULL ? (size_t)(slash - n) : strlen(n);
	if (len == 0 || len >= nlen)
		return -1;
	if (slash != NULL && strcmp(slash, "/cred") != 0)
		return -1;
	memcpy(node, n, len);
	node[len] = '\0';
	*cred = slash != NULL;
	return 0;
}

void
fe_hnd_node(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
            const coap_string_t *q, coap_pdu_t *resp)
{
	struct fe_req x;
	char node[IPC_NODE_MAX + 1];
	bool cred;

	if (fe_async_take(fe_g, r, s, req, q, resp))
		return;
	fe_req_init(&x, r, s, req, q, resp);
	if (fe_req_secure(&x) != 0 || fe_req_group(&x) != 0)
		return;
	if (node_path(x.rest, node, sizeof(node), &cred) != 0 || cred) {
		fe_req_fail(&x, 404, "no such resource");
		return;
	}
	node_request(&x, node);
}

void
fe_hnd_node_cred(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
                 const coap_string_t *q, coap_pdu_t *resp)
{
	struct fe_req x;
	char node[IPC_NODE_MAX + 1];
	bool cred;

	if (fe_async_take(fe_g, r, s, req, q, resp))
		return;
	fe_req_init(&x, r, s, req, q, resp);
	if (fe_req_secure(&x) != 0 || fe_req_group(&x) != 0)
		return;
	if (node_path(x.rest, node, sizeof(node), &cred) != 0 || !cred) {
		fe_req_fail(&x, 404, "no such resource");
		return;
	}
	node_cred_request(&x, node);
}

/* Requests for paths without a resource of their own: nodes of members
 * this frontend has not seen join, or names that do not exist. */
void
fe_hnd_unknown(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
               const coap_string_t *q, coap_pdu_t *resp)
{
	struct fe_req x;
	char node[IPC_NODE_MAX + 1];
	bool cred;

	if (fe_async_take(fe_g, r, s, req, q, resp))
		return;
	fe_req_init(&x, r, s, req, q, resp);
	if (fe_path_split(r, req, x.group, sizeof(x.group), x.rest,
	                  sizeof(x.rest)) != 0 ||
	    node_path(x.rest, node, sizeof(node), &cred) != 0) {
		fe_req_fail(&x, 404, "no such resource");
		return;
	}
	if (fe_req_secure(&x) != 0 || fe_req_group(&x) != 0)
		return;
	if (cred)
		node_cred_request(&x, node);
	else
		node_request(&x, node);
}
