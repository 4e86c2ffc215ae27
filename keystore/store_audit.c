/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_audit.c — the append-only audit log (the schema's triggers refuse
 * UPDATE and DELETE).  Callers never put secrets in it.
 */
#include "store_int.h"

#include "clock.h"
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define AUDIT_COLS "id, at, actor, action, group_name, node, detail"

static const char SQL_INSERT[] =
        "INSERT INTO audit (at, actor, action, group_name, node, detail) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
/* With a group: the audit_group (group_name, id) index gives the rows in
 * order; without: a range of the rowid. */
static const char SQL_QUERY_GROUP[] =
        "SELECT " AUDIT_COLS " FROM audit WHERE group_name = ?2 AND id > ?1 "
        "AND (?3 IS NULL OR action = ?3) ORDER BY id LIMIT ?4";
static const char SQL_QUERY_ALL[] =
        "SELECT " AUDIT_COLS " FROM audit WHERE id > ?1 "
        "AND (?3 IS NULL OR action = ?3) ORDER BY id LIMIT ?4";

int
ks_store_audit(struct ks_store *s, const char *actor, const char *action,
               const char *group, const char *node, const char *fmt, ...)
{
	sqlite3_stmt *st;
	char *detail = NULL;
	va_list ap;
	int rc;

	if (fmt != NULL) {
		va_start(ap, fmt);
		if (vasprintf(&detail, fmt, ap) < 0)
			detail = NULL;
		va_end(ap);
		if (detail == NULL) {
			log_err("store: out of memory");
			return KS_ERR;
		}
	}
	st = ks_stmt(s, SQL_INSERT);
	if (st == NULL ||
	    (sqlite3_bind_int64(st, 1, kdc_now()) |
	     ks_bind_text(st, 2, actor != NULL ? actor : "keystore") |
	     ks_bind_text(st, 3, action != NULL ? action : "") |
	     ks_bind_text_opt(st, 4, group) | ks_bind_text_opt(st, 5, node) |
	     ks_bind_text(st, 6, detail)) != SQLITE_OK) {
		ks_stmt_done(s, st);
		free(detail);
		return KS_ERR;
	}
	/* Bindings are SQLITE_STATIC: free only after the statement ran. */
	rc = ks_stmt_exec(s, st, "append to the audit log");
	free(detail);
	return rc == KS_OK ? KS_OK : KS_ERR;
}

int
ks_store_audit_query(struct ks_store *s, int64_t since_id, const char *group,
                     const char *action, uint32_t limit,
                     int (*cb)(void *arg, const struct ks_audit_row *r),
                     void *arg)
{
	bool by_group = group != NULL && group[0] != '\0';
	sqlite3_stmt *st =
	        ks_stmt(s, by_group ? SQL_QUERY_GROUP : SQL_QUERY_ALL);
	struct ks_audit_row r;
	int rc;

	if (st == NULL ||
	    (sqlite3_bind_int64(st, 1, since_id) |
	     (by_group ? ks_bind_text(st, 2, group) : SQLITE_OK) |
	     ks_bind_text_opt(st, 3, action) |
	     /* 0: no limit (a negative LIMIT) */
	     sqlite3_bind_int64(st, 4, limit == 0 ? -1 : (int64_t)limit)) !=
	            SQLITE_OK) {
		ks_stmt_done(s, st);
		return KS_ERR;
	}
	while ((rc = ks_stmt_step(s, st, "query the audit log")) == 1) {
		r.id = sqlite3_column_int64(st, 0);
		r.at = sqlite3_column_int64(st, 1);
		r.actor = (const char *)sqlite3_column_text(st, 2);
		r.action = (const char *)sqlite3_column_text(st, 3);
		r.group = (const char *)sqlite3_column_text(st, 4);
		r.node = (const char *)sqlite3_column_text(st, 5);
		r.detail = (const char *)sqlite3_column_text(st, 6);
		if (cb(arg, &r) != 0)
			break;
	}
	ks_stmt_done(s, st);
	return rc < 0 ? KS_ERR : KS_OK;
}
