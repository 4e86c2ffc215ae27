/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_rekek.c — re-sealing every secret of the database under a new
 * key-encryption key (kdc-keystore --rekey-kek, docs/OPERATIONS.md).
 *
 * One transaction: each sealed value is opened with the current KEK and
 * sealed again with the new one under the same AAD (store_int.h lists the
 * AADs, rebuilt here in SQL from the same row identities); before COMMIT
 * every value is opened once more with the new KEK.  Anything that fails —
 * a value the current KEK does not open, a sealed column this file does
 * not know (added by a later migration without updating the table below)
 * — rolls everything back, so the database is wholly under one KEK.
 */
#include "store_int.h"

#include "crypto.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

/* Largest sealed plaintext (COSE keys with private parts, Master Secrets,
 * key-derivation keys are all far smaller). */
#define PT_MAX 8192

/*
 * One sealed column.  keys lists the rows holding a value (k1, k2); get
 * returns (aad, value) of the row ?1 (, ?2); set stores ?3 there.  Tables
 * keyed by one integer leave ?2 out.
 */
struct sealed_col {
	const char *table;
	const char *column;
	const char *keys;
	const char *get;
	const char *set;
};

static const struct sealed_col cols[] = {
        {"as_trust", "key_sealed",
         "SELECT id, 0 FROM as_trust WHERE length(key_sealed) > 0",
         "SELECT 'kdc/as_trust/key_sealed/' || lower(hex(name)), key_sealed "
         "FROM as_trust WHERE id = ?1",
         "UPDATE as_trust SET key_sealed = ?3 WHERE id = ?1"},
        {"as_trust", "psk_kdk_sealed",
         "SELECT id, 0 FROM as_trust WHERE length(psk_kdk_sealed) > 0",
         "SELECT 'kdc/as_trust/psk_kdk_sealed/' || lower(hex(name)), "
         "psk_kdk_sealed FROM as_trust WHERE id = ?1",
         "UPDATE as_trust SET psk_kdk_sealed = ?3 WHERE id = ?1"},
        {"tokens", "pop_key_sealed",
         "SELECT id, 0 FROM tokens WHERE length(pop_key_sealed) > 0",
         "SELECT 'kdc/tokens/pop_key_sealed/' || lower(hex(handle)), "
         "pop_key_sealed FROM tokens WHERE id = ?1",
         "UPDATE tokens SET pop_key_sealed = ?3 WHERE id = ?1"},
        {"groups", "ms_sealed",
         "SELECT id, 0 FROM groups WHERE length(ms_sealed) > 0",
         "SELECT 'kdc/groups/ms_sealed/' || lower(hex(gid_prefix)) || '/' "
         "|| num, ms_sealed FROM groups WHERE id = ?1",
         "UPDATE groups SET ms_sealed = ?3 WHERE id = ?1"},
        {"group_prev", "ms_sealed",
         "SELECT group_id, num FROM group_prev WHERE length(ms_sealed) > 0",
         "SELECT 'kdc/group_prev/ms_sealed/' || lower(hex(g.gid_prefix)) || "
         "'/' || p.num, p.ms_sealed FROM group_prev AS p JOIN groups AS g "
         "ON g.id = p.group_id WHERE p.group_id = ?1 AND p.num = ?2",
         "UPDATE group_prev SET ms_sealed = ?3 WHERE group_id = ?1 AND "
         "num = ?2"},
        {"kdc_keys", "priv_sealed",
         "SELECT id, 0 FROM kdc_keys WHERE length(priv_sealed) > 0",
         "SELECT 'kdc/kdc_keys/priv_sealed/' || id, priv_sealed FROM "
         "kdc_keys WHERE id = ?1",
         "UPDATE kdc_keys SET priv_sealed = ?3 WHERE id = ?1"},
};

#define NCOLS (sizeof(cols) / sizeof(cols[0]))

static const char SQL_SEALED_COLUMNS[] =
        "SELECT m.name, p.name FROM sqlite_schema AS m "
        "JOIN pragma_table_info(m.name) AS p "
        "WHERE m.type = 'table' AND p.name LIKE '%\\_sealed' ESCAPE '\\' "
        "ORDER BY m.name, p.name";

/* Every *_sealed column of the schema is in cols[]: a column added by a
 * migration and forgotten here would otherwise stay under the old KEK. */
static int
all_columns_known(struct ks_store *s)
{
	sqlite3_stmt *st = ks_stmt(s, SQL_SEALED_COLUMNS);
	int rc, found = 0, bad = 0;

	if (st == NULL)
		return KS_ERR;
	while ((rc = ks_stmt_step(s, st, "list sealed columns")) == 1) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		const char *c = (const char *)sqlite3_column_text(st, 1);
		bool known = false;

		for (size_t i = 0; i < NCOLS && t != NULL && c != NULL; i++)
			if (strcmp(cols[i].table, t) == 0 &&
			    strcmp(cols[i].column, c) == 0)
				known = true;
		if (!known) {
			log_err("store: sealed column %s.%s is unknown to "
			        "--rekey-kek; refusing to re-seal a part of "
			        "the secrets",
			        t != NULL ? t : "?", c != NULL ? c : "?");
			bad++;
		}
		found++;
	}
	ks_stmt_done(s, st);
	if (rc != 0 || bad != 0)
		return KS_ERR;
	if (found != (int)NCOLS) {
		log_err("store: %d sealed columns in the schema, %d expected",
		        found, (int)NCOLS);
		return KS_ERR;
	}
	return KS_OK;
}

struct row_key {
	int64_t k1, k2;
};

/* The keys of the rows of one column that hold a value. */
static int
collect_keys(struct ks_store *s, const struct sealed_col *c,
             struct row_key **out, size_t *n)
{
	sqlite3_stmt *st = ks_stmt(s, c->keys);
	struct row_key *v = NULL;
	size_t len = 0, cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (st == NULL)
		return KS_ERR;
	while ((rc = ks_stmt_step(s, st, "list sealed values")) == 1) {
		if (len == cap) {
			size_t ncap = cap != 0 ? cap * 2 : 64;
			struct row_key *nv = realloc(v, ncap * sizeof(*v));

			if (nv == NULL) {
				log_err("store: out of memory");
				rc = KS_ERR;
				break;
			}
			v = nv;
			cap = ncap;
		}
		v[len].k1 = sqlite3_column_int64(st, 0);
		v[len].k2 = sqlite3_column_int64(st, 1);
		len++;
	}
	ks_stmt_done(s, st);
	if (rc != 0) {
		free(v);
		return KS_ERR;
	}
	*out = v;
	*n = len;
	return KS_OK;
}

/* Bind the row key; ?2 only where the statement uses it. */
static int
bind_key(sqlite3_stmt *st, const struct row_key *k)
{
	if (sqlite3_bind_int64(st, 1, k->k1) != SQLITE_OK)
		return -1;
	if (sqlite3_bind_parameter_name(st, 2) != NULL &&
	    sqlite3_bind_int64(st, 2, k->k2) != SQLITE_OK)
		return -1;
	return 0;
}

/*
 * Open the value of row k with `from` (NULL: the store's KEK) into pt;
 * the AAD goes to aad.  KS_OK or KS_ERR (logged).
 */
static int
open_value(struct ks_store *s, const struct sealed_col *c,
           const struct row_key *k, const uint8_t *from, char aad[KS_AAD_MAX],
           uint8_t *pt, size_t *pt_len)
{
	sqlite3_stmt *st = ks_stmt(s, c->get);
	const uint8_t *in;
	const char *a;
	size_t n;
	int rc = KS_ERR;

	if (st == NULL || bind_key(st, k) != 0 ||
	    ks_stmt_step(s, st, "read a sealed value") != 1) {
		log_err("store: %s.%s: cannot read a sealed value", c->table,
		        c->column);
		ks_stmt_done(s, st);
		return KS_ERR;
	}
	a = (const char *)sqlite3_column_text(st, 0);
	in = sqlite3_column_blob(st, 1);
	n = (size_t)sqlite3_column_bytes(st, 1);
	if (a == NULL || strlen(a) >= KS_AAD_MAX) {
		log_err("store: %s.%s: no row identity", c->table, c->column);
	} else if (from == NULL) {
		memcpy(aad, a, strlen(a) + 1);
		rc = ks_unseal(s, aad, in, n, pt, PT_MAX, pt_len);
	} else if (n >= KDC_SEAL_OVERHEAD && n - KDC_SEAL_OVERHEAD <= PT_MAX &&
	           kdc_unseal(from, (const uint8_t *)a, strlen(a), in, n, pt) ==
	                   0) {
		memcpy(aad, a, strlen(a) + 1);
		*pt_len = n - KDC_SEAL_OVERHEAD;
		rc = KS_OK;
	} else {
		log_err("store: %s.%s: a value does not open with the new "
		        "key-encryption key",
		        c->table, c->column);
	}
	ks_stmt_done(s, st);
	return rc;
}

static int
reseal_value(struct ks_store *s, const struct sealed_col *c,
             const struct row_key *k, const uint8_t new_kek[32], uint8_t *pt,
             uint8_t *ct)
{
	char aad[KS_AAD_MAX];
	size_t n = 0;
	sqlite3_stmt *st;
	int rc;

	if (open_value(s, c, k, NULL, aad, pt, &n) != KS_OK)
		return KS_ERR;
	rc = kdc_seal(new_kek, (const uint8_t *)aad, strlen(aad), pt, n, ct);
	kdc_wipe(pt, n);
	if (rc != 0) {
		log_err("store: sealing failed");
		return KS_ERR;
	}
	st = ks_stmt(s, c->set);
	if (st == NULL || bind_key(st, k) != 0 ||
	    ks_bind_blob_nn(st, 3, ct, n + KDC_SEAL_OVERHEAD) != SQLITE_OK) {
		ks_stmt_done(s, st);
		return KS_ERR;
	}
	return ks_stmt_exec1(s, st, "store a re-sealed value") == KS_OK
	               ? KS_OK
	               : KS_ERR;
}

/* Re-seal (verify == false) or check under new_kek (verify == true) every
 * value of column c; *count += values done. */
static int
column_pass(struct ks_store *s, const struct sealed_col *c,
            const uint8_t new_kek[32], bool verify, uint8_t *pt, uint8_t *ct,
            size_t *count)
{
	struct row_key *keys;
	size_t n, done = 0;
	int rc = KS_OK;

	if (collect_keys(s, c, &keys, &n) != KS_OK)
		return KS_ERR;
	for (size_t i = 0; i < n && rc == KS_OK; i++) {
		if (verify) {
			char aad[KS_AAD_MAX];
			size_t len = 0;

			rc = open_value(s, c, &keys[i], new_kek, aad, pt, &len);
			kdc_wipe(pt, len);
		} else {
			rc = reseal_value(s, c, &keys[i], new_kek, pt, ct);
		}
		if (rc == KS_OK)
			done++;
	}
	free(keys);
	*count += done;
	return rc;
}

int
ks_store_rekek(struct ks_store *s, const uint8_t new_kek[32], size_t *count)
{
	uint8_t *pt = kdc_secure_alloc(PT_MAX);
	uint8_t *ct = malloc(PT_MAX + KDC_SEAL_OVERHEAD);
	size_t resealed = 0, checked = 0;
	int rc = KS_ERR;

	*count = 0;
	if (pt == NULL || ct == NULL) {
		log_err("store: out of memory");
		goto out;
	}
	if (ks_store_in_txn(s)) {
		log_err("store: --rekey-kek needs the database to itself");
		goto out;
	}
	if (ks_store_begin(s) != KS_OK)
		goto out;
	rc = all_columns_known(s);
	for (size_t i = 0; i < NCOLS && rc == KS_OK; i++)
		rc = column_pass(s, &cols[i], new_kek, false, pt, ct,
		                 &resealed);
	for (size_t i = 0; i < NCOLS && rc == KS_OK; i++)
		rc = column_pass(s, &cols[i], new_kek, true, pt, ct, &checked);
	if (rc == KS_OK && checked != resealed) {
		log_err("store: %zu values re-sealed but %zu checked", resealed,
		        checked);
		rc = KS_ERR;
	}
	if (rc != KS_OK) {
		ks_store_rollback(s);
		log_err("store: nothing was re-sealed (rolled back)");
		goto out;
	}
	if (ks_store_commit(s) != KS_OK) {
		ks_store_rollback(s);
		rc = KS_ERR;
		goto out;
	}
	/* The store goes on with the key its values are now sealed with. */
	memcpy(s->kek, new_kek, 32);
	*count = resealed;
out:
	kdc_secure_free(pt);
	free(ct);
	return rc;
}
