/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rekey.c — the rekeying engine (see rekey.h).
 */
#include "rekey.h"

#include "gm.h"

#include "clock.h"
#include "crypto.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define GM_MS_LEN   16
#define GM_SALT_LEN 8

static uint64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

const char *
ks_rekey_reason_text(uint32_t reasons, char *buf, size_t n)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} names[] = {
	        {KS_REKEY_JOIN, "join"},
	        {KS_REKEY_LEAVE, "leave"},
	        {KS_REKEY_EXPIRY, "expiry"},
	        {KS_REKEY_OPERATOR, "operator"},
	        {KS_REKEY_RESTART, "restart"},
	        {KS_REKEY_SID_SPACE, "sender-id-space"},
	};
	size_t used = 0;

	if (n == 0)
		return buf;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if ((reasons & names[i].bit) == 0)
			continue;
		used += (size_t)snprintf(buf + used, used < n ? n - used : 0,
		                         "%s%s", used ? "+" : "",
		                         names[i].name);
		if (used >= n)
			break;
	}
	if (buf[0] == '\0')
		snprintf(buf, n, "none");
	return buf;
}

/* ---- per-group runtime state ---- */

struct ks_group_rt *
ks_group_rt(struct ks *ks, int64_t group_id, bool create)
{
	struct ks_group_rt *rt;

	for (rt = ks->groups_rt; rt != NULL; rt = rt->next)
		if (rt->group_id == group_id)
			return rt;
	if (!create)
		return NULL;
	rt = calloc(1, sizeof(*rt));
	if (rt == NULL)
		return NULL;
	rt->group_id = group_id;
	rt->next = ks->groups_rt;
	ks->groups_rt = rt;
	return rt;
}

static void
rt_free_parked(struct ks_group_rt *rt)
{
	while (rt->parked != NULL) {
		struct ks_parked_join *p = rt->parked;

		rt->parked = p->next;
		gm_parked_join_free(p);
	}
	rt->nparked = 0;
}

void
ks_group_rt_forget(struct ks *ks, int64_t group_id)
{
	for (struct ks_group_rt **pp = &ks->groups_rt; *pp != NULL;
	     pp = &(*pp)->next) {
		if ((*pp)->group_id == group_id) {
			struct ks_group_rt *rt = *pp;

			*pp = rt->next;
			rt_free_parked(rt);
			free(rt);
			return;
		}
	}
}

void
ks_rekey_forget_conn(struct ks *ks, uint64_t conn_id)
{
	for (struct ks_group_rt *rt = ks->groups_rt; rt != NULL;
	     rt = rt->next) {
		struct ks_parked_join **pp = &rt->parked;

		while (*pp != NULL) {
			if ((*pp)->conn_id == conn_id) {
				struct ks_parked_join *p = *pp;

				/* The member stays; its client retries and
				 * gets the material after the rekey. */
				*pp = p->next;
				gm_parked_join_free(p);
				rt->nparked--;
			} else {
				pp = &(*pp)->next;
			}
		}
	}
}

/* Renewal instant: `margin` before exp, margin = min(lifetime/10, 60 s),
 * at least 1 s (RFC 9594 §10.2: renew no later than expiry). */
static uint64_t
renew_ms(const struct ks_group *g)
{
	uint64_t life_ms = (uint64_t)g->cfg.key_lifetime * 1000u;
	uint64_t margin = life_ms / 10;

	if (margin > 60000)
		margin = 60000;
	if (margin < 1000)
		margin = 1000;
	return (uint64_t)g->exp * 1000u > margin
	               ? (uint64_t)g->exp * 1000u - margin
	               : 0;
}

int
ks_rekey_track(struct ks *ks, const struct ks_group *g)
{
	struct ks_group_rt *rt = ks_group_rt(ks, g->id, true);

	if (rt == NULL)
		return -1;
	rt->renew_ms = renew_ms(g);
	ks->batch.rearm_timers = true;
	return 0;
}

int
ks_rekey_request(struct ks *ks, struct ks_group *g, uint32_t reasons)
{
	struct ks_group_rt *rt = ks_group_rt(ks, g->id, true);
	uint64_t now = wall_ms();
	uint64_t due;

	if (rt == NULL)
		return -1;
	g->rekey_pending |= reasons;
	if (ks_store_group_set_counters(ks->store, g) != KS_OK)
		return -1;
	/* Fold: at most one rekey per min_rekey_interval (RFC 9594 §10.2,
	 * congestion / DoS by members repeatedly joining and leaving). */
	due = (uint64_t)g->rekeyed_at_ms + g->cfg.min_rekey_interval_ms;
	if (due < now)
		due = now;
	if (rt->due_ms == 0 || due < rt->due_ms)
		rt->due_ms = due;
	ks->batch.rearm_timers = true;
	return 0;
}

int
ks_rekey_park_join(struct ks *ks, struct ks_group *g, struct ks_parked_join *p)
{
	struct ks_group_rt *rt = ks_group_rt(ks, g->id, true);

	if (rt == NULL)
		return -1;
	p->next = rt->parked;
	rt->parked = p;
	rt->nparked++;
	return ks_rekey_request(ks, g, KS_REKEY_JOIN);
}

/* ---- the rekey itself ---- */

struct sid_list {
	uint8_t (*sid)[KDC_SID_MAX];
	size_t *len;
	size_t n, cap;
	bool failed;
};

static int
sid_list_cb(void *arg, const uint8_t *sid, size_t n)
{
	struct sid_list *l = arg;

	if (n > KDC_SID_MAX)
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		void *a = realloc(l->sid, cap * sizeof(*l->sid));
		void *b;

		if (a == NULL) {
			l->failed = true;
			return 1;
		}
		l->sid = a;
		b = realloc(l->len, cap * sizeof(*l->len));
		if (b == NULL) {
			l->failed = true;
			return 1;
		}
		l->len = b;
		l->cap = cap;
	}
	memcpy(l->sid[l->n], sid, n);
	l->len[l->n++] = n;
	return 0;
}

struct elders {
	struct ks_member *v;
	size_t n, cap;
	bool failed;
};

static int
elder_cb(void *arg, const struct ks_member *m)
{
	struct elders *e = arg;

	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 4;
		void *a = realloc(e->v, cap * sizeof(*e->v));

		if (a == NULL) {
			e->failed = true;
			return 1;
		}
		e->v = a;
		e->cap = cap;
	}
	e->v[e->n++] = *m;
	return 0;
}

/* GO §6 "Gid reassignment": before reusing a Gid, evict the members whose
 * Birth Gid it is; their Sender IDs go to the newest stale set. */
static int
evict_elders(struct ks *ks, const char *actor, struct ks_group *g,
             const uint8_t *gid, size_t gid_len)
{
	struct elders e = {0};
	int rc = 0;

	if (ks_store_member_by_birth_gid(ks->store, g->id, gid, gid_len,
	                                 elder_cb, &e) != KS_OK ||
	    e.failed) {
		free(e.v);
		return -1;
	}
	for (size_t i = 0; i < e.n && rc == 0; i++) {
		struct ks_token t;
		bool has_t = ks_store_token_by_id(ks->store, e.v[i].token_id,
		                                  false, &t) == KS_OK;

		log_notice("group %s: evicting %s before its Birth Gid is "
		           "reused",
		           g->cfg.name, e.v[i].node);
		rc = gm_member_remove(ks, actor, g, &e.v[i],
		                      has_t ? &t.handle : NULL,
		                      IPC_REMOVED_ELDER);
	}
	free(e.v);
	return rc;
}

/* Joiners of this rekey, for the rekeying message (RFC 9594 §6, GO §11.1
 * SHOULD include their credentials). */
struct joiners {
	struct ks_member *m;
	struct kdc_gm_peer *peers;
	size_t n;
};

static int
collect_joiners(struct ks *ks, struct ks_group_rt *rt, struct joiners *j)
{
	memset(j, 0, sizeof(*j));
	if (rt == NULL || rt->nparked == 0)
		return 0;
	j->m = calloc(rt->nparked, sizeof(*j->m));
	j->peers = calloc(rt->nparked, sizeof(*j->peers));
	if (j->m == NULL || j->peers == NULL)
		return -1;
	for (struct ks_parked_join *p = rt->parked; p != NULL; p = p->next) {
		struct ks_member *m = &j->m[j->n];

		if (ks_store_member_by_id(ks->store, p->member_id, m) !=
		            KS_OK ||
		    m->cred_len == 0)
			continue;
		j->peers[j->n].cred = m->cred;
		j->peers[j->n].cred_len = m->cred_len;
		j->peers[j->n].perm = m->perm;
		j->peers[j->n].sid = m->sid;
		j->peers[j->n].sid_len = m->has_sid ? m->sid_len : 0;
		j->n++;
	}
	return 0;
}

/* Point-to-Point delivery (RFC 9594 §6.1): Observe notifications on every
 * subscribed frontend, and POSTs to the members' control URIs. */
struct control_ctx {
	struct ks *ks;
	const uint8_t *payload;
	size_t len;
	int64_t exp;
	bool failed;
};

static int
control_cb(void *arg, const struct ks_member *m)
{
	struct control_ctx *c = arg;
	struct ks_token t;
	struct ipc_control msg;
	struct ipc_wbuf w;

	if (ks_store_token_by_id(c->ks->store, m->token_id, false, &t) != KS_OK)
		return 0;
	memset(&msg, 0, sizeof(msg));
	msg.binding = t.handle;
	msg.uri.p = (const uint8_t *)m->control_uri;
	msg.uri.n = strlen(m->control_uri);
	msg.method = 2; /* POST */
	msg.content_format = KDC_CF_ACE_GROUPCOMM;
	msg.payload.p = c->payload;
	msg.payload.n = c->len;
	msg.exp = c->exp;
	ipc_wbuf_init(&w);
	if (ipc_enc_control(&w, &msg) == 0)
		ks_push_frontends(c->ks, IPC_MSG_PUSH_CONTROL, &w);
	else
		c->failed = true;
	ipc_wbuf_free(&w);
	return 0;
}

static int
distribute(struct ks *ks, struct ks_group *g,
           const struct kdc_group_material *m, const struct sid_list *stale,
           const struct joiners *j)
{
	struct ipc_group_state st;
	struct ipc_wbuf w;
	struct ipc_view *sv = NULL, *jc = NULL, *js = NULL;
	uint64_t *jp = NULL;
	const uint8_t **sp = NULL;
	struct kdc_cw rk;
	struct control_ctx cc;
	int rc = -1;

	sv = calloc(stale->n + 1, sizeof(*sv));
	sp = calloc(stale->n + 1, sizeof(*sp));
	jc = calloc(j->n + 1, sizeof(*jc));
	js = calloc(j->n + 1, sizeof(*js));
	jp = calloc(j->n + 1, sizeof(*jp));
	if (sv == NULL || sp == NULL || jc == NULL || js == NULL || jp == NULL)
		goto out;
	for (size_t i = 0; i < stale->n; i++) {
		sv[i].p = stale->sid[i];
		sv[i].n = stale->len[i];
		sp[i] = stale->sid[i];
	}
	for (size_t i = 0; i < j->n; i++) {
		jc[i].p = j->peers[i].cred;
		jc[i].n = j->peers[i].cred_len;
		js[i].p = j->peers[i].sid;
		js[i].n = j->peers[i].sid_len;
		jp[i] = j->peers[i].perm;
	}
	memset(&st, 0, sizeof(st));
	st.reason = IPC_STATE_REKEY;
	st.material = (struct kdc_group_material *)m;
	st.nstale = (uint32_t)stale->n;
	st.stale = sv;
	st.njoiners = (uint32_t)j->n;
	st.joiner_creds = jc;
	st.joiner_perms = jp;
	st.joiner_sids = js;
	ipc_wbuf_init(&w);
	if (ipc_enc_group_state(&w, &st) == 0)
		ks_push_subscribers(ks, g->id, IPC_MSG_PUSH_GROUP_STATE, &w);
	ipc_wbuf_free(&w);

	/* The same rekeying message, without exi (added at send time), for
	 * members that registered a control URI. */
	kdc_cw_init(&rk);
	kdc_gm_encode_rekey(&rk, m, sp, stale->len, stale->n, j->peers, j->n,
	                    0);
	if (kdc_cw_ok(&rk)) {
		cc.ks = ks;
		cc.payload = rk.buf;
		cc.len = rk.len;
		cc.exp = m->exp;
		cc.failed = false;
		if (ks_store_member_with_control_uri(
		            ks->store, g->id, control_cb, &cc) == KS_OK &&
		    !cc.failed)
			rc = 0;
	}
	kdc_cw_free(&rk);
out:
	free(sv);
	free(sp);
	free(jc);
	free(js);
	free(jp);
	return rc;
}

int
ks_rekey_run(struct ks *ks, const char *actor, struct ks_group *g)
{
	struct ks_group_rt *rt = ks_group_rt(ks, g->id, false);
	struct kdc_group_material *m = NULL;
	struct sid_list stale = {0};
	struct joiners j = {0};
	uint8_t *ms = NULL;
	uint8_t gid[KDC_GID_MAX];
	size_t gid_len;
	uint64_t epoch_limit, new_epoch, now_ms = wall_ms();
	int64_t now = kdc_now(), nsets;
	uint32_t reasons = g->rekey_pending;
	char why[96], gidhex[2 * KDC_GID_MAX + 1];
	int rc = -1;

	/* The new Gid; when the epoch wraps, Gids are reused. */
	epoch_limit = g->cfg.gid_epoch_len >= 8
	                      ? 0
	                      : UINT64_C(1) << (8 * g->cfg.gid_epoch_len);
	new_epoch = g->epoch + 1;
	if (epoch_limit != 0)
		new_epoch %= epoch_limit;
	gm_gid_for_epoch(g, new_epoch, gid, &gid_len);
	if (evict_elders(ks, actor, g, gid, gid_len) != 0)
		goto out;

	/* Stale Sender IDs of the version being replaced (GO §7.1). */
	if (ks_store_stale_list(ks->store, g->id, g->num, sid_list_cb,
	                        &stale) != KS_OK ||
	    stale.failed)
		goto out;
	/* Keep N sets: drop the oldest before creating the new one. */
	if (ks_store_stale_count_sets(ks->store, g->id, &nsets) != KS_OK)
		goto out;
	if (nsets >= (int64_t)g->cfg.max_stale_sets &&
	    ks_store_stale_trim(ks->store, g->id,
	                        (int64_t)g->cfg.max_stale_sets - 1) != KS_OK)
		goto out;

	ms = kdc_secure_alloc(GM_MS_LEN);
	if (ms == NULL)
		goto out;
	kdc_random(ms, GM_MS_LEN);
	g->salt_len = GM_SALT_LEN;
	kdc_random(g->salt, g->salt_len);
	g->epoch = new_epoch;
	memcpy(g->gid, gid, gid_len);
	g->gid_len = gid_len;
	/* `num` is incremented before anything is distributed (RFC 9594 §6,
	 * GO §7); Sender IDs of the remaining members are preserved. */
	g->num++;
	g->exp = now + g->cfg.key_lifetime;
	g->rekeyed_at_ms = (int64_t)now_ms;
	if (g->sid_wrap) {
		g->sid_next = 0; /* a new Gid opens the Sender ID space */
		g->sid_wrap = false;
	}
	g->rekey_pending = 0;
	g->rekeys_done++;
	if (ks_store_group_rekey(ks->store, g, ms, GM_MS_LEN,
	                         now + g->cfg.prev_grace) != KS_OK ||
	    ks_store_stale_create_set(ks->store, g->id, g->num) != KS_OK)
		goto out;

	/* Parked joiners receive this material: it is their Birth Gid. */
	if (rt != NULL) {
		for (struct ks_parked_join *p = rt->parked; p != NULL;
		     p = p->next)
			if (ks_store_member_set_birth_gid(ks->store,
			                                  p->member_id, gid,
			                                  gid_len) == KS_ERR)
				goto out;
	}
	if (collect_joiners(ks, rt, &j) != 0)
		goto out;

	m = kdc_secure_alloc(sizeof(*m));
	if (m == NULL || gm_material(ks, g, m) != 0)
		goto out;
	if (distribute(ks, g, m, &stale, &j) != 0)
		goto out;

	ks_rekey_reason_text(reasons, why, sizeof(why));
	ks_store_audit(ks->store, actor, "rekey", g->cfg.name, NULL,
	               "num=%llu gid=%s reason=%s joiners=%zu",
	               (unsigned long long)g->num,
	               kdc_hex(gidhex, sizeof(gidhex), gid, gid_len), why,
	               rt != NULL ? rt->nparked : 0);
	log_info("group %s: rekeyed to version %llu, Gid %s (%s)", g->cfg.name,
	         (unsigned long long)g->num, gidhex, why);
	ks->stats.rekeys++;

	/* Answer the parked joins with the new material. */
	if (rt != NULL) {
		struct ks_parked_join *p = rt->parked;

		rt->parked = NULL;
		rt->nparked = 0;
		while (p != NULL) {
			struct ks_parked_join *next = p->next;

			if (gm_join_answer(ks, g, p) != 0)
				log_err("group %s: could not answer a parked "
				        "join",
				        g->cfg.name);
			gm_parked_join_free(p);
			p = next;
		}
		rt->due_ms = 0;
		rt->renew_ms = renew_ms(g);
	} else if ((rt = ks_group_rt(ks, g->id, true)) != NULL) {
		rt->renew_ms = renew_ms(g);
	}
	ks->batch.rearm_timers = true;
	rc = 0;
out:
	if (ms != NULL)
		kdc_secure_free(ms);
	if (m != NULL)
		kdc_secure_free(m);
	free(stale.sid);
	free(stale.len);
	free(j.m);
	free(j.peers);
	if (rc != 0)
		log_err("group %s: rekey failed", g->cfg.name);
	return rc;
}

/* ---- scheduling ---- */

uint64_t
ks_rekey_next_ms(struct ks *ks)
{
	uint64_t next = 0;

	for (struct ks_group_rt *rt = ks->groups_rt; rt != NULL;
	     rt = rt->next) {
		if (rt->due_ms != 0 && (next == 0 || rt->due_ms < next))
			next = rt->due_ms;
		if (rt->renew_ms != 0 && (next == 0 || rt->renew_ms < next))
			next = rt->renew_ms;
	}
	return next;
}

void
ks_rekey_tick(struct ks *ks, uint64_t now_ms, uint64_t *next_ms)
{
	struct ks_group_rt *rt, *next_rt;

	for (rt = ks->groups_rt; rt != NULL; rt = next_rt) {
		struct ks_outbox_mark mark;
		struct ks_group g;
		int rc;

		next_rt = rt->next;
		if (!((rt->due_ms != 0 && rt->due_ms <= now_ms) ||
		      (rt->renew_ms != 0 && rt->renew_ms <= now_ms)))
			continue;
		rc = ks_store_group_by_id(ks->store, rt->group_id, &g);
		if (rc == KS_NOTFOUND) {
			ks_group_rt_forget(ks, rt->group_id);
			continue;
		}
		if (rc != KS_OK)
			continue;
		if (rt->renew_ms != 0 && rt->renew_ms <= now_ms)
			g.rekey_pending |= KS_REKEY_EXPIRY;
		/* Each rekey in its own savepoint: a failure midway must
		 * not commit half of it with the batch. */
		if (ks_store_savepoint(ks->store) != KS_OK)
			continue;
		ks_outbox_mark(ks, &mark);
		if (ks_rekey_run(ks, "keystore", &g) == 0) {
			ks_store_release(ks->store);
		} else {
			ks_store_rollback_to(ks->store);
			ks_outbox_truncate(ks, &mark);
			/* Retry later rather than spin. */
			rt->due_ms = now_ms + 1000;
			if (rt->renew_ms != 0 && rt->renew_ms <= now_ms)
				rt->renew_ms = now_ms + 1000;
		}
	}
	*next_ms = ks_rekey_next_ms(ks);
}

struct id_list {
	int64_t *v;
	size_t n, cap;
	bool failed;
};

static int
ids_cb(void *arg, const struct ks_group *g)
{
	struct id_list *l = arg;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		int64_t *v = realloc(l->v, cap * sizeof(*v));

		if (v == NULL) {
			l->failed = true;
			return 1;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = g->id;
	return 0;
}

static int
startup_group(struct ks *ks, int64_t id)
{
	struct ks_group g;
	struct ks_group_rt *rt;
	uint32_t reasons;

	if (ks_store_group_by_id(ks->store, id, &g) != KS_OK)
		return -1;
	rt = ks_group_rt(ks, g.id, true);
	if (rt == NULL)
		return -1;
	rt->renew_ms = renew_ms(&g);
	reasons = g.rekey_pending;
	if (g.cfg.rekey_after_restart)
		reasons |= KS_REKEY_RESTART;
	if (g.exp <= kdc_now())
		reasons |= KS_REKEY_EXPIRY;
	if (reasons == 0)
		return 0;
	/* Pending work survives a restart (joins whose answers were lost,
	 * leaves not yet rekeyed, material that expired while the keystore
	 * was down): run it before serving anyone, ignoring the minimum
	 * interval. */
	g.rekey_pending = reasons;
	return ks_rekey_run(ks, "keystore", &g);
}

int
ks_rekey_startup(struct ks *ks)
{
	struct id_list l = {0};
	int rc = 0;

	if (ks_store_group_list(ks->store, ids_cb, &l) != KS_OK || l.failed) {
		free(l.v);
		return -1;
	}
	if (ks_batch_ensure(ks) != 0) {
		free(l.v);
		return -1;
	}
	for (size_t i = 0; i < l.n && rc == 0; i++)
		rc = startup_group(ks, l.v[i]);
	free(l.v);
	ks_batch_commit(ks);
	return rc;
}
