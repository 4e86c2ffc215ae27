/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of the keystore's dispatch tables and group-commit plumbing
 * (keystore/dispatch.c, batch.c, server.c peers): which peer may send what,
 * refusal of everything else, savepoints and the outbox (order, undo of a
 * failed request, internal errors after a failed commit), and a few admin
 * requests run end to end against a real store without sockets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "clock.h"
#include "gm.h"
#include "handlers.h"
#include "rekey.h"
#include "test_ks_util.h"

#include <stdlib.h>
#include <string.h>

/* An assertion that also stops the static analyzer's path (cmocka's
 * _fail() is not declared noreturn). */
#define require(c)                                                             \
	do {                                                                   \
		assert_true(c);                                                \
		if (!(c))                                                      \
			abort();                                               \
	} while (0)

/* Every request type of handlers.h, by the peer kind that sends it. */
static const uint16_t fe_types[] = {
        IPC_MSG_AUTHZ_INFO,  IPC_MSG_PSK_IDENTITY,   IPC_MSG_RPK_IDENTITY,
        IPC_MSG_GROUP_NAMES, IPC_MSG_JOIN,           IPC_MSG_GROUP_READ,
        IPC_MSG_CREDS,       IPC_MSG_KDC_CRED_FETCH, IPC_MSG_STALE_SIDS,
        IPC_MSG_NODE,        IPC_MSG_NODE_CRED,      IPC_MSG_GROUP_LIST,
        IPC_MSG_FE_STATS};
#define NFE  (sizeof(fe_types) / sizeof(fe_types[0]))
#define NADM (IPC_MSG_ADM_RELOAD - IPC_MSG_ADM_STATUS + 1)

static void
test_tables_cover_every_request(void **state)
{
	const struct ks_dispatch_entry *fe, *adm;
	size_t nfe, nadm, seen_fe = 0, seen_adm = 0;

	(void)state;
	fe = ks_dispatch_table(IPC_PEER_FRONTEND, &nfe);
	adm = ks_dispatch_table(IPC_PEER_ADMIN, &nadm);
	assert_non_null(fe);
	assert_non_null(adm);
	assert_int_equal(nfe, NFE);
	assert_int_equal(nadm, NADM);
	assert_null(ks_dispatch_table(IPC_PEER_KEYSTORE, &nfe));
	assert_int_equal(nfe, 0);
	nfe = NFE;

	/* Every type of the catalogue a peer may send is in exactly one
	 * table: the one of the kind allowed to send it. */
	for (unsigned t = 0; t < 65536; t++) {
		bool in_fe = ks_dispatch_lookup(IPC_PEER_FRONTEND,
		                                (uint16_t)t) != NULL;
		bool in_adm =
		        ks_dispatch_lookup(IPC_PEER_ADMIN, (uint16_t)t) != NULL;

		assert_false(in_fe && in_adm);
		if (t == IPC_MSG_HELLO) {
			/* Handled by the IPC server, never dispatched. */
			assert_false(in_fe || in_adm);
			continue;
		}
		assert_int_equal(
		        in_fe, ipc_msg_allowed((uint16_t)t, IPC_PEER_FRONTEND));
		assert_int_equal(in_adm,
		                 ipc_msg_allowed((uint16_t)t, IPC_PEER_ADMIN));
		seen_fe += in_fe;
		seen_adm += in_adm;
	}
	assert_int_equal(seen_fe, NFE);
	assert_int_equal(seen_adm, NADM);

	for (size_t i = 0; i < NFE; i++) {
		const struct ks_dispatch_entry *e =
		        ks_dispatch_lookup(IPC_PEER_FRONTEND, fe_types[i]);

		assert_non_null(e);
		assert_non_null(e->handler);
		/* No admin request in the frontend's table. */
		assert_true(fe[i].type < IPC_MSG_ADM_STATUS);
		assert_int_equal(e->reply == 0,
		                 !ipc_msg_expects_reply(fe_types[i]));
		assert_int_equal((e->flags & KS_DF_NOTIFY) != 0,
		                 fe_types[i] == IPC_MSG_FE_STATS);
	}
	for (size_t i = 0; i < nadm; i++) {
		/* Nothing but admin requests in the admin table. */
		assert_true(adm[i].type >= IPC_MSG_ADM_STATUS &&
		            adm[i].type <= IPC_MSG_ADM_RELOAD);
		assert_int_equal(adm[i].reply, IPC_MSG_ADM_RESULT);
		assert_int_equal(adm[i].flags, 0);
		assert_non_null(adm[i].handler);
	}
	/* Reply types and a few handlers, exactly. */
	assert_int_equal(
	        ks_dispatch_lookup(IPC_PEER_FRONTEND, IPC_MSG_PSK_IDENTITY)
	                ->reply,
	        IPC_MSG_PSK_RESULT);
	assert_int_equal(
	        ks_dispatch_lookup(IPC_PEER_FRONTEND, IPC_MSG_RPK_IDENTITY)
	                ->reply,
	        IPC_MSG_PSK_RESULT);
	assert_int_equal(
	        ks_dispatch_lookup(IPC_PEER_FRONTEND, IPC_MSG_GROUP_LIST)
	                ->reply,
	        IPC_MSG_GROUP_LIST_RESULT);
	assert_int_equal(
	        ks_dispatch_lookup(IPC_PEER_FRONTEND, IPC_MSG_JOIN)->reply,
	        IPC_MSG_COAP_RESULT);
	assert_ptr_equal(
	        ks_dispatch_lookup(IPC_PEER_FRONTEND, IPC_MSG_JOIN)->handler,
	        ks_h_join);
	assert_ptr_equal(
	        ks_dispatch_lookup(IPC_PEER_ADMIN, IPC_MSG_ADM_SQL)->handler,
	        ks_h_adm_sql);
	assert_ptr_equal(ks_dispatch_lookup(IPC_PEER_FRONTEND, IPC_MSG_FE_STATS)
	                         ->handler,
	                 ks_h_fe_stats);
}

/* ---- a keystore context without sockets ---- */

struct env {
	struct ks_fixture f;
	uv_loop_t loop;
	struct ks ks;
	struct ks_peer fe, adm;
};

static void
peer_init(struct ks *ks, struct ks_peer *p, uint8_t kind, uint64_t id,
          const char *actor)
{
	memset(p, 0, sizeof(*p));
	p->ks = ks;
	p->kind = kind;
	p->conn_id = id;
	snprintf(p->actor, sizeof(p->actor), "%s", actor);
	p->next = ks->peers;
	ks->peers = p;
}

static int
env_setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	if (e == NULL)
		return -1;
	if (kdc_crypto_init() != 0) {
		free(e);
		return -1;
	}
	tdir_make(e->f.dir, sizeof(e->f.dir));
	tpath(e->f.db, sizeof(e->f.db), e->f.dir, "kdc.sqlite");
	if (ks_store_open(e->f.db, test_kek, &e->f.s) != KS_OK) {
		tdir_remove(e->f.dir);
		free(e);
		return -1;
	}
	uv_loop_init(&e->loop);
	e->ks.loop = &e->loop;
	e->ks.store = e->f.s;
	kdc_conf_defaults(&e->ks.conf);
	snprintf(e->ks.conf.state_dir, sizeof(e->ks.conf.state_dir), "%s",
	         e->f.dir);
	e->ks.stats.started_at = 1;
	ks_batch_init(&e->ks);
	ks_timers_init(&e->ks);
	/* conn == NULL: flushing skips them, the outbox is inspected. */
	peer_init(&e->ks, &e->fe, IPC_PEER_FRONTEND, 11, "fe1 pid=1 uid=1");
	peer_init(&e->ks, &e->adm, IPC_PEER_ADMIN, 12, "admin pid=2 uid=0");
	*state = e;
	return 0;
}

static int
env_teardown(void **state)
{
	struct env *e = *state;

	if (e->ks.batch.open)
		ks_store_rollback(e->ks.store);
	e->ks.batch.open = false;
	ks_outbox_fail(&e->ks);
	e->ks.stopping = true;
	ks_batch_commit(&e->ks); /* frees the outbox */
	while (e->ks.groups_rt != NULL)
		ks_group_rt_forget(&e->ks, e->ks.groups_rt->group_id);
	ks_kdc_keys_forget();
	free(e->fe.subs);
	free(e->adm.subs);
	uv_close((uv_handle_t *)&e->ks.timer, NULL);
	uv_close((uv_handle_t *)&e->ks.commit_check, NULL);
	uv_run(&e->loop, UV_RUN_DEFAULT);
	uv_loop_close(&e->loop);
	ks_store_close(e->f.s);
	tdir_remove(e->f.dir);
	free(e);
	return 0;
}

static int
send_frame(struct ks_peer *p, uint16_t type, uint16_t flags, uint32_t reqid,
           const struct ipc_wbuf *w)
{
	struct ipc_hdr h = {(uint32_t)(w != NULL ? w->len : 0), type, flags,
	                    reqid};

	return ks_dispatch(p, &h, w != NULL ? w->p : NULL);
}

static int
send_target(struct ks_peer *p, uint16_t type, uint32_t reqid, const char *group,
            const char *node, int64_t id, const char *arg)
{
	struct ipc_adm_target t;
	struct ipc_wbuf w;
	int rc;

	memset(&t, 0, sizeof(t));
	snprintf(t.group, sizeof(t.group), "%s", group);
	snprintf(t.node, sizeof(t.node), "%s", node);
	t.id = id;
	snprintf(t.arg, sizeof(t.arg), "%s", arg);
	ipc_wbuf_init(&w);
	assert_int_equal(ipc_enc_adm_target(&w, &t), 0);
	rc = send_frame(p, type, 0, reqid, &w);
	ipc_wbuf_free(&w);
	return rc;
}

/* The n-th outbox entry. */
static struct ks_out *
out_at(struct ks *ks, size_t n)
{
	struct ks_out *o = ks->batch.head;

	while (o != NULL && n-- > 0)
		o = o->next;
	require(o != NULL);
	return o;
}

/* Decode an ADM_RESULT entry; the caller frees r. */
static void
adm_result(const struct ks_out *o, struct ipc_adm_result *r)
{
	memset(r, 0, sizeof(*r));
	require(o != NULL);
	assert_int_equal(o->type, IPC_MSG_ADM_RESULT);
	assert_int_equal(o->flags, IPC_F_REPLY);
	assert_int_equal(ipc_dec_adm_result(o->payload, o->len, r), 0);
}

/* Cell (row, column name) of table t of r. */
static const struct ipc_cell *
cell(const struct ipc_adm_result *r, uint32_t t, uint32_t row, const char *col)
{
	const struct ipc_table *tb;

	require(t < r->ntables && r->tables != NULL);
	tb = &r->tables[t];
	require(row < tb->nrows);
	for (uint32_t c = 0; c < tb->ncols; c++)
		if (tb->col_names[c].n == strlen(col) &&
		    memcmp(tb->col_names[c].p, col, tb->col_names[c].n) == 0)
			return &tb->cells[row * tb->ncols + c];
	fail_msg("no column %s", col);
	abort();
}

static void
test_refusals(void **state)
{
	struct env *e = *state;
	struct ipc_wbuf w;

	ipc_wbuf_init(&w);
	/* A frontend may not administer, an admin may not join. */
	assert_int_equal(
	        send_target(&e->fe, IPC_MSG_ADM_STATUS, 1, "", "", 0, ""), -1);
	assert_int_equal(send_frame(&e->adm, IPC_MSG_GROUP_LIST, 0, 2, &w), -1);
	assert_int_equal(send_frame(&e->adm, IPC_MSG_FE_STATS, 0, 0, &w), -1);
	/* Unknown types, replies and pushes, HELLO. */
	assert_int_equal(send_frame(&e->fe, 999, 0, 3, &w), -1);
	assert_int_equal(send_frame(&e->fe, IPC_MSG_COAP_RESULT, 0, 3, &w), -1);
	assert_int_equal(
	        send_frame(&e->fe, IPC_MSG_GROUP_LIST, IPC_F_REPLY, 3, &w), -1);
	assert_int_equal(
	        send_frame(&e->fe, IPC_MSG_GROUP_LIST, IPC_F_PUSH, 0, &w), -1);
	assert_int_equal(send_frame(&e->fe, IPC_MSG_HELLO, 0, 3, &w), -1);
	/* Nothing was run or queued. */
	assert_false(e->ks.batch.open);
	assert_int_equal(e->ks.batch.count, 0);
	assert_int_equal(e->ks.stats.requests, 0);
}

static void
test_admin_status_and_commit(void **state)
{
	struct env *e = *state;
	struct ipc_adm_result r;
	struct ks_out *o;

	assert_int_equal(
	        send_target(&e->adm, IPC_MSG_ADM_STATUS, 7, "", "", 0, ""), 0);
	assert_true(e->ks.batch.open);
	assert_int_equal(e->ks.batch.count, 1);
	assert_int_equal(e->ks.stats.requests, 1);
	o = out_at(&e->ks, 0);
	assert_int_equal(o->conn_id, 12);
	assert_int_equal(o->reqid, 7);
	adm_result(o, &r);
	assert_int_equal(r.status, IPC_ADM_OK);
	assert_int_equal(r.ntables, 2);
	assert_int_equal(cell(&r, 0, 0, "frontends_connected")->i, 1);
	assert_int_equal(cell(&r, 0, 0, "groups")->i, 0);
	assert_int_equal(cell(&r, 0, 0, "keystore_requests")->i, 1);
	ipc_adm_result_free(&r);

	ks_batch_commit(&e->ks);
	assert_false(e->ks.batch.open);
	assert_false(ks_store_in_txn(e->ks.store));
	assert_null(e->ks.batch.head);
	assert_int_equal(e->ks.batch.count, 0);
	assert_int_equal(e->ks.stats.batches, 1);
	assert_int_equal(e->ks.stats.commits_failed, 0);
}

static void
test_malformed_drops_connection(void **state)
{
	struct env *e = *state;
	struct ipc_wbuf w;

	ipc_wbuf_init(&w);
	ipc_put_u8(&w, 1); /* far too short for an ipc_adm_target */
	assert_int_equal(send_frame(&e->adm, IPC_MSG_ADM_GROUP_SHOW, 0, 4, &w),
	                 -1);
	ipc_wbuf_free(&w);
	/* Nothing queued; the batch (opened for it) goes on. */
	assert_int_equal(e->ks.batch.count, 0);
	assert_true(ks_store_in_txn(e->ks.store));
	ks_batch_commit(&e->ks);
	assert_false(ks_store_in_txn(e->ks.store));
}

static void
test_fe_stats_is_a_notification(void **state)
{
	struct env *e = *state;
	struct ipc_fe_stats st = {123, 4, 5, 6};
	struct ipc_wbuf w;

	ipc_wbuf_init(&w);
	assert_int_equal(ipc_enc_fe_stats(&w, &st), 0);
	assert_int_equal(send_frame(&e->fe, IPC_MSG_FE_STATS, 0, 0, &w), 0);
	ipc_wbuf_free(&w);
	assert_int_equal(e->fe.stats.requests, 123);
	assert_int_equal(e->fe.stats.observers, 6);
	/* No reply, no transaction. */
	assert_false(e->ks.batch.open);
	assert_int_equal(e->ks.batch.count, 0);
}

static void
test_group_list_for_frontends(void **state)
{
	struct env *e = *state;
	struct ipc_group_list_result res;
	struct ks_out *o;

	assert_int_equal(send_frame(&e->fe, IPC_MSG_GROUP_LIST, 0, 9, NULL), 0);
	o = out_at(&e->ks, 0);
	assert_int_equal(o->type, IPC_MSG_GROUP_LIST_RESULT);
	assert_int_equal(o->reqid, 9);
	assert_int_equal(ipc_dec_group_list_result(o->payload, o->len, &res),
	                 0);
	assert_int_equal(res.n, 0);
	free(res.names);
}

static int
create_group(struct env *e, const char *name, uint32_t reqid)
{
	struct ipc_adm_group g;
	struct ipc_wbuf w;
	int rc;

	memset(&g, 0, sizeof(g));
	kdc_group_config_defaults(&g.config);
	snprintf(g.config.name, sizeof(g.config.name), "%s", name);
	g.config.active = true;
	ipc_wbuf_init(&w);
	assert_int_equal(ipc_enc_adm_group(&w, &g), 0);
	rc = send_frame(&e->adm, IPC_MSG_ADM_GROUP_CREATE, 0, reqid, &w);
	ipc_wbuf_free(&w);
	return rc;
}

static int
audit_count_cb(void *arg, const struct ks_audit_row *r)
{
	(void)r;
	(*(int *)arg)++;
	return 0;
}

static int
audit_count(struct env *e, const char *action)
{
	int n = 0;

	assert_int_equal(ks_store_audit_query(e->ks.store, 0, NULL, action, 0,
	                                      audit_count_cb, &n),
	                 KS_OK);
	return n;
}

static void
test_group_create_pushes_and_audits(void **state)
{
	struct env *e = *state;
	struct ipc_group_name_msg nm;
	struct ipc_adm_result r;
	struct ks_out *o;

	assert_int_equal(create_group(e, "g1", 20), 0);
	/* Push to the frontend first, then the answer. */
	assert_int_equal(e->ks.batch.count, 2);
	o = out_at(&e->ks, 0);
	assert_int_equal(o->type, IPC_MSG_PUSH_GROUP_ADDED);
	assert_int_equal(o->flags, IPC_F_PUSH);
	assert_int_equal(o->conn_id, e->fe.conn_id);
	assert_int_equal(ipc_dec_group_name_msg(o->payload, o->len, &nm), 0);
	assert_string_equal(nm.group, "g1");
	adm_result(out_at(&e->ks, 1), &r);
	assert_int_equal(r.status, IPC_ADM_OK);
	assert_int_equal(cell(&r, 0, 0, "num")->i, 0);
	ipc_adm_result_free(&r);
	assert_int_equal(audit_count(e, "group-create"), 1);

	/* A second one with the same name: E_EXISTS, nothing pushed. */
	assert_int_equal(create_group(e, "g1", 21), 0);
	assert_int_equal(e->ks.batch.count, 3);
	adm_result(out_at(&e->ks, 2), &r);
	assert_int_equal(r.status, IPC_ADM_E_EXISTS);
	ipc_adm_result_free(&r);
	ks_batch_commit(&e->ks);

	/* An invalid configuration is a usage error. */
	{
		struct ipc_adm_group g;
		struct ipc_wbuf w;

		memset(&g, 0, sizeof(g));
		kdc_group_config_defaults(&g.config);
		snprintf(g.config.name, sizeof(g.config.name), "bad");
		g.config.hkdf = 4;
		ipc_wbuf_init(&w);
		assert_int_equal(ipc_enc_adm_group(&w, &g), 0);
		assert_int_equal(send_frame(&e->adm, IPC_MSG_ADM_GROUP_CREATE,
		                            0, 22, &w),
		                 0);
		ipc_wbuf_free(&w);
		adm_result(out_at(&e->ks, 0), &r);
		assert_int_equal(r.status, IPC_ADM_E_USAGE);
		ipc_adm_result_free(&r);
	}
	ks_batch_commit(&e->ks);

	assert_int_equal(
	        send_target(&e->adm, IPC_MSG_ADM_GROUP_LIST, 23, "", "", 0, ""),
	        0);
	adm_result(out_at(&e->ks, 0), &r);
	require(r.ntables == 1);
	assert_int_equal(r.tables[0].nrows, 1);
	assert_int_equal(cell(&r, 0, 0, "members")->i, 0);
	assert_int_equal(cell(&r, 0, 0, "active")->i, 1);
	ipc_adm_result_free(&r);
}

/* A member of g1 (token + row) subscribed through the frontend. */
static void
add_member(struct env *e, struct ks_group *g, struct ks_member *m, unsigned n)
{
	struct ks_token t;
	char as_name[16];
	bool replaced;
	int64_t as_id;

	assert_int_equal(ks_batch_ensure(&e->ks), 0);
	snprintf(as_name, sizeof(as_name), "as-%u", n);
	as_id = test_as(e->ks.store, as_name);
	test_token(&t, as_id, (uint8_t)n);
	assert_int_equal(ks_store_token_put(e->ks.store, &t, &replaced), KS_OK);
	assert_int_equal(ks_store_group_by_name(e->ks.store, "g1", g), KS_OK);
	test_member(m, g->id, t.id, n);
	m->has_sid = true;
	m->sid_len = 1;
	m->sid[0] = (uint8_t)n;
	assert_int_equal(ks_store_member_add(e->ks.store, m), KS_OK);
	ks_batch_commit(&e->ks);
}

static void
test_subscription_snapshot_and_undo(void **state)
{
	struct env *e = *state;
	struct ks_outbox_mark mark;
	struct ks_group g;
	struct ks_req r;
	struct ks_out *o;

	assert_int_equal(create_group(e, "g1", 30), 0);
	ks_batch_commit(&e->ks);
	assert_int_equal(ks_store_group_by_name(e->ks.store, "g1", &g), KS_OK);

	assert_int_equal(ks_batch_ensure(&e->ks), 0);
	memset(&r, 0, sizeof(r));
	r.ks = &e->ks;
	r.peer = &e->fe;
	ks_outbox_mark(&e->ks, &mark);
	assert_int_equal(ks_peer_subscribe(&r, &g), 0);
	assert_true(ks_peer_subscribed(&e->fe, g.id));
	assert_int_equal(e->ks.batch.count, 1);
	o = out_at(&e->ks, 0);
	assert_int_equal(o->type, IPC_MSG_PUSH_GROUP_STATE);
	assert_true(o->secret); /* it holds the Master Secret */
	/* Subscribed already: no second snapshot. */
	assert_int_equal(ks_peer_subscribe(&r, &g), 0);
	assert_int_equal(e->ks.batch.count, 1);
	/* Admin connections never subscribe. */
	r.peer = &e->adm;
	assert_int_equal(ks_peer_subscribe(&r, &g), 0);
	assert_false(ks_peer_subscribed(&e->adm, g.id));
	assert_int_equal(e->ks.batch.count, 1);

	/* Dropping the snapshot (a failed request) drops the
	 * subscription. */
	ks_outbox_truncate(&e->ks, &mark);
	assert_int_equal(e->ks.batch.count, 0);
	assert_null(e->ks.batch.head);
	assert_false(ks_peer_subscribed(&e->fe, g.id));
	r.peer = &e->fe;
	assert_int_equal(ks_peer_subscribe(&r, &g), 0);
	assert_int_equal(e->ks.batch.count, 1);
	ks_peer_unsubscribe_group(&e->ks, g.id);
	assert_false(ks_peer_subscribed(&e->fe, g.id));
}

static void
test_outbox_fail_answers_internal_errors(void **state)
{
	struct env *e = *state;
	struct ipc_coap_result cr;
	struct ipc_psk_result pr;
	struct ipc_adm_result ar;
	struct ipc_wbuf w;
	struct ks_req r;
	struct ks_out *o;
	uint8_t secret[4] = {1, 2, 3, 4};

	memset(&r, 0, sizeof(r));
	r.ks = &e->ks;
	r.peer = &e->fe;
	r.reqid = 41;
	/* A 2.05 with a payload, a push, a PSK answer. */
	memset(&cr, 0, sizeof(cr));
	cr.code = KS_CODE(2, 5);
	cr.content_format = 261;
	cr.max_age = -1;
	cr.payload.p = secret;
	cr.payload.n = sizeof(secret);
	ks_reply_coap(&r, &cr);
	ipc_wbuf_init(&w);
	ipc_put_u8(&w, 0);
	ks_push_frontends(&e->ks, IPC_MSG_PUSH_GROUP_ADDED, &w);
	ipc_wbuf_free(&w);
	r.reqid = 42;
	memset(&pr, 0, sizeof(pr));
	pr.status = IPC_PSK_OK;
	pr.key.p = secret;
	pr.key.n = sizeof(secret);
	ipc_wbuf_init(&w);
	assert_int_equal(ipc_enc_psk_result(&w, &pr), 0);
	ks_reply(&r, IPC_MSG_PSK_RESULT, &w);
	ipc_wbuf_free(&w);
	/* An admin stream: a chunk and the final result. */
	r.peer = &e->adm;
	r.reqid = 43;
	ipc_wbuf_init(&w);
	ipc_put_raw(&w, secret, sizeof(secret));
	ks_reply_more(&r, IPC_MSG_ADM_CHUNK, &w);
	ipc_wbuf_free(&w);
	ks_reply_adm(&r, NULL, IPC_ADM_OK, NULL);
	assert_int_equal(e->ks.batch.count, 5);

	ks_outbox_fail(&e->ks);
	assert_int_equal(e->ks.batch.count, 3);
	o = out_at(&e->ks, 0);
	assert_int_equal(o->type, IPC_MSG_COAP_RESULT);
	assert_int_equal(o->reqid, 41);
	assert_int_equal(o->flags, IPC_F_REPLY);
	assert_int_equal(ipc_dec_coap_result(o->payload, o->len, &cr), 0);
	assert_int_equal(cr.code, KS_CODE(5, 0));
	assert_int_equal(cr.payload.n, 0);
	assert_int_equal(cr.content_format, -1);
	o = out_at(&e->ks, 1);
	assert_int_equal(o->type, IPC_MSG_PSK_RESULT);
	assert_int_equal(o->reqid, 42);
	assert_int_equal(ipc_dec_psk_result(o->payload, o->len, &pr), 0);
	assert_int_equal(pr.status, IPC_PSK_UNKNOWN);
	assert_int_equal(pr.key.n, 0);
	o = out_at(&e->ks, 2);
	assert_int_equal(o->reqid, 43);
	adm_result(o, &ar);
	assert_int_equal(ar.status, IPC_ADM_E_INTERNAL);
	assert_int_equal(ar.error.n, strlen("database commit failed"));
	assert_memory_equal(ar.error.p, "database commit failed", ar.error.n);
	ipc_adm_result_free(&ar);
	assert_null(o->next);
	/* The queue stays usable. */
	ks_reply_adm(&r, NULL, IPC_ADM_OK, NULL);
	assert_int_equal(e->ks.batch.count, 4);
	assert_ptr_equal(out_at(&e->ks, 3)->next, NULL);
}

static void
test_evict_and_delete(void **state)
{
	struct env *e = *state;
	struct ipc_adm_result r;
	struct ipc_member_msg mm;
	struct ks_group g;
	struct ks_member m1, m2, got;
	struct ks_req req;
	struct ks_out *o;
	int64_t n;
	size_t i;

	assert_int_equal(create_group(e, "g1", 50), 0);
	ks_batch_commit(&e->ks);
	add_member(e, &g, &m1, 1);
	/* Make the frontend a subscriber of g1. */
	assert_int_equal(ks_batch_ensure(&e->ks), 0);
	memset(&req, 0, sizeof(req));
	req.ks = &e->ks;
	req.peer = &e->fe;
	assert_int_equal(ks_peer_subscribe(&req, &g), 0);
	ks_batch_commit(&e->ks);

	assert_int_equal(send_target(&e->adm, IPC_MSG_ADM_MEMBER_SHOW, 51, "g1",
	                             "n1", 0, ""),
	                 0);
	adm_result(out_at(&e->ks, 0), &r);
	assert_int_equal(r.status, IPC_ADM_OK);
	assert_int_equal(cell(&r, 0, 0, "perm")->i, 6);
	assert_memory_equal(cell(&r, 0, 0, "roles")->v.p, "requester,responder",
	                    19);
	assert_int_equal(cell(&r, 0, 0, "sid")->v.n, 1);
	ipc_adm_result_free(&r);
	ks_batch_commit(&e->ks);

	assert_int_equal(send_target(&e->adm, IPC_MSG_ADM_MEMBER_EVICT, 52,
	                             "g1", "n1", 0, ""),
	                 0);
	/* PUSH_MEMBER REMOVED to the subscriber, then the answer. */
	o = out_at(&e->ks, 0);
	assert_int_equal(o->type, IPC_MSG_PUSH_MEMBER);
	assert_int_equal(o->conn_id, e->fe.conn_id);
	assert_int_equal(ipc_dec_member_msg(o->payload, o->len, &mm), 0);
	assert_int_equal(mm.op, IPC_MEMBER_REMOVED);
	assert_int_equal(mm.reason, IPC_REMOVED_EVICTED);
	assert_string_equal(mm.node, "n1");
	for (o = e->ks.batch.head, i = 0; o->next != NULL; o = o->next)
		i++;
	adm_result(o, &r);
	assert_int_equal(r.status, IPC_ADM_OK);
	ipc_adm_result_free(&r);
	ks_batch_commit(&e->ks);
	assert_int_equal(ks_store_member_by_node(e->ks.store, g.id, "n1", &got),
	                 KS_NOTFOUND);
	assert_int_equal(audit_count(e, "evict"), 1);
	/* Forward security: a rekey is pending for the group. */
	assert_int_equal(ks_store_group_by_id(e->ks.store, g.id, &g), KS_OK);
	assert_true(g.rekey_pending & KS_REKEY_LEAVE);

	/* Delete with a member left: it goes, the frontends learn it. */
	add_member(e, &g, &m2, 2);
	assert_int_equal(send_target(&e->adm, IPC_MSG_ADM_GROUP_DELETE, 53,
	                             "g1", "", 0, ""),
	                 0);
	o = out_at(&e->ks, 0);
	assert_int_equal(o->type, IPC_MSG_PUSH_MEMBER);
	assert_int_equal(ipc_dec_member_msg(o->payload, o->len, &mm), 0);
	assert_int_equal(mm.reason, IPC_REMOVED_GROUP_DELETED);
	o = out_at(&e->ks, 1);
	assert_int_equal(o->type, IPC_MSG_PUSH_GROUP_DELETED);
	adm_result(out_at(&e->ks, 2), &r);
	assert_int_equal(r.status, IPC_ADM_OK);
	ipc_adm_result_free(&r);
	ks_batch_commit(&e->ks);
	assert_false(ks_peer_subscribed(&e->fe, g.id));
	assert_null(ks_group_rt(&e->ks, g.id, false));
	assert_int_equal(ks_store_group_by_name(e->ks.store, "g1", &g),
	                 KS_NOTFOUND);
	assert_int_equal(ks_store_member_total(e->ks.store, &n), KS_OK);
	assert_int_equal(n, 0);
	assert_int_equal(audit_count(e, "group-delete"), 1);
	(void)i;
}

static void
test_sql_and_audit(void **state)
{
	struct env *e = *state;
	struct ipc_adm_result r;
	struct ipc_adm_sql q;
	struct ipc_adm_audit a;
	struct ipc_wbuf w;
	const char *sql = "UPDATE groups SET num = 1";

	for (int i = 0; i < 5; i++) {
		char name[8];

		snprintf(name, sizeof(name), "g%d", i);
		assert_int_equal(create_group(e, name, (uint32_t)(60 + i)), 0);
	}
	ks_batch_commit(&e->ks);

	q.query.p = (const uint8_t *)sql;
	q.query.n = strlen(sql);
	ipc_wbuf_init(&w);
	assert_int_equal(ipc_enc_adm_sql(&w, &q), 0);
	assert_int_equal(send_frame(&e->adm, IPC_MSG_ADM_SQL, 0, 70, &w), 0);
	ipc_wbuf_free(&w);
	adm_result(out_at(&e->ks, 0), &r);
	assert_int_equal(r.status, IPC_ADM_E_REFUSED);
	assert_int_equal(r.ntables, 0);
	ipc_adm_result_free(&r);
	ks_batch_commit(&e->ks);

	/* The newest three, newest last. */
	memset(&a, 0, sizeof(a));
	a.limit = 3;
	ipc_wbuf_init(&w);
	assert_int_equal(ipc_enc_adm_audit(&w, &a), 0);
	assert_int_equal(send_frame(&e->adm, IPC_MSG_ADM_AUDIT, 0, 71, &w), 0);
	ipc_wbuf_free(&w);
	adm_result(out_at(&e->ks, 0), &r);
	assert_int_equal(r.tables[0].nrows, 3);
	assert_int_equal(cell(&r, 0, 0, "id")->i, 3);
	assert_int_equal(cell(&r, 0, 2, "id")->i, 5);
	assert_memory_equal(cell(&r, 0, 2, "group")->v.p, "g4", 2);
	ipc_adm_result_free(&r);
	ks_batch_commit(&e->ks);

	/* Paging forward from an id, with an action filter. */
	a.limit = 2;
	a.since_id = 1;
	snprintf(a.action, sizeof(a.action), "group-create");
	ipc_wbuf_init(&w);
	assert_int_equal(ipc_enc_adm_audit(&w, &a), 0);
	assert_int_equal(send_frame(&e->adm, IPC_MSG_ADM_AUDIT, 0, 72, &w), 0);
	ipc_wbuf_free(&w);
	adm_result(out_at(&e->ks, 0), &r);
	assert_int_equal(r.tables[0].nrows, 2);
	assert_int_equal(cell(&r, 0, 0, "id")->i, 2);
	assert_int_equal(cell(&r, 0, 1, "id")->i, 3);
	ipc_adm_result_free(&r);
}

static void
test_backup_streams_chunks(void **state)
{
	struct env *e = *state;
	struct ipc_adm_result r;
	struct ks_out *o;
	size_t chunks = 0, bytes = 0;

	assert_int_equal(create_group(e, "g1", 80), 0);
	ks_batch_commit(&e->ks);
	assert_int_equal(
	        send_target(&e->adm, IPC_MSG_ADM_DB_BACKUP, 81, "", "", 0, ""),
	        0);
	for (o = e->ks.batch.head; o != NULL && o->next != NULL; o = o->next) {
		assert_int_equal(o->type, IPC_MSG_ADM_CHUNK);
		assert_int_equal(o->flags, IPC_F_REPLY | IPC_F_MORE);
		assert_int_equal(o->reqid, 81);
		assert_true(o->len <= (size_t)1024 * 1024);
		assert_true(o->secret);
		if (chunks++ == 0)
			assert_memory_equal(o->payload, "SQLite format 3", 15);
		bytes += o->len;
	}
	assert_true(chunks >= 1);
	adm_result(o, &r);
	assert_int_equal(r.status, IPC_ADM_OK);
	assert_int_equal(cell(&r, 0, 0, "bytes")->i, (int64_t)bytes);
	ipc_adm_result_free(&r);
}

static void
test_failed_batch_is_rolled_back(void **state)
{
	struct env *e = *state;
	struct ks_group g1, g2;

	assert_int_equal(create_group(e, "g1", 90), 0);
	ks_batch_commit(&e->ks);
	assert_int_equal(ks_store_group_by_name(e->ks.store, "g1", &g1), KS_OK);
	assert_non_null(ks_group_rt(&e->ks, g1.id, false));

	/* A batch whose savepoint could not be undone is rolled back. */
	assert_int_equal(create_group(e, "g2", 91), 0);
	assert_int_equal(ks_store_group_by_name(e->ks.store, "g2", &g2), KS_OK);
	assert_non_null(ks_group_rt(&e->ks, g2.id, false));
	e->ks.batch.failed = true;
	ks_batch_commit(&e->ks);
	assert_int_equal(e->ks.stats.commits_failed, 1);
	assert_true(e->ks.batch.last_failed);
	assert_false(ks_store_in_txn(e->ks.store));
	assert_int_equal(ks_store_group_by_name(e->ks.store, "g2", &g2),
	                 KS_NOTFOUND);
	assert_int_equal(audit_count(e, "group-create"), 1);
	/* The runtime state is rebuilt from what was committed. */
	assert_non_null(ks_group_rt(&e->ks, g1.id, false));
	assert_true(ks_group_rt(&e->ks, g1.id, false)->renew_ms > 0);
	assert_null(ks_group_rt(&e->ks, g2.id, false));
	assert_null(e->ks.batch.head);

	/* The next batch commits normally. */
	assert_int_equal(create_group(e, "g2", 92), 0);
	ks_batch_commit(&e->ks);
	assert_false(e->ks.batch.last_failed);
	assert_int_equal(ks_store_group_by_name(e->ks.store, "g2", &g2), KS_OK);
}

static void
test_timer_expires_tokens(void **state)
{
	struct env *e = *state;
	struct ks_token t, got;
	bool replaced;
	int64_t as_id;

	/* Nothing due: the timer sleeps the 60 s cap. */
	ks_timers_rearm(&e->ks);
	assert_true(uv_timer_get_due_in(&e->ks.timer) > 59000);
	assert_true(uv_timer_get_due_in(&e->ks.timer) <= 60000);

	assert_int_equal(ks_batch_ensure(&e->ks), 0);
	as_id = test_as(e->ks.store, "as-exp");
	test_token(&t, as_id, 9);
	t.exp = kdc_now() - 1;
	assert_int_equal(ks_store_token_put(e->ks.store, &t, &replaced), KS_OK);
	ks_batch_commit(&e->ks);
	ks_timers_rearm(&e->ks);
	assert_true(uv_timer_get_due_in(&e->ks.timer) <= 5);
	/* The loop runs the expiry and commits it (bounded; NOWAIT, since
	 * once it is done the loop would sleep until the next deadline). */
	for (int i = 0; i < 500; i++) {
		uv_run(&e->loop, UV_RUN_NOWAIT);
		if (ks_store_token_by_id(e->ks.store, t.id, false, &got) ==
		    KS_NOTFOUND)
			break;
		usleep(2000);
	}
	assert_int_equal(ks_store_token_by_id(e->ks.store, t.id, false, &got),
	                 KS_NOTFOUND);
	assert_false(e->ks.batch.open);
	assert_int_equal(audit_count(e, "token-expire"), 1);
	/* Nothing left: back to the cap. */
	assert_true(uv_timer_get_due_in(&e->ks.timer) > 59000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_tables_cover_every_request),
	        cmocka_unit_test_setup_teardown(test_refusals, env_setup,
	                                        env_teardown),
	        cmocka_unit_test_setup_teardown(test_admin_status_and_commit,
	                                        env_setup, env_teardown),
	        cmocka_unit_test_setup_teardown(test_malformed_drops_connection,
	                                        env_setup, env_teardown),
	        cmocka_unit_test_setup_teardown(test_fe_stats_is_a_notification,
	                                        env_setup, env_teardown),
	        cmocka_unit_test_setup_teardown(test_group_list_for_frontends,
	                                        env_setup, env_teardown),
	        cmocka_unit_test_setup_teardown(
	                test_group_create_pushes_and_audits, env_setup,
	                env_teardown),
	        cmocka_unit_test_setup_teardown(
	                test_subscription_snapshot_and_undo, env_setup,
	                env_teardown),
	        cmocka_unit_test_setup_teardown(
	                test_outbox_fail_answers_internal_errors, env_setup,
	                env_teardown),
	        cmocka_unit_test_setup_teardown(test_evict_and_delete,
	                                        env_setup, env_teardown),
	        cmocka_unit_test_setup_teardown(test_sql_and_audit, env_setup,
	                                        env_teardown),
	        cmocka_unit_test_setup_teardown(test_backup_streams_chunks,
	                                        env_setup, env_teardown),
	        cmocka_unit_test_setup_teardown(
	                test_failed_batch_is_rolled_back, env_setup,
	                env_teardown),
	        cmocka_unit_test_setup_teardown(test_timer_expires_tokens,
	                                        env_setup, env_teardown),
	};
	return cmocka_run_group_tests_name("ks_dispatch", tests, NULL, NULL);
}
