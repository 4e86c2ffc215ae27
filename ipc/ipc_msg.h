/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ipc_msg.h — the message catalogue of the keystore protocol: every type,
 * who may send it, and its typed encoder/decoder.  Declared once, here.
 *
 * Bump IPC_PROTO_VERSION whenever a message type, a field or its order
 * changes: peers of another version are refused at the handshake (the
 * OpenSMTPD IMSG_VERSION rule).
 *
 * Decoders borrow: pointers (struct ipc_view, str views) point into the
 * payload passed to ipc_dec_*() and are valid as long as it is.  Fixed-size
 * names are copied and NUL-terminated.  Every decoder returns 0, or -1 when
 * the payload is short, has an invalid field or has bytes left over; arrays
 * it allocated are already freed when it fails.  Invalid fields include
 * enumeration values outside their enum, Content-Formats outside -1..65535,
 * text (names, URIs, location paths) holding a NUL.
 *
 * Encoders write the fields in declaration order and return 0, or -1 (with
 * the writer failed) when a field is something the decoder would reject:
 * a name not NUL-terminated inside its array, an out-of-range enumeration,
 * text holding a NUL, an over-long bounded field.  So a peer's bad input
 * fails the sender's encoder, never the receiver's connection.  Views may
 * be {NULL, 0}; an absent optional view (has_x false) decodes as {NULL, 0}.
 */
#ifndef KDC_IPC_MSG_H
#define KDC_IPC_MSG_H

#include "group_config.h"
#include "gm_material.h"
#include "ipc_wire.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IPC_PROTO_VERSION 1

enum ipc_peer_kind {
	IPC_PEER_FRONTEND = 1,
	IPC_PEER_ADMIN = 2,
	IPC_PEER_KEYSTORE = 3, /* the sender of replies and pushes */
};

#define IPC_BINDING_LEN 16
#define IPC_NODE_MAX    64
#define IPC_NAME_MAX    64
#define IPC_MAX_LIST    100000 /* elements of any array field */

/* A byte view into a payload. */
struct ipc_view {
	const uint8_t *p;
	size_t n;
};

/* The frontend's handle on a token (docs/DESIGN.md §3); all zero = none. */
struct ipc_binding {
	uint8_t b[IPC_BINDING_LEN];
};
bool ipc_binding_is_set(const struct ipc_binding *b);

enum ipc_msg_type {
	/* Handshake and protocol errors (any peer). */
	IPC_MSG_HELLO = 1,
	IPC_MSG_ERROR = 2,

	/* frontend -> keystore: ACE transport (RFC 9200 §5.10.1, RFC 9202). */
	IPC_MSG_AUTHZ_INFO = 10,
	IPC_MSG_PSK_IDENTITY = 11,
	IPC_MSG_RPK_IDENTITY = 12,

	/* frontend -> keystore: the RFC 9594 interface. */
	IPC_MSG_GROUP_NAMES = 20,    /* FETCH /ace-group */
	IPC_MSG_JOIN = 21,           /* POST /ace-group/G */
	IPC_MSG_GROUP_READ = 22,     /* GET G, policies, num, active,
	                                verif-data, kdc-cred */
	IPC_MSG_CREDS = 23,          /* GET / FETCH G/creds */
	IPC_MSG_KDC_CRED_FETCH = 24, /* FETCH G/kdc-cred */
	IPC_MSG_STALE_SIDS = 25,     /* FETCH G/stale-sids */
	IPC_MSG_NODE = 26,           /* GET / POST / DELETE G/nodes/N */
	IPC_MSG_NODE_CRED = 27,      /* POST G/nodes/N/cred */
	IPC_MSG_GROUP_LIST = 28,     /* names of all groups (resources) */
	IPC_MSG_FE_STATS = 29,       /* counters, no reply */

	/* keystore -> frontend replies. */
	IPC_MSG_COAP_RESULT = 40,
	IPC_MSG_PSK_RESULT = 41,
	IPC_MSG_GROUP_LIST_RESULT = 42,

	/* keystore -> frontend pushes. */
	IPC_MSG_PUSH_GROUP_ADDED = 50,
	IPC_MSG_PUSH_GROUP_DELETED = 51,
	IPC_MSG_PUSH_GROUP_STATE = 52,
	IPC_MSG_PUSH_MEMBER = 53,
	IPC_MSG_PUSH_BINDING_GONE = 54,
	IPC_MSG_PUSH_CONTROL = 55,

	/* admin -> keystore. */
	IPC_MSG_ADM_STATUS = 100,
	IPC_MSG_ADM_GROUP_CREATE = 101,
	IPC_MSG_ADM_GROUP_LIST = 102,
	IPC_MSG_ADM_GROUP_SHOW = 103,
	IPC_MSG_ADM_GROUP_UPDATE = 104,
	IPC_MSG_ADM_GROUP_DELETE = 105,
	IPC_MSG_ADM_MEMBER_LIST = 106,
	IPC_MSG_ADM_MEMBER_SHOW = 107,
	IPC_MSG_ADM_MEMBER_EVICT = 108,
	IPC_MSG_ADM_REKEY = 109,
	IPC_MSG_ADM_AS_ADD = 110,
	IPC_MSG_ADM_AS_LIST = 111,
	IPC_MSG_ADM_AS_REMOVE = 112,
	IPC_MSG_ADM_KDC_CRED_SHOW = 113,
	IPC_MSG_ADM_KDC_CRED_ROTATE = 114,
	IPC_MSG_ADM_TOKEN_LIST = 115,
	IPC_MSG_ADM_TOKEN_REVOKE = 116,
	IPC_MSG_ADM_AUDIT = 117,
	IPC_MSG_ADM_SQL = 118,
	IPC_MSG_ADM_DB_BACKUP = 119,
	IPC_MSG_ADM_DB_CHECK = 120,
	IPC_MSG_ADM_RELOAD = 121,

	/* keystore -> admin replies. */
	IPC_MSG_ADM_RESULT = 150,
	IPC_MSG_ADM_CHUNK = 151, /* streamed bytes (db backup) */
};

/* Name of a type for log lines ("JOIN", "ADM_GROUP_CREATE"); never NULL. */
const char *ipc_msg_name(uint16_t type);
/* The allow-list: may a peer of this kind send this type (as a request or
 * notification)?  Replies and pushes are only ever sent by the keystore. */
bool ipc_msg_allowed(uint16_t type, uint8_t peer_kind);
/* Does this request type expect a reply? (FE_STATS does not.) */
bool ipc_msg_expects_reply(uint16_t type);
/* Is this a type of the catalogue? */
bool ipc_msg_known(uint16_t type);
/* Run the decoder of `type` on a payload and discard the result: 0 if it
 * is well-formed, -1 if not (or the type is unknown).  flags tell the
 * direction where it matters (ADM_CHUNK is only a reply).  Payloads:
 *   HELLO ipc_hello, ERROR ipc_error, AUTHZ_INFO .. NODE_CRED and FE_STATS
 *   their struct, GROUP_LIST empty, COAP_RESULT ipc_coap_result,
 *   PSK_RESULT ipc_psk_result, GROUP_LIST_RESULT ipc_group_list_result,
 *   PUSH_GROUP_ADDED/DELETED ipc_group_name_msg, PUSH_GROUP_STATE
 *   ipc_group_state, PUSH_MEMBER ipc_member_msg, PUSH_BINDING_GONE
 *   ipc_binding_gone, PUSH_CONTROL ipc_control, ADM_GROUP_CREATE/UPDATE
 *   ipc_adm_group, ADM_AS_ADD ipc_adm_as_add, ADM_AUDIT ipc_adm_audit,
 *   ADM_SQL ipc_adm_sql, every other ADM_* request ipc_adm_target,
 *   ADM_RESULT ipc_adm_result, ADM_CHUNK raw bytes. */
int ipc_msg_check(uint16_t type, uint16_t flags, const uint8_t *p, size_t n);

/* ------------------------------------------------------------------ */
/* HELLO / ERROR */

struct ipc_hello {
	uint32_t version;
	uint8_t peer_kind;
	char name[IPC_NAME_MAX + 1]; /* request: client name; reply: software */
	uint64_t instance; /* reply: keystore instance id; request 0 */
};
int ipc_enc_hello(struct ipc_wbuf *w, const struct ipc_hello *m);
int ipc_dec_hello(const uint8_t *p, size_t n, struct ipc_hello *m);

struct ipc_error {
	int32_t code; /* ipc_status or a positive application code */
	const char *msg;
	size_t msg_len;
};
int ipc_enc_error(struct ipc_wbuf *w, const struct ipc_error *m);
int ipc_dec_error(const uint8_t *p, size_t n, struct ipc_error *m);

/* ------------------------------------------------------------------ */
/* ACE transport */

enum ipc_transport { IPC_TRANSPORT_PLAIN = 0, IPC_TRANSPORT_DTLS = 1 };

struct ipc_authz_info {
	int32_t content_format; /* -1 when the request had none */
	struct ipc_view payload;
	uint8_t transport;          /* ipc_transport */
	struct ipc_binding binding; /* the DTLS session's binding, if any */
};
int ipc_enc_authz_info(struct ipc_wbuf *w, const struct ipc_authz_info *m);
int ipc_dec_authz_info(const uint8_t *p, size_t n, struct ipc_authz_info *m);

/* PSK_IDENTITY: the identity exactly as the DTLS stack gave it. */
struct ipc_psk_identity {
	struct ipc_view identity;
};
int ipc_enc_psk_identity(struct ipc_wbuf *w, const struct ipc_psk_identity *m);
int ipc_dec_psk_identity(const uint8_t *p, size_t n,
                         struct ipc_psk_identity *m);

/* RPK_IDENTITY: the client's SubjectPublicKeyInfo (DER). */
struct ipc_rpk_identity {
	struct ipc_view spki;
};
int ipc_enc_rpk_identity(struct ipc_wbuf *w, const struct ipc_rpk_identity *m);
int ipc_dec_rpk_identity(const uint8_t *p, size_t n,
                         struct ipc_rpk_identity *m);

enum ipc_psk_status {
	IPC_PSK_OK = 0,
	IPC_PSK_UNKNOWN = 1,    /* no valid token for this identity */
	IPC_PSK_BAD_TOKEN = 2,  /* identity was a token that failed checks */
	IPC_PSK_UNSUPPORTED = 3 /* identity in no form we can read */
};
struct ipc_psk_result {
	uint8_t status;      /* ipc_psk_status */
	struct ipc_view key; /* PSK (secret; empty for RPK) */
	struct ipc_binding binding;
	int64_t exp;             /* token expiry (NumericDate) */
	bool token_in_handshake; /* N_S comes from the DTLS exporter */
};
/* Sets w->secret. */
int ipc_enc_psk_result(struct ipc_wbuf *w, const struct ipc_psk_result *m);
int ipc_dec_psk_result(const uint8_t *p, size_t n, struct ipc_psk_result *m);

/* ------------------------------------------------------------------ */
/* RFC 9594 interface requests */

/* FETCH /ace-group: the requested Gids (RFC 9594 §4.2.1; GO: bstr). */
struct ipc_group_names {
	struct ipc_binding binding;
	uint32_t ngids;
	struct ipc_view *gids; /* decoder: malloc'd array, free with free() */
};
int ipc_enc_group_names(struct ipc_wbuf *w, const struct ipc_group_names *m);
int ipc_dec_group_names(const uint8_t *p, size_t n, struct ipc_group_names *m);

/* get_creds (RFC 9594 §4.3.1, §4.4.1). */
enum ipc_get_creds_kind {
	IPC_GET_CREDS_ABSENT = 0,
	IPC_GET_CREDS_NULL = 1,   /* null: all relevant credentials */
	IPC_GET_CREDS_FILTER = 2, /* [inclusion_flag, role_filter, id_filter] */
	IPC_GET_CREDS_ALL = 3,    /* GET .../creds */
};
struct ipc_get_creds {
	uint8_t kind;
	bool inclusion;
	uint32_t nroles;
	uint64_t *roles; /* role bitmaps (Tperm values); decoder mallocs */
	uint32_t nids;
	struct ipc_view *ids; /* Sender IDs; decoder mallocs */
};

struct ipc_join {
	struct ipc_binding binding;
	char group[KDC_GNAME_MAX + 1];
	struct ipc_view exporter_ns; /* DTLS exporter N_S, empty if none */
	bool has_scope;
	struct ipc_view scope; /* bstr content: ONE scope entry */
	struct ipc_get_creds get_creds;
	bool has_client_cred;
	struct ipc_view client_cred;
	bool has_cnonce;
	struct ipc_view cnonce;
	bool has_pop;
	struct ipc_view pop; /* client_cred_verify */
	bool has_control_uri;
	struct ipc_view control_uri; /* text */
};
int ipc_enc_join(struct ipc_wbuf *w, const struct ipc_join *m);
int ipc_dec_join(const uint8_t *p, size_t n, struct ipc_join *m);
void ipc_join_free(struct ipc_join *m); /* frees decoder arrays */

enum ipc_group_resource {
	IPC_RES_KEYS = 1,       /* GET /ace-group/G */
	IPC_RES_POLICIES = 2,   /* GET G/policies */
	IPC_RES_NUM = 3,        /* GET G/num */
	IPC_RES_ACTIVE = 4,     /* GET G/active */
	IPC_RES_VERIF_DATA = 5, /* GET G/verif-data */
	IPC_RES_KDC_CRED = 6,   /* GET G/kdc-cred */
};
struct ipc_group_read {
	struct ipc_binding binding;
	char group[KDC_GNAME_MAX + 1];
	uint8_t resource; /* ipc_group_resource */
};
int ipc_enc_group_read(struct ipc_wbuf *w, const struct ipc_group_read *m);
int ipc_dec_group_read(const uint8_t *p, size_t n, struct ipc_group_read *m);

struct ipc_creds {
	struct ipc_binding binding;
	char group[KDC_GNAME_MAX + 1];
	struct ipc_get_creds get_creds; /* ALL for GET, FILTER for FETCH */
};
int ipc_enc_creds(struct ipc_wbuf *w, const struct ipc_creds *m);
int ipc_dec_creds(const uint8_t *p, size_t n, struct ipc_creds *m);
void ipc_creds_free(struct ipc_creds *m);

struct ipc_kdc_cred_fetch {
	struct ipc_binding binding;
	char group[KDC_GNAME_MAX + 1];
	struct ipc_view cnonce;
};
int ipc_enc_kdc_cred_fetch(struct ipc_wbuf *w,
                           const struct ipc_kdc_cred_fetch *m);
int ipc_dec_kdc_cred_fetch(const uint8_t *p, size_t n,
                           struct ipc_kdc_cred_fetch *m);

struct ipc_stale_sids {
	struct ipc_binding binding;
	char group[KDC_GNAME_MAX + 1];
	uint64_t version;
};
int ipc_enc_stale_sids(struct ipc_wbuf *w, const struct ipc_stale_sids *m);
int ipc_dec_stale_sids(const uint8_t *p, size_t n, struct ipc_stale_sids *m);

enum ipc_node_op {
	IPC_NODE_GET = 1,   /* Key Distribution with individual material */
	IPC_NODE_RENEW = 2, /* Key Renewal (POST, RFC 9594 §4.8.2) */
	IPC_NODE_LEAVE = 3, /* DELETE */
};
struct ipc_node {
	struct ipc_binding binding;
	char group[KDC_GNAME_MAX + 1];
	char node[IPC_NODE_MAX + 1];
	uint8_t op; /* ipc_node_op */
};
int ipc_enc_node(struct ipc_wbuf *w, const struct ipc_node *m);
int ipc_dec_node(const uint8_t *p, size_t n, struct ipc_node *m);

struct ipc_node_cred {
	struct ipc_binding binding;
	char group[KDC_GNAME_MAX + 1];
	char node[IPC_NODE_MAX + 1];
	struct ipc_view exporter_ns;
	bool has_client_cred;
	struct ipc_view client_cred;
	bool has_cnonce;
	struct ipc_view cnonce;
	bool has_pop;
	struct ipc_view pop;
};
int ipc_enc_node_cred(struct ipc_wbuf *w, const struct ipc_node_cred *m);
int ipc_dec_node_cred(const uint8_t *p, size_t n, struct ipc_node_cred *m);

/* GROUP_LIST has an empty payload; its result lists the names. */
struct ipc_group_list_result {
	uint32_t n;
	struct ipc_view *names; /* decoder mallocs; text */
};
int ipc_enc_group_list_result(struct ipc_wbuf *w,
                              const struct ipc_group_list_result *m);
int ipc_dec_group_list_result(const uint8_t *p, size_t n,
                              struct ipc_group_list_result *m);

struct ipc_fe_stats {
	uint64_t requests;
	uint64_t errors;
	uint32_t sessions;
	uint32_t observers;
};
int ipc_enc_fe_stats(struct ipc_wbuf *w, const struct ipc_fe_stats *m);
int ipc_dec_fe_stats(const uint8_t *p, size_t n, struct ipc_fe_stats *m);

/* ------------------------------------------------------------------ */
/* The answer to every frontend request of the RFC 9594 interface and to
 * AUTHZ_INFO: a complete CoAP response, plus what the frontend must learn
 * for its per-binding membership cache. */

enum ipc_member_op {
	IPC_MEMBER_NONE = 0,
	IPC_MEMBER_SET = 1,     /* binding is member `node` of `group` */
	IPC_MEMBER_REMOVED = 2, /* binding is no longer member of `group` */
};
struct ipc_coap_result {
	uint8_t code;                  /* CoAP code byte: class << 5 | detail */
	int32_t content_format;        /* -1: no Content-Format option */
	int64_t max_age;               /* -1: no Max-Age option */
	struct ipc_view location_path; /* "ace-group/g1/nodes/n3" or empty */
	struct ipc_view payload;       /* may hold secrets (keying material) */
	struct ipc_binding binding;    /* AUTHZ_INFO: the token's binding */
	uint8_t member_op;             /* ipc_member_op */
	char group[KDC_GNAME_MAX + 1];
	char node[IPC_NODE_MAX + 1];
	uint64_t perm;
	bool has_sid;
	struct ipc_view sid;
};
/* Sets w->secret. */
int ipc_enc_coap_result(struct ipc_wbuf *w, const struct ipc_coap_result *m);
int ipc_dec_coap_result(const uint8_t *p, size_t n, struct ipc_coap_result *m);

/* ------------------------------------------------------------------ */
/* Pushes */

struct ipc_group_name_msg { /* PUSH_GROUP_ADDED / PUSH_GROUP_DELETED */
	char group[KDC_GNAME_MAX + 1];
};
int ipc_enc_group_name_msg(struct ipc_wbuf *w,
                           const struct ipc_group_name_msg *m);
int ipc_dec_group_name_msg(const uint8_t *p, size_t n,
                           struct ipc_group_name_msg *m);

enum ipc_state_reason {
	IPC_STATE_SNAPSHOT = 1, /* subscription started */
	IPC_STATE_REKEY = 2,    /* new material: notify observers */
	IPC_STATE_STATUS = 3,   /* active flag changed */
	IPC_STATE_CONFIG = 4,   /* policies changed */
};
struct ipc_group_state {
	uint8_t reason;
	/* Decoder copies the material into *material (caller-provided,
	 * ideally kdc_secure_alloc()'d) — it holds the Master Secret. */
	struct kdc_group_material *material;
	/* Rekey only: stale Sender IDs of the replaced version, and the
	 * joiners' credentials (GO §11.1). */
	uint32_t nstale;
	struct ipc_view *stale; /* decoder mallocs */
	uint32_t njoiners;
	struct ipc_view *joiner_creds; /* decoder mallocs (3 arrays) */
	uint64_t *joiner_perms;
	struct ipc_view *joiner_sids;
};
/* Sets w->secret. */
int ipc_enc_group_state(struct ipc_wbuf *w, const struct ipc_group_state *m);
int ipc_dec_group_state(const uint8_t *p, size_t n, struct ipc_group_state *m);
void ipc_group_state_free(struct ipc_group_state *m);

enum ipc_removal_reason {
	IPC_REMOVED_LEFT = 1,          /* DELETE by the member */
	IPC_REMOVED_EVICTED = 2,       /* operator / compromise */
	IPC_REMOVED_TOKEN = 3,         /* token expired, revoked or narrowed */
	IPC_REMOVED_GROUP_DELETED = 4, /* group deleted */
	IPC_REMOVED_ELDER = 5,         /* evicted before a Gid reuse */
};
struct ipc_member_msg { /* PUSH_MEMBER */
	uint8_t op;     /* IPC_MEMBER_SET or IPC_MEMBER_REMOVED */
	uint8_t reason; /* ipc_removal_reason when removed */
	struct ipc_binding binding;
	char group[KDC_GNAME_MAX + 1];
	char node[IPC_NODE_MAX + 1];
	uint64_t perm;
	bool has_sid;
	struct ipc_view sid;
};
int ipc_enc_member_msg(struct ipc_wbuf *w, const struct ipc_member_msg *m);
int ipc_dec_member_msg(const uint8_t *p, size_t n, struct ipc_member_msg *m);

enum ipc_binding_gone_reason {
	IPC_GONE_EXPIRED = 1,
	IPC_GONE_REVOKED = 2,
};
struct ipc_binding_gone {
	struct ipc_binding binding;
	uint8_t reason;
};
int ipc_enc_binding_gone(struct ipc_wbuf *w, const struct ipc_binding_gone *m);
int ipc_dec_binding_gone(const uint8_t *p, size_t n,
                         struct ipc_binding_gone *m);

/* PUSH_CONTROL: send a request to a member's control_uri over its DTLS
 * session (RFC 9594 §6.1 rekeying, §5 eviction notice). */
struct ipc_control {
	struct ipc_binding binding;
	struct ipc_view uri;
	uint8_t method;         /* CoAP method code: 2 POST, 4 DELETE */
	int32_t content_format; /* -1 none */
	struct ipc_view payload;
	int64_t exp; /* if non-zero, add exi = exp - now (label 12) to the
	                payload map at send time */
};
/* Sets w->secret. */
int ipc_enc_control(struct ipc_wbuf *w, const struct ipc_control *m);
int ipc_dec_control(const uint8_t *p, size_t n, struct ipc_control *m);

/* ------------------------------------------------------------------ */
/* Admin */

/* Requests that name a group and/or a member, or nothing (STATUS,
 * GROUP_LIST, AS_LIST, KDC_CRED_SHOW, DB_BACKUP, DB_CHECK, RELOAD). */
struct ipc_adm_target {
	char group[KDC_GNAME_MAX + 1]; /* may be empty */
	char node[IPC_NODE_MAX + 1];   /* may be empty */
	int64_t id;                    /* token id for TOKEN_REVOKE, else 0 */
	char arg[IPC_NAME_MAX + 1];    /* AS name, key kind, ... */
};
int ipc_enc_adm_target(struct ipc_wbuf *w, const struct ipc_adm_target *m);
int ipc_dec_adm_target(const uint8_t *p, size_t n, struct ipc_adm_target *m);

/* GROUP_CREATE (field_mask ignored) and GROUP_UPDATE (only the fields in
 * field_mask, kdc_group_field bits, are changed). */
struct ipc_adm_group {
	uint32_t field_mask;
	struct kdc_group_config config;
};
int ipc_enc_adm_group(struct ipc_wbuf *w, const struct ipc_adm_group *m);
int ipc_dec_adm_group(const uint8_t *p, size_t n, struct ipc_adm_group *m);

enum ipc_as_kind {
	IPC_AS_SIGN = 1,    /* Sign1 tokens, key = public COSE_Key */
	IPC_AS_MAC = 2,     /* Mac0 tokens, key = symmetric */
	IPC_AS_ENCRYPT = 3, /* Encrypt0 tokens, key = symmetric */
};
struct ipc_adm_as_add {
	char name[IPC_NAME_MAX + 1];
	struct ipc_view issuer;   /* empty: iss not checked */
	struct ipc_view audience; /* the aud this AS puts in our tokens */
	uint8_t kind;             /* ipc_as_kind */
	int64_t alg;
	struct ipc_view kid; /* empty: any kid */
	struct ipc_view key; /* encoded COSE_Key (secret if symmetric) */
	struct ipc_view psk_derivation_key; /* RFC 9202 §3.3.1, may be empty */
};
/* Sets w->secret. */
int ipc_enc_adm_as_add(struct ipc_wbuf *w, const struct ipc_adm_as_add *m);
int ipc_dec_adm_as_add(const uint8_t *p, size_t n, struct ipc_adm_as_add *m);

struct ipc_adm_audit {
	uint32_t limit;
	int64_t since_id;
	char group[KDC_GNAME_MAX + 1];
	char action[IPC_NAME_MAX + 1];
};
int ipc_enc_adm_audit(struct ipc_wbuf *w, const struct ipc_adm_audit *m);
int ipc_dec_adm_audit(const uint8_t *p, size_t n, struct ipc_adm_audit *m);

struct ipc_adm_sql {
	struct ipc_view query;
};
int ipc_enc_adm_sql(struct ipc_wbuf *w, const struct ipc_adm_sql *m);
int ipc_dec_adm_sql(const uint8_t *p, size_t n, struct ipc_adm_sql *m);

/*
 * ADM_RESULT: status + tables.  Each table has named, typed columns and
 * rows of cells; kdc-admin prints them as human tables or as JSON with the
 * column names as stable field names.  The encoder side builds tables with
 * the ipc_tab_*() helpers; the decoder yields a parsed tree.
 */
enum ipc_cell_type {
	IPC_CELL_NULL = 0,
	IPC_CELL_INT = 1,
	IPC_CELL_TEXT = 2,
	IPC_CELL_BYTES = 3, /* shown as hex */
	IPC_CELL_BOOL = 4,
};
enum ipc_adm_status {
	IPC_ADM_OK = 0,
	IPC_ADM_E_USAGE = 1,     /* bad arguments */
	IPC_ADM_E_NOT_FOUND = 2, /* no such group/member/AS/token */
	IPC_ADM_E_EXISTS = 3,    /* already exists */
	IPC_ADM_E_REFUSED = 4,   /* not allowed (e.g. write in sql) */
	IPC_ADM_E_INTERNAL = 5,
};

struct ipc_cell {
	uint8_t type;
	int64_t i;         /* INT, BOOL */
	struct ipc_view v; /* TEXT, BYTES */
};
struct ipc_table {
	struct ipc_view name;
	uint32_t ncols;
	struct ipc_view *col_names;
	uint32_t nrows;
	struct ipc_cell *cells; /* nrows * ncols, row-major */
};
struct ipc_adm_result {
	int32_t status; /* ipc_adm_status */
	struct ipc_view error;
	uint32_t ntables;
	struct ipc_table *tables;
};
int ipc_dec_adm_result(const uint8_t *p, size_t n, struct ipc_adm_result *m);
void ipc_adm_result_free(struct ipc_adm_result *m);

/* Builder for ADM_RESULT payloads. */
struct ipc_tab_builder {
	struct ipc_wbuf body; /* tables written so far */
	uint32_t ntables;
	/* current table */
	size_t rows_at; /* offset of the row count to patch */
	uint32_t ncols;
	uint32_t nrows;
	uint32_t col; /* next column of the current row */
};
void ipc_tab_init(struct ipc_tab_builder *b);
void ipc_tab_free(struct ipc_tab_builder *b);
/* Start a table with ncols columns named by cols[]. */
void ipc_tab_begin(struct ipc_tab_builder *b, const char *name,
                   const char *const *cols, uint32_t ncols);
void ipc_tab_null(struct ipc_tab_builder *b);
void ipc_tab_int(struct ipc_tab_builder *b, int64_t v);
void ipc_tab_bool(struct ipc_tab_builder *b, bool v);
void ipc_tab_text(struct ipc_tab_builder *b, const char *s, size_t n);
void ipc_tab_textz(struct ipc_tab_builder *b, const char *s);
void ipc_tab_bytes(struct ipc_tab_builder *b, const uint8_t *p, size_t n);
/* Finish the ADM_RESULT payload into w. */
int ipc_tab_finish(struct ipc_tab_builder *b, int32_t status, const char *error,
                   struct ipc_wbuf *w);

#endif
