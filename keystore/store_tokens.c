/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_tokens.c — access tokens, one row per proof-of-possession key
 * (RFC 9200 §5.10.1: a newer token for the same key replaces the older
 * one).  The row keeps its id and its random 16-byte handle across
 * replacements, so the frontend's bindings and the members' token_id stay
 * valid.  A symmetric PoP key is stored sealed as a COSE_Key with AAD
 * "kdc/tokens/pop_key_sealed/<hex handle>"; a public key as a plain
 * COSE_Key.
 */
#include "store_int.h"

#include "cose.h"
#include "crypto.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

#define TOKEN_COLS                                                             \
	"id, handle, as_id, cti, pop_kind, pop_kid, pop_fpr, pop_key_sealed, " \
	"pop_public, scope, exp, received_at, via, ns, revoked, exi_seq, iat"

static const char SQL_BY_HANDLE[] =
        "SELECT " TOKEN_COLS " FROM tokens WHERE handle = ?1";
static const char SQL_BY_KID[] =
        "SELECT " TOKEN_COLS " FROM tokens WHERE pop_kid = ?1";
static const char SQL_BY_FPR[] =
        "SELECT " TOKEN_COLS " FROM tokens WHERE pop_fpr = ?1";
static const char SQL_BY_ID[] =
        "SELECT " TOKEN_COLS " FROM tokens WHERE id = ?1";
static const char SQL_LIST[] = "SELECT " TOKEN_COLS " FROM tokens ORDER BY id";
static const char SQL_FIND_FPR[] =
        "SELECT id, handle FROM tokens WHERE pop_fpr = ?1";
static const char SQL_INSERT[] =
        "INSERT INTO tokens (handle, as_id, cti, pop_kind, pop_kid, pop_fpr, "
        "pop_key_sealed, pop_public, scope, exp, received_at, via, ns, "
        "revoked, exi_seq, iat) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
        "?10, ?11, ?12, ?13, ?14, ?16, ?17)";
/* Same parameter numbers as SQL_INSERT; handle and pop_fpr stay. */
static const char SQL_REPLACE[] =
        "UPDATE tokens SET as_id = ?2, cti = ?3, pop_kind = ?4, pop_kid = ?5, "
        "pop_key_sealed = ?7, pop_public = ?8, scope = ?9, exp = ?10, "
        "received_at = ?11, via = ?12, ns = ?13, revoked = ?14, exi_seq = ?16, "
        "iat = ?17 WHERE id = ?15";
static const char SQL_SET_NS[] = "UPDATE tokens SET ns = ?2 WHERE id = ?1";
static const char SQL_REVOKE[] = "UPDATE tokens SET revoked = 1 WHERE id = ?1";
static const char SQL_DELETE[] = "DELETE FROM tokens WHERE id = ?1";
static const char SQL_NEXT_EXP[] = "SELECT min(exp) FROM tokens";
/* Two indexed halves (a range of tokens_exp, the partial index
 * tokens_revoked that holds only revoked tokens) instead of one OR that
 * would scan every token at each expiry sweep.  No ORDER BY: it makes the
 * planner merge two full scans in rowid order. */
static const char SQL_EXPIRED[] =
        "SELECT id FROM tokens WHERE exp <= ?1 "
        "UNION SELECT id FROM tokens WHERE revoked <> 0 LIMIT ?2";
static const char SQL_COUNT[] = "SELECT count(*) FROM tokens";
static const char SQL_EXI_GET[] =
        "SELECT seq FROM exi_expired WHERE as_id = ?1";
static const char SQL_EXI_RAISE[] =
        "INSERT INTO exi_expired (as_id, seq) VALUES (?1, ?2) "
        "ON CONFLICT (as_id) DO UPDATE SET seq = max(seq, excluded.seq)";

static int
token_aad(char aad[KS_AAD_MAX], const struct ipc_binding *h)
{
	char hex[2 * IPC_BINDING_LEN + 1];

	ks_hex(hex, h->b, sizeof(h->b));
	return ks_aad(aad, "tokens", "pop_key_sealed", hex);
}

/* Row of TOKEN_COLS into out; the symmetric PoP key is unsealed only if
 * with_secret. */
static int
read_token(struct ks_store *s, sqlite3_stmt *st, bool with_secret,
           struct ks_token *out)
{
	const uint8_t *sealed, *pub;
	size_t n, sealed_len, pub_len;
	char aad[KS_AAD_MAX];

	memset(out, 0, sizeof(*out));
	out->id = sqlite3_column_int64(st, 0);
	if (ks_col_blob(st, 1, out->handle.b, sizeof(out->handle.b), &n) != 0 ||
	    n != sizeof(out->handle.b))
		goto corrupt;
	out->as_id = sqlite3_column_int64(st, 2);
	if (ks_col_blob(st, 3, out->cti, sizeof(out->cti), &out->cti_len) != 0)
		goto corrupt;
	out->pop_kind = (uint8_t)sqlite3_column_int(st, 4);
	if (ks_col_blob(st, 5, out->pop_kid, sizeof(out->pop_kid),
	                &out->pop_kid_len) != 0 ||
	    ks_col_blob(st, 6, out->pop_fpr, sizeof(out->pop_fpr), &n) != 0 ||
	    n != sizeof(out->pop_fpr) ||
	    ks_col_blob(st, 9, out->scope, sizeof(out->scope),
	                &out->scope_len) != 0)
		goto corrupt;
	out->exp = sqlite3_column_int64(st, 10);
	out->received_at = sqlite3_column_int64(st, 11);
	out->via = (uint8_t)sqlite3_column_int(st, 12);
	if (ks_col_blob(st, 13, out->ns, sizeof(out->ns), &out->ns_len) != 0)
		goto corrupt;
	out->revoked = sqlite3_column_int(st, 14) != 0;
	out->exi_seq = sqlite3_column_type(st, 15) == SQLITE_NULL
	                       ? -1
	                       : sqlite3_column_int64(st, 15);
	out->has_iat = sqlite3_column_type(st, 16) != SQLITE_NULL;
	out->iat = out->has_iat ? sqlite3_column_int64(st, 16) : 0;

	sealed = sqlite3_column_blob(st, 7);
	sealed_len = (size_t)sqlite3_column_bytes(st, 7);
	pub = sqlite3_column_blob(st, 8);
	pub_len = (size_t)sqlite3_column_bytes(st, 8);
	if (out->pop_kind == KS_POP_ASYMMETRIC) {
		if (pub == NULL ||
		    ks_cose_key_decode(pub, pub_len, &out->pop_key) != KS_OK)
			goto corrupt;
	} else if (with_secret) {
		if (sealed == NULL || token_aad(aad, &out->handle) != 0 ||
		    ks_unseal_cose_key(s, aad, sealed, sealed_len,
		                       &out->pop_key) != KS_OK) {
			memset(out, 0, sizeof(*out));
			return KS_ERR;
		}
	} else {
		/* Not unsealed: only what identifies the key. */
		out->pop_key.kty = KDC_KTY_SYMMETRIC;
		memcpy(out->pop_key.kid, out->pop_kid, out->pop_kid_len);
		out->pop_key.kid_len = out->pop_kid_len;
	}
	return KS_OK;
corrupt:
	log_err("store: token %lld: a stored value is malformed",
	        (long long)out->id);
	kdc_cose_key_wipe(&out->pop_key);
	return KS_ERR;
}

/* Run a lookup prepared in st (parameters bound) for at most one row. */
static int
token_lookup(struct ks_store *s, sqlite3_stmt *st, bool with_secret,
             struct ks_token *out)
{
	int rc = ks_stmt_step(s, st, "token lookup");

	if (rc == 1)
		rc = read_token(s, st, with_secret, out);
	else if (rc == 0)
		rc = KS_NOTFOUND;
	else
		rc = KS_ERR;
	ks_stmt_done(s, st);
	return rc;
}

int
ks_store_token_put(struct ks_store *s, struct ks_token *t, bool *replaced)
{
	sqlite3_stmt *st;
	uint8_t *sealed = NULL, *pub = NULL;
	size_t sealed_len = 0, pub_len = 0, n;
	char aad[KS_AAD_MAX];
	bool found = false;
	int rc;

	*replaced = false;
	if ((t->pop_kind != KS_POP_SYMMETRIC &&
	     t->pop_kind != KS_POP_ASYMMETRIC) ||
	    (t->via != KS_VIA_AUTHZ_INFO && t->via != KS_VIA_DTLS) ||
	    t->cti_len > sizeof(t->cti) ||
	    t->pop_kid_len > sizeof(t->pop_kid) ||
	    t->scope_len > sizeof(t->scope) || t->ns_len > sizeof(t->ns)) {
		log_err("store: refusing to store an invalid token");
		return KS_ERR;
	}

	/* One row per PoP key: find it by fingerprint. */
	st = ks_stmt(s, SQL_FIND_FPR);
	if (st == NULL || ks_bind_blob_nn(st, 1, t->pop_fpr,
	                                  sizeof(t->pop_fpr)) != SQLITE_OK) {
		ks_stmt_done(s, st);
		return KS_ERR;
	}
	rc = ks_stmt_step(s, st, "token lookup");
	if (rc == 1) {
		found = true;
		t->id = sqlite3_column_int64(st, 0);
		if (ks_col_blob(st, 1, t->handle.b, sizeof(t->handle.b), &n) !=
		            0 ||
		    n != sizeof(t->handle.b))
			rc = KS_ERR;
	}
	ks_stmt_done(s, st);
	if (rc < 0)
		return KS_ERR;
	if (!found) {
		/* A fresh handle; all-zero means "no binding". */
		do
			kdc_random(t->handle.b, sizeof(t->handle.b));
		while (!ipc_binding_is_set(&t->handle));
	}

	if (t->pop_kind == KS_POP_SYMMETRIC) {
		if (token_aad(aad, &t->handle) != 0 ||
		    ks_seal_cose_key(s, aad, &t->pop_key, &sealed,
		                     &sealed_len) != KS_OK)
			return KS_ERR;
	} else if (ks_cose_key_encode(&t->pop_key, false, &pub, &pub_len) !=
	           KS_OK) {
		return KS_ERR;
	}

	st = ks_stmt(s, found ? SQL_REPLACE : SQL_INSERT);
	rc = KS_ERR;
	if (st != NULL &&
	    (ks_bind_blob_nn(st, 1, t->handle.b, sizeof(t->handle.b)) |
	     sqlite3_bind_int64(st, 2, t->as_id) |
	     ks_bind_blob(st, 3, t->cti, t->cti_len) |
	     sqlite3_bind_int(st, 4, t->pop_kind) |
	     ks_bind_blob(st, 5, t->pop_kid, t->pop_kid_len) |
	     ks_bind_blob_nn(st, 6, t->pop_fpr, sizeof(t->pop_fpr)) |
	     ks_bind_blob(st, 7, sealed, sealed_len) |
	     ks_bind_blob(st, 8, pub, pub_len) |
	     ks_bind_blob_nn(st, 9, t->scope, t->scope_len) |
	     sqlite3_bind_int64(st, 10, t->exp) |
	     sqlite3_bind_int64(st, 11, t->received_at) |
	     sqlite3_bind_int(st, 12, t->via) |
	     ks_bind_blob(st, 13, t->ns, t->ns_len) |
	     sqlite3_bind_int(st, 14, t->revoked ? 1 : 0) |
	     (t->exi_seq >= 0 ? sqlite3_bind_int64(st, 16, t->exi_seq)
	                      : sqlite3_bind_null(st, 16)) |
	     (t->has_iat ? sqlite3_bind_int64(st, 17, t->iat)
	                 : sqlite3_bind_null(st, 17))) == SQLITE_OK &&
	    (!found || sqlite3_bind_int64(st, 15, t->id) == SQLITE_OK))
		rc = ks_stmt_exec(s, st,
		                  found ? "replace token" : "insert token");
	else
		ks_stmt_done(s, st);
	free(sealed);
	free(pub);
	if (rc != KS_OK)
		return rc;
	if (!found) {
		t->id = sqlite3_last_insert_rowid(s->db);
		if (s->ntokens >= 0)
			s->ntokens++;
	}
	*replaced = found;
	return KS_OK;
}

int
ks_store_token_by_handle(struct ks_store *s, const struct ipc_binding *h,
                         bool with_secret, struct ks_token *out)
{
	sqlite3_stmt *st = ks_stmt(s, SQL_BY_HANDLE);

	if (st == NULL ||
	    ks_bind_blob_nn(st, 1, h->b, sizeof(h->b)) != SQLITE_OK) {
		ks_stmt_done(s, st);
		return KS_ERR;
	}
	return token_lookup(s, st, with_secret, out);
}

int
ks_store_token_by_kid(struct ks_store *s, const uint8_t *kid, size_t n,
                      bool with_secret, struct ks_token *out)
{
	sqlite3_stmt *st;

	if (n == 0)
		return KS_NOTFOUND; /* no token has an empty kid */
	st = ks_stmt(s, SQL_BY_KID);
	if (st == NULL || ks_bind_blob_nn(st, 1, kid, n) != SQLITE_OK) {
		ks_stmt_done(s, st);
		return KS_ERR;
	}
	return token_lookup(s, st, with_secret, out);
}

int
ks_store_token_by_fpr(struct ks_store *s, const uint8_t fpr[32],
                      bool with_secret, struct ks_token *out)
{
	sqlite3_stmt *st = ks_stmt(s, SQL_BY_FPR);

	if (st == NULL || ks_bind_blob_nn(st, 1, fpr, 32) != SQLITE_OK) {
		ks_stmt_done(s, st);
		return KS_ERR;
	}
	return token_lookup(s, st, with_secret, out);
}

int
ks_store_token_by_id(struct ks_store *s, int64_t id, bool with_secret,
                     struct ks_token *out)
{
	sqlite3_stmt *st = ks_stmt(s, SQL_BY_ID);

	if (st == NULL || sqlite3_bind_int64(st, 1, id) != SQLITE_OK) {
		ks_stmt_done(s, st);
		return KS_ERR;
	}
	return token_lookup(s, st, with_secret, out);
}

int
ks_store_token_set_ns(struct ks_store *s, int64_t id, const uint8_t *ns,
                      size_t n)
{
	sqlite3_stmt *st;

	if (n > KS_NONCE_MAX)
		return KS_ERR;
	st = ks_stmt(s, SQL_SET_NS);
	if (st == NULL || (sqlite3_bind_int64(st, 1, id) |
	                   ks_bind_blob(st, 2, ns, n)) != SQLITE_OK) {
		ks_stmt_done(s, st);
		return KS_ERR;
	}
	return ks_stmt_exec1(s, st, "set token N_S");
}

static int
by_id(struct ks_store *s, const char *sql, int64_t id, const char *what)
{
	sqlite3_stmt *st = ks_stmt(s, sql);

	if (st == NULL || sqlite3_bind_int64(st, 1, id) != SQLITE_OK) {
		ks_stmt_done(s, st);
		return KS_ERR;
	}
	return ks_stmt_exec1(s, st, what);
}

int
ks_store_token_revoke(struct ks_store *s, int64_t id)
{
	return by_id(s, SQL_REVOKE, id, "revoke token");
}

int
ks_store_token_delete(struct ks_store *s, int64_t id)
{
	/* Fails (foreign key) while a member still refers to the token:
	 * memberships are removed first (tokens.h). */
	int rc = by_id(s, SQL_DELETE, id, "delete token");

	if (rc == KS_OK && s->ntokens > 0)
		s->ntokens--;
	return rc;
}

int
ks_store_token_next_exp(struct ks_store *s, int64_t *exp)
{
	sqlite3_stmt *st = ks_stmt(s, SQL_NEXT_EXP);
	int rc;

	if (st == NULL)
		return KS_ERR;
	rc = ks_stmt_step(s, st, "token expiry");
	if (rc == 1 && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		*exp = sqlite3_column_int64(st, 0);
		rc = KS_OK;
	} else {
		rc = rc == 1 ? KS_NOTFOUND : KS_ERR;
	}
	ks_stmt_done(s, st);
	return rc;
}

int
ks_store_token_expired(struct ks_store *s, int64_t now, int64_t *ids,
                       size_t max, size_t *n)
{
	sqlite3_stmt *st = ks_stmt(s, SQL_EXPIRED);
	int rc;

	*n = 0;
	if (max > INT64_MAX)
		max = INT64_MAX;
	if (st == NULL ||
	    (sqlite3_bind_int64(st, 1, now) |
	     sqlite3_bind_int64(st, 2, (int64_t)max)) != SQLITE_OK) {
		ks_stmt_done(s, st);
		return KS_ERR;
	}
	while ((rc = ks_stmt_step(s, st, "expired tokens")) == 1 && *n < max)
		ids[(*n)++] = sqlite3_column_int64(st, 0);
	ks_stmt_done(s, st);
	return rc < 0 ? KS_ERR : KS_OK;
}

int
ks_store_token_list(struct ks_store *s,
                    int (*cb)(void *arg, const struct ks_token *t), void *arg)
{
	sqlite3_stmt *st = ks_stmt(s, SQL_LIST);
	struct ks_token *t = malloc(sizeof(*t));
	int rc = KS_ERR;

	if (st == NULL || t == NULL)
		goto out;
	while ((rc = ks_stmt_step(s, st, "list tokens")) == 1) {
		if (read_token(s, st, false, t) != KS_OK) {
			rc = KS_ERR;
			break;
		}
		if (cb(arg, t) != 0)
			break;
	}
	rc = rc < 0 ? KS_ERR : KS_OK;
out:
	ks_stmt_done(s, st);
	free(t);
	return rc;
}

int
ks_store_token_count(struct ks_store *s, int64_t *n)
{
	sqlite3_stmt *st;
	int rc;

	if (s->ntokens >= 0) {
		*n = s->ntokens;
		return KS_OK;
	}
	st = ks_stmt(s, SQL_COUNT);
	if (st == NULL)
		return KS_ERR;
	rc = ks_stmt_step(s, st, "count tokens");
	if (rc == 1)
		*n = s->ntokens = sqlite3_column_int64(st, 0);
	ks_stmt_done(s, st);
	return rc == 1 ? KS_OK : KS_ERR;
}

int
ks_store_exi_expired(struct ks_store *s, int64_t as_id, int64_t *seq)
{
	sqlite3_stmt *st = ks_stmt(s, SQL_EXI_GET);
	int rc;

	*seq = -1;
	if (st == NULL || sqlite3_bind_int64(st, 1, as_id) != SQLITE_OK) {
		ks_stmt_done(s, st);
		return KS_ERR;
	}
	rc = ks_stmt_step(s, st, "exi sequence number");
	if (rc == 1)
		*seq = sqlite3_column_int64(st, 0);
	ks_stmt_done(s, st);
	return rc < 0 ? KS_ERR : KS_OK;
}

int
ks_store_exi_expired_raise(struct ks_store *s, int64_t as_id, int64_t seq)
{
	sqlite3_stmt *st = ks_stmt(s, SQL_EXI_RAISE);

	if (st == NULL || (sqlite3_bind_int64(st, 1, as_id) |
	                   sqlite3_bind_int64(st, 2, seq)) != SQLITE_OK) {
		ks_stmt_done(s, st);
		return KS_ERR;
	}
	return ks_stmt_exec(s, st, "raise exi sequence number");
}
