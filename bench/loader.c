/* SPDX-License-Identifier: Apache-2.0 */
/*
 * loader.c — the bulk loader of scenario 5.  Admitting 10^6 devices over
 * the network would take most of an hour on the benchmark machine, so the
 * members are written into the database of the STOPPED keystore, in
 * process, with the keystore's own functions (libkdc_keystore_core):
 *
 *   token   minted by the development AS (the same Encrypt0 CWT a device
 *           posts), then ks_tok_verify() + ks_tok_store(): the verification,
 *           N_S generation, row, audit line and token-count check of
 *           POST /authz-info;
 *   member  what gm_join.c's join() writes for a new member once the PoP
 *           has been checked: gm_node_name(), gm_sid_alloc() (the Sender ID
 *           allocator with its index lookups), ks_store_member_add(),
 *           ks_store_group_set_counters() and the "join" audit line.
 *
 * Left out, and why: the PoP signature (the loader made the credential
 * itself; the keystore's Ed25519 verification does not depend on the
 * group's size) and the network.  Credentials are real Ed25519 CCSs from a
 * pool of 256 keys, so rows have the size of real ones.  Transactions hold
 * 20,000 members each (the daemon commits one batch per loop iteration;
 * the rows are the same).
 */
#include "bench.h"

#include "conf.h"
#include "crypto.h"
#include "gm.h"
#include "gm_material.h"
#include "kek.h"
#include "ks.h"
#include "log.h"
#include "scope.h"
#include "tokens_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHUNK     20000
#define CRED_POOL 256

struct cred {
	uint8_t b[160];
	size_t n;
};

static int
add_one(struct ks *ks, struct b_env *e, struct ks_group *g,
        struct ks_tok_verified *v, const struct cred *cred,
        const uint8_t *scope, size_t scope_len, unsigned long serial)
{
	char kid[40], key[17], sidhex[2 * KDC_SID_MAX + 1];
	uint8_t *tok = NULL;
	size_t toklen = 0;
	const char *why = NULL;
	struct ks_member mem;
	uint8_t sid[8];
	size_t sid_len;
	bool replaced;
	int64_t now = (int64_t)time(NULL);
	int rc;

	snprintf(kid, sizeof(kid), "bulk-%lu", serial);
	for (size_t k = 0; k < 16; k++) {
		uint8_t b;

		kdc_random(&b, 1);
		key[k] = "abcdefghijklmnopqrstuvwxyz012345"[b % 32];
	}
	key[16] = '\0';
	/* Long-lived: scenario 5 must not start expiring them. */
	if (b_mint(e, kid, key, g->cfg.name, 30 * 86400, &tok, &toklen) != 0)
		return -1;
	memset(v, 0, sizeof(*v));
	rc = ks_tok_verify(ks, tok, toklen, now, v, &why);
	free(tok);
	if (rc != 0) {
		fprintf(stderr, "kdc-bench loader: token refused (%d): %s\n",
		        rc, why != NULL ? why : "");
		return -1;
	}
	rc = ks_tok_store(ks, "kdc-bench-loader", v, KS_VIA_AUTHZ_INFO, true,
	                  &replaced);
	if (rc != 0) {
		fprintf(stderr, "kdc-bench loader: token not stored (%d)\n",
		        rc);
		return -1;
	}
	/* The new member, as join() in keystore/gm_join.c writes it. */
	memset(&mem, 0, sizeof(mem));
	mem.group_id = g->id;
	mem.token_id = v->t.id;
	mem.joined_at = now;
	gm_node_name(g, mem.node);
	if (gm_sid_alloc(ks, g, sid, &sid_len) != 0)
		return -1;
	memcpy(mem.sid, sid, sid_len);
	mem.sid_len = sid_len;
	mem.has_sid = true;
	memcpy(mem.cred, cred->b, cred->n);
	mem.cred_len = cred->n;
	mem.cred_pop = true;
	mem.perm = KDC_PERM_REQ | KDC_PERM_RESP;
	kdc_random(mem.cnonce, 8);
	mem.cnonce_len = 8;
	memcpy(mem.join_scope, scope, scope_len);
	mem.join_scope_len = scope_len;
	memcpy(mem.birth_gid, g->gid, g->gid_len);
	mem.birth_gid_len = g->gid_len;
	mem.updated_at = now;
	if (ks_store_member_add(ks->store, &mem) != KS_OK ||
	    ks_store_group_set_counters(ks->store, g) != KS_OK)
		return -1;
	ks_store_audit(ks->store, "kdc-bench-loader", "join", g->cfg.name,
	               mem.node, "roles=%llu sid=%s",
	               (unsigned long long)mem.perm,
	               kdc_hex(sidhex, sizeof(sidhex), mem.sid, mem.sid_len));
	return 0;
}

long
b_bulk_load(struct b_env *e, const char *group, unsigned long target)
{
	static struct ks ks; /* large; the loader is not re-entrant */
	struct ks_tok_verified *v = NULL;
	struct cred *creds = NULL;
	struct ks_group g;
	struct kdc_cw scope;
	char err[2048];
	int64_t have = 0;
	long added = 0;
	int rc = -1;

	memset(&ks, 0, sizeof(ks));
	kdc_log_init("kdc-bench-loader", KDC_LOG_WARNING);
	kdc_conf_defaults(&ks.conf);
	if (kdc_conf_load(e->conf, &ks.conf, err, sizeof(err)) != 0) {
		fprintf(stderr, "kdc-bench loader: %s\n", err);
		return -1;
	}
	ks.batch.tail = &ks.batch.head;
	ks.kek = kdc_secure_alloc(32);
	v = kdc_secure_alloc(sizeof(*v));
	creds = calloc(CRED_POOL, sizeof(*creds));
	kdc_cw_init(&scope);
	if (ks.kek == NULL || v == NULL || creds == NULL ||
	    ks_kek_load(ks.conf.kek_file, false, ks.kek, err, sizeof(err)) !=
	            0 ||
	    ks_store_open(ks.conf.database, ks.kek, &ks.store) != KS_OK) {
		fprintf(stderr, "kdc-bench loader: cannot open %s\n",
		        ks.conf.database);
		goto out;
	}
	for (size_t i = 0; i < CRED_POOL; i++) {
		struct kdc_cose_key k;
		struct kdc_cw w;

		memset(&k, 0, sizeof(k));
		k.kty = KDC_KTY_OKP;
		k.crv = KDC_CRV_ED25519;
		kdc_ed25519_keypair(k.x, k.d);
		k.has_pub = true;
		kdc_cw_init(&w);
		kdc_ccs_encode(&w, "device", &k);
		if (!kdc_cw_ok(&w) || w.len > sizeof(creds[i].b)) {
			kdc_cw_free(&w);
			goto out;
		}
		memcpy(creds[i].b, w.buf, w.len);
		creds[i].n = w.len;
		kdc_cw_free(&w);
		kdc_cose_key_wipe(&k);
	}
	kdc_scope_encode_entry(&scope, group, KDC_PERM_REQ | KDC_PERM_RESP);
	if (!kdc_cw_ok(&scope))
		goto out;
	if (ks_store_group_by_name(ks.store, group, &g) != KS_OK ||
	    ks_store_member_count(ks.store, g.id, &have) != KS_OK) {
		fprintf(stderr, "kdc-bench loader: no group %s\n", group);
		goto out;
	}
	while ((unsigned long)have + (unsigned long)added < target) {
		unsigned long left =
		        target - (unsigned long)have - (unsigned long)added;
		unsigned long n = left < CHUNK ? left : CHUNK;

		if (ks_store_begin(ks.store) != KS_OK)
			goto out;
		for (unsigned long i = 0; i < n; i++) {
			unsigned long serial =
			        (unsigned long)have + (unsigned long)added + i;

			if (add_one(&ks, e, &g, v, &creds[serial % CRED_POOL],
			            scope.buf, scope.len, serial) != 0) {
				ks_store_rollback(ks.store);
				goto out;
			}
		}
		if (ks_store_commit(ks.store) != KS_OK)
			goto out;
		added += (long)n;
	}
	rc = 0;
out:
	kdc_cw_free(&scope);
	if (ks.store != NULL)
		ks_store_close(ks.store);
	kdc_secure_free(ks.kek);
	kdc_secure_free(v);
	free(creds);
	return rc == 0 ? added : -1;
}
