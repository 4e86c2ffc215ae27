/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ipc_client.c — the frontend's asynchronous end of the protocol on libuv:
 * connect with jittered exponential backoff, HELLO handshake, requests
 * matched to replies by reqid (many in flight, any order, streamed replies),
 * pushes, and immediate IPC_E_UNAVAILABLE while the keystore is away
 * (docs/DESIGN.md §4).
 *
 * Re-entrancy: every user callback may call any ipc_client_*() function,
 * ipc_client_stop() included.  A request is taken out of the pending table
 * before its callback runs; a lost connection's requests are failed from
 * the connection's close callback (never from inside a call the user made),
 * one at a time, while new requests fail synchronously.  The client's
 * memory is released only from libuv close callbacks, after every handle
 * it owns is closed.
 */
#include "ipc_conn.h"
#include "ipc_msg.h"
#include "ipc_priv.h"

#include "log.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#define RX_CHUNK       65536u
#define BACKOFF_MIN_MS 100u
#define BACKOFF_MAX_MS 5000u
#define BUCKETS_MIN    64u

enum client_state {
	CL_WAIT,       /* disconnected; the timer will try again */
	CL_CONNECTING, /* uv_pipe_connect() running */
	CL_HANDSHAKE,  /* HELLO sent */
	CL_UP,
	CL_STOPPED,
};

struct pending {
	uint32_t reqid;
	ipc_reply_cb cb;
	void *arg;
	struct pending *hnext;       /* hash chain */
	struct pending *prev, *next; /* all pending, oldest first */
};

/* One connection attempt; freed in its pipe's close callback. */
struct link {
	uv_pipe_t pipe;
	uv_connect_t connect;
	struct ipc_client *cl;
	struct ipc_rx rx;
	bool dead;   /* uv_close() called */
	bool was_up; /* the handshake completed on it */
};

struct ipc_client {
	uv_loop_t *loop;
	struct ipc_client_cfg cfg;
	char *path;
	char name[IPC_NAME_MAX + 1];
	uv_timer_t timer;
	bool timer_closed;
	enum client_state state;
	struct link *link;
	size_t nlinks; /* links whose handles are not closed yet */
	unsigned backoff_ms;
	uint32_t next_reqid;
	uint32_t hello_reqid;
	/* pending requests: chained hash on reqid + list in request order */
	struct pending **buckets;
	size_t nbuckets; /* power of two */
	size_t count;
	struct pending *head, *tail;
};

/* ---- pending table ---- */

static size_t
bucket_of(const struct ipc_client *cl, uint32_t reqid)
{
	/* reqids are sequential, so the low bits spread them evenly. */
	return reqid & (cl->nbuckets - 1);
}

static struct pending *
pending_find(const struct ipc_client *cl, uint32_t reqid)
{
	struct pending *p;

	if (cl->nbuckets == 0)
		return NULL;
	for (p = cl->buckets[bucket_of(cl, reqid)]; p != NULL; p = p->hnext)
		if (p->reqid == reqid)
			return p;
	return NULL;
}

static void
pending_rehash(struct ipc_client *cl, size_t nb)
{
	struct pending **b = calloc(nb, sizeof(struct pending *));

	if (b == NULL)
		return; /* keep the old table: longer chains, still correct */
	free(cl->buckets);
	cl->buckets = b;
	cl->nbuckets = nb;
	for (struct pending *p = cl->head; p != NULL; p = p->next) {
		size_t i = bucket_of(cl, p->reqid);

		p->hnext = b[i];
		b[i] = p;
	}
}

static bool
pending_add(struct ipc_client *cl, struct pending *p)
{
	size_t i;

	if (cl->nbuckets == 0) {
		pending_rehash(cl, BUCKETS_MIN);
		if (cl->nbuckets == 0)
			return false;
	} else if (cl->count >= cl->nbuckets) {
		pending_rehash(cl, cl->nbuckets * 2);
	}
	i = bucket_of(cl, p->reqid);
	p->hnext = cl->buckets[i];
	cl->buckets[i] = p;
	p->next = NULL;
	p->prev = cl->tail;
	if (cl->tail != NULL)
		cl->tail->next = p;
	else
		cl->head = p;
	cl->tail = p;
	cl->count++;
	return true;
}

/* The ends are tested by identity, not by a NULL prev/next: the same under
 * the list's invariant, and it lets the static analyzer see that removing
 * the head moves cl->head (it otherwise assumes a head with a predecessor
 * and reports a use after free in pending_fail_all()). */
static void
pending_remove(struct ipc_client *cl, struct pending *p)
{
	struct pending **pp = &cl->buckets[bucket_of(cl, p->reqid)];

	while (*pp != p)
		pp = &(*pp)->hnext;
	*pp = p->hnext;
	if (p == cl->head)
		cl->head = p->next;
	else
		p->prev->next = p->next;
	if (p == cl->tail)
		cl->tail = p->prev;
	else
		p->next->prev = p->prev;
	cl->count--;
}

/* Fail every pending request.  One at a time from the head, so callbacks
 * may issue requests (which fail synchronously: we are not up) or stop
 * the client (which drains the rest itself). */
static void
pending_fail_all(struct ipc_client *cl)
{
	struct pending *p;

	while ((p = cl->head) != NULL) {
		pending_remove(cl, p);
		p->cb(p->arg, IPC_E_UNAVAILABLE, NULL, NULL);
		free(p);
	}
}

static uint32_t
next_reqid(struct ipc_client *cl)
{
	uint32_t r;

	do
		r = cl->next_reqid++;
	while (r == 0 || r == cl->hello_reqid || pending_find(cl, r) != NULL);
	return r;
}

/* ---- lifetime ---- */

static void
client_maybe_free(struct ipc_client *cl)
{
	if (cl->state != CL_STOPPED || !cl->timer_closed || cl->nlinks > 0)
		return;
	free(cl->buckets);
	free(cl->path);
	free(cl);
}

static void
on_timer_closed(uv_handle_t *h)
{
	struct ipc_client *cl = h->data;

	cl->timer_closed = true;
	client_maybe_free(cl);
}

/* ---- connection ---- */

static void client_connect(struct ipc_client *cl);

static void
on_timer(uv_timer_t *t)
{
	struct ipc_client *cl = t->data;

	if (cl->state == CL_WAIT)
		client_connect(cl);
}

/* Schedule the next attempt: base * [0.8, 1.2]. */
static void
schedule_retry(struct ipc_client *cl, unsigned base)
{
	uint64_t d = (uint64_t)base * (80 + randombytes_uniform(41)) / 100;

	cl->state = CL_WAIT;
	uv_timer_start(&cl->timer, on_timer, d, 0);
}

static void
on_link_closed(uv_handle_t *h)
{
	struct link *link = h->data;
	struct ipc_client *cl = link->cl;
	bool was_up = link->was_up;

	ipc_rx_free(&link->rx);
	free(link);
	cl->nlinks--;
	if (was_up && cl->state != CL_STOPPED) {
		pending_fail_all(cl);
		if (cl->state != CL_STOPPED && cl->cfg.on_down != NULL)
			cl->cfg.on_down(cl->cfg.arg);
	}
	client_maybe_free(cl);
}

/* Give up on a connection (failed, refused, lost or stopped). */
static void
link_drop(struct link *link, const char *why)
{
	struct ipc_client *cl = link->cl;
	unsigned delay;

	if (link->dead)
		return;
	link->dead = true;
	if (cl->link == link)
		cl->link = NULL;
	uv_close((uv_handle_t *)&link->pipe, on_link_closed);
	if (cl->state == CL_STOPPED)
		return;
	if (link->was_up) {
		log_warn("ipc %s: connection to the keystore lost: %s",
		         cl->path, why);
		delay = cl->backoff_ms = cl->cfg.backoff_min_ms;
	} else {
		log_debug("ipc %s: no keystore connection: %s", cl->path, why);
		delay = cl->backoff_ms;
		cl->backoff_ms = cl->backoff_ms > cl->cfg.backoff_max_ms / 2
		                         ? cl->cfg.backoff_max_ms
		                         : cl->backoff_ms * 2;
	}
	schedule_retry(cl, delay);
}

static void
on_link_written(uv_write_t *req, int status)
{
	struct ipc_frame_out *f = req->data;
	struct link *link = f->owner;

	ipc_frame_free(f);
	if (status < 0 && status != UV_ECANCELED)
		link_drop(link, uv_strerror(status));
}

static int
link_write(struct link *link, uint16_t type, uint16_t flags, uint32_t reqid,
           const uint8_t *payload, size_t len)
{
	struct ipc_frame_out *f;
	uv_buf_t buf;
	int rc;

	f = ipc_frame_new(type, flags, reqid, payload, len);
	if (f == NULL)
		return IPC_E_NOMEM;
	f->owner = link;
	f->req.data = f;
	buf = uv_buf_init((char *)f->data, (unsigned)f->len);
	rc = uv_write(&f->req, (uv_stream_t *)&link->pipe, &buf, 1,
	              on_link_written);
	if (rc != 0) {
		ipc_frame_free(f);
		link_drop(link, uv_strerror(rc));
		return IPC_E_UNAVAILABLE;
	}
	return IPC_OK;
}

static void
handshake_reply(struct link *link, const struct ipc_hdr *h,
                const uint8_t *payload)
{
	struct ipc_client *cl = link->cl;
	struct ipc_hello hello;
	struct ipc_error err;

	if (!(h->flags & IPC_F_REPLY) || (h->flags & IPC_F_MORE) ||
	    h->reqid != cl->hello_reqid) {
		link_drop(link, "unexpected frame during the handshake");
		return;
	}
	if (h->type == IPC_MSG_ERROR) {
		if (ipc_dec_error(payload, h->len, &err) == 0)
			log_warn("ipc %s: the keystore refused the handshake: "
			         "%.*s",
			         cl->path, (int)err.msg_len, err.msg);
		else
			log_warn("ipc %s: the keystore refused the handshake",
			         cl->path);
		link_drop(link, "handshake refused");
		return;
	}
	if (h->type != IPC_MSG_HELLO ||
	    ipc_dec_hello(payload, h->len, &hello) != 0 ||
	    hello.peer_kind != IPC_PEER_KEYSTORE) {
		log_warn("ipc %s: malformed handshake reply (%s)", cl->path,
		         ipc_msg_name(h->type));
		link_drop(link, "malformed handshake reply");
		return;
	}
	if (hello.version != cl->cfg.version) {
		log_warn("ipc %s: keystore speaks protocol version %lu, we "
		         "speak %lu",
		         cl->path, (unsigned long)hello.version,
		         (unsigned long)cl->cfg.version);
		link_drop(link, "version mismatch");
		return;
	}
	cl->hello_reqid = 0;
	cl->state = CL_UP;
	cl->backoff_ms = cl->cfg.backoff_min_ms;
	link->was_up = true;
	log_info("ipc %s: connected to keystore %s (instance %llu)", cl->path,
	         hello.name, (unsigned long long)hello.instance);
	if (cl->cfg.on_up != NULL)
		cl->cfg.on_up(cl->cfg.arg, hello.name, hello.instance);
}

static void
link_frame(struct link *link, const struct ipc_hdr *h, const uint8_t *payload)
{
	struct ipc_client *cl = link->cl;
	struct pending *p;

	if (cl->state == CL_HANDSHAKE) {
		handshake_reply(link, h, payload);
		return;
	}
	if (h->flags & IPC_F_PUSH) {
		if (cl->cfg.on_push != NULL)
			cl->cfg.on_push(cl->cfg.arg, h, payload);
		return;
	}
	if (!(h->flags & IPC_F_REPLY)) {
		log_warn("ipc %s: keystore sent a request (%s); dropping the "
		         "connection",
		         cl->path, ipc_msg_name(h->type));
		link_drop(link, "protocol error");
		return;
	}
	p = pending_find(cl, h->reqid);
	if (p == NULL) {
		log_warn("ipc %s: reply %s to unknown request %lu ignored",
		         cl->path, ipc_msg_name(h->type),
		         (unsigned long)h->reqid);
		return;
	}
	if (h->flags & IPC_F_MORE) {
		/* The request stays pending; p may be gone after this. */
		p->cb(p->arg, IPC_OK, h, payload);
		return;
	}
	pending_remove(cl, p);
	p->cb(p->arg, IPC_OK, h, payload);
	free(p);
}

static void
link_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
	struct link *link = handle->data;

	(void)suggested;
	if (!ipc_rx_reserve(&link->rx, RX_CHUNK)) {
		*buf = uv_buf_init(NULL, 0);
		return;
	}
	*buf = uv_buf_init((char *)link->rx.p + link->rx.len,
	                   (unsigned)(link->rx.cap - link->rx.len));
}

static void
link_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
	struct link *link = stream->data;
	struct ipc_hdr h;
	const uint8_t *payload;
	int rc;

	(void)buf;
	if (link->dead)
		return;
	if (nread < 0) {
		link_drop(link, nread == UV_EOF ? "closed by the keystore"
		                                : uv_strerror((int)nread));
		return;
	}
	link->rx.len += (size_t)nread;
	while (!link->dead) {
		rc = ipc_rx_next(&link->rx, &h, &payload);
		if (rc == 0)
			break;
		if (rc < 0) {
			log_warn("ipc %s: bad frame header from the keystore",
			         link->cl->path);
			link_drop(link, "bad frame header");
			break;
		}
		link_frame(link, &h, payload);
	}
	if (!link->dead)
		ipc_rx_compact(&link->rx);
}

static void
on_connect(uv_connect_t *req, int status)
{
	struct link *link = req->data;
	struct ipc_client *cl = link->cl;
	struct ipc_hello hello;
	struct ipc_wbuf w;
	int rc;

	if (link->dead)
		return;
	if (status < 0) {
		link_drop(link, uv_strerror(status));
		return;
	}
	rc = uv_read_start((uv_stream_t *)&link->pipe, link_alloc, link_read);
	if (rc != 0) {
		link_drop(link, uv_strerror(rc));
		return;
	}
	memset(&hello, 0, sizeof(hello));
	hello.version = cl->cfg.version;
	hello.peer_kind = cl->cfg.peer_kind;
	memcpy(hello.name, cl->name, sizeof(hello.name));
	cl->state = CL_HANDSHAKE;
	cl->hello_reqid = 0;
	cl->hello_reqid = next_reqid(cl);
	ipc_wbuf_init(&w);
	if (ipc_enc_hello(&w, &hello) != 0) {
		ipc_wbuf_free(&w);
		link_drop(link, "cannot encode HELLO");
		return;
	}
	link_write(link, IPC_MSG_HELLO, 0, cl->hello_reqid, w.p, w.len);
	ipc_wbuf_free(&w);
}

static void
client_connect(struct ipc_client *cl)
{
	struct link *link = calloc(1, sizeof(*link));

	if (link == NULL) {
		schedule_retry(cl, cl->cfg.backoff_max_ms);
		return;
	}
	link->cl = cl;
	link->connect.data = link;
	ipc_rx_init(&link->rx);
	uv_pipe_init(cl->loop, &link->pipe, 0);
	link->pipe.data = link;
	cl->nlinks++;
	cl->link = link;
	cl->state = CL_CONNECTING;
	/* Errors, even immediate ones, arrive through on_connect. */
	uv_pipe_connect(&link->connect, &link->pipe, cl->path, on_connect);
}

/* ---- interface ---- */

struct ipc_client *
ipc_client_start(uv_loop_t *loop, const struct ipc_client_cfg *cfg)
{
	struct sockaddr_un sun;
	struct ipc_client *cl;

	if (cfg->path == NULL || strlen(cfg->path) >= sizeof(sun.sun_path) ||
	    (cfg->name != NULL && strlen(cfg->name) > IPC_NAME_MAX))
		return NULL;
	cl = calloc(1, sizeof(*cl));
	if (cl == NULL)
		return NULL;
	cl->path = strdup(cfg->path);
	if (cl->path == NULL) {
		free(cl);
		return NULL;
	}
	cl->loop = loop;
	cl->cfg = *cfg;
	cl->cfg.path = cl->path;
	if (cl->cfg.backoff_min_ms == 0)
		cl->cfg.backoff_min_ms = BACKOFF_MIN_MS;
	if (cl->cfg.backoff_max_ms == 0)
		cl->cfg.backoff_max_ms = BACKOFF_MAX_MS;
	if (cl->cfg.backoff_max_ms < cl->cfg.backoff_min_ms)
		cl->cfg.backoff_max_ms = cl->cfg.backoff_min_ms;
	snprintf(cl->name, sizeof(cl->name), "%s",
	         cfg->name != NULL ? cfg->name : "");
	cl->cfg.name = cl->name;
	cl->backoff_ms = cl->cfg.backoff_min_ms;
	cl->next_reqid = 1;
	uv_timer_init(loop, &cl->timer);
	cl->timer.data = cl;
	client_connect(cl);
	return cl;
}

void
ipc_client_stop(struct ipc_client *cl)
{
	if (cl == NULL || cl->state == CL_STOPPED)
		return;
	cl->state = CL_STOPPED;
	if (cl->link != NULL)
		link_drop(cl->link, "stopped");
	uv_timer_stop(&cl->timer);
	uv_close((uv_handle_t *)&cl->timer, on_timer_closed);
	/* Every request gets its callback before we return, none after. */
	pending_fail_all(cl);
}

bool
ipc_client_is_up(const struct ipc_client *cl)
{
	return cl->state == CL_UP;
}

size_t
ipc_client_inflight(const struct ipc_client *cl)
{
	return cl->count;
}

uint32_t
ipc_client_request(struct ipc_client *cl, uint16_t type, const uint8_t *payload,
                   size_t len, ipc_reply_cb cb, void *arg)
{
	struct pending *p;
	uint32_t reqid;
	int rc;

	if (cl->state != CL_UP || cl->link == NULL) {
		cb(arg, IPC_E_UNAVAILABLE, NULL, NULL);
		return 0;
	}
	/* What the keystore would refuse (and drop us for) fails here. */
	if (type == IPC_MSG_HELLO || !ipc_msg_expects_reply(type) ||
	    !ipc_msg_allowed(type, cl->cfg.peer_kind) ||
	    len > IPC_MAX_PAYLOAD || (len > 0 && payload == NULL)) {
		cb(arg, IPC_E_PROTO, NULL, NULL);
		return 0;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		cb(arg, IPC_E_NOMEM, NULL, NULL);
		return 0;
	}
	reqid = next_reqid(cl);
	p->reqid = reqid;
	p->cb = cb;
	p->arg = arg;
	if (!pending_add(cl, p)) {
		free(p);
		cb(arg, IPC_E_NOMEM, NULL, NULL);
		return 0;
	}
	rc = link_write(cl->link, type, 0, reqid, payload, len);
	if (rc != IPC_OK) {
		/* Still ours: the table is failed only from the close
		 * callback, later. */
		pending_remove(cl, p);
		free(p);
		cb(arg, rc, NULL, NULL);
		return 0;
	}
	return reqid;
}

int
ipc_client_notify(struct ipc_client *cl, uint16_t type, const uint8_t *payload,
                  size_t len)
{
	if (cl->state != CL_UP || cl->link == NULL)
		return IPC_E_UNAVAILABLE;
	if (ipc_msg_expects_reply(type) ||
	    !ipc_msg_allowed(type, cl->cfg.peer_kind) ||
	    len > IPC_MAX_PAYLOAD || (len > 0 && payload == NULL))
		return IPC_E_PROTO;
	return link_write(cl->link, type, 0, 0, payload, len);
}
