/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of the migration runner (keystore/store_db.c) over the embedded
 * migrations (keystore/migrations.h).  The harness loops over
 * ks_migrations, so every future schema version is covered: a database
 * left at each earlier version must be brought to the latest one and end up
 * with exactly the schema of a database created from scratch.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_ks_util.h"

#include "migrations.h"
#include "store_int.h"

#include <ctype.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

/* The schema as text: every object's type, name and SQL, in name order. */
static char *
schema_dump(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	char *out = sqlite3_mprintf("%s", "");

	assert_int_equal(
	        sqlite3_prepare_v2(db,
	                           "SELECT type, name, tbl_name, "
	                           "coalesce(sql, '') FROM sqlite_master "
	                           "ORDER BY type, name",
	                           -1, &st, NULL),
	        SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		char *next = sqlite3_mprintf(
		        "%s%s|%s|%s|%s\n", out, sqlite3_column_text(st, 0),
		        sqlite3_column_text(st, 1), sqlite3_column_text(st, 2),
		        sqlite3_column_text(st, 3));

		sqlite3_free(out);
		out = next;
		assert_non_null(out);
	}
	sqlite3_finalize(st);
	return out;
}

static int
user_version(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int v = -1;

	assert_int_equal(
	        sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL),
	        SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Bring a raw database to version v by running migrations 1..v the way an
 * older keystore did. */
static void
raw_migrate_to(const char *path, unsigned v)
{
	sqlite3 *db = NULL;
	char pragma[48];

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	for (unsigned i = 0; i < v; i++) {
		assert_int_equal(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL),
		                 SQLITE_OK);
		assert_int_equal(sqlite3_exec(db, ks_migrations[i].sql, NULL,
		                              NULL, NULL),
		                 SQLITE_OK);
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %u",
		         ks_migrations[i].version);
		assert_int_equal(sqlite3_exec(db, pragma, NULL, NULL, NULL),
		                 SQLITE_OK);
		assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL),
		                 SQLITE_OK);
	}
	assert_int_equal(user_version(db), (int)v);
	sqlite3_close(db);
}

static void
test_embedded_list(void **state)
{
	(void)state;
	assert_true(ks_migrations_count >= 1);
	for (unsigned i = 0; i < ks_migrations_count; i++) {
		char prefix[16];

		/* Migration i+1 comes from schema/NNN_*.sql with NNN = i+1. */
		assert_int_equal(ks_migrations[i].version, i + 1);
		snprintf(prefix, sizeof(prefix), "%03u_", i + 1);
		assert_memory_equal(ks_migrations[i].file, prefix, 4);
		assert_non_null(strstr(ks_migrations[i].file, ".sql"));
		assert_true(strlen(ks_migrations[i].sql) > 0);
	}
	assert_int_equal(ks_store_schema_version(),
	                 (int)ks_migrations[ks_migrations_count - 1].version);
}

static void
test_from_every_earlier_version(void **state)
{
	char dir[256], fresh[300];
	struct ks_store *s = NULL;
	char *reference;

	(void)state;
	tdir_make(dir, sizeof(dir));
	tpath(fresh, sizeof(fresh), dir, "fresh.sqlite");
	assert_int_equal(ks_store_open(fresh, test_kek, &s), KS_OK);
	reference = schema_dump(ks_store_db_handle(s));
	ks_store_close(s);

	for (unsigned from = 0; from < ks_migrations_count; from++) {
		char path[300], name[32];
		char *dump;
		int64_t inst;

		snprintf(name, sizeof(name), "from-%u.sqlite", from);
		tpath(path, sizeof(path), dir, name);
		raw_migrate_to(path, from);
		s = NULL;
		assert_int_equal(ks_store_open(path, test_kek, &s), KS_OK);
		assert_int_equal(ks_store_db_version(s),
		                 ks_store_schema_version());
		dump = schema_dump(ks_store_db_handle(s));
		assert_string_equal(dump, reference);
		sqlite3_free(dump);
		assert_int_equal(ks_store_meta_get_int(s, "instance", &inst),
		                 KS_OK);
		ks_store_close(s);
		/* And the result opens again without changes. */
		assert_int_equal(ks_store_open(path, test_kek, &s), KS_OK);
		dump = schema_dump(ks_store_db_handle(s));
		assert_string_equal(dump, reference);
		sqlite3_free(dump);
		ks_store_close(s);
	}
	sqlite3_free(reference);
	tdir_remove(dir);
}

/* A migration that fails leaves the database at the previous version with
 * nothing half-applied (each migration is one transaction).  The last
 * migration is made to fail by creating beforehand the last table it
 * creates, so that every statement before that one must be rolled back. */
static void
test_failed_migration_rolls_back(void **state)
{
	const struct ks_migration *m = &ks_migrations[ks_migrations_count - 1];
	char dir[256], path[300], name[64], sql[128];
	struct ks_store *s = (struct ks_store *)1;
	const char *p, *last = NULL;
	char *before, *after;
	sqlite3 *db = NULL;
	size_t n = 0;

	(void)state;
	for (p = m->sql; (p = strstr(p, "CREATE TABLE ")) != NULL; p++)
		last = p + strlen("CREATE TABLE ");
	if (last == NULL)
		skip();
	while (n + 1 < sizeof(name) &&
	       (last[n] == '_' || isalnum((unsigned char)last[n])))
		n++;
	memcpy(name, last, n);
	name[n] = '\0';
	assert_true(n > 0);

	tdir_make(dir, sizeof(dir));
	tpath(path, sizeof(path), dir, "broken.sqlite");
	raw_migrate_to(path, ks_migrations_count - 1);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	snprintf(sql, sizeof(sql), "CREATE TABLE %s (x INTEGER)", name);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	before = schema_dump(db);
	sqlite3_close(db);

	assert_int_equal(ks_store_open(path, test_kek, &s), KS_ERR);
	assert_null(s);

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(user_version(db), (int)ks_migrations_count - 1);
	after = schema_dump(db);
	assert_string_equal(after, before);
	sqlite3_close(db);
	sqlite3_free(before);
	sqlite3_free(after);
	tdir_remove(dir);
}

static void
test_newer_than_binary_refused(void **state)
{
	char dir[256], path[300], pragma[48];
	struct ks_store *s = (struct ks_store *)1;
	sqlite3 *db = NULL;

	(void)state;
	tdir_make(dir, sizeof(dir));
	tpath(path, sizeof(path), dir, "newer.sqlite");
	raw_migrate_to(path, ks_migrations_count);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d",
	         ks_store_schema_version() + 1);
	assert_int_equal(sqlite3_exec(db, pragma, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(ks_store_open(path, test_kek, &s), KS_ERR);
	assert_null(s);
	tdir_remove(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_embedded_list),
	        cmocka_unit_test(test_from_every_earlier_version),
	        cmocka_unit_test(test_failed_migration_rolls_back),
	        cmocka_unit_test(test_newer_than_binary_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
