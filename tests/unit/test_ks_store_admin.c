/* SPDX-License-Identifier: Apache-2.0 */
/* Tests of the admin reports (keystore/store_admin.c): read-only SQL and
 * its refusals, integrity check, online backup, statistics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_ks_util.h"

#include "ipc_msg.h"
#include "store_int.h"

#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>

static const uint8_t ms[16] = "0123456789abcdef";

/* Run sql; on success decode the ADM_RESULT into *res (caller frees). */
static int
run_sql(struct ks_store *s, const char *sql, struct ipc_adm_result *res,
        char *err, size_t errlen)
{
	struct ipc_tab_builder tb;
	struct ipc_wbuf w;
	int rc;

	ipc_tab_init(&tb);
	ipc_wbuf_init(&w);
	rc = ks_store_sql_readonly(s, sql, &tb, err, errlen);
	if (rc == KS_OK) {
		assert_int_equal(ipc_tab_finish(&tb, 0, NULL, &w), 0);
		assert_int_equal(ipc_dec_adm_result(w.p, w.len, res), 0);
	}
	ipc_tab_free(&tb);
	ipc_wbuf_free(&w);
	return rc;
}

static int64_t
count_rows(struct ks_store *s, const char *table)
{
	struct ipc_adm_result res;
	char sql[96], err[256];
	int64_t n;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	assert_int_equal(run_sql(s, sql, &res, err, sizeof(err)), KS_OK);
	assert_int_equal(res.ntables, 1);
	assert_int_equal(res.tables[0].nrows, 1);
	n = res.tables[0].cells[0].i;
	ipc_adm_result_free(&res);
	return n;
}

static void
test_select_types(void **state)
{
	struct ks_fixture *f = *state;
	struct ipc_adm_result res;
	struct ipc_table *t;
	char err[256];

	assert_int_equal(ks_store_audit(f->s, "t", "a1", "g", NULL, "d"),
	                 KS_OK);
	assert_int_equal(ks_store_audit(f->s, "t", "a2", "g", NULL, "d"),
	                 KS_OK);
	assert_int_equal(
	        run_sql(f->s,
	                "SELECT id, action, 1.5, NULL, x'00ff', "
	                "char(97, 0, 98) AS nul FROM audit ORDER BY id",
	                &res, err, sizeof(err)),
	        KS_OK);
	assert_string_equal(err, "");
	assert_int_equal(res.ntables, 1);
	t = &res.tables[0];
	assert_int_equal(t->ncols, 6);
	assert_int_equal(t->nrows, 2);
	assert_int_equal(t->col_names[0].n, 2);
	assert_memory_equal(t->col_names[0].p, "id", 2);
	assert_memory_equal(t->col_names[5].p, "nul", 3);
	assert_int_equal(t->cells[0].type, IPC_CELL_INT);
	assert_int_equal(t->cells[0].i, 1);
	assert_int_equal(t->cells[1].type, IPC_CELL_TEXT);
	assert_int_equal(t->cells[1].v.n, 2);
	assert_memory_equal(t->cells[1].v.p, "a1", 2);
	assert_int_equal(t->cells[2].type, IPC_CELL_TEXT); /* REAL as %.17g */
	assert_memory_equal(t->cells[2].v.p, "1.5", 3);
	assert_int_equal(t->cells[3].type, IPC_CELL_NULL);
	assert_int_equal(t->cells[4].type, IPC_CELL_BYTES);
	assert_int_equal(t->cells[4].v.n, 2);
	assert_memory_equal(t->cells[4].v.p, "\x00\xff", 2);
	/* Text with a NUL cannot travel as text: bytes. */
	assert_int_equal(t->cells[5].type, IPC_CELL_BYTES);
	assert_int_equal(t->cells[5].v.n, 3);
	assert_int_equal(t->cells[6].i, 2);
	ipc_adm_result_free(&res);

	/* CTEs, joins, trailing semicolon and comment are fine. */
	assert_int_equal(run_sql(f->s,
	                         "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL "
	                         "SELECT x + 1 FROM c WHERE x < 5) "
	                         "SELECT sum(x) FROM c; -- done\n",
	                         &res, err, sizeof(err)),
	                 KS_OK);
	assert_int_equal(res.tables[0].cells[0].i, 15);
	ipc_adm_result_free(&res);
	assert_int_equal(run_sql(f->s,
	                         "SELECT name FROM sqlite_master WHERE "
	                         "type = 'table' AND name = 'members'",
	                         &res, err, sizeof(err)),
	                 KS_OK);
	assert_int_equal(res.tables[0].nrows, 1);
	ipc_adm_result_free(&res);
}

static void
test_refusals(void **state)
{
	struct ks_fixture *f = *state;
	struct ipc_adm_result res;
	char err[256], attach[400];
	const char *bad[] = {
	        "INSERT INTO audit (at, actor, action) VALUES (1, 'x', 'y')",
	        "UPDATE groups SET active = 0",
	        "DELETE FROM meta",
	        "DROP TABLE members",
	        "CREATE TABLE x (a)",
	        "ALTER TABLE meta ADD COLUMN z",
	        "PRAGMA user_version = 5",
	        "PRAGMA journal_mode = DELETE",
	        "PRAGMA writable_schema = ON",
	        "PRAGMA foreign_keys = OFF",
	        "BEGIN",
	        "SAVEPOINT x",
	        "VACUUM",
	        "REINDEX",
	        "ANALYZE",
	        "SELECT 1; DELETE FROM meta",
	        "SELECT 1; SELECT 2",
	        "SELECT 1; garbage",
	        "",
	        "   -- only a comment",
	        "SELECT * FROM no_such_table",
	        "WITH x AS (SELECT 1) DELETE FROM meta",
	        "SELECT load_extension('/tmp/x.so')",
	};
	int64_t meta_before = count_rows(f->s, "meta");

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (run_sql(f->s, bad[i], &res, err, sizeof(err)) != KS_ERR)
			fail_msg("not refused: %s", bad[i]);
		if (err[0] == '\0')
			fail_msg("no reason for: %s", bad[i]);
	}
	assert_int_equal(
	        run_sql(f->s, "DELETE FROM meta", &res, err, sizeof(err)),
	        KS_ERR);
	assert_non_null(strstr(err, "DELETE is not allowed"));
	assert_int_equal(
	        run_sql(f->s, "SELECT 1; SELECT 2", &res, err, sizeof(err)),
	        KS_ERR);
	assert_non_null(strstr(err, "one statement"));

	snprintf(attach, sizeof(attach), "ATTACH '%s/other.db' AS o", f->dir);
	assert_int_equal(run_sql(f->s, attach, &res, err, sizeof(err)), KS_ERR);
	assert_null(strstr(err, "not an error")); /* a reason is given */
	{
		char path[320];
		struct stat st;

		tpath(path, sizeof(path), f->dir, "other.db");
		assert_int_equal(stat(path, &st), -1); /* nothing created */
	}

	/* Nothing changed, and the main connection still works. */
	assert_int_equal(count_rows(f->s, "meta"), meta_before);
	assert_int_equal(ks_store_db_version(f->s), ks_store_schema_version());
	assert_int_equal(ks_store_meta_set_int(f->s, "after", 1), KS_OK);
	assert_int_equal(count_rows(f->s, "meta"), meta_before + 1);
}

static void
test_limits(void **state)
{
	struct ks_fixture *f = *state;
	struct ipc_adm_result res;
	char err[256];

	/* Rows are capped, with a note. */
	assert_int_equal(run_sql(f->s,
	                         "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL "
	                         "SELECT x + 1 FROM c LIMIT 20000) "
	                         "SELECT x FROM c",
	                         &res, err, sizeof(err)),
	                 KS_OK);
	assert_int_equal(res.tables[0].nrows, 10000);
	assert_int_equal(res.tables[0].cells[9999].i, 10000);
	assert_non_null(strstr(err, "truncated"));
	ipc_adm_result_free(&res);

	/* A runaway query is stopped, not run forever. */
	assert_int_equal(run_sql(f->s,
	                         "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL "
	                         "SELECT x + 1 FROM c) SELECT count(*) FROM c",
	                         &res, err, sizeof(err)),
	                 KS_ERR);
	assert_non_null(strstr(err, "budget"));
	/* Values are bounded. */
	assert_int_equal(run_sql(f->s, "SELECT zeroblob(100000000)", &res, err,
	                         sizeof(err)),
	                 KS_ERR);
	/* Too many columns. */
	{
		char sql[2048];
		size_t len = (size_t)snprintf(sql, sizeof(sql), "SELECT 0");

		for (int i = 1; i < 200; i++)
			len += (size_t)snprintf(sql + len, sizeof(sql) - len,
			                        ",%d", i);
		assert_int_equal(run_sql(f->s, sql, &res, err, sizeof(err)),
		                 KS_ERR);
		assert_non_null(strstr(err, "columns"));
	}
	/* And the connection is usable afterwards. */
	assert_int_equal(count_rows(f->s, "audit"), 0);
}

static void
test_reads_committed_state(void **state)
{
	struct ks_fixture *f = *state;

	assert_int_equal(count_rows(f->s, "audit"), 0);
	assert_int_equal(ks_store_begin(f->s), KS_OK);
	assert_int_equal(ks_store_audit(f->s, "t", "x", NULL, NULL, NULL),
	                 KS_OK);
	/* The open batch is not visible to the read-only connection. */
	assert_int_equal(count_rows(f->s, "audit"), 0);
	assert_int_equal(ks_store_commit(f->s), KS_OK);
	assert_int_equal(count_rows(f->s, "audit"), 1);
}

static void
test_check(void **state)
{
	struct ks_fixture *f = *state;
	struct ipc_tab_builder tb;
	struct ipc_adm_result res;
	struct ipc_wbuf w;

	ipc_tab_init(&tb);
	ipc_wbuf_init(&w);
	assert_int_equal(ks_store_check(f->s, &tb), KS_OK);
	assert_int_equal(ipc_tab_finish(&tb, 0, NULL, &w), 0);
	assert_int_equal(ipc_dec_adm_result(w.p, w.len, &res), 0);
	assert_int_equal(res.ntables, 2);
	assert_memory_equal(res.tables[0].name.p, "integrity_check", 15);
	assert_int_equal(res.tables[0].nrows, 1);
	assert_int_equal(res.tables[0].cells[0].v.n, 2);
	assert_memory_equal(res.tables[0].cells[0].v.p, "ok", 2);
	assert_memory_equal(res.tables[1].name.p, "foreign_key_check", 17);
	assert_int_equal(res.tables[1].ncols, 4);
	assert_int_equal(res.tables[1].nrows, 0);
	ipc_adm_result_free(&res);
	ipc_tab_free(&tb);
	ipc_wbuf_free(&w);

	/* A dangling reference (written with foreign keys off) is
	 * reported. */
	assert_int_equal(sqlite3_exec(ks_store_db_handle(f->s),
	                              "PRAGMA foreign_keys = OFF; "
	                              "INSERT INTO stale_sets VALUES (42, 0); "
	                              "PRAGMA foreign_keys = ON",
	                              NULL, NULL, NULL),
	                 SQLITE_OK);
	ipc_tab_init(&tb);
	ipc_wbuf_init(&w);
	assert_int_equal(ks_store_check(f->s, &tb), KS_OK);
	assert_int_equal(ipc_tab_finish(&tb, 0, NULL, &w), 0);
	assert_int_equal(ipc_dec_adm_result(w.p, w.len, &res), 0);
	assert_int_equal(res.tables[1].nrows, 1);
	assert_memory_equal(res.tables[1].cells[0].v.p, "stale_sets", 10);
	assert_int_equal(res.tables[1].cells[1].type, IPC_CELL_NULL);
	assert_memory_equal(res.tables[1].cells[2].v.p, "groups", 6);
	ipc_adm_result_free(&res);
	ipc_tab_free(&tb);
	ipc_wbuf_free(&w);
}

static void
test_backup(void **state)
{
	struct ks_fixture *f = *state;
	struct ks_store *b = NULL;
	struct ks_group g, out;
	struct ks_token t, tout;
	struct ks_member m;
	struct kdc_group_material mat;
	char path[320];
	struct stat st;
	bool replaced;
	int64_t as, n, inst, inst_b;

	as = test_as(f->s, "as");
	test_group(&g, "g", 7);
	assert_int_equal(ks_store_begin(f->s), KS_OK);
	assert_int_equal(ks_store_group_create(f->s, &g, ms, 16), KS_OK);
	test_token(&t, as, 1);
	assert_int_equal(ks_store_token_put(f->s, &t, &replaced), KS_OK);
	test_member(&m, g.id, t.id, 1);
	assert_int_equal(ks_store_member_add(f->s, &m), KS_OK);
	assert_int_equal(ks_store_commit(f->s), KS_OK);
	/* Uncommitted work is not in the backup. */
	assert_int_equal(ks_store_begin(f->s), KS_OK);
	assert_int_equal(ks_store_audit(f->s, "t", "x", NULL, NULL, NULL),
	                 KS_OK);

	tpath(path, sizeof(path), f->dir, "backup.sqlite");
	assert_int_equal(ks_store_backup(f->s, path), KS_OK);
	assert_int_equal(ks_store_commit(f->s), KS_OK);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_false(file_contains(path, ms, 16));
	/* Never overwrites. */
	assert_int_equal(ks_store_backup(f->s, path), KS_EXISTS);

	assert_int_equal(ks_store_open(path, test_kek, &b), KS_OK);
	assert_int_equal(ks_store_db_version(b), ks_store_schema_version());
	assert_int_equal(ks_store_group_by_name(b, "g", &out), KS_OK);
	assert_int_equal(out.id, g.id);
	assert_int_equal(ks_store_group_material(b, &out, &mat), KS_OK);
	assert_memory_equal(mat.ms, ms, 16);
	assert_int_equal(ks_store_token_by_handle(b, &t.handle, true, &tout),
	                 KS_OK);
	assert_memory_equal(tout.pop_key.k, t.pop_key.k, 16);
	assert_int_equal(ks_store_member_count(b, g.id, &n), KS_OK);
	assert_int_equal(n, 1);
	assert_int_equal(ks_store_member_by_node(b, g.id, "n1", &m), KS_OK);
	assert_int_equal(count_rows(b, "audit"), 0);
	/* Same instance: it is the same database. */
	assert_int_equal(ks_store_meta_get_int(f->s, "instance", &inst), KS_OK);
	assert_int_equal(ks_store_meta_get_int(b, "instance", &inst_b), KS_OK);
	assert_true(inst == inst_b);
	ks_store_close(b);

	/* A directory that does not exist. */
	tpath(path, sizeof(path), f->dir, "no/such/dir.sqlite");
	assert_int_equal(ks_store_backup(f->s, path), KS_ERR);
}

static void
test_stats(void **state)
{
	struct ks_fixture *f = *state;
	int64_t bytes = 0, bytes2 = 0;

	assert_int_equal(ks_store_stats(f->s, &bytes), KS_OK);
	assert_true(bytes > 0);
	assert_int_equal(bytes % 512, 0);
	for (int i = 0; i < 500; i++)
		assert_int_equal(ks_store_audit(f->s, "t", "filler", NULL, NULL,
		                                "%0200d", i),
		                 KS_OK);
	assert_int_equal(ks_store_stats(f->s, &bytes2), KS_OK);
	assert_true(bytes2 > bytes);
}

int
main(void)
{
#define T(fn)                                                                  \
	cmocka_unit_test_setup_teardown(fn, ks_fixture_setup,                  \
	                                ks_fixture_teardown)
	const struct CMUnitTest tests[] = {
	        T(test_select_types), T(test_refusals),
	        T(test_limits),       T(test_reads_committed_state),
	        T(test_check),        T(test_backup),
	        T(test_stats),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
