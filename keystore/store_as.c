/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_as.c — the Authorization Servers whose tokens the KDC accepts
 * (RFC 9200 §5.10.1.1).  A signing AS's public key is a plain COSE_Key; the
 * symmetric key of a MAC or encrypting AS and the RFC 9202 §3.3.1
 * key-derivation key are sealed with AAD "kdc/as_trust/<column>/<hex name>"
 * (the name is unique and never changes).
 */
#include "store_int.h"

#include "clock.h"
#include "cose.h"
#include "crypto.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

#define AS_COLS                                                                \
	"id, name, issuer, audience, kind, alg, kid, key_public, key_sealed, " \
	"psk_kdk_sealed, created_at"

static const char SQL_INSERT[] =
        "INSERT INTO as_trust (name, issuer, audience, kind, alg, kid, "
        "key_public, key_sealed, psk_kdk_sealed, created_at) VALUES (?1, ?2, "
        "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
static const char SQL_REMOVE[] = "DELETE FROM as_trust WHERE name = ?1";
static const char SQL_FIND[] =
        "SELECT " AS_COLS " FROM as_trust WHERE kind = ?1 AND "
        "(kid IS NULL OR kid = ?2) ORDER BY kid IS NULL, id LIMIT 1 OFFSET ?3";
static const char SQL_GET[] = "SELECT " AS_COLS " FROM as_trust WHERE id = ?1";
static const char SQL_LIST[] = "SELECT " AS_COLS " FROM as_trust ORDER BY id";
static const char SQL_AUDIENCES[] =
        "SELECT DISTINCT audience FROM as_trust ORDER BY audience";

static int
as_aad(char aad[KS_AAD_MAX], const char *column, const char *name)
{
	char hex[2 * IPC_NAME_MAX + 1];
	size_t n = strlen(name);

	if (n > IPC_NAME_MAX)
		return -1;
	ks_hex(hex, (const uint8_t *)name, n);
	return ks_aad(aad, "as_trust", column, hex);
}

static int
read_as(struct ks_store *s, sqlite3_stmt *st, bool with_secret, struct ks_as *a)
{
	char aad[KS_AAD_MAX];
	const uint8_t *p;
	size_t n;

	memset(a, 0, sizeof(*a));
	a->id = sqlite3_column_int64(st, 0);
	if (ks_col_text(st, 1, a->name, sizeof(a->name)) != 0 ||
	    ks_col_text(st, 2, a->issuer, sizeof(a->issuer)) != 0 ||
	    ks_col_text(st, 3, a->audience, sizeof(a->audience)) != 0)
		goto corrupt;
	a->kind = (uint8_t)sqlite3_column_int(st, 4);
	a->alg = sqlite3_column_int64(st, 5);
	if (ks_col_blob(st, 6, a->kid, sizeof(a->kid), &a->kid_len) != 0)
		goto corrupt;
	a->has_psk_kdk = sqlite3_column_type(st, 9) != SQLITE_NULL;
	a->created_at = sqlite3_column_int64(st, 10);
	if (!with_secret)
		return KS_OK;

	if (a->kind == IPC_AS_SIGN) {
		p = sqlite3_column_blob(st, 7);
		n = (size_t)sqlite3_column_bytes(st, 7);
		if (p == NULL || ks_cose_key_decode(p, n, &a->key) != KS_OK)
			goto corrupt;
	} else {
		p = sqlite3_column_blob(st, 8);
		n = (size_t)sqlite3_column_bytes(st, 8);
		if (p == NULL || as_aad(aad, "key_sealed", a->name) != 0 ||
		    ks_unseal_cose_key(s, aad, p, n, &a->key) != KS_OK)
			goto fail;
	}
	if (a->has_psk_kdk &&
	    (as_aad(aad, "psk_kdk_sealed", a->name) != 0 ||
	     ks_unseal(s, aad, sqlite3_column_blob(st, 9),
	               (size_t)sqlite3_column_bytes(st, 9), a->psk_kdk,
	               sizeof(a->psk_kdk), &a->psk_kdk_len) != KS_OK))
		goto fail;
	return KS_OK;
corrupt:
	log_err("store: trusted AS %lld: a stored value is malformed",
	        (long long)a->id);
fail:
	kdc_wipe(a, sizeof(*a));
	return KS_ERR;
}

static int
as_lookup(struct ks_store *s, sqlite3_stmt *st, struct ks_as *out)
{
	int rc = ks_stmt_step(s, st, "AS lookup");

	if (rc == 1)
		rc = read_as(s, st, true, out);
	else
		rc = rc == 0 ? KS_NOTFOUND : KS_ERR;
	ks_stmt_done(s, st);
	return rc;
}

int
ks_store_as_add(struct ks_store *s, struct ks_as *a)
{
	uint8_t *pub = NULL, *key_sealed = NULL, *kdk_sealed = NULL;
	size_t pub_len = 0, key_len = 0, kdk_len = 0;
	char aad[KS_AAD_MAX];
	sqlite3_stmt *st;
	int rc = KS_ERR;

	if (a->kind < IPC_AS_SIGN || a->kind > IPC_AS_ENCRYPT ||
	    a->kid_len > sizeof(a->kid) ||
	    a->psk_kdk_len > sizeof(a->psk_kdk) ||
	    memchr(a->name, '\0', sizeof(a->name)) == NULL ||
	    memchr(a->issuer, '\0', sizeof(a->issuer)) == NULL ||
	    memchr(a->audience, '\0', sizeof(a->audience)) == NULL) {
		log_err("store: refusing an invalid trusted AS");
		return KS_ERR;
	}
	if (a->created_at == 0)
		a->created_at = kdc_now();
	if (a->kind == IPC_AS_SIGN) {
		if (ks_cose_key_encode(&a->key, false, &pub, &pub_len) != KS_OK)
			goto out;
	} else if (as_aad(aad, "key_sealed", a->name) != 0 ||
	           ks_seal_cose_key(s, aad, &a->key, &key_sealed, &key_len) !=
	                   KS_OK) {
		goto out;
	}
	if (a->has_psk_kdk && (as_aad(aad, "psk_kdk_sealed", a->name) != 0 ||
	                       ks_seal(s, aad, a->psk_kdk, a->psk_kdk_len,
	                               &kdk_sealed, &kdk_len) != KS_OK))
		goto out;

	st = ks_stmt(s, SQL_INSERT);
	if (st != NULL &&
	    (ks_bind_text(st, 1, a->name) | ks_bind_text_opt(st, 2, a->issuer) |
	     ks_bind_text(st, 3, a->audience) |
	     sqlite3_bind_int(st, 4, a->kind) |
	     sqlite3_bind_int64(st, 5, a->alg) |
	     ks_bind_blob(st, 6, a->kid, a->kid_len) |
	     ks_bind_blob(st, 7, pub, pub_len) |
	     ks_bind_blob(st, 8, key_sealed, key_len) |
	     ks_bind_blob(st, 9, kdk_sealed, kdk_len) |
	     sqlite3_bind_int64(st, 10, a->created_at)) == SQLITE_OK) {
		rc = ks_stmt_exec(s, st, "add trusted AS");
	} else {
		ks_stmt_done(s, st);
	}
	if (rc == KS_OK)
		a->id = sqlite3_last_insert_rowid(s->db);
out:
	free(pub);
	free(key_sealed);
	free(kdk_sealed);
	return rc;
}

int
ks_store_as_remove(struct ks_store *s, const char *name)
{
	sqlite3_stmt *st = ks_stmt(s, SQL_REMOVE);

	/* Its tokens go by ON DELETE CASCADE; this fails (foreign key) while
	 * one of them still authorises a member. */
	s->ntokens = -1;
	if (st == NULL || ks_bind_text(st, 1, name) != SQLITE_OK) {
		ks_stmt_done(s, st);
		return KS_ERR;
	}
	return ks_stmt_exec1(s, st, "remove trusted AS");
}

int
ks_store_as_find(struct ks_store *s, uint8_t kind, const uint8_t *kid,
                 size_t kid_len, unsigned skip, struct ks_as *out)
{
	sqlite3_stmt *st = ks_stmt(s, SQL_FIND);

	/* With no kid only the ASes that accept any kid match (kid = NULL is
	 * never true). */
	if (st == NULL ||
	    (sqlite3_bind_int(st, 1, kind) | ks_bind_blob(st, 2, kid, kid_len) |
	     sqlite3_bind_int64(st, 3, skip)) != SQLITE_OK) {
		ks_stmt_done(s, st);
		return KS_ERR;
	}
	return as_lookup(s, st, out);
}

int
ks_store_as_get(struct ks_store *s, int64_t id, struct ks_as *out)
{
	sqlite3_stmt *st = ks_stmt(s, SQL_GET);

	if (st == NULL || sqlite3_bind_int64(st, 1, id) != SQLITE_OK) {
		ks_stmt_done(s, st);
		return KS_ERR;
	}
	return as_lookup(s, st, out);
}

int
ks_store_as_list(struct ks_store *s,
                 int (*cb)(void *arg, const struct ks_as *a), void *arg)
{
	sqlite3_stmt *st = ks_stmt(s, SQL_LIST);
	struct ks_as *a = malloc(sizeof(*a));
	int rc = KS_ERR;

	if (st == NULL || a == NULL)
		goto out;
	while ((rc = ks_stmt_step(s, st, "list trusted ASes")) == 1) {
		if (read_as(s, st, false, a) != KS_OK) {
			rc = KS_ERR;
			break;
		}
		if (cb(arg, a) != 0)
			break;
	}
	rc = rc < 0 ? KS_ERR : KS_OK;
out:
	ks_stmt_done(s, st);
	free(a);
	return rc;
}

int
ks_store_as_audiences(struct ks_store *s, int (*cb)(void *arg, const char *aud),
                      void *arg)
{
	sqlite3_stmt *st = ks_stmt(s, SQL_AUDIENCES);
	int rc;

	if (st == NULL)
		return KS_ERR;
	while ((rc = ks_stmt_step(s, st, "list audiences")) == 1) {
		const unsigned char *aud = sqlite3_column_text(st, 0);

		if (aud != NULL && cb(arg, (const char *)aud) != 0)
			break;
	}
	ks_stmt_done(s, st);
	return rc < 0 ? KS_ERR : KS_OK;
}
