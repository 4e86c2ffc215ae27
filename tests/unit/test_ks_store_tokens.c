/* SPDX-License-Identifier: Apache-2.0 */
/* Tests of token storage (keystore/store_tokens.c): one row per PoP key,
 * replacement keeping id and handle, sealed symmetric keys, lookups,
 * expiry. */
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

static void
assert_token_equal(const struct ks_token *a, const struct ks_token *b)
{
	assert_int_equal(a->id, b->id);
	assert_memory_equal(a->handle.b, b->handle.b, IPC_BINDING_LEN);
	assert_int_equal(a->as_id, b->as_id);
	assert_int_equal(a->cti_len, b->cti_len);
	assert_memory_equal(a->cti, b->cti, a->cti_len);
	assert_int_equal(a->pop_kind, b->pop_kind);
	assert_int_equal(a->pop_kid_len, b->pop_kid_len);
	assert_memory_equal(a->pop_kid, b->pop_kid, a->pop_kid_len);
	assert_memory_equal(a->pop_fpr, b->pop_fpr, 32);
	assert_int_equal(a->scope_len, b->scope_len);
	assert_memory_equal(a->scope, b->scope, a->scope_len);
	assert_int_equal(a->exp, b->exp);
	assert_int_equal(a->received_at, b->received_at);
	assert_int_equal(a->via, b->via);
	assert_int_equal(a->ns_len, b->ns_len);
	assert_memory_equal(a->ns, b->ns, a->ns_len);
	assert_int_equal(a->revoked, b->revoked);
}

static void
test_put_and_lookups(void **state)
{
	struct ks_fixture *f = *state;
	int64_t as = test_as(f->s, "as1");
	struct ks_token t, out;
	bool replaced = true;
	uint8_t zero[IPC_BINDING_LEN] = {0};

	test_token(&t, as, 1);
	t.ns_len = 8;
	memset(t.ns, 0x99, 8);
	assert_int_equal(ks_store_token_put(f->s, &t, &replaced), KS_OK);
	assert_false(replaced);
	assert_true(t.id > 0);
	assert_memory_not_equal(t.handle.b, zero, IPC_BINDING_LEN);

	assert_int_equal(ks_store_token_by_handle(f->s, &t.handle, true, &out),
	                 KS_OK);
	assert_token_equal(&out, &t);
	assert_int_equal(out.pop_key.kty, 4);
	assert_int_equal(out.pop_key.k_len, 16);
	assert_memory_equal(out.pop_key.k, t.pop_key.k, 16);

	/* Without the secret: only the identification. */
	assert_int_equal(ks_store_token_by_handle(f->s, &t.handle, false, &out),
	                 KS_OK);
	assert_token_equal(&out, &t);
	assert_int_equal(out.pop_key.k_len, 0);
	assert_int_equal(out.pop_key.kid_len, 3);

	assert_int_equal(ks_store_token_by_kid(f->s, t.pop_kid, t.pop_kid_len,
	                                       true, &out),
	                 KS_OK);
	assert_token_equal(&out, &t);
	assert_memory_equal(out.pop_key.k, t.pop_key.k, 16);
	assert_int_equal(ks_store_token_by_fpr(f->s, t.pop_fpr, false, &out),
	                 KS_OK);
	assert_token_equal(&out, &t);
	assert_int_equal(ks_store_token_by_id(f->s, t.id, true, &out), KS_OK);
	assert_token_equal(&out, &t);

	/* Misses. */
	{
		struct ipc_binding h = t.handle;
		uint8_t fpr[32];

		h.b[0] ^= 1;
		memset(fpr, 0x42, sizeof(fpr));
		assert_int_equal(
		        ks_store_token_by_handle(f->s, &h, false, &out),
		        KS_NOTFOUND);
		assert_int_equal(ks_store_token_by_kid(f->s,
		                                       (const uint8_t *)"zz", 2,
		                                       false, &out),
		                 KS_NOTFOUND);
		assert_int_equal(
		        ks_store_token_by_kid(f->s, NULL, 0, false, &out),
		        KS_NOTFOUND);
		assert_int_equal(ks_store_token_by_fpr(f->s, fpr, false, &out),
		                 KS_NOTFOUND);
		assert_int_equal(ks_store_token_by_id(f->s, 999, false, &out),
		                 KS_NOTFOUND);
	}
}

static void
test_replace_keeps_id_and_handle(void **state)
{
	struct ks_fixture *f = *state;
	int64_t as = test_as(f->s, "as1");
	struct ks_token t, t2, out;
	bool replaced;
	int64_t n;

	test_token(&t, as, 1);
	assert_int_equal(ks_store_token_put(f->s, &t, &replaced), KS_OK);
	assert_false(replaced);

	/* A newer token for the same PoP key (same fingerprint). */
	test_token(&t2, as, 1);
	memset(t2.handle.b, 0x11, sizeof(t2.handle.b)); /* ignored */
	t2.id = 12345;                                  /* ignored */
	t2.scope_len = 9;
	memcpy(t2.scope, "new-scope", 9);
	t2.exp = 2100000000;
	t2.cti_len = 2;
	t2.pop_key.k[0] ^= 0xff; /* the new token's key material */
	t2.via = KS_VIA_DTLS;
	t2.revoked = false;
	assert_int_equal(ks_store_token_put(f->s, &t2, &replaced), KS_OK);
	assert_true(replaced);
	assert_int_equal(t2.id, t.id);
	assert_memory_equal(t2.handle.b, t.handle.b, IPC_BINDING_LEN);

	assert_int_equal(ks_store_token_by_handle(f->s, &t.handle, true, &out),
	                 KS_OK);
	assert_token_equal(&out, &t2);
	assert_int_equal(out.pop_key.k[0], t2.pop_key.k[0]);
	assert_int_equal(ks_store_token_count(f->s, &n), KS_OK);
	assert_int_equal(n, 1);

	/* A different key: a second row with a different handle. */
	test_token(&t2, as, 2);
	assert_int_equal(ks_store_token_put(f->s, &t2, &replaced), KS_OK);
	assert_false(replaced);
	assert_true(t2.id != t.id);
	assert_memory_not_equal(t2.handle.b, t.handle.b, IPC_BINDING_LEN);
	assert_int_equal(ks_store_token_count(f->s, &n), KS_OK);
	assert_int_equal(n, 2);
}

static void
test_kid_conflict(void **state)
{
	struct ks_fixture *f = *state;
	int64_t as = test_as(f->s, "as1");
	struct ks_token t, t2;
	bool replaced;
	int64_t n;

	test_token(&t, as, 1);
	assert_int_equal(ks_store_token_put(f->s, &t, &replaced), KS_OK);
	/* Another PoP key claiming the same PSK identity. */
	test_token(&t2, as, 2);
	memcpy(t2.pop_kid, t.pop_kid, t.pop_kid_len);
	assert_int_equal(ks_store_token_put(f->s, &t2, &replaced), KS_EXISTS);
	assert_int_equal(ks_store_token_count(f->s, &n), KS_OK);
	assert_int_equal(n, 1);
	/* Unknown AS: a foreign key error. */
	test_token(&t2, as + 100, 3);
	assert_int_equal(ks_store_token_put(f->s, &t2, &replaced), KS_ERR);
	/* Invalid values are refused before SQL. */
	test_token(&t2, as, 4);
	t2.pop_kind = 3;
	assert_int_equal(ks_store_token_put(f->s, &t2, &replaced), KS_ERR);
}

static void
test_asymmetric(void **state)
{
	struct ks_fixture *f = *state;
	int64_t as = test_as(f->s, "as1");
	struct ks_token t, out;
	bool replaced;

	test_token(&t, as, 5);
	t.pop_kind = KS_POP_ASYMMETRIC;
	t.pop_kid_len = 0;
	memset(&t.pop_key, 0, sizeof(t.pop_key));
	t.pop_key.kty = 1; /* OKP */
	t.pop_key.crv = 6; /* Ed25519 */
	t.pop_key.has_pub = true;
	for (size_t i = 0; i < 32; i++)
		t.pop_key.x[i] = (uint8_t)(i * 7);
	t.via = KS_VIA_DTLS;
	assert_int_equal(ks_store_token_put(f->s, &t, &replaced), KS_OK);
	assert_int_equal(ks_store_token_by_fpr(f->s, t.pop_fpr, false, &out),
	                 KS_OK);
	assert_token_equal(&out, &t);
	assert_int_equal(out.pop_key.kty, 1);
	assert_int_equal(out.pop_key.crv, 6);
	assert_true(out.pop_key.has_pub);
	assert_memory_equal(out.pop_key.x, t.pop_key.x, 32);
	assert_false(out.pop_key.has_priv);
	assert_int_equal(out.pop_kid_len, 0);
}

static void
test_sealed_at_rest(void **state)
{
	struct ks_fixture *f = *state;
	int64_t as = test_as(f->s, "as1");
	struct ks_token t, out;
	bool replaced;

	test_token(&t, as, 1);
	assert_int_equal(ks_store_begin(f->s), KS_OK);
	assert_int_equal(ks_store_token_put(f->s, &t, &replaced), KS_OK);
	assert_int_equal(ks_store_commit(f->s), KS_OK);
	/* The grep can find plain columns ... */
	assert_true(db_contains(f->db, t.pop_fpr, 32));
	/* ... but not the PoP key, nor the AS key. */
	assert_false(db_contains(f->db, t.pop_key.k, 16));
	{
		uint8_t ask[32];

		memset(ask, 0x77, sizeof(ask));
		assert_false(db_contains(f->db, ask, sizeof(ask)));
	}
	/* Also after a checkpoint into the main file. */
	assert_int_equal(sqlite3_wal_checkpoint_v2(
	                         ks_store_db_handle(f->s), NULL,
	                         SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL),
	                 SQLITE_OK);
	assert_true(file_contains(f->db, t.pop_fpr, 32));
	assert_false(file_contains(f->db, t.pop_key.k, 16));

	/* Another KEK cannot open it; non-secret reads still work. */
	ks_store_close(f->s);
	assert_int_equal(ks_store_open(f->db, other_kek, &f->s), KS_OK);
	assert_int_equal(ks_store_token_by_handle(f->s, &t.handle, true, &out),
	                 KS_ERR);
	assert_int_equal(ks_store_token_by_handle(f->s, &t.handle, false, &out),
	                 KS_OK);
	ks_store_close(f->s);
	assert_int_equal(ks_store_open(f->db, test_kek, &f->s), KS_OK);
	assert_int_equal(ks_store_token_by_handle(f->s, &t.handle, true, &out),
	                 KS_OK);
	assert_memory_equal(out.pop_key.k, t.pop_key.k, 16);
}

/* The sealed key is bound to its row: moved to another token it does not
 * open. */
static void
test_sealed_bound_to_row(void **state)
{
	struct ks_fixture *f = *state;
	int64_t as = test_as(f->s, "as1");
	struct ks_token a, b, out;
	bool replaced;
	char sql[160];

	test_token(&a, as, 1);
	test_token(&b, as, 2);
	assert_int_equal(ks_store_token_put(f->s, &a, &replaced), KS_OK);
	assert_int_equal(ks_store_token_put(f->s, &b, &replaced), KS_OK);
	snprintf(sql, sizeof(sql),
	         "UPDATE tokens SET pop_key_sealed = (SELECT pop_key_sealed "
	         "FROM tokens WHERE id = %lld) WHERE id = %lld",
	         (long long)a.id, (long long)b.id);
	assert_int_equal(
	        sqlite3_exec(ks_store_db_handle(f->s), sql, NULL, NULL, NULL),
	        SQLITE_OK);
	assert_int_equal(ks_store_token_by_id(f->s, b.id, true, &out), KS_ERR);
	assert_int_equal(ks_store_token_by_id(f->s, a.id, true, &out), KS_OK);
}

static void
test_ns_revoke_delete(void **state)
{
	struct ks_fixture *f = *state;
	int64_t as = test_as(f->s, "as1");
	struct ks_token t, out;
	const uint8_t ns[4] = {1, 2, 3, 4};
	bool replaced;

	test_token(&t, as, 1);
	assert_int_equal(ks_store_token_put(f->s, &t, &replaced), KS_OK);
	assert_int_equal(ks_store_token_set_ns(f->s, t.id, ns, 4), KS_OK);
	assert_int_equal(ks_store_token_by_id(f->s, t.id, false, &out), KS_OK);
	assert_int_equal(out.ns_len, 4);
	assert_memory_equal(out.ns, ns, 4);
	assert_int_equal(ks_store_token_set_ns(f->s, t.id, NULL, 0), KS_OK);
	assert_int_equal(ks_store_token_by_id(f->s, t.id, false, &out), KS_OK);
	assert_int_equal(out.ns_len, 0);
	assert_int_equal(ks_store_token_set_ns(f->s, 999, ns, 4), KS_NOTFOUND);

	assert_false(out.revoked);
	assert_int_equal(ks_store_token_revoke(f->s, t.id), KS_OK);
	assert_int_equal(ks_store_token_by_id(f->s, t.id, false, &out), KS_OK);
	assert_true(out.revoked);
	assert_int_equal(ks_store_token_revoke(f->s, 999), KS_NOTFOUND);

	assert_int_equal(ks_store_token_delete(f->s, t.id), KS_OK);
	assert_int_equal(ks_store_token_by_id(f->s, t.id, false, &out),
	                 KS_NOTFOUND);
	assert_int_equal(ks_store_token_delete(f->s, t.id), KS_NOTFOUND);
}

static int
cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

struct collect {
	int64_t ids[16];
	size_t n;
	size_t stop_after;
};

static int
collect_cb(void *arg, const struct ks_token *t)
{
	struct collect *c = arg;

	c->ids[c->n++] = t->id;
	assert_int_equal(t->pop_key.k_len, 0); /* never unsealed */
	return c->stop_after != 0 && c->n >= c->stop_after;
}

static void
test_expiry_and_list(void **state)
{
	struct ks_fixture *f = *state;
	int64_t as = test_as(f->s, "as1");
	struct ks_token t[4];
	int64_t ids[8], exp, n64;
	size_t n;
	bool replaced;
	struct collect c = {.n = 0};

	assert_int_equal(ks_store_token_next_exp(f->s, &exp), KS_NOTFOUND);
	assert_int_equal(ks_store_token_expired(f->s, 0, ids, 8, &n), KS_OK);
	assert_int_equal(n, 0);
	for (int i = 0; i < 4; i++) {
		test_token(&t[i], as, (uint8_t)(i + 1));
		t[i].exp = 1000 + 100 * i; /* 1000, 1100, 1200, 1300 */
		assert_int_equal(ks_store_token_put(f->s, &t[i], &replaced),
		                 KS_OK);
	}
	assert_int_equal(ks_store_token_next_exp(f->s, &exp), KS_OK);
	assert_int_equal(exp, 1000);

	assert_int_equal(ks_store_token_expired(f->s, 999, ids, 8, &n), KS_OK);
	assert_int_equal(n, 0);
	assert_int_equal(ks_store_token_expired(f->s, 1100, ids, 8, &n), KS_OK);
	assert_int_equal(n, 2);
	qsort(ids, n, sizeof(ids[0]), cmp_id); /* in no particular order */
	assert_int_equal(ids[0], t[0].id);
	assert_int_equal(ids[1], t[1].id);
	/* Revoked ones are due whatever their exp. */
	assert_int_equal(ks_store_token_revoke(f->s, t[3].id), KS_OK);
	assert_int_equal(ks_store_token_expired(f->s, 1100, ids, 8, &n), KS_OK);
	assert_int_equal(n, 3);
	qsort(ids, n, sizeof(ids[0]), cmp_id);
	assert_int_equal(ids[2], t[3].id);
	/* Bounded by max. */
	assert_int_equal(ks_store_token_expired(f->s, 5000, ids, 2, &n), KS_OK);
	assert_int_equal(n, 2);

	assert_int_equal(ks_store_token_list(f->s, collect_cb, &c), KS_OK);
	assert_int_equal(c.n, 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(c.ids[i], t[i].id);
	c.n = 0;
	c.stop_after = 2;
	assert_int_equal(ks_store_token_list(f->s, collect_cb, &c), KS_OK);
	assert_int_equal(c.n, 2);
	assert_int_equal(ks_store_token_count(f->s, &n64), KS_OK);
	assert_int_equal(n64, 4);
}

/* The count behind max_tokens is kept, not recounted per token POST: it
 * must stay exact through inserts, replacements, deletions, rollbacks and
 * the cascade of an AS removal. */
static void
test_count_kept(void **state)
{
	struct ks_fixture *f = *state;
	int64_t as = test_as(f->s, "as1"), as2 = test_as(f->s, "as2");
	struct ks_token t[4];
	bool replaced;
	int64_t n;

	assert_int_equal(ks_store_token_count(f->s, &n), KS_OK);
	assert_int_equal(n, 0);
	for (int i = 0; i < 3; i++) {
		test_token(&t[i], i < 2 ? as : as2, (uint8_t)(10 + i));
		assert_int_equal(ks_store_token_put(f->s, &t[i], &replaced),
		                 KS_OK);
	}
	assert_int_equal(ks_store_token_count(f->s, &n), KS_OK);
	assert_int_equal(n, 3);
	/* A replacement is not a new row. */
	t[0].exp += 10;
	assert_int_equal(ks_store_token_put(f->s, &t[0], &replaced), KS_OK);
	assert_true(replaced);
	assert_int_equal(ks_store_token_count(f->s, &n), KS_OK);
	assert_int_equal(n, 3);
	assert_int_equal(ks_store_token_delete(f->s, t[1].id), KS_OK);
	assert_int_equal(ks_store_token_count(f->s, &n), KS_OK);
	assert_int_equal(n, 2);
	/* Deleting it again changes nothing. */
	assert_int_not_equal(ks_store_token_delete(f->s, t[1].id), KS_OK);
	assert_int_equal(ks_store_token_count(f->s, &n), KS_OK);
	assert_int_equal(n, 2);
	/* An insert rolled back is not counted. */
	assert_int_equal(ks_store_begin(f->s), KS_OK);
	test_token(&t[3], as, 20);
	assert_int_equal(ks_store_token_put(f->s, &t[3], &replaced), KS_OK);
	assert_int_equal(ks_store_token_count(f->s, &n), KS_OK);
	assert_int_equal(n, 3);
	assert_int_equal(ks_store_rollback(f->s), KS_OK);
	assert_int_equal(ks_store_token_count(f->s, &n), KS_OK);
	assert_int_equal(n, 2);
	/* The tokens of a removed AS go by cascade. */
	assert_int_equal(ks_store_as_remove(f->s, "as2"), KS_OK);
	assert_int_equal(ks_store_token_count(f->s, &n), KS_OK);
	assert_int_equal(n, 1);
}

int
main(void)
{
#define T(fn)                                                                  \
	cmocka_unit_test_setup_teardown(fn, ks_fixture_setup,                  \
	                                ks_fixture_teardown)
	const struct CMUnitTest tests[] = {
	        T(test_put_and_lookups),  T(test_replace_keeps_id_and_handle),
	        T(test_kid_conflict),     T(test_asymmetric),
	        T(test_sealed_at_rest),   T(test_sealed_bound_to_row),
	        T(test_ns_revoke_delete), T(test_expiry_and_list),
	        T(test_count_kept),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
