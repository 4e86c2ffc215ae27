/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_stale.c — stale Sender ID sets, one per keying-material version
 * (Group OSCORE profile §7.1).  Lookups are primary-key probes of
 * stale_sids (group_id, version, sid); deleting a set removes its Sender
 * IDs by ON DELETE CASCADE.
 */
#include "store_int.h"

#include "log.h"

static const char SQL_CREATE_SET[] =
        "INSERT OR IGNORE INTO stale_sets (group_id, version) VALUES (?1, ?2)";
static const char SQL_ADD[] = "INSERT OR IGNORE INTO stale_sids (group_id, "
                              "version, sid) VALUES (?1, ?2, ?3)";
static const char SQL_CONTAINS[] = "SELECT 1 FROM stale_sids WHERE group_id = "
                                   "?1 AND version = ?2 AND sid = ?3";
static const char SQL_COUNT_SETS[] =
        "SELECT count(*) FROM stale_sets WHERE group_id = ?1";
/* Everything but the `keep` newest versions. */
static const char SQL_TRIM[] =
        "DELETE FROM stale_sets WHERE group_id = ?1 AND version NOT IN "
        "(SELECT version FROM stale_sets WHERE group_id = ?1 "
        "ORDER BY version DESC LIMIT ?2)";
static const char SQL_LIST[] = "SELECT sid FROM stale_sids WHERE group_id = "
                               "?1 AND version = ?2 ORDER BY sid";
static const char SQL_UNION[] =
        "SELECT DISTINCT sid FROM stale_sids WHERE group_id = ?1 AND "
        "version >= ?2 ORDER BY sid";

static int
set_stmt(struct ks_store *s, const char *sql, int64_t group_id,
         uint64_t version, sqlite3_stmt **out)
{
	sqlite3_stmt *st = ks_stmt(s, sql);

	*out = st;
	if (st == NULL ||
	    (sqlite3_bind_int64(st, 1, group_id) |
	     sqlite3_bind_int64(st, 2, (int64_t)version)) != SQLITE_OK) {
		ks_stmt_done(s, st);
		return KS_ERR;
	}
	return KS_OK;
}

/* Idempotent: creating an existing set is not an error. */
int
ks_store_stale_create_set(struct ks_store *s, int64_t group_id,
                          uint64_t version)
{
	sqlite3_stmt *st;

	if (set_stmt(s, SQL_CREATE_SET, group_id, version, &st) != KS_OK)
		return KS_ERR;
	return ks_stmt_exec(s, st, "create stale set");
}

/* The set is created if it does not exist yet; adding a Sender ID twice is
 * not an error. */
int
ks_store_stale_add(struct ks_store *s, int64_t group_id, uint64_t version,
                   const uint8_t *sid, size_t n)
{
	sqlite3_stmt *st;

	if (n > KDC_SID_MAX)
		return KS_ERR;
	if (ks_store_stale_create_set(s, group_id, version) != KS_OK ||
	    set_stmt(s, SQL_ADD, group_id, version, &st) != KS_OK)
		return KS_ERR;
	if (ks_bind_blob_nn(st, 3, sid, n) != SQLITE_OK) {
		ks_stmt_done(s, st);
		return KS_ERR;
	}
	return ks_stmt_exec(s, st, "add stale Sender ID");
}

int
ks_store_stale_contains(struct ks_store *s, int64_t group_id, uint64_t version,
                        const uint8_t *sid, size_t n)
{
	sqlite3_stmt *st;
	int rc;

	if (set_stmt(s, SQL_CONTAINS, group_id, version, &st) != KS_OK)
		return KS_ERR;
	if (ks_bind_blob_nn(st, 3, sid, n) != SQLITE_OK) {
		ks_stmt_done(s, st);
		return KS_ERR;
	}
	rc = ks_stmt_step(s, st, "stale Sender ID check");
	ks_stmt_done(s, st);
	return rc == 1 ? 1 : rc == 0 ? 0 : KS_ERR;
}

int
ks_store_stale_count_sets(struct ks_store *s, int64_t group_id, int64_t *n)
{
	sqlite3_stmt *st = ks_stmt(s, SQL_COUNT_SETS);
	int rc;

	if (st == NULL || sqlite3_bind_int64(st, 1, group_id) != SQLITE_OK) {
		ks_stmt_done(s, st);
		return KS_ERR;
	}
	rc = ks_stmt_step(s, st, "count stale sets");
	if (rc == 1)
		*n = sqlite3_column_int64(st, 0);
	ks_stmt_done(s, st);
	return rc == 1 ? KS_OK : KS_ERR;
}

int
ks_store_stale_trim(struct ks_store *s, int64_t group_id, int64_t keep)
{
	sqlite3_stmt *st = ks_stmt(s, SQL_TRIM);

	/* A negative LIMIT means "no limit" to SQLite: keep none instead. */
	if (keep < 0)
		keep = 0;
	if (st == NULL || (sqlite3_bind_int64(st, 1, group_id) |
	                   sqlite3_bind_int64(st, 2, keep)) != SQLITE_OK) {
		ks_stmt_done(s, st);
		return KS_ERR;
	}
	return ks_stmt_exec(s, st, "trim stale sets");
}

static int
sid_iter(struct ks_store *s, sqlite3_stmt *st,
         int (*cb)(void *arg, const uint8_t *sid, size_t n), void *arg)
{
	int rc;

	while ((rc = ks_stmt_step(s, st, "list stale Sender IDs")) == 1) {
		const uint8_t *p = sqlite3_column_blob(st, 0);
		int n = sqlite3_column_bytes(st, 0);
		static const uint8_t empty[1];

		if (cb(arg, p != NULL ? p : empty, (size_t)n) != 0)
			break;
	}
	ks_stmt_done(s, st);
	return rc < 0 ? KS_ERR : KS_OK;
}

int
ks_store_stale_list(struct ks_store *s, int64_t group_id, uint64_t version,
                    int (*cb)(void *arg, const uint8_t *sid, size_t n),
                    void *arg)
{
	sqlite3_stmt *st;

	if (set_stmt(s, SQL_LIST, group_id, version, &st) != KS_OK)
		return KS_ERR;
	return sid_iter(s, st, cb, arg);
}

int
ks_store_stale_union(struct ks_store *s, int64_t group_id, uint64_t min_version,
                     int (*cb)(void *arg, const uint8_t *sid, size_t n),
                     void *arg)
{
	sqlite3_stmt *st;

	if (set_stmt(s, SQL_UNION, group_id, min_version, &st) != KS_OK)
		return KS_ERR;
	return sid_iter(s, st, cb, arg);
}
