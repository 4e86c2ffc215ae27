/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_db.c — the SQLite connection behind store.h: open (file mode,
 * pragmas, migrations, meta), close, transactions and savepoints, the
 * prepared-statement cache, and the binding/sealing helpers of store_int.h
 * (docs/DESIGN.md §5).
 */
#include "store_int.h"

#include "clock.h"
#include "cose.h"
#include "crypto.h"
#include "log.h"
#include "migrations.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KS_BUSY_TIMEOUT_MS 5000

/* ------------------------------------------------------------------ */
/* Prepared-statement cache: every SQL text of store_*.c is a static
 * string, so its address identifies it.  Statements are prepared once
 * (SQLITE_PREPARE_PERSISTENT) and finalized at close. */

static size_t
slot_hash(const char *sql, size_t nslots)
{
	uint64_t v = (uint64_t)(uintptr_t)sql;

	v = (v >> 3) * UINT64_C(0x9E3779B97F4A7C15);
	return (size_t)(v >> 32) & (nslots - 1);
}

static int
cache_grow(struct ks_store *s)
{
	size_t n = s->nslots ? s->nslots * 2 : 128;
	struct ks_stmt_slot *ns = calloc(n, sizeof(*ns));

	if (ns == NULL)
		return -1;
	for (size_t i = 0; i < s->nslots; i++) {
		size_t j;

		if (s->slots[i].sql == NULL)
			continue;
		j = slot_hash(s->slots[i].sql, n);
		while (ns[j].sql != NULL)
			j = (j + 1) & (n - 1);
		ns[j] = s->slots[i];
	}
	free(s->slots);
	s->slots = ns;
	s->nslots = n;
	return 0;
}

static sqlite3_stmt *
prepare_extra(struct ks_store *s, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (s->nextra == s->extra_cap) {
		size_t cap = s->extra_cap ? s->extra_cap * 2 : 4;
		sqlite3_stmt **v =
		        realloc(s->extra, cap * sizeof(sqlite3_stmt *));

		if (v == NULL) {
			log_err("store: out of memory");
			return NULL;
		}
		s->extra = v;
		s->extra_cap = cap;
	}
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		log_err("store: cannot prepare a statement: %s",
		        sqlite3_errmsg(s->db));
		return NULL;
	}
	s->extra[s->nextra++] = st;
	return st;
}

sqlite3_stmt *
ks_stmt(struct ks_store *s, const char *sql)
{
	sqlite3_stmt *st = NULL;
	size_t i;

	if ((s->used + 1) * 2 > s->nslots && cache_grow(s) != 0) {
		log_err("store: out of memory");
		return NULL;
	}
	i = slot_hash(sql, s->nslots);
	while (s->slots[i].sql != NULL && s->slots[i].sql != sql)
		i = (i + 1) & (s->nslots - 1);
	if (s->slots[i].sql == sql) {
		st = s->slots[i].st;
		/* A callback re-entered a query that is still running. */
		if (sqlite3_stmt_busy(st))
			return prepare_extra(s, sql);
		return st;
	}
	if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st,
	                       NULL) != SQLITE_OK) {
		log_err("store: cannot prepare a statement: %s",
		        sqlite3_errmsg(s->db));
		return NULL;
	}
	s->slots[i].sql = sql;
	s->slots[i].st = st;
	s->used++;
	return st;
}

void
ks_stmt_done(struct ks_store *s, sqlite3_stmt *st)
{
	if (st == NULL)
		return;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	for (size_t i = 0; i < s->nextra; i++) {
		if (s->extra[i] == st) {
			sqlite3_finalize(st);
			s->extra[i] = s->extra[--s->nextra];
			return;
		}
	}
}

int
ks_sql_fail(struct ks_store *s, int rc, const char *what)
{
	if (rc == SQLITE_CONSTRAINT_UNIQUE ||
	    rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
		log_debug("store: %s: %s", what, sqlite3_errmsg(s->db));
		return KS_EXISTS;
	}
	log_err("store: %s: %s (code %d)", what, sqlite3_errmsg(s->db), rc);
	return KS_ERR;
}

int
ks_stmt_step(struct ks_store *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	rc = ks_sql_fail(s, rc, what);
	return rc == KS_EXISTS ? KS_EXISTS : KS_ERR;
}

int
ks_stmt_exec(struct ks_store *s, sqlite3_stmt *st, const char *what)
{
	int rc;

	do
		rc = sqlite3_step(st);
	while (rc == SQLITE_ROW);
	if (rc != SQLITE_DONE)
		rc = ks_sql_fail(s, rc, what);
	else
		rc = KS_OK;
	ks_stmt_done(s, st);
	return rc;
}

int
ks_stmt_exec1(struct ks_store *s, sqlite3_stmt *st, const char *what)
{
	int rc = ks_stmt_exec(s, st, what);

	if (rc == KS_OK && sqlite3_changes(s->db) == 0)
		rc = KS_NOTFOUND;
	return rc;
}

int
ks_exec(struct ks_store *s, const char *sql, const char *what)
{
	sqlite3_stmt *st = ks_stmt(s, sql);

	if (st == NULL)
		return KS_ERR;
	return ks_stmt_exec(s, st, what);
}

static const char SQL_OP_BEGIN[] = "SAVEPOINT ks_op";
static const char SQL_OP_RELEASE[] = "RELEASE ks_op";
static const char SQL_OP_ROLLBACK[] = "ROLLBACK TO ks_op";

int
ks_op_begin(struct ks_store *s)
{
	return ks_exec(s, SQL_OP_BEGIN, "savepoint") == KS_OK ? KS_OK : KS_ERR;
}

int
ks_op_end(struct ks_store *s, int rc)
{
	if (rc == KS_OK) {
		if (ks_exec(s, SQL_OP_RELEASE, "release") == KS_OK)
			return KS_OK;
		rc = KS_ERR;
	}
	s->ntokens = -1;
	if (ks_exec(s, SQL_OP_ROLLBACK, "rollback to savepoint") != KS_OK ||
	    ks_exec(s, SQL_OP_RELEASE, "release") != KS_OK)
		return KS_ERR;
	return rc;
}

/* ------------------------------------------------------------------ */
/* Binding and columns */

int
ks_bind_blob(sqlite3_stmt *st, int i, const void *p, size_t n)
{
	if (p == NULL || n == 0)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_blob64(st, i, p, n, SQLITE_STATIC);
}

int
ks_bind_blob_nn(sqlite3_stmt *st, int i, const void *p, size_t n)
{
	if (p == NULL || n == 0)
		return sqlite3_bind_zeroblob(st, i, 0);
	return sqlite3_bind_blob64(st, i, p, n, SQLITE_STATIC);
}

int
ks_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

int
ks_bind_text_opt(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL || s[0] == '\0')
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

int
ks_col_blob(sqlite3_stmt *st, int i, void *out, size_t max, size_t *n)
{
	const void *p = sqlite3_column_blob(st, i);
	int len = sqlite3_column_bytes(st, i);

	if (len < 0 || (size_t)len > max)
		return -1;
	if (len > 0)
		memcpy(out, p, (size_t)len);
	*n = (size_t)len;
	return 0;
}

int
ks_col_text(sqlite3_stmt *st, int i, char *out, size_t size)
{
	const unsigned char *p = sqlite3_column_text(st, i);
	int len = sqlite3_column_bytes(st, i);

	if (len < 0 || (size_t)len + 1 > size)
		return -1;
	if (len > 0)
		memcpy(out, p, (size_t)len);
	out[len] = '\0';
	return 0;
}

/* ------------------------------------------------------------------ */
/* Sealing */

void
ks_hex(char *out, const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

int
ks_aad(char out[KS_AAD_MAX], const char *table, const char *column,
       const char *identity)
{
	int n = snprintf(out, KS_AAD_MAX, "kdc/%s/%s/%s", table, column,
	                 identity);

	return n < 0 || n >= KS_AAD_MAX ? -1 : 0;
}

/* "kdc/<table>/<column>" of an AAD, for log lines (the row identity is
 * left out). */
static void
aad_what(char *out, size_t size, const char *aad)
{
	const char *p = aad;
	int slashes = 0;

	while (*p != '\0' && !(*p == '/' && ++slashes == 3))
		p++;
	snprintf(out, size, "%.*s", (int)(p - aad), aad);
}

int
ks_seal(struct ks_store *s, const char *aad, const uint8_t *pt, size_t n,
        uint8_t **out, size_t *out_len)
{
	uint8_t *c = malloc(n + KDC_SEAL_OVERHEAD);

	*out = NULL;
	if (c == NULL) {
		log_err("store: out of memory");
		return KS_ERR;
	}
	if (kdc_seal(s->kek, (const uint8_t *)aad, strlen(aad), pt, n, c) !=
	    0) {
		log_err("store: sealing failed");
		free(c);
		return KS_ERR;
	}
	*out = c;
	*out_len = n + KDC_SEAL_OVERHEAD;
	return KS_OK;
}

int
ks_unseal(struct ks_store *s, const char *aad, const uint8_t *in, size_t n,
          uint8_t *pt, size_t max, size_t *pt_len)
{
	char what[KS_AAD_MAX];

	if (n < KDC_SEAL_OVERHEAD || n - KDC_SEAL_OVERHEAD > max) {
		aad_what(what, sizeof(what), aad);
		log_err("store: sealed value of %s has a wrong length", what);
		return KS_ERR;
	}
	if (kdc_unseal(s->kek, (const uint8_t *)aad, strlen(aad), in, n, pt) !=
	    0) {
		aad_what(what, sizeof(what), aad);
		log_err("store: cannot unseal %s: wrong key-encryption key, "
		        "or the value was altered or moved from another row",
		        what);
		return KS_ERR;
	}
	*pt_len = n - KDC_SEAL_OVERHEAD;
	return KS_OK;
}

int
ks_cose_key_encode(const struct kdc_cose_key *k, bool with_private,
                   uint8_t **out, size_t *out_len)
{
	struct kdc_cw w;

	kdc_cw_init(&w);
	kdc_cose_key_encode(&w, k, with_private);
	*out = kdc_cw_ok(&w) ? kdc_cw_take(&w, out_len) : NULL;
	kdc_cw_free(&w);
	if (*out == NULL) {
		log_err("store: cannot encode a COSE key");
		return KS_ERR;
	}
	return KS_OK;
}

int
ks_cose_key_decode(const uint8_t *p, size_t n, struct kdc_cose_key *k)
{
	cbor_item_t *item = NULL;
	int rc;

	memset(k, 0, sizeof(*k));
	if (kdc_cbor_decode(p, n, NULL, &item) != KDC_CBOR_OK) {
		log_err("store: a stored COSE key is not well-formed CBOR");
		return KS_ERR;
	}
	rc = kdc_cose_key_decode(item, k);
	cbor_decref(&item);
	if (rc != 0) {
		kdc_cose_key_wipe(k);
		log_err("store: a stored COSE key cannot be decoded");
		return KS_ERR;
	}
	return KS_OK;
}

int
ks_seal_cose_key(struct ks_store *s, const char *aad,
                 const struct kdc_cose_key *k, uint8_t **out, size_t *out_len)
{
	uint8_t *pt;
	size_t n;
	int rc;

	if (ks_cose_key_encode(k, true, &pt, &n) != KS_OK)
		return KS_ERR;
	rc = ks_seal(s, aad, pt, n, out, out_len);
	kdc_wipe(pt, n);
	free(pt);
	return rc;
}

int
ks_unseal_cose_key(struct ks_store *s, const char *aad, const uint8_t *in,
                   size_t n, struct kdc_cose_key *k)
{
	uint8_t pt[1024];
	size_t len = 0;
	int rc;

	memset(k, 0, sizeof(*k));
	rc = ks_unseal(s, aad, in, n, pt, sizeof(pt), &len);
	if (rc == KS_OK)
		rc = ks_cose_key_decode(pt, len, k);
	kdc_wipe(pt, sizeof(pt));
	return rc;
}

sqlite3 *
ks_store_db_handle(struct ks_store *s)
{
	return s->db;
}

/* ------------------------------------------------------------------ */
/* Open, migrations, close */

int
ks_store_schema_version(void)
{
	return ks_migrations_count == 0
	               ? 0
	               : (int)ks_migrations[ks_migrations_count - 1].version;
}

static int
read_user_version(sqlite3 *db, int *v)
{
	sqlite3_stmt *st = NULL;
	int rc = -1;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) ==
	            SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		*v = sqlite3_column_int(st, 0);
		rc = 0;
	}
	sqlite3_finalize(st);
	return rc;
}

/* Run one statement (or several, for migrations) outside the cache. */
static int
exec_raw(struct ks_store *s, const char *sql, const char *what)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	log_err("store: %s: %s", what, msg != NULL ? msg : "error");
	sqlite3_free(msg);
	return -1;
}

/* Apply migration m (user_version m->version - 1 -> m->version) in its own
 * transaction, user_version set inside it. */
static int
apply_migration(struct ks_store *s, const struct ks_migration *m)
{
	char pragma[48];
	int cur;

	if (exec_raw(s, "BEGIN IMMEDIATE", "begin migration") != 0)
		return -1;
	/* Another process may have applied it since we looked. */
	if (read_user_version(s->db, &cur) != 0)
		goto fail;
	if (cur >= (int)m->version)
		return exec_raw(s, "COMMIT", "commit migration");
	if (cur != (int)m->version - 1) {
		log_err("store: %s: schema version %d, expected %u before %s",
		        s->path, cur, m->version - 1, m->file);
		goto fail;
	}
	if (exec_raw(s, m->sql, m->file) != 0)
		goto fail;
	snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %u",
	         m->version);
	if (exec_raw(s, pragma, "set user_version") != 0 ||
	    exec_raw(s, "COMMIT", "commit migration") != 0)
		goto fail;
	log_notice("store: %s: applied migration %s (schema version %u)",
	           s->path, m->file, m->version);
	return 0;
fail:
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	log_err("store: %s: migration %s not applied", s->path, m->file);
	return -1;
}

static int
migrate(struct ks_store *s)
{
	int have, known = ks_store_schema_version();

	for (unsigned i = 0; i < ks_migrations_count; i++) {
		if (ks_migrations[i].version != i + 1) {
			log_err("store: embedded migration %s is out of order",
			        ks_migrations[i].file);
			return -1;
		}
	}
	if (read_user_version(s->db, &have) != 0) {
		log_err("store: %s: cannot read the schema version: %s",
		        s->path, sqlite3_errmsg(s->db));
		return -1;
	}
	if (have > known) {
		log_err("store: %s has schema version %d, newer than the %d "
		        "this kdc-keystore knows; refusing to open it (run the "
		        "newer kdc-keystore or restore a backup of this "
		        "version)",
		        s->path, have, known);
		return -1;
	}
	if (have < 0) {
		log_err("store: %s has an invalid schema version %d", s->path,
		        have);
		return -1;
	}
	for (unsigned i = (unsigned)have; i < ks_migrations_count; i++)
		if (apply_migration(s, &ks_migrations[i]) != 0)
			return -1;
	return 0;
}

static const char SQL_META_COUNT[] =
        "SELECT count(*) FROM meta WHERE key IN ('created_at', 'instance')";
static const char SQL_META_INIT[] =
        "INSERT OR IGNORE INTO meta(key, value) VALUES ('created_at', ?1), "
        "('instance', ?2)";

/* Facts about a new database: when it was created, and a random instance
 * id (the keystore's HELLO carries it). */
static int
meta_init(struct ks_store *s)
{
	sqlite3_stmt *st = ks_stmt(s, SQL_META_COUNT);
	uint64_t inst = 0;
	int rc;

	if (st == NULL || ks_stmt_step(s, st, "read meta") != 1) {
		ks_stmt_done(s, st);
		return -1;
	}
	rc = sqlite3_column_int(st, 0);
	ks_stmt_done(s, st);
	if (rc == 2)
		return 0;
	while (inst == 0) {
		kdc_random((uint8_t *)&inst, sizeof(inst));
		inst &= (uint64_t)INT64_MAX;
	}
	if (ks_store_begin(s) != KS_OK)
		return -1;
	st = ks_stmt(s, SQL_META_INIT);
	if (st == NULL ||
	    (sqlite3_bind_int64(st, 1, kdc_now()) |
	     sqlite3_bind_int64(st, 2, (int64_t)inst)) != SQLITE_OK) {
		ks_stmt_done(s, st);
		ks_store_rollback(s);
		return -1;
	}
	if (ks_stmt_exec(s, st, "initialise meta") != KS_OK) {
		ks_store_rollback(s);
		return -1;
	}
	return ks_store_commit(s) == KS_OK ? 0 : -1;
}

/* Create the database file with mode 0600 before SQLite opens it (SQLite
 * gives the -wal and -shm files the mode of the database file). */
static int
prepare_file(const char *path)
{
	struct stat st;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	          0600);
	if (fd >= 0) {
		/* The umask may have taken bits away; set exactly 0600. */
		int rc = fchmod(fd, 0600);

		close(fd);
		if (rc != 0) {
			log_err("store: chmod %s: %s", path, strerror(errno));
			return -1;
		}
		return 0;
	}
	if (errno != EEXIST) {
		log_err("store: cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	if (stat(path, &st) == 0 && (st.st_mode & 077) != 0)
		log_warn("store: %s has mode %04o: group or others can read "
		         "it (secrets in it are sealed, but chmod 0600 is "
		         "advised)",
		         path, (unsigned)(st.st_mode & 07777));
	return 0;
}

static int
configure(struct ks_store *s)
{
	static const char *const pragmas[] = {
	        "PRAGMA synchronous = FULL",
	        "PRAGMA foreign_keys = ON",
	        "PRAGMA trusted_schema = OFF",
	        /* Bounded memory with 10^6 members: ~8 MiB of page cache, no
	         * mmap, small temporary b-trees in memory. */
	        "PRAGMA cache_size = -8192",
	        "PRAGMA mmap_size = 0",
	        "PRAGMA temp_store = MEMORY",
	};
	sqlite3_stmt *st = NULL;
	bool ok;

	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, KS_BUSY_TIMEOUT_MS);
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0,
	                  NULL);
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_DQS_DML, 0, NULL);
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_DQS_DDL, 0, NULL);

	if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st,
	                       NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		log_err("store: %s: cannot set WAL mode: %s", s->path,
		        sqlite3_errmsg(s->db));
		sqlite3_finalize(st);
		return -1;
	}
	ok = sqlite3_stricmp((const char *)sqlite3_column_text(st, 0), "wal") ==
	     0;
	sqlite3_finalize(st);
	if (!ok) {
		log_err("store: %s: the database refuses WAL mode", s->path);
		return -1;
	}
	for (size_t i = 0; i < sizeof(pragmas) / sizeof(pragmas[0]); i++)
		if (exec_raw(s, pragmas[i], pragmas[i]) != 0)
			return -1;
	if (sqlite3_prepare_v2(s->db, "PRAGMA foreign_keys", -1, &st, NULL) !=
	            SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW || sqlite3_column_int(st, 0) != 1) {
		log_err("store: this SQLite cannot enforce foreign keys");
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
}

int
ks_store_open(const char *path, const uint8_t kek[32], struct ks_store **out)
{
	struct ks_store *s;
	int rc;

	*out = NULL;
	if (kdc_crypto_init() != 0) {
		log_err("store: crypto initialisation failed");
		return KS_ERR;
	}
	s = calloc(1, sizeof(*s));
	if (s != NULL)
		s->ntokens = -1;
	if (s == NULL || (s->path = strdup(path)) == NULL ||
	    (s->kek = kdc_secure_alloc(32)) == NULL) {
		log_err("store: out of memory");
		ks_store_close(s);
		return KS_ERR;
	}
	memcpy(s->kek, kek, 32);
	if (prepare_file(path) != 0) {
		ks_store_close(s);
		return KS_ERR;
	}
	rc = sqlite3_open_v2(path, &s->db,
	                     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	                             SQLITE_OPEN_NOMUTEX,
	                     NULL);
	if (rc != SQLITE_OK) {
		log_err("store: cannot open %s: %s", path,
		        s->db != NULL ? sqlite3_errmsg(s->db)
		                      : sqlite3_errstr(rc));
		ks_store_close(s);
		return KS_ERR;
	}
	if (configure(s) != 0 || migrate(s) != 0 || meta_init(s) != 0) {
		ks_store_close(s);
		return KS_ERR;
	}
	*out = s;
	return KS_OK;
}

void
ks_store_close(struct ks_store *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->nslots; i++)
		sqlite3_finalize(s->slots[i].st);
	for (size_t i = 0; i < s->nextra; i++)
		sqlite3_finalize(s->extra[i]);
	if (s->ro != NULL)
		sqlite3_close(s->ro);
	if (s->db != NULL && sqlite3_close(s->db) != SQLITE_OK)
		log_err("store: closing the database: %s",
		        sqlite3_errmsg(s->db));
	kdc_secure_free(s->kek);
	free(s->slots);
	free(s->extra);
	free(s->path);
	free(s);
}

static const char SQL_USER_VERSION[] = "PRAGMA user_version";

int
ks_store_db_version(struct ks_store *s)
{
	sqlite3_stmt *st = ks_stmt(s, SQL_USER_VERSION);
	int v = KS_ERR;

	if (st != NULL && ks_stmt_step(s, st, "read user_version") == 1)
		v = sqlite3_column_int(st, 0);
	ks_stmt_done(s, st);
	return v;
}

/* ------------------------------------------------------------------ */
/* Transactions */

static const char SQL_BEGIN[] = "BEGIN IMMEDIATE";
static const char SQL_COMMIT[] = "COMMIT";
static const char SQL_ROLLBACK[] = "ROLLBACK";
static const char SQL_SAVEPOINT[] = "SAVEPOINT req";
static const char SQL_RELEASE[] = "RELEASE req";
static const char SQL_ROLLBACK_TO[] = "ROLLBACK TO req";

int
ks_store_begin(struct ks_store *s)
{
	return ks_exec(s, SQL_BEGIN, "begin") == KS_OK ? KS_OK : KS_ERR;
}

int
ks_store_commit(struct ks_store *s)
{
	if (ks_exec(s, SQL_COMMIT, "commit") == KS_OK)
		return KS_OK;
	s->ntokens = -1; /* whatever SQLite kept of the transaction */
	return KS_ERR;
}

int
ks_store_rollback(struct ks_store *s)
{
	s->ntokens = -1;
	return ks_exec(s, SQL_ROLLBACK, "rollback") == KS_OK ? KS_OK : KS_ERR;
}

bool
ks_store_in_txn(struct ks_store *s)
{
	return sqlite3_get_autocommit(s->db) == 0;
}

int
ks_store_savepoint(struct ks_store *s)
{
	return ks_exec(s, SQL_SAVEPOINT, "savepoint") == KS_OK ? KS_OK : KS_ERR;
}

int
ks_store_release(struct ks_store *s)
{
	return ks_exec(s, SQL_RELEASE, "release") == KS_OK ? KS_OK : KS_ERR;
}

int
ks_store_rollback_to(struct ks_store *s)
{
	s->ntokens = -1;
	if (ks_exec(s, SQL_ROLLBACK_TO, "rollback to savepoint") != KS_OK ||
	    ks_exec(s, SQL_RELEASE, "release") != KS_OK)
		return KS_ERR;
	return KS_OK;
}

/* ------------------------------------------------------------------ */
/* meta */

static const char SQL_META_GET[] = "SELECT value FROM meta WHERE key = ?1";
static const char SQL_META_SET[] =
        "INSERT INTO meta(key, value) VALUES (?1, ?2) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value";

int
ks_store_meta_get_int(struct ks_store *s, const char *key, int64_t *v)
{
	sqlite3_stmt *st = ks_stmt(s, SQL_META_GET);
	int rc;

	if (st == NULL || ks_bind_text(st, 1, key) != SQLITE_OK) {
		ks_stmt_done(s, st);
		return KS_ERR;
	}
	rc = ks_stmt_step(s, st, "read meta");
	if (rc == 1) {
		if (sqlite3_column_type(st, 0) == SQLITE_INTEGER) {
			*v = sqlite3_column_int64(st, 0);
			rc = KS_OK;
		} else {
			log_err("store: meta %s is not an integer", key);
			rc = KS_ERR;
		}
	} else if (rc == 0) {
		rc = KS_NOTFOUND;
	}
	ks_stmt_done(s, st);
	return rc;
}

int
ks_store_meta_set_int(struct ks_store *s, const char *key, int64_t v)
{
	sqlite3_stmt *st = ks_stmt(s, SQL_META_SET);

	if (st == NULL || (ks_bind_text(st, 1, key) |
	                   sqlite3_bind_int64(st, 2, v)) != SQLITE_OK) {
		ks_stmt_done(s, st);
		return KS_ERR;
	}
	return ks_stmt_exec(s, st, "write meta");
}
