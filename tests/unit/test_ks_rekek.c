/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Re-sealing the database under a new key-encryption key
 * (keystore/store_rekek.c, kdc-keystore --rekey-kek): every sealed column
 * moves, the secrets read back unchanged through the store's own functions
 * with the new key and with nothing else, and a failure anywhere leaves
 * the whole database under the old key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_ks_util.h"

#include "gm_material.h"
#include "store_int.h"

static const uint8_t new_kek[32] = {
        0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a,
        0x9b, 0x9c, 0x9d, 0x9e, 0x9f, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5,
        0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf};
static const uint8_t ms0[16] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                                0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10};
static const uint8_t ms1[16] = {0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8,
                                0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe, 0xff, 0xf0};

/* What the fixture stored, to compare after re-sealing. */
struct filled {
	int64_t as_id, kdk_as_id, token_id, group_id;
	struct ks_kdc_key key;
	struct ks_token token;
};

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
exec_sql(struct ks_store *s, const char *sql)
{
	assert_int_equal(
	        sqlite3_exec(ks_store_db_handle(s), sql, NULL, NULL, NULL),
	        SQLITE_OK);
}

/* One value in each of the six sealed columns; two in group_prev. */
static void
fill(struct ks_store *s, struct filled *out)
{
	struct ks_as kdk;
	struct ks_group g;
	bool replaced;

	memset(out, 0, sizeof(*out));
	out->as_id = test_as(s, "as-mac");
	memset(&kdk, 0, sizeof(kdk));
	snprintf(kdk.name, sizeof(kdk.name), "as-kdk");
	snprintf(kdk.audience, sizeof(kdk.audience), "kdc");
	kdk.kind = 2;
	kdk.alg = 5;
	kdk.key.kty = 4;
	kdk.key.k_len = 32;
	memset(kdk.key.k, 0x66, 32);
	kdk.has_psk_kdk = true;
	kdk.psk_kdk_len = 32;
	memset(kdk.psk_kdk, 0xd1, 32);
	assert_int_equal(ks_store_as_add(s, &kdk), KS_OK);
	out->kdk_as_id = kdk.id;

	test_token(&out->token, out->as_id, 7);
	assert_int_equal(ks_store_token_put(s, &out->token, &replaced), KS_OK);
	out->token_id = out->token.id;

	test_group(&g, "g1", 0x42);
	assert_int_equal(ks_store_group_create(s, &g, ms0, 16), KS_OK);
	out->group_id = g.id;
	/* Two rekeys: versions 0 and 1 go to group_prev. */
	for (uint64_t v = 1; v <= 2; v++) {
		g.epoch = v;
		g.num = v;
		assert_int_equal(ks_store_begin(s), KS_OK);
		assert_int_equal(ks_store_group_rekey(s, &g, v == 1 ? ms1 : ms0,
		                                      16, 2000000000),
		                 KS_OK);
		assert_int_equal(ks_store_commit(s), KS_OK);
	}

	memset(&out->key, 0, sizeof(out->key));
	snprintf(out->key.kind, sizeof(out->key.kind), "dh-x25519");
	out->key.cred_len = 40;
	memset(out->key.cred, 0x3c, 40);
	out->key.priv.kty = 1; /* OKP */
	out->key.priv.crv = 4; /* X25519 */
	assert_int_equal(kdc_x25519_keypair(out->key.priv.x, out->key.priv.d),
	                 0);
	out->key.priv.has_pub = true;
	out->key.priv.has_priv = true;
	assert_int_equal(ks_store_kdc_key_put(s, &out->key), KS_OK);

	/* Every sealed column holds something, so every one is exercised. */
	assert_int_equal(scalar(s, "SELECT count(*) FROM as_trust WHERE "
	                           "length(key_sealed) > 0"),
	                 2);
	assert_int_equal(scalar(s, "SELECT count(*) FROM as_trust WHERE "
	                           "length(psk_kdk_sealed) > 0"),
	                 1);
	assert_int_equal(scalar(s, "SELECT count(*) FROM tokens"), 1);
	assert_int_equal(scalar(s, "SELECT count(*) FROM groups"), 1);
	assert_int_equal(scalar(s, "SELECT count(*) FROM group_prev"), 2);
	assert_int_equal(scalar(s, "SELECT count(*) FROM kdc_keys"), 1);
}

#define FILLED_VALUES 8

/* A group_prev value opens under its AAD (no store function reads it). */
static int
prev_opens(struct ks_store *s, int64_t group_id, uint64_t num, uint8_t *ms)
{
	char sql[200], aad[KS_AAD_MAX];
	sqlite3_stmt *st = NULL;
	size_t n = 0;
	int rc = KS_ERR;

	snprintf(sql, sizeof(sql),
	         "SELECT lower(hex(g.gid_prefix)), p.ms_sealed FROM group_prev "
	         "p JOIN groups g ON g.id = p.group_id WHERE p.group_id = %lld "
	         "AND p.num = %llu",
	         (long long)group_id, (unsigned long long)num);
	assert_int_equal(
	        sqlite3_prepare_v2(ks_store_db_handle(s), sql, -1, &st, NULL),
	        SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	snprintf(aad, sizeof(aad), "kdc/group_prev/ms_sealed/%s/%llu",
	         (const char *)sqlite3_column_text(st, 0),
	         (unsigned long long)num);
	rc = ks_unseal(s, aad, sqlite3_column_blob(st, 1),
	               (size_t)sqlite3_column_bytes(st, 1), ms, 32, &n);
	sqlite3_finalize(st);
	return rc == KS_OK && n == 16 ? KS_OK : KS_ERR;
}

/* Every secret reads back as stored (KS_OK), or none does (KS_ERR). */
static int
secrets_open(struct ks_store *s, const struct filled *f)
{
	struct ks_as a;
	struct ks_token t;
	struct ks_group g;
	struct kdc_group_material m;
	struct ks_kdc_key k;
	uint8_t ms[32];
	int ok = 0, bad = 0;

	if (ks_store_as_get(s, f->as_id, &a) == KS_OK && a.key.k_len == 32 &&
	    a.key.k[0] == 0x77)
		ok++;
	else
		bad++;
	if (ks_store_as_get(s, f->kdk_as_id, &a) == KS_OK &&
	    a.key.k[0] == 0x66 && a.has_psk_kdk && a.psk_kdk_len == 32 &&
	    a.psk_kdk[31] == 0xd1)
		ok++;
	else
		bad++;
	if (ks_store_token_by_id(s, f->token_id, true, &t) == KS_OK &&
	    t.pop_key.k_len == 16 &&
	    memcmp(t.pop_key.k, f->token.pop_key.k, 16) == 0)
		ok++;
	else
		bad++;
	if (ks_store_group_by_id(s, f->group_id, &g) == KS_OK &&
	    ks_store_group_material(s, &g, &m) == KS_OK && m.ms_len == 16 &&
	    memcmp(m.ms, ms0, 16) == 0)
		ok++;
	else
		bad++;
	if (prev_opens(s, f->group_id, 0, ms) == KS_OK &&
	    memcmp(ms, ms0, 16) == 0)
		ok++;
	else
		bad++;
	if (prev_opens(s, f->group_id, 1, ms) == KS_OK &&
	    memcmp(ms, ms1, 16) == 0)
		ok++;
	else
		bad++;
	if (ks_store_kdc_key_current(s, "dh-x25519", &k) == KS_OK &&
	    memcmp(k.priv.d, f->key.priv.d, 32) == 0)
		ok++;
	else
		bad++;
	if (bad == 0)
		return KS_OK;
	if (ok == 0)
		return KS_ERR;
	fail_msg("%d secrets open and %d do not: a mixed database", ok, bad);
	return KS_ERR;
}

static void
reopen(struct ks_fixture *fx, const uint8_t kek[32])
{
	ks_store_close(fx->s);
	assert_int_equal(ks_store_open(fx->db, kek, &fx->s), KS_OK);
}

static void
test_rekek_moves_every_secret(void **state)
{
	struct ks_fixture *fx = *state;
	struct filled f;
	size_t n = 0;

	fill(fx->s, &f);
	assert_int_equal(secrets_open(fx->s, &f), KS_OK);
	assert_int_equal(ks_store_rekek(fx->s, new_kek, &n), KS_OK);
	assert_int_equal(n, FILLED_VALUES);
	/* The open store goes on with the new key. */
	assert_int_equal(secrets_open(fx->s, &f), KS_OK);

	reopen(fx, new_kek);
	assert_int_equal(secrets_open(fx->s, &f), KS_OK);
	/* Everything else is unchanged: same rows, same public parts. */
	assert_int_equal(scalar(fx->s, "SELECT count(*) FROM group_prev"), 2);
	assert_int_equal(scalar(fx->s, "SELECT count(*) FROM as_trust"), 2);

	reopen(fx, test_kek);
	assert_int_equal(secrets_open(fx->s, &f), KS_ERR);

	/* And back again: a second rotation from the new key works. */
	reopen(fx, new_kek);
	assert_int_equal(ks_store_rekek(fx->s, test_kek, &n), KS_OK);
	assert_int_equal(n, FILLED_VALUES);
	reopen(fx, test_kek);
	assert_int_equal(secrets_open(fx->s, &f), KS_OK);
}

static void
test_rekek_empty_database(void **state)
{
	struct ks_fixture *fx = *state;
	size_t n = 99;

	assert_int_equal(ks_store_rekek(fx->s, new_kek, &n), KS_OK);
	assert_int_equal(n, 0);
}

/* A value the current KEK does not open (here: moved from another row)
 * stops everything; the values before it in the same transaction stay
 * under the old key. */
static void
test_rekek_bad_value_rolls_back(void **state)
{
	struct ks_fixture *fx = *state;
	struct filled f;
	size_t n = 99;

	fill(fx->s, &f);
	exec_sql(fx->s, "UPDATE kdc_keys SET priv_sealed = (SELECT ms_sealed "
	                "FROM groups LIMIT 1)");
	assert_int_equal(ks_store_rekek(fx->s, new_kek, &n), KS_ERR);
	assert_int_equal(n, 0);
	assert_false(ks_store_in_txn(fx->s));
	/* The six others still open with the old key. */
	assert_int_equal(ks_store_as_get(fx->s, f.as_id, &(struct ks_as){0}),
	                 KS_OK);
	reopen(fx, test_kek);
	{
		struct ks_token t;
		struct ks_group g;
		struct kdc_group_material m;

		assert_int_equal(
		        ks_store_token_by_id(fx->s, f.token_id, true, &t),
		        KS_OK);
		assert_int_equal(ks_store_group_by_id(fx->s, f.group_id, &g),
		                 KS_OK);
		assert_int_equal(ks_store_group_material(fx->s, &g, &m), KS_OK);
		assert_memory_equal(m.ms, ms0, 16);
	}
	reopen(fx, new_kek);
	assert_int_equal(ks_store_as_get(fx->s, f.as_id, &(struct ks_as){0}),
	                 KS_ERR);
}

/* A sealed column the re-sealing does not know (a later migration that
 * forgot store_rekek.c) is refused before anything is written. */
static void
test_rekek_unknown_sealed_column(void **state)
{
	struct ks_fixture *fx = *state;
	struct filled f;
	size_t n = 99;

	fill(fx->s, &f);
	exec_sql(fx->s, "ALTER TABLE members ADD COLUMN extra_sealed BLOB");
	assert_int_equal(ks_store_rekek(fx->s, new_kek, &n), KS_ERR);
	assert_int_equal(n, 0);
	reopen(fx, test_kek);
	assert_int_equal(secrets_open(fx->s, &f), KS_OK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_rekek_moves_every_secret,
	                                        ks_fixture_setup,
	                                        ks_fixture_teardown),
	        cmocka_unit_test_setup_teardown(test_rekek_empty_database,
	                                        ks_fixture_setup,
	                                        ks_fixture_teardown),
	        cmocka_unit_test_setup_teardown(test_rekek_bad_value_rolls_back,
	                                        ks_fixture_setup,
	                                        ks_fixture_teardown),
	        cmocka_unit_test_setup_teardown(
	                test_rekek_unknown_sealed_column, ks_fixture_setup,
	                ks_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
