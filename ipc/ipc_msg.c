/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ipc_msg.c — the catalogue table: for every message type its name for
 * log lines, the peer kinds allowed to send it and whether a request
 * expects a reply.  One table, checked before any dispatch (the OpenSSH
 * monitor's mon_dispatch tables); a type absent from it is unknown and
 * nobody may send it.
 */
#include "ipc_msg.h"
#include "ipc_priv.h"

#include <sodium.h>
#include <stdlib.h>

#define FE  (1u << IPC_PEER_FRONTEND)
#define ADM (1u << IPC_PEER_ADMIN)
#define KS  (1u << IPC_PEER_KEYSTORE)

struct msg_info {
	uint16_t type;
	const char *name;
	uint8_t senders;    /* bit (1 << ipc_peer_kind) per allowed sender */
	bool expects_reply; /* requests only */
};

#define REQ(t, who)  [IPC_MSG_##t] = {IPC_MSG_##t, #t, (who), true}
#define NOTE(t, who) [IPC_MSG_##t] = {IPC_MSG_##t, #t, (who), false}
#define ANS(t)       [IPC_MSG_##t] = {IPC_MSG_##t, #t, KS, false}

static const struct msg_info msg_table[] = {
        /* The keystore answers HELLO with HELLO (or ERROR). */
        [IPC_MSG_HELLO] = {IPC_MSG_HELLO, "HELLO", FE | ADM | KS, true},
        ANS(ERROR),

        REQ(AUTHZ_INFO, FE),
        REQ(PSK_IDENTITY, FE),
        REQ(RPK_IDENTITY, FE),
        REQ(GROUP_NAMES, FE),
        REQ(JOIN, FE),
        REQ(GROUP_READ, FE),
        REQ(CREDS, FE),
        REQ(KDC_CRED_FETCH, FE),
        REQ(STALE_SIDS, FE),
        REQ(NODE, FE),
        REQ(NODE_CRED, FE),
        REQ(GROUP_LIST, FE),
        NOTE(FE_STATS, FE),

        ANS(COAP_RESULT),
        ANS(PSK_RESULT),
        ANS(GROUP_LIST_RESULT),

        ANS(PUSH_GROUP_ADDED),
        ANS(PUSH_GROUP_DELETED),
        ANS(PUSH_GROUP_STATE),
        ANS(PUSH_MEMBER),
        ANS(PUSH_BINDING_GONE),
        ANS(PUSH_CONTROL),

        REQ(ADM_STATUS, ADM),
        REQ(ADM_GROUP_CREATE, ADM),
        REQ(ADM_GROUP_LIST, ADM),
        REQ(ADM_GROUP_SHOW, ADM),
        REQ(ADM_GROUP_UPDATE, ADM),
        REQ(ADM_GROUP_DELETE, ADM),
        REQ(ADM_MEMBER_LIST, ADM),
        REQ(ADM_MEMBER_SHOW, ADM),
        REQ(ADM_MEMBER_EVICT, ADM),
        REQ(ADM_REKEY, ADM),
        REQ(ADM_AS_ADD, ADM),
        REQ(ADM_AS_LIST, ADM),
        REQ(ADM_AS_REMOVE, ADM),
        REQ(ADM_KDC_CRED_SHOW, ADM),
        REQ(ADM_KDC_CRED_ROTATE, ADM),
        REQ(ADM_TOKEN_LIST, ADM),
        REQ(ADM_TOKEN_REVOKE, ADM),
        REQ(ADM_AUDIT, ADM),
        REQ(ADM_SQL, ADM),
        REQ(ADM_DB_BACKUP, ADM),
        REQ(ADM_DB_CHECK, ADM),
        REQ(ADM_RELOAD, ADM),

        ANS(ADM_RESULT),
        ANS(ADM_CHUNK),
};

static const struct msg_info *
msg_info(uint16_t type)
{
	const struct msg_info *i;

	if (type >= sizeof(msg_table) / sizeof(msg_table[0]))
		return NULL;
	i = &msg_table[type];
	return i->name != NULL ? i : NULL;
}

const char *
ipc_msg_name(uint16_t type)
{
	const struct msg_info *i = msg_info(type);

	return i != NULL ? i->name : "UNKNOWN";
}

bool
ipc_msg_allowed(uint16_t type, uint8_t peer_kind)
{
	const struct msg_info *i = msg_info(type);

	if (i == NULL || peer_kind < IPC_PEER_FRONTEND ||
	    peer_kind > IPC_PEER_KEYSTORE)
		return false;
	return (i->senders & (1u << peer_kind)) != 0;
}

bool
ipc_msg_expects_reply(uint16_t type)
{
	const struct msg_info *i = msg_info(type);

	return i != NULL && i->expects_reply;
}

bool
ipc_msg_known(uint16_t type)
{
	return msg_info(type) != NULL;
}

bool
ipc_binding_is_set(const struct ipc_binding *b)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < sizeof(b->b); i++)
		acc |= b->b[i];
	return acc != 0;
}

/* Run the decoder of a frame's type and throw the result away. */
int
ipc_msg_check(uint16_t type, uint16_t flags, const uint8_t *p, size_t n)
{
	bool reply = (flags & IPC_F_REPLY) != 0;
	int rc;

	switch (type) {
	case IPC_MSG_HELLO: {
		struct ipc_hello m;
		return ipc_dec_hello(p, n, &m);
	}
	case IPC_MSG_ERROR: {
		struct ipc_error m;
		return ipc_dec_error(p, n, &m);
	}
	case IPC_MSG_AUTHZ_INFO: {
		struct ipc_authz_info m;
		return ipc_dec_authz_info(p, n, &m);
	}
	case IPC_MSG_PSK_IDENTITY: {
		struct ipc_psk_identity m;
		return ipc_dec_psk_identity(p, n, &m);
	}
	case IPC_MSG_RPK_IDENTITY: {
		struct ipc_rpk_identity m;
		return ipc_dec_rpk_identity(p, n, &m);
	}
	case IPC_MSG_GROUP_NAMES: {
		struct ipc_group_names m;
		rc = ipc_dec_group_names(p, n, &m);
		if (rc == 0)
			free(m.gids);
		return rc;
	}
	case IPC_MSG_JOIN: {
		struct ipc_join m;
		rc = ipc_dec_join(p, n, &m);
		if (rc == 0)
			ipc_join_free(&m);
		return rc;
	}
	case IPC_MSG_GROUP_READ: {
		struct ipc_group_read m;
		return ipc_dec_group_read(p, n, &m);
	}
	case IPC_MSG_CREDS: {
		struct ipc_creds m;
		rc = ipc_dec_creds(p, n, &m);
		if (rc == 0)
			ipc_creds_free(&m);
		return rc;
	}
	case IPC_MSG_KDC_CRED_FETCH: {
		struct ipc_kdc_cred_fetch m;
		return ipc_dec_kdc_cred_fetch(p, n, &m);
	}
	case IPC_MSG_STALE_SIDS: {
		struct ipc_stale_sids m;
		return ipc_dec_stale_sids(p, n, &m);
	}
	case IPC_MSG_NODE: {
		struct ipc_node m;
		return ipc_dec_node(p, n, &m);
	}
	case IPC_MSG_NODE_CRED: {
		struct ipc_node_cred m;
		return ipc_dec_node_cred(p, n, &m);
	}
	case IPC_MSG_GROUP_LIST:
		/* The request is empty; GROUP_LIST_RESULT answers it. */
		return n == 0 ? 0 : -1;
	case IPC_MSG_FE_STATS: {
		struct ipc_fe_stats m;
		return ipc_dec_fe_stats(p, n, &m);
	}
	case IPC_MSG_COAP_RESULT: {
		struct ipc_coap_result m;
		return ipc_dec_coap_result(p, n, &m);
	}
	case IPC_MSG_PSK_RESULT: {
		struct ipc_psk_result m;
		rc = ipc_dec_psk_result(p, n, &m);
		sodium_memzero(&m, sizeof(m));
		return rc;
	}
	case IPC_MSG_GROUP_LIST_RESULT: {
		struct ipc_group_list_result m;
		rc = ipc_dec_group_list_result(p, n, &m);
		if (rc == 0)
			free(m.names);
		return rc;
	}
	case IPC_MSG_PUSH_GROUP_ADDED:
	case IPC_MSG_PUSH_GROUP_DELETED: {
		struct ipc_group_name_msg m;
		return ipc_dec_group_name_msg(p, n, &m);
	}
	case IPC_MSG_PUSH_GROUP_STATE: {
		struct kdc_group_material mat;
		struct ipc_group_state m;
		m.material = &mat;
		rc = ipc_dec_group_state(p, n, &m);
		if (rc == 0)
			ipc_group_state_free(&m);
		sodium_memzero(&mat, sizeof(mat));
		return rc;
	}
	case IPC_MSG_PUSH_MEMBER: {
		struct ipc_member_msg m;
		return ipc_dec_member_msg(p, n, &m);
	}
	case IPC_MSG_PUSH_BINDING_GONE: {
		struct ipc_binding_gone m;
		return ipc_dec_binding_gone(p, n, &m);
	}
	case IPC_MSG_PUSH_CONTROL: {
		struct ipc_control m;
		return ipc_dec_control(p, n, &m);
	}
	case IPC_MSG_ADM_GROUP_CREATE:
	case IPC_MSG_ADM_GROUP_UPDATE: {
		struct ipc_adm_group m;
		return ipc_dec_adm_group(p, n, &m);
	}
	case IPC_MSG_ADM_AS_ADD: {
		struct ipc_adm_as_add m;
		rc = ipc_dec_adm_as_add(p, n, &m);
		sodium_memzero(&m, sizeof(m));
		return rc;
	}
	case IPC_MSG_ADM_AUDIT: {
		struct ipc_adm_audit m;
		return ipc_dec_adm_audit(p, n, &m);
	}
	case IPC_MSG_ADM_SQL: {
		struct ipc_adm_sql m;
		return ipc_dec_adm_sql(p, n, &m);
	}
	case IPC_MSG_ADM_STATUS:
	case IPC_MSG_ADM_GROUP_LIST:
	case IPC_MSG_ADM_GROUP_SHOW:
	case IPC_MSG_ADM_GROUP_DELETE:
	case IPC_MSG_ADM_MEMBER_LIST:
	case IPC_MSG_ADM_MEMBER_SHOW:
	case IPC_MSG_ADM_MEMBER_EVICT:
	case IPC_MSG_ADM_REKEY:
	case IPC_MSG_ADM_AS_LIST:
	case IPC_MSG_ADM_AS_REMOVE:
	case IPC_MSG_ADM_KDC_CRED_SHOW:
	case IPC_MSG_ADM_KDC_CRED_ROTATE:
	case IPC_MSG_ADM_TOKEN_LIST:
	case IPC_MSG_ADM_TOKEN_REVOKE:
	case IPC_MSG_ADM_DB_BACKUP:
	case IPC_MSG_ADM_DB_CHECK:
	case IPC_MSG_ADM_RELOAD: {
		struct ipc_adm_target m;
		return ipc_dec_adm_target(p, n, &m);
	}
	case IPC_MSG_ADM_RESULT: {
		struct ipc_adm_result m;
		rc = ipc_dec_adm_result(p, n, &m);
		if (rc == 0)
			ipc_adm_result_free(&m);
		return rc;
	}
	case IPC_MSG_ADM_CHUNK:
		/* Raw bytes of a stream; only ever a reply. */
		return reply ? 0 : -1;
	default:
		return -1;
	}
}
