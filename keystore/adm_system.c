/* SPDX-License-Identifier: Apache-2.0 */
/*
 * adm_system.c — the keystore as a whole: status, the audit log, read-only
 * SQL and the integrity check (the online backup is adm_backup.c).
 * (Reloading the configuration is in reload.c.)
 */
#include "adm.h"

#include "clock.h"
#include "crypto.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- status ---- */

/* A frontend process holds two connections (its requests and, for DTLS
 * handshakes, a synchronous one), both with its actor name ("fe1
 * pid=123 uid=..."): status shows one row per process, the first
 * connection standing for the others. */
static bool
first_of_process(const struct ks *ks, const struct ks_peer *p)
{
	for (const struct ks_peer *q = ks->peers; q != p; q = q->next)
		if (q->kind == IPC_PEER_FRONTEND &&
		    strcmp(q->actor, p->actor) == 0)
			return false;
	return true;
}

static int
count_cb(void *arg, const struct ks_group *g)
{
	(void)g;
	(*(int64_t *)arg)++;
	return 0;
}

int
ks_h_adm_status(struct ks_req *r)
{
	static const char *const cols[] = {"version",
	                                   "instance",
	                                   "pid",
	                                   "uptime_s",
	                                   "schema_version",
	                                   "groups",
	                                   "members",
	                                   "tokens",
	                                   "frontends_connected",
	                                   "requests_served",
	                                   "keystore_requests",
	                                   "joins",
	                                   "rekeys_done",
	                                   "batches",
	                                   "commits_failed",
	                                   "db_bytes"};
	static const char *const fcols[] = {"name",      "requests",
	                                    "errors",    "sessions",
	                                    "observers", "subscriptions"};
	struct ks *ks = r->ks;
	struct ipc_adm_target t;
	struct ipc_tab_builder tb;
	int64_t groups = 0, members = 0, tokens = 0, db_bytes = 0;
	uint64_t served = 0;
	int64_t nfe = 0;
	char inst[17];

	if (ipc_dec_adm_target(r->payload, r->len, &t) != 0)
		return KS_H_MALFORMED;
	if (ks_store_group_list(ks->store, count_cb, &groups) != KS_OK ||
	    ks_store_member_total(ks->store, &members) != KS_OK ||
	    ks_store_token_count(ks->store, &tokens) != KS_OK ||
	    ks_store_stats(ks->store, &db_bytes) != KS_OK)
		return KS_H_FAIL;
	for (struct ks_peer *p = ks->peers; p != NULL; p = p->next) {
		if (p->kind != IPC_PEER_FRONTEND)
			continue;
		if (first_of_process(ks, p))
			nfe++;
		served += p->stats.requests;
	}
	snprintf(inst, sizeof(inst), "%016llx",
	         (unsigned long long)ks->instance);
	ipc_tab_init(&tb);
	ipc_tab_begin(&tb, "status", cols, sizeof(cols) / sizeof(cols[0]));
	ipc_tab_textz(&tb, KDC_VERSION);
	ipc_tab_textz(&tb, inst);
	ipc_tab_int(&tb, (int64_t)getpid());
	ipc_tab_int(&tb, kdc_now() - ks->stats.started_at);
	ipc_tab_int(&tb, ks_store_db_version(ks->store));
	ipc_tab_int(&tb, groups);
	ipc_tab_int(&tb, members);
	ipc_tab_int(&tb, tokens);
	ipc_tab_int(&tb, nfe);
	ipc_tab_int(&tb, (int64_t)served);
	ipc_tab_int(&tb, (int64_t)ks->stats.requests);
	ipc_tab_int(&tb, (int64_t)ks->stats.joins);
	ipc_tab_int(&tb, (int64_t)ks->stats.rekeys);
	ipc_tab_int(&tb, (int64_t)ks->stats.batches);
	ipc_tab_int(&tb, (int64_t)ks->stats.commits_failed);
	ipc_tab_int(&tb, db_bytes);

	ipc_tab_begin(&tb, "frontends", fcols, 6);
	for (struct ks_peer *p = ks->peers; p != NULL; p = p->next) {
		struct ipc_fe_stats sum;
		int64_t nsubs = 0;

		if (p->kind != IPC_PEER_FRONTEND || !first_of_process(ks, p))
			continue;
		memset(&sum, 0, sizeof(sum));
		for (struct ks_peer *q = p; q != NULL; q = q->next) {
			if (q->kind != IPC_PEER_FRONTEND ||
			    strcmp(q->actor, p->actor) != 0)
				continue;
			sum.requests += q->stats.requests;
			sum.errors += q->stats.errors;
			sum.sessions += q->stats.sessions;
			sum.observers += q->stats.observers;
			nsubs += (int64_t)q->nsubs;
		}
		ipc_tab_textz(&tb, p->actor);
		ipc_tab_int(&tb, (int64_t)sum.requests);
		ipc_tab_int(&tb, (int64_t)sum.errors);
		ipc_tab_int(&tb, sum.sessions);
		ipc_tab_int(&tb, sum.observers);
		ipc_tab_int(&tb, nsubs);
	}
	ks_reply_adm(r, &tb, IPC_ADM_OK, NULL);
	return KS_H_OK;
}

/* ---- audit ---- */

#define AUDIT_DEFAULT_LIMIT 100

struct audit_copy {
	int64_t id, at;
	char *s[5]; /* actor, action, group, node, detail (NULL if NULL) */
};

/* The last `cap` rows seen (a ring), or the first `cap` when the query
 * itself is limited. */
struct audit_ring {
	struct audit_copy *v;
	size_t cap, n, head;
	bool failed;
};

static void
ring_clear(struct audit_ring *g)
{
	for (size_t i = 0; i < g->n; i++)
		for (int k = 0; k < 5; k++)
			free(g->v[i].s[k]);
	g->n = 0;
	g->head = 0;
}

static int
ring_cb(void *arg, const struct ks_audit_row *row)
{
	struct audit_ring *g = arg;
	const char *src[5] = {row->actor, row->action, row->group, row->node,
	                      row->detail};
	struct audit_copy *c;

	if (g->n < g->cap) {
		c = &g->v[g->n++];
	} else {
		c = &g->v[g->head];
		g->head = (g->head + 1) % g->cap;
		for (int k = 0; k < 5; k++)
			free(c->s[k]);
	}
	c->id = row->id;
	c->at = row->at;
	for (int k = 0; k < 5; k++) {
		c->s[k] = src[k] != NULL ? strdup(src[k]) : NULL;
		if (src[k] != NULL && c->s[k] == NULL)
			g->failed = true;
	}
	return g->failed ? 1 : 0;
}

static int
any_cb(void *arg, const struct ks_audit_row *row)
{
	(void)row;
	*(bool *)arg = true;
	return 1;
}

/* Is there an audit row with id > since?  -1 on error. */
static int
has_after(struct ks_store *s, int64_t since)
{
	bool any = false;

	if (ks_store_audit_query(s, since, NULL, NULL, 1, any_cb, &any) !=
	    KS_OK)
		return -1;
	return any ? 1 : 0;
}

/* The largest audit id (0 if the log is empty) with O(log n) indexed
 * probes: the log is append-only, so ids only grow. */
static int
audit_max_id(struct ks_store *s, int64_t *max)
{
	int64_t lo = 0, hi = 1;
	int rc;

	rc = has_after(s, 0);
	if (rc <= 0) {
		*max = 0;
		return rc;
	}
	while ((rc = has_after(s, hi)) == 1 && hi < INT64_MAX / 2) {
		lo = hi;
		hi *= 2;
	}
	if (rc < 0)
		return -1;
	/* has_after(lo) is true, has_after(hi) false. */
	while (hi - lo > 1) {
		int64_t mid = lo + (hi - lo) / 2;

		rc = has_after(s, mid);
		if (rc < 0)
			return -1;
		if (rc)
			lo = mid;
		else
			hi = mid;
	}
	*max = hi;
	return 0;
}

int
ks_h_adm_audit(struct ks_req *r)
{
	static const char *const cols[] = {"id",    "at",   "actor", "action",
	                                   "group", "node", "detail"};
	struct ipc_adm_audit m;
	struct ipc_tab_builder tb;
	struct audit_ring g;
	const char *group, *action;
	uint32_t limit;
	int64_t max = 0;
	int rc = KS_OK;

	if (ipc_dec_adm_audit(r->payload, r->len, &m) != 0)
		return KS_H_MALFORMED;
	limit = m.limit == 0 ? AUDIT_DEFAULT_LIMIT : m.limit;
	if (limit > ADM_MAX_ROWS)
		limit = ADM_MAX_ROWS;
	if (m.since_id < 0) {
		adm_error(r, IPC_ADM_E_USAGE, "since must not be negative");
		return KS_H_OK;
	}
	group = m.group[0] != '\0' ? m.group : NULL;
	action = m.action[0] != '\0' ? m.action : NULL;
	memset(&g, 0, sizeof(g));
	g.cap = limit;
	g.v = calloc(limit, sizeof(*g.v));
	if (g.v == NULL)
		return KS_H_FAIL;
	if (m.since_id > 0) {
		/* Paging forward: the first `limit` rows after since. */
		rc = ks_store_audit_query(r->ks->store, m.since_id, group,
		                          action, limit, ring_cb, &g);
	} else if (audit_max_id(r->ks->store, &max) != 0) {
		rc = KS_ERR;
	} else {
		/* The newest `limit` matching rows: scan windows ending at
		 * the newest row, growing until they hold enough. */
		int64_t w = limit;

		for (;;) {
			int64_t since = max > w ? max - w : 0;

			ring_clear(&g);
			rc = ks_store_audit_query(r->ks->store, since, group,
			                          action, 0, ring_cb, &g);
			if (rc != KS_OK || g.failed || g.n >= limit ||
			    since == 0)
				break;
			w = w > INT64_MAX / 4 ? INT64_MAX : w * 4;
		}
	}
	if (rc != KS_OK || g.failed) {
		ring_clear(&g);
		free(g.v);
		return KS_H_FAIL;
	}
	ipc_tab_init(&tb);
	ipc_tab_begin(&tb, "audit", cols, 7);
	/* Oldest first, newest last. */
	for (size_t i = 0; i < g.n; i++) {
		const struct audit_copy *c = &g.v[(g.head + i) % g.n];

		ipc_tab_int(&tb, c->id);
		ipc_tab_int(&tb, c->at);
		for (int k = 0; k < 5; k++) {
			if (c->s[k] != NULL)
				ipc_tab_textz(&tb, c->s[k]);
			else
				ipc_tab_null(&tb);
		}
	}
	ring_clear(&g);
	free(g.v);
	ks_reply_adm(r, &tb, IPC_ADM_OK, NULL);
	return KS_H_OK;
}

/* ---- read-only SQL ---- */

int
ks_h_adm_sql(struct ks_req *r)
{
	struct ipc_adm_sql m;
	struct ipc_tab_builder tb;
	char err[512], *sql;
	int rc;

	if (ipc_dec_adm_sql(r->payload, r->len, &m) != 0)
		return KS_H_MALFORMED;
	if (m.query.n == 0 || memchr(m.query.p, '\0', m.query.n) != NULL) {
		adm_error(r, IPC_ADM_E_USAGE,
		          "no query, or a query holding "
		          "NUL");
		return KS_H_OK;
	}
	sql = malloc(m.query.n + 1);
	if (sql == NULL)
		return KS_H_FAIL;
	memcpy(sql, m.query.p, m.query.n);
	sql[m.query.n] = '\0';
	ipc_tab_init(&tb);
	rc = ks_store_sql_readonly(r->ks->store, sql, &tb, err, sizeof(err));
	free(sql);
	if (rc != KS_OK) {
		ipc_tab_free(&tb); /* may hold a partial table */
		adm_error(r,
		          strncmp(err, "refused", 7) == 0 ? IPC_ADM_E_REFUSED
		                                          : IPC_ADM_E_USAGE,
		          "%s", err[0] != '\0' ? err : "query failed");
		return KS_H_OK;
	}
	ks_reply_adm(r, &tb, IPC_ADM_OK, err[0] != '\0' ? err : NULL);
	return KS_H_OK;
}

/* ---- check ---- */

int
ks_h_adm_db_check(struct ks_req *r)
{
	struct ipc_adm_target t;
	struct ipc_tab_builder tb;

	if (ipc_dec_adm_target(r->payload, r->len, &t) != 0)
		return KS_H_MALFORMED;
	ipc_tab_init(&tb);
	if (ks_store_check(r->ks->store, &tb) != KS_OK) {
		ipc_tab_free(&tb);
		return KS_H_FAIL;
	}
	ks_reply_adm(r, &tb, IPC_ADM_OK, NULL);
	return KS_H_OK;
}
