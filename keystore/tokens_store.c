/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tokens_store.c — keeping a verified token: one row per PoP key, a newer
 * token for the same key replacing the older one in place (RFC 9200
 * §5.10.1, RFC 9202 §4 and §7.2), so that the handle every DTLS session of
 * that key is bound to now names the new authorisation.  Memberships the
 * new scope no longer covers are dropped (digest P14).
 */
#include "tokens_int.h"

#include "crypto.h"
#include "gm.h"
#include "log.h"

#include <string.h>

int
ks_tok_store(struct ks *ks, const char *actor, struct ks_tok_verified *v,
             uint8_t via, bool gen_ns, bool *replaced)
{
	struct ks_token *t = &v->t;
	struct ks_token *old;
	char key[96], cti[2 * 16 + 4];
	int64_t now = t->received_at; /* set by ks_tok_verify() */
	bool exists, same;
	int rc;

	*replaced = false;
	old = kdc_secure_alloc(sizeof(*old));
	if (old == NULL)
		return -1;
	rc = ks_store_token_by_fpr(ks->store, t->pop_fpr, false, old);
	if (rc == KS_ERR) {
		kdc_secure_free(old);
		return -1;
	}
	exists = rc == KS_OK;
	/* The stored token itself, presented again (same cti). */
	same = exists && t->cti_len > 0 && old->cti_len == t->cti_len &&
	       memcmp(old->cti, t->cti, t->cti_len) == 0;
	if (same && old->received_at < now) {
		/* The same token again (e.g. in every PSK handshake): exi
		 * counts from its first receipt (RFC 9200 §5.10.3). */
		int64_t exi_exp = old->exp;

		t->received_at = old->received_at;
		if (exi_exp < t->exp)
			t->exp = exi_exp;
	}
	/* RFC 9200 §5.10.1: a newer token for a PoP key replaces the stored
	 * one -- newer, not merely other: a token issued before the stored
	 * one is a replay of one it superseded (anyone may post a token over
	 * plain CoAP), and taking it would restore what the newer token
	 * changed, a wider scope for one.  Ordered by iat when both have
	 * it; exi tokens by their sequence number below. */
	if (exists && t->has_iat && old->has_iat && t->iat < old->iat) {
		log_info("token refused: issued at %lld, before the token "
		         "stored for its key (%lld)",
		         (long long)t->iat, (long long)old->iat);
		kdc_secure_free(old);
		return KS_CODE(4, 1);
	}
	if (t->exi_seq >= 0) {
		int64_t ended;

		if (ks_store_exi_expired(ks->store, t->as_id, &ended) !=
		    KS_OK) {
			kdc_secure_free(old);
			return -1;
		}
		/* RFC 9200 §5.10.3: sequence numbers up to the highest of an
		 * exi token that ended are expired -- unless this is the
		 * stored token itself, presented again.  A token older than
		 * the one stored for the same key is a replay of one it
		 * superseded. */
		if ((!same && t->exi_seq <= ended) ||
		    (exists && !same && old->exi_seq >= 0 &&
		     old->as_id == t->as_id && t->exi_seq < old->exi_seq)) {
			log_info("exi token refused: sequence number %lld of "
			         "AS %lld has ended (highest ended %lld)",
			         (long long)t->exi_seq, (long long)t->as_id,
			         (long long)ended);
			kdc_secure_free(old);
			return KS_CODE(4, 1);
		}
	}
	kdc_secure_free(old);
	if (!exists && ks->conf.max_tokens > 0) {
		int64_t n;

		if (ks_store_token_count(ks->store, &n) != KS_OK)
			return -1;
		if (n >= (int64_t)ks->conf.max_tokens) {
			log_warn("token table full (%lld of max_tokens %u)",
			         (long long)n, ks->conf.max_tokens);
			return KS_CODE(5, 3);
		}
	}
	if (t->exp <= now) {
		/* Its exi ran out since the first receipt. */
		return KS_CODE(4, 1);
	}
	t->via = via;
	t->revoked = false;
	t->ns_len = 0;
	/* RFC 9594 §3.3.2, GO §5.3: a fresh N_S for the Token Transfer
	 * Response, kept with the token.  A token that arrived in the DTLS
	 * handshake gets its N_S from the exporter instead (GO §6.1.1). */
	if (gen_ns && ks_tok_needs_ns(&v->scope)) {
		kdc_random(t->ns, KS_TOK_NS_LEN);
		t->ns_len = KS_TOK_NS_LEN;
	}
	rc = ks_store_token_put(ks->store, t, replaced);
	if (rc != KS_OK) {
		log_err("storing a token failed (%d)", rc);
		return -1;
	}
	ks->batch.rearm_timers = true;
	/* A narrower scope ends the memberships it no longer covers
	 * (removal reason 3 of RFC 9594 §5). */
	if (*replaced && gm_token_memberships_drop(ks, actor, t, &v->scope,
	                                           IPC_REMOVED_TOKEN) != 0)
		return -1;
	ks_tok_keyname(t, key, sizeof(key));
	ks_store_audit(
	        ks->store, actor, *replaced ? "token-replace" : "token-store",
	        NULL, NULL, "%s cti=%s as=%lld via=%s exp=%lld", key,
	        t->cti_len > 0 ? kdc_hex(cti, sizeof(cti), t->cti, t->cti_len)
	                       : "-",
	        (long long)t->as_id, via == KS_VIA_DTLS ? "dtls" : "authz-info",
	        (long long)t->exp);
	log_info("token %lld %s (%s, %zu scope entries)", (long long)t->id,
	         *replaced ? "replaced" : "stored", key, v->scope.n);
	return 0;
}
