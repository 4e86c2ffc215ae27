/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ks.h — the keystore's process context and the plumbing every handler
 * uses: requests, the group-commit batch with its outbox of replies and
 * pushes, peers and their group subscriptions, and the dispatch tables.
 *
 * Handler contract (one per request type, see dispatch.c):
 *   int handler(struct ks_req *r);
 * runs inside the open batch transaction, in its own savepoint.  It queues
 * exactly one reply with ks_reply*() (or parks the request, see rekey.h)
 * and may queue pushes.  Returning KS_H_OK (0) keeps its changes;
 * KS_H_FAIL (-1) rolls them back, drops what it queued, and the batch
 * answers with an internal error; KS_H_MALFORMED (-2) — the payload did not
 * decode — rolls back and drops the connection (a frontend that sends
 * malformed frames is broken or compromised).  Nothing queued leaves the process before the batch commits
 * (docs/DESIGN.md §5).
 */
#ifndef KDC_KS_H
#define KDC_KS_H

#include "conf.h"
#include "ipc_conn.h"
#include "ipc_msg.h"
#include "store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct ks;
struct ks_group_rt;

enum { KS_H_OK = 0, KS_H_FAIL = -1, KS_H_MALFORMED = -2 };

/* One IPC connection (frontend or admin). */
struct ks_peer {
	struct ks *ks;
	struct ipc_conn *conn;
	uint64_t conn_id;
	uint8_t kind;   /* ipc_peer_kind */
	char actor[96]; /* "frontend@1 pid=123" / "admin uid=0 pid=9" */
	/* Groups this frontend connection is subscribed to (group ids). */
	int64_t *subs;
	size_t nsubs, subs_cap;
	/* Counters reported by FE_STATS. */
	struct ipc_fe_stats stats;
	struct ks_peer *next;
};

/* A request being handled. */
struct ks_req {
	struct ks *ks;
	struct ks_peer *peer;
	uint16_t type;
	uint32_t reqid;
	const uint8_t *payload;
	size_t len;
	int64_t now; /* NumericDate at batch start */
};

/* One outgoing frame, written after the batch commits. */
struct ks_out {
	uint64_t conn_id;
	uint16_t type;
	uint16_t flags;
	uint32_t reqid;
	uint8_t *payload;
	size_t len;
	bool secret;
	struct ks_out *next;
};

struct ks_batch {
	bool open; /* a transaction is open */
	struct ks_out *head, **tail;
	size_t count;    /* outbox entries */
	size_t requests; /* requests handled in this batch */
	/* Work to do after a successful commit (timers to re-arm, etc.). */
	bool rearm_timers;
};

struct ks_stats {
	uint64_t requests;
	uint64_t joins;
	uint64_t rekeys;
	uint64_t batches;
	uint64_t commits_failed;
	int64_t started_at;
};

struct ks {
	uv_loop_t *loop;
	struct kdc_conf conf;
	char conf_path[KDC_CONF_PATH_MAX];
	struct ks_store *store;
	uint8_t *kek; /* 32 bytes, kdc_secure_alloc */
	uint64_t instance;
	struct ipc_server *fe_srv;
	struct ipc_server *adm_srv;
	struct ks_peer *peers;
	struct ks_batch batch;
	uv_check_t commit_check;
	uv_timer_t timer; /* the one deadline timer (timers.c) */
	uv_signal_t sig_term, sig_int, sig_hup;
	uv_timer_t watchdog;
	struct ks_group_rt *groups_rt; /* per-group runtime state (rekey.c) */
	struct ks_stats stats;
	bool stopping;
};

/* ---- batch and outbox (batch.c) ---- */

/* Open the batch transaction if needed (called before any handler). */
int ks_batch_ensure(struct ks *ks);
/* Commit now and flush the outbox (also called by the uv_check hook). */
void ks_batch_commit(struct ks *ks);
void ks_batch_init(struct ks *ks);

/* Queue a reply to r (payload taken over, w is reset).  type is the reply
 * message type; flags get IPC_F_REPLY added. */
void ks_reply(struct ks_req *r, uint16_t type, struct ipc_wbuf *w);
/* Convenience: a COAP_RESULT reply. */
void ks_reply_coap(struct ks_req *r, const struct ipc_coap_result *res);
/* A COAP_RESULT with just a code, optional problem-details error id (-1 for
 * none) and detail text (logged, and put in the problem details). */
void ks_reply_coap_error(struct ks_req *r, uint8_t code, int error_id,
                         const char *detail);
/* An ADM_RESULT reply from a table builder. */
void ks_reply_adm(struct ks_req *r, struct ipc_tab_builder *tb, int status,
                  const char *error);
/* Queue a reply to a (peer, reqid) outside a handler (parked joins). */
void ks_reply_to(struct ks *ks, uint64_t conn_id, uint32_t reqid, uint16_t type,
                 struct ipc_wbuf *w);

/* Pushes (copied per recipient). */
void ks_push_peer(struct ks *ks, struct ks_peer *p, uint16_t type,
                  const struct ipc_wbuf *w);
void ks_push_frontends(struct ks *ks, uint16_t type, const struct ipc_wbuf *w);
void ks_push_subscribers(struct ks *ks, int64_t group_id, uint16_t type,
                         const struct ipc_wbuf *w);

/* CoAP code byte from class and detail: KS_CODE(4, 3) = 4.03. */
#define KS_CODE(c, d) ((uint8_t)(((c) << 5) | (d)))

/* ---- peers (server.c) ---- */

struct ks_peer *ks_peer_by_conn_id(struct ks *ks, uint64_t conn_id);
bool ks_peer_subscribed(const struct ks_peer *p, int64_t group_id);
/* Subscribe p to the group; if it was not subscribed, queue a SNAPSHOT
 * GROUP_STATE push to it first (before the caller's reply). */
int ks_peer_subscribe(struct ks_req *r, const struct ks_group *g);
void ks_peer_unsubscribe_group(struct ks *ks, int64_t group_id);

/* ---- dispatch (dispatch.c) ---- */

/* Check the allow-list and run the handler of h->type for peer p. */
int ks_dispatch(struct ks_peer *p, const struct ipc_hdr *h,
                const uint8_t *payload);

/* ---- audit helper ---- */
#define ks_audit(r, action, group, node, ...)                                  \
	ks_store_audit((r)->ks->store, (r)->peer->actor, (action), (group),    \
	               (node), __VA_ARGS__)

#endif
