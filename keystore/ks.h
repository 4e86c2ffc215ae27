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
 * malformed frames is broken or compromised).  Nothing queued leaves the
 * process before the batch commits (docs/DESIGN.md §5).
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
	/* > 0: this is the SNAPSHOT push that subscribed the peer to this
	 * group (ks_peer_subscribe); dropping the entry (a failed request or
	 * commit) also drops the subscription, so the next answer on the group
	 * sends the snapshot again. */
	int64_t snapshot_group;
	struct ks_out *next;
};

struct ks_batch {
	bool open; /* a transaction is open */
	struct ks_out *head, **tail;
	size_t count;    /* outbox entries */
	size_t requests; /* requests handled in this batch */
	/* Work to do after a successful commit (timers to re-arm, etc.). */
	bool rearm_timers;
	/* A request's savepoint could not be undone: the whole batch is
	 * rolled back and answered with internal errors instead of committed.
	 */
	bool failed;
	/* The previous commit failed (timers back off, see timers.c). */
	bool last_failed;
	int64_t started_at; /* NumericDate when the batch was opened */
};

struct ks_stats {
	uint64_t requests;
	uint64_t joins;
	uint64_t rekeys;
	uint64_t batches;
	uint64_t commits_failed;
	int64_t started_at;
};

struct ks_backup;

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
	struct ks_backup
	        *backups;        /* db backups being streamed (adm_backup.c) */
	uint64_t timer_last_run; /* monotonic ms of the last timer run */
	bool timer_failed;       /* its work failed: back off (timers.c) */
};

/* ---- batch and outbox (batch.c) ---- */

/* Open the batch transaction if needed (called before any handler). */
int ks_batch_ensure(struct ks *ks);
/* Commit now and flush the outbox (also called by the uv_check hook).  On
 * a failed commit the batch is rolled back, its replies become internal
 * errors and its pushes are dropped (ks_outbox_fail, ks_caches_invalidate);
 * stats.commits_failed counts it.  Re-arms the timers when the batch did
 * work. */
void ks_batch_commit(struct ks *ks);
/* The uv_check hook that commits the batch once per loop iteration. */
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
/* An ADM_RESULT reply from a table builder (NULL: no tables), which is
 * freed.  error: the reason of a non-OK status, or a note (e.g. a
 * truncated result) with IPC_ADM_OK; may be NULL. */
void ks_reply_adm(struct ks_req *r, struct ipc_tab_builder *tb, int status,
                  const char *error);
/* Queue a reply to a (peer, reqid) outside a handler (parked joins). */
void ks_reply_to(struct ks *ks, uint64_t conn_id, uint32_t reqid, uint16_t type,
                 struct ipc_wbuf *w);

/* A streamed partial reply (IPC_F_REPLY | IPC_F_MORE, e.g. ADM_CHUNK):
 * the request still owes its final reply. */
void ks_reply_more(struct ks_req *r, uint16_t type, struct ipc_wbuf *w);
/* The internal-error answer of reply type `type` (0: none, a
 * notification): COAP_RESULT 5.00 without payload, ADM_RESULT
 * IPC_ADM_E_INTERNAL with `why`, PSK_RESULT IPC_PSK_UNKNOWN, anything
 * else an ERROR frame. */
void ks_reply_internal_error(struct ks_req *r, uint16_t type, const char *why);

/* Outbox position before a request runs, so that a failed request's
 * replies and pushes can be dropped (dispatch.c). */
struct ks_outbox_mark {
	struct ks_out **tail;
	size_t count;
};
void ks_outbox_mark(struct ks *ks, struct ks_outbox_mark *m);
/* Drop (wiping secrets) everything queued after m, undoing the
 * subscriptions of dropped snapshots. */
void ks_outbox_truncate(struct ks *ks, const struct ks_outbox_mark *m);
/* After a failed commit: replace every queued final reply by the
 * internal error of its type, drop streamed parts and pushes. */
void ks_outbox_fail(struct ks *ks);
/* Forget in-memory state that may describe rolled-back work (called after
 * a failed commit): the KDC key cache and the per-group runtime state,
 * which is rebuilt from the database (renewal deadlines, pending rekeys);
 * parked joins are dropped (their clients retry). */
void ks_caches_invalidate(struct ks *ks);

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

/* Start the two IPC servers (frontend.sock, admin.sock) under
 * conf.runtime_dir, creating it (0755) if missing.  0 or -1 (logged). */
int ks_servers_start(struct ks *ks);
/* Close every connection gracefully (queued frames still go out). */
void ks_peers_close(struct ks *ks, const char *why);
/* Close the listeners and what is left of the connections. */
void ks_servers_stop(struct ks *ks);

/* ---- dispatch (dispatch.c) ---- */

/* Check the allow-list and run the handler of h->type for peer p.
 * Returns 0, or -1 when the connection must be dropped (a type not in the
 * peer's table, reply/push flags, a malformed payload). */
int ks_dispatch(struct ks_peer *p, const struct ipc_hdr *h,
                const uint8_t *payload);

/* The dispatch tables, one per peer kind (OpenSSH monitor style). */
typedef int (*ks_handler_fn)(struct ks_req *r);
enum ks_dispatch_flags {
	/* A notification: no reply, no transaction (FE_STATS). */
	KS_DF_NOTIFY = 1u << 0,
};
struct ks_dispatch_entry {
	uint16_t type;  /* request type */
	uint16_t reply; /* type of its final reply; 0 for notifications */
	uint16_t flags; /* ks_dispatch_flags */
	ks_handler_fn handler;
};
/* The table of a peer kind (NULL, *n = 0 for other kinds). */
const struct ks_dispatch_entry *ks_dispatch_table(uint8_t peer_kind, size_t *n);
/* The entry of type in the table of peer_kind, or NULL. */
const struct ks_dispatch_entry *ks_dispatch_lookup(uint8_t peer_kind,
                                                   uint16_t type);

/* ---- timers (timers.c) ---- */

void ks_timers_init(struct ks *ks);
/* Re-arm the deadline timer from token expiry, the rekey schedule and the
 * previous-material grace (called after each commit that did work). */
void ks_timers_rearm(struct ks *ks);
void ks_timers_stop(struct ks *ks);

/* ---- process life (startup.c, signals.c, reload.c) ---- */

/* Check what kdc_conf_load() cannot: absolute state_dir/runtime_dir.
 * 0, or -1 with the reasons (one per line) in err. */
int ks_conf_check(const struct kdc_conf *c, char *err, size_t errlen);
/* Open everything before serving: state_dir (0700), KEK, database, KDC
 * keys, rekey schedules.  0, or -1 (logged). */
int ks_startup(struct ks *ks);
/* Lock the state folder for this process (flock, held until it exits): one
 * keystore per database, and kdc-keystore --rekey-kek only while none runs.
 * 0, or -1 with the reason logged. */
int ks_state_lock(const char *dir);
/* Release what ks_startup() and the servers hold (after the loop ended). */
void ks_shutdown(struct ks *ks);
/* SIGTERM/SIGINT/SIGHUP handlers and the sd_notify watchdog. */
void ks_signals_start(struct ks *ks);
/* Stop serving: commit the open batch, close the connections gracefully
 * (bounded), then the servers and every handle, so that uv_run() returns. */
void ks_stop(struct ks *ks);
/*
 * Re-read ks->conf_path and apply what can change at run time (log_level,
 * clock_skew, default_audience, max_tokens), logging it and what needs a
 * restart.  tb (may be NULL) receives a table "reload" {setting, value,
 * status}.  0, or -1 with the configuration errors in err (nothing
 * applied).
 */
int ks_reload(struct ks *ks, struct ipc_tab_builder *tb, char *err,
              size_t errlen);

/* Close the db backups still streaming (the keystore is stopping). */
void ks_backups_abort(struct ks *ks);

/* ---- audit helper ---- */
#define ks_audit(r, action, group, node, ...)                                  \
	ks_store_audit((r)->ks->store, (r)->peer->actor, (action), (group),    \
	               (node), __VA_ARGS__)

#endif
