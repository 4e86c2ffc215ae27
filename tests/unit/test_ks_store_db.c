/* SPDX-License-Identifier: Apache-2.0 */
/* Tests of the keystore database lifecycle (keystore/store_db.c): open,
 * pragmas, file mode, version refusal, meta, transactions and savepoints. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_ks_util.h"

#include "migrations.h"
#include "store_int.h"

#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>

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
test_open_creates_schema(void **state)
{
	struct ks_fixture *f = *state;
	struct stat st;
	int64_t created, inst;
	const char *tables[] = {"meta",       "as_trust",   "tokens",
	                        "groups",     "group_prev", "members",
	                        "stale_sets", "stale_sids", "kdc_keys",
	                        "audit",      "exi_expired"};
	char sql[128];

	assert_int_equal(ks_store_schema_version(), (int)ks_migrations_count);
	assert_int_equal(ks_store_db_version(f->s), ks_store_schema_version());
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		snprintf(sql, sizeof(sql),
		         "SELECT count(*) FROM sqlite_master WHERE type = "
		         "'table' AND name = '%s'",
		         tables[i]);
		assert_int_equal(scalar(f->s, sql), 1);
	}
	/* Pragmas of docs/DESIGN.md §5. */
	assert_int_equal(scalar(f->s, "PRAGMA foreign_keys"), 1);
	assert_int_equal(scalar(f->s, "PRAGMA synchronous"), 2); /* FULL */
	assert_int_equal(scalar(f->s, "PRAGMA cache_size"), -8192);
	assert_int_equal(scalar(f->s, "PRAGMA mmap_size"), 0);
	assert_int_equal(scalar(f->s, "PRAGMA temp_store"), 2); /* MEMORY */
	assert_int_equal(scalar(f->s, "PRAGMA trusted_schema"), 0);
	{
		sqlite3_stmt *st2 = NULL;

		assert_int_equal(sqlite3_prepare_v2(ks_store_db_handle(f->s),
		                                    "PRAGMA journal_mode", -1,
		                                    &st2, NULL),
		                 SQLITE_OK);
		assert_int_equal(sqlite3_step(st2), SQLITE_ROW);
		assert_string_equal((const char *)sqlite3_column_text(st2, 0),
		                    "wal");
		sqlite3_finalize(st2);
	}
	/* Owner-only database file. */
	assert_int_equal(stat(f->db, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* meta written at creation. */
	assert_int_equal(ks_store_meta_get_int(f->s, "created_at", &created),
	                 KS_OK);
	assert_true(created > 1600000000);
	assert_int_equal(ks_store_meta_get_int(f->s, "instance", &inst), KS_OK);
	assert_true(inst > 0);
	assert_false(ks_store_in_txn(f->s));
}

static void
test_open_mode_despite_umask(void **state)
{
	char dir[256], db[300], wal[320];
	struct ks_store *s = NULL;
	struct stat st;
	mode_t old;

	(void)state;
	tdir_make(dir, sizeof(dir));
	tpath(db, sizeof(db), dir, "open.sqlite");
	old = umask(0);
	assert_int_equal(ks_store_open(db, test_kek, &s), KS_OK);
	umask(old);
	assert_int_equal(ks_store_meta_set_int(s, "x", 1), KS_OK);
	assert_int_equal(stat(db, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(wal, sizeof(wal), "%s-wal", db);
	assert_int_equal(stat(wal, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	ks_store_close(s);
	tdir_remove(dir);
}

static void
test_reopen_idempotent(void **state)
{
	struct ks_fixture *f = *state;
	int64_t inst, created, inst2, created2;

	assert_int_equal(ks_store_meta_get_int(f->s, "instance", &inst), KS_OK);
	assert_int_equal(ks_store_meta_get_int(f->s, "created_at", &created),
	                 KS_OK);
	assert_int_equal(ks_store_meta_set_int(f->s, "kept", 42), KS_OK);
	ks_store_close(f->s);
	f->s = NULL;
	for (int i = 0; i < 2; i++) {
		int64_t v;

		assert_int_equal(ks_store_open(f->db, test_kek, &f->s), KS_OK);
		assert_int_equal(ks_store_db_version(f->s),
		                 ks_store_schema_version());
		assert_int_equal(
		        ks_store_meta_get_int(f->s, "instance", &inst2), KS_OK);
		assert_int_equal(
		        ks_store_meta_get_int(f->s, "created_at", &created2),
		        KS_OK);
		assert_true(inst2 == inst);
		assert_true(created2 == created);
		assert_int_equal(ks_store_meta_get_int(f->s, "kept", &v),
		                 KS_OK);
		assert_int_equal(v, 42);
		assert_int_equal(scalar(f->s, "SELECT count(*) FROM meta"), 3);
		if (i == 0) {
			ks_store_close(f->s);
			f->s = NULL;
		}
	}
}

static void
test_newer_version_refused(void **state)
{
	struct ks_fixture *f = *state;
	struct ks_store *s = (struct ks_store *)1;
	sqlite3 *db = NULL;
	char sql[64];

	ks_store_close(f->s);
	f->s = NULL;
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(
	        sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL),
	        SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(ks_store_open(f->db, test_kek, &s), KS_ERR);
	assert_null(s);
	/* Nothing was changed by the refusal. */
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	{
		sqlite3_stmt *st = NULL;

		assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version",
		                                    -1, &st, NULL),
		                 SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(st, 0), 99);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	/* Re-open the fixture's store for the teardown: back to the
	 * current version. */
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
	         ks_store_schema_version());
	sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	assert_int_equal(ks_store_open(f->db, test_kek, &f->s), KS_OK);
}

static void
test_open_bad_path(void **state)
{
	struct ks_store *s = (struct ks_store *)1;

	(void)state;
	assert_int_equal(
	        ks_store_open("/nonexistent-dir/x/kdc.sqlite", test_kek, &s),
	        KS_ERR);
	assert_null(s);
}

static void
test_meta(void **state)
{
	struct ks_fixture *f = *state;
	int64_t v = 7;

	assert_int_equal(ks_store_meta_get_int(f->s, "nope", &v), KS_NOTFOUND);
	assert_int_equal(v, 7);
	assert_int_equal(ks_store_meta_set_int(f->s, "a", -5), KS_OK);
	assert_int_equal(ks_store_meta_get_int(f->s, "a", &v), KS_OK);
	assert_int_equal(v, -5);
	assert_int_equal(ks_store_meta_set_int(f->s, "a", INT64_MAX), KS_OK);
	assert_int_equal(ks_store_meta_get_int(f->s, "a", &v), KS_OK);
	assert_true(v == INT64_MAX);
	/* A non-integer value is an error, not a silent 0. */
	assert_int_equal(sqlite3_exec(ks_store_db_handle(f->s),
	                              "INSERT INTO meta VALUES ('t', 'text')",
	                              NULL, NULL, NULL),
	                 SQLITE_OK);
	assert_int_equal(ks_store_meta_get_int(f->s, "t", &v), KS_ERR);
}

static int64_t
meta_or(struct ks_store *s, const char *key, int64_t dflt)
{
	int64_t v;

	return ks_store_meta_get_int(s, key, &v) == KS_OK ? v : dflt;
}

static void
test_transactions(void **state)
{
	struct ks_fixture *f = *state;

	assert_int_equal(ks_store_begin(f->s), KS_OK);
	assert_true(ks_store_in_txn(f->s));
	/* No nested BEGIN. */
	assert_int_equal(ks_store_begin(f->s), KS_ERR);
	assert_int_equal(ks_store_meta_set_int(f->s, "t1", 1), KS_OK);
	assert_int_equal(ks_store_commit(f->s), KS_OK);
	assert_false(ks_store_in_txn(f->s));
	assert_int_equal(meta_or(f->s, "t1", 0), 1);

	assert_int_equal(ks_store_begin(f->s), KS_OK);
	assert_int_equal(ks_store_meta_set_int(f->s, "t2", 2), KS_OK);
	assert_int_equal(ks_store_meta_set_int(f->s, "t1", 9), KS_OK);
	assert_int_equal(ks_store_rollback(f->s), KS_OK);
	assert_false(ks_store_in_txn(f->s));
	assert_int_equal(meta_or(f->s, "t2", 0), 0);
	assert_int_equal(meta_or(f->s, "t1", 0), 1);
	assert_int_equal(ks_store_commit(f->s), KS_ERR); /* none open */
}

static void
test_savepoints(void **state)
{
	struct ks_fixture *f = *state;

	/* The batch: one transaction, each request in a savepoint. */
	assert_int_equal(ks_store_begin(f->s), KS_OK);
	assert_int_equal(ks_store_meta_set_int(f->s, "outer", 1), KS_OK);

	assert_int_equal(ks_store_savepoint(f->s), KS_OK);
	assert_int_equal(ks_store_meta_set_int(f->s, "req1", 1), KS_OK);
	assert_int_equal(ks_store_release(f->s), KS_OK);

	assert_int_equal(ks_store_savepoint(f->s), KS_OK);
	assert_int_equal(ks_store_meta_set_int(f->s, "req2", 2), KS_OK);
	assert_int_equal(ks_store_meta_set_int(f->s, "outer", 5), KS_OK);
	assert_int_equal(ks_store_rollback_to(f->s), KS_OK);
	assert_true(ks_store_in_txn(f->s));

	/* Nested: rolling back the inner one keeps the outer one's work. */
	assert_int_equal(ks_store_savepoint(f->s), KS_OK);
	assert_int_equal(ks_store_meta_set_int(f->s, "req3", 3), KS_OK);
	assert_int_equal(ks_store_savepoint(f->s), KS_OK);
	assert_int_equal(ks_store_meta_set_int(f->s, "req3-inner", 4), KS_OK);
	assert_int_equal(ks_store_rollback_to(f->s), KS_OK);
	assert_int_equal(meta_or(f->s, "req3", 0), 3);
	assert_int_equal(meta_or(f->s, "req3-inner", 0), 0);
	assert_int_equal(ks_store_release(f->s), KS_OK);

	assert_int_equal(ks_store_commit(f->s), KS_OK);
	assert_int_equal(meta_or(f->s, "outer", 0), 1);
	assert_int_equal(meta_or(f->s, "req1", 0), 1);
	assert_int_equal(meta_or(f->s, "req2", 0), 0);
	assert_int_equal(meta_or(f->s, "req3", 0), 3);
	assert_int_equal(meta_or(f->s, "req3-inner", 0), 0);
	/* Releasing a savepoint that does not exist fails. */
	assert_int_equal(ks_store_release(f->s), KS_ERR);
	assert_int_equal(ks_store_rollback_to(f->s), KS_ERR);
}

static void
test_committed_survives_reopen(void **state)
{
	struct ks_fixture *f = *state;

	assert_int_equal(ks_store_begin(f->s), KS_OK);
	assert_int_equal(ks_store_meta_set_int(f->s, "durable", 11), KS_OK);
	assert_int_equal(ks_store_commit(f->s), KS_OK);
	assert_int_equal(ks_store_begin(f->s), KS_OK);
	assert_int_equal(ks_store_meta_set_int(f->s, "lost", 12), KS_OK);
	/* Closing with an open transaction rolls it back. */
	ks_store_close(f->s);
	assert_int_equal(ks_store_open(f->db, test_kek, &f->s), KS_OK);
	assert_int_equal(meta_or(f->s, "durable", 0), 11);
	assert_int_equal(meta_or(f->s, "lost", 0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_open_creates_schema,
	                                        ks_fixture_setup,
	                                        ks_fixture_teardown),
	        cmocka_unit_test(test_open_mode_despite_umask),
	        cmocka_unit_test_setup_teardown(test_reopen_idempotent,
	                                        ks_fixture_setup,
	                                        ks_fixture_teardown),
	        cmocka_unit_test_setup_teardown(test_newer_version_refused,
	                                        ks_fixture_setup,
	                                        ks_fixture_teardown),
	        cmocka_unit_test(test_open_bad_path),
	        cmocka_unit_test_setup_teardown(test_meta, ks_fixture_setup,
	                                        ks_fixture_teardown),
	        cmocka_unit_test_setup_teardown(test_transactions,
	                                        ks_fixture_setup,
	                                        ks_fixture_teardown),
	        cmocka_unit_test_setup_teardown(
	                test_savepoints, ks_fixture_setup, ks_fixture_teardown),
	        cmocka_unit_test_setup_teardown(test_committed_survives_reopen,
	                                        ks_fixture_setup,
	                                        ks_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
