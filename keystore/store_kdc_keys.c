/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_kdc_keys.c — the KDC's own credentials, one current key per kind
 * (partial unique index kdc_keys_current); putting a new one retires the
 * previous one.  The private key is a COSE_Key sealed with AAD
 * "kdc/kdc_keys/priv_sealed/<id>": the row is inserted with an empty blob
 * and sealed under its id in the same savepoint, so the AAD never names a
 * row that does not exist.
 */
#include "store_int.h"

#include "clock.h"
#include "cose.h"
#include "log.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KDC_KEY_COLS "id, kind, cred, priv_sealed, created_at, retired_at"

static const char SQL_CURRENT[] =
        "SELECT " KDC_KEY_COLS
        " FROM kdc_keys WHERE kind = ?1 AND retired_at IS NULL";
static const char SQL_LIST[] =
        "SELECT " KDC_KEY_COLS " FROM kdc_keys ORDER BY id";
static const char SQL_RETIRE[] = "UPDATE kdc_keys SET retired_at = ?2 "
                                 "WHERE kind = ?1 AND retired_at IS NULL";
static const char SQL_INSERT[] =
        "INSERT INTO kdc_keys (kind, cred, priv_sealed, created_at) "
        "VALUES (?1, ?2, X'', ?3)";
static const char SQL_SEAL[] =
        "UPDATE kdc_keys SET priv_sealed = ?2 WHERE id = ?1";

static int
key_aad(char aad[KS_AAD_MAX], int64_t id)
{
	char ident[24];

	snprintf(ident, sizeof(ident), "%" PRId64, id);
	return ks_aad(aad, "kdc_keys", "priv_sealed", ident);
}

static int
read_key(struct ks_store *s, sqlite3_stmt *st, bool with_secret,
         struct ks_kdc_key *k)
{
	char aad[KS_AAD_MAX];

	memset(k, 0, sizeof(*k));
	k->id = sqlite3_column_int64(st, 0);
	if (ks_col_text(st, 1, k->kind, sizeof(k->kind)) != 0 ||
	    ks_col_blob(st, 2, k->cred, sizeof(k->cred), &k->cred_len) != 0) {
		log_err("store: KDC key %lld: a stored value is malformed",
		        (long long)k->id);
		return KS_ERR;
	}
	k->created_at = sqlite3_column_int64(st, 4);
	k->retired_at = sqlite3_column_int64(st, 5); /* NULL reads as 0 */
	if (!with_secret)
		return KS_OK;
	if (key_aad(aad, k->id) != 0 ||
	    ks_unseal_cose_key(s, aad, sqlite3_column_blob(st, 3),
	                       (size_t)sqlite3_column_bytes(st, 3),
	                       &k->priv) != KS_OK) {
		memset(k, 0, sizeof(*k));
		return KS_ERR;
	}
	return KS_OK;
}

int
ks_store_kdc_key_current(struct ks_store *s, const char *kind,
                         struct ks_kdc_key *out)
{
	sqlite3_stmt *st = ks_stmt(s, SQL_CURRENT);
	int rc;

	if (st == NULL || ks_bind_text(st, 1, kind) != SQLITE_OK) {
		ks_stmt_done(s, st);
		return KS_ERR;
	}
	rc = ks_stmt_step(s, st, "current KDC key");
	if (rc == 1)
		rc = read_key(s, st, true, out);
	else
		rc = rc == 0 ? KS_NOTFOUND : KS_ERR;
	ks_stmt_done(s, st);
	return rc;
}

static int
put_steps(struct ks_store *s, struct ks_kdc_key *k)
{
	uint8_t *sealed = NULL;
	size_t sealed_len = 0;
	char aad[KS_AAD_MAX];
	sqlite3_stmt *st;
	int rc;

	st = ks_stmt(s, SQL_RETIRE);
	if (st == NULL || (ks_bind_text(st, 1, k->kind) |
	                   sqlite3_bind_int64(st, 2, kdc_now())) != SQLITE_OK) {
		ks_stmt_done(s, st);
		return KS_ERR;
	}
	if ((rc = ks_stmt_exec(s, st, "retire KDC key")) != KS_OK)
		return rc;

	st = ks_stmt(s, SQL_INSERT);
	if (st == NULL ||
	    (ks_bind_text(st, 1, k->kind) |
	     ks_bind_blob_nn(st, 2, k->cred, k->cred_len) |
	     sqlite3_bind_int64(st, 3, k->created_at)) != SQLITE_OK) {
		ks_stmt_done(s, st);
		return KS_ERR;
	}
	if ((rc = ks_stmt_exec(s, st, "insert KDC key")) != KS_OK)
		return rc;
	k->id = sqlite3_last_insert_rowid(s->db);

	if (key_aad(aad, k->id) != 0 ||
	    ks_seal_cose_key(s, aad, &k->priv, &sealed, &sealed_len) != KS_OK)
		return KS_ERR;
	st = ks_stmt(s, SQL_SEAL);
	if (st == NULL ||
	    (sqlite3_bind_int64(st, 1, k->id) |
	     ks_bind_blob_nn(st, 2, sealed, sealed_len)) != SQLITE_OK) {
		ks_stmt_done(s, st);
		rc = KS_ERR;
	} else {
		rc = ks_stmt_exec1(s, st, "seal KDC key");
	}
	free(sealed);
	return rc;
}

int
ks_store_kdc_key_put(struct ks_store *s, struct ks_kdc_key *k)
{
	int rc;

	if (memchr(k->kind, '\0', sizeof(k->kind)) == NULL ||
	    k->cred_len > sizeof(k->cred))
		return KS_ERR;
	if (k->created_at == 0)
		k->created_at = kdc_now();
	k->retired_at = 0;
	if (ks_op_begin(s) != KS_OK)
		return KS_ERR;
	rc = ks_op_end(s, put_steps(s, k));
	if (rc != KS_OK)
		k->id = 0;
	return rc;
}

/* Private keys are not unsealed for listings: k->priv is zeroed. */
int
ks_store_kdc_key_list(struct ks_store *s,
                      int (*cb)(void *arg, const struct ks_kdc_key *k),
                      void *arg)
{
	sqlite3_stmt *st = ks_stmt(s, SQL_LIST);
	struct ks_kdc_key *k = malloc(sizeof(*k));
	int rc = KS_ERR;

	if (st == NULL || k == NULL)
		goto out;
	while ((rc = ks_stmt_step(s, st, "list KDC keys")) == 1) {
		if (read_key(s, st, false, k) != KS_OK) {
			rc = KS_ERR;
			break;
		}
		if (cb(arg, k) != 0)
			break;
	}
	rc = rc < 0 ? KS_ERR : KS_OK;
out:
	ks_stmt_done(s, st);
	free(k);
	return rc;
}
