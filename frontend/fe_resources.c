/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fe_resources.c — the CoAP resource tree (RFC 9594 §4.1, digest §6, GO
 * §8): /authz-info, /ace-group, and per group /ace-group/G with creds,
 * kdc-cred, policies, num, active, verif-data, stale-sids, and
 * nodes/NODENAME[/cred].  Group resources follow the keystore's group list;
 * node resources are created when a member is learnt (so that they can be
 * observed) and otherwise reached through libcoap's unknown-resource
 * handler.  A method a resource does not have is answered 4.05 by libcoap.
 */
#include "fe.h"
#include "fe_obs.h"

#include "clock.h"
#include "crypto.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FE_DELETE_GRACE_MS 2000 /* let 4.04 notifications leave first */

static coap_resource_t *
mk(struct fe *fe, const char *path)
{
	coap_str_const_t *p =
	        coap_new_str_const((const uint8_t *)path, strlen(path));
	coap_resource_t *r;

	if (p == NULL)
		return NULL;
	r = coap_resource_init(p, COAP_RESOURCE_FLAGS_RELEASE_URI);
	if (r == NULL) {
		coap_delete_str_const(p);
		return NULL;
	}
	coap_add_resource(fe->coap, r);
	return r;
}

static void
attr(coap_resource_t *r, const char *name, const char *value)
{
	coap_add_attr(r, coap_make_str_const(name), coap_make_str_const(value),
	              0);
}

int
fe_resources_init(struct fe *fe)
{
	coap_resource_t *r;

	/* RFC 9200 §5.10.1: POST only (GET/PUT/DELETE SHOULD NOT). */
	r = mk(fe, "authz-info");
	if (r == NULL)
		return -1;
	coap_register_request_handler(r, COAP_REQUEST_POST, fe_hnd_authz_info);
	attr(r, "rt", "\"ace.ai\"");

	r = mk(fe, "ace-group");
	if (r == NULL)
		return -1;
	coap_register_request_handler(r, COAP_REQUEST_FETCH,
	                              fe_hnd_ace_group_fetch);
	attr(r, "if", "\"ace.groups\"");

	/* Everything else under ace-group/ that has no resource of its own
	 * yet (nodes of members that joined elsewhere, unknown groups). */
	r = coap_resource_unknown_init2(fe_hnd_unknown, 0);
	if (r == NULL)
		return -1;
	coap_register_request_handler(r, COAP_REQUEST_GET, fe_hnd_unknown);
	coap_register_request_handler(r, COAP_REQUEST_POST, fe_hnd_unknown);
	coap_register_request_handler(r, COAP_REQUEST_DELETE, fe_hnd_unknown);
	coap_register_request_handler(r, COAP_REQUEST_FETCH, fe_hnd_unknown);
	coap_register_request_handler(r, COAP_REQUEST_PATCH, fe_hnd_unknown);
	coap_register_request_handler(r, COAP_REQUEST_IPATCH, fe_hnd_unknown);
	coap_add_resource(fe->coap, r);
	return 0;
}

struct fe_group *
fe_group_find(struct fe *fe, const char *name)
{
	for (struct fe_group *g = fe->groups; g != NULL; g = g->next)
		if (!g->deleted && strcmp(g->name, name) == 0)
			return g;
	return NULL;
}

static const struct {
	const char *name;
	coap_method_handler_t get, fetch;
} subs[] = {
        {"creds", fe_hnd_sub_get, fe_hnd_sub_fetch},
        {"kdc-cred", fe_hnd_sub_get, fe_hnd_sub_fetch},
        {"policies", fe_hnd_sub_get, NULL},
        {"num", fe_hnd_sub_get, NULL},
        {"verif-data", fe_hnd_sub_get, NULL},
        {"stale-sids", NULL, fe_hnd_sub_fetch},
};

struct fe_group *
fe_group_add(struct fe *fe, const char *name)
{
	struct fe_group *g = fe_group_find(fe, name);
	char path[KDC_GNAME_MAX + 32];

	if (g != NULL)
		return g;
	if (!kdc_gname_valid(name, strlen(name))) {
		log_warn("keystore announced an unusable group name");
		return NULL;
	}
	g = calloc(1, sizeof(*g));
	if (g == NULL)
		return NULL;
	snprintf(g->name, sizeof(g->name), "%s", name);

	snprintf(path, sizeof(path), "ace-group/%s", name);
	g->r_group = mk(fe, path);
	if (g->r_group == NULL)
		goto fail;
	coap_register_request_handler(g->r_group, COAP_REQUEST_GET,
	                              fe_hnd_group_get);
	coap_register_request_handler(g->r_group, COAP_REQUEST_POST,
	                              fe_hnd_group_post);
	coap_resource_set_get_observable(g->r_group, 1);
	/* Rekeying messages are confirmable (RFC 9594 §6.1: delivery). */
	coap_resource_set_mode(g->r_group, COAP_RESOURCE_FLAGS_NOTIFY_CON);
	attr(g->r_group, "rt", "\"core.osc.gm\"");
	attr(g->r_group, "if", "\"ace.group\"");

	snprintf(path, sizeof(path), "ace-group/%s/active", name);
	g->r_active = mk(fe, path);
	if (g->r_active == NULL)
		goto fail;
	coap_register_request_handler(g->r_active, COAP_REQUEST_GET,
	                              fe_hnd_sub_get);
	coap_resource_set_get_observable(g->r_active, 1);

	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		coap_resource_t *r;

		snprintf(path, sizeof(path), "ace-group/%s/%s", name,
		         subs[i].name);
		r = mk(fe, path);
		if (r == NULL)
			goto fail;
		if (subs[i].get != NULL)
			coap_register_request_handler(r, COAP_REQUEST_GET,
			                              subs[i].get);
		if (subs[i].fetch != NULL)
			coap_register_request_handler(r, COAP_REQUEST_FETCH,
			                              subs[i].fetch);
		g->r_sub[g->nsub++] = r;
	}
	g->next = fe->groups;
	fe->groups = g;
	log_info("group %s: resources created", name);
	return g;
fail:
	log_err("group %s: cannot create its resources", name);
	if (g->r_group != NULL)
		coap_delete_resource(fe->coap, g->r_group);
	if (g->r_active != NULL)
		coap_delete_resource(fe->coap, g->r_active);
	for (size_t i = 0; i < g->nsub; i++)
		coap_delete_resource(fe->coap, g->r_sub[i]);
	free(g);
	return NULL;
}

void
fe_node_resources(struct fe *fe, struct fe_group *g, const char *node)
{
	char path[KDC_GNAME_MAX + IPC_NODE_MAX + 32];
	coap_resource_t *r;

	snprintf(path, sizeof(path), "ace-group/%s/nodes/%s", g->name, node);
	if (coap_get_resource_from_uri_path(fe->coap,
	                                    coap_make_str_const(path)) != NULL)
		return;
	r = mk(fe, path);
	if (r == NULL)
		return;
	coap_register_request_handler(r, COAP_REQUEST_GET, fe_hnd_node);
	coap_register_request_handler(r, COAP_REQUEST_POST, fe_hnd_node);
	coap_register_request_handler(r, COAP_REQUEST_DELETE, fe_hnd_node);
	/* Observable: the eviction notice is a 4.04 (RFC 9594 §4.8.1). */
	coap_resource_set_get_observable(r, 1);
	snprintf(path, sizeof(path), "ace-group/%s/nodes/%s/cred", g->name,
	         node);
	r = mk(fe, path);
	if (r != NULL)
		coap_register_request_handler(r, COAP_REQUEST_POST,
		                              fe_hnd_node_cred);
}

void
fe_node_resources_remove(struct fe *fe, struct fe_group *g, const char *node)
{
	char path[KDC_GNAME_MAX + IPC_NODE_MAX + 32];
	coap_resource_t *r;

	snprintf(path, sizeof(path), "ace-group/%s/nodes/%s/cred", g->name,
	         node);
	r = coap_get_resource_from_uri_path(fe->coap,
	                                    coap_make_str_const(path));
	if (r != NULL)
		coap_delete_resource(fe->coap, r);
	snprintf(path, sizeof(path), "ace-group/%s/nodes/%s", g->name, node);
	r = coap_get_resource_from_uri_path(fe->coap,
	                                    coap_make_str_const(path));
	if (r != NULL) {
		fe_notify_forget(r);
		coap_delete_resource(fe->coap, r);
	}
}

void
fe_group_delete(struct fe *fe, struct fe_group *g)
{
	/* Observers of the group get an unsolicited 4.04 with error 6
	 * (RFC 9594 §6.1): the handlers answer so for a deleted group; the
	 * resources go once those notifications have left. */
	g->deleted = true;
	g->deleted_at_ms = kdc_mono_ms();
	for (struct fe_binding *b = fe->bindings; b != NULL; b = b->next)
		fe_binding_drop_member(b, g);
	fe_notify(fe, g->r_group);
	fe_notify(fe, g->r_active);
}

static void
group_free(struct fe *fe, struct fe_group *g)
{
	fe_obs_forget_group(fe, g);
	fe_notify_forget(g->r_group);
	fe_notify_forget(g->r_active);
	coap_delete_resource(fe->coap, g->r_group);
	coap_delete_resource(fe->coap, g->r_active);
	for (size_t i = 0; i < g->nsub; i++)
		coap_delete_resource(fe->coap, g->r_sub[i]);
	if (g->material != NULL)
		kdc_secure_free(g->material);
	free(g->stale);
	free(g->stale_ptr);
	free(g->stale_len);
	free(g->joiners);
	free(g->joiner_buf);
	free(g);
}

void
fe_groups_sweep(struct fe *fe)
{
	uint64_t now = kdc_mono_ms();

	for (struct fe_group **pp = &fe->groups; *pp != NULL;) {
		struct fe_group *g = *pp;

		if (g->deleted && fe->pending_obs == 0 &&
		    now - g->deleted_at_ms >= FE_DELETE_GRACE_MS) {
			*pp = g->next;
			log_info("group %s: resources removed", g->name);
			group_free(fe, g);
		} else {
			pp = &g->next;
		}
	}
}

int
fe_path_split(coap_resource_t *r, const coap_pdu_t *req, char *group,
              size_t glen, char *rest, size_t rlen)
{
	coap_string_t *owned = NULL;
	const uint8_t *p;
	size_t n, i, start;
	int rc = -1;

	(void)r;
	/* The request's own Uri-Path: also right for the unknown resource
	 * and for notifications (libcoap passes the stored request). */
	owned = coap_get_uri_path(req);
	if (owned == NULL)
		return -1;
	p = owned->s;
	n = owned->length;
	if (n < 10 || memcmp(p, "ace-group/", 10) != 0)
		goto out;
	start = 10;
	for (i = start; i < n && p[i] != '/'; i++)
		;
	if (i - start == 0 || i - start >= glen)
		goto out;
	memcpy(group, p + start, i - start);
	group[i - start] = '\0';
	if (i < n)
		i++; /* skip '/' */
	if (n - i >= rlen)
		goto out;
	memcpy(rest, p + i, n - i);
	rest[n - i] = '\0';
	rc = 0;
out:
	if (owned != NULL)
		coap_delete_string(owned);
	return rc;
}
