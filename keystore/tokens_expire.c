/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tokens_expire.c — the end of a token (RFC 9200 §5.10.3, RFC 9202 §5,
 * RFC 9594 §5 removal reason 3): its memberships are dropped (with the
 * forward-security rekeys of their groups), every frontend learns that its
 * binding is gone (it ends the DTLS sessions and observations bound to
 * it), and the row is deleted with its N_S (RFC 9594 §3.3).
 */
#include "tokens.h"
#include "tokens_int.h"

#include "crypto.h"
#include "gm.h"
#include "log.h"

#include <string.h>

#define EXPIRE_CHUNK 64

static void
push_gone(struct ks *ks, const struct ks_token *t)
{
	struct ipc_binding_gone g;
	struct ipc_wbuf w;

	memset(&g, 0, sizeof(g));
	g.binding = t->handle;
	g.reason = t->revoked ? IPC_GONE_REVOKED : IPC_GONE_EXPIRED;
	ipc_wbuf_init(&w);
	if (ipc_enc_binding_gone(&w, &g) == 0 && ipc_wbuf_ok(&w))
		ks_push_frontends(ks, IPC_MSG_PUSH_BINDING_GONE, &w);
	ipc_wbuf_free(&w);
}

int
ks_tok_remove(struct ks *ks, const char *actor, int64_t id, const char *action)
{
	struct ks_token *t = kdc_secure_alloc(sizeof(*t));
	char key[96];
	int rc;

	if (t == NULL)
		return KS_ERR;
	rc = ks_store_token_by_id(ks->store, id, false, t);
	if (rc != KS_OK)
		goto out;
	rc = KS_ERR;
	if (gm_token_memberships_drop(ks, actor, t, NULL, IPC_REMOVED_TOKEN) !=
	    0)
		goto out;
	push_gone(ks, t);
	if (ks_store_token_delete(ks->store, id) != KS_OK)
		goto out;
	/* RFC 9200 §5.10.3: an exi token that ended (expired, or revoked:
	 * either way it must not come back with a fresh lifetime) moves the
	 * AS's expired sequence number up. */
	if (t->exi_seq >= 0 && ks_store_exi_expired_raise(ks->store, t->as_id,
	                                                  t->exi_seq) != KS_OK)
		goto out;
	ks_tok_keyname(t, key, sizeof(key));
	ks_store_audit(ks->store, actor, action, NULL, NULL, "token=%lld %s%s",
	               (long long)id, key, t->revoked ? " revoked" : "");
	log_info("token %lld %s (%s)", (long long)id,
	         t->revoked ? "revoked" : "expired", key);
	ks->batch.rearm_timers = true;
	rc = KS_OK;
out:
	kdc_secure_free(t);
	return rc;
}

int
ks_tokens_expire(struct ks *ks, int64_t now)
{
	int64_t ids[EXPIRE_CHUNK];
	size_t n, removed;

	/* Every pass deletes what it found (or fails), so this ends; a pass
	 * that removes nothing stops it all the same. */
	do {
		if (ks_store_token_expired(ks->store, now, ids, EXPIRE_CHUNK,
		                           &n) != KS_OK)
			return -1;
		removed = 0;
		for (size_t i = 0; i < n; i++) {
			int rc = ks_tok_remove(ks, "keystore", ids[i],
			                       "token-expire");

			if (rc == KS_OK)
				removed++;
			else if (rc != KS_NOTFOUND)
				return -1;
		}
	} while (n == EXPIRE_CHUNK && removed > 0);
	return 0;
}

int64_t
ks_tokens_next_exp(struct ks *ks)
{
	int64_t exp;

	return ks_store_token_next_exp(ks->store, &exp) == KS_OK ? exp : 0;
}

int
ks_token_revoke(struct ks *ks, const char *actor, int64_t id)
{
	int rc = ks_store_token_revoke(ks->store, id);

	if (rc != KS_OK)
		return rc;
	/* Revocation takes effect now, not at the next timer tick. */
	return ks_tok_remove(ks, actor, id, "token-revoke");
}
