/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_members.c — group members (RFC 9594 §2 state).  Every lookup of
 * the join path is one index probe, whatever the size of the group:
 * (group_id, node) and (group_id, token_id) are UNIQUE constraints,
 * (group_id, sid) is the partial unique index members_sid, token_id has
 * members_token and (group_id, birth_gid) members_birth_gid.  The member
 * count of a group is kept in groups.member_count by triggers, so that the
 * max_members check does not count 10^6 rows.
 */
#include "store_int.h"

#include "log.h"

#include <stdlib.h>
#include <string.h>

#define MEMBER_COLS                                                            \
	"id, group_id, node, token_id, perm, sid, cred, cred_pop, cnonce, "    \
	"join_scope, control_uri, birth_gid, joined_at, updated_at"

static const char SQL_INSERT[] =
        "INSERT INTO members (group_id, node, token_id, perm, sid, cred, "
        "cred_pop, cnonce, join_scope, control_uri, birth_gid, joined_at, "
        "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
        "?12, ?13)";
/* Same parameter numbers as SQL_INSERT; group_id (?1) does not change. */
static const char SQL_UPDATE[] =
        "UPDATE members SET node = ?2, token_id = ?3, perm = ?4, sid = ?5, "
        "cred = ?6, cred_pop = ?7, cnonce = ?8, join_scope = ?9, "
        "control_uri = ?10, birth_gid = ?11, joined_at = ?12, "
        "updated_at = ?13 WHERE id = ?14";
static const char SQL_DELETE[] = "DELETE FROM members WHERE id = ?1";
static const char SQL_BY_ID[] =
        "SELECT " MEMBER_COLS " FROM members WHERE id = ?1";
static const char SQL_BY_NODE[] =
        "SELECT " MEMBER_COLS " FROM members WHERE group_id = ?1 AND "
        "node = ?2";
static const char SQL_BY_TOKEN[] =
        "SELECT " MEMBER_COLS " FROM members WHERE group_id = ?1 AND "
        "token_id = ?2";
static const char SQL_BY_SID[] =
        "SELECT " MEMBER_COLS " FROM members WHERE group_id = ?1 AND "
        "sid = ?2";
static const char SQL_SID_TAKEN[] =
        "SELECT 1 FROM members WHERE group_id = ?1 AND sid = ?2";
static const char SQL_COUNT[] = "SELECT member_count FROM groups WHERE id = ?1";
static const char SQL_TOTAL[] =
        "SELECT coalesce(sum(member_count), 0) FROM groups";
/* Listings follow the (group_id, node) index: no sort of the group. */
static const char SQL_LIST[] =
        "SELECT " MEMBER_COLS " FROM members WHERE group_id = ?1 "
        "ORDER BY node";
static const char SQL_WITH_URI[] =
        "SELECT " MEMBER_COLS " FROM members WHERE group_id = ?1 AND "
        "control_uri IS NOT NULL ORDER BY node";
static const char SQL_BY_TOKEN_ALL[] =
        "SELECT " MEMBER_COLS " FROM members WHERE token_id = ?1 "
        "ORDER BY id";
static const char SQL_BY_BIRTH_GID[] =
        "SELECT " MEMBER_COLS " FROM members WHERE group_id = ?1 AND "
        "birth_gid = ?2 ORDER BY id";
static const char SQL_SET_BIRTH_GID[] =
        "UPDATE members SET birth_gid = ?2 WHERE id = ?1";

static int
read_member(sqlite3_stmt *st, struct ks_member *m)
{
	memset(m, 0, sizeof(*m));
	m->id = sqlite3_column_int64(st, 0);
	m->group_id = sqlite3_column_int64(st, 1);
	if (ks_col_text(st, 2, m->node, sizeof(m->node)) != 0)
		goto corrupt;
	m->token_id = sqlite3_column_int64(st, 3);
	m->perm = (uint64_t)sqlite3_column_int64(st, 4);
	m->has_sid = sqlite3_column_type(st, 5) != SQLITE_NULL;
	if (ks_col_blob(st, 5, m->sid, sizeof(m->sid), &m->sid_len) != 0 ||
	    ks_col_blob(st, 6, m->cred, sizeof(m->cred), &m->cred_len) != 0)
		goto corrupt;
	m->cred_pop = sqlite3_column_int(st, 7) != 0;
	if (ks_col_blob(st, 8, m->cnonce, sizeof(m->cnonce), &m->cnonce_len) !=
	            0 ||
	    ks_col_blob(st, 9, m->join_scope, sizeof(m->join_scope),
	                &m->join_scope_len) != 0 ||
	    ks_col_text(st, 10, m->control_uri, sizeof(m->control_uri)) != 0 ||
	    ks_col_blob(st, 11, m->birth_gid, sizeof(m->birth_gid),
	                &m->birth_gid_len) != 0)
		goto corrupt;
	m->joined_at = sqlite3_column_int64(st, 12);
	m->updated_at = sqlite3_column_int64(st, 13);
	return KS_OK;
corrupt:
	log_err("store: member %lld: a stored value is malformed",
	        (long long)m->id);
	return KS_ERR;
}

static bool
member_ok(const struct ks_member *m)
{
	return m->sid_len <= sizeof(m->sid) && m->cred_len <= sizeof(m->cred) &&
	       m->cnonce_len <= sizeof(m->cnonce) &&
	       m->join_scope_len <= sizeof(m->join_scope) &&
	       m->birth_gid_len <= sizeof(m->birth_gid) &&
	       memchr(m->node, '\0', sizeof(m->node)) != NULL &&
	       memchr(m->control_uri, '\0', sizeof(m->control_uri)) != NULL;
}

static int
bind_member(sqlite3_stmt *st, const struct ks_member *m)
{
	return sqlite3_bind_int64(st, 1, m->group_id) |
	       ks_bind_text(st, 2, m->node) |
	       sqlite3_bind_int64(st, 3, m->token_id) |
	       sqlite3_bind_int64(st, 4, (int64_t)m->perm) |
	       (m->has_sid ? ks_bind_blob_nn(st, 5, m->sid, m->sid_len)
	                   : sqlite3_bind_null(st, 5)) |
	       ks_bind_blob(st, 6, m->cred, m->cred_len) |
	       sqlite3_bind_int(st, 7, m->cred_pop) |
	       ks_bind_blob(st, 8, m->cnonce, m->cnonce_len) |
	       ks_bind_blob(st, 9, m->join_scope, m->join_scope_len) |
	       ks_bind_text_opt(st, 10, m->control_uri) |
	       ks_bind_blob_nn(st, 11, m->birth_gid, m->birth_gid_len) |
	       sqlite3_bind_int64(st, 12, m->joined_at) |
	       sqlite3_bind_int64(st, 13, m->updated_at);
}

int
ks_store_member_add(struct ks_store *s, struct ks_member *m)
{
	sqlite3_stmt *st;
	int rc;

	if (!member_ok(m))
		return KS_ERR;
	st = ks_stmt(s, SQL_INSERT);
	if (st == NULL || bind_member(st, m) != SQLITE_OK) {
		ks_stmt_done(s, st);
		return KS_ERR;
	}
	rc = ks_stmt_exec(s, st, "add member");
	if (rc == KS_OK)
		m->id = sqlite3_last_insert_rowid(s->db);
	return rc;
}

int
ks_store_member_update(struct ks_store *s, const struct ks_member *m)
{
	sqlite3_stmt *st;

	if (!member_ok(m))
		return KS_ERR;
	st = ks_stmt(s, SQL_UPDATE);
	if (st == NULL || (bind_member(st, m) |
	                   sqlite3_bind_int64(st, 14, m->id)) != SQLITE_OK) {
		ks_stmt_done(s, st);
		return KS_ERR;
	}
	return ks_stmt_exec1(s, st, "update member");
}

int
ks_store_member_remove(struct ks_store *s, int64_t id)
{
	sqlite3_stmt *st = ks_stmt(s, SQL_DELETE);

	if (st == NULL || sqlite3_bind_int64(st, 1, id) != SQLITE_OK) {
		ks_stmt_done(s, st);
		return KS_ERR;
	}
	return ks_stmt_exec1(s, st, "remove member");
}

/* At most one row of a prepared lookup. */
static int
member_lookup(struct ks_store *s, sqlite3_stmt *st, struct ks_member *out)
{
	int rc = ks_stmt_step(s, st, "member lookup");

	if (rc == 1)
		rc = read_member(st, out);
	else
		rc = rc == 0 ? KS_NOTFOUND : KS_ERR;
	ks_stmt_done(s, st);
	return rc;
}

static int
member_iter(struct ks_store *s, sqlite3_stmt *st,
            int (*cb)(void *arg, const struct ks_member *m), void *arg)
{
	/* ~1.5 KiB: on the heap, callbacks may recurse into the store. */
	struct ks_member *m = malloc(sizeof(*m));
	int rc = KS_ERR;

	if (m == NULL) {
		ks_stmt_done(s, st);
		return KS_ERR;
	}
	while ((rc = ks_stmt_step(s, st, "list members")) == 1) {
		if (read_member(st, m) != KS_OK) {
			rc = KS_ERR;
			break;
		}
		if (cb(arg, m) != 0)
			break;
	}
	ks_stmt_done(s, st);
	free(m);
	return rc < 0 ? KS_ERR : KS_OK;
}

int
ks_store_member_by_id(struct ks_store *s, int64_t id, struct ks_member *out)
{
	sqlite3_stmt *st = ks_stmt(s, SQL_BY_ID);

	if (st == NULL || sqlite3_bind_int64(st, 1, id) != SQLITE_OK) {
		ks_stmt_done(s, st);
		return KS_ERR;
	}
	return member_lookup(s, st, out);
}

int
ks_store_member_by_node(struct ks_store *s, int64_t group_id, const char *node,
                        struct ks_member *out)
{
	sqlite3_stmt *st = ks_stmt(s, SQL_BY_NODE);

	if (st == NULL || (sqlite3_bind_int64(st, 1, group_id) |
	                   ks_bind_text(st, 2, node)) != SQLITE_OK) {
		ks_stmt_done(s, st);
		return KS_ERR;
	}
	return member_lookup(s, st, out);
}

int
ks_store_member_by_token(struct ks_store *s, int64_t group_id, int64_t token_id,
                         struct ks_member *out)
{
	sqlite3_stmt *st = ks_stmt(s, SQL_BY_TOKEN);

	if (st == NULL || (sqlite3_bind_int64(st, 1, group_id) |
	                   sqlite3_bind_int64(st, 2, token_id)) != SQLITE_OK) {
		ks_stmt_done(s, st);
		return KS_ERR;
	}
	return member_lookup(s, st, out);
}

int
ks_store_member_by_sid(struct ks_store *s, int64_t group_id, const uint8_t *sid,
                       size_t n, struct ks_member *out)
{
	sqlite3_stmt *st = ks_stmt(s, SQL_BY_SID);

	if (st == NULL || (sqlite3_bind_int64(st, 1, group_id) |
	                   ks_bind_blob_nn(st, 2, sid, n)) != SQLITE_OK) {
		ks_stmt_done(s, st);
		return KS_ERR;
	}
	return member_lookup(s, st, out);
}

int
ks_store_member_sid_taken(struct ks_store *s, int64_t group_id,
                          const uint8_t *sid, size_t n)
{
	sqlite3_stmt *st = ks_stmt(s, SQL_SID_TAKEN);
	int rc;

	if (st == NULL || (sqlite3_bind_int64(st, 1, group_id) |
	                   ks_bind_blob_nn(st, 2, sid, n)) != SQLITE_OK) {
		ks_stmt_done(s, st);
		return KS_ERR;
	}
	rc = ks_stmt_step(s, st, "Sender ID check");
	ks_stmt_done(s, st);
	return rc == 1 ? 1 : rc == 0 ? 0 : KS_ERR;
}

static int
count_query(struct ks_store *s, const char *sql, bool by_group,
            int64_t group_id, int64_t *n)
{
	sqlite3_stmt *st = ks_stmt(s, sql);
	int rc;

	if (st == NULL ||
	    (by_group && sqlite3_bind_int64(st, 1, group_id) != SQLITE_OK)) {
		ks_stmt_done(s, st);
		return KS_ERR;
	}
	rc = ks_stmt_step(s, st, "count members");
	if (rc == 1)
		*n = sqlite3_column_int64(st, 0);
	ks_stmt_done(s, st);
	return rc == 1 ? KS_OK : rc == 0 ? KS_NOTFOUND : KS_ERR;
}

int
ks_store_member_count(struct ks_store *s, int64_t group_id, int64_t *n)
{
	return count_query(s, SQL_COUNT, true, group_id, n);
}

int
ks_store_member_total(struct ks_store *s, int64_t *n)
{
	return count_query(s, SQL_TOTAL, false, 0, n);
}

int
ks_store_member_list(struct ks_store *s, int64_t group_id,
                     int (*cb)(void *arg, const struct ks_member *m), void *arg)
{
	sqlite3_stmt *st = ks_stmt(s, SQL_LIST);

	if (st == NULL || sqlite3_bind_int64(st, 1, group_id) != SQLITE_OK) {
		ks_stmt_done(s, st);
		return KS_ERR;
	}
	return member_iter(s, st, cb, arg);
}

int
ks_store_member_by_token_all(struct ks_store *s, int64_t token_id,
                             int (*cb)(void *arg, const struct ks_member *m),
                             void *arg)
{
	sqlite3_stmt *st = ks_stmt(s, SQL_BY_TOKEN_ALL);

	if (st == NULL || sqlite3_bind_int64(st, 1, token_id) != SQLITE_OK) {
		ks_stmt_done(s, st);
		return KS_ERR;
	}
	return member_iter(s, st, cb, arg);
}

int
ks_store_member_by_birth_gid(struct ks_store *s, int64_t group_id,
                             const uint8_t *gid, size_t n,
                             int (*cb)(void *arg, const struct ks_member *m),
                             void *arg)
{
	sqlite3_stmt *st = ks_stmt(s, SQL_BY_BIRTH_GID);

	if (st == NULL || (sqlite3_bind_int64(st, 1, group_id) |
	                   ks_bind_blob_nn(st, 2, gid, n)) != SQLITE_OK) {
		ks_stmt_done(s, st);
		return KS_ERR;
	}
	return member_iter(s, st, cb, arg);
}

int
ks_store_member_with_control_uri(struct ks_store *s, int64_t group_id,
                                 int (*cb)(void *arg,
                                           const struct ks_member *m),
                                 void *arg)
{
	sqlite3_stmt *st = ks_stmt(s, SQL_WITH_URI);

	if (st == NULL || sqlite3_bind_int64(st, 1, group_id) != SQLITE_OK) {
		ks_stmt_done(s, st);
		return KS_ERR;
	}
	return member_iter(s, st, cb, arg);
}

int
ks_store_member_set_birth_gid(struct ks_store *s, int64_t member_id,
                              const uint8_t *gid, size_t n)
{
	sqlite3_stmt *st;

	if (n > KDC_GID_MAX)
		return KS_ERR;
	st = ks_stmt(s, SQL_SET_BIRTH_GID);
	if (st == NULL || (sqlite3_bind_int64(st, 1, member_id) |
	                   ks_bind_blob_nn(st, 2, gid, n)) != SQLITE_OK) {
		ks_stmt_done(s, st);
		return KS_ERR;
	}
	return ks_stmt_exec1(s, st, "set Birth Gid");
}
