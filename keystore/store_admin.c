/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_admin.c — reports for kdc-admin: read-only SQL, integrity checks,
 * online backup and size statistics.
 *
 * Operator SQL runs on a second connection opened SQLITE_OPEN_READONLY with
 * `PRAGMA query_only`, an authorizer that allows nothing but reading
 * (SELECT, column reads, functions, recursive CTEs), one statement per
 * request, bounded rows, columns, bytes and work (a progress handler stops a
 * runaway query, which would otherwise stall the single-threaded
 * keystore).  It sees the last committed state, never the open batch.
 */
#include "store_int.h"

#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SQL_MAX_ROWS     10000
#define SQL_MAX_COLS     128
#define SQL_MAX_NAME     128        /* bytes of a column name (cut beyond) */
#define SQL_MAX_BYTES    (4u << 20) /* output, well below IPC_MAX_PAYLOAD */
#define SQL_MAX_VALUE    (1 << 20)  /* SQLITE_LIMIT_LENGTH of a value */
#define SQL_MAX_TEXT     100000     /* SQLITE_LIMIT_SQL_LENGTH */
#define SQL_PROGRESS_OPS 1000       /* VM instructions per progress call */
#define SQL_MAX_PROGRESS 100000     /* i.e. 10^8 instructions, ~1 s */

struct ro_ctx {
	int denied; /* first action the authorizer refused, 0 if none */
	unsigned ticks;
};

static int
ro_auth(void *arg, int action, const char *a, const char *b, const char *db,
        const char *trigger)
{
	struct ro_ctx *ctx = arg;

	(void)a;
	(void)b;
	(void)db;
	(void)trigger;
	switch (action) {
	case SQLITE_SELECT:
	case SQLITE_READ:
	case SQLITE_FUNCTION:
	case SQLITE_RECURSIVE:
		return SQLITE_OK;
	default:
		if (ctx != NULL && ctx->denied == 0)
			ctx->denied = action;
		return SQLITE_DENY;
	}
}

static int
ro_progress(void *arg)
{
	struct ro_ctx *ctx = arg;

	return ++ctx->ticks > SQL_MAX_PROGRESS;
}

static const char *
action_name(int action)
{
	switch (action) {
	case SQLITE_INSERT:
		return "INSERT";
	case SQLITE_UPDATE:
		return "UPDATE";
	case SQLITE_DELETE:
		return "DELETE";
	case SQLITE_DROP_TABLE:
	case SQLITE_DROP_INDEX:
	case SQLITE_DROP_TRIGGER:
	case SQLITE_DROP_VIEW:
	case SQLITE_DROP_TEMP_TABLE:
	case SQLITE_DROP_TEMP_INDEX:
	case SQLITE_DROP_TEMP_TRIGGER:
	case SQLITE_DROP_TEMP_VIEW:
	case SQLITE_DROP_VTABLE:
		return "DROP";
	case SQLITE_CREATE_TABLE:
	case SQLITE_CREATE_INDEX:
	case SQLITE_CREATE_TRIGGER:
	case SQLITE_CREATE_VIEW:
	case SQLITE_CREATE_TEMP_TABLE:
	case SQLITE_CREATE_TEMP_INDEX:
	case SQLITE_CREATE_TEMP_TRIGGER:
	case SQLITE_CREATE_TEMP_VIEW:
	case SQLITE_CREATE_VTABLE:
		return "CREATE";
	case SQLITE_ALTER_TABLE:
		return "ALTER TABLE";
	case SQLITE_ATTACH:
		return "ATTACH";
	case SQLITE_DETACH:
		return "DETACH";
	case SQLITE_PRAGMA:
		return "PRAGMA";
	case SQLITE_TRANSACTION:
		return "a transaction statement";
	case SQLITE_SAVEPOINT:
		return "SAVEPOINT";
	case SQLITE_REINDEX:
		return "REINDEX";
	case SQLITE_ANALYZE:
		return "ANALYZE";
	default:
		return "this statement";
	}
}

sqlite3 *
ks_store_ro(struct ks_store *s, char *err, size_t errlen)
{
	static const char pragmas[] = "PRAGMA query_only = ON;"
	                              "PRAGMA trusted_schema = OFF;"
	                              "PRAGMA cache_size = -2048;"
	                              "PRAGMA mmap_size = 0;";
	sqlite3 *ro = NULL;

	if (s->ro != NULL)
		return s->ro;
	if (sqlite3_open_v2(s->path, &ro,
	                    SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
	                    NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open the database read-only: %s",
		         ro != NULL ? sqlite3_errmsg(ro) : "out of memory");
		goto fail;
	}
	sqlite3_extended_result_codes(ro, 1);
	sqlite3_busy_timeout(ro, 5000);
	sqlite3_db_config(ro, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(ro, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, NULL);
	sqlite3_limit(ro, SQLITE_LIMIT_ATTACHED, 0);
	sqlite3_limit(ro, SQLITE_LIMIT_LENGTH, SQL_MAX_VALUE);
	sqlite3_limit(ro, SQLITE_LIMIT_SQL_LENGTH, SQL_MAX_TEXT);
	if (sqlite3_exec(ro, pragmas, NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen,
		         "cannot configure the read-only "
		         "connection: %s",
		         sqlite3_errmsg(ro));
		goto fail;
	}
	/* From now on only reads compile on this connection. */
	sqlite3_set_authorizer(ro, ro_auth, NULL);
	s->ro = ro;
	return ro;
fail:
	log_err("store: %s", err);
	sqlite3_close(ro);
	return NULL;
}

/* True if nothing but blanks and comments follow the first statement. */
static bool
only_one_statement(sqlite3 *ro, const char *tail)
{
	while (tail != NULL && *tail != '\0') {
		sqlite3_stmt *next = NULL;
		const char *rest = NULL;

		if (sqlite3_prepare_v2(ro, tail, -1, &next, &rest) != SQLITE_OK)
			return false;
		if (next != NULL) {
			sqlite3_finalize(next);
			return false;
		}
		if (rest == NULL || rest == tail)
			break;
		tail = rest;
	}
	return true;
}

/* A column name as a table header: at most SQL_MAX_NAME bytes, cut on a
 * UTF-8 character boundary. */
static void
column_name(char out[SQL_MAX_NAME + 1], const char *name)
{
	size_t n;

	if (name == NULL)
		name = "?";
	n = strlen(name);
	if (n > SQL_MAX_NAME) {
		n = SQL_MAX_NAME;
		while (n > 0 && ((unsigned char)name[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(out, name, n);
	out[n] = '\0';
}

static void
put_cell(struct ipc_tab_builder *tb, sqlite3_stmt *st, int i, size_t *bytes)
{
	char num[32];
	int n;

	switch (sqlite3_column_type(st, i)) {
	case SQLITE_INTEGER:
		ipc_tab_int(tb, sqlite3_column_int64(st, i));
		*bytes += 9;
		break;
	case SQLITE_FLOAT:
		n = snprintf(num, sizeof(num), "%.17g",
		             sqlite3_column_double(st, i));
		ipc_tab_text(tb, num, (size_t)n);
		*bytes += (size_t)n + 5;
		break;
	case SQLITE_TEXT: {
		const char *t = (const char *)sqlite3_column_text(st, i);

		n = sqlite3_column_bytes(st, i);
		/* A text cell cannot hold a NUL on the wire: send such a
		 * value as bytes. */
		if (t != NULL && memchr(t, '\0', (size_t)n) != NULL)
			ipc_tab_bytes(tb, (const uint8_t *)t, (size_t)n);
		else
			ipc_tab_text(tb, t, (size_t)n);
		*bytes += (size_t)n + 5;
		break;
	}
	case SQLITE_BLOB:
		n = sqlite3_column_bytes(st, i);
		ipc_tab_bytes(tb, sqlite3_column_blob(st, i), (size_t)n);
		*bytes += (size_t)n + 5;
		break;
	default:
		ipc_tab_null(tb);
		*bytes += 1;
		break;
	}
}

int
ks_store_sql_readonly(struct ks_store *s, const char *sql,
                      struct ipc_tab_builder *tb, char *err, size_t errlen)
{
	struct ro_ctx ctx = {0};
	sqlite3_stmt *st = NULL;
	const char *tail = NULL;
	const char **names = NULL;
	char *namebuf = NULL;
	size_t bytes = 0;
	uint32_t rows = 0;
	sqlite3 *ro;
	int ncol, rc = KS_ERR, step;

	err[0] = '\0';
	ro = ks_store_ro(s, err, errlen);
	if (ro == NULL)
		return KS_ERR;
	sqlite3_set_authorizer(ro, ro_auth, &ctx);
	sqlite3_progress_handler(ro, SQL_PROGRESS_OPS, ro_progress, &ctx);

	if (sqlite3_prepare_v2(ro, sql, -1, &st, &tail) != SQLITE_OK) {
		if (ctx.denied != 0)
			snprintf(err, errlen,
			         "refused: %s is not allowed, only a read-only "
			         "SELECT",
			         action_name(ctx.denied));
		else
			snprintf(err, errlen, "%s", sqlite3_errmsg(ro));
		goto out;
	}
	if (st == NULL) {
		snprintf(err, errlen, "empty statement");
		goto out;
	}
	if (!only_one_statement(ro, tail)) {
		snprintf(err, errlen, "refused: only one statement is allowed");
		goto out;
	}
	ncol = sqlite3_column_count(st);
	if (!sqlite3_stmt_readonly(st) || ncol == 0) {
		snprintf(err, errlen, "refused: not a read-only query");
		goto out;
	}
	if (ncol > SQL_MAX_COLS) {
		snprintf(err, errlen, "refused: more than %d columns",
		         SQL_MAX_COLS);
		goto out;
	}
	names = calloc((size_t)ncol, sizeof(*names));
	namebuf = malloc((size_t)ncol * (SQL_MAX_NAME + 1));
	if (names == NULL || namebuf == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (int i = 0; i < ncol; i++) {
		char *nm = namebuf + (size_t)i * (SQL_MAX_NAME + 1);

		column_name(nm, sqlite3_column_name(st, i));
		names[i] = nm;
	}
	ipc_tab_begin(tb, "result", names, (uint32_t)ncol);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (rows == SQL_MAX_ROWS || bytes > SQL_MAX_BYTES) {
			snprintf(
			        err, errlen,
			        "result truncated to %u rows (limits: %d rows, "
			        "%u bytes)",
			        rows, SQL_MAX_ROWS, SQL_MAX_BYTES);
			break;
		}
		for (int i = 0; i < ncol; i++)
			put_cell(tb, st, i, &bytes);
		rows++;
	}
	if (step != SQLITE_ROW && step != SQLITE_DONE) {
		if (step == SQLITE_INTERRUPT)
			snprintf(err, errlen,
			         "stopped: the query exceeded its "
			         "work budget");
		else
			snprintf(err, errlen, "%s", sqlite3_errmsg(ro));
		goto out;
	}
	rc = KS_OK;
out:
	sqlite3_finalize(st);
	free(names);
	free(namebuf);
	sqlite3_progress_handler(ro, 0, NULL, NULL);
	sqlite3_set_authorizer(ro, ro_auth, NULL);
	if (rc != KS_OK)
		log_info("store: admin SQL not run: %s", err);
	return rc;
}

static const char SQL_INTEGRITY[] = "PRAGMA integrity_check";
static const char SQL_FK_CHECK[] = "PRAGMA foreign_key_check";

int
ks_store_check(struct ks_store *s, struct ipc_tab_builder *tb)
{
	static const char *const icols[] = {"result"};
	static const char *const fcols[] = {"table", "rowid", "parent", "fkid"};
	sqlite3_stmt *st;
	bool healthy = true;
	int rc;

	st = ks_stmt(s, SQL_INTEGRITY);
	if (st == NULL)
		return KS_ERR;
	ipc_tab_begin(tb, "integrity_check", icols, 1);
	while ((rc = ks_stmt_step(s, st, "integrity check")) == 1) {
		const char *t = (const char *)sqlite3_column_text(st, 0);

		if (t == NULL || strcmp(t, "ok") != 0)
			healthy = false;
		ipc_tab_textz(tb, t != NULL ? t : "");
	}
	ks_stmt_done(s, st);
	if (rc < 0)
		return KS_ERR;

	st = ks_stmt(s, SQL_FK_CHECK);
	if (st == NULL)
		return KS_ERR;
	ipc_tab_begin(tb, "foreign_key_check", fcols, 4);
	while ((rc = ks_stmt_step(s, st, "foreign key check")) == 1) {
		healthy = false;
		ipc_tab_textz(tb, (const char *)sqlite3_column_text(st, 0));
		if (sqlite3_column_type(st, 1) == SQLITE_NULL)
			ipc_tab_null(tb);
		else
			ipc_tab_int(tb, sqlite3_column_int64(st, 1));
		ipc_tab_textz(tb, (const char *)sqlite3_column_text(st, 2));
		ipc_tab_int(tb, sqlite3_column_int64(st, 3));
	}
	ks_stmt_done(s, st);
	if (rc < 0)
		return KS_ERR;
	if (!healthy)
		log_warn("store: the database check found problems");
	return KS_OK;
}

/* fsync the directory holding path, so that a new file's entry is
 * durable. */
static void
sync_dir(const char *path)
{
	char *copy = strdup(path);
	int fd;

	if (copy == NULL)
		return;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(copy);
}

int
ks_store_backup(struct ks_store *s, const char *path)
{
	char err[256];
	sqlite3 *src, *dst = NULL;
	sqlite3_backup *b;
	int fd, rc = SQLITE_ERROR;

	/* A new file only, owner-only like the database. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	          0600);
	if (fd < 0) {
		int e = errno;

		log_err("store: backup to %s: %s%s", path, strerror(e),
		        e == EEXIST ? " (refusing to overwrite)" : "");
		return e == EEXIST ? KS_EXISTS : KS_ERR;
	}
	if (fchmod(fd, 0600) != 0) {
		log_err("store: backup: chmod %s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return KS_ERR;
	}
	close(fd);

	/* The read-only connection sees the last committed state, not the
	 * batch that may be open on the main connection. */
	src = ks_store_ro(s, err, sizeof(err));
	if (src != NULL &&
	    sqlite3_open_v2(path, &dst,
	                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
	                    NULL) == SQLITE_OK) {
		b = sqlite3_backup_init(dst, "main", src, "main");
		if (b != NULL) {
			rc = sqlite3_backup_step(b, -1);
			if (sqlite3_backup_finish(b) != SQLITE_OK &&
			    rc == SQLITE_DONE)
				rc = SQLITE_ERROR;
		}
		if (rc != SQLITE_DONE)
			log_err("store: backup to %s: %s", path,
			        sqlite3_errmsg(dst));
	}
	if (dst != NULL && sqlite3_close(dst) != SQLITE_OK)
		rc = SQLITE_ERROR;
	if (rc != SQLITE_DONE) {
		unlink(path);
		return KS_ERR;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	sync_dir(path);
	log_notice("store: database backed up to %s", path);
	return KS_OK;
}

static const char SQL_PAGE_COUNT[] = "PRAGMA page_count";
static const char SQL_PAGE_SIZE[] = "PRAGMA page_size";

static int
pragma_int(struct ks_store *s, const char *sql, int64_t *v)
{
	sqlite3_stmt *st = ks_stmt(s, sql);
	int rc;

	if (st == NULL)
		return KS_ERR;
	rc = ks_stmt_step(s, st, sql);
	if (rc == 1)
		*v = sqlite3_column_int64(st, 0);
	ks_stmt_done(s, st);
	return rc == 1 ? KS_OK : KS_ERR;
}

int
ks_store_stats(struct ks_store *s, int64_t *db_bytes)
{
	int64_t pages, size;

	if (pragma_int(s, SQL_PAGE_COUNT, &pages) != KS_OK ||
	    pragma_int(s, SQL_PAGE_SIZE, &size) != KS_OK)
		return KS_ERR;
	*db_bytes = pages * size;
	return KS_OK;
}
