/* SPDX-License-Identifier: Apache-2.0 */
/* Tests of stale Sender ID sets, KDC keys, trusted ASes and the audit log
 * (keystore/store_stale.c, store_kdc_keys.c, store_as.c, store_audit.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_ks_util.h"

#include "store_int.h"

#include <sqlite3.h>
#include <string.h>

static const uint8_t ms[16] = {0x4d};

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

/* ---- stale Sender IDs ---- */

struct sids {
	uint8_t v[16][8];
	size_t len[16];
	size_t n;
};

static int
sids_cb(void *arg, const uint8_t *sid, size_t n)
{
	struct sids *s = arg;

	assert_true(n <= 8);
	memcpy(s->v[s->n], sid, n);
	s->len[s->n++] = n;
	return 0;
}

static void
test_stale(void **state)
{
	struct ks_fixture *f = *state;
	struct ks_store *s = f->s;
	struct ks_group g, g2;
	struct sids l = {.n = 0};
	int64_t n;

	test_group(&g, "g", 1);
	test_group(&g2, "g2", 2);
	assert_int_equal(ks_store_group_create(s, &g, ms, 16), KS_OK);
	assert_int_equal(ks_store_group_create(s, &g2, ms, 16), KS_OK);
	assert_int_equal(ks_store_stale_count_sets(s, g.id, &n), KS_OK);
	assert_int_equal(n, 0);
	for (uint64_t v = 0; v < 4; v++) {
		assert_int_equal(ks_store_stale_create_set(s, g.id, v), KS_OK);
		assert_int_equal(ks_store_stale_create_set(s, g.id, v), KS_OK);
	}
	assert_int_equal(ks_store_stale_count_sets(s, g.id, &n), KS_OK);
	assert_int_equal(n, 4);
	/* v0: a, b; v1: b, c; v2: (empty sid) ; v3: d */
	assert_int_equal(
	        ks_store_stale_add(s, g.id, 0, (const uint8_t *)"b", 1), KS_OK);
	assert_int_equal(
	        ks_store_stale_add(s, g.id, 0, (const uint8_t *)"a", 1), KS_OK);
	assert_int_equal(
	        ks_store_stale_add(s, g.id, 0, (const uint8_t *)"a", 1),
	        KS_OK); /* twice: no error, no duplicate */
	assert_int_equal(
	        ks_store_stale_add(s, g.id, 1, (const uint8_t *)"b", 1), KS_OK);
	assert_int_equal(
	        ks_store_stale_add(s, g.id, 1, (const uint8_t *)"c\x01", 2),
	        KS_OK);
	assert_int_equal(ks_store_stale_add(s, g.id, 2, NULL, 0), KS_OK);
	assert_int_equal(
	        ks_store_stale_add(s, g.id, 3, (const uint8_t *)"d", 1), KS_OK);
	assert_int_equal(
	        ks_store_stale_add(s, g2.id, 3, (const uint8_t *)"z", 1),
	        KS_OK); /* creates g2's set 3 */
	assert_int_equal(ks_store_stale_count_sets(s, g2.id, &n), KS_OK);
	assert_int_equal(n, 1);

	assert_int_equal(
	        ks_store_stale_contains(s, g.id, 0, (const uint8_t *)"a", 1),
	        1);
	assert_int_equal(
	        ks_store_stale_contains(s, g.id, 1, (const uint8_t *)"a", 1),
	        0);
	assert_int_equal(ks_store_stale_contains(s, g.id, 2, NULL, 0), 1);
	assert_int_equal(ks_store_stale_contains(s, g.id, 3, NULL, 0), 0);
	assert_int_equal(
	        ks_store_stale_contains(s, g2.id, 0, (const uint8_t *)"a", 1),
	        0);

	assert_int_equal(ks_store_stale_list(s, g.id, 0, sids_cb, &l), KS_OK);
	assert_int_equal(l.n, 2);
	assert_memory_equal(l.v[0], "a", 1);
	assert_memory_equal(l.v[1], "b", 1);

	/* Union of versions >= 0: a, b, c\x01, d and the empty one, once
	 * each. */
	l.n = 0;
	assert_int_equal(ks_store_stale_union(s, g.id, 0, sids_cb, &l), KS_OK);
	assert_int_equal(l.n, 5);
	assert_int_equal(l.len[0], 0);
	assert_memory_equal(l.v[1], "a", 1);
	assert_memory_equal(l.v[2], "b", 1);
	assert_int_equal(l.len[3], 2);
	assert_memory_equal(l.v[4], "d", 1);
	l.n = 0;
	assert_int_equal(ks_store_stale_union(s, g.id, 1, sids_cb, &l), KS_OK);
	assert_int_equal(l.n, 4); /* "", b, c\x01, d */

	/* Keep the two newest sets (2, 3). */
	assert_int_equal(ks_store_stale_trim(s, g.id, 2), KS_OK);
	assert_int_equal(ks_store_stale_count_sets(s, g.id, &n), KS_OK);
	assert_int_equal(n, 2);
	assert_int_equal(
	        ks_store_stale_contains(s, g.id, 0, (const uint8_t *)"a", 1),
	        0);
	assert_int_equal(scalar(s, "SELECT count(*) FROM stale_sids WHERE "
	                           "version < 2"),
	                 0);
	assert_int_equal(
	        ks_store_stale_contains(s, g.id, 3, (const uint8_t *)"d", 1),
	        1);
	/* Trimming to more than exist changes nothing. */
	assert_int_equal(ks_store_stale_trim(s, g.id, 10), KS_OK);
	assert_int_equal(ks_store_stale_count_sets(s, g.id, &n), KS_OK);
	assert_int_equal(n, 2);
	/* Other groups are untouched; negative keeps none. */
	assert_int_equal(ks_store_stale_trim(s, g.id, -1), KS_OK);
	assert_int_equal(ks_store_stale_count_sets(s, g.id, &n), KS_OK);
	assert_int_equal(n, 0);
	assert_int_equal(ks_store_stale_count_sets(s, g2.id, &n), KS_OK);
	assert_int_equal(n, 1);
	assert_int_equal(ks_store_stale_trim(s, g2.id, 0), KS_OK);
	assert_int_equal(scalar(s, "SELECT count(*) FROM stale_sids"), 0);
	/* A set for a group that does not exist. */
	assert_int_equal(ks_store_stale_create_set(s, 9999, 0), KS_ERR);
}

/* ---- KDC keys ---- */

static void
test_key(struct ks_kdc_key *k, const char *kind, uint8_t seed)
{
	memset(k, 0, sizeof(*k));
	snprintf(k->kind, sizeof(k->kind), "%s", kind);
	k->cred_len = 40;
	memset(k->cred, seed, 40);
	k->priv.kty = 1; /* OKP */
	k->priv.crv = 4; /* X25519 */
	/* A real key pair: the decoder checks that x belongs to d. */
	assert_int_equal(kdc_x25519_keypair(k->priv.x, k->priv.d), 0);
	k->priv.has_pub = true;
	k->priv.has_priv = true;
}

struct klist {
	int64_t ids[4];
	int64_t retired[4];
	size_t n;
};

static int
klist_cb(void *arg, const struct ks_kdc_key *k)
{
	struct klist *l = arg;
	const uint8_t zero[32] = {0};

	assert_memory_equal(k->priv.d, zero, 32); /* never unsealed */
	l->ids[l->n] = k->id;
	l->retired[l->n++] = k->retired_at;
	return 0;
}

static void
test_kdc_keys(void **state)
{
	struct ks_fixture *f = *state;
	struct ks_store *s = f->s;
	struct ks_kdc_key k1, k2, out;
	struct klist l = {.n = 0};
	char sql[160];

	assert_int_equal(ks_store_kdc_key_current(s, "dh-x25519", &out),
	                 KS_NOTFOUND);
	test_key(&k1, "dh-x25519", 1);
	assert_int_equal(ks_store_kdc_key_put(s, &k1), KS_OK);
	assert_true(k1.id > 0);
	assert_true(k1.created_at > 0);
	assert_int_equal(ks_store_kdc_key_current(s, "dh-x25519", &out), KS_OK);
	assert_int_equal(out.id, k1.id);
	assert_string_equal(out.kind, "dh-x25519");
	assert_int_equal(out.cred_len, 40);
	assert_memory_equal(out.cred, k1.cred, 40);
	assert_int_equal(out.retired_at, 0);
	assert_true(out.priv.has_priv);
	assert_memory_equal(out.priv.d, k1.priv.d, 32);
	assert_memory_equal(out.priv.x, k1.priv.x, 32);
	assert_false(db_contains(f->db, k1.priv.d, 32));
	assert_true(db_contains(f->db, k1.cred, 40));

	/* Rotation retires the previous key of that kind. */
	test_key(&k2, "dh-x25519", 2);
	assert_int_equal(ks_store_kdc_key_put(s, &k2), KS_OK);
	assert_int_equal(ks_store_kdc_key_current(s, "dh-x25519", &out), KS_OK);
	assert_int_equal(out.id, k2.id);
	assert_memory_equal(out.priv.d, k2.priv.d, 32);
	assert_int_equal(ks_store_kdc_key_list(s, klist_cb, &l), KS_OK);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.ids[0], k1.id);
	assert_true(l.retired[0] > 0);
	assert_int_equal(l.retired[1], 0);

	/* A bad kind is refused, and leaves the current key in place. */
	test_key(&k1, "rsa", 3);
	assert_int_equal(ks_store_kdc_key_put(s, &k1), KS_ERR);
	assert_int_equal(k1.id, 0);
	assert_int_equal(ks_store_kdc_key_current(s, "dh-x25519", &out), KS_OK);
	assert_int_equal(out.id, k2.id);
	assert_int_equal(scalar(s, "SELECT count(*) FROM kdc_keys"), 2);

	/* The sealed key is bound to its row id. */
	snprintf(sql, sizeof(sql),
	         "UPDATE kdc_keys SET priv_sealed = (SELECT priv_sealed FROM "
	         "kdc_keys WHERE id = %lld) WHERE id = %lld",
	         (long long)l.ids[0], (long long)k2.id);
	assert_int_equal(
	        sqlite3_exec(ks_store_db_handle(s), sql, NULL, NULL, NULL),
	        SQLITE_OK);
	assert_int_equal(ks_store_kdc_key_current(s, "dh-x25519", &out),
	                 KS_ERR);
}

/* ---- trusted ASes ---- */

static void
as_sign(struct ks_as *a, const char *name)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->name, sizeof(a->name), "%s", name);
	snprintf(a->issuer, sizeof(a->issuer), "https://as.example");
	snprintf(a->audience, sizeof(a->audience), "kdc-sign");
	a->kind = 1;
	a->alg = -8;
	a->key.kty = 1;
	a->key.crv = 6;
	a->key.has_pub = true;
	memset(a->key.x, 0x31, 32);
}

static void
as_mac(struct ks_as *a, const char *name, const char *kid)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->name, sizeof(a->name), "%s", name);
	snprintf(a->audience, sizeof(a->audience), "kdc");
	a->kind = 2;
	a->alg = 5;
	if (kid != NULL) {
		a->kid_len = strlen(kid);
		memcpy(a->kid, kid, a->kid_len);
	}
	a->key.kty = 4;
	a->key.k_len = 32;
	for (size_t i = 0; i < 32; i++)
		a->key.k[i] = (uint8_t)(0x90 + i + (kid != NULL ? kid[0] : 0));
}

struct alist {
	char names[4][IPC_NAME_MAX + 1];
	bool kdk[4];
	size_t n;
};

static int
alist_cb(void *arg, const struct ks_as *a)
{
	struct alist *l = arg;

	assert_int_equal(a->key.k_len, 0);
	assert_false(a->key.has_pub);
	assert_int_equal(a->psk_kdk_len, 0);
	snprintf(l->names[l->n], sizeof(l->names[0]), "%s", a->name);
	l->kdk[l->n++] = a->has_psk_kdk;
	return 0;
}

static int
aud_cb(void *arg, const char *aud)
{
	struct alist *l = arg;

	snprintf(l->names[l->n++], sizeof(l->names[0]), "%s", aud);
	return 0;
}

static void
test_trusted_as(void **state)
{
	struct ks_fixture *f = *state;
	struct ks_store *s = f->s;
	struct ks_as sign, mac_any, mac_k, out;
	struct alist l = {.n = 0};

	as_sign(&sign, "signer");
	as_mac(&mac_any, "mac-any", NULL);
	mac_any.has_psk_kdk = true;
	mac_any.psk_kdk_len = 32;
	memset(mac_any.psk_kdk, 0xd1, 32);
	as_mac(&mac_k, "mac-k", "K1");
	assert_int_equal(ks_store_as_add(s, &sign), KS_OK);
	assert_int_equal(ks_store_as_add(s, &mac_k), KS_OK);
	assert_int_equal(ks_store_as_add(s, &mac_any), KS_OK);
	assert_true(sign.id > 0 && mac_k.id > sign.id && mac_any.id > mac_k.id);
	as_mac(&out, "mac-k", NULL);
	assert_int_equal(ks_store_as_add(s, &out), KS_EXISTS);

	/* Secrets sealed, public parts plain. */
	assert_false(db_contains(f->db, mac_k.key.k, 32));
	assert_false(db_contains(f->db, mac_any.key.k, 32));
	assert_false(db_contains(f->db, mac_any.psk_kdk, 32));
	assert_true(db_contains(f->db, sign.key.x, 32));

	assert_int_equal(ks_store_as_get(s, sign.id, &out), KS_OK);
	assert_string_equal(out.name, "signer");
	assert_string_equal(out.issuer, "https://as.example");
	assert_string_equal(out.audience, "kdc-sign");
	assert_int_equal(out.kind, 1);
	assert_int_equal(out.alg, -8);
	assert_int_equal(out.kid_len, 0);
	assert_true(out.key.has_pub);
	assert_memory_equal(out.key.x, sign.key.x, 32);
	assert_false(out.has_psk_kdk);

	/* find: the lowest id whose kid matches or is NULL. */
	assert_int_equal(
	        ks_store_as_find(s, 2, (const uint8_t *)"K1", 2, 0, &out),
	        KS_OK);
	assert_int_equal(out.id, mac_k.id);
	assert_int_equal(out.key.k_len, 32);
	assert_memory_equal(out.key.k, mac_k.key.k, 32);
	assert_int_equal(
	        ks_store_as_find(s, 2, (const uint8_t *)"K2", 2, 0, &out),
	        KS_OK);
	assert_int_equal(out.id, mac_any.id);
	assert_memory_equal(out.key.k, mac_any.key.k, 32);
	assert_true(out.has_psk_kdk);
	assert_int_equal(out.psk_kdk_len, 32);
	assert_memory_equal(out.psk_kdk, mac_any.psk_kdk, 32);
	assert_int_equal(ks_store_as_find(s, 2, NULL, 0, 0, &out), KS_OK);
	assert_int_equal(out.id, mac_any.id);
	assert_int_equal(ks_store_as_find(s, 3, NULL, 0, 0, &out), KS_NOTFOUND);
	/* skip: the next candidate, those naming the kid first. */
	assert_int_equal(
	        ks_store_as_find(s, 2, (const uint8_t *)"K1", 2, 1, &out),
	        KS_OK);
	assert_int_equal(out.id, mac_any.id);
	assert_int_equal(
	        ks_store_as_find(s, 2, (const uint8_t *)"K1", 2, 2, &out),
	        KS_NOTFOUND);
	assert_int_equal(ks_store_as_find(s, 2, NULL, 0, 1, &out), KS_NOTFOUND);
	assert_int_equal(ks_store_as_get(s, 999, &out), KS_NOTFOUND);

	assert_int_equal(ks_store_as_list(s, alist_cb, &l), KS_OK);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.names[0], "signer");
	assert_string_equal(l.names[2], "mac-any");
	assert_true(l.kdk[2]);
	assert_false(l.kdk[1]);
	l.n = 0;
	assert_int_equal(ks_store_as_audiences(s, aud_cb, &l), KS_OK);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.names[0], "kdc");
	assert_string_equal(l.names[1], "kdc-sign");

	/* Another KEK: the symmetric keys do not open. */
	ks_store_close(f->s);
	assert_int_equal(ks_store_open(f->db, other_kek, &f->s), KS_OK);
	s = f->s;
	assert_int_equal(ks_store_as_get(s, mac_k.id, &out), KS_ERR);
	assert_int_equal(ks_store_as_get(s, sign.id, &out), KS_OK);
	ks_store_close(f->s);
	assert_int_equal(ks_store_open(f->db, test_kek, &f->s), KS_OK);
	s = f->s;

	/* Removal cascades to tokens, but not while they authorise a
	 * member. */
	{
		struct ks_token t;
		struct ks_group g;
		struct ks_member m;
		bool replaced;
		int64_t n;

		test_token(&t, mac_k.id, 1);
		assert_int_equal(ks_store_token_put(s, &t, &replaced), KS_OK);
		test_group(&g, "g", 1);
		assert_int_equal(ks_store_group_create(s, &g, ms, 16), KS_OK);
		test_member(&m, g.id, t.id, 1);
		assert_int_equal(ks_store_member_add(s, &m), KS_OK);
		assert_int_equal(ks_store_as_remove(s, "mac-k"), KS_ERR);
		assert_int_equal(ks_store_member_remove(s, m.id), KS_OK);
		assert_int_equal(ks_store_as_remove(s, "mac-k"), KS_OK);
		assert_int_equal(ks_store_token_count(s, &n), KS_OK);
		assert_int_equal(n, 0);
		assert_int_equal(ks_store_as_remove(s, "mac-k"), KS_NOTFOUND);
	}
}

/* ---- audit ---- */

struct arows {
	int64_t ids[8];
	char detail[8][64];
	bool null_detail[8];
	char group[8][16];
	size_t n;
};

static int
arows_cb(void *arg, const struct ks_audit_row *r)
{
	struct arows *a = arg;

	a->ids[a->n] = r->id;
	a->null_detail[a->n] = r->detail == NULL;
	snprintf(a->detail[a->n], sizeof(a->detail[0]), "%s",
	         r->detail != NULL ? r->detail : "");
	snprintf(a->group[a->n], sizeof(a->group[0]), "%s",
	         r->group != NULL ? r->group : "-");
	assert_non_null(r->actor);
	assert_non_null(r->action);
	assert_true(r->at > 0);
	a->n++;
	return 0;
}

static void
test_audit(void **state)
{
	struct ks_fixture *f = *state;
	struct ks_store *s = f->s;
	struct arows a = {.n = 0};
	char *msg = NULL;

	assert_int_equal(ks_store_audit(s, "admin uid=0", "group-create", "g1",
	                                NULL, "lifetime=%d name=%s", 3600,
	                                "g1"),
	                 KS_OK);
	assert_int_equal(ks_store_audit(s, "frontend@1", "join", "g1", "n1",
	                                "roles=%u", 6u),
	                 KS_OK);
	assert_int_equal(
	        ks_store_audit(s, "frontend@1", "join", "g2", "n1", NULL),
	        KS_OK);
	assert_int_equal(
	        ks_store_audit(s, NULL, "rekey", "g1", NULL, "num=%u", 1u),
	        KS_OK);

	assert_int_equal(
	        ks_store_audit_query(s, 0, NULL, NULL, 0, arows_cb, &a), KS_OK);
	assert_int_equal(a.n, 4);
	assert_string_equal(a.detail[0], "lifetime=3600 name=g1");
	assert_string_equal(a.detail[1], "roles=6");
	assert_true(a.null_detail[2]);
	assert_string_equal(a.group[3], "g1");

	a.n = 0;
	assert_int_equal(
	        ks_store_audit_query(s, 0, "g1", NULL, 0, arows_cb, &a), KS_OK);
	assert_int_equal(a.n, 3);
	a.n = 0;
	assert_int_equal(
	        ks_store_audit_query(s, 0, "g1", "join", 0, arows_cb, &a),
	        KS_OK);
	assert_int_equal(a.n, 1);
	assert_string_equal(a.detail[0], "roles=6");
	a.n = 0;
	assert_int_equal(
	        ks_store_audit_query(s, 0, "", "join", 0, arows_cb, &a), KS_OK);
	assert_int_equal(a.n, 2);
	a.n = 0;
	assert_int_equal(
	        ks_store_audit_query(s, 2, NULL, NULL, 1, arows_cb, &a), KS_OK);
	assert_int_equal(a.n, 1);
	assert_int_equal(a.ids[0], 3);

	/* Append-only: the schema refuses UPDATE and DELETE. */
	assert_int_not_equal(sqlite3_exec(ks_store_db_handle(s),
	                                  "UPDATE audit SET detail = 'x'", NULL,
	                                  NULL, &msg),
	                     SQLITE_OK);
	assert_non_null(strstr(msg, "append-only"));
	sqlite3_free(msg);
	msg = NULL;
	assert_int_not_equal(sqlite3_exec(ks_store_db_handle(s),
	                                  "DELETE FROM audit", NULL, NULL,
	                                  &msg),
	                     SQLITE_OK);
	assert_non_null(strstr(msg, "append-only"));
	sqlite3_free(msg);
	assert_int_equal(scalar(s, "SELECT count(*) FROM audit"), 4);
}

int
main(void)
{
#define T(fn)                                                                  \
	cmocka_unit_test_setup_teardown(fn, ks_fixture_setup,                  \
	                                ks_fixture_teardown)
	const struct CMUnitTest tests[] = {
	        T(test_stale),
	        T(test_kdc_keys),
	        T(test_trusted_as),
	        T(test_audit),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
