/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ipc_conn.h — connections of the keystore protocol on libuv, both ends.
 *
 * Server (keystore): ipc_server_listen() binds a Unix stream socket with the
 * given mode and group, accepts, checks SO_PEERCRED against the socket's
 * allow-list, runs the HELLO handshake (version and peer kind must match),
 * then hands each complete, header-checked frame to on_frame().  A frame
 * that fails the header check, or that on_frame() rejects, drops only that
 * connection (logged).
 *
 * Async client (frontend): ipc_client_*() connects with exponential backoff,
 * performs the handshake, matches replies to requests by reqid (many in
 * flight, any order), delivers pushes, and fails every request immediately
 * with IPC_E_UNAVAILABLE while disconnected.
 *
 * Sync client (frontend's DTLS callbacks, kdc-admin): blocking request/reply
 * with a timeout on a plain socket.
 *
 * libuv writes with write(2): a process using the server or the async
 * client must ignore SIGPIPE (signal(SIGPIPE, SIG_IGN)).  The sync client
 * sends with MSG_NOSIGNAL.
 */
#ifndef KDC_IPC_CONN_H
#define KDC_IPC_CONN_H

#include "ipc_wire.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

enum ipc_status {
	IPC_OK = 0,
	IPC_E_UNAVAILABLE = -1, /* not connected / connection lost */
	IPC_E_TIMEOUT = -2,
	IPC_E_PROTO = -3, /* malformed frame or handshake refused */
	IPC_E_NOMEM = -4,
	IPC_E_SYS = -5,
};
const char *ipc_strerror(int st);

/* ---- server ---- */

struct ipc_conn; /* one accepted connection */
struct ipc_server;

#define IPC_HANDSHAKE_TIMEOUT_MS 5000u
#define IPC_MAX_PENDING          ((size_t)64 * 1024 * 1024)

struct ipc_server_cfg {
	const char *path;  /* socket path; an old socket file is replaced */
	unsigned mode;     /* e.g. 0660 */
	gid_t group;       /* group owner of the socket file; (gid_t)-1 keeps */
	uint8_t peer_kind; /* the kind this socket serves (ipc_msg.h) */
	/* Peers allowed on this socket: root always; then these uid/gid
	 * (a peer passes if its uid is in uids or its gid/ supplementary
	 * groups contain one of gids).  Empty lists: only root and our own
	 * uid. */
	const uid_t *uids;
	size_t nuids;
	const gid_t *gids;
	size_t ngids;
	uint32_t version; /* protocol version to require */
	/* A peer that has not completed the HELLO within this time is
	 * dropped, so a connection that sends nothing cannot hold a slot
	 * (0: IPC_HANDSHAKE_TIMEOUT_MS). */
	uint32_t handshake_timeout_ms;
	/* A peer that lets more than this many bytes queue up for it (it
	 * stopped reading) is dropped; it reconnects and resynchronises
	 * (0: IPC_MAX_PENDING). */
	size_t max_pending;
	const char *software; /* sent in the HELLO reply */
	uint64_t instance;    /* sent in the HELLO reply */
	/* Called after a successful handshake. */
	void (*on_open)(struct ipc_conn *c, void *arg);
	/* A complete frame (not HELLO).  Return 0 if accepted; -1 rejects it
	 * and closes the connection.  payload is valid during the call.
	 * Before the call the server has already refused (logged, closed)
	 * frames with any flag set, a second HELLO, and types that
	 * ipc_msg_allowed() denies to the peer's kind. */
	int (*on_frame)(struct ipc_conn *c, const struct ipc_hdr *h,
	                const uint8_t *payload, void *arg);
	/* Once per connection that was opened (on_open was called), when it
	 * is gone: from the loop, never from inside an ipc_* call, except in
	 * ipc_server_close(), which reports the still-open ones before it
	 * returns.  c is invalid after on_close returns. */
	void (*on_close)(struct ipc_conn *c, void *arg);
	void *arg;
};

/* Bind and listen; NULL (logged) on failure.  The socket is bound under
 * umask 0177 (the process umask is changed for the duration of bind(), so
 * do not create files concurrently in another thread), then chmod'ed to
 * cfg->mode and chown'ed to cfg->group.  The cfg is copied. */
struct ipc_server *ipc_server_listen(uv_loop_t *loop,
                                     const struct ipc_server_cfg *cfg);
/* Close the listener (unlinking the socket file) and every connection
 * (queued frames are dropped).  on_close runs for every open connection
 * before it returns; no callback runs afterwards.  Memory is released by
 * libuv close callbacks: run the loop before uv_loop_close(). */
void ipc_server_close(struct ipc_server *s);

/* Peer credentials of a connected Unix socket (SO_PEERCRED). */
struct ipc_peer_cred {
	pid_t pid;
	uid_t uid;
	gid_t gid;
};
int ipc_peer_cred(int fd, struct ipc_peer_cred *out);
/* The allow decision alone, without system lookups: root and `self` always
 * pass; then uid in cfg->uids, or gid or one of groups[] in cfg->gids. */
bool ipc_peer_allowed(uid_t uid, gid_t gid, const gid_t *groups, size_t ngroups,
                      uid_t self, const struct ipc_server_cfg *cfg);
/* ipc_peer_allowed() for a connected peer, with self = our effective uid
 * and groups = the supplementary groups of the peer's uid (getgrouplist). */
bool ipc_peer_check(const struct ipc_peer_cred *peer,
                    const struct ipc_server_cfg *cfg);

/* Queue a frame on a connection (copied; returns immediately).  Frames of
 * one connection leave in the order they were queued.  Returns 0 or an
 * ipc_status: IPC_E_UNAVAILABLE once the connection is closing,
 * IPC_E_PROTO for a header the peer would refuse (oversize, unknown flags,
 * REPLY with PUSH, MORE without REPLY, PUSH with a reqid). */
int ipc_conn_send(struct ipc_conn *c, uint16_t type, uint16_t flags,
                  uint32_t reqid, const uint8_t *payload, size_t len);
/* Stop reading, close after the queued frames are written; why is logged.
 * Safe to call from any callback and more than once. */
void ipc_conn_close(struct ipc_conn *c, const char *why);
/* Peer identity (from SO_PEERCRED) and handshake data. */
pid_t ipc_conn_pid(const struct ipc_conn *c);
uid_t ipc_conn_uid(const struct ipc_conn *c);
gid_t ipc_conn_gid(const struct ipc_conn *c);
uint8_t ipc_conn_peer_kind(const struct ipc_conn *c);
const char *ipc_conn_name(const struct ipc_conn *c); /* from HELLO */
uint64_t ipc_conn_id(const struct ipc_conn *c);      /* unique per process */
void ipc_conn_set_data(struct ipc_conn *c, void *data);
void *ipc_conn_get_data(const struct ipc_conn *c);
/* Bytes queued but not yet written (for back-pressure decisions). */
size_t ipc_conn_pending_bytes(const struct ipc_conn *c);

/* ---- async client ---- */

struct ipc_client;

/* Reply callback: st is IPC_OK with the reply frame, or an error with
 * h == NULL.  For streamed replies (IPC_F_MORE) it is called once per
 * frame; the request completes with the frame without MORE. */
typedef void (*ipc_reply_cb)(void *arg, int st, const struct ipc_hdr *h,
                             const uint8_t *payload);

struct ipc_client_cfg {
	const char *path;
	uint8_t peer_kind;
	const char *name; /* e.g. "frontend@1" */
	uint32_t version;
	unsigned backoff_min_ms; /* 0 = 100 */
	unsigned backoff_max_ms; /* 0 = 5000 */
	/* Handshake done: server software version and instance id. */
	void (*on_up)(void *arg, const char *software, uint64_t instance);
	/* Connection lost (pending requests already failed). */
	void (*on_down)(void *arg);
	/* Push frames (IPC_F_PUSH). */
	void (*on_push)(void *arg, const struct ipc_hdr *h,
	                const uint8_t *payload);
	void *arg;
};

/* Starts connecting at once (callbacks only ever run from the loop).  NULL
 * if the path or the name is too long, or out of memory. */
struct ipc_client *ipc_client_start(uv_loop_t *loop,
                                    const struct ipc_client_cfg *cfg);
/* Fails every pending request (IPC_E_UNAVAILABLE) before it returns; no
 * callback runs afterwards (on_down is not called).  May be called from any
 * client callback.  Memory is released by libuv close callbacks. */
void ipc_client_stop(struct ipc_client *c);
bool ipc_client_is_up(const struct ipc_client *c);
/* Send a request; cb is always called exactly once per request (perhaps
 * synchronously with IPC_E_UNAVAILABLE when down).  Returns the reqid or 0
 * when it failed synchronously.  Types this peer kind may not send, types
 * that expect no reply, and HELLO fail synchronously with IPC_E_PROTO.
 * When the connection is lost, pending requests fail with
 * IPC_E_UNAVAILABLE from the loop (one at a time; callbacks may issue new
 * requests, which fail synchronously until the client is up again), then
 * on_down runs. */
uint32_t ipc_client_request(struct ipc_client *c, uint16_t type,
                            const uint8_t *payload, size_t len, ipc_reply_cb cb,
                            void *arg);
/* Fire-and-forget message (no reply expected, e.g. statistics); sent with
 * reqid 0.  IPC_E_UNAVAILABLE when down, IPC_E_PROTO for a type that
 * expects a reply or that this peer kind may not send. */
int ipc_client_notify(struct ipc_client *c, uint16_t type,
                      const uint8_t *payload, size_t len);
/* Number of requests waiting for a reply. */
size_t ipc_client_inflight(const struct ipc_client *c);

/* ---- sync client ---- */

struct ipc_sync;
/* Connect and handshake within timeout_ms (< 0: no limit).  *st (may be
 * NULL) gets IPC_OK, IPC_E_UNAVAILABLE (no socket, refused, closed by the
 * keystore — e.g. a peer-credential refusal), IPC_E_TIMEOUT or IPC_E_PROTO
 * (handshake refused: version or peer kind). */
struct ipc_sync *ipc_sync_connect(const char *path, uint8_t peer_kind,
                                  const char *name, uint32_t version,
                                  int timeout_ms, int *st);
/* Send a request and wait for its final reply.  *reply (malloc'd, wiped on
 * free by ipc_sync_free_reply) holds the payload of the final frame; for
 * streamed replies on_more (if set) receives every IPC_F_MORE frame.
 * Returns IPC_OK with *reply_hdr set (its type may be IPC_MSG_ERROR), or
 * IPC_E_TIMEOUT (the connection stays usable: a late reply is recognised
 * by its reqid and skipped), IPC_E_UNAVAILABLE / IPC_E_PROTO (the
 * connection is unusable: close it and connect again).  Pushes are
 * skipped.  timeout_ms < 0: no limit. */
int ipc_sync_call(struct ipc_sync *s, uint16_t type, const uint8_t *payload,
                  size_t len, int timeout_ms, struct ipc_hdr *reply_hdr,
                  uint8_t **reply,
                  void (*on_more)(void *arg, const uint8_t *p, size_t n),
                  void *more_arg);
void ipc_sync_free_reply(uint8_t *reply, size_t len);
void ipc_sync_close(struct ipc_sync *s);
/* From the keystore's HELLO reply. */
const char *ipc_sync_software(const struct ipc_sync *s);
uint64_t ipc_sync_instance(const struct ipc_sync *s);
/* True once a call returned IPC_E_UNAVAILABLE or IPC_E_PROTO. */
bool ipc_sync_is_broken(const struct ipc_sync *s);

#endif
