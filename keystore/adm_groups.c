/* SPDX-License-Identifier: Apache-2.0 */
/*
 * adm_groups.c — group administration: create, list, show, update,
 * delete, and the operator's immediate rekey.  Group creation, change and
 * termination are logged and audited (Group OSCORE "Operational
 * Considerations / Logging"); frontends learn about them by pushes so that
 * their resources and caches follow (docs/DESIGN.md §2, §6).
 */
#include "adm.h"

#include "crypto.h"
#include "gm.h"
#include "log.h"
#include "rekey.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
push_name(struct ks *ks, uint16_t type, const char *name)
{
	struct ipc_group_name_msg m;
	struct ipc_wbuf w;

	memset(&m, 0, sizeof(m));
	snprintf(m.group, sizeof(m.group), "%s", name);
	ipc_wbuf_init(&w);
	if (ipc_enc_group_name_msg(&w, &m) == 0)
		ks_push_frontends(ks, type, &w);
	ipc_wbuf_free(&w);
}

static const char *
gid_hex(const struct ks_group *g, char *buf, size_t n)
{
	return kdc_hex(buf, n, g->gid, g->gid_len);
}

/* ---- create ---- */

int
ks_h_adm_group_create(struct ks_req *r)
{
	static const char *const cols[] = {"name", "gid", "num", "exp",
	                                   "active"};
	struct ipc_adm_group m;
	struct ipc_tab_builder tb;
	struct ks_group g;
	const char *why = NULL;
	char err[256], gid[2 * KDC_GID_MAX + 1];
	int rc;

	if (ipc_dec_adm_group(r->payload, r->len, &m) != 0)
		return KS_H_MALFORMED;
	if (kdc_group_config_validate(&m.config, &why) != 0) {
		adm_error(r, IPC_ADM_E_USAGE, "%s", why);
		return KS_H_OK;
	}
	rc = gm_group_create(r->ks, &m.config, &g, err, sizeof(err));
	if (rc == KS_EXISTS) {
		adm_error(r, IPC_ADM_E_EXISTS, "%s", err);
		return KS_H_OK;
	}
	if (rc != KS_OK) {
		log_err("group %s: %s", m.config.name, err);
		return KS_H_FAIL;
	}
	gid_hex(&g, gid, sizeof(gid));
	if (ks_audit(r, "group-create", g.cfg.name, NULL,
	             "gid=%s sign_alg=%lld gp_enc_alg=%lld alg=%lld "
	             "ecdh_alg=%lld group_mode=%d pairwise_mode=%d active=%d",
	             gid, (long long)g.cfg.sign_alg,
	             (long long)g.cfg.gp_enc_alg, (long long)g.cfg.alg,
	             (long long)g.cfg.ecdh_alg, g.cfg.group_mode,
	             g.cfg.pairwise_mode, g.cfg.active) != KS_OK)
		return KS_H_FAIL;
	/* Frontends create the group's resources (docs/DESIGN.md §6). */
	push_name(r->ks, IPC_MSG_PUSH_GROUP_ADDED, g.cfg.name);
	log_notice("group %s created by %s (Gid %s)", g.cfg.name,
	           r->peer->actor, gid);

	ipc_tab_init(&tb);
	ipc_tab_begin(&tb, "group", cols, 5);
	ipc_tab_textz(&tb, g.cfg.name);
	ipc_tab_bytes(&tb, g.gid, g.gid_len);
	ipc_tab_int(&tb, (int64_t)g.num);
	ipc_tab_int(&tb, g.exp);
	ipc_tab_bool(&tb, g.cfg.active);
	ks_reply_adm(r, &tb, IPC_ADM_OK, NULL);
	return KS_H_OK;
}

/* ---- list ---- */

struct list_ctx {
	struct ks *ks;
	struct ipc_tab_builder *tb;
	bool failed;
};

static int
list_cb(void *arg, const struct ks_group *g)
{
	struct list_ctx *c = arg;
	struct ipc_tab_builder *tb = c->tb;
	int64_t n = 0;

	if (ks_store_member_count(c->ks->store, g->id, &n) != KS_OK) {
		c->failed = true;
		return 1;
	}
	ipc_tab_textz(tb, g->cfg.name);
	ipc_tab_bool(tb, g->cfg.active);
	ipc_tab_int(tb, n);
	ipc_tab_int(tb, (int64_t)g->num);
	ipc_tab_bytes(tb, g->gid, g->gid_len);
	ipc_tab_int(tb, g->exp);
	ipc_tab_bool(tb, g->cfg.rekey_on_join);
	ipc_tab_bool(tb, g->cfg.rekey_on_leave);
	/* Algorithms of a mode that is off do not apply. */
	if (g->cfg.group_mode) {
		adm_tab_alg(tb, g->cfg.sign_alg);
		adm_tab_alg(tb, g->cfg.gp_enc_alg);
	} else {
		ipc_tab_null(tb);
		ipc_tab_null(tb);
	}
	if (g->cfg.pairwise_mode) {
		adm_tab_alg(tb, g->cfg.alg);
		adm_tab_alg(tb, g->cfg.ecdh_alg);
	} else {
		ipc_tab_null(tb);
		ipc_tab_null(tb);
	}
	ipc_tab_int(tb, g->created_at);
	return 0;
}

int
ks_h_adm_group_list(struct ks_req *r)
{
	static const char *const cols[] = {
	        "name",      "active",     "members",       "num",
	        "gid",       "exp",        "rekey_on_join", "rekey_on_leave",
	        "sign_alg",  "gp_enc_alg", "alg",           "ecdh_alg",
	        "created_at"};
	struct ipc_adm_target t;
	struct ipc_tab_builder tb;
	struct list_ctx c;

	if (ipc_dec_adm_target(r->payload, r->len, &t) != 0)
		return KS_H_MALFORMED;
	ipc_tab_init(&tb);
	ipc_tab_begin(&tb, "groups", cols, sizeof(cols) / sizeof(cols[0]));
	c.ks = r->ks;
	c.tb = &tb;
	c.failed = false;
	if (ks_store_group_list(r->ks->store, list_cb, &c) != KS_OK ||
	    c.failed) {
		ipc_tab_free(&tb);
		return KS_H_FAIL;
	}
	ks_reply_adm(r, &tb, IPC_ADM_OK, NULL);
	return KS_H_OK;
}

/* ---- show ---- */

static void
group_table(struct ipc_tab_builder *tb, const struct ks_group *g,
            int64_t members)
{
	static const char *const cols[] = {
	        "name",
	        "description",
	        "active",
	        "hkdf",
	        "cred_fmt",
	        "group_mode",
	        "gp_enc_alg",
	        "sign_alg",
	        "sign_crv",
	        "pairwise_mode",
	        "alg",
	        "ecdh_alg",
	        "ecdh_crv",
	        "key_lifetime",
	        "key_update_check_interval",
	        "expiration_delta",
	        "max_members",
	        "rekey_on_join",
	        "rekey_on_leave",
	        "rekey_after_restart",
	        "min_rekey_interval_ms",
	        "max_stale_sets",
	        "prev_grace",
	        "sid_max_len",
	        "gid_prefix_len",
	        "gid_epoch_len",
	        "created_at",
	        "num",
	        "gid",
	        "exp",
	        "rekeys_done",
	        "pending",
	        "members",
	};
	const struct kdc_group_config *c = &g->cfg;
	char why[96];

	ipc_tab_begin(tb, "group", cols, sizeof(cols) / sizeof(cols[0]));
	ipc_tab_textz(tb, c->name);
	ipc_tab_textz(tb, c->description);
	ipc_tab_bool(tb, c->active);
	adm_tab_alg(tb, c->hkdf);
	ipc_tab_int(tb, c->cred_fmt);
	ipc_tab_bool(tb, c->group_mode);
	adm_tab_alg(tb, c->gp_enc_alg);
	adm_tab_alg(tb, c->sign_alg);
	adm_tab_crv(tb, c->sign_crv);
	ipc_tab_bool(tb, c->pairwise_mode);
	adm_tab_alg(tb, c->alg);
	adm_tab_alg(tb, c->ecdh_alg);
	adm_tab_crv(tb, c->ecdh_crv);
	ipc_tab_int(tb, c->key_lifetime);
	ipc_tab_int(tb, c->key_update_check_interval);
	ipc_tab_int(tb, c->expiration_delta);
	ipc_tab_int(tb, c->max_members);
	ipc_tab_bool(tb, c->rekey_on_join);
	ipc_tab_bool(tb, c->rekey_on_leave);
	ipc_tab_bool(tb, c->rekey_after_restart);
	ipc_tab_int(tb, c->min_rekey_interval_ms);
	ipc_tab_int(tb, c->max_stale_sets);
	ipc_tab_int(tb, c->prev_grace);
	ipc_tab_int(tb, c->sid_max_len);
	ipc_tab_int(tb, c->gid_prefix_len);
	ipc_tab_int(tb, c->gid_epoch_len);
	ipc_tab_int(tb, g->created_at);
	ipc_tab_int(tb, (int64_t)g->num);
	ipc_tab_bytes(tb, g->gid, g->gid_len);
	ipc_tab_int(tb, g->exp);
	ipc_tab_int(tb, (int64_t)g->rekeys_done);
	if (g->rekey_pending != 0)
		ipc_tab_textz(tb, ks_rekey_reason_text(g->rekey_pending, why,
		                                       sizeof(why)));
	else
		ipc_tab_null(tb);
	ipc_tab_int(tb, members);
}

struct members_ctx {
	struct ipc_tab_builder *tb;
	size_t n;
};

static int
members_cb(void *arg, const struct ks_member *m)
{
	struct members_ctx *c = arg;
	char roles[64];

	if (c->n >= ADM_MAX_ROWS)
		return 1;
	c->n++;
	ipc_tab_textz(c->tb, m->node);
	ipc_tab_int(c->tb, (int64_t)m->perm);
	ipc_tab_textz(c->tb, adm_roles(m->perm, roles, sizeof(roles)));
	if (m->has_sid)
		ipc_tab_bytes(c->tb, m->sid, m->sid_len);
	else
		ipc_tab_null(c->tb);
	if (m->control_uri[0] != '\0')
		ipc_tab_textz(c->tb, m->control_uri);
	else
		ipc_tab_null(c->tb);
	ipc_tab_int(c->tb, m->joined_at);
	return 0;
}

int
adm_members_table(struct ks *ks, const struct ks_group *g, int64_t total,
                  struct ipc_tab_builder *tb, char *note, size_t n)
{
	static const char *const cols[] = {"node", "perm",        "roles",
	                                   "sid",  "control_uri", "joined_at"};
	struct members_ctx c = {tb, 0};

	note[0] = '\0';
	ipc_tab_begin(tb, "members", cols, sizeof(cols) / sizeof(cols[0]));
	if (ks_store_member_list(ks->store, g->id, members_cb, &c) != KS_OK)
		return -1;
	if (total > (int64_t)c.n)
		snprintf(note, n, "truncated: %zu of %lld members shown", c.n,
		         (long long)total);
	return 0;
}

int
ks_h_adm_group_show(struct ks_req *r)
{
	struct ipc_adm_target t;
	struct ipc_tab_builder tb;
	struct ks_group g;
	int64_t members = 0;
	char note[96];
	int rc;

	if (ipc_dec_adm_target(r->payload, r->len, &t) != 0)
		return KS_H_MALFORMED;
	rc = adm_group(r, t.group, &g);
	if (rc != 0)
		return rc > 0 ? KS_H_OK : KS_H_FAIL;
	if (ks_store_member_count(r->ks->store, g.id, &members) != KS_OK)
		return KS_H_FAIL;
	ipc_tab_init(&tb);
	group_table(&tb, &g, members);
	if (adm_members_table(r->ks, &g, members, &tb, note, sizeof(note)) !=
	    0) {
		ipc_tab_free(&tb);
		return KS_H_FAIL;
	}
	ks_reply_adm(r, &tb, IPC_ADM_OK, note[0] != '\0' ? note : NULL);
	return KS_H_OK;
}

/* ---- update ---- */

/* Copy the fields of mask from src to dst; append their names to buf. */
static void
apply_fields(struct kdc_group_config *dst, const struct kdc_group_config *src,
             uint32_t mask, char *buf, size_t n)
{
#define FIELD(bit, f, name)                                                    \
	do {                                                                   \
		if (mask & (bit)) {                                            \
			dst->f = src->f;                                       \
			used += (size_t)snprintf(                              \
			        buf + used, used < n ? n - used : 0, "%s%s",   \
			        used ? "," : "", name);                        \
		}                                                              \
	} while (0)
	size_t used = 0;

	buf[0] = '\0';
	if (mask & KDC_GF_DESCRIPTION) {
		memcpy(dst->description, src->description,
		       sizeof(dst->description));
		used += (size_t)snprintf(buf, n, "description");
	}
	FIELD(KDC_GF_ACTIVE, active, "active");
	FIELD(KDC_GF_KEY_LIFETIME, key_lifetime, "key_lifetime");
	FIELD(KDC_GF_KEY_UPDATE_CHECK, key_update_check_interval,
	      "key_update_check_interval");
	FIELD(KDC_GF_EXPIRATION_DELTA, expiration_delta, "expiration_delta");
	FIELD(KDC_GF_MAX_MEMBERS, max_members, "max_members");
	FIELD(KDC_GF_REKEY_ON_JOIN, rekey_on_join, "rekey_on_join");
	FIELD(KDC_GF_REKEY_ON_LEAVE, rekey_on_leave, "rekey_on_leave");
	FIELD(KDC_GF_REKEY_AFTER_RESTART, rekey_after_restart,
	      "rekey_after_restart");
	FIELD(KDC_GF_MIN_REKEY_INTERVAL, min_rekey_interval_ms,
	      "min_rekey_interval_ms");
	FIELD(KDC_GF_MAX_STALE_SETS, max_stale_sets, "max_stale_sets");
	FIELD(KDC_GF_PREV_GRACE, prev_grace, "prev_grace");
#undef FIELD
}

int
ks_h_adm_group_update(struct ks_req *r)
{
	struct ipc_adm_group m;
	struct ipc_tab_builder tb;
	struct kdc_group_config cfg;
	struct ks_group g;
	const char *why = NULL;
	char fields[512];
	int64_t members = 0;
	bool active_changed;
	int rc;

	if (ipc_dec_adm_group(r->payload, r->len, &m) != 0)
		return KS_H_MALFORMED;
	rc = adm_group(r, m.config.name, &g);
	if (rc != 0)
		return rc > 0 ? KS_H_OK : KS_H_FAIL;
	if (m.field_mask & ~(uint32_t)KDC_GF_UPDATABLE) {
		adm_error(r, IPC_ADM_E_USAGE,
		          "the security context parameters (algorithms, "
		          "curves, modes, Sender ID and Gid lengths) are fixed "
		          "when the group is created");
		return KS_H_OK;
	}
	if (m.field_mask == 0) {
		adm_error(r, IPC_ADM_E_USAGE, "nothing to change");
		return KS_H_OK;
	}
	cfg = g.cfg;
	apply_fields(&cfg, &m.config, m.field_mask, fields, sizeof(fields));
	if (kdc_group_config_validate(&cfg, &why) != 0) {
		adm_error(r, IPC_ADM_E_USAGE, "%s", why);
		return KS_H_OK;
	}
	active_changed = cfg.active != g.cfg.active;
	if (ks_store_group_update_config(r->ks->store, g.id, &cfg,
	                                 m.field_mask) != KS_OK)
		return KS_H_FAIL;
	g.cfg = cfg;
	if (ks_store_member_count(r->ks->store, g.id, &members) != KS_OK)
		return KS_H_FAIL;
	if (ks_audit(r, "group-update", g.cfg.name, NULL, "%s%s", fields,
	             active_changed
	                     ? (cfg.active ? " (activated)" : " (deactivated)")
	                     : "") != KS_OK)
		return KS_H_FAIL;
	/* Observers of /active or /policies are notified by the frontends
	 * (RFC 9594 §4.6, §4.7). */
	if (adm_push_state(r->ks, &g,
	                   active_changed ? IPC_STATE_STATUS
	                                  : IPC_STATE_CONFIG) != 0)
		return KS_H_FAIL;
	log_notice("group %s reconfigured by %s: %s", g.cfg.name,
	           r->peer->actor, fields);
	ipc_tab_init(&tb);
	group_table(&tb, &g, members);
	ks_reply_adm(r, &tb, IPC_ADM_OK, NULL);
	return KS_H_OK;
}

/* ---- delete ---- */

#define DELETE_CHUNK 64

struct chunk {
	struct ks_member *v;
	size_t n;
};

static int
chunk_cb(void *arg, const struct ks_member *m)
{
	struct chunk *c = arg;

	c->v[c->n++] = *m;
	return c->n == DELETE_CHUNK ? 1 : 0;
}

/* Parked joins of a deleted group can no longer be answered with
 * material: they get 4.04. */
static void
answer_parked(struct ks *ks, const struct ks_group *g)
{
	struct ks_group_rt *rt = ks_group_rt(ks, g->id, false);

	if (rt == NULL)
		return;
	for (struct ks_parked_join *p = rt->parked; p != NULL; p = p->next) {
		struct ks_req r;

		memset(&r, 0, sizeof(r));
		r.ks = ks;
		r.peer = ks_peer_by_conn_id(ks, p->conn_id);
		r.type = IPC_MSG_JOIN;
		r.reqid = p->reqid;
		if (r.peer != NULL)
			ks_reply_coap_error(&r, KS_CODE(4, 4), -1,
			                    "the group was deleted");
	}
}

int
ks_h_adm_group_delete(struct ks_req *r)
{
	struct ipc_adm_target t;
	struct ks_group g;
	struct chunk c;
	size_t removed = 0;
	int rc;

	if (ipc_dec_adm_target(r->payload, r->len, &t) != 0)
		return KS_H_MALFORMED;
	rc = adm_group(r, t.group, &g);
	if (rc != 0)
		return rc > 0 ? KS_H_OK : KS_H_FAIL;
	c.v = calloc(DELETE_CHUNK, sizeof(*c.v));
	if (c.v == NULL)
		return KS_H_FAIL;
	/* Every member is removed as such (pushes, control-URI notices,
	 * audit); no rekey follows a deletion (gm_member_remove). */
	for (;;) {
		c.n = 0;
		if (ks_store_member_list(r->ks->store, g.id, chunk_cb, &c) !=
		    KS_OK) {
			free(c.v);
			return KS_H_FAIL;
		}
		if (c.n == 0)
			break;
		for (size_t i = 0; i < c.n; i++) {
			struct ks_token tok;
			bool has_t = ks_store_token_by_id(r->ks->store,
			                                  c.v[i].token_id,
			                                  false, &tok) == KS_OK;

			if (gm_member_remove(r->ks, r->peer->actor, &g, &c.v[i],
			                     has_t ? &tok.handle : NULL,
			                     IPC_REMOVED_GROUP_DELETED) != 0) {
				free(c.v);
				return KS_H_FAIL;
			}
			removed++;
		}
	}
	free(c.v);
	if (ks_store_group_delete(r->ks->store, g.id) != KS_OK)
		return KS_H_FAIL;
	if (ks_audit(r, "group-delete", g.cfg.name, NULL,
	             "members_removed=%zu num=%llu", removed,
	             (unsigned long long)g.num) != KS_OK)
		return KS_H_FAIL;
	push_name(r->ks, IPC_MSG_PUSH_GROUP_DELETED, g.cfg.name);
	ks_peer_unsubscribe_group(r->ks, g.id);
	answer_parked(r->ks, &g);
	ks_group_rt_forget(r->ks, g.id);
	r->ks->batch.rearm_timers = true;
	log_notice("group %s deleted by %s (%zu members removed)", g.cfg.name,
	           r->peer->actor, removed);
	ks_reply_adm(r, NULL, IPC_ADM_OK, NULL);
	return KS_H_OK;
}

/* ---- rekey ---- */

int
ks_h_adm_rekey(struct ks_req *r)
{
	static const char *const cols[] = {"name", "num", "gid", "exp"};
	struct ipc_adm_target t;
	struct ipc_tab_builder tb;
	struct ks_group g;
	int rc;

	if (ipc_dec_adm_target(r->payload, r->len, &t) != 0)
		return KS_H_MALFORMED;
	rc = adm_group(r, t.group, &g);
	if (rc != 0)
		return rc > 0 ? KS_H_OK : KS_H_FAIL;
	/* Immediate, whatever min_rekey_interval says (audited by the
	 * rekey itself). */
	g.rekey_pending |= KS_REKEY_OPERATOR;
	if (ks_rekey_run(r->ks, r->peer->actor, &g) != 0)
		return KS_H_FAIL;
	ipc_tab_init(&tb);
	ipc_tab_begin(&tb, "rekey", cols, 4);
	ipc_tab_textz(&tb, g.cfg.name);
	ipc_tab_int(&tb, (int64_t)g.num);
	ipc_tab_bytes(&tb, g.gid, g.gid_len);
	ipc_tab_int(&tb, g.exp);
	ks_reply_adm(r, &tb, IPC_ADM_OK, NULL);
	return KS_H_OK;
}
