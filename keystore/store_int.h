/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_int.h — internals shared by the SQLite implementation of store.h
 * (keystore/store_*.c) and by its unit tests: the connection, the
 * prepared-statement cache, binding/column helpers and sealing with the KEK.
 * Nothing outside keystore/store_*.c and tests/unit/test_ks_*.c includes it.
 *
 * Sealed columns (kdc_seal, XChaCha20-Poly1305) carry the AAD
 *   "kdc/<table>/<column>/<row identity>"
 * where the row identity is stable for the life of the row and known before
 * the row is written (so nothing is sealed under a rowid that does not exist
 * yet):
 *   tokens.pop_key_sealed      hex(handle)            (kept across replaces)
 *   groups.ms_sealed           hex(gid_prefix)/num    (prefix is fixed at
 *                                                      creation and unique)
 *   group_prev.ms_sealed       hex(gid_prefix)/num    (re-sealed on the move,
 *                                                      the table differs)
 *   kdc_keys.priv_sealed       id                     (row inserted first with
 *                                                      an empty blob, sealed in
 *                                                      the same savepoint)
 *   as_trust.key_sealed,
 *   as_trust.psk_kdk_sealed    hex(name)              (unique, never renamed)
 * A sealed value copied to another row, column or table no longer opens.
 */
#ifndef KDC_KS_STORE_INT_H
#define KDC_KS_STORE_INT_H

#include "store.h"

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kdc_cose_key;

/* One cached prepared statement, keyed by the address of its SQL text. */
struct ks_stmt_slot {
	const char *sql;
	sqlite3_stmt *st;
};

struct ks_store {
	sqlite3 *db;
	sqlite3 *ro; /* read-only connection (admin SQL, backup); lazily opened
	              */
	char *path;
	uint8_t *kek;               /* 32 bytes in kdc_secure_alloc() memory */
	struct ks_stmt_slot *slots; /* open addressing, power-of-two size */
	size_t nslots, used;
	/* Statements prepared because the cached one was still running (a
	 * callback re-entered the same query); finalized when done. */
	sqlite3_stmt **extra;
	size_t nextra, extra_cap;
	/* count(*) of tokens, kept up to date by the token functions so that
	 * the max_tokens check of every token POST is not a scan of the
	 * table; -1 = unknown (recounted when asked: after a rollback or a
	 * cascade that removed tokens). */
	int64_t ntokens;
};

/* Longest AAD string built by ks_aad(). */
#define KS_AAD_MAX 192

/* The cached statement for sql (a static string: the pointer is the key),
 * reset and with its bindings cleared; NULL on error (logged). */
sqlite3_stmt *ks_stmt(struct ks_store *s, const char *sql);
/* Reset and clear bindings (finalize if it was a non-cached duplicate).
 * NULL is fine. */
void ks_stmt_done(struct ks_store *s, sqlite3_stmt *st);
/* Step a statement that returns no row, then ks_stmt_done().  KS_OK,
 * KS_EXISTS (UNIQUE / PRIMARY KEY constraint) or KS_ERR (logged with
 * `what`). */
int ks_stmt_exec(struct ks_store *s, sqlite3_stmt *st, const char *what);
/* Like ks_stmt_exec(), and KS_NOTFOUND when no row was changed (UPDATE or
 * DELETE of one row by key). */
int ks_stmt_exec1(struct ks_store *s, sqlite3_stmt *st, const char *what);
/* One step: 1 = a row, 0 = done, else KS_EXISTS or KS_ERR (logged).  Does
 * not reset. */
int ks_stmt_step(struct ks_store *s, sqlite3_stmt *st, const char *what);
/* Prepare (cached), step to completion, done.  For statements without
 * parameters. */
int ks_exec(struct ks_store *s, const char *sql, const char *what);
/* Map an SQLite result code to KS_EXISTS / KS_ERR, logging the latter. */
int ks_sql_fail(struct ks_store *s, int rc, const char *what);

/* Internal savepoint around store functions that run several statements,
 * so that each of them is all-or-nothing even when the caller goes on after
 * an error.  ks_op_end() releases it when rc is KS_OK and otherwise rolls
 * the operation back; it returns rc, or KS_ERR if the savepoint failed. */
int ks_op_begin(struct ks_store *s);
int ks_op_end(struct ks_store *s, int rc);

/* Binding: a zero length binds NULL (optional columns); the _nn variant
 * binds an empty blob instead (NOT NULL columns).  Texts: NULL or "" bind
 * NULL with ks_bind_text_opt().  The pointers must stay valid until
 * ks_stmt_done() (SQLITE_STATIC). */
int ks_bind_blob(sqlite3_stmt *st, int i, const void *p, size_t n);
int ks_bind_blob_nn(sqlite3_stmt *st, int i, const void *p, size_t n);
int ks_bind_text(sqlite3_stmt *st, int i, const char *s);
int ks_bind_text_opt(sqlite3_stmt *st, int i, const char *s);

/* Columns: copy a blob into out[0..max) (-1 if longer), a text into a
 * NUL-terminated out[0..size) (-1 if it does not fit).  NULL gives length 0
 * / "". */
int ks_col_blob(sqlite3_stmt *st, int i, void *out, size_t max, size_t *n);
int ks_col_text(sqlite3_stmt *st, int i, char *out, size_t size);

/* Lower-case hex of p[0..n) into out (2n+1 bytes). */
void ks_hex(char *out, const uint8_t *p, size_t n);
/* "kdc/<table>/<column>/<identity>" into out[KS_AAD_MAX]; -1 if too long. */
int ks_aad(char out[KS_AAD_MAX], const char *table, const char *column,
           const char *identity);

/* Seal pt under the KEK with aad; *out is malloc'd (not secret), *out_len
 * = n + KDC_SEAL_OVERHEAD. */
int ks_seal(struct ks_store *s, const char *aad, const uint8_t *pt, size_t n,
            uint8_t **out, size_t *out_len);
/* Unseal into pt[0..max); fails (logged without the AAD identity) on a
 * wrong KEK, another row's value, tampering or a too small buffer. */
int ks_unseal(struct ks_store *s, const char *aad, const uint8_t *in, size_t n,
              uint8_t *pt, size_t max, size_t *pt_len);
/* COSE keys as CBOR blobs (kdc_cose_key_encode/decode).  The sealed form
 * includes the private parts. */
int ks_cose_key_encode(const struct kdc_cose_key *k, bool with_private,
                       uint8_t **out, size_t *out_len);
int ks_cose_key_decode(const uint8_t *p, size_t n, struct kdc_cose_key *k);
int ks_seal_cose_key(struct ks_store *s, const char *aad,
                     const struct kdc_cose_key *k, uint8_t **out,
                     size_t *out_len);
int ks_unseal_cose_key(struct ks_store *s, const char *aad, const uint8_t *in,
                       size_t n, struct kdc_cose_key *k);

/* The read-only connection (opened on first use); NULL on error. */
sqlite3 *ks_store_ro(struct ks_store *s, char *err, size_t errlen);

/* For tests: the read-write connection. */
sqlite3 *ks_store_db_handle(struct ks_store *s);

#endif
