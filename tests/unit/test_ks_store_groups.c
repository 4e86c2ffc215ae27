/* SPDX-License-Identifier: Apache-2.0 */
/* Tests of group storage (keystore/store_groups.c): creation, lookups,
 * Gid = prefix || epoch, sealed Master Secrets, rekey with previous
 * material, configuration updates, counters, cascading delete. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_ks_util.h"

#include "store_int.h"

#include <sqlite3.h>
#include <string.h>

static const uint8_t ms0[17] = "MasterSecret-v0!";
static const uint8_t ms1[17] = "MasterSecret-v1?";

static int64_t
scalar(struct ks_store *s, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t v = -1;

	assert_int_equal(
	        sqlite3_prepare_v2(ks_store_db_handle(s), sql, -1, &st, NULL),
	        SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void
assert_group_equal(const struct ks_group *a, const struct ks_group *b)
{
	const struct kdc_group_config *x = &a->cfg, *y = &b->cfg;

	assert_int_equal(a->id, b->id);
	assert_string_equal(x->name, y->name);
	assert_string_equal(x->description, y->description);
	assert_int_equal(x->active, y->active);
	assert_int_equal(x->hkdf, y->hkdf);
	assert_int_equal(x->cred_fmt, y->cred_fmt);
	assert_int_equal(x->group_mode, y->group_mode);
	assert_int_equal(x->gp_enc_alg, y->gp_enc_alg);
	assert_int_equal(x->sign_alg, y->sign_alg);
	assert_int_equal(x->sign_crv, y->sign_crv);
	assert_int_equal(x->pairwise_mode, y->pairwise_mode);
	assert_int_equal(x->alg, y->alg);
	assert_int_equal(x->ecdh_alg, y->ecdh_alg);
	assert_int_equal(x->ecdh_crv, y->ecdh_crv);
	assert_int_equal(x->key_lifetime, y->key_lifetime);
	assert_int_equal(x->key_update_check_interval,
	                 y->key_update_check_interval);
	assert_int_equal(x->expiration_delta, y->expiration_delta);
	assert_int_equal(x->max_members, y->max_members);
	assert_int_equal(x->rekey_on_join, y->rekey_on_join);
	assert_int_equal(x->rekey_on_leave, y->rekey_on_leave);
	assert_int_equal(x->rekey_after_restart, y->rekey_after_restart);
	assert_int_equal(x->min_rekey_interval_ms, y->min_rekey_interval_ms);
	assert_int_equal(x->max_stale_sets, y->max_stale_sets);
	assert_int_equal(x->prev_grace, y->prev_grace);
	assert_int_equal(x->sid_max_len, y->sid_max_len);
	assert_int_equal(x->gid_prefix_len, y->gid_prefix_len);
	assert_int_equal(x->gid_epoch_len, y->gid_epoch_len);
	assert_int_equal(a->created_at, b->created_at);
	assert_int_equal(a->gid_prefix_len, b->gid_prefix_len);
	assert_memory_equal(a->gid_prefix, b->gid_prefix, a->gid_prefix_len);
	assert_int_equal(a->epoch, b->epoch);
	assert_int_equal(a->gid_len, b->gid_len);
	assert_memory_equal(a->gid, b->gid, a->gid_len);
	assert_int_equal(a->num, b->num);
	assert_int_equal(a->exp, b->exp);
	assert_int_equal(a->rekeyed_at_ms, b->rekeyed_at_ms);
	assert_int_equal(a->salt_len, b->salt_len);
	assert_memory_equal(a->salt, b->salt, a->salt_len);
	assert_int_equal(a->sid_next, b->sid_next);
	assert_int_equal(a->sid_wrap, b->sid_wrap);
	assert_int_equal(a->node_next, b->node_next);
	assert_int_equal(a->rekey_pending, b->rekey_pending);
	assert_int_equal(a->rekeys_done, b->rekeys_done);
}

static void
test_create_and_lookups(void **state)
{
	struct ks_fixture *f = *state;
	struct ks_group g, out;
	const uint8_t gid0[8] = {0xab, 0xab, 0xab, 0xab, 0, 0, 0, 0};

	test_group(&g, "g1", 0xab);
	g.cfg.max_members = 77;
	g.cfg.rekey_after_restart = true;
	g.sid_next = 5;
	g.rekey_pending = 3;
	assert_int_equal(ks_store_group_create(f->s, &g, ms0, 16), KS_OK);
	assert_true(g.id > 0);
	/* Gid = prefix || epoch on 4 bytes, filled in by the store. */
	assert_int_equal(g.gid_len, 8);
	assert_memory_equal(g.gid, gid0, 8);

	assert_int_equal(ks_store_group_by_name(f->s, "g1", &out), KS_OK);
	assert_group_equal(&out, &g);
	assert_int_equal(ks_store_group_by_id(f->s, g.id, &out), KS_OK);
	assert_group_equal(&out, &g);
	assert_int_equal(ks_store_group_by_name(f->s, "nope", &out),
	                 KS_NOTFOUND);
	assert_int_equal(ks_store_group_by_id(f->s, g.id + 1, &out),
	                 KS_NOTFOUND);
}

struct glist {
	int64_t ids[8];
	size_t n;
};

static int
glist_cb(void *arg, const struct ks_group *g)
{
	struct glist *l = arg;

	l->ids[l->n++] = g->id;
	return 0;
}

static void
test_exists_and_list(void **state)
{
	struct ks_fixture *f = *state;
	struct ks_group a, b, c;
	struct glist l = {.n = 0};

	test_group(&a, "a", 1);
	assert_int_equal(ks_store_group_create(f->s, &a, ms0, 16), KS_OK);
	test_group(&b, "a", 2); /* same name */
	assert_int_equal(ks_store_group_create(f->s, &b, ms0, 16), KS_EXISTS);
	test_group(&b, "b", 1); /* same Gid prefix */
	assert_int_equal(ks_store_group_create(f->s, &b, ms0, 16), KS_EXISTS);
	test_group(&b, "b", 2);
	assert_int_equal(ks_store_group_create(f->s, &b, ms0, 16), KS_OK);
	/* Shapes the Gid cannot have. */
	test_group(&c, "c", 3);
	c.cfg.gid_epoch_len = 0;
	assert_int_equal(ks_store_group_create(f->s, &c, ms0, 16), KS_ERR);
	test_group(&c, "c", 3);
	c.cfg.gid_epoch_len = 9;
	assert_int_equal(ks_store_group_create(f->s, &c, ms0, 16), KS_ERR);
	test_group(&c, "c", 3);
	assert_int_equal(ks_store_group_create(f->s, &c, ms0, 33), KS_ERR);

	assert_int_equal(ks_store_group_list(f->s, glist_cb, &l), KS_OK);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.ids[0], a.id);
	assert_int_equal(l.ids[1], b.id);
	l.n = 0;
	assert_int_equal(
	        ks_store_group_by_gid(f->s, b.gid, b.gid_len, glist_cb, &l),
	        KS_OK);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.ids[0], b.id);
}

static void
test_material(void **state)
{
	struct ks_fixture *f = *state;
	struct ks_group g;
	struct kdc_group_material m;

	test_group(&g, "g1", 0x21);
	g.cfg.key_update_check_interval = 1234;
	g.cfg.expiration_delta = 55;
	assert_int_equal(ks_store_group_create(f->s, &g, ms0, 16), KS_OK);
	assert_int_equal(ks_store_group_material(f->s, &g, &m), KS_OK);
	assert_string_equal(m.name, "g1");
	assert_int_equal(m.num, 0);
	assert_int_equal(m.exp, g.exp);
	assert_true(m.active);
	assert_int_equal(m.ms_len, 16);
	assert_memory_equal(m.ms, ms0, 16);
	assert_int_equal(m.salt_len, 8);
	assert_memory_equal(m.salt, g.salt, 8);
	assert_int_equal(m.gid_len, 8);
	assert_memory_equal(m.gid, g.gid, 8);
	assert_int_equal(m.hkdf, g.cfg.hkdf);
	assert_int_equal(m.cred_fmt, g.cfg.cred_fmt);
	assert_int_equal(m.gp_enc_alg, g.cfg.gp_enc_alg);
	assert_int_equal(m.sign_alg, g.cfg.sign_alg);
	assert_int_equal(m.sign_crv, g.cfg.sign_crv);
	assert_int_equal(m.alg, g.cfg.alg);
	assert_int_equal(m.ecdh_alg, g.cfg.ecdh_alg);
	assert_int_equal(m.ecdh_crv, g.cfg.ecdh_crv);
	assert_int_equal(m.group_mode, g.cfg.group_mode);
	assert_int_equal(m.pairwise_mode, g.cfg.pairwise_mode);
	assert_int_equal(m.key_update_check_interval, 1234);
	assert_int_equal(m.expiration_delta, 55);
	g.id += 10;
	assert_int_equal(ks_store_group_material(f->s, &g, &m), KS_NOTFOUND);
}

static void
test_ms_sealed(void **state)
{
	struct ks_fixture *f = *state;
	struct ks_group a, b;
	struct kdc_group_material m;
	char sql[160];

	test_group(&a, "a", 1);
	test_group(&b, "b", 2);
	assert_int_equal(ks_store_begin(f->s), KS_OK);
	assert_int_equal(ks_store_group_create(f->s, &a, ms0, 16), KS_OK);
	assert_int_equal(ks_store_group_create(f->s, &b, ms1, 16), KS_OK);
	assert_int_equal(ks_store_commit(f->s), KS_OK);
	assert_true(db_contains(f->db, "group a", 7)); /* the grep works */
	assert_false(db_contains(f->db, ms0, 16));
	assert_false(db_contains(f->db, ms1, 16));

	/* A's sealed secret moved into B's row does not open there. */
	snprintf(sql, sizeof(sql),
	         "UPDATE groups SET ms_sealed = (SELECT ms_sealed FROM groups "
	         "WHERE id = %lld) WHERE id = %lld",
	         (long long)a.id, (long long)b.id);
	assert_int_equal(
	        sqlite3_exec(ks_store_db_handle(f->s), sql, NULL, NULL, NULL),
	        SQLITE_OK);
	assert_int_equal(ks_store_group_material(f->s, &b, &m), KS_ERR);
	assert_int_equal(ks_store_group_material(f->s, &a, &m), KS_OK);

	/* Another KEK opens nothing. */
	ks_store_close(f->s);
	assert_int_equal(ks_store_open(f->db, other_kek, &f->s), KS_OK);
	assert_int_equal(ks_store_group_material(f->s, &a, &m), KS_ERR);
}

static void
test_rekey(void **state)
{
	struct ks_fixture *f = *state;
	struct ks_group g, out;
	struct kdc_group_material m;
	struct glist l = {.n = 0};
	uint8_t old_gid[KDC_GID_MAX];
	const uint8_t gid1[8] = {0x33, 0x33, 0x33, 0x33, 0, 0, 0, 1};
	int64_t keep, n;

	test_group(&g, "g", 0x33);
	g.rekeys_done = 4;
	g.sid_wrap = true;
	assert_int_equal(ks_store_group_create(f->s, &g, ms0, 16), KS_OK);
	memcpy(old_gid, g.gid, g.gid_len);
	assert_int_equal(ks_store_group_prev_next(f->s, &keep), KS_NOTFOUND);

	/* What rekey.c does: new epoch, num, salt, exp, counters. */
	g.epoch = 1;
	g.num = 1;
	g.exp = 1800000000;
	g.rekeyed_at_ms = 1700000001000;
	memset(g.salt, 0x6b, 8);
	g.sid_next = 0;
	g.sid_wrap = false;
	g.rekey_pending = 0x3f;             /* cleared by the store */
	memset(g.gid, 0xff, sizeof(g.gid)); /* recomputed by the store */
	assert_int_equal(ks_store_begin(f->s), KS_OK);
	assert_int_equal(ks_store_group_rekey(f->s, &g, ms1, 16, 5000), KS_OK);
	assert_int_equal(ks_store_commit(f->s), KS_OK);

	assert_int_equal(ks_store_group_by_id(f->s, g.id, &out), KS_OK);
	assert_int_equal(out.num, 1);
	assert_int_equal(out.epoch, 1);
	assert_memory_equal(out.gid, gid1, 8);
	assert_int_equal(out.exp, 1800000000);
	assert_int_equal(out.rekeyed_at_ms, 1700000001000);
	assert_int_equal(out.salt[0], 0x6b);
	assert_false(out.sid_wrap);
	assert_int_equal(out.rekey_pending, 0);
	assert_int_equal(out.rekeys_done, 5);
	assert_int_equal(ks_store_group_material(f->s, &out, &m), KS_OK);
	assert_memory_equal(m.ms, ms1, 16);
	assert_memory_equal(m.gid, gid1, 8);
	assert_int_equal(m.num, 1);

	/* Lookup by Gid follows the current one. */
	assert_int_equal(ks_store_group_by_gid(f->s, old_gid, 8, glist_cb, &l),
	                 KS_OK);
	assert_int_equal(l.n, 0);
	assert_int_equal(ks_store_group_by_gid(f->s, gid1, 8, glist_cb, &l),
	                 KS_OK);
	assert_int_equal(l.n, 1);

	/* The previous material is kept, sealed, until keep_until. */
	assert_int_equal(scalar(f->s, "SELECT count(*) FROM group_prev WHERE "
	                              "num = 0 AND keep_until = 5000"),
	                 1);
	assert_int_equal(scalar(f->s, "SELECT count(*) FROM group_prev WHERE "
	                              "gid = x'3333333300000000'"),
	                 1);
	assert_false(db_contains(f->db, ms0, 16));
	assert_false(db_contains(f->db, ms1, 16));
	assert_int_equal(ks_store_group_prev_next(f->s, &keep), KS_OK);
	assert_int_equal(keep, 5000);
	assert_int_equal(ks_store_group_prev_expire(f->s, 4999, &n), KS_OK);
	assert_int_equal(n, 0);
	assert_int_equal(ks_store_group_prev_expire(f->s, 5000, &n), KS_OK);
	assert_int_equal(n, 1);
	assert_int_equal(ks_store_group_prev_next(f->s, &keep), KS_NOTFOUND);

	/* Two quick rekeys keep two previous versions. */
	g.epoch = 2;
	g.num = 2;
	assert_int_equal(ks_store_group_rekey(f->s, &g, ms0, 16, 7000), KS_OK);
	g.epoch = 3;
	g.num = 3;
	assert_int_equal(ks_store_group_rekey(f->s, &g, ms1, 16, 6000), KS_OK);
	assert_int_equal(scalar(f->s, "SELECT count(*) FROM group_prev"), 2);
	assert_int_equal(ks_store_group_prev_next(f->s, &keep), KS_OK);
	assert_int_equal(keep, 6000);

	/* Unknown group: nothing changes. */
	g.id += 100;
	assert_int_equal(ks_store_group_rekey(f->s, &g, ms0, 16, 1),
	                 KS_NOTFOUND);
	assert_int_equal(scalar(f->s, "SELECT count(*) FROM group_prev"), 2);
}

static void
test_epoch_wraps(void **state)
{
	struct ks_fixture *f = *state;
	struct ks_group g, out;

	test_group(&g, "w", 0x44);
	g.cfg.gid_epoch_len = 1;
	g.cfg.gid_prefix_len = g.gid_prefix_len = 2;
	g.epoch = 255;
	assert_int_equal(ks_store_group_create(f->s, &g, ms0, 16), KS_OK);
	assert_int_equal(g.gid_len, 3);
	assert_int_equal(g.gid[2], 0xff);
	g.epoch = 256; /* Gid reuse: the epoch wraps on one byte */
	g.num = 1;
	assert_int_equal(ks_store_group_rekey(f->s, &g, ms1, 16, 0), KS_OK);
	assert_int_equal(ks_store_group_by_id(f->s, g.id, &out), KS_OK);
	assert_int_equal(out.epoch, 256);
	assert_int_equal(out.gid_len, 3);
	assert_int_equal(out.gid[0], 0x44);
	assert_int_equal(out.gid[2], 0x00);
}

static void
test_update_config_and_counters(void **state)
{
	struct ks_fixture *f = *state;
	struct ks_group g, out;
	struct kdc_group_config c;

	test_group(&g, "u", 0x55);
	assert_int_equal(ks_store_group_create(f->s, &g, ms0, 16), KS_OK);

	c = g.cfg;
	snprintf(c.description, sizeof(c.description), "changed");
	c.active = false;
	c.max_members = 9;
	c.prev_grace = 1;
	c.key_lifetime = 42;
	c.sign_alg = -7; /* not updatable: ignored */
	assert_int_equal(ks_store_group_update_config(
	                         f->s, g.id, &c,
	                         KDC_GF_DESCRIPTION | KDC_GF_ACTIVE |
	                                 KDC_GF_MAX_MEMBERS |
	                                 KDC_GF_CREATE_ONLY),
	                 KS_OK);
	assert_int_equal(ks_store_group_by_id(f->s, g.id, &out), KS_OK);
	assert_string_equal(out.cfg.description, "changed");
	assert_false(out.cfg.active);
	assert_int_equal(out.cfg.max_members, 9);
	assert_int_equal(out.cfg.prev_grace,
	                 g.cfg.prev_grace); /* not in mask */
	assert_int_equal(out.cfg.key_lifetime, g.cfg.key_lifetime);
	assert_int_equal(out.cfg.sign_alg, g.cfg.sign_alg);
	assert_int_equal(
	        ks_store_group_update_config(f->s, g.id, &c, KDC_GF_UPDATABLE),
	        KS_OK);
	assert_int_equal(ks_store_group_by_id(f->s, g.id, &out), KS_OK);
	assert_int_equal(out.cfg.prev_grace, 1);
	assert_int_equal(out.cfg.key_lifetime, 42);
	assert_int_equal(
	        ks_store_group_update_config(f->s, g.id + 9, &c, KDC_GF_ACTIVE),
	        KS_NOTFOUND);

	g.sid_next = 1000;
	g.sid_wrap = true;
	g.node_next = 77;
	g.rekey_pending = 0x12;
	g.num = 99; /* not a counter: untouched */
	assert_int_equal(ks_store_group_set_counters(f->s, &g), KS_OK);
	assert_int_equal(ks_store_group_by_id(f->s, g.id, &out), KS_OK);
	assert_int_equal(out.sid_next, 1000);
	assert_true(out.sid_wrap);
	assert_int_equal(out.node_next, 77);
	assert_int_equal(out.rekey_pending, 0x12);
	assert_int_equal(out.num, 0);
	g.id += 9;
	assert_int_equal(ks_store_group_set_counters(f->s, &g), KS_NOTFOUND);
}

static void
test_delete_cascades(void **state)
{
	struct ks_fixture *f = *state;
	struct ks_group g, other;
	struct ks_token t;
	struct ks_member m;
	bool replaced;
	int64_t as = test_as(f->s, "as");

	test_group(&g, "d", 0x66);
	test_group(&other, "keep", 0x67);
	assert_int_equal(ks_store_group_create(f->s, &g, ms0, 16), KS_OK);
	assert_int_equal(ks_store_group_create(f->s, &other, ms0, 16), KS_OK);
	test_token(&t, as, 1);
	assert_int_equal(ks_store_token_put(f->s, &t, &replaced), KS_OK);
	test_member(&m, g.id, t.id, 1);
	assert_int_equal(ks_store_member_add(f->s, &m), KS_OK);
	test_member(&m, other.id, t.id, 1);
	assert_int_equal(ks_store_member_add(f->s, &m), KS_OK);
	assert_int_equal(
	        ks_store_stale_add(f->s, g.id, 0, (const uint8_t *)"x", 1),
	        KS_OK);
	g.num = 1;
	g.epoch = 1;
	assert_int_equal(ks_store_group_rekey(f->s, &g, ms1, 16, 100), KS_OK);

	assert_int_equal(ks_store_group_delete(f->s, g.id), KS_OK);
	assert_int_equal(scalar(f->s, "SELECT count(*) FROM members"), 1);
	assert_int_equal(scalar(f->s, "SELECT count(*) FROM stale_sets"), 0);
	assert_int_equal(scalar(f->s, "SELECT count(*) FROM stale_sids"), 0);
	assert_int_equal(scalar(f->s, "SELECT count(*) FROM group_prev"), 0);
	assert_int_equal(ks_store_group_delete(f->s, g.id), KS_NOTFOUND);
	{
		int64_t n;

		assert_int_equal(ks_store_member_count(f->s, other.id, &n),
		                 KS_OK);
		assert_int_equal(n, 1);
		assert_int_equal(ks_store_member_total(f->s, &n), KS_OK);
		assert_int_equal(n, 1);
	}
}

int
main(void)
{
#define T(fn)                                                                  \
	cmocka_unit_test_setup_teardown(fn, ks_fixture_setup,                  \
	                                ks_fixture_teardown)
	const struct CMUnitTest tests[] = {
	        T(test_create_and_lookups),
	        T(test_exists_and_list),
	        T(test_material),
	        T(test_ms_sealed),
	        T(test_rekey),
	        T(test_epoch_wraps),
	        T(test_update_config_and_counters),
	        T(test_delete_cascades),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
