/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store.h — the keystore's storage interface.  All SQL lives behind it, in
 * keystore/store_*.c, grouped by what is stored (tokens, groups, members,
 * stale Sender IDs, KDC keys, AS trust, audit, admin reports).  Protocol
 * logic never builds SQL, so a second backend (PostgreSQL, for keystores on
 * several hosts) can implement this header later.  The embedded default is
 * SQLite: WAL, synchronous=FULL, foreign keys on, STRICT tables, migrations
 * from schema/ applied at open (docs/DESIGN.md §5).
 *
 * Transactions: the batch layer (batch.c) calls ks_store_begin() once per
 * loop iteration and wraps each request in a savepoint; store functions
 * never begin or commit on their own.
 *
 * Secrets: columns *_sealed are sealed with the KEK given to
 * ks_store_open() (kdc_seal, AAD "kdc/<table>/<column>/<row id or key>");
 * functions that return secrets unseal into caller-provided memory, which
 * the caller keeps in kdc_secure_alloc() memory or wipes.
 *
 * Return values: 0 success, KS_NOTFOUND when a looked-up row does not exist,
 * KS_EXISTS on a uniqueness conflict the caller can report, KS_ERR on any
 * other failure (already logged with the SQLite message).
 */
#ifndef KDC_KS_STORE_H
#define KDC_KS_STORE_H

#include "cose.h"
#include "gm_material.h"
#include "group_config.h"
#include "ipc_msg.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { KS_OK = 0, KS_NOTFOUND = 1, KS_EXISTS = 2, KS_ERR = -1 };

#define KS_CRED_MAX       1024
#define KS_NONCE_MAX      64
#define KS_URI_MAX        255
#define KS_SCOPE_MAX      2048
#define KS_ISSUER_MAX     255
#define KS_JOIN_SCOPE_MAX 256

struct ks_store;

/* ---- lifecycle and transactions ---- */

/* Open (creating if needed) the database at path, apply migrations, refuse
 * a database whose user_version is newer than the binary knows.  kek is
 * copied into guarded memory. */
int ks_store_open(const char *path, const uint8_t kek[32],
                  struct ks_store **out);
void ks_store_close(struct ks_store *s);
/* Schema version the binary knows (last embedded migration). */
int ks_store_schema_version(void);
/* user_version of an open database. */
int ks_store_db_version(struct ks_store *s);

int ks_store_begin(struct ks_store *s);  /* BEGIN IMMEDIATE */
int ks_store_commit(struct ks_store *s); /* COMMIT (fsync with FULL) */
int ks_store_rollback(struct ks_store *s);
bool ks_store_in_txn(struct ks_store *s);
int ks_store_savepoint(struct ks_store *s);   /* SAVEPOINT req */
int ks_store_release(struct ks_store *s);     /* RELEASE req */
int ks_store_rollback_to(struct ks_store *s); /* ROLLBACK TO + RELEASE */

/* ---- meta ---- */
int ks_store_meta_get_int(struct ks_store *s, const char *key, int64_t *v);
int ks_store_meta_set_int(struct ks_store *s, const char *key, int64_t v);

/* ---- trusted Authorization Servers ---- */

struct ks_as {
	int64_t id;
	char name[IPC_NAME_MAX + 1];
	char issuer[KS_ISSUER_MAX + 1]; /* empty: not checked */
	char audience[KS_ISSUER_MAX + 1];
	uint8_t kind; /* ipc_as_kind */
	int64_t alg;
	uint8_t kid[KDC_COSE_MAX_KID];
	size_t kid_len;          /* 0: any kid */
	struct kdc_cose_key key; /* unsealed; wipe after use */
	bool has_psk_kdk;
	uint8_t psk_kdk[64]; /* RFC 9202 key-derivation key; secret */
	size_t psk_kdk_len;
	int64_t created_at;
};
/* Insert; fills a->id.  KS_EXISTS if the name is taken. */
int ks_store_as_add(struct ks_store *s, struct ks_as *a);
/* Its tokens go with it (ON DELETE CASCADE); KS_ERR while one of them
 * still authorises a member (remove the memberships first). */
int ks_store_as_remove(struct ks_store *s, const char *name);
/* The AS whose kind matches and whose kid is NULL or equal to kid, with the
 * key unsealed: those naming the kid first, then by id, skipping the first
 * `skip` of them (a token without a kid is tried against each AS of its
 * kind in turn).  KS_NOTFOUND if none. */
int ks_store_as_find(struct ks_store *s, uint8_t kind, const uint8_t *kid,
                     size_t kid_len, unsigned skip, struct ks_as *out);
int ks_store_as_get(struct ks_store *s, int64_t id, struct ks_as *out);
/* Iterate all (keys not unsealed: out->key is zeroed).  cb returns 0 to go
 * on, non-zero to stop. */
int ks_store_as_list(struct ks_store *s,
                     int (*cb)(void *arg, const struct ks_as *a), void *arg);
/* Distinct audiences of all trusted ASes (for the aud check). */
int ks_store_as_audiences(struct ks_store *s,
                          int (*cb)(void *arg, const char *aud), void *arg);

/* ---- tokens (one row per PoP key) ---- */

enum ks_pop_kind { KS_POP_SYMMETRIC = 1, KS_POP_ASYMMETRIC = 2 };
enum ks_token_via { KS_VIA_AUTHZ_INFO = 1, KS_VIA_DTLS = 2 };

struct ks_token {
	int64_t id;
	struct ipc_binding handle;
	int64_t as_id;
	uint8_t cti[64];
	size_t cti_len;
	uint8_t pop_kind; /* ks_pop_kind */
	uint8_t pop_kid[KDC_COSE_MAX_KID];
	size_t pop_kid_len;
	uint8_t pop_fpr[32];
	struct kdc_cose_key pop_key; /* symmetric key unsealed on request, or
	                                the public key */
	uint8_t scope[KS_SCOPE_MAX];
	size_t scope_len;
	int64_t exp;
	int64_t received_at;
	uint8_t via; /* ks_token_via */
	uint8_t ns[KS_NONCE_MAX];
	size_t ns_len;
	bool revoked;
	/* RFC 9200 §5.10.3: the sequence number of the cti of a token with an
	 * exi claim; -1 for a token without exi. */
	int64_t exi_seq;
	/* The iat claim, if the token had one (has_iat). */
	bool has_iat;
	int64_t iat;
};
/*
 * Insert a token or, if a row with the same pop_fpr exists, replace its
 * content (keeping id and handle; RFC 9200 §5.10.1).  On insert a fresh
 * random handle is generated.  t->id, t->handle are filled; *replaced tells
 * which case happened.  The symmetric key in t->pop_key is sealed.
 */
int ks_store_token_put(struct ks_store *s, struct ks_token *t, bool *replaced);
/* Lookups; with_secret unseals a symmetric pop key. */
int ks_store_token_by_handle(struct ks_store *s, const struct ipc_binding *h,
                             bool with_secret, struct ks_token *out);
int ks_store_token_by_kid(struct ks_store *s, const uint8_t *kid, size_t n,
                          bool with_secret, struct ks_token *out);
int ks_store_token_by_fpr(struct ks_store *s, const uint8_t fpr[32],
                          bool with_secret, struct ks_token *out);
int ks_store_token_by_id(struct ks_store *s, int64_t id, bool with_secret,
                         struct ks_token *out);
int ks_store_token_set_ns(struct ks_store *s, int64_t id, const uint8_t *ns,
                          size_t n);
int ks_store_token_revoke(struct ks_store *s, int64_t id);
/* KS_ERR while a member refers to the token (remove memberships first). */
int ks_store_token_delete(struct ks_store *s, int64_t id);
/* Earliest exp of all tokens, KS_NOTFOUND if none. */
int ks_store_token_next_exp(struct ks_store *s, int64_t *exp);
/* Tokens with exp <= now or revoked (ids, up to max, in no particular
 * order). */
int ks_store_token_expired(struct ks_store *s, int64_t now, int64_t *ids,
                           size_t max, size_t *n);
int ks_store_token_list(struct ks_store *s,
                        int (*cb)(void *arg, const struct ks_token *t),
                        void *arg);
int ks_store_token_count(struct ks_store *s, int64_t *n);
/* RFC 9200 §5.10.3, per AS: the highest sequence number of an exi token
 * that ended (-1 when none), and raising it (never lowered). */
int ks_store_exi_expired(struct ks_store *s, int64_t as_id, int64_t *seq);
int ks_store_exi_expired_raise(struct ks_store *s, int64_t as_id, int64_t seq);

/* ---- groups ---- */

struct ks_group {
	int64_t id;
	struct kdc_group_config cfg;
	int64_t created_at;
	uint8_t gid_prefix[8];
	size_t gid_prefix_len;
	uint64_t epoch;
	uint8_t gid[KDC_GID_MAX]; /* current Gid = prefix || epoch */
	size_t gid_len;
	uint64_t num;
	int64_t exp;
	int64_t rekeyed_at_ms;
	uint8_t salt[16];
	size_t salt_len;
	uint64_t sid_next;
	bool sid_wrap;
	uint64_t node_next;
	uint32_t rekey_pending; /* ks_rekey_reason bits */
	uint64_t rekeys_done;
};

/* Create with initial material (ms sealed here).  g->id filled.  KS_EXISTS
 * if the name or the Gid prefix is taken. */
int ks_store_group_create(struct ks_store *s, struct ks_group *g,
                          const uint8_t *ms, size_t ms_len);
int ks_store_group_by_name(struct ks_store *s, const char *name,
                           struct ks_group *out);
int ks_store_group_by_id(struct ks_store *s, int64_t id, struct ks_group *out);
/* Groups whose current Gid equals gid (cb per group). */
int ks_store_group_by_gid(struct ks_store *s, const uint8_t *gid, size_t n,
                          int (*cb)(void *arg, const struct ks_group *g),
                          void *arg);
int ks_store_group_list(struct ks_store *s,
                        int (*cb)(void *arg, const struct ks_group *g),
                        void *arg);
/* Update the updatable config fields (KDC_GF_* in mask). */
int ks_store_group_update_config(struct ks_store *s, int64_t id,
                                 const struct kdc_group_config *c,
                                 uint32_t mask);
int ks_store_group_delete(struct ks_store *s, int64_t id);
/* Load the current material (ms unsealed into m->ms) and parameters. */
int ks_store_group_material(struct ks_store *s, const struct ks_group *g,
                            struct kdc_group_material *m);
/*
 * Install new material: writes num, epoch, gid, ms (sealed), salt, exp,
 * rekeyed_at_ms, sid_next/sid_wrap, rekey_pending = 0, rekeys_done + 1 from
 * g, and moves the previous material to group_prev with keep_until.
 */
int ks_store_group_rekey(struct ks_store *s, const struct ks_group *g,
                         const uint8_t *ms, size_t ms_len, int64_t keep_until);
/* Persist allocation counters / pending-rekey bits. */
int ks_store_group_set_counters(struct ks_store *s, const struct ks_group *g);
/* Previous material past keep_until is deleted; returns how many. */
int ks_store_group_prev_expire(struct ks_store *s, int64_t now, int64_t *n);
int ks_store_group_prev_next(struct ks_store *s, int64_t *keep_until);

/* ---- members ---- */

struct ks_member {
	int64_t id;
	int64_t group_id;
	int64_t token_id;
	char node[IPC_NODE_MAX + 1];
	uint64_t perm;
	bool has_sid;
	uint8_t sid[KDC_SID_MAX];
	size_t sid_len;
	uint8_t cred[KS_CRED_MAX];
	size_t cred_len; /* 0: none stored */
	bool cred_pop;
	uint8_t cnonce[KS_NONCE_MAX];
	size_t cnonce_len;
	/* Scope of the latest Join Request, as received (RFC 9594 §4.9.1 PoP
	 * input of a credential update). */
	uint8_t join_scope[KS_JOIN_SCOPE_MAX];
	size_t join_scope_len;
	char control_uri[KS_URI_MAX + 1]; /* empty: none */
	uint8_t birth_gid[KDC_GID_MAX];
	size_t birth_gid_len;
	int64_t joined_at;
	int64_t updated_at;
};

/* Insert (m->id filled); KS_EXISTS on (group,node), (group,token) or
 * (group,sid) conflicts. */
int ks_store_member_add(struct ks_store *s, struct ks_member *m);
/* Update every mutable column of an existing member (by m->id). */
int ks_store_member_update(struct ks_store *s, const struct ks_member *m);
int ks_store_member_remove(struct ks_store *s, int64_t id);
int ks_store_member_by_id(struct ks_store *s, int64_t id,
                          struct ks_member *out);
int ks_store_member_by_node(struct ks_store *s, int64_t group_id,
                            const char *node, struct ks_member *out);
int ks_store_member_by_token(struct ks_store *s, int64_t group_id,
                             int64_t token_id, struct ks_member *out);
/* True (1) if a current member of the group holds sid, 0 if not. */
int ks_store_member_sid_taken(struct ks_store *s, int64_t group_id,
                              const uint8_t *sid, size_t n);
int ks_store_member_count(struct ks_store *s, int64_t group_id, int64_t *n);
/* Iterators (cb returns non-zero to stop).  member_list and
 * member_with_control_uri go in node-name order (the index order, so no
 * sort of a large group), the others in id order. */
int ks_store_member_list(struct ks_store *s, int64_t group_id,
                         int (*cb)(void *arg, const struct ks_member *m),
                         void *arg);
/* Members holding a Sender ID in ids (for FETCH creds id_filter). */
int ks_store_member_by_sid(struct ks_store *s, int64_t group_id,
                           const uint8_t *sid, size_t n, struct ks_member *out);
int ks_store_member_by_token_all(struct ks_store *s, int64_t token_id,
                                 int (*cb)(void *arg,
                                           const struct ks_member *m),
                                 void *arg);
int ks_store_member_by_birth_gid(
        struct ks_store *s, int64_t group_id, const uint8_t *gid, size_t n,
        int (*cb)(void *arg, const struct ks_member *m), void *arg);
/* Members with a control URI (for point-to-point delivery). */
int ks_store_member_with_control_uri(struct ks_store *s, int64_t group_id,
                                     int (*cb)(void *arg,
                                               const struct ks_member *m),
                                     void *arg);
/* Set birth_gid of the given members (parked joiners after a rekey). */
int ks_store_member_set_birth_gid(struct ks_store *s, int64_t member_id,
                                  const uint8_t *gid, size_t n);
int ks_store_member_total(struct ks_store *s, int64_t *n);

/* ---- stale Sender ID sets (GO §7.1) ---- */

/* Creating an existing set is not an error; stale_add creates the set if
 * needed and ignores a Sender ID already in it. */
int ks_store_stale_create_set(struct ks_store *s, int64_t group_id,
                              uint64_t version);
int ks_store_stale_add(struct ks_store *s, int64_t group_id, uint64_t version,
                       const uint8_t *sid, size_t n);
/* 1 if sid is in the set of version, else 0. */
int ks_store_stale_contains(struct ks_store *s, int64_t group_id,
                            uint64_t version, const uint8_t *sid, size_t n);
int ks_store_stale_count_sets(struct ks_store *s, int64_t group_id, int64_t *n);
/* Delete the oldest sets so that at most keep remain. */
int ks_store_stale_trim(struct ks_store *s, int64_t group_id, int64_t keep);
/* Sender IDs of the set of one version (cb per sid). */
int ks_store_stale_list(struct ks_store *s, int64_t group_id, uint64_t version,
                        int (*cb)(void *arg, const uint8_t *sid, size_t n),
                        void *arg);
/* Union without duplicates of the sets with version >= min_version. */
int ks_store_stale_union(struct ks_store *s, int64_t group_id,
                         uint64_t min_version,
                         int (*cb)(void *arg, const uint8_t *sid, size_t n),
                         void *arg);

/* ---- the KDC's own credentials ---- */

struct ks_kdc_key {
	int64_t id;
	char kind[16]; /* "sign-ed25519", "sign-p256", "dh-x25519", "dh-p256" */
	uint8_t cred[KS_CRED_MAX]; /* CCS */
	size_t cred_len;
	struct kdc_cose_key priv; /* unsealed (with public parts) */
	int64_t created_at;
	int64_t retired_at; /* 0: current */
};
int ks_store_kdc_key_current(struct ks_store *s, const char *kind,
                             struct ks_kdc_key *out);
/* Insert as current, retiring the previous current key of that kind. */
int ks_store_kdc_key_put(struct ks_store *s, struct ks_kdc_key *k);
/* Listing does not unseal: k->priv is zeroed. */
int ks_store_kdc_key_list(struct ks_store *s,
                          int (*cb)(void *arg, const struct ks_kdc_key *k),
                          void *arg);

/* ---- audit (append-only) ---- */

int ks_store_audit(struct ks_store *s, const char *actor, const char *action,
                   const char *group, const char *node, const char *fmt, ...)
        __attribute__((format(printf, 6, 7)));
struct ks_audit_row {
	int64_t id;
	int64_t at;
	const char *actor, *action, *group, *node, *detail; /* NULL if NULL */
};
int ks_store_audit_query(struct ks_store *s, int64_t since_id,
                         const char *group, const char *action, uint32_t limit,
                         int (*cb)(void *arg, const struct ks_audit_row *r),
                         void *arg);

/* ---- admin reports ---- */

/* Run a read-only statement on a separate read-only connection (authorizer
 * denies anything but reads), rows into an ADM_RESULT table.  It sees the
 * last committed state.  KS_ERR with the reason in err when refused or
 * failed (tb may then hold a partial table: discard it); on KS_OK err is ""
 * or notes that the result was truncated (10,000 rows, 4 MiB). */
int ks_store_sql_readonly(struct ks_store *s, const char *sql,
                          struct ipc_tab_builder *tb, char *err, size_t errlen);
/* PRAGMA integrity_check + foreign_key_check into a table. */
int ks_store_check(struct ks_store *s, struct ipc_tab_builder *tb);
/* Online backup (sqlite3_backup) of the last committed state into a new
 * file at path (mode 0600); KS_EXISTS if path already exists. */
int ks_store_backup(struct ks_store *s, const char *path);
/* Database file size / page counts for status. */
int ks_store_stats(struct ks_store *s, int64_t *db_bytes);

/* Re-seal every sealed value under new_kek, in one transaction that is
 * rolled back on any failure (store_rekek.c); afterwards the store uses
 * new_kek.  *count = values re-sealed.  For kdc-keystore --rekey-kek, with
 * no other process using the database. */
int ks_store_rekek(struct ks_store *s, const uint8_t new_kek[32],
                   size_t *count);

#endif
