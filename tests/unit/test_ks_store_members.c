/* SPDX-License-Identifier: Apache-2.0 */
/* Tests of member storage (keystore/store_members.c): CRUD, uniqueness,
 * iterators, counts, 100,000 members in one transaction, and the query
 * plans of the hot lookups (no table scans). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_ks_util.h"

#include "store_int.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t ms[16] = {1, 2,  3,  4,  5,  6,  7,  8,
                               9, 10, 11, 12, 13, 14, 15, 16};

struct mfix {
	struct ks_fixture f;
	struct ks_group g, g2;
	int64_t as;
	int64_t tok[4];
};

static int
setup(void **state)
{
	struct ks_fixture *f;
	struct mfix *m;
	bool replaced;

	if (ks_fixture_setup(state) != 0)
		return -1;
	f = *state;
	m = calloc(1, sizeof(*m));
	m->f = *f;
	free(f);
	*state = m;
	test_group(&m->g, "g1", 0x10);
	test_group(&m->g2, "g2", 0x20);
	assert_int_equal(ks_store_group_create(m->f.s, &m->g, ms, 16), KS_OK);
	assert_int_equal(ks_store_group_create(m->f.s, &m->g2, ms, 16), KS_OK);
	m->as = test_as(m->f.s, "as");
	for (int i = 0; i < 4; i++) {
		struct ks_token t;

		test_token(&t, m->as, (uint8_t)(i + 1));
		assert_int_equal(ks_store_token_put(m->f.s, &t, &replaced),
		                 KS_OK);
		m->tok[i] = t.id;
	}
	return 0;
}

static int
teardown(void **state)
{
	struct mfix *m = *state;

	ks_store_close(m->f.s);
	tdir_remove(m->f.dir);
	free(m);
	return 0;
}

static void
assert_member_equal(const struct ks_member *a, const struct ks_member *b)
{
	assert_int_equal(a->id, b->id);
	assert_int_equal(a->group_id, b->group_id);
	assert_int_equal(a->token_id, b->token_id);
	assert_string_equal(a->node, b->node);
	assert_int_equal(a->perm, b->perm);
	assert_int_equal(a->has_sid, b->has_sid);
	assert_int_equal(a->sid_len, b->sid_len);
	assert_memory_equal(a->sid, b->sid, a->sid_len);
	assert_int_equal(a->cred_len, b->cred_len);
	assert_memory_equal(a->cred, b->cred, a->cred_len);
	assert_int_equal(a->cred_pop, b->cred_pop);
	assert_int_equal(a->cnonce_len, b->cnonce_len);
	assert_memory_equal(a->cnonce, b->cnonce, a->cnonce_len);
	assert_int_equal(a->join_scope_len, b->join_scope_len);
	assert_memory_equal(a->join_scope, b->join_scope, a->join_scope_len);
	assert_string_equal(a->control_uri, b->control_uri);
	assert_int_equal(a->birth_gid_len, b->birth_gid_len);
	assert_memory_equal(a->birth_gid, b->birth_gid, a->birth_gid_len);
	assert_int_equal(a->joined_at, b->joined_at);
	assert_int_equal(a->updated_at, b->updated_at);
}

static void
test_add_and_lookups(void **state)
{
	struct mfix *x = *state;
	struct ks_store *s = x->f.s;
	struct ks_member m, mon, out;

	test_member(&m, x->g.id, x->tok[0], 1);
	m.perm = UINT64_C(1) << 63 | 6; /* full 64-bit bitmap */
	m.cnonce_len = 8;
	memset(m.cnonce, 0xcc, 8);
	m.join_scope_len = 12;
	memcpy(m.join_scope, "\x82\x62g1\x06scopes", 12);
	snprintf(m.control_uri, sizeof(m.control_uri), "coap://[::1]/ctl");
	m.cred_len = KS_CRED_MAX; /* the largest credential */
	memset(m.cred, 0xcd, KS_CRED_MAX);
	assert_int_equal(ks_store_member_add(s, &m), KS_OK);
	assert_true(m.id > 0);

	/* A monitor: no Sender ID, no credential, no control URI. */
	test_member(&mon, x->g.id, x->tok[1], 2);
	mon.has_sid = false;
	mon.sid_len = 0;
	mon.cred_len = 0;
	mon.perm = 8;
	assert_int_equal(ks_store_member_add(s, &mon), KS_OK);

	assert_int_equal(ks_store_member_by_id(s, m.id, &out), KS_OK);
	assert_member_equal(&out, &m);
	assert_int_equal(ks_store_member_by_node(s, x->g.id, "n1", &out),
	                 KS_OK);
	assert_member_equal(&out, &m);
	assert_int_equal(ks_store_member_by_token(s, x->g.id, x->tok[0], &out),
	                 KS_OK);
	assert_member_equal(&out, &m);
	assert_int_equal(
	        ks_store_member_by_sid(s, x->g.id, m.sid, m.sid_len, &out),
	        KS_OK);
	assert_member_equal(&out, &m);
	assert_int_equal(ks_store_member_by_id(s, mon.id, &out), KS_OK);
	assert_member_equal(&out, &mon);
	assert_false(out.has_sid);
	assert_string_equal(out.control_uri, "");

	assert_int_equal(ks_store_member_sid_taken(s, x->g.id, m.sid, 3), 1);
	assert_int_equal(ks_store_member_sid_taken(s, x->g2.id, m.sid, 3), 0);
	assert_int_equal(ks_store_member_sid_taken(s, x->g.id, m.sid, 2), 0);
	/* The empty Sender ID is a value, distinct from "none". */
	assert_int_equal(ks_store_member_sid_taken(s, x->g.id, NULL, 0), 0);

	assert_int_equal(ks_store_member_by_node(s, x->g2.id, "n1", &out),
	                 KS_NOTFOUND);
	assert_int_equal(ks_store_member_by_token(s, x->g.id, x->tok[2], &out),
	                 KS_NOTFOUND);
	assert_int_equal(ks_store_member_by_id(s, 9999, &out), KS_NOTFOUND);
}

static void
test_uniqueness(void **state)
{
	struct mfix *x = *state;
	struct ks_store *s = x->f.s;
	struct ks_member a, b;
	int64_t n;

	test_member(&a, x->g.id, x->tok[0], 1);
	assert_int_equal(ks_store_member_add(s, &a), KS_OK);
	/* Same node name. */
	test_member(&b, x->g.id, x->tok[1], 2);
	snprintf(b.node, sizeof(b.node), "n1");
	assert_int_equal(ks_store_member_add(s, &b), KS_EXISTS);
	/* Same token in the group. */
	test_member(&b, x->g.id, x->tok[0], 2);
	assert_int_equal(ks_store_member_add(s, &b), KS_EXISTS);
	/* Same Sender ID in the group. */
	test_member(&b, x->g.id, x->tok[1], 2);
	memcpy(b.sid, a.sid, a.sid_len);
	assert_int_equal(ks_store_member_add(s, &b), KS_EXISTS);
	/* All of it in another group is fine. */
	test_member(&b, x->g2.id, x->tok[0], 1);
	assert_int_equal(ks_store_member_add(s, &b), KS_OK);
	/* Two monitors (no Sender ID) do not conflict. */
	test_member(&a, x->g.id, x->tok[1], 3);
	a.has_sid = false;
	assert_int_equal(ks_store_member_add(s, &a), KS_OK);
	test_member(&a, x->g.id, x->tok[2], 4);
	a.has_sid = false;
	assert_int_equal(ks_store_member_add(s, &a), KS_OK);
	/* Unknown token or group: foreign keys. */
	test_member(&a, x->g.id, 9999, 5);
	assert_int_equal(ks_store_member_add(s, &a), KS_ERR);
	test_member(&a, 9999, x->tok[3], 5);
	assert_int_equal(ks_store_member_add(s, &a), KS_ERR);

	assert_int_equal(ks_store_member_count(s, x->g.id, &n), KS_OK);
	assert_int_equal(n, 3);
	assert_int_equal(ks_store_member_count(s, x->g2.id, &n), KS_OK);
	assert_int_equal(n, 1);
	assert_int_equal(ks_store_member_total(s, &n), KS_OK);
	assert_int_equal(n, 4);
	assert_int_equal(ks_store_member_count(s, 9999, &n), KS_NOTFOUND);
}

static void
test_update_remove(void **state)
{
	struct mfix *x = *state;
	struct ks_store *s = x->f.s;
	struct ks_member a, b, out;
	int64_t n;

	test_member(&a, x->g.id, x->tok[0], 1);
	test_member(&b, x->g.id, x->tok[1], 2);
	assert_int_equal(ks_store_member_add(s, &a), KS_OK);
	assert_int_equal(ks_store_member_add(s, &b), KS_OK);

	/* Re-join: new Sender ID, credential, roles, URI, token. */
	a.sid[2] = 0x77;
	a.cred_len = 3;
	memcpy(a.cred, "new", 3);
	a.perm = 4;
	a.token_id = x->tok[2];
	snprintf(a.control_uri, sizeof(a.control_uri), "coap://x/y");
	a.updated_at += 100;
	a.group_id = x->g2.id; /* the group never changes */
	assert_int_equal(ks_store_member_update(s, &a), KS_OK);
	a.group_id = x->g.id;
	assert_int_equal(ks_store_member_by_id(s, a.id, &out), KS_OK);
	assert_member_equal(&out, &a);
	/* Conflicts on update. */
	memcpy(a.sid, b.sid, b.sid_len);
	assert_int_equal(ks_store_member_update(s, &a), KS_EXISTS);
	test_member(&out, x->g.id, x->tok[3], 9);
	out.id = 9999;
	assert_int_equal(ks_store_member_update(s, &out), KS_NOTFOUND);

	assert_int_equal(ks_store_member_remove(s, b.id), KS_OK);
	assert_int_equal(ks_store_member_remove(s, b.id), KS_NOTFOUND);
	assert_int_equal(ks_store_member_count(s, x->g.id, &n), KS_OK);
	assert_int_equal(n, 1);
	assert_int_equal(ks_store_member_sid_taken(s, x->g.id, b.sid, 3), 0);

	/* A token in use cannot be deleted. */
	assert_int_equal(ks_store_token_delete(s, x->tok[2]), KS_ERR);
	assert_int_equal(ks_store_member_remove(s, a.id), KS_OK);
	assert_int_equal(ks_store_token_delete(s, x->tok[2]), KS_OK);
}

struct mlist {
	struct ks_store *s;
	char nodes[8][IPC_NODE_MAX + 1];
	int64_t ids[8];
	size_t n;
	size_t stop_after;
	bool reenter;
	size_t inner;
};

static int
inner_cb(void *arg, const struct ks_member *m)
{
	struct mlist *l = arg;

	(void)m;
	l->inner++;
	return 0;
}

static int
mlist_cb(void *arg, const struct ks_member *m)
{
	struct mlist *l = arg;

	snprintf(l->nodes[l->n], sizeof(l->nodes[0]), "%s", m->node);
	l->ids[l->n++] = m->id;
	if (l->reenter) {
		struct ks_member tmp;

		/* Other queries and the same query again, while this one
		 * runs. */
		assert_int_equal(ks_store_member_by_id(l->s, m->id, &tmp),
		                 KS_OK);
		assert_int_equal(
		        ks_store_member_list(l->s, m->group_id, inner_cb, l),
		        KS_OK);
	}
	return l->stop_after != 0 && l->n >= l->stop_after;
}

static void
test_iterators(void **state)
{
	struct mfix *x = *state;
	struct ks_store *s = x->f.s;
	struct ks_member m;
	struct mlist l = {.s = s};
	const uint8_t bg[8] = {9, 9, 9, 9, 9, 9, 9, 9};

	test_member(&m, x->g.id, x->tok[0], 3);
	assert_int_equal(ks_store_member_add(s, &m), KS_OK);
	test_member(&m, x->g.id, x->tok[1], 1);
	snprintf(m.control_uri, sizeof(m.control_uri), "coap://a/1");
	assert_int_equal(ks_store_member_add(s, &m), KS_OK);
	test_member(&m, x->g.id, x->tok[2], 2);
	snprintf(m.control_uri, sizeof(m.control_uri), "coap://a/2");
	assert_int_equal(ks_store_member_add(s, &m), KS_OK);
	test_member(&m, x->g2.id, x->tok[0], 7);
	assert_int_equal(ks_store_member_add(s, &m), KS_OK);

	assert_int_equal(ks_store_member_list(s, x->g.id, mlist_cb, &l), KS_OK);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.nodes[0], "n1");
	assert_string_equal(l.nodes[1], "n2");
	assert_string_equal(l.nodes[2], "n3");

	l.n = 0;
	l.stop_after = 1;
	assert_int_equal(ks_store_member_list(s, x->g.id, mlist_cb, &l), KS_OK);
	assert_int_equal(l.n, 1);
	l.stop_after = 0;

	l.n = 0;
	l.reenter = true;
	assert_int_equal(ks_store_member_list(s, x->g.id, mlist_cb, &l), KS_OK);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.inner, 9);
	l.reenter = false;

	l.n = 0;
	assert_int_equal(
	        ks_store_member_with_control_uri(s, x->g.id, mlist_cb, &l),
	        KS_OK);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.nodes[0], "n1");
	assert_string_equal(l.nodes[1], "n2");

	l.n = 0;
	assert_int_equal(
	        ks_store_member_by_token_all(s, x->tok[0], mlist_cb, &l),
	        KS_OK);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.nodes[0], "n3");
	assert_string_equal(l.nodes[1], "n7");

	/* Birth Gids: parked joiners get the new one. */
	assert_int_equal(ks_store_member_set_birth_gid(s, l.ids[0], bg, 8),
	                 KS_OK);
	assert_int_equal(ks_store_member_set_birth_gid(s, 9999, bg, 8),
	                 KS_NOTFOUND);
	l.n = 0;
	assert_int_equal(
	        ks_store_member_by_birth_gid(s, x->g.id, bg, 8, mlist_cb, &l),
	        KS_OK);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.nodes[0], "n3");
	l.n = 0;
	assert_int_equal(
	        ks_store_member_by_birth_gid(s, x->g2.id, bg, 8, mlist_cb, &l),
	        KS_OK);
	assert_int_equal(l.n, 0);
	m.birth_gid[0] = 0xb0;
	l.n = 0;
	assert_int_equal(ks_store_member_by_birth_gid(s, x->g.id, m.birth_gid,
	                                              8, mlist_cb, &l),
	                 KS_OK);
	assert_int_equal(l.n, 2);
}

/* ---- query plans ---- */

struct trace {
	char *sql[32];
	size_t n;
};

static int
trace_cb(unsigned type, void *arg, void *p, void *x)
{
	struct trace *t = arg;
	const char *sql = sqlite3_sql(p);

	(void)type;
	(void)x;
	if (sql != NULL && strncmp(sql, "--", 2) != 0 && t->n < 32)
		t->sql[t->n++] = strdup(sql);
	return 0;
}

/* EXPLAIN QUERY PLAN of every statement traced; the plans, one per
 * line, into out. */
static void
plans(struct ks_store *s, struct trace *t, char *out, size_t size)
{
	sqlite3 *db = ks_store_db_handle(s);
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < t->n; i++) {
		char *q = sqlite3_mprintf("EXPLAIN QUERY PLAN %s", t->sql[i]);
		sqlite3_stmt *st = NULL;

		assert_int_equal(sqlite3_prepare_v2(db, q, -1, &st, NULL),
		                 SQLITE_OK);
		while (sqlite3_step(st) == SQLITE_ROW)
			len += (size_t)snprintf(out + len, size - len, "%s\n",
			                        sqlite3_column_text(st, 3));
		sqlite3_finalize(st);
		sqlite3_free(q);
		free(t->sql[i]);
	}
	t->n = 0;
}

static void
assert_indexed(const char *what, const char *plan, bool reads)
{
	static const char *const scans[] = {
	        "SCAN members",    "SCAN tokens", "SCAN stale_sids",
	        "SCAN stale_sets", "SCAN groups", "USE TEMP B-TREE"};

	for (size_t i = 0; i < sizeof(scans) / sizeof(scans[0]); i++) {
		if (strstr(plan, scans[i]) != NULL)
			fail_msg("%s is not an index lookup:\n%s", what, plan);
	}
	/* A plain INSERT has no plan; anything that looks rows up has. */
	if (reads && strlen(plan) == 0)
		fail_msg("%s: no statement traced", what);
}

static int
nop_cb(void *arg, const struct ks_member *m)
{
	(void)arg;
	(void)m;
	return 0;
}

static void
test_hot_queries_indexed(void **state)
{
	struct mfix *x = *state;
	struct ks_store *s = x->f.s;
	struct trace t = {.n = 0};
	struct ks_member m;
	struct ks_token tok;
	struct ks_group g;
	char plan[4096];
	int64_t ids[4], n64;
	size_t n;

	sqlite3_trace_v2(ks_store_db_handle(s), SQLITE_TRACE_STMT, trace_cb,
	                 &t);
#define CHECK_RW(what, call, reads)                                            \
	do {                                                                   \
		(void)(call);                                                  \
		plans(s, &t, plan, sizeof(plan));                              \
		assert_indexed(what, plan, reads);                             \
	} while (0)
#define CHECK(what, call)  CHECK_RW(what, call, true)
#define CHECKW(what, call) CHECK_RW(what, call, false)
	CHECK("member_by_node", ks_store_member_by_node(s, x->g.id, "n1", &m));
	CHECK("member_by_token",
	      ks_store_member_by_token(s, x->g.id, x->tok[0], &m));
	CHECK("member_sid_taken",
	      ks_store_member_sid_taken(s, x->g.id, (const uint8_t *)"a", 1));
	CHECK("member_by_sid",
	      ks_store_member_by_sid(s, x->g.id, (const uint8_t *)"a", 1, &m));
	CHECK("member_by_id", ks_store_member_by_id(s, 1, &m));
	CHECK("member_count", ks_store_member_count(s, x->g.id, &n64));
	CHECK("member_list", ks_store_member_list(s, x->g.id, nop_cb, NULL));
	CHECK("member_with_control_uri",
	      ks_store_member_with_control_uri(s, x->g.id, nop_cb, NULL));
	CHECK("member_by_token_all",
	      ks_store_member_by_token_all(s, x->tok[0], nop_cb, NULL));
	CHECK("member_by_birth_gid",
	      ks_store_member_by_birth_gid(s, x->g.id, (const uint8_t *)"b", 1,
	                                   nop_cb, NULL));
	test_member(&m, x->g.id, x->tok[0], 1);
	CHECKW("member_add", ks_store_member_add(s, &m));
	CHECK("member_update", ks_store_member_update(s, &m));
	CHECK("stale_contains",
	      ks_store_stale_contains(s, x->g.id, 0, (const uint8_t *)"a", 1));
	CHECKW("stale_add",
	       ks_store_stale_add(s, x->g.id, 0, (const uint8_t *)"a", 1));
	CHECK("token_by_kid",
	      ks_store_token_by_kid(s, (const uint8_t *)"ki\x01", 3, false,
	                            &tok));
	CHECK("token_by_handle",
	      ks_store_token_by_handle(s, &tok.handle, false, &tok));
	CHECK("token_by_fpr",
	      ks_store_token_by_fpr(s, tok.pop_fpr, false, &tok));
	CHECK("token_by_id", ks_store_token_by_id(s, tok.id, false, &tok));
	CHECK("token_next_exp", ks_store_token_next_exp(s, &n64));
	CHECK("group_by_name", ks_store_group_by_name(s, "g1", &g));
	CHECK("group_set_counters", ks_store_group_set_counters(s, &x->g));
	CHECK("member_remove", ks_store_member_remove(s, m.id));
#undef CHECK
#undef CHECKW
#undef CHECK_RW
	/* The expiry sweep: index lookups, only the UNION's own b-tree. */
	(void)ks_store_token_expired(s, 0, ids, 4, &n);
	plans(s, &t, plan, sizeof(plan));
	assert_non_null(strstr(plan, "SEARCH tokens USING COVERING INDEX "
	                             "tokens_exp"));
	/* The only scan allowed is of the partial index, which holds the
	 * revoked tokens alone. */
	for (const char *p = plan; (p = strstr(p, "SCAN tokens")) != NULL;
	     p++) {
		const char *ok = "SCAN tokens USING COVERING INDEX "
		                 "tokens_revoked";

		assert_memory_equal(p, ok, strlen(ok));
	}
	assert_non_null(strstr(plan, "tokens_revoked"));
	sqlite3_trace_v2(ks_store_db_handle(s), 0, NULL, NULL);
}

/* 100,000 members in one transaction, then lookups across the group. */
static void
test_many_members(void **state)
{
	struct mfix *x = *state;
	struct ks_store *s = x->f.s;
	enum { N = 100000 };
	struct ks_member m, out;
	int64_t n;

	assert_int_equal(ks_store_begin(s), KS_OK);
	for (unsigned i = 0; i < N; i++) {
		struct ks_token t;
		bool replaced;

		test_token(&t, x->as, 0);
		/* Distinct PoP keys: fingerprint and kid from i. */
		memcpy(t.pop_fpr, &i, sizeof(i));
		t.pop_fpr[31] = 0x5e;
		memcpy(t.pop_kid, &i, sizeof(i));
		t.pop_kid_len = sizeof(i);
		assert_int_equal(ks_store_token_put(s, &t, &replaced), KS_OK);
		test_member(&m, x->g.id, t.id, i + 10);
		if (ks_store_member_add(s, &m) != KS_OK)
			fail_msg("member %u not added", i);
	}
	assert_int_equal(ks_store_commit(s), KS_OK);
	assert_int_equal(ks_store_member_count(s, x->g.id, &n), KS_OK);
	assert_int_equal(n, N);
	assert_int_equal(ks_store_member_total(s, &n), KS_OK);
	assert_int_equal(n, N);
	for (unsigned i = 0; i < N; i += 997) {
		char node[16];
		uint8_t sid[3] = {(uint8_t)((i + 10) >> 16),
		                  (uint8_t)((i + 10) >> 8), (uint8_t)(i + 10)};

		snprintf(node, sizeof(node), "n%u", i + 10);
		assert_int_equal(
		        ks_store_member_by_node(s, x->g.id, node, &out), KS_OK);
		assert_memory_equal(out.sid, sid, 3);
		assert_int_equal(ks_store_member_sid_taken(s, x->g.id, sid, 3),
		                 1);
		assert_int_equal(
		        ks_store_member_by_token(s, x->g.id, out.token_id, &m),
		        KS_OK);
		assert_int_equal(m.id, out.id);
	}
	assert_int_equal(
	        ks_store_member_sid_taken(s, x->g.id,
	                                  (const uint8_t *)"\xff\xff\xff", 3),
	        0);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
	        T(test_add_and_lookups),     T(test_uniqueness),
	        T(test_update_remove),       T(test_iterators),
	        T(test_hot_queries_indexed), T(test_many_members),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
