/* SPDX-License-Identifier: Apache-2.0 */
/*
 * offline.c — `db backup` and `db check` without the keystore: the
 * database file named by the configuration is opened read-only (it is
 * never written), copied with the SQLite online backup API into a new file
 * (mode 0600, created exclusively, fsynced) or checked with PRAGMA
 * integrity_check and foreign_key_check.  The results have the tables the
 * keystore would send ("backup"; "integrity_check", "foreign_key_check").
 */
#include "admin_run.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int
open_ro(struct adm_ctx *x, sqlite3 **db, char *err, size_t errlen)
{
	int rc;

	*db = NULL;
	rc = sqlite3_open_v2(x->database, db, SQLITE_OPEN_READONLY, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", x->database,
		         *db != NULL ? sqlite3_errmsg(*db)
		                     : sqlite3_errstr(rc));
		sqlite3_close(*db);
		*db = NULL;
		return -1;
	}
	sqlite3_busy_timeout(*db, 5000);
	return 0;
}

/* ---- check ---- */

static void
cell_text(struct ipc_tab_builder *tb, sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	if (t == NULL)
		ipc_tab_null(tb);
	else
		ipc_tab_textz(tb, (const char *)t);
}

static int
check_into(sqlite3 *db, struct ipc_tab_builder *tb, char *err, size_t errlen)
{
	static const char *const icols[] = {"result"};
	static const char *const fcols[] = {"table", "rowid", "parent", "fkid"};
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) !=
	    SQLITE_OK)
		goto fail;
	ipc_tab_begin(tb, "integrity_check", icols, 1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		cell_text(tb, st, 0);
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_DONE)
		goto fail;
	if (sqlite3_prepare_v2(db, "PRAGMA foreign_key_check", -1, &st, NULL) !=
	    SQLITE_OK)
		goto fail;
	ipc_tab_begin(tb, "foreign_key_check", fcols, 4);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cell_text(tb, st, 0);
		if (sqlite3_column_type(st, 1) == SQLITE_NULL)
			ipc_tab_null(tb);
		else
			ipc_tab_int(tb, sqlite3_column_int64(st, 1));
		cell_text(tb, st, 2);
		ipc_tab_int(tb, sqlite3_column_int64(st, 3));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "check: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return -1;
}

int
adm_offline_check(struct adm_ctx *x)
{
	struct ipc_tab_builder tb;
	struct ipc_adm_result r;
	struct ipc_wbuf w;
	sqlite3 *db;
	char err[600];
	int rc;

	if (open_ro(x, &db, err, sizeof(err)) != 0)
		return adm_out_fail(&x->out, ADM_EXIT_INTERNAL, err);
	ipc_tab_init(&tb);
	rc = check_into(db, &tb, err, sizeof(err));
	sqlite3_close(db);
	if (rc != 0) {
		ipc_tab_free(&tb);
		return adm_out_fail(&x->out, ADM_EXIT_INTERNAL, err);
	}
	memset(&r, 0, sizeof(r));
	if (adm_local_result(&tb, IPC_ADM_OK, NULL, &w, &r) != 0) {
		ipc_tab_free(&tb);
		ipc_wbuf_free(&w);
		return adm_out_fail(&x->out, ADM_EXIT_INTERNAL,
		                    "cannot build the result");
	}
	if (!adm_check_healthy(&r)) {
		static const char msg[] = "the database check found problems";

		r.status = IPC_ADM_E_INTERNAL;
		r.error.p = (const uint8_t *)msg;
		r.error.n = sizeof(msg) - 1;
	}
	rc = adm_out_result(&x->out, &r);
	ipc_adm_result_free(&r);
	ipc_wbuf_free(&w);
	ipc_tab_free(&tb);
	return rc;
}

/* ---- backup ---- */

static int64_t
user_version(sqlite3 *db)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) !=
	    SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Size and SHA-256 of the finished copy, and fsync it. */
static int
seal_copy(const char *file, int64_t *bytes, uint8_t hash[32])
{
	crypto_hash_sha256_state h;
	uint8_t buf[65536];
	int fd = open(file, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return -1;
	*bytes = 0;
	crypto_hash_sha256_init(&h);
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -1;
			break;
		}
		if (n == 0)
			break;
		crypto_hash_sha256_update(&h, buf, (unsigned long long)n);
		*bytes += n;
	}
	crypto_hash_sha256_final(&h, hash);
	if (rc == 0 && fsync(fd) != 0)
		rc = -1;
	if (close(fd) != 0)
		rc = -1;
	return rc;
}

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

static int
copy_db(sqlite3 *src, const char *file, char *err, size_t errlen)
{
	sqlite3_backup *b;
	sqlite3 *dst = NULL;
	int rc;

	rc = sqlite3_open_v2(file, &dst, SQLITE_OPEN_READWRITE, NULL);
	if (rc == SQLITE_OK) {
		b = sqlite3_backup_init(dst, "main", src, "main");
		if (b == NULL) {
			rc = sqlite3_errcode(dst);
		} else {
			do {
				rc = sqlite3_backup_step(b, -1);
				if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
					sqlite3_sleep(50);
			} while (rc == SQLITE_OK || rc == SQLITE_BUSY ||
			         rc == SQLITE_LOCKED);
			if (sqlite3_backup_finish(b) != SQLITE_OK &&
			    rc == SQLITE_DONE)
				rc = sqlite3_errcode(dst);
		}
	}
	if (rc != SQLITE_DONE)
		snprintf(err, errlen, "backup into %s: %s", file,
		         dst != NULL ? sqlite3_errmsg(dst)
		                     : sqlite3_errstr(rc));
	if (sqlite3_close(dst) != SQLITE_OK && rc == SQLITE_DONE) {
		snprintf(err, errlen, "backup into %s: cannot close", file);
		rc = SQLITE_ERROR;
	}
	return rc == SQLITE_DONE ? 0 : -1;
}

int
adm_offline_backup(struct adm_ctx *x, const char *file)
{
	static const char *const cols[] = {"bytes", "sha256", "schema_version",
	                                   "created_at"};
	struct ipc_tab_builder tb;
	uint8_t hash[32];
	int64_t bytes = 0, version;
	sqlite3 *src;
	char err[600] = "";
	int fd;

	if (open_ro(x, &src, err, sizeof(err)) != 0)
		return adm_out_fail(&x->out, ADM_EXIT_INTERNAL, err);
	/* The file is ours alone from the start: exclusive, 0600. */
	fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	          0600);
	if (fd < 0) {
		int e = errno;

		snprintf(err, sizeof(err), "%s: %s", file, strerror(e));
		sqlite3_close(src);
		return adm_out_fail(
		        &x->out,
		        e == EEXIST ? ADM_EXIT_EXISTS : ADM_EXIT_INTERNAL, err);
	}
	fchmod(fd, 0600);
	close(fd);
	version = user_version(src);
	if (copy_db(src, file, err, sizeof(err)) != 0 ||
	    seal_copy(file, &bytes, hash) != 0) {
		if (err[0] == '\0' || strncmp(err, "backup", 6) != 0)
			snprintf(err, sizeof(err), "%s: %s", file,
			         strerror(errno));
		sqlite3_close(src);
		unlink(file);
		return adm_out_fail(&x->out, ADM_EXIT_INTERNAL, err);
	}
	sqlite3_close(src);
	sync_dir(file);
	ipc_tab_init(&tb);
	ipc_tab_begin(&tb, "backup", cols, 4);
	ipc_tab_int(&tb, bytes);
	ipc_tab_bytes(&tb, hash, sizeof(hash));
	if (version >= 0)
		ipc_tab_int(&tb, version);
	else
		ipc_tab_null(&tb);
	ipc_tab_int(&tb, (int64_t)time(NULL));
	return adm_print_local(x, &tb, IPC_ADM_OK, NULL);
}
