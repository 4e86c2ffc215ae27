/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ipc_server.c — the keystore's end of the protocol on libuv: a Unix
 * stream listener, SO_PEERCRED checks on accept, the HELLO handshake, frame
 * reassembly and the allow-list check before frames reach on_frame(), and
 * an ordered write queue per connection (docs/DESIGN.md §4).
 *
 * A connection that breaks the protocol is closed and logged; the others
 * are not affected.  Memory of a connection is released only in its libuv
 * close callback, so a connection pointer stays valid for the whole of any
 * callback that sees it, even when that callback closes it.
 */
#include "ipc_conn.h"
#include "ipc_msg.h"
#include "ipc_priv.h"

#include "log.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define RX_CHUNK 65536u

enum conn_state {
	CONN_HANDSHAKE, /* waiting for HELLO */
	CONN_OPEN,
	CONN_CLOSING, /* flushing queued frames, then closed */
	CONN_CLOSED,  /* uv_close() called */
};

struct ipc_conn {
	uv_pipe_t pipe;
	uv_shutdown_t shutdown;
	struct ipc_server *srv;
	struct ipc_conn *prev, *next;
	uint64_t id;
	struct ipc_peer_cred cred;
	uint8_t peer_kind;
	char name[IPC_NAME_MAX + 1];
	enum conn_state state;
	bool opened;   /* on_open() was called: on_close() is owed */
	bool reported; /* on_close() was called */
	struct ipc_rx rx;
	size_t pending;       /* bytes queued, not yet written */
	uint64_t accepted_ms; /* uv_now() at accept: the handshake deadline */
	void *data;
};

struct ipc_server {
	uv_loop_t *loop;
	uv_pipe_t listener;
	struct ipc_server_cfg cfg; /* strings and lists below are copies */
	char *path;
	char *software;
	uid_t *uids;
	gid_t *gids;
	struct ipc_conn *conns;
	uv_timer_t sweep; /* drops connections stuck before their HELLO */
	size_t refs; /* listener, sweep timer, connections with open handles */
	bool closing;
	bool listening;
};

/* Unique per process, also with loops in several threads. */
static _Atomic uint64_t conn_next_id;

static void conn_close_hard(struct ipc_conn *c);

/* ---- server lifetime ---- */

static void
server_unref(struct ipc_server *s)
{
	if (--s->refs > 0)
		return;
	free(s->path);
	free(s->software);
	free(s->uids);
	free(s->gids);
	free(s);
}

static void
on_listener_closed(uv_handle_t *h)
{
	server_unref(h->data);
}

/* Connections still without a HELLO past the deadline are closed: a local
 * peer that connects and says nothing must not hold the socket's slots. */
static void
on_sweep(uv_timer_t *t)
{
	struct ipc_server *s = t->data;
	uint64_t now = uv_now(s->loop);

	for (struct ipc_conn *c = s->conns; c != NULL; c = c->next) {
		if (c->state != CONN_HANDSHAKE ||
		    now - c->accepted_ms < s->cfg.handshake_timeout_ms)
			continue;
		log_warn("ipc %s: connection %llu (pid=%ld uid=%lu): no HELLO "
		         "within %lu ms; closing",
		         s->path, (unsigned long long)c->id, (long)c->cred.pid,
		         (unsigned long)c->cred.uid,
		         (unsigned long)s->cfg.handshake_timeout_ms);
		conn_close_hard(c);
	}
}

/* ---- sending ---- */

static void
on_written(uv_write_t *req, int status)
{
	struct ipc_frame_out *f = req->data;
	struct ipc_conn *c = f->owner;

	c->pending -= f->len;
	ipc_frame_free(f);
	if (status < 0 && status != UV_ECANCELED && c->state != CONN_CLOSED) {
		log_info("ipc %s: connection %llu (%s): write failed: %s",
		         c->srv->path, (unsigned long long)c->id, c->name,
		         uv_strerror(status));
		conn_close_hard(c);
	}
}

static int
conn_write(struct ipc_conn *c, uint16_t type, uint16_t flags, uint32_t reqid,
           const uint8_t *payload, size_t len)
{
	struct ipc_frame_out *f;
	uv_buf_t buf;
	int rc;

	if (c->state != CONN_OPEN && c->state != CONN_HANDSHAKE)
		return IPC_E_UNAVAILABLE;
	if (c->pending + IPC_HDR_LEN + len > c->srv->cfg.max_pending) {
		log_warn("ipc %s: connection %llu (%s pid=%ld): peer not "
		         "reading, %lu bytes queued; closing",
		         c->srv->path, (unsigned long long)c->id, c->name,
		         (long)c->cred.pid, (unsigned long)c->pending);
		conn_close_hard(c);
		return IPC_E_UNAVAILABLE;
	}
	f = ipc_frame_new(type, flags, reqid, payload, len);
	if (f == NULL)
		return IPC_E_NOMEM;
	f->owner = c;
	f->req.data = f;
	buf = uv_buf_init((char *)f->data, (unsigned)f->len);
	rc = uv_write(&f->req, (uv_stream_t *)&c->pipe, &buf, 1, on_written);
	if (rc != 0) {
		ipc_frame_free(f);
		log_info("ipc %s: connection %llu: write: %s", c->srv->path,
		         (unsigned long long)c->id, uv_strerror(rc));
		conn_close_hard(c);
		return IPC_E_UNAVAILABLE;
	}
	c->pending += f->len;
	return IPC_OK;
}

int
ipc_conn_send(struct ipc_conn *c, uint16_t type, uint16_t flags, uint32_t reqid,
              const uint8_t *payload, size_t len)
{
	uint8_t hb[IPC_HDR_LEN];
	struct ipc_hdr h = {(uint32_t)len, type, flags, reqid};

	if (c->state != CONN_OPEN)
		return IPC_E_UNAVAILABLE;
	/* Never send what the peer's header check would refuse. */
	if (len > IPC_MAX_PAYLOAD || (len > 0 && payload == NULL))
		return IPC_E_PROTO;
	ipc_hdr_encode(hb, &h);
	if (ipc_hdr_decode(hb, &h) != 0)
		return IPC_E_PROTO;
	return conn_write(c, type, flags, reqid, payload, len);
}

/* ---- closing ---- */

static void
on_conn_closed(uv_handle_t *h)
{
	struct ipc_conn *c = h->data;
	struct ipc_server *s = c->srv;

	if (c->opened && !c->reported) {
		c->reported = true;
		if (s->cfg.on_close != NULL)
			s->cfg.on_close(c, s->cfg.arg);
	}
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	ipc_rx_free(&c->rx);
	free(c);
	server_unref(s);
}

static void
conn_close_hard(struct ipc_conn *c)
{
	if (c->state == CONN_CLOSED)
		return;
	c->state = CONN_CLOSED;
	if (!uv_is_closing((uv_handle_t *)&c->pipe))
		uv_close((uv_handle_t *)&c->pipe, on_conn_closed);
}

static void
on_shutdown(uv_shutdown_t *req, int status)
{
	(void)status;
	conn_close_hard(req->data);
}

/* Stop reading, let the queued frames go out, then close. */
static void
conn_close(struct ipc_conn *c)
{
	if (c->state == CONN_CLOSING || c->state == CONN_CLOSED)
		return;
	c->state = CONN_CLOSING;
	uv_read_stop((uv_stream_t *)&c->pipe);
	c->shutdown.data = c;
	if (uv_shutdown(&c->shutdown, (uv_stream_t *)&c->pipe, on_shutdown) !=
	    0)
		conn_close_hard(c);
}

void
ipc_conn_close(struct ipc_conn *c, const char *why)
{
	if (c->state == CONN_CLOSING || c->state == CONN_CLOSED)
		return;
	log_info("ipc %s: closing connection %llu (%s pid=%ld): %s",
	         c->srv->path, (unsigned long long)c->id, c->name,
	         (long)c->cred.pid, why != NULL ? why : "closed");
	conn_close(c);
}

/* Protocol violation: log with the frame's type name and close. */
static void
conn_reject(struct ipc_conn *c, const struct ipc_hdr *h, const char *why)
{
	char fl[8];

	log_warn("ipc %s: connection %llu (%s pid=%ld uid=%lu): %s: %s "
	         "(type %u, flags %s, reqid %lu, %lu bytes); closing",
	         c->srv->path, (unsigned long long)c->id,
	         c->name[0] != '\0' ? c->name : "-", (long)c->cred.pid,
	         (unsigned long)c->cred.uid, why, ipc_msg_name(h->type),
	         (unsigned)h->type, ipc_flags_str(h->flags, fl, sizeof(fl)),
	         (unsigned long)h->reqid, (unsigned long)h->len);
	conn_close(c);
}

/* ---- handshake ---- */

static void
handshake_refuse(struct ipc_conn *c, uint32_t reqid, const char *msg)
{
	struct ipc_error e = {IPC_E_PROTO, msg, strlen(msg)};
	struct ipc_wbuf w;

	log_warn("ipc %s: handshake refused for connection %llu (pid=%ld "
	         "uid=%lu): %s",
	         c->srv->path, (unsigned long long)c->id, (long)c->cred.pid,
	         (unsigned long)c->cred.uid, msg);
	ipc_wbuf_init(&w);
	if (ipc_enc_error(&w, &e) == 0)
		conn_write(c, IPC_MSG_ERROR, IPC_F_REPLY, reqid, w.p, w.len);
	ipc_wbuf_free(&w);
	conn_close(c);
}

static void
handshake(struct ipc_conn *c, const struct ipc_hdr *h, const uint8_t *payload)
{
	struct ipc_server *s = c->srv;
	struct ipc_hello hello, ans;
	struct ipc_wbuf w;
	char msg[128];

	if (h->type != IPC_MSG_HELLO || h->flags != 0) {
		snprintf(msg, sizeof(msg), "expected HELLO, got %s",
		         ipc_msg_name(h->type));
		handshake_refuse(c, h->reqid, msg);
		return;
	}
	if (ipc_dec_hello(payload, h->len, &hello) != 0) {
		handshake_refuse(c, h->reqid, "malformed HELLO");
		return;
	}
	if (hello.version != s->cfg.version) {
		snprintf(msg, sizeof(msg),
		         "protocol version mismatch: peer %lu, keystore %lu",
		         (unsigned long)hello.version,
		         (unsigned long)s->cfg.version);
		handshake_refuse(c, h->reqid, msg);
		return;
	}
	if (hello.peer_kind != s->cfg.peer_kind) {
		snprintf(msg, sizeof(msg),
		         "peer kind %u not served on this socket (kind %u)",
		         (unsigned)hello.peer_kind, (unsigned)s->cfg.peer_kind);
		handshake_refuse(c, h->reqid, msg);
		return;
	}
	memcpy(c->name, hello.name, sizeof(c->name));
	c->peer_kind = hello.peer_kind;

	memset(&ans, 0, sizeof(ans));
	ans.version = s->cfg.version;
	ans.peer_kind = IPC_PEER_KEYSTORE;
	snprintf(ans.name, sizeof(ans.name), "%s",
	         s->software != NULL ? s->software : "");
	ans.instance = s->cfg.instance;
	ipc_wbuf_init(&w);
	if (ipc_enc_hello(&w, &ans) != 0 ||
	    conn_write(c, IPC_MSG_HELLO, IPC_F_REPLY, h->reqid, w.p, w.len) !=
	            IPC_OK) {
		ipc_wbuf_free(&w);
		conn_close(c);
		return;
	}
	ipc_wbuf_free(&w);
	c->state = CONN_OPEN;
	c->opened = true;
	log_info("ipc %s: connection %llu: %s (pid=%ld uid=%lu) connected",
	         s->path, (unsigned long long)c->id, c->name, (long)c->cred.pid,
	         (unsigned long)c->cred.uid);
	if (s->cfg.on_open != NULL)
		s->cfg.on_open(c, s->cfg.arg);
}

/* ---- receiving ---- */

static void
conn_frame(struct ipc_conn *c, const struct ipc_hdr *h, const uint8_t *payload)
{
	struct ipc_server *s = c->srv;

	if (c->state == CONN_HANDSHAKE) {
		handshake(c, h, payload);
		return;
	}
	/* Peers send requests and notifications only. */
	if (h->flags != 0) {
		conn_reject(c, h, "reply or push flags from a client");
		return;
	}
	if (h->type == IPC_MSG_HELLO) {
		conn_reject(c, h, "second HELLO");
		return;
	}
	if (!ipc_msg_allowed(h->type, c->peer_kind)) {
		conn_reject(c, h, "message not allowed for this peer");
		return;
	}
	if (s->cfg.on_frame == NULL ||
	    s->cfg.on_frame(c, h, payload, s->cfg.arg) != 0)
		conn_reject(c, h, "frame rejected");
}

static void
conn_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
	struct ipc_conn *c = handle->data;

	(void)suggested;
	if (!ipc_rx_reserve(&c->rx, RX_CHUNK)) {
		*buf = uv_buf_init(NULL, 0); /* read_cb gets UV_ENOBUFS */
		return;
	}
	*buf = uv_buf_init((char *)c->rx.p + c->rx.len,
	                   (unsigned)(c->rx.cap - c->rx.len));
}

static void
conn_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
	struct ipc_conn *c = stream->data;
	struct ipc_hdr h;
	const uint8_t *payload;
	int rc;

	(void)buf;
	if (nread < 0) {
		if (c->rx.len > c->rx.off)
			log_warn("ipc %s: connection %llu (%s): closed in the "
			         "middle of a frame (%lu bytes pending)",
			         c->srv->path, (unsigned long long)c->id,
			         c->name,
			         (unsigned long)(c->rx.len - c->rx.off));
		ipc_conn_close(c, nread == UV_EOF ? "peer closed"
		                                  : uv_strerror((int)nread));
		return;
	}
	c->rx.len += (size_t)nread;
	while (c->state == CONN_HANDSHAKE || c->state == CONN_OPEN) {
		rc = ipc_rx_next(&c->rx, &h, &payload);
		if (rc == 0)
			break;
		if (rc < 0) {
			const uint8_t *p = c->rx.p + c->rx.off;

			log_warn("ipc %s: connection %llu (%s pid=%ld): bad "
			         "frame header (len %lu, type %s, flags 0x%x); "
			         "closing",
			         c->srv->path, (unsigned long long)c->id,
			         c->name, (long)c->cred.pid,
			         (unsigned long)(p[0] | p[1] << 8 |
			                         (unsigned long)p[2] << 16 |
			                         (unsigned long)p[3] << 24),
			         ipc_msg_name((uint16_t)(p[4] | p[5] << 8)),
			         (unsigned)(p[6] | p[7] << 8));
			conn_close(c);
			break;
		}
		conn_frame(c, &h, payload);
	}
	if (c->state == CONN_HANDSHAKE || c->state == CONN_OPEN)
		ipc_rx_compact(&c->rx);
}

/* ---- accepting ---- */

static void
on_connection(uv_stream_t *listener, int status)
{
	struct ipc_server *s = listener->data;
	struct ipc_conn *c;
	uv_os_fd_t fd;

	if (status < 0) {
		log_warn("ipc %s: accept: %s", s->path, uv_strerror(status));
		return;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		log_err("ipc %s: out of memory accepting a connection",
		        s->path);
		return;
	}
	c->srv = s;
	c->id = atomic_fetch_add(&conn_next_id, 1) + 1;
	c->state = CONN_HANDSHAKE;
	c->accepted_ms = uv_now(s->loop);
	ipc_rx_init(&c->rx);
	uv_pipe_init(s->loop, &c->pipe, 0);
	c->pipe.data = c;
	s->refs++;
	c->next = s->conns;
	if (s->conns != NULL)
		s->conns->prev = c;
	s->conns = c;

	if (uv_accept(listener, (uv_stream_t *)&c->pipe) != 0 ||
	    uv_fileno((uv_handle_t *)&c->pipe, &fd) != 0 ||
	    ipc_peer_cred(fd, &c->cred) != IPC_OK) {
		log_warn("ipc %s: cannot accept or identify a peer", s->path);
		conn_close_hard(c);
		return;
	}
	if (!ipc_peer_check(&c->cred, &s->cfg)) {
		log_warn("ipc: refused peer uid=%lu gid=%lu pid=%ld on %s",
		         (unsigned long)c->cred.uid, (unsigned long)c->cred.gid,
		         (long)c->cred.pid, s->path);
		conn_close_hard(c);
		return;
	}
	if (uv_read_start((uv_stream_t *)&c->pipe, conn_alloc, conn_read) !=
	    0) {
		conn_close_hard(c);
		return;
	}
	log_debug("ipc %s: connection %llu from pid=%ld uid=%lu", s->path,
	          (unsigned long long)c->id, (long)c->cred.pid,
	          (unsigned long)c->cred.uid);
}

/* Remove a stale socket file; refuse to touch anything else.  Logs why it
 * failed. */
static int
remove_stale(const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
	} else if (!S_ISSOCK(st.st_mode)) {
		log_err("ipc %s: exists and is not a socket; not replacing it",
		        path);
		return -1;
	} else if (unlink(path) == 0) {
		return 0;
	}
	log_err("ipc %s: cannot remove the old socket: %s", path,
	        strerror(errno));
	return -1;
}

static bool
server_copy_cfg(struct ipc_server *s, const struct ipc_server_cfg *cfg)
{
	s->cfg = *cfg;
	if (s->cfg.handshake_timeout_ms == 0)
		s->cfg.handshake_timeout_ms = IPC_HANDSHAKE_TIMEOUT_MS;
	if (s->cfg.max_pending == 0)
		s->cfg.max_pending = IPC_MAX_PENDING;
	s->path = strdup(cfg->path);
	s->software = strdup(cfg->software != NULL ? cfg->software : "");
	if (s->path == NULL || s->software == NULL)
		return false;
	if (cfg->nuids > 0) {
		s->uids = calloc(cfg->nuids, sizeof(*s->uids));
		if (s->uids == NULL)
			return false;
		memcpy(s->uids, cfg->uids, cfg->nuids * sizeof(*s->uids));
	}
	if (cfg->ngids > 0) {
		s->gids = calloc(cfg->ngids, sizeof(*s->gids));
		if (s->gids == NULL)
			return false;
		memcpy(s->gids, cfg->gids, cfg->ngids * sizeof(*s->gids));
	}
	s->cfg.path = s->path;
	s->cfg.software = s->software;
	s->cfg.uids = s->uids;
	s->cfg.gids = s->gids;
	return true;
}

struct ipc_server *
ipc_server_listen(uv_loop_t *loop, const struct ipc_server_cfg *cfg)
{
	struct sockaddr_un sun;
	struct ipc_server *s;
	mode_t old;
	int rc;

	if (cfg->path == NULL || strlen(cfg->path) >= sizeof(sun.sun_path)) {
		log_err("ipc: socket path missing or too long");
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->loop = loop;
	s->refs = 1;
	if (!server_copy_cfg(s, cfg)) {
		server_unref(s);
		return NULL;
	}
	uv_pipe_init(loop, &s->listener, 0);
	s->listener.data = s;
	if (remove_stale(s->path) != 0)
		goto fail;
	/* No window in which the socket exists with looser permissions. */
	old = umask(0177);
	rc = uv_pipe_bind(&s->listener, s->path);
	umask(old);
	if (rc != 0) {
		log_err("ipc %s: bind: %s", s->path, uv_strerror(rc));
		goto fail;
	}
	if (chmod(s->path, (mode_t)cfg->mode) != 0 ||
	    (cfg->group != (gid_t)-1 &&
	     chown(s->path, (uid_t)-1, cfg->group) != 0)) {
		log_err("ipc %s: chmod/chown: %s", s->path, strerror(errno));
		unlink(s->path);
		goto fail;
	}
	rc = uv_listen((uv_stream_t *)&s->listener, SOMAXCONN, on_connection);
	if (rc != 0) {
		log_err("ipc %s: listen: %s", s->path, uv_strerror(rc));
		unlink(s->path);
		goto fail;
	}
	s->listening = true;
	/* Sweep at a quarter of the deadline: a silent peer goes within
	 * 1.25 times it.  Unreferenced: it never keeps a loop alive. */
	uv_timer_init(loop, &s->sweep);
	s->sweep.data = s;
	s->refs++;
	uv_timer_start(&s->sweep, on_sweep, s->cfg.handshake_timeout_ms / 4 + 1,
	               s->cfg.handshake_timeout_ms / 4 + 1);
	uv_unref((uv_handle_t *)&s->sweep);
	log_info("ipc: listening on %s (mode %04o)", s->path, cfg->mode);
	return s;
fail:
	uv_close((uv_handle_t *)&s->listener, on_listener_closed);
	return NULL;
}

void
ipc_server_close(struct ipc_server *s)
{
	if (s == NULL || s->closing)
		return;
	s->closing = true;
	if (s->listening) {
		unlink(s->path);
		uv_close((uv_handle_t *)&s->sweep, on_listener_closed);
	}
	uv_close((uv_handle_t *)&s->listener, on_listener_closed);
	for (struct ipc_conn *c = s->conns; c != NULL; c = c->next)
		conn_close_hard(c);
	/* No callback after we return: report the open connections now. */
	for (struct ipc_conn *c = s->conns; c != NULL; c = c->next) {
		if (c->opened && !c->reported) {
			c->reported = true;
			if (s->cfg.on_close != NULL)
				s->cfg.on_close(c, s->cfg.arg);
		}
	}
	s->cfg.on_open = NULL;
	s->cfg.on_frame = NULL;
	s->cfg.on_close = NULL;
}

/* ---- accessors ---- */

pid_t
ipc_conn_pid(const struct ipc_conn *c)
{
	return c->cred.pid;
}

uid_t
ipc_conn_uid(const struct ipc_conn *c)
{
	return c->cred.uid;
}

gid_t
ipc_conn_gid(const struct ipc_conn *c)
{
	return c->cred.gid;
}

uint8_t
ipc_conn_peer_kind(const struct ipc_conn *c)
{
	return c->peer_kind;
}

const char *
ipc_conn_name(const struct ipc_conn *c)
{
	return c->name;
}

uint64_t
ipc_conn_id(const struct ipc_conn *c)
{
	return c->id;
}

void
ipc_conn_set_data(struct ipc_conn *c, void *data)
{
	c->data = data;
}

void *
ipc_conn_get_data(const struct ipc_conn *c)
{
	return c->data;
}

size_t
ipc_conn_pending_bytes(const struct ipc_conn *c)
{
	return c->pending;
}

const char *
ipc_strerror(int st)
{
	switch (st) {
	case IPC_OK:
		return "ok";
	case IPC_E_UNAVAILABLE:
		return "keystore unavailable";
	case IPC_E_TIMEOUT:
		return "timed out";
	case IPC_E_PROTO:
		return "protocol error";
	case IPC_E_NOMEM:
		return "out of memory";
	case IPC_E_SYS:
		return "system error";
	default:
		return "unknown error";
	}
}
