/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fe.h — the frontend's process context and the pieces it is made of:
 * libcoap on libuv (fe_loop.c), DTLS identity callbacks (fe_dtls.c),
 * sessions and their bindings (fe_session.c), the keystore-fed caches
 * (fe_cache.c), resources (fe_resources.c), request handlers
 * (fe_handlers.c, fe_reads.c), asynchronous answers (fe_async.c),
 * keystore pushes and Observe (fe_push.c), control-URI requests
 * (fe_control.c), bind() and privileges (fe_bind.c, fe_privdrop.c).
 */
#ifndef KDC_FE_H
#define KDC_FE_H

#include "conf.h"
#include "gm_material.h"
#include "ipc_conn.h"
#include "ipc_msg.h"

#include <coap3/coap.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct fe_group;
struct fe_binding;
struct fe_pending;

/* Per DTLS (or plain UDP) session, in coap_session_set_app_data(). */
struct fe_sess {
	coap_session_t *session;
	struct fe_binding *binding; /* NULL: no token bound */
	bool token_in_handshake;    /* N_S = DTLS exporter (GO §6.1.1) */
	bool have_exporter;
	uint8_t exporter[32];
	struct fe_sess *next, *prev; /* all sessions (for pushes) */
};

/* A membership cached for a binding (filled only by the keystore). */
struct fe_membership {
	struct fe_group *group;
	char node[IPC_NODE_MAX + 1];
	uint64_t perm;
	bool has_sid;
	uint8_t sid[KDC_SID_MAX];
	size_t sid_len;
	struct fe_membership *next;
};

/* A token binding shared by every session authenticated with its key. */
struct fe_binding {
	struct ipc_binding id;
	int64_t exp;
	bool gone;     /* expired or revoked: 4.01 from now on */
	unsigned refs; /* sessions pointing at it */
	struct fe_membership *members;
	struct fe_binding *next;
};

/* A group known to this frontend: its resources and, when subscribed, its
 * current material (secret: kdc_secure_alloc'd). */
struct fe_group {
	char name[KDC_GNAME_MAX + 1];
	coap_resource_t *r_group;  /* /ace-group/G (observable) */
	coap_resource_t *r_active; /* /ace-group/G/active (observable) */
	coap_resource_t *r_sub[8]; /* other fixed sub-resources */
	size_t nsub;
	struct kdc_group_material *material; /* NULL: not subscribed */
	bool deleted; /* announced deleted; resources go after notifying */
	uint64_t deleted_at_ms;
	/* Stale Sender IDs and joiners of the latest rekey (GO §11.1). */
	uint8_t (*stale)[KDC_SID_MAX];
	const uint8_t **stale_ptr; /* stale[i] as pointers, for encoders */
	size_t *stale_len;
	size_t nstale;
	struct kdc_gm_peer *joiners; /* pointers into joiner_buf */
	size_t njoiners;
	uint8_t *joiner_buf;
	struct fe_group *next;
};

struct fe_stats {
	uint64_t requests;
	uint64_t errors;
	uint64_t notifications;
};

struct fe {
	uv_loop_t *loop;
	struct kdc_conf conf;
	char name[64]; /* "frontend@1" */
	coap_context_t *coap;
	uv_poll_t coap_poll;
	uv_timer_t coap_timer;
	uv_timer_t sweep_timer;
	uv_timer_t stats_timer;
	uv_signal_t sig_term, sig_int, sig_hup;
	struct ipc_client *ipc; /* async connection */
	struct ipc_sync *sync;  /* blocking connection (DTLS callbacks) */
	char sock_path[KDC_CONF_PATH_MAX + 32];
	bool ks_up;
	struct fe_group *groups;
	struct fe_binding *bindings;
	struct fe_sess *sessions;
	struct fe_pending *pending;
	size_t npending;
	unsigned pending_obs; /* Observe registrations waiting for IPC */
	unsigned nsessions;
	unsigned nobservers;
	struct fe_stats stats;
	int lock_fd;
	bool stopping;
};

extern struct fe *fe_g; /* the process context (libcoap callbacks) */

/* ---- fe_loop.c ---- */
int fe_loop_attach(struct fe *fe);
/* Run libcoap now (after any work done outside its callbacks). */
void fe_kick(struct fe *fe);

/* ---- fe_session.c ---- */
struct fe_sess *fe_sess_get(coap_session_t *s, bool create);
/* fe_obs.c */
void fe_obs_forget_session(struct fe *fe, coap_session_t *s);
void fe_notify_forget(coap_resource_t *r);
void fe_sess_event(coap_session_t *s, coap_event_t ev);
struct fe_binding *fe_binding_get(struct fe *fe, const struct ipc_binding *id,
                                  bool create);
void fe_sess_bind(struct fe_sess *s, struct fe_binding *b);
struct fe_membership *fe_binding_member(struct fe_binding *b,
                                        const struct fe_group *g);
void fe_binding_set_member(struct fe *fe, struct fe_binding *b,
                           struct fe_group *g, const char *node, uint64_t perm,
                           bool has_sid, const uint8_t *sid, size_t sid_len);
void fe_binding_drop_member(struct fe_binding *b, const struct fe_group *g);
/* Forget every cached membership and group material (keystore lost). */
void fe_caches_drop(struct fe *fe);
/* The N_S to send with JOIN / NODE_CRED: exporter value or empty. */
void fe_sess_exporter(struct fe_sess *s, struct ipc_view *out);

/* ---- fe_resources.c ---- */
int fe_resources_init(struct fe *fe);
struct fe_group *fe_group_find(struct fe *fe, const char *name);
struct fe_group *fe_group_add(struct fe *fe, const char *name);
/* Mark deleted, notify observers (4.04 err 6), remove later. */
void fe_group_delete(struct fe *fe, struct fe_group *g);
/* Create nodes/N (+ /cred) if missing. */
void fe_node_resources(struct fe *fe, struct fe_group *g, const char *node);
void fe_node_resources_remove(struct fe *fe, struct fe_group *g,
                              const char *node);
/* Parse "ace-group/G[/rest]" from a resource; fills group and rest. */
int fe_path_split(coap_resource_t *r, const coap_pdu_t *req, char *group,
                  size_t glen, char *rest, size_t rlen);
void fe_groups_sweep(struct fe *fe);

/* ---- fe_async.c ---- */
/*
 * Start an asynchronous keystore request for the CoAP request being
 * handled: registers libcoap async state, sends the IPC request, and when
 * the COAP_RESULT arrives triggers libcoap, which calls the handler again;
 * fe_async_take() then returns the result to write into the response.
 */
int fe_async_start(struct fe *fe, coap_session_t *session,
                   const coap_pdu_t *request, coap_resource_t *resource,
                   uint16_t type, struct ipc_wbuf *payload, bool observe);
/* If this handler call is the triggered one, fill the response from the
 * stored result and return true. */
bool fe_async_take(struct fe *fe, coap_resource_t *resource,
                   coap_session_t *session, const coap_pdu_t *request,
                   const coap_string_t *query, coap_pdu_t *response);
/* Fail every pending request whose deadline passed. */
void fe_async_sweep(struct fe *fe, uint64_t now_ms);

/* ---- fe_reply.c: responses ---- */
void fe_reply_code(coap_pdu_t *response, int code);
/* Problem details (RFC 9290) with an ACE Groupcomm error id (or -1). */
void fe_reply_problem(coap_resource_t *r, coap_session_t *s,
                      const coap_pdu_t *req, const coap_string_t *query,
                      coap_pdu_t *resp, int code, int error_id,
                      const char *detail);
/* 5.03 with Max-Age while the keystore is unreachable. */
void fe_reply_unavailable(struct fe *fe, coap_pdu_t *resp);
/* Code + Content-Format (-1 none) + payload, block-wise when large. */
void fe_reply_payload(coap_resource_t *r, coap_session_t *s,
                      const coap_pdu_t *req, const coap_string_t *query,
                      coap_pdu_t *resp, int code, int cf, const uint8_t *p,
                      size_t n, int64_t max_age);
/* Relay a keystore COAP_RESULT. */
void fe_reply_result(coap_resource_t *r, coap_session_t *s,
                     const coap_pdu_t *req, const coap_string_t *query,
                     coap_pdu_t *resp, const struct ipc_coap_result *res);
/* Learn from a result: bindings, memberships, node resources. */
void fe_result_learn(struct fe *fe, coap_session_t *session,
                     const struct ipc_coap_result *res);

/* ---- fe_handlers.c / fe_reads.c ---- */
void fe_hnd_authz_info(coap_resource_t *r, coap_session_t *s,
                       const coap_pdu_t *req, const coap_string_t *q,
                       coap_pdu_t *resp);
void fe_hnd_ace_group_fetch(coap_resource_t *r, coap_session_t *s,
                            const coap_pdu_t *req, const coap_string_t *q,
                            coap_pdu_t *resp);
void fe_hnd_group_post(coap_resource_t *r, coap_session_t *s,
                       const coap_pdu_t *req, const coap_string_t *q,
                       coap_pdu_t *resp);
void fe_hnd_group_get(coap_resource_t *r, coap_session_t *s,
                      const coap_pdu_t *req, const coap_string_t *q,
                      coap_pdu_t *resp);
void fe_hnd_sub_get(coap_resource_t *r, coap_session_t *s,
                    const coap_pdu_t *req, const coap_string_t *q,
                    coap_pdu_t *resp);
void fe_hnd_sub_fetch(coap_resource_t *r, coap_session_t *s,
                      const coap_pdu_t *req, const coap_string_t *q,
                      coap_pdu_t *resp);
void fe_hnd_node(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
                 const coap_string_t *q, coap_pdu_t *resp);
void fe_hnd_node_cred(coap_resource_t *r, coap_session_t *s,
                      const coap_pdu_t *req, const coap_string_t *q,
                      coap_pdu_t *resp);
void fe_hnd_unknown(coap_resource_t *r, coap_session_t *s,
                    const coap_pdu_t *req, const coap_string_t *q,
                    coap_pdu_t *resp);

/* ---- fe_push.c ---- */
void fe_on_push(void *arg, const struct ipc_hdr *h, const uint8_t *payload);
void fe_on_up(void *arg, const char *software, uint64_t instance);
void fe_on_down(void *arg);

/* ---- fe_control.c ---- */
void fe_control_send(struct fe *fe, const struct ipc_control *c);

/* ---- fe_dtls.c ---- */
int fe_dtls_setup(struct fe *fe);
int fe_exporter(coap_session_t *s, uint8_t out[32]);
/* Wipe the PSK buffer handed to libcoap (after it copied it). */
void fe_dtls_wipe(void);

/* ---- fe_bind.c, fe_privdrop.c ---- */
/* Configure the bind() interposer before endpoints are created. */
void fe_bind_configure(bool reuse_port);
/* Take the single-instance lock of a port (when reuse_port is off). */
int fe_port_lock(const char *lock_dir, uint16_t port, int *fd);
int fe_privdrop(const char *user, const char *group);

#endif
