/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_groups.c — groups, their current keying material and the previous
 * material kept for the grace period (docs/DESIGN.md §7).
 *
 * The Gid is computed here from the stored prefix and epoch: Gid = prefix ||
 * epoch, big-endian on gid_epoch_len bytes (the epoch wraps modulo
 * 2^(8*gid_epoch_len), Group OSCORE profile §6 "Gid reassignment"); the gid
 * column only serves the lookup by Gid.
 *
 * The Master Secret is sealed with AAD "kdc/groups/ms_sealed/<hex prefix>/
 * <num>" and, once moved by a rekey, "kdc/group_prev/ms_sealed/<hex
 * prefix>/<num>": the prefix is unique and fixed at creation, so the
 * identity is known before the row exists and never changes, and `num`
 * binds the value to its version.
 */
#include "store_int.h"

#include "clock.h"
#include "crypto.h"
#include "log.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GROUP_COLS                                                             \
	"id, name, description, active, created_at, hkdf, cred_fmt, "          \
	"group_mode, gp_enc_alg, sign_alg, sign_crv, pairwise_mode, alg, "     \
	"ecdh_alg, ecdh_crv, sid_max_len, gid_prefix, gid_epoch_len, "         \
	"key_lifetime, key_update_check_interval, expiration_delta, "          \
	"max_members, rekey_on_join, rekey_on_leave, rekey_after_restart, "    \
	"min_rekey_interval_ms, max_stale_sets, prev_grace, num, epoch, "      \
	"salt, "                                                               \
	"exp, rekeyed_at_ms, sid_next, sid_wrap, node_next, rekey_pending, "   \
	"rekeys_done"
#define GROUP_NCOLS 38

static const char SQL_BY_NAME[] =
        "SELECT " GROUP_COLS " FROM groups WHERE name = ?1";
static const char SQL_BY_ID[] =
        "SELECT " GROUP_COLS " FROM groups WHERE id = ?1";
static const char SQL_BY_GID[] =
        "SELECT " GROUP_COLS " FROM groups WHERE gid = ?1 ORDER BY id";
static const char SQL_LIST[] = "SELECT " GROUP_COLS " FROM groups ORDER BY id";
static const char SQL_MATERIAL[] =
        "SELECT " GROUP_COLS ", ms_sealed FROM groups WHERE id = ?1";
static const char SQL_INSERT[] =
        "INSERT INTO groups (name, description, active, created_at, hkdf, "
        "cred_fmt, group_mode, gp_enc_alg, sign_alg, sign_crv, "
        "pairwise_mode, alg, ecdh_alg, ecdh_crv, sid_max_len, gid_prefix, "
        "gid_epoch_len, key_lifetime, key_update_check_interval, "
        "expiration_delta, max_members, rekey_on_join, rekey_on_leave, "
        "rekey_after_restart, min_rekey_interval_ms, max_stale_sets, "
        "prev_grace, num, epoch, gid, ms_sealed, salt, exp, rekeyed_at_ms, "
        "sid_next, sid_wrap, node_next, rekey_pending, rekeys_done) VALUES "
        "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
        "?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, "
        "?29, ?30, ?31, ?32, ?33, ?34, ?35, ?36, ?37, ?38, ?39)";
/* ?2k: is field k in the mask, ?2k+1: its new value. */
static const char SQL_UPDATE_CONFIG[] =
        "UPDATE groups SET "
        "description = CASE WHEN ?2 THEN ?3 ELSE description END, "
        "active = CASE WHEN ?4 THEN ?5 ELSE active END, "
        "key_lifetime = CASE WHEN ?6 THEN ?7 ELSE key_lifetime END, "
        "key_update_check_interval = CASE WHEN ?8 THEN ?9 "
        "ELSE key_update_check_interval END, "
        "expiration_delta = CASE WHEN ?10 THEN ?11 ELSE expiration_delta END, "
        "max_members = CASE WHEN ?12 THEN ?13 ELSE max_members END, "
        "rekey_on_join = CASE WHEN ?14 THEN ?15 ELSE rekey_on_join END, "
        "rekey_on_leave = CASE WHEN ?16 THEN ?17 ELSE rekey_on_leave END, "
        "rekey_after_restart = CASE WHEN ?18 THEN ?19 "
        "ELSE rekey_after_restart END, "
        "min_rekey_interval_ms = CASE WHEN ?20 THEN ?21 "
        "ELSE min_rekey_interval_ms END, "
        "max_stale_sets = CASE WHEN ?22 THEN ?23 ELSE max_stale_sets END, "
        "prev_grace = CASE WHEN ?24 THEN ?25 ELSE prev_grace END "
        "WHERE id = ?1";
static const char SQL_DELETE[] = "DELETE FROM groups WHERE id = ?1";
static const char SQL_CURRENT[] =
        "SELECT gid_prefix, num, gid, ms_sealed, salt, exp, gid_epoch_len "
        "FROM groups WHERE id = ?1";
static const char SQL_PREV_INSERT[] =
        "INSERT OR REPLACE INTO group_prev (group_id, num, gid, ms_sealed, "
        "salt, exp, keep_until) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
static const char SQL_REKEY[] =
        "UPDATE groups SET num = ?2, epoch = ?3, gid = ?4, ms_sealed = ?5, "
        "salt = ?6, exp = ?7, rekeyed_at_ms = ?8, sid_next = ?9, "
        "sid_wrap = ?10, rekey_pending = 0, rekeys_done = rekeys_done + 1 "
        "WHERE id = ?1";
static const char SQL_COUNTERS[] =
        "UPDATE groups SET sid_next = ?2, sid_wrap = ?3, node_next = ?4, "
        "rekey_pending = ?5 WHERE id = ?1";
static const char SQL_PREV_EXPIRE[] =
        "DELETE FROM group_prev WHERE keep_until <= ?1";
static const char SQL_PREV_NEXT[] = "SELECT min(keep_until) FROM group_prev";

#define MS_MAX 32 /* sizeof(kdc_group_material.ms) */

/* Gid = prefix || epoch mod 2^(8 el), big-endian on el bytes. */
static void
make_gid(const uint8_t *prefix, size_t plen, uint64_t epoch, size_t el,
         uint8_t *gid, size_t *gid_len)
{
	memcpy(gid, prefix, plen);
	for (size_t i = 0; i < el; i++)
		gid[plen + i] = (uint8_t)(epoch >> (8 * (el - 1 - i)));
	*gid_len = plen + el;
}

static bool
gid_shape_ok(size_t plen, unsigned el)
{
	return plen <= 8 && el >= 1 && el <= 8 && plen + el <= KDC_GID_MAX;
}

static int
ms_aad(char aad[KS_AAD_MAX], const char *table, const uint8_t *prefix,
       size_t plen, uint64_t num)
{
	char id[2 * 8 + 1 + 21];

	ks_hex(id, prefix, plen);
	snprintf(id + 2 * plen, sizeof(id) - 2 * plen, "/%" PRIu64, num);
	return ks_aad(aad, table, "ms_sealed", id);
}

/* Row of GROUP_COLS into out. */
static int
read_group(sqlite3_stmt *st, struct ks_group *out)
{
	struct kdc_group_config *c = &out->cfg;
	int i = 0;

	memset(out, 0, sizeof(*out));
	out->id = sqlite3_column_int64(st, i++);
	if (ks_col_text(st, i++, c->name, sizeof(c->name)) != 0 ||
	    ks_col_text(st, i++, c->description, sizeof(c->description)) != 0)
		goto corrupt;
	c->active = sqlite3_column_int(st, i++) != 0;
	out->created_at = sqlite3_column_int64(st, i++);
	c->hkdf = sqlite3_column_int64(st, i++);
	c->cred_fmt = sqlite3_column_int64(st, i++);
	c->group_mode = sqlite3_column_int(st, i++) != 0;
	c->gp_enc_alg = sqlite3_column_int64(st, i++);
	c->sign_alg = sqlite3_column_int64(st, i++);
	c->sign_crv = sqlite3_column_int(st, i++);
	c->pairwise_mode = sqlite3_column_int(st, i++) != 0;
	c->alg = sqlite3_column_int64(st, i++);
	c->ecdh_alg = sqlite3_column_int64(st, i++);
	c->ecdh_crv = sqlite3_column_int(st, i++);
	c->sid_max_len = (uint8_t)sqlite3_column_int(st, i++);
	if (ks_col_blob(st, i++, out->gid_prefix, sizeof(out->gid_prefix),
	                &out->gid_prefix_len) != 0)
		goto corrupt;
	c->gid_prefix_len = (uint8_t)out->gid_prefix_len;
	c->gid_epoch_len = (uint8_t)sqlite3_column_int(st, i++);
	if (!gid_shape_ok(out->gid_prefix_len, c->gid_epoch_len))
		goto corrupt;
	c->key_lifetime = (uint32_t)sqlite3_column_int64(st, i++);
	c->key_update_check_interval = (uint32_t)sqlite3_column_int64(st, i++);
	c->expiration_delta = (uint32_t)sqlite3_column_int64(st, i++);
	c->max_members = (uint32_t)sqlite3_column_int64(st, i++);
	c->rekey_on_join = sqlite3_column_int(st, i++) != 0;
	c->rekey_on_leave = sqlite3_column_int(st, i++) != 0;
	c->rekey_after_restart = sqlite3_column_int(st, i++) != 0;
	c->min_rekey_interval_ms = (uint32_t)sqlite3_column_int64(st, i++);
	c->max_stale_sets = (uint32_t)sqlite3_column_int64(st, i++);
	c->prev_grace = (uint32_t)sqlite3_column_int64(st, i++);
	out->num = (uint64_t)sqlite3_column_int64(st, i++);
	out->epoch = (uint64_t)sqlite3_column_int64(st, i++);
	if (ks_col_blob(st, i++, out->salt, sizeof(out->salt),
	                &out->salt_len) != 0)
		goto corrupt;
	out->exp = sqlite3_column_int64(st, i++);
	out->rekeyed_at_ms = sqlite3_column_int64(st, i++);
	out->sid_next = (uint64_t)sqlite3_column_int64(st, i++);
	out->sid_wrap = sqlite3_column_int(st, i++) != 0;
	out->node_next = (uint64_t)sqlite3_column_int64(st, i++);
	out->rekey_pending = (uint32_t)sqlite3_column_int64(st, i++);
	out->rekeys_done = (uint64_t)sqlite3_column_int64(st, i++);
	make_gid(out->gid_prefix, out->gid_prefix_len, out->epoch,
	         c->gid_epoch_len, out->gid, &out->gid_len);
	return KS_OK;
corrupt:
	log_err("store: group %lld: a stored value is malformed",
	        (long long)out->id);
	return KS_ERR;
}

/* At most one row of a prepared group lookup. */
static int
group_lookup(struct ks_store *s, sqlite3_stmt *st, struct ks_group *out)
{
	int rc = ks_stmt_step(s, st, "group lookup");

	if (rc == 1)
		rc = read_group(st, out);
	else
		rc = rc == 0 ? KS_NOTFOUND : KS_ERR;
	ks_stmt_done(s, st);
	return rc;
}

static int
group_iter(struct ks_store *s, sqlite3_stmt *st,
           int (*cb)(void *arg, const struct ks_group *g), void *arg)
{
	struct ks_group g;
	int rc;

	while ((rc = ks_stmt_step(s, st, "list groups")) == 1) {
		if (read_group(st, &g) != KS_OK) {
			rc = KS_ERR;
			break;
		}
		if (cb(arg, &g) != 0)
			break;
	}
	ks_stmt_done(s, st);
	return rc < 0 ? KS_ERR : KS_OK;
}

int
ks_store_group_create(struct ks_store *s, struct ks_group *g, const uint8_t *ms,
                      size_t ms_len)
{
	const struct kdc_group_config *c = &g->cfg;
	char aad[KS_AAD_MAX];
	uint8_t *sealed = NULL;
	size_t sealed_len = 0;
	sqlite3_stmt *st;
	int rc = KS_ERR;

	if (!gid_shape_ok(g->gid_prefix_len, c->gid_epoch_len) || ms_len == 0 ||
	    ms_len > MS_MAX || g->salt_len > sizeof(g->salt)) {
		log_err("store: group %s: invalid Gid shape or material size",
		        c->name);
		return KS_ERR;
	}
	if (g->created_at == 0)
		g->created_at = kdc_now();
	make_gid(g->gid_prefix, g->gid_prefix_len, g->epoch, c->gid_epoch_len,
	         g->gid, &g->gid_len);
	if (ms_aad(aad, "groups", g->gid_prefix, g->gid_prefix_len, g->num) !=
	            0 ||
	    ks_seal(s, aad, ms, ms_len, &sealed, &sealed_len) != KS_OK)
		return KS_ERR;

	st = ks_stmt(s, SQL_INSERT);
	if (st != NULL &&
	    (ks_bind_text(st, 1, c->name) |
	     ks_bind_text(st, 2, c->description) |
	     sqlite3_bind_int(st, 3, c->active) |
	     sqlite3_bind_int64(st, 4, g->created_at) |
	     sqlite3_bind_int64(st, 5, c->hkdf) |
	     sqlite3_bind_int64(st, 6, c->cred_fmt) |
	     sqlite3_bind_int(st, 7, c->group_mode) |
	     sqlite3_bind_int64(st, 8, c->gp_enc_alg) |
	     sqlite3_bind_int64(st, 9, c->sign_alg) |
	     sqlite3_bind_int(st, 10, c->sign_crv) |
	     sqlite3_bind_int(st, 11, c->pairwise_mode) |
	     sqlite3_bind_int64(st, 12, c->alg) |
	     sqlite3_bind_int64(st, 13, c->ecdh_alg) |
	     sqlite3_bind_int(st, 14, c->ecdh_crv) |
	     sqlite3_bind_int(st, 15, c->sid_max_len) |
	     ks_bind_blob_nn(st, 16, g->gid_prefix, g->gid_prefix_len) |
	     sqlite3_bind_int(st, 17, c->gid_epoch_len) |
	     sqlite3_bind_int64(st, 18, c->key_lifetime) |
	     sqlite3_bind_int64(st, 19, c->key_update_check_interval) |
	     sqlite3_bind_int64(st, 20, c->expiration_delta) |
	     sqlite3_bind_int64(st, 21, c->max_members) |
	     sqlite3_bind_int(st, 22, c->rekey_on_join) |
	     sqlite3_bind_int(st, 23, c->rekey_on_leave) |
	     sqlite3_bind_int(st, 24, c->rekey_after_restart) |
	     sqlite3_bind_int64(st, 25, c->min_rekey_interval_ms) |
	     sqlite3_bind_int64(st, 26, c->max_stale_sets) |
	     sqlite3_bind_int64(st, 27, c->prev_grace) |
	     sqlite3_bind_int64(st, 28, (int64_t)g->num) |
	     sqlite3_bind_int64(st, 29, (int64_t)g->epoch) |
	     ks_bind_blob_nn(st, 30, g->gid, g->gid_len) |
	     ks_bind_blob_nn(st, 31, sealed, sealed_len) |
	     ks_bind_blob(st, 32, g->salt, g->salt_len) |
	     sqlite3_bind_int64(st, 33, g->exp) |
	     sqlite3_bind_int64(st, 34, g->rekeyed_at_ms) |
	     sqlite3_bind_int64(st, 35, (int64_t)g->sid_next) |
	     sqlite3_bind_int(st, 36, g->sid_wrap) |
	     sqlite3_bind_int64(st, 37, (int64_t)g->node_next) |
	     sqlite3_bind_int64(st, 38, g->rekey_pending) |
	     sqlite3_bind_int64(st, 39, (int64_t)g->rekeys_done)) == SQLITE_OK)
		rc = ks_stmt_exec(s, st, "create group");
	else
		ks_stmt_done(s, st);
	free(sealed);
	if (rc == KS_OK)
		g->id = sqlite3_last_insert_rowid(s->db);
	return rc;
}

int
ks_store_group_by_name(struct ks_store *s, const char *name,
                       struct ks_group *out)
{
	sqlite3_stmt *st = ks_stmt(s, SQL_BY_NAME);

	if (st == NULL || ks_bind_text(st, 1, name) != SQLITE_OK) {
		ks_stmt_done(s, st);
		return KS_ERR;
	}
	return group_lookup(s, st, out);
}

int
ks_store_group_by_id(struct ks_store *s, int64_t id, struct ks_group *out)
{
	sqlite3_stmt *st = ks_stmt(s, SQL_BY_ID);

	if (st == NULL || sqlite3_bind_int64(st, 1, id) != SQLITE_OK) {
		ks_stmt_done(s, st);
		return KS_ERR;
	}
	return group_lookup(s, st, out);
}

int
ks_store_group_by_gid(struct ks_store *s, const uint8_t *gid, size_t n,
                      int (*cb)(void *arg, const struct ks_group *g), void *arg)
{
	sqlite3_stmt *st = ks_stmt(s, SQL_BY_GID);

	if (st == NULL || ks_bind_blob_nn(st, 1, gid, n) != SQLITE_OK) {
		ks_stmt_done(s, st);
		return KS_ERR;
	}
	return group_iter(s, st, cb, arg);
}

int
ks_store_group_list(struct ks_store *s,
                    int (*cb)(void *arg, const struct ks_group *g), void *arg)
{
	sqlite3_stmt *st = ks_stmt(s, SQL_LIST);

	if (st == NULL)
		return KS_ERR;
	return group_iter(s, st, cb, arg);
}

int
ks_store_group_update_config(struct ks_store *s, int64_t id,
                             const struct kdc_group_config *c, uint32_t mask)
{
	sqlite3_stmt *st = ks_stmt(s, SQL_UPDATE_CONFIG);

#define F(bit) ((mask & (bit)) != 0)
	if (st == NULL ||
	    (sqlite3_bind_int64(st, 1, id) |
	     sqlite3_bind_int(st, 2, F(KDC_GF_DESCRIPTION)) |
	     ks_bind_text(st, 3, c->description) |
	     sqlite3_bind_int(st, 4, F(KDC_GF_ACTIVE)) |
	     sqlite3_bind_int(st, 5, c->active) |
	     sqlite3_bind_int(st, 6, F(KDC_GF_KEY_LIFETIME)) |
	     sqlite3_bind_int64(st, 7, c->key_lifetime) |
	     sqlite3_bind_int(st, 8, F(KDC_GF_KEY_UPDATE_CHECK)) |
	     sqlite3_bind_int64(st, 9, c->key_update_check_interval) |
	     sqlite3_bind_int(st, 10, F(KDC_GF_EXPIRATION_DELTA)) |
	     sqlite3_bind_int64(st, 11, c->expiration_delta) |
	     sqlite3_bind_int(st, 12, F(KDC_GF_MAX_MEMBERS)) |
	     sqlite3_bind_int64(st, 13, c->max_members) |
	     sqlite3_bind_int(st, 14, F(KDC_GF_REKEY_ON_JOIN)) |
	     sqlite3_bind_int(st, 15, c->rekey_on_join) |
	     sqlite3_bind_int(st, 16, F(KDC_GF_REKEY_ON_LEAVE)) |
	     sqlite3_bind_int(st, 17, c->rekey_on_leave) |
	     sqlite3_bind_int(st, 18, F(KDC_GF_REKEY_AFTER_RESTART)) |
	     sqlite3_bind_int(st, 19, c->rekey_after_restart) |
	     sqlite3_bind_int(st, 20, F(KDC_GF_MIN_REKEY_INTERVAL)) |
	     sqlite3_bind_int64(st, 21, c->min_rekey_interval_ms) |
	     sqlite3_bind_int(st, 22, F(KDC_GF_MAX_STALE_SETS)) |
	     sqlite3_bind_int64(st, 23, c->max_stale_sets) |
	     sqlite3_bind_int(st, 24, F(KDC_GF_PREV_GRACE)) |
	     sqlite3_bind_int64(st, 25, c->prev_grace)) != SQLITE_OK) {
		ks_stmt_done(s, st);
		return KS_ERR;
	}
#undef F
	return ks_stmt_exec1(s, st, "update group");
}

int
ks_store_group_delete(struct ks_store *s, int64_t id)
{
	sqlite3_stmt *st = ks_stmt(s, SQL_DELETE);

	/* Members, stale sets and previous material go by ON DELETE
	 * CASCADE. */
	if (st == NULL || sqlite3_bind_int64(st, 1, id) != SQLITE_OK) {
		ks_stmt_done(s, st);
		return KS_ERR;
	}
	return ks_stmt_exec1(s, st, "delete group");
}

int
ks_store_group_material(struct ks_store *s, const struct ks_group *g,
                        struct kdc_group_material *m)
{
	sqlite3_stmt *st = ks_stmt(s, SQL_MATERIAL);
	struct ks_group cur;
	char aad[KS_AAD_MAX];
	int rc;

	if (st == NULL || sqlite3_bind_int64(st, 1, g->id) != SQLITE_OK) {
		ks_stmt_done(s, st);
		return KS_ERR;
	}
	rc = ks_stmt_step(s, st, "group material");
	if (rc != 1) {
		ks_stmt_done(s, st);
		return rc == 0 ? KS_NOTFOUND : KS_ERR;
	}
	rc = read_group(st, &cur);
	memset(m, 0, sizeof(*m));
	if (rc == KS_OK)
		rc = ms_aad(aad, "groups", cur.gid_prefix, cur.gid_prefix_len,
		            cur.num) == 0
		             ? ks_unseal(s, aad,
		                         sqlite3_column_blob(st, GROUP_NCOLS),
		                         (size_t)sqlite3_column_bytes(
		                                 st, GROUP_NCOLS),
		                         m->ms, sizeof(m->ms), &m->ms_len)
		             : KS_ERR;
	ks_stmt_done(s, st);
	if (rc != KS_OK) {
		kdc_wipe(m, sizeof(*m));
		return KS_ERR;
	}
	snprintf(m->name, sizeof(m->name), "%s", cur.cfg.name);
	m->num = cur.num;
	m->exp = cur.exp;
	m->active = cur.cfg.active;
	memcpy(m->salt, cur.salt, cur.salt_len);
	m->salt_len = cur.salt_len;
	memcpy(m->gid, cur.gid, cur.gid_len);
	m->gid_len = cur.gid_len;
	m->hkdf = cur.cfg.hkdf;
	m->cred_fmt = cur.cfg.cred_fmt;
	m->group_mode = cur.cfg.group_mode;
	m->gp_enc_alg = cur.cfg.gp_enc_alg;
	m->sign_alg = cur.cfg.sign_alg;
	m->sign_crv = cur.cfg.sign_crv;
	m->pairwise_mode = cur.cfg.pairwise_mode;
	m->alg = cur.cfg.alg;
	m->ecdh_alg = cur.cfg.ecdh_alg;
	m->ecdh_crv = cur.cfg.ecdh_crv;
	m->key_update_check_interval = cur.cfg.key_update_check_interval;
	m->expiration_delta = cur.cfg.expiration_delta;
	return KS_OK;
}

/* Move the current material of group id to group_prev (re-sealed under
 * the group_prev AAD); the stored Gid prefix and epoch length go to
 * prefix/plen/el. */
static int
keep_previous(struct ks_store *s, int64_t id, int64_t keep_until,
              uint8_t prefix[8], size_t *plen, unsigned *el)
{
	sqlite3_stmt *st = ks_stmt(s, SQL_CURRENT), *ins;
	uint8_t ms[MS_MAX], *sealed = NULL;
	size_t ms_len = 0, sealed_len = 0;
	char aad[KS_AAD_MAX];
	uint64_t num;
	int rc;

	if (st == NULL || sqlite3_bind_int64(st, 1, id) != SQLITE_OK) {
		ks_stmt_done(s, st);
		return KS_ERR;
	}
	rc = ks_stmt_step(s, st, "current material");
	if (rc != 1) {
		ks_stmt_done(s, st);
		return rc == 0 ? KS_NOTFOUND : KS_ERR;
	}
	num = (uint64_t)sqlite3_column_int64(st, 1);
	*el = (unsigned)sqlite3_column_int(st, 6);
	rc = KS_ERR;
	if (ks_col_blob(st, 0, prefix, 8, plen) == 0 &&
	    gid_shape_ok(*plen, *el) &&
	    ms_aad(aad, "groups", prefix, *plen, num) == 0 &&
	    ks_unseal(s, aad, sqlite3_column_blob(st, 3),
	              (size_t)sqlite3_column_bytes(st, 3), ms, sizeof(ms),
	              &ms_len) == KS_OK &&
	    ms_aad(aad, "group_prev", prefix, *plen, num) == 0)
		rc = ks_seal(s, aad, ms, ms_len, &sealed, &sealed_len);
	kdc_wipe(ms, sizeof(ms));
	if (rc != KS_OK) {
		ks_stmt_done(s, st);
		return KS_ERR;
	}
	/* gid, salt and exp are bound straight from the running SELECT
	 * (sqlite3_bind_value copies). */
	ins = ks_stmt(s, SQL_PREV_INSERT);
	if (ins != NULL &&
	    (sqlite3_bind_int64(ins, 1, id) |
	     sqlite3_bind_int64(ins, 2, (int64_t)num) |
	     sqlite3_bind_value(ins, 3, sqlite3_column_value(st, 2)) |
	     ks_bind_blob_nn(ins, 4, sealed, sealed_len) |
	     sqlite3_bind_value(ins, 5, sqlite3_column_value(st, 4)) |
	     sqlite3_bind_value(ins, 6, sqlite3_column_value(st, 5)) |
	     sqlite3_bind_int64(ins, 7, keep_until)) == SQLITE_OK) {
		rc = ks_stmt_exec(s, ins, "keep previous material");
	} else {
		ks_stmt_done(s, ins);
		rc = KS_ERR;
	}
	ks_stmt_done(s, st);
	free(sealed);
	return rc == KS_OK ? KS_OK : KS_ERR;
}

int
ks_store_group_rekey(struct ks_store *s, const struct ks_group *g,
                     const uint8_t *ms, size_t ms_len, int64_t keep_until)
{
	uint8_t prefix[8], gid[KDC_GID_MAX], *sealed = NULL;
	size_t plen = 0, gid_len = 0, sealed_len = 0;
	char aad[KS_AAD_MAX];
	sqlite3_stmt *st;
	unsigned el = 0;
	int rc;

	if (ms_len == 0 || ms_len > MS_MAX || g->salt_len > sizeof(g->salt))
		return KS_ERR;
	if (ks_op_begin(s) != KS_OK)
		return KS_ERR;
	rc = keep_previous(s, g->id, keep_until, prefix, &plen, &el);
	/* The Gid from the stored prefix (fixed at creation) and g's new
	 * epoch. */
	if (rc == KS_OK) {
		make_gid(prefix, plen, g->epoch, el, gid, &gid_len);
		if (ms_aad(aad, "groups", prefix, plen, g->num) != 0 ||
		    ks_seal(s, aad, ms, ms_len, &sealed, &sealed_len) != KS_OK)
			rc = KS_ERR;
	}
	if (rc == KS_OK) {
		st = ks_stmt(s, SQL_REKEY);
		if (st != NULL &&
		    (sqlite3_bind_int64(st, 1, g->id) |
		     sqlite3_bind_int64(st, 2, (int64_t)g->num) |
		     sqlite3_bind_int64(st, 3, (int64_t)g->epoch) |
		     ks_bind_blob_nn(st, 4, gid, gid_len) |
		     ks_bind_blob_nn(st, 5, sealed, sealed_len) |
		     ks_bind_blob(st, 6, g->salt, g->salt_len) |
		     sqlite3_bind_int64(st, 7, g->exp) |
		     sqlite3_bind_int64(st, 8, g->rekeyed_at_ms) |
		     sqlite3_bind_int64(st, 9, (int64_t)g->sid_next) |
		     sqlite3_bind_int(st, 10, g->sid_wrap)) == SQLITE_OK) {
			rc = ks_stmt_exec1(s, st, "rekey group");
		} else {
			ks_stmt_done(s, st);
			rc = KS_ERR;
		}
	}
	free(sealed);
	return ks_op_end(s, rc);
}

int
ks_store_group_set_counters(struct ks_store *s, const struct ks_group *g)
{
	sqlite3_stmt *st = ks_stmt(s, SQL_COUNTERS);

	if (st == NULL ||
	    (sqlite3_bind_int64(st, 1, g->id) |
	     sqlite3_bind_int64(st, 2, (int64_t)g->sid_next) |
	     sqlite3_bind_int(st, 3, g->sid_wrap) |
	     sqlite3_bind_int64(st, 4, (int64_t)g->node_next) |
	     sqlite3_bind_int64(st, 5, g->rekey_pending)) != SQLITE_OK) {
		ks_stmt_done(s, st);
		return KS_ERR;
	}
	return ks_stmt_exec1(s, st, "group counters");
}

int
ks_store_group_prev_expire(struct ks_store *s, int64_t now, int64_t *n)
{
	sqlite3_stmt *st = ks_stmt(s, SQL_PREV_EXPIRE);
	int rc;

	if (st == NULL || sqlite3_bind_int64(st, 1, now) != SQLITE_OK) {
		ks_stmt_done(s, st);
		return KS_ERR;
	}
	rc = ks_stmt_exec(s, st, "expire previous material");
	if (rc == KS_OK && n != NULL)
		*n = sqlite3_changes(s->db);
	return rc;
}

int
ks_store_group_prev_next(struct ks_store *s, int64_t *keep_until)
{
	sqlite3_stmt *st = ks_stmt(s, SQL_PREV_NEXT);
	int rc;

	if (st == NULL)
		return KS_ERR;
	rc = ks_stmt_step(s, st, "previous material");
	if (rc == 1 && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		*keep_until = sqlite3_column_int64(st, 0);
		rc = KS_OK;
	} else {
		rc = rc == 1 ? KS_NOTFOUND : KS_ERR;
	}
	ks_stmt_done(s, st);
	return rc;
}
