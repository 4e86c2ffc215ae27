/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ipc_sync.c — a blocking client for callers that cannot wait for an event
 * loop: libcoap's DTLS PSK/RPK callbacks in the frontend (docs/DESIGN.md §3,
 * 500 ms budget) and kdc-admin.  One request at a time; pushes are skipped;
 * replies to earlier, timed-out requests are recognised by reqid and
 * dropped, so a timeout leaves the connection usable.
 */
#include "ipc_conn.h"
#include "ipc_msg.h"
#include "ipc_priv.h"

#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define RX_CHUNK 16384u

struct ipc_sync {
	int fd;
	struct ipc_rx rx;
	uint32_t next_reqid;
	bool broken; /* stream out of sync or closed: only close is left */
	char software[IPC_NAME_MAX + 1];
	uint64_t instance;
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* timeout_ms < 0: no deadline. */
static int64_t
deadline_of(int timeout_ms)
{
	return timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
}

/* poll() for ev until the deadline: 1 ready, 0 timed out, -1 error. */
static int
wait_fd(int fd, short ev, int64_t deadline)
{
	struct pollfd pfd = {.fd = fd, .events = ev};
	int rc, t;

	for (;;) {
		if (deadline < 0) {
			t = -1;
		} else {
			int64_t left = deadline - now_ms();

			if (left <= 0)
				left = 0;
			t = left > 60000 ? 60000 : (int)left;
		}
		rc = poll(&pfd, 1, t);
		if (rc > 0)
			return 1;
		if (rc == 0) {
			if (deadline >= 0 && now_ms() >= deadline)
				return 0;
			continue;
		}
		if (errno != EINTR)
			return -1;
	}
}

static int
send_all(struct ipc_sync *s, const uint8_t *p, size_t n, int64_t deadline)
{
	size_t done = 0;
	ssize_t k;
	int w;

	while (done < n) {
		k = send(s->fd, p + done, n - done,
		         MSG_NOSIGNAL | MSG_DONTWAIT);
		if (k > 0) {
			done += (size_t)k;
			continue;
		}
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			w = wait_fd(s->fd, POLLOUT, deadline);
			if (w > 0)
				continue;
			/* Part of a frame may be out: the stream is lost. */
			s->broken = true;
			return w == 0 ? IPC_E_TIMEOUT : IPC_E_UNAVAILABLE;
		}
		s->broken = true;
		return IPC_E_UNAVAILABLE;
	}
	return IPC_OK;
}

/* The next complete frame, valid until the next call. */
static int
recv_frame(struct ipc_sync *s, int64_t deadline, struct ipc_hdr *h,
           const uint8_t **payload)
{
	ssize_t k;
	int rc, w;

	for (;;) {
		rc = ipc_rx_next(&s->rx, h, payload);
		if (rc > 0)
			return IPC_OK;
		if (rc < 0) {
			log_warn("ipc: bad frame header from the keystore");
			s->broken = true;
			return IPC_E_PROTO;
		}
		if (!ipc_rx_reserve(&s->rx, RX_CHUNK))
			return IPC_E_NOMEM;
		k = recv(s->fd, s->rx.p + s->rx.len, s->rx.cap - s->rx.len,
		         MSG_DONTWAIT);
		if (k > 0) {
			s->rx.len += (size_t)k;
			continue;
		}
		if (k == 0) {
			s->broken = true;
			return IPC_E_UNAVAILABLE;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			s->broken = true;
			return IPC_E_UNAVAILABLE;
		}
		w = wait_fd(s->fd, POLLIN, deadline);
		if (w == 0)
			return IPC_E_TIMEOUT;
		if (w < 0) {
			s->broken = true;
			return IPC_E_UNAVAILABLE;
		}
	}
}

static uint32_t
sync_reqid(struct ipc_sync *s)
{
	if (s->next_reqid == 0)
		s->next_reqid = 1;
	return s->next_reqid++;
}

/* Send one request and wait for its final reply (see ipc_sync_call). */
static int
sync_call(struct ipc_sync *s, uint16_t type, const uint8_t *payload, size_t len,
          int timeout_ms, struct ipc_hdr *reply_hdr, uint8_t **reply,
          void (*on_more)(void *, const uint8_t *, size_t), void *more_arg)
{
	int64_t deadline = deadline_of(timeout_ms);
	struct ipc_frame_out *f;
	const uint8_t *p;
	struct ipc_hdr h;
	uint32_t reqid;
	int rc;

	*reply = NULL;
	if (s->broken)
		return IPC_E_UNAVAILABLE;
	if (len > IPC_MAX_PAYLOAD || (len > 0 && payload == NULL))
		return IPC_E_PROTO;
	reqid = sync_reqid(s);
	f = ipc_frame_new(type, 0, reqid, payload, len);
	if (f == NULL)
		return IPC_E_NOMEM;
	rc = send_all(s, f->data, f->len, deadline);
	ipc_frame_free(f);
	if (rc != IPC_OK)
		return rc;
	for (;;) {
		rc = recv_frame(s, deadline, &h, &p);
		if (rc != IPC_OK)
			return rc;
		if (h.flags & IPC_F_PUSH)
			continue;
		if (!(h.flags & IPC_F_REPLY)) {
			log_warn("ipc: the keystore sent a request (%s)",
			         ipc_msg_name(h.type));
			s->broken = true;
			return IPC_E_PROTO;
		}
		if (h.reqid != reqid)
			continue; /* the answer to a request that timed out */
		if (h.flags & IPC_F_MORE) {
			if (on_more != NULL)
				on_more(more_arg, p, h.len);
			continue;
		}
		*reply = malloc(h.len > 0 ? h.len : 1);
		if (*reply == NULL)
			return IPC_E_NOMEM;
		if (h.len > 0)
			memcpy(*reply, p, h.len);
		*reply_hdr = h;
		return IPC_OK;
	}
}

struct ipc_sync *
ipc_sync_connect(const char *path, uint8_t peer_kind, const char *name,
                 uint32_t version, int timeout_ms, int *st)
{
	struct sockaddr_un sun;
	struct ipc_sync *s;
	struct ipc_hello hello;
	struct ipc_error err;
	struct ipc_hdr h;
	struct ipc_wbuf w;
	uint8_t *reply = NULL;
	int rc, dummy;

	if (st == NULL)
		st = &dummy;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (path == NULL || strlen(path) >= sizeof(sun.sun_path) ||
	    (name != NULL && strlen(name) > IPC_NAME_MAX)) {
		*st = IPC_E_PROTO;
		return NULL;
	}
	memcpy(sun.sun_path, path, strlen(path));
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		*st = IPC_E_NOMEM;
		return NULL;
	}
	ipc_rx_init(&s->rx);
	s->next_reqid = 1;
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		free(s);
		*st = IPC_E_SYS;
		return NULL;
	}
	/* A full backlog blocks connect(); SO_SNDTIMEO bounds that wait on
	 * Unix sockets. */
	if (timeout_ms > 0) {
		struct timeval tv = {timeout_ms / 1000,
		                     (suseconds_t)(timeout_ms % 1000) * 1000};
		setsockopt(s->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	do
		rc = connect(s->fd, (struct sockaddr *)&sun, sizeof(sun));
	while (rc != 0 && errno == EINTR);
	if (rc != 0) {
		*st = (errno == EAGAIN || errno == ETIMEDOUT ||
		       errno == EINPROGRESS)
		              ? IPC_E_TIMEOUT
		              : IPC_E_UNAVAILABLE;
		ipc_sync_close(s);
		return NULL;
	}
	fcntl(s->fd, F_SETFL, fcntl(s->fd, F_GETFL) | O_NONBLOCK);

	memset(&hello, 0, sizeof(hello));
	hello.version = version;
	hello.peer_kind = peer_kind;
	snprintf(hello.name, sizeof(hello.name), "%s",
	         name != NULL ? name : "");
	ipc_wbuf_init(&w);
	if (ipc_enc_hello(&w, &hello) != 0) {
		ipc_wbuf_free(&w);
		ipc_sync_close(s);
		*st = IPC_E_PROTO;
		return NULL;
	}
	rc = sync_call(s, IPC_MSG_HELLO, w.p, w.len, timeout_ms, &h, &reply,
	               NULL, NULL);
	ipc_wbuf_free(&w);
	if (rc == IPC_OK && h.type == IPC_MSG_ERROR) {
		if (ipc_dec_error(reply, h.len, &err) == 0)
			log_warn("ipc %s: the keystore refused the handshake: "
			         "%.*s",
			         path, (int)err.msg_len, err.msg);
		rc = IPC_E_PROTO;
	} else if (rc == IPC_OK && (h.type != IPC_MSG_HELLO ||
	                            ipc_dec_hello(reply, h.len, &hello) != 0 ||
	                            hello.peer_kind != IPC_PEER_KEYSTORE ||
	                            hello.version != version)) {
		log_warn("ipc %s: bad handshake reply from the keystore", path);
		rc = IPC_E_PROTO;
	}
	if (reply != NULL)
		ipc_sync_free_reply(reply, h.len);
	if (rc != IPC_OK) {
		ipc_sync_close(s);
		*st = rc;
		return NULL;
	}
	memcpy(s->software, hello.name, sizeof(s->software));
	s->instance = hello.instance;
	*st = IPC_OK;
	return s;
}

int
ipc_sync_call(struct ipc_sync *s, uint16_t type, const uint8_t *payload,
              size_t len, int timeout_ms, struct ipc_hdr *reply_hdr,
              uint8_t **reply,
              void (*on_more)(void *arg, const uint8_t *p, size_t n),
              void *more_arg)
{
	if (type == IPC_MSG_HELLO || !ipc_msg_expects_reply(type)) {
		*reply = NULL;
		return IPC_E_PROTO;
	}
	return sync_call(s, type, payload, len, timeout_ms, reply_hdr, reply,
	                 on_more, more_arg);
}

void
ipc_sync_free_reply(uint8_t *reply, size_t len)
{
	if (reply == NULL)
		return;
	sodium_memzero(reply, len);
	free(reply);
}

void
ipc_sync_close(struct ipc_sync *s)
{
	if (s == NULL)
		return;
	if (s->fd >= 0)
		close(s->fd);
	ipc_rx_free(&s->rx);
	free(s);
}

const char *
ipc_sync_software(const struct ipc_sync *s)
{
	return s->software;
}

uint64_t
ipc_sync_instance(const struct ipc_sync *s)
{
	return s->instance;
}

bool
ipc_sync_is_broken(const struct ipc_sync *s)
{
	return s->broken;
}
