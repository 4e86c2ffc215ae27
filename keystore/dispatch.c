/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dispatch.c — one static table of requests per peer kind, in the manner
 * of OpenSSH's mon_dispatch tables: a request runs only if the message
 * catalogue allows its type from that kind of peer (ipc_msg_allowed) AND
 * the peer's own table lists it.  Anything else is a broken or compromised
 * peer: the request is refused and the connection dropped (docs/DESIGN.md
 * §4).
 *
 * Each request runs inside the batch transaction in its own savepoint; a
 * failing handler's changes, replies and pushes are undone and the request
 * is answered with the internal error of its reply type (ks.h).
 */
#include "handlers.h"

#include "clock.h"
#include "gm.h"
#include "log.h"

#define FE_REQ(t, fn, reply)                                                   \
	{                                                                      \
		IPC_MSG_##t, IPC_MSG_##reply, 0, fn                            \
	}

static const struct ks_dispatch_entry fe_table[] = {
        /* ACE transport (RFC 9200 §5.10.1, RFC 9202). */
        FE_REQ(AUTHZ_INFO, ks_h_authz_info, COAP_RESULT),
        FE_REQ(PSK_IDENTITY, ks_h_psk_identity, PSK_RESULT),
        FE_REQ(RPK_IDENTITY, ks_h_rpk_identity, PSK_RESULT),
        /* The RFC 9594 interface. */
        FE_REQ(GROUP_NAMES, ks_h_group_names, COAP_RESULT),
        FE_REQ(JOIN, ks_h_join, COAP_RESULT),
        FE_REQ(GROUP_READ, ks_h_group_read, COAP_RESULT),
        FE_REQ(CREDS, ks_h_creds, COAP_RESULT),
        FE_REQ(KDC_CRED_FETCH, ks_h_kdc_cred_fetch, COAP_RESULT),
        FE_REQ(STALE_SIDS, ks_h_stale_sids, COAP_RESULT),
        FE_REQ(NODE, ks_h_node, COAP_RESULT),
        FE_REQ(NODE_CRED, ks_h_node_cred, COAP_RESULT),
        FE_REQ(GROUP_LIST, ks_h_group_list, GROUP_LIST_RESULT),
        {IPC_MSG_FE_STATS, 0, KS_DF_NOTIFY, ks_h_fe_stats},
};

#define ADM_REQ(t, fn)                                                         \
	{                                                                      \
		IPC_MSG_ADM_##t, IPC_MSG_ADM_RESULT, 0, fn                     \
	}

static const struct ks_dispatch_entry adm_table[] = {
        ADM_REQ(STATUS, ks_h_adm_status),
        ADM_REQ(GROUP_CREATE, ks_h_adm_group_create),
        ADM_REQ(GROUP_LIST, ks_h_adm_group_list),
        ADM_REQ(GROUP_SHOW, ks_h_adm_group_show),
        ADM_REQ(GROUP_UPDATE, ks_h_adm_group_update),
        ADM_REQ(GROUP_DELETE, ks_h_adm_group_delete),
        ADM_REQ(MEMBER_LIST, ks_h_adm_member_list),
        ADM_REQ(MEMBER_SHOW, ks_h_adm_member_show),
        ADM_REQ(MEMBER_EVICT, ks_h_adm_member_evict),
        ADM_REQ(REKEY, ks_h_adm_rekey),
        ADM_REQ(AS_ADD, ks_h_adm_as_add),
        ADM_REQ(AS_LIST, ks_h_adm_as_list),
        ADM_REQ(AS_REMOVE, ks_h_adm_as_remove),
        ADM_REQ(KDC_CRED_SHOW, ks_h_adm_kdc_cred_show),
        ADM_REQ(KDC_CRED_ROTATE, ks_h_adm_kdc_cred_rotate),
        ADM_REQ(TOKEN_LIST, ks_h_adm_token_list),
        ADM_REQ(TOKEN_REVOKE, ks_h_adm_token_revoke),
        ADM_REQ(AUDIT, ks_h_adm_audit),
        ADM_REQ(SQL, ks_h_adm_sql),
        ADM_REQ(DB_BACKUP, ks_h_adm_db_backup),
        ADM_REQ(DB_CHECK, ks_h_adm_db_check),
        ADM_REQ(RELOAD, ks_h_adm_reload),
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

const struct ks_dispatch_entry *
ks_dispatch_table(uint8_t peer_kind, size_t *n)
{
	switch (peer_kind) {
	case IPC_PEER_FRONTEND:
		*n = NELEM(fe_table);
		return fe_table;
	case IPC_PEER_ADMIN:
		*n = NELEM(adm_table);
		return adm_table;
	default:
		*n = 0;
		return NULL;
	}
}

const struct ks_dispatch_entry *
ks_dispatch_lookup(uint8_t peer_kind, uint16_t type)
{
	size_t n;
	const struct ks_dispatch_entry *t = ks_dispatch_table(peer_kind, &n);

	for (size_t i = 0; i < n; i++)
		if (t[i].type == type)
			return &t[i];
	return NULL;
}

/* The handler failed: undo its changes and what it queued. */
static void
undo(struct ks *ks, const struct ks_outbox_mark *m)
{
	if (ks_store_rollback_to(ks->store) != KS_OK) {
		/* The transaction holds changes that cannot be separated
		 * from the others': give up the whole batch. */
		log_err("keystore: cannot roll back a failed request; the "
		        "batch will be rolled back");
		ks->batch.failed = true;
	}
	ks_outbox_truncate(ks, m);
	/* A rotated KDC key may be cached although its row is gone. */
	ks_kdc_keys_forget();
}

int
ks_dispatch(struct ks_peer *p, const struct ipc_hdr *h, const uint8_t *payload)
{
	struct ks *ks = p->ks;
	const struct ks_dispatch_entry *e;
	struct ks_outbox_mark m;
	struct ks_req r;
	int rc;

	if (h->flags != 0) {
		log_warn("refused %s with flags 0x%x from %s",
		         ipc_msg_name(h->type), (unsigned)h->flags, p->actor);
		return -1;
	}
	e = ks_dispatch_lookup(p->kind, h->type);
	if (e == NULL || !ipc_msg_allowed(h->type, p->kind)) {
		log_warn("refused %s (type %u) from %s", ipc_msg_name(h->type),
		         (unsigned)h->type, p->actor);
		return -1;
	}
	ks->stats.requests++;
	r.ks = ks;
	r.peer = p;
	r.type = h->type;
	r.reqid = h->reqid;
	r.payload = payload;
	r.len = h->len;
	r.now = ks->batch.open ? ks->batch.started_at : kdc_now();

	if (e->flags & KS_DF_NOTIFY) {
		/* No reply, no state: no transaction either. */
		rc = e->handler(&r);
		if (rc == KS_H_MALFORMED) {
			log_warn("malformed %s from %s", ipc_msg_name(h->type),
			         p->actor);
			return -1;
		}
		return 0;
	}

	if (ks_batch_ensure(ks) != 0) {
		ks_reply_internal_error(&r, e->reply, "database unavailable");
		return 0;
	}
	r.now = ks->batch.started_at;
	ks_outbox_mark(ks, &m);
	if (ks_store_savepoint(ks->store) != KS_OK) {
		ks_reply_internal_error(&r, e->reply, "database unavailable");
		return 0;
	}
	ks->batch.requests++;
	rc = e->handler(&r);
	if (rc == KS_H_OK) {
		if (ks_store_release(ks->store) == KS_OK)
			return 0;
		log_err("%s: %s: cannot release its savepoint", p->actor,
		        ipc_msg_name(h->type));
		rc = KS_H_FAIL;
	}
	undo(ks, &m);
	if (rc == KS_H_MALFORMED) {
		log_warn("malformed %s from %s", ipc_msg_name(h->type),
		         p->actor);
		return -1;
	}
	log_err("%s: %s failed: answered with an internal error", p->actor,
	        ipc_msg_name(h->type));
	ks_reply_internal_error(&r, e->reply, "internal error");
	return 0;
}
